//! Dense f64 linear algebra for the bounds: power-iteration spectral norms, exact singular
//! values and symmetric eigenvalues by faer (any size: the cost is that of one dense SVD or
//! eigen-solve), Frobenius and (2,1)-norms.

use optlab_core::rng::Rng;

/// A dense row-major f64 matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (output units of a layer).
    pub rows: usize,
    /// Number of columns (inputs of a layer).
    pub cols: usize,
    /// Entries, row-major.
    pub data: Vec<f64>,
}

impl Matrix {
    /// A `rows x cols` matrix from row-major entries; `None` if the length does not match.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Option<Self> {
        (data.len() == rows * cols).then_some(Self { rows, cols, data })
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// y = A x.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        (0..self.rows)
            .map(|i| self.row(i).iter().zip(x).map(|(a, b)| a * b).sum())
            .collect()
    }

    /// y = Aᵀ x.
    pub fn t_mul_vec(&self, x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; self.cols];
        for (i, xi) in x.iter().enumerate() {
            for (yj, a) in y.iter_mut().zip(self.row(i)) {
                *yj += a * xi;
            }
        }
        y
    }

    /// AᵀA (`cols x cols`), the Gram matrix whose top eigenvalue is ‖A‖_σ².
    pub fn gram(&self) -> Matrix {
        let n = self.cols;
        let mut g = vec![0.0; n * n];
        for i in 0..self.rows {
            let r = self.row(i);
            for p in 0..n {
                for q in 0..n {
                    g[p * n + q] += r[p] * r[q];
                }
            }
        }
        Matrix {
            rows: n,
            cols: n,
            data: g,
        }
    }

    /// The transpose.
    pub fn transpose(&self) -> Matrix {
        let mut t = vec![0.0; self.data.len()];
        for i in 0..self.rows {
            for j in 0..self.cols {
                t[j * self.rows + i] = self.data[i * self.cols + j];
            }
        }
        Matrix {
            rows: self.cols,
            cols: self.rows,
            data: t,
        }
    }

    /// Frobenius norm.
    pub fn frobenius(&self) -> f64 {
        self.data.iter().map(|v| v * v).sum::<f64>().sqrt()
    }

    /// ‖Aᵀ‖_{2,1}: the sum over rows (output units) of each row's L2 norm.
    pub fn norm_21_of_transpose(&self) -> f64 {
        (0..self.rows)
            .map(|i| self.row(i).iter().map(|v| v * v).sum::<f64>().sqrt())
            .sum()
    }

    /// Entry-wise difference `self − other` (same shape), `None` if shapes differ.
    pub fn sub(&self, other: &Matrix) -> Option<Matrix> {
        (self.rows == other.rows && self.cols == other.cols).then(|| Matrix {
            rows: self.rows,
            cols: self.cols,
            data: self
                .data
                .iter()
                .zip(&other.data)
                .map(|(a, b)| a - b)
                .collect(),
        })
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Largest singular value by power iteration on AᵀA from a seeded random start, stopping when
/// the estimate changes by less than `tol` (relative) or after `max_iters` iterations.
pub fn spectral_norm_power(a: &Matrix, max_iters: usize, tol: f64, seed: u64) -> f64 {
    let mut rng = Rng::new(seed);
    let mut v: Vec<f64> = (0..a.cols).map(|_| rng.normal()).collect();
    let n0 = norm(&v);
    if n0 == 0.0 || a.rows == 0 {
        return 0.0;
    }
    v.iter_mut().for_each(|x| *x /= n0);
    let mut sigma = 0.0;
    for _ in 0..max_iters.max(1) {
        let w = a.t_mul_vec(&a.mul_vec(&v));
        let nw = norm(&w);
        if nw == 0.0 {
            return 0.0;
        }
        let next = nw.sqrt();
        v = w.into_iter().map(|x| x / nw).collect();
        if (next - sigma).abs() <= tol * next {
            break;
        }
        sigma = next;
    }
    // ‖Av‖ at the final unit vector: a lower bound on σ₁ that converges to it.
    norm(&a.mul_vec(&v))
}

/// A faer view of `a`'s entries (row-major `data` read as the transpose of a column-major
/// `cols x rows` matrix, so no entry is copied).
fn faer_view(a: &Matrix) -> faer::MatRef<'_, f64> {
    faer::MatRef::from_column_major_slice(&a.data, a.cols, a.rows).transpose()
}

