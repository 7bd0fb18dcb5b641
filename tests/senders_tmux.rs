//! The Senders pane in the built binary (`opsdeck demo`, driven in tmux on a
//! private socket): the demo's relay and password maps are shown, the demo
//! password appears neither on the screen nor in opsdeck's log file, and in
//! read-only mode the write actions are not offered.

use std::process::Command;
use std::time::{Duration, Instant};

/// The password written into the demo's password map.
const DEMO_SECRET: &str = "demo-not-a-real-secret";
/// The demo's SMTP submission password (in its configuration).
const DEMO_SMTP_SECRET: &str = "demo-smtp-password-not-real";

struct Tmux {
    socket: String,
    home: tempfile::TempDir,
}

impl Tmux {
    fn start(name: &str, args: &str) -> Tmux {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "tmux is not installed (apt-get install tmux)");
        let home = tempfile::tempdir().unwrap();
        let socket = format!("opsdeck-senders-{name}-{}", std::process::id());
        let cmd = format!(
            "export HOME='{h}' XDG_CONFIG_HOME='{h}/.config' XDG_STATE_HOME='{h}/.state' TERM=xterm-256color OPSDECK_LOG=trace; unset OPSDECK_CONFIG NO_COLOR; {bin} {args}; echo EXIT=$?; sleep 600",
            h = home.path().display(),
            bin = env!("CARGO_BIN_EXE_opsdeck"),
        );
        let st = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
            ])
            .arg(cmd)
            .status()
            .unwrap();
        assert!(st.success(), "tmux new-session failed");
        Tmux { socket, home }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.tmux(&["capture-pane", "-p"]);
            assert!(
                !s.contains(DEMO_SECRET) && !s.contains(DEMO_SMTP_SECRET),
                "a demo password is on the screen:\n{s}"
            );
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.home.path().join(".state/opsdeck/opsdeck.log"))
            .unwrap_or_default()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn demo_senders_pane_shows_maps_but_never_the_password() {
    let t = Tmux::start("rw", "demo");
    t.wait_for("the overview", |s| s.contains("┌ Senders · senders-demo"));
    t.keys(&["3"]);
    let s = t.wait_for("the senders table", |s| {
        s.contains("SENDER") && s.contains("MAILER-DAEMON")
    });
    assert!(
        s.contains("AKIADEMOEXAMPLE"),
        "the SMTP user name is shown:\n{s}"
    );
    assert!(
        s.contains("readable"),
        "the open password map is flagged:\n{s}"
    );
    t.keys(&["m"]);
    let s = t.wait_for("the maps view", |s| {
        s.contains("smtp_sasl_password_maps = texthash:")
    });
    assert!(s.contains("user AKIADEMOEXAMPLE (password set)"), "{s}");
    // the write actions exist in interactive mode: `a` asks for a sender
    t.keys(&["Escape"]);
    t.wait_for("the table again", |s| s.contains("SENDER"));
    t.keys(&["a"]);
    t.wait_for("the add-route prompt", |s| s.contains("Route sender"));
    // Esc and q apart: together they read as Alt-q
    t.keys(&["Escape"]);
    t.wait_for("the prompt to close", |s| !s.contains("Route sender"));
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
    let log = t.log_text();
    assert!(
        log.contains("senders: starting") && log.contains("smtp_password: Some(***)"),
        "the senders configuration is logged, password hidden:\n{log}"
    );
    assert!(
        !log.contains(DEMO_SMTP_SECRET),
        "the SMTP password is in the log file:\n{log}"
    );
    assert!(
        !log.contains(DEMO_SECRET),
        "the demo password is in the log file:\n{log}"
    );
}

#[test]
fn read_only_demo_offers_no_write_actions() {
    let t = Tmux::start("ro", "--read-only demo");
    t.wait_for("the overview", |s| s.contains("┌ Senders · senders-demo"));
    t.keys(&["3"]);
    t.wait_for("the senders table", |s| s.contains("SENDER"));
    t.keys(&["?"]);
    let s = t.wait_for("the help", |s| s.contains("refresh maps, log, SES"));
    for write in ["send a test mail", "verify identity", "add a sender route"] {
        assert!(
            !s.contains(write),
            "{write:?} offered in read-only mode:\n{s}"
        );
    }
    t.keys(&["Escape"]);
    t.wait_for("the help to close", |s| {
        !s.contains("refresh maps, log, SES")
    });
    t.keys(&["a", "m"]);
    // `m` is handled after `a`: had `a` opened a prompt, `m` would be typed into it
    let s = t.wait_for("the maps view", |s| s.contains("smtp_sasl_password_maps"));
    assert!(!s.contains("Route sender"), "{s}");
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}
