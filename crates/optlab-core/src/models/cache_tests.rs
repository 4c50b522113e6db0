//! The split, masked and cached forward passes agree with the plain one.

use candle_core::{DType, Device, Tensor};

use super::*;
use crate::generate::{generate, generate_cached, sample_n, SamplingConfig};
use crate::rng::Rng;

fn model(dtype: DType, seed: u64) -> Llama {
    let mut cfg = LlamaConfig::preset("tiny", 40).unwrap();
    cfg.max_position_embeddings = 64;
    Llama::new(&cfg, dtype, &Device::Cpu, seed).unwrap()
}

fn tokens(seed: u64, n: usize) -> Vec<u32> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.below(40) as u32).collect()
}

fn row(ids: &[u32]) -> Tensor {
    Tensor::new(ids, &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

#[test]
fn bottom_and_top_layers_compose_to_the_whole_model_bitwise() {
    let m = model(DType::F32, 1);
    let ids = row(&tokens(2, 12));
    let full = m.forward(&ids).unwrap();
    let low = m.run_layers(&m.embed_tokens(&ids).unwrap(), 0..1).unwrap();
    let high = m.run_layers(&low, 1..4).unwrap();
    assert_eq!(max_diff(&full, &m.logits_from_hidden(&high).unwrap()), 0.0);
    assert!(m.run_layers(&low, 2..5).is_err());
}

#[test]
fn cached_prefill_plus_single_steps_match_the_full_forward() {
    let m = model(DType::F64, 3);
    let ids = tokens(4, 10);
    let full = m.forward(&row(&ids)).unwrap();
    let mut cache = KvCache::new(4);
    let head = m.forward_cached(&row(&ids[..6]), &mut cache).unwrap();
    assert!(max_diff(&head, &full.narrow(1, 0, 6).unwrap()) < 1e-12);
    let two = m.forward_cached(&row(&ids[6..8]), &mut cache).unwrap();
    assert!(max_diff(&two, &full.narrow(1, 6, 2).unwrap()) < 1e-12);
    for (i, &id) in ids.iter().enumerate().skip(8) {
        let one = m.forward_cached(&row(&[id]), &mut cache).unwrap();
        assert!(max_diff(&one, &full.narrow(1, i, 1).unwrap()) < 1e-12);
    }
    assert_eq!(cache.len(), 10);
    let two_rows = Tensor::new(&[[1u32], [2]], &Device::Cpu).unwrap();
    assert!(m.forward_cached(&two_rows, &mut cache).is_err());
}

#[test]
fn packed_segments_attend_as_if_alone() {
    let m = model(DType::F64, 5);
    let (a, b) = (tokens(6, 7), tokens(7, 5));
    let packed: Vec<u32> = a.iter().chain(&b).copied().collect();
    let segs = vec![[vec![0u32; 7], vec![1u32; 5]].concat()];
    let mask = segment_causal_mask(&segs, DType::F64, &Device::Cpu).unwrap();
    let out = m.forward_with_mask(&row(&packed), &mask).unwrap();
    let alone_a = m.forward(&row(&a)).unwrap();
    let alone_b = m.forward(&row(&b)).unwrap();
    assert!(max_diff(&out.narrow(1, 0, 7).unwrap(), &alone_a) < 1e-10);
    // The second segment sits at shifted positions; RoPE tables are f32, so the shift is exact
    // only to f32 rounding of cos/sin.
    let d = max_diff(&out.narrow(1, 7, 5).unwrap(), &alone_b);
    assert!(d < 1e-7, "{d}");
    let unmasked = m.forward(&row(&packed)).unwrap();
    assert!(max_diff(&unmasked.narrow(1, 7, 5).unwrap(), &alone_b) > 1e-3);
    let ragged = [vec![0u32; 3], vec![0u32; 4]];
    assert!(segment_causal_mask(&ragged, DType::F32, &Device::Cpu).is_err());
}

fn sampling(temperature: f64, max_new_tokens: usize, stop_ids: Vec<u32>) -> SamplingConfig {
    SamplingConfig {
        temperature,
        top_k: 0,
        top_p: 1.0,
        max_new_tokens,
        stop_ids,
    }
}

#[test]
fn greedy_cached_generation_yields_the_uncached_tokens() {
    let dev = Device::Cpu;
    for seed in 0..3 {
        let m = model(DType::F32, 10 + seed);
        let prompt = tokens(20 + seed, 5);
        let cfg = sampling(0.0, 30, vec![]);
        let plain = generate(&m, &prompt, &cfg, &mut Rng::new(0), &dev).unwrap();
        let cached = generate_cached(&m, &prompt, &cfg, &mut Rng::new(0), &dev).unwrap();
        assert_eq!(plain.len(), 30);
        assert_eq!(plain, cached, "seed {seed}");
        let rows = sample_n(&m, &prompt, 3, &cfg, &mut Rng::new(0), &dev).unwrap();
        assert!(rows.iter().all(|r| *r == plain));
    }
}

#[test]
fn sampled_rows_differ_follow_the_seed_and_stop_at_stop_tokens() {
    let dev = Device::Cpu;
    let m = model(DType::F32, 30);
    let prompt = tokens(31, 4);
    let cfg = sampling(1.5, 20, vec![]);
    let a = sample_n(&m, &prompt, 4, &cfg, &mut Rng::new(9), &dev).unwrap();
    let b = sample_n(&m, &prompt, 4, &cfg, &mut Rng::new(9), &dev).unwrap();
    assert_eq!(a, b);
    assert!(a.iter().any(|r| *r != a[0]), "rows should differ: {a:?}");
    let one = generate_cached(&m, &prompt, &cfg, &mut Rng::new(9), &dev).unwrap();
    let plain = generate(&m, &prompt, &cfg, &mut Rng::new(9), &dev).unwrap();
    assert_eq!(one, plain);
    let stop = a[0][3];
    let cut = sample_n(
        &m,
        &prompt,
        4,
        &sampling(1.5, 20, vec![stop]),
        &mut Rng::new(9),
        &dev,
    )
    .unwrap();
    assert!(cut.iter().all(|r| !r.contains(&stop)));
    assert_eq!(
        cut[0],
        a[0][..a[0].iter().position(|&t| t == stop).unwrap()]
    );
    assert!(sample_n(&m, &[], 1, &cfg, &mut Rng::new(0), &dev).is_err());
}
