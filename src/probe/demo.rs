//! The demo's part of the probe: a tiny forwarding hop in front of the echo
//! listener (it appends X-Forwarded-For, sets X-Forwarded-Proto/-Port and
//! Via, connecting from 127.0.0.2 so that the echo can trust exactly it),
//! a target through the hop, and a trickle of requests so that the pane shows
//! live traffic.
//!
//! Everything stays on loopback; nothing here is used outside the demo and
//! tests, and it never touches a file outside the sandbox.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};

use super::config::TargetConfig;
use crate::config::Config;

/// The address the hop connects from.
pub const HOP_SOURCE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Run a forwarding hop on `listener` that sends every request on to
/// `upstream` with forwarding headers added. Runs until the task is dropped.
pub async fn run_hop(listener: TcpListener, upstream: SocketAddr) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| async move {
                Ok::<_, Infallible>(forward(req, peer, port, upstream).await)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn forward(
    req: Request<Incoming>,
    peer: SocketAddr,
    port: u16,
    upstream: SocketAddr,
) -> Response<Full<Bytes>> {
    let bad_gateway = |why: String| {
        let mut r = Response::new(Full::new(Bytes::from(why)));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        r
    };
    let (mut parts, _body) = req.into_parts();
    // Append the peer to X-Forwarded-For (merging lines), like
    // nginx's $proxy_add_x_forwarded_for.
    let prior: Vec<String> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let mut xff = prior.join(", ");
    if !xff.is_empty() {
        xff.push_str(", ");
    }
    xff.push_str(&peer.ip().to_string());
    let h = &mut parts.headers;
    h.remove("x-forwarded-for");
    let set = |h: &mut hyper::HeaderMap, n: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(HeaderName::from_static(n), v);
        }
    };
    set(h, "x-forwarded-for", &xff);
    set(h, "x-forwarded-proto", "http");
    set(h, "x-forwarded-port", &port.to_string());
    set(h, "via", "1.1 opsdeck-demo-hop");
    let sock = match TcpSocket::new_v4() {
        Ok(s) => s,
        Err(e) => return bad_gateway(format!("socket: {e}")),
    };
    if let Err(e) = sock.bind(SocketAddr::new(HOP_SOURCE, 0)) {
        return bad_gateway(format!("bind {HOP_SOURCE}: {e}"));
    }
    let stream = match sock.connect(upstream).await {
        Ok(s) => s,
        Err(e) => return bad_gateway(format!("connect {upstream}: {e}")),
    };
    let Ok((mut sender, conn)) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await
    else {
        return bad_gateway("handshake".into());
    };
    let task = tokio::spawn(conn);
    let out = Request::from_parts(parts, Full::new(Bytes::new()));
    let resp = match sender.send_request(out).await {
        Ok(r) => r,
        Err(e) => return bad_gateway(format!("upstream: {e}")),
    };
    let (rparts, body) = resp.into_parts();
    let bytes = match http_body_util::Limited::new(body, 1 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return bad_gateway(format!("upstream body: {e}")),
    };
    task.abort();
    Response::from_parts(rparts, Full::new(bytes))
}

fn free_port() -> anyhow::Result<SocketAddr> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

/// Configure the echo listener and a target through a hop; spawn the hop
/// and a trickle of traffic.
pub fn setup(_sandbox: &std::path::Path, config: &mut Config) -> anyhow::Result<()> {
    let echo_addr = free_port()?;
    let hop_std = std::net::TcpListener::bind("127.0.0.1:0")?;
    hop_std.set_nonblocking(true)?;
    let hop_addr = hop_std.local_addr()?;
    let p = &mut config.probe;
    p.echo.enabled = true;
    p.echo.listen = echo_addr;
    p.echo.trusted_proxies = vec![ipnet::IpNet::from(HOP_SOURCE)];
    p.interval_secs = 60;
    p.targets.push(TargetConfig {
        name: "demo-site".into(),
        url: format!("http://{hop_addr}/"),
        resolve: None,
        expect_final: None,
        http_url: None,
        echo_url: Some(format!("http://{hop_addr}/.opsdeck-echo")),
        backend_url: Some(format!("http://{echo_addr}/")),
        expect_client: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ca_file: None,
        reads: Default::default(),
    });
    let listener = TcpListener::from_std(hop_std)?;
    tokio::spawn(run_hop(listener, echo_addr));
    tokio::spawn(trickle(hop_addr));
    Ok(())
}

/// A request through the hop every few seconds, some with a forged header.
async fn trickle(hop: SocketAddr) {
    let paths = [
        "/",
        "/login",
        "/wp-admin/",
        "/api/v1/orders?id=7",
        "/static/app.css",
    ];
    let mut n = 0usize;
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        n += 1;
        let path = paths[n % paths.len()];
        let Ok(stream) = tokio::net::TcpStream::connect(hop).await else {
            continue;
        };
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await
        else {
            continue;
        };
        let task = tokio::spawn(conn);
        let mut req = Request::get(path).body(Full::new(Bytes::new()));
        if let Ok(r) = req.as_mut() {
            r.headers_mut().insert(
                hyper::header::HOST,
                HeaderValue::from_static("demo.example"),
            );
            if n.is_multiple_of(4) {
                r.headers_mut()
                    .insert("x-forwarded-for", HeaderValue::from_static("203.0.113.66"));
            }
        }
        if let Ok(r) = req {
            let _ = sender.send_request(r).await;
        }
        task.abort();
    }
}
