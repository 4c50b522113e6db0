//! SCARA's fine-tuning-free estimate of how hard the closed layers are to recover, and the
//! rule that picks how many bottom layers to close.
//!
//! Definition used (SCARA reference code, `RD-Llama.py`): the recovery difficulty RD(k) is
//! the plain evaluation cross-entropy of the model whose decoder layers `0..k` are replaced
//! by freshly initialised ones (Linear ~ N(0, 0.02), RMSNorm weights 1: what `Llama::new`
//! draws) while embeddings, the other layers, the final norm and the head stay original.
//! RD(random) is the loss of a model with every parameter freshly initialised. The chosen
//! `k` is the smallest with `RD(k) * (1 + tau) >= RD(random)`, tau = 0.2. Where the
//! reference draws one random initialisation, this averages RD over several seeds and
//! reports the spread. Candidates run over `1..=L` (the reference stops at `L - 1`; `L`
//! is shown so "close every layer" is in the table).
//!
//! Only forward passes run here: the functions take `&Llama` and nothing in this file
//! builds an optimizer or calls backward (a test checks both).

use crate::error::{bail, Result};
use candle_core::{DType, Tensor};
use optlab_core::models::{lm_loss, Llama};
use serde::Serialize;

use crate::split::layer_of;

/// SCARA's tolerance: a `k` qualifies when RD(k) is within 20 % of a random model's loss.
pub const DEFAULT_TAU: f64 = 0.2;

/// The metric at one candidate `k`.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    /// Closed bottom layers.
    pub k: usize,
    /// RD(k), mean over the random initialisations.
    pub rd_mean: f64,
    /// Smallest RD(k) over the initialisations.
    pub rd_min: f64,
    /// Largest RD(k) over the initialisations.
    pub rd_max: f64,
    /// `rd_mean * (1 + tau)`, compared against the random model's RD.
    pub scaled: f64,
    /// Whether this `k` meets the rule.
    pub qualifies: bool,
    /// Share of all parameters inside the closed layers.
    pub closed_fraction: f64,
}

/// The per-`k` table and the choice.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Decoder layers of the model.
    pub num_layers: usize,
    /// Tolerance used.
    pub tau: f64,
    /// Seeds of the random initialisations.
    pub seeds: Vec<u64>,
    /// Evaluation loss of the original model (RD(0)).
    pub rd_original: f64,
    /// RD of a fully random model, mean over the initialisations.
    pub rd_random: f64,
    /// RD of the fully random model per initialisation.
    pub rd_random_per_seed: Vec<f64>,
    /// One row per candidate `k = 1..=L`.
    pub rows: Vec<PlanRow>,
    /// Smallest qualifying `k`, if any.
    pub chosen_k: Option<usize>,
}

fn loss(logits: &Tensor, y: &Tensor) -> Result<f64> {
    Ok(lm_loss(logits, y)?
        .to_dtype(DType::F64)?
        .to_scalar::<f64>()?)
}

/// Mean evaluation loss of the hybrid models for every `k = 0..=L` on `batches`:
/// element `k` is RD(k) with `random`'s layers `0..k` under `original`'s embeddings, upper
/// layers, final norm and head. Token-weighted mean over the batches.
pub fn rd_curve(
    original: &Llama,
    random: &Llama,
    batches: &[(Tensor, Tensor)],
) -> Result<Vec<f64>> {
    let layers = original.config().num_hidden_layers;
    if random.config() != original.config() {
        bail!("the random model's configuration differs from the original's");
    }
    if batches.is_empty() {
        bail!("no evaluation batches");
    }
    let mut sums = vec![0f64; layers + 1];
    let mut tokens = 0f64;
    for (x, y) in batches {
        let w = y.elem_count() as f64;
        let mut h = original.embed_tokens(x)?.detach();
        for (k, sum) in sums.iter_mut().enumerate() {
            if k > 0 {
                h = random.run_layers(&h, k - 1..k)?.detach();
            }
            let top = original.run_layers(&h, k..layers)?;
            *sum += w * loss(&original.logits_from_hidden(&top)?, y)?;
        }
        tokens += w;
    }
    Ok(sums.into_iter().map(|s| s / tokens).collect())
}

