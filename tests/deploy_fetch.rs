//! Fetching through git2 from a bare remote by `file://`, from `git daemon`
//! on 127.0.0.1 (a real network fetch), cancelling, and the bounded
//! credential plan against an HTTP server that rejects every attempt.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use deploy_support::{Fixture, GitDaemon, access, git};
use opsdeck::deploy::fetch::{self, MAX_CREDENTIAL_ATTEMPTS};
use opsdeck::deploy::{DeployError, status};

#[test]
fn fetch_over_file_url_updates_the_remote_tracking_branch() {
    let mut f = Fixture::new();
    let new = f.commit(&[("fresh.html", "fresh\n")], "Fresh");
    f.push();
    let cancel = AtomicBool::new(false);
    let sum = fetch::fetch(&f.config(), &cancel, |_| {}, &access()).unwrap();
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), new);
    let refs: Vec<_> = sum.updated.iter().map(|(r, _)| r.to_string()).collect();
    assert!(
        refs.contains(&"refs/remotes/origin/main".to_string()),
        "{refs:?}"
    );
    let s = status::read_status(&f.config()).unwrap();
    assert_eq!(s.upstream.unwrap().behind, 2);
    assert_eq!(f.head(), f.commits[2], "a fetch never moves HEAD");
}

/// A force-push that rewrote the branch (the deployed commit no longer on it) is said as git
/// says it; a plain push stays `old..new`.
#[test]
fn a_force_pushed_branch_is_reported_as_a_forced_update() {
    let mut f = Fixture::new();
    let fetch_now = |f: &Fixture| {
        let cancel = AtomicBool::new(false);
        let sum = fetch::fetch(&f.config(), &cancel, |_| {}, &access()).unwrap();
        sum.updated
            .into_iter()
            .find(|(r, _)| r.as_str() == "refs/remotes/origin/main")
            .map(|(_, c)| c)
    };
    let pushed = f.commit(&[("fresh.html", "fresh\n")], "Fresh");
    f.push();
    assert_eq!(
        fetch_now(&f),
        Some(format!("{}..{}", &f.commits[3][..7], &pushed[..7]))
    );
    // history rewritten from the deployed commit's parent on
    git(&f.dev, &["reset", "-q", "--hard", &f.commits[1]]);
    let rewritten = f.commit(&[("index.html", "rewritten\n")], "Rewritten");
    git(
        &f.dev,
        &["push", "-q", "-f", "origin", "HEAD:refs/heads/main"],
    );
    assert_eq!(
        fetch_now(&f),
        Some(format!(
            "{}...{} (forced update)",
            &pushed[..7],
            &rewritten[..7]
        ))
    );
    let up = status::read_status(&f.config()).unwrap().upstream.unwrap();
    assert_eq!(
        (up.ahead, up.behind),
        (1, 1),
        "the deployed commit is no longer on origin/main"
    );
}

/// A checkout cloned and never fetched since: the status says when the clone read the remote
/// (the pane said "up to date · never fetched"); a fetch then dates it.
#[test]
fn a_fresh_clone_is_dated_by_the_clone_not_called_never_fetched() {
    let f = Fixture::new();
    let clone = f.dir.path().join("fresh");
    let url = format!("file://{}", f.remote.display());
    git(
        f.dir.path(),
        &["clone", "-q", &url, clone.to_str().unwrap()],
    );
    assert!(!clone.join(".git/FETCH_HEAD").exists());
    let cfg = opsdeck::deploy::DeployConfig {
        path: clone.clone(),
        ..f.config()
    };
    let s = status::read_status(&cfg).unwrap();
    // the test's git commands are dated 2026-11-01T10:00:00Z
    assert_eq!(s.last_fetch, Some(1_793_527_200));
    let cancel = AtomicBool::new(false);
    fetch::fetch(&cfg, &cancel, |_| {}, &access()).unwrap();
    let s = status::read_status(&cfg).unwrap();
    assert!(
        s.last_fetch.unwrap() > 1_793_527_200,
        "FETCH_HEAD's time is the last fetch"
    );
}

