use candle_core::{DType, Device, Tensor};

use super::*;
use crate::gradcheck::max_relative_error;
use crate::ops::OpsMode;
use crate::params::ParamStore;
use crate::rng::Rng;

fn micro_llama(tied: bool) -> LlamaConfig {
    LlamaConfig {
        vocab_size: 11,
        hidden_size: 8,
        intermediate_size: 12,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        num_key_value_heads: Some(1),
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        max_position_embeddings: 16,
        tie_word_embeddings: tied,
        attention_bias: true,
    }
}

fn ids(rng: &mut Rng, b: usize, t: usize, v: usize) -> Tensor {
    let x: Vec<u32> = (0..b * t).map(|_| rng.below(v) as u32).collect();
    Tensor::from_vec(x, (b, t), &Device::Cpu).unwrap()
}

fn assert_every_param_gets_gradient(store: &ParamStore, loss: &Tensor) {
    let grads = loss.backward().unwrap();
    for p in store.params() {
        let g = grads
            .get(p.var.as_tensor())
            .unwrap_or_else(|| panic!("{} has no gradient", p.name));
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_dtype(DType::F64)
            .unwrap()
            .to_scalar::<f64>()
            .unwrap();
        assert!(norm > 0.0, "{} has an all-zero gradient", p.name);
    }
}

#[test]
fn every_parameter_of_every_model_receives_gradient() {
    let mut rng = Rng::new(9);
    for tied in [false, true] {
        let m = Llama::new(&micro_llama(tied), DType::F32, &Device::Cpu, 1).unwrap();
        let x = ids(&mut rng, 2, 6, 11);
        let loss = lm_loss(&m.forward(&x).unwrap(), &ids(&mut rng, 2, 6, 11)).unwrap();
        assert_every_param_gets_gradient(m.params(), &loss);
    }
    let mlp = Mlp::new(&[5, 7, 3], DType::F32, &Device::Cpu, 2).unwrap();
    let x = Tensor::randn(0f32, 1.0, (4, 5), &Device::Cpu).unwrap();
    let y = Tensor::new(&[0u32, 1, 2, 1], &Device::Cpu).unwrap();
    let loss = candle_nn::loss::cross_entropy(&mlp.forward(&x).unwrap(), &y).unwrap();
    assert_every_param_gets_gradient(mlp.params(), &loss);
    let cnn = SmallCnn::new(1, 8, 3, 3, DType::F32, &Device::Cpu, 3).unwrap();
    let x = Tensor::randn(0f32, 1.0, (4, 1, 8, 8), &Device::Cpu).unwrap();
    let loss = candle_nn::loss::cross_entropy(&cnn.forward(&x).unwrap(), &y).unwrap();
    assert_every_param_gets_gradient(cnn.params(), &loss);
}

#[test]
fn llama_gradients_match_finite_differences_in_f64() {
    let mut rng = Rng::new(10);
    let m = Llama::new(&micro_llama(false), DType::F64, &Device::Cpu, 4).unwrap();
    let (x, y) = (ids(&mut rng, 2, 5, 11), ids(&mut rng, 2, 5, 11));
    let vars = m.params().vars();
    let err = max_relative_error(&vars, 1e-6, || {
        let logits = m.forward(&x).map_err(candle_core::Error::wrap)?;
        lm_loss(&logits, &y).map_err(candle_core::Error::wrap)
    })
    .unwrap();
    assert!(err < 1e-4, "llama gradient relative error {err}");
}

