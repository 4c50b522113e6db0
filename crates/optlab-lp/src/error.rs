//! Typed errors of the solve facade: options that cannot run, and a thread pool that cannot
//! be built.

/// Why the solve facade (`solve`) refused to run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LpError {
    /// `check_every` is zero (termination would never be checked).
    #[error("check_every must be at least 1")]
    ZeroCheckFrequency,
    /// A tolerance is NaN, negative or (where it must be positive) zero.
    #[error("{name} must be a positive number, got {value}")]
    BadTolerance {
        /// The option (`tol`, `infeasibility_tol`).
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// The time limit is NaN, zero or negative.
    #[error("time_limit must be positive (seconds, or infinity), got {0}")]
    BadTimeLimit(f64),
    /// The iteration limit is zero.
    #[error("iteration_limit must be at least 1")]
    ZeroIterationLimit,
    /// A thread count of zero was asked for.
    #[error("threads must be at least 1 (or None for rayon's global pool)")]
    ZeroThreads,
    /// A warm-start vector has the wrong length.
    #[error("warm start {which} has {found} entries, the LP has {expected}")]
    WarmStartLength {
        /// `primal` (`x`, one per column) or `dual` (`y`, one per row).
        which: &'static str,
        /// Entries given.
        found: usize,
        /// Entries needed.
        expected: usize,
    },
    /// A warm-start vector holds NaN or an infinity.
    #[error("warm start {which} has a non-finite entry at index {index}")]
    WarmStartNotFinite {
        /// `primal` or `dual`.
        which: &'static str,
        /// First offending index.
        index: usize,
    },
    /// The norms of the relative KKT criteria are NaN, infinite or negative.
    #[error("kkt_norms must be finite and non-negative, got {0:?}")]
    BadKktNorms((f64, f64)),
    /// A restart parameter is out of its range.
    #[error("restart parameter {name} = {value} is outside {range}")]
    BadRestartParam {
        /// The field of `RestartParams`.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The allowed range, as text.
        range: &'static str,
    },
    /// The worker thread pool could not be built.
    #[error("cannot build a pool of {threads} threads: {reason}")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// What rayon said.
        reason: String,
    },
}
