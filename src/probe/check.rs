//! The proxy probe's part of `opsdeck check`: every `[[probe.targets]]` is
//! probed once and its verdicts become findings; the certificate's days to
//! expiry are graded against `[check] cert_warn_days` / `cert_crit_days`.
//!
//! The targets are probed together, each target's requests at once, and all
//! stop at `[check] probe_deadline_secs`: a target still waiting then is one
//! CRITICAL finding that names it, the limit and the checks left unjudged.
//!
//! When `[probe.echo]` is enabled the echo listener runs for the duration of
//! the check, so the forwarding checks see what the balancer sends; if its
//! address is already taken (a dashboard is running it) that one answers.
//! Sends only the probe's own GET requests; never changes anything.

use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use crate::check::{Metric, Report, Status};
use crate::config::Config;
use crate::ui::widgets::plural;

use super::ProbeError;
use super::checks::{Check, Level, TargetReport, expired_ago, run_requests};

fn status_of(level: Level) -> Status {
    match level {
        Level::Skip | Level::Ok => Status::Ok,
        Level::Warn => Status::Warning,
        Level::Fail => Status::Critical,
    }
}

/// Add the findings and metrics of every probe target.
pub async fn collect(config: &Config, now: i64, report: &mut Report) {
    let cfg = &config.probe;
    if cfg.targets.is_empty() {
        return;
    }
    let _echo = if cfg.echo.enabled {
        match super::echo::start(&cfg.echo).await {
            Ok(server) => Some(server),
            Err(ProbeError::Bind { source, .. })
                if source.kind() == std::io::ErrorKind::AddrInUse =>
            {
                None
            }
            Err(e) => {
                report.finding("probe", Status::Unknown, e.to_string());
                None
            }
        }
    } else {
        None
    };
    // Every target at once, all stopped at one deadline: a slow site is a
    // finding of its own instead of a check that outlives the monitoring
    // system's timeout and says nothing (an UNKNOWN with no name).
    let limit = Duration::from_secs(config.check.probe_deadline_secs.max(1));
    let deadline = Instant::now().checked_add(limit);
    let runs = join_all(cfg.targets.iter().map(|t| run_requests(t, cfg, deadline))).await;
    for (t, run) in cfg.targets.iter().zip(&runs) {
        grade_target(config, &super::checks::report(t, cfg, run, now), report);
    }
}

