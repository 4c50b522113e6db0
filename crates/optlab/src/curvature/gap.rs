//! `optlab curvature gap` and `optlab reproduce curvature-gap`: the heterogeneity score
//! against the SGD-momentum/Adam loss gap, as a table or JSON, and `gap.json`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use optlab_curvature::gap::{best_run, gap_experiment, GapOptions, GapReport, GapRow};
use optlab_curvature::objective::ModelKind;

use super::model_arg::ModelArg;
use crate::progress::Bars;

/// Options of `optlab curvature gap`.
#[derive(Debug, Clone, clap::Args)]
pub struct GapOpts {
    /// Small settings (1 probe x 10 Lanczos steps, sampled transformer blocks, 60 training
    /// steps, 3 learning rates per optimizer).
    #[arg(long)]
    pub quick: bool,
    /// Models to run.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [ModelArg::Mlp, ModelArg::Cnn, ModelArg::Transformer])]
    pub models: Vec<ModelArg>,
    /// Training steps per run (default 400, quick 60).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Seed of weights, data and probes.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for gap.json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Run `optlab curvature gap`.
pub fn run(o: &GapOpts) -> Result<()> {
    let options = GapOptions {
        quick: o.quick,
        models: o.models.iter().map(|&m| m.into()).collect(),
        steps: o.steps,
        seed: o.seed,
    };
    let report = execute(&options, o.out.as_deref(), o.json)?;
    if o.json {
        println!("{}", serde_json::to_string_pretty(&report.rows)?);
    } else {
        print_rows(report.steps, &report.rows);
    }
    Ok(())
}

/// `optlab reproduce curvature-gap`: all three models; returns the table as JSON.
pub fn reproduce(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let options = GapOptions {
        quick,
        models: ModelKind::ALL.to_vec(),
        steps: None,
        seed: 0,
    };
    let dir = out.join("curvature-gap");
    let report = execute(&options, Some(&dir), true)?;
    let table: Vec<serde_json::Value> = report
        .rows
        .iter()
        .map(|r| serde_json::json!({"model": r.model, "heterogeneity": r.heterogeneity, "gap": r.gap, "best_sgdm": best_run(&r.sgdm), "best_adam": best_run(&r.adam), "initial_loss": r.initial_loss}))
        .collect();
    Ok(serde_json::json!({"steps": report.steps, "rows": table, "out": Some(dir)}))
}

/// Compute every row and write gap.json into `out` when given.
fn execute(options: &GapOptions, out: Option<&Path>, quiet: bool) -> Result<GapReport> {
    let report = gap_experiment(options, &Bars::new(quiet))?;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join("gap.json");
        std::fs::write(&path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(report)
}

/// `*` when `lr` is the first or last learning rate of the sweep `v`.
fn edge(v: &[(f64, f64)], lr: f64) -> &'static str {
    if v.first().is_some_and(|x| x.0 == lr) || v.last().is_some_and(|x| x.0 == lr) {
        "*"
    } else {
        " "
    }
}

fn print_rows(steps: usize, rows: &[GapRow]) {
    println!(
        "{:<12} {:>7} {:>14} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "model",
        "blocks",
        "heterogeneity",
        "init loss",
        "SGDM lr",
        "SGDM loss",
        "Adam lr",
        "Adam loss",
        "gap"
    );
    for r in rows {
        let (sl, s) = best_run(&r.sgdm);
        let (al, a) = best_run(&r.adam);
        println!(
            "{:<12} {:>7} {:>14.4} {:>10.4} {:>9.0e}{} {:>10.4} {:>9.0e}{} {:>10.4} {:>8.4}",
            r.model.name(),
            r.blocks.len(),
            r.heterogeneity,
            r.initial_loss,
            sl,
            edge(&r.sgdm, sl),
            s,
            al,
            edge(&r.adam, al),
            a,
            r.gap
        );
    }
    println!("* best learning rate at the edge of its sweep");
    println!("gap = best SGD-momentum loss − best Adam loss on a held-out batch after {steps} steps (positive: Adam better)");
}
