//! `opsdeck check` against a real private Postfix instance: the formats and
//! the Nagios exit codes as a monitoring system sees them.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

fn check(config: &std::path::Path, format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["check", "--format", format, "--config"])
        .arg(config)
        .env(
            "PATH",
            format!(
                "/usr/sbin:/sbin:{}",
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_reports_the_queue_in_every_format() {
    let root = tempfile::tempdir().unwrap();
    let ses = SesSmtp::start(SesOptions::default());
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses).main_cf("defer_transports", "smtp"),
    );
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "read_only = false\n[[postfix]]\nname = \"test\"\nconfig_dir = \"{}\"\n[senders]\nses = false\n[check]\nqueue_warn = 2\nqueue_crit = 100\n",
            pf.config_dir().display()
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
    let deadline = Instant::now() + Duration::from_secs(30);
    while pf.postqueue_json().len() < 3 {
        assert!(Instant::now() < deadline, "mail did not reach the queue");
        std::thread::sleep(Duration::from_millis(200));
    }

    // Three messages with queue_warn = 2: WARNING, exit 1, perfdata.
    let (code, out) = check(&config, "nagios");
    assert_eq!(code, 1, "{out}");
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("OPSDECK WARNING - queue"), "{first}");
    assert!(
        first.contains(" | ") && first.contains("queue_messages"),
        "{first}"
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

    let (code, out) = check(&config, "text");
    assert_eq!(code, 1);
    assert!(out.starts_with("opsdeck check: WARNING"), "{out}");

    // check never changes anything: the queue is as it was.
    assert_eq!(pf.postqueue_json().len(), 3);
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
}

#[test]
fn broken_config_is_unknown_for_monitoring() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(&config, "[check]\nqueue_wran = 3\n").unwrap();
    let (code, out) = check(&config, "nagios");
    assert_eq!(code, 3);
    assert!(out.contains(":2:1:") && out.contains("queue_wran"), "{out}");
}
