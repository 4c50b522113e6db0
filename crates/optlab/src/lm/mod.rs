//! The language-model commands on optlab-core: `train`, `eval`, `generate` and `report`.

pub mod common;
pub mod eval;
pub mod generate;
pub mod report;
pub mod train;
