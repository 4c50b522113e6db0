//! Helpers shared by the integration tests.

use optlab_lp::sparse::CsrMatrix;
use optlab_lp::LpProblem;

/// Infinity, for readable bounds.
pub const INF: f64 = f64::INFINITY;

/// An LP from dense rows `(coefficients, lower, upper)` and column bounds `(lower, upper)`.
pub fn lp(c: &[f64], rows: &[(&[f64], f64, f64)], cols: &[(f64, f64)]) -> LpProblem {
    let mut t = Vec::new();
    for (i, (a, _, _)) in rows.iter().enumerate() {
        for (j, &v) in a.iter().enumerate() {
            if v != 0.0 {
                t.push((i, j, v));
            }
        }
    }
    LpProblem::new(
        c.to_vec(),
        CsrMatrix::from_triplets(rows.len(), c.len(), &t),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
        cols.iter().map(|b| b.0).collect(),
        cols.iter().map(|b| b.1).collect(),
    )
    .expect("valid test LP")
}
