//! The run's `metrics.jsonl`: one JSON object per line, appended as training goes and cut
//! back to a checkpoint's step on resume.

use std::io::Write;

use crate::error::{CoreError, Result};

/// Append one JSON line to `path`.
pub(super) fn append_metrics(path: &std::path::Path, line: &serde_json::Value) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(CoreError::io(path))?;
    writeln!(f, "{line}").map_err(CoreError::io(path))
}

/// Drop metric lines past `step` (a resumed run rewrites them).
pub(super) fn truncate_metrics(path: &std::path::Path, step: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["step"].as_u64())
                .is_some_and(|s| s as usize <= step)
        })
        .collect();
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    crate::checkpoint_io::write_atomic(path, out.as_bytes())
}
