//! The SFT loop: shuffled epochs of padded or packed batches, CE or GEM, warm-up + cosine
//! learning rate, global-norm clipping, held-out perplexity, JSON-lines metrics.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device};
use optlab_core::models::Llama;
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::{global_norm, named_grads, CosineSchedule, TrainOptimizer};
use serde::Serialize;

use crate::error::{bail, Result, SftError};
use crate::loss::{sft_loss, SftLoss};
use crate::pack::{has_targets, pack, packed_batch, padded_batch, Batch, PackedRow};
use crate::template::Encoded;

/// Settings of one SFT run.
#[derive(Debug, Clone, Serialize)]
pub struct SftConfig {
    /// The training loss.
    pub loss: SftLoss,
    /// Optimizer steps.
    pub steps: usize,
    /// Examples (padded) or packed rows per step.
    pub batch: usize,
    /// Longest row in tokens; longer examples are truncated.
    pub seq_len: usize,
    /// Pack several examples per row (block-diagonal attention) instead of padding.
    pub pack: bool,
    /// Learning-rate schedule.
    pub schedule: CosineSchedule,
    /// Global gradient-norm clip (0 disables).
    pub clip: f64,
    /// Held-out perplexity every this many steps (0: only at the end).
    pub val_every: usize,
    /// Seed of the data order.
    pub seed: u64,
    /// Where `metrics.jsonl` goes (`None`: nowhere).
    pub metrics: Option<PathBuf>,
}

/// Held-out cross-entropy on trained (response) tokens.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Perplexity {
    /// Mean CE in nats per response token.
    pub ce: f64,
    /// `exp(ce)`.
    pub ppl: f64,
    /// Response tokens scored.
    pub tokens: usize,
}

/// What a run achieved.
#[derive(Debug, Clone, Serialize)]
pub struct SftSummary {
    /// Steps completed.
    pub steps: usize,
    /// Mean training loss (the chosen loss) over the last 10% of steps.
    pub final_loss: f64,
    /// Mean training CE over the last 10% of steps (comparable across losses).
    pub final_train_ce: f64,
    /// Held-out perplexity after each validation, as (step, value).
    pub val_history: Vec<(usize, Perplexity)>,
    /// Held-out perplexity at the end.
    pub val: Option<Perplexity>,
    /// Examples dropped because truncation left them no trained token.
    pub dropped_examples: usize,
    /// Trained tokens per second.
    pub tokens_per_s: f64,
}

fn device_of(model: &Llama) -> Device {
    model
        .params()
        .params()
        .first()
        .map(|p| p.var.device().clone())
        .unwrap_or(Device::Cpu)
}

fn dtype_of(model: &Llama) -> DType {
    model
        .params()
        .params()
        .first()
        .map(|p| p.var.dtype())
        .unwrap_or(DType::F32)
}

/// Held-out perplexity of `model` on the trained tokens of `data`, in padded batches.
pub fn perplexity(
    model: &Llama,
    data: &[Encoded],
    batch: usize,
    seq_len: usize,
) -> Result<Perplexity> {
    let dev = device_of(model);
    let usable: Vec<&Encoded> = data.iter().filter(|e| has_targets(e, seq_len)).collect();
    if usable.is_empty() {
        bail!("no held-out example has a response token within {seq_len} tokens");
    }
    // Keep one batch's logits near 2^25 floats (128 MB): a 49k vocabulary needs small batches.
    let vocab = model.config().vocab_size;
    let batch = batch.min((1usize << 25) / (seq_len * vocab).max(1)).max(1);
    let (mut sum, mut tokens) = (0.0, 0);
    for chunk in usable.chunks(batch) {
        let b = padded_batch(chunk, seq_len, 0, &dev)?;
        let out = sft_loss(&b.logits(model)?, &b.targets, &SftLoss::CE, None)?;
        sum += out.ce_sum;
        tokens += out.tokens;
    }
    let ce = sum / tokens as f64;
    Ok(Perplexity {
        ce,
        ppl: ce.exp(),
        tokens,
    })
}

