//! `optlab sft` and `optlab sft-eval` (being moved here from optlab-llm).

pub use optlab_llm::sft::cli::{run, run_eval, SftArgs, SftEvalArgs};
pub use optlab_llm::sft::experiment::reproduce;
