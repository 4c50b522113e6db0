//! `optlab reproduce pdhg-net`: run the library experiment, save its models and results.

use anyhow::Context;
use optlab_lp::pdhg_net::experiment;
use std::path::Path;

/// Runs the PDHG-Net experiment and writes `OUT/pdhg-net/model-{mse,kkt}/` and
/// `OUT/pdhg-net/results.json`; returns the results.
pub fn reproduce_pdhg_net(quick: bool, out: &Path) -> anyhow::Result<serde_json::Value> {
    let dir = out.join("pdhg-net");
    let run = experiment::run(quick, &optlab_core::report::Silent)?;
    for (name, model) in &run.models {
        model.save(&dir.join(format!("model-{name}")))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let results = dir.join("results.json");
    std::fs::write(&results, serde_json::to_string_pretty(&run.result)?)
        .with_context(|| format!("cannot write {}", results.display()))?;
    Ok(run.result)
}
