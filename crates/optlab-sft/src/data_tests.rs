//! Tests of SFT data reading.

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

const MIXED: &[u8] = b"{\"prompt\": \"a\", \"response\": \"b\"}
{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"assistant\", \"content\": \"y\"}]}
{\"messages\": [{\"role\": \"narrator\", \"content\": \"x\"}, {\"role\": \"assistant\", \"content\": \"y\"}]}
{\"prompt\": \"q\", \"response\": \"  \"}
{\"prompt\": \"caf\xE9\", \"response\": \"b\"}
{\"instruction\": \"i\", \"output\": \"o\"}
";

#[test]
fn unknown_roles_empty_responses_and_bad_utf8_are_skipped_by_line() {
    let l = parse_bytes(MIXED, "d.jsonl", OnBadLine::Skip).unwrap();
    assert_eq!(l.examples.len(), 3);
    assert_eq!(l.bad.len(), 3, "{:?}", l.bad);
    assert!(
        l.bad[0].starts_with("d.jsonl:3: unknown chat role `narrator`"),
        "{}",
        l.bad[0]
    );
    assert!(
        l.bad[1].starts_with("d.jsonl:4: empty response"),
        "{}",
        l.bad[1]
    );
    assert!(
        l.bad[2].starts_with("d.jsonl:5: not valid UTF-8"),
        "{}",
        l.bad[2]
    );
    let e = parse_bytes(MIXED, "d.jsonl", OnBadLine::Error).unwrap_err();
    assert!(
        e.to_string().starts_with("d.jsonl:3: unknown chat role"),
        "{e}"
    );
}

#[test]
fn jsonl_starting_with_a_bracket_is_read_line_by_line() {
    let text = "[1, 2]\n{\"prompt\": \"a\", \"response\": \"b\"}\n";
    let l = parse_examples(text, "d.jsonl.gz", OnBadLine::Skip).unwrap();
    assert_eq!(l.examples.len(), 1);
    assert!(
        l.bad[0].starts_with("d.jsonl.gz:1: record is not a JSON object"),
        "{:?}",
        l.bad
    );
    let arr = r#"[{"prompt": "a", "response": ""}, {"prompt": "a", "response": "b"}]"#;
    let l = parse_examples(arr, "d.json", OnBadLine::Skip).unwrap();
    assert!(
        l.bad[0].starts_with("d.json:record 0: empty response"),
        "{:?}",
        l.bad
    );
    let e = parse_bytes(b"[\n{\"prompt\": \"\xFF\"}]", "d.json", OnBadLine::Skip).unwrap_err();
    assert!(
        e.to_string().starts_with("d.json:2: not valid UTF-8"),
        "{e}"
    );
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let text = "\u{feff}{\"prompt\": \"a\", \"response\": \"b\"}\r\n\r\n";
    let l = parse_examples(text, "d.jsonl", OnBadLine::Error).unwrap();
    assert_eq!(l.examples.len(), 1);
}
