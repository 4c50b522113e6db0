//! Shared machinery: per-step Adam scalars, per-tensor slots with f32 state, gradient checks,
//! reading and writing parameters as contiguous f32 slices, and state (de)serialisation.

use std::cell::RefCell;
use std::collections::HashMap;

use candle_core::{CpuStorage, DType, Device, InplaceOp1, Layout, Storage, Tensor, Var};
use optlab_core::params::{NamedParam, ParamRole, ParamStore};
use optlab_core::train::NamedGrads;
use optlab_core::{CoreError, Result};
use rayon::prelude::*;

use crate::config::OptimConfig;

/// Per-step scalars of the Adam family at step `t` (1-based): betas and epsilon in f32, the
/// first-moment bias correction folded into the step size `lr / (1 - b1^t)`, and
/// `1 / sqrt(1 - b2^t)` for the second moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep {
    pub b1: f32,
    pub b2: f32,
    pub eps: f32,
    pub step: f32,
    pub inv_bc2_sqrt: f32,
    /// Decoupled weight-decay factor `1 - lr * wd` for parameters whose role decays.
    pub shrink: f32,
}

impl AdamStep {
    pub fn new(c: &OptimConfig, t: u64, lr: f64) -> Self {
        let bc1 = 1.0 - c.beta1.powf(t as f64);
        let bc2 = 1.0 - c.beta2.powf(t as f64);
        Self {
            b1: c.beta1 as f32,
            b2: c.beta2 as f32,
            eps: c.eps as f32,
            step: (lr / bc1) as f32,
            inv_bc2_sqrt: (1.0 / bc2.sqrt()) as f32,
            shrink: (1.0 - lr * c.weight_decay) as f32,
        }
    }

    /// The decoupled decay factor for a parameter of this role (1 for norms and biases).
    pub fn shrink_for(&self, role: ParamRole) -> f32 {
        if role.decays() {
            self.shrink
        } else {
            1.0
        }
    }

    /// Denominator `sqrt(v) / sqrt(1 - b2^t) + eps` of a second moment `v`.
    pub fn denom(&self, v: f32) -> f32 {
        v.sqrt() * self.inv_bc2_sqrt + self.eps
    }
}

/// Persistent state bytes of f32 slots (first and second moments).
pub(crate) fn slots_state_bytes(slots: &[Slot]) -> usize {
    slots.iter().map(|s| 4 * (s.m.len() + s.v.len())).sum()
}

/// Optimizers of this crate: a training-loop optimizer that also reports its state size.
pub trait Optim: optlab_core::train::TrainOptimizer + Send {
    /// Bytes of persistent optimizer state (moments and per-block scalars; no transients).
    fn state_bytes(&self) -> usize;

    /// Warnings a person should read about how the optimizer was set up (e.g. Adam-mini
    /// tensors that no partition rule recognised); empty by default.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One parameter tensor with the optimizer's per-tensor state in f32.
pub(crate) struct Slot {
    pub param: NamedParam,
    pub m: Vec<f32>,
    pub v: Vec<f32>,
}

impl Slot {
    pub fn new(param: NamedParam, m_len: usize, v_len: usize) -> Self {
        Self {
            param,
            m: vec![0.0; m_len],
            v: vec![0.0; v_len],
        }
    }

    pub fn numel(&self) -> usize {
        self.param.var.elem_count()
    }
}

/// Named parameters for candle's `Vec<Var>` constructors: `var.{i}`, role unknown.
pub(crate) fn params_from_vars(vars: Vec<Var>) -> Vec<NamedParam> {
    vars.into_iter()
        .filter(|v| v.dtype().is_float())
        .enumerate()
        .map(|(i, var)| NamedParam {
            name: format!("var.{i}"),
            var,
            role: ParamRole::Other,
        })
        .collect()
}

/// Parameters of a store, in registration order.
pub(crate) fn params_from_store(store: &ParamStore) -> Vec<NamedParam> {
    store.params()
}

/// A tensor's entries as one contiguous f32 vector.
pub(crate) fn to_f32(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_dtype(DType::F32)?.to_vec1::<f32>()?)
}

/// Write f32 values back into a parameter, keeping its shape, dtype and device.
pub(crate) fn write_param(p: &NamedParam, data: Vec<f32>) -> Result<()> {
    let var = &p.var;
    let t = Tensor::from_vec(data, var.dims(), var.device())?.to_dtype(var.dtype())?;
    var.set(&t)?;
    Ok(())
}

