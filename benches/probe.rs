//! Probe benchmarks, reported as ratios in benches/RESULTS.md:
//! - forwarding header parsing and the client address walk, the header
//!   order tap, a PROXY v2 header with TLVs and its checksum;
//! - one keep-alive request round trip to the echo listener versus nginx
//!   answering `return 200 $http_x_forwarded_for` (the echo a user would
//!   otherwise set up);
//! - a whole target probe (main URL, http->https walk, baseline, forged and
//!   two-line requests) versus the same six requests made with curl, the
//!   tool a user would otherwise run, one process per request.
//!
//! Everything on 127.0.0.1; nginx and openssl as in the tests.

#[path = "../tests/probe_support/mod.rs"]
mod probe_support;

use std::hint::black_box;
use std::process::Command;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use opsdeck::probe::checks::run_target;
use opsdeck::probe::config::{ProbeConfig, TargetConfig};
use opsdeck::probe::echo::parse_proxy_header;
use opsdeck::probe::forwarded::{ForwardingInput, client_address, parse_forwarded, parse_xff};
use opsdeck::probe::headtap::HeadParser;
use probe_support::*;

fn parsing(c: &mut Criterion) {
    let fwd = r#"for=192.0.2.43;proto=https, for="[2001:db8:cafe::17]:4711";by=_lb1, for=198.51.100.17;host="www.example.com""#;
    let xff = "203.0.113.66, 198.51.100.7, 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7, 10.0.0.8";
    let nets = vec!["10.0.0.0/8".parse().unwrap()];
    c.bench_function("parse_forwarded_3_elements", |b| {
        b.iter(|| parse_forwarded([black_box(fwd)]))
    });
    c.bench_function("parse_xff_10_hops", |b| {
        b.iter(|| parse_xff([black_box(xff)]))
    });
    c.bench_function("client_address_xff_10_hops", |b| {
        let input = ForwardingInput {
            xff: vec![xff],
            ..Default::default()
        };
        b.iter(|| client_address(black_box("10.9.9.9".parse().unwrap()), &input, &nets))
    });
    // The tap that keeps the order of header lines across names: the cost
    // it adds to every request (one head of 8 lines fed in one piece).
    let head: &[u8] = b"GET /login?next=%2F HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nX-Forwarded-For: 203.0.113.66, 198.51.100.7\r\nForwarded: for=198.51.100.7;proto=https\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\nVia: 1.1 lb\r\n\r\n";
    c.bench_function("headtap_one_head_8_lines", |b| {
        let mut p = HeadParser::new(16 * 1024, 64);
        b.iter(|| {
            p.feed(black_box(head));
            black_box(p.heads.pop_front())
        })
    });
    // PROXY v2 with ALPN, authority, SSL (version, CN) and a CRC32C.
    let v2 = proxy_v2_with_tlvs();
    c.bench_function("proxy_v2_header_with_tlvs_and_crc32c", |b| {
        b.iter(|| parse_proxy_header(black_box(&v2)))
    });
}

fn proxy_v2_with_tlvs() -> Vec<u8> {
    use ppp::v2::{Builder, Command, Protocol, Version};
    let src: std::net::SocketAddr = "198.51.100.7:51234".parse().unwrap();
    let dst: std::net::SocketAddr = "10.0.2.20:443".parse().unwrap();
    let mut ssl = vec![1, 0, 0, 0, 0, 0x21, 0, 7];
    ssl.extend_from_slice(b"TLSv1.3");
    ssl.extend_from_slice(&[0x22, 0, 17]);
    ssl.extend_from_slice(b"alice.example.com");
    let mut h =
        Builder::with_addresses(Version::Two | Command::Proxy, Protocol::Stream, (src, dst))
            .write_tlv(0x01u8, b"h2")
            .and_then(|b| b.write_tlv(0x02u8, b"www.example.com"))
            .and_then(|b| b.write_tlv(0x20u8, &ssl))
            .and_then(|b| b.write_tlv(0x03u8, &[0; 4]))
            .and_then(|b| b.build())
            .unwrap();
    let sum = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI).checksum(&h);
    let n = h.len();
    h[n - 4..].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(parse_proxy_header(&h).unwrap().tlvs.len(), 4);
    h
}

async fn keepalive_sender(
    addr: std::net::SocketAddr,
) -> hyper::client::conn::http1::SendRequest<Empty<Bytes>> {
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
        .await
        .unwrap();
    tokio::spawn(conn);
    tx
}

