//! MPS reader/writer tests on hand-written files covering every supported feature.

use optlab_lp::{parse_mps, read_mps_file, to_mps_string, write_mps_file, MpsError, MpsFormat};

const INF: f64 = f64::INFINITY;

const FREE: &str = "\
* a comment
NAME test free
OBJSENSE
    MAX
ROWS
 N obj
 L lim1
 G lim2
 E myeqn
 E rng_e
 N other
COLUMNS
    x1 obj 1 lim1 1
    x1 lim2 1 other 5
    MARKER 'MARKER' 'INTORG'
    x2 obj 2 lim1 1
    x2 myeqn -1
    MARKER 'MARKER' 'INTEND'
    x3 obj -1 myeqn 1
    x3 rng_e 1
    x4 rng_e 2
    x5 lim1 1
RHS
    RHS obj -2.5 lim1 4
    RHS lim2 1 myeqn 7
    rng_e 3
RANGES
    RNG lim1 2.5 rng_e -4
BOUNDS
 UP BND x1 4
 MI BND x3
 UP BND x3 10
 UP BND x4 -2
 BV BND x5
ENDATA
";

#[test]
fn free_format_features() {
    let p = parse_mps(FREE, MpsFormat::Free).expect("parses");
    assert_eq!(p.name, "test free");
    assert!(p.maximize);
    assert_eq!(p.row_names, ["lim1", "lim2", "myeqn", "rng_e"]);
    assert_eq!(p.col_names, ["x1", "x2", "x3", "x4", "x5"]);
    // Maximisation is stored negated.
    assert_eq!(p.obj, [-1.0, -2.0, 1.0, 0.0, 0.0]);
    assert_eq!(p.obj_offset, -2.5);
    assert_eq!(p.row_lower, [1.5, 1.0, 7.0, -1.0]);
    assert_eq!(p.row_upper, [4.0, INF, 7.0, 3.0]);
    // x2 is an integer column without bounds: relaxed to [0, 1]; x4 has negative UP: lower -inf.
    assert_eq!(p.col_lower, [0.0, 0.0, -INF, -INF, 0.0]);
    assert_eq!(p.col_upper, [4.0, 1.0, 10.0, -2.0, 1.0]);
    assert_eq!(p.a.nnz(), 8);
    assert_eq!(p.objective(&[1.0, 1.0, 0.0, 0.0, 0.0]), 3.0 + 2.5);
}

const FIXED: &str = "\
NAME          FIXED
ROWS
 N  COST
 L  LIM 1
 G  LIM 2
COLUMNS
    X ONE     COST               1.0   LIM 1              1.0
    X ONE     LIM 2              1.0
    X TWO     COST               2.0   LIM 2              1.0
RHS
    RHS       LIM 1              4.0   LIM 2              1.0
BOUNDS
 FX BND       X TWO              0.5
 LO BND       X ONE             -1.0
ENDATA
";

#[test]
fn fixed_format_names_with_spaces() {
    for fmt in [MpsFormat::Auto, MpsFormat::Fixed] {
        let p = parse_mps(FIXED, fmt).expect("parses");
        assert_eq!(p.row_names, ["LIM 1", "LIM 2"]);
        assert_eq!(p.col_names, ["X ONE", "X TWO"]);
        assert_eq!(p.obj, [1.0, 2.0]);
        assert_eq!(p.row_upper, [4.0, INF]);
        assert_eq!(p.row_lower, [-INF, 1.0]);
        assert_eq!(
            (p.col_lower.clone(), p.col_upper.clone()),
            (vec![-1.0, 0.5], vec![INF, 0.5])
        );
    }
    assert!(parse_mps(FIXED, MpsFormat::Free).is_err());
}

