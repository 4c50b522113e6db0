//! Property tests: randomly damaged MPS files never panic; they parse (and then solve to
//! some status) or fail with a line-numbered error.

use optlab_core::damage::Damage;
use optlab_lp::{parse_mps, solve, MpsError, MpsFormat, SolveOptions};
use proptest::prelude::*;

const FREE: &str = concat!(
    "NAME t\nOBJSENSE\n    MAX\nROWS\n N obj\n L lim1\n G lim2\n E eq\nCOLUMNS\n",
    "    x1 obj 1 lim1 1\n    x1 lim2 1\n    MARKER 'MARKER' 'INTORG'\n",
    "    x2 obj 2 lim1 1\n    x2 eq -1\n    MARKER 'MARKER' 'INTEND'\n    x3 obj -1 eq 1\n",
    "RHS\n    RHS obj -2.5 lim1 4\n    RHS lim2 1 eq 7\nRANGES\n    RNG lim1 2.5\n",
    "BOUNDS\n UP BND x1 4\n MI BND x3\n UP BND x3 10\nENDATA\n",
);

const FIXED: &str = concat!(
    "NAME          FIX\nROWS\n N  COST\n L  LIM1\n G  LIM2\nCOLUMNS\n",
    "    X1        COST         1.0   LIM1         1.0\n",
    "    X1        LIM2         1.0\n",
    "    X2        COST         2.0   LIM1         1.0\n",
    "RHS\n    RHS       LIM1         4.0\n    RHS       LIM2         1.0\n",
    "BOUNDS\n UP BND       X1           4.0\nENDATA\n",
);

#[test]
fn the_undamaged_files_parse_and_solve() {
    for text in [FREE, FIXED] {
        let p = parse_mps(text, MpsFormat::Auto).expect("valid MPS");
        let sol = solve(&p, &SolveOptions::default()).expect("solves");
        assert_eq!(sol.status, optlab_lp::Status::Optimal, "{}", p.name);
    }
}

/// One random damage to the file (see `optlab_core::damage`).
fn mutation() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        any::<usize>().prop_map(Damage::DeleteLine),
        any::<usize>().prop_map(Damage::DuplicateLine),
        any::<usize>().prop_map(Damage::Truncate),
        (
            any::<usize>(),
            "-?[0-9]{0,3}(\\.[0-9]{0,2})?(e-?[0-9]{1,3})?|nan|inf|1e30"
        )
            .prop_map(|(i, v)| Damage::Number(i, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn damaged_mps_parses_or_fails_cleanly(ms in prop::collection::vec(mutation(), 1..5),
                                          fixed in any::<bool>()) {
        let mut bytes = if fixed { FIXED } else { FREE }.as_bytes().to_vec();
        for m in &ms {
            m.apply(&mut bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        let lines = text.lines().count().max(1);
        match parse_mps(&text, MpsFormat::Auto) {
            Ok(p) => {
                prop_assert_eq!(p.a.nnz() <= p.num_rows() * p.num_cols(), true);
                let opts = SolveOptions { iteration_limit: 200, ..Default::default() };
                // Any status is a valid outcome; an error must be a typed one.
                let _ = solve(&p, &opts);
            }
            Err(MpsError::Parse { line, msg }) => {
                prop_assert!(line <= lines + 1, "line {} of {}: {}", line, lines, msg);
            }
            Err(e) => prop_assert!(false, "unexpected error {}", e),
        }
    }
}
