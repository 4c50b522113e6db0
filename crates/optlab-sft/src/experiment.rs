//! The registered experiment `optlab reproduce sft-gem`: one small model pre-trained on the
//! embedded corpus, fine-tuned on the embedded SFT set with CE and with GEM at several
//! learning rates; each loss is represented by its best learning rate (lowest held-out
//! perplexity), and the table reports perplexity, diversity and pass@1..pass@16.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use candle_core::Device;
use optlab_core::generate::SamplingConfig;
use serde::Serialize;

use super::gen::{checkable, embedded_dataset, open};
use super::loss::SftLoss;
use super::model_io::{pretrain_embedded, PretrainConfig};
use super::pipeline::{encode_all, evaluate_model, finetune, EvalReport, EvalSpec, RunSpec};

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

fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// The markdown table of `rows` (base model first when given).
pub fn table(rows: &[SweepRow]) -> String {
    let ks = [1, 2, 4, 8, 16];
    let mut s = String::from("| run | lr | held-out ppl | distinct-1 | distinct-2 | distinct-3 | 3-gram entropy | self-BLEU |");
    for k in ks {
        let _ = write!(s, " pass@{k} |");
    }
    s.push_str("\n|---|---|---|---|---|---|---|---|");
    s.push_str(&"---|".repeat(ks.len()));
    s.push('\n');
    for r in rows {
        let d = r.eval.diversity_open.as_ref();
        let name = if r.best {
            format!("**{}**", r.loss)
        } else {
            r.loss.clone()
        };
        let lr = if r.lr > 0.0 {
            format!("{:.0e}", r.lr)
        } else {
            "-".into()
        };
        let _ = write!(
            s,
            "| {name} | {lr} | {} | {} | {} | {} | {} | {} |",
            f(r.eval.perplexity.map(|p| p.ppl), 3),
            f(d.map(|d| d.distinct[0]), 3),
            f(d.map(|d| d.distinct[1]), 3),
            f(d.map(|d| d.distinct[2]), 3),
            f(d.map(|d| d.entropy[2]), 3),
            f(d.map(|d| d.self_bleu), 1),
        );
        for k in ks {
            let v = r
                .eval
                .pass
                .as_ref()
                .and_then(|p| p.pass.iter().find(|x| x.0 == k).map(|x| x.1));
            let _ = write!(s, " {} |", f(v, 3));
        }
        s.push('\n');
    }
    s
}

