//! The primal-dual step both PDHG variants take, written once:
//! `x' = proj_X(x − τ(c − Aᵀy))`, `y' = y − σ(2Ax' − Ax) − σ·proj_[−u,−l]((y − σ(2Ax' − Ax))/σ)`.

use crate::point::Point;
use crate::scaling::ScaledLp;

/// What a step moved: squared primal and dual distances and the interaction `ΔyᵀAΔx`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepMovement {
    /// `‖x' − x‖²`.
    pub dx2: f64,
    /// `‖y' − y‖²`.
    pub dy2: f64,
    /// `(y' − y)ᵀ(Ax' − Ax)`.
    pub interaction: f64,
}

/// One PDHG step from `z` with steps `tau` (primal) and `sigma` (dual) into `out`: sets
/// `out.x`, `out.ax` and `out.y`, but not `out.aty` (see [`complete_step`]); no allocation.
pub(crate) fn primal_dual_step(
    s: &ScaledLp,
    z: &Point,
    out: &mut Point,
    tau: f64,
    sigma: f64,
) -> StepMovement {
    let mut dx2 = 0.0;
    for j in 0..z.x.len() {
        let v = (z.x[j] - tau * (s.obj[j] - z.aty[j])).clamp(s.col_lower[j], s.col_upper[j]);
        dx2 += (v - z.x[j]) * (v - z.x[j]);
        out.x[j] = v;
    }
    s.a.mul_vec_into(&out.x, &mut out.ax);
    let (mut dy2, mut interaction) = (0.0, 0.0);
    for i in 0..z.y.len() {
        let v = z.y[i] - sigma * (2.0 * out.ax[i] - z.ax[i]);
        let y = v - v.clamp(-sigma * s.row_upper[i], -sigma * s.row_lower[i]);
        let dy = y - z.y[i];
        dy2 += dy * dy;
        interaction += dy * (out.ax[i] - z.ax[i]);
        out.y[i] = y;
    }
    StepMovement {
        dx2,
        dy2,
        interaction,
    }
}

/// Finishes an accepted step: `out.aty = Aᵀ out.y`.
pub(crate) fn complete_step(s: &ScaledLp, out: &mut Point) {
    s.at.mul_vec_into(&out.y, &mut out.aty);
}
