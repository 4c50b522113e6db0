//! Spectral densities and gradient-norm curves drawn with optlab-core's line chart, adding the
//! two things these plots need: a log-scaled x axis and a floor for log-scaled densities.

use crate::blocks::Heterogeneity;

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

/// A line chart of `series` on `axes`: x is drawn as log10(x) when `axes.log_x` (the axis label
/// says so), and on a log y axis values below `axes.floor` are raised to it, so densities that
/// touch zero still draw as one connected curve.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    axes: Axes,
) -> String {
    let chart = optlab_core::svg::Chart {
        title: title.into(),
        x_label: if axes.log_x {
            format!("log10({x_label})")
        } else {
            x_label.into()
        },
        y_label: y_label.into(),
        log_y: axes.log_y,
    };
    let curves: Vec<optlab_core::svg::Series> = series
        .iter()
        .map(|s| {
            let points =
                s.xs.iter()
                    .zip(&s.ys)
                    .filter(|(&x, _)| !axes.log_x || x > 0.0)
                    .map(|(&x, &y)| {
                        let x = if axes.log_x { x.log10() } else { x };
                        let y = if axes.log_y && y.is_finite() {
                            y.max(axes.floor)
                        } else {
                            y
                        };
                        (x, y)
                    })
                    .collect();
            optlab_core::svg::Series::new(s.name.clone(), points)
        })
        .collect();
    optlab_core::svg::line_chart(&chart, &curves)
}

/// SVG of the block densities of `h` (log density against eigenvalue).
pub fn density_svg(h: &Heterogeneity, title: &str) -> String {
    let xs: Vec<f64> = (0..h.grid.points).map(|i| h.grid.at(i)).collect();
    let series: Vec<Series> = h
        .names
        .iter()
        .zip(&h.densities)
        .map(|(n, d)| {
            let (x, y) = downsample_max(&xs, d, 1200);
            Series {
                name: n.clone(),
                xs: x,
                ys: y,
            }
        })
        .collect();
    let axes = Axes {
        log_x: false,
        log_y: true,
        floor: 1e-6,
    };
    line_chart(title, "eigenvalue", "density", &series, axes)
}
