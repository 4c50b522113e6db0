//! `optlab train`: train a decoder on a corpus, resumably.

use std::path::PathBuf;

use anyhow::Result;
use optlab_core::data::{unigram_entropy, TokenDataset};
use optlab_core::ops::OpsMode;
use optlab_core::train::{train_lm, CosineSchedule, TrainConfig};
use optlab_optim::{AttnShape, OptimConfig};

use super::common::ModelSource;
use super::common::{corpus, device, load, non_negative_f64, positive_f64, save_run_model};
use optlab_core::models::LoadedModel;

/// Train a Llama-style model (default: the tiny preset on the embedded corpus).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab train --size tiny --steps 300 --lr 3e-3 --out runs/tiny\n  optlab train --out runs/tiny --steps 600 --resume"
)]
pub struct TrainArgs {
    #[command(flatten)]
    source: ModelSource,
    /// UTF-8 text corpus (default: the embedded generated corpus).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Optimizer: sgd, sgd-nesterov, adam, adamw, adam-mini, mofo.
    #[arg(long, default_value = "adamw")]
    optimizer: String,
    /// Peak learning rate.
    #[arg(long, default_value_t = 3e-3, value_parser = positive_f64)]
    lr: f64,
    /// Optimizer steps.
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Sequences per micro-batch.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Micro-batches accumulated per step.
    #[arg(long, default_value_t = 1)]
    accum: usize,
    /// Tokens per sequence.
    #[arg(long, default_value_t = 64)]
    seq_len: usize,
    /// Warm-up steps.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// Global gradient-norm clip (0 disables).
    #[arg(long, default_value_t = 1.0, value_parser = non_negative_f64)]
    clip: f64,
    /// Weight decay (not applied to norms and biases).
    #[arg(long, default_value_t = 0.1, value_parser = non_negative_f64)]
    weight_decay: f64,
    /// Validate every N steps.
    #[arg(long, default_value_t = 50)]
    val_every: usize,
    /// Checkpoint every N steps.
    #[arg(long, default_value_t = 100)]
    ckpt_every: usize,
    /// Stop after N steps of this invocation (checkpointed; continue with --resume).
    #[arg(long)]
    stop_after: Option<usize>,
    /// Fused optlab ops or candle's primitive ops.
    #[arg(long, value_enum, default_value = "fused")]
    ops: OpsArg,
    /// Seed for initialisation and batches.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run folder (metrics.jsonl, checkpoint/, model/).
    #[arg(long, default_value = "runs/train")]
    out: PathBuf,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// Replace the run already in --out (its metrics, checkpoint and model).
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
    /// With --resume: continue with settings that differ from the recorded ones (the
    /// differences are logged in metrics.jsonl).
    #[arg(long, requires = "resume")]
    override_config: bool,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    json: bool,
}

/// Which op implementation to use.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OpsArg {
    /// optlab's fused custom ops.
    Fused,
    /// candle's primitive compositions.
    Basic,
}

impl From<OpsArg> for OpsMode {
    fn from(o: OpsArg) -> Self {
        match o {
            OpsArg::Fused => OpsMode::Fused,
            OpsArg::Basic => OpsMode::Basic,
        }
    }
}

/// The settings besides the training loop's own that a resume must keep: the optimizer's
/// weight decay and where the model and the corpus come from.
fn settings(a: &TrainArgs) -> serde_json::Value {
    serde_json::json!({
        "weight_decay": a.weight_decay,
        "size": a.source.size,
        "model_dir": a.source.model_dir,
        "gguf": a.source.gguf,
        "corpus": a.corpus,
    })
}

/// Run `optlab train`.
pub fn run(a: TrainArgs) -> Result<()> {
    let dev = device()?;
    let LoadedModel {
        model: m,
        tokenizer: tok,
        spec,
    } = load(&a.source, a.seed, &dev)?;
    let m = m.with_ops(a.ops.into());
    let text = corpus(a.corpus.as_deref())?;
    let data = TokenDataset::from_text(&text, tok.as_ref(), 0.1)?;
    let h = unigram_entropy(data.train_tokens());
    let ocfg = OptimConfig {
        lr: a.lr,
        weight_decay: a.weight_decay,
        attn: Some(AttnShape::from_llama(m.config())),
        ..Default::default()
    };
    let mut opt = optlab_optim::build(&a.optimizer, m.params(), &ocfg)?;
    for warning in opt.warnings() {
        eprintln!("warning: {warning}");
    }
    let cfg = TrainConfig {
        steps: a.steps,
        batch: a.batch,
        accum: a.accum,
        seq_len: a.seq_len,
        schedule: CosineSchedule {
            peak: a.lr,
            warmup: a.warmup,
            total: a.steps,
            min_ratio: 0.1,
        },
        clip: a.clip,
        val_every: a.val_every,
        val_batches: 8,
        ckpt_every: a.ckpt_every,
        seed: a.seed,
        out: a.out.clone(),
        resume: a.resume,
        stop_after: a.stop_after,
        overwrite: a.overwrite,
        override_config: a.override_config,
        settings: settings(&a),
    };
    let s = train_lm(
        &m,
        &data,
        &mut opt,
        &cfg,
        &crate::progress::Bars::new(a.json),
    )?;
    let params = m.params().num_elements();
    save_run_model(
        &a.out,
        LoadedModel {
            model: m,
            tokenizer: tok,
            spec,
        },
    )?;
    let first = s.losses.first().map(|x| x.1);
    let last = s.losses.last().map(|x| x.1);
    if a.json {
        let v = serde_json::json!({
            "parameters": params, "steps_done": s.steps_done,
            "first_loss": first, "last_loss": last, "val_loss": s.val_loss,
            "unigram_entropy": h, "tokens_per_s": s.tokens_per_s, "out": a.out,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("model: {} parameters, optimizer {}", params, a.optimizer);
        println!(
            "steps done: {}  ({:.0} tokens/s)",
            s.steps_done, s.tokens_per_s
        );
        if let (Some(f), Some(l)) = (first, last) {
            println!("training loss: {f:.4} -> {l:.4} nats/token");
        }
        println!("corpus unigram entropy: {h:.4} nats/token");
        if let Some(v) = s.val_loss {
            println!(
                "validation loss: {v:.4} nats/token ({:.1}% of the unigram entropy)",
                100.0 * v / h
            );
        }
        println!(
            "run folder: {} (metrics.jsonl, checkpoint/, model/)",
            a.out.display()
        );
    }
    Ok(())
}
