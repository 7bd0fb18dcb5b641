//! What can go wrong reading or changing the queue, with the fix to show.
//!
//! Every variant names the command that failed; `Display` is the sentence the
//! pane shows ("postqueue: permission denied - run as root or add your user to
//! authorized_mailq_users"). This module classifies outputs; it never runs
//! anything and never hides an error behind an empty list.

use crate::sanitize::{sanitize_capped, sanitize_lines};

/// An error of the Mail queue feature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("{command}: not found - install Postfix, or fix PATH / command_prefix in [[postfix]]")]
    NotFound { command: String },
    #[error(
        "{command}: permission denied - run as root or add your user to authorized_mailq_users ({detail})"
    )]
    NotAuthorized { command: String, detail: String },
    #[error(
        "{command}: needs root - run opsdeck as root or set command_prefix = [\"sudo\", \"-n\"] ({detail})"
    )]
    NeedsRoot { command: String, detail: String },
    #[error(
        "{command}: this user may not name that config directory - add it to alternate_config_directories in /etc/postfix/main.cf, or run as root ({detail})"
    )]
    ConfigDirNotAllowed { command: String, detail: String },
    #[error(
        "{command}: Postfix's own main.cf cannot be read, so only root may name another config directory - configure Postfix on this host (its main.cf lists the others in alternate_config_directories), or run as root ({detail})"
    )]
    DefaultConfigMissing { command: String, detail: String },
    #[error("{}", crate::mail::not_configured(path, command))]
    NotConfigured { command: String, path: String },
    #[error(
        "{command}: sudo wants a password - allow it NOPASSWD in sudoers for this command ({detail})"
    )]
    SudoPassword { command: String, detail: String },
    #[error("{command}: the mail system is down - start it with `postfix start` ({detail})")]
    MailSystemDown { command: String, detail: String },
    /// postsuper writes `maillog_file` itself while no postlogd runs, as the mail owner it
    /// is by then, and dies at its first log line when it may not (the file is root's): it
    /// has acted on the messages it named before that, and on no other.
    #[error(
        "{command}: could not write maillog_file, which it writes itself while Postfix (its postlog service) is not running, and so stops at the first message it acts on - start Postfix (`postfix start`) before acting on several messages ({detail})"
    )]
    MaillogUnwritable { command: String, detail: String },
    /// A Postfix before 3.1: `postqueue` has no `-j`, and says only how it is used.
    #[error(
        "{command}: this Postfix has no JSON queue listing (postqueue -j came with Postfix 3.1) - upgrade Postfix to list its queue here ({detail})"
    )]
    NoJsonListing { command: String, detail: String },
    #[error("{command}: exited with {status}: {detail}")]
    Exit {
        command: String,
        status: String,
        detail: String,
    },
    #[error("{command}: could not run: {detail}")]
    Spawn { command: String, detail: String },
    #[error(
        "{command}: no answer after {} - stopped; the next reading tries again",
        seconds(*after)
    )]
    TimedOut {
        command: String,
        after: std::time::Duration,
    },
    /// Stopped with `x` in the Queue pane: not a failure of the command, and not counted as
    /// one; what it had done by then is only known by reading the queue again.
    #[error(
        "{command}: stopped by you before it finished - the queue is read again to show what it did"
    )]
    StoppedByUser { command: String },
    #[error("{id:?}: refused, not a Postfix queue id ({why})")]
    BadId { id: String, why: String },
    #[error("{action}: needs Postfix 3.5 or later (this instance runs {version})")]
    Unsupported { action: String, version: String },
    #[error("demo data: {action} is not run on the demo queue")]
    Demo { action: String },
}

