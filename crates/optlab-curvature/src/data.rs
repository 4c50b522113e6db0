//! A seeded synthetic image-classification set for the MLP and CNN experiments: each class is
//! a smooth template (a few Gaussian blobs) and every sample is its class template with random
//! contrast, a small shift and pixel noise, so no download is needed and runs are exact.

use optlab_core::rng::Rng;

/// Images `[n, side*side]` (row-major, one channel) with labels in `0..classes`.
#[derive(Debug, Clone)]
pub struct ImageData {
    /// Pixel values, `n * side * side`.
    pub pixels: Vec<f32>,
    /// Class of each image.
    pub labels: Vec<u32>,
    /// Image side length.
    pub side: usize,
    /// Number of classes.
    pub classes: usize,
}

impl ImageData {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

fn template(rng: &mut Rng, side: usize) -> Vec<f64> {
    let s = side as f64;
    let mut t = vec![0.0; side * side];
    for _ in 0..3 {
        let (cy, cx) = (s * rng.uniform(), s * rng.uniform());
        let w = s * (0.1 + 0.15 * rng.uniform());
        let a = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
        for r in 0..side {
            for c in 0..side {
                let d2 = (r as f64 - cy).powi(2) + (c as f64 - cx).powi(2);
                t[r * side + c] += a * (-d2 / (2.0 * w * w)).exp();
            }
        }
    }
    t
}

/// `n` images of `side x side` pixels in `classes` classes (labels cycle), pixel noise of
/// standard deviation `noise`; the templates depend on `seed` only, the samples on `seed`
/// and their index, so a larger `n` extends a smaller set.
pub fn synthetic_images(n: usize, side: usize, classes: usize, noise: f64, seed: u64) -> ImageData {
    let mut trng = Rng::new(seed);
    let templates: Vec<Vec<f64>> = (0..classes).map(|_| template(&mut trng, side)).collect();
    let mut rng = Rng::new(seed ^ 0x5eed_1a6e);
    let mut pixels = Vec::with_capacity(n * side * side);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let k = i % classes;
        let contrast = 0.6 + 0.8 * rng.uniform();
        let (dy, dx) = (rng.below(3), rng.below(3));
        for r in 0..side {
            for c in 0..side {
                let (rr, cc) = ((r + dy) % side, (c + dx) % side);
                let v = contrast * templates[k][rr * side + cc] + noise * rng.normal();
                pixels.push(v as f32);
            }
        }
        labels.push(k as u32);
    }
    ImageData {
        pixels,
        labels,
        side,
        classes,
    }
}
