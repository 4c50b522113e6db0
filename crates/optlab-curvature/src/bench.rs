//! What one finite-difference HVP costs in gradient evaluations, measured
//! in one run on the tiny transformer.

use std::time::Instant;

use candle_core::DType;
use optlab_core::process::{cpu_seconds, load_average};
use optlab_core::rng::Rng;
use optlab_core::stats::median;
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
    /// `hvp_seconds / grad_seconds`: the HVP cost in gradient evaluations (wall clock).
    pub ratio: f64,
    /// Process CPU seconds (all threads) of all timed gradients.
    pub grad_cpu_seconds: f64,
    /// Process CPU seconds of all timed HVPs.
    pub hvp_cpu_seconds: f64,
    /// `hvp_cpu_seconds / grad_cpu_seconds`: the same cost in CPU time, which other load on
    /// the machine disturbs far less than wall time.
    pub cpu_ratio: f64,
    /// 1-minute load average when the run ended (other processes share the cores).
    pub load_average: Option<f64>,
}

/// Time `reps` gradients and `reps` whole-model HVPs (interleaved, after one warm-up each)
/// on `kind` in f64 with a fixed batch: median wall times and total process CPU times.
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
    let (mut gc, mut hc) = (0.0, 0.0);
    for _ in 0..reps {
        let (t, c) = (Instant::now(), cpu_seconds().unwrap_or(0.0));
        gradient(&obj, &params)?;
        g.push(t.elapsed().as_secs_f64());
        gc += cpu_seconds().unwrap_or(0.0) - c;
        let (t, c) = (Instant::now(), cpu_seconds().unwrap_or(0.0));
        hvp.apply(&v)?;
        h.push(t.elapsed().as_secs_f64());
        hc += cpu_seconds().unwrap_or(0.0) - c;
    }
    let (gs, hs) = (
        median(&g).unwrap_or(f64::NAN),
        median(&h).unwrap_or(f64::NAN),
    );
    Ok(HvpBench {
        model: kind,
        params: hvp.dim(),
        batch,
        reps,
        grad_seconds: gs,
        hvp_seconds: hs,
        ratio: hs / gs,
        grad_cpu_seconds: gc,
        hvp_cpu_seconds: hc,
        cpu_ratio: if gc > 0.0 { hc / gc } else { f64::NAN },
        load_average: load_average(),
    })
}
