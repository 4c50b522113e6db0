//! One short language-model training run with any optimizer, in memory (no checkpoints):
//! the unit both experiments repeat over optimizers and learning rates.

use std::path::Path;

use candle_core::Device;
use optlab_core::data::TokenDataset;
use optlab_core::models::{lm_loss, Llama};
use optlab_core::rng::Rng;
use optlab_core::train::{evaluate, global_norm, named_grads, CosineSchedule};
use optlab_core::{CoreError, Result};

use crate::{build, OptimConfig};

/// How one run trains.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Optimizer name (see [`crate::NAMES`]).
    pub optimizer: String,
    /// Peak learning rate (linear warm-up over 10% of the steps, cosine decay to 10%).
    pub lr: f64,
    /// Decoupled weight decay (AdamW, Adam-mini, MoFO).
    pub weight_decay: f64,
    /// Second-moment decay of the Adam family.
    pub beta2: f64,
    /// Adam-mini: one block per whole value tensor (see [`crate::OptimConfig`]).
    pub mini_whole_value: bool,
    /// Optimizer steps.
    pub steps: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Tokens per sequence.
    pub seq_len: usize,
    /// Evaluate on the validation split this often (and at the end).
    pub eval_every: usize,
    /// Validation batches per evaluation.
    pub val_batches: usize,
    /// Global gradient-norm clip (0 disables).
    pub clip: f64,
    /// Batch-sampling seed.
    pub seed: u64,
}

/// What one run measured. (JSON writes non-finite losses as `null`; reading maps them back to
/// infinity.)
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    /// Optimizer name.
    pub optimizer: String,
    /// Peak learning rate.
    pub lr: f64,
    /// (step, training loss) of every step.
    pub train_curve: Vec<(usize, f64)>,
    /// (step, validation loss) of every evaluation.
    #[serde(deserialize_with = "curve_nulls_as_infinity")]
    pub val_curve: Vec<(usize, f64)>,
    /// Lowest validation loss seen (infinite if the run diverged).
    #[serde(deserialize_with = "null_as_infinity")]
    pub best_val: f64,
    /// Bytes of optimizer state.
    pub state_bytes: usize,
    /// Wall time of the run.
    pub seconds: f64,
    /// Whether the loss became non-finite (the run stops there).
    pub diverged: bool,
}

fn null_as_infinity<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    let v: Option<f64> = serde::Deserialize::deserialize(d)?;
    Ok(v.unwrap_or(f64::INFINITY))
}

fn curve_nulls_as_infinity<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<(usize, f64)>, D::Error> {
    let v: Vec<(usize, Option<f64>)> = serde::Deserialize::deserialize(d)?;
    Ok(v.into_iter()
        .map(|(s, l)| (s, l.unwrap_or(f64::INFINITY)))
        .collect())
}

/// Train `model` on `data` as `opts` says and return the curves. A non-finite loss ends the
/// run early with `diverged` set (a sweep reports it rather than failing).
pub fn train_run(
    model: &Llama,
    data: &TokenDataset,
    opts: &RunOptions,
    dev: &Device,
) -> Result<RunResult> {
    if opts.steps == 0 || opts.batch == 0 || opts.seq_len == 0 {
        return Err(CoreError::Config(
            "steps, batch and seq_len must be positive".into(),
        ));
    }
    let cfg = OptimConfig {
        lr: opts.lr,
        weight_decay: opts.weight_decay,
        beta2: opts.beta2,
        mini_whole_value: opts.mini_whole_value,
        attn: Some(crate::AttnShape::from_llama(model.config())),
        ..Default::default()
    };
    let mut opt = build(&opts.optimizer, model.params(), &cfg)?;
    let schedule = CosineSchedule {
        peak: opts.lr,
        warmup: opts.steps / 10,
        total: opts.steps,
        min_ratio: 0.1,
    };
    let mut rng = Rng::new(opts.seed);
    let t0 = std::time::Instant::now();
    let mut out = RunResult {
        optimizer: opts.optimizer.clone(),
        lr: opts.lr,
        train_curve: Vec::with_capacity(opts.steps),
        val_curve: Vec::new(),
        best_val: f64::INFINITY,
        state_bytes: opt.state_bytes(),
        seconds: 0.0,
        diverged: false,
    };
    for step in 1..=opts.steps {
        let (x, y) = data.train_batch(&mut rng, opts.batch, opts.seq_len, dev)?;
        let loss = lm_loss(&model.forward(&x)?, &y)?;
        let value = loss.to_scalar::<f32>()? as f64;
        if !value.is_finite() {
            out.diverged = true;
            break;
        }
        out.train_curve.push((step, value));
        let mut grads = named_grads(model.params(), &loss.backward()?);
        if opts.clip > 0.0 {
            let norm = global_norm(&grads)?;
            if norm > opts.clip {
                let s = opts.clip / norm;
                for g in grads.values_mut() {
                    *g = (&*g * s)?;
                }
            }
        }
        opt.step(&grads, schedule.at(step))?;
        if step % opts.eval_every.max(1) == 0 || step == opts.steps {
            let v = evaluate(model, data, opts.batch, opts.seq_len, opts.val_batches, dev)?;
            out.val_curve.push((step, v));
            if v.is_finite() {
                out.best_val = out.best_val.min(v);
            }
        }
    }
    out.seconds = t0.elapsed().as_secs_f64();
    Ok(out)
}

/// Write `value` as pretty JSON to `dir/name`, creating `dir`.
pub(super) fn write_json(dir: &Path, name: &str, value: &impl serde::Serialize) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(CoreError::io(dir))?;
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CoreError::Config(format!("cannot serialise {name}: {e}")))?;
    std::fs::write(&path, text).map_err(CoreError::io(&path))
}
