//! Mean-variance weights as a QP solved by Clarabel: budget, per-asset bounds and a
//! gross-leverage cap `sum |w_i| <= L` (through auxiliary variables `t_i >= |w_i|`).

use crate::linalg::Mat;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use thiserror::Error;

/// Errors from the portfolio QP.
#[derive(Debug, Error)]
pub enum QpError {
    /// Inputs have inconsistent sizes or invalid values.
    #[error("invalid QP input: {0}")]
    Input(String),
    /// The solver did not reach an optimal solution (e.g. infeasible constraints).
    #[error("QP not solved: {0}")]
    Solver(String),
}

/// Constraints on the weight vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraints {
    /// `sum w = budget` when set; otherwise the remainder is cash.
    pub budget: Option<f64>,
    /// Per-asset lower bounds (`-inf` for none).
    pub lower: Vec<f64>,
    /// Per-asset upper bounds (`inf` for none).
    pub upper: Vec<f64>,
    /// Gross leverage cap `sum |w_i| <= gross` when set.
    pub gross: Option<f64>,
}

impl Constraints {
    /// No constraints at all.
    pub fn none(n: usize) -> Self {
        Self {
            budget: None,
            lower: vec![f64::NEG_INFINITY; n],
            upper: vec![f64::INFINITY; n],
            gross: None,
        }
    }
    /// Fully invested, long only, each weight at most `max_weight`.
    pub fn long_only(n: usize, max_weight: f64) -> Self {
        Self {
            budget: Some(1.0),
            lower: vec![0.0; n],
            upper: vec![max_weight; n],
            gross: None,
        }
    }
    /// Long/short with `|w_i| <= bound` and `sum |w_i| <= gross`; no budget (cash absorbs it).
    pub fn long_short(n: usize, bound: f64, gross: f64) -> Self {
        Self {
            budget: None,
            lower: vec![-bound; n],
            upper: vec![bound; n],
            gross: Some(gross),
        }
    }
}

/// Maximises `mu'w - (delta/2) w' Sigma w` subject to `cons`.
pub fn mean_variance(
    mu: &[f64],
    sigma: &Mat,
    delta: f64,
    cons: &Constraints,
) -> Result<Vec<f64>, QpError> {
    let n = mu.len();
    if sigma.rows != n || sigma.cols != n || cons.lower.len() != n || cons.upper.len() != n {
        return Err(QpError::Input(format!(
            "{n} assets but Sigma {}x{} / bounds",
            sigma.rows, sigma.cols
        )));
    }
    if delta.is_nan() || delta <= 0.0 || mu.iter().chain(&sigma.data).any(|v| !v.is_finite()) {
        return Err(QpError::Input(
            "risk aversion must be > 0 and inputs finite".into(),
        ));
    }
    let nv = if cons.gross.is_some() { 2 * n } else { n };
    let (mut pi, mut pj, mut pv) = (vec![], vec![], vec![]);
    for j in 0..n {
        for i in 0..=j {
            let v = delta * sigma.get(i, j);
            if v != 0.0 {
                pi.push(i);
                pj.push(j);
                pv.push(v);
            }
        }
    }
    let p = CscMatrix::new_from_triplets(nv, nv, pi, pj, pv);
    let mut q: Vec<f64> = mu.iter().map(|m| -m).collect();
    q.resize(nv, 0.0);
    let (mut ai, mut aj, mut av, mut b) = (vec![], vec![], vec![], vec![]);
    let mut cones = vec![];
    if let Some(budget) = cons.budget {
        for j in 0..n {
            ai.push(0);
            aj.push(j);
            av.push(1.0);
        }
        b.push(budget);
        cones.push(SupportedConeT::ZeroConeT(1));
    }
    let first_ineq = b.len();
    let mut row = |ai: &mut Vec<usize>, b: &mut Vec<f64>, entries: &[(usize, f64)], rhs: f64| {
        let r = b.len();
        for &(j, v) in entries {
            ai.push(r);
            aj.push(j);
            av.push(v);
        }
        b.push(rhs);
    };
    for i in 0..n {
        if cons.lower[i] > cons.upper[i] {
            return Err(QpError::Input(format!(
                "asset {i}: lower bound above upper bound"
            )));
        }
        if cons.upper[i].is_finite() {
            row(&mut ai, &mut b, &[(i, 1.0)], cons.upper[i]);
        }
        if cons.lower[i].is_finite() {
            row(&mut ai, &mut b, &[(i, -1.0)], -cons.lower[i]);
        }
    }
    if let Some(g) = cons.gross {
        for i in 0..n {
            row(&mut ai, &mut b, &[(i, 1.0), (n + i, -1.0)], 0.0);
            row(&mut ai, &mut b, &[(i, -1.0), (n + i, -1.0)], 0.0);
        }
        let all: Vec<(usize, f64)> = (n..2 * n).map(|j| (j, 1.0)).collect();
        row(&mut ai, &mut b, &all, g);
    }
    if b.len() > first_ineq {
        cones.push(SupportedConeT::NonnegativeConeT(b.len() - first_ineq));
    }
    let a = CscMatrix::new_from_triplets(b.len(), nv, ai, aj, av);
    let x = solve(&p, &q, &a, &b, &cones)?;
    Ok(x[..n].to_vec())
}

