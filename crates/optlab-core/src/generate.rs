//! Text generation from a decoder: greedy, temperature, top-k and top-p sampling, stop
//! tokens, seeds. [`generate_cached`] and [`sample_n`] keep a key/value cache, so each new
//! token costs one token's forward pass; [`generate`] recomputes the whole prefix and is
//! the reference they are tested against.

use candle_core::{DType, Device, Tensor};

use crate::error::{CoreError, Result};
use crate::models::{KvCache, Llama};
use crate::rng::Rng;

/// How to pick the next token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SamplingConfig {
    /// 0 means greedy.
    pub temperature: f64,
    /// Keep only the k most likely tokens (0: all).
    pub top_k: usize,
    /// Keep the smallest set of tokens with this much probability (1: all).
    pub top_p: f64,
    /// New tokens at most.
    pub max_new_tokens: usize,
    /// Stop when one of these ids is produced (it is not included in the output).
    pub stop_ids: Vec<u32>,
}

fn argmax(logits: &[f32]) -> usize {
    logits
        .iter()
        .enumerate()
        .fold((0usize, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv {
                (i, v)
            } else {
                (bi, bv)
            }
        })
        .0
}

/// The distribution [`pick_token`] draws from: `(token, probability)` pairs in decreasing
/// probability, after temperature, top-k and top-p (greedy: the argmax with probability 1).
/// Exposed so that algorithms can score exactly what the sampler would do.
pub fn sampling_distribution(logits: &[f32], cfg: &SamplingConfig) -> Vec<(usize, f64)> {
    if cfg.temperature <= 0.0 || logits.is_empty() {
        return vec![(argmax(logits), 1.0)];
    }
    let mut idx: Vec<usize> = (0..logits.len()).collect();
    idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    if cfg.top_k > 0 {
        idx.truncate(cfg.top_k);
    }
    let m = logits[idx[0]] as f64;
    let mut probs: Vec<f64> = idx
        .iter()
        .map(|&i| ((logits[i] as f64 - m) / cfg.temperature).exp())
        .collect();
    let total: f64 = probs.iter().sum();
    probs.iter_mut().for_each(|p| *p /= total);
    if cfg.top_p < 1.0 {
        let mut acc = 0.0;
        let keep = probs.iter().take_while(|&&p| {
            let inside = acc < cfg.top_p;
            acc += p;
            inside
        });
        let n = keep.count().max(1);
        idx.truncate(n);
        probs.truncate(n);
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
    }
    idx.into_iter().zip(probs).collect()
}

/// Choose a token from one row of logits (a draw from [`sampling_distribution`]).
pub fn pick_token(logits: &[f32], cfg: &SamplingConfig, rng: &mut Rng) -> u32 {
    if cfg.temperature <= 0.0 {
        return argmax(logits) as u32;
    }
    let dist = sampling_distribution(logits, cfg);
    let mut u = rng.uniform();
    for (i, p) in &dist {
        if u < *p {
            return *i as u32;
        }
        u -= p;
    }
    dist.last().map_or(0, |d| d.0 as u32)
}

/// A NaN or infinite logit (broken weights) is an error, not a token id 0.
fn check_logits(row: &[f32], token: usize) -> Result<()> {
    match row.iter().find(|x| !x.is_finite()) {
        Some(&bad) => Err(CoreError::NonFiniteValue {
            what: format!("a logit of generated token {token}"),
            value: bad as f64,
        }),
        None => Ok(()),
    }
}

