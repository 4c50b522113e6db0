//! Errors of optlab-robust: what went wrong, and where.

use std::path::PathBuf;

/// Everything in optlab-robust that can fail because of user input or the tensor library.
#[derive(Debug, thiserror::Error)]
pub enum RobustError {
    /// A file cannot be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An IDX file is malformed (bad magic, truncated, inconsistent dimensions).
    #[error("{path}: malformed IDX file: {reason}")]
    Idx {
        /// The file involved.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A configuration value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An error from optlab-core.
    #[error(transparent)]
    Core(#[from] optlab_core::CoreError),
    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result type of optlab-robust.
pub type Result<T> = std::result::Result<T, RobustError>;
