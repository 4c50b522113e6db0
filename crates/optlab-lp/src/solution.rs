//! Solver options and results.

use crate::kkt::{KktErrors, OptimalityNorm};
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

/// Which first-order method to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// PDLP: restarted averaged PDHG with adaptive steps (the default).
    AveragedPdhg,
    /// cuPDLPx: restarted reflected Halpern PDHG with a constant step and PID primal weight.
    ReflectedHalpern,
}

/// Options of the PDHG solver.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Relative KKT tolerance (primal, dual and gap).
    pub tol: f64,
    /// How primal and dual residuals are measured against `tol`.
    pub norm: OptimalityNorm,
    /// Tolerance on the ratio violation/objective of infeasibility rays.
    pub infeasibility_tol: f64,
    /// Maximum number of PDHG iterations.
    pub iteration_limit: usize,
    /// Wall-clock limit in seconds.
    pub time_limit: f64,
    /// Ruiz equilibration passes.
    pub ruiz_iters: usize,
    /// Apply Pock–Chambolle scaling after Ruiz.
    pub pock_chambolle: bool,
    /// The first-order method.
    pub algorithm: Algorithm,
    /// Run presolve-lite (fixed and empty columns, free column singletons, empty, free and
    /// singleton rows) first.
    pub presolve: bool,
    /// Scale objective and bounds to unit size after the diagonal scaling.
    pub bc_scaling: bool,
    /// Iterations between termination and restart checks.
    pub check_every: usize,
    /// Number of threads (`None`: rayon's global pool).
    pub threads: Option<usize>,
    /// Optional warm start `(x, y)` in the original space.
    pub warm_start: Option<(Vec<f64>, Vec<f64>)>,
    /// Norms `(‖b‖₂, ‖c‖₂)` of the relative KKT criteria (`None`: those of the problem being
    /// solved). Presolve passes the original problem's: postsolve keeps the absolute residuals,
    /// so the reduced solve then stops exactly when the original problem meets the tolerance
    /// (a substitution can make the reduced `‖c‖` 100× the original's).
    pub kkt_norms: Option<(f64, f64)>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            tol: 1e-4,
            norm: OptimalityNorm::default(),
            infeasibility_tol: 1e-8,
            iteration_limit: usize::MAX,
            time_limit: f64::INFINITY,
            ruiz_iters: 10,
            pock_chambolle: true,
            bc_scaling: false,
            presolve: false,
            algorithm: Algorithm::AveragedPdhg,
            check_every: 64,
            threads: None,
            warm_start: None,
            kkt_norms: None,
        }
    }
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
