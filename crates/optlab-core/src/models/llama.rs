//! A Llama-style decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention, optional tied
//! embeddings) with Hugging Face parameter names, built on optlab's differentiable ops.

use super::attention::{causal_mask, Attention, Heads, KvCache, Masking};
use super::dense::Dense as Linear;
use std::ops::Range;

use candle_core::{DType, Device, Module, Tensor, D};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::ops::{rope_tables, OpsMode};
use crate::params::{Init, ParamBuilder, ParamRole, ParamStore};

fn default_theta() -> f64 {
    10000.0
}
fn default_eps() -> f64 {
    1e-5
}
fn default_max_pos() -> usize {
    2048
}

/// Model hyper-parameters, with the field names of a Hugging Face Llama/Qwen2 `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlamaConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Model width.
    pub hidden_size: usize,
    /// SwiGLU inner width.
    pub intermediate_size: usize,
    /// Number of decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (grouped-query attention); defaults to the query heads.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    /// RoPE base.
    #[serde(default = "default_theta")]
    pub rope_theta: f64,
    /// RMSNorm epsilon.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// Longest sequence the RoPE tables cover.
    #[serde(default = "default_max_pos")]
    pub max_position_embeddings: usize,
    /// Share the embedding matrix with the output head.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Whether q/k/v projections carry biases (Qwen2 does).
    #[serde(default)]
    pub attention_bias: bool,
}

impl LlamaConfig {
    /// Named presets: `tiny` (~0.8M parameters, for tests) and `small` (~24M).
    pub fn preset(name: &str, vocab_size: usize) -> Result<Self> {
        let (hidden, inter, layers, heads, kv) = match name {
            "tiny" => (128, 352, 4, 4, 2),
            "mini" => (256, 704, 6, 4, 2),
            "small" => (512, 1376, 8, 8, 4),
            other => {
                return Err(CoreError::Config(format!(
                    "unknown model size `{other}` (expected tiny, mini or small)"
                )))
            }
        };
        Ok(Self {
            vocab_size,
            hidden_size: hidden,
            intermediate_size: inter,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            num_key_value_heads: Some(kv),
            rope_theta: 10000.0,
            rms_norm_eps: 1e-5,
            max_position_embeddings: 1024,
            tie_word_embeddings: false,
            attention_bias: false,
        })
    }

