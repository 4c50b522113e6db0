//! Reward models, ReMax, PPO, RLOO and GRPO (issue 6).

pub mod cli;
