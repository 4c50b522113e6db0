//! The flags of `optlab semiopen` and its subcommands.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use optlab_semiopen::metric::DEFAULT_TAU;

/// SCARA semi-open models and recovery attacks.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  optlab semiopen plan --model-dir runs/train/model\n  optlab semiopen experiment --quick --out runs/semiopen"
)]
pub struct SemiopenArgs {
    #[command(subcommand)]
    pub(super) cmd: Cmd,
}

/// The owner's model: a Hugging Face folder (tokenizer.json optional: byte-level without
/// it) or a GGUF file.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Model folder (config.json, model.safetensors, optional tokenizer.json).
    #[arg(long, required_unless_present = "gguf")]
    pub model_dir: Option<PathBuf>,
    /// llama.cpp GGUF file (arch llama), dequantised to f32.
    #[arg(long, conflicts_with = "model_dir")]
    pub gguf: Option<PathBuf>,
}

/// Held-out evaluation data.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Text file to evaluate on (default: held-out lines of the embedded corpus).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Sequences per evaluation batch.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Tokens per sequence.
    #[arg(long, default_value_t = 64)]
    pub seq_len: usize,
    /// Evaluation batches.
    #[arg(long, default_value_t = 8)]
    pub batches: usize,
}

/// Fine-tuning recipe of an attack or customisation.
#[derive(Debug, Clone, Args)]
pub struct TuneArgs {
    /// Task samples (lines) the attacker or customer has.
    #[arg(long, default_value_t = 64)]
    pub samples: usize,
    /// Fine-tuning steps.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Peak learning rate (AdamW, warm-up then cosine).
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Runs with seeds seed, seed+1, …
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
}

/// `optlab semiopen` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum Cmd {
    /// SCARA's fine-tuning-free metric RD(k) per k and the chosen number of closed layers.
    #[command(
        after_help = "Example:\n  optlab semiopen plan --model-dir runs/train/model --seeds 3\n  optlab semiopen plan --gguf assets-cache/SmolLM2-135M-Instruct.Q4_1.gguf --corpus assets-cache/tiny-shakespeare.txt --json"
    )]
    Plan {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        eval: EvalArgs,
        /// Random initialisations averaged.
        #[arg(long, default_value_t = 3)]
        seeds: u64,
        /// Tolerance: k qualifies when RD(k) * (1 + tau) >= RD(random model).
        #[arg(long, default_value_t = DEFAULT_TAU)]
        tau: f64,
        /// First seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Write the closed part (bottom k layers), the public part and a manifest.
    #[command(
        after_help = "Example:\n  optlab semiopen split --model-dir runs/train/model --k 1 --out runs/split"
    )]
    Split {
        #[command(flatten)]
        model: ModelArgs,
        /// Closed bottom decoder layers.
        #[arg(long)]
        k: usize,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Check a split folder against its manifest and run the recombined model; with
    /// --model-dir, compare its logits with the original's bit for bit.
    #[command(
        after_help = "Example:\n  optlab semiopen verify --split runs/split --model-dir runs/train/model"
    )]
    Verify {
        /// Split folder.
        #[arg(long)]
        split: PathBuf,
        /// The original model folder to compare against.
        #[arg(long)]
        model_dir: Option<PathBuf>,
        /// The original GGUF file to compare against.
        #[arg(long, conflicts_with = "model_dir")]
        gguf: Option<PathBuf>,
        /// Ask the closed part of a running `optlab semiopen serve` at this address.
        #[arg(long)]
        remote: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Serve the closed part's hidden states over HTTP (POST /hidden, JSON token ids).
    #[command(
        after_help = "Example:\n  optlab semiopen serve --split runs/split --addr 127.0.0.1:8477\n  optlab semiopen verify --split runs/split --remote 127.0.0.1:8477 --model-dir runs/train/model"
    )]
    Serve {
        /// Split folder.
        #[arg(long)]
        split: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8477")]
        addr: String,
        /// Stop after this many requests (default: serve forever).
        #[arg(long)]
        requests: Option<usize>,
        #[arg(long, help = max_tokens_help())]
        max_tokens: Option<usize>,
        /// MiB of memory the token limit is derived from (default: MemAvailable at start).
        #[arg(long)]
        memory_mib: Option<u64>,
        /// Rows per request; more get HTTP 413.
        #[arg(long, default_value_t = optlab_semiopen::serve::limits::DEFAULT_MAX_BATCH)]
        max_batch: usize,
        /// Tokens per row; longer rows get HTTP 413 (default: the model's positions).
        #[arg(long)]
        max_seq: Option<usize>,
        /// Milliseconds a client has to send its request and to take the reply (408 beyond).
        #[arg(long, default_value_t = 30_000)]
        timeout_ms: u64,
        /// Requests computing at once (each gets an equal share of the memory budget).
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// Connections served at once (a slow client holds one until its timeout); beyond
        /// that HTTP 503.
        #[arg(long, default_value_t = 64)]
        connections: usize,
    },
    /// Recovery attack: rebuild the k closed layers from N samples, score vs the original.
    #[command(
        after_help = "Example:\n  optlab semiopen attack --model-dir runs/train/model --k 1 --samples 64 --steps 100"
    )]
    Attack {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        eval: EvalArgs,
        #[command(flatten)]
        tune: TuneArgs,
        /// Closed bottom layers (0 = close every parameter: attack from a random model).
        #[arg(long)]
        k: usize,
        /// Take the replacement layers from this model folder instead of random weights.
        #[arg(long)]
        donor: Option<PathBuf>,
        /// First seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Scratch folder for fine-tuning runs.
        #[arg(long, default_value = "runs/semiopen-attack")]
        out: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Customisation: fine-tune only the public layers above k vs the fully open model.
    #[command(
        after_help = "Example:\n  optlab semiopen customize --model-dir runs/train/model --k 1 --samples 64"
    )]
    Customize {
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        tune: TuneArgs,
        /// Closed bottom layers.
        #[arg(long)]
        k: usize,
        /// First seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Scratch folder for fine-tuning runs.
        #[arg(long, default_value = "runs/semiopen-customize")]
        out: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// The full study on a small pre-trained model: metric, attacks vs k, customisation.
    #[command(after_help = "Example:\n  optlab semiopen experiment --quick --out runs/semiopen")]
    Experiment {
        /// Small settings (tiny model, ~2 minutes in release).
        #[arg(long)]
        quick: bool,
        /// Output folder (the pre-trained model is cached here).
        #[arg(long, default_value = "runs/semiopen")]
        out: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Help of `serve --max-tokens`: how the default is derived, with this machine's free memory.
fn max_tokens_help() -> String {
    let mem = optlab_semiopen::serve::limits::mem_available_bytes()
        .map_or("unknown, 2 GiB assumed".to_string(), |b| {
            format!("{} MiB now", b >> 20)
        });
    format!(
        "Token ids per request, rows x sequence length; more get HTTP 413 (default: computed: \
         (--memory-mib or MemAvailable) / 2 / --workers / bytes per token, where bytes per token = \
         4 x (closed layers x (14 x hidden + 4 x intermediate + 3 x heads x --max-seq) + 16 x hidden) \
         at most 1048576; MemAvailable here: {mem}; the server prints the limits it derived)"
    )
}
