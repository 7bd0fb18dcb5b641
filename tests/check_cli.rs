//! `opsdeck check` as a monitoring system sees it: the formats and the
//! Nagios exit codes against a real private Postfix instance; then every
//! kind of source at once, all real: Postfix whose relay (the SES stand-in)
//! bounces an unverified sender, its mail log, a git checkout behind its
//! upstream with a local change and a held deploy lock, and nginx
//! terminating TLS with a certificate about to expire in front of the echo
//! listener that `check` itself starts; and proof that nothing changed.

mod support;

#[path = "deploy_support/mod.rs"]
mod deploy_support;
#[path = "probe_support/mod.rs"]
mod probe_support;

use std::process::Command;
use std::time::Duration;

use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

/// `opsdeck check --format FORMAT --config CONFIG`, with Postfix's commands on its PATH.
fn check_command(config: &std::path::Path, format: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(["check", "--format", format, "--config"])
        .arg(config)
        .env(
            "PATH",
            format!(
                "/usr/sbin:/sbin:{}",
                std::env::var("PATH").unwrap_or_default()
            ),
        );
    cmd
}

/// The perfdata items of a plugin's output as Nagios reads them: after the `|` of the first
/// line, and after the first `|` of the long output to the end.
fn nagios_perfdata(out: &str) -> Vec<String> {
    let mut lines = out.lines();
    let first = lines.next().unwrap_or_default();
    let mut perf: Vec<String> = first
        .split_once('|')
        .map(|(_, p)| p.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let mut in_perf = false;
    for line in lines {
        let items = if in_perf {
            Some(line)
        } else {
            line.split_once('|').map(|(_, p)| p)
        };
        if let Some(items) = items {
            in_perf = true;
            perf.extend(items.split_whitespace().map(String::from));
        }
    }
    perf
}

fn check(config: &std::path::Path, format: &str) -> (i32, String) {
    let out = check_command(config, format).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_reports_the_queue_in_every_format() {
    let root = tempfile::tempdir().unwrap();
    let ses = SesSmtp::start(SesOptions::default());
    // deferred mail stays deferred (no retry on a timer moves it through the active queue
    // while check looks)
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("defer_transports", "smtp")
            .retry_only_on_flush(),
    );
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "read_only = false\n[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[mail_log]\nfiles = [\"{}\"]\n[senders]\nses = false\n[check]\nqueue_warn = 2\nqueue_crit = 100\n",
            pf.config_dir().display(),
            pf.log_path().display()
        ),
    )
    .unwrap();

    // An empty queue is OK (the senders part may warn about this bare
    // instance's setup: no SASL; that is its own finding).
    let (code, out) = check(&config, "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code as i64, v["exit_code"].as_i64().unwrap(), "{out}");
    let queue_findings: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == "queue")
        .collect();
    assert!(!queue_findings.is_empty(), "{out}");
    assert!(queue_findings.iter().all(|f| f["status"] == "ok"), "{out}");

    for i in 0..3 {
        pf.submit(
            "app@example.com",
            &format!("r{i}@example.net"),
            "Subject: x\n\nbody\n",
        );
    }
    pf.wait_until_deferred(3, Duration::from_secs(30)).unwrap();

    // Three messages with queue_warn = 2: WARNING, exit 1, perfdata.
    let (code, out) = check(&config, "nagios");
    assert_eq!(code, 1, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("OPSDECK WARNING - queue"), "{first}");
    assert!(
        nagios_perfdata(&out)
            .iter()
            .any(|p| p.starts_with("'queue_messages")),
        "{out}"
    );

    let (code, out) = check(&config, "prometheus");
    assert_eq!(code, 1);
    assert!(out.contains("# TYPE opsdeck_queue_messages gauge"), "{out}");
    assert!(out.contains("opsdeck_check_status 1"), "{out}");

    let (code, out) = check(&config, "json");
    assert_eq!(code, 1);
    assert!(v_queue_warns(&out), "the queue finding is a warning: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "warning");
    let total: f64 = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "opsdeck_queue_messages")
        .map(|m| m["value"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 3.0, "{out}");
    // deferred by reason: all three wait for the same reason
    let by_reason: Vec<&serde_json::Value> = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "opsdeck_queue_deferred_messages_by_reason")
        .collect();
    assert_eq!(by_reason.len(), 1, "{out}");
    assert_eq!(by_reason[0]["value"], 3.0, "{out}");
    // named as the Failures pane names it (a stable label value: the cause, not its words)
    assert_eq!(by_reason[0]["labels"]["reason"], "postfix setup", "{out}");
    // the finding gives an example of the words too
    let queue = finding(&v, "queue")["summary"].as_str().unwrap();
    assert!(
        queue.contains("deferred by reason: 3 postfix setup (e.g. ")
            && queue.contains("deferred transport"),
        "{out}"
    );

    // the log says why: Postfix holds the transport back (defer_transports)
    assert!(
        finding(&v, "failures")["summary"]
            .as_str()
            .unwrap()
            .contains(": postfix setup x3; what to do (postfix setup): Read the warning"),
        "{out}"
    );

    let (code, out) = check(&config, "text");
    assert_eq!(code, 1);
    assert!(out.starts_with("opsdeck check: WARNING"), "{out}");

    // check never changes anything: the queue is as it was.
    assert_eq!(pf.postqueue_json().len(), 3);

    // A log the Senders part cannot read is said, not taken for a quiet day.
    let missing = root.path().join("missing.log");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[senders]\nses = false\nmail_log = \"{}\"\n",
            pf.config_dir().display(),
            missing.display()
        ),
    )
    .unwrap();
    let (_, out) = check(&config, "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let unread: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["area"] == "senders"
                && f["summary"].as_str().is_some_and(|s| {
                    s.starts_with("per-sender delivery counts unknown, the mail log was not read: ")
                        && s.ends_with(&format!("{}: not found", missing.display()))
                })
        })
        .collect();
    assert_eq!(unread.len(), 1, "{out}");
    assert_eq!(unread[0]["status"], "warning", "{out}");

    // With the journal as the mail log, the Senders part reads the journal too, not a file
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[senders]\nses = false\n\
             [mail_log]\nsource = \"journal\"\njournal_units = \"opsdeck-test-no-such-unit-*\"\n",
            pf.config_dir().display(),
        ),
    )
    .unwrap();
    let (_, out) = check(&config, "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let has_journalctl = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("journalctl").exists());
    let said = if has_journalctl {
        "journalctl: no journal entries for the units opsdeck-test-no-such-unit-*"
    } else {
        "journalctl: not found"
    };
    let unread = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["area"] == "senders"
                && f["summary"].as_str().is_some_and(|s| {
                    s.starts_with("per-sender delivery counts unknown, the mail log was not read: ")
                        && s.contains(said)
                        && !s.contains("/var/log/mail.log")
                })
        })
        .count();
    assert_eq!(unread, 1, "{out}");
}

