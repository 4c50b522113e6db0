//! Plain-text output of the portfolio subcommands: the metrics table and stdout writing.

use std::fmt::Write as _;

use optlab_portfolio::backtest::BacktestResult;
use optlab_portfolio::metrics::Metrics;

/// One table row: a strategy's name and its metrics.
pub(super) type Row = (String, Metrics);

/// Append a metrics table of `(name, metrics)` rows to `o`, names padded to `name_width`.
pub(super) fn write_metrics_table(
    o: &mut String,
    rows: &[Row],
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
pub(super) fn rows(results: &[BacktestResult]) -> Vec<Row> {
    results
        .iter()
        .map(|r| (r.name.clone(), r.metrics.clone()))
        .collect()
}

/// Writes `text` to stdout; a closed pipe (e.g. `| head`) is not an error.
pub(super) fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}
