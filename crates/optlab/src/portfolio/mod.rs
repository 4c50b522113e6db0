//! `optlab portfolio`: `bl` (posterior and weights on the latest window), `backtest`
//! (baselines on a chosen period with costs; JSON and an SVG of equity and drawdowns) and
//! `train` (the BDA agent against the baselines), on the optlab-portfolio library.

mod backtest;
mod bl;
mod input;
mod table;
mod train;

/// `optlab portfolio ...` arguments.
#[derive(Debug, clap::Args)]
pub struct PortfolioArgs {
    /// What to run.
    #[command(subcommand)]
    pub command: PortfolioCommand,
}

/// Portfolio subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PortfolioCommand {
    /// Black-Litterman posterior and weights on the most recent window.
    #[command(
        after_help = "Example:\n  optlab portfolio bl --view S00=0.10 --view S03=-0.05 --confidence 0.5"
    )]
    Bl(bl::BlArgs),
    /// Backtest baselines with costs on the train, validation or test period.
    #[command(
        after_help = "Example:\n  optlab portfolio backtest --prices dow29.csv --strategy all --cost-bps 10 --out runs/dow --json"
    )]
    Backtest(backtest::BacktestArgs),
    /// Train the BDA agent (Transformer views, CNN risk aversion; validation selects the step) over
    /// several seeds and test it against the baselines.
    #[command(
        after_help = "Example:\n  optlab portfolio train --prices dow29.csv --seeds 3 --steps 600 --cost-bps 10 --out runs/agent\n  optlab portfolio train --prices dow29.csv --dates 2018-01-01,2020-06-30,2020-12-31,2021-06-22"
    )]
    Train(train::TrainArgs),
}

/// Runs one `optlab portfolio` command.
pub fn run(args: PortfolioArgs) -> anyhow::Result<()> {
    match args.command {
        PortfolioCommand::Bl(a) => bl::run_bl(a),
        PortfolioCommand::Backtest(a) => backtest::run_bt(a),
        PortfolioCommand::Train(a) => {
            let t = input::load(&a.prices)?;
            train::run_train(a, t)
        }
    }
}

#[cfg(test)]
mod tests;
