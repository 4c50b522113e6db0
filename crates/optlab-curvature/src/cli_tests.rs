//! The curvature subcommands end to end on the small MLP.

use clap::Parser;

use super::{run, CurvatureArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: CurvatureArgs,
}

fn exec(line: &[&str]) -> anyhow::Result<()> {
    let argv = std::iter::once("curvature").chain(line.iter().copied());
    run(Cli::try_parse_from(argv)?.args)
}

#[test]
fn spectrum_writes_json_and_svg_for_every_block() {
    let dir = std::env::temp_dir().join(format!("optlab-curv-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    exec(&[
        "spectrum",
        "--model",
        "mlp",
        "--batch",
        "16",
        "--probes",
        "1",
        "--steps",
        "5",
        "--grid-points",
        "2000",
        "--whole",
        "--out",
        d,
        "--json",
    ])
    .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spectrum.json")).unwrap()).unwrap();
    let blocks = json["blocks"].as_array().unwrap();
    // Six tensors of the 64-32-32-10 MLP, then the whole model.
    assert_eq!(blocks.len(), 7);
    assert_eq!(blocks[6]["name"], "all");
    assert!(blocks
        .iter()
        .all(|b| b["top"].as_f64().unwrap().is_finite()));
    let svg = std::fs::read_to_string(dir.join("spectrum.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("layers.2.bias") && svg.contains("polyline"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn heterogeneity_and_errors() {
    exec(&[
        "heterogeneity",
        "--model",
        "mlp",
        "--batch",
        "8",
        "--probes",
        "1",
        "--steps",
        "4",
        "--grid-points",
        "500",
        "--json",
    ])
    .unwrap();
    let e = exec(&[
        "heterogeneity",
        "--model",
        "mlp",
        "--block",
        "layers.9.weight",
    ])
    .unwrap_err();
    assert!(
        e.to_string().contains("unknown block `layers.9.weight`"),
        "{e}"
    );
    let e = exec(&["spectrum", "--model", "cnn", "--probes", "0"]).unwrap_err();
    assert!(e.to_string().contains("at least 1 probe"), "{e}");
    let e = exec(&[
        "heterogeneity",
        "--model",
        "mlp",
        "--block",
        "layers.0.weight",
    ])
    .unwrap_err();
    assert!(e.to_string().contains("at least two blocks"), "{e}");
}
