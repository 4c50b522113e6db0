//! Errors that name the problem: an unknown block, a loss that does not reach a parameter,
//! bad settings, or a failure inside candle.

/// Everything in optlab-curvature that can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum CurvatureError {
    /// A block name that the model does not have.
    #[error("unknown block `{name}`; the model's blocks are: {available}")]
    UnknownBlock {
        /// The name asked for.
        name: String,
        /// The model's parameter names (abbreviated when long).
        available: String,
    },
    /// The loss does not depend (differentiably) on a selected parameter.
    #[error("no differentiable path from the loss to `{name}` (its gradient does not exist); the Hessian of this block is undefined")]
    NoGradient {
        /// The parameter without a gradient.
        name: String,
    },
    /// A setting out of range or inconsistent input.
    #[error("{0}")]
    Config(String),
    /// A NaN or infinity where a number was needed.
    #[error("non-finite value in {0}")]
    NonFinite(String),
    /// Failure inside optlab-core.
    #[error(transparent)]
    Core(#[from] optlab_core::CoreError),
    /// Failure inside candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result with [`CurvatureError`].
pub type Result<T> = std::result::Result<T, CurvatureError>;
