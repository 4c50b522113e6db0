//! Property tests: randomly damaged SFT JSON lines never panic; they load or fail cleanly.

use optlab_core::damage::Damage;
use optlab_sft::data::{parse_bytes, OnBadLine};
use proptest::prelude::*;

const VALID: &str = r##"{"prompt": "2+2?", "response": "4", "answer": "4"}
{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}
{"instruction": "do", "input": "this", "output": "done"}
{"question": "1+1?", "answer": "1+1=2\n#### 2"}
{"doc": {"question": "3+3?", "answer": "so #### 6"}}
"##;

#[test]
fn the_undamaged_file_loads_completely() {
    let l = parse_bytes(VALID.as_bytes(), "d.jsonl", OnBadLine::Error).expect("valid JSONL");
    assert_eq!(l.examples.len(), 5);
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
            prop::sample::select(b"[]{}\",:\\0-9\n ".to_vec())
        )
            .prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn damaged_jsonl_loads_or_fails_cleanly(ms in prop::collection::vec(mutation(), 1..6),
                                           json in any::<bool>()) {
        let mut bytes = VALID.as_bytes().to_vec();
        for m in &ms {
            m.apply(&mut bytes);
        }
        let name = if json { "d.json" } else { "d.jsonl" };
        match parse_bytes(&bytes, name, OnBadLine::Skip) {
            Ok(l) => {
                prop_assert!(!l.examples.is_empty());
                for ex in &l.examples {
                    prop_assert!(ex.response().is_some_and(|r| !r.trim().is_empty()));
                }
                for b in &l.bad {
                    prop_assert!(b.starts_with(name), "{}", b);
                }
            }
            Err(e) => prop_assert!(e.to_string().contains(name), "{}", e),
        }
        if let Err(e) = parse_bytes(&bytes, name, OnBadLine::Error) {
            prop_assert!(e.to_string().contains(name), "{}", e);
        }
    }
}
