//! `train`: fit the BL-views agent on the training period for several seeds, select epochs on
//! validation, and backtest agents and baselines on the untouched test period with costs.

use crate::agent::AgentConfig;
use crate::agent_train::{train, DrlBl};
use crate::backtest::{run as run_backtest, BacktestConfig, BacktestResult, Costs};
use crate::cli::period_range;
use crate::cli::{emit, write_metrics_table};
use crate::data::PriceTable;
use crate::strategy::{by_name, NAMES};
use anyhow::Context;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Price CSV (wide or long); the embedded generated data when omitted.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Number of seeds (0, 1, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Training epochs per seed.
    #[arg(long, default_value_t = 60)]
    pub epochs: usize,
    /// Proportional transaction cost in basis points (also the reward's turnover penalty).
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
    /// Directory for train.json and equity.svg.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `train`.
pub fn run_train(a: TrainArgs, t: PriceTable) -> anyhow::Result<()> {
    let mut o = String::new();
    let n = t.prices.len();
    let tr = period_range(n, a.train, a.valid, "train")?;
    let va = period_range(n, a.train, a.valid, "valid")?;
    let te = period_range(n, a.train, a.valid, "test")?;
    let cfg = AgentConfig {
        epochs: a.epochs,
        z2: a.cost_bps / 1e4,
        ..AgentConfig::default()
    };
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
    let returns = t.simple_returns();
    let mut results: Vec<BacktestResult> = vec![];
    let mut reports = vec![];
    for seed in 0..a.seeds {
        let rep = train(&returns, tr, va, &cfg, seed).with_context(|| format!("seed {seed}"))?;
        let mut agent = DrlBl {
            policy: rep.policy.clone(),
            cfg: cfg.clone(),
        };
        let mut r = run_backtest(&t, &mut agent, &bt)?;
        r.name = format!("drl_bl_seed{seed}");
        results.push(r);
        reports.push(rep);
    }
    // Baseline: the same agent without the BL step (its policy outputs the weights directly).
    let direct = AgentConfig {
        direct: true,
        ..cfg.clone()
    };
    for seed in 0..a.seeds {
        let rep = train(&returns, tr, va, &direct, seed)
            .with_context(|| format!("direct seed {seed}"))?;
        let mut agent = DrlBl {
            policy: rep.policy.clone(),
            cfg: direct.clone(),
        };
        let mut r = run_backtest(&t, &mut agent, &bt)?;
        r.name = format!("drl_direct_seed{seed}");
        results.push(r);
    }
    for name in NAMES {
        results.push(run_backtest(
            &t,
            by_name(name, t.n_assets())?.as_mut(),
            &bt,
        )?);
    }
    let summary = serde_json::json!({
        "train": [t.dates[tr.0], t.dates[tr.1 - 1]], "valid": [t.dates[va.0], t.dates[va.1 - 1]],
        "test": [t.dates[te.0], t.dates[te.1 - 1]], "agent": cfg, "backtest": bt,
        "training": reports.iter().map(|r| serde_json::json!({"seed": r.seed, "best_epoch": r.best_epoch,
            "train_reward_first": r.train_reward.first(), "train_reward_best": r.train_reward.get(r.best_epoch),
            "valid_reward_best": r.valid_reward.get(r.best_epoch), "theta": r.policy.theta})).collect::<Vec<_>>(),
        "results": results.iter().map(|r| serde_json::json!({"strategy": r.name, "metrics": r.metrics, "total_costs": r.total_costs})).collect::<Vec<_>>(),
    });
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(
            dir.join("train.json"),
            serde_json::to_string_pretty(&summary)?,
        )?;
        let title = format!("test period {} to {}", t.dates[te.0], t.dates[te.1 - 1]);
        std::fs::write(
            dir.join("equity.svg"),
            crate::svg::equity_svg(&results, &title),
        )?;
    }
    if a.json {
        writeln!(o, "{}", serde_json::to_string_pretty(&summary)?)?;
        return emit(&o);
    }
    writeln!(
        o,
        "train {}..{}  valid {}..{}  test {}..{} ({} assets, cost {} bps)",
        t.dates[tr.0],
        t.dates[tr.1 - 1],
        t.dates[va.0],
        t.dates[va.1 - 1],
        t.dates[te.0],
        t.dates[te.1 - 1],
        t.n_assets(),
        a.cost_bps
    )?;
    for r in &reports {
        writeln!(
            o,
            "seed {}: best epoch {} valid reward {:.3e}",
            r.seed, r.best_epoch, r.valid_reward[r.best_epoch]
        )?;
    }
    write_metrics_table(&mut o, &results, 16)?;
    emit(&o)
}
