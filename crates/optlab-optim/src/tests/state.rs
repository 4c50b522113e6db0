//! State round-trips through safetensors, NaN gradients, the candle trait and `by_name`.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::Optimizer;
use optlab_core::checkpoint_io::{load_tensors, save_tensors_atomic};
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use optlab_core::train::TrainOptimizer;

use super::{flat, grads};
use crate::{build, by_name, Adam, AdamMini, AdamW, AttnShape, Mofo, OptimConfig, Sgd, NAMES};

fn store(seed: u64) -> ParamStore {
    let s = ParamStore::new();
    let b = ParamBuilder::new(&s, DType::F32, &Device::Cpu, seed);
    let a = b.pp("model.layers.0.self_attn");
    let n = Init::Normal(1.0);
    a.pp("q_proj")
        .param("weight", &[8, 8], n, ParamRole::Query)
        .expect("q");
    a.pp("k_proj")
        .param("weight", &[4, 8], n, ParamRole::Key)
        .expect("k");
    a.pp("k_proj")
        .param("bias", &[4], n, ParamRole::Bias)
        .expect("kb");
    b.pp("model.layers.0.mlp.up_proj")
        .param("weight", &[6, 8], n, ParamRole::MlpUp)
        .expect("up");
    b.pp("model.norm")
        .param("weight", &[8], n, ParamRole::Norm)
        .expect("norm");
    s
}

fn cfg() -> OptimConfig {
    OptimConfig {
        weight_decay: 0.05,
        mofo_fraction: 0.2,
        attn: Some(AttnShape {
            hidden: 8,
            n_heads: 4,
            n_kv_heads: 2,
        }),
        ..OptimConfig::default()
    }
}

#[test]
fn state_round_trip_gives_identical_next_steps() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    for name in NAMES {
        let (sa, sb) = (store(1), store(2));
        let mut a = build(name, &sa, &cfg()).expect("build");
        let params = sa.params();
        for s in 0..3 {
            a.step(&grads(&params, s, 1.0), 0.01).expect("step");
        }
        let path = dir.join(format!("{name}.safetensors"));
        save_tensors_atomic(&a.state().expect("state"), &path).expect("save");
        sb.assign(sa.tensors(), &path).expect("copy weights");
        let mut b = build(name, &sb, &cfg()).expect("build");
        b.load_state(&load_tensors(&path).expect("load"))
            .expect("load_state");
        for s in 10..12 {
            let g = grads(&params, s, 1.0);
            a.step(&g, 0.02).expect("step a");
            b.step(&g, 0.02).expect("step b");
        }
        for (pa, pb) in sa.params().iter().zip(sb.params()) {
            assert_eq!(
                flat(pa.var.as_tensor()),
                flat(pb.var.as_tensor()),
                "{name} {}",
                pa.name
            );
        }
        let mut bad = a.state().expect("state");
        bad.remove("step");
        assert!(
            b.load_state(&bad).is_err(),
            "{name}: incomplete state is rejected"
        );
    }
}

#[test]
fn nan_gradient_names_the_tensor_and_changes_nothing() {
    for name in NAMES {
        let s = store(3);
        let mut opt = build(name, &s, &cfg()).expect("build");
        let params = s.params();
        opt.step(&grads(&params, 0, 1.0), 0.01).expect("step");
        let before_p: Vec<Vec<f64>> = params.iter().map(|p| flat(p.var.as_tensor())).collect();
        let before_state = opt.state().expect("state");
        let mut g = grads(&params, 1, 1.0);
        let target = "model.layers.0.mlp.up_proj.weight";
        let mut vals = flat(&g[target]);
        vals[5] = f64::NAN;
        let t = Tensor::from_vec(vals, (6, 8), &Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F32))
            .expect("t");
        g.insert(target.into(), t);
        let err = opt.step(&g, 0.01).expect_err("NaN must fail").to_string();
        assert!(
            err.contains(target) && err.contains("flat index 5"),
            "{name}: {err}"
        );
        for (p, b) in params.iter().zip(&before_p) {
            assert_eq!(&flat(p.var.as_tensor()), b, "{name}: {} changed", p.name);
        }
        let after_state = opt.state().expect("state");
        for (k, v) in &before_state {
            assert_eq!(flat(v), flat(&after_state[k]), "{name}: state {k} changed");
        }
    }
}

