//! Linear warm-up followed by cosine decay.

/// Learning rate at 1-based step `t`: linear warm-up to `peak` over `warmup` steps, then
/// cosine decay to `peak * min_ratio` at `total`.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct CosineSchedule {
    /// Peak learning rate.
    pub peak: f64,
    /// Warm-up steps.
    pub warmup: usize,
    /// Total steps.
    pub total: usize,
    /// Final rate as a fraction of the peak.
    pub min_ratio: f64,
}

impl CosineSchedule {
    /// The learning rate at step `t` (1-based).
    pub fn at(&self, t: usize) -> f64 {
        if self.warmup > 0 && t <= self.warmup {
            return self.peak * t as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let progress = ((t - self.warmup.min(t)) as f64 / span).min(1.0);
        let min = self.peak * self.min_ratio;
        min + 0.5 * (self.peak - min) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine_hits_the_ends() {
        let s = CosineSchedule {
            peak: 1.0,
            warmup: 10,
            total: 110,
            min_ratio: 0.1,
        };
        assert!((s.at(1) - 0.1).abs() < 1e-12);
        assert!((s.at(10) - 1.0).abs() < 1e-12);
        assert!((s.at(60) - 0.55).abs() < 1e-12);
        assert!((s.at(110) - 0.1).abs() < 1e-12);
        assert!(s.at(30) > s.at(40));
    }
}
