//! SwiGLU activation `silu(gate) * up` with a fused backward pass.
//!
//! With `s = sigmoid(a)`: `d_up = g * a * s` and `d_gate = g * up * s * (1 + a * (1 - s))`.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use super::kernel::{c, contiguous, for_each_row, KFloat};
use crate::dispatch_float;

struct Swiglu;

fn sigmoid<T: KFloat>(a: T) -> T {
    c::<T>(1.0) / (c::<T>(1.0) + (-a).exp())
}

fn swiglu_fwd<T: KFloat>(
    s1: &CpuStorage,
    l1: &Layout,
    s2: &CpuStorage,
    l2: &Layout,
) -> Result<(CpuStorage, Shape)> {
    let a = contiguous::<T>(s1, l1, "swiglu")?;
    let b = contiguous::<T>(s2, l2, "swiglu")?;
    if l1.shape() != l2.shape() {
        candle_core::bail!(
            "swiglu: gate {:?} and up {:?} differ",
            l1.shape(),
            l2.shape()
        );
    }
    let d = l1.dims().last().copied().unwrap_or(1).max(1);
    let mut out = vec![T::zero(); a.len()];
    for_each_row(&mut out, d, |r, o| {
        for (i, oi) in o.iter_mut().enumerate() {
            let (ai, bi) = (a[r * d + i], b[r * d + i]);
            *oi = ai * sigmoid(ai) * bi;
        }
    });
    Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
}

impl CustomOp2 for Swiglu {
    fn name(&self) -> &'static str {
        "optlab-swiglu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        dispatch_float!("swiglu", s1.dtype(), swiglu_fwd, s1, l1, s2, l2)
    }

    fn bwd(
        &self,
        gate: &Tensor,
        up: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let d_gate = gate.apply_op3_no_bwd(up, &g, &SwigluBackward { wrt_gate: true })?;
        let d_up = gate.apply_op3_no_bwd(up, &g, &SwigluBackward { wrt_gate: false })?;
        Ok((Some(d_gate), Some(d_up)))
    }
}

struct SwigluBackward {
    wrt_gate: bool,
}

fn swiglu_bwd<T: KFloat>(
    op: &SwigluBackward,
    s: [(&CpuStorage, &Layout); 3],
) -> Result<(CpuStorage, Shape)> {
    let a = contiguous::<T>(s[0].0, s[0].1, "swiglu backward")?;
    let b = contiguous::<T>(s[1].0, s[1].1, "swiglu backward")?;
    let g = contiguous::<T>(s[2].0, s[2].1, "swiglu backward")?;
    let d = s[0].1.dims().last().copied().unwrap_or(1).max(1);
    let one = c::<T>(1.0);
    let mut out = vec![T::zero(); a.len()];
    for_each_row(&mut out, d, |r, o| {
        for (i, oi) in o.iter_mut().enumerate() {
            let k = r * d + i;
            let sg = sigmoid(a[k]);
            *oi = if op.wrt_gate {
                g[k] * b[k] * sg * (one + a[k] * (one - sg))
            } else {
                g[k] * a[k] * sg
            };
        }
    });
    Ok((T::to_cpu_storage_owned(out), s[0].1.shape().clone()))
}

impl CustomOp3 for SwigluBackward {
    fn name(&self) -> &'static str {
        "optlab-swiglu-bwd"
    }

    crate::op3_cpu_fwd!("swiglu backward", swiglu_bwd);
}

/// Differentiable `silu(gate) * up` (fused forward and backward).
pub fn swiglu(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    gate.contiguous()?.apply_op2(&up.contiguous()?, Swiglu)
}
