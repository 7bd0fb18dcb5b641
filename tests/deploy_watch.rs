//! The source task notices a `git checkout` made outside opsdeck through
//! the `.git` watcher, long before its fallback poll would.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::sync::Arc;
use std::time::Duration;

use deploy_support::{Fixture, git};
use opsdeck::app::effect::{Runner, SourceEvent};
use opsdeck::config::Config;
use opsdeck::deploy::{self, DeployEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_checkout_is_seen_through_the_watcher() {
    let f = Fixture::new();
    let mut config = Config::default();
    config.deploy.push(f.config());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config),
    };
    deploy::start(&runner);

    let head_of = |ev: &SourceEvent| match ev {
        SourceEvent::Deploy(DeployEvent::Status { result: Ok(s), .. }) => {
            s.head.as_ref().map(|h| h.id.to_string())
        }
        _ => None,
    };
    // The first reading.
    let first = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("no first status")
        .unwrap();
    assert_eq!(head_of(&first), Some(f.commits[2].clone()));
    // Give the watcher a moment to be installed after the first reading.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let site = f.site.clone();
    let target = f.commits[1].clone();
    tokio::task::spawn_blocking(move || git(&site, &["checkout", "-q", "--detach", &target]))
        .await
        .unwrap();

    // A generous wait, still well below the fallback poll: only the watcher
    // can deliver it in time.
    assert!(deploy::POLL > Duration::from_secs(10));
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(ev) = rx.recv().await {
            if let SourceEvent::Deploy(DeployEvent::WatchFailed { message, .. }) = &ev {
                panic!("watcher failed: {message}");
            }
            if head_of(&ev).as_deref() == Some(f.commits[1].as_str()) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "the external checkout was not reported");
}
