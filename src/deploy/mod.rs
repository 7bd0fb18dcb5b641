//! Deploy: the deploy checkout of one or more targets, read through git2,
//! with fetch, checkout of any revision, rollback, hooks, a deploy lock and
//! a journal.
//!
//! Layout of this folder: `status` reads a checkout, `checkout` previews
//! and deploys, `fetch` talks to the remote, `lock`, `journal` and `hooks`
//! are what their names say, `watch` notices changes made by others,
//! `pane` is the pane's state and update, `view` draws it, `demo` builds the
//! demo sandbox. This file holds the configuration, the event and effect
//! types, and the glue that runs effects off the event loop.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Deserialize;

use crate::access::WriteAccess;
use crate::app::effect::{Runner, SourceEvent};

pub mod check;
pub mod checkout;
pub mod demo;
pub mod error;
pub mod fetch;
pub mod hooks;
pub mod hostkey;
mod intree;
pub mod journal;
pub mod lock;
pub mod pane;
pub mod status;
#[cfg(test)]
pub(crate) mod testdata;
pub mod view;
pub mod watch;

pub use checkout::{DeployOutcome, DeployRequest, Kind, Preview};
pub use error::DeployError;
pub use pane::{DeployAction, DeployPane};
pub use status::RepoStatus;

/// How a deploy moves HEAD.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CheckoutStyle {
    /// HEAD detached at the deployed commit (the branch stays where it is).
    #[default]
    Detached,
    /// The configured branch is moved to the deployed commit.
    Branch,
}

/// One `[[deploy]]` target.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {
    /// Shown in the pane.
    #[serde(default = "default_name")]
    pub name: String,
    /// The work tree (the docroot checkout).
    #[serde(default)]
    pub path: PathBuf,
    #[serde(default = "default_remote")]
    pub remote: String,
    /// The branch deployed from (compared as `<remote>/<branch>`).
    #[serde(default = "default_branch")]
    pub branch: String,
    /// How many deployed commits the log shows (new ones are always listed).
    #[serde(default = "default_log_entries")]
    pub log_entries: usize,
    #[serde(default)]
    pub checkout: CheckoutStyle,
    /// Run with `sh -c` in the work tree after a deploy.
    #[serde(default)]
    pub post_deploy: Option<String>,
    /// Timeout for the post-checkout hook and the post-deploy command.
    #[serde(default = "default_hook_timeout")]
    pub hook_timeout_secs: u64,
    /// Probe every target after a deploy.
    #[serde(default)]
    pub probe_after: bool,
    /// SSH private key for the remote (after ssh-agent).
    #[serde(default)]
    pub ssh_key: Option<PathBuf>,
    /// Environment variable holding an HTTPS token for the remote.
    #[serde(default)]
    pub token_env: Option<String>,
    /// known_hosts file for an ssh remote's host key (default
    /// `$HOME/.ssh/known_hosts`); an unlisted or different key is refused.
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// Who may fetch, deploy, roll back and run the hook here: user names and `%group`s (empty:
    /// anyone who may run the console and write the checkout). Under sudo the person is the user
    /// who ran sudo. A guard rail for a team that shares root through sudo; the checkout's file
    /// permissions stay the boundary.
    #[serde(default, deserialize_with = "crate::config::one_or_many")]
    pub deployers: Vec<String>,
}

fn default_name() -> String {
    "site".into()
}
fn default_remote() -> String {
    "origin".into()
}
fn default_branch() -> String {
    "main".into()
}
fn default_log_entries() -> usize {
    10
}
fn default_hook_timeout() -> u64 {
    60
}

impl Default for DeployConfig {
    fn default() -> DeployConfig {
        DeployConfig {
            name: default_name(),
            path: PathBuf::new(),
            remote: default_remote(),
            branch: default_branch(),
            log_entries: default_log_entries(),
            checkout: CheckoutStyle::default(),
            post_deploy: None,
            hook_timeout_secs: default_hook_timeout(),
            probe_after: false,
            ssh_key: None,
            token_env: None,
            known_hosts: None,
            deployers: Vec::new(),
        }
    }
}

