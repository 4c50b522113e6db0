//! Per-layer norms of a network's weight layers, each as the linear map it applies.
//!
//! Dense layers are their weight matrix. Convolution layers are the operator on their actual
//! input shape (see [`crate::conv_norm`]): spectral norm by power iteration alternating the
//! convolution and its adjoint, and exactly from the eigenvalues of the operator's smaller Gram
//! matrix (built from the taps; no size cap), exact (2,1)- and Frobenius norms of the operator
//! matrix. Dense layers get their exact spectral norm from faer's SVD, also at any size. The
//! reshaped-kernel (out, in·k·k) numbers used by `measures.py` are reported beside them as a
//! labelled proxy. The networks here (optlab-core's MLP and small CNN) have no BatchNorm or
//! other normalisation layer, so there is nothing to fold into the weights.

use candle_core::DType;
use optlab_core::params::{ParamRole, ParamStore};
use serde::{Deserialize, Serialize};

use crate::conv_norm::{
    conv_operator_21_and_frobenius, conv_operator_norm, conv_operator_norm_exact, ConvGeometry,
    ConvInput,
};
use crate::error::{Result, RobustError};
use crate::linalg::{spectral_norm_exact, spectral_norm_power, Matrix};

/// The reshaped-kernel proxy of a convolution layer (labelled, never used in the bound).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvProxy {
    /// Spectral norm of the (out, in·k·k) reshaped kernel.
    pub spectral: f64,
    /// ‖(K − K₀)ᵀ‖_{2,1} of the reshaped kernel.
    pub norm21: f64,
}

/// The norms of one weight layer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerNorms {
    /// Parameter name.
    pub name: String,
    /// "dense" or "conv operator on `[c,h,w]` stride s pad p".
    pub kind: String,
    /// Shape of the linear map (rows = output units, columns = inputs).
    pub shape: [usize; 2],
    /// Spectral norm by power iteration (of the true operator for convolutions).
    pub spectral: f64,
    /// Exact spectral norm, computed for every layer whatever its size: faer's SVD of a dense
    /// weight matrix; for a convolution, faer's symmetric eigen-solve of the operator's smaller
    /// Gram matrix, accumulated from the kernel taps without forming the operator.
    pub spectral_exact: f64,
    /// ‖(A − M)ᵀ‖_{2,1} of the map.
    pub norm21: f64,
    /// Frobenius norm ‖A‖_F of the map.
    pub frobenius: f64,
    /// For convolutions, the reshaped-kernel proxy beside the true values.
    pub proxy: Option<ConvProxy>,
}

struct Weights {
    name: String,
    shape: Vec<usize>,
    data: Vec<f64>,
    conv: bool,
}

fn weights(store: &ParamStore) -> Result<Vec<Weights>> {
    let mut out = Vec::new();
    for p in store.params() {
        let conv = match p.role {
            ParamRole::Linear => false,
            ParamRole::Conv => true,
            _ => continue,
        };
        let t = p.var.as_tensor().to_dtype(DType::F64)?;
        out.push(Weights {
            shape: t.dims().to_vec(),
            data: t.flatten_all()?.to_vec1()?,
            name: p.name,
            conv,
        });
    }
    if out.is_empty() {
        return Err(RobustError::Config(
            "the network has no linear or convolution weights".into(),
        ));
    }
    Ok(out)
}

fn as_matrix(w: &Weights, data: Vec<f64>) -> Result<Matrix> {
    let rows = w.shape.first().copied().unwrap_or(0);
    Matrix::new(rows, data.len() / rows.max(1), data)
        .ok_or_else(|| RobustError::Config(format!("`{}` is not a matrix", w.name)))
}

const POWER_ITERS: usize = 5000;
const POWER_TOL: f64 = 1e-12;

/// Per-layer norms in forward order. `reference` (same layers, e.g. the initialisation) is
/// subtracted in the (2,1)-norms when given; `conv_inputs` gives, in order, where each
/// convolution layer is applied (an error names the first convolution without one).
pub fn layer_norms(
    store: &ParamStore,
    reference: Option<&ParamStore>,
    conv_inputs: &[ConvInput],
) -> Result<Vec<LayerNorms>> {
    let layers = weights(store)?;
    let refs = reference.map(weights).transpose()?;
    let mut convs = conv_inputs.iter();
    let mut out = Vec::with_capacity(layers.len());
    for (i, w) in layers.iter().enumerate() {
        let centred: Vec<f64> = match &refs {
            Some(r) => {
                let r0 = r
                    .get(i)
                    .filter(|r0| r0.shape == w.shape)
                    .ok_or_else(|| RobustError::Config(format!("reference lacks `{}`", w.name)))?;
                w.data.iter().zip(&r0.data).map(|(a, b)| a - b).collect()
            }
            None => w.data.clone(),
        };
        let seed = i as u64;
        let reshaped = as_matrix(w, w.data.clone())?;
        let reshaped_centred = as_matrix(w, centred.clone())?;
        if !w.conv {
            let exact = spectral_norm_exact(&reshaped);
            out.push(LayerNorms {
                name: w.name.clone(),
                kind: "dense".into(),
                shape: [reshaped.rows, reshaped.cols],
                spectral: spectral_norm_power(&reshaped, POWER_ITERS, POWER_TOL, seed),
                spectral_exact: exact,
                norm21: reshaped_centred.norm_21_of_transpose(),
                frobenius: reshaped.frobenius(),
                proxy: None,
            });
            continue;
        }
        let input = convs.next().ok_or_else(|| {
            RobustError::Config(format!(
                "convolution `{}` needs its input shape (none given)",
                w.name
            ))
        })?;
        let [c_out, c_in, k, k2] = w.shape[..] else {
            return Err(RobustError::Config(format!(
                "convolution `{}` has shape {:?}, expected [out, in, k, k]",
                w.name, w.shape
            )));
        };
        let g = ConvGeometry {
            c_in,
            c_out,
            k,
            h: input.h,
            w: input.w,
            stride: input.stride,
            pad: input.pad,
        };
        if k != k2 || g.out_len() == 0 {
            return Err(RobustError::Config(format!(
                "convolution `{}` ({:?}) does not fit its {}x{} input",
                w.name, w.shape, input.h, input.w
            )));
        }
        let (rows, cols) = (g.out_len(), g.in_len());
        let (norm21, _) = conv_operator_21_and_frobenius(&centred, &g);
        let (_, frobenius) = conv_operator_21_and_frobenius(&w.data, &g);
        out.push(LayerNorms {
            name: w.name.clone(),
            kind: format!(
                "conv operator on [{c_in},{},{}] stride {} pad {}",
                g.h, g.w, g.stride, g.pad
            ),
            shape: [rows, cols],
            spectral: conv_operator_norm(&w.data, &g, POWER_ITERS, POWER_TOL, seed),
            spectral_exact: conv_operator_norm_exact(&w.data, &g),
            norm21,
            frobenius,
            proxy: Some(ConvProxy {
                spectral: spectral_norm_power(&reshaped, POWER_ITERS, POWER_TOL, seed),
                norm21: reshaped_centred.norm_21_of_transpose(),
            }),
        });
    }
    Ok(out)
}
