//! The echo listener: a small HTTP/1 server the balancer is pointed at. For
//! every request it records the TCP peer, an optional PROXY protocol header
//! (only on a port configured for it), method, path, Host and every
//! forwarding header in arrival order, computes the client address with the
//! trusted-proxy CIDRs, and answers with a JSON echo of all of it.
//!
//! It is bounded on every axis a stranger controls: header bytes and count,
//! time to send the header, number of open connections, connection lifetime,
//! and the number of recent requests it remembers. It never reads a request
//! body, never serves files, never binds a non-loopback address unless the
//! configuration says so explicitly, and never touches a terminal.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::ProbeError;
use super::config::EchoConfig;
use super::forwarded::{self, ClientAddr, ForwardedElement, ForwardingInput, Node};
use super::headtap::{Head, HeadTap, Heads};
use super::proxyproto::read_proxy_header;
pub use super::proxyproto::{ProxyHeader, ProxyTlv, parse_proxy_header};

/// Headers that say something about forwarding, recorded in arrival order.
pub const FORWARDING_HEADERS: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-forwarded-host",
    "x-forwarded-server",
    "x-forwarded-ssl",
    "x-forwarded-scheme",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "via",
];

pub(crate) fn is_forwarding(name: &str) -> bool {
    FORWARDING_HEADERS.contains(&name) || name.starts_with("x-forwarded-")
}

/// How much of the order of the forwarding header lines is known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderOrder {
    /// As the lines arrived, across names (read from the raw head).
    Arrival,
    /// Lines of one name in order, names in first-seen order.
    #[default]
    PerName,
}

/// What the echo listener saw of one request: also the JSON it answers with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EchoReply {
    /// Seconds since the Unix epoch when the request arrived.
    pub at: i64,
    /// The TCP peer.
    pub peer: SocketAddr,
    /// The local address the request arrived on.
    pub local: SocketAddr,
    pub proxy_protocol: Option<ProxyHeader>,
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    /// Every forwarding header, lower-case name and value, in arrival order
    /// across names (a repeated header appears once per line); see
    /// `forwarding_order` for whether the order across names is known.
    pub forwarding: Vec<(String, String)>,
    /// Whether `forwarding` is in arrival order across names or only per
    /// name (when the raw head could not be followed).
    #[serde(default)]
    pub forwarding_order: HeaderOrder,
    /// The 1-based header line number of each `forwarding` entry (arrival
    /// order only; empty otherwise).
    #[serde(default)]
    pub forwarding_lines: Vec<usize>,
    /// All `X-Forwarded-For` lines as one list.
    pub xff: Vec<Node>,
    /// `Forwarded`, parsed, or why it could not be.
    pub forwarded: Vec<ForwardedElement>,
    pub forwarded_error: Option<String>,
    /// The client address as computed with the trusted proxies.
    pub client: ClientAddr,
    /// The client address an application that does not read `Forwarded` computes
    /// (X-Forwarded-For, else X-Real-IP), when `Forwarded` arrived and decided `client` (by its
    /// walk, or by being unreadable, which keeps the peer):
    /// the site this host runs reads X-Forwarded-For, and a `Forwarded` header passed
    /// through matters only to applications that read it.
    #[serde(default)]
    pub client_without_forwarded: Option<ClientAddr>,
    /// The client address as computed with `Forwarded` read as its sender meant it, where its
    /// one fault is an IPv6 address written bare (`for=2001:db8::1`): every reader of RFC 7239
    /// rejects that header whole, but what it carries is what the balancer does with a
    /// client's `Forwarded`. `None` where `Forwarded` has no such fault.
    #[serde(default)]
    pub client_as_meant: Option<ClientAddr>,
    /// Was the (effective) peer a trusted proxy, so that an application
    /// would believe its forwarding headers at all?
    #[serde(default)]
    pub peer_trusted: bool,
    /// How many header lines the request had in all.
    pub header_count: usize,
}

impl EchoReply {
    /// Values of one forwarding header, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.forwarding
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Counters and the most recent requests.
#[derive(Debug, Default)]
pub struct EchoLog {
    recent: Mutex<VecDeque<EchoReply>>,
    cap: usize,
    pub requests: AtomicU64,
    /// Connections closed at once because the connection cap was reached.
    pub refused: AtomicU64,
    /// Connections that ended in a protocol error (oversized or too many
    /// headers, header timeout, bad PROXY header).
    pub rejected: AtomicU64,
    /// The last of those: when, from where, and why.
    last_rejected: Mutex<Option<Rejection>>,
}

/// Why the listener last hung up on a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub at: i64,
    pub peer: SocketAddr,
    pub why: String,
}

/// A copy of the log for the pane.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EchoSnapshot {
    pub recent: Vec<EchoReply>,
    pub requests: u64,
    pub refused: u64,
    pub rejected: u64,
    pub last_rejected: Option<Rejection>,
}

