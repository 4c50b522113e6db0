//! `optlab sft-eval`: held-out perplexity, diversity and pass@n of a model.

use std::path::PathBuf;

use anyhow::{bail, Result};
use candle_core::Device;
use optlab_core::generate::SamplingConfig;

use optlab_sft::data::load_examples;
use optlab_sft::gen::{checkable, open};
use optlab_sft::pipeline::{encode_all, evaluate_model, EvalReport, EvalSpec};

use super::inputs::{load_base, load_data, warn_skipped, BaseArgs, DataArgs};
use crate::progress::Bars;

/// Held-out perplexity, diversity and pass@n of a model.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab sft-eval --run runs/sft-gem --n 16\n  optlab sft-eval --gguf assets-cache/SmolLM2-135M-Instruct.Q4_1.gguf --data assets-cache/alpaca_en_demo.json --tasks assets-cache/gsm8k-test.jsonl.gz --checkable-prompts 10 --n 8"
)]
pub struct SftEvalArgs {
    #[command(flatten)]
    base: BaseArgs,
    #[command(flatten)]
    data: DataArgs,
    /// Checkable tasks for pass@n (file with answers, e.g. GSM8K); default: the held-out
    /// examples that carry an answer.
    #[arg(long)]
    tasks: Option<PathBuf>,
    /// Samples per prompt.
    #[arg(long, default_value_t = 16)]
    n: usize,
    /// Checkable prompts scored for pass@n.
    #[arg(long, default_value_t = 32)]
    checkable_prompts: usize,
    /// Open-ended prompts scored for diversity.
    #[arg(long, default_value_t = 16)]
    open_prompts: usize,
    /// Sampling temperature.
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
    /// Top-k (0: off).
    #[arg(long, default_value_t = 50)]
    top_k: usize,
    /// Top-p.
    #[arg(long, default_value_t = 0.9)]
    top_p: f64,
    /// New tokens per response at most.
    #[arg(long, default_value_t = 48)]
    max_new_tokens: usize,
    /// Longest held-out example scored for perplexity, in tokens.
    #[arg(long, default_value_t = 192)]
    seq_len: usize,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Folder for eval.json (default: the --run folder, else runs/sft-eval).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Print an evaluation report as text lines.
pub fn print_report(r: &EvalReport) {
    if let Some(p) = &r.perplexity {
        println!(
            "held-out perplexity {:.3} (CE {:.4} nats/token, {} tokens)",
            p.ppl, p.ce, p.tokens
        );
    }
    for (name, d) in [
        ("open", &r.diversity_open),
        ("checkable", &r.diversity_checkable),
    ] {
        if let Some(d) = d {
            println!(
                "diversity ({name}, {} prompts x {}): distinct-1/2/3 {:.3}/{:.3}/{:.3}, 3-gram entropy {:.3}, self-BLEU {:.1}, {:.1} words",
                d.prompts, d.n, d.distinct[0], d.distinct[1], d.distinct[2], d.entropy[2], d.self_bleu, d.mean_words
            );
        }
    }
    if let Some(p) = &r.pass {
        let cells: Vec<String> = p
            .pass
            .iter()
            .map(|(k, v)| format!("pass@{k} {v:.3}"))
            .collect();
        println!(
            "{} checkable prompts x {}: {}",
            p.prompts,
            p.n,
            cells.join(", ")
        );
    }
}

/// Run `optlab sft-eval`.
pub fn run_eval(a: SftEvalArgs) -> Result<()> {
    let dev = Device::Cpu;
    let out = a
        .out
        .clone()
        .or_else(|| a.base.run.clone())
        .unwrap_or_else(|| PathBuf::from("runs/sft-eval"));
    std::fs::create_dir_all(&out)?;
    if a.base.gguf.is_none() && a.base.model_dir.is_none() && a.base.run.is_none() {
        bail!("name the model to evaluate: --run DIR, --model-dir DIR or --gguf FILE");
    }
    let (_, held, _) = load_data(&a.data, a.seed)?;
    let m = load_base(&a.base, a.seed, &out, &dev, &Bars::new(a.json))?;
    let tasks = match &a.tasks {
        Some(p) => {
            let l = load_examples(p, a.data.on_bad_line.into())?;
            warn_skipped(&l.bad);
            checkable(&l.examples)
        }
        None => checkable(&held),
    };
    let spec = EvalSpec {
        n: a.n,
        checkable_prompts: a.checkable_prompts,
        open_prompts: a.open_prompts,
        sampling: SamplingConfig {
            temperature: a.temperature,
            top_k: a.top_k,
            top_p: a.top_p,
            max_new_tokens: a.max_new_tokens,
            stop_ids: Vec::new(),
        },
        seed: a.seed,
    };
    let r = evaluate_model(
        &m,
        &encode_all(&m, &held)?,
        &tasks,
        &open(&held),
        &spec,
        a.seq_len,
        &dev,
    )?;
    let v = serde_json::json!({"spec": spec, "report": r});
    std::fs::write(out.join("eval.json"), serde_json::to_string_pretty(&v)?)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&r);
        println!("written: {}", out.join("eval.json").display());
    }
    Ok(())
}
