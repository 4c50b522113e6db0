//! `optlab rm train`: reward-model training from the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use candle_core::Device;
use optlab_core::models::LlamaConfig;
use optlab_core::report::Reporter;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_rlhf::policy::load_policy_dir;
use optlab_rlhf::prefs::{generated_prefs, load_dpo_demo, Truncation};
use optlab_rlhf::reward::{RewardModel, TokenizerId};
use optlab_rlhf::rm_train::{split, train_reward_model, RmTrainConfig};
use optlab_rlhf::task::ArithTask;

use crate::progress::Bars;

/// Reward models (`optlab rm train`).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab rm train --prefs generated --out runs/rm\n  \
optlab rm train --prefs dpo-demo --steps 100 --batch 8 --out runs/rm-dpo"
)]
pub struct RmArgs {
    /// What to do.
    #[command(subcommand)]
    pub cmd: RmCmd,
}

/// `optlab rm` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RmCmd {
    /// Train a reward model with the Bradley-Terry loss; reports held-out pair accuracy.
    #[command(
        after_help = "Example:\n  optlab rm train --prefs generated --out runs/rm\n  \
optlab rm train --prefs dpo-demo --steps 100 --batch 8 --out runs/rm-dpo\n  \
optlab rm train --prefs generated --init runs/rlhf/sft --out runs/rm"
    )]
    Train(RmTrainArgs),
}

/// Run `optlab rm`.
pub fn run_rm(a: RmArgs) -> Result<()> {
    match a.cmd {
        RmCmd::Train(t) => train(t),
    }
}

/// The DPO demo file fetched by `scripts/fetch-assets`.
pub fn dpo_demo_path() -> &'static Path {
    Path::new("assets-cache/dpo_en_demo.json")
}

/// Train a reward model on preference pairs.
#[derive(Debug, clap::Args)]
pub struct RmTrainArgs {
    /// `generated` (embedded arithmetic pairs), `dpo-demo` (assets-cache/dpo_en_demo.json)
    /// or the path of a DPO-format JSON file.
    #[arg(long, default_value = "generated")]
    pub prefs: String,
    /// Generated pairs to make.
    #[arg(long, default_value_t = 2000)]
    pub pairs: usize,
    /// Largest operand of generated pairs.
    #[arg(long, default_value_t = 49)]
    pub max_operand: u32,
    /// Start from this policy folder's decoder (and tokenizer); default: a fresh tiny model.
    #[arg(long)]
    pub init: Option<PathBuf>,
    /// Model preset of a fresh model.
    #[arg(long, default_value = "tiny")]
    pub size: String,
    /// Optimizer steps.
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Pairs per step.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 3e-4)]
    pub lr: f64,
    /// Fraction of pairs held out.
    #[arg(long, default_value_t = 0.2)]
    pub held_out: f64,
    /// Prompt tokens kept from real conversations (the last ones).
    #[arg(long, default_value_t = 96)]
    pub max_prompt: usize,
    /// Response tokens kept from real replies (the first ones).
    #[arg(long, default_value_t = 32)]
    pub max_response: usize,
    /// Seed of the weights, the split and the batches.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder: the reward model (config.json, model.safetensors, manifest.json) and
    /// summary.json.
    #[arg(long, default_value = "runs/rm")]
    pub out: PathBuf,
    /// JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `optlab rm train`.
fn train(a: RmTrainArgs) -> Result<()> {
    let dev = Device::Cpu;
    let bars = Bars::new(a.json);
    let (init, tok_id) = match &a.init {
        Some(dir) => {
            let p = load_policy_dir(dir, &dev)?;
            if p.tok_id != TokenizerId::byte() {
                anyhow::bail!("`optlab rm train` reads text with the byte tokenizer; {} uses a `{}` tokenizer", dir.display(), p.tok_id.kind);
            }
            (Some(p.model), p.tok_id)
        }
        None => (None, TokenizerId::byte()),
    };
    let (pairs, dropped, source) = match a.prefs.as_str() {
        "generated" => {
            let task = ArithTask {
                max_operand: a.max_operand,
            };
            (
                generated_prefs(&task, a.seed, a.pairs, &ByteTokenizer)?,
                0,
                "generated arithmetic pairs".to_string(),
            )
        }
        other => {
            let path = if other == "dpo-demo" {
                dpo_demo_path().to_path_buf()
            } else {
                PathBuf::from(other)
            };
            let cut = Truncation {
                prompt: a.max_prompt,
                response: a.max_response,
            };
            let (p, d) = load_dpo_demo(&path, &ByteTokenizer, cut)?;
            (p, d, path.display().to_string())
        }
    };
    let cfg = match &init {
        Some(m) => m.config().clone(),
        None => LlamaConfig::preset(&a.size, 256)?,
    };
    let longest = pairs
        .iter()
        .map(|p| p.rows().0.len().max(p.rows().1.len()))
        .max()
        .unwrap_or(0);
    if longest > cfg.max_position_embeddings {
        anyhow::bail!("pairs of {longest} tokens exceed the model's {} positions; lower --max-prompt/--max-response", cfg.max_position_embeddings);
    }
    let rm = RewardModel::new(&cfg, tok_id, init.as_ref(), &dev, a.seed)?;
    let (train, held) = split(pairs, a.held_out, a.seed)?;
    bars.log(&format!("reward model: {} training and {} held-out pairs from {source} ({dropped} dropped as identical after truncation)", train.len(), held.len()));
    let tc = RmTrainConfig {
        steps: a.steps,
        batch: a.batch,
        lr: a.lr,
        held_out: a.held_out,
        seed: a.seed,
    };
    let s = train_reward_model(&rm, &train, &held, &tc, &dev, &bars)?;
    rm.save(&a.out)?;
    let summary = serde_json::json!({
        "source": source, "dropped_pairs": dropped, "config": tc, "init": a.init,
        "train_pairs": s.train_pairs, "held_out_pairs": s.held_out_pairs,
        "held_out_accuracy_before": s.accuracy_before, "held_out_accuracy": s.accuracy_after,
        "held_out_loss": s.held_out_loss, "final_train_loss": s.losses.last(), "model": a.out,
    });
    let path = a.out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("writing {}", path.display()))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "reward model saved to {}: held-out pair accuracy {:.3} (before training {:.3}) on {} pairs, held-out BT loss {:.4}",
            a.out.display(),
            s.accuracy_after,
            s.accuracy_before,
            s.held_out_pairs,
            s.held_out_loss
        );
    }
    Ok(())
}
