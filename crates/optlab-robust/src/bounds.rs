//! Norm-based generalization bounds evaluated on a trained network's weights.
//!
//! * Bartlett–Foster–Telgarsky spectral complexity
//!   R_A = (∏ ρ_i‖A_i‖_σ)·(Σ ‖A_iᵀ − M_iᵀ‖_{2,1}^{2/3} / ‖A_i‖_σ^{2/3})^{3/2}, with ρ_i = 1 (ReLU
//!   and average pooling are 1-Lipschitz) and M_i = 0 or the initialisation;
//! * the standard margin bound term ‖X‖₂·R_A·ln W/(γn) with γ the 5th percentile of clean
//!   margins (Õ-form: the theorem's absolute constants and the √(ln(1/δ)/n) term are omitted);
//! * the adversarial bound of Xiao, Sun, Long, Su (arXiv 2406.05372) in the same form, with the
//!   data term inflated to √Σ(‖x_i‖₂ + ε·d^{max(0, ½ − 1/p)})² (the exact sup of ‖x + δ‖₂ over
//!   the ℓ_p ball) and γ the 5th percentile of margins on PGD examples;
//! * for comparison the Xiao et al. 2022 Frobenius bound (B+ε)·h·√(l ln l)·∏‖W_l‖_F/√n.
//!
//! Convolution kernels `[out, in, k, k]` enter as the reshaped `(out, in·k·k)` matrix, the
//! proxy used by the paper's `measures.py`; each layer's row says which form it used.

use candle_core::{DType, Device};
use optlab_core::params::{ParamRole, ParamStore};
use serde::{Deserialize, Serialize};

use crate::attack::{AttackConfig, Norm};
use crate::data::ImageSet;
use crate::error::{Result, RobustError};
use crate::linalg::{spectral_norm_exact, spectral_norm_power, Matrix};
use crate::model::Classifier;
use crate::train::{evaluate, Evaluation};

/// The norms of one weight layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerNorms {
    /// Parameter name.
    pub name: String,
    /// "dense" or "conv-reshaped (out, in*k*k)".
    pub kind: String,
    /// Matrix shape (rows = output units).
    pub shape: [usize; 2],
    /// Spectral norm by power iteration.
    pub spectral: f64,
    /// Spectral norm by exact Jacobi SVD, when the Gram matrix is small enough (≤ 512).
    pub spectral_exact: Option<f64>,
    /// ‖(A − M)ᵀ‖_{2,1}.
    pub norm21: f64,
    /// Frobenius norm ‖A‖_F.
    pub frobenius: f64,
}

/// The weight matrices of a network's linear and convolution layers, in forward order, as f64.
pub fn weight_matrices(store: &ParamStore) -> Result<Vec<(String, String, Matrix)>> {
    let mut out = Vec::new();
    for p in store.params() {
        let kind = match p.role {
            ParamRole::Linear => "dense",
            ParamRole::Conv => "conv-reshaped (out, in*k*k)",
            _ => continue,
        };
        let t = p.var.as_tensor().to_dtype(DType::F64)?;
        let rows = t.dim(0)?;
        let flat: Vec<f64> = t.flatten_all()?.to_vec1()?;
        let cols = flat.len() / rows.max(1);
        let m = Matrix::new(rows, cols, flat)
            .ok_or_else(|| RobustError::Config(format!("`{}` is not a matrix", p.name)))?;
        out.push((p.name, kind.to_string(), m));
    }
    if out.is_empty() {
        return Err(RobustError::Config(
            "the network has no linear or convolution weights".into(),
        ));
    }
    Ok(out)
}

/// Per-layer norms; `reference` (same layers, e.g. the initialisation) is subtracted in the
/// (2,1)-norm when given.
pub fn layer_norms(store: &ParamStore, reference: Option<&ParamStore>) -> Result<Vec<LayerNorms>> {
    let layers = weight_matrices(store)?;
    let refs = reference.map(weight_matrices).transpose()?;
    let mut out = Vec::with_capacity(layers.len());
    for (i, (name, kind, m)) in layers.into_iter().enumerate() {
        let centred = match &refs {
            Some(r) => r
                .get(i)
                .and_then(|(_, _, m0)| m.sub(m0))
                .ok_or_else(|| RobustError::Config(format!("reference lacks layer `{name}`")))?,
            None => m.clone(),
        };
        let small = m.rows.min(m.cols) <= 512;
        out.push(LayerNorms {
            spectral: spectral_norm_power(&m, 5000, 1e-12, i as u64),
            spectral_exact: small.then(|| spectral_norm_exact(&m)),
            norm21: centred.norm_21_of_transpose(),
            frobenius: m.frobenius(),
            shape: [m.rows, m.cols],
            name,
            kind,
        });
    }
    Ok(out)
}

/// The data-dependent inputs of the bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BoundInputs {
    /// Per-example L2 norms of the training inputs.
    pub input_norms: Vec<f64>,
    /// Input dimension d.
    pub input_dim: usize,
    /// Clean training margins.
    pub clean_margins: Vec<f64>,
    /// Training margins on adversarial examples.
    pub robust_margins: Vec<f64>,
    /// Attack radius.
    pub eps: f64,
    /// Attack norm.
    pub norm: Norm,
    /// Margin quantile taken as γ (0.05 = the 5th percentile of `measures.py`).
    pub margin_quantile: f64,
}

