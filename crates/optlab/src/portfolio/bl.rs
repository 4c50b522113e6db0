//! `optlab portfolio bl`: the Black-Litterman posterior and weights on the latest window.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use optlab_portfolio::bl::{
    equal_weights, equilibrium_returns, posterior, unconstrained_weights, OmegaSpec, Views,
};
use optlab_portfolio::cov::CovEstimator;
use optlab_portfolio::linalg::Mat;
use optlab_portfolio::qp::{mean_variance, Constraints};

use super::input::load;
use super::table::emit;

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

/// Runs `bl`.
pub(super) fn run_bl(a: BlArgs) -> anyhow::Result<()> {
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
    let mut p = Mat::zeros(a.views.len(), n);
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
