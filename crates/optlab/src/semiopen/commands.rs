//! `optlab semiopen` command line: plan, split, verify, attack, customize, experiment.

use std::path::{Path, PathBuf};

use crate::error::{bail, Context, Result};
use candle_core::{Device, Tensor};
use clap::{Args, Subcommand};

use crate::combined::load_split;
use crate::customise::{customise_seeds, customise_table};
use crate::data::{blocks, encode_lines, load_owner, quality, task_lines, OwnerModel};
use crate::experiment::{self, ExperimentConfig};
use crate::finetune::FinetuneConfig;
use crate::metric::{plan, plan_table, DEFAULT_TAU};
use crate::serve::{serve, verify_split};
use crate::split::write_split;
use crate::sweep::{attack_table, random_quality, run_one, summarise, Closed, SweepSetup};

/// SCARA semi-open models and recovery attacks (issue 7).
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  optlab semiopen plan --model-dir runs/train/model\n  optlab semiopen experiment --quick --out runs/semiopen"
)]
pub struct SemiopenArgs {
    #[command(subcommand)]
    cmd: Cmd,
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

#[derive(Debug, Subcommand)]
enum Cmd {
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

fn load(m: &ModelArgs, dev: &Device) -> Result<OwnerModel> {
    load_owner(m.model_dir.as_deref(), m.gguf.as_deref(), dev)
}

fn heldout(o: &OwnerModel, e: &EvalArgs, dev: &Device) -> Result<Vec<(Tensor, Tensor)>> {
    let need = e.batch * e.batches * e.seq_len + 1;
    let tokens = match &e.corpus {
        Some(p) => {
            let text = optlab_core::data::read_corpus(p)?;
            let mut end = (need * 8).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            o.tokenizer.encode(&text[..end])?
        }
        None => encode_lines(&task_lines(99, need / 8 + 16), o.tokenizer.as_ref())?,
    };
    blocks(&tokens, e.batch, e.seq_len, e.batches, dev)
}

fn seeds(first: u64, n: u64) -> Result<Vec<u64>> {
    if n == 0 {
        bail!("--seeds must be at least 1");
    }
    Ok((first..first + n).collect())
}

fn print(json: bool, value: &impl serde::Serialize, text: &str) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{text}");
    }
    Ok(())
}

fn tune(t: &TuneArgs) -> FinetuneConfig {
    FinetuneConfig {
        steps: t.steps,
        lr: t.lr,
        ..FinetuneConfig::default()
    }
}

/// Run `optlab semiopen`.
pub fn run(args: SemiopenArgs) -> Result<()> {
    let dev = Device::Cpu;
    match args.cmd {
        Cmd::Plan {
            model,
            eval,
            seeds: n,
            tau,
            seed,
            json,
        } => {
            let o = load(&model, &dev)?;
            let b = heldout(&o, &eval, &dev)?;
            let p = plan(&o.model, &b, &seeds(seed, n)?, tau)?;
            print(json, &p, &plan_table(&p))
        }
        Cmd::Split {
            model,
            k,
            out,
            json,
        } => {
            let o = load(&model, &dev)?;
            let m = write_split(&o.model, k, o.tokenizer_json.as_deref(), &out)?;
            let text = format!(
                "closed: bottom {k} of {} layers, {} parameters ({:.1}%), {} ({} bytes)\npublic: {} tensors, {} ({} bytes)\nmanifest: {}\n",
                m.num_layers, m.closed_params, 100.0 * m.closed_fraction(), out.join(&m.closed.file).display(),
                m.closed.bytes, m.public.tensors.len(), out.join(&m.public.file).display(), m.public.bytes,
                out.join(super::split::MANIFEST_FILE).display()
            );
            print(json, &m, &text)
        }
        Cmd::Verify {
            split,
            model_dir,
            gguf,
            remote,
            json,
        } => verify(
            &split,
            remote.as_deref(),
            &ModelArgs { model_dir, gguf },
            json,
        ),
        Cmd::Serve {
            split,
            addr,
            requests,
        } => {
            let (m, semi) = load_split(&split, &dev)?;
            let listener = std::net::TcpListener::bind(&addr)
                .with_context(|| format!("cannot listen on {addr}"))?;
            eprintln!(
                "serving the {} closed layers of {} on http://{addr}/hidden",
                m.closed_layers,
                split.display()
            );
            serve(&semi.closed, m.config.vocab_size, listener, requests)
        }
        Cmd::Attack {
            model,
            eval,
            tune: t,
            k,
            donor,
            seed,
            out,
            json,
        } => {
            let o = load(&model, &dev)?;
            let layers = o.model.config().num_hidden_layers;
            let closed = match k {
                0 => Closed::Everything,
                k if k <= layers => Closed::Bottom(k),
                k => bail!("cannot close {k} layers: the model has {layers} decoder layers"),
            };
            let donor = match &donor {
                Some(d) => Some(load_owner(Some(d), None, &dev)?.model),
                None => None,
            };
            let b = heldout(&o, &eval, &dev)?;
            let ss = seeds(seed, t.seeds)?;
            let original = quality(|x| Ok(o.model.forward(x)?), &b)?;
            let random = random_quality(&o.model, &b, &ss)?;
            let setup = SweepSetup {
                tokenizer: o.tokenizer.as_ref(),
                heldout: &b,
                original,
                random,
                samples: t.samples,
                finetune: tune(&t),
                work: &out,
            };
            let rows = ss
                .iter()
                .map(|&s| run_one(&o.model, closed, donor.as_ref(), s, &setup))
                .collect::<Result<Vec<_>>>()?;
            let summary = summarise(&rows);
            let value = serde_json::json!({"original": original, "random": random, "runs": rows, "summary": summary});
            print(json, &value, &attack_table(&summary, original, random))
        }
        Cmd::Customize {
            model,
            tune: t,
            k,
            seed,
            out,
            json,
        } => {
            let o = load(&model, &dev)?;
            let rows = customise_seeds(
                &o.model,
                k,
                o.tokenizer.as_ref(),
                t.samples,
                &seeds(seed, t.seeds)?,
                &tune(&t),
                &out,
            )?;
            print(json, &rows, &customise_table(&rows))
        }
        Cmd::Experiment { quick, out, json } => {
            let r = experiment::run(&ExperimentConfig::preset(quick), &out, !json)?;
            print(json, &r, &experiment::render(&r))
        }
    }
}

fn verify(split: &Path, remote: Option<&str>, original: &ModelArgs, json: bool) -> Result<()> {
    let dev = Device::Cpu;
    let o = match original.model_dir.is_some() || original.gguf.is_some() {
        true => Some(load(original, &dev)?),
        false => None,
    };
    let r = verify_split(split, remote, o.as_ref().map(|o| &o.model), &dev)?;
    let via = if r.remote { "over HTTP" } else { "in-process" };
    let mut text = format!(
        "{}: manifest and files agree (k = {}, {} layers); recombined model runs ({via})\n",
        split.display(),
        r.k,
        r.layers
    );
    if let (Some(n), Some(d), Some(m)) = (r.logits_compared, r.logits_differing, r.max_abs_diff) {
        text += &format!("logits vs the original: {d} of {n} differ (max |diff| {m:e})\n");
        if d > 0 {
            print(json, &r, &text)?;
            bail!("the recombined model's logits differ from the original's");
        }
    }
    print(json, &r, &text)
}
