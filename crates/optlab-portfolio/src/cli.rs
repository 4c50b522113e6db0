//! Command-line front end: `bl` (posterior and weights on the latest window) and `backtest`
//! (baselines on a chosen period with costs; JSON and an SVG of equity and drawdowns).

use crate::backtest::{run as run_backtest, BacktestConfig, BacktestResult, Costs};
use crate::bl::{
    equal_weights, equilibrium_returns, posterior, unconstrained_weights, OmegaSpec, Views,
};
use crate::cov::CovEstimator;
use crate::data::PriceTable;
use crate::qp::{mean_variance, Constraints};
use crate::strategy::{by_name_with, parse_estimator, NAMES};
use crate::synth::embedded;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::PathBuf;

/// `optlab portfolio ...` arguments.
#[derive(Debug, clap::Args)]
pub struct PortfolioArgs {
    /// What to run.
    #[command(subcommand)]
    pub command: PortfolioCommand,
}

/// Portfolio subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PortfolioCommand {
    /// Black-Litterman posterior and weights on the most recent window.
    #[command(
        after_help = "Example:\n  optlab portfolio bl --view S00=0.10 --view S03=-0.05 --confidence 0.5"
    )]
    Bl(BlArgs),
    /// Backtest baselines with costs on the train, validation or test period.
    #[command(
        after_help = "Example:\n  optlab portfolio backtest --prices dow29.csv --strategy all --cost-bps 10 --out runs/dow --json"
    )]
    Backtest(BacktestArgs),
    /// Train the BDA agent (Transformer views, CNN risk aversion; validation selects the step) over
    /// several seeds and test it against the baselines.
    #[command(
        after_help = "Example:\n  optlab portfolio train --prices dow29.csv --seeds 3 --steps 600 --cost-bps 10 --out runs/agent\n  optlab portfolio train --prices dow29.csv --dates 2018-01-01,2020-06-30,2020-12-31,2021-06-22"
    )]
    Train(crate::cli_train::TrainArgs),
}

