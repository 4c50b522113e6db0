//! The training loop (`optlab_core::train::train_lm`) with optlab-optim's AdamW: bit-exact
//! resume, the non-finite stop, checkpoint errors, and that it learns at all.

use std::path::PathBuf;

use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, unigram_entropy, TokenDataset};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::params::ParamStore;
use optlab_core::report::Silent;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::{train_lm, CosineSchedule, TrainConfig};
use optlab_optim::{AdamW, OptimConfig};
use tempfile::TempDir;

fn small_cfg() -> LlamaConfig {
    LlamaConfig {
        vocab_size: 256,
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: Some(2),
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        max_position_embeddings: 64,
        tie_word_embeddings: false,
        attention_bias: false,
    }
}

/// A fresh run folder inside a temporary directory that is removed when the test ends.
fn run_dir(tmp: &TempDir, name: &str) -> PathBuf {
    tmp.path().join(name)
}

/// AdamW as the training loop used it before the optimizers moved out of core: PyTorch
/// betas and epsilon, decoupled weight decay 0.1.
fn adamw(store: &ParamStore) -> AdamW {
    let cfg = OptimConfig {
        weight_decay: 0.1,
        ..OptimConfig::default()
    };
    AdamW::new(store, cfg).unwrap()
}

fn config(out: PathBuf, steps: usize, lr: f64) -> TrainConfig {
    TrainConfig {
        steps,
        batch: 4,
        accum: 2,
        seq_len: 32,
        schedule: CosineSchedule {
            peak: lr,
            warmup: 2,
            total: steps,
            min_ratio: 0.1,
        },
        clip: 1.0,
        val_every: 0,
        val_batches: 2,
        ckpt_every: 2,
        seed: 3,
        out,
        resume: false,
        stop_after: None,
        overwrite: false,
        override_config: false,
        settings: Default::default(),
    }
}

fn dataset() -> TokenDataset {
    TokenDataset::from_text(&generated_corpus(0, 20_000), &ByteTokenizer, 0.1).unwrap()
}

#[test]
fn interrupted_and_resumed_run_matches_uninterrupted_run() {
    let data = dataset();
    let tmp = TempDir::new().unwrap();
    let full_dir = run_dir(&tmp, "full");
    let m = Llama::new(&small_cfg(), DType::F32, &Device::Cpu, 1).unwrap();
    let mut opt = adamw(m.params());
    let full = train_lm(&m, &data, &mut opt, &config(full_dir, 6, 3e-3), &Silent).unwrap();

    let dir = run_dir(&tmp, "split");
    let m = Llama::new(&small_cfg(), DType::F32, &Device::Cpu, 1).unwrap();
    let mut opt = adamw(m.params());
    let mut cfg = config(dir.clone(), 6, 3e-3);
    cfg.stop_after = Some(3);
    let first = train_lm(&m, &data, &mut opt, &cfg, &Silent).unwrap();
    assert_eq!(first.steps_done, 3);
    // A fresh process: new model and optimizer, everything restored from disk.
    let m = Llama::new(&small_cfg(), DType::F32, &Device::Cpu, 99).unwrap();
    let mut opt = adamw(m.params());
    cfg.stop_after = None;
    cfg.resume = true;
    let second = train_lm(&m, &data, &mut opt, &cfg, &Silent).unwrap();
    let resumed: Vec<(usize, f64)> = first.losses.into_iter().chain(second.losses).collect();
    assert_eq!(resumed, full.losses, "resumed trajectory differs");
    let lines = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert_eq!(lines.lines().filter(|l| l.contains("\"loss\"")).count(), 6);
}

#[test]
fn non_finite_training_stops_with_the_step_and_keeps_the_good_checkpoint() {
    let data = dataset();
    let tmp = TempDir::new().unwrap();
    let dir = run_dir(&tmp, "nan");
    let m = Llama::new(&small_cfg(), DType::F32, &Device::Cpu, 1).unwrap();
    let mut opt = adamw(m.params());
    let mut cfg = config(dir.clone(), 8, 1e-3);
    cfg.stop_after = Some(2);
    train_lm(&m, &data, &mut opt, &cfg, &Silent).unwrap();
    let good = std::fs::read(dir.join("checkpoint/model.safetensors")).unwrap();
    cfg.stop_after = None;
    cfg.resume = true;
    cfg.schedule.peak = f64::INFINITY;
    cfg.override_config = true;
    let err = train_lm(&m, &data, &mut opt, &cfg, &Silent)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("non-finite") && err.contains("at step"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.join("checkpoint/model.safetensors")).unwrap(),
        good
    );
}

#[test]
fn resume_without_or_with_corrupt_checkpoint_names_the_problem() {
    let data = dataset();
    let tmp = TempDir::new().unwrap();
    let dir = run_dir(&tmp, "corrupt");
    let m = Llama::new(&small_cfg(), DType::F32, &Device::Cpu, 1).unwrap();
    let mut opt = adamw(m.params());
    let mut cfg = config(dir.clone(), 2, 1e-3);
    cfg.resume = true;
    let err = train_lm(&m, &data, &mut opt, &cfg, &Silent)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no checkpoint to resume from"), "{err}");
    cfg.resume = false;
    train_lm(&m, &data, &mut opt, &cfg, &Silent).unwrap();
    std::fs::write(dir.join("checkpoint/model.safetensors"), b"garbage").unwrap();
    cfg.resume = true;
    let err = train_lm(&m, &data, &mut opt, &cfg, &Silent)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn training_beats_the_unigram_entropy() {
    let data = dataset();
    let tmp = TempDir::new().unwrap();
    let m = Llama::new(&small_cfg(), DType::F32, &Device::Cpu, 5).unwrap();
    let mut opt = adamw(m.params());
    let mut cfg = config(run_dir(&tmp, "learn"), 60, 1e-2);
    cfg.ckpt_every = 0;
    let s = train_lm(&m, &data, &mut opt, &cfg, &Silent).unwrap();
    let h = unigram_entropy(data.train_tokens());
    let v = s.val_loss.unwrap();
    assert!(v < 0.85 * h, "validation loss {v} vs unigram entropy {h}");
}
