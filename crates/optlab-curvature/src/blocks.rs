//! Per-block Hessian spectra and the block-heterogeneity score.
//!
//! For every selected parameter tensor `l`, SLQ on the diagonal block `H_ll` (the HVP moves
//! and reads only that tensor). All block densities are then evaluated on one common grid
//! (from the smallest mean-minimum node minus the margin to the largest mean-maximum node plus
//! the margin) and compared pairwise with the Jensen-Shannon divergence; the heterogeneity
//! score is the mean over all pairs `i < j` (the reference's JS⁰ when taken at
//! initialisation).

use std::time::Instant;

use serde::Serialize;

use crate::error::{CurvatureError, Result};
use crate::hvp::Hvp;
use crate::objective::Objective;
use crate::slq::{density, js_divergence, slq, Grid, Quadrature, SlqConfig};

/// The SLQ result of one block.
#[derive(Debug, Clone, Serialize)]
pub struct BlockSpectrum {
    /// Parameter name (the whole model is called `all`).
    pub name: String,
    /// Number of scalars in the block.
    pub numel: usize,
    /// Largest Ritz value over probes (top eigenvalue estimate).
    pub top: f64,
    /// Smallest Ritz value over probes (bottom eigenvalue estimate).
    pub bottom: f64,
    /// Nodes and weights per probe.
    pub quadrature: Quadrature,
    /// Gradient evaluations spent.
    pub grad_evals: usize,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// SLQ of one selection of blocks (`blocks` empty = the whole model, named `all`).
pub fn spectrum_of(
    obj: &dyn Objective,
    blocks: &[String],
    cfg: &SlqConfig,
) -> Result<BlockSpectrum> {
    let start = Instant::now();
    let hvp = Hvp::new(obj, blocks)?;
    let mut op = |v: &[f64]| hvp.apply(v);
    let q = slq(&mut op, hvp.dim(), cfg)?;
    Ok(BlockSpectrum {
        name: if blocks.is_empty() {
            "all".to_string()
        } else {
            blocks.join("+")
        },
        numel: hvp.dim(),
        top: q.max_node(),
        bottom: q.min_node(),
        quadrature: q,
        grad_evals: hvp.grad_evals(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// SLQ of each named block (every parameter tensor when `names` is empty), each with its own
/// probe seed derived from `cfg.seed` and the block's position. `progress` sees each name.
pub fn block_spectra(
    obj: &dyn Objective,
    names: &[String],
    cfg: &SlqConfig,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<Vec<BlockSpectrum>> {
    let names: Vec<String> = if names.is_empty() {
        obj.params().params().into_iter().map(|p| p.name).collect()
    } else {
        crate::hvp::select(obj.params(), names)?
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        progress(i, names.len(), n);
        let c = SlqConfig {
            seed: cfg.seed.wrapping_add(1_000_003 * (i as u64 + 1)),
            ..*cfg
        };
        out.push(spectrum_of(obj, std::slice::from_ref(n), &c)?);
    }
    Ok(out)
}

/// Block densities on a common grid, their pairwise JS divergences and the mean over pairs.
#[derive(Debug, Clone, Serialize)]
pub struct Heterogeneity {
    /// Block names, in order.
    pub names: Vec<String>,
    /// The common grid.
    pub grid: Grid,
    /// Symmetric matrix of JS divergences (zero diagonal).
    pub js: Vec<Vec<f64>>,
    /// Mean JS divergence over all pairs i < j.
    pub score: f64,
    /// Density of each block on the grid (not serialised: large).
    #[serde(skip)]
    pub densities: Vec<Vec<f64>>,
}

impl Heterogeneity {
    /// The density of one spectrum on its own grid, as a one-block [`Heterogeneity`] (score
    /// 0), so a single spectrum draws like several.
    pub fn single(s: &BlockSpectrum, cfg: &SlqConfig) -> Self {
        let grid = Grid::for_quadrature(&s.quadrature, cfg);
        Self {
            names: vec![s.name.clone()],
            grid,
            js: vec![vec![0.0]],
            score: 0.0,
            densities: vec![density(&s.quadrature, &grid, cfg.sigma2)],
        }
    }
}

/// The common grid covering every spectrum's reference grid.
pub fn common_grid(spectra: &[BlockSpectrum], cfg: &SlqConfig) -> Grid {
    let lo = spectra
        .iter()
        .map(|s| s.quadrature.mean_min())
        .fold(f64::INFINITY, f64::min);
    let hi = spectra
        .iter()
        .map(|s| s.quadrature.mean_max())
        .fold(f64::NEG_INFINITY, f64::max);
    Grid {
        lo: lo - cfg.margin,
        hi: hi + cfg.margin,
        points: cfg.grid_points,
    }
}

/// Heterogeneity of at least two block spectra.
pub fn heterogeneity(spectra: &[BlockSpectrum], cfg: &SlqConfig) -> Result<Heterogeneity> {
    cfg.validate()?;
    if spectra.len() < 2 {
        return Err(CurvatureError::Config(format!(
            "block heterogeneity needs at least two blocks, got {}",
            spectra.len()
        )));
    }
    let grid = common_grid(spectra, cfg);
    if grid.hi.partial_cmp(&grid.lo) != Some(std::cmp::Ordering::Greater)
        || !grid.lo.is_finite()
        || !grid.hi.is_finite()
    {
        return Err(CurvatureError::NonFinite(
            "the spectral range of the blocks".into(),
        ));
    }
    let densities: Vec<Vec<f64>> = spectra
        .iter()
        .map(|s| density(&s.quadrature, &grid, cfg.sigma2))
        .collect();
    let k = spectra.len();
    let mut js = vec![vec![0.0; k]; k];
    let (mut sum, mut pairs) = (0.0, 0usize);
    for i in 0..k {
        for j in i + 1..k {
            let d = js_divergence(&densities[i], &densities[j], grid.step());
            js[i][j] = d;
            js[j][i] = d;
            sum += d;
            pairs += 1;
        }
    }
    Ok(Heterogeneity {
        names: spectra.iter().map(|s| s.name.clone()).collect(),
        grid,
        js,
        score: sum / pairs as f64,
        densities,
    })
}
