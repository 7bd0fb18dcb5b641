//! The queue's part of `opsdeck check`: read every instance's queue once
//! (read-only: `postqueue -j` only) and grade its size and oldest message
//! against the `[check]` thresholds, and by the causes of its deferred mail:
//! mail held up by this host's own setup (credentials, SASL, an IAM policy, an
//! unverified sender...) is a WARNING whatever the size, for it never leaves
//! until someone fixes it.
//!
//! Never changes anything and never reads the clock itself: `now` is passed
//! in. An instance that cannot be read is an UNKNOWN finding with the fix,
//! never a silent zero.

use std::collections::HashMap;

use crate::check::{Metric, Report, Status, grade};
use crate::config::Config;
use crate::mail::log::classify::{Category, local_service_at};

use super::commands;
use super::error::QueueError;
use super::model::{
    ReasonGroup, Summary, age_secs, ahead_secs, fmt_age, group_reasons, reason_cause, reason_key,
};
use super::parse::{QueueEntry, QueueName, parse_jsonl};

/// Add the queue findings and metrics of every listed instance (with `postqueue_command`, its
/// one listing, under the first instance's name). The instances are read side by side, each
/// until the check's limit for a local read from now: a `postqueue` that hangs is stopped
/// there, with what it started, and named.
pub async fn collect(config: &Config, now: i64, report: &mut Report) {
    let limit = config.check.local_limit();
    let until = tokio::time::Instant::from_std(config.check.after_start(limit.0));
    let listed = config.queue.listed_instances(config.postfix.len());
    let reads = config.postfix.iter().take(listed).map(|inst| {
        let spec = commands::list(inst, config.queue.listing_command());
        async move {
            // dropped at the limit: the command's whole process group is killed
            let ran = tokio::time::timeout_at(until, commands::run(&spec, 1 << 30)).await;
            (inst, spec, ran)
        }
    });
    for (inst, spec, ran) in futures_util::future::join_all(reads).await {
        // an error's words (postqueue's stderr, a bad line's) and the command were made clean
        // where they were written, as the queue pane shows them: escaped again, each escape's
        // backslash would show doubled
        let name = crate::sanitize::Clean::new(&inst.name);
        match ran {
            Ok(Ok(c)) => {
                let parsed = parse_jsonl(&c.stdout);
                grade_summary(config, &inst.name, &parsed.entries, now, report);
                // As root, postqueue reads the queue files itself when the master is not
                // running, and says so only on stderr: the listing looks fine, nothing leaves.
                match QueueError::down_while_listing(&spec.display(), &c.stderr) {
                    Some(down) => report.finding_clean(
                        "queue",
                        Status::Critical,
                        format!("{name}: {down}; no mail is delivered"),
                    ),
                    // running, but is its pickup reading the maildrop?
                    None => stale_maildrop(&inst.name, &parsed.entries, now, report),
                }
                if parsed.bad_lines > 0 {
                    report.finding_clean(
                        "queue",
                        Status::Unknown,
                        format!(
                            "{name}: {} unreadable lines in postqueue -j output ({})",
                            parsed.bad_lines,
                            parsed.first_bad.unwrap_or_default()
                        ),
                    );
                }
            }
            Ok(Err(e)) => report.finding_clean("queue", Status::Unknown, format!("{name}: {e}")),
            Err(_) => report.finding_clean(
                "queue",
                Status::Unknown,
                format!(
                    "{name}: {}: stopped; the queue is not known",
                    crate::check::no_answer(&spec.display(), limit)
                ),
            ),
        }
    }
}

/// Mail waits in the maildrop only until pickup reads it: at once when postdrop or postsuper
/// wakes it, within its 60 s poll otherwise. Submitted longer ago than this, pickup is not
/// reading it.
pub const MAILDROP_STALE_SECS: i64 = 300;

/// A WARNING for mail left in the maildrop while Postfix runs: its pickup service is not
/// reading it (taken out of master.cf, or stopping at once on an error the log names), so mail
/// submitted on this host (sendmail, a site's `mail()`) goes nowhere, while the queue is small
/// and young enough for the size and age grades to say nothing for an hour.
fn stale_maildrop(name: &str, entries: &[QueueEntry], now: i64, report: &mut Report) {
    let ages: Vec<i64> = entries
        .iter()
        .filter(|e| e.queue == QueueName::Maildrop)
        .map(|e| age_secs(e.arrival, now))
        .filter(|&a| a > MAILDROP_STALE_SECS)
        .collect();
    let Some(oldest) = ages.iter().copied().max() else {
        return;
    };
    let n = ages.len();
    report.finding(
        "queue",
        Status::Warning,
        format!(
            "{name}: {n} message{} in the maildrop submitted over {} ago (oldest {}): pickup has \
             not read {} - is the pickup service in master.cf running? (the mail log says why \
             not) Mail submitted on this host (sendmail, a site's mail()) waits there until it does",
            crate::ui::widgets::plural(n),
            fmt_age(MAILDROP_STALE_SECS),
            fmt_age(oldest),
            if n == 1 { "it" } else { "them" },
        ),
    );
}

/// How many deferral reasons the finding names and the metrics list.
const TOP_REASONS: usize = 10;

/// A group in the finding's words: its cause and an example of the relay's words, or the words.
fn reason_words(g: &ReasonGroup) -> String {
    if g.label.is_empty() {
        crate::ui::widgets::truncate(&g.detail, 80)
    } else {
        format!(
            "{} (e.g. {})",
            g.label,
            crate::ui::widgets::truncate(&g.detail, 60)
        )
    }
}

/// A group's name as a metric label: the cause (stable whichever message came first), or the
/// words when it has no name.
fn reason_name(g: &ReasonGroup) -> String {
    let name = if g.label.is_empty() {
        &g.detail
    } else {
        &g.label
    };
    crate::ui::widgets::truncate(name, 80)
}

