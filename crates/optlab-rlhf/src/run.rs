//! The alignment loop: iterations of [`Learner::iterate`] on prompts drawn from the task,
//! with held-out evaluations (mean reward of sampled responses, accuracy of greedy ones) and
//! the run's cost summary.

use crate::error::Result;
use candle_core::Device;
use optlab_core::models::Llama;
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::tokenizer::Tokenizer;
use serde::Serialize;

use crate::config::RlConfig;
use crate::cost::{MemoryAccount, PhaseTimes};
use crate::learner::{IterRecord, Learner, Rewarder};
use crate::reward::TokenizerId;
use crate::rollout::{respond, response_probabilities};
use crate::task::{arith_reward, ArithTask, STOP_BYTE};
use optlab_core::process::{peak_rss_bytes, reset_peak_rss, rss_bytes};

/// Seed of the held-out evaluation prompts (the same for every run).
pub const EVAL_SEED: u64 = 0xE7A1;

/// One held-out evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalPoint {
    /// Iterations done before it.
    pub iter: usize,
    /// Exact expected verifiable reward of the sampling policy: the mean over prompts of the
    /// probability of sampling exactly the answer and the stop byte (no sampling noise).
    pub expected_accuracy: f64,
    /// Mean reward (of the run's rewarder) of one sampled response per prompt.
    pub reward: f64,
    /// Fraction of sampled responses with the exact answer.
    pub accuracy: f64,
    /// Fraction of greedy responses with the exact answer.
    pub greedy_accuracy: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// Settings.
    pub config: RlConfig,
    /// Per-iteration records.
    pub curve: Vec<IterRecord>,
    /// Held-out evaluations (first before any update, last after the final one).
    pub evals: Vec<EvalPoint>,
    /// Mean seconds per iteration by phase.
    pub mean_times: PhaseTimes,
    /// Mean CPU seconds per iteration (all threads), where measurable.
    pub mean_cpu: Option<f64>,
    /// Largest per-iteration live tensor account.
    pub memory: MemoryAccount,
    /// Resident set at the start of the run (bytes).
    pub rss_start: Option<u64>,
    /// Resident-set high-water mark during the run (bytes); process-wide if the reset failed.
    pub rss_peak: Option<u64>,
    /// Whether the high-water mark was reset at the start (so it is this run's own).
    pub rss_peak_is_own: bool,
}

/// What a run works in: the task, the rewards, the tokenizer and the device.
pub struct RunEnv<'a> {
    /// Prompt source.
    pub task: &'a ArithTask,
    /// Reward source.
    pub rewarder: &'a Rewarder,
    /// The policy's tokenizer.
    pub tok: &'a dyn Tokenizer,
    /// Its identity.
    pub tok_id: &'a TokenizerId,
    /// Where tensors live.
    pub dev: &'a Device,
}

/// Evaluate `model` on `n` held-out prompts: one sample and the greedy response each.
pub fn evaluate(
    learner: &Learner,
    model: &Llama,
    env: &RunEnv,
    n: usize,
    rng: &mut Rng,
) -> Result<EvalPoint> {
    let (task, rewarder, tok, dev) = (env.task, env.rewarder, env.tok, env.dev);
    let prompts = task.prompts(EVAL_SEED, n);
    let ids: Vec<Vec<u32>> = prompts
        .iter()
        .map(|p| tok.encode(&p.text))
        .collect::<optlab_core::Result<_>>()?;
    let answers: Vec<Vec<u32>> = prompts
        .iter()
        .map(|p| tok.encode(&format!("{}{}", p.answer, STOP_BYTE as char)))
        .collect::<optlab_core::Result<_>>()?;
    let id_refs: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
    let a_refs: Vec<&[u32]> = answers.iter().map(Vec::as_slice).collect();
    let probs = response_probabilities(model, &id_refs, &a_refs, &learner.sampling(false), dev)?;
    let (mut rew, mut acc, mut gacc) = (0.0, 0.0, 0.0);
    for p in &prompts {
        let ids = tok.encode(&p.text)?;
        let s = respond(model, &ids, 1, &learner.sampling(false), rng, dev)?.remove(0);
        let g = respond(model, &ids, 1, &learner.sampling(true), rng, dev)?.remove(0);
        rew += rewarder.score(&[p], &[&ids], &[&s], tok, dev)?[0];
        acc += arith_reward(p.answer, &tok.decode(&s)?);
        gacc += arith_reward(p.answer, &tok.decode(&g)?);
    }
    let k = n.max(1) as f64;
    Ok(EvalPoint {
        iter: 0,
        expected_accuracy: probs.iter().sum::<f64>() / k,
        reward: rew / k,
        accuracy: acc / k,
        greedy_accuracy: gacc / k,
    })
}

