//! Each update rule, several steps with a changing learning rate, against f64 references
//! written from the formulas (not from the implementation).

use optlab_core::params::{NamedParam, ParamRole};
use optlab_core::train::{NamedGrads, TrainOptimizer};

use super::{assert_close, clone_params, flat, grads, small_set};
use crate::{Adam, AdamMini, AdamW, AttnShape, Mofo, OptimConfig, Sgd};

const LRS: [f64; 4] = [0.05, 0.03, 0.02, 0.01];

fn cfg() -> OptimConfig {
    OptimConfig {
        weight_decay: 0.1,
        beta2: 0.99,
        eps: 1e-6,
        attn: Some(AttnShape {
            hidden: 4,
            n_heads: 2,
            n_kv_heads: 2,
        }),
        ..OptimConfig::default()
    }
}

/// Run `opt` for `LRS.len()` steps; return the gradients used (per step, per tensor).
fn drive(opt: &mut dyn TrainOptimizer, ps: &[NamedParam]) -> Vec<Vec<Vec<f64>>> {
    let mut used = Vec::new();
    for (s, &lr) in LRS.iter().enumerate() {
        let g: NamedGrads = grads(ps, 100 + s as u64, 0.5);
        opt.step(&g, lr).expect("step");
        used.push(ps.iter().map(|p| flat(&g[&p.name])).collect());
    }
    used
}

/// f64 Adam with one second moment per block of `block_len` entries (1 = plain Adam).
fn ref_adam(p0: &[f64], gs: &[Vec<f64>], block_len: usize, wd_dec: f64, wd_l2: f64) -> Vec<f64> {
    let c = cfg();
    let mut p = p0.to_vec();
    let mut m = vec![0.0; p.len()];
    let mut v = vec![0.0; p.len() / block_len];
    for (s, g) in gs.iter().enumerate() {
        let (lr, t) = (LRS[s], (s + 1) as i32);
        let g: Vec<f64> = g.iter().zip(&p).map(|(g, p)| g + wd_l2 * p).collect();
        for x in p.iter_mut() {
            *x *= 1.0 - lr * wd_dec;
        }
        for (b, vb) in v.iter_mut().enumerate() {
            let blk = b * block_len..(b + 1) * block_len;
            let mean_sq = g[blk.clone()].iter().map(|x| x * x).sum::<f64>() / block_len as f64;
            *vb = c.beta2 * *vb + (1.0 - c.beta2) * mean_sq;
            let h = vb.sqrt() / (1.0 - c.beta2.powi(t)).sqrt() + c.eps;
            for i in blk {
                m[i] = c.beta1 * m[i] + (1.0 - c.beta1) * g[i];
                p[i] -= lr * m[i] / ((1.0 - c.beta1.powi(t)) * h);
            }
        }
    }
    p
}

/// Run the optimizer built by `make` on a fresh small set and compare every tensor with
/// `reference(param, initial values, gradients per step)`.
fn compare(
    make: impl Fn(Vec<NamedParam>) -> Box<dyn TrainOptimizer>,
    reference: impl Fn(&NamedParam, &[f64], &[Vec<f64>]) -> Vec<f64>,
) {
    let ps = small_set(7);
    let p0: Vec<Vec<f64>> = ps.iter().map(|p| flat(p.var.as_tensor())).collect();
    let mut opt = make(ps.clone());
    let used = drive(opt.as_mut(), &ps);
    for (k, p) in ps.iter().enumerate() {
        let gs: Vec<Vec<f64>> = used.iter().map(|step| step[k].clone()).collect();
        let want = reference(p, &p0[k], &gs);
        assert_close(
            &flat(p.var.as_tensor()),
            &want,
            &format!("{} {}", opt.name(), p.name),
        );
    }
}

fn wd_if(p: &NamedParam) -> f64 {
    if matches!(p.role, ParamRole::Norm | ParamRole::Bias) {
        0.0
    } else {
        cfg().weight_decay
    }
}

fn ref_sgd(p: &NamedParam, p0: &[f64], gs: &[Vec<f64>], nesterov: bool) -> Vec<f64> {
    let (mu, wd) = (cfg().momentum, wd_if(p));
    let mut x = p0.to_vec();
    let mut buf = vec![0.0; x.len()];
    for (s, g) in gs.iter().enumerate() {
        for i in 0..x.len() {
            let gi = g[i] + wd * x[i];
            buf[i] = if s == 0 { gi } else { mu * buf[i] + gi };
            let d = if nesterov { gi + mu * buf[i] } else { buf[i] };
            x[i] -= LRS[s] * d;
        }
    }
    x
}

#[test]
fn sgd_momentum_matches_f64_reference() {
    for nesterov in [false, true] {
        compare(
            |ps| Box::new(Sgd::from_params(ps, OptimConfig { nesterov, ..cfg() }).expect("sgd")),
            |p, p0, gs| ref_sgd(p, p0, gs, nesterov),
        );
    }
}

#[test]
fn adam_matches_f64_reference_with_l2_decay() {
    compare(
        |ps| Box::new(Adam::from_params(ps, cfg()).expect("adam")),
        |p, p0, gs| ref_adam(p0, gs, 1, 0.0, wd_if(p)),
    );
}

#[test]
fn adamw_matches_f64_reference_with_decoupled_decay() {
    compare(
        |ps| Box::new(AdamW::from_params(ps, cfg()).expect("adamw")),
        |p, p0, gs| ref_adam(p0, gs, 1, wd_if(p), 0.0),
    );
}

