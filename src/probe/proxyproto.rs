//! PROXY protocol v1/v2 headers as the echo listener receives them on the
//! port configured for it: the addresses, and for v2 the TLVs a balancer
//! adds (ALPN, authority, SSL with its version / CN / cipher sub-TLVs,
//! unique id, network namespace, CRC32C). The `ppp` crate parses the header
//! and walks the TLV lists (the outer one and the SSL TLV's sub-TLVs); this
//! module gives the types their meaning, bounds what is kept, and verifies
//! a CRC32C TLV over the whole header as the protocol requires (with the
//! `crc` crate's Castagnoli table): a mismatch rejects the header.
//!
//! Everything here is bounded: the header is at most 16 + 65,535 bytes (the
//! protocol's own limit), at most [`MAX_TLVS`] TLVs and [`MAX_SUB_TLVS`]
//! sub-TLVs are kept, values are cut to [`MAX_VALUE`] characters. Values
//! come from strangers: they are kept as lossy text or hex and sanitised
//! when they enter the pane. Nothing here panics on any input.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// At most this many TLVs are kept from one header (the rest is said to be
/// left out).
pub const MAX_TLVS: usize = 32;
/// At most this many sub-TLVs of the SSL TLV are kept.
pub const MAX_SUB_TLVS: usize = 16;
/// A text value is cut to this many characters, a binary one to this many
/// bytes (shown as hex).
pub const MAX_VALUE: usize = 256;

const PP2_TYPE_ALPN: u8 = 0x01;
const PP2_TYPE_AUTHORITY: u8 = 0x02;
const PP2_TYPE_CRC32C: u8 = 0x03;
const PP2_TYPE_NOOP: u8 = 0x04;
const PP2_TYPE_UNIQUE_ID: u8 = 0x05;
const PP2_TYPE_SSL: u8 = 0x20;
const PP2_SUBTYPE_SSL_VERSION: u8 = 0x21;
const PP2_SUBTYPE_SSL_CN: u8 = 0x22;
const PP2_SUBTYPE_SSL_CIPHER: u8 = 0x23;
const PP2_SUBTYPE_SSL_SIG_ALG: u8 = 0x24;
const PP2_SUBTYPE_SSL_KEY_ALG: u8 = 0x25;
const PP2_TYPE_NETNS: u8 = 0x30;
const PP2_CLIENT_SSL: u8 = 0x01;
const PP2_CLIENT_CERT_CONN: u8 = 0x02;
const PP2_CLIENT_CERT_SESS: u8 = 0x04;

const CASTAGNOLI: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// A PROXY protocol header as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyHeader {
    pub version: u8,
    /// `None` for `UNKNOWN` / `LOCAL`.
    pub source: Option<SocketAddr>,
    pub destination: Option<SocketAddr>,
    /// v2 TLVs in the order received (empty for v1).
    #[serde(default)]
    pub tlvs: Vec<ProxyTlv>,
}

impl ProxyHeader {
    /// Did the balancer say the client spoke TLS to it (SSL TLV)?
    pub fn tls(&self) -> Option<bool> {
        self.tlvs.iter().find_map(|t| match t {
            ProxyTlv::Ssl(s) => Some(s.tls),
            _ => None,
        })
    }

    /// One line for lists: version, source and the TLVs in short.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "PROXY v{} source {}",
            self.version,
            self.source.map_or("unknown".into(), |s| s.to_string())
        );
        for t in &self.tlvs {
            if !matches!(t, ProxyTlv::Noop { .. }) {
                s.push_str("; ");
                s.push_str(&t.to_string());
            }
        }
        s
    }
}

