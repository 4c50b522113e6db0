//! The bipartite variable–constraint graph PDHG-Net runs on: the LP after the solver's own
//! Ruiz + Pock–Chambolle scaling, rows rescaled to unit ℓ1 norm, normalised so that the finite bounds and the objective have
//! unit root mean square (entries of order one at every size, so a net trained on small LPs
//! sees data of the same magnitude on large ones), with `A` kept sparse (gather / scatter-add products, `O(nnz·d)`).

use super::error::{NetError, Result};
use crate::model::LpProblem;
use crate::scaling::scale_problem;
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

/// Number of per-row data features `[l̃, ũ, l = −∞, u = +∞]` fed to every dual layer.
pub const ROW_FEATURES: usize = 4;

/// Kind of a constraint row, by which of its bounds are finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// `aᵀx ≤ u`.
    Le,
    /// `aᵀx ≥ l`.
    Ge,
    /// `aᵀx = b`.
    Eq,
    /// `l ≤ aᵀx ≤ u` with `l < u`.
    Range,
    /// No finite bound.
    Free,
}

impl RowKind {
    fn of(l: f64, u: f64) -> Self {
        match (l.is_finite(), u.is_finite()) {
            (true, true) if l == u => RowKind::Eq,
            (true, true) => RowKind::Range,
            (true, false) => RowKind::Ge,
            (false, true) => RowKind::Le,
            (false, false) => RowKind::Free,
        }
    }
}

/// `Ã` triplets `(i, j, value)`, `c̃`, `l̃`, `ũ` of the normalised LP, in f64.
pub(crate) type NormalisedLp = (Vec<(usize, usize, f64)>, Vec<f64>, Vec<f64>, Vec<f64>);

/// One LP as PDHG-Net input: sparse scaled `Ã`, data features and the maps back to the LP.
pub struct LpGraph {
    /// Rows `m`.
    pub m: usize,
    /// Columns `n`.
    pub n: usize,
    rows: Tensor,
    cols: Tensor,
    vals: Tensor,
    /// `c̃` as an `n×1` tensor.
    pub obj: Tensor,
    /// Row data `[l̃, ũ, l = −∞, u = +∞]`, `m×4` (infinite bounds enter as 0 plus the flag).
    pub row_data: Tensor,
    /// Embedding input of the columns, `[c̃, 1]`, `n×2`.
    pub col_embed: Tensor,
    /// Embedding input of the rows, `[row_data, 1]`, `m×5`.
    pub row_embed: Tensor,
    /// Kinds of rows present.
    pub kinds: Vec<RowKind>,
    col_scale: Vec<f64>,
    row_scale: Vec<f64>,
    beta: f64,
    gamma: f64,
    /// Normalised data in f64 (for tests against plain PDHG): `Ã` triplets, `c̃`, `l̃`, `ũ`
    /// (infinite bounds kept infinite).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) normalised: NormalisedLp,
}

/// Root mean square of the entries, or 1 when it is zero or not finite.
fn rms_or_one(v: impl Iterator<Item = f64>) -> f64 {
    let (mut sq, mut k) = (0.0, 0usize);
    for e in v {
        sq += e * e;
        k += 1;
    }
    let s = (sq / k.max(1) as f64).sqrt();
    if s > 1e-30 && s.is_finite() {
        s
    } else {
        1.0
    }
}

fn f32_tensor(v: &[f64], shape: (usize, usize), dev: &Device) -> Result<Tensor> {
    let data: Vec<f32> = v.iter().map(|&e| e as f32).collect();
    Ok(Tensor::from_vec(data, shape, dev)?)
}

