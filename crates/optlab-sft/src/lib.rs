//! optlab-sft: supervised fine-tuning of causal LMs with cross-entropy or GEM.
//!
//! * [`loss`]: CE (`-100` masking, label smoothing, stable log-softmax) and GEM over logits,
//!   as the reference trainer computes it (beta, linear or logsigmoid weights);
//! * [`data`]: JSON-lines / JSON / gzip SFT files in four record shapes, malformed records
//!   reported with file and line and skipped or rejected ([`data::OnBadLine`]);
//! * [`template`]: ChatML (SmolLM2-Instruct's template) with a loss mask on assistant tokens
//!   only; [`ChatBytes`] is optlab-core's byte tokenizer with single-token ChatML markers;
//! * [`pack`]: padded batches, or packed rows with a block-diagonal causal mask;
//! * [`gen`]: the embedded generated dataset (checkable arithmetic, open-ended instructions);
//! * [`trainer`]: the SFT loop and held-out perplexity; [`pipeline`]: one fine-tune / one
//!   evaluation of an [`optlab_core::models::LoadedModel`];
//! * [`metrics`] and [`evaluate`]: distinct-n, n-gram entropy, self-BLEU, answer checking and
//!   unbiased pass@k over responses sampled with optlab-core's KV-cached `sample_n`;
//! * [`pretrain`]: a small base model pre-trained on the embedded corpus;
//! * [`experiment`]: the CE-versus-GEM study behind `optlab reproduce sft-gem`;
//! * [`error`]: [`SftError`] and [`Result`].
//!
//! Nothing here prints: long runs report through [`optlab_core::report::Reporter`], and the
//! `optlab` command line formats the returned structs.
//!
//! ```no_run
//! use optlab_core::report::Silent;
//! use optlab_sft::gen::embedded_dataset;
//! use optlab_sft::pipeline::{encode_all, finetune, RunSpec};
//! use optlab_sft::pretrain::{pretrain_embedded, PretrainConfig};
//! use optlab_sft::SftLoss;
//!
//! # fn main() -> optlab_sft::Result<()> {
//! let dev = candle_core::Device::Cpu;
//! let pre = PretrainConfig { size: "tiny".into(), steps: 100, batch: 8, seq_len: 128, lr: 3e-3, seed: 0 };
//! let (base, _) = pretrain_embedded(&pre, "runs/pre".as_ref(), &dev, &Silent)?;
//! let (train, held) = embedded_dataset(0, 500, 50);
//! let (train, held) = (encode_all(&base, &train)?, encode_all(&base, &held)?);
//! let spec = RunSpec {
//!     loss: SftLoss::GEM, optimizer: "adamw".into(), lr: 1e-3, weight_decay: 0.0,
//!     beta2: 0.95, steps: 50, batch: 8, seq_len: 192, pack: true, warmup: 5, clip: 1.0,
//!     val_every: 0, seed: 0,
//! };
//! let (_tuned, summary) = finetune(&base, &train, &held, &spec, None, &dev, &Silent)?;
//! assert!(summary.val.is_some());
//! # Ok(())
//! # }
//! ```

pub mod data;
pub mod error;
pub mod evaluate;
pub mod experiment;
pub mod gen;
pub mod loss;
pub mod metrics;
pub mod pack;
pub mod pipeline;
pub mod pretrain;
pub mod template;
pub mod trainer;

pub use error::{Result, SftError};
pub use loss::{sft_loss, GemWeight, LossOutput, SftLoss, IGNORE_INDEX};
pub use template::{encode_chat, encode_prompt, ChatBytes, Encoded, Message, SftExample};
pub use trainer::{perplexity, train_sft, Perplexity, SftConfig, SftSummary};
