//! Small statistics used across optlab: median, mean, standard deviation, quantiles and the
//! shifted geometric mean that LP benchmarks report. Inputs with NaN sort last.

/// Median of `xs` (mean of the two middle values for an even count); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    quantile(xs, 0.5)
}

/// The `q`-quantile of `xs` (linear interpolation between order statistics, `q` clamped to
/// [0, 1]); `None` when empty.
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// Arithmetic mean; `None` when empty.
pub fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (divides by n - 1); 0 for a single value, `None` when empty.
pub fn std_dev(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    if xs.len() < 2 {
        return Some(0.0);
    }
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    Some((ss / (xs.len() - 1) as f64).sqrt())
}

/// Shifted geometric mean `exp(mean(ln(x + shift))) - shift`, the usual summary of solve
/// times (shift 10 s: "SGM10"), which no single very fast instance can dominate.
pub fn shifted_geomean(xs: &[f64], shift: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let logs: f64 = xs.iter().map(|x| (x + shift).ln()).sum();
    Some((logs / xs.len() as f64).exp() - shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_match_hand_values() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(quantile(&[0.0, 10.0], 0.25), Some(2.5));
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert!((std_dev(&[1.0, 2.0, 3.0]).unwrap() - 1.0).abs() < 1e-15);
        assert_eq!(std_dev(&[5.0]), Some(0.0));
        let g = shifted_geomean(&[0.0, 30.0], 10.0).unwrap();
        assert!((g - (400f64.sqrt() - 10.0)).abs() < 1e-12);
    }
}
