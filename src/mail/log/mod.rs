//! Delivery failures: the mail log followed live, every failure explained and linked.
//!
//! - [`parse`]: one line to a [`parse::LogLine`] (pure).
//! - [`classify`]: failure categories and their plain-words explanations (pure).
//! - [`model`]: [`MailLog`], the correlated model other panes read from `Shared` (pure).
//! - [`compressed`]: rotated logs compressed by gzip, xz, zstd or bzip2, told by their bytes.
//! - [`deadline`]: a time limit on a read, for `opsdeck check`.
//! - [`source`]: following files (every rotation style), backfill, journald (I/O, off the loop).
//! - [`pane`] / [`view`]: the Failures pane's state and drawing.
//! - [`summary`]: `opsdeck summary`, the same parser over whole files.
//! - [`demo`](mod@demo): a live-written mail log for the demo.

pub mod bulk;
pub mod check;
pub mod classify;
pub mod compressed;
pub mod deadline;
pub mod demo;
mod journal_entry;
pub mod model;
pub mod pane;
pub mod parse;
pub mod source;
pub mod summary;
pub mod tally;
pub mod view;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::app::effect::{Runner, SourceEvent};
use crate::config::Config;
use crate::sanitize::Clean;

pub use model::MailLog;
pub use pane::{FailuresAction, FailuresPane};

/// Where the mail log comes from.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogSourceKind {
    /// Follow `files`.
    #[default]
    File,
    /// Follow `journalctl -f` (as JSON, by entry cursor) for `journal_units`.
    Journal,
}

/// The `[mail_log]` section of the configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `file` (default) or `journal`.
    #[serde(default)]
    pub source: LogSourceKind,
    /// Log files to follow (rsyslog's `/var/log/mail.log`, Postfix's own `maillog_file`, ...).
    #[serde(
        default = "default_files",
        deserialize_with = "crate::config::one_or_many"
    )]
    pub files: Vec<PathBuf>,
    /// systemd units for the journal source (globs allowed).
    #[serde(
        default = "default_units",
        deserialize_with = "crate::config::one_or_many"
    )]
    pub journal_units: Vec<String>,
    /// A directory of journal files the journal source reads instead of the host's journal
    /// (`journalctl --directory`): a journal copied from another host, a container's, or the
    /// files `systemd-journal-remote` writes on a central log host.
    #[serde(default)]
    pub journal_directory: Option<PathBuf>,
    /// Hours of history read at start (from the current and rotated files), in the background.
    #[serde(default = "default_backfill_hours")]
    pub backfill_hours: u64,
    /// How often to look at the file when no change notification arrives (ms).
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// Never use inotify (network filesystems): poll only.
    #[serde(default)]
    pub poll_only: bool,
    /// Lines longer than this many bytes are cut and marked.
    #[serde(default = "default_max_line")]
    pub max_line_bytes: usize,
}

fn default_files() -> Vec<PathBuf> {
    vec![PathBuf::from("/var/log/mail.log")]
}
fn default_units() -> Vec<String> {
    vec!["postfix*".into()]
}
fn default_backfill_hours() -> u64 {
    24
}
fn default_poll_ms() -> u64 {
    500
}
fn default_max_line() -> usize {
    parse::MAX_LINE
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            source: LogSourceKind::File,
            files: default_files(),
            journal_units: default_units(),
            journal_directory: None,
            backfill_hours: default_backfill_hours(),
            poll_interval_ms: default_poll_ms(),
            poll_only: false,
            max_line_bytes: default_max_line(),
        }
    }
}

