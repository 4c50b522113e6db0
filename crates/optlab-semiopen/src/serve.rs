//! The closed part as a local HTTP service: `POST /hidden` with `{"ids": [[u32, …], …]}`
//! answers `{"shape": [b, t, h], "bits": [u32, …]}`, the hidden states after the closed
//! layers as raw f32 bit patterns (so the client rebuilds them exactly). Nothing else about
//! the closed weights is served. One request per connection, handled in turn.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};

use crate::error::{bail, Context, Result, SemiopenError};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::combined::ClosedPart;

#[derive(Serialize, Deserialize)]
struct Request {
    ids: Vec<Vec<u32>>,
}

#[derive(Serialize, Deserialize)]
struct Response {
    shape: Vec<usize>,
    bits: Vec<u32>,
}

/// Read one HTTP request; returns (request line, body).
fn read_request(stream: &mut TcpStream) -> Result<(String, Vec<u8>)> {
    let net = || SemiopenError::net("client");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(net())?;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map_err(net())? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v
                    .trim()
                    .parse()
                    .map_err(|e| SemiopenError::Invalid(format!("bad Content-Length: {e}")))?;
            }
        }
    }
    if length > 64 << 20 {
        bail!("request body of {length} bytes is too large");
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).map_err(net())?;
    Ok((line, body))
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(SemiopenError::net("client"))?;
    stream.flush().map_err(SemiopenError::net("client"))
}

fn answer(closed: &dyn ClosedPart, vocab: usize, line: &str, body: &[u8]) -> Result<String> {
    if !line.starts_with("POST /hidden ") {
        bail!("only POST /hidden is served");
    }
    let req: Request = serde_json::from_slice(body)
        .map_err(SemiopenError::json("body is not {\"ids\": [[…]]}"))?;
    let t = req.ids.first().map_or(0, Vec::len);
    if t == 0 || req.ids.iter().any(|r| r.len() != t) {
        bail!("ids must be a non-empty rectangular batch");
    }
    if let Some(bad) = req.ids.iter().flatten().find(|&&i| i as usize >= vocab) {
        bail!("token id {bad} is outside the vocabulary of {vocab}");
    }
    let flat: Vec<u32> = req.ids.concat();
    let ids = Tensor::from_vec(flat, (req.ids.len(), t), &Device::Cpu)?;
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

/// Serve `closed` on `listener` for `max_requests` requests (forever when `None`). Bad
/// requests get a 400 with a one-line JSON error; the service keeps running.
pub fn serve(
    closed: &dyn ClosedPart,
    vocab: usize,
    listener: TcpListener,
    max_requests: Option<usize>,
) -> Result<()> {
    for (i, stream) in listener.incoming().enumerate() {
        let mut stream = stream.map_err(SemiopenError::net("listener"))?;
        let reply = read_request(&mut stream).and_then(|(l, b)| answer(closed, vocab, &l, &b));
        // A client that hangs up early costs its own answer, not the service.
        let _ = match reply {
            Ok(body) => respond(&mut stream, "200 OK", &body),
            Err(e) => respond(
                &mut stream,
                "400 Bad Request",
                &serde_json::json!({"error": format!("{e:#}")}).to_string(),
            ),
        };
        if max_requests.is_some_and(|m| i + 1 >= m) {
            break;
        }
    }
    Ok(())
}

/// A [`ClosedPart`] that asks a remote [`serve`] instance for the hidden states.
pub struct HttpClosedPart {
    addr: String,
    layers: usize,
}

impl HttpClosedPart {
    /// Client for the service at `addr` (`host:port`) holding `layers` closed layers.
    pub fn new(addr: &str, layers: usize) -> Self {
        Self {
            addr: addr.into(),
            layers,
        }
    }
}

impl ClosedPart for HttpClosedPart {
    fn hidden(&self, ids: &Tensor) -> Result<Tensor> {
        let request = Request {
            ids: ids.to_vec2::<u32>()?,
        };
        let body = serde_json::to_string(&request).map_err(SemiopenError::json("request"))?;
        let net = || SemiopenError::net(format!("closed-part service at {}", self.addr));
        let addr = self
            .addr
            .to_socket_addrs()
            .map_err(net())?
            .next()
            .with_context(|| format!("cannot resolve {}", self.addr))?;
        let mut s = TcpStream::connect(addr).map_err(net())?;
        write!(
            s,
            "POST /hidden HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .map_err(net())?;
        let mut raw = String::new();
        s.read_to_string(&mut raw).map_err(net())?;
        let (head, payload) = raw
            .split_once("\r\n\r\n")
            .context("malformed reply from the closed-part service")?;
        if !head.starts_with("HTTP/1.1 200") {
            bail!("closed-part service: {payload}");
        }
        let r: Response = serde_json::from_str(payload)
            .map_err(SemiopenError::json("closed-part service reply"))?;
        let values: Vec<f32> = r.bits.iter().map(|&b| f32::from_bits(b)).collect();
        Ok(Tensor::from_vec(values, r.shape, &Device::Cpu)?)
    }

    fn layers(&self) -> usize {
        self.layers
    }
}

/// What [`verify_split`] found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Closed layers.
    pub k: usize,
    /// Decoder layers.
    pub layers: usize,
    /// Whether the closed part answered over HTTP.
    pub remote: bool,
    /// Logits compared with the original (none without an original).
    pub logits_compared: Option<usize>,
    /// Logits whose f32 bits differ from the original's.
    pub logits_differing: Option<usize>,
    /// Largest absolute logit difference.
    pub max_abs_diff: Option<f32>,
}

/// Check a split folder against its manifest, run the recombined model (closed part
/// in-process, or the service at `remote`) on a fixed batch, and compare its logits with
/// `original`'s when given.
pub fn verify_split(
    split: &std::path::Path,
    remote: Option<&str>,
    original: Option<&optlab_core::models::Llama>,
    dev: &Device,
) -> Result<VerifyReport> {
    let (m, public) = crate::combined::load_public(split, dev)?;
    let vocab = m.config.vocab_size as u32;
    let ids: Vec<u32> = (0..64u32).map(|i| (i * 31 + 7) % vocab).collect();
    let ids = Tensor::from_vec(ids, (2, 32), dev)?;
    let logits = match remote {
        Some(addr) => public.logits(&HttpClosedPart::new(addr, m.closed_layers).hidden(&ids)?)?,
        None => crate::combined::load_split(split, dev)?.1.forward(&ids)?,
    };
    let mut r = VerifyReport {
        k: m.closed_layers,
        layers: m.num_layers,
        remote: remote.is_some(),
        logits_compared: None,
        logits_differing: None,
        max_abs_diff: None,
    };
    if let Some(o) = original {
        let (n, differ, max) = crate::combined::logit_diff(&logits, &o.forward(&ids)?)?;
        (r.logits_compared, r.logits_differing, r.max_abs_diff) =
            (Some(n), Some(differ), Some(max));
    }
    Ok(r)
}
