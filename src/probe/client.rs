//! The client probe: one HTTP/1.1 request at a time to a configured target,
//! never following redirects, with timings (connect, TLS, first byte), the
//! TLS facts (version, chain, host name match, days to expiry) and the
//! answer's status, Location, HSTS and (bounded) body.
//!
//! It sends requests only where it is told (the configured URLs, or a
//! `resolve` address keeping SNI and Host), accepts any certificate so that
//! a broken site can still be described (the verification result is
//! recorded, not enforced), uses the ring provider explicitly rather than a
//! process-wide default, and never changes anything on a host.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Uri;
use hyper::header::{HeaderName, HeaderValue};
use hyper_util::rt::TokioIo;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::ProbeError;

/// At most this much of an answer's body is read.
pub const MAX_BODY: usize = 256 * 1024;

/// A parsed absolute http(s) URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, ProbeError> {
        let bad = |why: &str| ProbeError::Url {
            url: url.to_string(),
            why: why.to_string(),
        };
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad("scheme must be http or https")),
        };
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let path = uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".into());
        Ok(Target {
            https,
            host,
            port,
            path,
        })
    }

    pub fn default_port(&self) -> bool {
        self.port == if self.https { 443 } else { 80 }
    }

    /// `host[:port]` as sent in Host.
    pub fn authority(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.default_port() {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }

    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            if self.https { "https" } else { "http" },
            self.authority(),
            self.path
        )
    }

    /// Where a request for this URL goes, for comparing two of them: a host name is
    /// case-insensitive (RFC 3986 section 6.2.2.1), so `Shop.example.com` and
    /// `shop.example.com` are one place. The path stays as written (it is case-sensitive).
    pub fn place(&self) -> String {
        let mut t = self.clone();
        t.host.make_ascii_lowercase();
        t.url()
    }

    /// Resolve a Location header against this URL (RFC 3986 section 5.2, as a browser does).
    pub fn join(&self, location: &str) -> Result<Target, ProbeError> {
        // a fragment stays with the browser: it is never part of the request
        let loc = location.trim();
        let loc = loc.split_once('#').map_or(loc, |(before, _)| before);
        // a scheme is case-insensitive (RFC 3986): "HTTPS://" is absolute too
        let lower = loc.get(..8).unwrap_or(loc).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Target::parse(loc);
        }
        if let Some(rest) = loc.strip_prefix("//") {
            let scheme = if self.https { "https" } else { "http" };
            return Target::parse(&format!("{scheme}://{rest}"));
        }
        let own = self.path.split('?').next().unwrap_or("/");
        let path = if loc.is_empty() {
            // the same document
            self.path.clone()
        } else if loc.starts_with('?') {
            // a query alone keeps the path
            format!("{own}{loc}")
        } else if loc.starts_with('/') {
            remove_dot_segments(loc)
        } else {
            let dir = &own[..own.rfind('/').map_or(0, |i| i + 1)];
            remove_dot_segments(&format!("{dir}{loc}"))
        };
        Ok(Target {
            path,
            ..self.clone()
        })
    }
}

/// A path with its `.` and `..` segments resolved (RFC 3986 section 5.2.4); the query stays.
fn remove_dot_segments(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." | ".." => {
                if *seg == ".." {
                    out.pop();
                }
                // "a/." and "a/.." name a directory: the path ends with '/'
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut p = format!("/{}", out.join("/"));
    if let Some(q) = query {
        p.push('?');
        p.push_str(q);
    }
    p
}

/// One certificate of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Unix time.
    pub not_after: i64,
    pub names: Vec<String>,
}

/// What the TLS handshake showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    pub version: String,
    pub chain: Vec<CertInfo>,
    /// `None` when the chain verified against the roots (and the name matched).
    pub verify_error: Option<String>,
    /// When the chain verified (whether or not the leaf names the host): the places in
    /// `chain` of the certificates on the path the verifier built, the leaf then the
    /// intermediates it went through (the trust anchor is the client's own, not one of these).
    /// A certificate sent along off this path (a root, an old cross-sign) is one no client
    /// that trusts these roots checks. `None` when the chain did not verify, or the path is
    /// not known.
    pub path: Option<Vec<usize>>,
    /// Does the leaf certificate name the host we asked for?
    pub name_matches: bool,
}

