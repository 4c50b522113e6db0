//! Generated instances: planted optima are reached, PageRank LPs are consistent.

use optlab_lp::generate::{pagerank, planted, PlantedKind};
use optlab_lp::{solve, Algorithm, SolveOptions, Status};

#[test]
fn planted_optima_are_reached() {
    for (kind, seed) in [
        (PlantedKind::Covering, 1),
        (PlantedKind::Packing, 2),
        (PlantedKind::Covering, 3),
    ] {
        let g = planted(kind, 60, 80, 0.08, seed);
        // The planted point is feasible and attains the planted objective.
        assert!(g.problem.max_violation(&g.x) <= 1e-9);
        assert!(
            (g.problem.objective(&g.x) - g.objective).abs() <= 1e-9 * (1.0 + g.objective.abs())
        );
        for algorithm in [Algorithm::AveragedPdhg, Algorithm::ReflectedHalpern] {
            let o = SolveOptions {
                tol: 1e-6,
                iteration_limit: 100_000,
                algorithm,
                ..Default::default()
            };
            let sol = solve(&g.problem, &o).expect("valid options");
            assert_eq!(sol.status, Status::Optimal, "{kind:?} {algorithm:?}");
            let rel = (sol.objective - g.objective).abs() / (1.0 + g.objective.abs());
            assert!(
                rel <= 1e-5,
                "{kind:?} {algorithm:?}: got {} planted {}",
                sol.objective,
                g.objective
            );
        }
    }
}

#[test]
fn pagerank_lp_is_solved_by_the_pagerank_vector() {
    let (p, pr) = pagerank(200, 3, 0.85, 5);
    assert_eq!((p.num_rows(), p.num_cols()), (201, 200));
    assert!(p.max_violation(&pr) <= 1e-12, "{}", p.max_violation(&pr));
    let sol = solve(
        &p,
        &SolveOptions {
            tol: 1e-8,
            iteration_limit: 100_000,
            ..Default::default()
        },
    )
    .expect("valid options");
    assert_eq!(sol.status, Status::Optimal);
    // The feasible set is the single PageRank vector.
    let err = sol
        .x
        .iter()
        .zip(&pr)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err <= 1e-6, "max deviation {err}");
}

#[test]
fn one_and_two_threads_give_identical_iterates() {
    // Dense enough (about 24k nonzeros) for the parallel product path.
    let g = planted(PlantedKind::Packing, 200, 300, 0.5, 11);
    assert!(g.problem.a.nnz() > 20_000);
    let run = |t| {
        solve(
            &g.problem,
            &SolveOptions {
                tol: 1e-6,
                threads: Some(t),
                ..Default::default()
            },
        )
        .expect("valid options")
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.status, Status::Optimal);
    assert_eq!((a.iterations, &a.x, &a.y), (b.iterations, &b.x, &b.y));
    assert!((a.objective - g.objective).abs() <= 1e-5 * (1.0 + g.objective.abs()));
}
