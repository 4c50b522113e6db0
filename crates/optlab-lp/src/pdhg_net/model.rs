//! The PDHG-Net model: `K` unrolled PDHG layers on channel-expanded primal (`n×d`) and dual
//! (`m×d`) iterates, with weights acting on channels only, so one net applies to any `m, n`.
//!
//! Layer `k` (the reference's equations without biases; `R` are the row data features):
//! ```text
//! X' = ReLU( X U_x + τ_k (Ãᵀ(Y U_y) − c̃ w_cᵀ) )
//! Y' = ReLU( Y V_y + σ_k (R W_r − Ã(X' W_x − X V_x)) )
//! ```
//! `X⁰ = ReLU([c̃, 1] E_x)`, `Y⁰ = ReLU([R, 1] E_y)`, read-out `x̂ = X^K h_x`, `ŷ = Y^K h_y`.
//! With two dual channels `(y⁺, y⁻)` and `R W_r` selecting the lower bound for `y⁺` and minus
//! the upper bound for `y⁻` (infinite bounds pushed away by a large multiple of their flag),
//! the layers reproduce PDHG exactly for any row type; see [`PdhgNet::set_pdhg_weights`].

use super::error::{NetError, Result};
use super::graph::{LpGraph, ROW_FEATURES};
use candle_core::{DType, Device, Tensor, Var};
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use serde::{Deserialize, Serialize};

/// Architecture of a PDHG-Net.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetShape {
    /// Unrolled layers `K`.
    pub layers: usize,
    /// Channels `d` (at least 2).
    pub channels: usize,
}

struct Layer {
    ux: Var,
    uy: Var,
    vy: Var,
    wx: Var,
    vx: Var,
    wc: Var,
    wr: Var,
    tau: Var,
    sigma: Var,
}

/// A PDHG-Net with its parameters in a [`ParamStore`] (named `layers.k.*`, `embed.*`, `head.*`).
pub struct PdhgNet {
    /// The architecture.
    pub shape: NetShape,
    /// All trainable parameters.
    pub store: ParamStore,
    ex: Var,
    ey: Var,
    layers: Vec<Layer>,
    hx: Var,
    hy: Var,
}

