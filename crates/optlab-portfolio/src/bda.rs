//! The BDA agent of Sun et al. (Black-Litterman model based DRL Agent) in candle.
//!
//! State `s_t = (w_{t-1}, X_t)` with `X_t` the daily log returns of the last `m` 5-day periods.
//! * tau1: a Transformer encoder **without positional encoding**; each 5-day period is one token
//!   (a patch of `5 x N` returns). Its mean-pooled output, concatenated with `w_{t-1}`, gives
//!   the absolute views `q_t` (`P = I`).
//! * tau2: a 1-D CNN over time (assets as channels) whose output passes a softplus to give a
//!   positive scalar risk aversion `lambda_t`.
//!
//! The weights follow from the differentiable BL map of [`crate::bda_map`]. The `direct`
//! variant (a baseline) has the same Transformer emit the raw weights, with no BL step and no
//! CNN. Parameters live in an optlab-core [`ParamStore`] so optlab-optim's AdamW trains them.

use crate::bda_map::{bl_weights, to_gross, BatchInputs};
use crate::error::ensure;
use candle_core::{DType, Device, Module, Tensor, D};
use optlab_core::models::Dense;
use optlab_core::ops::{layer_norm, softmax_last_dim};
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use serde::Serialize;

/// Architecture and BL constants of the agent.
#[derive(Debug, Clone, Serialize)]
pub struct BdaConfig {
    /// Number of past 5-day periods in the state (Transformer tokens).
    pub m: usize,
    /// Covariance window in days (Ledoit-Wolf on log returns).
    pub cov_lookback: usize,
    /// Prior uncertainty scale tau (only scales `Sigma_post`).
    pub tau: f64,
    /// Gross exposure `sum |w_i|` of every decision (the paper's `0.5 p_1`).
    pub gross: f64,
    /// Transformer width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Transformer layers.
    pub layers: usize,
    /// CNN channels.
    pub cnn_channels: usize,
    /// Views are `q_scale` times the head output (daily return units).
    pub q_scale: f64,
    /// Initial risk aversion (the softplus bias is set so `lambda = lambda0` at zero input).
    pub lambda0: f64,
    /// Baseline variant: the Transformer outputs the weights directly (no BL step, no CNN).
    pub direct: bool,
}

impl Default for BdaConfig {
    fn default() -> Self {
        Self {
            m: 12,
            cov_lookback: 60,
            tau: 0.05,
            gross: 0.5,
            d_model: 32,
            heads: 4,
            layers: 2,
            cnn_channels: 16,
            q_scale: 1e-3,
            lambda0: 2.5,
            direct: false,
        }
    }
}

struct Block {
    ln1: (Tensor, Tensor),
    qkv: Dense,
    out: Dense,
    ln2: (Tensor, Tensor),
    up: Dense,
    down: Dense,
}

/// The agent's networks.
pub struct BdaNet {
    cfg: BdaConfig,
    n: usize,
    embed: Dense,
    blocks: Vec<Block>,
    ln_f: (Tensor, Tensor),
    head: Dense,
    convs: Vec<(Tensor, Tensor)>,
    lam_head: Option<Dense>,
    store: ParamStore,
}

fn dense(b: &ParamBuilder, inp: usize, out: usize, role: ParamRole) -> crate::error::Result<Dense> {
    let bound = 1.0 / (inp as f64).sqrt();
    let w = b.param("weight", &[out, inp], Init::Uniform(bound), role)?;
    let bias = b.param("bias", &[out], Init::Const(0.0), ParamRole::Bias)?;
    Ok(Dense::new(
        w.as_tensor().clone(),
        Some(bias.as_tensor().clone()),
    ))
}

fn norm(b: &ParamBuilder, d: usize) -> crate::error::Result<(Tensor, Tensor)> {
    let w = b.param("weight", &[d], Init::Const(1.0), ParamRole::Norm)?;
    let bias = b.param("bias", &[d], Init::Const(0.0), ParamRole::Bias)?;
    Ok((w.as_tensor().clone(), bias.as_tensor().clone()))
}

