//! `optlab optim pretrain` and `optlab optim forgetting`, and their `optlab reproduce`
//! entries: settings from the command line, tables on standard output.

use std::path::PathBuf;

use anyhow::{bail, Context};
use candle_core::Device;

use optlab_optim::experiments::{
    forgetting, pretrain_comparison, ForgettingOptions, ForgettingReport, PretrainOptions,
    PretrainReport, RunOptions,
};

/// Arguments shared by both experiments.
#[derive(clap::Args, Debug, Clone)]
pub struct ExperimentArgs {
    /// Llama preset (tiny, mini, small); default tiny with --quick, else small.
    #[arg(long)]
    pub size: Option<String>,
    /// Training steps per run (default: 60 with --quick; otherwise 500 for pretrain, 300 for
    /// forgetting).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Sequences per step.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Tokens per sequence.
    #[arg(long, default_value_t = 64)]
    pub seq_len: usize,
    /// Second-moment decay of AdamW, Adam, Adam-mini and MoFO.
    #[arg(long, default_value_t = 0.999)]
    pub beta2: f64,
    /// Adam-mini: one block per whole value tensor (the reference's `wv_names = {}` setting
    /// for short runs) instead of one per output neuron.
    #[arg(long)]
    pub mini_whole_value: bool,
    /// Smaller, faster settings.
    #[arg(long)]
    pub quick: bool,
    /// Seed for initialisation, data and batches.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for the JSON (and SVG) results.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

impl ExperimentArgs {
    fn size(&self) -> String {
        self.size
            .clone()
            .unwrap_or_else(|| if self.quick { "tiny" } else { "small" }.into())
    }

    fn run(&self, steps: usize) -> anyhow::Result<RunOptions> {
        if steps == 0 || self.batch == 0 || self.seq_len == 0 {
            bail!("--steps, --batch and --seq-len must be positive");
        }
        if !(0.0..1.0).contains(&self.beta2) {
            bail!("--beta2 must be in [0, 1), got {}", self.beta2);
        }
        Ok(RunOptions {
            optimizer: "adamw".into(),
            lr: 1e-3,
            weight_decay: 0.1,
            beta2: self.beta2,
            mini_whole_value: self.mini_whole_value,
            steps,
            batch: self.batch,
            seq_len: self.seq_len,
            eval_every: (steps / 6).max(1),
            val_batches: 4,
            clip: 1.0,
            seed: self.seed,
        })
    }
}

/// Experiment (a): AdamW, Adam-mini and Adam over a learning-rate sweep.
pub fn run_pretrain(
    a: ExperimentArgs,
    lrs: Option<Vec<f64>>,
    optimizers: &[String],
) -> anyhow::Result<()> {
    let steps = a.steps.unwrap_or(if a.quick { 60 } else { 500 });
    let size = a.size();
    let lrs = lrs.unwrap_or_else(|| match size.as_str() {
        "small" => vec![4e-4, 8e-4, 1.6e-3],
        _ => vec![1e-3, 3e-3, 1e-2],
    });
    let opts = PretrainOptions {
        size,
        sweep: optimizers
            .iter()
            .map(|n| (n.clone(), lrs.clone()))
            .collect(),
        run: a.run(steps)?,
        corpus_bytes: 400_000,
        init_seed: a.seed,
        out: a.out.clone(),
    };
    let r = pretrain_comparison(&opts, &Device::Cpu, &crate::progress::Bars::new(a.json))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_pretrain(&r);
    }
    Ok(())
}

/// `optlab optim pretrain --merge A.json B.json ...`: one report from several.
pub fn merge_pretrain(a: &ExperimentArgs, files: &[PathBuf]) -> anyhow::Result<()> {
    let mut reports = Vec::with_capacity(files.len());
    for f in files {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read pretrain report {}", f.display()))?;
        let r: PretrainReport = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a pretrain.json report", f.display()))?;
        reports.push(r);
    }
    let r = PretrainReport::merge(reports)?;
    if let Some(dir) = &a.out {
        r.write(dir)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_pretrain(&r);
    }
    Ok(())
}

