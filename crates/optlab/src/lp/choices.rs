//! Command-line choices (`clap::ValueEnum`) and their library counterparts.

use optlab_lp::{Algorithm, Family, OptimalityNorm};

/// First-order method choices on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgorithmArg {
    /// Restarted averaged PDHG with adaptive steps (PDLP).
    Averaged,
    /// Restarted reflected Halpern PDHG (cuPDLPx).
    Halpern,
}

impl From<AlgorithmArg> for Algorithm {
    fn from(a: AlgorithmArg) -> Self {
        match a {
            AlgorithmArg::Averaged => Algorithm::AveragedPdhg,
            AlgorithmArg::Halpern => Algorithm::ReflectedHalpern,
        }
    }
}

/// Generated instance families on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyArg {
    /// `min cᵀx, Ax ≥ b, x ≥ 0` with a planted optimum.
    Covering,
    /// `max cᵀx, Ax ≤ b, x ≥ 0` with a planted optimum.
    Packing,
    /// PageRank LP on a Barabási–Albert graph (α = 0.85, 3 edges per node).
    Pagerank,
}

impl From<FamilyArg> for Family {
    fn from(f: FamilyArg) -> Self {
        match f {
            FamilyArg::Covering => Family::Covering,
            FamilyArg::Packing => Family::Packing,
            FamilyArg::Pagerank => Family::Pagerank,
        }
    }
}

/// How residuals are measured against the tolerance, on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormArg {
    /// `‖r‖₂ / (1 + ‖b‖₂)` (PDLP's default): one huge finite bound in `b` loosens every row,
    /// so objectives can miss a simplex solver's by far more than the tolerance.
    L2,
    /// Each residual component relative to its own bound or cost (PDLP's
    /// `L_INF_COMPONENTWISE`): a tolerance that means the same in every row (the default).
    Componentwise,
}

impl From<NormArg> for OptimalityNorm {
    fn from(n: NormArg) -> Self {
        match n {
            NormArg::L2 => OptimalityNorm::L2,
            NormArg::Componentwise => OptimalityNorm::Componentwise,
        }
    }
}
