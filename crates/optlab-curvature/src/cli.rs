//! `optlab curvature`: Hessian spectra and block heterogeneity from the command line.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use candle_core::DType;

use crate::blocks::{block_spectra, heterogeneity, spectrum_of, BlockSpectrum, Heterogeneity};
use crate::objective::{FixedBatch, ModelKind, Objective};
use crate::slq::SlqConfig;
use crate::svg::{downsample_max, line_chart, Series};

/// Hessian spectra, per-block densities and the block-heterogeneity score.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  optlab curvature blocks --model cnn\n  optlab curvature spectrum --model mlp --out runs/curv\n  optlab curvature heterogeneity --model transformer --probes 2 --steps 20"
)]
pub struct CurvatureArgs {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// List the model's named blocks (parameter tensors) and their sizes.
    #[command(after_help = "Example:\n  optlab curvature blocks --model transformer")]
    Blocks(ModelOpts),
    /// Per-block SLQ spectral densities: JSON and one SVG of the densities.
    #[command(
        after_help = "Example:\n  optlab curvature spectrum --model mlp --out runs/curv\n  optlab curvature spectrum --model transformer --block model.layers.0.self_attn.q_proj.weight --whole --steps 30"
    )]
    Spectrum(SpectrumOpts),
    /// Block-heterogeneity score and the pairwise JS-divergence matrix of block densities.
    #[command(
        after_help = "Example:\n  optlab curvature heterogeneity --model cnn\n  optlab curvature heterogeneity --model transformer --probes 2 --steps 20 --json"
    )]
    Heterogeneity(SpectrumOpts),
    /// Adam vs SGD-momentum on (L0,L1)-smooth problems: learning-rate sweeps, SVG of ‖∇f‖.
    #[command(after_help = "Example:\n  optlab curvature smooth --quick --out runs/l0l1")]
    Smooth(crate::smooth_report::SmoothOpts),
    /// Heterogeneity score vs the SGD-momentum/Adam final-loss gap on MLP, CNN, transformer.
    #[command(after_help = "Example:\n  optlab curvature gap --quick --out runs/gap")]
    Gap(crate::gap::GapOpts),
}

/// Which model, on how much data.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelOpts {
    /// Model: mlp, cnn or transformer (the tiny Llama).
    #[arg(long, value_enum, default_value = "mlp")]
    pub model: ModelKind,
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

