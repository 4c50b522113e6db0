//! `optlab curvature`: Hessian spectra and block heterogeneity from the command line.

/// Hessian spectra, per-block densities and the block-heterogeneity score.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  optlab curvature --help")]
pub struct CurvatureArgs {}

/// Run `optlab curvature`.
pub fn run(_args: CurvatureArgs) -> anyhow::Result<()> {
    anyhow::bail!("`optlab curvature` is being built (issue 4); no subcommand exists yet")
}
