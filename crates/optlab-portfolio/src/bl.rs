//! Black-Litterman: equilibrium (prior) returns, views with He-Litterman or Idzorek
//! uncertainty, and the posterior mean and covariance by the textbook (He-Litterman) formula.

use crate::linalg::{dot, LinalgError, Mat};

/// Equal weights `1/n`.
pub fn equal_weights(n: usize) -> Vec<f64> {
    vec![1.0 / n.max(1) as f64; n]
}

/// Market weights from capitalisations (normalised to sum to one).
pub fn market_weights(caps: &[f64]) -> Vec<f64> {
    let s: f64 = caps.iter().sum();
    caps.iter().map(|c| c / s).collect()
}

/// Implied equilibrium excess returns `Pi = delta * Sigma * w` (reverse optimisation).
pub fn equilibrium_returns(
    sigma: &Mat,
    weights: &[f64],
    delta: f64,
) -> Result<Vec<f64>, LinalgError> {
    Ok(sigma.matvec(weights)?.iter().map(|v| delta * v).collect())
}

/// Implied risk aversion `delta = E[r_m] / Var(r_m)` of a weighted portfolio of `returns`.
pub fn implied_risk_aversion(returns: &[Vec<f64>], weights: &[f64]) -> f64 {
    let rm: Vec<f64> = returns.iter().map(|r| dot(r, weights)).collect();
    let t = rm.len().max(2) as f64;
    let m = rm.iter().sum::<f64>() / t;
    let v = rm.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (t - 1.0);
    if v > 0.0 {
        m / v
    } else {
        0.0
    }
}

/// How the view uncertainty matrix Omega is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum OmegaSpec {
    /// He-Litterman default: `Omega = diag(tau * P Sigma P')`.
    HeLitterman,
    /// Idzorek's confidences in `[0, 1]` per view (closed form of Walters):
    /// `omega_k = tau * (1 - c_k) / c_k * p_k Sigma p_k'`; `c_k = 1` gives a certain view.
    Idzorek(Vec<f64>),
    /// An explicit `k x k` matrix.
    Explicit(Mat),
}

/// Views `P mu = Q` with uncertainty `Omega`.
#[derive(Debug, Clone, PartialEq)]
pub struct Views {
    /// Picking matrix, `k x n`.
    pub p: Mat,
    /// View returns, length `k`.
    pub q: Vec<f64>,
    /// Uncertainty specification.
    pub omega: OmegaSpec,
}

impl Views {
    /// Absolute views on every asset (`P = I`).
    pub fn absolute(q: Vec<f64>, omega: OmegaSpec) -> Self {
        Self {
            p: Mat::identity(q.len()),
            q,
            omega,
        }
    }

    /// The Omega matrix for a prior covariance `sigma` and scalar `tau`.
    pub fn omega_matrix(&self, sigma: &Mat, tau: f64) -> Result<Mat, LinalgError> {
        let psp = self.p.matmul(sigma)?.matmul(&self.p.t())?;
        let k = self.q.len();
        match &self.omega {
            OmegaSpec::HeLitterman => Ok(Mat::diag(
                &psp.diagonal().iter().map(|v| tau * v).collect::<Vec<_>>(),
            )),
            OmegaSpec::Idzorek(conf) => {
                if conf.len() != k || conf.iter().any(|c| c.is_nan() || *c <= 0.0 || *c > 1.0) {
                    return Err(LinalgError::Shape(
                        "Idzorek confidences must be k values in (0, 1]".into(),
                    ));
                }
                let d: Vec<f64> = conf
                    .iter()
                    .zip(psp.diagonal())
                    .map(|(c, v)| tau * (1.0 - c) / c * v)
                    .collect();
                Ok(Mat::diag(&d))
            }
            OmegaSpec::Explicit(m) => {
                if m.rows != k || m.cols != k {
                    return Err(LinalgError::Shape("Omega must be k x k".into()));
                }
                Ok(m.clone())
            }
        }
    }
}

/// The Black-Litterman posterior.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    /// Posterior mean `Pi + tau Sigma P' (P tau Sigma P' + Omega)^-1 (Q - P Pi)`.
    pub mean: Vec<f64>,
    /// Posterior covariance of returns `Sigma + M`, with
    /// `M = tau Sigma - tau Sigma P' (P tau Sigma P' + Omega)^-1 P tau Sigma`.
    pub cov: Mat,
}

/// Posterior mean and covariance. `views = None` returns the prior `Pi` and `(1 + tau) Sigma`.
/// The formula never inverts Omega, so certain views (`Omega = 0`) are allowed and met exactly;
/// `(P tau Sigma P' + Omega)^-1` enters only through Cholesky solves.
pub fn posterior(
    sigma: &Mat,
    pi: &[f64],
    views: Option<&Views>,
    tau: f64,
) -> Result<Posterior, LinalgError> {
    let ts = sigma.scale(tau);
    let Some(v) = views else {
        return Ok(Posterior {
            mean: pi.to_vec(),
            cov: sigma.add_scaled(&ts, 1.0)?,
        });
    };
    if v.p.rows != v.q.len() || v.p.cols != pi.len() {
        return Err(LinalgError::Shape(
            "P must be k x n and Q of length k".into(),
        ));
    }
    let omega = v.omega_matrix(sigma, tau)?;
    let tsp = ts.matmul(&v.p.t())?; // n x k
                                    // A = P tau Sigma P' + Omega (k x k) is positive definite; every A^-1 is a Cholesky solve.
    let a = v.p.matmul(&tsp)?.add_scaled(&omega, 1.0)?.cholesky()?;
    let ppi = v.p.matvec(pi)?;
    let resid: Vec<f64> = v.q.iter().zip(&ppi).map(|(q, p)| q - p).collect();
    let adj = tsp.matvec(&a.solve_vec(&resid)?)?;
    let mean = pi.iter().zip(&adj).map(|(a, b)| a + b).collect();
    let m = ts.add_scaled(&tsp.matmul(&a.solve(&tsp.t())?)?, -1.0)?;
    let cov = sigma.add_scaled(&m, 1.0)?;
    Ok(Posterior { mean, cov })
}

/// Unconstrained mean-variance weights `(delta * cov)^-1 * mean` (unnormalised; the rest is cash).
pub fn unconstrained_weights(mean: &[f64], cov: &Mat, delta: f64) -> Result<Vec<f64>, LinalgError> {
    Ok(cov.solve_spd(mean)?.iter().map(|v| v / delta).collect())
}

#[cfg(test)]
#[path = "bl_tests.rs"]
mod tests;
