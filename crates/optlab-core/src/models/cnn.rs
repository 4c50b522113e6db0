//! A small convolutional classifier: two 3x3 conv + ReLU + 2x2 average-pool stages, then a
//! linear head.

use super::dense::Dense as Linear;
use candle_core::{DType, Device, Module, Tensor};

use crate::error::Result;
use crate::params::{Init, ParamBuilder, ParamRole, ParamStore};

/// Input `[batch, channels, side, side]` with `side` divisible by 4.
pub struct SmallCnn {
    convs: Vec<(Tensor, Tensor)>,
    head: Linear,
    store: ParamStore,
}

impl SmallCnn {
    /// `channels` in, `width` filters in the first stage (twice that in the second).
    pub fn new(
        channels: usize,
        side: usize,
        width: usize,
        classes: usize,
        dtype: DType,
        device: &Device,
        seed: u64,
    ) -> Result<Self> {
        let store = ParamStore::new();
        let root = ParamBuilder::new(&store, dtype, device, seed);
        let mut convs = Vec::new();
        let mut c_in = channels;
        for (i, c_out) in [width, 2 * width].into_iter().enumerate() {
            let b = root.pp(format!("conv{}", i + 1));
            let bound = 1.0 / ((c_in * 9) as f64).sqrt();
            let w = b.param(
                "weight",
                &[c_out, c_in, 3, 3],
                Init::Uniform(bound),
                ParamRole::Conv,
            )?;
            let bias = b.param("bias", &[c_out], Init::Uniform(bound), ParamRole::Bias)?;
            convs.push((w.as_tensor().clone(), bias.as_tensor().clone()));
            c_in = c_out;
        }
        let feat = c_in * (side / 4) * (side / 4);
        let b = root.pp("fc");
        let bound = 1.0 / (feat as f64).sqrt();
        let w = b.param(
            "weight",
            &[classes, feat],
            Init::Uniform(bound),
            ParamRole::Linear,
        )?;
        let bias = b.param("bias", &[classes], Init::Uniform(bound), ParamRole::Bias)?;
        let head = Linear::new(w.as_tensor().clone(), Some(bias.as_tensor().clone()));
        Ok(Self { convs, head, store })
    }

    /// The named parameters.
    pub fn params(&self) -> &ParamStore {
        &self.store
    }

    /// Logits for images `[batch, channels, side, side]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (w, b) in &self.convs {
            h = h.conv2d(w, 1, 1, 1, 1)?;
            h = h.broadcast_add(&b.reshape((1, (), 1, 1))?)?.relu()?;
            h = h.avg_pool2d(2)?;
        }
        Ok(self.head.forward(&h.flatten_from(1)?)?)
    }
}
