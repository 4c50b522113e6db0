//! Dense f64 matrices (row-major) for covariance and Black-Litterman work, with products by
//! hand and factorisations by faer: a Cholesky factor ([`Cholesky`]) solves symmetric positive
//! definite systems, so no formula here forms an inverse it only multiplies by. Every routine
//! reports singular or non-square input instead of panicking.

use faer::linalg::solvers::{DenseSolveCore, Llt, LltError, Solve};
use faer::{MatRef, Side};
use thiserror::Error;

/// Errors from dense linear algebra.
#[derive(Debug, Error, PartialEq)]
pub enum LinalgError {
    /// The matrix is not (numerically) positive definite.
    #[error("matrix is not positive definite (pivot {pivot} is not positive)")]
    NotPositiveDefinite {
        /// Index of the failing pivot.
        pivot: usize,
    },
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
    /// This matrix as a faer view (no copy).
    fn view(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
    }
    /// Cholesky factorisation `self = L L'` of a symmetric positive definite matrix (only the
    /// lower triangle is read).
    pub fn cholesky(&self) -> Result<Cholesky, LinalgError> {
        if self.rows != self.cols {
            return Err(LinalgError::Shape("cholesky of a non-square matrix".into()));
        }
        if self.data.iter().any(|v| !v.is_finite()) {
            return Err(LinalgError::NotPositiveDefinite { pivot: 0 });
        }
        let llt = self.view().llt(Side::Lower).map_err(|e| match e {
            LltError::NonPositivePivot { index } => {
                LinalgError::NotPositiveDefinite { pivot: index }
            }
        })?;
        Ok(Cholesky { llt })
    }
    /// Solves `self * x = b` for symmetric positive definite `self` by Cholesky.
    pub fn solve_spd(&self, b: &[f64]) -> Result<Vec<f64>, LinalgError> {
        self.cholesky()?.solve_vec(b)
    }
}

/// The Cholesky factor of a symmetric positive definite matrix `A`, for solves with `A`.
#[derive(Debug)]
pub struct Cholesky {
    llt: Llt<f64>,
}

impl Cholesky {
    /// Order of `A`.
    pub fn dim(&self) -> usize {
        self.llt.L().nrows()
    }
    /// The lower factor `L` with `A = L L'`.
    pub fn lower(&self) -> Mat {
        from_faer(self.llt.L())
    }
    /// `x` with `A x = b`.
    pub fn solve_vec(&self, b: &[f64]) -> Result<Vec<f64>, LinalgError> {
        if b.len() != self.dim() {
            return Err(LinalgError::Shape(format!(
                "solve with a {n}x{n} matrix and a vector of {}",
                b.len(),
                n = self.dim()
            )));
        }
        let x = self.llt.solve(faer::ColRef::from_slice(b));
        Ok(x.iter().copied().collect())
    }
    /// `X` with `A X = B` (every column of `b` solved at once).
    pub fn solve(&self, b: &Mat) -> Result<Mat, LinalgError> {
        if b.rows != self.dim() {
            return Err(LinalgError::Shape(format!(
                "solve with a {n}x{n} matrix and a {}x{} right-hand side",
                b.rows,
                b.cols,
                n = self.dim()
            )));
        }
        Ok(from_faer(self.llt.solve(b.view()).as_ref()))
    }
    /// `A^-1` from the factor, for the few places that need the matrix itself (the BDA
    /// agent's differentiable map multiplies tensors by it).
    pub fn inverse(&self) -> Mat {
        from_faer(self.llt.inverse().as_ref())
    }
}

/// A row-major copy of a faer matrix.
fn from_faer(m: MatRef<'_, f64>) -> Mat {
    let (rows, cols) = (m.nrows(), m.ncols());
    let mut data = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        data.extend((0..cols).map(|j| m[(i, j)]));
    }
    Mat { rows, cols, data }
}

/// Dot product of two equal-length slices.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd() -> Mat {
        Mat::from_rows(&[
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.2],
            vec![0.5, 0.2, 2.0],
        ])
        .unwrap()
    }

    #[test]
    fn inverse_and_cholesky_agree() {
        let a = spd();
        let inv = a.cholesky().unwrap().inverse();
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
    fn factor_reconstructs_and_matrix_solves_match_vector_solves() {
        let a = spd();
        let c = a.cholesky().unwrap();
        let l = c.lower();
        let back = l.matmul(&l.t()).unwrap();
        for (x, y) in back.data.iter().zip(&a.data) {
            assert!((x - y).abs() < 1e-14);
        }
        let b = Mat::from_rows(&[vec![1.0, 0.0], vec![-2.0, 1.0], vec![0.5, 3.0]]).unwrap();
        let x = c.solve(&b).unwrap();
        for j in 0..2 {
            let col: Vec<f64> = (0..3).map(|i| b.get(i, j)).collect();
            let xj = c.solve_vec(&col).unwrap();
            for (i, v) in xj.iter().enumerate() {
                assert!((x.get(i, j) - v).abs() < 1e-14);
            }
        }
        assert!(c.solve_vec(&[1.0]).is_err());
    }

    #[test]
    fn singular_is_reported() {
        let a = Mat::from_rows(&[vec![1.0, 2.0], vec![2.0, 4.0]]).unwrap();
        assert!(matches!(
            a.cholesky(),
            Err(LinalgError::NotPositiveDefinite { .. })
        ));
        assert!(a.solve_spd(&[1.0, 1.0]).is_err());
        assert!(Mat::zeros(2, 3).cholesky().is_err());
    }
}