impl LogConfig {
    /// Where the log is when the configuration names no source of its own (the default
    /// `/var/log/mail.log`) and that file does not exist: Postfix's own log (`maillog_file`), or
    /// else the journal when journald runs (a host with no syslog daemon, as Debian 12 and later
    /// are installed), and why. `None` when the configured source stands.
    pub fn host_log(
        &self,
        exists: impl Fn(&Path) -> bool,
        maillog_file: impl FnOnce() -> Option<PathBuf>,
        journald_runs: impl FnOnce() -> bool,
    ) -> Option<(HostLog, String)> {
        if self.source != LogSourceKind::File || self.files != default_files() {
            return None;
        }
        let default = &self.files[0];
        if exists(default) {
            return None;
        }
        if let Some(own) = maillog_file().filter(|p| exists(p)) {
            let why = format!(
                "{} does not exist: following Postfix's own log {} (maillog_file)",
                default.display(),
                own.display()
            );
            return Some((HostLog::File(own), why));
        }
        journald_runs().then(|| {
            let why = format!(
                "{} does not exist and Postfix writes no log of its own (maillog_file): reading \
                 the journal (units {})",
                default.display(),
                self.journal_units.join(", ")
            );
            (HostLog::Journal, why)
        })
    }

    /// `journalctl [--directory=DIR] -u UNIT...`: the `journalctl` a hint tells the user to run
    /// to read the journal opsdeck reads (its configured units, in its `journal_directory` when
    /// one is set). Words quoted for a shell when they must be, and escaped for the terminal.
    pub fn journalctl_words(&self) -> Clean {
        let mut words = vec!["journalctl".to_string()];
        if let Some(dir) = &self.journal_directory {
            words.push(format!(
                "--directory={}",
                crate::sanitize::shell_word(&dir.to_string_lossy())
            ));
        }
        for unit in &self.journal_units {
            words.push(format!("-u {}", crate::sanitize::shell_word(unit)));
        }
        Clean::new(&words.join(" "))
    }

    /// How to search the whole log for queue id `id` by hand, where the lines the pane keeps
    /// do not reach: `zgrep` over the configured files and their rotations (and the journal,
    /// which often holds the same lines), or `journalctl --grep` for a journal source.
    pub fn search_hint(&self, id: &str) -> Clean {
        let journal = format!(
            "{} --grep {}",
            self.journalctl_words().as_str(),
            Clean::new(id)
        );
        let hint = match self.source {
            LogSourceKind::File if !self.files.is_empty() => {
                let files: Vec<String> = self
                    .files
                    .iter()
                    .map(|f| format!("{}*", crate::sanitize::shell_word(&f.to_string_lossy())))
                    .collect();
                let grep = Clean::new(&format!("zgrep {id} {}", files.join(" ")));
                format!("{}, or {journal}", grep.as_str())
            }
            _ => journal,
        };
        Clean::joined(hint)
    }

    /// Labels of the sources, in the order `LogEvent`s number them.
    pub fn source_labels(&self) -> Vec<String> {
        let labels = match self.source {
            LogSourceKind::File => self.files.iter().map(|p| p.display().to_string()).collect(),
            LogSourceKind::Journal => {
                let units = self.journal_units.join(", ");
                vec![match &self.journal_directory {
                    Some(dir) => format!("journal ({units}) in {}", dir.display()),
                    None => format!("journal ({units})"),
                }]
            }
        };
        // file and unit names reach the screen: escaped here, once
        labels
            .into_iter()
            .map(|l| crate::sanitize::Clean::new(&l).into_string())
            .collect()
    }
}

/// Postfix's own log file (`maillog_file`, Postfix 3.4 and later) as `postconf -h` reports it for
/// an instance: `None` when it sets none, logs to a device (`/dev/stdout` under a container's
/// supervisor), or postconf cannot be run.
pub fn postfix_maillog_file(inst: &crate::config::PostfixInstance) -> Option<PathBuf> {
    let mut cmd = maillog_file_command(inst);
    cmd.stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let out = cmd.output().ok().filter(|o| o.status.success())?;
    maillog_file_of(&out.stdout)
}

/// `postconf -h maillog_file` for an instance.
fn maillog_file_command(inst: &crate::config::PostfixInstance) -> std::process::Command {
    let mut cmd = crate::mail::senders::postconf::postfix_command(inst, "postconf");
    cmd.args(["-h", "maillog_file"]);
    cmd
}

/// The log file `postconf -h maillog_file` printed, if it names one.
fn maillog_file_of(stdout: &[u8]) -> Option<PathBuf> {
    let value = String::from_utf8_lossy(stdout).trim().to_string();
    (value.starts_with('/') && !value.starts_with("/dev/")).then(|| PathBuf::from(value))
}

