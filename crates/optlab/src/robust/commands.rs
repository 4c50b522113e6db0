//! The five `optlab robust` subcommands: each runs the library and prints its result as
//! text or JSON.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use candle_core::Device;
use optlab_core::rng::Rng;
use serde_json::json;

use super::args::{AttackCmdArgs, BenchArgs, BoundArgs, CommonArgs, SweepArgs, TrainArgs};
use crate::progress::Bars;

use super::data::load_data;
use super::report;
use optlab_robust::attack::{check_perturbation, fgsm, pgd, AttackConfig, Norm};
use optlab_robust::bounds::evaluate_bounds;
use optlab_robust::data::generated_shapes;
use optlab_robust::model::{Arch, Classifier, ModelKind, Net};
use optlab_robust::sweep::{sweep_svg, width_sweep};
use optlab_robust::train::{evaluate, margins, train, EpochLog, GapReport, TrainConfig};

/// Prints `value` as pretty JSON when `json`, else `text`.
fn print(json: bool, value: serde_json::Value, text: String) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{text}");
    }
    Ok(())
}

/// One JSON line per epoch's training loss, then the gap report.
fn write_metrics(path: &Path, logs: &[EpochLog], gap: &GapReport) -> anyhow::Result<()> {
    let mut f =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    for l in logs {
        writeln!(f, "{}", json!({"epoch": l.epoch, "train_loss": l.loss}))?;
    }
    writeln!(f, "{}", serde_json::to_string(gap)?)?;
    Ok(())
}

/// `train`: train clean or adversarially, report accuracies and gaps, optionally save.
pub(super) fn run_train(a: TrainArgs, dev: &Device) -> anyhow::Result<()> {
    let TrainArgs {
        model,
        width,
        depth,
        adv,
        epochs,
        batch,
        lr,
        common:
            CommonArgs {
                attack,
                data,
                seed,
                json,
            },
        out,
    } = a;
    let (tr, te) = load_data(&data)?;
    let arch = ModelKind::from(model).arch(&tr, width, depth)?;
    let net = Net::new(&arch, dev, seed)?;
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        net.save(&arch, &dir.join("init.safetensors"))?;
    }
    let acfg = attack.config();
    let cfg = TrainConfig {
        epochs,
        batch,
        lr,
        adversary: adv.then(|| acfg.clone()),
        seed,
        ..TrainConfig::default()
    };
    let start = Instant::now();
    let logs = train(&net, &tr, &cfg, dev, &Bars::new(json))?;
    let secs = start.elapsed().as_secs_f64();
    let gap = GapReport::new(
        evaluate(&net, &tr, &acfg, 256, seed, dev)?,
        evaluate(&net, &te, &acfg, 256, seed, dev)?,
    );
    if let Some(dir) = &out {
        net.save(&arch, &dir.join("model.safetensors"))?;
        write_metrics(&dir.join("metrics.jsonl"), &logs, &gap)?;
    }
    let text = format!(
        "{} training, {epochs} epochs in {secs:.1}s, final loss {:.4}\n\
         clean acc  train {:.4}  test {:.4}  gap {:.4}\n\
         robust acc train {:.4}  test {:.4}  gap {:.4}  ({:?} eps {})",
        if adv { "adversarial" } else { "clean" },
        logs.last().map_or(f64::NAN, |l| l.loss),
        gap.train.clean_acc,
        gap.test.clean_acc,
        gap.clean_gap,
        gap.train.robust_acc,
        gap.test.robust_acc,
        gap.robust_gap,
        acfg.norm,
        acfg.eps
    );
    let value = json!({"arch": arch, "adversarial": adv, "attack": acfg,
        "epochs": logs, "seconds": secs, "report": gap});
    print(json, value, text)
}

