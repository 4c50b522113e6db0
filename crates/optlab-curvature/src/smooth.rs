//! Adam vs SGD-momentum under (L0,L1)-smoothness (`‖∇²f‖ ≤ L0 + L1‖∇f‖`).
//!
//! The test function is the canonical (L0,L1)-smooth family `f(x) = Σ_i (L0/L1²)(cosh(L1 x_i) − 1)`
//! (minimum 0 at 0; `f'' = L0 cosh(L1 x) ≤ L0 + L1|f'|`), started where the initial gap `Δ`
//! is large. A fixed step must satisfy `η f''(x₀) < 2` (so `η ≲ 2/(L1²Δ)`) not to blow up,
//! and then crawls near the optimum; Adam's step is about `η` per coordinate whatever `|g|`.
//! Deterministic runs measure iterations to `‖∇f‖ ≤ ε` at each method's best learning rate as
//! `Δ` grows; stochastic runs add Gaussian noise to the gradient and record, per learning
//! rate, the fraction of diverged runs and the median final gradient norm.

use serde::Serialize;

use crate::error::{CurvatureError, Result};

/// The method compared.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Heavy-ball momentum (PyTorch form: `m = βm + g`, `x -= ηm`), β = 0.9.
    Sgdm,
    /// Adam with β1 = 0.9, the given β2, ε = 1e-8, bias-corrected.
    Adam {
        /// Second-moment decay.
        beta2: f64,
    },
}

/// One coordinate-wise optimizer state.
struct State {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl State {
    fn new(d: usize) -> Self {
        Self {
            m: vec![0.0; d],
            v: vec![0.0; d],
            t: 0,
        }
    }

    fn step(&mut self, method: Method, x: &mut [f64], g: &[f64], lr: f64) {
        self.t += 1;
        match method {
            Method::Sgdm => {
                for i in 0..x.len() {
                    self.m[i] = 0.9 * self.m[i] + g[i];
                    x[i] -= lr * self.m[i];
                }
            }
            Method::Adam { beta2 } => {
                let (bc1, bc2) = (1.0 - 0.9f64.powi(self.t), 1.0 - beta2.powi(self.t));
                for i in 0..x.len() {
                    self.m[i] = 0.9 * self.m[i] + 0.1 * g[i];
                    self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g[i] * g[i];
                    x[i] -= lr * (self.m[i] / bc1) / ((self.v[i] / bc2).sqrt() + 1e-8);
                }
            }
        }
    }
}

/// `f(x) = Σ (L0/L1²)(cosh(L1 x_i) − 1)`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CoshProblem {
    /// Dimension.
    pub dim: usize,
    /// L0.
    pub l0: f64,
    /// L1.
    pub l1: f64,
}

impl CoshProblem {
    /// Gradient at `x` into `g`.
    pub fn grad(&self, x: &[f64], g: &mut [f64]) {
        for (gi, xi) in g.iter_mut().zip(x) {
            *gi = self.l0 / self.l1 * (self.l1 * xi).sinh();
        }
    }

    /// Function value.
    pub fn value(&self, x: &[f64]) -> f64 {
        let c = self.l0 / (self.l1 * self.l1);
        x.iter().map(|xi| c * ((self.l1 * xi).cosh() - 1.0)).sum()
    }

    /// Start point with initial gap `delta` (equal coordinates).
    pub fn start(&self, delta: f64) -> Vec<f64> {
        let per = delta / self.dim as f64;
        let x = (1.0 + per * self.l1 * self.l1 / self.l0).acosh() / self.l1;
        vec![x; self.dim]
    }

    /// Beyond this |x| the function overflows: count the run as diverged.
    fn escaped(&self, x: &[f64]) -> bool {
        x.iter()
            .any(|xi| !xi.is_finite() || (self.l1 * xi).abs() > 300.0)
    }
}

/// Outcome of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// First iteration with `‖∇f‖ ≤ ε` (`None`: never within the budget).
    pub hit: Option<usize>,
    /// Smallest gradient norm seen.
    pub min_grad: f64,
    /// Gradient norm at the end (infinite when diverged).
    pub final_grad: f64,
    /// Whether the iterate left the finite region.
    pub diverged: bool,
    /// `(iteration, ‖∇f‖)` at logarithmically spaced iterations.
    pub trace: Vec<(usize, f64)>,
}

fn norm(g: &[f64]) -> f64 {
    g.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Gradient noise: `g = ∇f + abs·ξ + rel·|∇f|·ξ'` per coordinate, ξ, ξ' standard normal
/// (additive and affine variance, the two oracles of the stochastic analysis).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Noise {
    /// Standard deviation of the additive part.
    pub abs: f64,
    /// Relative standard deviation of the part proportional to the gradient.
    pub rel: f64,
}

impl Noise {
    fn is_zero(&self) -> bool {
        self.abs == 0.0 && self.rel == 0.0
    }
}

/// One run's settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Setup {
    /// Optimizer.
    pub method: Method,
    /// Learning rate.
    pub lr: f64,
    /// Iteration budget.
    pub iters: usize,
    /// Target gradient norm.
    pub eps: f64,
    /// Gradient noise (zero: deterministic).
    pub noise: Noise,
}