/// What a `[[deploy]] remote` written where the name of a remote of the checkout belongs
/// (`origin`, as in `git fetch origin`) is instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotARemoteName {
    /// `https://git.example.com/site.git`, `ssh://…` or `git@git.example.com:site.git`.
    Url,
    /// `/srv/git/site.git`, `../site.git` or `~/site.git`.
    Path,
    /// A word, a colon, a word: `origin:main`, a remote and a branch written together as in
    /// a refspec. git allows no `:` in a remote's name (its refs are `refs/remotes/<name>/…`).
    Colon,
    /// Text git refuses as a remote's name (`git remote add` says so): a space, `..`, an
    /// empty name.
    Refused,
}

impl NotARemoteName {
    /// Why `remote` cannot be the name of a remote, or `None` when it can.
    pub fn of(remote: &str) -> Option<NotARemoteName> {
        // scp-like ssh (`[user@]host:path`): a colon, no slash before it, and a user, a domain
        // or an address before it or a path after it (`git@host:site`, `host:srv/site.git`);
        // a bare word on each side (`origin:main`) is a refspec written where a name belongs
        let scp_like = remote.split_once(':').is_some_and(|(host, path)| {
            !host.is_empty()
                && !host.contains('/')
                && (host.contains(['@', '.', '[']) || path.contains('/') || path.ends_with(".git"))
        });
        if remote.contains("://") || scp_like {
            Some(NotARemoteName::Url)
        } else if remote.starts_with(['/', '~'])
            || remote.starts_with("./")
            || remote.starts_with("../")
        {
            Some(NotARemoteName::Path)
        } else if remote.contains(':') {
            Some(NotARemoteName::Colon)
        } else if remote.contains('\0') || !git2::Remote::is_valid_name(remote) {
            // libgit2 is not asked about a NUL: its C string cannot hold one
            Some(NotARemoteName::Refused)
        } else {
            None
        }
    }

    /// The words for it in a message: "a URL", "a path", "not a name git allows".
    pub fn words(self) -> &'static str {
        match self {
            NotARemoteName::Url => "a URL",
            NotARemoteName::Path => "a path",
            NotARemoteName::Colon => "not a name git allows (a remote's name has no ':')",
            NotARemoteName::Refused => "not a name git allows",
        }
    }
}

/// A handle that stops a running fetch.
#[derive(Clone, Debug, Default)]
pub struct CancelFetch(pub Arc<AtomicBool>);

