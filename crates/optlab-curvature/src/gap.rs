//! The block-heterogeneity experiment: for an MLP, a small CNN and the tiny transformer, the
//! heterogeneity score at initialisation (JS⁰) and the final-loss gap between SGD-momentum and
//! Adam, each at its best learning rate of a sweep. The paper's claim: the larger the score,
//! the larger the gap in Adam's favour.

use std::time::Instant;

use candle_core::DType;
use optlab_core::params::ParamStore;
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::named_grads;
use optlab_optim::OptimConfig;
use rayon::prelude::*;
use serde::Serialize;

use crate::blocks::{block_spectra, heterogeneity};
use crate::error::{CurvatureError, Result};
use crate::objective::{FixedBatch, ModelKind, Net, Objective, Task};
use crate::slq::SlqConfig;

/// Settings of the gap experiment.
#[derive(Debug, Clone)]
pub struct GapOptions {
    /// Small settings (1 probe x 10 Lanczos steps, sampled transformer blocks, 3 learning
    /// rates per optimizer).
    pub quick: bool,
    /// Models to run, in order.
    pub models: Vec<ModelKind>,
    /// Training steps per run (none: 400, quick 60).
    pub steps: Option<usize>,
    /// Seed of weights, data and probes.
    pub seed: u64,
}

impl GapOptions {
    /// The training steps per run these options give.
    pub fn steps(&self) -> usize {
        self.steps.unwrap_or(if self.quick { 60 } else { 400 })
    }
}

/// Every model's row, with the settings shared by all.
#[derive(Debug, Clone, Serialize)]
pub struct GapReport {
    /// Training steps per run.
    pub steps: usize,
    /// Seed of weights, data and probes.
    pub seed: u64,
    /// One row per model, in the order asked for.
    pub rows: Vec<GapRow>,
}

/// One model's row.
#[derive(Debug, Clone, Serialize)]
pub struct GapRow {
    /// Model.
    pub model: ModelKind,
    /// Blocks in the heterogeneity score.
    pub blocks: Vec<String>,
    /// Mean pairwise JS divergence of the block densities at initialisation.
    pub heterogeneity: f64,
    /// SLQ settings used.
    pub slq: SlqConfig,
    /// `(lr, final held-out loss)` of SGD-momentum (NaN/inf = diverged).
    pub sgdm: Vec<(f64, f64)>,
    /// `(lr, final held-out loss)` of Adam.
    pub adam: Vec<(f64, f64)>,
    /// Best SGD-momentum loss minus best Adam loss (positive: Adam better).
    pub gap: f64,
    /// Initial held-out loss (for scale).
    pub initial_loss: f64,
    /// Wall seconds for the row.
    pub seconds: f64,
}

struct Plan {
    curv_batch: usize,
    train_batch: usize,
    eval_batch: usize,
    sgd_lrs: Vec<f64>,
    adam_lrs: Vec<f64>,
}