/// One request and its answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exchange {
    pub url: String,
    pub connected_to: Option<SocketAddr>,
    pub local_addr: Option<SocketAddr>,
    pub status: Option<u16>,
    pub location: Option<String>,
    pub hsts: Option<String>,
    pub connect: Option<Duration>,
    pub tls_time: Option<Duration>,
    pub first_byte: Option<Duration>,
    pub tls: Option<TlsInfo>,
    pub body: Vec<u8>,
    pub error: Option<String>,
    /// The headers this request sent (beyond Host and User-Agent).
    pub sent: Vec<(String, String)>,
    /// Stopped at the run's [`ClientSetup::deadline`] before it finished: what
    /// it has is not a verdict on the target, only that it was slow.
    pub cut: bool,
}

/// How to reach a target.
#[derive(Clone)]
pub struct ClientSetup {
    pub timeout: Duration,
    pub resolve: Option<IpAddr>,
    pub roots: Arc<RootCertStore>,
    /// When the whole run must be over (`opsdeck check` gives the probe a
    /// time of its own): a request still going then is stopped and marked
    /// [`Exchange::cut`], whatever is left of `timeout`.
    pub deadline: Option<tokio::time::Instant>,
}

impl ClientSetup {
    /// Web PKI roots plus the PEM certificates of `ca_file`.
    pub fn new(
        timeout: Duration,
        resolve: Option<IpAddr>,
        ca_file: Option<&Path>,
    ) -> Result<ClientSetup, ProbeError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = ca_file {
            // a plain file only: read on the runtime's thread, a FIFO there would hold it for
            // good (no deadline stops a blocked open), and /dev/zero would be read without end
            let pem = crate::plainfile::open(path)
                .and_then(|mut f| {
                    let mut pem = Vec::new();
                    std::io::Read::read_to_end(&mut f, &mut pem).map(|_| pem)
                })
                .map_err(|e| ProbeError::CaFile {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                })?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| ProbeError::CaFile {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                })?;
                roots.add(cert).map_err(|e| ProbeError::CaFile {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                })?;
            }
        }
        Ok(ClientSetup {
            timeout,
            resolve,
            roots: Arc::new(roots),
            deadline: None,
        })
    }
}

/// What the verifier's refusal means, in words, with its own name for it in brackets (for a
/// search). Its `Display` names an enum variant, or for the rest only "other error:
/// CaUsedAsEndEntity".
fn cert_error_words(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(c) = e else {
        return e.to_string();
    };
    let words = match c {
        C::UnknownIssuer => {
            "issued by a CA this host does not trust (an intermediate not served, or a private CA)"
        }
        C::Expired | C::ExpiredContext { .. } => "expired",
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "not valid yet (issued for later, or this host's clock is behind)"
        }
        C::Revoked => "revoked by its CA",
        C::NotValidForName | C::NotValidForNameContext { .. } => "does not name the host",
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "not issued for TLS servers (its extended key usage)"
        }
        C::BadSignature => "its signature does not check out",
        C::BadEncoding => "not a well-formed certificate",
        C::Other(o) if o.to_string().contains("CaUsedAsEndEntity") => {
            "a CA certificate served as the site's own"
        }
        _ => return e.to_string(),
    };
    let name = format!("{c:?}");
    let name = name.split([' ', '(', '{']).next().unwrap_or_default();
    let name = name.trim_end_matches("Context");
    let name = match c {
        C::Other(o) if o.to_string().contains("CaUsedAsEndEntity") => "CaUsedAsEndEntity",
        _ => name,
    };
    format!("{words} ({name})")
}

/// What the verifier made of the chain.
#[derive(Clone, Debug, Default)]
struct Verdict {
    /// Why it was refused, in words; `None` when it verified.
    error: Option<String>,
    /// When the chain verified (the host name aside): the intermediates the path went
    /// through (DER), the leaf and the trust anchor apart.
    path: Option<Vec<Vec<u8>>>,
}

/// Verifies with the Web PKI, records the outcome, and lets the handshake
/// go on either way (signatures are still checked).
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    /// The roots and algorithms `inner` verifies with, to build its path again.
    roots: Arc<RootCertStore>,
    algs: WebPkiSupportedAlgorithms,
    outcome: Outcome,
}