/// All eigenvalues of a symmetric matrix (descending order), by faer's self-adjoint
/// eigen-solver; only the lower triangle is read. `None` if the solver does not converge or
/// the matrix is not square.
pub fn symmetric_eigenvalues(s: &Matrix) -> Option<Vec<f64>> {
    if s.rows != s.cols {
        return None;
    }
    let mut ev = faer_view(s)
        .self_adjoint_eigenvalues(faer::Side::Lower)
        .ok()?;
    ev.reverse();
    Some(ev)
}

/// All singular values of `a` (descending order) by faer's SVD; `None` if it does not
/// converge.
pub fn singular_values(a: &Matrix) -> Option<Vec<f64>> {
    if a.rows == 0 || a.cols == 0 {
        return Some(Vec::new());
    }
    faer_view(a).singular_values().ok()
}

/// Exact largest singular value ‖A‖_σ of a matrix of any size, by faer's SVD (0 for an empty
/// matrix; NaN if the SVD does not converge, which is then visible in every report).
pub fn spectral_norm_exact(a: &Matrix) -> f64 {
    singular_values(a).map_or(f64::NAN, |s| s.first().copied().unwrap_or(0.0))
}

/// ‖A‖_σ = √λ_max of a Gram matrix `G = AᵀA` or `AAᵀ` (0 when empty, NaN if the eigen-solver
/// does not converge).
pub fn spectral_norm_from_gram(g: &Matrix) -> f64 {
    match symmetric_eigenvalues(g) {
        Some(ev) => ev.first().map_or(0.0, |&l| l.max(0.0).sqrt()),
        None => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_solver_matches_hand_computed_eigenvalues() {
        let s = Matrix::new(2, 2, vec![2.0, 1.0, 1.0, 2.0]).unwrap();
        let ev = symmetric_eigenvalues(&s).unwrap();
        assert!(
            (ev[0] - 3.0).abs() < 1e-14 && (ev[1] - 1.0).abs() < 1e-14,
            "{ev:?}"
        );
        // Rank-one matrix u vᵀ: singular value ‖u‖‖v‖.
        let (u, v) = ([1.0, 2.0, 2.0], [3.0, 4.0]);
        let a = Matrix::new(3, 2, u.iter().flat_map(|x| v.map(|y| x * y)).collect()).unwrap();
        assert!((spectral_norm_exact(&a) - 15.0).abs() < 1e-12);
        assert!((spectral_norm_power(&a, 100, 1e-14, 0) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn power_iteration_agrees_with_exact_svd_to_1e_6_on_random_matrices() {
        let mut rng = Rng::new(42);
        for (r, c) in [(5, 3), (3, 7), (12, 12), (20, 9), (1, 6)] {
            let a = Matrix::new(r, c, (0..r * c).map(|_| rng.normal()).collect()).unwrap();
            let exact = spectral_norm_exact(&a);
            let power = spectral_norm_power(&a, 20_000, 1e-15, 7);
            eprintln!("{r}x{c}: |power - exact| = {:.2e}", (exact - power).abs());
            assert!(
                (exact - power).abs() <= 1e-6 * exact.max(1.0),
                "{r}x{c}: exact {exact} power {power}"
            );
            // The sum of squared singular values is the squared Frobenius norm.
            let g = if c <= r {
                a.gram()
            } else {
                a.transpose().gram()
            };
            let tr: f64 = symmetric_eigenvalues(&g).unwrap().iter().sum();
            assert!((tr - a.frobenius().powi(2)).abs() < 1e-9 * tr);
        }
    }

    #[test]
    fn svd_and_gram_routes_agree_on_a_matrix_above_512_on_each_side() {
        let mut rng = Rng::new(9);
        let (r, c) = (600, 520);
        let a = Matrix::new(r, c, (0..r * c).map(|_| rng.normal()).collect()).unwrap();
        let svd = spectral_norm_exact(&a);
        let gram = spectral_norm_from_gram(&a.gram());
        assert!((svd - gram).abs() <= 1e-12 * svd, "svd {svd} gram {gram}");
        let power = spectral_norm_power(&a, 20_000, 1e-15, 1);
        assert!((svd - power).abs() <= 1e-6 * svd, "svd {svd} power {power}");
    }

    #[test]
    fn norm_21_and_frobenius_by_hand() {
        let a = Matrix::new(2, 2, vec![3.0, 4.0, 0.0, -2.0]).unwrap();
        assert_eq!(a.norm_21_of_transpose(), 5.0 + 2.0);
        assert!((a.frobenius() - 29f64.sqrt()).abs() < 1e-15);
        let d = a.sub(&a).unwrap();
        assert_eq!(d.frobenius(), 0.0);
        assert!(Matrix::new(2, 2, vec![1.0]).is_none());
    }
}
