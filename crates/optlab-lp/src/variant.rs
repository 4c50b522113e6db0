//! Runs the chosen PDHG variant on a problem, without presolve or thread-pool set-up (the
//! facade does those).

use crate::model::LpProblem;
use crate::options::{Algorithm, SolveOptions};
use crate::solution::LpSolution;
use crate::solver::Solver;

/// Scales `p` and runs the variant `opts.algorithm` names; options are assumed valid.
pub(crate) fn solve_direct(p: &LpProblem, opts: &SolveOptions) -> LpSolution {
    let solver = Solver::new(p, opts);
    match opts.algorithm {
        Algorithm::AveragedPdhg => solver.run_averaged(),
        Algorithm::ReflectedHalpern => solver.run_halpern(),
    }
}
