use super::graph::{LpGraph, RowKind};
use super::model::{NetShape, PdhgNet};
use super::train::{instance, labelled, mean_loss, train, unlabelled, LossKind, TrainOptions};
use super::NetModel;
use crate::generate::Family;
use crate::model::LpProblem;
use crate::options::SolveOptions;
use crate::solution::Status;
use crate::sparse::CsrMatrix;
use candle_core::Device;
use optlab_core::report::Silent;
use optlab_core::rng::Rng;

const INF: f64 = f64::INFINITY;

/// A random LP with `x ≥ 0` and one row of each kind ≤, ≥, =, ranged (cycled).
fn mixed_lp(m: usize, n: usize, seed: u64) -> LpProblem {
    let mut r = Rng::new(seed);
    let mut t = Vec::new();
    for i in 0..m {
        for j in 0..n {
            if r.uniform() < 0.5 || j == i % n {
                t.push((i, j, r.uniform() * 2.0 - 0.5));
            }
        }
    }
    let (mut lo, mut up) = (vec![-INF; m], vec![INF; m]);
    for i in 0..m {
        let b = r.uniform() * 2.0 - 0.5;
        match i % 4 {
            0 => up[i] = b,
            1 => lo[i] = b,
            2 => (lo[i], up[i]) = (b, b),
            _ => (lo[i], up[i]) = (b - 1.0, b + 0.5),
        }
    }
    let c = (0..n).map(|_| r.uniform() * 2.0 - 0.3).collect();
    let a = CsrMatrix::from_triplets(m, n, &t);
    LpProblem::new(c, a, lo, up, vec![0.0; n], vec![INF; n]).expect("valid LP")
}

/// Plain PDHG with constant steps on the graph's normalised data, written independently of
/// the net: the projection formulas of the solver's step (`pdhg.rs`).
fn plain_pdhg(g: &LpGraph, tau: f64, sigma: f64, iters: usize) -> (Vec<f64>, Vec<f64>) {
    let (trip, c, lo, up) = &g.normalised;
    let (m, n) = (g.m, g.n);
    let (mut x, mut y) = (vec![0.0; n], vec![0.0; m]);
    for _ in 0..iters {
        let mut aty = vec![0.0; n];
        for &(i, j, v) in trip {
            aty[j] += v * y[i];
        }
        let xn: Vec<f64> = (0..n)
            .map(|j| (x[j] - tau * (c[j] - aty[j])).max(0.0))
            .collect();
        let mut axbar = vec![0.0; m];
        for &(i, j, v) in trip {
            axbar[i] += v * (2.0 * xn[j] - x[j]);
        }
        for i in 0..m {
            let v = y[i] - sigma * axbar[i];
            y[i] = v - v.clamp(-sigma * up[i], -sigma * lo[i]);
        }
        x = xn;
    }
    (x, y)
}

#[test]
fn forward_shapes_follow_the_lp() {
    let net = PdhgNet::new(
        NetShape {
            layers: 2,
            channels: 8,
        },
        3,
    )
    .expect("net");
    for (m, n) in [(5, 7), (12, 4)] {
        let g = LpGraph::new(&mixed_lp(m, n, 1), &Device::Cpu).expect("graph");
        let (x, y) = net.forward(&g).expect("forward");
        assert_eq!((x.dims(), y.dims()), (&[n][..], &[m][..]));
    }
}

#[test]
fn pdhg_weights_reproduce_plain_pdhg_iterates() {
    let p = mixed_lp(8, 6, 7);
    let g = LpGraph::new(&p, &Device::Cpu).expect("graph");
    assert_eq!(g.kinds.len(), 4, "test LP must hold every bounded row kind");
    // The unbounded side of every row must actually be switched off, not just small.
    let big = 1e3;
    let mut signs = (false, false);
    for k in [1, 3, 6] {
        let net = PdhgNet::new(
            NetShape {
                layers: k,
                channels: 4,
            },
            9,
        )
        .expect("net");
        net.set_pdhg_weights(0.4, 0.7, big).expect("weights");
        let (xh, yh) = net.forward(&g).expect("forward");
        let (xh, yh) = (
            xh.to_vec1::<f32>().expect("x"),
            yh.to_vec1::<f32>().expect("y"),
        );
        let (x, y) = plain_pdhg(&g, 0.4, 0.7, k);
        let scale = x.iter().chain(&y).fold(1e-3f64, |a, v| a.max(v.abs()));
        for (a, b) in xh.iter().zip(&x).chain(yh.iter().zip(&y)) {
            assert!(
                (f64::from(*a) - b).abs() <= 1e-4 * scale,
                "K={k}: {a} vs {b}"
            );
        }
        signs.0 |= y.iter().any(|v| *v < -1e-6);
        signs.1 |= y.iter().any(|v| *v > 1e-6);
    }
    assert!(signs.0 && signs.1, "the duals should take both signs");
}

