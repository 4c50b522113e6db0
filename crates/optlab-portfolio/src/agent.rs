//! The older, light BL-views agent (`optlab portfolio train --agent linear`): a shared linear
//! policy per asset maps each asset's last `m` weekly returns and its previous weight to an
//! absolute Black-Litterman view `q` (P = I, He-Litterman Omega); weights are
//! `(lambda Sigma_post)^-1 mu_post` with a FIXED risk aversion, scaled to a fixed gross exposure.
//! It is trained by deterministic policy gradient without a critic with a hand-derived gradient
//! (previous weights held constant, as in EIIE). The reference's agent, with a Transformer for
//! the views and a CNN for a learned risk aversion, is [`crate::bda`]; this one stays as a cheap
//! option that trains in seconds.

use crate::bl::{equal_weights, equilibrium_returns};
use crate::cov::ledoit_wolf;
use crate::linalg::{dot, Mat};
use optlab_core::rng::Rng;
use serde::Serialize;

/// Agent hyper-parameters.
#[derive(Debug, Clone, Serialize)]
pub struct AgentConfig {
    /// Number of past 5-day periods in the state.
    pub m: usize,
    /// Covariance window in days.
    pub lookback: usize,
    /// Risk aversion lambda (prior and weights).
    pub delta: f64,
    /// Gross exposure the weights are scaled to.
    pub gross: f64,
    /// Variance penalty z1.
    pub z1: f64,
    /// Turnover penalty z2 (use the proportional cost rate).
    pub z2: f64,
    /// Scale from policy output to daily view returns.
    pub q_scale: f64,
    /// Adam learning rate.
    pub lr: f64,
    /// Training epochs.
    pub epochs: usize,
    /// Baseline variant: the policy outputs the raw weights directly (no Black-Litterman step).
    pub direct: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            m: 4,
            lookback: 60,
            delta: 2.5,
            gross: 1.0,
            z1: 2.5,
            z2: 1e-3,
            q_scale: 1e-3,
            lr: 0.05,
            epochs: 60,
            direct: false,
        }
    }
}

/// What the agent needs at one decision: state features and the affine map `w_raw = A q + b`.
#[derive(Debug, Clone)]
pub struct Step {
    pub(crate) feats: Vec<Vec<f64>>,
    pub(crate) a: Mat,
    pub(crate) b: Vec<f64>,
    sigma: Mat,
}

/// Builds the decision inputs from `history` (rows = daily simple returns seen so far).
/// Returns `None` when the history is too short.
pub fn step(history: &[Vec<f64>], cfg: &AgentConfig) -> Option<Step> {
    let need = cfg.lookback.max(5 * cfg.m);
    if history.len() < need || history.is_empty() {
        return None;
    }
    let n = history[0].len();
    let (sigma, _) = ledoit_wolf(&history[history.len() - cfg.lookback..]);
    let feats = (0..n)
        .map(|i| {
            (0..cfg.m)
                .map(|k| {
                    let end = history.len() - 5 * k;
                    10.0 * history[end - 5..end].iter().map(|r| r[i]).sum::<f64>()
                })
                .collect()
        })
        .collect();
    if cfg.direct {
        return Some(Step {
            feats,
            a: Mat::identity(n),
            b: vec![0.0; n],
            sigma,
        });
    }
    // P = I, Omega = tau diag(Sigma): mu_post = Pi + Sigma (Sigma + D)^-1 (q - Pi) (tau cancels),
    // Sigma_post = Sigma + tau (Sigma - Sigma (Sigma + D)^-1 Sigma) with tau = 0.05.
    let pi = equilibrium_returns(&sigma, &equal_weights(n), cfg.delta).ok()?;
    let sd = sigma
        .add_scaled(&Mat::diag(&sigma.diagonal()), 1.0)
        .ok()?
        .cholesky()
        .ok()?;
    let k = sd.solve(&sigma).ok()?.t(); // Sigma (Sigma + D)^-1, both symmetric
    let m = sigma.add_scaled(&k.matmul(&sigma).ok()?, -1.0).ok()?;
    let post = sigma.add_scaled(&m, 0.05).ok()?.cholesky().ok()?;
    let a = post.solve(&k).ok()?.scale(1.0 / cfg.delta);
    let kpi = k.matvec(&pi).ok()?;
    let base: Vec<f64> = pi.iter().zip(&kpi).map(|(p, x)| p - x).collect();
    let b = post
        .solve_vec(&base)
        .ok()?
        .iter()
        .map(|v| v / cfg.delta)
        .collect();
    Some(Step { feats, a, b, sigma })
}

