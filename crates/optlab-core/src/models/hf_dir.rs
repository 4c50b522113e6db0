//! Hugging Face model folders: `config.json` + `model.safetensors` (or shards) +
//! `tokenizer.json`, as written by `transformers` for Llama and Qwen2 checkpoints.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use super::{Llama, LlamaConfig};
use crate::checkpoint_io::load_tensors;
use crate::error::{CoreError, Result};
use crate::tokenizer::HfTokenizer;

/// Read `config.json` from a model folder.
pub fn read_config(dir: &Path) -> Result<LlamaConfig> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(CoreError::io(&path))?;
    super::parse_llama_config(&text, &path)
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
    let mut tensors = HashMap::new();
    let files = weight_files(dir)?;
    for f in &files {
        tensors.extend(load_tensors(f)?);
    }
    let config_path = dir.join("config.json");
    check_head(&cfg, &mut tensors, &config_path)?;
    check_kv_rows(&cfg, &tensors, &config_path)?;
    let model = Llama::new(&cfg, DType::F32, device, 0)?;
    model.params().assign(tensors, &files[0])?;
    Ok(model)
}

/// With tied embeddings the file may hold `lm_head.weight` only as an exact copy of the
/// embedding (dropped here); any other head would be silently discarded, so it is an error.
fn check_head(
    cfg: &LlamaConfig,
    tensors: &mut HashMap<String, Tensor>,
    cfg_path: &Path,
) -> Result<()> {
    if !cfg.tie_word_embeddings {
        return Ok(());
    }
    let Some(head) = tensors.remove("lm_head.weight") else {
        return Ok(());
    };
    let same = match tensors.get("model.embed_tokens.weight") {
        Some(e) if e.dims() == head.dims() => {
            let d = (e.to_dtype(DType::F32)? - head.to_dtype(DType::F32)?)?;
            d.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()? == 0.0
        }
        _ => false,
    };
    if same {
        return Ok(());
    }
    Err(CoreError::ConfigField {
        path: cfg_path.into(),
        line: None,
        field: "tie_word_embeddings".into(),
        reason: "is true, but the weights hold an `lm_head.weight` that differs from the embedding (set it to false to use that head)".into(),
    })
}

/// Key rows must be `num_key_value_heads × head_dim`: a head count that does not fit the
/// weights is named as such rather than as a shape mismatch deep in a layer.
fn check_kv_rows(
    cfg: &LlamaConfig,
    tensors: &HashMap<String, Tensor>,
    cfg_path: &Path,
) -> Result<()> {
    let Some(k) = tensors.get("model.layers.0.self_attn.k_proj.weight") else {
        return Ok(());
    };
    let want = cfg.kv_heads() * cfg.head_dim();
    match k.dims() {
        [rows, _] if *rows != want => Err(CoreError::ConfigField {
            path: cfg_path.into(),
            line: None,
            field: "num_key_value_heads".into(),
            reason: format!(
                "model.layers.0.self_attn.k_proj.weight has {rows} rows, but {} key/value heads × head width {} (hidden_size {} / {} heads) = {want}",
                cfg.kv_heads(),
                cfg.head_dim(),
                cfg.hidden_size,
                cfg.num_attention_heads
            ),
        }),
        _ => Ok(()),
    }
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
