//! The service against hostile clients: oversized, malformed, silent and half-sent requests.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use optlab_core::models::{Llama, LlamaConfig};

use super::{serve, Limits, ServeConfig};
use crate::combined::{load_split, ClosedPart, LocalClosedPart};
use crate::split::write_split;

fn cfg() -> LlamaConfig {
    let mut c = LlamaConfig::preset("tiny", 256).unwrap();
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.max_position_embeddings = 64;
    c
}

fn closed() -> LocalClosedPart {
    let m = Llama::new(&cfg(), DType::F32, &Device::Cpu, 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_split(&m, 2, None, dir.path()).unwrap();
    load_split(dir.path(), &Device::Cpu).unwrap().1.closed
}

fn limits() -> Limits {
    Limits {
        max_tokens: 40,
        max_batch: 4,
        max_seq: 16,
        budget_bytes: 1 << 20,
        bytes_per_token: 1 << 10,
    }
}

/// The service's timeout in these tests: short, but long enough for a loaded machine.
const TIMEOUT_MS: u64 = 2000;

/// Run the service with a short timeout for `n` connections while `f` talks to it.
fn with_service(n: usize, f: impl FnOnce(&str)) {
    let closed = closed();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut c = ServeConfig::new(256, limits());
    c.timeout = Duration::from_millis(TIMEOUT_MS);
    c.connections = 4;
    c.max_requests = Some(n);
    std::thread::scope(|s| {
        let service = s.spawn(|| serve(&closed, listener, &c));
        f(&addr);
        service.join().unwrap().unwrap();
    });
}

/// Send `raw`, read the whole reply: (status, body).
fn exchange(addr: &str, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(raw).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    status_and_body(&reply)
}

fn status_and_body(reply: &str) -> (u16, String) {
    let (head, body) = reply.split_once("\r\n\r\n").expect("a whole reply");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    (status, body.to_string())
}

fn post(body: &str) -> Vec<u8> {
    format!(
        "POST /hidden HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn ids_json(rows: usize, t: usize) -> String {
    let row = format!("[{}]", vec!["7"; t].join(","));
    format!("{{\"ids\": [{}]}}", vec![row; rows].join(","))
}

#[test]
fn oversized_requests_get_413_naming_the_limit() {
    with_service(4, |addr| {
        let (st, body) = exchange(addr, &post(&ids_json(4, 12)));
        assert_eq!(st, 413, "{body}");
        assert!(
            body.contains("exceeds the limit of 40 tokens per request (--max-tokens)"),
            "{body}"
        );
        let (st, body) = exchange(addr, &post(&ids_json(5, 2)));
        assert_eq!(st, 413, "{body}");
        assert!(
            body.contains("limit of 4 rows per request (--max-batch)"),
            "{body}"
        );
        let (st, body) = exchange(addr, &post(&ids_json(1, 17)));
        assert_eq!(st, 413, "{body}");
        assert!(
            body.contains("limit of 16 tokens per row (--max-seq)"),
            "{body}"
        );
        // Refused on Content-Length alone: the body is never sent.
        let head = "POST /hidden HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n";
        let (st, body) = exchange(addr, head.as_bytes());
        assert_eq!(st, 413, "{body}");
        assert!(body.contains("exceeds the limit of 4736 bytes"), "{body}");
    });
}

#[test]
fn half_a_request_line_does_not_block_a_second_client() {
    let want = closed()
        .hidden(&Tensor::new(&[[1u32, 2, 3]], &Device::Cpu).unwrap())
        .unwrap();
    let want: Vec<u32> = want
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect();
    with_service(3, |addr| {
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.write_all(b"POST /hid").unwrap();
        let silent = TcpStream::connect(addr).unwrap();
        let start = Instant::now();
        let (st, body) = exchange(addr, &post("{\"ids\": [[1, 2, 3]]}"));
        // Answered while the stalled clients still hold their connections.
        assert!(
            start.elapsed() < Duration::from_millis(TIMEOUT_MS - 100),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(st, 200, "{body}");
        let r: super::Response = serde_json::from_str(&body).unwrap();
        assert_eq!(r.shape, vec![1, 3, 32]);
        assert_eq!(r.bits, want, "answered correctly while others idle");
        // The half-sent request times out with 408; the silent one is closed.
        idle.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reply = String::new();
        idle.read_to_string(&mut reply).unwrap();
        assert_eq!(status_and_body(&reply).0, 408, "{reply}");
        drop(silent);
    });
}

#[test]
fn malformed_requests_get_4xx_and_the_service_keeps_running() {
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (post("{\"ids\": [[1, 2"), 400),
        (post("{\"ids\": [[1, 2], [3]]}"), 400),
        (post("{\"ids\": [[1, 999]]}"), 400),
        (post("not json"), 400),
        (
            b"POST /hidden HTTP/1.1\r\nContent-Length: ten\r\n\r\n{}".to_vec(),
            400,
        ),
        (
            b"POST /hidden HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            400,
        ),
        (
            b"POST /hidden HTTP/1.1\r\n\r\n{\"ids\": [[1]]}".to_vec(),
            411,
        ),
        (
            b"POST /hidden HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            411,
        ),
        (b"GET /hidden HTTP/1.1\r\n\r\n".to_vec(), 405),
        (
            b"POST /../closed.safetensors HTTP/1.1\r\nContent-Length: 0\r\n\r\n".to_vec(),
            404,
        ),
        (b"\x00\x01 garbage\r\n\r\n".to_vec(), 400),
        (
            format!("GET /{} HTTP/1.1\r\n", "a".repeat(20_000)).into_bytes(),
            431,
        ),
    ];
    with_service(cases.len() + 2, |addr| {
        for (raw, want) in &cases {
            let (st, body) = exchange(addr, raw);
            assert_eq!(
                st,
                *want,
                "{}: {body}",
                String::from_utf8_lossy(&raw[..raw.len().min(60)])
            );
            assert!(body.starts_with("{\"error\":"), "{body}");
        }
        // A body shorter than its Content-Length: 400 once the client stops sending.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"POST /hidden HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"ids\"")
            .unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        assert_eq!(status_and_body(&reply).0, 400, "{reply}");
        assert_eq!(exchange(addr, &post("{\"ids\": [[5]]}")).0, 200);
    });
}

#[test]
fn limits_follow_memory_and_the_model() {
    let c = cfg();
    let small = Limits::derive(&c, 2, 2, None, Some(1 << 30));
    let big = Limits::derive(&c, 2, 2, None, Some(8 << 30));
    assert_eq!(small.max_seq, 64);
    assert_eq!(small.budget_bytes, 1 << 28);
    assert!(big.max_tokens > 7 * small.max_tokens, "{small:?} {big:?}");
    assert!(small.max_tokens as u64 * small.bytes_per_token <= small.budget_bytes);
    let deeper = Limits::derive(&c, 4, 2, None, Some(1 << 30));
    assert!(deeper.max_tokens < small.max_tokens);
    let short = Limits::derive(&c, 2, 2, Some(8), Some(1 << 30));
    assert!(short.max_tokens > small.max_tokens && short.max_seq == 8);
    assert_eq!(Limits::derive(&c, 2, 2, Some(10_000), None).max_seq, 64);
    assert_eq!(Limits::derive(&c, 2, 1, None, Some(0)).max_tokens, 1);
    assert!(
        super::limits::mem_available_bytes().is_some_and(|m| m > 0) || !cfg!(target_os = "linux")
    );
}

/// A closed part that panics on a batch of one row and answers zeros otherwise.
struct Fragile;

impl ClosedPart for Fragile {
    fn hidden(&self, ids: &Tensor) -> crate::error::Result<Tensor> {
        let (b, t) = ids.dims2()?;
        assert!(b > 1, "a one-row batch breaks this model");
        Ok(Tensor::zeros((b, t, 2), DType::F32, &Device::Cpu)?)
    }

    fn layers(&self) -> usize {
        1
    }
}

#[test]
fn a_panicking_model_costs_its_request_a_500_and_too_many_headers_a_431() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mut c = ServeConfig::new(256, limits());
    c.timeout = Duration::from_millis(TIMEOUT_MS);
    c.workers = 1;
    c.max_requests = Some(4);
    std::thread::scope(|s| {
        let service = s.spawn(|| serve(&Fragile, listener, &c));
        let (st, body) = exchange(&addr, &post("{\"ids\": [[1, 2]]}"));
        assert_eq!(st, 500, "{body}");
        assert!(body.contains("internal error while answering"), "{body}");
        let (st, body) = exchange(&addr, &post("{\"ids\": [[1, 2], [3, 4]]}"));
        assert_eq!(st, 200, "{body}");
        let r: super::Response = serde_json::from_str(&body).unwrap();
        assert_eq!(r.shape, vec![2, 2, 2]);
        let many: String = (0..40).map(|i| format!("X-{i}: y\r\n")).collect();
        let raw = format!("POST /hidden HTTP/1.1\r\n{many}Content-Length: 0\r\n\r\n");
        let (st, body) = exchange(&addr, raw.as_bytes());
        assert_eq!(st, 431, "{body}");
        assert!(body.starts_with("{\"error\":"), "{body}");
        // A client that announces a chunked body is refused before sending it.
        let raw = b"POST /hidden HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(exchange(&addr, raw).0, 411);
        service.join().unwrap().unwrap();
    });
}
