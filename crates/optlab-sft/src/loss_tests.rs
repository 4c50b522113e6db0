use super::*;
use candle_core::{Device, Var};
use optlab_core::rng::Rng;

/// The reference formula evaluated directly in f64 for one row: (loss, d loss / d z).
fn gem_row_f64(z: &[f64], y: usize, beta: f64, h: GemWeight) -> (f64, Vec<f64>) {
    let lse = |s: f64| {
        let m = z.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b / s));
        m + z.iter().map(|&x| (x / s - m).exp()).sum::<f64>().ln()
    };
    let (l1, lb) = (lse(1.0), lse(beta));
    let logp: Vec<f64> = z.iter().map(|&x| x - l1).collect();
    let q: Vec<f64> = z.iter().map(|&x| (x / beta - lb).exp()).collect();
    let w: Vec<f64> = z
        .iter()
        .map(|&x| match h {
            GemWeight::Linear => 1.0,
            GemWeight::Logsigmoid => 1.0 / (1.0 + (-0.01 * (x - z[y])).exp()),
        })
        .collect();
    let loss = -(0..z.len())
        .map(|v| q[v] * w[v] * (logp[y] - logp[v]))
        .sum::<f64>();
    let s: f64 = (0..z.len()).map(|v| q[v] * w[v]).sum();
    let grad = (0..z.len())
        .map(|v| q[v] * w[v] - if v == y { s } else { 0.0 })
        .collect();
    (loss, grad)
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

fn random_case(rows: usize, v: usize, seed: u64) -> (Vec<f64>, Vec<i64>) {
    let mut rng = Rng::new(seed);
    let z: Vec<f64> = (0..rows * v).map(|_| 3.0 * rng.normal()).collect();
    let t = (0..rows)
        .map(|i| {
            if i % 3 == 1 {
                IGNORE_INDEX
            } else {
                rng.below(v) as i64
            }
        })
        .collect();
    (z, t)
}

fn loss_and_grad(
    z: &[f64],
    shape: (usize, usize, usize),
    t: &[i64],
    kind: &SftLoss,
) -> (f64, Vec<f64>) {
    let var = Var::from_vec(z.to_vec(), shape, &Device::Cpu).unwrap();
    let out = sft_loss(var.as_tensor(), t, kind, None).unwrap();
    let g = out.loss.backward().unwrap();
    // No gradient entry at all (everything masked) means a zero gradient.
    let grad = match g.get(var.as_tensor()) {
        Some(t) => t.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
        None => vec![0.0; z.len()],
    };
    (out.loss.to_scalar::<f64>().unwrap(), grad)
}

#[test]
fn gem_value_and_gradient_match_direct_f64_formula() {
    let (b, t, v) = (2, 6, 13);
    let (z, targets) = random_case(b * t, v, 7);
    for h in [GemWeight::Linear, GemWeight::Logsigmoid] {
        for beta in [0.7, 0.3, 1.0] {
            let kind = SftLoss::Gem { beta, h };
            let (loss, grad) = loss_and_grad(&z, (b, t, v), &targets, &kind);
            let kept: Vec<usize> = (0..b * t).filter(|&i| targets[i] != IGNORE_INDEX).collect();
            let n = kept.len() as f64;
            let mut want_loss = 0.0;
            let mut want_grad = vec![0.0; z.len()];
            for &i in &kept {
                let (l, g) = gem_row_f64(&z[i * v..(i + 1) * v], targets[i] as usize, beta, h);
                want_loss += l / n;
                for (j, gj) in g.iter().enumerate() {
                    want_grad[i * v + j] = gj / n;
                }
            }
            assert!(
                close(loss, want_loss, 1e-6),
                "{h:?} beta {beta}: {loss} vs {want_loss}"
            );
            for (j, (a, w)) in grad.iter().zip(&want_grad).enumerate() {
                assert!(
                    close(*a, *w, 1e-6),
                    "{h:?} beta {beta} grad[{j}]: {a} vs {w}"
                );
            }
            // Masked rows: exactly zero gradient.
            for i in (0..b * t).filter(|&i| targets[i] == IGNORE_INDEX) {
                assert!(grad[i * v..(i + 1) * v].iter().all(|&g| g == 0.0));
            }
        }
    }
}

#[test]
fn published_test_vector() {
    // posttraining-research.md 1.2: z = [1, 2, 3, 0.5], y = 0, beta = 0.7.
    let z = [1.0, 2.0, 3.0, 0.5];
    let cases = [
        (
            SftLoss::GEM,
            1.67944035,
            [-0.95666115, 0.18084150, 0.75460347, 0.02121617],
        ),
        (
            SftLoss::Gem {
                beta: 0.7,
                h: GemWeight::Logsigmoid,
            },
            0.84773132,
            [-0.48252904, 0.09087285, 0.38107463, 0.01058157],
        ),
        (
            SftLoss::CE,
            2.46077349,
            [-0.91463111, 0.23205671, 0.63079554, 0.05177885],
        ),
    ];
    for (kind, want, want_g) in cases {
        let (l, g) = loss_and_grad(&z, (1, 1, 4), &[0], &kind);
        assert!((l - want).abs() < 1e-7, "{kind:?}: {l} vs {want}");
        for (a, b) in g.iter().zip(want_g) {
            assert!((a - b).abs() < 1e-7, "{kind:?}: {g:?}");
        }
    }
}

