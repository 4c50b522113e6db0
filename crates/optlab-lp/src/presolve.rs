//! Presolve-lite: removes fixed and empty columns and the rows left empty by that, with an
//! exact postsolve of primal and dual solutions. One pass, no cascading reductions.

use crate::kkt::{data_norms, kkt_errors, LpView};
use crate::model::LpProblem;
use crate::pdhg::solve_direct;
use crate::solution::{LpSolution, SolveOptions, Status};
use crate::sparse::CsrMatrix;
use std::time::Instant;

/// Tolerance for deciding that an emptied row is still satisfiable.
const ROW_FEAS_TOL: f64 = 1e-9;

/// The outcome of presolve.
#[derive(Debug)]
pub enum Presolve {
    /// A smaller problem plus what is needed to map its solutions back.
    Reduced(Box<Reduction>),
    /// An emptied row cannot be satisfied: the problem is primal infeasible.
    Infeasible(String),
    /// An empty column improves the objective without limit: the dual is infeasible.
    DualInfeasible(String),
}

/// A reduced problem and its postsolve data.
#[derive(Debug)]
pub struct Reduction {
    /// The reduced problem.
    pub problem: LpProblem,
    /// Original indices of the kept rows.
    pub kept_rows: Vec<usize>,
    /// Original indices of the kept columns.
    pub kept_cols: Vec<usize>,
    /// Values of all original columns that were removed (`None` for kept ones).
    pub fixed: Vec<Option<f64>>,
    /// Original number of rows.
    pub num_rows: usize,
}

impl Reduction {
    /// Maps a reduced primal vector to the original columns.
    pub fn postsolve_x(&self, x: &[f64]) -> Vec<f64> {
        let mut full: Vec<f64> = self.fixed.iter().map(|v| v.unwrap_or(0.0)).collect();
        for (k, &j) in self.kept_cols.iter().enumerate() {
            full[j] = x[k];
        }
        full
    }

    /// Maps reduced row duals to the original rows (removed rows get dual 0).
    pub fn postsolve_y(&self, y: &[f64]) -> Vec<f64> {
        let mut full = vec![0.0; self.num_rows];
        for (k, &i) in self.kept_rows.iter().enumerate() {
            full[i] = y[k];
        }
        full
    }

    /// Maps a reduced primal ray to the original columns (removed columns do not move).
    pub fn postsolve_ray(&self, d: &[f64]) -> Vec<f64> {
        let mut full = vec![0.0; self.fixed.len()];
        for (k, &j) in self.kept_cols.iter().enumerate() {
            full[j] = d[k];
        }
        full
    }
}

/// Runs presolve-lite on `p`.
pub fn presolve(p: &LpProblem) -> Presolve {
    let (m, n) = (p.num_rows(), p.num_cols());
    let at = p.a.transpose();
    let mut fixed: Vec<Option<f64>> = vec![None; n];
    for j in 0..n {
        let (lo, hi, c) = (p.col_lower[j], p.col_upper[j], p.obj[j]);
        if lo == hi {
            fixed[j] = Some(lo);
        } else if at.row(j).next().is_none() {
            let v = if c > 0.0 {
                lo
            } else if c < 0.0 {
                hi
            } else {
                0.0f64.clamp(lo, hi)
            };
            if !v.is_finite() {
                return Presolve::DualInfeasible(format!(
                    "empty column {} is unbounded in its improving direction",
                    p.col_names[j]
                ));
            }
            fixed[j] = Some(v);
        }
    }
    let mut offset = p.obj_offset;
    let mut shift = vec![0.0; m];
    let mut remaining = vec![0usize; m];
    for j in 0..n {
        match fixed[j] {
            Some(v) => {
                offset += p.obj[j] * v;
                for (i, a) in at.row(j) {
                    shift[i] += a * v;
                }
            }
            None => at.row(j).for_each(|(i, _)| remaining[i] += 1),
        }
    }
    let mut kept_rows = Vec::new();
    for i in 0..m {
        let (lo, hi) = (p.row_lower[i] - shift[i], p.row_upper[i] - shift[i]);
        if remaining[i] > 0 {
            kept_rows.push(i);
        } else if lo > ROW_FEAS_TOL * (1.0 + lo.abs()) || hi < -ROW_FEAS_TOL * (1.0 + hi.abs()) {
            return Presolve::Infeasible(format!(
                "row {} cannot be satisfied after fixing its columns",
                p.row_names[i]
            ));
        }
    }
    let kept_cols: Vec<usize> = (0..n).filter(|&j| fixed[j].is_none()).collect();
    let mut col_map = vec![usize::MAX; n];
    for (k, &j) in kept_cols.iter().enumerate() {
        col_map[j] = k;
    }
    let mut triplets = Vec::new();
    for (k, &i) in kept_rows.iter().enumerate() {
        for (j, a) in p.a.row(i) {
            if col_map[j] != usize::MAX {
                triplets.push((k, col_map[j], a));
            }
        }
    }
    let problem = LpProblem {
        name: p.name.clone(),
        obj: kept_cols.iter().map(|&j| p.obj[j]).collect(),
        obj_offset: offset,
        maximize: p.maximize,
        a: CsrMatrix::from_triplets(kept_rows.len(), kept_cols.len(), &triplets),
        row_lower: kept_rows
            .iter()
            .map(|&i| p.row_lower[i] - shift[i])
            .collect(),
        row_upper: kept_rows
            .iter()
            .map(|&i| p.row_upper[i] - shift[i])
            .collect(),
        col_lower: kept_cols.iter().map(|&j| p.col_lower[j]).collect(),
        col_upper: kept_cols.iter().map(|&j| p.col_upper[j]).collect(),
        row_names: kept_rows.iter().map(|&i| p.row_names[i].clone()).collect(),
        col_names: kept_cols.iter().map(|&j| p.col_names[j].clone()).collect(),
        obj_name: p.obj_name.clone(),
    };
    Presolve::Reduced(Box::new(Reduction {
        problem,
        kept_rows,
        kept_cols,
        fixed,
        num_rows: m,
    }))
}

/// Presolves, solves the reduced problem, and maps the result back to the original space
/// (KKT errors are recomputed on the original problem).
pub fn solve_presolved(p: &LpProblem, opts: &SolveOptions) -> LpSolution {
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
    let mut o = opts.clone();
    o.presolve = false;
    if let Some((x, y)) = &opts.warm_start {
        if x.len() == p.num_cols() && y.len() == p.num_rows() {
            o.warm_start = Some((
                r.kept_cols.iter().map(|&j| x[j]).collect(),
                r.kept_rows.iter().map(|&i| y[i]).collect(),
            ));
        }
    }
    let s = solve_direct(&r.problem, &o);
    let x = if s.status == Status::DualInfeasible {
        r.postsolve_ray(&s.x)
    } else {
        r.postsolve_x(&s.x)
    };
    let y = r.postsolve_y(&s.y);
    original_solution(p, s.status, x, y, s.iterations, s.restarts, start)
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
