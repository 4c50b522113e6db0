//! Cost accounting per iteration: wall time by phase (generation, forward, backward,
//! optimizer), the tensor bytes an algorithm keeps alive (weights, gradients, optimizer state,
//! an activation estimate) and the process's resident-set high-water mark.

use std::time::Instant;

use optlab_core::models::LlamaConfig;
use serde::Serialize;

/// Seconds spent in each phase of one iteration.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct PhaseTimes {
    /// Sampling and greedy decoding.
    pub generation: f64,
    /// Forward passes: rollout scoring (policy, reference, reward, value) and training.
    pub forward: f64,
    /// Backward passes.
    pub backward: f64,
    /// Optimizer steps.
    pub optimizer: f64,
}

impl PhaseTimes {
    /// Sum of the phases.
    pub fn total(&self) -> f64 {
        self.generation + self.forward + self.backward + self.optimizer
    }

    /// Add the phases of `o`.
    pub fn add(&mut self, o: &PhaseTimes) {
        self.generation += o.generation;
        self.forward += o.forward;
        self.backward += o.backward;
        self.optimizer += o.optimizer;
    }
}

/// The phase a timed section belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    /// See [`PhaseTimes::generation`].
    Generation,
    /// See [`PhaseTimes::forward`].
    Forward,
    /// See [`PhaseTimes::backward`].
    Backward,
    /// See [`PhaseTimes::optimizer`].
    Optimizer,
}

impl PhaseTimes {
    /// Run `f`, charging its wall time to `phase`.
    pub fn time<T>(&mut self, phase: Phase, f: impl FnOnce() -> T) -> T {
        let t0 = Instant::now();
        let out = f();
        let dt = t0.elapsed().as_secs_f64();
        match phase {
            Phase::Generation => self.generation += dt,
            Phase::Forward => self.forward += dt,
            Phase::Backward => self.backward += dt,
            Phase::Optimizer => self.optimizer += dt,
        }
        out
    }
}

/// Live tensor bytes an algorithm holds, by component (f32 everywhere).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct MemoryAccount {
    /// Weights of every model held (policy, reference, reward model, value model/head).
    pub weights: u64,
    /// Gradients of the trained parameters (one per parameter).
    pub gradients: u64,
    /// Optimizer state (AdamW: two moments per trained parameter).
    pub optimizer_state: u64,
    /// Activations kept for the backward pass of the largest training batch (estimate).
    pub activations: u64,
}

impl MemoryAccount {
    /// Sum of the components.
    pub fn total(&self) -> u64 {
        self.weights + self.gradients + self.optimizer_state + self.activations
    }
}

/// Estimated bytes of activations a decoder keeps for backward on `[b, t]` tokens: per layer
/// about `10 h + 3 i` floats per token (norm inputs/outputs, q/k/v/o, residuals, gate/up/act)
/// plus `heads * t` attention probabilities; then the final norm and `2 v` logits and
/// log-probabilities per token.
pub fn activation_bytes(cfg: &LlamaConfig, b: usize, t: usize) -> u64 {
    let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
    let per_layer = 10 * h + 3 * i + cfg.num_attention_heads * t;
    let per_token = cfg.num_hidden_layers * per_layer + 2 * h + 2 * v;
    (4 * b * t * per_token) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use optlab_core::process::{cpu_seconds, peak_rss_bytes, rss_bytes};

    #[test]
    fn phases_add_up_and_rss_is_read() {
        let mut p = PhaseTimes::default();
        let x = p.time(Phase::Backward, || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            3
        });
        assert_eq!(x, 3);
        assert!(p.backward >= 0.015 && p.generation == 0.0);
        assert!((p.total() - p.backward).abs() < 1e-12);
        if let (Some(rss), Some(hwm)) = (rss_bytes(), peak_rss_bytes()) {
            assert!(rss > 0 && hwm >= rss);
        }
        if let Some(c0) = cpu_seconds() {
            let t0 = std::time::Instant::now();
            let mut x = 0u64;
            while t0.elapsed().as_millis() < 300 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            std::hint::black_box(x);
            let used = cpu_seconds().unwrap() - c0;
            assert!(
                used > 0.0 && used < 5.0,
                "busy 0.3 s wall used {used} s CPU"
            );
        }
        let cfg = LlamaConfig::preset("tiny", 256).unwrap();
        // doubling the batch doubles the estimate
        assert_eq!(
            activation_bytes(&cfg, 2, 8),
            2 * activation_bytes(&cfg, 1, 8)
        );
    }
}
