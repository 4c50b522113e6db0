//! Presolve-lite on tiny LPs: reductions, cascades, and primal AND dual postsolve checked against
//! hand-computed solutions, unreduced solves and the KKT conditions of the original problem.

use optlab_lp::kkt::{dual_ray_quality, LpView};
use optlab_lp::presolve::{presolve, Presolve, Reduction1};
use optlab_lp::{solve, OptimalityNorm, SolveOptions, Status};

mod common;
use common::{lp, INF};

fn opts(presolve: bool) -> SolveOptions {
    SolveOptions {
        tol: 1e-9,
        presolve,
        iteration_limit: 400_000,
        ..Default::default()
    }
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(u, v)| (u - v).abs() <= tol)
}

#[test]
fn singleton_rows_become_bounds_and_their_duals_come_back() {
    // min 2x0 + x1 + x2 + 0.5x3
    //   r0: x0 + x1 >= 2
    //   r1: 2 x0 >= 3            (singleton: x0 >= 1.5, active, dual 0.5)
    //   r2: -x1 >= -0.4          (singleton, a < 0: x1 <= 0.4, active)
    //   r3: x2 = 1               (singleton equality: fixes x2)
    //   r4: x0 + x2 <= 5         (singleton once x2 is fixed: x0 <= 4, inactive)
    //   r5: 3 x3 >= -INF         (free row, dropped)
    //   x0, x1, x2 >= 0, x3 in [1, 2] (empty column with cost 0.5: at 1)
    // Optimum x = (1.6, 0.4, 1, 1), objective 3.2 + 0.4 + 1 + 0.5 = 5.1.
    // Duals: x0 basic => 2 = y0 + 2 y1 + y4; x1 at upper 0.4 via r2: 1 = y0 - y2.
    // x0 = 1.6 > 1.5 so y1 = 0, y4 = 0 => y0 = 2, y2 = 1 (row r2 is a >= row: y2 >= 0 ok),
    // x2 fixed by r3: 1 = y3 + y4 => y3 = 1.
    let rows: [(&[f64], f64, f64); 6] = [
        (&[1.0, 1.0, 0.0, 0.0], 2.0, INF),
        (&[2.0, 0.0, 0.0, 0.0], 3.0, INF),
        (&[0.0, -1.0, 0.0, 0.0], -0.4, INF),
        (&[0.0, 0.0, 1.0, 0.0], 1.0, 1.0),
        (&[1.0, 0.0, 1.0, 0.0], -INF, 5.0),
        (&[0.0, 0.0, 0.0, 3.0], -INF, INF),
    ];
    let cols = [(0.0, INF), (0.0, INF), (0.0, INF), (1.0, 2.0)];
    let p = lp(&[2.0, 1.0, 1.0, 0.5], &rows, &cols);
    let Presolve::Reduced(r) = presolve(&p) else {
        panic!("expected a reduction")
    };
    assert_eq!(r.kept_rows, vec![0], "only the two-column row stays");
    assert_eq!(r.kept_cols, vec![0, 1]);
    assert_eq!(r.problem.col_lower, vec![1.5, 0.0]);
    assert_eq!(r.problem.col_upper, vec![4.0, 0.4]);
    assert!(r
        .ops
        .iter()
        .any(|o| matches!(o, Reduction1::FixCol { j: 2, value } if *value == 1.0)));
    let sol = solve(&p, &opts(true)).expect("valid options");
    assert_eq!(sol.status, Status::Optimal);
    assert!((sol.objective - 5.1).abs() < 1e-7, "{}", sol.objective);
    assert!(close(&sol.x, &[1.6, 0.4, 1.0, 1.0], 1e-6), "x {:?}", sol.x);
    assert!(
        close(&sol.y, &[2.0, 0.0, 1.0, 1.0, 0.0, 0.0], 1e-6),
        "y {:?}",
        sol.y
    );
    assert!(sol.kkt.max_rel() < 1e-8, "{:?}", sol.kkt);
    let direct = solve(&p, &opts(false)).expect("valid options");
    assert!(
        close(&direct.y, &sol.y, 1e-5),
        "{:?} vs {:?}",
        direct.y,
        sol.y
    );
}

