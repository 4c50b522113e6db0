use super::*;
use clap::{CommandFactory, Parser};

#[derive(Debug, Parser)]
struct Top {
    #[command(flatten)]
    args: PortfolioArgs,
}

#[test]
fn help_has_examples_and_parses() {
    let mut cmd = Top::command();
    for sub in ["bl", "backtest"] {
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
    let dir = std::env::temp_dir().join(format!("optlab-portfolio-cli-{}", std::process::id()));
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
