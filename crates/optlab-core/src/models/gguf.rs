//! Loading llama.cpp GGUF checkpoints (arch `llama`) into the trainable [`Llama`].
//!
//! Every tensor is dequantised to f32. llama.cpp stores the query and key projections
//! permuted for its interleaved RoPE; they are permuted back to the Hugging Face
//! "rotate half" layout that optlab's RoPE uses. The tokenizer (byte-level BPE) is rebuilt as
//! a `tokenizer.json` from the vocabulary and merges in the file's metadata.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::{DType, Device, Tensor};

use super::{Llama, LlamaConfig};
use crate::error::{CoreError, Result};
use crate::tokenizer::HfTokenizer;

fn corrupt(path: &Path, reason: impl std::fmt::Display) -> CoreError {
    CoreError::Corrupt {
        path: path.into(),
        reason: reason.to_string(),
    }
}

fn meta<'a>(c: &'a Content, path: &Path, key: &str) -> Result<&'a Value> {
    c.metadata
        .get(key)
        .ok_or_else(|| corrupt(path, format!("metadata key `{key}` missing")))
}

fn meta_u(c: &Content, path: &Path, key: &str) -> Result<usize> {
    meta(c, path, key)?
        .to_u32()
        .map(|v| v as usize)
        .map_err(|e| corrupt(path, format!("{key}: {e}")))
}

fn meta_f(c: &Content, key: &str, default: f64) -> f64 {
    // Via the shortest decimal form, so an f32 1e-5 becomes f64 1e-5, not 9.99999974e-6.
    c.metadata
        .get(key)
        .and_then(|v| v.to_f32().ok())
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(default)
}

fn strings(c: &Content, path: &Path, key: &str) -> Result<Vec<String>> {
    let v = meta(c, path, key)?
        .to_vec()
        .map_err(|e| corrupt(path, format!("{key}: {e}")))?;
    v.iter()
        .map(|x| {
            x.to_string()
                .cloned()
                .map_err(|e| corrupt(path, format!("{key}: {e}")))
        })
        .collect()
}

/// The model configuration stored in a GGUF file's metadata.
pub fn gguf_config(c: &Content, path: &Path) -> Result<LlamaConfig> {
    let arch = meta(c, path, "general.architecture")?
        .to_string()
        .map_err(|e| corrupt(path, e))?;
    if arch != "llama" {
        return Err(corrupt(
            path,
            format!("architecture `{arch}` is not supported (only llama)"),
        ));
    }
    let vocab = strings(c, path, "tokenizer.ggml.tokens")?.len();
    let heads = meta_u(c, path, "llama.attention.head_count")?;
    let cfg = LlamaConfig {
        vocab_size: vocab,
        hidden_size: meta_u(c, path, "llama.embedding_length")?,
        intermediate_size: meta_u(c, path, "llama.feed_forward_length")?,
        num_hidden_layers: meta_u(c, path, "llama.block_count")?,
        num_attention_heads: heads,
        num_key_value_heads: Some(
            meta_u(c, path, "llama.attention.head_count_kv").unwrap_or(heads),
        ),
        rope_theta: meta_f(c, "llama.rope.freq_base", 10000.0),
        rms_norm_eps: meta_f(c, "llama.attention.layer_norm_rms_epsilon", 1e-5),
        max_position_embeddings: meta_u(c, path, "llama.context_length")?.min(4096),
        tie_word_embeddings: !c.tensor_infos.contains_key("output.weight"),
        attention_bias: false,
    };
    cfg.check(path)?;
    Ok(cfg)
}

/// Undo llama.cpp's interleaved-RoPE row permutation of a `[rows, cols]` Q or K matrix.
pub fn unpermute_qk(w: &Tensor, n_heads: usize) -> Result<Tensor> {
    let (rows, cols) = w.dims2()?;
    Ok(w.reshape((n_heads, rows / n_heads / 2, 2, cols))?
        .transpose(1, 2)?
        .reshape((rows, cols))?)
}