/// A remote whose URL is a path that is no longer there is named as such, not as libgit2's
/// "unsupported URL protocol".
#[test]
fn a_remote_path_that_is_gone_is_said_so() {
    let f = Fixture::new();
    let gone = f.dir.path().join("x/gone.git");
    for url in [
        gone.display().to_string(),
        format!("file://{}", gone.display()),
    ] {
        git(&f.site, &["remote", "set-url", "origin", &url]);
        let cancel = AtomicBool::new(false);
        match fetch::fetch(&f.config(), &cancel, |_| {}, &access()) {
            Err(e @ DeployError::Fetch { .. }) => assert_eq!(
                e.to_string(),
                format!(
                    "fetch from origin: no repository at {} (the remote's URL): check `git remote -v` in {}",
                    gone.display(),
                    f.site.display()
                )
            ),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn a_shallow_clone_of_a_local_remote_is_not_broken_by_a_fetch() {
    let mut f = Fixture::new();
    let site = f.dir.path().join("shallow");
    let url = format!("file://{}", f.remote.display());
    git(
        f.dir.path(),
        &["clone", "-q", "--depth", "1", &url, site.to_str().unwrap()],
    );
    f.commit(&[("fresh.html", "fresh\n")], "Fresh");
    f.push();
    let cfg = opsdeck::deploy::DeployConfig {
        path: site.clone(),
        ..f.config()
    };
    let cancel = AtomicBool::new(false);
    match fetch::fetch(&cfg, &cancel, |_| {}, &access()) {
        Err(DeployError::Fetch { message, .. }) => {
            assert!(message.contains("shallow clone"), "{message}");
            assert!(message.contains("git fetch"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        site.join(".git/shallow").exists(),
        "the shallow roots are still recorded"
    );
    // git can still walk the history (it could not once .git/shallow was gone)
    assert_eq!(git(&site, &["rev-list", "--count", "HEAD"]), "1");
    git(&site, &["fsck", "--connectivity-only"]);
    assert_eq!(git(&site, &["rev-parse", "origin/main"]), f.commits[3]);
}

#[test]
fn fetch_from_git_daemon_reports_progress() {
    let mut f = Fixture::new();
    // Enough objects for a real pack.
    for i in 0..20 {
        f.commit(
            &[(&format!("page{i}.html"), &format!("page {i}\n").repeat(200))],
            &format!("Page {i}"),
        );
    }
    f.push();
    let daemon = GitDaemon::start(f.dir.path());
    let url = format!("git://127.0.0.1:{}/remote.git", daemon.port);
    git(&f.site, &["remote", "set-url", "origin", &url]);
    let seen = Mutex::new(Vec::new());
    let cancel = AtomicBool::new(false);
    let sum = fetch::fetch(
        &f.config(),
        &cancel,
        |p| seen.lock().unwrap().push(p),
        &access(),
    )
    .unwrap();
    assert_eq!(
        git(&f.site, &["rev-parse", "origin/main"]),
        *f.commits.last().unwrap()
    );
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty(), "no progress was reported");
    assert!(sum.progress.total_objects > 0);
    assert_eq!(sum.progress.received_objects, sum.progress.total_objects);
    assert!(sum.progress.received_bytes > 0);
}

#[test]
fn cancelled_fetch_stops_and_changes_no_ref() {
    let mut f = Fixture::new();
    for i in 0..5 {
        f.commit(&[(&format!("c{i}.txt"), "x\n")], &format!("C {i}"));
    }
    f.push();
    let daemon = GitDaemon::start(f.dir.path());
    git(
        &f.site,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("git://127.0.0.1:{}/remote.git", daemon.port),
        ],
    );
    let before = git(&f.site, &["rev-parse", "origin/main"]);
    let cancel = AtomicBool::new(true);
    match fetch::fetch(&f.config(), &cancel, |_| {}, &access()) {
        Err(DeployError::FetchCancelled { remote }) => assert_eq!(remote, "origin"),
        other => panic!("expected a cancelled fetch, got {other:?}"),
    }
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), before);
}

/// A remote URL with a token written into it, which libgit2 quotes whole when the fetch fails
/// (`failed to resolve path 'file://deploy:TOKEN@/...'`): the error names it without the token.
#[test]
fn a_token_in_the_remote_url_is_not_in_the_fetch_error() {
    let f = Fixture::new();
    let url = format!("file://deploy:ghp_NOTREAL0123@{}", f.remote.display());
    git(&f.site, &["remote", "set-url", "origin", &url]);
    let cancel = AtomicBool::new(false);
    let err = fetch::fetch(&f.config(), &cancel, |_| {}, &access())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "fetch from origin: failed to resolve path 'file://***@{}': No such file or directory",
            f.remote.display()
        )
    );
}

