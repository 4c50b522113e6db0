//! Models with Hugging Face-style parameter names: a Llama-style decoder, an MLP, a small CNN.

mod cnn;
mod llama;
mod mlp;

pub use cnn::SmallCnn;
pub use llama::{lm_loss, Llama, LlamaConfig};
pub use mlp::Mlp;

#[cfg(test)]
mod tests;
