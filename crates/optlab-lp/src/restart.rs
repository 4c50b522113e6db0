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
        let fraction = "(0, 1]";
        let open_unit = "[0, 1)";
        let unit = "[0, 1]";
        let checks: [(&'static str, f64, &'static str, bool); 8] = [
            (
                "sufficient_reduction",
                self.sufficient_reduction,
                fraction,
                in_fraction(self.sufficient_reduction),
            ),
            (
                "necessary_reduction",
                self.necessary_reduction,
                fraction,
                in_fraction(self.necessary_reduction),
            ),
            (
                "halpern_necessary_reduction",
                self.halpern_necessary_reduction,
                fraction,
                in_fraction(self.halpern_necessary_reduction),
            ),
            (
                "artificial_restart_fraction",
                self.artificial_restart_fraction,
                fraction,
                in_fraction(self.artificial_restart_fraction),
            ),
            (
                "primal_weight_smoothing",
                self.primal_weight_smoothing,
                unit,
                (0.0..=1.0).contains(&self.primal_weight_smoothing),
            ),
            (
                "pid_proportional",
                self.pid_proportional,
                "[0, ∞)",
                non_negative(self.pid_proportional),
            ),
            (
                "pid_integral",
                self.pid_integral,
                "[0, ∞)",
                non_negative(self.pid_integral),
            ),
            (
                "pid_integral_decay",
                self.pid_integral_decay,
                open_unit,
                (0.0..1.0).contains(&self.pid_integral_decay),
            ),
        ];
        match checks.into_iter().find(|c| !c.3) {
            Some((name, value, range, _)) => Err(LpError::BadRestartParam { name, value, range }),
            None => Ok(()),
        }
    }

    /// The cuPDLP restart rule: a sufficient decay, a necessary decay that stalls, or an
    /// epoch long relative to the whole run (`necessary` is the variant's fraction).
    pub(crate) fn should_restart(&self, e: EpochProgress, necessary: f64) -> bool {
        e.current <= self.sufficient_reduction * e.first
            || (e.current <= necessary * e.first && e.current > e.previous)
            || e.length as f64 >= self.artificial_restart_fraction * e.total as f64
    }
}

fn in_fraction(v: f64) -> bool {
    v > 0.0 && v <= 1.0
}

fn non_negative(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}
