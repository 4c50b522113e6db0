use super::*;
use crate::synth::{generate, SynthConfig};

#[test]
fn analytic_gradient_matches_finite_differences() {
    let t = generate(&SynthConfig {
        n_assets: 5,
        n_days: 200,
        seed: 9,
    });
    let r = t.simple_returns();
    let cfg = AgentConfig {
        z2: 0.003,
        ..Default::default()
    };
    let s = step(&r[..120], &cfg).unwrap();
    let pol = Policy::init(&cfg, 1);
    let w_prev = vec![0.1, -0.2, 0.05, 0.0, 0.3];
    let fut = &r[120..125];
    let (_, g, w) = pol.reward_grad(&s, &w_prev, fut, &cfg);
    assert!((w.iter().map(|x| x.abs()).sum::<f64>() - cfg.gross).abs() < 1e-12);
    for (j, gj) in g.iter().enumerate() {
        let h = 1e-6;
        let mut p = pol.clone();
        p.theta[j] += h;
        let up = p.reward_grad(&s, &w_prev, fut, &cfg).0;
        p.theta[j] -= 2.0 * h;
        let dn = p.reward_grad(&s, &w_prev, fut, &cfg).0;
        let fd = (up - dn) / (2.0 * h);
        assert!(
            (fd - gj).abs() < 1e-6 * (1.0 + fd.abs()),
            "theta[{j}]: fd {fd} vs {gj}"
        );
    }
}

#[test]
fn short_history_gives_no_step() {
    let r = vec![vec![0.0; 3]; 10];
    assert!(step(&r, &AgentConfig::default()).is_none());
}

#[test]
fn direct_variant_gradient_matches_finite_differences() {
    let t = generate(&SynthConfig {
        n_assets: 4,
        n_days: 150,
        seed: 6,
    });
    let r = t.simple_returns();
    let cfg = AgentConfig {
        direct: true,
        ..Default::default()
    };
    let s = step(&r[..100], &cfg).unwrap();
    let pol = Policy::init(&cfg, 2);
    let w_prev = vec![0.2, -0.1, 0.0, 0.1];
    let (_, g, _) = pol.reward_grad(&s, &w_prev, &r[100..105], &cfg);
    for (j, gj) in g.iter().enumerate() {
        let mut p = pol.clone();
        p.theta[j] += 1e-6;
        let up = p.reward_grad(&s, &w_prev, &r[100..105], &cfg).0;
        p.theta[j] -= 2e-6;
        let dn = p.reward_grad(&s, &w_prev, &r[100..105], &cfg).0;
        let fd = (up - dn) / 2e-6;
        assert!(
            (fd - gj).abs() < 1e-6 * (1.0 + fd.abs()),
            "theta[{j}]: fd {fd} vs {gj}"
        );
    }
}