#[test]
fn lower_singleton_dual_moves_to_the_row() {
    // min 2x0 + x1, r0: x0 + x1 >= 2, r1: 2x0 >= 3 (x0 >= 1.5 from the row, active).
    // x = (1.5, 0.5), objective 3.5, y = (1, 0.5).
    let rows: [(&[f64], f64, f64); 2] = [(&[1.0, 1.0], 2.0, INF), (&[2.0, 0.0], 3.0, INF)];
    let p = lp(&[2.0, 1.0], &rows, &[(0.0, INF), (0.0, INF)]);
    for pre in [true, false] {
        let sol = solve(&p, &opts(pre)).expect("valid options");
        assert_eq!(sol.status, Status::Optimal);
        assert!(close(&sol.x, &[1.5, 0.5], 1e-6), "{pre}: x {:?}", sol.x);
        assert!(close(&sol.y, &[1.0, 0.5], 1e-6), "{pre}: y {:?}", sol.y);
        assert!(close(&sol.reduced_costs, &[0.0, 0.0], 1e-6));
    }
}

#[test]
fn random_lps_with_singleton_rows_agree_with_and_without_presolve() {
    let mut state = 12345u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut reduced_any = 0;
    for _case in 0..12 {
        let n = 4;
        let mut rows: Vec<(Vec<f64>, f64, f64)> = Vec::new();
        // Two dense rows around a feasible point x0 in [0, 1]^n.
        let x0: Vec<f64> = (0..n).map(|_| rnd()).collect();
        for _ in 0..2 {
            let a: Vec<f64> = (0..n).map(|_| rnd() * 2.0 - 0.5).collect();
            let ax: f64 = a.iter().zip(&x0).map(|(u, v)| u * v).sum();
            rows.push((a, ax - rnd(), ax + rnd()));
        }
        // Singleton rows with random sign, sides and slack around x0.
        for j in 0..n {
            let a = if rnd() < 0.5 { -1.5 } else { 0.7 };
            let v = a * x0[j];
            let (lo, hi) = match (rnd() * 3.0) as usize {
                0 => (v - 0.3 * rnd(), INF),
                1 => (-INF, v + 0.3 * rnd()),
                _ => (v - 0.2 * rnd(), v + 0.2 * rnd()),
            };
            let mut r = vec![0.0; n];
            r[j] = a;
            rows.push((r, lo, hi));
        }
        let c: Vec<f64> = (0..n).map(|_| rnd() * 2.0 - 1.0).collect();
        let cols = vec![(-1.0, 2.0); n];
        let view: Vec<(&[f64], f64, f64)> = rows
            .iter()
            .map(|(a, l, u)| (a.as_slice(), *l, *u))
            .collect();
        let p = lp(&c, &view, &cols);
        if let Presolve::Reduced(r) = presolve(&p) {
            reduced_any += usize::from(r.problem.num_rows() < p.num_rows());
        }
        let a = solve(&p, &opts(false)).expect("valid options");
        let b = solve(&p, &opts(true)).expect("valid options");
        assert_eq!((a.status, b.status), (Status::Optimal, Status::Optimal));
        assert!((a.objective - b.objective).abs() < 1e-6 * (1.0 + a.objective.abs()));
        // The postsolved pair satisfies the original KKT conditions: primal feasible, dual
        // feasible (signs of y and of the reduced costs) and zero gap.
        assert!(b.kkt.max_rel() < 1e-8, "{:?}", b.kkt);
        assert!(p.max_violation(&b.x) < 1e-7);
    }
    assert_eq!(reduced_any, 12, "every case has singleton rows to remove");
}