/// A stopped Postfix: as root, `postqueue -j` still lists the queue (it reads the files itself
/// and warns on stderr), so the queue looked fine while no mail left. It is CRITICAL, and says
/// how to start it.
#[test]
fn a_stopped_postfix_is_critical_not_a_quiet_queue() {
    let root = tempfile::tempdir().unwrap();
    let pf = PostfixHarness::start(PostfixOptions::default().main_cf("defer_transports", "smtp"));
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[mail_log]\nfiles = [\"{}\"]\n[senders]\nses = false\n",
            pf.config_dir().display(),
            pf.log_path().display()
        ),
    )
    .unwrap();
    pf.submit("app@example.com", "r@example.net", "Subject: x\n\nbody\n");
    pf.wait_until_deferred(1, Duration::from_secs(30)).unwrap();
    let queue_findings = |out: &str| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["area"] == "queue")
            .map(|f| {
                (
                    f["status"].as_str().unwrap().to_string(),
                    f["summary"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (_, out) = check(&config, "json");
    assert!(
        queue_findings(&out).iter().all(|f| f.0 == "ok"),
        "running: {out}"
    );

    let stop = pf.command("postfix").arg("stop").output().unwrap();
    assert!(stop.status.success(), "{stop:?}");
    let (code, out) = check(&config, "json");
    assert_eq!(code, 2, "{out}");
    let found = queue_findings(&out);
    assert!(
        found.iter().any(|(status, summary)| status == "critical"
            && summary.contains("the mail system is down - start it with `postfix start`")
            && summary.ends_with("no mail is delivered")),
        "{found:?}"
    );
    // the queue is still listed and counted
    assert!(
        found
            .iter()
            .any(|(_, summary)| summary.starts_with("test: 1 messages queued")),
        "{found:?}"
    );
}

/// A few messages deferred because the relay (the SES stand-in) refuses the SMTP password: far
/// under the size and age thresholds, yet nothing will leave until the password map is fixed.
/// The queue area warns, naming the cause, the count and the fix; the metric counts them.
#[test]
fn mail_held_up_by_refused_credentials_warns_in_the_queue_area() {
    use support::ses_smtp::SesAuth;
    let root = tempfile::tempdir().unwrap();
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
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[mail_log]\nfiles = [\"{}\"]\n[senders]\nses = false\n",
            pf.config_dir().display(),
            pf.log_path().display()
        ),
    )
    .unwrap();
    for i in 0..3 {
        pf.submit(
            "app@example.com",
            &format!("r{i}@example.net"),
            "Subject: x\n\nbody\n",
        );
    }
    pf.wait_until_deferred(3, Duration::from_secs(60)).unwrap();
    assert!(ses.auth_attempts().iter().any(|a| !a.ok));

    let (code, out) = check(&config, "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(code >= 1, "{out}");
    let queue: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == "queue")
        .map(|f| {
            (
                f["status"].as_str().unwrap(),
                f["summary"].as_str().unwrap(),
            )
        })
        .collect();
    // three messages minutes old: the size and age say OK
    assert!(
        queue
            .iter()
            .any(|(status, s)| *status == "ok" && s.starts_with("test: 3 messages queued")),
        "{queue:?}"
    );
    // the cause says WARNING, with the count and the fix
    let held: Vec<&&str> = queue
        .iter()
        .filter(|(status, _)| *status == "warning")
        .map(|(_, s)| s)
        .collect();
    assert_eq!(held.len(), 1, "{queue:?}");
    assert!(
        held[0].starts_with(
            "test: 3 deferred messages held up by SES credentials on this host's side"
        ) && held[0].contains("535 Authentication Credentials Invalid")
            && held[0].contains("fix: Use SMTP credentials generated for SES"),
        "{}",
        held[0]
    );
    let metric: Vec<&serde_json::Value> = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "opsdeck_queue_deferred_messages_held_here")
        .collect();
    assert_eq!(metric.len(), 1, "{out}");
    assert_eq!(metric[0]["value"], 3.0);
    assert_eq!(metric[0]["labels"]["cause"], "ses_credentials");
    assert_eq!(metric[0]["labels"]["instance"], "test");

    let (_, out) = check(&config, "prometheus");
    assert!(
        out.contains(
            "opsdeck_queue_deferred_messages_held_here{instance=\"test\",cause=\"ses_credentials\"} 3"
        ),
        "{out}"
    );
}

/// A content filter on this host that is not running (`content_filter =
/// smtp:[127.0.0.1]:PORT`, nothing listening there): every message waits for it, whatever its
/// destination. The Failures model names a service on this host, not a remote connection, and
/// the queue area warns with the filter's address and the fix, though the queue is small and new.
#[test]
fn a_content_filter_that_is_down_holds_the_mail_here() {
    use opsdeck::mail::log::classify::Category;
    use opsdeck::mail::log::model::RowStatus;
    use support::maillog::{model_of, outcome_for};
    let root = tempfile::tempdir().unwrap();
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["example.com".into()],
        ..SesOptions::default()
    });
    let closed_relay = support::closed_port::ClosedPort::bind();
    let closed = closed_relay.port();
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("content_filter", format!("smtp:[127.0.0.1]:{closed}"))
            .retry_only_on_flush(),
    );
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[mail_log]\nfiles = [\"{}\"]\n[senders]\nses = false\n",
            pf.config_dir().display(),
            pf.log_path().display()
        ),
    )
    .unwrap();
    for i in 0..2 {
        pf.submit(
            "app@example.com",
            &format!("r{i}@example.net"),
            "Subject: x\n\nbody\n",
        );
    }
    pf.wait_until_deferred(2, Duration::from_secs(60)).unwrap();

    // the Failures pane's model: a local service, with Postfix's words as the evidence
    let log = pf.log();
    let model = model_of(&log);
    for rcpt in ["r0@example.net", "r1@example.net"] {
        let o = outcome_for(&model, rcpt, &log);
        assert_eq!(o.status, RowStatus::Deferred, "{o:?}");
        assert_eq!(o.category, Some(Category::LocalService), "{o:?}");
        assert!(
            o.reason.contains(&format!("127.0.0.1[127.0.0.1]:{closed}")),
            "{o:?}"
        );
    }

    let (code, out) = check(&config, "json");
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let held: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["area"] == "queue" && f["status"] == "warning")
        .map(|f| f["summary"].as_str().unwrap())
        .collect();
    assert_eq!(held.len(), 1, "{out}");
    assert!(
        held[0].starts_with(&format!(
            "test: 2 deferred messages held up by local service on this host's side, at \
             127.0.0.1:{closed} (e.g. "
        )) && held[0].contains("fix: Start or restart the service at the address named"),
        "{}",
        held[0]
    );
    let metric: Vec<&serde_json::Value> = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["name"] == "opsdeck_queue_deferred_messages_held_here"
                && m["labels"]["cause"] == "local_service"
        })
        .collect();
    assert_eq!(metric.len(), 1, "{out}");
    assert_eq!(metric[0]["value"], 2.0);
    assert!(ses.accepted().is_empty(), "nothing passed the filter");
}

/// Real Postfix bounces an unverified sender's mail: CRITICAL past `failures_crit`. The
/// identity verified and the next mail delivered, the hour of bounces before it is said, but no
/// longer makes the failures CRITICAL, nor asks for the fix already made.
#[test]
fn failures_fixed_since_are_said_but_no_longer_critical() {
    let root = tempfile::tempdir().unwrap();
    // the host's own name verified: the bounce notices to the sender go out
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["mail.example.com".into()],
        ..SesOptions::default()
    });
    let pf =
        PostfixHarness::start(PostfixOptions::relaying_to(&ses).myhostname("mail.example.com"));
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[mail_log]\nfiles = [\"{}\"]\n\
             [senders]\nses = false\n[check]\nfailures_crit = 2\n",
            pf.config_dir().display(),
            pf.log_path().display()
        ),
    )
    .unwrap();
    let bounced = |log: &str, rcpt: &str| {
        log.lines()
            .any(|l| l.contains(&format!("to=<{rcpt}>")) && l.contains("status=bounced"))
    };
    for rcpt in ["one@example.net", "two@example.net"] {
        pf.submit("app@example.com", rcpt, "Subject: x\n\nbody\n");
    }
    pf.wait_for_log(
        |l| bounced(l, "one@example.net") && bounced(l, "two@example.net"),
        Duration::from_secs(60),
    )
    .unwrap();
    let failures = |out: &str| -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        let f = finding(&v, "failures");
        (
            f["status"].as_str().unwrap().to_string(),
            f["summary"].as_str().unwrap().to_string(),
        )
    };
    let (_, out) = check(&config, "json");
    let (status, summary) = failures(&out);
    assert_eq!(status, "critical", "{summary}");
    assert!(
        summary.contains("what to do (sender unverified)"),
        "{summary}"
    );

    ses.verify("app@example.com");
    pf.submit(
        "app@example.com",
        "three@example.net",
        "Subject: x\n\nbody\n",
    );
    pf.wait_for_log(
        |l| {
            l.lines()
                .any(|l| l.contains("to=<three@example.net>") && l.contains("status=sent"))
        },
        Duration::from_secs(60),
    )
    .unwrap();
    let (_, out) = check(&config, "json");
    let (status, summary) = failures(&out);
    assert_eq!(status, "warning", "{summary}");
    assert!(
        summary.contains("but mail from app@example.com delivered since "),
        "{summary}"
    );
    assert!(
        !summary.contains("what to do (sender unverified)"),
        "{summary}"
    );
}