/// The finding and metrics of one target's report (pure).
///
/// The finding leads with what the worst problem means for the site, in the words the pane's
/// tile and list use ([`TargetReport::headline`]): a monitoring system's status line is read at a
/// glance too. The checks that said so, with their summaries, follow, the failures first.
pub fn grade_target(config: &Config, r: &TargetReport, report: &mut Report) {
    let name = r.name.as_str();
    // The certificate's expiry is graded below with the check's own thresholds; its other
    // faults (name, chain) keep the probe's level.
    let graded = TargetReport {
        verdicts: r
            .verdicts
            .iter()
            .map(|v| {
                let mut v = v.clone();
                if v.check == Check::Tls && cert_fault_free(r) {
                    v.level = Level::Ok;
                }
                v
            })
            .collect(),
        ..r.clone()
    };
    let headline = graded.headline();
    let mut status = Status::Ok;
    // (level, checks, summary): checks that failed alike (every echo request
    // refused the same way) are said once, so the capped finding keeps room
    // for the rest
    let mut alike: Vec<(Level, Vec<&str>, &str)> = Vec::new();
    let mut passed = 0;
    let cut: Vec<&str> = r
        .verdicts
        .iter()
        .filter(|v| v.is_cut_short())
        .map(|v| v.check.label())
        .collect();
    for v in &graded.verdicts {
        let level = v.level;
        report.metric(
            Metric::new(
                "probe_verdict",
                "Probe verdict per check: 0 ok or skipped, 1 warning, 2 failure, 3 not judged \
                 (no answer within [check] probe_deadline_secs).",
                match level {
                    // not "ok": a graph of this metric must not show a check that never got its
                    // answer as passed
                    _ if v.is_cut_short() => 3.0,
                    Level::Skip | Level::Ok => 0.0,
                    Level::Warn => 1.0,
                    Level::Fail => 2.0,
                },
            )
            .label("target", name)
            .label("check", v.check.label()),
        );
        match level {
            Level::Ok => passed += 1,
            Level::Skip => {}
            Level::Warn | Level::Fail => {
                status = Status::worst(status, status_of(level));
                let summary = v.summary.as_str();
                match alike
                    .iter_mut()
                    .find(|(l, _, s)| *l == level && *s == summary)
                {
                    Some((_, checks, _)) => checks.push(v.check.label()),
                    None => alike.push((level, vec![v.check.label()], summary)),
                }
            }
        }
    }
    // (level, leads, words, in plain words already): sorted below, the worst first and, among
    // equals, the headline and the checks that said it first
    let mut problems: Vec<(Level, bool, String, bool)> = Vec::new();
    if let Some(h) = headline.filter(|h| h.consequence.is_some()) {
        problems.push((h.level, true, h.plain().to_string(), false));
    }
    if !cut.is_empty() {
        status = Status::Critical;
        problems.push((
            Level::Fail,
            false,
            format!(
                "no answer within {} s, the time check gives the probe ([check] probe_deadline_secs): \
                 {} not judged; the balancer or the site behind it answers slowly",
                config.check.probe_deadline_secs.max(1),
                cut.join(", ")
            ),
            true,
        ));
    }
    problems.extend(alike.iter().map(|(l, checks, s)| {
        let leads = headline.is_some_and(|h| checks.contains(&h.check.label()) && h.level == *l);
        (
            *l,
            leads,
            format!("{} {}: {s}", l.label(), checks.join(", ")),
            false,
        )
    }));
    if let Some(tls) = &r.tls
        && let Some(days) = tls.days_left
    {
        let t = &config.check;
        let s = if days <= t.cert_crit_days {
            Status::Critical
        } else if days <= t.cert_warn_days {
            Status::Warning
        } else {
            Status::Ok
        };
        if s != Status::Ok {
            status = Status::worst(status, s);
            let level = if s == Status::Critical {
                Level::Fail
            } else {
                Level::Warn
            };
            if days >= 0 {
                problems.push((
                    level,
                    false,
                    format!(
                        "{} expires in {days} day(s) (warning at {}, critical at {})",
                        tls.expiring(),
                        t.cert_warn_days,
                        t.cert_crit_days
                    ),
                    true,
                ));
            } else if cert_fault_free(r) {
                // otherwise the certificate verdict, kept as a failure, says it
                problems.push((
                    level,
                    false,
                    format!("{} expired {}", tls.expiring(), expired_ago(days)),
                    true,
                ));
            }
        }
        report.metric(
            Metric::new(
                "probe_certificate_expiry_days",
                "Days until the first certificate the target presents (its own or an intermediate) expires.",
                days as f64,
            )
            .label("target", name),
        );
    }
    problems.sort_by_key(|(level, leads, _, _)| (std::cmp::Reverse(*level), !leads));
    if problems.is_empty() {
        report.finding_clean("probe", status, format!("{name}: {passed} check(s) passed"));
        return;
    }
    let words: Vec<&str> = problems.iter().map(|(_, _, w, _)| w.as_str()).collect();
    // The status line says what each problem means where a verdict says it in a few words (the
    // tile's words), the worst first, and counts the others: a second target's words are not
    // pushed out of sight by the first one's evidence, nor is a site without HTTPS hidden
    // behind its forged headers.
    let mut lead: Vec<(Level, String)> = Vec::new();
    let mut unsaid: Vec<(Level, &str)> = Vec::new();
    for v in graded.worst_first() {
        if v.level < Level::Warn {
            break;
        }
        match &v.consequence {
            Some(c) if !lead.iter().any(|(_, w)| w == c.as_str()) => {
                lead.push((v.level, c.to_string()))
            }
            Some(_) => {}
            None if !unsaid.contains(&(v.level, v.summary.as_str())) => {
                unsaid.push((v.level, v.summary.as_str()))
            }
            None => {}
        }
    }
    // the deadline and the certificate's days say what they mean already
    lead.extend(
        problems
            .iter()
            .filter(|(_, _, _, plain)| *plain)
            .map(|(l, _, w, _)| (*l, w.clone())),
    );
    lead.sort_by_key(|(l, _)| std::cmp::Reverse(*l));
    let mut more = unsaid.len();
    if lead.is_empty() {
        // nothing said in a few words: the worst problem whole
        lead.push((Level::Fail, words[0].to_string()));
        more = more.saturating_sub(1);
    }
    let lead: Vec<&str> = lead.iter().map(|(_, w)| w.as_str()).collect();
    let more = match more {
        0 => String::new(),
        n => format!(" ({n} more problem{})", plural(n)),
    };
    // the target's name and the verdicts' words are clean already, as the pane shows them
    report.finding_led_clean(
        "probe",
        status,
        format!("{name}: {}{more}", lead.join("; ")),
        format!("{name}: {}", words.join("; ")),
    );
}

