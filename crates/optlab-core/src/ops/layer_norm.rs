//! Layer normalisation `y = (x - mean) / sqrt(var + eps) * w + b` with a fused backward pass.
//!
//! With `r = 1/sqrt(var + eps)`, `x̂ = (x - mean) r` and `h = g w`, per row:
//! `dx = r (h - mean(h) - x̂ mean(h x̂))`, `dw = Σ_rows g x̂`, `db = Σ_rows g`.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::kernel::{c, column_sums, contiguous, for_each_row, KFloat};

struct LayerNorm {
    eps: f64,
}

/// Mean and inverse standard deviation of a row.
fn stats<T: KFloat>(row: &[T], eps: f64) -> (T, T) {
    let n = c::<T>(row.len() as f64);
    let mean = row.iter().fold(T::zero(), |a, &v| a + v) / n;
    let var = row
        .iter()
        .fold(T::zero(), |a, &v| a + (v - mean) * (v - mean))
        / n;
    (mean, c::<T>(1.0) / (var + c::<T>(eps)).sqrt())
}

fn ln_fwd<T: KFloat>(
    op: &LayerNorm,
    s: [(&CpuStorage, &Layout); 3],
) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s[0].0, s[0].1, "layer_norm")?;
    let w = contiguous::<T>(s[1].0, s[1].1, "layer_norm")?;
    let b = contiguous::<T>(s[2].0, s[2].1, "layer_norm")?;
    let d = s[0].1.dims().last().copied().unwrap_or(1).max(1);
    if w.len() != d || b.len() != d {
        candle_core::bail!("layer_norm: weight/bias must have {d} entries");
    }
    let mut out = vec![T::zero(); x.len()];
    for_each_row(&mut out, d, |r, o| {
        let row = &x[r * d..(r + 1) * d];
        let (mean, inv) = stats(row, op.eps);
        for i in 0..d {
            o[i] = (row[i] - mean) * inv * w[i] + b[i];
        }
    });
    Ok((T::to_cpu_storage_owned(out), s[0].1.shape().clone()))
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "optlab-layer-norm"
    }

    crate::op3_cpu_fwd!("layer_norm", ln_fwd);

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let g = grad.contiguous()?;
        let part = |which| {
            x.apply_op3_no_bwd(
                w,
                &g,
                &LayerNormBackward {
                    eps: self.eps,
                    which,
                },
            )
        };
        Ok((
            Some(part(Part::X)?),
            Some(part(Part::W)?),
            Some(part(Part::B)?),
        ))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Part {
    X,
    W,
    B,
}

struct LayerNormBackward {
    eps: f64,
    which: Part,
}

fn ln_bwd<T: KFloat>(
    op: &LayerNormBackward,
    s: [(&CpuStorage, &Layout); 3],
) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s[0].0, s[0].1, "layer_norm backward")?;
    let w = contiguous::<T>(s[1].0, s[1].1, "layer_norm backward")?;
    let g = contiguous::<T>(s[2].0, s[2].1, "layer_norm backward")?;
    let d = s[0].1.dims().last().copied().unwrap_or(1).max(1);
    let rows = x.len() / d;
    if op.which == Part::X {
        let mut out = vec![T::zero(); x.len()];
        for_each_row(&mut out, d, |r, o| {
            let (xr, gr) = (&x[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
            let (mean, inv) = stats(xr, op.eps);
            let n = c::<T>(d as f64);
            let (mut mh, mut mhx) = (T::zero(), T::zero());
            for i in 0..d {
                let h = gr[i] * w[i];
                mh += h;
                mhx += h * (xr[i] - mean) * inv;
            }
            let (mh, mhx) = (mh / n, mhx / n);
            for i in 0..d {
                let xhat = (xr[i] - mean) * inv;
                o[i] = inv * (gr[i] * w[i] - mh - xhat * mhx);
            }
        });
        return Ok((T::to_cpu_storage_owned(out), s[0].1.shape().clone()));
    }
    let with_xhat = op.which == Part::W;
    let sums: Vec<T> = column_sums(rows, d, |r, acc| {
        let (xr, gr) = (&x[r * d..(r + 1) * d], &g[r * d..(r + 1) * d]);
        let (mean, inv) = stats(xr, op.eps);
        for i in 0..d {
            let v = if with_xhat {
                gr[i] * (xr[i] - mean) * inv
            } else {
                gr[i]
            };
            acc[i] += candle_core::WithDType::to_f64(v);
        }
    });
    Ok((T::to_cpu_storage_owned(sums), s[1].1.shape().clone()))
}

impl CustomOp3 for LayerNormBackward {
    fn name(&self) -> &'static str {
        "optlab-layer-norm-bwd"
    }

    crate::op3_cpu_fwd!("layer_norm backward", ln_bwd);
}

/// Differentiable layer norm over the last dimension with scale `w` and shift `b`.
pub fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, LayerNorm { eps })
}
