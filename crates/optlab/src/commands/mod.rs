//! One module per subcommand.

pub mod bench;
pub mod common;
pub mod eval;
pub mod generate;
pub mod report;
pub mod reproduce;
pub mod train;
