//! Fetching over ssh with the key held by a private `ssh-agent`. libssh2
//! finds the agent through `SSH_AUTH_SOCK` in the process environment (the
//! deploy fetch offers the agent when that variable is set), so this file
//! holds ONE test: it sets the variable in a test process no other test
//! shares.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::sync::atomic::AtomicBool;

use deploy_support::ssh::{Agent, Sshd, fingerprint, keygen};
use deploy_support::{Fixture, access, git};
use opsdeck::deploy::DeployConfig;
use opsdeck::deploy::fetch;

#[test]
fn fetch_over_ssh_through_the_agent_and_a_wrong_agent_key_is_bounded() {
    let mut f = Fixture::new();
    let new = f.commit(&[("agent.html", "by agent\n")], "Through the agent");
    f.push();
    let sshd = Sshd::start();
    git(
        &f.site,
        &["remote", "set-url", "origin", &sshd.url(&f.remote)],
    );
    let kh = sshd.dir.path().join("known_hosts");
    std::fs::write(&kh, format!("{}\n", sshd.known_hosts_line())).unwrap();
    let agent = Agent::start();
    let wrong = sshd.dir.path().join("wrong_ed25519");
    keygen(&wrong);
    agent.add(&wrong);
    // SAFETY: the only test in this binary; nothing else reads the
    // environment concurrently.
    unsafe { std::env::set_var("SSH_AUTH_SOCK", &agent.sock) };
    // No key file: the agent is the only way in.
    let cfg = DeployConfig {
        known_hosts: Some(kh),
        ..f.config()
    };
    let before = git(&f.site, &["rev-parse", "origin/main"]);

    // The agent holds only a key the server does not accept.
    let cancel = AtomicBool::new(false);
    let msg = match fetch::fetch(&cfg, &cancel, |_| {}, &access()) {
        Err(e) => e.to_string(),
        Ok(s) => panic!("a wrong agent key fetched: {s:?}"),
    };
    assert!(
        msg.contains("authentication failed after") && msg.contains("tried agent"),
        "{msg}"
    );
    assert!(
        !msg.contains("key,") && !msg.ends_with("key)"),
        "no key file is configured: {msg}"
    );
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), before);
    let wrong_fp = fingerprint(&wrong.with_extension("pub"));
    assert!(
        sshd.log_text().contains(&wrong_fp),
        "the agent's key {wrong_fp} was never offered:\n{}",
        sshd.log_text()
    );

    // Now the agent holds the authorized key.
    agent.clear();
    agent.add(&sshd.client_key);
    fetch::fetch(&cfg, &cancel, |_| {}, &access())
        .unwrap_or_else(|e| panic!("{e}\nsshd log:\n{}", sshd.log_text()));
    assert_eq!(git(&f.site, &["rev-parse", "origin/main"]), new);
    let log = sshd.log_text();
    let fp = fingerprint(&sshd.client_key.with_extension("pub"));
    assert!(
        log.contains(&format!("Accepted publickey for {}", sshd.user)) && log.contains(&fp),
        "sshd did not log a login with the agent's key {fp}:\n{log}"
    );
}
