//! Refusals by a receiving mail server, in the words a real one uses: a second private Postfix
//! is the relay, refusing an unknown local user, relaying for a domain it does not serve, a
//! sender that is not fully qualified and a sender its access table refuses; and the SES
//! endpoint refusing a message with a header twice, every message while sending is paused, and
//! a recipient on the suppression list. The sending instance's mail log is read by
//! the same parser and model as the pane's.

mod support;

use std::time::Duration;

use opsdeck::mail::log::classify::Category;
use opsdeck::mail::log::model::RowStatus;
use support::maillog::{model_of, outcome_for};
use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

#[test]
fn a_receiving_postfixs_refusals_are_named() {
    let receiver = PostfixHarness::start(
        PostfixOptions::default()
            .main_cf("mydestination", "rcv.test")
            // the sender's address is not trusted: it may only send to rcv.test
            .main_cf("mynetworks", "192.0.2.0/24")
            .main_cf(
                "smtpd_relay_restrictions",
                "permit_mynetworks, reject_unauth_destination",
            )
            .main_cf("alias_maps", "")
            .map("users", "ann x\n")
            .main_cf_map("local_recipient_maps", "users")
            .map("senders", "refused.test REJECT\n")
            .main_cf(
                "smtpd_sender_restrictions",
                "reject_non_fqdn_sender, check_sender_access hash:$config_directory/senders",
            ),
    );
    let sender = PostfixHarness::start(
        PostfixOptions::default()
            .relayhost(format!("[127.0.0.1]:{}", receiver.smtpd_port()))
            .main_cf("append_dot_mydomain", "no")
            .retry_only_on_flush(),
    );
    // (sender, recipient, status, cause, what the reply must say)
    let want = [
        (
            "app@example.com",
            "zed@rcv.test",
            RowStatus::Bounced,
            Category::RecipientUnknown,
            "User unknown in local recipient table",
        ),
        (
            "app@example.com",
            "bob@elsewhere.test",
            RowStatus::Bounced,
            Category::RelayDenied,
            "Relay access denied",
        ),
        (
            "www-data@vm",
            "ann@rcv.test",
            RowStatus::Bounced,
            Category::SenderRejected,
            "need fully-qualified address",
        ),
        (
            "app@refused.test",
            "ann@rcv.test",
            RowStatus::Bounced,
            Category::SenderRejected,
            "Sender address rejected: Access denied",
        ),
    ];
    for (from, to, ..) in want {
        sender.submit(from, to, "Subject: refused\n\nx\n");
    }
    let log = sender
        .wait_for_log(
            |l| {
                // two of them go to the same recipient: wait for as many delivery lines as sends
                want.iter().all(|(_, to, ..)| {
                    let sent = want.iter().filter(|w| w.1 == *to).count();
                    l.lines()
                        .filter(|x| x.contains(&format!("to=<{to}>")) && x.contains(" status="))
                        .count()
                        >= sent
                })
            },
            Duration::from_secs(60),
        )
        .unwrap();

    let model = model_of(&log);
    for (from, to, status, category, evidence) in want {
        let o = model
            .outcomes()
            .iter()
            .find(|o| o.to.as_str() == to && o.from.as_deref() == Some(from))
            .unwrap_or_else(|| panic!("no outcome for {from} -> {to}:\n{log}"));
        assert_eq!(o.status, status, "{o:?}");
        assert_eq!(o.category, Some(category), "{o:?}");
        assert!(o.reason.contains(evidence), "{o:?}");
    }
}

