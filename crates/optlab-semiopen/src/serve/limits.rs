//! How big a request the service accepts: limits on rows, tokens per row and tokens per
//! request, derived from the memory the machine has free and the closed part's shape, so a
//! request is refused (HTTP 413) before anything sized by it is allocated.

use optlab_core::models::LlamaConfig;

/// Bytes of request body allowed per token of [`Limits::max_tokens`]: an id has at most 10
/// digits, plus its comma and some white space.
pub const BODY_BYTES_PER_TOKEN: usize = 16;

/// Request body allowed on top of the per-token share (brackets, the `ids` key, padding).
pub const BODY_BYTES_BASE: usize = 4096;

/// Memory assumed free where `/proc/meminfo` cannot be read (not Linux).
pub const FALLBACK_MEM_AVAILABLE: u64 = 2 << 30;

/// Largest default of [`Limits::max_tokens`], however much memory is free.
pub const MAX_TOKENS_CAP: usize = 1 << 20;

/// Default of [`Limits::max_batch`] (rows per request).
pub const DEFAULT_MAX_BATCH: usize = 256;

/// The largest request the service answers, and what the token limit was derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Token ids per request, rows x sequence length (`--max-tokens`).
    pub max_tokens: usize,
    /// Rows per request (`--max-batch`).
    pub max_batch: usize,
    /// Tokens per row (`--max-seq`, at most the model's positions).
    pub max_seq: usize,
    /// Memory one request may use: MemAvailable / 2 / concurrent computations.
    pub budget_bytes: u64,
    /// Estimated peak bytes per token of a row of `max_seq` tokens.
    pub bytes_per_token: u64,
}

/// Estimated peak bytes per token for rows of `seq` tokens through `k` closed layers of a
/// model shaped like `cfg`: per layer, about 14 hidden-sized and 4 intermediate-sized f32
/// activations per token (kept for the whole pass) plus 3 attention scores per head and
/// earlier position; once, the request and reply (ids, hidden states, their JSON digits).
pub fn bytes_per_token(cfg: &LlamaConfig, k: usize, seq: usize) -> u64 {
    let (h, i, heads) = (
        cfg.hidden_size as u64,
        cfg.intermediate_size as u64,
        cfg.num_attention_heads as u64,
    );
    let per_layer = 4 * (14 * h + 4 * i + 3 * heads * seq as u64);
    let once = 4 * 10 * h + 24 * h + 64;
    k.max(1) as u64 * per_layer + once
}

/// `MemAvailable` from `/proc/meminfo`, in bytes; `None` where it cannot be read.
pub fn mem_available_bytes() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

impl Limits {
    /// Limits for `k` closed layers of `cfg` with `workers` concurrent computations and
    /// `mem_available` bytes free (read from `/proc/meminfo` when `None`). `max_seq`
    /// defaults to the model's positions (and never exceeds them); the token limit to
    /// `budget / bytes_per_token(max_seq)` (at least 1, at most [`MAX_TOKENS_CAP`]); the
    /// row limit to [`DEFAULT_MAX_BATCH`].
    pub fn derive(
        cfg: &LlamaConfig,
        k: usize,
        workers: usize,
        max_seq: Option<usize>,
        mem_available: Option<u64>,
    ) -> Self {
        let max_seq = max_seq
            .unwrap_or(cfg.max_position_embeddings)
            .clamp(1, cfg.max_position_embeddings.max(1));
        let mem = mem_available
            .or_else(mem_available_bytes)
            .unwrap_or(FALLBACK_MEM_AVAILABLE);
        let budget_bytes = mem / 2 / workers.max(1) as u64;
        let bytes_per_token = bytes_per_token(cfg, k, max_seq);
        let max_tokens = (budget_bytes / bytes_per_token).clamp(1, MAX_TOKENS_CAP as u64) as usize;
        Self {
            max_tokens,
            max_batch: DEFAULT_MAX_BATCH,
            max_seq,
            budget_bytes,
            bytes_per_token,
        }
    }

    /// Largest request body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_tokens
            .saturating_mul(BODY_BYTES_PER_TOKEN)
            .saturating_add(BODY_BYTES_BASE)
    }

    /// Why a batch of `rows` rows of `seq` tokens is refused, naming the limit; `None` when
    /// it is within every limit.
    pub fn refuse(&self, rows: usize, seq: usize) -> Option<String> {
        let tokens = rows.saturating_mul(seq);
        if rows > self.max_batch {
            Some(format!(
                "batch of {rows} rows exceeds the limit of {} rows per request (--max-batch)",
                self.max_batch
            ))
        } else if seq > self.max_seq {
            Some(format!(
                "sequence of {seq} tokens exceeds the limit of {} tokens per row (--max-seq)",
                self.max_seq
            ))
        } else if tokens > self.max_tokens {
            Some(format!(
                "request of {rows} x {seq} = {tokens} tokens exceeds the limit of {} tokens per request (--max-tokens)",
                self.max_tokens
            ))
        } else {
            None
        }
    }

    /// Why a body of `length` bytes is refused, naming the limit; `None` when it fits.
    pub fn refuse_body(&self, length: usize) -> Option<String> {
        let max = self.max_body_bytes();
        (length > max).then(|| {
            format!(
                "request body of {length} bytes exceeds the limit of {max} bytes ({BODY_BYTES_PER_TOKEN} bytes per token of the {} tokens per request of --max-tokens)",
                self.max_tokens
            )
        })
    }
}
