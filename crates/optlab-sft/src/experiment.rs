//! The registered experiment `optlab reproduce sft-gem`: one small model pre-trained on the
//! embedded corpus, fine-tuned on the embedded SFT set with CE and with GEM at several
//! learning rates; each loss is represented by its best learning rate (lowest held-out
//! perplexity), and the table reports perplexity, diversity and pass@1..pass@16.
//!
//! [`run_study`] trains and evaluates (fine-tune run folders go under the folder it is
//! given) and returns a [`Study`]; the `optlab` command line writes and prints its report.

use std::path::Path;

use candle_core::Device;
use optlab_core::generate::SamplingConfig;
use optlab_core::models::LoadedModel;
use optlab_core::report::Reporter;
use serde::Serialize;

use crate::error::Result;
use crate::gen::{checkable, embedded_dataset, open};
use crate::loss::SftLoss;
use crate::pipeline::{encode_all, evaluate_model, finetune, EvalReport, EvalSpec, RunSpec};
use crate::pretrain::{pretrain_embedded, PretrainConfig};
use crate::template::{Encoded, SftExample};

/// One fine-tune of the sweep and its evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    /// Loss name.
    pub loss: String,
    /// Peak learning rate.
    pub lr: f64,
    /// Whether this is the loss's best learning rate.
    pub best: bool,
    /// Final training CE (nats/token).
    pub train_ce: f64,
    /// Evaluation.
    pub eval: EvalReport,
    /// Seconds spent fine-tuning.
    pub seconds: f64,
}

/// One metric of the best GEM run against the best CE run.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Metric name (`held-out perplexity`, `distinct-1`, `pass@4`, ...).
    pub metric: String,
    /// The CE run's value.
    pub ce: f64,
    /// The GEM run's value.
    pub gem: f64,
    /// Whether GEM's value is the better one.
    pub gem_better: bool,
}

/// Metric-by-metric comparison of the best GEM run against the best CE run.
pub fn verdict(ce: &SweepRow, gem: &SweepRow) -> Vec<Comparison> {
    let mut out = Vec::new();
    let mut add = |name: &str, a: Option<f64>, b: Option<f64>, higher_better: bool| {
        if let (Some(c), Some(g)) = (a, b) {
            out.push(Comparison {
                metric: name.to_string(),
                ce: c,
                gem: g,
                gem_better: if higher_better { g > c } else { g < c },
            });
        }
    };
    add(
        "held-out perplexity",
        ce.eval.perplexity.map(|p| p.ppl),
        gem.eval.perplexity.map(|p| p.ppl),
        false,
    );
    let (dc, dg) = (
        ce.eval.diversity_open.as_ref(),
        gem.eval.diversity_open.as_ref(),
    );
    for n in 0..3 {
        add(
            &format!("distinct-{}", n + 1),
            dc.map(|d| d.distinct[n]),
            dg.map(|d| d.distinct[n]),
            true,
        );
    }
    add(
        "3-gram entropy",
        dc.map(|d| d.entropy[2]),
        dg.map(|d| d.entropy[2]),
        true,
    );
    add(
        "self-BLEU",
        dc.map(|d| d.self_bleu),
        dg.map(|d| d.self_bleu),
        false,
    );
    if let (Some(pc), Some(pg)) = (&ce.eval.pass, &gem.eval.pass) {
        for ((k, c), (_, g)) in pc.pass.iter().zip(&pg.pass) {
            add(&format!("pass@{k}"), Some(*c), Some(*g), true);
        }
    }
    out
}

/// Sizes of the study: the quick run takes a few minutes in a release build.
struct Plan {
    pre_steps: usize,
    steps: usize,
    lrs: Vec<f64>,
    n_checkable: usize,
    n_open: usize,
    pre_batch: usize,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Plan {
                pre_steps: 120,
                steps: 80,
                lrs: vec![1e-3, 3e-3],
                n_checkable: 24,
                n_open: 12,
                pre_batch: 8,
            }
        } else {
            Plan {
                pre_steps: 400,
                steps: 200,
                lrs: vec![3e-4, 1e-3, 3e-3],
                n_checkable: 64,
                n_open: 32,
                pre_batch: 16,
            }
        }
    }
}

/// Longest row of the fine-tunes, in tokens.
const SEQ: usize = 192;

/// The sizes of a finished study.
#[derive(Debug, Clone, Serialize)]
pub struct StudySetup {
    /// Parameters of the base model.
    pub parameters: usize,
    /// Pre-training steps.
    pub pretrain_steps: usize,
    /// Fine-tuning steps.
    pub steps: usize,
    /// Longest fine-tuning row, in tokens.
    pub seq_len: usize,
    /// Open-ended prompts scored for diversity.
    pub open_prompts: usize,
    /// Held-out arithmetic problems scored for pass@k.
    pub checkable_prompts: usize,
}

/// The finished study.
#[derive(Debug, Clone, Serialize)]
pub struct Study {
    /// The base model, then every fine-tune (bold rows: each loss's best learning rate).
    pub rows: Vec<SweepRow>,
    /// Best GEM against best CE, metric by metric.
    pub gem_vs_ce: Vec<Comparison>,
    /// Final validation loss of the pre-training.
    pub pretrain_val_loss: Option<f64>,
    /// What was run, for the report's first paragraph.
    pub setup: StudySetup,
    /// Wall-clock seconds of the whole study.
    pub seconds: f64,
}

