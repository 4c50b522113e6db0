//! Checks of a [`LlamaConfig`] before anything is allocated from it: every size positive
//! and under a stated cap, the attention shape consistent, the float fields usable, and the
//! whole model small enough for the memory available. Errors name the file, the field (and
//! its line when the text is at hand) and the limit.

use std::path::Path;

use super::LlamaConfig;
use crate::error::{CoreError, Result};

/// Largest accepted `vocab_size` (2^24 ids; real vocabularies stay under 2^18).
pub const MAX_VOCAB: usize = 1 << 24;
/// Largest accepted `hidden_size`.
pub const MAX_HIDDEN: usize = 1 << 16;
/// Largest accepted `intermediate_size`.
pub const MAX_INTERMEDIATE: usize = 1 << 18;
/// Largest accepted `num_hidden_layers`.
pub const MAX_LAYERS: usize = 1024;
/// Largest accepted head count (query or key/value).
pub const MAX_HEADS: usize = 1024;
/// Largest accepted `max_position_embeddings` (the RoPE tables cover this many positions).
pub const MAX_POSITIONS: usize = 1 << 20;

/// The integer fields of a Llama `config.json`, with their caps.
const INT_FIELDS: [(&str, usize); 7] = [
    ("vocab_size", MAX_VOCAB),
    ("hidden_size", MAX_HIDDEN),
    ("intermediate_size", MAX_INTERMEDIATE),
    ("num_hidden_layers", MAX_LAYERS),
    ("num_attention_heads", MAX_HEADS),
    ("num_key_value_heads", MAX_HEADS),
    ("max_position_embeddings", MAX_POSITIONS),
];

/// 1-based line of `"field"` in `text`, if it appears.
fn line_of(text: Option<&str>, field: &str) -> Option<usize> {
    let key = format!("\"{field}\"");
    text?.lines().position(|l| l.contains(&key)).map(|i| i + 1)
}

struct Ctx<'a> {
    path: &'a Path,
    text: Option<&'a str>,
}

impl Ctx<'_> {
    fn err(&self, field: &str, reason: String) -> CoreError {
        CoreError::ConfigField {
            path: self.path.into(),
            line: line_of(self.text, field),
            field: field.into(),
            reason,
        }
    }

    fn size(&self, field: &str, v: usize, min: usize, cap: usize) -> Result<()> {
        if v < min || v > cap {
            return Err(self.err(field, format!("{v} is outside {min}..={cap}")));
        }
        Ok(())
    }
}

/// Parse the text of a Llama/Qwen2 `config.json` read from `path` and check it: integer
/// fields written as floats (`1e12`) or negative are refused by name, then
/// [`LlamaConfig::check`] runs.
pub fn parse_llama_config(text: &str, path: &Path) -> Result<LlamaConfig> {
    let corrupt = |e: serde_json::Error| CoreError::Corrupt {
        path: path.into(),
        reason: e.to_string(),
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(corrupt)?;
    let ctx = Ctx {
        path,
        text: Some(text),
    };
    let Some(obj) = value.as_object() else {
        return Err(CoreError::Corrupt {
            path: path.into(),
            reason: "config.json must hold a JSON object".into(),
        });
    };
    for (field, cap) in INT_FIELDS {
        match obj.get(field) {
            None | Some(serde_json::Value::Null) => {}
            Some(v) if v.is_u64() => {}
            Some(v) => {
                return Err(ctx.err(
                    field,
                    format!("{v} is not a whole number in 0..={cap} (write an integer, without a fraction or exponent)"),
                ))
            }
        }
    }
    let cfg: LlamaConfig = serde_json::from_str(text).map_err(corrupt)?;
    cfg.check_in(&ctx)?;
    Ok(cfg)
}

/// Bytes available for new allocations (`MemAvailable` on Linux; 64 GiB where unknown).
fn available_memory() -> u128 {
    let fallback = 64u128 << 30;
    let Ok(text) = std::fs::read_to_string("/proc/meminfo") else {
        return fallback;
    };
    text.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u128>()
                .ok()
        })
        .map_or(fallback, |kb| kb * 1024)
}

