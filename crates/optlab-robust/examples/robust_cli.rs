//! Stand-alone runner for the `optlab robust` front end (the optlab binary wires the same
//! module): `cargo run --release -p optlab-robust --example robust_cli -- train --adv`.

use clap::Parser;

/// `optlab robust` without the rest of the optlab binary.
#[derive(Parser, Debug)]
#[command(name = "optlab robust")]
struct Cli {
    #[command(flatten)]
    args: optlab_robust::cli::RobustArgs,
}

fn main() -> anyhow::Result<()> {
    optlab_robust::cli::run(Cli::parse().args)
}
