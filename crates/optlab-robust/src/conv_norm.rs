//! Norms of a convolution layer as the linear operator it really is on its input shape.
//!
//! A 2-D convolution with kernel `[out, in, k, k]`, stride s and zero padding p maps a
//! `[in, h, w]` input to a `[out, h', w']` output; that map is a (sparse, structured) matrix
//! of size (out·h'·w') x (in·h·w). Its spectral norm is what a Lipschitz/Bartlett-style bound
//! needs. The cheap stand-in of reshaping the kernel to an (out, in·k·k) matrix is a different
//! number (for stride 1 the true norm is at most k times it and, as the image grows, tends to
//! a value not below it), so this module computes the true value by power
//! iteration alternating the convolution and its adjoint (the transposed convolution), in
//! f64, plus the exact (2,1)- and Frobenius norms of the operator matrix (each output unit's
//! row holds the kernel taps that land inside the padded image).
//!
//! The convention is cross-correlation, as in candle's `conv2d` and PyTorch:
//! y[o, i, j] = Σ_{c, a, b} K[o, c, a, b] · x[c, i·s + a − p, j·s + b − p].

use optlab_core::rng::Rng;
use serde::{Deserialize, Serialize};

use crate::linalg::{spectral_norm_from_gram, Matrix};

/// Where a convolution layer is applied: input size, stride and zero padding (channels and
/// kernel size come from the weight tensor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvInput {
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding.
    pub pad: usize,
}

/// Shape of one convolution: channels, kernel size, input size, stride and zero padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel side (square kernels).
    pub k: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Stride (≥ 1).
    pub stride: usize,
    /// Zero padding on every side.
    pub pad: usize,
}

impl ConvGeometry {
    /// Output height (0 when the kernel does not fit).
    pub fn out_h(&self) -> usize {
        out_len(self.h, self.k, self.stride, self.pad)
    }

    /// Output width (0 when the kernel does not fit).
    pub fn out_w(&self) -> usize {
        out_len(self.w, self.k, self.stride, self.pad)
    }

    /// Length of a flattened input `[c_in, h, w]`.
    pub fn in_len(&self) -> usize {
        self.c_in * self.h * self.w
    }

    /// Length of a flattened output `[c_out, h', w']`.
    pub fn out_len(&self) -> usize {
        self.c_out * self.out_h() * self.out_w()
    }

    /// Kernel entries expected: out · in · k · k.
    pub fn kernel_len(&self) -> usize {
        self.c_out * self.c_in * self.k * self.k
    }

    /// Input coordinate hit by output coordinate `o` and kernel tap `a`, if inside the image.
    fn src(&self, o: usize, a: usize, len: usize) -> Option<usize> {
        (o * self.stride + a)
            .checked_sub(self.pad)
            .filter(|&v| v < len)
    }

