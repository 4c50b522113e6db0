//! `optlab semiopen` (being moved here from optlab-llm).

pub use optlab_llm::semiopen::cli::{run, SemiopenArgs};
pub use optlab_llm::semiopen::experiment::reproduce;
