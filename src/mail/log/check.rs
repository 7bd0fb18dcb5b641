//! The mail log's part of `opsdeck check`: failed deliveries in the last
//! `[check] failure_window_secs`, by category, graded against the `[check]`
//! thresholds.
//!
//! Reads the configured log files (and the newest rotated file when it was
//! written to inside the window) or journald once, through the same parser
//! and classifier as the Failures pane. Never writes anything and never reads
//! the clock itself: `now` is passed in. A log that cannot be read is an
//! UNKNOWN finding naming the file and the fix, never a silent zero; a read
//! stopped at `[check] deadline_secs` is one too, and the counts then say
//! they are of the part read.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset};

use crate::check::{Metric, Report, Status, grade};
use crate::config::Config;
use crate::sanitize::Clean;

use super::LogSourceKind;
use super::classify::Category;
use super::deadline::Deadline;
use super::source::{JournalQuery, JournalWindow, rotated_siblings, unavailable_message};
use super::summary::{self, Report as LogReport};

/// How long after the deadline a read that has not come back is given up on: the reader
/// stops at the deadline by itself, unless a read is blocked in the kernel.
pub const BLOCKED_GRACE: Duration = Duration::from_secs(1);

/// Add the failure findings and metrics for the window ending at `now`. The read stops at
/// `[check] deadline_secs` from now and the findings say how far it got.
pub async fn collect(config: &Config, now: DateTime<FixedOffset>, report: &mut Report) {
    let window = config.check.failure_window_secs.max(60);
    let since = now - chrono::Duration::seconds(window as i64);
    let cfg = config.mail_log.clone();
    let deadline = Deadline::at(
        config.check.after_start(config.check.deadline()),
        config.check.deadline(),
    );
    let d = deadline.clone();
    let read = tokio::task::spawn_blocking(move || match cfg.source {
        LogSourceKind::File => {
            let mut log = summary::build_by(
                &files_for_window(&cfg.files, since),
                Some(since),
                5,
                &mut std::io::empty(),
                &d,
            );
            missing_hint(&mut log.errors, &cfg.files);
            let written = last_written(&cfg.files);
            Ok((log, written))
        }
        LogSourceKind::Journal => read_journal(&JournalQuery::of(&cfg), since, &d).map(|log| {
            // the journal's newest Postfix line in the window (older ones are not read)
            let written = log.last;
            (log, written)
        }),
    });
    let give_up = tokio::time::Instant::from_std(deadline.instant() + BLOCKED_GRACE);
    let Ok(read) = tokio::time::timeout_at(give_up, read).await else {
        deadline.give_up();
        let what = match config.mail_log.source {
            LogSourceKind::File => config
                .mail_log
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            LogSourceKind::Journal => "journalctl".to_string(),
        };
        report.finding(
            "failures",
            Status::Unknown,
            format!(
                "{what}: no line came back within {} s ([check] deadline_secs): a read blocked \
                 on a hung file system, or a pipe nobody writes to? The failures of the last {} \
                 are not known",
                deadline.limit().as_secs(),
                fmt_window(window)
            ),
        );
        return;
    };
    match read {
        Ok(Ok((log, written))) => {
            grade_window(config, &log, window, report);
            // a file that cannot be read is already named; its age is said when known
            if written.is_some() || log.errors.is_empty() {
                grade_quiet(config, written, now, window, report);
            }
        }
        // journalctl's words, escaped where its error was made, as the Failures pane shows them
        Ok(Err(e)) => report.finding_clean("failures", Status::Unknown, e),
        Err(e) => report.finding(
            "failures",
            Status::Unknown,
            format!("reading the mail log: {e}"),
        ),
    }
}

/// A configured log that does not exist: where the lines may be instead (Debian 12 and later
/// install no syslog daemon, and Postfix then logs to the journal only).
fn missing_hint(errors: &mut [Clean], files: &[PathBuf]) {
    for e in errors.iter_mut() {
        let not_found = std::io::Error::from(std::io::ErrorKind::NotFound);
        if files
            .iter()
            .any(|f| *e == Clean::new(&unavailable_message(f, &not_found)))
        {
            e.push(
                " (no syslog daemon writing it? set source = \"journal\" in [mail_log], or \
                 files to Postfix's own maillog_file)",
            );
        }
    }
}

/// The configured files plus, before each, its newest rotated file when that
/// was written to inside the window (the window may cross a rotation).
fn files_for_window(files: &[PathBuf], since: DateTime<FixedOffset>) -> Vec<PathBuf> {
    let since = UNIX_EPOCH + Duration::from_secs(since.timestamp().max(0) as u64);
    let mut out = Vec::new();
    for f in files {
        if let Some(prev) = rotated_siblings(f).pop()
            && std::fs::metadata(&prev)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
        {
            out.push(prev);
        }
        out.push(f.clone());
    }
    out
}

/// When the newest of the configured log files was last written (`None`: none can be read).
/// A directory named as the log is none: its time is when a file in it last came or went.
fn last_written(files: &[PathBuf]) -> Option<DateTime<FixedOffset>> {
    files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .filter(|m| m.is_file())
        .filter_map(|m| m.modified().ok())
        .max()
        .map(|t| DateTime::<chrono::Utc>::from(t).fixed_offset())
}

/// How long the log has gone without a new line (`written`: its last write, `None` when not
/// known, or for the journal no Postfix line in the window): a metric always, a WARNING past
/// `[check] log_quiet_warn_secs` when set, and a note when it is older than the window, so
/// that "no failed deliveries" is not read as "mail is moving" when nothing logs at all.
pub fn grade_quiet(
    config: &Config,
    written: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    window: u64,
    report: &mut Report,
) {
    let warn = config.check.log_quiet_warn_secs;
    let Some(written) = written else {
        if warn > 0 {
            report.finding(
                "failures",
                Status::Warning,
                format!(
                    "no Postfix line in the mail log in the last {} (is Postfix running, and \
                     logging where opsdeck reads?)",
                    fmt_window(window)
                ),
            );
        }
        return;
    };
    let age = (now - written).num_seconds().max(0) as u64;
    let mut metric = Metric::new(
        "mail_log_age_seconds",
        "Seconds since the mail log was last written (the journal: its newest Postfix line).",
        age as f64,
    );
    if warn > 0 {
        metric.warn = Some(warn as f64);
    }
    report.metric(metric);
    let ago = crate::mail::queue::model::fmt_age(age as i64);
    if warn > 0 && age >= warn {
        report.finding(
            "failures",
            Status::Warning,
            format!(
                "the mail log was last written {ago} ago (warning at {}): has Postfix or the \
                 syslog daemon stopped?",
                crate::mail::queue::model::fmt_age(warn as i64)
            ),
        );
    } else if age >= window {
        report.finding(
            "failures",
            Status::Ok,
            format!("the mail log was last written {ago} ago"),
        );
    }
}

