//! `optlab lp`: help texts carry examples; generate → solve → warm start works end to end;
//! `optlab bench lp` runs over a folder with a broken file.

use super::{run, run_bench, BenchLpArgs, LpArgs};
use clap::{CommandFactory, Parser};
use optlab_core::stats::shifted_geomean;
use std::path::Path;

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

#[derive(Parser)]
struct BenchTop {
    #[command(flatten)]
    bench: BenchLpArgs,
}

/// `optlab bench lp --dir DIR --tol TOL [--json]`.
fn bench(dir: &Path, tol: f64, json: bool) -> anyhow::Result<()> {
    let (d, t) = (dir.to_string_lossy().to_string(), tol.to_string());
    let mut v = vec!["bench", "--dir", &d, "--tol", &t];
    if json {
        v.push("--json");
    }
    let a = BenchTop::try_parse_from(v).expect("valid arguments").bench;
    run_bench(&a).map(|_| ())
}

#[test]
fn every_help_has_an_example() {
    let mut cmd = Top::command();
    let top = cmd.render_long_help().to_string();
    assert!(top.contains("Example"), "{top}");
    for sub in ["solve", "generate"] {
        let help = cmd
            .find_subcommand_mut(sub)
            .expect("subcommand")
            .render_long_help()
            .to_string();
        assert!(help.contains("Example"), "{sub}: {help}");
    }
}

#[test]
fn generate_solve_and_warm_start() {
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("lp-cli");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mps = dir.join("cov.mps.gz");
    let sol = dir.join("cov.sol.json");
    let (m, s) = (
        mps.to_string_lossy().to_string(),
        sol.to_string_lossy().to_string(),
    );
    run(parse(&[
        "generate",
        "covering",
        "--rows",
        "30",
        "--cols",
        "40",
        "--density",
        "0.1",
        "--out",
        &m,
    ]))
    .expect("generate");
    run(parse(&[
        "solve",
        &m,
        "--tol",
        "1e-6",
        "--json",
        "--write-solution",
        &s,
    ]))
    .expect("solve");
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sol).expect("solution file")).expect("json");
    assert_eq!(first["status"], "optimal");
    let iters_cold = first["iterations"].as_u64().expect("iterations");
    // Warm start from the written solution converges at once.
    run(parse(&[
        "solve",
        &m,
        "--tol",
        "1e-6",
        "--warm-start",
        &s,
        "--write-solution",
        &s,
    ]))
    .expect("warm solve");
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sol).expect("solution file")).expect("json");
    assert_eq!(second["status"], "optimal");
    assert!(
        second["iterations"].as_u64().expect("iterations") < iters_cold,
        "{iters_cold} vs {second}"
    );
    // Bad inputs give errors, not panics.
    assert!(run(parse(&[
        "solve",
        &dir.join("missing.mps").to_string_lossy()
    ]))
    .is_err());
    std::fs::write(dir.join("bad.json"), "{\"x\": [1]}").expect("write");
    let bad = dir.join("bad.json").to_string_lossy().to_string();
    assert!(run(parse(&["solve", &m, "--warm-start", &bad])).is_err());
    assert!(run(parse(&["solve", &m, "--tol=-1"])).is_err());
    std::fs::write(dir.join("broken.mps"), "NAME x\nROWS\n Q r\nENDATA\n").expect("write");
    bench(&dir, 1e-4, true).expect("bench over the generated file, skipping the broken one");
    assert!(bench(&dir.join("nope"), 1e-4, false).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shifted_geometric_mean() {
    let sgm = |t: &[f64]| shifted_geomean(t, 10.0).expect("non-empty");
    assert!((sgm(&[0.0, 0.0])).abs() < 1e-12);
    // (2 + 10)(8 + 10) = 216 = (sqrt(216))², so SGM = sqrt(216) − 10.
    assert!((sgm(&[2.0, 8.0]) - (216f64.sqrt() - 10.0)).abs() < 1e-12);
}