async fn one(tx: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>) {
    let req = hyper::Request::get("/bench")
        .header("host", "bench.test")
        .header("x-forwarded-for", "198.51.100.7, 10.0.0.1")
        .body(Empty::new())
        .unwrap();
    tx.ready().await.unwrap();
    let resp = tx.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    black_box(resp.into_body().collect().await.unwrap().to_bytes());
}

fn roundtrip(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempdir();
    let server = rt.block_on(echo(false));
    let (_nginx, [port]) = Nginx::start(dir.path(), "", |[port]| {
        format!(
            "http {{ {temp} keepalive_requests 100000000; keepalive_timeout 600s; server {{ listen 127.0.0.1:{port}; location / {{ default_type text/plain; return 200 \"$remote_addr $http_x_forwarded_for\\n\"; }} }} }}",
            temp = Nginx::http_temp_paths(dir.path())
        )
    });
    let mut g = c.benchmark_group("echo_roundtrip");
    let mut tx = rt.block_on(keepalive_sender(server.addr));
    g.bench_function("opsdeck_echo", |b| b.iter(|| rt.block_on(one(&mut tx))));
    let mut tx = rt.block_on(keepalive_sender(
        format!("127.0.0.1:{port}").parse().unwrap(),
    ));
    g.bench_function("nginx_return_200", |b| b.iter(|| rt.block_on(one(&mut tx))));
    g.finish();
}

fn whole_target(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempdir();
    let certs = make_certs(dir.path(), 90);
    let server = rt.block_on(echo(false));
    let (_nginx, [tls, http]) = Nginx::start(dir.path(), "", |[tls, http]| {
        format!(
            r#"http {{ {temp}
  server {{ listen 127.0.0.1:{http}; return 301 https://$host:{tls}$request_uri; }}
  server {{ listen 127.0.0.1:{tls} ssl; ssl_certificate {cert}; ssl_certificate_key {key};
    location / {{ proxy_pass http://{echo}; proxy_bind {PROXY_SOURCE};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Port $server_port; }} }} }}"#,
            temp = Nginx::http_temp_paths(dir.path()),
            cert = certs.cert.display(),
            key = certs.key.display(),
            echo = server.addr,
        )
    });
    let target = TargetConfig {
        name: "bench".into(),
        url: format!("https://{HOST}:{tls}/"),
        resolve: Some("127.0.0.1".parse().unwrap()),
        expect_final: None,
        http_url: Some(format!("http://{HOST}:{http}/")),
        echo_url: Some(format!("https://{HOST}:{tls}/.opsdeck-echo")),
        backend_url: None,
        expect_client: None,
        ca_file: Some(certs.ca.clone()),
        reads: Default::default(),
    };
    let cfg = ProbeConfig::default();
    let mut g = c.benchmark_group("probe_one_target");
    g.sample_size(20);
    g.bench_function("opsdeck_run_target", |b| {
        b.iter(|| rt.block_on(run_target(&target, &cfg, 0)))
    });
    let resolve = [
        format!("{HOST}:{tls}:127.0.0.1"),
        format!("{HOST}:{http}:127.0.0.1"),
    ];
    let ca = certs.ca.display().to_string();
    let curl = |url: &str, headers: &[&str]| {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-o", "/dev/null", "-D", "-", "--cacert", &ca]);
        for r in &resolve {
            cmd.args(["--resolve", r]);
        }
        for h in headers {
            cmd.args(["-H", h]);
        }
        let out = cmd
            .arg(url)
            .output()
            .expect("curl is needed for this bench");
        assert!(out.status.success());
        black_box(out.stdout);
    };
    let main = format!("https://{HOST}:{tls}/");
    let walk = format!("http://{HOST}:{http}/");
    let echo_url = format!("https://{HOST}:{tls}/.opsdeck-echo");
    g.bench_function("curl_same_six_requests", |b| {
        b.iter(|| {
            curl(&main, &[]);
            curl(&walk, &[]);
            curl(&main, &[]);
            curl(&echo_url, &[]);
            curl(
                &echo_url,
                &[
                    "X-Forwarded-For: 203.0.113.66",
                    "X-Forwarded-Proto: http",
                    "Forwarded: for=203.0.113.66;proto=http",
                    "X-Real-IP: 203.0.113.66",
                ],
            );
            curl(
                &echo_url,
                &[
                    "X-Forwarded-For: 198.51.100.1",
                    "X-Forwarded-For: 198.51.100.2",
                ],
            );
        })
    });
    g.finish();
}

criterion_group!(benches, parsing, roundtrip, whole_target);
criterion_main!(benches);
