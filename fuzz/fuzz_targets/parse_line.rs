//! Fuzzes the mail log line parser and the line splitter with arbitrary bytes: they must never
//! panic, and nothing they keep may hold a character that could drive a terminal.
//!
//! Run with `cargo +nightly fuzz run parse_line` from the repository root.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsdeck::mail::log::model::MailLog;
use opsdeck::mail::log::parse::{YearGuess, parse_line};
use opsdeck::mail::log::source::split_lines;
use opsdeck::sanitize::is_unsafe_char;

fuzz_target!(|data: &[u8]| {
    let mut partial = Vec::new();
    let mut discarding = false;
    let mut lines = Vec::new();
    split_lines(data, &mut partial, &mut discarding, 4096, &mut lines);
    lines.push(String::from_utf8_lossy(data).into_owned());
    let mut years = YearGuess::new(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    let mut log = MailLog::default();
    for l in &lines {
        // also after valid prefixes of each framing read: so that the body parsers see the
        // bytes, also behind a tag rsyslog cut to 32 bytes (with and without its `[`), and the
        // RFC 5424 header's fields, the RFC 3339 and the spaced ISO stamp's offset (right after
        // the time or after a space) and the stamp behind a PRI do
        for candidate in [
            l.clone(),
            format!("Jan  1 00:00:00 mx postfix/smtp[1]: 3F517C8902: {l}"),
            format!("Jan  1 00:00:00 mx postfix/submission/smtpd[1234567 {l}"),
            format!("Jan  1 00:00:00 mx postfix-10.0.0.1/submission/smtp {l}"),
            format!("<22>1 2026-01-01T00:00:00Z mx postfix/smtp 1 - - 3F517C8902: {l}"),
            format!("<22>1 2026-01-01T00:00:00Z {l}"),
            format!("2026-01-01T00:00:00{l}"),
            format!("2026-01-01 00:00:00{l}"),
            format!("2026-01-01 00:00:00 {l}"),
            format!("<22>{l}"),
        ] {
            if let Some(p) = parse_line(&candidate, &mut years) {
                assert!(!p.text.chars().any(is_unsafe_char));
                for o in log.ingest(p).outcomes {
                    assert!(!o.reason.chars().any(is_unsafe_char));
                    assert!(!o.to.chars().any(is_unsafe_char));
                }
            }
        }
    }
});
