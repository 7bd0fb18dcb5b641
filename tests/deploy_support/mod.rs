//! Real git repositories for the deploy tests: a bare remote, a developer
//! clone that pushes to it, and the site checkout that deploys from it;
//! plus a `git daemon` on 127.0.0.1 for real network fetches. Each fixture
//! lives in its own temp directory; daemons stop when their guard drops.
#![allow(dead_code)]

// A test binary that includes probe_support too (check_cli) holds two copies: harmless, and each
// support tree stays usable alone.
#[allow(clippy::duplicate_mod)]
#[path = "../support/nobody.rs"]
pub mod nobody;
#[allow(clippy::duplicate_mod)]
#[path = "../support/ports.rs"]
pub mod ports;
pub mod ssh;

use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ports::{PortTaken, Wait};

use opsdeck::access::{Mode, WriteAccess};
use opsdeck::deploy::DeployConfig;

pub fn access() -> WriteAccess {
    WriteAccess::for_mode(Mode::Interactive).expect("interactive mode grants access")
}

/// Run the git CLI with a neutral configuration; panics with its output on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Test Dev",
            "-c",
            "user.email=dev@example.org",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "advice.detachedHead=false",
        ])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", "2026-11-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-01T10:00:00Z")
        .output()
        .unwrap_or_else(|e| panic!("git is required for these tests and could not be run: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Point libgit2 away from the host's own git configuration (~/.gitconfig, the XDG one,
/// /etc/gitconfig), once per test process: a `core.autocrlf = true` there rewrote the files the
/// deploy tests check out and failed them. The git CLI gets the same from [`git`]'s
/// environment.
pub fn without_host_git_config() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for level in [
            git2::ConfigLevel::System,
            git2::ConfigLevel::XDG,
            git2::ConfigLevel::Global,
        ] {
            // SAFETY: called before the first Fixture, which every test that uses libgit2
            // makes before it does, and other callers wait on the Once.
            unsafe { git2::opts::set_search_path(level, "/nonexistent/opsdeck-test") }
                .expect("libgit2 search path");
        }
    });
}

/// A remote, a developer clone and a site checkout.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub remote: PathBuf,
    pub dev: PathBuf,
    pub site: PathBuf,
    /// Commit ids in order: c[0] is the first.
    pub commits: Vec<String>,
}

impl Fixture {
    /// Four commits pushed; the site is cloned at the third (detached) and
    /// has fetched the fourth.
    pub fn new() -> Fixture {
        without_host_git_config();
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-deploy-")
            .tempdir()
            .unwrap();
        let root = dir.path();
        let remote = root.join("remote.git");
        let dev = root.join("dev");
        let site = root.join("site");
        git(root, &["init", "-q", "--bare", remote.to_str().unwrap()]);
        git(root, &["init", "-q", dev.to_str().unwrap()]);
        git(&dev, &["remote", "add", "origin", remote.to_str().unwrap()]);
        let mut f = Fixture {
            dir,
            remote,
            dev,
            site,
            commits: Vec::new(),
        };
        f.commit(&[("index.html", "<h1>one</h1>\n")], "First page");
        f.commit(
            &[("style.css", "h1 {}\n"), ("img/logo.svg", "<svg/>\n")],
            "Style and logo",
        );
        git(&f.dev, &["tag", "v1.0"]);
        f.commit(
            &[
                ("index.html", "<h1>three</h1>\n"),
                ("about.html", "about\n"),
            ],
            "About page",
        );
        f.push();
        let url = format!("file://{}", f.remote.display());
        git(
            f.dir.path(),
            &["clone", "-q", &url, f.site.to_str().unwrap()],
        );
        git(&f.site, &["checkout", "-q", "--detach", &f.commits[2]]);
        f.commit(
            &[("index.html", "<h1>four</h1>\n"), ("new.html", "new\n")],
            "Fourth: new page",
        );
        f.push();
        git(&f.site, &["fetch", "-q", "origin"]);
        f
    }

    /// Commit in the developer clone (not pushed).
    pub fn commit(&mut self, files: &[(&str, &str)], msg: &str) -> String {
        for (name, body) in files {
            let p = self.dev.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        git(&self.dev, &["add", "-A"]);
        git(&self.dev, &["commit", "-q", "--allow-empty", "-m", msg]);
        let id = git(&self.dev, &["rev-parse", "HEAD"]);
        self.commits.push(id.clone());
        id
    }

    pub fn push(&self) {
        git(
            &self.dev,
            &["push", "-q", "origin", "HEAD:refs/heads/main", "--tags"],
        );
    }

    pub fn config(&self) -> DeployConfig {
        DeployConfig {
            name: "site".into(),
            path: self.site.clone(),
            hook_timeout_secs: 10,
            // the tests' lists of deployed commits are of HEAD and two older
            log_entries: 3,
            ..DeployConfig::default()
        }
    }

    pub fn head(&self) -> String {
        git(&self.site, &["rev-parse", "HEAD"])
    }

    pub fn git_dir(&self) -> PathBuf {
        self.site.join(".git")
    }
}

/// Every file under `dir` (`.git` excluded) with its bytes.
pub fn tree_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// `git daemon` serving a directory on 127.0.0.1; stopped on drop.
pub struct GitDaemon {
    child: Child,
    pub port: u16,
}

impl GitDaemon {
    /// Start `git daemon` for `base` on a fresh free port. A port taken by another test in the
    /// meantime makes it start again on a new one.
    pub fn start(base: &Path) -> GitDaemon {
        GitDaemon::start_trying(base, ports::fresh_ports())
    }

    /// [`GitDaemon::start`] on the ports in `candidates`, in turn.
    pub fn start_trying(base: &Path, candidates: impl IntoIterator<Item = [u16; 1]>) -> GitDaemon {
        // Run git-daemon itself (not through `git`), so that killing the
        // child stops the daemon.
        let exec = Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git is required for the network fetch test");
        let daemon = PathBuf::from(String::from_utf8_lossy(&exec.stdout).trim()).join("git-daemon");
        assert!(
            daemon.exists(),
            "git-daemon (package git) is required for the network fetch test: {} missing",
            daemon.display()
        );
        let (child, [port]) = ports::start_on_ports("git daemon", candidates, |[port]| {
            // Its errors, read back if it exits: an anonymous file never fills up as a pipe would.
            let mut errors = tempfile::tempfile().expect("temp file for git daemon's errors");
            let mut child = Command::new(&daemon)
                .args(["--reuseaddr", "--export-all", "--listen=127.0.0.1"])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.display()))
                .arg(base)
                .stdout(Stdio::null())
                .stderr(errors.try_clone().expect("clone the errors file"))
                .spawn()
                .expect("git daemon could not be started");
            match ports::wait_listening(&mut child, "git daemon", &[port], Duration::from_secs(20))
            {
                Wait::Listening => Ok(child),
                Wait::Exited(status) => {
                    let mut text = String::new();
                    let _ = errors
                        .rewind()
                        .and_then(|()| errors.read_to_string(&mut text));
                    if text.contains(ports::ADDRESS_IN_USE) {
                        Err(PortTaken(text))
                    } else {
                        panic!("git daemon exited ({status}) at start:\n{text}")
                    }
                }
            }
        });
        GitDaemon { child, port }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