#[test]
fn mlp_and_cnn_gradients_match_finite_differences_in_f64() {
    let y = Tensor::new(&[0u32, 2, 1], &Device::Cpu).unwrap();
    let mlp = Mlp::new(&[4, 6, 3], DType::F64, &Device::Cpu, 5).unwrap();
    let x = Tensor::randn(0f64, 1.0, (3, 4), &Device::Cpu).unwrap();
    let err = max_relative_error(&mlp.params().vars(), 1e-6, || {
        candle_nn::loss::cross_entropy(&mlp.forward(&x).map_err(candle_core::Error::wrap)?, &y)
    })
    .unwrap();
    assert!(err < 1e-4, "mlp gradient relative error {err}");
    let cnn = SmallCnn::new(1, 4, 2, 3, DType::F64, &Device::Cpu, 6).unwrap();
    let x = Tensor::randn(0f64, 1.0, (3, 1, 4, 4), &Device::Cpu).unwrap();
    let err = max_relative_error(&cnn.params().vars(), 1e-6, || {
        candle_nn::loss::cross_entropy(&cnn.forward(&x).map_err(candle_core::Error::wrap)?, &y)
    })
    .unwrap();
    assert!(err < 1e-4, "cnn gradient relative error {err}");
}

#[test]
fn fused_and_basic_ops_give_the_same_model() {
    let mut rng = Rng::new(11);
    let cfg = micro_llama(true);
    let x = ids(&mut rng, 2, 7, 11);
    let fused = Llama::new(&cfg, DType::F64, &Device::Cpu, 7).unwrap();
    let basic = Llama::new(&cfg, DType::F64, &Device::Cpu, 7)
        .unwrap()
        .with_ops(OpsMode::Basic);
    let d = (fused.forward(&x).unwrap() - basic.forward(&x).unwrap()).unwrap();
    let d = d
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f64>()
        .unwrap();
    assert!(d < 1e-10, "fused and basic logits differ by {d}");
}

#[test]
fn tiny_and_small_presets_have_the_advertised_size() {
    let tiny = Llama::new(
        &LlamaConfig::preset("tiny", 256).unwrap(),
        DType::F32,
        &Device::Cpu,
        0,
    )
    .unwrap();
    let n = tiny.params().num_elements();
    assert!((500_000..1_500_000).contains(&n), "tiny has {n} parameters");
    let err = LlamaConfig::preset("huge", 256).unwrap_err().to_string();
    assert!(err.contains("unknown model size `huge`"), "{err}");
}

#[test]
fn hf_model_folder_written_here_loads_and_trains() {
    use crate::tokenizer::{word_level_tokenizer_json, Tokenizer};
    let dir = std::env::temp_dir().join(format!("optlab-hfdir-{}", std::process::id()));
    let words = [
        "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park",
    ];
    let mut cfg = micro_llama(true);
    cfg.attention_bias = false;
    let src = Llama::new(&cfg, DType::F32, &Device::Cpu, 12).unwrap();
    save_model_dir(&src, &word_level_tokenizer_json(&words), &dir).unwrap();
    let (m, tok) = load_model_dir(&dir, &Device::Cpu).unwrap();
    let ids = tok.encode("the cat sat on the mat").unwrap();
    let x = Tensor::new(ids.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let d = (src.forward(&x).unwrap() - m.forward(&x).unwrap()).unwrap();
    assert_eq!(
        d.abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap(),
        0.0
    );
    let n = x.dim(1).unwrap();
    let (inp, tgt) = (
        x.narrow(1, 0, n - 1).unwrap(),
        x.narrow(1, 1, n - 1).unwrap(),
    );
    let mut opt = crate::train::AdamW::new(m.params(), Default::default());
    let before = lm_loss(&m.forward(&inp).unwrap(), &tgt)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    for _ in 0..5 {
        let loss = lm_loss(&m.forward(&inp).unwrap(), &tgt).unwrap();
        opt.step_grads(&loss.backward().unwrap(), 1e-2).unwrap();
    }
    let after = lm_loss(&m.forward(&inp).unwrap(), &tgt)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(after < before, "loss {before} -> {after}");
    std::fs::write(dir.join("config.json"), "{ not json").unwrap();
    let err = load_model_dir(&dir, &Device::Cpu)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("corrupt"),
        "{err}"
    );
}
