//! FGSM and PGD-k under L-infinity and L2, with random start, restarts, projection onto the
//! ball and the valid pixel range, and a checker that the result stays inside both.

use candle_core::{DType, Tensor, Var, D};
use optlab_core::rng::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Result, RobustError};
use crate::model::Classifier;

/// The threat model's norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// Max-norm ball: every pixel moves by at most eps.
    Linf,
    /// Euclidean ball of radius eps.
    L2,
}

/// PGD settings (FGSM is one step of size eps without random start).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttackConfig {
    /// Threat-model norm.
    pub norm: Norm,
    /// Ball radius.
    pub eps: f64,
    /// Step size per iteration.
    pub step: f64,
    /// Iterations per restart.
    pub steps: usize,
    /// Start from a uniform random point of the ball instead of the clean input.
    pub random_start: bool,
    /// Number of independent runs; the per-example worst is kept.
    pub restarts: usize,
    /// Valid pixel range `(lo, hi)`, or `None` for an unconstrained input space.
    pub range: Option<(f64, f64)>,
}

impl AttackConfig {
    /// PGD-k with the usual step 2.5·eps/k, random start and pixels in [0, 1].
    pub fn pgd(norm: Norm, eps: f64, steps: usize) -> Self {
        Self {
            norm,
            eps,
            step: 2.5 * eps / steps.max(1) as f64,
            steps,
            random_start: true,
            restarts: 1,
            range: Some((0.0, 1.0)),
        }
    }

    /// FGSM: a single step of size eps from the clean input, pixels in [0, 1].
    pub fn fgsm(norm: Norm, eps: f64) -> Self {
        Self {
            norm,
            eps,
            step: eps,
            steps: 1,
            random_start: false,
            restarts: 1,
            range: Some((0.0, 1.0)),
        }
    }

    fn validate(&self) -> Result<()> {
        if !(self.eps >= 0.0 && self.eps.is_finite() && self.step >= 0.0) {
            return Err(RobustError::Config(format!(
                "attack needs finite eps >= 0 and step >= 0, got eps {} step {}",
                self.eps, self.step
            )));
        }
        if let Some((lo, hi)) = self.range {
            if lo > hi {
                return Err(RobustError::Config(format!(
                    "empty pixel range [{lo}, {hi}]"
                )));
            }
        }
        Ok(())
    }
}

/// Per-example cross-entropy `[b]` of `model` on `x` with labels `y` (u32).
pub fn per_example_loss(model: &dyn Classifier, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(&model.logits(x)?, D::Minus1)?;
    let picked = logp.gather(&y.unsqueeze(1)?, 1)?.squeeze(1)?;
    Ok(picked.neg()?)
}

/// Per-example norms `[b]` of a batch tensor, flattened after the first dimension.
pub fn batch_norms(t: &Tensor, norm: Norm) -> Result<Tensor> {
    let flat = t.flatten_from(1)?;
    Ok(match norm {
        Norm::Linf => flat.abs()?.max(1)?,
        Norm::L2 => flat.sqr()?.sum(1)?.sqrt()?,
    })
}

fn per_row(v: &Tensor, like: &Tensor) -> Result<Tensor> {
    let mut shape = vec![like.dim(0)?];
    shape.extend(std::iter::repeat_n(1, like.rank() - 1));
    Ok(v.reshape(shape)?.broadcast_as(like.shape())?)
}

/// Projects `x` onto the `eps`-ball around `x0` and then into the pixel range.
///
/// Clamping to the box after the ball keeps the point inside the ball because `x0` lies in the
/// box (each coordinate only moves towards `x0`).
pub fn project(x0: &Tensor, x: &Tensor, cfg: &AttackConfig) -> Result<Tensor> {
    let delta = (x - x0)?;
    let delta = match cfg.norm {
        Norm::Linf => delta.clamp(-cfg.eps, cfg.eps)?,
        Norm::L2 => {
            let n = batch_norms(&delta, Norm::L2)?;
            let scale = (n.clamp(cfg.eps.max(1e-12), f64::INFINITY)?.recip()? * cfg.eps)?;
            delta.mul(&per_row(&scale, &delta)?)?
        }
    };
    let out = (x0 + delta)?;
    Ok(match cfg.range {
        Some((lo, hi)) => out.clamp(lo, hi)?,
        None => out,
    })
}

fn random_start(x0: &Tensor, cfg: &AttackConfig, rng: &mut Rng) -> Result<Tensor> {
    let (b, n) = (x0.dim(0)?, x0.elem_count() / x0.dim(0)?.max(1));
    let mut v = Vec::with_capacity(b * n);
    for _ in 0..b {
        match cfg.norm {
            Norm::Linf => v.extend((0..n).map(|_| ((2.0 * rng.uniform() - 1.0) * cfg.eps) as f32)),
            Norm::L2 => {
                let g: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
                let len = g.iter().map(|z| z * z).sum::<f64>().sqrt().max(1e-12);
                let r = cfg.eps * rng.uniform().powf(1.0 / n as f64);
                v.extend(g.iter().map(|z| (z / len * r) as f32));
            }
        }
    }
    let delta = Tensor::from_vec(v, x0.shape(), x0.device())?.to_dtype(x0.dtype())?;
    project(x0, &(x0 + delta)?, cfg)
}

