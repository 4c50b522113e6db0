//! Running a split model: the closed bottom layers behind a narrow interface
//! ([`ClosedPart`]: token ids in, hidden states after layer `k` out) and the public top
//! layers, final norm and head in the caller's process.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Context, Result};
use candle_core::{DType, Device, Tensor};
use optlab_core::models::{Llama, LlamaConfig};

use crate::split::{layer_of, load_checked, read_manifest, Manifest};

/// What the owner serves: hidden states `[batch, seq, hidden]` after the `k` closed layers
/// for token ids `[batch, seq]`. Nothing else about the closed weights crosses it.
pub trait ClosedPart {
    /// Hidden states after the closed layers (no gradient flows back through them).
    fn hidden(&self, ids: &Tensor) -> Result<Tensor>;
    /// Number of closed layers `k`.
    fn layers(&self) -> usize;
}

/// The closed layers evaluated in-process (the embeddings, which are public, ride along).
pub struct LocalClosedPart {
    model: Llama,
}

/// The public top layers, final norm and head, with layers renumbered from 0.
pub struct PublicPart {
    model: Llama,
    closed_layers: usize,
    config: LlamaConfig,
    tensors: HashMap<String, Tensor>,
}

/// Closed part + public part: computes the original model's logits.
pub struct SemiOpenModel<C: ClosedPart> {
    /// The owner's component.
    pub closed: C,
    /// The customer's component.
    pub public: PublicPart,
}

fn sub_config(cfg: &LlamaConfig, layers: usize, tied: bool) -> LlamaConfig {
    let mut c = cfg.clone();
    c.num_hidden_layers = layers;
    c.tie_word_embeddings = tied;
    c
}

fn take(map: &HashMap<String, Tensor>, name: &str, what: &str) -> Result<Tensor> {
    map.get(name)
        .cloned()
        .with_context(|| format!("the {what} part lacks `{name}`"))
}

impl LocalClosedPart {
    /// Build from the closed tensors (original names, layers `0..k`) and the public
    /// embedding matrix.
    pub fn new(
        cfg: &LlamaConfig,
        k: usize,
        closed: HashMap<String, Tensor>,
        embed: &Tensor,
        dev: &Device,
    ) -> Result<Self> {
        let model = Llama::new(&sub_config(cfg, k, true), DType::F32, dev, 0)?;
        let mut map = closed;
        map.insert("model.embed_tokens.weight".into(), embed.clone());
        // The closed model never applies its final norm; ones fill the slot.
        map.insert(
            "model.norm.weight".into(),
            Tensor::ones(cfg.hidden_size, DType::F32, dev)?,
        );
        model
            .params()
            .assign(map, Path::new("<closed part>"))
            .context("building the closed part")?;
        Ok(Self { model })
    }
}

impl ClosedPart for LocalClosedPart {
    fn hidden(&self, ids: &Tensor) -> Result<Tensor> {
        let x = self.model.embed_tokens(ids)?;
        let k = self.model.config().num_hidden_layers;
        Ok(self.model.run_layers(&x, 0..k)?.detach())
    }

    fn layers(&self) -> usize {
        self.model.config().num_hidden_layers
    }
}

impl PublicPart {
    /// Build from the public tensors (original names) of a model with config `cfg` split at `k`.
    pub fn new(
        cfg: &LlamaConfig,
        k: usize,
        public: HashMap<String, Tensor>,
        dev: &Device,
    ) -> Result<Self> {
        crate::split::check_k(k, cfg.num_hidden_layers)?;
        if let Some(n) = public.keys().find(|n| layer_of(n).is_some_and(|i| i < k)) {
            crate::error::bail!("tensor `{n}` belongs to the closed layers, not the public part");
        }
        let model = Llama::new(
            &sub_config(cfg, cfg.num_hidden_layers - k, cfg.tie_word_embeddings),
            DType::F32,
            dev,
            0,
        )?;
        let renamed: HashMap<String, Tensor> = public
            .iter()
            .map(|(n, t)| {
                let tail = n
                    .strip_prefix("model.layers.")
                    .and_then(|r| r.split_once('.'));
                match (layer_of(n), tail) {
                    (Some(i), Some((_, rest))) if i >= k => {
                        (format!("model.layers.{}.{rest}", i - k), t.clone())
                    }
                    _ => (n.clone(), t.clone()),
                }
            })
            .collect();
        model
            .params()
            .assign(renamed, Path::new("<public part>"))
            .context("building the public part")?;
        Ok(Self {
            model,
            closed_layers: k,
            config: cfg.clone(),
            tensors: public,
        })
    }

