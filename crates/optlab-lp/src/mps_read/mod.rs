//! MPS reader: fixed and free format, RANGES, BOUNDS (UP/LO/FX/FR/MI/PL/BV/LI/UI), OBJSENSE,
//! integer markers (relaxed), gzip input. Errors carry the 1-based line number.

use crate::model::LpProblem;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

mod bounds;
mod builder;
mod error;

use bounds::{finish, parse_bound};
pub use builder::MPS_INFINITY;
use builder::{num, Builder, RowKind};
use error::perr;
pub use error::MpsError;

/// Which MPS dialect to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MpsFormat {
    /// Try free format, fall back to fixed columns if that fails.
    Auto,
    /// Fixed columns (fields at 2-3, 5-12, 15-22, 25-36, 40-47, 50-61); names may hold spaces.
    Fixed,
    /// Whitespace-separated tokens.
    Free,
}

/// Reads an MPS file (plain or gzip-compressed, detected by its magic bytes).
pub fn read_mps_file(path: &Path, format: MpsFormat) -> Result<LpProblem, MpsError> {
    let io = |cause| MpsError::Io {
        path: path.display().to_string(),
        cause,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .map_err(io)?;
        s
    } else {
        String::from_utf8(bytes)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?
    };
    parse_mps(&text, format)
}

/// Parses MPS text.
pub fn parse_mps(text: &str, format: MpsFormat) -> Result<LpProblem, MpsError> {
    match format {
        // Report the error of the dialect that got further into the file.
        MpsFormat::Auto => parse_with(text, false).or_else(|free_err| {
            parse_with(text, true).map_err(|fixed_err| match (&free_err, &fixed_err) {
                (MpsError::Parse { line: a, .. }, MpsError::Parse { line: b, .. }) if b > a => {
                    fixed_err
                }
                _ => free_err,
            })
        }),
        MpsFormat::Fixed => parse_with(text, true),
        MpsFormat::Free => parse_with(text, false),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Name,
    ObjSense,
    Rows,
    Columns,
    Rhs,
    Ranges,
    Bounds,
    End,
}

/// Splits a fixed-format data line into its six fields (missing fields are empty).
fn fixed_fields(line: &str) -> Vec<String> {
    let spans = [(1, 3), (4, 12), (14, 22), (24, 36), (39, 47), (49, 61)];
    let b = line.as_bytes();
    let mut out = Vec::new();
    for &(s, e) in &spans {
        let e = e.min(b.len());
        out.push(if s < e {
            String::from_utf8_lossy(&b[s..e]).trim().to_string()
        } else {
            String::new()
        });
    }
    // Drop trailing empty fields so callers can count them.
    while out.last().is_some_and(|f| f.is_empty()) {
        out.pop();
    }
    out
}

fn parse_with(text: &str, fixed: bool) -> Result<LpProblem, MpsError> {
    let mut b = Builder {
        name: String::new(),
        maximize: false,
        obj_name: None,
        dropped_n_rows: Default::default(),
        row_index: HashMap::new(),
        row_names: vec![],
        row_kind: vec![],
        rhs: vec![],
        range: vec![],
        col_index: HashMap::new(),
        col_names: vec![],
        obj: vec![],
        obj_offset: 0.0,
        is_int: vec![],
        lower: vec![],
        upper: vec![],
        lower_set: vec![],
        upper_set: vec![],
        triplets: vec![],
        in_int_marker: false,
        col_entries: HashMap::new(),
    };
    let mut section = Section::None;
    let mut last_line = 0;
    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        last_line = line;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() || raw.starts_with('*') {
            continue;
        }
        if !raw.starts_with([' ', '\t']) {
            let mut toks = raw.split_whitespace();
            let head = toks.next().unwrap_or("").to_ascii_uppercase();
            let rest: Vec<&str> = toks.collect();
            section = match head.as_str() {
                "NAME" => {
                    b.name = rest.join(" ");
                    Section::Name
                }
                "OBJSENSE" => {
                    if let Some(s) = rest.first() {
                        b.maximize = parse_sense(s, line)?;
                    }
                    Section::ObjSense
                }
                "ROWS" => Section::Rows,
                "COLUMNS" => Section::Columns,
                "RHS" => Section::Rhs,
                "RANGES" => Section::Ranges,
                "BOUNDS" => Section::Bounds,
                "ENDATA" => Section::End,
                _ if section == Section::ObjSense => {
                    b.maximize = parse_sense(&head, line)?;
                    Section::ObjSense
                }
                _ => perr(line, format!("unknown section '{head}'"))?,
            };
            if section == Section::End {
                break;
            }
            continue;
        }
        let f: Vec<String> = if fixed && section != Section::ObjSense && !raw.contains("MARKER") {
            fixed_fields(raw)
        } else {
            raw.split_whitespace().map(str::to_string).collect()
        };
        match section {
            Section::ObjSense => b.maximize = parse_sense(&f[0], line)?,
            Section::Rows => parse_row(&mut b, &f, line)?,
            Section::Columns => parse_column(&mut b, &f, line, fixed)?,
            Section::Rhs | Section::Ranges => {
                let is_range = section == Section::Ranges;
                // Set name is optional in free format: pairs start at 0 or 1.
                let start = if fixed {
                    2
                } else if f.len() % 2 == 1 {
                    1
                } else {
                    0
                };
                if f.len() < start + 2 || !(f.len() - start).is_multiple_of(2) {
                    return perr(
                        line,
                        format!(
                            "expected [set] row value [row value], found {} fields",
                            f.len()
                        ),
                    );
                }
                for pair in f[start..].chunks(2) {
                    let v = num(&pair[1], line)?;
                    b.set_rhs(&pair[0], v, line, is_range)?;
                }
            }
            Section::Bounds => parse_bound(&mut b, &f, line, fixed)?,
            Section::Name | Section::None => return perr(line, "data line outside of any section"),
            Section::End => break,
        }
    }
    if section != Section::End {
        return perr(last_line, "missing ENDATA");
    }
    finish(b, last_line)
}

