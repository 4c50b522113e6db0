//! Sampling-based evaluation: `n` responses per prompt (core's batched, KV-cached
//! [`sample_n`]), then diversity over each prompt's pool and pass@k on checkable prompts.

use crate::error::Result;
use candle_core::Device;
use optlab_core::generate::{sample_n, SamplingConfig};
use optlab_core::models::Llama;
use optlab_core::rng::Rng;
use optlab_core::tokenizer::Tokenizer;
use serde::Serialize;

use crate::metrics::{distinct_n, is_correct, ngram_entropy, pass_at_k, self_bleu, words};
use crate::template::{cut_at_end, encode_prompt, SftExample, IM_END};

/// Diversity of sampled responses, averaged over prompts (each prompt's `n` responses form
/// one pool).
#[derive(Debug, Clone, Serialize)]
pub struct Diversity {
    /// Prompts scored.
    pub prompts: usize,
    /// Responses per prompt.
    pub n: usize,
    /// distinct-1, distinct-2, distinct-3 (fractions).
    pub distinct: [f64; 3],
    /// Entropy (nats) of the 1-, 2- and 3-gram distributions.
    pub entropy: [f64; 3],
    /// Self-BLEU (0-100; lower is more diverse).
    pub self_bleu: f64,
    /// Mean response length in words.
    pub mean_words: f64,
}

/// pass@k on checkable prompts (unbiased estimator, averaged over prompts).
#[derive(Debug, Clone, Serialize)]
pub struct PassAtK {
    /// Prompts scored.
    pub prompts: usize,
    /// Samples per prompt.
    pub n: usize,
    /// `(k, pass@k)` for k = 1, 2, 4, ... up to `n`.
    pub pass: Vec<(usize, f64)>,
    /// Fraction of all samples that are correct (= pass@1).
    pub sample_accuracy: f64,
}

/// Stop tokens for chat generation with `tok`: `<|im_end|>` and `<|endoftext|>` where they are
/// single tokens.
pub fn chat_stop_ids(tok: &dyn Tokenizer) -> Vec<u32> {
    [IM_END, "<|endoftext|>"]
        .iter()
        .filter_map(|t| tok.token_id(t))
        .collect()
}

/// `n` sampled responses (text, cut at `<|im_end|>`) to each prompt of `prompts`.
pub fn sample_responses(
    model: &Llama,
    tok: &dyn Tokenizer,
    prompts: &[SftExample],
    n: usize,
    cfg: &SamplingConfig,
    rng: &mut Rng,
    dev: &Device,
) -> Result<Vec<Vec<String>>> {
    let mut cfg = cfg.clone();
    cfg.stop_ids.extend(chat_stop_ids(tok));
    let mut out = Vec::with_capacity(prompts.len());
    for p in prompts {
        let ids = encode_prompt(tok, p.prompt_messages())?;
        let rows = sample_n(model, &ids, n, &cfg, rng, dev)?;
        let mut texts = Vec::with_capacity(n);
        for r in rows {
            texts.push(cut_at_end(&tok.decode(&r)?).trim().to_string());
        }
        out.push(texts);
    }
    Ok(out)
}

/// Diversity of each prompt's pool of responses, averaged.
pub fn diversity(pools: &[Vec<String>]) -> Diversity {
    let mut d = [0.0; 3];
    let mut e = [0.0; 3];
    let (mut sb, mut words_total, mut responses) = (0.0, 0usize, 0usize);
    for pool in pools {
        let ws: Vec<Vec<String>> = pool.iter().map(|t| words(t)).collect();
        for n in 1..=3 {
            d[n - 1] += distinct_n(&ws, n);
            e[n - 1] += ngram_entropy(&ws, n);
        }
        sb += self_bleu(&ws);
        words_total += ws.iter().map(Vec::len).sum::<usize>();
        responses += ws.len();
    }
    let p = pools.len().max(1) as f64;
    Diversity {
        prompts: pools.len(),
        n: pools.first().map_or(0, Vec::len),
        distinct: d.map(|x| x / p),
        entropy: e.map(|x| x / p),
        self_bleu: sb / p,
        mean_words: words_total as f64 / responses.max(1) as f64,
    }
}

/// pass@k of each prompt's pool against its example's answer, for k = 1, 2, 4, ... <= n.
/// Prompts without an answer are skipped.
pub fn pass_at(pools: &[Vec<String>], prompts: &[SftExample]) -> PassAtK {
    let n = pools.iter().map(Vec::len).min().unwrap_or(0);
    let ks: Vec<usize> = (0..).map(|i| 1usize << i).take_while(|&k| k <= n).collect();
    let mut sums = vec![0.0; ks.len()];
    let (mut scored, mut correct_total) = (0usize, 0usize);
    for (pool, ex) in pools.iter().zip(prompts) {
        let Some(ans) = &ex.answer else { continue };
        let c = pool[..n].iter().filter(|r| is_correct(r, ans)).count();
        for (s, &k) in sums.iter_mut().zip(&ks) {
            *s += pass_at_k(n, c, k).unwrap_or(0.0);
        }
        scored += 1;
        correct_total += c;
    }
    let p = scored.max(1) as f64;
    PassAtK {
        prompts: scored,
        n,
        pass: ks
            .into_iter()
            .zip(sums.into_iter().map(|s| s / p))
            .collect(),
        sample_accuracy: correct_total as f64 / (scored * n).max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_at_and_diversity_on_fixed_pools() {
        let mut ex = SftExample::single("2+2?", "4");
        ex.answer = Some("4".into());
        let open = SftExample::single("say hi", "hi");
        let pools = vec![
            vec!["The answer is 4.".to_string(), "The answer is 5.".into()],
            vec!["hi".into(), "hello".into()],
        ];
        let p = pass_at(&pools, &[ex, open]);
        assert_eq!(p.prompts, 1);
        assert_eq!(p.pass, vec![(1, 0.5), (2, 1.0)]);
        assert_eq!(p.sample_accuracy, 0.5);
        let d = diversity(&pools[1..]);
        assert_eq!(d.distinct[0], 1.0);
        assert_eq!(d.n, 2);
    }
}
