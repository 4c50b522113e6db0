#!/usr/bin/env python3
"""Side-by-side netlib benchmark in one run: optlab's PDHG (`optlab bench lp`) and OR-Tools PDLP
(PyPI `ortools`, one thread, defaults, no presolve), both at the same relative tolerance, optimality
norm (--norm componentwise|l2) and time limit, with every solved objective checked against HiGHS reference objectives
(scripts/lp-highs-ref.py) by the same rule |f - f*| <= rtol (1 + |f*|), rtol = max(10 tol, 1e-7).

Usage:
  python3 scripts/lp-highs-ref.py DIR highs.json
  python3 scripts/lp-compare.py --dir DIR --reference highs.json --tol 1e-4 --time-limit 30 \
      --optlab ./target/release/optlab --out compare-1e-4.json [--presolve] [--threads 1]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time


def sgm(times, shift=10.0):
    return math.exp(sum(math.log(t + shift) for t in times) / len(times)) - shift


def ortools_run(path, tol, time_limit, threads, norm):
    from ortools.pdlp import solve_log_pb2, solvers_pb2
    from ortools.pdlp.python import pdlp

    qp = pdlp.read_quadratic_program_or_die(path)
    p = solvers_pb2.PrimalDualHybridGradientParams()
    c = p.termination_criteria.simple_optimality_criteria
    c.eps_optimal_relative = tol
    c.eps_optimal_absolute = tol
    p.num_threads = threads
    if norm == "componentwise":
        p.termination_criteria.optimality_norm = solvers_pb2.OPTIMALITY_NORM_L_INF_COMPONENTWISE
    else:
        p.termination_criteria.optimality_norm = solvers_pb2.OPTIMALITY_NORM_L2
    p.termination_criteria.time_sec_limit = time_limit
    t = time.time()
    r = pdlp.primal_dual_hybrid_gradient(qp, p)
    wall = time.time() - t
    log = r.solve_log
    info = [ci for ci in log.solution_stats.convergence_information
            if ci.candidate_type == log.solution_type]
    info = info[0] if info else log.solution_stats.convergence_information[0]
    status = solve_log_pb2.TerminationReason.Name(log.termination_reason)
    # Objectives in the file's sense: PDLP stores a maximisation as a scaled minimisation.
    obj = info.primal_objective
    return {"status": status, "optimal": status == "TERMINATION_REASON_OPTIMAL",
            "objective": obj, "iterations": log.iteration_count,
            "time_s": log.solve_time_sec, "wall_s": wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--norm", choices=["componentwise", "l2"], default="componentwise",
                    help="optimality norm for both solvers (OR-Tools' default is l2)")
    ap.add_argument("--optlab", default="./target/release/optlab")
    ap.add_argument("--presolve", action="store_true", help="optlab presolve-lite on")
    ap.add_argument("--skip-ortools", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    ref = json.load(open(a.reference))["instances"]
    rtol = max(10 * a.tol, 1e-7)
    cmd = [a.optlab, "bench", "lp", "--dir", a.dir, "--tol", str(a.tol), "--threads",
           str(a.threads), "--time-limit", str(a.time_limit), "--reference", a.reference,
           "--norm", a.norm, "--json"]
    if a.presolve:
        cmd.append("--presolve")
    t = time.time()
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    print(f"optlab bench took {time.time() - t:.0f} s", file=sys.stderr)
    rows = []
    o_times, o_solved, o_agree, o_cmp = [], 0, 0, 0
    for inst in ours["instances"]:
        f = inst["file"]
        row = {"file": f, "optlab": inst}
        if not a.skip_ortools:
            try:
                o = ortools_run(os.path.join(a.dir, f), a.tol, a.time_limit, a.threads, a.norm)
            except Exception as e:  # a file OR-Tools cannot read counts as unsolved
                o = {"status": f"error: {e}", "optimal": False}
            r = ref.get(f, {})
            if o["optimal"] and r.get("status") == "Optimal":
                d = abs(o["objective"] - r["objective"]) / (1 + abs(r["objective"]))
                o["rel_objective_diff"], o["agrees"] = d, d <= rtol
                o_cmp += 1
                o_agree += int(d <= rtol)
            o_solved += int(o["optimal"])
            o_times.append(o["time_s"] if o["optimal"] else a.time_limit)
            row["ortools"] = o
        rows.append(row)
        oi = row.get("ortools", {})
        fmt = lambda s, ok, t, d: f"{('ok' if ok else s)[:10]:>10} {t if t is not None else float('nan'):7.2f} " \
            + (f"{d:8.1e}" if d is not None else " " * 8)
        print(f"{f:22} optlab {fmt(inst['status'], inst['status'] == 'optimal', inst.get('time_s'), inst.get('rel_objective_diff'))}"
              f" | ortools {fmt(oi.get('status', '-'), oi.get('optimal'), oi.get('time_s'), oi.get('rel_objective_diff'))}",
              flush=True)
    summary = {"tol": a.tol, "norm": a.norm, "time_limit_s": a.time_limit, "threads": a.threads, "agree_rtol": rtol,
               "optlab": {k: ours[k] for k in ["solved", "total", "sgm10_s", "agreed", "compared",
                                               "disagree", "median_iter_over_spmv", "presolve"]}}
    if not a.skip_ortools:
        summary["ortools_pdlp"] = {"solved": o_solved, "total": len(rows), "sgm10_s": sgm(o_times),
                                   "agreed": o_agree, "compared": o_cmp,
                                   "disagree": [r["file"] for r in rows
                                                if r["ortools"].get("agrees") is False]}
    print(json.dumps(summary, indent=1))
    if a.out:
        json.dump({"summary": summary, "instances": rows}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
