//! The (L0,L1)-smooth Adam-vs-SGDM machinery: update rules equal optlab-optim's, and the
//! separation the sweep is meant to show is present on a small instance.

use candle_core::{DType, Device, Tensor};
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use optlab_curvature::smooth::{
    best_deterministic, lr_grid, run, stochastic_cell, CoshProblem, Method, Noise, Setup,
};

fn optim_trajectory(name: &str, p: &CoshProblem, x0: &[f64], lr: f64, steps: usize) -> f64 {
    let store = ParamStore::new();
    let var = ParamBuilder::new(&store, DType::F32, &Device::Cpu, 0)
        .param("x", &[p.dim], Init::Const(0.0), ParamRole::Other)
        .unwrap();
    let x0f: Vec<f32> = x0.iter().map(|&v| v as f32).collect();
    var.set(&Tensor::from_vec(x0f, p.dim, &Device::Cpu).unwrap())
        .unwrap();
    let cfg = optlab_optim::OptimConfig {
        lr,
        momentum: 0.9,
        ..Default::default()
    };
    let mut opt = optlab_optim::build(name, &store, &cfg).unwrap();
    for _ in 0..steps {
        let x: Vec<f64> = var
            .as_tensor()
            .to_dtype(DType::F64)
            .unwrap()
            .to_vec1()
            .unwrap();
        let mut g = vec![0.0; p.dim];
        p.grad(&x, &mut g);
        let gt = Tensor::from_vec(
            g.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            p.dim,
            &Device::Cpu,
        )
        .unwrap();
        let grads = [("x".to_string(), gt)].into_iter().collect();
        opt.step(&grads, lr).unwrap();
    }
    let x: Vec<f64> = var
        .as_tensor()
        .to_dtype(DType::F64)
        .unwrap()
        .to_vec1()
        .unwrap();
    let mut g = vec![0.0; p.dim];
    p.grad(&x, &mut g);
    g.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[test]
fn update_rules_match_optlab_optim() {
    let p = CoshProblem {
        dim: 3,
        l0: 1.0,
        l1: 1.0,
    };
    let x0 = [2.0, -1.0, 0.5];
    for (name, method, lr) in [
        ("sgd", Method::Sgdm, 0.05),
        ("adam", Method::Adam { beta2: 0.999 }, 0.1),
    ] {
        let setup = Setup {
            method,
            lr,
            iters: 6,
            eps: 0.0,
            noise: Noise::default(),
        };
        let r = run(&p, &setup, &x0, 0);
        let ours = r.trace.iter().find(|(t, _)| *t == 6).unwrap().1;
        let theirs = optim_trajectory(name, &p, &x0, lr, 6);
        assert!(
            (ours - theirs).abs() < 1e-5 * theirs.max(1.0),
            "{name}: {ours} vs {theirs}"
        );
    }
}

#[test]
fn deterministic_separation_grows_with_the_initial_gap() {
    let p = CoshProblem {
        dim: 4,
        l0: 1.0,
        l1: 1.0,
    };
    let lrs = lr_grid(-8, 0, 1);
    let adam = Method::Adam { beta2: 0.9 };
    let (_, s_small) = best_deterministic(&p, Method::Sgdm, &lrs, 1e2, 5000, 1e-3).unwrap();
    let (_, a_small) = best_deterministic(&p, adam, &lrs, 1e2, 5000, 1e-3).unwrap();
    assert!(s_small.hit.is_some() && a_small.hit.is_some());
    let (_, s_big) = best_deterministic(&p, Method::Sgdm, &lrs, 1e6, 5000, 1e-3).unwrap();
    let (_, a_big) = best_deterministic(&p, adam, &lrs, 1e6, 5000, 1e-3).unwrap();
    // A fixed step small enough for the wall crawls near the optimum; Adam's step does not.
    assert!(s_big.hit.is_none(), "SGDM reached eps at {:?}", s_big.hit);
    assert!(a_big.hit.is_some_and(|t| t < 5000));
}

#[test]
fn large_steps_diverge_for_sgdm_but_not_adam() {
    let p = CoshProblem {
        dim: 2,
        l0: 1.0,
        l1: 1.0,
    };
    let x0 = p.start(1e4);
    let noise = Noise { abs: 1.0, rel: 0.0 };
    let cell = |method| {
        let setup = Setup {
            method,
            lr: 0.1,
            iters: 2000,
            eps: 1e-3,
            noise,
        };
        stochastic_cell(&p, &setup, &x0, 4, 0).0
    };
    assert_eq!(cell(Method::Sgdm).diverged, 1.0);
    let a = cell(Method::Adam { beta2: 0.999 });
    assert_eq!(a.diverged, 0.0);
    assert!(a.median_final_grad.is_finite());
}

#[test]
fn a_cell_whose_runs_all_diverge_has_an_infinite_median() {
    let p = CoshProblem {
        dim: 2,
        l0: 1.0,
        l1: 1.0,
    };
    let setup = Setup {
        method: Method::Sgdm,
        lr: 0.1,
        iters: 2000,
        eps: 1e-3,
        noise: Noise { abs: 1.0, rel: 0.0 },
    };
    // An even number of seeds: both middle values are infinite, which must not give NaN.
    let (cell, trace) = stochastic_cell(&p, &setup, &p.start(1e4), 4, 0);
    assert_eq!(cell.diverged, 1.0);
    assert_eq!(cell.median_final_grad, f64::INFINITY);
    assert!(cell.median_min_grad.is_finite());
    assert_eq!(trace.last().map(|t| t.1), Some(f64::INFINITY));
}
