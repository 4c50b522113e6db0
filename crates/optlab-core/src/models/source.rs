//! One way to get a decoder and its tokenizer, wherever it comes from: a fresh preset, a
//! Hugging Face folder, a llama.cpp GGUF file, or the `model/` folder of an optlab run.
//!
//! A model folder holds `config.json` and `*.safetensors`, and names its tokenizer by one of:
//! a `tokenizer.json` (Hugging Face format), a `tokenizer.optlab` file naming a built-in
//! tokenizer (`bytes` or `chat-bytes`), or nothing, which means `bytes` (the byte-level models
//! `optlab train` writes).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};

use super::{gguf_tokenizer_json, load_gguf, load_model_weights, save_model_weights};
use super::{Llama, LlamaConfig};
use crate::checkpoint_io::write_atomic;
use crate::error::{CoreError, Result};
use crate::tokenizer::{ByteTokenizer, ChatBytes, HfTokenizer, Tokenizer};

/// File naming a built-in tokenizer inside a model folder.
pub const BUILTIN_TOKENIZER_FILE: &str = "tokenizer.optlab";

/// Where a model comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    /// A new byte-level model of a preset size (`tiny`, `mini`, `small`), initialised from `seed`.
    Preset {
        /// Preset name.
        size: String,
        /// Initialisation seed.
        seed: u64,
    },
    /// A model folder (Hugging Face layout, or one optlab wrote).
    Folder(PathBuf),
    /// A llama.cpp GGUF checkpoint (dequantised to f32) with its embedded tokenizer.
    Gguf(PathBuf),
    /// An optlab run folder; the model is in its `model/` subfolder.
    Run(PathBuf),
}

/// Which tokenizer a model reads, in the form a saved folder records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerSpec {
    /// A Hugging Face `tokenizer.json` (its text).
    Json(String),
    /// The built-in byte tokenizer (256 ids).
    Bytes,
    /// The built-in byte tokenizer with single-token ChatML markers (258 ids).
    ChatBytes,
}

impl TokenizerSpec {
    /// The name written to [`BUILTIN_TOKENIZER_FILE`] (`None` for a `tokenizer.json`).
    pub fn builtin_name(&self) -> Option<&'static str> {
        match self {
            TokenizerSpec::Json(_) => None,
            TokenizerSpec::Bytes => Some("bytes"),
            TokenizerSpec::ChatBytes => Some("chat-bytes"),
        }
    }

    /// The built-in tokenizer called `name`; `origin` names the file in the error.
    pub fn from_builtin_name(name: &str, origin: &Path) -> Result<Self> {
        match name.trim() {
            "bytes" => Ok(TokenizerSpec::Bytes),
            "chat-bytes" => Ok(TokenizerSpec::ChatBytes),
            other => Err(CoreError::Corrupt {
                path: origin.into(),
                reason: format!(
                    "unknown built-in tokenizer `{other}` (expected `bytes` or `chat-bytes`)"
                ),
            }),
        }
    }

    /// A working tokenizer for this spec; `origin` names the folder in errors.
    pub fn build(&self, origin: &Path) -> Result<Box<dyn Tokenizer>> {
        Ok(match self {
            TokenizerSpec::Json(j) => Box::new(HfTokenizer::from_json(j, origin)?),
            TokenizerSpec::Bytes => Box::new(ByteTokenizer),
            TokenizerSpec::ChatBytes => Box::new(ChatBytes),
        })
    }

    /// Read the tokenizer a model folder names (see the module documentation).
    pub fn read_folder(dir: &Path) -> Result<Self> {
        let json = dir.join("tokenizer.json");
        if json.exists() {
            let text = std::fs::read_to_string(&json).map_err(CoreError::io(&json))?;
            return Ok(TokenizerSpec::Json(text));
        }
        let named = dir.join(BUILTIN_TOKENIZER_FILE);
        if named.exists() {
            let text = std::fs::read_to_string(&named).map_err(CoreError::io(&named))?;
            return Self::from_builtin_name(&text, &named);
        }
        Ok(TokenizerSpec::Bytes)
    }

    /// Write this spec into a model folder: `tokenizer.json` or [`BUILTIN_TOKENIZER_FILE`].
    pub fn write_folder(&self, dir: &Path) -> Result<()> {
        match self {
            TokenizerSpec::Json(j) => write_atomic(&dir.join("tokenizer.json"), j.as_bytes()),
            builtin => write_atomic(
                &dir.join(BUILTIN_TOKENIZER_FILE),
                builtin.builtin_name().unwrap_or("bytes").as_bytes(),
            ),
        }
    }
}

/// A model with its tokenizer and the spec to save them again.
pub struct LoadedModel {
    /// The decoder (f32, trainable).
    pub model: Llama,
    /// Text <-> ids.
    pub tokenizer: Box<dyn Tokenizer>,
    /// How a saved folder names `tokenizer`.
    pub spec: TokenizerSpec,
}

