//! AdamW with decoupled weight decay (none on norms and biases) and bias correction.
//!
//! The training loop's default optimizer; the full optimizer family lives in `optlab-optim`.

use std::collections::HashMap;

use candle_core::{DType, Tensor};

use super::{NamedGrads, TrainOptimizer};
use crate::error::{CoreError, Result};
use crate::params::{NamedParam, ParamStore};

/// AdamW hyper-parameters (PyTorch defaults, except weight decay 0.1 as in LLM training).
#[derive(Debug, Clone, Copy)]
pub struct AdamWConfig {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator epsilon.
    pub eps: f64,
    /// Decoupled weight decay (skipped for roles that do not decay).
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.1,
        }
    }
}

struct Slot {
    param: NamedParam,
    m: Tensor,
    v: Tensor,
}

/// AdamW over a model's named parameters.
pub struct AdamW {
    cfg: AdamWConfig,
    slots: Vec<Slot>,
    t: u64,
}

impl AdamW {
    /// Optimizer over every parameter of `store`.
    pub fn new(store: &ParamStore, cfg: AdamWConfig) -> Self {
        let slots = store
            .params()
            .into_iter()
            .map(|p| {
                let z = p
                    .var
                    .as_tensor()
                    .zeros_like()
                    .unwrap_or_else(|_| p.var.as_tensor().clone());
                Slot {
                    m: z.clone(),
                    v: z,
                    param: p,
                }
            })
            .collect();
        Self { cfg, slots, t: 0 }
    }

    /// Convenience: one step from candle's gradient store.
    pub fn step_grads(&mut self, grads: &candle_core::backprop::GradStore, lr: f64) -> Result<()> {
        let named = self
            .slots
            .iter()
            .filter_map(|s| {
                grads
                    .get(s.param.var.as_tensor())
                    .map(|g| (s.param.name.clone(), g.clone()))
            })
            .collect();
        TrainOptimizer::step(self, &named, lr)
    }
}

impl TrainOptimizer for AdamW {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()> {
        self.t += 1;
        let c = self.cfg;
        let bc1 = 1.0 - c.beta1.powi(self.t as i32);
        let bc2 = 1.0 - c.beta2.powi(self.t as i32);
        for s in &mut self.slots {
            let Some(g) = grads.get(&s.param.name) else {
                continue;
            };
            let p = s.param.var.as_tensor();
            let g = &g.detach();
            s.m = ((&s.m * c.beta1)? + (g * (1.0 - c.beta1))?)?;
            s.v = ((&s.v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
            let denom = ((&s.v / bc2)?.sqrt()? + c.eps)?;
            let update = ((&s.m / bc1)? / denom)?;
            let decayed = if s.param.role.decays() && c.weight_decay > 0.0 {
                (p * (1.0 - lr * c.weight_decay))?
            } else {
                p.clone()
            };
            s.param.var.set(&(decayed - (update * lr)?)?)?;
        }
        Ok(())
    }

    fn state(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for s in &self.slots {
            out.insert(format!("{}.exp_avg", s.param.name), s.m.clone());
            out.insert(format!("{}.exp_avg_sq", s.param.name), s.v.clone());
        }
        let dev = self
            .slots
            .first()
            .map(|s| s.m.device().clone())
            .unwrap_or(candle_core::Device::Cpu);
        out.insert("step".into(), Tensor::new(&[self.t as f64], &dev)?);
        Ok(out)
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        let get = |k: &str| {
            state
                .get(k)
                .cloned()
                .ok_or_else(|| CoreError::Config(format!("optimizer state lacks `{k}`")))
        };
        for s in &mut self.slots {
            let (m, v) = (
                get(&format!("{}.exp_avg", s.param.name))?,
                get(&format!("{}.exp_avg_sq", s.param.name))?,
            );
            if m.dims() != s.m.dims() || v.dims() != s.v.dims() {
                return Err(CoreError::Config(format!(
                    "optimizer state for `{}` has the wrong shape",
                    s.param.name
                )));
            }
            s.m = m.to_dtype(s.m.dtype())?;
            s.v = v.to_dtype(s.v.dtype())?;
        }
        self.t = get("step")?
            .to_dtype(DType::F64)?
            .to_vec1::<f64>()?
            .first()
            .copied()
            .unwrap_or(0.0) as u64;
        Ok(())
    }

    fn name(&self) -> &str {
        "adamw"
    }
}
