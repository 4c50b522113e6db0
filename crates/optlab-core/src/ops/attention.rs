//! Fused causal grouped-query attention: `softmax(scale · Q Kᵀ, causal) V` per head, with a
//! hand-written backward pass.
//!
//! Inputs stay in the projection layout `[batch, seq, heads, head_dim]`, so no head
//! transposes, no copies of the shared key/value heads (grouped-query attention reads them
//! in place) and no score tensor in the autograd graph: the backward pass recomputes each
//! head's probabilities (one `t × t` scratch per thread) instead of storing them.

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Storage, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;

use super::kernel::{c, contiguous, KFloat};

/// Shapes of one attention call.
#[derive(Clone, Copy)]
struct Dims {
    b: usize,
    t: usize,
    nh: usize,
    nkv: usize,
    hd: usize,
}

impl Dims {
    fn of(q: &Layout, k: &Layout, v: &Layout) -> Result<Self> {
        let (b, t, nh, hd) = q.shape().dims4()?;
        let (kb, kt, nkv, khd) = k.shape().dims4()?;
        if (kb, kt, khd) != (b, t, hd) || v.dims() != k.dims() || nkv == 0 || nh % nkv != 0 {
            candle_core::bail!(
                "causal attention: q {:?}, k {:?}, v {:?} do not line up",
                q.dims(),
                k.dims(),
                v.dims()
            );
        }
        Ok(Self { b, t, nh, nkv, hd })
    }
}

/// A row-major view `(pointer, row stride, column stride)` for gemm.
#[derive(Clone, Copy)]
struct View<T> {
    ptr: *const T,
    rs: usize,
    cs: usize,
}

impl<T> View<T> {
    fn new(ptr: *const T, rs: usize, cs: usize) -> Self {
        Self { ptr, rs, cs }
    }
    fn t(self) -> Self {
        Self::new(self.ptr, self.cs, self.rs)
    }
}

/// A raw pointer that rayon tasks writing disjoint parts of one buffer may share.
#[derive(Clone, Copy)]
struct SharedMut<T>(*mut T);
unsafe impl<T> Send for SharedMut<T> {}
unsafe impl<T> Sync for SharedMut<T> {}

impl<T> SharedMut<T> {
    fn at(self, offset: usize) -> *mut T {
        self.0.wrapping_add(offset)
    }
}

/// `dst (m×n) [+]= a (m×k) · b (k×n) · scale`, single-threaded (callers parallelise).
///
/// Safety: the views and `dst` must cover the ranges their strides imply.
unsafe fn matmul<T: KFloat + 'static>(
    dims: (usize, usize, usize),
    dst: View<T>,
    accumulate: bool,
    a: View<T>,
    b: View<T>,
    scale: T,
) {
    let (m, n, k) = dims;
    gemm::gemm(
        m,
        n,
        k,
        dst.ptr as *mut T,
        dst.cs as isize,
        dst.rs as isize,
        accumulate,
        a.ptr,
        a.cs as isize,
        a.rs as isize,
        b.ptr,
        b.cs as isize,
        b.rs as isize,
        T::one(),
        scale,
        false,
        false,
        false,
        Parallelism::None,
    );
}

/// Scaled scores of query head `h` against its key head, turned into causal probabilities
/// in `p` (`t × t`, zeros above the diagonal).
///
/// Safety: `q`/`k` point at the starts of that head's columns in `[b, t, heads, hd]` data.
unsafe fn probabilities<T: KFloat + 'static>(d: Dims, q: *const T, k: *const T, s: T, p: &mut [T]) {
    let t = d.t;
    let qv = View::new(q, d.nh * d.hd, 1);
    let kt = View::new(k, d.nkv * d.hd, 1).t();
    matmul((t, t, d.hd), View::new(p.as_ptr(), t, 1), false, qv, kt, s);
    for (i, row) in p.chunks_mut(t).enumerate() {
        let (vis, hidden) = row.split_at_mut(i + 1);
        let m = vis
            .iter()
            .fold(T::neg_infinity(), |a, &b| num_traits::Float::max(a, b));
        let mut sum = T::zero();
        for x in vis.iter_mut() {
            *x = (*x - m).exp();
            sum += *x;
        }
        let inv = T::one() / sum;
        vis.iter_mut().for_each(|x| *x *= inv);
        hidden.iter_mut().for_each(|x| *x = T::zero());
    }
}

