//! Rotary position embedding in the Hugging Face "rotate half" layout, fused both ways.
//!
//! For a head vector split into halves `(x1, x2)` and tables `cos, sin` of shape
//! `[seq, head_dim/2]`: `y1 = x1 cos - x2 sin`, `y2 = x2 cos + x1 sin`. The map is a rotation,
//! so its transpose is the same map with `sin` negated, which is how the backward pass runs.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::kernel::{contiguous, for_each_row, KFloat};

struct Rope {
    negate_sin: bool,
    /// Layout `[.., seq, heads, hd]` (several head vectors per position) instead of `[.., seq, hd]`.
    heads_inner: bool,
}

fn rope_fwd<T: KFloat>(op: &Rope, s: [(&CpuStorage, &Layout); 3]) -> Result<(CpuStorage, Shape)> {
    let x = contiguous::<T>(s[0].0, s[0].1, "rope")?;
    let cos = contiguous::<T>(s[1].0, s[1].1, "rope")?;
    let sin = contiguous::<T>(s[2].0, s[2].1, "rope")?;
    let dims = s[0].1.dims();
    if dims.len() < 2 {
        candle_core::bail!("rope: expected [.., seq, head_dim], got {dims:?}");
    }
    let d = dims[dims.len() - 1];
    let (t, heads) = match (op.heads_inner, dims.len()) {
        (false, n) => (dims[n - 2], 1),
        (true, n) if n >= 3 => (dims[n - 3], dims[n - 2]),
        _ => candle_core::bail!("rope: expected [.., seq, heads, head_dim], got {dims:?}"),
    };
    let h = d / 2;
    if !d.is_multiple_of(2) || cos.len() != t * h || sin.len() != t * h {
        candle_core::bail!("rope: tables must be [{t}, {h}] for input {dims:?}");
    }
    let mut out = vec![T::zero(); x.len()];
    for_each_row(&mut out, d, |r, o| {
        let pos = (r / heads) % t;
        let (xr, cr, sr) = (
            &x[r * d..(r + 1) * d],
            &cos[pos * h..(pos + 1) * h],
            &sin[pos * h..(pos + 1) * h],
        );
        for i in 0..h {
            let s = if op.negate_sin { -sr[i] } else { sr[i] };
            o[i] = xr[i] * cr[i] - xr[i + h] * s;
            o[i + h] = xr[i + h] * cr[i] + xr[i] * s;
        }
    });
    Ok((T::to_cpu_storage_owned(out), s[0].1.shape().clone()))
}

impl CustomOp3 for Rope {
    fn name(&self) -> &'static str {
        "optlab-rope"
    }

    crate::op3_cpu_fwd!("rope", rope_fwd);

    fn bwd(
        &self,
        _x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let op = Rope {
            negate_sin: !self.negate_sin,
            heads_inner: self.heads_inner,
        };
        let dx = grad.contiguous()?.apply_op3_no_bwd(cos, sin, &op)?;
        Ok((Some(dx), None, None))
    }
}

/// Differentiable rotary embedding of `x: [.., seq, head_dim]` with `cos, sin: [seq, head_dim/2]`.
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op3(
        &cos.contiguous()?,
        &sin.contiguous()?,
        Rope {
            negate_sin: false,
            heads_inner: false,
        },
    )
}

/// [`rope`] for the projection layout `x: [batch, seq, heads, head_dim]` (no transpose needed
/// before [`super::causal_attention`]).
pub fn rope_heads_inner(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op3(
        &cos.contiguous()?,
        &sin.contiguous()?,
        Rope {
            negate_sin: false,
            heads_inner: true,
        },
    )
}

/// Cos/sin tables for positions `0..max_len` and base `theta`, each `[max_len, head_dim/2]`.
pub fn rope_tables(
    head_dim: usize,
    max_len: usize,
    theta: f64,
    dev: &candle_core::Device,
) -> Result<(Tensor, Tensor)> {
    let h = head_dim / 2;
    let mut cos = Vec::with_capacity(max_len * h);
    let mut sin = Vec::with_capacity(max_len * h);
    for p in 0..max_len {
        for i in 0..h {
            let freq = 1.0 / theta.powf(2.0 * i as f64 / head_dim as f64);
            let a = p as f64 * freq;
            cos.push(a.cos() as f32);
            sin.push(a.sin() as f32);
        }
    }
    Ok((
        Tensor::from_vec(cos, (max_len, h), dev)?,
        Tensor::from_vec(sin, (max_len, h), dev)?,
    ))
}
