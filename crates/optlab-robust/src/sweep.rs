//! The width experiment: networks of several widths trained clean and adversarially, their
//! measured generalization gaps next to the standard and adversarial bounds, and one SVG with
//! everything on a log scale (drawn by optlab-core's chart writer).

use candle_core::Device;
use optlab_core::report::Reporter;
use optlab_core::svg::{line_chart, Chart, Series};
use serde::{Deserialize, Serialize};

use crate::attack::AttackConfig;
use crate::bounds::evaluate_bounds;
use crate::data::ImageSet;
use crate::error::Result;
use crate::model::{Classifier, ModelKind, Net};
use crate::train::{evaluate, train, TrainConfig};

/// One trained network of the sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepRow {
    /// Hidden width (MLP) or first-stage filters (CNN).
    pub width: usize,
    /// Trained adversarially (else clean).
    pub adversarial: bool,
    /// Clean train − test accuracy.
    pub clean_gap: f64,
    /// Robust train − test accuracy.
    pub robust_gap: f64,
    /// Clean / robust test accuracy.
    pub test_acc: [f64; 2],
    /// Margins γ used by the bounds: the margin quantile of clean and of PGD training margins.
    pub gamma: [f64; 2],
    /// Spectral complexity R_A (true operators; initialisation as reference).
    pub spectral_complexity: f64,
    /// R_A with the reshaped-kernel proxy for convolutions (None for MLPs).
    pub spectral_complexity_proxy: Option<f64>,
    /// Standard bound (None when the clean margin γ ≤ 0).
    pub standard_bound: Option<f64>,
    /// Adversarial bound, exact-sup data term [reconstructed form] (None when the robust
    /// margin γ ≤ 0).
    pub adversarial_bound: Option<f64>,
    /// Adversarial bound, (B + ε)·√n data term [reconstructed form].
    pub adversarial_bound_radius: Option<f64>,
}

/// Trains one network of family `model` per width (MLPs with one hidden layer), clean and
/// adversarially (`attack` both trains and measures), and evaluates gaps and bounds with γ the
/// `margin_quantile` of the margins. `reporter` follows each training run and gets one line per
/// finished network.
#[allow(clippy::too_many_arguments)]
pub fn width_sweep(
    model: ModelKind,
    widths: &[usize],
    train_set: &ImageSet,
    test_set: &ImageSet,
    attack: &AttackConfig,
    base: &TrainConfig,
    margin_quantile: f64,
    device: &Device,
    reporter: &dyn Reporter,
) -> Result<Vec<SweepRow>> {
    let mut rows = Vec::new();
    for &width in widths {
        for adversarial in [false, true] {
            let arch = model.arch(train_set, width, 1)?;
            let init = Net::new(&arch, device, base.seed)?;
            let net = Net::new(&arch, device, base.seed)?;
            let cfg = TrainConfig {
                adversary: adversarial.then(|| attack.clone()),
                ..base.clone()
            };
            train(&net, train_set, &cfg, device, reporter)?;
            let (b, tr) = evaluate_bounds(
                &net,
                Some(init.store()),
                &arch.conv_inputs(),
                train_set,
                attack,
                margin_quantile,
                base.seed,
                device,
            )?;
            let te = evaluate(&net, test_set, attack, 256, base.seed, device)?;
            reporter.log(&format!(
                "width {width} {}: robust gap {:.4}",
                if adversarial { "adversarial" } else { "clean" },
                tr.robust_acc - te.robust_acc
            ));
            rows.push(SweepRow {
                width,
                adversarial,
                clean_gap: tr.clean_acc - te.clean_acc,
                robust_gap: tr.robust_acc - te.robust_acc,
                test_acc: [te.clean_acc, te.robust_acc],
                gamma: [b.standard.gamma, b.adversarial.gamma],
                spectral_complexity: b.spectral_complexity,
                spectral_complexity_proxy: b.spectral_complexity_proxy,
                standard_bound: b.standard.value,
                adversarial_bound: b.adversarial.value,
                adversarial_bound_radius: b.adversarial_radius.value,
            });
        }
    }
    Ok(rows)
}

