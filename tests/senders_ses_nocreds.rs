//! With no AWS credentials anywhere in the standard chain, reading SES is a
//! clear error that says so (and the SDK never reaches the endpoint). Its
//! own test binary: the environment it sets must not leak into the others.

#[path = "support/ses_replay.rs"]
mod ses_replay;

use opsdeck::mail::senders::ses::{self, SesTarget};

#[tokio::test]
async fn no_credentials_is_a_clear_state() {
    // SAFETY: the only test in this process, run before any client exists.
    unsafe {
        for k in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            std::env::remove_var(k);
        }
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/opsdeck-test");
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/opsdeck-test");
    }
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "GET /v2/email/identities?PageSize=100".into(),
        (200, ses_replay::fixture("list_identities_page2.json")),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let t = SesTarget {
        region: "us-east-1".into(),
        endpoint: Some(server.endpoint()),
        demo_keys: false,
    };
    let err = ses::snapshot(&t).await.unwrap_err().to_string();
    assert!(
        err.starts_with("SES ListEmailIdentities in us-east-1:"),
        "{err}"
    );
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(
        server.requests.lock().unwrap().is_empty(),
        "an unsigned request was sent"
    );
}
