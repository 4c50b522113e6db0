//! Names, roles and shapes of a model's parameters, the input of the Adam-mini partition
//! table: from a built-in Llama preset, or from the safetensors headers and `config.json` of a
//! Hugging Face folder (no weights are loaded).

use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::params::{classify_name, ParamRole};
use optlab_core::{CoreError, Result};

use crate::config::AttnShape;

/// `(name, role, shape)` of every parameter tensor.
pub type Entries = Vec<(String, ParamRole, Vec<usize>)>;

/// Largest safetensors header accepted (the format's own limit is the file size).
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// Names, roles and shapes of a preset Llama, with its attention shape.
pub fn entries_from_preset(model: &str, vocab: usize) -> Result<(Entries, AttnShape)> {
    let cfg = LlamaConfig::preset(model, vocab)?;
    let llama = Llama::new(&cfg, DType::F32, &Device::Cpu, 0)?;
    let entries = llama
        .params()
        .infos()
        .into_iter()
        .map(|i| (i.name, i.role, i.shape))
        .collect();
    Ok((entries, AttnShape::from_llama(&cfg)))
}

/// Names (roles from [`classify_name`]) and shapes read from the safetensors headers of a
/// Hugging Face folder, and the attention shape from its `config.json` (Llama/Qwen2/Mistral
/// or GPT-2 keys). No weights are loaded.
pub fn entries_from_dir(dir: &Path) -> Result<(Entries, AttnShape)> {
    let attn = attention_shape(&dir.join("config.json"))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(CoreError::io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(corrupt(dir, "no *.safetensors files"));
    }
    let mut entries = Vec::new();
    for f in &files {
        for (name, shape) in safetensors_header(f)? {
            if name.ends_with("rotary_emb.inv_freq") {
                continue;
            }
            entries.push((name.clone(), classify_name(&name), shape));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((entries, attn))
}

fn corrupt(path: &Path, reason: impl Into<String>) -> CoreError {
    CoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// The attention shape from a `config.json`.
fn attention_shape(cfg_path: &Path) -> Result<AttnShape> {
    let text = std::fs::read_to_string(cfg_path).map_err(CoreError::io(cfg_path))?;
    let cfg: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| corrupt(cfg_path, format!("not valid JSON: {e}")))?;
    let field = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| cfg.get(*k).and_then(|v| v.as_u64()))
    };
    let hidden = field(&["hidden_size", "n_embd", "d_model"])
        .ok_or_else(|| corrupt(cfg_path, "no hidden_size / n_embd"))?;
    let heads = field(&["num_attention_heads", "n_head"])
        .ok_or_else(|| corrupt(cfg_path, "no num_attention_heads / n_head"))?;
    let kv = field(&["num_key_value_heads"]).unwrap_or(heads);
    if heads == 0 || kv == 0 || hidden % heads != 0 {
        return Err(corrupt(cfg_path, "inconsistent attention shape"));
    }
    Ok(AttnShape {
        hidden: hidden as usize,
        n_heads: heads as usize,
        n_kv_heads: kv as usize,
    })
}

/// Tensor names and shapes from a safetensors header (8-byte length, then JSON).
fn safetensors_header(path: &Path) -> Result<Vec<(String, Vec<usize>)>> {
    let mut f = std::fs::File::open(path).map_err(CoreError::io(path))?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)
        .map_err(|_| corrupt(path, "truncated safetensors header"))?;
    let len = u64::from_le_bytes(len);
    if len > MAX_HEADER_BYTES {
        return Err(corrupt(
            path,
            format!("implausible safetensors header size {len}"),
        ));
    }
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf)
        .map_err(|_| corrupt(path, "truncated safetensors header"))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&buf)
        .map_err(|e| corrupt(path, format!("corrupt safetensors header: {e}")))?;
    let mut out = Vec::new();
    for (name, info) in header {
        if name == "__metadata__" {
            continue;
        }
        let shape = info
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|a| {
                a.iter()
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| corrupt(path, format!("tensor `{name}` has no shape")))?;
        out.push((name, shape));
    }
    Ok(out)
}