#[test]
fn training_reduces_the_loss_and_gradients_reach_every_layer() {
    let o = TrainOptions {
        family: Family::Pagerank,
        size: 30,
        instances: 4,
        epochs: 25,
        shape: NetShape {
            layers: 2,
            channels: 8,
        },
        lr: 3e-3,
        seed: 5,
        label_tol: 1e-6,
        loss: LossKind::Mse,
    };
    let samples = labelled(o.family, o.size, 2, 77, 1e-6).expect("labels");
    let net = PdhgNet::new(o.shape, o.seed).expect("net");
    let l = super::train::loss(&net, &samples[0]).expect("loss");
    let grads = l.backward().expect("backward");
    for p in net.store.params() {
        let gsum = grads.get(p.var.as_tensor()).map(|g| {
            g.abs()
                .and_then(|a| a.sum_all())
                .and_then(|s| s.to_scalar::<f32>())
        });
        let gsum = gsum.expect(&p.name).expect("grad");
        assert!(gsum.is_finite(), "{}", p.name);
    }
    let before = mean_loss(&net, &samples).expect("loss");
    let model = train(&o, &Silent).expect("train");
    let after = mean_loss(&model.net, &samples).expect("loss");
    assert!(after < 0.8 * before, "held-out loss {before} -> {after}");
}

#[test]
fn saved_model_predicts_the_same_and_plugs_into_the_solver() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("model");
    let o = TrainOptions {
        family: Family::Covering,
        size: 20,
        instances: 2,
        epochs: 2,
        shape: NetShape {
            layers: 2,
            channels: 4,
        },
        lr: 1e-3,
        seed: 2,
        label_tol: 1e-6,
        loss: LossKind::Mse,
    };
    let model = train(&o, &Silent).expect("train");
    assert_eq!(model.config.row_kinds, vec![RowKind::Ge]);
    model.save(&dir).expect("save");
    let loaded = NetModel::load(&dir).expect("load");
    let p = instance(Family::Covering, 40, 123).expect("instance");
    let (a, b) = (
        model.predict(&p).expect("a"),
        loaded.predict(&p).expect("b"),
    );
    assert_eq!((a.x.clone(), a.y.clone()), (b.x, b.y));
    assert_eq!((a.x.len(), a.y.len()), (p.num_cols(), p.num_rows()));
    let opts = SolveOptions {
        warm_start: Some((a.x, a.y)),
        ..Default::default()
    };
    assert_eq!(
        crate::solve(&p, &opts).expect("solve").status,
        Status::Optimal
    );
    // A PageRank LP has ≤ and = rows, which a covering-trained net never saw.
    let pr = instance(Family::Pagerank, 20, 1).expect("pagerank");
    let err = loaded
        .predict(&pr)
        .expect_err("row kinds differ")
        .to_string();
    assert!(err.contains("covering") && err.contains("Le"), "{err}");
    let mut boxed = p.clone();
    boxed.col_upper[0] = 5.0;
    let err = loaded
        .predict(&boxed)
        .expect_err("bounded column")
        .to_string();
    assert!(err.contains("x >= 0"), "{err}");
    std::fs::remove_file(dir.join(super::WEIGHTS_FILE)).expect("rm");
    let err = NetModel::load(&dir)
        .err()
        .expect("missing weights")
        .to_string();
    assert!(err.contains("missing") && !err.contains('\n'), "{err}");
}

#[test]
fn net_space_maps_are_inverse() {
    let p = mixed_lp(6, 5, 4);
    let g = LpGraph::new(&p, &Device::Cpu).expect("graph");
    let x: Vec<f64> = (0..5).map(|j| 0.5 + j as f64).collect();
    let y: Vec<f64> = (0..6).map(|i| i as f64 - 2.0).collect();
    let (xs, ys) = g.to_net_space(&x, &y);
    let (xb, yb) = g.from_net_space(&xs, &ys);
    for (a, b) in xb.iter().zip(&x).chain(yb.iter().zip(&y)) {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0));
    }
}

