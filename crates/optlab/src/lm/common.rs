//! Pieces shared by the language-model subcommands: loading a model from a run folder or a
//! Hugging Face folder, and the corpus.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use candle_core::Device;
use optlab_core::data::{generated_corpus, read_corpus};
use optlab_core::models::{Llama, LoadedModel, ModelSource as CoreSource};
use optlab_core::tokenizer::Tokenizer;

/// Size of the embedded corpus in bytes.
pub const EMBEDDED_CORPUS_BYTES: usize = 400_000;

/// Where a model comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelSource {
    /// Preset size for a new byte-level model: tiny (~0.8M params), mini, small (~24M).
    #[arg(long, default_value = "tiny")]
    pub size: String,
    /// Model folder: Hugging Face Llama/Qwen2 (config.json, *.safetensors, tokenizer.json)
    /// or the model/ folder of an optlab run.
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

/// The model `src` names, with its tokenizer and the spec that saves it again: a fresh
/// preset (byte tokenizer), a model folder (`tokenizer.json`, `tokenizer.optlab` or none,
/// meaning bytes) or a GGUF file.
pub fn load(src: &ModelSource, seed: u64, dev: &Device) -> Result<LoadedModel> {
    let (core, what) = if let Some(g) = &src.gguf {
        (CoreSource::Gguf(g.clone()), format!("GGUF {}", g.display()))
    } else if let Some(d) = &src.model_dir {
        let what = format!("model folder {}", d.display());
        (CoreSource::Folder(d.clone()), what)
    } else {
        let size = src.size.clone();
        (CoreSource::Preset { size, seed }, "preset".into())
    };
    LoadedModel::load(&core, dev).with_context(|| format!("loading {what}"))
}

/// A fresh preset model with the byte tokenizer, or a loaded model folder or GGUF file.
pub fn model(src: &ModelSource, seed: u64, dev: &Device) -> Result<(Llama, Box<dyn Tokenizer>)> {
    let m = load(src, seed, dev)?;
    Ok((m.model, m.tokenizer))
}

/// Load the model a training run saved (`RUN/model/`), with its tokenizer.
pub fn model_from_run(run: &Path, dev: &Device) -> Result<(Llama, Box<dyn Tokenizer>)> {
    let m = LoadedModel::load(&CoreSource::Run(run.to_path_buf()), dev)
        .with_context(|| format!("loading the model of run {}", run.display()))?;
    Ok((m.model, m.tokenizer))
}

/// Save a trained model as `RUN/model/`: config, weights and the tokenizer it was trained
/// with (`tokenizer.json`, or `tokenizer.optlab` naming a built-in one), so `--model-dir
/// RUN/model` loads it back.
pub fn save_run_model(run: &Path, model: LoadedModel) -> Result<()> {
    let dir = run.join("model");
    model
        .save(&dir)
        .with_context(|| format!("saving the trained model to {}", dir.display()))
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

/// Parse a learning rate: a positive finite number.
pub fn positive_f64(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{s} must be a positive finite number"))
    }
}

/// Parse a non-negative finite number (clip, weight decay).
pub fn non_negative_f64(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{s} must be a finite number >= 0"))
    }
}
