//! A fully connected ReLU network for classification (curvature and robustness work).

use super::dense::Dense as Linear;
use candle_core::{DType, Device, Module, Tensor};

use crate::error::Result;
use crate::params::{Init, ParamBuilder, ParamRole, ParamStore};

/// `layers.{i}.weight/bias`, ReLU between layers, logits out.
pub struct Mlp {
    layers: Vec<Linear>,
    store: ParamStore,
}

impl Mlp {
    /// `widths = [input, hidden…, classes]`; PyTorch-style uniform initialisation.
    pub fn new(widths: &[usize], dtype: DType, device: &Device, seed: u64) -> Result<Self> {
        let store = ParamStore::new();
        let root = ParamBuilder::new(&store, dtype, device, seed).pp("layers");
        let mut layers = Vec::new();
        for (i, w) in widths.windows(2).enumerate() {
            let b = root.pp(i);
            let bound = 1.0 / (w[0] as f64).sqrt();
            let weight = b.param(
                "weight",
                &[w[1], w[0]],
                Init::Uniform(bound),
                ParamRole::Linear,
            )?;
            let bias = b.param("bias", &[w[1]], Init::Uniform(bound), ParamRole::Bias)?;
            layers.push(Linear::new(
                weight.as_tensor().clone(),
                Some(bias.as_tensor().clone()),
            ));
        }
        Ok(Self { layers, store })
    }

    /// The named parameters.
    pub fn params(&self) -> &ParamStore {
        &self.store
    }

    /// Logits for inputs `[batch, features]` (any trailing shape is flattened).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.flatten_from(1)?;
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(&h)?;
            if i + 1 < self.layers.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    }
}
