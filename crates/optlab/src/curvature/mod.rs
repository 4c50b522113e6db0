//! `optlab curvature` (Hessian spectra, block heterogeneity, the gap and smoothness
//! experiments) and `optlab bench hvp`.

mod gap;
mod model_arg;
mod smooth;
mod spectrum;
#[cfg(test)]
mod tests;

use model_arg::ModelArg;

pub use gap::reproduce as reproduce_gap;
pub use smooth::reproduce as reproduce_smooth;

/// Hessian spectra, per-block densities and the block-heterogeneity score.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab curvature blocks --model cnn\n  optlab curvature spectrum --model mlp --out runs/curv\n  optlab curvature heterogeneity --model transformer --probes 2 --steps 20"
)]
pub struct CurvatureArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// List the model's named blocks (parameter tensors) and their sizes.
    #[command(after_help = "Example:\n  optlab curvature blocks --model transformer")]
    Blocks(spectrum::ModelOpts),
    /// Per-block SLQ spectral densities: JSON and one SVG of the densities.
    #[command(
        after_help = "Example:\n  optlab curvature spectrum --model mlp --out runs/curv\n  optlab curvature spectrum --model transformer --block model.layers.0.self_attn.q_proj.weight --whole --steps 30"
    )]
    Spectrum(spectrum::SpectrumOpts),
    /// Block-heterogeneity score and the pairwise JS-divergence matrix of block densities.
    #[command(
        after_help = "Example:\n  optlab curvature heterogeneity --model cnn\n  optlab curvature heterogeneity --model transformer --probes 2 --steps 20 --json"
    )]
    Heterogeneity(spectrum::SpectrumOpts),
    /// Adam vs SGD-momentum on (L0,L1)-smooth problems: learning-rate sweeps, SVG of ‖∇f‖.
    #[command(after_help = "Example:\n  optlab curvature smooth --quick --out runs/l0l1")]
    Smooth(smooth::SmoothOpts),
    /// Heterogeneity score vs the SGD-momentum/Adam final-loss gap on MLP, CNN, transformer.
    #[command(after_help = "Example:\n  optlab curvature gap --quick --out runs/gap")]
    Gap(gap::GapOpts),
}

/// Run `optlab curvature`.
pub fn run(args: CurvatureArgs) -> anyhow::Result<()> {
    match args.what {
        What::Blocks(m) => spectrum::blocks(&m),
        What::Spectrum(o) => spectrum::spectrum(&o),
        What::Heterogeneity(o) => spectrum::heterogeneity(&o),
        What::Smooth(o) => smooth::run(&o),
        What::Gap(o) => gap::run(&o),
    }
}

/// Cost of one finite-difference Hessian-vector product in gradient evaluations (f64).
#[derive(Debug, clap::Args)]
pub struct BenchHvpArgs {
    /// Model: mlp, cnn or transformer (the tiny Llama).
    #[arg(long, value_enum, default_value = "transformer")]
    model: ModelArg,
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

/// Run `optlab bench hvp`: print the HVP/gradient cost ratio as JSON.
pub fn run_bench(a: BenchHvpArgs) -> anyhow::Result<()> {
    let _ = a.json;
    let b = optlab_curvature::bench::bench_hvp(a.model.into(), a.batch, a.reps, a.seed)?;
    println!("{}", serde_json::to_string_pretty(&b)?);
    Ok(())
}
