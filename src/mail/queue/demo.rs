//! The demo queue: a generated `postqueue -j` file and the configuration
//! that lists it with `cat` instead of `postqueue -j`.
//!
//! The generator is also what the benchmarks use for a 100,000-message
//! queue. It writes only under the sandbox it is given and never touches a
//! real Postfix; demo actions are refused by the effect runner.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::mail::queue::parse::{QueueEntry, parse_jsonl};

const DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "example.net",
    "corp.example",
    "mail.example.org",
];

// the senders and the SES relay of the demo's mail log and sender map, so the panes agree
const SENDERS: &[&str] = &[
    "shop@example.com",
    "newsletter@example.net",
    "noreply@example.com",
    "alerts@example.org",
    "",
];

/// What SES, the relay every sender goes through, says of mail to any domain.
const RELAY_REASONS: &[&str] = &[
    "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)",
    "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling failure: Daily message quota exceeded. (in reply to MAIL FROM command)",
    "connect to email-smtp.us-east-1.amazonaws.com[54.0.0.10]:587: Connection timed out",
];

/// What a recipient domain's own server says, for mail that goes to it direct: the
/// domain, and its reply with `{rcpt}` for the recipient's address.
const DOMAIN_REASONS: &[(&str, &str)] = &[
    (
        "corp.example",
        "host mx.corp.example[192.0.2.25] said: 452 4.2.2 <{rcpt}>: Mailbox full (in reply to RCPT TO command)",
    ),
    (
        "example.net",
        "host mx.example.net[198.51.100.7] said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)",
    ),
];

/// A deterministic `postqueue -j` text of `n` messages, the newest arriving
/// at `now` (Unix seconds). As on a real host, mail in the incoming and
/// maildrop queues is seconds old (cleanup and pickup move it on at once),
/// and a deferred recipient's reason comes from the relay or from the
/// recipient's own domain, never from another domain's server.
pub fn generate(n: usize, now: i64) -> String {
    let mut out = String::with_capacity(n * 330);
    // A small linear congruential generator: the same file every time.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize
    };
    for i in 0..n {
        let roll = next() % 100;
        let queue = match roll {
            0..=77 => "deferred",
            78..=88 => "active",
            89..=96 => "hold",
            97..=98 => "incoming",
            _ => "maildrop",
        };
        let age = match queue {
            "incoming" | "maildrop" => (next() % 20) as i64,
            _ => (next() % (3 * 86400)) as i64,
        };
        let rcpts = 1 + if next() % 10 == 0 { next() % 6 } else { 0 };
        let sender = SENDERS[next() % SENDERS.len()];
        let relay = RELAY_REASONS[next() % 100 * RELAY_REASONS.len() / 100];
        let relay = if next() % 3 == 0 {
            RELAY_REASONS[0]
        } else {
            relay
        };
        // one message in four goes to a domain that answers for itself, all of its
        // recipients there
        let direct = (next() % 4 == 0).then(|| DOMAIN_REASONS[next() % DOMAIN_REASONS.len()]);
        let _ = write!(
            out,
            r#"{{"queue_name": "{queue}", "queue_id": "{:05X}{:05X}", "arrival_time": {}, "message_size": {}, "forced_expire": false, "sender": "{sender}", "recipients": ["#,
            (i >> 20) & 0xFFFFF | 0x10000,
            i & 0xFFFFF,
            now - age,
            300 + next() % 40_000,
        );
        for r in 0..rcpts {
            if r > 0 {
                out.push_str(", ");
            }
            let dom = DOMAINS[next() % DOMAINS.len()];
            let dom = direct.map_or(dom, |d| d.0);
            let address = format!("user{}@{dom}", next() % 100_000);
            let _ = write!(out, r#"{{"address": "{address}""#);
            if queue == "deferred" {
                let reason = match direct {
                    Some((_, reply)) => reply.replace("{rcpt}", &address),
                    None => relay.to_string(),
                };
                let _ = write!(out, r#", "delay_reason": "{reason}""#);
            }
            out.push('}');
        }
        out.push_str("]}\n");
    }
    out
}

/// Write the demo queue and point the configuration at it; its messages.
pub fn install(sandbox: &Path, config: &mut Config) -> anyhow::Result<Vec<QueueEntry>> {
    let dir = sandbox.join("queue");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("postqueue.jsonl");
    let now = chrono::Utc::now().timestamp();
    let text = generate(240, now);
    std::fs::write(&file, &text)?;
    config.demo = true;
    config.queue.postqueue_command = Some(vec!["cat".into(), file.to_string_lossy().into_owned()]);
    Ok(parse_jsonl(text.as_bytes()).entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_queue_parses_completely() {
        let text = generate(2000, 1_800_000_000);
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.bad_lines, 0, "{:?}", p.first_bad);
        assert_eq!(p.entries.len(), 2000);
        let ids: std::collections::HashSet<_> = p.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids.len(), 2000, "ids are unique");
        assert!(
            p.entries
                .iter()
                .any(|e| e.queue == crate::mail::queue::QueueName::Hold)
        );
        assert!(p.entries.iter().any(|e| e.recipients.len() > 1));
    }

    /// What a Postfix admin would call impossible is not shown: mail days old in
    /// incoming or the maildrop, or a recipient deferred by another domain's server.
    #[test]
    fn generated_queue_looks_like_a_real_one() {
        use crate::mail::queue::QueueName;
        let now = 1_800_000_000;
        let p = parse_jsonl(generate(2000, now).as_bytes());
        let young = |q: QueueName| {
            p.entries
                .iter()
                .filter(|e| e.queue == q)
                .all(|e| now - e.arrival < 60)
        };
        assert!(young(QueueName::Incoming) && young(QueueName::Maildrop));
        let mut direct = 0;
        for e in &p.entries {
            for r in &e.recipients {
                let Some(reason) = r.reason.as_ref().map(|(_, c)| c.as_str()) else {
                    continue;
                };
                if reason.contains("amazonaws.com") {
                    continue;
                }
                direct += 1;
                let domain = r.address.as_str().rsplit('@').next().unwrap();
                assert!(
                    reason.starts_with(&format!("host mx.{domain}[")),
                    "{} deferred by: {reason}",
                    r.address
                );
                if reason.contains("Mailbox full") {
                    assert!(reason.contains(&format!("<{}>", r.address)), "{reason}");
                }
            }
        }
        assert!(direct > 50, "{direct} deferred by a domain's own server");
    }

    #[test]
    fn install_points_the_config_at_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::default();
        install(dir.path(), &mut c).unwrap();
        assert!(c.demo);
        let cmd = c.queue.postqueue_command.unwrap();
        assert_eq!(cmd[0], "cat");
        assert!(std::path::Path::new(&cmd[1]).is_file());
    }
}
