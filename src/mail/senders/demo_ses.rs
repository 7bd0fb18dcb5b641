//! The demo's SES: a small endpoint on 127.0.0.1 that answers the three SES v2 calls the
//! Senders pane makes (ListEmailIdentities, GetAccount, CreateEmailIdentity) with made-up
//! identities and account state that fit the demo's mail log: the shop's addresses verified one
//! by one (not the domain, which would cover `root@mx1.example.com`, whose mail the log shows
//! bounced as not verified), the newsletter's address still pending (its mail bounces too), 97%
//! of the daily quota used (mail is deferred on it at the busiest moments). The pane reads it through the AWS SDK as it reads SES; an
//! identity created from the pane is listed as pending from then on. Part of the demo only.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One identity as ListEmailIdentities lists it.
#[derive(Clone, Debug)]
struct DemoIdentity {
    name: String,
    domain: bool,
    status: &'static str,
}

/// What the demo's SES holds; identities created from the pane are added.
#[derive(Debug)]
struct DemoSes {
    identities: Vec<DemoIdentity>,
}

/// The identities the demo's SES starts with: name, a domain, status.
const IDENTITIES: &[(&str, bool, &str)] = &[
    ("shop@example.com", false, "SUCCESS"),
    ("noreply@example.com", false, "SUCCESS"),
    ("web@example.com", false, "SUCCESS"),
    ("alerts@example.org", false, "SUCCESS"),
    ("newsletter@example.net", false, "PENDING"),
    ("old-brand.example", true, "FAILED"),
];

/// Does the demo's SES send mail from `sender`? Judged as the Senders pane judges SES's
/// identities (an address it verified, or one on a domain it verified). An identity created from
/// the pane waits for a verification that never comes.
pub fn sends_from(sender: &str) -> bool {
    use super::ses::{Identity, SesSnapshot, Verification};
    let snapshot = SesSnapshot {
        region: "us-east-1".into(),
        identities: IDENTITIES
            .iter()
            .map(|&(name, is_domain, status)| {
                let status = aws_sdk_sesv2::types::VerificationStatus::from(status);
                Identity {
                    name: crate::sanitize::Clean::new(name),
                    is_domain,
                    status: Verification::from_sdk(Some(&status)),
                    sending_enabled: status == aws_sdk_sesv2::types::VerificationStatus::Success,
                }
            })
            .collect(),
        account: Err(crate::sanitize::Clean::new("not asked")),
    };
    snapshot
        .verification_of(sender)
        .is_some_and(|i| i.status == Verification::Verified)
}

impl DemoSes {
    fn new() -> DemoSes {
        DemoSes {
            identities: IDENTITIES
                .iter()
                .map(|&(name, domain, status)| DemoIdentity {
                    name: name.into(),
                    domain,
                    status,
                })
                .collect(),
        }
    }

    fn list(&self) -> Value {
        let list: Vec<Value> = self
            .identities
            .iter()
            .map(|i| {
                json!({
                    "IdentityType": if i.domain { "DOMAIN" } else { "EMAIL_ADDRESS" },
                    "IdentityName": i.name,
                    "SendingEnabled": i.status == "SUCCESS",
                    "VerificationStatus": i.status,
                })
            })
            .collect();
        json!({ "EmailIdentities": list })
    }

    /// The account: out of the sandbox, sending, and 97% of the day's quota used, as the demo
    /// log's "Daily message quota exceeded" deferrals of its busiest moments say.
    fn account() -> Value {
        json!({
            "DedicatedIpAutoWarmupEnabled": false,
            "EnforcementStatus": "HEALTHY",
            "ProductionAccessEnabled": true,
            "SendQuota": {
                "Max24HourSend": 50000.0,
                "MaxSendRate": crate::demo::SES_MAX_SEND_RATE as f64,
                "SentLast24Hours": 48700.0
            },
            "SendingEnabled": true
        })
    }

