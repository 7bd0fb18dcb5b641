//! Runs the repository's `post-checkout` hook and the configured
//! post-deploy command, with a timeout, capturing their output.
//!
//! libgit2 runs no hooks, so a checkout made through it must run them
//! itself. Blocking: call from `spawn_blocking`. A hook that outlives its
//! timeout is killed with its whole process group. Output is captured to
//! an anonymous temp file (stdout and stderr interleaved as written), so a
//! chatty hook can never block on a full pipe. Nothing here reads git state.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::access::WriteAccess;
use crate::sanitize::Clean;

/// Most bytes of output kept from one hook.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// How a hook ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookEnd {
    Exit(i32),
    Signal(i32),
    TimedOut(Duration),
    /// It could not be started.
    NotStarted(Clean),
}

impl HookEnd {
    pub fn ok(&self) -> bool {
        matches!(self, HookEnd::Exit(0))
    }

    pub fn describe(&self) -> String {
        match self {
            HookEnd::Exit(c) => format!("exit {c}"),
            HookEnd::Signal(s) => format!("killed by signal {s}"),
            HookEnd::TimedOut(d) => format!("timeout after {}s (killed)", d.as_secs()),
            HookEnd::NotStarted(e) => format!("not started: {e}"),
        }
    }
}

/// One hook run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookRun {
    /// "post-checkout" or the post-deploy command.
    pub name: Clean,
    pub end: HookEnd,
    /// Output lines, sanitized.
    pub output: Vec<Clean>,
    /// Output was longer than [`MAX_OUTPUT`].
    pub cut: bool,
}

/// Where the repository's hooks live (`core.hooksPath` honoured).
pub fn hooks_dir(repo: &git2::Repository) -> PathBuf {
    let git_dir = repo.path();
    if let Ok(cfg) = repo.config()
        && let Ok(p) = cfg.get_path("core.hooksPath")
    {
        if p.is_absolute() {
            return p;
        }
        let base = repo.workdir().unwrap_or(git_dir);
        return base.join(p);
    }
    git_dir.join("hooks")
}

/// The executable `post-checkout` hook, if there is one.
pub fn post_checkout_hook(repo: &git2::Repository) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let p = hooks_dir(repo).join("post-checkout");
    let meta = std::fs::metadata(&p).ok()?;
    (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(p)
}

/// Run `cmd` in `cwd` with a timeout; `env` is added to the environment.
pub fn run(
    name: &str,
    mut cmd: Command,
    cwd: &Path,
    env: &[(&str, String)],
    timeout: Duration,
    _access: &WriteAccess,
) -> HookRun {
    let name_c = Clean::capped(name, 200);
    let not_started = |e: String| HookRun {
        name: name_c.clone(),
        end: HookEnd::NotStarted(Clean::new(&e)),
        output: Vec::new(),
        cut: false,
    };
    let mut out = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => return not_started(format!("temp file: {e}")),
    };
    let (o, e) = match (out.try_clone(), out.try_clone()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(x), _) | (_, Err(x)) => return not_started(format!("temp file: {x}")),
    };
    cmd.current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::from(o))
        .stderr(Stdio::from(e));
    // without the dashboard's terminal (a `sudo` in a hook would prompt over the screen and
    // wait there), and in a process group of its own, killed whole at the timeout
    crate::child::without_terminal(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return not_started(e.to_string()),
    };
    let start = Instant::now();
    let end = loop {
        match child.try_wait() {
            Ok(Some(st)) => {
                use std::os::unix::process::ExitStatusExt;
                break match (st.code(), st.signal()) {
                    (Some(c), _) => HookEnd::Exit(c),
                    (None, Some(s)) => HookEnd::Signal(s),
                    _ => HookEnd::Exit(-1),
                };
            }
            Ok(None) if start.elapsed() >= timeout => {
                let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
                let _ = child.wait();
                break HookEnd::TimedOut(timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break HookEnd::NotStarted(Clean::new(&format!("wait: {e}"))),
        }
    };
    let mut buf = Vec::new();
    let _ = out.rewind();
    let _ = (&mut out).take(MAX_OUTPUT as u64 + 1).read_to_end(&mut buf);
    let cut = buf.len() > MAX_OUTPUT;
    buf.truncate(MAX_OUTPUT);
    let text = String::from_utf8_lossy(&buf);
    HookRun {
        name: name_c,
        end,
        output: text.lines().map(|l| Clean::capped(l, 500)).collect(),
        cut,
    }
}

/// Run a configured command line through `sh -c`.
pub fn shell(line: &str) -> Command {
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(line);
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Mode;

    fn access() -> WriteAccess {
        WriteAccess::for_mode(Mode::Interactive).unwrap()
    }

    #[test]
    fn output_and_exit_status_are_kept() {
        let d = tempfile::tempdir().unwrap();
        let r = run(
            "t",
            shell("echo one; echo \"two $X\" >&2; printf '\\033[2J'; exit 3"),
            d.path(),
            &[("X", "env".into())],
            Duration::from_secs(30),
            &access(),
        );
        assert_eq!(r.end, HookEnd::Exit(3));
        let lines: Vec<&str> = r.output.iter().map(|c| c.as_str()).collect();
        assert_eq!(lines, vec!["one", "two env", "\\e[2J"]);
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let d = tempfile::tempdir().unwrap();
        let pid_file = d.path().join("subshell.pid");
        // a subshell of the hook whose own child would outlive the hook by a minute
        let line = format!(
            "(sleep 60; true) & echo $! > {}; sleep 30",
            pid_file.display()
        );
        let r = run(
            "slow",
            shell(&line),
            d.path(),
            &[],
            Duration::from_secs(1),
            &access(),
        );
        assert!(matches!(r.end, HookEnd::TimedOut(_)), "{:?}", r.end);
        let pid: u32 = std::fs::read_to_string(&pid_file)
            .expect("the hook wrote its subshell's pid")
            .trim()
            .parse()
            .unwrap();
        // killed with the group, it is gone (or a zombie nobody has reaped yet) at once; left
        // alone it would run for a minute
        let running = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| !r.trim_start().starts_with('Z'))
            })
        };
        let guard = Instant::now() + Duration::from_secs(20);
        while running() {
            assert!(
                Instant::now() < guard,
                "a subshell of the hook (pid {pid}) survived the timeout"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn missing_program_is_reported() {
        let d = tempfile::tempdir().unwrap();
        let r = run(
            "x",
            Command::new("/nonexistent/hook"),
            d.path(),
            &[],
            Duration::from_secs(5),
            &access(),
        );
        assert!(matches!(r.end, HookEnd::NotStarted(_)));
        assert!(!r.end.ok());
    }
}
