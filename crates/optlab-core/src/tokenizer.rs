//! Tokenizers: a built-in byte-level one, and Hugging Face `tokenizer.json` files.

use std::path::Path;

use crate::error::{CoreError, Result};

/// Text ↔ token ids.
pub trait Tokenizer: Send + Sync {
    /// Token ids of `text`.
    fn encode(&self, text: &str) -> Result<Vec<u32>>;
    /// Text of `ids` (invalid UTF-8 sequences are replaced, never an error).
    fn decode(&self, ids: &[u32]) -> Result<String>;
    /// Number of distinct ids.
    fn vocab_size(&self) -> usize;
    /// Id of a special token such as `<|im_end|>`, if the tokenizer has it.
    fn token_id(&self, _token: &str) -> Option<u32> {
        None
    }
}

/// One token per byte: vocabulary 256, no training, no files.
#[derive(Debug, Clone, Copy, Default)]
pub struct ByteTokenizer;

impl Tokenizer for ByteTokenizer {
    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(text.bytes().map(u32::from).collect())
    }

    fn decode(&self, ids: &[u32]) -> Result<String> {
        let bytes: Vec<u8> = ids.iter().map(|&i| i.min(255) as u8).collect();
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn vocab_size(&self) -> usize {
        256
    }
}

/// A Hugging Face tokenizer loaded from `tokenizer.json`.
pub struct HfTokenizer {
    inner: tokenizers::Tokenizer,
}

impl HfTokenizer {
    /// Load from a `tokenizer.json` file.
    pub fn from_file(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Err(CoreError::Io {
                path: path.into(),
                cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let inner = tokenizers::Tokenizer::from_file(path).map_err(|e| CoreError::Corrupt {
            path: path.into(),
            reason: e.to_string(),
        })?;
        Ok(Self { inner })
    }

    /// Parse the text of a `tokenizer.json`; `origin` names where it came from in errors.
    pub fn from_json(json: &str, origin: &Path) -> Result<Self> {
        let inner: tokenizers::Tokenizer =
            json.parse()
                .map_err(|e: tokenizers::Error| CoreError::Corrupt {
                    path: origin.into(),
                    reason: e.to_string(),
                })?;
        Ok(Self { inner })
    }
}

fn tok_err(e: tokenizers::Error) -> CoreError {
    CoreError::Config(format!("tokenizer: {e}"))
}

impl Tokenizer for HfTokenizer {
    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .inner
            .encode(text, false)
            .map_err(tok_err)?
            .get_ids()
            .to_vec())
    }

    fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner.decode(ids, false).map_err(tok_err)
    }

    fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }
}

/// The ChatML marker that opens a message.
pub const IM_START: &str = "<|im_start|>";
/// The ChatML marker that closes a message.
pub const IM_END: &str = "<|im_end|>";

/// Byte-level tokenizer plus the two ChatML markers as single tokens (ids 256 and 257), for
/// the small models trained from scratch here: generation can then stop on one token.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatBytes;

/// Id of [`IM_START`] in [`ChatBytes`].
pub const CHAT_BYTES_IM_START: u32 = 256;
/// Id of [`IM_END`] in [`ChatBytes`].
pub const CHAT_BYTES_IM_END: u32 = 257;

impl Tokenizer for ChatBytes {
    fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(text.len());
        let mut rest = text;
        while !rest.is_empty() {
            let next = [(IM_START, CHAT_BYTES_IM_START), (IM_END, CHAT_BYTES_IM_END)]
                .iter()
                .filter_map(|&(m, id)| rest.find(m).map(|at| (at, m.len(), id)))
                .min();
            match next {
                Some((at, len, id)) => {
                    out.extend(rest[..at].bytes().map(u32::from));
                    out.push(id);
                    rest = &rest[at + len..];
                }
                None => {
                    out.extend(rest.bytes().map(u32::from));
                    rest = "";
                }
            }
        }
        Ok(out)
    }

    fn decode(&self, ids: &[u32]) -> Result<String> {
        let mut bytes = Vec::with_capacity(ids.len());
        for &i in ids {
            match i {
                CHAT_BYTES_IM_START => bytes.extend(IM_START.bytes()),
                CHAT_BYTES_IM_END => bytes.extend(IM_END.bytes()),
                b => bytes.push(b.min(255) as u8),
            }
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn vocab_size(&self) -> usize {
        258
    }

    fn token_id(&self, token: &str) -> Option<u32> {
        match token {
            IM_START => Some(CHAT_BYTES_IM_START),
            IM_END => Some(CHAT_BYTES_IM_END),
            _ => None,
        }
    }
}

/// A minimal word-level `tokenizer.json` (whitespace split, `[UNK]` = 0) over `words`.
///
/// Lets tests and demos write a complete Hugging Face-format model folder without a download.
pub fn word_level_tokenizer_json(words: &[&str]) -> String {
    let mut vocab = serde_json::Map::new();
    vocab.insert("[UNK]".into(), 0.into());
    for (i, w) in words.iter().enumerate() {
        vocab.insert((*w).into(), (i + 1).into());
    }
    serde_json::json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_tokenizer_round_trips_unicode() {
        let t = ByteTokenizer;
        let s = "héllo, wörld ✓";
        assert_eq!(t.decode(&t.encode(s).unwrap()).unwrap(), s);
    }

    #[test]
    fn hf_tokenizer_loads_a_written_tokenizer_json() {
        let dir_tmp = tempfile::tempdir().unwrap();
        let dir = dir_tmp.path().join("tok");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokenizer.json");
        std::fs::write(&path, word_level_tokenizer_json(&["a", "b", "c"])).unwrap();
        let t = HfTokenizer::from_file(&path).unwrap();
        assert_eq!(t.encode("a c b").unwrap().len(), 3);
        let err = HfTokenizer::from_file(&dir.join("missing.json"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("missing.json"), "{err}");
    }
}
