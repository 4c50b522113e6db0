//! An embedded, procedurally generated image set: ten classes of simple shapes drawn at a
//! random offset and scale with pixel noise, fully determined by a seed, so tests and demos
//! need no download.

use optlab_core::rng::Rng;

use super::ImageSet;
use crate::error::{Result, RobustError};

/// Names of the ten generated classes, indexed by label.
pub const SHAPE_CLASSES: [&str; 10] = [
    "horizontal-bar",
    "vertical-bar",
    "diagonal",
    "anti-diagonal",
    "square-outline",
    "filled-square",
    "plus",
    "cross",
    "ring",
    "disk",
];

/// Whether pixel (r, c) belongs to shape `class` centred at (cy, cx) with half-size `s`.
fn inside(class: usize, r: f64, c: f64, cy: f64, cx: f64, s: f64) -> bool {
    let (dy, dx) = (r - cy, c - cx);
    let box_in = dy.abs() <= s && dx.abs() <= s;
    let rad = (dy * dy + dx * dx).sqrt();
    match class {
        0 => dy.abs() <= 1.0 && dx.abs() <= s,
        1 => dx.abs() <= 1.0 && dy.abs() <= s,
        2 => box_in && (dy - dx).abs() <= 1.0,
        3 => box_in && (dy + dx).abs() <= 1.0,
        4 => box_in && (dy.abs() > s - 1.5 || dx.abs() > s - 1.5),
        5 => box_in,
        6 => box_in && (dy.abs() <= 1.0 || dx.abs() <= 1.0),
        7 => box_in && ((dy - dx).abs() <= 1.0 || (dy + dx).abs() <= 1.0),
        8 => (rad - s).abs() <= 1.0,
        _ => rad <= s,
    }
}

/// `n` images of `side x side` pixels (side at least 8), labels cycling through the ten
/// classes, Gaussian pixel noise of standard deviation `noise`, clamped to [0, 1].
pub fn generated_shapes(n: usize, side: usize, noise: f64, seed: u64) -> Result<ImageSet> {
    if side < 8 {
        return Err(RobustError::Config(format!(
            "generated images need side >= 8, got {side}"
        )));
    }
    let mut rng = Rng::new(seed);
    let sf = side as f64;
    let mut pixels = Vec::with_capacity(n * side * side);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % SHAPE_CLASSES.len();
        let s = sf * (0.22 + 0.12 * rng.uniform());
        let margin = s + 1.0;
        let cy = margin + (sf - 1.0 - 2.0 * margin).max(0.0) * rng.uniform();
        let cx = margin + (sf - 1.0 - 2.0 * margin).max(0.0) * rng.uniform();
        let ink = 0.7 + 0.3 * rng.uniform();
        for r in 0..side {
            for c in 0..side {
                let base = if inside(class, r as f64, c as f64, cy, cx, s) {
                    ink
                } else {
                    0.0
                };
                let v = base + noise * rng.normal();
                pixels.push(v.clamp(0.0, 1.0) as f32);
            }
        }
        labels.push(class as u32);
    }
    ImageSet::new(pixels, labels, side, side, SHAPE_CLASSES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_balanced_in_range_and_distinct_classes() {
        let a = generated_shapes(40, 16, 0.1, 3).unwrap();
        let b = generated_shapes(40, 16, 0.1, 3).unwrap();
        assert_eq!(a.pixels, b.pixels);
        assert!(a.pixels.iter().all(|&p| (0.0..=1.0).contains(&p)));
        for k in 0..10u32 {
            assert_eq!(a.labels.iter().filter(|&&l| l == k).count(), 4);
        }
        // Noise-free class means must differ pairwise (the classes are distinguishable).
        let clean = generated_shapes(200, 16, 0.0, 5).unwrap();
        let d = clean.dim();
        let mut means = vec![vec![0f64; d]; 10];
        for (i, &l) in clean.labels.iter().enumerate() {
            for (m, &p) in means[l as usize]
                .iter_mut()
                .zip(&clean.pixels[i * d..(i + 1) * d])
            {
                *m += p as f64 / 20.0;
            }
        }
        for p in 0..10 {
            assert!(means[p].iter().sum::<f64>() > 1.0, "class {p} is blank");
            for q in p + 1..10 {
                let dist: f64 = means[p]
                    .iter()
                    .zip(&means[q])
                    .map(|(x, y)| (x - y).powi(2))
                    .sum();
                assert!(dist > 0.5, "classes {p} and {q} look alike ({dist})");
            }
        }
        assert!(generated_shapes(1, 4, 0.0, 0).is_err());
    }
}
