use super::*;
use crate::backtest::{run, BacktestConfig};
use crate::synth::{generate, SynthConfig};

fn small() -> crate::data::PriceTable {
    generate(&SynthConfig {
        n_assets: 6,
        n_days: 400,
        seed: 5,
    })
}

#[test]
fn every_baseline_runs_and_respects_constraints() {
    let t = small();
    let cfg = BacktestConfig {
        start: 260,
        rebalance_every: 20,
        ..Default::default()
    };
    for name in NAMES {
        let mut s = by_name(name, 6).unwrap();
        let r = run(&t, s.as_mut(), &cfg).unwrap();
        assert!(r.metrics.cumulative_return.is_finite(), "{name}");
        for (_, w) in &r.decisions {
            let gross: f64 = w.iter().map(|x| x.abs()).sum();
            match name {
                "static_bl" => {
                    assert!(gross <= 1.0 + 1e-6 && w.iter().all(|x| x.abs() <= 0.2 + 1e-6))
                }
                _ => {
                    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{name}");
                    assert!(w.iter().all(|x| *x >= -1e-7), "{name}");
                }
            }
        }
        if name == "buy_and_hold" {
            assert_eq!(r.decisions.len(), 1);
        }
    }
    assert!(by_name("nope", 6).is_err());
}

#[test]
fn shifting_future_prices_does_not_change_past_decisions() {
    let t = small();
    let k = 330;
    let mut shifted = t.clone();
    for (d, row) in shifted.prices.iter_mut().enumerate().skip(k + 1) {
        for (i, p) in row.iter_mut().enumerate() {
            *p *= 1.0 + 0.3 * ((d * 7 + i) as f64).sin();
        }
    }
    let cfg = BacktestConfig {
        start: 260,
        rebalance_every: 10,
        ..Default::default()
    };
    for name in NAMES {
        let a = run(&t, by_name(name, 6).unwrap().as_mut(), &cfg).unwrap();
        let b = run(&shifted, by_name(name, 6).unwrap().as_mut(), &cfg).unwrap();
        let past = |r: &crate::backtest::BacktestResult| -> Vec<(usize, Vec<f64>)> {
            r.decisions
                .iter()
                .filter(|(d, _)| *d <= k)
                .cloned()
                .collect()
        };
        assert!(!past(&a).is_empty());
        assert_eq!(past(&a), past(&b), "{name}");
        assert_eq!(a.equity[..=k - 260 + 1], b.equity[..=k - 260 + 1], "{name}");
        if name != "buy_and_hold" && name != "equal_weight" {
            assert_ne!(a.decisions, b.decisions, "{name} ignores the data");
        }
    }
}

#[test]
fn estimator_names_parse() {
    assert_eq!(parse_estimator("sample").unwrap(), CovEstimator::Sample);
    assert_eq!(parse_estimator("lw").unwrap(), CovEstimator::LedoitWolf);
    assert_eq!(
        parse_estimator("ewma:30").unwrap(),
        CovEstimator::Ewma { halflife: 30.0 }
    );
    assert!(parse_estimator("ewma:-1").is_err() && parse_estimator("x").is_err());
    let t = small();
    let cfg = BacktestConfig {
        start: 260,
        rebalance_every: 20,
        ..Default::default()
    };
    let a = run(
        &t,
        by_name_with("min_variance", 6, CovEstimator::Sample)
            .unwrap()
            .as_mut(),
        &cfg,
    )
    .unwrap();
    let b = run(
        &t,
        by_name_with("min_variance", 6, CovEstimator::Ewma { halflife: 20.0 })
            .unwrap()
            .as_mut(),
        &cfg,
    )
    .unwrap();
    assert_ne!(a.decisions, b.decisions, "{:?}", &a.decisions[..2]);
}
