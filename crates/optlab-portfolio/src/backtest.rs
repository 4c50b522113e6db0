//! Daily backtester: rebalance schedule, proportional transaction costs, shorting with a
//! borrow fee, interest on cash, and a decision log for look-ahead checks.
//!
//! Accounting (per day, close to close): holdings grow with the asset's simple return, cash
//! earns `cash_rate/ppy` when positive and pays `margin_rate/ppy` when negative, and every
//! short position pays `borrow_rate/ppy` of its notional at the previous close. On a rebalance
//! day the strategy sees returns up to and including that day's close and returns target
//! weights `w` (fractions of the current value; `1 - sum w` is cash). Holdings become `w * V`
//! and the cost `cost_bps/1e4 * sum |traded value|` is paid from cash. No trade on the last day.

use crate::data::PriceTable;
use crate::error::ensure;
use crate::metrics::{self, Metrics};
use serde::Serialize;

/// Cost parameters (rates are annual, as fractions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Costs {
    /// Proportional cost per unit of traded value, in basis points.
    pub cost_bps: f64,
    /// Annual fee on the notional of short positions.
    pub borrow_rate: f64,
    /// Annual interest earned on positive cash.
    pub cash_rate: f64,
    /// Annual interest paid on negative cash.
    pub margin_rate: f64,
}

impl Default for Costs {
    fn default() -> Self {
        Self {
            cost_bps: 10.0,
            borrow_rate: 0.02,
            cash_rate: 0.0,
            margin_rate: 0.03,
        }
    }
}

/// Backtest settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestConfig {
    /// First price index at which the strategy trades (earlier data is history only).
    pub start: usize,
    /// One past the last price index used (`None` = all).
    pub end: Option<usize>,
    /// Rebalance every this many trading days.
    pub rebalance_every: usize,
    /// Costs.
    pub costs: Costs,
    /// Initial capital.
    pub initial_value: f64,
    /// Trading periods per year.
    pub periods_per_year: f64,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            start: 1,
            end: None,
            rebalance_every: 5,
            costs: Costs::default(),
            initial_value: 1_000_000.0,
            periods_per_year: 252.0,
        }
    }
}

/// A trading rule. `history[k]` holds the simple returns from price `k` to `k + 1`, so at
/// price index `d` the strategy sees exactly `d` rows and never anything later.
pub trait Strategy {
    /// Short name used in reports.
    fn name(&self) -> String;
    /// Target weights, or `None` to keep the current holdings.
    fn decide(&mut self, history: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>>;
}

/// The outcome of a backtest.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestResult {
    /// Strategy name.
    pub name: String,
    /// Dates of the equity curve (first = day before `start`'s trades, i.e. the start date).
    pub dates: Vec<String>,
    /// Initial capital followed by the value at each close from `start` on.
    pub equity: Vec<f64>,
    /// `(price index, weights)` of every rebalance.
    pub decisions: Vec<(usize, Vec<f64>)>,
    /// Turnover of every rebalance.
    pub turnovers: Vec<f64>,
    /// Total transaction costs paid.
    pub total_costs: f64,
    /// Summary metrics.
    pub metrics: Metrics,
}

/// Runs `strategy` over `prices` with `cfg`.
pub fn run(
    prices: &PriceTable,
    strategy: &mut dyn Strategy,
    cfg: &BacktestConfig,
) -> crate::error::Result<BacktestResult> {
    let returns = prices.simple_returns();
    let end = cfg
        .end
        .unwrap_or(prices.prices.len())
        .min(prices.prices.len());
    ensure!(
        cfg.start >= 1 && cfg.start < end,
        "backtest needs 1 <= start ({}) < end ({end})",
        cfg.start
    );
    ensure!(
        cfg.rebalance_every >= 1,
        "rebalance_every must be at least 1"
    );
    let n = prices.n_assets();
    let ppy = cfg.periods_per_year;
    let c = &cfg.costs;
    let mut h = vec![0.0; n];
    let mut cash = cfg.initial_value;
    let mut equity = vec![cfg.initial_value];
    let mut dates = vec![prices.dates[cfg.start].clone()];
    let (mut decisions, mut turnovers, mut total_costs) = (vec![], vec![], 0.0);
    let mut next_rebalance = cfg.start;
    for d in cfg.start..end {
        if d > cfg.start {
            let r = &returns[d - 1];
            let short: f64 = h.iter().filter(|x| **x < 0.0).map(|x| -x).sum();
            let rate = if cash >= 0.0 {
                c.cash_rate
            } else {
                c.margin_rate
            };
            cash += cash * rate / ppy - short * c.borrow_rate / ppy;
            for (x, ri) in h.iter_mut().zip(r) {
                *x *= 1.0 + ri;
            }
        }
        let value = cash + h.iter().sum::<f64>();
        ensure!(
            value > 0.0,
            "{}: portfolio value fell to {value:.2} on {}",
            strategy.name(),
            prices.dates[d]
        );
        if d == next_rebalance && d + 1 < end {
            next_rebalance += cfg.rebalance_every;
            let current: Vec<f64> = h.iter().map(|x| x / value).collect();
            if let Some(w) = strategy.decide(&returns[..d], &current) {
                ensure!(
                    w.len() == n && w.iter().all(|x| x.is_finite()),
                    "{}: bad weights",
                    strategy.name()
                );
                let traded: f64 = w
                    .iter()
                    .zip(&h)
                    .map(|(wi, hi)| (wi * value - hi).abs())
                    .sum();
                let cost = traded * c.cost_bps / 1e4;
                h = w.iter().map(|wi| wi * value).collect();
                cash = value - h.iter().sum::<f64>() - cost;
                total_costs += cost;
                turnovers.push(traded / value);
                decisions.push((d, w));
            }
        }
        equity.push(cash + h.iter().sum::<f64>());
        dates.push(prices.dates[d].clone());
    }
    let metrics = metrics::compute(&equity, &turnovers, ppy);
    Ok(BacktestResult {
        name: strategy.name(),
        dates,
        equity,
        decisions,
        turnovers,
        total_costs,
        metrics,
    })
}

#[cfg(test)]
#[path = "backtest_tests.rs"]
mod tests;
