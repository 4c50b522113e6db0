use super::*;
use optlab_core::rng::Rng;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn all_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!(close(*x, *y, tol), "{a:?} vs {b:?}");
    }
}

#[test]
fn remax_advantage_is_clipped_difference() {
    assert_eq!(remax_advantage(1.0, 0.0, 5.0), 1.0);
    assert_eq!(remax_advantage(0.0, 1.0, 5.0), -1.0);
    assert_eq!(remax_advantage(9.0, 1.0, 5.0), 5.0);
    assert_eq!(remax_advantage(-9.0, 1.0, 5.0), -5.0);
}

#[test]
fn remax_returns_discount_terminal_reward_and_keep_own_kl() {
    // T = 3, A = 2, gamma = 0.5, kl_coef = 0.1, log-ratios [1, 0, -2]:
    // t0: -0.1*1 + 0.5^3*2 = 0.15; t1: 0 + 0.25*2 = 0.5; t2: 0.2 + 0.5*2 = 1.2
    let r = remax_token_returns(2.0, &[1.0, 0.0, -2.0], 0.1, 0.5);
    all_close(&r, &[0.15, 0.5, 1.2], 1e-12);
}

#[test]
fn rloo_leaves_one_out() {
    // rewards [1, 0, 0, 1]: 1 - 1/3, 0 - 2/3, 0 - 2/3, 1 - 1/3
    let a = rloo_advantages(&[1.0, 0.0, 0.0, 1.0]).unwrap();
    all_close(&a, &[2.0 / 3.0, -2.0 / 3.0, -2.0 / 3.0, 2.0 / 3.0], 1e-12);
    // Identity: G/(G-1) * (r - mean)
    let r = [0.3, 1.7, -0.4];
    let m = (0.3 + 1.7 - 0.4) / 3.0;
    let b: Vec<f64> = r.iter().map(|x| 1.5 * (x - m)).collect();
    all_close(&rloo_advantages(&r).unwrap(), &b, 1e-12);
    assert!(rloo_advantages(&[1.0]).is_none());
}

#[test]
fn grpo_normalises_by_sample_std() {
    // [1, 0, 0, 1]: mean 0.5, sample var = 4 * 0.25 / 3 = 1/3, sd = 0.57735
    let a = grpo_advantages(&[1.0, 0.0, 0.0, 1.0], 0.0).unwrap();
    let z = 0.5 / (1.0f64 / 3.0).sqrt();
    all_close(&a, &[z, -z, -z, z], 1e-12);
    // all-equal group: zero advantage, finite thanks to eps
    let c = grpo_advantages(&[2.0, 2.0], 1e-4).unwrap();
    all_close(&c, &[0.0, 0.0], 0.0);
}

#[test]
fn gae_matches_hand_recursion() {
    // rewards [0, 0, 1], values [0.5, 0.6, 0.7], gamma 1, lambda 0.5:
    // d2 = 1 - 0.7 = 0.3; d1 = 0 + 0.7 - 0.6 = 0.1; d0 = 0.6 - 0.5 = 0.1
    // A2 = 0.3; A1 = 0.1 + 0.5*0.3 = 0.25; A0 = 0.1 + 0.5*0.25 = 0.225
    let (a, r) = gae(&[0.0, 0.0, 1.0], &[0.5, 0.6, 0.7], 1.0, 0.5);
    all_close(&a, &[0.225, 0.25, 0.3], 1e-12);
    all_close(&r, &[0.725, 0.85, 1.0], 1e-12);
    // lambda = 1, gamma = 1: returns are the reward-to-go whatever the values.
    let (_, r) = gae(&[1.0, 2.0, 3.0], &[9.0, -4.0, 0.1], 1.0, 1.0);
    all_close(&r, &[6.0, 5.0, 3.0], 1e-12);
}