/// Run `cfg` on `policy` (trained in place). `reporter` receives a line per evaluation.
pub fn run_rl(
    policy: &Llama,
    env: &RunEnv,
    cfg: &RlConfig,
    reporter: &dyn Reporter,
) -> Result<RunResult> {
    let (task, rewarder, tok, dev) = (env.task, env.rewarder, env.tok, env.dev);
    let own = reset_peak_rss();
    let rss_start = rss_bytes();
    let mut learner = Learner::new(policy, env.tok_id.clone(), cfg, dev)?;
    let mut prompt_rng = Rng::new(cfg.seed);
    let mut rng = Rng::new(cfg.seed ^ 0x5EED_0F5A_3B1E);
    let mut eval_rng = Rng::new(cfg.seed.wrapping_add(EVAL_SEED));
    let mut evals = Vec::new();
    let mut eval_at = |iter: usize, learner: &Learner, evals: &mut Vec<EvalPoint>| -> Result<()> {
        let mut e = evaluate(learner, policy, env, cfg.eval_prompts, &mut eval_rng)?;
        e.iter = iter;
        reporter.log(&format!(
            "{} iter {iter:>4}: held-out expected accuracy {:.4}, sampled reward {:.3}, sampled accuracy {:.3}, greedy accuracy {:.3}",
            cfg.algo.name(),
            e.expected_accuracy,
            e.reward,
            e.accuracy,
            e.greedy_accuracy
        ));
        evals.push(e);
        Ok(())
    };
    eval_at(0, &learner, &mut evals)?;
    let mut curve = Vec::with_capacity(cfg.iterations);
    let mut total = PhaseTimes::default();
    let mut memory = MemoryAccount::default();
    for it in 1..=cfg.iterations {
        let prompts: Vec<_> = (0..cfg.prompts)
            .map(|_| task.prompt(&mut prompt_rng))
            .collect();
        let rec = learner.iterate(it, &prompts, rewarder, tok, &mut rng)?;
        if !rec.loss.is_finite() {
            crate::error::bail!("{}: non-finite loss at iteration {it}", cfg.algo.name());
        }
        total.add(&rec.times);
        if rec.memory.total() > memory.total() {
            memory = rec.memory;
        }
        curve.push(rec);
        if it == cfg.iterations || (cfg.eval_every > 0 && it % cfg.eval_every == 0) {
            eval_at(it, &learner, &mut evals)?;
        }
    }
    let n = cfg.iterations as f64;
    let cpus: Vec<f64> = curve.iter().filter_map(|c| c.cpu).collect();
    let mean_cpu = (cpus.len() == curve.len()).then(|| cpus.iter().sum::<f64>() / n);
    let mean_times = PhaseTimes {
        generation: total.generation / n,
        forward: total.forward / n,
        backward: total.backward / n,
        optimizer: total.optimizer / n,
    };
    Ok(RunResult {
        config: cfg.clone(),
        curve,
        evals,
        mean_times,
        mean_cpu,
        memory,
        rss_start,
        rss_peak: peak_rss_bytes(),
        rss_peak_is_own: own,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Algo, ValueMode};
    use crate::reward::{RewardModel, TokenizerId};
    use optlab_core::models::LlamaConfig;
    use optlab_core::tokenizer::ByteTokenizer;

    fn diff(a: &Llama, b: &Llama) -> f64 {
        let (ta, tb) = (a.params().tensors(), b.params().tensors());
        ta.iter()
            .map(|(k, v)| {
                let d = (v - &tb[k]).unwrap().abs().unwrap().max_all().unwrap();
                d.to_scalar::<f32>().unwrap() as f64
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn every_algorithm_runs_updates_the_policy_and_accounts_its_cost() {
        let dev = Device::Cpu;
        let mut mc = LlamaConfig::preset("tiny", 256).unwrap();
        mc.num_hidden_layers = 1;
        let base = Llama::new(&mc, candle_core::DType::F32, &dev, 1).unwrap();
        let task = ArithTask { max_operand: 9 };
        let tok_id = TokenizerId::byte();
        // A random reward model gives graded rewards (the rule gives a random policy only 0s).
        let rm = RewardModel::new(&mc, tok_id.clone(), None, &dev, 2).unwrap();
        let w = rm.model.params().get("score.weight").unwrap().var;
        let mut rng = Rng::new(3);
        let noise = rng.normal_vec(mc.hidden_size, 1.0);
        w.set(&candle_core::Tensor::from_vec(noise, (1, mc.hidden_size), &dev).unwrap())
            .unwrap();
        let rewarder = Rewarder::Model(Box::new(rm));
        let env = RunEnv {
            task: &task,
            rewarder: &rewarder,
            tok: &ByteTokenizer,
            tok_id: &tok_id,
            dev: &dev,
        };
        let mut live = Vec::new();
        for (algo, vm) in [
            (Algo::Remax, ValueMode::Model),
            (Algo::Ppo, ValueMode::Model),
            (Algo::Ppo, ValueMode::Head),
            (Algo::Rloo, ValueMode::Model),
            (Algo::Grpo, ValueMode::Model),
        ] {
            let mut cfg = RlConfig::new(algo);
            (
                cfg.iterations,
                cfg.prompts,
                cfg.eval_prompts,
                cfg.max_new_tokens,
            ) = (2, 2, 2, 3);
            cfg.value_mode = vm;
            cfg.lr = 1e-3;
            let policy = crate::policy::frozen_copy(&base, &dev).unwrap();
            let r = run_rl(&policy, &env, &cfg, &optlab_core::report::Silent).unwrap();
            assert_eq!((r.curve.len(), r.evals.len()), (2, 2));
            assert!(r.curve.iter().all(|c| c.loss.is_finite() && c.actions > 0));
            assert!(r.mean_times.generation > 0.0 && r.mean_times.backward > 0.0);
            assert!(
                diff(&policy, &base) > 0.0,
                "{algo:?} did not move the policy"
            );
            live.push(r.memory);
        }
        let p = 4 * base.params().num_elements() as u64;
        // ReMax: policy + reference (+ the reward model) weights, one gradient, two moments
        let rm_bytes = live[0].weights - 2 * p;
        assert!(rm_bytes > 0 && rm_bytes < p + p / 10);
        assert_eq!(live[0].optimizer_state, 2 * p);
        // PPO with a value model holds a second trained decoder
        assert!(live[1].weights >= 2 * p + 2 * rm_bytes && live[1].optimizer_state > 4 * p);
        // PPO with a value head adds only the head
        let head = live[2].weights - 2 * p - rm_bytes;
        assert_eq!(head, 4 * mc.hidden_size as u64);
    }

    #[test]
    fn invalid_settings_are_refused_with_the_flag_named() {
        let mut cfg = RlConfig::new(Algo::Grpo);
        cfg.group = 1;
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("--group"), "{e}");
        let mut cfg = RlConfig::new(Algo::Remax);
        cfg.top_p = 0.0;
        assert!(cfg.validate().unwrap_err().to_string().contains("--top-p"));
    }
}