/// The policy parameters: `q_i = q_scale * (theta[..m] . x_i + theta[m] * w_prev_i + theta[m+1])`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// Parameters, length `m + 2`.
    pub theta: Vec<f64>,
}

impl Policy {
    /// A random initial policy.
    pub fn init(cfg: &AgentConfig, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Self {
            theta: (0..cfg.m + 2).map(|_| 0.1 * rng.normal()).collect(),
        }
    }

    fn inputs(s: &Step, w_prev: &[f64], i: usize) -> Vec<f64> {
        let mut x = s.feats[i].clone();
        x.push(10.0 * w_prev[i]);
        x.push(1.0);
        x
    }

    /// Weights and the raw (unscaled) weights for one step.
    pub fn weights(&self, s: &Step, w_prev: &[f64], cfg: &AgentConfig) -> (Vec<f64>, Vec<f64>) {
        let n = s.b.len();
        let q: Vec<f64> = (0..n)
            .map(|i| cfg.q_scale * dot(&self.theta, &Self::inputs(s, w_prev, i)))
            .collect();
        let aq = s.a.matvec(&q).unwrap_or_else(|_| vec![0.0; n]);
        let raw: Vec<f64> = aq.iter().zip(&s.b).map(|(x, y)| x + y).collect();
        let l1: f64 = raw.iter().map(|x| x.abs()).sum::<f64>().max(1e-12);
        (raw.iter().map(|x| cfg.gross * x / l1).collect(), raw)
    }

    /// Reward of one step with next-period daily returns `future` (5 rows), and its gradient
    /// with respect to `theta` (previous weights held constant).
    pub fn reward_grad(
        &self,
        s: &Step,
        w_prev: &[f64],
        future: &[Vec<f64>],
        cfg: &AgentConfig,
    ) -> (f64, Vec<f64>, Vec<f64>) {
        let n = s.b.len();
        let (w, raw) = self.weights(s, w_prev, cfg);
        let mut rsum = vec![0.0; n];
        for r in future {
            for (a, b) in rsum.iter_mut().zip(r) {
                *a += b;
            }
        }
        let per = future.len().max(1) as f64;
        let sw = s.sigma.matvec(&w).unwrap_or_else(|_| vec![0.0; n]);
        let turnover: f64 = w.iter().zip(w_prev).map(|(a, b)| (a - b).abs()).sum();
        let reward = dot(&w, &rsum) / per - 0.5 * cfg.z1 * dot(&w, &sw) - cfg.z2 * turnover;
        let gw: Vec<f64> = (0..n)
            .map(|i| rsum[i] / per - cfg.z1 * sw[i] - cfg.z2 * (w[i] - w_prev[i]).signum())
            .collect();
        // w = G raw / |raw|_1  =>  g_raw = G/L (g_w - sign(raw) (w.g_w)/G)
        let l1: f64 = raw.iter().map(|x| x.abs()).sum::<f64>().max(1e-12);
        let wg = dot(&w, &gw);
        let graw: Vec<f64> = (0..n)
            .map(|i| cfg.gross / l1 * (gw[i] - raw[i].signum() * wg / cfg.gross))
            .collect();
        let gq = s.a.t().matvec(&graw).unwrap_or_else(|_| vec![0.0; n]);
        let mut g = vec![0.0; self.theta.len()];
        for (i, gqi) in gq.iter().enumerate() {
            for (gj, xj) in g.iter_mut().zip(Self::inputs(s, w_prev, i)) {
                *gj += cfg.q_scale * gqi * xj;
            }
        }
        (reward, g, w)
    }
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
