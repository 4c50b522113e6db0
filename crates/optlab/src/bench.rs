//! `optlab bench`: throughput and memory measurements printed as JSON.

use std::time::Instant;

use anyhow::Result;
use candle_core::DType;
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{lm_loss, Llama, LlamaConfig};
use optlab_core::ops::OpsMode;
use optlab_core::rng::Rng;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::named_grads;

use crate::lm::common::device;

/// Benchmarks.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab bench train --json\n  optlab bench lp --dir ../shared/data/netlib\n  optlab bench hvp --model transformer"
)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(Debug, clap::Subcommand)]
enum BenchWhat {
    /// Tokens/s of forward+backward+AdamW for the tiny and small models, fused vs candle ops.
    Train {
        /// Only the tiny model, fewer steps.
        #[arg(long)]
        quick: bool,
        /// Timed steps per configuration.
        #[arg(long, default_value_t = 5)]
        steps: usize,
        /// JSON output (the default output is also JSON; kept for symmetry).
        #[arg(long)]
        json: bool,
    },
    /// Optimizer step time and state bytes: AdamW vs Adam-mini vs MoFO (and baselines).
    Optim(crate::optim::BenchOptimArgs),
    /// Cost of one finite-difference Hessian-vector product in gradient evaluations (f64).
    Hvp(crate::curvature::BenchHvpArgs),
    /// Solve every MPS file in a folder: solved count and shifted geometric mean time.
    Lp(crate::lp::BenchLpArgs),
}

fn time_steps(
    size: &str,
    ops: OpsMode,
    batch: usize,
    seq: usize,
    steps: usize,
) -> Result<serde_json::Value> {
    let dev = device()?;
    let cfg = LlamaConfig::preset(size, 256)?;
    let m = Llama::new(&cfg, DType::F32, &dev, 0)?.with_ops(ops);
    let data = TokenDataset::from_text(&generated_corpus(0, 200_000), &ByteTokenizer, 0.1)?;
    // The AdamW `optlab train` uses (fused in-place kernel), with its weight decay.
    let ocfg = optlab_optim::OptimConfig {
        weight_decay: 0.1,
        ..Default::default()
    };
    let mut opt = optlab_optim::by_name("adamw", m.params(), &ocfg)?;
    let mut rng = Rng::new(0);
    let mut step = |rng: &mut Rng| -> Result<()> {
        let (x, y) = data.train_batch(rng, batch, seq, &dev)?;
        let loss = lm_loss(&m.forward(&x)?, &y)?;
        let g = named_grads(m.params(), &loss.backward()?);
        opt.step(&g, 1e-3)?;
        Ok(())
    };
    step(&mut rng)?;
    let t0 = Instant::now();
    for _ in 0..steps {
        step(&mut rng)?;
    }
    let secs = t0.elapsed().as_secs_f64() / steps as f64;
    let n = m.params().num_elements();
    Ok(serde_json::json!({
        "size": size, "ops": ops, "parameters": n, "batch": batch, "seq_len": seq,
        "seconds_per_step": secs, "tokens_per_s": (batch * seq) as f64 / secs,
        "param_grad_adam_bytes": n * 4 * 4, "peak_rss_bytes": optlab_core::process::peak_rss_bytes(),
    }))
}

fn bench_train(quick: bool, steps: usize) -> Result<serde_json::Value> {
    let sizes: &[(&str, usize)] = if quick {
        &[("tiny", 16)]
    } else {
        &[("tiny", 16), ("small", 8)]
    };
    let mut rows = Vec::new();
    let mut ratios = serde_json::Map::new();
    for &(size, batch) in sizes {
        let fused = time_steps(size, OpsMode::Fused, batch, 128, steps)?;
        let basic = time_steps(size, OpsMode::Basic, batch, 128, steps)?;
        let r = fused["tokens_per_s"].as_f64().unwrap_or(0.0)
            / basic["tokens_per_s"].as_f64().unwrap_or(1.0);
        ratios.insert(size.to_string(), r.into());
        rows.push(fused);
        rows.push(basic);
    }
    Ok(serde_json::json!({
        "benchmark": "train step (forward + backward + AdamW), f32, CPU",
        "threads": rayon::current_num_threads(),
        "results": rows,
        "fused_over_basic_speedup": ratios,
        "note": "peak_rss_bytes is the process high-water mark so far, so later rows include earlier ones",
    }))
}

/// Run `optlab bench`.
pub fn run(a: BenchArgs) -> Result<()> {
    match a.what {
        BenchWhat::Train {
            quick,
            steps,
            json: _,
        } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&bench_train(quick, steps.max(1))?)?
            );
            Ok(())
        }
        BenchWhat::Optim(a) => crate::optim::run_bench(a),
        BenchWhat::Lp(a) => crate::lp::run_bench(&a).map(|_| ()),
        BenchWhat::Hvp(a) => crate::curvature::run_bench(a),
    }
}