#[test]
fn infeasibility_found_by_presolve_or_mapped_back() {
    // Conflicting singleton rows: x0 >= 2 and x0 <= 1.
    let rows: [(&[f64], f64, f64); 3] = [
        (&[1.0, 1.0], -INF, 4.0),
        (&[1.0, 0.0], 2.0, INF),
        (&[-2.0, 0.0], -2.0, INF),
    ];
    let p = lp(&[1.0, 1.0], &rows, &[(0.0, INF), (0.0, INF)]);
    assert!(matches!(presolve(&p), Presolve::Infeasible(_)));
    assert_eq!(
        solve(&p, &opts(true)).expect("valid options").status,
        Status::PrimalInfeasible
    );
    // Infeasible only together with a kept row: x0 + x1 <= 1, x0 >= 2 (singleton), x >= 0.
    // The reduced Farkas ray lives on r0; postsolve must move the bound part onto r1.
    let rows: [(&[f64], f64, f64); 2] = [(&[1.0, 1.0], -INF, 1.0), (&[1.0, 0.0], 2.0, INF)];
    let p = lp(&[1.0, 1.0], &rows, &[(0.0, INF), (0.0, INF)]);
    let sol = solve(
        &p,
        &SolveOptions {
            tol: 1e-6,
            presolve: true,
            iteration_limit: 100_000,
            ..Default::default()
        },
    )
    .expect("valid options");
    assert_eq!(sol.status, Status::PrimalInfeasible);
    assert!(
        sol.y[1] > 0.0,
        "the singleton row carries the ray: {:?}",
        sol.y
    );
    let aty = p.a.transpose().mul_vec(&sol.y);
    let q = dual_ray_quality(&LpView::of(&p), &sol.y, &aty).expect("a Farkas ray");
    assert!(q <= 1e-8, "ray quality {q}");
}

#[test]
fn fully_reduced_problem_reports_the_right_objective() {
    // Every row is a singleton; the optimum is at the row-implied bounds.
    // max x0 - x1  <=>  min -x0 + x1;  r0: x0 <= 3, r1: -x1 <= -1 (x1 >= 1), x in [0, 10].
    let rows: [(&[f64], f64, f64); 2] = [(&[1.0, 0.0], -INF, 3.0), (&[0.0, -1.0], -INF, -1.0)];
    let p = lp(&[-1.0, 1.0], &rows, &[(0.0, 10.0), (0.0, 10.0)]);
    let sol = solve(&p, &opts(true)).expect("valid options");
    assert_eq!(sol.status, Status::Optimal);
    assert_eq!(sol.iterations, 0);
    assert!((sol.objective + 2.0).abs() < 1e-12);
    assert!(close(&sol.x, &[3.0, 1.0], 1e-12));
    // Row duals: r0 takes the cost of x0 (y0 = -1 <= 0 on a <= row), r1 that of x1 (y1 = -1,
    // a = -1 so y1 = 1 / -1).
    assert!(close(&sol.y, &[-1.0, -1.0], 1e-12), "{:?}", sol.y);
    assert!(sol.kkt.max_rel() < 1e-12, "{:?}", sol.kkt);
}

