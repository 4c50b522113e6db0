//! Splitting a checkpoint into a closed part (the bottom `k` decoder layers) and a public
//! part (everything else), written as two safetensors files plus a JSON manifest that names
//! every tensor, its shape, and the size and SHA-256 of each file (optlab-core's
//! [`optlab_core::manifest`] entries).
//!
//! What is closed follows the SCARA reference code: only decoder blocks; the token
//! embeddings, final norm and output head stay public.

use std::collections::HashMap;
use std::path::Path;

use candle_core::Tensor;
use optlab_core::manifest::{read_checked, write_tensors, FileEntry};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::CoreError;
use serde::{Deserialize, Serialize};

use crate::error::{bail, Context, Result, SemiopenError};

/// Manifest format tag; a manifest with another tag is refused.
pub const FORMAT: &str = "optlab-semiopen/1";
/// File names inside a split folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Closed-part weights.
pub const CLOSED_FILE: &str = "closed.safetensors";
/// Public-part weights.
pub const PUBLIC_FILE: &str = "public.safetensors";

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

/// Write the split of `model` at `k` into `dir` (created if needed): `closed.safetensors`,
/// `public.safetensors`, `manifest.json`, and `tokenizer.json` when one is given.
pub fn write_split(
    model: &Llama,
    k: usize,
    tokenizer_json: Option<&str>,
    dir: &Path,
) -> Result<Manifest> {
    let (closed, public) = partition(model, k)?;
    std::fs::create_dir_all(dir).map_err(SemiopenError::io(dir))?;
    let count = |m: &HashMap<String, Tensor>| m.values().map(|t| t.elem_count()).sum::<usize>();
    let manifest = Manifest {
        format: FORMAT.into(),
        closed_layers: k,
        num_layers: model.config().num_hidden_layers,
        config: model.config().clone(),
        closed_params: count(&closed),
        total_params: count(&closed) + count(&public),
        closed: write_tensors(dir, CLOSED_FILE, &closed)?,
        public: write_tensors(dir, PUBLIC_FILE, &public)?,
    };
    let path = dir.join(MANIFEST_FILE);
    let text =
        serde_json::to_string_pretty(&manifest).map_err(SemiopenError::json(path.display()))?;
    std::fs::write(&path, text).map_err(SemiopenError::io(&path))?;
    if let Some(t) = tokenizer_json {
        let path = dir.join("tokenizer.json");
        std::fs::write(&path, t).map_err(SemiopenError::io(&path))?;
    }
    Ok(manifest)
}

/// Read and sanity-check `dir/manifest.json` (format tag, `k` against the layer count).
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).map_err(SemiopenError::io(&path))?;
    let m: Manifest = serde_json::from_str(&text).map_err(SemiopenError::json(format!(
        "{}: not a semi-open manifest",
        path.display()
    )))?;
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
/// set of tensor names, and every shape ([`read_checked`]). `expect_closed` also checks that
/// the file holds closed-layer tensors only (or public tensors only).
pub fn load_checked(
    dir: &Path,
    entry: &FileEntry,
    k: usize,
    expect_closed: bool,
) -> Result<HashMap<String, Tensor>> {
    let tensors = read_checked(dir, entry).map_err(in_manifest_terms)?;
    let path = dir.join(&entry.file);
    for e in &entry.tensors {
        let closed = layer_of(&e.name).is_some_and(|i| i < k);
        if closed != expect_closed {
            let side = if expect_closed { "closed" } else { "public" };
            bail!(
                "{}: tensor `{}` does not belong to the {side} part for k = {k}",
                path.display(),
                e.name
            );
        }
    }
    Ok(tensors)
}

/// Core's checks speak of "the model"; here the reference is the split's manifest.
fn in_manifest_terms(e: CoreError) -> SemiopenError {
    match e {
        CoreError::ShapeMismatch {
            path,
            name,
            expected,
            found,
        } => SemiopenError::Invalid(format!(
            "{}: tensor `{name}` has shape {found:?}, the manifest says {expected:?}",
            path.display()
        )),
        CoreError::UnknownTensor { path, name } => SemiopenError::Invalid(format!(
            "{}: tensor `{name}` is not listed in the manifest",
            path.display()
        )),
        CoreError::MissingTensor { path, name } => SemiopenError::Invalid(format!(
            "{}: missing tensor `{name}` listed in the manifest",
            path.display()
        )),
        other => other.into(),
    }
}