#[derive(Debug, Clone, clap::Args)]
struct SpectrumOpts {
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

/// Run `optlab curvature`.
pub fn run(args: CurvatureArgs) -> Result<()> {
    match args.what {
        What::Blocks(m) => blocks(&m),
        What::Spectrum(o) => spectrum(&o),
        What::Heterogeneity(o) => hetero(&o),
        What::Smooth(o) => crate::smooth_report::run_cli(&o),
        What::Gap(o) => crate::gap::run(&o),
    }
}

/// `optlab bench hvp`: print the HVP/gradient cost ratio as JSON.
pub fn bench(model: ModelKind, batch: usize, reps: usize, seed: u64) -> Result<()> {
    let b = crate::bench::bench_hvp(model, batch, reps, seed)?;
    println!("{}", serde_json::to_string_pretty(&b)?);
    Ok(())
}

/// The model's name in outputs: the folder given, or the built-in kind.
fn label(m: &ModelOpts) -> String {
    match &m.model_dir {
        Some(d) => d.display().to_string(),
        None => format!("{:?}", m.model).to_lowercase(),
    }
}

fn objective(m: &ModelOpts) -> Result<FixedBatch> {
    Ok(match &m.model_dir {
        Some(dir) => FixedBatch::from_model_dir(dir, m.text.as_deref(), m.batch, m.seed)?,
        None => FixedBatch::new(m.model, DType::F64, m.batch, m.seed)?,
    })
}

fn blocks(m: &ModelOpts) -> Result<()> {
    let obj = objective(m)?;
    let infos = obj.params().infos();
    if m.json {
        println!("{}", serde_json::to_string_pretty(&infos)?);
    } else {
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
    }
    Ok(())
}

fn measure(o: &SpectrumOpts, whole: bool) -> Result<(Vec<BlockSpectrum>, SlqConfig)> {
    let obj = objective(&o.model)?;
    let cfg = o.slq.config(o.model.seed);
    cfg.validate()?;
    let quiet = o.model.json;
    let mut spectra = block_spectra(&obj, &o.blocks, &cfg, &mut |i, n, name| {
        if !quiet {
            eprintln!("[{}/{}] {name}", i + 1, n);
        }
    })?;
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

/// SVG of the block densities of `h` (log density against eigenvalue).
pub fn density_svg(h: &Heterogeneity, title: &str) -> String {
    let xs: Vec<f64> = (0..h.grid.points).map(|i| h.grid.at(i)).collect();
    let series: Vec<Series> = h
        .names
        .iter()
        .zip(&h.densities)
        .map(|(n, d)| {
            let (x, y) = downsample_max(&xs, d, 1200);
            Series {
                name: n.clone(),
                xs: x,
                ys: y,
            }
        })
        .collect();
    let axes = crate::svg::Axes {
        log_x: false,
        log_y: true,
        floor: 1e-6,
    };
    line_chart(title, "eigenvalue", "density", &series, axes)
}

fn spectrum(o: &SpectrumOpts) -> Result<()> {
    let (spectra, cfg) = measure(o, o.whole)?;
    let summary: Vec<serde_json::Value> = spectra
        .iter()
        .map(|s| serde_json::json!({"block": s.name, "numel": s.numel, "top": s.top, "bottom": s.bottom, "grad_evals": s.grad_evals, "seconds": s.seconds}))
        .collect();
    if let Some(dir) = &o.out {
        let doc = serde_json::json!({"model": label(&o.model), "batch": o.model.batch, "seed": o.model.seed, "slq": cfg, "blocks": spectra});
        let j = write(dir, "spectrum.json", &serde_json::to_string_pretty(&doc)?)?;
        let mut files = vec![j.display().to_string()];
        // One density per measured selection, on one grid (the heterogeneity machinery).
        if spectra.len() >= 2 {
            let h = heterogeneity(&spectra, &cfg)?;
            let title = format!(
                "Hessian block spectra, {} (SLQ {} probes x {} steps)",
                label(&o.model),
                cfg.probes,
                cfg.steps
            );
            files.push(
                write(dir, "spectrum.svg", &density_svg(&h, &title))?
                    .display()
                    .to_string(),
            );
        } else {
            let h = single_density(&spectra[0], &cfg);
            files.push(
                write(
                    dir,
                    "spectrum.svg",
                    &density_svg(&h, &format!("Hessian spectrum of {}", spectra[0].name)),
                )?
                .display()
                .to_string(),
            );
        }
        if !o.model.json {
            eprintln!("wrote {}", files.join(", "));
        }
    }
    if o.model.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
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
    }
    Ok(())
}

fn single_density(s: &BlockSpectrum, cfg: &SlqConfig) -> Heterogeneity {
    let grid = crate::slq::Grid::for_quadrature(&s.quadrature, cfg);
    Heterogeneity {
        names: vec![s.name.clone()],
        grid,
        js: vec![vec![0.0]],
        score: 0.0,
        densities: vec![crate::slq::density(&s.quadrature, &grid, cfg.sigma2)],
    }
}

fn hetero(o: &SpectrumOpts) -> Result<()> {
    let (spectra, cfg) = measure(o, false)?;
    let h = heterogeneity(&spectra, &cfg)?;
    if let Some(dir) = &o.out {
        let doc = serde_json::json!({"model": label(&o.model), "batch": o.model.batch, "seed": o.model.seed, "slq": cfg, "heterogeneity": h});
        write(
            dir,
            "heterogeneity.json",
            &serde_json::to_string_pretty(&doc)?,
        )?;
    }
    if o.model.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"model": label(&o.model), "score": h.score, "blocks": h.names, "js": h.js})
            )?
        );
        return Ok(());
    }
    println!(
        "block-heterogeneity score (mean pairwise JS divergence, {} blocks): {:.4}",
        h.names.len(),
        h.score
    );
    for (i, n) in h.names.iter().enumerate() {
        println!("{i:>3} {n}");
    }
    print!("    ");
    for j in 0..h.names.len() {
        print!("{j:>6}");
    }
    println!();
    for (i, row) in h.js.iter().enumerate() {
        print!("{i:>3} ");
        for v in row {
            print!("{v:>6.3}");
        }
        println!();
    }
    Ok(())
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
