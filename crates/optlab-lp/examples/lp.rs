//! Stand-alone front end for manual runs until the optlab binary wires in `optlab-lp`.
//!
//! Example: `cargo run --release -p optlab-lp --example lp -- lp solve afiro.mps.gz --tol 1e-8`
//! or `cargo run --release -p optlab-lp --example lp -- bench --dir ../shared/data/netlib`.

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    after_help = "Example:\n  lp lp solve afiro.mps.gz --tol 1e-8\n  lp bench --dir netlib --tol 1e-4"
)]
enum Cmd {
    /// Solve or generate LPs.
    Lp(optlab_lp::cli::LpArgs),
    /// Benchmark every MPS file in a directory.
    #[command(after_help = "Example:\n  lp bench --dir netlib --tol 1e-4 --json")]
    Bench {
        /// Directory with .mps/.mps.gz files.
        #[arg(long)]
        dir: PathBuf,
        /// Relative KKT tolerance.
        #[arg(long, default_value_t = 1e-4)]
        tol: f64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    match Cmd::parse() {
        Cmd::Lp(args) => optlab_lp::cli::run(args),
        Cmd::Bench { dir, tol, json } => optlab_lp::cli::bench(&dir, tol, json),
    }
}