#[test]
fn masked_rows_do_not_change_the_loss() {
    let (b, t, v) = (1, 9, 7);
    let (mut z, targets) = random_case(b * t, v, 3);
    let kinds = [
        SftLoss::CE,
        SftLoss::GEM,
        SftLoss::Ce {
            label_smoothing: 0.1,
        },
    ];
    let before: Vec<f64> = kinds
        .iter()
        .map(|k| loss_and_grad(&z, (b, t, v), &targets, k).0)
        .collect();
    for i in (0..t).filter(|&i| targets[i] == IGNORE_INDEX) {
        z[i * v..(i + 1) * v]
            .iter_mut()
            .for_each(|x| *x = 1e3 * (*x + 1.0));
    }
    for (k, want) in kinds.iter().zip(before) {
        assert_eq!(loss_and_grad(&z, (b, t, v), &targets, k).0, want, "{k:?}");
    }
    // All rows masked: zero loss, zero gradient, no error.
    let (l, g) = loss_and_grad(&z, (b, t, v), &vec![IGNORE_INDEX; t], &SftLoss::GEM);
    assert_eq!(l, 0.0);
    assert!(g.iter().all(|&x| x == 0.0));
}

#[test]
fn cross_entropy_and_label_smoothing_match_direct_formula() {
    let (b, t, v) = (2, 4, 9);
    let (z, targets) = random_case(b * t, v, 11);
    for eps in [0.0, 0.2] {
        let (loss, _) = loss_and_grad(
            &z,
            (b, t, v),
            &targets,
            &SftLoss::Ce {
                label_smoothing: eps,
            },
        );
        let mut want = 0.0;
        let mut n = 0.0;
        for (i, &y) in targets.iter().enumerate() {
            if y == IGNORE_INDEX {
                continue;
            }
            let row = &z[i * v..(i + 1) * v];
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + row.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
            let nll = lse - row[y as usize];
            let smooth = row.iter().map(|x| lse - x).sum::<f64>() / v as f64;
            want += (1.0 - eps) * nll + eps * smooth;
            n += 1.0;
        }
        assert!(
            close(loss, want / n, 1e-10),
            "eps {eps}: {loss} vs {}",
            want / n
        );
    }
}

#[test]
fn gem_linear_at_beta_one_has_the_cross_entropy_gradient() {
    let (z, targets) = random_case(5, 8, 5);
    let (_, g_gem) = loss_and_grad(
        &z,
        (1, 5, 8),
        &targets,
        &SftLoss::Gem {
            beta: 1.0,
            h: GemWeight::Linear,
        },
    );
    let (_, g_ce) = loss_and_grad(&z, (1, 5, 8), &targets, &SftLoss::CE);
    for (a, b) in g_gem.iter().zip(&g_ce) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn f32_logits_agree_with_f64_and_extreme_logits_stay_finite() {
    let (z, targets) = random_case(6, 10, 9);
    let z32: Vec<f32> = z.iter().map(|&x| x as f32 * 30.0).collect();
    let z64: Vec<f64> = z32.iter().map(|&x| x as f64).collect();
    for kind in [SftLoss::CE, SftLoss::GEM] {
        let t32 = Tensor::from_vec(z32.clone(), (6, 10), &Device::Cpu).unwrap();
        let l32 = sft_loss(&t32, &targets, &kind, None)
            .unwrap()
            .loss
            .to_scalar::<f32>()
            .unwrap();
        let (l64, _) = loss_and_grad(&z64, (1, 6, 10), &targets, &kind);
        assert!(l32.is_finite());
        assert!(close(l32 as f64, l64, 1e-5), "{kind:?}: {l32} vs {l64}");
    }
}

#[test]
fn shift_and_bad_targets() {
    assert_eq!(
        shift_labels(&[1, 2, 3, 4, 5, 6], 3),
        vec![2, 3, IGNORE_INDEX, 5, 6, IGNORE_INDEX]
    );
    let z = Tensor::zeros((2, 4), DType::F32, &Device::Cpu).unwrap();
    let e = sft_loss(&z, &[0, 4], &SftLoss::CE, None)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("outside the vocabulary"), "{e}");
    assert!(sft_loss(&z, &[0], &SftLoss::CE, None).is_err());
    assert!(sft_loss(
        &z,
        &[0, 1],
        &SftLoss::Gem {
            beta: 0.0,
            h: GemWeight::Linear
        },
        None
    )
    .is_err());
}
