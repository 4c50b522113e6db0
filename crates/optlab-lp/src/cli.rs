//! Command-line front end (`optlab lp ...` and `optlab bench lp`), usable by the optlab binary.

use crate::generate::{pagerank, planted, PlantedKind};
use crate::kkt::OptimalityNorm;
use crate::mps_read::{read_mps_file, MpsFormat};
use crate::mps_write::write_mps_file;
use crate::pdhg::solve;
use crate::solution::{Algorithm, LpSolution, SolveOptions};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// Arguments of `optlab lp`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  optlab lp solve afiro.mps.gz --tol 1e-8\n  \
                        optlab lp generate pagerank --nodes 10000 --out pr.mps.gz"
)]
pub struct LpArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LpCommand,
}

/// Subcommands of `optlab lp`.
#[derive(clap::Subcommand, Debug)]
pub enum LpCommand {
    /// Solve an LP from an MPS file (fixed or free format, optionally gzip-compressed).
    #[command(
        after_help = "Example:\n  optlab lp solve afiro.mps.gz --tol 1e-8 --time-limit 60 --json \
                            --write-solution afiro.sol.json"
    )]
    Solve {
        /// MPS file (.mps or .mps.gz).
        file: PathBuf,
        /// Relative KKT tolerance.
        #[arg(long, default_value_t = 1e-4)]
        tol: f64,
        /// How residuals are measured against --tol: l2 (PDLP's default, relative to ‖b‖₂ and
        /// ‖c‖₂) or componentwise (each row and column relative to its own bound or cost).
        #[arg(long, value_enum, default_value_t = OptimalityNorm::default())]
        norm: OptimalityNorm,
        /// Wall-clock limit in seconds.
        #[arg(long)]
        time_limit: Option<f64>,
        /// Iteration limit.
        #[arg(long)]
        iteration_limit: Option<usize>,
        /// Worker threads for the sparse products (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Write the full solution (x, y, reduced costs, KKT errors) as JSON to this file.
        #[arg(long)]
        write_solution: Option<PathBuf>,
        /// First-order method: averaged (PDLP) or halpern (cuPDLPx r²HPDHG).
        #[arg(long, value_enum, default_value_t = AlgorithmArg::Averaged)]
        algorithm: AlgorithmArg,
        /// Scale objective and bounds to unit norm after Ruiz/Pock–Chambolle.
        #[arg(long)]
        bc_scaling: bool,
        /// Run presolve-lite (fixed/empty columns, free column singletons, empty/free/singleton
        /// rows) before PDHG.
        #[arg(long)]
        presolve: bool,
        /// Start from a primal-dual pair: a JSON file with arrays "x" and "y" (e.g. a file
        /// written by --write-solution), or `pdhg-net:DIR` to predict one with a PDHG-Net
        /// model folder (see `optlab lp net-train`).
        #[arg(long)]
        warm_start: Option<PathBuf>,
    },
    /// Generate an instance family and write it as MPS.
    #[command(
        after_help = "Examples:\n  optlab lp generate covering --rows 1000 --cols 2000 --density 0.01 --out cov.mps\n  \
                            optlab lp generate pagerank --nodes 100000 --seed 3 --out pr.mps.gz"
    )]
    Generate {
        /// Instance family.
        #[arg(value_enum)]
        family: Family,
        /// Rows (covering/packing).
        #[arg(long, default_value_t = 100)]
        rows: usize,
        /// Columns (covering/packing).
        #[arg(long, default_value_t = 200)]
        cols: usize,
        /// Fraction of nonzero matrix entries (covering/packing).
        #[arg(long, default_value_t = 0.05)]
        density: f64,
        /// Graph nodes (pagerank).
        #[arg(long, default_value_t = 1000)]
        nodes: usize,
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output MPS file (.gz compresses).
        #[arg(long)]
        out: PathBuf,
        /// Print a JSON summary (planted objective, sizes).
        #[arg(long)]
        json: bool,
    },
    /// Train a PDHG-Net warm-start model on a generated instance family.
    NetTrain(crate::pdhg_net::cmd::NetTrainArgs),
}

/// First-order method choices on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgorithmArg {
    /// Restarted averaged PDHG with adaptive steps (PDLP).
    Averaged,
    /// Restarted reflected Halpern PDHG (cuPDLPx).
    Halpern,
}

/// Generated instance families.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `min cᵀx, Ax ≥ b, x ≥ 0` with a planted optimum.
    Covering,
    /// `max cᵀx, Ax ≤ b, x ≥ 0` with a planted optimum.
    Packing,
    /// PageRank LP on a Barabási–Albert graph (α = 0.85, 3 edges per node).
    Pagerank,
}

