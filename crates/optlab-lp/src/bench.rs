//! `optlab bench lp`: solve every MPS file of a folder, report the solved count, the shifted
//! geometric mean time, the iteration/sparse-product time ratio and, given reference objectives
//! (HiGHS, from `scripts/lp-highs-ref.py`), whether each solved objective agrees with them.

use crate::kkt::OptimalityNorm;
use crate::mps_read::{read_mps_file, MpsFormat};
use crate::pdhg::solve;
use crate::solution::{Algorithm, LpSolution, SolveOptions, Status};
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Default time limit per instance (unsolved instances count with this time in the SGM).
pub const BENCH_TIME_LIMIT_S: f64 = 30.0;

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
    #[arg(long, value_enum, default_value_t = OptimalityNorm::default())]
    pub norm: OptimalityNorm,
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
    #[arg(long)]
    pub agree_rtol: Option<f64>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

impl BenchLpArgs {
    /// Arguments with defaults for everything but the folder, tolerance and output format.
    pub fn new(dir: &Path, tol: f64, json: bool) -> Self {
        Self {
            dir: dir.to_path_buf(),
            tol,
            norm: OptimalityNorm::default(),
            time_limit: BENCH_TIME_LIMIT_S,
            threads: None,
            presolve: false,
            halpern: false,
            reference: None,
            agree_rtol: None,
            json,
        }
    }
}

/// The agreement threshold used when `--agree-rtol` is not given: `10·tol`, but no tighter than
/// 1e-7 (HiGHS' own primal/dual feasibility tolerance). The gap criterion alone allows
/// `|f − f_dual| ≤ tol·(1 + |f| + |f_dual|)` ≈ `2·tol·(1 + |f*|)`; the factor 10 leaves room for
/// the objective effect of the allowed primal/dual residuals on well-scaled problems.
pub fn default_agree_rtol(tol: f64) -> f64 {
    (10.0 * tol).max(1e-7)
}

/// Relative objective difference `|f − f*| / (1 + |f*|)`.
pub fn relative_objective_difference(f: f64, reference: f64) -> f64 {
    (f - reference).abs() / (1.0 + reference.abs())
}

/// Reads a reference file written by `scripts/lp-highs-ref.py`: file name → optimal objective
/// (instances whose reference status is not optimal are left out).
pub fn read_reference(path: &Path) -> anyhow::Result<HashMap<String, f64>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let Some(inst) = v.get("instances").and_then(|i| i.as_object()) else {
        bail!("{}: expected an \"instances\" object", path.display());
    };
    let mut out = HashMap::new();
    for (name, r) in inst {
        let optimal = r
            .get("status")
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("optimal"));
        if let (true, Some(obj)) = (optimal, r.get("objective").and_then(|o| o.as_f64())) {
            out.insert(name.clone(), obj);
        }
    }
    Ok(out)
}

