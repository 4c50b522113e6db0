//! `optlab semiopen serve` end to end: the limit flags reach the service, an oversized batch
//! gets 413 naming the limit, and a client stuck on half a request line blocks nobody.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn optlab(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_optlab"))
        .args(args)
        .output()
        .expect("run optlab");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Kills the server when the test ends, passing or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn exchange(addr: &str, raw: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(raw).unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").expect("a whole reply");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, body.to_string())
}

fn post(body: &str) -> Vec<u8> {
    format!(
        "POST /hidden HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn serve_refuses_oversized_batches_and_outlives_a_stalled_client() {
    let root = tempfile::tempdir().expect("temporary directory");
    let (run, split) = (root.path().join("run"), root.path().join("split"));
    let s = |p: &std::path::Path| p.to_str().expect("UTF-8 path").to_string();
    optlab(&[
        "train",
        "--steps",
        "1",
        "--batch",
        "2",
        "--seq-len",
        "16",
        "--out",
        &s(&run),
    ]);
    let model = s(&run.join("model"));
    optlab(&[
        "semiopen",
        "split",
        "--model-dir",
        &model,
        "--k",
        "1",
        "--out",
        &s(&split),
    ]);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let args = [
        "semiopen",
        "serve",
        "--split",
        &s(&split),
        "--addr",
        &addr,
        "--max-tokens",
        "100",
        "--timeout-ms",
        "3000",
    ];
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_optlab"))
            .args(args)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server"),
    );
    let start = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stalled = TcpStream::connect(&addr).unwrap();
    stalled.write_all(b"POST /hidden HT").unwrap();
    let stalled_at = Instant::now();
    let rows = vec![format!("[{}]", vec!["1"; 20].join(",")); 6].join(",");
    let (status, body) = exchange(&addr, &post(&format!("{{\"ids\": [{rows}]}}")));
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("request of 6 x 20 = 120 tokens exceeds the limit of 100 tokens per request (--max-tokens)"),
        "{body}"
    );
    let (status, body) = exchange(&addr, &post("{\"ids\": [[1, 2, 3], [4, 5, 6]]}"));
    assert_eq!(status, 200, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["shape"], serde_json::json!([2, 3, 128]));
    // Both answered while the stalled client still held its connection (3 s timeout).
    assert!(
        stalled_at.elapsed() < Duration::from_millis(2900),
        "{:?}",
        stalled_at.elapsed()
    );
    let mut reply = String::new();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stalled.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
}