impl EchoLog {
    pub fn new(cap: usize) -> EchoLog {
        EchoLog {
            cap: cap.max(1),
            ..Default::default()
        }
    }

    fn push(&self, r: EchoReply) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut q = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == self.cap {
            q.pop_front();
        }
        q.push_back(r);
    }

    fn reject(&self, peer: SocketAddr, why: String) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last_rejected.lock().unwrap_or_else(|e| e.into_inner());
        *last = Some(Rejection {
            at: chrono::Utc::now().timestamp(),
            peer,
            why: why.chars().take(200).collect(),
        });
    }

    pub fn len(&self) -> usize {
        self.recent.lock().map(|q| q.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn snapshot(&self) -> EchoSnapshot {
        let recent = self
            .recent
            .lock()
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default();
        EchoSnapshot {
            recent,
            requests: self.requests.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            last_rejected: self
                .last_rejected
                .lock()
                .map(|l| l.clone())
                .unwrap_or_default(),
        }
    }
}

/// A running echo listener; dropping it stops accepting.
#[derive(Debug)]
pub struct EchoServer {
    /// The plain HTTP address.
    pub addr: SocketAddr,
    /// The PROXY-protocol-only address, if configured.
    pub proxy_addr: Option<SocketAddr>,
    pub log: Arc<EchoLog>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Shared {
    cfg: EchoConfig,
    log: Arc<EchoLog>,
    conns: Arc<Semaphore>,
    /// The PROXY protocol port as bound (the configuration may say port 0).
    proxy_addr: Option<SocketAddr>,
}

/// Refuse a non-loopback address unless `allow_public` says so.
pub fn check_bind(addr: SocketAddr, allow_public: bool) -> Result<(), ProbeError> {
    if !addr.ip().is_loopback() && !allow_public {
        return Err(ProbeError::PublicBind { addr });
    }
    Ok(())
}

/// Bind and start the listener(s) described by `cfg`.
pub async fn start(cfg: &EchoConfig) -> Result<EchoServer, ProbeError> {
    let addr: SocketAddr = cfg.listen;
    check_bind(addr, cfg.allow_public)?;
    if let Some(pp) = cfg.proxy_protocol_listen {
        check_bind(pp, cfg.allow_public)?;
        if pp == addr && addr.port() != 0 {
            return Err(ProbeError::SamePort { addr });
        }
    }
    let log = Arc::new(EchoLog::new(cfg.recent));
    let plain = TcpListener::bind(addr)
        .await
        .map_err(|source| ProbeError::Bind { addr, source })?;
    let bound = plain
        .local_addr()
        .map_err(|source| ProbeError::Bind { addr, source })?;
    let mut proxy = None;
    if let Some(pp) = cfg.proxy_protocol_listen {
        let l = TcpListener::bind(pp)
            .await
            .map_err(|source| ProbeError::Bind { addr: pp, source })?;
        let a = l
            .local_addr()
            .map_err(|source| ProbeError::Bind { addr: pp, source })?;
        proxy = Some((l, a));
    }
    let proxy_addr = proxy.as_ref().map(|(_, a)| *a);
    let shared = Arc::new(Shared {
        cfg: cfg.clone(),
        log: log.clone(),
        conns: Arc::new(Semaphore::new(cfg.max_connections.max(1))),
        proxy_addr,
    });
    let mut tasks = vec![tokio::spawn(accept_loop(plain, shared.clone(), false))];
    if let Some((l, _)) = proxy {
        tasks.push(tokio::spawn(accept_loop(l, shared, true)));
    }
    Ok(EchoServer {
        addr: bound,
        proxy_addr,
        log,
        tasks,
    })
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, proxy_protocol: bool) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                // Out of file descriptors and the like: back off, do not spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = shared.conns.clone().try_acquire_owned() else {
            shared.log.refused.fetch_add(1, Ordering::Relaxed);
            drop(stream);
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let lifetime = Duration::from_secs(shared.cfg.connection_lifetime_secs.max(1));
            let done = tokio::time::timeout(
                lifetime,
                serve(stream, peer, shared.clone(), proxy_protocol),
            )
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "connection open longer than {} s",
                    lifetime.as_secs()
                ))
            });
            if let Err(why) = done {
                shared.log.reject(peer, why);
            }
            drop(permit);
        });
    }
}