/// Call `f` with a tensor's entries as one contiguous f32 slice: borrowed from the storage
/// when the tensor is a contiguous f32 CPU tensor, else converted.
pub(crate) fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    {
        let (storage, layout) = t.storage_and_layout();
        if let (Storage::Cpu(CpuStorage::F32(data)), Some((a, b))) =
            (&*storage, layout.contiguous_offsets())
        {
            return Ok(f(&data[a..b]));
        }
    }
    let data = to_f32(t)?;
    Ok(f(&data))
}

/// In-place update of a contiguous f32 CPU storage through candle's `InplaceOp1`.
struct InPlace<F: FnMut(&mut [f32])>(RefCell<F>);

impl<F: FnMut(&mut [f32])> InplaceOp1 for InPlace<F> {
    fn name(&self) -> &'static str {
        "optlab-optim-update"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        match (storage, layout.contiguous_offsets()) {
            (CpuStorage::F32(data), Some((a, b))) => {
                (self.0.borrow_mut())(&mut data[a..b]);
                Ok(())
            }
            _ => Err(candle_core::Error::Msg(
                "in-place optimizer update needs a contiguous f32 tensor".into(),
            )),
        }
    }
}

/// Apply `f` to a parameter's values: in place (one pass, no copies) for contiguous f32 CPU
/// parameters, else through an f32 copy written back with `Var::set`.
pub(crate) fn update_param(p: &NamedParam, f: impl FnMut(&mut [f32])) -> Result<()> {
    let t = p.var.as_tensor();
    let contiguous_f32_cpu = {
        let (storage, layout) = t.storage_and_layout();
        matches!(&*storage, Storage::Cpu(CpuStorage::F32(_)))
            && layout.contiguous_offsets().is_some()
    };
    if contiguous_f32_cpu {
        t.inplace_op1(&InPlace(RefCell::new(f)))?;
        return Ok(());
    }
    let mut f = f;
    let mut data = to_f32(t)?;
    f(&mut data);
    write_param(p, data)
}

/// The error for a gradient whose shape differs from its parameter's.
fn shape_error(s: &Slot, g: &Tensor) -> CoreError {
    CoreError::Config(format!(
        "gradient for `{}` has shape {:?}, parameter has {:?}",
        s.param.name,
        g.dims(),
        s.param.var.dims()
    ))
}

/// The error for a gradient with a non-finite entry, naming the tensor and the first bad index.
pub(crate) fn nonfinite_error(name: &str, g: &[f32]) -> CoreError {
    let (i, x) = g
        .iter()
        .enumerate()
        .find(|(_, x)| !x.is_finite())
        .map_or((0, f32::NAN), |(i, &x)| (i, x));
    CoreError::Config(format!(
        "non-finite gradient in `{name}` at flat index {i} ({x}); parameters and optimizer \
         state left unchanged"
    ))
}

/// Run `scan` over every slot's gradient slice (in parallel, read-only) after checking its
/// shape; `scan` returns `None` to reject a non-finite gradient. Slots without a gradient get
/// `R::default()`. Nothing is modified, so an error leaves parameters and state untouched.
pub(crate) fn scan_grads<R: Default + Send>(
    slots: &[Slot],
    grads: &NamedGrads,
    scan: &(dyn Fn(usize, &[f32]) -> Option<R> + Sync),
) -> Result<Vec<R>> {
    slots
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let Some(g) = grads.get(&s.param.name) else {
                return Ok(R::default());
            };
            if g.elem_count() != s.numel() {
                return Err(shape_error(s, g));
            }
            with_f32(g, |g| {
                scan(i, g).ok_or_else(|| nonfinite_error(&s.param.name, g))
            })?
        })
        .collect::<Vec<Result<R>>>()
        .into_iter()
        .collect()
}

/// Check every gradient (shape, finiteness) before anything is modified; the error names the
/// tensor.
pub(crate) fn check_grads(slots: &[Slot], grads: &NamedGrads) -> Result<()> {
    scan_grads(slots, grads, &|_, g| {
        // Branch-free scan (vectorisable).
        const EXP: u32 = 0x7f80_0000;
        let bad = g
            .iter()
            .fold(0u32, |a, x| a | u32::from(x.to_bits() & EXP == EXP));
        (bad == 0).then_some(())
    })
    .map(|_| ())
}

/// The per-tensor update kernel: `(slot index, role, m, v, gradient, parameter values)`.
pub(crate) type Kernel<'a> =
    dyn Fn(usize, ParamRole, &mut [f32], &mut [f32], &[f32], &mut [f32]) + Sync + 'a;

/// Check all gradients, then run `kernel` on every slot with a gradient, in parallel over
/// tensors, each in one pass over contiguous slices.
pub(crate) fn for_each_slot(slots: &mut [Slot], grads: &NamedGrads, kernel: &Kernel) -> Result<()> {
    check_grads(slots, grads)?;
    for_each_checked_slot(slots, grads, kernel)
}

