//! The embedded data set: a seeded factor model with regime changes (calm / crisis),
//! 30 assets and 15 years of business days, generated on demand so every command runs
//! with no arguments.

use crate::data::PriceTable;
use optlab_core::rng::Rng;

/// Civil date from days since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parameters of the generated market.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// Number of assets.
    pub n_assets: usize,
    /// Number of trading days (prices; returns are one fewer).
    pub n_days: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            n_assets: 30,
            n_days: 15 * 252,
            seed: 7,
        }
    }
}

/// Generates prices from a market + 3 sector factor model whose regime (calm or crisis)
/// follows a two-state Markov chain; crises have negative drift, higher factor volatility
/// and hence higher correlation.
pub fn generate(cfg: &SynthConfig) -> PriceTable {
    let mut rng = Rng::new(cfg.seed);
    let n = cfg.n_assets;
    let beta: Vec<f64> = (0..n).map(|_| 0.6 + 0.8 * rng.uniform()).collect();
    let sect: Vec<f64> = (0..n).map(|_| 0.3 + 0.5 * rng.uniform()).collect();
    let idio: Vec<f64> = (0..n).map(|_| 0.008 + 0.010 * rng.uniform()).collect();
    let alpha: Vec<f64> = (0..n).map(|_| 0.0002 * rng.normal()).collect();
    let mut crisis = false;
    let mut logp: Vec<f64> = (0..n)
        .map(|_| (20.0 + 180.0 * rng.uniform()).ln())
        .collect();
    let mut prices = Vec::with_capacity(cfg.n_days);
    let mut dates = Vec::with_capacity(cfg.n_days);
    let mut day: i64 = 13_880; // 2008-01-02
    while dates.len() < cfg.n_days {
        let dow = (day + 3).rem_euclid(7); // 0 = Monday
        if dow < 5 {
            let (y, m, d) = civil(day);
            dates.push(format!("{y:04}-{m:02}-{d:02}"));
            if !prices.is_empty() {
                let switch = if crisis { 1.0 / 60.0 } else { 1.0 / 500.0 };
                if rng.uniform() < switch {
                    crisis = !crisis;
                }
                let (mdrift, mvol, svol) = if crisis {
                    (-0.0015, 0.025, 0.012)
                } else {
                    (0.0004, 0.008, 0.005)
                };
                let fm = mdrift + mvol * rng.normal();
                let fs: Vec<f64> = (0..3).map(|_| svol * rng.normal()).collect();
                for i in 0..n {
                    let r = alpha[i] + beta[i] * fm + sect[i] * fs[i % 3] + idio[i] * rng.normal();
                    logp[i] += r;
                }
            }
            prices.push(logp.iter().map(|l| l.exp()).collect());
        }
        day += 1;
    }
    let tickers = (0..n).map(|i| format!("S{i:02}")).collect();
    PriceTable {
        tickers,
        dates,
        prices,
    }
}

/// The embedded default data set (30 assets, 15 years, seed 7).
pub fn embedded() -> PriceTable {
    generate(&SynthConfig::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_shape_and_determinism() {
        let a = embedded();
        assert_eq!(a.n_assets(), 30);
        assert_eq!(a.dates.len(), 3780);
        assert_eq!(a.dates[0], "2008-01-02");
        assert!(a.dates.windows(2).all(|w| w[0] < w[1]));
        assert!(a.prices.iter().flatten().all(|p| p.is_finite() && *p > 0.0));
        assert_eq!(a, embedded());
        assert_ne!(
            a.prices,
            generate(&SynthConfig {
                seed: 8,
                ..Default::default()
            })
            .prices
        );
        // The CSV round trip passes validation.
        let mut csv = format!("date,{}\n", a.tickers.join(","));
        for (d, r) in a.dates.iter().zip(&a.prices).take(10) {
            let cells: Vec<String> = r.iter().map(|p| format!("{p}")).collect();
            csv.push_str(&format!("{d},{}\n", cells.join(",")));
        }
        let back = PriceTable::from_csv_str(&csv).unwrap();
        assert_eq!(back.prices[..], a.prices[..10]);
    }
}
