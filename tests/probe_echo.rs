//! The echo listener under abuse and load, on loopback: oversized and too
//! many headers, a slow client, the connection cap, PROXY protocol only on
//! its own port, repeated X-Forwarded-For lines kept in order, and a burst
//! of keep-alive requests with bounded memory. After every abuse the
//! listener must still answer.

#[path = "probe_support/mod.rs"]
mod probe_support;

use std::net::SocketAddr;
use std::time::Duration;

use opsdeck::probe::config::EchoConfig;
use opsdeck::probe::echo::{self, EchoReply, EchoServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Guard against a hang only (never a pass/fail threshold).
const HANG_GUARD: Duration = Duration::from_secs(60);

async fn start(cfg: EchoConfig) -> EchoServer {
    echo::start(&EchoConfig {
        enabled: true,
        listen: "127.0.0.1:0".parse().unwrap(),
        ..cfg
    })
    .await
    .expect("echo listener starts")
}

/// Write raw bytes, read the whole answer until the server closes.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    // The server may close while we are still writing (that is the point).
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(HANG_GUARD, s.read_to_end(&mut out))
        .await
        .expect("server never closed the connection");
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_ok(addr: SocketAddr) -> EchoReply {
    let text = raw(
        addr,
        b"GET /alive HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "listener no longer answers: {text:?}"
    );
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).expect("JSON echo")
}

#[tokio::test]
async fn repeated_forwarding_headers_are_kept_in_order() {
    let e = start(EchoConfig::default()).await;
    let text = raw(
        e.addr,
        b"GET /p?q=1 HTTP/1.1\r\nHost: www.example.com\r\nX-Forwarded-For: 198.51.100.7\r\nVia: 1.1 lb\r\nX-Forwarded-For: 10.0.0.1, 127.0.0.1\r\nForwarded: for=\"[2001:db8::1]:443\";proto=https\r\nTrue-Client-IP: 198.51.100.7\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n",
    )
    .await;
    let body = text.split("\r\n\r\n").nth(1).unwrap();
    let r: EchoReply = serde_json::from_str(body).unwrap();
    assert_eq!(r.path, "/p?q=1");
    assert_eq!(r.host.as_deref(), Some("www.example.com"));
    assert_eq!(
        r.values("x-forwarded-for"),
        vec!["198.51.100.7", "10.0.0.1, 127.0.0.1"]
    );
    assert_eq!(r.xff.len(), 3);
    assert_eq!(r.values("via"), vec!["1.1 lb"]);
    assert_eq!(r.values("true-client-ip"), vec!["198.51.100.7"]);
    // Forwarded wins (trusted loopback peer): the quoted IPv6 client.
    assert_eq!(r.client.addr.to_string(), "2001:db8::1");
    assert_eq!(r.forwarded[0].proto.as_deref(), Some("https"));
}

#[tokio::test]
async fn one_mib_header_is_refused_and_listener_stays_up() {
    let e = start(EchoConfig::default()).await;
    let mut req = b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 1 << 20));
    req.extend_from_slice(b"\r\n\r\n");
    let text = raw(e.addr, &req).await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "a 1 MiB header must be refused, got {:?}",
        &text[..text.len().min(200)]
    );
    get_ok(e.addr).await;
    assert!(e.log.snapshot().rejected >= 1);
    assert_eq!(
        e.log.snapshot().requests,
        1,
        "only the small request was answered"
    );
}

#[tokio::test]
async fn ten_thousand_headers_are_refused_and_listener_stays_up() {
    let e = start(EchoConfig::default()).await;
    let mut req = b"GET / HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..10_000 {
        req.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let text = raw(e.addr, &req).await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "10,000 headers must be refused, got {:?}",
        &text[..text.len().min(200)]
    );
    get_ok(e.addr).await;
    assert_eq!(e.log.snapshot().requests, 1);
}

