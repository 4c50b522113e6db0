//! Unsupervised KKT-residual loss (`--loss kkt`, the PDQP-Net idea): no solver labels; the
//! network is trained to make its own prediction satisfy the KKT conditions of the normalised LP
//! `min c̃ᵀx, l̃ ≤ Ãx ≤ ũ, x ≥ 0`:
//!
//! `L = ‖r_p‖²/(1+‖b̃‖)² + ‖r_d‖²/(1+‖c̃‖)² + (c̃ᵀx − dual_obj)²/(1+‖b̃‖+‖c̃‖)²`
//!
//! with `x = max(x̂, 0)` (the solver projects a warm start the same way), `r_p` the row-bound
//! violation of `Ãx`, `r_d` the sign violations of `ŷ` (rows with an infinite side) and of the
//! reduced costs `c̃ − Ãᵀŷ` (columns have no upper bound), and the dual objective
//! `Σ l̃·ŷ⁺ − ũ·ŷ⁻` over finite sides — the same residuals as [`crate::kkt::kkt_errors`].

use super::error::Result;
use super::graph::LpGraph;
use candle_core::Tensor;

/// `(‖b̃‖₂, ‖c̃‖₂)` of the graph's normalised LP (finite row bounds, as in the solver).
pub fn graph_norms(g: &LpGraph) -> (f64, f64) {
    let (_, c, lo, up) = &g.normalised;
    let v = crate::kkt::LpView {
        obj: c,
        offset: 0.0,
        row_lower: lo,
        row_upper: up,
        col_lower: &[],
        col_upper: &[],
    };
    crate::kkt::data_norms(&v)
}

/// The KKT loss of a prediction `(x̂, ŷ)` (shapes `n`, `m`) as a differentiable scalar.
pub fn kkt_loss(g: &LpGraph, xh: &Tensor, yh: &Tensor, norms: (f64, f64)) -> Result<Tensor> {
    let (bn, cn) = norms;
    let x = xh.relu()?.unsqueeze(1)?;
    let y = yh.unsqueeze(1)?;
    let col = |k: usize| g.row_data.narrow(1, k, 1);
    let (lo, up) = (col(0)?, col(1)?);
    // 1 where the side is finite (the features hold the "is infinite" flags).
    let lo_fin = col(2)?.affine(-1.0, 1.0)?;
    let up_fin = col(3)?.affine(-1.0, 1.0)?;
    let ax = g.a_mul(&x)?;
    let below = (&lo - &ax)?.relu()?.mul(&lo_fin)?;
    let above = (&ax - &up)?.relu()?.mul(&up_fin)?;
    let rp2 = (below.sqr()? + above.sqr()?)?.sum_all()?;
    let lam = (&g.obj - g.at_mul(&y)?)?;
    let (ypos, yneg) = (y.relu()?, y.neg()?.relu()?);
    let rd2 = ((lam.neg()?.relu()?.sqr()?.sum_all()?
        + ypos.mul(&lo_fin.affine(-1.0, 1.0)?)?.sqr()?.sum_all()?)?
        + yneg.mul(&up_fin.affine(-1.0, 1.0)?)?.sqr()?.sum_all()?)?;
    let pobj = x.mul(&g.obj)?.sum_all()?;
    let dobj =
        (ypos.mul(&lo)?.mul(&lo_fin)?.sum_all()? - yneg.mul(&up)?.mul(&up_fin)?.sum_all()?)?;
    let gap2 = (pobj - dobj)?.sqr()?;
    let l = ((rp2 / (1.0 + bn).powi(2))? + (rd2 / (1.0 + cn).powi(2))?)?;
    Ok((l + (gap2 / (1.0 + bn + cn).powi(2))?)?)
}
