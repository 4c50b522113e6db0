//! SGD with (optionally Nesterov) momentum, PyTorch semantics with zero dampening:
//! `g ← g + wd·p` (where the role decays), `b ← μ·b + g`, step `d = g + μ·b` (Nesterov) or
//! `d = b`, then `p ← p − lr·d`.

use std::collections::HashMap;

use candle_core::Tensor;
use optlab_core::params::{NamedParam, ParamStore};
use optlab_core::train::{NamedGrads, TrainOptimizer};
use optlab_core::{CoreError, Result};

use crate::common::{self, impl_candle_optimizer, Optim, Slot};
use crate::config::OptimConfig;

/// SGD with momentum over named parameters.
pub struct Sgd {
    pub(crate) cfg: OptimConfig,
    pub(crate) slots: Vec<Slot>,
    t: u64,
}

impl Sgd {
    /// Optimizer over every parameter of `store`.
    pub fn new(store: &ParamStore, cfg: OptimConfig) -> Result<Self> {
        Self::from_params(common::params_from_store(store), cfg)
    }

    /// Optimizer over the given named parameters.
    pub fn from_params(params: Vec<NamedParam>, cfg: OptimConfig) -> Result<Self> {
        if !(0.0..1.0).contains(&cfg.momentum) {
            return Err(CoreError::Config(format!(
                "SGD momentum must be in [0, 1), got {}",
                cfg.momentum
            )));
        }
        if cfg.nesterov && cfg.momentum == 0.0 {
            return Err(CoreError::Config(
                "Nesterov momentum needs momentum > 0".into(),
            ));
        }
        let slots = params
            .into_iter()
            .map(|p| {
                let n = if cfg.momentum > 0.0 {
                    p.var.elem_count()
                } else {
                    0
                };
                Slot::new(p, n, 0)
            })
            .collect();
        Ok(Self { cfg, slots, t: 0 })
    }
}

impl TrainOptimizer for Sgd {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()> {
        let c = self.cfg;
        let (mu, wd) = (c.momentum as f32, c.weight_decay as f32);
        let lr = lr as f32;
        common::for_each_slot(&mut self.slots, grads, &|_, role, buf, _, g, p| {
            let wd = if role.decays() { wd } else { 0.0 };
            if mu == 0.0 {
                for (pi, &gi) in p.iter_mut().zip(g) {
                    *pi -= lr * (gi + wd * *pi);
                }
                return;
            }
            for ((pi, bi), &gi) in p.iter_mut().zip(buf.iter_mut()).zip(g) {
                let gi = gi + wd * *pi;
                *bi = mu * *bi + gi;
                let d = if c.nesterov { gi + mu * *bi } else { *bi };
                *pi -= lr * d;
            }
        })?;
        self.t += 1;
        Ok(())
    }

    fn state(&self) -> Result<HashMap<String, Tensor>> {
        common::save_state(&self.slots, "momentum_buffer", None, self.t)
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        self.t = common::load_state(&mut self.slots, state, "momentum_buffer", None)?;
        Ok(())
    }

    fn name(&self) -> &str {
        if self.cfg.nesterov {
            "sgd-nesterov"
        } else {
            "sgd"
        }
    }
}

impl Optim for Sgd {
    fn state_bytes(&self) -> usize {
        self.slots.iter().map(|s| 4 * s.m.len()).sum()
    }
}

impl_candle_optimizer!(Sgd);
