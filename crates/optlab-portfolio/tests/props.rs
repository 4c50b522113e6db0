//! Property tests: randomly damaged price CSVs never panic; they parse or fail cleanly.

use optlab_core::damage::Damage;
use optlab_portfolio::data::PriceTable;
use proptest::prelude::*;

const WIDE: &str = "date,A,\"BRK,B\",C\n2020-01-01,10,20,30\n2020-01-02,11,19.5,31\n\
2020-01-03,12,19,1e2\n2020-02-29,12.5,18,99\n";
const LONG: &str = "date,ticker,close\n2020-01-02,A,11\n2020-01-01,A,10\n\
2020-01-01,B,20\n2020-01-02,B,19\n";

#[test]
fn the_undamaged_files_parse() {
    assert_eq!(
        PriceTable::from_csv_str(WIDE)
            .expect("valid wide CSV")
            .dates
            .len(),
        4
    );
    assert_eq!(
        PriceTable::from_csv_str(LONG)
            .expect("valid long CSV")
            .tickers
            .len(),
        2
    );
}

/// One random damage to the file (see `optlab_core::damage`).
fn mutation() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        any::<usize>().prop_map(Damage::DeleteLine),
        any::<usize>().prop_map(Damage::DuplicateLine),
        any::<usize>().prop_map(Damage::Truncate),
        (
            any::<usize>(),
            prop::sample::select(b",\"-0123456789\n .e".to_vec())
        )
            .prop_map(|(i, b)| Damage::Insert(i, b)),
        (
            any::<usize>(),
            "-?[0-9]{0,3}(\\.[0-9]{0,2})?(e-?[0-9]{1,3})?|nan|inf|-0"
        )
            .prop_map(|(i, v)| Damage::Number(i, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn damaged_price_csv_parses_or_fails_cleanly(ms in prop::collection::vec(mutation(), 1..5),
                                                long in any::<bool>()) {
        let mut bytes = if long { LONG } else { WIDE }.as_bytes().to_vec();
        for m in &ms {
            m.apply(&mut bytes);
        }
        match PriceTable::from_csv_bytes(&bytes) {
            Ok(t) => {
                prop_assert_eq!(t.dates.len(), t.prices.len());
                prop_assert!(t.dates.windows(2).all(|w| w[0] < w[1]));
                for row in &t.prices {
                    prop_assert_eq!(row.len(), t.tickers.len());
                    prop_assert!(row.iter().all(|p| p.is_finite() && *p > 0.0));
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
