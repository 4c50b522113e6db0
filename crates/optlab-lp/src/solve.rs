//! The solve facade: validate the options, build the worker pool, optionally presolve, run
//! the chosen PDHG variant and postsolve. The variant modules never call back up here.

use crate::error::LpError;
use crate::model::LpProblem;
use crate::options::SolveOptions;
use crate::presolved::solve_presolved;
use crate::solution::LpSolution;
use crate::variant::solve_direct;

/// Solves `problem` as `opts` says (restarted averaged PDHG by default, reflected Halpern
/// PDHG on request, presolve-lite first when `opts.presolve` is set).
///
/// Invalid options (see [`SolveOptions::validate`]) are an error; a solve that runs always
/// returns a solution whose [`crate::Status`] says how it ended.
pub fn solve(problem: &LpProblem, opts: &SolveOptions) -> Result<LpSolution, LpError> {
    opts.validate(problem)?;
    let run = || {
        if opts.presolve {
            solve_presolved(problem, opts)
        } else {
            solve_direct(problem, opts)
        }
    };
    match opts.threads {
        None => Ok(run()),
        Some(threads) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| LpError::ThreadPool {
                    threads,
                    reason: e.to_string(),
                })?;
            Ok(pool.install(run))
        }
    }
}
