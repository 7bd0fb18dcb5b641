//! The shared Postfix harness works: a private instance relays to the SES-like endpoint, a verified
//! sender's mail is sent and an unverified one bounces with SES's 554 text.

mod support;

use std::time::Duration;

use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesAuth, SesOptions, SesSmtp};

fn sent_for(log: &str, rcpt: &str, status: &str) -> bool {
    log.lines()
        .any(|l| l.contains(&format!("to=<{rcpt}>")) && l.contains(&format!("status={status}")))
}

#[test]
fn verified_sender_is_sent_unverified_bounces_with_554() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["ok@example.com".into()],
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(PostfixOptions::relaying_to(&ses));
    pf.submit(
        "ok@example.com",
        "alice@example.net",
        "Subject: one\n\nhello\n",
    );
    pf.submit(
        "nobody@example.org",
        "bob@example.net",
        "Subject: two\n\nhello\n",
    );
    let log = pf
        .wait_for_log(
            |l| {
                sent_for(l, "alice@example.net", "sent")
                    && sent_for(l, "bob@example.net", "bounced")
            },
            Duration::from_secs(60),
        )
        .unwrap();
    let sent = log
        .lines()
        .find(|l| sent_for(l, "alice@example.net", "sent"))
        .unwrap();
    assert!(
        sent.contains("250 Ok 0100018c"),
        "SES message id in: {sent}"
    );
    let bounced = log
        .lines()
        .find(|l| sent_for(l, "bob@example.net", "bounced"))
        .unwrap();
    assert!(
        bounced.contains(
            "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: nobody@example.org"
        ),
        "{bounced}"
    );
    let accepted = ses.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].sender, "ok@example.com");
    assert_eq!(accepted[0].rcpts, vec!["alice@example.net".to_string()]);
}

#[test]
fn throttling_defers_and_wrong_password_defers_with_535() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["example.com".into()],
        auth: SesAuth::Required {
            user: "AKIAEXAMPLE".into(),
            password: "right".into(),
        },
        ..SesOptions::default()
    });
    let relay = ses.relayhost();
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .sasl_client(&relay, "AKIAEXAMPLE", "wrong")
            .retry_only_on_flush(),
    );
    pf.submit("a@example.com", "c@example.net", "Subject: x\n\nx\n");
    let log = pf
        .wait_for_log(
            |l| sent_for(l, "c@example.net", "deferred"),
            Duration::from_secs(60),
        )
        .unwrap();
    let line = log
        .lines()
        .find(|l| sent_for(l, "c@example.net", "deferred"))
        .unwrap();
    assert!(
        line.contains("535 Authentication Credentials Invalid"),
        "{line}"
    );
    assert!(
        ses.auth_attempts()
            .iter()
            .any(|a| a.user == "AKIAEXAMPLE" && !a.ok)
    );

    // right password, but throttled (reload only once no delivery is in flight)
    pf.wait_until_deferred(1, Duration::from_secs(60)).unwrap();
    pf.write_map("sasl_passwd", &format!("{relay} AKIAEXAMPLE:right\n"));
    ses.set_throttle(true);
    pf.reload();
    pf.flush();
    let log = pf
        .wait_for_log(
            |l| l.lines().any(|x| x.contains("454 Throttling failure")),
            Duration::from_secs(60),
        )
        .unwrap();
    assert!(
        log.lines().any(|x| sent_for(x, "c@example.net", "deferred")
            && x.contains("Maximum sending rate exceeded"))
    );
    ses.set_throttle(false);
    pf.wait_until_deferred(1, Duration::from_secs(60)).unwrap();
    pf.flush();
    pf.wait_for_log(
        |l| sent_for(l, "c@example.net", "sent"),
        Duration::from_secs(60),
    )
    .unwrap();
    assert_eq!(ses.accepted()[0].auth_user.as_deref(), Some("AKIAEXAMPLE"));
    assert!(pf.postqueue_json().is_empty());
    // the options above override defaults (backoff times) in place: no key is written twice,
    // so no process floods postlogd with "overriding earlier entry" at start
    let log = pf.log();
    assert!(!log.contains("overriding earlier entry"), "{log}");
}