/// "120 s", or "0.2 s" under a second.
fn seconds(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

impl QueueError {
    /// Does this error of one command say the same command fails for every
    /// other message too (no such program, no permission, the mail system
    /// down), so that running it for the rest only repeats it?
    pub fn stops_the_rest(&self) -> bool {
        matches!(
            self,
            QueueError::NotFound { .. }
                | QueueError::NotAuthorized { .. }
                | QueueError::NeedsRoot { .. }
                | QueueError::ConfigDirNotAllowed { .. }
                | QueueError::DefaultConfigMissing { .. }
                | QueueError::NotConfigured { .. }
                | QueueError::SudoPassword { .. }
                | QueueError::MailSystemDown { .. }
                | QueueError::MaillogUnwritable { .. }
                | QueueError::Spawn { .. }
                | QueueError::StoppedByUser { .. }
        )
    }

    /// Classify a process that exited non-zero by what it printed.
    pub fn from_exit(command: &str, status: &str, stderr: &[u8]) -> QueueError {
        let text = String::from_utf8_lossy(stderr);
        let detail = sanitize_lines(&text, 300);
        let command = command.to_string();
        let lower = text.to_ascii_lowercase();
        if lower.contains("not allowed to view the mail queue")
            || lower.contains("authorized_mailq_users")
            || lower.contains("not allowed to flush")
            || lower.contains("authorized_flush_users")
        {
            QueueError::NotAuthorized { command, detail }
        } else if lower.contains("unauthorized configuration directory") {
            QueueError::ConfigDirNotAllowed { command, detail }
        } else if let Some(path) = super::super::missing_main_cf(&text) {
            let own = command
                .split_once(" -c ")
                .and_then(|(_, rest)| rest.split(' ').next())
                .map(|dir| format!("{}/main.cf", dir.trim_end_matches('/')));
            if own.is_some_and(|own| own != path) {
                // a user other than root, with -c: Postfix reads the default main.cf first, to
                // check alternate_config_directories; installed unconfigured, there is none
                QueueError::DefaultConfigMissing { command, detail }
            } else {
                QueueError::NotConfigured { command, path }
            }
        } else if lower.contains("reserved for the superuser") {
            QueueError::NeedsRoot { command, detail }
        } else if lower.contains("a password is required")
            || lower.contains("a terminal is required")
        {
            QueueError::SudoPassword { command, detail }
        } else if lower.contains("mail system is down") {
            QueueError::MailSystemDown { command, detail }
        } else if lower.contains("usage: postqueue") && !lower.contains("postqueue -j") {
            QueueError::NoJsonListing { command, detail }
        } else if lower.contains("fatal: open logfile") {
            QueueError::MaillogUnwritable { command, detail }
        } else if status.contains("127") && lower.contains("not found") {
            QueueError::NotFound { command }
        } else {
            QueueError::Exit {
                command,
                status: status.to_string(),
                detail: if detail.is_empty() {
                    "(no output)".into()
                } else {
                    detail
                },
            }
        }
    }

    /// What a listing that succeeded says on stderr when the master is not running: as root,
    /// `postqueue -j` reads the queue files itself ("Mail system is down -- accessing queue
    /// directly"), so the list looks fine while no mail leaves.
    pub fn down_while_listing(command: &str, stderr: &[u8]) -> Option<QueueError> {
        let text = String::from_utf8_lossy(stderr);
        text.to_ascii_lowercase()
            .contains("mail system is down")
            .then(|| QueueError::MailSystemDown {
                command: command.to_string(),
                detail: sanitize_lines(&text, 300),
            })
    }

    /// Classify a process that could not be started.
    pub fn from_spawn(command: &str, err: &std::io::Error) -> QueueError {
        if err.kind() == std::io::ErrorKind::NotFound {
            QueueError::NotFound {
                command: command.to_string(),
            }
        } else {
            QueueError::Spawn {
                command: command.to_string(),
                detail: sanitize_capped(&err.to_string(), 200),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_real_messages() {
        let e = QueueError::from_exit(
            "postqueue -j",
            "exit status: 69",
            b"postqueue: fatal: User nobody(65534) is not allowed to view the mail queue\n",
        );
        assert!(matches!(e, QueueError::NotAuthorized { .. }), "{e}");
        assert!(e.to_string().starts_with(
            "postqueue -j: permission denied - run as root or add your user to authorized_mailq_users"
        ));

        let e = QueueError::from_exit(
            "postqueue -c /srv/pf -j",
            "exit status: 69",
            b"postqueue: error: unauthorized configuration directory name: /srv/pf\npostqueue: fatal: specify \"alternate_config_directories = /srv/pf\"",
        );
        assert!(matches!(e, QueueError::ConfigDirNotAllowed { .. }), "{e}");

        let e = QueueError::from_exit(
            "postqueue -c /srv/pf -j",
            "exit status: 69",
            b"postqueue: fatal: open file /etc/postfix/main.cf: No such file or directory\n",
        );
        assert!(matches!(e, QueueError::DefaultConfigMissing { .. }), "{e}");
        assert!(
            e.to_string().contains("configure Postfix on this host"),
            "{e}"
        );
        // root, or the instance's own directory: no configuration there
        for (command, path) in [
            ("postqueue -j", "/etc/postfix/main.cf"),
            ("postqueue -c /srv/pf/ -j", "/srv/pf/main.cf"),
        ] {
            let e = QueueError::from_exit(
                command,
                "exit status: 69",
                format!("postqueue: fatal: open {path}: No such file or directory\n").as_bytes(),
            );
            assert!(matches!(e, QueueError::NotConfigured { .. }), "{e}");
            assert_eq!(
                e.to_string(),
                format!(
                    "{path} does not exist: no Postfix configuration there - configure Postfix, or set config_dir in [[postfix]] to where its main.cf is ({command})"
                )
            );
        }

        let e = QueueError::from_exit(
            "postsuper -d -",
            "exit status: 1",
            b"postsuper: fatal: use of this command is reserved for the superuser\n",
        );
        assert!(matches!(e, QueueError::NeedsRoot { .. }), "{e}");

        let e = QueueError::from_exit(
            "sudo -n postsuper",
            "exit status: 1",
            b"sudo: a password is required\n",
        );
        assert!(matches!(e, QueueError::SudoPassword { .. }), "{e}");

        let e = QueueError::from_exit(
            "postqueue -f",
            "exit status: 69",
            b"postqueue: fatal: Cannot flush mail queue - mail system is down\n",
        );
        assert!(matches!(e, QueueError::MailSystemDown { .. }), "{e}");

        // what postqueue -j prints with the master not running: two lines, read as one
        let e = QueueError::from_exit(
            "postqueue -j",
            "exit status: 75",
            b"postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: No such file or directory)\npostqueue: fatal: malformed showq server response\n",
        );
        assert_eq!(
            e.to_string(),
            "postqueue -j: the mail system is down - start it with `postfix start` (postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: No such file or directory); postqueue: fatal: malformed showq server response)"
        );

        // Postfix 2.10 (RHEL 7) to 3.0: no -j, and a usage line that does not name it
        let e = QueueError::from_exit(
            "postqueue -j",
            "exit status: 64",
            b"postqueue: invalid option -- 'j'\npostqueue: fatal: usage: postqueue -f | postqueue -i queueid | postqueue -p | postqueue -s site\n",
        );
        assert_eq!(
            e.to_string(),
            "postqueue -j: this Postfix has no JSON queue listing (postqueue -j came with Postfix 3.1) - upgrade Postfix to list its queue here (postqueue: invalid option -- 'j'; postqueue: fatal: usage: postqueue -f | postqueue -i queueid | postqueue -p | postqueue -s site)"
        );
        // a usage line that names -j is some other mistake
        let e = QueueError::from_exit(
            "postqueue -j",
            "exit status: 64",
            b"postqueue: fatal: usage: postqueue -f | postqueue -i queueid | postqueue -j | postqueue -p | postqueue -s site\n",
        );
        assert!(matches!(e, QueueError::Exit { .. }), "{e}");

        let e = QueueError::from_exit("postqueue -j", "exit status: 2", b"\x1b[2Jboom");
        assert_eq!(
            e.to_string(),
            "postqueue -j: exited with exit status: 2: \\e[2Jboom"
        );
    }

    #[test]
    fn missing_program() {
        let err = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = QueueError::from_spawn("postqueue -j", &err);
        assert!(e.to_string().contains("not found - install Postfix"), "{e}");
    }
}
