//! RMS normalisation `y = x / sqrt(mean(x²) + eps) * w` with a fused backward pass.
//!
//! With `r = 1/sqrt(mean(x²) + eps)` and `x̂ = x r`, per row:
//! `dx = r * (g w - x̂ * mean(g w x̂))` and `dw = Σ_rows g x̂`.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};

use super::kernel::{c, column_sums, contiguous, for_each_row, KFloat};
use crate::dispatch_float;

struct RmsNorm {
    eps: f64,
}

fn inv_rms<T: KFloat>(row: &[T], eps: f64) -> T {
    let ms = row.iter().fold(T::zero(), |a, &v| a + v * v) / c::<T>(row.len() as f64);
    c::<T>(1.0) / (ms + c::<T>(eps)).sqrt()
}

fn rms_fwd<T: KFloat>(
    eps: f64,
    s1: &CpuStorage,
    l1: &Layout,
    s2: &CpuStorage,
    l2: &Layout,
) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s1, l1, "rms_norm")?;
    let w = contiguous::<T>(s2, l2, "rms_norm")?;
    let d = l1.dims().last().copied().unwrap_or(1).max(1);
    if w.len() != d {
        candle_core::bail!("rms_norm: weight has {} entries, last dim is {d}", w.len());
    }
    let mut out = vec![T::zero(); x.len()];
    for_each_row(&mut out, d, |r, o| {
        let row = &x[r * d..(r + 1) * d];
        let inv = inv_rms(row, eps);
        for ((oi, &xi), &wi) in o.iter_mut().zip(row).zip(w) {
            *oi = xi * inv * wi;
        }
    });
    Ok((T::to_cpu_storage_owned(out), l1.shape().clone()))
}

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "optlab-rms-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        dispatch_float!("rms_norm", s1.dtype(), rms_fwd, self.eps, s1, l1, s2, l2)
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let dx = x.apply_op3_no_bwd(
            w,
            &g,
            &RmsNormBackward {
                eps: self.eps,
                wrt_x: true,
            },
        )?;
        let dw = x.apply_op3_no_bwd(
            w,
            &g,
            &RmsNormBackward {
                eps: self.eps,
                wrt_x: false,
            },
        )?;
        Ok((Some(dx), Some(dw)))
    }
}

struct RmsNormBackward {
    eps: f64,
    wrt_x: bool,
}

fn rms_bwd<T: KFloat>(
    op: &RmsNormBackward,
    s: [(&CpuStorage, &Layout); 3],
) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s[0].0, s[0].1, "rms_norm backward")?;
    let w = contiguous::<T>(s[1].0, s[1].1, "rms_norm backward")?;
    let g = contiguous::<T>(s[2].0, s[2].1, "rms_norm backward")?;
    let d = s[0].1.dims().last().copied().unwrap_or(1).max(1);
    let rows = x.len() / d;
    if op.wrt_x {
        let mut out = vec![T::zero(); x.len()];
        for_each_row(&mut out, d, |r, o| {
            let (xr, gr) = (&x[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
            let inv = inv_rms(xr, op.eps);
            let mut dot = T::zero();
            for i in 0..d {
                dot += gr[i] * w[i] * xr[i] * inv;
            }
            let mean = dot / c::<T>(d as f64);
            for i in 0..d {
                o[i] = inv * (gr[i] * w[i] - xr[i] * inv * mean);
            }
        });
        Ok((T::to_cpu_storage_owned(out), s[0].1.shape().clone()))
    } else {
        let dw: Vec<T> = column_sums(rows, d, |r, acc| {
            let (xr, gr) = (&x[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
            let inv = inv_rms(xr, op.eps);
            for i in 0..d {
                acc[i] += candle_core::WithDType::to_f64(gr[i] * xr[i] * inv);
            }
        });
        Ok((T::to_cpu_storage_owned(dw), s[1].1.shape().clone()))
    }
}

impl CustomOp3 for RmsNormBackward {
    fn name(&self) -> &'static str {
        "optlab-rms-norm-bwd"
    }

    crate::op3_cpu_fwd!("rms_norm backward", rms_bwd);
}

/// Differentiable RMS norm over the last dimension with scale `w` (fused forward and backward).
pub fn rms_norm(x: &Tensor, w: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&w.contiguous()?, RmsNorm { eps })
}
