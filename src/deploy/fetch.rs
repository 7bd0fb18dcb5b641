//! Fetching the target's remote through git2: progress, cancel and a
//! bounded credential plan (ssh-agent, a key file, an HTTPS token from the
//! environment, the git credential helper).
//!
//! libgit2 asks for credentials again after every rejection; the plan tries
//! each method at most once and gives up after [`MAX_CREDENTIAL_ATTEMPTS`],
//! so a wrong password can never loop. An ssh server's host key must be
//! listed in the known_hosts file (see [`crate::deploy::hostkey`]): an
//! unknown or changed key refuses the fetch before any credential is sent. Blocking: call from
//! `spawn_blocking`. It only updates remote-tracking refs and tags, never
//! the work tree or HEAD.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use git2::{Cred, CredentialType, FetchOptions, RemoteCallbacks};

use crate::access::WriteAccess;
use crate::deploy::DeployConfig;
use crate::deploy::error::DeployError;
use crate::deploy::hostkey;
use crate::deploy::status;
use crate::sanitize::Clean;

/// Hard cap on credential callbacks for one fetch.
pub const MAX_CREDENTIAL_ATTEMPTS: usize = 6;

/// How long a fetch waits for the connection to the remote.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a fetch waits for the remote's next byte. A remote that takes
/// the connection and then says nothing (a hung git daemon or ssh server, a
/// firewall that swallows the traffic) would otherwise hold the fetch, and
/// every deploy of that target behind it, for ever: cancelling cannot reach
/// libgit2 while it waits on the socket.
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Set libgit2's network timeouts (connect, then each read and write) for
/// every fetch of this process.
///
/// # Safety
/// libgit2 keeps them in globals written without synchronization: call this
/// before any other thread that may use libgit2 starts.
pub unsafe fn set_network_timeouts(connect: Duration, io: Duration) -> Result<(), git2::Error> {
    let ms = |d: Duration| std::ffi::c_int::try_from(d.as_millis()).unwrap_or(std::ffi::c_int::MAX);
    // SAFETY: the caller guarantees no other thread uses libgit2 yet.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(ms(connect))?;
        git2::opts::set_server_timeout_in_milliseconds(ms(io))
    }
}

/// Transfer progress as libgit2 reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchProgress {
    pub received_objects: usize,
    pub indexed_objects: usize,
    pub total_objects: usize,
    pub received_bytes: usize,
}

/// What a fetch changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchSummary {
    /// Updated refs: name and "old..new" (short ids), "old...new (forced update)" when the
    /// remote's history was rewritten.
    pub updated: Vec<(Clean, String)>,
    pub progress: FetchProgress,
}

/// One way of answering libgit2's request for credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredMethod {
    Username(String),
    SshAgent(String),
    SshKey { user: String, key: PathBuf },
    Token { user: String, var: String },
    Helper,
}

/// Which credential to offer next: each method at most once, a hard cap
/// on the number of calls.
#[derive(Debug, Default)]
pub struct CredentialPlan {
    pub ssh_key: Option<PathBuf>,
    pub token_env: Option<String>,
    /// `SSH_AUTH_SOCK` is set.
    pub agent: bool,
    calls: usize,
    tried: Vec<&'static str>,
}

impl CredentialPlan {
    pub fn new(cfg: &DeployConfig) -> CredentialPlan {
        CredentialPlan {
            ssh_key: cfg.ssh_key.clone(),
            token_env: cfg.token_env.clone(),
            agent: std::env::var_os("SSH_AUTH_SOCK").is_some(),
            ..CredentialPlan::default()
        }
    }

    fn once(&mut self, name: &'static str) -> bool {
        if self.tried.contains(&name) {
            false
        } else {
            self.tried.push(name);
            true
        }
    }

