//! Settings of an alignment run, with the reference implementations' defaults where they
//! fit a byte-level model answering in a few tokens.

use serde::Serialize;

/// Which policy-gradient algorithm updates the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// REINFORCE with the greedy response's reward as baseline (one sample + one greedy).
    Remax,
    /// PPO: critic, GAE, clipped objective and value loss, several epochs per batch.
    Ppo,
    /// REINFORCE leave-one-out over a group of samples.
    Rloo,
    /// Group-normalised advantages with a k3 KL loss.
    Grpo,
}

impl Algo {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Algo::Remax => "remax",
            Algo::Ppo => "ppo",
            Algo::Rloo => "rloo",
            Algo::Grpo => "grpo",
        }
    }
}

/// Where PPO's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueMode {
    /// A separate decoder with a scalar head (initialised from the policy), its own optimizer.
    Model,
    /// A scalar head on the policy's final hidden states (shared trunk).
    Head,
}

/// One alignment run.
#[derive(Debug, Clone, Serialize)]
pub struct RlConfig {
    /// Algorithm.
    pub algo: Algo,
    /// Policy updates (iterations of rollout + update).
    pub iterations: usize,
    /// Prompts per iteration.
    pub prompts: usize,
    /// Samples per prompt for RLOO and GRPO (at least 2).
    pub group: usize,
    /// Policy learning rate (AdamW, no weight decay).
    pub lr: f64,
    /// Coefficient of the per-token KL penalty (k1 in the reward for ReMax, PPO and RLOO).
    pub kl_coef: f64,
    /// Coefficient of GRPO's k3 KL loss.
    pub grpo_beta: f64,
    /// Discount on ReMax's terminal reward (reference: 0.99).
    pub gamma: f64,
    /// Clip on ReMax's reward difference and PPO's terminal reward (reference: 5).
    pub reward_clip: f64,
    /// PPO epochs per rollout batch.
    pub ppo_epochs: usize,
    /// PPO ratio clip epsilon.
    pub clip_eps: f64,
    /// PPO value clip epsilon.
    pub value_clip: f64,
    /// GAE lambda (gamma 1 for PPO, as in DeepSpeed-Chat).
    pub gae_lambda: f64,
    /// Weight of the value loss when the critic is a head on the policy trunk.
    pub vf_coef: f64,
    /// Critic kind.
    pub value_mode: ValueMode,
    /// Critic learning rate.
    pub value_lr: f64,
    /// Global gradient-norm clip (0 disables).
    pub grad_clip: f64,
    /// Sampling temperature of rollouts.
    pub temperature: f64,
    /// Nucleus of rollouts (reference: 0.9).
    pub top_p: f64,
    /// New tokens per response at most.
    pub max_new_tokens: usize,
    /// Held-out prompts scored at each evaluation.
    pub eval_prompts: usize,
    /// Evaluate every this many iterations (and at the start and end).
    pub eval_every: usize,
    /// Seed of prompts and sampling.
    pub seed: u64,
}

impl RlConfig {
    /// Defaults for `algo` on the arithmetic task.
    pub fn new(algo: Algo) -> Self {
        Self {
            algo,
            iterations: 40,
            prompts: 32,
            group: 2,
            lr: 3e-5,
            kl_coef: 0.05,
            grpo_beta: 0.04,
            gamma: 0.99,
            reward_clip: 5.0,
            ppo_epochs: 2,
            clip_eps: 0.2,
            value_clip: 0.2,
            gae_lambda: 0.95,
            vf_coef: 0.1,
            value_mode: ValueMode::Model,
            value_lr: 1e-4,
            grad_clip: 1.0,
            temperature: 1.0,
            top_p: 0.9,
            max_new_tokens: 6,
            eval_prompts: 200,
            eval_every: 10,
            seed: 0,
        }
    }

    /// One-line error for settings no algorithm can run with.
    pub fn validate(&self) -> crate::error::Result<()> {
        let bad = |m: &str| {
            Err(crate::error::RlhfError::Invalid(format!(
                "invalid rlhf setting: {m}"
            )))
        };
        if self.iterations == 0 || self.prompts == 0 {
            return bad("--iterations and --prompts must be positive");
        }
        if matches!(self.algo, Algo::Rloo | Algo::Grpo) && self.group < 2 {
            return bad("--group must be at least 2 for rloo and grpo");
        }
        if self.ppo_epochs == 0 || self.max_new_tokens == 0 {
            return bad("--ppo-epochs and --max-new-tokens must be positive");
        }
        let finite = [
            self.lr,
            self.kl_coef,
            self.gamma,
            self.clip_eps,
            self.temperature,
        ];
        if finite.iter().any(|x| !x.is_finite() || *x < 0.0) || self.lr <= 0.0 {
            return bad("learning rate, KL coefficient, gamma, clip and temperature must be finite and non-negative (lr positive)");
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return bad("--top-p must be in (0, 1]");
        }
        Ok(())
    }
}
