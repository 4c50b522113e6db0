//! Training of the BDA agent: deterministic policy gradient without a critic (EIIE style).
//!
//! The reward of a decision at price index `d`, `R = mu_p / 5 - z1/2 sigma_p^2 - z2 chi_p`, uses
//! only the 5 daily returns after `d` inside the same period: `mu_p` is the 5-day portfolio
//! return, `sigma_p^2` the variance of its 5 daily returns and `chi_p = sum |w - w_prev|` the
//! turnover against the drifted previous weights. It is a differentiable function of the
//! weights, which are a differentiable function of the network outputs, so the mean reward of a
//! mini-batch is back-propagated to the parameters directly. Previous weights come from a
//! portfolio-vector memory (the weights last computed for `d - 5`, drifted to `d`), held
//! constant in the gradient as in Jiang et al. Every trading day of the training period is a
//! decision sample; validation and test trade weekly. The step with the best mean validation
//! reward is kept (model selection sees the validation period only).

use crate::backtest::Strategy;
use crate::bda::{BdaConfig, BdaNet};
use crate::bda_map::{date_inputs, BatchInputs, DateInputs};
use crate::error::ensure;
use candle_core::{DType, Device, Tensor};
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::{named_grads, TrainOptimizer};
use optlab_optim::{AdamW, OptimConfig};
use serde::Serialize;

/// Optimisation and reward constants.
#[derive(Debug, Clone, Serialize)]
pub struct BdaTrainConfig {
    /// Gradient steps.
    pub steps: usize,
    /// Decision dates per mini-batch.
    pub batch: usize,
    /// AdamW learning rate.
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Variance penalty z1.
    pub z1: f64,
    /// Turnover penalty z2 (per unit of turnover, per 5-day period).
    pub z2: f64,
    /// Evaluate on validation every this many steps.
    pub eval_every: usize,
}

impl Default for BdaTrainConfig {
    fn default() -> Self {
        Self {
            steps: 600,
            batch: 64,
            lr: 1e-3,
            weight_decay: 1e-4,
            z1: 2.5,
            z2: 1e-3,
            eval_every: 20,
        }
    }
}

/// Inputs and forward returns of one decision date.
struct Sample {
    d: usize,
    inp: DateInputs,
    fut: Vec<f64>,
    growth: Vec<f64>,
}

/// Decision dates `d` in `[start, end)` with `stride`, whose next 5 returns lie in the period.
fn samples(
    returns: &[Vec<f64>],
    start: usize,
    end: usize,
    stride: usize,
    cfg: &BdaConfig,
) -> Vec<Sample> {
    let mut out = vec![];
    let mut d = start;
    while d + 5 < end && d + 5 <= returns.len() {
        if let Some(inp) = date_inputs(&returns[..d], cfg.m, cfg.cov_lookback, cfg.tau) {
            let week = &returns[d..d + 5];
            let n = week[0].len();
            let growth = (0..n)
                .map(|i| week.iter().map(|r| 1.0 + r[i]).product::<f64>() - 1.0)
                .collect();
            out.push(Sample {
                d,
                inp,
                fut: week.concat(),
                growth,
            });
        }
        d += stride;
    }
    out
}

fn tensor(v: Vec<f64>, shape: &[usize]) -> candle_core::Result<Tensor> {
    Tensor::from_vec(v, shape, &Device::Cpu)?.to_dtype(DType::F32)
}

/// Weights, rewards `[B]` for `batch` with previous weights `w_prev` (rows).
fn rewards(
    net: &BdaNet,
    batch: &[&Sample],
    w_prev: &[Vec<f64>],
    cfg: &BdaConfig,
    tc: &BdaTrainConfig,
    x_scale: f64,
) -> candle_core::Result<(Tensor, Tensor)> {
    let (b, n) = (batch.len(), net.n_assets());
    let items: Vec<&DateInputs> = batch.iter().map(|s| &s.inp).collect();
    let inp = BatchInputs::new(&items, cfg.m, x_scale, DType::F32, &Device::Cpu)?;
    let wp = tensor(w_prev.concat(), &[b, n])?;
    let (w, _) = net.forward(&inp, &wp)?;
    let g = tensor(
        batch.iter().flat_map(|s| s.growth.clone()).collect(),
        &[b, n],
    )?;
    let fut = tensor(
        batch.iter().flat_map(|s| s.fut.clone()).collect(),
        &[b, 5, n],
    )?;
    let mu = (&w * g)?.sum(1)?;
    let daily = fut.matmul(&w.unsqueeze(2)?)?.squeeze(2)?; // [B, 5]
    let var = daily
        .broadcast_sub(&daily.mean_keepdim(1)?)?
        .sqr()?
        .mean(1)?;
    let turn = (&w - wp)?.abs()?.sum(1)?;
    let r = ((mu / 5.0)? - (var * (0.5 * tc.z1))?)?;
    let r = (r - (turn * tc.z2)?)?;
    Ok((w, r))
}