    /// The next method to try, None when the plan is exhausted.
    pub fn next(
        &mut self,
        user_from_url: Option<&str>,
        allowed: CredentialType,
    ) -> Option<CredMethod> {
        self.calls += 1;
        if self.calls > MAX_CREDENTIAL_ATTEMPTS {
            return None;
        }
        let user = user_from_url.unwrap_or("git").to_string();
        if allowed.contains(CredentialType::USERNAME) && self.once("username") {
            return Some(CredMethod::Username(user));
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            if self.agent && self.once("agent") {
                return Some(CredMethod::SshAgent(user));
            }
            if let Some(key) = self.ssh_key.clone()
                && self.once("key")
            {
                return Some(CredMethod::SshKey { user, key });
            }
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            if let Some(var) = self.token_env.clone()
                && self.once("token")
            {
                let user = user_from_url.unwrap_or("x-access-token").to_string();
                return Some(CredMethod::Token { user, var });
            }
            if self.once("helper") {
                return Some(CredMethod::Helper);
            }
        }
        None
    }

    /// How many times libgit2 asked.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// What was tried, for the error message.
    pub fn tried(&self) -> String {
        if self.tried.is_empty() {
            "nothing suitable configured".into()
        } else {
            format!("tried {}", self.tried.join(", "))
        }
    }
}

fn make_cred(m: &CredMethod, url: &str) -> Result<Cred, git2::Error> {
    match m {
        CredMethod::Username(u) => Cred::username(u),
        CredMethod::SshAgent(u) => Cred::ssh_key_from_agent(u),
        CredMethod::SshKey { user, key } => {
            // libssh2 reads the key by its name, to its end: a FIFO or a device there would
            // hold the fetch. Only a plain file (a link to one) is handed to it.
            match std::fs::metadata(key) {
                Ok(m) if !m.is_file() => Err(git2::Error::from_str(&format!(
                    "ssh_key {} is {}, not a plain file",
                    crate::sanitize::Clean::new(&key.display().to_string()),
                    crate::plainfile::kind(&m)
                ))),
                _ => Cred::ssh_key(user, None, key, None),
            }
        }
        CredMethod::Token { user, var } => match std::env::var(var) {
            Ok(tok) => Cred::userpass_plaintext(user, &tok),
            Err(_) => Err(git2::Error::from_str(&format!("${var} is not set"))),
        },
        CredMethod::Helper => {
            let cfg = git2::Config::open_default()?;
            Cred::credential_helper(&cfg, url, None)
        }
    }
}

/// Does libgit2 fetch from `url` with its local transport (a `file://` URL,
/// or a directory path without a `:`), which cannot keep a shallow clone's
/// shallow roots?
fn local_transport(url: &str) -> bool {
    url.starts_with("file://") || (!url.contains(':') && std::path::Path::new(url).is_dir())
}

/// The path a remote's URL names when it is a local path (no `scheme://`, no `host:path`,
/// or a `file://` URL) and nothing is there: libgit2 then says "unsupported URL protocol"
/// or "failed to resolve path", which points nowhere near the cause.
fn missing_local_path(url: &str) -> Option<&str> {
    let path = match url.strip_prefix("file://") {
        // `file:///path` only: a host or a user (a token) before the path is libgit2's to
        // refuse, and its words are said with the token hidden
        Some(p) if p.starts_with('/') => p,
        Some(_) => return None,
        None if url.contains("://") => return None,
        // scp-like `host:path` (a `:` before any `/`)
        None if url.split('/').next().is_some_and(|head| head.contains(':')) => return None,
        None => url,
    };
    (!path.is_empty() && !std::path::Path::new(path).exists()).then_some(path)
}

/// A ref's move as git's own fetch prints it: `old..new` when the new commit descends from the
/// old one, `old...new (forced update)` when the remote's history was rewritten (a force-push:
/// the commits after the fork point are gone from that branch, a deployed one maybe too).
fn describe_update(repo: &git2::Repository, old: git2::Oid, new: git2::Oid) -> String {
    if old.is_zero() {
        return format!("new..{}", status::short_id(new));
    }
    let (o, n) = (status::short_id(old), status::short_id(new));
    if new.is_zero() {
        return format!("{o} deleted");
    }
    match repo.graph_descendant_of(new, old) {
        Ok(false) => format!("{o}...{n} (forced update)"),
        _ => format!("{o}..{n}"),
    }
}

