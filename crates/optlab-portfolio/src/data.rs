//! Price tables: CSV reading (wide or long format) with row-level validation, and returns.

use std::collections::HashMap;
use thiserror::Error;

/// A validation or parse error; `line` is the 1-based line number in the CSV text.
#[derive(Debug, Error, PartialEq)]
pub enum DataError {
    /// The file has no header or no data rows.
    #[error("no data: {0}")]
    Empty(String),
    /// A row has a different number of fields than the header.
    #[error("line {line}: expected {expected} fields, found {found}")]
    Ragged {
        /// Line number.
        line: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A price cell is empty or NaN (a gap).
    #[error("line {line}: missing value for {ticker}")]
    Missing {
        /// Line number (for long format: the first line of that date).
        line: usize,
        /// Ticker with the gap.
        ticker: String,
    },
    /// A price cell is not a number.
    #[error("line {line}: cannot parse {value:?} for {ticker}")]
    BadNumber {
        /// Line number.
        line: usize,
        /// Ticker of the cell.
        ticker: String,
        /// Raw text.
        value: String,
    },
    /// A price is zero, negative or infinite.
    #[error("line {line}: non-positive price {value} for {ticker}")]
    NonPositive {
        /// Line number.
        line: usize,
        /// Ticker of the cell.
        ticker: String,
        /// The price.
        value: f64,
    },
    /// A date appears twice (for long format: the same date and ticker twice).
    #[error("line {line}: duplicate date {date} (first seen on line {first_line})")]
    DuplicateDate {
        /// Line of the repeat.
        line: usize,
        /// First line with this date.
        first_line: usize,
        /// The date.
        date: String,
    },
    /// A date cell is not a real calendar date `YYYY-MM-DD`.
    #[error("line {line}, column {column} ({name}): {value:?} is not a date YYYY-MM-DD: {reason}")]
    BadDate {
        /// Line number.
        line: usize,
        /// 1-based column number of the date.
        column: usize,
        /// Header name of that column.
        name: String,
        /// Raw text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same ticker heads two columns of a wide file.
    #[error("line {line}: ticker {ticker:?} heads both column {first_column} and column {column}")]
    DuplicateTicker {
        /// Line of the header.
        line: usize,
        /// The repeated ticker.
        ticker: String,
        /// 1-based column of its first appearance.
        first_column: usize,
        /// 1-based column of the repeat.
        column: usize,
    },
    /// The CSV itself is malformed (bad quoting, invalid UTF-8).
    #[error("line {line}: {reason}")]
    Malformed {
        /// Line number.
        line: usize,
        /// What the CSV reader reported.
        reason: String,
    },
    /// Dates are not increasing.
    #[error("line {line}: date {date} is not after the previous date")]
    Unsorted {
        /// Line number.
        line: usize,
        /// The date.
        date: String,
    },
}

/// A price file that cannot be read or parsed.
#[derive(Debug, Error)]
pub enum PriceFileError {
    /// The file cannot be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// The file involved.
        path: std::path::PathBuf,
        /// The underlying error (shown in the message, so not chained as a source).
        cause: std::io::Error,
    },
    /// The file's contents are malformed (the message names the line).
    #[error("{path}: {cause}")]
    Parse {
        /// The file involved.
        path: std::path::PathBuf,
        /// What was wrong (shown in the message, so not chained as a source).
        cause: DataError,
    },
}

/// Daily prices: `prices[t][i]` is the close of asset `i` on `dates[t]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    /// Ticker names, one per column.
    pub tickers: Vec<String>,
    /// Dates as written in the file (ISO `YYYY-MM-DD` sorts correctly).
    pub dates: Vec<String>,
    /// Row-major prices, one row per date.
    pub prices: Vec<Vec<f64>>,
}

#[path = "data_read.rs"]
mod read;
use read::{check_date, check_tickers, read_rows, Row};

fn parse_price(raw: &str, line: usize, ticker: &str) -> Result<f64, DataError> {
    let low = raw.to_ascii_lowercase();
    if raw.is_empty() || low == "nan" || low == "na" || low == "null" {
        return Err(DataError::Missing {
            line,
            ticker: ticker.to_string(),
        });
    }
    let v: f64 = raw.parse().map_err(|_| DataError::BadNumber {
        line,
        ticker: ticker.to_string(),
        value: raw.to_string(),
    })?;
    if v.is_nan() {
        return Err(DataError::Missing {
            line,
            ticker: ticker.to_string(),
        });
    }
    if v <= 0.0 || !v.is_finite() {
        return Err(DataError::NonPositive {
            line,
            ticker: ticker.to_string(),
            value: v,
        });
    }
    Ok(v)
}

impl PriceTable {
    /// Number of assets.
    pub fn n_assets(&self) -> usize {
        self.tickers.len()
    }

    /// Parses CSV text, detecting long format (`date,ticker,close` header) or wide format
    /// (`date` then one column per ticker). Blank lines are skipped; fields may be quoted.
    pub fn from_csv_str(text: &str) -> Result<Self, DataError> {
        Self::from_csv_bytes(text.as_bytes())
    }

