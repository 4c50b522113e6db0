//! The Adam-vs-SGDM sweeps of [`crate::smooth`] over initial gaps and learning rates: one
//! report (deterministic iterations to the target, stochastic divergence and final gradient
//! norms) and two SVGs of the gradient norm against iterations.

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{CurvatureError, Result};
use crate::smooth::{
    best_deterministic, lr_grid, run, stochastic_cell, CoshProblem, Method, Noise, Setup,
    StochasticCell,
};
use crate::svg::{line_chart, Axes, Series};

const AXES: Axes = Axes {
    log_x: true,
    log_y: true,
    floor: 1e-12,
};

/// Plot points `(t + 1, ‖∇f‖)`, capped at 100x the initial norm so a diverging run stays on
/// the chart (it ends where it left the finite region).
fn points(trace: &[(usize, f64)]) -> (Vec<f64>, Vec<f64>) {
    let cap = 100.0 * trace.first().map_or(1.0, |t| t.1);
    trace
        .iter()
        .map(|&(t, g)| ((t + 1) as f64, g.min(cap)))
        .unzip()
}

/// Settings of the sweeps.
#[derive(Debug, Clone)]
pub struct SmoothOptions {
    /// Small sweep (3 gaps, 1 lr per decade, 2e4 iterations, 16 seeds).
    pub quick: bool,
    /// Problem dimension (separable coordinates).
    pub dim: usize,
    /// L0 of f = Σ (L0/L1²)(cosh(L1 x) − 1).
    pub l0: f64,
    /// L1.
    pub l1: f64,
    /// Target gradient norm.
    pub eps: f64,
    /// Standard deviation of the additive Gaussian gradient noise (stochastic runs).
    pub noise: f64,
    /// Relative standard deviation of noise proportional to |∇f| (affine-variance oracle).
    pub noise_rel: f64,
    /// Adam's second-moment decay β2.
    pub beta2: f64,
    /// Initial gap of the stochastic runs.
    pub stochastic_delta: f64,
    /// Iteration budget per run (none: 1e5, quick 2e4).
    pub iters: Option<usize>,
    /// Seeds per stochastic cell (none: 32, quick 16).
    pub seeds: Option<usize>,
    /// Seed offset (noise streams are seed-offset + run index).
    pub seed: u64,
}

/// Deterministic runs from one initial gap: each method at its best learning rate.
#[derive(Debug, Clone, Serialize)]
pub struct DetRow {
    /// Initial gap f(x0) − f*.
    pub delta: f64,
    /// SGD-momentum's best learning rate.
    pub sgdm_lr: f64,
    /// Iterations SGD-momentum needed to reach the target (none: not within the budget).
    pub sgdm_iters: Option<usize>,
    /// Smallest gradient norm SGD-momentum reached.
    pub sgdm_min_grad: f64,
    /// Adam's best learning rate.
    pub adam_lr: f64,
    /// Iterations Adam needed to reach the target (none: not within the budget).
    pub adam_iters: Option<usize>,
    /// Smallest gradient norm Adam reached.
    pub adam_min_grad: f64,
}

/// Everything the sweeps measured (written as `results.json`).
#[derive(Debug, Clone, Serialize)]
pub struct SmoothReport {
    /// The test function.
    pub problem: CoshProblem,
    /// Adam's β2.
    pub adam_beta2: f64,
    /// Target gradient norm.
    pub eps: f64,
    /// Iteration budget per run.
    pub iters: usize,
    /// The learning-rate grid of every sweep.
    pub lrs: Vec<f64>,
    /// One row per initial gap.
    pub deterministic: Vec<DetRow>,
    /// Gradient noise of the stochastic runs.
    pub noise: Noise,
    /// Initial gap of the stochastic runs.
    pub stochastic_delta: f64,
    /// Seeds per stochastic cell.
    pub seeds: usize,
    /// SGD-momentum's stochastic cells, one per learning rate.
    pub sgdm: Vec<StochasticCell>,
    /// Adam's stochastic cells, one per learning rate.
    pub adam: Vec<StochasticCell>,
}

/// The report and the median gradient-norm traces of every stochastic cell (for the SVG).
#[derive(Debug, Clone)]
pub struct SmoothSweep {
    /// What the sweeps measured.
    pub report: SmoothReport,
    sgdm_traces: Vec<Vec<(usize, f64)>>,
    adam_traces: Vec<Vec<(usize, f64)>>,
}

/// The cell with the lowest median final gradient norm.
pub fn best_cell(cells: &[StochasticCell]) -> Option<&StochasticCell> {
    cells
        .iter()
        .min_by(|a, b| a.median_final_grad.total_cmp(&b.median_final_grad))
}
fn validate(o: &SmoothOptions) -> Result<()> {
    if o.dim == 0
        || !(o.l0 > 0.0
            && o.l1 > 0.0
            && o.eps > 0.0
            && o.noise >= 0.0
            && o.noise_rel >= 0.0
            && o.stochastic_delta > 0.0)
    {
        return Err(CurvatureError::Config(
            "smooth: need dim >= 1 and positive l0, l1, eps, stochastic-delta, non-negative noise"
                .into(),
        ));
    }
    if !(0.0..1.0).contains(&o.beta2) {
        return Err(CurvatureError::Config(format!(
            "smooth: beta2 must be in [0, 1), got {}",
            o.beta2
        )));
    }
    Ok(())
}

