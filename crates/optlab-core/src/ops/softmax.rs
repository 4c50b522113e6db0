//! Softmax over the last dimension with a fused, hand-written backward pass.
//!
//! Forward: `y = exp(x - max) / sum(exp(x - max))` per row.
//! Backward: `dx = y * (g - sum(g * y))` per row, one pass, no intermediate tensors.

use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor};

use super::kernel::{c, contiguous, for_each_row, KFloat};
use crate::dispatch_float;

struct SoftmaxLastDim;

fn softmax_fwd<T: KFloat>(s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s, l, "softmax")?;
    let d = l.dims().last().copied().unwrap_or(1).max(1);
    let mut out = vec![T::zero(); x.len()];
    for_each_row(&mut out, d, |r, o| {
        let row = &x[r * d..(r + 1) * d];
        let m = row
            .iter()
            .fold(T::neg_infinity(), |a, &b| num_traits::Float::max(a, b));
        let mut sum = T::zero();
        for (oi, &xi) in o.iter_mut().zip(row) {
            *oi = (xi - m).exp();
            sum += *oi;
        }
        let inv = c::<T>(1.0) / sum;
        o.iter_mut().for_each(|v| *v *= inv);
    });
    Ok((T::to_cpu_storage_owned(out), l.shape().clone()))
}

impl CustomOp1 for SoftmaxLastDim {
    fn name(&self) -> &'static str {
        "optlab-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        dispatch_float!("softmax", s.dtype(), softmax_fwd, s, l)
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = grad.contiguous()?;
        Ok(Some(
            res.apply_op2_no_bwd(&g, &SoftmaxBackward { scale: 1.0 })?,
        ))
    }
}

struct SoftmaxBackward {
    scale: f64,
}

fn softmax_bwd<T: KFloat>(
    scale: f64,
    ys: &CpuStorage,
    yl: &Layout,
    gs: &CpuStorage,
    gl: &Layout,
) -> Result<(CpuStorage, Shape)> {
    let y = contiguous::<T>(ys, yl, "softmax backward")?;
    let g = contiguous::<T>(gs, gl, "softmax backward")?;
    let d = yl.dims().last().copied().unwrap_or(1).max(1);
    let mut out = vec![T::zero(); y.len()];
    for_each_row(&mut out, d, |r, o| {
        let (yr, gr) = (&y[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
        let dot = yr
            .iter()
            .zip(gr)
            .fold(T::zero(), |a, (&yi, &gi)| a + yi * gi);
        for ((oi, &yi), &gi) in o.iter_mut().zip(yr).zip(gr) {
            *oi = yi * (gi - dot) * c::<T>(scale);
        }
    });
    Ok((T::to_cpu_storage_owned(out), yl.shape().clone()))
}

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "optlab-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        dispatch_float!(
            "softmax backward",
            s1.dtype(),
            softmax_bwd,
            self.scale,
            s1,
            l1,
            s2,
            l2
        )
    }
}

/// Differentiable softmax over the last dimension (fused forward and backward).
pub fn softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(SoftmaxLastDim)
}

/// Causal attention softmax: `softmax(scale * x)` over the last dimension, where query row `i`
/// of a `[.., q, k]` score block sees only keys `j <= i + (k - q)`; masked entries are exactly 0.
/// Replaces a separate scale, additive mask and softmax (three passes each way) by one.
struct CausalSoftmax {
    scale: f64,
}

fn causal_fwd<T: KFloat>(scale: f64, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s, l, "causal softmax")?;
    let dims = l.dims();
    if dims.len() < 2 {
        candle_core::bail!("causal softmax: expected [.., queries, keys], got {dims:?}");
    }
    let (q, k) = (dims[dims.len() - 2], dims[dims.len() - 1]);
    if k < q {
        candle_core::bail!("causal softmax: {k} keys for {q} queries");
    }
    let sc = c::<T>(scale);
    let mut out = vec![T::zero(); x.len()];
    for_each_row(&mut out, k, |r, o| {
        let visible = r % q + (k - q) + 1;
        let row = &x[r * k..r * k + visible];
        let m = row
            .iter()
            .fold(T::neg_infinity(), |a, &b| num_traits::Float::max(a, b));
        let mut sum = T::zero();
        for (oi, &xi) in o[..visible].iter_mut().zip(row) {
            *oi = ((xi - m) * sc).exp();
            sum += *oi;
        }
        let inv = c::<T>(1.0) / sum;
        o[..visible].iter_mut().for_each(|v| *v *= inv);
    });
    Ok((T::to_cpu_storage_owned(out), l.shape().clone()))
}

impl CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "optlab-causal-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        dispatch_float!("causal softmax", s.dtype(), causal_fwd, self.scale, s, l)
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = grad.contiguous()?;
        Ok(Some(res.apply_op2_no_bwd(
            &g,
            &SoftmaxBackward { scale: self.scale },
        )?))
    }
}

/// Differentiable causal attention softmax of raw scores `[.., queries, keys]` with the
/// `1/sqrt(head_dim)` scale folded in (fused forward and backward).
pub fn causal_softmax(scores: &Tensor, scale: f64) -> Result<Tensor> {
    scores.contiguous()?.apply_op1(CausalSoftmax { scale })
}
