//! `optlab curvature smooth`: the Adam-vs-SGDM sweeps of [`crate::smooth`] as tables, JSON
//! and two SVGs of the gradient norm against iterations.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::Serialize;

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

/// Options of `optlab curvature smooth`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmoothOpts {
    /// Small sweep (3 gaps, 1 lr per decade, 2e4 iterations, 16 seeds): seconds.
    #[arg(long)]
    pub quick: bool,
    /// Problem dimension (separable coordinates).
    #[arg(long, default_value_t = 10)]
    pub dim: usize,
    /// L0 of f = Σ (L0/L1²)(cosh(L1 x) − 1).
    #[arg(long, default_value_t = 1.0)]
    pub l0: f64,
    /// L1.
    #[arg(long, default_value_t = 1.0)]
    pub l1: f64,
    /// Target gradient norm.
    #[arg(long, default_value_t = 1e-3)]
    pub eps: f64,
    /// Standard deviation of the additive Gaussian gradient noise (stochastic runs).
    #[arg(long, default_value_t = 1.0)]
    pub noise: f64,
    /// Relative standard deviation of noise proportional to |∇f| (affine-variance oracle).
    #[arg(long, default_value_t = 0.0)]
    pub noise_rel: f64,
    /// Adam's second-moment decay β2.
    #[arg(long, default_value_t = 0.999)]
    pub beta2: f64,
    /// Initial gap of the stochastic runs.
    #[arg(long, default_value_t = 1e4)]
    pub stochastic_delta: f64,
    /// Iteration budget per run (default 1e5, quick 2e4).
    #[arg(long)]
    pub iters: Option<usize>,
    /// Seeds per stochastic cell (default 32, quick 16).
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Seed offset (noise streams are seed-offset + run index).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder for results.json, deterministic.svg, stochastic.svg.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct DetRow {
    delta: f64,
    sgdm_lr: f64,
    sgdm_iters: Option<usize>,
    sgdm_min_grad: f64,
    adam_lr: f64,
    adam_iters: Option<usize>,
    adam_min_grad: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    problem: CoshProblem,
    adam_beta2: f64,
    eps: f64,
    iters: usize,
    lrs: Vec<f64>,
    deterministic: Vec<DetRow>,
    noise: Noise,
    stochastic_delta: f64,
    seeds: usize,
    sgdm: Vec<StochasticCell>,
    adam: Vec<StochasticCell>,
}

fn best(cells: &[StochasticCell]) -> Option<&StochasticCell> {
    cells
        .iter()
        .min_by(|a, b| a.median_final_grad.total_cmp(&b.median_final_grad))
}

fn it(x: Option<usize>, cap: usize) -> String {
    x.map_or(format!(">{cap}"), |v| v.to_string())
}

/// Run the sweeps and print/write the results.
pub fn run_cli(o: &SmoothOpts) -> Result<()> {
    let report = execute(o)?;
    print_report(o, &report)
}