fn attn_fwd<T: KFloat + 'static>(
    op: &CausalAttention,
    s: [(&CpuStorage, &Layout); 3],
) -> Result<(CpuStorage, Shape)> {
    let d = Dims::of(s[0].1, s[1].1, s[2].1)?;
    let q = contiguous::<T>(s[0].0, s[0].1, "causal attention")?;
    let k = contiguous::<T>(s[1].0, s[1].1, "causal attention")?;
    let v = contiguous::<T>(s[2].0, s[2].1, "causal attention")?;
    let (t, hd, group) = (d.t, d.hd, d.nh / d.nkv);
    let mut out = vec![T::zero(); q.len()];
    let o = SharedMut(out.as_mut_ptr());
    let scale = c::<T>(op.scale);
    (0..d.b * d.nh).into_par_iter().for_each_init(
        || vec![T::zero(); t * t],
        |p, bh| {
            let (bi, h) = (bh / d.nh, bh % d.nh);
            let qo = bi * t * d.nh * hd + h * hd;
            let ko = bi * t * d.nkv * hd + (h / group) * hd;
            // Safety: offsets stay inside `[b, t, heads, hd]`; each task writes only its own
            // head's columns of `out`.
            unsafe {
                probabilities(d, q.as_ptr().add(qo), k.as_ptr().add(ko), scale, p);
                let pv = View::new(p.as_ptr(), t, 1);
                let vv = View::new(v.as_ptr().add(ko), d.nkv * hd, 1);
                let ov = View::new(o.at(qo) as *const T, d.nh * hd, 1);
                matmul((t, hd, t), ov, false, pv, vv, T::one());
            }
        },
    );
    Ok((T::to_cpu_storage_owned(out), s[0].1.shape().clone()))
}

/// Gradients `(dq, dk, dv)` for upstream gradient `go`, all `[b, t, heads, hd]` slices.
fn attn_bwd<T: KFloat + 'static>(
    d: Dims,
    scale: f64,
    q: &[T],
    k: &[T],
    v: &[T],
    go: &[T],
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (t, hd, group) = (d.t, d.hd, d.nh / d.nkv);
    let (mut dq, mut dk, mut dv) = (
        vec![T::zero(); q.len()],
        vec![T::zero(); k.len()],
        vec![T::zero(); v.len()],
    );
    let (dqp, dkp, dvp) = (
        SharedMut(dq.as_mut_ptr()),
        SharedMut(dk.as_mut_ptr()),
        SharedMut(dv.as_mut_ptr()),
    );
    let s = c::<T>(scale);
    let (qrow, krow) = (d.nh * hd, d.nkv * hd);
    (0..d.b * d.nkv).into_par_iter().for_each_init(
        || (vec![T::zero(); t * t], vec![T::zero(); t * t]),
        |(p, dp), bg| {
            let (bi, g) = (bg / d.nkv, bg % d.nkv);
            let ko = bi * t * krow + g * hd;
            for (j, h) in (g * group..(g + 1) * group).enumerate() {
                let qo = bi * t * qrow + h * hd;
                let acc = j > 0;
                // Safety: as in the forward pass; task (batch, kv head) alone writes that kv
                // head's columns of dk/dv and its query heads' columns of dq.
                unsafe {
                    probabilities(d, q.as_ptr().add(qo), k.as_ptr().add(ko), s, p);
                    let pm = View::new(p.as_ptr(), t, 1);
                    let gov = View::new(go.as_ptr().add(qo), qrow, 1);
                    let vv = View::new(v.as_ptr().add(ko), krow, 1);
                    let dvv = View::new(dvp.at(ko) as *const T, krow, 1);
                    matmul((t, hd, t), dvv, acc, pm.t(), gov, T::one());
                    let dpm = View::new(dp.as_ptr(), t, 1);
                    matmul((t, t, hd), dpm, false, gov, vv.t(), T::one());
                }
                for (pr, dr) in p.chunks(t).zip(dp.chunks_mut(t)) {
                    let dot = pr
                        .iter()
                        .zip(dr.iter())
                        .fold(T::zero(), |a, (&x, &y)| a + x * y);
                    for (x, &y) in dr.iter_mut().zip(pr) {
                        *x = y * (*x - dot) * s;
                    }
                }
                unsafe {
                    let ds = View::new(dp.as_ptr(), t, 1);
                    let kv = View::new(k.as_ptr().add(ko), krow, 1);
                    let qv = View::new(q.as_ptr().add(qo), qrow, 1);
                    matmul(
                        (t, hd, t),
                        View::new(dqp.at(qo) as *const T, qrow, 1),
                        false,
                        ds,
                        kv,
                        T::one(),
                    );
                    matmul(
                        (t, hd, t),
                        View::new(dkp.at(ko) as *const T, krow, 1),
                        acc,
                        ds.t(),
                        qv,
                        T::one(),
                    );
                }
            }
        },
    );
    (dq, dk, dv)
}

