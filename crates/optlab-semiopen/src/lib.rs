//! optlab-semiopen: SCARA semi-open models. Keep the bottom `k` decoder layers of a checkpoint
//! closed and publish the rest, choose `k` with the fine-tuning-free recovery-difficulty
//! metric, and measure how well the result resists recovery attacks and how well the public
//! part can still be customised.
//!
//! * [`split`]: closed/public safetensors files and a checked manifest;
//! * [`combined`]: the closed part behind the narrow [`combined::ClosedPart`] interface,
//!   the public part, and the recombined model (bit-identical logits); [`serve`]: the
//!   closed part as a local HTTP service and its client;
//! * [`metric`]: RD(k) and the choice of `k` (forward passes only);
//! * [`attack`] and [`customise`]: fine-tuning simulations on task samples ([`finetune`]);
//! * [`data`]: task samples, a downstream task, held-out quality;
//! * [`sweep`] and [`experiment`]: attack sweeps over `k` and seeds, and the reproduce study;
//! * [`error`]: [`SemiopenError`] and [`Result`].
//!
//! SCARA's metric never trains, and this crate enforces it by its dependencies: it does not
//! depend on optlab-optim (only its tests do), and optlab-core has no optimizer, so nothing
//! here can step parameters by itself. The fine-tuning simulations take an
//! [`finetune::OptimizerFactory`] from the caller; the metric takes none.
//!
//! Nothing here prints: long runs log through [`optlab_core::report::Reporter`] and return
//! result structs, which the `optlab semiopen` command formats.
//!
//! ```no_run
//! use candle_core::{DType, Device};
//! use optlab_core::models::{Llama, LlamaConfig};
//! use optlab_core::tokenizer::ByteTokenizer;
//! use optlab_semiopen::data::{blocks, encode_lines, task_lines};
//! use optlab_semiopen::metric::{plan, DEFAULT_TAU};
//! use optlab_semiopen::split::write_split;
//!
//! # fn main() -> optlab_semiopen::Result<()> {
//! let dev = Device::Cpu;
//! let model = Llama::new(&LlamaConfig::preset("tiny", 256)?, DType::F32, &dev, 0)?;
//! let tokens = encode_lines(&task_lines(99, 200), &ByteTokenizer)?;
//! let heldout = blocks(&tokens, 8, 64, 4, &dev)?;
//! let p = plan(&model, &heldout, &[0, 1, 2], DEFAULT_TAU)?;
//! if let Some(k) = p.chosen_k {
//!     write_split(&model, k, None, "runs/split".as_ref())?;
//! }
//! # Ok(())
//! # }
//! ```

pub mod attack;
pub mod combined;
pub mod customise;
pub mod data;
pub mod error;
pub mod experiment;
pub mod finetune;
pub mod metric;
pub mod serve;
pub mod split;
pub mod sweep;

#[cfg(test)]
mod tests;

pub use error::{Result, SemiopenError};
