//! `optlab lp solve` reports non-optimal statuses with their exit codes and no objective;
//! `optlab lp generate` refuses sizes it cannot build.

use super::args::{LpArgs, LpCommand};
use super::run;
use super::solve_cmd::{exit_code, solve_and_print};
use clap::Parser;
use optlab_lp::Status;

#[derive(Parser)]
struct Top {
    #[command(flatten)]
    lp: LpArgs,
}

fn parse(args: &[&str]) -> LpArgs {
    let mut v = vec!["lp"];
    v.extend_from_slice(args);
    Top::try_parse_from(v).expect("valid arguments").lp
}

/// `x >= 1` and `x <= 0.5`: no feasible point.
const INFEASIBLE: &str = "NAME inf\nROWS\n N obj\n G r1\nCOLUMNS\n    x obj 1 r1 1\n\
RHS\n    RHS r1 1\nBOUNDS\n UP BND x 0.5\nENDATA\n";

/// `min -x` with `x - y >= 0`, `x, y >= 0`: unbounded below.
const UNBOUNDED: &str = "NAME unb\nROWS\n N obj\n G r1\nCOLUMNS\n    x obj -1 r1 1\n    y r1 -1\n\
RHS\n    RHS r1 0\nENDATA\n";

fn status_of(text: &str, extra: &[&str]) -> Status {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("p.mps");
    std::fs::write(&path, text).expect("write");
    let p = path.to_string_lossy().to_string();
    let mut args = vec!["solve", &p, "--json"];
    args.extend_from_slice(extra);
    let LpCommand::Solve(a) = parse(&args).command else {
        panic!("not a solve command");
    };
    solve_and_print(a).expect("solve runs")
}

#[test]
fn statuses_map_to_distinct_exit_codes() {
    assert_eq!(exit_code(Status::Optimal), 0);
    assert_eq!(exit_code(Status::PrimalInfeasible), 2);
    assert_eq!(exit_code(Status::DualInfeasible), 3);
    assert_eq!(exit_code(Status::IterationLimit), 4);
    assert_eq!(exit_code(Status::TimeLimit), 4);
    assert_eq!(exit_code(Status::NumericalError), 5);
}

#[test]
fn infeasible_unbounded_and_limited_solves_are_not_optimal() {
    assert_eq!(status_of(INFEASIBLE, &[]), Status::PrimalInfeasible);
    assert_eq!(status_of(UNBOUNDED, &[]), Status::DualInfeasible);
    let big = concat!(
        "NAME big\nROWS\n N obj\n G r1\n G r2\nCOLUMNS\n",
        "    x obj 1 r1 1\n    x r2 2\n    y obj 3 r1 1\n    y r2 1\n",
        "RHS\n    RHS r1 1 r2 1.5\nENDATA\n"
    );
    let s = status_of(big, &["--iteration-limit", "1", "--tol", "1e-12"]);
    assert_eq!(exit_code(s), 4, "{s:?}");
}

#[test]
fn generate_refuses_sizes_beyond_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("x.mps").to_string_lossy().to_string();
    let e = run(parse(&[
        "generate",
        "pagerank",
        "--nodes",
        "18446744073709551615",
        "--out",
        &out,
    ]))
    .expect_err("too large");
    assert!(
        e.to_string()
            .starts_with("--nodes = 18446744073709551615 implies"),
        "{e}"
    );
    let e = run(parse(&[
        "generate",
        "covering",
        "--rows",
        "1000000",
        "--cols",
        "1000000",
        "--density",
        "1",
        "--out",
        &out,
    ]))
    .expect_err("too large");
    assert!(
        e.to_string().contains("more than the limit of 50000000"),
        "{e}"
    );
    assert!(!dir.path().join("x.mps").exists());
}
