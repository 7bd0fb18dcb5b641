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
use super::model::{ReasonGroup, Summary, age_secs, fmt_age, group_reasons};
use super::parse::{QueueName, parse_jsonl};

/// Add the queue findings and metrics of every configured instance.
pub async fn collect(config: &Config, now: i64, report: &mut Report) {
    for inst in &config.postfix {
        let spec = commands::list(inst, config.queue.postqueue_command.as_deref());
        match commands::run(&spec, 1 << 30).await {
            Ok(c) => {
                let parsed = parse_jsonl(&c.stdout);
                let mut s = Summary::default();
                for e in &parsed.entries {
                    s.add(e);
                }
                let reasons = group_reasons(parsed.entries.iter());
                grade_summary(config, &inst.name, &s, &reasons, now, report);
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

/// The finding and metrics of one instance's summary and deferral reasons.
pub fn grade_summary(
    config: &Config,
    name: &str,
    s: &Summary,
    reasons: &[ReasonGroup],
    now: i64,
    report: &mut Report,
) {
    let t = &config.check;
    let oldest = s.oldest.map(|o| age_secs(o, now)).unwrap_or(0);
    let by_size = grade(s.total as u64, t.queue_warn, t.queue_crit);
    let by_age = grade(oldest as u64, t.oldest_warn_secs, t.oldest_crit_secs);
    let status = Status::worst(by_size, by_age);
    let summary = if s.total == 0 {
        format!("{name}: queue empty")
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
            "Age of the oldest queued message.",
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
        let mut s = Summary::default();
        for e in &p.entries {
            s.add(e);
        }
        let reasons = group_reasons(p.entries.iter());
        let mut r = Report::default();
        grade_summary(&config, "default", &s, &reasons, 1_800_000_000, &mut r);
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
        grade_summary(&config, "default", &Summary::default(), &[], 0, &mut r);
        assert_eq!(r.findings[0].status, Status::Ok);
        assert_eq!(r.findings[0].summary, "default: queue empty");
    }

    /// A summary of `n` messages, the oldest `age` seconds old at `now`.
    fn summary_of(n: usize, age: i64, now: i64) -> Summary {
        let mut s = Summary::default();
        s.counts[1] = n;
        s.total = n;
        s.oldest = (n > 0).then_some(now - age);
        s
    }

    #[test]
    fn the_finding_names_the_threshold_crossed() {
        let config = Config::default(); // 50/500 messages, 1h/6h
        let now = 1_800_000_000;
        let words = |n: usize, age: i64| {
            let mut r = Report::default();
            grade_summary(
                &config,
                "default",
                &summary_of(n, age, now),
                &[],
                now,
                &mut r,
            );
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
