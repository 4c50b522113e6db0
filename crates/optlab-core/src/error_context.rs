//! The error types of the capability crates, their shared variants and context, written once.
//!
//! Each capability crate has its own error enum (so its errors say which crate failed and
//! callers can match on them), and most of them need the same variants and plumbing: wrap an
//! error from optlab-core or candle, name the file of an I/O or JSON failure, add what was being
//! done, turn a missing value into an error. [`capability_error!`](crate::capability_error)
//! declares such an enum with those variants plus the crate's own.

/// Declares the error enum `$error` of a capability crate, with the shared variants, plus any
/// variants written inside the braces, and generates in the calling module a `Context` trait
/// (`.context(..)` / `.with_context(..)` on `Result` and `Option`) and the `io(path)` /
/// `json(what)` helpers for `map_err`.
///
/// Shared variants: `Core` (from [`CoreError`](crate::CoreError)), `Candle` (from
/// `candle_core::Error`), `Io { path, cause }`, `Json { what, cause }`, `Invalid(String)`, and
/// `Context { context, cause }`. The calling crate needs `thiserror`, `candle-core` and
/// `serde_json` as dependencies.
///
/// ```
/// optlab_core::capability_error! {
///     /// Everything the demo can get wrong.
///     pub enum DemoError {
///         /// The demo's own failure.
///         #[error("too many widgets: {0}")]
///         Widgets(usize),
///     }
/// }
///
/// let read: Result<(), DemoError> = Err(std::io::Error::other("gone")).map_err(DemoError::io("a/b.json"));
/// let err = read.context("loading the run").unwrap_err().to_string();
/// assert_eq!(err, "loading the run: a/b.json: gone");
/// assert_eq!(None::<u8>.context("no value").unwrap_err().to_string(), "no value");
/// assert_eq!(DemoError::Widgets(3).to_string(), "too many widgets: 3");
/// ```
#[macro_export]
macro_rules! capability_error {
    ($(#[$meta:meta])* pub enum $error:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, thiserror::Error)]
        pub enum $error {
            /// An error from optlab-core (model files, tokenizers, training loop, configuration).
            #[error(transparent)]
            Core(#[from] $crate::CoreError),
            /// An error from the tensor library.
            #[error(transparent)]
            Candle(#[from] candle_core::Error),
            /// A file or folder could not be read or written.
            #[error("{}: {cause}", path.display())]
            Io {
                /// The file or folder involved.
                path: std::path::PathBuf,
                /// The underlying error (shown in the message, so not chained as a source).
                cause: std::io::Error,
            },
            /// A JSON document could not be read or written.
            #[error("{what}: {cause}")]
            Json {
                /// The file (with `:LINE` where the document is one line of it) or value.
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
                cause: Box<$error>,
            },
            $($extra)*
        }

        impl $error {
            /// Helper for `map_err` on I/O calls that touch `path`.
            pub fn io(path: impl AsRef<std::path::Path>) -> impl FnOnce(std::io::Error) -> $error {
                let path = path.as_ref().to_path_buf();
                move |cause| $error::Io { path, cause }
            }

            /// Helper for `map_err` on JSON calls about `what` (a file, `FILE:LINE` or value).
            pub fn json(what: impl std::fmt::Display) -> impl FnOnce(serde_json::Error) -> $error {
                let what = what.to_string();
                move |cause| $error::Json { what, cause }
            }
        }

        /// Adds what was being done to an error, or turns a missing value into an error.
        pub trait Context<T> {
            /// Wrap the error (or absence) with `context`.
            fn context(self, context: impl Into<String>) -> std::result::Result<T, $error>;
            /// Wrap the error (or absence) with the context `f` builds, only when there is one.
            fn with_context<S: Into<String>>(
                self,
                f: impl FnOnce() -> S,
            ) -> std::result::Result<T, $error>;
        }

        impl<T, E: Into<$error>> Context<T> for std::result::Result<T, E> {
            fn context(self, context: impl Into<String>) -> std::result::Result<T, $error> {
                self.map_err(|e| $error::Context {
                    context: context.into(),
                    cause: Box::new(e.into()),
                })
            }
            fn with_context<S: Into<String>>(
                self,
                f: impl FnOnce() -> S,
            ) -> std::result::Result<T, $error> {
                self.map_err(|e| $error::Context {
                    context: f().into(),
                    cause: Box::new(e.into()),
                })
            }
        }

        impl<T> Context<T> for Option<T> {
            fn context(self, context: impl Into<String>) -> std::result::Result<T, $error> {
                self.ok_or_else(|| $error::Invalid(context.into()))
            }
            fn with_context<S: Into<String>>(
                self,
                f: impl FnOnce() -> S,
            ) -> std::result::Result<T, $error> {
                self.ok_or_else(|| $error::Invalid(f().into()))
            }
        }
    };
}
