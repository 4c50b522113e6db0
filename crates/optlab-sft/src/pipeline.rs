//! One fine-tune and one evaluation, as the CLI and the reproduce experiment run them.

use std::path::Path;

use candle_core::Device;
use optlab_core::generate::SamplingConfig;
use optlab_core::models::LoadedModel;
use optlab_core::report::Reporter;
use optlab_core::rng::Rng;
use optlab_core::train::CosineSchedule;
use optlab_optim::{AttnShape, OptimConfig};
use serde::Serialize;

use crate::error::{Result, SftError};
use crate::evaluate::{diversity, pass_at, sample_responses, Diversity, PassAtK};
use crate::loss::SftLoss;
use crate::template::{encode_chat, Encoded, SftExample};
use crate::trainer::{perplexity, train_sft, Perplexity, SftConfig, SftSummary};

/// Hyper-parameters of one fine-tune.
#[derive(Debug, Clone, Serialize)]
pub struct RunSpec {
    /// Training loss.
    pub loss: SftLoss,
    /// Optimizer name (see `optlab_optim::NAMES`).
    pub optimizer: String,
    /// Peak learning rate.
    pub lr: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Adam second-moment decay (the GEM reference uses 0.95).
    pub beta2: f64,
    /// Optimizer steps.
    pub steps: usize,
    /// Examples (or packed rows) per step.
    pub batch: usize,
    /// Longest row in tokens.
    pub seq_len: usize,
    /// Pack examples into rows.
    pub pack: bool,
    /// Warm-up steps.
    pub warmup: usize,
    /// Gradient-norm clip.
    pub clip: f64,
    /// Held-out perplexity every N steps (0: at the end).
    pub val_every: usize,
    /// Data-order seed.
    pub seed: u64,
}

/// Tokenise examples with the chat template (errors name the example index).
pub fn encode_all(m: &LoadedModel, examples: &[SftExample]) -> Result<Vec<Encoded>> {
    examples
        .iter()
        .enumerate()
        .map(|(i, e)| {
            encode_chat(m.tokenizer.as_ref(), e).map_err(|err| SftError::Context {
                context: format!("example {i}"),
                cause: Box::new(err),
            })
        })
        .collect()
}

/// Fine-tune a copy of `base` (the base stays untouched) and return it with the summary.
/// `out`, when given, receives `metrics.jsonl`; `reporter` receives the steps.
pub fn finetune(
    base: &LoadedModel,
    train: &[Encoded],
    val: &[Encoded],
    spec: &RunSpec,
    out: Option<&Path>,
    dev: &Device,
    reporter: &dyn Reporter,
) -> Result<(LoadedModel, SftSummary)> {
    let m = base.try_clone(dev)?;
    let ocfg = OptimConfig {
        lr: spec.lr,
        beta2: spec.beta2,
        weight_decay: spec.weight_decay,
        attn: Some(AttnShape::from_llama(m.model.config())),
        ..Default::default()
    };
    let mut opt = optlab_optim::by_name(&spec.optimizer, m.model.params(), &ocfg)?;
    if let Some(o) = out {
        std::fs::create_dir_all(o).map_err(SftError::io(o))?;
    }
    let cfg = SftConfig {
        loss: spec.loss,
        steps: spec.steps,
        batch: spec.batch,
        seq_len: spec.seq_len,
        pack: spec.pack,
        schedule: CosineSchedule {
            peak: spec.lr,
            warmup: spec.warmup,
            total: spec.steps,
            min_ratio: 0.1,
        },
        clip: spec.clip,
        val_every: spec.val_every,
        seed: spec.seed,
        metrics: out.map(|o| o.join("metrics.jsonl")),
    };
    let s = train_sft(&m.model, train, val, opt.as_mut(), &cfg, reporter)?;
    Ok((m, s))
}

/// Prompts with their sampled responses.
type Pools = (Vec<SftExample>, Vec<Vec<String>>);

/// How to evaluate by sampling.
#[derive(Debug, Clone, Serialize)]
pub struct EvalSpec {
    /// Samples per prompt.
    pub n: usize,
    /// Checkable prompts to score pass@k on (at most).
    pub checkable_prompts: usize,
    /// Open-ended prompts to score diversity on (at most).
    pub open_prompts: usize,
    /// Sampling settings.
    pub sampling: SamplingConfig,
    /// Seed of the sampler.
    pub seed: u64,
}

/// Held-out perplexity, diversity and pass@k of one model.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Perplexity on the held-out responses.
    pub perplexity: Option<Perplexity>,
    /// Diversity over the open-ended prompts' samples.
    pub diversity_open: Option<Diversity>,
    /// Diversity over the checkable prompts' samples.
    pub diversity_checkable: Option<Diversity>,
    /// pass@k on the checkable prompts.
    pub pass: Option<PassAtK>,
    /// A few prompts with their first sampled responses, for reading.
    pub samples: Vec<(String, Vec<String>)>,
}

/// Evaluate `m`: perplexity on `held_out` (tokenised), then `spec.n` samples for each of the
/// first prompts of `checkable` and `open`.
pub fn evaluate_model(
    m: &LoadedModel,
    held_out: &[Encoded],
    checkable: &[SftExample],
    open: &[SftExample],
    spec: &EvalSpec,
    ppl_seq_len: usize,
    dev: &Device,
) -> Result<EvalReport> {
    let perplexity = if held_out.is_empty() {
        None
    } else {
        Some(perplexity(&m.model, held_out, 8, ppl_seq_len)?)
    };
    let mut rng = Rng::new(spec.seed);
    let mut pools = |set: &[SftExample], max: usize| -> Result<Option<Pools>> {
        let set: Vec<SftExample> = set.iter().take(max).cloned().collect();
        if set.is_empty() || spec.n == 0 {
            return Ok(None);
        }
        let p = sample_responses(
            &m.model,
            m.tokenizer.as_ref(),
            &set,
            spec.n,
            &spec.sampling,
            &mut rng,
            dev,
        )?;
        Ok(Some((set, p)))
    };
    let chk = pools(checkable, spec.checkable_prompts)?;
    let opn = pools(open, spec.open_prompts)?;
    let mut samples = Vec::new();
    for (set, p) in chk.iter().chain(opn.iter()) {
        for (ex, pool) in set.iter().zip(p).take(2) {
            let prompt = ex
                .prompt_messages()
                .last()
                .map_or(String::new(), |m| m.content.clone());
            samples.push((prompt, pool.iter().take(4).cloned().collect()));
        }
    }
    Ok(EvalReport {
        samples,
        perplexity,
        diversity_open: opn.as_ref().map(|(_, p)| diversity(p)),
        diversity_checkable: chk.as_ref().map(|(_, p)| diversity(p)),
        pass: chk.as_ref().map(|(s, p)| pass_at(p, s)),
    })
}