/// The same with the host's own name not verified either: the bounce notice of each refused
/// message is refused too, and lost. Once the sender's mail is delivered again, those failed
/// notices are part of what was fixed: the lost mail keeps the failures at WARNING, with its
/// advice, not CRITICAL.
#[test]
fn failed_bounce_notices_of_mail_fixed_since_are_no_longer_critical() {
    let root = tempfile::tempdir().unwrap();
    let ses = SesSmtp::start(SesOptions::default());
    let pf =
        PostfixHarness::start(PostfixOptions::relaying_to(&ses).myhostname("mail.example.com"));
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[mail_log]\nfiles = [\"{}\"]\n\
             [senders]\nses = false\n[check]\nfailures_crit = 3\n",
            pf.config_dir().display(),
            pf.log_path().display()
        ),
    )
    .unwrap();
    for rcpt in ["one@example.net", "two@example.net"] {
        pf.submit("app@example.com", rcpt, "Subject: x\n\nbody\n");
    }
    // both refused, and both notices to app@example.com refused in turn
    let notices_bounced = |l: &str| {
        l.lines()
            .filter(|l| l.contains("to=<app@example.com>") && l.contains("status=bounced"))
            .count()
            == 2
    };
    pf.wait_for_log(notices_bounced, Duration::from_secs(60))
        .unwrap();
    let failures = |out: &str| -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(out).unwrap();
        let f = finding(&v, "failures");
        (
            f["status"].as_str().unwrap().to_string(),
            f["summary"].as_str().unwrap().to_string(),
        )
    };
    let (_, out) = check(&config, "json");
    let (status, summary) = failures(&out);
    assert_eq!(status, "critical", "{summary}");

    ses.verify("app@example.com");
    pf.submit(
        "app@example.com",
        "three@example.net",
        "Subject: x\n\nbody\n",
    );
    pf.wait_for_log(
        |l| {
            l.lines()
                .any(|l| l.contains("to=<three@example.net>") && l.contains("status=sent"))
        },
        Duration::from_secs(60),
    )
    .unwrap();
    let (_, out) = check(&config, "json");
    let (status, summary) = failures(&out);
    assert_eq!(status, "warning", "{summary}");
    assert!(
        summary.contains("but mail from app@example.com delivered since ",)
            && summary.contains("(2 of the failures are the bounce notices of its mail)"),
        "{summary}"
    );
    assert!(summary.contains("what to do (LOST)"), "{summary}");
    // the senders line: MAILER-DAEMON's route still refuses its notices, and app@example.com,
    // whose failures were never told to it, is warned of its lost mail
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let senders = finding(&v, "senders")["summary"].as_str().unwrap();
    assert!(
        senders.starts_with(
            "1 of 3 senders failing, 1 with warnings; worst: MAILER-DAEMON: 2 bounce notice(s) \
             bounced, 0 deferred in the last day; the latest bounce (sender unverified): "
        ),
        "{senders}"
    );
    // and it says why it still fails while the failures line counts those notices as fixed
    assert!(
        senders.contains(
            "; no notice delivered since: the sender of the next failed mail is not told either \
             (mail from app@example.com, whose notices failed, is delivered again: that fixed \
             its mail, not this route)"
        ),
        "{senders}"
    );
}

fn v_queue_warns(out: &str) -> bool {
    let v: serde_json::Value = serde_json::from_str(out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["area"] == "queue" && f["status"] == "warning")
}

#[test]
fn unreadable_source_is_unknown() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        "[[postfix]]\nname = \"gone\"\nconfig_dir = \"/nonexistent/postfix\"\n[senders]\nses = false\n",
    )
    .unwrap();
    let (code, out) = check(&config, "nagios");
    assert_eq!(code, 3, "{out}");
    assert!(out.starts_with("OPSDECK UNKNOWN - "), "{out}");
    // postconf named as a person would type it, without the dozen parameters it was asked
    assert!(
        out.lines().any(
            |l| l.starts_with("UNKNOWN senders: cannot read the relay setup: ")
                && l.ends_with(" (postconf -c /nonexistent/postfix -x)")
        ),
        "{out}"
    );
    // a configured log that does not exist says where the lines may be instead
    let log = root.path().join("mail.log");
    std::fs::write(
        &config,
        format!(
            "[mail_log]\nfiles = {:?}\n[senders]\nses = false\n",
            log.display().to_string()
        ),
    )
    .unwrap();
    let (code, out) = check(&config, "text");
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(&format!(
            "UNKNOWN  failures  {}: not found (no syslog daemon writing it? set source = \"journal\" in [mail_log], or files to Postfix's own maillog_file)",
            log.display()
        )),
        "{out}"
    );
}

#[test]
fn broken_config_is_unknown_for_monitoring() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(&config, "[check]\nqueue_wran = 3\n").unwrap();
    let (code, out) = check(&config, "nagios");
    assert_eq!(code, 3);
    assert!(
        out.starts_with("OPSDECK UNKNOWN - configuration: "),
        "{out}"
    );
    assert!(out.contains(":2:1:") && out.contains("queue_wran"), "{out}");

    // in the format asked for: a .prom file node_exporter can read
    let (code, out) = check(&config, "prometheus");
    assert_eq!(code, 3, "{out}");
    for line in out.lines() {
        assert!(
            line.starts_with("# HELP opsdeck_")
                || line.starts_with("# TYPE opsdeck_")
                || line.starts_with("opsdeck_"),
            "not exposition format: {line:?} in\n{out}"
        );
    }
    assert!(
        out.contains("# TYPE opsdeck_check_status gauge\nopsdeck_check_status 3\n"),
        "{out}"
    );
    assert!(
        out.contains("opsdeck_check_area_status{area=\"configuration\"} 3\n"),
        "{out}"
    );

    // and the JSON document's shape
    let (code, out) = check(&config, "json");
    assert_eq!(code, 3, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["status"], "unknown", "{out}");
    assert_eq!(v["exit_code"], 3, "{out}");
    let f = finding(&v, "configuration");
    assert_eq!(f["status"], "unknown", "{out}");
    let text = f["summary"].as_str().unwrap();
    assert!(
        text.contains(":2:1:") && text.contains("queue_wran"),
        "{out}"
    );
}

/// `opsdeck check` with its standard output sent to `stdout`: the exit status and what it said
/// on standard error.
fn check_into(
    config: &std::path::Path,
    format: &str,
    stdout: std::process::Stdio,
) -> (i32, String) {
    let out = check_command(config, format)
        .stdout(stdout)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unwritable_stdout_is_unknown_and_a_closed_pipe_is_no_error() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("mail.log");
    std::fs::write(&log, "").unwrap();
    let good = root.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "postfix = []\n[mail_log]\nfiles = [{:?}]\n[senders]\nses = false\n",
            log.display().to_string()
        ),
    )
    .unwrap();
    let broken = root.path().join("broken.toml");
    std::fs::write(&broken, "[check]\nqueue_wran = 3\n").unwrap();
    for config in [&good, &broken] {
        for format in ["text", "json", "nagios", "prometheus"] {
            // a full disk: one line on stderr, UNKNOWN
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let (code, err) = check_into(config, format, full.into());
            assert_eq!(code, 3, "{format}: {err}");
            assert!(!err.contains("panicked"), "{format}: {err}");
            assert_eq!(err.lines().count(), 1, "{format}: {err}");
            assert!(
                err.starts_with("opsdeck check: cannot write the report to standard output: "),
                "{format}: {err}"
            );

            // a reader that went away (`| true`): the status stands, nothing is said
            let (expected, _) = check_into(config, format, std::process::Stdio::null());
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let (code, err) = check_into(config, format, writer.into());
            assert_eq!(code, expected, "{format}: {err}");
            assert!(err.is_empty(), "{format}: {err}");
        }
    }
}

