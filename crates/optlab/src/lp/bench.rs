//! `optlab bench lp`: the library benchmark over a folder of MPS files, printed as a table or
//! as JSON.

use anyhow::{bail, Context};
use optlab_lp::bench::{
    bench_files, mps_files, read_reference, BenchReport, InstanceOutcome, BENCH_TIME_LIMIT_S,
};
use optlab_lp::{Algorithm, SolveOptions};
use std::path::PathBuf;

use super::choices::NormArg;

/// Arguments of `optlab bench lp`.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "Example:\n  python3 scripts/lp-highs-ref.py ../shared/data/netlib highs.json\n  \
                        optlab bench lp --dir ../shared/data/netlib --tol 1e-4 --threads 1 \
                        --reference highs.json --json"
)]
pub struct BenchLpArgs {
    /// Folder of .mps / .mps.gz files.
    #[arg(long)]
    pub dir: PathBuf,
    /// Relative KKT tolerance.
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// How residuals are measured against --tol (l2 or componentwise).
    #[arg(long, value_enum, default_value_t = NormArg::Componentwise)]
    pub norm: NormArg,
    /// Time limit per instance in seconds.
    #[arg(long, default_value_t = BENCH_TIME_LIMIT_S)]
    pub time_limit: f64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run presolve-lite before PDHG.
    #[arg(long)]
    pub presolve: bool,
    /// Use the reflected Halpern variant instead of averaged PDHG.
    #[arg(long)]
    pub halpern: bool,
    /// Reference objectives: JSON `{"instances": {FILE: {"status": "Optimal", "objective": v}}}`
    /// as written by `scripts/lp-highs-ref.py`.
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Relative objective tolerance for agreement with the reference, `|f − f*| ≤ rtol·(1 + |f*|)`
    /// (default: [`default_agree_rtol`] of `--tol`).
    ///
    /// [`default_agree_rtol`]: optlab_lp::bench::default_agree_rtol
    #[arg(long)]
    pub agree_rtol: Option<f64>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark and prints it (text or JSON); returns the JSON summary.
pub fn run_bench(a: &BenchLpArgs) -> anyhow::Result<serde_json::Value> {
    if a.tol.is_nan() || a.tol <= 0.0 || a.time_limit.is_nan() || a.time_limit <= 0.0 {
        bail!("--tol and --time-limit must be positive");
    }
    let reference = a.reference.as_deref().map(read_reference).transpose()?;
    let files = mps_files(&a.dir)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .context("cannot build the thread pool")?;
    let opts = SolveOptions {
        tol: a.tol,
        norm: a.norm.into(),
        time_limit: a.time_limit,
        presolve: a.presolve,
        algorithm: if a.halpern {
            Algorithm::ReflectedHalpern
        } else {
            Algorithm::AveragedPdhg
        },
        ..Default::default()
    };
    let mut print_row = |o: &InstanceOutcome| print_instance(o, a.json);
    let report = pool.install(|| {
        bench_files(
            &files,
            &opts,
            reference.as_ref(),
            a.agree_rtol,
            &mut print_row,
        )
    })?;
    let v = serde_json::to_value(&report)?;
    if a.json {
        println!("{v}");
    } else {
        print_summary(&report, reference.is_some());
    }
    Ok(v)
}

/// One table row per instance as it finishes (nothing with `--json`); unreadable files on stderr.
fn print_instance(o: &InstanceOutcome, json: bool) {
    let r = match o {
        InstanceOutcome::Unreadable { file, error } => {
            eprintln!("skipping {file}: {error}");
            return;
        }
        InstanceOutcome::Solved(r) => r,
    };
    if json {
        return;
    }
    let agree_text = match (r.agrees, r.rel_objective_diff) {
        (Some(y), Some(d)) => format!("  ref diff {d:.1e} {}", if y { "ok" } else { "DIFFERS" }),
        _ => String::new(),
    };
    println!(
        "{:24} {:>16} obj {:>20.10e} iters {:>7} time {:>8.3} s  iter/spmv {:.2}{agree_text}",
        r.file,
        format!("{:?}", r.status),
        r.objective,
        r.iterations,
        r.time_s,
        r.iter_over_spmv
    );
}

/// The closing lines of the table.
fn print_summary(r: &BenchReport, with_reference: bool) {
    println!(
        "solved {}/{} at tol {:e}, SGM10 {:.3} s ({} threads), median iter/spmv {:.2}",
        r.solved, r.total, r.tol, r.sgm10_s, r.threads, r.median_iter_over_spmv
    );
    if with_reference {
        println!(
            "objective agrees with the reference on {}/{} solved (|f - f*| <= {:e} (1 + |f*|)); differs: {:?}",
            r.agreed, r.compared, r.agree_rtol, r.disagree
        );
    }
}
