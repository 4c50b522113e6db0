//! `optlab lp` and `optlab bench lp` (being moved here from optlab-lp).

pub use optlab_lp::bench::{run_bench, BenchLpArgs};
pub use optlab_lp::cli::{run, LpArgs};
pub use optlab_lp::pdhg_net::experiment::reproduce as reproduce_pdhg_net;
