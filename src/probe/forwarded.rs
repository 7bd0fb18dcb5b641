//! Forwarding headers as an application behind a balancer must read them:
//! `X-Forwarded-For` (every line, in order), RFC 7239 `Forwarded` (quoted
//! IPv6, ports, `unknown` and obfuscated identifiers), and the client
//! address computed from them with the trusted-proxy CIDRs, walking right to
//! left to the first untrusted address.
//!
//! Pure functions over header values: this module knows nothing of sockets,
//! files or terminals, and must never panic or allocate without bound on any
//! input (the values come from strangers). Anything it cannot parse is
//! reported as such, and the client address then falls back to the peer.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// At most this many hops are taken from one header (the rest is ignored
/// and said so): a header with 10,000 commas must not cost 10,000 entries.
pub const MAX_HOPS: usize = 64;

/// One node of a forwarding chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Node {
    /// An IP address (a port, if any, is dropped).
    Ip(IpAddr),
    /// RFC 7239 `unknown`.
    Unknown,
    /// RFC 7239 obfuscated identifier (`_hidden`).
    Obfuscated(String),
    /// Something that is not a node at all.
    Invalid(String),
}

impl Node {
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Node::Ip(ip) => Some(*ip),
            _ => None,
        }
    }
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Ip(ip) => write!(f, "{ip}"),
            Node::Unknown => f.write_str("unknown"),
            Node::Obfuscated(s) => f.write_str(s),
            Node::Invalid(s) => write!(f, "invalid({s})"),
        }
    }
}

/// Parse one X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
/// `[2001:db8::1]:443`, `unknown`.
pub fn parse_xff_entry(s: &str) -> Node {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Node::Ip(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Node::Ip(sa.ip());
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        && let Ok(ip) = inner.parse::<IpAddr>()
    {
        return Node::Ip(ip);
    }
    if s.eq_ignore_ascii_case("unknown") {
        return Node::Unknown;
    }
    Node::Invalid(s.chars().take(64).collect())
}

/// All X-Forwarded-For lines, in order, as one list (RFC 9110 list rules:
/// several lines are the same as one line joined with commas; empty entries
/// are ignored). Returns the hops and whether entries beyond [`MAX_HOPS`]
/// were dropped.
pub fn parse_xff<'a>(lines: impl IntoIterator<Item = &'a str>) -> (Vec<Node>, bool) {
    let mut out = Vec::new();
    let mut cut = false;
    for line in lines {
        for part in line.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if out.len() == MAX_HOPS {
                cut = true;
                continue;
            }
            out.push(parse_xff_entry(part));
        }
    }
    (out, cut)
}

/// One element of an RFC 7239 `Forwarded` header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedElement {
    pub r#for: Option<Node>,
    /// The port or obfuscated port of `for`, if given.
    pub for_port: Option<String>,
    pub by: Option<Node>,
    pub host: Option<String>,
    pub proto: Option<String>,
    /// Other parameters, as given.
    pub extensions: Vec<(String, String)>,
}

/// Why a `Forwarded` header could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForwardedError {
    #[error("unterminated quoted string")]
    Unterminated,
    #[error("parameter without '=': {0:?}")]
    NoEquals(String),
    #[error("parameter name is not a token: {0:?}")]
    BadName(String),
    #[error("value is neither a token nor a quoted string: {0:?}")]
    BadValue(String),
    #[error("parameter {0:?} given twice in one element")]
    Duplicate(String),
    #[error("more than {MAX_HOPS} elements")]
    TooMany,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Split `s` at `sep` outside quoted strings.
fn split_outside_quotes(s: &str, sep: char) -> Result<Vec<&str>, ForwardedError> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quote = false;
            }
        } else if c == '"' {
            in_quote = true;
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    if in_quote {
        return Err(ForwardedError::Unterminated);
    }
    parts.push(&s[start..]);
    Ok(parts)
}

