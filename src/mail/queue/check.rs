//! The queue's part of `opsdeck check`: read every instance's queue once
//! (read-only: `postqueue -j` only) and grade its size and oldest message
//! against the `[check]` thresholds.
//!
//! Never changes anything and never reads the clock itself: `now` is passed
//! in. An instance that cannot be read is an UNKNOWN finding with the fix,
//! never a silent zero.

use crate::check::{Metric, Report, Status, grade};
use crate::config::Config;

use super::commands;
use super::error::QueueError;
use super::model::{ReasonGroup, Summary, age_secs, fmt_age, group_reasons};
use super::parse::{QueueEntry, QueueName, parse_jsonl};

/// Add the queue findings and metrics of every configured instance.
pub async fn collect(config: &Config, now: i64, report: &mut Report) {
    for inst in &config.postfix {
        let spec = commands::list(inst, config.queue.postqueue_command.as_deref());
        let limit = config.check.read_limit();
        // the child is killed when its future is dropped (kill_on_drop)
        let ran = tokio::time::timeout(limit, commands::run(&spec, 1 << 30))
            .await
            .unwrap_or_else(|_| {
                Err(QueueError::TimedOut {
                    command: spec.display(),
                    after: limit,
                })
            });
        match ran {
            Ok(c) => {
                let parsed = parse_jsonl(&c.stdout);
                grade_summary(config, &inst.name, &parsed.entries, now, report);
                // As root, postqueue reads the queue files itself when the master is not
                // running, and says so only on stderr: the listing looks fine, nothing leaves.
                if let Some(down) = QueueError::down_while_listing(&spec.display(), &c.stderr) {
                    report.finding(
                        "queue",
                        Status::Critical,
                        format!("{}: {down}; no mail is delivered", inst.name),
                    );
                }
                if parsed.bad_lines > 0 {
                    report.finding(
                        "queue",
                        Status::Unknown,
                        format!(
                            "{}: {} unreadable lines in postqueue -j output ({})",
                            inst.name,
                            parsed.bad_lines,
                            parsed.first_bad.unwrap_or_default()
                        ),
                    );
                }
            }
            Err(e) => report.finding("queue", Status::Unknown, format!("{}: {e}", inst.name)),
        }
    }
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
    let t = &config.check;
    let mut s = Summary::default();
    let mut held = Summary::default();
    let mut waiting = Summary::default();
    for e in entries {
        s.add(e);
        if e.queue == QueueName::Hold {
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
    report.finding("queue", status, summary);
    for g in reasons.iter().take(TOP_REASONS) {
        report.metric(
            Metric::new(
                "queue_deferred_messages_by_reason",
                "Deferred messages by the reason of their first deferred recipient.",
                g.messages as f64,
            )
            .label("instance", name)
            .label("reason", &reason_name(g)),
        );
    }
    for q in QueueName::ALL {
        report.metric(
            Metric::new(
                "queue_messages",
                "Messages in the Postfix queue.",
                s.count(q) as f64,
            )
            .label("instance", name)
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
        .label("instance", name)
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
        // per queue (6), the oldest age, and one per deferral reason
        assert_eq!(r.metrics.len(), 7 + reasons.len().min(TOP_REASONS));
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

    /// `n` deferred messages, the oldest `age` seconds old at `now`.
    fn deferred(n: usize, age: i64, now: i64) -> Vec<QueueEntry> {
        entries(&listing("deferred", (0..n).map(|i| now - age + i as i64)))
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
