//! Alignment from rewards (issue 6): reward models, ReMax, PPO, RLOO and GRPO on one rollout
//! core, with per-iteration cost accounting.
//!
//! * [`math`]: advantages, GAE, clipped objectives, KL estimators, confidence intervals;
//! * [`losses`]: the same objectives on `[batch, time]` tensors, differentiable;
//! * [`task`]: the verifiable arithmetic task, its rule reward and generated preferences;
//! * [`reward`], [`prefs`]: reward models (decoder + scalar head, Bradley-Terry) and their data;
//! * [`policy`], [`rollout`]: policy folders, the frozen reference, responses and batches;
//! * [`config`], [`learner`], [`run`]: the four algorithms and the alignment loop;
//! * [`cost`]: phase timings, live tensor bytes and RSS high-water marks;
//! * [`report`], [`compare`]: cost table, reward changes with CIs, reward curves;
//! * [`cli`], [`rm_cli`]: `optlab rlhf` and `optlab rm train`.

pub mod cli;
pub mod compare;
pub mod config;
pub mod cost;
pub mod learner;
pub mod losses;
pub mod math;
pub mod policy;
pub mod prefs;
pub mod report;
pub mod reward;
pub mod rm_cli;
pub mod rm_train;
pub mod rollout;
pub mod run;
pub mod task;