#[tokio::test]
async fn slow_client_is_cut_off_and_listener_stays_up() {
    let e = start(EchoConfig {
        header_timeout_secs: 1,
        ..EchoConfig::default()
    })
    .await;
    let mut slow = TcpStream::connect(e.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    // Trickle a header byte now and then; the server must hang up on us
    // (the header never completes).
    let cut = tokio::time::timeout(HANG_GUARD, async {
        let mut buf = [0u8; 512];
        loop {
            if slow.write_all(b"X").await.is_err() {
                return;
            }
            tokio::select! {
                r = slow.read(&mut buf) => match r {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue, // a 408 answer; the close follows
                },
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "a slow client was never cut off");
    // Meanwhile and afterwards, others are served.
    get_ok(e.addr).await;
    assert!(e.log.snapshot().rejected >= 1);
}

#[tokio::test]
async fn silent_connection_is_closed() {
    let e = start(EchoConfig {
        header_timeout_secs: 1,
        ..EchoConfig::default()
    })
    .await;
    // Connect and say nothing: the header timeout applies from the start.
    let text = raw(e.addr, b"").await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text:?}"
    );
    get_ok(e.addr).await;
}

#[tokio::test]
async fn connection_cap_refuses_extra_connections() {
    let e = start(EchoConfig {
        max_connections: 4,
        header_timeout_secs: 2,
        ..EchoConfig::default()
    })
    .await;
    // Hold 4 idle connections, then open more: those are closed at once.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(e.addr).await.unwrap();
        s.write_all(b"GET").await.unwrap();
        held.push(s);
    }
    // Let the accept loop take them.
    while e.log.snapshot().refused == 0 {
        let mut extra = TcpStream::connect(e.addr).await.unwrap();
        let mut buf = [0u8; 16];
        let _ = extra.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
        let n = tokio::time::timeout(HANG_GUARD, extra.read(&mut buf))
            .await
            .expect("extra connection neither served nor closed");
        if matches!(n, Ok(0) | Err(_)) {
            break;
        }
    }
    assert!(e.log.snapshot().refused >= 1);
    drop(held);
    // The held ones are released (closed by us, or by the header timeout).
    let mut tries = 0;
    loop {
        let text = raw(
            e.addr,
            b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        if text.starts_with("HTTP/1.1 200") {
            break;
        }
        tries += 1;
        assert!(tries < 600, "listener never accepted again after the cap");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn proxy_protocol_only_on_its_own_port() {
    let e = start(EchoConfig {
        proxy_protocol_listen: Some("127.0.0.1:0".parse().unwrap()),
        ..EchoConfig::default()
    })
    .await;
    let pp = e.proxy_addr.unwrap();
    // Plain request on the PROXY port: refused (closed, no answer).
    let text = raw(
        pp,
        b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        text, "",
        "the PROXY port answered a request without a PROXY header"
    );
    // PROXY header on the plain port: not interpreted (a bad request).
    let text = raw(
        e.addr,
        b"PROXY TCP4 198.51.100.7 10.0.0.1 5000 443\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        !text.starts_with("HTTP/1.1 200"),
        "the plain port took a PROXY header: {text:?}"
    );
    // v1 on the PROXY port: the source is the client.
    let text = raw(
        pp,
        b"PROXY TCP4 198.51.100.7 10.0.0.1 5000 443\r\nGET /v1 HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.66\r\nConnection: close\r\n\r\n",
    )
    .await;
    let r: EchoReply = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(r.proxy_protocol.as_ref().unwrap().version, 1);
    assert_eq!(
        r.client.addr.to_string(),
        "198.51.100.7",
        "forged XFF must not win"
    );
    // v2 (binary) with IPv6 addresses.
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    v2.extend_from_slice(&[0x21, 0x21, 0, 36]);
    v2.extend_from_slice(
        &"2001:db8::7"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    v2.extend_from_slice(
        &"2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    v2.extend_from_slice(&[0x13, 0x88, 0x01, 0xbb]);
    v2.extend_from_slice(b"GET /v2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let text = raw(pp, &v2).await;
    let r: EchoReply = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(r.proxy_protocol.as_ref().unwrap().version, 2);
    assert_eq!(r.client.addr.to_string(), "2001:db8::7");
    assert_eq!(r.path, "/v2");
    // A malformed PROXY header: closed, and the port still works.
    assert_eq!(
        raw(pp, b"PROXY TCP4 nonsense\r\nGET / HTTP/1.1\r\n\r\n").await,
        ""
    );
    let text = raw(
        pp,
        b"PROXY UNKNOWN\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
}

#[tokio::test]
async fn public_address_needs_explicit_consent() {
    let err = echo::start(&EchoConfig {
        enabled: true,
        listen: "0.0.0.0:0".parse().unwrap(),
        ..EchoConfig::default()
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("allow_public"), "{err}");
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Keep-alive clients sending `per_conn` requests each; returns the count.
async fn load(
    addr: SocketAddr,
    conns: usize,
    per_conn: usize,
    until: Option<tokio::time::Instant>,
) -> u64 {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty};
    use hyper_util::rt::TokioIo;
    let mut tasks = Vec::new();
    for c in 0..conns {
        tasks.push(tokio::spawn(async move {
            let s = TcpStream::connect(addr).await.unwrap();
            let (mut tx, conn) =
                hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(s))
                    .await
                    .unwrap();
            tokio::spawn(conn);
            let mut n = 0u64;
            for i in 0..per_conn {
                if until.is_some_and(|u| tokio::time::Instant::now() >= u) {
                    break;
                }
                let req = hyper::Request::get(format!("/load/{c}/{i}"))
                    .header("host", "load.test")
                    .header("x-forwarded-for", format!("198.51.100.{}", i % 250))
                    .body(Empty::new())
                    .unwrap();
                tx.ready()
                    .await
                    .expect("connection ready for the next request");
                let resp = tx.send_request(req).await.expect("request under load");
                assert_eq!(resp.status(), 200);
                resp.into_body().collect().await.unwrap();
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total
}

/// An always-run burst: 20,000 keep-alive requests; memory must stay flat
/// (the recent list is bounded, connections are released).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_of_requests_keeps_memory_flat() {
    let e = start(EchoConfig {
        recent: 100,
        ..EchoConfig::default()
    })
    .await;
    // Warm up (allocator pools, task structures), then measure.
    assert_eq!(load(e.addr, 8, 500, None).await, 4000);
    let before = rss_kib();
    assert_eq!(load(e.addr, 8, 2500, None).await, 20_000);
    let after = rss_kib();
    let s = e.log.snapshot();
    assert_eq!(s.requests, 24_000);
    assert_eq!(s.recent.len(), 100, "recent requests are bounded");
    assert_eq!(s.rejected, 0);
    // 20,000 more requests must not grow the process by more than a few
    // MiB (an unbounded log would hold ~20,000 records here).
    assert!(
        after.saturating_sub(before) < 16 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    get_ok(e.addr).await;
}

/// The full-size run the issue names: as many requests as 16 keep-alive
/// connections manage for 10 s (about 10,000 a second on a release build),
/// memory flat. Heavy on 2 cores: run with `cargo test --release --test
/// probe_echo -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "10 s of full load; run explicitly with --release -- --ignored"]
async fn ten_seconds_of_load_keeps_memory_flat() {
    let e = start(EchoConfig::default()).await;
    load(e.addr, 8, 1000, None).await;
    let before = rss_kib();
    let start = tokio::time::Instant::now();
    let n = load(
        e.addr,
        16,
        usize::MAX,
        Some(start + Duration::from_secs(10)),
    )
    .await;
    let secs = start.elapsed().as_secs_f64();
    let after = rss_kib();
    eprintln!(
        "{n} requests in {secs:.1} s = {:.0}/s; RSS {before} -> {after} KiB",
        n as f64 / secs
    );
    assert!(
        after.saturating_sub(before) < 16 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    get_ok(e.addr).await;
}
