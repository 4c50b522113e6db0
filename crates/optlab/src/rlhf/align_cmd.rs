//! `optlab rlhf`: ReMax, PPO, RLOO and GRPO runs with cost accounting, and their summary.

use std::path::PathBuf;

use anyhow::{Context, Result};
use candle_core::Device;
use optlab_core::report::Reporter;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_rlhf::config::{Algo, RlConfig, ValueMode};
use optlab_rlhf::learner::Rewarder;
use optlab_rlhf::policy::{
    frozen_copy, load_policy_dir, save_byte_policy, warm_start, Policy, WarmStart,
};
use optlab_rlhf::reward::{RewardModel, TokenizerId};
use optlab_rlhf::run::{run_rl, RunEnv};
use optlab_rlhf::task::ArithTask;

use crate::progress::Bars;

/// `--algo` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlgoArg {
    /// REINFORCE with the greedy response's reward as baseline (one sample + one greedy).
    Remax,
    /// PPO: critic, GAE, clipped objective and value loss, several epochs per batch.
    Ppo,
    /// REINFORCE leave-one-out over a group of samples.
    Rloo,
    /// Group-normalised advantages with a k3 KL loss.
    Grpo,
}

impl From<AlgoArg> for Algo {
    fn from(a: AlgoArg) -> Self {
        match a {
            AlgoArg::Remax => Algo::Remax,
            AlgoArg::Ppo => Algo::Ppo,
            AlgoArg::Rloo => Algo::Rloo,
            AlgoArg::Grpo => Algo::Grpo,
        }
    }
}

/// `--value` values: where PPO's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValueModeArg {
    /// A separate decoder with a scalar head (initialised from the policy), its own optimizer.
    Model,
    /// A scalar head on the policy's final hidden states (shared trunk).
    Head,
}

impl From<ValueModeArg> for ValueMode {
    fn from(a: ValueModeArg) -> Self {
        match a {
            ValueModeArg::Model => ValueMode::Model,
            ValueModeArg::Head => ValueMode::Head,
        }
    }
}

