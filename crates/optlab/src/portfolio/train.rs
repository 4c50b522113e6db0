//! `optlab portfolio train`: fit the BL agent on the training period for several seeds, select
//! on validation, and backtest agents and baselines on the untouched test period with costs.
//!
//! The default agent is BDA ([`optlab_portfolio::bda`]); its direct-weights twin (same
//! Transformer, no BL step) is the DRL baseline. `--agent linear` keeps the older shared linear
//! policy with fixed risk aversion ([`optlab_portfolio::agent`]) and its direct variant.
//! Baselines: those of [`optlab_portfolio::strategy`] (weekly) and the OLPS rules of
//! [`optlab_portfolio::olps`] (daily).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use optlab_portfolio::agent::AgentConfig;
use optlab_portfolio::agent_train::{train, DrlBl};
use optlab_portfolio::backtest::{run as run_backtest, BacktestConfig, BacktestResult, Costs};
use optlab_portfolio::bda::BdaConfig;
use optlab_portfolio::bda_train::{train_bda, BdaTrainConfig};
use optlab_portfolio::data::PriceTable;
use optlab_portfolio::metrics::mean_metrics;
use optlab_portfolio::olps::{self, OLPS_NAMES};
use optlab_portfolio::strategy::{by_name, NAMES};

use crate::progress::Bars;
use optlab_core::report::Reporter;

