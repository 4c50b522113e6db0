//! The closed part as a local HTTP service: `POST /hidden` with `{"ids": [[u32, …], …]}`
//! answers `{"shape": [b, t, h], "bits": [u32, …]}`, the hidden states after the closed
//! layers as raw f32 bit patterns (so the client rebuilds them exactly). Nothing else about
//! the closed weights is served.
//!
//! Served with hyper (HTTP/1.1) on a tokio runtime and built to survive hostile clients: at
//! most [`ServeConfig::connections`] connections are served at once (a slow or idle client
//! holds only its own until its deadline; connections beyond get 503), a deadline for the
//! head and the body of each request (408) and for taking the reply, a cap on the head
//! (431), and [`Limits`] on rows, tokens per row and tokens per request derived from free
//! memory, checked against `Content-Length` and the parsed ids before any tensor is built
//! (413). The model runs on [`ServeConfig::workers`] compute threads of their own, never on
//! the runtime's, so memory stays within `workers x Limits::budget_bytes`.
//!
//! * [`limits`]: [`Limits`] and how they are derived;
//! * [`client`]: [`HttpClosedPart`], the client, and [`verify_split`].

pub mod client;
mod conn;
mod http;
pub mod limits;

use std::net::TcpListener;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinSet;

use crate::combined::ClosedPart;
use crate::error::{Result, SemiopenError};
pub use client::{verify_split, HttpClosedPart, VerifyReport};
use http::{refuse_raw, Refusal};
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

/// A checked request for the compute threads, and where its answer goes.
struct Job {
    req: Request,
    shape: (usize, usize),
    reply: oneshot::Sender<std::result::Result<String, Refusal>>,
}

/// A compute thread: answer jobs until the service stops. A panic costs its request a 500.
fn compute_worker<C: ClosedPart>(closed: &C, jobs: &Mutex<Receiver<Job>>) {
    loop {
        let next = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(Job { req, shape, reply }) = next else {
            return;
        };
        let out =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compute(closed, req, shape)));
        let answer = match out {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(e @ SemiopenError::Invalid(_))) => Err(Refusal::new(400, format!("{e:#}"))),
            Ok(Err(e)) => Err(Refusal::new(500, format!("{e:#}"))),
            Err(_) => Err(Refusal::new(500, "internal error while answering")),
        };
        // The client may have gone meanwhile; its answer is dropped.
        let _ = reply.send(answer);
    }
}

/// Accept connections until `cfg.max_requests` (or a listener failure), then wait for the
/// ones still being served.
async fn accept_loop(
    listener: TcpListener,
    cfg: Arc<ServeConfig>,
    jobs: Sender<Job>,
) -> Result<()> {
    listener
        .set_nonblocking(true)
        .map_err(SemiopenError::net("listener"))?;
    let listener =
        tokio::net::TcpListener::from_std(listener).map_err(SemiopenError::net("listener"))?;
    let open = Arc::new(Semaphore::new(cfg.connections.max(1)));
    let mut tasks = JoinSet::new();
    let mut accepted = 0usize;
    while cfg.max_requests.is_none_or(|m| accepted < m) {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) if transient(&e) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => return Err(SemiopenError::net("listener")(e)),
        };
        accepted += 1;
        match open.clone().try_acquire_owned() {
            Ok(place) => tasks.spawn(conn::connection(stream, cfg.clone(), jobs.clone(), place)),
            Err(_) => tasks.spawn(async move {
                let mut stream = stream;
                let msg = "server busy: too many connections, retry later";
                let _ = refuse_raw(&mut stream, 503, msg, Duration::from_secs(1)).await;
            }),
        };
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
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
    // Two runtime threads are plenty: they only move bytes and parse JSON, the model runs
    // on the compute threads below.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("optlab-serve")
        .enable_io()
        .enable_time()
        .build()
        .map_err(SemiopenError::net("tokio runtime"))?;
    let (jobs, queue) = channel::<Job>();
    let queue = Mutex::new(queue);
    std::thread::scope(|s| {
        for _ in 0..cfg.workers.max(1) {
            s.spawn(|| compute_worker(closed, &queue));
        }
        let served = runtime.block_on(accept_loop(listener, Arc::new(cfg.clone()), jobs));
        // Connections still open (a failed listener) end here, then the compute threads.
        drop(runtime);
        served
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
