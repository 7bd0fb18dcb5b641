//! The Senders part of `opsdeck check`: the relay setup, the log and SES
//! read once, the cross-check turned into findings and metrics.
//!
//! Read-only: it never sends mail, edits a map or creates an identity, and
//! it holds no write access. [`report_into`] is pure; [`check`] does the
//! reading (off the caller's thread for the blocking part).

use std::time::SystemTime;

use chrono::Local;

use crate::check::{Metric, Report, Status};
use crate::config::Config;

use super::logscan::{self, SenderActivity};
use crate::mail::log::check::first_sentence;
use crate::mail::log::deadline::Deadline;
use crate::sanitize::Clean;

use super::model::{self, CheckInput, CrossCheck, Severity};
use super::ses::{self, SesSnapshot, SesTarget};
use super::source;
use super::{RegionSes, SesState};

fn status_of(s: Severity) -> Status {
    match s {
        Severity::Error => Status::Critical,
        Severity::Warn => Status::Warning,
        Severity::Info | Severity::Ok => Status::Ok,
    }
}

/// SES of one region as the check read it: the error in clean words, as the pane shows them.
pub type RegionResult = (String, Result<SesSnapshot, Clean>);

/// Turn a cross-check and the SES state of each region into findings and metrics.
pub fn report_into(check: &CrossCheck, ses: &[RegionResult], report: &mut Report) {
    let failing: Vec<_> = check
        .rows
        .iter()
        .filter(|r| r.worst() == Severity::Error)
        .collect();
    let warned = check
        .rows
        .iter()
        .filter(|r| r.worst() == Severity::Warn)
        .count();
    let worst = check
        .rows
        .iter()
        .map(|r| r.worst())
        .max()
        .unwrap_or(Severity::Ok);
    let summary = match failing.first().and_then(|r| r.headline().map(|h| (r, h))) {
        Some((r, h)) => format!(
            "{} of {} senders failing, {warned} with warnings; worst: {}{}",
            failing.len(),
            check.rows.len(),
            // "...does not exist; what to do: ...", not ".;"
            r.about(match h.remedy {
                Some(_) => h.text.trim_end_matches('.'),
                None => h.text.as_str(),
            }),
            // lost mail's words say what happened, not what to do: the person on call reads
            // this line and not the console
            h.remedy
                .map(|fix| format!("; what to do: {}", first_sentence(fix)))
                .unwrap_or_default()
        ),
        None => {
            let mut s = format!("{} senders, {warned} with warnings", check.rows.len());
            // the first warning in its words, which say what to do: a count alone sends
            // the person on call to the console to find out
            if let Some((r, h)) = check
                .rows
                .iter()
                .filter(|r| r.worst() == Severity::Warn)
                .find_map(|r| r.headline().map(|h| (r, h)))
            {
                s.push_str(&format!("; first: {}", r.about(&h.text)));
            }
            s
        }
    };
    // a sender and the verdicts' words are clean, as the pane shows them
    report.finding_clean("senders", status_of(worst), summary);
    // what is about a region's SES account is said once, by the `ses` area below
    let said_in_ses = |v: &&model::Verdict| {
        v.ses_region
            .as_ref()
            .is_some_and(|r| ses.iter().any(|(s, _)| s == r))
    };
    for v in check
        .global
        .iter()
        .filter(|v| v.severity >= Severity::Warn)
        .filter(|v| !said_in_ses(v))
    {
        report.finding_clean("senders", status_of(v.severity), v.text.clone());
    }
    report.metric(
        Metric::new(
            "senders_failing",
            "Senders whose mail will not get through",
            failing.len() as f64,
        )
        .thresholds(1.0, 1.0),
    );
    for (region, result) in ses {
        ses_into(region, result, report);
    }
}

