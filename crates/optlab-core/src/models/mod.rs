//! Models with Hugging Face-style parameter names: a Llama-style decoder, an MLP, a small CNN.

mod attention;
mod cnn;
mod config_check;
mod dense;
mod gguf;
mod hf_dir;
mod llama;
mod mlp;
mod source;

pub use attention::{segment_causal_mask, KvCache};
pub use cnn::SmallCnn;
pub use config_check::{
    parse_llama_config, MAX_HEADS, MAX_HIDDEN, MAX_INTERMEDIATE, MAX_LAYERS, MAX_POSITIONS,
    MAX_VOCAB,
};
pub use dense::Dense;
pub use gguf::{gguf_config, gguf_tokenizer_json, load_gguf, permute_qk, unpermute_qk};
pub use hf_dir::{
    load_model_dir, load_model_weights, read_config, save_model_dir, save_model_weights,
};
pub use llama::{lm_loss, Llama, LlamaConfig};
pub use mlp::Mlp;
pub use source::{LoadedModel, ModelSource, TokenizerSpec, BUILTIN_TOKENIZER_FILE};

#[cfg(test)]
mod cache_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod validation_tests;