/// Yields one batch per step, reshuffling every epoch.
struct Batcher<'a> {
    data: Vec<&'a Encoded>,
    order: Vec<usize>,
    pos: usize,
    rows: Vec<PackedRow>,
    rng: Rng,
}

impl<'a> Batcher<'a> {
    fn next(&mut self, cfg: &SftConfig, dtype: DType, dev: &Device) -> Result<Batch> {
        let units = if cfg.pack {
            self.rows.len()
        } else {
            self.data.len()
        };
        if self.pos + cfg.batch > units || units == 0 {
            self.reshuffle(cfg);
        }
        let take = cfg.batch.min(if cfg.pack {
            self.rows.len()
        } else {
            self.data.len()
        });
        let idx = &self.order[self.pos..self.pos + take];
        self.pos += take;
        if cfg.pack {
            let rows: Vec<_> = idx.iter().map(|&i| self.rows[i].clone()).collect();
            packed_batch(&rows, dtype, dev)
        } else {
            let ex: Vec<&Encoded> = idx.iter().map(|&i| self.data[i]).collect();
            padded_batch(&ex, cfg.seq_len, 0, dev)
        }
    }

    fn reshuffle(&mut self, cfg: &SftConfig) {
        let mut perm: Vec<usize> = (0..self.data.len()).collect();
        shuffle(&mut perm, &mut self.rng);
        if cfg.pack {
            let ex: Vec<&Encoded> = perm.iter().map(|&i| self.data[i]).collect();
            self.rows = pack(&ex, cfg.seq_len, 0);
            self.order = (0..self.rows.len()).collect();
            shuffle(&mut self.order, &mut self.rng);
        } else {
            self.order = perm;
        }
        self.pos = 0;
    }
}