fn parse_sense(tok: &str, line: usize) -> Result<bool, MpsError> {
    match tok.to_ascii_uppercase().as_str() {
        "MAX" | "MAXIMIZE" => Ok(true),
        "MIN" | "MINIMIZE" => Ok(false),
        other => perr(line, format!("unknown objective sense '{other}'")),
    }
}

fn parse_row(b: &mut Builder, f: &[String], line: usize) -> Result<(), MpsError> {
    if f.len() != 2 {
        return perr(
            line,
            format!(
                "ROWS line needs a type and a name, found {} fields",
                f.len()
            ),
        );
    }
    let name = f[1].clone();
    if b.row_index.contains_key(&name) || b.obj_name.as_ref() == Some(&name) {
        return perr(line, format!("duplicate row '{name}'"));
    }
    let kind = match f[0].to_ascii_uppercase().as_str() {
        "N" => {
            if b.obj_name.is_none() {
                b.obj_name = Some(name);
            } else {
                b.dropped_n_rows.insert(name);
            }
            return Ok(());
        }
        "E" => RowKind::E,
        "L" => RowKind::L,
        "G" => RowKind::G,
        other => return perr(line, format!("unknown row type '{other}'")),
    };
    b.row_index.insert(name.clone(), b.row_names.len());
    b.row_names.push(name);
    b.row_kind.push(kind);
    b.rhs.push(0.0);
    b.range.push(None);
    Ok(())
}

fn parse_column(b: &mut Builder, f: &[String], line: usize, fixed: bool) -> Result<(), MpsError> {
    let f = if fixed && !f.iter().any(|t| t.contains("MARKER")) {
        &f[1.min(f.len())..]
    } else {
        f
    };
    if f.len() >= 3 && f[1].trim_matches('\'').eq_ignore_ascii_case("MARKER") {
        match f[2].trim_matches('\'').to_ascii_uppercase().as_str() {
            "INTORG" => b.in_int_marker = true,
            "INTEND" => b.in_int_marker = false,
            other => return perr(line, format!("unknown marker '{other}'")),
        }
        return Ok(());
    }
    if f.len() != 3 && f.len() != 5 {
        return perr(
            line,
            format!(
                "COLUMNS line needs column row value [row value], found {} fields",
                f.len()
            ),
        );
    }
    let name = &f[0];
    let col = match b.col_index.get(name) {
        Some(&j) if j + 1 == b.col_names.len() => j,
        Some(_) => return perr(line, format!("column '{name}' is not contiguous")),
        None => {
            let j = b.col_names.len();
            b.col_entries.clear();
            b.col_index.insert(name.clone(), j);
            b.col_names.push(name.clone());
            b.obj.push(0.0);
            b.is_int.push(b.in_int_marker);
            b.lower.push(0.0);
            b.upper.push(f64::INFINITY);
            b.lower_set.push(false);
            b.upper_set.push(false);
            j
        }
    };
    for pair in f[1..].chunks(2) {
        let v = num(&pair[1], line)?;
        b.add_coef(col, &pair[0], v, line)?;
    }
    Ok(())
}