#[test]
fn adam_mini_matches_f64_reference_per_block() {
    // Hand-derived blocks of the small set: up_proj [3,4] one per row (4 entries); q_proj
    // [4,4] with head_dim 2 one per head (2·4 = 8 entries); norm one block (4); bias per entry.
    let block_len = |p: &NamedParam| match p.role {
        ParamRole::MlpUp => 4,
        ParamRole::Query => 8,
        ParamRole::Norm => 4,
        _ => 1,
    };
    compare(
        |ps| Box::new(AdamMini::from_params(ps, cfg()).expect("adam-mini")),
        |p, p0, gs| ref_adam(p0, gs, block_len(p), wd_if(p), 0.0),
    );
}

#[test]
fn adam_mini_with_one_entry_blocks_is_adamw() {
    let ps = small_set(11);
    let twin = clone_params(&ps);
    let mut mini = AdamMini::with_block_len(ps.clone(), |_| 1, cfg()).expect("mini");
    let mut adamw = AdamW::from_params(twin.clone(), cfg()).expect("adamw");
    for (s, &lr) in LRS.iter().enumerate() {
        let g = grads(&ps, 300 + s as u64, 1.0);
        mini.step(&g, lr).expect("step");
        adamw.step(&g, lr).expect("step");
    }
    for (a, b) in ps.iter().zip(&twin) {
        assert_close(&flat(a.var.as_tensor()), &flat(b.var.as_tensor()), &a.name);
    }
}

fn ref_mofo(p: &NamedParam, p0: &[f64], gs: &[Vec<f64>], fraction: f64) -> Vec<f64> {
    let c = cfg();
    let filtered = !matches!(p.role, ParamRole::Norm | ParamRole::Bias);
    let wd = wd_if(p);
    let mut x = p0.to_vec();
    let (mut m, mut v) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    for (s, g) in gs.iter().enumerate() {
        let (lr, t) = (LRS[s], (s + 1) as i32);
        for i in 0..x.len() {
            x[i] *= 1.0 - lr * wd;
            m[i] = c.beta1 * m[i] + (1.0 - c.beta1) * g[i];
            v[i] = c.beta2 * v[i] + (1.0 - c.beta2) * g[i] * g[i];
        }
        let mut sorted: Vec<f64> = m.iter().map(|a| a.abs()).collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let k = ((x.len() as f64 * fraction).floor() as usize).max(1);
        let tau = if filtered { sorted[k - 1] } else { 0.0 };
        for i in 0..x.len() {
            if m[i].abs() >= tau {
                let h = v[i].sqrt() / (1.0 - c.beta2.powi(t)).sqrt() + c.eps;
                x[i] -= lr * m[i] / ((1.0 - c.beta1.powi(t)) * h);
            }
        }
    }
    x
}

#[test]
fn mofo_matches_f64_reference() {
    for fraction in [0.3, 0.15, 1.0] {
        let c = OptimConfig {
            mofo_fraction: fraction,
            ..cfg()
        };
        compare(
            |ps| Box::new(Mofo::from_params(ps, c).expect("mofo")),
            |p, p0, gs| ref_mofo(p, p0, gs, fraction),
        );
    }
}

#[test]
fn mofo_moves_exactly_the_top_fraction_of_each_partition() {
    let ps = vec![
        super::param("a.mlp.up_proj.weight", ParamRole::MlpUp, &[40, 50], 1),
        super::param("b.self_attn.v_proj.weight", ParamRole::Value, &[17, 13], 2),
        super::param("b.self_attn.v_proj.bias", ParamRole::Bias, &[17], 3),
    ];
    let c = OptimConfig {
        weight_decay: 0.0,
        mofo_fraction: 0.1,
        ..OptimConfig::default()
    };
    let mut opt = Mofo::from_params(ps.clone(), c).expect("mofo");
    for s in 0..3 {
        let before: Vec<Vec<f64>> = ps.iter().map(|p| flat(p.var.as_tensor())).collect();
        opt.step(&grads(&ps, 500 + s, 1.0), 1e-2).expect("step");
        let state = opt.state().expect("state");
        for (p, b) in ps.iter().zip(&before) {
            let after = flat(p.var.as_tensor());
            let m = flat(&state[&format!("{}.exp_avg", p.name)]);
            let moved: Vec<usize> = (0..b.len()).filter(|&i| after[i] != b[i]).collect();
            let n = b.len();
            if p.role == ParamRole::Bias {
                assert_eq!(moved.len(), n, "bias is not filtered");
                continue;
            }
            let k = (n as f64 * 0.1).floor() as usize;
            assert_eq!(moved.len(), k, "{}: step {s}", p.name);
            let min_moved = moved
                .iter()
                .map(|&i| m[i].abs())
                .fold(f64::INFINITY, f64::min);
            let max_kept = (0..n)
                .filter(|i| !moved.contains(i))
                .map(|i| m[i].abs())
                .fold(0.0, f64::max);
            assert!(
                min_moved >= max_kept,
                "{}: moved entries are the largest |m|",
                p.name
            );
        }
    }
}

#[test]
fn kth_largest_selection_agrees_with_sorting() {
    let mut rng = optlab_core::rng::Rng::new(9);
    let xs = rng.normal_vec(1001, 1.0);
    let mut sorted: Vec<f32> = xs.iter().map(|x| x.abs()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    for k in [1, 2, 150, 1000, 1001] {
        assert_eq!(
            crate::mofo::kth_largest_abs(&xs, k),
            sorted[k - 1],
            "k = {k}"
        );
    }
}