use super::input::{date_split, period_range, Range};
use super::table::{emit, rows, write_metrics_table, Row};

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Price CSV (wide or long); the embedded generated data when omitted.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Number of seeds (0, 1, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Agent: `bda` (Transformer views + CNN risk aversion) or `linear` (older linear policy).
    #[arg(long, default_value = "bda")]
    pub agent: String,
    /// BDA: gradient steps per seed.
    #[arg(long, default_value_t = 600)]
    pub steps: usize,
    /// BDA: decision dates per mini-batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// BDA: AdamW learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// BDA: past 5-day periods in the state (Transformer tokens).
    #[arg(long, default_value_t = 12)]
    pub m: usize,
    /// BDA: covariance window in days.
    #[arg(long, default_value_t = 60)]
    pub cov_lookback: usize,
    /// BDA: Transformer width.
    #[arg(long, default_value_t = 32)]
    pub d_model: usize,
    /// BDA: Transformer layers.
    #[arg(long, default_value_t = 2)]
    pub layers: usize,
    /// BDA: prior uncertainty scale tau.
    #[arg(long, default_value_t = 0.05)]
    pub tau: f64,
    /// BDA: gross exposure of every decision.
    #[arg(long, default_value_t = 0.5)]
    pub gross: f64,
    /// Reward variance penalty z1.
    #[arg(long, default_value_t = 2.5)]
    pub z1: f64,
    /// Reward turnover penalty z2; the cost rate (cost-bps / 1e4) when omitted.
    #[arg(long)]
    pub z2: Option<f64>,
    /// Linear agent: training epochs per seed.
    #[arg(long, default_value_t = 60)]
    pub epochs: usize,
    /// Proportional transaction cost in basis points.
    #[arg(long, default_value_t = 10.0)]
    pub cost_bps: f64,
    /// Annual borrow fee on short notional, in basis points.
    #[arg(long, default_value_t = 200.0)]
    pub borrow_bps: f64,
    /// Fraction of days in the training period.
    #[arg(long, default_value_t = 0.6)]
    pub train: f64,
    /// Fraction of days in the validation period.
    #[arg(long, default_value_t = 0.2)]
    pub valid: f64,
    /// Date split instead of fractions: `FROM,TRAIN_END,VALID_END[,TEST_END]` (ISO dates; each
    /// period ends on its last trading day on or before the date; earlier prices are history).
    #[arg(long)]
    pub dates: Option<String>,
    /// Directory for train.json and equity.svg.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Trains and backtests one agent family over all seeds: results and per-seed training JSON.
fn bda_family(
    a: &TrainArgs,
    t: &PriceTable,
    (tr, va): (Range, Range),
    bt: &BacktestConfig,
    direct: bool,
) -> anyhow::Result<(Vec<BacktestResult>, Vec<serde_json::Value>)> {
    let cfg = BdaConfig {
        m: a.m,
        cov_lookback: a.cov_lookback,
        tau: a.tau,
        gross: a.gross,
        d_model: a.d_model,
        layers: a.layers,
        direct,
        ..BdaConfig::default()
    };
    let tc = BdaTrainConfig {
        steps: a.steps,
        batch: a.batch,
        lr: a.lr,
        z1: a.z1,
        z2: a.z2.unwrap_or(a.cost_bps / 1e4),
        ..BdaTrainConfig::default()
    };
    let returns = t.simple_returns();
    let log = Bars::new(a.json);
    let (mut results, mut reports) = (vec![], vec![]);
    for seed in 0..a.seeds {
        let (mut agent, rep) = train_bda(&returns, tr, va, &cfg, &tc, seed, &log)
            .with_context(|| format!("training seed {seed}"))?;
        let mut r = run_backtest(t, &mut agent, bt)?;
        r.name = format!("{}_seed{seed}", if direct { "tf_direct" } else { "bda" });
        log.log(&format!(
            "{}: best step {} ({:.1} s)",
            r.name, rep.best_step, rep.seconds
        ));
        results.push(r);
        reports.push(serde_json::json!({"agent": cfg, "train": tc, "report": rep}));
    }
    Ok((results, reports))
}

/// The older linear agent (`direct` = its weights-only variant) over all seeds.
fn linear_family(
    a: &TrainArgs,
    t: &PriceTable,
    (tr, va): (Range, Range),
    bt: &BacktestConfig,
    direct: bool,
) -> anyhow::Result<(Vec<BacktestResult>, Vec<serde_json::Value>)> {
    let cfg = AgentConfig {
        epochs: a.epochs,
        z2: a.z2.unwrap_or(a.cost_bps / 1e4),
        direct,
        ..AgentConfig::default()
    };
    let returns = t.simple_returns();
    let (mut results, mut reports) = (vec![], vec![]);
    for seed in 0..a.seeds {
        let rep = train(&returns, tr, va, &cfg, seed).with_context(|| format!("seed {seed}"))?;
        let mut agent = DrlBl {
            policy: rep.policy.clone(),
            cfg: cfg.clone(),
        };
        let mut r = run_backtest(t, &mut agent, bt)?;
        r.name = format!(
            "{}_seed{seed}",
            if direct { "drl_direct" } else { "drl_bl" }
        );
        results.push(r);
        reports.push(
            serde_json::json!({"agent": cfg, "seed": seed, "best_epoch": rep.best_epoch,
            "valid_reward_best": rep.valid_reward.get(rep.best_epoch), "theta": rep.policy.theta}),
        );
    }
    Ok((results, reports))
}

/// Mean net and gross exposure of a result's rebalances (`[0, 0]` when it never traded).
fn exposure(r: &BacktestResult) -> [f64; 2] {
    let k = r.decisions.len().max(1) as f64;
    let net: f64 = r.decisions.iter().map(|(_, w)| w.iter().sum::<f64>()).sum();
    let gross: f64 = r
        .decisions
        .iter()
        .map(|(_, w)| w.iter().map(|x| x.abs()).sum::<f64>())
        .sum();
    [net / k, gross / k]
}

/// The train, validation and test ranges from `--dates` or the split fractions.
fn splits(a: &TrainArgs, t: &PriceTable) -> anyhow::Result<(Range, Range, Range)> {
    let n = t.prices.len();
    Ok(match &a.dates {
        Some(spec) => date_split(&t.dates, spec)?,
        None => (
            period_range(n, a.train, a.valid, "train")?,
            period_range(n, a.train, a.valid, "valid")?,
            period_range(n, a.train, a.valid, "test")?,
        ),
    })
}

/// Every baseline on the test backtest `bt`: the strategies weekly, the OLPS rules daily.
fn baselines(t: &PriceTable, bt: &BacktestConfig) -> anyhow::Result<Vec<BacktestResult>> {
    let mut out = vec![];
    for name in NAMES {
        out.push(run_backtest(t, by_name(name, t.n_assets())?.as_mut(), bt)?);
    }
    // The OLPS baselines of the paper's table trade daily, as in that literature.
    let daily = BacktestConfig {
        rebalance_every: 1,
        ..bt.clone()
    };
    for name in OLPS_NAMES {
        if let Some(mut s) = olps::by_name(name, t.n_assets()) {
            let mut r = run_backtest(t, &mut s, &daily)?;
            r.name = format!("{name}_daily");
            out.push(r);
        }
    }
    Ok(out)
}

/// Table rows: each agent family's seeds and their mean, then the baselines.
fn table_rows(families: [&[BacktestResult]; 2], baselines: &[BacktestResult]) -> Vec<Row> {
    let mut table = vec![];
    for fam in families {
        table.extend(rows(fam));
        let ms: Vec<_> = fam.iter().map(|r| &r.metrics).collect();
        if let (Some(m), Some(first)) = (mean_metrics(&ms), fam.first()) {
            let base = first.name.trim_end_matches("_seed0");
            table.push((format!("{base}_mean{}", ms.len()), m));
        }
    }
    table.extend(rows(baselines));
    table
}

/// Runs `train` on the prices `t`.
pub(super) fn run_train(a: TrainArgs, t: PriceTable) -> anyhow::Result<()> {
    let mut o = String::new();
    let (tr, va, te) = splits(&a, &t)?;
    anyhow::ensure!(a.seeds >= 1, "--seeds must be at least 1");
    let bt = BacktestConfig {
        start: te.0,
        end: Some(te.1),
        rebalance_every: 5,
        costs: Costs {
            cost_bps: a.cost_bps,
            borrow_rate: a.borrow_bps / 1e4,
            ..Costs::default()
        },
        ..BacktestConfig::default()
    };
    let family = match a.agent.as_str() {
        "bda" => bda_family,
        "linear" => linear_family,
        other => anyhow::bail!("unknown --agent {other:?}; expected bda or linear"),
    };
    let (agent, agent_rep) = family(&a, &t, (tr, va), &bt, false)?;
    let (direct, direct_rep) = family(&a, &t, (tr, va), &bt, true)?;
    let baselines = baselines(&t, &bt)?;
    let table = table_rows([&agent, &direct], &baselines);
    let summary = serde_json::json!({
        "train": [t.dates[tr.0], t.dates[tr.1 - 1]], "valid": [t.dates[va.0], t.dates[va.1 - 1]],
        "test": [t.dates[te.0], t.dates[te.1 - 1]], "agent": a.agent, "backtest": bt,
        "training": agent_rep, "training_direct": direct_rep,
        "results": table.iter().map(|(name, m)| serde_json::json!({"strategy": name, "metrics": m})).collect::<Vec<_>>(),
        "total_costs": agent.iter().chain(&direct).chain(&baselines)
            .map(|r| (r.name.clone(), r.total_costs)).collect::<std::collections::BTreeMap<_, _>>(),
        // Mean net (sum w) and gross (sum |w|) exposure over each strategy's rebalances.
        "exposure": agent.iter().chain(&direct).chain(&baselines)
            .map(|r| (r.name.clone(), exposure(r))).collect::<std::collections::BTreeMap<_, _>>(),
    });
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(
            dir.join("train.json"),
            serde_json::to_string_pretty(&summary)?,
        )?;
        let title = format!("test period {} to {}", t.dates[te.0], t.dates[te.1 - 1]);
        let mut shown: Vec<BacktestResult> = vec![agent[0].clone(), direct[0].clone()];
        shown.extend(baselines.iter().cloned());
        std::fs::write(
            dir.join("equity.svg"),
            optlab_portfolio::svg::equity_svg(&shown, &title),
        )?;
    }
    if a.json {
        writeln!(o, "{}", serde_json::to_string_pretty(&summary)?)?;
        return emit(&o);
    }
    writeln!(
        o,
        "train {}..{}  valid {}..{}  test {}..{} ({} assets, cost {} bps, agent {})",
        t.dates[tr.0],
        t.dates[tr.1 - 1],
        t.dates[va.0],
        t.dates[va.1 - 1],
        t.dates[te.0],
        t.dates[te.1 - 1],
        t.n_assets(),
        a.cost_bps,
        a.agent
    )?;
    write_metrics_table(&mut o, &table, 18)?;
    emit(&o)
}