/// One bound: its terms and value (None when the margin γ is not positive).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BoundTerms {
    /// Data term (‖X‖₂ or its ε-inflated version).
    pub data_term: f64,
    /// Margin γ (the `margin_quantile` of the margins).
    pub gamma: f64,
    /// data_term · R_A · ln W / (γ n), or None if γ ≤ 0.
    pub value: Option<f64>,
}

/// Everything `optlab robust bound` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BoundReport {
    /// Per-layer norms.
    pub layers: Vec<LayerNorms>,
    /// ln ∏ ‖A_i‖_σ.
    pub log_spectral_product: f64,
    /// (Σ (‖A_iᵀ‖_{2,1}/‖A_i‖_σ)^{2/3})^{3/2}.
    pub ratio_sum_term: f64,
    /// Spectral complexity R_A.
    pub spectral_complexity: f64,
    /// W = max(input dim, widths).
    pub max_width: usize,
    /// Training set size n.
    pub n: usize,
    /// Standard (clean) bound.
    pub standard: BoundTerms,
    /// Adversarial bound.
    pub adversarial: BoundTerms,
    /// adversarial / standard, when both exist.
    pub ratio: Option<f64>,
    /// Xiao et al. 2022 Frobenius bound (B+ε)·h·√(l ln l)·∏‖W_l‖_F/√n.
    pub frobenius_bound: f64,
}

/// Nearest-rank percentile `q` ∈ [0, 1] of `v` (NaN for an empty slice).
pub fn percentile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}

/// Spectral complexity R_A and its two factors (log of the product, ratio-sum term).
pub fn spectral_complexity(layers: &[LayerNorms]) -> (f64, f64, f64) {
    let log_prod: f64 = layers.iter().map(|l| l.spectral.ln()).sum();
    let ratio: f64 = layers
        .iter()
        .map(|l| (l.norm21 / l.spectral).powf(2.0 / 3.0))
        .sum::<f64>()
        .powf(1.5);
    (log_prod, ratio, log_prod.exp() * ratio)
}

/// Evaluates every term of both bounds for the given layer norms and data.
pub fn compute_bounds(layers: Vec<LayerNorms>, inputs: &BoundInputs) -> Result<BoundReport> {
    let n = inputs.input_norms.len();
    if n == 0 || layers.iter().any(|l| l.spectral <= 0.0) {
        return Err(RobustError::Config(
            "bounds need training inputs and non-zero weight matrices".into(),
        ));
    }
    let (log_prod, ratio_sum, r_a) = spectral_complexity(&layers);
    let max_width = layers
        .iter()
        .flat_map(|l| l.shape)
        .chain([inputs.input_dim])
        .max()
        .unwrap_or(1);
    let ln_w = (max_width as f64).ln();
    let exponent = match inputs.norm {
        Norm::Linf => 0.5,
        Norm::L2 => 0.0,
    };
    let eps_l2 = inputs.eps * (inputs.input_dim as f64).powf(exponent);
    let terms = |data_term: f64, margins: &[f64]| {
        let gamma = percentile(margins, inputs.margin_quantile);
        BoundTerms {
            data_term,
            gamma,
            value: (gamma > 0.0).then(|| data_term * r_a * ln_w / (gamma * n as f64)),
        }
    };
    let x2 = inputs.input_norms.iter().map(|v| v * v).sum::<f64>().sqrt();
    let x2_adv = inputs
        .input_norms
        .iter()
        .map(|v| (v + eps_l2).powi(2))
        .sum::<f64>()
        .sqrt();
    let standard = terms(x2, &inputs.clean_margins);
    let adversarial = terms(x2_adv, &inputs.robust_margins);
    let ratio = standard.value.zip(adversarial.value).map(|(s, a)| a / s);
    let l = layers.len() as f64;
    let b = inputs.input_norms.iter().copied().fold(0.0, f64::max);
    let log_frob: f64 = layers.iter().map(|x| x.frobenius.ln()).sum();
    let frobenius_bound =
        (b + eps_l2) * max_width as f64 * (l * l.ln()).sqrt() * log_frob.exp() / (n as f64).sqrt();
    Ok(BoundReport {
        layers,
        log_spectral_product: log_prod,
        ratio_sum_term: ratio_sum,
        spectral_complexity: r_a,
        max_width,
        n,
        standard,
        adversarial,
        ratio,
        frobenius_bound,
    })
}

/// Evaluates the bounds for `model` on its training set `data`: margins clean and under
/// `attack` (PGD) with γ their `margin_quantile`, input norms from the data, norms from the
/// weights (`reference` subtracted).
pub fn evaluate_bounds(
    model: &dyn Classifier,
    reference: Option<&ParamStore>,
    data: &ImageSet,
    attack: &AttackConfig,
    margin_quantile: f64,
    seed: u64,
    device: &Device,
) -> Result<(BoundReport, Evaluation)> {
    if !(0.0..=1.0).contains(&margin_quantile) {
        return Err(RobustError::Config(format!(
            "margin quantile {margin_quantile} is outside [0, 1]"
        )));
    }
    let eval = evaluate(model, data, attack, 256, seed, device)?;
    let inputs = BoundInputs {
        input_norms: data.l2_norms(),
        input_dim: data.dim(),
        clean_margins: eval.clean_margins.clone(),
        robust_margins: eval.robust_margins.clone(),
        eps: attack.eps,
        norm: attack.norm,
        margin_quantile,
    };
    let report = compute_bounds(layer_norms(model.store(), reference)?, &inputs)?;
    Ok((report, eval))
}

#[cfg(test)]
mod tests;