/// Token-weighted mean evaluation loss of `model` on `batches` (RD of that model).
pub fn eval_loss(model: &Llama, batches: &[(Tensor, Tensor)]) -> Result<f64> {
    let (mut sum, mut tokens) = (0f64, 0f64);
    for (x, y) in batches {
        let w = y.elem_count() as f64;
        sum += w * loss(&model.forward(x)?, y)?;
        tokens += w;
    }
    if tokens == 0.0 {
        bail!("no evaluation batches");
    }
    Ok(sum / tokens)
}

/// Share of `model`'s parameters in decoder layers `0..k`, for every `k = 0..=L`.
pub fn closed_fractions(model: &Llama) -> Vec<f64> {
    let layers = model.config().num_hidden_layers;
    let mut per_layer = vec![0usize; layers];
    let mut total = 0usize;
    for p in model.params().params() {
        let n = p.var.elem_count();
        total += n;
        if let Some(i) = layer_of(&p.name).filter(|&i| i < layers) {
            per_layer[i] += n;
        }
    }
    let mut out = vec![0.0];
    let mut acc = 0usize;
    for n in per_layer {
        acc += n;
        out.push(acc as f64 / total.max(1) as f64);
    }
    out
}

/// SCARA's rule: given RD(k) for `k = 1, 2, …` (`rd[0]` is `k = 1`), the smallest `k`
/// with `RD(k) * (1 + tau) >= rd_random`.
pub fn choose_k(rd: &[f64], rd_random: f64, tau: f64) -> Option<usize> {
    rd.iter()
        .position(|&r| r * (1.0 + tau) >= rd_random)
        .map(|i| i + 1)
}

/// Compute the SCARA table for `original` on `batches`, averaging over one fresh random
/// model per seed, and choose `k` with tolerance `tau`.
pub fn plan(
    original: &Llama,
    batches: &[(Tensor, Tensor)],
    seeds: &[u64],
    tau: f64,
) -> Result<Plan> {
    if seeds.is_empty() {
        bail!("need at least one random initialisation (seed)");
    }
    if !(tau.is_finite() && tau >= 0.0) {
        bail!("tolerance tau must be a finite non-negative number, got {tau}");
    }
    let cfg = original.config();
    let dev = original.params().params()[0].var.device().clone();
    let layers = cfg.num_hidden_layers;
    let (mut curves, mut randoms) = (Vec::new(), Vec::new());
    for &s in seeds {
        let random = Llama::new(cfg, DType::F32, &dev, s)?;
        curves.push(rd_curve(original, &random, batches)?);
        randoms.push(eval_loss(&random, batches)?);
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let rd_random = mean(&randoms);
    let fractions = closed_fractions(original);
    let rows: Vec<PlanRow> = (1..=layers)
        .map(|k| {
            let at: Vec<f64> = curves.iter().map(|c| c[k]).collect();
            let rd_mean = mean(&at);
            PlanRow {
                k,
                rd_mean,
                rd_min: at.iter().copied().fold(f64::INFINITY, f64::min),
                rd_max: at.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                scaled: rd_mean * (1.0 + tau),
                qualifies: rd_mean * (1.0 + tau) >= rd_random,
                closed_fraction: fractions[k],
            }
        })
        .collect();
    Ok(Plan {
        num_layers: layers,
        tau,
        seeds: seeds.to_vec(),
        rd_original: mean(&curves.iter().map(|c| c[0]).collect::<Vec<_>>()),
        rd_random,
        rd_random_per_seed: randoms,
        chosen_k: choose_k(
            &rows.iter().map(|r| r.rd_mean).collect::<Vec<_>>(),
            rd_random,
            tau,
        ),
        rows,
    })
}