fn plan(kind: ModelKind, quick: bool) -> Plan {
    // Quick grids: three points around each optimizer's best rate in longer sweeps.
    let (sgd, adam): (Vec<f64>, Vec<f64>) = match (quick, kind) {
        (true, ModelKind::Transformer) => (vec![3e-3, 1e-2, 3e-2], vec![3e-4, 1e-3, 3e-3]),
        (true, _) => (vec![0.03, 0.1, 0.3], vec![3e-3, 1e-2, 3e-2]),
        (false, _) => (
            vec![1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0],
            vec![1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
        ),
    };
    let (curv_batch, train_batch, eval_batch) = match kind {
        ModelKind::Mlp | ModelKind::Cnn => (if quick { 64 } else { 256 }, 64, 512),
        ModelKind::Transformer => (2, if quick { 4 } else { 8 }, 16),
    };
    Plan {
        curv_batch,
        train_batch,
        eval_batch,
        sgd_lrs: sgd,
        adam_lrs: adam,
    }
}

/// The blocks whose spectra enter the score: every tensor of the MLP and CNN; for the
/// transformer, as in the reference (which samples layers), the embedding, the output head and
/// the seven matrices of the first and last layer (first layer only in quick mode).
fn blocks_of(kind: ModelKind, store: &ParamStore, quick: bool) -> Vec<String> {
    let names: Vec<String> = store.params().into_iter().map(|p| p.name).collect();
    if kind != ModelKind::Transformer {
        return names;
    }
    let layers = names
        .iter()
        .filter(|n| n.ends_with("input_layernorm.weight"))
        .count();
    let keep: Vec<String> = if quick {
        vec!["layers.0.".into()]
    } else {
        vec![
            "layers.0.".into(),
            format!("layers.{}.", layers.saturating_sub(1)),
        ]
    };
    names
        .into_iter()
        .filter(|n| {
            n.contains("embed_tokens")
                || n.contains("lm_head")
                || (keep.iter().any(|k| n.contains(k.as_str())) && !n.contains("norm"))
        })
        .collect()
}

fn train_once(
    kind: ModelKind,
    opt: &str,
    lr: f64,
    steps: usize,
    p: &Plan,
    seed: u64,
) -> Result<f64> {
    let net = Net::build(kind, DType::F32, seed)?;
    let task = Task::new(kind, seed)?;
    let (ex, ey) = task.fixed_batch(p.eval_batch, DType::F32, seed ^ 0xe7a1)?;
    let cfg = OptimConfig {
        lr,
        momentum: 0.9,
        ..Default::default()
    };
    let mut o = optlab_optim::build(opt, net.params(), &cfg)?;
    let mut rng = Rng::new(seed.wrapping_add(17));
    for _ in 0..steps {
        let (x, y) = task.batch(&mut rng, p.train_batch, DType::F32)?;
        let loss = net.loss(&x, &y)?;
        let l = loss.to_scalar::<f32>()?;
        if !l.is_finite() || l > 1e4 {
            return Ok(f64::INFINITY);
        }
        let grads = named_grads(net.params(), &loss.backward()?);
        o.step(&grads, lr)?;
    }
    let l = net.loss(&ex, &ey)?.to_scalar::<f32>()? as f64;
    Ok(if l.is_finite() { l } else { f64::INFINITY })
}

fn min_loss(v: &[(f64, f64)]) -> f64 {
    v.iter().map(|x| x.1).fold(f64::INFINITY, f64::min)
}

/// Heterogeneity and SGDM/Adam gap of one model.
pub fn gap_row(kind: ModelKind, quick: bool, steps: usize, seed: u64) -> Result<GapRow> {
    let start = Instant::now();
    let p = plan(kind, quick);
    let obj = FixedBatch::new(kind, DType::F64, p.curv_batch, seed)?;
    let blocks = blocks_of(kind, obj.params(), quick);
    let slq = SlqConfig {
        probes: if quick { 1 } else { 3 },
        steps: if quick {
            10
        } else if kind == ModelKind::Transformer {
            30
        } else {
            60
        },
        seed,
        ..Default::default()
    };
    let spectra = block_spectra(&obj, &blocks, &slq, &mut |_, _, _| {})?;
    let h = heterogeneity(&spectra, &slq)?;
    let initial_loss = {
        let net = Net::build(kind, DType::F32, seed)?;
        let (ex, ey) =
            Task::new(kind, seed)?.fixed_batch(p.eval_batch, DType::F32, seed ^ 0xe7a1)?;
        net.loss(&ex, &ey)?.to_scalar::<f32>()? as f64
    };
    let jobs: Vec<(&str, f64)> = p
        .sgd_lrs
        .iter()
        .map(|&l| ("sgd", l))
        .chain(p.adam_lrs.iter().map(|&l| ("adam", l)))
        .collect();
    let results: Vec<(&str, f64, f64)> = jobs
        .par_iter()
        .map(|&(o, lr)| Ok((o, lr, train_once(kind, o, lr, steps, &p, seed)?)))
        .collect::<Result<_>>()?;
    let pick = |name: &str| -> Vec<(f64, f64)> {
        results
            .iter()
            .filter(|r| r.0 == name)
            .map(|r| (r.1, r.2))
            .collect()
    };
    let (sgdm, adam) = (pick("sgd"), pick("adam"));
    Ok(GapRow {
        model: kind,
        blocks,
        heterogeneity: h.score,
        slq,
        gap: min_loss(&sgdm) - min_loss(&adam),
        sgdm,
        adam,
        initial_loss,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The `(lr, loss)` pair with the lowest loss (`(NaN, inf)` when every run diverged).
pub fn best_run(v: &[(f64, f64)]) -> (f64, f64) {
    v.iter().copied().fold(
        (f64::NAN, f64::INFINITY),
        |a, b| if b.1 < a.1 { b } else { a },
    )
}

/// Compute every model's row; `reporter` gets a phase over the models and a line per model.
pub fn gap_experiment(o: &GapOptions, reporter: &dyn Reporter) -> Result<GapReport> {
    let steps = o.steps();
    if steps == 0 || o.models.is_empty() {
        return Err(CurvatureError::Config(
            "gap: need at least one model and one training step".into(),
        ));
    }
    let mut rows = Vec::new();
    reporter.begin("gap", o.models.len() as u64);
    for &m in &o.models {
        reporter.log(&format!(
            "{m:?}: block spectra and {steps}-step lr sweeps …"
        ));
        rows.push(gap_row(m, o.quick, steps, o.seed)?);
        reporter.advance(rows.len() as u64, m.name());
    }
    reporter.end();
    Ok(GapReport {
        steps,
        seed: o.seed,
        rows,
    })
}
