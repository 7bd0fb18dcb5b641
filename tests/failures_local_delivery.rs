//! Deliveries on the host itself fail in Postfix's own words, and the model names them: a real
//! private Postfix runs four pipe(8) transports (a command that exits 1, one that exits 75 with
//! output, two that exit 75 and 69 printing nothing), a virtual(8) mailbox it may not write, a
//! transport missing from master.cf, local(8) with an alias table never built, and LMTP to a
//! socket that does not exist and to one nobody listens on; the mail log it writes is read by the
//! same parser and model as the pane's.

mod support;

use std::time::Duration;

use opsdeck::mail::log::classify::Category;
use opsdeck::mail::log::model::RowStatus;
use support::maillog::{model_of, outcome_for};
use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

/// Has `rcpt` a delivery status line in the log yet?
fn delivered(log: &str, rcpt: &str) -> bool {
    log.lines()
        .any(|l| l.contains(&format!("to=<{rcpt}>")) && l.contains(" status="))
}

#[test]
fn local_mailbox_and_delivery_command_failures_are_named() {
    let ses = SesSmtp::start(SesOptions::default());
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .retry_only_on_flush()
            .master_cf("fail unix - n n - - pipe flags=R user=nobody argv=/bin/false")
            .master_cf(
                "tempfail unix - n n - - pipe user=nobody argv=/bin/sh -c { echo database is locked; exit 75 }",
            )
            // commands that exit with a sysexits code and print nothing
            .master_cf("quiet75 unix - n n - - pipe user=nobody argv=/bin/sh -c { exit 75 }")
            .master_cf("quiet69 unix - n n - - pipe user=nobody argv=/bin/sh -c { exit 69 }")
            // nosuch: a transport that master.cf does not have
            .map(
                "transport",
                "pipefail.test fail:\ntempfail.test tempfail:\nnosuch.test nosuch:\n\
                 quiet75.test quiet75:\nquiet69.test quiet69:\n\
                 lmtpgone.test lmtp:unix:private/nosuch-lmtp\n\
                 lmtpdead.test lmtp:unix:private/dead-lmtp\n",
            )
            .main_cf_map("transport_maps", "transport")
            // virtual(8) delivers as nobody under the test's own directory, which only root
            // may enter: the mailbox cannot be written
            .main_cf("virtual_mailbox_domains", "vmail.test")
            .main_cf("virtual_mailbox_base", "$config_directory/../vmail")
            .map("vmailbox", "ann@vmail.test vmail.test/ann/\n")
            .main_cf_map("virtual_mailbox_maps", "vmailbox")
            .main_cf("virtual_uid_maps", "static:65534")
            .main_cf("virtual_gid_maps", "static:65534")
            // local(8) for local.test, with an alias table that was never built (no .db); a
            // delivery that got past it would write under the test's own directory
            .main_cf("mydestination", "local.test")
            .main_cf("alias_maps", "hash:$config_directory/aliases")
            .file("aliases", "root: ann\n")
            .main_cf("mail_spool_directory", "$config_directory/../spoolmail"),
    );
    std::fs::create_dir(pf.root().join("vmail")).unwrap();
    // a socket nobody listens on any more
    let dead = pf.queue_dir().join("private/dead-lmtp");
    drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
    std::fs::set_permissions(&dead, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let rcpts = [
        "bob@pipefail.test",
        "carol@tempfail.test",
        "ann@vmail.test",
        "dave@nosuch.test",
        "root@local.test",
        "erin@quiet75.test",
        "fred@quiet69.test",
        "gina@lmtpgone.test",
        "hank@lmtpdead.test",
    ];
    for rcpt in rcpts {
        pf.submit("app@example.com", rcpt, "Subject: local\n\nx\n");
    }
    let log = pf
        .wait_for_log(
            |l| rcpts.iter().all(|r| delivered(l, r)),
            Duration::from_secs(60),
        )
        .unwrap();

    let model = model_of(&log);
    // (recipient, status, cause, what the reply must say)
    let want = [
        (
            "bob@pipefail.test",
            RowStatus::Bounced,
            Category::DeliveryCommand,
            "Command died with status 1: \"/bin/false\"",
        ),
        (
            "carol@tempfail.test",
            RowStatus::Deferred,
            Category::DeliveryCommand,
            "Command output: database is locked",
        ),
        (
            "ann@vmail.test",
            RowStatus::Deferred,
            Category::LocalMailbox,
            "Permission denied",
        ),
        (
            "dave@nosuch.test",
            RowStatus::Deferred,
            Category::PostfixSetup,
            "mail transport unavailable",
        ),
        (
            "root@local.test",
            RowStatus::Deferred,
            Category::PostfixSetup,
            "alias database unavailable",
        ),
        // a command that printed nothing: only its exit status's meaning, and the transport as
        // the relay
        (
            "erin@quiet75.test",
            RowStatus::Deferred,
            Category::DeliveryCommand,
            "temporary failure",
        ),
        (
            "fred@quiet69.test",
            RowStatus::Bounced,
            Category::DeliveryCommand,
            "service unavailable",
        ),
        // LMTP to a socket that does not exist, and to one nobody listens on
        (
            "gina@lmtpgone.test",
            RowStatus::Deferred,
            Category::LocalService,
            "[private/nosuch-lmtp]: No such file or directory",
        ),
        (
            "hank@lmtpdead.test",
            RowStatus::Deferred,
            Category::LocalService,
            "[private/dead-lmtp]: Connection refused",
        ),
    ];
    for (rcpt, status, category, evidence) in want {
        let o = outcome_for(&model, rcpt, &log);
        assert_eq!(o.status, status, "{o:?}");
        assert_eq!(o.category, Some(category), "{o:?}");
        assert!(o.reason.contains(evidence), "{o:?}");
    }

    assert!(ses.accepted().is_empty(), "nothing went to the relay");
}
