//! Supervised fine-tuning of causal LMs with cross-entropy or GEM (issue 5).
//!
//! * [`loss`]: CE (masking, label smoothing, stable log-softmax) and GEM over logits;
//!
//! Other post-training modules ([`crate::rlhf`], [`crate::semiopen`]) reuse these pieces.

pub mod cli;
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
