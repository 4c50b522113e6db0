use super::*;
use candle_core::Device;
use optlab_core::models::Mlp;

/// A 2-class linear model, a batch inside [0.4, 0.6]^d and the closed-form worst-case loss:
/// with w = W_y − W_other the margin m = w·x + b_y − b_other drops to m − eps·‖w‖_q (q the dual
/// norm) and the cross-entropy becomes ln(1 + exp(−(m − eps‖w‖_q))).
fn linear_case(norm: Norm, eps: f64) -> (Mlp, Tensor, Tensor, Vec<f64>) {
    let (d, b) = (20usize, 8usize);
    let dev = Device::Cpu;
    let model = Mlp::new(&[d, 2], DType::F32, &dev, 11).unwrap();
    let w: Vec<Vec<f32>> = model
        .params()
        .get("layers.0.weight")
        .unwrap()
        .var
        .as_tensor()
        .to_vec2()
        .unwrap();
    let bias: Vec<f32> = model
        .params()
        .get("layers.0.bias")
        .unwrap()
        .var
        .as_tensor()
        .to_vec1()
        .unwrap();
    let mut rng = Rng::new(4);
    let xs: Vec<f32> = (0..b * d)
        .map(|_| (0.4 + 0.2 * rng.uniform()) as f32)
        .collect();
    let ys: Vec<u32> = (0..b as u32).map(|i| i % 2).collect();
    let mut expected = Vec::new();
    for i in 0..b {
        let (yc, oc) = (ys[i] as usize, 1 - ys[i] as usize);
        let wd: Vec<f64> = (0..d).map(|j| (w[yc][j] - w[oc][j]) as f64).collect();
        let m: f64 = (0..d).map(|j| wd[j] * xs[i * d + j] as f64).sum::<f64>()
            + (bias[yc] - bias[oc]) as f64;
        let dual = match norm {
            Norm::Linf => wd.iter().map(|v| v.abs()).sum::<f64>(),
            Norm::L2 => wd.iter().map(|v| v * v).sum::<f64>().sqrt(),
        };
        expected.push((1.0 + (-(m - eps * dual)).exp()).ln());
    }
    let x = Tensor::from_vec(xs, (b, 1, 4, 5), &dev).unwrap();
    let y = Tensor::from_vec(ys, b, &dev).unwrap();
    (model, x, y, expected)
}

fn max_gap(model: &Mlp, x: &Tensor, y: &Tensor, expected: &[f64]) -> f64 {
    let got: Vec<f32> = per_example_loss(model, x, y).unwrap().to_vec1().unwrap();
    got.iter()
        .zip(expected)
        .map(|(g, e)| (*g as f64 - e).abs())
        .fold(0.0, f64::max)
}

#[test]
fn pgd_reaches_closed_form_worst_case_on_linear_model_linf_and_l2() {
    // Under L2 the off-gradient part of the random start shrinks by eps/(eps+step) per step,
    // so the step is eps/2 there; under L-inf sign steps land exactly on the vertex.
    for (norm, eps, step) in [(Norm::Linf, 0.1, 0.0125), (Norm::L2, 0.3, 0.15)] {
        let (model, x, y, expected) = linear_case(norm, eps);
        let mut cfg = AttackConfig::pgd(norm, eps, 20);
        cfg.step = step;
        cfg.restarts = 2;
        let adv = pgd(&model, &x, &y, &cfg, &mut Rng::new(1)).unwrap();
        check_perturbation(&x, &adv, &cfg, 1e-5).unwrap();
        let gap = max_gap(&model, &adv, &y, &expected);
        eprintln!("{norm:?} eps {eps}: max |PGD loss - closed form| = {gap:.2e}");
        assert!(gap < 1e-3, "{norm:?}: |loss - closed form| = {gap}");
        // The clean loss is strictly below the worst case, so the attack did real work.
        assert!(max_gap(&model, &x, &y, &expected) > 1e-2);
    }
}

#[test]
fn fgsm_is_exact_for_linear_model_under_linf() {
    let (model, x, y, expected) = linear_case(Norm::Linf, 0.05);
    let adv = fgsm(&model, &x, &y, Norm::Linf, 0.05).unwrap();
    check_perturbation(&x, &adv, &AttackConfig::fgsm(Norm::Linf, 0.05), 1e-6).unwrap();
    assert!(max_gap(&model, &adv, &y, &expected) < 1e-4);
}

#[test]
fn projection_respects_ball_and_pixel_range_and_checker_rejects_violations() {
    let dev = Device::Cpu;
    let x0 = Tensor::new(&[[0.0f32, 0.5, 1.0, 0.9]], &dev).unwrap();
    let far = Tensor::new(&[[-3.0f32, 2.0, 4.0, 0.1]], &dev).unwrap();
    for norm in [Norm::Linf, Norm::L2] {
        let cfg = AttackConfig::pgd(norm, 0.3, 5);
        let p = project(&x0, &far, &cfg).unwrap();
        let worst = check_perturbation(&x0, &p, &cfg, 1e-6).unwrap();
        assert!(worst <= 0.3 + 1e-6 && worst > 0.1, "{norm:?}: {worst}");
        let e = check_perturbation(&x0, &far, &cfg, 1e-6).unwrap_err();
        assert!(e.to_string().contains("exceeds eps"), "{e}");
    }
    let cfg = AttackConfig::pgd(Norm::Linf, 0.5, 5);
    let out_of_range = Tensor::new(&[[-0.2f32, 0.5, 1.0, 0.9]], &dev).unwrap();
    let e = check_perturbation(&x0, &out_of_range, &cfg, 1e-6).unwrap_err();
    assert!(e.to_string().contains("outside the valid range"), "{e}");
    let bad = AttackConfig {
        eps: -1.0,
        ..AttackConfig::pgd(Norm::L2, 0.1, 1)
    };
    let model = Mlp::new(&[4, 2], DType::F32, &dev, 0).unwrap();
    let y = Tensor::new(&[0u32], &dev).unwrap();
    assert!(pgd(&model, &x0, &y, &bad, &mut Rng::new(0)).is_err());
}

#[test]
fn pgd_never_lowers_the_loss_on_a_nonlinear_model() {
    let dev = Device::Cpu;
    let model = Mlp::new(&[16, 12, 3], DType::F32, &dev, 2).unwrap();
    let mut rng = Rng::new(9);
    let x = Tensor::from_vec(
        (0..6 * 16)
            .map(|_| rng.uniform() as f32)
            .collect::<Vec<_>>(),
        (6, 1, 4, 4),
        &dev,
    )
    .unwrap();
    let y = Tensor::from_vec(vec![0u32, 1, 2, 0, 1, 2], 6, &dev).unwrap();
    let cfg = AttackConfig::pgd(Norm::Linf, 0.1, 10);
    let adv = pgd(&model, &x, &y, &cfg, &mut rng).unwrap();
    check_perturbation(&x, &adv, &cfg, 1e-6).unwrap();
    let clean: Vec<f32> = per_example_loss(&model, &x, &y).unwrap().to_vec1().unwrap();
    let attacked: Vec<f32> = per_example_loss(&model, &adv, &y)
        .unwrap()
        .to_vec1()
        .unwrap();
    for (c, a) in clean.iter().zip(&attacked) {
        assert!(a >= c, "attacked {a} < clean {c}");
    }
    assert!(attacked.iter().sum::<f32>() > clean.iter().sum::<f32>() + 1e-3);
}
