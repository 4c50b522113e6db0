//! Text data: the embedded generated corpus, corpus files, and fixed-length token blocks
//! with a train/validation split.

use std::path::Path;

use candle_core::{Device, Tensor};

use crate::error::{CoreError, Result};
use crate::rng::Rng;
use crate::tokenizer::Tokenizer;

/// Sentence subjects of the embedded corpus (also the topics of the SFT open-ended prompts).
pub const SUBJECTS: &[&str] = &[
    "the fox",
    "a small bird",
    "the old farmer",
    "my sister",
    "the red robot",
    "a quiet cat",
    "the teacher",
    "our neighbour",
];
/// Verbs of the embedded corpus.
pub const VERBS: &[&str] = &[
    "sees",
    "follows",
    "paints",
    "finds",
    "carries",
    "watches",
    "remembers",
    "builds",
];
/// Sentence objects of the embedded corpus.
pub const OBJECTS: &[&str] = &[
    "the river",
    "a wooden box",
    "three apples",
    "the bright moon",
    "a green door",
    "the long road",
    "two stones",
    "a paper boat",
];
/// Closing phrases (time or place) of the embedded corpus.
pub const PLACES: &[&str] = &[
    "in the morning",
    "near the hill",
    "after the rain",
    "by the sea",
    "at night",
    "in the garden",
];

