//! A base model for SFT when none is named: a small Llama pre-trained here on the embedded
//! corpus with the [`ChatBytes`] tokenizer (single-token ChatML markers).
//!
//! Models from files (GGUF, Hugging Face folders, run folders) load through
//! [`optlab_core::models::LoadedModel`].

use std::path::Path;

use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{Llama, LlamaConfig, LoadedModel, TokenizerSpec};
use optlab_core::report::Reporter;
use optlab_core::tokenizer::{ChatBytes, Tokenizer};
use optlab_core::train::{train_lm, TrainConfig};
use optlab_optim::{AdamW, OptimConfig};

use crate::error::Result;

/// Settings of the embedded pre-training that gives `optlab sft` a base model when none is
/// named.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PretrainConfig {
    /// Preset size (`tiny`, `mini`, `small`).
    pub size: String,
    /// Optimizer steps.
    pub steps: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Tokens per sequence.
    pub seq_len: usize,
    /// Peak learning rate (AdamW).
    pub lr: f64,
    /// Seed of weights and batches.
    pub seed: u64,
}

/// The AdamW settings of the embedded pre-training: PyTorch defaults with weight decay 0.1,
/// none on norms and biases.
pub fn pretrain_optim_config() -> OptimConfig {
    OptimConfig {
        weight_decay: 0.1,
        ..OptimConfig::default()
    }
}

/// Pre-train a fresh model with the [`ChatBytes`] tokenizer on the embedded generated corpus
/// (optlab-core's train loop, AdamW); `run` receives its metrics and checkpoint, `reporter`
/// its progress. Returns the model and its final validation loss.
pub fn pretrain_embedded(
    cfg: &PretrainConfig,
    run: &Path,
    dev: &Device,
    reporter: &dyn Reporter,
) -> Result<(LoadedModel, Option<f64>)> {
    let data = TokenDataset::from_text(&generated_corpus(cfg.seed, 400_000), &ChatBytes, 0.1)?;
    let mcfg = LlamaConfig::preset(&cfg.size, ChatBytes.vocab_size())?;
    let model = Llama::new(&mcfg, DType::F32, dev, cfg.seed)?;
    let mut opt = AdamW::new(model.params(), pretrain_optim_config())?;
    let tc = TrainConfig {
        val_batches: 8,
        seed: cfg.seed,
        ..TrainConfig::short(cfg.steps, cfg.batch, cfg.seq_len, cfg.lr, run.to_path_buf())
    };
    let s = train_lm(&model, &data, &mut opt, &tc, reporter)?;
    Ok((
        LoadedModel {
            model,
            tokenizer: Box::new(ChatBytes),
            spec: TokenizerSpec::ChatBytes,
        },
        s.val_loss,
    ))
}

#[cfg(test)]
mod tests {
    use optlab_core::models::ModelSource;

    use super::*;

    #[test]
    fn run_folder_round_trip_and_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = LlamaConfig {
            hidden_size: 32,
            intermediate_size: 64,
            num_hidden_layers: 1,
            ..LlamaConfig::preset("tiny", 258).unwrap()
        };
        let m = LoadedModel {
            model: Llama::new(&cfg, DType::F32, &Device::Cpu, 3).unwrap(),
            tokenizer: Box::new(ChatBytes),
            spec: TokenizerSpec::ChatBytes,
        };
        m.save(&dir.path().join("model")).unwrap();
        let back = LoadedModel::load(&ModelSource::Run(dir.path().into()), &Device::Cpu).unwrap();
        assert_eq!(back.tokenizer.vocab_size(), 258);
        let name = "model.embed_tokens.weight";
        let values = |l: &LoadedModel| -> Vec<f32> {
            let p = l.model.params().get(name).unwrap();
            p.var.as_tensor().flatten_all().unwrap().to_vec1().unwrap()
        };
        assert_eq!(values(&m), values(&back));
        assert_eq!(values(&m), values(&m.try_clone(&Device::Cpu).unwrap()));
        let missing = ModelSource::Run(dir.path().join("nothing"));
        let e = LoadedModel::load(&missing, &Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("holds no trained model"), "{e}");
    }
}