async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    proxy_protocol: bool,
) -> Result<(), String> {
    let local = stream.local_addr().unwrap_or(peer);
    let timeout = Duration::from_secs(shared.cfg.header_timeout_secs.max(1));
    let pp = if proxy_protocol {
        // A port configured for PROXY protocol never accepts a request
        // without it.
        match tokio::time::timeout(timeout, read_proxy_header(&mut stream)).await {
            Ok(Ok(h)) => Some(h),
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(format!("no PROXY header within {} s", timeout.as_secs()));
            }
        }
    } else {
        // A balancer sending PROXY protocol to this port would get a bare
        // 400 from the HTTP parser; say instead what arrived and where it
        // belongs (a header split across packets is left to the parser).
        let mut first = [0u8; 12];
        let n = match tokio::time::timeout(timeout, stream.peek(&mut first)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("reading the request: {e}")),
            Err(_) => return Err(format!("no request within {} s", timeout.as_secs())),
        };
        if is_proxy_header_start(&first[..n]) {
            let to = match shared.proxy_addr {
                Some(a) => format!("point the balancer at {a} (proxy_protocol_listen)"),
                None => {
                    "set [probe.echo] proxy_protocol_listen and point the balancer there".into()
                }
            };
            let body = format!(
                "opsdeck echo: a PROXY protocol header arrived on the plain HTTP port {local}: {to}, or stop the balancer sending it (nginx stream: proxy_protocol off; HAProxy: no send-proxy)\n"
            );
            let resp = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let max = shared.cfg.max_header_bytes.max(8192);
            // Answer after the request: a balancer sends the PROXY header as
            // soon as it connects, before the client's request, and an
            // answer that comes first is lost with the connection.
            let _ = tokio::time::timeout(timeout, async {
                let _ = read_proxy_header(&mut stream).await;
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < max {
                    match stream.read(&mut buf).await {
                        Ok(n @ 1..) => head.extend_from_slice(&buf[..n]),
                        _ => break,
                    }
                }
                let _ = stream.write_all(resp.as_bytes()).await;
                let _ = stream.shutdown().await;
            })
            .await;
            return Err("PROXY protocol header on the plain HTTP port".into());
        }
        None
    };
    let _ = stream.set_nodelay(true);
    let max_buf = shared.cfg.max_header_bytes.max(8192);
    let max_headers = shared.cfg.max_headers.max(1);
    let heads = Heads::new(max_buf, max_headers);
    let io = TokioIo::new(HeadTap::new(stream, heads.clone()));
    let svc_shared = shared.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let head = heads.take(req.method().as_str(), req.uri()).ok();
        let reply = record(&req, peer, local, pp.clone(), head, &svc_shared.cfg);
        let body = serde_json::to_vec(&reply).unwrap_or_default();
        svc_shared.log.push(reply);
        let mut resp = Response::new(Full::new(Bytes::from(body)));
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        resp.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        async move { Ok::<_, Infallible>(resp) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .max_headers(max_headers)
        .max_buf_size(max_buf)
        .keep_alive(true);
    builder
        .serve_connection(io, service)
        .await
        .map_err(|e| format!("HTTP: {e}"))
}

/// Do these first bytes start a PROXY protocol header (v1 text or the v2
/// signature)?
fn is_proxy_header_start(b: &[u8]) -> bool {
    b.starts_with(b"PROXY ") || b.starts_with(b"\r\n\r\n\0\r\nQUIT\n")
}

/// Build the echo of one request (pure but for the clock). `head` is the
/// raw head as the tap saw it, for the order across header names.
pub fn record(
    req: &Request<Incoming>,
    peer: SocketAddr,
    local: SocketAddr,
    pp: Option<ProxyHeader>,
    head: Option<Head>,
    cfg: &EchoConfig,
) -> EchoReply {
    let headers = req.headers();
    let mut forwarding = Vec::new();
    let mut lines = Vec::new();
    let order = match head {
        Some(h) => {
            for (line, n, v) in h.forwarding {
                lines.push(line);
                forwarding.push((n, v));
            }
            HeaderOrder::Arrival
        }
        None => {
            // HeaderMap keeps the order of lines per name; names in
            // first-seen order. Repeated lines of one name stay separate.
            for name in headers.keys() {
                let n = name.as_str();
                if is_forwarding(n) {
                    for v in headers.get_all(name) {
                        forwarding.push((
                            n.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        ));
                    }
                }
            }
            HeaderOrder::PerName
        }
    };
    build_reply(
        ReplyParts {
            at: chrono::Utc::now().timestamp(),
            peer,
            local,
            pp,
            method: req.method().as_str().to_string(),
            path: req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            host: headers
                .get(HOST)
                .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned()),
            forwarding,
            forwarding_order: order,
            forwarding_lines: lines,
            header_count: headers.len(),
        },
        cfg,
    )
}

/// The raw facts of one request.
pub struct ReplyParts {
    pub at: i64,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub pp: Option<ProxyHeader>,
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    pub forwarding: Vec<(String, String)>,
    pub forwarding_order: HeaderOrder,
    pub forwarding_lines: Vec<usize>,
    pub header_count: usize,
}

