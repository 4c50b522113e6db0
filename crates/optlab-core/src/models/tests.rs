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
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("hfdir");
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
    // Plain gradient descent is enough to show the loaded weights are live variables.
    let mut opt = <candle_nn::SGD as candle_nn::Optimizer>::new(m.params().vars(), 1e-1).unwrap();
    let before = lm_loss(&m.forward(&inp).unwrap(), &tgt)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    for _ in 0..5 {
        let loss = lm_loss(&m.forward(&inp).unwrap(), &tgt).unwrap();
        candle_nn::Optimizer::backward_step(&mut opt, &loss).unwrap();
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

#[test]
fn gguf_written_llama_cpp_style_loads_with_the_same_logits() {
    use crate::tokenizer::Tokenizer;
    use candle_core::quantized::gguf_file::{write, Value};
    use candle_core::quantized::{GgmlDType, QTensor};
    let mut cfg = micro_llama(true);
    cfg.attention_bias = false;
    cfg.hidden_size = 32;
    cfg.num_attention_heads = 4;
    cfg.num_key_value_heads = Some(2);
    cfg.intermediate_size = 32;
    let letters: Vec<String> = ('a'..='z').map(String::from).collect();
    let mut tokens = vec!["<|endoftext|>".to_string(), "Ġ".to_string()];
    tokens.extend(letters);
    tokens.push("ab".into());
    cfg.vocab_size = tokens.len();
    let src = Llama::new(&cfg, DType::F32, &Device::Cpu, 21).unwrap();
    let gguf_name = |hf: &str| -> String {
        hf.replace("model.embed_tokens.weight", "token_embd.weight")
            .replace("model.norm.weight", "output_norm.weight")
            .replace("model.layers.", "blk.")
            .replace("self_attn.q_proj", "attn_q")
            .replace("self_attn.k_proj", "attn_k")
            .replace("self_attn.v_proj", "attn_v")
            .replace("self_attn.o_proj", "attn_output")
            .replace("post_attention_layernorm", "ffn_norm")
            .replace("input_layernorm", "attn_norm")
            .replace("mlp.gate_proj", "ffn_gate")
            .replace("mlp.up_proj", "ffn_up")
            .replace("mlp.down_proj", "ffn_down")
    };
    let mut qts = Vec::new();
    for p in src.params().params() {
        let mut t = p.var.as_tensor().clone();
        if p.name.contains("q_proj") {
            t = permute_qk(&t, 4).unwrap();
        } else if p.name.contains("k_proj") {
            t = permute_qk(&t, 2).unwrap();
        }
        qts.push((
            gguf_name(&p.name),
            QTensor::quantize(&t, GgmlDType::F32).unwrap(),
        ));
    }
    let u = |v: usize| Value::U32(v as u32);
    let toks = Value::Array(tokens.iter().map(|t| Value::String(t.clone())).collect());
    let merges = Value::Array(vec![Value::String("a b".into())]);
    let types = Value::Array(
        (0..tokens.len())
            .map(|i| Value::I32(if i == 0 { 3 } else { 1 }))
            .collect(),
    );
    let meta: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("llama.embedding_length", u(32)),
        ("llama.feed_forward_length", u(32)),
        ("llama.block_count", u(2)),
        ("llama.attention.head_count", u(4)),
        ("llama.attention.head_count_kv", u(2)),
        ("llama.context_length", u(16)),
        ("llama.rope.freq_base", Value::F32(10000.0)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("tokenizer.ggml.tokens", toks),
        ("tokenizer.ggml.merges", merges),
        ("tokenizer.ggml.token_type", types),
    ];
    let path_tmp = tempfile::tempdir().unwrap();
    let path = path_tmp.path().join("gguf.gguf");
    let mut f = std::fs::File::create(&path).unwrap();
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (*k, v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = qts.iter().map(|(k, v)| (k.as_str(), v)).collect();
    write(&mut f, &meta_refs, &t_refs).unwrap();
    drop(f);
    let (m, tok) = load_gguf(&path, &Device::Cpu).unwrap();
    assert_eq!(m.config(), &cfg);
    let ids = tok.encode("ab c").unwrap();
    assert_eq!(tok.decode(&ids).unwrap(), "ab c");
    assert_eq!(ids[0], (tokens.len() - 1) as u32, "merge `a b` applied");
    let x = Tensor::new(ids.as_slice(), &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let d = (src.forward(&x).unwrap() - m.forward(&x).unwrap()).unwrap();
    let d = d
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(d < 1e-5, "logits differ by {d}");
    std::fs::write(&path, b"GGUF garbage").unwrap();
    let err = load_gguf(&path, &Device::Cpu).err().unwrap().to_string();
    assert!(err.contains("corrupt"), "{err}");
}
