//! optlab-portfolio: price data and validation, return and covariance estimators,
//! Black-Litterman, mean-variance weights by QP (Clarabel), a backtester with costs,
//! baselines, performance metrics, and the BDA agent (a Transformer and a CNN that set the
//! Black-Litterman views and risk aversion, trained by analytic policy gradient).
//!
//! The main entry points are [`bl::posterior`] (the Black-Litterman posterior, by Cholesky
//! solves), [`qp::mean_variance`] (constrained weights) and [`backtest::run`] (a strategy
//! traded with costs):
//!
//! ```
//! use optlab_portfolio::backtest::{run, BacktestConfig};
//! use optlab_portfolio::bl::{equal_weights, equilibrium_returns, posterior, OmegaSpec, Views};
//! use optlab_portfolio::cov::CovEstimator;
//! use optlab_portfolio::qp::{mean_variance, Constraints};
//! use optlab_portfolio::strategy::by_name;
//! use optlab_portfolio::synth::{generate, SynthConfig};
//!
//! # fn main() -> optlab_portfolio::Result<()> {
//! let prices = generate(&SynthConfig { n_assets: 5, n_days: 400, seed: 1 });
//! let returns = prices.log_returns();
//! let sigma = CovEstimator::LedoitWolf.estimate(&returns[returns.len() - 252..]);
//! let pi = equilibrium_returns(&sigma, &equal_weights(5), 2.5)?;
//! let views = Views::absolute(vec![0.0004; 5], OmegaSpec::Idzorek(vec![0.5; 5]));
//! let post = posterior(&sigma, &pi, Some(&views), 0.05)?;
//! let w = mean_variance(&post.mean, &post.cov, 2.5, &Constraints::long_short(5, 1.0, 1.0))?;
//! assert!(w.iter().map(|x| x.abs()).sum::<f64>() <= 1.0 + 1e-6);
//!
//! let cfg = BacktestConfig { start: 300, ..BacktestConfig::default() };
//! let result = run(&prices, by_name("min_variance", 5)?.as_mut(), &cfg)?;
//! assert!(result.metrics.annualised_volatility > 0.0);
//! # Ok(())
//! # }
//! ```
//!
//! The `optlab portfolio` command line lives in the `optlab` crate.
#![warn(missing_docs)]

pub mod agent;
pub mod agent_train;
pub mod backtest;
pub mod bda;
pub mod bda_map;
pub mod bda_train;
pub mod bl;
pub mod cov;
pub mod data;
pub mod error;
pub mod linalg;
pub mod metrics;
pub mod olps;
pub mod qp;
pub mod strategy;
pub mod svg;
pub mod synth;

pub use error::{PortfolioError, Result};
