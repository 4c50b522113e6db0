//! Alignment from rewards (issue 6): reward models, ReMax, PPO, RLOO and GRPO on one rollout
//! core, with per-iteration cost accounting.
//!
//! * [`math`]: advantages, GAE, clipped objectives, KL estimators, confidence intervals;
//! * [`losses`]: the same objectives on `[batch, time]` tensors, differentiable;
//! * [`task`]: the verifiable arithmetic task, its rule reward and generated preferences;
//! * [`reward`], [`prefs`]: reward models (decoder + scalar head, Bradley-Terry) and their data;
//! * [`policy`], [`rollout`]: policy folders, the frozen reference, responses and batches;
//! * [`config`], [`learner`], [`run`]: the four algorithms and the alignment loop;
//! * [`cost`]: phase timings, live tensor bytes and RSS high-water marks.

pub mod cli;
pub mod config;
pub mod cost;
pub mod learner;
pub mod losses;
pub mod math;
pub mod policy;
pub mod prefs;
pub mod reward;
pub mod rollout;
pub mod run;
pub mod task;
