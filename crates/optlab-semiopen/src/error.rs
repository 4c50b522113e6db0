//! The crate's error type: what went wrong, with the file, line or field involved.

use std::path::{Path, PathBuf};

use optlab_core::CoreError;

/// Everything in this crate that can fail.
#[derive(Debug, thiserror::Error)]
pub enum SemiopenError {
    /// An error from optlab-core (model files, tokenizers, training loop, configuration).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A file or folder could not be read or written.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error (shown in the message, so not chained as a source).
        cause: std::io::Error,
    },
    /// A connection of the closed-part service or its client failed.
    #[error("{peer}: {cause}")]
    Network {
        /// Who was on the other end (an address, or `client` for the service's side).
        peer: String,
        /// The underlying error (shown in the message, so not chained as a source).
        cause: std::io::Error,
    },
    /// A JSON document could not be read or written.
    #[error("{what}: {cause}")]
    Json {
        /// The file (with `:LINE` where the document is one line of it) or value involved.
        what: String,
        /// The underlying error, with its own line and column.
        cause: serde_json::Error,
    },
    /// An input, setting or intermediate result is not acceptable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// `cause`, which happened while doing `context`.
    #[error("{context}: {cause}")]
    Context {
        /// What was being done (usually naming the file).
        context: String,
        /// What went wrong.
        cause: Box<SemiopenError>,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, SemiopenError>;

impl SemiopenError {
    /// Helper for `map_err` on I/O calls that touch `path`.
    pub fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> SemiopenError {
        let path = path.as_ref().to_path_buf();
        move |cause| SemiopenError::Io { path, cause }
    }

    /// Helper for `map_err` on socket calls talking to `peer`.
    pub fn net(peer: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> SemiopenError {
        let peer = peer.to_string();
        move |cause| SemiopenError::Network { peer, cause }
    }

    /// Helper for `map_err` on JSON calls about `what` (a file, `FILE:LINE` or value name).
    pub fn json(what: impl std::fmt::Display) -> impl FnOnce(serde_json::Error) -> SemiopenError {
        let what = what.to_string();
        move |cause| SemiopenError::Json { what, cause }
    }
}

/// Adds what was being done to an error, or turns a missing value into an error.
pub trait Context<T> {
    /// Wrap the error (or absence) with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wrap the error (or absence) with the context `f` builds, only when there is one.
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<SemiopenError>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| SemiopenError::Context {
            context: context.into(),
            cause: Box::new(e.into()),
        })
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| SemiopenError::Context {
            context: f().into(),
            cause: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| SemiopenError::Invalid(context.into()))
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| SemiopenError::Invalid(f().into()))
    }
}

/// Return early with [`SemiopenError::Invalid`] and a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::SemiopenError::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_the_file_and_the_context() {
        let e: Result<()> =
            Err(std::io::Error::other("gone")).map_err(SemiopenError::io("a/b.json"));
        let e = e.context("loading the run").unwrap_err().to_string();
        assert_eq!(e, "loading the run: a/b.json: gone");
        let none: Option<u8> = None;
        assert_eq!(
            none.context("no value").unwrap_err().to_string(),
            "no value"
        );
    }
}
