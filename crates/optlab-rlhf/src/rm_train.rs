//! Reward-model training: Bradley-Terry on preference pairs, a held-out split, and the
//! pair accuracy on it before and after training.

use crate::error::{bail, Result};
use candle_core::Device;
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::{named_grads, CosineSchedule, TrainOptimizer};
use serde::Serialize;

use crate::optimizer::{adamw, DEFAULT_WEIGHT_DECAY};
use crate::prefs::PrefPair;
use crate::reward::{bradley_terry, pad_rows, RewardModel};

/// Settings of one reward-model training run.
#[derive(Debug, Clone, Serialize)]
pub struct RmTrainConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Pairs per step.
    pub batch: usize,
    /// Peak learning rate (warm-up then cosine).
    pub lr: f64,
    /// Fraction of pairs held out for accuracy.
    pub held_out: f64,
    /// Seed of the split and the batches.
    pub seed: u64,
}

/// Outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RmTrainSummary {
    /// Pairs trained on.
    pub train_pairs: usize,
    /// Pairs held out.
    pub held_out_pairs: usize,
    /// Held-out pair accuracy before training.
    pub accuracy_before: f64,
    /// Held-out pair accuracy after training.
    pub accuracy_after: f64,
    /// Held-out Bradley-Terry loss after training.
    pub held_out_loss: f64,
    /// Training loss of each step.
    pub losses: Vec<f64>,
}

/// Split `pairs` into (train, held-out) by a seeded shuffle.
pub fn split(
    mut pairs: Vec<PrefPair>,
    held_out: f64,
    seed: u64,
) -> Result<(Vec<PrefPair>, Vec<PrefPair>)> {
    if !(0.0..1.0).contains(&held_out) {
        bail!("held-out fraction must be in [0, 1), got {held_out}");
    }
    let mut rng = Rng::new(seed);
    for i in (1..pairs.len()).rev() {
        pairs.swap(i, rng.below(i + 1));
    }
    let n_out = ((pairs.len() as f64) * held_out).round() as usize;
    if pairs.len() < 2 || (held_out > 0.0 && (n_out == 0 || n_out == pairs.len())) {
        bail!(
            "too few preference pairs ({}) to hold {held_out} out",
            pairs.len()
        );
    }
    let train = pairs.split_off(n_out);
    Ok((train, pairs))
}

/// Loss and accuracy of `rm` on `pairs`, in chunks of `batch`.
pub fn evaluate_pairs(
    rm: &RewardModel,
    pairs: &[PrefPair],
    batch: usize,
    dev: &Device,
) -> Result<(f64, f64)> {
    let (mut loss, mut acc) = (0.0, 0.0);
    for chunk in pairs.chunks(batch.max(1)) {
        let (l, a) = pair_loss(rm, chunk, dev)?;
        loss += l.to_scalar::<f32>()? as f64 * chunk.len() as f64;
        acc += a * chunk.len() as f64;
    }
    let n = pairs.len().max(1) as f64;
    Ok((loss / n, acc / n))
}

fn pair_loss(
    rm: &RewardModel,
    pairs: &[PrefPair],
    dev: &Device,
) -> Result<(candle_core::Tensor, f64)> {
    // Chosen and rejected rows go through the model as one batch.
    let mut rows = Vec::with_capacity(2 * pairs.len());
    for p in pairs {
        rows.push(p.rows().0);
    }
    for p in pairs {
        rows.push(p.rows().1);
    }
    let (ids, last) = pad_rows(&rows, dev)?;
    let s = rm.score(&ids, &last)?;
    let n = pairs.len();
    bradley_terry(&s.narrow(0, 0, n)?, &s.narrow(0, n, n)?)
}

/// Train `rm` on `train` and measure it on `held_out`; `reporter` gets the loss every 50 steps.
pub fn train_reward_model(
    rm: &RewardModel,
    train: &[PrefPair],
    held_out: &[PrefPair],
    cfg: &RmTrainConfig,
    dev: &Device,
    reporter: &dyn Reporter,
) -> Result<RmTrainSummary> {
    if train.is_empty() || cfg.steps == 0 || cfg.batch == 0 {
        bail!("reward-model training needs pairs, steps and a batch size");
    }
    let (_, before) = evaluate_pairs(rm, held_out, cfg.batch, dev)?;
    let mut opt = adamw(rm.model.params(), DEFAULT_WEIGHT_DECAY)?;
    let sched = CosineSchedule {
        peak: cfg.lr,
        warmup: (cfg.steps / 10).max(1),
        total: cfg.steps,
        min_ratio: 0.1,
    };
    let mut rng = Rng::new(cfg.seed ^ 0xB7);
    let mut losses = Vec::with_capacity(cfg.steps);
    for step in 1..=cfg.steps {
        let batch: Vec<PrefPair> = (0..cfg.batch)
            .map(|_| train[rng.below(train.len())].clone())
            .collect();
        let (loss, _) = pair_loss(rm, &batch, dev)?;
        let l = loss.to_scalar::<f32>()? as f64;
        if !l.is_finite() {
            bail!("reward-model loss is not finite at step {step}");
        }
        let g = named_grads(rm.model.params(), &loss.backward()?);
        opt.step(&g, sched.at(step))?;
        losses.push(l);
        if step % 50 == 0 || step == cfg.steps {
            reporter.log(&format!("rm step {step:>5}: loss {l:.4}"));
        }
    }
    let (held_out_loss, after) = evaluate_pairs(rm, held_out, cfg.batch, dev)?;
    Ok(RmTrainSummary {
        train_pairs: train.len(),
        held_out_pairs: held_out.len(),
        accuracy_before: before,
        accuracy_after: after,
        held_out_loss,
        losses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefs::generated_prefs;
    use crate::reward::TokenizerId;
    use crate::task::ArithTask;
    use optlab_core::models::LlamaConfig;
    use optlab_core::tokenizer::ByteTokenizer;

    #[test]
    fn bradley_terry_training_lowers_the_training_loss() {
        let dev = Device::Cpu;
        let task = ArithTask { max_operand: 9 };
        let pairs = generated_prefs(&task, 1, 40, &ByteTokenizer).unwrap();
        let (train, held) = split(pairs, 0.25, 0).unwrap();
        assert_eq!((train.len(), held.len()), (30, 10));
        let mut cfg = LlamaConfig::preset("tiny", 256).unwrap();
        cfg.num_hidden_layers = 1;
        let rm = RewardModel::new(&cfg, TokenizerId::byte(), None, &dev, 0).unwrap();
        let c = RmTrainConfig {
            steps: 30,
            batch: 8,
            lr: 3e-3,
            held_out: 0.25,
            seed: 0,
        };
        let s =
            train_reward_model(&rm, &train, &held, &c, &dev, &optlab_core::report::Silent).unwrap();
        // a zero-initialised head scores every row 0: loss ln 2, every pair a tie (accuracy 1/2)
        assert_eq!(s.accuracy_before, 0.5);
        let first: f64 = s.losses[..5].iter().sum::<f64>() / 5.0;
        let (train_loss, _) = evaluate_pairs(&rm, &train, 8, &dev).unwrap();
        assert!((first - 2f64.ln()).abs() < 0.05, "first losses {first}");
        assert!(
            train_loss < 0.6,
            "training loss {train_loss} did not fall below ln 2"
        );
    }
}
