//! The semi-open experiment behind `optlab reproduce semiopen` and
//! `optlab semiopen experiment`: pre-train a small byte-level Llama on the embedded corpus
//! (cached), run the SCARA metric, attack every number of closed bottom layers over several
//! seeds, and compare public-only with fully open customisation on a downstream task.
//! [`run`] returns an [`ExperimentReport`]; the command line writes and prints it.

use std::path::Path;
use std::time::Instant;

use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{load_model_weights, save_model_weights, Llama, LlamaConfig};
use optlab_core::report::Reporter;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::{train_lm, CosineSchedule, TrainConfig};
use serde::Serialize;

use crate::customise::{customise_seeds, Customer, CustomiseOutcome};
use crate::data::{blocks, encode_lines, quality, task_lines, Quality};
use crate::error::{Context, Result, SemiopenError};
use crate::finetune::{FinetuneConfig, OptimizerFactory};
use crate::metric::{plan, Plan, DEFAULT_TAU};
use crate::sweep::{
    random_quality, run_one, summarise, AttackRow, AttackSummary, Closed, SweepSetup,
};

/// Settings of the experiment.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentConfig {
    /// Model preset (`tiny`, `mini`, `small`).
    pub size: String,
    /// Pre-training steps (sequences of 64 tokens).
    pub pretrain_steps: usize,
    /// Sequences per pre-training step.
    pub pretrain_batch: usize,
    /// Seeds for attacks, customisation and the metric's random initialisations.
    pub seeds: Vec<u64>,
    /// Attacker samples (lines of the task).
    pub samples: usize,
    /// Attack fine-tuning recipe.
    pub attack: FinetuneConfig,
    /// Also attack from a donor model's layers (a second pre-trained model).
    pub donor: bool,
    /// Downstream samples for customisation.
    pub custom_samples: usize,
    /// Customisation fine-tuning recipe.
    pub custom: FinetuneConfig,
}

impl ExperimentConfig {
    /// `quick` fits the reproduce budget (tiny model, short runs); the full preset
    /// pre-trains longer, gives the attacker more samples and steps, and adds donor attacks.
    pub fn preset(quick: bool) -> Self {
        let ft = |steps| FinetuneConfig {
            steps,
            ..FinetuneConfig::default()
        };
        if quick {
            Self {
                size: "tiny".into(),
                pretrain_steps: 200,
                pretrain_batch: 8,
                seeds: vec![0, 1, 2],
                samples: 64,
                attack: ft(30),
                donor: false,
                custom_samples: 64,
                custom: FinetuneConfig {
                    clip: 0.0,
                    ..ft(30)
                },
            }
        } else {
            Self {
                size: "tiny".into(),
                pretrain_steps: 300,
                pretrain_batch: 16,
                seeds: vec![0, 1, 2],
                samples: 128,
                attack: ft(60),
                donor: true,
                custom_samples: 128,
                custom: FinetuneConfig {
                    clip: 0.0,
                    ..ft(60)
                },
            }
        }
    }
}

/// Everything the experiment measured.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentReport {
    /// Settings.
    pub config: ExperimentConfig,
    /// The metric table and chosen `k`.
    pub plan: Plan,
    /// Held-out quality of the original and of a random model.
    pub original: Quality,
    /// Held-out quality of a random model.
    pub random: Quality,
    /// Every attack run.
    pub attacks: Vec<AttackRow>,
    /// Attack runs summarised over seeds.
    pub summary: Vec<AttackSummary>,
    /// Customisation at the chosen `k`, one per seed.
    pub customisation: Vec<CustomiseOutcome>,
    /// Whether attacks at the chosen `k` recovered no more than attacks on a model with all
    /// decoder layers closed (mean accuracy ratio within one pooled standard deviation).
    pub chosen_k_resists_like_all_layers: Option<bool>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Weight decay of the owner's pre-training.
const PRETRAIN_WEIGHT_DECAY: f64 = 0.1;

/// How long the owner (or donor) model pre-trains.
#[derive(Debug, Clone, Copy)]
pub struct Pretraining<'a> {
    /// Model preset.
    pub size: &'a str,
    /// Optimizer steps (sequences of 64 tokens).
    pub steps: usize,
    /// Sequences per step.
    pub batch: usize,
    /// Seed of the weights and batches.
    pub seed: u64,
}

