//! Supervised fine-tuning of causal LMs with cross-entropy or GEM (issue 5).
//!
//! * [`loss`]: CE (`-100` masking, label smoothing, stable log-softmax) and GEM over logits,
//!   as the reference trainer computes it (beta, linear or logsigmoid weights);
//! * [`data`]: JSON-lines / JSON / gzip SFT files in four record shapes, malformed records
//!   reported with file and line and skipped or rejected ([`data::OnBadLine`]);
//! * [`template`]: ChatML (SmolLM2-Instruct's template) with a loss mask on assistant tokens
//!   only, and [`ChatBytes`], a byte tokenizer with single-token ChatML markers;
//! * [`pack`]: padded batches, or packed rows with a block-diagonal causal mask;
//! * [`gen`]: the embedded generated dataset (checkable arithmetic, open-ended instructions);
//! * [`trainer`]: the SFT loop and held-out perplexity; [`pipeline`]: one fine-tune / one
//!   evaluation as the CLI runs them;
//! * [`metrics`] and [`evaluate`]: distinct-n, n-gram entropy, self-BLEU, answer checking and
//!   unbiased pass@k over responses sampled with optlab-core's KV-cached `sample_n`;
//! * [`model_io`]: GGUF / Hugging Face / run-folder models, embedded pre-training;
//! * [`experiment`]: `optlab reproduce sft-gem`; [`cli`] and [`cli_eval`]: `optlab sft`
//!   and `optlab sft-eval`.
//!
//! Other post-training modules ([`crate::rlhf`], [`crate::semiopen`]) reuse these pieces.

pub mod cli;
pub mod cli_eval;
pub mod data;
pub mod evaluate;
pub mod experiment;
pub mod gen;
pub mod loss;
pub mod metrics;
pub mod model_io;
pub mod pack;
pub mod pipeline;
pub mod template;
pub mod trainer;

pub use loss::{sft_loss, GemWeight, LossOutput, SftLoss, IGNORE_INDEX};
pub use template::{encode_chat, encode_prompt, ChatBytes, Encoded, Message, SftExample};
pub use trainer::{perplexity, train_sft, Perplexity, SftConfig, SftSummary};
