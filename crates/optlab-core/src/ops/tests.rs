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

/// Reference: heads transposed, key/value heads repeated, scores masked, softmax, then back.
fn attention_reference(q: &Tensor, k: &Tensor, v: &Tensor, scale: f64) -> Tensor {
    let (_, t, nh, _) = q.dims4().unwrap();
    let nkv = k.dim(2).unwrap();
    let heads = |x: &Tensor, n: usize| {
        let x = x.transpose(1, 2).unwrap().contiguous().unwrap();
        let parts: Vec<Tensor> = (0..x.dim(1).unwrap())
            .flat_map(|i| std::iter::repeat_n(x.narrow(1, i, 1).unwrap(), n))
            .collect();
        Tensor::cat(&parts, 1).unwrap()
    };
    let (qh, kh, vh) = (heads(q, 1), heads(k, nh / nkv), heads(v, nh / nkv));
    let scores = qh.matmul(&kh.t().unwrap()).unwrap();
    let probs = causal_softmax(&scores, scale).unwrap();
    let _ = t;
    probs.matmul(&vh).unwrap().transpose(1, 2).unwrap()
}

#[test]
fn fused_causal_attention_matches_the_composition_and_finite_differences() {
    let mut rng = Rng::new(11);
    let (b, t, nh, nkv, hd) = (2, 5, 4, 2, 3);
    let q = var(&mut rng, &[b, t, nh, hd]);
    let k = var(&mut rng, &[b, t, nkv, hd]);
    let v = var(&mut rng, &[b, t, nkv, hd]);
    let r = weights(&mut rng, &[b, t, nh, hd]);
    let fused = causal_attention(&q, &k, &v, 0.7).unwrap();
    let reference = attention_reference(&q, &k, &v, 0.7);
    let diff = max_abs_diff(&fused, &reference);
    assert!(diff < 1e-12, "forward differs by {diff}");
    let err = max_relative_error(&[q.clone(), k.clone(), v.clone()], 1e-6, || {
        (causal_attention(&q, &k, &v, 0.7)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "attention grad rel err {err}");
    let bad = var(&mut rng, &[b, t, 3, hd]);
    assert!(causal_attention(&q, &bad, &bad, 0.7).is_err());
}

#[test]
fn rope_on_the_projection_layout_equals_rope_on_transposed_heads() {
    let mut rng = Rng::new(12);
    let (b, t, n, hd) = (2, 6, 3, 4);
    let x = var(&mut rng, &[b, t, n, hd]);
    let (cos, sin) = rope_tables(hd, t, 10000.0, &Device::Cpu).unwrap();
    let (cos, sin) = (
        cos.to_dtype(DType::F64).unwrap(),
        sin.to_dtype(DType::F64).unwrap(),
    );
    let inner = rope_heads_inner(&x, &cos, &sin).unwrap();
    let outer = rope(&x.transpose(1, 2).unwrap(), &cos, &sin)
        .unwrap()
        .transpose(1, 2)
        .unwrap();
    assert!(max_abs_diff(&inner, &outer) < 1e-15);
    let r = weights(&mut rng, &[b, t, n, hd]);
    let err = max_relative_error(std::slice::from_ref(&x), 1e-6, || {
        (rope_heads_inner(&x, &cos, &sin)? * &r)?.sum_all()
    })
    .unwrap();
    assert!(err < TOL, "rope (heads inner) grad rel err {err}");
}
