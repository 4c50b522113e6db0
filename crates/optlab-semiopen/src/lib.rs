//! SCARA semi-open models (issue 7): keep the bottom `k` decoder layers of a checkpoint
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
//! * [`data`]: task samples, a downstream task, held-out quality, model loading;
//! * [`sweep`] and [`experiment`]: attack sweeps over `k` and seeds, and the reproduce study.

pub mod attack;
pub mod cli;
pub mod combined;
pub mod customise;
pub mod data;
pub mod experiment;
pub mod finetune;
pub mod metric;
pub mod serve;
pub mod split;
pub mod sweep;

#[cfg(test)]
mod tests;
