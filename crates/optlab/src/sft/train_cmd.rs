//! `optlab sft` command line (and the pieces `optlab sft-eval` shares).

pub use super::cli_eval::{run_eval, SftEvalArgs};

use std::path::{Path, PathBuf};

use anyhow::Result;
use candle_core::Device;

use super::data::{load_examples, split_held_out, OnBadLine};
use super::gen::embedded_dataset;
use super::loss::{GemWeight, SftLoss};
use super::model_io::{
    from_gguf, from_model_dir, from_run, pretrain_embedded, save_run_model, LoadedModel,
    PretrainConfig,
};
use super::pipeline::{encode_all, finetune, RunSpec};
use super::template::SftExample;

/// Which loss `--loss` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LossArg {
    /// Cross-entropy.
    Ce,
    /// GEM.
    Gem,
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
    /// What to do with a malformed record: report and skip it, or stop.
    #[arg(long, value_enum, default_value = "skip")]
    pub on_bad_line: OnBadLine,
    /// Embedded dataset: training examples.
    #[arg(long, default_value_t = 2000)]
    pub n_train: usize,
    /// Embedded dataset: held-out examples.
    #[arg(long, default_value_t = 200)]
    pub n_held_out: usize,
}

/// Supervised fine-tuning with cross-entropy or GEM.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab sft --loss gem --steps 300 --out runs/sft-gem\n  optlab sft --gguf assets-cache/SmolLM2-135M-Instruct.Q4_1.gguf --data assets-cache/alpaca_en_demo.json --loss ce --lr 2e-5 --steps 50 --batch 4 --seq-len 256 --out runs/smol-ce"
)]
pub struct SftArgs {
    #[command(flatten)]
    base: BaseArgs,
    #[command(flatten)]
    data: DataArgs,
    /// Training loss.
    #[arg(long, value_enum, default_value = "ce")]
    loss: LossArg,
    /// GEM temperature beta of q = softmax(z / beta).
    #[arg(long, default_value_t = 0.7)]
    beta: f64,
    /// GEM weighting function.
    #[arg(long, value_enum, default_value = "linear")]
    gem_h: GemWeight,
    /// Cross-entropy label smoothing.
    #[arg(long, default_value_t = 0.0)]
    label_smoothing: f64,
    /// Optimizer: sgd, adam, adamw, adam-mini, mofo.
    #[arg(long, default_value = "adamw")]
    optimizer: String,
    /// Peak learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Weight decay.
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Adam beta2 (the GEM reference uses 0.95).
    #[arg(long, default_value_t = 0.95)]
    beta2: f64,
    /// Optimizer steps.
    #[arg(long, default_value_t = 300)]
    steps: usize,
    /// Examples (or packed rows with --pack) per step.
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Longest row in tokens (longer examples are truncated).
    #[arg(long, default_value_t = 192)]
    seq_len: usize,
    /// Pack several examples per row, with attention kept inside each example.
    #[arg(long)]
    pack: bool,
    /// Warm-up steps.
    #[arg(long, default_value_t = 10)]
    warmup: usize,
    /// Gradient-norm clip (0 disables).
    #[arg(long, default_value_t = 1.0)]
    clip: f64,
    /// Held-out perplexity every N steps (0: at the end).
    #[arg(long, default_value_t = 50)]
    val_every: usize,
    /// Seed (pre-training, data order).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run folder: metrics.jsonl, summary.json, model/.
    #[arg(long, default_value = "runs/sft")]
    out: PathBuf,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

/// The loss chosen by `--loss` and its options.
pub fn loss_of(loss: LossArg, beta: f64, h: GemWeight, label_smoothing: f64) -> SftLoss {
    match loss {
        LossArg::Ce => SftLoss::Ce { label_smoothing },
        LossArg::Gem => SftLoss::Gem { beta, h },
    }
}

/// The base model: a file or folder, or one pre-trained here (into `out/pretrain`).
pub fn load_base(
    b: &BaseArgs,
    seed: u64,
    out: &Path,
    quiet: bool,
    dev: &Device,
) -> Result<LoadedModel> {
    if let Some(g) = &b.gguf {
        return from_gguf(g, dev);
    }
    if let Some(d) = &b.model_dir {
        return from_model_dir(d, dev);
    }
    if let Some(r) = &b.run {
        return from_run(r, dev);
    }
    let cfg = PretrainConfig {
        size: b.size.clone(),
        steps: b.pretrain_steps,
        batch: 16,
        seq_len: 128,
        lr: 3e-3,
        seed,
    };
    if !quiet {
        eprintln!(
            "pre-training a {} model on the embedded corpus ({} steps)",
            cfg.size, cfg.steps
        );
    }
    let (m, val) = pretrain_embedded(&cfg, &out.join("pretrain"), dev)?;
    if !quiet {
        if let Some(v) = val {
            eprintln!("pre-training validation loss {v:.4} nats/token");
        }
    }
    Ok(m)
}

/// Training and held-out examples as the data flags select; skipped records are printed.
pub fn load_data(
    d: &DataArgs,
    seed: u64,
) -> Result<(Vec<SftExample>, Vec<SftExample>, Vec<String>)> {
    let Some(path) = &d.data else {
        let (t, v) = embedded_dataset(seed, d.n_train, d.n_held_out);
        return Ok((t, v, Vec::new()));
    };
    let mut loaded = load_examples(path, d.on_bad_line)?;
    let (train, val) = match &d.val_data {
        Some(vp) => {
            let v = load_examples(vp, d.on_bad_line)?;
            loaded.bad.extend(v.bad);
            (loaded.examples, v.examples)
        }
        None => split_held_out(loaded.examples, d.val_fraction),
    };
    // Printed even with --json (to stderr), so a skipped record is never silent.
    {
        for b in &loaded.bad {
            eprintln!("warning: skipped {b}");
        }
        if !loaded.bad.is_empty() {
            eprintln!(
                "warning: {} malformed records skipped (--on-bad-line error stops instead)",
                loaded.bad.len()
            );
        }
    }
    Ok((train, val, loaded.bad))
}

/// Run `optlab sft`.
pub fn run(a: SftArgs) -> Result<()> {
    let dev = Device::Cpu;
    std::fs::create_dir_all(&a.out)?;
    let (train_ex, val_ex, bad) = load_data(&a.data, a.seed)?;
    let base = load_base(&a.base, a.seed, &a.out, a.json, &dev)?;
    let (train, val) = (encode_all(&base, &train_ex)?, encode_all(&base, &val_ex)?);
    let spec = RunSpec {
        loss: loss_of(a.loss, a.beta, a.gem_h, a.label_smoothing),
        optimizer: a.optimizer.clone(),
        lr: a.lr,
        weight_decay: a.weight_decay,
        beta2: a.beta2,
        steps: a.steps,
        batch: a.batch,
        seq_len: a.seq_len,
        pack: a.pack,
        warmup: a.warmup,
        clip: a.clip,
        val_every: a.val_every,
        seed: a.seed,
    };
    let progress = !a.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let before = super::trainer::perplexity(&base.model, &val, a.batch, a.seq_len)?;
    let (m, s) = finetune(&base, &train, &val, &spec, Some(&a.out), progress, &dev)?;
    let dir = save_run_model(&a.out, &m)?;
    let summary = serde_json::json!({
        "loss": spec.loss, "spec": spec, "train_examples": train.len(), "held_out_examples": val.len(),
        "skipped_records": bad, "held_out_before": before, "summary": s, "model": dir,
    });
    std::fs::write(
        a.out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!(
        "loss {}: {} steps, {} training / {} held-out examples",
        spec.loss.name(),
        s.steps,
        train.len(),
        val.len()
    );
    println!(
        "final training loss {:.4} (training CE {:.4} nats/token)",
        s.final_loss, s.final_train_ce
    );
    if let Some(v) = s.val {
        println!(
            "held-out perplexity {:.3} -> {:.3} (CE {:.4} nats/token over {} response tokens)",
            before.ppl, v.ppl, v.ce, v.tokens
        );
    }
    if s.dropped_examples > 0 {
        println!(
            "{} examples had no response token within --seq-len {} and were not trained on",
            s.dropped_examples, a.seq_len
        );
    }
    println!("run folder: {} (metrics.jsonl, summary.json, model/); evaluate with `optlab sft-eval --run {}`", a.out.display(), a.out.display());
    Ok(())
}