/// Whether deferred mail of this cause waits for something this host's side must fix: its
/// Postfix setup, its credentials, its SES account, the application sending, or the standing of
/// its address and domain with receivers (no reverse DNS, the address on a block list, the
/// domain failing SPF, DKIM or DMARC: receivers refuse it again at every retry, and only this
/// side can get it delisted or publish the records), or what its mail holds or how much of it is
/// unwanted (a receiver deferring for content, or rate-limiting unsolicited mail from this
/// address or domain: it lasts until the sending is mended). Retrying alone does not deliver it, so a
/// small queue of it is as bad as a large one.
///
/// Causes on the remote side, or that pass on their own (greylisting, a full mailbox, a remote
/// timeout, throttling), are not: the size and age thresholds grade them. Every cause is listed,
/// so a new one gets a decision.
pub fn held_up_here(cause: Category) -> bool {
    match cause {
        Category::SesSenderNotVerified
        | Category::SesRecipientNotVerified
        | Category::SesDailyQuota
        | Category::SesCredentials
        | Category::RelayCredentials
        | Category::SesAuthRequired
        | Category::SesAccessDenied
        | Category::SesSendingPaused
        | Category::MalformedMessage
        | Category::SaslNoMechanism
        | Category::Tls
        | Category::RelayDenied
        | Category::SenderRejected
        | Category::ReverseDns
        | Category::Blocklisted
        | Category::SenderAuthentication
        | Category::ContentRejected
        | Category::MailLoop
        | Category::LocalMailbox
        | Category::DeliveryCommand
        | Category::LocalService
        | Category::PostfixSetup => true,
        Category::SesThrottling
        | Category::SesSuppressed
        | Category::MessageTooLong
        | Category::Connection
        | Category::Suspended
        | Category::Dns
        | Category::RecipientUnknown
        | Category::RecipientRestricted
        | Category::MailboxFull
        | Category::Greylisted
        | Category::RemoteTemporary
        | Category::Expired
        | Category::Rejected
        | Category::ContentRule
        | Category::MilterReject
        | Category::Held
        | Category::Lost
        | Category::Deleted
        | Category::Discarded
        | Category::Other => false,
    }
}

/// Deferred messages waiting for one cause on this host's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldHere {
    pub cause: Category,
    pub messages: usize,
    /// The first such reason, without its details.
    pub detail: String,
    /// For a service on this host, where it should answer (`127.0.0.1:10024`,
    /// `private/dovecot-lmtp`): the details blank it, and it is the first thing to check.
    pub at: Option<String>,
}

/// The deferred messages whose first reason is a cause on this host's side, by cause, most
/// first. Counted message by message, not from the reason groups: a group takes one reason as
/// its sample, and a transport held back with defer_transports (on purpose: the age threshold
/// grades it) shares its cause, postfix setup, with a service that is not running.
pub fn held_here<'a>(entries: impl IntoIterator<Item = &'a QueueEntry>) -> Vec<HeldHere> {
    let mut known: HashMap<&str, Option<Category>> = HashMap::new();
    let mut by_cause: Vec<HeldHere> = Vec::new();
    for e in entries
        .into_iter()
        .filter(|e| e.queue == QueueName::Deferred)
    {
        let Some(reason) = e.first_reason() else {
            continue;
        };
        let cause = *known.entry(reason.as_str()).or_insert_with(|| {
            reason_cause(reason).filter(|&c| {
                held_up_here(c)
                    && !(c == Category::PostfixSetup && reason.contains("deferred transport"))
            })
        });
        let Some(cause) = cause else { continue };
        match by_cause.iter_mut().find(|h| h.cause == cause) {
            Some(h) => h.messages += 1,
            None => by_cause.push(HeldHere {
                cause,
                messages: 1,
                detail: reason_key(reason),
                at: (cause == Category::LocalService)
                    .then(|| local_service_at(reason))
                    .flatten(),
            }),
        }
    }
    by_cause.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.cause.cmp(&b.cause)));
    by_cause
}

