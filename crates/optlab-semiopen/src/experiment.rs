//! The semi-open experiment behind `optlab reproduce semiopen` and
//! `optlab semiopen experiment`: pre-train a small byte-level Llama on the embedded corpus
//! (cached), run the SCARA metric, attack every number of closed bottom layers over several
//! seeds, and compare public-only with fully open customisation on a downstream task.

use std::path::Path;
use std::time::Instant;

use crate::error::{Context, Result};
use candle_core::{DType, Device};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::{train_lm, AdamW, AdamWConfig, CosineSchedule, TrainConfig};
use serde::Serialize;

use crate::customise::{customise_seeds, customise_table, CustomiseOutcome};
use crate::data::{blocks, encode_lines, load_owner, quality, save_byte_model, task_lines};
use crate::finetune::FinetuneConfig;
use crate::metric::{plan, Plan, DEFAULT_TAU};
use crate::sweep::{
    attack_table, random_quality, run_one, summarise, AttackRow, AttackSummary, Closed, SweepSetup,
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
    pub original: super::data::Quality,
    /// Held-out quality of a random model.
    pub random: super::data::Quality,
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

/// Pre-train (or load the cached) owner model in `dir`.
pub fn pretrained(size: &str, steps: usize, batch: usize, seed: u64, dir: &Path) -> Result<Llama> {
    let dev = Device::Cpu;
    if dir.join("model.safetensors").exists() {
        if let Ok(m) = load_owner(Some(dir), None, &dev) {
            return Ok(m.model);
        }
    }
    let model = Llama::new(&LlamaConfig::preset(size, 256)?, DType::F32, &dev, seed)?;
    let data = TokenDataset::from_text(&generated_corpus(seed, 400_000), &ByteTokenizer, 0.05)?;
    let mut opt = AdamW::new(model.params(), AdamWConfig::default());
    let base = TrainConfig::short(steps, batch, 64, 3e-3, dir.join("run"));
    let cfg = TrainConfig {
        schedule: CosineSchedule {
            warmup: 20,
            ..base.schedule
        },
        seed,
        ..base
    };
    train_lm(&model, &data, &mut opt, &cfg, &optlab_core::report::Silent)
        .context("pre-training the owner model")?;
    let _ = std::fs::remove_dir_all(dir.join("run"));
    save_byte_model(&model, dir)?;
    Ok(model)
}

/// Run the experiment, writing `report.json` and `table.txt` into `out`.
pub fn run(cfg: &ExperimentConfig, out: &Path, log: bool) -> Result<ExperimentReport> {
    let started = Instant::now();
    let dev = Device::Cpu;
    let say = |m: &str| {
        if log {
            eprintln!("[{:>5.0}s] {m}", started.elapsed().as_secs_f64());
        }
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let cache = |tag: &str| {
        out.join(format!(
            "pretrained-{}-{}x{}-{tag}",
            cfg.size, cfg.pretrain_steps, cfg.pretrain_batch
        ))
    };
    say("pre-training (or loading) the owner model");
    let owner = pretrained(
        &cfg.size,
        cfg.pretrain_steps,
        cfg.pretrain_batch,
        0,
        &cache("owner"),
    )?;
    let donor = if cfg.donor {
        say("pre-training (or loading) the donor model");
        Some(pretrained(
            &cfg.size,
            cfg.pretrain_steps,
            cfg.pretrain_batch,
            1,
            &cache("donor"),
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
        &tok,
        cfg.custom_samples,
        &cfg.seeds,
        &cfg.custom,
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
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out.join("table.txt"), render(&report))?;
    Ok(report)
}

/// Entry point for `optlab reproduce`: runs the quick or full preset in `out/semiopen` and
/// returns the headline figures.
pub fn reproduce(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let dir = out.join("semiopen");
    let r = run(&ExperimentConfig::preset(quick), &dir, true)?;
    println!("{}", render(&r));
    let k = r.plan.chosen_k;
    Ok(serde_json::json!({
        "chosen_k": k,
        "layers": r.plan.num_layers,
        "closed_fraction": k.map(|k| r.plan.rows[k - 1].closed_fraction),
        "chosen_k_resists_like_all_layers": r.chosen_k_resists_like_all_layers,
        "summary": r.summary,
        "report": dir.join("report.json"),
        "seconds": r.seconds,
    }))
}

fn resists_like_all(summary: &[AttackSummary], k: usize, layers: usize) -> Option<bool> {
    let find = |kk: usize| {
        summary
            .iter()
            .find(|s| s.closed == Closed::Bottom(kk) && s.init == "random")
    };
    let (at_k, all) = (find(k)?, find(layers)?);
    let pooled = ((at_k.accuracy_ratio.1.powi(2) + all.accuracy_ratio.1.powi(2)) / 2.0).sqrt();
    Some(at_k.accuracy_ratio.0 <= all.accuracy_ratio.0 + pooled)
}

/// The report as text: metric table, attack table, customisation, verdict.
pub fn render(r: &ExperimentReport) -> String {
    let mut s = super::metric::plan_table(&r.plan);
    s += "\nrecovery attacks (held-out task data; acc ratio = recovered / original next-token accuracy)\n";
    s += &attack_table(&r.summary, r.original, r.random);
    s += "\ncustomisation on the downstream task (held-out loss / accuracy)\n";
    s += &customise_table(&r.customisation);
    s += &verdict(r);
    s
}

fn verdict(r: &ExperimentReport) -> String {
    let layers = r.plan.num_layers;
    let k = r.plan.chosen_k.unwrap_or(layers);
    let find = |kk: usize| {
        r.summary
            .iter()
            .find(|x| x.closed == Closed::Bottom(kk) && x.init == "random")
    };
    let head = match r.plan.chosen_k {
        Some(k) => format!("chosen k = {k} of {layers} layers"),
        None => format!("no k meets the rule; k = {layers} (all layers) used"),
    };
    match (find(k), find(layers)) {
        (Some(a), Some(b)) => format!(
            "\n{head}: {:.1}% of parameters closed (all layers: {:.1}%). Recovered accuracy ratio \
             {:.3} (sd {:.3}) at k = {k} vs {:.3} (sd {:.3}) with all {layers} layers closed: \
             the chosen k {} as well as closing all layers.\n",
            100.0 * a.closed_fraction,
            100.0 * b.closed_fraction,
            a.accuracy_ratio.0,
            a.accuracy_ratio.1,
            b.accuracy_ratio.0,
            b.accuracy_ratio.1,
            if r.chosen_k_resists_like_all_layers == Some(true) {
                "resisted"
            } else {
                "did not resist"
            }
        ),
        _ => format!("\n{head}\n"),
    }
}