fn print_pretrain(r: &PretrainReport) {
    println!("pre-training `{}` ({} parameters)", r.model, r.parameters);
    println!("| optimizer | lr | best val loss | final train loss | state MB | seconds |");
    println!("|---|---|---|---|---|---|");
    for run in &r.runs {
        let last = run.train_curve.last().map_or(f64::NAN, |p| p.1);
        let mark = if r.best.iter().any(|(_, i)| std::ptr::eq(&r.runs[*i], run)) {
            " (best)"
        } else {
            ""
        };
        println!(
            "| {}{mark} | {:e} | {:.4} | {last:.4} | {:.2} | {:.1} |",
            run.optimizer,
            run.lr,
            run.best_val,
            run.state_bytes as f64 / 1e6,
            run.seconds
        );
    }
    for (n, rel) in &r.relative_to_adamw {
        println!("{n}: best val loss {:.2}% of AdamW's", rel * 100.0);
    }
}

/// Experiment (b): forgetting of corpus A while fine-tuning on corpus B.
pub fn run_forgetting(a: ExperimentArgs, lrs: Option<Vec<f64>>) -> anyhow::Result<()> {
    let steps = a.steps.unwrap_or(if a.quick { 60 } else { 300 });
    let pre = RunOptions {
        lr: 3e-3,
        ..a.run(2 * steps)?
    };
    let opts = ForgettingOptions {
        size: a.size(),
        pretrain: pre,
        finetune: a.run(steps)?,
        optimizers: vec!["adamw".into(), "adam-mini".into(), "mofo".into()],
        finetune_lrs: lrs.unwrap_or_else(|| vec![3e-4, 1e-3, 3e-3]),
        corpus_bytes: 300_000,
        seed: a.seed,
        out: a.out.clone(),
    };
    let r = forgetting(&opts, &Device::Cpu)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_forgetting(&r);
    }
    Ok(())
}

fn print_forgetting(r: &ForgettingReport) {
    println!(
        "pre-trained: corpus A loss {:.4}, corpus B loss {:.4}",
        r.a_loss_pretrained, r.b_loss_pretrained
    );
    println!("| optimizer | lr | B loss | A loss | A rise | L2 from pre-trained | entries moved |");
    println!("|---|---|---|---|---|---|---|");
    for (i, row) in r.rows.iter().enumerate() {
        let mark = if r.best.iter().any(|(_, b)| *b == i) {
            " (best B)"
        } else {
            ""
        };
        println!(
            "| {}{mark} | {:e} | {:.4} | {:.4} | {:+.4} | {:.3} | {:.1}% |",
            row.optimizer,
            row.lr,
            row.b_loss,
            row.a_loss,
            row.a_rise,
            row.l2_distance,
            row.moved_fraction * 100.0
        );
    }
}

fn reproduce_args(quick: bool, out: &std::path::Path) -> ExperimentArgs {
    ExperimentArgs {
        size: None,
        steps: None,
        batch: 8,
        seq_len: 64,
        beta2: 0.999,
        mini_whole_value: false,
        quick,
        seed: 0,
        out: Some(out.to_path_buf()),
        json: false,
    }
}

/// `optlab reproduce optim-pretrain`: experiment (a) with default settings; returns the
/// best run of each optimizer and its loss relative to AdamW's.
pub fn reproduce_pretrain(quick: bool, out: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let a = reproduce_args(quick, &out.join("optim-pretrain"));
    let all = ["adamw", "adam-mini", "adam"].map(String::from);
    run_pretrain(a.clone(), None, &all)?;
    summary(&a, "pretrain.json")
}

/// `optlab reproduce optim-forgetting`: experiment (b) with default settings.
pub fn reproduce_forgetting(
    quick: bool,
    out: &std::path::Path,
) -> anyhow::Result<serde_json::Value> {
    let a = reproduce_args(quick, &out.join("optim-forgetting"));
    run_forgetting(a.clone(), None)?;
    summary(&a, "forgetting.json")
}

fn summary(a: &ExperimentArgs, file: &str) -> anyhow::Result<serde_json::Value> {
    let dir = a.out.clone().unwrap_or_default();
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path)?;
    let v: serde_json::Value = serde_json::from_str(&text)?;
    let best: Vec<serde_json::Value> = v["best"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|pair| {
                    let i = pair[1].as_u64().unwrap_or(0) as usize;
                    let rows = if v["runs"].is_array() { &v["runs"] } else { &v["rows"] };
                    let r = &rows[i];
                    serde_json::json!({
                        "optimizer": pair[0], "lr": r["lr"], "best_val": r["best_val"],
                        "b_loss": r["b_loss"], "a_rise": r["a_rise"], "l2_distance": r["l2_distance"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(
        serde_json::json!({"results": path, "best": best, "relative_to_adamw": v["relative_to_adamw"]}),
    )
}