#[test]
fn ses_refuses_a_message_with_a_header_twice() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["app@example.com".into()],
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(PostfixOptions::relaying_to(&ses));
    // a template and a library both add the subject; Postfix passes both on
    pf.submit(
        "app@example.com",
        "ann@example.org",
        "Subject: Your order\nSubject: Your order\n\nx\n",
    );
    pf.submit("app@example.com", "bob@example.org", "Subject: Fine\n\nx\n");
    let log = pf
        .wait_for_log(
            |l| l.contains("to=<ann@example.org>") && l.contains("to=<bob@example.org>"),
            Duration::from_secs(60),
        )
        .unwrap();
    let model = model_of(&log);
    let find = |to: &str| outcome_for(&model, to, &log);
    let twice = find("ann@example.org");
    assert_eq!(twice.status, RowStatus::Bounced, "{twice:?}");
    assert_eq!(
        twice.category,
        Some(Category::MalformedMessage),
        "{twice:?}"
    );
    assert!(
        twice
            .reason
            .contains("554 Transaction failed: Duplicate header 'Subject'."),
        "{twice:?}"
    );
    assert_eq!(find("bob@example.org").status, RowStatus::Sent);
}

#[test]
fn ses_paused_sending_and_a_suppressed_recipient_are_named() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["app@example.com".into()],
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(PostfixOptions::relaying_to(&ses));
    // the account is paused after a review of its bounce rate: every message is refused
    ses.set_paused(true);
    pf.submit(
        "app@example.com",
        "ann@example.org",
        "Subject: Paused\n\nx\n",
    );
    pf.wait_for_log(
        |l| l.contains("to=<ann@example.org>"),
        Duration::from_secs(60),
    )
    .unwrap();
    ses.set_paused(false);
    // the address bounced hard before: it is on the account's suppression list
    ses.suppress("gone@example.org");
    pf.submit(
        "app@example.com",
        "gone@example.org",
        "Subject: Again\n\nx\n",
    );
    pf.submit("app@example.com", "bob@example.org", "Subject: Fine\n\nx\n");
    let log = pf
        .wait_for_log(
            |l| l.contains("to=<gone@example.org>") && l.contains("to=<bob@example.org>"),
            Duration::from_secs(60),
        )
        .unwrap();
    let model = model_of(&log);
    let find = |to: &str| outcome_for(&model, to, &log);
    let paused = find("ann@example.org");
    assert_eq!(paused.status, RowStatus::Bounced, "{paused:?}");
    assert_eq!(
        paused.category,
        Some(Category::SesSendingPaused),
        "{paused:?}"
    );
    assert!(
        paused
            .reason
            .contains("554 Sending paused for this account"),
        "{paused:?}"
    );
    let gone = find("gone@example.org");
    assert_eq!(gone.status, RowStatus::Bounced, "{gone:?}");
    assert_eq!(gone.category, Some(Category::SesSuppressed), "{gone:?}");
    assert!(gone.reason.contains("554 Address blacklisted."), "{gone:?}");
    assert_eq!(find("bob@example.org").status, RowStatus::Sent);
}

/// `soft_bounce = yes`, as the remedy for a paused SES account advises while it lasts: Postfix
/// logs what would have bounced as `status=SOFTBOUNCE` and keeps the mail in the queue. It is a
/// deferral the pane shows with its cause, not a line it does not understand.
#[test]
fn a_soft_bounce_is_a_deferral_with_its_cause() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["app@example.com".into()],
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("soft_bounce", "yes")
            .retry_only_on_flush(),
    );
    ses.set_paused(true);
    pf.submit(
        "app@example.com",
        "ann@example.org",
        "Subject: Paused\n\nx\n",
    );
    let log = pf
        .wait_for_log(
            |l| l.contains("to=<ann@example.org>") && l.contains(" status="),
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(log.contains("status=SOFTBOUNCE"), "{log}");
    let model = model_of(&log);
    let o = outcome_for(&model, "ann@example.org", &log);
    assert_eq!(o.status, RowStatus::Deferred, "{o:?}");
    assert_eq!(o.category, Some(Category::SesSendingPaused), "{o:?}");
    assert!(
        o.reason.contains("554 Sending paused for this account"),
        "{o:?}"
    );
}
