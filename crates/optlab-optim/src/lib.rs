//! optlab-optim: optimizers for optlab models.
//!
//! * [`Sgd`] (momentum, Nesterov), [`Adam`], [`AdamW`], [`AdamMini`] and [`Mofo`], each
//!   implementing both [`optlab_core::train::TrainOptimizer`] (named gradients, state as named
//!   tensors for safetensors checkpoints) and [`candle_nn::Optimizer`] (`Vec<Var>`);
//! * [`partition`]: Adam-mini's block partition (reference version 1.1.1) by parameter role;
//! * [`Optim::state_bytes`]: optimizer-state memory accounting;
//! * [`by_name`]: the optimizer the CLI's `--optimizer NAME` selects;
//! * [`entries`]: parameter names, roles and shapes of a preset or a checkpoint folder;
//! * [`bench`]: step time, state bytes and achieved bandwidth against a measured copy;
//! * [`experiments`]: pre-training and forgetting comparisons across optimizers.
//!
//! Every step first checks every gradient (shape, finiteness) and fails with the tensor's name
//! before changing any parameter or state. State is kept in f32 and each tensor is updated in
//! one fused pass over contiguous slices, in parallel over tensors.

mod adam;
mod adam_mini;
pub mod bench;
mod common;
mod config;
pub mod entries;
pub mod experiments;
pub mod mofo;
pub mod partition;
mod sgd;

pub use adam::{Adam, AdamFamily, AdamW};
pub use adam_mini::AdamMini;
pub use common::Optim;
pub use config::{AttnShape, OptimConfig, DEFAULT_FRACTION};
pub use mofo::Mofo;
pub use sgd::Sgd;

use std::collections::HashMap;

use candle_core::Tensor;
use optlab_core::params::ParamStore;
use optlab_core::train::{NamedGrads, TrainOptimizer};
use optlab_core::{CoreError, Result};

/// Names accepted by [`by_name`] and [`build`].
pub const NAMES: [&str; 5] = ["sgd", "adam", "adamw", "adam-mini", "mofo"];

/// Build the optimizer called `name` (`sgd`, `adam`, `adamw`, `adam-mini`, `mofo`) over every
/// parameter of `store`, keeping access to its state size.
pub fn build(name: &str, store: &ParamStore, cfg: &OptimConfig) -> Result<Box<dyn Optim>> {
    let cfg = *cfg;
    Ok(match name {
        "sgd" => Box::new(Sgd::new(store, cfg)?),
        "sgd-nesterov" => Box::new(Sgd::new(
            store,
            OptimConfig {
                nesterov: true,
                ..cfg
            },
        )?),
        "adam" => Box::new(Adam::new(store, cfg)?),
        "adamw" => Box::new(AdamW::new(store, cfg)?),
        "adam-mini" => Box::new(AdamMini::new(store, cfg)?),
        "mofo" => Box::new(Mofo::new(store, cfg)?),
        other => {
            return Err(CoreError::Config(format!(
                "unknown optimizer `{other}` (expected one of {})",
                NAMES.join(", ")
            )))
        }
    })
}

/// Build the optimizer called `name` for the training loop (see [`build`]).
pub fn by_name(
    name: &str,
    store: &ParamStore,
    cfg: &OptimConfig,
) -> Result<Box<dyn TrainOptimizer>> {
    Ok(Box::new(build(name, store, cfg)?))
}

impl TrainOptimizer for Box<dyn Optim> {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()> {
        (**self).step(grads, lr)
    }

    fn state(&self) -> Result<HashMap<String, Tensor>> {
        (**self).state()
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        (**self).load_state(state)
    }

    fn name(&self) -> &str {
        (**self).name()
    }
}

#[cfg(test)]
mod tests;
