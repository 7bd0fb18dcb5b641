//! The SES API emulator (moto) for tests: `moto_server -H 127.0.0.1 -p PORT`
//! from `$OPSDECK_MOTO_SERVER`, else `.venv/bin/moto_server` in the repository.
//! A missing binary fails the test with a message naming it. The server is
//! killed when the guard drops.
//!
//! Tests talk to moto through [`MotoServer::endpoint`], a small HTTP shim in
//! front of it: moto 5.2 serves ListEmailIdentities only in the newer form
//! `POST /v2/email/list-identities` (JSON body), while the SDK version in
//! Cargo.lock sends the older `GET /v2/email/identities?PageSize=..` that SES
//! itself still answers. The shim rewrites that one request and passes every
//! other request through unchanged.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct MotoServer {
    child: Child,
    shim_port: u16,
    _logs: tempfile::TempDir,
}

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("OPSDECK_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a free port on 127.0.0.1")
}

impl MotoServer {
    pub fn start() -> MotoServer {
        let bin = binary();
        assert!(
            bin.is_file(),
            "moto_server not found at {} - install moto[server] (python3 -m venv .venv && .venv/bin/pip install 'moto[server]') or set OPSDECK_MOTO_SERVER",
            bin.display()
        );
        let logs = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(logs.path().join("out")).expect("log file"))
            .stderr(std::fs::File::create(logs.path().join("err")).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let shim_port = start_shim(port);
        let mut server = MotoServer {
            child,
            shim_port,
            _logs: logs,
        };
        // wait until it accepts connections (or dies)
        for _ in 0..300 {
            if let Ok(Some(status)) = server.child.try_wait() {
                let err =
                    std::fs::read_to_string(server._logs.path().join("err")).unwrap_or_default();
                panic!("moto_server exited with {status}: {err}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server on port {port} did not accept connections");
    }

    /// The endpoint to give the SDK (the shim in front of moto).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.shim_port)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The SDK's standard credential chain, pointed at dummy keys (moto accepts
/// any). Set once per test process, before any client is built.
pub fn dummy_aws_credentials() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called once, before the SDK reads the environment; every
        // test in this process sets the same values.
        unsafe {
            std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
            std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
            std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
            std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/opsdeck-test");
            std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/opsdeck-test");
        }
    });
}

/// Rewrite `GET /v2/email/identities?..` to moto's `POST /v2/email/list-identities`.
fn rewrite(method: &str, path_and_query: &str) -> Option<(String, String)> {
    if method != "GET" {
        return None;
    }
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    if path != "/v2/email/identities" {
        return None;
    }
    let mut body = serde_json::Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v
            .replace("%3D", "=")
            .replace("%2F", "/")
            .replace("%2B", "+");
        let value = match k {
            "PageSize" => serde_json::Value::from(v.parse::<i64>().unwrap_or(100)),
            _ => serde_json::Value::from(v),
        };
        body.insert(k.to_string(), value);
    }
    Some((
        "/v2/email/list-identities".to_string(),
        serde_json::Value::Object(body).to_string(),
    ))
}

fn start_shim(moto_port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind shim");
    let port = listener.local_addr().expect("shim addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("shim runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("shim listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| async move {
                            forward(req, moto_port).await
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    port
}

async fn forward(
    req: hyper::Request<hyper::body::Incoming>,
    moto_port: u16,
) -> Result<hyper::Response<http_body_util::Full<bytes::Bytes>>, std::io::Error> {
    use http_body_util::BodyExt;
    let io_err = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
    let (mut parts, body) = req.into_parts();
    let mut body = body.collect().await.map_err(|e| io_err(&e))?.to_bytes();
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if let Some((path, json)) = rewrite(parts.method.as_str(), &pq) {
        parts.method = hyper::Method::POST;
        parts.uri = path.parse().map_err(|e| io_err(&e))?;
        parts.headers.insert(
            hyper::header::CONTENT_TYPE,
            "application/json".parse().expect("header"),
        );
        body = bytes::Bytes::from(json);
    }
    parts
        .headers
        .insert(hyper::header::CONTENT_LENGTH, body.len().into());
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", moto_port)).await?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| io_err(&e))?;
    tokio::spawn(conn);
    let resp = sender
        .send_request(hyper::Request::from_parts(
            parts,
            http_body_util::Full::new(body),
        ))
        .await
        .map_err(|e| io_err(&e))?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(|e| io_err(&e))?.to_bytes();
    Ok(hyper::Response::from_parts(
        parts,
        http_body_util::Full::new(body),
    ))
}