/// The window's lines from journald (`journalctl -o short-iso`), up to `deadline`.
fn read_journal(
    query: &JournalQuery,
    since: DateTime<FixedOffset>,
    deadline: &Deadline,
) -> Result<LogReport, String> {
    let mut journal = JournalWindow::under(query, Some(since), deadline)?;
    let mut log = summary::build_by(
        &[PathBuf::from("-")],
        Some(since),
        5,
        &mut journal.stdout,
        deadline,
    );
    if log.cut.is_some() {
        // stopped on purpose: what journalctl says of that is no news
        log.cut = Some(Clean::new(&journal.describe));
        journal.stop();
        return Ok(log);
    }
    match journal.finish(&query.units) {
        Some(e) => Err(e),
        None => Ok(log),
    }
}

/// The first sentence of a cause's remedy (the rest is in `opsdeck summary --causes`).
pub(crate) fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

fn fmt_window(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Which cause comes first among causes with as many failures, for the fix the failures line
/// names: mail gone without anyone told, then what the operator must fix on this host or its
/// relay account and bounces (mail refused for good), then what holds mail back on the same
/// side (deferred: it goes once fixed), then the remote side's refusals, then its delays.
/// Within each, the cause that stops the most mail first (a sandboxed account fails every
/// recipient, and the notices of those bounces then fail as an unverified sender).
const PRECEDENCE: [Category; 41] = [
    Category::Lost,
    Category::Discarded,
    Category::Held,
    Category::SesSendingPaused,
    Category::SesRecipientNotVerified,
    Category::SesSenderNotVerified,
    Category::SesAccessDenied,
    Category::Blocklisted,
    Category::SenderAuthentication,
    Category::MessageTooLong,
    Category::MalformedMessage,
    Category::LocalMailbox,
    Category::DeliveryCommand,
    Category::PostfixSetup,
    Category::LocalService,
    Category::SesCredentials,
    Category::RelayCredentials,
    Category::SesAuthRequired,
    Category::SaslNoMechanism,
    Category::SesDailyQuota,
    Category::SesThrottling,
    Category::Tls,
    Category::ReverseDns,
    Category::RecipientUnknown,
    Category::RecipientRestricted,
    Category::SesSuppressed,
    Category::RelayDenied,
    Category::SenderRejected,
    Category::ContentRejected,
    Category::MailLoop,
    Category::Expired,
    Category::ContentRule,
    Category::MilterReject,
    Category::Rejected,
    Category::MailboxFull,
    Category::Suspended,
    Category::Connection,
    Category::Dns,
    Category::Greylisted,
    Category::RemoteTemporary,
    Category::Other,
];

/// The window's causes, the most failures first, ties broken by [`PRECEDENCE`] (a deletion
/// needs nothing done: it comes last whatever its count).
fn causes_in_order(log: &LogReport) -> Vec<&summary::CategoryRow> {
    let rank = |c: Category| {
        PRECEDENCE
            .iter()
            .position(|p| *p == c)
            .unwrap_or(usize::MAX)
    };
    let mut v: Vec<_> = log.categories.iter().collect();
    v.sort_by_key(|c| {
        (
            c.category == Category::Deleted,
            std::cmp::Reverse(c.count),
            rank(c.category),
        )
    });
    v
}

/// "; but mail from app@example.com delivered since 10:25": the senders whose mail moved
/// again after their latest failure, the most failures first (three named), and since when
/// all of them have (the latest of their first deliveries); `notices` of the `n` failures are
/// failed bounce notices of their mail.
fn delivered_since(recovered: &[&summary::SenderRow], n: u64, notices: u64, all: bool) -> String {
    let mut names: Vec<String> = recovered
        .iter()
        .take(3)
        .map(|r| match r.sender.as_str() {
            "<>" => "<> (bounce notices)".to_string(),
            s => s.to_string(),
        })
        .collect();
    if recovered.len() > 3 {
        names.push(format!("{} more", recovered.len() - 3));
    }
    let since = recovered
        .iter()
        .filter_map(|r| r.delivered_since)
        .max()
        .map_or(String::new(), |t| t.format("%H:%M").to_string());
    let whose = if recovered.len() == 1 { "its" } else { "their" };
    if all {
        let notices = match notices {
            0 => String::new(),
            k => format!(" ({k} of the failures are the bounce notices of {whose} mail)"),
        };
        format!(
            "; but mail from {} delivered since {since}{notices}",
            names.join(", ")
        )
    } else {
        let notices = match notices {
            0 => String::new(),
            k => format!(" ({k} of them the bounce notices of {whose} mail)"),
        };
        format!(
            "; {n} of them from {}, whose mail was delivered since {since}{notices}",
            names.join(", ")
        )
    }
}

/// The finding and metrics of one window's report (pure).
pub fn grade_window(config: &Config, log: &LogReport, window: u64, report: &mut Report) {
    let t = &config.check;
    let s = &log.status;
    let failed = s.deferred + s.bounced + s.expired + s.undeliverable;
    let span = fmt_window(window);
    for e in &log.errors {
        // clean already (a file's name as the summary shows it)
        report.finding_clean("failures", Status::Unknown, e.as_str());
    }
    // a read stopped at the deadline: every count is of the lines before it, and says so
    let read = match (&log.cut, log.last) {
        (None, _) => format!("the last {span}"),
        (Some(_), Some(last)) => format!(
            "the part of the last {span} read, up to {}",
            last.format("%H:%M:%S")
        ),
        // nothing of the window read: no count is said (below)
        (Some(_), None) => String::new(),
    };
    if let Some(file) = &log.cut {
        let at = log
            .last
            .map_or("before its first line in the window".to_string(), |l| {
                format!("at its line of {}", l.format("%H:%M:%S"))
            });
        // the file's name is clean already, as the summary shows it
        report.finding_clean(
            "failures",
            Status::Unknown,
            format!(
                "{file}: read stopped at the check's deadline ({} s, [check] deadline_secs) \
                 {at}; failures logged after it are not counted. A slow disk, or too much log \
                 to read in time? Raise deadline_secs, and the monitoring system's timeout \
                 with it",
                t.deadline().as_secs()
            ),
        );
    }
    // Senders whose mail was delivered after their latest failure: its cause no longer stops
    // them (a password or an identity fixed since), and an hour of history is no emergency
    // now. Those failures are said, at most a WARNING; the others are graded as they are.
    // Failed bounce notices (`<>`) of such senders' failed mail exist only because of those
    // failures: fixed with them. They are lost mail too, graded and advised on below.
    let moves_again = |sender: &str| {
        log.failing_senders
            .iter()
            .any(|r| r.sender == sender && r.delivered_since.is_some())
    };
    let notices_fixed = |r: &summary::SenderRow| -> u64 {
        if r.sender != "<>" || r.delivered_since.is_some() {
            return 0;
        }
        r.notices_of
            .iter()
            .filter(|(s, _)| moves_again(s))
            .map(|(_, n)| n)
            .sum()
    };
    let (recovered, ongoing): (Vec<&summary::SenderRow>, Vec<&summary::SenderRow>) = log
        .failing_senders
        .iter()
        .partition(|r| r.delivered_since.is_some());
    let notices_n: u64 = ongoing.iter().map(|r| notices_fixed(r)).sum();
    // `<>` is still failing only for the notices of mail not fixed
    let ongoing: Vec<&summary::SenderRow> = ongoing
        .into_iter()
        .filter(|r| r.failed() > notices_fixed(r))
        .collect();
    let recovered_n: u64 = recovered.iter().map(|r| r.failed()).sum::<u64>() + notices_n;
    let ongoing_n = failed.saturating_sub(recovered_n);
    let mut status = Status::worst(
        grade(ongoing_n, t.failures_warn, t.failures_crit),
        match grade(recovered_n, t.failures_warn, t.failures_crit) {
            Status::Critical => Status::Warning,
            s => s,
        },
    );
    let all_recovered = failed > 0 && ongoing_n == 0 && ongoing.is_empty();
    let causes = causes_in_order(log);
    let mut summary = if failed == 0 {
        format!("no failed deliveries in {read} ({} sent)", s.sent)
    } else {
        let mut parts = Vec::new();
        for (n, what) in [
            (s.bounced, "bounced"),
            (s.deferred, "deferred"),
            (s.expired, "expired"),
            (s.undeliverable, "undeliverable"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        // the causes of failed deliveries alone: lost, discarded, held and deleted mail is no
        // failed delivery, and is said on its own below
        let delivery: Vec<_> = causes
            .iter()
            .filter(|c| {
                !matches!(
                    c.category,
                    Category::Lost | Category::Discarded | Category::Held | Category::Deleted
                )
            })
            .collect();
        let mut top: Vec<String> = delivery
            .iter()
            .take(3)
            .map(|c| format!("{} x{}", c.label, c.count))
            .collect();
        if delivery.len() > 3 {
            let more = delivery.len() - 3;
            top.push(format!(
                "+{more} more cause{}",
                crate::ui::widgets::plural(more)
            ));
        }
        let mut line = format!(
            "{failed} failed deliveries in {read} ({}; {} sent): {}",
            parts.join(", "),
            s.sent,
            top.join(", ")
        );
        if !recovered.is_empty() {
            line.push_str(&delivered_since(
                &recovered,
                recovered_n,
                notices_n,
                all_recovered,
            ));
        }
        line
    };
    if s.lost > 0 {
        // A bounce that could not be returned, a message removed without a delivery or dropped
        // by a DISCARD rule: nobody else will ever know.
        status = Status::worst(status, Status::Warning);
        summary.push_str(&format!("; {} message(s) lost (nobody was told)", s.lost));
    }
    if s.deleted > 0 {
        // Deleted with postsuper -d: someone chose to (spam cleared out of the queue), and the
        // one who did knows. Said, and counted in the metrics, but no grade: a check that stays
        // WARNING for a window after every clean-up teaches people to ignore it. A deletion
        // nobody here made shows in mail_deliveries{status="deleted"} for those who alert on it.
        summary.push_str(&format!(
            "; {} message(s) deleted with postsuper -d (never delivered, the sender not told)",
            s.deleted
        ));
    }
    if log.ahead > 0 {
        // counted by their stamps, but from no past window: a failure stamped three hours
        // ahead would otherwise grade every check for three hours without a word why
        summary.push_str(&format!(
            "; {} line(s) stamped ahead of this host's clock (counted: check the clock)",
            log.ahead
        ));
    }
    if s.held > 0 {
        // waiting for someone here: the hold queue keeps it until it is released or deleted
        summary.push_str(&format!(
            "; {} message(s) put on hold by a HOLD rule (waiting in the hold queue)",
            s.held
        ));
    }
    // what to do about the commonest cause, in one sentence: the person on call reads this line
    // and not the console
    // (a deletion needs nothing done: the next cause's advice is the one worth the line)
    // (mail moving again for every sender that failed: only lost mail still needs a hand)
    if let Some(top) = causes.iter().find(|c| {
        c.category != Category::Deleted
            && (!all_recovered || matches!(c.category, Category::Lost | Category::Discarded))
    }) {
        summary.push_str(&format!(
            "; what to do ({}): {}",
            top.label,
            first_sentence(top.remedy)
        ));
        // what to verify, and where, as SES named it (clean already, as the summary shows it)
        if top.category == Category::SesSenderNotVerified && !log.ses_unverified.is_empty() {
            let named: Vec<String> = log
                .ses_unverified
                .iter()
                .take(3)
                .map(|i| format!("{} in {}", i.identity, i.region.to_ascii_lowercase()))
                .collect();
            let more = log.ses_unverified.len().saturating_sub(named.len());
            summary.push_str(&format!(" Not verified: {}", named.join(", ")));
            if more > 0 {
                summary.push_str(&format!(", +{more} more"));
            }
            summary.push('.');
        }
    }
    if (!log.errors.is_empty() && log.lines == 0) || (log.cut.is_some() && log.first.is_none()) {
        // Nothing was read at all, or nothing of the window before the deadline: the counts
        // above mean nothing.
        return;
    }
    // the senders named are clean already, as the summary shows them
    report.finding_clean("failures", status, summary);
    // a daemon that died or could not start: mail may not be moving at all
    for w in log
        .warnings
        .iter()
        .filter(|w| matches!(w.kind, "panic" | "fatal"))
    {
        // the line is clean already, as the summary shows it
        report.finding_clean(
            "failures",
            Status::Warning,
            format!(
                "Postfix logged {} {} line(s) in the last {span}; the latest: {}",
                w.count, w.kind, w.last
            ),
        );
    }

    let window_label = span.as_str();
    for (n, what) in [
        (s.sent, "sent"),
        (s.deferred, "deferred"),
        (s.bounced, "bounced"),
        (s.expired, "expired"),
        (s.undeliverable, "undeliverable"),
        (s.lost, "lost"),
        (s.deleted, "deleted"),
        (s.held, "held"),
    ] {
        report.metric(
            Metric::new(
                "mail_deliveries",
                "Delivery outcomes in the mail log over the check window.",
                n as f64,
            )
            .label("status", what)
            .label("window", window_label),
        );
    }
    report.metric(
        Metric::new(
            "mail_failures",
            "Failed deliveries (deferred, bounced, expired) over the check window.",
            failed as f64,
        )
        .label("window", window_label)
        .thresholds(t.failures_warn as f64, t.failures_crit as f64),
    );
    for c in &log.categories {
        report.metric(
            Metric::new(
                "mail_failures_by_category",
                "Failed deliveries by explained cause over the check window.",
                c.count as f64,
            )
            .label("category", c.category.key())
            .label("window", window_label),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 27, h, m, 0)
            .unwrap()
    }

    /// Real Postfix 3.7 line shapes, with an ISO timestamp so that no year
    /// or zone has to be guessed.
    fn lines() -> String {
        [
            "2026-11-27T09:00:01+00:00 web postfix/smtp[101]: 1A2B3C4D5E: to=<a@example.net>, relay=email-smtp.us-east-1.amazonaws.com[3.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok 0100018c-aaaa)",
            "2026-11-27T10:10:01+00:00 web postfix/smtp[102]: 2B3C4D5E6F: to=<b@example.net>, relay=email-smtp.us-east-1.amazonaws.com[3.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[3.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: app@example.com (in reply to end of DATA command))",
            "2026-11-27T10:20:01+00:00 web postfix/smtp[103]: 3C4D5E6F70: to=<c@example.org>, relay=email-smtp.us-east-1.amazonaws.com[3.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=4.0.0, status=deferred (host email-smtp.us-east-1.amazonaws.com[3.1.1.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))",
            "2026-11-27T10:25:01+00:00 web postfix/smtp[104]: 4D5E6F7081: to=<d@example.org>, relay=email-smtp.us-east-1.amazonaws.com[3.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok 0100018c-bbbb)",
        ]
        .join("\n")
            + "\n"
    }

    fn window_report(since: DateTime<FixedOffset>) -> LogReport {
        summary::build(
            &[PathBuf::from("-")],
            Some(since),
            5,
            &mut lines().as_bytes(),
        )
    }

    #[test]
    fn a_daemon_that_died_is_a_warning_of_its_own() {
        let text = lines()
            + "2026-11-27T10:30:00+00:00 web postfix/smtpd[9]: fatal: open /etc/postfix/main.cf: No such file or directory\n\
               2026-11-27T10:31:00+00:00 web postfix/smtpd[10]: fatal: open /etc/postfix/main.cf: No such file or directory\n\
               2026-11-27T10:32:00+00:00 web postfix/smtp[11]: warning: TLS library problem: handshake failed\n";
        let log = summary::build(
            &[PathBuf::from("-")],
            Some(at(9, 30)),
            5,
            &mut text.as_bytes(),
        );
        let mut r = Report::default();
        grade_window(&Config::default(), &log, 3600, &mut r);
        let fatal: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.summary.starts_with("Postfix logged"))
            .collect();
        // the TLS warning is no finding of its own; the fatal lines are one
        assert_eq!(fatal.len(), 1, "{:?}", r.findings);
        assert_eq!(fatal[0].status, Status::Warning);
        assert_eq!(
            fatal[0].summary,
            "Postfix logged 2 fatal line(s) in the last 1h; the latest: postfix/smtpd: fatal: open /etc/postfix/main.cf: No such file or directory"
        );
    }

    /// A sender with a control character whose mail was delivered again, and a log file so
    /// named whose read stopped at the deadline, read as the summary shows them: escaped once.
    #[test]
    fn a_recovered_sender_and_a_cut_file_are_escaped_once() {
        let text = "2026-11-27T10:00:00+00:00 web postfix/qmgr[3]: AAAA000001: from=<s\u{1b}[31mx@example.com>, size=2000, nrcpt=1 (queue active)
2026-11-27T10:00:01+00:00 web postfix/smtp[4]: AAAA000001: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (host mx.example.net[192.0.2.1] said: 451 try later (in reply to RCPT TO command))
2026-11-27T10:05:00+00:00 web postfix/qmgr[3]: BBBB000002: from=<s\u{1b}[31mx@example.com>, size=2000, nrcpt=1 (queue active)
2026-11-27T10:05:01+00:00 web postfix/smtp[4]: BBBB000002: to=<b@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)
";
        let r = graded(text, &Config::default());
        let summary = &r.findings[0].summary;
        assert!(
            summary.contains("; but mail from s\\e[31mx@example.com delivered since 10:05"),
            "{summary}"
        );
        let mut log = summary::build(
            &[PathBuf::from("-")],
            Some(at(9, 30)),
            5,
            &mut text.as_bytes(),
        );
        log.cut = Some(Clean::new("/var/log/mail.\u{1b}[2J.log"));
        let mut r = Report::default();
        grade_window(&Config::default(), &log, 3600, &mut r);
        assert!(
            r.findings.iter().any(|f| f
                .summary
                .starts_with("/var/log/mail.\\e[2J.log: read stopped at ")),
            "{:?}",
            r.findings
        );
    }

    /// A fatal line with a control character in it (a path named so) reads as the summary
    /// shows it: its escape once.
    #[test]
    fn a_fatal_line_is_escaped_once() {
        let text = lines()
            + "2026-11-27T10:30:00+00:00 web postfix/smtpd[9]: fatal: open /etc/postfix/\u{1b}[2J.cf: No such file or directory\n";
        let r = graded(&text, &Config::default());
        assert!(
            r.findings.iter().any(|f| f.summary
                == "Postfix logged 1 fatal line(s) in the last 1h; the latest: postfix/smtpd: \
                    fatal: open /etc/postfix/\\e[2J.cf: No such file or directory"),
            "{:?}",
            r.findings
        );
        // and a log file so named that cannot be read
        let log = summary::build(
            &[PathBuf::from("/nonexistent/mail.\u{1b}[2J.log")],
            Some(at(9, 30)),
            5,
            &mut std::io::empty(),
        );
        let mut r = Report::default();
        grade_window(&Config::default(), &log, 3600, &mut r);
        assert!(
            r.findings
                .iter()
                .any(|f| f.summary.starts_with("/nonexistent/mail.\\e[2J.log: ")),
            "{:?}",
            r.findings
        );
    }

    #[test]
    fn only_the_window_counts_and_causes_are_named() {
        let config = Config::default();
        let log = window_report(at(9, 30));
        let mut r = Report::default();
        grade_window(&config, &log, 3600, &mut r);
        let f = &r.findings[0];
        assert_eq!(f.area, "failures");
        // the 09:00 sent line is outside the window
        assert_eq!(
            f.summary,
            "2 failed deliveries in the last 1h (1 bounced, 1 deferred; 1 sent): \
             sender unverified x1, SES throttling x1; what to do (sender unverified): Verify \
             the sender address or its domain in SES in the region named, or route this sender \
             elsewhere (Senders pane). Not verified: app@example.com in us-east-1."
        );
        // defaults: warning from 1 failure, critical from 50
        assert_eq!(f.status, Status::Warning);
        let failures = r
            .metrics
            .iter()
            .find(|m| m.name == "mail_failures")
            .unwrap();
        assert_eq!(failures.value, 2.0);
        assert_eq!(failures.crit, Some(50.0));
        let sent = r
            .metrics
            .iter()
            .find(|m| {
                m.name == "mail_deliveries" && m.labels.contains(&("status".into(), "sent".into()))
            })
            .unwrap();
        assert_eq!(sent.value, 1.0);
        assert!(r.metrics.iter().any(|m| {
            m.name == "mail_failures_by_category"
                && m.labels
                    .contains(&("category".into(), "ses_throttling".into()))
                && m.value == 1.0
        }));
    }

    #[test]
    fn deletions_with_postsuper_are_said_but_not_graded_as_lost_mail() {
        // spam deferred before the window, cleared out of the queue inside it by an admin
        let mut text = String::new();
        for id in ["D000000001", "D000000002", "D000000003"] {
            text.push_str(&format!(
                "2026-11-27T09:00:00+00:00 web postfix/qmgr[1]: {id}: from=<spam@example.com>, size=300, nrcpt=1 (queue active)\n\
                 2026-11-27T09:00:01+00:00 web postfix/smtp[2]: {id}: to=<x@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.7.1 try again later (in reply to RCPT TO command))\n\
                 2026-11-27T10:40:00+00:00 web postfix/postsuper[3]: {id}: removed\n"
            ));
        }
        text.push_str("2026-11-27T10:40:00+00:00 web postfix/postsuper[3]: Deleted: 3 messages\n");
        text.push_str(
            &lines()
                .lines()
                .nth(3)
                .unwrap()
                .replace("10:25:01", "10:41:00"),
        );
        text.push('\n');
        let grade_text = |text: &str| {
            let log = summary::build(
                &[PathBuf::from("-")],
                Some(at(9, 50)),
                5,
                &mut text.as_bytes(),
            );
            let mut r = Report::default();
            grade_window(&Config::default(), &log, 3600, &mut r);
            r
        };
        let r = grade_text(&text);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Ok, "{f:?}");
        assert_eq!(
            f.summary,
            "no failed deliveries in the last 1h (1 sent); 3 message(s) deleted with postsuper -d \
             (never delivered, the sender not told)"
        );
        let deliveries = |r: &Report, status: &str| {
            r.metrics
                .iter()
                .find(|m| {
                    m.name == "mail_deliveries"
                        && m.labels.contains(&("status".into(), status.into()))
                })
                .map(|m| m.value)
        };
        assert_eq!(deliveries(&r, "deleted"), Some(3.0));
        assert_eq!(deliveries(&r, "lost"), Some(0.0));
        assert!(r.metrics.iter().any(|m| {
            m.name == "mail_failures_by_category"
                && m.labels.contains(&("category".into(), "deleted".into()))
                && m.value == 3.0
        }));
        // mail that vanished with no postsuper -d is still lost, graded as before, and its advice
        // is the one given though the deletions are more
        text.push_str(
            "2026-11-27T10:42:00+00:00 web postfix/qmgr[1]: EEEE000002: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n\
             2026-11-27T10:42:01+00:00 web postfix/qmgr[1]: EEEE000002: removed\n",
        );
        let r = grade_text(&text);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Warning, "{f:?}");
        assert!(
            f.summary.ends_with(
                "; 1 message(s) lost (nobody was told); 3 message(s) deleted with postsuper -d \
                 (never delivered, the sender not told); what to do (LOST): Tell the sender by \
                 hand; fix the bounce path (a verified sender for notifications, or a working \
                 postmaster alias)."
            ),
            "{}",
            f.summary
        );
        assert_eq!(deliveries(&r, "lost"), Some(1.0));
    }

    /// A message from `from` and its delivery attempt: the qmgr line, then the smtp line with
    /// `status` and the server's `said` reply.
    fn attempt(
        at: &str,
        id: &str,
        from: &str,
        to: &str,
        dsn: &str,
        status: &str,
        said: &str,
    ) -> String {
        format!(
            "2026-11-27T{at}+00:00 web postfix/qmgr[1]: {id}: from=<{from}>, size=300, nrcpt=1 (queue active)\n\
             2026-11-27T{at}+00:00 web postfix/smtp[2]: {id}: to=<{to}>, relay=email-smtp.us-east-1.amazonaws.com[3.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn={dsn}, status={status} ({said})\n"
        )
    }

    fn unverified(at: &str, id: &str, from: &str, to: &str, identity: &str) -> String {
        attempt(
            at,
            id,
            from,
            to,
            "5.0.0",
            "bounced",
            &format!(
                "host email-smtp.us-east-1.amazonaws.com[3.1.1.1] said: 554 Message rejected: \
                 Email address is not verified. The following identities failed the check in \
                 region US-EAST-1: {identity} (in reply to end of DATA command)"
            ),
        )
    }

    fn sent(at: &str, id: &str, from: &str) -> String {
        attempt(
            at,
            id,
            from,
            "x@example.net",
            "2.0.0",
            "sent",
            "250 Ok 0100018c-cccc",
        )
    }

    fn graded(text: &str, config: &Config) -> Report {
        let log = summary::build(
            &[PathBuf::from("-")],
            Some(at(9, 30)),
            5,
            &mut text.as_bytes(),
        );
        let mut r = Report::default();
        grade_window(config, &log, 3600, &mut r);
        r
    }

    /// The causes named are those of failed deliveries, the most frequent first, and a list
    /// cut short says how many more there are; lost mail is said on its own, not as a cause.
    #[test]
    fn the_causes_named_are_of_failed_deliveries_and_a_cut_list_says_so() {
        let line = |id: &str, to: &str, dsn: &str, status: &str, reply: &str| {
            format!(
                "Dec  7 10:00:00 mx postfix/smtp[4]: {id}: to=<{to}>, relay=r[192.0.2.1]:25, \
                 delay=1, delays=0/0/0.5/0.5, dsn={dsn}, status={status} ({reply})\n"
            )
        };
        let mut text = String::new();
        text += &line(
            "AAAA000001",
            "a@x.example",
            "5.1.1",
            "bounced",
            "host r[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command)",
        );
        text += &line(
            "AAAA000002",
            "b@x.example",
            "5.1.1",
            "bounced",
            "host r[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command)",
        );
        text += &line(
            "AAAA000003",
            "c@x.example",
            "4.2.2",
            "deferred",
            "host r[192.0.2.1] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)",
        );
        text += &line(
            "AAAA000004",
            "d@x.example",
            "4.7.1",
            "deferred",
            "host r[192.0.2.1] said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)",
        );
        text += &line(
            "AAAA000005",
            "e@x.example",
            "4.4.1",
            "deferred",
            "connect to r[192.0.2.1]:25: Connection refused",
        );
        // a message that left the queue with no delivery: lost, not a cause of failure
        text += "Dec  7 10:00:01 mx postfix/qmgr[3]: AAAA000006: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n\
                 Dec  7 10:00:02 mx postfix/qmgr[3]: AAAA000006: removed\n";
        let r = graded(&text, &Config::default());
        let f = r.findings.iter().find(|f| f.area == "failures").unwrap();
        assert!(
            f.summary.starts_with(
                "5 failed deliveries in the last 1h (2 bounced, 3 deferred; 0 sent): \
                 rcpt unknown x2, "
            ) && f.summary.contains(", +1 more cause; "),
            "{}",
            f.summary
        );
        assert!(!f.summary.contains("LOST x"), "{}", f.summary);
        assert!(f.summary.contains("1 message(s) lost"), "{}", f.summary);
    }

    /// Causes with as many failures: the fix named is the one the operator must act on
    /// first, the same on every run, not the first in the list of causes.
    #[test]
    fn tied_causes_name_the_fix_that_matters_most() {
        // a sandboxed account (every unverified recipient fails) beside an unverified sender
        let text = unverified(
            "10:00:00",
            "A000000001",
            "noreply@example.com",
            "b@example.net",
            "noreply@example.com",
        ) + &unverified(
            "10:05:00",
            "A000000002",
            "app@example.com",
            "friend@gmail.com",
            "friend@gmail.com",
        );
        let r = graded(&text, &Config::default());
        assert!(
            r.findings[0].summary.contains(
                ": sandbox rcpt x1, sender unverified x1; what to do (sandbox rcpt): Request \
                 production access"
            ),
            "{}",
            r.findings[0].summary
        );
        // a bounce over a deferral: the refused mail is gone, the deferred one is retried
        let text = attempt(
            "10:00:00",
            "B000000001",
            "app@example.com",
            "c@example.org",
            "4.4.1",
            "deferred",
            "connect to mx.example.org[192.0.2.9]:25: Connection refused",
        ) + &attempt(
            "10:05:00",
            "B000000002",
            "app@example.com",
            "d@example.org",
            "5.1.1",
            "bounced",
            "host mx.example.org[192.0.2.9] said: 550 5.1.1 <d@example.org>: Recipient address \
             rejected: User unknown (in reply to RCPT TO command)",
        );
        let r = graded(&text, &Config::default());
        assert!(
            r.findings[0]
                .summary
                .contains(": rcpt unknown x1, connection x1; what to do (rcpt unknown)"),
            "{}",
            r.findings[0].summary
        );
    }

    #[test]
    fn failures_stamped_ahead_of_the_clock_are_said() {
        let stamp = |d: chrono::Duration| {
            (chrono::Local::now() + d)
                .format("%b %e %H:%M:%S")
                .to_string()
        };
        let text = format!(
            "{} mx postfix/smtp[4]: AAAA000002: to=<b@example.org>, relay=r[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host r said: 550 5.1.1 User unknown)\n",
            stamp(chrono::Duration::hours(3)),
        );
        let log = summary::build(
            &[PathBuf::from("-")],
            Some((chrono::Local::now() - chrono::Duration::hours(1)).fixed_offset()),
            5,
            &mut text.as_bytes(),
        );
        let mut r = Report::default();
        grade_window(&Config::default(), &log, 3600, &mut r);
        assert!(
            r.findings[0].summary.contains(
                "; 1 line(s) stamped ahead of this host's clock (counted: check the clock)"
            ),
            "{}",
            r.findings[0].summary
        );
    }

    #[test]
    fn every_cause_but_a_deletion_has_its_place_in_the_order() {
        for c in Category::ALL {
            let n = PRECEDENCE.iter().filter(|p| **p == c).count();
            assert_eq!(n, usize::from(c != Category::Deleted), "{c:?}");
        }
    }

    /// The cause fixed and mail from the same sender delivered again: the hour of failures
    /// before it is said, but is no longer CRITICAL, and no fix is asked for.
    #[test]
    fn failures_followed_by_deliveries_from_the_same_sender_are_no_longer_critical() {
        let mut config = Config::default();
        config.check.failures_crit = 3;
        let mut text = String::new();
        for (k, at) in ["10:00:00", "10:01:00", "10:02:00", "10:03:00"]
            .iter()
            .enumerate()
        {
            text += &unverified(
                at,
                &format!("C00000000{k}"),
                "app@example.com",
                "a@example.net",
                "app@example.com",
            );
        }
        let r = graded(&text, &config);
        assert_eq!(r.findings[0].status, Status::Critical, "{:?}", r.findings);
        // the identity verified at 10:10: the next mail goes
        text += &sent("10:12:00", "C000000009", "app@example.com");
        text += &sent("10:20:00", "C00000000A", "app@example.com");
        let r = graded(&text, &config);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Warning, "{f:?}");
        assert_eq!(
            f.summary,
            "4 failed deliveries in the last 1h (4 bounced; 2 sent): sender unverified x4; but \
             mail from app@example.com delivered since 10:12"
        );
        // another sender still failing is graded on its own failures
        let mut more = text.clone();
        for (k, at) in ["10:30:00", "10:31:00", "10:32:00"].iter().enumerate() {
            more += &unverified(
                at,
                &format!("D00000000{k}"),
                "news@example.com",
                "a@example.net",
                "news@example.com",
            );
        }
        let r = graded(&more, &config);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Critical, "{f:?}");
        assert!(
            f.summary.contains(
                "; 4 of them from app@example.com, whose mail was delivered since 10:12; what \
                 to do (sender unverified)"
            ),
            "{}",
            f.summary
        );
        // failing again after the delivery: the cause is back
        let again = text.clone()
            + &unverified(
                "10:40:00",
                "E000000001",
                "app@example.com",
                "a@example.net",
                "app@example.com",
            );
        let r = graded(&again, &config);
        assert_eq!(r.findings[0].status, Status::Critical, "{:?}", r.findings);
        assert!(!r.findings[0].summary.contains("delivered since"));
        // lost mail stays graded and keeps its advice
        let lost = text
            + "2026-11-27T10:42:00+00:00 web postfix/qmgr[1]: EEEE000002: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n\
               2026-11-27T10:42:01+00:00 web postfix/qmgr[1]: EEEE000002: removed\n";
        let r = graded(&lost, &config);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Warning, "{f:?}");
        assert!(
            f.summary.ends_with(
                "but mail from app@example.com delivered since 10:12; 1 message(s) lost (nobody \
                 was told); what to do (LOST): Tell the sender by hand; fix the bounce path (a \
                 verified sender for notifications, or a working postmaster alias)."
            ),
            "{}",
            f.summary
        );
    }

    /// A sender's mail refused, and the bounce notice of each refused too (the host's
    /// MAILER-DAEMON not verified either): once the sender's mail is delivered again, the
    /// failed notices of its earlier failures are part of what was fixed, not a failure still
    /// going on. They stay lost mail, a WARNING with its own advice.
    #[test]
    fn failed_bounce_notices_of_a_sender_fixed_since_are_no_longer_critical() {
        let mut config = Config::default();
        config.check.failures_crit = 5;
        let mut text = String::new();
        for (k, at) in ["10:00:00", "10:01:00", "10:02:00"].iter().enumerate() {
            text += &unverified(
                at,
                &format!("C00000000{k}"),
                "app@example.com",
                "a@example.net",
                "app@example.com",
            );
            text += &format!(
                "2026-11-27T{at}+00:00 web postfix/bounce[3]: C00000000{k}: sender \
                 non-delivery notification: F00000000{k}\n"
            );
            text += &unverified(
                at,
                &format!("F00000000{k}"),
                "",
                "app@example.com",
                "MAILER-DAEMON@web.example.com",
            );
            text += &format!("2026-11-27T{at}+00:00 web postfix/qmgr[1]: F00000000{k}: removed\n");
        }
        // three refused, three notices refused: over the threshold
        let r = graded(&text, &config);
        assert_eq!(r.findings[0].status, Status::Critical, "{:?}", r.findings);
        // the identity verified at 10:10: the next mail goes
        text += &sent("10:12:00", "C000000009", "app@example.com");
        let r = graded(&text, &config);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Warning, "{f:?}");
        assert!(
            f.summary.contains(
                "; but mail from app@example.com delivered since 10:12 (3 of the failures \
                 are the bounce notices of its mail);"
            ),
            "{}",
            f.summary
        );
        assert!(
            !f.summary.contains("what to do (sender unverified)"),
            "{}",
            f.summary
        );
        assert!(f.summary.contains("what to do (LOST)"), "{}", f.summary);

        // a notice of another sender's mail, still failing, is graded as it is
        let mut more = text.clone();
        for (k, at) in ["10:30:00", "10:31:00", "10:32:00"].iter().enumerate() {
            more += &unverified(
                at,
                &format!("D00000000{k}"),
                "news@example.com",
                "a@example.net",
                "news@example.com",
            );
            more += &format!(
                "2026-11-27T{at}+00:00 web postfix/bounce[3]: D00000000{k}: sender \
                 non-delivery notification: E00000000{k}\n"
            );
            more += &unverified(
                at,
                &format!("E00000000{k}"),
                "",
                "news@example.com",
                "MAILER-DAEMON@web.example.com",
            );
        }
        let r = graded(&more, &config);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Critical, "{f:?}");
        assert!(
            f.summary.contains(
                "; 6 of them from app@example.com, whose mail was delivered since 10:12 (3 of \
                 them the bounce notices of its mail);"
            ),
            "{}",
            f.summary
        );
        // a failed notice whose message is not in the window is never counted as fixed
        let unlinked = sent("10:12:00", "C000000009", "app@example.com")
            + &unverified(
                "10:05:00",
                "F000000009",
                "",
                "app@example.com",
                "MAILER-DAEMON@web.example.com",
            );
        let r = graded(&unlinked, &config);
        assert!(
            !r.findings[0].summary.contains("delivered since"),
            "{:?}",
            r.findings
        );
    }

    #[test]
    fn a_quiet_window_is_ok_and_thresholds_come_from_config() {
        let log = window_report(at(10, 30));
        let mut config = Config::default();
        let mut r = Report::default();
        grade_window(&config, &log, 3600, &mut r);
        assert_eq!(r.findings[0].status, Status::Ok);
        assert_eq!(
            r.findings[0].summary,
            "no failed deliveries in the last 1h (0 sent)"
        );

        config.check.failures_warn = 5;
        config.check.failures_crit = 2;
        let mut r = Report::default();
        grade_window(&config, &window_report(at(9, 30)), 1800, &mut r);
        assert_eq!(r.findings[0].status, Status::Critical);
        assert!(r.findings[0].summary.contains("last 30m"));
    }

    #[tokio::test]
    async fn a_missing_log_is_unknown_and_named() {
        let mut config = Config::default();
        config.mail_log.files = vec![PathBuf::from("/nonexistent/mail.log")];
        let mut r = Report::default();
        collect(&config, at(10, 30), &mut r).await;
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
        assert_eq!(r.findings[0].status, Status::Unknown);
        assert!(
            r.findings[0].summary.contains("/nonexistent/mail.log"),
            "{}",
            r.findings[0].summary
        );
    }

    #[tokio::test]
    async fn a_directory_named_as_the_log_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.mail_log.files = vec![dir.path().to_path_buf()];
        let mut r = Report::default();
        collect(&config, at(10, 30), &mut r).await;
        let f = r.findings.iter().find(|f| f.area == "failures").unwrap();
        assert_eq!(f.status, Status::Unknown);
        assert_eq!(
            f.summary,
            format!(
                "{0}: is a directory, not a log: name the log file in it ([mail_log] files = \
                 [\"{0}/mail.log\"])",
                dir.path().display()
            )
        );
    }

    #[tokio::test]
    async fn a_read_that_would_not_end_stops_at_the_deadline_with_what_it_read() {
        use crate::mail::log::deadline::testing::endless_log;
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::Local::now().fixed_offset();
        let stamp = now.format("%Y-%m-%dT%H:%M:%S%:z");
        let bounced = format!(
            "{stamp} web postfix/smtp[7]: 2B3C4D5E6F: to=<b@example.net>, relay=none, delay=1, \
             delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] \
             said: 550 5.1.1 <b@example.net>: Recipient address rejected: User unknown (in \
             reply to RCPT TO command))\n"
        );
        let log = endless_log(dir.path(), "mail.log", &bounced);
        let mut config = Config::default();
        config.mail_log.files = vec![log.clone()];
        config.check.deadline_secs = 1;
        let mut r = Report::default();
        // without a deadline this read lasts as long as the writer writes
        collect(&config, now, &mut r).await;
        let cut = r
            .findings
            .iter()
            .find(|f| f.summary.contains("read stopped at the check's deadline"))
            .unwrap_or_else(|| panic!("no cut named: {:?}", r.findings));
        assert_eq!(cut.area, "failures");
        assert_eq!(cut.status, Status::Unknown);
        assert!(
            cut.summary.starts_with(&format!(
                "{}: read stopped at the check's deadline (1 s, [check] deadline_secs) at its \
                 line of ",
                log.display()
            )),
            "{}",
            cut.summary
        );
        assert!(
            cut.summary
                .ends_with("Raise deadline_secs, and the monitoring system's timeout with it"),
            "{}",
            cut.summary
        );
        // the bounce that was read counts, and the words say the count is of a part
        let counted = r
            .findings
            .iter()
            .find(|f| f.summary.starts_with("1 failed deliveries"))
            .unwrap_or_else(|| panic!("{:?}", r.findings));
        assert_eq!(counted.status, Status::Warning);
        assert!(
            counted
                .summary
                .contains("in the part of the last 1h read, up to "),
            "{}",
            counted.summary
        );
        assert_eq!(r.status(), Status::Unknown);
    }

    #[test]
    fn a_read_cut_before_the_window_says_nothing_of_it() {
        let mut log = window_report(at(10, 30));
        log.cut = Some(Clean::new("/var/log/mail.log.1"));
        log.first = None;
        log.last = Some(at(9, 20));
        let mut r = Report::default();
        grade_window(&Config::default(), &log, 3600, &mut r);
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
        assert_eq!(r.findings[0].status, Status::Unknown);
        assert!(
            r.findings[0].summary.starts_with(
                "/var/log/mail.log.1: read stopped at the check's deadline (8 s, [check] \
                     deadline_secs) at its line of 09:20:00;"
            ),
            "{}",
            r.findings[0].summary
        );
        assert!(r.metrics.is_empty(), "{:?}", r.metrics);
    }

    #[test]
    fn a_cut_read_says_no_ok_about_what_it_did_not_read() {
        // the window from 10:22 holds the 10:25 delivery; the read stopped at 10:26
        let mut log = window_report(at(10, 22));
        log.cut = Some(Clean::new("/var/log/mail.log"));
        log.last = Some(at(10, 26));
        let mut r = Report::default();
        grade_window(&Config::default(), &log, 3600, &mut r);
        assert_eq!(r.status(), Status::Unknown);
        assert_eq!(
            r.findings[0].summary,
            "/var/log/mail.log: read stopped at the check's deadline (8 s, [check] \
             deadline_secs) at its line of 10:26:00; failures logged after it are not counted. \
             A slow disk, or too much log to read in time? Raise deadline_secs, and the \
             monitoring system's timeout with it"
        );
        assert_eq!(
            r.findings[1].summary,
            "no failed deliveries in the part of the last 1h read, up to 10:26:00 (1 sent)"
        );
    }

    fn quiet(warn: u64, age_secs: i64) -> Report {
        let mut config = Config::default();
        config.check.log_quiet_warn_secs = warn;
        let mut r = Report::default();
        let now = at(12, 0);
        let written = (age_secs >= 0).then(|| now - chrono::Duration::seconds(age_secs));
        grade_quiet(&config, written, now, 3600, &mut r);
        r
    }

    #[test]
    fn a_directory_named_as_the_log_has_no_age() {
        // `files = ["/var/log"]`: the read fails, and the metric must not say the log is fresh
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(last_written(&[dir.path().to_path_buf()]), None);
        let log = dir.path().join("mail.log");
        std::fs::write(&log, "").unwrap();
        assert!(last_written(&[dir.path().to_path_buf(), log]).is_some());
    }

    #[test]
    fn a_quiet_log_is_said_and_graded_only_when_asked() {
        // written ten minutes ago: nothing to say, the age is a metric
        let r = quiet(0, 600);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let m = r
            .metrics
            .iter()
            .find(|m| m.name == "mail_log_age_seconds")
            .unwrap();
        assert_eq!((m.value, m.warn, m.crit), (600.0, None, None));
        // older than the window: an OK note, so that "no failed deliveries" is not read as
        // "mail is moving"
        let r = quiet(0, 3 * 3600 + 600);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].status, Status::Ok);
        assert_eq!(
            r.findings[0].summary,
            "the mail log was last written 3h10m ago"
        );
        // with log_quiet_warn_secs: a WARNING that names the threshold
        let r = quiet(2 * 3600, 3 * 3600 + 600);
        assert_eq!(r.findings[0].status, Status::Warning);
        assert_eq!(
            r.findings[0].summary,
            "the mail log was last written 3h10m ago (warning at 2h00m): has Postfix or the \
             syslog daemon stopped?"
        );
        assert_eq!(r.metrics[0].warn, Some(7200.0));
        assert_eq!(quiet(2 * 3600, 1800).findings.len(), 0);
        // the journal with no Postfix line in the window
        let r = quiet(2 * 3600, -1);
        assert_eq!(r.findings[0].status, Status::Warning);
        assert!(
            r.findings[0]
                .summary
                .starts_with("no Postfix line in the mail log in the last 1h")
        );
        assert!(r.metrics.is_empty());
        assert!(quiet(0, -1).findings.is_empty());
    }

    #[tokio::test]
    async fn the_log_files_last_write_is_its_age() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        std::fs::write(&log, lines()).unwrap();
        let five_hours_ago = std::time::SystemTime::now() - Duration::from_secs(5 * 3600 + 60);
        std::fs::File::options()
            .write(true)
            .open(&log)
            .unwrap()
            .set_modified(five_hours_ago)
            .unwrap();
        let mut config = Config::default();
        config.mail_log.files = vec![log];
        config.check.log_quiet_warn_secs = 4 * 3600;
        let mut r = Report::default();
        collect(&config, chrono::Local::now().fixed_offset(), &mut r).await;
        let quiet: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.summary.starts_with("the mail log was last written"))
            .collect();
        assert_eq!(quiet.len(), 1, "{:?}", r.findings);
        assert_eq!(quiet[0].status, Status::Warning);
        assert!(
            quiet[0].summary.contains("5h01m ago"),
            "{}",
            quiet[0].summary
        );
    }

    #[test]
    fn rotated_file_joins_only_when_written_inside_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let cur = dir.path().join("mail.log");
        let old = dir.path().join("mail.log.1");
        std::fs::write(&cur, "").unwrap();
        std::fs::write(&old, "").unwrap();
        let now = chrono::Local::now().fixed_offset();
        let files = files_for_window(std::slice::from_ref(&cur), now - chrono::Duration::hours(1));
        assert_eq!(files, vec![old.clone(), cur.clone()]);
        let files = files_for_window(std::slice::from_ref(&cur), now + chrono::Duration::hours(1));
        assert_eq!(files, vec![cur]);
    }
}
