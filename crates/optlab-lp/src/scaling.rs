//! Diagonal preconditioning: Ruiz ℓ∞ equilibration followed by Pock–Chambolle (α = 1).
//!
//! The scaled problem uses `Ã = D_r A D_c`, `c̃ = D_c c`, row bounds `D_r l_c`, `D_r u_c` and
//! column bounds `l_v / D_c`, `u_v / D_c`; original iterates are `x = D_c x̃`, `y = D_r ỹ`.

use crate::model::LpProblem;
use crate::sparse::CsrMatrix;

/// A problem in scaled space together with the scaling that produced it.
#[derive(Debug, Clone)]
pub struct ScaledLp {
    /// Scaled constraint matrix `D_r A D_c`.
    pub a: CsrMatrix,
    /// Transpose of the scaled matrix.
    pub at: CsrMatrix,
    /// Scaled objective `D_c c`.
    pub obj: Vec<f64>,
    /// Scaled row lower bounds.
    pub row_lower: Vec<f64>,
    /// Scaled row upper bounds.
    pub row_upper: Vec<f64>,
    /// Scaled column lower bounds.
    pub col_lower: Vec<f64>,
    /// Scaled column upper bounds.
    pub col_upper: Vec<f64>,
    /// Row scaling `D_r`.
    pub row_scale: Vec<f64>,
    /// Column scaling `D_c`.
    pub col_scale: Vec<f64>,
    /// Objective factor `θ_c` (scaled costs are `θ_c D_c c`; duals scale by `θ_c`).
    pub obj_scale: f64,
    /// Bound factor `θ_b` (scaled bounds are multiplied by `θ_b`; primal iterates too).
    pub bound_scale: f64,
}

impl ScaledLp {
    /// Objective/bound scaling `θ_c = 1/(1+‖c̃‖₂)`, `θ_b = 1/(1+‖b̃‖₂)` (HPR-LP / cuPDLPx "bc").
    pub fn apply_bc_scaling(&mut self) {
        let view = crate::kkt::LpView {
            obj: &self.obj,
            offset: 0.0,
            row_lower: &self.row_lower,
            row_upper: &self.row_upper,
            col_lower: &self.col_lower,
            col_upper: &self.col_upper,
        };
        let (bn, cn) = crate::kkt::data_norms(&view);
        let (tb, tc) = (1.0 / (1.0 + bn), 1.0 / (1.0 + cn));
        self.obj.iter_mut().for_each(|c| *c *= tc);
        for v in [
            &mut self.row_lower,
            &mut self.row_upper,
            &mut self.col_lower,
            &mut self.col_upper,
        ] {
            v.iter_mut().for_each(|b| *b *= tb);
        }
        self.obj_scale *= tc;
        self.bound_scale *= tb;
    }
}

fn inv_sqrt_or_one(v: f64) -> f64 {
    if v > 0.0 && v.is_finite() {
        1.0 / v.sqrt()
    } else {
        1.0
    }
}

/// Applies `ruiz_iters` passes of Ruiz equilibration, then Pock–Chambolle if `pock_chambolle`.
pub fn scale_problem(p: &LpProblem, ruiz_iters: usize, pock_chambolle: bool) -> ScaledLp {
    let (m, n) = (p.num_rows(), p.num_cols());
    let mut a = p.a.clone();
    let mut row_scale = vec![1.0; m];
    let mut col_scale = vec![1.0; n];
    let mut apply = |a: &mut CsrMatrix, r: Vec<f64>, c: Vec<f64>| {
        a.scale(&r, &c);
        row_scale.iter_mut().zip(&r).for_each(|(s, f)| *s *= f);
        col_scale.iter_mut().zip(&c).for_each(|(s, f)| *s *= f);
    };
    for _ in 0..ruiz_iters {
        let mut rmax = vec![0.0f64; m];
        let mut cmax = vec![0.0f64; n];
        for i in 0..m {
            for (j, v) in a.row(i) {
                rmax[i] = rmax[i].max(v.abs());
                cmax[j] = cmax[j].max(v.abs());
            }
        }
        let r = rmax.into_iter().map(inv_sqrt_or_one).collect();
        let c = cmax.into_iter().map(inv_sqrt_or_one).collect();
        apply(&mut a, r, c);
    }
    if pock_chambolle {
        let mut rsum = vec![0.0f64; m];
        let mut csum = vec![0.0f64; n];
        for i in 0..m {
            for (j, v) in a.row(i) {
                rsum[i] += v.abs();
                csum[j] += v.abs();
            }
        }
        let r = rsum.into_iter().map(inv_sqrt_or_one).collect();
        let c = csum.into_iter().map(inv_sqrt_or_one).collect();
        apply(&mut a, r, c);
    }
    let at = a.transpose();
    ScaledLp {
        obj: p.obj.iter().zip(&col_scale).map(|(c, s)| c * s).collect(),
        row_lower: p
            .row_lower
            .iter()
            .zip(&row_scale)
            .map(|(b, s)| b * s)
            .collect(),
        row_upper: p
            .row_upper
            .iter()
            .zip(&row_scale)
            .map(|(b, s)| b * s)
            .collect(),
        col_lower: p
            .col_lower
            .iter()
            .zip(&col_scale)
            .map(|(b, s)| b / s)
            .collect(),
        col_upper: p
            .col_upper
            .iter()
            .zip(&col_scale)
            .map(|(b, s)| b / s)
            .collect(),
        a,
        at,
        row_scale,
        col_scale,
        obj_scale: 1.0,
        bound_scale: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_equilibrates_and_preserves_products() {
        let a = CsrMatrix::from_triplets(
            2,
            3,
            &[(0, 0, 1000.0), (0, 1, 1.0), (1, 1, 0.001), (1, 2, 5.0)],
        );
        let p = LpProblem::new(
            vec![1.0, 2.0, 3.0],
            a,
            vec![1.0, -2.0],
            vec![4.0, 8.0],
            vec![0.0; 3],
            vec![9.0; 3],
        )
        .expect("valid");
        let s = scale_problem(&p, 10, false);
        for i in 0..2 {
            let mx = s.a.row(i).map(|(_, v)| v.abs()).fold(0.0, f64::max);
            assert!((mx - 1.0).abs() < 1e-2, "row {i} max {mx}");
        }
        // (D_r A D_c) (x / D_c) = D_r (A x).
        let x = [0.3, -1.0, 2.0];
        let xs: Vec<f64> = x.iter().zip(&s.col_scale).map(|(v, c)| v / c).collect();
        let got = s.a.mul_vec(&xs);
        let want = p.a.mul_vec(&x);
        for i in 0..2 {
            assert!((got[i] - want[i] * s.row_scale[i]).abs() < 1e-9);
        }
        assert!((s.col_upper[0] * s.col_scale[0] - 9.0).abs() < 1e-12);
    }
}
