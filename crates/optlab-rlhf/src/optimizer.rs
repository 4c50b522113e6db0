//! The one optimizer this crate trains with: optlab-optim's AdamW (betas 0.9/0.999, eps 1e-8,
//! decoupled weight decay skipped on norms and biases).

use optlab_core::params::ParamStore;
use optlab_optim::{AdamW, OptimConfig};

use crate::error::Result;

/// Weight decay of the warm start and of reward-model training (LLM practice).
pub const DEFAULT_WEIGHT_DECAY: f64 = 0.1;

/// AdamW over every parameter of `store` with decoupled `weight_decay`.
pub fn adamw(store: &ParamStore, weight_decay: f64) -> Result<AdamW> {
    Ok(AdamW::new(
        store,
        OptimConfig {
            weight_decay,
            ..OptimConfig::default()
        },
    )?)
}