impl CancelFetch {
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// What this feature's sources and effect runs report.
#[derive(Debug)]
pub enum DeployEvent {
    Status {
        target: usize,
        result: Result<Box<RepoStatus>, DeployError>,
    },
    /// A status read has not answered after `after` (a hung file system): the
    /// pane says so over the status it has; the read's answer follows when it comes.
    StatusSlow {
        target: usize,
        after: Duration,
    },
    /// The `.git` watcher could not be started (the pane polls instead).
    WatchFailed {
        target: usize,
        message: String,
    },
    Preview {
        target: usize,
        result: Result<Box<Preview>, DeployError>,
    },
    FetchStarted {
        target: usize,
        cancel: CancelFetch,
    },
    FetchProgress {
        target: usize,
        progress: fetch::FetchProgress,
    },
    Fetched {
        target: usize,
        result: Result<fetch::FetchSummary, DeployError>,
    },
    /// A confirmed deploy or rollback began (sent before any work): the
    /// pane shows it and turns other actions away until `Deployed`.
    DeployStarted {
        target: usize,
        kind: Kind,
        to: git2::Oid,
    },
    Deployed {
        target: usize,
        request: Box<DeployRequest>,
        result: Result<Box<DeployOutcome>, DeployError>,
    },
    /// The post-deploy command began (after its confirm).
    HookStarted {
        target: usize,
    },
    HookRan {
        target: usize,
        result: Result<hooks::HookRun, DeployError>,
    },
}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum DeployEffect {
    /// Read the target's status again.
    Refresh {
        target: usize,
    },
    /// Work out what checking out `spec` would do (reads only).
    Preview {
        target: usize,
        spec: String,
        kind: Kind,
    },
    /// Check out a previewed revision.
    Deploy {
        target: usize,
        request: DeployRequest,
        access: WriteAccess,
    },
    Fetch {
        target: usize,
        access: WriteAccess,
    },
    /// Run the configured post-deploy command alone.
    RunHook {
        target: usize,
        access: WriteAccess,
    },
}

/// How often a target is read again without any `.git` change (local
/// edits in the work tree do not touch `.git`).
pub const POLL: Duration = Duration::from_secs(15);
/// Wait this long after a `.git` change for the burst to end.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

fn status_event(target: usize, cfg: &DeployConfig) -> SourceEvent {
    SourceEvent::Deploy(DeployEvent::Status {
        target,
        result: status::read_status(cfg).map(Box::new),
    })
}

/// How long a status read may take before the pane says so. git status over a
/// large work tree on a slow disk takes seconds; one on a hung NFS mount never ends.
pub const STATUS_SLOW: Duration = Duration::from_secs(60);

/// Read one target's status off the loop and report it.
async fn refresh(runner: &Runner, target: usize) {
    refresh_within(runner, target, STATUS_SLOW).await
}

/// Read one target's status off the loop and report it, saying so with
/// [`DeployEvent::StatusSlow`] when the read has not answered
/// after `slow_after`. A blocked read cannot be stopped (git2 waits in the kernel), so it is
/// waited for and its answer still reported: no second read piles up behind it.
pub async fn refresh_within(runner: &Runner, target: usize, slow_after: Duration) {
    let Some(cfg) = runner.config.deploy.get(target).cloned() else {
        return;
    };
    let mut read = tokio::task::spawn_blocking(move || status_event(target, &cfg));
    let done = match tokio::time::timeout(slow_after, &mut read).await {
        Ok(done) => done,
        Err(_) => {
            runner
                .send(SourceEvent::Deploy(DeployEvent::StatusSlow {
                    target,
                    after: slow_after,
                }))
                .await;
            read.await
        }
    };
    match done {
        Ok(ev) => runner.send(ev).await,
        Err(e) => {
            runner
                .send(SourceEvent::Deploy(DeployEvent::Status {
                    target,
                    result: Err(DeployError::Io {
                        path: runner.config.deploy[target].path.clone(),
                        message: format!("status task failed: {e}"),
                    }),
                }))
                .await
        }
    }
}

/// Watch one target: read it now, again after every relevant `.git`
/// change (debounced), and every [`POLL`].
async fn follow(runner: Runner, target: usize) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    refresh(&runner, target).await;
    let cfg = runner.config.deploy[target].clone();
    let git_dir = tokio::task::spawn_blocking(move || {
        status::open(&cfg.path).map(|r| r.path().to_path_buf())
    })
    .await;
    let _watcher = match git_dir {
        Ok(Ok(dir)) => match watch::watch(&dir, move || {
            let _ = tx.send(());
        }) {
            Ok(w) => Some(w),
            Err(e) => {
                runner
                    .send(SourceEvent::Deploy(DeployEvent::WatchFailed {
                        target,
                        message: format!("{}: {e}", dir.display()),
                    }))
                    .await;
                None
            }
        },
        // The status already reported why the repository cannot be opened.
        _ => None,
    };
    loop {
        match tokio::time::timeout(POLL, rx.recv()).await {
            Ok(Some(())) => {
                tokio::time::sleep(DEBOUNCE).await;
                while rx.try_recv().is_ok() {}
            }
            Ok(None) => tokio::time::sleep(POLL).await,
            Err(_) => {}
        }
        if runner.tx.is_closed() {
            return;
        }
        refresh(&runner, target).await;
    }
}

/// Start this feature's source tasks: one follower per target.
pub fn start(runner: &Runner) {
    for target in 0..runner.config.deploy.len() {
        tokio::spawn(follow(runner.clone(), target));
    }
}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: DeployEffect, runner: &Runner) {
    let runner = runner.clone();
    match effect {
        DeployEffect::Refresh { target } => {
            tokio::spawn(async move { refresh(&runner, target).await });
        }
        DeployEffect::Preview { target, spec, kind } => {
            let Some(cfg) = runner.config.deploy.get(target).cloned() else {
                return;
            };
            tokio::task::spawn_blocking(move || {
                let result = checkout::preview(&cfg, &spec, kind).map(Box::new);
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::Preview { target, result }));
            });
        }
        DeployEffect::Deploy {
            target,
            request,
            access,
        } => {
            let Some(cfg) = runner.config.deploy.get(target).cloned() else {
                return;
            };
            let running = crate::app::effect::ChangeRunning::start();
            tokio::task::spawn_blocking(move || {
                let _running = running;
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::DeployStarted {
                    target,
                    kind: request.kind,
                    to: request.to,
                }));
                let result = checkout::deploy(&cfg, &request, &access).map(Box::new);
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::Deployed {
                    target,
                    request: Box::new(request),
                    result,
                }));
                runner.blocking_send(status_event(target, &cfg));
            });
        }
        DeployEffect::Fetch { target, access } => {
            let Some(cfg) = runner.config.deploy.get(target).cloned() else {
                return;
            };
            tokio::task::spawn_blocking(move || {
                let cancel = CancelFetch::default();
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::FetchStarted {
                    target,
                    cancel: cancel.clone(),
                }));
                let r2 = runner.clone();
                let result = fetch::fetch(
                    &cfg,
                    &cancel.0,
                    move |progress| {
                        r2.blocking_send(SourceEvent::Deploy(DeployEvent::FetchProgress {
                            target,
                            progress,
                        }))
                    },
                    &access,
                );
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::Fetched { target, result }));
                runner.blocking_send(status_event(target, &cfg));
            });
        }
        DeployEffect::RunHook { target, access } => {
            let Some(cfg) = runner.config.deploy.get(target).cloned() else {
                return;
            };
            let running = crate::app::effect::ChangeRunning::start();
            tokio::task::spawn_blocking(move || {
                let _running = running;
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::HookStarted { target }));
                let result = checkout::run_post_deploy(&cfg, &access);
                runner.blocking_send(SourceEvent::Deploy(DeployEvent::HookRan { target, result }));
                runner.blocking_send(status_event(target, &cfg));
            });
        }
    }
}