/// Metric-by-metric comparison of the best GEM run against the best CE run.
pub fn verdict(ce: &SweepRow, gem: &SweepRow) -> Vec<(String, f64, f64, bool)> {
    let mut out = Vec::new();
    let mut add = |name: &str, a: Option<f64>, b: Option<f64>, higher_better: bool| {
        if let (Some(c), Some(g)) = (a, b) {
            out.push((
                name.to_string(),
                c,
                g,
                if higher_better { g > c } else { g < c },
            ));
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

/// Run the experiment (`quick`: a few minutes in a release build) and write `table.md` and
/// `results.json` under `out/sft-gem`.
pub fn reproduce(quick: bool, out: &Path) -> Result<serde_json::Value> {
    let dev = Device::Cpu;
    let dir = out.join("sft-gem");
    std::fs::create_dir_all(&dir)?;
    let (pre_steps, steps, lrs, n_chk, n_open) = if quick {
        (120, 80, vec![1e-3, 3e-3], 24, 12)
    } else {
        (400, 200, vec![3e-4, 1e-3, 3e-3], 64, 32)
    };
    let pcfg = PretrainConfig {
        size: "tiny".into(),
        steps: pre_steps,
        batch: if quick { 8 } else { 16 },
        seq_len: 128,
        lr: 3e-3,
        seed: 0,
    };
    let started = std::time::Instant::now();
    let (base, pre_val) = pretrain_embedded(&pcfg, &dir.join("pretrain"), &dev)?;
    let (train_ex, held_ex) = embedded_dataset(0, 2000, 200);
    let (train, held) = (encode_all(&base, &train_ex)?, encode_all(&base, &held_ex)?);
    let (chk, opn) = (checkable(&held_ex), open(&held_ex));
    let espec = EvalSpec {
        n: 16,
        checkable_prompts: n_chk,
        open_prompts: n_open,
        sampling: SamplingConfig {
            temperature: 1.0,
            top_k: 50,
            top_p: 0.9,
            max_new_tokens: 48,
            stop_ids: Vec::new(),
        },
        seed: 1,
    };
    let seq = 192;
    let mut rows = vec![SweepRow {
        loss: "base (no SFT)".into(),
        lr: 0.0,
        best: false,
        train_ce: f64::NAN,
        eval: evaluate_model(&base, &held, &chk, &opn, &espec, seq, &dev)?,
        seconds: 0.0,
    }];
    for loss in [SftLoss::CE, SftLoss::GEM] {
        let first = rows.len();
        for &lr in &lrs {
            let spec = RunSpec {
                loss,
                optimizer: "adamw".into(),
                lr,
                weight_decay: 0.0,
                beta2: 0.95,
                steps,
                batch: 8,
                seq_len: seq,
                pack: true,
                warmup: steps / 10,
                clip: 1.0,
                val_every: 0,
                seed: 0,
            };
            let t = std::time::Instant::now();
            let run_dir = dir.join(format!("{}-lr{lr:.0e}", loss.name()));
            let (m, s) = finetune(&base, &train, &held, &spec, Some(&run_dir), false, &dev)?;
            let seconds = t.elapsed().as_secs_f64();
            let eval = evaluate_model(&m, &held, &chk, &opn, &espec, seq, &dev)?;
            rows.push(SweepRow {
                loss: loss.name(),
                lr,
                best: false,
                train_ce: s.final_train_ce,
                eval,
                seconds,
            });
        }
        let ppl = |r: &SweepRow| r.eval.perplexity.map_or(f64::INFINITY, |p| p.ppl);
        let best = (first..rows.len()).min_by(|&a, &b| ppl(&rows[a]).total_cmp(&ppl(&rows[b])));
        if let Some(b) = best {
            rows[b].best = true;
        }
    }
    let best: Vec<&SweepRow> = rows.iter().filter(|r| r.best).collect();
    let v = verdict(best[0], best[1]);
    let mut md = format!(
        "Tiny Llama ({} parameters) pre-trained {pre_steps} steps on the embedded corpus (validation loss {}), fine-tuned {steps} steps (AdamW, beta2 0.95, batch 8 packed rows of {seq} tokens) on 2,000 embedded SFT examples; 200 held-out examples. Sampling: 16 per prompt, T 1.0, top-k 50, top-p 0.9; diversity on {} open-ended prompts, pass@k on {} held-out arithmetic problems. Bold: the loss's best learning rate by held-out perplexity. One seed.\n\n",
        base.model.params().num_elements(),
        f(pre_val, 3),
        opn.len().min(n_open),
        chk.len().min(n_chk),
    );
    md.push_str(&table(&rows));
    md.push_str("\nBest GEM vs best CE:\n\n");
    for (name, c, g, won) in &v {
        let _ = writeln!(
            md,
            "- {name}: CE {c:.4}, GEM {g:.4} -> {}",
            if *won { "GEM better" } else { "GEM not better" }
        );
    }
    std::fs::write(dir.join("table.md"), &md)?;
    let result = serde_json::json!({
        "table": dir.join("table.md"), "seconds": started.elapsed().as_secs_f64(),
        "pretrain_val_loss": pre_val, "rows": rows,
        "gem_vs_ce": v.iter().map(|(n, c, g, w)| serde_json::json!({"metric": n, "ce": c, "gem": g, "gem_better": w})).collect::<Vec<_>>(),
    });
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&result)?,
    )?;
    eprintln!("{md}");
    Ok(serde_json::json!({
        "table": dir.join("table.md"), "seconds": started.elapsed().as_secs_f64(),
        "gem_better_on": v.iter().filter(|x| x.3).map(|x| x.0.clone()).collect::<Vec<_>>(),
        "gem_not_better_on": v.iter().filter(|x| !x.3).map(|x| x.0.clone()).collect::<Vec<_>>(),
    }))
}
