//! Token-level SFT losses over logits: cross-entropy (with label smoothing) and GEM.
//!
//! Both take logits `[.., vocab]` and one target per logit row (already aligned: row `i`
//! predicts `targets[i]`; use [`shift_labels`] for Hugging Face-style unshifted labels).
//! Rows whose target is [`IGNORE_INDEX`] are dropped before anything is computed, so they
//! contribute neither loss nor gradient. Log-softmax subtracts the (detached) row maximum.
//!
//! GEM follows the reference trainer (`liziniu/GEM`, `sft_trainer_v2.py::gem_loss`): per kept
//! row with logits `z` and target `y`, with `q = softmax(z / beta)` and weights `w` held
//! constant, `l = -sum_v q_v w_v (log p_y - log p_v)`, where `w_v = 1` ("linear") or
//! `w_v = sigmoid(0.01 (z_v - z_y))` ("logsigmoid"). Its gradient is `q*w - (sum q*w) e_y`.

use crate::error::{bail, Result};
use candle_core::{DType, Tensor, D};

/// Target value of positions that carry no loss (prompt tokens, padding, segment ends).
pub const IGNORE_INDEX: i64 = -100;

/// GEM's weighting function `h` (its derivative gives the per-token weights).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GemWeight {
    /// `w = 1`: the gradient is `softmax(z / beta) - e_y` (the reference `train.py` default).
    Linear,
    /// `w_v = sigmoid(0.01 (z_v - z_y))` (what the reference's shipped scripts select).
    Logsigmoid,
}

/// Which loss an SFT run minimises.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SftLoss {
    /// Cross-entropy, optionally label-smoothed: `(1-eps) * CE(y) + eps * mean_v(-log p_v)`.
    Ce {
        /// Label smoothing `eps` in `[0, 1)`.
        label_smoothing: f64,
    },
    /// GEM: entropy-regularised reverse-KL distribution matching.
    Gem {
        /// Temperature of the auxiliary distribution `q = softmax(z / beta)` (reference 0.7).
        beta: f64,
        /// Weighting function.
        h: GemWeight,
    },
}

impl SftLoss {
    /// Plain cross-entropy.
    pub const CE: SftLoss = SftLoss::Ce {
        label_smoothing: 0.0,
    };

    /// GEM with the reference defaults (beta 0.7, linear weights).
    pub const GEM: SftLoss = SftLoss::Gem {
        beta: 0.7,
        h: GemWeight::Linear,
    };

    /// Short name for logs and tables ("ce", "gem-linear", ...).
    pub fn name(&self) -> String {
        match self {
            SftLoss::Ce { label_smoothing } if *label_smoothing > 0.0 => {
                format!("ce-ls{label_smoothing}")
            }
            SftLoss::Ce { .. } => "ce".into(),
            SftLoss::Gem { h, .. } => match h {
                GemWeight::Linear => "gem-linear".into(),
                GemWeight::Logsigmoid => "gem-logsigmoid".into(),
            },
        }
    }

    fn validate(&self) -> Result<()> {
        match *self {
            SftLoss::Ce { label_smoothing } if !(0.0..1.0).contains(&label_smoothing) => {
                bail!("label smoothing must be in [0, 1), got {label_smoothing}")
            }
            SftLoss::Gem { beta, .. } if !(beta > 0.0 && beta.is_finite()) => {
                bail!("GEM beta must be positive and finite, got {beta}")
            }
            _ => Ok(()),
        }
    }
}

/// A loss value with what was measured alongside it.
pub struct LossOutput {
    /// The differentiable scalar to call `backward` on (dtype of the logits).
    pub loss: Tensor,
    /// Rows that carried a target.
    pub tokens: usize,
    /// Sum over kept rows of plain cross-entropy `-log p_y` (detached; for logging and
    /// perplexity whatever the training loss is).
    pub ce_sum: f64,
    /// Sum over kept rows of the model's entropy `-sum_v p_v log p_v` (detached).
    pub entropy_sum: f64,
}

/// Turn Hugging Face-style labels (aligned with the inputs, `[rows, len]` flattened) into
/// per-logit-row targets: row `i` predicts label `i+1` of the same sequence; each sequence's
/// last row gets [`IGNORE_INDEX`].
pub fn shift_labels(labels: &[i64], len: usize) -> Vec<i64> {
    let mut out = vec![IGNORE_INDEX; labels.len()];
    if len == 0 {
        return out;
    }
    for (src, dst) in labels.chunks(len).zip(out.chunks_mut(len)) {
        dst[..len - 1].copy_from_slice(&src[1..]);
    }
    out
}

