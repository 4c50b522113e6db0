//! Task data and held-out evaluation for the semi-open experiments: samples drawn from the
//! embedded generated corpus (the "general" task the owner pre-trained on), a downstream task
//! the owner never trained on (for customisation). Models load through
//! [`optlab_core::models::LoadedModel`].

use crate::error::{bail, Result};
use candle_core::{DType, Device, Tensor, D};
use optlab_core::data::generated_corpus;
use optlab_core::models::lm_loss;
use optlab_core::rng::Rng;
use optlab_core::tokenizer::Tokenizer;
use serde::Serialize;

/// `n` lines (samples) of the embedded generated corpus for `seed`.
pub fn task_lines(seed: u64, n: usize) -> Vec<String> {
    let mut bytes = 48 * n + 64;
    loop {
        let text = generated_corpus(seed, bytes);
        let lines: Vec<String> = text.lines().take(n).map(|l| format!("{l}\n")).collect();
        if lines.len() == n {
            return lines;
        }
        bytes *= 2;
    }
}

/// `n` samples of a downstream task absent from the generated corpus: multiplication facts
/// and size comparisons, e.g. `7 times 8 is 56.` and `12 is more than 5.`.
pub fn downstream_lines(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x5ca7_a000);
    (0..n)
        .map(|_| {
            let (a, b) = (rng.below(13), rng.below(13));
            if rng.below(3) == 0 && a != b {
                let rel = if a > b { "more" } else { "less" };
                format!("{a} is {rel} than {b}.\n")
            } else {
                format!("{a} times {b} is {}.\n", a * b)
            }
        })
        .collect()
}

/// Token stream of concatenated samples.
pub fn encode_lines(lines: &[String], tok: &dyn Tokenizer) -> Result<Vec<u32>> {
    Ok(tok.encode(&lines.concat())?)
}

/// Consecutive `[batch, seq]` input/target blocks of `tokens` (at most `max_batches`).
pub fn blocks(
    tokens: &[u32],
    batch: usize,
    seq: usize,
    max_batches: usize,
    dev: &Device,
) -> Result<Vec<(Tensor, Tensor)>> {
    let n_blocks = tokens.len().saturating_sub(1) / seq.max(1);
    if seq == 0 || batch == 0 || n_blocks == 0 {
        bail!(
            "{} evaluation tokens do not fill one block of {} (batch {batch})",
            tokens.len(),
            seq + 1
        );
    }
    let starts: Vec<usize> = (0..n_blocks).map(|i| i * seq).collect();
    starts
        .chunks(batch)
        .take(max_batches.max(1))
        .map(|c| {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            for &s in c {
                x.extend_from_slice(&tokens[s..s + seq]);
                y.extend_from_slice(&tokens[s + 1..s + seq + 1]);
            }
            Ok((
                Tensor::from_vec(x, (c.len(), seq), dev)?,
                Tensor::from_vec(y, (c.len(), seq), dev)?,
            ))
        })
        .collect()
}

/// Held-out quality of a model: mean next-token cross-entropy and top-1 accuracy.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Quality {
    /// Mean cross-entropy, nats per token.
    pub loss: f64,
    /// Fraction of tokens whose most likely prediction is the true next token.
    pub accuracy: f64,
}

/// Evaluate any logits function on `batches` (forward passes only).
pub fn quality(
    logits_of: impl Fn(&Tensor) -> Result<Tensor>,
    batches: &[(Tensor, Tensor)],
) -> Result<Quality> {
    let (mut loss, mut correct, mut count) = (0f64, 0f64, 0f64);
    for (x, y) in batches {
        let logits = logits_of(x)?;
        let tokens = y.elem_count() as f64;
        loss += tokens
            * lm_loss(&logits, y)?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
        let hit = logits.argmax(D::Minus1)?.eq(y)?.to_dtype(DType::F64)?;
        correct += hit.sum_all()?.to_scalar::<f64>()?;
        count += tokens;
    }
    let q = Quality {
        loss: loss / count.max(1.0),
        accuracy: correct / count.max(1.0),
    };
    if !q.loss.is_finite() {
        bail!("held-out loss is not finite ({})", q.loss);
    }
    Ok(q)
}