#[test]
fn check_usage_errors_exit_unknown_and_other_subcommands_keep_2() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["check", "--format", "bogus"][..],
        &["check", "--bogus"],
        &["--config", "/nonexistent.toml", "check", "--write"],
    ] {
        let (code, err) = run(args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    // A monitoring system reads standard output: a typo in the command it runs is said there,
    // in the format asked for (a plugin with no output is an UNKNOWN no one can explain, and an
    // empty .prom file drops every series)
    let stdout = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = stdout(&["check", "--format", "nagios", "--bogus"]);
    assert!(
        out.starts_with("OPSDECK UNKNOWN - usage: unexpected argument '--bogus'"),
        "{out}"
    );
    let out = stdout(&["check", "--format=prometheus", "--bogus"]);
    assert!(out.contains("\nopsdeck_check_status 3\n"), "{out}");
    let out = stdout(&["check", "--format", "nagois"]);
    assert!(
        out.starts_with("opsdeck check: UNKNOWN\nUNKNOWN  usage     invalid value 'nagois'"),
        "{out}"
    );
    let (code, err) = run(&["summary", "--bogus"]);
    assert_eq!(code, 2, "{err}");
    // the dashboard's --write given where it does nothing: refused, as usage
    let (code, err) = run(&["--write", "check"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.starts_with("error: --write does not apply to `opsdeck check`"),
        "{err}"
    );
    for args in [&["--write", "demo"][..], &["demo", "--write"]] {
        let (code, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("--write"), "{args:?}: {err}");
    }
    let (code, err) = run(&["--bogus"]);
    assert_eq!(code, 2, "{err}");
    let (code, err) = run(&["check", "--help"]);
    assert_eq!(code, 0, "{err}");
}

/// The README's node_exporter recipe, run as cron would (`sh -c`), with the textfile directory
/// in `dir` and `opsdeck` found on `path`.
fn readme_recipe(dir: &std::path::Path, path: &std::path::Path, config: &std::path::Path) {
    let readme = include_str!("../README.md");
    let at = readme
        .find("For node_exporter, run it from cron")
        .expect("the node_exporter recipe in README.md");
    let block = &readme[at..];
    let start = block.find("```sh\n").expect("the recipe's code block") + "```sh\n".len();
    let end = start + block[start..].find("```").unwrap();
    let recipe = block[start..end].trim();
    assert!(
        recipe.contains("/var/lib/node_exporter/textfile/"),
        "{recipe}"
    );
    let recipe = recipe.replace(
        "/var/lib/node_exporter/textfile/",
        &format!("{}/", dir.display()),
    );
    let status = Command::new("sh")
        .args(["-c", &recipe])
        .env(
            "PATH",
            format!(
                "{}:{}",
                path.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("OPSDECK_CONFIG", config)
        .status()
        .unwrap();
    assert!(status.success(), "{recipe}: {status}");
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn readme_node_exporter_recipe_replaces_the_file_whatever_the_status() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let textfile = root.path().join("textfile");
    let bin = root.path().join("bin");
    std::fs::create_dir(&textfile).unwrap();
    std::fs::create_dir(&bin).unwrap();
    let prom = textfile.join("opsdeck.prom");

    // The real opsdeck on a host it cannot read: UNKNOWN, exit 3, and the file says so.
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_opsdeck"), bin.join("opsdeck")).unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        "[[postfix]]\nname = \"gone\"\nconfig_dir = \"/nonexistent/postfix\"\n[senders]\nses = false\n",
    )
    .unwrap();
    readme_recipe(&textfile, &bin, &config);
    assert_eq!(files_in(&textfile), ["opsdeck.prom"]);
    let text = std::fs::read_to_string(&prom).unwrap();
    assert!(text.ends_with("opsdeck_check_status 3\n"), "{text}");

    // Each status replaces it; anything else (a crash) leaves the last one and no temporary file.
    let fake = |code: i32| {
        let f = bin.join("opsdeck");
        let _ = std::fs::remove_file(&f);
        std::fs::write(
            &f,
            format!("#!/bin/sh\necho 'opsdeck_check_status {code}'\nexit {code}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    for code in [0, 1, 2, 3] {
        fake(code);
        readme_recipe(&textfile, &bin, &config);
        assert_eq!(files_in(&textfile), ["opsdeck.prom"], "exit {code}");
        assert_eq!(
            std::fs::read_to_string(&prom).unwrap(),
            format!("opsdeck_check_status {code}\n")
        );
    }
    fake(101);
    readme_recipe(&textfile, &bin, &config);
    assert_eq!(files_in(&textfile), ["opsdeck.prom"]);
    assert_eq!(
        std::fs::read_to_string(&prom).unwrap(),
        "opsdeck_check_status 3\n"
    );
}

fn finding<'a>(v: &'a serde_json::Value, area: &str) -> &'a serde_json::Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["area"] == area)
        .unwrap_or_else(|| panic!("no {area} finding in {v:#}"))
}

fn refs(site: &std::path::Path) -> String {
    deploy_support::git(site, &["for-each-ref", "--format=%(refname) %(objectname)"])
        + &deploy_support::git(site, &["rev-parse", "HEAD"])
}

#[test]
fn check_reads_log_repository_and_probe() {
    let root = tempfile::tempdir().unwrap();

    // Mail: one message from a sender SES has not verified bounces.
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["ok.example".into()],
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(PostfixOptions::relaying_to(&ses));
    pf.submit(
        "app@example.com",
        "someone@example.net",
        "Subject: hello\n\nbody\n",
    );
    // The bounce notice to app@example.com goes the same way and bounces
    // too (MAILER-DAEMON is not verified either): a lost bounce.
    pf.wait_for_log(
        |l| l.matches("status=bounced").count() >= 2,
        Duration::from_secs(60),
    )
    .expect("the relay bounces the unverified sender and then its bounce notice");

    // Deploy: behind origin/main by one commit, a local edit, a held lock.
    let repo = deploy_support::Fixture::new();
    std::fs::write(
        repo.site.join("index.html"),
        "<h1>edited on the server</h1>\n",
    )
    .unwrap();
    let lock = opsdeck::deploy::lock::acquire(&repo.git_dir(), None, &deploy_support::access())
        .expect("take the deploy lock");

    // Probe: nginx with a certificate that expires in five days, in front of
    // the echo listener on a port check will bind.
    let dir = probe_support::tempdir();
    let certs = probe_support::make_certs(dir.path(), 5);
    let [echo_port] = probe_support::ports::free_ports();
    let (_nginx, [tls, http]) = probe_support::Nginx::start(dir.path(), "", |[tls, http]| {
        probe_support::correct_balancer(
            dir.path(),
            &certs,
            http,
            tls,
            format!("127.0.0.1:{echo_port}").parse().unwrap(),
        )
    });

    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"read_only = false
[[postfix]]
name = "test"
config_dir = "{pf_dir}"
[mail_log]
files = ["{log}"]
[senders]
ses = false
[[deploy]]
name = "site"
path = "{site}"
[probe.echo]
enabled = true
listen = "127.0.0.1:{echo_port}"
trusted_proxies = ["{src}/32"]
[[probe.targets]]
name = "www"
url = "https://{host}:{tls}/"
resolve = "127.0.0.1"
http_url = "http://{host}:{http}/"
echo_url = "https://{host}:{tls}/.opsdeck-echo"
expect_client = "127.0.0.1"
ca_file = "{ca}"
"#,
            pf_dir = pf.config_dir().display(),
            log = pf.log_path().display(),
            site = repo.site.display(),
            src = probe_support::PROXY_SOURCE,
            host = probe_support::HOST,
            ca = certs.ca.display(),
        ),
    )
    .unwrap();

    let files_before = deploy_support::tree_bytes(&repo.site);
    let refs_before = refs(&repo.site);
    let queue_before = pf.postqueue_json();

    let (code, out) = check(&config, "json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        code, 2,
        "a certificate 5 days from expiry is CRITICAL: {out}"
    );
    assert_eq!(v["status"], "critical");

    let failures = finding(&v, "failures");
    assert_eq!(failures["status"], "warning", "{failures}");
    let text = failures["summary"].as_str().unwrap();
    assert!(
        text.starts_with(
            "2 failed deliveries in the last 1h (2 bounced; 0 sent): sender unverified x2"
        ),
        "{text}"
    );
    assert!(
        text.contains("; 1 message(s) lost (nobody was told); what to do (sender unverified): "),
        "{text}"
    );

    let deploy = finding(&v, "deploy");
    assert_eq!(deploy["status"], "warning", "{deploy}");
    let text = deploy["summary"].as_str().unwrap();
    for part in [
        "site: ",
        "(detached)",
        "1 commit(s) behind origin/main as of the last fetch",
        "1 local modification(s)",
        "deploy lock held by ",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }

    let probe = finding(&v, "probe");
    assert_eq!(probe["status"], "critical", "{probe}");
    let text = probe["summary"].as_str().unwrap();
    assert!(text.starts_with("www: "), "{text}");
    assert!(
        text.contains("certificate expires in 4 day(s)")
            || text.contains("certificate expires in 5 day(s)"),
        "{text}"
    );

    let (code, out) = check(&config, "nagios");
    assert_eq!(code, 2, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("OPSDECK CRITICAL - "), "{first}");
    assert!(
        nagios_perfdata(&out)
            .iter()
            .any(|p| p.starts_with("'probe_certificate_expiry_days_www'=")),
        "{out}"
    );

    let (code, out) = check(&config, "prometheus");
    assert_eq!(code, 2);
    for line in [
        "opsdeck_deploy_behind_commits{target=\"site\"} 1\n",
        "opsdeck_deploy_lock_held{target=\"site\"} 1\n",
        "opsdeck_mail_deliveries{status=\"bounced\",window=\"1h\"} 2\n",
        "opsdeck_mail_deliveries{status=\"lost\",window=\"1h\"} 1\n",
        "opsdeck_check_status 2\n",
        "opsdeck_check_area_status{area=\"failures\"} 1\n",
        "opsdeck_check_area_status{area=\"probe\"} 2\n",
    ] {
        assert!(out.contains(line), "{line:?} not in\n{out}");
    }
    assert!(
        out.contains("# TYPE opsdeck_probe_certificate_expiry_days gauge"),
        "{out}"
    );

    let (code, out) = check(&config, "text");
    assert_eq!(code, 2);
    assert!(out.starts_with("opsdeck check: CRITICAL"), "{out}");

    // Nothing changed: files, refs, the lock and the queue are as they were.
    assert_eq!(deploy_support::tree_bytes(&repo.site), files_before);
    assert_eq!(refs(&repo.site), refs_before);
    assert!(
        opsdeck::deploy::lock::read(&repo.git_dir()).is_some(),
        "the lock is still held"
    );
    assert_eq!(pf.postqueue_json().len(), queue_before.len());
    drop(lock);
}

/// `check --format json`, with a guard (not a measure): a check that does not end within
/// `guard_secs` fails the test instead of hanging the suite. The exit code, the document, its text.
fn check_json_within(
    config: &std::path::Path,
    guard_secs: u64,
    with: &str,
) -> (Option<i32>, serde_json::Value, String) {
    json_within(check_command(config, "json"), guard_secs, with)
}

/// [`check_json_within`] for a command made by the caller.
fn json_within(
    mut command: Command,
    guard_secs: u64,
    with: &str,
) -> (Option<i32>, serde_json::Value, String) {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let guard = std::time::Instant::now() + Duration::from_secs(guard_secs);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > guard {
            let _ = child.kill();
            panic!("opsdeck check did not end with {with}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (out.status.code(), v, text)
}

/// A backend that takes connections and never answers: the kernel completes the handshakes
/// into the listen queue and nobody ever reads them, as with a hung application server.
fn silent_backend() -> (std::net::TcpListener, std::net::SocketAddr) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

#[test]
fn a_slow_site_is_named_and_the_other_areas_still_report() {
    let root = tempfile::tempdir().unwrap();
    // The balancer answers its own redirect and TLS at once, then waits on a backend that
    // never answers (nginx would wait its proxy_read_timeout, a minute).
    let (_backend, backend) = silent_backend();
    let dir = probe_support::tempdir();
    let certs = probe_support::make_certs(dir.path(), 90);
    let (_nginx, [tls, http]) = probe_support::Nginx::start(dir.path(), "", |[tls, http]| {
        probe_support::correct_balancer(dir.path(), &certs, http, tls, backend)
    });

    let repo = deploy_support::Fixture::new();
    let log = root.path().join("mail.log");
    std::fs::write(&log, "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[queue]
postqueue_command = ["true"]
[mail_log]
files = ["{log}"]
[senders]
ses = false
[[deploy]]
name = "site"
path = "{site}"
[check]
probe_deadline_secs = 3
[[probe.targets]]
name = "www"
url = "https://{host}:{tls}/"
resolve = "127.0.0.1"
http_url = "http://{host}:{http}/"
echo_url = "https://{host}:{tls}/.opsdeck-echo"
ca_file = "{ca}"
"#,
            log = log.display(),
            site = repo.site.display(),
            host = probe_support::HOST,
            ca = certs.ca.display(),
        ),
    )
    .unwrap();

    let (_, v, out) = check_json_within(&config, 180, "a backend that never answers");
    assert_eq!(v["status"], "critical", "{out}");

    let probe = finding(&v, "probe");
    assert_eq!(probe["status"], "critical", "{probe}");
    let text = probe["summary"].as_str().unwrap();
    assert!(
        text.starts_with(
            "www: no answer within 3 s, the time check gives the probe ([check] probe_deadline_secs): \
             redirects, baseline, forged headers, two XFF lines not judged"
        ),
        "{text}"
    );
    // the handshake was answered: the certificate is still judged, and passes
    assert!(!text.contains("certificate"), "{text}");
    assert!(
        v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "opsdeck_probe_certificate_expiry_days"),
        "{out}"
    );

    // the other areas report as they would without the probe
    assert_eq!(finding(&v, "queue")["status"], "ok", "{out}");
    assert!(
        finding(&v, "deploy")["summary"]
            .as_str()
            .unwrap()
            .starts_with("site: "),
        "{out}"
    );
    finding(&v, "failures");
}

/// Put a named pipe where the checkout's index is: git2 opens it to read the work tree's status
/// and waits there for a writer that never comes. (The deploy journal and lock are opened
/// without waiting, so they cannot stand in for a hung disk.)
fn index_is_a_fifo(repo: &deploy_support::Fixture) {
    let index = repo.git_dir().join("index");
    std::fs::remove_file(&index).unwrap();
    let made = Command::new("mkfifo").arg(&index).status().unwrap();
    assert!(made.success(), "mkfifo");
}

#[test]
fn reads_that_hang_are_unknown_and_named_and_the_check_ends() {
    let root = tempfile::tempdir().unwrap();
    // A checkout whose index is a named pipe: git2's read of it waits for a writer, as a read
    // on a hung NFS docroot waits for the server.
    let repo = deploy_support::Fixture::new();
    index_is_a_fifo(&repo);
    let log = root.path().join("mail.log");
    std::fs::write(&log, "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[postfix]]
name = "stuck"
config_dir = "/etc/postfix"
command_prefix = ["sh", "-c", "sleep 20", "sh"]
[queue]
postqueue_command = ["sleep", "300"]
[mail_log]
files = ["{log}"]
[senders]
ses = false
[[deploy]]
name = "site"
path = "{site}"
[check]
read_timeout_secs = 2
"#,
            log = log.display(),
            site = repo.site.display(),
        ),
    )
    .unwrap();

    let (code, v, out) = check_json_within(&config, 120, "reads that hang");
    assert_eq!(code, Some(3), "{out}");
    for (area, said) in [
        (
            "queue",
            "stuck: sleep 300 gave no answer in 2 s ([check] read_timeout_secs): stopped; the \
             queue is not known",
        ),
        (
            "deploy",
            "site: reading the work tree gave no answer in 2 s ([check] read_timeout_secs): a \
             hung disk or network file system?",
        ),
        (
            "senders",
            "sh -c sleep 20 sh postconf -x gave no answer in 2 s ([check] read_timeout_secs): \
             stopped; the relay setup is not known",
        ),
    ] {
        let f = finding(&v, area);
        assert_eq!(f["status"], "unknown", "{f}");
        assert_eq!(f["summary"], said, "{f}");
    }
    // the area that could be read reports as usual
    assert_ne!(finding(&v, "failures")["status"], "unknown", "{out}");
}

