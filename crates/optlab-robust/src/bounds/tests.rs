use super::*;
use candle_core::{DType, Device, Tensor};
use optlab_core::models::Mlp;

fn set(store: &ParamStore, name: &str, rows: usize, cols: usize, v: &[f32]) {
    let t = Tensor::from_vec(v.to_vec(), (rows, cols), &Device::Cpu).unwrap();
    store.get(name).unwrap().var.set(&t).unwrap();
}

#[test]
fn bound_terms_on_a_network_with_hand_computable_norms() {
    let mlp = Mlp::new(&[2, 2, 2], DType::F32, &Device::Cpu, 0).unwrap();
    let s = mlp.params();
    // W1 = diag(3, 4): σ = 4, ‖W1ᵀ‖_{2,1} = 3 + 4 = 7, ‖W1‖_F = 5.
    set(s, "layers.0.weight", 2, 2, &[3.0, 0.0, 0.0, 4.0]);
    // W2 = all ones: σ = 2, ‖W2ᵀ‖_{2,1} = 2√2, ‖W2‖_F = 2.
    set(s, "layers.1.weight", 2, 2, &[1.0, 1.0, 1.0, 1.0]);
    let layers = layer_norms(s, None, &[]).unwrap();
    assert_eq!(layers.len(), 2);
    let expect = [(4.0, 7.0, 5.0), (2.0, 8f64.sqrt(), 2.0)];
    for (l, (sig, n21, fro)) in layers.iter().zip(expect) {
        assert!((l.spectral - sig).abs() < 1e-9, "{l:?}");
        assert!((l.spectral_exact - sig).abs() < 1e-9);
        assert!((l.norm21 - n21).abs() < 1e-9 && (l.frobenius - fro).abs() < 1e-9);
        assert_eq!(l.kind, "dense");
    }
    let inputs = BoundInputs {
        input_norms: vec![1.0, 2.0],
        input_dim: 2,
        clean_margins: vec![0.5, 3.0],
        robust_margins: vec![0.25, 1.0],
        eps: 0.5,
        norm: Norm::Linf,
        margin_quantile: 0.05,
    };
    let r = compute_bounds(layers, &inputs).unwrap();
    // R_A = 4·2·((7/4)^{2/3} + (√2)^{2/3})^{3/2}.
    let ra = 8.0 * (1.75f64.powf(2.0 / 3.0) + 2f64.powf(1.0 / 3.0)).powf(1.5);
    assert!((r.spectral_complexity - ra).abs() < 1e-9 * ra);
    assert!((r.log_spectral_product - 8f64.ln()).abs() < 1e-12);
    assert_eq!((r.max_width, r.n), (2, 2));
    // Standard: ‖X‖₂ = √5, γ = 5th percentile of {0.5, 3} = 0.5.
    let std = 5f64.sqrt() * ra * 2f64.ln() / (0.5 * 2.0);
    assert!((r.standard.value.unwrap() - std).abs() < 1e-9 * std);
    // Adversarial under ℓ∞: each ‖x_i‖₂ grows by ε√d = 0.5·√2; γ = 0.25.
    let e = 0.5 * 2f64.sqrt();
    let xa = ((1.0 + e).powi(2) + (2.0 + e).powi(2)).sqrt();
    let adv = xa * ra * 2f64.ln() / (0.25 * 2.0);
    assert!((r.adversarial.value.unwrap() - adv).abs() < 1e-9 * adv);
    assert!((r.ratio.unwrap() - adv / std).abs() < 1e-9);
    // The (B + ε)·√n form: B = 2, raw ε = 0.5, n = 2.
    let adv_r = 2.5 * 2f64.sqrt() * ra * 2f64.ln() / (0.25 * 2.0);
    assert!((r.adversarial_radius.value.unwrap() - adv_r).abs() < 1e-9 * adv_r);
    assert!(r.spectral_complexity_proxy.is_none());
    // Frobenius bound: (B+ε')·h·√(l ln l)·∏‖W‖_F/√n with B = 2, h = 2, l = 2.
    let fb = (2.0 + e) * 2.0 * (2.0 * 2f64.ln()).sqrt() * 10.0 / 2f64.sqrt();
    assert!((r.frobenius_bound - fb).abs() < 1e-9 * fb);
}

