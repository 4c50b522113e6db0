//! Per-block spectra and the heterogeneity score on objectives with known block spectra, and
//! clear errors on the experiment models.

use candle_core::{DType, Device, Tensor};
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use optlab_curvature::blocks::{block_spectra, heterogeneity};
use optlab_curvature::hvp::Hvp;
use optlab_curvature::objective::{FixedBatch, ModelKind, Objective};
use optlab_curvature::slq::SlqConfig;
use optlab_curvature::{CurvatureError, Result};

/// `Σ_blocks ½ Σ_i d_bi x_bi²`: block b's Hessian is diag(d_b).
struct Separable {
    store: ParamStore,
    diags: Vec<(String, Tensor)>,
}

impl Separable {
    fn new(blocks: &[(&str, Vec<f64>)]) -> Self {
        let store = ParamStore::new();
        let b = ParamBuilder::new(&store, DType::F64, &Device::Cpu, 1);
        let diags = blocks
            .iter()
            .map(|(n, d)| {
                b.param(n, &[d.len()], Init::Normal(1.0), ParamRole::Other)
                    .unwrap();
                (
                    n.to_string(),
                    Tensor::from_vec(d.clone(), d.len(), &Device::Cpu).unwrap(),
                )
            })
            .collect();
        Self { store, diags }
    }
}

impl Objective for Separable {
    fn params(&self) -> &ParamStore {
        &self.store
    }
    fn loss(&self) -> Result<Tensor> {
        let mut total = Tensor::new(0f64, &Device::Cpu)?;
        for (n, d) in &self.diags {
            let x = self.store.get(n).unwrap().var.as_tensor().clone();
            total = (total + (x.sqr()? * d)?.sum_all()? * 0.5)?;
        }
        Ok(total)
    }
}

#[test]
fn heterogeneity_separates_different_block_spectra() {
    let base: Vec<f64> = (0..40).map(|i| 1.0 + 0.05 * i as f64).collect();
    let far: Vec<f64> = base.iter().map(|x| 10.0 * x).collect();
    let obj = Separable::new(&[("a", base.clone()), ("b", base), ("c", far)]);
    let cfg = SlqConfig {
        probes: 4,
        steps: 40,
        ..Default::default()
    };
    let spectra = block_spectra(&obj, &[], &cfg, &mut |_, _, _| {}).unwrap();
    assert!((spectra[0].top - 2.95).abs() < 1e-8 && (spectra[2].top - 29.5).abs() < 1e-7);
    assert!((spectra[2].bottom - 10.0).abs() < 1e-7);
    let h = heterogeneity(&spectra, &cfg).unwrap();
    println!(
        "JS a-b {:.4}, a-c {:.4}, b-c {:.4}, score {:.4}",
        h.js[0][1], h.js[0][2], h.js[1][2], h.score
    );
    // Same spectrum, different probes: only the quadrature weights differ, and the
    // difference is probe noise that shrinks with more probes.
    assert!(h.js[0][1] < 0.2, "{}", h.js[0][1]);
    let more = SlqConfig { probes: 16, ..cfg };
    let s16 = block_spectra(&obj, &["a".into(), "b".into()], &more, &mut |_, _, _| {}).unwrap();
    let h16 = heterogeneity(&s16, &more).unwrap();
    println!("JS a-b with 16 probes {:.4}", h16.js[0][1]);
    assert!(h16.js[0][1] < h.js[0][1]);
    // Disjoint spectra: JS reaches ln 2.
    assert!(h.js[0][2] > 0.69 && h.js[1][2] > 0.69);
    assert!((h.score - (h.js[0][1] + h.js[0][2] + h.js[1][2]) / 3.0).abs() < 1e-12);
    assert!(heterogeneity(&spectra[..1], &cfg).is_err());
}

#[test]
fn experiment_models_have_finite_block_gradients_and_name_unknown_blocks() {
    for kind in [ModelKind::Mlp, ModelKind::Cnn, ModelKind::Transformer] {
        let obj = FixedBatch::new(kind, DType::F64, 2, 0).unwrap();
        let hvp = Hvp::new(&obj, &[]).unwrap();
        assert!(hvp.gradient().unwrap().iter().all(|g| g.is_finite()));
        let err = Hvp::new(&obj, &["model.layers.9.mlp.up_proj.weight".into()])
            .err()
            .unwrap();
        assert!(matches!(err, CurvatureError::UnknownBlock { .. }), "{err}");
        let first = obj.params().params()[0].name.clone();
        assert!(err.to_string().contains(&first), "{err}");
    }
}
