//! Small dense f64 linear algebra (row-major matrices) for covariance and Black-Litterman work.
//!
//! Problems here are tens of assets, so a straightforward Cholesky / Gauss-Jordan in f64 is
//! accurate and fast enough; every routine reports singular input instead of panicking.

use thiserror::Error;

/// Errors from dense linear algebra.
#[derive(Debug, Error, PartialEq)]
pub enum LinalgError {
    /// The matrix is not (numerically) positive definite.
    #[error("matrix is not positive definite (pivot {pivot} = {value:e})")]
    NotPositiveDefinite {
        /// Index of the failing pivot.
        pivot: usize,
        /// Value of the failing pivot.
        value: f64,
    },
    /// The matrix is singular.
    #[error("matrix is singular at column {0}")]
    Singular(usize),
    /// Shapes do not agree.
    #[error("shape mismatch: {0}")]
    Shape(String),
}

/// A dense row-major matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Mat {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Row-major entries, `rows * cols` long.
    pub data: Vec<f64>,
}

impl Mat {
    /// A `rows x cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }
    /// The `n x n` identity.
    pub fn identity(n: usize) -> Self {
        let mut m = Self::zeros(n, n);
        for i in 0..n {
            m.data[i * n + i] = 1.0;
        }
        m
    }
    /// A diagonal matrix with the given diagonal.
    pub fn diag(d: &[f64]) -> Self {
        let mut m = Self::zeros(d.len(), d.len());
        for (i, v) in d.iter().enumerate() {
            m.data[i * d.len() + i] = *v;
        }
        m
    }
    /// Builds a matrix from rows; all rows must have the same length.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self, LinalgError> {
        let cols = rows.first().map_or(0, |r| r.len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for r in rows {
            if r.len() != cols {
                return Err(LinalgError::Shape("ragged rows".into()));
            }
            data.extend_from_slice(r);
        }
        Ok(Self {
            rows: rows.len(),
            cols,
            data,
        })
    }
    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }
    /// Sets entry `(i, j)`.
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.cols + j] = v;
    }
    /// The diagonal.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.rows.min(self.cols))
            .map(|i| self.get(i, i))
            .collect()
    }
    /// The transpose.
    pub fn t(&self) -> Self {
        let mut m = Self::zeros(self.cols, self.rows);
        for i in 0..self.rows {
            for j in 0..self.cols {
                m.set(j, i, self.get(i, j));
            }
        }
        m
    }
    /// Matrix product `self * other`.
    pub fn matmul(&self, other: &Mat) -> Result<Mat, LinalgError> {
        if self.cols != other.rows {
            return Err(LinalgError::Shape(format!(
                "{}x{} * {}x{}",
                self.rows, self.cols, other.rows, other.cols
            )));
        }
        let mut m = Self::zeros(self.rows, other.cols);
        for i in 0..self.rows {
            for k in 0..self.cols {
                let a = self.get(i, k);
                if a == 0.0 {
                    continue;
                }
                for j in 0..other.cols {
                    m.data[i * other.cols + j] += a * other.get(k, j);
                }
            }
        }
        Ok(m)
    }
    /// Matrix-vector product.
    pub fn matvec(&self, x: &[f64]) -> Result<Vec<f64>, LinalgError> {
        if self.cols != x.len() {
            return Err(LinalgError::Shape(format!(
                "{}x{} * {}",
                self.rows,
                self.cols,
                x.len()
            )));
        }
        Ok((0..self.rows)
            .map(|i| (0..self.cols).map(|j| self.get(i, j) * x[j]).sum())
            .collect())
    }
    /// Elementwise `self + s * other`.
    pub fn add_scaled(&self, other: &Mat, s: f64) -> Result<Mat, LinalgError> {
        if self.rows != other.rows || self.cols != other.cols {
            return Err(LinalgError::Shape("add of different shapes".into()));
        }
        let data = self
            .data
            .iter()
            .zip(&other.data)
            .map(|(a, b)| a + s * b)
            .collect();
        Ok(Mat {
            rows: self.rows,
            cols: self.cols,
            data,
        })
    }
    /// Every entry multiplied by `s`.
    pub fn scale(&self, s: f64) -> Mat {
        Mat {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(|v| v * s).collect(),
        }
    }
    /// Inverse by Gauss-Jordan elimination with partial pivoting.
    pub fn inverse(&self) -> Result<Mat, LinalgError> {
        let n = self.rows;
        if n != self.cols {
            return Err(LinalgError::Shape("inverse of a non-square matrix".into()));
        }
        let mut a = self.clone();
        let mut inv = Mat::identity(n);
        let scale = self
            .data
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(f64::MIN_POSITIVE);
        for c in 0..n {
            let p = (c..n)
                .max_by(|&i, &j| a.get(i, c).abs().total_cmp(&a.get(j, c).abs()))
                .unwrap_or(c);
            if a.get(p, c).abs() <= 1e-14 * scale {
                return Err(LinalgError::Singular(c));
            }
            for j in 0..n {
                a.data.swap(c * n + j, p * n + j);
                inv.data.swap(c * n + j, p * n + j);
            }
            let d = a.get(c, c);
            for j in 0..n {
                a.data[c * n + j] /= d;
                inv.data[c * n + j] /= d;
            }
            for i in 0..n {
                let f = a.get(i, c);
                if i == c || f == 0.0 {
                    continue;
                }
                for j in 0..n {
                    a.data[i * n + j] -= f * a.data[c * n + j];
                    inv.data[i * n + j] -= f * inv.data[c * n + j];
                }
            }
        }
        Ok(inv)
    }
    /// Solves `self * x = b` for symmetric positive definite `self` by Cholesky.
    pub fn solve_spd(&self, b: &[f64]) -> Result<Vec<f64>, LinalgError> {
        let l = self.cholesky()?;
        let n = self.rows;
        let mut y = b.to_vec();
        for i in 0..n {
            for k in 0..i {
                y[i] -= l.get(i, k) * y[k];
            }
            y[i] /= l.get(i, i);
        }
        for i in (0..n).rev() {
            for k in i + 1..n {
                y[i] -= l.get(k, i) * y[k];
            }
            y[i] /= l.get(i, i);
        }
        Ok(y)
    }
    /// Lower Cholesky factor `L` with `self = L L'`.
    pub fn cholesky(&self) -> Result<Mat, LinalgError> {
        let n = self.rows;
        if n != self.cols {
            return Err(LinalgError::Shape("cholesky of a non-square matrix".into()));
        }
        let mut l = Mat::zeros(n, n);
        for j in 0..n {
            let mut d = self.get(j, j);
            for k in 0..j {
                d -= l.get(j, k) * l.get(j, k);
            }
            if d.is_nan() || d <= 0.0 {
                return Err(LinalgError::NotPositiveDefinite { pivot: j, value: d });
            }
            let d = d.sqrt();
            l.set(j, j, d);
            for i in j + 1..n {
                let mut s = self.get(i, j);
                for k in 0..j {
                    s -= l.get(i, k) * l.get(j, k);
                }
                l.set(i, j, s / d);
            }
        }
        Ok(l)
    }
}

/// Dot product of two equal-length slices.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_and_cholesky_agree() {
        let a = Mat::from_rows(&[
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.2],
            vec![0.5, 0.2, 2.0],
        ])
        .unwrap();
        let inv = a.inverse().unwrap();
        let id = a.matmul(&inv).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((id.get(i, j) - e).abs() < 1e-12);
            }
        }
        let b = [1.0, -2.0, 0.5];
        let x = a.solve_spd(&b).unwrap();
        let x2 = inv.matvec(&b).unwrap();
        for i in 0..3 {
            assert!((x[i] - x2[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn singular_is_reported() {
        let a = Mat::from_rows(&[vec![1.0, 2.0], vec![2.0, 4.0]]).unwrap();
        assert!(matches!(a.inverse(), Err(LinalgError::Singular(_))));
        assert!(a.cholesky().is_err());
    }
}
