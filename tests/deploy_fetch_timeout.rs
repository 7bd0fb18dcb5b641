//! A remote that takes the connection and then never answers: the fetch
//! gives up after libgit2's network timeout instead of hanging for ever
//! (with every deploy of the target waiting behind it). Its own test binary:
//! the timeouts are process globals, set before any other thread uses
//! libgit2.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::net::TcpListener;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use deploy_support::{Fixture, access, git};
use opsdeck::deploy::{DeployError, fetch};

#[test]
fn a_remote_that_never_answers_fails_the_fetch() {
    // SAFETY: the only test in this binary, before it starts any thread.
    unsafe {
        fetch::set_network_timeouts(Duration::from_secs(5), Duration::from_millis(500)).unwrap();
    }
    let f = Fixture::new();
    // Accepts connections (the kernel does, from the backlog) and never
    // says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "git://127.0.0.1:{}/remote.git",
        silent.local_addr().unwrap().port()
    );
    git(&f.site, &["remote", "set-url", "origin", &url]);
    // the fetch runs apart, so that a fetch that still hangs fails the test instead of holding
    // the suite (this is a guard against a hang, not a measure of speed)
    let config = f.config();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let cancel = AtomicBool::new(false);
        let _ = tx.send(fetch::fetch(&config, &cancel, |_| {}, &access()));
    });
    let result = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the fetch still waits on a remote that never answers");
    match result {
        Err(DeployError::Fetch { remote, message }) => {
            assert_eq!(remote, "origin");
            assert!(message.contains("timed out"), "{message}");
        }
        other => panic!("expected the fetch to time out, got {other:?}"),
    }
    drop(silent);
}
