use super::*;

fn on_simplex(w: &[f64]) -> bool {
    (w.iter().sum::<f64>() - 1.0).abs() < 1e-9 && w.iter().all(|x| *x >= -1e-12)
}

#[test]
fn simplex_projection_by_hand() {
    let p = project_simplex(&[1.2, 0.4]);
    assert!((p[0] - 0.9).abs() < 1e-12 && (p[1] - 0.1).abs() < 1e-12);
    assert_eq!(project_simplex(&[0.5, 0.5, 2.0]), vec![0.0, 0.0, 1.0]);
    let q = [0.2, 0.3, 0.5];
    let r = project_simplex(&q);
    assert!(q.iter().zip(&r).all(|(a, b)| (a - b).abs() < 1e-12));
}

#[test]
fn eg_one_step_by_hand_and_crp_stays_equal() {
    let hist = vec![vec![0.1, -0.1]];
    let mut eg = by_name("eg", 2).unwrap();
    assert_eq!(eg.decide(&hist[..0], &[0.0, 0.0]), Some(vec![0.5, 0.5]));
    let w = eg.decide(&hist, &[0.0, 0.0]).unwrap();
    let (a, b) = (0.5 * (0.05f64 * 1.1).exp(), 0.5 * (0.05f64 * 0.9).exp());
    assert!((w[0] - a / (a + b)).abs() < 1e-15);
    let mut crp = by_name("crp", 3).unwrap();
    crp.decide(&[], &[0.0; 3]);
    assert_eq!(
        crp.decide(&[vec![0.3, 0.0, -0.2]], &[0.0; 3]),
        Some(vec![1.0 / 3.0; 3])
    );
    assert!(by_name("up", 3).is_none());
}

#[test]
fn olmar_reverts_and_ons_matches_its_closed_form() {
    // Asset 0 jumps: OLMAR expects it to fall back and moves to asset 1.
    let hist = vec![vec![0.0, 0.0], vec![0.2, 0.0]];
    let mut olmar = by_name("olmar", 2).unwrap();
    let mut ons = by_name("ons", 2).unwrap();
    olmar.decide(&hist[..1], &[0.0; 2]);
    ons.decide(&hist[..1], &[0.0; 2]);
    let wo = olmar.decide(&hist, &[0.0; 2]).unwrap();
    let wn = ons.decide(&hist, &[0.0; 2]).unwrap();
    assert!(on_simplex(&wo) && on_simplex(&wn), "{wo:?} {wn:?}");
    assert!(wo[1] > 0.5, "olmar {wo:?}");
    // ONS by hand for two assets: g = x / (w.x), A = I + g g', b = 2 g, p = A^-1 b / 8, then
    // the A-norm projection onto {(s, 1 - s)}: s = -e'A c / e'A e with e = (1, -1), c = (0, 1) - p.
    let g: [f64; 2] = [1.2 / 1.1, 1.0 / 1.1];
    let a = [
        [1.0 + g[0] * g[0], g[0] * g[1]],
        [g[0] * g[1], 1.0 + g[1] * g[1]],
    ];
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    let p = [
        0.125 * 2.0 * (a[1][1] * g[0] - a[0][1] * g[1]) / det,
        0.125 * 2.0 * (a[0][0] * g[1] - a[1][0] * g[0]) / det,
    ];
    let c = [-p[0], 1.0 - p[1]];
    let ac = [
        a[0][0] * c[0] + a[0][1] * c[1],
        a[1][0] * c[0] + a[1][1] * c[1],
    ];
    let eae = a[0][0] - 2.0 * a[0][1] + a[1][1];
    let s = (-(ac[0] - ac[1]) / eae).clamp(0.0, 1.0);
    assert!((wn[0] - s).abs() < 1e-6, "ons {wn:?} vs {s}");
}
