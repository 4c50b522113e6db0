use super::*;
use crate::bl::{posterior, unconstrained_weights, OmegaSpec, Views};
use optlab_core::rng::Rng;

fn random_history(rng: &mut Rng, t: usize, n: usize) -> Vec<Vec<f64>> {
    let market: Vec<f64> = (0..t).map(|_| 0.01 * rng.normal()).collect();
    (0..t)
        .map(|k| {
            (0..n)
                .map(|i| {
                    0.0003 * i as f64 + (0.5 + 0.2 * i as f64) * market[k] + 0.012 * rng.normal()
                })
                .collect()
        })
        .collect()
}

/// The tensor map (f64) against the textbook posterior `Pi + tau Sigma (tau Sigma + Omega)^-1
/// (q - Pi)`, `(Sigma + M)^-1 mu / lambda` from `bl.rs`, on random data, views and lambdas.
#[test]
fn differentiable_map_equals_closed_form_weights() {
    let mut rng = Rng::new(17);
    let (n, m, lookback, tau, gross) = (7, 4, 40, 0.05, 0.5);
    for trial in 0..5 {
        let hist = random_history(&mut rng, 50 + trial, n);
        let inp = date_inputs(&hist, m, lookback, tau).unwrap();
        let log: Vec<Vec<f64>> = hist[hist.len() - lookback..]
            .iter()
            .map(|r| r.iter().map(|v| v.ln_1p()).collect())
            .collect();
        let (sigma, _) = crate::cov::ledoit_wolf(&log);
        let q: Vec<f64> = (0..n).map(|_| 0.002 * rng.normal()).collect();
        let lam = 0.5 + 5.0 * rng.uniform();
        let pi: Vec<f64> = sigma
            .matvec(&crate::bl::equal_weights(n))
            .unwrap()
            .iter()
            .map(|v| lam * v)
            .collect();
        let views = Views::absolute(q.clone(), OmegaSpec::HeLitterman);
        let post = posterior(&sigma, &pi, Some(&views), tau).unwrap();
        let w = unconstrained_weights(&post.mean, &post.cov, lam).unwrap();
        let l1: f64 = w.iter().map(|x| x.abs()).sum();
        let expect: Vec<f64> = w.iter().map(|x| gross * x / l1).collect();

        let b = BatchInputs::new(&[&inp], m, 1.0, DType::F64, &Device::Cpu).unwrap();
        let qt = Tensor::from_vec(q, (1, n), &Device::Cpu).unwrap();
        let lt = Tensor::from_vec(vec![lam], (1, 1), &Device::Cpu).unwrap();
        let got: Vec<f64> = bl_weights(&qt, &lt, &b, gross)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        for i in 0..n {
            assert!(
                (got[i] - expect[i]).abs() < 1e-9,
                "trial {trial} asset {i}: {} vs {}",
                got[i],
                expect[i]
            );
        }
    }
}

#[test]
fn state_uses_only_the_last_periods_of_history() {
    let mut rng = Rng::new(3);
    let hist = random_history(&mut rng, 60, 4);
    let a = date_inputs(&hist, 3, 30, 0.05).unwrap();
    assert_eq!(a.x.len(), 15 * 4);
    assert!((a.x[0] - hist[45][0].ln_1p()).abs() < 1e-15);
    // Changing a day older than both windows changes nothing; too short a history gives None.
    let mut older = hist.clone();
    older[10][2] += 0.3;
    assert_eq!(date_inputs(&older, 3, 30, 0.05), Some(a));
    assert!(date_inputs(&hist[..29], 3, 30, 0.05).is_none());
}
