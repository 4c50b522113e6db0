//! Recovery attacks (SCARA's threat model): the attacker holds the public part and `N` task
//! samples, fills the closed layers with fresh random weights or with the matching layers of
//! another public model, fine-tunes every parameter, and is scored on held-out data
//! against the original model.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{bail, Result};
use candle_core::{DType, Tensor};
use optlab_core::models::Llama;
use serde::Serialize;

use crate::combined::PublicPart;
use crate::data::{quality, Quality};
use crate::finetune::{finetune, FinetuneConfig, OptimizerFactory, Workdir};
use crate::split::layer_of;

/// Where the attacker's replacement for the closed layers comes from.
pub enum ClosedInit<'a> {
    /// Freshly initialised (Linear ~ N(0, 0.02), norms 1) from this seed.
    Random(u64),
    /// Copied from the same-numbered layers of another public model of the same shape.
    Donor(&'a Llama),
}

/// Build the attacker's starting model: the public tensors plus replacement closed layers.
/// It never sees the closed weights.
pub fn attacker_model(public: &PublicPart, init: &ClosedInit<'_>) -> Result<Llama> {
    let cfg = public.config();
    let k = public.closed_layers();
    let dev = public.embedding()?.device().clone();
    let seed = match init {
        ClosedInit::Random(s) => *s,
        ClosedInit::Donor(_) => 0,
    };
    let model = Llama::new(cfg, DType::F32, &dev, seed)?;
    let source: HashMap<String, Tensor> = match init {
        ClosedInit::Random(_) => model.params().tensors(),
        ClosedInit::Donor(d) => {
            if d.config().num_hidden_layers < k || d.config().hidden_size != cfg.hidden_size {
                bail!("the donor model's shape does not match the public part");
            }
            d.params().tensors()
        }
    };
    let mut map: HashMap<String, Tensor> = public.tensors().clone();
    for (name, t) in source {
        if layer_of(&name).is_some_and(|i| i < k) {
            map.insert(name, t.copy()?);
        }
    }
    model.params().assign(map, Path::new("<attacker model>"))?;
    Ok(model)
}

/// Outcome of one attack.
#[derive(Debug, Clone, Serialize)]
pub struct AttackOutcome {
    /// Held-out quality before fine-tuning (public part + replacement layers).
    pub before: Quality,
    /// Held-out quality after fine-tuning.
    pub after: Quality,
    /// Final training loss of the fine-tuning run.
    pub train_loss: f64,
}

/// Fine-tune `model` (every parameter, as in the reference attack) on `samples` with the
/// optimizer `make_optimizer` builds, and score it on `heldout` before and after.
pub fn attack(
    model: &Llama,
    samples: &[u32],
    heldout: &[(Tensor, Tensor)],
    cfg: &FinetuneConfig,
    make_optimizer: &OptimizerFactory,
    work: &Path,
) -> Result<AttackOutcome> {
    let before = quality(|x| Ok(model.forward(x)?), heldout)?;
    let work = Workdir::temporary(work);
    let train_loss = finetune(model, samples, None, cfg, make_optimizer, work)?;
    let after = quality(|x| Ok(model.forward(x)?), heldout)?;
    Ok(AttackOutcome {
        before,
        after,
        train_loss,
    })
}

/// How much of the original's quality an attack recovered.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Recovery {
    /// Recovered accuracy / original accuracy (the paper's recovery ratio, on next-token
    /// accuracy).
    pub accuracy_ratio: f64,
    /// Share of the loss gap between a random model and the original that the attack closed:
    /// `(L_random - L_recovered) / (L_random - L_original)`.
    pub loss_gap_closed: f64,
}

/// Compare a recovered model's quality with the original's and a random model's.
pub fn recovery(original: Quality, random: Quality, recovered: Quality) -> Recovery {
    Recovery {
        accuracy_ratio: recovered.accuracy / original.accuracy.max(1e-12),
        loss_gap_closed: (random.loss - recovered.loss) / (random.loss - original.loss),
    }
}
