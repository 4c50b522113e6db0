//! Errors that name the problem: what was wrong, and where.

use std::path::PathBuf;

/// Everything in optlab-core that can go wrong because of user input.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A file that should exist does not, or cannot be read.
    #[error("cannot read {path}: {cause}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error (shown in the message, so not chained as a source).
        cause: std::io::Error,
    },
    /// A checkpoint or weights file holds a tensor the model does not have.
    #[error("{path}: unknown tensor name `{name}` (the model has no parameter of that name)")]
    UnknownTensor {
        /// The file involved.
        path: PathBuf,
        /// The offending tensor name.
        name: String,
    },
    /// A parameter of the model is missing from the file.
    #[error("{path}: missing tensor `{name}` required by the model")]
    MissingTensor {
        /// The file involved.
        path: PathBuf,
        /// The missing tensor name.
        name: String,
    },
    /// A tensor has a different shape in the file than in the model.
    #[error("{path}: shape mismatch for `{name}`: file has {found:?}, model expects {expected:?}")]
    ShapeMismatch {
        /// The file involved.
        path: PathBuf,
        /// The tensor name.
        name: String,
        /// Shape in the model.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// A file exists but its contents are not what it claims to be.
    #[error("{path}: corrupt or unreadable file: {reason}")]
    Corrupt {
        /// The file involved.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A text corpus is not valid UTF-8.
    #[error("{path}: corpus is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// The file involved.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Training produced a non-finite loss or gradient.
    #[error("non-finite {what} at step {step}; {}", kept_note(.checkpoint.as_deref()))]
    NonFinite {
        /// "loss" or "gradient norm".
        what: &'static str,
        /// The step at which it happened.
        step: usize,
        /// Where the last good checkpoint is (`None`: no checkpoint was ever written).
        checkpoint: Option<PathBuf>,
    },
    /// A computed value (a loss, a logit) is NaN or infinite.
    #[error("{what} is not finite ({value}); the model's weights or configuration are broken")]
    NonFiniteValue {
        /// What was computed, e.g. "validation loss".
        what: String,
        /// The value (NaN, inf or -inf).
        value: f64,
    },
    /// A tensor read from a file holds NaN or infinite values.
    #[error("{path}: tensor `{name}` holds NaN or infinite values")]
    NonFiniteTensor {
        /// The file involved.
        path: PathBuf,
        /// The tensor name.
        name: String,
    },
    /// A field of a configuration file is missing, of the wrong kind, or out of range.
    #[error("{path}{}: field `{field}`: {reason}", line_note(*.line))]
    ConfigField {
        /// The file involved.
        path: PathBuf,
        /// 1-based line of the field in the file, when known.
        line: Option<usize>,
        /// The field name.
        field: String,
        /// What is wrong and the limit it breaks.
        reason: String,
    },
    /// A run folder already holds a run and the caller asked neither to resume nor to
    /// overwrite it.
    #[error("{path} already holds a training run ({what}); resume it (--resume) or replace it explicitly (--overwrite)")]
    RunExists {
        /// The run folder.
        path: PathBuf,
        /// What was found there.
        what: String,
    },
    /// A resumed run was given settings that differ from the ones it was started with.
    #[error("{path}: the run was started with other settings ({changes}); resume with the recorded settings, or pass --override-config to continue with the new ones")]
    ConfigChanged {
        /// The recorded run configuration file.
        path: PathBuf,
        /// The differences, as `name: recorded -> requested`.
        changes: String,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An error from the tensor library.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

/// Result type of optlab-core.
pub type Result<T> = std::result::Result<T, CoreError>;

fn kept_note(checkpoint: Option<&std::path::Path>) -> String {
    match checkpoint {
        Some(c) => format!("last good checkpoint kept at {}", c.display()),
        None => "no checkpoint was written yet, so there is none to resume from".into(),
    }
}

fn line_note(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

impl CoreError {
    /// Helper for `map_err` on I/O calls.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CoreError {
        let path = path.into();
        move |cause| CoreError::Io { path, cause }
    }
}
