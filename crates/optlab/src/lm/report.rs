//! `optlab report DIR`: summary table and SVG loss curves from a run's metrics.jsonl.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use optlab_core::svg::{line_chart, Chart, Series};

/// Summarise a run folder: writes `report.json` and `loss.svg` beside its metrics.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  optlab report runs/train")]
pub struct ReportArgs {
    /// Run folder holding metrics.jsonl.
    dir: PathBuf,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Parsed metrics: training and validation curves.
#[derive(Debug, Default)]
pub struct Curves {
    /// (step, training loss).
    pub train: Vec<(f64, f64)>,
    /// (step, validation loss).
    pub val: Vec<(f64, f64)>,
    /// Tokens/s of the last step.
    pub tokens_per_s: Option<f64>,
}

/// Read `metrics.jsonl`; a malformed line is an error naming its line number.
pub fn read_curves(path: &std::path::Path) -> Result<Curves> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut c = Curves::default();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a JSON object", path.display(), i + 1))?;
        let step = v["step"]
            .as_f64()
            .with_context(|| format!("{}:{}: no `step`", path.display(), i + 1))?;
        if let Some(l) = v["loss"].as_f64() {
            c.train.push((step, l));
            c.tokens_per_s = v["tokens_per_s"].as_f64();
        }
        if let Some(l) = v["val_loss"].as_f64() {
            c.val.push((step, l));
        }
    }
    Ok(c)
}

/// Training and validation loss against steps as a standalone SVG document.
pub fn loss_svg(c: &Curves) -> String {
    let chart = Chart {
        title: "loss".into(),
        x_label: "step".into(),
        y_label: "loss (nats/token)".into(),
        log_y: false,
    };
    line_chart(
        &chart,
        &[
            Series::new("train loss", c.train.clone()),
            Series::new("validation loss", c.val.clone()),
        ],
    )
}

/// Run `optlab report`.
pub fn run(a: ReportArgs) -> Result<()> {
    let c = read_curves(&a.dir.join("metrics.jsonl"))?;
    if c.train.is_empty() {
        bail!("{}: metrics.jsonl has no training steps", a.dir.display());
    }
    let first = c.train[0].1;
    let last = c.train[c.train.len() - 1].1;
    let best_val = c.val.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let summary = serde_json::json!({
        "steps": c.train.len(), "first_loss": first, "last_loss": last,
        "best_val_loss": best_val.is_finite().then_some(best_val), "tokens_per_s": c.tokens_per_s,
    });
    std::fs::write(
        a.dir.join("report.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    std::fs::write(a.dir.join("loss.svg"), loss_svg(&c))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("| steps | first loss | last loss | best val loss | tokens/s |");
        println!("|---|---|---|---|---|");
        println!(
            "| {} | {first:.4} | {last:.4} | {} | {} |",
            c.train.len(),
            if best_val.is_finite() {
                format!("{best_val:.4}")
            } else {
                "-".into()
            },
            c.tokens_per_s.map_or("-".into(), |t| format!("{t:.0}"))
        );
        println!(
            "wrote {} and {}",
            a.dir.join("report.json").display(),
            a.dir.join("loss.svg").display()
        );
    }
    Ok(())
}
