//! `optlab rlhf` and `optlab rm` (library: optlab-rlhf).
//!
//! * `align_cmd`: `optlab rlhf`, one or more alignment runs; `summary`: their cost table,
//!   reward changes and curves, printed and written to the output folder;
//! * `rm_cmd`: `optlab rm train`.

mod align_cmd;
mod rm_cmd;
mod summary;

pub use align_cmd::{run, RlhfArgs};
pub use rm_cmd::{run_rm, RmArgs};
