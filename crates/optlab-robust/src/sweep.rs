//! The width experiment: networks of several widths trained clean and adversarially, their
//! measured generalization gaps next to the standard and adversarial bounds, and one SVG with
//! everything on a log scale.

use candle_core::Device;
use serde::{Deserialize, Serialize};

use crate::attack::AttackConfig;
use crate::bounds::evaluate_bounds;
use crate::data::ImageSet;
use crate::error::Result;
use crate::model::{Arch, Classifier, Net};
use crate::train::{evaluate, train, TrainConfig};

/// One trained network of the sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepRow {
    /// Hidden width.
    pub width: usize,
    /// Trained adversarially (else clean).
    pub adversarial: bool,
    /// Clean train − test accuracy.
    pub clean_gap: f64,
    /// Robust train − test accuracy.
    pub robust_gap: f64,
    /// Clean / robust test accuracy.
    pub test_acc: [f64; 2],
    /// Spectral complexity R_A (initialisation as reference).
    pub spectral_complexity: f64,
    /// Standard bound (None when the clean margin γ ≤ 0).
    pub standard_bound: Option<f64>,
    /// Adversarial bound (None when the robust margin γ ≤ 0).
    pub adversarial_bound: Option<f64>,
}

/// Trains a one-hidden-layer MLP per width, clean and adversarially (`attack` both trains and
/// measures), and evaluates gaps and bounds with γ the `margin_quantile` of the margins.
pub fn width_sweep(
    widths: &[usize],
    train_set: &ImageSet,
    test_set: &ImageSet,
    attack: &AttackConfig,
    base: &TrainConfig,
    margin_quantile: f64,
    device: &Device,
) -> Result<Vec<SweepRow>> {
    let mut rows = Vec::new();
    for &width in widths {
        for adversarial in [false, true] {
            let arch = Arch::Mlp {
                widths: vec![train_set.dim(), width, train_set.classes],
            };
            let init = Net::new(&arch, device, base.seed)?;
            let net = Net::new(&arch, device, base.seed)?;
            let cfg = TrainConfig {
                adversary: adversarial.then(|| attack.clone()),
                ..base.clone()
            };
            train(&net, train_set, &cfg, device)?;
            let (b, tr) = evaluate_bounds(
                &net,
                Some(init.store()),
                train_set,
                attack,
                margin_quantile,
                base.seed,
                device,
            )?;
            let te = evaluate(&net, test_set, attack, 256, base.seed, device)?;
            rows.push(SweepRow {
                width,
                adversarial,
                clean_gap: tr.clean_acc - te.clean_acc,
                robust_gap: tr.robust_acc - te.robust_acc,
                test_acc: [te.clean_acc, te.robust_acc],
                spectral_complexity: b.spectral_complexity,
                standard_bound: b.standard.value,
                adversarial_bound: b.adversarial.value,
            });
        }
    }
    Ok(rows)
}

type Series = (&'static str, &'static str, Vec<(f64, f64)>);

fn series(rows: &[SweepRow]) -> Vec<Series> {
    let pick = |adv: bool, f: &dyn Fn(&SweepRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| r.adversarial == adv)
            .filter_map(|r| f(r).filter(|v| *v > 0.0).map(|v| (r.width as f64, v)))
            .collect()
    };
    vec![
        (
            "clean gap (clean training)",
            "#1f77b4",
            pick(false, &|r| Some(r.clean_gap)),
        ),
        (
            "standard bound (clean training)",
            "#aec7e8",
            pick(false, &|r| r.standard_bound),
        ),
        (
            "robust gap (adversarial training)",
            "#d62728",
            pick(true, &|r| Some(r.robust_gap)),
        ),
        (
            "adversarial bound (adversarial training)",
            "#ff9896",
            pick(true, &|r| r.adversarial_bound),
        ),
    ]
}

/// An SVG with width (log₂) against gaps and bounds (log₁₀); non-positive values, which a
/// log scale cannot show, are left out and counted in the caption.
pub fn sweep_svg(rows: &[SweepRow]) -> String {
    let all = series(rows);
    let pts: Vec<(f64, f64)> = all.iter().flat_map(|s| s.2.iter().copied()).collect();
    let dropped = rows.len() * 2 - pts.len();
    let (w, h, m) = (720.0, 440.0, 60.0);
    let lx = |x: f64| x.log2();
    let ly = |y: f64| y.log10();
    let fold = |f: &dyn Fn(&(f64, f64)) -> f64, init: f64, min: bool| {
        pts.iter()
            .map(f)
            .fold(init, |a, b| if min { a.min(b) } else { a.max(b) })
    };
    let (x0, x1) = (
        fold(&|p| lx(p.0), f64::INFINITY, true),
        fold(&|p| lx(p.0), f64::NEG_INFINITY, false),
    );
    let (y0, y1) = (
        fold(&|p| ly(p.1).floor(), f64::INFINITY, true),
        fold(&|p| ly(p.1).ceil(), f64::NEG_INFINITY, false),
    );
    let (x1, y1) = (
        if x1 > x0 { x1 } else { x0 + 1.0 },
        if y1 > y0 { y1 } else { y0 + 1.0 },
    );
    let sx = |x: f64| m + (lx(x) - x0) / (x1 - x0) * (w - 2.0 * m);
    let sy = |y: f64| h - m - (ly(y) - y0) / (y1 - y0) * (h - 2.0 * m);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{m}\" y=\"20\">Generalization gaps and bounds vs width (log scales; points omitted, non-positive or undefined: {dropped})</text>\n"
    );
    if pts.is_empty() {
        return s + "</svg>\n";
    }
    for e in (y0 as i64)..=(y1 as i64) {
        let y = sy(10f64.powi(e as i32));
        s += &format!("<line x1=\"{m}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"8\" y=\"{:.1}\">1e{e}</text>\n", w - m, y + 4.0);
    }
    let mut widths: Vec<usize> = rows.iter().map(|r| r.width).collect();
    widths.dedup();
    for wd in widths {
        s += &format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{wd}</text>\n",
            sx(wd as f64),
            h - m + 18.0
        );
    }
    for (i, (name, color, p)) in all.iter().enumerate() {
        let path: Vec<String> = p
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        s += &format!(
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n",
            path.join(" ")
        );
        for &(x, y) in p {
            s += &format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>\n",
                sx(x),
                sy(y)
            );
        }
        let ly = 40.0 + 16.0 * i as f64;
        s += &format!("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{}\" y=\"{}\">{name}</text>\n", w - 300.0, ly - 9.0, w - 285.0, ly);
    }
    s + &format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">hidden width</text>\n</svg>\n",
        w / 2.0,
        h - 15.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attack::Norm;
    use crate::data::generated_shapes;

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
        let rows = width_sweep(&[8, 32], &tr, &te, &attack, &cfg, 0.05, &dev).unwrap();
        assert_eq!(rows.len(), 4);
        assert!(rows
            .iter()
            .all(|r| r.spectral_complexity > 0.0 && r.test_acc[0] > 0.3));
        let svg = sweep_svg(&rows);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("adversarial bound") && svg.contains("<polyline"));
        assert!(sweep_svg(&[]).contains("</svg>"));
    }
}
