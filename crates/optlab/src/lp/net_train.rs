//! `optlab lp net-train` and the `--warm-start pdhg-net:DIR` stage of `optlab lp solve`.

use super::choices::FamilyArg;
use crate::progress::Bars;
use anyhow::bail;
use optlab_lp::pdhg_net::model::NetShape;
use optlab_lp::pdhg_net::train::{train, LossKind, TrainOptions};
use optlab_lp::pdhg_net::NetModel;
use optlab_lp::LpProblem;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Prefix of `--warm-start` values that name a PDHG-Net model folder.
pub const PREFIX: &str = "pdhg-net:";

/// Arguments of `optlab lp net-train`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  optlab lp net-train --family pagerank --n 200 --instances 64 --epochs 30 --out model/\n  \
                  optlab lp net-train --loss kkt --n 200 --out model-kkt/\n  \
                  optlab lp generate pagerank --nodes 5000 --out pr.mps\n  \
                  optlab lp solve pr.mps --warm-start pdhg-net:model/"
)]
pub struct NetTrainArgs {
    /// Instance family to generate and train on.
    #[arg(long, value_enum, default_value_t = FamilyArg::Pagerank)]
    pub family: FamilyArg,
    /// Largest instance size (PageRank nodes, or covering/packing columns with n/2 rows);
    /// training instances cycle through n/4, n/2, 3n/4, n.
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Number of training instances.
    #[arg(long, default_value_t = 64)]
    pub instances: usize,
    /// Passes over the training instances.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Unrolled PDHG layers K.
    #[arg(long, default_value_t = 4)]
    pub layers: usize,
    /// Channels d of the expanded iterates.
    #[arg(long, default_value_t = 64)]
    pub channels: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Training loss: mse (to PDHG labels) or kkt (unsupervised KKT residual, no labels).
    #[arg(long, value_enum, default_value_t = LossArg::Mse)]
    pub loss: LossArg,
    /// Relative KKT tolerance of the PDHG solves that label the instances (mse loss).
    #[arg(long, default_value_t = 1e-6)]
    pub label_tol: f64,
    /// Seed of the instances and the initial weights.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (model.safetensors + config.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Print a JSON summary instead of the per-epoch loss.
    #[arg(long)]
    pub json: bool,
}

/// Training loss on the command line.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossArg {
    /// Relative squared error to PDHG-computed labels (supervised).
    Mse,
    /// Relative KKT residual of the prediction itself (unsupervised, no labels).
    Kkt,
}

impl From<LossArg> for LossKind {
    fn from(l: LossArg) -> Self {
        match l {
            LossArg::Mse => LossKind::Mse,
            LossArg::Kkt => LossKind::Kkt,
        }
    }
}

/// Runs `optlab lp net-train`.
pub fn run_net_train(a: NetTrainArgs) -> anyhow::Result<()> {
    let o = TrainOptions {
        loss: a.loss.into(),
        family: a.family.into(),
        size: a.n,
        instances: a.instances,
        epochs: a.epochs,
        shape: NetShape {
            layers: a.layers,
            channels: a.channels,
        },
        lr: a.lr,
        seed: a.seed,
        label_tol: a.label_tol,
    };
    let t = Instant::now();
    let model = train(&o, &Bars::new(a.json))?;
    let train_s = t.elapsed().as_secs_f64();
    model.save(&a.out)?;
    let tr = &model.config.training;
    if a.json {
        let v = serde_json::json!({"out": a.out.display().to_string(), "train_s": train_s,
            "initial_loss": tr["initial_loss"], "final_loss": tr["final_loss"],
            "config": model.config});
        println!("{v}");
    } else {
        println!(
            "wrote {} ({} params, loss {} -> {}, {train_s:.1} s)",
            a.out.display(),
            model.net.store.num_elements(),
            tr["initial_loss"],
            tr["final_loss"]
        );
    }
    Ok(())
}

/// The model folder of a `--warm-start pdhg-net:DIR` value, or `None` for a JSON file path.
pub fn model_dir(ws: &Path) -> Option<PathBuf> {
    ws.to_str()
        .and_then(|s| s.strip_prefix(PREFIX))
        .map(PathBuf::from)
}

/// Stage one of `optlab lp solve --warm-start pdhg-net:DIR`: loads the model, predicts
/// `(x, y)` for `p` and reports the prediction time on stderr.
pub fn predict_warm_start(dir: &Path, p: &LpProblem) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    if dir.as_os_str().is_empty() {
        bail!("--warm-start pdhg-net: needs a model folder, e.g. pdhg-net:model/");
    }
    let model = NetModel::load(dir)?;
    let pred = model.predict(p)?;
    let shape = model.config.shape;
    eprintln!(
        "pdhg-net prediction {:.4} s ({} family, K={}, d={})",
        pred.time_s, model.config.family, shape.layers, shape.channels
    );
    Ok((pred.x, pred.y))
}
