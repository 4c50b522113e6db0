//! `optlab robust ...`: flags, running the optlab-robust library and printing its results.

use candle_core::Device;

mod args;
mod commands;
mod data;
mod report;

pub use args::RobustArgs;
use args::RobustCommand;

/// Runs `optlab robust ...`.
pub fn run(args: RobustArgs) -> anyhow::Result<()> {
    let dev = Device::Cpu;
    match args.command {
        RobustCommand::Train(a) => commands::run_train(a, &dev),
        RobustCommand::Attack(a) => commands::run_attack(a, &dev),
        RobustCommand::Bound(a) => commands::run_bound(a, &dev),
        RobustCommand::Sweep(a) => commands::run_sweep(a, &dev),
        RobustCommand::Bench(a) => commands::run_bench(a, &dev),
    }
}

#[cfg(test)]
mod tests;
