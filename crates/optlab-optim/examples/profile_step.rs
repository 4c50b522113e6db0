//! Time the phases of one tiny training step (forward, loss, backward, AdamW) and a few
//! isolated pieces, to see where a step's time goes. `cargo run --release -p optlab-optim
//! --example profile_step -- [tiny|small] [batch] [seq]`.

use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor};
use optlab_core::data::{generated_corpus, TokenDataset};
use optlab_core::models::{lm_loss, Llama, LlamaConfig};
use optlab_core::rng::Rng;
use optlab_core::tokenizer::ByteTokenizer;
use optlab_core::train::{named_grads, TrainOptimizer};
use optlab_optim::{AdamW, OptimConfig};

fn time<T>(label: &str, reps: usize, mut f: impl FnMut() -> T) -> T {
    let mut out = f();
    let t0 = Instant::now();
    for _ in 0..reps {
        out = f();
    }
    let ms = t0.elapsed().as_secs_f64() * 1e3 / reps as f64;
    println!("{label:<40} {ms:9.2} ms");
    out
}

/// The training loop's AdamW setting: PyTorch betas and epsilon, weight decay 0.1.
fn adamw_config() -> OptimConfig {
    OptimConfig {
        weight_decay: 0.1,
        ..OptimConfig::default()
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let size = args.get(1).map_or("tiny", |s| s.as_str());
    let batch: usize = args.get(2).map_or(Ok(16), |s| s.parse())?;
    let seq: usize = args.get(3).map_or(Ok(128), |s| s.parse())?;
    let dev = Device::Cpu;
    let cfg = LlamaConfig::preset(size, 256)?;
    if args.get(4).map(String::as_str) == Some("compare") {
        return compare(&cfg, batch, seq);
    }
    let m = Llama::new(&cfg, DType::F32, &dev, 0)?;
    let data = TokenDataset::from_text(&generated_corpus(0, 200_000), &ByteTokenizer, 0.1)?;
    let (x, y) = data.train_batch(&mut Rng::new(0), batch, seq, &dev)?;
    let reps = 5;
    let logits = time("forward", reps, || m.forward(&x).unwrap());
    time("loss", reps, || lm_loss(&logits, &y).unwrap());
    time("forward+loss+backward", reps, || {
        lm_loss(&m.forward(&x).unwrap(), &y)
            .unwrap()
            .backward()
            .unwrap()
    });
    let grads = lm_loss(&m.forward(&x)?, &y)?.backward()?;
    let g = named_grads(m.params(), &grads);
    let mut opt = AdamW::new(m.params(), adamw_config())?;
    time("adamw step", reps, || opt.step(&g, 1e-3).unwrap());
    let h = m.embed_tokens(&x)?;
    time("embed", reps, || m.embed_tokens(&x).unwrap());
    time("one layer fwd", reps, || m.run_layers(&h, 0..1).unwrap());
    time("one layer fwd+bwd", reps, || {
        let v = candle_core::Var::from_tensor(&h).unwrap();
        m.run_layers(v.as_tensor(), 0..1)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap()
    });
    let n = cfg.num_hidden_layers;
    time("all layers fwd+bwd", 2, || {
        let v = candle_core::Var::from_tensor(&h).unwrap();
        m.run_layers(v.as_tensor(), 0..n)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap()
    });
    time("final norm + head + loss fwd+bwd", reps, || {
        let v = candle_core::Var::from_tensor(&h).unwrap();
        lm_loss(&m.logits_from_hidden(v.as_tensor()).unwrap(), &y)
            .unwrap()
            .backward()
            .unwrap()
    });
    time("embed fwd+bwd", reps, || {
        m.embed_tokens(&x)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap()
    });
    let hid = cfg.hidden_size;
    let a = Tensor::randn(0f32, 1.0, (batch * seq, hid), &dev)?;
    let w = Tensor::randn(0f32, 1.0, (cfg.intermediate_size, hid), &dev)?;
    let flops = 2.0 * (batch * seq * hid * cfg.intermediate_size) as f64;
    let t0 = Instant::now();
    for _ in 0..10 {
        a.matmul(&w.t()?)?;
    }
    let s = t0.elapsed().as_secs_f64() / 10.0;
    println!(
        "matmul [{}x{hid}]x[{hid}x{}]: {:.1} GFLOP/s",
        batch * seq,
        cfg.intermediate_size,
        flops / s / 1e9
    );
    let lv = Tensor::randn(0f32, 1.0, (batch * seq, 256), &dev)?;
    let yy = y.flatten_all()?;
    time("cross-entropy fwd+bwd [N,256]", reps, || {
        let v = candle_core::Var::from_tensor(&lv).unwrap();
        candle_nn::loss::cross_entropy(v.as_tensor(), &yy)
            .unwrap()
            .backward()
            .unwrap()
    });
    ops_breakdown(batch, seq, &cfg)?;
    Ok(())
}

fn compare(cfg: &LlamaConfig, batch: usize, seq: usize) -> anyhow::Result<()> {
    use optlab_core::ops::OpsMode;
    let dev = Device::Cpu;
    let data = TokenDataset::from_text(&generated_corpus(0, 200_000), &ByteTokenizer, 0.1)?;
    let (x, y) = data.train_batch(&mut Rng::new(0), batch, seq, &dev)?;
    let mut ms = Vec::new();
    for round in 0..3 {
        for ops in [OpsMode::Fused, OpsMode::Basic] {
            let m = Llama::new(cfg, DType::F32, &dev, 0)?.with_ops(ops);
            let mut opt = AdamW::new(m.params(), adamw_config())?;
            let t0 = Instant::now();
            for _ in 0..3 {
                let g = lm_loss(&m.forward(&x)?, &y)?.backward()?;
                opt.step(&named_grads(m.params(), &g), 1e-3)?;
            }
            let t = t0.elapsed().as_secs_f64() * 1e3 / 3.0;
            println!("round {round} {ops:?}: {t:.1} ms/step");
            ms.push((ops, t));
        }
    }
    Ok(())
}

fn fwd_bwd(label: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Tensor) {
    time(label, 5, || {
        let vars: Vec<_> = inputs
            .iter()
            .map(|t| candle_core::Var::from_tensor(t).unwrap())
            .collect();
        let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        f(&ts).sum_all().unwrap().backward().unwrap()
    });
}

fn ops_breakdown(b: usize, t: usize, cfg: &LlamaConfig) -> anyhow::Result<()> {
    use optlab_core::ops;
    let dev = Device::Cpu;
    let (h, nh, nkv, hd, inter) = (
        cfg.hidden_size,
        cfg.num_attention_heads,
        cfg.kv_heads(),
        cfg.head_dim(),
        cfg.intermediate_size,
    );
    let r = |s: &[usize]| Tensor::randn(0f32, 1.0, s, &dev).unwrap();
    let x = r(&[b, t, h]);
    fwd_bwd(
        "dense h->inter fwd+bwd",
        &[x.clone(), r(&[inter, h])],
        |v| {
            optlab_core::models::Dense::new(v[1].clone(), None)
                .forward(&v[0])
                .unwrap()
        },
    );
    fwd_bwd("rms_norm fwd+bwd", &[x.clone(), r(&[h])], |v| {
        ops::rms_norm(&v[0], &v[1], 1e-5).unwrap()
    });
    let (cos, sin) = ops::rope_tables(hd, t, 10000.0, &dev)?;
    fwd_bwd("rope q fwd+bwd", &[r(&[b, nh, t, hd])], |v| {
        ops::rope(&v[0], &cos, &sin).unwrap()
    });
    fwd_bwd("causal softmax fwd+bwd", &[r(&[b, nh, t, t])], |v| {
        ops::causal_softmax(&v[0], 0.2).unwrap()
    });
    fwd_bwd(
        "swiglu fwd+bwd",
        &[r(&[b, t, inter]), r(&[b, t, inter])],
        |v| ops::swiglu(&v[0], &v[1]).unwrap(),
    );
    fwd_bwd(
        "split heads (reshape+transpose+contig)",
        std::slice::from_ref(&x),
        |v| {
            v[0].reshape((b, t, nh, hd))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .contiguous()
                .unwrap()
        },
    );
    fwd_bwd("repeat_kv", &[r(&[b, nkv, t, hd])], |v| {
        let n = nh / nkv;
        v[0].unsqueeze(2)
            .unwrap()
            .broadcast_as((b, nkv, n, t, hd))
            .unwrap()
            .reshape((b, nh, t, hd))
            .unwrap()
    });
    fwd_bwd(
        "q k^T matmul",
        &[r(&[b, nh, t, hd]), r(&[b, nh, t, hd])],
        |v| v[0].matmul(&v[1].t().unwrap()).unwrap(),
    );
    fwd_bwd(
        "probs v matmul",
        &[r(&[b, nh, t, t]), r(&[b, nh, t, hd])],
        |v| v[0].matmul(&v[1]).unwrap(),
    );
    fwd_bwd(
        "merge heads (transpose+reshape)",
        &[r(&[b, nh, t, hd])],
        |v| {
            v[0].transpose(1, 2)
                .unwrap()
                .reshape((b, t, nh * hd))
                .unwrap()
        },
    );
    fwd_bwd("residual add", &[x.clone(), x.clone()], |v| {
        (&v[0] + &v[1]).unwrap()
    });
    Ok(())
}
