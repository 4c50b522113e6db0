//! optlab-curvature: Hessian-vector products, Lanczos and stochastic Lanczos quadrature,
//! per-block Hessian spectra and the block-heterogeneity score, and the Adam-vs-SGDM test
//! problems.

pub mod cli;