#[test]
fn kkt_loss_matches_the_solver_kkt_terms_and_vanishes_at_the_optimum() {
    use super::kkt_loss::{graph_norms, kkt_loss};
    use crate::kkt::{kkt_errors, LpView};
    // The first feasible, bounded instance (random rows of four kinds are sometimes infeasible).
    let (p, sol) = (31..60)
        .map(|seed| {
            let p = mixed_lp(8, 6, seed);
            let opts = SolveOptions {
                tol: 1e-9,
                iteration_limit: 20_000,
                ..Default::default()
            };
            let sol = crate::solve(&p, &opts).expect("solve");
            (p, sol)
        })
        .find(|(_, s)| s.status == Status::Optimal)
        .expect("a solvable instance");
    let g = LpGraph::new(&p, &Device::Cpu).expect("graph");
    let (trip, c, lo, up) = &g.normalised;
    let a = CsrMatrix::from_triplets(g.m, g.n, trip);
    let zeros = vec![0.0; g.n];
    let inf = vec![INF; g.n];
    let view = LpView {
        obj: c,
        offset: 0.0,
        row_lower: lo,
        row_upper: up,
        col_lower: &zeros,
        col_upper: &inf,
    };
    let norms = graph_norms(&g);
    let mut r = Rng::new(4);
    // The tensor loss against the f64 KKT terms at a random point (x projected onto x >= 0).
    let xr: Vec<f64> = (0..g.n).map(|_| r.uniform() * 2.0 - 0.5).collect();
    let yr: Vec<f64> = (0..g.m).map(|_| r.uniform() * 2.0 - 1.0).collect();
    let f64_loss = |x: &[f64], y: &[f64]| {
        let xp: Vec<f64> = x.iter().map(|v| v.max(0.0)).collect();
        let k = kkt_errors(
            &view,
            norms,
            &xp,
            y,
            &a.mul_vec(&xp),
            &a.transpose().mul_vec(y),
        );
        (k.primal_residual / (1.0 + norms.0)).powi(2)
            + (k.dual_residual / (1.0 + norms.1)).powi(2)
            + ((k.primal_objective - k.dual_objective) / (1.0 + norms.0 + norms.1)).powi(2)
    };
    let tensor_loss = |x: &[f64], y: &[f64]| {
        let xt = candle_core::Tensor::from_vec(
            x.iter().map(|&v| v as f32).collect::<Vec<f32>>(),
            g.n,
            &Device::Cpu,
        )
        .expect("x");
        let yt = candle_core::Tensor::from_vec(
            y.iter().map(|&v| v as f32).collect::<Vec<f32>>(),
            g.m,
            &Device::Cpu,
        )
        .expect("y");
        let l = kkt_loss(&g, &xt, &yt, norms).expect("loss");
        f64::from(l.to_scalar::<f32>().expect("scalar"))
    };
    let (want, got) = (f64_loss(&xr, &yr), tensor_loss(&xr, &yr));
    assert!(want > 1e-3, "a random point is far from optimal: {want}");
    assert!((got - want).abs() <= 1e-4 * want, "{got} vs {want}");
    // At the PDHG optimum the loss is ~0 (f32 rounding only).
    let (xs, ys) = g.to_net_space(&sol.x, &sol.y);
    let (xs, ys): (Vec<f64>, Vec<f64>) = (
        xs.iter().map(|&v| f64::from(v)).collect(),
        ys.iter().map(|&v| f64::from(v)).collect(),
    );
    let at_opt = tensor_loss(&xs, &ys);
    assert!(at_opt < 1e-9, "KKT loss at the optimum {at_opt}");
}

#[test]
fn kkt_training_reduces_the_kkt_loss_without_labels() {
    let o = TrainOptions {
        family: Family::Pagerank,
        size: 30,
        instances: 4,
        epochs: 25,
        shape: NetShape {
            layers: 2,
            channels: 8,
        },
        lr: 3e-3,
        seed: 5,
        label_tol: 1e-6,
        loss: LossKind::Kkt,
    };
    let held_out = unlabelled(o.family, o.size, 2, 77).expect("instances");
    let net = PdhgNet::new(o.shape, o.seed).expect("net");
    let before = mean_loss(&net, &held_out).expect("loss");
    let model = train(&o, &Silent).expect("train");
    let after = mean_loss(&model.net, &held_out).expect("loss");
    assert!(
        after < 0.8 * before,
        "held-out KKT loss {before} -> {after}"
    );
    assert_eq!(model.config.training["loss"], "kkt");
}
