//! The problem as it is read: rows, columns, coefficients and bounds before assembly.

use std::collections::HashMap;

use super::error::{perr, MpsError};

/// Values with magnitude at least this are read as infinite.
pub const MPS_INFINITY: f64 = 1e20;

/// Row sense: equality, less-or-equal, greater-or-equal.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum RowKind {
    E,
    L,
    G,
}

/// A number field; magnitudes at or above [`MPS_INFINITY`] are infinite, NaN is an error.
pub(super) fn num(tok: &str, line: usize) -> Result<f64, MpsError> {
    match tok.parse::<f64>() {
        Ok(v) if v.is_nan() => perr(line, format!("NaN value '{tok}'")),
        Ok(v) if v >= MPS_INFINITY => Ok(f64::INFINITY),
        Ok(v) if v <= -MPS_INFINITY => Ok(f64::NEG_INFINITY),
        Ok(v) => Ok(v),
        Err(_) => perr(line, format!("expected a number, found '{tok}'")),
    }
}

/// Everything read so far, indexed by row and column name.
pub(super) struct Builder {
    pub(super) name: String,
    pub(super) maximize: bool,
    pub(super) obj_name: Option<String>,
    pub(super) dropped_n_rows: std::collections::HashSet<String>,
    pub(super) row_index: HashMap<String, usize>,
    pub(super) row_names: Vec<String>,
    pub(super) row_kind: Vec<RowKind>,
    pub(super) rhs: Vec<f64>,
    pub(super) range: Vec<Option<f64>>,
    pub(super) col_index: HashMap<String, usize>,
    pub(super) col_names: Vec<String>,
    pub(super) obj: Vec<f64>,
    pub(super) obj_offset: f64,
    pub(super) is_int: Vec<bool>,
    pub(super) lower: Vec<f64>,
    pub(super) upper: Vec<f64>,
    pub(super) lower_set: Vec<bool>,
    pub(super) upper_set: Vec<bool>,
    pub(super) triplets: Vec<(usize, usize, f64)>,
    pub(super) in_int_marker: bool,
    /// Rows (`usize::MAX`: the objective) given so far in the current column, with their line.
    pub(super) col_entries: HashMap<usize, usize>,
}

/// The key of the objective row in [`Builder::col_entries`].
const OBJ_KEY: usize = usize::MAX;

impl Builder {
    pub(super) fn add_coef(
        &mut self,
        col: usize,
        row: &str,
        val: f64,
        line: usize,
    ) -> Result<(), MpsError> {
        if !val.is_finite() {
            return perr(line, format!("infinite coefficient in row '{row}'"));
        }
        if Some(row) == self.obj_name.as_deref() {
            self.first_entry(OBJ_KEY, col, row, line)?;
            self.obj[col] += val;
        } else if let Some(&i) = self.row_index.get(row) {
            self.first_entry(i, col, row, line)?;
            self.triplets.push((i, col, val));
        } else if !self.dropped_n_rows.contains(row) {
            return perr(line, format!("unknown row '{row}'"));
        }
        Ok(())
    }

    /// Records that the current column `col` has an entry in row `key`; a second one is an
    /// error, never summed silently.
    fn first_entry(
        &mut self,
        key: usize,
        col: usize,
        row: &str,
        line: usize,
    ) -> Result<(), MpsError> {
        match self.col_entries.insert(key, line) {
            Some(first) => perr(
                line,
                format!(
                    "duplicate entry for row '{row}' in column '{}' (first given on line {first})",
                    self.col_names[col]
                ),
            ),
            None => Ok(()),
        }
    }

    pub(super) fn set_rhs(
        &mut self,
        row: &str,
        val: f64,
        line: usize,
        is_range: bool,
    ) -> Result<(), MpsError> {
        if Some(row) == self.obj_name.as_deref() {
            if !is_range {
                self.obj_offset = -val;
            }
        } else if let Some(&i) = self.row_index.get(row) {
            if is_range {
                self.range[i] = Some(val);
            } else {
                self.rhs[i] = val;
            }
        } else if !self.dropped_n_rows.contains(row) {
            return perr(line, format!("unknown row '{row}'"));
        }
        Ok(())
    }

    pub(super) fn column(&self, name: &str, line: usize) -> Result<usize, MpsError> {
        match self.col_index.get(name) {
            Some(&j) => Ok(j),
            None => perr(line, format!("unknown column '{name}'")),
        }
    }
}
