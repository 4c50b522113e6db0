//! Where SFT models come from and go: GGUF files, Hugging Face folders, optlab run folders,
//! or a small model pre-trained here on the embedded corpus.
//!
//! A run folder keeps the model in `RUN/model/` (`config.json`, `model.safetensors`) with
//! either a `tokenizer.json` or a `tokenizer.optlab` file naming a built-in tokenizer
//! (`chat-bytes` or `bytes`; a folder with neither, as `optlab train` writes, is `bytes`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{load_gguf, load_model_dir, read_config, Llama, LlamaConfig};
use optlab_core::tokenizer::{ByteTokenizer, HfTokenizer, Tokenizer};
use optlab_core::train::{train_lm, AdamW, AdamWConfig, TrainConfig};

use super::template::ChatBytes;

/// A model and its tokenizer.
pub struct LoadedModel {
    /// The model (f32, trainable).
    pub model: Llama,
    /// Its tokenizer.
    pub tok: Box<dyn Tokenizer>,
    /// What to write next to saved weights: `tokenizer.json` text, or a built-in name.
    pub tok_spec: TokSpec,
}

/// How a saved model names its tokenizer.
#[derive(Debug, Clone)]
pub enum TokSpec {
    /// A Hugging Face `tokenizer.json` (its text).
    Json(String),
    /// A built-in tokenizer: `chat-bytes` or `bytes`.
    Builtin(&'static str),
}

/// Load a llama.cpp GGUF checkpoint (e.g. SmolLM2-135M-Instruct) with its tokenizer.
pub fn from_gguf(path: &Path, dev: &Device) -> Result<LoadedModel> {
    let (model, tok) =
        load_gguf(path, dev).with_context(|| format!("loading GGUF {}", path.display()))?;
    let mut f = std::fs::File::open(path)?;
    let content = candle_core::quantized::gguf_file::Content::read(&mut f)?;
    let json = optlab_core::models::gguf_tokenizer_json(&content, path)?;
    Ok(LoadedModel {
        model,
        tok: Box::new(tok),
        tok_spec: TokSpec::Json(json),
    })
}

/// Load a Hugging Face Llama/Qwen2 folder.
pub fn from_model_dir(dir: &Path, dev: &Device) -> Result<LoadedModel> {
    let (model, tok) = load_model_dir(dir, dev)
        .with_context(|| format!("loading model folder {}", dir.display()))?;
    let json = std::fs::read_to_string(dir.join("tokenizer.json"))?;
    Ok(LoadedModel {
        model,
        tok: Box::new(tok),
        tok_spec: TokSpec::Json(json),
    })
}

/// Load the model of an `optlab train` or `optlab sft` run folder (`RUN/model/`).
pub fn from_run(run: &Path, dev: &Device) -> Result<LoadedModel> {
    let dir = run.join("model");
    if !dir.join("config.json").exists() {
        bail!(
            "{} holds no model (expected {}/config.json)",
            run.display(),
            dir.display()
        );
    }
    if dir.join("tokenizer.json").exists() {
        return from_model_dir(&dir, dev);
    }
    let cfg = read_config(&dir)?;
    let model = Llama::new(&cfg, DType::F32, dev, 0)?;
    model
        .params()
        .load_safetensors(&dir.join("model.safetensors"))?;
    let spec =
        std::fs::read_to_string(dir.join("tokenizer.optlab")).unwrap_or_else(|_| "bytes".into());
    let (tok, name): (Box<dyn Tokenizer>, &'static str) = match spec.trim() {
        "chat-bytes" => (Box::new(ChatBytes), "chat-bytes"),
        "bytes" => (Box::new(ByteTokenizer), "bytes"),
        other => bail!(
            "{}: unknown built-in tokenizer `{other}`",
            dir.join("tokenizer.optlab").display()
        ),
    };
    if tok.vocab_size() > cfg.vocab_size {
        bail!(
            "{}: tokenizer `{name}` has {} ids but the model only {}",
            dir.display(),
            tok.vocab_size(),
            cfg.vocab_size
        );
    }
    Ok(LoadedModel {
        model,
        tok,
        tok_spec: TokSpec::Builtin(name),
    })
}

/// Save `m` as `RUN/model/` (config, weights, tokenizer).
pub fn save_run_model(run: &Path, m: &LoadedModel) -> Result<PathBuf> {
    let dir = run.join("model");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(m.model.config())?,
    )?;
    m.model
        .params()
        .save_safetensors(&dir.join("model.safetensors"))?;
    match &m.tok_spec {
        TokSpec::Json(j) => std::fs::write(dir.join("tokenizer.json"), j)?,
        TokSpec::Builtin(name) => std::fs::write(dir.join("tokenizer.optlab"), name)?,
    }
    Ok(dir)
}