fn solve(
    p: &CscMatrix<f64>,
    q: &[f64],
    a: &CscMatrix<f64>,
    b: &[f64],
    cones: &[SupportedConeT<f64>],
) -> Result<Vec<f64>, QpError> {
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .map_err(|e| QpError::Solver(format!("settings: {e:?}")))?;
    let mut solver = DefaultSolver::new(p, q, a, b, cones, settings)
        .map_err(|e| QpError::Solver(format!("{e}")))?;
    solver.solve();
    match solver.solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => Ok(solver.solution.x.clone()),
        s => Err(QpError::Solver(format!("{s:?}"))),
    }
}

/// Minimum-variance weights under `cons` (the mean is ignored).
pub fn min_variance(sigma: &Mat, cons: &Constraints) -> Result<Vec<f64>, QpError> {
    mean_variance(&vec![0.0; sigma.rows], sigma, 1.0, cons)
}

/// Long-only maximum-Sharpe (tangency) weights with zero risk-free rate: minimises `y' Sigma y`
/// subject to `mu'y = 1, y >= 0` and returns `y / sum y`. Fails when no asset has `mu > 0`.
pub fn max_sharpe_long_only(mu: &[f64], sigma: &Mat) -> Result<Vec<f64>, QpError> {
    let n = mu.len();
    if mu.iter().all(|m| *m <= 0.0) {
        return Err(QpError::Input(
            "no asset has a positive expected return".into(),
        ));
    }
    let mut cons = Constraints::none(n);
    cons.lower = vec![0.0; n];
    let (mut pi, mut pj, mut pv) = (vec![], vec![], vec![]);
    for j in 0..n {
        for i in 0..=j {
            pi.push(i);
            pj.push(j);
            pv.push(sigma.get(i, j));
        }
    }
    let p = CscMatrix::new_from_triplets(n, n, pi, pj, pv);
    let (mut ai, mut aj, mut av, mut b) = (vec![], vec![], vec![], vec![1.0]);
    for (j, m) in mu.iter().enumerate() {
        ai.push(0);
        aj.push(j);
        av.push(*m);
        ai.push(j + 1);
        aj.push(j);
        av.push(-1.0);
        b.push(0.0);
    }
    let a = CscMatrix::new_from_triplets(n + 1, n, ai, aj, av);
    let cones = [
        SupportedConeT::ZeroConeT(1),
        SupportedConeT::NonnegativeConeT(n),
    ];
    let y = solve(&p, &vec![0.0; n], &a, &b, &cones)?;
    let s: f64 = y.iter().sum();
    Ok(y.iter().map(|v| v.max(0.0) / s).collect())
}

#[cfg(test)]
#[path = "qp_tests.rs"]
mod tests;
