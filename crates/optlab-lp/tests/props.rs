//! Property tests: randomly damaged MPS files never panic; they parse (and then solve to
//! some status) or fail with a line-numbered error.

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

/// One random damage to a file.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    DeleteLine(usize),
    DuplicateLine(usize),
    Truncate(usize),
    Number(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            "-?[0-9]{0,3}(\\.[0-9]{0,2})?(e-?[0-9]{1,3})?|nan|inf|1e30"
        )
            .prop_map(|(i, v)| Mutation::Number(i, v)),
    ]
}

fn replace_number(bytes: &mut Vec<u8>, i: usize, v: &str) {
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&k| bytes[k].is_ascii_digit() && (k == 0 || !bytes[k - 1].is_ascii_digit()))
        .collect();
    if let Some(&s) = starts.get(i % starts.len().max(1)) {
        let e = (s..bytes.len())
            .find(|&k| !bytes[k].is_ascii_digit())
            .unwrap_or(bytes.len());
        bytes.splice(s..e, v.bytes());
    }
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let mut lines: Vec<Vec<u8>> = bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    match m {
        Mutation::Flip(i, b) if !bytes.is_empty() => {
            let len = bytes.len();
            bytes[i % len] = *b;
        }
        Mutation::Flip(..) => {}
        Mutation::Truncate(i) => bytes.truncate(i % (bytes.len() + 1)),
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
            *bytes = lines.join(&b'\n');
        }
        Mutation::DuplicateLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
            *bytes = lines.join(&b'\n');
        }
        Mutation::Number(i, v) => replace_number(bytes, *i, v),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn damaged_mps_parses_or_fails_cleanly(ms in prop::collection::vec(mutation(), 1..5),
                                          fixed in any::<bool>()) {
        let mut bytes = if fixed { FIXED } else { FREE }.as_bytes().to_vec();
        for m in &ms {
            apply(&mut bytes, m);
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