    /// Logits `[batch, seq, vocab]` from the closed part's hidden states.
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor> {
        let n = self.model.config().num_hidden_layers;
        let x = self.model.run_layers(hidden, 0..n)?;
        Ok(self.model.logits_from_hidden(&x)?)
    }

    /// Number of closed layers below this part.
    pub fn closed_layers(&self) -> usize {
        self.closed_layers
    }

    /// The whole model's configuration.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// The published tensors under their original names (what an attacker starts from).
    pub fn tensors(&self) -> &HashMap<String, Tensor> {
        &self.tensors
    }

    /// The public embedding matrix.
    pub fn embedding(&self) -> Result<Tensor> {
        take(&self.tensors, "model.embed_tokens.weight", "public")
    }
}

impl<C: ClosedPart> SemiOpenModel<C> {
    /// Logits `[batch, seq, vocab]` for token ids `[batch, seq]`.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        self.public.logits(&self.closed.hidden(ids)?)
    }
}

/// Split `model` at `k` in memory (no files).
pub fn split_in_memory(
    model: &Llama,
    k: usize,
    dev: &Device,
) -> Result<SemiOpenModel<LocalClosedPart>> {
    let (closed, public) = crate::split::partition(model, k)?;
    let public = PublicPart::new(model.config(), k, public, dev)?;
    let closed = LocalClosedPart::new(model.config(), k, closed, &public.embedding()?, dev)?;
    Ok(SemiOpenModel { closed, public })
}

/// Load a split folder written by [`crate::split::write_split`], checking both files
/// against the manifest first.
pub fn load_split(dir: &Path, dev: &Device) -> Result<(Manifest, SemiOpenModel<LocalClosedPart>)> {
    let m = read_manifest(dir)?;
    let k = m.closed_layers;
    let public = load_checked(dir, &m.public, k, false)?;
    let closed = load_checked(dir, &m.closed, k, true)?;
    let public = PublicPart::new(&m.config, k, public, dev)
        .with_context(|| format!("{}: public part", dir.display()))?;
    let closed = LocalClosedPart::new(&m.config, k, closed, &public.embedding()?, dev)
        .with_context(|| format!("{}: closed part", dir.display()))?;
    Ok((m, SemiOpenModel { closed, public }))
}

/// Load only the public part of a split folder (what an attacker or customer holds).
pub fn load_public(dir: &Path, dev: &Device) -> Result<(Manifest, PublicPart)> {
    let m = read_manifest(dir)?;
    let public = load_checked(dir, &m.public, m.closed_layers, false)?;
    let p = PublicPart::new(&m.config, m.closed_layers, public, dev)?;
    Ok((m, p))
}

/// Compare two logits tensors element by element: (elements, elements whose f32 bits
/// differ, largest absolute difference).
pub fn logit_diff(a: &Tensor, b: &Tensor) -> Result<(usize, usize, f32)> {
    let (a, b) = (
        a.flatten_all()?.to_vec1::<f32>()?,
        b.flatten_all()?.to_vec1::<f32>()?,
    );
    if a.len() != b.len() {
        crate::error::bail!("logits have {} and {} elements", a.len(), b.len());
    }
    let differ = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .count();
    let max = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    Ok((a.len(), differ, max))
}
