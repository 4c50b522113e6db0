//! Adam-mini partition tables for Llama (GQA), Qwen2 and GPT-2 parameter sets, checked block
//! by block against the rules written out here.

use candle_core::{DType, Device};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::params::{classify_name, NamedParam, ParamRole};

use super::param;
use crate::partition::{partition_table, BlockKind};
use crate::{AdamMini, AdamW, AttnShape, Optim, OptimConfig};

fn named(list: &[(&str, &[usize])]) -> Vec<NamedParam> {
    list.iter()
        .enumerate()
        .map(|(i, (n, s))| param(n, classify_name(n), s, i as u64))
        .collect()
}

#[test]
fn llama_gqa_blocks_per_tensor() {
    let cfg = LlamaConfig::preset("tiny", 256).expect("preset");
    let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 0).expect("model");
    let attn = AttnShape::from_llama(&cfg);
    let (h, hd, kv) = (cfg.hidden_size, cfg.head_dim(), cfg.kv_heads());
    assert!(
        kv < cfg.num_attention_heads,
        "the preset uses grouped-query attention"
    );
    let (rows, unknown) = partition_table(&model.params().params(), Some(attn)).expect("table");
    assert!(unknown.is_empty(), "{unknown:?}");
    let mut seen_k = 0;
    for r in &rows {
        let numel: usize = r.shape.iter().product();
        assert_eq!(r.spec.blocks * r.spec.block_len, numel, "{}", r.name);
        let want = match r.role {
            ParamRole::Query => cfg.num_attention_heads,
            ParamRole::Key => {
                seen_k += 1;
                kv
            }
            ParamRole::Value => kv * hd,
            ParamRole::AttnOutput | ParamRole::MlpDown => h,
            ParamRole::MlpUp | ParamRole::MlpGate => cfg.intermediate_size,
            ParamRole::Embedding | ParamRole::OutputHead => cfg.vocab_size,
            ParamRole::Norm => 1,
            other => panic!("unexpected role {other:?} for {}", r.name),
        };
        assert_eq!(r.spec.blocks, want, "{}", r.name);
        assert_eq!(r.spec.decays, r.role != ParamRole::Norm, "{}", r.name);
        assert_eq!(r.state_bytes, 4 * (numel + want), "{}", r.name);
    }
    assert_eq!(seen_k, cfg.num_hidden_layers);
}

#[test]
fn qwen2_names_with_biases_and_tied_embeddings() {
    // hidden 8, 4 query heads, 2 kv heads (head_dim 2), MLP 12, vocab 10, tied head.
    let ps = named(&[
        ("model.embed_tokens.weight", &[10, 8]),
        ("model.layers.0.self_attn.q_proj.weight", &[8, 8]),
        ("model.layers.0.self_attn.q_proj.bias", &[8]),
        ("model.layers.0.self_attn.k_proj.weight", &[4, 8]),
        ("model.layers.0.self_attn.k_proj.bias", &[4]),
        ("model.layers.0.self_attn.v_proj.weight", &[4, 8]),
        ("model.layers.0.self_attn.v_proj.bias", &[4]),
        ("model.layers.0.self_attn.o_proj.weight", &[8, 8]),
        ("model.layers.0.mlp.gate_proj.weight", &[12, 8]),
        ("model.layers.0.mlp.up_proj.weight", &[12, 8]),
        ("model.layers.0.mlp.down_proj.weight", &[8, 12]),
        ("model.layers.0.input_layernorm.weight", &[8]),
        ("model.layers.0.post_attention_layernorm.weight", &[8]),
        ("model.norm.weight", &[8]),
    ]);
    let attn = AttnShape {
        hidden: 8,
        n_heads: 4,
        n_kv_heads: 2,
    };
    let (rows, unknown) = partition_table(&ps, Some(attn)).expect("table");
    assert!(unknown.is_empty());
    let want: [(usize, BlockKind); 14] = [
        (10, BlockKind::PerRow),
        (4, BlockKind::PerHead),
        (8, BlockKind::PerEntry),
        (2, BlockKind::PerHead),
        (4, BlockKind::PerEntry),
        (4, BlockKind::PerRow),
        (4, BlockKind::PerEntry),
        (8, BlockKind::PerRow),
        (12, BlockKind::PerRow),
        (12, BlockKind::PerRow),
        (8, BlockKind::PerRow),
        (1, BlockKind::Whole),
        (1, BlockKind::Whole),
        (1, BlockKind::Whole),
    ];
    for (r, (blocks, kind)) in rows.iter().zip(want) {
        assert_eq!((r.spec.blocks, r.spec.kind), (blocks, kind), "{}", r.name);
    }
}

