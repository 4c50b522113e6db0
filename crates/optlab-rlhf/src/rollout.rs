//! The rollout core shared by every algorithm: responses from the policy (KV-cached batch
//! sampling), and padded `[batch, time]` training batches with the action mask that marks
//! the response tokens (including the stop token when the response ended with one).

use crate::error::{bail, Result};
use candle_core::{DType, Device, Tensor};
use optlab_core::generate::{sample_n, sampling_distribution, SamplingConfig};
use optlab_core::models::Llama;
use optlab_core::rng::Rng;

/// `n` responses to `prompt`. A response that stopped on a stop id gets that id back at its
/// end, because choosing to stop is an action the policy is trained on.
pub fn respond(
    model: &Llama,
    prompt: &[u32],
    n: usize,
    cfg: &SamplingConfig,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Vec<Vec<u32>>> {
    if cfg.max_new_tokens == 0 {
        bail!("responses need at least one new token (max_new_tokens is 0)");
    }
    let stop = cfg.stop_ids.first().copied();
    let room = model
        .config()
        .max_position_embeddings
        .saturating_sub(prompt.len());
    let mut rows = sample_n(model, prompt, n, cfg, rng, dev)?;
    for r in &mut rows {
        if let Some(s) = stop {
            if r.len() < cfg.max_new_tokens && r.len() < room {
                r.push(s);
            }
        }
    }
    Ok(rows)
}

/// Prompt + response rows as next-token training tensors.
pub struct Batch {
    /// Input ids `[b, t]` (u32, right-padded with 0).
    pub inputs: Tensor,
    /// Next-token targets `[b, t]` (u32).
    pub targets: Tensor,
    /// 1 at response (action) positions, else 0, `[b, t]` (f32).
    pub mask: Tensor,
    /// Per row: first action position and number of actions.
    pub spans: Vec<(usize, usize)>,
    /// Padded length.
    pub t: usize,
}

impl Batch {
    /// Build from matching lists of prompts and (non-empty) responses.
    pub fn new(prompts: &[&[u32]], responses: &[&[u32]], dev: &Device) -> Result<Self> {
        if prompts.len() != responses.len() || prompts.is_empty() {
            bail!(
                "batch needs as many prompts as responses (got {} and {})",
                prompts.len(),
                responses.len()
            );
        }
        let mut rows = Vec::with_capacity(prompts.len());
        for (p, r) in prompts.iter().zip(responses) {
            if p.is_empty() || r.is_empty() {
                bail!("empty prompt or response in a training batch");
            }
            rows.push([*p, *r].concat());
        }
        let t = rows.iter().map(|r| r.len() - 1).max().unwrap_or(0);
        let b = rows.len();
        let (mut inp, mut tgt, mut mask) =
            (vec![0u32; b * t], vec![0u32; b * t], vec![0f32; b * t]);
        let mut spans = Vec::with_capacity(b);
        for (i, row) in rows.iter().enumerate() {
            let n = row.len() - 1;
            inp[i * t..i * t + n].copy_from_slice(&row[..n]);
            tgt[i * t..i * t + n].copy_from_slice(&row[1..]);
            let start = prompts[i].len() - 1;
            let len = responses[i].len();
            mask[i * t + start..i * t + start + len].fill(1.0);
            spans.push((start, len));
        }
        Ok(Self {
            inputs: Tensor::from_vec(inp, (b, t), dev)?,
            targets: Tensor::from_vec(tgt, (b, t), dev)?,
            mask: Tensor::from_vec(mask, (b, t), dev)?,
            spans,
            t,
        })
    }

    /// Values of `x [b, t]` at each row's action positions.
    pub fn per_row(&self, x: &Tensor) -> Result<Vec<Vec<f64>>> {
        let all = x.to_dtype(DType::F64)?.to_vec2::<f64>()?;
        Ok(all
            .into_iter()
            .zip(&self.spans)
            .map(|(row, &(s, n))| row[s..s + n].to_vec())
            .collect())
    }

    /// A `[b, t]` f32 tensor with `rows[i]` at row `i`'s action positions and 0 elsewhere.
    pub fn from_rows(&self, rows: &[Vec<f64>]) -> Result<Tensor> {
        let b = self.spans.len();
        let mut flat = vec![0f32; b * self.t];
        for (i, (&(s, n), r)) in self.spans.iter().zip(rows).enumerate() {
            if r.len() != n {
                bail!("row {i} has {} values for {n} actions", r.len());
            }
            for (k, v) in r.iter().enumerate() {
                flat[i * self.t + s + k] = *v as f32;
            }
        }
        Ok(Tensor::from_vec(flat, (b, self.t), self.mask.device())?)
    }

    /// Number of action tokens.
    pub fn actions(&self) -> usize {
        self.spans.iter().map(|s| s.1).sum()
    }
}

/// Probability that [`optlab_core::generate::pick_token`] draws `target` from `logits` under
/// `cfg` (temperature, top-k, top-p as it applies them; greedy gives 1 or 0). Multiplied
/// over a response's tokens it is the exact chance of sampling that response.
pub fn pick_probability(logits: &[f32], target: u32, cfg: &SamplingConfig) -> f64 {
    sampling_distribution(logits, cfg)
        .into_iter()
        .find(|&(i, _)| i == target as usize)
        .map_or(0.0, |(_, p)| p)
}

/// Exact probability that sampling with `cfg` from `model` answers each prompt with exactly
/// `responses[i]` (one batched forward pass, no sampling noise).
pub fn response_probabilities(
    model: &Llama,
    prompts: &[&[u32]],
    responses: &[&[u32]],
    cfg: &SamplingConfig,
    dev: &Device,
) -> Result<Vec<f64>> {
    let b = Batch::new(prompts, responses, dev)?;
    let logits = model
        .forward(&b.inputs)?
        .to_dtype(DType::F32)?
        .to_vec3::<f32>()?;
    let targets = b.targets.to_vec2::<u32>()?;
    Ok(b.spans
        .iter()
        .enumerate()
        .map(|(i, &(s, n))| {
            (s..s + n)
                .map(|t| pick_probability(&logits[i][t], targets[i][t], cfg))
                .product()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use optlab_core::generate::pick_token;

    #[test]
    fn pick_probability_matches_pick_token_frequencies() {
        let logits = [0.3f32, 2.0, 1.1, -0.5, 1.9];
        for (t, k, p) in [(1.0, 0, 1.0), (0.7, 0, 0.8), (1.3, 3, 0.95), (1.0, 0, 0.3)] {
            let cfg = SamplingConfig {
                temperature: t,
                top_k: k,
                top_p: p,
                max_new_tokens: 1,
                stop_ids: vec![],
            };
            let mut rng = Rng::new(9);
            let n = 40_000;
            let mut counts = [0usize; 5];
            for _ in 0..n {
                counts[pick_token(&logits, &cfg, &mut rng) as usize] += 1;
            }
            let total: f64 = (0..5).map(|i| pick_probability(&logits, i, &cfg)).sum();
            assert!((total - 1.0).abs() < 1e-9);
            for (i, c) in counts.iter().enumerate() {
                let want = pick_probability(&logits, i as u32, &cfg);
                let got = *c as f64 / n as f64;
                assert!(
                    (got - want).abs() < 0.01,
                    "t {t} k {k} p {p} token {i}: {got} vs {want}"
                );
            }
        }
        let greedy = SamplingConfig {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            max_new_tokens: 1,
            stop_ids: vec![],
        };
        assert_eq!(pick_probability(&logits, 1, &greedy), 1.0);
        assert_eq!(pick_probability(&logits, 4, &greedy), 0.0);
    }

    #[test]
    fn batch_marks_response_targets_and_round_trips_rows() {
        let dev = Device::Cpu;
        let (p1, r1) = (vec![1u32, 2, 3], vec![7u32, 8]);
        let (p2, r2) = (vec![4u32], vec![9u32]);
        let b = Batch::new(&[&p1, &p2], &[&r1, &r2], &dev).unwrap();
        assert_eq!(b.t, 4);
        assert_eq!(
            b.inputs.to_vec2::<u32>().unwrap(),
            vec![vec![1, 2, 3, 7], vec![4, 0, 0, 0]]
        );
        assert_eq!(
            b.targets.to_vec2::<u32>().unwrap(),
            vec![vec![2, 3, 7, 8], vec![9, 0, 0, 0]]
        );
        assert_eq!(
            b.mask.to_vec2::<f32>().unwrap(),
            vec![vec![0.0, 0.0, 1.0, 1.0], vec![1.0, 0.0, 0.0, 0.0]]
        );
        assert_eq!(b.spans, vec![(2, 2), (0, 1)]);
        let rows = vec![vec![0.5, -1.0], vec![2.0]];
        let t = b.from_rows(&rows).unwrap();
        assert_eq!(b.per_row(&t).unwrap(), rows);
        assert!(b.from_rows(&[vec![1.0], vec![2.0]]).is_err());
        assert!(Batch::new(&[&p1], &[&[]], &dev).is_err());
    }
}
