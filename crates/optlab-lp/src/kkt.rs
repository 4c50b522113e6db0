//! KKT residuals, objectives and infeasibility-certificate checks for a bounded-form LP.

use serde::Serialize;

/// Borrowed view of the vectors defining `min cᵀx + c₀, l_c ≤ Ax ≤ u_c, l_v ≤ x ≤ u_v`.
#[derive(Debug, Clone, Copy)]
pub struct LpView<'a> {
    /// Objective coefficients.
    pub obj: &'a [f64],
    /// Objective offset.
    pub offset: f64,
    /// Row lower bounds.
    pub row_lower: &'a [f64],
    /// Row upper bounds.
    pub row_upper: &'a [f64],
    /// Column lower bounds.
    pub col_lower: &'a [f64],
    /// Column upper bounds.
    pub col_upper: &'a [f64],
}

impl<'a> LpView<'a> {
    /// The view of a whole problem.
    pub fn of(p: &'a crate::model::LpProblem) -> Self {
        Self {
            obj: &p.obj,
            offset: p.obj_offset,
            row_lower: &p.row_lower,
            row_upper: &p.row_upper,
            col_lower: &p.col_lower,
            col_upper: &p.col_upper,
        }
    }
}

/// Residuals of a primal-dual pair (ℓ2 norms) and their relative versions.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct KktErrors {
    /// `‖Ax − proj_[l_c,u_c](Ax)‖₂`.
    pub primal_residual: f64,
    /// `‖c − Aᵀy − r‖₂` plus dual sign violations.
    pub dual_residual: f64,
    /// Primal objective `cᵀx + c₀` (minimisation form).
    pub primal_objective: f64,
    /// Dual objective (minimisation form).
    pub dual_objective: f64,
    /// Relative primal residual `‖r_p‖ / (1 + ‖b‖)`.
    pub rel_primal: f64,
    /// Relative dual residual `‖r_d‖ / (1 + ‖c‖)`.
    pub rel_dual: f64,
    /// Relative gap `|p − d| / (1 + |p| + |d|)`.
    pub rel_gap: f64,
    /// Componentwise relative primal residual `maxᵢ |violationᵢ| / (1 + |violated boundᵢ|)`.
    pub comp_primal: f64,
    /// Componentwise relative dual residual `maxⱼ |residualⱼ| / (1 + |cⱼ|)` (rows: `/1`).
    pub comp_dual: f64,
}

/// How the primal and dual residuals are measured against the tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimalityNorm {
    /// `‖r‖₂ / (1 + ‖b‖₂)` (PDLP's default): one huge finite bound in `b` loosens every row,
    /// so objectives can miss a simplex solver's by far more than the tolerance.
    L2,
    /// Each residual component relative to its own bound or cost (PDLP's
    /// `L_INF_COMPONENTWISE`): a tolerance that means the same in every row (the default).
    #[default]
    Componentwise,
}

impl KktErrors {
    /// The largest of the three relative errors (ℓ2 residuals).
    pub fn max_rel(&self) -> f64 {
        self.rel_primal.max(self.rel_dual).max(self.rel_gap)
    }

    /// The largest of the relative gap and the residuals measured as `norm` says.
    pub fn max_rel_in(&self, norm: OptimalityNorm) -> f64 {
        match norm {
            OptimalityNorm::L2 => self.max_rel(),
            OptimalityNorm::Componentwise => self.comp_primal.max(self.comp_dual).max(self.rel_gap),
        }
    }
}

/// `lo·z` if `z > 0`, `hi·z` if `z < 0`: the support term of an interval; `None` if infinite.
fn support(z: f64, lo: f64, hi: f64) -> Option<f64> {
    if z > 0.0 {
        lo.is_finite().then_some(lo * z)
    } else if z < 0.0 {
        hi.is_finite().then_some(hi * z)
    } else {
        Some(0.0)
    }
}