    /// Key/value heads, resolving the default.
    pub fn kv_heads(&self) -> usize {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

struct Block {
    input_norm: Tensor,
    attn: Attention,
    post_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// The decoder. Parameters live in a [`ParamStore`] under Hugging Face names.
pub struct Llama {
    cfg: LlamaConfig,
    embed: Tensor,
    blocks: Vec<Block>,
    norm: Tensor,
    head: Tensor,
    cos: Tensor,
    sin: Tensor,
    ops: OpsMode,
    store: ParamStore,
}

fn linear(b: &ParamBuilder, out: usize, inp: usize, role: ParamRole, bias: bool) -> Result<Linear> {
    let w = b.param("weight", &[out, inp], Init::Normal(0.02), role)?;
    let bias = if bias {
        Some(
            b.param("bias", &[out], Init::Const(0.0), ParamRole::Bias)?
                .as_tensor()
                .clone(),
        )
    } else {
        None
    };
    Ok(Linear::new(w.as_tensor().clone(), bias))
}

impl Llama {
    /// Build a freshly initialised model (weights from `seed`) in `dtype` on `device`.
    pub fn new(cfg: &LlamaConfig, dtype: DType, device: &Device, seed: u64) -> Result<Self> {
        cfg.check(std::path::Path::new("model configuration"))?;
        let store = ParamStore::new();
        let root = ParamBuilder::new(&store, dtype, device, seed);
        let m = root.pp("model");
        let (h, hd) = (cfg.hidden_size, cfg.head_dim());
        let embed = m.pp("embed_tokens").param(
            "weight",
            &[cfg.vocab_size, h],
            Init::Normal(0.02),
            ParamRole::Embedding,
        )?;
        let mut blocks = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let l = m.pp("layers").pp(i);
            let a = l.pp("self_attn");
            let bias = cfg.attention_bias;
            let attn = Attention {
                q: linear(
                    &a.pp("q_proj"),
                    cfg.num_attention_heads * hd,
                    h,
                    ParamRole::Query,
                    bias,
                )?,
                k: linear(
                    &a.pp("k_proj"),
                    cfg.kv_heads() * hd,
                    h,
                    ParamRole::Key,
                    bias,
                )?,
                v: linear(
                    &a.pp("v_proj"),
                    cfg.kv_heads() * hd,
                    h,
                    ParamRole::Value,
                    bias,
                )?,
                o: linear(
                    &a.pp("o_proj"),
                    h,
                    cfg.num_attention_heads * hd,
                    ParamRole::AttnOutput,
                    false,
                )?,
            };
            let norm = |name: &str| -> Result<Tensor> {
                Ok(l.pp(name)
                    .param("weight", &[h], Init::Const(1.0), ParamRole::Norm)?
                    .as_tensor()
                    .clone())
            };
            let input_norm = norm("input_layernorm")?;
            let post_norm = norm("post_attention_layernorm")?;
            let mlp = l.pp("mlp");
            let inter = cfg.intermediate_size;
            blocks.push(Block {
                input_norm,
                attn,
                post_norm,
                gate: linear(&mlp.pp("gate_proj"), inter, h, ParamRole::MlpGate, false)?,
                up: linear(&mlp.pp("up_proj"), inter, h, ParamRole::MlpUp, false)?,
                down: linear(&mlp.pp("down_proj"), h, inter, ParamRole::MlpDown, false)?,
            });
        }
        let norm = m
            .pp("norm")
            .param("weight", &[h], Init::Const(1.0), ParamRole::Norm)?;
        let head = if cfg.tie_word_embeddings {
            embed.as_tensor().clone()
        } else {
            root.pp("lm_head")
                .param(
                    "weight",
                    &[cfg.vocab_size, h],
                    Init::Normal(0.02),
                    ParamRole::OutputHead,
                )?
                .as_tensor()
                .clone()
        };
        let (cos, sin) = rope_tables(hd, cfg.max_position_embeddings, cfg.rope_theta, device)?;
        Ok(Self {
            cfg: cfg.clone(),
            embed: embed.as_tensor().clone(),
            blocks,
            norm: norm.as_tensor().clone(),
            head,
            cos: cos.to_dtype(dtype)?,
            sin: sin.to_dtype(dtype)?,
            ops: OpsMode::Fused,
            store,
        })
    }

    /// Switch between optlab's fused ops and candle's primitive ops (same weights).
    pub fn with_ops(mut self, ops: OpsMode) -> Self {
        self.ops = ops;
        self
    }

    /// An independent f32 copy of the model on `dev` (same ops mode): training one leaves the
    /// other unchanged, e.g. a frozen reference policy or a model to customise.
    pub fn deep_copy(&self, dev: &Device) -> Result<Llama> {
        let copy = Llama::new(&self.cfg, DType::F32, dev, 0)?.with_ops(self.ops);
        let tensors = self
            .params()
            .tensors()
            .into_iter()
            .map(|(name, t)| Ok((name, t.copy()?)))
            .collect::<Result<_>>()?;
        copy.params()
            .assign(tensors, std::path::Path::new("<in-memory copy>"))?;
        Ok(copy)
    }

    /// The configuration.
    pub fn config(&self) -> &LlamaConfig {
        &self.cfg
    }

    /// The named, role-tagged parameters.
    pub fn params(&self) -> &ParamStore {
        &self.store
    }

    /// Logits `[batch, seq, vocab]` for token ids `[batch, seq]` (u32), causal attention.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let x = self.embed_tokens(ids)?;
        let x = self.run_layers(&x, 0..self.cfg.num_hidden_layers)?;
        self.logits_from_hidden(&x)
    }

    /// Input embeddings `[batch, seq, hidden]` of token ids `[batch, seq]`.
    pub fn embed_tokens(&self, ids: &Tensor) -> Result<Tensor> {
        let (b, t) = ids.dims2()?;
        self.check_len(t)?;
        Ok(self.embed.index_select(&ids.flatten_all()?, 0)?.reshape((
            b,
            t,
            self.cfg.hidden_size,
        ))?)
    }

    /// Run decoder layers `layers` (causal attention, positions from 0) on hidden states
    /// `[batch, seq, hidden]`; used to split a model into a bottom and a top part.
    pub fn run_layers(&self, x: &Tensor, layers: Range<usize>) -> Result<Tensor> {
        let t = x.dim(1)?;
        self.check_len(t)?;
        self.check_range(&layers)?;
        // The fused path masks inside its softmax; only the primitive path needs the tensor.
        let mask = match self.ops {
            OpsMode::Fused => None,
            OpsMode::Basic => Some(causal_mask(t, x.dtype(), x.device())?),
        };
        let mut x = x.clone();
        for i in layers {
            x = self.block(i, &x, Masking::Causal(mask.as_ref()), 0)?;
        }
        Ok(x)
    }

    /// Final norm and output head: logits `[batch, seq, vocab]` of the last layer's output.
    pub fn logits_from_hidden(&self, x: &Tensor) -> Result<Tensor> {
        let x = self.ops.rms_norm(x, &self.norm, self.cfg.rms_norm_eps)?;
        Ok(Linear::new(self.head.clone(), None).forward(&x)?)
    }

    /// Hidden states after the final norm `[batch, seq, hidden]` (what the head reads; a
    /// reward or value head reads it too).
    pub fn final_hidden(&self, ids: &Tensor) -> Result<Tensor> {
        let x = self.embed_tokens(ids)?;
        let x = self.run_layers(&x, 0..self.cfg.num_hidden_layers)?;
        Ok(self.ops.rms_norm(&x, &self.norm, self.cfg.rms_norm_eps)?)
    }

    /// Logits with the caller's additive attention mask, broadcastable to
    /// `[batch, heads, seq, seq]` (e.g. [`super::segment_causal_mask`] for packed rows).
    pub fn forward_with_mask(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let mut x = self.embed_tokens(ids)?;
        let mask = mask.to_dtype(x.dtype())?;
        for i in 0..self.cfg.num_hidden_layers {
            x = self.block(i, &x, Masking::Additive(&mask), 0)?;
        }
        self.logits_from_hidden(&x)
    }

    /// Logits of the new tokens `ids: [batch, new]` given everything already in `cache`,
    /// which then holds them too. Matches [`Llama::forward`] on the whole sequence.
    pub fn forward_cached(&self, ids: &Tensor, cache: &mut KvCache) -> Result<Tensor> {
        if cache.layers.len() != self.cfg.num_hidden_layers {
            return Err(CoreError::Config(format!(
                "cache has {} layers, the model {}",
                cache.layers.len(),
                self.cfg.num_hidden_layers
            )));
        }
        let offset = cache.len();
        let (b, t) = ids.dims2()?;
        if !cache.is_empty() && cache.batch() != b {
            return Err(CoreError::Config(format!(
                "cache holds {} rows, got {b}",
                cache.batch()
            )));
        }
        self.check_len(offset + t)?;
        let mut x = self.embed_tokens(ids)?;
        for (i, slot) in cache.layers.iter_mut().enumerate() {
            x = self.block(i, &x, Masking::Cached(slot), offset)?;
        }
        self.logits_from_hidden(&x)
    }

    fn block(&self, i: usize, x: &Tensor, masking: Masking<'_>, offset: usize) -> Result<Tensor> {
        let blk = &self.blocks[i];
        let t = x.dim(1)?;
        let cos = self.cos.narrow(0, offset, t)?;
        let sin = self.sin.narrow(0, offset, t)?;
        let heads = Heads {
            q: self.cfg.num_attention_heads,
            kv: self.cfg.kv_heads(),
            dim: self.cfg.head_dim(),
        };
        let eps = self.cfg.rms_norm_eps;
        let h = self.ops.rms_norm(x, &blk.input_norm, eps)?;
        let a = blk.attn.forward(&h, heads, self.ops, masking, &cos, &sin)?;
        let x = (x + a)?;
        let h = self.ops.rms_norm(&x, &blk.post_norm, eps)?;
        let act = self
            .ops
            .swiglu(&blk.gate.forward(&h)?, &blk.up.forward(&h)?)?;
        Ok((x + blk.down.forward(&act)?)?)
    }

    fn check_len(&self, t: usize) -> Result<()> {
        if t > self.cfg.max_position_embeddings {
            return Err(CoreError::Config(format!(
                "sequence of {t} tokens exceeds the model's {} positions",
                self.cfg.max_position_embeddings
            )));
        }
        Ok(())
    }

    fn check_range(&self, layers: &Range<usize>) -> Result<()> {
        if layers.start > layers.end || layers.end > self.cfg.num_hidden_layers {
            return Err(CoreError::Config(format!(
                "layer range {}..{} outside the model's {} layers",
                layers.start, layers.end, self.cfg.num_hidden_layers
            )));
        }
        Ok(())
    }
}

/// Mean next-token cross-entropy of `logits [b, t, v]` against `targets [b, t]` (u32).
pub fn lm_loss(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let v = logits.dim(D::Minus1)?;
    Ok(candle_nn::loss::cross_entropy(
        &logits.reshape(((), v))?,
        &targets.flatten_all()?,
    )?)
}
