//! Text metrics for sampled responses: diversity (distinct-n, n-gram entropy, self-BLEU),
//! checkable answers, and the unbiased pass@k estimator.
//!
//! Texts are split into words as runs of letters/digits, each other non-space character a
//! word of its own (close to nltk's `word_tokenize` on plain English).

use std::collections::HashMap;

/// Words of `text` (see the module docs).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '\'' {
            cur.push(ch);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if !ch.is_whitespace() {
            out.push(ch.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn ngrams(ws: &[String], n: usize) -> impl Iterator<Item = &[String]> {
    ws.windows(n.max(1)).filter(move |_| ws.len() >= n)
}

fn counts(texts: &[Vec<String>], n: usize) -> HashMap<&[String], usize> {
    let mut c = HashMap::new();
    for t in texts {
        for g in ngrams(t, n) {
            *c.entry(g).or_insert(0) += 1;
        }
    }
    c
}

/// distinct-n of one pool of responses: distinct n-grams / all n-grams (0 when none).
pub fn distinct_n(responses: &[Vec<String>], n: usize) -> f64 {
    let c = counts(responses, n);
    let total: usize = c.values().sum();
    if total == 0 {
        0.0
    } else {
        c.len() as f64 / total as f64
    }
}

/// Entropy (nats) of the n-gram frequency distribution of one pool of responses.
pub fn ngram_entropy(responses: &[Vec<String>], n: usize) -> f64 {
    let c = counts(responses, n);
    let total: usize = c.values().sum();
    c.values()
        .map(|&k| {
            let p = k as f64 / total as f64;
            -p * p.ln()
        })
        .sum()
}

/// BLEU-4 (0-100) of `hyp` against `refs`, as sacreBLEU's corpus BLEU scores one segment:
/// clipped n-gram precisions, closest-reference brevity penalty, "exp" smoothing of zero
/// counts. Orders longer than the hypothesis are left out (effective order).
pub fn bleu(hyp: &[String], refs: &[Vec<String>]) -> f64 {
    if hyp.is_empty() || refs.is_empty() {
        return 0.0;
    }
    let mut log_sum = 0.0;
    let mut orders = 0;
    let mut smooth = 1.0;
    for n in 1..=4usize {
        let total = hyp.len().saturating_sub(n - 1);
        if total == 0 {
            break;
        }
        let h = counts(std::slice::from_ref(&hyp.to_vec()), n)
            .into_iter()
            .map(|(g, k)| (g.to_vec(), k))
            .collect::<HashMap<_, _>>();
        let mut max_ref: HashMap<&[String], usize> = HashMap::new();
        for r in refs {
            let mut rc: HashMap<&[String], usize> = HashMap::new();
            for g in ngrams(r, n) {
                *rc.entry(g).or_insert(0) += 1;
            }
            for (g, k) in rc {
                let e = max_ref.entry(g).or_insert(0);
                *e = (*e).max(k);
            }
        }
        let correct: usize = h
            .iter()
            .map(|(g, &k)| k.min(*max_ref.get(g.as_slice()).unwrap_or(&0)))
            .sum();
        let p = if correct == 0 {
            smooth *= 2.0;
            1.0 / (smooth * total as f64)
        } else {
            correct as f64 / total as f64
        };
        log_sum += p.ln();
        orders += 1;
    }
    let ref_len = refs
        .iter()
        .map(Vec::len)
        .min_by_key(|&l| ((l as i64 - hyp.len() as i64).abs(), l))
        .unwrap_or(0) as f64;
    let hyp_len = hyp.len() as f64;
    let bp = if hyp_len > ref_len {
        1.0
    } else {
        (1.0 - ref_len / hyp_len).exp()
    };
    100.0 * bp * (log_sum / orders as f64).exp()
}

/// Self-BLEU (0-100) of a pool: the mean BLEU of each response against all the others.
/// Lower means more diverse; a pool of fewer than two responses scores 0.
pub fn self_bleu(responses: &[Vec<String>]) -> f64 {
    if responses.len() < 2 {
        return 0.0;
    }
    let mut sum = 0.0;
    for i in 0..responses.len() {
        let others: Vec<Vec<String>> = responses
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(_, r)| r.clone())
            .collect();
        sum += bleu(&responses[i], &others);
    }
    sum / responses.len() as f64
}

/// Unbiased pass@k from `n` samples of which `c` are correct: `1 - C(n-c, k) / C(n, k)`,
/// computed as a product so large `n` does not overflow. `None` if `k > n`.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k > n || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    let mut prod = 1.0;
    for i in (n - c + 1)..=n {
        prod *= 1.0 - k as f64 / i as f64;
    }
    Some(1.0 - prod)
}

