use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use optlab_core::models::{Llama, LlamaConfig};
use optlab_core::tokenizer::ByteTokenizer;

use crate::attack::{attacker_model, ClosedInit};
use crate::combined::{load_public, load_split, split_in_memory};
use crate::customise::{clone_model, public_trainable};
use crate::data::{blocks, downstream_lines, encode_lines, task_lines};
use crate::finetune::{finetune, FinetuneConfig, Workdir};
use crate::metric::{choose_k, eval_loss, plan, rd_curve};
use crate::split::{layer_of, write_split, MANIFEST_FILE, PUBLIC_FILE};

fn small_cfg() -> LlamaConfig {
    let mut c = LlamaConfig::preset("tiny", 256).unwrap();
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.max_position_embeddings = 64;
    c
}

fn model(seed: u64) -> Llama {
    Llama::new(&small_cfg(), DType::F32, &Device::Cpu, seed).unwrap()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// AdamW as the command line builds it (optlab-optim is a dev-dependency only).
fn adamw(
    store: &optlab_core::params::ParamStore,
    weight_decay: f64,
) -> optlab_core::Result<Box<dyn optlab_core::train::TrainOptimizer>> {
    let cfg = optlab_optim::OptimConfig {
        weight_decay,
        ..optlab_optim::OptimConfig::default()
    };
    Ok(Box::new(optlab_optim::AdamW::new(store, cfg)?))
}

fn ids() -> Tensor {
    let v: Vec<u32> = (0..2 * 24).map(|i| (i * 37 % 256) as u32).collect();
    Tensor::from_vec(v, (2, 24), &Device::Cpu).unwrap()
}

fn bits(t: &Tensor) -> Vec<u32> {
    t.flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}

fn snapshot(m: &Llama) -> HashMap<String, Vec<u32>> {
    m.params()
        .tensors()
        .iter()
        .map(|(n, t)| (n.clone(), bits(t)))
        .collect()
}

#[test]
fn split_and_combine_reproduce_logits_bitwise_for_every_k() {
    let m = model(3);
    let want = bits(&m.forward(&ids()).unwrap());
    for k in 1..=4 {
        let semi = split_in_memory(&m, k, &Device::Cpu).unwrap();
        assert_eq!(bits(&semi.forward(&ids()).unwrap()), want, "k = {k}");
    }
    let tmp_dir = tmp();
    let dir = tmp_dir.path().to_path_buf();
    let man = write_split(&m, 2, None, &dir).unwrap();
    assert_eq!(man.closed.tensors.len(), 2 * 9);
    assert!(man.closed_fraction() > 0.0 && man.closed_fraction() < 1.0);
    let (_, semi) = load_split(&dir, &Device::Cpu).unwrap();
    assert_eq!(bits(&semi.forward(&ids()).unwrap()), want);
}

#[test]
fn k_out_of_range_is_a_clear_error() {
    let m = model(0);
    let err = write_split(&m, 5, None, tmp().path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot close 5 layers") && err.contains("4 decoder layers"),
        "{err}"
    );
    assert!(split_in_memory(&m, 0, &Device::Cpu).is_err());
}

fn expect_err(dir: &std::path::Path, needle: &str) {
    let err = match load_split(dir, &Device::Cpu) {
        Ok(_) => panic!("a tampered split loaded"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(needle), "`{needle}` not in: {err}");
}

#[test]
fn manifest_that_does_not_match_the_files_is_refused() {
    let m = model(1);
    let tmp_dir = tmp();
    let dir = tmp_dir.path().to_path_buf();
    write_split(&m, 1, None, &dir).unwrap();
    let manifest = dir.join(MANIFEST_FILE);
    let good = std::fs::read_to_string(&manifest).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        f(&mut v);
        std::fs::write(&manifest, v.to_string()).unwrap();
    };
    edit(&|v| v["public"]["tensors"][0]["shape"] = serde_json::json!([3, 3]));
    expect_err(&dir, "the manifest says [3, 3]");
    edit(&|v| {
        v["closed"]["tensors"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "model.layers.0.extra.weight", "shape": [1]}))
    });
    expect_err(&dir, "missing tensor `model.layers.0.extra.weight`");
    edit(&|v| {
        v["closed"]["tensors"].as_array_mut().unwrap().pop();
    });
    expect_err(&dir, "is not listed in the manifest");
    edit(&|v| v["closed_layers"] = serde_json::json!(9));
    expect_err(&dir, "cannot close 9 layers");
    edit(&|v| v["public"]["bytes"] = serde_json::json!(12));
    expect_err(&dir, "the manifest says 12");
    std::fs::write(&manifest, &good).unwrap();
    let public = dir.join(PUBLIC_FILE);
    let mut bytes = std::fs::read(&public).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&public, &bytes).unwrap();
    expect_err(&dir, "does not match the manifest's");
    std::fs::remove_file(&public).unwrap();
    expect_err(&dir, "public.safetensors");
}

#[test]
fn metric_takes_no_gradient_step_and_builds_no_optimizer() {
    let m = model(2);
    let before = snapshot(&m);
    let toks = encode_lines(&task_lines(5, 40), &ByteTokenizer).unwrap();
    let b = blocks(&toks, 2, 32, 2, &Device::Cpu).unwrap();
    let p = plan(&m, &b, &[7, 8, 9], 0.2).unwrap();
    assert_eq!(p.rows.len(), 4);
    assert_eq!(snapshot(&m), before, "the metric changed a parameter");
    // That the metric cannot train at all is a property of the crate's dependencies: it has
    // no optimizer (optlab-optim is a dev-dependency only) and `plan` takes none.
}

