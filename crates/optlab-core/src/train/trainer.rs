//! The language-model training loop: micro-batches with gradient accumulation, warm-up +
//! cosine schedule, global-norm clipping, periodic validation, NaN/Inf detection, progress,
//! JSON-lines metrics and exact resume from checkpoints.

use std::time::Instant;

use candle_core::Device;
use serde::Serialize;

use super::config::TrainConfig;
use super::metrics::append_metrics;
use super::{global_norm, named_grads, Checkpoint, NamedGrads, TrainOptimizer, TrainState};
use crate::data::TokenDataset;
use crate::error::{CoreError, Result};
use crate::models::{lm_loss, Llama};
use crate::report::Reporter;

/// What a run achieved.
#[derive(Debug, Clone, Serialize)]
pub struct TrainSummary {
    /// Steps completed in total.
    pub steps_done: usize,
    /// Training loss of each step run in this invocation, as (step, loss).
    pub losses: Vec<(usize, f64)>,
    /// Last validation loss.
    pub val_loss: Option<f64>,
    /// Training throughput of this invocation.
    pub tokens_per_s: f64,
}

/// Mean loss over up to `batches` validation batches.
pub fn evaluate(
    model: &Llama,
    data: &TokenDataset,
    batch: usize,
    seq: usize,
    batches: usize,
    dev: &Device,
) -> Result<f64> {
    let mut total = 0f64;
    let vb = data.val_batches(batch, seq, batches, dev)?;
    for (x, y) in &vb {
        total += lm_loss(&model.forward(x)?, y)?.to_scalar::<f32>()? as f64;
    }
    let mean = total / vb.len() as f64;
    if !mean.is_finite() {
        return Err(CoreError::NonFiniteValue {
            what: "the validation loss".into(),
            value: mean,
        });
    }
    Ok(mean)
}

fn accumulate(acc: &mut NamedGrads, g: NamedGrads) -> Result<()> {
    for (k, v) in g {
        let sum = match acc.remove(&k) {
            Some(a) => (a + v)?,
            None => v,
        };
        acc.insert(k, sum);
    }
    Ok(())
}

fn params_finite(model: &Llama) -> Result<bool> {
    for p in model.params().params() {
        let s = p
            .var
            .as_tensor()
            .abs()?
            .sum_all()?
            .to_dtype(candle_core::DType::F64)?
            .to_scalar::<f64>()?;
        if !s.is_finite() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Train `model` on `data` with `opt` as configured. With `cfg.resume`, continues the run in
/// `cfg.out` from its checkpoint, reproducing the uninterrupted loss trajectory exactly.
/// Each step is reported to `reporter` (one phase, `train`, of the steps this call runs).
pub fn train_lm(
    model: &Llama,
    data: &TokenDataset,
    opt: &mut dyn TrainOptimizer,
    cfg: &TrainConfig,
    reporter: &dyn Reporter,
) -> Result<TrainSummary> {
    if cfg.steps == 0 || cfg.batch == 0 || cfg.accum == 0 || cfg.seq_len == 0 {
        return Err(CoreError::Config(
            "steps, batch, accum and seq_len must be positive".into(),
        ));
    }
    std::fs::create_dir_all(&cfg.out).map_err(CoreError::io(&cfg.out))?;
    let dev = model
        .params()
        .params()
        .first()
        .map(|p| p.var.device().clone())
        .unwrap_or(Device::Cpu);
    let ckpt = Checkpoint::in_run(&cfg.out);
    let metrics = cfg.out.join("metrics.jsonl");
    let (mut step, mut rng) = super::run_record::begin(cfg, &ckpt, model.params(), opt)?;
    let last = cfg
        .stop_after
        .map_or(cfg.steps, |n| (step + n).min(cfg.steps));
    reporter.begin("train", (last - step) as u64);
    let first_step = step;
    let started = Instant::now();
    let (mut losses, mut val_loss) = (Vec::new(), None);
    let tokens_per_step = (cfg.batch * cfg.accum * cfg.seq_len) as f64;
    while step < last {
        step += 1;
        let lr = cfg.schedule.at(step);
        let mut grads = NamedGrads::new();
        let mut loss_sum = 0f64;
        for _ in 0..cfg.accum {
            let (x, y) = data.train_batch(&mut rng, cfg.batch, cfg.seq_len, &dev)?;
            let loss = (lm_loss(&model.forward(&x)?, &y)? / cfg.accum as f64)?;
            loss_sum += loss.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?;
            accumulate(&mut grads, named_grads(model.params(), &loss.backward()?))?;
        }
        let norm = global_norm(&grads)?;
        let checkpoint = ckpt.exists().then(|| ckpt.dir().to_path_buf());
        if !loss_sum.is_finite() {
            return Err(CoreError::NonFinite {
                what: "loss",
                step,
                checkpoint,
            });
        }
        if !norm.is_finite() {
            return Err(CoreError::NonFinite {
                what: "gradient norm",
                step,
                checkpoint,
            });
        }
        if cfg.clip > 0.0 && norm > cfg.clip {
            let scale = cfg.clip / norm;
            for g in grads.values_mut() {
                *g = (&*g * scale)?;
            }
        }
        opt.step(&grads, lr)?;
        losses.push((step, loss_sum));
        let elapsed = started.elapsed().as_secs_f64();
        let tps = tokens_per_step * losses.len() as f64 / elapsed.max(1e-9);
        append_metrics(
            &metrics,
            &serde_json::json!({"step": step, "loss": loss_sum, "lr": lr, "grad_norm": norm, "tokens_per_s": tps}),
        )?;
        reporter.advance(
            (step - first_step) as u64,
            &format!("loss {loss_sum:.4} | {tps:.0} tok/s"),
        );
        let at_end = step == last;
        if (cfg.val_every > 0 && step % cfg.val_every == 0) || at_end {
            let v = evaluate(model, data, cfg.batch, cfg.seq_len, cfg.val_batches, &dev)?;
            append_metrics(&metrics, &serde_json::json!({"step": step, "val_loss": v}))?;
            val_loss = Some(v);
        }
        if (cfg.ckpt_every > 0 && step % cfg.ckpt_every == 0) || at_end {
            if !params_finite(model)? {
                return Err(CoreError::NonFinite {
                    what: "parameters",
                    step,
                    checkpoint: checkpoint.clone(),
                });
            }
            ckpt.save(
                model.params(),
                opt,
                &TrainState {
                    step,
                    rng,
                    optimizer: opt.name().to_string(),
                },
            )?;
        }
    }
    reporter.end();
    let elapsed = started.elapsed().as_secs_f64();
    Ok(TrainSummary {
        steps_done: step,
        tokens_per_s: tokens_per_step * losses.len() as f64 / elapsed.max(1e-9),
        losses,
        val_loss,
    })
}
