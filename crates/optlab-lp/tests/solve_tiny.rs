//! Tiny LPs with optima known by hand or by brute-force vertex enumeration.

#![allow(clippy::needless_range_loop)]

use optlab_lp::{parse_mps, solve, Algorithm, LpProblem, MpsFormat, SolveOptions, Status};

mod common;
use common::{lp, INF};

/// Solves a small dense system by Gaussian elimination with partial pivoting.
fn solve_dense(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| m[i][k].abs().total_cmp(&m[j][k].abs()))?;
        if m[p][k].abs() < 1e-10 {
            return None;
        }
        m.swap(k, p);
        b.swap(k, p);
        for i in k + 1..n {
            let f = m[i][k] / m[k][k];
            for j in k..n {
                m[i][j] -= f * m[k][j];
            }
            b[i] -= f * b[k];
        }
    }
    let mut x = vec![0.0; n];
    for k in (0..n).rev() {
        x[k] = (b[k] - (k + 1..n).map(|j| m[k][j] * x[j]).sum::<f64>()) / m[k][k];
    }
    Some(x)
}

/// Minimum (minimisation-form) objective over all vertices (None if no feasible vertex).
/// Needs a bounded optimum.
fn brute_force(p: &LpProblem) -> Option<f64> {
    let n = p.num_cols();
    let mut planes: Vec<(Vec<f64>, f64)> = Vec::new();
    for i in 0..p.num_rows() {
        let mut row = vec![0.0; n];
        p.a.row(i).for_each(|(j, v)| row[j] = v);
        for b in [p.row_lower[i], p.row_upper[i]] {
            if b.is_finite() {
                planes.push((row.clone(), b));
            }
        }
    }
    for j in 0..n {
        for b in [p.col_lower[j], p.col_upper[j]] {
            if b.is_finite() {
                let mut e = vec![0.0; n];
                e[j] = 1.0;
                planes.push((e, b));
            }
        }
    }
    let mut best: Option<f64> = None;
    let mut idx: Vec<usize> = (0..n).collect();
    loop {
        let m = idx.iter().map(|&k| planes[k].0.clone()).collect();
        let b = idx.iter().map(|&k| planes[k].1).collect();
        if let Some(x) = solve_dense(m, b) {
            if p.max_violation(&x) <= 1e-9 {
                // Minimisation form, whatever the original sense.
                let f = p.obj.iter().zip(&x).map(|(c, v)| c * v).sum::<f64>() + p.obj_offset;
                best = Some(best.map_or(f, |g: f64| g.min(f)));
            }
        }
        // Next combination.
        let mut k = n;
        loop {
            if k == 0 {
                return best;
            }
            k -= 1;
            if idx[k] < planes.len() - n + k {
                idx[k] += 1;
                for l in k + 1..n {
                    idx[l] = idx[l - 1] + 1;
                }
                break;
            }
        }
    }
}

fn opts(tol: f64) -> SolveOptions {
    SolveOptions {
        tol,
        iteration_limit: 200_000,
        ..Default::default()
    }
}

/// Checks both algorithms (averaged PDHG and reflected Halpern PDHG).
fn assert_optimal(p: &LpProblem, want: f64) {
    for algorithm in [Algorithm::AveragedPdhg, Algorithm::ReflectedHalpern] {
        let sol = solve(
            p,
            &SolveOptions {
                algorithm,
                ..opts(1e-8)
            },
        )
        .expect("valid options");
        assert_eq!(sol.status, Status::Optimal, "{algorithm:?}: {:?}", sol.kkt);
        let err = (sol.objective - want).abs();
        assert!(
            err <= 1e-6 * (1.0 + want.abs()),
            "{algorithm:?}: got {} want {want}",
            sol.objective
        );
        assert!(
            p.max_violation(&sol.x) <= 1e-6,
            "{algorithm:?}: violation {}",
            p.max_violation(&sol.x)
        );
    }
}

/// Status under both algorithms.
fn statuses(p: &LpProblem) -> [Status; 2] {
    [Algorithm::AveragedPdhg, Algorithm::ReflectedHalpern].map(|algorithm| {
        solve(
            p,
            &SolveOptions {
                algorithm,
                ..opts(1e-6)
            },
        )
        .expect("valid options")
        .status
    })
}

#[test]
fn textbook_lp_matches_hand_and_brute_force() {
    let p = lp(
        &[-1.0, -1.0],
        &[(&[1.0, 2.0], -INF, 4.0), (&[3.0, 1.0], -INF, 6.0)],
        &[(0.0, INF); 2],
    );
    assert_eq!(brute_force(&p), Some(-14.0 / 5.0));
    assert_optimal(&p, -2.8);
}

#[test]
fn degenerate_vertex() {
    // Three constraints meet at the optimum (1, 1); one is redundant there.
    let rows: [(&[f64], f64, f64); 3] = [
        (&[1.0, 0.0], -INF, 1.0),
        (&[0.0, 1.0], -INF, 1.0),
        (&[1.0, 1.0], -INF, 2.0),
    ];
    let p = lp(&[-2.0, -1.0], &rows, &[(0.0, INF); 2]);
    assert_eq!(brute_force(&p), Some(-3.0));
    assert_optimal(&p, -3.0);
}

