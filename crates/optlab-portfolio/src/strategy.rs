//! Baseline strategies: constant weights (equal weight), buy-and-hold, minimum variance,
//! maximum Sharpe and Black-Litterman with rule-based (trailing-mean) views.

use crate::backtest::Strategy;
use crate::bl::{equal_weights, equilibrium_returns, posterior, OmegaSpec, Views};
use crate::cov::{mean, CovEstimator};
use crate::error::PortfolioError;
use crate::qp::{max_sharpe_long_only, mean_variance, min_variance, Constraints};

/// Rebalances to fixed weights every time (equal weight when built with [`Constant::equal`]).
#[derive(Debug, Clone)]
pub struct Constant {
    name: String,
    weights: Vec<f64>,
}

impl Constant {
    /// Fixed weights with a name.
    pub fn new(name: &str, weights: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            weights,
        }
    }
    /// Equal weights over `n` assets.
    pub fn equal(n: usize) -> Self {
        Self::new("equal_weight", equal_weights(n))
    }
}

impl Strategy for Constant {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn decide(&mut self, _: &[Vec<f64>], _: &[f64]) -> Option<Vec<f64>> {
        Some(self.weights.clone())
    }
}

/// Buys equal weights once and never trades again.
#[derive(Debug, Clone, Default)]
pub struct BuyAndHold {
    done: bool,
}

