//! `optlab portfolio backtest`: baselines with costs on the train, validation or test period.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use optlab_portfolio::backtest::{run as run_backtest, BacktestConfig, BacktestResult, Costs};
use optlab_portfolio::strategy::{by_name_with, parse_estimator, NAMES};

use super::input::{load, period_range};
use super::table::{emit, rows, write_metrics_table};

/// Arguments of `backtest`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// Price CSV (wide or long); the embedded generated data when omitted.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Strategy name or `all`.
    #[arg(long, default_value = "all")]
    pub strategy: String,
    /// Proportional transaction cost in basis points of traded value.
    #[arg(long, default_value_t = 10.0)]
    pub cost_bps: f64,
    /// Annual borrow fee on short notional, in basis points.
    #[arg(long, default_value_t = 200.0)]
    pub borrow_bps: f64,
    /// Covariance estimator of the baselines: sample, lw or ewma:HALFLIFE.
    #[arg(long, default_value = "lw")]
    pub cov: String,
    /// Rebalance every N trading days.
    #[arg(long, default_value_t = 5)]
    pub rebalance: usize,
    /// Fraction of days in the training period.
    #[arg(long, default_value_t = 0.6)]
    pub train: f64,
    /// Fraction of days in the validation period.
    #[arg(long, default_value_t = 0.2)]
    pub valid: f64,
    /// Period to trade: train, valid or test (earlier data is history only).
    #[arg(long, default_value = "test")]
    pub period: String,
    /// Directory for results.json and equity.svg.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `backtest`.
pub(super) fn run_bt(a: BacktestArgs) -> anyhow::Result<()> {
    let mut o = String::new();
    let t = load(&a.prices)?;
    let (start, end) = period_range(t.prices.len(), a.train, a.valid, &a.period)?;
    let est = parse_estimator(&a.cov)?;
    let names: Vec<&str> = if a.strategy == "all" {
        NAMES.to_vec()
    } else {
        vec![a.strategy.as_str()]
    };
    let cfg = BacktestConfig {
        start,
        end: Some(end),
        rebalance_every: a.rebalance,
        costs: Costs {
            cost_bps: a.cost_bps,
            borrow_rate: a.borrow_bps / 1e4,
            ..Costs::default()
        },
        ..BacktestConfig::default()
    };
    let mut results: Vec<BacktestResult> = vec![];
    for name in names {
        let mut s = by_name_with(name, t.n_assets(), est)?;
        results.push(run_backtest(&t, s.as_mut(), &cfg)?);
    }
    let summary = serde_json::json!({
        "period": a.period, "from": t.dates[start], "to": t.dates[end - 1], "config": cfg,
        "results": results.iter().map(|r| serde_json::json!({"strategy": r.name, "metrics": r.metrics, "total_costs": r.total_costs})).collect::<Vec<_>>(),
    });
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut full = summary.clone();
        full["equity"] = serde_json::json!(results
            .iter()
            .map(|r| (r.name.clone(), r.equity.clone()))
            .collect::<std::collections::BTreeMap<_, _>>());
        std::fs::write(
            dir.join("results.json"),
            serde_json::to_string_pretty(&full)?,
        )?;
        let title = format!(
            "{} period {} to {}",
            a.period,
            t.dates[start],
            t.dates[end - 1]
        );
        std::fs::write(
            dir.join("equity.svg"),
            optlab_portfolio::svg::equity_svg(&results, &title),
        )?;
    }
    if a.json {
        writeln!(o, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        writeln!(
            o,
            "{} period {} to {} ({} assets, cost {} bps)",
            a.period,
            t.dates[start],
            t.dates[end - 1],
            t.n_assets(),
            a.cost_bps
        )?;
        write_metrics_table(&mut o, &rows(&results), 14)?;
    }
    emit(&o)
}
