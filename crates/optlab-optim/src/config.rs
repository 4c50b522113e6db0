//! Hyper-parameters shared by every optimizer of the crate, and the attention shape that
//! Adam-mini's per-head blocks need.

/// Default MoFO filtering fraction: 0.15, the value of every shipped MoFO script and of the
/// open-instruct integration (`--MoFO_fraction 0.15`); the reference class's own keyword
/// default is 0.03.
pub const DEFAULT_FRACTION: f64 = 0.15;

/// Hyper-parameters shared by every optimizer of the crate (each reads the fields it uses).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimConfig {
    /// Learning rate used by candle's `Optimizer::step` (the training loop passes its own).
    pub lr: f64,
    /// First-moment decay (Adam family).
    pub beta1: f64,
    /// Second-moment decay (Adam family).
    pub beta2: f64,
    /// Denominator epsilon, added outside the square root as in PyTorch.
    pub eps: f64,
    /// Weight decay: decoupled for AdamW, Adam-mini and MoFO; an L2 term for SGD and Adam.
    /// Never applied to parameters whose role does not decay (norms, biases).
    pub weight_decay: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// SGD Nesterov momentum.
    pub nesterov: bool,
    /// MoFO: fraction of each partition's entries updated per step.
    pub mofo_fraction: f64,
    /// Adam-mini: attention shape for per-head query/key blocks.
    pub attn: Option<AttnShape>,
    /// Adam-mini: one block for each whole value tensor instead of one per row, the reference
    /// README's setting (`wv_names = {}`) for runs shorter than about 10k steps.
    pub mini_whole_value: bool,
}

impl Default for OptimConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.9,
            nesterov: false,
            mofo_fraction: DEFAULT_FRACTION,
            attn: None,
            mini_whole_value: false,
        }
    }
}

/// Attention shape that Adam-mini's per-head blocks need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttnShape {
    /// Model width.
    pub hidden: usize,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention).
    pub n_kv_heads: usize,
}

impl AttnShape {
    /// The attention shape of a Llama/Qwen2/Mistral configuration.
    pub fn from_llama(cfg: &optlab_core::models::LlamaConfig) -> Self {
        Self {
            hidden: cfg.hidden_size,
            n_heads: cfg.num_attention_heads,
            n_kv_heads: cfg.kv_heads(),
        }
    }

    /// Width of one head.
    pub fn head_dim(&self) -> usize {
        self.hidden / self.n_heads.max(1)
    }
}