/// Align a policy on the verifiable arithmetic task with ReMax, PPO, RLOO or GRPO.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab rlhf --algo remax --out runs/rlhf\n  \
optlab rlhf --algo remax,ppo,rloo,grpo --seeds 3 --baseline-seeds 1 --quick --out runs/rlhf-compare\n  \
optlab rlhf --policy runs/rlhf/sft --reward-model runs/rm --algo ppo --value head"
)]
pub struct RlhfArgs {
    /// Algorithms, comma-separated: remax, ppo, rloo, grpo.
    #[arg(long, value_delimiter = ',', default_value = "remax")]
    pub algo: Vec<AlgoArg>,
    /// Seeds per algorithm (start/end reward gets a 95 % CI over them).
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// Seeds for ppo, rloo and grpo when fewer than --seeds are wanted (the cost table uses
    /// each algorithm's first seed).
    #[arg(long)]
    pub baseline_seeds: Option<usize>,
    /// Smaller settings (warm start, iterations, evaluation prompts).
    #[arg(long)]
    pub quick: bool,
    /// Policy folder (config.json, model.safetensors [, tokenizer.json]); default: warm-start
    /// a tiny byte-level model on solved additions.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Reward-model folder from `optlab rm train`; default: the rule-based reward.
    #[arg(long)]
    pub reward_model: Option<PathBuf>,
    /// Warm-start steps (default 300).
    #[arg(long)]
    pub sft_steps: Option<usize>,
    /// Largest operand of the additions.
    #[arg(long, default_value_t = 49)]
    pub max_operand: u32,
    /// Iterations per run (default 40, quick 30).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Prompts per iteration.
    #[arg(long, default_value_t = 32)]
    pub prompts: usize,
    /// Samples per prompt for RLOO and GRPO.
    #[arg(long, default_value_t = 2)]
    pub group: usize,
    /// Policy learning rate.
    #[arg(long, default_value_t = 3e-5)]
    pub lr: f64,
    /// KL coefficient.
    #[arg(long, default_value_t = 0.05)]
    pub kl_coef: f64,
    /// PPO epochs per batch.
    #[arg(long, default_value_t = 2)]
    pub ppo_epochs: usize,
    /// PPO critic: a separate value model or a head on the policy.
    #[arg(long, value_enum, default_value = "model")]
    pub value: ValueModeArg,
    /// Held-out evaluation prompts (default 200, quick 128).
    #[arg(long)]
    pub eval_prompts: Option<usize>,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (sft/, runs/*.json, summary.json, rewards.svg).
    #[arg(long, default_value = "runs/rlhf")]
    pub out: PathBuf,
    /// JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run `optlab rlhf`.
pub fn run(a: RlhfArgs) -> Result<()> {
    let dev = Device::Cpu;
    let task = ArithTask {
        max_operand: a.max_operand,
    };
    let bars = Bars::new(a.json);
    if a.seeds == 0 || a.algo.is_empty() {
        anyhow::bail!("--seeds and --algo need at least one value");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let (sft, tok_id, sft_info) = match &a.policy {
        Some(dir) => {
            let Policy { model, tok_id, .. } = load_policy_dir(dir, &dev)?;
            (model, tok_id, serde_json::json!({"policy": dir}))
        }
        None => {
            let ws = WarmStart {
                size: "tiny".into(),
                steps: a.sft_steps.unwrap_or(300),
                batch: 64,
                lr: 3e-3,
                seed: a.seed,
            };
            bars.log(&format!(
                "warm start: tiny model, {} steps on solved additions up to {}",
                ws.steps, a.max_operand
            ));
            let (m, loss) = warm_start(&task, &ws, &dev)?;
            save_byte_policy(&m, &a.out.join("sft"))?;
            (
                m,
                TokenizerId::byte(),
                serde_json::json!({"warm_start": ws, "final_loss": loss, "saved": a.out.join("sft")}),
            )
        }
    };
    if tok_id != TokenizerId::byte() {
        anyhow::bail!(
            "the arithmetic task needs a byte-tokenizer policy (this one reads a `{}` tokenizer)",
            tok_id.kind
        );
    }
    let rewarder = match &a.reward_model {
        Some(dir) => Rewarder::Model(Box::new(RewardModel::load(dir, &tok_id, &dev)?)),
        None => Rewarder::Rule,
    };
    let env = RunEnv {
        task: &task,
        rewarder: &rewarder,
        tok: &ByteTokenizer,
        tok_id: &tok_id,
        dev: &dev,
    };
    let runs_dir = a.out.join("runs");
    std::fs::create_dir_all(&runs_dir)?;
    let mut results = Vec::new();
    for algo in a.algo.iter().map(|&x| Algo::from(x)) {
        let seeds = match (algo, a.baseline_seeds) {
            (Algo::Remax, _) | (_, None) => a.seeds,
            (_, Some(n)) => n.clamp(1, a.seeds),
        };
        for s in 0..seeds {
            let mut cfg = RlConfig::new(algo);
            cfg.iterations = a.iterations.unwrap_or(if a.quick { 30 } else { 40 });
            cfg.prompts = a.prompts;
            cfg.group = a.group;
            cfg.lr = a.lr;
            cfg.kl_coef = a.kl_coef;
            cfg.ppo_epochs = a.ppo_epochs;
            cfg.value_mode = a.value.into();
            cfg.eval_prompts = a.eval_prompts.unwrap_or(if a.quick { 128 } else { 200 });
            cfg.eval_every = (cfg.iterations / if a.quick { 2 } else { 4 }).max(1);
            cfg.seed = a.seed + s as u64;
            let policy = frozen_copy(&sft, &dev)?;
            let r = run_rl(&policy, &env, &cfg, &bars)?;
            let path = runs_dir.join(format!("{}-seed{}.json", algo.name(), cfg.seed));
            std::fs::write(&path, serde_json::to_string_pretty(&r)?)
                .with_context(|| format!("writing {}", path.display()))?;
            results.push(r);
        }
    }
    let summary = super::summary::summarise(&results, sft_info, &a.out)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary.json)?);
    } else {
        println!("{}", summary.text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use optlab_core::models::{Llama, LlamaConfig};

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        a: RlhfArgs,
    }

    #[test]
    fn a_reward_model_for_another_tokenizer_is_refused_before_training() {
        let dev = Device::Cpu;
        let dir_tmp = tempfile::tempdir().unwrap();
        let dir = dir_tmp.path().join("rlhf-cli");
        let mut cfg = LlamaConfig::preset("tiny", 256).unwrap();
        cfg.num_hidden_layers = 1;
        let policy = Llama::new(&cfg, candle_core::DType::F32, &dev, 0).unwrap();
        save_byte_policy(&policy, &dir.join("policy")).unwrap();
        let foreign = TokenizerId::hf(br#"{"model": {"type": "BPE"}}"#, 256);
        let rm = RewardModel::new(&cfg, foreign, None, &dev, 0).unwrap();
        rm.save(&dir.join("rm")).unwrap();
        let s = |p: &str| dir.join(p).display().to_string();
        let args = [
            "optlab",
            "--policy",
            &s("policy"),
            "--reward-model",
            &s("rm"),
            "--out",
            &s("out"),
        ];
        let e = run(Cmd::try_parse_from(args).unwrap().a).unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("tokenizer mismatch") && msg.contains("hf tokenizer"),
            "{msg}"
        );
        assert!(!dir.join("out").join("runs").exists(), "training started");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
