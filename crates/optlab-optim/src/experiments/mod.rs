//! The optimizer experiments of `optlab reproduce`: (a) pre-training with AdamW, Adam-mini
//! and Adam, each at its best learning rate of a sweep; (b) forgetting when a pre-trained
//! model is fine-tuned on a different corpus with AdamW, Adam-mini and MoFO.

mod forgetting;
mod pretrain;
mod run;

pub use forgetting::{corpus_b, forgetting, ForgettingOptions, ForgettingReport, ForgettingRow};
pub use pretrain::{pretrain_comparison, PretrainOptions, PretrainReport};
pub use run::{train_run, RunOptions, RunResult};

#[cfg(test)]
mod tests;
