//! The built binary in tmux: the demo's deploy target deployed with the
//! keys a person would press, and the same pane in read-only mode offering
//! no action that changes the host.

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server running one command; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let socket = format!("opsdeck-deploy-{}-{}", std::process::id(), rand_suffix());
        let st = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                cmd,
            ])
            .env("TERM", "xterm-256color")
            .status()
            .unwrap_or_else(|e| panic!("tmux (package tmux) is required for this test: {e}"));
        assert!(st.success(), "tmux new-session failed");
        Tmux { socket }
    }

    fn keys(&self, keys: &str) {
        let st = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", keys])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait (generously) until the screen shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {text:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Stop the console by its pid first: it outlives a closed tty.
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "display-message", "-p", "#{pane_pid}"])
            .output();
        if let Ok(out) = out
            && let Ok(pid) = String::from_utf8_lossy(&out.stdout).trim().parse::<i32>()
        {
            let pid = nix::unistd::Pid::from_raw(pid);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            for _ in 0..50 {
                if nix::sys::signal::kill(pid, None).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    h.finish() % 1_000_000
}

#[test]
fn demo_deploy_with_keys_in_tmux() {
    let t = Tmux::start(&format!("{} demo", env!("CARGO_BIN_EXE_opsdeck")));
    t.wait_for("Deploy · www");
    t.keys("4");
    t.wait_for("Commits (");
    let s = t.wait_for("↓1 to deploy");
    assert!(s.contains("new  Pricing page"), "{s}");
    t.keys("c");
    let s = t.wait_for("1 new commit(s)");
    assert!(
        s.contains("A pricing.html"),
        "the confirm lists the files: {s}"
    );
    t.keys("y");
    let s = t.wait_for("Deploy done");
    assert!(s.contains("post-deploy: exit 0"), "{s}");
    t.wait_for("up to date");
    // Rollback: one key and a confirm.
    t.keys("b");
    t.wait_for("Rollback ");
    t.keys("y");
    t.wait_for("Rollback done");
    t.wait_for("↓1 to deploy");
}

#[test]
fn read_only_demo_offers_no_deploy_action() {
    let t = Tmux::start(&format!(
        "{} demo --read-only",
        env!("CARGO_BIN_EXE_opsdeck")
    ));
    t.wait_for("Deploy · www");
    t.keys("4");
    t.wait_for("Commits (");
    t.keys("?");
    let s = t.wait_for("read the checkout again");
    for action in [
        "fetch the remote",
        "deploy the selected commit",
        "roll back",
        "post-deploy",
    ] {
        assert!(
            !s.contains(action),
            "read-only help offers {action:?}:\n{s}"
        );
    }
}
