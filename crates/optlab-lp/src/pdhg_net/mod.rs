//! PDHG-Net (Li et al., ICML 2024): PDHG unrolled into a channel-expanded network over the
//! bipartite constraint graph, trained on a generated LP family, and used as stage one of a
//! two-stage solve (predict `(x, y)`, then run optlab's PDHG from the prediction).
//!
//! * [`graph::LpGraph`]: the LP after the solver's scaling, normalised, sparse `Ã` on CPU.
//! * [`model::PdhgNet`]: the candle model; it can be set to reproduce plain PDHG exactly.
//! * [`train`]: labelled instances (optlab's own PDHG at 1e-6), relative MSE, AdamW; or
//!   [`kkt_loss`]: the unsupervised KKT-residual loss (`--loss kkt`).
//! * [`NetModel`]: a trained net with its JSON config, saved as `model.safetensors` +
//!   `config.json`, loaded with checks that the LP matches what the net was trained on.
//! * [`experiment::run`]: train small, evaluate warm vs cold PDHG on larger instances.
//! * [`NetError`]: what can go wrong, typed.

pub mod error;
pub mod experiment;
pub mod graph;
pub mod kkt_loss;
pub mod model;
pub mod train;

#[cfg(test)]
mod tests;

use crate::model::LpProblem;
use candle_core::Device;
pub use error::{NetError, Result};
use graph::{LpGraph, RowKind};
use model::{NetShape, PdhgNet};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// File name of the weights inside a model folder.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the configuration inside a model folder.
pub const CONFIG_FILE: &str = "config.json";
const FORMAT: &str = "optlab-pdhg-net-v1";

/// What a model folder's `config.json` records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetConfig {
    /// Format tag, `optlab-pdhg-net-v1`.
    pub format: String,
    /// Architecture.
    pub shape: NetShape,
    /// Instance family trained on (`pagerank`, `covering`, `packing`).
    pub family: String,
    /// Largest size parameter of the training instances (nodes, or columns).
    pub train_size: usize,
    /// Number of training instances.
    pub instances: usize,
    /// Row kinds seen in training; an LP with another kind is rejected.
    pub row_kinds: Vec<RowKind>,
    /// Training summary (epochs, losses, seed, label tolerance).
    pub training: serde_json::Value,
}

/// A trained PDHG-Net with its configuration.
pub struct NetModel {
    /// The configuration.
    pub config: NetConfig,
    /// The network.
    pub net: PdhgNet,
}

/// A warm start predicted by PDHG-Net, in the LP's original space.
#[derive(Debug, Clone)]
pub struct NetPrediction {
    /// Primal prediction.
    pub x: Vec<f64>,
    /// Dual prediction (row duals of the minimisation form).
    pub y: Vec<f64>,
    /// Wall-clock seconds for graph construction and the forward pass.
    pub time_s: f64,
    /// Of those, seconds for the graph construction alone.
    pub graph_s: f64,
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> NetError {
    let path = path.to_path_buf();
    move |source| NetError::Io {
        action,
        path,
        source,
    }
}

impl NetModel {
    /// Writes `model.safetensors` and `config.json` into `dir` (created if needed).
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(io_error("create", dir))?;
        self.net.store.save_safetensors(&dir.join(WEIGHTS_FILE))?;
        let cfg = dir.join(CONFIG_FILE);
        let text = serde_json::to_string_pretty(&self.config)
            .map_err(|e| NetError::BadModel(format!("cannot encode the config: {e}")))?;
        std::fs::write(&cfg, text).map_err(io_error("write", &cfg))
    }

    /// Loads a model folder; a missing or malformed file is a one-line error.
    pub fn load(dir: &Path) -> Result<Self> {
        let cfg_path = dir.join(CONFIG_FILE);
        let weights = dir.join(WEIGHTS_FILE);
        for f in [&cfg_path, &weights] {
            if !f.is_file() {
                return Err(NetError::BadModel(format!(
                    "PDHG-Net model {}: missing {} (train one with `optlab lp net-train`)",
                    dir.display(),
                    f.display()
                )));
            }
        }
        let text = std::fs::read_to_string(&cfg_path).map_err(io_error("read", &cfg_path))?;
        let config: NetConfig = serde_json::from_str(&text).map_err(|e| {
            NetError::BadModel(format!(
                "{}: not a PDHG-Net config: {e}",
                cfg_path.display()
            ))
        })?;
        if config.format != FORMAT {
            return Err(NetError::BadModel(format!(
                "{}: format `{}`, expected `{FORMAT}`",
                cfg_path.display(),
                config.format
            )));
        }
        let net = PdhgNet::new(config.shape, 0)?;
        net.store.load_safetensors(&weights).map_err(|e| {
            NetError::BadModel(format!("PDHG-Net weights do not match config.json: {e}"))
        })?;
        Ok(Self { config, net })
    }

    /// Checks that `p` is an LP this model can handle: `x ≥ 0` columns and only row kinds seen
    /// in training. Returns its graph.
    pub fn graph_for(&self, p: &LpProblem) -> Result<LpGraph> {
        let g = LpGraph::new(p, &Device::Cpu)?;
        if let Some(k) = g.kinds.iter().find(|k| !self.config.row_kinds.contains(k)) {
            return Err(NetError::UnsupportedLp(format!(
                "PDHG-Net model trained on {} LPs with rows {:?} cannot take this LP: it has {:?} rows",
                self.config.family, self.config.row_kinds, k
            )));
        }
        Ok(g)
    }

    /// Stage one of the two-stage solve: predicts a primal-dual pair for `p`.
    pub fn predict(&self, p: &LpProblem) -> Result<NetPrediction> {
        let t = Instant::now();
        let g = self.graph_for(p)?;
        let graph_s = t.elapsed().as_secs_f64();
        let (x, y) = self.net.predict(&g)?;
        Ok(NetPrediction {
            x,
            y,
            time_s: t.elapsed().as_secs_f64(),
            graph_s,
        })
    }
}
