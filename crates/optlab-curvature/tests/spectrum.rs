//! Lanczos against a dense eigendecomposition (faer) and SLQ cluster masses.

mod common;

use common::SmallMlp;
use optlab_core::rng::Rng;
use optlab_curvature::hvp::Hvp;
use optlab_curvature::lanczos::{lanczos, ritz_values, tridiagonal_eigen};
use optlab_curvature::slq::{density, mass_between, slq, Grid, SlqConfig};
use optlab_curvature::Result;

fn dense_eigenvalues(h: &[f64], n: usize) -> Vec<f64> {
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| 0.5 * (h[i * n + j] + h[j * n + i]));
    let mut ev: Vec<f64> = m.self_adjoint_eigenvalues(faer::Side::Lower).unwrap();
    ev.sort_by(f64::total_cmp);
    ev
}

fn nearest(x: f64, set: &[f64]) -> f64 {
    set.iter()
        .map(|y| (x - y).abs())
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn lanczos_matches_dense_eigendecomposition_of_mlp_hessian() {
    let m = SmallMlp::new(&[4, 6, 3], 16, 5);
    let hvp = Hvp::new(&m, &[]).unwrap();
    let n = hvp.dim();
    let mut h = vec![0.0; n * n];
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        for (i, x) in hvp.apply(&e).unwrap().into_iter().enumerate() {
            h[i * n + j] = x;
        }
    }
    let dense = dense_eigenvalues(&h, n);
    let scale = dense.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    let mut start = Rng::new(1);
    let v0: Vec<f64> = (0..n).map(|_| start.normal()).collect();
    // On the assembled (symmetrised) matrix: every Ritz value is an eigenvalue and vice versa.
    let mut matop = |v: &[f64]| -> Result<Vec<f64>> {
        Ok((0..n)
            .map(|i| {
                (0..n)
                    .map(|j| 0.5 * (h[i * n + j] + h[j * n + i]) * v[j])
                    .sum()
            })
            .collect())
    };
    let ritz = ritz_values(&mut matop, &v0, n).unwrap();
    let worst = ritz
        .iter()
        .map(|&r| nearest(r, &dense))
        .chain(dense.iter().map(|&d| nearest(d, &ritz)))
        .fold(0.0f64, f64::max);
    println!(
        "Lanczos vs faer: {} Ritz values, {n} eigenvalues, max gap {worst:.3e} (scale {scale:.3e})",
        ritz.len()
    );
    for &r in &ritz {
        assert!(
            nearest(r, &dense) < 1e-6 * scale,
            "Ritz value {r} not an eigenvalue"
        );
    }
    for &d in &dense {
        assert!(nearest(d, &ritz) < 1e-6 * scale, "eigenvalue {d} missed");
    }
    // Through the HVP itself: the extreme eigenvalues after 30 steps.
    let mut op = |v: &[f64]| hvp.apply(v);
    let ritz = ritz_values(&mut op, &v0, 30).unwrap();
    assert!((ritz[ritz.len() - 1] - dense[n - 1]).abs() < 1e-6 * scale);
    assert!((ritz[0] - dense[0]).abs() < 1e-6 * scale);
}

#[test]
fn tridiagonal_eigen_matches_faer() {
    let mut rng = Rng::new(3);
    let n = 40;
    let alpha: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let beta: Vec<f64> = (0..n - 1).map(|_| rng.normal()).collect();
    let t = optlab_curvature::lanczos::Tridiagonal {
        alpha: alpha.clone(),
        beta: beta.clone(),
    };
    let (ev, first) = tridiagonal_eigen(&t).unwrap();
    let m = faer::Mat::<f64>::from_fn(n, n, |i, j| match i.abs_diff(j) {
        0 => alpha[i],
        1 => beta[i.min(j)],
        _ => 0.0,
    });
    let evd = m.self_adjoint_eigen(faer::Side::Lower).unwrap();
    let s = evd.S();
    let u = evd.U();
    let mut pairs: Vec<(f64, f64)> = (0..n).map(|k| (s[k], u[(0, k)].powi(2))).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    for k in 0..n {
        assert!((ev[k] - pairs[k].0).abs() < 1e-10, "eigenvalue {k}");
        assert!((first[k].powi(2) - pairs[k].1).abs() < 1e-10, "weight {k}");
    }
    let total: f64 = first.iter().map(|x| x * x).sum();
    assert!((total - 1.0).abs() < 1e-12);
}

#[test]
fn slq_recovers_two_cluster_masses() {
    let n = 2000;
    let mut rng = Rng::new(7);
    // 30% of the eigenvalues near 1, 70% near 5.
    let diag: Vec<f64> = (0..n)
        .map(|i| {
            if i < 600 {
                0.9 + 0.2 * rng.uniform()
            } else {
                4.9 + 0.2 * rng.uniform()
            }
        })
        .collect();
    let mut op =
        |v: &[f64]| -> Result<Vec<f64>> { Ok(v.iter().zip(&diag).map(|(x, d)| x * d).collect()) };
    let cfg = SlqConfig::default();
    let q = slq(&mut op, n, &cfg).unwrap();
    let grid = Grid::for_quadrature(&q, &cfg);
    let rho = density(&q, &grid, cfg.sigma2);
    let low = mass_between(&rho, &grid, 0.0, 3.0);
    let high = mass_between(&rho, &grid, 3.0, 7.0);
    println!("SLQ cluster masses {low:.4} (true 0.3), {high:.4} (true 0.7)");
    assert!((low - 0.3).abs() < 0.05 * 0.3, "low cluster mass {low}");
    assert!((high - 0.7).abs() < 0.05 * 0.7, "high cluster mass {high}");
    // No mass away from the clusters.
    assert!(mass_between(&rho, &grid, 1.5, 4.5) < 1e-3);
}

#[test]
fn plain_lanczos_without_reorthogonalisation_runs() {
    let diag: Vec<f64> = (1..=50).map(|i| i as f64).collect();
    let mut op =
        |v: &[f64]| -> Result<Vec<f64>> { Ok(v.iter().zip(&diag).map(|(x, d)| x * d).collect()) };
    let v0 = vec![1.0; 50];
    // Before orthogonality is lost the plain recurrence equals the reorthogonalised one.
    let plain = tridiagonal_eigen(&lanczos(&mut op, &v0, 12, false).unwrap())
        .unwrap()
        .0;
    let full = tridiagonal_eigen(&lanczos(&mut op, &v0, 12, true).unwrap())
        .unwrap()
        .0;
    for (a, b) in plain.iter().zip(&full) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
    assert!(full[11] > 45.0 && full[11] <= 50.0 + 1e-9);
}
