//! A minimal SVG chart: equity curves (top) and drawdowns (bottom) for several strategies.

use crate::backtest::BacktestResult;
use crate::metrics::drawdowns;
use std::fmt::Write;

const COLORS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

fn polyline(ys: &[f64], lo: f64, hi: f64, top: f64, height: f64, color: &str) -> String {
    let n = ys.len().max(2) - 1;
    let span = (hi - lo).max(1e-12);
    let pts: Vec<String> = ys
        .iter()
        .enumerate()
        .map(|(i, y)| {
            format!(
                "{:.1},{:.1}",
                60.0 + 700.0 * i as f64 / n as f64,
                top + height * (hi - y) / span
            )
        })
        .collect();
    format!(
        "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.2\" points=\"{}\"/>\n",
        pts.join(" ")
    )
}

/// Renders growth of 1 and drawdown curves of `results` as an SVG document.
pub fn equity_svg(results: &[BacktestResult], title: &str) -> String {
    let growth: Vec<Vec<f64>> = results
        .iter()
        .map(|r| r.equity.iter().map(|v| v / r.equity[0]).collect())
        .collect();
    let dds: Vec<Vec<f64>> = results
        .iter()
        .map(|r| drawdowns(&r.equity).1.iter().map(|d| -d).collect())
        .collect();
    let (glo, ghi) = growth
        .iter()
        .flatten()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let dlo = dds.iter().flatten().fold(0.0f64, |a, v| a.min(*v));
    let mut s = String::new();
    let _ = writeln!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"560\" font-family=\"sans-serif\" font-size=\"12\">");
    let _ = writeln!(s, "<rect width=\"900\" height=\"560\" fill=\"white\"/>");
    let _ = writeln!(s, "<text x=\"60\" y=\"20\" font-size=\"14\">{title}</text>");
    let _ = writeln!(
        s,
        "<text x=\"5\" y=\"40\">{ghi:.2}</text><text x=\"5\" y=\"340\">{glo:.2}</text>"
    );
    let _ = writeln!(
        s,
        "<text x=\"5\" y=\"380\">0%</text><text x=\"5\" y=\"540\">{:.0}%</text>",
        dlo * 100.0
    );
    let _ = writeln!(s, "<text x=\"60\" y=\"370\">drawdown</text>");
    if let (Some(first), Some(last)) = (
        results.first().and_then(|r| r.dates.first()),
        results.first().and_then(|r| r.dates.last()),
    ) {
        let _ = writeln!(
            s,
            "<text x=\"60\" y=\"555\">{first}</text><text x=\"690\" y=\"555\">{last}</text>"
        );
    }
    for (k, r) in results.iter().enumerate() {
        let c = COLORS[k % COLORS.len()];
        s.push_str(&polyline(&growth[k], glo, ghi, 35.0, 300.0, c));
        s.push_str(&polyline(&dds[k], dlo, 0.0, 380.0, 150.0, c));
        let _ = writeln!(
            s,
            "<text x=\"770\" y=\"{}\" fill=\"{c}\">{}</text>",
            50 + 16 * k,
            r.name
        );
    }
    s.push_str("</svg>\n");
    s
}
