//! The source task notices a `git checkout` made outside opsdeck through
//! the `.git` watcher, long before its fallback poll would; and says so when
//! a read of the checkout hangs, then reports the read's answer when it comes.

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
    // The watcher is set up after the first reading, and nothing says when it is in place: a
    // checkout made before then goes unseen. So the checkout is made again (away and back) each
    // second until it is reported, all within a window well below the fallback poll: only the
    // watcher can deliver it in time.
    assert!(deploy::POLL > Duration::from_secs(10));
    let (away, target) = (f.commits[2].clone(), f.commits[1].clone());
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        for attempt in 0.. {
            let (site, away, to) = (f.site.clone(), away.clone(), target.clone());
            tokio::task::spawn_blocking(move || {
                if attempt > 0 {
                    git(&site, &["checkout", "-q", "--detach", &away]);
                }
                git(&site, &["checkout", "-q", "--detach", &to]);
            })
            .await
            .unwrap();
            let again = tokio::time::Instant::now() + Duration::from_secs(1);
            while let Ok(ev) = tokio::time::timeout_at(again, rx.recv()).await {
                let ev = ev.expect("the deploy source ended");
                if let SourceEvent::Deploy(DeployEvent::WatchFailed { message, .. }) = &ev {
                    panic!("watcher failed: {message}");
                }
                if head_of(&ev).as_deref() == Some(target.as_str()) {
                    return attempt;
                }
            }
        }
        unreachable!()
    })
    .await;
    assert!(seen.is_ok(), "the external checkout was not reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_read_that_hangs_is_said_and_its_answer_still_reported() {
    use std::os::unix::fs::OpenOptionsExt;

    let f = Fixture::new();
    // The checkout's index, read with the status, as a named pipe: git2's opening of it waits
    // for a writer, as a read on a hung NFS mount waits for the server. (The deploy journal and
    // lock are opened without waiting, so they cannot stand in for a hung disk.)
    let index = f.git_dir().join("index");
    std::fs::remove_file(&index).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&index)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    // Whatever happens, the pipe is opened for writing at the end, so that the waiting read
    // ends and the test fails instead of hanging.
    struct Release(std::path::PathBuf);
    impl Drop for Release {
        fn drop(&mut self) {
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(0o4000)
                .open(&self.0);
        }
    }
    let _release = Release(index.clone());
    let mut config = Config::default();
    config.deploy.push(f.config());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config),
    };
    let read = tokio::spawn(async move {
        deploy::refresh_within(&runner, 0, Duration::from_millis(300)).await
    });

    let first = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("nothing said of a read that hangs")
        .unwrap();
    match first {
        SourceEvent::Deploy(DeployEvent::StatusSlow { target: 0, after }) => {
            assert_eq!(after, Duration::from_millis(300))
        }
        other => panic!("{other:?}"),
    }

    // The file system answers: the waiting read gets its answer, here that the index is no file
    // git reads, and it is reported as any status read's.
    tokio::task::spawn_blocking(move || {
        // non-blocking: fails at once if nobody is reading (ENXIO) instead of hanging the test
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(0o4000)
            .open(&index)
            .expect("the status read is waiting on the index");
    })
    .await
    .unwrap();
    let second = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the read's answer never came")
        .unwrap();
    match second {
        SourceEvent::Deploy(DeployEvent::Status {
            target: 0,
            result: Err(e),
        }) => assert!(e.to_string().contains("failed to read index"), "{e}"),
        other => panic!("{other:?}"),
    }
    read.await.unwrap();
}
