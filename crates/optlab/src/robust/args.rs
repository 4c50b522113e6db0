//! Flags of `optlab robust` and its subcommands.

use std::path::PathBuf;

use optlab_robust::attack::{AttackConfig, Norm};
use optlab_robust::model::ModelKind;

/// `--norm` values (mapped to [`Norm`]).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormArg {
    /// Max-norm ball: every pixel moves by at most eps.
    Linf,
    /// Euclidean ball of radius eps.
    L2,
}

impl From<NormArg> for Norm {
    fn from(n: NormArg) -> Self {
        match n {
            NormArg::Linf => Norm::Linf,
            NormArg::L2 => Norm::L2,
        }
    }
}

/// `--model` values (mapped to [`ModelKind`]).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelArg {
    /// Fully connected ReLU network.
    Mlp,
    /// optlab-core's small CNN.
    Cnn,
}

impl From<ModelArg> for ModelKind {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Mlp => ModelKind::Mlp,
            ModelArg::Cnn => ModelKind::Cnn,
        }
    }
}

/// Arguments of `optlab robust`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    optlab robust train --model mlp --width 256 --adv --eps 0.1 --epochs 10 --out runs/adv\n  \
    optlab robust attack --weights runs/adv/model.safetensors --eps 0.1 --steps 20 --json\n  \
    optlab robust bound --weights runs/adv/model.safetensors --reference runs/adv/init.safetensors")]
pub struct RobustArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: RobustCommand,
}

/// Where the images come from (the generated shape set unless `--idx-dir` is given).
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// Folder with MNIST/Fashion-MNIST IDX files ({train,t10k}-{images-idx3,labels-idx1}-ubyte,
    /// optionally .gz), e.g. /usr/share/datasets/fashion-mnist.
    #[arg(long)]
    pub idx_dir: Option<PathBuf>,
    /// Training images to use.
    #[arg(long, default_value_t = 1000)]
    pub n_train: usize,
    /// Test images to use.
    #[arg(long, default_value_t = 500)]
    pub n_test: usize,
    /// Side of the generated images (ignored with --idx-dir).
    #[arg(long, default_value_t = 16)]
    pub side: usize,
    /// Pixel noise of the generated images.
    #[arg(long, default_value_t = 0.15)]
    pub noise: f64,
}

/// The attack used for training, evaluation and bounds.
#[derive(clap::Args, Debug, Clone)]
pub struct AttackArgs {
    /// Ball radius.
    #[arg(long, default_value_t = 0.1)]
    pub eps: f64,
    /// Threat-model norm.
    #[arg(long, value_enum, default_value_t = NormArg::Linf)]
    pub norm: NormArg,
    /// PGD iterations (step 2.5·eps/steps unless --step is given).
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// PGD step size.
    #[arg(long)]
    pub step: Option<f64>,
    /// PGD restarts.
    #[arg(long, default_value_t = 1)]
    pub restarts: usize,
    /// Margin quantile used as γ in the bounds (0.05 = 5th percentile, as in measures.py).
    #[arg(long, default_value_t = 0.05)]
    pub margin_quantile: f64,
}

impl AttackArgs {
    /// The PGD configuration these flags describe.
    pub fn config(&self) -> AttackConfig {
        let mut c = AttackConfig::pgd(self.norm.into(), self.eps, self.steps);
        if let Some(s) = self.step {
            c.step = s;
        }
        c.restarts = self.restarts.max(1);
        c
    }
}

/// Flags shared by `train`, `attack`, `bound` and `sweep`: the attack, the data, the seed and
/// the output format (one flattened block instead of four copies).
#[derive(clap::Args, Debug, Clone)]
pub struct CommonArgs {
    /// The attack used for training, evaluation and bounds.
    #[command(flatten)]
    pub attack: AttackArgs,
    /// Where the images come from.
    #[command(flatten)]
    pub data: DataArgs,
    /// Random seed (initialisation, shuffling and PGD random starts).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Subcommands of `optlab robust`.
#[derive(clap::Subcommand, Debug)]
pub enum RobustCommand {
    /// Train a network clean or adversarially (PGD inner loop) and report clean/robust accuracy.
    #[command(
        after_help = "Example:\n  optlab robust train --model cnn --width 8 --adv --eps 0.1 \
        --steps 5 --epochs 5 --out runs/cnn --json"
    )]
    Train(TrainArgs),
    /// Attack a saved network (PGD, or FGSM with --fgsm) on the test set.
    #[command(
        after_help = "Example:\n  optlab robust attack --weights runs/adv/model.safetensors \
        --norm l2 --eps 0.5 --steps 20 --restarts 3 --json"
    )]
    Attack(AttackCmdArgs),
    /// Print every term of the spectral-complexity and adversarial bounds of a saved network.
    #[command(
        after_help = "Example:\n  optlab robust bound --weights runs/adv/model.safetensors \
        --reference runs/adv/init.safetensors --eps 0.1 --json"
    )]
    Bound(BoundArgs),
    /// Width experiment: MLPs (one hidden layer) or small CNNs of several widths trained clean
    /// and adversarially; measured gaps against the bounds, optionally drawn as one log-scale
    /// SVG.
    #[command(
        after_help = "Example:\n  optlab robust sweep --widths 16,64,256,1024 --epochs 20 \
        --eps 0.05 --svg gaps.svg --json\n  optlab robust sweep --model cnn --widths 2,4,8 \
        --epochs 5 --steps 3 --json"
    )]
    Sweep(SweepArgs),
    /// PGD-10 throughput (examples per second) on the small CNN.
    #[command(after_help = "Example:\n  optlab robust bench --width 16 --batch 128 --json")]
    Bench(BenchArgs),
}

/// Flags of `optlab robust train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Architecture.
    #[arg(long, value_enum, default_value_t = ModelArg::Mlp)]
    pub model: ModelArg,
    /// Hidden width (MLP) or first-stage filters (CNN).
    #[arg(long, default_value_t = 128)]
    pub width: usize,
    /// Hidden layers of the MLP.
    #[arg(long, default_value_t = 1)]
    pub depth: usize,
    /// Train on PGD adversarial examples.
    #[arg(long)]
    pub adv: bool,
    /// Epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// AdamW learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Attack, data, seed and output format.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Folder for model.safetensors(+.json), init.safetensors and metrics.jsonl.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Flags of `optlab robust attack`.
#[derive(clap::Args, Debug)]
pub struct AttackCmdArgs {
    /// Weights written by `train` (the architecture is read from WEIGHTS.json).
    #[arg(long)]
    pub weights: PathBuf,
    /// Single-step FGSM instead of PGD.
    #[arg(long)]
    pub fgsm: bool,
    /// Attack, data, seed and output format.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags of `optlab robust bound`.
#[derive(clap::Args, Debug)]
pub struct BoundArgs {
    /// Weights written by `train`.
    #[arg(long)]
    pub weights: PathBuf,
    /// Reference weights M_i subtracted in the (2,1)-norms (default: zero).
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Attack, data, seed and output format.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags of `optlab robust sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Network family.
    #[arg(long, value_enum, default_value_t = ModelArg::Mlp)]
    pub model: ModelArg,
    /// Hidden widths, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    pub widths: Vec<usize>,
    /// Epochs per network.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Attack, data, seed and output format.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Write the SVG here.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

/// Flags of `optlab robust bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// CNN first-stage filters.
    #[arg(long, default_value_t = 16)]
    pub width: usize,
    /// Examples per batch.
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
    /// Image side (28 = MNIST size).
    #[arg(long, default_value_t = 28)]
    pub side: usize,
    /// Timed batches.
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}
