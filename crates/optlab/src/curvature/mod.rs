//! `optlab curvature` and `optlab bench hvp` (being moved here from optlab-curvature).

pub use optlab_curvature::cli::{run, CurvatureArgs};
pub use optlab_curvature::gap::reproduce as reproduce_gap;
pub use optlab_curvature::smooth_report::reproduce as reproduce_smooth;

/// Cost of one finite-difference Hessian-vector product in gradient evaluations (f64).
#[derive(Debug, clap::Args)]
pub struct BenchHvpArgs {
    /// Model: mlp, cnn or transformer (the tiny Llama).
    #[arg(long, value_enum, default_value = "transformer")]
    model: optlab_curvature::objective::ModelKind,
    /// Batch size (sequences of 32 tokens for the transformer).
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Timed repetitions (medians are reported).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Seed of weights, data and direction.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// JSON output (the output is always JSON; kept for symmetry).
    #[arg(long)]
    json: bool,
}

/// Run `optlab bench hvp`.
pub fn run_bench(a: BenchHvpArgs) -> anyhow::Result<()> {
    let _ = a.json;
    optlab_curvature::cli::bench(a.model, a.batch, a.reps, a.seed)
}
