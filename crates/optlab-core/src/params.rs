//! Named parameters: every trainable tensor with its Hugging Face-style name, shape and role.
//!
//! Models register their parameters through a [`ParamBuilder`], which records the role the
//! model definition gives each tensor. Optimizers that partition by block (Adam-mini, MoFO)
//! and curvature tools read the roles from the [`ParamStore`]. For checkpoints loaded by name
//! only, [`classify_name`] recovers the role from Hugging Face naming conventions.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use candle_core::{DType, Device, Tensor, Var};
use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::rng::Rng;

/// What a parameter tensor does in its model; decides optimizer partitioning and decay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamRole {
    /// Token embedding table, `[vocab, hidden]`.
    Embedding,
    /// Attention query projection, `[n_heads*head_dim, hidden]`.
    Query,
    /// Attention key projection, `[n_kv_heads*head_dim, hidden]`.
    Key,
    /// Attention value projection.
    Value,
    /// Attention output projection.
    AttnOutput,
    /// Fused query/key/value projection (GPT-2 `c_attn`).
    FusedQkv,
    /// MLP up projection.
    MlpUp,
    /// MLP gate projection (SwiGLU).
    MlpGate,
    /// MLP down projection.
    MlpDown,
    /// Normalisation scale (RMSNorm / LayerNorm weight).
    Norm,
    /// Any bias vector.
    Bias,
    /// Output head (`lm_head`), `[vocab, hidden]`.
    OutputHead,
    /// A plain dense layer weight outside a transformer block (MLP classifiers, value heads).
    Linear,
    /// A convolution kernel.
    Conv,
    /// Anything the classifier could not place.
    Other,
}

impl ParamRole {
    /// Whether decoupled weight decay applies by default (not on norms and biases).
    pub fn decays(self) -> bool {
        !matches!(self, ParamRole::Norm | ParamRole::Bias)
    }
}

/// Recover a parameter's role from its Hugging Face-style name (Llama, Qwen2, Mistral, GPT-2).
///
/// Used for checkpoints loaded by name; models built in optlab record roles directly.
pub fn classify_name(name: &str) -> ParamRole {
    let n = name.to_ascii_lowercase();
    let last = n.rsplit('.').next().unwrap_or("");
    if last == "bias" {
        return ParamRole::Bias;
    }
    let has = |keys: &[&str]| keys.iter().any(|k| n.contains(k));
    if has(&["norm", "ln_", ".ln", "layernorm"]) {
        ParamRole::Norm
    } else if has(&["embed_tokens", "wte", "wpe", "embd", "embed"]) {
        ParamRole::Embedding
    } else if has(&["lm_head", "output.weight", "final_layer"]) {
        ParamRole::OutputHead
    } else if has(&["q_proj", ".wq", "query"]) {
        ParamRole::Query
    } else if has(&["k_proj", ".wk", ".key"]) {
        ParamRole::Key
    } else if has(&["v_proj", ".wv", "value"]) {
        ParamRole::Value
    } else if has(&["c_attn"]) {
        ParamRole::FusedQkv
    } else if has(&["o_proj", ".wo", "attn.c_proj", "attn.proj"]) {
        ParamRole::AttnOutput
    } else if has(&["gate_proj", "w1"]) {
        ParamRole::MlpGate
    } else if has(&["up_proj", "w3", "c_fc"]) {
        ParamRole::MlpUp
    } else if has(&["down_proj", "w2", "mlp.c_proj"]) {
        ParamRole::MlpDown
    } else if has(&["conv"]) {
        ParamRole::Conv
    } else if has(&["linear", "fc", "layers.", "head"]) {
        ParamRole::Linear
    } else {
        ParamRole::Other
    }
}

/// One trainable tensor.
#[derive(Debug, Clone)]
pub struct NamedParam {
    /// Hugging Face-style name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    pub name: String,
    /// The mutable tensor.
    pub var: Var,
    /// Its role, as the model definition states it.
    pub role: ParamRole,
}

/// A summary row of a parameter, for listings and JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct ParamInfo {
    /// Parameter name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Role.
    pub role: ParamRole,
}

/// The ordered set of a model's trainable parameters, shared by model and optimizer.
#[derive(Debug, Clone, Default)]
pub struct ParamStore {
    params: Arc<Mutex<Vec<NamedParam>>>,
}

impl ParamStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<NamedParam>> {
        // A poisoned lock only means another thread panicked mid-read; the data are plain handles.
        self.params.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// All parameters in registration order.
    pub fn params(&self) -> Vec<NamedParam> {
        self.lock().clone()
    }

    /// Name, shape and role of every parameter.
    pub fn infos(&self) -> Vec<ParamInfo> {
        self.lock()
            .iter()
            .map(|p| ParamInfo {
                name: p.name.clone(),
                shape: p.var.dims().to_vec(),
                role: p.role,
            })
            .collect()
    }

