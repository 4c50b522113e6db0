//! Batches for SFT: padded rows (one example per row), or packed rows (several examples per
//! row, separated by a block-diagonal causal mask so none attends to another).

use crate::error::{bail, Result};
use candle_core::{DType, Device, Tensor};
use optlab_core::models::{segment_causal_mask, Llama};

use crate::loss::IGNORE_INDEX;
use crate::template::Encoded;

/// Model inputs with one target per position.
pub struct Batch {
    /// Token ids `[rows, len]` (u32).
    pub ids: Tensor,
    /// Target of each position, row-major, [`IGNORE_INDEX`] where nothing is trained.
    pub targets: Vec<i64>,
    /// Additive attention mask `[rows, 1, len, len]` for packed rows; `None` means causal.
    pub mask: Option<Tensor>,
    /// Positions with a target.
    pub tokens: usize,
}

impl Batch {
    /// Logits `[rows, len, vocab]` of `model` on this batch.
    pub fn logits(&self, model: &Llama) -> Result<Tensor> {
        Ok(match &self.mask {
            Some(m) => model.forward_with_mask(&self.ids, m)?,
            None => model.forward(&self.ids)?,
        })
    }
}

/// Inputs and next-token targets of one example, truncated to `max_len` positions: position
/// `i` reads token `i` and is trained to produce token `i+1` when that token is trained.
pub fn input_targets(e: &Encoded, max_len: usize) -> (Vec<u32>, Vec<i64>) {
    let n = e.ids.len().saturating_sub(1).min(max_len);
    let inputs = e.ids[..n].to_vec();
    let targets = (0..n)
        .map(|i| {
            if e.trained[i + 1] {
                e.ids[i + 1] as i64
            } else {
                IGNORE_INDEX
            }
        })
        .collect();
    (inputs, targets)
}

/// Whether an example keeps at least one trained target within `max_len` positions.
pub fn has_targets(e: &Encoded, max_len: usize) -> bool {
    input_targets(e, max_len)
        .1
        .iter()
        .any(|&t| t != IGNORE_INDEX)
}

/// One example per row, right-padded with `pad_id` to the longest (at most `max_len`).
pub fn padded_batch(
    examples: &[&Encoded],
    max_len: usize,
    pad_id: u32,
    dev: &Device,
) -> Result<Batch> {
    if examples.is_empty() {
        bail!("empty batch");
    }
    let rows: Vec<_> = examples.iter().map(|e| input_targets(e, max_len)).collect();
    let len = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(1);
    let mut ids = Vec::with_capacity(rows.len() * len);
    let mut targets = Vec::with_capacity(rows.len() * len);
    for (x, y) in rows {
        let pad = len - x.len();
        ids.extend(x);
        ids.extend(std::iter::repeat_n(pad_id, pad));
        targets.extend(y);
        targets.extend(std::iter::repeat_n(IGNORE_INDEX, pad));
    }
    let tokens = targets.iter().filter(|&&t| t != IGNORE_INDEX).count();
    Ok(Batch {
        ids: Tensor::from_vec(ids, (examples.len(), len), dev)?,
        targets,
        mask: None,
        tokens,
    })
}

/// A row holding several examples back to back.
#[derive(Debug, Clone)]
pub struct PackedRow {
    /// Token ids (padded to the row length).
    pub ids: Vec<u32>,
    /// Targets; a segment's last position and the padding carry [`IGNORE_INDEX`].
    pub targets: Vec<i64>,
    /// Segment id of each position (padding has its own).
    pub segments: Vec<u32>,
}

/// Pack examples in order into rows of `row_len` positions (a new row starts when the next
/// example does not fit; longer examples are truncated to a row).
pub fn pack(examples: &[&Encoded], row_len: usize, pad_id: u32) -> Vec<PackedRow> {
    let mut rows = Vec::new();
    let mut cur = PackedRow {
        ids: Vec::new(),
        targets: Vec::new(),
        segments: Vec::new(),
    };
    let mut seg = 0u32;
    for e in examples {
        let (x, y) = input_targets(e, row_len);
        if !cur.ids.is_empty() && cur.ids.len() + x.len() > row_len {
            rows.push(std::mem::replace(
                &mut cur,
                PackedRow {
                    ids: Vec::new(),
                    targets: Vec::new(),
                    segments: Vec::new(),
                },
            ));
        }
        seg += 1;
        cur.segments.extend(std::iter::repeat_n(seg, x.len()));
        cur.ids.extend(x);
        cur.targets.extend(y);
    }
    if !cur.ids.is_empty() {
        rows.push(cur);
    }
    for r in &mut rows {
        let pad = row_len - r.ids.len();
        r.ids.extend(std::iter::repeat_n(pad_id, pad));
        r.targets.extend(std::iter::repeat_n(IGNORE_INDEX, pad));
        r.segments.extend(std::iter::repeat_n(0, pad));
    }
    rows
}