/// [`for_each_slot`] for gradients the caller has already checked (e.g. with [`scan_grads`]).
pub(crate) fn for_each_checked_slot(
    slots: &mut [Slot],
    grads: &NamedGrads,
    kernel: &Kernel,
) -> Result<()> {
    slots
        .par_iter_mut()
        .enumerate()
        .map(|(i, s)| {
            let Some(g) = grads.get(&s.param.name) else {
                return Ok(());
            };
            let Slot { param, m, v } = s;
            with_f32(g, |g| {
                update_param(param, |p| kernel(i, param.role, m, v, g, p))
            })?
        })
        .collect::<Vec<Result<()>>>()
        .into_iter()
        .collect()
}

/// Gradients from candle's store, keyed by the slots' names.
pub(crate) fn grads_from_store(
    slots: &[Slot],
    grads: &candle_core::backprop::GradStore,
) -> NamedGrads {
    slots
        .iter()
        .filter_map(|s| {
            grads
                .get(s.param.var.as_tensor())
                .map(|g| (s.param.name.clone(), g.clone()))
        })
        .collect()
}

/// Serialise slots' state: `{name}.{m_key}` and, when `v_key` is given, `{name}.{v_key}`,
/// plus the step counter.
pub(crate) fn save_state(
    slots: &[Slot],
    m_key: &str,
    v_key: Option<&str>,
    step: u64,
) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::new();
    for s in slots {
        let m = Tensor::from_slice(&s.m, s.m.len(), &Device::Cpu)?;
        out.insert(format!("{}.{m_key}", s.param.name), m);
        if let Some(vk) = v_key {
            let v = Tensor::from_slice(&s.v, s.v.len(), &Device::Cpu)?;
            out.insert(format!("{}.{vk}", s.param.name), v);
        }
    }
    out.insert("step".into(), Tensor::new(&[step as f64], &Device::Cpu)?);
    Ok(out)
}

/// Restore what [`save_state`] wrote; every length must match, else nothing is changed.
pub(crate) fn load_state(
    slots: &mut [Slot],
    state: &HashMap<String, Tensor>,
    m_key: &str,
    v_key: Option<&str>,
) -> Result<u64> {
    let get = |k: &str, len: usize| -> Result<Vec<f32>> {
        let t = state
            .get(k)
            .ok_or_else(|| CoreError::Config(format!("optimizer state lacks `{k}`")))?;
        let data = to_f32(t)?;
        if data.len() != len {
            return Err(CoreError::Config(format!(
                "optimizer state `{k}` has {} entries, expected {len}",
                data.len()
            )));
        }
        Ok(data)
    };
    let mut loaded = Vec::with_capacity(slots.len());
    for s in slots.iter() {
        let m = get(&format!("{}.{m_key}", s.param.name), s.m.len())?;
        let v = match v_key {
            Some(vk) => get(&format!("{}.{vk}", s.param.name), s.v.len())?,
            None => s.v.clone(),
        };
        loaded.push((m, v));
    }
    let step = state
        .get("step")
        .ok_or_else(|| CoreError::Config("optimizer state lacks `step`".into()))?
        .flatten_all()?
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?
        .first()
        .copied()
        .unwrap_or(0.0);
    for (s, (m, v)) in slots.iter_mut().zip(loaded) {
        s.m = m;
        s.v = v;
    }
    Ok(step as u64)
}

/// Convert an optlab error into candle's, for the `candle_nn::Optimizer` impls.
pub(crate) fn to_candle(e: CoreError) -> candle_core::Error {
    candle_core::Error::Msg(e.to_string())
}

/// Implement `candle_nn::Optimizer` for a type with `from_params`, `slots` and `lr` fields.
macro_rules! impl_candle_optimizer {
    ($ty:ty) => {
        impl candle_nn::Optimizer for $ty {
            type Config = $crate::config::OptimConfig;

            fn new(vars: Vec<candle_core::Var>, config: Self::Config) -> candle_core::Result<Self> {
                <$ty>::from_params($crate::common::params_from_vars(vars), config)
                    .map_err($crate::common::to_candle)
            }

            fn step(
                &mut self,
                grads: &candle_core::backprop::GradStore,
            ) -> candle_core::Result<()> {
                let named = $crate::common::grads_from_store(&self.slots, grads);
                let lr = self.cfg.lr;
                optlab_core::train::TrainOptimizer::step(self, &named, lr)
                    .map_err($crate::common::to_candle)
            }

            fn learning_rate(&self) -> f64 {
                self.cfg.lr
            }

            fn set_learning_rate(&mut self, lr: f64) {
                self.cfg.lr = lr;
            }
        }
    };
}
pub(crate) use impl_candle_optimizer;
