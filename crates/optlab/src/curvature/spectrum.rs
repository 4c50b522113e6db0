//! `optlab curvature blocks`, `spectrum` and `heterogeneity`: block listings, per-block SLQ
//! spectra (JSON and SVG) and the block-heterogeneity score.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use candle_core::DType;
use optlab_core::report::Reporter;
use optlab_curvature::blocks::{block_spectra, heterogeneity as score, spectrum_of};
use optlab_curvature::blocks::{BlockSpectrum, Heterogeneity};
use optlab_curvature::objective::{FixedBatch, ModelKind, Objective};
use optlab_curvature::slq::SlqConfig;
use optlab_curvature::svg::density_svg;

use super::model_arg::ModelArg;
use crate::progress::Bars;

/// Which model, on how much data.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelOpts {
    /// Model: mlp, cnn or transformer (the tiny Llama).
    #[arg(long, value_enum, default_value = "mlp")]
    pub model: ModelArg,
    /// Examples in the fixed batch the Hessian is taken on (sequences of 32 tokens for the
    /// transformer).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seed of weights, data and probe vectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Your own Llama-family model: a Hugging Face-style folder (config.json,
    /// model.safetensors, tokenizer.json); replaces `--model`.
    #[arg(long)]
    pub model_dir: Option<PathBuf>,
    /// Text the model dir's batch is drawn from (default: the generated corpus).
    #[arg(long, requires = "model_dir")]
    pub text: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// SLQ settings (defaults: the block-heterogeneity reference).
#[derive(Debug, Clone, clap::Args)]
pub struct SlqOpts {
    /// Probe vectors per block.
    #[arg(long, default_value_t = 10)]
    pub probes: usize,
    /// Lanczos steps per probe.
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Variance of the Gaussian smoothing each Ritz value.
    #[arg(long, default_value_t = 1e-5)]
    pub sigma2: f64,
    /// Points of the density grid.
    #[arg(long, default_value_t = 50_000)]
    pub grid_points: usize,
    /// Grid margin beyond the extreme Ritz values.
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Plain three-term Lanczos (the reference code) instead of full reorthogonalisation.
    #[arg(long)]
    pub no_reorth: bool,
}

impl SlqOpts {
    /// The SLQ configuration with `seed`.
    pub fn config(&self, seed: u64) -> SlqConfig {
        SlqConfig {
            probes: self.probes,
            steps: self.steps,
            sigma2: self.sigma2,
            grid_points: self.grid_points,
            margin: self.margin,
            reorth: !self.no_reorth,
            seed,
        }
    }
}

/// Options of `spectrum` and `heterogeneity`.
#[derive(Debug, Clone, clap::Args)]
pub struct SpectrumOpts {
    #[command(flatten)]
    model: ModelOpts,
    #[command(flatten)]
    slq: SlqOpts,
    /// Block(s) to measure (repeatable); every named block when absent.
    #[arg(long = "block")]
    blocks: Vec<String>,
    /// Also the spectrum of the whole model's Hessian (`spectrum` only).
    #[arg(long)]
    whole: bool,
    /// Folder for spectrum.json / spectrum.svg (or heterogeneity.json).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The model's name in outputs: the folder given, or the built-in kind.
fn label(m: &ModelOpts) -> String {
    match &m.model_dir {
        Some(d) => d.display().to_string(),
        None => ModelKind::from(m.model).name().to_string(),
    }
}

fn objective(m: &ModelOpts) -> Result<FixedBatch> {
    Ok(match &m.model_dir {
        Some(dir) => FixedBatch::from_model_dir(dir, m.text.as_deref(), m.batch, m.seed)?,
        None => FixedBatch::new(m.model.into(), DType::F64, m.batch, m.seed)?,
    })
}

/// `optlab curvature blocks`: every named block and its size.
pub fn blocks(m: &ModelOpts) -> Result<()> {
    let obj = objective(m)?;
    let infos = obj.params().infos();
    if m.json {
        println!("{}", serde_json::to_string_pretty(&infos)?);
        return Ok(());
    }
    for i in &infos {
        println!(
            "{:<48} {:>8} {:?}",
            i.name,
            i.shape.iter().product::<usize>(),
            i.shape
        );
    }
    println!(
        "{} blocks, {} parameters",
        infos.len(),
        obj.params().num_elements()
    );
    Ok(())
}

fn measure(o: &SpectrumOpts, whole: bool) -> Result<(Vec<BlockSpectrum>, SlqConfig)> {
    let obj = objective(&o.model)?;
    let cfg = o.slq.config(o.model.seed);
    cfg.validate()?;
    let bars = Bars::new(o.model.json);
    let mut spectra = block_spectra(&obj, &o.blocks, &cfg, &mut |i, n, name| {
        if i == 0 {
            bars.begin("block spectra", n as u64);
        }
        bars.log(&format!("[{}/{}] {name}", i + 1, n));
        bars.advance(i as u64, name);
    })?;
    bars.end();
    if whole {
        spectra.push(spectrum_of(&obj, &[], &cfg)?);
    }
    Ok((spectra, cfg))
}

fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let p = dir.join(name);
    std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
    Ok(p)
}