/// Fetch the target's remote. `progress` is called at most every 100 ms;
/// setting `cancel` stops the transfer.
pub fn fetch(
    cfg: &DeployConfig,
    cancel: &AtomicBool,
    mut progress: impl FnMut(FetchProgress),
    _access: &WriteAccess,
) -> Result<FetchSummary, DeployError> {
    let path = cfg.path.as_path();
    let repo = status::open(path)?;
    // libgit2 may quote the remote's URL, with a token written into it
    let remote_err = |message: String| DeployError::Fetch {
        remote: cfg.remote.clone(),
        message: crate::sanitize::hide_url_userinfo(&message).into_owned(),
    };
    let mut remote = repo
        .find_remote(&cfg.remote)
        .map_err(|e| remote_err(e.message().to_string()))?;
    if repo.is_shallow() && remote.url().is_ok_and(local_transport) {
        return Err(remote_err(
            "the checkout is a shallow clone and the remote a local path: libgit2 would fetch \
             and then drop .git/shallow, leaving a repository git cannot read. Fetch with git \
             (git fetch), or make the checkout whole once (git fetch --unshallow)"
                .into(),
        ));
    }
    let mut plan = CredentialPlan::new(cfg);
    let mut last = FetchProgress::default();
    let mut updated = Vec::new();
    let ssh_port = remote.url().ok().and_then(hostkey::ssh_port);
    let known_hosts = hostkey::known_hosts_path(cfg.known_hosts.as_deref());
    // libgit2 replaces the callback's error with a generic one: keep ours.
    let mut host_refused: Option<String> = None;
    let res = {
        let mut cbs = RemoteCallbacks::new();
        cbs.certificate_check(|cert, host| {
            let Some(hk) = cert.as_hostkey() else {
                // TLS: libgit2's own verification decides.
                return Ok(git2::CertificateCheckStatus::CertificatePassthrough);
            };
            let describe = format!(
                "{} {}",
                hk.hostkey_type().map_or("unknown", |t| t.short_name()),
                hk.hash_sha256()
                    .map_or_else(|| "(no SHA256)".to_string(), |h| hostkey::fingerprint(h))
            );
            let verdict = match hk.hostkey() {
                Some(key) => hostkey::check(
                    known_hosts.as_deref(),
                    host,
                    ssh_port.unwrap_or(22),
                    key,
                    &describe,
                ),
                None => hostkey::Verdict::Refused(format!(
                    "host key of {host} ({describe}): the raw key is not available to check"
                )),
            };
            match verdict {
                hostkey::Verdict::Known => Ok(git2::CertificateCheckStatus::CertificateOk),
                hostkey::Verdict::Refused(why) => {
                    let e = git2::Error::from_str(&why);
                    host_refused = Some(why);
                    Err(e)
                }
            }
        });
        let mut last_sent: Option<Instant> = None;
        cbs.credentials(|url, user, allowed| {
            // A method that cannot even produce a credential (no agent key,
            // unset variable, no helper) falls through to the next one.
            while let Some(m) = plan.next(user, allowed) {
                if let Ok(c) = make_cred(&m, url) {
                    return Ok(c);
                }
            }
            Err(git2::Error::from_str(&format!(
                "authentication failed after {} request(s) for credentials ({})",
                plan.calls().min(MAX_CREDENTIAL_ATTEMPTS),
                plan.tried()
            )))
        });
        cbs.transfer_progress(|p| {
            last = FetchProgress {
                received_objects: p.received_objects(),
                indexed_objects: p.indexed_objects(),
                total_objects: p.total_objects(),
                received_bytes: p.received_bytes(),
            };
            if last_sent.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) {
                last_sent = Some(Instant::now());
                progress(last);
            }
            !cancel.load(Ordering::Relaxed)
        });
        cbs.sideband_progress(|_| !cancel.load(Ordering::Relaxed));
        cbs.update_tips(|name, old, new| {
            updated.push((Clean::capped(name, 200), old, new));
            true
        });
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(cbs);
        fo.download_tags(git2::AutotagOption::All);
        remote.fetch::<&str>(&[], Some(&mut fo), Some("opsdeck: fetch"))
    };
    match res {
        Ok(()) => Ok(FetchSummary {
            updated: updated
                .into_iter()
                .map(|(name, old, new)| (name, describe_update(&repo, old, new)))
                .collect(),
            progress: last,
        }),
        Err(_) if cancel.load(Ordering::Relaxed) => Err(DeployError::FetchCancelled {
            remote: cfg.remote.clone(),
        }),
        Err(_) if host_refused.is_some() => Err(remote_err(host_refused.unwrap_or_default())),
        Err(e) => match remote.url().ok().and_then(missing_local_path) {
            Some(gone) => Err(remote_err(format!(
                "no repository at {gone} (the remote's URL): check `git remote -v` in {}",
                path.display()
            ))),
            None => Err(remote_err(e.message().to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_local_path_that_is_not_there_is_missing() {
        assert_eq!(
            missing_local_path("/nonexistent/gone.git"),
            Some("/nonexistent/gone.git")
        );
        assert_eq!(
            missing_local_path("file:///nonexistent/gone.git"),
            Some("/nonexistent/gone.git")
        );
        assert_eq!(missing_local_path("/tmp"), None);
        assert_eq!(
            missing_local_path("file://deploy:TOKEN@/nonexistent/gone.git"),
            None
        );
        assert_eq!(missing_local_path("git@example.org:site.git"), None);
        assert_eq!(missing_local_path("example.org:/srv/site.git"), None);
        assert_eq!(missing_local_path("https://example.org/site.git"), None);
        assert_eq!(missing_local_path("ssh://example.org/nonexistent"), None);
    }

    /// A key file that is a FIFO is refused at once, saying so, never handed to libssh2 (which
    /// would wait for a writer).
    #[test]
    fn a_key_that_is_a_fifo_is_refused_not_waited_on() {
        let d = tempfile::tempdir().unwrap();
        let key = d.path().join("id_ed25519");
        nix::unistd::mkfifo(&key, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let m = CredMethod::SshKey {
            user: "git".into(),
            key: key.clone(),
        };
        let Err(e) = make_cred(&m, "ssh://git@example.org/site.git") else {
            panic!("a FIFO taken as a key")
        };
        assert_eq!(
            e.message(),
            format!(
                "ssh_key {} is a FIFO (named pipe), not a plain file",
                key.display()
            )
        );
    }

    #[test]
    fn every_method_is_tried_once_then_the_plan_gives_up() {
        let mut p = CredentialPlan {
            ssh_key: Some("/k".into()),
            token_env: Some("TOK".into()),
            agent: true,
            ..Default::default()
        };
        let all = CredentialType::SSH_KEY | CredentialType::USER_PASS_PLAINTEXT;
        let mut seen = Vec::new();
        // libgit2 calls again after every rejection; the plan must end.
        for _ in 0..100 {
            match p.next(Some("deploy"), all) {
                Some(m) => seen.push(m),
                None => break,
            }
        }
        assert_eq!(
            seen,
            vec![
                CredMethod::SshAgent("deploy".into()),
                CredMethod::SshKey {
                    user: "deploy".into(),
                    key: "/k".into()
                },
                CredMethod::Token {
                    user: "deploy".into(),
                    var: "TOK".into()
                },
                CredMethod::Helper,
            ]
        );
        assert_eq!(p.tried(), "tried agent, key, token, helper");
    }

    #[test]
    fn the_cap_holds_even_if_methods_remained() {
        let mut p = CredentialPlan::default();
        let mut n = 0;
        while p
            .next(
                None,
                CredentialType::USERNAME | CredentialType::USER_PASS_PLAINTEXT,
            )
            .is_some()
        {
            n += 1;
            assert!(n <= MAX_CREDENTIAL_ATTEMPTS);
        }
        assert_eq!(n, 2, "username, then the credential helper");
    }

    #[test]
    fn https_token_uses_a_default_user() {
        let mut p = CredentialPlan {
            token_env: Some("T".into()),
            ..Default::default()
        };
        assert_eq!(
            p.next(None, CredentialType::USER_PASS_PLAINTEXT),
            Some(CredMethod::Token {
                user: "x-access-token".into(),
                var: "T".into()
            })
        );
    }
}