/// Parse the forwarding headers and compute the client address.
pub fn build_reply(p: ReplyParts, cfg: &EchoConfig) -> EchoReply {
    let get = |name: &str| -> Vec<&str> {
        p.forwarding
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let input = ForwardingInput {
        forwarded: get("forwarded"),
        xff: get("x-forwarded-for"),
        x_real_ip: get("x-real-ip"),
    };
    let (xff, _) = forwarded::parse_xff(input.xff.iter().copied());
    let (fwd, fwd_err) = match forwarded::parse_forwarded(input.forwarded.iter().copied()) {
        Ok(v) => (v, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    // Behind PROXY protocol the advertised source stands in for the peer.
    let effective_peer =
        p.pp.as_ref()
            .and_then(|h| h.source)
            .map(|s| s.ip())
            .unwrap_or(p.peer.ip());
    let client = forwarded::client_address(effective_peer, &input, &cfg.trusted_proxies);
    let client_as_meant = fwd_err.as_ref().and_then(|_| {
        forwarded::client_address_as_meant(effective_peer, &input, &cfg.trusted_proxies)
    });
    // Forwarded decided the client when its walk gave it, or when it could not be read and the
    // peer was kept: X-Forwarded-For may still name one
    let forwarded_decided = !input.forwarded.is_empty()
        && forwarded::is_trusted(effective_peer, &cfg.trusted_proxies)
        && matches!(
            client.source,
            forwarded::ClientSource::Forwarded | forwarded::ClientSource::Peer
        );
    let client_without_forwarded = forwarded_decided.then(|| {
        let input = ForwardingInput {
            forwarded: Vec::new(),
            ..input
        };
        let mut c = forwarded::client_address(effective_peer, &input, &cfg.trusted_proxies);
        if input.xff.is_empty() && input.x_real_ip.is_empty() {
            // a forwarding header came, Forwarded, but not one of these
            c.reason = "trusted peer sent no X-Forwarded-For or X-Real-IP".into();
        }
        c
    });
    EchoReply {
        at: p.at,
        peer: p.peer,
        local: p.local,
        proxy_protocol: p.pp.clone(),
        method: p.method,
        path: p.path,
        host: p.host,
        forwarding: p.forwarding.clone(),
        forwarding_order: p.forwarding_order,
        forwarding_lines: p.forwarding_lines,
        xff,
        forwarded: fwd,
        forwarded_error: fwd_err,
        client,
        client_without_forwarded,
        client_as_meant,
        peer_trusted: forwarded::is_trusted(effective_peer, &cfg.trusted_proxies),
        header_count: p.header_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_uses_proxy_source_as_peer() {
        let cfg = EchoConfig {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            ..EchoConfig::default()
        };
        let parts = ReplyParts {
            at: 0,
            peer: "127.0.0.1:4000".parse().unwrap(),
            local: "127.0.0.1:8099".parse().unwrap(),
            pp: Some(ProxyHeader {
                version: 1,
                source: Some("198.51.100.7:1234".parse().unwrap()),
                destination: None,
                tlvs: vec![],
            }),
            method: "GET".into(),
            path: "/".into(),
            host: Some("h".into()),
            forwarding: vec![("x-forwarded-for".into(), "203.0.113.66".into())],
            forwarding_order: HeaderOrder::PerName,
            forwarding_lines: vec![],
            header_count: 2,
        };
        let r = build_reply(parts, &cfg);
        // 198.51.100.7 is not trusted: the forged XFF is ignored.
        assert_eq!(r.client.addr.to_string(), "198.51.100.7");
        assert_eq!(r.values("x-forwarded-for"), vec!["203.0.113.66"]);
    }

    #[test]
    fn public_bind_needs_consent() {
        assert!(check_bind("0.0.0.0:8099".parse().unwrap(), false).is_err());
        assert!(check_bind("0.0.0.0:8099".parse().unwrap(), true).is_ok());
        assert!(check_bind("[::1]:8099".parse().unwrap(), false).is_ok());
    }

    #[test]
    fn log_is_bounded() {
        let log = EchoLog::new(3);
        let cfg = EchoConfig::default();
        for i in 0..10 {
            log.push(build_reply(
                ReplyParts {
                    at: i,
                    peer: "127.0.0.1:1".parse().unwrap(),
                    local: "127.0.0.1:2".parse().unwrap(),
                    pp: None,
                    method: "GET".into(),
                    path: format!("/{i}"),
                    host: None,
                    forwarding: vec![],
                    forwarding_order: HeaderOrder::PerName,
                    forwarding_lines: vec![],
                    header_count: 0,
                },
                &cfg,
            ));
        }
        let s = log.snapshot();
        assert_eq!(s.recent.len(), 3);
        assert_eq!(s.requests, 10);
        assert_eq!(s.recent[2].path, "/9");
    }
}