/// Run the sweeps and write results.json and the SVGs when `o.out` is set.
fn execute(o: &SmoothOpts) -> Result<Report> {
    if o.dim == 0
        || !(o.l0 > 0.0
            && o.l1 > 0.0
            && o.eps > 0.0
            && o.noise >= 0.0
            && o.noise_rel >= 0.0
            && o.stochastic_delta > 0.0)
    {
        bail!(
            "smooth: need dim >= 1 and positive l0, l1, eps, stochastic-delta, non-negative noise"
        );
    }
    if !(0.0..1.0).contains(&o.beta2) {
        bail!("smooth: beta2 must be in [0, 1), got {}", o.beta2);
    }
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
    let deterministic: Vec<DetRow> = deltas
        .par_iter()
        .map(|&delta| -> crate::Result<DetRow> {
            let (sl, s) = best_deterministic(&p, Method::Sgdm, &lrs, delta, iters, o.eps)?;
            let (al, a) = best_deterministic(&p, adam, &lrs, delta, iters, o.eps)?;
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
        .collect::<crate::Result<_>>()?;
    let x0 = p.start(o.stochastic_delta);
    let noise = Noise {
        abs: o.noise,
        rel: o.noise_rel,
    };
    let sweep = |m: Method| -> Vec<(StochasticCell, Vec<(usize, f64)>)> {
        lrs.par_iter()
            .map(|&lr| {
                stochastic_cell(
                    &p,
                    &Setup {
                        method: m,
                        lr,
                        iters,
                        eps: o.eps,
                        noise,
                    },
                    &x0,
                    seeds,
                    o.seed,
                )
            })
            .collect()
    };
    let (sg, ad) = (sweep(Method::Sgdm), sweep(adam));
    let report = Report {
        problem: p,
        adam_beta2: o.beta2,
        eps: o.eps,
        iters,
        lrs: lrs.clone(),
        deterministic,
        noise,
        stochastic_delta: o.stochastic_delta,
        seeds,
        sgdm: sg.iter().map(|c| c.0.clone()).collect(),
        adam: ad.iter().map(|c| c.0.clone()).collect(),
    };
    if let Some(dir) = &o.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let w = |name: &str, text: String| -> Result<()> {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
        };
        w("results.json", serde_json::to_string_pretty(&report)?)?;
        w(
            "deterministic.svg",
            det_svg(&p, adam, &report, iters, o.eps),
        )?;
        w("stochastic.svg", stoch_svg(&report, &sg, &ad))?;
    }
    Ok(report)
}

fn print_report(o: &SmoothOpts, report: &Report) -> Result<()> {
    let (iters, seeds, p) = (report.iters, report.seeds, report.problem);
    if o.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("f = Σ (L0/L1²)(cosh(L1 x) − 1), d = {}, L0 = {}, L1 = {}, SGDM β = 0.9, Adam β = (0.9, {}); iterations to ‖∇f‖ ≤ {} at each method's best lr (budget {iters})", p.dim, p.l0, p.l1, o.beta2, o.eps);
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>10}",
        "Δ", "SGDM lr", "SGDM it", "Adam lr", "Adam it"
    );
    for r in &report.deterministic {
        println!(
            "{:>8.0e} {:>10.1e} {:>10} {:>10.1e} {:>10}",
            r.delta,
            r.sgdm_lr,
            it(r.sgdm_iters, iters),
            r.adam_lr,
            it(r.adam_iters, iters)
        );
    }
    println!("\nstochastic (noise {} + {}·|∇f|, Δ = {:.0e}, {seeds} seeds): per lr, diverged fraction and median final ‖∇f‖", o.noise, o.noise_rel, o.stochastic_delta);
    println!(
        "{:>10} {:>10} {:>12} {:>10} {:>12}",
        "lr", "SGDM div", "SGDM ‖∇f‖", "Adam div", "Adam ‖∇f‖"
    );
    for (s, a) in report.sgdm.iter().zip(&report.adam) {
        println!(
            "{:>10.1e} {:>10.2} {:>12.3e} {:>10.2} {:>12.3e}",
            s.lr, s.diverged, s.median_final_grad, a.diverged, a.median_final_grad
        );
    }
    if let (Some(s), Some(a)) = (best(&report.sgdm), best(&report.adam)) {
        println!("best SGDM: lr {:.1e}, median final ‖∇f‖ {:.3e}; best Adam: lr {:.1e}, median final ‖∇f‖ {:.3e}", s.lr, s.median_final_grad, a.lr, a.median_final_grad);
    }
    Ok(())
}

