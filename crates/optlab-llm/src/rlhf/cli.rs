//! `optlab rlhf` command line.

/// Reward models, ReMax, PPO, RLOO and GRPO (issue 6).
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  optlab rlhf --help")]
pub struct RlhfArgs {}

/// Run `optlab rlhf`.
pub fn run(_args: RlhfArgs) -> anyhow::Result<()> {
    anyhow::bail!("`optlab rlhf` is being built; no subcommand exists yet")
}
