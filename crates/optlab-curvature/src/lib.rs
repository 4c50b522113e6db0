//! optlab-curvature: Hessian-vector products, Lanczos and stochastic Lanczos quadrature,
//! per-block Hessian spectra and the block-heterogeneity score, and the Adam-vs-SGDM test
//! problems.
//!
//! * [`hvp`]: `H v` on one block or the whole model, by f64 central differences of gradients
//!   (default) or exact double backward (test reference);
//! * [`lanczos`] and [`slq`]: extreme eigenvalues and spectral densities from products;
//! * [`blocks`]: per-block spectra, pairwise JS divergences, the heterogeneity score;
//! * [`bench`]: the cost of one HVP in gradient evaluations;
//! * [`objective`] and [`data`]: the models and data the experiments measure;
//! * [`gap`]: the heterogeneity score against the SGD-momentum/Adam loss gap;
//! * [`smooth`] and [`smooth_sweep`]: Adam vs SGD-momentum on (L0,L1)-smooth problems;
//! * [`svg`]: density and gradient-norm charts.

pub mod bench;
pub mod blocks;
pub mod data;
pub mod error;
pub mod gap;
pub mod hvp;
pub mod lanczos;
pub mod objective;
pub mod slq;
pub mod smooth;
pub mod smooth_sweep;
pub mod svg;

pub use error::{CurvatureError, Result};
