use super::*;
use crate::backtest::{run, BacktestConfig, BacktestResult};
use crate::synth::{generate, SynthConfig};
use optlab_core::report::Silent;

fn cfgs() -> (BdaConfig, BdaTrainConfig) {
    (
        crate::bda::tests::small(),
        BdaTrainConfig {
            steps: 40,
            batch: 16,
            lr: 3e-3,
            eval_every: 10,
            ..BdaTrainConfig::default()
        },
    )
}

#[test]
fn drift_keeps_value_shares() {
    let w = drift(&[0.2, -0.3], &[0.1, 0.05]);
    let v = 1.0 + 0.02 - 0.015;
    assert!((w[0] - 0.22 / v).abs() < 1e-15 && (w[1] + 0.315 / v).abs() < 1e-15);
}

#[test]
fn training_raises_the_reward_and_the_agent_has_no_look_ahead() {
    let t = generate(&SynthConfig {
        n_assets: 5,
        n_days: 420,
        seed: 12,
    });
    let r = t.simple_returns();
    let (cfg, tc) = cfgs();
    let (mut agent, rep) = train_bda(&r, (1, 260), (260, 340), &cfg, &tc, 3, &Silent).unwrap();
    assert_eq!(rep.eval_steps, vec![0, 10, 20, 30, 40]);
    let tr = &rep.train_reward;
    assert!(tr[4] > tr[1], "training reward did not rise: {tr:?}");
    let best = rep.valid_reward.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(
        rep.valid_reward[rep
            .eval_steps
            .iter()
            .position(|s| *s == rep.best_step)
            .unwrap()],
        best
    );

    // Shifting prices from index 380 on (after validation) changes neither the trained agent nor the test
    // decisions taken before the shift (but does change later ones).
    let mut shifted = t.clone();
    for (k, row) in shifted.prices.iter_mut().enumerate().skip(380) {
        row.iter_mut()
            .enumerate()
            .for_each(|(i, p)| *p *= 1.0 + 0.01 * ((k + i) % 7) as f64);
    }
    let (mut agent2, _) = train_bda(
        &shifted.simple_returns(),
        (1, 260),
        (260, 340),
        &cfg,
        &tc,
        3,
        &Silent,
    )
    .unwrap();
    let bt = BacktestConfig {
        start: 340,
        rebalance_every: 5,
        ..Default::default()
    };
    let a = run(&t, &mut agent, &bt).unwrap();
    let b = run(&shifted, &mut agent2, &bt).unwrap();
    let early = |x: &BacktestResult| -> Vec<(usize, Vec<f64>)> {
        x.decisions
            .iter()
            .filter(|(d, _)| *d < 380)
            .cloned()
            .collect()
    };
    assert!(early(&a).len() >= 8);
    assert_eq!(early(&a), early(&b));
    assert_ne!(a.decisions, b.decisions);
    for (_, w) in &a.decisions {
        assert!((w.iter().map(|x| x.abs()).sum::<f64>() - 0.5).abs() < 1e-5);
    }
}

#[test]
fn too_short_a_period_is_an_error() {
    let t = generate(&SynthConfig {
        n_assets: 3,
        n_days: 60,
        seed: 1,
    });
    let (cfg, tc) = cfgs();
    let err = train_bda(
        &t.simple_returns(),
        (1, 30),
        (30, 50),
        &cfg,
        &tc,
        0,
        &Silent,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("too short"), "{err}");
    let bad = BdaTrainConfig { batch: 0, ..tc };
    let err = train_bda(
        &t.simple_returns(),
        (1, 30),
        (30, 50),
        &cfg,
        &bad,
        0,
        &Silent,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("batch >= 1"), "{err}");
}