/// [`adopt_host_log`] for `opsdeck check`: postconf is asked only when the answer is needed,
/// and is stopped at the check's limit for a local read. The finding's words when it was, clean
/// (the command escaped).
pub async fn adopt_host_log_within(config: &mut Config) -> Option<String> {
    use crate::mail::queue::commands::{self, CommandSpec};
    let inst = config.postfix.first().cloned()?;
    let needed = config
        .mail_log
        .host_log(|p| p.exists(), || None, || true)
        .is_some();
    if !needed {
        return None;
    }
    let limit = config.check.local_limit();
    let until = tokio::time::Instant::from_std(config.check.after_start(limit.0));
    let spec = CommandSpec::from_command(&maillog_file_command(&inst));
    let (own, cut) = match tokio::time::timeout_at(until, commands::run(&spec, 64 * 1024)).await {
        Ok(Ok(c)) => (maillog_file_of(&c.stdout), None),
        Ok(Err(_)) => (None, None),
        Err(_) => (
            None,
            Some(format!(
                "{}: stopped; Postfix's own log file was not looked for",
                crate::check::no_answer(&spec.display(), limit)
            )),
        ),
    };
    adopt_with(config, || own);
    cut
}

/// Where the log of a host with no `/var/log/mail.log` is, when the configuration names none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostLog {
    /// Postfix's own log file.
    File(PathBuf),
    /// The journal.
    Journal,
}

/// Read Postfix's own log, or the journal, when the configuration names no log and the default
/// file does not exist ([`LogConfig::host_log`]; `maillog_file` of the first `[[postfix]]`
/// instance). The reason, when it does.
pub fn adopt_host_log(config: &mut Config) -> Option<String> {
    let inst = config.postfix.first().cloned();
    adopt_with(config, || inst.as_ref().and_then(postfix_maillog_file))
}

/// [`adopt_host_log`] with Postfix's own log file found by `maillog_file`.
fn adopt_with(
    config: &mut Config,
    maillog_file: impl FnOnce() -> Option<PathBuf>,
) -> Option<String> {
    let (log, why) = config.mail_log.host_log(
        |p| p.exists(),
        maillog_file,
        // journald's socket: it runs, and syslog(3) lines with no syslog daemon go to it
        || Path::new("/run/systemd/journal/socket").exists(),
    )?;
    match log {
        HostLog::File(own) => config.mail_log.files = vec![own],
        HostLog::Journal => config.mail_log.source = LogSourceKind::Journal,
    }
    Some(why)
}

/// Errors of this feature, each naming the file or command that failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{message}")]
    Io {
        path: PathBuf,
        message: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{command}: {message}")]
    Command { command: String, message: String },
    #[error("--since {0:?}: expected a duration with its unit, such as 90m, 6h, 2d, 1w")]
    Duration(String),
    #[error(
        "{flag} {given:?}: expected a duration ago (90m, 6h, 2d, 1w), today, yesterday, a time of day (14:30), or a date and time (2026-12-05, \"2026-12-05 14:30\")"
    )]
    Time { flag: &'static str, given: String },
}

impl LogError {
    pub fn io(path: &Path, source: std::io::Error) -> LogError {
        LogError::Io {
            path: path.to_path_buf(),
            message: source::unavailable_message(path, &source),
            source,
        }
    }
}

/// What this feature's sources report.
#[derive(Debug)]
pub enum LogEvent {
    /// Parsed lines, oldest first. `backfill` lines come from history read at start.
    Lines {
        source: usize,
        lines: Vec<parse::LogLine>,
        backfill: bool,
        unparsed: u64,
    },
    /// A source's state changed (missing, unreadable, following again).
    State {
        source: usize,
        state: source::SourceState,
        notify: bool,
    },
    /// Backfill finished for a source.
    BackfillDone {
        source: usize,
        lines: u64,
        files: usize,
    },
}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum LogEffect {
    /// Nothing: the log is only read, and its sources run by themselves.
    Noop,
}

