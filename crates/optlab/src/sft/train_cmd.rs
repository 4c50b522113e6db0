//! `optlab sft`: one fine-tune, its summary file and its report.

use std::path::PathBuf;

use anyhow::Result;
use candle_core::Device;
use optlab_sft::pipeline::{encode_all, finetune, RunSpec};
use optlab_sft::trainer::perplexity;

use super::inputs::{load_base, load_data, loss_of, BaseArgs, DataArgs, GemWeightArg, LossArg};
use crate::progress::Bars;

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
    gem_h: GemWeightArg,
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

/// Run `optlab sft`.
pub fn run(a: SftArgs) -> Result<()> {
    let dev = Device::Cpu;
    let bars = Bars::new(a.json);
    std::fs::create_dir_all(&a.out)?;
    let (train_ex, val_ex, bad) = load_data(&a.data, a.seed)?;
    let base = load_base(&a.base, a.seed, &a.out, &dev, &bars)?;
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
    let before = perplexity(&base.model, &val, a.batch, a.seq_len)?;
    let (m, s) = finetune(&base, &train, &val, &spec, Some(&a.out), &dev, &bars)?;
    let dir = a.out.join("model");
    m.save(&dir)?;
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
