//! Parses `postqueue -j` output (JSON Lines) into [`QueueEntry`]s.
//!
//! Accepts every output version seen in the field: `forced_expire` absent
//! (Postfix 3.1-3.4), `orig_address`, `bounce_reason` and `other_reason`
//! beside `delay_reason` (3.11), unknown members ignored, an empty queue
//! (no output at all), one line with thousands of recipients, bytes that are
//! not UTF-8. Every string is sanitized on the way in. A line that cannot be
//! read is counted and its first error kept, never dropped silently. Pure:
//! knows nothing of processes, files or terminals.

use std::borrow::Cow;

use serde::Deserialize;

use super::id::QueueId;
use crate::sanitize::Clean;

/// The Postfix queue a message sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QueueName {
    Active,
    Deferred,
    Hold,
    Incoming,
    Maildrop,
    Corrupt,
    /// A name this version does not know.
    Other,
}

impl QueueName {
    pub const ALL: [QueueName; 6] = [
        QueueName::Active,
        QueueName::Deferred,
        QueueName::Hold,
        QueueName::Incoming,
        QueueName::Maildrop,
        QueueName::Corrupt,
    ];

    pub fn parse(s: &str) -> QueueName {
        match s {
            "active" => QueueName::Active,
            "deferred" => QueueName::Deferred,
            "hold" => QueueName::Hold,
            "incoming" => QueueName::Incoming,
            "maildrop" => QueueName::Maildrop,
            "corrupt" => QueueName::Corrupt,
            _ => QueueName::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Active => "active",
            QueueName::Deferred => "deferred",
            QueueName::Hold => "hold",
            QueueName::Incoming => "incoming",
            QueueName::Maildrop => "maildrop",
            QueueName::Corrupt => "corrupt",
            QueueName::Other => "other",
        }
    }
}

/// Which member a recipient's reason came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasonKind {
    Delay,
    Bounce,
    Other,
}

/// One recipient of a queued message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub address: Clean,
    /// The address before rewriting, when Postfix reports one that differs.
    pub orig_address: Option<Clean>,
    pub reason: Option<(ReasonKind, Clean)>,
}

/// One message in the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    pub queue: QueueName,
    pub id: QueueId,
    /// Unix seconds.
    pub arrival: i64,
    pub size: u64,
    /// `None` when this Postfix does not report it (before 3.5).
    pub forced_expire: Option<bool>,
    /// Empty for the null sender (bounces).
    pub sender: Clean,
    pub recipients: Vec<Recipient>,
}

impl QueueEntry {
    /// The first recipient reason, if any.
    pub fn first_reason(&self) -> Option<&Clean> {
        self.recipients
            .iter()
            .find_map(|r| r.reason.as_ref().map(|(_, t)| t))
    }

    /// Mail from the null sender (a bounce): `postqueue -j` writes its
    /// sender as `MAILER-DAEMON` (Postfix 3.7), or empty.
    pub fn from_null_sender(&self) -> bool {
        self.sender.is_empty() || self.sender.as_str() == "MAILER-DAEMON"
    }

    /// The sender as shown: `<>` for the null sender.
    pub fn sender_shown(&self) -> &str {
        if self.sender.is_empty() {
            "<>"
        } else {
            &self.sender
        }
    }
}

/// The result of reading one `postqueue -j` output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub entries: Vec<QueueEntry>,
    /// Lines that could not be read.
    pub bad_lines: usize,
    /// The first of them: line number and why.
    pub first_bad: Option<String>,
    /// The filter's search text over `entries`, when the reader built it
    /// (off the event loop); empty otherwise.
    pub search: super::model::SearchText,
    /// The listing came with the warning that the mail system is down (the
    /// reader sets it from postqueue's stderr): nothing is delivered.
    pub down: Option<Box<super::error::QueueError>>,
}

#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow, default)]
    queue_name: Cow<'a, str>,
    #[serde(borrow)]
    queue_id: Cow<'a, str>,
    #[serde(default)]
    arrival_time: i64,
    #[serde(default)]
    message_size: u64,
    #[serde(default)]
    forced_expire: Option<bool>,
    #[serde(borrow, default)]
    sender: Cow<'a, str>,
    #[serde(borrow, default)]
    recipients: Vec<RawRecipient<'a>>,
}

#[derive(Deserialize)]
struct RawRecipient<'a> {
    #[serde(borrow, default)]
    address: Cow<'a, str>,
    #[serde(borrow, default)]
    orig_address: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    delay_reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    bounce_reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    other_reason: Option<Cow<'a, str>>,
}

/// Addresses and reasons are cut at this many characters.
const FIELD_CAP: usize = 1024;

fn clean(s: &str) -> Clean {
    Clean::capped(s, FIELD_CAP)
}

