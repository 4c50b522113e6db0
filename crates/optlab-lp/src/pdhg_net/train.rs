//! Training of PDHG-Net on a generated family, optimised with AdamW, one LP per step as in the
//! reference. Two losses: supervised `mse` (labels are optlab's own PDHG solutions at relative
//! KKT ≤ `label_tol`; squared error of the stacked pair `(x̂, ŷ)` relative to the label's
//! squared norm, so small and large instances weigh alike) and unsupervised `kkt` (no labels;
//! [`super::kkt_loss`]).

use super::error::{NetError, Result};
use super::graph::{LpGraph, RowKind};
use super::model::{NetShape, PdhgNet};
use super::{NetConfig, NetModel, FORMAT};
use crate::generate::{pagerank, planted, Family};
use crate::model::LpProblem;
use crate::options::SolveOptions;
use crate::solution::Status;
use crate::solve::solve;
use candle_core::{Device, Tensor};
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::{named_grads, TrainOptimizer};
use optlab_optim::{AdamW, OptimConfig};

/// Training loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LossKind {
    /// Relative squared error to PDHG-computed labels (supervised).
    Mse,
    /// Relative KKT residual of the prediction itself (unsupervised, no labels).
    Kkt,
}

/// Training settings.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Training loss.
    pub loss: LossKind,
    /// Instance family.
    pub family: Family,
    /// Largest size parameter (PageRank nodes; covering/packing columns, with half as many
    /// rows); instances cycle through `n/4, n/2, 3n/4, n`.
    pub size: usize,
    /// Number of training instances.
    pub instances: usize,
    /// Passes over the instances.
    pub epochs: usize,
    /// Architecture.
    pub shape: NetShape,
    /// AdamW learning rate.
    pub lr: f64,
    /// Seed of the instances and of the initial weights.
    pub seed: u64,
    /// Relative KKT tolerance of the label solves.
    pub label_tol: f64,
}

/// Lower-case family name, as stored in the config.
pub fn family_name(f: Family) -> String {
    f.name().to_string()
}

fn training_error(msg: String) -> NetError {
    NetError::Training(msg)
}

/// One generated instance of `family` with size parameter `size`.
pub fn instance(family: Family, size: usize, seed: u64) -> Result<LpProblem> {
    match family.planted_kind() {
        None => {
            if size < 4 {
                return Err(NetError::UnsupportedLp(format!(
                    "PageRank instances need at least 4 nodes, got {size}"
                )));
            }
            Ok(pagerank(size, 3, 0.85, seed).0)
        }
        Some(kind) => {
            if size < 2 {
                return Err(NetError::UnsupportedLp(format!(
                    "covering/packing instances need at least 2 columns, got {size}"
                )));
            }
            let density = (10.0 / size as f64).min(1.0);
            Ok(planted(kind, size / 2, size, density, seed).problem)
        }
    }
}

/// Size of training instance `i`: cycles through `n/4, n/2, 3n/4, n`, so the net sees several
/// sizes (it must not learn one size's aggregation magnitudes) and never more than `n`.
pub fn train_size(n: usize, i: usize) -> usize {
    (n * (1 + i % 4) / 4).max(n.min(8))
}

/// An instance ready for training: its graph, labels (MSE loss only) and data norms.
pub struct Sample {
    /// The graph.
    pub graph: LpGraph,
    /// `(x*, y*, ‖x*‖² + ‖y*‖²)` in the net space, or `None` for the unsupervised loss.
    labels: Option<(Tensor, Tensor, f64)>,
    /// `(‖b̃‖, ‖c̃‖)` of the normalised LP.
    norms: (f64, f64),
}

/// Generates `count` instances like [`labelled`] but solves none of them (KKT loss).
pub fn unlabelled(
    family: Family,
    size: usize,
    count: usize,
    first_seed: u64,
) -> Result<Vec<Sample>> {
    (0..count as u64)
        .map(|i| {
            let p = instance(family, train_size(size, i as usize), first_seed + i)?;
            let graph = LpGraph::new(&p, &Device::Cpu)?;
            let norms = super::kkt_loss::graph_norms(&graph);
            Ok(Sample {
                graph,
                labels: None,
                norms,
            })
        })
        .collect()
}

/// Generates `count` instances (sizes [`train_size`]`(size, i)`) with seeds `first_seed..` and
/// labels them with PDHG at `tol`.
pub fn labelled(
    family: Family,
    size: usize,
    count: usize,
    first_seed: u64,
    tol: f64,
) -> Result<Vec<Sample>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let p = instance(family, train_size(size, i as usize), first_seed + i)?;
        let sol = solve(
            &p,
            &SolveOptions {
                tol,
                ..Default::default()
            },
        )?;
        if sol.status != Status::Optimal {
            return Err(training_error(format!(
                "label solve of {} ended {:?}, not optimal",
                p.name, sol.status
            )));
        }
        let graph = LpGraph::new(&p, &Device::Cpu)?;
        let (xs, ys) = graph.to_net_space(&sol.x, &sol.y);
        let norm2 = xs
            .iter()
            .chain(&ys)
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>();
        let labels = Some((
            Tensor::from_vec(xs, graph.n, &Device::Cpu)?,
            Tensor::from_vec(ys, graph.m, &Device::Cpu)?,
            norm2.max(1e-12),
        ));
        let norms = super::kkt_loss::graph_norms(&graph);
        out.push(Sample {
            labels,
            norms,
            graph,
        });
    }
    Ok(out)
}