/// The thresholds the finding names: those crossed (`critical at 6h00m`, `warning at 50
/// messages, critical at 6h00m`), or the warning ones when none was.
fn thresholds_words(config: &Config, by_size: Status, by_age: Status) -> String {
    let t = &config.check;
    let level = |s: Status, warn: String, crit: String| match s {
        Status::Critical => Some(format!("critical at {crit}")),
        Status::Warning => Some(format!("warning at {warn}")),
        _ => None,
    };
    let crossed: Vec<String> = [
        level(
            by_size,
            format!("{} messages", t.queue_warn),
            format!("{} messages", t.queue_crit),
        ),
        level(
            by_age,
            fmt_age(t.oldest_warn_secs as i64),
            fmt_age(t.oldest_crit_secs as i64),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if crossed.is_empty() {
        format!(
            "warning at {} messages or {}",
            t.queue_warn,
            fmt_age(t.oldest_warn_secs as i64)
        )
    } else {
        crossed.join(", ")
    }
}

/// The time past which a listed message arrived in the future, for a check that started at
/// `now`: a message may have arrived while the listing was read, up to the check's limit for a
/// local read after it (and within the second that ends in).
fn future_after(config: &Config, now: i64) -> i64 {
    let read = config.check.local_limit().0.as_secs();
    now.saturating_add(i64::try_from(read).unwrap_or(i64::MAX))
        .saturating_add(1)
}

/// The finding and metrics of one instance's queue: its size, the age of its oldest message and
/// its deferral reasons.
///
/// Messages on hold (`postsuper -h`, a HOLD quarantine) count in the size and in the message
/// counts, but not in the age graded: they are held on purpose and would keep the queue CRITICAL
/// for as long as they are kept. The finding names the oldest of them apart.
pub fn grade_summary(
    config: &Config,
    name: &str,
    entries: &[QueueEntry],
    now: i64,
    report: &mut Report,
) {
    // the queue's words (reasons a remote server gave) are clean already: escaped again, each
    // escape's backslash would show doubled
    let instance = name;
    let name = crate::sanitize::Clean::new(name);
    let t = &config.check;
    let mut s = Summary::default();
    let mut held = Summary::default();
    let mut waiting = Summary::default();
    // arrived in the future: their age is not known, so they neither count as stuck nor, taken
    // for just arrived, stand for the queue's age (the number of them, and the farthest ahead)
    let mut ahead = (0usize, 0i64);
    let future = future_after(config, now);
    for e in entries {
        s.add(e);
        if ahead_secs(e.arrival, future).is_some() {
            ahead = (ahead.0 + 1, ahead.1.max(e.arrival.saturating_sub(now)));
        } else if e.queue == QueueName::Hold {
            held.add(e);
        } else {
            waiting.add(e);
        }
    }
    let reasons = &group_reasons(entries.iter());
    let oldest = waiting.oldest.map(|o| age_secs(o, now)).unwrap_or(0);
    let by_size = grade(s.total as u64, t.queue_warn, t.queue_crit);
    let by_age = grade(oldest as u64, t.oldest_warn_secs, t.oldest_crit_secs);
    let status = Status::worst(by_size, by_age);
    let summary = if s.total == 0 {
        format!("{name}: queue empty")
    } else if waiting.total == 0 && s.count(QueueName::Hold) < s.total {
        // none waiting has a known age: those not on hold all arrived in the future
        format!(
            "{name}: {} messages queued ({} deferred, {} on hold), oldest not known ({})",
            s.total,
            s.count(QueueName::Deferred),
            s.count(QueueName::Hold),
            thresholds_words(config, by_size, by_age)
        )
    } else if waiting.total == 0 {
        format!(
            "{name}: {} messages queued, all on hold ({})",
            s.total,
            thresholds_words(config, by_size, by_age)
        )
    } else {
        format!(
            "{name}: {} messages queued ({} deferred, {} on hold), oldest {} ({})",
            s.total,
            s.count(QueueName::Deferred),
            s.count(QueueName::Hold),
            fmt_age(oldest),
            thresholds_words(config, by_size, by_age)
        )
    };
    let summary = match held.oldest {
        Some(o) => format!(
            "{summary}; oldest on hold {}, not graded by age",
            fmt_age(age_secs(o, now))
        ),
        None => summary,
    };
    let summary = match ahead {
        (0, _) => summary,
        (n, by) => format!(
            "{summary}; {n} arrived in the future (up to {} ahead of this host's clock: set back \
             since, or the list is another host's), not graded by age",
            fmt_age(by)
        ),
    };
    let summary = if reasons.is_empty() {
        summary
    } else {
        let top: Vec<String> = reasons
            .iter()
            .take(3)
            .map(|g| format!("{} {}", g.messages, reason_words(g)))
            .collect();
        format!("{summary}; deferred by reason: {}", top.join(", "))
    };
    report.finding_clean("queue", status, summary);
    // Mail that waits for this host's side to act: a WARNING of its own, naming the cause, how
    // many messages and the fix (the size and age finding keeps its own grade, CRITICAL included).
    let held_here = held_here(entries);
    // the total, 0 when nothing is held: a series that always exists, for an alert rule or a
    // graph (the per-cause series exist only while their cause does)
    let mut all = Metric::new(
        "queue_deferred_messages_held_here_all",
        "Deferred messages waiting for any cause on this host's side: the sum of \
         queue_deferred_messages_held_here over its causes, 0 when none.",
        held_here.iter().map(|h| h.messages).sum::<usize>() as f64,
    )
    .label("instance", instance);
    all.warn = Some(1.0);
    report.metric(all);
    for h in held_here {
        let at =
            h.at.as_ref()
                .map(|a| format!(", at {a}"))
                .unwrap_or_default();
        report.finding_clean(
            "queue",
            Status::Warning,
            format!(
                "{name}: {} deferred messages held up by {} on this host's side{at} (e.g. {}); \
                 fix: {}",
                h.messages,
                h.cause.label(),
                crate::ui::widgets::truncate(&h.detail, 120),
                crate::mail::log::check::first_sentence(h.cause.remedy())
            ),
        );
        report.metric(
            Metric::new(
                "queue_deferred_messages_held_here",
                "Deferred messages waiting for a cause on this host's side (its setup, \
                 credentials, account, or its address or domain refused), by cause.",
                h.messages as f64,
            )
            .label("instance", instance)
            .label("cause", h.cause.key()),
        );
    }
    // Reasons whose names are cut to one label (a remote server's long words alike at their
    // start) are one series, their messages added: node_exporter refuses a whole file that
    // holds a series twice.
    let mut by_name: Vec<(String, usize)> = Vec::new();
    for g in reasons {
        let n = reason_name(g);
        match by_name.iter_mut().find(|(seen, _)| *seen == n) {
            Some((_, messages)) => *messages += g.messages,
            None => by_name.push((n, g.messages)),
        }
    }
    by_name.sort_by_key(|(_, messages)| std::cmp::Reverse(*messages));
    for (reason, messages) in by_name.iter().take(TOP_REASONS) {
        report.metric(
            Metric::new(
                "queue_deferred_messages_by_reason",
                "Deferred messages by the reason of their first deferred recipient.",
                *messages as f64,
            )
            .label("instance", instance)
            // a reason's words are clean, as the finding's and the queue pane's
            .label_clean("reason", reason.as_str()),
        );
    }
    for q in QueueName::ALL {
        report.metric(
            Metric::new(
                "queue_messages",
                "Messages in the Postfix queue.",
                s.count(q) as f64,
            )
            .label("instance", instance)
            .label("queue", q.as_str())
            .thresholds(t.queue_warn as f64, t.queue_crit as f64),
        );
    }
    report.metric(
        Metric::new(
            "queue_oldest_age_seconds",
            "Age of the oldest queued message not on hold (the age graded).",
            oldest as f64,
        )
        .label("instance", instance)
        .thresholds(t.oldest_warn_secs as f64, t.oldest_crit_secs as f64),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_size_and_age() {
        let config = Config::default();
        let text = crate::mail::queue::demo::generate(60, 1_800_000_000);
        let p = parse_jsonl(text.as_bytes());
        let reasons = group_reasons(p.entries.iter());
        let mut r = Report::default();
        grade_summary(&config, "default", &p.entries, 1_800_000_000, &mut r);
        // 60 messages up to three days old: over 50 messages and over 6 hours
        assert_eq!(r.findings[0].status, Status::Critical);
        assert!(
            r.findings[0]
                .summary
                .starts_with("default: 60 messages queued ("),
            "{}",
            r.findings[0].summary
        );
        // per queue (6), the oldest age, one per deferral reason, and one per cause on this
        // host's side, each with its own finding
        let here = held_here(&p.entries).len();
        assert!(here > 0);
        // (and the total held here)
        assert_eq!(r.metrics.len(), 8 + reasons.len().min(TOP_REASONS) + here);
        assert_eq!(r.findings.len(), 1 + here);
        let top = &reasons[0];
        assert!(
            r.findings[0].summary.contains(&format!(
                "; deferred by reason: {} {}",
                top.messages,
                reason_words(top)
            )),
            "{}",
            r.findings[0].summary
        );
        let m = r
            .metrics
            .iter()
            .find(|m| m.name == "queue_deferred_messages_by_reason")
            .unwrap();
        assert_eq!(m.value, top.messages as f64);
        assert!(m.labels.contains(&("reason".into(), reason_name(top))));

        let mut r = Report::default();
        grade_summary(&config, "default", &[], 0, &mut r);
        assert_eq!(r.findings[0].status, Status::Ok);
        assert_eq!(r.findings[0].summary, "default: queue empty");
    }

    /// `postqueue -j` lines: one message in `queue` that arrived at each of `arrivals`.
    fn listing(queue: &str, arrivals: impl IntoIterator<Item = i64>) -> String {
        arrivals
            .into_iter()
            .enumerate()
            .map(|(i, at)| {
                let q = if queue == "hold" { 1 } else { 2 };
                format!(
                    "{{\"queue_name\": \"{queue}\", \"queue_id\": \"{q}{i:06X}\", \"arrival_time\": {at}, \
                     \"message_size\": 400, \"sender\": \"a@example.com\", \
                     \"recipients\": [{{\"address\": \"b@example.net\"}}]}}\n"
                )
            })
            .collect()
    }

    fn entries(text: &str) -> Vec<QueueEntry> {
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.bad_lines, 0, "{:?}", p.first_bad);
        p.entries
    }

    #[test]
    fn mail_left_in_the_maildrop_warns_that_pickup_is_not_reading_it() {
        let now = 1_800_000_000;
        // submitted seconds ago: on its way, nothing said
        let mut r = Report::default();
        stale_maildrop(
            "main",
            &entries(&listing("maildrop", [now - 20, now - 200])),
            now,
            &mut r,
        );
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        // twenty minutes on, with the queue far under its grades
        let e = entries(&listing("maildrop", [now - 1200, now - 400, now - 20]));
        let mut r = Report::default();
        let config = Config::default();
        grade_summary(&config, "main", &e, now, &mut r);
        assert_eq!(r.findings[0].status, Status::Ok, "{:?}", r.findings);
        stale_maildrop("main", &e, now, &mut r);
        let f = r.findings.last().unwrap();
        assert_eq!(f.status, Status::Warning);
        assert_eq!(
            f.summary,
            "main: 2 messages in the maildrop submitted over 5m ago (oldest 20m): pickup has not \
             read them - is the pickup service in master.cf running? (the mail log says why not) \
             Mail submitted on this host (sendmail, a site's mail()) waits there until it does"
        );
        assert_eq!(r.status(), Status::Warning);
    }

    #[tokio::test]
    async fn the_check_reads_the_maildrop_unless_postfix_is_down() {
        let now = 1_800_000_000;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("q.jsonl");
        std::fs::write(&file, listing("maildrop", [now - 1200])).unwrap();
        let mut config = Config::default();
        let cat = ["cat".to_string(), file.display().to_string()];
        config.queue.postqueue_command = Some(cat.to_vec());
        let mut r = Report::default();
        collect(&config, now, &mut r).await;
        assert!(
            r.findings.iter().any(
                |f| f.status == Status::Warning && f.summary.contains("pickup has not read it")
            ),
            "{:?}",
            r.findings
        );
        // with the master stopped, that is the finding: nothing is picked up, or delivered
        let down = "postqueue: warning: Mail system is down -- accessing queue directly";
        let script = format!("cat '{}'; echo '{down}' >&2", file.display());
        config.queue.postqueue_command = Some(["sh", "-c", &script].map(String::from).to_vec());
        let mut r = Report::default();
        collect(&config, now, &mut r).await;
        assert!(
            r.findings.iter().any(|f| f.status == Status::Critical),
            "{:?}",
            r.findings
        );
        assert!(
            !r.findings.iter().any(|f| f.summary.contains("pickup")),
            "{:?}",
            r.findings
        );
    }

    /// `postqueue_command` lists one queue whatever the instances: read once, graded once,
    /// under the first instance's name (a queue counted twice crossed its size threshold at
    /// half its size).
    #[tokio::test]
    async fn a_postqueue_command_is_read_once_however_many_instances() {
        let now = 1_800_000_000;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("q.jsonl");
        std::fs::write(&file, listing("deferred", [now - 60, now - 120])).unwrap();
        let runs = dir.path().join("runs");
        let mut config = Config::default();
        config.postfix[0].name = "out".into();
        let mut other = config.postfix[0].clone();
        other.name = "in".into();
        other.config_dir = "/etc/postfix-in".into();
        config.postfix.push(other);
        let script = format!("echo run >> '{}'; cat '{}'", runs.display(), file.display());
        config.queue.postqueue_command = Some(["sh", "-c", &script].map(String::from).to_vec());
        let mut r = Report::default();
        collect(&config, now, &mut r).await;
        assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n");
        let summaries: Vec<&str> = r.findings.iter().map(|f| f.summary.as_str()).collect();
        assert_eq!(summaries.len(), 1, "{summaries:?}");
        assert!(
            summaries[0].starts_with("out: 2 messages queued (2 deferred, 0 on hold)"),
            "{summaries:?}"
        );
    }

    /// A message whose arrival time lies in the future (the clock set back since, a listing
    /// from another host) has no known age: it does not count as stuck, does not stand for the
    /// queue's age as "0s", and does not hide a stuck one. A message that arrived while the
    /// listing was read is no such message.
    #[test]
    fn mail_from_the_future_is_said_and_not_graded_by_age() {
        let config = Config::default(); // 1h/6h, reads of 8 s
        let now = 1_800_000_000;
        let grade_of = |arrivals: &[i64]| {
            let mut r = Report::default();
            grade_summary(
                &config,
                "main",
                &entries(&listing("deferred", arrivals.iter().copied())),
                now,
                &mut r,
            );
            let oldest = r
                .metrics
                .iter()
                .find(|m| m.name == "queue_oldest_age_seconds")
                .unwrap()
                .value;
            (r.findings[0].status, r.findings[0].summary.clone(), oldest)
        };
        // alone: not stuck, and not "oldest 0s"
        let (status, text, oldest) = grade_of(&[now + 2 * 3600]);
        assert_eq!(status, Status::Ok);
        assert_eq!(
            text,
            "main: 1 messages queued (1 deferred, 0 on hold), oldest not known (warning at 50 \
             messages or 1h00m); 1 arrived in the future (up to 2h00m ahead of this host's \
             clock: set back since, or the list is another host's), not graded by age"
        );
        assert_eq!(oldest, 0.0);
        // beside a stuck one: the stuck one is graded
        let (status, text, oldest) = grade_of(&[now + 2 * 3600, now - 7 * 3600]);
        assert_eq!(status, Status::Critical);
        assert!(text.contains("oldest 7h00m (critical at 6h00m)"), "{text}");
        assert!(
            text.contains("; 1 arrived in the future (up to 2h00m"),
            "{text}"
        );
        assert_eq!(oldest, (7 * 3600) as f64);
        // arrived while postqueue was read, seconds after the check started: just new mail
        let (status, text, _) = grade_of(&[now + 3]);
        assert_eq!(status, Status::Ok);
        assert!(text.contains("oldest 0s"), "{text}");
        assert!(!text.contains("future"), "{text}");
    }

    /// `n` deferred messages, the oldest `age` seconds old at `now`.
    fn deferred(n: usize, age: i64, now: i64) -> Vec<QueueEntry> {
        entries(&listing(
            "deferred",
            (0..n).map(|i| (now - age + i as i64).min(now)),
        ))
    }

    #[test]
    fn the_finding_names_the_threshold_crossed() {
        let config = Config::default(); // 50/500 messages, 1h/6h
        let now = 1_800_000_000;
        let words = |n: usize, age: i64| {
            let mut r = Report::default();
            grade_summary(&config, "default", &deferred(n, age, now), now, &mut r);
            (r.findings[0].status, r.findings[0].summary.clone())
        };
        let (status, text) = words(3, 8 * 86400 + 4 * 3600);
        assert_eq!(status, Status::Critical);
        assert!(text.ends_with("oldest 8d04h (critical at 6h00m)"), "{text}");
        let (status, text) = words(3, 2 * 3600);
        assert_eq!(status, Status::Warning);
        assert!(text.ends_with("oldest 2h00m (warning at 1h00m)"), "{text}");
        let (status, text) = words(600, 60);
        assert_eq!(status, Status::Critical);
        assert!(
            text.ends_with("oldest 1m (critical at 500 messages)"),
            "{text}"
        );
        let (status, text) = words(60, 7 * 3600);
        assert_eq!(status, Status::Critical);
        assert!(
            text.ends_with("(warning at 50 messages, critical at 6h00m)"),
            "{text}"
        );
        // nothing crossed: where the warning starts
        let (status, text) = words(3, 60);
        assert_eq!(status, Status::Ok);
        assert!(
            text.ends_with("oldest 1m (warning at 50 messages or 1h00m)"),
            "{text}"
        );
    }

    #[test]
    fn an_absurd_arrival_time_is_graded_old_not_a_crash() {
        let config = Config::default();
        let now = 1_800_000_000;
        let e = entries(&listing("deferred", [i64::MIN]));
        assert_eq!(e[0].arrival, i64::MIN);
        let mut r = Report::default();
        grade_summary(&config, "default", &e, now, &mut r);
        assert_eq!(r.findings[0].status, Status::Critical);
    }

    #[test]
    fn messages_on_hold_are_not_graded_by_age() {
        let config = Config::default(); // 50/500 messages, 1h/6h
        let now = 1_800_000_000;
        let week = 7 * 86400;
        let grade = |text: &str| {
            let mut r = Report::default();
            grade_summary(&config, "default", &entries(text), now, &mut r);
            r
        };
        // a message held for a week beside two deferred for ten minutes: OK, the held one said
        let r =
            grade(&(listing("hold", [now - week]) + &listing("deferred", [now - 600, now - 300])));
        assert_eq!(
            r.findings[0].status,
            Status::Ok,
            "{}",
            r.findings[0].summary
        );
        assert_eq!(
            r.findings[0].summary,
            "default: 3 messages queued (2 deferred, 1 on hold), oldest 10m \
             (warning at 50 messages or 1h00m); oldest on hold 7d00h, not graded by age"
        );
        // still counted in the metrics, and in the size
        let held = r
            .metrics
            .iter()
            .find(|m| {
                m.name == "queue_messages" && m.labels.contains(&("queue".into(), "hold".into()))
            })
            .unwrap();
        assert_eq!(held.value, 1.0);
        let age = r
            .metrics
            .iter()
            .find(|m| m.name == "queue_oldest_age_seconds")
            .unwrap();
        assert_eq!(age.value, 600.0);

        // only held messages
        let r = grade(&listing("hold", [now - week, now - 60]));
        assert_eq!(
            r.findings[0].status,
            Status::Ok,
            "{}",
            r.findings[0].summary
        );
        assert_eq!(
            r.findings[0].summary,
            "default: 2 messages queued, all on hold (warning at 50 messages or 1h00m); \
             oldest on hold 7d00h, not graded by age"
        );
        // held messages still count towards the size
        let r = grade(&listing("hold", (0..60).map(|i| now - i)));
        assert_eq!(
            r.findings[0].status,
            Status::Warning,
            "{}",
            r.findings[0].summary
        );
        assert!(
            r.findings[0]
                .summary
                .contains("all on hold (warning at 50 messages)"),
            "{}",
            r.findings[0].summary
        );
        // and a deferred message past the threshold is graded as before
        let r = grade(&(listing("hold", [now - week]) + &listing("deferred", [now - 7 * 3600])));
        assert_eq!(r.findings[0].status, Status::Critical);
        assert!(
            r.findings[0]
                .summary
                .contains("oldest 7h00m (critical at 6h00m)"),
            "{}",
            r.findings[0].summary
        );
    }

    /// `postqueue -j` lines: `n` deferred messages that arrived at `at`, deferred for `reason`.
    fn deferred_for(n: usize, at: i64, reason: &str, first: usize) -> String {
        (first..first + n)
            .map(|i| {
                let line = serde_json::json!({
                    "queue_name": "deferred", "queue_id": format!("3{i:06X}"),
                    "arrival_time": at, "message_size": 400, "sender": "app@example.com",
                    "recipients": [{"address": format!("r{i}@example.net"), "delay_reason": reason}],
                });
                format!("{line}\n")
            })
            .collect()
    }

    /// A reason a remote server gave with a control character in it reads as the queue pane
    /// shows it: its escape once, not with the backslash doubled as if one had been sent.
    #[test]
    fn a_reason_is_escaped_once() {
        let config = Config::default();
        let now = 1_800_000_000;
        let mut r = Report::default();
        let text = deferred_for(
            2,
            now - 600,
            "host mx[192.0.2.1] said: 451 try \u{1b}[2J later",
            0,
        );
        grade_summary(&config, "default", &entries(&text), now, &mut r);
        assert!(
            r.findings[0]
                .summary
                .ends_with("deferred by reason: 2 451 try \\e[…]"),
            "{}",
            r.findings[0].summary
        );
    }

    /// A label value as a Prometheus parser reads it back: the exposition format escapes a
    /// backslash, a double quote and a newline in a label value (`\\`, `\"`, `\n`), nothing else.
    fn prometheus_label(line: &str, name: &str) -> String {
        let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let mut out = String::new();
        let mut chars = line[at..].chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('\\') => out.push('\\'),
                    Some('"') => out.push('"'),
                    Some('n') => out.push('\n'),
                    other => panic!("not an escape of the exposition format: \\{other:?}"),
                },
                c => out.push(c),
            }
        }
        panic!("label {name} not closed in {line}")
    }

    /// The reason as a metric label, in the Prometheus file and the JSON, is the finding's and
    /// the queue pane's words: the ESC escaped once (`\e`), a quote and a backslash the remote
    /// server sent shown as the pane shows them. The exposition format then escapes each
    /// backslash and quote of those words once more, its own layer, which its parser takes off.
    #[test]
    fn a_reason_label_is_escaped_once() {
        let config = Config::default();
        let now = 1_800_000_000;
        let mut r = Report::default();
        let text = deferred_for(
            2,
            now - 600,
            "host mx[192.0.2.1] said: 451 \u{1b} try \"C:\\new\" later",
            0,
        );
        grade_summary(&config, "default", &entries(&text), now, &mut r);
        let pane = r#"451 \e try "C:\\new" later"#;
        assert!(
            r.findings[0].summary.ends_with(&format!("2 {pane}")),
            "{}",
            r.findings[0].summary
        );
        let prom = r.render(crate::check::Format::Prometheus, chrono::Local::now());
        let line = prom
            .lines()
            .find(|l| l.starts_with("opsdeck_queue_deferred_messages_by_reason{"))
            .unwrap();
        assert_eq!(
            line,
            r#"opsdeck_queue_deferred_messages_by_reason{instance="default",reason="451 \\e try \"C:\\\\new\" later"} 2"#
        );
        assert_eq!(prometheus_label(line, "reason"), pane);
        let json: serde_json::Value =
            serde_json::from_str(&r.render(crate::check::Format::Json, chrono::Local::now()))
                .unwrap();
        let m = json["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "opsdeck_queue_deferred_messages_by_reason")
            .unwrap();
        assert_eq!(m["labels"]["reason"], pane);
    }

    const SES_535: &str = "SASL authentication failed; server 127.0.0.1[127.0.0.1] said: \
                           535 Authentication Credentials Invalid";

    #[test]
    fn mail_held_up_on_this_hosts_side_warns_with_the_cause_and_the_fix() {
        let config = Config::default(); // 50/500 messages, 1h/6h
        let now = 1_800_000_000;
        let grade = |text: &str| {
            let mut r = Report::default();
            grade_summary(&config, "default", &entries(text), now, &mut r);
            r
        };
        // 40 messages, ten minutes old, all refused for the SMTP credentials: under every
        // threshold, but nothing will ever leave until the password map is fixed
        let r = grade(&deferred_for(40, now - 600, SES_535, 0));
        assert_eq!(r.findings[0].status, Status::Ok, "{:?}", r.findings);
        assert_eq!(r.findings.len(), 2, "{:?}", r.findings);
        assert_eq!(r.status(), Status::Warning);
        let held = &r.findings[1];
        assert_eq!(held.area, "queue");
        assert_eq!(held.status, Status::Warning);
        assert!(
            held.summary.starts_with(
                "default: 40 deferred messages held up by SES credentials on this host's side \
                 (e.g. SASL authentication failed; server 127.0.0.1[…] said: 535"
            ),
            "{}",
            held.summary
        );
        assert!(
            held.summary.ends_with(
                "fix: Use SMTP credentials generated for SES (not the IAM secret key) in \
                 smtp_sasl_password_maps, postmap the map, then flush the queue."
            ),
            "{}",
            held.summary
        );
        let m: Vec<&Metric> = r
            .metrics
            .iter()
            .filter(|m| m.name == "queue_deferred_messages_held_here")
            .collect();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].value, 40.0);
        assert!(
            m[0].labels
                .contains(&("cause".into(), "ses_credentials".into()))
        );
        assert!(m[0].labels.contains(&("instance".into(), "default".into())));

        // the same messages over the size threshold: the size finding keeps its CRITICAL
        let r = grade(&deferred_for(600, now - 600, SES_535, 0));
        assert_eq!(r.findings[0].status, Status::Critical);
        assert_eq!(r.findings[1].status, Status::Warning);
        assert_eq!(r.status(), Status::Critical);

        // two causes here, one there: a finding for each cause here, none for the other
        let r = grade(
            &(deferred_for(3, now - 600, SES_535, 0)
                + &deferred_for(
                    2,
                    now - 600,
                    "SASL authentication failed; cannot authenticate to server \
                     127.0.0.1[127.0.0.1]: no mechanism available",
                    3,
                )
                + &deferred_for(
                    5,
                    now - 600,
                    "host mx.example.net[192.0.2.7] said: 450 4.2.0 <r@example.net>: \
                     Recipient address rejected: Greylisted, see http://postgrey.example/ \
                     (in reply to RCPT TO command)",
                    5,
                )),
        );
        let causes: Vec<&str> = r.findings[1..].iter().map(|f| f.summary.as_str()).collect();
        assert_eq!(causes.len(), 2, "{causes:?}");
        assert!(causes[0].starts_with("default: 3 deferred messages held up by SES credentials"));
        assert!(causes[1].starts_with("default: 2 deferred messages held up by SASL no mech"));
        assert!(causes[1].contains("fix: Allow a plain-text password over TLS:"));

        // no reverse DNS for this host's address: only whoever runs the address can fix it
        let r = grade(&deferred_for(
            2,
            now - 600,
            "host mx.example.org[192.0.2.7] said: 450 4.7.25 Client host rejected: cannot find \
             your hostname, [198.51.100.4] (in reply to RCPT TO command)",
            0,
        ));
        assert_eq!(r.status(), Status::Warning, "{:?}", r.findings);
        assert!(
            r.findings[1].summary.starts_with(
                "default: 2 deferred messages held up by reverse DNS on this host's side"
            ),
            "{}",
            r.findings[1].summary
        );
    }

    #[test]
    fn this_hosts_address_on_a_blocklist_its_domain_failing_spf_dkim_or_its_mail_judged_spam_is_held_here()
     {
        let config = Config::default();
        let now = 1_800_000_000;
        // (reason as postqueue -j gives it, the cause's label, words of the fix)
        let cases = [
            (
                // a receiving Postfix that defers for its DNS blocklist
                "host mx.example.org[192.0.2.7] said: 450 4.7.1 Service unavailable; Client \
                 host [198.51.100.4] blocked using zen.spamhaus.org; \
                 https://www.spamhaus.org/query/ip/198.51.100.4 (in reply to RCPT TO command)",
                "blocklisted",
                "delisting",
            ),
            (
                // Microsoft, kept in the queue by soft_bounce = yes
                "host example-org.mail.protection.outlook.com[52.101.68.4] said: 550 5.7.606 \
                 Access denied, banned sending IP [198.51.100.4]. To request removal from this \
                 list please visit https://sender.office.com/ and follow the directions. For \
                 more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 \
                 AS(1430) [AM4PEPF00027A5F.eurprd04.prod.outlook.com] (in reply to MAIL FROM \
                 command)",
                "blocklisted",
                "delisting",
            ),
            (
                "host example-org.mail.protection.outlook.com[52.101.68.4] said: 550 5.7.1 \
                 Unfortunately, messages from [198.51.100.4] weren't sent. Please contact your \
                 Internet service provider since part of their network is on our block list \
                 (S3150). You can also refer your provider to \
                 http://mail.live.com/mail/troubleshooting.aspx#errors. \
                 [VI1EUR04FT012.eop-eur04.prod.protection.outlook.com] (in reply to MAIL FROM \
                 command)",
                "blocklisted",
                "delisting",
            ),
            (
                // Microsoft's throttle for this host's address's reputation: a 4xx, but
                // waiting does not end it, mending the reputation does
                "host outlook-com.olc.protection.outlook.com[52.101.11.0] said: 451 4.7.650 \
                 The mail server [198.51.100.4] has been temporarily rate limited due to IP \
                 reputation. For e-mail delivery information, see https://postmaster.live.com \
                 (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BB4A3F8A2C1F7E] \
                 [BN1NAM02FT045.eop-nam02.prod.protection.outlook.com] (in reply to MAIL FROM \
                 command)",
                "blocklisted",
                "SNDS",
            ),
            (
                // Gmail, no SPF or DKIM passing for the sender's domain
                "host gmail-smtp-in.l.google.com[142.250.102.27] said: 421-4.7.26 This mail \
                 has been rate limited because it is unauthenticated. Gmail requires all \
                 421-4.7.26 senders to authenticate with either SPF or DKIM. 421-4.7.26 \
                 421-4.7.26  Authentication results: 421-4.7.26  DKIM = did not pass \
                 421-4.7.26  SPF [example.com] with ip: [198.51.100.4] = did not pass \
                 421-4.7.26 421-4.7.26  For instructions on setting up authentication, go to \
                 421 4.7.26  https://support.google.com/mail/answer/81126#authentication \
                 a640c23a62f3a-7f1e8a3bc2dsi1234567.9 - gsmtp (in reply to end of DATA command)",
                "SPF/DKIM/DMARC",
                "Publish SPF",
            ),
            (
                "host gmail-smtp-in.l.google.com[142.250.102.27] said: 550-5.7.26 This mail \
                 has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail \
                 requires all senders to authenticate with either SPF or DKIM. 550-5.7.26 \
                 550-5.7.26  Authentication results: 550-5.7.26  DKIM = did not pass \
                 550-5.7.26  SPF [example.com] with ip: [198.51.100.4] = did not pass \
                 550-5.7.26 550-5.7.26  For instructions on setting up authentication, go to \
                 550 5.7.26  https://support.google.com/mail/answer/81126#authentication \
                 a640c23a62f3a-7f1e8a3bc2dsi1234567.9 - gsmtp (in reply to end of DATA command)",
                "SPF/DKIM/DMARC",
                "Publish SPF",
            ),
            (
                "host gmail-smtp-in.l.google.com[142.250.102.27] said: 421-4.7.27 Your email \
                 has been rate limited because SPF authentication didn't pass for this \
                 421-4.7.27 message. Gmail requires all bulk email senders to authenticate \
                 421-4.7.27 with SPF. 421-4.7.27 421-4.7.27  Authentication results: \
                 421-4.7.27  SPF [example.com] with ip: [198.51.100.4] = did not pass \
                 421-4.7.27 421-4.7.27  For instructions on setting up authentication, go to \
                 421 4.7.27  https://support.google.com/mail/answer/81126#authentication \
                 a640c23a62f3a-7f1e8a3bc2dsi1234567.9 - gsmtp (in reply to end of DATA command)",
                "SPF/DKIM/DMARC",
                "Publish SPF",
            ),
            (
                // Gmail's limit for this address's unsolicited mail, as Microsoft's 4.7.650:
                // it lasts until what sends it is stopped
                "host gmail-smtp-in.l.google.com[142.250.102.27] said: 421-4.7.0 \
                 [198.51.100.4      15] Our system has detected an unusual rate of 421-4.7.0 \
                 unsolicited mail originating from your IP address. To protect our 421-4.7.0 \
                 users from spam, mail sent from your IP address has been temporarily \
                 421-4.7.0 rate limited. a640c23a62f3a-7f1e8a3bc2dsi1234567.9 - gsmtp (in \
                 reply to end of DATA command)",
                "spam/content",
                "what sends that mail",
            ),
        ];
        for (reason, label, fix) in cases {
            // three messages, ten minutes old: under every threshold, yet retrying does not
            // deliver them until this host's address is delisted or its domain authenticates
            let mut r = Report::default();
            let e = entries(&deferred_for(3, now - 600, reason, 0));
            grade_summary(&config, "default", &e, now, &mut r);
            assert_eq!(r.findings[0].status, Status::Ok, "{reason}");
            assert_eq!(r.status(), Status::Warning, "{reason}: {:?}", r.findings);
            let held = &r.findings[1].summary;
            assert!(
                held.starts_with(&format!(
                    "default: 3 deferred messages held up by {label} on this host's side"
                )),
                "{held}"
            );
            let fix_at = held.find("; fix: ").expect(held);
            assert!(held[fix_at..].contains(fix), "{held}");
            let m = r
                .metrics
                .iter()
                .find(|m| {
                    m.name == "queue_deferred_messages_held_here"
                        && m.labels.iter().any(|(k, _)| k == "cause")
                })
                .expect(reason);
            assert_eq!(m.value, 3.0);
        }
    }

    #[test]
    fn a_content_filter_on_this_host_that_does_not_answer_holds_the_mail_here() {
        let config = Config::default();
        let now = 1_800_000_000;
        // content_filter = smtp:[127.0.0.1]:10024 with amavis stopped: every message waits,
        // whatever its destination, and only starting the filter (or removing it) lets it go
        for reason in [
            "connect to 127.0.0.1[127.0.0.1]:10024: Connection refused",
            "delivery temporarily suspended: connect to 127.0.0.1[127.0.0.1]:10024: Connection \
             refused",
        ] {
            let mut r = Report::default();
            let e = entries(&deferred_for(4, now - 300, reason, 0));
            grade_summary(&config, "default", &e, now, &mut r);
            assert_eq!(r.findings[0].status, Status::Ok, "{reason}");
            assert_eq!(r.status(), Status::Warning, "{reason}: {:?}", r.findings);
            let held = &r.findings[1].summary;
            assert!(
                held.starts_with(
                    "default: 4 deferred messages held up by local service on this host's \
                     side, at 127.0.0.1:10024 (e.g. "
                ),
                "{held}"
            );
            assert!(
                held.contains(
                    "fix: Start or restart the service at the address named, the one the \
                     transport or content_filter points to (systemctl status with its unit"
                ),
                "{held}"
            );
            let m = r
                .metrics
                .iter()
                .find(|m| m.labels.contains(&("cause".into(), "local_service".into())))
                .expect(reason);
            assert_eq!(m.value, 4.0);
        }
        // a remote host that refuses is still graded by size and age only
        let mut r = Report::default();
        let e = entries(&deferred_for(
            4,
            now - 300,
            "connect to mx.example.net[192.0.2.7]:25: Connection refused",
            0,
        ));
        grade_summary(&config, "default", &e, now, &mut r);
        assert_eq!(r.status(), Status::Ok, "{:?}", r.findings);
    }

    #[test]
    fn the_total_held_here_exists_at_zero_for_monitoring() {
        let config = Config::default();
        let now = 1_800_000_000;
        let total = |text: &str| {
            let mut r = Report::default();
            grade_summary(&config, "default", &entries(text), now, &mut r);
            let all: Vec<&Metric> = r
                .metrics
                .iter()
                .filter(|m| m.name == "queue_deferred_messages_held_here_all")
                .collect();
            assert_eq!(all.len(), 1, "{:?}", r.metrics);
            assert_eq!(all[0].labels, vec![("instance".into(), "default".into())]);
            (all[0].value, r)
        };
        // an empty queue, and one deferred only for passing causes: the series is there, at 0
        let (v, r) = total("");
        assert_eq!(v, 0.0);
        let prom = r.render(crate::check::Format::Prometheus, chrono::Local::now());
        assert!(
            prom.contains(
                "\nopsdeck_queue_deferred_messages_held_here_all{instance=\"default\"} 0\n"
            ),
            "{prom}"
        );
        assert!(
            !prom.contains("opsdeck_queue_deferred_messages_held_here{"),
            "{prom}"
        );
        let nagios = r.render(crate::check::Format::Nagios, chrono::Local::now());
        assert!(
            // WARNING from 1 message: the perfdata range alerts above 0
            nagios.contains("'queue_deferred_messages_held_here_all_default'=0;0;;0;"),
            "{nagios}"
        );
        let greylisted = "host mx.example.net[192.0.2.7] said: 450 4.2.0 <r@example.net>: \
                          Recipient address rejected: Greylisted (in reply to RCPT TO command)";
        assert_eq!(total(&deferred_for(5, now - 600, greylisted, 0)).0, 0.0);
        // two causes here beside a passing one: the sum of the causes here
        let (v, _) = total(
            &(deferred_for(3, now - 600, SES_535, 0)
                + &deferred_for(
                    2,
                    now - 600,
                    "connect to 127.0.0.1[127.0.0.1]:10024: Connection refused",
                    3,
                )
                + &deferred_for(5, now - 600, greylisted, 5)),
        );
        assert_eq!(v, 5.0);
    }

    #[test]
    fn a_transport_held_on_purpose_does_not_hide_a_service_that_is_down() {
        let config = Config::default();
        let now = 1_800_000_000;
        // both are postfix setup: first three held back with defer_transports, then two
        // waiting for a content filter that is not running
        let text = deferred_for(3, now - 900, "deferred transport", 0)
            + &deferred_for(2, now - 600, "mail transport unavailable", 3);
        let mut r = Report::default();
        grade_summary(&config, "default", &entries(&text), now, &mut r);
        assert_eq!(r.findings.len(), 2, "{:?}", r.findings);
        assert!(
            r.findings[1]
                .summary
                .starts_with("default: 2 deferred messages held up by postfix setup on this host's side (e.g. mail transport unavailable)"),
            "{}",
            r.findings[1].summary
        );
    }

    #[test]
    fn passing_causes_do_not_raise_the_grade() {
        let config = Config::default();
        let now = 1_800_000_000;
        for reason in [
            // greylisting
            "host mx.example.net[192.0.2.7] said: 450 4.2.0 <r@example.net>: Recipient address \
             rejected: Greylisted, see http://postgrey.example/ (in reply to RCPT TO command)",
            // a remote mailbox full
            "host mx.example.net[192.0.2.7] said: 452 4.2.2 <r@example.net>: Mailbox full \
             (in reply to RCPT TO command)",
            // a remote timeout
            "connect to mx.example.net[192.0.2.7]:25: Connection timed out",
            // SES throttling
            "host 127.0.0.1[127.0.0.1] said: 454 Throttling failure: Maximum sending rate \
             exceeded. (in reply to end of DATA command)",
            // a transport held back on purpose
            "deferred transport",
            // a receiver whose Spamhaus queries are refused: its resolver, not this address
            "host mx.example.net[192.0.2.7] said: 450 4.7.1 Service unavailable; Client host \
             [198.51.100.4] blocked using zen.spamhaus.org; Error: open resolver; \
             https://check.spamhaus.org/returnc/pub/203.0.113.53/ (in reply to RCPT TO command)",
        ] {
            let mut r = Report::default();
            grade_summary(
                &config,
                "default",
                &entries(&deferred_for(40, now - 600, reason, 0)),
                now,
                &mut r,
            );
            assert_eq!(r.findings.len(), 1, "{reason}: {:?}", r.findings);
            assert_eq!(r.status(), Status::Ok, "{reason}: {:?}", r.findings);
            assert!(
                !r.metrics
                    .iter()
                    .any(|m| m.name == "queue_deferred_messages_held_here"),
                "{reason}"
            );
        }
    }

    #[tokio::test]
    async fn unreadable_queue_is_unknown_with_the_fix() {
        let mut config = Config::default();
        config.postfix[0].command_prefix = vec!["/nonexistent/sudo".into()];
        let mut r = Report::default();
        collect(&config, 0, &mut r).await;
        assert_eq!(r.findings[0].status, Status::Unknown);
        assert!(
            r.findings[0]
                .summary
                .contains("not found - install Postfix"),
            "{}",
            r.findings[0].summary
        );
    }
}