/// One v2 TLV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProxyTlv {
    /// PP2_TYPE_ALPN: the protocol the client negotiated with the balancer.
    Alpn { value: String },
    /// PP2_TYPE_AUTHORITY: the host name the client asked for (SNI).
    Authority { value: String },
    /// PP2_TYPE_CRC32C, verified (a header whose checksum does not match is
    /// rejected, never recorded).
    Crc32c { value: u32 },
    /// PP2_TYPE_NOOP padding.
    Noop { len: usize },
    /// PP2_TYPE_UNIQUE_ID, as hex.
    UniqueId { hex: String },
    /// PP2_TYPE_SSL with its sub-TLVs.
    Ssl(SslInfo),
    /// PP2_TYPE_NETNS: the network namespace name.
    Netns { value: String },
    /// Any other type, as hex.
    Other { kind: u8, hex: String },
    /// The TLV list could not be read on from here (or was cut short).
    Invalid { reason: String },
}

impl std::fmt::Display for ProxyTlv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxyTlv::Alpn { value } => write!(f, "ALPN {value}"),
            ProxyTlv::Authority { value } => write!(f, "authority {value}"),
            ProxyTlv::Crc32c { value } => write!(f, "CRC32C {value:08x} ok"),
            ProxyTlv::Noop { len } => write!(f, "NOOP ({len} bytes)"),
            ProxyTlv::UniqueId { hex } => write!(f, "unique id {hex}"),
            ProxyTlv::Ssl(s) => write!(f, "{s}"),
            ProxyTlv::Netns { value } => write!(f, "netns {value}"),
            ProxyTlv::Other { kind, hex } => write!(f, "TLV 0x{kind:02x} {hex}"),
            ProxyTlv::Invalid { reason } => write!(f, "TLVs: {reason}"),
        }
    }
}

/// The SSL TLV: what the balancer knew of the client's TLS connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SslInfo {
    /// The client connected over TLS (PP2_CLIENT_SSL).
    pub tls: bool,
    /// The client sent a certificate on this connection / in the session.
    pub cert_conn: bool,
    pub cert_sess: bool,
    /// 0 when the client certificate was verified (or none was needed).
    pub verify: u32,
    pub version: Option<String>,
    pub cn: Option<String>,
    pub cipher: Option<String>,
    pub sig_alg: Option<String>,
    pub key_alg: Option<String>,
    /// Sub-TLVs of other types, as (type, hex).
    #[serde(default)]
    pub other: Vec<(u8, String)>,
    /// Why the sub-TLV list could not be read to its end.
    #[serde(default)]
    pub error: Option<String>,
}

impl std::fmt::Display for SslInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.tls { "TLS" } else { "no TLS" })?;
        if let Some(v) = &self.version {
            write!(f, " {v}")?;
        }
        if let Some(c) = &self.cipher {
            write!(f, " {c}")?;
        }
        if let Some(cn) = &self.cn {
            write!(f, ", client CN={cn}")?;
        }
        if self.cert_conn || self.cert_sess {
            if self.verify == 0 {
                f.write_str(" (certificate verified)")?;
            } else {
                write!(f, " (certificate NOT verified: {})", self.verify)?;
            }
        }
        if let Some(e) = &self.error {
            write!(f, " [{e}]")?;
        }
        Ok(())
    }
}

fn text(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(&v[..v.len().min(MAX_VALUE * 4)]);
    let mut out: String = s.chars().take(MAX_VALUE).collect();
    if s.chars().nth(MAX_VALUE).is_some() {
        out.push('…');
    }
    out
}

fn hex(v: &[u8]) -> String {
    let mut s: String = v
        .iter()
        .take(MAX_VALUE / 2)
        .map(|b| format!("{b:02x}"))
        .collect();
    if v.len() > MAX_VALUE / 2 {
        s.push('…');
    }
    s
}

/// Why a TLV list could not be walked to its end.
fn tlv_error(e: ppp::v2::ParseError) -> String {
    match e {
        ppp::v2::ParseError::InvalidTLV(kind, len) => {
            format!("type 0x{kind:02x} says {len} bytes, fewer are left")
        }
        ppp::v2::ParseError::Leftovers(_) => "stray bytes after the last TLV".into(),
        e => e.to_string(),
    }
}