/// The loss of one sample as a differentiable scalar: with labels,
/// `(‖x̂ − x*‖² + ‖ŷ − y*‖²) / (‖x*‖² + ‖y*‖²)`; without, the KKT loss of the prediction.
pub fn loss(net: &PdhgNet, s: &Sample) -> Result<Tensor> {
    let (xh, yh) = net.forward(&s.graph)?;
    match &s.labels {
        Some((x, y, norm2)) => {
            let ex = (xh - x)?.sqr()?.sum_all()?;
            let ey = (yh - y)?.sqr()?.sum_all()?;
            Ok(((ex + ey)? / *norm2)?)
        }
        None => super::kkt_loss::kkt_loss(&s.graph, &xh, &yh, s.norms),
    }
}

/// Mean loss over samples (no gradient).
pub fn mean_loss(net: &PdhgNet, samples: &[Sample]) -> Result<f64> {
    let mut t = 0.0;
    for s in samples {
        t += f64::from(loss(net, s)?.to_scalar::<f32>()?);
    }
    Ok(t / samples.len().max(1) as f64)
}

/// Trains a PDHG-Net; returns the model with its config (loss history in `training`).
/// Reports a `train` phase of one unit per epoch, and each epoch's mean loss as a log line.
pub fn train(o: &TrainOptions, reporter: &dyn Reporter) -> Result<NetModel> {
    if o.instances == 0 || o.epochs == 0 {
        return Err(training_error(
            "need at least one training instance and one epoch".into(),
        ));
    }
    if o.lr.is_nan() || o.lr <= 0.0 || o.label_tol.is_nan() || o.label_tol <= 0.0 {
        return Err(training_error(
            "learning rate and label tolerance must be positive".into(),
        ));
    }
    let first_seed = o.seed.wrapping_mul(1_000_003);
    let samples = match o.loss {
        LossKind::Mse => labelled(o.family, o.size, o.instances, first_seed, o.label_tol)?,
        LossKind::Kkt => unlabelled(o.family, o.size, o.instances, first_seed)?,
    };
    let net = PdhgNet::new(o.shape, o.seed)?;
    let cfg = OptimConfig {
        lr: o.lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        ..Default::default()
    };
    let mut opt = AdamW::new(&net.store, cfg)?;
    let initial = mean_loss(&net, &samples)?;
    let mut history = Vec::with_capacity(o.epochs);
    let mut rng = Rng::new(o.seed ^ 0x5eed);
    reporter.begin("train", o.epochs as u64);
    let mut order: Vec<usize> = (0..samples.len()).collect();
    for epoch in 0..o.epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut sum = 0.0;
        for &i in &order {
            let l = loss(&net, &samples[i])?;
            sum += f64::from(l.to_scalar::<f32>()?);
            // Detached: candle's gradients keep their op history, which the optimizer's moment
            // tensors would otherwise chain across steps (memory grows every step).
            let grads = named_grads(&net.store, &l.backward()?)
                .into_iter()
                .map(|(k, g)| (k, g.detach()))
                .collect();
            opt.step(&grads, o.lr)?;
        }
        let mean = sum / samples.len() as f64;
        if !mean.is_finite() {
            reporter.end();
            return Err(training_error(format!(
                "training diverged at epoch {epoch} (loss {mean}); try a smaller --lr"
            )));
        }
        reporter.advance(epoch as u64 + 1, &format!("loss {mean:.5}"));
        reporter.log(&format!("epoch {:>4}  loss {mean:.5}", epoch + 1));
        history.push(mean);
    }
    reporter.end();
    let final_loss = mean_loss(&net, &samples)?;
    let mut kinds: Vec<RowKind> = samples.iter().flat_map(|s| s.graph.kinds.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let config = NetConfig {
        format: FORMAT.to_string(),
        shape: o.shape,
        family: family_name(o.family),
        train_size: o.size,
        instances: o.instances,
        row_kinds: kinds,
        training: serde_json::json!({
            "epochs": o.epochs, "lr": o.lr, "seed": o.seed, "label_tol": o.label_tol,
            "loss": o.loss,
            "loss_meaning": match o.loss {
                LossKind::Mse => "relative squared error of (x, y) to PDHG labels in the normalised scaled space",
                LossKind::Kkt => "relative KKT residual (primal, dual, gap) of the prediction, no labels",
            },
            "initial_loss": initial, "final_loss": final_loss, "epoch_mean_loss": history,
        }),
    };
    Ok(NetModel { config, net })
}
