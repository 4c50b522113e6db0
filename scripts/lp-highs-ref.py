#!/usr/bin/env python3
"""Reference objectives from HiGHS (highspy, simplex, default tolerances) for every .mps/.mps.gz
file in a folder, written as JSON {file: {"status": ..., "objective": ...}}.

Used by `optlab bench lp --reference FILE` to report per-instance objective agreement.
Usage: python3 scripts/lp-highs-ref.py DIR OUT.json [--time-limit 60]
"""
import argparse
import json
import os
import sys
import time

try:
    import highspy
except ImportError:
    sys.exit("highspy is missing: pip install highspy")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("out")
    ap.add_argument("--time-limit", type=float, default=60.0)
    a = ap.parse_args()
    files = sorted(f for f in os.listdir(a.dir) if f.endswith(".mps") or f.endswith(".mps.gz"))
    if not files:
        sys.exit(f"no .mps/.mps.gz files in {a.dir}")
    ref = {}
    for f in files:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", a.time_limit)
        t = time.time()
        st = h.readModel(os.path.join(a.dir, f))
        if st != highspy.HighsStatus.kOk and st != highspy.HighsStatus.kWarning:
            ref[f] = {"status": "read_error"}
            continue
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        obj = h.getInfo().objective_function_value
        ref[f] = {"status": status, "objective": obj, "time_s": time.time() - t}
        print(f"{f:24} {status:12} {obj:.12e}", flush=True)
    with open(a.out, "w") as fh:
        json.dump({"solver": f"HiGHS {highspy.Highs().version()}", "instances": ref}, fh, indent=1)


if __name__ == "__main__":
    main()
