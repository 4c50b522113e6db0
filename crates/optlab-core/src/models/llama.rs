//! A Llama-style decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention, optional tied
//! embeddings) with Hugging Face parameter names, built on optlab's differentiable ops.

use super::dense::Dense as Linear;
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

    fn validate(&self) -> Result<()> {
        let ok = self.num_attention_heads > 0
            && self.hidden_size.is_multiple_of(self.num_attention_heads)
            && self.head_dim().is_multiple_of(2)
            && self.kv_heads() > 0
            && self.num_attention_heads.is_multiple_of(self.kv_heads());
        if ok {
            Ok(())
        } else {
            Err(CoreError::Config(format!(
                "inconsistent attention shape: hidden {} / heads {} / kv heads {}",
                self.hidden_size,
                self.num_attention_heads,
                self.kv_heads()
            )))
        }
    }
}

struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
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
        cfg.validate()?;
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
        let (b, t) = ids.dims2()?;
        if t > self.cfg.max_position_embeddings {
            return Err(CoreError::Config(format!(
                "sequence of {t} tokens exceeds the model's {} positions",
                self.cfg.max_position_embeddings
            )));
        }
        let mut x = self.embed.index_select(&ids.flatten_all()?, 0)?.reshape((
            b,
            t,
            self.cfg.hidden_size,
        ))?;
        // The fused path masks inside its softmax; only the primitive path needs the tensor.
        let mask = match self.ops {
            OpsMode::Fused => None,
            OpsMode::Basic => Some(causal_mask(t, x.dtype(), x.device())?),
        };
        let cos = self.cos.narrow(0, 0, t)?;
        let sin = self.sin.narrow(0, 0, t)?;
        for blk in &self.blocks {
            let h = self
                .ops
                .rms_norm(&x, &blk.input_norm, self.cfg.rms_norm_eps)?;
            x = (x + self.attention(&blk.attn, &h, mask.as_ref(), &cos, &sin)?)?;
            let h = self
                .ops
                .rms_norm(&x, &blk.post_norm, self.cfg.rms_norm_eps)?;
            let act = self
                .ops
                .swiglu(&blk.gate.forward(&h)?, &blk.up.forward(&h)?)?;
            x = (x + blk.down.forward(&act)?)?;
        }
        let x = self.ops.rms_norm(&x, &self.norm, self.cfg.rms_norm_eps)?;
        Ok(Linear::new(self.head.clone(), None).forward(&x)?)
    }

    fn attention(
        &self,
        a: &Attention,
        x: &Tensor,
        mask: Option<&Tensor>,
        cos: &Tensor,
        sin: &Tensor,
    ) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        let (nh, nkv, hd) = (
            self.cfg.num_attention_heads,
            self.cfg.kv_heads(),
            self.cfg.head_dim(),
        );
        let heads = |y: Tensor, n: usize| -> Result<Tensor> {
            Ok(y.reshape((b, t, n, hd))?.transpose(1, 2)?.contiguous()?)
        };
        let q = self.ops.rope(&heads(a.q.forward(x)?, nh)?, cos, sin)?;
        let k = self.ops.rope(&heads(a.k.forward(x)?, nkv)?, cos, sin)?;
        let v = heads(a.v.forward(x)?, nkv)?;
        let (k, v) = (repeat_kv(&k, nh / nkv)?, repeat_kv(&v, nh / nkv)?);
        let scale = 1.0 / (hd as f64).sqrt();
        let scores = q.matmul(&k.t()?)?;
        let probs = match mask {
            None => crate::ops::causal_softmax(&scores, scale)?,
            Some(m) => self.ops.softmax(&(scores * scale)?.broadcast_add(m)?)?,
        };
        let y = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((b, t, nh * hd))?;
        Ok(a.o.forward(&y)?)
    }
}

/// Repeat each key/value head `n` times so grouped-query attention lines up with the queries.
fn repeat_kv(x: &Tensor, n: usize) -> Result<Tensor> {
    if n == 1 {
        return Ok(x.clone());
    }
    let (b, kv, t, d) = x.dims4()?;
    Ok(x.unsqueeze(2)?
        .broadcast_as((b, kv, n, t, d))?
        .reshape((b, kv * n, t, d))?)
}

/// `[t, t]` additive mask: 0 on and below the diagonal, -inf above.
fn causal_mask(t: usize, dtype: DType, dev: &Device) -> Result<Tensor> {
    let v: Vec<f32> = (0..t * t)
        .map(|i| {
            if i % t > i / t {
                f32::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    Ok(Tensor::from_vec(v, (t, t), dev)?.to_dtype(dtype)?)
}

/// Mean next-token cross-entropy of `logits [b, t, v]` against `targets [b, t]` (u32).
pub fn lm_loss(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let v = logits.dim(D::Minus1)?;
    Ok(candle_nn::loss::cross_entropy(
        &logits.reshape(((), v))?,
        &targets.flatten_all()?,
    )?)
}
