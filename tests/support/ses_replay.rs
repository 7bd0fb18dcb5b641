//! A fixture HTTP server that answers SES v2 API calls with recorded JSON
//! bodies, for the calls the emulator lacks (GetAccount) and for paging.
//! The bodies under `tests/fixtures/senders/` are written for these tests
//! in the shape the SES v2 API documents; each request is recorded so a test
//! can check what the client asked for.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

pub struct ReplayServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

/// One canned answer: status and body, chosen by `METHOD path?query`, followed
/// by ` BODY` (the JSON body with its keys sorted) when the request has one.
/// A key may start with a region and a space (`eu-west-1 GET /v2/email/account`):
/// it then answers only requests signed for that region, and is tried first.
pub type Routes = HashMap<String, (u16, String)>;

/// The region of a SigV4 `Authorization` header's credential scope
/// (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
fn signed_region(auth: Option<&hyper::header::HeaderValue>) -> Option<String> {
    let auth = auth?.to_str().ok()?;
    let scope = auth.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(2).map(str::to_string)
}

pub fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/senders")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

impl ReplayServer {
    pub async fn start(routes: Routes) -> ReplayServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let routes = Arc::new(routes);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reqs = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let routes = routes.clone();
                let reqs = reqs.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let routes = routes.clone();
                        let reqs = reqs.clone();
                        async move {
                            use http_body_util::BodyExt;
                            let region =
                                signed_region(req.headers().get(hyper::header::AUTHORIZATION));
                            let mut key = format!(
                                "{} {}",
                                req.method(),
                                req.uri()
                                    .path_and_query()
                                    .map(|p| p.as_str())
                                    .unwrap_or("/")
                            );
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            if !body.is_empty() {
                                let text = serde_json::from_slice::<serde_json::Value>(&body)
                                    .map(|v| v.to_string())
                                    .unwrap_or_else(|_| {
                                        String::from_utf8_lossy(&body).into_owned()
                                    });
                                key.push(' ');
                                key.push_str(&text);
                            }
                            reqs.lock().unwrap().push(key.clone());
                            let by_region = region
                                .as_ref()
                                .and_then(|r| routes.get(&format!("{r} {key}")));
                            let (status, body) =
                                by_region.or_else(|| routes.get(&key)).cloned().unwrap_or((
                                    404,
                                    format!("{{\"message\":\"no fixture for {key}\"}}"),
                                ));
                            let resp = Response::builder()
                                .status(status)
                                .header("content-type", "application/json")
                                .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
                                .body(Full::new(Bytes::from(body)))
                                .expect("response");
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        ReplayServer {
            addr,
            requests,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
