//! Pieces shared by the language-model subcommands: loading a model from a run folder or a
//! Hugging Face folder, and the corpus.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, read_corpus};
use optlab_core::models::{load_gguf, load_model_dir, load_model_weights, Llama, LlamaConfig};
use optlab_core::tokenizer::{ByteTokenizer, Tokenizer};

/// Size of the embedded corpus in bytes.
pub const EMBEDDED_CORPUS_BYTES: usize = 400_000;

/// Where a model comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelSource {
    /// Preset size for a new byte-level model: tiny (~0.8M params), mini, small (~24M).
    #[arg(long, default_value = "tiny")]
    pub size: String,
    /// Hugging Face Llama/Qwen2 folder (config.json, *.safetensors, tokenizer.json).
    #[arg(long, conflicts_with = "gguf")]
    pub model_dir: Option<PathBuf>,
    /// llama.cpp GGUF checkpoint (arch llama), dequantised to f32, with its tokenizer.
    #[arg(long)]
    pub gguf: Option<PathBuf>,
}

/// The text to train or evaluate on: a file, or the embedded generated corpus.
pub fn corpus(path: Option<&Path>) -> Result<String> {
    match path {
        Some(p) => Ok(read_corpus(p)?),
        None => Ok(generated_corpus(0, EMBEDDED_CORPUS_BYTES)),
    }
}

/// A fresh preset model with the byte tokenizer, or a loaded Hugging Face folder.
pub fn model(src: &ModelSource, seed: u64, dev: &Device) -> Result<(Llama, Box<dyn Tokenizer>)> {
    if let Some(path) = &src.gguf {
        let (m, t) =
            load_gguf(path, dev).with_context(|| format!("loading GGUF {}", path.display()))?;
        return Ok((m, Box::new(t)));
    }
    match &src.model_dir {
        Some(dir) => {
            let (m, t) = load_model_dir(dir, dev)
                .with_context(|| format!("loading model folder {}", dir.display()))?;
            Ok((m, Box::new(t)))
        }
        None => {
            let cfg = LlamaConfig::preset(&src.size, 256)?;
            Ok((
                Llama::new(&cfg, DType::F32, dev, seed)?,
                Box::new(ByteTokenizer),
            ))
        }
    }
}

/// Load the model a training run saved (`RUN/model/`), with its tokenizer.
pub fn model_from_run(run: &Path, dev: &Device) -> Result<(Llama, Box<dyn Tokenizer>)> {
    let dir = run.join("model");
    if !dir.join("config.json").exists() {
        bail!(
            "{} holds no trained model (expected {}/config.json)",
            run.display(),
            dir.display()
        );
    }
    if dir.join("tokenizer.json").exists() {
        let (m, t) = load_model_dir(&dir, dev)?;
        return Ok((m, Box::new(t)));
    }
    Ok((load_model_weights(&dir, dev)?, Box::new(ByteTokenizer)))
}

/// Save a trained model as `RUN/model/` (config + weights [+ tokenizer.json]).
pub fn save_run_model(run: &Path, model: &Llama, src: &ModelSource) -> Result<()> {
    let dir = run.join("model");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(model.config())?,
    )?;
    model
        .params()
        .save_safetensors(&dir.join("model.safetensors"))?;
    if let Some(md) = &src.model_dir {
        std::fs::copy(md.join("tokenizer.json"), dir.join("tokenizer.json"))?;
    }
    if let Some(g) = &src.gguf {
        let mut f = std::fs::File::open(g)?;
        let content = candle_core::quantized::gguf_file::Content::read(&mut f)?;
        std::fs::write(
            dir.join("tokenizer.json"),
            optlab_core::models::gguf_tokenizer_json(&content, g)?,
        )?;
    }
    Ok(())
}

/// CPU, or the first CUDA device when built with the `cuda` feature and one is present.
pub fn device() -> Result<Device> {
    #[cfg(feature = "cuda")]
    {
        if let Ok(d) = Device::new_cuda(0) {
            return Ok(d);
        }
    }
    Ok(Device::Cpu)
}
