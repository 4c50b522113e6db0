//! Plain-text renderings of `optlab robust bound` and `optlab robust sweep` results.

use optlab_robust::bounds::{BoundReport, RECONSTRUCTED};
use optlab_robust::model::Arch;
use optlab_robust::sweep::SweepRow;
use optlab_robust::train::Evaluation;

fn sci(v: Option<f64>) -> String {
    v.map_or("undefined (gamma <= 0)".into(), |x| format!("{x:.6e}"))
}

/// Every term of a bound report: per-layer norms (true operator, then any proxy), R_A, the
/// standard bound and both reconstructed adversarial forms.
pub fn bound_text(arch: &Arch, r: &BoundReport, eval: &Evaluation) -> String {
    let mut text = format!("{arch:?} on n = {} training images\n", r.n);
    for l in &r.layers {
        text += &format!(
            "  {:<14} {:>6}x{:<6} {}\n    spectral {:.6} (exact {:.6})  (2,1) {:.4}  frob {:.4}\n",
            l.name,
            l.shape[0],
            l.shape[1],
            l.kind,
            l.spectral,
            l.spectral_exact,
            l.norm21,
            l.frobenius
        );
        if let Some(p) = &l.proxy {
            text += &format!(
                "    proxy, reshaped kernel (out, in*k*k), not used in the bound: spectral {:.6}  \
                 (2,1) {:.4}\n",
                p.spectral, p.norm21
            );
        }
    }
    text += &format!(
        "  ln prod spectral {:.4}  ratio-sum term {:.4}  R_A {:.6e}  W {}  ln W {:.4}\n",
        r.log_spectral_product,
        r.ratio_sum_term,
        r.spectral_complexity,
        r.max_width,
        (r.max_width as f64).ln()
    );
    if let Some(p) = r.spectral_complexity_proxy {
        text += &format!("  R_A with reshaped-kernel proxy (comparison only) {p:.6e}\n");
    }
    text += &format!(
        "standard:    ||X||_2 {:.4}  gamma {:.4}  bound {}\n\
         adversarial {RECONSTRUCTED}, gamma {:.4} (PGD margins):\n  \
         exact-sup data term sqrt(sum (||x_i||_2 + eps')^2) {:.4}  bound {}  (ratio to standard {})\n  \
         (B + eps) sqrt(n) data term {:.4}  bound {}\n\
         Frobenius (Xiao et al. 2022 form): {:.6e}\n\
         measured: clean acc {:.4}, robust acc {:.4} on the training set",
        r.standard.data_term,
        r.standard.gamma,
        sci(r.standard.value),
        r.adversarial.gamma,
        r.adversarial.data_term,
        sci(r.adversarial.value),
        r.ratio.map_or("-".into(), |v| format!("{v:.4}")),
        r.adversarial_radius.data_term,
        sci(r.adversarial_radius.value),
        r.frobenius_bound,
        eval.clean_acc,
        eval.robust_acc
    );
    text
}

/// The sweep as a table, one row per trained network.
pub fn sweep_text(rows: &[SweepRow]) -> String {
    let show = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.4e}"));
    let mut text = format!(
        "width  training     clean_gap robust_gap  gamma(clean,PGD)   R_A          R_A(proxy)   \
         standard     adv(exact-sup) adv((B+eps)sqrt(n))\nadversarial bounds: {RECONSTRUCTED}"
    );
    for r in rows {
        text += &format!(
            "\n{:<6} {:<12} {:>9.4} {:>10.4}  {:>8.4} {:>8.4}  {:<12.4e} {:<12} {:<12} {:<14} {}",
            r.width,
            if r.adversarial {
                "adversarial"
            } else {
                "clean"
            },
            r.clean_gap,
            r.robust_gap,
            r.gamma[0],
            r.gamma[1],
            r.spectral_complexity,
            show(r.spectral_complexity_proxy),
            show(r.standard_bound),
            show(r.adversarial_bound),
            show(r.adversarial_bound_radius)
        );
    }
    text
}
