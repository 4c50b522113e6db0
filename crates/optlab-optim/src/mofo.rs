//! MoFO, the momentum-filtered optimizer (reference `YChen-zzz/MoFO`, `algorithms_MoFO.py`).
//!
//! AdamW whose step, in each partition (one per parameter tensor), moves only the entries whose
//! first-moment magnitude |m| is among the largest `fraction` of that tensor. Per step: decoupled
//! decay `p ← p·(1 − lr·wd)` on every entry where the role decays; m and v updated on every
//! entry; `k = ⌊n·fraction⌋` (at least 1), `τ` = the k-th largest |m| found by O(n) selection
//! (no sort); entries with `|m| ≥ τ` (ties kept, as the reference's `>=`) take the Adam step
//! `lr·m/((1 − β1^t)·(sqrt(v)/sqrt(1 − β2^t) + ε))`, the rest stay put. Biases and norms are
//! not filtered (plain AdamW), as in the reference.

use std::collections::HashMap;

use candle_core::Tensor;
use optlab_core::params::{NamedParam, ParamRole, ParamStore};
use optlab_core::train::{NamedGrads, TrainOptimizer};
use optlab_core::{CoreError, Result};

use crate::common::{self, impl_candle_optimizer, Optim, Slot};
use crate::config::OptimConfig;

pub use crate::config::DEFAULT_FRACTION;

/// The threshold τ = the `k`-th largest value of `|m|` (1 ≤ k ≤ m.len()), by selection.
pub fn kth_largest_abs(m: &[f32], k: usize) -> f32 {
    let mut a: Vec<f32> = m.iter().map(|x| x.abs()).collect();
    let idx = k.clamp(1, a.len().max(1)) - 1;
    let (_, kth, _) = a.select_nth_unstable_by(idx, |x, y| y.total_cmp(x));
    *kth
}

/// Whether a tensor is filtered (biases and norms are not).
fn filtered(role: ParamRole) -> bool {
    !matches!(role, ParamRole::Bias | ParamRole::Norm)
}

/// MoFO over named parameters.
pub struct Mofo {
    pub(crate) cfg: OptimConfig,
    pub(crate) slots: Vec<Slot>,
    t: u64,
}

impl Mofo {
    /// MoFO over every parameter of `store`.
    pub fn new(store: &ParamStore, cfg: OptimConfig) -> Result<Self> {
        Self::from_params(common::params_from_store(store), cfg)
    }

    /// MoFO over the given named parameters (one partition per tensor).
    pub fn from_params(params: Vec<NamedParam>, cfg: OptimConfig) -> Result<Self> {
        if !(cfg.mofo_fraction > 0.0 && cfg.mofo_fraction <= 1.0) {
            return Err(CoreError::Config(format!(
                "MoFO fraction must be in (0, 1], got {}",
                cfg.mofo_fraction
            )));
        }
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

impl TrainOptimizer for Mofo {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()> {
        let c = self.cfg;
        let t = self.t + 1;
        let a = common::AdamStep::new(&c, t, lr);
        common::for_each_slot(&mut self.slots, grads, &|_, role, m, v, g, p| {
            let shrink = a.shrink_for(role);
            for ((mi, vi), &gi) in m.iter_mut().zip(v.iter_mut()).zip(g) {
                *mi = a.b1 * *mi + (1.0 - a.b1) * gi;
                *vi = a.b2 * *vi + (1.0 - a.b2) * gi * gi;
            }
            let tau = if filtered(role) && !p.is_empty() {
                let k = ((p.len() as f64) * c.mofo_fraction).floor() as usize;
                kth_largest_abs(m, k.max(1))
            } else {
                f32::NEG_INFINITY
            };
            for ((pi, &mi), &vi) in p.iter_mut().zip(m.iter()).zip(v.iter()) {
                *pi *= shrink;
                if mi.abs() >= tau {
                    *pi -= a.step * mi / a.denom(vi);
                }
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
        "mofo"
    }
}

impl Optim for Mofo {
    fn state_bytes(&self) -> usize {
        common::slots_state_bytes(&self.slots)
    }
}

impl_candle_optimizer!(Mofo);
