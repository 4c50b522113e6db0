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

    /// The first step size: `1/‖A‖_max` of the scaled matrix.
    fn initial_step(&self) -> f64 {
        let max_abs = self.s.a.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if max_abs > 0.0 {
            1.0 / max_abs
        } else {
            1.0
        }
    }

    /// The verdict of a check: optimal at the iterate or the average, or another stop.
    fn averaged_verdict(
        &self,
        z: &Point,
        avg: &Point,
        epoch: &AveragedEpoch,
        iters: usize,
        restarts: usize,
    ) -> Option<LpSolution> {
        if has_non_finite(z) {
            return Some(self.finish(Status::NumericalError, &epoch.anchor, iters, restarts));
        }
        for cand in [z, avg] {
            if self.is_optimal(cand) {
                return Some(self.finish(Status::Optimal, cand, iters, restarts));
            }
        }
        self.check_stop(z, &epoch.anchor, avg, iters, restarts)
    }

    /// Runs restarted averaged PDHG.
    pub(crate) fn run_averaged(&self) -> LpSolution {
        let opts = self.opts;
        let mut eta = self.initial_step();
        let (bn, cn) = data_norms(&self.scaled_view());
        let mut omega = if bn > 1e-10 && cn > 1e-10 {
            cn / bn
        } else {
            1.0
        };
        let norms = (bn, cn);
        let mut z = self.initial_point();
        let mut next = z.clone();
        let mut epoch = AveragedEpoch::new(z.clone(), self.weighted_kkt(&z, omega, norms), 0);
        let (mut iters, mut attempts, mut restarts) = (0usize, 0usize, 0usize);
        loop {
            let used = self.adaptive_step(&z, &mut next, &mut eta, omega, &mut attempts);
            std::mem::swap(&mut z, &mut next);
            epoch.add(used, &z);
            iters += 1;
            if iters % opts.check_every != 0 && iters < opts.iteration_limit {
                continue;
            }
            let avg = epoch.average();
            if let Some(sol) = self.averaged_verdict(&z, &avg, &epoch, iters, restarts) {
                return sol;
            }
            let kz = self.weighted_kkt(&z, omega, norms);
            let ka = self.weighted_kkt(&avg, omega, norms);
            let (cand, kc) = if ka < kz { (avg, ka) } else { (z.clone(), kz) };
            let progress = epoch.progress(kc, iters);
            epoch.previous_kkt = kc;
            if opts
                .restart
                .should_restart(progress, opts.restart.necessary_reduction)
            {
                let d = cand.minus(&epoch.anchor);
                omega = self.updated_primal_weight(omega, norm2(&d.x), norm2(&d.y));
                z = cand;
                epoch = AveragedEpoch::new(z.clone(), self.weighted_kkt(&z, omega, norms), iters);
                restarts += 1;
            }
        }
    }
}

/// The current epoch of averaged PDHG: its anchor, the step-weighted sum of its iterates, and
/// the restart measure at its start and at the previous check.
struct AveragedEpoch {
    anchor: Point,
    sum: Point,
    weight: f64,
    first_kkt: f64,
    previous_kkt: f64,
    start: usize,
}

impl AveragedEpoch {
    /// An epoch starting at `anchor` (restart measure `first_kkt`) after `start` iterations.
    fn new(anchor: Point, first_kkt: f64, start: usize) -> Self {
        let sum = Point::zeros(anchor.y.len(), anchor.x.len());
        Self {
            anchor,
            sum,
            weight: 0.0,
            first_kkt,
            previous_kkt: f64::INFINITY,
            start,
        }
    }

    /// Adds an iterate with weight `w` (its step size).
    fn add(&mut self, w: f64, z: &Point) {
        self.sum.axpy(w, z);
        self.weight += w;
    }

    /// The weighted average of the epoch's iterates.
    fn average(&self) -> Point {
        self.sum.scaled(1.0 / self.weight)
    }

    /// Where the epoch stands when the candidate's measure is `current` after `total` iterations.
    fn progress(&self, current: f64, total: usize) -> EpochProgress {
        EpochProgress {
            first: self.first_kkt,
            previous: self.previous_kkt,
            current,
            length: total - self.start,
            total,
        }
    }
}
