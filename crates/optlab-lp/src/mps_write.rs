//! Free-format MPS writer. Reading the output back gives the same problem (round-trip tested).

use crate::model::LpProblem;
use std::fmt::Write as _;
use std::path::Path;

/// Names may not contain whitespace in free format; spaces become underscores.
fn clean(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join("_")
}

/// Renders the problem as free-format MPS text.
pub fn to_mps_string(p: &LpProblem) -> String {
    let sign = if p.maximize { -1.0 } else { 1.0 };
    let rows: Vec<String> = p.row_names.iter().map(|s| clean(s)).collect();
    let obj = clean(&p.obj_name);
    let mut s = String::new();
    let _ = writeln!(s, "NAME {}", p.name.trim());
    if p.maximize {
        let _ = writeln!(s, "OBJSENSE\n    MAX");
    }
    let _ = writeln!(s, "ROWS\n N {obj}");
    let mut ranges = Vec::new();
    let mut rhs = Vec::new();
    for i in 0..p.num_rows() {
        let (lo, hi) = (p.row_lower[i], p.row_upper[i]);
        let kind = if lo == hi {
            rhs.push((i, lo));
            "E"
        } else if lo.is_finite() {
            rhs.push((i, lo));
            if hi.is_finite() {
                ranges.push((i, hi - lo));
            }
            "G"
        } else {
            // Free rows are written as `L` with an infinite right-hand side.
            rhs.push((i, if hi.is_finite() { hi } else { 1e30 }));
            "L"
        };
        let _ = writeln!(s, " {kind} {}", rows[i]);
    }
    let _ = writeln!(s, "COLUMNS");
    let at = p.a.transpose();
    for j in 0..p.num_cols() {
        let c = clean(&p.col_names[j]);
        if p.obj[j] != 0.0 || at.row(j).next().is_none() {
            let _ = writeln!(s, "    {c} {obj} {}", sign * p.obj[j]);
        }
        for (i, v) in at.row(j) {
            let _ = writeln!(s, "    {c} {} {v}", rows[i]);
        }
    }
    let _ = writeln!(s, "RHS");
    if p.obj_offset != 0.0 {
        let _ = writeln!(s, "    RHS {obj} {}", -sign * p.obj_offset);
    }
    for (i, v) in rhs {
        if v != 0.0 {
            let _ = writeln!(s, "    RHS {} {v}", rows[i]);
        }
    }
    if !ranges.is_empty() {
        let _ = writeln!(s, "RANGES");
        for (i, v) in ranges {
            let _ = writeln!(s, "    RNG {} {v}", rows[i]);
        }
    }
    let _ = writeln!(s, "BOUNDS");
    for j in 0..p.num_cols() {
        let c = clean(&p.col_names[j]);
        let (lo, hi) = (p.col_lower[j], p.col_upper[j]);
        if lo == hi {
            let _ = writeln!(s, " FX BND {c} {lo}");
            continue;
        }
        match (lo.is_finite(), hi.is_finite()) {
            (false, false) => {
                let _ = writeln!(s, " FR BND {c}");
            }
            (false, true) => {
                let _ = writeln!(s, " MI BND {c}\n UP BND {c} {hi}");
            }
            (true, fin_hi) => {
                // An explicit LO keeps a negative UP from implying a -inf lower bound.
                if lo != 0.0 || (fin_hi && hi < 0.0) {
                    let _ = writeln!(s, " LO BND {c} {lo}");
                }
                if fin_hi {
                    let _ = writeln!(s, " UP BND {c} {hi}");
                }
            }
        }
    }
    let _ = writeln!(s, "ENDATA");
    s
}

/// Writes the problem as free-format MPS; a path ending in `.gz` is gzip-compressed.
pub fn write_mps_file(p: &LpProblem, path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let text = to_mps_string(p);
    if path.extension().is_some_and(|e| e == "gz") {
        let f = std::fs::File::create(path)?;
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        enc.write_all(text.as_bytes())?;
        enc.finish()?;
        Ok(())
    } else {
        std::fs::write(path, text)
    }
}
