//! `optlab curvature smooth` and `optlab reproduce curvature-smooth`: the Adam-vs-SGDM sweeps
//! on (L0,L1)-smooth problems as tables or JSON, `results.json` and two SVGs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use optlab_curvature::smooth_sweep::{best_cell, sweep, SmoothOptions, SmoothReport, SmoothSweep};

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

impl SmoothOpts {
    fn options(&self) -> SmoothOptions {
        SmoothOptions {
            quick: self.quick,
            dim: self.dim,
            l0: self.l0,
            l1: self.l1,
            eps: self.eps,
            noise: self.noise,
            noise_rel: self.noise_rel,
            beta2: self.beta2,
            stochastic_delta: self.stochastic_delta,
            iters: self.iters,
            seeds: self.seeds,
            seed: self.seed,
        }
    }
}

/// Run the sweeps, write the results when `--out` is given, and print them.
pub fn run(o: &SmoothOpts) -> Result<()> {
    let s = sweep(&o.options())?;
    if let Some(dir) = &o.out {
        write(dir, &s)?;
    }
    if o.json {
        println!("{}", serde_json::to_string_pretty(&s.report)?);
    } else {
        print_report(o, &s.report);
    }
    Ok(())
}

/// Write results.json, deterministic.svg and stochastic.svg into `dir`.
fn write(dir: &Path, s: &SmoothSweep) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let w = |name: &str, text: String| -> Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    w("results.json", serde_json::to_string_pretty(&s.report)?)?;
    w("deterministic.svg", s.deterministic_svg())?;
    w("stochastic.svg", s.stochastic_svg())
}

/// Iterations to the target, or `>budget` when the run did not get there.
fn iterations(x: Option<usize>, budget: usize) -> String {
    x.map_or(format!(">{budget}"), |v| v.to_string())
}

fn print_report(o: &SmoothOpts, report: &SmoothReport) {
    let (iters, seeds, p) = (report.iters, report.seeds, report.problem);
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
            iterations(r.sgdm_iters, iters),
            r.adam_lr,
            iterations(r.adam_iters, iters)
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
    if let (Some(s), Some(a)) = (best_cell(&report.sgdm), best_cell(&report.adam)) {
        println!("best SGDM: lr {:.1e}, median final ‖∇f‖ {:.3e}; best Adam: lr {:.1e}, median final ‖∇f‖ {:.3e}", s.lr, s.median_final_grad, a.lr, a.median_final_grad);
    }
}

/// `optlab reproduce curvature-smooth`: the sweep with Adam's default β2 = 0.999 and additive
/// noise, and with β2 = 0.9 and affine noise (1 + 3|∇f|); returns the best cells of each.
pub fn reproduce(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let mut res = serde_json::Map::new();
    for (name, beta2, rel) in [
        ("beta2-0.999-additive", 0.999, 0.0),
        ("beta2-0.9-affine", 0.9, 3.0),
    ] {
        let options = SmoothOptions {
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
        };
        let dir = out.join("curvature-smooth").join(name);
        let s = sweep(&options)?;
        write(&dir, &s)?;
        let r = &s.report;
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
                "stochastic_best_sgdm": best_cell(&r.sgdm),
                "stochastic_best_adam": best_cell(&r.adam),
                "out": Some(dir),
            }),
        );
    }
    Ok(serde_json::Value::Object(res))
}
