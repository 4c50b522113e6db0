//! Restarted averaged PDHG with PDLP's adaptive step size, KKT-based adaptive restarts
//! (cuPDLP rule) and primal-weight updates, on a Ruiz + Pock–Chambolle scaled problem.

use crate::kkt::{data_norms, dual_ray_quality, kkt_errors, primal_ray_quality, KktErrors, LpView};
use crate::model::LpProblem;
use crate::scaling::{scale_problem, ScaledLp};
use crate::solution::{Algorithm, LpSolution, SolveOptions, Status};
use crate::sparse::norm2;
use std::time::Instant;

/// A primal-dual point with its cached products `A x` and `Aᵀ y` (scaled space).
#[derive(Clone)]
pub(crate) struct Point {
    pub(crate) x: Vec<f64>,
    pub(crate) y: Vec<f64>,
    pub(crate) ax: Vec<f64>,
    pub(crate) aty: Vec<f64>,
}

impl Point {
    pub(crate) fn zeros(m: usize, n: usize) -> Self {
        Self {
            x: vec![0.0; n],
            y: vec![0.0; m],
            ax: vec![0.0; m],
            aty: vec![0.0; n],
        }
    }
    fn axpy(&mut self, w: f64, o: &Point) {
        let pairs = [
            (&mut self.x, &o.x),
            (&mut self.y, &o.y),
            (&mut self.ax, &o.ax),
            (&mut self.aty, &o.aty),
        ];
        for (a, b) in pairs {
            a.iter_mut().zip(b).for_each(|(s, t)| *s += w * t);
        }
    }
    fn scaled(&self, w: f64) -> Point {
        let f = |v: &Vec<f64>| v.iter().map(|e| e * w).collect();
        Point {
            x: f(&self.x),
            y: f(&self.y),
            ax: f(&self.ax),
            aty: f(&self.aty),
        }
    }
    pub(crate) fn minus(&self, o: &Point) -> Point {
        let mut d = self.clone();
        d.axpy(-1.0, o);
        d
    }
}

/// Solves the LP with restarted averaged PDHG. Never panics on valid problems; returns a status.
/// With `opts.presolve`, presolve-lite runs first and the solution is mapped back.
pub fn solve(p: &LpProblem, opts: &SolveOptions) -> LpSolution {
    if opts.presolve {
        crate::presolved::solve_presolved(p, opts)
    } else {
        solve_direct(p, opts)
    }
}

/// Solves without presolve.
pub fn solve_direct(p: &LpProblem, opts: &SolveOptions) -> LpSolution {
    match opts.threads {
        Some(t) => match rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build()
        {
            Ok(pool) => pool.install(|| Solver::new(p, opts).dispatch()),
            Err(_) => Solver::new(p, opts).dispatch(),
        },
        None => Solver::new(p, opts).dispatch(),
    }
}

pub(crate) struct Solver<'a> {
    pub(crate) p: &'a LpProblem,
    pub(crate) s: ScaledLp,
    pub(crate) opts: &'a SolveOptions,
    pub(crate) norms: (f64, f64),
    pub(crate) start: Instant,
}

impl<'a> Solver<'a> {
    fn new(p: &'a LpProblem, opts: &'a SolveOptions) -> Self {
        let start = Instant::now();
        let mut s = scale_problem(p, opts.ruiz_iters, opts.pock_chambolle);
        if opts.bc_scaling {
            s.apply_bc_scaling();
        }
        let norms = opts.kkt_norms.unwrap_or_else(|| data_norms(&LpView::of(p)));
        Self {
            p,
            s,
            opts,
            norms,
            start,
        }
    }

