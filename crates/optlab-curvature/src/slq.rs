//! Stochastic Lanczos quadrature: spectral densities from Hessian-vector products.
//!
//! Per probe, a Gaussian start vector (f64), `steps` Lanczos steps, and the tridiagonal's
//! eigenvalues (nodes) with squared first eigenvector components (weights). The density is
//! `(1/probes) Σ_k Σ_i w_ki N(t; λ_ki, σ²)` on a uniform grid, renormalised to integrate to 1.
//! Defaults follow the block-heterogeneity reference: 10 probes, 100 steps, σ² = 1e-5,
//! 50,000 grid points over [mean min node − 1, mean max node + 1]; full reorthogonalisation
//! is on by default (the reference has none; `reorth = false` reproduces it).

use optlab_core::rng::Rng;
use serde::Serialize;

use crate::error::{CurvatureError, Result};
use crate::lanczos::{lanczos, tridiagonal_eigen};

/// SLQ settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SlqConfig {
    /// Random probe (start) vectors.
    pub probes: usize,
    /// Lanczos steps per probe (capped at the dimension).
    pub steps: usize,
    /// Variance of the Gaussian that smooths each node.
    pub sigma2: f64,
    /// Points of the density grid.
    pub grid_points: usize,
    /// Grid margin beyond the extreme nodes.
    pub margin: f64,
    /// Full reorthogonalisation in Lanczos.
    pub reorth: bool,
    /// Seed of the probe vectors.
    pub seed: u64,
}

impl Default for SlqConfig {
    fn default() -> Self {
        Self {
            probes: 10,
            steps: 100,
            sigma2: 1e-5,
            grid_points: 50_000,
            margin: 1.0,
            reorth: true,
            seed: 0,
        }
    }
}

impl SlqConfig {
    /// Reject settings that cannot give a density.
    pub fn validate(&self) -> Result<()> {
        if self.probes == 0 || self.steps == 0 || self.grid_points < 2 {
            return Err(CurvatureError::Config(
                "SLQ needs at least 1 probe, 1 Lanczos step and 2 grid points".into(),
            ));
        }
        let ok = self.sigma2 > 0.0 && self.sigma2.is_finite() && self.margin >= 0.0;
        if !ok {
            return Err(CurvatureError::Config(format!(
                "SLQ smoothing variance must be positive and the margin non-negative (got {} and {})",
                self.sigma2, self.margin
            )));
        }
        Ok(())
    }
}

/// Gauss quadrature nodes and weights of every probe.
#[derive(Debug, Clone, Serialize)]
pub struct Quadrature {
    /// Nodes (Ritz values) per probe, ascending.
    pub nodes: Vec<Vec<f64>>,
    /// Weights per probe (each probe's sum to 1).
    pub weights: Vec<Vec<f64>>,
}

impl Quadrature {
    /// Mean over probes of the smallest node (the reference's grid anchor).
    pub fn mean_min(&self) -> f64 {
        mean(self.nodes.iter().filter_map(|n| n.first().copied()))
    }

    /// Mean over probes of the largest node.
    pub fn mean_max(&self) -> f64 {
        mean(self.nodes.iter().filter_map(|n| n.last().copied()))
    }

    /// Largest node of any probe (top-eigenvalue estimate).
    pub fn max_node(&self) -> f64 {
        self.nodes
            .iter()
            .flatten()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// Smallest node of any probe (bottom-eigenvalue estimate).
    pub fn min_node(&self) -> f64 {
        self.nodes
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min)
    }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    s / n.max(1) as f64
}

/// Run SLQ on the operator `op` of dimension `dim`.
pub fn slq(
    op: &mut dyn FnMut(&[f64]) -> Result<Vec<f64>>,
    dim: usize,
    cfg: &SlqConfig,
) -> Result<Quadrature> {
    cfg.validate()?;
    let mut rng = Rng::new(cfg.seed);
    let (mut nodes, mut weights) = (Vec::new(), Vec::new());
    for _ in 0..cfg.probes {
        let v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        let t = lanczos(op, &v, cfg.steps, cfg.reorth)?;
        let (lam, first) = tridiagonal_eigen(&t)?;
        nodes.push(lam);
        weights.push(first.iter().map(|u| u * u).collect());
    }
    Ok(Quadrature { nodes, weights })
}

/// A uniform grid `[lo, hi]` with `points` points.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Grid {
    /// First point.
    pub lo: f64,
    /// Last point.
    pub hi: f64,
    /// Number of points.
    pub points: usize,
}

impl Grid {
    /// The reference grid of one quadrature.
    pub fn for_quadrature(q: &Quadrature, cfg: &SlqConfig) -> Self {
        Self {
            lo: q.mean_min() - cfg.margin,
            hi: q.mean_max() + cfg.margin,
            points: cfg.grid_points,
        }
    }

    /// Spacing between points.
    pub fn step(&self) -> f64 {
        (self.hi - self.lo) / (self.points - 1) as f64
    }

    /// The `i`-th point.
    pub fn at(&self, i: usize) -> f64 {
        self.lo + self.step() * i as f64
    }
}

/// The smoothed density of `q` on `grid`, normalised so `Σ ρ Δt = 1`. Each Gaussian is
/// evaluated within ±10σ of its node (beyond that it is below 2e-22 of its peak).
pub fn density(q: &Quadrature, grid: &Grid, sigma2: f64) -> Vec<f64> {
    let mut rho = vec![0.0; grid.points];
    let sigma = sigma2.sqrt();
    let (dt, probes) = (grid.step(), q.nodes.len().max(1) as f64);
    let norm = 1.0 / (probes * (2.0 * std::f64::consts::PI * sigma2).sqrt());
    for (ns, ws) in q.nodes.iter().zip(&q.weights) {
        for (&lam, &w) in ns.iter().zip(ws) {
            let a = ((lam - 10.0 * sigma - grid.lo) / dt).floor().max(0.0) as usize;
            let b = (((lam + 10.0 * sigma - grid.lo) / dt).ceil().max(0.0) as usize)
                .min(grid.points - 1);
            for (i, r) in rho.iter_mut().enumerate().take(b + 1).skip(a) {
                let t = grid.lo + dt * i as f64;
                *r += w * norm * (-(t - lam).powi(2) / (2.0 * sigma2)).exp();
            }
        }
    }
    let total: f64 = rho.iter().sum::<f64>() * dt;
    if total > 0.0 {
        rho.iter_mut().for_each(|r| *r /= total);
    }
    rho
}

/// Jensen-Shannon divergence (natural log, in [0, ln 2]) between two densities on the same
/// grid with spacing `dt`: `½KL(p‖m) + ½KL(q‖m)` with `m = (p+q)/2` on the probabilities
/// `ρ Δt`. The heterogeneity paper calls this the JS distance (no square root).
pub fn js_divergence(p: &[f64], q: &[f64], dt: f64) -> f64 {
    let mut js = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a * dt, b * dt);
        let m = 0.5 * (a + b);
        if a > 0.0 {
            js += 0.5 * a * (a / m).ln();
        }
        if b > 0.0 {
            js += 0.5 * b * (b / m).ln();
        }
    }
    js.max(0.0)
}

/// Probability mass of a density on `grid` between `a` and `b`.
pub fn mass_between(rho: &[f64], grid: &Grid, a: f64, b: f64) -> f64 {
    let dt = grid.step();
    rho.iter()
        .enumerate()
        .filter(|(i, _)| (a..b).contains(&grid.at(*i)))
        .map(|(_, r)| r * dt)
        .sum()
}
