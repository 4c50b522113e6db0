//! `SolveOptions::validate`: every option that cannot run is a typed error from `solve`.

mod common;

use common::{lp, INF};
use optlab_lp::{solve, LpError, LpProblem, RestartParams, SolveOptions, Status};

/// min -x - y  s.t.  x + 2y <= 4,  3x + y <= 6,  x, y >= 0 (two columns, two rows).
fn textbook() -> LpProblem {
    lp(
        &[-1.0, -1.0],
        &[(&[1.0, 2.0], -INF, 4.0), (&[3.0, 1.0], -INF, 6.0)],
        &[(0.0, INF); 2],
    )
}

fn refused(opts: SolveOptions) -> LpError {
    let p = textbook();
    let err = opts.validate(&p).expect_err("options must be refused");
    let again = solve(&p, &opts).expect_err("solve must refuse too");
    assert_eq!(again.to_string(), err.to_string());
    err
}

#[test]
fn defaults_are_valid() {
    let p = textbook();
    SolveOptions::default().validate(&p).expect("defaults");
    let sol = solve(&p, &SolveOptions::default()).expect("solve");
    assert_eq!(sol.status, Status::Optimal);
}

#[test]
fn zero_check_frequency() {
    let e = refused(SolveOptions {
        check_every: 0,
        ..Default::default()
    });
    assert_eq!(e, LpError::ZeroCheckFrequency);
}

#[test]
fn nan_negative_and_zero_tolerances() {
    for tol in [f64::NAN, -1e-6, 0.0] {
        let e = refused(SolveOptions {
            tol,
            ..Default::default()
        });
        assert!(
            matches!(e, LpError::BadTolerance { name: "tol", .. }),
            "{e}"
        );
    }
    for infeasibility_tol in [f64::NAN, -1.0] {
        let e = refused(SolveOptions {
            infeasibility_tol,
            ..Default::default()
        });
        assert!(
            matches!(
                e,
                LpError::BadTolerance {
                    name: "infeasibility_tol",
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn non_positive_or_nan_time_limit() {
    for time_limit in [0.0, -1.0, f64::NAN, f64::NEG_INFINITY] {
        let e = refused(SolveOptions {
            time_limit,
            ..Default::default()
        });
        assert!(matches!(e, LpError::BadTimeLimit(_)), "{e}");
    }
}

#[test]
fn zero_iteration_limit_and_zero_threads() {
    let e = refused(SolveOptions {
        iteration_limit: 0,
        ..Default::default()
    });
    assert_eq!(e, LpError::ZeroIterationLimit);
    let e = refused(SolveOptions {
        threads: Some(0),
        ..Default::default()
    });
    assert_eq!(e, LpError::ZeroThreads);
}

#[test]
fn warm_start_of_wrong_length_or_not_finite() {
    let e = refused(SolveOptions {
        warm_start: Some((vec![0.0; 3], vec![0.0; 2])),
        ..Default::default()
    });
    assert_eq!(
        e,
        LpError::WarmStartLength {
            which: "primal",
            found: 3,
            expected: 2
        }
    );
    let e = refused(SolveOptions {
        warm_start: Some((vec![0.0; 2], vec![0.0; 1])),
        ..Default::default()
    });
    assert_eq!(
        e,
        LpError::WarmStartLength {
            which: "dual",
            found: 1,
            expected: 2
        }
    );
    let e = refused(SolveOptions {
        warm_start: Some((vec![0.0, f64::NAN], vec![0.0; 2])),
        ..Default::default()
    });
    assert_eq!(
        e,
        LpError::WarmStartNotFinite {
            which: "primal",
            index: 1
        }
    );
    // With presolve as well: the check runs before any reduction.
    let e = refused(SolveOptions {
        presolve: true,
        warm_start: Some((vec![0.0; 2], vec![0.0; 5])),
        ..Default::default()
    });
    assert!(matches!(e, LpError::WarmStartLength { which: "dual", .. }));
}

#[test]
fn bad_kkt_norms() {
    for norms in [(f64::NAN, 1.0), (1.0, -1.0), (f64::INFINITY, 0.0)] {
        let e = refused(SolveOptions {
            kkt_norms: Some(norms),
            ..Default::default()
        });
        assert!(matches!(e, LpError::BadKktNorms(_)), "{e}");
    }
}

/// Sets one restart parameter out of range.
type Spoil = fn(&mut RestartParams);

#[test]
fn restart_parameters_out_of_range() {
    let cases: [(&str, Spoil); 8] = [
        ("sufficient_reduction", |r| r.sufficient_reduction = 0.0),
        ("necessary_reduction", |r| r.necessary_reduction = 1.5),
        ("halpern_necessary_reduction", |r| {
            r.halpern_necessary_reduction = f64::NAN
        }),
        ("artificial_restart_fraction", |r| {
            r.artificial_restart_fraction = -0.1
        }),
        ("primal_weight_smoothing", |r| {
            r.primal_weight_smoothing = 2.0
        }),
        ("pid_proportional", |r| r.pid_proportional = f64::INFINITY),
        ("pid_integral", |r| r.pid_integral = -1.0),
        ("pid_integral_decay", |r| r.pid_integral_decay = 1.0),
    ];
    for (field, spoil) in cases {
        let mut restart = RestartParams::default();
        spoil(&mut restart);
        let e = refused(SolveOptions {
            restart,
            ..Default::default()
        });
        assert!(
            matches!(e, LpError::BadRestartParam { name, .. } if name == field),
            "{field}: {e}"
        );
    }
}

#[test]
fn restart_defaults_are_the_published_constants() {
    let r = RestartParams::default();
    assert_eq!(
        (
            r.sufficient_reduction,
            r.necessary_reduction,
            r.halpern_necessary_reduction
        ),
        (0.2, 0.8, 0.5)
    );
    assert_eq!(
        (r.artificial_restart_fraction, r.primal_weight_smoothing),
        (0.36, 0.5)
    );
    assert_eq!(
        (r.pid_proportional, r.pid_integral, r.pid_integral_decay),
        (0.99, 0.01, 0.3)
    );
}
