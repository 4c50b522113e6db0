//! Experiment (b): pre-train on corpus A, fine-tune on a different corpus B with several
//! optimizers, and measure how much of A each one forgets and how far the weights move.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::rng::Rng;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::evaluate;
use optlab_core::{CoreError, Result};

use super::run::{train_run, write_json, RunOptions};

/// Corpus B: multiplication facts and arithmetic progressions, a domain the embedded
/// corpus A (English sentences, sums and differences) does not contain.
pub fn corpus_b(seed: u64, bytes: usize) -> String {
    let mut rng = Rng::new(seed ^ 0xB0B);
    let mut out = String::with_capacity(bytes + 64);
    while out.len() < bytes {
        let (a, b) = (rng.below(12) + 1, rng.below(12) + 1);
        if rng.below(2) == 0 {
            out.push_str(&format!("{a} times {b} makes {}.\n", a * b));
        } else {
            let terms: Vec<String> = (0..4).map(|i| (a + i * b).to_string()).collect();
            out.push_str(&format!(
                "after {} comes {}.\n",
                terms.join(", "),
                a + 4 * b
            ));
        }
    }
    out
}

/// Settings of the forgetting experiment.
#[derive(Debug, Clone)]
pub struct ForgettingOptions {
    /// Llama preset.
    pub size: String,
    /// Pre-training on corpus A (its optimizer and lr are used as given).
    pub pretrain: RunOptions,
    /// Fine-tuning on corpus B (optimizer and lr are overwritten per run).
    pub finetune: RunOptions,
    /// Optimizers compared in fine-tuning.
    pub optimizers: Vec<String>,
    /// Fine-tuning learning rates tried for each optimizer.
    pub finetune_lrs: Vec<f64>,
    /// Bytes of each corpus.
    pub corpus_bytes: usize,
    /// Model initialisation and corpus seed.
    pub seed: u64,
    /// Folder for `forgetting.json` (none: write nothing).
    pub out: Option<PathBuf>,
}

/// One fine-tuning run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ForgettingRow {
    /// Optimizer.
    pub optimizer: String,
    /// Fine-tuning peak learning rate.
    pub lr: f64,
    /// Corpus-B validation loss after fine-tuning.
    pub b_loss: f64,
    /// Corpus-A validation loss after fine-tuning.
    pub a_loss: f64,
    /// `a_loss` minus the pre-trained model's A loss.
    pub a_rise: f64,
    /// L2 distance of all weights from the pre-trained ones.
    pub l2_distance: f64,
    /// Fraction of entries that moved at all (MoFO leaves most untouched).
    pub moved_fraction: f64,
}

/// Pre-trained reference losses and every fine-tuning run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ForgettingReport {
    /// Corpus-A validation loss of the pre-trained model.
    pub a_loss_pretrained: f64,
    /// Corpus-B validation loss of the pre-trained model.
    pub b_loss_pretrained: f64,
    /// Every (optimizer, lr) run.
    pub rows: Vec<ForgettingRow>,
    /// Index into `rows` of each optimizer's run with the lowest B loss.
    pub best: Vec<(String, usize)>,
}

/// Run the experiment: one pre-training, then each optimizer × lr from the same weights.
pub fn forgetting(opts: &ForgettingOptions, dev: &Device) -> Result<ForgettingReport> {
    let a = TokenDataset::from_text(
        &generated_corpus(opts.seed, opts.corpus_bytes),
        &ByteTokenizer,
        0.1,
    )?;
    let b = TokenDataset::from_text(&corpus_b(opts.seed, opts.corpus_bytes), &ByteTokenizer, 0.1)?;
    let cfg = LlamaConfig::preset(&opts.size, 256)?;
    let model = Llama::new(&cfg, DType::F32, dev, opts.seed)?;
    train_run(&model, &a, &opts.pretrain, dev)?;
    let start = model.params().snapshot()?;
    let (bs, sl, vb) = (
        opts.finetune.batch,
        opts.finetune.seq_len,
        opts.finetune.val_batches,
    );
    let a0 = evaluate(&model, &a, bs, sl, vb, dev)?;
    let b0 = evaluate(&model, &b, bs, sl, vb, dev)?;
    let mut rows = Vec::new();
    for name in &opts.optimizers {
        for &lr in &opts.finetune_lrs {
            restore(&model, &start)?;
            let run = RunOptions {
                optimizer: name.clone(),
                lr,
                ..opts.finetune.clone()
            };
            train_run(&model, &b, &run, dev)?;
            let (l2, moved) = distance(&model, &start)?;
            let a_loss = evaluate(&model, &a, bs, sl, vb, dev)?;
            rows.push(ForgettingRow {
                optimizer: name.clone(),
                lr,
                b_loss: evaluate(&model, &b, bs, sl, vb, dev)?,
                a_loss,
                a_rise: a_loss - a0,
                l2_distance: l2,
                moved_fraction: moved,
            });
        }
    }
    let best = opts
        .optimizers
        .iter()
        .filter_map(|n| {
            (0..rows.len())
                .filter(|&i| rows[i].optimizer == *n && rows[i].b_loss.is_finite())
                .min_by(|&i, &j| rows[i].b_loss.total_cmp(&rows[j].b_loss))
                .map(|i| (n.clone(), i))
        })
        .collect();
    let report = ForgettingReport {
        a_loss_pretrained: a0,
        b_loss_pretrained: b0,
        rows,
        best,
    };
    if let Some(dir) = &opts.out {
        write_json(dir, "forgetting.json", &report)?;
    }
    Ok(report)
}

fn restore(model: &Llama, start: &HashMap<String, Tensor>) -> Result<()> {
    model
        .params()
        .assign(start.clone(), Path::new("<pre-trained weights>"))
}

/// L2 distance from `start` over all parameters, and the fraction of entries that changed.
fn distance(model: &Llama, start: &HashMap<String, Tensor>) -> Result<(f64, f64)> {
    let (mut sq, mut moved, mut total) = (0f64, 0usize, 0usize);
    for p in model.params().params() {
        let s = start.get(&p.name).ok_or_else(|| CoreError::MissingTensor {
            name: p.name.clone(),
            path: PathBuf::from("<pre-trained weights>"),
        })?;
        let d: Vec<f32> = (p.var.as_tensor() - s)?.flatten_all()?.to_vec1()?;
        sq += d.iter().map(|&x| (x as f64).powi(2)).sum::<f64>();
        moved += d.iter().filter(|&&x| x != 0.0).count();
        total += d.len();
    }
    Ok((sq.sqrt(), moved as f64 / total.max(1) as f64))
}