fn normalise_number(s: &str) -> String {
    let t = s.trim().trim_end_matches('.').replace([',', '$'], "");
    match t.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Ok(x) => format!("{x}"),
        Err(_) => t,
    }
}

/// The final answer stated in a response: the number after the last "The answer is" or
/// "####", else the last number in the text.
pub fn extract_answer(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let tail = ["the answer is", "####"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| &text[i + m.len()..]))
        .next();
    let number = |s: &str| -> Option<String> {
        let mut found = None;
        let mut cur = String::new();
        for ch in s.chars().chain(std::iter::once(' ')) {
            if ch.is_ascii_digit()
                || (ch == '-' && cur.is_empty())
                || ((ch == '.' || ch == ',') && !cur.is_empty())
            {
                cur.push(ch);
            } else if !cur.is_empty() {
                let n = normalise_number(&cur);
                if n.chars().any(|c| c.is_ascii_digit()) {
                    found = Some(n);
                }
                cur.clear();
            }
        }
        found
    };
    match tail {
        Some(t) => {
            let first: String = t.chars().take_while(|&c| c != '\n').collect();
            number(&first).map(|n| {
                // The first number after the marker.
                let mut it = first
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',' || c == '-'));
                it.find(|w| w.chars().any(|c| c.is_ascii_digit()))
                    .map(normalise_number)
                    .unwrap_or(n)
            })
        }
        None => number(text),
    }
}

/// Whether `response` states `answer` as its final answer.
pub fn is_correct(response: &str, answer: &str) -> bool {
    extract_answer(response).is_some_and(|a| a == normalise_number(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        words(s)
    }

    #[test]
    fn pass_at_k_matches_the_combinatorial_formula() {
        let choose =
            |n: u64, k: u64| -> f64 { (0..k).map(|i| (n - i) as f64 / (i + 1) as f64).product() };
        for (n, c, k) in [
            (16, 3, 1),
            (16, 3, 4),
            (16, 0, 8),
            (10, 9, 2),
            (5, 5, 5),
            (20, 7, 16),
        ] {
            let want = 1.0
                - if n - c < k {
                    0.0
                } else {
                    choose(n - c, k) / choose(n, k)
                };
            let got = pass_at_k(n as usize, c as usize, k as usize).unwrap();
            assert!(
                (got - want).abs() < 1e-12,
                "n {n} c {c} k {k}: {got} vs {want}"
            );
        }
        assert_eq!(pass_at_k(16, 3, 1), Some(3.0 / 16.0));
        assert_eq!(pass_at_k(4, 1, 5), None);
    }

    #[test]
    fn diversity_metrics_on_known_pools() {
        let same = vec![w("the cat sat"), w("the cat sat")];
        let diff = vec![w("the cat sat"), w("a dog ran")];
        assert_eq!(distinct_n(&same, 1), 0.5);
        assert_eq!(distinct_n(&diff, 1), 1.0);
        assert_eq!(distinct_n(&diff, 2), 1.0);
        assert!((ngram_entropy(&diff, 1) - 6f64.ln()).abs() < 1e-12);
        assert!((ngram_entropy(&same, 1) - 3f64.ln()).abs() < 1e-12);
        let long = w("the quick brown fox jumps over the lazy dog");
        assert!((bleu(&long, std::slice::from_ref(&long)) - 100.0).abs() < 1e-9);
        assert!((self_bleu(&[long.clone(), long.clone()]) - 100.0).abs() < 1e-9);
        let other = w("a slow red hen walks under one busy cat");
        assert!(self_bleu(&[long.clone(), other]) < 10.0);
        // Hand-computed: hyp "the cat sat on the mat" vs ref "the cat is on the mat":
        // p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0 -> smoothed 1/(2*3); bp = 1.
        let b = bleu(&w("the cat sat on the mat"), &[w("the cat is on the mat")]);
        let want_exact = 100.0
            * (((5.0 / 6.0f64).ln() + 0.6f64.ln() + 0.25f64.ln() + (1.0 / 6.0f64).ln()) / 4.0)
                .exp();
        assert!((b - want_exact).abs() < 1e-9, "{b} vs {want_exact}");
    }

    #[test]
    fn answers_are_extracted_and_checked() {
        assert_eq!(
            extract_answer("12 plus 7 is 19. The answer is 19."),
            Some("19".into())
        );
        assert_eq!(
            extract_answer("so 3 + 4 = 7\n#### 1,234"),
            Some("1234".into())
        );
        assert_eq!(extract_answer("He has $18.00 left"), Some("18".into()));
        assert_eq!(
            extract_answer("The answer is -5, not 3."),
            Some("-5".into())
        );
        assert_eq!(extract_answer("no digits"), None);
        assert!(is_correct("The answer is 42.", "42"));
        assert!(!is_correct("The answer is 41. Or 42", "42"));
    }
}