/// What the held-out evaluation of every model reads.
struct Held<'a> {
    encoded: &'a [Encoded],
    checkable: &'a [SftExample],
    open: &'a [SftExample],
    spec: &'a EvalSpec,
}

impl Held<'_> {
    fn evaluate(&self, m: &LoadedModel, dev: &Device) -> Result<EvalReport> {
        evaluate_model(
            m,
            self.encoded,
            self.checkable,
            self.open,
            self.spec,
            SEQ,
            dev,
        )
    }
}

fn eval_spec(plan: &Plan) -> EvalSpec {
    EvalSpec {
        n: 16,
        checkable_prompts: plan.n_checkable,
        open_prompts: plan.n_open,
        sampling: SamplingConfig {
            temperature: 1.0,
            top_k: 50,
            top_p: 0.9,
            max_new_tokens: 48,
            stop_ids: Vec::new(),
        },
        seed: 1,
    }
}

fn run_spec(loss: SftLoss, lr: f64, steps: usize) -> RunSpec {
    RunSpec {
        loss,
        optimizer: "adamw".into(),
        lr,
        weight_decay: 0.0,
        beta2: 0.95,
        steps,
        batch: 8,
        seq_len: SEQ,
        pack: true,
        warmup: steps / 10,
        clip: 1.0,
        val_every: 0,
        seed: 0,
    }
}

/// Fine-tune `base` with `loss` at every learning rate of the plan, marking the best
/// (lowest held-out perplexity) row.
fn sweep_loss(
    loss: SftLoss,
    ctx: (&LoadedModel, &[Encoded], &Held, &Plan),
    dir: &Path,
    dev: &Device,
    reporter: &dyn Reporter,
) -> Result<Vec<SweepRow>> {
    let (base, train, held, plan) = ctx;
    let mut rows = Vec::new();
    for &lr in &plan.lrs {
        let spec = run_spec(loss, lr, plan.steps);
        let t = std::time::Instant::now();
        let run_dir = dir.join(format!("{}-lr{lr:.0e}", loss.name()));
        let (m, s) = finetune(
            base,
            train,
            held.encoded,
            &spec,
            Some(&run_dir),
            dev,
            reporter,
        )?;
        let seconds = t.elapsed().as_secs_f64();
        rows.push(SweepRow {
            loss: loss.name(),
            lr,
            best: false,
            train_ce: s.final_train_ce,
            eval: held.evaluate(&m, dev)?,
            seconds,
        });
    }
    let ppl = |r: &SweepRow| r.eval.perplexity.map_or(f64::INFINITY, |p| p.ppl);
    if let Some(b) = (0..rows.len()).min_by(|&a, &b| ppl(&rows[a]).total_cmp(&ppl(&rows[b]))) {
        rows[b].best = true;
    }
    Ok(rows)
}

/// Run the study (`quick`: a few minutes in a release build); pre-training and fine-tune run
/// folders go under `dir`.
pub fn run_study(quick: bool, dir: &Path, reporter: &dyn Reporter) -> Result<Study> {
    let dev = Device::Cpu;
    let plan = Plan::new(quick);
    let pcfg = PretrainConfig {
        size: "tiny".into(),
        steps: plan.pre_steps,
        batch: plan.pre_batch,
        seq_len: 128,
        lr: 3e-3,
        seed: 0,
    };
    let started = std::time::Instant::now();
    let (base, pre_val) = pretrain_embedded(&pcfg, &dir.join("pretrain"), &dev, reporter)?;
    let (train_ex, held_ex) = embedded_dataset(0, 2000, 200);
    let (train, held) = (encode_all(&base, &train_ex)?, encode_all(&base, &held_ex)?);
    let (chk, opn, espec) = (checkable(&held_ex), open(&held_ex), eval_spec(&plan));
    let held = Held {
        encoded: &held,
        checkable: &chk,
        open: &opn,
        spec: &espec,
    };
    let mut rows = vec![SweepRow {
        loss: "base (no SFT)".into(),
        lr: 0.0,
        best: false,
        train_ce: f64::NAN,
        eval: held.evaluate(&base, &dev)?,
        seconds: 0.0,
    }];
    for loss in [SftLoss::CE, SftLoss::GEM] {
        rows.extend(sweep_loss(
            loss,
            (&base, &train, &held, &plan),
            dir,
            &dev,
            reporter,
        )?);
    }
    let best: Vec<&SweepRow> = rows.iter().filter(|r| r.best).collect();
    let gem_vs_ce = verdict(best[0], best[1]);
    let setup = StudySetup {
        parameters: base.model.params().num_elements(),
        pretrain_steps: plan.pre_steps,
        steps: plan.steps,
        seq_len: SEQ,
        open_prompts: opn.len().min(plan.n_open),
        checkable_prompts: chk.len().min(plan.n_checkable),
    };
    Ok(Study {
        rows,
        gem_vs_ce,
        pretrain_val_loss: pre_val,
        setup,
        seconds: started.elapsed().as_secs_f64(),
    })
}
