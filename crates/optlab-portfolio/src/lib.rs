//! optlab-portfolio: price data and validation, return and covariance estimators,
//! Black-Litterman, mean-variance weights by QP (Clarabel), a backtester with costs,
//! baselines, performance metrics, and the BDA agent (a Transformer and a CNN that set the
//! Black-Litterman views and risk aversion, trained by analytic policy gradient).
#![warn(missing_docs)]

pub mod agent;
pub mod agent_train;
pub mod backtest;
pub mod bda;
pub mod bda_map;
pub mod bda_train;
pub mod bl;
pub mod cli;
pub mod cli_train;
pub mod cov;
pub mod data;
pub mod linalg;
pub mod metrics;
pub mod olps;
pub mod qp;
pub mod strategy;
pub mod svg;
pub mod synth;