fn convert(raw: RawEntry<'_>) -> Result<QueueEntry, String> {
    let id = QueueId::parse(&raw.queue_id).map_err(|e| {
        format!(
            "queue_id {}: {e}",
            crate::sanitize::sanitize_capped(&raw.queue_id, 40)
        )
    })?;
    let recipients = raw
        .recipients
        .into_iter()
        .map(|r| {
            let reason = if let Some(t) = r.delay_reason {
                Some((ReasonKind::Delay, clean(&t)))
            } else if let Some(t) = r.bounce_reason {
                Some((ReasonKind::Bounce, clean(&t)))
            } else {
                r.other_reason.map(|t| (ReasonKind::Other, clean(&t)))
            };
            let orig_address = r
                .orig_address
                .filter(|o| **o != *r.address && !o.is_empty())
                .map(|o| clean(&o));
            Recipient {
                address: clean(&r.address),
                orig_address,
                reason,
            }
        })
        .collect();
    Ok(QueueEntry {
        queue: QueueName::parse(&raw.queue_name),
        id,
        arrival: raw.arrival_time,
        size: raw.message_size,
        forced_expire: raw.forced_expire,
        sender: clean(&raw.sender),
        recipients,
    })
}

/// Parse one line (without its newline).
pub fn parse_line(line: &[u8]) -> Result<QueueEntry, String> {
    let raw: Result<RawEntry<'_>, _> = serde_json::from_slice(line);
    match raw {
        Ok(raw) => convert(raw),
        Err(e) if e.is_syntax() || e.is_eof() => {
            // Not UTF-8 inside a string is a syntax error to serde_json:
            // retry on a lossy copy so one odd byte does not lose a message.
            if std::str::from_utf8(line).is_err() {
                let lossy = String::from_utf8_lossy(line);
                let raw: RawEntry<'_> = serde_json::from_str(&lossy).map_err(|e| e.to_string())?;
                convert(raw)
            } else {
                Err(e.to_string())
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Parse a whole `postqueue -j` output.
pub fn parse_jsonl(out: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    for (n, line) in out.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(line) {
            Ok(e) => parsed.entries.push(e),
            Err(why) => {
                parsed.bad_lines += 1;
                if parsed.first_bad.is_none() {
                    parsed.first_bad = Some(format!(
                        "line {}: {}",
                        n + 1,
                        crate::sanitize::sanitize_capped(&why, 200)
                    ));
                }
            }
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CORPUS_37: &str = include_str!("testdata/postqueue-3.7.jsonl");

    #[test]
    fn postfix_37_corpus() {
        let p = parse_jsonl(CORPUS_37.as_bytes());
        assert_eq!(p.bad_lines, 0, "{:?}", p.first_bad);
        assert_eq!(p.entries.len(), 3);
        let e = &p.entries[1];
        assert_eq!(e.queue, QueueName::Deferred);
        assert_eq!(e.id.as_str(), "4889DC8909");
        assert_eq!(e.arrival, 1795807541);
        assert_eq!(e.size, 284);
        assert_eq!(e.forced_expire, Some(false));
        assert_eq!(e.sender.as_str(), "tempfail@example.com");
        assert_eq!(e.recipients[0].address.as_str(), "x@example.com");
        assert!(e.first_reason().unwrap().contains("454 Throttling failure"));
        // active mail has no reason yet
        assert_eq!(p.entries[2].queue, QueueName::Active);
        assert!(p.entries[2].first_reason().is_none());
    }

    #[test]
    fn every_version() {
        // (what, line, queue, forced_expire, first reason kind)
        type Case = (
            &'static str,
            &'static str,
            QueueName,
            Option<bool>,
            Option<ReasonKind>,
        );
        let table: &[Case] = &[
            (
                "3.1-3.4: no forced_expire",
                r#"{"queue_name": "deferred", "queue_id": "1A2B3C4D5E", "arrival_time": 1700000000, "message_size": 900, "sender": "a@example.com", "recipients": [{"address": "b@example.net", "delay_reason": "connect to mx.example.net[192.0.2.1]:25: Connection timed out"}]}"#,
                QueueName::Deferred,
                None,
                Some(ReasonKind::Delay),
            ),
            (
                "3.5-3.10: forced_expire true",
                r#"{"queue_name": "hold", "queue_id": "ABCDEF123", "arrival_time": 1700000000, "message_size": 1, "forced_expire": true, "sender": "", "recipients": [{"address": "b@example.net"}]}"#,
                QueueName::Hold,
                Some(true),
                None,
            ),
            (
                "3.11: orig_address and bounce_reason",
                r#"{"queue_name": "active", "queue_id": "3yjZvb4Q4PzJ4k", "arrival_time": 1700000000, "message_size": 10, "forced_expire": false, "sender": "a@example.com", "recipients": [{"address": "b@example.net", "orig_address": "alias@example.com", "bounce_reason": "550 5.1.1 no such user"}]}"#,
                QueueName::Active,
                Some(false),
                Some(ReasonKind::Bounce),
            ),
            (
                "3.11: other_reason",
                r#"{"queue_name": "deferred", "queue_id": "ABCDEF1234", "arrival_time": 1700000000, "message_size": 10, "sender": "a@example.com", "recipients": [{"address": "b@example.net", "other_reason": "queue file write error"}]}"#,
                QueueName::Deferred,
                None,
                Some(ReasonKind::Other),
            ),
            (
                "future: unknown members at both levels",
                r#"{"queue_name": "incoming", "queue_id": "ABCDEF1234", "arrival_time": 1700000000, "message_size": 10, "new_thing": {"x": [1,2]}, "sender": "a@example.com", "recipients": [{"address": "b@example.net", "dsn": 1}]}"#,
                QueueName::Incoming,
                None,
                None,
            ),
        ];
        for (what, line, queue, fe, kind) in table {
            let e = parse_line(line.as_bytes()).unwrap_or_else(|err| panic!("{what}: {err}"));
            assert_eq!(e.queue, *queue, "{what}");
            assert_eq!(e.forced_expire, *fe, "{what}");
            assert_eq!(
                e.recipients[0].reason.as_ref().map(|r| r.0),
                *kind,
                "{what}"
            );
        }
        let e = parse_line(table[2].1.as_bytes()).unwrap();
        assert_eq!(
            e.recipients[0].orig_address.as_ref().map(|c| c.as_str()),
            Some("alias@example.com")
        );
        let held = parse_line(table[1].1.as_bytes()).unwrap();
        assert_eq!(held.sender_shown(), "<>");
    }

    #[test]
    fn empty_queue_is_empty_not_an_error() {
        let p = parse_jsonl(b"");
        assert_eq!(p, Parsed::default());
    }

    #[test]
    fn thousands_of_recipients_on_one_line() {
        let rcpts: Vec<String> = (0..5000)
            .map(|i| format!(r#"{{"address": "u{i}@d{}.example", "delay_reason": "454 Throttling failure"}}"#, i % 7))
            .collect();
        let line = format!(
            r#"{{"queue_name": "deferred", "queue_id": "ABCDEF1234", "arrival_time": 1, "message_size": 1, "sender": "s@example.com", "recipients": [{}]}}"#,
            rcpts.join(",")
        );
        let p = parse_jsonl(line.as_bytes());
        assert_eq!(p.entries[0].recipients.len(), 5000);
        assert_eq!(
            p.entries[0].recipients[4999].address.as_str(),
            "u4999@d1.example"
        );
    }

    #[test]
    fn hostile_text_is_sanitized() {
        let line = r#"{"queue_name": "deferred", "queue_id": "ABCDEF1234", "sender": "evil\u001b]0;pwned\u0007@x", "recipients": [{"address": "a\u202eb@x", "delay_reason": "x\u001b[2Jy"}]}"#;
        let e = parse_line(line.as_bytes()).unwrap();
        assert_eq!(e.sender.as_str(), "evil\\e]0;pwned\\x07@x");
        assert_eq!(e.recipients[0].address.as_str(), "a\\u{202e}b@x");
        assert_eq!(e.first_reason().unwrap().as_str(), "x\\e[2Jy");
    }

    #[test]
    fn not_utf8_is_read_lossily() {
        let mut line =
            br#"{"queue_name": "deferred", "queue_id": "ABCDEF1234", "sender": "caf"#.to_vec();
        line.push(0xe9);
        line.extend_from_slice(br#"@x", "recipients": []}"#);
        let e = parse_line(&line).unwrap();
        assert_eq!(e.sender.as_str(), "caf\u{fffd}@x");
    }

    #[test]
    fn bad_lines_are_counted_not_dropped() {
        let text = format!(
            "{}\nnot json\n{{\"queue_name\":\"hold\",\"queue_id\":\"ALL\"}}\n\n",
            CORPUS_37.lines().next().unwrap()
        );
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.bad_lines, 2);
        assert!(
            p.first_bad.as_deref().unwrap().starts_with("line 2: "),
            "{:?}",
            p.first_bad
        );
    }

    #[test]
    fn invalid_id_is_refused() {
        let err = parse_line(br#"{"queue_name":"hold","queue_id":"-d ALL"}"#).unwrap_err();
        assert!(err.contains("not a Postfix queue id"), "{err}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let p = parse_jsonl(&b);
            prop_assert!(p.entries.len() + p.bad_lines <= b.split(|&c| c == b'\n').count());
        }

        #[test]
        fn arbitrary_strings_in_fields_come_out_clean(
            sender in any::<String>(), addr in any::<String>(), reason in any::<String>()
        ) {
            let line = serde_json::json!({
                "queue_name": "deferred", "queue_id": "ABCDEF1234", "arrival_time": 5,
                "message_size": 7, "sender": sender,
                "recipients": [{"address": addr, "delay_reason": reason}],
            }).to_string();
            let e = parse_line(line.as_bytes()).unwrap();
            let r = &e.recipients[0];
            for s in [e.sender.as_str(), r.address.as_str(), r.reason.as_ref().unwrap().1.as_str()] {
                prop_assert!(!s.chars().any(crate::sanitize::is_unsafe_char));
            }
        }
    }
}