/// The SSL TLV's value: client flags, verify result, sub-TLVs.
pub fn parse_ssl(v: &[u8]) -> SslInfo {
    let Some(head) = v.get(..5) else {
        return SslInfo {
            error: Some(format!("SSL TLV of {} bytes, at least 5 needed", v.len())),
            ..SslInfo::default()
        };
    };
    let client = head[0];
    let mut s = SslInfo {
        tls: client & PP2_CLIENT_SSL != 0,
        cert_conn: client & PP2_CLIENT_CERT_CONN != 0,
        cert_sess: client & PP2_CLIENT_CERT_SESS != 0,
        verify: u32::from_be_bytes([head[1], head[2], head[3], head[4]]),
        ..SslInfo::default()
    };
    // The sub-TLVs use the outer list's framing: ppp walks them too.
    for (k, item) in ppp::v2::TypeLengthValues::from(&v[5..]).enumerate() {
        if k == MAX_SUB_TLVS {
            s.error = Some(format!(
                "more than {MAX_SUB_TLVS} sub-TLVs; the rest left out"
            ));
            break;
        }
        let t = match item {
            Ok(t) => t,
            Err(e) => {
                s.error = Some(tlv_error(e));
                break;
            }
        };
        let value: &[u8] = &t.value;
        let slot = match t.kind {
            PP2_SUBTYPE_SSL_VERSION => &mut s.version,
            PP2_SUBTYPE_SSL_CN => &mut s.cn,
            PP2_SUBTYPE_SSL_CIPHER => &mut s.cipher,
            PP2_SUBTYPE_SSL_SIG_ALG => &mut s.sig_alg,
            PP2_SUBTYPE_SSL_KEY_ALG => &mut s.key_alg,
            kind => {
                s.other.push((kind, hex(value)));
                continue;
            }
        };
        *slot = Some(text(value));
    }
    s
}

/// The TLVs of a whole v2 header (`header` is all of it, `tlv_bytes` its
/// TLV section, a suffix of it). Err when a CRC32C TLV is wrong.
fn parse_tlvs(header: &[u8], tlv_bytes: &[u8]) -> Result<Vec<ProxyTlv>, String> {
    let base = header.len() - tlv_bytes.len();
    let mut out = Vec::new();
    let mut pos = 0usize;
    // ppp walks the outer list; the positions are needed for the checksum.
    let mut iter = ppp::v2::TypeLengthValues::from(tlv_bytes);
    for item in iter.by_ref() {
        let t = match item {
            Ok(t) => t,
            Err(e) => {
                out.push(ProxyTlv::Invalid {
                    reason: tlv_error(e),
                });
                break;
            }
        };
        let value: &[u8] = &t.value;
        let value_at = base + pos + 3;
        pos += 3 + value.len();
        if t.kind == PP2_TYPE_CRC32C {
            // Checked even past MAX_TLVS: a wrong checksum is never shown.
            let Ok(sum) = <[u8; 4]>::try_from(value) else {
                return Err(format!("CRC32C TLV of {} bytes, 4 expected", value.len()));
            };
            let want = u32::from_be_bytes(sum);
            let mut copy = header.to_vec();
            copy[value_at..value_at + 4].fill(0);
            let got = CASTAGNOLI.checksum(&copy);
            if got != want {
                return Err(format!(
                    "CRC32C mismatch: header says {want:08x}, computed {got:08x}"
                ));
            }
            if out.len() < MAX_TLVS {
                out.push(ProxyTlv::Crc32c { value: want });
            }
            continue;
        }
        if out.len() == MAX_TLVS {
            out.push(ProxyTlv::Invalid {
                reason: format!("more than {MAX_TLVS} TLVs; the rest left out"),
            });
            continue;
        }
        if out.len() > MAX_TLVS {
            continue;
        }
        out.push(match t.kind {
            PP2_TYPE_ALPN => ProxyTlv::Alpn { value: text(value) },
            PP2_TYPE_AUTHORITY => ProxyTlv::Authority { value: text(value) },
            PP2_TYPE_NOOP => ProxyTlv::Noop { len: value.len() },
            PP2_TYPE_UNIQUE_ID => ProxyTlv::UniqueId { hex: hex(value) },
            PP2_TYPE_SSL => ProxyTlv::Ssl(parse_ssl(value)),
            PP2_TYPE_NETNS => ProxyTlv::Netns { value: text(value) },
            kind => ProxyTlv::Other {
                kind,
                hex: hex(value),
            },
        });
    }
    Ok(out)
}

