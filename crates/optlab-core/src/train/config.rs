//! The settings of one training run.

use std::path::PathBuf;

use serde::Serialize;

use super::CosineSchedule;

/// Settings of one training run.
#[derive(Debug, Clone, Serialize)]
pub struct TrainConfig {
    /// Optimizer steps in the whole run.
    pub steps: usize,
    /// Sequences per micro-batch.
    pub batch: usize,
    /// Micro-batches accumulated per step.
    pub accum: usize,
    /// Tokens per sequence.
    pub seq_len: usize,
    /// Learning-rate schedule.
    pub schedule: CosineSchedule,
    /// Global gradient-norm clip (0 disables).
    pub clip: f64,
    /// Validate every this many steps (0: only at the end).
    pub val_every: usize,
    /// Validation batches per evaluation.
    pub val_batches: usize,
    /// Checkpoint every this many steps (0: only at the end).
    pub ckpt_every: usize,
    /// Seed for batch sampling.
    pub seed: u64,
    /// Run directory: metrics.jsonl and checkpoint/ go here.
    pub out: PathBuf,
    /// Continue from the checkpoint in `out`.
    pub resume: bool,
    /// Stop (with a checkpoint) after this many steps of the run, to train in chunks.
    pub stop_after: Option<usize>,
    /// Without `resume`: replace a run already in `out` (otherwise that is an error).
    pub overwrite: bool,
    /// With `resume`: continue even though the settings differ from the recorded ones (the
    /// differences are logged in `metrics.jsonl`).
    pub override_config: bool,
    /// Further settings of the caller (optimizer hyper-parameters, model source …), a JSON
    /// object recorded in `run.json` and compared on resume like the fields above.
    pub settings: serde_json::Value,
}

impl TrainConfig {
    /// An in-process run: `steps` steps of `batch` sequences of `seq_len` tokens, cosine schedule
    /// to `peak` with a 10% warm-up (at least one step) decaying to 10%, gradient clip 1, one
    /// validation at the end over 4 batches, no checkpoints, seed 0, replacing any run
    /// already in `out` (an in-process run owns its folder).
    /// Callers override fields with struct-update syntax.
    pub fn short(steps: usize, batch: usize, seq_len: usize, peak: f64, out: PathBuf) -> Self {
        Self {
            steps,
            batch,
            accum: 1,
            seq_len,
            schedule: CosineSchedule {
                peak,
                warmup: (steps / 10).max(1),
                total: steps,
                min_ratio: 0.1,
            },
            clip: 1.0,
            val_every: 0,
            val_batches: 4,
            ckpt_every: 0,
            seed: 0,
            out,
            resume: false,
            stop_after: None,
            overwrite: true,
            override_config: false,
            settings: serde_json::Value::Null,
        }
    }
}
