//! Learned reward models: a Llama decoder whose final hidden state at the last token feeds a
//! scalar head (`score.weight`, as Hugging Face's sequence classifier names it), trained with
//! the Bradley-Terry loss. A model folder carries a manifest naming its tokenizer, and loading
//! it for a policy with another tokenizer is refused.

use std::path::Path;

use crate::error::{bail, Context, Result, RlhfError};
use candle_core::{DType, Device, Tensor, Var, D};
use optlab_core::manifest::sha256_hex;
use optlab_core::models::{Llama, LlamaConfig, TokenizerSpec};
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use serde::{Deserialize, Serialize};

/// Which tokenizer a model reads: its kind, vocabulary size and a content hash (sha256 of
/// `tokenizer.json`, or of a fixed tag for the built-in byte tokenizer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerId {
    /// `byte` or `hf`.
    pub kind: String,
    /// Number of token ids.
    pub vocab_size: usize,
    /// Hex sha256 identifying the exact vocabulary.
    pub hash: String,
}

impl TokenizerId {
    /// The built-in byte tokenizer (256 ids).
    pub fn byte() -> Self {
        Self {
            kind: "byte".into(),
            vocab_size: 256,
            hash: sha256_hex(b"optlab byte tokenizer, 256 ids"),
        }
    }

    /// A Hugging Face `tokenizer.json` with `vocab_size` ids.
    pub fn hf(tokenizer_json: &[u8], vocab_size: usize) -> Self {
        Self {
            kind: "hf".into(),
            vocab_size,
            hash: sha256_hex(tokenizer_json),
        }
    }

    /// The identity of the tokenizer a saved model folder names (`vocab_size`: the model's).
    pub fn of_spec(spec: &TokenizerSpec, vocab_size: usize) -> Self {
        match spec {
            TokenizerSpec::Json(json) => Self::hf(json.as_bytes(), vocab_size),
            TokenizerSpec::Bytes => Self::byte(),
            TokenizerSpec::ChatBytes => Self {
                kind: "chat-bytes".into(),
                vocab_size: 258,
                hash: sha256_hex(b"optlab chat-bytes tokenizer, 258 ids"),
            },
        }
    }

    /// Fail with a one-line cause unless `other` is the same tokenizer.
    pub fn ensure_same(&self, other: &TokenizerId, what: &str) -> Result<()> {
        if self.vocab_size != other.vocab_size {
            bail!(
                "{what}: tokenizer mismatch: vocabulary of {} ids vs the policy's {}",
                self.vocab_size,
                other.vocab_size
            );
        }
        if self.kind != other.kind || self.hash != other.hash {
            bail!(
                "{what}: tokenizer mismatch: {} tokenizer {} vs the policy's {} tokenizer {}",
                self.kind,
                &self.hash[..12.min(self.hash.len())],
                other.kind,
                &other.hash[..12.min(other.hash.len())]
            );
        }
        Ok(())
    }
}

/// A scalar head `[1, hidden]` reading hidden states: reward-model score or value head.
pub struct ScalarHead {
    w: Var,
}

impl ScalarHead {
    /// Register `{name}.weight` (zero-initialised, so a new head predicts 0) in `store`.
    pub fn new(store: &ParamStore, name: &str, hidden: usize, dev: &Device) -> Result<Self> {
        let b = ParamBuilder::new(store, DType::F32, dev, 0).pp(name);
        let w = b.param("weight", &[1, hidden], Init::Const(0.0), ParamRole::Linear)?;
        Ok(Self { w })
    }

    /// Scores `[b, t]` of hidden states `[b, t, hidden]`.
    pub fn forward(&self, hidden: &Tensor) -> Result<Tensor> {
        let w = self.w.as_tensor().t()?;
        Ok(hidden.broadcast_matmul(&w)?.squeeze(D::Minus1)?)
    }
}

/// Reward model: decoder plus scalar head, scoring a sequence at its last token.
pub struct RewardModel {
    /// The decoder (its store also holds `score.weight`).
    pub model: Llama,
    /// The score head.
    pub head: ScalarHead,
    /// The tokenizer it was trained with.
    pub tokenizer: TokenizerId,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    kind: String,
    tokenizer: TokenizerId,
}

