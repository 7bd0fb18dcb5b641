//! Programs opsdeck starts while the dashboard owns the terminal: Postfix commands (and a
//! `sudo` or `ssh` in their `command_prefix`), the Senders pane's postconf and postmap, the
//! deploy hooks. Each runs in a session of its own, with no controlling terminal.
//!
//! A `sudo` whose rule asks for a password, or an `ssh` that asks for one or for a host key,
//! opens `/dev/tty`: on the dashboard's terminal it would print its prompt over the screen and
//! then wait there (in a process group of its own, reading the terminal stops it; in the
//! dashboard's, it takes the keys). Without a terminal it fails at once and says why.
//!
//! Out of reach of the signals sent to opsdeck, they are ended by [`end_children`] when a
//! one-shot command is stopped.

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

/// The child processes this one has at a moment, each by pid and start time: those it had
/// before a one-shot command started anything, which [`end_children`] leaves alone. A process
/// keeps the children its former program had across `exec` (`cmd & exec opsdeck check` in a
/// monitoring wrapper): they were never opsdeck's to end.
#[derive(Debug, Default)]
pub struct Children(Vec<(i32, u64)>);

impl Children {
    /// The children this process has now.
    pub fn now() -> Children {
        Children(children().into_iter().map(|c| (c.pid, c.started)).collect())
    }
}

/// One child process, as /proc says it.
struct Child {
    pid: i32,
    pgrp: i32,
    /// Clock ticks from boot to its start: with the pid, which process it is.
    started: u64,
}

/// Every child process of this one, found in /proc, whoever started it (a blocking thread, a
/// task).
fn children() -> Vec<Child> {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`, its start time the 22nd field: the name may hold
        // spaces and parentheses
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(ppid), Some(pgrp), Some(started)) = (
            fields.get(1).and_then(|f| f.parse::<u32>().ok()),
            fields.get(2).and_then(|f| f.parse::<i32>().ok()),
            fields.get(19).and_then(|f| f.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if ppid == me {
            found.push(Child { pid, pgrp, started });
        }
    }
    found
}

/// End every child process of this one at once (SIGKILL) but those it already had
/// (`inherited`, taken before anything was started), with the process group of each that leads
/// one, as those [`without_terminal`] starts do: what they started goes too. For a one-shot
/// command stopped by a signal (`opsdeck check` at a monitoring system's timeout): in sessions
/// of their own, its children would outlive it, a `sudo` or `ssh` prefix still waiting.
pub fn end_children(inherited: &Children) {
    for c in children() {
        if inherited.0.contains(&(c.pid, c.started)) {
            continue;
        }
        let target = nix::unistd::Pid::from_raw(c.pid);
        let sig = nix::sys::signal::Signal::SIGKILL;
        // a leader's group goes whole; a child in this process's own group goes alone
        let _ = if c.pgrp == c.pid {
            nix::sys::signal::killpg(target, sig)
        } else {
            nix::sys::signal::kill(target, sig)
        };
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