#[test]
fn rd_curve_is_the_hybrid_models_loss() {
    let (orig, rand) = (model(4), model(11));
    let toks = encode_lines(&task_lines(6, 30), &ByteTokenizer).unwrap();
    let b = blocks(&toks, 2, 32, 1, &Device::Cpu).unwrap();
    let curve = rd_curve(&orig, &rand, &b).unwrap();
    assert!((curve[0] - eval_loss(&orig, &b).unwrap()).abs() < 1e-6);
    // RD(k) equals the loss of an explicitly assembled hybrid model.
    let hybrid = clone_model(&orig).unwrap();
    let mut map = orig.params().tensors();
    for (n, t) in rand.params().tensors() {
        if layer_of(&n).is_some_and(|i| i < 2) {
            map.insert(n, t);
        }
    }
    hybrid
        .params()
        .assign(map, std::path::Path::new("x"))
        .unwrap();
    assert!((curve[2] - eval_loss(&hybrid, &b).unwrap()).abs() < 1e-5);
    // With the "random" model equal to the original every hybrid is the original.
    let same = rd_curve(&orig, &clone_model(&orig).unwrap(), &b).unwrap();
    assert!(same.iter().all(|r| (r - same[0]).abs() < 1e-5), "{same:?}");
}

#[test]
fn choose_k_is_the_smallest_k_within_tolerance() {
    assert_eq!(choose_k(&[3.0, 4.5, 4.6, 5.5], 5.5, 0.2), Some(3));
    assert_eq!(choose_k(&[3.0, 4.59, 4.6], 5.5, 0.2), Some(2));
    assert_eq!(choose_k(&[4.6, 5.0], 5.5, 0.2), Some(1));
    assert_eq!(choose_k(&[1.0, 2.0], 5.5, 0.2), None);
    assert_eq!(choose_k(&[3.0, 4.5], 5.5, 0.0), None);
}

#[test]
fn attacker_starts_from_public_tensors_and_replacement_layers() {
    let (orig, donor) = (model(5), model(6));
    let tmp_dir = tmp();
    let dir = tmp_dir.path().to_path_buf();
    write_split(&orig, 2, None, &dir).unwrap();
    let (_, public) = load_public(&dir, &Device::Cpu).unwrap();
    let fresh = model(13);
    for (init, src) in [
        (ClosedInit::Random(13), &fresh),
        (ClosedInit::Donor(&donor), &donor),
    ] {
        let a = snapshot(&attacker_model(&public, &init).unwrap());
        let (o, s) = (snapshot(&orig), snapshot(src));
        for (n, v) in &a {
            let closed = layer_of(n).is_some_and(|i| i < 2);
            assert_eq!(v, if closed { &s[n] } else { &o[n] }, "{n}");
        }
    }
}

#[test]
fn public_only_finetuning_leaves_the_closed_part_and_embeddings_untouched() {
    let m = model(7);
    let before = snapshot(&m);
    let toks = encode_lines(&downstream_lines(1, 40), &ByteTokenizer).unwrap();
    let cfg = FinetuneConfig {
        steps: 2,
        batch: 2,
        seq_len: 16,
        ..FinetuneConfig::default()
    };
    let names = public_trainable(&m, 2);
    assert!(!names.contains("model.embed_tokens.weight"));
    let work = tmp();
    let work = Workdir::temporary(work.path());
    finetune(&m, &toks, Some(names.clone()), &cfg, &adamw, work).unwrap();
    let after = snapshot(&m);
    for (n, v) in &after {
        assert_eq!(v == &before[n], !names.contains(n), "{n}");
    }
}

#[test]
fn downstream_task_facts_are_correct() {
    for l in downstream_lines(3, 200) {
        let w: Vec<&str> = l.trim_end().trim_end_matches('.').split(' ').collect();
        let (a, b): (usize, usize) = (w[0].parse().unwrap(), w[2].parse().unwrap_or(0));
        match w[1] {
            "times" => assert_eq!(a * b, w[4].parse::<usize>().unwrap(), "{l}"),
            _ => {
                let c: usize = w[4].parse().unwrap();
                assert_eq!(w[2] == "more", a > c, "{l}");
            }
        }
    }
    assert_eq!(task_lines(1, 17).len(), 17);
}

#[test]
fn closed_part_over_http_gives_the_same_logits_and_refuses_bad_ids() {
    use super::combined::{ClosedPart, SemiOpenModel};
    use super::serve::{serve, HttpClosedPart, Limits, ServeConfig};
    let m = model(8);
    let tmp_dir = tmp();
    let dir = tmp_dir.path().to_path_buf();
    write_split(&m, 2, None, &dir).unwrap();
    let (_, local) = load_split(&dir, &Device::Cpu).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::scope(|s| {
        let mut cfg = ServeConfig::new(256, Limits::derive(&small_cfg(), 2, 2, None, None));
        cfg.max_requests = Some(2);
        s.spawn(move || serve(&local.closed, listener, &cfg).unwrap());
        let (_, public) = load_public(&dir, &Device::Cpu).unwrap();
        let remote = SemiOpenModel {
            closed: HttpClosedPart::new(&addr, 2),
            public,
        };
        let want = bits(&m.forward(&ids()).unwrap());
        assert_eq!(bits(&remote.forward(&ids()).unwrap()), want);
        let bad = Tensor::from_vec(vec![3u32, 999], (1, 2), &Device::Cpu).unwrap();
        let err = format!("{:#}", remote.closed.hidden(&bad).unwrap_err());
        assert!(
            err.contains("token id 999 is outside the vocabulary"),
            "{err}"
        );
    });
}
