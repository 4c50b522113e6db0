//! Adam (L2 weight decay added to the gradient, as `torch.optim.Adam`) and AdamW (decoupled
//! decay `p ← p·(1 − lr·wd)` before the moment update), both with bias correction and ε
//! outside the square root. Neither decays norms or biases.

use std::collections::HashMap;

use candle_core::Tensor;
use optlab_core::params::{NamedParam, ParamStore};
use optlab_core::train::{NamedGrads, TrainOptimizer};
use optlab_core::Result;

use crate::common::{self, impl_candle_optimizer, Optim, Slot};
use crate::config::OptimConfig;

/// Adam (`DECOUPLED = false`) or AdamW (`DECOUPLED = true`) over named parameters.
pub struct AdamFamily<const DECOUPLED: bool> {
    pub(crate) cfg: OptimConfig,
    pub(crate) slots: Vec<Slot>,
    t: u64,
}

/// Adam with coupled L2 weight decay.
pub type Adam = AdamFamily<false>;
/// AdamW with decoupled weight decay.
pub type AdamW = AdamFamily<true>;

impl<const DECOUPLED: bool> AdamFamily<DECOUPLED> {
    /// Optimizer over every parameter of `store`.
    pub fn new(store: &ParamStore, cfg: OptimConfig) -> Result<Self> {
        Self::from_params(common::params_from_store(store), cfg)
    }

    /// Optimizer over the given named parameters.
    pub fn from_params(params: Vec<NamedParam>, cfg: OptimConfig) -> Result<Self> {
        let slots = params
            .into_iter()
            .map(|p| {
                let n = p.var.elem_count();
                Slot::new(p, n, n)
            })
            .collect();
        Ok(Self { cfg, slots, t: 0 })
    }
}

impl<const DECOUPLED: bool> TrainOptimizer for AdamFamily<DECOUPLED> {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()> {
        let c = self.cfg;
        let t = self.t + 1;
        let a = common::AdamStep::new(&c, t, lr);
        common::for_each_slot(&mut self.slots, grads, &|_, role, m, v, g, p| {
            let shrink = if DECOUPLED { a.shrink_for(role) } else { 1.0 };
            let l2 = if DECOUPLED || !role.decays() {
                0.0
            } else {
                c.weight_decay as f32
            };
            let it = p.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g);
            for (((pi, mi), vi), &gi) in it {
                let gi = gi + l2 * *pi;
                *mi = a.b1 * *mi + (1.0 - a.b1) * gi;
                *vi = a.b2 * *vi + (1.0 - a.b2) * gi * gi;
                *pi = *pi * shrink - a.step * *mi / a.denom(*vi);
            }
        })?;
        self.t = t;
        Ok(())
    }

    fn state(&self) -> Result<HashMap<String, Tensor>> {
        common::save_state(&self.slots, "exp_avg", Some("exp_avg_sq"), self.t)
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        self.t = common::load_state(&mut self.slots, state, "exp_avg", Some("exp_avg_sq"))?;
        Ok(())
    }

    fn name(&self) -> &str {
        if DECOUPLED {
            "adamw"
        } else {
            "adam"
        }
    }
}

impl<const DECOUPLED: bool> Optim for AdamFamily<DECOUPLED> {
    fn state_bytes(&self) -> usize {
        common::slots_state_bytes(&self.slots)
    }
}

impl_candle_optimizer!(Adam);
impl_candle_optimizer!(AdamW);