fn shuffle(v: &mut [usize], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

fn append(path: &Option<PathBuf>, line: serde_json::Value) -> Result<()> {
    if let Some(p) = path {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .map_err(SftError::io(p))?;
        writeln!(f, "{line}").map_err(SftError::io(p))?;
    }
    Ok(())
}

/// Fine-tune `model` on `train` with `opt`, measuring held-out perplexity on `val`; each
/// step is reported to `reporter` (one phase, `sft`).
pub fn train_sft(
    model: &Llama,
    train: &[Encoded],
    val: &[Encoded],
    opt: &mut dyn TrainOptimizer,
    cfg: &SftConfig,
    reporter: &dyn Reporter,
) -> Result<SftSummary> {
    if cfg.steps == 0 || cfg.batch == 0 || cfg.seq_len < 2 {
        bail!("steps and batch must be positive and seq_len at least 2");
    }
    let data: Vec<&Encoded> = train
        .iter()
        .filter(|e| has_targets(e, cfg.seq_len))
        .collect();
    let dropped = train.len() - data.len();
    if data.is_empty() {
        bail!(
            "no training example has a response token within {} tokens",
            cfg.seq_len
        );
    }
    if let Some(p) = &cfg.metrics {
        if p.exists() {
            std::fs::remove_file(p).map_err(SftError::io(p))?;
        }
    }
    let (dev, dtype) = (device_of(model), dtype_of(model));
    let mut batcher = Batcher {
        data,
        order: Vec::new(),
        pos: usize::MAX / 2,
        rows: Vec::new(),
        rng: Rng::new(cfg.seed),
    };
    reporter.begin("sft", cfg.steps as u64);
    let started = Instant::now();
    let (mut history, mut recent, mut trained_tokens) = (Vec::new(), Vec::new(), 0usize);
    for step in 1..=cfg.steps {
        let lr = cfg.schedule.at(step);
        let b = batcher.next(cfg, dtype, &dev)?;
        let out = sft_loss(&b.logits(model)?, &b.targets, &cfg.loss, None)?;
        let loss = out.loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        if !loss.is_finite() {
            bail!("non-finite training loss at step {step}");
        }
        let mut grads = named_grads(model.params(), &out.loss.backward()?);
        let norm = global_norm(&grads)?;
        if !norm.is_finite() {
            bail!("non-finite gradient norm at step {step}");
        }
        if cfg.clip > 0.0 && norm > cfg.clip {
            for g in grads.values_mut() {
                *g = (&*g * (cfg.clip / norm))?;
            }
        }
        opt.step(&grads, lr)?;
        trained_tokens += out.tokens;
        let n = out.tokens.max(1) as f64;
        let (ce, ent) = (out.ce_sum / n, out.entropy_sum / n);
        recent.push((loss, ce));
        append(
            &cfg.metrics,
            serde_json::json!({"step": step, "loss": loss, "ce": ce, "entropy": ent, "lr": lr, "grad_norm": norm, "tokens": out.tokens}),
        )?;
        reporter.advance(
            step as u64,
            &format!("{} {loss:.4} ce {ce:.4}", cfg.loss.name()),
        );
        let validate = (cfg.val_every > 0 && step % cfg.val_every == 0) || step == cfg.steps;
        if validate && !val.is_empty() {
            let p = perplexity(model, val, cfg.batch, cfg.seq_len)?;
            append(
                &cfg.metrics,
                serde_json::json!({"step": step, "val_ce": p.ce, "val_ppl": p.ppl}),
            )?;
            history.push((step, p));
        }
    }
    reporter.end();
    let tail = &recent[recent.len() - (recent.len() / 10).max(1)..];
    let mean = |f: fn(&(f64, f64)) -> f64| tail.iter().map(f).sum::<f64>() / tail.len() as f64;
    Ok(SftSummary {
        steps: cfg.steps,
        final_loss: mean(|r| r.0),
        final_train_ce: mean(|r| r.1),
        val: history.last().map(|h| h.1),
        val_history: history,
        dropped_examples: dropped,
        tokens_per_s: trained_tokens as f64 / started.elapsed().as_secs_f64().max(1e-9),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::embedded_dataset;
    use crate::pretrain::pretrain_optim_config;
    use crate::template::{encode_chat, ChatBytes};
    use optlab_core::models::LlamaConfig;
    use optlab_core::report::Silent;
    use optlab_optim::AdamW;

    #[test]
    fn both_losses_lower_held_out_perplexity_on_a_tiny_model() {
        let (train, val) = embedded_dataset(1, 64, 16);
        let enc = |v: &[crate::SftExample]| -> Vec<Encoded> {
            v.iter()
                .map(|e| encode_chat(&ChatBytes, e).unwrap())
                .collect()
        };
        let (train, val) = (enc(&train), enc(&val));
        let cfg = LlamaConfig {
            hidden_size: 64,
            intermediate_size: 128,
            num_hidden_layers: 2,
            ..LlamaConfig::preset("tiny", 258).unwrap()
        };
        for (loss, pack) in [(SftLoss::CE, true), (SftLoss::GEM, false)] {
            let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 0).unwrap();
            let before = perplexity(&model, &val, 8, 128).unwrap();
            let mut opt = AdamW::new(model.params(), pretrain_optim_config()).unwrap();
            let c = SftConfig {
                loss,
                steps: 30,
                batch: 4,
                seq_len: 128,
                pack,
                schedule: CosineSchedule {
                    peak: 3e-3,
                    warmup: 3,
                    total: 30,
                    min_ratio: 0.1,
                },
                clip: 1.0,
                val_every: 0,
                seed: 0,
                metrics: None,
            };
            let s = train_sft(&model, &train, &val, &mut opt, &c, &Silent).unwrap();
            let after = s.val.unwrap();
            assert_eq!(after.tokens, before.tokens);
            assert!(
                after.ppl < 0.5 * before.ppl,
                "{loss:?}: {} -> {}",
                before.ppl,
                after.ppl
            );
        }
    }
}
