//! The semi-open study (`optlab semiopen experiment`, `optlab reproduce semiopen`): runs the
//! library's experiment with optlab-optim's AdamW, writes `report.json` and `table.txt`,
//! and renders the report as text.

use std::path::Path;

use anyhow::Result;
use optlab_core::params::ParamStore;
use optlab_core::report::Reporter;
use optlab_core::train::TrainOptimizer;
use optlab_optim::{AdamW, OptimConfig};
use optlab_semiopen::customise::customise_table;
use optlab_semiopen::experiment::{self, ExperimentConfig, ExperimentReport};
use optlab_semiopen::metric::plan_table;
use optlab_semiopen::sweep::{attack_table, Closed};

use super::output::print;
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
fn run_study(cfg: &ExperimentConfig, out: &Path, reporter: &dyn Reporter) -> Result<ExperimentReport> {
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

/// The report as text: metric table, attack table, customisation, verdict.
fn render(r: &ExperimentReport) -> String {
    let mut s = plan_table(&r.plan);
    s += "\nrecovery attacks (held-out task data; acc ratio = recovered / original next-token accuracy)\n";
    s += &attack_table(&r.summary, r.original, r.random);
    s += "\ncustomisation on the downstream task (held-out loss / accuracy)\n";
    s += &customise_table(&r.customisation);
    s += &verdict(r);
    s
}

fn verdict(r: &ExperimentReport) -> String {
    let layers = r.plan.num_layers;
    let k = r.plan.chosen_k.unwrap_or(layers);
    let find = |kk: usize| {
        r.summary
            .iter()
            .find(|x| x.closed == Closed::Bottom(kk) && x.init == "random")
    };
    let head = match r.plan.chosen_k {
        Some(k) => format!("chosen k = {k} of {layers} layers"),
        None => format!("no k meets the rule; k = {layers} (all layers) used"),
    };
    match (find(k), find(layers)) {
        (Some(a), Some(b)) => format!(
            "\n{head}: {:.1}% of parameters closed (all layers: {:.1}%). Recovered accuracy ratio \
             {:.3} (sd {:.3}) at k = {k} vs {:.3} (sd {:.3}) with all {layers} layers closed: \
             the chosen k {} as well as closing all layers.\n",
            100.0 * a.closed_fraction,
            100.0 * b.closed_fraction,
            a.accuracy_ratio.0,
            a.accuracy_ratio.1,
            b.accuracy_ratio.0,
            b.accuracy_ratio.1,
            if r.chosen_k_resists_like_all_layers == Some(true) {
                "resisted"
            } else {
                "did not resist"
            }
        ),
        _ => format!("\n{head}\n"),
    }
}