/// Arguments of `bl`.
#[derive(Debug, clap::Args)]
pub struct BlArgs {
    /// Price CSV (wide or long); the embedded generated data when omitted.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Trailing window in trading days for the covariance.
    #[arg(long, default_value_t = 252)]
    pub lookback: usize,
    /// Absolute view `TICKER=ANNUAL_RETURN` (repeatable).
    #[arg(long = "view")]
    pub views: Vec<String>,
    /// Idzorek confidence in (0, 1] for every view; He-Litterman Omega when omitted.
    #[arg(long)]
    pub confidence: Option<f64>,
    /// Prior uncertainty scale tau.
    #[arg(long, default_value_t = 0.05)]
    pub tau: f64,
    /// Risk aversion delta.
    #[arg(long, default_value_t = 2.5)]
    pub delta: f64,
    /// Gross leverage cap for the long/short QP weights.
    #[arg(long, default_value_t = 1.0)]
    pub gross: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

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

fn load(path: &Option<PathBuf>) -> anyhow::Result<PriceTable> {
    match path {
        Some(p) => PriceTable::from_csv_path(p),
        None => Ok(embedded()),
    }
}

/// Writes `text` to stdout; a closed pipe (e.g. `| head`) is not an error.
/// Append a metrics table of `(name, metrics)` rows to `o`, names padded to `name_width`.
pub(crate) fn write_metrics_table(
    o: &mut String,
    rows: &[(String, crate::metrics::Metrics)],
    name_width: usize,
) -> std::fmt::Result {
    writeln!(
        o,
        "{:<name_width$} {:>9} {:>9} {:>8} {:>7} {:>8} {:>7} {:>7} {:>9} {:>8} {:>8}",
        "strategy",
        "cum_ret",
        "ann_ret",
        "ann_vol",
        "sharpe",
        "sortino",
        "max_dd",
        "calmar",
        "turnover",
        "SR_day",
        "STR_day"
    )?;
    for (name, m) in rows {
        writeln!(
            o,
            "{:<name_width$} {:>9.4} {:>9.4} {:>8.4} {:>7.3} {:>8.3} {:>7.4} {:>7.3} {:>9.4} {:>8.4} {:>8.4}",
            name,
            m.cumulative_return,
            m.annualised_return,
            m.annualised_volatility,
            m.sharpe,
            m.sortino,
            m.max_drawdown,
            m.calmar,
            m.turnover,
            m.sr_period,
            m.str_period
        )?;
    }
    Ok(())
}

/// `(name, metrics)` rows of backtest results.
pub(crate) fn rows(results: &[BacktestResult]) -> Vec<(String, crate::metrics::Metrics)> {
    results
        .iter()
        .map(|r| (r.name.clone(), r.metrics.clone()))
        .collect()
}

pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// Price-index range `[start, end)` of a period for the given split fractions.
pub fn period_range(
    n_prices: usize,
    train: f64,
    valid: f64,
    period: &str,
) -> anyhow::Result<(usize, usize)> {
    anyhow::ensure!(
        train > 0.0 && valid >= 0.0 && train + valid < 1.0,
        "need train > 0, valid >= 0, train + valid < 1"
    );
    let a = ((n_prices as f64 * train) as usize).max(1);
    let b = ((n_prices as f64 * (train + valid)) as usize).max(a + 1);
    let r = match period {
        "train" => (1, a),
        "valid" => (a, b),
        "test" => (b, n_prices),
        other => anyhow::bail!("unknown period {other:?}; expected train, valid or test"),
    };
    anyhow::ensure!(r.0 + 1 < r.1, "period {period} has fewer than two days");
    Ok(r)
}

/// Runs one `optlab portfolio` command.
pub fn run(args: PortfolioArgs) -> anyhow::Result<()> {
    match args.command {
        PortfolioCommand::Bl(a) => run_bl(a),
        PortfolioCommand::Backtest(a) => run_bt(a),
        PortfolioCommand::Train(a) => {
            let t = load(&a.prices)?;
            crate::cli_train::run_train(a, t)
        }
    }
}

fn run_bl(a: BlArgs) -> anyhow::Result<()> {
    let mut o = String::new();
    let t = load(&a.prices)?;
    let r = t.log_returns();
    let n = t.n_assets();
    anyhow::ensure!(
        a.lookback >= 2 && r.len() >= a.lookback,
        "need at least --lookback ({}) returns, have {}",
        a.lookback,
        r.len()
    );
    let w = &r[r.len() - a.lookback..];
    let s = CovEstimator::LedoitWolf.estimate(w);
    let pi = equilibrium_returns(&s, &equal_weights(n), a.delta)?;
    let mut q = vec![];
    let mut p = crate::linalg::Mat::zeros(a.views.len(), n);
    for (k, v) in a.views.iter().enumerate() {
        let (tk, val) = v
            .split_once('=')
            .with_context(|| format!("view {v:?} is not TICKER=RETURN"))?;
        let i = t
            .tickers
            .iter()
            .position(|x| x == tk)
            .with_context(|| format!("unknown ticker {tk:?}"))?;
        let ret: f64 = val
            .parse()
            .with_context(|| format!("bad return in view {v:?}"))?;
        p.set(k, i, 1.0);
        q.push(ret / 252.0);
    }
    let omega = match a.confidence {
        Some(c) => OmegaSpec::Idzorek(vec![c; q.len()]),
        None => OmegaSpec::HeLitterman,
    };
    let views = Views { p, q, omega };
    let post = posterior(&s, &pi, (!views.q.is_empty()).then_some(&views), a.tau)?;
    let raw = unconstrained_weights(&post.mean, &post.cov, a.delta)?;
    let qp = mean_variance(
        &post.mean,
        &post.cov,
        a.delta,
        &Constraints::long_short(n, 1.0, a.gross),
    )?;
    let rows: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"ticker": t.tickers[i], "prior_annual": pi[i] * 252.0,
                "posterior_annual": post.mean[i] * 252.0, "weight_unconstrained": raw[i], "weight_qp": qp[i]})
        })
        .collect();
    if a.json {
        writeln!(
            o,
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"as_of": t.dates.last(), "assets": rows})
            )?
        )?;
    } else {
        writeln!(
            o,
            "{:<8} {:>10} {:>10} {:>12} {:>10}",
            "ticker", "prior", "posterior", "w_uncons", "w_qp"
        )?;
        for i in 0..n {
            writeln!(
                o,
                "{:<8} {:>10.4} {:>10.4} {:>12.4} {:>10.4}",
                t.tickers[i],
                pi[i] * 252.0,
                post.mean[i] * 252.0,
                raw[i],
                qp[i]
            )?;
        }
    }
    emit(&o)
}

fn run_bt(a: BacktestArgs) -> anyhow::Result<()> {
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
            crate::svg::equity_svg(&results, &title),
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

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