/// Norms used in the relative criteria: `(‖b‖₂, ‖c‖₂)` with `b` the finite row bounds.
pub fn data_norms(v: &LpView) -> (f64, f64) {
    let mut b2 = 0.0;
    for i in 0..v.row_lower.len() {
        let (l, u) = (v.row_lower[i], v.row_upper[i]);
        let m = match (l.is_finite(), u.is_finite()) {
            (true, true) => l.abs().max(u.abs()),
            (true, false) => l.abs(),
            (false, true) => u.abs(),
            (false, false) => 0.0,
        };
        b2 += m * m;
    }
    (b2.sqrt(), crate::sparse::norm2(v.obj))
}

/// KKT errors of `(x, y)` given `ax = A x` and `aty = Aᵀ y`; `x` must lie within column bounds.
pub fn kkt_errors(
    v: &LpView,
    norms: (f64, f64),
    x: &[f64],
    y: &[f64],
    ax: &[f64],
    aty: &[f64],
) -> KktErrors {
    let (mut rp, mut rd) = (0.0, 0.0);
    let (mut cp, mut cd) = (0.0f64, 0.0f64);
    let mut dobj = v.offset;
    for i in 0..ax.len() {
        let bound = ax[i].clamp(v.row_lower[i], v.row_upper[i]);
        let viol = ax[i] - bound;
        rp += viol * viol;
        cp = cp.max(viol.abs() / (1.0 + bound.abs()));
        match support(y[i], v.row_lower[i], v.row_upper[i]) {
            Some(t) => dobj += t,
            None => {
                rd += y[i] * y[i];
                cd = cd.max(y[i].abs());
            }
        }
    }
    for j in 0..x.len() {
        let lam = v.obj[j] - aty[j];
        match support(lam, v.col_lower[j], v.col_upper[j]) {
            Some(t) => dobj += t,
            None => {
                rd += lam * lam;
                cd = cd.max(lam.abs() / (1.0 + v.obj[j].abs()));
            }
        }
    }
    let pobj = crate::sparse::dot(v.obj, x) + v.offset;
    let (rp, rd) = (rp.sqrt(), rd.sqrt());
    KktErrors {
        primal_residual: rp,
        dual_residual: rd,
        primal_objective: pobj,
        dual_objective: dobj,
        rel_primal: rp / (1.0 + norms.0),
        rel_dual: rd / (1.0 + norms.1),
        rel_gap: (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs()),
        comp_primal: cp,
        comp_dual: cd,
    }
}

/// Checks whether `y` (with `aty = Aᵀy`) is a Farkas ray proving primal infeasibility:
/// returns the ratio `infeasibility / objective` if the ray objective is positive.
pub fn dual_ray_quality(v: &LpView, y: &[f64], aty: &[f64]) -> Option<f64> {
    let scale = y.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    let (mut obj, mut infeas) = (0.0, 0.0f64);
    for i in 0..y.len() {
        match support(y[i] / scale, v.row_lower[i], v.row_upper[i]) {
            Some(t) => obj += t,
            None => infeas = infeas.max((y[i] / scale).abs()),
        }
    }
    for j in 0..aty.len() {
        let lam = -aty[j] / scale;
        match support(lam, v.col_lower[j], v.col_upper[j]) {
            Some(t) => obj += t,
            None => infeas = infeas.max(lam.abs()),
        }
    }
    (obj > 0.0).then_some(infeas / obj)
}

/// Checks whether `d` (with `ad = A d`) is a primal ray proving dual infeasibility (unboundedness
/// when feasible): returns `violation / (−cᵀd)` if `cᵀd < 0`.
pub fn primal_ray_quality(v: &LpView, d: &[f64], ad: &[f64]) -> Option<f64> {
    let scale = d.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return None;
    }
    let mut viol = 0.0f64;
    for j in 0..d.len() {
        let z = d[j] / scale;
        if (z < 0.0 && v.col_lower[j].is_finite()) || (z > 0.0 && v.col_upper[j].is_finite()) {
            viol = viol.max(z.abs());
        }
    }
    for i in 0..ad.len() {
        let z = ad[i] / scale;
        if (z < 0.0 && v.row_lower[i].is_finite()) || (z > 0.0 && v.row_upper[i].is_finite()) {
            viol = viol.max(z.abs());
        }
    }
    let cd = crate::sparse::dot(v.obj, d) / scale;
    (cd < 0.0).then_some(viol / -cd)
}