/// A batch of packed rows with their block-diagonal causal mask.
pub fn packed_batch(rows: &[PackedRow], dtype: DType, dev: &Device) -> Result<Batch> {
    if rows.is_empty() {
        bail!("empty batch");
    }
    let len = rows[0].ids.len();
    let ids: Vec<u32> = rows.iter().flat_map(|r| r.ids.iter().copied()).collect();
    let targets: Vec<i64> = rows
        .iter()
        .flat_map(|r| r.targets.iter().copied())
        .collect();
    let segs: Vec<Vec<u32>> = rows.iter().map(|r| r.segments.clone()).collect();
    let tokens = targets.iter().filter(|&&t| t != IGNORE_INDEX).count();
    Ok(Batch {
        ids: Tensor::from_vec(ids, (rows.len(), len), dev)?,
        targets,
        mask: Some(segment_causal_mask(&segs, dtype, dev)?),
        tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::{sft_loss, SftLoss};
    use crate::template::{encode_chat, ChatBytes, SftExample};
    use optlab_core::models::LlamaConfig;

    #[test]
    fn packed_rows_give_the_same_loss_as_separate_examples() {
        let cfg = LlamaConfig::preset("tiny", 258).unwrap();
        let model = Llama::new(&cfg, DType::F32, &Device::Cpu, 1).unwrap();
        let exs: Vec<Encoded> = [
            ("1+2?", "3"),
            ("name a bird", "a small bird"),
            ("hi", "hello there"),
        ]
        .iter()
        .map(|(p, r)| encode_chat(&ChatBytes, &SftExample::single(*p, *r)).unwrap())
        .collect();
        let refs: Vec<&Encoded> = exs.iter().collect();
        let mut want = 0.0;
        let mut want_tokens = 0;
        for e in &refs {
            let b = padded_batch(&[e], 256, 0, &Device::Cpu).unwrap();
            let out = sft_loss(&b.logits(&model).unwrap(), &b.targets, &SftLoss::CE, None).unwrap();
            want += out.ce_sum;
            want_tokens += out.tokens;
        }
        let rows = pack(&refs, 96, 0);
        assert_eq!(rows.len(), 2, "two examples fit in the first row");
        let b = packed_batch(&rows, DType::F32, &Device::Cpu).unwrap();
        let out = sft_loss(&b.logits(&model).unwrap(), &b.targets, &SftLoss::CE, None).unwrap();
        assert_eq!(out.tokens, want_tokens);
        assert!(
            (out.ce_sum - want).abs() < 1e-3 * want,
            "{} vs {want}",
            out.ce_sum
        );
        // Without the mask the second segment would see the first: the loss changes.
        let plain = Batch { mask: None, ..b };
        let leak = sft_loss(
            &plain.logits(&model).unwrap(),
            &plain.targets,
            &SftLoss::CE,
            None,
        )
        .unwrap();
        assert!((leak.ce_sum - want).abs() > 1e-3, "mask had no effect");
        // Padding: the same totals.
        let b = padded_batch(&refs, 256, 0, &Device::Cpu).unwrap();
        let out = sft_loss(&b.logits(&model).unwrap(), &b.targets, &SftLoss::CE, None).unwrap();
        assert!((out.ce_sum - want).abs() < 1e-3 * want);
    }

    #[test]
    fn targets_follow_the_trained_mask() {
        let e = Encoded {
            ids: vec![5, 6, 7, 8],
            trained: vec![false, false, true, true],
        };
        assert_eq!(
            input_targets(&e, 10),
            (vec![5, 6, 7], vec![IGNORE_INDEX, 7, 8])
        );
        assert_eq!(input_targets(&e, 1), (vec![5], vec![IGNORE_INDEX]));
        assert!(!has_targets(&e, 1));
    }
}
