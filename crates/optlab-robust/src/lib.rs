//! optlab-robust: adversarial attacks, adversarial training and generalization bounds.
//!
//! The main entry points are [`train::train`] (clean or PGD adversarial training),
//! [`train::evaluate`] (clean and robust accuracy) and [`bounds::evaluate_bounds`] (every term
//! of the spectral-complexity bounds of a trained network):
//!
//! ```no_run
//! use candle_core::Device;
//! use optlab_robust::attack::{AttackConfig, Norm};
//! use optlab_robust::bounds::evaluate_bounds;
//! use optlab_robust::data::generated_shapes;
//! use optlab_robust::model::{ModelKind, Net};
//! use optlab_robust::train::{train, TrainConfig};
//!
//! # fn main() -> optlab_robust::Result<()> {
//! let dev = Device::Cpu;
//! let data = generated_shapes(200, 16, 0.1, 1)?;
//! let arch = ModelKind::Mlp.arch(&data, 64, 1)?;
//! let net = Net::new(&arch, &dev, 0)?;
//! let attack = AttackConfig::pgd(Norm::Linf, 0.05, 5);
//! let cfg = TrainConfig { adversary: Some(attack.clone()), ..TrainConfig::default() };
//! train(&net, &data, &cfg, &dev, &optlab_core::report::Silent)?;
//! let (bounds, eval) = evaluate_bounds(&net, None, &arch.conv_inputs(), &data, &attack, 0.05, 0, &dev)?;
//! assert!(bounds.spectral_complexity > 0.0 && eval.robust_acc <= eval.clean_acc + 1.0);
//! # Ok(())
//! # }
//! ```
//!
//! * [`data`]: IDX (MNIST / Fashion-MNIST) reader and an embedded generated shape data set;
//! * [`attack`]: FGSM and PGD-k under L-infinity and L2 with random start and restarts;
//! * [`model`]: the MLP and small CNN behind one [`model::Classifier`] interface;
//! * [`train`]: clean and PGD adversarial training, clean/robust accuracy and the robust gap;
//! * [`linalg`], [`conv_norm`] and [`bounds`]: spectral norms (dense, and convolutions as the
//!   operator on their input shape; exact values by faer for layers of any size),
//!   (2,1)-norms, the Bartlett-style spectral-complexity bound and a reconstructed adversarial
//!   counterpart (see [`bounds`] for what could not be checked);
//! * [`sweep`]: the width experiment and its SVG.
//!
//! The `optlab robust` command line lives in the `optlab` crate.
#![warn(missing_docs)]

pub mod attack;
pub mod bounds;
pub mod conv_norm;
pub mod data;
pub mod error;
pub mod linalg;
pub mod model;
pub mod sweep;
pub mod train;

pub use error::{Result, RobustError};
