//! Stand-alone front end for `optlab optim ...` (the optlab binary wires the same module):
//! `cargo run --release -p optlab-optim --example optim -- bench --json`.

use clap::Parser;

/// `optim` subcommands.
#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: optlab_optim::cli::OptimArgs,
}

fn main() -> anyhow::Result<()> {
    optlab_optim::cli::run(Cli::parse().args)
}
