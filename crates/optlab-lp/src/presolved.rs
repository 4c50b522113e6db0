//! Solving through presolve-lite: reduce, solve the reduced problem with the chosen PDHG
//! variant, postsolve, and recompute the KKT errors on the original problem.

use crate::kkt::{data_norms, kkt_errors, LpView};
use crate::model::LpProblem;
use crate::options::SolveOptions;
use crate::presolve::{presolve, Presolve};
use crate::solution::{LpSolution, Status};
use crate::variant::solve_direct;
use std::time::Instant;

/// Presolves, solves the reduced problem, and maps the result back to the original space
/// (KKT errors are recomputed on the original problem). A problem that presolve removes
/// entirely is reported optimal with zero iterations. Options are assumed valid.
pub(crate) fn solve_presolved(p: &LpProblem, opts: &SolveOptions) -> LpSolution {
    let start = Instant::now();
    let r = match presolve(p) {
        Presolve::Reduced(r) => r,
        Presolve::Infeasible(_) => {
            return original_solution(p, Status::PrimalInfeasible, vec![], vec![], 0, 0, start)
        }
        Presolve::DualInfeasible(_) => {
            return original_solution(p, Status::DualInfeasible, vec![], vec![], 0, 0, start)
        }
    };
    if r.problem.num_cols() == 0 && r.problem.num_rows() == 0 {
        let x = r.postsolve_x(p, &[]);
        let y = r.postsolve_y(p, &[], true);
        return original_solution(p, Status::Optimal, x, y, 0, 0, start);
    }
    let mut o = opts.clone();
    o.presolve = false;
    o.kkt_norms = Some(data_norms(&LpView::of(p)));
    if let Some((x, y)) = &opts.warm_start {
        o.warm_start = Some((
            r.kept_cols.iter().map(|&j| x[j]).collect(),
            r.kept_rows.iter().map(|&i| y[i]).collect(),
        ));
    }
    // The reduced problem's rows and costs differ from the original's (substitutions shift
    // bounds and can scale costs 100x), so a reduced solve that meets `tol` may miss it on the
    // original: re-solve from where it stopped with a tighter tolerance until the original
    // problem meets `tol` (a few rounds at most in practice).
    let (mut iterations, mut restarts) = (0usize, 0usize);
    loop {
        if opts.time_limit.is_finite() {
            o.time_limit = (opts.time_limit - start.elapsed().as_secs_f64()).max(0.0);
        }
        o.iteration_limit = opts.iteration_limit.saturating_sub(iterations);
        let s = solve_direct(&r.problem, &o);
        iterations += s.iterations;
        restarts += s.restarts;
        let x = if s.status == Status::DualInfeasible {
            r.postsolve_ray(p, &s.x)
        } else {
            r.postsolve_x(p, &s.x)
        };
        let y = r.postsolve_y(p, &s.y, s.status != Status::PrimalInfeasible);
        let mut sol = original_solution(p, s.status, x, y, iterations, restarts, start);
        let achieved = sol.kkt.max_rel_in(opts.norm);
        if s.status != Status::Optimal || achieved <= opts.tol {
            return sol;
        }
        o.tol *= 0.5 * opts.tol / achieved;
        if o.tol < 1e-15 {
            sol.status = Status::NumericalError;
            return sol;
        }
        o.warm_start = Some((s.x, s.y));
    }
}

/// Builds a solution of the original problem from full-length `x` and `y` (empty: defaults).
fn original_solution(
    p: &LpProblem,
    status: Status,
    x: Vec<f64>,
    y: Vec<f64>,
    iterations: usize,
    restarts: usize,
    start: Instant,
) -> LpSolution {
    let x = if x.is_empty() {
        (0..p.num_cols())
            .map(|j| 0.0f64.clamp(p.col_lower[j], p.col_upper[j]))
            .collect()
    } else {
        x
    };
    let y = if y.is_empty() {
        vec![0.0; p.num_rows()]
    } else {
        y
    };
    let ax = p.a.mul_vec(&x);
    let aty = p.a.transpose().mul_vec(&y);
    let view = LpView::of(p);
    let kkt = kkt_errors(&view, data_norms(&view), &x, &y, &ax, &aty);
    LpSolution {
        status,
        objective: p.user_objective(kkt.primal_objective),
        reduced_costs: p.obj.iter().zip(&aty).map(|(c, a)| c - a).collect(),
        x,
        y,
        kkt,
        iterations,
        restarts,
        time_s: start.elapsed().as_secs_f64(),
    }
}
