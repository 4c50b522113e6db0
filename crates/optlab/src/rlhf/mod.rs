//! `optlab rlhf` and `optlab rm` (being moved here from optlab-llm).

pub use optlab_llm::rlhf::cli::{run, run_rm, RlhfArgs, RmArgs};
