//! What the mail log says each sender did, and one message's path through
//! it (the test-mail trace).
//!
//! Everything here reads the log with the Failures pane's parser and model,
//! and names causes with its classifier: the console has one of each. The
//! trace of a test mail ([`trace_from_model`]) runs over the pane's own
//! follow of the log file or over `Shared.mail_log`. Per-sender outcomes
//! come from `Shared.mail_log` ([`from_shared`]) once the Failures pane has
//! fed it; before that, [`activity_from_tail`] feeds the log's tail to a
//! model of its own, and `opsdeck check`'s [`activity_from_files`] the whole
//! day's log. Pure text in, values out; those two only read files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Local};
use regex::Regex;

use crate::mail::log::classify::Category;
use crate::mail::log::deadline::Deadline;
use crate::mail::log::model::RowStatus;
use crate::mail::log::parse::YearGuess;
use crate::sanitize::Clean;

static QUEUED_AS: LocalLazy =
    LazyLock::new(|| Regex::new(r"queued as ([0-9A-Za-z]+)").expect("static regex"));

type LocalLazy = LazyLock<Regex>;

/// The queue id in an SMTP reply (`250 2.0.0 Ok: queued as 3FFCBC890E`).
/// Whatever its length: a long id (`enable_long_queue_ids`) of a filesystem with large inode
/// numbers runs to 23 characters. Only a valid id is taken, as the log's parser would.
pub fn queue_id_from_reply(reply: &str) -> Option<String> {
    let id = &QUEUED_AS.captures(reply)?[1];
    crate::mail::queue::QueueId::parse(id)
        .ok()
        .map(|q| q.as_str().to_string())
}

/// A sender's latest deferral or bounce: the relay's words and their cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `Deferred` or `Bounced` (expired and undeliverable mail counts as bounced here).
    pub status: RowStatus,
    /// As the Failures pane names it.
    pub cause: Category,
    pub reason: Clean,
}

/// What one sender's mail did recently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub sent: u32,
    pub deferred: u32,
    pub bounced: u32,
    /// Mail that nobody was told about: removed with no final status, dropped by a DISCARD
    /// rule, or its bounce notice failed too (counted here, with the sender who was not told,
    /// and not with the null sender who sent the notice).
    pub lost: u32,
    /// Of `lost`, this sender's failed mail whose bounce notice failed too: the same messages
    /// are in `bounced` (or `deferred`, a notice of delay).
    pub lost_notices: u32,
    /// Deleted with `postsuper -d` before a final delivery: never delivered and the sender not
    /// told either, but someone chose to (not in `lost`).
    pub deleted: u32,
    /// The latest deferral or bounce.
    pub last_problem: Option<Problem>,
    /// When it was logged.
    pub last_problem_at: Option<DateTime<chrono::FixedOffset>>,
    /// Why the latest lost message was lost.
    pub last_lost: Option<Clean>,
    /// Mail was delivered after the latest deferral or bounce.
    pub delivered_since_problem: bool,
}

/// Per-sender outcomes (lower-cased sender; `""` is the null sender).
pub type SenderActivity = BTreeMap<String, Outcomes>;

/// Per-sender outcomes from `Shared.mail_log` (the Failures pane's model);
/// `None` while that model has seen no line, and the pane then counts from
/// its own read of the log ([`activity_from_tail`]).
pub fn from_shared(
    log: &crate::mail::log::MailLog,
    since: DateTime<Local>,
) -> Option<SenderActivity> {
    from_model(log, since)
}

/// Per-sender outcomes from the Failures pane's model since `since`, from its per-sender tally
/// (every outcome, not only those it keeps for its table). `None` when it has seen no line.
pub fn from_model(
    log: &crate::mail::log::model::MailLog,
    since: DateTime<Local>,
) -> Option<SenderActivity> {
    if log.lines == 0 {
        return None;
    }
    // every outcome since `since`, not only those the model keeps for the table
    let tallies = log.sender_tallies(since.fixed_offset())?;
    Some(
        tallies
            .into_iter()
            .map(|(sender, t)| {
                let c = t.counts;
                let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
                let outcomes = Outcomes {
                    sent: n(c.sent),
                    deferred: n(c.deferred),
                    // expired mail was returned to its sender, as a bounce is
                    bounced: n(c.bounced + c.expired),
                    // not a bounce: the sender was never told
                    lost: n(c.lost),
                    lost_notices: n(c.lost_notices),
                    deleted: n(c.deleted),
                    last_problem: t.last_problem.map(|(status, cause, reason)| Problem {
                        status: if status == RowStatus::Deferred {
                            RowStatus::Deferred
                        } else {
                            RowStatus::Bounced
                        },
                        cause,
                        reason,
                    }),
                    last_problem_at: t.last_problem_at,
                    last_lost: t.last_lost,
                    delivered_since_problem: t.delivered_since_problem,
                };
                (sender, outcomes)
            })
            .collect(),
    )
}

