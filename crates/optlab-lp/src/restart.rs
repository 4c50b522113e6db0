//! Restart rules of both PDHG variants: when an epoch ends (the cuPDLP criteria on a
//! decreasing error measure), and how the primal weight moves at a restart.

use crate::error::LpError;

/// Restart thresholds and primal-weight controls, shared by averaged and Halpern PDHG.
///
/// The defaults are PDLP's (averaged) and cuPDLPx's (Halpern) published settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartParams {
    /// Restart when the error measure falls below this fraction of the epoch's first value.
    pub sufficient_reduction: f64,
    /// Averaged PDHG: restart when the measure is below this fraction and rising again.
    pub necessary_reduction: f64,
    /// Halpern PDHG: the same "necessary" fraction (cuPDLPx uses a tighter one).
    pub halpern_necessary_reduction: f64,
    /// Restart when the epoch has lasted this fraction of all iterations so far.
    pub artificial_restart_fraction: f64,
    /// Averaged PDHG: weight of the new estimate in the log primal-weight update
    /// (`ln ω ← s·ln(Δy/Δx) + (1 − s)·ln ω`).
    pub primal_weight_smoothing: f64,
    /// Halpern PDHG: proportional gain of the PID controller on `ln ω`.
    pub pid_proportional: f64,
    /// Halpern PDHG: integral gain of the PID controller.
    pub pid_integral: f64,
    /// Halpern PDHG: decay of the controller's integral term per restart.
    pub pid_integral_decay: f64,
}

impl Default for RestartParams {
    fn default() -> Self {
        Self {
            sufficient_reduction: 0.2,
            necessary_reduction: 0.8,
            halpern_necessary_reduction: 0.5,
            artificial_restart_fraction: 0.36,
            primal_weight_smoothing: 0.5,
            pid_proportional: 0.99,
            pid_integral: 0.01,
            pid_integral_decay: 0.3,
        }
    }
}

/// Where an epoch stands at a check: its first error, the previous check's and the current.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EpochProgress {
    /// Error measure at the start of the epoch.
    pub first: f64,
    /// Error measure at the previous check (infinity right after a restart).
    pub previous: f64,
    /// Error measure now.
    pub current: f64,
    /// Iterations since the epoch began.
    pub length: usize,
    /// Iterations of the whole solve.
    pub total: usize,
}

impl RestartParams {
    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), LpError> {
        let fraction = |v: f64| v > 0.0 && v <= 1.0;
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        let gain = |v: f64| v.is_finite() && v >= 0.0;
        let below_one = |v: f64| (0.0..1.0).contains(&v);
        check(
            "sufficient_reduction",
            self.sufficient_reduction,
            "(0, 1]",
            fraction,
        )?;
        check(
            "necessary_reduction",
            self.necessary_reduction,
            "(0, 1]",
            fraction,
        )?;
        let halpern = self.halpern_necessary_reduction;
        check("halpern_necessary_reduction", halpern, "(0, 1]", fraction)?;
        let artificial = self.artificial_restart_fraction;
        check(
            "artificial_restart_fraction",
            artificial,
            "(0, 1]",
            fraction,
        )?;
        check(
            "primal_weight_smoothing",
            self.primal_weight_smoothing,
            "[0, 1]",
            unit,
        )?;
        check("pid_proportional", self.pid_proportional, "[0, ∞)", gain)?;
        check("pid_integral", self.pid_integral, "[0, ∞)", gain)?;
        check(
            "pid_integral_decay",
            self.pid_integral_decay,
            "[0, 1)",
            below_one,
        )
    }

    /// The cuPDLP restart rule: a sufficient decay, a necessary decay that stalls, or an
    /// epoch long relative to the whole run (`necessary` is the variant's fraction).
    pub(crate) fn should_restart(&self, e: EpochProgress, necessary: f64) -> bool {
        e.current <= self.sufficient_reduction * e.first
            || (e.current <= necessary * e.first && e.current > e.previous)
            || e.length as f64 >= self.artificial_restart_fraction * e.total as f64
    }
}

/// `Ok` when `ok(value)`, else the error naming the field and its range.
fn check(
    name: &'static str,
    value: f64,
    range: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<(), LpError> {
    if ok(value) {
        Ok(())
    } else {
        Err(LpError::BadRestartParam { name, value, range })
    }
}