    /// Calls `f(output index, input index, kernel index)` for every nonzero of the operator.
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (oh, ow, k) = (self.out_h(), self.out_w(), self.k);
        for o in 0..self.c_out {
            for c in 0..self.c_in {
                for a in 0..k {
                    for b in 0..k {
                        let ki = ((o * self.c_in + c) * k + a) * k + b;
                        for i in 0..oh {
                            let Some(si) = self.src(i, a, self.h) else {
                                continue;
                            };
                            let row = (o * oh + i) * ow;
                            let col = (c * self.h + si) * self.w;
                            for j in 0..ow {
                                if let Some(sj) = self.src(j, b, self.w) {
                                    f(row + j, col + sj, ki);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn out_len(n: usize, k: usize, stride: usize, pad: usize) -> usize {
    let span = n + 2 * pad;
    if stride == 0 || span < k {
        0
    } else {
        (span - k) / stride + 1
    }
}

/// y = conv(x): `x` is `[c_in, h, w]` flattened, the result `[c_out, h', w']` flattened.
pub fn conv_apply(kernel: &[f64], g: &ConvGeometry, x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; g.out_len()];
    g.for_each_tap(|r, c, k| y[r] += kernel[k] * x[c]);
    y
}

/// x = convᵀ(y), the adjoint (transposed convolution): ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩.
pub fn conv_adjoint(kernel: &[f64], g: &ConvGeometry, y: &[f64]) -> Vec<f64> {
    let mut x = vec![0.0; g.in_len()];
    g.for_each_tap(|r, c, k| x[c] += kernel[k] * y[r]);
    x
}

/// The operator as an explicit dense (out·h'·w') x (in·h·w) matrix (for checks on small
/// layers; the size grows with the image area squared).
pub fn conv_dense(kernel: &[f64], g: &ConvGeometry) -> Matrix {
    let (rows, cols) = (g.out_len(), g.in_len());
    let mut data = vec![0.0; rows * cols];
    g.for_each_tap(|r, c, k| data[r * cols + c] += kernel[k]);
    Matrix { rows, cols, data }
}

/// Exact ‖Aᵀ‖_{2,1} (sum over output units of their row's L2 norm) and ‖A‖_F of the operator.
pub fn conv_operator_21_and_frobenius(kernel: &[f64], g: &ConvGeometry) -> (f64, f64) {
    // Each (row, column) pair is hit by exactly one tap, so squares add row by row.
    let mut row_sq = vec![0.0; g.out_len()];
    g.for_each_tap(|r, _, k| row_sq[r] += kernel[k] * kernel[k]);
    let n21 = row_sq.iter().map(|v| v.sqrt()).sum();
    let fro = row_sq.iter().sum::<f64>().sqrt();
    (n21, fro)
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Largest singular value of the convolution operator by power iteration on convᵀ∘conv from
/// a seeded random input, stopping when the estimate changes by less than `tol` (relative)
/// or after `max_iters` iterations. Returns ‖conv(v)‖ at the final unit vector v: a lower
/// bound on σ₁ that converges to it.
pub fn conv_operator_norm(
    kernel: &[f64],
    g: &ConvGeometry,
    max_iters: usize,
    tol: f64,
    seed: u64,
) -> f64 {
    if g.in_len() == 0 || g.out_len() == 0 || kernel.len() != g.kernel_len() {
        return 0.0;
    }
    let mut rng = Rng::new(seed);
    let mut v: Vec<f64> = (0..g.in_len()).map(|_| rng.normal()).collect();
    let n0 = norm(&v);
    v.iter_mut().for_each(|x| *x /= n0);
    let mut sigma = 0.0;
    for _ in 0..max_iters.max(1) {
        let u = conv_adjoint(kernel, g, &conv_apply(kernel, g, &v));
        let nu = norm(&u);
        if nu == 0.0 {
            return 0.0;
        }
        let next = nu.sqrt();
        v = u.into_iter().map(|x| x / nu).collect();
        if (next - sigma).abs() <= tol * next {
            break;
        }
        sigma = next;
    }
    norm(&conv_apply(kernel, g, &v))
}

/// The Gram matrix of the operator's smaller side (`AᵀA` when it has no more columns than rows,
/// else `AAᵀ`), accumulated from the taps without forming the operator: each row (or column)
/// of the operator holds at most `c_in·k·k` (or `c_out·k·k`) nonzeros.
pub fn conv_gram(kernel: &[f64], g: &ConvGeometry) -> Matrix {
    let (rows, cols) = (g.out_len(), g.in_len());
    let by_rows = cols <= rows;
    let (outer, side) = if by_rows { (rows, cols) } else { (cols, rows) };
    // Nonzeros grouped by the index that is summed over.
    let mut lines: Vec<Vec<(usize, f64)>> = vec![Vec::new(); outer];
    g.for_each_tap(|r, c, k| {
        let (line, at) = if by_rows { (r, c) } else { (c, r) };
        lines[line].push((at, kernel[k]));
    });
    let mut data = vec![0.0; side * side];
    for line in &lines {
        for &(p, a) in line {
            for &(q, b) in line {
                data[p * side + q] += a * b;
            }
        }
    }
    Matrix {
        rows: side,
        cols: side,
        data,
    }
}

/// Exact largest singular value of the convolution operator, from the eigenvalues of its
/// smaller Gram matrix ([`conv_gram`]). Memory is that Gram matrix, min(rows, cols)² f64, and
/// time one dense symmetric eigen-solve of that size: every layer of the networks here
/// (at most a few thousand inputs) is computed exactly, with no size cap.
pub fn conv_operator_norm_exact(kernel: &[f64], g: &ConvGeometry) -> f64 {
    if g.in_len() == 0 || g.out_len() == 0 || kernel.len() != g.kernel_len() {
        return 0.0;
    }
    spectral_norm_from_gram(&conv_gram(kernel, g))
}

#[cfg(test)]
mod tests;
