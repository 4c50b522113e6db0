//! Customisability: a customer of the semi-open model fine-tunes only the public layers above
//! the closed ones (the closed service returns hidden states, so nothing below it can be
//! trained: not the closed layers, and not the embeddings that feed them), against
//! fine-tuning the fully open model.

use std::collections::HashSet;
use std::path::Path;

use crate::error::Result;
use candle_core::Tensor;
use optlab_core::models::Llama;
use optlab_core::tokenizer::Tokenizer;
use serde::Serialize;

use crate::data::{blocks, downstream_lines, encode_lines, quality, Quality};
use crate::finetune::{finetune, FinetuneConfig, OptimizerFactory, Workdir};
use crate::split::{check_k, layer_of};

/// Parameters a customer can train when the bottom `k` layers are closed: decoder layers
/// `k..`, the final norm and the head (unless the head is tied to the embeddings).
pub fn public_trainable(model: &Llama, k: usize) -> HashSet<String> {
    let tied = model.config().tie_word_embeddings;
    model
        .params()
        .params()
        .into_iter()
        .map(|p| p.name)
        .filter(|n| match layer_of(n) {
            Some(i) => i >= k,
            None => n == "model.norm.weight" || (n == "lm_head.weight" && !tied),
        })
        .collect()
}

/// An independent copy of a model (same configuration, same values, separate storage).
pub fn clone_model(model: &Llama) -> Result<Llama> {
    let dev = model.params().params()[0].var.device().clone();
    Ok(model.deep_copy(&dev)?)
}

/// Customisation result on a downstream task's held-out data.
#[derive(Debug, Clone, Serialize)]
pub struct CustomiseOutcome {
    /// Seed of the run (customer samples and batch order).
    pub seed: u64,
    /// Closed layers.
    pub k: usize,
    /// The original model, not fine-tuned.
    pub before: Quality,
    /// Only the public layers fine-tuned.
    pub public_only: Quality,
    /// Every parameter fine-tuned (fully open model).
    pub full: Quality,
    /// Share of parameters the customer could train.
    pub trainable_fraction: f64,
}

/// Fine-tune copies of `original` on `samples` (optimizers from `make_optimizer`), once
/// with only the public layers above `k` trainable and once fully open, and score both on
/// `heldout`.
pub fn customise(
    original: &Llama,
    (k, samples): (usize, &[u32]),
    heldout: &[(Tensor, Tensor)],
    cfg: &FinetuneConfig,
    make_optimizer: &OptimizerFactory,
    work: &Path,
) -> Result<CustomiseOutcome> {
    check_k(k, original.config().num_hidden_layers)?;
    let before = quality(|x| Ok(original.forward(x)?), heldout)?;
    let semi = clone_model(original)?;
    let names = public_trainable(&semi, k);
    let trainable: usize = semi
        .params()
        .params()
        .iter()
        .filter(|p| names.contains(&p.name))
        .map(|p| p.var.elem_count())
        .sum();
    let trainable_fraction = trainable as f64 / semi.params().num_elements() as f64;
    let public_work = work.join("public-only");
    let public_work = Workdir::temporary(&public_work);
    finetune(
        &semi,
        samples,
        Some(names),
        cfg,
        make_optimizer,
        public_work,
    )?;
    let public_only = quality(|x| Ok(semi.forward(x)?), heldout)?;
    drop(semi);
    let open = clone_model(original)?;
    let full_work = work.join("full");
    let full_work = Workdir::temporary(&full_work);
    finetune(&open, samples, None, cfg, make_optimizer, full_work)?;
    let full = quality(|x| Ok(open.forward(x)?), heldout)?;
    Ok(CustomiseOutcome {
        seed: cfg.seed,
        k,
        before,
        public_only,
        full,
        trainable_fraction,
    })
}

/// The customer of [`customise_seeds`]: how it tokenises, and how many downstream lines it
/// has per seed.
#[derive(Clone, Copy)]
pub struct Customer<'a> {
    /// The model's tokenizer.
    pub tokenizer: &'a dyn Tokenizer,
    /// Downstream-task lines per seed.
    pub samples: usize,
}

/// [`customise`] once per seed on the downstream task: the customer's lines drawn per seed,
/// scored on a fixed held-out set of the same task. Gradient clipping is off so both arms
/// see the same update rule.
pub fn customise_seeds(
    original: &Llama,
    k: usize,
    customer: Customer<'_>,
    seeds: &[u64],
    cfg: &FinetuneConfig,
    make_optimizer: &OptimizerFactory,
    work: &Path,
) -> Result<Vec<CustomiseOutcome>> {
    let (tok, samples) = (customer.tokenizer, customer.samples);
    let dev = original.params().params()[0].var.device().clone();
    let held = blocks(
        &encode_lines(&downstream_lines(77, 400), tok)?,
        8,
        64,
        8,
        &dev,
    )?;
    seeds
        .iter()
        .map(|&s| {
            let data = encode_lines(&downstream_lines(2_000 + s, samples), tok)?;
            let ft = FinetuneConfig {
                seed: s,
                clip: 0.0,
                ..cfg.clone()
            };
            customise(
                original,
                (k, &data),
                &held,
                &ft,
                make_optimizer,
                &work.join(format!("custom-s{s}")),
            )
        })
        .collect()
}
