//! Differentiable pieces on `[batch, time]` tensors: token log-probabilities, masked means,
//! the REINFORCE loss, the PPO clipped policy and value losses and the k3 KL penalty. Each
//! matches its scalar definition in [`crate::math`] (tested).

use candle_core::{DType, Result, Tensor, D};

/// `log softmax(logits)[target]` per position: logits `[b, t, v]`, targets `[b, t]` (u32)
/// give `[b, t]`. The log-sum-exp shift is detached (it cancels in the gradient).
pub fn token_logprobs(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let logits = logits.to_dtype(DType::F32)?;
    let m = logits.max_keepdim(D::Minus1)?.detach();
    let lse = (logits
        .broadcast_sub(&m)?
        .exp()?
        .sum_keepdim(D::Minus1)?
        .log()?
        + &m)?;
    let picked = logits.gather(&targets.unsqueeze(D::Minus1)?, D::Minus1)?;
    (picked - lse)?.squeeze(D::Minus1)
}

/// `sum(x * mask) / sum(mask)`: the token mean over the action positions.
pub fn masked_mean(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    let n = mask.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64;
    (x * mask)?.sum_all()? / n
}

/// REINFORCE loss `-sum(w * logp * mask) / sum(mask)` with per-token weights `w` held
/// constant (the ReMax loss when `w` are its returns).
pub fn reinforce_loss(logp: &Tensor, weights: &Tensor, mask: &Tensor) -> Result<Tensor> {
    masked_mean(&(logp * weights.detach())?, mask)?.neg()
}

/// PPO clipped policy loss, token mean of `max(-A ratio, -A clip(ratio, 1 +- eps))` with
/// `ratio = exp(logp - old_logp)`.
pub fn ppo_policy_loss(
    logp: &Tensor,
    old_logp: &Tensor,
    adv: &Tensor,
    mask: &Tensor,
    eps: f64,
) -> Result<Tensor> {
    let ratio = (logp - old_logp.detach())?.exp()?;
    let adv = adv.detach();
    let a = (&ratio * &adv)?.neg()?;
    let b = (ratio.clamp(1.0 - eps, 1.0 + eps)? * &adv)?.neg()?;
    masked_mean(&a.maximum(&b)?, mask)
}

/// PPO clipped value loss, token mean of
/// `0.5 max((v - R)^2, (clip(v, v_old +- eps) - R)^2)`.
pub fn value_loss(
    v: &Tensor,
    v_old: &Tensor,
    ret: &Tensor,
    mask: &Tensor,
    eps: f64,
) -> Result<Tensor> {
    let (v_old, ret) = (v_old.detach(), ret.detach());
    let lo = (&v_old - eps)?;
    let hi = (&v_old + eps)?;
    let clipped = v.maximum(&lo)?.minimum(&hi)?;
    let a = (v - &ret)?.sqr()?;
    let b = (clipped - &ret)?.sqr()?;
    masked_mean(&a.maximum(&b)?, mask)? * 0.5
}

/// k3 estimate of KL(pi || pi_ref) per token, `exp(ref - logp) - 1 - (ref - logp)`, with
/// gradient through `logp` (GRPO's KL loss term).
pub fn k3_per_token(logp: &Tensor, ref_logp: &Tensor) -> Result<Tensor> {
    let d = (ref_logp.detach() - logp)?;
    (d.exp()? - 1.0)? - d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math;
    use candle_core::{Device, Var};
    use optlab_core::rng::Rng;

    fn t2(v: &[f32], b: usize, t: usize) -> Tensor {
        Tensor::from_vec(v.to_vec(), (b, t), &Device::Cpu).unwrap()
    }

    #[test]
    fn token_logprobs_match_log_softmax_and_its_gradient() {
        let mut rng = Rng::new(1);
        let (b, t, v) = (2, 3, 5);
        let logits =
            Var::from_vec(rng.normal_vec(b * t * v, 2.0), (b, t, v), &Device::Cpu).unwrap();
        let ids: Vec<u32> = (0..b * t).map(|i| (i * 3 % v) as u32).collect();
        let targets = Tensor::from_vec(ids.clone(), (b, t), &Device::Cpu).unwrap();
        let lp = token_logprobs(logits.as_tensor(), &targets).unwrap();
        let want = candle_nn::ops::log_softmax(logits.as_tensor(), D::Minus1).unwrap();
        let want = want.gather(&targets.unsqueeze(2).unwrap(), 2).unwrap();
        let diff = (lp.clone() - want.squeeze(2).unwrap())
            .unwrap()
            .abs()
            .unwrap();
        assert!(diff.max_all().unwrap().to_scalar::<f32>().unwrap() < 1e-5);
        // d sum(logp) / d logits = onehot - softmax
        let g = lp.sum_all().unwrap().backward().unwrap();
        let g = g.get(logits.as_tensor()).unwrap().flatten_all().unwrap();
        let g = g.to_vec1::<f32>().unwrap();
        let sm = candle_nn::ops::softmax(logits.as_tensor(), D::Minus1).unwrap();
        let sm = sm.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        for (row, id) in ids.iter().enumerate() {
            for k in 0..v {
                let onehot = if *id as usize == k { 1.0 } else { 0.0 };
                let i = row * v + k;
                assert!((g[i] - (onehot - sm[i])).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn tensor_losses_match_scalar_definitions() {
        let mut rng = Rng::new(2);
        let n = 12;
        let logp = rng.normal_vec(n, 0.3);
        let old = rng.normal_vec(n, 0.3);
        let adv = rng.normal_vec(n, 1.0);
        let mask: Vec<f32> = (0..n).map(|i| if i % 4 == 3 { 0.0 } else { 1.0 }).collect();
        let m = mask.iter().sum::<f32>() as f64;
        let (tl, to, ta, tm) = (
            t2(&logp, 3, 4),
            t2(&old, 3, 4),
            t2(&adv, 3, 4),
            t2(&mask, 3, 4),
        );
        let got = ppo_policy_loss(&tl, &to, &ta, &tm, 0.2).unwrap();
        let want: f64 = (0..n)
            .filter(|&i| mask[i] > 0.0)
            .map(|i| math::ppo_clip_loss(((logp[i] - old[i]) as f64).exp(), adv[i] as f64, 0.2))
            .sum::<f64>()
            / m;
        assert!((got.to_scalar::<f32>().unwrap() as f64 - want).abs() < 1e-5);
        let got = value_loss(&tl, &to, &ta, &tm, 0.2).unwrap();
        let want: f64 = (0..n)
            .filter(|&i| mask[i] > 0.0)
            .map(|i| math::value_clip_loss(logp[i] as f64, old[i] as f64, adv[i] as f64, 0.2))
            .sum::<f64>()
            / m;
        assert!((got.to_scalar::<f32>().unwrap() as f64 - want).abs() < 1e-5);
        let got = reinforce_loss(&tl, &ta, &tm).unwrap();
        let want: f64 = -(0..n)
            .map(|i| (logp[i] * adv[i] * mask[i]) as f64)
            .sum::<f64>()
            / m;
        assert!((got.to_scalar::<f32>().unwrap() as f64 - want).abs() < 1e-5);
        let got = k3_per_token(&tl, &to).unwrap().flatten_all().unwrap();
        for (i, g) in got.to_vec1::<f32>().unwrap().iter().enumerate() {
            let want = math::kl_k3(logp[i] as f64, old[i] as f64);
            assert!((*g as f64 - want).abs() < 1e-5);
        }
    }
}
