//! Preference pairs for reward-model training: the embedded generated set (arithmetic: the
//! correct answer preferred to a near miss) and the DPO demo set (`dpo_en_demo.json`, 300
//! conversations with a chosen and a rejected reply, from the llamafactory sdist).

use std::path::Path;

use crate::error::{bail, Result, RlhfError};
use optlab_core::tokenizer::Tokenizer;
use serde::Deserialize;

use crate::task::ArithTask;

/// One comparison: the same prompt with a preferred and a dispreferred response (token ids).
#[derive(Debug, Clone, PartialEq)]
pub struct PrefPair {
    /// Prompt tokens.
    pub prompt: Vec<u32>,
    /// Preferred response tokens.
    pub chosen: Vec<u32>,
    /// Dispreferred response tokens.
    pub rejected: Vec<u32>,
}

impl PrefPair {
    /// The two full sequences, prompt + response.
    pub fn rows(&self) -> (Vec<u32>, Vec<u32>) {
        let mut c = self.prompt.clone();
        c.extend_from_slice(&self.chosen);
        let mut r = self.prompt.clone();
        r.extend_from_slice(&self.rejected);
        (c, r)
    }
}

/// `n` generated arithmetic pairs from `seed`.
pub fn generated_prefs(
    task: &ArithTask,
    seed: u64,
    n: usize,
    tok: &dyn Tokenizer,
) -> Result<Vec<PrefPair>> {
    task.preference_pairs(seed, n)
        .into_iter()
        .map(|(p, c, r)| {
            Ok(PrefPair {
                prompt: tok.encode(&p)?,
                chosen: tok.encode(&c)?,
                rejected: tok.encode(&r)?,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct Turn {
    from: String,
    value: String,
}

#[derive(Deserialize)]
struct DemoRow {
    conversations: Vec<Turn>,
    chosen: Turn,
    rejected: Turn,
}

/// Truncation applied to real preference data so rows fit a small model's context.
#[derive(Debug, Clone, Copy)]
pub struct Truncation {
    /// Keep the last this-many prompt tokens.
    pub prompt: usize,
    /// Keep the first this-many response tokens.
    pub response: usize,
}

/// Read the DPO demo file (`[{conversations: [{from, value}], chosen, rejected}]`), render
/// each conversation as `from: value` lines followed by `gpt: `, and truncate. Pairs whose
/// truncated responses are identical carry no preference and are dropped; the count of
/// dropped pairs is returned too.
pub fn load_dpo_demo(
    path: &Path,
    tok: &dyn Tokenizer,
    cut: Truncation,
) -> Result<(Vec<PrefPair>, usize)> {
    let text = std::fs::read_to_string(path).map_err(|cause| RlhfError::Context {
        context: format!(
            "reading the preference file {} (fetch it with scripts/fetch-assets)",
            path.display()
        ),
        cause: Box::new(RlhfError::Io {
            path: path.into(),
            cause,
        }),
    })?;
    let rows: Vec<DemoRow> = serde_json::from_str(&text).map_err(RlhfError::json(format!(
        "{} is not a DPO preference file (expected [{{conversations, chosen, rejected}}])",
        path.display()
    )))?;
    if rows.is_empty() {
        bail!("{} holds no preference pairs", path.display());
    }
    let (mut out, mut dropped) = (Vec::new(), 0);
    for row in rows {
        let mut prompt = String::new();
        for t in &row.conversations {
            prompt.push_str(&format!("{}: {}\n", t.from, t.value));
        }
        prompt.push_str(&format!("{}: ", row.chosen.from));
        let p = tok.encode(&prompt)?;
        let p = p[p.len().saturating_sub(cut.prompt)..].to_vec();
        let mut c = tok.encode(&row.chosen.value)?;
        let mut r = tok.encode(&row.rejected.value)?;
        c.truncate(cut.response);
        r.truncate(cut.response);
        if c == r || c.is_empty() || r.is_empty() {
            dropped += 1;
            continue;
        }
        out.push(PrefPair {
            prompt: p,
            chosen: c,
            rejected: r,
        });
    }
    Ok((out, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use optlab_core::tokenizer::ByteTokenizer;

    #[test]
    fn demo_format_is_parsed_truncated_and_bad_files_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let good = dir.join("good.json");
        std::fs::write(
            &good,
            r#"[{"conversations":[{"from":"human","value":"Say hi"}],
                "chosen":{"from":"gpt","value":"Hello there!"},
                "rejected":{"from":"gpt","value":"No."}},
               {"conversations":[{"from":"human","value":"x"}],
                "chosen":{"from":"gpt","value":"same start A"},
                "rejected":{"from":"gpt","value":"same start B"}}]"#,
        )
        .unwrap();
        let cut = Truncation {
            prompt: 8,
            response: 5,
        };
        let (pairs, dropped) = load_dpo_demo(&good, &ByteTokenizer, cut).unwrap();
        assert_eq!((pairs.len(), dropped), (1, 1));
        assert_eq!(pairs[0].prompt, b"hi\ngpt: ".map(u32::from).to_vec());
        assert_eq!(pairs[0].chosen, b"Hello".map(u32::from).to_vec());
        assert_eq!(pairs[0].rejected, b"No.".map(u32::from).to_vec());
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"not": "a list"}"#).unwrap();
        let e = load_dpo_demo(&bad, &ByteTokenizer, cut).unwrap_err();
        assert!(format!("{e:#}").contains("not a DPO preference file"));
        let e = load_dpo_demo(&dir.join("missing.json"), &ByteTokenizer, cut).unwrap_err();
        assert!(format!("{e:#}").contains("fetch-assets"));
    }
}