/// Pre-train (or load the cached) owner model in `dir`, with the optimizer
/// `make_optimizer` builds.
pub fn pretrained(
    p: Pretraining<'_>,
    make_optimizer: &OptimizerFactory,
    dir: &Path,
    reporter: &dyn Reporter,
) -> Result<Llama> {
    let dev = Device::Cpu;
    if dir.join("model.safetensors").exists() {
        if let Ok(m) = load_model_weights(dir, &dev) {
            return Ok(m);
        }
    }
    let model = Llama::new(&LlamaConfig::preset(p.size, 256)?, DType::F32, &dev, p.seed)?;
    let corpus = generated_corpus(p.seed, 400_000);
    let data = TokenDataset::from_text(&corpus, &ByteTokenizer, 0.05)?;
    let mut opt = make_optimizer(model.params(), PRETRAIN_WEIGHT_DECAY)?;
    let base = TrainConfig::short(p.steps, p.batch, 64, 3e-3, dir.join("run"));
    let cfg = TrainConfig {
        schedule: CosineSchedule {
            warmup: 20,
            ..base.schedule
        },
        seed: p.seed,
        ..base
    };
    train_lm(&model, &data, opt.as_mut(), &cfg, reporter)
        .context("pre-training the owner model")?;
    let _ = std::fs::remove_dir_all(dir.join("run"));
    save_model_weights(&model, dir)?;
    Ok(model)
}

/// Run the experiment with the optimizer `make_optimizer` builds (pre-training, attacks,
/// customisation); the pre-trained models are cached in `out`, fine-tuning runs use
/// `out/work` (removed afterwards), and each phase is logged to `reporter`.
pub fn run(
    cfg: &ExperimentConfig,
    out: &Path,
    make_optimizer: &OptimizerFactory,
    reporter: &dyn Reporter,
) -> Result<ExperimentReport> {
    let started = Instant::now();
    let dev = Device::Cpu;
    let say = |m: &str| reporter.log(&format!("[{:>5.0}s] {m}", started.elapsed().as_secs_f64()));
    std::fs::create_dir_all(out).map_err(SemiopenError::io(out))?;
    let pretraining = |seed| Pretraining {
        size: &cfg.size,
        steps: cfg.pretrain_steps,
        batch: cfg.pretrain_batch,
        seed,
    };
    let cache = |tag: &str| {
        out.join(format!(
            "pretrained-{}-{}x{}-{tag}",
            cfg.size, cfg.pretrain_steps, cfg.pretrain_batch
        ))
    };
    say("pre-training (or loading) the owner model");
    let owner = pretrained(pretraining(0), make_optimizer, &cache("owner"), reporter)?;
    let donor = if cfg.donor {
        say("pre-training (or loading) the donor model");
        Some(pretrained(
            pretraining(1),
            make_optimizer,
            &cache("donor"),
            reporter,
        )?)
    } else {
        None
    };
    let tok = ByteTokenizer;
    let heldout_tokens = encode_lines(&task_lines(99, 600), &tok)?;
    let heldout = blocks(&heldout_tokens, 8, 64, 8, &dev)?;
    say("SCARA metric");
    let plan = plan(&owner, &heldout, &cfg.seeds, DEFAULT_TAU)?;
    let original = quality(|x| Ok(owner.forward(x)?), &heldout)?;
    let random = random_quality(&owner, &heldout, &cfg.seeds)?;
    let work = out.join("work");
    let setup = SweepSetup {
        tokenizer: &tok,
        heldout: &heldout,
        original,
        random,
        samples: cfg.samples,
        finetune: cfg.attack.clone(),
        optimizer: make_optimizer,
        work: &work,
    };
    let layers = owner.config().num_hidden_layers;
    let mut settings: Vec<Closed> = (1..=layers).map(Closed::Bottom).collect();
    settings.push(Closed::Everything);
    let mut attacks = Vec::new();
    for &c in &settings {
        say(&format!("attacks, {c:?}"));
        for &s in &cfg.seeds {
            attacks.push(run_one(&owner, c, None, s, &setup)?);
            if let (Some(d), Closed::Bottom(_)) = (&donor, c) {
                attacks.push(run_one(&owner, c, Some(d), s, &setup)?);
            }
        }
    }
    let summary = summarise(&attacks);
    let k = plan.chosen_k.unwrap_or(layers);
    say(&format!("customisation at k = {k}"));
    let customisation = customise_seeds(
        &owner,
        k,
        Customer {
            tokenizer: &tok,
            samples: cfg.custom_samples,
        },
        &cfg.seeds,
        &cfg.custom,
        make_optimizer,
        &work,
    )?;
    let _ = std::fs::remove_dir_all(&work);
    let resists = resists_like_all(&summary, k, layers);
    let report = ExperimentReport {
        config: cfg.clone(),
        plan,
        original,
        random,
        attacks,
        summary,
        customisation,
        chosen_k_resists_like_all_layers: resists,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(report)
}

/// Whether attacks at `k` recovered no more than with all `layers` closed (mean accuracy
/// ratio within one pooled standard deviation), from the random-init summaries.
pub fn resists_like_all(summary: &[AttackSummary], k: usize, layers: usize) -> Option<bool> {
    let find = |kk: usize| {
        summary
            .iter()
            .find(|s| s.closed == Closed::Bottom(kk) && s.init == "random")
    };
    let (at_k, all) = (find(k)?, find(layers)?);
    let pooled = ((at_k.accuracy_ratio.1.powi(2) + all.accuracy_ratio.1.powi(2)) / 2.0).sqrt();
    Some(at_k.accuracy_ratio.0 <= all.accuracy_ratio.0 + pooled)
}
