//! The curvature subcommands end to end on the small MLP (and a tiny model folder).

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
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("curv");
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

#[test]
fn spectrum_of_a_model_folder_and_a_clear_error_for_a_missing_one() {
    use optlab_core::models::{save_model_dir, Llama, LlamaConfig};
    use optlab_core::tokenizer::word_level_tokenizer_json;
    let dir_tmp = tempfile::tempdir().unwrap();
    let dir = dir_tmp.path().join("curv-dir");
    let words = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran"];
    let mut cfg = LlamaConfig::preset("tiny", words.len() + 1).unwrap();
    cfg.hidden_size = 32;
    cfg.intermediate_size = 64;
    cfg.num_hidden_layers = 1;
    let m = Llama::new(&cfg, candle_core::DType::F32, &candle_core::Device::Cpu, 3).unwrap();
    save_model_dir(&m, &word_level_tokenizer_json(&words), &dir).unwrap();
    let text = dir.join("corpus.txt");
    std::fs::write(&text, "the cat sat on the mat a dog ran ".repeat(40)).unwrap();
    let (d, t) = (dir.to_str().unwrap(), text.to_str().unwrap());
    let out = dir.join("out");
    exec(&[
        "spectrum",
        "--model-dir",
        d,
        "--text",
        t,
        "--batch",
        "2",
        "--probes",
        "1",
        "--steps",
        "4",
        "--grid-points",
        "500",
        "--block",
        "model.layers.0.mlp.up_proj.weight",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ])
    .unwrap();
    let json = std::fs::read_to_string(out.join("spectrum.json")).unwrap();
    assert!(json.contains("model.layers.0.mlp.up_proj.weight") && json.contains(d));
    let missing = dir.join("nope");
    let e = exec(&["blocks", "--model-dir", missing.to_str().unwrap()]).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
