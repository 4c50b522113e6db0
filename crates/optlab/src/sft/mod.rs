//! `optlab sft` and `optlab sft-eval` (library: optlab-sft), and `optlab reproduce sft-gem`.
//!
//! * `inputs`: base-model and data flags both commands share;
//! * `train_cmd`: `optlab sft`; `eval_cmd`: `optlab sft-eval`;
//! * `reproduce`: the registered CE-versus-GEM study; `report`: its markdown.

mod eval_cmd;
mod inputs;
mod report;
mod reproduce;
mod train_cmd;

pub use eval_cmd::{run_eval, SftEvalArgs};
pub use reproduce::reproduce;
pub use train_cmd::{run, SftArgs};
