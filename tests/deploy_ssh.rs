//! Fetching over ssh from a private `sshd` on 127.0.0.1: with a configured
//! key file, a plain and a hashed known_hosts entry; a key the server does
//! not accept fails after a bounded number of credential requests; an
//! unknown or changed host key refuses the fetch before any credential is
//! offered. (The ssh-agent path is in deploy_ssh_agent.rs: it needs
//! `SSH_AUTH_SOCK` in the process environment.)

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::AtomicBool;

use deploy_support::ssh::{Sshd, fingerprint, keygen};
use deploy_support::{Fixture, access, git};
use opsdeck::deploy::fetch::{self, MAX_CREDENTIAL_ATTEMPTS};
use opsdeck::deploy::{DeployConfig, DeployError};

/// A fixture whose remote has a commit the site has not fetched, and an
/// sshd serving it; the site's origin points at the server.
fn setup() -> (Fixture, Sshd, String) {
    let mut f = Fixture::new();
    let new = f.commit(&[("over-ssh.html", "by ssh\n")], "Over ssh");
    f.push();
    let sshd = Sshd::start();
    git(
        &f.site,
        &["remote", "set-url", "origin", &sshd.url(&f.remote)],
    );
    (f, sshd, new)
}

fn known_hosts(sshd: &Sshd, text: &str) -> PathBuf {
    let p = sshd.dir.path().join("known_hosts");
    std::fs::write(&p, text).unwrap();
    p
}

fn config(f: &Fixture, key: PathBuf, kh: PathBuf) -> DeployConfig {
    DeployConfig {
        ssh_key: Some(key),
        known_hosts: Some(kh),
        ..f.config()
    }
}

fn fetch_err(cfg: &DeployConfig) -> String {
    let cancel = AtomicBool::new(false);
    match fetch::fetch(cfg, &cancel, |_| {}, &access()) {
        Err(e @ DeployError::Fetch { .. }) => e.to_string(),
        other => panic!("expected a refused fetch, got {other:?}"),
    }
}

#[test]
fn fetch_over_ssh_with_a_key_file() {
    let (f, sshd, new) = setup();
    let kh = known_hosts(&sshd, &format!("{}\n", sshd.known_hosts_line()));
    let cfg = config(&f, sshd.client_key.clone(), kh);
    let cancel = AtomicBool::new(false);
    let sum = fetch::fetch(&cfg, &cancel, |_| {}, &access())
        .unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log_text()));
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), new);
    assert!(
        sum.updated
            .iter()
            .any(|(r, _)| *r == "refs/remotes/origin/main"),
        "{:?}",
        sum.updated
    );
    let log = sshd.log_text();
    let fp = fingerprint(&sshd.client_key.with_extension("pub"));
    assert!(
        log.contains(&format!("Accepted publickey for {}", sshd.user)) && log.contains(&fp),
        "sshd did not log a login with the configured key {fp}:\n{log}"
    );
}

#[test]
fn a_hashed_known_hosts_entry_is_honoured() {
    let (f, sshd, new) = setup();
    let kh = known_hosts(&sshd, &format!("{}\n", sshd.known_hosts_line()));
    // Debian's ssh_config hashes known_hosts names (HashKnownHosts yes).
    let out = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&kh)
        .output()
        .expect("ssh-keygen (package openssh-client) is required");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(
        text.starts_with("|1|") && !text.contains("127.0.0.1"),
        "not hashed: {text}"
    );
    let cfg = config(&f, sshd.client_key.clone(), kh);
    fetch::fetch(&cfg, &AtomicBool::new(false), |_| {}, &access())
        .unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log_text()));
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), new);
}

