//! Postsolve of [`crate::presolve`]: maps solutions (and rays) of the reduced problem back to
//! the original rows and columns, undoing the reductions in reverse order.

use crate::model::LpProblem;
use crate::presolve::{Reduction, Reduction1};

impl Reduction {
    /// Maps a reduced primal solution to the original columns.
    pub fn postsolve_x(&self, orig: &LpProblem, x: &[f64]) -> Vec<f64> {
        self.expand_x(orig, x, false)
    }

    /// Maps a reduced primal ray to the original columns (fixed columns do not move; a
    /// substituted free column moves so that its row's activity stays put).
    pub fn postsolve_ray(&self, orig: &LpProblem, d: &[f64]) -> Vec<f64> {
        self.expand_x(orig, d, true)
    }

    fn expand_x(&self, orig: &LpProblem, x: &[f64], ray: bool) -> Vec<f64> {
        let mut full = vec![0.0; orig.num_cols()];
        for (k, &j) in self.kept_cols.iter().enumerate() {
            full[j] = x[k];
        }
        if !ray {
            for op in &self.ops {
                if let Reduction1::FixCol { j, value } = op {
                    full[*j] = *value;
                }
            }
        }
        // A substituted column depends on columns removed after it: reverse order.
        for op in self.ops.iter().rev() {
            if let Reduction1::FreeColumnSingleton {
                j,
                a,
                others,
                target,
                lo,
                hi,
                ..
            } = op
            {
                let rest: f64 = others.iter().map(|&(k, v)| v * full[k]).sum();
                full[*j] = match (ray, target) {
                    (true, _) => -rest / a,
                    (false, Some(t)) => (t - rest) / a,
                    (false, None) => (rest.clamp(*lo, *hi) - rest) / a,
                };
            }
        }
        full
    }

    /// Maps reduced row duals to the original rows. With `with_costs = false` the objective is
    /// taken as zero, which maps a Farkas ray of the reduced problem to one of the original.
    ///
    /// Dual postsolve of a singleton row `l ≤ a·x_j ≤ u` that tightened a bound of `x_j`: once
    /// every other dual is known, the reduced cost `r_j = c_j − Σ_k a_kj y_k` is the multiplier
    /// of the column bound; if it belongs to the side the row supplied, it moves to the row as
    /// `y_i = r_j / a` (the sign then matches the row side, and the dual objective is unchanged).
    /// A substituted free column's row gets `y_i = c_j / a`, known at presolve time.
    pub fn postsolve_y(&self, orig: &LpProblem, y: &[f64], with_costs: bool) -> Vec<f64> {
        let mut full = vec![0.0; orig.num_rows()];
        for (k, &i) in self.kept_rows.iter().enumerate() {
            full[i] = y[k];
        }
        for op in &self.ops {
            if let (Reduction1::FreeColumnSingleton { i, dual, .. }, true) = (op, with_costs) {
                full[*i] = *dual;
            }
        }
        let at = orig.a.transpose();
        for op in self.ops.iter().rev() {
            if let &Reduction1::SingletonRow {
                i,
                j,
                a,
                lower,
                upper,
            } = op
            {
                let c = if with_costs { orig.obj[j] } else { 0.0 };
                let r = c - at.row(j).map(|(k, v)| v * full[k]).sum::<f64>();
                if (r > 0.0 && lower) || (r < 0.0 && upper) {
                    full[i] = r / a;
                }
            }
        }
        full
    }
}
