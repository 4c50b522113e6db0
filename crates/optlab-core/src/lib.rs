//! optlab-core: the foundation every optlab capability stands on.
//!
//! * [`params`]: named, role-tagged trainable tensors with strict safetensors I/O;
//! * [`ops`]: differentiable fused ops (softmax, RMS-norm, rope, SwiGLU) with hand-written
//!   backward passes, because candle's fused versions drop gradients;
//! * [`models`]: a Llama-style decoder, an MLP and a small CNN with Hugging Face names;
//! * [`tokenizer`] and [`data`]: byte-level and `tokenizer.json` tokenizers, an embedded
//!   generated corpus, fixed-length token blocks with a train/validation split;
//! * [`train`]: the resumable training loop with schedules, clipping, checkpoints and metrics.

pub mod checkpoint_io;
pub mod data;
pub mod error;
pub mod generate;
pub mod gradcheck;
pub mod models;
pub mod ops;
pub mod params;
pub mod progress;
pub mod rng;
pub mod svg;
pub mod tokenizer;
pub mod train;

pub use error::{CoreError, Result};