#[test]
fn random_small_lps_with_ranges_equalities_and_free_variables() {
    let mut s: u64 = 7;
    let mut rnd = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    for case in 0..8 {
        let n = 3;
        let x0: Vec<f64> = (0..n).map(|_| 2.0 * rnd()).collect();
        let mut rows = Vec::new();
        for i in 0..4 {
            let a: Vec<f64> = (0..n).map(|_| (4.0 * rnd()).round()).collect();
            let ax: f64 = a.iter().zip(&x0).map(|(p, q)| p * q).sum();
            let (lo, hi) = match (i + case) % 4 {
                0 => (ax, ax),                           // equality
                1 => (ax - 1.0 - rnd().abs(), INF),      // >=
                2 => (-INF, ax + rnd().abs()),           // <=
                _ => (ax - 0.5, ax + 0.5 + rnd().abs()), // ranged
            };
            rows.push((a, lo, hi));
        }
        // Variable 0 is free but boxed in by a ranged row; the others are boxed.
        rows.push((vec![1.0, 0.0, 0.0], x0[0] - 3.0, x0[0] + 3.0));
        let cols = [(-INF, INF), (x0[1] - 2.0, x0[1] + 1.0), (-5.0, 5.0)];
        let c: Vec<f64> = (0..n).map(|_| rnd()).collect();
        let row_refs: Vec<(&[f64], f64, f64)> = rows
            .iter()
            .map(|(a, l, h)| (a.as_slice(), *l, *h))
            .collect();
        let p = lp(&c, &row_refs, &cols);
        let want = brute_force(&p).expect("x0 is feasible and the region bounded");
        assert_optimal(&p, want);
    }
}

#[test]
fn infeasible_problems_are_detected() {
    let p = lp(
        &[1.0, 1.0],
        &[(&[1.0, 1.0], 3.0, INF), (&[1.0, 1.0], -INF, 1.0)],
        &[(0.0, INF); 2],
    );
    assert_eq!(brute_force(&p), None);
    assert_eq!(
        solve(&p, &opts(1e-6)).expect("valid options").status,
        Status::PrimalInfeasible
    );
    // Infeasible through variable bounds.
    let p = lp(
        &[1.0, -1.0],
        &[(&[1.0, 1.0], 5.0, INF)],
        &[(0.0, 1.0), (0.0, 2.0)],
    );
    let sol = solve(&p, &opts(1e-6)).expect("valid options");
    assert_eq!(sol.status, Status::PrimalInfeasible);
}

#[test]
fn unbounded_problem_is_dual_infeasible() {
    let p = lp(&[-1.0, 0.0], &[(&[1.0, -1.0], -INF, 1.0)], &[(0.0, INF); 2]);
    assert_eq!(statuses(&p), [Status::DualInfeasible; 2]);
    let sol = solve(&p, &opts(1e-6)).expect("valid options");
    assert_eq!(sol.status, Status::DualInfeasible);
    // The returned ray improves the objective and stays feasible for the recession cone.
    assert!(
        sol.x[0] > 0.0 && sol.x[1] >= sol.x[0] * (1.0 - 1e-6),
        "{:?}",
        sol.x
    );
}

#[test]
fn maximisation_from_mps_with_free_variable_and_range() {
    // max 3x + 2y + z  s.t.  x + y + z in [2, 4] (ranged), x - y = 0 (free y), z <= 1.
    let text = "NAME t\nOBJSENSE\n MAX\nROWS\n N obj\n L r1\n E r2\nCOLUMNS\n x obj 3 r1 1\n x r2 1\n \
                y obj 2 r1 1\n y r2 -1\n z obj 1 r1 1\nRHS\n RHS r1 4\nRANGES\n RNG r1 2\nBOUNDS\n FR BND y\n \
                UP BND z 1\nENDATA\n";
    let p = parse_mps(text, MpsFormat::Free).expect("parses");
    // Optimum: z = 0 (worth 1 per unit vs 2.5 for x=y), x = y = 2 -> 10.
    assert_eq!(brute_force(&p), Some(-10.0));
    assert_optimal(&p, 10.0);
}

#[test]
fn limits_are_reported() {
    let p = lp(
        &[-1.0, -1.0],
        &[(&[1.0, 2.0], -INF, 4.0), (&[3.0, 1.0], -INF, 6.0)],
        &[(0.0, INF); 2],
    );
    let sol = solve(
        &p,
        &SolveOptions {
            tol: 1e-14,
            iteration_limit: 64,
            ..Default::default()
        },
    )
    .expect("valid options");
    assert_eq!((sol.status, sol.iterations), (Status::IterationLimit, 64));
    let sol = solve(
        &p,
        &SolveOptions {
            tol: 1e-14,
            // The smallest positive limit: zero is refused by `SolveOptions::validate`.
            time_limit: 1e-9,
            ..Default::default()
        },
    )
    .expect("valid options");
    assert_eq!(sol.status, Status::TimeLimit);
}