fn det_svg(p: &CoshProblem, adam: Method, r: &Report, iters: usize, eps: f64) -> String {
    let mut series = Vec::new();
    if let Some(last) = r.deterministic.last() {
        let x0 = p.start(last.delta);
        for (m, lr, name) in [
            (Method::Sgdm, last.sgdm_lr, "SGDM best lr"),
            (Method::Sgdm, last.sgdm_lr * 10.0, "SGDM 10x best lr"),
            (adam, last.adam_lr, "Adam best lr"),
        ] {
            let run = run(
                p,
                &Setup {
                    method: m,
                    lr,
                    iters,
                    eps,
                    noise: Noise::default(),
                },
                &x0,
                0,
            );
            let (xs, ys) = points(&run.trace);
            series.push(Series {
                name: format!("{name} ({lr:.1e})"),
                xs,
                ys,
            });
        }
        let title = format!(
            "deterministic, Δ = {:.0e}: gradient norm vs iteration",
            last.delta
        );
        return line_chart(&title, "iteration + 1", "‖∇f‖", &series, AXES);
    }
    line_chart("deterministic", "iteration + 1", "‖∇f‖", &series, AXES)
}

type Sweep = [(StochasticCell, Vec<(usize, f64)>)];

fn stoch_svg(r: &Report, sg: &Sweep, ad: &Sweep) -> String {
    let mut series = Vec::new();
    let pick = |cells: &Sweep, lr: f64| cells.iter().find(|c| c.0.lr == lr).map(|c| c.1.clone());
    let mut add = |name: String, tr: Option<Vec<(usize, f64)>>| {
        if let Some(tr) = tr {
            let (xs, ys) = points(&tr);
            series.push(Series { name, xs, ys });
        }
    };
    if let Some(b) = best(&r.sgdm) {
        add(format!("SGDM best lr ({:.1e})", b.lr), pick(sg, b.lr));
        if let Some(c) = r.sgdm.iter().find(|c| c.lr > b.lr * 5.0) {
            add(
                format!("SGDM lr {:.1e} (div {:.0}%)", c.lr, 100.0 * c.diverged),
                pick(sg, c.lr),
            );
        }
    }
    if let Some(b) = best(&r.adam) {
        add(format!("Adam best lr ({:.1e})", b.lr), pick(ad, b.lr));
    }
    let title = format!(
        "stochastic (noise {} + {}·|∇f|), Δ = {:.0e}: median ‖∇f‖ over {} seeds",
        r.noise.abs, r.noise.rel, r.stochastic_delta, r.seeds
    );
    line_chart(&title, "iteration + 1", "‖∇f‖", &series, AXES)
}

/// `optlab reproduce curvature-smooth`: the sweep with Adam's default β2 = 0.999 and additive
/// noise, and with β2 = 0.9 and affine noise (1 + 3|∇f|); returns the best cells of each.
pub fn reproduce(quick: bool, out: &std::path::Path) -> Result<serde_json::Value> {
    let mut res = serde_json::Map::new();
    for (name, beta2, rel) in [
        ("beta2-0.999-additive", 0.999, 0.0),
        ("beta2-0.9-affine", 0.9, 3.0),
    ] {
        let o = SmoothOpts {
            quick,
            dim: 10,
            l0: 1.0,
            l1: 1.0,
            eps: 1e-3,
            noise: 1.0,
            noise_rel: rel,
            beta2,
            stochastic_delta: 1e4,
            iters: None,
            seeds: None,
            seed: 0,
            out: Some(out.join("curvature-smooth").join(name)),
            json: true,
        };
        let r = execute(&o)?;
        let det: Vec<serde_json::Value> = r
            .deterministic
            .iter()
            .map(|d| serde_json::json!({"delta": d.delta, "sgdm_iters": d.sgdm_iters, "adam_iters": d.adam_iters}))
            .collect();
        res.insert(
            name.to_string(),
            serde_json::json!({
                "iters_budget": r.iters,
                "deterministic": det,
                "stochastic_best_sgdm": best(&r.sgdm),
                "stochastic_best_adam": best(&r.adam),
                "out": o.out,
            }),
        );
    }
    Ok(serde_json::Value::Object(res))
}
