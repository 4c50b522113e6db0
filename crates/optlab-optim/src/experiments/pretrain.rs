//! Experiment (a): pre-train the same model from the same initialisation with AdamW,
//! Adam-mini and Adam, each over a learning-rate sweep, and compare the best runs.

use std::path::PathBuf;

use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::report::Reporter;
use optlab_core::svg::{line_chart, Chart, Series};
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::{CoreError, Result};

use super::run::{train_run, write_json, RunOptions, RunResult};

/// Settings of the pre-training comparison.
#[derive(Debug, Clone)]
pub struct PretrainOptions {
    /// Llama preset (`tiny`, `mini`, `small`).
    pub size: String,
    /// Optimizers and the learning rates each is swept over.
    pub sweep: Vec<(String, Vec<f64>)>,
    /// Training settings shared by every run (optimizer and lr are overwritten).
    pub run: RunOptions,
    /// Bytes of the embedded corpus to train on.
    pub corpus_bytes: usize,
    /// Model initialisation seed (the same for every run).
    pub init_seed: u64,
    /// Folder for `pretrain.json` and `pretrain.svg` (none: write nothing).
    pub out: Option<PathBuf>,
}

/// Every run, and the best one per optimizer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PretrainReport {
    /// Model preset and parameter count.
    pub model: String,
    /// Parameters of the model.
    pub parameters: usize,
    /// Every (optimizer, lr) run.
    pub runs: Vec<RunResult>,
    /// Index into `runs` of each optimizer's best run (lowest best validation loss).
    pub best: Vec<(String, usize)>,
    /// Each optimizer's best validation loss relative to AdamW's (1.0 = equal), if AdamW ran.
    pub relative_to_adamw: Vec<(String, f64)>,
}

impl PretrainReport {
    /// The report of `runs`: each optimizer's best run (in order of first appearance) and the
    /// ratios to AdamW's best.
    pub fn from_runs(model: String, parameters: usize, runs: Vec<RunResult>) -> Self {
        let mut best: Vec<(String, usize)> = Vec::new();
        for (i, r) in runs.iter().enumerate() {
            match best.iter_mut().find(|(n, _)| *n == r.optimizer) {
                Some(b) if r.best_val < runs[b.1].best_val => b.1 = i,
                Some(_) => {}
                None => best.push((r.optimizer.clone(), i)),
            }
        }
        let adamw = best
            .iter()
            .find(|(n, _)| n == "adamw")
            .map(|&(_, i)| runs[i].best_val);
        let relative_to_adamw = match adamw {
            Some(a) => best
                .iter()
                .map(|(n, i)| (n.clone(), runs[*i].best_val / a))
                .collect(),
            None => Vec::new(),
        };
        Self {
            model,
            parameters,
            runs,
            best,
            relative_to_adamw,
        }
    }

    /// One report from several `pretrain.json` reports of the same model (e.g. one process
    /// per optimizer run side by side); errors if the models differ.
    pub fn merge(reports: Vec<PretrainReport>) -> Result<Self> {
        let Some(first) = reports.first() else {
            return Err(CoreError::Config("no reports to merge".into()));
        };
        let (model, parameters) = (first.model.clone(), first.parameters);
        let mut runs = Vec::new();
        for r in reports {
            if r.model != model || r.parameters != parameters {
                return Err(CoreError::Config(format!(
                    "cannot merge a `{}` report ({} parameters) into a `{model}` one ({parameters})",
                    r.model, r.parameters
                )));
            }
            runs.extend(r.runs);
        }
        Ok(Self::from_runs(model, parameters, runs))
    }

    /// Write `pretrain.json` and `pretrain.svg` into `dir`.
    pub fn write(&self, dir: &std::path::Path) -> Result<()> {
        write_json(dir, "pretrain.json", self)?;
        let path = dir.join("pretrain.svg");
        std::fs::write(&path, pretrain_svg(self)).map_err(CoreError::io(&path))
    }
}

/// Run the sweep. Each run starts from the same initial weights and sees the same batches;
/// `reporter` gets one phase for the sweep and a line per finished run.
pub fn pretrain_comparison(
    opts: &PretrainOptions,
    dev: &Device,
    reporter: &dyn Reporter,
) -> Result<PretrainReport> {
    let data = TokenDataset::from_text(
        &generated_corpus(opts.init_seed, opts.corpus_bytes),
        &ByteTokenizer,
        0.1,
    )?;
    let cfg = LlamaConfig::preset(&opts.size, 256)?;
    let mut runs = Vec::new();
    let mut parameters = 0;
    let total: usize = opts.sweep.iter().map(|(_, lrs)| lrs.len()).sum();
    reporter.begin("pretrain sweep", total as u64);
    for (name, lrs) in &opts.sweep {
        if lrs.is_empty() {
            return Err(CoreError::Config(format!("no learning rates for `{name}`")));
        }
        for &lr in lrs {
            let model = Llama::new(&cfg, DType::F32, dev, opts.init_seed)?;
            parameters = model.params().num_elements();
            let run = RunOptions {
                optimizer: name.clone(),
                lr,
                weight_decay: if name == "adam" {
                    0.0
                } else {
                    opts.run.weight_decay
                },
                ..opts.run.clone()
            };
            let r = train_run(&model, &data, &run, dev)?;
            reporter.log(&format!(
                "{name} lr {lr:e}: best val {:.4} ({:.0} s)",
                r.best_val, r.seconds
            ));
            runs.push(r);
            reporter.advance(runs.len() as u64, name);
        }
    }
    reporter.end();
    let report = PretrainReport::from_runs(opts.size.clone(), parameters, runs);
    if let Some(dir) = &opts.out {
        report.write(dir)?;
    }
    Ok(report)
}

/// Training loss (10-step moving average) and validation loss of each optimizer's best run.
pub fn pretrain_svg(r: &PretrainReport) -> String {
    let mut series = Vec::new();
    for (name, i) in &r.best {
        let run = &r.runs[*i];
        series.push(Series::new(
            format!("{name} lr {} train", run.lr),
            moving_average(&run.train_curve, 10),
        ));
        let val = run.val_curve.iter().map(|&(s, v)| (s as f64, v)).collect();
        series.push(Series::new(format!("{name} lr {} val", run.lr), val));
    }
    let chart = Chart {
        title: format!("pre-training {} ({} parameters)", r.model, r.parameters),
        x_label: "step".into(),
        y_label: "loss (nats/token)".into(),
        log_y: false,
    };
    line_chart(&chart, &series)
}

fn moving_average(curve: &[(usize, f64)], w: usize) -> Vec<(f64, f64)> {
    curve
        .iter()
        .enumerate()
        .map(|(i, &(s, _))| {
            let lo = (i + 1).saturating_sub(w);
            let win = &curve[lo..=i];
            (
                s as f64,
                win.iter().map(|p| p.1).sum::<f64>() / win.len() as f64,
            )
        })
        .collect()
}
