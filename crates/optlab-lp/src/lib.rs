//! optlab-lp: linear programming at scale with a PDLP-class first-order solver.
//!
//! Start with [`solve()`]: it checks the [`SolveOptions`] ([`SolveOptions::validate`], typed
//! [`LpError`]s), optionally runs presolve-lite, dispatches to the chosen PDHG variant and maps
//! the solution back.
//!
//! ```
//! use optlab_lp::{parse_mps, solve, MpsFormat, SolveOptions, Status};
//! // min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  x, y >= 0   (optimum -2.8 at (1.6, 1.2))
//! let text = "NAME ex\nROWS\n N obj\n L a\n L b\nCOLUMNS\n x obj -1 a 1\n x b 3\n \
//!             y obj -1 a 2\n y b 1\nRHS\n rhs a 4 b 6\nENDATA\n";
//! let lp = parse_mps(text, MpsFormat::Free).unwrap();
//! let sol = solve(&lp, &SolveOptions { tol: 1e-8, ..Default::default() }).unwrap();
//! assert_eq!(sol.status, Status::Optimal);
//! assert!((sol.objective + 2.8).abs() < 1e-6);
//! // Options that cannot run are refused before any work.
//! let bad = SolveOptions { check_every: 0, ..Default::default() };
//! assert_eq!(solve(&lp, &bad).unwrap_err(), optlab_lp::LpError::ZeroCheckFrequency);
//! ```
//!
//! * [`model::LpProblem`]: `min cᵀx + c₀` s.t. `l_c ≤ Ax ≤ u_c`, `l_v ≤ x ≤ u_v`.
//! * [`mps_read`] / [`mps_write`]: MPS input (fixed/free, gzip) and output.
//! * [`sparse`]: CSR matrices with rayon-parallel products.
//! * [`solve()`]: restarted averaged PDHG (PDLP-style adaptive steps, KKT-based restarts,
//!   primal-weight updates) or restarted reflected Halpern PDHG (cuPDLPx), on a Ruiz +
//!   Pock–Chambolle scaled problem, terminating on the relative KKT error, with infeasibility
//!   rays; restart rules in [`RestartParams`]; optional [`presolve`]-lite (fixed/empty columns,
//!   free column singletons, empty/free/singleton rows) with primal and dual [`postsolve`].
//! * [`generate`]: planted covering/packing LPs and PageRank LPs of any size.
//! * [`pdhg_net`]: PDHG-Net (unrolled PDHG in candle) trained on a generated family, as the
//!   first stage of a two-stage solve.
//! * [`mod@bench`]: the benchmark behind `optlab bench lp` (results, no printing).

// Numerical kernels index several parallel arrays at once; iterator chains would obscure them.
#![allow(clippy::needless_range_loop)]
#![warn(missing_docs)]

pub mod bench;
pub mod error;
pub mod generate;
pub mod generate_size;
mod halpern;
pub mod kkt;
pub mod model;
pub mod mps_read;
pub mod mps_write;
pub mod options;
mod pdhg;
pub mod pdhg_net;
mod point;
pub mod postsolve;
pub mod presolve;
mod presolved;
pub mod restart;
pub mod scaling;
pub mod solution;
mod solve;
mod solver;
pub mod sparse;
mod step;
mod variant;

pub use error::LpError;
pub use generate::Family;
pub use kkt::OptimalityNorm;
pub use model::LpProblem;
pub use mps_read::{parse_mps, read_mps_file, MpsError, MpsFormat};
pub use mps_write::{to_mps_string, write_mps_file};
pub use options::{Algorithm, SolveOptions};
pub use restart::RestartParams;
pub use solution::{LpSolution, Status};
pub use solve::solve;
