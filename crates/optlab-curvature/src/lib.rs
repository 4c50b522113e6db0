//! optlab-curvature: Hessian-vector products, Lanczos and stochastic Lanczos quadrature,
//! per-block Hessian spectra and the block-heterogeneity score, and the Adam-vs-SGDM test
//! problems.
//!
//! * [`hvp`]: `H v` on one block or the whole model, by f64 central differences of gradients
//!   (default) or exact double backward (test reference);
//! * [`lanczos`] and [`slq`]: extreme eigenvalues and spectral densities from products;
//! * [`objective`] and [`data`]: the models and data the experiments measure.

pub mod cli;
pub mod data;
pub mod error;
pub mod hvp;
pub mod lanczos;
pub mod objective;
pub mod slq;

pub use error::{CurvError, Result};
