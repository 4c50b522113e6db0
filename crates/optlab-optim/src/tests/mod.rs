//! Tests: update rules against independent f64 references, partitions, state, errors.

mod entries_bench;
mod partition_tests;
mod rules;
mod state;

use candle_core::{Device, Tensor, Var};
use optlab_core::params::{NamedParam, ParamRole};
use optlab_core::rng::Rng;
use optlab_core::train::NamedGrads;

/// A parameter with the given name, role, shape and N(0, 1) values from `seed`.
pub(crate) fn param(name: &str, role: ParamRole, shape: &[usize], seed: u64) -> NamedParam {
    let n: usize = shape.iter().product();
    let vals = Rng::new(seed).normal_vec(n, 1.0);
    let t = Tensor::from_vec(vals, shape, &Device::Cpu).expect("tensor");
    NamedParam {
        name: name.into(),
        var: Var::from_tensor(&t).expect("var"),
        role,
    }
}

/// A small mixed set: a row-structured matrix, a query matrix, a norm and a bias.
pub(crate) fn small_set(seed: u64) -> Vec<NamedParam> {
    vec![
        param(
            "layers.0.mlp.up_proj.weight",
            ParamRole::MlpUp,
            &[3, 4],
            seed,
        ),
        param(
            "layers.0.self_attn.q_proj.weight",
            ParamRole::Query,
            &[4, 4],
            seed + 1,
        ),
        param(
            "layers.0.input_layernorm.weight",
            ParamRole::Norm,
            &[4],
            seed + 2,
        ),
        param(
            "layers.0.self_attn.q_proj.bias",
            ParamRole::Bias,
            &[4],
            seed + 3,
        ),
    ]
}

/// Deep copies of parameters (fresh Vars with the same values).
pub(crate) fn clone_params(ps: &[NamedParam]) -> Vec<NamedParam> {
    ps.iter()
        .map(|p| NamedParam {
            name: p.name.clone(),
            var: Var::from_tensor(&p.var.as_tensor().copy().expect("copy")).expect("var"),
            role: p.role,
        })
        .collect()
}

/// Random gradients (N(0, scale²)) for every parameter.
pub(crate) fn grads(ps: &[NamedParam], seed: u64, scale: f64) -> NamedGrads {
    let mut rng = Rng::new(seed);
    ps.iter()
        .map(|p| {
            let g = rng.normal_vec(p.var.elem_count(), scale);
            let t = Tensor::from_vec(g, p.var.dims(), &Device::Cpu).expect("grad");
            (p.name.clone(), t)
        })
        .collect()
}

/// Flat f64 values of a tensor.
pub(crate) fn flat(t: &Tensor) -> Vec<f64> {
    t.flatten_all()
        .and_then(|t| t.to_dtype(candle_core::DType::F64))
        .and_then(|t| t.to_vec1::<f64>())
        .expect("flat")
}

/// Assert `got` matches `want` to 1e-6 relative to the tensor's largest entry (the f32
/// parameters carry rounding of order 1e-7 of their magnitude, which cancellation in a small
/// entry would otherwise exaggerate).
pub(crate) fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0f64, |a, w| a.max(w.abs())).max(1e-3);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-6 * scale;
        assert!((g - w).abs() <= tol, "{what}[{i}]: got {g}, want {w}");
    }
}