impl LoadedModel {
    /// Load (or create) the model `source` describes on `dev`.
    pub fn load(source: &ModelSource, dev: &Device) -> Result<Self> {
        match source {
            ModelSource::Preset { size, seed } => {
                let cfg = LlamaConfig::preset(size, 256)?;
                Ok(Self {
                    model: Llama::new(&cfg, DType::F32, dev, *seed)?,
                    tokenizer: Box::new(ByteTokenizer),
                    spec: TokenizerSpec::Bytes,
                })
            }
            ModelSource::Folder(dir) => Self::load_folder(dir, dev),
            ModelSource::Gguf(path) => Self::load_gguf(path, dev),
            ModelSource::Run(run) => {
                let dir = run.join("model");
                if !dir.join("config.json").exists() {
                    return Err(CoreError::Io {
                        path: dir.join("config.json"),
                        cause: std::io::Error::new(
                            std::io::ErrorKind::NotFound,
                            format!("{} holds no trained model", run.display()),
                        ),
                    });
                }
                Self::load_folder(&dir, dev)
            }
        }
    }

    fn load_folder(dir: &Path, dev: &Device) -> Result<Self> {
        let spec = TokenizerSpec::read_folder(dir)?;
        let tokenizer = spec.build(dir)?;
        let model = load_model_weights(dir, dev)?;
        if tokenizer.vocab_size() > model.config().vocab_size {
            return Err(CoreError::Config(format!(
                "{}: the tokenizer has {} ids but the model only {}",
                dir.display(),
                tokenizer.vocab_size(),
                model.config().vocab_size
            )));
        }
        Ok(Self {
            model,
            tokenizer,
            spec,
        })
    }

    fn load_gguf(path: &Path, dev: &Device) -> Result<Self> {
        let (model, tok) = load_gguf(path, dev)?;
        let mut f = std::fs::File::open(path).map_err(CoreError::io(path))?;
        let content = candle_core::quantized::gguf_file::Content::read(&mut f).map_err(|e| {
            CoreError::Corrupt {
                path: path.into(),
                reason: e.to_string(),
            }
        })?;
        let json = gguf_tokenizer_json(&content, path)?;
        Ok(Self {
            model,
            tokenizer: Box::new(tok),
            spec: TokenizerSpec::Json(json),
        })
    }

    /// Write the model as a folder that [`ModelSource::Folder`] loads back: `config.json`,
    /// `model.safetensors` and the tokenizer (see [`TokenizerSpec::write_folder`]).
    pub fn save(&self, dir: &Path) -> Result<()> {
        save_model_weights(&self.model, dir)?;
        self.spec.write_folder(dir)
    }

    /// An independent copy (same configuration, copied weights, same tokenizer), so several
    /// fine-tunes can start from one base.
    pub fn try_clone(&self, dev: &Device) -> Result<Self> {
        let model = self.model.deep_copy(dev)?;
        Ok(Self {
            model,
            tokenizer: self.spec.build(Path::new("<in-memory copy>"))?,
            spec: self.spec.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tokenizer_spec_survives_a_folder_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let dev = Device::Cpu;
        let src = ModelSource::Preset {
            size: "tiny".into(),
            seed: 3,
        };
        let base = LoadedModel::load(&src, &dev).unwrap();
        for (spec, vocab) in [(TokenizerSpec::Bytes, 256), (TokenizerSpec::ChatBytes, 258)] {
            let sub = dir.path().join(spec.builtin_name().unwrap());
            let cfg = LlamaConfig::preset("tiny", vocab).unwrap();
            let m = LoadedModel {
                model: Llama::new(&cfg, DType::F32, &dev, 1).unwrap(),
                tokenizer: spec.build(&sub).unwrap(),
                spec: spec.clone(),
            };
            m.save(&sub).unwrap();
            let back = LoadedModel::load(&ModelSource::Folder(sub.clone()), &dev).unwrap();
            assert_eq!(back.spec, spec);
            assert_eq!(back.model.config(), m.model.config());
            assert_eq!(back.tokenizer.vocab_size(), vocab);
            let copy = back.try_clone(&dev).unwrap();
            assert_eq!(copy.spec, spec);
        }
        // A chat-bytes tokenizer (258 ids) cannot drive a 256-id model.
        let small = dir.path().join("mismatch");
        LoadedModel {
            spec: TokenizerSpec::ChatBytes,
            ..LoadedModel::load(&src, &dev).unwrap()
        }
        .save(&small)
        .unwrap();
        let err = LoadedModel::load(&ModelSource::Folder(small), &dev)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("258 ids but the model only 256"), "{err}");
        let run = dir.path().join("run");
        base.save(&run.join("model")).unwrap();
        assert!(LoadedModel::load(&ModelSource::Run(run), &dev).is_ok());
        let err = LoadedModel::load(&ModelSource::Run(dir.path().join("nope")), &dev)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("holds no trained model"), "{err}");
        let bad = dir.path().join("bytes").join(BUILTIN_TOKENIZER_FILE);
        std::fs::write(&bad, "klingon").unwrap();
        let err = LoadedModel::load(&ModelSource::Folder(dir.path().join("bytes")), &dev)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("klingon") && err.contains("tokenizer.optlab"),
            "{err}"
        );
    }
}
