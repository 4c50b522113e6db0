//! The text `optlab semiopen` prints: the metric table, attack and customisation tables, and
//! the experiment's report with its verdict.

use optlab_semiopen::customise::CustomiseOutcome;
use optlab_semiopen::data::Quality;
use optlab_semiopen::experiment::ExperimentReport;
use optlab_semiopen::metric::Plan;
use optlab_semiopen::sweep::{AttackSummary, Closed};

/// The metric table as text.
pub(super) fn plan_table(p: &Plan) -> String {
    let mut s = format!(
        "SCARA metric (tau {}, {} random inits): RD(original) {:.3}, RD(random) {:.3}\n",
        p.tau,
        p.seeds.len(),
        p.rd_original,
        p.rd_random
    );
    s += "  k   RD(k) mean [min, max]     RD(k)*(1+tau)  qualifies  closed%\n";
    for r in &p.rows {
        s += &format!(
            "{:>3}   {:.3} [{:.3}, {:.3}]       {:.3}       {:<9}  {:.1}%\n",
            r.k,
            r.rd_mean,
            r.rd_min,
            r.rd_max,
            r.scaled,
            if r.qualifies { "yes" } else { "no" },
            100.0 * r.closed_fraction
        );
    }
    s += &match p.chosen_k {
        Some(k) => format!("chosen k = {k} of {} layers\n", p.num_layers),
        None => format!("no k in 1..={} meets the rule\n", p.num_layers),
    };
    s
}

/// Human-readable table of attack summaries.
pub(super) fn attack_table(rows: &[AttackSummary], original: Quality, random: Quality) -> String {
    let mut s = format!(
        "original: loss {:.3}, accuracy {:.3} | random model: loss {:.3}, accuracy {:.3}\n",
        original.loss, original.accuracy, random.loss, random.accuracy
    );
    s += "closed        init    runs  closed%   loss after (sd)   acc ratio (sd)   gap closed (sd)\n";
    for r in rows {
        let what = match r.closed {
            Closed::Bottom(k) => format!("bottom {k}"),
            Closed::Everything => "everything".into(),
        };
        s += &format!(
            "{what:<13} {:<7} {:>4}  {:>6.1}%   {:.3} ({:.3})     {:.3} ({:.3})    {:.3} ({:.3})\n",
            r.init,
            r.runs,
            100.0 * r.closed_fraction,
            r.loss.0,
            r.loss.1,
            r.accuracy_ratio.0,
            r.accuracy_ratio.1,
            r.loss_gap_closed.0,
            r.loss_gap_closed.1
        );
    }
    s
}

/// Customisation results as a text table.
pub(super) fn customise_table(rows: &[CustomiseOutcome]) -> String {
    let mut s = "seed  k  trainable%  before (loss/acc)  public-only      fully open\n".to_string();
    for c in rows {
        s += &format!(
            "{:<5} {:<2} {:>9.1}%  {:.3} / {:.3}      {:.3} / {:.3}    {:.3} / {:.3}\n",
            c.seed,
            c.k,
            100.0 * c.trainable_fraction,
            c.before.loss,
            c.before.accuracy,
            c.public_only.loss,
            c.public_only.accuracy,
            c.full.loss,
            c.full.accuracy
        );
    }
    s
}

/// The report as text: metric table, attack table, customisation, verdict.
pub(super) fn render(r: &ExperimentReport) -> String {
    let mut s = plan_table(&r.plan);
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
