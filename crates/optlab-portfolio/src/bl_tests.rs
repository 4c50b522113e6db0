use super::*;
use crate::cov::sample_cov;
use crate::synth::{generate, SynthConfig};

fn setup() -> (Mat, Vec<f64>) {
    let t = generate(&SynthConfig {
        n_assets: 5,
        n_days: 300,
        seed: 3,
    });
    let s = sample_cov(&t.log_returns());
    let pi = equilibrium_returns(&s, &equal_weights(5), 2.5).unwrap();
    (s, pi)
}

fn views(n: usize, omega: OmegaSpec) -> Views {
    let mut p = Mat::zeros(2, n);
    p.set(0, 0, 1.0);
    p.set(1, 1, 1.0);
    p.set(1, 2, -1.0);
    Views {
        p,
        q: vec![0.002, 0.001],
        omega,
    }
}

#[test]
fn matches_precision_form_textbook() {
    let (s, pi) = setup();
    let tau = 0.05;
    let v = views(5, OmegaSpec::HeLitterman);
    let post = posterior(&s, &pi, Some(&v), tau).unwrap();
    // Independent evaluation: [(tS)^-1 + P' O^-1 P]^-1 [(tS)^-1 Pi + P' O^-1 Q].
    let om = v.omega_matrix(&s, tau).unwrap();
    let inv = |m: &Mat| m.cholesky().unwrap().inverse();
    let tsi = inv(&s.scale(tau));
    let oi = inv(&om);
    let prec = tsi
        .add_scaled(&v.p.t().matmul(&oi).unwrap().matmul(&v.p).unwrap(), 1.0)
        .unwrap();
    let m = inv(&prec);
    let rhs: Vec<f64> = tsi
        .matvec(&pi)
        .unwrap()
        .iter()
        .zip(v.p.t().matmul(&oi).unwrap().matvec(&v.q).unwrap())
        .map(|(a, b)| a + b)
        .collect();
    let mean = m.matvec(&rhs).unwrap();
    for (a, b) in post.mean.iter().zip(&mean) {
        assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let cov = s.add_scaled(&m, 1.0).unwrap();
    for (a, b) in post.cov.data.iter().zip(&cov.data) {
        assert!((a - b).abs() < 1e-9 * b.abs().max(1e-6));
    }
    assert!(post.cov.cholesky().is_ok());
    // Weights equal (delta Sigma_post)^-1 mu_post.
    let w = unconstrained_weights(&post.mean, &post.cov, 2.5).unwrap();
    let back = post.cov.matvec(&w).unwrap();
    for (a, b) in back.iter().zip(&post.mean) {
        assert!((2.5 * a - b).abs() < 1e-9 * b.abs().max(1e-6));
    }
}

#[test]
fn no_views_gives_prior_and_prior_weights() {
    let (s, pi) = setup();
    let post = posterior(&s, &pi, None, 0.05).unwrap();
    assert_eq!(post.mean, pi);
    // Reverse optimisation round trip: (delta Sigma)^-1 Pi = equal weights.
    let w = unconstrained_weights(&pi, &s, 2.5).unwrap();
    for x in w {
        assert!((x - 0.2).abs() < 1e-9);
    }
    // Views with vanishing confidence also give the prior.
    let v = views(5, OmegaSpec::Idzorek(vec![1e-12, 1e-12]));
    let post = posterior(&s, &pi, Some(&v), 0.05).unwrap();
    for (a, b) in post.mean.iter().zip(&pi) {
        assert!((a - b).abs() < 1e-9);
    }
}

#[test]
fn certain_views_are_met_exactly() {
    let (s, pi) = setup();
    let v = views(5, OmegaSpec::Idzorek(vec![1.0, 1.0]));
    let post = posterior(&s, &pi, Some(&v), 0.05).unwrap();
    let pm = v.p.matvec(&post.mean).unwrap();
    for (a, b) in pm.iter().zip(&v.q) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    // Partial confidence lands in between.
    let half = views(5, OmegaSpec::Idzorek(vec![0.5, 0.5]));
    let ph = posterior(&s, &pi, Some(&half), 0.05).unwrap();
    let x = ph.mean[0];
    assert!((x - pi[0]) * (0.002 - x) > 0.0);
}

#[test]
fn tau_cancels_with_identity_picking_and_he_litterman() {
    let (s, pi) = setup();
    let q: Vec<f64> = (0..5).map(|i| 0.001 * i as f64 - 0.001).collect();
    let v = Views::absolute(q.clone(), OmegaSpec::HeLitterman);
    let a = posterior(&s, &pi, Some(&v), 0.01).unwrap();
    let b = posterior(&s, &pi, Some(&v), 0.5).unwrap();
    // mu = Pi + Sigma (Sigma + D)^-1 (q - Pi), D = diag(Sigma).
    let sd = s.add_scaled(&Mat::diag(&s.diagonal()), 1.0).unwrap();
    let r: Vec<f64> = q.iter().zip(&pi).map(|(x, y)| x - y).collect();
    let adj = s.matvec(&sd.solve_spd(&r).unwrap()).unwrap();
    for i in 0..5 {
        assert!((a.mean[i] - b.mean[i]).abs() < 1e-12);
        assert!((a.mean[i] - pi[i] - adj[i]).abs() < 1e-12);
    }
}

#[test]
fn bad_shapes_are_errors() {
    let (s, pi) = setup();
    let v = Views {
        p: Mat::identity(3),
        q: vec![0.0; 3],
        omega: OmegaSpec::HeLitterman,
    };
    assert!(posterior(&s, &pi, Some(&v), 0.05).is_err());
    let v = Views::absolute(vec![0.0; 5], OmegaSpec::Idzorek(vec![0.0; 5]));
    assert!(posterior(&s, &pi, Some(&v), 0.05).is_err());
}

#[test]
fn solves_reproduce_the_explicit_inverse_form_to_rounding() {
    let (s, pi) = setup();
    let tau = 0.05;
    let v = views(5, OmegaSpec::Idzorek(vec![0.3, 0.8]));
    let post = posterior(&s, &pi, Some(&v), tau).unwrap();
    // The same formula with A^-1 formed explicitly, as before the move to solves.
    let tsp = s.scale(tau).matmul(&v.p.t()).unwrap();
    let a =
        v.p.matmul(&tsp)
            .unwrap()
            .add_scaled(&v.omega_matrix(&s, tau).unwrap(), 1.0)
            .unwrap();
    let a_inv = a.cholesky().unwrap().inverse();
    let ppi = v.p.matvec(&pi).unwrap();
    let resid: Vec<f64> = v.q.iter().zip(&ppi).map(|(q, p)| q - p).collect();
    let adj = tsp.matvec(&a_inv.matvec(&resid).unwrap()).unwrap();
    let mut worst: f64 = 0.0;
    for ((m, p), d) in post.mean.iter().zip(&pi).zip(&adj) {
        worst = worst.max((m - (p + d)).abs() / (p + d).abs().max(1e-12));
    }
    let m = tsp.matmul(&a_inv).unwrap().matmul(&tsp.t()).unwrap();
    let cov = s
        .add_scaled(&s.scale(tau).add_scaled(&m, -1.0).unwrap(), 1.0)
        .unwrap();
    for (x, y) in post.cov.data.iter().zip(&cov.data) {
        worst = worst.max((x - y).abs() / y.abs().max(1e-12));
    }
    eprintln!("solve vs explicit inverse: max relative difference {worst:.2e}");
    assert!(worst < 1e-12, "{worst}");
}
