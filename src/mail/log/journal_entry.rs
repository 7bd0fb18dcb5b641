//! Turns one entry of `journalctl -o json` into the line the parser reads from
//! `journalctl -o short-iso-precise`, and keeps the entry's cursor: the journal source reads the
//! journal as JSON so that a `journalctl` run again takes up right after the last entry read
//! (`--after-cursor`), whatever that entry's time and whatever was written meanwhile.
//!
//! Knows nothing of processes, files or terminals, and escapes nothing: the line goes through
//! the parser, which makes what it keeps printable, as it does a log file's lines.

use chrono::{DateTime, Local};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// One journal entry as the parser reads it, and where the journal is taken up after it.
#[derive(Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// `TIME HOST IDENTIFIER[PID]: MESSAGE`, as `-o short-iso-precise` prints it: cut at the
    /// line cap and marked, and made valid UTF-8, as a log file's line is.
    pub line: String,
    /// `__CURSOR`: `journalctl --after-cursor` starts right after this entry.
    pub cursor: Option<String>,
}

impl JournalEntry {
    /// The entry one line of `journalctl -o json --all` holds; `None` when it is not one.
    ///
    /// A field missing from the entry leaves its part out of the line as `journalctl`'s short
    /// output does (no host name, `unknown` for the program, no `[PID]`, an empty message), and
    /// never drops the entry. A value that is not UTF-8 (given as an array of bytes) is read
    /// lossily; a value `journalctl` withheld (`null`: over 4096 bytes without `--all`) is read
    /// as missing.
    pub fn from_json(json: &[u8], max_line: usize) -> Option<JournalEntry> {
        let f: Fields = serde_json::from_slice(json).ok()?;
        let mut line = Vec::new();
        // journalctl's short output shows the time the sender gave, when there is one
        let micros = [&f.source_realtime, &f.realtime]
            .into_iter()
            .flatten()
            .find_map(|v| std::str::from_utf8(&v.0).ok()?.parse::<i64>().ok());
        if let Some(t) = micros.and_then(DateTime::from_timestamp_micros) {
            let local = t.with_timezone(&Local);
            line.extend_from_slice(
                local
                    .format("%Y-%m-%dT%H:%M:%S%.6f%z")
                    .to_string()
                    .as_bytes(),
            );
        }
        if let Some(host) = &f.hostname {
            line.push(b' ');
            line.extend_from_slice(&host.0);
        }
        line.push(b' ');
        match f.identifier.as_ref().or(f.comm.as_ref()) {
            Some(program) => line.extend_from_slice(&program.0),
            None => line.extend_from_slice(b"unknown"),
        }
        if let Some(pid) = f.pid.as_ref().or(f.syslog_pid.as_ref()) {
            line.push(b'[');
            line.extend_from_slice(&pid.0);
            line.push(b']');
        }
        line.extend_from_slice(b": ");
        // no more of the message than shows whether it is over the cap
        let message = f.message.as_ref().map_or(&[][..], |m| &m.0[..]);
        let room = (max_line + 1).saturating_sub(line.len()).min(message.len());
        line.extend_from_slice(&message[..room]);
        let line = if line.len() > max_line {
            super::source::cut_line(&line[..max_line], max_line)
        } else {
            String::from_utf8_lossy(&line).into_owned()
        };
        let cursor = f.cursor.map(|c| String::from_utf8_lossy(&c.0).into_owned());
        Some(JournalEntry { line, cursor })
    }
}

/// The fields of an entry that its short output shows, and its cursor. Any other field is
/// passed over.
#[derive(Debug, Deserialize)]
struct Fields {
    #[serde(rename = "__CURSOR")]
    cursor: Option<Value>,
    #[serde(rename = "__REALTIME_TIMESTAMP")]
    realtime: Option<Value>,
    #[serde(rename = "_SOURCE_REALTIME_TIMESTAMP")]
    source_realtime: Option<Value>,
    #[serde(rename = "_HOSTNAME")]
    hostname: Option<Value>,
    #[serde(rename = "SYSLOG_IDENTIFIER")]
    identifier: Option<Value>,
    #[serde(rename = "_COMM")]
    comm: Option<Value>,
    #[serde(rename = "_PID")]
    pid: Option<Value>,
    #[serde(rename = "SYSLOG_PID")]
    syslog_pid: Option<Value>,
    #[serde(rename = "MESSAGE")]
    message: Option<Value>,
}

