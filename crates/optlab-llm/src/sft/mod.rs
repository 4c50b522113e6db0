//! Supervised fine-tuning of causal LMs with cross-entropy or GEM (issue 5).
//!
//! * [`loss`]: CE (masking, label smoothing, stable log-softmax) and GEM over logits;
//!
//! Other post-training modules ([`crate::rlhf`], [`crate::semiopen`]) reuse these pieces.

pub mod cli;
pub mod data;
pub mod loss;
pub mod pack;
pub mod template;

pub use loss::{sft_loss, GemWeight, LossOutput, SftLoss, IGNORE_INDEX};
