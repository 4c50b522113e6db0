//! `optlab robust` (being moved here from optlab-robust).

pub use optlab_robust::cli::{run, RobustArgs};