/// The processes whose command line is `argv`, read from /proc.
fn running(argv: &[&str]) -> Vec<String> {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == want))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Look with `f` every 50 ms until it gives a value or `secs` have passed; the last look's
/// value (`None`: time ran out).
fn poll<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait (a minute at most) until nothing runs `argv`; what still does then.
fn gone(argv: &[&str]) -> Vec<String> {
    poll(60, || running(argv).is_empty().then(Vec::new)).unwrap_or_else(|| running(argv))
}

#[test]
fn a_hung_postqueue_postconf_or_checkout_is_named_within_the_deadline_and_stopped() {
    let root = tempfile::tempdir().unwrap();
    // postqueue and postconf that never answer, found on PATH as the real ones are; each
    // waits for a child of its own, which must not outlive the check either
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for (name, secs) in [("postqueue", "86411"), ("postconf", "86412")] {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/bin/sh\nsleep {secs}\nexit 0\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // a checkout whose index is a named pipe: git2's read of it waits in the kernel
    let repo = deploy_support::Fixture::new();
    index_is_a_fifo(&repo);
    let log = root.path().join("mail.log");
    std::fs::write(&log, "").unwrap();
    let config = root.path().join("config.toml");
    // read_timeout_secs left at its 30 s: the deadline alone bounds the check
    std::fs::write(
        &config,
        format!(
            r#"[[postfix]]
name = "main"
config_dir = "/etc/postfix"
[mail_log]
files = ["{log}"]
[senders]
ses = false
[[deploy]]
name = "site"
path = "{site}"
[check]
deadline_secs = 3
"#,
            log = log.display(),
            site = repo.site.display(),
        ),
    )
    .unwrap();
    let mut cmd = check_command(&config, "json");
    cmd.env(
        "PATH",
        format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );

    // well before read_timeout_secs: the check did not wait for it
    let (code, v, out) = json_within(cmd, 20, "a hung postqueue, postconf and checkout");
    assert_eq!(code, Some(3), "{out}");
    for (area, said) in [
        (
            "queue",
            "main: postqueue -j gave no answer in 3 s ([check] deadline_secs): stopped; the queue \
             is not known",
        ),
        (
            "senders",
            "postconf -x gave no answer in 3 s ([check] deadline_secs): stopped; the relay setup \
             is not known",
        ),
        (
            "deploy",
            "site: reading the work tree gave no answer in 3 s ([check] deadline_secs): a hung \
             disk or network file system?",
        ),
    ] {
        let f = finding(&v, area);
        assert_eq!(f["status"], "unknown", "{f}");
        assert_eq!(f["summary"], said, "{f}");
    }
    // the area that could be read reports as usual
    assert_ne!(finding(&v, "failures")["status"], "unknown", "{out}");
    // nothing the check started is left running
    for secs in ["86411", "86412"] {
        assert_eq!(gone(&["sleep", secs]), Vec::<String>::new(), "sleep {secs}");
    }
}

/// A monitoring system's own timeout (SIGTERM) while the commands of the check hang (a `sudo`
/// prefix waiting for a password, an `ssh` to a host gone): the check ends at once, UNKNOWN and
/// saying why, and nothing it started is left running, though its commands run in sessions of
/// their own, which the signal does not reach: neither postqueue nor postconf, run by tasks,
/// nor journalctl, run on a blocking thread, nor the children they wait on.
#[test]
fn a_check_stopped_by_sigterm_ends_its_commands_and_says_so() {
    let root = tempfile::tempdir().unwrap();
    let started = root.path().join("started");
    // the prefix waits on a child of its own, and writes down both pids and what it runs; so
    // does a journalctl found on PATH, which the mail log's part runs in the check's own
    // process group, from a blocking thread
    let script = format!("sleep 86415 & echo $$ $! $* >> {}; wait", started.display());
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let journalctl = bin.join("journalctl");
    std::fs::write(
        &journalctl,
        format!(
            "#!/bin/sh\nsleep 86415 & echo $$ $! journalctl >> {}\nwait\n",
            started.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&journalctl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = prefix_config(root.path(), &script, "source = \"journal\"");
    let mut check = check_command(&config, "json");
    check.env(
        "PATH",
        format!(
            "{}:/usr/sbin:/sbin:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let check = check.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let read = || std::fs::read_to_string(&started).unwrap_or_default();
    let hung = poll(60, || {
        let text = read();
        ["postqueue -j", "postconf -x", "journalctl"]
            .iter()
            .all(|c| text.contains(c))
            .then_some(text)
    })
    .unwrap_or_else(|| {
        panic!(
            "postqueue, postconf and journalctl did not all start: {:?}",
            read()
        )
    });
    let f = stopped_by_sigterm(check);
    let said = f["summary"].as_str().unwrap();
    assert!(said.starts_with("stopped by SIGTERM after "), "{said}");
    assert!(
        said.ends_with(
            " s, before every source was read: the host's state is not known (the commands it \
             had started were ended)"
        ),
        "{said}"
    );
    // every command and every child it waited on is gone (or dead, waiting to be reaped)
    for line in hung.lines() {
        for pid in line.split_whitespace().take(2) {
            assert!(
                !alive_within(pid, 60),
                "{pid} of {line:?} outlived the check"
            );
        }
    }
    assert_eq!(gone(&["sleep", "86415"]), Vec::<String>::new());
}

/// Whether process `pid` still runs after waiting up to `secs` for it to end; a zombie (dead,
/// not yet reaped by whoever inherited it) has ended.
fn alive_within(pid: &str, secs: u64) -> bool {
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with(['Z', 'X']))
        })
    };
    poll(secs, || (!alive()).then_some(())).is_none()
}

/// The configuration of a check whose Postfix commands run through `prefix_script` (`sh -c`),
/// with `mail_log` as its `[mail_log]` table, deadlines far away: the script decides how each
/// command ends, or the test's signal stops the check.
fn prefix_config(
    root: &std::path::Path,
    prefix_script: &str,
    mail_log: &str,
) -> std::path::PathBuf {
    let config = root.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[postfix]]
name = "main"
config_dir = "/etc/postfix"
command_prefix = ["sh", "-c", "{prefix_script}", "sh"]
[mail_log]
{mail_log}
[senders]
ses = false
[check]
read_timeout_secs = 3600
deadline_secs = 3600
"#
        ),
    )
    .unwrap();
    config
}