/// Count outcomes per sender over log text, keeping facts newer than `since`
/// ([`activity_from_files`] over text). The text is read by
/// the Failures pane's parser and model, so the counts are the pane's: lost mail included, and the
/// same causes.
#[cfg(test)]
pub fn activity_from_lines(
    text: &str,
    now: DateTime<Local>,
    since: DateTime<Local>,
) -> SenderActivity {
    use crate::mail::log::parse::parse_line_ref;
    let mut log = tally_model();
    let mut years = YearGuess::new(now.date_naive());
    for line in text.lines() {
        if let Some(l) = parse_line_ref(line, &mut years, false) {
            log.ingest(l);
        }
    }
    from_model(&log, since).unwrap_or_default()
}

/// Per-sender outcomes since `since`, read from the log file `path` and those of its rotated
/// files written to since then (oldest first, `.gz` too), streamed through the Failures pane's
/// parser and model: the counts its model has after its backfill, with memory bounded however
/// much a busy day logs. The current file not being readable is the error; a rotated one that
/// cannot be read is left out (and logged). What `opsdeck check` counts.
pub fn activity_from_files(
    path: &Path,
    now: DateTime<Local>,
    since: DateTime<Local>,
    max_line: usize,
) -> std::io::Result<SenderActivity> {
    activity_from_files_by(path, now, since, max_line, None).map(|(a, _)| a)
}

/// Where a read stopped at its deadline: the file, and the time of the last line read.
#[derive(Clone, Debug, PartialEq)]
pub struct LogCut {
    pub file: Clean,
    pub last: Option<DateTime<chrono::FixedOffset>>,
}

/// [`activity_from_files`] that stops reading at `deadline`: the counts of what was read, and
/// where it stopped.
fn activity_from_files_by(
    path: &Path,
    now: DateTime<Local>,
    since: DateTime<Local>,
    max_line: usize,
    deadline: Option<&Deadline>,
) -> std::io::Result<(SenderActivity, Option<LogCut>)> {
    use crate::mail::log::source::{open_plain_input_at, rotated_siblings, start_offset};
    use std::io::{Seek, SeekFrom};
    let limit = |input: Box<dyn std::io::Read + Send>| match deadline {
        Some(d) => d.limit_read(input),
        None => input,
    };
    let cut_in = |log: &crate::mail::log::model::MailLog, file: &Path| LogCut {
        file: Clean::new(&file.display().to_string()),
        last: log.latest(),
    };
    let mut current = std::fs::File::open(path)?;
    // plain files from about an hour before `since` (a week-long mail.log is not read whole)
    let since_fixed = since.fixed_offset();
    let mut log = tally_model();
    let mut years = YearGuess::new(now.date_naive());
    let written_since = std::time::SystemTime::from(since);
    for rotated in rotated_siblings(path) {
        let recent = std::fs::metadata(&rotated)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= written_since);
        if !recent {
            continue;
        }
        let start = start_offset(&rotated, since_fixed, u64::MAX);
        let read = open_plain_input_at(&rotated, start).and_then(|input| {
            ingest_all(&mut *limit(input), &mut log, &mut years, max_line)
                .map_err(|e| crate::mail::log::LogError::io(&rotated, e))
        });
        match read {
            Err(_) if deadline.is_some_and(Deadline::cut) => {
                let cut = cut_in(&log, &rotated);
                return Ok((from_model(&log, since).unwrap_or_default(), Some(cut)));
            }
            Err(e) => tracing::warn!("per-sender counts: {e}"),
            Ok(()) => {}
        }
    }
    // a named pipe cannot seek, and is read from where it stands (a bisected start is 0 there)
    let start = start_offset(path, since_fixed, u64::MAX);
    if start > 0 {
        current.seek(SeekFrom::Start(start))?;
    }
    let mut cut = None;
    match ingest_all(
        &mut *limit(Box::new(current)),
        &mut log,
        &mut years,
        max_line,
    ) {
        Err(_) if deadline.is_some_and(Deadline::cut) => cut = Some(cut_in(&log, path)),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    Ok((from_model(&log, since).unwrap_or_default(), cut))
}

/// Where per-sender outcomes are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogInput {
    /// A log file and its rotated files.
    File(std::path::PathBuf),
    /// The journal (`source = "journal"`).
    Journal(crate::mail::log::source::JournalQuery),
}

/// Per-sender outcomes since `since` from `input`: a file's [`activity_from_files`] (or, with
/// `tail`, [`activity_from_tail`]), or the journal's lines over the window. What cannot be read
/// is said with what to do.
pub fn activity(
    input: &LogInput,
    now: DateTime<Local>,
    since: DateTime<Local>,
    max_line: usize,
    tail: Option<u64>,
) -> Result<SenderActivity, String> {
    use crate::mail::log::source::unavailable_message;
    match (input, tail) {
        (LogInput::File(path), Some(bytes)) => {
            activity_from_tail(path, now, since, max_line, bytes)
                .map_err(|e| unavailable_message(path, &e))
        }
        _ => activity_by(input, now, since, max_line, None).map(|(a, _)| a),
    }
}