#[cfg(test)]
mod series_tests {
    use super::*;

    #[test]
    fn two_reasons_alike_in_their_first_words_are_one_series() {
        // a remote server's own words, not a cause opsdeck names, alike for their first 80
        // characters: two groups in the Queue pane, but one label once cut, so one series in
        // the Prometheus file (node_exporter refuses a whole file that holds one series twice)
        let long = "the frobnicator on the far side refused the widget after thinking it over \
                    for a rather long while, case";
        let text: String = [
            serde_json::json!({
                "queue_name": "deferred", "queue_id": "3A0001", "arrival_time": 1_800_000_000,
                "message_size": 400, "sender": "app@example.com",
                "recipients": [{"address": "a@example.net", "delay_reason": format!("{long} one")}],
            }),
            serde_json::json!({
                "queue_name": "deferred", "queue_id": "3A0002", "arrival_time": 1_800_000_000,
                "message_size": 400, "sender": "app@example.com",
                "recipients": [{"address": "b@example.net", "delay_reason": format!("{long} two")}],
            }),
        ]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(group_reasons(p.entries.iter()).len(), 2);
        let mut r = Report::default();
        grade_summary(
            &Config::default(),
            "default",
            &p.entries,
            1_800_000_100,
            &mut r,
        );
        let prom = r.render(crate::check::Format::Prometheus, chrono::Local::now());
        let series: Vec<&str> = prom
            .lines()
            .filter(|l| l.starts_with("opsdeck_queue_deferred_messages_by_reason{"))
            .map(|l| l.rsplit_once(' ').unwrap().0)
            .collect();
        assert_eq!(series.len(), 1, "{prom}");
        assert!(
            prom.contains(&format!("{} 2\n", series[0])),
            "one series, both messages: {prom}"
        );
    }
}