/// A `[mail_log]` table naming `mail.log` in `root`.
fn mail_log_in(root: &std::path::Path) -> String {
    format!(
        "source = \"file\"\nfiles = [\"{}\"]",
        root.join("mail.log").display()
    )
}

/// SIGTERM to a running check, then its exit status and its JSON report, which must be one
/// UNKNOWN finding for the check as a whole.
fn stopped_by_sigterm(mut check: std::process::Child) -> serde_json::Value {
    let sent = Command::new("kill")
        .args(["-TERM", &check.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    if poll(60, || check.try_wait().unwrap()).is_none() {
        let _ = check.kill();
        panic!("opsdeck check did not end on SIGTERM");
    }
    let out = check.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(3), "{:?}: {text}", out.status);
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let f = finding(&v, "check").clone();
    assert_eq!(f["status"], "unknown", "{f}");
    f
}

/// A check started by a wrapper that runs a program of its own and then becomes the check
/// (`logger & exec opsdeck check`): the check has that child from its start. Stopped by
/// SIGTERM, it ends the commands it started, and not that child, which was never its own.
#[test]
fn a_check_stopped_by_sigterm_leaves_the_children_it_was_started_with() {
    let root = tempfile::tempdir().unwrap();
    let started = root.path().join("started");
    let inherited = root.path().join("inherited");
    let script = format!("echo $$ $* >> {}; exec sleep 86416", started.display());
    let files = mail_log_in(root.path());
    let config = prefix_config(root.path(), &script, &files);
    let check = check_command(&config, "json");
    // the wrapper's own child writes elsewhere: the check's output ends with the check
    let mut wrapper = Command::new("/bin/sh");
    wrapper
        .arg("-c")
        .arg(r#"sleep 86417 >/dev/null & echo $! > "$0.new" && mv "$0.new" "$0"; exec "$@""#)
        .arg(&inherited)
        .arg(check.get_program())
        .args(check.get_args())
        .envs(check.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let check = wrapper
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (hung, sleeper) = poll(60, || {
        let text = std::fs::read_to_string(&started).unwrap_or_default();
        let pid = std::fs::read_to_string(&inherited).unwrap_or_default();
        (text.contains("postqueue -j") && !pid.trim().is_empty())
            .then(|| (text, pid.trim().to_string()))
    })
    .expect("postqueue did not start");
    stopped_by_sigterm(check);
    // the child it was started with, as it is once the check has ended (then ended here)
    let status = std::fs::read_to_string(format!("/proc/{sleeper}/status")).unwrap_or_default();
    let _ = Command::new("kill").args(["-KILL", &sleeper]).status();
    // what the check started is gone
    for line in hung.lines() {
        let pid = line.split_whitespace().next().unwrap();
        assert!(
            !alive_within(pid, 60),
            "{pid} of {line:?} outlived the check"
        );
    }
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let pending = |name: &str| u64::from_str_radix(&field(name), 16).unwrap_or(0);
    // the child it was started with was not signalled: running, and no SIGKILL on its way
    assert!(
        field("State:").starts_with(['S', 'R'])
            && pending("SigPnd:") & 0x100 == 0
            && pending("ShdPnd:") & 0x100 == 0,
        "the child the check was started with was ended: {status}"
    );
}

#[test]
fn a_hung_postconf_asked_for_postfix_own_log_is_stopped_at_the_deadline_too() {
    // asked only on a host without /var/log/mail.log, for a configuration that names no log
    if std::path::Path::new("/var/log/mail.log").exists() {
        eprintln!("/var/log/mail.log exists here: postconf is not asked for maillog_file");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let path = bin.join("postconf");
    std::fs::write(&path, "#!/bin/sh\nsleep 86413\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        // an ESC in the command's words: escaped once in the finding
        "[[postfix]]\nname = \"main\"\nconfig_dir = \"/etc/postfix\"\n\
         command_prefix = [\"env\", \"TAG=a\\u001bb\"]\n[queue]\n\
         postqueue_command = [\"true\"]\n[senders]\nses = false\n[check]\ndeadline_secs = 3\n",
    )
    .unwrap();
    let mut cmd = check_command(&config, "json");
    cmd.env(
        "PATH",
        format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let (code, v, out) = json_within(cmd, 20, "a hung postconf -h maillog_file");
    assert_eq!(code, Some(3), "{out}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["area"] == "failures"
                && f["status"] == "unknown"
                && f["summary"]
                    == "env TAG=a\\eb postconf -h maillog_file gave no answer in 3 s \
                    ([check] deadline_secs): stopped; Postfix's own log file was not looked for"),
        "{out}"
    );
    // the queue was read meanwhile
    assert_eq!(finding(&v, "queue")["status"], "ok", "{out}");
    assert_eq!(gone(&["sleep", "86413"]), Vec::<String>::new());
}

/// An empty `main.cf` in `etc`, written a minute ago: Postfix waits until a configuration file
/// written in the last second is older before it reads it, and a check given a deadline of a
/// second or two would otherwise find postconf silent for that long.
fn empty_main_cf(etc: &std::path::Path) {
    let path = etc.join("main.cf");
    std::fs::write(&path, "").unwrap();
    let f = std::fs::File::options().write(true).open(&path).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

#[test]
fn a_journalctl_that_writes_nothing_is_given_up_on_and_stopped() {
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // journalctl that never writes a line nor ends: the read of it blocks in the kernel
    let path = bin.join("journalctl");
    std::fs::write(&path, "#!/bin/sh\nsleep 86415\nexit 0\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let etc = root.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    empty_main_cf(&etc);
    std::fs::write(etc.join("master.cf"), "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"default\"\nconfig_dir = \"{}\"\n[queue]\n\
             postqueue_command = [\"true\"]\n[mail_log]\nsource = \"journal\"\n[senders]\n\
             ses = false\n[check]\ndeadline_secs = 2\n",
            etc.display()
        ),
    )
    .unwrap();
    let mut cmd = check_command(&config, "json");
    cmd.env(
        "PATH",
        format!(
            "{}:/usr/sbin:/sbin:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let (code, v, out) = json_within(cmd, 30, "a journalctl that writes nothing");
    assert_eq!(code, Some(3), "{out}");
    let failures = finding(&v, "failures");
    assert_eq!(failures["status"], "unknown", "{out}");
    assert!(
        failures["summary"]
            .as_str()
            .unwrap()
            .starts_with("journalctl: no line came back within 2 s ([check] deadline_secs)"),
        "{out}"
    );
    // neither the failures' journalctl nor the senders' is left running
    assert_eq!(gone(&["sleep", "86415"]), Vec::<String>::new(), "{out}");
}

/// A mail log that is a named pipe fed a delivered message's line every 20 ms for as long as
/// anyone reads it (two minutes at most): a read of it never ends by itself, as the read of a
/// very busy day on a slow disk looks to the check.
fn endless_log(path: &std::path::Path) {
    use std::io::Write;
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo");
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&path) else {
            return;
        };
        let end = std::time::Instant::now() + Duration::from_secs(120);
        let mut n = 0u64;
        while std::time::Instant::now() < end {
            n += 1;
            let now = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z");
            let line = format!(
                "{now} web postfix/qmgr[5]: {id:010X}: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n\
                 {now} web postfix/smtp[7]: {id:010X}: to=<r{n}@example.net>, relay=mx.example.net[192.0.2.1]:25, \
                 delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)\n",
                id = 0x1_0000 + n
            );
            // fails once every reader is gone
            if w.write_all(line.as_bytes()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
}

#[test]
fn log_reads_stop_at_the_deadline_and_say_how_far_they_got() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("mail.log");
    endless_log(&log);
    // a Postfix configuration with nothing in it: the senders' setup reads at once
    let etc = root.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    empty_main_cf(&etc);
    std::fs::write(etc.join("master.cf"), "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[postfix]]
name = "default"
config_dir = "{etc}"
[queue]
postqueue_command = ["true"]
[mail_log]
files = ["{log}"]
[senders]
ses = false
[check]
deadline_secs = 2
"#,
            etc = etc.display(),
            log = log.display(),
        ),
    )
    .unwrap();

    // without the deadline both reads of the log last as long as its writer writes
    let (code, v, out) = check_json_within(&config, 60, "a log that never ends");
    assert_eq!(code, Some(3), "{out}");
    let said = |area: &str, words: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["area"] == area && f["summary"].as_str().unwrap().contains(words))
            .unwrap_or_else(|| panic!("no {area} finding with {words:?}: {out}"))
            .clone()
    };
    let cut = said("failures", "read stopped at the check's deadline");
    assert_eq!(cut["status"], "unknown", "{cut}");
    let text = cut["summary"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "{}: read stopped at the check's deadline (2 s, [check] deadline_secs)",
            log.display()
        )),
        "{text}"
    );
    // the count is said to be of the part read, never of the whole hour
    let counted = said("failures", "in the part of the last 1h read, up to ");
    assert!(
        !out.contains("in the last 1h"),
        "a count of lines not read: {out}"
    );
    assert_ne!(counted["status"], "unknown", "{counted}");
    let senders = said(
        "senders",
        "per-sender delivery counts cover the day's log only",
    );
    assert_eq!(senders["status"], "warning", "{senders}");
    assert!(
        senders["summary"]
            .as_str()
            .unwrap()
            .contains("read stopped at the check's deadline (2 s, [check] deadline_secs)"),
        "{senders}"
    );
}

/// A mail log that is a named pipe nobody writes to: opening it waits for ever, as a read on
/// a hung file system does, and nothing can stop it from inside. The check gives it up a
/// moment after the deadline, says so, and ends.
#[test]
fn a_log_read_blocked_for_ever_is_given_up_and_named() {
    let root = tempfile::tempdir().unwrap();
    let log = root.path().join("mail.log");
    let made = Command::new("mkfifo").arg(&log).status().unwrap();
    assert!(made.success(), "mkfifo");
    let etc = root.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    empty_main_cf(&etc);
    std::fs::write(etc.join("master.cf"), "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[postfix]]
name = "default"
config_dir = "{etc}"
[queue]
postqueue_command = ["true"]
[mail_log]
files = ["{log}"]
[senders]
ses = false
[check]
deadline_secs = 1
"#,
            etc = etc.display(),
            log = log.display(),
        ),
    )
    .unwrap();
    let (code, v, out) = check_json_within(&config, 60, "a log nobody writes");
    assert_eq!(code, Some(3), "{out}");
    let failures = finding(&v, "failures");
    assert_eq!(failures["status"], "unknown", "{out}");
    assert_eq!(
        failures["summary"],
        format!(
            "{}: no line came back within 1 s ([check] deadline_secs): a read blocked on a hung \
             file system, or a pipe nobody writes to? The failures of the last 1h are not known",
            log.display()
        ),
        "{out}"
    );
    let senders = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["area"] == "senders"
                && f["summary"]
                    .as_str()
                    .unwrap()
                    .starts_with("per-sender delivery counts unknown, the mail log was not read: ")
        })
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(senders["status"], "warning", "{out}");
}

