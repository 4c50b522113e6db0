//! `optlab report DIR`: summary table and SVG loss curves from a run's metrics.jsonl.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

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

/// A two-series line chart as a standalone SVG document.
pub fn loss_svg(c: &Curves) -> String {
    let (w, h, pad) = (640.0, 400.0, 50.0);
    let all: Vec<&(f64, f64)> = c.train.iter().chain(&c.val).collect();
    let xmax = all.iter().map(|p| p.0).fold(1.0, f64::max);
    let ymax = all.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let ymin = all
        .iter()
        .map(|p| p.1)
        .fold(f64::MAX, f64::min)
        .min(ymax - 1e-9);
    let sx = |x: f64| pad + (x / xmax) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad - (y - ymin) / (ymax - ymin) * (h - 2.0 * pad);
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let _ = writeln!(s, "<line x1=\"{pad}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{0}\" stroke=\"black\"/>", h - pad, w - pad);
    let _ = writeln!(s, "<text x=\"{}\" y=\"{}\">step (max {xmax})</text><text x=\"5\" y=\"{}\">{ymax:.3}</text><text x=\"5\" y=\"{}\">{ymin:.3}</text>", w / 2.0 - 40.0, h - 15.0, pad, h - pad);
    for (pts, color, label, y) in [
        (&c.train, "steelblue", "train loss", 20.0),
        (&c.val, "darkorange", "validation loss", 36.0),
    ] {
        if pts.is_empty() {
            continue;
        }
        let path: Vec<String> = pts
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>",
            path.join(" ")
        );
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{y}\" fill=\"{color}\">{label}</text>",
            w - 160.0
        );
    }
    s.push_str("</svg>\n");
    s
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
