//! Objectives shared by the integration tests.
#![allow(dead_code)]

use candle_core::{DType, Device, Tensor};
use optlab_core::models::Mlp;
use optlab_core::params::{Init, ParamBuilder, ParamRole, ParamStore};
use optlab_core::rng::Rng;
use optlab_curvature::objective::Objective;
use optlab_curvature::Result;

/// `½ θᵀAθ + bᵀθ` with a known symmetric `A`.
pub struct Quadratic {
    pub store: ParamStore,
    pub a: Vec<f64>,
    pub n: usize,
    a_t: Tensor,
    b_t: Tensor,
}

impl Quadratic {
    pub fn new(n: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let m: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
        let a: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = (k / n, k % n);
                0.5 * (m[i * n + j] + m[j * n + i])
            })
            .collect();
        let b: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let store = ParamStore::new();
        ParamBuilder::new(&store, DType::F64, &Device::Cpu, seed)
            .param("theta", &[n], Init::Normal(1.0), ParamRole::Other)
            .unwrap();
        let a_t = Tensor::from_vec(a.clone(), (n, n), &Device::Cpu).unwrap();
        let b_t = Tensor::from_vec(b, (n, 1), &Device::Cpu).unwrap();
        Self {
            store,
            a,
            n,
            a_t,
            b_t,
        }
    }
}

impl Objective for Quadratic {
    fn params(&self) -> &ParamStore {
        &self.store
    }
    fn loss(&self) -> Result<Tensor> {
        let th = self
            .store
            .get("theta")
            .unwrap()
            .var
            .as_tensor()
            .reshape((self.n, 1))?;
        let quad = th.t()?.matmul(&self.a_t.matmul(&th)?)?;
        let lin = th.t()?.matmul(&self.b_t)?;
        Ok(((quad * 0.5)? + lin)?.reshape(())?)
    }
}

/// A small ReLU MLP on a fixed random batch, f64.
pub struct SmallMlp {
    pub mlp: Mlp,
    x: Tensor,
    y: Tensor,
}

impl SmallMlp {
    pub fn new(widths: &[usize], batch: usize, seed: u64) -> Self {
        let mlp = Mlp::new(widths, DType::F64, &Device::Cpu, seed).unwrap();
        let mut rng = Rng::new(seed + 1);
        let x: Vec<f64> = (0..batch * widths[0]).map(|_| rng.normal()).collect();
        let classes = *widths.last().unwrap();
        let y: Vec<u32> = (0..batch).map(|_| rng.below(classes) as u32).collect();
        Self {
            mlp,
            x: Tensor::from_vec(x, (batch, widths[0]), &Device::Cpu).unwrap(),
            y: Tensor::from_vec(y, batch, &Device::Cpu).unwrap(),
        }
    }
}

impl Objective for SmallMlp {
    fn params(&self) -> &ParamStore {
        self.mlp.params()
    }
    fn loss(&self) -> Result<Tensor> {
        Ok(candle_nn::loss::cross_entropy(
            &self.mlp.forward(&self.x)?,
            &self.y,
        )?)
    }
}

/// Relative L2 distance `‖a − b‖ / ‖b‖`.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    (num / den).sqrt()
}