impl Recording {
    /// The intermediates on the path `inner` built, found again: rustls verifies with webpki
    /// but keeps the path to itself, and webpki builds the same path from the same roots,
    /// certificates and time (the trust anchors first, then the intermediates as sent).
    fn path(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Option<Vec<Vec<u8>>> {
        let leaf = webpki::EndEntityCert::try_from(end_entity).ok()?;
        let path = leaf
            .verify_for_usage(
                self.algs.all,
                &self.roots.roots,
                intermediates,
                now,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .ok()?;
        Some(
            path.intermediate_certificates()
                .map(|c| c.der().to_vec())
                .collect(),
        )
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let r = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        // the path is built apart from the host name: a chain that verifies for a certificate
        // of the wrong name still has one, and its expiry is still what clients check
        let verdict = Verdict {
            error: r.err().map(|e| cert_error_words(&e)),
            path: self.path(end_entity, intermediates, now),
        };
        if let Ok(mut o) = self.outcome.lock() {
            *o = verdict;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Where the recording verifier leaves its outcome.
type Outcome = Arc<Mutex<Verdict>>;

fn tls_config(roots: Arc<RootCertStore>) -> Result<(Arc<ClientConfig>, Outcome), ProbeError> {
    // The ring provider is named here rather than installed as the process
    // default: another provider may be linked into the same binary. rustls
    // 0.23.48 deprecates it for its lack of post-quantum key exchange, which
    // makes no difference to describing a site's certificate and TLS version;
    // the allow keeps a `cargo update` from failing the build.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .map_err(|e| ProbeError::Tls(e.to_string()))?;
    let outcome = Arc::new(Mutex::new(Verdict::default()));
    let verifier = Arc::new(Recording {
        inner,
        roots,
        algs: provider.signature_verification_algorithms,
        outcome: outcome.clone(),
    });
    let mut cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), outcome))
}

/// Does a certificate name (`*.example.com`, `example.com`, an IP) cover `host`?
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(suffix) = p.strip_prefix("*.") {
        match h.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest == suffix,
            None => false,
        }
    } else {
        p == h
    }
}

fn cert_info(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            match n {
                x509_parser::extensions::GeneralName::DNSName(d) => names.push(d.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(b) => match b.len() {
                    4 => names.push(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                    16 => names.push(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                    _ => {}
                },
                _ => {}
            }
        }
    }
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_after: cert.validity().not_after.timestamp(),
        names,
    })
}

async fn connect_addr(t: &Target, setup: &ClientSetup) -> Result<SocketAddr, String> {
    if let Some(ip) = setup.resolve {
        return Ok(SocketAddr::new(ip, t.port));
    }
    if let Ok(ip) = t.host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, t.port));
    }
    let mut addrs = tokio::net::lookup_host((t.host.as_str(), t.port))
        .await
        .map_err(|e| format!("resolve {}: {e}", t.host))?;
    addrs
        .next()
        .ok_or_else(|| format!("resolve {}: no address", t.host))
}

