//! Training (train period), model selection (validation period) and the trained agent as a
//! backtest [`Strategy`]. Rewards only ever look at returns inside their own period.

use crate::agent::{step, AgentConfig, Policy, Step};
use crate::backtest::Strategy;
use crate::error::ensure;
use serde::Serialize;

/// Per-epoch training record and the selected policy.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Seed of the initial policy.
    pub seed: u64,
    /// Mean training reward per epoch.
    pub train_reward: Vec<f64>,
    /// Mean validation reward per epoch.
    pub valid_reward: Vec<f64>,
    /// Epoch (0-based) with the best validation reward.
    pub best_epoch: usize,
    /// The policy at `best_epoch`.
    pub policy: Policy,
}

/// Decision points `d` (price indices, every 5 days) in `[start, end)` whose next 5 daily
/// returns stay inside the period, with their inputs.
fn steps(returns: &[Vec<f64>], start: usize, end: usize, cfg: &AgentConfig) -> Vec<(usize, Step)> {
    let mut out = vec![];
    let mut d = start;
    while d + 5 < end && d + 5 <= returns.len() {
        if let Some(s) = step(&returns[..d], cfg) {
            out.push((d, s));
        }
        d += 5;
    }
    out
}

/// Runs the policy through `steps`; returns the mean reward and the mean gradient.
fn pass(
    pol: &Policy,
    returns: &[Vec<f64>],
    steps: &[(usize, Step)],
    cfg: &AgentConfig,
) -> (f64, Vec<f64>) {
    let n = returns.first().map_or(0, |r| r.len());
    let mut w_prev = vec![0.0; n];
    let mut total = 0.0;
    let mut grad = vec![0.0; pol.theta.len()];
    for (d, s) in steps {
        let (r, g, w) = pol.reward_grad(s, &w_prev, &returns[*d..*d + 5], cfg);
        total += r;
        grad.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        w_prev = w;
    }
    let k = steps.len().max(1) as f64;
    (total / k, grad.iter().map(|g| g / k).collect())
}

/// Trains on price indices `train = [a, b)`, selects the epoch by mean reward on `valid`.
/// `returns` are daily simple returns (row `k` = price `k` to `k + 1`).
pub fn train(
    returns: &[Vec<f64>],
    train: (usize, usize),
    valid: (usize, usize),
    cfg: &AgentConfig,
    seed: u64,
) -> crate::error::Result<TrainReport> {
    let tr = steps(returns, train.0, train.1, cfg);
    let va = steps(returns, valid.0, valid.1, cfg);
    ensure!(
        !tr.is_empty() && !va.is_empty(),
        "training or validation period too short for the agent (lookback {})",
        cfg.lookback
    );
    let mut pol = Policy::init(cfg, seed);
    let (mut m, mut v) = (vec![0.0; pol.theta.len()], vec![0.0; pol.theta.len()]);
    let (b1, b2) = (0.9f64, 0.999f64);
    let mut rep = TrainReport {
        seed,
        train_reward: vec![],
        valid_reward: vec![],
        best_epoch: 0,
        policy: pol.clone(),
    };
    let mut best = f64::NEG_INFINITY;
    for epoch in 0..cfg.epochs {
        let (r, g) = pass(&pol, returns, &tr, cfg);
        let (rv, _) = pass(&pol, returns, &va, cfg);
        ensure!(
            r.is_finite() && rv.is_finite(),
            "non-finite reward at epoch {epoch}"
        );
        rep.train_reward.push(r);
        rep.valid_reward.push(rv);
        if rv > best {
            best = rv;
            rep.best_epoch = epoch;
            rep.policy = pol.clone();
        }
        let t = (epoch + 1) as i32;
        for j in 0..pol.theta.len() {
            let gj = g[j] / cfg.q_scale; // rescale: rewards are O(q_scale) in theta
            m[j] = b1 * m[j] + (1.0 - b1) * gj;
            v[j] = b2 * v[j] + (1.0 - b2) * gj * gj;
            let (mh, vh) = (m[j] / (1.0 - b1.powi(t)), v[j] / (1.0 - b2.powi(t)));
            pol.theta[j] += cfg.lr * mh / (vh.sqrt() + 1e-12);
        }
    }
    Ok(rep)
}

/// A trained agent used as a backtest strategy (cash until enough history).
#[derive(Debug, Clone)]
pub struct DrlBl {
    /// The policy.
    pub policy: Policy,
    /// Its configuration.
    pub cfg: AgentConfig,
}

impl Strategy for DrlBl {
    fn name(&self) -> String {
        if self.cfg.direct {
            "drl_direct".into()
        } else {
            "drl_bl".into()
        }
    }
    fn decide(&mut self, history: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>> {
        match step(history, &self.cfg) {
            Some(s) => Some(self.policy.weights(&s, current, &self.cfg).0),
            None => Some(vec![0.0; current.len()]),
        }
    }
}

#[cfg(test)]
#[path = "agent_train_tests.rs"]
mod tests;
