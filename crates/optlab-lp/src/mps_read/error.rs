//! The MPS reader's error and how a parse error is raised.

/// An error while reading an MPS file.
#[derive(Debug, thiserror::Error)]
pub enum MpsError {
    /// The file could not be read or decompressed.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// Path of the file.
        path: String,
        /// Underlying error (shown in the message, so not chained as a source).
        cause: std::io::Error,
    },
    /// Malformed content at a given line.
    #[error("line {line}: {msg}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        msg: String,
    },
}

/// A parse error at 1-based `line`.
pub(super) fn perr<T>(line: usize, msg: impl Into<String>) -> Result<T, MpsError> {
    Err(MpsError::Parse {
        line,
        msg: msg.into(),
    })
}