/// Send one GET to `t` with `extra` headers (a name may repeat: each is its
/// own line), without following redirects.
pub async fn fetch(t: &Target, extra: &[(&str, &str)], setup: &ClientSetup) -> Exchange {
    let mut ex = Exchange {
        url: t.url(),
        sent: extra
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    let own = tokio::time::timeout(setup.timeout, fetch_inner(t, extra, setup, &mut ex));
    let ran = match setup.deadline {
        Some(d) => tokio::time::timeout_at(d, own).await.ok(),
        None => Some(own.await),
    };
    match ran {
        Some(Ok(Ok(()))) => {}
        Some(Ok(Err(e))) => ex.error = Some(e),
        None => {
            ex.error = Some("no answer before the time given to the probe ran out".into());
            ex.cut = true;
        }
        Some(Err(_)) => ex.error = Some(format!("no answer within {} s", setup.timeout.as_secs())),
    }
    ex
}

async fn fetch_inner(
    t: &Target,
    extra: &[(&str, &str)],
    setup: &ClientSetup,
    ex: &mut Exchange,
) -> Result<(), String> {
    let addr = connect_addr(t, setup).await?;
    ex.connected_to = Some(addr);
    let start = Instant::now();
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    ex.connect = Some(start.elapsed());
    ex.local_addr = tcp.local_addr().ok();
    let _ = tcp.set_nodelay(true);
    if t.https {
        let (cfg, outcome) = tls_config(setup.roots.clone()).map_err(|e| e.to_string())?;
        let name = ServerName::try_from(t.host.clone())
            .map_err(|e| format!("server name {}: {e}", t.host))?;
        let tls_start = Instant::now();
        let tls = tokio_rustls::TlsConnector::from(cfg)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {addr}: {e}"))?;
        ex.tls_time = Some(tls_start.elapsed());
        let (_, conn) = tls.get_ref();
        let verdict = outcome.lock().map(|o| o.clone()).unwrap_or_default();
        let mut chain = Vec::new();
        let mut on_path = Vec::new();
        for (i, der) in conn
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let Some(info) = cert_info(der.as_ref()) else {
                continue;
            };
            let via = |p: &Vec<Vec<u8>>| p.iter().any(|d| d.as_slice() == der.as_ref());
            if i == 0 || verdict.path.as_ref().is_some_and(via) {
                on_path.push(chain.len());
            }
            chain.push(info);
        }
        let name_ok = chain
            .first()
            .is_some_and(|c| c.names.iter().any(|n| name_matches(n, &t.host)));
        ex.tls = Some(TlsInfo {
            version: conn
                .protocol_version()
                .map(|v| format!("{v:?}").replace("TLSv1_", "TLS 1."))
                .unwrap_or_else(|| "?".into()),
            chain,
            verify_error: verdict.error,
            path: verdict.path.map(|_| on_path),
            name_matches: name_ok,
        });
        exchange(tls, t, extra, ex).await
    } else {
        exchange(tcp, t, extra, ex).await
    }
}

