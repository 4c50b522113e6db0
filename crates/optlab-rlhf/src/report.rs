//! Summaries of a comparison: the rows of the cost table (time per iteration by phase, live
//! tensor bytes, RSS peak), ReMax/PPO ratios, and start/end reward with confidence intervals
//! over seeds.

use serde::Serialize;

use crate::math::mean_ci95;
use crate::run::RunResult;

/// One algorithm's row of the cost table (seed 0's run).
#[derive(Debug, Clone, Serialize)]
pub struct CostRow {
    /// Algorithm.
    pub algo: String,
    /// Mean seconds per iteration, all phases.
    pub sec_per_iter: f64,
    /// Mean CPU seconds per iteration (all threads).
    pub cpu_per_iter: Option<f64>,
    /// Mean seconds per iteration: generation.
    pub generation: f64,
    /// ... forward passes.
    pub forward: f64,
    /// ... backward passes.
    pub backward: f64,
    /// ... optimizer steps.
    pub optimizer: f64,
    /// Live tensor bytes (weights + gradients + optimizer state + activations).
    pub live_bytes: u64,
    /// Of which model weights.
    pub weight_bytes: u64,
    /// Of which optimizer state.
    pub optimizer_bytes: u64,
    /// RSS high-water mark during the run (bytes).
    pub rss_peak: Option<u64>,
    /// RSS at its start (bytes).
    pub rss_start: Option<u64>,
}

impl CostRow {
    /// The row of one run.
    pub fn of(r: &RunResult) -> Self {
        let t = r.mean_times;
        Self {
            algo: r.config.algo.name().into(),
            sec_per_iter: t.total(),
            cpu_per_iter: r.mean_cpu,
            generation: t.generation,
            forward: t.forward,
            backward: t.backward,
            optimizer: t.optimizer,
            live_bytes: r.memory.total(),
            weight_bytes: r.memory.weights,
            optimizer_bytes: r.memory.optimizer_state,
            rss_peak: r.rss_peak,
            rss_start: r.rss_start,
        }
    }
}

/// Start and end held-out reward of one algorithm over seeds.
#[derive(Debug, Clone, Serialize)]
pub struct RewardChange {
    /// Algorithm.
    pub algo: String,
    /// Seeds.
    pub seeds: usize,
    /// Mean held-out expected verifiable reward (exact) before training, and the 95 % CI
    /// half-width over seeds.
    pub start: (f64, f64),
    /// Same after training.
    pub end: (f64, f64),
    /// Mean and CI half-width of the per-seed change (end - start).
    pub change: (f64, f64),
    /// Mean sampled reward of the run's rewarder before and after training (with CIs).
    pub sampled_reward: ((f64, f64), (f64, f64)),
    /// Same for greedy accuracy.
    pub greedy_start: (f64, f64),
    /// Same for greedy accuracy after training.
    pub greedy_end: (f64, f64),
}

/// Start/end summary of the runs of one algorithm (one per seed).
pub fn reward_change(runs: &[&RunResult]) -> Option<RewardChange> {
    let first = runs.first()?;
    let pick = |f: &dyn Fn(&RunResult) -> Option<f64>| -> Vec<f64> {
        runs.iter().filter_map(|r| f(r)).collect()
    };
    let s = pick(&|r| r.evals.first().map(|e| e.expected_accuracy));
    let e = pick(&|r| r.evals.last().map(|e| e.expected_accuracy));
    let d: Vec<f64> = s.iter().zip(&e).map(|(a, b)| b - a).collect();
    Some(RewardChange {
        algo: first.config.algo.name().into(),
        seeds: runs.len(),
        start: mean_ci95(&s),
        end: mean_ci95(&e),
        change: mean_ci95(&d),
        sampled_reward: (
            mean_ci95(&pick(&|r| r.evals.first().map(|e| e.reward))),
            mean_ci95(&pick(&|r| r.evals.last().map(|e| e.reward))),
        ),
        greedy_start: mean_ci95(&pick(&|r| r.evals.first().map(|e| e.greedy_accuracy))),
        greedy_end: mean_ci95(&pick(&|r| r.evals.last().map(|e| e.greedy_accuracy))),
    })
}

/// ReMax's cost as a fraction of PPO's.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Ratios {
    /// Seconds per iteration.
    pub time: f64,
    /// CPU seconds per iteration.
    pub cpu: Option<f64>,
    /// Live tensor bytes.
    pub live_bytes: f64,
    /// RSS high-water marks.
    pub rss_peak: Option<f64>,
}

/// ReMax / PPO ratios, if both algorithms ran.
pub fn remax_over_ppo(rows: &[CostRow]) -> Option<Ratios> {
    let r = rows.iter().find(|r| r.algo == "remax")?;
    let p = rows.iter().find(|r| r.algo == "ppo")?;
    Some(Ratios {
        time: r.sec_per_iter / p.sec_per_iter,
        cpu: r.cpu_per_iter.zip(p.cpu_per_iter).map(|(a, b)| a / b),
        live_bytes: r.live_bytes as f64 / p.live_bytes as f64,
        rss_peak: r.rss_peak.zip(p.rss_peak).map(|(a, b)| a as f64 / b as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(algo: &str, sec: f64, live: u64) -> CostRow {
        CostRow {
            algo: algo.into(),
            sec_per_iter: sec,
            cpu_per_iter: Some(sec * 2.0),
            generation: sec / 2.0,
            forward: sec / 4.0,
            backward: sec / 8.0,
            optimizer: sec / 8.0,
            live_bytes: live,
            weight_bytes: live / 2,
            optimizer_bytes: live / 4,
            rss_peak: Some(4_000_000),
            rss_start: Some(1_000_000),
        }
    }

    #[test]
    fn remax_over_ppo_ratios() {
        let rows = [row("remax", 1.0, 500), row("ppo", 2.0, 1000)];
        let q = remax_over_ppo(&rows).unwrap();
        assert_eq!((q.time, q.live_bytes, q.rss_peak), (0.5, 0.5, Some(1.0)));
        assert_eq!(q.cpu, Some(0.5));
        assert!(remax_over_ppo(&rows[..1]).is_none());
    }
}
