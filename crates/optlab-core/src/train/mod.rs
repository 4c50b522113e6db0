//! The resumable training loop and what it needs: the optimizer interface (the optimizers
//! themselves live in `optlab-optim`), learning-rate schedule, checkpoints and JSON-lines
//! metrics.

mod checkpoint;
mod config;
mod metrics;
mod run_record;
mod schedule;
mod trainer;

pub use checkpoint::{Checkpoint, TrainState};
pub use config::TrainConfig;
pub use run_record::RUN_RECORD_FILE;
pub use schedule::CosineSchedule;
pub use trainer::{evaluate, train_lm, TrainSummary};

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::Tensor;

use crate::error::Result;
use crate::params::ParamStore;

/// Gradients keyed by parameter name (accumulated and clipped by the loop).
pub type NamedGrads = HashMap<String, Tensor>;

/// Gradients of every parameter of `store` that received one, detached from the autograd
/// graph (an optimizer that folds them into its state must not keep every step's graph).
pub fn named_grads(store: &ParamStore, grads: &GradStore) -> NamedGrads {
    store
        .params()
        .into_iter()
        .filter_map(|p| grads.get(p.var.as_tensor()).map(|g| (p.name, g.detach())))
        .collect()
}

/// What the training loop needs from an optimizer: a step on named gradients, and its state
/// as named tensors so checkpoints can save and restore it exactly.
pub trait TrainOptimizer {
    /// Apply one update with learning rate `lr`.
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()>;
    /// The full optimizer state (moments, step counters) as named tensors.
    fn state(&self) -> Result<HashMap<String, Tensor>>;
    /// Restore a state produced by [`TrainOptimizer::state`].
    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()>;
    /// Short name for logs ("adamw", "adam-mini", …).
    fn name(&self) -> &str;
}

/// Global L2 norm of a set of gradients, accumulated in f64.
pub fn global_norm(grads: &NamedGrads) -> Result<f64> {
    let mut sq = 0f64;
    for g in grads.values() {
        sq += g
            .to_dtype(candle_core::DType::F64)?
            .sqr()?
            .sum_all()?
            .to_scalar::<f64>()?;
    }
    Ok(sq.sqrt())
}

#[cfg(test)]
mod tests;
