//! optlab-rlhf: alignment from rewards. Reward models, ReMax, PPO, RLOO and GRPO on one
//! rollout core, with per-iteration cost accounting.
//!
//! * [`math`]: advantages, GAE, clipped objectives, KL estimators, confidence intervals;
//! * [`losses`]: the same objectives on `[batch, time]` tensors, differentiable;
//! * [`task`]: the verifiable arithmetic task, its rule reward and generated preferences;
//! * [`reward`], [`prefs`], [`rm_train`]: reward models (decoder + scalar head,
//!   Bradley-Terry), their preference data and their training;
//! * [`policy`], [`rollout`]: policy folders, the frozen reference, responses and batches;
//! * [`config`], [`learner`], [`run`]: the four algorithms and the alignment loop;
//! * [`optimizer`]: the AdamW (from optlab-optim) every update uses;
//! * [`cost`]: phase timings and live tensor bytes (process memory comes from
//!   [`optlab_core::process`]);
//! * [`report`]: cost table, reward changes with CIs, reward curves;
//! * [`error`]: [`RlhfError`] and [`Result`].
//!
//! Nothing here prints: runs report evaluations through [`optlab_core::report::Reporter`]
//! and return [`run::RunResult`]s, which the `optlab rlhf` command summarises.
//!
//! ```no_run
//! use candle_core::Device;
//! use optlab_core::report::Silent;
//! use optlab_core::tokenizer::ByteTokenizer;
//! use optlab_rlhf::config::{Algo, RlConfig};
//! use optlab_rlhf::learner::Rewarder;
//! use optlab_rlhf::policy::{warm_start, WarmStart};
//! use optlab_rlhf::reward::TokenizerId;
//! use optlab_rlhf::run::{run_rl, RunEnv};
//! use optlab_rlhf::task::ArithTask;
//!
//! # fn main() -> optlab_rlhf::Result<()> {
//! let dev = Device::Cpu;
//! let task = ArithTask { max_operand: 49 };
//! let ws = WarmStart { size: "tiny".into(), steps: 100, batch: 32, lr: 3e-3, seed: 0 };
//! let (policy, _loss) = warm_start(&task, &ws, &dev)?;
//! let env = RunEnv {
//!     task: &task,
//!     rewarder: &Rewarder::Rule,
//!     tok: &ByteTokenizer,
//!     tok_id: &TokenizerId::byte(),
//!     dev: &dev,
//! };
//! let result = run_rl(&policy, &env, &RlConfig::new(Algo::Remax), &Silent)?;
//! assert!(!result.evals.is_empty());
//! # Ok(())
//! # }
//! ```

pub mod config;
pub mod cost;
pub mod error;
pub mod learner;
pub mod losses;
pub mod math;
pub mod optimizer;
pub mod policy;
pub mod prefs;
pub mod report;
pub mod reward;
pub mod rm_train;
pub mod rollout;
pub mod run;
pub mod task;

pub use error::{Result, RlhfError};
