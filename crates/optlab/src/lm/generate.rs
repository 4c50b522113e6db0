//! `optlab generate`: prompt in, text out.

use std::path::PathBuf;

use anyhow::Result;
use optlab_core::generate::{generate_cached, SamplingConfig};
use optlab_core::rng::Rng;

use super::common::{device, model, model_from_run, ModelSource};

/// Continue a prompt with a trained or loaded model.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab generate --run runs/train --prompt \"12 plus 7 is\" --temperature 0\n  optlab generate --model-dir M --chatml --prompt \"What is the capital of France?\""
)]
pub struct GenerateArgs {
    /// A run folder written by `optlab train`.
    #[arg(long, conflicts_with = "model_dir")]
    run: Option<PathBuf>,
    #[command(flatten)]
    source: ModelSource,
    /// The prompt.
    #[arg(long, default_value = "the fox")]
    prompt: String,
    /// Wrap the prompt in a ChatML user turn and stop at `<|im_end|>`.
    #[arg(long)]
    chatml: bool,
    /// Sampling temperature (0: greedy).
    #[arg(long, default_value_t = 0.0)]
    temperature: f64,
    /// Top-k (0: off).
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    /// Top-p (1: off).
    #[arg(long, default_value_t = 1.0)]
    top_p: f64,
    /// New tokens at most.
    #[arg(long, default_value_t = 80)]
    max_new_tokens: usize,
    /// Stop at this token (repeatable), e.g. `<|im_end|>`.
    #[arg(long)]
    stop: Vec<String>,
    /// Sampling seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Run `optlab generate`.
pub fn run(a: GenerateArgs) -> Result<()> {
    let dev = device()?;
    let (m, tok) = match &a.run {
        Some(r) => model_from_run(r, &dev)?,
        None => model(&a.source, a.seed, &dev)?,
    };
    let prompt = if a.chatml {
        format!(
            "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
            a.prompt
        )
    } else {
        a.prompt.clone()
    };
    let mut stops = a.stop.clone();
    if a.chatml {
        stops.push("<|im_end|>".into());
    }
    let stop_ids = stops.iter().filter_map(|s| tok.token_id(s)).collect();
    let cfg = SamplingConfig {
        temperature: a.temperature,
        top_k: a.top_k,
        top_p: a.top_p,
        max_new_tokens: a.max_new_tokens,
        stop_ids,
    };
    let ids = tok.encode(&prompt)?;
    let out = generate_cached(&m, &ids, &cfg, &mut Rng::new(a.seed), &dev)?;
    let text = tok.decode(&out)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"prompt": a.prompt, "completion": text, "new_tokens": out.len()})
        );
    } else {
        let sep = if a.chatml { "\n" } else { "" };
        println!("{}{sep}{}", a.prompt, text);
    }
    Ok(())
}
