//! Shared plumbing for optlab's CPU kernels: dtype dispatch, contiguous slices, row loops.

use candle_core::{CpuStorage, DType, Layout, Result, WithDType};
use num_traits::Float;
use rayon::prelude::*;

/// Element types the fused kernels run on: f32 for training, f64 for gradient checks.
pub trait KFloat: WithDType + Float + num_traits::NumAssign + Send + Sync {}
impl KFloat for f32 {}
impl KFloat for f64 {}

/// Rows shorter than this total are processed on one thread (rayon overhead dominates).
const PAR_THRESHOLD: usize = 1 << 14;

/// The contiguous slice behind a storage/layout pair, or an error naming the op.
pub fn contiguous<'a, T: WithDType>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [T]> {
    let data = s.as_slice::<T>()?;
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&data[a..b]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

/// Error for dtypes the kernels do not implement.
pub fn unsupported(op: &str, dtype: DType) -> candle_core::Error {
    candle_core::Error::Msg(format!(
        "{op}: dtype {dtype:?} is not supported (use f32 or f64)"
    ))
}

/// Fill `out` row by row: `f(row_index, out_row)`, in parallel for large tensors.
pub fn for_each_row<T: KFloat>(out: &mut [T], d: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if out.len() >= PAR_THRESHOLD {
        out.par_chunks_mut(d).enumerate().for_each(|(r, o)| f(r, o));
    } else {
        out.chunks_mut(d).enumerate().for_each(|(r, o)| f(r, o));
    }
}

/// Sum over rows of `f(row_index, column)` for every column, accumulated in f64.
pub fn column_sums<T: KFloat>(
    rows: usize,
    d: usize,
    f: impl Fn(usize, &mut [f64]) + Sync,
) -> Vec<T> {
    let chunk = (rows / rayon::current_num_threads().max(1)).max(1);
    let partial: Vec<Vec<f64>> = (0..rows)
        .collect::<Vec<_>>()
        .par_chunks(chunk)
        .map(|rs| {
            let mut acc = vec![0f64; d];
            for &r in rs {
                f(r, &mut acc);
            }
            acc
        })
        .collect();
    let mut total = vec![0f64; d];
    for p in partial {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
        .into_iter()
        .map(|v| T::from(v).unwrap_or_else(T::nan))
        .collect()
}

/// Convert an f64 constant into the kernel's element type.
pub fn c<T: KFloat>(v: f64) -> T {
    T::from(v).unwrap_or_else(T::nan)
}

/// Dispatch a generic kernel body over f32/f64 storage.
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch_float {
    ($op:expr, $dtype:expr, $body:ident, $($arg:expr),*) => {{
        #[allow(unused_imports)]
        use candle_core::backend::BackendStorage as _;
        match $dtype {
            candle_core::DType::F32 => $body::<f32>($($arg),*),
            candle_core::DType::F64 => $body::<f64>($($arg),*),
            other => Err($crate::ops::kernel::unsupported($op, other)),
        }
    }};
}

/// Implement `CustomOp3::cpu_fwd` by dispatching the three storages to a generic kernel
/// `$body::<T>(&self, [(storage, layout); 3])`.
#[macro_export]
#[doc(hidden)]
macro_rules! op3_cpu_fwd {
    ($label:expr, $body:ident) => {
        fn cpu_fwd(
            &self,
            s1: &candle_core::CpuStorage,
            l1: &candle_core::Layout,
            s2: &candle_core::CpuStorage,
            l2: &candle_core::Layout,
            s3: &candle_core::CpuStorage,
            l3: &candle_core::Layout,
        ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
            let s = [(s1, l1), (s2, l2), (s3, l3)];
            $crate::dispatch_float!($label, s1.dtype(), $body, self, s)
        }
    };
}
