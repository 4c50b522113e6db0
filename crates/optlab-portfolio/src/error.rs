//! Errors of optlab-portfolio: what went wrong, and where.

use crate::data::{DataError, PriceFileError};
use crate::linalg::LinalgError;
use crate::qp::QpError;

/// Everything in optlab-portfolio that can fail because of user input, the data or a solver.
#[derive(Debug, thiserror::Error)]
pub enum PortfolioError {
    /// A price file cannot be read or parsed.
    #[error(transparent)]
    PriceFile(#[from] PriceFileError),
    /// Price data is malformed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A matrix is singular, not positive definite or of the wrong shape.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// The quadratic program failed.
    #[error(transparent)]
    Qp(#[from] QpError),
    /// An error from optlab-core (parameters, optimizer).
    #[error(transparent)]
    Core(#[from] optlab_core::CoreError),
    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A setting or name is out of range, unknown or inconsistent with the data.
    #[error("{0}")]
    Invalid(String),
}

/// Result type of optlab-portfolio.
pub type Result<T> = std::result::Result<T, PortfolioError>;

/// Returns [`PortfolioError::Invalid`] with the formatted message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err($crate::error::PortfolioError::Invalid(format!($($msg)+)));
        }
    };
}
pub(crate) use ensure;
