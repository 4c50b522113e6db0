//! The flags `optlab sft` and `optlab sft-eval` share: where the base model and the SFT
//! examples come from, and the library enums their values select.

use std::path::{Path, PathBuf};

use anyhow::Result;
use candle_core::Device;
use optlab_core::models::{LoadedModel, ModelSource};
use optlab_core::report::Reporter;
use optlab_sft::data::{load_examples, split_held_out, OnBadLine};
use optlab_sft::gen::embedded_dataset;
use optlab_sft::loss::{GemWeight, SftLoss};
use optlab_sft::pretrain::{pretrain_embedded, PretrainConfig};
use optlab_sft::SftExample;

/// Which loss `--loss` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LossArg {
    /// Cross-entropy.
    Ce,
    /// GEM.
    Gem,
}

/// GEM's weighting function, as `--gem-h` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GemWeightArg {
    /// `w = 1`: the gradient is `softmax(z / beta) - e_y` (the reference `train.py` default).
    Linear,
    /// `w_v = sigmoid(0.01 (z_v - z_y))` (what the reference's shipped scripts select).
    Logsigmoid,
}

impl From<GemWeightArg> for GemWeight {
    fn from(a: GemWeightArg) -> Self {
        match a {
            GemWeightArg::Linear => GemWeight::Linear,
            GemWeightArg::Logsigmoid => GemWeight::Logsigmoid,
        }
    }
}

/// What to do with a record that cannot be read, as `--on-bad-line` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnBadLineArg {
    /// Report it and continue.
    Skip,
    /// Stop with an error naming the file and line.
    Error,
}

impl From<OnBadLineArg> for OnBadLine {
    fn from(a: OnBadLineArg) -> Self {
        match a {
            OnBadLineArg::Skip => OnBadLine::Skip,
            OnBadLineArg::Error => OnBadLine::Error,
        }
    }
}

/// Where the base model comes from (default: pre-train a small one on the embedded corpus).
#[derive(Debug, Clone, clap::Args)]
pub struct BaseArgs {
    /// llama.cpp GGUF checkpoint, e.g. assets-cache/SmolLM2-135M-Instruct.Q4_1.gguf.
    #[arg(long, conflicts_with_all = ["model_dir", "run"])]
    pub gguf: Option<PathBuf>,
    /// Hugging Face Llama/Qwen2 folder.
    #[arg(long, conflicts_with = "run")]
    pub model_dir: Option<PathBuf>,
    /// An `optlab train` / `optlab sft` run folder (its `model/`).
    #[arg(long)]
    pub run: Option<PathBuf>,
    /// Size of the model pre-trained here when no base is given: tiny, mini, small.
    #[arg(long, default_value = "tiny")]
    pub size: String,
    /// Pre-training steps on the embedded corpus when no base is given.
    #[arg(long, default_value_t = 300)]
    pub pretrain_steps: usize,
}

impl BaseArgs {
    /// The model file or folder the flags name, if any.
    pub fn source(&self) -> Option<ModelSource> {
        if let Some(g) = &self.gguf {
            return Some(ModelSource::Gguf(g.clone()));
        }
        if let Some(d) = &self.model_dir {
            return Some(ModelSource::Folder(d.clone()));
        }
        self.run.clone().map(ModelSource::Run)
    }
}

/// Where SFT examples come from (default: the embedded generated dataset).
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Training examples: JSON lines or a JSON array (.gz accepted) with prompt/response,
    /// messages, Alpaca instruction/input/output or GSM8K question/answer records.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Held-out examples (default: the last --val-fraction of --data).
    #[arg(long)]
    pub val_data: Option<PathBuf>,
    /// Fraction of --data held out when --val-data is absent.
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
    /// What to do with a bad record (malformed JSON, a line that is not UTF-8, an unknown
    /// chat role, an empty response): report it as FILE:LINE and skip it, or stop there.
    #[arg(long, value_enum, default_value = "skip")]
    pub on_bad_line: OnBadLineArg,
    /// Embedded dataset: training examples.
    #[arg(long, default_value_t = 2000)]
    pub n_train: usize,
    /// Embedded dataset: held-out examples.
    #[arg(long, default_value_t = 200)]
    pub n_held_out: usize,
}

/// The loss chosen by `--loss` and its options.
pub fn loss_of(loss: LossArg, beta: f64, h: GemWeightArg, label_smoothing: f64) -> SftLoss {
    match loss {
        LossArg::Ce => SftLoss::Ce { label_smoothing },
        LossArg::Gem => SftLoss::Gem { beta, h: h.into() },
    }
}

/// The base model: a file or folder, or one pre-trained here (into `out/pretrain`).
pub fn load_base(
    b: &BaseArgs,
    seed: u64,
    out: &Path,
    dev: &Device,
    reporter: &dyn Reporter,
) -> Result<LoadedModel> {
    if let Some(source) = b.source() {
        return Ok(LoadedModel::load(&source, dev)?);
    }
    let cfg = PretrainConfig {
        size: b.size.clone(),
        steps: b.pretrain_steps,
        batch: 16,
        seq_len: 128,
        lr: 3e-3,
        seed,
    };
    reporter.log(&format!(
        "pre-training a {} model on the embedded corpus ({} steps)",
        cfg.size, cfg.steps
    ));
    let (m, val) = pretrain_embedded(&cfg, &out.join("pretrain"), dev, reporter)?;
    if let Some(v) = val {
        reporter.log(&format!("pre-training validation loss {v:.4} nats/token"));
    }
    Ok(m)
}

/// Print every skipped record and their count on standard error (even with `--json`, so a
/// skipped record is never silent).
pub fn warn_skipped(bad: &[String]) {
    for b in bad {
        eprintln!("warning: skipped {b}");
    }
    if !bad.is_empty() {
        eprintln!(
            "warning: {} bad records skipped (--on-bad-line error stops at the first)",
            bad.len()
        );
    }
}

/// Training and held-out examples as the data flags select, and the skipped records.
pub fn load_data(
    d: &DataArgs,
    seed: u64,
) -> Result<(Vec<SftExample>, Vec<SftExample>, Vec<String>)> {
    let Some(path) = &d.data else {
        let (t, v) = embedded_dataset(seed, d.n_train, d.n_held_out);
        return Ok((t, v, Vec::new()));
    };
    let on_bad = d.on_bad_line.into();
    let mut loaded = load_examples(path, on_bad)?;
    let (train, val) = match &d.val_data {
        Some(vp) => {
            let v = load_examples(vp, on_bad)?;
            loaded.bad.extend(v.bad);
            (loaded.examples, v.examples)
        }
        None => split_held_out(loaded.examples, d.val_fraction),
    };
    warn_skipped(&loaded.bad);
    Ok((train, val, loaded.bad))
}