#[test]
fn free_column_singletons_are_substituted_with_exact_duals() {
    // min x0 + 2x1 + x2 + 0*x3,  x2 and x3 free
    //   r0: x0 + x1 + 2x2 = 4      (x2 only here: x2 = (4 - x0 - x1)/2, y0 = 1/2)
    //   r1: x0 + x1 >= 1
    //   r2: 1 <= x1 - x3 <= 5       (x3 only here, cost 0: row dropped, y2 = 0)
    //   x0, x1 in [0, 10]
    // Reduced: min 0.5x0 + 1.5x1 + 2, x0 + x1 >= 1 => x0 = 1, x1 = 0, objective 2.5, x2 = 1.5;
    // x3 makes r2 hold: x1 - x3 in [1, 5] => x3 = -1. Duals: y1 = 0.5 (x0 basic:
    // 1 = y0 + y1), y = (0.5, 0.5, 0).
    let rows: [(&[f64], f64, f64); 3] = [
        (&[1.0, 1.0, 2.0, 0.0], 4.0, 4.0),
        (&[1.0, 1.0, 0.0, 0.0], 1.0, INF),
        (&[0.0, 1.0, 0.0, -1.0], 1.0, 5.0),
    ];
    let cols = [(0.0, 10.0), (0.0, 10.0), (-INF, INF), (-INF, INF)];
    let p = lp(&[1.0, 2.0, 1.0, 0.0], &rows, &cols);
    let Presolve::Reduced(r) = presolve(&p) else {
        panic!("expected a reduction")
    };
    assert_eq!(
        (r.kept_rows.clone(), r.kept_cols.clone()),
        (vec![1], vec![0, 1])
    );
    assert_eq!(r.problem.obj, vec![0.5, 1.5]);
    assert_eq!(r.problem.obj_offset, 2.0);
    let sol = solve(&p, &opts(true)).expect("valid options");
    assert_eq!(sol.status, Status::Optimal);
    assert!((sol.objective - 2.5).abs() < 1e-7, "{}", sol.objective);
    assert!(close(&sol.x, &[1.0, 0.0, 1.5, -1.0], 1e-6), "x {:?}", sol.x);
    assert!(close(&sol.y, &[0.5, 0.5, 0.0], 1e-6), "y {:?}", sol.y);
    assert!(sol.kkt.max_rel() < 1e-8, "{:?}", sol.kkt);
    // An inequality row held at the side the cost pushes to: min -x1, x0 + x1 <= 3, x1 free.
    let p = lp(
        &[1.0, -1.0],
        &[(&[1.0, 1.0], -INF, 3.0)],
        &[(0.0, 2.0), (-INF, INF)],
    );
    let sol = solve(&p, &opts(true)).expect("valid options");
    assert_eq!(sol.status, Status::Optimal);
    assert!((sol.objective + 3.0).abs() < 1e-7, "{}", sol.objective);
    assert!(close(&sol.y, &[-1.0], 1e-9), "{:?}", sol.y);
    // ... and one whose needed side is infinite: min -x1, x0 + x1 >= 3 is unbounded.
    let p = lp(
        &[1.0, -1.0],
        &[(&[1.0, 1.0], 3.0, INF)],
        &[(0.0, 2.0), (-INF, INF)],
    );
    assert!(matches!(presolve(&p), Presolve::DualInfeasible(_)));
    assert_eq!(
        solve(&p, &opts(true)).expect("valid options").status,
        Status::DualInfeasible
    );
}