/// [`activity`] over the whole window that stops reading at `deadline` (when given): the
/// counts of what was read, and where it stopped. What `opsdeck check` reads.
pub fn activity_by(
    input: &LogInput,
    now: DateTime<Local>,
    since: DateTime<Local>,
    max_line: usize,
    deadline: Option<&Deadline>,
) -> Result<(SenderActivity, Option<LogCut>), String> {
    use crate::mail::log::source::unavailable_message;
    match input {
        LogInput::File(path) => activity_from_files_by(path, now, since, max_line, deadline)
            .map_err(|e| unavailable_message(path, &e)),
        LogInput::Journal(query) => {
            use crate::mail::log::source::JournalWindow;
            let mut journal = match deadline {
                Some(d) => JournalWindow::under(query, Some(since.fixed_offset()), d)?,
                None => JournalWindow::start(query, Some(since.fixed_offset()), None)?,
            };
            let mut log = tally_model();
            let mut years = YearGuess::new(now.date_naive());
            let mut stdout: Box<dyn std::io::Read + Send + '_> = Box::new(&mut journal.stdout);
            if let Some(d) = deadline {
                stdout = d.limit_read(stdout);
            }
            let read = ingest_all(&mut *stdout, &mut log, &mut years, max_line);
            drop(stdout);
            let command = journal.describe.clone();
            if read.is_err() && deadline.is_some_and(Deadline::cut) {
                journal.stop();
                let cut = LogCut {
                    file: Clean::new(&command),
                    last: log.latest(),
                };
                return Ok((from_model(&log, since).unwrap_or_default(), Some(cut)));
            }
            if let Some(e) = journal.finish(&query.units) {
                return Err(e);
            }
            read.map_err(|e| format!("{command}: {e}"))?;
            Ok((from_model(&log, since).unwrap_or_default(), None))
        }
    }
}

/// How much of the log the Senders pane reads for itself: it does only while the Failures pane's
/// model has no line, which on a busy host lasts the first moments of that pane's backfill, and a
/// whole day's read then would be the backfill's work done twice.
pub const PANE_TAIL: u64 = 16 << 20;

/// Per-sender outcomes since `since` from the last `max_bytes` of the log file `path` (from the
/// first whole line), as [`activity_from_files`] counts them. The Senders pane's own read.
pub fn activity_from_tail(
    path: &Path,
    now: DateTime<Local>,
    since: DateTime<Local>,
    max_line: usize,
    max_bytes: u64,
) -> std::io::Result<SenderActivity> {
    use std::io::{BufRead, Seek, SeekFrom};
    // the log the pane's refresh reads: a FIFO there would hold it, and every refresh after it,
    // and /dev/zero has no tail
    let mut f = crate::plainfile::open(path)?;
    let start = f.metadata()?.len().saturating_sub(max_bytes);
    f.seek(SeekFrom::Start(start))?;
    let mut input = std::io::BufReader::new(f);
    if start > 0 {
        // the rest of a line begun before the tail
        input.read_until(b'\n', &mut Vec::new())?;
    }
    let mut log = tally_model();
    let mut years = YearGuess::new(now.date_naive());
    ingest_all(&mut input, &mut log, &mut years, max_line)?;
    Ok(from_model(&log, since).unwrap_or_default())
}

/// Feed every line of `input` to `log`.
fn ingest_all(
    input: &mut (dyn std::io::Read + Send),
    log: &mut crate::mail::log::model::MailLog,
    years: &mut YearGuess,
    max_line: usize,
) -> std::io::Result<()> {
    crate::mail::log::bulk::for_each_line(input, years, 1, false, max_line, &mut |l| {
        if let Some(l) = l {
            log.ingest(l);
        }
    })
}

/// A model that keeps nothing but its per-sender tally (which counts every outcome).
fn tally_model() -> crate::mail::log::model::MailLog {
    use crate::mail::log::model::{Limits, MailLog};
    MailLog::with_limits(Limits {
        outcomes: 0,
        lines_per_message: 0,
        warnings: 0,
        ..Limits::default()
    })
}

/// Where a traced message stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceStatus {
    /// Waiting for the first log line.
    Queued,
    /// In the active queue, no delivery attempt logged yet.
    Active,
    Sent {
        relay: Clean,
        reply: Clean,
    },
    /// Will be retried; the explanation says why it failed this time.
    Deferred {
        dsn: Clean,
        reason: Clean,
    },
    Bounced {
        dsn: Clean,
        reason: Clean,
    },
}

impl TraceStatus {
    pub fn is_final(&self) -> bool {
        matches!(self, TraceStatus::Sent { .. } | TraceStatus::Bounced { .. })
    }
}

/// One traced message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The id the test mail was queued as (what the trace is known by).
    pub queue_id: String,
    /// The id it has now, when it was requeued (`postsuper -r` gives it a new one).
    pub requeued_as: Option<String>,
    pub from: Clean,
    pub to: Clean,
    pub status: TraceStatus,
    /// Log lines seen for this id, sanitized and capped.
    pub lines: Vec<Clean>,
    /// The bounce notice's queue id, if Postfix sent one.
    pub notice: Option<String>,
    pub done: bool,
}

