//! Reading and writing safetensors files with errors that name the file and the problem.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use crate::error::{CoreError, Result};

/// Read every tensor of a safetensors file onto the CPU.
pub fn load_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    let bytes = std::fs::read(path).map_err(CoreError::io(path))?;
    candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).map_err(|e| CoreError::Corrupt {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// Write tensors to `path` via a temporary file and a rename, so an interrupted write never
/// replaces a good file with a truncated one.
pub fn save_tensors_atomic(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let tmp = path.with_extension("safetensors.tmp");
    candle_core::safetensors::save(tensors, &tmp)?;
    std::fs::rename(&tmp, path).map_err(CoreError::io(path))
}

/// Write bytes atomically (temp file, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(CoreError::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(CoreError::io(path))
}
