//! Models with Hugging Face-style parameter names: a Llama-style decoder, an MLP, a small CNN.

mod cnn;
mod dense;
mod hf_dir;
mod llama;
mod mlp;

pub use cnn::SmallCnn;
pub use dense::Dense;
pub use hf_dir::{load_model_dir, read_config, save_model_dir};
pub use llama::{lm_loss, Llama, LlamaConfig};
pub use mlp::Mlp;

#[cfg(test)]
mod tests;
