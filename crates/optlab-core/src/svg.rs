//! A small standalone-SVG line chart: every optlab report that plots curves (loss against
//! steps, reward against iterations, gradient norm against iterations) draws it the same way.

use std::fmt::Write as _;

/// One named curve of `(x, y)` points.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points in drawing order; non-finite points (and non-positive ones on a log axis) are
    /// skipped and counted in the caption.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from a label and its points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
        }
    }
}

/// Chart title, axis labels and scale.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// Title drawn on top.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Logarithmic y axis (base 10).
    pub log_y: bool,
}

const COLORS: [&str; 8] = [
    "steelblue",
    "darkorange",
    "seagreen",
    "crimson",
    "mediumpurple",
    "saddlebrown",
    "hotpink",
    "gray",
];

/// Render `series` as an SVG document (640×400, legend on the right).
pub fn line_chart(chart: &Chart, series: &[Series]) -> String {
    let (w, h, left, right, top, bottom) = (760.0, 420.0, 70.0, 190.0, 40.0, 50.0);
    let ty = |y: f64| if chart.log_y { y.log10() } else { y };
    let usable = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!chart.log_y || y > 0.0);
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(usable)
        .map(|(x, y)| (x, ty(y)))
        .collect();
    let skipped: usize = series
        .iter()
        .map(|s| s.points.iter().filter(|p| !usable(p)).count())
        .sum();
    let span = |v: &mut dyn Iterator<Item = f64>| {
        v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        })
    };
    let (mut x0, mut x1) = span(&mut pts.iter().map(|p| p.0));
    let (mut y0, mut y1) = span(&mut pts.iter().map(|p| p.1));
    if pts.is_empty() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 - x0 < 1e-12 {
        x1 = x0 + 1.0;
    }
    if y1 - y0 < 1e-12 {
        (y0, y1) = (y0 - 0.5, y1 + 0.5);
    }
    let (pw, ph) = (w - left - right, h - top - bottom);
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| top + ph - (y - y0) / (y1 - y0) * ph;
    let label_y = |y: f64| {
        if chart.log_y {
            format!("{:.3e}", 10f64.powf(y))
        } else {
            format!("{y:.4}")
        }
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let _ = writeln!(
        s,
        "<text x=\"{left}\" y=\"22\" font-size=\"14\">{}</text>",
        esc(&chart.title)
    );
    let _ = writeln!(
        s,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"black\"/>"
    );
    for i in 0..=4 {
        let f = i as f64 / 4.0;
        let (xv, yv) = (x0 + f * (x1 - x0), y0 + f * (y1 - y0));
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            sx(xv),
            top + ph + 16.0,
            short(xv),
            left - 4.0,
            sy(yv) + 4.0,
            label_y(yv)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">{}{}</text>",
        left + pw / 2.0,
        h - 12.0,
        esc(&chart.x_label),
        top + ph / 2.0,
        top + ph / 2.0,
        esc(&chart.y_label),
        if chart.log_y { " (log)" } else { "" }
    );
    let legend_rows = ((ph - 14.0) / 16.0).floor().max(1.0) as usize;
    for (i, se) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        // Past the palette, repeat colours dashed so curves stay distinguishable.
        let dash = if i >= COLORS.len() {
            " stroke-dasharray=\"5 3\""
        } else {
            ""
        };
        let path: Vec<String> = se
            .points
            .iter()
            .filter(|p| usable(p))
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(ty(y))))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{dash} points=\"{}\"/>",
            path.join(" ")
        );
        if i < legend_rows {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{}</text>",
                w - right + 10.0,
                top + 14.0 + 16.0 * i as f64,
                esc(&se.label)
            );
        }
    }
    if series.len() > legend_rows {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\">… {} more</text>",
            w - right + 10.0,
            top + 14.0 + 16.0 * legend_rows as f64,
            series.len() - legend_rows
        );
    }
    if skipped > 0 {
        let _ = writeln!(
            s,
            "<text x=\"{left}\" y=\"{:.1}\" fill=\"gray\">{skipped} point(s) not drawn (non-finite{})</text>",
            h - 28.0,
            if chart.log_y { " or non-positive" } else { "" }
        );
    }
    s.push_str("</svg>\n");
    s
}

fn short(x: f64) -> String {
    if x.abs() >= 1e4 || (x != 0.0 && x.abs() < 1e-2) {
        format!("{x:.1e}")
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_draws_every_series_and_counts_skipped_points() {
        let chart = Chart {
            title: "loss <a & b>".into(),
            log_y: true,
            ..Default::default()
        };
        let svg = line_chart(
            &chart,
            &[
                Series::new("adam", vec![(0.0, 1.0), (1.0, 0.1), (2.0, 0.0)]),
                Series::new("sgd", vec![(0.0, 2.0), (1.0, f64::NAN)]),
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("loss &lt;a &amp; b&gt;"));
        assert!(svg.contains("2 point(s) not drawn"));
        let empty = line_chart(&Chart::default(), &[]);
        assert!(empty.ends_with("</svg>\n"));
    }

    #[test]
    fn long_legends_are_cut_and_counted() {
        let series: Vec<Series> = (0..40)
            .map(|i| Series::new(format!("block{i}"), vec![(0.0, i as f64), (1.0, 1.0)]))
            .collect();
        let svg = line_chart(&Chart::default(), &series);
        assert_eq!(svg.matches("<polyline").count(), 40);
        assert!(svg.contains("block0<") && !svg.contains("block39<"));
        let shown = (0..40)
            .filter(|i| svg.contains(&format!(">block{i}<")))
            .count();
        assert!(svg.contains(&format!("… {} more", 40 - shown)), "{shown}");
        assert!(svg.contains("stroke-dasharray"));
    }
}
