//! Socket-level pieces around hyper: the refusal type and its JSON body, the I/O adapter
//! that holds replies to a deadline (and keeps hyper's own bodiless error replies off the
//! wire so the service can answer them with its JSON error), and the replies written where
//! hyper has no request to answer (503 at accept, 408 for a head that never arrived).

use std::future::Future;
use std::io::{Error, ErrorKind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// Largest request head (request line and headers) accepted, in bytes (hyper's read buffer).
pub(super) const MAX_HEAD_BYTES: usize = 16 << 10;

/// Most headers one request may carry.
pub(super) const MAX_HEADERS: usize = 32;

/// A refusal: the status to answer with and the message of its JSON error body.
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
}

/// The one-line JSON error body of a refusal.
pub(super) fn error_body(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// What the exchange on one connection has come to, shared between the service and the
/// connection task.
#[derive(Default)]
pub(super) struct Exchange {
    /// The service was called: hyper parsed a request head, and what it writes from now
    /// on is the service's reply.
    pub(super) answered: AtomicBool,
    /// The reply is a refusal: the client may still be sending, so drain before closing.
    pub(super) refused: AtomicBool,
}

/// The connection as hyper sees it. Until the service is called, writes are dropped (they
/// can only be hyper's automatic, bodiless 400/431, which the connection task replaces with
/// a JSON one); after, the reply must be taken within `timeout` of its first write.
pub(super) struct Guarded {
    pub(super) io: TokioIo<TcpStream>,
    pub(super) exchange: Arc<Exchange>,
    pub(super) timeout: Duration,
    pub(super) write_by: Option<Pin<Box<Sleep>>>,
}

impl Guarded {
    /// `Pending` while the reply deadline has not passed, a time-out error once it has.
    fn overdue(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Error> {
        let timeout = self.timeout;
        let by = self
            .write_by
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        by.as_mut()
            .poll(cx)
            .map(|()| Error::new(ErrorKind::TimedOut, "reply not taken in time"))
    }

    fn speaking(&mut self) -> bool {
        let on = self.exchange.answered.load(Ordering::Acquire);
        if on && self.write_by.is_none() {
            self.write_by = Some(Box::pin(tokio::time::sleep(self.timeout)));
        }
        on
    }
}

impl Read for Guarded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl Write for Guarded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if !this.speaking() {
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Pending => this.overdue(cx).map(Err),
            done => done,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.speaking() {
            return Poll::Ready(Ok(()));
        }
        match Pin::new(&mut this.io).poll_flush(cx) {
            Poll::Pending => this.overdue(cx).map(Err),
            done => done,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

/// Write a JSON refusal on a connection hyper is not (or no longer) serving, within
/// `timeout`, and close the write side.
pub(super) async fn refuse_raw(
    stream: &mut TcpStream,
    status: u16,
    message: &str,
    timeout: Duration,
) -> std::io::Result<()> {
    let body = error_body(message);
    let reply = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    let write = async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    };
    match tokio::time::timeout(timeout, write).await {
        Ok(done) => done,
        Err(_) => Err(Error::new(ErrorKind::TimedOut, "reply not taken in time")),
    }
}

/// After a refusal, read and drop what the client still sends for a moment, so it reads
/// the reply rather than a reset.
pub(super) async fn drain(stream: &mut TcpStream, for_at_most: Duration) {
    let mut sink = vec![0u8; 8192];
    let _ = tokio::time::timeout(for_at_most, async {
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
