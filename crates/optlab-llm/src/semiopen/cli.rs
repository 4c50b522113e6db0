//! `optlab semiopen` command line.

/// SCARA semi-open models and recovery attacks (issue 7).
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  optlab semiopen --help")]
pub struct SemiopenArgs {}

/// Run `optlab semiopen`.
pub fn run(_args: SemiopenArgs) -> anyhow::Result<()> {
    anyhow::bail!("`optlab semiopen` is being built; no subcommand exists yet")
}