/// A field's value, as bytes: `journalctl -o json` gives a string, an array of byte values (a
/// value that is not valid UTF-8 or holds control characters), or an array of values (a field
/// the entry holds more than once, of which the first is kept).
#[derive(Debug)]
struct Value(Vec<u8>);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a journal field: a string, an array of bytes or an array of values")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value(s.as_bytes().to_vec()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value(s.into_bytes()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut bytes = Vec::new();
        let mut first = None;
        while let Some(element) = seq.next_element::<Element>()? {
            match element {
                Element::Byte(b) => bytes.push(b),
                Element::Value(v) => {
                    first.get_or_insert(v);
                }
                Element::Withheld => {}
            }
        }
        Ok(first.unwrap_or(Value(bytes)))
    }
}

/// One element of a field's array: a byte, or one of the values of a field held more than once
/// (`null` when withheld).
enum Element {
    Byte(u8),
    Value(Value),
    Withheld,
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Element, D::Error> {
        d.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a byte or a journal field's value")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Element, E> {
        u8::try_from(n)
            .map(Element::Byte)
            .map_err(|_| E::custom(format!("{n} is not a byte")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Withheld)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Element, E> {
        ValueVisitor.visit_str(s).map(Element::Value)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Element, E> {
        ValueVisitor.visit_string(s).map(Element::Value)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
        ValueVisitor.visit_seq(seq).map(Element::Value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::log::parse::{YearGuess, parse_line};

    const CURSOR: &str = "s=58fe1970;i=2;b=0123456789abcdef;m=0;t=6620404f25be9;x=bd9e9e08";

    /// An entry as `journalctl -o json` prints it, with `fields` (JSON members) added.
    fn entry(fields: &str) -> Vec<u8> {
        format!(
            "{{\"__CURSOR\":\"{CURSOR}\",\"__REALTIME_TIMESTAMP\":\"1795807541100000\",\
             \"_HOSTNAME\":\"mx\",\"SYSLOG_IDENTIFIER\":\"postfix/qmgr\",\
             \"_SYSTEMD_UNIT\":\"postfix@-.service\"{fields}}}\n"
        )
        .into_bytes()
    }

    fn read(json: &[u8], max: usize) -> JournalEntry {
        JournalEntry::from_json(json, max).expect("a journal entry")
    }

    #[test]
    fn an_entry_reads_as_its_short_iso_precise_line() {
        let e = read(
            &entry(r#","_PID":"4242","SYSLOG_PID":"1","MESSAGE":"3F517C8902: removed""#),
            2048,
        );
        assert_eq!(e.cursor.as_deref(), Some(CURSOR));
        // the entry's time to the microsecond, in the machine's zone with its offset
        let time = DateTime::from_timestamp_micros(1_795_807_541_100_000)
            .unwrap()
            .with_timezone(&Local);
        assert_eq!(
            e.line,
            format!(
                "{} mx postfix/qmgr[4242]: 3F517C8902: removed",
                time.format("%Y-%m-%dT%H:%M:%S%.6f%z")
            )
        );
        let parsed = parse_line(&e.line, &mut YearGuess::now()).expect("parsed");
        assert_eq!(parsed.time, time.fixed_offset());
        assert_eq!((parsed.host.as_str(), parsed.pid), ("mx", Some(4242)));
        assert_eq!(parsed.queue_id.unwrap().as_str(), "3F517C8902");
        // the time the sender gave is the one shown, as journalctl's short output shows it
        let e = read(
            &entry(r#","_SOURCE_REALTIME_TIMESTAMP":"1795807000000000","MESSAGE":"x""#),
            2048,
        );
        let sent = DateTime::from_timestamp(1_795_807_000, 0).unwrap();
        let parsed = parse_line(&e.line, &mut YearGuess::now()).expect("parsed");
        assert_eq!(parsed.time, sent);
    }

    #[test]
    fn a_missing_pid_or_program_leaves_its_part_out() {
        // no _PID: syslog's own
        let e = read(&entry(r#","SYSLOG_PID":"77","MESSAGE":"hello""#), 2048);
        assert!(
            e.line.ends_with(" mx postfix/qmgr[77]: hello"),
            "{}",
            e.line
        );
        // neither: no brackets
        let e = read(&entry(r#","MESSAGE":"hello""#), 2048);
        assert!(e.line.ends_with(" mx postfix/qmgr: hello"), "{}", e.line);
        // no identifier, no host: the command's name, or unknown
        let bare = |fields: &str| {
            format!(
                "{{\"__CURSOR\":\"{CURSOR}\",\"__REALTIME_TIMESTAMP\":\"1795807541100000\"{fields}}}"
            )
        };
        let e = read(bare(r#","_COMM":"smtpd","MESSAGE":"hi""#).as_bytes(), 2048);
        assert!(
            e.line.ends_with(" smtpd: hi") && !e.line.contains(" mx "),
            "{}",
            e.line
        );
        let e = read(bare(r#","MESSAGE":"hi""#).as_bytes(), 2048);
        assert!(e.line.ends_with(" unknown: hi"), "{}", e.line);
    }

    /// A message journalctl gives as bytes (not UTF-8, or holding control characters) reads as
    /// the bytes it holds, lossily: the control characters are left as they are, for the parser
    /// to escape once.
    #[test]
    fn a_message_given_as_bytes_is_read_lossily_and_escaped_once_by_the_parser() {
        let mut message =
            b"3F517C8902: to=<a@example.net>, status=bounced (\x1b]0;owned\x07".to_vec();
        message.extend_from_slice(b"\xff\x9b2J\xe2\x80\xae)");
        let bytes: Vec<String> = message.iter().map(u8::to_string).collect();
        let e = read(
            &entry(&format!(r#","_PID":"9","MESSAGE":[{}]"#, bytes.join(","))),
            2048,
        );
        assert!(
            e.line.ends_with(
                "postfix/qmgr[9]: 3F517C8902: to=<a@example.net>, status=bounced \
                 (\x1b]0;owned\x07\u{fffd}\u{fffd}2J\u{202e})"
            ),
            "{:?}",
            e.line
        );
        let parsed = parse_line(&e.line, &mut YearGuess::now()).expect("parsed");
        assert!(!parsed.text.chars().any(crate::sanitize::is_unsafe_char));
        assert!(
            parsed
                .text
                .ends_with("(\\e]0;owned\\x07\u{fffd}\u{fffd}2J\\u{202e})"),
            "{}",
            parsed.text
        );
    }

    /// A message journalctl withheld (`null`: over 4096 bytes without `--all`), or none at all,
    /// does not drop the entry: it arrives, with its cursor, empty.
    #[test]
    fn a_withheld_or_missing_message_keeps_the_entry() {
        for fields in [r#","_PID":"9","MESSAGE":null"#, r#","_PID":"9""#] {
            let e = read(&entry(fields), 2048);
            assert!(e.line.ends_with(" mx postfix/qmgr[9]: "), "{}", e.line);
            assert_eq!(e.cursor.as_deref(), Some(CURSOR));
        }
    }

    /// A message over the line cap is cut there and said to be, as a log file's line is.
    #[test]
    fn a_long_message_is_cut_at_the_line_cap() {
        let long = "x".repeat(10_000);
        let e = read(&entry(&format!(r#","_PID":"9","MESSAGE":"{long}""#)), 256);
        assert!(e.line.ends_with("x …[line cut at 256 bytes]"), "{}", e.line);
        assert_eq!(e.line.len(), 256 + " …[line cut at 256 bytes]".len());
        // given as bytes, likewise
        let bytes = vec!["255"; 10_000].join(",");
        let e = read(&entry(&format!(r#","MESSAGE":[{bytes}]"#)), 256);
        assert!(
            e.line.ends_with("\u{fffd} …[line cut at 256 bytes]"),
            "{}",
            e.line
        );
        // at the cap exactly: whole
        let e = read(&entry(r#","MESSAGE":"ok""#), 2048);
        let cap = e.line.len();
        assert_eq!(read(&entry(r#","MESSAGE":"ok""#), cap).line, e.line);
    }

    /// A field the entry holds twice is an array of its values: the first is shown.
    #[test]
    fn a_field_held_twice_shows_its_first_value() {
        let e = read(&entry(r#","MESSAGE":["first",[115,101,99],null]"#), 2048);
        assert!(e.line.ends_with("postfix/qmgr: first"), "{}", e.line);
        let e = read(&entry(r#","MESSAGE":[null,[115,101,99]]"#), 2048);
        assert!(e.line.ends_with("postfix/qmgr: sec"), "{}", e.line);
    }

    #[test]
    fn what_is_not_an_entry_is_said_so() {
        assert_eq!(JournalEntry::from_json(b"-- Boot 1234 --\n", 2048), None);
        assert_eq!(JournalEntry::from_json(br#"{"MESSAGE":[300]}"#, 2048), None);
    }
}