struct CausalAttention {
    scale: f64,
}

fn cpu_slice<T: KFloat>(x: &Tensor, f: impl FnOnce(&[T]) -> Result<Tensor>) -> Result<Tensor> {
    let x = x.contiguous()?;
    let (st, l) = x.storage_and_layout();
    match &*st {
        Storage::Cpu(s) => f(contiguous::<T>(s, l, "causal attention backward")?),
        _ => candle_core::bail!("causal attention: only the CPU backend is implemented"),
    }
}

fn backward<T: KFloat + 'static>(
    scale: f64,
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    go: &Tensor,
) -> Result<(Tensor, Tensor, Tensor)> {
    let d = Dims::of(q.layout(), k.layout(), v.layout())?;
    let mut grads = None;
    cpu_slice::<T>(q, |qs| {
        cpu_slice::<T>(k, |ks| {
            cpu_slice::<T>(v, |vs| {
                cpu_slice::<T>(go, |gs| {
                    grads = Some(attn_bwd(d, scale, qs, ks, vs, gs));
                    Ok(go.clone())
                })
            })
        })
    })?;
    let (dq, dk, dv) =
        grads.ok_or_else(|| candle_core::Error::Msg("causal attention: no gradient".into()))?;
    let dev = q.device();
    Ok((
        Tensor::from_vec(dq, q.shape(), dev)?,
        Tensor::from_vec(dk, k.shape(), dev)?,
        Tensor::from_vec(dv, v.shape(), dev)?,
    ))
}

impl CustomOp3 for CausalAttention {
    fn name(&self) -> &'static str {
        "optlab-causal-attention"
    }

    crate::op3_cpu_fwd!("causal attention", attn_fwd);

    fn bwd(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (dq, dk, dv) = match q.dtype() {
            candle_core::DType::F32 => backward::<f32>(self.scale, q, k, v, grad)?,
            candle_core::DType::F64 => backward::<f64>(self.scale, q, k, v, grad)?,
            other => return Err(super::kernel::unsupported("causal attention", other)),
        };
        Ok((Some(dq), Some(dk), Some(dv)))
    }
}

/// Differentiable causal attention for `q: [b, t, heads, hd]` and `k, v: [b, t, kv_heads, hd]`
/// (`heads` a multiple of `kv_heads`; query head `h` reads key/value head `h / (heads /
/// kv_heads)`), returning `[b, t, heads, hd]`. `scale` multiplies the scores (usually
/// `1/sqrt(hd)`). CPU, f32/f64.
pub fn causal_attention(q: &Tensor, k: &Tensor, v: &Tensor, scale: f64) -> Result<Tensor> {
    q.contiguous()?.apply_op3(
        &k.contiguous()?,
        &v.contiguous()?,
        CausalAttention { scale },
    )
}