/// The `ses` findings of one region. Their words are clean (an SES error's message and the
/// account's enforcement status were made clean where they were read, the region is checked
/// when it is named): they go through [`Report::finding_clean`], as escaping them again would
/// show the backslash of each escape doubled.
fn ses_into(region: &str, result: &Result<SesSnapshot, Clean>, report: &mut Report) {
    let region = Clean::new(region);
    match result {
        Err(e) if e.contains(region.as_str()) => {
            report.finding_clean("ses", Status::Unknown, e.as_str())
        }
        Err(e) => report.finding_clean("ses", Status::Unknown, format!("SES {region}: {e}")),
        Ok(s) => match &s.account {
            Err(e) => report.finding_clean(
                "ses",
                Status::Unknown,
                format!(
                    "SES {}: account not read (sandbox, quota, paused sending unknown): {}",
                    Clean::new(&s.region),
                    ses::error_words(&s.region, e)
                ),
            ),
            Ok(a) => {
                // graded as the pane grades it; the quota as the ratio's perfdata says
                let status = match a.grade() {
                    ses::AccountGrade::Ok => Status::Ok,
                    ses::AccountGrade::Warning => Status::Warning,
                    ses::AccountGrade::Critical => Status::Critical,
                };
                let words = if !a.sending_enabled {
                    "sending paused"
                } else if !a.production {
                    "in the sandbox: recipients must be verified too"
                } else {
                    "production access"
                };
                let mut said = format!("SES {}: {words}", Clean::new(&s.region));
                if !a.enforcement.eq_ignore_ascii_case("HEALTHY") {
                    said.push_str(&format!("; enforcement status {}", a.enforcement));
                }
                said.push_str(&format!(
                    "; {:.0} of {:.0} sent in 24 h",
                    a.sent_24h, a.max_24h
                ));
                if let Some(used) = a.quota_used()
                    && used >= ses::QUOTA_WARN
                {
                    said.push_str(&format!(
                        " ({:.0}% of the quota: past it SES refuses mail until the 24 h window \
                         moves on; ask AWS for more)",
                        (used * 100.0).floor()
                    ));
                }
                report.finding_clean("ses", status, said);
                let l = |m: Metric| m.label("region", &s.region);
                report.metric(l(Metric::new(
                    "ses_sent_24h",
                    "Messages SES sent in the last 24 hours",
                    a.sent_24h,
                )));
                report.metric(l(Metric::new(
                    "ses_max_24h",
                    "SES 24-hour sending quota",
                    a.max_24h,
                )));
                if let Some(used) = a.quota_used() {
                    report.metric(
                        l(Metric::new(
                            "ses_quota_used_ratio",
                            "Share of the SES 24-hour quota used",
                            used,
                        ))
                        .thresholds(ses::QUOTA_WARN, ses::QUOTA_CRIT),
                    );
                }
            }
        },
    }
}

