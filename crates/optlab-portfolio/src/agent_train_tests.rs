use super::*;
use crate::backtest::{run, BacktestConfig};
use crate::bl::{
    equal_weights, equilibrium_returns, posterior, unconstrained_weights, OmegaSpec, Views,
};
use crate::cov::ledoit_wolf;
use crate::synth::{generate, SynthConfig};

#[test]
fn step_map_equals_black_litterman_weights() {
    let t = generate(&SynthConfig {
        n_assets: 4,
        n_days: 150,
        seed: 4,
    });
    let r = t.simple_returns();
    let cfg = AgentConfig::default();
    let s = step(&r, &cfg).unwrap();
    let q = vec![0.001, -0.0005, 0.0, 0.002];
    let (sigma, _) = ledoit_wolf(&r[r.len() - cfg.lookback..]);
    let pi = equilibrium_returns(&sigma, &equal_weights(4), cfg.delta).unwrap();
    let post = posterior(
        &sigma,
        &pi,
        Some(&Views::absolute(q.clone(), OmegaSpec::HeLitterman)),
        0.05,
    )
    .unwrap();
    let w = unconstrained_weights(&post.mean, &post.cov, cfg.delta).unwrap();
    let aq = s.a.matvec(&q).unwrap();
    for i in 0..4 {
        assert!((aq[i] + s.b[i] - w[i]).abs() < 1e-9 * (1.0 + w[i].abs()));
    }
}

#[test]
fn training_improves_reward_and_agent_has_no_look_ahead() {
    let t = generate(&SynthConfig {
        n_assets: 5,
        n_days: 700,
        seed: 12,
    });
    let r = t.simple_returns();
    let cfg = AgentConfig {
        epochs: 30,
        ..Default::default()
    };
    let rep = train(&r, (1, 450), (450, 570), &cfg, 3).unwrap();
    assert!(rep.train_reward.last().unwrap() > &rep.train_reward[0]);
    assert!(rep.valid_reward[rep.best_epoch] >= rep.valid_reward[0]);
    // Shifting prices after the training+validation periods changes neither the selected policy
    // nor the test decisions taken before the shift.
    let mut shifted = t.clone();
    for row in shifted.prices.iter_mut().skip(640) {
        row.iter_mut().for_each(|p| *p *= 1.5);
    }
    let rep2 = train(&shifted.simple_returns(), (1, 450), (450, 570), &cfg, 3).unwrap();
    assert_eq!(rep.policy, rep2.policy);
    let bt = BacktestConfig {
        start: 570,
        rebalance_every: 5,
        ..Default::default()
    };
    let a = run(
        &t,
        &mut DrlBl {
            policy: rep.policy.clone(),
            cfg: cfg.clone(),
        },
        &bt,
    )
    .unwrap();
    let b = run(
        &shifted,
        &mut DrlBl {
            policy: rep2.policy,
            cfg,
        },
        &bt,
    )
    .unwrap();
    let early = |x: &crate::backtest::BacktestResult| -> Vec<(usize, Vec<f64>)> {
        x.decisions
            .iter()
            .filter(|(d, _)| *d <= 639)
            .cloned()
            .collect()
    };
    assert_eq!(early(&a), early(&b));
    assert_ne!(a.decisions, b.decisions);
    for (_, w) in &a.decisions {
        assert!((w.iter().map(|x| x.abs()).sum::<f64>() - 1.0).abs() < 1e-9);
    }
}
