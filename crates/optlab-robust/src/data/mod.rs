//! Image classification data: an in-memory image set, the IDX reader and a generated set.

mod idx;
mod shapes;

pub use idx::{load_idx_pair, parse_idx, read_idx_file, IdxArray};
pub use shapes::{generated_shapes, SHAPE_CLASSES};

use candle_core::{Device, Tensor};

use crate::error::{Result, RobustError};

/// Grayscale images with pixels in [0, 1] and integer labels, stored row-major.
#[derive(Debug, Clone)]
pub struct ImageSet {
    /// Pixels, `n * rows * cols` values in [0, 1].
    pub pixels: Vec<f32>,
    /// Class labels, one per image.
    pub labels: Vec<u32>,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Number of classes (labels are below this).
    pub classes: usize,
}

impl ImageSet {
    /// Checks the shapes and labels and builds the set.
    pub fn new(
        pixels: Vec<f32>,
        labels: Vec<u32>,
        rows: usize,
        cols: usize,
        classes: usize,
    ) -> Result<Self> {
        if pixels.len() != labels.len() * rows * cols {
            return Err(RobustError::Config(format!(
                "{} pixels do not match {} images of {rows}x{cols}",
                pixels.len(),
                labels.len()
            )));
        }
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(RobustError::Config(format!(
                "label {bad} out of range for {classes} classes"
            )));
        }
        Ok(Self {
            pixels,
            labels,
            rows,
            cols,
            classes,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels per image.
    pub fn dim(&self) -> usize {
        self.rows * self.cols
    }

    /// The first `n` images (all of them if `n` exceeds the size).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            pixels: self.pixels[..n * self.dim()].to_vec(),
            labels: self.labels[..n].to_vec(),
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        }
    }

    /// Images `idx` as an f32 tensor `[b, 1, rows, cols]` and their labels as u32 `[b]`.
    pub fn batch(&self, idx: &[usize], device: &Device) -> Result<(Tensor, Tensor)> {
        let d = self.dim();
        let mut px = Vec::with_capacity(idx.len() * d);
        let mut ys = Vec::with_capacity(idx.len());
        for &i in idx {
            if i >= self.len() {
                return Err(RobustError::Config(format!(
                    "image index {i} out of range ({} images)",
                    self.len()
                )));
            }
            px.extend_from_slice(&self.pixels[i * d..(i + 1) * d]);
            ys.push(self.labels[i]);
        }
        let x = Tensor::from_vec(px, (idx.len(), 1, self.rows, self.cols), device)?;
        let y = Tensor::from_vec(ys, idx.len(), device)?;
        Ok((x, y))
    }

    /// Per-image L2 norms of the pixel vectors, in f64.
    pub fn l2_norms(&self) -> Vec<f64> {
        self.pixels
            .chunks(self.dim().max(1))
            .map(|c| c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt())
            .collect()
    }
}
