//! Fine-tuning used by the attack and customisation simulations: optlab-core's training loop
//! (warm-up + cosine) on a handful of task samples, optionally with some parameters frozen.
//!
//! This crate owns no optimizer (it does not depend on optlab-optim), so it cannot step
//! parameters by itself: every training run takes its optimizer from the caller through an
//! [`OptimizerFactory`] (the `optlab` command line passes optlab-optim's AdamW). SCARA's
//! metric ([`crate::metric`]) takes no factory, so it cannot train.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use candle_core::Tensor;
use optlab_core::data::TokenDataset;
use optlab_core::models::Llama;
use optlab_core::params::ParamStore;
use optlab_core::report::Silent;
use optlab_core::train::{train_lm, NamedGrads, TrainConfig, TrainOptimizer};
use serde::Serialize;

use crate::error::{bail, Result};

/// Builds the optimizer of one training run over every parameter of a store, with the given
/// decoupled weight decay (an AdamW-style optimizer is expected; the callers' recipes were
/// tuned for AdamW with betas 0.9/0.999, eps 1e-8, no decay on norms and biases).
pub type OptimizerFactory =
    dyn Fn(&ParamStore, f64) -> optlab_core::Result<Box<dyn TrainOptimizer>> + Sync;

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
pub struct OnlyThese {
    inner: Box<dyn TrainOptimizer>,
    trainable: Option<HashSet<String>>,
}

impl OnlyThese {
    /// Wrap `inner`, training only `trainable` (`None`: every parameter).
    pub fn new(inner: Box<dyn TrainOptimizer>, trainable: Option<HashSet<String>>) -> Self {
        Self { inner, trainable }
    }
}

impl TrainOptimizer for OnlyThese {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> optlab_core::Result<()> {
        let Some(trainable) = &self.trainable else {
            return self.inner.step(grads, lr);
        };
        let kept: NamedGrads = grads
            .iter()
            .filter(|(n, _)| trainable.contains(*n))
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

/// Where a fine-tuning run keeps its files, and whether they survive it.
#[derive(Debug, Clone, Copy)]
pub struct Workdir<'a> {
    /// Folder for the run's metrics and checkpoint.
    pub path: &'a Path,
    /// Keep the folder afterwards (else it is removed).
    pub keep: bool,
}

impl<'a> Workdir<'a> {
    /// A folder removed when the run is over.
    pub fn temporary(path: &'a Path) -> Self {
        Self { path, keep: false }
    }
}

/// Fine-tune `model` on the token stream `samples` with the optimizer `make_optimizer`
/// builds; when `trainable` is given, only those parameters change. Returns the final
/// training loss. Run files (metrics, checkpoint) go to `work`.
pub fn finetune(
    model: &Llama,
    samples: &[u32],
    trainable: Option<HashSet<String>>,
    cfg: &FinetuneConfig,
    make_optimizer: &OptimizerFactory,
    work: Workdir<'_>,
) -> Result<f64> {
    let data = sample_dataset(samples, cfg.seq_len)?;
    let inner = make_optimizer(model.params(), cfg.weight_decay)?;
    let mut opt = OnlyThese::new(inner, trainable);
    let tc = TrainConfig {
        clip: cfg.clip,
        val_batches: 1,
        seed: cfg.seed,
        ..TrainConfig::short(
            cfg.steps,
            cfg.batch,
            cfg.seq_len,
            cfg.lr,
            PathBuf::from(work.path),
        )
    };
    let summary = train_lm(model, &data, &mut opt, &tc, &Silent)?;
    if !work.keep {
        let _ = std::fs::remove_dir_all(work.path);
    }
    Ok(summary.losses.last().map_or(f64::NAN, |l| l.1))
}
