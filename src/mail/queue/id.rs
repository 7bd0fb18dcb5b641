//! Postfix queue ids, checked before they go anywhere near a command.
//!
//! A [`QueueId`] can only hold a short id (`^[0-9A-F]{6,}$`) or a long id
//! (`enable_long_queue_ids`: ten or more characters of the 52-character
//! alphabet of digits and consonants, `z`, then an inode number in the
//! 51-character alphabet without `z`), and never more than
//! [`MAX_ID_LEN`] characters. `ALL`, `-`, `-d`, spaces and shell
//! metacharacters are refused here, before any process runs. This module
//! never runs anything itself.

use std::fmt;

/// Longer than any id Postfix makes (a long id of a 64-bit inode and a far
/// future time stays under 32).
pub const MAX_ID_LEN: usize = 32;

/// Characters of the long-id time fields (base 52: digits, consonants, `z`).
fn is_long_time_char(c: u8) -> bool {
    c.is_ascii_digit() || (c.is_ascii_alphabetic() && !b"AEIOUaeiou".contains(&c))
}

/// Characters of the long-id inode field (base 51: as above without `z`).
fn is_long_inode_char(c: u8) -> bool {
    is_long_time_char(c) && c != b'z'
}

/// Why a string is not a queue id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadQueueId {
    #[error("empty queue id")]
    Empty,
    #[error("queue id longer than {MAX_ID_LEN} characters")]
    TooLong,
    #[error(
        "not a Postfix queue id (short ids are 6 or more of 0-9A-F; long ids use digits and consonants)"
    )]
    Alphabet,
}

/// A valid Postfix queue id (short or long form).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueId(Box<str>);

impl QueueId {
    /// Check `s` against the strict short and long alphabets.
    pub fn parse(s: &str) -> Result<QueueId, BadQueueId> {
        if s.is_empty() {
            return Err(BadQueueId::Empty);
        }
        if s.len() > MAX_ID_LEN {
            return Err(BadQueueId::TooLong);
        }
        if is_short(s) || is_long(s) {
            Ok(QueueId(s.into()))
        } else {
            Err(BadQueueId::Alphabet)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Is this a long (`enable_long_queue_ids = yes`) id?
    pub fn is_long(&self) -> bool {
        !is_short(&self.0)
    }
}

fn is_short(s: &str) -> bool {
    s.len() >= 6
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
}

fn is_long(s: &str) -> bool {
    let b = s.as_bytes();
    // The separator is the last `z`: the inode part has no `z`, the time part may.
    let Some(sep) = b.iter().rposition(|&c| c == b'z') else {
        return false;
    };
    let (time, inode) = (&b[..sep], &b[sep + 1..]);
    time.len() >= 10
        && !inode.is_empty()
        && time.iter().all(|&c| is_long_time_char(c))
        && inode.iter().all(|&c| is_long_inode_char(c))
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QueueId({})", self.0)
    }
}

impl std::str::FromStr for QueueId {
    type Err = BadQueueId;
    fn from_str(s: &str) -> Result<QueueId, BadQueueId> {
        QueueId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_ids_are_accepted() {
        for id in [
            "59F14C8904",
            "4889DC8909",
            "AC10CC8909",
            "A1B2C3",
            "3yjZvb4Q4PzJ4k", // long form
            "4H2bsB4KQbz6Y",
        ] {
            assert!(QueueId::parse(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn dangerous_strings_are_refused() {
        let cases = [
            ("", BadQueueId::Empty),
            ("ALL", BadQueueId::Alphabet),
            ("-", BadQueueId::Alphabet),
            ("-d", BadQueueId::Alphabet),
            ("-d ALL", BadQueueId::Alphabet),
            ("A1B2C3 ALL", BadQueueId::Alphabet),
            ("A1B2C3\n", BadQueueId::Alphabet),
            ("A1B2C3\nALL", BadQueueId::Alphabet),
            ("A1B2C3;rm", BadQueueId::Alphabet),
            ("$(reboot)", BadQueueId::Alphabet),
            ("`id`", BadQueueId::Alphabet),
            ("A1B2C3|x", BadQueueId::Alphabet),
            ("../../etc", BadQueueId::Alphabet),
            ("a1b2c3", BadQueueId::Alphabet),
            ("A1B2C", BadQueueId::Alphabet),
            ("A1B2C3G", BadQueueId::Alphabet),
            ("deferred", BadQueueId::Alphabet),
            ("3yjZvb4Q4Pz", BadQueueId::Alphabet), // no inode
            ("3yjZvb4Qz4K", BadQueueId::Alphabet), // time too short
            ("3yjZvb4Q4PzJ4a", BadQueueId::Alphabet), // vowel
            ("3yjZvb4Q4PzJ4z", BadQueueId::Alphabet), // z in inode... only the last z splits
        ];
        for (s, want) in cases {
            assert_eq!(QueueId::parse(s), Err(want), "{s:?}");
        }
        assert_eq!(
            QueueId::parse(&"A".repeat(MAX_ID_LEN + 1)),
            Err(BadQueueId::TooLong)
        );
        assert!(QueueId::parse(&"A".repeat(MAX_ID_LEN)).is_ok());
    }

    #[test]
    fn long_flag() {
        assert!(!QueueId::parse("A1B2C3").unwrap().is_long());
        assert!(QueueId::parse("3yjZvb4Q4PzJ4k").unwrap().is_long());
    }

    /// Strings near queue ids: a short or a long id, often with one character put in
    /// anywhere (a space, a dash, a shell metacharacter, a line break, any character). Arbitrary
    /// strings are almost never ids, so a property over them alone would check nothing.
    fn near_ids() -> impl Strategy<Value = String> {
        let short = "[0-9A-F]{4,36}";
        let long =
            "[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{8,14}z[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-y]{1,8}";
        let odd = prop_oneof![
            proptest::sample::select(vec![
                ' ', '-', '\n', ';', '$', '`', '|', '/', '.', '*', '\0'
            ]),
            any::<char>(),
        ];
        (
            prop_oneof![short, long],
            proptest::option::of((any::<proptest::sample::Index>(), odd)),
        )
            .prop_map(|(mut s, put)| {
                if let Some((at, c)) = put {
                    s.insert(at.index(s.len() + 1), c);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn accepted_ids_are_safe_arguments(s in prop_oneof![any::<String>(), near_ids()]) {
            if let Ok(id) = QueueId::parse(&s) {
                prop_assert!(id.as_str().bytes().all(|c| c.is_ascii_alphanumeric()));
                prop_assert!(id.as_str().len() >= 6 && id.as_str().len() <= MAX_ID_LEN);
                prop_assert_ne!(id.as_str(), "ALL");
            }
        }

        #[test]
        fn short_ids_round_trip(s in "[0-9A-F]{6,20}") {
            let id = QueueId::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
        }
    }
}