/// Continue `prompt` (token ids) and return the new ids only.
pub fn generate(
    model: &Llama,
    prompt: &[u32],
    cfg: &SamplingConfig,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Vec<u32>> {
    let max_ctx = model.config().max_position_embeddings;
    let mut ids = prompt.to_vec();
    let mut out = Vec::new();
    for _ in 0..cfg.max_new_tokens {
        let start = ids.len().saturating_sub(max_ctx);
        let x = Tensor::new(&ids[start..], dev)?.unsqueeze(0)?;
        let logits = model.forward(&x)?;
        let last = logits
            .narrow(1, logits.dim(1)? - 1, 1)?
            .flatten_all()?
            .to_dtype(DType::F32)?;
        let row = last.to_vec1::<f32>()?;
        check_logits(&row, out.len() + 1)?;
        let next = pick_token(&row, cfg, rng);
        if cfg.stop_ids.contains(&next) {
            break;
        }
        ids.push(next);
        out.push(next);
    }
    Ok(out)
}

/// Continue `prompt` like [`generate`] but with a key/value cache. Stops early when the
/// model's context (`max_position_embeddings`) is full instead of sliding the window.
pub fn generate_cached(
    model: &Llama,
    prompt: &[u32],
    cfg: &SamplingConfig,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Vec<u32>> {
    let mut rows = sample_n(model, prompt, 1, cfg, rng, dev)?;
    Ok(rows.pop().unwrap_or_default())
}

/// `n` continuations of one prompt, decoded together as a batch of `n` rows that share the
/// prompt's cache (encoded once). Row `i` draws its tokens in order from `rng`, row by row
/// at each step, so results depend only on the seed. Each row ends at its first stop token.
pub fn sample_n(
    model: &Llama,
    prompt: &[u32],
    n: usize,
    cfg: &SamplingConfig,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Vec<Vec<u32>>> {
    if prompt.is_empty() {
        return Err(CoreError::Config(
            "cannot generate from an empty prompt".into(),
        ));
    }
    let mut outs = vec![Vec::new(); n];
    if n == 0 || cfg.max_new_tokens == 0 {
        return Ok(outs);
    }
    let max_ctx = model.config().max_position_embeddings;
    let mut cache = KvCache::new(model.config().num_hidden_layers);
    let logits = model.forward_cached(&Tensor::new(prompt, dev)?.unsqueeze(0)?, &mut cache)?;
    let mut last = last_rows(&logits)?;
    last = vec![last[0].clone(); n];
    cache = cache.repeat_row(n)?;
    let mut done = vec![false; n];
    for step in 0..cfg.max_new_tokens {
        let mut next = vec![0u32; n];
        for (i, row) in last.iter().enumerate() {
            if done[i] {
                continue;
            }
            check_logits(row, step + 1)?;
            next[i] = pick_token(row, cfg, rng);
            if cfg.stop_ids.contains(&next[i]) {
                done[i] = true;
            } else {
                outs[i].push(next[i]);
            }
        }
        let full = prompt.len() + step + 1 >= max_ctx;
        if done.iter().all(|&d| d) || step + 1 == cfg.max_new_tokens || full {
            break;
        }
        let x = Tensor::new(next.as_slice(), dev)?.unsqueeze(1)?;
        last = last_rows(&model.forward_cached(&x, &mut cache)?)?;
    }
    Ok(outs)
}

/// The last position's logits of every row of `[b, t, v]`, as f32 vectors.
fn last_rows(logits: &Tensor) -> Result<Vec<Vec<f32>>> {
    let t = logits.dim(1)?;
    Ok(logits
        .narrow(1, t - 1, 1)?
        .squeeze(1)?
        .to_dtype(DType::F32)?
        .to_vec2::<f32>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(t: f64, k: usize, p: f64) -> SamplingConfig {
        SamplingConfig {
            temperature: t,
            top_k: k,
            top_p: p,
            max_new_tokens: 1,
            stop_ids: vec![],
        }
    }

    #[test]
    fn greedy_top_k_and_top_p_restrict_choices() {
        let logits = [0.0f32, 3.0, 1.0, 2.0];
        let mut rng = Rng::new(0);
        assert_eq!(pick_token(&logits, &cfg(0.0, 0, 1.0), &mut rng), 1);
        for _ in 0..200 {
            let t = pick_token(&logits, &cfg(1.0, 2, 1.0), &mut rng);
            assert!(t == 1 || t == 3);
        }
        // softmax([3,2,1,0]) = [.644,.237,.087,.032]: top-p 0.5 keeps only the first.
        for _ in 0..200 {
            assert_eq!(pick_token(&logits, &cfg(1.0, 0, 0.5), &mut rng), 1);
        }
        let mut counts = [0usize; 4];
        for _ in 0..20000 {
            counts[pick_token(&logits, &cfg(1.0, 0, 1.0), &mut rng) as usize] += 1;
        }
        let p1 = counts[1] as f64 / 20000.0;
        assert!((p1 - 0.6439).abs() < 0.02, "p(argmax) {p1}");
        let d = sampling_distribution(&logits, &cfg(1.0, 2, 1.0));
        assert_eq!(d.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 3]);
        assert!((d.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((d[0].1 - 1.0 / (1.0 + (-1f64).exp())).abs() < 1e-12);
        assert_eq!(
            sampling_distribution(&logits, &cfg(0.0, 0, 1.0)),
            vec![(1, 1.0)]
        );
    }
}
