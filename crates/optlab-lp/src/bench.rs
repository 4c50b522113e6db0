//! The benchmark behind `optlab bench lp`: solve every MPS file of a folder and summarise the
//! solved count, the shifted geometric mean time, the iteration/sparse-product time ratio and,
//! given reference objectives (HiGHS, from `scripts/lp-highs-ref.py`), whether each solved
//! objective agrees with them. Nothing is printed: each finished instance is handed to a
//! callback, and the summary is returned.

use crate::error::LpError;
use crate::model::LpProblem;
use crate::mps_read::{read_mps_file, MpsFormat};
use crate::options::SolveOptions;
use crate::presolve::{presolve, Presolve};
use crate::solution::{LpSolution, Status};
use crate::solve::solve;
use optlab_core::stats::{median, shifted_geomean};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Default time limit per instance (unsolved instances count with this time in the SGM).
pub const BENCH_TIME_LIMIT_S: f64 = 30.0;

/// Shift of the shifted geometric mean of solve times (seconds): "SGM10".
pub const SGM_SHIFT_S: f64 = 10.0;

/// Errors of the benchmark's inputs (the folder and the reference file).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The reference file is not the JSON `scripts/lp-highs-ref.py` writes.
    #[error("{path}: {reason}")]
    BadReference {
        /// The reference file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The folder holds no `.mps` or `.mps.gz` file.
    #[error("no .mps or .mps.gz files in {0}")]
    NoInstances(PathBuf),
    /// The solve options were refused.
    #[error(transparent)]
    Solve(#[from] LpError),
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
pub fn read_reference(path: &Path) -> Result<HashMap<String, f64>, BenchError> {
    let text = std::fs::read_to_string(path).map_err(|source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |reason: &str| BenchError::BadReference {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad("not JSON"))?;
    let Some(inst) = v.get("instances").and_then(|i| i.as_object()) else {
        return Err(bad("expected an \"instances\" object"));
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

/// The `.mps` and `.mps.gz` files of `dir`, sorted; an error when there are none.
pub fn mps_files(dir: &Path) -> Result<Vec<PathBuf>, BenchError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BenchError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let s = p.to_string_lossy();
            s.ends_with(".mps") || s.ends_with(".mps.gz")
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(BenchError::NoInstances(dir.to_path_buf()));
    }
    Ok(files)
}

/// One benchmarked instance (the JSON row of `optlab bench lp --json`).
#[derive(Debug, Clone, Serialize)]
pub struct InstanceResult {
    /// File name.
    pub file: String,
    /// How the solve ended.
    pub status: Status,
    /// Objective in the problem's original sense.
    pub objective: f64,
    /// The reference objective, if the reference file has one.
    pub reference_objective: Option<f64>,
    /// [`relative_objective_difference`] to the reference.
    pub rel_objective_diff: Option<f64>,
    /// Whether a solved objective agrees with the reference (`None`: not compared).
    pub agrees: Option<bool>,
    /// Relative primal residual.
    pub rel_primal: f64,
    /// Relative dual residual.
    pub rel_dual: f64,
    /// Relative gap.
    pub rel_gap: f64,
    /// Absolute primal residual.
    pub abs_primal_residual: f64,
    /// Rows of the original problem.
    pub rows: usize,
    /// Columns of the original problem.
    pub cols: usize,
    /// Presolve statistics (see [`presolve_summary`]), or null without presolve.
    pub presolved: serde_json::Value,
    /// PDHG iterations.
    pub iterations: usize,
    /// Solve seconds.
    pub time_s: f64,
    /// [`iteration_to_spmv_ratio`].
    pub iter_over_spmv: f64,
}

/// What happened to one file of the benchmark.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum InstanceOutcome {
    /// The file was read and solved.
    Solved(InstanceResult),
    /// The file could not be read (it counts as unsolved; the rest of the set still runs).
    Unreadable {
        /// File name.
        file: String,
        /// Why it could not be read.
        error: String,
    },
}

/// The summary of `optlab bench lp` (its JSON output).
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Relative KKT tolerance.
    pub tol: f64,
    /// Worker threads of the pool the benchmark ran in.
    pub threads: usize,
    /// Whether presolve-lite ran.
    pub presolve: bool,
    /// The PDHG variant.
    pub algorithm: crate::Algorithm,
    /// Instances solved to optimality.
    pub solved: usize,
    /// Instances in the folder.
    pub total: usize,
    /// Shifted geometric mean time (unsolved instances count with the time limit).
    pub sgm10_s: f64,
    /// Time limit per instance.
    pub time_limit_s: f64,
    /// Median of the per-instance iteration/product time ratios.
    pub median_iter_over_spmv: f64,
    /// Agreement threshold used.
    pub agree_rtol: f64,
    /// Solved instances with a reference objective.
    pub compared: usize,
    /// Of those, how many agree.
    pub agreed: usize,
    /// File names of the solved instances that disagree with the reference.
    pub disagree: Vec<String>,
    /// One entry per file, in order.
    pub instances: Vec<InstanceOutcome>,
}

/// Presolve statistics of `p`: reduced size and `[fixed cols, dropped rows, singleton rows,
/// free column singletons]`, or the verdict when presolve decides the problem.
pub fn presolve_summary(p: &LpProblem) -> serde_json::Value {
    match presolve(p) {
        Presolve::Reduced(r) => serde_json::json!({
            "rows": r.problem.num_rows(), "cols": r.problem.num_cols(), "ops": r.counts()}),
        other => serde_json::json!(format!("{other:?}")),
    }
}

/// Time per PDHG iteration divided by the time of one `A x` plus one `Aᵀ y` (same thread pool).
pub fn iteration_to_spmv_ratio(p: &LpProblem, sol: &LpSolution) -> f64 {
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

/// Reads and solves one file; an unreadable file is reported, not an error.
fn bench_instance(
    file: &Path,
    opts: &SolveOptions,
    reference: Option<&HashMap<String, f64>>,
    rtol: f64,
) -> Result<InstanceOutcome, LpError> {
    let name = file
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let p = match read_mps_file(file, MpsFormat::Auto) {
        Ok(p) => p,
        Err(e) => {
            let error = e.to_string();
            return Ok(InstanceOutcome::Unreadable { file: name, error });
        }
    };
    // Presolve runs again inside the solve; this is only the statistics.
    let presolved = if opts.presolve {
        presolve_summary(&p)
    } else {
        serde_json::Value::Null
    };
    let sol = solve(&p, opts)?;
    let reference_objective = reference.and_then(|r| r.get(&name).copied());
    let rel_objective_diff =
        reference_objective.map(|r| relative_objective_difference(sol.objective, r));
    let agrees = match (sol.status, rel_objective_diff) {
        (Status::Optimal, Some(d)) => Some(d <= rtol),
        _ => None,
    };
    Ok(InstanceOutcome::Solved(InstanceResult {
        file: name,
        status: sol.status,
        objective: sol.objective,
        reference_objective,
        rel_objective_diff,
        agrees,
        rel_primal: sol.kkt.rel_primal,
        rel_dual: sol.kkt.rel_dual,
        rel_gap: sol.kkt.rel_gap,
        abs_primal_residual: sol.kkt.primal_residual,
        rows: p.num_rows(),
        cols: p.num_cols(),
        presolved,
        iterations: sol.iterations,
        time_s: sol.time_s,
        iter_over_spmv: iteration_to_spmv_ratio(&p, &sol),
    }))
}

/// Benchmarks `files` with `opts` in the current rayon pool, calling `on_instance` after each
/// file; `agree_rtol` defaults to [`default_agree_rtol`] of `opts.tol`.
pub fn bench_files(
    files: &[PathBuf],
    opts: &SolveOptions,
    reference: Option<&HashMap<String, f64>>,
    agree_rtol: Option<f64>,
    on_instance: &mut dyn FnMut(&InstanceOutcome),
) -> Result<BenchReport, BenchError> {
    let rtol = agree_rtol.unwrap_or_else(|| default_agree_rtol(opts.tol));
    let mut instances = Vec::with_capacity(files.len());
    for f in files {
        let outcome = bench_instance(f, opts, reference, rtol)?;
        on_instance(&outcome);
        instances.push(outcome);
    }
    Ok(summarize(opts, rtol, instances))
}

/// The report over finished instances.
fn summarize(opts: &SolveOptions, rtol: f64, instances: Vec<InstanceOutcome>) -> BenchReport {
    let solved_rows: Vec<&InstanceResult> = instances
        .iter()
        .filter_map(|o| match o {
            InstanceOutcome::Solved(r) => Some(r),
            InstanceOutcome::Unreadable { .. } => None,
        })
        .collect();
    let optimal = |r: &InstanceResult| r.status == Status::Optimal;
    let solved = solved_rows.iter().filter(|r| optimal(r)).count();
    let mut times: Vec<f64> = solved_rows
        .iter()
        .map(|r| {
            if optimal(r) {
                r.time_s
            } else {
                opts.time_limit
            }
        })
        .collect();
    times.resize(instances.len(), opts.time_limit);
    let ratios: Vec<f64> = solved_rows
        .iter()
        .map(|r| r.iter_over_spmv)
        .filter(|v| v.is_finite())
        .collect();
    let compared_rows: Vec<&&InstanceResult> =
        solved_rows.iter().filter(|r| r.agrees.is_some()).collect();
    let disagree = compared_rows
        .iter()
        .filter(|r| r.agrees == Some(false))
        .map(|r| r.file.clone())
        .collect();
    BenchReport {
        tol: opts.tol,
        threads: rayon::current_num_threads(),
        presolve: opts.presolve,
        algorithm: opts.algorithm,
        solved,
        total: instances.len(),
        sgm10_s: shifted_geomean(&times, SGM_SHIFT_S).unwrap_or(0.0),
        time_limit_s: opts.time_limit,
        median_iter_over_spmv: median(&ratios).unwrap_or(f64::NAN),
        agree_rtol: rtol,
        compared: compared_rows.len(),
        agreed: compared_rows
            .iter()
            .filter(|r| r.agrees == Some(true))
            .count(),
        disagree,
        instances,
    }
}

#[cfg(test)]
mod tests;