/// The certificate verifies and names the host: only its expiry is left to grade.
fn cert_fault_free(r: &TargetReport) -> bool {
    r.tls
        .as_ref()
        .is_some_and(|t| t.verify_error.is_none() && t.name_matches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::checks::{TlsView, Verdict};
    use crate::sanitize::Clean;

    fn verdict(check: Check, level: Level, summary: &str) -> Verdict {
        Verdict {
            check,
            level,
            summary: Clean::new(summary),
            consequence: None,
            evidence: Vec::new(),
            fix: Vec::new(),
        }
    }

    fn said(mut v: Verdict, consequence: &str) -> Verdict {
        v.consequence = Some(Clean::new(consequence));
        v
    }

    fn target(days: i64, verdicts: Vec<Verdict>) -> TargetReport {
        TargetReport {
            name: Clean::new("site"),
            url: Clean::new("https://site.example/"),
            at: 0,
            hops: Vec::new(),
            tls: Some(TlsView {
                version: Clean::new("TLSv1.3"),
                subject: Clean::new("CN=site.example"),
                issuer: Clean::new("CN=ca"),
                names: vec![Clean::new("site.example")],
                chain_len: 2,
                days_left: Some(days),
                expires_first: None,
                verify_error: None,
                name_matches: true,
            }),
            echoes: Vec::new(),
            verdicts,
        }
    }

    #[test]
    fn verdicts_become_one_finding_with_the_worst_status() {
        let r = target(
            90,
            vec![
                verdict(Check::Baseline, Level::Ok, "client, https and 443 arrive"),
                verdict(
                    Check::Forged,
                    Level::Fail,
                    "passing through: a client can forge its address",
                ),
                verdict(Check::Backend, Level::Skip, "no backend_url"),
            ],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(rep.findings[0].status, Status::Critical);
        assert_eq!(
            rep.findings[0].summary,
            "site: FAIL forged headers: passing through: a client can forge its address"
        );
        let forged = rep
            .metrics
            .iter()
            .find(|m| {
                m.labels
                    .contains(&("check".into(), "forged headers".into()))
            })
            .unwrap();
        assert_eq!(forged.value, 2.0);
    }

    /// The finding leads with what the worst problem means (the words of the pane's tile), the
    /// failures before the warnings whatever the order of the checks; the status line says the
    /// lead alone.
    /// A verdict quoting what a server sent, with a control character in it, reads as in the
    /// pane: its escape once, not with the backslash doubled as if one had been sent.
    #[test]
    fn a_verdict_quoting_the_server_is_escaped_once() {
        let r = target(
            90,
            vec![verdict(
                Check::Forged,
                Level::Fail,
                "X-Forwarded-For arrived as 203.0.113.9\u{1b}[2J",
            )],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(
            rep.findings[0].summary,
            "site: FAIL forged headers: X-Forwarded-For arrived as 203.0.113.9\\e[2J"
        );
        assert_eq!(
            rep.summary(),
            "probe: site: FAIL forged headers: X-Forwarded-For arrived as 203.0.113.9\\e[2J"
        );
    }

    #[test]
    fn the_worst_problem_leads_in_plain_words() {
        let r = target(
            90,
            vec![
                verdict(
                    Check::Redirects,
                    Level::Warn,
                    "http is not redirected to https",
                ),
                said(
                    verdict(Check::Baseline, Level::Fail, "no X-Forwarded-Proto arrives"),
                    "the app will not see HTTPS",
                ),
                said(
                    verdict(Check::Backend, Level::Warn, "answers directly"),
                    "anyone can bypass the balancer and forge every header",
                ),
            ],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(rep.findings[0].status, Status::Critical);
        assert_eq!(
            rep.findings[0].summary,
            "site: the app will not see HTTPS; FAIL baseline: no X-Forwarded-Proto arrives; \
             WARN redirects: http is not redirected to https; WARN backend direct: answers directly"
        );
        // the status line: what each problem means where a verdict says it, the rest counted
        assert_eq!(
            rep.summary(),
            "probe: site: the app will not see HTTPS; anyone can bypass the balancer and forge \
             every header (1 more problem)"
        );
        // a certificate past [check] cert_crit_days is worse than a warning's consequence
        let r = target(
            3,
            vec![
                verdict(Check::Tls, Level::Warn, "certificate expires in 3 days"),
                said(
                    verdict(Check::Backend, Level::Warn, "answers directly"),
                    "anyone can bypass the balancer and forge every header",
                ),
            ],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(rep.findings[0].status, Status::Critical);
        assert_eq!(
            rep.summary(),
            "probe: site: certificate expires in 3 day(s) (warning at 21, critical at 7); \
             anyone can bypass the balancer and forge every header"
        );
        assert!(
            rep.findings[0]
                .summary
                .ends_with("; anyone can bypass the balancer and forge every header; WARN backend direct: answers directly"),
            "{}",
            rep.findings[0].summary
        );
    }

    #[test]
    fn requests_stopped_at_the_deadline_are_one_critical_finding_first() {
        use crate::probe::checks::cut_short;
        let r = target(
            90,
            vec![
                cut_short(Check::Redirects),
                verdict(Check::Tls, Level::Ok, "valid"),
                cut_short(Check::Baseline),
                verdict(Check::Backend, Level::Warn, "answers directly"),
            ],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(rep.findings[0].status, Status::Critical);
        assert_eq!(
            rep.findings[0].summary,
            "site: no answer within 8 s, the time check gives the probe ([check] \
             probe_deadline_secs): redirects, baseline not judged; the balancer or the site \
             behind it answers slowly; WARN backend direct: answers directly"
        );
        // the metric says "not judged" for those, not "ok"
        let verdict_of = |check: &str| {
            rep.metrics
                .iter()
                .find(|m| m.labels.contains(&("check".into(), check.into())))
                .map(|m| m.value)
        };
        assert_eq!(verdict_of("redirects"), Some(3.0));
        assert_eq!(verdict_of("baseline"), Some(3.0));
        assert_eq!(verdict_of("certificate"), Some(0.0));
        assert_eq!(verdict_of("backend direct"), Some(1.0));
    }

    /// Verdicts with no words of their own for what they mean: the status line says the worst
    /// one whole and counts the others.
    #[test]
    fn without_plain_words_the_status_line_says_the_worst_whole() {
        let r = target(
            90,
            vec![
                verdict(Check::Redirects, Level::Warn, "http is not redirected"),
                verdict(Check::TwoXff, Level::Fail, "passed on as separate lines"),
            ],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(
            rep.summary(),
            "probe: site: FAIL two XFF lines: passed on as separate lines (1 more problem)"
        );
    }

    #[test]
    fn checks_that_failed_alike_are_said_once() {
        let refused = "HTTP 502 instead of the echo: does echo_url reach the echo listener?";
        let r = target(
            90,
            vec![
                verdict(Check::Baseline, Level::Fail, refused),
                verdict(Check::Forged, Level::Fail, refused),
                verdict(Check::TwoXff, Level::Fail, refused),
                verdict(Check::Backend, Level::Warn, refused),
            ],
        );
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(
            rep.findings[0].summary,
            format!(
                "site: FAIL baseline, forged headers, two XFF lines: {refused}; WARN backend direct: {refused}"
            )
        );
    }

    #[test]
    fn certificate_expiry_uses_the_check_thresholds() {
        // The probe itself warns (its own expiry_warn_days); check grades by
        // [check] cert_warn_days = 21 / cert_crit_days = 7.
        let tls = || vec![verdict(Check::Tls, Level::Warn, "expires in N days")];
        let mut rep = Report::default();
        grade_target(&Config::default(), &target(30, tls()), &mut rep);
        assert_eq!(rep.findings[0].status, Status::Ok, "{:?}", rep.findings);
        assert_eq!(rep.findings[0].summary, "site: 1 check(s) passed");

        let mut rep = Report::default();
        grade_target(&Config::default(), &target(10, tls()), &mut rep);
        assert_eq!(rep.findings[0].status, Status::Warning);
        assert!(
            rep.findings[0]
                .summary
                .contains("certificate expires in 10 day(s)")
        );

        let mut rep = Report::default();
        grade_target(&Config::default(), &target(3, tls()), &mut rep);
        assert_eq!(rep.findings[0].status, Status::Critical);
        let days = rep
            .metrics
            .iter()
            .find(|m| m.name == "probe_certificate_expiry_days")
            .unwrap();
        assert_eq!(days.value, 3.0);
    }

    #[test]
    fn a_name_mismatch_keeps_the_probe_failure() {
        let mut r = target(
            300,
            vec![verdict(
                Check::Tls,
                Level::Fail,
                "certificate does not name the host",
            )],
        );
        r.tls.as_mut().unwrap().name_matches = false;
        let mut rep = Report::default();
        grade_target(&Config::default(), &r, &mut rep);
        assert_eq!(rep.findings[0].status, Status::Critical);
    }
}
