//! One HTTP/1.1 exchange on a connection, parsed with `httparse`: the head and body must
//! arrive before a deadline (a slow or silent client times out with 408 instead of holding a
//! worker), the head is capped in size, the body must have a `Content-Length` within the
//! limit (checked before the body is read), and every reply closes the connection.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Largest request head (request line and headers) accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 16 << 10;

/// Most headers one request may carry.
const MAX_HEADERS: usize = 32;

/// A request that was read whole.
pub(super) struct HttpRequest {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) body: Vec<u8>,
}

/// A refusal: the status to answer with and the message of its JSON error body. A status of
/// 0 means the client is gone and gets no answer.
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) status: u16,
    pub(super) message: String,
}

impl Refusal {
    pub(super) fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    fn gone() -> Self {
        Self::new(0, "client closed the connection")
    }
}

/// Read into `buf` before `deadline`; `Ok(0)` at end of stream.
fn read_some(stream: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Result<usize, Refusal> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Refusal::new(408, "request not received in time"));
    }
    stream
        .set_read_timeout(Some(left.max(Duration::from_millis(1))))
        .map_err(|_| Refusal::gone())?;
    loop {
        match stream.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(Refusal::new(408, "request not received in time"))
            }
            Err(_) => return Err(Refusal::gone()),
        }
    }
}

/// A parsed request head.
struct Head {
    /// Bytes of the buffer the head took.
    end: usize,
    method: String,
    path: String,
    length: Option<usize>,
}

/// The request head at the start of `buf`; `None` while incomplete.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let end = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Refusal::new(
                431,
                format!("more than {MAX_HEADERS} headers"),
            ))
        }
        Err(e) => return Err(Refusal::new(400, format!("malformed request: {e}"))),
    };
    let mut length = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Refusal::new(
                411,
                "chunked bodies are not accepted: send Content-Length",
            ));
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(h.value).ok().map(str::trim);
            match (v.and_then(|v| v.parse::<usize>().ok()), length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(m)) if n == m => {}
                _ => return Err(Refusal::new(400, "bad Content-Length")),
            }
        }
    }
    let method = req.method.unwrap_or_default().to_string();
    let path = req.path.unwrap_or_default().to_string();
    Ok(Some(Head {
        end,
        method,
        path,
        length,
    }))
}

/// Read one request from `stream` before `deadline`. `refuse_body` says why a body of a given
/// length is too large (answered 413 before it is read).
pub(super) fn read_request(
    stream: &mut TcpStream,
    deadline: Instant,
    refuse_body: impl Fn(usize) -> Option<String>,
) -> Result<HttpRequest, Refusal> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let Head {
        end,
        method,
        path,
        length,
    } = loop {
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            return Err(match buf.is_empty() {
                true => Refusal::gone(),
                false => Refusal::new(400, "connection closed inside the request head"),
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf)? {
            break head;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(Refusal::new(
                431,
                format!("request head exceeds the limit of {MAX_HEAD_BYTES} bytes"),
            ));
        }
    };
    let length = match (length, method.as_str()) {
        (Some(n), _) => n,
        (None, "POST" | "PUT") => return Err(Refusal::new(411, "Content-Length is required")),
        (None, _) => 0,
    };
    if let Some(why) = refuse_body(length) {
        return Err(Refusal::new(413, why));
    }
    let mut body = buf.split_off(end);
    body.truncate(length);
    body.reserve_exact(length - body.len());
    while body.len() < length {
        let want = (length - body.len()).min(chunk.len());
        let n = read_some(stream, &mut chunk[..want], deadline)?;
        if n == 0 {
            return Err(Refusal::new(
                400,
                format!(
                    "body ended after {} of {length} bytes (Content-Length)",
                    body.len()
                ),
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(HttpRequest { method, path, body })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// Write all of `bytes` before `deadline` (a client that reads slowly times out too).
fn write_by(stream: &mut TcpStream, mut bytes: &[u8], deadline: Instant) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                ErrorKind::TimedOut,
                "reply not taken in time",
            ));
        }
        stream.set_write_timeout(Some(left.max(Duration::from_millis(1))))?;
        match stream.write(&bytes[..bytes.len().min(64 << 10)]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Write a JSON reply with `status` and close; the client must take all of it within
/// `timeout`.
pub(super) fn respond(
    stream: &mut TcpStream,
    status: u16,
    body: &str,
    timeout: Duration,
) -> std::io::Result<()> {
    let deadline = Instant::now() + timeout;
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    write_by(stream, head.as_bytes(), deadline)?;
    write_by(stream, body.as_bytes(), deadline)?;
    // Tell the client the reply is whole even if it sent more than it announced.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// The one-line JSON error body of a refusal.
pub(super) fn error_body(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}
