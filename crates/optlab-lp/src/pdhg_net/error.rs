//! Errors of PDHG-Net: tensors, model folders, LPs the net cannot take, and training.

use std::path::PathBuf;

/// Everything that can go wrong while building, training, saving, loading or running PDHG-Net.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// An error from optlab-core (weights files, optimizer state).
    #[error(transparent)]
    Core(#[from] optlab_core::CoreError),
    /// A file or folder could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// `read`, `write` or `create`.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A model folder is incomplete, or its config or weights are not a PDHG-Net's.
    #[error("{0}")]
    BadModel(String),
    /// The LP is not one this net (or PDHG-Net at all) can take.
    #[error("{0}")]
    UnsupportedLp(String),
    /// The network settings are out of range.
    #[error("{0}")]
    BadShape(String),
    /// Training settings are out of range, a label solve failed, or training diverged.
    #[error("{0}")]
    Training(String),
    /// A PDHG solve was refused (invalid options).
    #[error(transparent)]
    Solve(#[from] crate::error::LpError),
}

/// Result type of PDHG-Net.
pub type Result<T> = std::result::Result<T, NetError>;
