//! The `[probe]` configuration section: the echo listener, the targets to
//! probe, and the limits. Every field has a default; unknown keys are errors.
//!
//! This module only describes; it never binds, connects or reads files.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

/// The `[probe]` section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// Probe every target again this often (0: only on demand).
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Warn when a certificate expires within this many days.
    #[serde(default = "default_expiry_days")]
    pub expiry_warn_days: i64,
    /// Per request: connect, TLS and answer each within this.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// At most this many redirects are walked.
    #[serde(default = "default_max_hops")]
    pub max_redirects: usize,
    #[serde(default)]
    pub echo: EchoConfig,
    /// `[[probe.targets]]`.
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
}

impl Default for ProbeConfig {
    fn default() -> ProbeConfig {
        ProbeConfig {
            interval_secs: default_interval(),
            expiry_warn_days: default_expiry_days(),
            timeout_secs: default_timeout(),
            max_redirects: default_max_hops(),
            echo: EchoConfig::default(),
            targets: Vec::new(),
        }
    }
}

/// The echo listener.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EchoConfig {
    /// Run it at all.
    #[serde(default)]
    pub enabled: bool,
    /// Plain HTTP address (never PROXY protocol).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// A second address that accepts only PROXY protocol v1/v2.
    #[serde(default)]
    pub proxy_protocol_listen: Option<SocketAddr>,
    /// Binding anything but loopback must be said explicitly.
    #[serde(default)]
    pub allow_public: bool,
    /// The balancer's addresses: forwarding headers are believed only from
    /// these, walked right to left.
    #[serde(default = "default_trusted", deserialize_with = "cidrs")]
    pub trusted_proxies: Vec<IpNet>,
    #[serde(default = "default_header_bytes")]
    pub max_header_bytes: usize,
    #[serde(default = "default_headers")]
    pub max_headers: usize,
    #[serde(default = "default_header_timeout")]
    pub header_timeout_secs: u64,
    #[serde(default = "default_lifetime")]
    pub connection_lifetime_secs: u64,
    #[serde(default = "default_conns")]
    pub max_connections: usize,
    /// Recent requests kept for the pane.
    #[serde(default = "default_recent")]
    pub recent: usize,
}

impl Default for EchoConfig {
    fn default() -> EchoConfig {
        EchoConfig {
            enabled: false,
            listen: default_listen(),
            proxy_protocol_listen: None,
            allow_public: false,
            trusted_proxies: default_trusted(),
            max_header_bytes: default_header_bytes(),
            max_headers: default_headers(),
            header_timeout_secs: default_header_timeout(),
            connection_lifetime_secs: default_lifetime(),
            max_connections: default_conns(),
            recent: default_recent(),
        }
    }
}

/// One `[[probe.targets]]` entry.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    /// The public URL (through the balancer).
    pub url: String,
    /// Connect to this address instead of resolving the URL's host (one
    /// balancer node); SNI and Host stay the URL's.
    #[serde(default)]
    pub resolve: Option<IpAddr>,
    /// Where the redirect walk ends when all is well (default: `url`).
    #[serde(default)]
    pub expect_final: Option<String>,
    /// Where the walk starts (default: `url` with `http://` and port 80).
    #[serde(default)]
    pub http_url: Option<String>,
    /// A URL through the balancer that reaches the echo listener: enables
    /// the forwarding checks.
    #[serde(default)]
    pub echo_url: Option<String>,
    /// The backend's own address: it must NOT answer from here.
    #[serde(default)]
    pub backend_url: Option<String>,
    /// The address this probe is seen from, if known (else only judged
    /// against forged and proxy addresses).
    #[serde(default)]
    pub expect_client: Option<IpAddr>,
    /// Extra PEM certificates to trust (a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Which forwarding headers the site reads for the client and the scheme: the baseline, the
    /// forged headers and the two X-Forwarded-For lines are judged from those, and a forged
    /// header of the other kind is a warning, not a failure.
    #[serde(default)]
    pub reads: SiteReads,
}

