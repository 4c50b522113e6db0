//! Arguments of `optlab lp`, and the command-line choices mapped onto library enums.

use super::choices::{AlgorithmArg, FamilyArg, NormArg};
use super::net_train::NetTrainArgs;
use std::path::PathBuf;

/// Arguments of `optlab lp`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  optlab lp solve afiro.mps.gz --tol 1e-8\n  \
                        optlab lp generate pagerank --nodes 10000 --out pr.mps.gz"
)]
pub struct LpArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LpCommand,
}

/// Subcommands of `optlab lp`.
#[derive(clap::Subcommand, Debug)]
pub enum LpCommand {
    /// Solve an LP from an MPS file (fixed or free format, optionally gzip-compressed).
    #[command(
        after_help = SOLVE_AFTER_HELP
    )]
    Solve(SolveArgs),
    /// Generate an instance family and write it as MPS.
    #[command(
        after_help = "Examples:\n  optlab lp generate covering --rows 1000 --cols 2000 --density 0.01 --out cov.mps\n  \
                            optlab lp generate pagerank --nodes 100000 --seed 3 --out pr.mps.gz"
    )]
    Generate(GenerateArgs),
    /// Train a PDHG-Net warm-start model on a generated instance family.
    NetTrain(NetTrainArgs),
}

/// Arguments of `optlab lp solve`.
#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// MPS file (.mps or .mps.gz).
    pub file: PathBuf,
    /// Relative KKT tolerance.
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// How residuals are measured against --tol: l2 (PDLP's default, relative to ‖b‖₂ and
    /// ‖c‖₂) or componentwise (each row and column relative to its own bound or cost).
    #[arg(long, value_enum, default_value_t = NormArg::Componentwise)]
    pub norm: NormArg,
    /// Wall-clock limit in seconds.
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Iteration limit.
    #[arg(long)]
    pub iteration_limit: Option<usize>,
    /// Worker threads for the sparse products (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the full solution (x, y, reduced costs, KKT errors) as JSON to this file.
    #[arg(long)]
    pub write_solution: Option<PathBuf>,
    /// First-order method: averaged (PDLP) or halpern (cuPDLPx r²HPDHG).
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Averaged)]
    pub algorithm: AlgorithmArg,
    /// Scale objective and bounds to unit norm after Ruiz/Pock–Chambolle.
    #[arg(long)]
    pub bc_scaling: bool,
    /// Run presolve-lite (fixed/empty columns, free column singletons, empty/free/singleton
    /// rows) before PDHG.
    #[arg(long)]
    pub presolve: bool,
    /// Start from a primal-dual pair: a JSON file with arrays "x" and "y" (e.g. a file
    /// written by --write-solution), or `pdhg-net:DIR` to predict one with a PDHG-Net
    /// model folder (see `optlab lp net-train`).
    #[arg(long)]
    pub warm_start: Option<PathBuf>,
}

/// Arguments of `optlab lp generate`.
#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Instance family.
    #[arg(value_enum)]
    pub family: FamilyArg,
    /// Rows (covering/packing).
    #[arg(long, default_value_t = 100)]
    pub rows: usize,
    /// Columns (covering/packing).
    #[arg(long, default_value_t = 200)]
    pub cols: usize,
    /// Fraction of nonzero matrix entries (covering/packing).
    #[arg(long, default_value_t = 0.05)]
    pub density: f64,
    /// Graph nodes (pagerank).
    #[arg(long, default_value_t = 1000)]
    pub nodes: usize,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output MPS file (.gz compresses).
    #[arg(long)]
    pub out: PathBuf,
    /// Print a JSON summary (planted objective, sizes).
    #[arg(long)]
    pub json: bool,
}

/// The `--help` epilogue of `optlab lp solve`: an example and the exit codes.
pub const SOLVE_AFTER_HELP: &str = "Example:\n  optlab lp solve afiro.mps.gz --tol 1e-8 \
    --time-limit 60 --json --write-solution afiro.sol.json\n\nExit status:\n  0  optimal\n  1  error (bad input or options)\n  \
    2  primal infeasible\n  3  dual infeasible (unbounded)\n  \
    4  iteration or time limit reached\n  5  numerical error\n\
    A non-optimal result prints no objective (`objective: null` with --json).";
