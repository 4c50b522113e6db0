//! optlab-lp: linear programming at scale with a PDLP-class first-order solver.
//!
//! * [`model::LpProblem`]: `min cᵀx + c₀` s.t. `l_c ≤ Ax ≤ u_c`, `l_v ≤ x ≤ u_v`.
//! * [`mps_read`] / [`mps_write`]: MPS input (fixed/free, gzip) and output.
//! * [`sparse`]: CSR matrices with rayon-parallel products.

// Numerical kernels index several parallel arrays at once; iterator chains would obscure them.
#![allow(clippy::needless_range_loop)]
#![warn(missing_docs)]

pub mod cli;
pub mod generate;
pub mod kkt;
pub mod model;
pub mod mps_read;
pub mod mps_write;
pub mod pdhg;
pub mod presolve;
pub mod scaling;
pub mod solution;
pub mod sparse;

pub use model::LpProblem;
pub use mps_read::{parse_mps, read_mps_file, MpsError, MpsFormat};
pub use mps_write::{to_mps_string, write_mps_file};
pub use pdhg::solve;
pub use solution::{LpSolution, SolveOptions, Status};