fn err_line(text: &str) -> (usize, String) {
    match parse_mps(text, MpsFormat::Auto) {
        Err(MpsError::Parse { line, msg }) => (line, msg),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn malformed_files_report_line_numbers() {
    let bad_num = FREE.replace("x3 rng_e 1", "x3 rng_e abc");
    let (line, msg) = err_line(&bad_num);
    assert_eq!(line, 20);
    assert!(msg.contains("abc"), "{msg}");
    let (line, msg) = err_line(&FREE.replace("x4 rng_e 2", "x4 nosuch 2"));
    assert_eq!(line, 21);
    assert!(msg.contains("nosuch"), "{msg}");
    let (line, _) = err_line(&FREE.replace(" UP BND x1 4", " UP BND y9 4"));
    assert_eq!(line, 30);
    let (line, msg) = err_line(&FREE.replace(" BV BND x5", " XX BND x5"));
    assert_eq!(line, 34);
    assert!(msg.contains("XX"), "{msg}");
    let (_, msg) = err_line(&FREE.replace("ENDATA\n", ""));
    assert!(msg.contains("ENDATA"));
    let (line, _) = err_line("NAME x\nROWS\n Q r\nENDATA\n");
    assert_eq!(line, 3);
    let (line, _) = err_line("NAME x\nGARBAGE\n");
    assert_eq!(line, 2);
    // Inconsistent bounds are rejected, not silently accepted.
    assert!(parse_mps(
        &FREE.replace(" UP BND x1 4", " UP BND x1 4\n LO BND x1 9"),
        MpsFormat::Free
    )
    .is_err());
    // Binary junk must not panic.
    let junk: String = (0..2000u32)
        .map(|i| char::from_u32(32 + (i * 7919) % 90).unwrap_or(' '))
        .collect();
    assert!(parse_mps(&junk, MpsFormat::Auto).is_err());
}

#[test]
fn a_duplicate_matrix_or_objective_entry_is_an_error_naming_line_row_and_column() {
    let (line, msg) = err_line(&FREE.replace("    x2 myeqn -1\n", "    x2 myeqn -1 lim1 3\n"));
    assert_eq!(line, 17);
    assert_eq!(
        msg,
        "duplicate entry for row 'lim1' in column 'x2' (first given on line 16)"
    );
    let (line, msg) = err_line(&FREE.replace("    x3 rng_e 1\n", "    x3 rng_e 1 obj 4\n"));
    assert_eq!(line, 20);
    assert!(msg.contains("row 'obj' in column 'x3'"), "{msg}");
    // The same row in another column is fine; a dropped N row is ignored as before.
    assert!(parse_mps(
        &FREE.replace("x5 lim1 1", "x5 lim1 1 other 2"),
        MpsFormat::Free
    )
    .is_ok());
}

#[test]
fn one_line_objsense_and_missing_set_names() {
    let text = "NAME\nOBJSENSE MAXIMIZE\nROWS\n N z\n G c\nCOLUMNS\n x z 1 c 1\nRHS\n c 2\nBOUNDS\n UP x 3\n FR BND y\nENDATA\n";
    let err = parse_mps(text, MpsFormat::Free).expect_err("y is unknown");
    assert!(err.to_string().contains("line 12"), "{err}");
    let p = parse_mps(&text.replace(" FR BND y\n", ""), MpsFormat::Free).expect("parses");
    assert!(p.maximize);
    assert_eq!((p.row_lower[0], p.col_upper[0]), (2.0, 3.0));
}

#[test]
fn round_trip_through_writer_and_gzip() {
    let p = parse_mps(FREE, MpsFormat::Free).expect("parses");
    let text = to_mps_string(&p);
    let q = parse_mps(&text, MpsFormat::Free).expect("re-parses");
    assert_eq!(p, q, "\n{text}");
    let fixed = parse_mps(FIXED, MpsFormat::Fixed).expect("parses");
    let back = parse_mps(&to_mps_string(&fixed), MpsFormat::Free).expect("re-parses");
    assert_eq!(back.col_names, ["X_ONE", "X_TWO"]);
    assert_eq!(
        (
            back.a.clone(),
            back.row_lower.clone(),
            back.col_lower.clone()
        ),
        (fixed.a, fixed.row_lower, fixed.col_lower)
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    for name in ["p.mps", "p.mps.gz"] {
        let path = dir.join(name);
        write_mps_file(&p, &path).expect("writes");
        assert_eq!(read_mps_file(&path, MpsFormat::Auto).expect("reads"), p);
    }
    let missing = read_mps_file(&dir.join("nope.mps"), MpsFormat::Auto);
    assert!(matches!(missing, Err(MpsError::Io { .. })));
}