/// The relay setup as the check reads it: `postconf` run under the check's limit for a local
/// read (stopped there, with anything it started), then the maps it names, read off the async
/// threads until the same limit. The finding's words when it could not be read, clean as the
/// pane shows them (postconf's words were escaped where its error was made).
async fn relay_setup(
    inst: &crate::config::PostfixInstance,
    limit: (std::time::Duration, &'static str),
    until: std::time::Instant,
) -> Result<source::RelaySnapshot, Clean> {
    use crate::mail::queue::commands::{self, CommandSpec};
    let until = tokio::time::Instant::from_std(until);
    let cmd = super::postconf::read_command(inst);
    let what = super::postconf::describe(&cmd);
    let spec = CommandSpec::from_command(&cmd);
    // named without the parameters it asks for: the words must fit a monitoring alert
    let short = what.replace(&format!(" {}", super::postconf::PARAMS.join(" ")), "");
    let settings = match tokio::time::timeout_at(until, commands::capture(&spec, 1 << 20)).await {
        Err(_) => {
            return Err(Clean::joined(format!(
                "{}: stopped; the relay setup is not known",
                crate::check::no_answer(&Clean::capped(&short, 200), limit)
            )));
        }
        // the command's error says its command and output escaped
        Ok(Err(e)) => return Err(Clean::joined(format!("cannot read the relay setup: {e}"))),
        Ok(Ok((status, out))) => super::postconf::settings_from(
            short,
            status.is_some_and(|s| s.success()),
            &out.stdout,
            &out.stderr,
        )
        .map_err(|e| {
            let mut said = Clean::joined("cannot read the relay setup: ".into());
            said.push_clean(&e.clean());
            said
        })?,
    };
    let inst = inst.clone();
    let maps = tokio::task::spawn_blocking(move || {
        source::snapshot_with(&inst, settings, SystemTime::now())
    });
    match tokio::time::timeout_at(until, maps).await {
        Ok(Ok(snap)) => Ok(snap),
        Ok(Err(e)) => Err(Clean::new(&format!("reading the relay maps failed: {e}"))),
        Err(_) => Err(Clean::joined(format!(
            "{}: a map on a hung file system?",
            crate::check::no_answer("reading the relay maps", limit)
        ))),
    }
}

/// Read everything once and add the Senders findings to `report`. The day's log and SES stop
/// at `[check] deadline_secs` from now, the relay setup at the check's limit for a local read.
pub async fn check(config: &Config, report: &mut Report) {
    let cfg = config.senders.clone();
    let Some(inst) = cfg.instance(config).cloned() else {
        report.finding("senders", Status::Unknown, "no such [[postfix]] instance");
        return;
    };
    let input = cfg.log_input(config);
    let max_line = config.mail_log.max_line_bytes;
    let limit = config.check.local_limit();
    let deadline = Deadline::at(
        config.check.after_start(config.check.deadline()),
        config.check.deadline(),
    );
    let secs = deadline.limit().as_secs();
    // the day's log is read beside the setup and stops at the deadline with what it read; the
    // setup (postconf and a few small maps) has no reason to take long
    let d = deadline.clone();
    let log_input = input.clone();
    let activity = tokio::task::spawn_blocking(move || {
        let now = Local::now();
        let day = now - chrono::Duration::days(1);
        logscan::activity_by(&log_input, now, day, max_line, Some(&d))
    });
    let read_ses = |regions: Vec<String>| {
        let (endpoint, demo_keys) = (cfg.ses_endpoint.clone(), cfg.ses_demo_keys);
        let at = tokio::time::Instant::from_std(deadline.instant());
        futures_util::future::join_all(regions.into_iter().map(move |region| {
            let target = SesTarget {
                region: region.clone(),
                endpoint: endpoint.clone(),
                demo_keys,
            };
            async move {
                let result = match tokio::time::timeout_at(at, ses::snapshot(&target)).await {
                    Ok(r) => r.map_err(|e| e.clean()),
                    // the endpoint is shown sanitized
                    Err(_) => Err(Clean::joined(format!(
                        "SES in {}: no answer from {} within {secs} s ([check] \
                         deadline_secs)",
                        Clean::new(&region),
                        ses::endpoint_shown(&target)
                    ))),
                };
                (region, result)
            }
        }))
    };
    let snap = match relay_setup(&inst, limit, config.check.after_start(limit.0)).await {
        Ok(s) => s,
        Err(e) => {
            report.finding_clean("senders", Status::Unknown, e.as_str());
            // SES is still worth reading where the configuration names its regions (a paused
            // account is news whatever Postfix says); where only the routes would name them,
            // the area says why it is empty instead of vanishing
            if cfg.ses {
                let regions = super::ses_regions_for(&cfg, None);
                if regions.is_empty() {
                    report.finding(
                        "ses",
                        Status::Unknown,
                        "SES not read: its regions are those the relay setup names, and that is \
                         not known; [senders] ses_region names one to read in any case",
                    );
                }
                for (region, result) in read_ses(regions).await {
                    ses_into(&region, &result, report);
                }
            }
            return;
        }
    };
    let local = model::local_senders(&snap.settings.myorigin, "");
    // SES of every region the routes name, read while the day's log is, each bounded by the
    // deadline so that a hanging endpoint cannot hang the check
    let regions = |activity: &SenderActivity| -> Vec<String> {
        if !cfg.ses {
            return Vec::new();
        }
        let mut r = super::ses_regions_for(&cfg, Some(&snap));
        // regions only a rule's `$n` names show once the routes are expanded
        let routes = model::cross_check(&CheckInput {
            snapshot: &snap,
            ses: model::SesView::new(),
            activity,
            queue_senders: &[],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        for row in &routes.rows {
            if let model::SesCheck::NotRead { region, .. } = &row.ses
                && !r.contains(region)
            {
                r.push(region.clone());
            }
        }
        r
    };
    let give_up =
        tokio::time::Instant::from_std(deadline.instant() + crate::mail::log::check::BLOCKED_GRACE);
    let (activity, mut ses) = tokio::join!(
        tokio::time::timeout_at(give_up, activity),
        read_ses(regions(&SenderActivity::default()))
    );
    let (activity, unread) = match activity {
        Ok(Ok(Ok((a, None)))) => (a, None),
        Ok(Ok(Ok((a, Some(cut))))) => (a, Some(model::cut_log(&cut, secs))),
        Ok(Ok(Err(e))) => (Default::default(), Some(model::unread_log(&e))),
        Ok(Err(e)) => (Default::default(), Some(model::unread_log(&e.to_string()))),
        Err(_) => {
            deadline.give_up();
            let what = match &input {
                logscan::LogInput::File(p) => p.display().to_string(),
                logscan::LogInput::Journal(_) => "journalctl".to_string(),
            };
            let e = format!(
                "{what}: no line came back within {secs} s ([check] deadline_secs): a read \
                 blocked on a hung file system, or a pipe nobody writes to?"
            );
            (Default::default(), Some(model::unread_log(&e)))
        }
    };
    // a region that only the senders seen in the log route to
    let more: Vec<String> = regions(&activity)
        .into_iter()
        .filter(|r| !ses.iter().any(|(read, _)| read == r))
        .collect();
    ses.extend(read_ses(more).await);
    // the same per-region state the pane keeps, seen the same way
    let state = SesState::Regions(
        ses.iter()
            .map(|(region, r)| {
                let v = match r {
                    Ok(s) => RegionSes::Ready(s.clone()),
                    Err(e) => RegionSes::Failed(e.clone()),
                };
                (region.clone(), v)
            })
            .collect(),
    );
    let mut cross = model::cross_check(&CheckInput {
        snapshot: &snap,
        ses: state.view(),
        activity: &activity,
        queue_senders: &[],
        local_senders: &local,
        asked: &[],
        ses_off: !cfg.ses,
    });
    cross.global.extend(unread);
    report_into(&cross, &ses, report);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::senders::RegionSes;
    use crate::mail::senders::model::tests::{activity, ses, snapshot};

    /// A sender with a control character in it reads as on the pane: escaped once.
    #[test]
    fn a_sender_from_the_log_is_escaped_once() {
        let snap = snapshot(false, false);
        let s = ses(true);
        let now =
            chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 27, 20, 0, 0).unwrap();
        let act = logscan::activity_from_lines(
            "Nov 27 10:00:00 web1 postfix/qmgr[3]: AAAA000001: from=<s\u{1b}[31mx@example.com>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:01 web1 postfix/smtp[4]: AAAA000001: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))
",
            now,
            now - chrono::Duration::days(1),
        );
        let mut cross = model::cross_check(&CheckInput {
            snapshot: &snap,
            ses: model::ready_view([&s]),
            activity: &act,
            queue_senders: &[],
            local_senders: &[],
            asked: &[],
            ses_off: false,
        });
        // that sender alone: the fixture's own fail first
        cross.rows.retain(|r| r.sender.starts_with('s'));
        let mut r = Report::default();
        report_into(&cross, &[("us-east-1".into(), Ok(s))], &mut r);
        let senders = &r.findings[0];
        assert!(
            senders.summary.starts_with(
                "1 of 1 senders failing, 0 with warnings; worst: s\\e[31mx@example.com: 1 bounced"
            ),
            "{}",
            senders.summary
        );
    }

    #[test]
    fn findings_and_metrics() {
        let snap = snapshot(true, false);
        let s = ses(false);
        let act = activity();
        let local = model::local_senders("web1.example.com", "");
        let cross = model::cross_check(&CheckInput {
            snapshot: &snap,
            ses: model::ready_view([&s]),
            activity: &act,
            queue_senders: &[],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        let mut r = Report::default();
        report_into(&cross, &[("us-east-1".into(), Ok(s))], &mut r);
        assert_eq!(r.status(), Status::Critical);
        let senders = &r.findings[0];
        assert_eq!(senders.area, "senders");
        assert!(
            senders.summary.starts_with("1 of 7 senders failing, 4 with warnings; worst: root@web1.example.com sends through SES unverified"),
            "{}",
            senders.summary
        );
        assert!(
            r.findings
                .iter()
                .any(|f| f.summary.contains("readable by group/others"))
        );
        let ses_f = r.findings.iter().find(|f| f.area == "ses").unwrap();
        assert_eq!(ses_f.status, Status::Warning);
        assert_eq!(
            ses_f.summary,
            "SES us-east-1: in the sandbox: recipients must be verified too; 12 of 200 sent in 24 h"
        );
        let ratio = r
            .metrics
            .iter()
            .find(|m| m.name == "ses_quota_used_ratio")
            .unwrap();
        assert_eq!(ratio.value, 0.06);
        let failing = r
            .metrics
            .iter()
            .find(|m| m.name == "senders_failing")
            .unwrap();
        assert_eq!(failing.value, 1.0);
    }

    #[test]
    fn warnings_alone_are_named_with_what_to_do() {
        let snap = snapshot(true, false);
        let s = ses(false);
        let act = activity();
        let local = model::local_senders("web1.example.com", "");
        let mut cross = model::cross_check(&CheckInput {
            snapshot: &snap,
            ses: model::ready_view([&s]),
            activity: &act,
            queue_senders: &[],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        // only the senders with warnings left: a count of them said nothing of what is wrong
        cross.rows.retain(|r| r.worst() != Severity::Error);
        let first = cross
            .rows
            .iter()
            .find(|r| r.worst() == Severity::Warn)
            .unwrap();
        let expected = format!(
            "{} senders, 4 with warnings; first: {}: {}",
            cross.rows.len(),
            first.sender,
            first.headline().unwrap().text
        );
        let mut r = Report::default();
        report_into(&cross, &[("us-east-1".into(), Ok(s))], &mut r);
        assert_eq!(r.findings[0].status, Status::Warning);
        assert_eq!(r.findings[0].summary, expected);
    }

    /// The report of the sample set-up with `act`'s day of log, every sender but carol at
    /// `dropped` or worse left out: carol's verdict is the one the senders line names.
    fn carol_alone(act: &SenderActivity, dropped: Severity) -> Report {
        let snap = snapshot(true, false);
        let s = ses(false);
        let local = model::local_senders("web1.example.com", "");
        let mut cross = model::cross_check(&CheckInput {
            snapshot: &snap,
            ses: model::ready_view([&s]),
            activity: act,
            queue_senders: &[],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        cross
            .rows
            .retain(|r| r.worst() < dropped || r.sender.as_str() == "carol@example.com");
        let mut r = Report::default();
        report_into(&cross, &[("us-east-1".into(), Ok(s))], &mut r);
        r
    }

    /// The senders line for a sender losing mail names what to do about it, in the words the
    /// Failures pane gives lost mail.
    #[test]
    fn lost_mail_is_named_with_what_to_do() {
        let mut act = activity();
        let carol = act.get_mut("carol@example.com").unwrap();
        carol.lost = 2;
        carol.last_lost = Some(Clean::new(
            "removed from the queue with no final delivery status logged",
        ));
        // carol the one sender failing
        let r = carol_alone(&act, Severity::Error);
        assert_eq!(r.findings[0].status, Status::Critical);
        assert!(
            r.findings[0].summary.ends_with(
                "worst: carol@example.com: 2 lost in the last day, nobody was told: removed from \
                 the queue with no final delivery status logged; what to do: Tell the sender by \
                 hand; fix the bounce path (a verified sender for notifications, or a working \
                 postmaster alias)."
            ),
            "{}",
            r.findings[0].summary
        );
    }

    /// carol's mail bounced and its bounce notice to her bounced too: the senders line names
    /// carol as losing mail (she was never told), not MAILER-DAEMON alone. Once her mail is
    /// delivered again, the notices of her failures are graded with them, as the failures line
    /// grades them: a warning that still says what to do, no longer a failing sender.
    #[test]
    fn a_lost_bounce_notice_is_named_on_its_senders_line() {
        use chrono::TimeZone;
        let text = "Nov 27 10:00:00 web1 postfix/qmgr[3]: AAAA000001: from=<carol@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 web1 postfix/smtp[4]: AAAA000001: to=<ann@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 user unknown (in reply to RCPT TO command))
Nov 27 10:00:01 web1 postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 10:00:01 web1 postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:01 web1 postfix/qmgr[3]: AAAA000001: removed
Nov 27 10:00:02 web1 postfix/smtp[4]: BBBB000002: to=<carol@example.com>, relay=mail.example.com[192.0.2.2]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mail.example.com[192.0.2.2] said: 550 5.7.1 Message rejected (in reply to end of DATA command))
Nov 27 10:00:02 web1 postfix/qmgr[3]: BBBB000002: removed
";
        let now = Local.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap();
        let day = now - chrono::Duration::days(1);
        let act = logscan::activity_from_lines(text, now, day);
        let r = carol_alone(&act, Severity::Warn);
        assert_eq!(r.findings[0].status, Status::Critical);
        assert!(
            r.findings[0].summary.contains(
                "worst: carol@example.com: 1 lost in the last day, nobody was told: the bounce \
                 notification for AAAA000001 could not be delivered to <carol@example.com>: "
            ),
            "{}",
            r.findings[0].summary
        );
        // her next mail goes: what is left is to tell her by hand
        let text = format!(
            "{text}Nov 27 10:30:00 web1 postfix/qmgr[3]: CCCC000003: from=<carol@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:30:01 web1 postfix/smtp[4]: CCCC000003: to=<bo@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)
"
        );
        let act = logscan::activity_from_lines(&text, now, day);
        let r = carol_alone(&act, Severity::Warn);
        assert_eq!(r.findings[0].status, Status::Warning, "{:?}", r.findings);
        assert!(
            r.findings[0]
                .summary
                .contains(" senders, 1 with warnings; first: carol@example.com: "),
            "{}",
            r.findings[0].summary
        );
        let failing = r.metrics.iter().find(|m| m.name == "senders_failing");
        assert_eq!(failing.map(|m| m.value), Some(0.0));
    }

    /// A sender whose mail bounces: the line names the fix of its latest problem, as the
    /// failures line does; once its mail is delivered again, no fix is named.
    #[test]
    fn a_bouncing_sender_is_named_with_what_to_do() {
        let line = |delivered_since: bool| {
            let mut act = activity();
            let carol = act.get_mut("carol@example.com").unwrap();
            carol.bounced = 3;
            carol.last_problem = Some(crate::mail::senders::logscan::Problem {
                status: crate::mail::log::model::RowStatus::Bounced,
                cause: crate::mail::log::classify::Category::RecipientUnknown,
                reason: Clean::new("550 5.1.1 user unknown"),
            });
            carol.delivered_since_problem = delivered_since;
            carol_alone(&act, Severity::Warn).findings[0]
                .summary
                .clone()
        };
        let fix = crate::mail::log::check::first_sentence(
            crate::mail::log::classify::Category::RecipientUnknown.remedy(),
        );
        let failing = line(false);
        assert!(
            failing.contains(
                "worst: carol@example.com: 3 bounced, 0 deferred in the last day; \
                 the latest bounce (rcpt unknown): The receiving side says the recipient \
                 address does not exist; what to do: "
            ),
            "{failing}"
        );
        assert!(
            failing.ends_with(&format!("; what to do: {fix}")),
            "{failing}"
        );
        let fixed = line(true);
        assert!(!fixed.contains("what to do"), "{fixed}");
    }

    #[test]
    fn ses_errors_are_unknown_not_ok() {
        let mut r = Report::default();
        report_into(
            &CrossCheck::default(),
            &[("eu-west-1".into(), Err("no credentials".into()))],
            &mut r,
        );
        assert!(
            r.findings
                .iter()
                .any(|f| f.area == "ses" && f.status == Status::Unknown)
        );
        assert_eq!(r.status(), Status::Unknown);
    }

    /// What the check says of SES as `report_into` writes it, for one region's read.
    fn said_of(region_read: Result<SesSnapshot, Clean>) -> Report {
        let snap = snapshot(true, false);
        let act = activity();
        let local = model::local_senders("web1.example.com", "");
        let state = SesState::Regions(
            [(
                "us-east-1".to_string(),
                match &region_read {
                    Ok(s) => RegionSes::Ready(s.clone()),
                    Err(e) => RegionSes::Failed(e.clone()),
                },
            )]
            .into(),
        );
        let cross = model::cross_check(&CheckInput {
            snapshot: &snap,
            ses: state.view(),
            activity: &act,
            queue_senders: &[],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        let mut r = Report::default();
        report_into(&cross, &[("us-east-1".into(), region_read)], &mut r);
        r
    }

    /// The findings that hold `words`, as (area, status).
    fn saying(r: &Report, words: &str) -> Vec<(String, Status)> {
        r.findings
            .iter()
            .filter(|f| f.summary.contains(words))
            .map(|f| (f.area.clone(), f.status))
            .collect()
    }

    #[test]
    fn the_ses_account_is_said_once_in_the_ses_area() {
        // an account that could not be read
        let mut s = ses(true);
        s.account = Err(Clean::new(
            "SES GetAccount in us-east-1: access denied (ses:GetAccount)",
        ));
        let r = said_of(Ok(s));
        assert_eq!(
            saying(&r, "access denied (ses:GetAccount)"),
            [("ses".to_string(), Status::Unknown)],
            "{:?}",
            r.findings
        );
        assert!(
            r.findings.iter().any(|f| f.summary
                == "SES us-east-1: account not read (sandbox, quota, paused sending unknown): \
                    access denied (ses:GetAccount)"),
            "{:?}",
            r.findings
        );
        // a region that could not be read at all
        let r = said_of(Err("no credentials".into()));
        assert_eq!(
            saying(&r, "no credentials"),
            [("ses".to_string(), Status::Unknown)],
            "{:?}",
            r.findings
        );
        // an account in the sandbox, paused, on probation
        let mut s = ses(false);
        if let Ok(a) = &mut s.account {
            a.sending_enabled = false;
            a.enforcement = Clean::new("PROBATION");
        }
        let r = said_of(Ok(s));
        for words in ["sandbox", "paused", "PROBATION"] {
            assert!(
                saying(&r, words).iter().all(|(area, _)| area == "ses"),
                "{words}: {:?}",
                r.findings
            );
        }
        assert!(
            r.findings.iter().any(|f| f.area == "ses"
                && f.status == Status::Critical
                && f.summary
                    == "SES us-east-1: sending paused; enforcement status PROBATION; 12 of 200 \
                        sent in 24 h"),
            "{:?}",
            r.findings
        );
    }

    #[test]
    fn quota_use_is_graded_as_its_perfdata_says() {
        let graded = |sent: f64| {
            let mut s = ses(true);
            if let Ok(a) = &mut s.account {
                a.sent_24h = sent;
                a.max_24h = 200.0;
            }
            let mut r = Report::default();
            report_into(
                &CrossCheck::default(),
                &[("us-east-1".into(), Ok(s))],
                &mut r,
            );
            let f = r.findings.iter().find(|f| f.area == "ses").unwrap().clone();
            (f.status, f.summary)
        };
        assert_eq!(
            graded(12.0),
            (
                Status::Ok,
                "SES us-east-1: production access; 12 of 200 sent in 24 h".to_string()
            )
        );
        assert_eq!(
            graded(170.0),
            (
                Status::Warning,
                "SES us-east-1: production access; 170 of 200 sent in 24 h (85% of the quota: \
                 past it SES refuses mail until the 24 h window moves on; ask AWS for more)"
                    .to_string()
            )
        );
        assert_eq!(graded(199.0).0, Status::Critical);
        assert_eq!(graded(250.0).0, Status::Critical);
    }
}