/// Stable `log_softmax` along the last dimension; the shift is detached (it cancels exactly).
pub fn log_softmax(z: &Tensor) -> Result<Tensor> {
    let m = z.max_keepdim(D::Minus1)?.detach();
    let shifted = z.broadcast_sub(&m)?;
    let lse = shifted.exp()?.sum_keepdim(D::Minus1)?.log()?;
    Ok(shifted.broadcast_sub(&lse)?)
}

/// The loss `kind` of `logits` (`[.., vocab]`, f32 or f64) against `targets` (one per logit
/// row, [`IGNORE_INDEX`] to skip), summed over kept rows and divided by `denom` (default: the
/// number of kept rows, i.e. the mean; pass the token count of a whole accumulated step to
/// normalise micro-batches the way the reference does with `num_items_in_batch`).
pub fn sft_loss(
    logits: &Tensor,
    targets: &[i64],
    kind: &SftLoss,
    denom: Option<f64>,
) -> Result<LossOutput> {
    kind.validate()?;
    let v = logits.dim(D::Minus1)?;
    let rows = logits.elem_count() / v.max(1);
    if rows != targets.len() {
        bail!("{rows} logit rows but {} targets", targets.len());
    }
    let mut keep = Vec::new();
    let mut ys = Vec::new();
    for (i, &t) in targets.iter().enumerate() {
        if t == IGNORE_INDEX {
            continue;
        }
        if t < 0 || t as usize >= v {
            bail!("target {t} at row {i} is outside the vocabulary of {v}");
        }
        keep.push(i as u32);
        ys.push(t as u32);
    }
    let flat = logits.reshape((rows, v))?;
    if keep.is_empty() {
        return Ok(LossOutput {
            loss: (flat.sum_all()? * 0.0)?,
            tokens: 0,
            ce_sum: 0.0,
            entropy_sum: 0.0,
        });
    }
    let dev = logits.device();
    let k = keep.len();
    let z = flat.index_select(&Tensor::new(keep.as_slice(), dev)?, 0)?;
    let y = Tensor::new(ys.as_slice(), dev)?.unsqueeze(1)?;
    let lp = log_softmax(&z)?;
    let lp_y = lp.gather(&y, 1)?; // [k, 1]
    let per_row = match *kind {
        SftLoss::Ce { label_smoothing } => {
            let nll = lp_y.neg()?;
            if label_smoothing > 0.0 {
                let smooth = lp.mean_keepdim(D::Minus1)?.neg()?;
                ((nll * (1.0 - label_smoothing))? + (smooth * label_smoothing)?)?
            } else {
                nll
            }
        }
        SftLoss::Gem { beta, h } => {
            let zd = z.detach();
            let q = log_softmax(&(&zd / beta)?)?.exp()?;
            let c = match h {
                GemWeight::Linear => q,
                GemWeight::Logsigmoid => {
                    let zy = zd.gather(&y, 1)?;
                    let w = candle_nn::ops::sigmoid(&(zd.broadcast_sub(&zy)? * 0.01)?)?;
                    (q * w)?
                }
            };
            let s = c.sum_keepdim(D::Minus1)?; // constant
                                               // -sum_v c_v (lp_y - lp_v) = sum_v c_v lp_v - S lp_y
            ((&c * &lp)?.sum_keepdim(D::Minus1)? - (s * &lp_y)?)?
        }
    };
    let denom = denom.unwrap_or(k as f64);
    if denom.is_nan() || denom <= 0.0 {
        bail!("loss denominator must be positive, got {denom}");
    }
    let loss = (per_row.sum_all()? / denom)?;
    let lpd = lp.detach();
    let ce_sum = -to_f64(&lp_y.detach().sum_all()?)?;
    let entropy_sum = -to_f64(&(lpd.exp()? * &lpd)?.sum_all()?)?;
    Ok(LossOutput {
        loss,
        tokens: k,
        ce_sum,
        entropy_sum,
    })
}

fn to_f64(t: &Tensor) -> Result<f64> {
    Ok(t.to_dtype(DType::F64)?.to_scalar::<f64>()?)
}

#[cfg(test)]
#[path = "loss_tests.rs"]
mod tests;
