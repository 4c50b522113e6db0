//! The client of the service ([`HttpClosedPart`]) and [`verify_split`], which runs a split
//! model with its closed part in-process or behind a running service.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};

use candle_core::{Device, Tensor};
use serde::Serialize;

use super::{Request, Response};
use crate::combined::ClosedPart;
use crate::error::{bail, Context, Result, SemiopenError};

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
