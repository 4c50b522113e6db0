//! Covariance estimators over a window of returns (`rows = observations`, `cols = assets`).

use crate::linalg::Mat;

/// Which covariance estimator to use.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CovEstimator {
    /// Unbiased sample covariance.
    Sample,
    /// Exponentially weighted covariance with the given half-life in observations.
    Ewma {
        /// Half-life in observations.
        halflife: f64,
    },
    /// Ledoit-Wolf shrinkage towards a scaled identity.
    LedoitWolf,
}

impl CovEstimator {
    /// Estimates the covariance of `returns`.
    pub fn estimate(&self, returns: &[Vec<f64>]) -> Mat {
        match *self {
            Self::Sample => sample_cov(returns),
            Self::Ewma { halflife } => ewma_cov(returns, halflife),
            Self::LedoitWolf => ledoit_wolf(returns).0,
        }
    }
}

/// Column means.
pub fn mean(returns: &[Vec<f64>]) -> Vec<f64> {
    let n = returns.first().map_or(0, |r| r.len());
    let mut m = vec![0.0; n];
    for r in returns {
        for (a, b) in m.iter_mut().zip(r) {
            *a += b;
        }
    }
    let t = returns.len().max(1) as f64;
    m.iter_mut().for_each(|v| *v /= t);
    m
}

fn weighted_cov(returns: &[Vec<f64>], w: &[f64], denom: f64) -> Mat {
    let n = returns.first().map_or(0, |r| r.len());
    let sw: f64 = w.iter().sum();
    let mut mu = vec![0.0; n];
    for (r, wt) in returns.iter().zip(w) {
        for (m, x) in mu.iter_mut().zip(r) {
            *m += wt * x / sw;
        }
    }
    let mut c = Mat::zeros(n, n);
    for (r, wt) in returns.iter().zip(w) {
        for i in 0..n {
            let di = r[i] - mu[i];
            for j in i..n {
                c.data[i * n + j] += wt * di * (r[j] - mu[j]);
            }
        }
    }
    for i in 0..n {
        for j in i..n {
            let v = c.get(i, j) / denom;
            c.set(i, j, v);
            c.set(j, i, v);
        }
    }
    c
}

/// Unbiased sample covariance (divides by `T - 1`).
pub fn sample_cov(returns: &[Vec<f64>]) -> Mat {
    let t = returns.len();
    weighted_cov(returns, &vec![1.0; t], (t.max(2) - 1) as f64)
}

/// Exponentially weighted covariance: observation `t` (of `T`) has weight
/// `0.5^((T-1-t)/halflife)`; the weights are normalised to sum to one.
pub fn ewma_cov(returns: &[Vec<f64>], halflife: f64) -> Mat {
    let t = returns.len();
    let lam = 0.5f64.powf(1.0 / halflife.max(1e-12));
    let w: Vec<f64> = (0..t).map(|k| lam.powi((t - 1 - k) as i32)).collect();
    let sw: f64 = w.iter().sum();
    weighted_cov(returns, &w, sw)
}

/// Ledoit-Wolf (2004) shrinkage of the (1/T) sample covariance towards `mu * I`,
/// `mu = trace(S)/N`. Returns the estimate and the shrinkage intensity in `[0, 1]`.
pub fn ledoit_wolf(returns: &[Vec<f64>]) -> (Mat, f64) {
    let t = returns.len();
    let n = returns.first().map_or(0, |r| r.len());
    let s = weighted_cov(returns, &vec![1.0; t], t.max(1) as f64);
    let mu_target = s.diagonal().iter().sum::<f64>() / n.max(1) as f64;
    let m = mean(returns);
    let mut d2 = 0.0;
    for i in 0..n {
        for j in 0..n {
            let f = if i == j { mu_target } else { 0.0 };
            d2 += (s.get(i, j) - f).powi(2);
        }
    }
    let mut b2 = 0.0;
    for r in returns {
        let x: Vec<f64> = r.iter().zip(&m).map(|(a, b)| a - b).collect();
        for i in 0..n {
            for j in 0..n {
                b2 += (x[i] * x[j] - s.get(i, j)).powi(2);
            }
        }
    }
    b2 /= (t.max(1) as f64).powi(2);
    let delta = if d2 > 0.0 {
        (b2.min(d2) / d2).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let mut out = s.scale(1.0 - delta);
    for i in 0..n {
        out.data[i * n + i] += delta * mu_target;
    }
    (out, delta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use optlab_core::rng::Rng;

    fn data(t: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = Rng::new(seed);
        (0..t)
            .map(|_| {
                let f = rng.normal();
                (0..n)
                    .map(|i| 0.01 * (f * (i as f64 + 1.0) / n as f64 + rng.normal()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn sample_cov_by_hand() {
        let r = vec![vec![1.0, 2.0], vec![3.0, 1.0], vec![5.0, 3.0]];
        let c = sample_cov(&r);
        // means 3 and 2; deviations (-2,0),(0,-1),(2,1)
        assert!((c.get(0, 0) - 4.0).abs() < 1e-15);
        assert!((c.get(1, 1) - 1.0).abs() < 1e-15);
        assert!((c.get(0, 1) - 1.0).abs() < 1e-15 && c.get(1, 0) == c.get(0, 1));
    }

    #[test]
    fn ewma_with_long_halflife_is_biased_sample() {
        let r = data(50, 4, 1);
        let s = sample_cov(&r);
        let e = ewma_cov(&r, 1e12);
        for (a, b) in s.data.iter().zip(&e.data) {
            assert!((a * 49.0 / 50.0 - b).abs() < 1e-12);
        }
        // A short half-life tracks the recent observations.
        let mut r2 = r.clone();
        r2.extend((0..20).map(|_| vec![0.1, -0.1, 0.1, -0.1]));
        let e2 = ewma_cov(&r2, 5.0);
        assert!(e2.get(0, 0) > s.get(0, 0));
    }

    #[test]
    fn ledoit_wolf_is_pd_when_sample_is_singular() {
        let r = data(10, 20, 2);
        assert!(sample_cov(&r).cholesky().is_err());
        let (lw, d) = ledoit_wolf(&r);
        assert!(d > 0.0 && d <= 1.0);
        assert!(lw.cholesky().is_ok());
        let (_, d_long) = ledoit_wolf(&data(5000, 5, 3));
        assert!(d_long < d);
    }
}