impl BdaNet {
    /// Networks for `n` assets, f32 parameters initialised from `seed`.
    pub fn new(cfg: &BdaConfig, n: usize, seed: u64) -> crate::error::Result<Self> {
        ensure!(
            cfg.m >= 1 && cfg.heads >= 1 && cfg.d_model.is_multiple_of(cfg.heads),
            "need m >= 1 and d_model ({}) divisible by heads ({})",
            cfg.d_model,
            cfg.heads
        );
        let store = ParamStore::new();
        let root = ParamBuilder::new(&store, DType::F32, &Device::Cpu, seed);
        let d = cfg.d_model;
        let t1 = root.pp("tau1");
        let embed = dense(&t1.pp("embed"), 5 * n, d, ParamRole::Linear)?;
        let mut blocks = vec![];
        for l in 0..cfg.layers {
            let b = t1.pp(format!("layers.{l}"));
            blocks.push(Block {
                ln1: norm(&b.pp("ln1"), d)?,
                qkv: dense(&b.pp("attn.qkv"), d, 3 * d, ParamRole::FusedQkv)?,
                out: dense(&b.pp("attn.out"), d, d, ParamRole::AttnOutput)?,
                ln2: norm(&b.pp("ln2"), d)?,
                up: dense(&b.pp("mlp.up"), d, 2 * d, ParamRole::MlpUp)?,
                down: dense(&b.pp("mlp.down"), 2 * d, d, ParamRole::MlpDown)?,
            });
        }
        let ln_f = norm(&t1.pp("ln_f"), d)?;
        let head = dense(&t1.pp("head"), d + n, n, ParamRole::Linear)?;
        let t2 = root.pp("tau2");
        let c = cfg.cnn_channels;
        let mut convs = vec![];
        let mut lam_head = None;
        if !cfg.direct {
            for (i, (c_in, k)) in [(n, 5usize), (c, 3)].into_iter().enumerate() {
                let b = t2.pp(format!("conv{i}"));
                let bound = 1.0 / ((c_in * k) as f64).sqrt();
                let w = b.param(
                    "weight",
                    &[c, c_in, k],
                    Init::Uniform(bound),
                    ParamRole::Conv,
                )?;
                let bias = b.param("bias", &[c], Init::Const(0.0), ParamRole::Bias)?;
                convs.push((w.as_tensor().clone(), bias.as_tensor().clone()));
            }
            lam_head = Some(dense(&t2.pp("head"), c, 1, ParamRole::Linear)?);
        }
        Ok(Self {
            cfg: cfg.clone(),
            n,
            embed,
            blocks,
            ln_f,
            head,
            convs,
            lam_head,
            store,
        })
    }

    /// The trainable parameters.
    pub fn params(&self) -> &ParamStore {
        &self.store
    }

    /// Number of assets.
    pub fn n_assets(&self) -> usize {
        self.n
    }

    fn attention(&self, blk: &Block, h: &Tensor) -> candle_core::Result<Tensor> {
        let (b, m, d) = h.dims3()?;
        let (nh, dh) = (self.cfg.heads, d / self.cfg.heads);
        let x = layer_norm(h, &blk.ln1.0, &blk.ln1.1, 1e-5)?;
        let qkv = blk.qkv.forward(&x)?.reshape((b, m, 3, nh, dh))?;
        let part = |i: usize| {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        // No mask and no positional encoding: tokens attend to every period, as in the paper.
        let att = softmax_last_dim(&(q.matmul(&k.t()?)? / (dh as f64).sqrt())?)?;
        let y = att.matmul(&v)?.transpose(1, 2)?.reshape((b, m, d))?;
        blk.out.forward(&y)
    }

    /// tau1's output before the scale: `[B, N]` views (or raw weights in the direct variant).
    fn views(&self, x: &Tensor, w_prev: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = self.embed.forward(x)?;
        for blk in &self.blocks {
            h = (&h + self.attention(blk, &h)?)?;
            let z = layer_norm(&h, &blk.ln2.0, &blk.ln2.1, 1e-5)?;
            h = (&h + blk.down.forward(&blk.up.forward(&z)?.gelu_erf()?)?)?;
        }
        let h = layer_norm(&h, &self.ln_f.0, &self.ln_f.1, 1e-5)?.mean(1)?;
        let wp = (w_prev / self.cfg.gross)?;
        self.head.forward(&Tensor::cat(&[&h, &wp], 1)?)
    }

    /// tau2: risk aversion `[B, 1]`, `softplus(z + b0) + 1e-3` with `b0` giving `lambda0` at `z = 0`.
    fn risk_aversion(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, m, p) = x.dims3()?;
        let n = p / 5;
        // [B, m, 5N] -> [B, N, 5m]: assets as channels, days along the length.
        let mut h = x.reshape((b, 5 * m, n))?.transpose(1, 2)?.contiguous()?;
        for (i, (w, bias)) in self.convs.iter().enumerate() {
            let (pad, stride) = if i == 0 { (0, 5) } else { (1, 1) };
            h = h.conv1d(w, pad, stride, 1, 1)?;
            h = h.broadcast_add(&bias.reshape((1, (), 1))?)?.relu()?;
        }
        let head = self
            .lam_head
            .as_ref()
            .ok_or_else(|| candle_core::Error::Msg("the direct variant has no tau2".into()))?;
        let z = head.forward(&h.mean(D::Minus1)?)?;
        let b0 = (self.cfg.lambda0 - 1e-3).exp_m1().ln();
        let z = (z + b0)?;
        // Stable softplus: max(z, 0) + ln(1 + e^{-|z|}).
        let sp = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
        sp + 1e-3
    }

    /// Weights `[B, N]` (gross exposure `cfg.gross`) and risk aversion `[B, 1]` (ones in the
    /// direct variant) for a batch of inputs and previous weights `w_prev [B, N]`.
    pub fn forward(
        &self,
        inp: &BatchInputs,
        w_prev: &Tensor,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let out = self.views(&inp.x, w_prev)?;
        if self.cfg.direct {
            let ones = Tensor::ones((out.dim(0)?, 1), out.dtype(), out.device())?;
            return Ok((to_gross(&out, self.cfg.gross)?, ones));
        }
        let q = (out * self.cfg.q_scale)?;
        let lam = self.risk_aversion(&inp.x)?;
        Ok((bl_weights(&q, &lam, inp, self.cfg.gross)?, lam))
    }
}

#[cfg(test)]
#[path = "bda_tests.rs"]
pub(crate) mod tests;