/// The forwarding headers a site reads (`reads` in `[[probe.targets]]`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum SiteReads {
    /// X-Forwarded-For (else X-Real-IP), -Proto and -Port, as most frameworks do (Django,
    /// Express, Laravel and Symfony as set up by default, Rack 2): the client and the scheme are
    /// judged from these alone. A balancer that sends them only in `Forwarded` fails; a client's
    /// forged X-Forwarded-* it passes on fails beside a right `Forwarded`; a `Forwarded` header
    /// that disagrees with them, or a client's forged one that reaches the app while they are
    /// right, is a warning: apps that read both (Rack 3 takes `Forwarded` first) see something
    /// else.
    #[default]
    #[serde(rename = "x-forwarded")]
    XForwarded,
    /// RFC 7239 `Forwarded` alone (X-Forwarded-* are not read).
    #[serde(rename = "forwarded")]
    Forwarded,
}

/// CIDRs (or bare addresses) from strings, with the bad one named.
fn cidrs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    let raw: Vec<String> = Vec::deserialize(d)?;
    raw.iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "trusted_proxies: {s:?} is not a CIDR or an address"
                    ))
                })
        })
        .collect()
}

fn default_interval() -> u64 {
    300
}
fn default_expiry_days() -> i64 {
    21
}
fn default_timeout() -> u64 {
    10
}
fn default_max_hops() -> usize {
    10
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8099))
}
fn default_trusted() -> Vec<IpNet> {
    vec![
        "127.0.0.0/8".parse().unwrap_or_else(|_| IpNet::default()),
        "::1/128".parse().unwrap_or_else(|_| IpNet::default()),
    ]
}
fn default_header_bytes() -> usize {
    16 * 1024
}
fn default_headers() -> usize {
    64
}
fn default_header_timeout() -> u64 {
    5
}
fn default_lifetime() -> u64 {
    120
}
fn default_conns() -> usize {
    512
}
fn default_recent() -> usize {
    200
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_parses_with_defaults() {
        let c: ProbeConfig = toml::from_str(
            r#"
            [echo]
            enabled = true
            proxy_protocol_listen = "127.0.0.1:8098"
            trusted_proxies = ["10.0.0.0/8"]
            [[targets]]
            name = "www"
            url = "https://www.example.com/"
            resolve = "10.0.1.12"
            "#,
        )
        .unwrap();
        assert!(c.echo.enabled);
        assert_eq!(c.echo.listen.to_string(), "127.0.0.1:8099");
        assert_eq!(c.targets[0].resolve, Some("10.0.1.12".parse().unwrap()));
        assert_eq!(c.interval_secs, 300);
    }

    /// `reads` names the headers the site reads; the probe's assumption (X-Forwarded-*) when
    /// unset, and a value that is neither is an error that names both.
    #[test]
    fn reads_names_the_headers_the_site_reads() {
        let t = |extra: &str| {
            toml::from_str::<ProbeConfig>(&format!(
                "[[targets]]\nname = \"www\"\nurl = \"https://www.example.com/\"\n{extra}"
            ))
        };
        assert_eq!(t("").unwrap().targets[0].reads, SiteReads::XForwarded);
        assert_eq!(
            t("reads = \"x-forwarded\"\n").unwrap().targets[0].reads,
            SiteReads::XForwarded
        );
        assert_eq!(
            t("reads = \"forwarded\"\n").unwrap().targets[0].reads,
            SiteReads::Forwarded
        );
        let e = t("reads = \"X-Forwarded-For\"\n").unwrap_err().to_string();
        assert!(
            e.contains("`x-forwarded`") && e.contains("`forwarded`"),
            "{e}"
        );
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = toml::from_str::<ProbeConfig>("[echo]\nlisten_addr = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("listen_addr"), "{e}");
        let e = toml::from_str::<ProbeConfig>("[echo]\ntrusted_proxies = [\"10.0.0.0/33\"]\n")
            .unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/33"), "{e}");
        let c =
            toml::from_str::<ProbeConfig>("[echo]\ntrusted_proxies = [\"10.1.2.3\"]\n").unwrap();
        assert_eq!(c.echo.trusted_proxies[0].to_string(), "10.1.2.3/32");
    }
}
