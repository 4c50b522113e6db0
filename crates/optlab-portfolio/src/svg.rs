//! Equity curves (growth of 1, top) and drawdowns (bottom) for several strategies, drawn with
//! optlab-core's shared line chart so every optlab report looks the same.

use crate::backtest::BacktestResult;
use crate::metrics::drawdowns;
use optlab_core::svg::{line_chart, Chart, Series};

/// Height of one core chart; the drawdown chart is placed this far down.
const PANEL: f64 = 420.0;

/// Renders growth of 1 and drawdown curves of `results` as one SVG document.
pub fn equity_svg(results: &[BacktestResult], title: &str) -> String {
    let series = |f: &dyn Fn(&BacktestResult) -> Vec<f64>| -> Vec<Series> {
        results
            .iter()
            .map(|r| {
                let pts = f(r).into_iter().enumerate();
                Series::new(r.name.clone(), pts.map(|(i, v)| (i as f64, v)).collect())
            })
            .collect()
    };
    let growth = series(&|r| r.equity.iter().map(|v| v / r.equity[0]).collect());
    let dd = series(&|r| drawdowns(&r.equity).1.iter().map(|d| -d).collect());
    let days = match (
        results.first().and_then(|r| r.dates.first()),
        results.first().and_then(|r| r.dates.last()),
    ) {
        (Some(a), Some(b)) => format!("trading days from {a} to {b}"),
        _ => "trading days".into(),
    };
    let chart = |t: String, y: &str| Chart {
        title: t,
        x_label: days.clone(),
        y_label: y.into(),
        log_y: false,
    };
    let top = line_chart(&chart(format!("{title}: growth of 1"), "value"), &growth);
    let bottom = line_chart(&chart("drawdown".into(), "drawdown"), &dd);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"{}\">\n{top}{}</svg>\n",
        2.0 * PANEL,
        bottom.replacen("<svg ", &format!("<svg y=\"{PANEL}\" "), 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::compute;

    #[test]
    fn two_panels_with_every_strategy() {
        let mk = |name: &str, eq: Vec<f64>| BacktestResult {
            name: name.into(),
            dates: (0..eq.len()).map(|i| format!("d{i}")).collect(),
            metrics: compute(&eq, &[], 252.0),
            equity: eq,
            decisions: vec![],
            turnovers: vec![],
            total_costs: 0.0,
        };
        let s = equity_svg(
            &[
                mk("alpha", vec![1.0, 1.2, 0.9]),
                mk("beta", vec![2.0, 2.0, 2.2]),
            ],
            "t",
        );
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("<svg").count(), 3);
        assert!(s.contains("y=\"420\"") && s.contains("from d0 to d2"));
        assert!(s.contains("alpha") && s.contains("beta") && s.contains("drawdown"));
    }
}