/// Runs the benchmark and prints it (text or JSON); returns the JSON summary.
pub fn run_bench(a: &BenchLpArgs) -> anyhow::Result<serde_json::Value> {
    if a.tol.is_nan() || a.tol <= 0.0 || a.time_limit.is_nan() || a.time_limit <= 0.0 {
        bail!("--tol and --time-limit must be positive");
    }
    let reference = match &a.reference {
        Some(p) => Some(read_reference(p)?),
        None => None,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&a.dir)
        .with_context(|| format!("cannot read directory {}", a.dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let s = p.to_string_lossy();
            s.ends_with(".mps") || s.ends_with(".mps.gz")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .mps or .mps.gz files in {}", a.dir.display());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .context("cannot build the thread pool")?;
    pool.install(|| bench_files(a, &files, reference.as_ref()))
}

fn bench_files(
    a: &BenchLpArgs,
    files: &[PathBuf],
    reference: Option<&HashMap<String, f64>>,
) -> anyhow::Result<serde_json::Value> {
    let opts = SolveOptions {
        tol: a.tol,
        norm: a.norm,
        time_limit: a.time_limit,
        presolve: a.presolve,
        algorithm: if a.halpern {
            Algorithm::ReflectedHalpern
        } else {
            Algorithm::AveragedPdhg
        },
        ..Default::default()
    };
    let rtol = a.agree_rtol.unwrap_or_else(|| default_agree_rtol(a.tol));
    let (mut times, mut solved, mut rows) = (Vec::new(), 0usize, Vec::new());
    let (mut compared, mut agreed, mut disagree) = (0usize, 0usize, Vec::new());
    for f in files {
        let name = f
            .file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let p = match read_mps_file(f, MpsFormat::Auto) {
            Ok(p) => p,
            Err(e) => {
                // A broken file counts as unsolved; the rest of the set still runs.
                eprintln!("skipping {}: {e}", f.display());
                times.push(a.time_limit);
                rows.push(serde_json::json!({"file": name, "error": e.to_string()}));
                continue;
            }
        };
        // Presolve statistics: reduced size and `[fixed cols, dropped rows, singleton rows,
        // free column singletons]` (presolve runs again inside the solve).
        let presolved = if a.presolve {
            match crate::presolve::presolve(&p) {
                crate::presolve::Presolve::Reduced(r) => serde_json::json!({
                    "rows": r.problem.num_rows(), "cols": r.problem.num_cols(), "ops": r.counts()}),
                other => serde_json::json!(format!("{other:?}")),
            }
        } else {
            serde_json::Value::Null
        };
        let sol = solve(&p, &opts);
        let ok = sol.status == Status::Optimal;
        solved += usize::from(ok);
        times.push(if ok { sol.time_s } else { a.time_limit });
        let ratio = iteration_to_spmv_ratio(&p, &sol);
        let refobj = reference.and_then(|r| r.get(&name).copied());
        let diff = refobj.map(|r| relative_objective_difference(sol.objective, r));
        let agrees = match (ok, diff) {
            (true, Some(d)) => {
                compared += 1;
                let yes = d <= rtol;
                agreed += usize::from(yes);
                if !yes {
                    disagree.push(name.clone());
                }
                Some(yes)
            }
            _ => None,
        };
        if !a.json {
            let agree_text = match (agrees, diff) {
                (Some(y), Some(d)) => {
                    format!("  ref diff {d:.1e} {}", if y { "ok" } else { "DIFFERS" })
                }
                _ => String::new(),
            };
            println!(
                "{name:24} {:>16} obj {:>20.10e} iters {:>7} time {:>8.3} s  iter/spmv {ratio:.2}{agree_text}",
                format!("{:?}", sol.status),
                sol.objective,
                sol.iterations,
                sol.time_s
            );
        }
        rows.push(serde_json::json!({"file": name, "status": sol.status, "objective": sol.objective,
            "reference_objective": refobj, "rel_objective_diff": diff, "agrees": agrees,
            "rel_primal": sol.kkt.rel_primal, "rel_dual": sol.kkt.rel_dual, "rel_gap": sol.kkt.rel_gap,
            "abs_primal_residual": sol.kkt.primal_residual, "rows": p.num_rows(),
            "cols": p.num_cols(), "presolved": presolved,
            "iterations": sol.iterations, "time_s": sol.time_s, "iter_over_spmv": ratio}));
    }
    let sgm = crate::cli::shifted_geomean(&times, 10.0);
    let ratios: Vec<f64> = rows
        .iter()
        .filter_map(|r| r["iter_over_spmv"].as_f64())
        .filter(|v| v.is_finite())
        .collect();
    let median_ratio = median(ratios);
    let threads = rayon::current_num_threads();
    let v = serde_json::json!({"tol": a.tol, "threads": threads, "presolve": a.presolve,
        "algorithm": opts.algorithm, "solved": solved, "total": files.len(), "sgm10_s": sgm,
        "time_limit_s": a.time_limit, "median_iter_over_spmv": median_ratio,
        "agree_rtol": rtol, "compared": compared, "agreed": agreed, "disagree": disagree,
        "instances": rows});
    if a.json {
        println!("{v}");
    } else {
        println!(
            "solved {solved}/{} at tol {:e}, SGM10 {sgm:.3} s ({threads} threads), median iter/spmv {median_ratio:.2}",
            files.len(), a.tol
        );
        if reference.is_some() {
            println!(
                "objective agrees with the reference on {agreed}/{compared} solved (|f - f*| <= {rtol:e} (1 + |f*|)); differs: {disagree:?}"
            );
        }
    }
    Ok(v)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Time per PDHG iteration divided by the time of one `A x` plus one `Aᵀ y` (same thread pool).
fn iteration_to_spmv_ratio(p: &crate::LpProblem, sol: &LpSolution) -> f64 {
    if sol.iterations == 0 {
        return f64::NAN;
    }
    let at = p.a.transpose();
    let (x, y) = (vec![1.0; p.num_cols()], vec![1.0; p.num_rows()]);
    let (mut ax, mut aty) = (vec![0.0; p.num_rows()], vec![0.0; p.num_cols()]);
    // Fastest of several batches: robust to other load on the machine.
    let mut spmv = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..10 {
            p.a.mul_vec_into(&x, &mut ax);
            at.mul_vec_into(&y, &mut aty);
        }
        spmv = spmv.min(t.elapsed().as_secs_f64() / 10.0);
    }
    (sol.time_s / sol.iterations as f64) / spmv.max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_rule_and_reference_file() {
        assert_eq!(default_agree_rtol(1e-4), 1e-3);
        assert_eq!(default_agree_rtol(1e-9), 1e-7);
        assert!((relative_objective_difference(-697.2, -664.2) - 33.0 / 665.2).abs() < 1e-12);
        let dir = std::env::temp_dir().join(format!("optlab-lp-ref-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("ref.json");
        std::fs::write(
            &f,
            r#"{"instances": {"a.mps": {"status": "Optimal", "objective": 2.5},
                "b.mps": {"status": "Infeasible", "objective": 0}, "c.mps": {"status": "read_error"}}}"#,
        )
        .expect("write");
        let r = read_reference(&f).expect("reference");
        assert_eq!(r.len(), 1);
        assert_eq!(r.get("a.mps"), Some(&2.5));
        std::fs::write(&f, r#"{"x": 1}"#).expect("write");
        assert!(read_reference(&f).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bench_reports_agreement_per_instance() {
        use crate::generate::{planted, PlantedKind};
        let dir = std::env::temp_dir().join(format!("optlab-lp-agree-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let g = planted(PlantedKind::Covering, 20, 30, 0.2, 3);
        crate::write_mps_file(&g.problem, &dir.join("a.mps")).expect("write a");
        crate::write_mps_file(&g.problem, &dir.join("b.mps")).expect("write b");
        // a.mps: the planted optimum; b.mps: a reference 1% off, which must be flagged.
        let reference = serde_json::json!({"instances": {
            "a.mps": {"status": "Optimal", "objective": g.objective},
            "b.mps": {"status": "Optimal", "objective": g.objective * 1.01 + 0.01}}});
        let rf = dir.join("ref.json");
        std::fs::write(&rf, reference.to_string()).expect("write ref");
        let mut a = BenchLpArgs::new(&dir, 1e-6, true);
        a.reference = Some(rf);
        a.threads = Some(1);
        let v = run_bench(&a).expect("bench");
        assert_eq!(
            (v["solved"].as_u64(), v["compared"].as_u64()),
            (Some(2), Some(2))
        );
        assert_eq!(v["agreed"].as_u64(), Some(1));
        assert_eq!(v["disagree"], serde_json::json!(["b.mps"]));
        assert_eq!(v["instances"][0]["agrees"], true);
        assert_eq!(v["instances"][1]["agrees"], false);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