/// The embedded default corpus: simple English sentences and checkable arithmetic facts,
/// generated deterministically from `seed` (about `bytes` long). Small and structured, so a
/// tiny model learns it in a few hundred steps and every command runs with no download.
pub fn generated_corpus(seed: u64, bytes: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(bytes + 128);
    let pick = |rng: &mut Rng, xs: &[&'static str]| xs[rng.below(xs.len())];
    while out.len() < bytes {
        if rng.below(3) == 0 {
            let (a, b) = (rng.below(50), rng.below(50));
            if rng.below(2) == 0 {
                out.push_str(&format!("{a} plus {b} is {}.\n", a + b));
            } else {
                let (hi, lo) = (a.max(b), a.min(b));
                out.push_str(&format!("{hi} minus {lo} is {}.\n", hi - lo));
            }
        } else {
            let s = pick(&mut rng, SUBJECTS);
            let v = pick(&mut rng, VERBS);
            let o = pick(&mut rng, OBJECTS);
            let p = pick(&mut rng, PLACES);
            out.push_str(&format!("{s} {v} {o} {p}.\n"));
        }
    }
    out
}

/// Read a UTF-8 text corpus; a non-UTF-8 file is an error naming the first bad byte.
pub fn read_corpus(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(CoreError::io(path))?;
    String::from_utf8(bytes).map_err(|e| CoreError::NotUtf8 {
        path: path.into(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Entropy (nats per token) of the unigram distribution of `tokens`: the loss of the best
/// model that ignores context, so a trained model must beat it.
pub fn unigram_entropy(tokens: &[u32]) -> f64 {
    let mut counts = std::collections::HashMap::<u32, usize>::new();
    for &t in tokens {
        *counts.entry(t).or_default() += 1;
    }
    let n = tokens.len() as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.ln()
        })
        .sum()
}

/// A tokenised corpus split into a training and a validation range.
#[derive(Debug, Clone)]
pub struct TokenDataset {
    train: Vec<u32>,
    val: Vec<u32>,
}

impl TokenDataset {
    /// Tokenise `text` and hold out the last `val_fraction` of it for validation.
    pub fn from_text(text: &str, tok: &dyn Tokenizer, val_fraction: f64) -> Result<Self> {
        let tokens = tok.encode(text)?;
        Self::from_tokens(tokens, val_fraction)
    }

    /// Split a token stream.
    pub fn from_tokens(tokens: Vec<u32>, val_fraction: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&val_fraction) {
            return Err(CoreError::Config(format!(
                "validation fraction {val_fraction} not in [0, 1)"
            )));
        }
        let cut = ((tokens.len() as f64) * (1.0 - val_fraction)) as usize;
        let (train, val) = tokens.split_at(cut);
        Ok(Self {
            train: train.to_vec(),
            val: val.to_vec(),
        })
    }

    /// Training tokens.
    pub fn train_tokens(&self) -> &[u32] {
        &self.train
    }

    /// Validation tokens.
    pub fn val_tokens(&self) -> &[u32] {
        &self.val
    }

    /// A random batch of blocks from the training range: inputs and next-token targets,
    /// each `[batch, seq]`.
    pub fn train_batch(
        &self,
        rng: &mut Rng,
        batch: usize,
        seq: usize,
        dev: &Device,
    ) -> Result<(Tensor, Tensor)> {
        if self.train.len() <= seq + 1 {
            return Err(CoreError::Config(format!(
                "training split has {} tokens, fewer than one block of {}",
                self.train.len(),
                seq + 1
            )));
        }
        let starts: Vec<usize> = (0..batch)
            .map(|_| rng.below(self.train.len() - seq - 1))
            .collect();
        blocks(&self.train, &starts, seq, dev)
    }

    /// Consecutive validation blocks (at most `max_batches` batches), deterministic.
    pub fn val_batches(
        &self,
        batch: usize,
        seq: usize,
        max_batches: usize,
        dev: &Device,
    ) -> Result<Vec<(Tensor, Tensor)>> {
        let n_blocks = self.val.len().saturating_sub(1) / seq;
        if n_blocks == 0 {
            return Err(CoreError::Config(format!(
                "validation split has {} tokens, fewer than one block of {}",
                self.val.len(),
                seq + 1
            )));
        }
        let starts: Vec<usize> = (0..n_blocks).map(|i| i * seq).collect();
        starts
            .chunks(batch)
            .take(max_batches.max(1))
            .map(|c| blocks(&self.val, c, seq, dev))
            .collect()
    }
}

fn blocks(tokens: &[u32], starts: &[usize], seq: usize, dev: &Device) -> Result<(Tensor, Tensor)> {
    let mut x = Vec::with_capacity(starts.len() * seq);
    let mut y = Vec::with_capacity(starts.len() * seq);
    for &s in starts {
        x.extend_from_slice(&tokens[s..s + seq]);
        y.extend_from_slice(&tokens[s + 1..s + seq + 1]);
    }
    let b = starts.len();
    Ok((
        Tensor::from_vec(x, (b, seq), dev)?,
        Tensor::from_vec(y, (b, seq), dev)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::ByteTokenizer;

    #[test]
    fn corpus_is_deterministic_and_arithmetic_is_correct() {
        let a = generated_corpus(1, 5000);
        assert_eq!(a, generated_corpus(1, 5000));
        assert_ne!(a, generated_corpus(2, 5000));
        for line in a.lines().filter(|l| l.contains(" plus ")) {
            let w: Vec<&str> = line.trim_end_matches('.').split(' ').collect();
            let (x, y, z): (usize, usize, usize) = (
                w[0].parse().unwrap(),
                w[2].parse().unwrap(),
                w[4].parse().unwrap(),
            );
            assert_eq!(x + y, z, "{line}");
        }
    }

    #[test]
    fn batches_are_shifted_by_one_and_split_is_disjoint() {
        let tokens: Vec<u32> = (0..1000).collect();
        let ds = TokenDataset::from_tokens(tokens, 0.1).unwrap();
        assert_eq!(ds.train_tokens().len() + ds.val_tokens().len(), 1000);
        let (x, y) = ds
            .train_batch(&mut Rng::new(0), 3, 8, &Device::Cpu)
            .unwrap();
        let (x, y): (Vec<Vec<u32>>, Vec<Vec<u32>>) = (x.to_vec2().unwrap(), y.to_vec2().unwrap());
        for (xr, yr) in x.iter().zip(&y) {
            for (a, b) in xr.iter().zip(yr) {
                assert_eq!(a + 1, *b);
                assert!(*b < 900);
            }
        }
        assert!(ds.val_batches(4, 8, 100, &Device::Cpu).unwrap().len() >= 2);
    }

    #[test]
    fn unigram_entropy_of_uniform_tokens_is_log_n() {
        let t: Vec<u32> = (0..4000).map(|i| i % 4).collect();
        assert!((unigram_entropy(&t) - 4f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn non_utf8_corpus_names_the_offset() {
        let p_tmp = tempfile::tempdir().unwrap();
        let p = p_tmp.path().join("bad.txt");
        std::fs::write(&p, b"good text \xff\xfe bad").unwrap();
        let err = read_corpus(&p).unwrap_err().to_string();
        assert!(
            err.contains("not valid UTF-8") && err.contains("offset 10"),
            "{err}"
        );
        let _ = ByteTokenizer;
    }
}
