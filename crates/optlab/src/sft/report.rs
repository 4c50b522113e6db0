//! The markdown report of `optlab reproduce sft-gem`: setup, the sweep table and the verdict.

use std::fmt::Write as _;

use optlab_sft::experiment::{Study, SweepRow};

fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// The markdown table of `rows` (base model first when given).
fn table(rows: &[SweepRow]) -> String {
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

/// The study's report in markdown: setup, table, and best GEM against best CE.
pub(super) fn markdown(study: &Study) -> String {
    let (s, rows, verdict) = (&study.setup, &study.rows, &study.gem_vs_ce);
    let mut md = format!(
        "Tiny Llama ({} parameters) pre-trained {} steps on the embedded corpus (validation loss {}), fine-tuned {} steps (AdamW, beta2 0.95, batch 8 packed rows of {} tokens) on 2,000 embedded SFT examples; 200 held-out examples. Sampling: 16 per prompt, T 1.0, top-k 50, top-p 0.9; diversity on {} open-ended prompts, pass@k on {} held-out arithmetic problems. Bold: the loss's best learning rate by held-out perplexity. One seed.\n\n",
        s.parameters,
        s.pretrain_steps,
        f(study.pretrain_val_loss, 3),
        s.steps,
        s.seq_len,
        s.open_prompts,
        s.checkable_prompts,
    );
    md.push_str(&table(rows));
    md.push_str("\nBest GEM vs best CE:\n\n");
    for c in verdict {
        let _ = writeln!(
            md,
            "- {}: CE {:.4}, GEM {:.4} -> {}",
            c.metric,
            c.ce,
            c.gem,
            if c.gem_better {
                "GEM better"
            } else {
                "GEM not better"
            }
        );
    }
    md
}