/// The inverse of [`unpermute_qk`]: what llama.cpp's converter does.
pub fn permute_qk(w: &Tensor, n_heads: usize) -> Result<Tensor> {
    let (rows, cols) = w.dims2()?;
    Ok(w.reshape((n_heads, 2, rows / n_heads / 2, cols))?
        .transpose(1, 2)?
        .reshape((rows, cols))?)
}

fn hf_name(gguf: &str) -> Option<String> {
    let fixed = match gguf {
        "token_embd.weight" => Some("model.embed_tokens.weight"),
        "output_norm.weight" => Some("model.norm.weight"),
        "output.weight" => Some("lm_head.weight"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.to_string());
    }
    let rest = gguf.strip_prefix("blk.")?;
    let (layer, part) = rest.split_once('.')?;
    let hf = match part {
        "attn_q.weight" => "self_attn.q_proj.weight",
        "attn_k.weight" => "self_attn.k_proj.weight",
        "attn_v.weight" => "self_attn.v_proj.weight",
        "attn_output.weight" => "self_attn.o_proj.weight",
        "attn_norm.weight" => "input_layernorm.weight",
        "ffn_norm.weight" => "post_attention_layernorm.weight",
        "ffn_gate.weight" => "mlp.gate_proj.weight",
        "ffn_up.weight" => "mlp.up_proj.weight",
        "ffn_down.weight" => "mlp.down_proj.weight",
        _ => return None,
    };
    Some(format!("model.layers.{layer}.{hf}"))
}

/// Build a byte-level BPE `tokenizer.json` from GGUF tokenizer metadata.
pub fn gguf_tokenizer_json(c: &Content, path: &Path) -> Result<String> {
    let tokens = strings(c, path, "tokenizer.ggml.tokens")?;
    let merges = c
        .metadata
        .get("tokenizer.ggml.merges")
        .map(|_| strings(c, path, "tokenizer.ggml.merges"))
        .transpose()?
        .unwrap_or_default();
    let types: Vec<i64> = match c
        .metadata
        .get("tokenizer.ggml.token_type")
        .and_then(|v| v.to_vec().ok())
    {
        Some(v) => v
            .iter()
            .map(|x| x.to_i32().map(i64::from).unwrap_or(1))
            .collect(),
        None => vec![1; tokens.len()],
    };
    let vocab: serde_json::Map<String, serde_json::Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i.into()))
        .collect();
    let added: Vec<serde_json::Value> = tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| types.get(*i).copied() == Some(3))
        .map(|(i, t)| serde_json::json!({"id": i, "content": t, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}))
        .collect();
    Ok(serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": null,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                  "vocab": vocab, "merges": merges}
    })
    .to_string())
}

/// Load a GGUF llama checkpoint: a trainable f32 model and its tokenizer.
pub fn load_gguf(path: &Path, device: &Device) -> Result<(Llama, HfTokenizer)> {
    let mut f = File::open(path).map_err(CoreError::io(path))?;
    let content = Content::read(&mut f).map_err(|e| corrupt(path, e))?;
    let cfg = gguf_config(&content, path)?;
    let model = Llama::new(&cfg, DType::F32, device, 0)?;
    let mut tensors = HashMap::new();
    for name in content.tensor_infos.keys() {
        let Some(hf) = hf_name(name) else {
            return Err(CoreError::UnknownTensor {
                path: path.into(),
                name: name.clone(),
            });
        };
        let q = content
            .tensor(&mut f, name, &Device::Cpu)
            .map_err(|e| corrupt(path, e))?;
        let mut t = q.dequantize(&Device::Cpu)?.to_dtype(DType::F32)?;
        if name.ends_with("attn_q.weight") {
            t = unpermute_qk(&t, cfg.num_attention_heads)?;
        } else if name.ends_with("attn_k.weight") {
            t = unpermute_qk(&t, cfg.kv_heads())?;
        }
        tensors.insert(hf, t);
    }
    model.params().assign(tensors, path)?;
    let json = gguf_tokenizer_json(&content, path)?;
    let tok = HfTokenizer::from_json(&json, path)?;
    Ok((model, tok))
}
