//! Command-line front end (`optlab optim ...`), usable by the optlab binary.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use candle_core::{DType, Device};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::params::{classify_name, ParamRole};

use crate::common::AttnShape;
use crate::partition::{partition_entries, PartitionRow};

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
        args: crate::cli_experiments::ExperimentArgs,
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
        args: crate::cli_experiments::ExperimentArgs,
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
        } => {
            let (entries, attn) = match model_dir {
                Some(dir) => entries_from_dir(&dir)?,
                None => entries_from_preset(&model, vocab)?,
            };
            let (rows, unknown) = partition_entries(&entries, Some(attn))?;
            print_table(&rows, &unknown, json)
        }
        OptimCommand::Bench { model, steps, json } => {
            if steps == 0 {
                bail!("--steps must be at least 1");
            }
            crate::bench::bench(&model, steps, json).map(|_| ())
        }
        OptimCommand::Pretrain {
            args,
            lrs,
            optimizers,
            merge,
        } if merge.is_empty() => crate::cli_experiments::run_pretrain(args, lrs, &optimizers),
        OptimCommand::Pretrain { args, merge, .. } => {
            crate::cli_experiments::merge_pretrain(&args, &merge)
        }
        OptimCommand::Forgetting { args, lrs } => crate::cli_experiments::run_forgetting(args, lrs),
    }
}

type Entries = Vec<(String, ParamRole, Vec<usize>)>;

/// Names, roles and shapes of a preset Llama, with its attention shape.
pub fn entries_from_preset(model: &str, vocab: usize) -> anyhow::Result<(Entries, AttnShape)> {
    let cfg = LlamaConfig::preset(model, vocab)?;
    let llama = Llama::new(&cfg, DType::F32, &Device::Cpu, 0)?;
    let entries = llama
        .params()
        .infos()
        .into_iter()
        .map(|i| (i.name, i.role, i.shape))
        .collect();
    Ok((entries, AttnShape::from_llama(&cfg)))
}

/// Names (roles from [`classify_name`]) and shapes read from the safetensors headers of a
/// Hugging Face folder, and the attention shape from its `config.json` (Llama/Qwen2/Mistral
/// or GPT-2 keys). No weights are loaded.
pub fn entries_from_dir(dir: &Path) -> anyhow::Result<(Entries, AttnShape)> {
    let cfg_path = dir.join("config.json");
    let text = std::fs::read_to_string(&cfg_path)
        .with_context(|| format!("cannot read {}", cfg_path.display()))?;
    let cfg: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", cfg_path.display()))?;
    let field = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| cfg.get(*k).and_then(|v| v.as_u64()))
    };
    let hidden = field(&["hidden_size", "n_embd", "d_model"])
        .with_context(|| format!("{}: no hidden_size / n_embd", cfg_path.display()))?;
    let heads = field(&["num_attention_heads", "n_head"])
        .with_context(|| format!("{}: no num_attention_heads / n_head", cfg_path.display()))?;
    let kv = field(&["num_key_value_heads"]).unwrap_or(heads);
    if heads == 0 || kv == 0 || hidden % heads != 0 {
        bail!("{}: inconsistent attention shape", cfg_path.display());
    }
    let attn = AttnShape {
        hidden: hidden as usize,
        n_heads: heads as usize,
        n_kv_heads: kv as usize,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no *.safetensors files", dir.display());
    }
    let mut entries = Vec::new();
    for f in &files {
        for (name, shape) in safetensors_header(f)? {
            if name.ends_with("rotary_emb.inv_freq") {
                continue;
            }
            entries.push((name.clone(), classify_name(&name), shape));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((entries, attn))
}

/// Tensor names and shapes from a safetensors header (8-byte length, then JSON).
fn safetensors_header(path: &Path) -> anyhow::Result<Vec<(String, Vec<usize>)>> {
    use std::io::Read;
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)
        .with_context(|| format!("{}: truncated safetensors header", path.display()))?;
    let len = u64::from_le_bytes(len);
    if len > 100_000_000 {
        bail!(
            "{}: implausible safetensors header size {len}",
            path.display()
        );
    }
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf)
        .with_context(|| format!("{}: truncated safetensors header", path.display()))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&buf)
        .with_context(|| format!("{}: corrupt safetensors header", path.display()))?;
    let mut out = Vec::new();
    for (name, info) in header {
        if name == "__metadata__" {
            continue;
        }
        let shape = info
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|a| {
                a.iter()
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect::<Option<Vec<_>>>()
            })
            .with_context(|| format!("{}: tensor `{name}` has no shape", path.display()))?;
        out.push((name, shape));
    }
    Ok(out)
}

fn print_table(rows: &[PartitionRow], unknown: &[String], json: bool) -> anyhow::Result<()> {
    let params: usize = rows.iter().map(|r| r.shape.iter().product::<usize>()).sum();
    let blocks: usize = rows.iter().map(|r| r.spec.blocks).sum();
    let mini: usize = rows.iter().map(|r| r.state_bytes).sum();
    let adamw = 8 * params;
    let ratio = mini as f64 / adamw.max(1) as f64;
    if json {
        let out = serde_json::json!({
            "tensors": rows,
            "unknown": unknown,
            "parameters": params,
            "blocks": blocks,
            "adam_mini_state_bytes": mini,
            "adamw_state_bytes": adamw,
            "ratio": ratio,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:<w$}  {:<12} {:<14} {:<9} {:>8} {:>12}",
        "name", "role", "shape", "kind", "blocks", "state_bytes"
    );
    for r in rows {
        let role = serde_json::to_value(r.role)?;
        let kind = serde_json::to_value(r.spec.kind)?;
        println!(
            "{:<w$}  {:<12} {:<14} {:<9} {:>8} {:>12}",
            r.name,
            role.as_str().unwrap_or("?"),
            format!("{:?}", r.shape),
            kind.as_str().unwrap_or("?"),
            r.spec.blocks,
            r.state_bytes
        );
    }
    println!(
        "parameters {params}, blocks {blocks}, adam-mini state {mini} B, adamw state {adamw} B, \
         ratio {ratio:.4}"
    );
    if !unknown.is_empty() {
        println!("unknown (one block per tensor): {}", unknown.join(", "));
    }
    Ok(())
}