#[test]
fn a_key_the_server_refuses_fails_after_bounded_attempts() {
    let (f, sshd, _) = setup();
    let before = git(&f.site, &["rev-parse", "origin/main"]);
    let kh = known_hosts(&sshd, &format!("{}\n", sshd.known_hosts_line()));
    let wrong = sshd.dir.path().join("wrong_ed25519");
    keygen(&wrong);
    let msg = fetch_err(&config(&f, wrong.clone(), kh));
    assert!(msg.contains("authentication failed after"), "{msg}");
    assert!(
        msg.contains("key"),
        "the message says what was tried: {msg}"
    );
    let n: usize = msg
        .split("authentication failed after ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in {msg}"));
    assert!(
        (1..=MAX_CREDENTIAL_ATTEMPTS).contains(&n),
        "{n} credential requests: {msg}"
    );
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), before);
    let log = sshd.log_text();
    assert!(
        !log.contains("Accepted publickey"),
        "the wrong key got in:\n{log}"
    );
    // The server saw the wrong key offered (and refused it).
    let fp = fingerprint(&wrong.with_extension("pub"));
    assert!(log.contains(&fp), "sshd never saw key {fp}:\n{log}");
}

#[test]
fn an_unknown_host_key_is_refused_before_any_credential() {
    let (f, sshd, _) = setup();
    let before = git(&f.site, &["rev-parse", "origin/main"]);
    // Another host's entry only.
    let other = sshd.dir.path().join("other_ed25519");
    let other_pub = keygen(&other);
    let kh = known_hosts(&sshd, &format!("example.org {other_pub}\n"));
    let msg = fetch_err(&config(&f, sshd.client_key.clone(), kh.clone()));
    let host_fp = fingerprint(&sshd.host_pub);
    assert!(
        msg.contains(&format!("[127.0.0.1]:{}", sshd.port)) && msg.contains("is not in"),
        "{msg}"
    );
    assert!(
        msg.contains(&host_fp),
        "the fingerprint {host_fp} is shown: {msg}"
    );
    assert!(
        msg.contains(&format!(
            "ssh-keyscan -p {} 127.0.0.1 >> {}",
            sshd.port,
            kh.display()
        )),
        "{msg}"
    );
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), before);
    let log = sshd.log_text();
    assert!(
        !log.contains("publickey"),
        "a credential was offered to an unknown host:\n{log}"
    );
    // A known_hosts file that does not exist trusts nobody either.
    let missing = sshd.dir.path().join("no-such-known_hosts");
    let msg = fetch_err(&config(&f, sshd.client_key.clone(), missing));
    assert!(msg.contains("does not exist"), "{msg}");
}

#[test]
fn a_changed_host_key_is_refused() {
    let (f, sshd, _) = setup();
    let before = git(&f.site, &["rev-parse", "origin/main"]);
    let imposter = sshd.dir.path().join("imposter_ed25519");
    let imposter_pub = keygen(&imposter);
    let key = imposter_pub.split_whitespace().nth(1).unwrap();
    let kh = known_hosts(
        &sshd,
        &format!("[127.0.0.1]:{} ssh-ed25519 {key}\n", sshd.port),
    );
    let msg = fetch_err(&config(&f, sshd.client_key.clone(), kh));
    assert!(msg.contains("does NOT match"), "{msg}");
    assert!(msg.contains(&fingerprint(&sshd.host_pub)), "{msg}");
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), before);
    assert!(
        !sshd.log_text().contains("publickey"),
        "a credential was offered to a host with a changed key"
    );
}

/// A port taken between its pick and sshd's start (by another test's listener, as every
/// in-process server binds port 0) neither fails the test nor leaves it talking to that
/// listener: sshd starts again on another port, and the port it reports greets as OpenSSH.
#[test]
fn sshd_starts_on_another_port_when_its_port_is_taken() {
    use std::io::{BufRead, BufReader};
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let candidates = std::iter::once([taken]).chain(deploy_support::ports::fresh_ports());
    let sshd = Sshd::start_trying(candidates);
    assert_ne!(
        sshd.port, taken,
        "sshd was reported on the port the test holds"
    );
    let conn = std::net::TcpStream::connect(("127.0.0.1", sshd.port)).unwrap();
    let mut greeting = String::new();
    BufReader::new(conn).read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("SSH-2.0-OpenSSH"), "{greeting:?}");
}
