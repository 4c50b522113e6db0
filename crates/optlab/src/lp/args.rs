//! Arguments of `optlab lp`, and the command-line choices mapped onto library enums.

use super::net_train::NetTrainArgs;
use optlab_lp::{Algorithm, Family, OptimalityNorm};
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
        after_help = "Example:\n  optlab lp solve afiro.mps.gz --tol 1e-8 --time-limit 60 --json \
                            --write-solution afiro.sol.json"
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

/// First-order method choices on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgorithmArg {
    /// Restarted averaged PDHG with adaptive steps (PDLP).
    Averaged,
    /// Restarted reflected Halpern PDHG (cuPDLPx).
    Halpern,
}

impl From<AlgorithmArg> for Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Averaged => Algorithm::AveragedPdhg,
            AlgorithmArg::Halpern => Algorithm::ReflectedHalpern,
        }
    }
}

/// Generated instance families on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyArg {
    /// `min cᵀx, Ax ≥ b, x ≥ 0` with a planted optimum.
    Covering,
    /// `max cᵀx, Ax ≤ b, x ≥ 0` with a planted optimum.
    Packing,
    /// PageRank LP on a Barabási–Albert graph (α = 0.85, 3 edges per node).
    Pagerank,
}

impl From<FamilyArg> for Family {
    fn from(f: FamilyArg) -> Self {
        match f {
            FamilyArg::Covering => Family::Covering,
            FamilyArg::Packing => Family::Packing,
            FamilyArg::Pagerank => Family::Pagerank,
        }
    }
}

/// How residuals are measured against the tolerance, on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormArg {
    /// `‖r‖₂ / (1 + ‖b‖₂)` (PDLP's default): one huge finite bound in `b` loosens every row,
    /// so objectives can miss a simplex solver's by far more than the tolerance.
    L2,
    /// Each residual component relative to its own bound or cost (PDLP's
    /// `L_INF_COMPONENTWISE`): a tolerance that means the same in every row (the default).
    Componentwise,
}

impl From<NormArg> for OptimalityNorm {
    fn from(n: NormArg) -> Self {
        match n {
            NormArg::L2 => OptimalityNorm::L2,
            NormArg::Componentwise => OptimalityNorm::Componentwise,
        }
    }
}