/// Add this feature's part to the demo sandbox: a site repository with
/// history and a bare remote holding a newer commit to deploy.
pub fn demo(sandbox: &std::path::Path, config: &mut crate::config::Config) -> anyhow::Result<()> {
    demo::build(sandbox, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_target_parses_and_unknown_keys_are_refused() {
        let text = r#"
[[deploy]]
name = "www"
path = "/var/www/site"
branch = "production"
log_entries = 5
checkout = "branch"
post_deploy = "systemctl reload php8.2-fpm"
hook_timeout_secs = 30
probe_after = true
ssh_key = "/root/.ssh/deploy"
token_env = "DEPLOY_TOKEN"
known_hosts = "/etc/opsdeck/known_hosts"
deployers = ["alice", "%webteam"]
"#;
        let c = crate::config::Config::parse(text, std::path::Path::new("c.toml")).unwrap();
        let d = &c.deploy[0];
        assert_eq!(d.name, "www");
        assert_eq!(d.remote, "origin");
        assert_eq!(d.checkout, CheckoutStyle::Branch);
        assert_eq!(d.log_entries, 5);
        assert!(d.probe_after);
        assert_eq!(
            d.known_hosts.as_deref(),
            Some(std::path::Path::new("/etc/opsdeck/known_hosts"))
        );
        assert_eq!(d.deployers, ["alice", "%webteam"]);
        let bad = "[[deploy]]\npath = \"/x\"\nhook_timeout = 3\n";
        let e = crate::config::Config::parse(bad, std::path::Path::new("c.toml")).unwrap_err();
        assert!(e.to_string().contains("hook_timeout"), "{e}");
    }

    /// What cannot name a remote is told apart, and none of it reaches libgit2 in a form it
    /// cannot take (a NUL, written in TOML as `\u0000`).
    #[test]
    fn a_remote_name_is_told_from_a_url_or_a_path() {
        for (remote, want) in [
            ("origin", None),
            ("deploy/prod", None),
            ("ssh://git@host/site.git", Some(NotARemoteName::Url)),
            ("host:site.git", Some(NotARemoteName::Url)),
            ("git@host:site", Some(NotARemoteName::Url)),
            ("host:srv/site.git", Some(NotARemoteName::Url)),
            ("git.example.com:site", Some(NotARemoteName::Url)),
            ("[::1]:site", Some(NotARemoteName::Url)),
            // a remote and its branch, as a refspec writes them
            ("origin:main", Some(NotARemoteName::Colon)),
            ("upstream:release-2", Some(NotARemoteName::Colon)),
            ("~/site.git", Some(NotARemoteName::Path)),
            ("../site.git", Some(NotARemoteName::Path)),
            ("", Some(NotARemoteName::Refused)),
            ("ori\0gin", Some(NotARemoteName::Refused)),
        ] {
            assert_eq!(NotARemoteName::of(remote), want, "{remote:?}");
        }
    }

    #[test]
    fn an_empty_table_gets_every_default() {
        let c = crate::config::Config::parse("[[deploy]]\n", std::path::Path::new("c")).unwrap();
        assert_eq!(c.deploy[0], DeployConfig::default());
    }
}
