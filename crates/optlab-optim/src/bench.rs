//! Optimizer step time, state bytes and achieved memory bandwidth on the
//! Llama presets, against a memory-copy bandwidth measured in the same run.

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::rng::Rng;
use optlab_core::stats::median;
use optlab_core::train::NamedGrads;
use optlab_core::Result;
use rayon::prelude::*;
use serde::Serialize;

use crate::{build, AttnShape, OptimConfig};

/// Optimizers compared by the bench.
pub const BENCH_OPTIMIZERS: [&str; 3] = ["adamw", "adam-mini", "mofo"];

/// One optimizer's measurements.
#[derive(Debug, Clone, Serialize)]
pub struct OptimBench {
    /// Optimizer name.
    pub name: String,
    /// Persistent state bytes.
    pub state_bytes: usize,
    /// State bytes per parameter.
    pub state_bytes_per_param: f64,
    /// Median step time in milliseconds.
    pub step_ms: f64,
    /// Bytes one step reads and writes, counted from the kernels (f32 streams per entry:
    /// AdamW 8 = check g + read p g m v + write p m v; Adam-mini 6 = check g + read p g m +
    /// write p m, per-block scalars ignored; MoFO 14 = AdamW's 8 plus |m| copy, selection and a
    /// second read of m v).
    pub bytes_moved: usize,
    /// `bytes_moved / step time`, GB/s.
    pub achieved_gbps: f64,
    /// Achieved bandwidth as a fraction of the measured copy bandwidth.
    pub fraction_of_copy: f64,
}

/// Bench results for one model preset.
#[derive(Debug, Clone, Serialize)]
pub struct ModelBench {
    /// Preset name.
    pub model: String,
    /// Number of parameters.
    pub params: usize,
    /// Copy bandwidth (read + write, GB/s): one pass over contiguous f32 slices per tensor,
    /// parallel over tensors.
    pub copy_gbps: f64,
    /// Steps timed per optimizer.
    pub steps: usize,
    /// Per-optimizer measurements.
    pub optimizers: Vec<OptimBench>,
    /// Adam-mini state bytes over AdamW's.
    pub adam_mini_state_ratio: f64,
}

fn streams(name: &str) -> usize {
    match name {
        "adam-mini" => 6,
        "mofo" => 14,
        "sgd" => 6,
        _ => 8,
    }
}

/// Copy bandwidth over buffers shaped like the model's parameters.
fn copy_bandwidth(sizes: &[usize], reps: usize) -> f64 {
    let src: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![1.0; n]).collect();
    let mut dst: Vec<Vec<f32>> = sizes.iter().map(|&n| vec![0.0; n]).collect();
    let total: usize = sizes.iter().sum();
    let times: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let t0 = Instant::now();
            dst.par_iter_mut()
                .zip(src.par_iter())
                .for_each(|(d, s)| d.copy_from_slice(s));
            t0.elapsed().as_secs_f64()
        })
        .collect();
    std::hint::black_box(&dst);
    (8 * total) as f64 / median(&times).unwrap_or(f64::NAN) / 1e9
}

/// Bench the given optimizers on a Llama preset (vocabulary 256) for `steps` timed steps.
pub fn bench_model(model: &str, names: &[&str], steps: usize) -> Result<ModelBench> {
    let cfg = LlamaConfig::preset(model, 256)?;
    let llama = Llama::new(&cfg, DType::F32, &Device::Cpu, 0)?;
    let store = llama.params();
    let params = store.params();
    let mut rng = Rng::new(1);
    let grads: NamedGrads = params
        .iter()
        .map(|p| {
            let g = rng.normal_vec(p.var.elem_count(), 1e-2);
            Tensor::from_vec(g, p.var.dims(), &Device::Cpu).map(|t| (p.name.clone(), t))
        })
        .collect::<candle_core::Result<_>>()?;
    let sizes: Vec<usize> = params.iter().map(|p| p.var.elem_count()).collect();
    let n: usize = sizes.iter().sum();
    let copy_gbps = copy_bandwidth(&sizes, 2 * steps.max(3));
    let oc = OptimConfig {
        attn: Some(AttnShape::from_llama(&cfg)),
        ..OptimConfig::default()
    };
    let mut optimizers = Vec::new();
    for name in names {
        let mut opt = build(name, store, &oc)?;
        opt.step(&grads, 1e-6)?;
        let times = (0..steps.max(1))
            .map(|_| {
                let t0 = Instant::now();
                opt.step(&grads, 1e-6).map(|_| t0.elapsed().as_secs_f64())
            })
            .collect::<Result<Vec<f64>>>()?;
        let t = median(&times).unwrap_or(f64::NAN);
        let bytes_moved = 4 * streams(name) * n;
        let achieved_gbps = bytes_moved as f64 / t / 1e9;
        optimizers.push(OptimBench {
            name: name.to_string(),
            state_bytes: opt.state_bytes(),
            state_bytes_per_param: opt.state_bytes() as f64 / n as f64,
            step_ms: t * 1e3,
            bytes_moved,
            achieved_gbps,
            fraction_of_copy: achieved_gbps / copy_gbps,
        });
    }
    let bytes_of = |k: &str| {
        optimizers
            .iter()
            .find(|o| o.name == k)
            .map(|o| o.state_bytes as f64)
    };
    let adam_mini_state_ratio = match (bytes_of("adam-mini"), bytes_of("adamw")) {
        (Some(a), Some(b)) => a / b,
        _ => f64::NAN,
    };
    Ok(ModelBench {
        model: model.to_string(),
        params: n,
        copy_gbps,
        steps,
        optimizers,
        adam_mini_state_ratio,
    })
}

/// Bench AdamW, Adam-mini and MoFO on each preset, `steps` timed steps each.
pub fn bench(models: &[String], steps: usize) -> Result<Vec<ModelBench>> {
    models
        .iter()
        .map(|m| bench_model(m, &BENCH_OPTIMIZERS, steps))
        .collect()
}
