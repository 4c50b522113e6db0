use super::*;
use crate::linalg::spectral_norm_exact;
use candle_core::{Device, Tensor};

fn random(n: usize, rng: &mut Rng) -> Vec<f64> {
    (0..n).map(|_| rng.normal()).collect()
}

fn geom(c_in: usize, c_out: usize, side: usize, stride: usize, pad: usize) -> ConvGeometry {
    ConvGeometry {
        c_in,
        c_out,
        k: 3,
        h: side,
        w: side,
        stride,
        pad,
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn forward_matches_candle_conv2d_and_adjoint_is_the_transpose() {
    let mut rng = Rng::new(1);
    for (stride, pad, side) in [(1, 1, 6), (2, 1, 7), (1, 0, 5)] {
        let g = geom(2, 3, side, stride, pad);
        let k = random(g.kernel_len(), &mut rng);
        let x = random(g.in_len(), &mut rng);
        let kt = Tensor::from_vec(k.clone(), (3, 2, 3, 3), &Device::Cpu).unwrap();
        let xt = Tensor::from_vec(x.clone(), (1, 2, side, side), &Device::Cpu).unwrap();
        let want: Vec<f64> = xt
            .conv2d(&kt, pad, stride, 1, 1)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let got = conv_apply(&k, &g, &x);
        assert_eq!(got.len(), want.len(), "stride {stride} pad {pad}");
        let err = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-12, "stride {stride} pad {pad}: {err}");
        // ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩ and the dense matrix reproduces both maps.
        let y = random(g.out_len(), &mut rng);
        let (lhs, rhs) = (dot(&got, &y), dot(&x, &conv_adjoint(&k, &g, &y)));
        assert!(
            (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
            "{lhs} {rhs}"
        );
        let a = conv_dense(&k, &g);
        assert!(a
            .mul_vec(&x)
            .iter()
            .zip(&got)
            .all(|(p, q)| (p - q).abs() < 1e-12));
        let at = conv_adjoint(&k, &g, &y);
        assert!(a
            .t_mul_vec(&y)
            .iter()
            .zip(&at)
            .all(|(p, q)| (p - q).abs() < 1e-12));
    }
}

#[test]
fn power_iteration_matches_exact_svd_of_the_dense_operator_to_1e_6() {
    let mut rng = Rng::new(2);
    // The model's convolutions: 3x3, stride 1, zero padding 1; plus a strided variant.
    for (stride, pad) in [(1, 1), (2, 1)] {
        let g = geom(2, 3, 6, stride, pad);
        let k = random(g.kernel_len(), &mut rng);
        let dense = conv_dense(&k, &g);
        assert_eq!([dense.rows, dense.cols], [g.out_len(), 72]);
        let exact = spectral_norm_exact(&dense);
        let power = conv_operator_norm(&k, &g, 20_000, 1e-15, 3);
        eprintln!(
            "stride {stride}: exact {exact:.12} power {power:.12} |diff| {:.2e}",
            (exact - power).abs()
        );
        assert!((exact - power).abs() <= 1e-6, "exact {exact} power {power}");
        // The Gram route (AᵀA at stride 1, AAᵀ at stride 2) gives the SVD's value.
        let gram = conv_operator_norm_exact(&k, &g);
        assert!(
            (gram - exact).abs() <= 1e-12 * exact,
            "gram {gram} svd {exact}"
        );
        // The reshaped-kernel proxy is a different number; for stride 1 the operator norm is
        // at most k = 3 times it (the zero-padded map is a block of a circular convolution).
        let proxy = spectral_norm_exact(&Matrix::new(3, 18, k.clone()).unwrap());
        assert!((proxy - exact).abs() > 1e-3, "proxy {proxy} exact {exact}");
        if stride == 1 {
            assert!(exact <= 3.0 * proxy + 1e-12, "exact {exact} proxy {proxy}");
        }
        // Exact (2,1)- and Frobenius norms of the operator against the dense matrix.
        let (n21, fro) = conv_operator_21_and_frobenius(&k, &g);
        assert!((n21 - dense.norm_21_of_transpose()).abs() < 1e-12 * n21);
        assert!((fro - dense.frobenius()).abs() < 1e-12 * fro);
    }
}

#[test]
fn hand_computable_operators() {
    // A 1x1 image with padding 1 sees only the centre tap: the operator is that number.
    let mut k = vec![0.0; 9];
    k[4] = -2.5;
    k[0] = 7.0;
    let g = geom(1, 1, 1, 1, 1);
    assert!((conv_operator_norm(&k, &g, 100, 1e-15, 0) - 2.5).abs() < 1e-12);
    // A lone tap of value c on any image is c times a partial shift: norm exactly |c|.
    let mut k = vec![0.0; 9];
    k[1] = 3.0;
    let g = geom(1, 1, 5, 1, 1);
    assert!((conv_operator_norm(&k, &g, 1000, 1e-15, 0) - 3.0).abs() < 1e-9);
    // The all-ones kernel with padding 1 on an n x n image is T⊗T with T the n x n
    // tridiagonal matrix of ones, whose top eigenvalue is 1 + 2cos(π/(n+1)); the reshaped
    // proxy is ‖ones(9)‖ = 3 whatever n is.
    let ones = vec![1.0; 9];
    for n in [4usize, 24] {
        let want = (1.0 + 2.0 * (std::f64::consts::PI / (n as f64 + 1.0)).cos()).powi(2);
        let got = conv_operator_norm(&ones, &geom(1, 1, n, 1, 1), 20_000, 1e-15, 0);
        assert!((got - want).abs() < 1e-6, "n {n}: {got} vs {want}");
    }
    // Mismatched kernels give 0 rather than reading out of bounds.
    assert_eq!(
        conv_operator_norm(&ones, &geom(2, 1, 4, 1, 1), 10, 1e-9, 0),
        0.0
    );
}

#[test]
fn exact_norm_of_a_layer_above_512_units_on_each_side() {
    let mut rng = Rng::new(4);
    // 4 -> 4 channels on 12x12: a 576 x 576 operator, built only as its Gram matrix.
    let g = geom(4, 4, 12, 1, 1);
    let k = random(g.kernel_len(), &mut rng);
    assert_eq!([g.out_len(), g.in_len()], [576, 576]);
    let exact = conv_operator_norm_exact(&k, &g);
    let power = conv_operator_norm(&k, &g, 20_000, 1e-15, 5);
    assert!(
        (exact - power).abs() <= 1e-6 * exact,
        "exact {exact} power {power}"
    );
    assert!(power <= exact * (1.0 + 1e-12));
}
