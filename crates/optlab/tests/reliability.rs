//! The binary on hostile or careless input: a closed stdout, an existing run folder, changed
//! resume settings, non-finite flags, broken configurations; and its own run folder as a
//! `--model-dir`.

use std::path::Path;
use std::process::{Command, Stdio};

fn optlab(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_optlab"))
        .args(args)
        .output()
        .expect("run optlab");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_quietly_with_success() {
    for args in [
        &["curvature", "blocks", "--model", "mlp"][..],
        &["train", "--help"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_optlab"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run optlab");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for optlab");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{err}"
        );
    }
}

fn train(out: &Path, batch: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let o = out.to_str().expect("UTF-8 path");
    let mut args = vec![
        "train",
        "--steps",
        "2",
        "--batch",
        batch,
        "--seq-len",
        "16",
        "--val-every",
        "0",
        "--out",
        o,
        "--json",
    ];
    args.extend_from_slice(extra);
    optlab(&args)
}

#[test]
fn run_folders_are_kept_checked_and_reloadable() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let run = tmp.path().join("run");
    let (code, _, err) = train(&run, "2", &[]);
    assert_eq!(code, Some(0), "{err}");
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).expect("metrics");
    let (code, _, err) = train(&run, "2", &[]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("already holds a training run") && err.contains("--overwrite"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(run.join("metrics.jsonl")).ok(),
        Some(metrics)
    );
    let (code, _, err) = train(&run, "3", &["--resume"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("batch: 2 -> 3") && err.contains("--override-config"),
        "{err}"
    );
    let (code, _, err) = train(&run, "2", &["--overwrite"]);
    assert_eq!(code, Some(0), "{err}");
    // The run's own model folder works as --model-dir.
    let model = run.join("model");
    let m = model.to_str().expect("UTF-8 path");
    let (code, out, err) = optlab(&["eval", "--model-dir", m, "--batches", "1", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("val_loss"), "{out}");
    let (code, _, err) = optlab(&["generate", "--model-dir", m, "--max-new-tokens", "3"]);
    assert_eq!(code, Some(0), "{err}");
    // A size that would abort the allocator is named instead.
    let cfg = model.join("config.json");
    let text = std::fs::read_to_string(&cfg).expect("config");
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    v["vocab_size"] = serde_json::json!(1_000_000_000_000u64);
    std::fs::write(&cfg, v.to_string()).expect("write config");
    let (code, _, err) = optlab(&["eval", "--model-dir", m]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("config.json") && err.contains("`vocab_size`"),
        "{err}"
    );
}

#[test]
fn non_finite_or_negative_float_flags_are_refused_at_parse_time() {
    for (flag, value) in [
        ("--lr", "inf"),
        ("--lr", "NaN"),
        ("--lr", "0"),
        ("--clip", "-1"),
    ] {
        let arg = format!("{flag}={value}");
        let (code, _, err) = optlab(&["train", &arg]);
        assert_eq!(code, Some(2), "{arg}: {err}");
        assert!(err.contains(flag) && err.contains("finite"), "{arg}: {err}");
    }
}
