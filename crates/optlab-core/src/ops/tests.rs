use candle_core::{DType, Device, Tensor, Var};

use super::*;
use crate::gradcheck::max_relative_error;
use crate::rng::Rng;

fn var(rng: &mut Rng, shape: &[usize]) -> Var {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    Var::from_tensor(&Tensor::from_vec(v, shape, &Device::Cpu).unwrap()).unwrap()
}

fn weights(rng: &mut Rng, shape: &[usize]) -> Tensor {
    var(rng, shape).as_tensor().clone()
}

const TOL: f64 = 1e-4;

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

#[test]
fn softmax_gradient_matches_finite_differences_and_basic() {
    let mut rng = Rng::new(1);
    let x = var(&mut rng, &[3, 5]);
    let r = weights(&mut rng, &[3, 5]);
    let err = max_relative_error(std::slice::from_ref(&x), 1e-6, || {
        (softmax_last_dim(&x)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "softmax grad rel err {err}");
    let fused = softmax_last_dim(&x).unwrap();
    let basic = basic::softmax_last_dim(&x).unwrap();
    let diff = max_abs_diff(&fused, &basic);
    assert!(diff < 1e-12, "forward differs by {diff}");
}

#[test]
fn rms_norm_gradient_matches_finite_differences() {
    let mut rng = Rng::new(2);
    let x = var(&mut rng, &[2, 3, 6]);
    let w = var(&mut rng, &[6]);
    let r = weights(&mut rng, &[2, 3, 6]);
    let err = max_relative_error(&[x.clone(), w.clone()], 1e-6, || {
        (rms_norm(&x, &w, 1e-5)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "rms_norm grad rel err {err}");
    let diff = max_abs_diff(
        &rms_norm(&x, &w, 1e-5).unwrap(),
        &basic::rms_norm(&x, &w, 1e-5).unwrap(),
    );
    assert!(diff < 1e-12, "forward differs by {diff}");
}

#[test]
fn rope_gradient_matches_finite_differences_and_basic() {
    let mut rng = Rng::new(3);
    let x = var(&mut rng, &[2, 2, 4, 8]);
    let (cos, sin) = rope_tables(8, 4, 10000.0, &Device::Cpu).unwrap();
    let (cos, sin) = (
        cos.to_dtype(DType::F64).unwrap(),
        sin.to_dtype(DType::F64).unwrap(),
    );
    let r = weights(&mut rng, &[2, 2, 4, 8]);
    let err = max_relative_error(std::slice::from_ref(&x), 1e-6, || {
        (rope(&x, &cos, &sin)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "rope grad rel err {err}");
    let diff = max_abs_diff(
        &rope(&x, &cos, &sin).unwrap(),
        &basic::rope(&x, &cos, &sin).unwrap(),
    );
    assert!(diff < 1e-12, "forward differs by {diff}");
}

#[test]
fn swiglu_gradient_matches_finite_differences() {
    let mut rng = Rng::new(4);
    let a = var(&mut rng, &[3, 7]);
    let b = var(&mut rng, &[3, 7]);
    let r = weights(&mut rng, &[3, 7]);
    let err = max_relative_error(&[a.clone(), b.clone()], 1e-6, || {
        (swiglu(&a, &b)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "swiglu grad rel err {err}");
}

#[test]
fn fused_ops_work_on_non_contiguous_inputs_and_reject_bad_dtypes() {
    let mut rng = Rng::new(5);
    let x = var(&mut rng, &[4, 6]);
    let t = x.as_tensor().t().unwrap();
    let a = softmax_last_dim(&t).unwrap();
    let b = basic::softmax_last_dim(&t).unwrap();
    let diff = max_abs_diff(&a, &b);
    assert!(diff < 1e-12);
    let ints = Tensor::new(&[1u32, 2, 3], &Device::Cpu).unwrap();
    let err = softmax_last_dim(&ints).unwrap_err().to_string();
    assert!(err.contains("not supported"), "{err}");
}

#[test]
fn layer_norm_gradient_matches_finite_differences_and_basic() {
    let mut rng = Rng::new(6);
    let x = var(&mut rng, &[2, 3, 6]);
    let w = var(&mut rng, &[6]);
    let b = var(&mut rng, &[6]);
    let r = weights(&mut rng, &[2, 3, 6]);
    let err = max_relative_error(&[x.clone(), w.clone(), b.clone()], 1e-6, || {
        (layer_norm(&x, &w, &b, 1e-5)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "layer_norm grad rel err {err}");
    let diff = max_abs_diff(
        &layer_norm(&x, &w, &b, 1e-5).unwrap(),
        &basic::layer_norm(&x, &w, &b, 1e-5).unwrap(),
    );
    assert!(diff < 1e-12, "forward differs by {diff}");
}

#[test]
fn causal_softmax_matches_scale_mask_softmax_and_finite_differences() {
    let mut rng = Rng::new(7);
    let x = var(&mut rng, &[2, 3, 4, 4]);
    let r = weights(&mut rng, &[2, 3, 4, 4]);
    let scale = 0.35;
    let err = max_relative_error(std::slice::from_ref(&x), 1e-6, || {
        (causal_softmax(&x, scale)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "causal softmax grad rel err {err}");
    let mask: Vec<f64> = (0..16)
        .map(|i| {
            if i % 4 > i / 4 {
                f64::NEG_INFINITY
            } else {
                0.0
            }
        })
        .collect();
    let mask = Tensor::from_vec(mask, (4, 4), &Device::Cpu).unwrap();
    let reference = basic::softmax_last_dim(
        &(x.as_tensor() * scale)
            .unwrap()
            .broadcast_add(&mask)
            .unwrap(),
    )
    .unwrap();
    let diff = max_abs_diff(&causal_softmax(&x, scale).unwrap(), &reference);
    assert!(diff < 1e-12, "forward differs by {diff}");
}
