use super::*;
use crate::bl::unconstrained_weights;
use crate::cov::sample_cov;
use crate::synth::{generate, SynthConfig};

fn setup(n: usize) -> (Vec<f64>, Mat) {
    let t = generate(&SynthConfig {
        n_assets: n,
        n_days: 400,
        seed: 11,
    });
    let r = t.log_returns();
    let s = sample_cov(&r);
    let mu: Vec<f64> = (0..n).map(|i| 0.0005 * ((i as f64 * 1.7).sin())).collect();
    (mu, s)
}

#[test]
fn unconstrained_matches_closed_form() {
    let (mu, s) = setup(6);
    let w = mean_variance(&mu, &s, 3.0, &Constraints::none(6)).unwrap();
    let w0 = unconstrained_weights(&mu, &s, 3.0).unwrap();
    for (a, b) in w.iter().zip(&w0) {
        assert!((a - b).abs() < 1e-6 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn budget_matches_lagrange_closed_form() {
    let (mu, s) = setup(6);
    let mut c = Constraints::none(6);
    c.budget = Some(1.0);
    let w = mean_variance(&mu, &s, 3.0, &c).unwrap();
    // w = S^-1 (mu - g 1) / d with g chosen so that sum w = 1.
    let a = s.solve_spd(&mu).unwrap();
    let o = s.solve_spd(&[1.0; 6]).unwrap();
    let g = (a.iter().sum::<f64>() - 3.0) / o.iter().sum::<f64>();
    for i in 0..6 {
        let e = (a[i] - g * o[i]) / 3.0;
        assert!((w[i] - e).abs() < 1e-6 * (1.0 + e.abs()));
    }
    let mv = min_variance(&s, &c).unwrap();
    for i in 0..6 {
        assert!((mv[i] - o[i] / o.iter().sum::<f64>()).abs() < 1e-6);
    }
}

#[test]
fn constraints_hold() {
    let (mu, s) = setup(8);
    let mu: Vec<f64> = mu.iter().map(|m| m * 40.0).collect();
    let c = Constraints::long_short(8, 0.3, 1.0);
    let w = mean_variance(&mu, &s, 1.0, &c).unwrap();
    let gross: f64 = w.iter().map(|x| x.abs()).sum();
    assert!(gross <= 1.0 + 1e-7, "gross {gross}");
    assert!(w.iter().all(|x| x.abs() <= 0.3 + 1e-7));
    assert!(
        w.iter().any(|x| *x < -1e-3),
        "expected a short position: {w:?}"
    );
    let lo = Constraints::long_only(8, 0.25);
    let w = mean_variance(&mu, &s, 1.0, &lo).unwrap();
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-7);
    assert!(w.iter().all(|x| *x >= -1e-8 && *x <= 0.25 + 1e-7));
    // Infeasible bounds are reported, not panicked on.
    let bad = Constraints::long_only(8, 0.1);
    assert!(mean_variance(&mu, &s, 1.0, &bad).is_err());
}

#[test]
fn max_sharpe_beats_other_portfolios() {
    let (mu, s) = setup(5);
    let mu: Vec<f64> = mu.iter().map(|m| m.abs() + 1e-4).collect();
    let w = max_sharpe_long_only(&mu, &s).unwrap();
    let sharpe = |w: &[f64]| {
        let r: f64 = w.iter().zip(&mu).map(|(a, b)| a * b).sum();
        r / s
            .matvec(w)
            .unwrap()
            .iter()
            .zip(w)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .sqrt()
    };
    let best = sharpe(&w);
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    for k in 0..5 {
        let mut e = vec![0.0; 5];
        e[k] = 1.0;
        assert!(sharpe(&e) <= best + 1e-9);
    }
    assert!(sharpe(&[0.2; 5]) <= best + 1e-9);
    assert!(max_sharpe_long_only(&[-1.0; 5], &s).is_err());
}
