//! Placeholder replaced below.
/// Options.
#[derive(Debug, Clone, clap::Args)]
pub struct GapOpts {}
/// Run.
pub fn run(_o: &GapOpts) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
