//! The partition listing from a model folder, and the bench on the tiny preset.

use candle_core::{DType, Device};
use optlab_core::models::{save_model_dir, Llama, LlamaConfig};
use optlab_core::params::ParamRole;

use crate::entries::{entries_from_dir, entries_from_preset};
use crate::partition::partition_entries;

#[test]
fn model_dir_headers_give_the_same_table_as_the_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("model");
    let cfg = LlamaConfig::preset("tiny", 64).expect("preset");
    let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 3).expect("model");
    save_model_dir(&model, "{}", &dir).expect("save");
    let (from_dir, attn_dir) = entries_from_dir(&dir).expect("dir");
    let (mut from_model, attn_model) = entries_from_preset("tiny", 64).expect("preset");
    from_model.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(attn_dir, attn_model);
    assert_eq!(from_dir, from_model, "classify_name recovers every role");
    let (rows, unknown) = partition_entries(&from_dir, Some(attn_dir)).expect("table");
    assert!(unknown.is_empty());
    let k = rows.iter().find(|r| r.role == ParamRole::Key).expect("key");
    assert_eq!(k.spec.blocks, cfg.kv_heads());
    assert!(entries_from_dir(&dir.join("absent")).is_err());
}

#[test]
fn bench_reports_every_optimizer() {
    let b = crate::bench::bench_model("tiny", &crate::bench::BENCH_OPTIMIZERS, 1).expect("bench");
    assert_eq!(b.optimizers.len(), 3);
    assert!(b.copy_gbps > 0.0);
    assert!(
        b.adam_mini_state_ratio < 0.51,
        "{}",
        b.adam_mini_state_ratio
    );
    for o in &b.optimizers {
        assert!(o.step_ms > 0.0 && o.achieved_gbps > 0.0, "{o:?}");
    }
}