#[test]
fn two_instances_run_side_by_side() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["example.com".into()],
        ..SesOptions::default()
    });
    let a = PostfixHarness::start(PostfixOptions::relaying_to(&ses));
    let b = PostfixHarness::start(PostfixOptions::relaying_to(&ses));
    assert_ne!(a.smtpd_port(), b.smtpd_port());
    let id = b
        .submit_smtp(
            "x@example.com",
            &["y@example.net"],
            "Subject: s\r\n\r\nbody\r\n",
        )
        .unwrap();
    assert!(!id.is_empty());
    b.wait_for_log(
        |l| l.contains(&format!("{id}: to=<y@example.net>")) && l.contains("status=sent"),
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(!a.log().contains(&id), "instance a must not see b's mail");
    // where each writes its log, as opsdeck asks postconf when there is no /var/log/mail.log
    for pf in [&a, &b] {
        let inst = opsdeck::config::PostfixInstance {
            name: "test".into(),
            config_dir: pf.config_dir(),
            command_prefix: Vec::new(),
        };
        assert_eq!(
            opsdeck::mail::log::postfix_maillog_file(&inst),
            Some(pf.log_path())
        );
    }
}

/// "no mechanism available": the remedy the pane gives lifts it under Postfix's own defaults.
/// Turning TLS on alone does not (the options used over TLS follow smtp_sasl_security_options,
/// noplaintext), so the remedy must name the option Postfix applies over TLS.
#[test]
fn the_no_mechanism_remedy_names_the_option_postfix_applies_over_tls() {
    use opsdeck::mail::log::classify::Category;
    let default = |key: &str| {
        let out = std::process::Command::new("postconf")
            .args(["-d", "-h", key])
            .output()
            .expect("run postconf");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(
        default("smtp_sasl_tls_security_options"),
        "$smtp_sasl_security_options"
    );
    assert!(default("smtp_sasl_security_options").contains("noplaintext"));
    let remedy = Category::SaslNoMechanism.remedy();
    assert!(
        remedy.contains("smtp_sasl_tls_security_options = noanonymous"),
        "{remedy}"
    );
}

/// Postfix's own race: a retry that finds the queue file still locked logs "skipped, still being
/// delivered" and parks the message in `incoming` for master's next qmgr wakeup (300 s). The
/// harness kicks qmgr instead of timing out. The lock is taken here by hand, as a delivery agent
/// would hold it.
#[test]
fn a_retry_skipped_on_a_locked_queue_file_is_deferred_again_in_time() {
    let pf = PostfixHarness::start(PostfixOptions::default().main_cf("defer_transports", "smtp"));
    pf.submit("app@example.com", "r@example.net", "Subject: x\n\nbody\n");
    let queue = pf.wait_until_deferred(1, Duration::from_secs(30)).unwrap();
    let id = queue[0]["queue_id"].as_str().unwrap().to_string();
    let hashed = pf.queue_dir().join("deferred").join(&id[..1]).join(&id);
    let path = if hashed.exists() {
        hashed
    } else {
        pf.queue_dir().join("deferred").join(&id)
    };
    let file = std::fs::File::open(&path).unwrap();
    file.lock().unwrap();
    pf.wait_for_log(
        |l| l.contains(&format!("{id}: skipped, still being delivered")),
        Duration::from_secs(30),
    )
    .unwrap();
    drop(file);
    let queue = pf.wait_until_deferred(1, Duration::from_secs(30)).unwrap();
    assert_eq!(queue[0]["queue_id"], id.as_str());
}

/// A port taken between its pick and Postfix's start (by another test's listener, as every
/// in-process server binds port 0) neither fails the test nor leaves it submitting to that
/// listener: the instance starts again with smtpd on another port, which greets as Postfix.
#[test]
fn smtpd_starts_on_another_port_when_its_port_is_taken() {
    use std::io::{BufRead, BufReader};
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let candidates = std::iter::once([taken]).chain(support::ports::fresh_ports());
    let pf = PostfixHarness::start_trying(PostfixOptions::default(), candidates);
    assert_ne!(
        pf.smtpd_port(),
        taken,
        "smtpd was reported on the port the test holds"
    );
    let conn = std::net::TcpStream::connect(("127.0.0.1", pf.smtpd_port())).unwrap();
    let mut greeting = String::new();
    BufReader::new(conn).read_line(&mut greeting).unwrap();
    assert!(
        greeting.starts_with("220 ") && greeting.contains("ESMTP Postfix"),
        "{greeting:?}"
    );
}
