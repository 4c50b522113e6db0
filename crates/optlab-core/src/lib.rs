//! optlab-core: the foundation every optlab capability stands on.
//!
//! * [`params`]: named, role-tagged trainable tensors with strict safetensors I/O;
//! * [`ops`]: differentiable fused ops (softmax, RMS-norm, rope, SwiGLU) with hand-written
//!   backward passes, because candle's fused versions drop gradients;
//! * [`models`]: a Llama-style decoder, an MLP and a small CNN with Hugging Face names;
//! * [`tokenizer`] and [`data`]: byte-level and `tokenizer.json` tokenizers, an embedded
//!   generated corpus, fixed-length token blocks with a train/validation split;
//! * [`train`]: the resumable training loop with schedules, clipping, checkpoints and metrics;
//!   it takes any [`train::TrainOptimizer`] (the optimizers live in `optlab-optim`);
//! * [`report`]: the [`report::Reporter`] trait through which long-running code reports
//!   progress instead of printing;
//! * [`manifest`] (weights files with sizes and SHA-256), [`process`] (CPU time and memory of
//!   this process), [`stats`] (median, quantiles, shifted geometric mean), [`rng`] (the one
//!   seedable generator) and [`svg`] (plots for reports).

pub mod checkpoint_io;
pub mod damage;
pub mod data;
pub mod error;
pub mod error_context;
pub mod generate;
pub mod gradcheck;
pub mod manifest;
pub mod models;
pub mod ops;
pub mod params;
pub mod process;
pub mod report;
pub mod rng;
pub mod stats;
pub mod svg;
pub mod tokenizer;
pub mod train;

pub use error::{CoreError, Result};