/// The journal as the mail log, through a `journalctl` that prints a delivered message's line
/// every 20 ms and never ends by itself (two minutes at most), as a journal of a busy day on a
/// slow disk looks: both reads stop at the deadline, say so, and the check ends.
#[test]
fn journal_reads_stop_at_the_deadline_too() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("journalctl");
    std::fs::write(
        &fake,
        r#"#!/bin/sh
n=0
while [ $n -lt 6000 ]; do
  n=$((n+1))
  id=$(printf '%010X' $((65536+n)))
  now=$(date +%Y-%m-%dT%H:%M:%S%z)
  printf '%s web postfix/qmgr[5]: %s: from=<app@example.com>, size=300, nrcpt=1 (queue active)
' "$now" "$id" || exit 0
  printf '%s web postfix/smtp[7]: %s: to=<r%d@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)
' "$now" "$id" "$n" || exit 0
  sleep 0.02
done
"#,
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let etc = root.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    empty_main_cf(&etc);
    std::fs::write(etc.join("master.cf"), "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[postfix]]
name = "default"
config_dir = "{etc}"
[queue]
postqueue_command = ["true"]
[mail_log]
source = "journal"
[senders]
ses = false
[check]
deadline_secs = 2
"#,
            etc = etc.display(),
        ),
    )
    .unwrap();
    let mut command = check_command(&config, "json");
    command.env(
        "PATH",
        format!(
            "{}:/usr/sbin:/sbin:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let (code, v, out) = json_within(command, 60, "a journal that never ends");
    assert_eq!(code, Some(3), "{out}");
    let said = |area: &str, words: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["area"] == area && f["summary"].as_str().unwrap().contains(words))
            .unwrap_or_else(|| panic!("no {area} finding with {words:?}: {out}"))
            .clone()
    };
    let cut = said(
        "failures",
        ": read stopped at the check's deadline (2 s, [check] deadline_secs) at its line of ",
    );
    assert_eq!(cut["status"], "unknown", "{cut}");
    assert!(
        cut["summary"].as_str().unwrap().starts_with("journalctl "),
        "{cut}"
    );
    said("failures", "in the part of the last 1h read, up to ");
    let senders = said(
        "senders",
        "per-sender delivery counts cover the day's log only up to ",
    );
    assert_eq!(senders["status"], "warning", "{senders}");
}