impl Strategy for BuyAndHold {
    fn name(&self) -> String {
        "buy_and_hold".into()
    }
    fn decide(&mut self, _: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>> {
        if self.done {
            return None;
        }
        self.done = true;
        Some(equal_weights(current.len()))
    }
}

fn window(history: &[Vec<f64>], lookback: usize) -> &[Vec<f64>] {
    &history[history.len().saturating_sub(lookback)..]
}

/// Long-only, fully invested minimum variance over a trailing window.
#[derive(Debug, Clone)]
pub struct MinVariance {
    /// Trailing window length in days.
    pub lookback: usize,
    /// Covariance estimator.
    pub estimator: CovEstimator,
    /// Per-asset cap.
    pub max_weight: f64,
}

impl Strategy for MinVariance {
    fn name(&self) -> String {
        "min_variance".into()
    }
    fn decide(&mut self, history: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>> {
        let n = current.len();
        let w = window(history, self.lookback);
        if w.len() < 2 {
            return Some(equal_weights(n));
        }
        let s = self.estimator.estimate(w);
        Some(
            min_variance(&s, &Constraints::long_only(n, self.max_weight))
                .unwrap_or_else(|_| equal_weights(n)),
        )
    }
}

/// Long-only maximum Sharpe from trailing means and covariance (equal weight when no
/// asset has a positive trailing mean).
#[derive(Debug, Clone)]
pub struct MaxSharpe {
    /// Trailing window length in days.
    pub lookback: usize,
    /// Covariance estimator.
    pub estimator: CovEstimator,
}

impl Strategy for MaxSharpe {
    fn name(&self) -> String {
        "max_sharpe".into()
    }
    fn decide(&mut self, history: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>> {
        let n = current.len();
        let w = window(history, self.lookback);
        if w.len() < 2 {
            return Some(equal_weights(n));
        }
        let s = self.estimator.estimate(w);
        Some(max_sharpe_long_only(&mean(w), &s).unwrap_or_else(|_| equal_weights(n)))
    }
}

/// Black-Litterman with a fixed rule for the views: prior from equal weights and risk
/// aversion `delta`, absolute views equal to the trailing mean return (He-Litterman Omega),
/// weights by the mean-variance QP on the posterior under `constraints`.
#[derive(Debug, Clone)]
pub struct StaticBl {
    /// Trailing window length in days.
    pub lookback: usize,
    /// Covariance estimator.
    pub estimator: CovEstimator,
    /// Risk aversion (daily units).
    pub delta: f64,
    /// Uncertainty scale of the prior.
    pub tau: f64,
    /// Weight constraints.
    pub constraints: Constraints,
}

impl StaticBl {
    /// Long/short BL with `|w_i| <= 0.2` and gross leverage at most 1.
    pub fn long_short(n: usize) -> Self {
        Self {
            lookback: 126,
            estimator: CovEstimator::LedoitWolf,
            delta: 2.5,
            tau: 0.05,
            constraints: Constraints::long_short(n, 0.2, 1.0),
        }
    }
}

impl Strategy for StaticBl {
    fn name(&self) -> String {
        "static_bl".into()
    }
    fn decide(&mut self, history: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>> {
        let n = current.len();
        let w = window(history, self.lookback);
        if w.len() < 2 {
            return Some(vec![0.0; n]);
        }
        let s = self.estimator.estimate(w);
        let out = || -> crate::error::Result<Vec<f64>> {
            let pi = equilibrium_returns(&s, &equal_weights(n), self.delta)?;
            let v = Views::absolute(mean(w), OmegaSpec::HeLitterman);
            let p = posterior(&s, &pi, Some(&v), self.tau)?;
            Ok(mean_variance(
                &p.mean,
                &p.cov,
                self.delta,
                &self.constraints,
            )?)
        };
        Some(out().unwrap_or_else(|_| current.to_vec()))
    }
}

/// Names accepted by [`by_name`].
pub const NAMES: [&str; 5] = [
    "equal_weight",
    "buy_and_hold",
    "min_variance",
    "max_sharpe",
    "static_bl",
];

/// Builds a baseline by name for `n` assets with default settings (Ledoit-Wolf covariance).
pub fn by_name(name: &str, n: usize) -> crate::error::Result<Box<dyn Strategy>> {
    by_name_with(name, n, CovEstimator::LedoitWolf)
}

/// Parses a covariance estimator name: `sample`, `lw` (Ledoit-Wolf) or `ewma:HALFLIFE`.
pub fn parse_estimator(s: &str) -> crate::error::Result<CovEstimator> {
    match s {
        "sample" => Ok(CovEstimator::Sample),
        "lw" | "ledoit-wolf" => Ok(CovEstimator::LedoitWolf),
        _ => {
            let h = s
                .strip_prefix("ewma:")
                .and_then(|h| h.parse::<f64>().ok())
                .filter(|h| *h > 0.0)
                .ok_or_else(|| {
                    PortfolioError::Invalid(format!(
                        "unknown estimator {s:?}; expected sample, lw or ewma:HALFLIFE"
                    ))
                })?;
            Ok(CovEstimator::Ewma { halflife: h })
        }
    }
}

/// Builds a baseline by name for `n` assets with the given covariance estimator; the OLPS
/// names of [`crate::olps::OLPS_NAMES`] are accepted too.
pub fn by_name_with(
    name: &str,
    n: usize,
    est: CovEstimator,
) -> crate::error::Result<Box<dyn Strategy>> {
    Ok(match name {
        "equal_weight" => Box::new(Constant::equal(n)),
        "buy_and_hold" => Box::new(BuyAndHold::default()),
        "min_variance" => Box::new(MinVariance {
            lookback: 252,
            estimator: est,
            max_weight: 0.2,
        }),
        "max_sharpe" => Box::new(MaxSharpe {
            lookback: 252,
            estimator: est,
        }),
        "static_bl" => Box::new(StaticBl {
            estimator: est,
            ..StaticBl::long_short(n)
        }),
        other => match crate::olps::by_name(other, n) {
            Some(s) => Box::new(s),
            None => {
                return Err(PortfolioError::Invalid(format!(
                    "unknown strategy {other:?}; expected one of {}, {}",
                    NAMES.join(", "),
                    crate::olps::OLPS_NAMES.join(", ")
                )))
            }
        },
    })
}

#[cfg(test)]
#[path = "strategy_tests.rs"]
mod tests;
