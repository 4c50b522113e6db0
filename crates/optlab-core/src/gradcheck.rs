//! Gradient checking: autodiff gradients against f64 central finite differences.
//!
//! Used by optlab's own tests for every layer type, and public so capability crates can check
//! their losses the same way.

use candle_core::{DType, Result, Tensor, Var};

/// Relative L2 distance between the autodiff gradient and the central-difference gradient of
/// `f` with respect to each of `vars` (all f64). Returns the largest error over the vars.
///
/// Each entry is perturbed by `±eps`, so use small tensors.
pub fn max_relative_error(vars: &[Var], eps: f64, f: impl Fn() -> Result<Tensor>) -> Result<f64> {
    for v in vars {
        if v.dtype() != DType::F64 {
            candle_core::bail!("gradient check needs f64 variables");
        }
    }
    let loss = f()?;
    let grads = loss.backward()?;
    let mut worst = 0f64;
    for v in vars {
        let ad: Vec<f64> = match grads.get(v.as_tensor()) {
            Some(g) => g.flatten_all()?.to_vec1()?,
            None => vec![0.0; v.elem_count()],
        };
        let base: Vec<f64> = v.as_tensor().flatten_all()?.to_vec1()?;
        let mut fd = vec![0f64; base.len()];
        for i in 0..base.len() {
            let mut x = base.clone();
            x[i] = base[i] + eps;
            v.set(&Tensor::from_vec(x.clone(), v.shape(), v.device())?)?;
            let up = f()?.to_scalar::<f64>()?;
            x[i] = base[i] - eps;
            v.set(&Tensor::from_vec(x, v.shape(), v.device())?)?;
            let down = f()?.to_scalar::<f64>()?;
            fd[i] = (up - down) / (2.0 * eps);
        }
        v.set(&Tensor::from_vec(base, v.shape(), v.device())?)?;
        let diff: f64 = ad
            .iter()
            .zip(&fd)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        let norm: f64 = fd.iter().map(|b| b * b).sum::<f64>().sqrt();
        worst = worst.max(diff / norm.max(1e-12));
    }
    Ok(worst)
}
