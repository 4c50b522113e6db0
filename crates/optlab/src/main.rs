//! `optlab`: every optlab capability as a subcommand.

mod bench;
mod curvature;
mod lm;
mod lp;
mod optim;
mod portfolio;
mod progress;
mod reproduce;
mod rlhf;
mod robust;
mod semiopen;
mod sft;

use clap::{Parser, Subcommand};

/// Optimization-for-learning toolkit: optimizers, curvature, fine-tuning, LP, portfolios.
#[derive(Debug, Parser)]
#[command(
    name = "optlab",
    version,
    about,
    after_help = "Example:\n  optlab reproduce --quick\n  optlab train --steps 300\n  optlab lp solve model.mps --tol 1e-8"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a Llama-style decoder (resumable).
    Train(lm::train::TrainArgs),
    /// Held-out loss and perplexity.
    Eval(lm::eval::EvalArgs),
    /// Generate text from a prompt.
    Generate(lm::generate::GenerateArgs),
    /// Summary table and SVG loss curves of a run folder.
    Report(lm::report::ReportArgs),
    /// Run the registered miniature experiments.
    Reproduce(reproduce::ReproduceArgs),
    /// Benchmarks printing JSON.
    Bench(bench::BenchArgs),
    /// Linear programming: MPS files, restarted PDHG, instance generators.
    Lp(lp::LpArgs),
    /// Optimizers: Adam-mini partition tables and optimizer benchmarks.
    Optim(optim::OptimArgs),
    /// Adversarial robustness: attacks, adversarial training, generalization bounds.
    Robust(robust::RobustArgs),
    /// Portfolios: Black-Litterman, DRL views, backtests with costs.
    Portfolio(portfolio::PortfolioArgs),
    /// Curvature: Hessian-vector products, spectra, block heterogeneity.
    Curvature(curvature::CurvatureArgs),
    /// Supervised fine-tuning with cross-entropy or GEM.
    Sft(sft::SftArgs),
    /// Held-out perplexity, diversity and pass@n of a fine-tuned model.
    SftEval(sft::SftEvalArgs),
    /// Reinforcement learning from rewards: ReMax, PPO, RLOO, GRPO.
    Rlhf(rlhf::RlhfArgs),
    /// Reward models: Bradley-Terry training with held-out pair accuracy.
    Rm(rlhf::RmArgs),
    /// Semi-open models: SCARA closed-layer selection and recovery attacks.
    Semiopen(semiopen::SemiopenArgs),
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(a) => lm::train::run(a),
        Command::Eval(a) => lm::eval::run(a),
        Command::Generate(a) => lm::generate::run(a),
        Command::Report(a) => lm::report::run(a),
        Command::Reproduce(a) => reproduce::run(a, &|line| {
            let argv = std::iter::once("optlab".to_string()).chain(line);
            dispatch(Cli::try_parse_from(argv)?)
        }),
        Command::Bench(a) => bench::run(a),
        Command::Lp(a) => lp::run(a),
        Command::Optim(a) => optim::run(a),
        Command::Robust(a) => robust::run(a),
        Command::Portfolio(a) => portfolio::run(a),
        Command::Curvature(a) => curvature::run(a),
        Command::Sft(a) => sft::run(a),
        Command::SftEval(a) => sft::run_eval(a),
        Command::Rlhf(a) => rlhf::run(a),
        Command::Rm(a) => rlhf::run_rm(a),
        Command::Semiopen(a) => semiopen::run(a),
    }
}

/// A closed stdout (`optlab … | head`) ends the process quietly with success, as in other
/// command-line tools, instead of a "failed printing to stdout" panic: the signal that the
/// write raises exits at once with status 0.
#[cfg(unix)]
fn exit_quietly_on_closed_pipe() {
    extern "C" fn on_sigpipe(_: libc::c_int) {
        // SAFETY: `_exit` is async-signal-safe; nothing is left to flush for a reader that left.
        unsafe { libc::_exit(0) }
    }
    let handler: extern "C" fn(libc::c_int) = on_sigpipe;
    // SAFETY: installed first thing in `main`, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, handler as libc::sighandler_t);
    }
}

#[cfg(not(unix))]
fn exit_quietly_on_closed_pipe() {}

fn main() {
    exit_quietly_on_closed_pipe();
    if let Err(e) = dispatch(Cli::parse()) {
        let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("error: {}", chain.join(": "));
        std::process::exit(1);
    }
}
