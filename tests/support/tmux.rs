//! The built binary in a private tmux server: the screen a person sees, the
//! keys they press, and the terminal they get back.
//!
//! Each session has its own socket and its own HOME (config, state and log
//! under a temp dir, never the user's), runs `opsdeck ARGS` through a shell
//! that prints `EXIT=<status>` and waits, so the pane survives the exit.
//! Dropping it stops opsdeck and the server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a screen may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct Tmux {
    /// The server's socket (`tmux -S`), in the session's private HOME: it goes with the temp
    /// dir, where a named socket (`-L`) would stay behind in /tmp/tmux-UID after every run.
    pub socket: String,
    home: tempfile::TempDir,
}

fn unique(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "opsdeck-test-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A socket path for the server, in `home`.
fn socket_in(home: &tempfile::TempDir, name: &str) -> String {
    home.path()
        .join(format!("{}.sock", unique(name)))
        .to_string_lossy()
        .into_owned()
}

fn new_session(socket: &str, w: u16, h: u16, cmd: &str) {
    let st = Command::new("tmux")
        .args(["-S", socket, "-f", "/dev/null", "new-session", "-d", "-x"])
        .arg(w.to_string())
        .arg("-y")
        .arg(h.to_string())
        .arg(cmd)
        .env("TERM", "xterm-256color")
        .status()
        .unwrap_or_else(|e| {
            panic!("tmux is required for this test (run the test command from README.md): {e}")
        });
    assert!(st.success(), "tmux new-session failed");
}

impl Tmux {
    /// `opsdeck ARGS` in a detached session of the given size, with extra
    /// environment variables (single-quoted; values must not hold `'`).
    pub fn opsdeck(name: &str, w: u16, h: u16, args: &str, env: &[(&str, &str)]) -> Tmux {
        let home = tempfile::tempdir().unwrap();
        Tmux::start(home, "", name, w, h, args, env)
    }

    /// [`Tmux::opsdeck`] run as the user nobody (through `setpriv`, without supplementary
    /// groups or sudo's variables), as a colleague with an account of their own runs it: the
    /// session's HOME is nobody's, and holds `home_files` (name, text) before opsdeck starts (a
    /// `.gitconfig`). Everything else opsdeck reads (the configuration, the checkout) must be
    /// readable by nobody.
    pub fn opsdeck_as_nobody(
        name: &str,
        w: u16,
        h: u16,
        args: &str,
        home_files: &[(&str, &str)],
    ) -> Tmux {
        let home = tempfile::tempdir().unwrap();
        for (file, text) in home_files {
            std::fs::write(home.path().join(file), text).unwrap();
        }
        let chown = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(home.path())
            .status()
            .unwrap();
        assert!(chown.success(), "chown the session's HOME to nobody");
        let setpriv = "unset SUDO_USER SUDO_UID SUDO_GID; \
                       setpriv --reuid=65534 --regid=65534 --clear-groups";
        Tmux::start(home, setpriv, name, w, h, args, &[])
    }

    /// Start the session in `home`, opsdeck run through `runner` (a command to run it as
    /// another user, or nothing).
    fn start(
        home: tempfile::TempDir,
        runner: &str,
        name: &str,
        w: u16,
        h: u16,
        args: &str,
        env: &[(&str, &str)],
    ) -> Tmux {
        let socket = socket_in(&home, name);
        let mut exports = format!(
            "export HOME='{h}' XDG_CONFIG_HOME='{h}/.config' XDG_STATE_HOME='{h}/.state' TERM=xterm-256color RUST_BACKTRACE=0; unset OPSDECK_CONFIG NO_COLOR; ",
            h = home.path().display()
        );
        for (k, v) in env {
            assert!(!v.contains('\''), "{k}: a quote in a test value");
            exports.push_str(&format!("export {k}='{v}'; "));
        }
        let cmd = format!(
            "{exports} {runner} sh -c 'echo $$ > {pid}; exec {bin} {args}'; echo EXIT=$?; sleep 600",
            pid = home.path().join("pid").display(),
            bin = env!("CARGO_BIN_EXE_opsdeck"),
        );
        new_session(&socket, w, h, &cmd);
        Tmux { socket, home }
    }

    /// An interactive shell with job control and a bare environment: the
    /// terminal someone types in.
    pub fn shell(name: &str, w: u16, h: u16) -> Tmux {
        let home = tempfile::tempdir().unwrap();
        let socket = socket_in(&home, name);
        new_session(
            &socket,
            w,
            h,
            "env -i PATH=/usr/bin:/bin TERM=xterm-256color LANG=C.UTF-8 PS1='$ ' bash --norc --noprofile -i",
        );
        Tmux { socket, home }
    }

    /// The session's private HOME.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// Everything the pane has shown, scrollback included, then opsdeck's own log: what a
    /// failed test needs when the screen alone has scrolled the cause away (a panic message
    /// under a storm of echoed keys).
    pub fn post_mortem(&self) -> String {
        let log = std::fs::read_to_string(self.home.path().join(".state/opsdeck/opsdeck.log"))
            .unwrap_or_else(|e| format!("(no log: {e})"));
        format!("{}\n--- opsdeck.log ---\n{log}", self.history())
    }

    /// Everything the pane has shown, its scrollback first: after opsdeck exits, keys still
    /// sent are echoed by the terminal and can scroll `EXIT=` off the screen.
    pub fn history(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-S", "-"])
    }

    /// The screen with its escape sequences (colours, attributes).
    pub fn capture_escapes(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e"])
    }

    /// Press keys by tmux's names (`j`, `Enter`, `C-c`, `PageDown`, ...).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Press one key: a single character literally, anything longer by its
    /// tmux name (`Enter`, `C-x`, `PageDown`).
    pub fn key(&self, k: &str) {
        if k.chars().count() == 1 {
            self.tmux(&["send-keys", "-l", k]);
        } else {
            self.tmux(&["send-keys", k]);
        }
    }

    /// Type text literally (no key-name lookup: `/` or `Enter` as letters).
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    /// Wait until the screen satisfies `pred`; panic with the screen if it
    /// never does.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let s = self.capture();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Wait until the screen shows `text`.
    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_for(&format!("{text:?}"), |s| s.contains(text))
    }

    /// The program has the alternate screen.
    pub fn alternate_on(&self) -> bool {
        self.tmux(&["display-message", "-p", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// opsdeck's process id.
    pub fn pid(&self) -> i32 {
        let p: PathBuf = self.home.path().join("pid");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(pid) = std::fs::read_to_string(&p)
                .unwrap_or_default()
                .trim()
                .parse()
            {
                return pid;
            }
            assert!(Instant::now() < deadline, "opsdeck never started");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Stop opsdeck first (politely, then not), then the server.
        if let Ok(pid) = std::fs::read_to_string(self.home.path().join("pid"))
            .unwrap_or_default()
            .trim()
            .parse::<i32>()
        {
            use nix::sys::signal::{Signal, kill};
            let pid = nix::unistd::Pid::from_raw(pid);
            if kill(pid, Signal::SIGTERM).is_ok() {
                for _ in 0..50 {
                    if kill(pid, None).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = kill(pid, Signal::SIGKILL);
            }
        }
        let _ = Command::new("tmux")
            .args(["-S", &self.socket, "kill-server"])
            .status();
    }
}

/// The notice in a screen's status bar, whole: the text after the mode's badge on the bar's first
/// line (without `host` and the clock on its right) and on the lines under it, where a notice
/// longer than the bar goes on. Empty when the screen has no status bar.
pub fn status_notice(screen: &str, host: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(first) = lines
        .iter()
        .rposition(|l| l.starts_with(" RO ") || l.starts_with(" RW "))
    else {
        return String::new();
    };
    let mut head = lines[first][4..].trim_end();
    // the right end: " HOST HH:MM", or the clock alone on a narrow bar
    if let Some((rest, clock)) = head.rsplit_once(' ')
        && clock.len() == 5
        && clock.as_bytes()[2] == b':'
    {
        head = rest.trim_end();
        head = head.strip_suffix(host).unwrap_or(head);
    }
    std::iter::once(head)
        .chain(lines[first + 1..].iter().copied())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
