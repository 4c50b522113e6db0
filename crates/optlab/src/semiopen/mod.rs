//! `optlab semiopen` (library: optlab-semiopen) and `optlab reproduce semiopen`.
//!
//! * `args`: the subcommands and their flags;
//! * `commands`: plan, split, verify, serve, attack and customize;
//! * `output`: text or JSON on standard output;
//! * `study`: the experiment (with optlab-optim's AdamW, which the library cannot build
//!   itself) and its files;
//! * `tables`: every table and report as text.

mod args;
mod commands;
mod output;
mod study;
mod tables;

pub use args::SemiopenArgs;
pub use commands::run;
pub use study::reproduce;
