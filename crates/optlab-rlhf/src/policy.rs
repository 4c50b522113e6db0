//! The policy side: loading and saving policy folders with their tokenizer identity, a frozen
//! copy for the KL reference, logits and final hidden states from one trunk pass (so a value
//! head costs no second forward), and the supervised warm start on the verifiable task.

use std::path::Path;

use crate::error::{Context, Result};
use candle_core::{DType, Device, Tensor};
use optlab_core::models::{save_model_weights, Llama, LlamaConfig, LoadedModel, ModelSource};
use optlab_core::rng::Rng;
use optlab_core::tokenizer::{ByteTokenizer, Tokenizer};
use optlab_core::train::{named_grads, CosineSchedule, TrainOptimizer};

use crate::losses::{masked_mean, token_logprobs};
use crate::optimizer::{adamw, DEFAULT_WEIGHT_DECAY};
use crate::reward::TokenizerId;
use crate::rollout::Batch;
use crate::task::{ArithTask, STOP_BYTE};

/// A policy model with its tokenizer.
pub struct Policy {
    /// The decoder being trained.
    pub model: Llama,
    /// Text <-> ids.
    pub tok: Box<dyn Tokenizer>,
    /// Identity of `tok`, checked against reward models.
    pub tok_id: TokenizerId,
}

/// Load a model folder (`config.json`, `model.safetensors`, and `tokenizer.json` unless it
/// uses a built-in tokenizer), as `optlab train` writes under `RUN/model/`.
pub fn load_policy_dir(dir: &Path, dev: &Device) -> Result<Policy> {
    let LoadedModel {
        model,
        tokenizer,
        spec,
    } = LoadedModel::load(&ModelSource::Folder(dir.into()), dev)
        .with_context(|| format!("policy folder {}", dir.display()))?;
    let tok_id = TokenizerId::of_spec(&spec, model.config().vocab_size);
    Ok(Policy {
        model,
        tok: tokenizer,
        tok_id,
    })
}

/// Save a byte-tokenizer policy as a model folder [`load_policy_dir`] reads back.
pub fn save_byte_policy(model: &Llama, dir: &Path) -> Result<()> {
    Ok(save_model_weights(model, dir)?)
}

/// A separate model with the same configuration and (copied) weights: the frozen reference.
pub fn frozen_copy(model: &Llama, dev: &Device) -> Result<Llama> {
    Ok(model.deep_copy(dev)?)
}

/// Logits `[b, t, v]` and final hidden states `[b, t, h]` of one trunk pass.
pub fn logits_and_hidden(model: &Llama, ids: &Tensor) -> Result<(Tensor, Tensor)> {
    let h = model.final_hidden(ids)?;
    let name = if model.config().tie_word_embeddings {
        "model.embed_tokens.weight"
    } else {
        "lm_head.weight"
    };
    let w = model
        .params()
        .get(name)
        .with_context(|| format!("the policy has no `{name}`"))?;
    let logits = h.broadcast_matmul(&w.var.as_tensor().t()?)?;
    Ok((logits, h))
}

/// Settings of the supervised warm start on solved additions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WarmStart {
    /// Model preset (`tiny`, `mini`, `small`).
    pub size: String,
    /// Optimizer steps.
    pub steps: usize,
    /// Problems per step.
    pub batch: usize,
    /// Peak learning rate (warm-up, then cosine to a tenth).
    pub lr: f64,
    /// Seed of the weights and problems.
    pub seed: u64,
}

/// Train a fresh byte-level model to answer `task`'s prompts: cross-entropy on the answer
/// tokens (and the stop byte) only, the prompt masked out. Returns the model and the mean
/// loss of the last ten steps.
pub fn warm_start(task: &ArithTask, ws: &WarmStart, dev: &Device) -> Result<(Llama, f64)> {
    let cfg = LlamaConfig::preset(&ws.size, 256)?;
    let model = Llama::new(&cfg, DType::F32, dev, ws.seed)?;
    let mut opt = adamw(model.params(), DEFAULT_WEIGHT_DECAY)?;
    let sched = CosineSchedule {
        peak: ws.lr,
        warmup: (ws.steps / 10).max(1),
        total: ws.steps,
        min_ratio: 0.1,
    };
    let mut rng = Rng::new(ws.seed ^ 0x5F7);
    let tok = ByteTokenizer;
    let mut recent = Vec::new();
    for step in 1..=ws.steps {
        let mut prompts = Vec::with_capacity(ws.batch);
        let mut answers = Vec::with_capacity(ws.batch);
        for _ in 0..ws.batch {
            let p = task.prompt(&mut rng);
            prompts.push(tok.encode(&p.text)?);
            answers.push(tok.encode(&format!("{}{}", p.answer, STOP_BYTE as char))?);
        }
        let pr: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
        let an: Vec<&[u32]> = answers.iter().map(Vec::as_slice).collect();
        let b = Batch::new(&pr, &an, dev)?;
        let logp = token_logprobs(&model.forward(&b.inputs)?, &b.targets)?;
        let loss = masked_mean(&logp, &b.mask)?.neg()?;
        let l = loss.to_scalar::<f32>()? as f64;
        if !l.is_finite() {
            crate::error::bail!("warm start: non-finite loss at step {step}");
        }
        opt.step(
            &named_grads(model.params(), &loss.backward()?),
            sched.at(step),
        )?;
        recent.push(l);
    }
    let tail = &recent[recent.len().saturating_sub(10)..];
    Ok((model, tail.iter().sum::<f64>() / tail.len().max(1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trunk_pass_gives_the_forward_logits_and_the_copy_is_frozen() {
        let dev = Device::Cpu;
        let cfg = LlamaConfig::preset("tiny", 256).unwrap();
        let m = Llama::new(&cfg, DType::F32, &dev, 3).unwrap();
        let ids = Tensor::new(&[[5u32, 9, 200, 1]], &dev).unwrap();
        let (l, h) = logits_and_hidden(&m, &ids).unwrap();
        let want = m.forward(&ids).unwrap();
        let d = (l - &want).unwrap().abs().unwrap().max_all().unwrap();
        assert!(d.to_scalar::<f32>().unwrap() < 1e-4);
        assert_eq!(h.dims(), &[1, 4, cfg.hidden_size]);
        let r = frozen_copy(&m, &dev).unwrap();
        let p = m.params().params()[0].var.clone();
        p.set(&(p.as_tensor() + 1.0).unwrap()).unwrap();
        let d = (r.forward(&ids).unwrap() - want)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap();
        assert!(
            d.to_scalar::<f32>().unwrap() < 1e-6,
            "reference moved with the policy"
        );
    }
}