const MANIFEST_KIND: &str = "optlab-reward-model";

impl RewardModel {
    /// A fresh model; with `init`, the decoder starts from those weights (e.g. the SFT policy).
    pub fn new(
        cfg: &LlamaConfig,
        tokenizer: TokenizerId,
        init: Option<&Llama>,
        dev: &Device,
        seed: u64,
    ) -> Result<Self> {
        if cfg.vocab_size != tokenizer.vocab_size {
            bail!(
                "model vocabulary {} does not match the tokenizer's {}",
                cfg.vocab_size,
                tokenizer.vocab_size
            );
        }
        let model = Llama::new(cfg, DType::F32, dev, seed)?;
        if let Some(src) = init {
            model
                .params()
                .assign(src.params().tensors(), Path::new("<policy>"))?;
        }
        let head = ScalarHead::new(model.params(), "score", cfg.hidden_size, dev)?;
        Ok(Self {
            model,
            head,
            tokenizer,
        })
    }

    /// Scores `[b]` of right-padded rows `ids [b, t]` whose last real token sits at `last[i]`.
    pub fn score(&self, ids: &Tensor, last: &[usize]) -> Result<Tensor> {
        let s = self.head.forward(&self.model.final_hidden(ids)?)?;
        let idx = Tensor::new(
            last.iter().map(|&l| l as u32).collect::<Vec<_>>(),
            ids.device(),
        )?;
        Ok(s.gather(&idx.unsqueeze(1)?, 1)?.squeeze(1)?)
    }

    /// Scores of token rows of any lengths (padded here), as f64.
    pub fn score_rows(&self, rows: &[Vec<u32>], dev: &Device) -> Result<Vec<f64>> {
        let (ids, last) = pad_rows(rows, dev)?;
        let s = self.score(&ids, &last)?.to_dtype(DType::F64)?;
        Ok(s.to_vec1::<f64>()?)
    }

    /// Write `config.json`, `model.safetensors` (decoder + `score.weight`) and `manifest.json`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(RlhfError::io(dir))?;
        let cpath = dir.join("config.json");
        let cfg = serde_json::to_string_pretty(self.model.config())
            .map_err(RlhfError::json(cpath.display()))?;
        std::fs::write(&cpath, cfg).map_err(RlhfError::io(&cpath))?;
        self.model
            .params()
            .save_safetensors(&dir.join("model.safetensors"))?;
        let m = Manifest {
            kind: MANIFEST_KIND.into(),
            tokenizer: self.tokenizer.clone(),
        };
        let mpath = dir.join("manifest.json");
        let text = serde_json::to_string_pretty(&m).map_err(RlhfError::json(mpath.display()))?;
        std::fs::write(&mpath, text).map_err(RlhfError::io(&mpath))?;
        Ok(())
    }

    /// Load a folder written by [`RewardModel::save`] for a policy using `policy_tokenizer`;
    /// a different tokenizer is refused before any weight is read.
    pub fn load(dir: &Path, policy_tokenizer: &TokenizerId, dev: &Device) -> Result<Self> {
        let mpath = dir.join("manifest.json");
        let text = std::fs::read_to_string(&mpath)
            .map_err(RlhfError::io(&mpath))
            .with_context(|| format!("reward model {}: reading manifest", dir.display()))?;
        let m: Manifest = serde_json::from_str(&text).map_err(RlhfError::json(format!(
            "reward model manifest {} is malformed",
            mpath.display()
        )))?;
        if m.kind != MANIFEST_KIND {
            bail!(
                "{} is not a reward model (kind `{}`)",
                mpath.display(),
                m.kind
            );
        }
        m.tokenizer
            .ensure_same(policy_tokenizer, &format!("reward model {}", dir.display()))?;
        let cpath = dir.join("config.json");
        let text = std::fs::read_to_string(&cpath).map_err(RlhfError::io(&cpath))?;
        let cfg: LlamaConfig = serde_json::from_str(&text)
            .map_err(RlhfError::json(format!("{} is malformed", cpath.display())))?;
        let rm = Self::new(&cfg, m.tokenizer, None, dev, 0)?;
        rm.model
            .params()
            .load_safetensors(&dir.join("model.safetensors"))?;
        Ok(rm)
    }
}

