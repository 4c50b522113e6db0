//! HVP accuracy: exact on a quadratic, and the full Hessian of a small MLP assembled from
//! products against f64 finite differences of the loss; clear errors for bad selections.

mod common;

use candle_core::{DType, Device};
use common::{rel_err, Quadratic, SmallMlp};
use optlab_core::params::{Init, ParamBuilder, ParamRole};
use optlab_core::rng::Rng;
use optlab_curvature::hvp::Hvp;
use optlab_curvature::objective::Objective;
use optlab_curvature::CurvatureError;

#[test]
fn quadratic_hvp_matches_its_matrix() {
    let q = Quadratic::new(30, 3);
    let hvp = Hvp::new(&q, &[]).unwrap();
    let mut rng = Rng::new(9);
    for _ in 0..3 {
        let v: Vec<f64> = (0..q.n).map(|_| rng.normal()).collect();
        let hv = hvp.apply(&v).unwrap();
        let av: Vec<f64> = (0..q.n)
            .map(|i| (0..q.n).map(|j| q.a[i * q.n + j] * v[j]).sum())
            .collect();
        let err = rel_err(&hv, &av);
        println!("quadratic HVP relative error {err:.3e}");
        assert!(err < 1e-9, "relative error {err:e}");
    }
}

/// Full Hessian column by column from HVPs on unit vectors.
pub fn hessian_from_hvps(obj: &dyn Objective) -> (Vec<f64>, usize) {
    let hvp = Hvp::new(obj, &[]).unwrap();
    let n = hvp.dim();
    let mut h = vec![0.0; n * n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        for (i, x) in hvp.apply(&e).unwrap().into_iter().enumerate() {
            h[i * n + j] = x;
        }
    }
    (h, n)
}

fn loss_at(obj: &dyn Objective, theta: &[f64]) -> f64 {
    let mut off = 0;
    for p in obj.params().params() {
        let n = p.var.elem_count();
        let t = candle_core::Tensor::from_slice(&theta[off..off + n], p.var.shape(), &Device::Cpu)
            .unwrap();
        p.var.set(&t).unwrap();
        off += n;
    }
    obj.loss().unwrap().to_scalar::<f64>().unwrap()
}

#[test]
fn mlp_hessian_from_hvps_matches_finite_differences_and_is_symmetric() {
    let m = SmallMlp::new(&[4, 6, 3], 16, 5);
    let (h, n) = hessian_from_hvps(&m);
    let theta: Vec<f64> = m
        .params()
        .params()
        .iter()
        .flat_map(|p| {
            p.var
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
        })
        .collect();
    let step = 1e-4;
    let mut fd = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let f = |si: f64, sj: f64| {
                let mut t = theta.clone();
                t[i] += si * step;
                t[j] += sj * step;
                loss_at(&m, &t)
            };
            let v =
                (f(1.0, 1.0) - f(1.0, -1.0) - f(-1.0, 1.0) + f(-1.0, -1.0)) / (4.0 * step * step);
            fd[i * n + j] = v;
            fd[j * n + i] = v;
        }
    }
    loss_at(&m, &theta);
    let err = rel_err(&h, &fd);
    println!("MLP ({n} params) HVP Hessian vs f64 FD: relative error {err:.3e}");
    assert!(
        err < 1e-5,
        "HVP Hessian vs finite differences: relative error {err:e}"
    );
    let ht: Vec<f64> = (0..n * n).map(|k| h[(k % n) * n + k / n]).collect();
    let asym = rel_err(&h, &ht);
    println!("asymmetry ‖H − Hᵀ‖/‖H‖ {asym:.3e}");
    assert!(asym < 1e-8, "asymmetry {asym:e}");
}

#[test]
fn unknown_block_is_a_clear_error() {
    let m = SmallMlp::new(&[4, 6, 3], 8, 1);
    let err = Hvp::new(&m, &["layers.7.weight".to_string()])
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(matches!(err, CurvatureError::UnknownBlock { .. }));
    assert!(
        msg.contains("layers.7.weight") && msg.contains("layers.0.weight"),
        "{msg}"
    );
}

#[test]
fn block_without_differentiable_path_is_a_clear_error() {
    let m = SmallMlp::new(&[4, 6, 3], 8, 1);
    ParamBuilder::new(m.params(), DType::F64, &Device::Cpu, 0)
        .param("unused.weight", &[3], Init::Const(1.0), ParamRole::Other)
        .unwrap();
    let err = Hvp::new(&m, &["unused.weight".to_string()]).err().unwrap();
    assert!(matches!(err, CurvatureError::NoGradient { .. }), "{err}");
    assert!(err.to_string().contains("unused.weight"));
    // The whole model includes the unreachable tensor too.
    assert!(matches!(
        Hvp::new(&m, &[]).err().unwrap(),
        CurvatureError::NoGradient { .. }
    ));
    // Existing blocks still work.
    let ok = Hvp::new(&m, &["layers.1.weight".to_string()]).unwrap();
    assert_eq!(ok.dim(), 18);
}

#[test]
fn block_restriction_gives_the_diagonal_block() {
    let m = SmallMlp::new(&[4, 6, 3], 16, 2);
    let (h, n) = hessian_from_hvps(&m);
    let block = Hvp::new(&m, &["layers.1.weight".to_string()]).unwrap();
    // layers.0.weight (24) and layers.0.bias (6) come first.
    let off = 30;
    let mut rng = Rng::new(4);
    let v: Vec<f64> = (0..18).map(|_| rng.normal()).collect();
    let hv = block.apply(&v).unwrap();
    let want: Vec<f64> = (0..18)
        .map(|i| (0..18).map(|j| h[(off + i) * n + off + j] * v[j]).sum())
        .collect();
    assert!(rel_err(&hv, &want) < 1e-7);
}

#[test]
fn double_backward_refuses_without_the_environment_switch() {
    // This test binary never sets CANDLE_GRAD_DO_NOT_DETACH (see tests/double_backward.rs).
    let q = Quadratic::new(4, 1);
    let err = optlab_curvature::hvp::double_backward_hvp(&q, &[], &[1.0; 4])
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("CANDLE_GRAD_DO_NOT_DETACH"),
        "{err}"
    );
}
