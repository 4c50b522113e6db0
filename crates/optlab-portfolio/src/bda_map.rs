//! Inputs of the BDA agent at one decision date and the differentiable Black-Litterman map.
//!
//! Everything that depends only on data is computed once per date in f64 from the history
//! before that date: the state `X_t` (daily log returns of the last `m` 5-day periods) and, with
//! `P = I` and `Omega = tau diag(Sigma)`, the matrices `K = Sigma (Sigma + D)^-1` (tau cancels
//! from the posterior mean), `A = Sigma_post^-1` with `Sigma_post = Sigma + tau (Sigma - K Sigma)`
//! and the prior direction `pi_dir = Sigma w_eq` (so `Pi = lambda pi_dir`). The agent's outputs
//! (views `q`, risk aversion `lambda`) then reach the weights through matmuls only, which candle
//! differentiates: `mu_post = Pi + K (q - Pi)`, `w_raw = A mu_post / lambda`, and `w` is `w_raw`
//! scaled to a fixed gross exposure `sum |w_i|`.

use crate::bl::equal_weights;
use crate::cov::ledoit_wolf;
use crate::linalg::{LinalgError, Mat};
use candle_core::{DType, Device, Tensor};

/// Per-date inputs of the agent (f64, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct DateInputs {
    /// State `X_t`: `5 m` days by `N` assets of daily log returns, oldest first.
    pub x: Vec<f64>,
    /// `K = Sigma (Sigma + diag Sigma)^-1`, `N x N`.
    pub k: Vec<f64>,
    /// `A = Sigma_post^-1`, `N x N`.
    pub a: Vec<f64>,
    /// `Sigma w_eq`, length `N`.
    pub pi_dir: Vec<f64>,
}

/// The BL matrices for covariance `sigma` and prior scale `tau` (see the module docs).
pub fn bl_matrices(sigma: &Mat, tau: f64) -> Result<(Mat, Mat, Vec<f64>), LinalgError> {
    let n = sigma.rows;
    // K = Sigma (Sigma + D)^-1 = ((Sigma + D)^-1 Sigma)' as both matrices are symmetric.
    let sd = sigma
        .add_scaled(&Mat::diag(&sigma.diagonal()), 1.0)?
        .cholesky()?;
    let k = sd.solve(sigma)?.t();
    let ks = k.matmul(sigma)?;
    let post = sigma.add_scaled(&sigma.add_scaled(&ks, -1.0)?, tau)?;
    // Symmetrise before factoring: K Sigma is symmetric only up to rounding.
    let post = post.add_scaled(&post.t(), 1.0)?.scale(0.5);
    // The tensor map multiplies by A itself, so here the inverse is formed (from the factor).
    let a = post.cholesky()?.inverse();
    let pi_dir = sigma.matvec(&equal_weights(n))?;
    Ok((k, a, pi_dir))
}

/// Inputs for a decision taken with `history` (rows = daily simple returns seen so far): the
/// last `5 m` days form the state and the last `cov_lookback` days give the Ledoit-Wolf
/// covariance of log returns. `None` when the history is too short or the covariance singular.
pub fn date_inputs(
    history: &[Vec<f64>],
    m: usize,
    cov_lookback: usize,
    tau: f64,
) -> Option<DateInputs> {
    let need = (5 * m).max(cov_lookback);
    if history.len() < need || need == 0 {
        return None;
    }
    let log = |rows: &[Vec<f64>]| -> Vec<Vec<f64>> {
        rows.iter()
            .map(|r| r.iter().map(|v| v.ln_1p()).collect())
            .collect()
    };
    let x: Vec<f64> = log(&history[history.len() - 5 * m..]).concat();
    let (sigma, _) = ledoit_wolf(&log(&history[history.len() - cov_lookback..]));
    let (k, a, pi_dir) = bl_matrices(&sigma, tau).ok()?;
    Some(DateInputs {
        x,
        k: k.data,
        a: a.data,
        pi_dir,
    })
}

/// A batch of [`DateInputs`] as tensors: `x [B, m, 5N]` (one token per 5-day period), `k`, `a`
/// `[B, N, N]` and `pi_dir [B, N]`.
#[derive(Debug, Clone)]
pub struct BatchInputs {
    /// State tokens, scaled by `1 / x_scale`.
    pub x: Tensor,
    /// `K` matrices.
    pub k: Tensor,
    /// `Sigma_post^-1` matrices.
    pub a: Tensor,
    /// `Sigma w_eq` vectors.
    pub pi_dir: Tensor,
}

impl BatchInputs {
    /// Stacks `items` (all for the same `m` and `N`) into tensors of `dtype`.
    pub fn new(
        items: &[&DateInputs],
        m: usize,
        x_scale: f64,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Self> {
        let b = items.len();
        let n = items.first().map_or(0, |d| d.pi_dir.len());
        let cat = |f: &dyn Fn(&DateInputs) -> &Vec<f64>, s: f64| -> Vec<f64> {
            items
                .iter()
                .flat_map(|d| f(d).iter().map(|v| v * s))
                .collect()
        };
        let t = |v: Vec<f64>, shape: &[usize]| Tensor::from_vec(v, shape, dev)?.to_dtype(dtype);
        Ok(Self {
            x: t(cat(&|d| &d.x, 1.0 / x_scale), &[b, m, 5 * n])?,
            k: t(cat(&|d| &d.k, 1.0), &[b, n, n])?,
            a: t(cat(&|d| &d.a, 1.0), &[b, n, n])?,
            pi_dir: t(cat(&|d| &d.pi_dir, 1.0), &[b, n])?,
        })
    }
}

/// Scales raw weights `[B, N]` to gross exposure `gross` per row.
pub fn to_gross(raw: &Tensor, gross: f64) -> candle_core::Result<Tensor> {
    let l1 = (raw.abs()?.sum_keepdim(1)? + 1e-12)?;
    raw.broadcast_div(&l1)? * gross
}

/// The differentiable BL map: views `q [B, N]` and risk aversion `lambda [B, 1]` to weights
/// `[B, N]` of gross exposure `gross` (see the module docs for the formulas).
pub fn bl_weights(
    q: &Tensor,
    lambda: &Tensor,
    inp: &BatchInputs,
    gross: f64,
) -> candle_core::Result<Tensor> {
    let pi = inp.pi_dir.broadcast_mul(lambda)?;
    let gap = (q - &pi)?.unsqueeze(2)?;
    let mu = (pi + inp.k.matmul(&gap)?.squeeze(2)?)?;
    let raw = inp
        .a
        .matmul(&mu.unsqueeze(2)?)?
        .squeeze(2)?
        .broadcast_div(lambda)?;
    to_gross(&raw, gross)
}

#[cfg(test)]
#[path = "bda_map_tests.rs"]
mod tests;