/// Weights after a period: `w (1 + g) / (1 + w . g)` (cash earns nothing here).
fn drift(w: &[f64], growth: &[f64]) -> Vec<f64> {
    let v = 1.0 + w.iter().zip(growth).map(|(a, b)| a * b).sum::<f64>();
    w.iter()
        .zip(growth)
        .map(|(a, b)| a * (1.0 + b) / v.max(1e-12))
        .collect()
}

/// Mean reward of weekly sequential trading through `period` samples (stride 5).
fn evaluate(
    net: &BdaNet,
    period: &[Sample],
    cfg: &BdaConfig,
    tc: &BdaTrainConfig,
    x_scale: f64,
) -> candle_core::Result<f64> {
    let n = net.n_assets();
    let mut w_prev = vec![0.0; n];
    let mut total = 0.0;
    for s in period {
        let (w, r) = rewards(net, &[s], &[w_prev.clone()], cfg, tc, x_scale)?;
        total += r.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let w: Vec<f64> = w.flatten_all()?.to_dtype(DType::F64)?.to_vec1()?;
        w_prev = drift(&w, &s.growth);
    }
    Ok(total / period.len().max(1) as f64)
}

/// Training record of one seed.
#[derive(Debug, Clone, Serialize)]
pub struct BdaReport {
    /// Seed of the initial parameters and batch sampling.
    pub seed: u64,
    /// Steps at which validation ran.
    pub eval_steps: Vec<usize>,
    /// Mean mini-batch training reward since the previous evaluation.
    pub train_reward: Vec<f64>,
    /// Mean validation reward (weekly trading) at each evaluation.
    pub valid_reward: Vec<f64>,
    /// Step whose parameters were kept.
    pub best_step: usize,
    /// Training samples (daily decision dates) and validation decisions.
    pub n_train: usize,
    /// Number of weekly validation decisions.
    pub n_valid: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A trained agent, usable as a backtest strategy.
pub struct BdaAgent {
    /// The networks (best validation parameters).
    pub net: BdaNet,
    /// Their configuration.
    pub cfg: BdaConfig,
    /// Input scale: standard deviation of training-period daily log returns.
    pub x_scale: f64,
}

/// Trains on price indices `train = [a, b)`, selects on `valid`; `returns` are daily simple
/// returns (row `k` = price `k` to `k + 1`). `reporter` sees one phase of `steps` units,
/// advanced at every validation with its reward.
pub fn train_bda(
    returns: &[Vec<f64>],
    train: (usize, usize),
    valid: (usize, usize),
    cfg: &BdaConfig,
    tc: &BdaTrainConfig,
    seed: u64,
    reporter: &dyn Reporter,
) -> crate::error::Result<(BdaAgent, BdaReport)> {
    let clock = std::time::Instant::now();
    let n = returns.first().map_or(0, |r| r.len());
    ensure!(
        tc.batch >= 1 && cfg.cov_lookback >= 2 && tc.lr > 0.0,
        "need batch >= 1 (got {}), cov_lookback >= 2 (got {}) and lr > 0 (got {})",
        tc.batch,
        cfg.cov_lookback,
        tc.lr
    );
    let tr = samples(returns, train.0, train.1, 1, cfg);
    let va = samples(returns, valid.0, valid.1, 5, cfg);
    ensure!(
        tr.len() >= tc.batch.max(1) && !va.is_empty(),
        "training ({} dates) or validation ({} decisions) period too short for the agent \
         (needs {} days of history, batch {})",
        tr.len(),
        va.len(),
        (5 * cfg.m).max(cfg.cov_lookback),
        tc.batch
    );
    let logs: Vec<f64> = returns[train.0..train.1 - 1]
        .iter()
        .flatten()
        .map(|r| r.ln_1p())
        .collect();
    let mean = logs.iter().sum::<f64>() / logs.len().max(1) as f64;
    let x_scale = (logs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / logs.len().max(1) as f64)
        .sqrt()
        .max(1e-8);
    let net = BdaNet::new(cfg, n, seed)?;
    let mut opt = AdamW::new(
        net.params(),
        OptimConfig {
            lr: tc.lr,
            weight_decay: tc.weight_decay,
            ..OptimConfig::default()
        },
    )?;
    let first = tr[0].d;
    let span = tr.last().map_or(0, |s| s.d - first + 1);
    let mut pvm = vec![vec![0.0; n]; span];
    let mut rng = Rng::new(seed.wrapping_mul(0x9e37_79b9) ^ 0x5eed);
    let mut rep = BdaReport {
        seed,
        eval_steps: vec![],
        train_reward: vec![],
        valid_reward: vec![],
        best_step: 0,
        n_train: tr.len(),
        n_valid: va.len(),
        seconds: 0.0,
    };
    let mut best = (f64::NEG_INFINITY, net.params().snapshot()?);
    let (mut acc, mut cnt) = (0.0, 0usize);
    reporter.begin(&format!("bda seed {seed}"), tc.steps as u64);
    for step in 0..=tc.steps {
        if step.is_multiple_of(tc.eval_every.max(1)) || step == tc.steps {
            let v = evaluate(&net, &va, cfg, tc, x_scale)?;
            ensure!(v.is_finite(), "non-finite validation reward at step {step}");
            reporter.advance(step as u64, &format!("valid reward {v:.5}"));
            rep.eval_steps.push(step);
            rep.valid_reward.push(v);
            rep.train_reward
                .push(if cnt > 0 { acc / cnt as f64 } else { f64::NAN });
            (acc, cnt) = (0.0, 0);
            if v > best.0 {
                best = (v, net.params().snapshot()?);
                rep.best_step = step;
            }
        }
        if step == tc.steps {
            break;
        }
        let idx: Vec<usize> = (0..tc.batch)
            .map(|_| (rng.next_u64() % tr.len() as u64) as usize)
            .collect();
        let batch: Vec<&Sample> = idx.iter().map(|&i| &tr[i]).collect();
        let w_prev: Vec<Vec<f64>> = idx.iter().map(|&i| pvm[tr[i].d - first].clone()).collect();
        let (w, r) = rewards(&net, &batch, &w_prev, cfg, tc, x_scale)?;
        let mean_r = r.mean_all()?;
        let loss = (mean_r.neg()? * 1e3)?;
        let grads = named_grads(net.params(), &loss.backward()?);
        opt.step(&grads, tc.lr)?;
        let mr = mean_r.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        ensure!(mr.is_finite(), "non-finite training reward at step {step}");
        acc += mr;
        cnt += 1;
        let w: Vec<Vec<f64>> = w.to_dtype(DType::F64)?.to_vec2()?;
        for (k, &i) in idx.iter().enumerate() {
            let next = tr[i].d + 5 - first;
            if next < pvm.len() {
                pvm[next] = drift(&w[k], &tr[i].growth);
            }
        }
    }
    reporter.end();
    net.params()
        .assign(best.1, std::path::Path::new("<best validation snapshot>"))?;
    rep.seconds = clock.elapsed().as_secs_f64();
    Ok((
        BdaAgent {
            net,
            cfg: cfg.clone(),
            x_scale,
        },
        rep,
    ))
}

impl BdaAgent {
    fn weights(&self, history: &[Vec<f64>], current: &[f64]) -> candle_core::Result<Vec<f64>> {
        let n = current.len();
        let Some(inp) = date_inputs(history, self.cfg.m, self.cfg.cov_lookback, self.cfg.tau)
        else {
            return Ok(vec![0.0; n]);
        };
        let b = BatchInputs::new(&[&inp], self.cfg.m, self.x_scale, DType::F32, &Device::Cpu)?;
        let wp = tensor(current.to_vec(), &[1, n])?;
        let (w, _) = self.net.forward(&b, &wp)?;
        w.flatten_all()?.to_dtype(DType::F64)?.to_vec1()
    }
}

impl Strategy for BdaAgent {
    fn name(&self) -> String {
        if self.cfg.direct {
            "tf_direct".into()
        } else {
            "bda".into()
        }
    }
    /// Cash until the history covers the state and covariance windows; on an internal error the
    /// agent keeps its holdings (the backtester then reports the unchanged weights).
    fn decide(&mut self, history: &[Vec<f64>], current: &[f64]) -> Option<Vec<f64>> {
        self.weights(history, current).ok()
    }
}

#[cfg(test)]
#[path = "bda_train_tests.rs"]
mod tests;