/// Start this feature's source tasks.
pub fn start(runner: &Runner) {
    let cfg = runner.config.mail_log.clone();
    match cfg.source {
        LogSourceKind::File => {
            // which log was picked, when none was configured, is in opsdeck's log file too
            let files: Vec<String> = cfg.files.iter().map(|p| p.display().to_string()).collect();
            tracing::info!("mail log: following {}", files.join(", "));
            for (i, path) in cfg.files.iter().enumerate() {
                let runner = runner.clone();
                let path = path.clone();
                let cfg = cfg.clone();
                tokio::task::spawn_blocking(move || {
                    source::run_file_source(i, &path, &cfg, &mut |ev| {
                        if runner.tx.is_closed() {
                            return false;
                        }
                        runner.blocking_send(SourceEvent::Log(ev));
                        true
                    })
                });
            }
        }
        LogSourceKind::Journal => {
            tracing::info!(
                "mail log: following the journal (units {})",
                cfg.journal_units.join(", ")
            );
            let runner = runner.clone();
            tokio::spawn(async move { source::run_journal_source(0, &cfg, &runner).await });
        }
    }
}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: LogEffect, _runner: &Runner) {
    match effect {
        LogEffect::Noop => {}
    }
}

/// Add this feature's part to the demo sandbox: a mail log in Postfix's format with a few hours
/// of history (with the lines of the demo queue's messages, `queued`) and a tokio task that keeps
/// appending a realistic mix of outcomes.
pub fn demo(
    sandbox: &Path,
    config: &mut Config,
    queued: &[crate::mail::queue::parse::QueueEntry],
) -> anyhow::Result<()> {
    demo::install(sandbox, config, queued)
}

/// How long to wait between polls.
pub(crate) fn poll_interval(cfg: &LogConfig) -> Duration {
    Duration::from_millis(cfg.poll_interval_ms.clamp(50, 60_000))
}

