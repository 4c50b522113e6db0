//! A dense layer that flattens leading dimensions into one matrix product.
//!
//! candle-nn's `Linear` broadcasts the weight over the batch for 3-D inputs, so its backward
//! pass materialises one weight-sized gradient per batch element and sums them. Folding
//! `[batch, seq, in]` into `[batch*seq, in]` gives one GEMM each way instead.

use candle_core::{Module, Tensor};

/// `y = x Wᵀ (+ b)` with `W: [out, in]`, for inputs of any rank.
#[derive(Debug, Clone)]
pub struct Dense {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Dense {
    /// A layer over existing (parameter) tensors.
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Self {
        Self { weight, bias }
    }
}

impl Module for Dense {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let dims = x.dims();
        let inp = dims[dims.len() - 1];
        let out = self.weight.dim(0)?;
        let y = x.reshape(((), inp))?.matmul(&self.weight.t()?)?;
        let y = match &self.bias {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        };
        let mut shape = dims.to_vec();
        let last = shape.len() - 1;
        shape[last] = out;
        y.reshape(shape)
    }
}
