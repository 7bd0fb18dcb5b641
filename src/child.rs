//! Programs opsdeck starts while the dashboard owns the terminal: Postfix commands (and a
//! `sudo` or `ssh` in their `command_prefix`), the Senders pane's postconf and postmap, the
//! deploy hooks. Each runs in a session of its own, with no controlling terminal.
//!
//! A `sudo` whose rule asks for a password, or an `ssh` that asks for one or for a host key,
//! opens `/dev/tty`: on the dashboard's terminal it would print its prompt over the screen and
//! then wait there (in a process group of its own, reading the terminal stops it; in the
//! dashboard's, it takes the keys). Without a terminal it fails at once and says why.

use std::os::unix::process::CommandExt;

/// Start `cmd` in a session of its own, without the terminal; it is also the leader of a
/// process group of its own, so that stopping the group stops what it started.
pub fn without_terminal(cmd: &mut std::process::Command) -> &mut std::process::Command {
    // SAFETY: the hook only makes a system call (setsid), as is allowed between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()
                .map(drop)
                .map_err(std::io::Error::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The child leads a session and a process group of its own, and has no terminal to open.
    #[test]
    fn the_child_has_a_session_of_its_own_and_no_terminal() {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c")
            .arg("if (: <>/dev/tty) 2>/dev/null; then echo tty; else echo none; fi; ps -o pid=,sid=,pgid= -p $$");
        let out = without_terminal(&mut cmd).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("none"), "{text}");
        let ids: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
        assert_eq!(ids.len(), 3, "{text}");
        assert!(
            ids[0] == ids[1] && ids[1] == ids[2],
            "pid, sid, pgid: {text}"
        );
    }
}
