//! `optlab semiopen` (library: optlab-semiopen) and `optlab reproduce semiopen`.
//!
//! * `args`: the subcommands and their flags;
//! * `commands`: plan, split, verify, serve, attack and customize;
//! * `output`: text or JSON on standard output;
//! * `study`: the experiment (with optlab-optim's AdamW, which the library cannot build
//!   itself), its files and its text report.

mod args;
mod commands;
mod output;
mod study;

pub use args::SemiopenArgs;
pub use commands::run;
pub use study::reproduce;
