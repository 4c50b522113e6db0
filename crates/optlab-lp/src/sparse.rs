//! Compressed sparse row matrices with rayon-parallel matrix-vector products.
//!
//! The PDHG hot loop needs `A x` and `Aᵀ y`; both are computed as row-wise CSR products
//! (the transpose is stored explicitly), so every output entry is written by exactly one
//! task and no atomics are needed.

use rayon::prelude::*;

/// Products with fewer stored entries than this run sequentially (rayon overhead dominates).
const PARALLEL_NNZ_THRESHOLD: usize = 20_000;

/// A sparse matrix in compressed sparse row form.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    /// Number of rows.
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// Row pointers: row `i` occupies `indptr[i]..indptr[i + 1]`.
    pub indptr: Vec<usize>,
    /// Column index of every stored entry.
    pub indices: Vec<u32>,
    /// Value of every stored entry.
    pub values: Vec<f64>,
}

impl CsrMatrix {
    /// An `nrows x ncols` matrix with no stored entries.
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        Self {
            nrows,
            ncols,
            indptr: vec![0; nrows + 1],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Builds a matrix from `(row, col, value)` triplets; duplicates are summed, and
    /// entries that are exactly zero after summation are dropped.
    ///
    /// # Panics
    /// Panics if a triplet lies outside the matrix (a programming error, not a user error).
    pub fn from_triplets(nrows: usize, ncols: usize, triplets: &[(usize, usize, f64)]) -> Self {
        let mut counts = vec![0usize; nrows + 1];
        for &(r, c, _) in triplets {
            assert!(
                r < nrows && c < ncols,
                "triplet ({r}, {c}) outside {nrows}x{ncols}"
            );
            counts[r + 1] += 1;
        }
        for i in 0..nrows {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut cols = vec![0u32; triplets.len()];
        let mut vals = vec![0f64; triplets.len()];
        for &(r, c, v) in triplets {
            cols[next[r]] = c as u32;
            vals[next[r]] = v;
            next[r] += 1;
        }
        let mut indptr = Vec::with_capacity(nrows + 1);
        let mut indices = Vec::with_capacity(triplets.len());
        let mut values = Vec::with_capacity(triplets.len());
        indptr.push(0);
        let mut row: Vec<(u32, f64)> = Vec::new();
        for i in 0..nrows {
            row.clear();
            row.extend((counts[i]..counts[i + 1]).map(|k| (cols[k], vals[k])));
            row.sort_by_key(|e| e.0);
            let mut k = 0;
            while k < row.len() {
                let (c, mut v) = row[k];
                k += 1;
                while k < row.len() && row[k].0 == c {
                    v += row[k].1;
                    k += 1;
                }
                if v != 0.0 {
                    indices.push(c);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Self {
            nrows,
            ncols,
            indptr,
            indices,
            values,
        }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Iterates over the `(column, value)` pairs of row `i`.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.indptr[i]..self.indptr[i + 1];
        self.indices[r.clone()]
            .iter()
            .map(|&c| c as usize)
            .zip(self.values[r].iter().copied())
    }

    /// The transpose, again in CSR form (equivalently, this matrix in CSC form).
    pub fn transpose(&self) -> Self {
        let mut counts = vec![0usize; self.ncols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for j in 0..self.ncols {
            counts[j + 1] += counts[j];
        }
        let mut next = counts.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut values = vec![0f64; self.nnz()];
        for i in 0..self.nrows {
            for (c, v) in self.row(i) {
                indices[next[c]] = i as u32;
                values[next[c]] = v;
                next[c] += 1;
            }
        }
        Self {
            nrows: self.ncols,
            ncols: self.nrows,
            indptr: counts,
            indices,
            values,
        }
    }

    /// `y = self * x`, parallel over rows for large matrices.
    ///
    /// # Panics
    /// Panics if the vector lengths do not match the matrix shape.
    pub fn mul_vec_into(&self, x: &[f64], y: &mut [f64]) {
        assert_eq!(x.len(), self.ncols);
        assert_eq!(y.len(), self.nrows);
        let row_dot = |i: usize| -> f64 {
            let mut s = 0.0;
            for k in self.indptr[i]..self.indptr[i + 1] {
                s += self.values[k] * x[self.indices[k] as usize];
            }
            s
        };
        if self.nnz() < PARALLEL_NNZ_THRESHOLD || rayon::current_num_threads() == 1 {
            for (i, yi) in y.iter_mut().enumerate() {
                *yi = row_dot(i);
            }
        } else {
            y.par_iter_mut()
                .with_min_len(256)
                .enumerate()
                .for_each(|(i, yi)| *yi = row_dot(i));
        }
    }

    /// Returns `self * x` as a new vector.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.nrows];
        self.mul_vec_into(x, &mut y);
        y
    }

    /// Multiplies row `i` by `r[i]` and column `j` by `c[j]` in place.
    pub fn scale(&mut self, r: &[f64], c: &[f64]) {
        for i in 0..self.nrows {
            for k in self.indptr[i]..self.indptr[i + 1] {
                self.values[k] *= r[i] * c[self.indices[k] as usize];
            }
        }
    }

    /// Estimates the largest singular value by power iteration on `AᵀA`.
    pub fn norm2_estimate(&self, at: &CsrMatrix, iters: usize) -> f64 {
        if self.nnz() == 0 {
            return 0.0;
        }
        let mut v: Vec<f64> = (0..self.ncols)
            .map(|j| 1.0 + (j % 7) as f64 * 0.1)
            .collect();
        let mut sigma = 0.0;
        for _ in 0..iters {
            let nv = norm2(&v);
            if nv == 0.0 {
                return 0.0;
            }
            v.iter_mut().for_each(|e| *e /= nv);
            let av = self.mul_vec(&v);
            let new_sigma = norm2(&av);
            v = at.mul_vec(&av);
            if (new_sigma - sigma).abs() <= 1e-6 * new_sigma {
                return new_sigma;
            }
            sigma = new_sigma;
        }
        sigma
    }
}

/// Euclidean norm of a vector.
pub fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|e| e * e).sum::<f64>().sqrt()
}

/// Dot product of two vectors of equal length.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dense_mul(t: &[(usize, usize, f64)], m: usize, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; m];
        for &(r, c, v) in t {
            y[r] += v * x[c];
        }
        y
    }

    #[test]
    fn products_match_dense_reference() {
        // Deterministic pseudo-random triplets, large enough to take the parallel path.
        let (m, n) = (300, 200);
        let mut t = Vec::new();
        let mut s: u64 = 12345;
        for _ in 0..30_000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (s >> 33) as usize % m;
            let c = (s >> 13) as usize % n;
            t.push((r, c, ((s >> 40) % 1000) as f64 / 100.0 - 5.0));
        }
        let a = CsrMatrix::from_triplets(m, n, &t);
        let x: Vec<f64> = (0..n).map(|j| (j as f64).sin()).collect();
        let y = a.mul_vec(&x);
        let want = dense_mul(&t, m, &x);
        for i in 0..m {
            assert!((y[i] - want[i]).abs() < 1e-9, "row {i}");
        }
        let at = a.transpose();
        let z: Vec<f64> = (0..m).map(|i| (i as f64).cos()).collect();
        let tt: Vec<_> = t.iter().map(|&(r, c, v)| (c, r, v)).collect();
        let got = at.mul_vec(&z);
        let want = dense_mul(&tt, n, &z);
        for j in 0..n {
            assert!((got[j] - want[j]).abs() < 1e-9, "col {j}");
        }
    }

    #[test]
    fn duplicates_summed_and_norm_estimated() {
        let a =
            CsrMatrix::from_triplets(2, 2, &[(0, 0, 1.0), (0, 0, 2.0), (1, 1, 2.0), (1, 0, 0.0)]);
        assert_eq!(a.nnz(), 2);
        assert_eq!(a.mul_vec(&[1.0, 1.0]), vec![3.0, 2.0]);
        let s = a.norm2_estimate(&a.transpose(), 200);
        assert!((s - 3.0).abs() < 1e-4, "{s}");
    }
}
