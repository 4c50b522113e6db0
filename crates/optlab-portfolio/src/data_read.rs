//! The lexical layer of price CSVs: records with their line numbers, dates, ticker headers.

use std::collections::HashMap;

use super::DataError;

/// One CSV record: its 1-based line and its trimmed fields.
pub(super) type Row = (usize, Vec<String>);

/// Counts lines up to byte offsets that only move forward.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl LineCounter<'_> {
    /// The 1-based line of the first byte at or after `pos` that is not a line break.
    fn line_of(&mut self, pos: Option<&csv::Position>) -> usize {
        let mut pos = pos
            .map_or(self.at, |p| p.byte() as usize)
            .min(self.bytes.len());
        while pos < self.bytes.len() && matches!(self.bytes[pos], b'\r' | b'\n') {
            pos += 1;
        }
        if pos >= self.at {
            self.line += self.bytes[self.at..pos]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.at = pos;
        }
        self.line
    }
}

/// The non-blank records of `bytes`, each with its line (quoted fields may hold commas).
pub(super) fn read_rows(bytes: &[u8]) -> Result<Vec<Row>, DataError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut lines = LineCounter {
        bytes,
        at: 0,
        line: 1,
    };
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| DataError::Malformed {
            line: lines.line_of(e.position()),
            reason: match e.kind() {
                csv::ErrorKind::Utf8 { err, .. } => {
                    format!("field {} is not valid UTF-8", err.field() + 1)
                }
                _ => e.to_string(),
            },
        })?;
        let line = lines.line_of(rec.position());
        if rec.len() == 1 && rec[0].is_empty() {
            continue;
        }
        rows.push((line, rec.iter().map(str::to_string).collect()));
    }
    Ok(rows)
}

/// Why `s` is not a calendar date `YYYY-MM-DD` (optionally followed by `T` or a space and a
/// time), or `None` when it is one.
fn date_problem(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() < 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return Some("expected four-digit year, two-digit month and day");
    }
    if b.len() > 10 && b[10] != b'T' && b[10] != b' ' {
        return Some("unexpected text after the day");
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    if !(1..=12).contains(&m) {
        return Some("month must be 01 to 12");
    }
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (d == 0 || d > days).then_some("day out of range for that month")
}

pub(super) fn check_date(value: &str, line: usize, name: &str) -> Result<(), DataError> {
    match date_problem(value) {
        None => Ok(()),
        Some(reason) => Err(DataError::BadDate {
            line,
            column: 1,
            name: name.to_string(),
            value: value.to_string(),
            reason,
        }),
    }
}

pub(super) fn check_tickers(tickers: &[String], line: usize) -> Result<(), DataError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, t) in tickers.iter().enumerate() {
        if let Some(first) = seen.insert(t, i + 2) {
            return Err(DataError::DuplicateTicker {
                line,
                ticker: t.clone(),
                first_column: first,
                column: i + 2,
            });
        }
    }
    Ok(())
}
