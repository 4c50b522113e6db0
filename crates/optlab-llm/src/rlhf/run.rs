//! The alignment loop: iterations of [`Learner::iterate`] on prompts drawn from the task,
//! with held-out evaluations (mean reward of sampled responses, accuracy of greedy ones) and
//! the run's cost summary.

use anyhow::Result;
use candle_core::Device;
use optlab_core::models::Llama;
use optlab_core::rng::Rng;
use optlab_core::tokenizer::Tokenizer;
use serde::Serialize;

use super::config::RlConfig;
use super::cost::{reset_rss_peak, rss, MemoryAccount, PhaseTimes};
use super::learner::{IterRecord, Learner, Rewarder};
use super::reward::TokenizerId;
use super::rollout::respond;
use super::task::{arith_reward, ArithTask};

/// Seed of the held-out evaluation prompts (the same for every run).
pub const EVAL_SEED: u64 = 0xE7A1;

/// One held-out evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalPoint {
    /// Iterations done before it.
    pub iter: usize,
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
        reward: rew / k,
        accuracy: acc / k,
        greedy_accuracy: gacc / k,
    })
}

/// Run `cfg` on `policy` (trained in place). `log` receives a line per evaluation.
pub fn run_rl(
    policy: &Llama,
    env: &RunEnv,
    cfg: &RlConfig,
    log: &mut dyn FnMut(&str),
) -> Result<RunResult> {
    let (task, rewarder, tok, dev) = (env.task, env.rewarder, env.tok, env.dev);
    let own = reset_rss_peak();
    let rss_start = rss().map(|r| r.0);
    let mut learner = Learner::new(policy, env.tok_id.clone(), cfg, dev)?;
    let mut prompt_rng = Rng::new(cfg.seed);
    let mut rng = Rng::new(cfg.seed ^ 0x5EED_0F5A_3B1E);
    let mut eval_rng = Rng::new(cfg.seed.wrapping_add(EVAL_SEED));
    let mut evals = Vec::new();
    let mut eval_at = |iter: usize,
                       learner: &Learner,
                       evals: &mut Vec<EvalPoint>,
                       log: &mut dyn FnMut(&str)|
     -> Result<()> {
        let mut e = evaluate(learner, policy, env, cfg.eval_prompts, &mut eval_rng)?;
        e.iter = iter;
        log(&format!(
            "{} iter {iter:>4}: held-out reward {:.3}, sampled accuracy {:.3}, greedy accuracy {:.3}",
            cfg.algo.name(),
            e.reward,
            e.accuracy,
            e.greedy_accuracy
        ));
        evals.push(e);
        Ok(())
    };
    eval_at(0, &learner, &mut evals, log)?;
    let mut curve = Vec::with_capacity(cfg.iterations);
    let mut total = PhaseTimes::default();
    let mut memory = MemoryAccount::default();
    for it in 1..=cfg.iterations {
        let prompts: Vec<_> = (0..cfg.prompts)
            .map(|_| task.prompt(&mut prompt_rng))
            .collect();
        let rec = learner.iterate(it, &prompts, rewarder, tok, &mut rng)?;
        if !rec.loss.is_finite() {
            anyhow::bail!("{}: non-finite loss at iteration {it}", cfg.algo.name());
        }
        total.add(&rec.times);
        if rec.memory.total() > memory.total() {
            memory = rec.memory;
        }
        curve.push(rec);
        if it == cfg.iterations || (cfg.eval_every > 0 && it % cfg.eval_every == 0) {
            eval_at(it, &learner, &mut evals, log)?;
        }
    }
    let n = cfg.iterations as f64;
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
        memory,
        rss_start,
        rss_peak: rss().map(|r| r.1),
        rss_peak_is_own: own,
    })
}
