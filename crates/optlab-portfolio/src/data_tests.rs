//! Tests of price-table reading.

use super::*;

#[test]
fn wide_and_long_agree() {
    let wide = "date,A,B\n2020-01-01,10,20\n2020-01-02,11,19\n";
    let long =
        "date,ticker,close\n2020-01-02,A,11\n2020-01-01,A,10\n2020-01-01,B,20\n2020-01-02,B,19\n";
    let w = PriceTable::from_csv_str(wide).unwrap();
    let l = PriceTable::from_csv_str(long).unwrap();
    assert_eq!(w, l);
    let r = w.simple_returns();
    assert!((r[0][0] - 0.1).abs() < 1e-15 && (r[0][1] + 0.05).abs() < 1e-15);
    assert!((w.log_returns()[0][0] - 1.1f64.ln()).abs() < 1e-15);
}

#[test]
fn errors_name_the_line() {
    let e = |s: &str| PriceTable::from_csv_str(s).unwrap_err();
    assert_eq!(
        e("date,A\n2020-01-01,1\n2020-01-02,\n"),
        DataError::Missing {
            line: 3,
            ticker: "A".into()
        }
    );
    assert!(matches!(
        e("date,A\n2020-01-01,1\n2020-01-02,-3\n"),
        DataError::NonPositive { line: 3, .. }
    ));
    assert!(matches!(
        e("date,A\n2020-01-01,0\n"),
        DataError::NonPositive { line: 2, .. }
    ));
    assert_eq!(
        e("date,A\n2020-01-01,1\n2020-01-01,2\n"),
        DataError::DuplicateDate {
            line: 3,
            first_line: 2,
            date: "2020-01-01".into()
        }
    );
    assert_eq!(
        e("date,A,B\n2020-01-01,1\n"),
        DataError::Ragged {
            line: 2,
            expected: 3,
            found: 2
        }
    );
    assert!(matches!(
        e("date,A\n2020-01-01,x\n"),
        DataError::BadNumber { line: 2, .. }
    ));
    assert!(matches!(
        e("date,A\n2020-01-02,1\n2020-01-01,1\n"),
        DataError::Unsorted { line: 3, .. }
    ));
    assert_eq!(
        e("date,ticker,close\n2020-01-01,A,1\n2020-01-01,B,1\n2020-01-02,A,1\n"),
        DataError::Missing {
            line: 4,
            ticker: "B".into()
        }
    );
    assert!(matches!(e("date,A\n"), DataError::Empty(_)));
    assert!(matches!(e(""), DataError::Empty(_)));
}

#[test]
fn impossible_dates_and_non_dates_name_line_and_column() {
    let e = |s: &str| PriceTable::from_csv_str(s).unwrap_err().to_string();
    assert_eq!(
        e("date,A\n2021-04-30,1\n2021-04-31,2\n"),
        "line 3, column 1 (date): \"2021-04-31\" is not a date YYYY-MM-DD: day out of range for that month"
    );
    let m = e("date,A\n2022-01-01,1\n2022-13-45,2\n2022-02-01,3\n");
    assert!(
        m.starts_with("line 3, column 1 (date): \"2022-13-45\""),
        "{m}"
    );
    assert!(m.contains("month must be 01 to 12"), "{m}");
    assert!(e("date,A\nyesterday,1\n").starts_with("line 2, column 1 (date)"));
    assert!(e("date,A\n2021-02-29,1\n").contains("day out of range"));
    assert!(e("date,A\n2021-1-02,1\n").contains("four-digit year"));
    let leap = PriceTable::from_csv_str("date,A\n2020-02-29,1\n2000-02-29x,1\n").unwrap_err();
    assert!(matches!(leap, DataError::BadDate { line: 3, .. }), "{leap}");
    let long = e("date,ticker,close\n2020-01-01,A,1\n2020-00-01,A,1\n");
    assert!(long.starts_with("line 3, column 1 (date)"), "{long}");
    assert!(PriceTable::from_csv_str("date,A\n2020-01-01 16:00:00,1\n1900-02-28,1\n").is_err());
}

#[test]
fn duplicate_ticker_columns_are_named() {
    let e = PriceTable::from_csv_str("date,A,B,A\n2020-01-01,1,2,3\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: ticker \"A\" heads both column 2 and column 4"
    );
}

#[test]
fn quoted_fields_may_hold_commas_and_blank_lines_keep_line_numbers() {
    let t = PriceTable::from_csv_str("\"date\",\"BRK,B\",C\n\n2020-01-01,\"1.5\",2\n").unwrap();
    assert_eq!(t.tickers, ["BRK,B", "C"]);
    assert_eq!(t.prices, [[1.5, 2.0]]);
    let e = PriceTable::from_csv_str("date,A\n\n2020-01-01,1\n\n2020-01-02,x\n").unwrap_err();
    assert!(matches!(e, DataError::BadNumber { line: 5, .. }), "{e}");
    let bad = PriceTable::from_csv_bytes(b"date,A\n2020-01-01,1\n2020-01-02,\xFF\n").unwrap_err();
    assert!(matches!(bad, DataError::Malformed { line: 3, .. }), "{bad}");
}
