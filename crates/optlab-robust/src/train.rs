//! Clean and PGD adversarial training, clean/robust accuracy and the robust generalization gap.

use candle_core::{Device, Tensor, D};
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::{named_grads, TrainOptimizer};
use optlab_optim::{AdamW, OptimConfig};
use serde::{Deserialize, Serialize};

use crate::attack::{per_example_loss, pgd, AttackConfig};
use crate::data::ImageSet;
use crate::error::{Result, RobustError};
use crate::model::Classifier;

/// Training settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Inner PGD attack for adversarial training; `None` trains on clean inputs.
    pub adversary: Option<AttackConfig>,
    /// Seed for shuffling and attack random starts.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 5,
            batch: 64,
            lr: 3e-3,
            weight_decay: 0.0,
            adversary: None,
            seed: 0,
        }
    }
}

/// Mean training loss of one epoch (on the inputs actually trained on).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochLog {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's batches.
    pub loss: f64,
}

fn shuffled(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        idx.swap(i, rng.below(i + 1));
    }
    idx
}

/// Trains `model` on `data` with AdamW; with an adversary each batch is replaced by its PGD
/// adversarial examples (Madry et al.) before the gradient step. `reporter` sees one phase
/// of `epochs` units, advanced with each epoch's mean loss.
pub fn train(
    model: &dyn Classifier,
    data: &ImageSet,
    cfg: &TrainConfig,
    device: &Device,
    reporter: &dyn Reporter,
) -> Result<Vec<EpochLog>> {
    if cfg.batch == 0 || data.is_empty() || cfg.lr.is_nan() || cfg.lr <= 0.0 {
        return Err(RobustError::Config(format!(
            "training needs a positive batch size and learning rate and a non-empty data set \
             (batch {}, lr {}, {} images)",
            cfg.batch,
            cfg.lr,
            data.len()
        )));
    }
    let mut opt = AdamW::new(
        model.store(),
        OptimConfig {
            lr: cfg.lr,
            weight_decay: cfg.weight_decay,
            ..OptimConfig::default()
        },
    )?;
    let mut rng = Rng::new(cfg.seed);
    let mut logs = Vec::with_capacity(cfg.epochs);
    let mut step = 0usize;
    reporter.begin("train", cfg.epochs as u64);
    for epoch in 1..=cfg.epochs {
        let (mut sum, mut batches) = (0f64, 0usize);
        for chunk in shuffled(data.len(), &mut rng).chunks(cfg.batch) {
            let (x, y) = data.batch(chunk, device)?;
            let x = match &cfg.adversary {
                Some(a) => pgd(model, &x, &y, a, &mut rng)?,
                None => x,
            };
            let loss = per_example_loss(model, &x, &y)?.mean_all()?;
            let value = loss.to_scalar::<f32>()? as f64;
            step += 1;
            if !value.is_finite() {
                return Err(RobustError::Config(format!(
                    "non-finite training loss at step {step} (epoch {epoch}); lower --lr"
                )));
            }
            opt.step(&named_grads(model.store(), &loss.backward()?), cfg.lr)?;
            sum += value;
            batches += 1;
        }
        let loss = sum / batches.max(1) as f64;
        reporter.advance(epoch as u64, &format!("loss {loss:.4}"));
        logs.push(EpochLog { epoch, loss });
    }
    reporter.end();
    Ok(logs)
}

/// Per-example margins f(x)_y − max_{j≠y} f(x)_j (negative means misclassified).
pub fn margins(model: &dyn Classifier, x: &Tensor, y: &Tensor) -> Result<Vec<f64>> {
    let logits = model.logits(x)?.detach();
    let true_logit = logits.gather(&y.unsqueeze(1)?, 1)?;
    // Push the true class far down so the row max is the best other class.
    let classes = logits.dim(1)?;
    let onehot = Tensor::arange(0u32, classes as u32, x.device())?
        .unsqueeze(0)?
        .broadcast_eq(&y.unsqueeze(1)?)?
        .to_dtype(logits.dtype())?;
    let others = (logits - (onehot * 1e9)?)?.max_keepdim(D::Minus1)?;
    let m = (true_logit - others)?.squeeze(1)?;
    Ok(m.to_vec1::<f32>()?.into_iter().map(f64::from).collect())
}

/// Clean and robust accuracy, loss and margins of a model on one data set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    /// Images evaluated.
    pub n: usize,
    /// Accuracy on clean inputs.
    pub clean_acc: f64,
    /// Accuracy on the attack's adversarial inputs.
    pub robust_acc: f64,
    /// Mean clean cross-entropy.
    pub clean_loss: f64,
    /// Mean adversarial cross-entropy.
    pub robust_loss: f64,
    /// Clean margins, per image.
    #[serde(skip)]
    pub clean_margins: Vec<f64>,
    /// Adversarial margins, per image.
    #[serde(skip)]
    pub robust_margins: Vec<f64>,
}

/// Evaluates `model` on `data` clean and under `attack`, in batches of `batch`.
pub fn evaluate(
    model: &dyn Classifier,
    data: &ImageSet,
    attack: &AttackConfig,
    batch: usize,
    seed: u64,
    device: &Device,
) -> Result<Evaluation> {
    if data.is_empty() || batch == 0 {
        return Err(RobustError::Config(
            "evaluation needs images and a positive batch size".into(),
        ));
    }
    let mut rng = Rng::new(seed);
    let (mut cm, mut rm, mut cl, mut rl) = (Vec::new(), Vec::new(), 0f64, 0f64);
    let idx: Vec<usize> = (0..data.len()).collect();
    for chunk in idx.chunks(batch) {
        let (x, y) = data.batch(chunk, device)?;
        let adv = pgd(model, &x, &y, attack, &mut rng)?;
        cl += per_example_loss(model, &x, &y)?
            .sum_all()?
            .to_scalar::<f32>()? as f64;
        rl += per_example_loss(model, &adv, &y)?
            .sum_all()?
            .to_scalar::<f32>()? as f64;
        cm.extend(margins(model, &x, &y)?);
        rm.extend(margins(model, &adv, &y)?);
    }
    let n = data.len() as f64;
    let acc = |m: &[f64]| m.iter().filter(|&&v| v > 0.0).count() as f64 / n;
    Ok(Evaluation {
        n: data.len(),
        clean_acc: acc(&cm),
        robust_acc: acc(&rm),
        clean_loss: cl / n,
        robust_loss: rl / n,
        clean_margins: cm,
        robust_margins: rm,
    })
}

/// Train and test evaluations and the generalization gaps (train accuracy − test accuracy).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GapReport {
    /// Evaluation on the training set.
    pub train: Evaluation,
    /// Evaluation on the test set.
    pub test: Evaluation,
    /// Clean gap: clean train accuracy − clean test accuracy.
    pub clean_gap: f64,
    /// Robust gap: robust train accuracy − robust test accuracy.
    pub robust_gap: f64,
}

impl GapReport {
    /// Combines two evaluations.
    pub fn new(train: Evaluation, test: Evaluation) -> Self {
        Self {
            clean_gap: train.clean_acc - test.clean_acc,
            robust_gap: train.robust_acc - test.robust_acc,
            train,
            test,
        }
    }
}

#[cfg(test)]
mod tests;
