//! The componentwise optimality norm: residuals relative to their own row's bound.

use optlab_lp::kkt::{data_norms, kkt_errors, LpView};
use optlab_lp::{solve, OptimalityNorm, SolveOptions, Status};

mod common;
use common::{lp, INF};

#[test]
fn componentwise_residual_ignores_huge_bounds_of_other_rows() {
    // Row 0 (bound 1) is violated by 0.5; row 1 has a huge bound that dominates ‖b‖₂.
    let p = lp(
        &[-1.0, -1.0],
        &[(&[1.0, 1.0], -INF, 1.0), (&[1.0, 0.0], -INF, 1e6)],
        &[(0.0, INF), (0.0, INF)],
    );
    let v = LpView::of(&p);
    let (x, y) = ([1.5, 0.0], [0.0, 0.0]);
    let k = kkt_errors(&v, data_norms(&v), &x, &y, &[1.5, 1.5], &[0.0, 0.0]);
    assert!((k.primal_residual - 0.5).abs() < 1e-15);
    assert!((k.rel_primal - 0.5 / (1.0 + 1e6)).abs() < 1e-15);
    assert!((k.comp_primal - 0.25).abs() < 1e-15, "{k:?}");
    // y = 0 leaves reduced costs c = (−1, −1) on columns with no upper bound: residual 1 of 2.
    assert!((k.comp_dual - 0.5).abs() < 1e-15, "{k:?}");
    assert!(k.max_rel_in(OptimalityNorm::Componentwise) >= 0.5);
}

#[test]
fn componentwise_solve_meets_every_row_to_the_tolerance() {
    // min −x1 − x2, x1 + 2x2 ≤ 1, 3x1 + x2 ≤ 1e7 (never active), x ≥ 0: optimum −1 at (1, 0).
    let p = lp(
        &[-1.0, -1.0],
        &[(&[1.0, 2.0], -INF, 1.0), (&[3.0, 1.0], -INF, 1e7)],
        &[(0.0, INF), (0.0, INF)],
    );
    for tol in [1e-4, 1e-8] {
        let sol = solve(
            &p,
            &SolveOptions {
                tol,
                norm: OptimalityNorm::Componentwise,
                ..Default::default()
            },
        )
        .expect("valid options");
        assert_eq!(sol.status, Status::Optimal);
        assert!(
            sol.kkt.comp_primal <= tol && sol.kkt.comp_dual <= tol,
            "{:?}",
            sol.kkt
        );
        assert!(
            (sol.objective + 1.0).abs() <= 10.0 * tol,
            "{}",
            sol.objective
        );
    }
}
