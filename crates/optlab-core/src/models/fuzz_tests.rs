//! Property tests: valid `config.json` and `model.safetensors` inputs mutated at random (byte
//! flips, truncation, field values) give an error or a usable model, never a panic.

use std::path::Path;

use candle_core::{DType, Device};
use proptest::prelude::*;

use super::validation_tests::micro;
use super::*;

const FIELDS: [&str; 11] = [
    "vocab_size",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "rope_theta",
    "rms_norm_eps",
    "max_position_embeddings",
    "tie_word_embeddings",
    "attention_bias",
];

const VALUES: [&str; 14] = [
    "0",
    "1",
    "3",
    "-1",
    "1e12",
    "1000000000000",
    "18446744073709551615",
    "0.5",
    "1e-400",
    "\"8\"",
    "null",
    "true",
    "[]",
    "16777216",
];

fn valid_config_text() -> String {
    serde_json::to_string_pretty(&micro(false)).unwrap()
}

/// Building the model of an accepted configuration must work too; only tiny ones are built
/// so the test stays fast.
fn build_if_small(cfg: &LlamaConfig) {
    let small = cfg.vocab_size * cfg.hidden_size <= 1 << 16
        && cfg.hidden_size * cfg.intermediate_size <= 1 << 16
        && cfg.num_hidden_layers <= 4
        && cfg.max_position_embeddings <= 1 << 12;
    if small {
        Llama::new(cfg, DType::F32, &Device::Cpu, 0).expect("an accepted configuration builds");
    }
}

fn mutate(mut bytes: Vec<u8>, flips: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let n = bytes.len();
    for &(at, x) in flips {
        bytes[at % n] ^= x;
    }
    if let Some(c) = cut {
        bytes.truncate(c % (n + 1));
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn config_field_changes_never_panic(f in 0..FIELDS.len(), v in 0..VALUES.len()) {
        let mut val: serde_json::Value = serde_json::from_str(&valid_config_text()).unwrap();
        val[FIELDS[f]] = serde_json::from_str(VALUES[v]).unwrap_or(serde_json::Value::Null);
        let text = serde_json::to_string_pretty(&val).unwrap();
        if let Ok(cfg) = parse_llama_config(&text, Path::new("config.json")) {
            build_if_small(&cfg);
        }
    }

    #[test]
    fn config_byte_flips_and_truncation_never_panic(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 0..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let bytes = mutate(valid_config_text().into_bytes(), &flips, cut);
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(cfg) = parse_llama_config(&text, Path::new("config.json")) {
            build_if_small(&cfg);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn safetensors_byte_flips_and_truncation_never_panic(
        flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..4),
        in_header in any::<bool>(),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m");
        let m = Llama::new(&micro(false), DType::F32, &Device::Cpu, 1).unwrap();
        save_model_weights(&m, &dir).unwrap();
        let path = dir.join("model.safetensors");
        let bytes = std::fs::read(&path).unwrap();
        let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        // Half the flips land in the length prefix and JSON header, the other half anywhere.
        let span = if in_header { header } else { bytes.len() };
        let flips: Vec<(usize, u8)> = flips.into_iter().map(|(a, x)| (a % span, x)).collect();
        std::fs::write(&path, mutate(bytes, &flips, cut)).unwrap();
        let _ = load_model_weights(&dir, &Device::Cpu);
    }
}
