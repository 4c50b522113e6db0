//! Solver results: status, solution vectors and KKT errors.

use crate::kkt::KktErrors;
use serde::Serialize;

/// Termination status of a solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Relative KKT error below the tolerance.
    Optimal,
    /// A Farkas ray proves that no feasible point exists.
    PrimalInfeasible,
    /// A primal ray proves the dual infeasible (the LP is unbounded if it is feasible).
    DualInfeasible,
    /// The iteration limit was reached.
    IterationLimit,
    /// The time limit was reached.
    TimeLimit,
    /// The iterates became non-finite.
    NumericalError,
}

/// The result of a solve, in the original (unscaled) space.
#[derive(Debug, Clone, Serialize)]
pub struct LpSolution {
    /// Termination status.
    pub status: Status,
    /// Objective value in the original sense (maximisation problems are reported as maxima).
    pub objective: f64,
    /// Primal solution (or primal ray when dual infeasible).
    pub x: Vec<f64>,
    /// Row duals of the minimisation form (or Farkas ray when primal infeasible).
    pub y: Vec<f64>,
    /// Reduced costs `c − Aᵀy` of the minimisation form.
    pub reduced_costs: Vec<f64>,
    /// KKT errors of the returned point.
    pub kkt: KktErrors,
    /// PDHG iterations performed.
    pub iterations: usize,
    /// Number of restarts.
    pub restarts: usize,
    /// Wall-clock seconds.
    pub time_s: f64,
}
