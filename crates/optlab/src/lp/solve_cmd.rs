//! `optlab lp solve`: read an MPS file, solve it through the library facade, print the result.

use super::args::SolveArgs;
use super::net_train::{model_dir, predict_warm_start};
use anyhow::{bail, Context};
use optlab_lp::{read_mps_file, solve, LpSolution, MpsError, MpsFormat, SolveOptions, Status};
use std::io::Write;
use std::path::Path;

/// The process exit code for a solve that ended with `status` (see [`SOLVE_AFTER_HELP`](super::args::SOLVE_AFTER_HELP)).
pub fn exit_code(status: Status) -> i32 {
    match status {
        Status::Optimal => 0,
        Status::PrimalInfeasible => 2,
        Status::DualInfeasible => 3,
        Status::IterationLimit | Status::TimeLimit => 4,
        Status::NumericalError => 5,
    }
}

/// Runs `optlab lp solve`; a non-optimal status ends the process with its [`exit_code`].
pub fn run_solve(a: SolveArgs) -> anyhow::Result<()> {
    let code = exit_code(solve_and_print(a)?);
    if code != 0 {
        std::io::stdout().flush()?;
        std::process::exit(code);
    }
    Ok(())
}

/// Reads, solves and prints; returns the termination status.
pub fn solve_and_print(a: SolveArgs) -> anyhow::Result<Status> {
    if a.tol.is_nan() || a.tol <= 0.0 {
        bail!("--tol must be positive, got {}", a.tol);
    }
    // A parse error names the line; the file goes in front (a read error names it already).
    let p = read_mps_file(&a.file, MpsFormat::Auto).map_err(|e| match e {
        MpsError::Parse { .. } => anyhow::Error::from(e).context(a.file.display().to_string()),
        _ => e.into(),
    })?;
    let mut opts = SolveOptions {
        tol: a.tol,
        norm: a.norm.into(),
        threads: a.threads,
        presolve: a.presolve,
        bc_scaling: a.bc_scaling,
        algorithm: a.algorithm.into(),
        ..Default::default()
    };
    if let Some(t) = a.time_limit {
        opts.time_limit = t;
    }
    if let Some(k) = a.iteration_limit {
        opts.iteration_limit = k;
    }
    if let Some(ws) = &a.warm_start {
        opts.warm_start = Some(match model_dir(ws) {
            Some(dir) => predict_warm_start(&dir, &p)?,
            None => read_warm_start(ws, p.num_cols(), p.num_rows())?,
        });
    }
    let sol = solve(&p, &opts)?;
    if let Some(path) = &a.write_solution {
        let text = serde_json::to_string(&sol)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_solution(&p.name, &sol, a.json);
    Ok(sol.status)
}

/// Reads a `{"x": [..], "y": [..]}` warm start for an LP with `n` columns and `m` rows.
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

/// Prints a solution as one JSON line or as a short table.
fn print_solution(name: &str, sol: &LpSolution, json: bool) {
    let optimal = sol.status == Status::Optimal;
    if json {
        let objective = optimal.then_some(sol.objective);
        let v = serde_json::json!({
            "name": name, "status": sol.status, "objective": objective, "kkt": sol.kkt,
            "iterations": sol.iterations, "restarts": sol.restarts, "time_s": sol.time_s,
        });
        println!("{v}");
        return;
    }
    let k = &sol.kkt;
    println!("problem    {name}");
    println!("status     {:?}", sol.status);
    if optimal {
        println!("objective  {:.12e}", sol.objective);
    } else {
        println!("objective  none (not optimal)");
    }
    println!(
        "kkt        rel primal {:.2e}  rel dual {:.2e}  rel gap {:.2e}",
        k.rel_primal, k.rel_dual, k.rel_gap
    );
    // Absolute figures too: a relative error can hide a large violation when ‖b‖ or ‖c‖
    // is dominated by a few huge bounds or costs (netlib forplan at 1e-4).
    println!(
        "           abs primal {:.2e}  abs dual {:.2e}  primal obj {:.10e}  dual obj {:.10e}",
        k.primal_residual, k.dual_residual, k.primal_objective, k.dual_objective
    );
    println!(
        "           componentwise primal {:.2e}  dual {:.2e}",
        k.comp_primal, k.comp_dual
    );
    println!(
        "iterations {}  restarts {}  time {:.3} s",
        sol.iterations, sol.restarts, sol.time_s
    );
}
