//! BOUNDS section parsing and assembly of the final [`LpProblem`].

use super::builder::{num, Builder, RowKind};
use super::error::{perr, MpsError};
use crate::model::LpProblem;
use crate::sparse::CsrMatrix;

pub(super) fn parse_bound(
    b: &mut Builder,
    f: &[String],
    line: usize,
    fixed: bool,
) -> Result<(), MpsError> {
    if f.is_empty() {
        return perr(line, "empty BOUNDS line");
    }
    let kind = f[0].to_ascii_uppercase();
    if !matches!(
        kind.as_str(),
        "UP" | "UI" | "LO" | "LI" | "FX" | "FR" | "MI" | "PL" | "BV"
    ) {
        return perr(line, format!("unsupported bound type '{kind}'"));
    }
    let needs_value = !matches!(kind.as_str(), "FR" | "MI" | "PL" | "BV");
    // Work out where the column name sits: with or without a bound-set name.
    let col_pos = if fixed {
        2
    } else if needs_value {
        if f.len() >= 4 {
            2
        } else {
            1
        }
    } else if f.len() >= 4 || (f.len() == 3 && (kind != "BV" || !b.col_index.contains_key(&f[1]))) {
        2
    } else {
        1
    };
    let Some(col_name) = f.get(col_pos) else {
        return perr(line, "BOUNDS line without a column name");
    };
    let j = b.column(col_name, line)?;
    let value = match f.get(col_pos + 1) {
        Some(t) => Some(num(t, line)?),
        None if needs_value => return perr(line, format!("bound type {kind} needs a value")),
        None => None,
    };
    let v = value.unwrap_or(0.0);
    match kind.as_str() {
        "UP" | "UI" => {
            b.upper[j] = v;
            b.upper_set[j] = true;
            if v < 0.0 && !b.lower_set[j] && b.lower[j] == 0.0 {
                b.lower[j] = f64::NEG_INFINITY;
            }
        }
        "LO" | "LI" => {
            b.lower[j] = v;
            b.lower_set[j] = true;
        }
        "FX" => {
            b.lower[j] = v;
            b.upper[j] = v;
            b.lower_set[j] = true;
            b.upper_set[j] = true;
        }
        "FR" => {
            b.lower[j] = f64::NEG_INFINITY;
            b.upper[j] = f64::INFINITY;
            b.lower_set[j] = true;
            b.upper_set[j] = true;
        }
        "MI" => {
            b.lower[j] = f64::NEG_INFINITY;
            b.lower_set[j] = true;
        }
        "PL" => {
            b.upper[j] = f64::INFINITY;
            b.upper_set[j] = true;
        }
        "BV" => {
            b.lower[j] = 0.0;
            b.upper[j] = 1.0;
            b.lower_set[j] = true;
            b.upper_set[j] = true;
        }
        other => return perr(line, format!("unsupported bound type '{other}'")),
    }
    Ok(())
}

pub(super) fn finish(b: Builder, last_line: usize) -> Result<LpProblem, MpsError> {
    let m = b.row_names.len();
    let mut row_lower = vec![0.0; m];
    let mut row_upper = vec![0.0; m];
    for i in 0..m {
        let (r, rng) = (b.rhs[i], b.range[i]);
        let (lo, hi) = match (b.row_kind[i], rng) {
            (RowKind::E, None) => (r, r),
            (RowKind::E, Some(q)) if q >= 0.0 => (r, r + q),
            (RowKind::E, Some(q)) => (r + q, r),
            (RowKind::L, None) => (f64::NEG_INFINITY, r),
            (RowKind::L, Some(q)) => (r - q.abs(), r),
            (RowKind::G, None) => (r, f64::INFINITY),
            (RowKind::G, Some(q)) => (r, r + q.abs()),
        };
        row_lower[i] = lo;
        row_upper[i] = hi;
    }
    let mut upper = b.upper;
    for j in 0..upper.len() {
        if b.is_int[j] && !b.upper_set[j] {
            upper[j] = 1.0;
        }
    }
    let (sign, n) = (if b.maximize { -1.0 } else { 1.0 }, b.col_names.len());
    let p = LpProblem {
        name: b.name,
        obj: b.obj.iter().map(|c| sign * c + 0.0).collect(),
        obj_offset: sign * b.obj_offset,
        maximize: b.maximize,
        a: CsrMatrix::from_triplets(m, n, &b.triplets),
        row_lower,
        row_upper,
        col_lower: b.lower,
        col_upper: upper,
        row_names: b.row_names,
        col_names: b.col_names,
        obj_name: b.obj_name.unwrap_or_else(|| "OBJ".into()),
    };
    p.validate().map_err(|e| MpsError::Parse {
        line: last_line,
        msg: e.to_string(),
    })?;
    Ok(p)
}
