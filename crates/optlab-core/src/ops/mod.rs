//! Differentiable ops with hand-written fused forward and backward passes.
//!
//! candle's own fused softmax, RMS-norm and rope have no backward pass (gradients stop there
//! silently), and its primitive compositions are slow on CPU. These custom ops fix both. Each
//! has a primitive twin in [`basic`] used as test reference and benchmark baseline.

mod attention;
pub mod basic;
pub mod kernel;
mod layer_norm;
mod rms_norm;
mod rope;
mod softmax;
mod swiglu;

pub use attention::causal_attention;
pub use layer_norm::layer_norm;
pub use rms_norm::rms_norm;
pub use rope::{rope, rope_heads_inner, rope_tables};
pub use softmax::{causal_softmax, softmax_last_dim};
pub use swiglu::swiglu;

use candle_core::{Result, Tensor};

/// Which implementation of the transformer ops a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpsMode {
    /// optlab's fused custom ops (default).
    #[default]
    Fused,
    /// candle's primitive compositions (reference and benchmark baseline).
    Basic,
}

impl OpsMode {
    /// Softmax over the last dimension.
    pub fn softmax(self, x: &Tensor) -> Result<Tensor> {
        match self {
            OpsMode::Fused => softmax_last_dim(x),
            OpsMode::Basic => basic::softmax_last_dim(x),
        }
    }

    /// RMS norm with scale `w`.
    pub fn rms_norm(self, x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
        match self {
            OpsMode::Fused => rms_norm(x, w, eps),
            OpsMode::Basic => basic::rms_norm(x, w, eps),
        }
    }

    /// Rotary embedding.
    pub fn rope(self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
        match self {
            OpsMode::Fused => rope(x, cos, sin),
            OpsMode::Basic => basic::rope(x, cos, sin),
        }
    }

    /// SwiGLU activation.
    pub fn swiglu(self, gate: &Tensor, up: &Tensor) -> Result<Tensor> {
        match self {
            OpsMode::Fused => swiglu(gate, up),
            OpsMode::Basic => basic::swiglu(gate, up),
        }
    }
}

#[cfg(test)]
mod tests;
