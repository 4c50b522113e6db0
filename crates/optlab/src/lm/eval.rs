//! `optlab eval`: validation loss and perplexity of a trained or loaded model.

use std::path::PathBuf;

use anyhow::Result;
use optlab_core::data::{unigram_entropy, TokenDataset};
use optlab_core::train::evaluate;

use super::common::{corpus, device, model, model_from_run, ModelSource};

/// Held-out loss and perplexity on the last 10% of a corpus.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab eval --run runs/train\n  optlab eval --model-dir assets-cache/smollm2 --corpus assets-cache/tiny-shakespeare.txt"
)]
pub struct EvalArgs {
    /// A run folder written by `optlab train`.
    #[arg(long, conflicts_with = "model_dir")]
    run: Option<PathBuf>,
    #[command(flatten)]
    source: ModelSource,
    /// UTF-8 corpus (default: the embedded corpus).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Tokens per sequence.
    #[arg(long, default_value_t = 64)]
    seq_len: usize,
    /// Sequences per batch.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Batches to evaluate at most.
    #[arg(long, default_value_t = 16)]
    batches: usize,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Run `optlab eval`.
pub fn run(a: EvalArgs) -> Result<()> {
    let dev = device()?;
    let (m, tok) = match &a.run {
        Some(r) => model_from_run(r, &dev)?,
        None => model(&a.source, 0, &dev)?,
    };
    let data = TokenDataset::from_text(&corpus(a.corpus.as_deref())?, tok.as_ref(), 0.1)?;
    let loss = evaluate(&m, &data, a.batch, a.seq_len, a.batches, &dev)?;
    let h = unigram_entropy(data.train_tokens());
    if a.json {
        println!(
            "{}",
            serde_json::json!({"val_loss": loss, "perplexity": loss.exp(), "unigram_entropy": h})
        );
    } else {
        println!(
            "validation loss {loss:.4} nats/token, perplexity {:.3}; unigram entropy {h:.4}",
            loss.exp()
        );
    }
    Ok(())
}
