//! `optlab reproduce`: the registry of miniature experiments, one or more per capability.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, unigram_entropy, TokenDataset};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::{train_lm, CosineSchedule, TrainConfig};
use optlab_optim::{AdamW, OptimConfig};

/// Run registered experiments on embedded data.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab reproduce --quick\n  optlab reproduce train-demo --out runs/reproduce"
)]
pub struct ReproduceArgs {
    /// Experiments to run (default: all). `--list` shows them.
    names: Vec<String>,
    /// Smaller, faster settings.
    #[arg(long)]
    quick: bool,
    /// List the experiments and exit.
    #[arg(long)]
    list: bool,
    /// Output folder.
    #[arg(long, default_value = "runs/reproduce")]
    out: PathBuf,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// How an experiment runs.
pub enum Runner {
    /// A function returning its result table as JSON.
    Function(fn(quick: bool, out: &Path) -> Result<serde_json::Value>),
    /// An `optlab` command line; `{out}` is replaced by the experiment's output folder. It
    /// writes its own results (JSON and SVG) there.
    Command(&'static [&'static str]),
}

/// One registered experiment.
pub struct Experiment {
    /// Registry name.
    pub name: &'static str,
    /// What it shows.
    pub about: &'static str,
    /// How to run it.
    pub runner: Runner,
}

/// Every experiment, in the order they run.
pub fn registry() -> Vec<Experiment> {
    vec![
        Experiment {
            name: "train-demo",
            about: "tiny Llama on the embedded corpus: validation loss vs the corpus unigram entropy",
            runner: Runner::Function(train_demo),
        },
        Experiment {
            name: "sft-gem",
            about: "tiny Llama pre-trained on the embedded corpus, SFT with CE vs GEM (best of 2-3 lrs): perplexity, diversity, pass@1..16",
            runner: Runner::Function(crate::sft::reproduce),
        },
        Experiment {
            name: "portfolio",
            about: "Black-Litterman view agent vs baselines on the embedded market, 3 seeds, 10 bps costs",
            runner: Runner::Command(&["portfolio", "train", "--seeds", "3", "--out", "{out}"]),
        },
        Experiment {
            name: "robust",
            about: "MLPs of several widths, clean and PGD-trained: measured gaps vs norm-based bounds (SVG)",
            runner: Runner::Command(&[
                "robust", "sweep", "--widths", "16,64,256", "--epochs", "10", "--steps", "5",
                "--margin-quantile", "0.3", "--svg", "{out}/gaps.svg",
            ]),
        },
        Experiment {
            name: "rlhf",
            about: "ReMax, PPO, RLOO, GRPO on one warm-started tiny model: reward curves, cost table, ReMax reward CI over 3 seeds",
            runner: Runner::Command(&[
                "rlhf", "--algo", "remax,ppo,rloo,grpo", "--seeds", "3", "--baseline-seeds", "1",
                "--quick", "--out", "{out}",
            ]),
        },
        Experiment {
            name: "optim-pretrain",
            about: "pre-training with AdamW, Adam-mini and Adam, each at its best of 3 learning rates: best validation loss, state bytes, SVG",
            runner: Runner::Function(crate::optim::reproduce_pretrain),
        },
        Experiment {
            name: "optim-forgetting",
            about: "pre-train on corpus A, fine-tune on corpus B with AdamW, Adam-mini, MoFO: B loss, A-loss rise, distance moved",
            runner: Runner::Function(crate::optim::reproduce_forgetting),
        },
        Experiment {
            name: "curvature-gap",
            about: "MLP, CNN, tiny transformer: block-heterogeneity score at init vs SGD-momentum/Adam best-lr loss gap",
            runner: Runner::Function(crate::curvature::reproduce_gap),
        },
        Experiment {
            name: "curvature-smooth",
            about: "Adam vs SGD-momentum on (L0,L1)-smooth cosh problems: lr sweeps, deterministic and noisy, SVG of gradient norm",
            runner: Runner::Function(crate::curvature::reproduce_smooth),
        },
        Experiment {
            name: "semiopen",
            about: "SCARA on a pre-trained tiny Llama: RD(k) metric and chosen k, recovery attacks vs k over 3 seeds, public-only vs open customisation",
            runner: Runner::Function(crate::semiopen::reproduce),
        },
        Experiment {
            name: "pdhg-net",
            about: "PDHG-Net trained on small PageRank LPs: PDHG iterations and time to 1e-4 on larger held-out LPs, cold vs warm start",
            runner: Runner::Function(crate::lp::reproduce_pdhg_net),
        },
    ]
}

fn train_demo(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let (steps, batch) = if quick { (150, 8) } else { (600, 16) };
    let data = TokenDataset::from_text(&generated_corpus(0, 400_000), &ByteTokenizer, 0.1)?;
    let m = Llama::new(
        &LlamaConfig::preset("tiny", 256)?,
        DType::F32,
        &Device::Cpu,
        0,
    )?;
    let ocfg = OptimConfig {
        weight_decay: 0.1,
        ..OptimConfig::default()
    };
    let mut opt = AdamW::new(m.params(), ocfg)?;
    let base = TrainConfig::short(steps, batch, 64, 3e-3, out.join("train-demo"));
    let cfg = TrainConfig {
        schedule: CosineSchedule {
            warmup: 20,
            ..base.schedule
        },
        val_every: 50,
        val_batches: 8,
        ..base
    };
    let s = train_lm(&m, &data, &mut opt, &cfg, &optlab_core::report::Silent)?;
    let h = unigram_entropy(data.train_tokens());
    Ok(serde_json::json!({
        "steps": steps, "unigram_entropy": h, "val_loss": s.val_loss,
        "val_over_unigram": s.val_loss.map(|v| v / h), "tokens_per_s": s.tokens_per_s,
    }))
}

/// Run `optlab reproduce`; `cli` executes an `optlab` command line (for [`Runner::Command`]).
pub fn run(a: ReproduceArgs, cli: &dyn Fn(Vec<String>) -> Result<()>) -> Result<()> {
    let reg = registry();
    if a.list {
        for e in &reg {
            println!("{:<16} {}", e.name, e.about);
        }
        return Ok(());
    }
    for n in &a.names {
        if !reg.iter().any(|e| e.name == n) {
            bail!("unknown experiment `{n}` (see `optlab reproduce --list`)");
        }
    }
    let mut results = serde_json::Map::new();
    for e in reg
        .iter()
        .filter(|e| a.names.is_empty() || a.names.iter().any(|n| n == e.name))
    {
        if !a.json {
            eprintln!("running {} ({})", e.name, e.about);
        }
        let r = match &e.runner {
            Runner::Function(f) => f(a.quick, &a.out)?,
            Runner::Command(args) => {
                let out = a.out.join(e.name);
                std::fs::create_dir_all(&out)?;
                let line: Vec<String> = args
                    .iter()
                    .map(|s| s.replace("{out}", &out.display().to_string()))
                    .collect();
                cli(line.clone())?;
                serde_json::json!({"command": format!("optlab {}", line.join(" ")), "out": out})
            }
        };
        if !a.json {
            println!("{}: {}", e.name, serde_json::to_string_pretty(&r)?);
        }
        results.insert(e.name.to_string(), r);
    }
    std::fs::create_dir_all(&a.out)?;
    std::fs::write(
        a.out.join("results.json"),
        serde_json::to_string_pretty(&results)?,
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(())
}
