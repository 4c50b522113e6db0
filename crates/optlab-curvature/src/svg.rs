//! Hand-written SVG line charts (no plotting dependency): spectral densities and gradient-norm
//! curves, optionally on a log-scaled y axis.

use std::fmt::Write;

const COLORS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// One named curve.
pub struct Series {
    /// Legend label.
    pub name: String,
    /// x values.
    pub xs: Vec<f64>,
    /// y values (non-finite or, on a log axis, non-positive points are skipped).
    pub ys: Vec<f64>,
}

/// Reduce a curve to at most `bins` points, keeping each bin's maximum (peaks stay visible).
pub fn downsample_max(xs: &[f64], ys: &[f64], bins: usize) -> (Vec<f64>, Vec<f64>) {
    if xs.len() <= bins || bins == 0 {
        return (xs.to_vec(), ys.to_vec());
    }
    let per = xs.len().div_ceil(bins);
    xs.chunks(per)
        .zip(ys.chunks(per))
        .map(|(x, y)| {
            let (k, m) =
                y.iter().enumerate().fold(
                    (0, f64::NEG_INFINITY),
                    |a, (i, &v)| if v > a.1 { (i, v) } else { a },
                );
            (x[k], m)
        })
        .unzip()
}

fn fmt_num(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else {
        format!("{v:.3}")
    }
}

/// Axis scaling of [`line_chart`].
#[derive(Debug, Clone, Copy)]
pub struct Axes {
    /// Base-10 log x axis (non-positive x are skipped).
    pub log_x: bool,
    /// Base-10 log y axis (y below `floor` is drawn at `floor`).
    pub log_y: bool,
    /// Smallest y drawn on a log axis.
    pub floor: f64,
}

/// A line chart of `series` on `axes`.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    axes: Axes,
) -> String {
    let Axes {
        log_x,
        log_y,
        floor,
    } = axes;
    let ty = |y: f64| if log_y { y.max(floor).log10() } else { y };
    let tx = |x: f64| if log_x { x.log10() } else { x };
    let pts = series
        .iter()
        .flat_map(|s| s.xs.iter().zip(&s.ys))
        .filter(|(x, y)| tx(**x).is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (&x, &y) in pts {
        let (x, y) = (tx(x), ty(y));
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let (w, h, left, top, pw, ph) = (900.0, 520.0, 80.0, 40.0, 600.0, 420.0);
    let sx = |x: f64| left + pw * (tx(x) - x0) / (x1 - x0).max(1e-300);
    let sy = |y: f64| top + ph * (y1 - ty(y)) / (y1 - y0).max(1e-300);
    let mut s = String::new();
    let _ = writeln!(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">");
    let _ = writeln!(s, "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{left}\" y=\"22\" font-size=\"14\">{title}</text>"
    );
    let _ = writeln!(s, "<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>");
    let ylab = |v: f64| {
        if log_y {
            format!("1e{v:.1}")
        } else {
            fmt_num(v)
        }
    };
    let _ = writeln!(s, "<text x=\"5\" y=\"{}\">{}</text>", top + 10.0, ylab(y1));
    let _ = writeln!(s, "<text x=\"5\" y=\"{}\">{}</text>", top + ph, ylab(y0));
    let _ = writeln!(
        s,
        "<text x=\"{left}\" y=\"{}\">{}</text>",
        top + ph + 16.0,
        fmt_num(x0)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        left + pw,
        top + ph + 16.0,
        fmt_num(x1)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{x_label}</text>",
        left + pw / 2.0,
        top + ph + 32.0
    );
    let _ = writeln!(s, "<text x=\"15\" y=\"{}\" transform=\"rotate(-90 15 {})\" text-anchor=\"middle\">{y_label}{}</text>", top + ph / 2.0, top + ph / 2.0, if log_y { " (log10)" } else { "" });
    for (k, se) in series.iter().enumerate() {
        let c = COLORS[k % COLORS.len()];
        let p: Vec<String> = se
            .xs
            .iter()
            .zip(&se.ys)
            .filter(|(x, y)| tx(**x).is_finite() && y.is_finite())
            .map(|(&x, &y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let dash = if k >= COLORS.len() {
            " stroke-dasharray=\"4 2\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.2\"{dash} points=\"{}\"/>",
            p.join(" ")
        );
        if k < 30 {
            let _ = writeln!(
                s,
                "<text x=\"{}\" y=\"{}\" fill=\"{c}\" font-size=\"10\">{}</text>",
                left + pw + 10.0,
                top + 10.0 + 14.0 * k as f64,
                se.name
            );
        }
    }
    if series.len() > 30 {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\">… {} more</text>",
            left + pw + 10.0,
            top + 10.0 + 14.0 * 30.0,
            series.len() - 30
        );
    }
    s.push_str("</svg>\n");
    s
}
