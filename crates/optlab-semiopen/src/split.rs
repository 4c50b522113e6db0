//! Splitting a checkpoint into a closed part (the bottom `k` decoder layers) and a public
//! part (everything else), written as two safetensors files plus a JSON manifest that names
//! every tensor, its shape, and the size and SHA-256 of each file.
//!
//! What is closed follows the SCARA reference code: only decoder blocks; the token
//! embeddings, final norm and output head stay public.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{bail, Context, Result};
use candle_core::Tensor;
use optlab_core::models::{Llama, LlamaConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Manifest format tag; a manifest with another tag is refused.
pub const FORMAT: &str = "optlab-semiopen/1";
/// File names inside a split folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Closed-part weights.
pub const CLOSED_FILE: &str = "closed.safetensors";
/// Public-part weights.
pub const PUBLIC_FILE: &str = "public.safetensors";

/// One tensor as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorEntry {
    /// Hugging Face parameter name (original layer numbering).
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
}

/// One weights file as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// File name inside the split folder.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    /// Every tensor in the file, sorted by name.
    pub tensors: Vec<TensorEntry>,
}

/// The manifest of a split: enough to check both files and rebuild either part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Number of closed bottom decoder layers.
    pub closed_layers: usize,
    /// Decoder layers in the whole model.
    pub num_layers: usize,
    /// The whole model's configuration.
    pub config: LlamaConfig,
    /// Scalar parameters in the closed part.
    pub closed_params: usize,
    /// Scalar parameters in the whole model.
    pub total_params: usize,
    /// The closed file.
    pub closed: FileEntry,
    /// The public file.
    pub public: FileEntry,
}

impl Manifest {
    /// Closed share of all parameters, in [0, 1].
    pub fn closed_fraction(&self) -> f64 {
        self.closed_params as f64 / self.total_params.max(1) as f64
    }
}

/// Layer index of a decoder-block parameter name (`model.layers.{i}.…`), if it is one.
pub fn layer_of(name: &str) -> Option<usize> {
    name.strip_prefix("model.layers.")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Reject a `k` that cannot be split off a model with `layers` decoder layers.
pub fn check_k(k: usize, layers: usize) -> Result<()> {
    if k == 0 || k > layers {
        bail!("cannot close {k} layers: the model has {layers} decoder layers (k must be in 1..={layers})");
    }
    Ok(())
}

/// Partition a model's tensors into (closed, public) maps by layer index.
pub fn partition(
    model: &Llama,
    k: usize,
) -> Result<(HashMap<String, Tensor>, HashMap<String, Tensor>)> {
    check_k(k, model.config().num_hidden_layers)?;
    let (mut closed, mut public) = (HashMap::new(), HashMap::new());
    for (name, t) in model.params().tensors() {
        match layer_of(&name) {
            Some(i) if i < k => closed.insert(name, t),
            _ => public.insert(name, t),
        };
    }
    Ok((closed, public))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

fn write_file(dir: &Path, file: &str, tensors: &HashMap<String, Tensor>) -> Result<FileEntry> {
    let path = dir.join(file);
    candle_core::safetensors::save(tensors, &path)
        .with_context(|| format!("writing {}", path.display()))?;
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(FileEntry {
        file: file.into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
        tensors: entries(tensors),
    })
}

/// Write the split of `model` at `k` into `dir` (created if needed): `closed.safetensors`,
/// `public.safetensors`, `manifest.json`, and `tokenizer.json` when one is given.
pub fn write_split(
    model: &Llama,
    k: usize,
    tokenizer_json: Option<&str>,
    dir: &Path,
) -> Result<Manifest> {
    let (closed, public) = partition(model, k)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let count = |m: &HashMap<String, Tensor>| m.values().map(|t| t.elem_count()).sum::<usize>();
    let manifest = Manifest {
        format: FORMAT.into(),
        closed_layers: k,
        num_layers: model.config().num_hidden_layers,
        config: model.config().clone(),
        closed_params: count(&closed),
        total_params: count(&closed) + count(&public),
        closed: write_file(dir, CLOSED_FILE, &closed)?,
        public: write_file(dir, PUBLIC_FILE, &public)?,
    };
    std::fs::write(
        dir.join(MANIFEST_FILE),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    if let Some(t) = tokenizer_json {
        std::fs::write(dir.join("tokenizer.json"), t)?;
    }
    Ok(manifest)
}

/// Read and sanity-check `dir/manifest.json` (format tag, `k` against the layer count).
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let m: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a semi-open manifest", path.display()))?;
    if m.format != FORMAT {
        bail!(
            "{}: format `{}`, expected `{FORMAT}`",
            path.display(),
            m.format
        );
    }
    if m.num_layers != m.config.num_hidden_layers {
        bail!(
            "{}: num_layers {} disagrees with the config's {}",
            path.display(),
            m.num_layers,
            m.config.num_hidden_layers
        );
    }
    check_k(m.closed_layers, m.num_layers).with_context(|| path.display().to_string())?;
    Ok(m)
}

/// Load one weights file and check it against its manifest entry: size, SHA-256, the exact
/// set of tensor names, and every shape. `expect_closed` also checks that the file holds
/// closed-layer tensors only (or public tensors only).
pub fn load_checked(
    dir: &Path,
    entry: &FileEntry,
    k: usize,
    expect_closed: bool,
) -> Result<HashMap<String, Tensor>> {
    let path: PathBuf = dir.join(&entry.file);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let p = path.display();
    if bytes.len() as u64 != entry.bytes {
        bail!(
            "{p}: {} bytes, the manifest says {}",
            bytes.len(),
            entry.bytes
        );
    }
    let hash = sha256_hex(&bytes);
    if hash != entry.sha256 {
        bail!(
            "{p}: sha256 {hash} does not match the manifest's {}",
            entry.sha256
        );
    }
    let tensors = candle_core::safetensors::load_buffer(&bytes, &candle_core::Device::Cpu)
        .with_context(|| format!("{p}: not a safetensors file"))?;
    for e in &entry.tensors {
        let Some(t) = tensors.get(&e.name) else {
            bail!("{p}: missing tensor `{}` listed in the manifest", e.name);
        };
        if t.dims() != e.shape.as_slice() {
            bail!(
                "{p}: tensor `{}` has shape {:?}, the manifest says {:?}",
                e.name,
                t.dims(),
                e.shape
            );
        }
        let closed = layer_of(&e.name).is_some_and(|i| i < k);
        if closed != expect_closed {
            let side = if expect_closed { "closed" } else { "public" };
            bail!(
                "{p}: tensor `{}` does not belong to the {side} part for k = {k}",
                e.name
            );
        }
    }
    if let Some(extra) = tensors
        .keys()
        .find(|n| !entry.tensors.iter().any(|e| &e.name == *n))
    {
        bail!("{p}: tensor `{extra}` is not listed in the manifest");
    }
    Ok(tensors)
}
