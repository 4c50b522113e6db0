//! The embedded SFT dataset, generated deterministically so `optlab sft` runs with no files:
//! arithmetic word problems and direct sums with checkable answers ("The answer is N."), and
//! open-ended instructions ("Write a sentence about the fox.") with many valid answers, on
//! which output diversity is measured. Sentences use the embedded corpus's word lists
//! ([`optlab_core::data::SUBJECTS`] and the others), so pre-training covers their words.
//!
//! The arithmetic split is by problem: a held-out problem's `(operation, a, b)` never occurs in
//! training, so pass@n measures generalisation, not recall.

use optlab_core::data::{OBJECTS, PLACES, SUBJECTS, VERBS};
use optlab_core::rng::Rng;

use crate::template::{Message, SftExample};

const NAMES: &[&str] = &["Tom", "Ana", "Sam", "Lea", "Max", "Ivy", "Ben", "Zoe"];
const THINGS: &[&str] = &["apples", "stones", "boats", "books", "coins", "shells"];

fn pick<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.below(xs.len())]
}

/// Whether problem `(op, a, b)` belongs to the held-out split (about one in eight).
fn held_out(op: usize, a: usize, b: usize) -> bool {
    let mut h = (op as u64) << 32 | (a as u64) << 16 | b as u64;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h % 8 == 0
}

fn arithmetic(rng: &mut Rng, want_held_out: bool) -> SftExample {
    loop {
        let op = rng.below(2);
        let (a, b) = (rng.below(50), rng.below(50));
        let (a, b) = if op == 1 {
            (a.max(b), a.min(b))
        } else {
            (a, b)
        };
        if held_out(op, a, b) != want_held_out {
            continue;
        }
        let (word, c) = if op == 0 {
            ("plus", a + b)
        } else {
            ("minus", a - b)
        };
        let name = pick(rng, NAMES);
        let thing = pick(rng, THINGS);
        let prompt = match (rng.below(3), op) {
            (0, _) => format!("What is {a} {word} {b}?"),
            (_, 0) => format!(
                "{name} has {a} {thing} and gets {b} more. How many {thing} does {name} have now?"
            ),
            _ => format!("{name} has {a} {thing} and gives {b} away. How many {thing} are left?"),
        };
        let response = format!("{a} {word} {b} is {c}. The answer is {c}.");
        return SftExample {
            messages: vec![
                Message::new("user", prompt),
                Message::new("assistant", response),
            ],
            answer: Some(c.to_string()),
        };
    }
}

fn open_ended(rng: &mut Rng) -> SftExample {
    let s = pick(rng, SUBJECTS);
    let sentence = |rng: &mut Rng| {
        format!(
            "{s} {} {} {}.",
            pick(rng, VERBS),
            pick(rng, OBJECTS),
            pick(rng, PLACES)
        )
    };
    let (prompt, response) = match rng.below(3) {
        0 => (format!("Write a sentence about {s}."), sentence(rng)),
        1 => (
            format!("Tell a short story about {s}."),
            format!("{} Then {}", sentence(rng), sentence(rng)),
        ),
        _ => (
            format!("What does {s} do?"),
            format!("{} {} {}.", s, pick(rng, VERBS), pick(rng, OBJECTS)),
        ),
    };
    SftExample::single(prompt, response)
}

/// The embedded dataset: `(train, held_out)`, `n_train` and `n_held_out` examples, half
/// arithmetic (checkable) and half open-ended, from `seed`.
pub fn embedded_dataset(
    seed: u64,
    n_train: usize,
    n_held_out: usize,
) -> (Vec<SftExample>, Vec<SftExample>) {
    let mut rng = Rng::new(seed);
    let mut make = |n: usize, held: bool| -> Vec<SftExample> {
        (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    arithmetic(&mut rng, held)
                } else {
                    open_ended(&mut rng)
                }
            })
            .collect()
    };
    let train = make(n_train, false);
    let held = make(n_held_out, true);
    (train, held)
}

/// Distinct prompts of `examples` with a reference answer (for pass@n), first occurrence kept.
pub fn checkable(examples: &[SftExample]) -> Vec<SftExample> {
    dedup(examples.iter().filter(|e| e.answer.is_some()))
}

/// Distinct prompts of `examples` without a reference answer (for diversity).
pub fn open(examples: &[SftExample]) -> Vec<SftExample> {
    dedup(examples.iter().filter(|e| e.answer.is_none()))
}

fn dedup<'a>(it: impl Iterator<Item = &'a SftExample>) -> Vec<SftExample> {
    let mut seen = std::collections::HashSet::new();
    it.filter(|e| {
        seen.insert(
            e.prompt_messages()
                .to_vec()
                .iter()
                .map(|m| m.content.clone())
                .collect::<Vec<_>>(),
        )
    })
    .cloned()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_out_problems_never_appear_in_training_and_answers_are_right() {
        let (train, held) = embedded_dataset(0, 2000, 200);
        let key = |e: &SftExample| {
            e.response()
                .map(|r| r.split(" is ").next().unwrap_or("").to_string())
        };
        let train_keys: std::collections::HashSet<_> = train
            .iter()
            .filter(|e| e.answer.is_some())
            .filter_map(key)
            .collect();
        let held_arith: Vec<_> = held.iter().filter(|e| e.answer.is_some()).collect();
        assert_eq!(held_arith.len(), 100);
        for e in &held_arith {
            assert!(!train_keys.contains(&key(e).unwrap()), "{:?}", e.response());
            let r = e.response().unwrap();
            let words: Vec<&str> = r.split_whitespace().collect();
            let (a, b): (i64, i64) = (words[0].parse().unwrap(), words[2].parse().unwrap());
            let c = if words[1] == "plus" { a + b } else { a - b };
            assert_eq!(e.answer.as_deref(), Some(c.to_string().as_str()));
            assert!(r.ends_with(&format!("The answer is {c}.")));
        }
        assert_eq!(embedded_dataset(0, 10, 4), embedded_dataset(0, 10, 4));
        assert!(open(&held).len() > 5 && checkable(&held).len() > 50);
    }
}