    pub(crate) fn scaled_view(&self) -> LpView<'_> {
        LpView {
            obj: &self.s.obj,
            offset: self.p.obj_offset,
            row_lower: &self.s.row_lower,
            row_upper: &self.s.row_upper,
            col_lower: &self.s.col_lower,
            col_upper: &self.s.col_upper,
        }
    }

    /// Maps a scaled point back to the original space.
    fn unscale(&self, z: &Point) -> Point {
        let (r, c) = (&self.s.row_scale, &self.s.col_scale);
        let (tb, tc) = (self.s.bound_scale, self.s.obj_scale);
        Point {
            x: z.x.iter().zip(c).map(|(v, s)| v * s / tb).collect(),
            y: z.y.iter().zip(r).map(|(v, s)| v * s / tc).collect(),
            ax: z.ax.iter().zip(r).map(|(v, s)| v / (s * tb)).collect(),
            aty: z.aty.iter().zip(c).map(|(v, s)| v / (s * tc)).collect(),
        }
    }

    pub(crate) fn original_kkt(&self, z: &Point) -> (Point, KktErrors) {
        let u = self.unscale(z);
        let k = kkt_errors(&LpView::of(self.p), self.norms, &u.x, &u.y, &u.ax, &u.aty);
        (u, k)
    }

    /// cuPDLP's weighted KKT error in scaled space, used for restart decisions.
    fn weighted_kkt(&self, z: &Point, omega: f64, norms: (f64, f64)) -> f64 {
        let k = kkt_errors(&self.scaled_view(), norms, &z.x, &z.y, &z.ax, &z.aty);
        let gap = k.primal_objective - k.dual_objective;
        (omega * k.primal_residual.powi(2) + k.dual_residual.powi(2) / omega + gap * gap).sqrt()
    }

    pub(crate) fn project_x(&self, x: &mut [f64]) {
        for j in 0..x.len() {
            x[j] = x[j].clamp(self.s.col_lower[j], self.s.col_upper[j]);
        }
    }

    pub(crate) fn initial_point(&self) -> Point {
        let (m, n) = (self.s.a.nrows, self.s.a.ncols);
        let mut z = Point::zeros(m, n);
        if let Some((x0, y0)) = &self.opts.warm_start {
            if x0.len() == n && y0.len() == m {
                z.x = x0
                    .iter()
                    .zip(&self.s.col_scale)
                    .map(|(v, s)| v / s)
                    .collect();
                z.y = y0
                    .iter()
                    .zip(&self.s.row_scale)
                    .map(|(v, s)| v / s)
                    .collect();
            }
        }
        self.project_x(&mut z.x);
        z.ax = self.s.a.mul_vec(&z.x);
        z.aty = self.s.at.mul_vec(&z.y);
        z
    }

    pub(crate) fn finish(
        &self,
        status: Status,
        z: &Point,
        iters: usize,
        restarts: usize,
    ) -> LpSolution {
        let (u, kkt) = self.original_kkt(z);
        let reduced_costs = self.p.obj.iter().zip(&u.aty).map(|(c, a)| c - a).collect();
        LpSolution {
            status,
            objective: self.p.user_objective(kkt.primal_objective),
            x: u.x,
            y: u.y,
            reduced_costs,
            kkt,
            iterations: iters,
            restarts,
            time_s: self.start.elapsed().as_secs_f64(),
        }
    }

    /// One adaptive PDHG step from `z` into `out` (no allocation); returns the step size used.
    fn step(&self, z: &Point, out: &mut Point, eta: &mut f64, omega: f64, k: &mut usize) -> f64 {
        let s = &self.s;
        loop {
            let (tau, sigma) = (*eta / omega, *eta * omega);
            let mut dx2 = 0.0;
            for j in 0..z.x.len() {
                let v =
                    (z.x[j] - tau * (s.obj[j] - z.aty[j])).clamp(s.col_lower[j], s.col_upper[j]);
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
            let movement = 0.5 * (omega * dx2 + dy2 / omega);
            let limit = if inter.abs() > 0.0 {
                movement / inter.abs()
            } else {
                f64::INFINITY
            };
            *k += 1;
            let kf = (*k + 1) as f64;
            let used = *eta;
            *eta = ((1.0 - kf.powf(-0.3)) * limit).min((1.0 + kf.powf(-0.6)) * used);
            if used <= limit || !eta.is_finite() {
                if !eta.is_finite() {
                    *eta = used;
                }
                // Aᵀy is only needed once the step is accepted.
                s.at.mul_vec_into(&out.y, &mut out.aty);
                return used;
            }
        }
    }

    fn dispatch(&self) -> LpSolution {
        match self.opts.algorithm {
            Algorithm::AveragedPdhg => self.run(),
            Algorithm::ReflectedHalpern => self.run_halpern(),
        }
    }

    fn run(&self) -> LpSolution {
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
        let mut last_restart = z.clone();
        let mut sum = Point::zeros(m, n);
        let mut weight = 0.0;
        let mut anchor_kkt = self.weighted_kkt(&z, omega, scaled_norms);
        let mut prev_kkt = f64::INFINITY;
        let (mut iters, mut attempts, mut restarts, mut epoch_start) =
            (0usize, 0usize, 0usize, 0usize);
        loop {
            let used = self.step(&z, &mut next, &mut eta, omega, &mut attempts);
            std::mem::swap(&mut z, &mut next);
            sum.axpy(used, &z);
            weight += used;
            iters += 1;
            if iters % opts.check_every != 0 && iters < opts.iteration_limit {
                continue;
            }
            if z.x.iter().chain(&z.y).any(|v| !v.is_finite()) {
                return self.finish(Status::NumericalError, &anchor, iters, restarts);
            }
            let avg = sum.scaled(1.0 / weight);
            for cand in [&z, &avg] {
                if self.original_kkt(cand).1.max_rel_in(opts.norm) <= opts.tol {
                    return self.finish(Status::Optimal, cand, iters, restarts);
                }
            }
            if let Some(sol) = self.check_infeasible(&z, &anchor, iters, restarts) {
                return sol;
            }
            if iters >= opts.iteration_limit {
                return self.finish(Status::IterationLimit, &avg, iters, restarts);
            }
            if self.start.elapsed().as_secs_f64() >= opts.time_limit {
                return self.finish(Status::TimeLimit, &avg, iters, restarts);
            }
            let kz = self.weighted_kkt(&z, omega, scaled_norms);
            let ka = self.weighted_kkt(&avg, omega, scaled_norms);
            let (cand, kc) = if ka < kz { (avg, ka) } else { (z.clone(), kz) };
            let epoch = iters - epoch_start;
            let restart = kc <= 0.2 * anchor_kkt
                || (kc <= 0.8 * anchor_kkt && kc > prev_kkt)
                || epoch as f64 >= 0.36 * iters as f64;
            prev_kkt = kc;
            if restart {
                let dx = norm2(&cand.minus(&last_restart).x);
                let dy = norm2(&cand.minus(&last_restart).y);
                if dx > 1e-10 && dy > 1e-10 {
                    omega = (0.5 * (dy / dx).ln() + 0.5 * omega.ln()).exp();
                }
                z = cand;
                last_restart = z.clone();
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

    /// Tests the current iterate and its difference from the epoch anchor as infeasibility rays.
    pub(crate) fn check_infeasible(
        &self,
        z: &Point,
        anchor: &Point,
        iters: usize,
        restarts: usize,
    ) -> Option<LpSolution> {
        let v = LpView::of(self.p);
        let tol = self.opts.infeasibility_tol;
        for cand in [z.clone(), z.minus(anchor)] {
            let u = self.unscale(&cand);
            if dual_ray_quality(&v, &u.y, &u.aty).is_some_and(|q| q <= tol) {
                let mut sol = self.finish(Status::PrimalInfeasible, z, iters, restarts);
                sol.y = u.y;
                return Some(sol);
            }
            if primal_ray_quality(&v, &u.x, &u.ax).is_some_and(|q| q <= tol) {
                let mut sol = self.finish(Status::DualInfeasible, z, iters, restarts);
                sol.x = u.x;
                return Some(sol);
            }
        }
        None
    }
}