impl LpGraph {
    /// Builds the graph of `p`. PDHG-Net handles columns `x ≥ 0` only (the reference's form);
    /// any other column bound is a one-line error.
    pub fn new(p: &LpProblem, dev: &Device) -> Result<Self> {
        let (m, n) = (p.num_rows(), p.num_cols());
        if m == 0 || n == 0 {
            return Err(NetError::UnsupportedLp(format!(
                "PDHG-Net needs at least one row and one column (LP has {m} rows, {n} columns)"
            )));
        }
        for j in 0..n {
            if p.col_lower[j] != 0.0 || p.col_upper[j] != f64::INFINITY {
                let name = p
                    .col_names
                    .get(j)
                    .cloned()
                    .unwrap_or_else(|| format!("#{j}"));
                return Err(NetError::UnsupportedLp(format!(
                    "PDHG-Net supports LPs with x >= 0 only; column {name} has bounds [{}, {}]",
                    p.col_lower[j], p.col_upper[j]
                )));
            }
        }
        let mut s = scale_problem(p, 10, true);
        // Rows to unit ℓ1 norm (an exact rescaling of the LP, folded into the dual map): a dense
        // row such as PageRank's Σx = 1 then averages instead of summing, at every size.
        let mut rho = vec![1.0; m];
        for (i, r) in rho.iter_mut().enumerate() {
            let l1: f64 = s.a.row(i).map(|(_, v)| v.abs()).sum();
            if l1 > 0.0 && l1.is_finite() {
                *r = 1.0 / l1;
            }
        }
        s.a.scale(&rho, &vec![1.0; n]);
        for i in 0..m {
            s.row_lower[i] *= rho[i];
            s.row_upper[i] *= rho[i];
            s.row_scale[i] *= rho[i];
        }
        let fin = |v: f64| if v.is_finite() { v } else { 0.0 };
        let finite = s
            .row_lower
            .iter()
            .chain(&s.row_upper)
            .filter(|v| v.is_finite());
        let beta = rms_or_one(finite.copied());
        let gamma = rms_or_one(s.obj.iter().copied());
        let c: Vec<f64> = s.obj.iter().map(|v| v / gamma).collect();
        let lo: Vec<f64> = s.row_lower.iter().map(|&v| fin(v) / beta).collect();
        let up: Vec<f64> = s.row_upper.iter().map(|&v| fin(v) / beta).collect();
        let mut kinds: Vec<RowKind> = Vec::new();
        let (mut rdata, mut rembed) = (Vec::with_capacity(4 * m), Vec::with_capacity(5 * m));
        for i in 0..m {
            let k = RowKind::of(s.row_lower[i], s.row_upper[i]);
            if !kinds.contains(&k) {
                kinds.push(k);
            }
            let li = f64::from(!s.row_lower[i].is_finite());
            let ui = f64::from(!s.row_upper[i].is_finite());
            rdata.extend([lo[i], up[i], li, ui]);
            rembed.extend([lo[i], up[i], li, ui, 1.0]);
        }
        kinds.sort();
        let cembed: Vec<f64> = c.iter().flat_map(|&v| [v, 1.0]).collect();
        let mut trip = Vec::with_capacity(s.a.nnz());
        for i in 0..m {
            for (j, v) in s.a.row(i) {
                trip.push((i, j, v));
            }
        }
        let nnz = trip.len();
        let rows: Vec<u32> = trip.iter().map(|t| t.0 as u32).collect();
        let cols: Vec<u32> = trip.iter().map(|t| t.1 as u32).collect();
        let vals: Vec<f64> = trip.iter().map(|t| t.2).collect();
        Ok(Self {
            m,
            n,
            rows: Tensor::from_vec(rows, nnz, dev)?,
            cols: Tensor::from_vec(cols, nnz, dev)?,
            vals: f32_tensor(&vals, (nnz, 1), dev)?,
            obj: f32_tensor(&c, (n, 1), dev)?,
            row_data: f32_tensor(&rdata, (m, ROW_FEATURES), dev)?,
            col_embed: f32_tensor(&cembed, (n, 2), dev)?,
            row_embed: f32_tensor(&rembed, (m, ROW_FEATURES + 1), dev)?,
            kinds,
            col_scale: s.col_scale,
            row_scale: s.row_scale,
            beta,
            gamma,
            normalised: (
                trip,
                c,
                s.row_lower.iter().map(|v| v / beta).collect(),
                s.row_upper.iter().map(|v| v / beta).collect(),
            ),
        })
    }

    /// `Ã X` for `X` of shape `n×d` (gather the columns, scale, scatter-add into rows).
    pub fn a_mul(&self, x: &Tensor) -> Result<Tensor> {
        let d = x.dim(1)?;
        let g = x.index_select(&self.cols, 0)?.broadcast_mul(&self.vals)?;
        let z = Tensor::zeros((self.m, d), DType::F32, x.device())?;
        Ok(z.index_add(&self.rows, &g, 0)?)
    }

    /// `Ãᵀ Y` for `Y` of shape `m×d`.
    pub fn at_mul(&self, y: &Tensor) -> Result<Tensor> {
        let d = y.dim(1)?;
        let g = y.index_select(&self.rows, 0)?.broadcast_mul(&self.vals)?;
        let z = Tensor::zeros((self.n, d), DType::F32, y.device())?;
        Ok(z.index_add(&self.cols, &g, 0)?)
    }

    /// A primal-dual pair of the original LP in the network's normalised space (the labels).
    pub fn to_net_space(&self, x: &[f64], y: &[f64]) -> (Vec<f32>, Vec<f32>) {
        let xs = x
            .iter()
            .zip(&self.col_scale)
            .map(|(v, s)| (v / (s * self.beta)) as f32)
            .collect();
        let ys = y
            .iter()
            .zip(&self.row_scale)
            .map(|(v, s)| (v / (s * self.gamma)) as f32)
            .collect();
        (xs, ys)
    }

    /// A network output mapped back to the original LP's `(x, y)`.
    pub fn from_net_space(&self, x: &[f32], y: &[f32]) -> (Vec<f64>, Vec<f64>) {
        let xo = x
            .iter()
            .zip(&self.col_scale)
            .map(|(&v, s)| f64::from(v) * s * self.beta)
            .collect();
        let yo = y
            .iter()
            .zip(&self.row_scale)
            .map(|(&v, s)| f64::from(v) * s * self.gamma)
            .collect();
        (xo, yo)
    }
}
