//! `optlab optim` (Adam-mini partition tables, optimizer benchmarks, the pre-training and
//! forgetting experiments) and `optlab bench optim`.

mod bench;
mod experiments;
mod partition;

use std::path::PathBuf;

use anyhow::bail;

pub use experiments::{reproduce_forgetting, reproduce_pretrain};

/// Arguments of `optlab optim`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  optlab optim partition --model small\n  \
                        optlab optim partition --model-dir ./qwen2-0.5b --json")]
pub struct OptimArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OptimCommand,
}

/// Subcommands of `optlab optim`.
#[derive(clap::Subcommand, Debug)]
pub enum OptimCommand {
    /// Print Adam-mini's block table: name, role, shape, blocks, state bytes.
    #[command(after_help = "Example:\n  optlab optim partition --model tiny --json")]
    Partition {
        /// Built-in Llama preset (tiny, mini, small).
        #[arg(long, default_value = "tiny")]
        model: String,
        /// Vocabulary size for the preset.
        #[arg(long, default_value_t = 256)]
        vocab: usize,
        /// Hugging Face model folder (config.json + *.safetensors); overrides --model.
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Time AdamW, Adam-mini and MoFO steps; report state bytes and achieved bandwidth
    /// against a memory-copy bandwidth measured in the same run.
    #[command(after_help = "Example:\n  optlab optim bench --model tiny --model small --json")]
    Bench {
        /// Llama presets to bench (repeatable).
        #[arg(long, default_values_t = ["tiny".to_string(), "small".to_string()])]
        model: Vec<String>,
        /// Timed steps per optimizer (the median is reported).
        #[arg(long, default_value_t = 5)]
        steps: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Experiment (a): pre-train with AdamW, Adam-mini and Adam, each over a learning-rate
    /// sweep; table, JSON and loss curves (SVG).
    #[command(after_help = "Example:\n  optlab optim pretrain --quick --out runs/pretrain")]
    Pretrain {
        /// Shared experiment settings.
        #[command(flatten)]
        args: experiments::ExperimentArgs,
        /// Learning rates to sweep (comma-separated); default 4e-4,8e-4,1.6e-3 on `small`, else
        /// 1e-3,3e-3,1e-2.
        #[arg(long, value_delimiter = ',')]
        lrs: Option<Vec<f64>>,
        /// Optimizers to compare (comma-separated; AdamW is the reference for the ratios).
        #[arg(long, value_delimiter = ',', default_values_t = ["adamw".to_string(), "adam-mini".into(), "adam".into()])]
        optimizers: Vec<String>,
        /// Train nothing: merge these `pretrain.json` files (e.g. one process per optimizer)
        /// into one table, JSON and SVG (written to --out).
        #[arg(long, num_args = 1.., conflicts_with_all = ["lrs", "optimizers"])]
        merge: Vec<PathBuf>,
    },
    /// Experiment (b): pre-train on corpus A, fine-tune on corpus B with AdamW, Adam-mini and
    /// MoFO; A-loss rise, B loss and distance from the pre-trained weights.
    #[command(after_help = "Example:\n  optlab optim forgetting --quick --json")]
    Forgetting {
        /// Shared experiment settings.
        #[command(flatten)]
        args: experiments::ExperimentArgs,
        /// Fine-tuning learning rates (comma-separated).
        #[arg(long, value_delimiter = ',')]
        lrs: Option<Vec<f64>>,
    },
}

/// Run `optlab optim ...`.
pub fn run(args: OptimArgs) -> anyhow::Result<()> {
    match args.command {
        OptimCommand::Partition {
            model,
            vocab,
            model_dir,
            json,
        } => partition::run(&model, vocab, model_dir.as_deref(), json),
        OptimCommand::Bench { model, steps, json } => {
            if steps == 0 {
                bail!("--steps must be at least 1");
            }
            bench::run(&model, steps, json)
        }
        OptimCommand::Pretrain {
            args,
            lrs,
            optimizers,
            merge,
        } if merge.is_empty() => experiments::run_pretrain(args, lrs, &optimizers),
        OptimCommand::Pretrain { args, merge, .. } => experiments::merge_pretrain(&args, &merge),
        OptimCommand::Forgetting { args, lrs } => experiments::run_forgetting(args, lrs),
    }
}

/// Optimizer step time and state bytes: AdamW vs Adam-mini vs MoFO (and baselines).
#[derive(Debug, clap::Args)]
pub struct BenchOptimArgs {
    /// Model presets to measure.
    #[arg(long, default_values_t = ["tiny".to_string(), "small".to_string()])]
    models: Vec<String>,
    /// Timed steps per optimizer.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Run `optlab bench optim`.
pub fn run_bench(a: BenchOptimArgs) -> anyhow::Result<()> {
    bench::run(&a.models, a.steps.max(1), a.json)
}
