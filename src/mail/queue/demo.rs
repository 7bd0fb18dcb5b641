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

const REASONS: &[&str] = &[
    "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)",
    "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling failure: Daily message quota exceeded. (in reply to MAIL FROM command)",
    "connect to email-smtp.us-east-1.amazonaws.com[54.0.0.10]:587: Connection timed out",
    "host mx.corp.example[192.0.2.25] said: 452 4.2.2 <user@corp.example>: Mailbox full (in reply to RCPT TO command)",
    "host mx.example.net[198.51.100.7] said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)",
];

/// A deterministic `postqueue -j` text of `n` messages, the newest arriving
/// at `now` (Unix seconds).
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
            0..=74 => "deferred",
            75..=84 => "active",
            85..=91 => "hold",
            92..=96 => "incoming",
            _ => "maildrop",
        };
        let age = (next() % (3 * 86400)) as i64;
        let rcpts = 1 + if next() % 10 == 0 { next() % 6 } else { 0 };
        let sender = SENDERS[next() % SENDERS.len()];
        let reason = REASONS[(next() % 100).min(99) * REASONS.len() / 100 % REASONS.len()];
        let reason = if next() % 3 == 0 { REASONS[0] } else { reason };
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
            let _ = write!(out, r#"{{"address": "user{}@{dom}""#, next() % 100_000);
            if queue == "deferred" {
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