#[test]
fn ppo_clip_takes_the_pessimistic_branch() {
    // A > 0, ratio above 1 + eps: gain capped at (1 + eps) A
    assert!(close(ppo_clip_loss(1.5, 2.0, 0.2), -2.4, 1e-12));
    // A > 0, ratio below 1 - eps: unclipped (more pessimistic)
    assert!(close(ppo_clip_loss(0.5, 2.0, 0.2), -1.0, 1e-12));
    // A < 0, ratio below 1 - eps: clipped at (1 - eps)
    assert!(close(ppo_clip_loss(0.5, -2.0, 0.2), 1.6, 1e-12));
    // A < 0, ratio above 1 + eps: unclipped
    assert!(close(ppo_clip_loss(1.5, -2.0, 0.2), 3.0, 1e-12));
    // inside the trust region: plain -A * ratio
    assert!(close(ppo_clip_loss(1.1, 2.0, 0.2), -2.2, 1e-12));
}

#[test]
fn value_clip_takes_the_larger_error() {
    // v moved from 0 to 1, eps 0.2, target 1: unclipped error 0, clipped (0.2 - 1)^2 = 0.64
    assert!(close(value_clip_loss(1.0, 0.0, 1.0, 0.2), 0.32, 1e-12));
    // target 0: unclipped 1, clipped 0.04
    assert!(close(value_clip_loss(1.0, 0.0, 0.0, 0.2), 0.5, 1e-12));
    // inside the band both agree
    assert!(close(value_clip_loss(0.1, 0.0, 0.5, 0.2), 0.08, 1e-12));
}

#[test]
fn kl_estimators_are_unbiased_for_the_exact_kl() {
    let p = [0.5, 0.3, 0.15, 0.05];
    let q = [0.25, 0.25, 0.25, 0.25];
    // hand value: 0.5 ln2 + 0.3 ln1.2 + 0.15 ln0.6 + 0.05 ln0.2
    let hand = 0.5 * 2f64.ln() + 0.3 * 1.2f64.ln() + 0.15 * 0.6f64.ln() + 0.05 * 0.2f64.ln();
    assert!(close(exact_kl(&p, &q), hand, 1e-12));
    // exact expectations under p
    let e = |f: fn(f64, f64) -> f64| -> f64 {
        p.iter()
            .zip(&q)
            .map(|(pi, qi)| pi * f(pi.ln(), qi.ln()))
            .sum()
    };
    assert!(close(e(kl_k1), hand, 1e-12));
    assert!(close(e(kl_k3), hand, 1e-12));
    // k3 is never negative; k1 is for the tokens p likes less than q
    for (pi, qi) in p.iter().zip(&q) {
        assert!(kl_k3(pi.ln(), qi.ln()) >= 0.0);
    }
    assert!(kl_k1(0.05f64.ln(), 0.25f64.ln()) < 0.0);
    // Monte Carlo with samples from p converges to the exact value
    let mut rng = Rng::new(7);
    let n = 200_000;
    let (mut s1, mut s3) = (0.0, 0.0);
    for _ in 0..n {
        let mut u = rng.uniform();
        let mut i = 0;
        while i + 1 < p.len() && u >= p[i] {
            u -= p[i];
            i += 1;
        }
        s1 += kl_k1(p[i].ln(), q[i].ln());
        s3 += kl_k3(p[i].ln(), q[i].ln());
    }
    assert!(close(s1 / n as f64, hand, 0.01), "k1 {}", s1 / n as f64);
    assert!(close(s3 / n as f64, hand, 0.01), "k3 {}", s3 / n as f64);
}

#[test]
fn whiten_and_confidence_interval() {
    let w = whiten(&[1.0, 3.0]);
    all_close(&w, &[-1.0, 1.0], 1e-6);
    // [1, 2, 3]: mean 2, sample sd 1, half-width 4.303 / sqrt(3)
    let (m, h) = mean_ci95(&[1.0, 2.0, 3.0]);
    assert!(close(m, 2.0, 1e-12));
    assert!(close(h, 4.303 / 3f64.sqrt(), 1e-9));
    assert!(mean_ci95(&[1.0]).1.is_nan());
    assert_eq!(t975(100), 1.96);
}