/// An HTTP server that answers every request with 401, counting them and
/// remembering whether a Basic authorization was offered.
fn rejecting_http_server() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let with_auth = Arc::new(AtomicUsize::new(0));
    let (r, a) = (requests.clone(), with_auth.clone());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { return };
            r.fetch_add(1, Ordering::SeqCst);
            let mut rd = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while rd.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line
                    .to_ascii_lowercase()
                    .starts_with("authorization: basic ")
                {
                    a.fetch_add(1, Ordering::SeqCst);
                }
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let _ = conn.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"deploy\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, requests, with_auth)
}

#[test]
fn rejected_credentials_end_after_a_bounded_number_of_attempts() {
    let f = Fixture::new();
    let (port, requests, with_auth) = rejecting_http_server();
    git(
        &f.site,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("http://127.0.0.1:{port}/remote.git"),
        ],
    );
    let mut cfg = f.config();
    // A variable only this test sets (the process environment is shared by
    // the tests of this file, so the name is unique).
    let var = format!("OPSDECK_TEST_TOKEN_{}", std::process::id());
    // SAFETY: no other thread of this test binary reads or writes this variable.
    unsafe { std::env::set_var(&var, "wrong-token") };
    cfg.token_env = Some(var);
    let cancel = AtomicBool::new(false);
    let err = fetch::fetch(&cfg, &cancel, |_| {}, &access()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("authentication failed"), "{msg}");
    assert!(
        msg.contains("token"),
        "the message says what was tried: {msg}"
    );
    assert!(
        with_auth.load(Ordering::SeqCst) >= 1,
        "the token was offered"
    );
    let n = requests.load(Ordering::SeqCst);
    assert!(
        n <= MAX_CREDENTIAL_ATTEMPTS + 2,
        "{n} requests: the credential loop is not bounded"
    );
}

/// A port taken between its pick and git daemon's start (by another test's listener, as every
/// in-process server binds port 0) neither fails the test nor leaves it fetching from that
/// listener: the daemon starts again on another port, and a fetch from the port it reports
/// gets the remote's commits.
#[test]
fn git_daemon_starts_on_another_port_when_its_port_is_taken() {
    let f = Fixture::new();
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let candidates = std::iter::once([taken]).chain(deploy_support::ports::fresh_ports());
    let daemon = GitDaemon::start_trying(f.dir.path(), candidates);
    assert_ne!(
        daemon.port, taken,
        "git daemon was reported on the port the test holds"
    );
    let url = format!("git://127.0.0.1:{}/remote.git", daemon.port);
    let heads = git(f.dir.path(), &["ls-remote", &url, "refs/heads/main"]);
    assert!(heads.starts_with(f.commits.last().unwrap()), "{heads}");
}

/// A daemon that never listens fails its test and is not left running after it: the wait
/// stops it before it panics.
#[test]
fn a_daemon_that_never_listens_is_stopped_when_the_wait_gives_up() {
    let mut child = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let pid = child.id();
    let [port] = deploy_support::ports::free_ports();
    let gave_up = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        deploy_support::ports::wait_listening(
            &mut child,
            "sleep",
            &[port],
            std::time::Duration::ZERO,
        )
    }));
    let message = gave_up.expect_err("the wait gave up");
    assert!(
        message
            .downcast_ref::<String>()
            .is_some_and(|m| m.contains("sleep") && m.contains("did not listen")),
        "{message:?}"
    );
    let still_there = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(!still_there, "pid {pid} was left running");
}