/// Run `s.method` for `s.iters` steps from `x0` with gradient noise drawn from `seed`.
pub fn run(p: &CoshProblem, s: &Setup, x0: &[f64], seed: u64) -> Run {
    let Setup {
        method,
        lr,
        iters,
        eps,
        noise,
    } = *s;
    let mut rng = optlab_core::rng::Rng::new(seed);
    let (mut x, mut g, mut st) = (x0.to_vec(), vec![0.0; p.dim], State::new(p.dim));
    let mut out = Run {
        hit: None,
        min_grad: f64::INFINITY,
        final_grad: f64::INFINITY,
        diverged: false,
        trace: Vec::new(),
    };
    let mut next_log = 1usize;
    for t in 0..=iters {
        p.grad(&x, &mut g);
        let gn = norm(&g);
        if t + 1 >= next_log || t == iters {
            out.trace.push((t, gn));
            next_log = ((next_log as f64) * 1.05).ceil() as usize + 1;
        }
        out.min_grad = out.min_grad.min(gn);
        if gn <= eps && out.hit.is_none() {
            out.hit = Some(t);
            if noise.is_zero() {
                out.final_grad = gn;
                return out;
            }
        }
        if t == iters {
            out.final_grad = gn;
            break;
        }
        if !noise.is_zero() {
            for gi in g.iter_mut() {
                let (a, b) = (rng.normal(), rng.normal());
                *gi += noise.abs * a + noise.rel * gi.abs() * b;
            }
        }
        st.step(method, &mut x, &g, lr);
        if p.escaped(&x) {
            out.diverged = true;
            out.trace.push((t + 1, f64::INFINITY));
            return out;
        }
    }
    out
}

/// Learning rates `10^lo … 10^hi`, `per_decade` per factor of ten.
pub fn lr_grid(lo: i32, hi: i32, per_decade: usize) -> Vec<f64> {
    let n = ((hi - lo) as usize) * per_decade.max(1);
    (0..=n)
        .map(|k| 10f64.powf(lo as f64 + k as f64 / per_decade.max(1) as f64))
        .collect()
}

/// Best learning rate of a deterministic sweep: fewest iterations to `ε`, ties and misses
/// broken by the smaller minimum gradient norm.
pub fn best_deterministic(
    p: &CoshProblem,
    method: Method,
    lrs: &[f64],
    delta: f64,
    iters: usize,
    eps: f64,
) -> Result<(f64, Run)> {
    let x0 = p.start(delta);
    let mut best: Option<(f64, Run)> = None;
    for &lr in lrs {
        let setup = Setup {
            method,
            lr,
            iters,
            eps,
            noise: Noise::default(),
        };
        let r = run(p, &setup, &x0, 0);
        let key = |r: &Run| (r.hit.unwrap_or(usize::MAX), r.min_grad);
        let better = match &best {
            None => true,
            Some((_, b)) => {
                let (a, b) = (key(&r), key(b));
                a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
            }
        };
        if better {
            best = Some((lr, r));
        }
    }
    best.ok_or_else(|| CurvatureError::Config("empty learning-rate grid".into()))
}

/// One learning rate of a stochastic sweep, over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct StochasticCell {
    /// Learning rate.
    pub lr: f64,
    /// Fraction of seeds that diverged.
    pub diverged: f64,
    /// Median final gradient norm (infinite if half or more diverged).
    pub median_final_grad: f64,
    /// Median over seeds of the minimum gradient norm seen.
    pub median_min_grad: f64,
    /// Fraction of seeds that reached `‖∇f‖ ≤ ε` at some iteration.
    pub reached: f64,
}

/// Median of gradient norms where diverged runs count as infinite: when both middle values
/// are infinite the median is infinite (the plain interpolation would give NaN).
fn median(v: Vec<f64>) -> f64 {
    match optlab_core::stats::median(&v) {
        Some(m) if m.is_nan() && !v.iter().any(|x| x.is_nan()) => f64::INFINITY,
        Some(m) => m,
        None => f64::NAN,
    }
}

/// Run `seeds` noisy runs at `lr` (noise streams `seed`, `seed + 1`, …); also returns the median trace (per logged iteration).
pub fn stochastic_cell(
    p: &CoshProblem,
    setup: &Setup,
    x0: &[f64],
    seeds: usize,
    seed: u64,
) -> (StochasticCell, Vec<(usize, f64)>) {
    let lr = setup.lr;
    let runs: Vec<Run> = (0..seeds.max(1))
        .map(|s| run(p, setup, x0, seed + s as u64))
        .collect();
    let n = runs.len() as f64;
    let cell = StochasticCell {
        lr,
        diverged: runs.iter().filter(|r| r.diverged).count() as f64 / n,
        median_final_grad: median(runs.iter().map(|r| r.final_grad).collect()),
        median_min_grad: median(runs.iter().map(|r| r.min_grad).collect()),
        reached: runs.iter().filter(|r| r.hit.is_some()).count() as f64 / n,
    };
    // Median over seeds at each logged iteration of the longest trace (a diverged run counts
    // as infinite from its end on).
    let longest = runs
        .iter()
        .max_by_key(|r| r.trace.len())
        .map(|r| r.trace.clone())
        .unwrap_or_default();
    let trace = longest
        .iter()
        .map(|&(t, _)| {
            let vals: Vec<f64> = runs
                .iter()
                .map(|r| match r.trace.iter().rev().find(|(u, _)| *u <= t) {
                    Some(&(_, v)) => v,
                    None => f64::INFINITY,
                })
                .collect();
            (t, median(vals))
        })
        .collect();
    (cell, trace)
}
