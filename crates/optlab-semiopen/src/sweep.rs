//! Attack sweeps shared by `optlab semiopen attack` and the reproduce experiment: for each
//! number of closed layers and each seed, split the owner's model, rebuild the closed layers
//! from random weights (or a donor model), fine-tune on the attacker's samples, and score
//! the result on held-out data against the original.

use std::path::Path;

use crate::error::Result;
use candle_core::{DType, Tensor};
use optlab_core::models::Llama;
use optlab_core::tokenizer::Tokenizer;
use serde::Serialize;

use crate::attack::{attack, attacker_model, recovery, ClosedInit, Recovery};
use crate::combined::split_in_memory;
use crate::data::{encode_lines, quality, task_lines, Quality};
use crate::finetune::{FinetuneConfig, OptimizerFactory};
use crate::metric::closed_fractions;

/// Which closed-layer setting an attack row is about.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Closed {
    /// The bottom `k` decoder layers are closed; everything else is public.
    Bottom(usize),
    /// Nothing is public: the attacker starts from a random model.
    Everything,
}

/// One attack run.
#[derive(Debug, Clone, Serialize)]
pub struct AttackRow {
    /// What was closed.
    pub closed: Closed,
    /// Replacement for the closed layers: `random` or `donor`.
    pub init: &'static str,
    /// Seed (attacker samples, initialisation, batch order).
    pub seed: u64,
    /// Attacker samples.
    pub samples: usize,
    /// Quality before fine-tuning.
    pub before: Quality,
    /// Quality after fine-tuning.
    pub after: Quality,
    /// Recovery relative to the original.
    pub recovery: Recovery,
    /// Share of parameters closed.
    pub closed_fraction: f64,
}

/// Everything an attack sweep needs besides the owner's model.
pub struct SweepSetup<'a> {
    /// Tokenizer of the model.
    pub tokenizer: &'a dyn Tokenizer,
    /// Held-out evaluation batches.
    pub heldout: &'a [(Tensor, Tensor)],
    /// Original model's held-out quality.
    pub original: Quality,
    /// A random model's held-out quality.
    pub random: Quality,
    /// Attacker samples per run.
    pub samples: usize,
    /// Fine-tuning recipe (its seed is replaced per run).
    pub finetune: FinetuneConfig,
    /// The attacker's optimizer.
    pub optimizer: &'a OptimizerFactory,
    /// Scratch folder for the fine-tuning runs.
    pub work: &'a Path,
}

/// The attacker's `n` samples for `seed` (disjoint seeds from the held-out data).
pub fn attacker_samples(tok: &dyn Tokenizer, seed: u64, n: usize) -> Result<Vec<u32>> {
    encode_lines(&task_lines(1_000 + seed, n), tok)
}

/// Held-out quality of a freshly initialised model (mean over `seeds`).
pub fn random_quality(
    original: &Llama,
    heldout: &[(Tensor, Tensor)],
    seeds: &[u64],
) -> Result<Quality> {
    let dev = original.params().params()[0].var.device().clone();
    let (mut loss, mut acc) = (0.0, 0.0);
    for &s in seeds {
        let m = Llama::new(original.config(), DType::F32, &dev, 50_000 + s)?;
        let q = quality(|x| Ok(m.forward(x)?), heldout)?;
        loss += q.loss;
        acc += q.accuracy;
    }
    let n = seeds.len().max(1) as f64;
    Ok(Quality {
        loss: loss / n,
        accuracy: acc / n,
    })
}

/// Run one attack against `original` with `closed` layers hidden, from `donor` layers if
/// given, else from random weights.
pub fn run_one(
    original: &Llama,
    closed: Closed,
    donor: Option<&Llama>,
    seed: u64,
    s: &SweepSetup<'_>,
) -> Result<AttackRow> {
    let dev = original.params().params()[0].var.device().clone();
    let fractions = closed_fractions(original);
    let (model, closed_fraction) = match closed {
        Closed::Bottom(k) => {
            let public = split_in_memory(original, k, &dev)?.public;
            let init = match donor {
                Some(d) => ClosedInit::Donor(d),
                None => ClosedInit::Random(10_000 + seed),
            };
            (attacker_model(&public, &init)?, fractions[k])
        }
        Closed::Everything => (
            Llama::new(original.config(), DType::F32, &dev, 10_000 + seed)?,
            1.0,
        ),
    };
    let samples = attacker_samples(s.tokenizer, seed, s.samples)?;
    let cfg = FinetuneConfig {
        seed,
        ..s.finetune.clone()
    };
    let tag = match closed {
        Closed::Bottom(k) => format!("k{k}"),
        Closed::Everything => "all".into(),
    };
    let out = attack(
        &model,
        &samples,
        s.heldout,
        &cfg,
        s.optimizer,
        &s.work.join(format!("{tag}-s{seed}")),
    )?;
    Ok(AttackRow {
        closed,
        init: if donor.is_some() { "donor" } else { "random" },
        seed,
        samples: s.samples,
        before: out.before,
        after: out.after,
        recovery: recovery(s.original, s.random, out.after),
        closed_fraction,
    })
}

/// Mean and sample standard deviation (0 and 0 when empty; sd 0 for one value).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    (
        optlab_core::stats::mean(xs).unwrap_or(0.0),
        optlab_core::stats::std_dev(xs).unwrap_or(0.0),
    )
}

/// Per-setting summary over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct AttackSummary {
    /// What was closed.
    pub closed: Closed,
    /// Replacement init.
    pub init: &'static str,
    /// Seeds aggregated.
    pub runs: usize,
    /// Share of parameters closed.
    pub closed_fraction: f64,
    /// Held-out loss after the attack: mean, std.
    pub loss: (f64, f64),
    /// Accuracy ratio recovered/original: mean, std.
    pub accuracy_ratio: (f64, f64),
    /// Loss gap closed: mean, std.
    pub loss_gap_closed: (f64, f64),
}

/// Group rows by (closed, init) in first-seen order and summarise each group.
pub fn summarise(rows: &[AttackRow]) -> Vec<AttackSummary> {
    let mut keys: Vec<(Closed, &'static str)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.closed, r.init)) {
            keys.push((r.closed, r.init));
        }
    }
    keys.into_iter()
        .map(|(closed, init)| {
            let g: Vec<&AttackRow> = rows
                .iter()
                .filter(|r| r.closed == closed && r.init == init)
                .collect();
            let col = |f: &dyn Fn(&AttackRow) -> f64| {
                mean_std(&g.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            AttackSummary {
                closed,
                init,
                runs: g.len(),
                closed_fraction: g[0].closed_fraction,
                loss: col(&|r| r.after.loss),
                accuracy_ratio: col(&|r| r.recovery.accuracy_ratio),
                loss_gap_closed: col(&|r| r.recovery.loss_gap_closed),
            }
        })
        .collect()
}
