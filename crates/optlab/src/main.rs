//! `optlab`: every optlab capability as a subcommand.

mod commands;
mod progress;

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
    Train(commands::train::TrainArgs),
    /// Held-out loss and perplexity.
    Eval(commands::eval::EvalArgs),
    /// Generate text from a prompt.
    Generate(commands::generate::GenerateArgs),
    /// Summary table and SVG loss curves of a run folder.
    Report(commands::report::ReportArgs),
    /// Run the registered miniature experiments.
    Reproduce(commands::reproduce::ReproduceArgs),
    /// Benchmarks printing JSON.
    Bench(commands::bench::BenchArgs),
    /// Linear programming: MPS files, restarted PDHG, instance generators.
    Lp(optlab_lp::cli::LpArgs),
    /// Optimizers: Adam-mini partition tables and optimizer benchmarks.
    Optim(optlab_optim::cli::OptimArgs),
    /// Adversarial robustness: attacks, adversarial training, generalization bounds.
    Robust(optlab_robust::cli::RobustArgs),
    /// Portfolios: Black-Litterman, DRL views, backtests with costs.
    Portfolio(optlab_portfolio::cli::PortfolioArgs),
    /// Curvature: Hessian-vector products, spectra, block heterogeneity.
    Curvature(optlab_curvature::cli::CurvatureArgs),
    /// Supervised fine-tuning with cross-entropy or GEM.
    Sft(optlab_llm::sft::cli::SftArgs),
    /// Held-out perplexity, diversity and pass@n of a fine-tuned model.
    SftEval(optlab_llm::sft::cli::SftEvalArgs),
    /// Reinforcement learning from rewards: ReMax, PPO, RLOO, GRPO.
    Rlhf(optlab_llm::rlhf::cli::RlhfArgs),
    /// Reward models: Bradley-Terry training with held-out pair accuracy.
    Rm(optlab_llm::rlhf::cli::RmArgs),
    /// Semi-open models: SCARA closed-layer selection and recovery attacks.
    Semiopen(optlab_llm::semiopen::cli::SemiopenArgs),
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(a) => commands::train::run(a),
        Command::Eval(a) => commands::eval::run(a),
        Command::Generate(a) => commands::generate::run(a),
        Command::Report(a) => commands::report::run(a),
        Command::Reproduce(a) => commands::reproduce::run(a, &|line| {
            let argv = std::iter::once("optlab".to_string()).chain(line);
            dispatch(Cli::try_parse_from(argv)?)
        }),
        Command::Bench(a) => commands::bench::run(a),
        Command::Lp(a) => optlab_lp::cli::run(a),
        Command::Optim(a) => optlab_optim::cli::run(a),
        Command::Robust(a) => optlab_robust::cli::run(a),
        Command::Portfolio(a) => optlab_portfolio::cli::run(a),
        Command::Curvature(a) => optlab_curvature::cli::run(a),
        Command::Sft(a) => optlab_llm::sft::cli::run(a),
        Command::SftEval(a) => optlab_llm::sft::cli::run_eval(a),
        Command::Rlhf(a) => optlab_llm::rlhf::cli::run(a),
        Command::Rm(a) => optlab_llm::rlhf::cli::run_rm(a),
        Command::Semiopen(a) => optlab_llm::semiopen::cli::run(a),
    }
}

fn main() {
    if let Err(e) = dispatch(Cli::parse()) {
        let chain: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("error: {}", chain.join(": "));
        std::process::exit(1);
    }
}