#[test]
fn random_lps_with_free_singletons_agree_with_and_without_presolve() {
    let mut state = 777u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for case in 0..10 {
        // Three dense rows over four bounded columns around a feasible point, each row also
        // holding its own free column (cost 0 in even cases), plus a singleton row.
        let (n0, m) = (4, 3);
        let n = n0 + m;
        let x0: Vec<f64> = (0..n0).map(|_| rnd()).collect();
        let mut rows: Vec<(Vec<f64>, f64, f64)> = Vec::new();
        for i in 0..m {
            let mut a: Vec<f64> = (0..n0).map(|_| rnd() * 2.0 - 0.5).collect();
            let ax: f64 = a.iter().zip(&x0).map(|(u, v)| u * v).sum();
            a.extend((0..m).map(|k| if k == i { 0.5 + rnd() } else { 0.0 }));
            let (lo, hi) = match i % 3 {
                0 => (ax, ax),
                1 => (ax - rnd(), INF),
                _ => (ax - rnd(), ax + rnd()),
            };
            rows.push((a, lo, hi));
        }
        let mut single = vec![0.0; n];
        single[0] = 1.0;
        rows.push((single, x0[0] - 0.1, INF));
        let mut c: Vec<f64> = (0..n0).map(|_| rnd() * 2.0 - 1.0).collect();
        // Free columns' costs: zero, or signed so that the active side is finite.
        c.extend((0..m).map(|i| match (case % 2, i % 3) {
            (0, _) => 0.0,
            (_, 0) => rnd() - 0.5,
            _ => 0.3 * rnd(),
        }));
        let mut cols = vec![(-1.0, 2.0); n0];
        cols.extend(vec![(-INF, INF); m]);
        let view: Vec<(&[f64], f64, f64)> = rows
            .iter()
            .map(|(a, l, u)| (a.as_slice(), *l, *u))
            .collect();
        let p = lp(&c, &view, &cols);
        let Presolve::Reduced(r) = presolve(&p) else {
            panic!("case {case}: expected a reduction")
        };
        let substituted = r
            .ops
            .iter()
            .filter(|o| matches!(o, Reduction1::FreeColumnSingleton { .. }))
            .count();
        assert_eq!(substituted, m, "case {case}: every free column substituted");
        let a = solve(&p, &opts(false)).expect("valid options");
        let b = solve(&p, &opts(true)).expect("valid options");
        assert_eq!(
            (a.status, b.status),
            (Status::Optimal, Status::Optimal),
            "case {case}"
        );
        assert!(
            (a.objective - b.objective).abs() < 1e-6 * (1.0 + a.objective.abs()),
            "case {case}: {} vs {}",
            a.objective,
            b.objective
        );
        assert!(b.kkt.max_rel() < 1e-8, "case {case}: {:?}", b.kkt);
        assert!(p.max_violation(&b.x) < 1e-7, "case {case}");
    }
}

#[test]
fn presolved_solves_meet_the_tolerance_on_the_original_problem() {
    // The objective is carried by a free column defined in its own row (as in netlib vtpbase):
    // min t, t - Σ c_k x_k = 0. Substituting t out gives the reduced problem costs c_k whose
    // norm is ~100× the original ‖c‖ = 1, so the reduced problem's own relative criterion
    // would be 100× looser than the original's.
    let mut state = 99u64;
    let mut rnd = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = 30;
    let mut rows: Vec<(Vec<f64>, f64, f64)> = Vec::new();
    let mut def = vec![1.0];
    def.extend((0..n).map(|_| -(50.0 + 100.0 * rnd())));
    rows.push((def, 0.0, 0.0));
    for _ in 0..20 {
        let mut a = vec![0.0];
        a.extend((0..n).map(|_| if rnd() < 0.3 { rnd() } else { 0.0 }));
        rows.push((a, 1.0 + rnd(), INF));
    }
    let mut c = vec![0.0; n + 1];
    c[0] = 1.0;
    let mut cols = vec![(-INF, INF)];
    cols.extend(vec![(0.0, INF); n]);
    let view: Vec<(&[f64], f64, f64)> = rows
        .iter()
        .map(|(a, l, u)| (a.as_slice(), *l, *u))
        .collect();
    let p = lp(&c, &view, &cols);
    let Presolve::Reduced(r) = presolve(&p) else {
        panic!("expected a reduction")
    };
    let norm = |v: &[f64]| v.iter().map(|e| e * e).sum::<f64>().sqrt();
    assert!(norm(&r.problem.obj) > 100.0 * norm(&p.obj));
    for norm in [OptimalityNorm::L2, OptimalityNorm::Componentwise] {
        for tol in [1e-3, 1e-4, 1e-6] {
            let sol = solve(
                &p,
                &SolveOptions {
                    tol,
                    norm,
                    presolve: true,
                    ..Default::default()
                },
            )
            .expect("valid options");
            assert_eq!(sol.status, Status::Optimal);
            assert!(
                sol.kkt.max_rel_in(norm) <= tol,
                "{norm:?} tol {tol}: {:?}",
                sol.kkt
            );
        }
    }
}
