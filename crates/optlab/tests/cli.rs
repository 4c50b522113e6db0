//! End-to-end checks of the `optlab` binary: help texts, a short training run and its
//! artefacts, and one-line errors on bad input.

use std::path::PathBuf;
use std::process::Command;

fn optlab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_optlab"))
        .args(args)
        .output()
        .expect("run optlab");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, not yet created folder `name` inside a temporary directory (removed on drop).
fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().expect("temporary directory");
    let dir = root.path().join(name);
    (root, dir)
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for sub in [
        "train",
        "eval",
        "generate",
        "report",
        "reproduce",
        "bench",
        "lp",
        "curvature",
        "sft",
        "sft-eval",
        "rlhf",
        "rm",
        "semiopen",
    ] {
        let (ok, out, _) = optlab(&[sub, "--help"]);
        assert!(ok, "{sub} --help failed");
        assert!(
            out.contains("Example"),
            "{sub} --help has no example:\n{out}"
        );
    }
}

#[test]
fn short_training_run_writes_metrics_model_and_report() {
    let (_tmp, dir) = tmp("train");
    let d = dir.to_str().unwrap();
    let (ok, out, err) = optlab(&[
        "train",
        "--steps",
        "6",
        "--batch",
        "2",
        "--seq-len",
        "16",
        "--out",
        d,
        "--json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["steps_done"], 6);
    assert!(v["val_loss"].as_f64().unwrap().is_finite());
    let (ok, out, err) = optlab(&["report", d, "--json"]);
    assert!(ok, "{err}");
    assert!(out.contains("\"steps\": 6"), "{out}");
    assert!(std::fs::read_to_string(dir.join("loss.svg"))
        .unwrap()
        .contains("<polyline"));
    let (ok, out, err) = optlab(&["generate", "--run", d, "--max-new-tokens", "5", "--json"]);
    assert!(ok, "{err}");
    assert!(out.contains("completion"));
    let (ok, _, err) = optlab(&[
        "train",
        "--steps",
        "8",
        "--batch",
        "2",
        "--seq-len",
        "16",
        "--out",
        d,
        "--resume",
    ]);
    assert!(ok, "{err}");
}

#[test]
fn bad_input_gives_a_one_line_error() {
    let (_tmp, dir) = tmp("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, b"abc\xffdef").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["train".into(), "--corpus".into(), bad.display().to_string()],
            "not valid UTF-8",
        ),
        (
            vec![
                "train".into(),
                "--corpus".into(),
                "/nonexistent/x.txt".into(),
            ],
            "cannot read",
        ),
        (
            vec!["train".into(), "--size".into(), "huge".into()],
            "unknown model size",
        ),
        (
            vec!["eval".into(), "--run".into(), dir.display().to_string()],
            "holds no trained model",
        ),
        (
            vec![
                "train".into(),
                "--resume".into(),
                "--out".into(),
                dir.display().to_string(),
            ],
            "no checkpoint",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, _, err) = optlab(&args);
        assert!(!ok, "{args:?} should fail");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
    }
}

#[test]
fn reproduce_lists_the_registered_experiments_and_rejects_unknown_ones() {
    let (ok, out, _) = optlab(&["reproduce", "--list"]);
    assert!(ok);
    for name in ["train-demo", "portfolio", "robust"] {
        assert!(out.contains(name), "{out}");
    }
    let (ok, _, err) = optlab(&["reproduce", "nonsense"]);
    assert!(
        !ok && err.contains("unknown experiment `nonsense`"),
        "{err}"
    );
}

#[test]
fn sft_reports_malformed_json_lines_and_skips_or_rejects_them() {
    let (_tmp, dir) = tmp("sft-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("d.jsonl");
    let mut text = String::new();
    for i in 0..6 {
        text.push_str(&format!(
            "{{\"prompt\": \"what is {i}?\", \"response\": \"{i}\"}}\n"
        ));
    }
    text.push_str("{\"prompt\": \"broken\"\n");
    std::fs::write(&data, text).unwrap();
    let d = data.display().to_string();
    let out = dir.join("run").display().to_string();
    let (ok, _, err) = optlab(&["sft", "--data", &d, "--on-bad-line", "error", "--out", &out]);
    assert!(!ok);
    assert!(err.contains("d.jsonl:7: malformed JSON"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (ok, stdout, err) = optlab(&[
        "sft",
        "--data",
        &d,
        "--pretrain-steps",
        "1",
        "--steps",
        "1",
        "--batch",
        "2",
        "--json",
        "--out",
        &out,
    ]);
    assert!(ok, "{err}");
    assert!(
        err.contains("warning: skipped") && err.contains("d.jsonl:7"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["skipped_records"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["train_examples"].as_u64().unwrap() + v["held_out_examples"].as_u64().unwrap(),
        6
    );
}