/// `attack`: PGD or FGSM on the test set of a saved network.
pub(super) fn run_attack(a: AttackCmdArgs, dev: &Device) -> anyhow::Result<()> {
    let AttackCmdArgs {
        weights,
        fgsm: single,
        common:
            CommonArgs {
                attack,
                data,
                seed,
                json,
            },
    } = a;
    let (net, _) = Net::load(&weights, dev)?;
    let (_, te) = load_data(&data)?;
    let acfg = if single {
        AttackConfig::fgsm(attack.norm.into(), attack.eps)
    } else {
        attack.config()
    };
    let mut rng = Rng::new(seed);
    let (mut clean, mut robust, mut worst) = (0usize, 0usize, 0f64);
    let start = Instant::now();
    let idx: Vec<usize> = (0..te.len()).collect();
    for chunk in idx.chunks(256) {
        let (x, y) = te.batch(chunk, dev)?;
        let adv = if single {
            fgsm(&net, &x, &y, acfg.norm, acfg.eps)?
        } else {
            pgd(&net, &x, &y, &acfg, &mut rng)?
        };
        worst = worst.max(check_perturbation(&x, &adv, &acfg, 1e-5)?);
        let correct = |t| -> anyhow::Result<usize> {
            let m = margins(&net, t, &y)?;
            Ok(m.iter().filter(|&&v| v > 0.0).count())
        };
        clean += correct(&x)?;
        robust += correct(&adv)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = te.len() as f64;
    let name = if single { "FGSM" } else { "PGD" };
    let text = format!(
        "{name} {:?} eps {} steps {} restarts {} on {} images: clean acc {:.4}, robust acc \
         {:.4}; largest perturbation {worst:.6} (inside the ball and [0,1]); {:.1} ex/s",
        acfg.norm,
        acfg.eps,
        acfg.steps,
        acfg.restarts,
        te.len(),
        clean as f64 / n,
        robust as f64 / n,
        n / secs
    );
    let value = json!({"attack": name, "config": acfg, "n": te.len(),
        "clean_acc": clean as f64 / n, "robust_acc": robust as f64 / n,
        "max_perturbation": worst, "examples_per_second": n / secs});
    print(json, value, text)
}

/// `bound`: every term of the bounds of a saved network on its training set.
pub(super) fn run_bound(a: BoundArgs, dev: &Device) -> anyhow::Result<()> {
    let BoundArgs {
        weights,
        reference,
        common:
            CommonArgs {
                attack,
                data,
                seed,
                json,
            },
    } = a;
    let (net, arch) = Net::load(&weights, dev)?;
    let refnet = match &reference {
        Some(p) => Some(Net::load(p, dev)?.0),
        None => None,
    };
    let (tr, _) = load_data(&data)?;
    let acfg = attack.config();
    let (r, eval) = evaluate_bounds(
        &net,
        refnet.as_ref().map(|n| n.store()),
        &arch.conv_inputs(),
        &tr,
        &acfg,
        attack.margin_quantile,
        seed,
        dev,
    )?;
    let text = report::bound_text(&arch, &r, &eval);
    let value = json!({"arch": arch, "attack": acfg, "bounds": r, "train_eval": eval});
    print(json, value, text)
}

/// `sweep`: the width experiment, as a table or JSON and optionally an SVG.
pub(super) fn run_sweep(a: SweepArgs, dev: &Device) -> anyhow::Result<()> {
    let SweepArgs {
        model,
        widths,
        epochs,
        common:
            CommonArgs {
                attack,
                data,
                seed,
                json,
            },
        svg,
    } = a;
    let (tr, te) = load_data(&data)?;
    let cfg = TrainConfig {
        epochs,
        seed,
        ..TrainConfig::default()
    };
    let rows = width_sweep(
        model.into(),
        &widths,
        &tr,
        &te,
        &attack.config(),
        &cfg,
        attack.margin_quantile,
        dev,
        &Bars::new(json),
    )?;
    if let Some(p) = &svg {
        std::fs::write(p, sweep_svg(&rows))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let text = report::sweep_text(&rows);
    print(json, json!({"rows": rows}), text)
}

/// `bench`: PGD-10 throughput on the small CNN.
pub(super) fn run_bench(a: BenchArgs, dev: &Device) -> anyhow::Result<()> {
    let BenchArgs {
        width,
        batch,
        side,
        reps,
        json,
    } = a;
    let arch = Arch::Cnn {
        side,
        width,
        classes: 10,
    };
    let net = Net::new(&arch, dev, 0)?;
    let data = generated_shapes(batch.max(1), side, 0.1, 5)?;
    let idx: Vec<usize> = (0..data.len()).collect();
    let (x, y) = data.batch(&idx, dev)?;
    let cfg = AttackConfig::pgd(Norm::Linf, 0.1, 10);
    let mut rng = Rng::new(0);
    pgd(&net, &x, &y, &cfg, &mut rng)?;
    let start = Instant::now();
    for _ in 0..reps.max(1) {
        pgd(&net, &x, &y, &cfg, &mut rng)?;
    }
    let eps = (reps.max(1) * data.len()) as f64 / start.elapsed().as_secs_f64();
    let params = net.store().num_elements();
    let text = format!(
        "PGD-10 on small CNN (width {width}, {side}x{side}, {params} params, batch {}): \
         {eps:.1} examples/s",
        data.len()
    );
    let value = json!({"bench": "pgd10_small_cnn", "width": width, "side": side,
        "batch": data.len(), "params": params, "examples_per_second": eps});
    print(json, value, text)
}
