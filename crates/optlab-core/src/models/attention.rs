//! Grouped-query self-attention of the Llama decoder: plain causal, with a caller's mask
//! (packed sequences), or incremental with a key/value cache (generation).

use super::dense::Dense as Linear;
use candle_core::{DType, Device, Module, Tensor};

use crate::error::{CoreError, Result};
use crate::ops::{causal_attention, rope_heads_inner, OpsMode};

/// The four projections of one attention layer.
pub(super) struct Attention {
    pub q: Linear,
    pub k: Linear,
    pub v: Linear,
    pub o: Linear,
}

/// Head layout shared by every layer.
#[derive(Clone, Copy)]
pub(super) struct Heads {
    pub q: usize,
    pub kv: usize,
    pub dim: usize,
}

/// How the scores are masked.
pub(super) enum Masking<'a> {
    /// Causal over the current tokens (fused on the fused path, a mask tensor otherwise).
    Causal(Option<&'a Tensor>),
    /// The caller's additive mask, broadcastable to `[b, heads, t, t]`.
    Additive(&'a Tensor),
    /// New tokens after the cached ones: causal with the cache as the visible prefix.
    Cached(&'a mut Option<(Tensor, Tensor)>),
}

impl Attention {
    /// Attention output for `x: [b, t, hidden]`, positions given by the `cos`/`sin` rows.
    pub fn forward(
        &self,
        x: &Tensor,
        heads: Heads,
        ops: OpsMode,
        masking: Masking<'_>,
        cos: &Tensor,
        sin: &Tensor,
    ) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        let hd = heads.dim;
        let scale = 1.0 / (hd as f64).sqrt();
        if let (OpsMode::Fused, Masking::Causal(None)) = (ops, &masking) {
            let q = self.q.forward(x)?.reshape((b, t, heads.q, hd))?;
            let k = self.k.forward(x)?.reshape((b, t, heads.kv, hd))?;
            let v = self.v.forward(x)?.reshape((b, t, heads.kv, hd))?;
            let (q, k) = (
                rope_heads_inner(&q, cos, sin)?,
                rope_heads_inner(&k, cos, sin)?,
            );
            let y = causal_attention(&q, &k, &v, scale)?.reshape((b, t, heads.q * hd))?;
            return Ok(self.o.forward(&y)?);
        }
        let split = |y: Tensor, n: usize| -> Result<Tensor> {
            Ok(y.reshape((b, t, n, hd))?.transpose(1, 2)?.contiguous()?)
        };
        let q = ops.rope(&split(self.q.forward(x)?, heads.q)?, cos, sin)?;
        let mut k = ops.rope(&split(self.k.forward(x)?, heads.kv)?, cos, sin)?;
        let mut v = split(self.v.forward(x)?, heads.kv)?;
        if let Masking::Cached(slot) = &masking {
            if let Some((pk, pv)) = slot.as_ref() {
                k = Tensor::cat(&[pk, &k], 2)?;
                v = Tensor::cat(&[pv, &v], 2)?;
            }
        }
        let group = heads.q / heads.kv;
        let (kr, vr) = (repeat_kv(&k, group)?, repeat_kv(&v, group)?);
        let scores = q.matmul(&kr.t()?)?;
        let probs = match masking {
            Masking::Causal(None) => crate::ops::causal_softmax(&scores, scale)?,
            Masking::Causal(Some(m)) | Masking::Additive(m) => {
                ops.softmax(&(scores * scale)?.broadcast_add(m)?)?
            }
            Masking::Cached(slot) => {
                // Detached: the cache must not keep every step's autograd graph alive.
                *slot = Some((k.detach(), v.detach()));
                crate::ops::causal_softmax(&scores, scale)?
            }
        };
        let y = probs
            .matmul(&vr)?
            .transpose(1, 2)?
            .reshape((b, t, heads.q * hd))?;
        Ok(self.o.forward(&y)?)
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
pub(super) fn causal_mask(t: usize, dtype: DType, dev: &Device) -> Result<Tensor> {
    segment_causal_mask(&[vec![0; t]], dtype, dev)?
        .squeeze(0)?
        .squeeze(0)
        .map_err(Into::into)
}

/// Additive `[b, 1, t, t]` mask for packed rows: token `i` sees token `j` when `j <= i` and
/// both carry the same segment id. RoPE only sees position differences, so the packed
/// segments attend exactly as they would alone.
pub fn segment_causal_mask(segments: &[Vec<u32>], dtype: DType, dev: &Device) -> Result<Tensor> {
    let t = segments.first().map_or(0, Vec::len);
    if let Some(bad) = segments.iter().find(|s| s.len() != t) {
        return Err(CoreError::Config(format!(
            "segment rows differ in length ({} vs {t})",
            bad.len()
        )));
    }
    let mut v = Vec::with_capacity(segments.len() * t * t);
    for seg in segments {
        for i in 0..t {
            v.extend((0..t).map(|j| {
                if j <= i && seg[j] == seg[i] {
                    0f32
                } else {
                    f32::NEG_INFINITY
                }
            }));
        }
    }
    Ok(Tensor::from_vec(v, (segments.len(), 1, t, t), dev)?.to_dtype(dtype)?)
}

/// Keys and values of the tokens seen so far, one slot per layer, for incremental decoding.
pub struct KvCache {
    pub(super) layers: Vec<Option<(Tensor, Tensor)>>,
}

impl KvCache {
    /// An empty cache for a model with `num_layers` decoder layers.
    pub fn new(num_layers: usize) -> Self {
        Self {
            layers: vec![None; num_layers],
        }
    }

    /// Tokens cached so far.
    pub fn len(&self) -> usize {
        self.layers
            .first()
            .and_then(|l| l.as_ref())
            .and_then(|(k, _)| k.dim(2).ok())
            .unwrap_or(0)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows in the cached batch (0 when empty).
    pub fn batch(&self) -> usize {
        self.layers
            .first()
            .and_then(|l| l.as_ref())
            .and_then(|(k, _)| k.dim(0).ok())
            .unwrap_or(0)
    }

    /// Copy a one-row cache into `n` identical rows, so one prompt is encoded once and then
    /// continued `n` different ways.
    pub fn repeat_row(&self, n: usize) -> Result<Self> {
        if self.batch() > 1 {
            return Err(CoreError::Config(format!(
                "can only repeat a one-row cache, this one has {} rows",
                self.batch()
            )));
        }
        let rep = |x: &Tensor| -> Result<Tensor> {
            let (_, h, t, d) = x.dims4()?;
            Ok(x.broadcast_as((n, h, t, d))?.contiguous()?)
        };
        let layers = self
            .layers
            .iter()
            .map(|l| match l {
                Some((k, v)) => Ok(Some((rep(k)?, rep(v)?))),
                None => Ok(None),
            })
            .collect::<Result<_>>()?;
        Ok(Self { layers })
    }
}