fn parse_value(v: &str) -> Result<String, ForwardedError> {
    if let Some(rest) = v.strip_prefix('"') {
        let Some(inner) = rest.strip_suffix('"') else {
            return Err(ForwardedError::BadValue(v.chars().take(64).collect()));
        };
        let mut out = String::new();
        let mut esc = false;
        for c in inner.chars() {
            if esc {
                out.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                return Err(ForwardedError::BadValue(v.chars().take(64).collect()));
            } else {
                out.push(c);
            }
        }
        Ok(out)
    } else if !v.is_empty() && v.chars().all(is_tchar) {
        Ok(v.to_string())
    } else {
        Err(ForwardedError::BadValue(v.chars().take(64).collect()))
    }
}

fn is_obf(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
}

/// Parse an RFC 7239 node (`192.0.2.43`, `"[2001:db8::1]:4711"`, `unknown`,
/// `_hidden`, `"_hidden:_port"`), returning the node and its port.
pub fn parse_node(v: &str) -> (Node, Option<String>) {
    let (name, port) = if let Some(rest) = v.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, tail)) => {
                let node = match ip.parse::<std::net::Ipv6Addr>() {
                    Ok(ip6) => Node::Ip(IpAddr::V6(ip6)),
                    Err(_) => return (Node::Invalid(v.chars().take(64).collect()), None),
                };
                return match tail {
                    "" => (node, None),
                    t => match t.strip_prefix(':') {
                        Some(p) if valid_port(p) => (node, Some(p.to_string())),
                        _ => (Node::Invalid(v.chars().take(64).collect()), None),
                    },
                };
            }
            None => return (Node::Invalid(v.chars().take(64).collect()), None),
        }
    } else {
        match v.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (v, None),
        }
    };
    if let Some(p) = port
        && !valid_port(p)
    {
        return (Node::Invalid(v.chars().take(64).collect()), None);
    }
    let node = if name.eq_ignore_ascii_case("unknown") {
        Node::Unknown
    } else if is_obf(name) {
        Node::Obfuscated(name.to_string())
    } else {
        match name.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => Node::Ip(IpAddr::V4(ip)),
            // IPv6 must be bracketed (and then quoted) in RFC 7239.
            Err(_) => Node::Invalid(v.chars().take(64).collect()),
        }
    };
    (node, port.map(str::to_string))
}

fn valid_port(p: &str) -> bool {
    (!p.is_empty()
        && p.len() <= 5
        && p.chars().all(|c| c.is_ascii_digit())
        && p.parse::<u32>().is_ok_and(|n| n <= 65535))
        || is_obf(p)
}

/// Parse every `Forwarded` line, in order, as one list.
pub fn parse_forwarded<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ForwardedElement>, ForwardedError> {
    parse_forwarded_with(lines, false).map(|(els, _)| els)
}

/// `Forwarded` as its sender meant it, where its one fault is an IPv6 node written bare in
/// `for=` or `by=` (`for=2001:db8::1`, as nginx's `for=$remote_addr` writes an IPv6 client;
/// RFC 7239 wants `for="[2001:db8::1]"`). Every reader of RFC 7239 rejects such a header
/// whole ([`parse_forwarded`] does too), but it still says what the balancer sends, and sends
/// nowhere else. `None` when the header holds no bare IPv6 node or has another fault.
pub fn parse_forwarded_as_meant<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Option<Vec<ForwardedElement>> {
    match parse_forwarded_with(lines, true) {
        Ok((els, true)) => Some(els),
        _ => None,
    }
}

