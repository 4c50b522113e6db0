//! Lanczos tridiagonalisation (optionally with full reorthogonalisation) of a symmetric
//! operator given only through products, and the symmetric tridiagonal eigenproblem by
//! implicit QL, returning eigenvalues and the first component of each eigenvector (the
//! Gauss quadrature weights SLQ needs).

use crate::error::{CurvatureError, Result};

/// The tridiagonal matrix of a Lanczos run: diagonal `alpha` (k) and off-diagonal `beta` (k-1).
#[derive(Debug, Clone)]
pub struct Tridiagonal {
    /// Diagonal.
    pub alpha: Vec<f64>,
    /// Off-diagonal.
    pub beta: Vec<f64>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `steps` Lanczos steps of `op` from `start` (normalised here). With `reorth`, every new
/// vector is orthogonalised twice against all previous ones (full reorthogonalisation, keeps
/// Ritz values free of spurious copies); without it the plain three-term recurrence runs, as in
/// the block-heterogeneity reference code. Stops early on an invariant subspace.
pub fn lanczos(
    op: &mut dyn FnMut(&[f64]) -> Result<Vec<f64>>,
    start: &[f64],
    steps: usize,
    reorth: bool,
) -> Result<Tridiagonal> {
    let n = start.len();
    let norm = dot(start, start).sqrt();
    if n == 0 || steps == 0 || !(norm > 0.0 && norm.is_finite()) {
        return Err(CurvatureError::Config(
            "Lanczos needs a non-zero finite start vector and at least one step".into(),
        ));
    }
    let steps = steps.min(n);
    let mut q: Vec<f64> = start.iter().map(|x| x / norm).collect();
    let mut prev = vec![0.0; n];
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut alpha: Vec<f64> = Vec::with_capacity(steps);
    let mut beta: Vec<f64> = Vec::with_capacity(steps);
    let mut scale = 0.0f64;
    for j in 0..steps {
        let mut w = op(&q)?;
        if w.len() != n || w.iter().any(|x| !x.is_finite()) {
            return Err(CurvatureError::NonFinite(format!(
                "the Hessian-vector product at Lanczos step {j}"
            )));
        }
        let a = dot(&w, &q);
        alpha.push(a);
        axpy(&mut w, -a, &q);
        if let Some(&b) = beta.last() {
            axpy(&mut w, -b, &prev);
        }
        if reorth {
            basis.push(q.clone());
            for _ in 0..2 {
                for b in &basis {
                    let c = dot(&w, b);
                    axpy(&mut w, -c, b);
                }
            }
        }
        let b = dot(&w, &w).sqrt();
        scale = scale.max(a.abs()).max(b);
        if j + 1 == steps || b <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        beta.push(b);
        prev = std::mem::replace(&mut q, w.iter().map(|x| x / b).collect());
    }
    Ok(Tridiagonal { alpha, beta })
}

/// Eigenvalues (ascending) of the symmetric tridiagonal matrix and the first component of
/// each unit eigenvector, by the implicit QL method with Wilkinson shifts.
pub fn tridiagonal_eigen(t: &Tridiagonal) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = t.alpha.len();
    let mut d = t.alpha.clone();
    let mut e: Vec<f64> = t.beta.clone();
    e.resize(n, 0.0);
    // Row 0 of the accumulated rotation matrix: rotations act on columns, rows are independent.
    let mut z = vec![0.0; n];
    if n > 0 {
        z[0] = 1.0;
    }
    for l in 0..n {
        let mut iter = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iter += 1;
            if iter > 100 {
                return Err(CurvatureError::Config(
                    "tridiagonal eigenproblem did not converge".into(),
                ));
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            let mut i = m;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                let r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                let r2 = (d[i] - g) * s + 2.0 * c * b;
                p = s * r2;
                d[i + 1] = g + p;
                g = c * r2 - b;
                let zi1 = z[i + 1];
                z[i + 1] = s * z[i] + c * zi1;
                z[i] = c * z[i] - s * zi1;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].total_cmp(&d[b]));
    Ok((
        order.iter().map(|&i| d[i]).collect(),
        order.iter().map(|&i| z[i]).collect(),
    ))
}

/// Ritz values (ascending) of `steps` fully reorthogonalised Lanczos steps from `start`: the
/// extreme ones converge first, to the top and bottom eigenvalues.
pub fn ritz_values(
    op: &mut dyn FnMut(&[f64]) -> Result<Vec<f64>>,
    start: &[f64],
    steps: usize,
) -> Result<Vec<f64>> {
    let t = lanczos(op, start, steps, true)?;
    Ok(tridiagonal_eigen(&t)?.0)
}