    /// As [`PriceTable::from_csv_str`], from raw bytes (invalid UTF-8 names its line).
    pub fn from_csv_bytes(bytes: &[u8]) -> Result<Self, DataError> {
        let mut rows = read_rows(bytes)?.into_iter();
        let (header_line, header) = rows
            .next()
            .ok_or_else(|| DataError::Empty("no header".into()))?;
        let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
        let rows: Vec<Row> = rows.collect();
        if rows.is_empty() {
            return Err(DataError::Empty("header but no data rows".into()));
        }
        for (line, r) in &rows {
            if r.len() != header.len() {
                return Err(DataError::Ragged {
                    line: *line,
                    expected: header.len(),
                    found: r.len(),
                });
            }
            check_date(&r[0], *line, &header[0])?;
        }
        let is_long = header.len() == 3 && lower[1] == "ticker" && lower[2].contains("close");
        if is_long {
            Self::from_long(&rows)
        } else {
            if header.len() < 2 {
                return Err(DataError::Empty(
                    "need a date column and at least one ticker".into(),
                ));
            }
            check_tickers(&header[1..], header_line)?;
            Self::from_wide(&header[1..], &rows)
        }
    }

    fn from_wide(tickers: &[String], rows: &[Row]) -> Result<Self, DataError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut dates = Vec::with_capacity(rows.len());
        let mut prices = Vec::with_capacity(rows.len());
        for (line, r) in rows {
            let date = r[0].as_str();
            if let Some(first) = seen.get(date) {
                return Err(DataError::DuplicateDate {
                    line: *line,
                    first_line: *first,
                    date: date.to_string(),
                });
            }
            seen.insert(date, *line);
            if dates
                .last()
                .is_some_and(|prev: &String| prev.as_str() > date)
            {
                return Err(DataError::Unsorted {
                    line: *line,
                    date: date.to_string(),
                });
            }
            let row = r[1..]
                .iter()
                .zip(tickers)
                .map(|(cell, t)| parse_price(cell, *line, t))
                .collect::<Result<Vec<f64>, _>>()?;
            dates.push(date.to_string());
            prices.push(row);
        }
        Ok(Self {
            tickers: tickers.to_vec(),
            dates,
            prices,
        })
    }

    fn from_long(rows: &[Row]) -> Result<Self, DataError> {
        let mut tickers: Vec<String> = Vec::new();
        let mut tix: HashMap<String, usize> = HashMap::new();
        let mut dates: Vec<String> = Vec::new();
        let mut dix: HashMap<String, usize> = HashMap::new();
        let mut first_line: Vec<usize> = Vec::new();
        let mut cells: HashMap<(usize, usize), (f64, usize)> = HashMap::new();
        for (line, r) in rows {
            let ti = *tix.entry(r[1].clone()).or_insert_with(|| {
                tickers.push(r[1].clone());
                tickers.len() - 1
            });
            let di = *dix.entry(r[0].clone()).or_insert_with(|| {
                dates.push(r[0].clone());
                first_line.push(*line);
                dates.len() - 1
            });
            let v = parse_price(&r[2], *line, &r[1])?;
            if let Some((_, first)) = cells.insert((di, ti), (v, *line)) {
                return Err(DataError::DuplicateDate {
                    line: *line,
                    first_line: first,
                    date: r[0].clone(),
                });
            }
        }
        let mut order: Vec<usize> = (0..dates.len()).collect();
        order.sort_by(|&a, &b| dates[a].cmp(&dates[b]));
        let mut prices = Vec::with_capacity(dates.len());
        for &di in &order {
            let mut row = Vec::with_capacity(tickers.len());
            for (ti, t) in tickers.iter().enumerate() {
                match cells.get(&(di, ti)) {
                    Some((v, _)) => row.push(*v),
                    None => {
                        return Err(DataError::Missing {
                            line: first_line[di],
                            ticker: t.clone(),
                        })
                    }
                }
            }
            prices.push(row);
        }
        let dates = order.iter().map(|&d| dates[d].clone()).collect();
        Ok(Self {
            tickers,
            dates,
            prices,
        })
    }

    /// Reads and parses a CSV file.
    pub fn from_csv_path(path: &std::path::Path) -> Result<Self, PriceFileError> {
        let bytes = std::fs::read(path).map_err(|cause| PriceFileError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Self::from_csv_bytes(&bytes).map_err(|cause| PriceFileError::Parse {
            path: path.to_path_buf(),
            cause,
        })
    }

    /// Simple returns `p[t]/p[t-1] - 1`; one row fewer than the prices.
    pub fn simple_returns(&self) -> Vec<Vec<f64>> {
        self.prices
            .windows(2)
            .map(|w| w[1].iter().zip(&w[0]).map(|(a, b)| a / b - 1.0).collect())
            .collect()
    }

    /// Log returns `ln(p[t]/p[t-1])`; one row fewer than the prices.
    pub fn log_returns(&self) -> Vec<Vec<f64>> {
        self.prices
            .windows(2)
            .map(|w| w[1].iter().zip(&w[0]).map(|(a, b)| (a / b).ln()).collect())
            .collect()
    }
}

#[cfg(test)]
#[path = "data_tests.rs"]
mod tests;
