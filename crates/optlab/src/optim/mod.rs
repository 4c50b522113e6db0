//! `optlab optim` and `optlab bench optim` (being moved here from optlab-optim).

pub use optlab_optim::cli::{run, OptimArgs};
pub use optlab_optim::cli_experiments::{reproduce_forgetting, reproduce_pretrain};

/// Optimizer step time and state bytes: AdamW vs Adam-mini vs MoFO (and baselines).
#[derive(Debug, clap::Args)]
pub struct BenchOptimArgs {
    /// Model presets to measure.
    #[arg(long, default_values_t = ["tiny".to_string(), "small".to_string()])]
    models: Vec<String>,
    /// Timed steps per optimizer.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Run `optlab bench optim`.
pub fn run_bench(a: BenchOptimArgs) -> anyhow::Result<()> {
    optlab_optim::bench::bench(&a.models, a.steps.max(1), a.json)?;
    Ok(())
}
