//! Stand-alone runner for the portfolio CLI module (the `optlab` binary wires in the same args):
//! `cargo run --release -p optlab-portfolio --example portfolio -- backtest --help`.

use clap::Parser;
use optlab_portfolio::cli::{run, PortfolioArgs};

/// Portfolio commands.
#[derive(Debug, Parser)]
#[command(name = "portfolio")]
struct Cli {
    #[command(flatten)]
    args: PortfolioArgs,
}

fn main() -> anyhow::Result<()> {
    run(Cli::parse().args)
}
