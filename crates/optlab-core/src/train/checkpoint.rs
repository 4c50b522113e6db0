//! Checkpoints: model weights, optimizer state, step and RNG state in one folder, replaced
//! atomically so an interruption never leaves a half-written checkpoint behind.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TrainOptimizer;
use crate::checkpoint_io::{load_tensors, save_tensors_atomic, write_atomic};
use crate::error::{CoreError, Result};
use crate::params::ParamStore;
use crate::rng::Rng;

/// Everything besides tensors that a resumed run needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainState {
    /// Steps completed.
    pub step: usize,
    /// Batch-sampling generator state after `step` steps.
    pub rng: Rng,
    /// Optimizer name, checked on resume.
    pub optimizer: String,
}

/// A checkpoint folder `DIR/checkpoint` inside a run directory.
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    /// The checkpoint of the run in `run_dir`.
    pub fn in_run(run_dir: &Path) -> Self {
        Self {
            dir: run_dir.join("checkpoint"),
        }
    }

    /// Its folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether a complete checkpoint is present.
    pub fn exists(&self) -> bool {
        self.dir.join("state.json").exists()
    }

    /// Write model, optimizer and state, replacing any previous checkpoint atomically.
    pub fn save(
        &self,
        params: &ParamStore,
        opt: &dyn TrainOptimizer,
        state: &TrainState,
    ) -> Result<()> {
        let tmp = self.dir.with_extension("tmp");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(CoreError::io(&tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(CoreError::io(&tmp))?;
        params.save_safetensors(&tmp.join("model.safetensors"))?;
        save_tensors_atomic(&opt.state()?, &tmp.join("optimizer.safetensors"))?;
        let json =
            serde_json::to_vec_pretty(state).map_err(|e| CoreError::Config(e.to_string()))?;
        write_atomic(&tmp.join("state.json"), &json)?;
        let old = self.dir.with_extension("old");
        if self.dir.exists() {
            if old.exists() {
                std::fs::remove_dir_all(&old).map_err(CoreError::io(&old))?;
            }
            std::fs::rename(&self.dir, &old).map_err(CoreError::io(&self.dir))?;
        }
        std::fs::rename(&tmp, &self.dir).map_err(CoreError::io(&self.dir))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(CoreError::io(&old))?;
        }
        Ok(())
    }

    /// Restore model and optimizer; returns the saved state. Missing or corrupt parts are
    /// errors naming the file.
    pub fn load(&self, params: &ParamStore, opt: &mut dyn TrainOptimizer) -> Result<TrainState> {
        let state_path = self.dir.join("state.json");
        let text = std::fs::read_to_string(&state_path).map_err(CoreError::io(&state_path))?;
        let state: TrainState = serde_json::from_str(&text).map_err(|e| CoreError::Corrupt {
            path: state_path.clone(),
            reason: e.to_string(),
        })?;
        if state.optimizer != opt.name() {
            return Err(CoreError::Config(format!(
                "checkpoint was trained with optimizer `{}`, not `{}`",
                state.optimizer,
                opt.name()
            )));
        }
        params.load_safetensors(&self.dir.join("model.safetensors"))?;
        let opt_path = self.dir.join("optimizer.safetensors");
        opt.load_state(&load_tensors(&opt_path)?)
            .map_err(|e| CoreError::Corrupt {
                path: opt_path,
                reason: e.to_string(),
            })?;
        Ok(state)
    }
}
