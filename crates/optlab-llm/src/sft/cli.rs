//! `optlab sft` command line.

/// Supervised fine-tuning with cross-entropy or GEM (issue 5).
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  optlab sft --help")]
pub struct SftArgs {}

/// Run `optlab sft`.
pub fn run(_args: SftArgs) -> anyhow::Result<()> {
    anyhow::bail!("`optlab sft` is being built; no subcommand exists yet")
}
