//! Exact double-backward HVPs as the reference for the finite-difference default, on the tiny
//! transformer in f64. Its own test binary: candle reads `CANDLE_GRAD_DO_NOT_DETACH` once per
//! thread, and it must not leak into the other tests.

mod common;

use std::sync::Once;

use candle_core::{DType, Device, Tensor};
use common::{rel_err, SmallMlp};
use optlab_core::models::{lm_loss, Llama, LlamaConfig};
use optlab_core::ops::OpsMode;
use optlab_core::params::ParamStore;
use optlab_core::rng::Rng;
use optlab_curvature::hvp::{double_backward_hvp, Hvp};
use optlab_curvature::objective::Objective;
use optlab_curvature::Result;

static ENV: Once = Once::new();

fn enable() {
    ENV.call_once(|| std::env::set_var("CANDLE_GRAD_DO_NOT_DETACH", "1"));
}

struct TinyLm {
    model: Llama,
    ids: Tensor,
    targets: Tensor,
}

impl TinyLm {
    fn new(ops: OpsMode) -> Self {
        let cfg = LlamaConfig::preset("tiny", 256).unwrap();
        let model = Llama::new(&cfg, DType::F64, &Device::Cpu, 11)
            .unwrap()
            .with_ops(ops);
        let mut rng = Rng::new(2);
        let toks: Vec<u32> = (0..2 * 9).map(|_| rng.below(256) as u32).collect();
        let all = Tensor::from_vec(toks, (2, 9), &Device::Cpu).unwrap();
        Self {
            model,
            ids: all.narrow(1, 0, 8).unwrap(),
            targets: all.narrow(1, 1, 8).unwrap(),
        }
    }
}

impl Objective for TinyLm {
    fn params(&self) -> &ParamStore {
        self.model.params()
    }
    fn loss(&self) -> Result<Tensor> {
        Ok(lm_loss(&self.model.forward(&self.ids)?, &self.targets)?)
    }
}

fn direction(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.normal()).collect()
}

#[test]
fn finite_differences_match_double_backward_on_tiny_transformer() {
    enable();
    // candle's primitive ops are differentiable twice; the fused ops' backward is not, so the
    // exact product runs on the primitive path and the FD product on both (same weights).
    let basic = TinyLm::new(OpsMode::Basic);
    let fused = TinyLm::new(OpsMode::Fused);
    for blocks in [
        vec![],
        vec!["model.layers.1.self_attn.q_proj.weight".to_string()],
        vec!["model.layers.3.mlp.down_proj.weight".to_string()],
    ] {
        let fd_basic = Hvp::new(&basic, &blocks).unwrap();
        let v = direction(fd_basic.dim(), 5);
        let exact = double_backward_hvp(&basic, &blocks, &v).unwrap();
        let a = fd_basic.apply(&v).unwrap();
        let b = Hvp::new(&fused, &blocks).unwrap().apply(&v).unwrap();
        let (ea, eb) = (rel_err(&a, &exact), rel_err(&b, &exact));
        println!(
            "tiny transformer {:?} ({} params): FD vs double backward {ea:.3e} (primitive ops), {eb:.3e} (fused ops)",
            blocks, fd_basic.dim()
        );
        assert!(ea < 1e-6 && eb < 1e-6, "{ea:e} {eb:e}");
    }
}

#[test]
fn finite_differences_match_double_backward_on_mlp() {
    enable();
    let m = SmallMlp::new(&[8, 16, 16, 4], 32, 3);
    let hvp = Hvp::new(&m, &[]).unwrap();
    let v = direction(hvp.dim(), 8);
    let err = rel_err(
        &hvp.apply(&v).unwrap(),
        &double_backward_hvp(&m, &[], &v).unwrap(),
    );
    println!("MLP FD vs double backward {err:.3e}");
    assert!(err < 1e-8, "{err:e}");
}
