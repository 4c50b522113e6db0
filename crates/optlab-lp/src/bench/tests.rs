use super::*;
use crate::generate::{planted, PlantedKind};

#[test]
fn agreement_rule_and_reference_file() {
    assert_eq!(default_agree_rtol(1e-4), 1e-3);
    assert_eq!(default_agree_rtol(1e-9), 1e-7);
    assert!((relative_objective_difference(-697.2, -664.2) - 33.0 / 665.2).abs() < 1e-12);
    let dir = tempfile::tempdir().expect("temp dir");
    let f = dir.path().join("ref.json");
    std::fs::write(
        &f,
        r#"{"instances": {"a.mps": {"status": "Optimal", "objective": 2.5},
            "b.mps": {"status": "Infeasible", "objective": 0}, "c.mps": {"status": "read_error"}}}"#,
    )
    .expect("write");
    let r = read_reference(&f).expect("reference");
    assert_eq!(r.len(), 1);
    assert_eq!(r.get("a.mps"), Some(&2.5));
    std::fs::write(&f, r#"{"x": 1}"#).expect("write");
    assert!(read_reference(&f).is_err());
}

#[test]
fn bench_reports_agreement_per_instance() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let g = planted(PlantedKind::Covering, 20, 30, 0.2, 3);
    crate::write_mps_file(&g.problem, &dir.join("a.mps")).expect("write a");
    crate::write_mps_file(&g.problem, &dir.join("b.mps")).expect("write b");
    // a.mps: the planted optimum; b.mps: a reference 1% off, which must be flagged.
    let reference = serde_json::json!({"instances": {
        "a.mps": {"status": "Optimal", "objective": g.objective},
        "b.mps": {"status": "Optimal", "objective": g.objective * 1.01 + 0.01}}});
    let rf = dir.join("ref.json");
    std::fs::write(&rf, reference.to_string()).expect("write ref");
    let reference = read_reference(&rf).expect("reference");
    let opts = SolveOptions {
        tol: 1e-6,
        time_limit: BENCH_TIME_LIMIT_S,
        threads: Some(1),
        ..Default::default()
    };
    let files = mps_files(dir).expect("files");
    let mut seen = 0;
    let report =
        bench_files(&files, &opts, Some(&reference), None, &mut |_| seen += 1).expect("bench");
    assert_eq!(seen, 2);
    let v = serde_json::to_value(&report).expect("json");
    assert_eq!(
        (v["solved"].as_u64(), v["compared"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(v["agreed"].as_u64(), Some(1));
    assert_eq!(v["disagree"], serde_json::json!(["b.mps"]));
    assert_eq!(v["instances"][0]["agrees"], true);
    assert_eq!(v["instances"][1]["agrees"], false);
}