/// Runs `optlab lp ...`.
pub fn run(args: LpArgs) -> anyhow::Result<()> {
    match args.command {
        LpCommand::Solve {
            file,
            tol,
            norm,
            time_limit,
            iteration_limit,
            threads,
            json,
            write_solution,
            algorithm,
            bc_scaling,
            presolve,
            warm_start,
        } => {
            if tol.is_nan() || tol <= 0.0 {
                bail!("--tol must be positive, got {tol}");
            }
            let p = read_mps_file(&file, MpsFormat::Auto)?;
            let mut opts = SolveOptions {
                tol,
                norm,
                threads,
                presolve,
                bc_scaling,
                algorithm: match algorithm {
                    AlgorithmArg::Averaged => Algorithm::AveragedPdhg,
                    AlgorithmArg::Halpern => Algorithm::ReflectedHalpern,
                },
                ..Default::default()
            };
            if let Some(t) = time_limit {
                opts.time_limit = t;
            }
            if let Some(k) = iteration_limit {
                opts.iteration_limit = k;
            }
            if let Some(ws) = warm_start {
                opts.warm_start = Some(match crate::pdhg_net::cmd::model_dir(&ws) {
                    Some(dir) => crate::pdhg_net::cmd::predict_warm_start(&dir, &p)?,
                    None => read_warm_start(&ws, p.num_cols(), p.num_rows())?,
                });
            }
            let sol = solve(&p, &opts);
            if let Some(path) = write_solution {
                let text = serde_json::to_string(&sol)?;
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            print_solution(&p.name, &sol, json)
        }
        LpCommand::Generate {
            family,
            rows,
            cols,
            density,
            nodes,
            seed,
            out,
            json,
        } => {
            let (p, planted_obj) = match family {
                Family::Covering | Family::Packing => {
                    if rows == 0 || cols == 0 || density.is_nan() || density <= 0.0 || density > 1.0
                    {
                        bail!("need --rows > 0, --cols > 0 and 0 < --density <= 1");
                    }
                    let kind = if family == Family::Covering {
                        PlantedKind::Covering
                    } else {
                        PlantedKind::Packing
                    };
                    let g = planted(kind, rows, cols, density, seed);
                    (g.problem, Some(g.objective))
                }
                Family::Pagerank => {
                    if nodes < 4 {
                        bail!("--nodes must be at least 4");
                    }
                    (pagerank(nodes, 3, 0.85, seed).0, Some(0.0))
                }
            };
            write_mps_file(&p, &out).with_context(|| format!("cannot write {}", out.display()))?;
            let summary = serde_json::json!({
                "file": out.display().to_string(), "rows": p.num_rows(), "cols": p.num_cols(),
                "nnz": p.a.nnz(), "planted_objective": planted_obj,
            });
            if json {
                println!("{summary}");
            } else {
                println!(
                    "wrote {} ({} rows, {} cols, {} nnz, planted objective {:?})",
                    out.display(),
                    p.num_rows(),
                    p.num_cols(),
                    p.a.nnz(),
                    planted_obj
                );
            }
            Ok(())
        }
        LpCommand::NetTrain(a) => crate::pdhg_net::cmd::run_net_train(a),
    }
}

fn read_warm_start(path: &Path, n: usize, m: usize) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    #[derive(serde::Deserialize)]
    struct Ws {
        x: Vec<f64>,
        y: Vec<f64>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let ws: Ws = serde_json::from_str(&text)
        .with_context(|| format!("{}: expected {{\"x\": [..], \"y\": [..]}}", path.display()))?;
    if ws.x.len() != n || ws.y.len() != m {
        bail!(
            "{}: warm start has {} x and {} y entries, the LP has {n} columns and {m} rows",
            path.display(),
            ws.x.len(),
            ws.y.len()
        );
    }
    Ok((ws.x, ws.y))
}

fn print_solution(name: &str, sol: &LpSolution, json: bool) -> anyhow::Result<()> {
    if json {
        let v = serde_json::json!({
            "name": name, "status": sol.status, "objective": sol.objective, "kkt": sol.kkt,
            "iterations": sol.iterations, "restarts": sol.restarts, "time_s": sol.time_s,
        });
        println!("{v}");
    } else {
        println!("problem    {name}");
        println!("status     {:?}", sol.status);
        println!("objective  {:.12e}", sol.objective);
        println!(
            "kkt        rel primal {:.2e}  rel dual {:.2e}  rel gap {:.2e}",
            sol.kkt.rel_primal, sol.kkt.rel_dual, sol.kkt.rel_gap
        );
        // Absolute figures too: a relative error can hide a large violation when ‖b‖ or ‖c‖
        // is dominated by a few huge bounds or costs (netlib forplan at 1e-4).
        println!(
            "           abs primal {:.2e}  abs dual {:.2e}  primal obj {:.10e}  dual obj {:.10e}",
            sol.kkt.primal_residual,
            sol.kkt.dual_residual,
            sol.kkt.primal_objective,
            sol.kkt.dual_objective
        );
        println!(
            "           componentwise primal {:.2e}  dual {:.2e}",
            sol.kkt.comp_primal, sol.kkt.comp_dual
        );
        println!(
            "iterations {}  restarts {}  time {:.3} s",
            sol.iterations, sol.restarts, sol.time_s
        );
    }
    Ok(())
}

/// Shifted geometric mean `exp(mean(ln(t + shift))) − shift`.
pub fn shifted_geomean(times: &[f64], shift: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    (times.iter().map(|t| (t + shift).ln()).sum::<f64>() / times.len() as f64).exp() - shift
}

/// Solves every `.mps`/`.mps.gz` file in `dir` with default bench settings (see
/// [`crate::bench::run_bench`] for all options, including agreement with reference objectives).
pub fn bench(dir: &Path, tol: f64, json: bool) -> anyhow::Result<()> {
    crate::bench::run_bench(&crate::bench::BenchLpArgs::new(dir, tol, json)).map(|_| ())
}
