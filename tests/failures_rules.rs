//! Mail that Postfix's own rules stop: a real private Postfix with header_checks that DISCARD,
//! HOLD and REJECT, and an smtpd milter that cannot be reached with `milter_default_action =
//! reject`. A discarded message vanishes with one log line and no bounce: the model and the
//! report must count it as lost and name the rule; a held message is said to be held (not
//! failed), a reject is named as this host's own rule or milter, and WARN and REDIRECT rules are
//! no failure.

mod support;

use std::time::Duration;

use opsdeck::mail::log::classify::Category;
use opsdeck::mail::log::model::{MessageState, RowStatus};
use opsdeck::mail::log::parse::QueueId;
use opsdeck::mail::log::summary;
use support::maillog::{model_of, outcome_for};
use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

#[test]
fn discard_hold_reject_and_milter_rules_are_shown() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["app@example.com".into()],
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .file(
                "header_checks",
                "/^Subject: discard-me/ DISCARD spam rule\n\
                 /^Subject: hold-me/ HOLD held for review\n\
                 /^Subject: reject-me/ REJECT content not wanted\n\
                 /^Subject: warn-me/ WARN looks odd\n\
                 /^Subject: redirect-me/ REDIRECT other@example.org\n",
            )
            .main_cf("header_checks", "regexp:$config_directory/header_checks")
            .main_cf("smtpd_milters", "unix:private/no-such-milter")
            .main_cf("milter_default_action", "reject"),
    );
    for s in [
        "discard-me",
        "hold-me",
        "reject-me",
        "pass-me",
        "warn-me",
        "redirect-me",
    ] {
        pf.submit(
            "app@example.com",
            &format!("{s}@example.org"),
            &format!("Subject: {s}\n\nx\n"),
        );
    }
    let refused = pf.submit_smtp(
        "app@example.com",
        &["smtp@example.org"],
        "Subject: m\r\n\r\nx\r\n",
    );
    assert!(
        refused.is_err(),
        "the milter's default action refuses: {refused:?}"
    );
    let log = pf
        .wait_for_log(
            |l| {
                l.contains("milter-reject")
                    && l.contains("to=<pass-me@example.org>")
                    && l.contains("status=sent")
                    && l.contains("discard: ")
                    && l.contains("hold: ")
                    && l.contains("to=<reject-me@example.org>")
                    && l.contains("orig_to=<redirect-me@example.org>")
                    && l.contains("to=<warn-me@example.org>, relay=")
            },
            Duration::from_secs(60),
        )
        .unwrap();

    let model = model_of(&log);
    let outcome = |to: &str| outcome_for(&model, to, &log);
    let discarded = outcome("discard-me@example.org");
    assert_eq!(discarded.status, RowStatus::Lost);
    assert_eq!(discarded.category, Some(Category::Discarded));
    assert_eq!(discarded.from.as_deref(), Some("app@example.com"));
    assert!(
        discarded.reason.contains("header Subject: discard-me"),
        "{discarded:?}"
    );
    assert!(discarded.reason.ends_with(": spam rule"), "{discarded:?}");

    // the reject, and the bounce cleanup sends back for it: the same cause
    for o in model
        .outcomes()
        .iter()
        .filter(|o| o.to.as_str() == "reject-me@example.org")
    {
        assert_eq!(o.category, Some(Category::ContentRule), "{o:?}");
        assert!(o.reason.contains("content not wanted"), "{o:?}");
    }
    assert_eq!(outcome("reject-me@example.org").status, RowStatus::Rejected);
    assert!(
        model
            .outcomes()
            .iter()
            .any(|o| o.to.as_str() == "reject-me@example.org" && o.status == RowStatus::Bounced),
        "{log}"
    );

    let milter = model
        .outcomes()
        .iter()
        .find(|o| o.queue_id.is_none() && o.status == RowStatus::Rejected)
        .unwrap_or_else(|| panic!("no milter rejection:\n{log}"));
    assert!(
        milter
            .relay
            .starts_with("CONNECT from localhost[127.0.0.1]"),
        "{milter:?}"
    );
    assert!(milter.reason.starts_with("550 5."), "{milter:?}");
    assert_eq!(milter.category, Some(Category::MilterReject), "{milter:?}");

    assert_eq!(outcome("pass-me@example.org").status, RowStatus::Sent);
    // WARN and REDIRECT: no failure
    for to in [
        "warn-me@example.org",
        "redirect-me@example.org",
        "other@example.org",
    ] {
        assert!(
            model
                .outcomes()
                .iter()
                .filter(|o| o.to.as_str() == to)
                .all(|o| o.status == RowStatus::Sent),
            "{to}: {:?}",
            model.outcomes()
        );
    }
    // held: a row that says so and names the rule, and the message is held in the model as
    // in the queue
    let held_row = outcome("hold-me@example.org");
    assert_eq!(held_row.status, RowStatus::Held);
    assert_eq!(held_row.category, Some(Category::Held));
    assert!(
        held_row.reason.contains("header Subject: hold-me")
            && held_row.reason.ends_with("held for review"),
        "{held_row:?}"
    );
    let held_id = log
        .lines()
        .find(|l| l.contains(": hold: "))
        .and_then(|l| l.split(": ").nth(1))
        .and_then(QueueId::parse)
        .unwrap();
    let held = model.message(&held_id).unwrap();
    assert!(
        held.held && held.state() == MessageState::Queued,
        "{held:?}"
    );
    let queued = pf.postqueue_json();
    assert!(
        queued
            .iter()
            .any(|m| m["queue_name"] == "hold" && m["queue_id"] == held_id.as_str()),
        "{queued:?}"
    );

    // the whole-file report counts the discard as lost mail, with the rule, and every reject
    let report = summary::build(&[pf.log_path()], None, 10, &mut std::io::empty());
    let discards: Vec<_> = report
        .lost
        .iter()
        .filter(|l| l.reason.starts_with("discarded by a DISCARD rule"))
        .collect();
    assert_eq!(discards.len(), 1, "{report:?}");
    assert_eq!(discards[0].to, "discard-me@example.org");
    assert!(discards[0].reason.ends_with(": spam rule"), "{report:?}");
    let rejects_logged = log
        .lines()
        .filter(|l| l.contains(" reject: ") || l.contains(" milter-reject: "))
        .count();
    assert!(
        rejects_logged >= 2,
        "the header rule and the milter:\n{log}"
    );
    assert_eq!(report.status.rejected, rejects_logged as u64, "{report:?}");
    assert_eq!(report.status.held, 1, "{report:?}");
    assert!(
        report
            .categories
            .iter()
            .any(|c| c.category == Category::Held && c.count == 1),
        "{report:?}"
    );
}