impl PdhgNet {
    /// A randomly initialised net (uniform `±1/√fan_in`, `τ = σ = 0.5`).
    pub fn new(shape: NetShape, seed: u64) -> Result<Self> {
        if shape.layers == 0 || shape.channels < 2 {
            return Err(NetError::BadShape(format!(
                "PDHG-Net needs at least 1 layer and 2 channels (got {shape:?})"
            )));
        }
        let d = shape.channels;
        let store = ParamStore::new();
        let vb = ParamBuilder::new(&store, DType::F32, &Device::Cpu, seed);
        let lin = |b: &ParamBuilder, name: &str, fan_in: usize, out: usize| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            b.param(
                name,
                &[fan_in, out],
                Init::Uniform(bound),
                ParamRole::Linear,
            )
        };
        let e = vb.pp("embed");
        let (ex, ey) = (lin(&e, "x", 2, d)?, lin(&e, "y", ROW_FEATURES + 1, d)?);
        let mut layers = Vec::with_capacity(shape.layers);
        for k in 0..shape.layers {
            let b = vb.pp("layers").pp(k);
            let scalar = |name: &str| b.param(name, &[1], Init::Const(0.5), ParamRole::Other);
            layers.push(Layer {
                ux: lin(&b, "u_x", d, d)?,
                uy: lin(&b, "u_y", d, d)?,
                vy: lin(&b, "v_y", d, d)?,
                wx: lin(&b, "w_x", d, d)?,
                vx: lin(&b, "v_x", d, d)?,
                wc: lin(&b, "w_c", 1, d)?,
                wr: lin(&b, "w_r", ROW_FEATURES, d)?,
                tau: scalar("tau")?,
                sigma: scalar("sigma")?,
            });
        }
        let h = vb.pp("head");
        let (hx, hy) = (lin(&h, "x", d, 1)?, lin(&h, "y", d, 1)?);
        Ok(Self {
            shape,
            store,
            ex,
            ey,
            layers,
            hx,
            hy,
        })
    }

    /// Forward pass: the predicted `(x̂, ŷ)` in the graph's normalised space, shapes `n` and `m`.
    pub fn forward(&self, g: &LpGraph) -> Result<(Tensor, Tensor)> {
        let mut x = g.col_embed.matmul(self.ex.as_tensor())?.relu()?;
        let mut y = g.row_embed.matmul(self.ey.as_tensor())?.relu()?;
        for l in &self.layers {
            let aty = g.at_mul(&y.matmul(l.uy.as_tensor())?)?;
            let cterm = g.obj.matmul(l.wc.as_tensor())?;
            let xn = (x.matmul(l.ux.as_tensor())? + (aty - cterm)?.broadcast_mul(&l.tau)?)?;
            let xn = xn.relu()?;
            let xbar = (xn.matmul(l.wx.as_tensor())? - x.matmul(l.vx.as_tensor())?)?;
            let rterm = g.row_data.matmul(l.wr.as_tensor())?;
            let dual = (rterm - g.a_mul(&xbar)?)?.broadcast_mul(&l.sigma)?;
            y = (y.matmul(l.vy.as_tensor())? + dual)?.relu()?;
            x = xn;
        }
        let xh = x.matmul(self.hx.as_tensor())?.squeeze(1)?;
        let yh = y.matmul(self.hy.as_tensor())?.squeeze(1)?;
        Ok((xh, yh))
    }

    /// Sets the weights so that the net computes `K` plain PDHG iterations from `(0, 0)` with
    /// steps `τ`, `σ` on the normalised LP: channel 0 of `X` is `x`, channels 0/1 of `Y` are
    /// `y⁺`/`y⁻`; `big` must exceed every `|y + σ(b − Ãx̄)|` reached (it switches off the dual
    /// channel of an infinite bound). All other weights become zero.
    pub fn set_pdhg_weights(&self, tau: f64, sigma: f64, big: f64) -> Result<()> {
        let d = self.shape.channels;
        let set = |v: &Var, rows: usize, cols: usize, entries: &[(usize, usize, f64)]| {
            let mut w = vec![0f32; rows * cols];
            for &(r, c, e) in entries {
                w[r * cols + c] = e as f32;
            }
            v.set(&Tensor::from_vec(w, (rows, cols), &Device::Cpu)?)
        };
        set(&self.ex, 2, d, &[])?;
        set(&self.ey, ROW_FEATURES + 1, d, &[])?;
        for l in &self.layers {
            set(&l.ux, d, d, &[(0, 0, 1.0)])?;
            set(&l.uy, d, d, &[(0, 0, 1.0), (1, 0, -1.0)])?;
            set(&l.wc, 1, d, &[(0, 0, 1.0)])?;
            let vy = [(0, 0, 1.0), (1, 0, -1.0), (0, 1, -1.0), (1, 1, 1.0)];
            set(&l.vy, d, d, &vy)?;
            let wr = [(0, 0, 1.0), (2, 0, -big), (1, 1, -1.0), (3, 1, -big)];
            set(&l.wr, ROW_FEATURES, d, &wr)?;
            set(&l.wx, d, d, &[(0, 0, 2.0), (0, 1, -2.0)])?;
            set(&l.vx, d, d, &[(0, 0, 1.0), (0, 1, -1.0)])?;
            l.tau.set(&Tensor::new(&[tau as f32], &Device::Cpu)?)?;
            l.sigma.set(&Tensor::new(&[sigma as f32], &Device::Cpu)?)?;
        }
        set(&self.hx, d, 1, &[(0, 0, 1.0)])?;
        set(&self.hy, d, 1, &[(0, 0, 1.0), (1, 0, -1.0)])?;
        Ok(())
    }

    /// Predicts `(x, y)` for the graph's LP, mapped back to the original space.
    pub fn predict(&self, g: &LpGraph) -> Result<(Vec<f64>, Vec<f64>)> {
        let (xh, yh) = self.forward(g)?;
        let (xv, yv) = (xh.to_vec1::<f32>()?, yh.to_vec1::<f32>()?);
        if xv.iter().chain(&yv).any(|v| !v.is_finite()) {
            return Err(NetError::BadModel(
                "PDHG-Net produced non-finite values (corrupt or diverged weights)".into(),
            ));
        }
        Ok(g.from_net_space(&xv, &yv))
    }
}
