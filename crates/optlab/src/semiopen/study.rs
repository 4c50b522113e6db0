//! The semi-open study (`optlab semiopen experiment`, `optlab reproduce semiopen`): runs the
//! library's experiment with optlab-optim's AdamW, writes `report.json` and `table.txt`,
//! and prints the report.

use std::path::Path;

use anyhow::Result;
use optlab_core::params::ParamStore;
use optlab_core::report::Reporter;
use optlab_core::train::TrainOptimizer;
use optlab_optim::{AdamW, OptimConfig};
use optlab_semiopen::experiment::{self, ExperimentConfig, ExperimentReport};

use super::output::print;
use super::tables::render;
use crate::progress::Bars;

/// The optimizer of every semi-open training run: AdamW (betas 0.9/0.999, eps 1e-8, no
/// decay on norms and biases) with the run's weight decay.
pub(super) fn adamw(
    store: &ParamStore,
    weight_decay: f64,
) -> optlab_core::Result<Box<dyn TrainOptimizer>> {
    let cfg = OptimConfig {
        weight_decay,
        ..OptimConfig::default()
    };
    Ok(Box::new(AdamW::new(store, cfg)?))
}

/// Run the study in `out`, then write `report.json` and `table.txt` there.
fn run_study(
    cfg: &ExperimentConfig,
    out: &Path,
    reporter: &dyn Reporter,
) -> Result<ExperimentReport> {
    let report = experiment::run(cfg, out, &adamw, reporter)?;
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out.join("table.txt"), render(&report))?;
    Ok(report)
}

/// `optlab semiopen experiment`.
pub(super) fn experiment(quick: bool, out: &Path, json: bool) -> Result<()> {
    let r = run_study(&ExperimentConfig::preset(quick), out, &Bars::new(json))?;
    print(json, &r, &render(&r))
}

/// Entry point for `optlab reproduce`: runs the quick or full preset in `out/semiopen` and
/// returns the headline figures.
pub fn reproduce(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let dir = out.join("semiopen");
    let r = run_study(&ExperimentConfig::preset(quick), &dir, &Bars::new(false))?;
    println!("{}", render(&r));
    let k = r.plan.chosen_k;
    Ok(serde_json::json!({
        "chosen_k": k,
        "layers": r.plan.num_layers,
        "closed_fraction": k.map(|k| r.plan.rows[k - 1].closed_fraction),
        "chosen_k_resists_like_all_layers": r.chosen_k_resists_like_all_layers,
        "summary": r.summary,
        "report": dir.join("report.json"),
        "seconds": r.seconds,
    }))
}
