use super::input::{date_split, period_range};
use super::*;
use clap::{CommandFactory, Parser};
use optlab_portfolio::olps::OLPS_NAMES;
use optlab_portfolio::strategy::NAMES;
use optlab_portfolio::synth::{generate, SynthConfig};

#[derive(Debug, Parser)]
struct Top {
    #[command(flatten)]
    args: PortfolioArgs,
}

#[test]
fn help_has_examples_and_parses() {
    let mut cmd = Top::command();
    for sub in ["bl", "backtest", "train"] {
        let help = cmd
            .find_subcommand_mut(sub)
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("Example:"), "{sub}");
    }
    let t = Top::try_parse_from([
        "x",
        "backtest",
        "--strategy",
        "min_variance",
        "--cost-bps",
        "5",
        "--json",
    ])
    .unwrap();
    match t.args.command {
        PortfolioCommand::Backtest(b) => {
            assert!(b.json && b.cost_bps == 5.0 && b.strategy == "min_variance")
        }
        _ => panic!("wrong subcommand"),
    }
}

#[test]
fn periods_split_in_order() {
    let (a, b) = period_range(1000, 0.6, 0.2, "train").unwrap();
    let (c, d) = period_range(1000, 0.6, 0.2, "valid").unwrap();
    let (e, f) = period_range(1000, 0.6, 0.2, "test").unwrap();
    assert_eq!((a, b, c, d, e, f), (1, 600, 600, 800, 800, 1000));
    assert!(period_range(1000, 0.9, 0.2, "test").is_err());
    assert!(period_range(1000, 0.6, 0.2, "later").is_err());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("portfolio-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "date,A\n2020-01-01,1\n2020-01-01,2\n").unwrap();
    let t = Top::try_parse_from(["x", "backtest", "--prices", csv.to_str().unwrap()]).unwrap();
    let e = run(t.args).unwrap_err().to_string();
    assert!(e.contains("line 3"), "{e}");
    let t = Top::try_parse_from(["x", "bl", "--view", "NOPE=0.1"]).unwrap();
    assert!(run(t.args).is_err());
    let t = Top::try_parse_from(["x", "backtest", "--strategy", "nope"]).unwrap();
    assert!(run(t.args).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn train_runs_end_to_end_on_a_small_csv() {
    let t = generate(&SynthConfig {
        n_assets: 4,
        n_days: 600,
        seed: 2,
    });
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("portfolio-train");
    std::fs::create_dir_all(&dir).unwrap();
    let mut csv = format!("date,{}\n", t.tickers.join(","));
    for (d, r) in t.dates.iter().zip(&t.prices) {
        let cells: Vec<String> = r.iter().map(|p| p.to_string()).collect();
        csv.push_str(&format!("{d},{}\n", cells.join(",")));
    }
    let path = dir.join("p.csv");
    std::fs::write(&path, csv).unwrap();
    let out = dir.join("out");
    let args = [
        "x",
        "train",
        "--prices",
        path.to_str().unwrap(),
        "--seeds",
        "2",
        "--steps",
        "6",
        "--batch",
        "8",
        "--d-model",
        "8",
        "--layers",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    run(Top::try_parse_from(args).unwrap().args).unwrap();
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("train.json")).unwrap()).unwrap();
    // Two seeds and their mean for BDA and for the direct-weights twin, then the baselines.
    let names: Vec<&str> = j["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 6 + NAMES.len() + OLPS_NAMES.len());
    assert_eq!(names.last(), Some(&"olmar_daily"));
    let ew = j["exposure"]["equal_weight"].as_array().unwrap();
    assert!((ew[0].as_f64().unwrap() - 1.0).abs() < 1e-9);
    let bda = j["exposure"]["bda_seed0"].as_array().unwrap();
    assert!((bda[1].as_f64().unwrap() - 0.5).abs() < 1e-5);
    assert_eq!(&names[..3], ["bda_seed0", "bda_seed1", "bda_mean2"]);
    assert_eq!(names[5], "tf_direct_mean2");
    assert!(std::fs::read_to_string(out.join("equity.svg"))
        .unwrap()
        .starts_with("<svg"));
    let linear = [
        "x",
        "train",
        "--prices",
        path.to_str().unwrap(),
        "--seeds",
        "1",
        "--agent",
        "linear",
        "--epochs",
        "3",
        "--json",
    ];
    run(Top::try_parse_from(linear).unwrap().args).unwrap();
    let bad = [
        "x",
        "train",
        "--prices",
        path.to_str().unwrap(),
        "--agent",
        "ppo",
    ];
    let e = run(Top::try_parse_from(bad).unwrap().args)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown --agent"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn date_split_uses_last_trading_day_on_or_before_each_date() {
    let d: Vec<String> = [
        "2020-01-02",
        "2020-01-03",
        "2020-01-06",
        "2020-01-07",
        "2020-01-08",
        "2020-01-09",
        "2020-01-10",
        "2020-01-13",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (tr, va, te) = date_split(&d, "2020-01-02,2020-01-06,2020-01-08,2020-01-11").unwrap();
    assert_eq!((tr, va, te), ((1, 3), (3, 5), (5, 7)));
    let (_, _, te) = date_split(&d, "2019-12-01,2020-01-06,2020-01-09").unwrap();
    assert_eq!(te, (6, 8));
    for bad in [
        "2020-01-03,2020-01-02,2020-01-09",
        "2020-01-02,2020-01-06",
        "2020-01-02,2020-01-06,2020-01-07",
    ] {
        assert!(date_split(&d, bad).is_err(), "{bad}");
    }
}
