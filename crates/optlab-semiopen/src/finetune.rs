//! Fine-tuning used by the attack and customisation simulations: optlab-core's training loop
//! (AdamW, warm-up + cosine) on a handful of task samples, optionally with some parameters
//! frozen.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{bail, Result};
use candle_core::Tensor;
use optlab_core::data::TokenDataset;
use optlab_core::models::Llama;
use optlab_core::train::{train_lm, AdamW, AdamWConfig, NamedGrads, TrainConfig, TrainOptimizer};
use serde::Serialize;

/// Fine-tuning settings.
#[derive(Debug, Clone, Serialize)]
pub struct FinetuneConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Tokens per sequence.
    pub seq_len: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// AdamW decoupled weight decay (SCARA's attack uses 0.1).
    pub weight_decay: f64,
    /// Global gradient-norm clip (0 disables).
    pub clip: f64,
    /// Batch-sampling seed.
    pub seed: u64,
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        Self {
            steps: 100,
            batch: 8,
            seq_len: 64,
            lr: 1e-3,
            weight_decay: 0.1,
            clip: 1.0,
            seed: 0,
        }
    }
}

/// An optimizer that applies its inner optimizer to the named parameters only; the others
/// receive no update (their gradients are dropped).
pub struct OnlyThese<O: TrainOptimizer> {
    inner: O,
    trainable: HashSet<String>,
}

impl<O: TrainOptimizer> OnlyThese<O> {
    /// Wrap `inner`, training only `trainable`.
    pub fn new(inner: O, trainable: HashSet<String>) -> Self {
        Self { inner, trainable }
    }
}

impl<O: TrainOptimizer> TrainOptimizer for OnlyThese<O> {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> optlab_core::Result<()> {
        let kept: NamedGrads = grads
            .iter()
            .filter(|(n, _)| self.trainable.contains(*n))
            .map(|(n, g)| (n.clone(), g.clone()))
            .collect();
        self.inner.step(&kept, lr)
    }

    fn state(&self) -> optlab_core::Result<std::collections::HashMap<String, Tensor>> {
        self.inner.state()
    }

    fn load_state(
        &mut self,
        state: &std::collections::HashMap<String, Tensor>,
    ) -> optlab_core::Result<()> {
        self.inner.load_state(state)
    }

    fn name(&self) -> &str {
        self.inner.name()
    }
}

/// A dataset whose training range is exactly `samples` and whose validation range (the
/// loop's own end-of-run check, not the reported quality) repeats their first block.
fn sample_dataset(samples: &[u32], seq: usize) -> Result<TokenDataset> {
    if samples.len() < seq + 2 {
        bail!(
            "the task samples hold {} tokens, fewer than one training block of {} (add samples or lower --seq-len)",
            samples.len(),
            seq + 2
        );
    }
    let extra = seq + 2;
    let mut tokens = samples.to_vec();
    tokens.extend_from_slice(&samples[..extra]);
    // cut = floor(total * (1 - f)) = samples.len() exactly with this f.
    let f = (extra as f64 - 0.5) / tokens.len() as f64;
    Ok(TokenDataset::from_tokens(tokens, f)?)
}

/// Fine-tune `model` on the token stream `samples` with AdamW; when `trainable` is given,
/// only those parameters change. Returns the final training loss. Run files (metrics,
/// checkpoint) go to `work`, which is removed afterwards unless `keep` is set.
pub fn finetune(
    model: &Llama,
    samples: &[u32],
    trainable: Option<HashSet<String>>,
    cfg: &FinetuneConfig,
    work: &Path,
    keep: bool,
) -> Result<f64> {
    let data = sample_dataset(samples, cfg.seq_len)?;
    let adamw = AdamW::new(
        model.params(),
        AdamWConfig {
            weight_decay: cfg.weight_decay,
            ..AdamWConfig::default()
        },
    );
    let tc = TrainConfig {
        clip: cfg.clip,
        val_batches: 1,
        seed: cfg.seed,
        ..TrainConfig::short(
            cfg.steps,
            cfg.batch,
            cfg.seq_len,
            cfg.lr,
            PathBuf::from(work),
        )
    };
    let summary = match trainable {
        Some(names) => train_lm(
            model,
            &data,
            &mut OnlyThese::new(adamw, names),
            &tc,
            &optlab_core::report::Silent,
        )?,
        None => train_lm(
            model,
            &data,
            &mut { adamw },
            &tc,
            &optlab_core::report::Silent,
        )?,
    };
    if !keep {
        let _ = std::fs::remove_dir_all(work);
    }
    Ok(summary.losses.last().map_or(f64::NAN, |l| l.1))
}
