//! Inputs shared by the portfolio subcommands: the price table and the period split.

use std::path::PathBuf;

use optlab_portfolio::data::PriceTable;
use optlab_portfolio::synth::embedded;

/// A price-index range `[start, end)`.
pub(super) type Range = (usize, usize);

/// The prices at `path`, or the embedded generated data when it is `None`.
pub(super) fn load(path: &Option<PathBuf>) -> anyhow::Result<PriceTable> {
    match path {
        Some(p) => Ok(PriceTable::from_csv_path(p)?),
        None => Ok(embedded()),
    }
}

/// Price-index range `[start, end)` of a period for the given split fractions.
pub(super) fn period_range(
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

/// Price-index ranges `[start, end)` of the train, validation and test periods from
/// `FROM,TRAIN_END,VALID_END[,TEST_END]`; each period must hold at least two prices.
pub(super) fn date_split(dates: &[String], spec: &str) -> anyhow::Result<(Range, Range, Range)> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    anyhow::ensure!(
        (3..=4).contains(&parts.len()) && parts.windows(2).all(|w| w[0] < w[1]),
        "--dates {spec:?}: expected FROM,TRAIN_END,VALID_END[,TEST_END] in increasing order"
    );
    // Index of the first price dated after `d` (ISO dates compare as strings).
    let after = |d: &str| {
        dates
            .iter()
            .position(|x| x.as_str() > d)
            .unwrap_or(dates.len())
    };
    let from = dates
        .iter()
        .position(|x| x.as_str() >= parts[0])
        .unwrap_or(dates.len())
        .max(1);
    let (a, b) = (after(parts[1]), after(parts[2]));
    let c = parts.get(3).map_or(dates.len(), |d| after(d));
    let out = ((from, a), (a, b), (b, c));
    for (name, (s, e)) in [("train", out.0), ("valid", out.1), ("test", out.2)] {
        anyhow::ensure!(
            s + 1 < e,
            "--dates {spec:?}: the {name} period has fewer than two prices in the data ({} to {})",
            dates.first().map_or("", |d| d.as_str()),
            dates.last().map_or("", |d| d.as_str())
        );
    }
    Ok(out)
}
