use super::*;
use crate::strategy::Constant;

fn table() -> PriceTable {
    let rows = [
        [100.0, 50.0, 20.0],
        [110.0, 50.0, 20.0],
        [99.0, 55.0, 20.0],
        [99.0, 55.0, 22.0],
        [108.9, 55.0, 22.0],
    ];
    PriceTable {
        tickers: vec!["A".into(), "B".into(), "C".into()],
        dates: (1..=5).map(|d| format!("2020-01-0{d}")).collect(),
        prices: rows.iter().map(|r| r.to_vec()).collect(),
    }
}

#[test]
fn three_assets_five_days_to_the_cent() {
    // Weights (0.5, 0.3, -0.2), 10 bps cost, borrow 25.2%/yr = 0.1%/day, rebalance every 2 days.
    // Day 0: trade 10000 -> cost 10; cash 10000 - 6000 - 10 = 3990; V = 9990.
    // Day 1: A +10% -> 5500, 3000, -2000; borrow 2 -> cash 3988; V = 10488.
    // Day 2: A -10%, B +10% -> 4950, 3300, -2000; cash 3986; V = 10236; rebalance to
    //        5118, 3070.8, -2047.2: traded 168 + 229.2 + 47.2 = 444.4, cost 0.4444;
    //        cash 10236 - 6141.6 - 0.4444 = 4093.9556; V = 10235.5556.
    // Day 3: C +10% -> short -2251.92; borrow 2.0472 -> cash 4091.9084; V = 10028.7884.
    // Day 4: A +10% -> 5629.8; borrow 2.25192 -> cash 4089.65648; V = 10538.33648 (no trade).
    let cfg = BacktestConfig {
        start: 1,
        end: None,
        rebalance_every: 2,
        costs: Costs {
            cost_bps: 10.0,
            borrow_rate: 0.252,
            cash_rate: 0.0,
            margin_rate: 0.0,
        },
        initial_value: 10_000.0,
        periods_per_year: 252.0,
    };
    // Prepend a history day so that trading starts on the table's first day.
    let mut t = table();
    t.prices.insert(0, t.prices[0].clone());
    t.dates.insert(0, "2019-12-31".into());
    let mut s = Constant::new("fixed", vec![0.5, 0.3, -0.2]);
    let r = run(&t, &mut s, &cfg).unwrap();
    let expected = [
        10_000.0,
        9990.0,
        10488.0,
        10235.5556,
        10028.7884,
        10538.33648,
    ];
    assert_eq!(r.equity.len(), expected.len());
    for (a, b) in r.equity.iter().zip(expected) {
        assert!((a - b).abs() < 0.005, "{a} vs {b}");
    }
    assert!((r.total_costs - 10.4444).abs() < 0.005);
    assert_eq!(r.decisions.len(), 2);
    assert!((r.turnovers[1] - 444.4 / 10236.0).abs() < 1e-12);
}

struct Recorder(Vec<usize>);
impl Strategy for Recorder {
    fn name(&self) -> String {
        "rec".into()
    }
    fn decide(&mut self, history: &[Vec<f64>], _: &[f64]) -> Option<Vec<f64>> {
        self.0.push(history.len());
        Some(vec![1.0 / 3.0; 3])
    }
}

#[test]
fn strategy_sees_only_the_past() {
    let mut rec = Recorder(vec![]);
    let cfg = BacktestConfig {
        start: 1,
        rebalance_every: 1,
        ..Default::default()
    };
    run(&table(), &mut rec, &cfg).unwrap();
    // Trades at price indices 1, 2, 3 (none on the last day) with 1, 2, 3 rows of history.
    assert_eq!(rec.0, vec![1, 2, 3]);
}

#[test]
fn bad_ranges_and_weights_are_errors() {
    let mut s = Constant::new("x", vec![1.0, 0.0]);
    assert!(run(&table(), &mut s, &BacktestConfig::default()).is_err());
    let mut s = Constant::new("x", vec![0.3; 3]);
    let cfg = BacktestConfig {
        start: 9,
        ..Default::default()
    };
    assert!(run(&table(), &mut s, &cfg).is_err());
}
