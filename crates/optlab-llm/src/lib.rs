//! optlab-llm: post-training of causal language models.
//!
//! * [`sft`]: supervised fine-tuning with cross-entropy or GEM, SFT data, evaluation;
//! * [`rlhf`]: reward models, ReMax, PPO, RLOO and GRPO with cost accounting;
//! * [`semiopen`]: SCARA closed-layer selection and recovery-attack simulation.

pub mod rlhf;
pub mod semiopen;
pub mod sft;
