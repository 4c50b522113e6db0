//! Weights files recorded in a manifest: size, SHA-256 and every tensor's name and shape, so a
//! reader can refuse a truncated, swapped or tampered file before using a single weight.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One tensor as a manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorEntry {
    /// Parameter name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
}

/// One safetensors file as a manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name inside the folder.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Every tensor in the file, sorted by name.
    pub tensors: Vec<TensorEntry>,
}

fn entries(tensors: &HashMap<String, Tensor>) -> Vec<TensorEntry> {
    let sorted: BTreeMap<&String, &Tensor> = tensors.iter().collect();
    sorted
        .into_iter()
        .map(|(n, t)| TensorEntry {
            name: n.clone(),
            shape: t.dims().to_vec(),
        })
        .collect()
}

/// Write `tensors` to `dir/file` as safetensors and return the entry that describes it.
pub fn write_tensors(
    dir: &Path,
    file: &str,
    tensors: &HashMap<String, Tensor>,
) -> Result<FileEntry> {
    let path = dir.join(file);
    candle_core::safetensors::save(tensors, &path).map_err(|e| CoreError::Corrupt {
        path: path.clone(),
        reason: format!("cannot write: {e}"),
    })?;
    let bytes = std::fs::read(&path).map_err(CoreError::io(&path))?;
    Ok(FileEntry {
        file: file.into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        tensors: entries(tensors),
    })
}

/// Read `dir/entry.file` and check it against `entry`: size, SHA-256, the exact set of tensor
/// names and every shape. The first difference is the error, naming the file.
pub fn read_checked(dir: &Path, entry: &FileEntry) -> Result<HashMap<String, Tensor>> {
    let path = dir.join(&entry.file);
    let corrupt = |reason: String| CoreError::Corrupt {
        path: path.clone(),
        reason,
    };
    let bytes = std::fs::read(&path).map_err(CoreError::io(&path))?;
    if bytes.len() as u64 != entry.bytes {
        return Err(corrupt(format!(
            "{} bytes, the manifest says {}",
            bytes.len(),
            entry.bytes
        )));
    }
    let hash = sha256_hex(&bytes);
    if hash != entry.sha256 {
        return Err(corrupt(format!(
            "sha256 {hash} does not match the manifest's {}",
            entry.sha256
        )));
    }
    let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
        .map_err(|e| corrupt(format!("not a safetensors file: {e}")))?;
    for e in &entry.tensors {
        let Some(t) = tensors.get(&e.name) else {
            return Err(CoreError::MissingTensor {
                path: path.clone(),
                name: e.name.clone(),
            });
        };
        if t.dims() != e.shape.as_slice() {
            return Err(CoreError::ShapeMismatch {
                path: path.clone(),
                name: e.name.clone(),
                expected: e.shape.clone(),
                found: t.dims().to_vec(),
            });
        }
    }
    if let Some(extra) = tensors
        .keys()
        .find(|k| !entry.tensors.iter().any(|e| &e.name == *k))
    {
        return Err(CoreError::UnknownTensor {
            path: path.clone(),
            name: extra.clone(),
        });
    }
    Ok(tensors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> HashMap<String, Tensor> {
        let t = |v: Vec<f32>, s: &[usize]| Tensor::from_vec(v, s, &Device::Cpu).unwrap();
        HashMap::from([
            ("a".to_string(), t(vec![1.0, 2.0, 3.0, 4.0], &[2, 2])),
            ("b".to_string(), t(vec![5.0], &[1])),
        ])
    }

    #[test]
    fn round_trip_then_every_kind_of_tampering_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let entry = write_tensors(dir.path(), "w.safetensors", &sample()).unwrap();
        assert_eq!(entry.tensors.len(), 2);
        assert_eq!(entry.sha256.len(), 64);
        let back = read_checked(dir.path(), &entry).unwrap();
        assert_eq!(back["a"].dims(), &[2, 2]);

        let path = dir.path().join("w.safetensors");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let e = read_checked(dir.path(), &entry).unwrap_err().to_string();
        assert!(e.contains("sha256") && e.contains("w.safetensors"), "{e}");

        let mut short = entry.clone();
        short.bytes += 1;
        assert!(read_checked(dir.path(), &short)
            .unwrap_err()
            .to_string()
            .contains("bytes"));

        let entry = write_tensors(dir.path(), "w.safetensors", &sample()).unwrap();
        let mut renamed = entry.clone();
        renamed.tensors[1].name = "c".into();
        assert!(matches!(
            read_checked(dir.path(), &renamed),
            Err(CoreError::MissingTensor { .. })
        ));
        let mut reshaped = entry;
        reshaped.tensors[0].shape = vec![4];
        assert!(matches!(
            read_checked(dir.path(), &reshaped),
            Err(CoreError::ShapeMismatch { .. })
        ));
    }
}