/// The plotted curves: measured gaps and bounds against log₂(width).
pub fn sweep_series(rows: &[SweepRow]) -> Vec<Series> {
    let pick = |adv: bool, f: &dyn Fn(&SweepRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| r.adversarial == adv)
            .filter_map(|r| f(r).map(|v| ((r.width as f64).log2(), v)))
            .collect()
    };
    vec![
        Series::new(
            "clean gap (clean training)",
            pick(false, &|r| Some(r.clean_gap)),
        ),
        Series::new(
            "standard bound (clean training)",
            pick(false, &|r| r.standard_bound),
        ),
        Series::new(
            "robust gap (adversarial training)",
            pick(true, &|r| Some(r.robust_gap)),
        ),
        Series::new(
            "adv. bound, exact-sup data term [reconstructed]",
            pick(true, &|r| r.adversarial_bound),
        ),
        Series::new(
            "adv. bound, (B+eps)sqrt(n) data term [reconstructed]",
            pick(true, &|r| r.adversarial_bound_radius),
        ),
    ]
}

/// An SVG with log₂(width) against gaps and bounds on a log₁₀ axis; non-positive or undefined
/// values, which a log scale cannot show, are left out (the chart counts skipped points).
pub fn sweep_svg(rows: &[SweepRow]) -> String {
    let chart = Chart {
        title: "Generalization gaps and norm-based bounds vs width".into(),
        x_label: "log2(width)".into(),
        y_label: "gap (accuracy) / bound".into(),
        log_y: true,
    };
    line_chart(&chart, &sweep_series(rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::Norm;
    use crate::data::generated_shapes;
    use optlab_core::report::Silent;

    #[test]
    fn sweep_rows_and_svg() {
        let dev = Device::Cpu;
        let tr = generated_shapes(100, 8, 0.1, 1).unwrap();
        let te = generated_shapes(50, 8, 0.1, 2).unwrap();
        let cfg = TrainConfig {
            epochs: 30,
            ..TrainConfig::default()
        };
        let attack = AttackConfig::pgd(Norm::Linf, 0.02, 2);
        let rows = width_sweep(
            ModelKind::Mlp,
            &[8, 32],
            &tr,
            &te,
            &attack,
            &cfg,
            0.05,
            &dev,
            &Silent,
        )
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert!(rows
            .iter()
            .all(|r| r.spectral_complexity > 0.0 && r.test_acc[0] > 0.3));
        let svg = sweep_svg(&rows);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("adv. bound, exact-sup") && svg.contains("<polyline"));
        assert!(sweep_svg(&[]).contains("</svg>"));
        let series = sweep_series(&rows);
        assert_eq!(series.len(), 5);
        // Two widths per curve, x = log2(width).
        assert_eq!(
            series[0].points.iter().map(|p| p.0).collect::<Vec<_>>(),
            [3.0, 5.0]
        );
        assert!(rows.iter().all(|r| r.spectral_complexity_proxy.is_none()));
        // A bound is reported exactly when its margin is positive.
        assert!(rows
            .iter()
            .all(|r| r.standard_bound.is_some() == (r.gamma[0] > 0.0)
                && r.adversarial_bound.is_some() == (r.gamma[1] > 0.0)));
    }

    #[test]
    fn cnn_sweep_uses_true_conv_norms_and_reports_the_proxy() {
        let dev = Device::Cpu;
        let tr = generated_shapes(40, 8, 0.1, 1).unwrap();
        let te = generated_shapes(20, 8, 0.1, 2).unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            ..TrainConfig::default()
        };
        let attack = AttackConfig::pgd(Norm::Linf, 0.02, 2);
        let rows = width_sweep(
            ModelKind::Cnn,
            &[2],
            &tr,
            &te,
            &attack,
            &cfg,
            0.3,
            &dev,
            &Silent,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        for r in &rows {
            let proxy = r.spectral_complexity_proxy.unwrap();
            assert!(proxy > 0.0 && (proxy - r.spectral_complexity).abs() > 1e-6 * proxy);
        }
    }
}
