//! The closed part as a local HTTP service: `POST /hidden` with `{"ids": [[u32, …], …]}`
//! answers `{"shape": [b, t, h], "bits": [u32, …]}`, the hidden states after the closed
//! layers as raw f32 bit patterns (so the client rebuilds them exactly). Nothing else about
//! the closed weights is served.
//!
//! Built to survive hostile clients: a bounded pool of connection workers (a slow or idle
//! client holds one worker until its deadline, never the others; connections beyond the
//! pool and its queue get 503), a deadline for each request (408), a cap on the head (431),
//! and [`Limits`] on rows, tokens per row and tokens per request derived from free memory,
//! checked against `Content-Length` and the parsed ids before any tensor is built (413).
//! At most [`ServeConfig::workers`] requests compute at once, so memory stays within
//! `workers x Limits::budget_bytes`.
//!
//! * [`limits`]: [`Limits`] and how they are derived;
//! * [`client`]: [`HttpClosedPart`], the client, and [`verify_split`].

pub mod client;
mod http;
pub mod limits;

use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver, TrySendError};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::combined::ClosedPart;
use crate::error::{Result, SemiopenError};
pub use client::{verify_split, HttpClosedPart, VerifyReport};
use http::{error_body, read_request, respond, Refusal};
pub use limits::Limits;

#[derive(Serialize, Deserialize)]
pub(crate) struct Request {
    pub(crate) ids: Vec<Vec<u32>>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Response {
    pub(crate) shape: Vec<usize>,
    pub(crate) bits: Vec<u32>,
}

/// How the service runs: who may ask what, for how long, how many at once.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Vocabulary size: larger token ids are refused (400).
    pub vocab: usize,
    /// Largest request answered (413 beyond).
    pub limits: Limits,
    /// Time a client has to send its whole request, and to take the reply (408 beyond).
    pub timeout: Duration,
    /// Requests computing at once (each may use `limits.budget_bytes`).
    pub workers: usize,
    /// Connections served at once (reading, waiting or writing); more queue briefly, then
    /// get 503.
    pub connections: usize,
    /// Stop after accepting this many connections (`None`: serve forever).
    pub max_requests: Option<usize>,
}

impl ServeConfig {
    /// Defaults for a closed part over `vocab` tokens with `limits`: 30 s timeout, 2
    /// computing workers, 64 connections, serve forever.
    pub fn new(vocab: usize, limits: Limits) -> Self {
        Self {
            vocab,
            limits,
            timeout: Duration::from_secs(30),
            workers: 2,
            connections: 64,
            max_requests: None,
        }
    }
}