fn socket_pair<A: Into<std::net::IpAddr>>(
    sa: A,
    sp: u16,
    da: A,
    dp: u16,
) -> (Option<SocketAddr>, Option<SocketAddr>) {
    (
        Some(SocketAddr::new(sa.into(), sp)),
        Some(SocketAddr::new(da.into(), dp)),
    )
}

/// Parse a complete PROXY protocol v1 or v2 header, or say why not.
pub fn parse_proxy(buf: &[u8]) -> Result<ProxyHeader, String> {
    use ppp::HeaderResult;
    match HeaderResult::parse(buf) {
        HeaderResult::V1(Ok(h)) => {
            let (source, destination) = match h.addresses {
                ppp::v1::Addresses::Tcp4(a) => socket_pair(
                    a.source_address,
                    a.source_port,
                    a.destination_address,
                    a.destination_port,
                ),
                ppp::v1::Addresses::Tcp6(a) => socket_pair(
                    a.source_address,
                    a.source_port,
                    a.destination_address,
                    a.destination_port,
                ),
                ppp::v1::Addresses::Unknown => (None, None),
            };
            Ok(ProxyHeader {
                version: 1,
                source,
                destination,
                tlvs: Vec::new(),
            })
        }
        HeaderResult::V2(Ok(h)) => {
            let local = matches!(h.command, ppp::v2::Command::Local);
            let (source, destination) = match h.addresses {
                ppp::v2::Addresses::IPv4(a) if !local => socket_pair(
                    a.source_address,
                    a.source_port,
                    a.destination_address,
                    a.destination_port,
                ),
                ppp::v2::Addresses::IPv6(a) if !local => socket_pair(
                    a.source_address,
                    a.source_port,
                    a.destination_address,
                    a.destination_port,
                ),
                _ => (None, None),
            };
            let tlvs =
                parse_tlvs(h.as_bytes(), h.tlv_bytes()).map_err(|e| format!("PROXY v2: {e}"))?;
            Ok(ProxyHeader {
                version: 2,
                source,
                destination,
                tlvs,
            })
        }
        HeaderResult::V1(Err(e)) => Err(format!("PROXY v1: {e}")),
        HeaderResult::V2(Err(e)) => Err(format!("PROXY v2: {e}")),
    }
}

/// Parse a complete PROXY protocol v1 or v2 header.
pub fn parse_proxy_header(buf: &[u8]) -> Option<ProxyHeader> {
    parse_proxy(buf).ok()
}

