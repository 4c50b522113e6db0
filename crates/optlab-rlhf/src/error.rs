//! The crate's error type: what went wrong, with the file, line or field involved.

optlab_core::capability_error! {
    /// Everything in this crate that can fail.
    pub enum RlhfError {
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, RlhfError>;

/// Return early with [`RlhfError::Invalid`] and a formatted message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::RlhfError::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;