/// A counting semaphore: at most `n` holders at once.
struct Gate {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Gate {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        drop(free);
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        *self.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.freed.notify_one();
        out.unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

/// Validate a parsed body against the vocabulary and the limits; the batch shape.
fn check(req: &Request, cfg: &ServeConfig) -> std::result::Result<(usize, usize), Refusal> {
    let rows = req.ids.len();
    let t = req.ids.first().map_or(0, Vec::len);
    if t == 0 || req.ids.iter().any(|r| r.len() != t) {
        return Err(Refusal::new(
            400,
            "ids must be a non-empty rectangular batch",
        ));
    }
    if let Some(why) = cfg.limits.refuse(rows, t) {
        return Err(Refusal::new(413, why));
    }
    if let Some(bad) = req.ids.iter().flatten().find(|&&i| i as usize >= cfg.vocab) {
        return Err(Refusal::new(
            400,
            format!("token id {bad} is outside the vocabulary of {}", cfg.vocab),
        ));
    }
    Ok((rows, t))
}

fn compute<C: ClosedPart>(closed: &C, req: Request, shape: (usize, usize)) -> Result<String> {
    use candle_core::{Device, Tensor};
    let flat: Vec<u32> = req.ids.concat();
    drop(req);
    let ids = Tensor::from_vec(flat, shape, &Device::Cpu)?;
    let h = closed.hidden(&ids)?;
    let bits = h
        .flatten_all()?
        .to_vec1::<f32>()?
        .iter()
        .map(|x| x.to_bits())
        .collect();
    let response = Response {
        shape: h.dims().to_vec(),
        bits,
    };
    serde_json::to_string(&response).map_err(SemiopenError::json("reply"))
}

/// Read, check and answer one request: the reply body or a refusal.
fn answer<C: ClosedPart>(
    closed: &C,
    cfg: &ServeConfig,
    gate: &Gate,
    stream: &mut TcpStream,
) -> std::result::Result<String, Refusal> {
    let deadline = Instant::now() + cfg.timeout;
    let r = read_request(stream, deadline, |n| cfg.limits.refuse_body(n))?;
    if r.path != "/hidden" {
        return Err(Refusal::new(404, "only POST /hidden is served"));
    }
    if r.method != "POST" {
        return Err(Refusal::new(405, "only POST /hidden is served"));
    }
    let req: Request = serde_json::from_slice(&r.body)
        .map_err(|e| Refusal::new(400, format!("body is not {{\"ids\": [[…]]}}: {e}")))?;
    drop(r);
    let shape = check(&req, cfg)?;
    match gate.run(|| compute(closed, req, shape)) {
        Ok(body) => Ok(body),
        Err(e @ SemiopenError::Invalid(_)) => Err(Refusal::new(400, format!("{e:#}"))),
        Err(e) => Err(Refusal::new(500, format!("{e:#}"))),
    }
}

/// Serve one connection: answer, then (after a refusal) drain what the client still sends
/// for a moment so it reads the reply rather than a reset.
fn handle<C: ClosedPart>(closed: &C, cfg: &ServeConfig, gate: &Gate, mut stream: TcpStream) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        answer(closed, cfg, gate, &mut stream)
    }))
    .unwrap_or_else(|_| Err(Refusal::new(500, "internal error while answering")));
    // A client that hangs up early costs its own answer, not the service.
    match outcome {
        Ok(body) => {
            let _ = respond(&mut stream, 200, &body, cfg.timeout);
        }
        Err(r) if r.status == 0 => {}
        Err(r) => {
            if respond(&mut stream, r.status, &error_body(&r.message), cfg.timeout).is_ok() {
                drain(&mut stream, Duration::from_millis(500));
            }
        }
    }
}

fn drain(stream: &mut TcpStream, for_at_most: Duration) {
    use std::io::Read;
    let until = Instant::now() + for_at_most;
    let mut sink = [0u8; 8192];
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

fn worker<C: ClosedPart>(
    closed: &C,
    cfg: &ServeConfig,
    gate: &Gate,
    queue: &Mutex<Receiver<TcpStream>>,
) {
    loop {
        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match next {
            Ok(stream) => handle(closed, cfg, gate, stream),
            Err(_) => return,
        }
    }
}

/// Serve `closed` on `listener` as `cfg` says. Bad requests get a 4xx with a one-line JSON
/// error (`{"error": …}`); the service keeps running. Returns when `cfg.max_requests`
/// connections were accepted and answered, or with [`SemiopenError::Network`] when the
/// listener fails.
pub fn serve<C: ClosedPart + Sync>(
    closed: &C,
    listener: TcpListener,
    cfg: &ServeConfig,
) -> Result<()> {
    let gate = Gate {
        free: Mutex::new(cfg.workers.max(1)),
        freed: Condvar::new(),
    };
    let (tx, rx) = sync_channel::<TcpStream>(cfg.connections.max(1));
    let queue = Mutex::new(rx);
    std::thread::scope(|s| {
        for _ in 0..cfg.connections.max(1) {
            s.spawn(|| worker(closed, cfg, &gate, &queue));
        }
        let mut accepted = 0usize;
        for stream in listener.incoming() {
            let stream = match stream {
                Ok(s) => s,
                Err(e) if transient(&e) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(e) => return Err(SemiopenError::net("listener")(e)),
            };
            accepted += 1;
            if let Err(TrySendError::Full(mut stream)) = tx.try_send(stream) {
                let msg = error_body("server busy: too many connections, retry later");
                let _ = respond(&mut stream, 503, &msg, Duration::from_secs(1));
            }
            if cfg.max_requests.is_some_and(|m| accepted >= m) {
                break;
            }
        }
        drop(tx);
        Ok(())
    })
}

/// Accept errors that concern one connection or a passing shortage (file descriptors).
fn transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
}

#[cfg(test)]
mod tests;
