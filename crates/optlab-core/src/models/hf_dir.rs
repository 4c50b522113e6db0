//! Hugging Face model folders: `config.json` + `model.safetensors` (or shards) +
//! `tokenizer.json`, as written by `transformers` for Llama and Qwen2 checkpoints.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};

use super::{Llama, LlamaConfig};
use crate::checkpoint_io::load_tensors;
use crate::error::{CoreError, Result};
use crate::tokenizer::HfTokenizer;

/// Read `config.json` from a model folder.
pub fn read_config(dir: &Path) -> Result<LlamaConfig> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(CoreError::io(&path))?;
    serde_json::from_str(&text).map_err(|e| CoreError::Corrupt {
        path,
        reason: e.to_string(),
    })
}

fn weight_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let single = dir.join("model.safetensors");
    if single.exists() {
        return Ok(vec![single]);
    }
    let mut shards: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(CoreError::io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    shards.sort();
    if shards.is_empty() {
        return Err(CoreError::Io {
            path: single,
            cause: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no *.safetensors weights in the folder",
            ),
        });
    }
    Ok(shards)
}

/// Load a Llama/Qwen2-format folder into a trainable model (f32) and its tokenizer.
pub fn load_model_dir(dir: &Path, device: &Device) -> Result<(Llama, HfTokenizer)> {
    let model = load_model_weights(dir, device)?;
    let tok = HfTokenizer::from_file(&dir.join("tokenizer.json"))?;
    Ok((model, tok))
}

/// Load only `config.json` and the `*.safetensors` weights of a model folder (f32), for
/// folders without a `tokenizer.json` (optlab's byte-level models).
pub fn load_model_weights(dir: &Path, device: &Device) -> Result<Llama> {
    let cfg = read_config(dir)?;
    let model = Llama::new(&cfg, DType::F32, device, 0)?;
    let mut tensors = HashMap::new();
    let files = weight_files(dir)?;
    for f in &files {
        tensors.extend(load_tensors(f)?);
    }
    if cfg.tie_word_embeddings {
        tensors.remove("lm_head.weight");
    }
    model.params().assign(tensors, &files[0])?;
    Ok(model)
}

/// Write a model folder (config, weights, tokenizer) that `load_model_dir` and Hugging Face
/// `transformers` can both read.
pub fn save_model_dir(model: &Llama, tokenizer_json: &str, dir: &Path) -> Result<()> {
    save_model_weights(model, dir)?;
    crate::checkpoint_io::write_atomic(&dir.join("tokenizer.json"), tokenizer_json.as_bytes())
}

/// Write `config.json` and `model.safetensors` only (a byte-level model needs no tokenizer
/// file); [`load_model_weights`] reads it back.
pub fn save_model_weights(model: &Llama, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(CoreError::io(dir))?;
    let mut cfg =
        serde_json::to_value(model.config()).map_err(|e| CoreError::Config(e.to_string()))?;
    cfg["architectures"] = serde_json::json!(["LlamaForCausalLM"]);
    cfg["model_type"] = "llama".into();
    let cfg_text =
        serde_json::to_string_pretty(&cfg).map_err(|e| CoreError::Config(e.to_string()))?;
    crate::checkpoint_io::write_atomic(&dir.join("config.json"), cfg_text.as_bytes())?;
    model
        .params()
        .save_safetensors(&dir.join("model.safetensors"))
}
