//! `optlab reproduce sft-gem`: runs the library's CE-versus-GEM study and writes its table
//! and results.

use std::path::Path;

use anyhow::Result;
use optlab_sft::experiment::run_study;

use super::report::markdown;
use crate::progress::Bars;

/// Run the study (`quick`: a few minutes in a release build) and write `table.md` and
/// `results.json` under `out/sft-gem`.
pub fn reproduce(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let dir = out.join("sft-gem");
    std::fs::create_dir_all(&dir)?;
    let study = run_study(quick, &dir, &Bars::new(false))?;
    let table = dir.join("table.md");
    let md = markdown(&study);
    std::fs::write(&table, &md)?;
    let result = serde_json::json!({
        "table": table, "seconds": study.seconds,
        "pretrain_val_loss": study.pretrain_val_loss, "rows": study.rows,
        "gem_vs_ce": study.gem_vs_ce,
    });
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&result)?,
    )?;
    eprintln!("{md}");
    let metrics = |better: bool| -> Vec<String> {
        study
            .gem_vs_ce
            .iter()
            .filter(|c| c.gem_better == better)
            .map(|c| c.metric.clone())
            .collect()
    };
    Ok(serde_json::json!({
        "table": table, "seconds": study.seconds,
        "gem_better_on": metrics(true),
        "gem_not_better_on": metrics(false),
    }))
}