impl LlamaConfig {
    /// Check the configuration before a model is built from it: sizes positive and under
    /// the caps ([`MAX_VOCAB`] …), heads dividing the width and key/value heads dividing the
    /// heads, an even head width, `rms_norm_eps` in (0, 1), a positive finite `rope_theta`,
    /// and the f32 parameters fitting in the memory available. `origin` names the source in
    /// errors.
    pub fn check(&self, origin: &Path) -> Result<()> {
        self.check_in(&Ctx {
            path: origin,
            text: None,
        })
    }

    fn check_in(&self, c: &Ctx<'_>) -> Result<()> {
        c.size("vocab_size", self.vocab_size, 1, MAX_VOCAB)?;
        c.size("hidden_size", self.hidden_size, 1, MAX_HIDDEN)?;
        c.size(
            "intermediate_size",
            self.intermediate_size,
            1,
            MAX_INTERMEDIATE,
        )?;
        c.size("num_hidden_layers", self.num_hidden_layers, 0, MAX_LAYERS)?;
        c.size(
            "num_attention_heads",
            self.num_attention_heads,
            1,
            MAX_HEADS,
        )?;
        c.size("num_key_value_heads", self.kv_heads(), 1, MAX_HEADS)?;
        c.size(
            "max_position_embeddings",
            self.max_position_embeddings,
            1,
            MAX_POSITIONS,
        )?;
        self.check_shape(c)?;
        if !(self.rms_norm_eps.is_finite() && self.rms_norm_eps > 0.0 && self.rms_norm_eps < 1.0) {
            let reason = format!("{} must be in (0, 1)", self.rms_norm_eps);
            return Err(c.err("rms_norm_eps", reason));
        }
        if !(self.rope_theta.is_finite() && self.rope_theta > 0.0) {
            let reason = format!("{} must be positive and finite", self.rope_theta);
            return Err(c.err("rope_theta", reason));
        }
        self.check_memory(c)
    }

    fn check_shape(&self, c: &Ctx<'_>) -> Result<()> {
        let (h, q, kv) = (self.hidden_size, self.num_attention_heads, self.kv_heads());
        if !h.is_multiple_of(q) {
            let reason = format!("{q} heads do not divide hidden_size {h}");
            return Err(c.err("num_attention_heads", reason));
        }
        if !(h / q).is_multiple_of(2) {
            let reason = format!("head width hidden_size / heads = {} must be even", h / q);
            return Err(c.err("num_attention_heads", reason));
        }
        if !q.is_multiple_of(kv) {
            let reason = format!("{kv} key/value heads do not divide the {q} attention heads");
            return Err(c.err("num_key_value_heads", reason));
        }
        Ok(())
    }

    /// Parameters of the model this configuration describes (exact, in u128).
    fn parameter_count(&self) -> u128 {
        let [v, h, i, l] = [
            self.vocab_size,
            self.hidden_size,
            self.intermediate_size,
            self.num_hidden_layers,
        ]
        .map(|x| x as u128);
        let qdim = (self.num_attention_heads * self.head_dim()) as u128;
        let kvdim = (self.kv_heads() * self.head_dim()) as u128;
        let bias = if self.attention_bias {
            qdim + 2 * kvdim
        } else {
            0
        };
        let layer = 2 * qdim * h + 2 * kvdim * h + bias + 3 * h * i + 2 * h;
        let head = if self.tie_word_embeddings { 0 } else { v * h };
        v * h + head + l * layer + h
    }

    fn check_memory(&self, c: &Ctx<'_>) -> Result<()> {
        let params = self.parameter_count();
        let rope = (self.max_position_embeddings * self.head_dim()) as u128 * 2;
        let need = (params + rope) * 4;
        let have = available_memory();
        if need > have {
            let gib = |b: u128| b as f64 / (1u64 << 30) as f64;
            let reason = format!(
                "the configuration describes {params} parameters ({:.1} GiB as f32 with the RoPE tables), more than the {:.1} GiB of memory available",
                gib(need),
                gib(have)
            );
            let v = self.vocab_size as u128 * self.hidden_size as u128;
            let field = if 2 * v >= params {
                "vocab_size"
            } else {
                "num_hidden_layers"
            };
            return Err(c.err(field, reason));
        }
        Ok(())
    }
}
