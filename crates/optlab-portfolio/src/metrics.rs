//! Performance metrics of an equity curve (zero risk-free rate).

use serde::Serialize;

/// Summary statistics of a backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// `V_end / V_0 - 1`.
    pub cumulative_return: f64,
    /// `(V_end / V_0)^(periods_per_year / n) - 1` for `n` periods.
    pub annualised_return: f64,
    /// Sample standard deviation of period returns times `sqrt(periods_per_year)`.
    pub annualised_volatility: f64,
    /// `mean / std * sqrt(periods_per_year)` of period returns.
    pub sharpe: f64,
    /// `mean / downside_dev * sqrt(periods_per_year)`, `downside_dev = sqrt(mean(min(r, 0)^2))`.
    pub sortino: f64,
    /// Largest peak-to-trough loss `max_t (1 - V_t / max_{s<=t} V_s)`.
    pub max_drawdown: f64,
    /// Annualised return divided by maximum drawdown.
    pub calmar: f64,
    /// Mean one-way turnover per rebalance, `sum |traded value| / portfolio value`.
    pub turnover: f64,
    /// Sum of turnover per year.
    pub annual_turnover: f64,
    /// Paper-style per-period Sharpe `mean / std` (not annualised; daily for daily data).
    pub sr_period: f64,
    /// Paper-style per-period Sortino `mean / downside_dev` (not annualised).
    pub str_period: f64,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Period returns `V_t / V_{t-1} - 1` of an equity curve.
pub fn period_returns(equity: &[f64]) -> Vec<f64> {
    equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

/// Maximum drawdown of an equity curve and the drawdown series.
pub fn drawdowns(equity: &[f64]) -> (f64, Vec<f64>) {
    let mut peak = f64::MIN;
    let dd: Vec<f64> = equity
        .iter()
        .map(|v| {
            peak = peak.max(*v);
            1.0 - v / peak
        })
        .collect();
    (dd.iter().copied().fold(0.0, f64::max), dd)
}

/// Computes the metrics of `equity` (first entry = initial capital), given the turnover of
/// each rebalance and the number of periods per year (252 for daily data).
pub fn compute(equity: &[f64], turnovers: &[f64], periods_per_year: f64) -> Metrics {
    let r = period_returns(equity);
    let n = r.len().max(1) as f64;
    let first = equity.first().copied().unwrap_or(1.0);
    let last = equity.last().copied().unwrap_or(first);
    let growth = last / first;
    let mean = r.iter().sum::<f64>() / n;
    let var = if r.len() > 1 {
        r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let down = (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
    let ann = growth.max(0.0).powf(periods_per_year / n) - 1.0;
    let (mdd, _) = drawdowns(equity);
    let total_turnover: f64 = turnovers.iter().sum();
    Metrics {
        cumulative_return: growth - 1.0,
        annualised_return: ann,
        annualised_volatility: var.sqrt() * periods_per_year.sqrt(),
        sharpe: ratio(mean, var.sqrt()) * periods_per_year.sqrt(),
        sortino: ratio(mean, down) * periods_per_year.sqrt(),
        max_drawdown: mdd,
        calmar: ratio(ann, mdd),
        turnover: ratio(total_turnover, turnovers.len() as f64),
        annual_turnover: total_turnover * periods_per_year / n,
        sr_period: ratio(mean, var.sqrt()),
        str_period: ratio(mean, down),
    }
}

/// Field-wise mean of several metrics (e.g. one agent over seeds); `None` when empty.
pub fn mean_metrics(ms: &[&Metrics]) -> Option<Metrics> {
    let k = ms.len() as f64;
    let avg = |f: fn(&Metrics) -> f64| ms.iter().map(|m| f(m)).sum::<f64>() / k;
    (!ms.is_empty()).then(|| Metrics {
        cumulative_return: avg(|m| m.cumulative_return),
        annualised_return: avg(|m| m.annualised_return),
        annualised_volatility: avg(|m| m.annualised_volatility),
        sharpe: avg(|m| m.sharpe),
        sortino: avg(|m| m.sortino),
        max_drawdown: avg(|m| m.max_drawdown),
        calmar: avg(|m| m.calmar),
        turnover: avg(|m| m.turnover),
        annual_turnover: avg(|m| m.annual_turnover),
        sr_period: avg(|m| m.sr_period),
        str_period: avg(|m| m.str_period),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_tiny_series() {
        // Returns +10%, -10%, +10%: mean 1/30, sample std sqrt(0.04/3), mean/std = 1/sqrt(12);
        // downside deviation sqrt(0.01/3), mean/downside = 1/sqrt(3).
        let m = compute(&[100.0, 110.0, 99.0, 108.9], &[0.5, 0.3], 252.0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12 * (1.0 + b.abs());
        assert!(close(m.cumulative_return, 0.089));
        assert!(close(m.annualised_return, 1.089f64.powf(84.0) - 1.0));
        assert!(close(
            m.annualised_volatility,
            (0.04f64 / 3.0 * 252.0).sqrt()
        ));
        assert!(close(m.sharpe, 21f64.sqrt()));
        assert!(close(m.sortino, 84f64.sqrt()));
        assert!(close(m.sr_period, 1.0 / 12f64.sqrt()));
        assert!(close(m.str_period, 1.0 / 3f64.sqrt()));
        assert!(close(m.max_drawdown, 0.1));
        assert!(close(m.calmar, (1.089f64.powf(84.0) - 1.0) / 0.1));
        assert!(close(m.turnover, 0.4));
        assert!(close(m.annual_turnover, 0.8 * 84.0));
    }

    #[test]
    fn mean_over_seeds_is_field_wise() {
        let a = compute(&[1.0, 1.1, 1.0], &[0.2], 252.0);
        let b = compute(&[1.0, 0.9, 0.95], &[0.6], 252.0);
        let m = mean_metrics(&[&a, &b]).unwrap();
        assert!((m.sharpe - (a.sharpe + b.sharpe) / 2.0).abs() < 1e-12);
        assert!((m.turnover - 0.4).abs() < 1e-12);
        assert!(mean_metrics(&[]).is_none());
    }

    #[test]
    fn drawdown_tracks_running_peak() {
        let (mdd, dd) = drawdowns(&[1.0, 2.0, 1.0, 3.0, 2.4]);
        assert_eq!(dd, vec![0.0, 0.0, 0.5, 0.0, 1.0 - 2.4 / 3.0]);
        assert_eq!(mdd, 0.5);
        let flat = compute(&[1.0, 1.0, 1.0], &[], 252.0);
        assert_eq!(
            (flat.sharpe, flat.sortino, flat.calmar, flat.turnover),
            (0.0, 0.0, 0.0, 0.0)
        );
    }
}