/// [`parse_forwarded`], taking a bare IPv6 node in `for=` or `by=` where `bare_ipv6`; also says
/// whether one was taken.
fn parse_forwarded_with<'a>(
    lines: impl IntoIterator<Item = &'a str>,
    bare_ipv6: bool,
) -> Result<(Vec<ForwardedElement>, bool), ForwardedError> {
    let mut bare_taken = false;
    let mut out = Vec::new();
    for line in lines {
        for element in split_outside_quotes(line, ',')? {
            let element = element.trim();
            if element.is_empty() {
                continue;
            }
            if out.len() == MAX_HOPS {
                return Err(ForwardedError::TooMany);
            }
            let mut el = ForwardedElement::default();
            for pair in split_outside_quotes(element, ';')? {
                let pair = pair.trim();
                if pair.is_empty() {
                    continue;
                }
                let Some((name, value)) = pair.split_once('=') else {
                    return Err(ForwardedError::NoEquals(pair.chars().take(64).collect()));
                };
                let name = name.trim();
                if name.is_empty() || !name.chars().all(is_tchar) {
                    return Err(ForwardedError::BadName(name.chars().take(64).collect()));
                }
                let lname = name.to_ascii_lowercase();
                let value = match value.trim() {
                    v if bare_ipv6
                        && (lname == "for" || lname == "by")
                        && v.parse::<std::net::Ipv6Addr>().is_ok() =>
                    {
                        bare_taken = true;
                        format!("[{v}]")
                    }
                    v => parse_value(v)?,
                };
                let dup = || ForwardedError::Duplicate(lname.clone());
                match lname.as_str() {
                    "for" => {
                        if el.r#for.is_some() {
                            return Err(dup());
                        }
                        let (n, p) = parse_node(&value);
                        el.r#for = Some(n);
                        el.for_port = p;
                    }
                    "by" => {
                        if el.by.is_some() {
                            return Err(dup());
                        }
                        el.by = Some(parse_node(&value).0);
                    }
                    "host" => {
                        if el.host.is_some() {
                            return Err(dup());
                        }
                        el.host = Some(value);
                    }
                    "proto" => {
                        if el.proto.is_some() {
                            return Err(dup());
                        }
                        el.proto = Some(value);
                    }
                    _ => el.extensions.push((name.to_string(), value)),
                }
            }
            out.push(el);
        }
    }
    Ok((out, bare_taken))
}

/// Which header the client address was taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// The TCP peer (or the PROXY protocol source), headers ignored.
    Peer,
    Forwarded,
    XForwardedFor,
    XRealIp,
}

/// The client address an application would compute, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAddr {
    pub addr: IpAddr,
    pub source: ClientSource,
    pub reason: String,
}

/// The forwarding headers of one request, as they arrived.
#[derive(Clone, Debug, Default)]
pub struct ForwardingInput<'a> {
    pub forwarded: Vec<&'a str>,
    pub xff: Vec<&'a str>,
    pub x_real_ip: Vec<&'a str>,
}

/// Is `ip` (IPv4-mapped IPv6 counted as IPv4) inside one of `nets`?
pub fn is_trusted(ip: IpAddr, nets: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    nets.iter().any(|n| n.contains(&ip))
}

/// Walk `chain` right to left from a trusted `peer`: the first untrusted
/// address is the client. A node that is not an address stops the walk and
/// the peer is kept (nothing left of it can be believed).
fn walk(
    peer: IpAddr,
    chain: &[Node],
    nets: &[IpNet],
    source: ClientSource,
    name: &str,
) -> ClientAddr {
    for node in chain.iter().rev() {
        match node {
            Node::Ip(ip) if is_trusted(*ip, nets) => continue,
            Node::Ip(ip) => {
                return ClientAddr {
                    addr: *ip,
                    source,
                    reason: format!("first untrusted address in {name}, right to left"),
                };
            }
            other => {
                return ClientAddr {
                    addr: peer,
                    source: ClientSource::Peer,
                    reason: format!(
                        "{name} holds {other} where an address was expected: peer kept"
                    ),
                };
            }
        }
    }
    match chain.first() {
        Some(Node::Ip(ip)) => ClientAddr {
            addr: *ip,
            source,
            reason: format!("every address in {name} is trusted: leftmost taken"),
        },
        _ => ClientAddr {
            addr: peer,
            source: ClientSource::Peer,
            reason: format!("{name} is empty: peer kept"),
        },
    }
}

/// The client address of a request: the peer unless it is a trusted proxy;
/// then `Forwarded` if present, else `X-Forwarded-For`, else `X-Real-IP`,
/// walked right to left to the first untrusted address. Malformed headers
/// fall back to the peer.
pub fn client_address(peer: IpAddr, input: &ForwardingInput<'_>, nets: &[IpNet]) -> ClientAddr {
    let forwarded =
        (!input.forwarded.is_empty()).then(|| parse_forwarded(input.forwarded.iter().copied()));
    client_from(peer, input, forwarded, "Forwarded", nets)
}

