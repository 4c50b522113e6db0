//! Starting or resuming a run folder safely: a fresh run refuses to replace an existing one
//! unless asked to; the settings a run started with are recorded in `run.json`, and a resume
//! with other settings is refused unless overridden (the override is logged in
//! `metrics.jsonl`); a checkpoint's step counter must fit the configured steps and the
//! metrics.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::config::TrainConfig;
use super::metrics::{append_metrics, truncate_metrics};
use super::{Checkpoint, TrainOptimizer};
use crate::checkpoint_io::write_atomic;
use crate::error::{CoreError, Result};
use crate::params::ParamStore;
use crate::rng::Rng;

/// File in the run folder holding the settings the run was started with.
pub const RUN_RECORD_FILE: &str = "run.json";

/// The settings that must not change across a resume (the step count may grow, and the
/// validation/checkpoint cadence may change).
fn record(cfg: &TrainConfig, optimizer: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("optimizer".into(), json!(optimizer));
    m.insert("batch".into(), json!(cfg.batch));
    m.insert("accum".into(), json!(cfg.accum));
    m.insert("seq_len".into(), json!(cfg.seq_len));
    m.insert("seed".into(), json!(cfg.seed));
    m.insert("lr".into(), json!(cfg.schedule.peak));
    m.insert("warmup".into(), json!(cfg.schedule.warmup));
    m.insert("min_lr_ratio".into(), json!(cfg.schedule.min_ratio));
    m.insert("clip".into(), json!(cfg.clip));
    if let Value::Object(extra) = &cfg.settings {
        m.extend(extra.clone());
    }
    m
}

fn write_record(path: &Path, rec: &Map<String, Value>) -> Result<()> {
    let text = serde_json::to_string_pretty(rec).map_err(|e| CoreError::Config(e.to_string()))?;
    write_atomic(path, text.as_bytes())
}

/// What of a previous run is in `out` (empty: nothing).
fn existing_run(out: &Path) -> Vec<&'static str> {
    ["metrics.jsonl", "checkpoint", RUN_RECORD_FILE, "model"]
        .into_iter()
        .filter(|name| out.join(name).exists())
        .collect()
}

/// Prepare `cfg.out` for step 0: refuse an existing run unless `cfg.overwrite`, then clear it
/// and record the settings.
fn start_fresh(cfg: &TrainConfig, optimizer: &str) -> Result<()> {
    let found = existing_run(&cfg.out);
    if !found.is_empty() && !cfg.overwrite {
        return Err(CoreError::RunExists {
            path: cfg.out.clone(),
            what: found.join(", "),
        });
    }
    for name in ["metrics.jsonl", RUN_RECORD_FILE] {
        let p = cfg.out.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(CoreError::io(&p))?;
        }
    }
    let ck = cfg.out.join("checkpoint");
    if ck.exists() {
        std::fs::remove_dir_all(&ck).map_err(CoreError::io(&ck))?;
    }
    write_record(&cfg.out.join(RUN_RECORD_FILE), &record(cfg, optimizer))
}

/// The last step `metrics.jsonl` records a training loss for (0 when none).
fn last_metrics_step(metrics: &Path) -> u64 {
    let Ok(text) = std::fs::read_to_string(metrics) else {
        return 0;
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("loss").is_some())
        .filter_map(|v| v["step"].as_u64())
        .max()
        .unwrap_or(0)
}

fn check_step(cfg: &TrainConfig, ckpt: &Checkpoint, step: usize) -> Result<()> {
    let state = ckpt.dir().join("state.json");
    let bad = |reason: String| {
        Err(CoreError::Corrupt {
            path: state.clone(),
            reason,
        })
    };
    if step > cfg.steps {
        return bad(format!(
            "the checkpoint is at step {step}, beyond the {} steps this run is configured for (pass a larger --steps, or the step counter was altered)",
            cfg.steps
        ));
    }
    let logged = last_metrics_step(&cfg.out.join("metrics.jsonl"));
    if (step as u64) > logged {
        return bad(format!(
            "the checkpoint is at step {step}, but metrics.jsonl records training only up to step {logged}"
        ));
    }
    Ok(())
}

/// Differences between the recorded and the requested settings, `name: old -> new`.
fn changes(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            let pair = json!({"recorded": old.get(k), "requested": new.get(k)});
            (k.clone(), pair)
        })
        .collect()
}

fn compare_settings(cfg: &TrainConfig, optimizer: &str, step: usize) -> Result<()> {
    let path = cfg.out.join(RUN_RECORD_FILE);
    let new = record(cfg, optimizer);
    if !path.exists() {
        return write_record(&path, &new);
    }
    let text = std::fs::read_to_string(&path).map_err(CoreError::io(&path))?;
    let old: Map<String, Value> = serde_json::from_str(&text).map_err(|e| CoreError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let diff = changes(&old, &new);
    if diff.is_empty() {
        return Ok(());
    }
    if !cfg.override_config {
        let list: Vec<String> = diff
            .iter()
            .map(|(k, v)| format!("{k}: {} -> {}", v["recorded"], v["requested"]))
            .collect();
        return Err(CoreError::ConfigChanged {
            path,
            changes: list.join(", "),
        });
    }
    let line = json!({"step": step, "config_override": diff});
    append_metrics(&cfg.out.join("metrics.jsonl"), &line)?;
    write_record(&path, &new)
}

/// Set up the run in `cfg.out` and return the step and batch generator to continue from.
pub(super) fn begin(
    cfg: &TrainConfig,
    ckpt: &Checkpoint,
    params: &ParamStore,
    opt: &mut dyn TrainOptimizer,
) -> Result<(usize, Rng)> {
    let name = opt.name().to_string();
    if !cfg.resume {
        start_fresh(cfg, &name)?;
        return Ok((0, Rng::new(cfg.seed)));
    }
    if !ckpt.exists() {
        return Err(CoreError::Io {
            path: ckpt.dir().join("state.json"),
            cause: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no checkpoint to resume from",
            ),
        });
    }
    let st = ckpt.load(params, opt)?;
    check_step(cfg, ckpt, st.step)?;
    let metrics = cfg.out.join("metrics.jsonl");
    truncate_metrics(&metrics, st.step)?;
    compare_settings(cfg, &name, st.step)?;
    Ok((st.step, st.rng))
}
