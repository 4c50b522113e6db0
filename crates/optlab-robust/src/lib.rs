//! optlab-robust: adversarial attacks, adversarial training and generalization bounds.
//!
//! * [`data`]: IDX (MNIST / Fashion-MNIST) reader and an embedded generated shape data set;
//! * [`attack`]: FGSM and PGD-k under L-infinity and L2 with random start and restarts;
//! * [`train`]: clean and PGD adversarial training, clean/robust accuracy and the robust gap;
//! * [`linalg`], [`conv_norm`] and [`bounds`]: spectral norms (dense, and convolutions as the
//!   operator on their input shape), (2,1)-norms, the Bartlett-style spectral-complexity bound
//!   and a reconstructed adversarial counterpart (see [`bounds`] for what could not be checked);
//! * [`cli`]: the `optlab robust` front end.

pub mod attack;
pub mod bounds;
pub mod cli;
pub mod conv_norm;
pub mod data;
pub mod error;
pub mod linalg;
pub mod model;
pub mod sweep;
pub mod train;

pub use error::{Result, RobustError};
