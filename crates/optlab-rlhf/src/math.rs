//! The scalar mathematics of policy-gradient alignment, in f64 on plain slices: advantages
//! (ReMax, RLOO, GRPO), GAE, the PPO clipped objective and clipped value loss, KL estimators,
//! whitening and confidence intervals. The tensor losses in [`crate::losses`] are tested
//! against these, and these against hand-computed values.

use optlab_core::stats;

/// ReMax advantage of one prompt: `clip(r(sample) - r(greedy), -clip, clip)`. The clip acts
/// on the difference, as in the reference trainer (`clip_reward_value` = 5).
pub fn remax_advantage(r_sample: f64, r_greedy: f64, clip: f64) -> f64 {
    (r_sample - r_greedy).clamp(-clip, clip)
}

/// Per-token returns of one ReMax response: token `t` of `T` gets
/// `-kl_coef * log_ratio[t] + gamma^(T - t) * adv` (only that token's own log-ratio
/// `log pi - log pi_ref`, not a cumulative sum; the terminal reward is discounted once even
/// at the last token, as the reference trainer's loop does).
pub fn remax_token_returns(adv: f64, log_ratio: &[f64], kl_coef: f64, gamma: f64) -> Vec<f64> {
    let n = log_ratio.len();
    log_ratio
        .iter()
        .enumerate()
        .map(|(t, lr)| -kl_coef * lr + gamma.powi((n - t) as i32) * adv)
        .collect()
}

/// RLOO advantages of one group: each reward minus the mean of the others. `None` for groups
/// of fewer than two samples, where the leave-one-out baseline is undefined.
pub fn rloo_advantages(rewards: &[f64]) -> Option<Vec<f64>> {
    let n = rewards.len();
    if n < 2 {
        return None;
    }
    let sum: f64 = rewards.iter().sum();
    Some(
        rewards
            .iter()
            .map(|r| r - (sum - r) / (n - 1) as f64)
            .collect(),
    )
}

/// GRPO advantages of one group: `(r - mean) / (std + eps)` with the sample (n - 1) standard
/// deviation, as TRL computes it. `None` for groups of fewer than two samples.
pub fn grpo_advantages(rewards: &[f64], eps: f64) -> Option<Vec<f64>> {
    let n = rewards.len();
    if n < 2 {
        return None;
    }
    let mean = rewards.iter().sum::<f64>() / n as f64;
    let var = rewards.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    Some(rewards.iter().map(|r| (r - mean) / (sd + eps)).collect())
}

/// Generalised advantage estimation over one episode that ends after its last step (the value
/// after it is 0). Returns `(advantages, returns)` with `returns = advantages + values`.
pub fn gae(rewards: &[f64], values: &[f64], gamma: f64, lambda: f64) -> (Vec<f64>, Vec<f64>) {
    let n = rewards.len().min(values.len());
    let mut adv = vec![0.0; n];
    let mut running = 0.0;
    for t in (0..n).rev() {
        let next_v = if t + 1 < n { values[t + 1] } else { 0.0 };
        let delta = rewards[t] + gamma * next_v - values[t];
        running = delta + gamma * lambda * running;
        adv[t] = running;
    }
    let ret = adv.iter().zip(values).map(|(a, v)| a + v).collect();
    (adv, ret)
}

/// PPO clipped policy loss of one token (to minimise):
/// `max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps))`.
pub fn ppo_clip_loss(ratio: f64, adv: f64, eps: f64) -> f64 {
    (-adv * ratio).max(-adv * ratio.clamp(1.0 - eps, 1.0 + eps))
}

/// PPO clipped value loss of one token:
/// `0.5 * max((v - R)^2, (clip(v, v_old - eps, v_old + eps) - R)^2)`.
pub fn value_clip_loss(v: f64, v_old: f64, ret: f64, eps: f64) -> f64 {
    let clipped = v.clamp(v_old - eps, v_old + eps);
    0.5 * (v - ret).powi(2).max((clipped - ret).powi(2))
}

/// The k1 KL estimator for a token `x ~ p`: `log p(x) - log q(x)`. Unbiased for KL(p || q),
/// can be negative; the reference ReMax and PPO trainers shape rewards with it.
pub fn kl_k1(logp: f64, logq: f64) -> f64 {
    logp - logq
}

/// The k3 KL estimator for a token `x ~ p`: `q/p - 1 - log(q/p)`. Unbiased for KL(p || q)
/// and never negative; GRPO uses it as a loss term.
pub fn kl_k3(logp: f64, logq: f64) -> f64 {
    let lr = logq - logp;
    lr.exp() - 1.0 - lr
}

/// Exact KL(p || q) of two discrete distributions (terms with p = 0 contribute 0).
pub fn exact_kl(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .filter(|(pi, _)| **pi > 0.0)
        .map(|(pi, qi)| pi * (pi / qi).ln())
        .sum()
}

/// `(x - mean) / (std + 1e-8)` with the population standard deviation; a constant input
/// gives zeros.
pub fn whiten(xs: &[f64]) -> Vec<f64> {
    if xs.is_empty() {
        return Vec::new();
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    xs.iter().map(|x| (x - mean) / (sd + 1e-8)).collect()
}

/// Two-sided 97.5 % quantile of Student's t with `df` degrees of freedom (table to 30, then
/// the normal 1.96).
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        d if d <= 30 => T[d - 1],
        _ => 1.96,
    }
}

/// Mean and the half-width of its 95 % t confidence interval (NaN width for one value).
pub fn mean_ci95(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    let (Some(mean), Some(sd)) = (stats::mean(xs), stats::std_dev(xs)) else {
        return (f64::NAN, f64::NAN);
    };
    if n < 2 {
        return (mean, f64::NAN);
    }
    (mean, t975(n - 1) * sd / (n as f64).sqrt())
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;
