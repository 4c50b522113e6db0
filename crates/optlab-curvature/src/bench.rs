//! `optlab bench hvp`: what one finite-difference HVP costs in gradient evaluations, measured
//! in one run on the tiny transformer.

use std::time::Instant;

use candle_core::DType;
use optlab_core::rng::Rng;
use serde::Serialize;

use crate::error::Result;
use crate::hvp::{gradient, Hvp};
use crate::objective::{FixedBatch, ModelKind, Objective};

/// Timings of gradients and HVPs on the same model and batch.
#[derive(Debug, Clone, Serialize)]
pub struct HvpBench {
    /// Model measured.
    pub model: ModelKind,
    /// Parameters in the HVP.
    pub params: usize,
    /// Batch (sequences or images).
    pub batch: usize,
    /// Repetitions timed.
    pub reps: usize,
    /// Median seconds per gradient (forward + backward).
    pub grad_seconds: f64,
    /// Median seconds per HVP (two gradients, parameter shifts and the difference).
    pub hvp_seconds: f64,
    /// `hvp_seconds / grad_seconds`: the HVP cost in gradient evaluations.
    pub ratio: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Time `reps` gradients and `reps` whole-model HVPs (interleaved, after one warm-up each)
/// on `kind` in f64 with a fixed batch.
pub fn bench_hvp(kind: ModelKind, batch: usize, reps: usize, seed: u64) -> Result<HvpBench> {
    let obj = FixedBatch::new(kind, DType::F64, batch, seed)?;
    let params = obj.params().params();
    let hvp = Hvp::new(&obj, &[])?;
    let mut rng = Rng::new(seed);
    let v: Vec<f64> = (0..hvp.dim()).map(|_| rng.normal()).collect();
    gradient(&obj, &params)?;
    hvp.apply(&v)?;
    let reps = reps.max(1);
    let (mut g, mut h) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    for _ in 0..reps {
        let t = Instant::now();
        gradient(&obj, &params)?;
        g.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        hvp.apply(&v)?;
        h.push(t.elapsed().as_secs_f64());
    }
    let (gs, hs) = (median(g), median(h));
    Ok(HvpBench {
        model: kind,
        params: hvp.dim(),
        batch,
        reps,
        grad_seconds: gs,
        hvp_seconds: hs,
        ratio: hs / gs,
    })
}