impl Trace {
    pub fn new(queue_id: &str, from: &str, to: &str) -> Trace {
        Trace {
            queue_id: queue_id.to_string(),
            requeued_as: None,
            from: Clean::new(from),
            to: Clean::new(to),
            status: TraceStatus::Queued,
            lines: Vec::new(),
            notice: None,
            done: false,
        }
    }
}

/// The trace of a test mail as the Failures pane's model sees it (its
/// parser and its correlation of qmgr, smtp and bounce lines). `None` until
/// the model has a line for this queue id.
pub fn trace_from_model(
    log: &crate::mail::log::model::MailLog,
    queue_id: &str,
    from: &str,
    to: &str,
) -> Option<Trace> {
    use crate::mail::log::model::MessageState;
    let mut fs = log.final_status(queue_id)?;
    // requeued (`postsuper -r`): pickup gave it a new id, under which it goes on; a chain of
    // requeues is followed to its end, a bounded number of steps
    let mut current = queue_id.to_string();
    for _ in 0..16 {
        let Some(next) = fs.requeued_to.as_ref().map(|n| n.to_string()) else {
            break;
        };
        let Some(next_fs) = log.final_status(&next) else {
            break;
        };
        fs = next_fs;
        current = next;
    }
    let status = match &fs.last {
        None => TraceStatus::Active,
        Some(o) => match o.status {
            RowStatus::Sent => TraceStatus::Sent {
                relay: o.relay.clone(),
                reply: o.reason.clone(),
            },
            RowStatus::Deferred => TraceStatus::Deferred {
                dsn: o.dsn.clone(),
                reason: o.reason.clone(),
            },
            _ => TraceStatus::Bounced {
                dsn: o.dsn.clone(),
                reason: o.reason.clone(),
            },
        },
    };
    // requeued and not picked up yet: it waits in maildrop for its new id
    let done =
        status.is_final() || !matches!(fs.state, MessageState::Queued | MessageState::Requeued);
    Some(Trace {
        queue_id: queue_id.to_string(),
        requeued_as: (current != queue_id).then(|| current.clone()),
        from: Clean::new(from),
        to: Clean::new(to),
        status,
        lines: log.history(&current),
        notice: fs.notification.map(|n| n.to_string()),
        done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::log::classify::classify;
    use crate::mail::log::model::MailLog;
    use crate::mail::log::parse::{Status, YearGuess, parse_line};
    use chrono::TimeZone;

    const CORPUS: &str = include_str!("../../../tests/fixtures/maillog/corpus-3.7.log");

    fn now() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap()
    }

    #[test]
    fn queue_id_in_reply() {
        assert_eq!(
            queue_id_from_reply("2.0.0 Ok: queued as 3FFCBC890E").as_deref(),
            Some("3FFCBC890E")
        );
        assert_eq!(
            queue_id_from_reply("250 2.0.0 Ok: queued as 4dWqzB0tXvzJrNn").as_deref(),
            Some("4dWqzB0tXvzJrNn")
        );
        assert_eq!(queue_id_from_reply("250 ok"), None);
        // a long id with a 64-bit inode number: cut at 20 characters, the trace followed
        // another id
        assert_eq!(
            queue_id_from_reply("250 2.0.0 Ok: queued as 4dWqzB0tXvzJrNnBCDFGHJK").as_deref(),
            Some("4dWqzB0tXvzJrNnBCDFGHJK")
        );
        assert_eq!(
            queue_id_from_reply("250 2.0.0 Ok: queued as not-an-id"),
            None
        );
    }

    #[test]
    fn a_log_that_is_a_named_pipe_is_read_from_where_it_stands() {
        // syslog-ng or a log shipper writing to a pipe: it cannot seek, and it need not
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        let made = std::process::Command::new("mkfifo")
            .arg(&log)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let writer = {
            let log = log.clone();
            std::thread::spawn(move || std::fs::write(&log, CORPUS).unwrap())
        };
        let since = now() - chrono::Duration::days(1);
        let a = activity_from_files(&log, now(), since, 64 << 10).unwrap();
        writer.join().unwrap();
        assert!(a["alice@example.com"].sent >= 1, "{a:?}");
    }

    #[test]
    fn the_panes_read_of_a_fifo_or_a_device_as_the_log_says_so_at_once() {
        // the Senders pane's refresh reads the log's tail: a FIFO there held it, and every
        // refresh after it, and /dev/zero was read without end
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("mail.log");
        crate::plainfile::testing::mkfifo(&fifo);
        let zero = dir.path().join("zero.log");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for (log, what) in [(fifo, "a FIFO (named pipe)"), (zero, "a character device")] {
            let (tx, rx) = std::sync::mpsc::channel();
            let input = LogInput::File(log.clone());
            std::thread::spawn(move || {
                let since = now() - chrono::Duration::days(1);
                tx.send(activity(&input, now(), since, 64 << 10, Some(PANE_TAIL)))
            });
            let got = rx
                .recv_timeout(std::time::Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("{what}: still read after 5 s"));
            assert_eq!(
                got.unwrap_err(),
                format!("{}: is {what}, not a plain file", log.display())
            );
        }
    }

    #[test]
    fn a_days_read_that_would_not_end_stops_at_the_deadline_with_what_it_read() {
        use crate::mail::log::deadline::testing::endless_log;
        let dir = tempfile::tempdir().unwrap();
        let now = Local::now();
        let stamp = now.format("%Y-%m-%dT%H:%M:%S%:z");
        let first = format!(
            "{stamp} web postfix/qmgr[5]: 2B3C4D5E6F: from=<app@example.com>, size=300, nrcpt=1 \
             (queue active)\n\
             {stamp} web postfix/smtp[7]: 2B3C4D5E6F: to=<b@example.net>, relay=none, delay=1, \
             delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] \
             said: 550 5.1.1 User unknown (in reply to RCPT TO command))\n"
        );
        let log = endless_log(dir.path(), "mail.log", &first);
        let deadline = Deadline::after(std::time::Duration::from_secs(1));
        // without the deadline this read lasts as long as the writer writes
        let (a, cut) = activity_by(
            &LogInput::File(log.clone()),
            now,
            now - chrono::Duration::days(1),
            64 << 10,
            Some(&deadline),
        )
        .unwrap();
        assert_eq!(a["app@example.com"].bounced, 1, "{a:?}");
        let cut = cut.expect("the read is said to be cut");
        assert_eq!(cut.file.as_str(), log.display().to_string());
        assert!(cut.last.is_some());
        let v = crate::mail::senders::model::cut_log(&cut, 1);
        assert!(
            v.text
                .starts_with("per-sender delivery counts cover the day's log only up to "),
            "{}",
            v.text
        );
        assert!(
            v.text.contains(&format!(
                ": {}: read stopped at the check's deadline (1 s, [check] deadline_secs)",
                log.display()
            )),
            "{}",
            v.text
        );
        // stopped before any line: no count is said to cover anything
        let none = LogCut {
            last: None,
            ..cut.clone()
        };
        let v = crate::mail::senders::model::cut_log(&none, 1);
        assert!(
            v.text.starts_with(&format!(
                "per-sender delivery counts unknown: {}: read stopped at the check's deadline",
                log.display()
            )),
            "{}",
            v.text
        );
    }

    #[test]
    fn corpus_activity() {
        let since = now() - chrono::Duration::days(1);
        let a = activity_from_lines(CORPUS, now(), since);
        let alice = &a["alice@example.com"];
        assert!(alice.sent >= 1, "{alice:?}");
        let root = &a["root@localhost"];
        assert!(root.bounced >= 1, "{root:?}");
        let p = root.last_problem.as_ref().unwrap();
        assert_eq!(p.status, RowStatus::Bounced);
        assert_eq!(p.cause, Category::SesSenderNotVerified);
        assert!(p.reason.contains("not verified"), "{p:?}");
        assert!(a["tempfail@example.com"].deferred >= 1);
        // a day later nothing counts
        let later = now() + chrono::Duration::days(2);
        assert!(activity_from_lines(CORPUS, later, later - chrono::Duration::days(1)).is_empty());
    }

    #[test]
    fn the_days_files_are_read_whole_and_its_rotated_ones_too() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let gz = |name: &str, text: &str| {
            let path = dir.path().join(name);
            let mut z = flate2::write::GzEncoder::new(
                std::fs::File::create(&path).unwrap(),
                flate2::Compression::default(),
            );
            z.write_all(text.as_bytes()).unwrap();
            z.finish().unwrap();
            path
        };
        // the message entered the queue before the rotation and bounced after it
        gz(
            "mail.log.1.gz",
            "Nov 27 10:00:00 vm postfix/qmgr[2]: 1A2B3C4D05: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n",
        );
        // a rotated file last written before the day began is not read (its lines are
        // stamped inside the day only to show that it was skipped)
        let old = gz(
            "mail.log.2.gz",
            "Nov 27 09:00:00 vm postfix/qmgr[2]: 1A2B3C4D01: from=<old@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 09:00:01 vm postfix/smtp[4]: 1A2B3C4D01: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)\n",
        );
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified((now() - chrono::Duration::days(3)).into())
            .unwrap();
        let log = dir.path().join("mail.log");
        std::fs::write(
            &log,
            "Nov 27 10:00:05 vm postfix/smtp[4]: 1A2B3C4D05: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=5, delays=0/0/0/5, dsn=5.7.1, status=bounced (host r[1.2.3.4] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: app@example.com (in reply to end of DATA command))
Nov 27 10:00:05 vm postfix/qmgr[2]: 1A2B3C4D05: removed\n",
        )
        .unwrap();
        let since = now() - chrono::Duration::days(1);
        let a = activity_from_files(&log, now(), since, 64 << 10).unwrap();
        assert_eq!(a.keys().collect::<Vec<_>>(), ["app@example.com"], "{a:?}");
        let app = &a["app@example.com"];
        assert_eq!((app.sent, app.bounced), (0, 1));
        assert_eq!(
            app.last_problem.as_ref().map(|p| p.cause),
            Some(Category::SesSenderNotVerified)
        );
        // the current file is the one that must be there
        let e =
            activity_from_files(&dir.path().join("gone.log"), now(), since, 64 << 10).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn the_panes_own_read_takes_the_tail_from_a_whole_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        let before = "Nov 27 10:00:00 vm postfix/qmgr[2]: 1A2B3C4D01: from=<old@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 vm postfix/smtp[4]: 1A2B3C4D01: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)
";
        let tail = "Nov 27 11:00:00 vm postfix/qmgr[2]: 1A2B3C4D02: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 11:00:01 vm postfix/smtp[4]: 1A2B3C4D02: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)
";
        std::fs::write(&log, format!("{before}{tail}")).unwrap();
        let since = now() - chrono::Duration::days(1);
        // the tail begins inside the last line before it: that line's rest is not a line
        let max = tail.len() as u64 + 20;
        let a = activity_from_tail(&log, now(), since, 64 << 10, max).unwrap();
        assert_eq!(a.keys().collect::<Vec<_>>(), ["app@example.com"], "{a:?}");
        assert_eq!(a["app@example.com"].sent, 1);
        // a tail longer than the file reads it all
        let a = activity_from_tail(&log, now(), since, 64 << 10, 1 << 20).unwrap();
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            ["app@example.com", "old@example.com"]
        );
    }

    #[test]
    fn lost_mail_is_counted_apart_from_bounces() {
        // one message removed with no status, one dropped by a DISCARD rule, one sent
        let text = "Nov 27 19:20:00 vm postfix/pickup[1]: 1A2B3C4D01: uid=0 from=<app@example.com>
Nov 27 19:20:00 vm postfix/qmgr[2]: 1A2B3C4D01: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:20:01 vm postfix/qmgr[2]: 1A2B3C4D01: removed
Nov 27 19:21:00 vm postfix/pickup[1]: 1A2B3C4D02: uid=0 from=<app@example.com>
Nov 27 19:21:00 vm postfix/cleanup[3]: 1A2B3C4D02: discard: header Subject: win a prize from local; from=<app@example.com> to=<ann@example.org>: spam rule
Nov 27 19:22:00 vm postfix/qmgr[2]: 1A2B3C4D03: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:22:01 vm postfix/smtp[4]: 1A2B3C4D03: to=<bo@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)
Nov 27 19:22:01 vm postfix/qmgr[2]: 1A2B3C4D03: removed
";
        // the text begins in the middle of a message: its sender is not known
        let text = format!(
            "Nov 27 19:19:00 vm postfix/smtp[4]: 1A2B3C4D00: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host r[1.2.3.4] said: 550 5.1.1 user unknown)\n{text}"
        );
        let a = activity_from_lines(&text, now(), now() - chrono::Duration::days(1));
        assert_eq!(a.keys().collect::<Vec<_>>(), ["app@example.com"], "{a:?}");
        let app = &a["app@example.com"];
        assert_eq!(
            (app.sent, app.deferred, app.bounced, app.lost),
            (1, 0, 0, 2)
        );
        assert!(app.last_problem.is_none(), "{app:?}");
        let why = app.last_lost.as_ref().unwrap();
        assert!(why.ends_with("to=<ann@example.org>: spam rule"), "{why}");
    }

    /// app's mail bounced, and so did the bounce notice (from `<>`) that should have told app:
    /// app was never told, and its row is where that is read. The notice's own failed delivery
    /// stays MAILER-DAEMON's (its route failed), and the lost mail is counted once, not on both.
    #[test]
    fn a_lost_bounce_notice_is_lost_mail_of_the_sender_it_was_for() {
        let text = [
            crate::mail::log::testdata::LOST_NOTICE,
            "Nov 27 10:05:00 mx postfix/qmgr[3]: CCCC000003: from=<mx@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:05:00 mx postfix/qmgr[3]: CCCC000003: removed
",
        ]
        .concat();
        let a = activity_from_lines(&text, now(), now() - chrono::Duration::days(1));
        let app = &a["app@example.com"];
        assert_eq!(
            (
                app.sent,
                app.deferred,
                app.bounced,
                app.lost,
                app.lost_notices
            ),
            (0, 0, 1, 1, 1),
            "{app:?}"
        );
        let why = app.last_lost.as_ref().unwrap();
        assert!(
            why.starts_with(
                "the bounce notification for AAAA000001 could not be delivered to <App@example.com>"
            ),
            "{why}"
        );
        // the notice's delivery failed on MAILER-DAEMON's route: its bounce, not its lost mail
        let md = &a[""];
        assert_eq!((md.bounced, md.lost, md.lost_notices), (1, 0, 0), "{md:?}");
        assert!(md.last_lost.is_none(), "{md:?}");
        // mail lost for another reason is its own sender's, and no notice
        let other = &a["mx@example.com"];
        assert_eq!((other.lost, other.lost_notices), (1, 0), "{other:?}");
        // the lost mail of the whole table is what the log lost, once
        let lost: u32 = a.values().map(|o| o.lost).sum();
        assert_eq!(lost, 2);
    }

    #[test]
    fn mail_deleted_with_postsuper_is_not_counted_as_lost() {
        // spam deferred, then cleared out of the queue by an admin (postsuper -d), and one sent
        let text = "Nov 27 19:20:00 vm postfix/qmgr[2]: 1A2B3C4D01: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:20:01 vm postfix/smtp[4]: 1A2B3C4D01: to=<bo@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=4.7.1, status=deferred (host r[1.2.3.4] said: 450 4.7.1 try again later)
Nov 27 19:22:00 vm postfix/qmgr[2]: 1A2B3C4D03: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:22:01 vm postfix/smtp[4]: 1A2B3C4D03: to=<bo@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)
Nov 27 19:22:01 vm postfix/qmgr[2]: 1A2B3C4D03: removed
Nov 27 19:25:56 vm postfix/postsuper[5]: 1A2B3C4D01: removed
Nov 27 19:25:56 vm postfix/postsuper[5]: Deleted: 1 message
";
        let a = activity_from_lines(text, now(), now() - chrono::Duration::days(1));
        let app = &a["app@example.com"];
        assert_eq!(
            (app.sent, app.deferred, app.lost, app.deleted),
            (1, 1, 0, 1),
            "{app:?}"
        );
        assert!(app.last_lost.is_none(), "{app:?}");
        // the latest problem is still the deferral, not the deletion
        let p = app.last_problem.as_ref().unwrap();
        assert_eq!(p.status, RowStatus::Deferred);
    }

    #[test]
    fn a_busy_day_is_counted_whole_though_the_table_keeps_less() {
        use crate::mail::log::model::Limits;
        // the table keeps the last 10 outcomes; the sender had 40 today, its bounce first
        let mut log = MailLog::with_limits(Limits {
            outcomes: 10,
            ..Limits::default()
        });
        let mut y = YearGuess::new(now().date_naive());
        let mut feed = |l: String| log.ingest(parse_line(&l, &mut y).unwrap());
        for i in 0..40u32 {
            let (id, t) = (
                format!("1A2B3C{i:04X}"),
                format!("Nov 27 1{}:{:02}:00", 2 + i / 30, 2 * (i % 30)),
            );
            feed(format!(
                "{t} vm postfix/qmgr[2]: {id}: from=<App@example.com>, size=300, nrcpt=1 (queue active)"
            ));
            feed(if i == 0 {
                format!(
                    "{t} vm postfix/smtp[4]: {id}: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host r[1.2.3.4] said: 550 5.1.1 user unknown)"
                )
            } else {
                format!(
                    "{t} vm postfix/smtp[4]: {id}: to=<x@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)"
                )
            });
        }
        assert_eq!(log.outcomes().len(), 10);
        let a = from_model(&log, now() - chrono::Duration::days(1)).unwrap();
        let app = &a["app@example.com"];
        assert_eq!(
            (app.sent, app.deferred, app.bounced, app.lost),
            (39, 0, 1, 0)
        );
        let p = app.last_problem.as_ref().unwrap();
        assert_eq!(
            (p.status, p.cause),
            (RowStatus::Bounced, Category::RecipientUnknown)
        );
        // the window still ends where it was asked to
        let late = now()
            .with_time(chrono::NaiveTime::from_hms_opt(13, 0, 0).unwrap())
            .unwrap();
        let a = from_model(&log, late).unwrap();
        assert_eq!(a["app@example.com"].sent, 10);
        assert!(a["app@example.com"].last_problem.is_none());
    }

    fn corpus_model() -> MailLog {
        let mut log = MailLog::default();
        let mut y = YearGuess::new(now().date_naive());
        for l in CORPUS.lines() {
            if let Some(p) = parse_line(l, &mut y) {
                log.ingest(p);
            }
        }
        log
    }

    #[test]
    fn trace_through_the_failures_model() {
        assert!(trace_from_model(&MailLog::default(), "40A53C8900", "a", "b").is_none());
        let log = corpus_model();
        // root's mail bounced at SES, and Postfix sent root a notice
        let t =
            trace_from_model(&log, "40A53C8900", "root@localhost", "someone@example.com").unwrap();
        assert!(t.done);
        let TraceStatus::Bounced { reason, .. } = &t.status else {
            panic!("{:?}", t.status)
        };
        assert!(reason.contains("not verified"));
        assert_eq!(
            classify(Status::Bounced, "5.0.0", reason, "someone@example.com", ""),
            Category::SesSenderNotVerified
        );
        assert_eq!(t.notice.as_deref(), Some("46106C8902"));
        assert!(
            t.lines.iter().any(|l| l.contains("status=bounced")),
            "{t:?}"
        );
        // alice's was sent: SES's reply names its message id
        let t =
            trace_from_model(&log, "3F517C8902", "alice@example.com", "ok@example.com").unwrap();
        assert!(
            matches!(&t.status, TraceStatus::Sent { reply, .. } if reply.contains("0100018f196c0543"))
        );
        assert!(t.done);
    }

    /// The test mail deferred, then requeued (`postsuper -r`, from the Queue pane or a shell):
    /// pickup gives it a new queue id. The trace follows it there, and is not over while the mail
    /// waits between its two ids, nor with the deferral of the id it had first.
    #[test]
    fn a_requeued_test_mail_is_followed_under_its_new_id() {
        let mut log = MailLog::default();
        let mut y = YearGuess::new(now().date_naive());
        let feed = |log: &mut MailLog, y: &mut YearGuess, lines: &str| {
            for l in lines.lines() {
                if let Some(p) = parse_line(l.trim(), y) {
                    log.ingest(p);
                }
            }
        };
        feed(
            &mut log,
            &mut y,
            "Nov 27 19:25:40 vm postfix/qmgr[1]: CCCC000001: from=<a@b.example>, size=300, nrcpt=1 (queue active)
             Nov 27 19:25:41 vm postfix/smtp[4]: CCCC000001: to=<c@d.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:25: Connection refused)
             Nov 27 19:30:05 vm postfix/postsuper[9]: CCCC000001: requeued",
        );
        let t = trace_from_model(&log, "CCCC000001", "a@b.example", "c@d.example").unwrap();
        assert!(!t.done, "requeued, not yet picked up: {t:?}");
        feed(
            &mut log,
            &mut y,
            "Nov 27 19:30:06 vm postfix/pickup[1]: DDDD000002: uid=0 from=<a@b.example> orig_id=CCCC000001
             Nov 27 19:30:06 vm postfix/qmgr[3]: DDDD000002: from=<a@b.example>, size=300, nrcpt=1 (queue active)",
        );
        let t = trace_from_model(&log, "CCCC000001", "a@b.example", "c@d.example").unwrap();
        assert!(!t.done, "{t:?}");
        assert_eq!(t.status, TraceStatus::Active);
        assert_eq!(t.queue_id, "CCCC000001");
        assert_eq!(t.requeued_as.as_deref(), Some("DDDD000002"));
        feed(
            &mut log,
            &mut y,
            "Nov 27 19:30:07 vm postfix/smtp[4]: DDDD000002: to=<c@d.example>, relay=x[192.0.2.9]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 Ok)
             Nov 27 19:30:07 vm postfix/qmgr[3]: DDDD000002: removed",
        );
        let t = trace_from_model(&log, "CCCC000001", "a@b.example", "c@d.example").unwrap();
        assert!(t.done, "{t:?}");
        assert!(
            matches!(&t.status, TraceStatus::Sent { reply, .. } if reply.contains("250 Ok")),
            "{t:?}"
        );
        // both ids' lines, the deferral first
        let deferred = t.lines.iter().position(|l| l.contains("status=deferred"));
        let sent = t.lines.iter().position(|l| l.contains("status=sent"));
        assert!(deferred.is_some() && deferred < sent, "{:#?}", t.lines);
    }

    #[test]
    fn causes_are_the_failures_panes() {
        // (status, dsn, reply, cause): the same names as in the Failures pane
        let table = [
            (
                Status::Deferred,
                "4.7.8",
                "SASL authentication failed; server x said: 535 Authentication Credentials Invalid",
                Category::SesCredentials,
            ),
            (
                Status::Deferred,
                "4.7.0",
                "SASL authentication failed; cannot authenticate to server x: no mechanism available",
                Category::SaslNoMechanism,
            ),
            (
                Status::Deferred,
                "4.0.0",
                "host x said: 454 Throttling failure: Maximum sending rate exceeded.",
                Category::SesThrottling,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to x[192.0.2.1]:587: Connection refused",
                Category::Connection,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host x said: 554 Sending paused for this account. For more information, please check the inbox of the email address associated with your AWS account.",
                Category::SesSendingPaused,
            ),
        ];
        for (status, dsn, reply, want) in table {
            assert_eq!(
                classify(status, dsn, reply, "a@b.example", ""),
                want,
                "{reply}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn hostile_lines_reach_the_trace_sanitized(s in proptest::prelude::any::<String>()) {
            let mut log = MailLog::default();
            let mut y = YearGuess::new(now().date_naive());
            for l in [
                "Nov 27 19:25:40 vm postfix/qmgr[1]: ABCDE12345: from=<a@b.example>, size=1, nrcpt=1 (queue active)".to_string(),
                format!("Nov 27 19:25:41 vm postfix/smtp[1]: ABCDE12345: {s}"),
                format!("Nov 27 19:25:42 vm postfix/smtp[1]: ABCDE12345: to=<c@d.example>, relay=r[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred ({s})"),
            ] {
                if let Some(p) = parse_line(&l, &mut y) {
                    log.ingest(p);
                }
            }
            let t = trace_from_model(&log, "ABCDE12345", "a@b.example", "c@d.example").unwrap();
            for l in &t.lines {
                proptest::prop_assert!(!l.chars().any(crate::sanitize::is_unsafe_char));
            }
            if let TraceStatus::Deferred { reason, .. } = &t.status {
                proptest::prop_assert!(!reason.chars().any(crate::sanitize::is_unsafe_char));
            }
        }
    }
}
