//! Restarted averaged PDHG with PDLP's adaptive step size, KKT-based adaptive restarts
//! (cuPDLP rule) and primal-weight updates, on a Ruiz + Pock–Chambolle scaled problem.

use crate::kkt::{data_norms, kkt_errors};
use crate::point::Point;
use crate::restart::EpochProgress;
use crate::solution::{LpSolution, Status};
use crate::solver::{has_non_finite, Solver};
use crate::sparse::norm2;
use crate::step::{complete_step, primal_dual_step};

/// Smallest primal and dual movement since the last restart that updates the primal weight.
const MIN_WEIGHT_UPDATE_MOVE: f64 = 1e-10;

impl Solver<'_> {
    /// cuPDLP's weighted KKT error in scaled space, used for restart decisions.
    fn weighted_kkt(&self, z: &Point, omega: f64, norms: (f64, f64)) -> f64 {
        let k = kkt_errors(&self.scaled_view(), norms, &z.x, &z.y, &z.ax, &z.aty);
        let gap = k.primal_objective - k.dual_objective;
        (omega * k.primal_residual.powi(2) + k.dual_residual.powi(2) / omega + gap * gap).sqrt()
    }

    /// One adaptive PDHG step from `z` into `out`; returns the step size used. `attempts`
    /// counts every tried step (accepted or not): it drives the step-size schedule.
    fn adaptive_step(
        &self,
        z: &Point,
        out: &mut Point,
        eta: &mut f64,
        omega: f64,
        attempts: &mut usize,
    ) -> f64 {
        loop {
            let m = primal_dual_step(&self.s, z, out, *eta / omega, *eta * omega);
            let movement = 0.5 * (omega * m.dx2 + m.dy2 / omega);
            let limit = if m.interaction.abs() > 0.0 {
                movement / m.interaction.abs()
            } else {
                f64::INFINITY
            };
            *attempts += 1;
            let kf = (*attempts + 1) as f64;
            let used = *eta;
            *eta = ((1.0 - kf.powf(-0.3)) * limit).min((1.0 + kf.powf(-0.6)) * used);
            if used <= limit || !eta.is_finite() {
                if !eta.is_finite() {
                    *eta = used;
                }
                // Aᵀy is only needed once the step is accepted.
                complete_step(&self.s, out);
                return used;
            }
        }
    }

    /// The smoothed log-space primal weight after moving `(dx, dy)` since the last restart.
    fn updated_primal_weight(&self, omega: f64, dx: f64, dy: f64) -> f64 {
        if dx > MIN_WEIGHT_UPDATE_MOVE && dy > MIN_WEIGHT_UPDATE_MOVE {
            let s = self.opts.restart.primal_weight_smoothing;
            (s * (dy / dx).ln() + (1.0 - s) * omega.ln()).exp()
        } else {
            omega
        }
    }

    /// Runs restarted averaged PDHG.
    pub(crate) fn run_averaged(&self) -> LpSolution {
        let (m, n) = (self.s.a.nrows, self.s.a.ncols);
        let opts = self.opts;
        let max_abs = self.s.a.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let mut eta = if max_abs > 0.0 { 1.0 / max_abs } else { 1.0 };
        let (bn, cn) = data_norms(&self.scaled_view());
        let mut omega = if bn > 1e-10 && cn > 1e-10 {
            cn / bn
        } else {
            1.0
        };
        let scaled_norms = (bn, cn);
        let mut z = self.initial_point();
        let mut next = z.clone();
        let mut anchor = z.clone();
        let mut sum = Point::zeros(m, n);
        let mut weight = 0.0;
        let mut anchor_kkt = self.weighted_kkt(&z, omega, scaled_norms);
        let mut prev_kkt = f64::INFINITY;
        let (mut iters, mut attempts, mut restarts, mut epoch_start) =
            (0usize, 0usize, 0usize, 0usize);
        loop {
            let used = self.adaptive_step(&z, &mut next, &mut eta, omega, &mut attempts);
            std::mem::swap(&mut z, &mut next);
            sum.axpy(used, &z);
            weight += used;
            iters += 1;
            if iters % opts.check_every != 0 && iters < opts.iteration_limit {
                continue;
            }
            if has_non_finite(&z) {
                return self.finish(Status::NumericalError, &anchor, iters, restarts);
            }
            let avg = sum.scaled(1.0 / weight);
            for cand in [&z, &avg] {
                if self.is_optimal(cand) {
                    return self.finish(Status::Optimal, cand, iters, restarts);
                }
            }
            if let Some(sol) = self.check_stop(&z, &anchor, &avg, iters, restarts) {
                return sol;
            }
            let kz = self.weighted_kkt(&z, omega, scaled_norms);
            let ka = self.weighted_kkt(&avg, omega, scaled_norms);
            let (cand, kc) = if ka < kz { (avg, ka) } else { (z.clone(), kz) };
            let progress = EpochProgress {
                first: anchor_kkt,
                previous: prev_kkt,
                current: kc,
                length: iters - epoch_start,
                total: iters,
            };
            prev_kkt = kc;
            if opts
                .restart
                .should_restart(progress, opts.restart.necessary_reduction)
            {
                let d = cand.minus(&anchor);
                omega = self.updated_primal_weight(omega, norm2(&d.x), norm2(&d.y));
                z = cand;
                anchor = z.clone();
                sum = Point::zeros(m, n);
                weight = 0.0;
                anchor_kkt = self.weighted_kkt(&z, omega, scaled_norms);
                prev_kkt = f64::INFINITY;
                epoch_start = iters;
                restarts += 1;
            }
        }
    }
}
