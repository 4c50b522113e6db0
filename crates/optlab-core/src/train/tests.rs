//! Run folders: refusing to replace a run, recorded settings, verified checkpoints and
//! truthful non-finite stops.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};

use super::*;
use crate::data::TokenDataset;
use crate::error::CoreError;
use crate::models::{Llama, LlamaConfig};
use crate::params::ParamStore;
use crate::report::Silent;

/// Plain gradient descent with a step counter as its state.
struct Sgd {
    store: ParamStore,
    t: f32,
}

impl TrainOptimizer for Sgd {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> crate::error::Result<()> {
        for p in self.store.params() {
            if let Some(g) = grads.get(&p.name) {
                p.var.set(&(p.var.as_tensor() - (g * lr)?)?)?;
            }
        }
        self.t += 1.0;
        Ok(())
    }
    fn state(&self) -> crate::error::Result<HashMap<String, Tensor>> {
        let t = Tensor::new(&[self.t], &Device::Cpu)?;
        Ok(HashMap::from([("t".to_string(), t)]))
    }
    fn load_state(&mut self, s: &HashMap<String, Tensor>) -> crate::error::Result<()> {
        self.t = s["t"].to_vec1::<f32>()?[0];
        Ok(())
    }
    fn name(&self) -> &str {
        "sgd"
    }
}

fn model() -> Llama {
    let cfg = LlamaConfig {
        vocab_size: 256,
        hidden_size: 8,
        intermediate_size: 12,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: Some(1),
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        max_position_embeddings: 16,
        tie_word_embeddings: false,
        attention_bias: false,
    };
    Llama::new(&cfg, DType::F32, &Device::Cpu, 1).unwrap()
}

fn data() -> TokenDataset {
    TokenDataset::from_tokens((0..2000u32).map(|i| (i * 7) % 256).collect(), 0.1).unwrap()
}

fn run(out: &Path, f: impl FnOnce(&mut TrainConfig)) -> crate::error::Result<TrainSummary> {
    let m = model();
    let mut opt = Sgd {
        store: m.params().clone(),
        t: 0.0,
    };
    let mut cfg = TrainConfig {
        overwrite: false,
        ckpt_every: 2,
        ..TrainConfig::short(4, 2, 8, 1e-2, out.to_path_buf())
    };
    f(&mut cfg);
    train_lm(&m, &data(), &mut opt, &cfg, &Silent)
}

#[test]
fn an_existing_run_is_replaced_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run(&out, |_| {}).unwrap();
    let before = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let err = run(&out, |_| {}).unwrap_err();
    assert!(matches!(err, CoreError::RunExists { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("--resume") && msg.contains("--overwrite"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("metrics.jsonl")).unwrap(),
        before
    );
    run(&out, |c| c.overwrite = true).unwrap();
}

#[test]
fn resume_refuses_changed_settings_unless_overridden_and_logs_the_override() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run(&out, |c| c.stop_after = Some(2)).unwrap();
    let err = run(&out, |c| {
        c.resume = true;
        c.batch = 3;
        c.seed = 5;
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("batch: 2 -> 3") && err.contains("seed: 0 -> 5") && err.contains("run.json"),
        "{err}"
    );
    let s = run(&out, |c| {
        c.resume = true;
        c.batch = 3;
        c.override_config = true;
    })
    .unwrap();
    assert_eq!(s.steps_done, 4);
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert!(metrics.contains("config_override"), "{metrics}");
    // The override is now the record: resuming with it again needs no flag.
    run(&out, |c| {
        c.resume = true;
        c.batch = 3;
    })
    .unwrap();
}

#[test]
fn a_tampered_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    run(&out, |c| c.stop_after = Some(2)).unwrap();
    let resume = |c: &mut TrainConfig| c.resume = true;
    let ck = out.join("checkpoint");
    let weights = ck.join("model.safetensors");
    let good = std::fs::read(&weights).unwrap();
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 3] ^= 0x10;
    std::fs::write(&weights, &bad).unwrap();
    let err = run(&out, resume).unwrap_err().to_string();
    assert!(
        err.contains("sha256") && err.contains("model.safetensors"),
        "{err}"
    );
    std::fs::write(&weights, &good).unwrap();

    let state = ck.join("state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    let forged = text.replace("\"step\": 2", "\"step\": 9999");
    std::fs::write(&state, &forged).unwrap();
    let err = run(&out, resume).unwrap_err().to_string();
    assert!(
        err.contains("state.json") && err.contains("sha256"),
        "{err}"
    );
    // Even with a matching checksum, a step past the configured steps is refused …
    let man = ck.join("manifest.json");
    let mtext = std::fs::read_to_string(&man).unwrap();
    let old = crate::manifest::sha256_hex(text.as_bytes());
    let new = crate::manifest::sha256_hex(forged.as_bytes());
    std::fs::write(&man, mtext.replace(&old, &new)).unwrap();
    let err = run(&out, resume).unwrap_err().to_string();
    assert!(err.contains("step 9999") && err.contains("beyond"), "{err}");
    // … and so is one the metrics never reached.
    let forged3 = text.replace("\"step\": 2", "\"step\": 3");
    std::fs::write(&state, &forged3).unwrap();
    let sha3 = crate::manifest::sha256_hex(forged3.as_bytes());
    std::fs::write(&man, mtext.replace(&old, &sha3)).unwrap();
    let err = run(&out, resume).unwrap_err().to_string();
    assert!(err.contains("up to step 2"), "{err}");
    std::fs::remove_file(&man).unwrap();
    let err = run(&out, resume).unwrap_err().to_string();
    assert!(err.contains("manifest.json"), "{err}");
}

#[test]
fn a_non_finite_stop_says_whether_a_checkpoint_exists() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let err = run(&out, |c| {
        c.schedule.peak = f64::INFINITY;
        c.schedule.warmup = 0;
        c.clip = 0.0;
        c.ckpt_every = 0;
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("non-finite") && err.contains("no checkpoint was written"),
        "{err}"
    );
    assert!(!out.join("checkpoint").exists());
}
