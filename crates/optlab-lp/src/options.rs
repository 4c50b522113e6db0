//! Solver options, their defaults, and the checks the solve facade runs before solving.

use crate::error::LpError;
use crate::kkt::OptimalityNorm;
use crate::model::LpProblem;
use crate::restart::RestartParams;
use serde::Serialize;

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
    /// Restart thresholds and primal-weight controls.
    pub restart: RestartParams,
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
            restart: RestartParams::default(),
            threads: None,
            warm_start: None,
            kkt_norms: None,
        }
    }
}

impl SolveOptions {
    /// Checks that these options can solve `problem`: positive tolerances, limits and check
    /// frequency, a non-zero thread count, warm starts of the problem's size with finite
    /// entries, sane KKT norms and restart parameters.
    pub fn validate(&self, problem: &LpProblem) -> Result<(), LpError> {
        positive_tolerance("tol", self.tol)?;
        if self.infeasibility_tol.is_nan() || self.infeasibility_tol < 0.0 {
            return Err(LpError::BadTolerance {
                name: "infeasibility_tol",
                value: self.infeasibility_tol,
            });
        }
        if self.check_every == 0 {
            return Err(LpError::ZeroCheckFrequency);
        }
        if self.iteration_limit == 0 {
            return Err(LpError::ZeroIterationLimit);
        }
        if self.time_limit.is_nan() || self.time_limit <= 0.0 {
            return Err(LpError::BadTimeLimit(self.time_limit));
        }
        if self.threads == Some(0) {
            return Err(LpError::ZeroThreads);
        }
        if let Some((b, c)) = self.kkt_norms {
            if !(b.is_finite() && c.is_finite() && b >= 0.0 && c >= 0.0) {
                return Err(LpError::BadKktNorms((b, c)));
            }
        }
        if let Some((x, y)) = &self.warm_start {
            check_warm_start("primal", x, problem.num_cols())?;
            check_warm_start("dual", y, problem.num_rows())?;
        }
        self.restart.validate()
    }
}

fn positive_tolerance(name: &'static str, value: f64) -> Result<(), LpError> {
    if value.is_nan() || value <= 0.0 {
        return Err(LpError::BadTolerance { name, value });
    }
    Ok(())
}

fn check_warm_start(which: &'static str, v: &[f64], expected: usize) -> Result<(), LpError> {
    if v.len() != expected {
        return Err(LpError::WarmStartLength {
            which,
            found: v.len(),
            expected,
        });
    }
    match v.iter().position(|e| !e.is_finite()) {
        Some(index) => Err(LpError::WarmStartNotFinite { which, index }),
        None => Ok(()),
    }
}