/// [`client_address`] with `Forwarded` read as its sender meant it
/// ([`parse_forwarded_as_meant`]): `None` unless its one fault is an IPv6 node written bare.
pub fn client_address_as_meant(
    peer: IpAddr,
    input: &ForwardingInput<'_>,
    nets: &[IpNet],
) -> Option<ClientAddr> {
    let els = parse_forwarded_as_meant(input.forwarded.iter().copied())?;
    Some(client_from(
        peer,
        input,
        Some(Ok(els)),
        "Forwarded (its bare IPv6 bracketed)",
        nets,
    ))
}

/// [`client_address`] with `Forwarded` read already (`None` when none came), called `name`.
fn client_from(
    peer: IpAddr,
    input: &ForwardingInput<'_>,
    forwarded: Option<Result<Vec<ForwardedElement>, ForwardedError>>,
    name: &str,
    nets: &[IpNet],
) -> ClientAddr {
    if !is_trusted(peer, nets) {
        return ClientAddr {
            addr: peer,
            source: ClientSource::Peer,
            reason: "peer is not a trusted proxy: forwarding headers ignored".into(),
        };
    }
    // A Forwarded header that names no client at all (`proto=https` alone) leaves the client
    // to the other headers, as apps that read both take it.
    let names_no_client = |els: &[ForwardedElement]| els.iter().all(|e| e.r#for.is_none());
    if let Some(forwarded) = forwarded {
        return match forwarded {
            Ok(els) if names_no_client(&els) => {
                let input = ForwardingInput {
                    forwarded: Vec::new(),
                    ..input.clone()
                };
                client_address(peer, &input, nets)
            }
            Ok(els) => {
                let chain: Vec<Node> = els
                    .into_iter()
                    .map(|e| e.r#for.unwrap_or(Node::Invalid("(no for=)".into())))
                    .collect();
                walk(peer, &chain, nets, ClientSource::Forwarded, name)
            }
            Err(e) => ClientAddr {
                addr: peer,
                source: ClientSource::Peer,
                reason: format!("{name} is malformed ({e}): peer kept"),
            },
        };
    }
    if !input.xff.is_empty() {
        let (chain, cut) = parse_xff(input.xff.iter().copied());
        if cut {
            return ClientAddr {
                addr: peer,
                source: ClientSource::Peer,
                reason: format!("X-Forwarded-For has more than {MAX_HOPS} entries: peer kept"),
            };
        }
        return walk(
            peer,
            &chain,
            nets,
            ClientSource::XForwardedFor,
            "X-Forwarded-For",
        );
    }
    if let [one] = input.x_real_ip.as_slice() {
        return match parse_xff_entry(one) {
            Node::Ip(ip) => ClientAddr {
                addr: ip,
                source: ClientSource::XRealIp,
                reason: "X-Real-IP from a trusted peer".into(),
            },
            other => ClientAddr {
                addr: peer,
                source: ClientSource::Peer,
                reason: format!("X-Real-IP holds {other}: peer kept"),
            },
        };
    }
    if input.x_real_ip.len() > 1 {
        return ClientAddr {
            addr: peer,
            source: ClientSource::Peer,
            reason: "X-Real-IP given more than once: peer kept".into(),
        };
    }
    ClientAddr {
        addr: peer,
        source: ClientSource::Peer,
        reason: "trusted peer sent no forwarding header".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn xff_entries_table() {
        let table: &[(&str, Node)] = &[
            ("192.0.2.43", Node::Ip(ip("192.0.2.43"))),
            (" 192.0.2.43 ", Node::Ip(ip("192.0.2.43"))),
            ("192.0.2.43:5678", Node::Ip(ip("192.0.2.43"))),
            ("2001:db8:cafe::17", Node::Ip(ip("2001:db8:cafe::17"))),
            ("[2001:db8:cafe::17]", Node::Ip(ip("2001:db8:cafe::17"))),
            (
                "[2001:db8:cafe::17]:4711",
                Node::Ip(ip("2001:db8:cafe::17")),
            ),
            ("unknown", Node::Unknown),
            ("example.com", Node::Invalid("example.com".into())),
            ("999.1.1.1", Node::Invalid("999.1.1.1".into())),
        ];
        for (input, want) in table {
            assert_eq!(&parse_xff_entry(input), want, "{input}");
        }
    }

    #[test]
    fn xff_lines_are_one_list_in_order() {
        let (hops, cut) = parse_xff(["203.0.113.66, 10.0.0.1", "198.51.100.7,,", " 10.0.0.2"]);
        assert!(!cut);
        assert_eq!(
            hops,
            vec![
                Node::Ip(ip("203.0.113.66")),
                Node::Ip(ip("10.0.0.1")),
                Node::Ip(ip("198.51.100.7")),
                Node::Ip(ip("10.0.0.2")),
            ]
        );
    }

    #[test]
    fn xff_is_capped() {
        let line = vec!["10.0.0.1"; 1000].join(",");
        let (hops, cut) = parse_xff([line.as_str()]);
        assert_eq!(hops.len(), MAX_HOPS);
        assert!(cut);
    }

    // The examples of RFC 7239 section 4 and 7.
    #[test]
    fn rfc7239_examples() {
        let els = parse_forwarded([r#"for="_gazonk""#]).unwrap();
        assert_eq!(els[0].r#for, Some(Node::Obfuscated("_gazonk".into())));

        let els = parse_forwarded([r#"For="[2001:db8:cafe::17]:4711""#]).unwrap();
        assert_eq!(els[0].r#for, Some(Node::Ip(ip("2001:db8:cafe::17"))));
        assert_eq!(els[0].for_port.as_deref(), Some("4711"));

        let els = parse_forwarded(["for=192.0.2.60;proto=http;by=203.0.113.43"]).unwrap();
        assert_eq!(els[0].r#for, Some(Node::Ip(ip("192.0.2.60"))));
        assert_eq!(els[0].proto.as_deref(), Some("http"));
        assert_eq!(els[0].by, Some(Node::Ip(ip("203.0.113.43"))));

        let els = parse_forwarded(["for=192.0.2.43, for=198.51.100.17"]).unwrap();
        assert_eq!(els.len(), 2);
        assert_eq!(els[1].r#for, Some(Node::Ip(ip("198.51.100.17"))));

        let els =
            parse_forwarded([r#"for=unknown, for="_hidden:_port";host="example.com""#]).unwrap();
        assert_eq!(els[0].r#for, Some(Node::Unknown));
        assert_eq!(els[1].r#for, Some(Node::Obfuscated("_hidden".into())));
        assert_eq!(els[1].for_port.as_deref(), Some("_port"));
        assert_eq!(els[1].host.as_deref(), Some("example.com"));
    }

    #[test]
    fn forwarded_quoted_comma_and_escape() {
        let els = parse_forwarded([r#"for=192.0.2.1;ext="a,b\"c;d", for=192.0.2.2"#]).unwrap();
        assert_eq!(els.len(), 2);
        assert_eq!(
            els[0].extensions,
            vec![("ext".to_string(), "a,b\"c;d".to_string())]
        );
    }

    #[test]
    fn forwarded_malformed_table() {
        let bad: &[(&str, ForwardedError)] = &[
            (r#"for="192.0.2.1"#, ForwardedError::Unterminated),
            ("for", ForwardedError::NoEquals("for".into())),
            ("f r=1", ForwardedError::BadName("f r".into())),
            ("for=a b", ForwardedError::BadValue("a b".into())),
            (
                "for=1.2.3.4;for=5.6.7.8",
                ForwardedError::Duplicate("for".into()),
            ),
        ];
        for (input, want) in bad {
            assert_eq!(parse_forwarded([*input]).unwrap_err(), *want, "{input}");
        }
        // Unquoted IPv6 is not a node (it holds ':' and must be bracketed).
        let els = parse_forwarded([r#"for="2001:db8::1""#]).unwrap();
        assert!(matches!(els[0].r#for, Some(Node::Invalid(_))));
    }

    /// A bare IPv6 node is a fault to the parser, but read as meant where it is the only one.
    #[test]
    fn forwarded_as_meant_takes_a_bare_ipv6_node_alone() {
        let bare = "for=2001:db8::1;by=2001:db8::2;proto=https";
        assert!(parse_forwarded([bare]).is_err());
        let els = parse_forwarded_as_meant([bare]).unwrap();
        assert_eq!(els.len(), 1);
        assert_eq!(els[0].r#for, Some(Node::Ip(ip("2001:db8::1"))));
        assert_eq!(els[0].by, Some(Node::Ip(ip("2001:db8::2"))));
        assert_eq!(els[0].proto.as_deref(), Some("https"));
        // over several lines and elements
        let els = parse_forwarded_as_meant(["for=192.0.2.1", "for=2001:db8::1"]).unwrap();
        assert_eq!(els[1].r#for, Some(Node::Ip(ip("2001:db8::1"))));
        // well-formed, or another fault (beside a bare node or not), or a bare one elsewhere
        for input in [
            r#"for="[2001:db8::1]";proto=https"#,
            "for=2001:db8::1;proto=\"https",
            "for=a b",
            "host=2001:db8::1",
            "for=2001:db8::1:443:x",
        ] {
            assert_eq!(parse_forwarded_as_meant([input]), None, "{input}");
        }
    }

    /// The client from Forwarded read as meant: walked as the header written right would be,
    /// and said so; nothing where Forwarded has no bare IPv6 node.
    #[test]
    fn client_as_meant_walks_the_bare_ipv6_node() {
        let n = nets(&["127.0.0.0/8", "2001:db8:ffff::/48"]);
        let input = ForwardingInput {
            forwarded: vec!["for=203.0.113.66;proto=http, for=2001:db8::1"],
            xff: vec!["198.51.100.7"],
            ..Default::default()
        };
        let strict = client_address(ip("127.0.0.3"), &input, &n);
        assert_eq!(strict.source, ClientSource::Peer, "{strict:?}");
        let c = client_address_as_meant(ip("127.0.0.3"), &input, &n).unwrap();
        assert_eq!(
            (c.addr, c.source),
            (ip("2001:db8::1"), ClientSource::Forwarded)
        );
        assert_eq!(
            c.reason,
            "first untrusted address in Forwarded (its bare IPv6 bracketed), right to left"
        );
        // a trusted bare node is walked past, to the element before it
        let input = ForwardingInput {
            forwarded: vec!["for=203.0.113.66, for=2001:db8:ffff::1"],
            ..Default::default()
        };
        let c = client_address_as_meant(ip("127.0.0.3"), &input, &n).unwrap();
        assert_eq!(c.addr, ip("203.0.113.66"));
        // an untrusted peer: its own address, headers ignored
        let c = client_address_as_meant(ip("192.0.2.1"), &input, &n).unwrap();
        assert_eq!((c.addr, c.source), (ip("192.0.2.1"), ClientSource::Peer));
        for forwarded in [r#"for="[2001:db8::1]""#, "for=192.0.2.9", "for=\"oops"] {
            let input = ForwardingInput {
                forwarded: vec![forwarded],
                ..Default::default()
            };
            assert_eq!(client_address_as_meant(ip("127.0.0.3"), &input, &n), None);
        }
        let none = ForwardingInput::default();
        assert_eq!(client_address_as_meant(ip("127.0.0.3"), &none, &n), None);
    }

    #[test]
    fn client_from_untrusted_peer_ignores_headers() {
        let input = ForwardingInput {
            xff: vec!["203.0.113.66"],
            ..Default::default()
        };
        let c = client_address(ip("198.51.100.9"), &input, &nets(&["10.0.0.0/8"]));
        assert_eq!(c.addr, ip("198.51.100.9"));
        assert_eq!(c.source, ClientSource::Peer);
    }

    #[test]
    fn client_walks_right_to_left() {
        // forged first entry, then the real client, then an internal hop
        let input = ForwardingInput {
            xff: vec!["203.0.113.66, 198.51.100.7", "10.0.0.5"],
            ..Default::default()
        };
        let c = client_address(ip("10.0.0.1"), &input, &nets(&["10.0.0.0/8"]));
        assert_eq!(c.addr, ip("198.51.100.7"));
        assert_eq!(c.source, ClientSource::XForwardedFor);
    }

    #[test]
    fn forwarded_wins_over_xff() {
        let input = ForwardingInput {
            forwarded: vec![r#"for="[2001:db8::7]";proto=https"#],
            xff: vec!["203.0.113.66"],
            ..Default::default()
        };
        let c = client_address(ip("127.0.0.1"), &input, &nets(&["127.0.0.0/8"]));
        assert_eq!(c.addr, ip("2001:db8::7"));
        assert_eq!(c.source, ClientSource::Forwarded);
    }

    #[test]
    fn malformed_falls_back_to_peer() {
        let peer = ip("127.0.0.1");
        let n = nets(&["127.0.0.0/8"]);
        for input in [
            ForwardingInput {
                forwarded: vec!["for=\"oops"],
                ..Default::default()
            },
            ForwardingInput {
                xff: vec!["not-an-ip"],
                ..Default::default()
            },
            ForwardingInput {
                xff: vec!["198.51.100.7, _obf"],
                ..Default::default()
            },
            ForwardingInput {
                x_real_ip: vec!["x"],
                ..Default::default()
            },
            ForwardingInput {
                x_real_ip: vec!["1.1.1.1", "2.2.2.2"],
                ..Default::default()
            },
        ] {
            let c = client_address(peer, &input, &n);
            assert_eq!(c.addr, peer, "{input:?}");
            assert_eq!(c.source, ClientSource::Peer, "{input:?}");
        }
    }

    /// A balancer that says only the scheme in Forwarded (`proto=https`, no `for=`) names no
    /// client there: the client comes from X-Forwarded-For, as apps that read both take it.
    #[test]
    fn a_forwarded_header_without_for_leaves_the_client_to_xff() {
        let n = nets(&["127.0.0.0/8"]);
        let input = ForwardingInput {
            forwarded: vec!["proto=https;host=www.example.com"],
            xff: vec!["198.51.100.7"],
            ..Default::default()
        };
        let c = client_address(ip("127.0.0.1"), &input, &n);
        assert_eq!(c.addr, ip("198.51.100.7"), "{c:?}");
        assert_eq!(c.source, ClientSource::XForwardedFor);
        // one element without for= among others that have it breaks the chain: peer kept
        let input = ForwardingInput {
            forwarded: vec!["for=198.51.100.7, proto=https"],
            xff: vec!["198.51.100.7"],
            ..Default::default()
        };
        let c = client_address(ip("127.0.0.1"), &input, &n);
        assert_eq!(c.source, ClientSource::Peer, "{c:?}");
        // and with no other header, the peer
        let input = ForwardingInput {
            forwarded: vec!["proto=https"],
            ..Default::default()
        };
        let c = client_address(ip("127.0.0.1"), &input, &n);
        assert_eq!((c.addr, c.source), (ip("127.0.0.1"), ClientSource::Peer));
    }

    #[test]
    fn mapped_v4_peer_is_trusted() {
        let input = ForwardingInput {
            xff: vec!["198.51.100.7"],
            ..Default::default()
        };
        let c = client_address(ip("::ffff:127.0.0.1"), &input, &nets(&["127.0.0.0/8"]));
        assert_eq!(c.addr, ip("198.51.100.7"));
    }

    /// An address as a proxy writes it in X-Forwarded-For: IPv4 or IPv6, with or without a
    /// port (IPv6 then in brackets).
    fn xff_address() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
            (any::<[u8; 4]>(), any::<u16>())
                .prop_map(|(a, p)| format!("{}:{p}", std::net::Ipv4Addr::from(a))),
            any::<[u16; 8]>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
            (any::<[u16; 8]>(), any::<u16>())
                .prop_map(|(a, p)| format!("[{}]:{p}", std::net::Ipv6Addr::from(a))),
        ]
    }

    /// X-Forwarded-For values: lists of addresses and junk, or junk alone. Junk alone almost
    /// never holds an address, so it alone would leave the header branch untried.
    fn xff_like() -> impl Strategy<Value = String> {
        let junk = r"[0-9., :a-f\[\]]{0,12}";
        prop_oneof![
            r"[0-9., :a-f\[\]]{0,60}",
            proptest::collection::vec(prop_oneof![3 => xff_address(), 1 => junk], 1..5)
                .prop_map(|v| v.join(", ")),
        ]
    }

    /// Forwarded values: elements naming addresses (quoted when they must be), other
    /// parameters and junk, or junk alone.
    fn forwarded_like() -> impl Strategy<Value = String> {
        let element = prop_oneof![
            3 => xff_address().prop_map(|a| if a.contains(':') {
                format!("for=\"{a}\"")
            } else {
                format!("for={a}")
            }),
            1 => xff_address().prop_map(|a| format!("for=\"{a}\";proto=https")),
            1 => r#"[a-z0-9=;,"\[\]:_. ]{0,20}"#,
        ];
        prop_oneof![
            r#"[a-z0-9=;,"\[\]:_. ]{0,60}"#,
            proptest::collection::vec(element, 1..4).prop_map(|v| v.join(", ")),
        ]
    }

    proptest! {
        #[test]
        fn forwarded_never_panics(s in any::<String>()) {
            let _ = parse_forwarded([s.as_str()]);
        }

        #[test]
        fn xff_never_panics_and_is_bounded(s in any::<String>()) {
            let (hops, _) = parse_xff([s.as_str()]);
            prop_assert!(hops.len() <= MAX_HOPS);
        }

        #[test]
        fn forwarded_header_like_never_panics(s in r#"[a-zA-Z0-9=;,"\[\]:_. \\-]{0,80}"#) {
            if let Ok(els) = parse_forwarded([s.as_str()]) {
                prop_assert!(els.len() <= MAX_HOPS);
            }
        }

        #[test]
        fn client_is_peer_or_in_headers(
            xff in xff_like(),
            fwd in proptest::option::of(forwarded_like()),
            peer_trusted in any::<bool>(),
        ) {
            let peer = if peer_trusted { ip("10.1.1.1") } else { ip("192.0.2.1") };
            let input = ForwardingInput {
                forwarded: fwd.iter().map(String::as_str).collect(),
                xff: vec![xff.as_str()],
                ..Default::default()
            };
            let c = client_address(peer, &input, &nets(&["10.0.0.0/8"]));
            if !peer_trusted {
                prop_assert_eq!(c.addr, peer);
            }
            if c.source == ClientSource::Peer {
                prop_assert_eq!(c.addr, peer);
            } else {
                // whatever it picked must be one of the addresses the headers hold
                let mut known: Vec<IpAddr> = parse_xff([xff.as_str()]).0.iter().filter_map(Node::ip).collect();
                if let Some(f) = &fwd && let Ok(els) = parse_forwarded([f.as_str()]) {
                    known.extend(els.iter().filter_map(|e| e.r#for.as_ref().and_then(Node::ip)));
                }
                prop_assert!(known.contains(&c.addr), "{} not in {:?}", c.addr, known);
            }
        }

        #[test]
        fn appended_trusted_hops_do_not_change_client(
            a in any::<[u8; 4]>(), hops in 0usize..5,
        ) {
            let client = IpAddr::from(a);
            prop_assume!(!is_trusted(client, &nets(&["10.0.0.0/8"])));
            let mut line = client.to_string();
            for i in 0..hops { line.push_str(&format!(", 10.0.0.{i}")); }
            let input = ForwardingInput { xff: vec![line.as_str()], ..Default::default() };
            let c = client_address(ip("10.9.9.9"), &input, &nets(&["10.0.0.0/8"]));
            prop_assert_eq!(c.addr, client);
        }
    }
}
