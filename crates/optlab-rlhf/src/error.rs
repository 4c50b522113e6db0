//! The crate's error type: what went wrong, with the file, line or field involved.

use std::path::{Path, PathBuf};

use optlab_core::CoreError;

/// Everything in this crate that can fail.
#[derive(Debug, thiserror::Error)]
pub enum RlhfError {
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
        cause: Box<RlhfError>,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, RlhfError>;

impl RlhfError {
    /// Helper for `map_err` on I/O calls that touch `path`.
    pub fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> RlhfError {
        let path = path.as_ref().to_path_buf();
        move |cause| RlhfError::Io { path, cause }
    }

    /// Helper for `map_err` on JSON calls about `what` (a file, `FILE:LINE` or value name).
    pub fn json(what: impl std::fmt::Display) -> impl FnOnce(serde_json::Error) -> RlhfError {
        let what = what.to_string();
        move |cause| RlhfError::Json { what, cause }
    }
}

/// Adds what was being done to an error, or turns a missing value into an error.
pub trait Context<T> {
    /// Wrap the error (or absence) with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wrap the error (or absence) with the context `f` builds, only when there is one.
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<RlhfError>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| RlhfError::Context {
            context: context.into(),
            cause: Box::new(e.into()),
        })
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| RlhfError::Context {
            context: f().into(),
            cause: Box::new(e.into()),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| RlhfError::Invalid(context.into()))
    }
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| RlhfError::Invalid(f().into()))
    }
}

/// Return early with [`RlhfError::Invalid`] and a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::RlhfError::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_the_file_and_the_context() {
        let e: Result<()> = Err(std::io::Error::other("gone")).map_err(RlhfError::io("a/b.json"));
        let e = e.context("loading the run").unwrap_err().to_string();
        assert_eq!(e, "loading the run: a/b.json: gone");
        let none: Option<u8> = None;
        assert_eq!(
            none.context("no value").unwrap_err().to_string(),
            "no value"
        );
    }
}
