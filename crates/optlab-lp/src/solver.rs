//! State shared by both PDHG variants: the scaled problem, the map back to the original
//! space, KKT measurements, warm starts, infeasibility checks and the final solution.

use crate::kkt::{data_norms, dual_ray_quality, kkt_errors, primal_ray_quality, KktErrors, LpView};
use crate::model::LpProblem;
use crate::options::SolveOptions;
use crate::point::Point;
use crate::scaling::{scale_problem, ScaledLp};
use crate::solution::{LpSolution, Status};
use std::time::Instant;

/// A problem prepared for PDHG iterations (scaled), with its options and start time.
pub(crate) struct Solver<'a> {
    pub(crate) p: &'a LpProblem,
    pub(crate) s: ScaledLp,
    pub(crate) opts: &'a SolveOptions,
    pub(crate) norms: (f64, f64),
    pub(crate) start: Instant,
}

impl<'a> Solver<'a> {
    /// Scales `p` as `opts` says and starts the clock.
    pub(crate) fn new(p: &'a LpProblem, opts: &'a SolveOptions) -> Self {
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

    /// Seconds since the solve began.
    pub(crate) fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// The scaled problem's vectors.
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

    /// The original-space point of `z` and its KKT errors.
    pub(crate) fn original_kkt(&self, z: &Point) -> (Point, KktErrors) {
        let u = self.unscale(z);
        let k = kkt_errors(&LpView::of(self.p), self.norms, &u.x, &u.y, &u.ax, &u.aty);
        (u, k)
    }

    /// Whether `z` meets the tolerance on the original problem.
    pub(crate) fn is_optimal(&self, z: &Point) -> bool {
        self.original_kkt(z).1.max_rel_in(self.opts.norm) <= self.opts.tol
    }

    /// Clamps `x` into the scaled column bounds.
    fn project_x(&self, x: &mut [f64]) {
        for j in 0..x.len() {
            x[j] = x[j].clamp(self.s.col_lower[j], self.s.col_upper[j]);
        }
    }

    /// The warm start (validated by the facade) in scaled space, or the origin.
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

    /// The solution reported for scaled point `z`.
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
            time_s: self.elapsed_s(),
        }
    }

    /// The verdict of a periodic check that is not about optimality: non-finite iterates,
    /// infeasibility rays, or a limit reached. `fallback` is reported at a limit.
    pub(crate) fn check_stop(
        &self,
        z: &Point,
        anchor: &Point,
        fallback: &Point,
        iters: usize,
        restarts: usize,
    ) -> Option<LpSolution> {
        if let Some(sol) = self.check_infeasible(z, anchor, iters, restarts) {
            return Some(sol);
        }
        if iters >= self.opts.iteration_limit {
            return Some(self.finish(Status::IterationLimit, fallback, iters, restarts));
        }
        if self.elapsed_s() >= self.opts.time_limit {
            return Some(self.finish(Status::TimeLimit, fallback, iters, restarts));
        }
        None
    }

    /// Tests the current iterate and its difference from the epoch anchor as infeasibility rays.
    fn check_infeasible(
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

/// Whether any primal or dual entry of `z` is NaN or infinite.
pub(crate) fn has_non_finite(z: &Point) -> bool {
    z.x.iter().chain(&z.y).any(|v| !v.is_finite())
}
