//! optlab-portfolio: price data and validation, return and covariance estimators,
//! Black-Litterman, mean-variance weights by QP (Clarabel), a backtester with costs,
//! baselines and performance metrics.
#![warn(missing_docs)]

pub mod agent;
pub mod agent_train;
pub mod backtest;
pub mod bl;
pub mod cli;
pub mod cli_train;
pub mod cov;
pub mod data;
pub mod linalg;
pub mod metrics;
pub mod qp;
pub mod strategy;
pub mod svg;
pub mod synth;