#[test]
fn edge_cases_without_rows_with_free_rows_and_empty_columns() {
    // No constraints at all: the optimum sits on the box.
    let p = lp(&[1.0, -1.0], &[], &[(0.0, 2.0), (-1.0, 2.0)]);
    assert_optimal(&p, -2.0);
    // No constraints and an unbounded direction.
    let p = lp(&[1.0, -1.0], &[], &[(0.0, 2.0), (0.0, INF)]);
    assert_eq!(
        solve(&p, &opts(1e-6)).expect("valid options").status,
        Status::DualInfeasible
    );
    // A free row, an empty column with a cost and a fixed variable.
    let rows: [(&[f64], f64, f64); 2] =
        [(&[1.0, 0.0, 1.0], -INF, INF), (&[1.0, 0.0, 1.0], 1.0, 3.0)];
    let p = lp(
        &[1.0, 2.0, -1.0],
        &rows,
        &[(0.0, INF), (-1.0, 4.0), (1.5, 1.5)],
    );
    assert_eq!(brute_force(&p), Some(-3.5));
    assert_optimal(&p, -3.5);
}

#[test]
fn objective_and_bound_scaling_gives_the_same_optimum() {
    let p = lp(
        &[-1.0, -1.0],
        &[(&[1.0, 2.0], -INF, 4.0), (&[3.0, 1.0], -INF, 6.0)],
        &[(0.0, INF); 2],
    );
    let sol = solve(
        &p,
        &SolveOptions {
            bc_scaling: true,
            ..opts(1e-8)
        },
    )
    .expect("valid options");
    assert_eq!(sol.status, Status::Optimal);
    assert!((sol.objective + 2.8).abs() < 1e-6, "{}", sol.objective);
    // Duals are mapped back: y = (0.4, 0.2) for this LP (both rows tight).
    assert!(
        (sol.y[0] + 0.4).abs() < 1e-5 && (sol.y[1] + 0.2).abs() < 1e-5,
        "{:?}",
        sol.y
    );
}

#[test]
fn presolve_lite_removes_fixed_and_empty_columns_exactly() {
    use optlab_lp::presolve::{presolve, Presolve};
    // x2 fixed at 1.5, x3 empty (cost 1 -> at its lower bound 2), x4 empty with cost 0;
    // row 2 only holds the fixed x2 and stays satisfiable.
    let rows: [(&[f64], f64, f64); 3] = [
        (&[1.0, 1.0, 1.0, 0.0, 0.0], 2.0, 6.0),
        (&[1.0, -1.0, 0.0, 0.0, 0.0], -INF, 1.0),
        (&[0.0, 0.0, 2.0, 0.0, 0.0], 1.0, 4.0),
    ];
    let cols = [(0.0, 3.0), (-1.0, 2.0), (1.5, 1.5), (2.0, 5.0), (-1.0, 1.0)];
    let p = lp(&[-1.0, -2.0, 1.0, 1.0, 0.0], &rows, &cols);
    let Presolve::Reduced(r) = presolve(&p) else {
        panic!("expected a reduction")
    };
    assert_eq!(
        (r.kept_rows.clone(), r.kept_cols.clone()),
        (vec![0, 1], vec![0, 1])
    );
    let want = brute_force(&p).expect("bounded and feasible");
    for pre in [false, true] {
        let sol = solve(
            &p,
            &SolveOptions {
                presolve: pre,
                ..opts(1e-8)
            },
        )
        .expect("valid options");
        assert_eq!(sol.status, Status::Optimal);
        assert!(
            (sol.objective - want).abs() < 1e-6,
            "presolve {pre}: {} vs {want}",
            sol.objective
        );
        assert!(
            sol.kkt.max_rel() <= 1e-7,
            "KKT on the original problem: {:?}",
            sol.kkt
        );
        assert_eq!(sol.x.len(), 5);
    }
    // An emptied row that cannot hold, and an empty column that improves without limit.
    let bad_row = lp(
        &[1.0, 0.0],
        &[(&[0.0, 2.0], 5.0, INF)],
        &[(0.0, 1.0), (1.0, 1.0)],
    );
    assert!(matches!(presolve(&bad_row), Presolve::Infeasible(_)));
    let with = SolveOptions {
        presolve: true,
        ..opts(1e-6)
    };
    assert_eq!(
        solve(&bad_row, &with).expect("valid options").status,
        Status::PrimalInfeasible
    );
    let unbounded = lp(
        &[1.0, -1.0],
        &[(&[1.0, 0.0], 1.0, 2.0)],
        &[(0.0, INF), (0.0, INF)],
    );
    assert!(matches!(presolve(&unbounded), Presolve::DualInfeasible(_)));
    assert_eq!(
        solve(&unbounded, &with).expect("valid options").status,
        Status::DualInfeasible
    );
}
