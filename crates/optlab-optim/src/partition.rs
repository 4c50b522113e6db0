//! Adam-mini's parameter partition (reference version 1.1.1), decided by parameter role.
//!
//! | role | blocks (one second-moment scalar each) |
//! |---|---|
//! | bias | one per entry (plain Adam), no weight decay |
//! | query / key | one per head: rows of `head_dim × in_features` entries, so a key tensor under
//! grouped-query attention gives `n_kv_heads` blocks |
//! | embedding, output head, value, attention output, MLP, plain linear | one per row (dim 0) |
//! | norm | one per tensor, no weight decay |
//! | fused QKV, conv | one per tensor (as the reference, which has no rule for them) |
//! | unknown | one per tensor, listed in a warning |
//!
//! Two defects of the reference are not copied: 1-D tensors whose role asks for rows or heads
//! get one block per tensor instead of a crash, and the head size is `head_dim × in_features`
//! rather than `dim²/n_heads`. Roles come from the model definition or, for checkpoints, from
//! [`optlab_core::params::classify_name`], which recognises Llama, Qwen2, Mistral and GPT-2
//! names; a tied output head is the embedding tensor and is therefore partitioned once.

use optlab_core::params::{NamedParam, ParamRole};
use optlab_core::{CoreError, Result};
use serde::Serialize;

use crate::config::AttnShape;

/// How a tensor is cut into Adam-mini blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// One second moment per entry (plain Adam).
    PerEntry,
    /// One per attention head.
    PerHead,
    /// One per row (output neuron or token).
    PerRow,
    /// One for the whole tensor.
    Whole,
}

/// The resolved partition of one tensor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockSpec {
    /// How the tensor is cut.
    pub kind: BlockKind,
    /// Number of blocks.
    pub blocks: usize,
    /// Entries per block (all blocks are the same size, contiguous in row-major order).
    pub block_len: usize,
    /// Whether decoupled weight decay applies.
    pub decays: bool,
}

/// One row of the partition table.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionRow {
    /// Parameter name.
    pub name: String,
    /// Parameter role.
    pub role: ParamRole,
    /// Parameter shape.
    pub shape: Vec<usize>,
    /// Resolved blocks.
    pub spec: BlockSpec,
    /// Adam-mini state bytes for this tensor (f32 m per entry + f32 v per block).
    pub state_bytes: usize,
}

impl PartitionRow {
    /// A row with its state bytes computed from the shape and the blocks.
    pub fn new(name: String, role: ParamRole, shape: Vec<usize>, spec: BlockSpec) -> Self {
        let numel: usize = shape.iter().product();
        Self {
            name,
            role,
            state_bytes: 4 * (numel + spec.blocks),
            shape,
            spec,
        }
    }
}

/// The reference README's short-run setting (`wv_names = {}`): one block for each whole value
/// tensor instead of one per output neuron; other rows are unchanged.
pub fn use_whole_value_blocks(rows: &mut [PartitionRow]) {
    for row in rows.iter_mut().filter(|r| r.role == ParamRole::Value) {
        let numel: usize = row.shape.iter().product();
        let spec = BlockSpec {
            kind: BlockKind::Whole,
            blocks: 1,
            block_len: numel,
            decays: row.spec.decays,
        };
        *row = PartitionRow::new(row.name.clone(), row.role, row.shape.clone(), spec);
    }
}

/// Partition of one tensor of role `role` and shape `shape`.
pub fn block_spec(role: ParamRole, shape: &[usize], attn: Option<AttnShape>) -> Result<BlockSpec> {
    let numel: usize = shape.iter().product();
    let whole = |decays: bool| BlockSpec {
        kind: BlockKind::Whole,
        blocks: 1,
        block_len: numel,
        decays,
    };
    let two_d = shape.len() >= 2 && numel > 0;
    let spec = match role {
        ParamRole::Bias => BlockSpec {
            kind: BlockKind::PerEntry,
            blocks: numel,
            block_len: 1,
            decays: false,
        },
        ParamRole::Norm => whole(false),
        ParamRole::Query | ParamRole::Key if two_d => {
            let a = attn.ok_or_else(|| {
                CoreError::Config(
                    "adam-mini needs the attention shape (hidden, heads, kv heads) to cut \
                     query/key tensors into heads"
                        .into(),
                )
            })?;
            let head_len = a.head_dim() * (numel / shape[0]);
            if head_len == 0 || numel % head_len != 0 {
                return Err(CoreError::Config(format!(
                    "query/key tensor of shape {shape:?} does not split into heads of \
                     head_dim {}",
                    a.head_dim()
                )));
            }
            BlockSpec {
                kind: BlockKind::PerHead,
                blocks: numel / head_len,
                block_len: head_len,
                decays: true,
            }
        }
        ParamRole::Embedding
        | ParamRole::OutputHead
        | ParamRole::Value
        | ParamRole::AttnOutput
        | ParamRole::MlpUp
        | ParamRole::MlpGate
        | ParamRole::MlpDown
        | ParamRole::Linear
            if two_d =>
        {
            BlockSpec {
                kind: BlockKind::PerRow,
                blocks: shape[0],
                block_len: numel / shape[0],
                decays: true,
            }
        }
        _ => whole(true),
    };
    Ok(spec)
}

/// The full Adam-mini partition table of a parameter set, and the names no rule recognised
/// (role `Other`), which get one block per tensor.
pub fn partition_table(
    params: &[NamedParam],
    attn: Option<AttnShape>,
) -> Result<(Vec<PartitionRow>, Vec<String>)> {
    let entries: Vec<(String, ParamRole, Vec<usize>)> = params
        .iter()
        .map(|p| (p.name.clone(), p.role, p.var.dims().to_vec()))
        .collect();
    partition_entries(&entries, attn)
}

/// [`partition_table`] for `(name, role, shape)` entries, e.g. read from a checkpoint header.
pub fn partition_entries(
    entries: &[(String, ParamRole, Vec<usize>)],
    attn: Option<AttnShape>,
) -> Result<(Vec<PartitionRow>, Vec<String>)> {
    let mut rows = Vec::with_capacity(entries.len());
    let mut unknown = Vec::new();
    for (name, role, shape) in entries {
        let spec = block_spec(*role, shape, attn)?;
        if *role == ParamRole::Other {
            unknown.push(name.clone());
        }
        rows.push(PartitionRow::new(name.clone(), *role, shape.clone(), spec));
    }
    Ok((rows, unknown))
}

/// The warning for names that fell back to one block per tensor, if there are any.
pub fn unknown_warning(unknown: &[String]) -> Option<String> {
    (!unknown.is_empty()).then(|| {
        format!(
            "adam-mini: no partition rule for {} tensor(s), one block each: {}",
            unknown.len(),
            unknown.join(", ")
        )
    })
}
