use super::*;
use crate::bda_map::date_inputs;
use crate::synth::{generate, SynthConfig};

/// A small BDA configuration that trains in seconds (shared with `bda_train`'s tests).
pub(crate) fn small() -> BdaConfig {
    BdaConfig {
        m: 4,
        cov_lookback: 20,
        d_model: 8,
        heads: 2,
        layers: 1,
        cnn_channels: 4,
        ..BdaConfig::default()
    }
}

fn batch(cfg: &BdaConfig, n: usize, dates: &[usize]) -> BatchInputs {
    let t = generate(&SynthConfig {
        n_assets: n,
        n_days: 120,
        seed: 2,
    });
    let r = t.simple_returns();
    let items: Vec<_> = dates
        .iter()
        .map(|&d| date_inputs(&r[..d], cfg.m, cfg.cov_lookback, cfg.tau).unwrap())
        .collect();
    let refs: Vec<_> = items.iter().collect();
    BatchInputs::new(&refs, cfg.m, 0.01, DType::F32, &Device::Cpu).unwrap()
}

#[test]
fn weights_have_the_gross_exposure_and_every_parameter_gets_a_gradient() {
    let cfg = small();
    let net = BdaNet::new(&cfg, 5, 1).unwrap();
    let inp = batch(&cfg, 5, &[40, 60, 90]);
    let wp = Tensor::zeros((3, 5), DType::F32, &Device::Cpu).unwrap();
    let (w, lam) = net.forward(&inp, &wp).unwrap();
    for row in w.to_vec2::<f32>().unwrap() {
        let g: f32 = row.iter().map(|x| x.abs()).sum();
        assert!((g - 0.5).abs() < 1e-5, "gross {g}");
    }
    for l in lam.flatten_all().unwrap().to_vec1::<f32>().unwrap() {
        assert!(l > 0.0 && l.is_finite());
    }
    // A reward-like loss reaches every parameter of tau1 and tau2 (conv1d included).
    let target = Tensor::from_vec(vec![1f32, -1., 0.5, 0., 2.], (1, 5), &Device::Cpu).unwrap();
    let loss = (w.broadcast_mul(&target).unwrap().sum_all().unwrap()
        + lam.sqr().unwrap().sum_all().unwrap())
    .unwrap();
    let grads = loss.backward().unwrap();
    for p in net.params().params() {
        let g = grads.get(p.var.as_tensor()).expect(&p.name);
        let norm = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(norm > 0.0 && norm.is_finite(), "{}: {norm}", p.name);
    }
}

#[test]
fn views_ignore_the_order_of_periods_but_risk_aversion_does_not() {
    // No positional encoding: permuting the weekly tokens leaves tau1's output unchanged.
    let cfg = small();
    let net = BdaNet::new(&cfg, 5, 4).unwrap();
    let inp = batch(&cfg, 5, &[70]);
    let perm = Tensor::new(&[2u32, 0, 3, 1], &Device::Cpu).unwrap();
    let x2 = inp.x.index_select(&perm, 1).unwrap();
    let wp = Tensor::full(0.1f32, (1, 5), &Device::Cpu).unwrap();
    let a: Vec<f32> = net
        .views(&inp.x, &wp)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let b: Vec<f32> = net
        .views(&x2, &wp)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() < 1e-5, "{x} vs {y}");
    }
    let la = net
        .risk_aversion(&inp.x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let lb = net
        .risk_aversion(&x2)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(
        (la[0] - lb[0]).abs() > 1e-7,
        "CNN saw no order: {la:?} {lb:?}"
    );
    // The previous weights enter the views (the agent can control its trading).
    let c: Vec<f32> = net
        .views(&inp.x, &wp.zeros_like().unwrap())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert!(a.iter().zip(&c).any(|(x, y)| (x - y).abs() > 1e-6));
}

#[test]
fn direct_variant_has_no_cnn_and_returns_gross_weights() {
    let cfg = BdaConfig {
        direct: true,
        ..small()
    };
    let net = BdaNet::new(&cfg, 5, 3).unwrap();
    assert!(net
        .params()
        .params()
        .iter()
        .all(|p| !p.name.starts_with("tau2")));
    let inp = batch(&cfg, 5, &[50]);
    let (w, _) = net
        .forward(
            &inp,
            &Tensor::zeros((1, 5), DType::F32, &Device::Cpu).unwrap(),
        )
        .unwrap();
    let g: f32 = w.abs().unwrap().sum_all().unwrap().to_scalar().unwrap();
    assert!((g - 0.5).abs() < 1e-5);
}

#[test]
fn bad_architecture_is_an_error() {
    let cfg = BdaConfig {
        d_model: 10,
        heads: 4,
        ..small()
    };
    let err = BdaNet::new(&cfg, 3, 0).err().unwrap().to_string();
    assert!(err.contains("divisible"), "{err}");
}