/// Read a PROXY protocol header byte-exactly (nothing of the request after
/// it is consumed), bounded by the protocol's own limits: 107 bytes for v1,
/// 16 + 65,535 for v2.
pub async fn read_proxy_header(stream: &mut TcpStream) -> Result<ProxyHeader, String> {
    const V2_SIG: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
    let io = |e: std::io::Error| format!("reading the PROXY header: {e}");
    let mut buf = vec![0u8; 12];
    stream.read_exact(&mut buf).await.map_err(io)?;
    if buf.as_slice() == V2_SIG {
        let mut rest = [0u8; 4];
        stream.read_exact(&mut rest).await.map_err(io)?;
        buf.extend_from_slice(&rest);
        let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).await.map_err(io)?;
        buf.extend_from_slice(&body);
    } else if buf.starts_with(b"PROXY ") {
        while !buf.ends_with(b"\r\n") {
            if buf.len() >= 107 {
                return Err("PROXY v1 line longer than 107 bytes".into());
            }
            let b = stream.read_u8().await.map_err(io)?;
            buf.push(b);
        }
    } else {
        return Err("no PROXY header".into());
    }
    parse_proxy(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIG: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";

    /// A v2 PROXY/TCP4 header 198.51.100.7:51234 -> 10.0.0.1:443 with these
    /// TLV bytes; `crc` appends a CRC32C TLV computed over the result.
    fn v2(tlvs: &[u8], crc: bool) -> Vec<u8> {
        let extra = if crc { 7 } else { 0 };
        let len = 12 + tlvs.len() + extra;
        let mut h = SIG.to_vec();
        h.extend_from_slice(&[0x21, 0x11]);
        h.extend_from_slice(&(len as u16).to_be_bytes());
        h.extend_from_slice(&[198, 51, 100, 7, 10, 0, 0, 1, 0xc8, 0x22, 1, 0xbb]);
        h.extend_from_slice(tlvs);
        if crc {
            h.extend_from_slice(&[PP2_TYPE_CRC32C, 0, 4, 0, 0, 0, 0]);
            let sum = CASTAGNOLI.checksum(&h);
            let n = h.len();
            h[n - 4..].copy_from_slice(&sum.to_be_bytes());
        }
        h
    }

    fn tlv(kind: u8, v: &[u8]) -> Vec<u8> {
        let mut t = vec![kind];
        t.extend_from_slice(&(v.len() as u16).to_be_bytes());
        t.extend_from_slice(v);
        t
    }

    fn ssl_tlv() -> Vec<u8> {
        let mut v = vec![PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN, 0, 0, 0, 0];
        v.extend(tlv(PP2_SUBTYPE_SSL_VERSION, b"TLSv1.3"));
        v.extend(tlv(PP2_SUBTYPE_SSL_CN, b"alice.example.com"));
        v.extend(tlv(PP2_SUBTYPE_SSL_CIPHER, b"TLS_AES_128_GCM_SHA256"));
        v.extend(tlv(0x2f, &[1, 2]));
        tlv(PP2_TYPE_SSL, &v)
    }

    #[test]
    fn castagnoli_check_value() {
        // The catalogue's check value, and a vector computed with another
        // implementation (python crcmod, crc-32c) over bytes 0..32.
        assert_eq!(CASTAGNOLI.checksum(b"123456789"), 0xe306_9283);
        let bytes: Vec<u8> = (0u8..32).collect();
        assert_eq!(CASTAGNOLI.checksum(&bytes), 0x46dd_794e);
    }

    #[test]
    fn v2_tlvs_are_read_in_order() {
        let mut t = tlv(PP2_TYPE_ALPN, b"h2");
        t.extend(tlv(PP2_TYPE_AUTHORITY, b"www.example.com"));
        t.extend(ssl_tlv());
        t.extend(tlv(PP2_TYPE_UNIQUE_ID, &[0xde, 0xad, 0xbe, 0xef]));
        t.extend(tlv(PP2_TYPE_NETNS, b"blue"));
        t.extend(tlv(PP2_TYPE_NOOP, &[0; 3]));
        t.extend(tlv(0xe0, b"\x01\xff"));
        let h = parse_proxy(&v2(&t, true)).unwrap();
        assert_eq!(h.source, Some("198.51.100.7:51234".parse().unwrap()));
        assert_eq!(h.tlvs.len(), 8, "{:?}", h.tlvs);
        assert_eq!(h.tlvs[0], ProxyTlv::Alpn { value: "h2".into() });
        assert_eq!(
            h.tlvs[1],
            ProxyTlv::Authority {
                value: "www.example.com".into()
            }
        );
        let ProxyTlv::Ssl(s) = &h.tlvs[2] else {
            panic!("{:?}", h.tlvs[2])
        };
        assert!(s.tls && s.cert_conn && !s.cert_sess);
        assert_eq!(s.verify, 0);
        assert_eq!(s.version.as_deref(), Some("TLSv1.3"));
        assert_eq!(s.cn.as_deref(), Some("alice.example.com"));
        assert_eq!(s.cipher.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(s.other, vec![(0x2f, "0102".to_string())]);
        assert_eq!(s.error, None);
        assert_eq!(
            h.tlvs[3],
            ProxyTlv::UniqueId {
                hex: "deadbeef".into()
            }
        );
        assert_eq!(
            h.tlvs[4],
            ProxyTlv::Netns {
                value: "blue".into()
            }
        );
        assert_eq!(h.tlvs[5], ProxyTlv::Noop { len: 3 });
        assert_eq!(
            h.tlvs[6],
            ProxyTlv::Other {
                kind: 0xe0,
                hex: "01ff".into()
            }
        );
        assert!(matches!(h.tlvs[7], ProxyTlv::Crc32c { .. }));
        assert_eq!(h.tls(), Some(true));
        assert_eq!(
            h.summary(),
            "PROXY v2 source 198.51.100.7:51234; ALPN h2; authority www.example.com; \
             TLS TLSv1.3 TLS_AES_128_GCM_SHA256, client CN=alice.example.com \
             (certificate verified); unique id deadbeef; netns blue; TLV 0xe0 01ff; \
             CRC32C "
                .to_string()
                + &format!(
                    "{:08x} ok",
                    match h.tlvs[7] {
                        ProxyTlv::Crc32c { value } => value,
                        _ => 0,
                    }
                )
        );
    }

    #[test]
    fn wrong_checksum_rejects_the_header() {
        let mut h = v2(&tlv(PP2_TYPE_ALPN, b"h2"), true);
        assert!(parse_proxy(&h).is_ok());
        // One bit of the ALPN changed after the checksum was made.
        h[28 + 3] ^= 1;
        let err = parse_proxy(&h).unwrap_err();
        assert!(err.contains("CRC32C mismatch"), "{err}");
        // A checksum TLV of the wrong size.
        let h = v2(&tlv(PP2_TYPE_CRC32C, &[1, 2, 3]), false);
        assert!(parse_proxy(&h).unwrap_err().contains("4 expected"));
        // No checksum TLV: nothing to verify.
        assert!(parse_proxy(&v2(&tlv(PP2_TYPE_ALPN, b"h2"), false)).is_ok());
    }

    #[test]
    fn broken_tlv_lists_are_reported_not_fatal() {
        // The last TLV claims more bytes than there are.
        let mut t = tlv(PP2_TYPE_ALPN, b"h2");
        t.extend_from_slice(&[PP2_TYPE_AUTHORITY, 0, 50, b'x']);
        let h = parse_proxy(&v2(&t, false)).unwrap();
        assert_eq!(h.tlvs[0], ProxyTlv::Alpn { value: "h2".into() });
        assert!(
            matches!(h.tlvs[1], ProxyTlv::Invalid { .. }),
            "{:?}",
            h.tlvs
        );
        // An SSL TLV too short for its fixed part, and one whose sub-TLV
        // runs past its end.
        let s = parse_ssl(&[1, 0, 0]);
        assert!(s.error.unwrap().contains("at least 5"));
        let s = parse_ssl(&[1, 0, 0, 0, 0, PP2_SUBTYPE_SSL_CN, 0, 9, b'a']);
        assert!(s.tls);
        assert_eq!(s.cn, None);
        assert!(s.error.unwrap().contains("says 9 bytes"));
        // Too many TLVs: bounded, and said so.
        let mut t = Vec::new();
        for _ in 0..100 {
            t.extend(tlv(PP2_TYPE_NOOP, &[]));
        }
        let h = parse_proxy(&v2(&t, true)).unwrap();
        assert_eq!(h.tlvs.len(), MAX_TLVS + 1);
        assert!(matches!(h.tlvs[MAX_TLVS], ProxyTlv::Invalid { .. }));
        // Long values are cut.
        let h = parse_proxy(&v2(&tlv(PP2_TYPE_AUTHORITY, &[b'a'; 1000]), false)).unwrap();
        let ProxyTlv::Authority { value } = &h.tlvs[0] else {
            panic!()
        };
        assert_eq!(value.chars().count(), MAX_VALUE + 1);
    }

    #[test]
    fn v1_and_v2_addresses() {
        let h = parse_proxy_header(b"PROXY TCP4 198.51.100.7 10.0.0.1 51234 443\r\n").unwrap();
        assert_eq!(h.version, 1);
        assert_eq!(h.source, Some("198.51.100.7:51234".parse().unwrap()));
        assert_eq!(h.destination, Some("10.0.0.1:443".parse().unwrap()));
        assert!(h.tlvs.is_empty());
        let h = parse_proxy_header(b"PROXY UNKNOWN\r\n").unwrap();
        assert_eq!(h.source, None);
        let h = parse_proxy_header(&v2(&[], false)).unwrap();
        assert_eq!(h.version, 2);
        assert_eq!(h.source, Some("198.51.100.7:51234".parse().unwrap()));
        assert_eq!(h.tls(), None);
        assert_eq!(parse_proxy_header(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(parse_proxy_header(b"PROXY TCP4 1.2.3\r\n"), None);
    }

    proptest! {
        // Arbitrary TLV sections (with and without a valid checksum) never
        // panic and stay within the bounds.
        #[test]
        fn hostile_tlvs_stay_bounded(tlvs in proptest::collection::vec(any::<u8>(), 0..2000), crc in any::<bool>()) {
            if let Ok(h) = parse_proxy(&v2(&tlvs, crc)) {
                prop_assert!(h.tlvs.len() <= MAX_TLVS + 1);
                for t in &h.tlvs {
                    prop_assert!(t.to_string().chars().count() <= 4 * MAX_VALUE + 200);
                    if let ProxyTlv::Ssl(s) = t {
                        prop_assert!(s.other.len() <= MAX_SUB_TLVS);
                    }
                }
            }
        }

        // Well-formed TLVs of any type and value come back in order.
        #[test]
        fn wellformed_tlvs_round_trip(items in proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..20)) {
            let items: Vec<_> = items.into_iter().filter(|(k, _)| *k != PP2_TYPE_CRC32C).collect();
            let mut t = Vec::new();
            for (k, v) in &items {
                t.extend(tlv(*k, v));
            }
            let h = parse_proxy(&v2(&t, true)).unwrap();
            prop_assert_eq!(h.tlvs.len(), items.len() + 1);
            for ((k, v), got) in items.iter().zip(&h.tlvs) {
                let ok = match (k, got) {
                    (&PP2_TYPE_ALPN, ProxyTlv::Alpn { value }) => *value == text(v),
                    (&PP2_TYPE_AUTHORITY, ProxyTlv::Authority { value }) => *value == text(v),
                    (&PP2_TYPE_NOOP, ProxyTlv::Noop { len }) => *len == v.len(),
                    (&PP2_TYPE_UNIQUE_ID, ProxyTlv::UniqueId { hex: h }) => *h == hex(v),
                    (&PP2_TYPE_SSL, ProxyTlv::Ssl(_)) => true,
                    (&PP2_TYPE_NETNS, ProxyTlv::Netns { value }) => *value == text(v),
                    (k, ProxyTlv::Other { kind, hex: h }) => kind == k && *h == hex(v),
                    _ => false,
                };
                prop_assert!(ok, "type 0x{:02x} came back as {:?}", k, got);
            }
        }

        // Any single flipped bit in a checksummed header is caught (or the
        // header no longer parses at all).
        #[test]
        fn any_flipped_bit_is_caught(bit in 0usize..(8 * 60)) {
            let mut t = tlv(PP2_TYPE_ALPN, b"http/1.1");
            t.extend(tlv(PP2_TYPE_AUTHORITY, b"www.example.com"));
            let mut h = v2(&t, true);
            let bit = bit % (8 * h.len());
            h[bit / 8] ^= 1 << (bit % 8);
            if let Ok(p) = parse_proxy(&h) {
                // Only a flip in the length or the checksum's own header
                // may still parse: then the list must be reported broken.
                prop_assert!(
                    p.tlvs.iter().any(|t| matches!(t, ProxyTlv::Invalid { .. }))
                        || !p.tlvs.iter().any(|t| matches!(t, ProxyTlv::Crc32c { .. })),
                    "flipped bit {} went unnoticed: {:?}", bit, p
                );
            }
        }
    }
}