/// Steepest-ascent direction for the norm: sign(g) for L-inf, g/‖g‖₂ for L2.
fn ascent_direction(g: &Tensor, norm: Norm) -> Result<Tensor> {
    Ok(match norm {
        Norm::Linf => g.sign()?,
        Norm::L2 => {
            let n = batch_norms(g, Norm::L2)?.clamp(1e-12, f64::INFINITY)?;
            g.div(&per_row(&n, g)?)?
        }
    })
}

/// Loss per example and its gradient with respect to the input.
fn loss_and_input_grad(model: &dyn Classifier, x: &Tensor, y: &Tensor) -> Result<(Tensor, Tensor)> {
    let xv = Var::from_tensor(x)?;
    let loss = per_example_loss(model, xv.as_tensor(), y)?;
    let grads = loss.sum_all()?.backward()?;
    let g = grads
        .get(xv.as_tensor())
        .cloned()
        .unwrap_or(x.zeros_like()?);
    Ok((loss.detach(), g))
}

/// Keeps, per example, whichever of (`cand`, `cand_loss`) and (`best`, `best_loss`) has the
/// larger loss.
fn keep_worse(
    best: (Tensor, Tensor),
    cand: &Tensor,
    cand_loss: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let (bx, bl) = best;
    let mask = cand_loss.gt(&bl)?;
    let x = per_row(&mask, cand)?.where_cond(cand, &bx)?;
    let l = mask.where_cond(cand_loss, &bl)?;
    Ok((x, l))
}

/// PGD: `restarts` runs of `steps` projected steepest-ascent steps on the cross-entropy; for
/// each example returns the evaluated point with the largest loss (clean input included).
pub fn pgd(
    model: &dyn Classifier,
    x0: &Tensor,
    y: &Tensor,
    cfg: &AttackConfig,
    rng: &mut Rng,
) -> Result<Tensor> {
    cfg.validate()?;
    let x0 = x0.detach();
    let clean_loss = per_example_loss(model, &x0, y)?.detach();
    let mut best = (x0.clone(), clean_loss);
    for _ in 0..cfg.restarts.max(1) {
        let mut x = if cfg.random_start {
            random_start(&x0, cfg, rng)?
        } else {
            x0.clone()
        };
        for _ in 0..cfg.steps {
            let (loss, g) = loss_and_input_grad(model, &x, y)?;
            best = keep_worse(best, &x, &loss)?;
            let stepped = (&x + (ascent_direction(&g, cfg.norm)? * cfg.step)?)?;
            x = project(&x0, &stepped, cfg)?.detach();
        }
        let last = per_example_loss(model, &x, y)?.detach();
        best = keep_worse(best, &x, &last)?;
    }
    Ok(best.0)
}

/// FGSM: one signed (L-inf) or normalised (L2) gradient step of size eps, projected.
pub fn fgsm(
    model: &dyn Classifier,
    x0: &Tensor,
    y: &Tensor,
    norm: Norm,
    eps: f64,
) -> Result<Tensor> {
    let cfg = AttackConfig::fgsm(norm, eps);
    cfg.validate()?;
    let (_, g) = loss_and_input_grad(model, x0, y)?;
    project(x0, &(x0 + (ascent_direction(&g, norm)? * eps)?)?, &cfg)
}

/// Checks that `x_adv` lies within the `eps`-ball (norm of `cfg`) around `x0` and inside the
/// pixel range, up to `tol`; returns the largest perturbation norm found.
pub fn check_perturbation(
    x0: &Tensor,
    x_adv: &Tensor,
    cfg: &AttackConfig,
    tol: f64,
) -> Result<f64> {
    if x0.shape() != x_adv.shape() {
        return Err(RobustError::Config(format!(
            "adversarial batch shape {:?} differs from clean {:?}",
            x_adv.dims(),
            x0.dims()
        )));
    }
    let delta = (x_adv.to_dtype(DType::F64)? - x0.to_dtype(DType::F64)?)?;
    let worst = batch_norms(&delta, cfg.norm)?.max(0)?.to_scalar::<f64>()?;
    if worst > cfg.eps + tol {
        return Err(RobustError::Config(format!(
            "perturbation norm {worst} exceeds eps {} (+{tol})",
            cfg.eps
        )));
    }
    if let Some((lo, hi)) = cfg.range {
        let flat = x_adv.to_dtype(DType::F64)?.flatten_all()?;
        let (mn, mx) = (
            flat.min(0)?.to_scalar::<f64>()?,
            flat.max(0)?.to_scalar::<f64>()?,
        );
        if mn < lo - tol || mx > hi + tol {
            return Err(RobustError::Config(format!(
                "pixels span [{mn}, {mx}], outside the valid range [{lo}, {hi}]"
            )));
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests;
