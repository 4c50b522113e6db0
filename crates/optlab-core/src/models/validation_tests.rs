//! Refusing configurations and weights that would abort, or compute NaN, with errors that
//! name the file, the field or tensor and the limit.

use std::path::Path;

use candle_core::{DType, Device, Tensor};

use super::*;
use crate::error::CoreError;

pub(super) fn micro(tied: bool) -> LlamaConfig {
    LlamaConfig {
        vocab_size: 11,
        hidden_size: 8,
        intermediate_size: 12,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: Some(1),
        rope_theta: 10000.0,
        rms_norm_eps: 1e-5,
        max_position_embeddings: 16,
        tie_word_embeddings: tied,
        attention_bias: false,
    }
}

fn config_text(cfg: &LlamaConfig, field: &str, value: &str) -> String {
    let mut v = serde_json::to_value(cfg).unwrap();
    v[field] = serde_json::from_str(value).unwrap();
    serde_json::to_string_pretty(&v).unwrap()
}

fn parse_err(field: &str, value: &str) -> String {
    let text = config_text(&micro(false), field, value);
    parse_llama_config(&text, Path::new("m/config.json"))
        .unwrap_err()
        .to_string()
}

#[test]
fn sizes_floats_and_shapes_are_checked_by_name_before_allocation() {
    let e = parse_err("vocab_size", "1000000000000");
    assert!(
        e.contains("m/config.json:") && e.contains("`vocab_size`") && e.contains("16777216"),
        "{e}"
    );
    let e = parse_err("max_position_embeddings", "1e12");
    assert!(
        e.contains("`max_position_embeddings`") && e.contains("whole number"),
        "{e}"
    );
    let e = parse_err("hidden_size", "-8");
    assert!(e.contains("`hidden_size`"), "{e}");
    let e = parse_err("rms_norm_eps", "-1");
    assert!(e.contains("`rms_norm_eps`") && e.contains("(0, 1)"), "{e}");
    let e = parse_err("rope_theta", "0");
    assert!(e.contains("`rope_theta`") && e.contains("positive"), "{e}");
    let e = parse_err("num_attention_heads", "3");
    assert!(e.contains("do not divide hidden_size 8"), "{e}");
    let e = parse_err("num_key_value_heads", "3");
    assert!(e.contains("`num_key_value_heads`"), "{e}");
    // Every field under its cap, the whole far beyond any memory.
    let mut big = micro(false);
    big.vocab_size = MAX_VOCAB;
    big.hidden_size = MAX_HIDDEN;
    let err = big.check(Path::new("big")).unwrap_err().to_string();
    assert!(err.contains("GiB of memory available"), "{err}");
    assert!(Llama::new(&big, DType::F32, &Device::Cpu, 0).is_err());
}

fn saved(tied: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("model");
    let m = Llama::new(&micro(tied), DType::F32, &Device::Cpu, 3).unwrap();
    save_model_weights(&m, &dir).unwrap();
    (tmp, dir)
}

fn rewrite(dir: &Path, f: impl FnOnce(&mut std::collections::HashMap<String, Tensor>)) {
    let path = dir.join("model.safetensors");
    let mut t = crate::checkpoint_io::load_tensors(&path).unwrap();
    f(&mut t);
    candle_core::safetensors::save(&t, &path).unwrap();
}

fn load_err(dir: &Path) -> String {
    load_model_weights(dir, &Device::Cpu)
        .err()
        .expect("an error")
        .to_string()
}

#[test]
fn non_finite_weights_are_named() {
    let (_tmp, dir) = saved(false);
    rewrite(&dir, |t| {
        let mut v = vec![1f32; 8];
        v[3] = f32::NAN;
        let nan = Tensor::from_vec(v, 8, &Device::Cpu).unwrap();
        t.insert("model.norm.weight".into(), nan);
    });
    let e = load_err(&dir);
    assert!(
        e.contains("`model.norm.weight`") && e.contains("NaN"),
        "{e}"
    );
    rewrite(&dir, |t| {
        let inf = Tensor::full(f32::INFINITY, (11, 8), &Device::Cpu).unwrap();
        t.insert(
            "model.norm.weight".into(),
            Tensor::ones(8, DType::F32, &Device::Cpu).unwrap(),
        );
        t.insert("lm_head.weight".into(), inf);
    });
    assert!(load_err(&dir).contains("`lm_head.weight`"));
}

#[test]
fn shape_compatible_lies_in_the_config_are_refused() {
    let (_tmp, dir) = saved(false);
    let cfg_path = dir.join("config.json");
    let text = std::fs::read_to_string(&cfg_path).unwrap();
    // The file has its own lm_head: claiming tied embeddings would silently drop it.
    let tied = text.replace(
        "\"tie_word_embeddings\": false",
        "\"tie_word_embeddings\": true",
    );
    std::fs::write(&cfg_path, &tied).unwrap();
    let e = load_err(&dir);
    assert!(
        e.contains("`tie_word_embeddings`") && e.contains("lm_head.weight"),
        "{e}"
    );
    // An exact copy of the embedding is what a tied export may hold: accepted.
    rewrite(&dir, |t| {
        let e = t["model.embed_tokens.weight"].clone();
        t.insert("lm_head.weight".into(), e);
    });
    assert!(load_model_weights(&dir, &Device::Cpu).is_ok());
    // Four heads of width 2 at the same width: k_proj rows tell.
    let heads = text.replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 4");
    std::fs::write(&cfg_path, heads).unwrap();
    let e = load_err(&dir);
    assert!(
        e.contains("`num_key_value_heads`") && e.contains("k_proj"),
        "{e}"
    );
    // Untied config, tied file: the missing head is named.
    let (_t2, dir2) = saved(true);
    let text2 = std::fs::read_to_string(dir2.join("config.json")).unwrap();
    let untied = text2.replace(
        "\"tie_word_embeddings\": true",
        "\"tie_word_embeddings\": false",
    );
    std::fs::write(dir2.join("config.json"), untied).unwrap();
    assert!(load_err(&dir2).contains("missing tensor `lm_head.weight`"));
}

#[test]
fn nan_logits_and_losses_are_errors_not_results() {
    use crate::generate::{generate, generate_cached, SamplingConfig};
    let m = Llama::new(&micro(false), DType::F32, &Device::Cpu, 3).unwrap();
    let head = m.params().get("lm_head.weight").unwrap();
    head.var
        .set(&Tensor::full(f32::NAN, (11, 8), &Device::Cpu).unwrap())
        .unwrap();
    let cfg = SamplingConfig {
        temperature: 0.0,
        top_k: 0,
        top_p: 1.0,
        max_new_tokens: 3,
        stop_ids: vec![],
    };
    let mut rng = crate::rng::Rng::new(0);
    for r in [
        generate_cached(&m, &[1, 2], &cfg, &mut rng, &Device::Cpu),
        generate(&m, &[1, 2], &cfg, &mut rng, &Device::Cpu),
    ] {
        let e = r.unwrap_err();
        assert!(matches!(e, CoreError::NonFiniteValue { .. }), "{e}");
        assert!(e.to_string().contains("logit"), "{e}");
    }
    let data =
        crate::data::TokenDataset::from_tokens((0..200).map(|i| i % 11).collect(), 0.5).unwrap();
    let e = crate::train::evaluate(&m, &data, 2, 4, 2, &Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(e.contains("validation loss is not finite"), "{e}");
}
