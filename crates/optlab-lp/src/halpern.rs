//! Restarted reflected Halpern PDHG (the r²HPDHG recipe of cuPDLPx): constant step
//! `0.998/‖A‖₂`, Halpern averaging towards the epoch anchor with full reflection, restarts on
//! the fixed-point residual, and a PID controller on the log primal weight.

use crate::kkt::data_norms;
use crate::pdhg::{Point, Solver};
use crate::solution::{LpSolution, Status};
use crate::sparse::norm2;

/// Restart thresholds and PID gains (cuPDLPx defaults).
const SUFFICIENT: f64 = 0.2;
const NECESSARY: f64 = 0.5;
const ARTIFICIAL: f64 = 0.36;
const K_P: f64 = 0.99;
const K_I: f64 = 0.01;
const PID_DECAY: f64 = 0.3;

impl Solver<'_> {
    /// One plain PDHG step `ẑ = T(z)` with constant step `eta`; returns `ΔyᵀAΔx` and `‖Δx‖²`, `‖Δy‖²`.
    fn halpern_operator(
        &self,
        z: &Point,
        out: &mut Point,
        eta: f64,
        omega: f64,
    ) -> (f64, f64, f64) {
        let s = &self.s;
        let (tau, sigma) = (eta / omega, eta * omega);
        let mut dx2 = 0.0;
        for j in 0..z.x.len() {
            let v = (z.x[j] - tau * (s.obj[j] - z.aty[j])).clamp(s.col_lower[j], s.col_upper[j]);
            dx2 += (v - z.x[j]) * (v - z.x[j]);
            out.x[j] = v;
        }
        s.a.mul_vec_into(&out.x, &mut out.ax);
        let (mut dy2, mut inter) = (0.0, 0.0);
        for i in 0..z.y.len() {
            let v = z.y[i] - sigma * (2.0 * out.ax[i] - z.ax[i]);
            let y = v - v.clamp(-sigma * s.row_upper[i], -sigma * s.row_lower[i]);
            let dy = y - z.y[i];
            dy2 += dy * dy;
            inter += dy * (out.ax[i] - z.ax[i]);
            out.y[i] = y;
        }
        s.at.mul_vec_into(&out.y, &mut out.aty);
        (inter, dx2, dy2)
    }

    /// Runs restarted reflected Halpern PDHG.
    pub(crate) fn run_halpern(&self) -> LpSolution {
        let opts = self.opts;
        let norm_a = self.s.a.norm2_estimate(&self.s.at, 5000);
        let eta = if norm_a > 0.0 { 0.998 / norm_a } else { 1.0 };
        let (bn, cn) = data_norms(&self.scaled_view());
        let mut omega = (1.0 + cn) / (1.0 + bn);
        let mut z = self.initial_point();
        let mut hat = z.clone();
        let mut anchor = z.clone();
        let (mut iters, mut k, mut restarts) = (0usize, 0usize, 0usize);
        let (mut r0, mut r_prev) = (f64::INFINITY, f64::INFINITY);
        let (mut integral, mut first_check) = (0.0, true);
        loop {
            let (inter, dx2, dy2) = self.halpern_operator(&z, &mut hat, eta, omega);
            // z ← (k+1)/(k+2)·(2ẑ − z) + 1/(k+2)·z₀, applied to the cached products too.
            let (wa, wb) = ((k + 1) as f64 / (k + 2) as f64, 1.0 / (k + 2) as f64);
            let pairs = [(&mut z.x, &hat.x, &anchor.x), (&mut z.y, &hat.y, &anchor.y)];
            for (cur, h, a0) in pairs {
                for i in 0..cur.len() {
                    cur[i] = wa * (2.0 * h[i] - cur[i]) + wb * a0[i];
                }
            }
            let pairs = [
                (&mut z.ax, &hat.ax, &anchor.ax),
                (&mut z.aty, &hat.aty, &anchor.aty),
            ];
            for (cur, h, a0) in pairs {
                for i in 0..cur.len() {
                    cur[i] = wa * (2.0 * h[i] - cur[i]) + wb * a0[i];
                }
            }
            iters += 1;
            k += 1;
            if iters % opts.check_every != 0 && iters < opts.iteration_limit {
                continue;
            }
            if hat.x.iter().chain(&hat.y).any(|v| !v.is_finite()) {
                return self.finish(Status::NumericalError, &anchor, iters, restarts);
            }
            if self.original_kkt(&hat).1.max_rel_in(opts.norm) <= opts.tol {
                return self.finish(Status::Optimal, &hat, iters, restarts);
            }
            if let Some(sol) = self.check_infeasible(&hat, &anchor, iters, restarts) {
                return sol;
            }
            if iters >= opts.iteration_limit {
                return self.finish(Status::IterationLimit, &hat, iters, restarts);
            }
            if self.start.elapsed().as_secs_f64() >= opts.time_limit {
                return self.finish(Status::TimeLimit, &hat, iters, restarts);
            }
            // Fixed-point residual ‖z − T(z)‖_P (times √η), from the last operator call.
            let r = (omega * dx2 + dy2 / omega + 2.0 * eta * inter)
                .max(0.0)
                .sqrt();
            let restart = first_check
                || r <= SUFFICIENT * r0
                || (r <= NECESSARY * r0 && r > r_prev)
                || k as f64 >= ARTIFICIAL * iters as f64;
            first_check = false;
            r_prev = r;
            if restart {
                let d = hat.minus(&anchor);
                let (px, py) = (norm2(&d.x), norm2(&d.y));
                if (1e-16..1e12).contains(&px) && (1e-16..1e12).contains(&py) {
                    let e = (omega * px / py).ln();
                    integral = PID_DECAY * integral + e;
                    omega = (omega.ln() - (K_P * e + K_I * integral)).exp();
                }
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
