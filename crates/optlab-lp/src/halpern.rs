//! Restarted reflected Halpern PDHG (the r²HPDHG recipe of cuPDLPx): constant step
//! `0.998/‖A‖₂`, Halpern averaging towards the epoch anchor with full reflection, restarts on
//! the fixed-point residual, and a PID controller on the log primal weight.

use crate::kkt::data_norms;
use crate::point::Point;
use crate::restart::EpochProgress;
use crate::solution::{LpSolution, Status};
use crate::solver::{has_non_finite, Solver};
use crate::sparse::norm2;
use crate::step::{complete_step, primal_dual_step, StepMovement};

/// Fraction of `1/‖A‖₂` used as the constant step.
const STEP_FRACTION: f64 = 0.998;
/// Power iterations of the `‖A‖₂` estimate.
const NORM_ESTIMATE_ITERS: usize = 5000;
/// Movements outside this range leave the primal weight alone (too small or too large to trust).
const WEIGHT_UPDATE_MOVES: std::ops::Range<f64> = 1e-16..1e12;

/// `cur ← wa·(2h − cur) + wb·a0` for each pair of vectors.
fn reflect_towards(cur: &mut [f64], h: &[f64], a0: &[f64], wa: f64, wb: f64) {
    for i in 0..cur.len() {
        cur[i] = wa * (2.0 * h[i] - cur[i]) + wb * a0[i];
    }
}

/// The reflected Halpern update `z ← (k+1)/(k+2)·(2ẑ − z) + 1/(k+2)·z₀`, applied to the
/// cached products too.
fn halpern_update(z: &mut Point, hat: &Point, anchor: &Point, k: usize) {
    let (wa, wb) = ((k + 1) as f64 / (k + 2) as f64, 1.0 / (k + 2) as f64);
    reflect_towards(&mut z.x, &hat.x, &anchor.x, wa, wb);
    reflect_towards(&mut z.y, &hat.y, &anchor.y, wa, wb);
    reflect_towards(&mut z.ax, &hat.ax, &anchor.ax, wa, wb);
    reflect_towards(&mut z.aty, &hat.aty, &anchor.aty, wa, wb);
}

/// The PID controller on `ln ω`: its integral term.
struct PrimalWeightPid {
    integral: f64,
}

impl Solver<'_> {
    /// One plain PDHG step `ẑ = T(z)` with constant step `eta`.
    fn halpern_operator(&self, z: &Point, out: &mut Point, eta: f64, omega: f64) -> StepMovement {
        let m = primal_dual_step(&self.s, z, out, eta / omega, eta * omega);
        complete_step(&self.s, out);
        m
    }

    /// The primal weight after an epoch that moved from `anchor` to `hat`.
    fn pid_primal_weight(
        &self,
        pid: &mut PrimalWeightPid,
        omega: f64,
        hat: &Point,
        anchor: &Point,
    ) -> f64 {
        let r = &self.opts.restart;
        let d = hat.minus(anchor);
        let (px, py) = (norm2(&d.x), norm2(&d.y));
        if WEIGHT_UPDATE_MOVES.contains(&px) && WEIGHT_UPDATE_MOVES.contains(&py) {
            let e = (omega * px / py).ln();
            pid.integral = r.pid_integral_decay * pid.integral + e;
            (omega.ln() - (r.pid_proportional * e + r.pid_integral * pid.integral)).exp()
        } else {
            omega
        }
    }

    /// The verdict of a check on the operator output `hat`.
    fn halpern_verdict(
        &self,
        hat: &Point,
        anchor: &Point,
        iters: usize,
        restarts: usize,
    ) -> Option<LpSolution> {
        if has_non_finite(hat) {
            return Some(self.finish(Status::NumericalError, anchor, iters, restarts));
        }
        if self.is_optimal(hat) {
            return Some(self.finish(Status::Optimal, hat, iters, restarts));
        }
        self.check_stop(hat, anchor, hat, iters, restarts)
    }

    /// The constant step `0.998/‖A‖₂` and the initial primal weight `(1 + ‖c‖)/(1 + ‖b‖)`.
    fn halpern_step_and_weight(&self) -> (f64, f64) {
        let norm_a = self.s.a.norm2_estimate(&self.s.at, NORM_ESTIMATE_ITERS);
        let eta = if norm_a > 0.0 {
            STEP_FRACTION / norm_a
        } else {
            1.0
        };
        let (bn, cn) = data_norms(&self.scaled_view());
        (eta, (1.0 + cn) / (1.0 + bn))
    }

    /// Runs restarted reflected Halpern PDHG.
    pub(crate) fn run_halpern(&self) -> LpSolution {
        let (opts, restart) = (self.opts, &self.opts.restart);
        let (eta, mut omega) = self.halpern_step_and_weight();
        let mut z = self.initial_point();
        let mut hat = z.clone();
        let mut anchor = z.clone();
        let (mut iters, mut k, mut restarts) = (0usize, 0usize, 0usize);
        let (mut r0, mut r_prev) = (f64::INFINITY, f64::INFINITY);
        let mut pid = PrimalWeightPid { integral: 0.0 };
        let mut first_check = true;
        loop {
            let mv = self.halpern_operator(&z, &mut hat, eta, omega);
            halpern_update(&mut z, &hat, &anchor, k);
            iters += 1;
            k += 1;
            if iters % opts.check_every != 0 && iters < opts.iteration_limit {
                continue;
            }
            if let Some(sol) = self.halpern_verdict(&hat, &anchor, iters, restarts) {
                return sol;
            }
            // Fixed-point residual ‖z − T(z)‖_P (times √η), from the last operator call.
            let r = (omega * mv.dx2 + mv.dy2 / omega + 2.0 * eta * mv.interaction)
                .max(0.0)
                .sqrt();
            let progress = EpochProgress {
                first: r0,
                previous: r_prev,
                current: r,
                length: k,
                total: iters,
            };
            // The first check always restarts: it sets the epoch's reference residual.
            let necessary = restart.halpern_necessary_reduction;
            let restart_now = first_check || restart.should_restart(progress, necessary);
            first_check = false;
            r_prev = r;
            if restart_now {
                omega = self.pid_primal_weight(&mut pid, omega, &hat, &anchor);
                anchor = hat.clone();
                z = hat.clone();
                r0 = r;
                r_prev = f64::INFINITY;
                k = 0;
                restarts += 1;
            }
        }
    }
}
