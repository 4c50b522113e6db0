//! The networks this crate trains, attacks and bounds: optlab-core's MLP and small CNN behind
//! one [`Classifier`] interface, with a serialisable architecture description.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use optlab_core::models::{Mlp, SmallCnn};
use optlab_core::params::ParamStore;
use serde::{Deserialize, Serialize};

use crate::conv_norm::ConvInput;
use crate::data::ImageSet;
use crate::error::{Result, RobustError};

/// Anything that maps images `[b, 1, rows, cols]` to logits `[b, classes]`.
pub trait Classifier {
    /// Logits for a batch of images.
    fn logits(&self, x: &Tensor) -> Result<Tensor>;
    /// The trainable parameters.
    fn store(&self) -> &ParamStore;
}

impl Classifier for Mlp {
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward(x)?)
    }
    fn store(&self) -> &ParamStore {
        self.params()
    }
}

impl Classifier for SmallCnn {
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        Ok(self.forward(x)?)
    }
    fn store(&self) -> &ParamStore {
        self.params()
    }
}

/// Architecture of a saved network (written next to its weights as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "lowercase")]
pub enum Arch {
    /// Fully connected ReLU network with `widths = [input, hidden…, classes]`.
    Mlp {
        /// Layer widths including input and output.
        widths: Vec<usize>,
    },
    /// optlab-core's small CNN on single-channel `side x side` images.
    Cnn {
        /// Image side (divisible by 4).
        side: usize,
        /// Filters of the first stage.
        width: usize,
        /// Number of classes.
        classes: usize,
    },
}

/// Network family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Fully connected ReLU network.
    Mlp,
    /// optlab-core's small CNN.
    Cnn,
}

impl ModelKind {
    /// The architecture of this family for `data`'s images: an MLP with `depth` hidden layers
    /// of `width` units, or the CNN with `width` first-stage filters (square images only).
    pub fn arch(self, data: &ImageSet, width: usize, depth: usize) -> Result<Arch> {
        match self {
            ModelKind::Mlp => {
                let mut widths = vec![data.dim()];
                widths.extend(std::iter::repeat_n(width, depth));
                widths.push(data.classes);
                Ok(Arch::Mlp { widths })
            }
            ModelKind::Cnn if data.rows != data.cols => Err(RobustError::Config(format!(
                "the CNN needs square images, got {}x{}",
                data.rows, data.cols
            ))),
            ModelKind::Cnn => Ok(Arch::Cnn {
                side: data.rows,
                width,
                classes: data.classes,
            }),
        }
    }
}

impl Arch {
    /// Where each convolution layer is applied, in forward order (empty for an MLP): the small
    /// CNN's two 3x3 convolutions use stride 1 and zero padding 1, the first on the `side x
    /// side` image and the second after one 2x2 average pool.
    pub fn conv_inputs(&self) -> Vec<ConvInput> {
        match self {
            Arch::Mlp { .. } => Vec::new(),
            Arch::Cnn { side, .. } => [*side, side / 2]
                .into_iter()
                .map(|s| ConvInput {
                    h: s,
                    w: s,
                    stride: 1,
                    pad: 1,
                })
                .collect(),
        }
    }
}

/// A network of either kind.
pub enum Net {
    /// An MLP.
    Mlp(Mlp),
    /// A small CNN.
    Cnn(SmallCnn),
}

impl Net {
    /// A freshly initialised network of architecture `arch` (f32).
    pub fn new(arch: &Arch, device: &Device, seed: u64) -> Result<Self> {
        Ok(match arch {
            Arch::Mlp { widths } => {
                if widths.len() < 2 || widths.contains(&0) {
                    return Err(RobustError::Config(format!(
                        "MLP widths {widths:?} need at least input and output, all positive"
                    )));
                }
                Net::Mlp(Mlp::new(widths, DType::F32, device, seed)?)
            }
            Arch::Cnn {
                side,
                width,
                classes,
            } => {
                if side % 4 != 0 || *side == 0 || *width == 0 || *classes == 0 {
                    return Err(RobustError::Config(format!(
                        "CNN needs a positive side divisible by 4 and positive width/classes, \
                         got side {side}, width {width}, classes {classes}"
                    )));
                }
                Net::Cnn(SmallCnn::new(
                    1,
                    *side,
                    *width,
                    *classes,
                    DType::F32,
                    device,
                    seed,
                )?)
            }
        })
    }

    /// Saves weights to `path` (safetensors) and the architecture to `path` + `.json`.
    pub fn save(&self, arch: &Arch, path: &Path) -> Result<()> {
        self.store().save_safetensors(path)?;
        let meta = arch_path(path);
        let text = serde_json::to_string_pretty(arch)
            .map_err(|e| RobustError::Config(format!("cannot encode architecture: {e}")))?;
        std::fs::write(&meta, text).map_err(|source| RobustError::Io { path: meta, source })
    }

    /// Loads a network saved by [`Net::save`].
    pub fn load(path: &Path, device: &Device) -> Result<(Self, Arch)> {
        let meta = arch_path(path);
        let text = std::fs::read_to_string(&meta).map_err(|source| RobustError::Io {
            path: meta.clone(),
            source,
        })?;
        let arch: Arch = serde_json::from_str(&text).map_err(|e| {
            RobustError::Config(format!("{}: bad architecture JSON: {e}", meta.display()))
        })?;
        let net = Net::new(&arch, device, 0)?;
        net.store().load_safetensors(path)?;
        Ok((net, arch))
    }
}

/// The architecture file that accompanies weights at `path`.
pub fn arch_path(path: &Path) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".json");
    s.into()
}

impl Classifier for Net {
    fn logits(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Net::Mlp(m) => m.logits(x),
            Net::Cnn(c) => c.logits(x),
        }
    }
    fn store(&self) -> &ParamStore {
        match self {
            Net::Mlp(m) => m.store(),
            Net::Cnn(c) => c.store(),
        }
    }
}