async fn exchange<S>(
    io: S,
    t: &Target,
    extra: &[(&str, &str)],
    ex: &mut Exchange,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
    let conn_task = tokio::spawn(conn);
    let mut req = hyper::Request::get(t.path.as_str())
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("request: {e}"))?;
    let h = req.headers_mut();
    h.insert(
        hyper::header::HOST,
        HeaderValue::from_str(&t.authority()).map_err(|e| format!("Host: {e}"))?,
    );
    h.insert(
        hyper::header::USER_AGENT,
        HeaderValue::from_static("opsdeck-probe"),
    );
    for (n, v) in extra {
        let name = HeaderName::from_bytes(n.as_bytes()).map_err(|e| format!("header {n}: {e}"))?;
        let value = HeaderValue::from_str(v).map_err(|e| format!("header {n}: {e}"))?;
        h.append(name, value);
    }
    let sent_at = Instant::now();
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    ex.first_byte = Some(sent_at.elapsed());
    ex.status = Some(resp.status().as_u16());
    let text = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
    ex.location = resp.headers().get(hyper::header::LOCATION).map(text);
    ex.hsts = resp
        .headers()
        .get(hyper::header::STRICT_TRANSPORT_SECURITY)
        .map(text);
    // the first MAX_BODY bytes are kept and the rest is not read: a larger
    // page is an answer like any other, not an error
    let mut body = resp.into_body();
    while ex.body.len() < MAX_BODY {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame.map_err(|e| format!("body: {e}"))?.into_data() {
            let room = MAX_BODY - ex.body.len();
            ex.body.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    conn_task.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verifiers_refusal_is_said_in_words() {
        use rustls::CertificateError as C;
        let said = |c: C| cert_error_words(&rustls::Error::InvalidCertificate(c));
        assert_eq!(
            said(C::UnknownIssuer),
            "issued by a CA this host does not trust (an intermediate not served, or a private \
             CA) (UnknownIssuer)"
        );
        assert_eq!(
            said(C::NotValidYet),
            "not valid yet (issued for later, or this host's clock is behind) (NotValidYet)"
        );
        assert_eq!(
            said(C::Other(rustls::OtherError(Arc::new(
                std::io::Error::other("CaUsedAsEndEntity")
            )))),
            "a CA certificate served as the site's own (CaUsedAsEndEntity)"
        );
        // what has no words of its own keeps the verifier's
        assert_eq!(
            cert_error_words(&rustls::Error::DecryptError),
            rustls::Error::DecryptError.to_string()
        );
    }

    /// Location as a browser resolves it: a query alone keeps the path, a fragment is never
    /// requested, dot segments are resolved.
    #[test]
    fn a_location_resolves_as_a_browser_resolves_it() {
        let t = Target::parse("https://www.example.com/a/b?x=1").unwrap();
        let join = |l: &str| t.join(l).unwrap().url();
        assert_eq!(join("?page=2"), "https://www.example.com/a/b?page=2");
        assert_eq!(join("/login#form"), "https://www.example.com/login");
        assert_eq!(join("#top"), "https://www.example.com/a/b?x=1");
        assert_eq!(
            join("https://www.example.com/#top"),
            "https://www.example.com/"
        );
        assert_eq!(join("../c"), "https://www.example.com/c");
        assert_eq!(join("./c?y=2"), "https://www.example.com/a/c?y=2");
        assert_eq!(join("/a/./b/../d"), "https://www.example.com/a/d");
        assert_eq!(join(".."), "https://www.example.com/");
        assert_eq!(join("../../../c"), "https://www.example.com/c");
        assert_eq!(join("c/"), "https://www.example.com/a/c/");
        assert_eq!(join("/"), "https://www.example.com/");
    }

    #[test]
    fn urls_parse_and_join() {
        let t = Target::parse("https://www.example.com/a/b?x=1").unwrap();
        assert_eq!((t.https, t.port, t.path.as_str()), (true, 443, "/a/b?x=1"));
        assert_eq!(t.authority(), "www.example.com");
        assert_eq!(t.join("c").unwrap().url(), "https://www.example.com/a/c");
        assert_eq!(t.join("/z").unwrap().url(), "https://www.example.com/z");
        assert_eq!(
            t.join("http://other:8080/").unwrap().url(),
            "http://other:8080/"
        );
        assert_eq!(
            t.join("//cdn.example/x").unwrap().url(),
            "https://cdn.example/x"
        );
        // the scheme in any case is still a scheme, not a relative path
        assert_eq!(
            t.join("HTTPS://www.example.com/x").unwrap().url(),
            "https://www.example.com/x"
        );
        assert_eq!(
            t.join("Http://www.example.com/").unwrap().url(),
            "http://www.example.com/"
        );
        let t = Target::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(t.url(), "http://127.0.0.1:8080/");
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("not a url").is_err());
    }

    /// Serve one answer with a body of `len` bytes on a loopback port.
    async fn serve_once(len: usize) -> Target {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut head = [0u8; 1024];
            let _ = s.read(&mut head).await;
            let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
            let _ = s.write_all(answer.as_bytes()).await;
            let _ = s.write_all(&vec![b'x'; len]).await;
        });
        Target::parse(&format!("http://127.0.0.1:{port}/")).unwrap()
    }

    #[tokio::test]
    async fn a_page_larger_than_the_body_cap_is_an_answer_not_an_error() {
        let setup = ClientSetup::new(Duration::from_secs(20), None, None).unwrap();
        for len in [10, MAX_BODY, MAX_BODY + 1, 3 * MAX_BODY] {
            let t = serve_once(len).await;
            let ex = fetch(&t, &[], &setup).await;
            assert_eq!(ex.error, None, "{len} bytes");
            assert_eq!(ex.status, Some(200));
            assert_eq!(ex.body.len(), len.min(MAX_BODY));
        }
    }

    #[test]
    fn a_fifo_named_as_ca_file_is_said_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("ca.pem");
        crate::plainfile::testing::mkfifo(&fifo);
        let (tx, rx) = std::sync::mpsc::channel();
        let p = fifo.clone();
        std::thread::spawn(move || {
            let setup = ClientSetup::new(Duration::from_secs(20), None, Some(&p));
            tx.send(setup.err().map(|e| e.to_string()))
        });
        let e = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("a FIFO as ca_file still waited on after 5 s");
        assert_eq!(
            e.unwrap(),
            format!(
                "ca_file {}: is a FIFO (named pipe), not a plain file",
                fifo.display()
            )
        );
    }

    #[test]
    fn certificate_names() {
        assert!(name_matches("*.example.com", "www.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(name_matches("Example.COM", "example.com."));
        assert!(!name_matches("example.org", "example.com"));
    }
}