/// Deterministic runs: for each initial gap, each method at its best learning rate.
fn deterministic_rows(
    p: &CoshProblem,
    adam: Method,
    deltas: &[f64],
    lrs: &[f64],
    iters: usize,
    eps: f64,
) -> Result<Vec<DetRow>> {
    deltas
        .par_iter()
        .map(|&delta| {
            let (sl, s) = best_deterministic(p, Method::Sgdm, lrs, delta, iters, eps)?;
            let (al, a) = best_deterministic(p, adam, lrs, delta, iters, eps)?;
            Ok(DetRow {
                delta,
                sgdm_lr: sl,
                sgdm_iters: s.hit,
                sgdm_min_grad: s.min_grad,
                adam_lr: al,
                adam_iters: a.hit,
                adam_min_grad: a.min_grad,
            })
        })
        .collect()
}

/// Run the deterministic and stochastic sweeps `o` describes.
pub fn sweep(o: &SmoothOptions) -> Result<SmoothSweep> {
    validate(o)?;
    let adam = Method::Adam { beta2: o.beta2 };
    let p = CoshProblem {
        dim: o.dim,
        l0: o.l0,
        l1: o.l1,
    };
    let iters = o.iters.unwrap_or(if o.quick { 20_000 } else { 100_000 });
    let seeds = o.seeds.unwrap_or(if o.quick { 16 } else { 32 });
    let deltas: Vec<f64> = if o.quick {
        vec![1e2, 1e4, 1e6]
    } else {
        (1..=8).map(|k| 10f64.powi(k)).collect()
    };
    let lrs = lr_grid(-10, 0, if o.quick { 1 } else { 2 });
    let deterministic = deterministic_rows(&p, adam, &deltas, &lrs, iters, o.eps)?;
    let x0 = p.start(o.stochastic_delta);
    let noise = Noise {
        abs: o.noise,
        rel: o.noise_rel,
    };
    let stochastic = |method: Method| -> (Vec<StochasticCell>, Vec<Vec<(usize, f64)>>) {
        lrs.par_iter()
            .map(|&lr| {
                let setup = Setup {
                    method,
                    lr,
                    iters,
                    eps: o.eps,
                    noise,
                };
                stochastic_cell(&p, &setup, &x0, seeds, o.seed)
            })
            .unzip()
    };
    let ((sgdm, sgdm_traces), (adam_cells, adam_traces)) =
        (stochastic(Method::Sgdm), stochastic(adam));
    let report = SmoothReport {
        problem: p,
        adam_beta2: o.beta2,
        eps: o.eps,
        iters,
        lrs,
        deterministic,
        noise,
        stochastic_delta: o.stochastic_delta,
        seeds,
        sgdm,
        adam: adam_cells,
    };
    Ok(SmoothSweep {
        report,
        sgdm_traces,
        adam_traces,
    })
}

impl SmoothSweep {
    /// Gradient norm against iterations from the largest initial gap: SGD-momentum at its
    /// best and at 10x its best learning rate, and Adam at its best.
    pub fn deterministic_svg(&self) -> String {
        let r = &self.report;
        let Some(last) = r.deterministic.last() else {
            return line_chart("deterministic", "iteration + 1", "‖∇f‖", &[], AXES);
        };
        let adam = Method::Adam {
            beta2: r.adam_beta2,
        };
        let x0 = r.problem.start(last.delta);
        let series: Vec<Series> = [
            (Method::Sgdm, last.sgdm_lr, "SGDM best lr"),
            (Method::Sgdm, last.sgdm_lr * 10.0, "SGDM 10x best lr"),
            (adam, last.adam_lr, "Adam best lr"),
        ]
        .into_iter()
        .map(|(method, lr, name)| {
            let setup = Setup {
                method,
                lr,
                iters: r.iters,
                eps: r.eps,
                noise: Noise::default(),
            };
            let (xs, ys) = points(&run(&r.problem, &setup, &x0, 0).trace);
            Series {
                name: format!("{name} ({lr:.1e})"),
                xs,
                ys,
            }
        })
        .collect();
        let title = format!(
            "deterministic, Δ = {:.0e}: gradient norm vs iteration",
            last.delta
        );
        line_chart(&title, "iteration + 1", "‖∇f‖", &series, AXES)
    }

    /// Median gradient norm over seeds against iterations: SGD-momentum at its best learning
    /// rate and at the first one over 5x larger, and Adam at its best.
    pub fn stochastic_svg(&self) -> String {
        let r = &self.report;
        let trace = |cells: &[StochasticCell], traces: &[Vec<(usize, f64)>], lr: f64| {
            cells
                .iter()
                .position(|c| c.lr == lr)
                .map(|i| traces[i].clone())
        };
        let mut series = Vec::new();
        let mut add = |name: String, tr: Option<Vec<(usize, f64)>>| {
            if let Some(tr) = tr {
                let (xs, ys) = points(&tr);
                series.push(Series { name, xs, ys });
            }
        };
        if let Some(b) = best_cell(&r.sgdm) {
            let best = trace(&r.sgdm, &self.sgdm_traces, b.lr);
            add(format!("SGDM best lr ({:.1e})", b.lr), best);
            if let Some(c) = r.sgdm.iter().find(|c| c.lr > b.lr * 5.0) {
                let name = format!("SGDM lr {:.1e} (div {:.0}%)", c.lr, 100.0 * c.diverged);
                add(name, trace(&r.sgdm, &self.sgdm_traces, c.lr));
            }
        }
        if let Some(b) = best_cell(&r.adam) {
            let best = trace(&r.adam, &self.adam_traces, b.lr);
            add(format!("Adam best lr ({:.1e})", b.lr), best);
        }
        let title = format!(
            "stochastic (noise {} + {}·|∇f|), Δ = {:.0e}: median ‖∇f‖ over {} seeds",
            r.noise.abs, r.noise.rel, r.stochastic_delta, r.seeds
        );
        line_chart(&title, "iteration + 1", "‖∇f‖", &series, AXES)
    }
}