#[cfg(test)]
mod pane_tests;
#[cfg(test)]
pub(crate) mod testdata;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_source_is_labelled_with_its_directory() {
        let mut cfg = LogConfig {
            source: LogSourceKind::Journal,
            ..LogConfig::default()
        };
        assert_eq!(cfg.source_labels(), ["journal (postfix*)"]);
        cfg.journal_directory = Some(PathBuf::from("/var/log/journal/remote"));
        assert_eq!(
            cfg.source_labels(),
            ["journal (postfix*) in /var/log/journal/remote"]
        );
    }

    /// A file, unit or directory name is the configuration's, and the pane shows it: a control
    /// character in it is shown escaped, never sent to the terminal.
    #[test]
    fn source_labels_are_escaped() {
        let files = LogConfig {
            files: vec![PathBuf::from("/var/log/mail\u{1b}[2J.log")],
            ..LogConfig::default()
        };
        let journal = LogConfig {
            source: LogSourceKind::Journal,
            journal_units: vec!["postfix\u{7}*".into()],
            journal_directory: Some(PathBuf::from("/srv/j\u{9b}2J")),
            ..LogConfig::default()
        };
        for label in files.source_labels().iter().chain(&journal.source_labels()) {
            assert!(!label.chars().any(char::is_control), "{label:?}");
        }
        assert_eq!(files.source_labels(), ["/var/log/mail\\e[2J.log"]);
    }

    /// The `journalctl` a hint names reads the journal opsdeck reads: its units, in the
    /// configured journal directory; quoted for a shell when it must be, and escaped for the
    /// terminal.
    #[test]
    fn a_hint_names_the_journal_read() {
        let with = |dir: Option<&str>, units: &[&str]| {
            LogConfig {
                journal_directory: dir.map(PathBuf::from),
                journal_units: units.iter().map(|u| u.to_string()).collect(),
                ..LogConfig::default()
            }
            .journalctl_words()
            .into_string()
        };
        assert_eq!(with(None, &["postfix*"]), "journalctl -u 'postfix*'");
        assert_eq!(
            with(
                Some("/var/log/journal/remote"),
                &["postfix@-.service", "postfix-out*"]
            ),
            "journalctl --directory=/var/log/journal/remote -u postfix@-.service -u 'postfix-out*'"
        );
        assert_eq!(
            with(Some("/srv/mx logs/it's"), &["postfix*"]),
            r"journalctl --directory='/srv/mx logs/it'\''s' -u 'postfix*'"
        );
        assert_eq!(
            with(Some("/srv/j\u{1b}[2J"), &["pf\u{7}"]),
            r"journalctl --directory='/srv/j\e[2J' -u 'pf\x07'"
        );
    }

    /// A search for a queue id by hand names the files read (each with its rotations) or the
    /// journal read.
    #[test]
    fn a_search_hint_names_what_is_read() {
        let files = LogConfig {
            files: vec![
                PathBuf::from("/var/log/mail.log"),
                PathBuf::from("/srv/mx logs/postfix.log"),
            ],
            ..LogConfig::default()
        };
        assert_eq!(
            files.search_hint("3F2A1B2C3D").as_str(),
            "zgrep 3F2A1B2C3D /var/log/mail.log* '/srv/mx logs/postfix.log'*, \
             or journalctl -u 'postfix*' --grep 3F2A1B2C3D"
        );
        let journal = LogConfig {
            source: LogSourceKind::Journal,
            journal_directory: Some(PathBuf::from("/var/log/journal/remote")),
            ..LogConfig::default()
        };
        assert_eq!(
            journal.search_hint("3F2A1B2C3D").as_str(),
            "journalctl --directory=/var/log/journal/remote -u 'postfix*' --grep 3F2A1B2C3D"
        );
        let hostile = LogConfig {
            files: vec![PathBuf::from("/var/log/m\u{1b}[2J")],
            ..LogConfig::default()
        };
        assert!(
            !hostile.search_hint("3F2A").contains('\u{1b}'),
            "{}",
            hostile.search_hint("3F2A")
        );
    }

    #[test]
    fn the_host_log_only_stands_in_for_a_missing_default() {
        let own = PathBuf::from("/var/log/postfix.log");
        let exists = |missing: &'static [&'static str]| {
            move |p: &Path| !missing.iter().any(|m| p == Path::new(m))
        };
        let cfg = LogConfig::default();
        let journald = || true;
        // no /var/log/mail.log, Postfix logs to its own file: that file
        assert_eq!(
            cfg.host_log(
                exists(&["/var/log/mail.log"]),
                || Some(own.clone()),
                journald
            ),
            Some((
                HostLog::File(own.clone()),
                "/var/log/mail.log does not exist: following Postfix's own log \
                 /var/log/postfix.log (maillog_file)"
                    .to_string()
            ))
        );
        // the default exists: the default
        assert_eq!(
            cfg.host_log(exists(&[]), || Some(own.clone()), journald),
            None
        );
        // Postfix sets no file, or its file is missing too: the journal, where journald runs
        let journal = Some((
            HostLog::Journal,
            "/var/log/mail.log does not exist and Postfix writes no log of its own \
             (maillog_file): reading the journal (units postfix*)"
                .to_string(),
        ));
        assert_eq!(
            cfg.host_log(exists(&["/var/log/mail.log"]), || None, journald),
            journal
        );
        let both = exists(&["/var/log/mail.log", "/var/log/postfix.log"]);
        assert_eq!(cfg.host_log(both, || Some(own.clone()), journald), journal);
        // and the default, waited for, where it does not
        assert_eq!(
            cfg.host_log(exists(&["/var/log/mail.log"]), || None, || false),
            None
        );
        // files the configuration names, or the journal, are never replaced
        let named = LogConfig {
            files: vec![PathBuf::from("/srv/log/mail.log")],
            ..LogConfig::default()
        };
        let gone = exists(&["/srv/log/mail.log"]);
        assert_eq!(named.host_log(gone, || Some(own.clone()), journald), None);
        let journal = LogConfig {
            source: LogSourceKind::Journal,
            ..LogConfig::default()
        };
        let gone = exists(&["/var/log/mail.log"]);
        assert_eq!(journal.host_log(gone, || Some(own.clone()), journald), None);
    }
}