/// A copy of `m`'s weights in a new model (so several fine-tunes can start from one base).
pub fn clone_model(m: &LoadedModel, dev: &Device) -> Result<LoadedModel> {
    let model = Llama::new(m.model.config(), DType::F32, dev, 0)?;
    let tensors = m
        .model
        .params()
        .tensors()
        .into_iter()
        .map(|(k, v)| Ok((k, v.copy()?)))
        .collect::<Result<_>>()?;
    model
        .params()
        .assign(tensors, Path::new("<in-memory copy>"))?;
    let tok: Box<dyn Tokenizer> = match &m.tok_spec {
        TokSpec::Builtin("chat-bytes") => Box::new(ChatBytes),
        TokSpec::Builtin(_) => Box::new(ByteTokenizer),
        TokSpec::Json(j) => {
            let p = std::env::temp_dir().join(format!("optlab-tok-{}.json", std::process::id()));
            std::fs::write(&p, j)?;
            let t = HfTokenizer::from_file(&p)?;
            let _ = std::fs::remove_file(&p);
            Box::new(t)
        }
    };
    Ok(LoadedModel {
        model,
        tok,
        tok_spec: m.tok_spec.clone(),
    })
}

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

/// Pre-train a fresh model with the [`ChatBytes`] tokenizer on the embedded generated corpus
/// (optlab-core's train loop); `run` receives its metrics and checkpoint. Returns the model
/// and its final validation loss.
pub fn pretrain_embedded(
    cfg: &PretrainConfig,
    run: &Path,
    dev: &Device,
) -> Result<(LoadedModel, Option<f64>)> {
    let data = TokenDataset::from_text(&generated_corpus(cfg.seed, 400_000), &ChatBytes, 0.1)?;
    let mcfg = LlamaConfig::preset(&cfg.size, ChatBytes.vocab_size())?;
    let model = Llama::new(&mcfg, DType::F32, dev, cfg.seed)?;
    let mut opt = AdamW::new(model.params(), AdamWConfig::default());
    let tc = TrainConfig {
        val_batches: 8,
        seed: cfg.seed,
        ..TrainConfig::short(cfg.steps, cfg.batch, cfg.seq_len, cfg.lr, run.to_path_buf())
    };
    let s = train_lm(&model, &data, &mut opt, &tc, &optlab_core::report::Silent)?;
    Ok((
        LoadedModel {
            model,
            tok: Box::new(ChatBytes),
            tok_spec: TokSpec::Builtin("chat-bytes"),
        },
        s.val_loss,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_folder_round_trip_and_clear_errors() {
        let dir = std::env::temp_dir().join(format!("optlab-sft-io-{}", std::process::id()));
        let cfg = LlamaConfig {
            hidden_size: 32,
            intermediate_size: 64,
            num_hidden_layers: 1,
            ..LlamaConfig::preset("tiny", 258).unwrap()
        };
        let m = LoadedModel {
            model: Llama::new(&cfg, DType::F32, &Device::Cpu, 3).unwrap(),
            tok: Box::new(ChatBytes),
            tok_spec: TokSpec::Builtin("chat-bytes"),
        };
        save_run_model(&dir, &m).unwrap();
        let back = from_run(&dir, &Device::Cpu).unwrap();
        assert_eq!(back.tok.vocab_size(), 258);
        let name = "model.embed_tokens.weight";
        let values = |l: &LoadedModel| -> Vec<f32> {
            let p = l.model.params().get(name).unwrap();
            p.var.as_tensor().flatten_all().unwrap().to_vec1().unwrap()
        };
        assert_eq!(values(&m), values(&back));
        assert_eq!(values(&m), values(&clone_model(&m, &Device::Cpu).unwrap()));
        let e = from_run(&dir.join("nothing"), &Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("holds no model"), "{e}");
    }
}
