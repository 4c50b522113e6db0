//! The verifiable task: addition prompts `a+b=` whose answer is checked by a rule, plus the
//! generated text a policy is warm-started on and the generated preference pairs a reward
//! model is trained on.

use optlab_core::rng::Rng;

/// The byte that ends an answer (a newline); generation stops there.
pub const STOP_BYTE: u8 = b'\n';

/// Addition of two operands drawn uniformly from `0..=max_operand`.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct ArithTask {
    /// Largest operand.
    pub max_operand: u32,
}

/// One prompt with its correct answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ArithPrompt {
    /// The text the policy continues, e.g. `17+5=`.
    pub text: String,
    /// `a + b`.
    pub answer: u64,
}

impl ArithTask {
    /// A random prompt.
    pub fn prompt(&self, rng: &mut Rng) -> ArithPrompt {
        let n = self.max_operand as usize + 1;
        let (a, b) = (rng.below(n) as u64, rng.below(n) as u64);
        ArithPrompt {
            text: format!("{a}+{b}="),
            answer: a + b,
        }
    }

    /// `n` prompts from a seed (a fixed evaluation set when the seed is fixed).
    pub fn prompts(&self, seed: u64, n: usize) -> Vec<ArithPrompt> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| self.prompt(&mut rng)).collect()
    }

    /// Training text: `bytes` worth of solved lines `a+b=c\n`.
    pub fn corpus(&self, seed: u64, bytes: usize) -> String {
        let mut rng = Rng::new(seed);
        let mut s = String::with_capacity(bytes + 16);
        while s.len() < bytes {
            let p = self.prompt(&mut rng);
            s.push_str(&p.text);
            s.push_str(&p.answer.to_string());
            s.push(STOP_BYTE as char);
        }
        s
    }

    /// Preference pairs `(prompt, chosen, rejected)`: the correct answer against a wrong one
    /// off by 1 to 10 (each response ends with the stop byte).
    pub fn preference_pairs(&self, seed: u64, n: usize) -> Vec<(String, String, String)> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let p = self.prompt(&mut rng);
                let off = 1 + rng.below(10) as u64;
                let wrong = if rng.below(2) == 0 || p.answer < off {
                    p.answer + off
                } else {
                    p.answer - off
                };
                let end = STOP_BYTE as char;
                (
                    p.text,
                    format!("{}{end}", p.answer),
                    format!("{wrong}{end}"),
                )
            })
            .collect()
    }
}

/// Rule-based reward: 1 if the response, up to the first stop byte and trimmed, is exactly
/// the decimal answer, else 0.
pub fn arith_reward(answer: u64, response: &str) -> f64 {
    let head = response
        .split(STOP_BYTE as char)
        .next()
        .unwrap_or("")
        .trim();
    let ok = !head.is_empty()
        && head.bytes().all(|b| b.is_ascii_digit())
        && head.parse::<u64>().ok() == Some(answer);
    if ok {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_parses_the_answer_up_to_the_stop_byte() {
        assert_eq!(arith_reward(22, "22\n"), 1.0);
        assert_eq!(arith_reward(22, "22"), 1.0);
        assert_eq!(arith_reward(22, " 22 \n5+5=10"), 1.0);
        assert_eq!(arith_reward(22, "23\n"), 0.0);
        assert_eq!(arith_reward(22, "2 2"), 0.0);
        assert_eq!(arith_reward(22, "+22"), 0.0);
        assert_eq!(arith_reward(0, "\n"), 0.0);
        assert_eq!(arith_reward(22, "99999999999999999999999"), 0.0);
    }

    #[test]
    fn prompts_corpus_and_pairs_are_consistent() {
        let t = ArithTask { max_operand: 20 };
        let ps = t.prompts(3, 50);
        assert_eq!(ps, t.prompts(3, 50));
        for p in &ps {
            let (a, b) = p.text.trim_end_matches('=').split_once('+').unwrap();
            let (a, b): (u64, u64) = (a.parse().unwrap(), b.parse().unwrap());
            assert!(a <= 20 && b <= 20 && a + b == p.answer);
        }
        for line in t.corpus(1, 500).lines() {
            let (q, ans) = line.split_once('=').unwrap();
            let (a, b) = q.split_once('+').unwrap();
            let sum = a.parse::<u64>().unwrap() + b.parse::<u64>().unwrap();
            assert_eq!(arith_reward(sum, ans), 1.0, "{line}");
        }
        for (prompt, chosen, rejected) in t.preference_pairs(2, 100) {
            let (a, b) = prompt.trim_end_matches('=').split_once('+').unwrap();
            let sum = a.parse::<u64>().unwrap() + b.parse::<u64>().unwrap();
            assert_eq!(arith_reward(sum, &chosen), 1.0);
            assert_eq!(arith_reward(sum, &rejected), 0.0);
        }
    }
}