/// Right-pad rows with id 0 into `[b, max_len]`; also returns each row's last index.
pub fn pad_rows(rows: &[Vec<u32>], dev: &Device) -> Result<(Tensor, Vec<usize>)> {
    let t = rows.iter().map(Vec::len).max().unwrap_or(0);
    if t == 0 {
        bail!("cannot score empty sequences");
    }
    let mut flat = Vec::with_capacity(rows.len() * t);
    for r in rows {
        if r.is_empty() {
            bail!("cannot score an empty sequence");
        }
        flat.extend_from_slice(r);
        flat.extend(std::iter::repeat_n(0u32, t - r.len()));
    }
    let last = rows.iter().map(|r| r.len() - 1).collect();
    Ok((Tensor::from_vec(flat, (rows.len(), t), dev)?, last))
}

/// Bradley-Terry loss `mean(-log sigmoid(r_chosen - r_rejected))` (computed stably as
/// `softplus(-d)`) and the fraction of pairs ranked correctly (ties count one half).
pub fn bradley_terry(chosen: &Tensor, rejected: &Tensor) -> Result<(Tensor, f64)> {
    let d = (chosen - rejected)?;
    // softplus(-d) = max(-d, 0) + log(1 + exp(-|d|))
    let neg = d.neg()?;
    let sp = (neg.relu()? + (d.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
    // A tie is a coin flip: half a correct ranking.
    let acc = d
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?
        .iter()
        .map(|x| {
            if *x > 0.0 {
                1.0
            } else if *x == 0.0 {
                0.5
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / d.dim(0)?.max(1) as f64;
    Ok((sp.mean_all()?, acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_model_reloads_and_a_foreign_tokenizer_is_refused() {
        let dev = Device::Cpu;
        let mut cfg = LlamaConfig::preset("tiny", 256).unwrap();
        cfg.num_hidden_layers = 1;
        let rm = RewardModel::new(&cfg, TokenizerId::byte(), None, &dev, 4).unwrap();
        let w = rm.model.params().get("score.weight").unwrap().var;
        w.set(&Tensor::ones((1, cfg.hidden_size), DType::F32, &dev).unwrap())
            .unwrap();
        let rows = vec![vec![1u32, 2, 3], vec![7u32]];
        let s = rm.score_rows(&rows, &dev).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        rm.save(dir).unwrap();
        let back = RewardModel::load(dir, &TokenizerId::byte(), &dev).unwrap();
        assert_eq!(back.score_rows(&rows, &dev).unwrap(), s);
        // padding does not change a row's score
        let alone = rm.score_rows(&rows[1..], &dev).unwrap();
        assert!((alone[0] - s[1]).abs() < 1e-5);
        let other_vocab = TokenizerId::hf(b"{}", 300);
        let e = RewardModel::load(dir, &other_vocab, &dev).err().unwrap();
        assert!(format!("{e:#}")
            .contains("tokenizer mismatch: vocabulary of 256 ids vs the policy's 300"));
        let same_size = TokenizerId::hf(b"{\"model\": 1}", 256);
        let e = RewardModel::load(dir, &same_size, &dev).err().unwrap();
        assert!(
            format!("{e:#}").contains("tokenizer mismatch: byte tokenizer"),
            "{e:#}"
        );
    }

    #[test]
    fn bradley_terry_is_softplus_of_the_negated_margin() {
        let dev = Device::Cpu;
        let c = Tensor::new(&[2.0f32, 0.0, -1.0], &dev).unwrap();
        let r = Tensor::new(&[0.0f32, 0.0, 1.0], &dev).unwrap();
        let (l, acc) = bradley_terry(&c, &r).unwrap();
        let want = [2.0f64, 0.0, -2.0]
            .iter()
            .map(|d| (1.0 + (-d).exp()).ln())
            .sum::<f64>()
            / 3.0;
        assert!((l.to_scalar::<f32>().unwrap() as f64 - want).abs() < 1e-6);
        assert!((acc - 0.5).abs() < 1e-12);
    }
}
