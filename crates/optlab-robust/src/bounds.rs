//! Norm-based generalization bounds evaluated on a trained network's weights.
//!
//! * Bartlett–Foster–Telgarsky spectral complexity
//!   R_A = (∏ ρ_i‖A_i‖_σ)·(Σ ‖A_iᵀ − M_iᵀ‖_{2,1}^{2/3} / ‖A_i‖_σ^{2/3})^{3/2}, with ρ_i = 1 (ReLU
//!   and average pooling are 1-Lipschitz) and M_i = 0 or the initialisation; every A_i is the
//!   linear map the layer applies (convolutions: the true operator on their input shape, see
//!   [`layers`]), with the reshaped-kernel proxy R_A reported beside it;
//! * the standard margin bound term ‖X‖₂·R_A·ln W/(γn) with γ the 5th percentile of clean
//!   margins (Õ-form: the theorem's absolute constants and the √(ln(1/δ)/n) term are omitted);
//! * an adversarial counterpart in the same form, with γ taken on PGD examples and the data
//!   term inflated by the attack radius ε. This is a **reconstructed form**: the main theorem
//!   of Xiao, Sun, Long, Su (arXiv 2406.05372) could not be retrieved here. The public pages
//!   found (the abstract at <https://par.nsf.gov/biblio/10519883> and
//!   <https://tomesphere.com/paper/2406.05372>) only say that the bound has the Bartlett et al.
//!   shape with width and dimension entering as O(ln(dm)); they do not say where ε enters or
//!   in which norm the data radius is measured. Both practical forms of the reference notes
//!   are therefore computed: (B + ε)·√n with B = max_i ‖x_i‖₂ and ε the raw radius, and the
//!   exact sup √Σ(‖x_i‖₂ + ε·d^{max(0, ½ − 1/p)})² of ‖x + δ‖₂ over the ℓ_p ball (which brings
//!   back a √d for ℓ∞). Neither is presented as the paper's bound;
//! * for comparison the Xiao et al. 2022 Frobenius bound (B+ε')·h·√(l ln l)·∏‖W_l‖_F/√n.

use candle_core::Device;
use optlab_core::params::ParamStore;
use serde::{Deserialize, Serialize};

use crate::attack::{AttackConfig, Norm};
use crate::data::ImageSet;
use crate::error::{Result, RobustError};
use crate::model::Classifier;
use crate::train::{evaluate, Evaluation};

pub mod layers;

pub use crate::conv_norm::ConvInput;
pub use layers::{layer_norms, ConvProxy, LayerNorms};

/// Label printed next to every adversarial-bound figure.
pub const RECONSTRUCTED: &str = "[reconstructed form, see reference notes]";

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
    /// Spectral complexity R_A (true operators), used in every bound below.
    pub spectral_complexity: f64,
    /// R_A with the reshaped-kernel proxy for convolutions (None without convolutions);
    /// reported for comparison only.
    pub spectral_complexity_proxy: Option<f64>,
    /// W = max(input dim, layer output sizes).
    pub max_width: usize,
    /// Training set size n.
    pub n: usize,
    /// Standard (clean) bound, data term ‖X‖₂.
    pub standard: BoundTerms,
    /// Adversarial bound [reconstructed form], data term √Σ(‖x_i‖₂ + ε·d^{max(0,½−1/p)})², the
    /// exact sup of ‖x + δ‖₂ over the attack ball.
    pub adversarial: BoundTerms,
    /// Adversarial bound [reconstructed form], data term (B + ε)·√n with B = max_i ‖x_i‖₂ and
    /// ε the raw attack radius.
    pub adversarial_radius: BoundTerms,
    /// adversarial / standard (exact-sup form), when both exist.
    pub ratio: Option<f64>,
    /// Xiao et al. 2022 Frobenius bound (B+ε')·h·√(l ln l)·∏‖W_l‖_F/√n, ε' = ε·d^{max(0,½−1/p)}.
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

/// R_A = exp(Σ ln s_i)·(Σ (b_i/s_i)^{2/3})^{3/2} from (spectral, (2,1)) pairs, with its two
/// factors: (ln of the product, ratio-sum term, R_A).
fn complexity_of(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> (f64, f64, f64) {
    let log_prod: f64 = pairs.clone().map(|(s, _)| s.ln()).sum();
    let ratio: f64 = pairs
        .map(|(s, b)| (b / s).powf(2.0 / 3.0))
        .sum::<f64>()
        .powf(1.5);
    (log_prod, ratio, log_prod.exp() * ratio)
}

/// Spectral complexity R_A and its two factors (log of the product, ratio-sum term).
pub fn spectral_complexity(layers: &[LayerNorms]) -> (f64, f64, f64) {
    complexity_of(layers.iter().map(|l| (l.spectral, l.norm21)))
}

/// R_A with each convolution's reshaped-kernel proxy in place of its operator norms (None when
/// the network has no convolution).
pub fn spectral_complexity_proxy(layers: &[LayerNorms]) -> Option<f64> {
    layers.iter().any(|l| l.proxy.is_some()).then(|| {
        complexity_of(layers.iter().map(|l| match &l.proxy {
            Some(p) => (p.spectral, p.norm21),
            None => (l.spectral, l.norm21),
        }))
        .2
    })
}

/// Evaluates every term of the bounds for the given layer norms and data.
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
    let b = inputs.input_norms.iter().copied().fold(0.0, f64::max);
    let standard = terms(x2, &inputs.clean_margins);
    let adversarial = terms(x2_adv, &inputs.robust_margins);
    let adversarial_radius = terms((b + inputs.eps) * (n as f64).sqrt(), &inputs.robust_margins);
    let ratio = standard.value.zip(adversarial.value).map(|(s, a)| a / s);
    let l = layers.len() as f64;
    let log_frob: f64 = layers.iter().map(|x| x.frobenius.ln()).sum();
    let frobenius_bound =
        (b + eps_l2) * max_width as f64 * (l * l.ln()).sqrt() * log_frob.exp() / (n as f64).sqrt();
    Ok(BoundReport {
        spectral_complexity_proxy: spectral_complexity_proxy(&layers),
        layers,
        log_spectral_product: log_prod,
        ratio_sum_term: ratio_sum,
        spectral_complexity: r_a,
        max_width,
        n,
        standard,
        adversarial,
        adversarial_radius,
        ratio,
        frobenius_bound,
    })
}

/// Evaluates the bounds for `model` on its training set `data`: margins clean and under
/// `attack` (PGD) with γ their `margin_quantile`, input norms from the data, norms from the
/// weights (`reference` subtracted; convolutions applied where `conv_inputs` says, see
/// [`crate::model::Arch::conv_inputs`]).
#[allow(clippy::too_many_arguments)]
pub fn evaluate_bounds(
    model: &dyn Classifier,
    reference: Option<&ParamStore>,
    conv_inputs: &[ConvInput],
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
    let report = compute_bounds(layer_norms(model.store(), reference, conv_inputs)?, &inputs)?;
    Ok((report, eval))
}

#[cfg(test)]
mod tests;
