//! `optlab lp solve|generate|net-train`, `optlab bench lp` and `optlab reproduce pdhg-net`:
//! arguments, output formatting and files, over the optlab-lp library.

mod args;
mod bench;
mod choices;
mod generate_cmd;
mod net_train;
mod reproduce;
mod solve_cmd;
#[cfg(test)]
mod status_tests;
#[cfg(test)]
mod tests;

pub use args::LpArgs;
pub use bench::{run_bench, BenchLpArgs};
pub use reproduce::reproduce_pdhg_net;

use args::LpCommand;

/// Runs `optlab lp ...`.
pub fn run(args: LpArgs) -> anyhow::Result<()> {
    match args.command {
        LpCommand::Solve(a) => solve_cmd::run_solve(a),
        LpCommand::Generate(a) => generate_cmd::run_generate(a),
        LpCommand::NetTrain(a) => net_train::run_net_train(a),
    }
}