    /// The variables alone, for candle's `Optimizer` trait.
    pub fn vars(&self) -> Vec<Var> {
        self.lock().iter().map(|p| p.var.clone()).collect()
    }

    /// Total number of scalar parameters.
    pub fn num_elements(&self) -> usize {
        self.lock().iter().map(|p| p.var.elem_count()).sum()
    }

    /// Look a parameter up by name.
    pub fn get(&self, name: &str) -> Option<NamedParam> {
        self.lock().iter().find(|p| p.name == name).cloned()
    }

    fn push(&self, p: NamedParam) -> Result<()> {
        let mut ps = self.lock();
        if ps.iter().any(|q| q.name == p.name) {
            return Err(CoreError::Config(format!(
                "parameter `{}` registered twice",
                p.name
            )));
        }
        ps.push(p);
        Ok(())
    }

    /// Current values as a name → tensor map (for saving). The tensors share storage with
    /// the parameters, and optlab's optimizers update in place, so they change with the next
    /// step: use [`ParamStore::snapshot`] to keep values.
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        self.lock()
            .iter()
            .map(|p| (p.name.clone(), p.var.as_tensor().clone()))
            .collect()
    }

    /// Deep copies of the current values (unaffected by later in-place updates), e.g. to
    /// restore weights with [`ParamStore::assign`] or to check that nothing changed.
    pub fn snapshot(&self) -> Result<HashMap<String, Tensor>> {
        self.lock()
            .iter()
            .map(|p| Ok((p.name.clone(), p.var.as_tensor().copy()?)))
            .collect()
    }

    /// Save all parameters to a safetensors file, atomically (temp file, then rename).
    pub fn save_safetensors(&self, path: &Path) -> Result<()> {
        crate::checkpoint_io::save_tensors_atomic(&self.tensors(), path)
    }

    /// Load values from a safetensors file. Every model parameter must be present with the
    /// same shape, and the file may hold no tensor the model lacks (rotary `inv_freq`
    /// buffers excepted), so a wrong checkpoint fails loudly instead of training garbage.
    pub fn load_safetensors(&self, path: &Path) -> Result<()> {
        let tensors = crate::checkpoint_io::load_tensors(path)?;
        self.assign(tensors, path)
    }

    /// Assign named tensors (already read from `path`) to the parameters, strictly.
    pub fn assign(&self, mut tensors: HashMap<String, Tensor>, path: &Path) -> Result<()> {
        tensors.retain(|k, _| !k.ends_with("rotary_emb.inv_freq"));
        let ps = self.lock();
        let mut names: Vec<&String> = tensors.keys().collect();
        names.sort();
        for name in names {
            if !ps.iter().any(|p| &p.name == name) {
                return Err(CoreError::UnknownTensor {
                    path: path.into(),
                    name: name.clone(),
                });
            }
        }
        for p in ps.iter() {
            let t = tensors
                .get(&p.name)
                .ok_or_else(|| CoreError::MissingTensor {
                    path: path.into(),
                    name: p.name.clone(),
                })?;
            if t.dims() != p.var.dims() {
                return Err(CoreError::ShapeMismatch {
                    path: path.into(),
                    name: p.name.clone(),
                    expected: p.var.dims().to_vec(),
                    found: t.dims().to_vec(),
                });
            }
            if !all_finite(t)? {
                return Err(CoreError::NonFiniteTensor {
                    path: path.into(),
                    name: p.name.clone(),
                });
            }
        }
        for p in ps.iter() {
            let t = &tensors[&p.name];
            let t = t.to_dtype(p.var.dtype())?.to_device(p.var.device())?;
            p.var.set(&t)?;
        }
        Ok(())
    }
}

/// Whether every element of `t` is finite (`0 * t` is zero exactly where `t` is finite).
pub fn all_finite(t: &Tensor) -> Result<bool> {
    let t = t.to_dtype(DType::F32)?;
    let s = t.affine(0.0, 0.0)?.sum_all()?.to_scalar::<f32>()?;
    Ok(s.is_finite())
}

/// How to initialise a new parameter.
#[derive(Debug, Clone, Copy)]
pub enum Init {
    /// Normal with the given standard deviation.
    Normal(f64),
    /// Uniform in `[-bound, bound]` (PyTorch's default for linear/conv: `1/sqrt(fan_in)`).
    Uniform(f64),
    /// All entries equal to this constant.
    Const(f64),
}

/// Creates parameters under a name prefix and registers them, with roles, in a store.
#[derive(Clone)]
pub struct ParamBuilder {
    store: ParamStore,
    prefix: String,
    dtype: DType,
    device: Device,
    rng: Arc<Mutex<Rng>>,
}