#[test]
fn huge_finite_gradients_are_not_mistaken_for_nan() {
    // 1e20² overflows f32: the block statistics must still treat the gradient as finite.
    for name in NAMES {
        let s = store(4);
        let mut opt = build(name, &s, &cfg()).expect("build");
        let params = s.params();
        let mut g = grads(&params, 0, 1.0);
        let target = "model.layers.0.mlp.up_proj.weight";
        let vals = vec![1e20; 48];
        let t = Tensor::from_vec(vals, (6, 8), &Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F32))
            .expect("t");
        g.insert(target.into(), t);
        opt.step(&g, 1e-3)
            .unwrap_or_else(|e| panic!("{name}: finite gradient rejected: {e}"));
    }
}

/// Minimise ||x − 3||² through candle's `Optimizer` trait.
fn candle_descends<O: Optimizer<Config = OptimConfig>>(lr: f64) {
    let x = Var::from_tensor(&Tensor::zeros((2, 4), DType::F32, &Device::Cpu).expect("zeros"))
        .expect("var");
    let mut opt = O::new(vec![x.clone()], OptimConfig { lr, ..cfg() }).expect("new");
    let loss = |x: &Var| {
        (x.as_tensor() - 3.0)
            .and_then(|d| d.sqr())
            .and_then(|d| d.sum_all())
            .expect("loss")
    };
    let first = loss(&x).to_scalar::<f32>().expect("scalar");
    for _ in 0..50 {
        opt.backward_step(&loss(&x)).expect("step");
    }
    let last = loss(&x).to_scalar::<f32>().expect("scalar");
    assert!(last < 0.5 * first, "{first} -> {last}");
    opt.set_learning_rate(lr / 2.0);
    assert_eq!(opt.learning_rate(), lr / 2.0);
}

#[test]
fn candle_optimizer_trait_works_for_all() {
    candle_descends::<Sgd>(0.01);
    candle_descends::<Adam>(0.1);
    candle_descends::<AdamW>(0.1);
    candle_descends::<AdamMini>(0.1);
    candle_descends::<Mofo>(0.1);
}

#[test]
fn by_name_and_state_bytes() {
    let s = store(4);
    let n = s.num_elements();
    for name in NAMES {
        let opt = by_name(name, &s, &cfg()).expect("by_name");
        assert_eq!(opt.name(), name);
    }
    assert!(by_name("lbfgs", &s, &cfg()).is_err());
    let bytes = |name: &str| build(name, &s, &cfg()).expect("build").state_bytes();
    assert_eq!(bytes("sgd"), 4 * n);
    assert_eq!(bytes("adam"), 8 * n);
    assert_eq!(bytes("adamw"), 8 * n);
    assert_eq!(bytes("mofo"), 8 * n);
    // q: 4 heads, k: 2 heads, k bias: 4 entries, up: 6 rows, norm: 1 block.
    assert_eq!(bytes("adam-mini"), 4 * (n + 4 + 2 + 4 + 6 + 1));
}

#[test]
fn f64_parameters_take_the_copy_path_and_agree_with_f32() {
    let make = |dtype: DType| {
        let s = ParamStore::new();
        ParamBuilder::new(&s, dtype, &Device::Cpu, 8)
            .pp("model.layers.0.mlp.up_proj")
            .param("weight", &[6, 8], Init::Normal(1.0), ParamRole::MlpUp)
            .expect("param");
        s
    };
    for name in NAMES {
        let (s32, s64) = (make(DType::F32), make(DType::F64));
        let mut a = build(name, &s32, &cfg()).expect("build");
        let mut b = build(name, &s64, &cfg()).expect("build");
        for s in 0..3 {
            let g = grads(&s32.params(), s, 1.0);
            a.step(&g, 0.01).expect("f32 step");
            let g64 = g
                .iter()
                .map(|(k, t)| (k.clone(), t.to_dtype(DType::F64).expect("f64")))
                .collect();
            b.step(&g64, 0.01).expect("f64 step");
        }
        let (pa, pb) = (&s32.params()[0], &s64.params()[0]);
        assert_eq!(pb.var.dtype(), DType::F64);
        super::assert_close(&flat(pb.var.as_tensor()), &flat(pa.var.as_tensor()), name);
    }
}