#[test]
fn non_positive_margin_gives_no_bound_and_reference_is_subtracted() {
    let mlp = Mlp::new(&[3, 4, 2], DType::F32, &Device::Cpu, 1).unwrap();
    let same = layer_norms(mlp.params(), Some(mlp.params()), &[]).unwrap();
    assert!(same.iter().all(|l| l.norm21 == 0.0 && l.spectral > 0.0));
    let inputs = BoundInputs {
        input_norms: vec![1.0; 20],
        input_dim: 3,
        clean_margins: (0..20).map(|i| i as f64 - 0.5).collect(),
        robust_margins: vec![-1.0; 20],
        eps: 0.1,
        norm: Norm::L2,
        margin_quantile: 0.05,
    };
    let r = compute_bounds(layer_norms(mlp.params(), None, &[]).unwrap(), &inputs).unwrap();
    assert!(r.standard.value.is_none() && r.adversarial.value.is_none() && r.ratio.is_none());
    assert_eq!(percentile(&[3.0, 1.0, 2.0], 0.5), 2.0);
    assert!(compute_bounds(
        same,
        &BoundInputs {
            input_norms: vec![],
            ..inputs
        }
    )
    .is_err());
}

#[test]
fn bounds_on_a_trained_network_are_finite_and_adversarial_exceeds_standard() {
    use crate::data::generated_shapes;
    use crate::model::{Arch, Net};
    use crate::train::{train, TrainConfig};
    let dev = Device::Cpu;
    let data = generated_shapes(200, 16, 0.1, 4).unwrap();
    let arch = Arch::Mlp {
        widths: vec![256, 32, 10],
    };
    let init = Net::new(&arch, &dev, 3).unwrap();
    let net = Net::new(&arch, &dev, 3).unwrap();
    let cfg = TrainConfig {
        epochs: 60,
        ..TrainConfig::default()
    };
    train(&net, &data, &cfg, &dev, &optlab_core::report::Silent).unwrap();
    let attack = AttackConfig::pgd(Norm::Linf, 0.01, 5);
    let (r, eval) =
        evaluate_bounds(&net, Some(init.store()), &[], &data, &attack, 0.05, 0, &dev).unwrap();
    for l in &r.layers {
        let exact = l.spectral_exact;
        assert!((l.spectral - exact).abs() <= 1e-6 * exact, "{l:?}");
        assert!(l.norm21 > 0.0);
    }
    assert!(eval.clean_acc > 0.95, "train acc {}", eval.clean_acc);
    let (s, a) = (r.standard.value.unwrap(), r.adversarial.value.unwrap());
    assert!(s.is_finite() && a > s, "standard {s} adversarial {a}");
    assert!(r.adversarial.gamma <= r.standard.gamma);
}

#[test]
fn cnn_layers_use_the_true_conv_operator_and_keep_the_proxy_beside_it() {
    use crate::model::{Arch, Net};
    use candle_core::Tensor;
    let arch = Arch::Cnn {
        side: 8,
        width: 2,
        classes: 3,
    };
    let net = Net::new(&arch, &Device::Cpu, 5).unwrap();
    let s = net.store();
    // conv1: one input channel, two filters; filter 0 all ones, filter 1 zero. On an 8x8
    // image with padding 1 that operator is T⊗T (T the 8x8 tridiagonal matrix of ones):
    // σ = (1 + 2cos(π/9))²; the reshaped proxy is ‖ones(9)‖ = 3.
    let mut k = vec![1f32; 9];
    k.extend([0f32; 9]);
    let t = Tensor::from_vec(k, (2, 1, 3, 3), &Device::Cpu).unwrap();
    s.get("conv1.weight").unwrap().var.set(&t).unwrap();
    let layers = layer_norms(s, None, &arch.conv_inputs()).unwrap();
    assert_eq!(layers.len(), 3);
    let c1 = &layers[0];
    let want = (1.0 + 2.0 * (std::f64::consts::PI / 9.0).cos()).powi(2);
    assert!((c1.spectral - want).abs() < 1e-6, "{c1:?}");
    assert!((c1.spectral_exact - want).abs() < 1e-9);
    let p = c1.proxy.as_ref().unwrap();
    assert!((p.spectral - 3.0).abs() < 1e-9 && (p.norm21 - 3.0).abs() < 1e-9);
    assert_eq!(c1.shape, [2 * 64, 64]);
    // Operator Frobenius²: 9 taps at 36 interior, 6 at 24 edge, 4 at 4 corner positions.
    assert!((c1.frobenius - (9.0f64 * 36.0 + 6.0 * 24.0 + 4.0 * 4.0).sqrt()).abs() < 1e-9);
    // conv2 (2 -> 4 channels on 4x4) is checked against its explicit dense matrix.
    let c2 = &layers[1];
    assert_eq!(c2.shape, [4 * 16, 2 * 16]);
    assert!((c2.spectral - c2.spectral_exact).abs() < 1e-6, "{c2:?}");
    assert!(c2.kind.contains("[2,4,4]") && layers[2].proxy.is_none());
    // A convolution without its input shape is an error naming the layer.
    let e = layer_norms(s, None, &[]).unwrap_err().to_string();
    assert!(e.contains("conv1.weight"), "{e}");
}
