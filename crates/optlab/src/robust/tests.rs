use super::*;
use clap::{CommandFactory, Parser};

#[derive(Parser, Debug)]
struct Top {
    #[command(flatten)]
    args: RobustArgs,
}

fn parse(argv: &[&str]) -> RobustArgs {
    Top::try_parse_from(std::iter::once("robust").chain(argv.iter().copied()))
        .unwrap()
        .args
}

#[test]
fn help_texts_carry_examples() {
    let mut cmd = Top::command();
    let top = cmd.render_long_help().to_string();
    assert!(top.contains("optlab robust train"), "{top}");
    for sub in ["train", "attack", "bound", "sweep", "bench"] {
        let help = cmd
            .find_subcommand_mut(sub)
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(
            help.contains(&format!("optlab robust {sub}")),
            "{sub}: {help}"
        );
        assert!(help.contains("--json"), "{sub}");
    }
}

#[test]
fn train_attack_bound_round_trip_through_saved_files() {
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("robust-cli");
    let out = dir.to_str().unwrap();
    let data = ["--n-train", "60", "--n-test", "30", "--side", "8"];
    let mut argv = vec![
        "train", "--width", "8", "--adv", "--epochs", "2", "--steps", "2",
    ];
    argv.extend(data);
    argv.extend(["--out", out, "--json"]);
    run(parse(&argv)).unwrap();
    assert!(dir.join("model.safetensors.json").is_file());
    let metrics = std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 3);
    let weights = dir.join("model.safetensors");
    let w = weights.to_str().unwrap();
    let init = dir.join("init.safetensors");
    for extra in [
        vec!["attack", "--weights", w],
        vec!["attack", "--weights", w, "--fgsm"],
    ] {
        let mut a = extra;
        a.extend(data);
        a.extend(["--norm", "l2", "--eps", "0.3"]);
        run(parse(&a)).unwrap();
    }
    let mut b = vec![
        "bound",
        "--weights",
        w,
        "--reference",
        init.to_str().unwrap(),
    ];
    b.extend(data);
    run(parse(&b)).unwrap();
    let mut cnn = vec!["train", "--model", "cnn", "--width", "2", "--epochs", "1"];
    cnn.extend(data);
    run(parse(&cnn)).unwrap();
    run(parse(&[
        "bench", "--width", "2", "--batch", "4", "--side", "8", "--reps", "1",
    ]))
    .unwrap();
    let svg = dir.join("s.svg");
    let mut sw = vec![
        "sweep",
        "--widths",
        "4,8",
        "--epochs",
        "1",
        "--svg",
        svg.to_str().unwrap(),
    ];
    sw.extend(data);
    run(parse(&sw)).unwrap();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_inputs_fail_with_a_cause() {
    let e = run(parse(&[
        "attack",
        "--weights",
        "/nonexistent/m.safetensors",
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
    let e = run(parse(&[
        "train",
        "--idx-dir",
        "/nonexistent",
        "--epochs",
        "1",
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("train-images-idx3-ubyte"), "{e}");
    let e = run(parse(&["train", "--n-train", "0"])).unwrap_err();
    assert!(e.to_string().contains("positive"), "{e}");
}
