//! The command-line surface: every subcommand, positional argument and flag, with its default
//! and possible values, read from `--help` output and compared with the recorded surface in
//! `tests/fixtures/cli-surface.txt` (taken from the binary before the CLI code moved into this
//! crate). A flag that disappears, changes its default or its choices fails this test.
//!
//! To record the surface of another binary: `OPTLAB_SURFACE_BIN=path OPTLAB_SURFACE_WRITE=1
//! cargo test -p optlab --test surface`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn help(bin: &Path, path: &[String]) -> String {
    let out = Command::new(bin)
        .args(path)
        .arg("-h")
        .output()
        .expect("run the optlab binary");
    assert!(out.status.success(), "{path:?} -h failed");
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

/// The bracketed notes clap appends to a flag's description.
fn notes(desc: &str) -> String {
    ["[default: ", "[possible values: "]
        .iter()
        .filter_map(|tag| {
            let at = desc.find(tag)?;
            let end = desc[at..].find(']')? + at;
            Some(desc[at..=end].to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Entries of one help section: (head, description) where head is what stands at the left.
fn section(text: &str, title: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            inside = line.trim_end() == title;
            continue;
        }
        if !inside || line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        if indent <= 6 {
            let (head, desc) = body.split_once("  ").unwrap_or((body, ""));
            out.push((head.trim().to_string(), desc.trim().to_string()));
        } else if let Some(last) = out.last_mut() {
            last.1.push(' ');
            last.1.push_str(body);
        }
    }
    out
}

fn walk(bin: &Path, path: Vec<String>, lines: &mut Vec<String>) {
    let text = help(bin, &path);
    let name = format!("optlab {}", path.join(" ")).trim().to_string();
    lines.push(format!("CMD {name}"));
    for (head, _) in section(&text, "Arguments:") {
        lines.push(format!("ARG {name} {head}"));
    }
    for (head, desc) in section(&text, "Options:") {
        if head.contains("--help") || head.contains("--version") {
            continue;
        }
        lines.push(
            format!("OPT {name} {head} {}", notes(&desc))
                .trim()
                .to_string(),
        );
    }
    for (head, _) in section(&text, "Commands:") {
        if head != "help" {
            let mut sub = path.clone();
            sub.push(head);
            walk(bin, sub, lines);
        }
    }
}

fn surface(bin: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    walk(bin, Vec::new(), &mut lines);
    lines
}

#[test]
fn every_subcommand_and_flag_keeps_its_name_default_and_choices() {
    let bin = std::env::var_os("OPTLAB_SURFACE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_optlab")));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli-surface.txt");
    let now = surface(&bin);
    assert!(
        now.len() > 100,
        "only {} surface lines: parsing broke",
        now.len()
    );
    if std::env::var_os("OPTLAB_SURFACE_WRITE").is_some() {
        std::fs::write(&fixture, now.join("\n") + "\n").expect("write fixture");
        return;
    }
    let before = std::fs::read_to_string(&fixture).expect("read fixture");
    let before: Vec<&str> = before.lines().collect();
    let missing: Vec<&&str> = before
        .iter()
        .filter(|l| !now.iter().any(|n| n == **l))
        .collect();
    assert!(
        missing.is_empty(),
        "gone or changed since the recorded surface:\n{missing:#?}"
    );
    let added: Vec<&String> = now
        .iter()
        .filter(|n| !before.contains(&n.as_str()))
        .collect();
    assert!(
        added.is_empty(),
        "new surface lines: record them (see the module docs) if intended:\n{added:#?}"
    );
}