/// Configurations as people get them wrong: the dashboard stops before it draws anything, with
/// one line on stderr that names the file, the line and column, and what is wrong; `check` says
/// the same as UNKNOWN.
#[test]
fn broken_configs_stop_with_where_and_what_before_any_screen() {
    let root = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "wrong type",
            "read_only = \"yes\"\n",
            "1:13: read_only: invalid type: string \"yes\", expected true or false: write it \
             without quotes",
        ),
        (
            "unknown key",
            "[queue]\ninterval = 5\n",
            "2:1: unknown key `interval`",
        ),
        (
            "a table twice",
            "[queue]\ninterval_secs = 5\n[queue]\n",
            "3:2: the table [queue] is written twice",
        ),
        (
            "a tilde path",
            "[mail_log]\nfiles = \"~/mail.log\"\n",
            "2:9: [mail_log] files = \"~/mail.log\": a ~ is not expanded",
        ),
        (
            "a relative path",
            "[[deploy]]\npath = \"www\"\n",
            "2:8: [[deploy]] path = \"www\": a relative path",
        ),
        (
            "a URL where the deploy remote's name belongs",
            "[[deploy]]\npath = \"/var/www/site\"\nremote = \"git@git.example.com:site.git\"\n",
            "3:10: [[deploy]] remote = \"git@git.example.com:site.git\": a URL, where",
        ),
        (
            "a URL without scheme",
            "[[probe.targets]]\nname = \"www\"\nurl = \"www.example.com\"\n",
            "3:7: [[probe.targets]] url = \"www.example.com\": it has no scheme",
        ),
        (
            "an SES region typo",
            "[senders]\nses_region = \"eu-west1\"\n",
            "2:14: [senders] ses_region: \"eu-west1\" is not an AWS region name",
        ),
        (
            "an instance that is not there",
            "[senders]\ninstance = \"out\"\n",
            "2:12: [senders] instance = \"out\" names no [[postfix]] instance",
        ),
        (
            "a bad listen address",
            "[probe.echo]\nlisten = \"8099\"\n",
            "2:10: invalid socket address syntax",
        ),
    ];
    for (what, text, want) in cases {
        let config = root.path().join("config.toml");
        std::fs::write(&config, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(out.stdout.is_empty(), "{what}: drew something");
        assert!(
            err.starts_with(&format!("opsdeck: {}:{want}", config.display())),
            "{what}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        let (code, nagios) = check(&config, "nagios");
        assert_eq!(code, 3, "{what}: {nagios}");
        assert!(
            nagios.starts_with(&format!(
                "OPSDECK UNKNOWN - configuration: {}:{want}",
                config.display()
            )),
            "{what}: {nagios}"
        );
    }
    // a configuration that is not a file
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "opsdeck: {0}: cannot read the configuration: it is a directory: name the file \
             itself (such as {0}/config.toml)\n",
            root.path().display()
        )
    );
}

/// A postqueue that fails with a control character in what it prints: the queue finding shows
/// it escaped once, as the queue pane shows the error, not with the backslash doubled as if
/// postqueue had printed one. So does one that lists the queue while saying the mail system is
/// down.
#[test]
fn a_failing_postqueue_is_quoted_with_its_escape_once() {
    let root = tempfile::tempdir().unwrap();
    let files = mail_log_in(root.path());
    let queue_finding = |script: &str| -> serde_json::Value {
        let config = prefix_config(root.path(), script, &files);
        let (_, out) = check(&config, "json");
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        // the worst of them
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["area"] == "queue")
            .find(|f| f["status"] != "ok")
            .unwrap_or_else(|| panic!("no queue finding but OK: {v:#}"))
            .clone()
    };
    let down = queue_finding(
        r"printf 'postqueue: warning: Mail system is down \\033[31m-- accessing queue directly\\n' >&2",
    );
    assert_eq!(down["status"], "critical", "{down}");
    assert!(
        down["summary"]
            .as_str()
            .unwrap()
            .ends_with(r"(postqueue: warning: Mail system is down \e[31m-- accessing queue directly); no mail is delivered"),
        "{down}"
    );
    let f = queue_finding(r"printf 'postqueue: fatal: open \\033[31mqueue\\n' >&2; exit 1");
    assert_eq!(f["status"], "unknown", "{f}");
    let said = f["summary"].as_str().unwrap();
    assert!(
        said.starts_with("main: sh -c printf ")
            && said.ends_with(
                r"postqueue -j: exited with exit status: 1: postqueue: fatal: open \e[31mqueue"
            ),
        "{said}"
    );
}

/// A journalctl that fails with a control character in what it prints: the failures finding
/// quotes it escaped once, as the Failures pane shows it.
#[test]
fn a_failing_journalctl_is_quoted_with_its_escape_once() {
    let root = tempfile::tempdir().unwrap();
    let bin = root.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let journalctl = bin.join("journalctl");
    std::fs::write(
        &journalctl,
        "#!/bin/sh\nprintf 'Failed to open \\033[31mjournal\\n' >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&journalctl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        r#"[[postfix]]
name = "main"
config_dir = "/etc/postfix"
command_prefix = ["sh", "-c", "exit 1", "sh"]
[mail_log]
source = "journal"
[senders]
ses = false
"#,
    )
    .unwrap();
    let mut check = check_command(&config, "json");
    check.env(
        "PATH",
        format!(
            "{}:/usr/sbin:/sbin:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let out = check.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let f = finding(&v, "failures");
    assert_eq!(f["status"], "unknown", "{f}");
    assert_eq!(
        f["summary"], r"journalctl: Failed to open \e[31mjournal",
        "{f}"
    );
}
