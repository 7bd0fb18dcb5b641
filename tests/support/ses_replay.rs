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

/// One canned answer: status and body, chosen by `METHOD path?query`.
pub type Routes = HashMap<String, (u16, String)>;

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
                            let key = format!(
                                "{} {}",
                                req.method(),
                                req.uri()
                                    .path_and_query()
                                    .map(|p| p.as_str())
                                    .unwrap_or("/")
                            );
                            reqs.lock().unwrap().push(key.clone());
                            let (status, body) = routes.get(&key).cloned().unwrap_or((
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
