//! One connection served by hyper (HTTP/1.1, one request, then close): the head must
//! arrive within the timeout (hyper's header read timeout; 408), the body by the request's
//! deadline (408), its `Content-Length` is required and checked against the limit before
//! the body is read (411/413), and the parsed ids are checked before any compute (400/413).

use std::convert::Infallible;
use std::future::poll_fn;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::http::{drain, refuse_raw, Exchange, Guarded, Refusal, MAX_HEADERS, MAX_HEAD_BYTES};
use super::{check, Job, Request, ServeConfig};

/// How long a refused client may go on sending before the connection closes.
const DRAIN: Duration = Duration::from_millis(500);

/// The body before `deadline`, at most `length` bytes (its `Content-Length`).
async fn read_body(
    mut body: Incoming,
    length: usize,
    deadline: Instant,
    too_large: impl Fn(usize) -> Option<String>,
) -> Result<Vec<u8>, Refusal> {
    let mut got = Vec::with_capacity(length);
    let read = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| {
                Refusal::new(
                    400,
                    format!(
                        "body ended after {} of {length} bytes (Content-Length)",
                        got.len()
                    ),
                )
            })?;
            if let Ok(data) = frame.into_data() {
                if got.len() + data.len() > length {
                    let why = too_large(got.len() + data.len());
                    return Err(Refusal::new(
                        413,
                        why.unwrap_or_else(|| "body longer than its Content-Length".into()),
                    ));
                }
                got.extend_from_slice(&data);
            }
        }
        if got.len() < length {
            return Err(Refusal::new(
                400,
                format!(
                    "body ended after {} of {length} bytes (Content-Length)",
                    got.len()
                ),
            ));
        }
        Ok(())
    };
    match tokio::time::timeout_at(deadline, read).await {
        Ok(Ok(())) => Ok(got),
        Ok(Err(r)) => Err(r),
        Err(_) => Err(Refusal::new(408, "request not received in time")),
    }
}

/// Read, check and answer one request: the reply body or a refusal.
async fn answer(
    req: hyper::Request<Incoming>,
    cfg: &ServeConfig,
    jobs: &Sender<Job>,
    deadline: Instant,
) -> Result<String, Refusal> {
    let headers = req.headers();
    if headers.contains_key(TRANSFER_ENCODING) {
        return Err(Refusal::new(
            411,
            "chunked bodies are not accepted: send Content-Length",
        ));
    }
    let length = match headers.get(CONTENT_LENGTH) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or_else(|| Refusal::new(400, "bad Content-Length"))?,
        None if matches!(*req.method(), Method::POST | Method::PUT) => {
            return Err(Refusal::new(411, "Content-Length is required"))
        }
        None => 0,
    };
    if let Some(why) = cfg.limits.refuse_body(length) {
        return Err(Refusal::new(413, why));
    }
    let (head, body) = req.into_parts();
    let body = read_body(body, length, deadline, |n| cfg.limits.refuse_body(n)).await?;
    if head.uri.path() != "/hidden" {
        return Err(Refusal::new(404, "only POST /hidden is served"));
    }
    if head.method != Method::POST {
        return Err(Refusal::new(405, "only POST /hidden is served"));
    }
    let req: Request = serde_json::from_slice(&body)
        .map_err(|e| Refusal::new(400, format!("body is not {{\"ids\": [[…]]}}: {e}")))?;
    drop(body);
    let shape = check(&req, cfg)?;
    let (reply, answer) = oneshot::channel();
    jobs.send(Job { req, shape, reply })
        .map_err(|_| Refusal::new(503, "server is shutting down"))?;
    answer
        .await
        .unwrap_or_else(|_| Err(Refusal::new(500, "internal error while answering")))
}

/// A JSON reply with `status`.
fn reply(status: u16, body: String) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// The refusal for an error hyper met before it could call the service, if the client is
/// still there to hear it.
fn refusal_before_service(e: &hyper::Error) -> Option<Refusal> {
    if e.is_timeout() {
        Some(Refusal::new(408, "request not received in time"))
    } else if e.is_parse_too_large() {
        Some(Refusal::new(
            431,
            format!(
                "request head exceeds the limit of {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} headers"
            ),
        ))
    } else if e.is_parse() {
        Some(Refusal::new(400, format!("malformed request: {e}")))
    } else {
        None
    }
}

/// Serve one connection; `_open` is its place among the connections served at once.
pub(super) async fn connection(
    stream: TcpStream,
    cfg: Arc<ServeConfig>,
    jobs: Sender<Job>,
    _open: OwnedSemaphorePermit,
) {
    let deadline = Instant::now() + cfg.timeout;
    let exchange = Arc::new(Exchange::default());
    let io = Guarded {
        io: TokioIo::new(stream),
        exchange: exchange.clone(),
        timeout: cfg.timeout,
        write_by: None,
    };
    let (svc_cfg, svc_exchange) = (cfg.clone(), exchange.clone());
    let service = service_fn(move |req| {
        svc_exchange.answered.store(true, Ordering::Release);
        let (cfg, jobs, exchange) = (svc_cfg.clone(), jobs.clone(), svc_exchange.clone());
        // Boxed: hyper polls the connection by hand here, which wants an `Unpin` future.
        Box::pin(async move {
            let (status, body) = match answer(req, &cfg, &jobs, deadline).await {
                Ok(body) => (200, body),
                Err(r) => {
                    exchange.refused.store(true, Ordering::Release);
                    (r.status, super::http::error_body(&r.message))
                }
            };
            Ok::<_, Infallible>(reply(status, body))
        })
    });
    let mut conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(cfg.timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(false)
        .half_close(true)
        .serve_connection(io, service);
    let outcome = poll_fn(|cx| conn.poll_without_shutdown(cx)).await;
    let mut stream = conn.into_parts().io.io.into_inner();
    // A client that hangs up early costs its own answer, not the service.
    match outcome {
        Err(e) if !exchange.answered.load(Ordering::Acquire) => {
            if let Some(r) = refusal_before_service(&e) {
                if refuse_raw(&mut stream, r.status, &r.message, cfg.timeout)
                    .await
                    .is_ok()
                {
                    drain(&mut stream, DRAIN).await;
                }
            }
        }
        Ok(()) if exchange.refused.load(Ordering::Acquire) => {
            use tokio::io::AsyncWriteExt;
            if stream.shutdown().await.is_ok() {
                drain(&mut stream, DRAIN).await;
            }
        }
        _ => {}
    }
}
