//! Adam-mini (reference version 1.1.1): Adam's first moment per entry, one second-moment
//! scalar per block of the [`crate::partition`] table.
//!
//! Per block B at step t: `p ← p·(1 − lr·wd)` (where the role decays);
//! `m ← β1·m + (1 − β1)·g`; `v_B ← β2·v_B + (1 − β2)·mean_B(g²)`;
//! `p ← p − lr·m / ((1 − β1^t)·(sqrt(v_B)/sqrt(1 − β2^t) + ε))`.

use std::collections::HashMap;

use candle_core::Tensor;
use optlab_core::params::{NamedParam, ParamStore};
use optlab_core::train::{NamedGrads, TrainOptimizer};
use optlab_core::{CoreError, Result};

use crate::common::{self, impl_candle_optimizer, Optim, Slot};
use crate::config::OptimConfig;
use crate::partition::{self, BlockSpec, PartitionRow};

/// Adam-mini over named parameters.
pub struct AdamMini {
    pub(crate) cfg: OptimConfig,
    pub(crate) slots: Vec<Slot>,
    specs: Vec<BlockSpec>,
    table: Vec<PartitionRow>,
    unknown: Vec<String>,
    t: u64,
}

impl AdamMini {
    /// Adam-mini over every parameter of `store`, partitioned by role; `cfg.attn` must be set
    /// when the store has query/key tensors.
    pub fn new(store: &ParamStore, cfg: OptimConfig) -> Result<Self> {
        Self::from_params(common::params_from_store(store), cfg)
    }

    /// Adam-mini over the given named parameters, partitioned by role. Parameters with
    /// unknown roles get one block per tensor and are listed in [`Optim::warnings`].
    pub fn from_params(params: Vec<NamedParam>, cfg: OptimConfig) -> Result<Self> {
        let (mut table, unknown) = partition::partition_table(&params, cfg.attn)?;
        if cfg.mini_whole_value {
            partition::use_whole_value_blocks(&mut table);
        }
        let specs = table.iter().map(|r| r.spec.clone()).collect();
        Self::with_specs(params, specs, table, unknown, cfg)
    }

    /// Adam-mini with an explicit block size per tensor (`block_len` must divide the tensor's
    /// size; decay follows the role). With `block_len = 1` everywhere this is AdamW.
    pub fn with_block_len(
        params: Vec<NamedParam>,
        block_len: impl Fn(&NamedParam) -> usize,
        cfg: OptimConfig,
    ) -> Result<Self> {
        let mut specs = Vec::with_capacity(params.len());
        let mut table = Vec::with_capacity(params.len());
        for p in &params {
            let numel = p.var.elem_count();
            let len = block_len(p);
            if len == 0 || numel % len != 0 {
                return Err(CoreError::Config(format!(
                    "block length {len} does not divide `{}` ({numel} entries)",
                    p.name
                )));
            }
            let spec = BlockSpec {
                kind: partition::BlockKind::Whole,
                blocks: numel / len,
                block_len: len,
                decays: p.role.decays(),
            };
            specs.push(spec.clone());
            table.push(PartitionRow::new(
                p.name.clone(),
                p.role,
                p.var.dims().to_vec(),
                spec,
            ));
        }
        Self::with_specs(params, specs, table, Vec::new(), cfg)
    }

    fn with_specs(
        params: Vec<NamedParam>,
        specs: Vec<BlockSpec>,
        table: Vec<PartitionRow>,
        unknown: Vec<String>,
        cfg: OptimConfig,
    ) -> Result<Self> {
        let slots = params
            .into_iter()
            .zip(&specs)
            .map(|(p, s)| {
                let n = p.var.elem_count();
                Slot::new(p, n, s.blocks)
            })
            .collect();
        Ok(Self {
            cfg,
            slots,
            specs,
            table,
            unknown,
            t: 0,
        })
    }

    /// The resolved partition table (name, role, shape, blocks, state bytes).
    pub fn table(&self) -> &[PartitionRow] {
        &self.table
    }

    /// Names that no rule recognised (one block per tensor).
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }
}

/// Σ g² of a slice: f32 lanes of 8 within chunks of 256 (vectorisable), chunk sums in f64.
/// Falls back to f64 squares when f32 squares overflow, so only a non-finite entry gives a
/// non-finite sum.
fn sum_sq(g: &[f32]) -> f64 {
    let mut total = 0f64;
    for chunk in g.chunks(256) {
        let mut lanes = [0f32; 8];
        let mut it = chunk.chunks_exact(8);
        for c in &mut it {
            for (l, &x) in lanes.iter_mut().zip(c) {
                *l += x * x;
            }
        }
        let tail: f32 = it.remainder().iter().map(|&x| x * x).sum();
        total += lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail);
    }
    if total.is_finite() {
        total
    } else {
        g.iter().map(|&x| f64::from(x) * f64::from(x)).sum()
    }
}

/// Per-block means of g² for one tensor, or `None` if the gradient has a non-finite entry.
fn block_mean_sq(g: &[f32], block_len: usize) -> Option<Vec<f32>> {
    g.chunks(block_len.max(1))
        .map(|b| {
            let mean = sum_sq(b) / b.len() as f64;
            mean.is_finite().then_some(mean as f32)
        })
        .collect()
}

impl TrainOptimizer for AdamMini {
    fn step(&mut self, grads: &NamedGrads, lr: f64) -> Result<()> {
        let t = self.t + 1;
        let a = common::AdamStep::new(&self.cfg, t, lr);
        let specs = &self.specs;
        // Pass 1 reads only g: the block means of g², which also reject non-finite gradients
        // before anything is modified. Pass 2 streams p, m and g once, like AdamW.
        let means = common::scan_grads(&self.slots, grads, &|i, g| {
            block_mean_sq(g, specs[i].block_len)
        })?;
        common::for_each_checked_slot(&mut self.slots, grads, &|i, _, m, v, g, p| {
            let spec = &specs[i];
            let shrink = if spec.decays { a.shrink } else { 1.0 };
            let len = spec.block_len;
            let blocks = p.chunks_mut(len).zip(m.chunks_mut(len)).zip(g.chunks(len));
            for ((((pb, mb), gb), vb), &mean) in blocks.zip(v.iter_mut()).zip(&means[i]) {
                *vb = a.b2 * *vb + (1.0 - a.b2) * mean;
                let scale = a.step / a.denom(*vb);
                for ((pi, mi), &gi) in pb.iter_mut().zip(mb.iter_mut()).zip(gb) {
                    *mi = a.b1 * *mi + (1.0 - a.b1) * gi;
                    *pi = *pi * shrink - scale * *mi;
                }
            }
        })?;
        self.t = t;
        Ok(())
    }

    fn state(&self) -> Result<HashMap<String, Tensor>> {
        common::save_state(&self.slots, "exp_avg", Some("exp_avg_sq_block"), self.t)
    }

    fn load_state(&mut self, state: &HashMap<String, Tensor>) -> Result<()> {
        self.t = common::load_state(&mut self.slots, state, "exp_avg", Some("exp_avg_sq_block"))?;
        Ok(())
    }

    fn name(&self) -> &str {
        "adam-mini"
    }
}

impl Optim for AdamMini {
    fn state_bytes(&self) -> usize {
        common::slots_state_bytes(&self.slots)
    }

    fn warnings(&self) -> Vec<String> {
        partition::unknown_warning(&self.unknown)
            .into_iter()
            .collect()
    }
}

impl_candle_optimizer!(AdamMini);
