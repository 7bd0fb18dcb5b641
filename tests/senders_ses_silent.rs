//! An SES endpoint that takes the connection and then never answers (a proxy or firewall that
//! swallows the traffic): the Senders pane's read of SES gives up instead of waiting for ever,
//! which kept the region pending and stopped every later SES read. Its own test binary: it sets
//! the AWS credentials in the environment, before any thread starts.

use std::net::TcpListener;
use std::time::Duration;

use opsdeck::mail::senders::ses::{self, SesTarget};

#[test]
fn an_ses_endpoint_that_never_answers_fails_the_read() {
    // SAFETY: the only test in this binary, before it starts any thread.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent");
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    }
    // Accepts connections (the kernel does, from the backlog) and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let target = SesTarget {
        region: "eu-west-1".into(),
        endpoint: Some(endpoint.clone()),
        demo_keys: false,
    };
    // the read runs apart, so that a read that still hangs fails the test instead of holding
    // the suite (a guard against a hang, not a measure of speed)
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = tx.send(rt.block_on(ses::snapshot_within(&target, Duration::from_millis(500))));
    });
    let result = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the SES read still waits on an endpoint that never answers");
    match result {
        Err(e) => assert_eq!(
            e.to_string(),
            format!(
                "SES read in eu-west-1: no answer from {endpoint} within 0.5 s (the next read \
                 tries again)"
            )
        ),
        Ok(s) => panic!("{s:?}"),
    }
}