/// One density per measured selection, on one grid (the heterogeneity machinery).
fn spectrum_svg(o: &SpectrumOpts, spectra: &[BlockSpectrum], cfg: &SlqConfig) -> Result<String> {
    if let [only] = spectra {
        let h = Heterogeneity::single(only, cfg);
        return Ok(density_svg(
            &h,
            &format!("Hessian spectrum of {}", only.name),
        ));
    }
    let h = score(spectra, cfg)?;
    let title = format!(
        "Hessian block spectra, {} (SLQ {} probes x {} steps)",
        label(&o.model),
        cfg.probes,
        cfg.steps
    );
    Ok(density_svg(&h, &title))
}

fn write_spectrum(
    o: &SpectrumOpts,
    dir: &Path,
    spectra: &[BlockSpectrum],
    cfg: &SlqConfig,
) -> Result<()> {
    let doc = serde_json::json!({"model": label(&o.model), "batch": o.model.batch, "seed": o.model.seed, "slq": cfg, "blocks": spectra});
    let json = write(dir, "spectrum.json", &serde_json::to_string_pretty(&doc)?)?;
    let svg = write(dir, "spectrum.svg", &spectrum_svg(o, spectra, cfg)?)?;
    Bars::new(o.model.json).log(&format!("wrote {}, {}", json.display(), svg.display()));
    Ok(())
}

/// `optlab curvature spectrum`: per-block spectra, optionally of the whole model too.
pub fn spectrum(o: &SpectrumOpts) -> Result<()> {
    let (spectra, cfg) = measure(o, o.whole)?;
    if let Some(dir) = &o.out {
        write_spectrum(o, dir, &spectra, &cfg)?;
    }
    if o.model.json {
        let summary: Vec<serde_json::Value> = spectra
            .iter()
            .map(|s| serde_json::json!({"block": s.name, "numel": s.numel, "top": s.top, "bottom": s.bottom, "grad_evals": s.grad_evals, "seconds": s.seconds}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!(
        "{:<48} {:>8} {:>12} {:>12} {:>8}",
        "block", "numel", "top", "bottom", "seconds"
    );
    for s in &spectra {
        println!(
            "{:<48} {:>8} {:>12.4e} {:>12.4e} {:>8.2}",
            s.name, s.numel, s.top, s.bottom, s.seconds
        );
    }
    Ok(())
}

/// `optlab curvature heterogeneity`: the score and the pairwise JS-divergence matrix.
pub fn heterogeneity(o: &SpectrumOpts) -> Result<()> {
    let (spectra, cfg) = measure(o, false)?;
    let h = score(&spectra, &cfg)?;
    if let Some(dir) = &o.out {
        let doc = serde_json::json!({"model": label(&o.model), "batch": o.model.batch, "seed": o.model.seed, "slq": cfg, "heterogeneity": h});
        write(
            dir,
            "heterogeneity.json",
            &serde_json::to_string_pretty(&doc)?,
        )?;
    }
    if o.model.json {
        let doc = serde_json::json!({"model": label(&o.model), "score": h.score, "blocks": h.names, "js": h.js});
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    print_matrix(&h);
    Ok(())
}

fn print_matrix(h: &Heterogeneity) {
    println!(
        "block-heterogeneity score (mean pairwise JS divergence, {} blocks): {:.4}",
        h.names.len(),
        h.score
    );
    for (i, n) in h.names.iter().enumerate() {
        println!("{i:>3} {n}");
    }
    let header: String = (0..h.names.len()).map(|j| format!("{j:>6}")).collect();
    println!("    {header}");
    for (i, row) in h.js.iter().enumerate() {
        let cells: String = row.iter().map(|v| format!("{v:>6.3}")).collect();
        println!("{i:>3} {cells}");
    }
}
