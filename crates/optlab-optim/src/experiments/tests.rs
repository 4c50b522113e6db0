use candle_core::Device;

use super::*;

fn short_run() -> RunOptions {
    RunOptions {
        optimizer: "adamw".into(),
        lr: 3e-3,
        weight_decay: 0.1,
        beta2: 0.999,
        mini_whole_value: false,
        steps: 4,
        batch: 2,
        seq_len: 16,
        eval_every: 2,
        val_batches: 1,
        clip: 1.0,
        seed: 3,
    }
}

#[test]
fn pretrain_sweep_picks_each_optimizers_lowest_validation_loss() {
    let opts = PretrainOptions {
        size: "tiny".into(),
        sweep: vec![
            ("adamw".into(), vec![1e-4, 3e-3]),
            ("adam-mini".into(), vec![3e-3]),
        ],
        run: short_run(),
        corpus_bytes: 20_000,
        init_seed: 1,
        out: None,
    };
    let r = pretrain_comparison(&opts, &Device::Cpu, &optlab_core::report::Silent).unwrap();
    assert_eq!(r.runs.len(), 3);
    let (_, b) = &r.best[0];
    let lowest = r.runs[..2]
        .iter()
        .map(|x| x.best_val)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(r.runs[*b].best_val, lowest);
    assert_eq!(r.runs[0].val_curve.len(), 2);
    assert!(r.runs[2].state_bytes * 100 < r.runs[0].state_bytes * 51);
    assert_eq!(r.relative_to_adamw[0].1, 1.0);
    let svg = pretrain::pretrain_svg(&r);
    assert_eq!(svg.matches("<polyline").count(), 4);
}

#[test]
fn forgetting_measures_movement_from_the_same_pre_trained_weights() {
    let opts = ForgettingOptions {
        size: "tiny".into(),
        pretrain: short_run(),
        finetune: short_run(),
        optimizers: vec!["adamw".into(), "mofo".into()],
        finetune_lrs: vec![1e-3],
        corpus_bytes: 20_000,
        seed: 2,
        out: None,
    };
    let r = forgetting(&opts, &Device::Cpu).unwrap();
    assert_eq!(r.rows.len(), 2);
    for row in &r.rows {
        assert!(row.l2_distance > 0.0 && row.a_rise.is_finite());
        assert!((row.a_loss - r.a_loss_pretrained - row.a_rise).abs() < 1e-12);
    }
    // MoFO changes only the top-momentum fraction of each block per step: it moves less.
    assert!(r.rows[1].l2_distance < r.rows[0].l2_distance);
    assert_eq!(r.best.len(), 2);
}

#[test]
fn corpus_b_is_deterministic_and_unlike_corpus_a() {
    let b = corpus_b(0, 2_000);
    assert_eq!(b, corpus_b(0, 2_000));
    assert!(b.contains(" times ") && !b.contains(" plus "));
    assert!(!optlab_core::data::generated_corpus(0, 2_000).contains(" times "));
}

#[test]
fn a_run_rejects_empty_settings() {
    let data = optlab_core::data::TokenDataset::from_text(
        &corpus_b(0, 5_000),
        &optlab_core::tokenizer::ByteTokenizer,
        0.1,
    )
    .unwrap();
    let cfg = optlab_core::models::LlamaConfig::preset("tiny", 256).unwrap();
    let m =
        optlab_core::models::Llama::new(&cfg, candle_core::DType::F32, &Device::Cpu, 0).unwrap();
    let bad = RunOptions {
        steps: 0,
        ..short_run()
    };
    assert!(train_run(&m, &data, &bad, &Device::Cpu).is_err());
}

fn fake_run(optimizer: &str, lr: f64, best_val: f64) -> RunResult {
    RunResult {
        optimizer: optimizer.into(),
        lr,
        train_curve: vec![(1, 3.0)],
        val_curve: vec![(1, best_val)],
        best_val,
        state_bytes: 8,
        seconds: 1.0,
        diverged: !best_val.is_finite(),
    }
}

#[test]
fn merged_reports_pick_the_best_run_across_files_and_survive_diverged_runs() {
    let a = PretrainReport::from_runs(
        "tiny".into(),
        10,
        vec![
            fake_run("adamw", 1e-3, 2.0),
            fake_run("adamw", 1e-2, f64::INFINITY),
        ],
    );
    let b = PretrainReport::from_runs(
        "tiny".into(),
        10,
        vec![
            fake_run("adam-mini", 1e-3, 2.2),
            fake_run("adam-mini", 3e-3, 2.1),
        ],
    );
    // Through JSON, as the CLI reads them: a diverged run's infinite loss is written as null.
    let back = |r: &PretrainReport| -> PretrainReport {
        serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap()
    };
    let m = PretrainReport::merge(vec![back(&a), back(&b)]).unwrap();
    assert_eq!(m.runs.len(), 4);
    assert!(m.runs[1].best_val.is_infinite());
    assert_eq!(m.best, vec![("adamw".into(), 0), ("adam-mini".into(), 3)]);
    assert!((m.relative_to_adamw[1].1 - 1.05).abs() < 1e-12);
    let other = PretrainReport::from_runs("small".into(), 99, vec![fake_run("adam", 1e-3, 2.0)]);
    assert!(PretrainReport::merge(vec![a, other]).is_err());
    assert!(PretrainReport::merge(Vec::new()).is_err());
}
