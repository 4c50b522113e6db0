//! The crate's error type: what went wrong, with the file, line or field involved.

optlab_core::capability_error! {
    /// Everything in this crate that can fail.
    pub enum SemiopenError {
        /// A connection of the closed-part service or its client failed.
        #[error("{peer}: {cause}")]
        Network {
            /// Who was on the other end (an address, or `client` for the service's side).
            peer: String,
            /// The underlying error (shown in the message, so not chained as a source).
            cause: std::io::Error,
        },
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, SemiopenError>;

impl SemiopenError {
    /// Helper for `map_err` on socket calls talking to `peer`.
    pub fn net(peer: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> SemiopenError {
        let peer = peer.to_string();
        move |cause| SemiopenError::Network { peer, cause }
    }
}

/// Return early with [`SemiopenError::Invalid`] and a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::SemiopenError::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;
