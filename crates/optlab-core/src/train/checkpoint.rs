//! Checkpoints: model weights, optimizer state, step and RNG state in one folder, replaced
//! atomically so an interruption never leaves a half-written checkpoint behind. A
//! `manifest.json` records the size, SHA-256 and tensors of each weights file and the
//! SHA-256 of `state.json`; loading verifies all of them before using anything.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::TrainOptimizer;
use crate::checkpoint_io::write_atomic;
use crate::error::{CoreError, Result};
use crate::manifest::{read_checked, sha256_hex, write_tensors, FileEntry};
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

/// What `manifest.json` of a checkpoint records.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointManifest {
    /// `model.safetensors`, then `optimizer.safetensors`.
    files: Vec<FileEntry>,
    /// SHA-256 of `state.json`.
    state_sha256: String,
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
        let model = write_tensors(&tmp, "model.safetensors", &params.tensors())?;
        let optim = write_tensors(&tmp, "optimizer.safetensors", &opt.state()?)?;
        let json =
            serde_json::to_vec_pretty(state).map_err(|e| CoreError::Config(e.to_string()))?;
        write_atomic(&tmp.join("state.json"), &json)?;
        let manifest = CheckpointManifest {
            files: vec![model, optim],
            state_sha256: sha256_hex(&json),
        };
        let text =
            serde_json::to_vec_pretty(&manifest).map_err(|e| CoreError::Config(e.to_string()))?;
        write_atomic(&tmp.join("manifest.json"), &text)?;
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

    /// Restore model and optimizer; returns the saved state. Missing, corrupt or tampered
    /// parts (checked against `manifest.json`) are errors naming the file.
    pub fn load(&self, params: &ParamStore, opt: &mut dyn TrainOptimizer) -> Result<TrainState> {
        let manifest = self.manifest()?;
        let state_path = self.dir.join("state.json");
        let bytes = std::fs::read(&state_path).map_err(CoreError::io(&state_path))?;
        let corrupt = |reason: String| CoreError::Corrupt {
            path: state_path.clone(),
            reason,
        };
        if sha256_hex(&bytes) != manifest.state_sha256 {
            return Err(corrupt("sha256 does not match manifest.json (the file was changed after the checkpoint was written)".into()));
        }
        let state: TrainState =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if state.optimizer != opt.name() {
            return Err(CoreError::Config(format!(
                "checkpoint was trained with optimizer `{}`, not `{}`",
                state.optimizer,
                opt.name()
            )));
        }
        let [model, optim] = manifest.files.as_slice() else {
            return Err(CoreError::Corrupt {
                path: self.dir.join("manifest.json"),
                reason: "expected two weights files (model, optimizer)".into(),
            });
        };
        let model_path = self.dir.join(&model.file);
        params.assign(read_checked(&self.dir, model)?, &model_path)?;
        let opt_path = self.dir.join(&optim.file);
        opt.load_state(&read_checked(&self.dir, optim)?)
            .map_err(|e| CoreError::Corrupt {
                path: opt_path,
                reason: e.to_string(),
            })?;
        Ok(state)
    }

    fn manifest(&self) -> Result<CheckpointManifest> {
        let path = self.dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| CoreError::Corrupt {
            path: path.clone(),
            reason: format!("cannot read the checkpoint manifest ({e}); without it the checkpoint cannot be verified"),
        })?;
        serde_json::from_str(&text).map_err(|e| CoreError::Corrupt {
            path,
            reason: e.to_string(),
        })
    }
}