#[test]
fn gpt2_names_and_unknown_fallback() {
    let ps = named(&[
        ("transformer.wte.weight", &[50, 8]),
        ("transformer.h.0.ln_1.weight", &[8]),
        ("transformer.h.0.ln_1.bias", &[8]),
        ("transformer.h.0.attn.c_attn.weight", &[8, 24]),
        ("transformer.h.0.attn.c_attn.bias", &[24]),
        ("transformer.h.0.attn.c_proj.weight", &[8, 8]),
        ("transformer.h.0.mlp.c_fc.weight", &[8, 32]),
        ("transformer.h.0.mlp.c_proj.weight", &[32, 8]),
        ("transformer.ln_f.weight", &[8]),
        ("something.unusual", &[3, 3]),
    ]);
    let attn = AttnShape {
        hidden: 8,
        n_heads: 2,
        n_kv_heads: 2,
    };
    let opt = AdamMini::from_params(
        ps,
        OptimConfig {
            attn: Some(attn),
            ..OptimConfig::default()
        },
    )
    .expect("adam-mini");
    let blocks: Vec<usize> = opt.table().iter().map(|r| r.spec.blocks).collect();
    // wte per token; ln weight whole; biases per entry; fused c_attn one block (the reference
    // has no rule for it); c_proj/c_fc/mlp.c_proj per row of the stored [in, out] tensor;
    // ln_f whole; the unknown tensor whole.
    assert_eq!(blocks, vec![50, 1, 8, 1, 24, 8, 8, 32, 1, 1]);
    assert_eq!(opt.unknown(), ["something.unusual".to_string()]);
}

#[test]
fn one_dimensional_rows_fall_back_to_one_block() {
    let ps = vec![param("x.value", ParamRole::Value, &[5], 0)];
    let (rows, _) = partition_table(&ps, None).expect("table");
    assert_eq!(
        (rows[0].spec.blocks, rows[0].spec.kind),
        (1, BlockKind::Whole)
    );
    let q = vec![param("x.q_proj.weight", ParamRole::Query, &[4, 4], 0)];
    assert!(
        partition_table(&q, None).is_err(),
        "query without attention shape"
    );
}

#[test]
fn adam_mini_state_is_about_half_of_adamw_on_small() {
    let cfg = LlamaConfig::preset("small", 256).expect("preset");
    let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 0).expect("model");
    let oc = OptimConfig {
        attn: Some(AttnShape::from_llama(&cfg)),
        ..OptimConfig::default()
    };
    let mini = AdamMini::new(model.params(), oc)
        .expect("mini")
        .state_bytes();
    let adamw = AdamW::new(model.params(), oc).expect("adamw").state_bytes();
    assert_eq!(adamw, 8 * model.params().num_elements());
    let ratio = mini as f64 / adamw as f64;
    assert!(ratio <= 0.51, "ratio {ratio}");
    assert!(ratio > 0.5, "m is kept for every entry: {ratio}");
}

#[test]
fn tied_embeddings_are_partitioned_once() {
    let mut cfg = LlamaConfig::preset("tiny", 256).expect("preset");
    cfg.tie_word_embeddings = true;
    let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 0).expect("model");
    let attn = AttnShape::from_llama(&cfg);
    let (rows, _) = partition_table(&model.params().params(), Some(attn)).expect("table");
    let embed: Vec<_> = rows
        .iter()
        .filter(|r| matches!(r.role, ParamRole::Embedding | ParamRole::OutputHead))
        .collect();
    assert_eq!(embed.len(), 1);
    assert_eq!(embed[0].spec.blocks, cfg.vocab_size);
}

#[test]
fn whole_value_setting_gives_one_block_per_value_tensor_only() {
    let cfg = LlamaConfig::preset("tiny", 256).expect("preset");
    let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 0).expect("model");
    let base = OptimConfig {
        attn: Some(AttnShape::from_llama(&cfg)),
        ..OptimConfig::default()
    };
    let per_row = AdamMini::new(model.params(), base).expect("per row");
    let whole = AdamMini::new(
        model.params(),
        OptimConfig {
            mini_whole_value: true,
            ..base
        },
    )
    .expect("whole");
    let mut values = 0;
    for (a, b) in per_row.table().iter().zip(whole.table()) {
        assert_eq!(a.name, b.name);
        if a.role == ParamRole::Value {
            values += 1;
            assert_eq!(a.spec.blocks, a.shape[0], "{}", a.name);
            assert_eq!((b.spec.blocks, b.spec.kind), (1, BlockKind::Whole));
            assert_eq!(b.spec.block_len, a.shape.iter().product::<usize>());
            assert_eq!(a.state_bytes - b.state_bytes, 4 * (a.shape[0] - 1));
        } else {
            assert_eq!(a.spec, b.spec, "{}", a.name);
        }
    }
    assert_eq!(values, cfg.num_hidden_layers);
    assert!(whole.state_bytes() < per_row.state_bytes());
}

#[test]
fn adam_mini_returns_a_warning_naming_unrecognised_tensors() {
    let params = vec![
        param("mystery.weight", ParamRole::Other, &[2, 3], 1),
        param("layers.0.input_layernorm.weight", ParamRole::Norm, &[3], 2),
    ];
    let opt = AdamMini::from_params(params, OptimConfig::default()).expect("adam-mini");
    let warnings = opt.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("mystery.weight"), "{}", warnings[0]);
    let known = AdamMini::from_params(
        super::small_set(3),
        OptimConfig {
            attn: Some(AttnShape {
                hidden: 4,
                n_heads: 2,
                n_kv_heads: 2,
            }),
            ..OptimConfig::default()
        },
    )
    .expect("adam-mini");
    assert!(known.warnings().is_empty());
}