impl ParamBuilder {
    /// A builder at the root prefix; initial values come from `seed`.
    pub fn new(store: &ParamStore, dtype: DType, device: &Device, seed: u64) -> Self {
        Self {
            store: store.clone(),
            prefix: String::new(),
            dtype,
            device: device.clone(),
            rng: Arc::new(Mutex::new(Rng::new(seed))),
        }
    }

    /// A builder one level down: names become `prefix.sub.…`.
    pub fn pp(&self, sub: impl std::fmt::Display) -> Self {
        let mut b = self.clone();
        b.prefix = if self.prefix.is_empty() {
            sub.to_string()
        } else {
            format!("{}.{}", self.prefix, sub)
        };
        b
    }

    /// The device parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The dtype parameters are created in.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Create, initialise and register a parameter called `prefix.name`.
    pub fn param(&self, name: &str, shape: &[usize], init: Init, role: ParamRole) -> Result<Var> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = {
            let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
            match init {
                Init::Normal(std) => rng.normal_vec(n, std),
                Init::Uniform(b) => (0..n)
                    .map(|_| ((rng.uniform() * 2.0 - 1.0) * b) as f32)
                    .collect(),
                Init::Const(c) => vec![c as f32; n],
            }
        };
        let t = Tensor::from_vec(values, shape, &self.device)?.to_dtype(self.dtype)?;
        let var = Var::from_tensor(&t)?;
        let full = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{}", self.prefix, name)
        };
        self.store.push(NamedParam {
            name: full,
            var: var.clone(),
            role,
        })?;
        Ok(var)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifier_knows_llama_qwen_gpt2_names() {
        let cases = [
            ("model.embed_tokens.weight", ParamRole::Embedding),
            ("model.layers.3.self_attn.q_proj.weight", ParamRole::Query),
            ("model.layers.3.self_attn.k_proj.weight", ParamRole::Key),
            ("model.layers.3.self_attn.v_proj.weight", ParamRole::Value),
            ("model.layers.3.self_attn.q_proj.bias", ParamRole::Bias),
            (
                "model.layers.3.self_attn.o_proj.weight",
                ParamRole::AttnOutput,
            ),
            ("model.layers.3.mlp.gate_proj.weight", ParamRole::MlpGate),
            ("model.layers.3.mlp.up_proj.weight", ParamRole::MlpUp),
            ("model.layers.3.mlp.down_proj.weight", ParamRole::MlpDown),
            ("model.layers.3.input_layernorm.weight", ParamRole::Norm),
            ("model.norm.weight", ParamRole::Norm),
            ("lm_head.weight", ParamRole::OutputHead),
            ("transformer.wte.weight", ParamRole::Embedding),
            ("transformer.h.0.attn.c_attn.weight", ParamRole::FusedQkv),
            ("transformer.h.0.attn.c_proj.weight", ParamRole::AttnOutput),
            ("transformer.h.0.mlp.c_fc.weight", ParamRole::MlpUp),
            ("transformer.h.0.mlp.c_proj.weight", ParamRole::MlpDown),
            ("transformer.h.0.ln_1.weight", ParamRole::Norm),
            ("something.unusual", ParamRole::Other),
        ];
        for (name, role) in cases {
            assert_eq!(classify_name(name), role, "{name}");
        }
    }

    #[test]
    fn strict_loading_names_the_problem() {
        let dir_tmp = tempfile::tempdir().unwrap();
        let dir = dir_tmp.path().join("params");
        std::fs::create_dir_all(&dir).unwrap();
        let store = ParamStore::new();
        let b = ParamBuilder::new(&store, DType::F32, &Device::Cpu, 1);
        b.pp("a")
            .param("weight", &[2, 3], Init::Normal(1.0), ParamRole::Linear)
            .unwrap();
        let good = dir.join("good.safetensors");
        store.save_safetensors(&good).unwrap();
        store.load_safetensors(&good).unwrap();

        let mut extra = store.tensors();
        extra.insert(
            "b.weight".into(),
            Tensor::zeros(2, DType::F32, &Device::Cpu).unwrap(),
        );
        let err = store.assign(extra, &good).unwrap_err().to_string();
        assert!(err.contains("unknown tensor name `b.weight`"), "{err}");

        let mut wrong = HashMap::new();
        wrong.insert(
            "a.weight".into(),
            Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap(),
        );
        let err = store.assign(wrong, &good).unwrap_err().to_string();
        assert!(err.contains("shape mismatch for `a.weight`"), "{err}");

        let err = store.assign(HashMap::new(), &good).unwrap_err().to_string();
        assert!(err.contains("missing tensor `a.weight`"), "{err}");

        let corrupt = dir.join("corrupt.safetensors");
        std::fs::write(&corrupt, b"not a safetensors file").unwrap();
        let err = store.load_safetensors(&corrupt).unwrap_err().to_string();
        assert!(err.contains("corrupt"), "{err}");
        let err = store
            .load_safetensors(&dir.join("absent.safetensors"))
            .unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