    /// CreateEmailIdentity: a new identity waits for verification (the link SES mails for an
    /// address, the DNS records for a domain), as SES's own does.
    fn create(&mut self, body: &[u8]) -> Result<Value, (StatusCode, Value)> {
        let error = |status, kind: &str, message: String| {
            Err((status, json!({ "__type": kind, "message": message })))
        };
        let asked: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let Some(name) = asked.get("EmailIdentity").and_then(Value::as_str) else {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                "EmailIdentity is required".into(),
            );
        };
        if self.identities.iter().any(|i| i.name == name) {
            return error(
                StatusCode::CONFLICT,
                "AlreadyExistsException",
                format!("Email identity {name} already exist."),
            );
        }
        let domain = !name.contains('@');
        self.identities.push(DemoIdentity {
            name: name.into(),
            domain,
            status: "PENDING",
        });
        self.identities.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(json!({
            "IdentityType": if domain { "DOMAIN" } else { "EMAIL_ADDRESS" },
            "VerifiedForSendingStatus": false
        }))
    }
}

/// Start the demo's SES on 127.0.0.1 (inside the runtime); its URL, for `ses_endpoint`.
pub fn start() -> anyhow::Result<String> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let listener = TcpListener::from_std(std_listener)?;
    let ses = Arc::new(Mutex::new(DemoSes::new()));
    tokio::spawn(serve(listener, ses));
    Ok(format!("http://{addr}"))
}

async fn serve(listener: TcpListener, ses: Arc<Mutex<DemoSes>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let ses = ses.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let ses = ses.clone();
                async move { Ok::<_, Infallible>(answer(req, &ses).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

async fn answer(req: Request<Incoming>, ses: &Mutex<DemoSes>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    // the pane's requests are small: a body past this is not read whole into memory
    let body = match http_body_util::Limited::new(body, 64 * 1024)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let (status, value) = reply(&parts.method, parts.uri.path(), &body, ses);
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    if let Ok(v) = "application/json".parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn reply(method: &Method, path: &str, body: &[u8], ses: &Mutex<DemoSes>) -> (StatusCode, Value) {
    let mut ses = ses.lock().unwrap_or_else(|p| p.into_inner());
    match (method, path.trim_end_matches('/')) {
        // the SDK asks with a POST to list-identities; the API's older form is a GET
        (&Method::POST, "/v2/email/list-identities") | (&Method::GET, "/v2/email/identities") => {
            (StatusCode::OK, ses.list())
        }
        (&Method::GET, "/v2/email/account") => (StatusCode::OK, DemoSes::account()),
        (&Method::POST, "/v2/email/identities") => match ses.create(body) {
            Ok(v) => (StatusCode::OK, v),
            Err(e) => e,
        },
        _ => (
            StatusCode::NOT_FOUND,
            json!({
                "__type": "NotFoundException",
                "message": format!("{method} {path}: not offered by the demo's SES"),
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Mode, WriteAccess};
    use crate::mail::senders::ses::{self, SesTarget, Verification};

    /// The pane's own SES reads, through the AWS SDK, get the demo's identities and account; an
    /// identity created is listed as pending, and creating it again is refused as SES does.
    #[tokio::test]
    async fn the_sdk_reads_the_demo_ses_and_creates_an_identity_there() {
        let target = SesTarget {
            region: "us-east-1".into(),
            endpoint: Some(start().unwrap()),
            demo_keys: true,
        };
        let snap = ses::snapshot(&target).await.unwrap();
        let names: Vec<(&str, Verification)> = snap
            .identities
            .iter()
            .map(|i| (i.name.as_str(), i.status))
            .collect();
        assert_eq!(
            names,
            vec![
                ("alerts@example.org", Verification::Verified),
                ("newsletter@example.net", Verification::Pending),
                ("noreply@example.com", Verification::Verified),
                ("old-brand.example", Verification::Failed),
                ("shop@example.com", Verification::Verified),
                ("web@example.com", Verification::Verified),
            ]
        );
        let account = snap.account.unwrap();
        assert!(account.production && account.sending_enabled);
        assert_eq!((account.sent_24h, account.max_24h), (48700.0, 50000.0));

        let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
        let verified = ses::create_identity(&access, &target, "root@mx1.example.com")
            .await
            .unwrap();
        assert!(!verified, "a new identity waits for its verification");
        let again = ses::create_identity(&access, &target, "root@mx1.example.com").await;
        assert!(
            again.unwrap_err().to_string().contains("already exist"),
            "a second create is refused"
        );
        let client = ses::connect(&target).await;
        let listed = ses::list_identities(&client, &target).await.unwrap();
        let root = listed
            .iter()
            .find(|i| i.name.as_str() == "root@mx1.example.com")
            .unwrap();
        assert_eq!(
            (root.status, root.is_domain),
            (Verification::Pending, false)
        );
    }
}
