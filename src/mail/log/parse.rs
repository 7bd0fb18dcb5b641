//! Parses one Postfix mail log line into a [`LogLine`]: timestamp, host, program, queue id and what
//! the line says.
//!
//! It knows nothing of files, clocks or terminals: the caller passes a [`YearGuess`] for yearless
//! timestamps. It must never panic on any input (property-tested and fuzzed) and it sanitizes every
//! piece of outside text it keeps ([`Clean`]).

use chrono::{
    DateTime, Datelike, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, TimeZone,
    Timelike,
};

use super::classify::without_host_names;
use crate::sanitize::Clean;

/// Longest line kept whole; longer lines are cut and marked by the reader.
pub const MAX_LINE: usize = 64 * 1024;

/// A valid Postfix queue id: short (hex) or long (`enable_long_queue_ids`).
///
/// Stored inline (at most 24 ASCII characters), so copying one never allocates.
#[derive(Clone, Eq)]
pub struct QueueId {
    len: u8,
    buf: [u8; 24],
}

impl QueueId {
    /// Accepts short ids (`3F517C8902`: 5 to 20 upper-case hex digits) and long ids
    /// (`4Pfh4c6ZFbz9sWR`: base-52 time, `z`, inode).
    pub fn parse(s: &str) -> Option<QueueId> {
        let len = s.len();
        if !(5..=24).contains(&len) {
            return None;
        }
        // one pass: every byte alphanumeric; all upper-case hex; a `z` after the first; a vowel
        let (mut hex, mut z, mut vowel) = (true, false, false);
        for (i, b) in s.bytes().enumerate() {
            if !b.is_ascii_alphanumeric() {
                return None;
            }
            hex &= b.is_ascii_digit() || (b'A'..=b'F').contains(&b);
            z |= b == b'z' && i > 0;
            vowel |= matches!(
                b,
                b'a' | b'e' | b'i' | b'o' | b'u' | b'A' | b'E' | b'I' | b'O' | b'U'
            );
        }
        let long = len >= 10 && z && !vowel;
        (hex || long).then(|| {
            let mut buf = [0u8; 24];
            buf[..len].copy_from_slice(s.as_bytes());
            QueueId {
                len: len as u8,
                buf,
            }
        })
    }

    pub fn as_str(&self) -> &str {
        // only ASCII alphanumerics are ever stored
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }
}

impl PartialEq for QueueId {
    fn eq(&self, other: &QueueId) -> bool {
        // three words (unused bytes are zero, so the length is implied)
        let word = |b: &[u8; 24], i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        (0..3).all(|i| word(&self.buf, i) == word(&other.buf, i))
    }
}

impl std::hash::Hash for QueueId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // three words: cheap with any hasher (unused bytes are zero)
        for w in self.buf.chunks_exact(8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            state.write_u64(u64::from_le_bytes(b));
        }
    }
}

impl PartialOrd for QueueId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for QueueId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::fmt::Debug for QueueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("QueueId").field(&self.as_str()).finish()
    }
}

impl serde::Serialize for QueueId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for QueueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Delivery status words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Sent,
    Deferred,
    Bounced,
    Expired,
    Undeliverable,
    Deliverable,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "sent" => Status::Sent,
            // `soft_bounce = yes`: what would have bounced stays in the queue, deferred
            "deferred" | "SOFTBOUNCE" => Status::Deferred,
            "bounced" => Status::Bounced,
            "expired" => Status::Expired,
            "undeliverable" => Status::Undeliverable,
            "deliverable" => Status::Deliverable,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sent => "sent",
            Status::Deferred => "deferred",
            Status::Bounced => "bounced",
            Status::Expired => "expired",
            Status::Undeliverable => "undeliverable",
            Status::Deliverable => "deliverable",
        }
    }

    /// A final outcome for that recipient (no more tries).
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Deferred)
    }

    pub fn is_failure(self) -> bool {
        !matches!(self, Status::Sent | Status::Deliverable)
    }
}

/// A text field of a parsed line: [`Clean`], or `&str` still raw (sanitized by `into()` when kept).
pub trait Text: AsRef<str> + Into<Clean> {}

impl<S: AsRef<str> + Into<Clean>> Text for S {}

/// One recipient's delivery attempt (`to=<..>, relay=.., dsn=.., status=.. (reason)`).
///
/// `S` is the text type: [`Clean`] once sanitized (what the model keeps and panes show), or `&str`
/// borrowed raw from the line while it is being read (see [`parse_line_ref`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryLine<S = Clean> {
    pub to: S,
    pub orig_to: Option<S>,
    pub relay: S,
    pub conn_use: Option<u32>,
    pub delay: Option<f64>,
    pub delays: Option<S>,
    pub dsn: S,
    pub status: Status,
    pub reason: S,
}

impl<S> DeliveryLine<S> {
    /// The same line with every text field converted by `f`.
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> DeliveryLine<T> {
        DeliveryLine {
            to: f(self.to),
            orig_to: self.orig_to.map(&mut f),
            relay: f(self.relay),
            conn_use: self.conn_use,
            delay: self.delay,
            delays: self.delays.map(&mut f),
            dsn: f(self.dsn),
            status: self.status,
            reason: f(self.reason),
        }
    }
}

/// What a `postsuper` line did to one message (a cleanup `hold:` rule is [`Kind::Hold`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuperAction {
    Held,
    Released,
    Requeued,
    Removed,
    Expired,
}

/// What a line says. `S` is the text type, as for [`DeliveryLine`].
#[derive(Clone, Debug, PartialEq)]
pub enum Kind<S = Clean> {
    /// smtp/lmtp/local/virtual/pipe/error/... delivery status.
    Delivery(DeliveryLine<S>),
    /// qmgr `from=<..>, size=N, nrcpt=N (queue active)`.
    QueueActive {
        from: S,
        size: Option<u64>,
        nrcpt: Option<u32>,
    },
    /// qmgr `from=<..>, status=expired, returned to sender` (or `force-expired`).
    Expired { from: S, forced: bool },
    /// qmgr `removed`.
    Removed,
    /// cleanup `message-id=<..>`.
    MessageId(S),
    /// pickup `uid=N from=<..>` with `orig_id=OLD` after a requeue.
    Pickup {
        uid: Option<u32>,
        from: S,
        orig_id: Option<QueueId>,
    },
    /// smtpd `client=host[addr]`.
    Client(S),
    /// bounce `sender non-delivery notification: NEWID` (also delay/success notifications).
    Notification { new_id: QueueId, what: S },
    /// smtpd `NOQUEUE: reject: ...` or cleanup `reject: header ...`, and their `milter-reject:`.
    Reject {
        stage: S,
        reply: S,
        from: Option<S>,
        to: Option<S>,
        /// `milter-reject:`: a milter refused it (or could not be reached), not Postfix's rules.
        milter: bool,
    },
    /// A DISCARD rule (cleanup `discard: header ...`, smtpd `NOQUEUE: discard: RCPT ...`): the
    /// message was accepted and then dropped. `what` is the rest of the line: the rule and its text.
    Discard {
        what: S,
        from: Option<S>,
        to: Option<S>,
    },
    /// A HOLD rule (cleanup `hold: header ...`, `milter-hold: END-OF-MESSAGE ...`): the message
    /// was accepted into the hold queue, where it waits for someone to release or delete it.
    /// `what` is the rest of the line: the rule and its text.
    Hold {
        what: S,
        from: Option<S>,
        to: Option<S>,
    },
    /// postsuper per-message actions.
    Super(SuperAction),
    /// `warning:` lines mentioning SASL.
    SaslWarning(S),
    /// `warning:` or other lines about TLS.
    TlsWarning(S),
    /// Any other `warning:`/`error:`/`fatal:`/`panic:` line.
    Warning(S),
    /// Anything else (`connect from`, `daemon started`, ...).
    Other,
}

impl<S> Kind<S> {
    /// The same kind with every text field converted by `f`.
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> Kind<T> {
        match self {
            Kind::Delivery(d) => Kind::Delivery(d.map(f)),
            Kind::QueueActive { from, size, nrcpt } => Kind::QueueActive {
                from: f(from),
                size,
                nrcpt,
            },
            Kind::Expired { from, forced } => Kind::Expired {
                from: f(from),
                forced,
            },
            Kind::Removed => Kind::Removed,
            Kind::MessageId(m) => Kind::MessageId(f(m)),
            Kind::Pickup { uid, from, orig_id } => Kind::Pickup {
                uid,
                from: f(from),
                orig_id,
            },
            Kind::Client(c) => Kind::Client(f(c)),
            Kind::Notification { new_id, what } => Kind::Notification {
                new_id,
                what: f(what),
            },
            Kind::Reject {
                stage,
                reply,
                from,
                to,
                milter,
            } => Kind::Reject {
                stage: f(stage),
                reply: f(reply),
                from: from.map(&mut f),
                to: to.map(&mut f),
                milter,
            },
            Kind::Discard { what, from, to } => Kind::Discard {
                what: f(what),
                from: from.map(&mut f),
                to: to.map(&mut f),
            },
            Kind::Hold { what, from, to } => Kind::Hold {
                what: f(what),
                from: from.map(&mut f),
                to: to.map(&mut f),
            },
            Kind::Super(a) => Kind::Super(a),
            Kind::SaslWarning(t) => Kind::SaslWarning(f(t)),
            Kind::TlsWarning(t) => Kind::TlsWarning(f(t)),
            Kind::Warning(t) => Kind::Warning(f(t)),
            Kind::Other => Kind::Other,
        }
    }
}

/// One parsed line. `text` is the whole line, for history views. `S` is the text type, as for
/// [`DeliveryLine`]: a `LogLine<&str>` borrows the raw line and must be sanitized
/// ([`LogLine::sanitized`]) before any of it is kept or shown.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine<S = Clean> {
    pub time: DateTime<FixedOffset>,
    pub host: S,
    /// `postfix/smtp`, `postfix/submission/smtpd`, `example.com/smtp`. With [`name_cut`] only
    /// the `/` components the cut left whole (`postfix-10.0.0.1/submission` of a tag cut to
    /// `postfix-10.0.0.1/submission/smtp`), empty where it left none.
    ///
    /// [`name_cut`]: LogLine::name_cut
    pub program: S,
    /// The last path element of the program (`smtp`, `qmgr`, ...); empty where a tag cut to 32
    /// bytes kept no `[`, and so maybe not all of the name (`postfix-10.0.0.1/submission/smtp`
    /// is smtpd's tag).
    pub daemon: S,
    /// The tag was cut to 32 bytes with no `[` left: the program's name may have lost its end
    /// (`program` holds what is sure of it, the daemon is unknown).
    pub name_cut: bool,
    pub pid: Option<u32>,
    pub queue_id: Option<QueueId>,
    pub kind: Kind<S>,
    pub text: S,
}

impl<S> LogLine<S> {
    /// The same line with every text field converted by `f`.
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> LogLine<T> {
        LogLine {
            time: self.time,
            host: f(self.host),
            program: f(self.program),
            daemon: f(self.daemon),
            name_cut: self.name_cut,
            pid: self.pid,
            queue_id: self.queue_id,
            kind: self.kind.map(&mut f),
            text: f(self.text),
        }
    }
}

impl<S: AsRef<str>> LogLine<S> {
    /// The program as a person is shown it: the name, or, where the tag was cut in it
    /// ([`LogLine::name_cut`]), what is sure of it and that it was cut
    /// (`postfix-10.0.0.1/submission/… (syslog tag cut)`). Raw where `S` is.
    pub fn program_shown(&self) -> std::borrow::Cow<'_, str> {
        let program = self.program.as_ref();
        match (self.name_cut, program.is_empty()) {
            (false, _) => program.into(),
            (true, false) => format!("{program}/{CUT_NAME}").into(),
            (true, true) => CUT_NAME.into(),
        }
    }
}

/// What [`LogLine::program_shown`] puts where a cut tag lost the end of a program's name.
const CUT_NAME: &str = "… (syslog tag cut)";

impl LogLine<&str> {
    /// Every text field sanitized: what may be kept and shown.
    pub fn sanitized(self) -> LogLine {
        self.map(Clean::new)
    }
}

/// How far before the line above a line may be stamped and still be read as written a little late
/// (two daemons' lines interleave out of order by a second or so), not as the second pass through
/// the hour the clocks go back through twice.
const LATE_SECS: i64 = 60;

/// Year inference for yearless timestamps: starts from a reference date and carries over New Year
/// when the month goes backwards by more than a few months (December, then January).
#[derive(Clone, Debug)]
pub struct YearGuess {
    year: i32,
    last_month: u32,
    reference: NaiveDate,
    /// The local UTC offset last used, for that date and hour (time zone lookups are costly).
    offset_cache: Option<(NaiveDate, u32, FixedOffset)>,
    started: bool,
    /// The last stamp resolved and its time.
    last: Option<(Stamp, Option<DateTime<FixedOffset>>)>,
    /// The time of the last line that had one: a stamp in the hour the clocks go back through
    /// twice is read as its first pass unless that is well before this time.
    previous: Option<DateTime<FixedOffset>>,
    /// The UTC offsets a local time has in the zone the stamps were written in (the machine's).
    zone: fn(&NaiveDateTime) -> LocalResult<FixedOffset>,
}

/// The offsets a local time has in the machine's zone.
fn local_offsets(naive: &NaiveDateTime) -> LocalResult<FixedOffset> {
    Local.offset_from_local_datetime(naive)
}

impl YearGuess {
    /// `now` is the reading time: a first line dated after it (by more than a day) is from last year.
    pub fn new(now: NaiveDate) -> YearGuess {
        YearGuess {
            year: now.year(),
            last_month: now.month(),
            reference: now,
            started: false,
            offset_cache: None,
            last: None,
            previous: None,
            zone: local_offsets,
        }
    }

    /// Lines read come after `t` (a followed log's new lines come after the time it is started
    /// at): the first one, stamped in the hour the clocks go back through twice, is read as the
    /// second pass if the first pass would be well before `t`.
    pub fn after(self, t: DateTime<FixedOffset>) -> YearGuess {
        YearGuess {
            previous: Some(t),
            ..self
        }
    }

    /// Stamps read in another zone than the machine's, given by its offsets.
    #[cfg(test)]
    pub(crate) fn in_zone(self, zone: fn(&NaiveDateTime) -> LocalResult<FixedOffset>) -> YearGuess {
        YearGuess { zone, ..self }
    }

    pub fn now() -> YearGuess {
        YearGuess::new(Local::now().date_naive())
    }

    /// For lines written as they are read (a followed log): the first one is dated as near `now`
    /// as it can be, as if a line of today came before it. A follower started on New Year's Eve
    /// whose first line is stamped `Jan  1` gets next year, not the January eleven months ago.
    pub fn following(now: NaiveDate) -> YearGuess {
        YearGuess {
            started: true,
            ..YearGuess::new(now)
        }
    }

    fn year_for(&mut self, month: u32, day: u32) -> i32 {
        if !self.started {
            self.started = true;
            let mut year = self.reference.year();
            if let Some(d) = NaiveDate::from_ymd_opt(year, month, day.min(28))
                && d > self.reference + chrono::Duration::days(1)
            {
                year -= 1;
            }
            self.year = year;
        } else if month + 6 < self.last_month {
            self.year += 1;
        } else if month > self.last_month + 6 {
            // a line from December after January lines: out of order by a little. The January
            // lines stay the reference, so the next December line is last year's too and the
            // next January line does not start a new year.
            return self.year - 1;
        }
        self.last_month = month;
        self.year
    }
}

fn two(b: &[u8]) -> Option<u32> {
    if b.len() == 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit() {
        Some(((b[0] - b'0') * 10 + (b[1] - b'0')) as u32)
    } else {
        None
    }
}

/// A line's timestamp as written: complete (RFC 3339, an ISO stamp with its offset), without its
/// offset (an ISO stamp in the writer's zone), or without a year (traditional syslog and Postfix's
/// postlog); [`YearGuess::resolve`] completes the last two in reading order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    Full(DateTime<FixedOffset>),
    /// A date and time of day in the zone the stamps were written in (the machine's), as a
    /// template writes `2026-12-07 04:52:35` without an offset.
    Local(NaiveDateTime),
    Yearless {
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    },
}

/// What follows a line's timestamp, in the layout its framing gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterStamp<'a> {
    /// Syslog as written to files: `host prog[pid]: message`, with an optional severity column
    /// before or after the host.
    Syslog(&'a str),
    /// RFC 5424 (rsyslog's `RSYSLOG_SyslogProtocol23Format`, syslog-ng's
    /// `flags(syslog-protocol)`): `HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`.
    Rfc5424(&'a str),
}

/// Parse a leading timestamp's syntax; returns it and the rest of the line. Needs no state, so
/// it can run on any thread; the year and zone are filled in later, in order, by
/// [`YearGuess::resolve`].
///
/// The formats most logs are written in are tried first, told apart by their first byte (a digit:
/// RFC 3339, a letter: traditional); the others only where those fail: an ISO date alone before
/// the first space where RFC 3339 was refused, a `<` (a PRI: RFC 5424, or a traditional or RFC 3339
/// stamp behind it) where the traditional stamp was. RFC 3339 and traditional stamps meet no added
/// test before they are read.
pub fn parse_stamp(line: &str) -> Option<(Stamp, AfterStamp<'_>)> {
    let b = line.as_bytes();
    if b.len() >= 15 && b[0].is_ascii_digit() {
        return parse_rfc3339_stamp(line).or_else(|| parse_spaced_iso(line));
    }
    parse_traditional_stamp(line).or_else(|| parse_pri_stamp(line))
}

/// RFC 3339 before the first space: `2026-11-27T21:05:19[.123456](Z|+00:00)`, or with the offset
/// written `+0000` (`journalctl -o short-iso`).
fn parse_rfc3339_stamp(line: &str) -> Option<(Stamp, AfterStamp<'_>)> {
    let end = memchr::memchr(b' ', line.as_bytes())?;
    let ts = &line[..end];
    let rest = AfterStamp::Syslog(&line[end + 1..]);
    if let Ok(t) = DateTime::parse_from_rfc3339(ts) {
        return Some((Stamp::Full(t), rest));
    }
    // a date alone before the first space is never RFC 3339 (at least 20 bytes): the space where
    // its `T` would be, a spaced ISO stamp
    if end == 10 {
        return None;
    }
    ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"]
        .into_iter()
        .find_map(|fmt| DateTime::parse_from_str(ts, fmt).ok())
        .or_else(|| minus_minutes_stamp(ts))
        .map(|t| (Stamp::Full(t), rest))
}

/// An RFC 3339 stamp whose offset old syslog-ng wrote with a sign before its minutes too,
/// `2026-12-06T15:04:25-03:-30` for `-03:30` (see [`utc_offset`]), as its `$ISODATE` and its
/// RFC 5424 header write it.
fn minus_minutes_stamp(ts: &str) -> Option<DateTime<FixedOffset>> {
    let at = ts.len().checked_sub(7)?;
    let (secs, 7) = utc_offset(ts.as_bytes().get(at..)?)? else {
        return None;
    };
    // the offset starts with `-`: `at` is a character boundary
    let naive = NaiveDateTime::parse_from_str(&ts[..at], "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    naive
        .and_local_timezone(FixedOffset::east_opt(secs)?)
        .single()
}

/// Traditional `Nov  7 13:28:01` or postlog `Nov 07 13:28:01`, and a space.
fn parse_traditional_stamp(line: &str) -> Option<(Stamp, AfterStamp<'_>)> {
    let b = line.as_bytes();
    if b.len() < 16 || b[3] != b' ' || b[6] != b' ' || b[15] != b' ' || !line.is_char_boundary(3) {
        return None;
    }
    let month: u8 = match &b[..3] {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    let day = if b[4] == b' ' {
        two(&[b'0', b[5]])?
    } else {
        two(&b[4..6])?
    };
    let (hour, minute, second) = (two(&b[7..9])?, two(&b[10..12])?, two(&b[13..15])?);
    if b[9] != b':' || b[12] != b':' {
        return None;
    }
    let stamp = Stamp::Yearless {
        month,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
    };
    Some((stamp, AfterStamp::Syslog(&line[16..])))
}

/// The value of the ASCII digits `b` (none: `None`; at most 4, so it cannot overflow).
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// An ISO date and time with a space between them, as some syslog templates and log shippers
/// write: `2026-12-07 04:52:35`, with an optional fraction and an optional offset, right after it
/// (`Z`, `+01:00`, `+0100`) or after a space: `+01:00` as syslog-ng's `$TZ` writes it in a
/// template such as `$YEAR-$MONTH-$DAY $HOUR:$MIN:$SEC $TZ $HOST ...`, `+0100` as a strftime `%z`
/// does (syslog-ng's `$(format-date)`; its `$TZ` before 2.0). Without an offset it is in the
/// writer's zone ([`Stamp::Local`]).
fn parse_spaced_iso(line: &str) -> Option<(Stamp, AfterStamp<'_>)> {
    let b = line.as_bytes();
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(at(4, b'-') && at(7, b'-') && at(10, b' ') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let field = |from: usize| two(b.get(from..from + 2)?);
    let year = digits(b.get(..4)?)? as i32;
    let date = NaiveDate::from_ymd_opt(year, field(5)?, field(8)?)?;
    let (hour, minute, second) = (field(11)?, field(14)?, field(17)?);
    let mut i = 19;
    let mut nanos = 0;
    if at(i, b'.') {
        i += 1;
        let from = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            // nanoseconds: the first nine digits count
            if i - from < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == from {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((i - from) as u32));
    }
    // a leap second, as the yearless stamps read it: the second before
    let time = chrono::NaiveTime::from_hms_nano_opt(hour, minute, second.min(59), nanos)?;
    let naive = date.and_time(time);
    let offset = match b.get(i) {
        Some(b'Z') => {
            i += 1;
            Some(0)
        }
        Some(b'+' | b'-') => {
            let (secs, len) = utc_offset(&b[i..])?;
            i += len;
            Some(secs)
        }
        // after a space, a sign and a digit start an offset: they start no host name (a label
        // starts with a letter or digit, an IPv6 address with a hex digit or `:`), so a host
        // such as `mx`, `0100` or `Z` stays the host of a stamp in the writer's zone
        Some(b' ')
            if matches!(b.get(i + 1), Some(b'+' | b'-'))
                && b.get(i + 2).is_some_and(u8::is_ascii_digit) =>
        {
            let (secs, len) = utc_offset(&b[i + 1..])?;
            i += 1 + len;
            Some(secs)
        }
        _ => None,
    };
    if !at(i, b' ') {
        return None;
    }
    // every byte up to `i` was checked to be ASCII
    let rest = AfterStamp::Syslog(&line[i + 1..]);
    let stamp = match offset {
        Some(secs) => {
            let off = FixedOffset::east_opt(secs)?;
            Stamp::Full(naive.and_local_timezone(off).single()?)
        }
        None => Stamp::Local(naive),
    };
    Some((stamp, rest))
}

/// A stamp behind a syslog PRI (`<22>`): RFC 5424's header (`<22>1 TIMESTAMP `), or a traditional
/// or RFC 3339 stamp as rsyslog's forward templates write them to a file
/// (`RSYSLOG_TraditionalForwardFormat`: `<22>Dec  7 04:52:35 mx postfix/smtp[123]: ...`,
/// `RSYSLOG_ForwardFormat`: `<22>2026-12-07T04:52:35.123456+00:00 mx ...`) and a syslog receiver
/// stores what it is sent. The PRI's facility and severity are checked and not kept: Postfix says
/// what a line is in its text (`warning:`), and that is what the line is read by, as with the
/// severity column.
fn parse_pri_stamp(line: &str) -> Option<(Stamp, AfterStamp<'_>)> {
    let after = after_pri(line)?;
    if let Some(header) = after.strip_prefix("1 ") {
        return parse_rfc5424_stamp(header);
    }
    // a year never starts `1 `: the version is not mistaken for one
    if after.as_bytes().first()?.is_ascii_digit() {
        parse_rfc3339_stamp(after)
    } else {
        parse_traditional_stamp(after)
    }
}

/// What follows a well-formed PRI at the start of `line`: `<0>` to `<191>`, one to three digits
/// (facility times eight plus severity).
fn after_pri(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let close = b.iter().take(5).position(|&c| c == b'>')?;
    if digits(&b[1..close]).is_none_or(|pri| pri > 191) {
        return None;
    }
    // `>` is ASCII: a character boundary
    Some(&line[close + 1..])
}

/// A UTC offset at the start of `b`, `+01:00`, `+0100` or, before a space or the end, the hours
/// alone, `+01` (ISO 8601's shortest form, as `date +%:::z` writes a whole hour); `-` west of UTC.
/// Its seconds east of UTC and its length.
///
/// Also `-03:-30`, UTC-03:30 (St. John's) as old syslog-ng versions write an offset west of UTC
/// by a part of an hour, the minutes with a sign of their own: only that shape, the minutes 01
/// to 59 (a whole hour's `00` has no sign).
fn utc_offset(b: &[u8]) -> Option<(i32, usize)> {
    let west = match b.first()? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    let hh = two(b.get(1..3)?)?;
    if west && b.get(3..5) == Some(b":-") {
        let mm = two(b.get(5..7)?).filter(|m| (1..60).contains(m))?;
        return Some((-i32::try_from(hh * 3600 + mm * 60).ok()?, 7));
    }
    if matches!(b.get(3), None | Some(b' ')) {
        let secs = i32::try_from(hh * 3600).ok()?;
        return Some((if west { -secs } else { secs }, 3));
    }
    let colon = usize::from(b.get(3) == Some(&b':'));
    let mm = two(b.get(3 + colon..5 + colon)?).filter(|&m| m < 60)?;
    let secs = i32::try_from(hh * 3600 + mm * 60).ok()?;
    Some((if west { -secs } else { secs }, 5 + colon))
}

/// RFC 5424's header after `<PRI>1 `: its TIMESTAMP and a space (rsyslog's
/// `RSYSLOG_SyslogProtocol23Format`, syslog-ng's `flags(syslog-protocol)`; both always write the
/// PRI). `-`, no time known, is no time to place the line at.
fn parse_rfc5424_stamp(header: &str) -> Option<(Stamp, AfterStamp<'_>)> {
    let end = memchr::memchr(b' ', header.as_bytes())?;
    let ts = &header[..end];
    let t = DateTime::parse_from_rfc3339(ts)
        .ok()
        .or_else(|| minus_minutes_stamp(ts))?;
    Some((Stamp::Full(t), AfterStamp::Rfc5424(&header[end + 1..])))
}

impl YearGuess {
    /// The time a stamp stands for. Yearless stamps must come in reading order: each one moves
    /// the year inference along (also when the date turns out not to exist).
    pub fn resolve(&mut self, stamp: Stamp) -> Option<DateTime<FixedOffset>> {
        // Lines come in bursts within one second: the same stamp again gives the same time and
        // leaves the inference where it was (the same month again changes nothing).
        if let Some((last, t)) = self.last
            && last == stamp
        {
            return t;
        }
        let t = self.resolve_new(stamp);
        self.last = Some((stamp, t));
        if t.is_some() {
            self.previous = t;
        }
        t
    }

    fn resolve_new(&mut self, stamp: Stamp) -> Option<DateTime<FixedOffset>> {
        let naive = match stamp {
            Stamp::Full(t) => return Some(t),
            Stamp::Local(naive) => naive,
            Stamp::Yearless {
                month,
                day,
                hour,
                minute,
                second,
            } => {
                let (month, day) = (u32::from(month), u32::from(day));
                let year = self.year_for(month, day);
                NaiveDate::from_ymd_opt(year, month, day)
                    .or_else(|| NaiveDate::from_ymd_opt(year, month, 28))?
                    .and_hms_opt(
                        u32::from(hour),
                        u32::from(minute),
                        u32::from(second).min(59),
                    )?
            }
        };
        self.resolve_local(naive)
    }

    /// The time a local time of the zone the stamps were written in stands for.
    fn resolve_local(&mut self, naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        let h = naive.hour();
        let date = naive.date();
        if let Some((d, hour, off)) = self.offset_cache
            && d == date
            && hour == h
        {
            return naive.and_local_timezone(off).single();
        }
        let off = match (self.zone)(&naive) {
            LocalResult::Single(off) => off,
            // the hour the clocks go back through twice (autumn): the first pass, unless that
            // would put the line well before the line before it, so that time keeps going
            // forward through the change as it did on the machine that wrote the lines. Not
            // kept for the next stamps: the line before decides each time.
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (
                    naive.and_local_timezone(a).single()?,
                    naive.and_local_timezone(b).single()?,
                );
                let (first, second) = if a <= b { (a, b) } else { (b, a) };
                return Some(match self.previous {
                    Some(p) if first < p - chrono::Duration::seconds(LATE_SECS) => second,
                    _ => first,
                });
            }
            // a time the clocks skipped (spring forward), written by a daemon in another zone or
            // not yet changed over: read with the offset before the change instead of dropping
            // the line as not understood
            LocalResult::None => (self.zone)(&(naive - chrono::Duration::hours(3))).earliest()?,
        };
        self.offset_cache = Some((date, h, off));
        naive.and_local_timezone(off).single()
    }
}

/// Byte offset of the first `b` in `s`. A plain loop: the fields searched are a few bytes long,
/// too short for a vectorised search to pay for its set-up.
fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// Byte offset of the last `b` in `s` (see [`find_byte`]).
fn rfind_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().rposition(|c| c == b)
}

/// `s.split_once(' ')` (see [`find_byte`]).
fn split_space(s: &str) -> Option<(&str, &str)> {
    find_byte(s, b' ').map(|i| (&s[..i], &s[i + 1..]))
}

fn is_severity(tok: &str) -> bool {
    const WORDS: [&str; 10] = [
        "emerg", "alert", "crit", "err", "error", "warning", "warn", "notice", "info", "debug",
    ];
    let t = tok.trim_matches(|c| c == '[' || c == ']' || c == '<' || c == '>');
    let t = rfind_byte(t, b'.').map_or(t, |i| &t[i + 1..]);
    // most tokens are host names and program tags: too long or too short to be a word
    (3..=7).contains(&t.len()) && WORDS.iter().any(|w| w.eq_ignore_ascii_case(t))
        || (tok.starts_with('<')
            && tok.ends_with('>')
            && tok[1..tok.len() - 1].bytes().all(|c| c.is_ascii_digit()))
}

/// Byte offset of the first `": "` in `s`.
fn find_colon_space(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b':', &b[from..]) {
        let at = from + i;
        if b.get(at + 1) == Some(&b' ') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// `s.split_once(": ")` without building a substring searcher.
fn split_colon_space(s: &str) -> Option<(&str, &str)> {
    find_colon_space(s).map(|i| (&s[..i], &s[i + 2..]))
}

/// Split `prog[pid]:` (or `prog:`); returns (program, pid, rest).
fn parse_program(rest: &str) -> Option<(&str, Option<u32>, &str)> {
    let colon = find_colon_space(rest).or_else(|| rest.strip_suffix(':').map(|s| s.len()))?;
    let tag = &rest[..colon];
    if tag.is_empty() || find_byte(tag, b' ').is_some() {
        return None;
    }
    let body = rest.get(colon + 2..).unwrap_or("");
    if let Some(open) = find_byte(tag, b'[') {
        let prog = &tag[..open];
        let pid = tag[open + 1..].strip_suffix(']')?.parse().ok();
        Some((prog, pid, body))
    } else {
        Some((tag, None, body))
    }
}

/// Parse one line. Returns `None` for lines that are not syslog-shaped or not from a Postfix-like
/// program (`.../daemon[pid]:`).
pub fn parse_line(line: &str, years: &mut YearGuess) -> Option<LogLine> {
    parse_line_with(line, years, true)
}

/// Like [`parse_line`]; `keep_text: false` leaves `text`, `host`, `daemon` and (but for a warning)
/// `program` empty, and also the fields a whole-file report never shows: a delivery's `relay`
/// (empty), `orig_to`, `conn_use`, `delay` and `delays` (`None`), the message id, the `client=`
/// value. Whole-file reports skip sanitizing and keeping them.
pub fn parse_line_with(line: &str, years: &mut YearGuess, keep_text: bool) -> Option<LogLine> {
    parse_line_ref(line, years, keep_text).map(LogLine::sanitized)
}

/// Like [`parse_line_with`], borrowing every text field raw from `line`: nothing is copied or
/// sanitized (the model sanitizes what it keeps).
pub fn parse_line_ref<'a>(
    line: &'a str,
    years: &mut YearGuess,
    keep_text: bool,
) -> Option<LogLine<&'a str>> {
    let line = trim_line(line);
    let (stamp, rest) = parse_stamp(line)?;
    let time = years.resolve(stamp)?;
    parse_after_stamp(line, rest, keep_text, time)
}

/// A line as the parser takes it: without its line end, and without the NUL bytes a syslog
/// daemon's crash leaves in front of the first line written after it (the file was extended,
/// the bytes never written).
pub fn trim_line(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r']).trim_start_matches('\0')
}

/// What a line's tag lost to rsyslog's cut (see [`cut_tag`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TagCut {
    /// The tag is whole.
    Whole,
    /// Cut after the program's name (its `[` is there): the name is whole.
    AfterName,
    /// No `[` left: the program's name may have lost its end, and the daemon's name with it
    /// (`postfix-10.0.0.1/submission/smtp` is smtpd's), or be whole; nothing tells which.
    InName,
}

/// `host prog[pid]: message` (an optional severity column before or after the host) -> (host,
/// program, pid, message, what the tag lost to a cut).
fn syslog_header(rest: &str) -> Option<(&str, &str, Option<u32>, &str, TagCut)> {
    let mut rest = rest.trim_start();
    let mut host = "";
    for _ in 0..3 {
        let (tok, after) = split_space(rest)?;
        if tok.ends_with(':') {
            // the program tag (never a severity or a host name)
            break;
        }
        if is_severity(tok) {
            rest = after.trim_start();
            continue;
        }
        if host.is_empty() {
            host = tok;
            rest = after.trim_start();
            continue;
        }
        break;
    }
    if let Some((program, pid, body)) = parse_program(rest) {
        return Some((host, program, pid, body, TagCut::Whole));
    }
    let (program, pid, body, cut) = cut_tag(rest)?;
    Some((host, program, pid, body, cut))
}

/// How long a tag rsyslog's forward templates write: `%syslogtag:1:32%`, the tag's first 32
/// bytes, its pid and colon included (RFC 3164's limit).
const CUT_TAG_LEN: usize = 32;

/// A tag rsyslog's forward templates (`RSYSLOG_TraditionalForwardFormat`,
/// `RSYSLOG_ForwardFormat`) cut to [`CUT_TAG_LEN`] bytes, a space and the message ->
/// (program, pid, message). A longer tag (`postfix/submission/smtpd[123456]:`,
/// `example.com/submission/smtpd[12345]:`, `postfix-203.0.113.45/submission/smtpd[1234]:`) loses
/// its colon, its `]`, part or all of its pid, even the end of its program name; the space before
/// the message stays, and a receiver stores the tag so (rsyslog's parser ends a tag at a colon or
/// a space). The program is what is left before the `[`; the pid is kept only when its `]` is.
/// Without a `[` the program is all 32 bytes, and may have lost its end ([`TagCut::InName`]).
fn cut_tag(rest: &str) -> Option<(&str, Option<u32>, &str, TagCut)> {
    let (tag, body) = split_space(rest)?;
    if tag.len() != CUT_TAG_LEN || tag.ends_with(':') {
        return None;
    }
    let Some(open) = find_byte(tag, b'[') else {
        return Some((tag, None, body, TagCut::InName));
    };
    let (digits, whole) = match tag[open + 1..].strip_suffix(']') {
        Some(d) => (d, true),
        None => (&tag[open + 1..], false),
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let pid = if whole { digits.parse().ok() } else { None };
    Some((&tag[..open], pid, body, TagCut::AfterName))
}

/// RFC 5424's `HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]` -> (host, program, pid,
/// message), as [`syslog_header`] reads the same line written the traditional way: APP-NAME is the
/// program (`postfix/smtp`), PROCID its pid (`-`: none), MSGID and STRUCTURED-DATA are passed over.
/// MSG loses the byte order mark syslog-ng writes before UTF-8 text and the space rsyslog leaves
/// at its start (its `msg` keeps the space after the tag it was logged with).
fn rfc5424_header(rest: &str) -> Option<(&str, &str, Option<u32>, &str)> {
    let (host, rest) = split_space(rest)?;
    let (program, rest) = split_space(rest)?;
    let (procid, rest) = split_space(rest)?;
    let (_msgid, rest) = split_space(rest)?;
    let msg = after_structured_data(rest)?;
    let host = if host == "-" { "" } else { host };
    let pid = if procid == "-" {
        None
    } else {
        procid.parse().ok()
    };
    let msg = msg
        .strip_prefix('\u{feff}')
        .unwrap_or(msg)
        .trim_start_matches(' ');
    Some((host, program, pid, msg))
}

/// MSG, after RFC 5424's STRUCTURED-DATA at the start of `s`: `-`, or elements `[id name="value"
/// ...]` whose values may hold `\"`, `\\` and `\]`. Empty when the line ends there; `None` when it is
/// not structured data (an element not closed, no space before MSG).
fn after_structured_data(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let mut end = 0;
    if b.first() == Some(&b'-') {
        end = 1;
    } else {
        while b.get(end) == Some(&b'[') {
            end += 1;
            let mut quoted = false;
            loop {
                match *b.get(end)? {
                    // the escaped byte is passed over (a quote or `]` in a value)
                    b'\\' if quoted => end += 1,
                    b'"' => quoted = !quoted,
                    b']' if !quoted => break,
                    _ => {}
                }
                end += 1;
            }
            end += 1;
        }
        if end == 0 {
            return None;
        }
    }
    // `end` follows an ASCII byte (`-` or `]`): a character boundary
    match b.get(end) {
        None => Some(""),
        Some(b' ') => Some(&s[end + 1..]),
        Some(_) => None,
    }
}

/// The rest of [`parse_line_ref`], after the timestamp: `line` is the whole line (trimmed),
/// `rest` what follows its timestamp. `time` is only stored.
pub fn parse_after_stamp<'a>(
    line: &'a str,
    rest: AfterStamp<'a>,
    keep_text: bool,
    time: DateTime<FixedOffset>,
) -> Option<LogLine<&'a str>> {
    let (host, program, pid, body, cut) = match rest {
        AfterStamp::Syslog(rest) => syslog_header(rest)?,
        AfterStamp::Rfc5424(rest) => {
            let (host, program, pid, body) = rfc5424_header(rest)?;
            (host, program, pid, body, TagCut::Whole)
        }
    };
    let slash = rfind_byte(program, b'/');
    if slash.is_none() && !program.starts_with("postfix") {
        return None;
    }
    let daemon = slash.map_or(program, |i| &program[i + 1..]);
    let (queue_id, body) = match split_colon_space(body) {
        Some((id, after)) => match QueueId::parse(id) {
            Some(q) => (Some(q), after),
            None => (None, body),
        },
        None => match body.strip_suffix(':').and_then(QueueId::parse) {
            Some(q) => (Some(q), ""),
            None => (None, body),
        },
    };
    let name_cut = cut == TagCut::InName;
    let kind = classify_body(daemon, name_cut, queue_id.is_some(), body, keep_text);
    // a cut tag is less sure to be Postfix's: its line must say what Postfix says (a queue id, a
    // reject, a warning), or be one of a daemon's own lines, its shape exact and the daemon's
    // name, as far as the tag kept it, that of a daemon that logs it: smtpd's first, the others'
    // only where smtpd's shapes fail; another line that says nothing to the model is not worth
    // the risk of taking another program's line for Postfix's
    let may_be = |name: &str| {
        if name_cut {
            name.starts_with(daemon)
        } else {
            daemon == name
        }
    };
    if cut != TagCut::Whole
        && queue_id.is_none()
        && matches!(kind, Kind::Other)
        && !(is_smtpd_own(body) && may_be("smtpd"))
        && !others_own(body).iter().any(|name| may_be(name))
    {
        return None;
    }
    // a name the cut may have shortened is no daemon's name: unknown; nor is its last `/`
    // component sure to be whole (`postfix-1.2.3.4/submissio`): the program is what is before
    let (program, daemon) = if name_cut {
        (&program[..slash.unwrap_or(0)], "")
    } else {
        (program, daemon)
    };
    let keep = |s: &'a str| if keep_text { s } else { "" };
    // a report names the program of a warning (they are few)
    let warns = matches!(
        kind,
        Kind::SaslWarning(_) | Kind::TlsWarning(_) | Kind::Warning(_)
    );
    Some(LogLine {
        time,
        host: keep(host),
        program: if warns { program } else { keep(program) },
        daemon: keep(daemon),
        name_cut,
        pid,
        queue_id,
        kind,
        text: keep(line),
    })
}

/// One of smtpd's lines without a queue id that say nothing to the model, in a shape that is
/// smtpd's own: its session lines ([`is_smtpd_session`]), its TLS handshake's summary
/// ([`is_tls_summary`]), a client's improper pipelining ([`is_improper_pipelining`]), and what
/// its access rules log without refusing ([`is_access_note`]).
fn is_smtpd_own(body: &str) -> bool {
    is_smtpd_session(body)
        || is_tls_summary(body)
        || is_improper_pipelining(body)
        || is_access_note(body)
}

/// One of smtpd's session lines, whose shape is its own: `connect from CLIENT`, `disconnect from
/// CLIENT` (with its command counts, `ehlo=1 auth=0/1 commands=1/2`), and `lost connection after
/// CMD from CLIENT`, `timeout after CMD from CLIENT` (`DATA (0 bytes)`, say) or `too many errors
/// after CMD from CLIENT`.
fn is_smtpd_session(body: &str) -> bool {
    if let Some(client) = body.strip_prefix("connect from ") {
        return is_client(client);
    }
    if let Some(rest) = body.strip_prefix("disconnect from ") {
        let (client, counts) = rest.split_once(' ').unwrap_or((rest, ""));
        let count = |c: &str| {
            c.split_once('=').is_some_and(|(name, n)| {
                !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_lowercase())
                    && n.split('/')
                        .all(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            })
        };
        return is_client(client) && (counts.is_empty() || counts.split(' ').all(count));
    }
    [
        "lost connection after ",
        "timeout after ",
        "too many errors after ",
    ]
    .iter()
    .filter_map(|p| body.strip_prefix(p))
    .filter_map(|rest| rest.rsplit_once(" from "))
    .any(|(cmd, client)| !cmd.is_empty() && is_client(client))
}

/// The summary smtpd logs of a TLS handshake ([`tls_summary`]) from a client as it names one
/// ([`is_client`]): `Anonymous TLS connection established from mail.example.net[192.0.2.60]:
/// TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)`.
fn is_tls_summary(body: &str) -> bool {
    tls_summary(body).is_some_and(|(from, peer)| from && is_client(peer))
}

/// The one line Postfix's TLS library logs of a handshake (`smtpd_tls_loglevel = 1`,
/// `smtp_tls_loglevel = 1`), smtpd's, smtp's, lmtp's and tlsproxy's alike -> (whether the peer
/// is the client, `from PEER`, rather than the server, `to PEER`; the peer as the daemon named
/// it). `Anonymous TLS connection established from CLIENT: TLSv1.3 with cipher
/// TLS_AES_256_GCM_SHA384 (256/256 bits)`, the peer's certificate `Verified`, `Trusted` or
/// `Untrusted`, the session maybe `reused`, the name a client asked for after it (`CLIENT to
/// mail.example.com`), and Postfix 3.4's details after the bits (` key-exchange X25519
/// server-signature RSA-PSS (2048 bits) server-digest SHA256`). Older Postfix wrote no word
/// before `TLS` (`TLS connection established from unknown[192.0.2.7]: TLSv1 with cipher
/// DHE-RSA-AES256-SHA (256/256 bits)`).
fn tls_summary(body: &str) -> Option<(bool, &str)> {
    let word = |s: &str| !s.is_empty() && !s.contains(' ');
    let rest = ["Anonymous ", "Verified ", "Trusted ", "Untrusted "]
        .iter()
        .find_map(|p| body.strip_prefix(p))
        .unwrap_or(body)
        .strip_prefix("TLS connection ")?;
    let rest = rest
        .strip_prefix("established ")
        .or_else(|| rest.strip_prefix("reused "))?;
    let (from, rest) = match rest.strip_prefix("from ") {
        Some(r) => (true, r),
        None => (false, rest.strip_prefix("to ")?),
    };
    let (peer, rest) = rest.split_once(": ")?;
    // only a server is told the name its client asked for
    let peer = match peer.split_once(" to ") {
        Some((client, sni)) if from && word(sni) => client,
        Some(_) => return None,
        None => peer,
    };
    let (protocol, rest) = rest.split_once(" with cipher ")?;
    let (cipher, rest) = rest.split_once(" (")?;
    let (bits, details) = rest.split_once(" bits)")?;
    let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    let whole = word(protocol)
        && word(cipher)
        && bits
            .split_once('/')
            .is_some_and(|(a, b)| number(a) && number(b))
        && (details.is_empty()
            || [" key-exchange ", " server-signature ", " client-signature "]
                .iter()
                .any(|d| details.starts_with(d)));
    whole.then_some((from, peer))
}

/// A stage of smtpd's session as it names one: `CONNECT`, `EHLO`, `RCPT`, `END-OF-MESSAGE`.
fn is_stage(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'-')
}

/// smtpd's `improper command pipelining after STAGE from CLIENT: WHAT` (what the client sent too
/// early, escaped by Postfix).
fn is_improper_pipelining(body: &str) -> bool {
    body.strip_prefix("improper command pipelining after ")
        .and_then(|r| r.split_once(" from "))
        .and_then(|(stage, r)| is_stage(stage).then_some(r))
        .and_then(|r| r.split_once(": "))
        .is_some_and(|(client, _)| is_client(client))
}

/// What smtpd's access rules log before a queue id without refusing (`WARN`, `INFO`,
/// `FILTER`, `REDIRECT`, `warn_if_reject`'s `reject_warning`), in the shape of its reject line:
/// `NOQUEUE: warn: RCPT from CLIENT: TEXT; from=<a> to=<b> proto=ESMTP helo=<h>`, the
/// attributes what smtpd knew then (none but `proto=` at the connection).
fn is_access_note(body: &str) -> bool {
    let Some((action, rest)) = body
        .strip_prefix("NOQUEUE: ")
        .and_then(|r| r.split_once(": "))
    else {
        return false;
    };
    let Some((stage, rest)) = rest.split_once(" from ") else {
        return false;
    };
    let Some((client, text)) = rest.split_once(": ") else {
        return false;
    };
    let attrs_whole = match attrs_start(text) {
        Some(at) => split_attrs(&text[at + 2..]).1.is_empty(),
        None => text.ends_with(';'),
    };
    !action.is_empty()
        && action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        && is_stage(stage)
        && is_client(client)
        && attrs_whole
}

/// A client as smtpd names it: `NAME[ADDR]`, or `NAME[ADDR]:PORT` as `smtpd_client_port_logging =
/// yes` writes it: NAME without a space or a `[`, ADDR an IP address or `unknown`.
fn is_client(client: &str) -> bool {
    let Some((name, rest)) = client.split_once('[') else {
        return false;
    };
    let Some((addr, port)) = rest.split_once(']') else {
        return false;
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    !name.is_empty()
        && !name.contains(' ')
        && (addr == "unknown" || addr.parse::<std::net::IpAddr>().is_ok())
        && port_ok
}

/// The daemons that log a line without a queue id that says nothing to the model, in a shape
/// of their own other than smtpd's ([`is_smtpd_own`]); none where it is in no such shape:
/// - the TLS handshake's summary ([`tls_summary`]) to a server, smtp's or lmtp's, or
///   tlsproxy's where it speaks for smtp (`Verified TLS connection established to
///   mx.example.net[192.0.2.60]:25: ...`), or from a client named by its endpoint only, as
///   tlsproxy names postscreen's clients (`from [192.0.2.7]:51234`);
/// - tlsproxy's `CONNECT from ENDPOINT`, `CONNECT to ENDPOINT` and `DISCONNECT ENDPOINT`;
/// - postscreen's lines ([`is_postscreen_own`]), and the statistics of its cache's cleanup
///   (`cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=12 dropped=3
///   entries`), which verify logs of its own cache too.
///
/// Some shapes are shared: tlsproxy's `DISCONNECT [192.0.2.7]:51234` is postscreen's too, as is
/// its `CONNECT from [192.0.2.7]:51234` (older postscreen's, before it added `to SERVER`), smtp,
/// lmtp and tlsproxy log the same summary to a server, and postscreen and verify the same
/// cleanup. Nothing in the line tells whose it is, and nothing needs to: each is read as the
/// same line that says nothing to the model (no failure) whichever daemon wrote it, so all of
/// them are named.
fn others_own(body: &str) -> &'static [&'static str] {
    const NONE: &[&str] = &[];
    const SCREEN: &[&str] = &["postscreen"];
    const PROXY: &[&str] = &["tlsproxy"];
    const SCREEN_OR_PROXY: &[&str] = &["postscreen", "tlsproxy"];
    const CLIENTS: &[&str] = &["smtp", "lmtp", "tlsproxy"];
    const SCREEN_OR_VERIFY: &[&str] = &["postscreen", "verify"];
    if let Some((from, peer)) = tls_summary(body) {
        return match from {
            true if is_endpoint(peer) => PROXY,
            // older smtp named the server by its name alone
            false if is_client(peer) || is_host_name(peer) => CLIENTS,
            _ => NONE,
        };
    }
    if let Some(rest) = body.strip_prefix("CONNECT ") {
        if let Some(server) = rest.strip_prefix("to ") {
            return if is_endpoint(server) { PROXY } else { NONE };
        }
        let Some(rest) = rest.strip_prefix("from ") else {
            return NONE;
        };
        return match rest.split_once(" to ") {
            Some((client, server)) if is_endpoint(client) && is_endpoint(server) => SCREEN,
            None if is_endpoint(rest) => SCREEN_OR_PROXY,
            _ => NONE,
        };
    }
    if let Some(peer) = body.strip_prefix("DISCONNECT ") {
        return if is_endpoint(peer) {
            SCREEN_OR_PROXY
        } else {
            NONE
        };
    }
    if is_cache_cleanup(body) {
        return SCREEN_OR_VERIFY;
    }
    if is_postscreen_own(body) {
        SCREEN
    } else {
        NONE
    }
}

/// The statistics a daemon's cache logs of its cleanup: `cache MAP full cleanup: retained=N
/// dropped=N entries` (`partial` where the cleanup stopped early).
fn is_cache_cleanup(body: &str) -> bool {
    let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    body.strip_prefix("cache ")
        .and_then(|r| r.split_once(' '))
        .and_then(|(map, r)| (!map.is_empty()).then_some(r))
        .and_then(|r| {
            r.strip_prefix("full ")
                .or_else(|| r.strip_prefix("partial "))
        })
        .and_then(|r| r.strip_prefix("cleanup: retained="))
        .and_then(|r| r.split_once(" dropped="))
        .and_then(|(kept, r)| Some((kept, r.strip_suffix(" entries")?)))
        .is_some_and(|(kept, dropped)| number(kept) && number(dropped))
}

/// One of postscreen's own lines but its `CONNECT` and `DISCONNECT` ([`others_own`]), its
/// client named by its endpoint (`[192.0.2.7]:51234`, [`is_endpoint`]): its verdicts (`PASS NEW
/// CLIENT`, `PASS OLD`, `ALLOWLISTED`, `DENYLISTED`, `ALLOWLIST VETO`, and their older names,
/// `WHITELISTED`, `BLACKLISTED`, `WHITELIST VETO`), `DNSBL rank 3 for CLIENT`,
/// `PREGREET 11 after 0.21 from CLIENT: EHLO x\r\n`, `HANGUP after 0.5 from CLIENT in tests
/// before SMTP handshake`, what its SMTP tests saw (`COMMAND PIPELINING from CLIENT after EHLO:
/// QUIT\r\n`, `NON-SMTP COMMAND from CLIENT after CONNECT: GET / HTTP/1.1`, `BARE NEWLINE from
/// CLIENT after RCPT`, `COMMAND TIME LIMIT`, `COMMAND LENGTH LIMIT`, `COMMAND COUNT LIMIT`,
/// `DATA without valid RCPT from CLIENT`, `BDAT without valid RCPT`), its load (`reject: connect
/// from CLIENT: all screening ports busy`, `entering STRESS mode with 120 connections`, `leaving
/// STRESS mode`).
fn is_postscreen_own(body: &str) -> bool {
    let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    let delay = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let word = |s: &str| !s.is_empty() && !s.contains(' ');
    // `CLIENT after WHAT: TEXT` (WHAT a command as the client sent it, or a stage)
    let after_then_text = |r: &str| {
        r.split_once(" after ")
            .and_then(|(client, r)| Some((client, r.split_once(": ")?.0)))
            .is_some_and(|(client, what)| is_endpoint(client) && word(what))
    };
    let (head, rest) = body.split_once(' ').unwrap_or((body, ""));
    match head {
        "PASS" => ["NEW ", "OLD "]
            .iter()
            .filter_map(|p| rest.strip_prefix(p))
            .any(is_endpoint),
        "ALLOWLISTED" | "DENYLISTED" | "WHITELISTED" | "BLACKLISTED" => is_endpoint(rest),
        "ALLOWLIST" | "WHITELIST" => rest.strip_prefix("VETO ").is_some_and(is_endpoint),
        "DNSBL" => rest
            .strip_prefix("rank ")
            .and_then(|r| r.split_once(" for "))
            .is_some_and(|(rank, client)| {
                number(rank.strip_prefix('-').unwrap_or(rank)) && is_endpoint(client)
            }),
        "PREGREET" => rest
            .split_once(" after ")
            .and_then(|(count, r)| number(count).then_some(r))
            .and_then(|r| r.split_once(" from "))
            .and_then(|(t, r)| delay(t).then_some(r))
            .and_then(|r| r.split_once(": "))
            .is_some_and(|(client, _)| is_endpoint(client)),
        "HANGUP" => rest
            .strip_prefix("after ")
            .and_then(|r| r.split_once(" from "))
            .and_then(|(t, r)| delay(t).then_some(r))
            .and_then(|r| r.split_once(" in "))
            .is_some_and(|(client, tests)| is_endpoint(client) && !tests.is_empty()),
        "COMMAND" => {
            if let Some(r) = rest.strip_prefix("PIPELINING from ") {
                return after_then_text(r);
            }
            ["TIME ", "LENGTH ", "COUNT "]
                .iter()
                .filter_map(|p| rest.strip_prefix(p))
                .filter_map(|r| r.strip_prefix("LIMIT from "))
                .filter_map(|r| r.split_once(" after "))
                .any(|(client, what)| is_endpoint(client) && !what.is_empty())
        }
        "NON-SMTP" => rest
            .strip_prefix("COMMAND from ")
            .is_some_and(after_then_text),
        "BARE" => rest
            .strip_prefix("NEWLINE from ")
            .and_then(|r| r.split_once(" after "))
            .is_some_and(|(client, what)| is_endpoint(client) && !what.is_empty()),
        "DATA" | "BDAT" => rest
            .strip_prefix("without valid RCPT from ")
            .is_some_and(is_endpoint),
        "reject:" => rest
            .strip_prefix("connect from ")
            .and_then(|r| r.strip_suffix(": all screening ports busy"))
            .is_some_and(is_endpoint),
        "entering" | "leaving" => rest
            .strip_prefix("STRESS mode with ")
            .and_then(|r| r.strip_suffix(" connections"))
            .is_some_and(number),
        _ => false,
    }
}

/// A peer as postscreen and tlsproxy name it: `[ADDR]:PORT`, ADDR an IP address.
fn is_endpoint(peer: &str) -> bool {
    peer.strip_prefix('[')
        .and_then(|r| r.split_once("]:"))
        .is_some_and(|(addr, port)| {
            addr.parse::<std::net::IpAddr>().is_ok()
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
        })
}

/// A host's name alone (`mx.example.net`): letters, digits, dots and hyphens.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Value of `key=` in a comma-separated attribute list; `<..>` values may hold commas.
/// The first `key=` at the start or after a space or comma counts.
fn attr<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let b = body.as_bytes();
    let k = key.as_bytes();
    let matches_at = |at: usize| {
        b.len() > at + k.len()
            && b[at + k.len()] == b'='
            && b[at..at + k.len()].iter().zip(k).all(|(x, y)| x == y)
    };
    let mut found = matches_at(0).then_some(0);
    if found.is_none() {
        let mut from = 0;
        while let Some(i) = memchr::memchr2(b' ', b',', &b[from..]) {
            let at = from + i + 1;
            if matches_at(at) {
                found = Some(at);
                break;
            }
            from = at;
        }
    }
    let vstart = found? + k.len() + 1;
    let v = &body[vstart..];
    if v.starts_with('<') {
        return Some(match memchr::memchr(b'>', v.as_bytes()) {
            Some(end) => &v[..=end],
            None => v,
        });
    }
    let end = memchr::memchr2(b',', b' ', v.as_bytes()).unwrap_or(v.len());
    Some(&v[..end])
}

/// Does a line without a queue id (host names blanked, lower case) tell of a TLS failure?
fn tls_trouble(words: &str) -> bool {
    (words.contains("tls") || words.contains("ssl_"))
        && (words.contains("fail") || words.contains("error") || words.contains("lost connection"))
}

/// `<a@b>` -> `a@b`.
fn addr(v: Option<&str>) -> Option<&str> {
    v.map(|s| s.trim_start_matches('<').trim_end_matches('>'))
}

/// postconf's warning of an unused parameter in main.cf gives its value (`/etc/postfix/main.cf:
/// unused parameter: smtp_sasl_passwd_maps=static:user:password`, a misspelt name): the value
/// may be a password. The name stays.
fn without_parameter_value(w: &str) -> &str {
    const UNUSED: &str = "unused parameter: ";
    let Some(at) = w.find(UNUSED) else {
        return w;
    };
    let from = at + UNUSED.len();
    match memchr::memchr(b'=', &w.as_bytes()[from..]) {
        Some(eq) => w[..from + eq].trim_end(),
        None => w,
    }
}

/// A warning about a line of a lookup table quotes text from that line at
/// its end (`pcre map /etc/postfix/sasl_passwd.pcre, line 3: ignoring extra
/// text after IF statement: "user:password"`, `... non-numeric replacement
/// index "..."`), or postmap the whole line before ` -- ignoring this line`
/// (`/etc/postfix/sasl_passwd, line 2: non-UTF-8 input "[relay]:587
/// user:pass?word" -- ignoring this line`): in a password map that text is a
/// password. The quoted text is cut off, from the first quote on (Postfix's
/// own words before it hold none; the quoted text may); the map and line
/// number stay.
fn without_quoted_map_text(w: &str) -> &str {
    let Some(at) = w.find(", line ") else {
        return w;
    };
    let quoted = w.strip_suffix(" -- ignoring this line").unwrap_or(w);
    if !quoted.ends_with('"') || quoted.len() < at + 2 {
        return w;
    }
    match quoted[at..quoted.len() - 1].find('"') {
        Some(open) => w[..at + open].trim_end_matches([' ', ':']),
        None => w,
    }
}

/// The kind of a line's message. `daemon` is the daemon's name, or, with `name_cut`, the start of
/// it a cut tag left ([`TagCut::InName`]): then a line whose kind depends on its daemon
/// (`removed`: qmgr's or postsuper's) is that daemon's only when what is left is a start of that
/// name and of no other daemon's that logs such a line (`post`, `postsupe`: postsuper's, not
/// qmgr's); nothing left is no daemon's.
fn classify_body<'a>(
    daemon: &str,
    name_cut: bool,
    has_id: bool,
    body: &'a str,
    keep_text: bool,
) -> Kind<&'a str> {
    let is = |name: &str| {
        if name_cut {
            !daemon.is_empty() && name.starts_with(daemon)
        } else {
            daemon == name
        }
    };
    if let Some(w) = body.strip_prefix("warning: ").or_else(|| {
        ["error: ", "fatal: ", "panic: "]
            .iter()
            .find_map(|p| body.strip_prefix(p).map(|_| body))
    }) {
        let w = without_parameter_value(without_quoted_map_text(w));
        // a peer's host name (`sasl.example.org`, `mx.tlsmail.example`) says nothing
        let lower = w.to_ascii_lowercase();
        let words = without_host_names(&lower);
        if words.contains("sasl") {
            return Kind::SaslWarning(w);
        }
        if words.contains("tls") || words.contains("certificate") || words.contains("ssl_") {
            return Kind::TlsWarning(w);
        }
        return Kind::Warning(w);
    }
    // smtpd has no queue id yet (`NOQUEUE: `); cleanup and a later smtpd stage have one
    let action = |what: &str| -> Option<&'a str> {
        match body.strip_prefix("NOQUEUE: ") {
            Some(rest) => rest.strip_prefix(what),
            None if has_id => body.strip_prefix(what),
            None => None,
        }
    };
    if let Some(r) = action("reject: ") {
        return parse_reject(r, false);
    }
    if let Some(r) = action("milter-reject: ") {
        return parse_reject(r, true);
    }
    // the addresses from the attribute list, not from a header the rule matched
    let envelope = |d: &'a str| {
        let attrs = attrs_start(d).map_or("", |at| split_attrs(&d[at + 2..]).0);
        (addr(attr(attrs, "from")), addr(attr(attrs, "to")))
    };
    if let Some(d) = action("discard: ").or_else(|| action("milter-discard: ")) {
        let (from, to) = envelope(d);
        return Kind::Discard { what: d, from, to };
    }
    if has_id
        && let Some(h) = body
            .strip_prefix("hold: ")
            .or_else(|| body.strip_prefix("milter-hold: "))
    {
        let (from, to) = envelope(h);
        return Kind::Hold { what: h, from, to };
    }
    if !has_id {
        // `lost connection after STARTTLS from ...`, `SSL_accept error from ...`; most lines
        // (connect, disconnect) have neither word, and are not copied
        let lower = body.to_ascii_lowercase();
        if (lower.contains("tls") || lower.contains("ssl_"))
            && tls_trouble(&without_host_names(&lower))
        {
            return Kind::TlsWarning(body);
        }
        return Kind::Other;
    }
    if body.starts_with("to=<") {
        if let Some(d) = parse_delivery(body, keep_text) {
            return Kind::Delivery(d);
        }
        return Kind::Other;
    }
    if body.starts_with("from=<") {
        let from = addr(attr(body, "from")).unwrap_or_default();
        if let Some(status) = attr(body, "status") {
            return Kind::Expired {
                from,
                forced: status == "force-expired",
            };
        }
        let size = attr(body, "size").and_then(|s| s.parse().ok());
        let nrcpt = attr(body, "nrcpt").and_then(|s| s.parse().ok());
        return Kind::QueueActive { from, size, nrcpt };
    }
    if body == "removed" {
        return if is("postsuper") {
            Kind::Super(SuperAction::Removed)
        } else {
            Kind::Removed
        };
    }
    if let Some(m) = body.strip_prefix("message-id=") {
        if !keep_text {
            return Kind::MessageId("");
        }
        return Kind::MessageId(m.trim_start_matches('<').trim_end_matches('>'));
    }
    if body.starts_with("uid=") || (is("pickup") && body.contains("from=<")) {
        return Kind::Pickup {
            uid: attr(body, "uid").and_then(|s| s.parse().ok()),
            from: addr(attr(body, "from")).unwrap_or_default(),
            orig_id: attr(body, "orig_id").and_then(QueueId::parse),
        };
    }
    if let Some(c) = body.strip_prefix("client=") {
        if !keep_text {
            return Kind::Client("");
        }
        return Kind::Client(c.split(',').next().unwrap_or(c));
    }
    if let Some((what, id)) = body.rsplit_once(" notification: ")
        && let Some(new_id) = QueueId::parse(id.trim())
    {
        // `what` is kept: whether the notice went to the sender tells whose it is
        return Kind::Notification { new_id, what };
    }
    match body {
        "placed on hold" => return Kind::Super(SuperAction::Held),
        "released from hold" => return Kind::Super(SuperAction::Released),
        "requeued" => return Kind::Super(SuperAction::Requeued),
        "expired" | "force-expired" if is("postsuper") => {
            return Kind::Super(SuperAction::Expired);
        }
        _ => {}
    }
    Kind::Other
}

fn parse_delivery(body: &str, keep_text: bool) -> Option<DeliveryLine<&str>> {
    static STATUS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(" status="));
    let to = addr(attr(body, "to"))?;
    let status_at = STATUS.find(body.as_bytes())?;
    let after = &body[status_at + 8..];
    let word_end = memchr::memchr(b' ', after.as_bytes()).unwrap_or(after.len());
    let status = Status::parse(&after[..word_end])?;
    let reason = after[word_end..].trim();
    let reason = reason
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(reason);
    let head = &body[..status_at];
    if !keep_text {
        return Some(DeliveryLine {
            to,
            orig_to: None,
            relay: "",
            conn_use: None,
            delay: None,
            delays: None,
            dsn: attr(head, "dsn").unwrap_or(""),
            status,
            reason,
        });
    }
    Some(DeliveryLine {
        to,
        orig_to: addr(attr(head, "orig_to")),
        relay: attr(head, "relay").unwrap_or(""),
        conn_use: attr(head, "conn_use").and_then(|s| s.parse().ok()),
        delay: attr(head, "delay").and_then(|s| s.parse().ok()),
        delays: attr(head, "delays"),
        dsn: attr(head, "dsn").unwrap_or(""),
        status,
        reason,
    })
}

/// A reject in either of Postfix's two layouts:
/// - smtpd (and milters): `STAGE from CLIENT: REPLY; from=<a> to=<b> proto=ESMTP helo=<h>`, as in
///   `RCPT from host[ip]: 554 5.7.1 <x>: Relay access denied; from=<a> to=<b> ...`;
/// - cleanup's header and body rules: `CLASS CONTENT from CLIENT; from=<a> to=<b>: TEXT`, as in
///   `header Subject: hi from local; from=<a> to=<b>: 5.7.1 content not wanted`.
///
/// The stage is what was refused (`RCPT from host[ip]`, `header Subject: hi from local`) and the
/// reply what the sender was told.
fn parse_reject(r: &str, milter: bool) -> Kind<&str> {
    let (head, attrs, text) = match attrs_start(r) {
        Some(at) => {
            let (attrs, after) = split_attrs(&r[at + 2..]);
            (&r[..at], attrs, after.strip_prefix(": "))
        }
        None => (r, "", None),
    };
    let (stage, reply) = match text {
        // cleanup: the rule's text follows the attributes
        Some(text) => (head, text),
        // smtpd: the reply follows the stage
        None => head.split_once(": ").unwrap_or(("", head)),
    };
    Kind::Reject {
        stage,
        reply,
        from: addr(attr(attrs, "from")),
        to: addr(attr(attrs, "to")),
        milter,
    }
}

/// Where the attribute list of a reject or discard starts: the first `; ` followed by one of
/// Postfix's attributes (a reply may hold `; ` itself, as block lists' do).
fn attrs_start(r: &str) -> Option<usize> {
    memchr::memmem::find_iter(r.as_bytes(), b"; ").find(|&at| {
        let after = &r[at + 2..];
        ["from=<", "to=<", "proto=", "helo=<"]
            .iter()
            .any(|k| after.starts_with(k))
    })
}

/// `from=<a> to=<b> proto=ESMTP helo=<h>: TEXT` -> (the attributes, `: TEXT`). A value in `<>`
/// runs to its `>`, any other to a space or `:`.
fn split_attrs(tail: &str) -> (&str, &str) {
    let mut end = 0;
    loop {
        let rest = &tail[end..];
        let Some(eq) = rest.find('=') else { break };
        if eq == 0
            || !rest[..eq]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            break;
        }
        let v = &rest[eq + 1..];
        let len = if v.starts_with('<') {
            v.find('>').map_or(v.len(), |e| e + 1)
        } else {
            v.find([' ', ':']).unwrap_or(v.len())
        };
        end += eq + 1 + len;
        if !tail[end..].starts_with(' ') {
            break;
        }
        end += 1;
    }
    let attrs = tail[..end].trim_end();
    (attrs, &tail[attrs.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain substring-search version of [`attr`], for the property test below.
    fn attr_reference<'a>(body: &'a str, key: &str) -> Option<&'a str> {
        let mut search = 0;
        while let Some(pos) = body[search..].find(key) {
            let at = search + pos;
            let before_ok = at == 0 || matches!(body.as_bytes()[at - 1], b' ' | b',');
            let vstart = at + key.len();
            if before_ok && body[vstart..].starts_with('=') {
                let v = &body[vstart + 1..];
                if v.starts_with('<') {
                    return Some(match v.find('>') {
                        Some(end) => &v[..=end],
                        None => v,
                    });
                }
                let end = v.find([',', ' ']).unwrap_or(v.len());
                return Some(&v[..end]);
            }
            search = vstart;
        }
        None
    }

    proptest! {
        #[test]
        fn attr_matches_the_substring_search(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("to"), Just("orig_to"), Just("relay"), Just("delay"), Just("delays"),
                    Just("dsn"), Just("="), Just(", "), Just(" "), Just(","), Just("<"),
                    Just(">"), Just("x"), Just("é"), Just("status=sent")
                ],
                0..24
            )
        ) {
            let body: String = parts.concat();
            for key in ["to", "orig_to", "relay", "delay", "delays", "dsn", "status"] {
                prop_assert_eq!(attr(&body, key), attr_reference(&body, key), "{} in {:?}", key, body);
            }
        }
    }

    fn years() -> YearGuess {
        YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
    }

    fn p(line: &str) -> LogLine {
        parse_line(line, &mut years()).unwrap_or_else(|| panic!("no parse: {line}"))
    }

    #[test]
    fn map_text_quoted_in_a_warning_is_cut() {
        let mut years = YearGuess::new(chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap());
        let lines = [
            (
                "Dec  6 03:40:01 vm postfix/smtp[1234]: warning: pcre map /etc/postfix/sasl_passwd.pcre, line 3: ignoring extra text after IF statement: \"AKIAFRANK:if-SECRET\"",
                "pcre map /etc/postfix/sasl_passwd.pcre, line 3: ignoring extra text after IF statement",
            ),
            (
                "Dec  6 03:40:01 vm postfix/smtp[1234]: warning: regexp map /etc/postfix/sasl_passwd.re, line 5: non-numeric replacement index \"index-SECRET\"",
                "regexp map /etc/postfix/sasl_passwd.re, line 5: non-numeric replacement index",
            ),
            // main.cf quoted by any Postfix program: a line without its '=', a misspelt name
            (
                "Dec  6 03:40:01 vm postfix/postqueue[1234]: fatal: /etc/postfix/main.cf, line 9: missing '=' after attribute name: \"smtp_sasl_password_maps static:user:main-SECRET\"",
                "fatal: /etc/postfix/main.cf, line 9: missing '=' after attribute name",
            ),
            (
                "Dec  6 03:40:01 vm postfix/postconf[1234]: warning: /etc/postfix/main.cf: unused parameter: smtp_sasl_passwd_maps=static:user:unused-SECRET",
                "/etc/postfix/main.cf: unused parameter: smtp_sasl_passwd_maps",
            ),
            // a quote in the quoted text: all of it is cut
            (
                "Dec  6 03:40:01 vm postfix/smtp[1234]: warning: pcre map /etc/postfix/sasl_passwd.pcre, line 4: ignoring extra text after IF statement: \"AKIAFRANK:quote\"d-SECRET\"",
                "pcre map /etc/postfix/sasl_passwd.pcre, line 4: ignoring extra text after IF statement",
            ),
            // postmap quotes a line that is not UTF-8 whole (its password with a Latin-1 byte)
            (
                "Dec  6 03:40:01 vm postfix/postmap[1234]: warning: /etc/postfix/sasl_passwd, line 2: non-UTF-8 input \"[email-smtp.us-east-1.amazonaws.com]:587 AKIAFRANK:caf?-SECRET\" -- ignoring this line",
                "/etc/postfix/sasl_passwd, line 2: non-UTF-8 input",
            ),
            (
                "Dec  6 03:40:02 vm postfix/smtp[1234]: warning: /etc/postfix/sasl_passwd, line 2: expected format: key whitespace value -- ignoring this line",
                "/etc/postfix/sasl_passwd, line 2: expected format: key whitespace value -- ignoring this line",
            ),
        ];
        for (line, want) in lines {
            let l = parse_line(line, &mut years).unwrap();
            let text = match &l.kind {
                Kind::SaslWarning(t) | Kind::TlsWarning(t) | Kind::Warning(t) => t.to_string(),
                other => panic!("{other:?}"),
            };
            assert_eq!(text, want);
            assert!(!text.contains("SECRET"), "{text}");
        }
    }

    #[test]
    fn nul_bytes_a_crash_left_before_a_line_are_passed_over() {
        let line = "Dec  5 01:29:08 mx1 postfix/smtp[2046]: 1A2B3C0008: to=<a@example.org>, \
                    relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to \
                    x[192.0.2.1]:25: Connection timed out)";
        let mut years = YearGuess::now();
        let plain = parse_line_ref(line, &mut years, true).unwrap();
        let after_crash = format!("{}{line}\r\n", "\0".repeat(4096));
        let parsed = parse_line_ref(&after_crash, &mut years, true).unwrap();
        assert_eq!(parsed.queue_id, plain.queue_id);
        assert_eq!(parsed.text, line);
        assert!(
            matches!(parsed.kind, Kind::Delivery(_)),
            "{:?}",
            parsed.kind
        );
    }

    #[test]
    fn corpus_lines_all_parse_and_deliveries_have_status() {
        let corpus = include_str!("../../../tests/fixtures/maillog/corpus-3.7.log");
        let mut y = years();
        let mut deliveries = 0;
        for line in corpus.lines() {
            let l = parse_line(line, &mut y).unwrap_or_else(|| panic!("no parse: {line}"));
            if line.contains(" to=<") && line.contains("status=") {
                assert!(matches!(l.kind, Kind::Delivery(_)), "{line}");
                deliveries += 1;
            }
        }
        assert!(deliveries > 10);
    }

    #[test]
    fn table_of_real_lines() {
        let l = p(
            "Nov 27 19:25:41 vm postfix/smtp[11642]: 40A53C8900: to=<someone@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays=0.01/0.01/0/0, dsn=5.0.0, status=bounced (host 127.0.0.1[127.0.0.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@localhost (in reply to end of DATA command))",
        );
        assert_eq!(l.queue_id.as_ref().unwrap().as_str(), "40A53C8900");
        assert_eq!(&*l.program, "postfix/smtp");
        assert_eq!(l.pid, Some(11642));
        let Kind::Delivery(d) = l.kind else { panic!() };
        assert_eq!(&*d.to, "someone@example.com");
        assert_eq!(&*d.relay, "127.0.0.1[127.0.0.1]:2525");
        assert_eq!(&*d.dsn, "5.0.0");
        assert_eq!(d.status, Status::Bounced);
        assert_eq!(d.delay, Some(0.02));
        assert!(
            d.reason
                .starts_with("host 127.0.0.1[127.0.0.1] said: 554 Message rejected")
        );
        assert!(d.reason.ends_with("(in reply to end of DATA command)"));

        let l = p(
            "Nov 27 19:25:41 vm postfix/qmgr[10250]: 3F517C8902: from=<alice@example.com>, size=282, nrcpt=1 (queue active)",
        );
        assert_eq!(
            l.kind,
            Kind::QueueActive {
                from: "alice@example.com".into(),
                size: Some(282),
                nrcpt: Some(1)
            }
        );
        let l = p(
            "Nov 27 19:25:41 vm postfix/qmgr[10250]: 46106C8902: from=<>, size=2437, nrcpt=1 (queue active)",
        );
        assert_eq!(
            l.kind,
            Kind::QueueActive {
                from: "".into(),
                size: Some(2437),
                nrcpt: Some(1)
            }
        );
        assert_eq!(
            p("Nov 27 19:25:41 vm postfix/qmgr[10250]: 3F517C8902: removed").kind,
            Kind::Removed
        );
        assert_eq!(
            p("Nov 27 19:25:56 vm postfix/postsuper[11766]: 45AF0C8907: removed").kind,
            Kind::Super(SuperAction::Removed)
        );
        assert_eq!(
            p("Nov 27 19:25:54 vm postfix/postsuper[11755]: 45AF0C8907: placed on hold").kind,
            Kind::Super(SuperAction::Held)
        );
        assert_eq!(
            p("Nov 27 19:25:54 vm postfix/postsuper[11764]: 4889DC8909: requeued").kind,
            Kind::Super(SuperAction::Requeued)
        );
        assert_eq!(
            p("Nov 27 19:25:41 vm postfix/bounce[11646]: 40A53C8900: sender non-delivery notification: 46106C8902").kind,
            Kind::Notification { new_id: QueueId::parse("46106C8902").unwrap(), what: "sender non-delivery".into() }
        );
        assert_eq!(
            p("Nov 27 19:25:41 vm postfix/cleanup[11631]: 3F517C8902: message-id=<20261127192541.3F517C8902@vm.localdomain>").kind,
            Kind::MessageId("20261127192541.3F517C8902@vm.localdomain".into())
        );
        assert_eq!(
            p("Nov 27 19:26:01 vm postfix/pickup[10249]: 5C0E1C8904: uid=0 from=<tempfail@example.com> orig_id=4889DC8909").kind,
            Kind::Pickup { uid: Some(0), from: "tempfail@example.com".into(), orig_id: QueueId::parse("4889DC8909") }
        );
        assert_eq!(
            p("Nov 27 19:25:41 vm postfix/smtpd[11657]: 58765C8904: client=unknown[127.0.0.1]")
                .kind,
            Kind::Client("unknown[127.0.0.1]".into())
        );
        assert_eq!(
            p("Nov 27 19:30:00 vm postfix/qmgr[10250]: 45AF0C8907: from=<carol@example.com>, status=expired, returned to sender").kind,
            Kind::Expired { from: "carol@example.com".into(), forced: false }
        );
        assert_eq!(
            p("Nov 27 19:30:00 vm postfix/qmgr[10250]: 45AF0C8907: from=<carol@example.com>, status=force-expired, returned to sender").kind,
            Kind::Expired { from: "carol@example.com".into(), forced: true }
        );
        let l = p(
            "Nov 27 19:30:00 vm postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[10.0.0.9]: 554 5.7.1 <x@elsewhere.net>: Relay access denied; from=<spam@bad.example> to=<x@elsewhere.net> proto=ESMTP helo=<bad>",
        );
        assert!(l.queue_id.is_none());
        assert_eq!(
            l.kind,
            Kind::Reject {
                stage: "RCPT from unknown[10.0.0.9]".into(),
                reply: "554 5.7.1 <x@elsewhere.net>: Relay access denied".into(),
                from: Some("spam@bad.example".into()),
                to: Some("x@elsewhere.net".into()),
                milter: false,
            }
        );
        // (line, stage, reply, from, to): cleanup's rule layout, milters, a reply holding `; `
        let rejects = [
            (
                "Dec  4 22:50:41 mx postfix/cleanup[2]: 5643098E0E5: reject: header Subject: reject-me from local; from=<app@example.com> to=<reject-me@example.org>: 5.7.1 content not wanted",
                "header Subject: reject-me from local",
                "5.7.1 content not wanted",
                Some("app@example.com"),
                Some("reject-me@example.org"),
            ),
            (
                "Dec  4 22:50:41 mx postfix/cleanup[2]: 5643098E0E5: reject: body see http://x.example/a; b from mx[192.0.2.1]; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<mx>: 5.7.1 no links",
                "body see http://x.example/a; b from mx[192.0.2.1]",
                "5.7.1 no links",
                Some("a@b.example"),
                Some("c@d.example"),
            ),
            (
                "Dec  4 22:50:41 mx postfix/smtpd[1]: NOQUEUE: milter-reject: CONNECT from localhost[127.0.0.1]: 550 5.5.0 Service unavailable; proto=SMTP",
                "CONNECT from localhost[127.0.0.1]",
                "550 5.5.0 Service unavailable",
                None,
                None,
            ),
            (
                "Dec  4 22:50:41 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.9; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
                "RCPT from x[192.0.2.9]",
                "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.9",
                Some("a@b.example"),
                Some("c@d.example"),
            ),
            (
                // no attributes at all
                "Dec  4 22:50:41 mx postfix/smtpd[1]: NOQUEUE: reject: CONNECT from x[192.0.2.9]: 554 5.7.1 go away",
                "CONNECT from x[192.0.2.9]",
                "554 5.7.1 go away",
                None,
                None,
            ),
        ];
        for (line, stage, reply, from, to) in rejects {
            assert_eq!(
                p(line).kind,
                Kind::Reject {
                    stage: stage.into(),
                    reply: reply.into(),
                    from: from.map(Into::into),
                    to: to.map(Into::into),
                    milter: line.contains("milter-reject"),
                },
                "{line}"
            );
        }
        let warnings = [
            (
                "postfix/smtp[1]: warning: SASL authentication failure: No worthy mechs found",
                "sasl",
            ),
            (
                "postfix/smtp[1]: warning: TLS library problem: error:0A000086:SSL routines::certificate verify failed",
                "tls",
            ),
            (
                "postfix/smtpd[1]: SSL_accept error from unknown[192.0.2.4]: lost connection",
                "tls",
            ),
            (
                "postfix/smtpd[1]: lost connection after STARTTLS from unknown[192.0.2.4]",
                "tls",
            ),
            // a peer's name is not what the line says
            (
                "postfix/smtpd[1]: lost connection after CONNECT from mx.tlsmail.example[192.0.2.4]",
                "other",
            ),
            (
                "postfix/smtpd[1]: warning: hostname sasl.example.org does not resolve to address 192.0.2.9: Name or service not known",
                "warning",
            ),
            (
                "postfix/smtpd[1]: warning: mx.tlsmail.example[192.0.2.4]: SASL LOGIN authentication failed: authentication failure",
                "sasl",
            ),
        ];
        for (rest, want) in warnings {
            let kind = p(&format!("Nov 27 19:30:00 vm {rest}")).kind;
            let got = match kind {
                Kind::SaslWarning(_) => "sasl",
                Kind::TlsWarning(_) => "tls",
                Kind::Warning(_) => "warning",
                Kind::Other => "other",
                _ => "something else",
            };
            assert_eq!(got, want, "{rest}");
        }
    }

    #[test]
    fn orig_to_and_conn_use() {
        let l = p(
            "Nov 27 19:25:41 vm postfix/smtp[11642]: 498B1C890A: to=<bob@example.com>, orig_to=<bob>, relay=127.0.0.1[127.0.0.1]:2525, conn_use=2, delay=0.01, delays=0.01/0/0/0, dsn=2.0.0, status=sent (250 Ok 0100018fb34908c9-72d48abe-90b4-46a7-b46d-26afdf6a2406-000000)",
        );
        let Kind::Delivery(d) = l.kind else { panic!() };
        assert_eq!(d.orig_to.as_deref(), Some("bob"));
        assert_eq!(d.conn_use, Some(2));
        assert_eq!(d.status, Status::Sent);
        assert_eq!(d.delays.as_deref(), Some("0.01/0/0/0"));
    }

    #[test]
    fn every_timestamp_style() {
        let tail = "mx postfix/qmgr[1]: 3F517C8902: removed";
        let trad = p(&format!("Nov  7 13:28:01 {tail}"));
        let postlog = p(&format!("Nov 07 13:28:01 {tail}"));
        assert_eq!(trad.time, postlog.time);
        assert_eq!(trad.time.naive_local().to_string(), "2026-11-07 13:28:01");
        let rfc = p(&format!("2026-11-07T13:28:01.123456+01:00 {tail}"));
        assert_eq!(rfc.time.to_rfc3339(), "2026-11-07T13:28:01.123456+01:00");
        let journal = p(&format!("2026-11-07T13:28:01+0100 {tail}"));
        assert_eq!(journal.time.to_rfc3339(), "2026-11-07T13:28:01+01:00");
        let z = p(&format!("2026-11-07T12:28:01Z {tail}"));
        assert_eq!(z.time, journal.time);
        // severity column, after the timestamp or after the host
        let sev = p("2026-11-07T13:28:01+01:00 mail.info mx postfix/qmgr[1]: 3F517C8902: removed");
        assert_eq!(sev.kind, Kind::Removed);
        assert_eq!(&*sev.host, "mx");
        let sev2 = p("Nov  7 13:28:01 mx info postfix/qmgr[1]: 3F517C8902: removed");
        assert_eq!(sev2.kind, Kind::Removed);
        assert_eq!(&*sev2.host, "mx");
    }

    #[test]
    fn year_inference_across_new_year() {
        let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap());
        let a = parse_line(
            "Dec 31 23:59:59 mx postfix/qmgr[1]: 3F517C8902: removed",
            &mut y,
        )
        .unwrap();
        let b = parse_line(
            "Jan  1 00:00:01 mx postfix/qmgr[1]: 3F517C8902: removed",
            &mut y,
        )
        .unwrap();
        assert_eq!(a.time.naive_local().to_string(), "2026-12-31 23:59:59");
        assert_eq!(b.time.naive_local().to_string(), "2027-01-01 00:00:01");
        // a log that is all from this year
        let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let c = parse_line(
            "Nov 27 10:00:00 mx postfix/qmgr[1]: 3F517C8902: removed",
            &mut y,
        )
        .unwrap();
        assert_eq!(c.time.year(), 2026);
    }

    #[test]
    fn a_followed_log_s_first_line_is_dated_near_now() {
        let line = |t: &str| format!("{t} mx postfix/qmgr[1]: 3F517C8902: removed");
        // started on New Year's Eve, the first line comes after midnight
        let mut y = YearGuess::following(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let a = parse_line(&line("Jan  1 00:05:00"), &mut y).unwrap();
        assert_eq!(a.time.naive_local().to_string(), "2027-01-01 00:05:00");
        // started just after midnight, the first line was written just before it
        let mut y = YearGuess::following(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        let b = parse_line(&line("Dec 31 23:59:59"), &mut y).unwrap();
        let c = parse_line(&line("Jan  1 00:00:01"), &mut y).unwrap();
        assert_eq!(b.time.naive_local().to_string(), "2026-12-31 23:59:59");
        assert_eq!(c.time.naive_local().to_string(), "2027-01-01 00:00:01");
        // an ordinary day
        let mut y = YearGuess::following(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let d = parse_line(&line("Nov 27 10:00:00"), &mut y).unwrap();
        assert_eq!(d.time.naive_local().to_string(), "2026-11-27 10:00:00");
    }

    /// Europe/Berlin around the end of summer time in 2026: at 03:00 on 25 October the clocks go
    /// back to 02:00, so 02:00 to 03:00 happens twice, first at +02:00, then at +01:00.
    fn berlin_autumn_2026(t: &NaiveDateTime) -> LocalResult<FixedOffset> {
        let (summer, winter) = (
            FixedOffset::east_opt(2 * 3600).unwrap(),
            FixedOffset::east_opt(3600).unwrap(),
        );
        let back = NaiveDate::from_ymd_opt(2026, 10, 25)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        if *t < back {
            LocalResult::Single(summer)
        } else if *t < back + chrono::Duration::hours(1) {
            LocalResult::Ambiguous(summer, winter)
        } else {
            LocalResult::Single(winter)
        }
    }

    #[test]
    fn the_hour_the_clocks_go_back_through_twice_is_read_in_order() {
        // as written to a file, and behind a PRI (rsyslog's RSYSLOG_TraditionalForwardFormat)
        for pri in ["", "<22>"] {
            the_hour_the_clocks_go_back_through_twice_is_read_in_order_behind(pri);
        }
    }

    fn the_hour_the_clocks_go_back_through_twice_is_read_in_order_behind(pri: &str) {
        let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
            .in_zone(berlin_autumn_2026);
        let times: Vec<String> = [
            "Oct 25 01:59:58",
            "Oct 25 02:10:00",
            "Oct 25 02:59:59",
            // a line a second late, as two daemons write them: still the first pass
            "Oct 25 02:59:58",
            // the clocks went back: the second pass
            "Oct 25 02:00:01",
            "Oct 25 02:10:00",
            "Oct 25 02:59:59",
            "Oct 25 03:00:00",
        ]
        .iter()
        .map(|t| {
            let l = format!("{pri}{t} mx postfix/qmgr[1]: 3F517C8902: removed");
            parse_line(&l, &mut y).unwrap().time.to_rfc3339()
        })
        .collect();
        assert_eq!(
            times,
            [
                "2026-10-25T01:59:58+02:00",
                "2026-10-25T02:10:00+02:00",
                "2026-10-25T02:59:59+02:00",
                "2026-10-25T02:59:58+02:00",
                "2026-10-25T02:00:01+01:00",
                "2026-10-25T02:10:00+01:00",
                "2026-10-25T02:59:59+01:00",
                "2026-10-25T03:00:00+01:00",
            ],
            "{pri}"
        );
        // a log followed from the second pass on: its first new line is of the second pass too
        let started = DateTime::parse_from_rfc3339("2026-10-25T02:30:00+01:00").unwrap();
        let mut y = YearGuess::following(NaiveDate::from_ymd_opt(2026, 10, 25).unwrap())
            .in_zone(berlin_autumn_2026)
            .after(started);
        let l = format!("{pri}Oct 25 02:30:05 mx postfix/qmgr[1]: 3F517C8902: removed");
        let t = parse_line(&l, &mut y).unwrap().time;
        assert_eq!(t.to_rfc3339(), "2026-10-25T02:30:05+01:00", "{pri}");
    }

    #[test]
    fn late_december_lines_among_january_ones_stay_in_last_year() {
        for pri in ["", "<22>"] {
            late_december_lines_among_january_ones_stay_in_last_year_behind(pri);
        }
    }

    fn late_december_lines_among_january_ones_stay_in_last_year_behind(pri: &str) {
        let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap());
        let years: Vec<String> = [
            "Jan  1 00:00:01",
            "Dec 31 23:59:58",
            "Dec 31 23:59:59",
            "Dec 31 23:59:59",
            "Jan  1 00:00:02",
        ]
        .iter()
        .map(|t| {
            let l = format!("{pri}{t} mx postfix/qmgr[1]: 3F517C8902: removed");
            let p = parse_line(&l, &mut y).unwrap();
            p.time.naive_local().to_string()
        })
        .collect();
        assert_eq!(
            years,
            [
                "2027-01-01 00:00:01",
                "2026-12-31 23:59:58",
                "2026-12-31 23:59:59",
                "2026-12-31 23:59:59",
                "2027-01-01 00:00:02"
            ],
            "{pri}"
        );
    }

    #[test]
    fn program_names() {
        for (prog, daemon) in [
            ("postfix/submission/smtpd", "smtpd"),
            ("postfix-1.2.3.4/smtp", "smtp"),
            ("example.com/smtp", "smtp"),
            ("postfix/smtp", "smtp"),
        ] {
            let l = p(&format!(
                "Nov 27 19:25:41 vm {prog}[42]: 3F517C8902: removed"
            ));
            assert_eq!(&*l.program, prog);
            assert_eq!(&*l.daemon, daemon);
        }
        assert!(
            parse_line(
                "Nov 27 19:25:41 vm sshd[42]: Accepted publickey",
                &mut years()
            )
            .is_none()
        );
    }

    #[test]
    fn queue_ids_short_and_long() {
        assert!(QueueId::parse("3F517C8902").is_some());
        assert!(QueueId::parse("A36889A0011").is_some());
        assert!(QueueId::parse("4Pfh4c6ZFbz9sWR").is_some());
        assert!(QueueId::parse("NOQUEUE").is_none());
        assert!(QueueId::parse("warning").is_none());
        assert!(QueueId::parse("3f517c8902").is_none());
        let l = p("Nov 27 19:25:41 vm postfix/qmgr[1]: 4Pfh4c6ZFbz9sWR: removed");
        assert_eq!(l.queue_id.unwrap().as_str(), "4Pfh4c6ZFbz9sWR");
    }

    #[test]
    fn hostile_text_is_escaped() {
        let l = p(
            "Nov 27 19:25:41 vm postfix/smtp[1]: 3F517C8902: to=<a\u{1b}[2J@x>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (evil \u{1b}]0;pwn\u{7} \u{0} text)",
        );
        let Kind::Delivery(d) = &l.kind else { panic!() };
        assert!(!d.to.contains('\u{1b}'));
        assert!(
            !d.reason.contains('\u{1b}') && !d.reason.contains('\u{7}') && !d.reason.contains('\0')
        );
        assert!(!l.text.contains('\u{1b}'));
    }

    #[test]
    fn truncated_lines_do_not_panic() {
        let full = "Nov 27 19:25:41 vm postfix/smtp[11642]: 40A53C8900: to=<someone@example.com>, relay=x, delay=0.02, delays=0.01/0.01/0/0, dsn=5.0.0, status=bounced (host said: 554 no)";
        for i in 0..full.len() {
            if full.is_char_boundary(i) {
                let _ = parse_line(&full[..i], &mut years());
            }
        }
    }

    proptest! {
        /// Remembering the last stamp changes no result: the same stamp again leaves the year
        /// inference where it was.
        #[test]
        fn the_last_stamp_cache_is_transparent(
            stamps in proptest::collection::vec((1u8..=12, 0u8..=32, 0u8..=25, 0u8..=60, 0u8..=61, 0usize..3), 0..60)
        ) {
            let (mut cached, mut plain) = (years(), years());
            for (month, day, hour, minute, second, repeat) in stamps {
                let st = Stamp::Yearless { month, day, hour, minute, second };
                for _ in 0..=repeat {
                    prop_assert_eq!(cached.resolve(st), plain.resolve_new(st));
                }
            }
        }
    }

    proptest! {
        /// The one-pass queue id check accepts exactly what the definition says: 5 to 24
        /// alphanumerics, either upper-case hex, or at least 10 with a `z` after the first and
        /// no vowel.
        #[test]
        fn queue_id_check_matches_its_definition(s in "[0-9A-Fa-fzZuUoO:.-]{0,26}|[0-9A-Za-z]{0,26}") {
            let alnum = s.bytes().all(|b| b.is_ascii_alphanumeric());
            let short = s.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
            let long = s.len() >= 10
                && s[1..].contains('z')
                && !s.bytes().any(|b| b"aeiouAEIOU".contains(&b));
            let want = (5..=24).contains(&s.len()) && alnum && (short || long);
            prop_assert_eq!(QueueId::parse(&s).map(|q| q.as_str().to_string()), want.then(|| s.clone()));
        }

        #[test]
        fn never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..400)) {
            let s = String::from_utf8_lossy(&b);
            let _ = parse_line(&s, &mut years());
        }

        #[test]
        fn never_panics_with_a_valid_prefix(s in ".{0,300}") {
            let line = format!("Nov 27 19:25:41 vm postfix/smtp[1]: 3F517C8902: {s}");
            if let Some(l) = parse_line(&line, &mut years()) {
                prop_assert!(!l.text.chars().any(crate::sanitize::is_unsafe_char));
            }
        }

        #[test]
        fn delivery_fields_round_trip(user in "[a-z0-9.]{1,20}", dsn in "[245]\\.[0-9]\\.[0-9]", reason in "[ -~]{0,80}") {
            let line = format!("Nov 27 19:25:41 vm postfix/smtp[1]: 3F517C8902: to=<{user}@example.com>, relay=none, delay=1, delays=1/0/0/0, dsn={dsn}, status=deferred ({reason})");
            let l = parse_line(&line, &mut years()).unwrap();
            let Kind::Delivery(d) = l.kind else { panic!() };
            prop_assert_eq!(d.to.as_str(), format!("{user}@example.com"));
            prop_assert_eq!(d.dsn.as_str(), dsn);
            prop_assert_eq!(d.reason.as_str(), crate::sanitize::sanitize(&reason));
        }
    }

    /// `framed` (RFC 5424, or a stamp behind a PRI) must read as `traditional`, the same line as
    /// rsyslog writes it with `RSYSLOG_FileFormat` or `RSYSLOG_TraditionalFileFormat`, but for
    /// its text (the whole line).
    fn assert_twins(framed: &str, traditional: &str) {
        let (five, twin) = (p(framed), p(traditional));
        assert_eq!(
            LogLine {
                text: twin.text.clone(),
                ..five
            },
            twin,
            "{framed}"
        );
    }

    #[test]
    fn rfc5424_lines_read_as_their_traditional_twins() {
        let t = "2026-12-07T04:52:35.123456+00:00";
        let sent = "3F2A1B2C3D: to=<a@b.example>, relay=mx.b.example[192.0.2.7]:25, delay=1.2, \
                    delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4B1)";
        let twin = format!("{t} mail.example.com postfix/smtp[12345]: {sent}");
        for five in [
            // rsyslog's RSYSLOG_SyslogProtocol23Format: its msg keeps the space after the tag
            format!("<22>1 {t} mail.example.com postfix/smtp 12345 - -  {sent}"),
            format!("<22>1 {t} mail.example.com postfix/smtp 12345 - - {sent}"),
            // syslog-ng's flags(syslog-protocol): a sequence id, a byte order mark before UTF-8
            format!(
                "<22>1 {t} mail.example.com postfix/smtp 12345 - [meta sequenceId=\"7\"] \u{feff}{sent}"
            ),
            // two elements, values with escaped quotes, backslashes and brackets
            format!(
                r#"<22>1 {t} mail.example.com postfix/smtp 12345 ID47 [x@32473 a="q\"] [b" c="\\"][origin ip="192.0.2.1"] {sent}"#
            ),
        ] {
            assert_twins(&five, &twin);
        }
        let pairs = [
            // no pid, no host
            (
                format!("<22>1 {t} mx postfix/qmgr - - - 3F2A1B2C3D: removed"),
                format!("{t} mx postfix/qmgr: 3F2A1B2C3D: removed"),
            ),
            (
                format!(
                    "<20>1 {t} - postfix/smtp 1 - - warning: SASL authentication failure: No worthy mechs found"
                ),
                format!(
                    "{t} postfix/smtp[1]: warning: SASL authentication failure: No worthy mechs found"
                ),
            ),
            (
                format!(
                    "<22>1 {t} mx postfix/submission/smtpd 77 - - NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 <c@d.example>: Relay access denied; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"
                ),
                format!(
                    "{t} mx postfix/submission/smtpd[77]: NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 <c@d.example>: Relay access denied; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"
                ),
            ),
            // nothing after the structured data
            (
                format!("<22>1 {t} mx postfix/master 9 - -"),
                format!("{t} mx postfix/master[9]: "),
            ),
        ];
        for (five, twin) in pairs {
            assert_twins(&five, &twin);
        }
        let l = p(&format!(
            "<22>1 {t} mx postfix/submission/smtpd 77 - - connect from x[192.0.2.9]"
        ));
        assert_eq!(
            (&*l.program, &*l.daemon, l.pid),
            ("postfix/submission/smtpd", "smtpd", Some(77))
        );
        assert_eq!(l.time.to_rfc3339(), t);
    }

    #[test]
    fn what_is_not_rfc5424_is_not_read_as_it() {
        let t = "2026-12-07T04:52:35Z";
        let m = "3F2A1B2C3D: removed";
        for line in [
            format!("<192>1 {t} mx postfix/qmgr 1 - - {m}"),
            format!("<0022>1 {t} mx postfix/qmgr 1 - - {m}"),
            format!("<>1 {t} mx postfix/qmgr 1 - - {m}"),
            format!("<2x>1 {t} mx postfix/qmgr 1 - - {m}"),
            // another version; the written form without the PRI, which no syslog daemon writes
            format!("<22>2 {t} mx postfix/qmgr 1 - - {m}"),
            format!("1 {t} mx postfix/qmgr 1 - - {m}"),
            // no time to place the line at
            format!("<22>1 - mx postfix/qmgr 1 - - {m}"),
            // structured data never closed (a `]` in quotes), or run into the message
            format!("<22>1 {t} mx postfix/qmgr 1 - [x a=\"b] {m}"),
            format!("<22>1 {t} mx postfix/qmgr 1 - [x a=\"b\"]{m}"),
            format!("<22>1 {t} mx postfix/qmgr 1 - x {m}"),
            // no program, not Postfix, cut short
            format!("<22>1 {t} mx - 1 - - {m}"),
            format!("<22>1 {t} mx sshd 1 - - Accepted publickey for root"),
            format!("<22>1 {t} mx postfix/qmgr 1 -"),
        ] {
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    #[test]
    fn hostile_text_in_rfc5424_framing_is_escaped() {
        let line = "<22>1 2026-12-07T04:52:35Z mx\u{1b}[2J postfix/smtp 1 \u{7}id [x a=\"\u{1b}]0;pwn\u{7}\\\"\\]\"] \u{feff}3F2A1B2C3D: to=<a\u{1b}[31m@b>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (evil \u{9b}2J \u{0} text)";
        let l = p(line);
        let Kind::Delivery(d) = &l.kind else {
            panic!("{:?}", l.kind)
        };
        for text in [&l.text, &l.host, &d.to, &d.reason] {
            assert!(
                !text.chars().any(crate::sanitize::is_unsafe_char),
                "{text:?}"
            );
        }
        assert_eq!(l.queue_id.unwrap().as_str(), "3F2A1B2C3D");
    }

    /// Lines behind a PRI, as rsyslog's `RSYSLOG_TraditionalForwardFormat` and
    /// `RSYSLOG_ForwardFormat` write them to a file and a syslog receiver stores them raw.
    #[test]
    fn lines_behind_a_pri_read_as_their_twins() {
        let sent = "3F2A1B2C3D: to=<a@b.example>, relay=mx.b.example[192.0.2.7]:25, delay=1.2, \
                    delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4B1)";
        let after_stamp = [
            format!("mail.example.com postfix/smtp[12345]: {sent}"),
            // no pid; no host; a severity column
            "mx postfix/qmgr: 3F2A1B2C3D: removed".to_string(),
            "postfix/smtp[1]: warning: SASL authentication failure: No worthy mechs found"
                .to_string(),
            "mx info postfix/qmgr[1]: 3F2A1B2C3D: removed".to_string(),
            "mx postfix/submission/smtpd[77]: NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 \
             <c@d.example>: Relay access denied; from=<a@b.example> to=<c@d.example> proto=ESMTP \
             helo=<x>"
                .to_string(),
            // nothing after the tag
            "mx postfix/master[9]: ".to_string(),
        ];
        let stamps = [
            // RSYSLOG_TraditionalForwardFormat (the day padded with a space), and the day
            // padded with a zero, as it is read without a PRI too
            "Dec  7 04:52:35",
            "Dec 07 04:52:35",
            // RSYSLOG_ForwardFormat
            "2026-12-07T04:52:35.123456+00:00",
            "2026-12-07T04:52:35+01:00",
            "2026-12-07T04:52:35Z",
        ];
        for stamp in stamps {
            for rest in &after_stamp {
                let twin = format!("{stamp} {rest}");
                // mail.info, mail.warning, the least and the greatest PRI
                for pri in ["<22>", "<20>", "<0>", "<191>"] {
                    assert_twins(&format!("{pri}{twin}"), &twin);
                }
            }
        }
        let line = "<22>Nov 27 04:52:35 mx postfix/smtp[123]: 3F2A1B2C3D: removed";
        let l = p(line);
        assert_eq!(l.time.naive_local().to_string(), "2026-11-27 04:52:35");
        assert_eq!((&*l.host, &*l.text), ("mx", line));
    }

    /// `l`, read from a line whose tag was cut, is `want` (the line with its tag whole) in all
    /// but what the cut may take: the text, the program, the daemon and the pid.
    fn same_but_the_tag(l: LogLine, want: &LogLine, line: &str) {
        assert_eq!(
            &LogLine {
                text: want.text.clone(),
                program: want.program.clone(),
                daemon: want.daemon.clone(),
                name_cut: want.name_cut,
                pid: want.pid,
                ..l
            },
            want,
            "{line}"
        );
    }

    /// A message logged as `tag body` (`tag` with its colon), as rsyslog's forward templates write
    /// it, `<PRI>TIMESTAMP HOSTNAME %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%` (its msg keeps
    /// the space after the colon), and as its file templates write it, the tag whole.
    fn forwarded(tag: &str, body: &str) -> (String, String) {
        let head = "Nov 27 19:25:41 mx";
        let cut = &tag[..tag.len().min(32)];
        (
            format!("<22>{head} {cut} {body}"),
            format!("{head} {tag} {body}"),
        )
    }

    /// rsyslog's forward templates cut a tag to 32 bytes: the line is still read, the program as
    /// far as it goes, the pid only when it is whole. A receiver that stores the line with its
    /// file template (no PRI) writes the same cut tag.
    #[test]
    fn a_tag_rsyslog_cut_to_32_bytes_is_read_as_far_as_it_goes() {
        let client = "3F517C8902: client=unknown[192.0.2.7]";
        let reject = "NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <c@d.example>: \
                      Relay access denied; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>";
        let sasl = "warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: \
                    UGFzc3dvcmQ6";
        let deferred = "3F517C8902: to=<a@b.example>, relay=none, delay=1, delays=1/0/0/0, \
                        dsn=4.4.1, status=deferred (connect to b.example[192.0.2.1]:25: \
                        Connection timed out)";
        for (tag, body, program, daemon, pid) in [
            // the colon lost
            (
                "postfix/submission/smtpd[123456]:",
                client,
                "postfix/submission/smtpd",
                "smtpd",
                Some(123456),
            ),
            // the `]` and the pid's last digit
            (
                "postfix/submission/smtpd[1234567]:",
                reject,
                "postfix/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "example.com/submission/smtpd[12345]:",
                sasl,
                "example.com/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "postfix-203.0.113.45/smtp[123456]:",
                deferred,
                "postfix-203.0.113.45/smtp",
                "smtp",
                None,
            ),
            // the daemon's name and the pid, all of them
            (
                "postfix-203.0.113.45/submission/smtpd[123456]:",
                client,
                "postfix-203.0.113.45/submission",
                "",
                None,
            ),
        ] {
            let (cut, whole) = forwarded(tag, body);
            let want = p(&whole);
            for line in [cut.clone(), cut["<22>".len()..].to_string()] {
                let l = p(&line);
                assert_eq!(
                    (&*l.program, &*l.daemon, l.pid, l.name_cut),
                    (program, daemon, pid, daemon.is_empty()),
                    "{line}"
                );
                same_but_the_tag(l, &want, &line);
            }
        }
    }

    /// A log host's file of lines rsyslog forwarded, tags of 32 bytes and more cut: every line
    /// Postfix says something to the model in is read, with its queue id, and the lines that say
    /// nothing to it in shapes that are their daemon's own (smtpd's `connect from`, its TLS
    /// handshake's summary, improper pipelining, a `WARN` rule's note; postscreen's and
    /// tlsproxy's lines, smtp's summary of its TLS handshake, an older summary with no word
    /// before `TLS`): every line is counted as Postfix's.
    #[test]
    fn a_log_host_s_file_of_cut_tags_is_read() {
        let file = include_str!("../../../tests/fixtures/maillog/rsyslog-cut-tags.log");
        let mut y = years();
        let mut kinds = Vec::new();
        for line in file.lines() {
            let l = parse_line(line, &mut y).unwrap_or_else(|| panic!("no parse: {line}"));
            // the daemon only where the tag kept its `[`, after the whole name; else the
            // program is the name's whole `/` components
            let tag = line.split_whitespace().nth(4).unwrap();
            let (program, daemon) = match tag.split_once('[') {
                Some((program, _)) => (program, program.rsplit('/').next().unwrap()),
                None => (tag.rsplit_once('/').unwrap().0, ""),
            };
            assert_eq!((&*l.program, &*l.daemon), (program, daemon), "{line}");
            let id = l.queue_id.as_ref().map(QueueId::as_str);
            assert!(
                id.is_none_or(|id| line.contains(&format!(" {id}: "))),
                "{line}"
            );
            kinds.push(match l.kind {
                Kind::Delivery(d) => d.status.as_str(),
                Kind::Reject { .. } => "reject",
                Kind::SaslWarning(_) => "sasl",
                Kind::TlsWarning(_) => "tls",
                Kind::Warning(_) => "warning",
                Kind::Client(_) => "client",
                Kind::Other if line.contains(" connect from ") => "connect",
                Kind::Other if line.contains(" disconnect from ") => "disconnect",
                Kind::Other if line.contains(" lost connection after ") => "lost",
                Kind::Other if line.contains(" TLS connection established from ") => "tls ok",
                Kind::Other if line.contains(" NOQUEUE: warn: ") => "warn rule",
                Kind::Other if line.contains(" too many errors after ") => "errors",
                Kind::Other if line.contains(" improper command pipelining ") => "pipelining",
                Kind::Other if line.contains(" TLS connection established to ") => "tls to",
                Kind::Other if line.contains(" CONNECT from ") => "CONNECT",
                Kind::Other if line.contains(" DISCONNECT ") => "DISCONNECT",
                Kind::Other if line.contains(" PREGREET ") => "pregreet",
                Kind::Other if line.contains(" DNSBL rank ") => "dnsbl",
                Kind::Other if line.contains(" PASS NEW ") => "pass",
                _ => "",
            });
        }
        assert_eq!(
            kinds
                .into_iter()
                .filter(|k| !k.is_empty())
                .collect::<Vec<_>>(),
            [
                "connect",
                "sasl",
                "lost",
                "disconnect",
                "connect",
                "client",
                "disconnect",
                "bounced",
                "reject",
                "connect",
                "client",
                "deferred",
                "connect",
                "client",
                "sent",
                "connect",
                "tls ok",
                "warn rule",
                "reject",
                "errors",
                "disconnect",
                "connect",
                "pipelining",
                "tls",
                "tls",
                "tls",
                "disconnect",
                "CONNECT",
                "pregreet",
                "dnsbl",
                "DISCONNECT",
                "CONNECT",
                "CONNECT",
                "tls ok",
                "pass",
                "DISCONNECT",
                "DISCONNECT",
                "tls to",
                "tls ok"
            ]
        );
    }

    /// A tag cut with no `[` left may have lost the end of its daemon's name, or nothing of it:
    /// nothing tells which, so the daemon is unknown (empty) rather than one it may not be
    /// (`smtp` for smtpd), and the program is only the `/` components the cut left whole, shown
    /// with the fact that the tag was cut. The line reads as with the tag whole but for that: a
    /// delivery is a delivery, and a `removed` is postsuper's deletion where what is left of the
    /// name can only be postsuper's, qmgr's where it can only be qmgr's.
    #[test]
    fn a_daemon_name_a_cut_may_have_shortened_is_left_unknown() {
        let client = "8A1B2C3D4E: client=app.example.com[192.0.2.20], sasl_method=PLAIN, \
                      sasl_username=app";
        let sent = "8A1B2C3D4E: to=<x@b.example>, relay=mx.b.example[192.0.2.40]:25, delay=2, \
                    delays=0.1/0/1/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4B1)";
        let removed = "8A1B2C3D4E: removed";
        for (tag, body, program, kind) in [
            // smtpd's name cut to smtp's
            (
                "postfix-10.0.0.1/submission/smtpd[1234]:",
                client,
                "postfix-10.0.0.1/submission",
                "client",
            ),
            // smtp's cut to its first letter: its delivery still counts
            (
                "postfix-203.0.113.45/relay-out/smtp[123456]:",
                sent,
                "postfix-203.0.113.45/relay-out",
                "sent",
            ),
            // whole, its `[` the 33rd byte: not told from a name cut short
            (
                "postfix-1.2.3.4/submission/smtpd[1234]:",
                client,
                "postfix-1.2.3.4/submission",
                "client",
            ),
            // postsuper's deletion, its name whole or cut
            (
                "postfix-mx.example.org/postsuper[12345]:",
                removed,
                "postfix-mx.example.org",
                "deleted",
            ),
            (
                "postfix-mx1.example.org/postsuper[12345]:",
                removed,
                "postfix-mx1.example.org",
                "deleted",
            ),
            // qmgr's, cut: not a deletion; nor where nothing of the name is left
            (
                "postfix-mail0001.example.org/qmgr[1200]:",
                removed,
                "postfix-mail0001.example.org",
                "removed",
            ),
            (
                "postfix-mail0000001.example.org/qmgr[1200]:",
                removed,
                "postfix-mail0000001.example.org",
                "removed",
            ),
        ] {
            let (cut, whole) = forwarded(tag, body);
            let want = p(&whole);
            for line in [cut.clone(), cut["<22>".len()..].to_string()] {
                let l = p(&line);
                assert_eq!(
                    (&*l.program, &*l.daemon, l.pid, l.name_cut),
                    (program, "", None, true),
                    "{line}"
                );
                assert_eq!(
                    l.program_shown(),
                    format!("{program}/… (syslog tag cut)"),
                    "{line}"
                );
                let read = match &l.kind {
                    Kind::Client(_) => "client",
                    Kind::Delivery(d) => d.status.as_str(),
                    Kind::Super(SuperAction::Removed) => "deleted",
                    Kind::Removed => "removed",
                    _ => "",
                };
                assert_eq!(read, kind, "{line}");
                same_but_the_tag(l, &want, &line);
            }
        }
        // a syslog name of 32 bytes and more, no `/` left: nothing of the name is sure but that
        // it was cut
        let (cut, whole) = forwarded("postfix-mail0000000001.example.org/smtp[1200]:", sent);
        let l = p(&cut);
        assert_eq!((&*l.program, l.name_cut), ("", true), "{cut}");
        assert_eq!(l.program_shown(), "… (syslog tag cut)", "{cut}");
        assert_eq!(
            p(&whole).program_shown(),
            "postfix-mail0000000001.example.org/smtp"
        );
    }

    /// smtpd's session lines (`connect from NAME[ADDR]`, `disconnect from`, `lost connection
    /// after`, `timeout after`) behind a cut tag are read as with the tag whole, but for
    /// what the cut took: counted as a Postfix line, not as one from another program.
    #[test]
    fn smtpd_s_session_lines_behind_a_cut_tag_are_read() {
        for (tag, body, program, daemon, pid) in [
            // the other session lines
            (
                "postfix/submission/smtpd[1234567]:",
                "disconnect from unknown[192.0.2.7] ehlo=1 auth=0/1 commands=1/2",
                "postfix/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "postfix/submission/smtpd[1234567]:",
                "disconnect from app.example.com[2001:db8::25]:51234",
                "postfix/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "postfix/submission/smtpd[1234567]:",
                "lost connection after DATA (0 bytes) from unknown[192.0.2.7]",
                "postfix/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "postfix-10.0.0.1/submission/smtpd[1234]:",
                "timeout after END-OF-MESSAGE from app.example.com[192.0.2.20]",
                "postfix-10.0.0.1/submission",
                "",
                None,
            ),
            // the colon lost
            (
                "postfix/submission/smtpd[123456]:",
                "connect from app.example.com[192.0.2.20]",
                "postfix/submission/smtpd",
                "smtpd",
                Some(123456),
            ),
            // the `]` and part of the pid; an IPv6 client; the port logged
            (
                "postfix/submission/smtpd[1234567]:",
                "connect from unknown[192.0.2.7]",
                "postfix/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "example.com/submission/smtpd[12345]:",
                "connect from mail.example.net[2001:db8::25]",
                "example.com/submission/smtpd",
                "smtpd",
                None,
            ),
            (
                "postfix/submission/smtpd[1234567]:",
                "connect from unknown[192.0.2.7]:51234",
                "postfix/submission/smtpd",
                "smtpd",
                None,
            ),
            // no `[` left: the name as far as it goes is smtpd's, or nothing of it is left
            (
                "postfix-10.0.0.1/submission/smtpd[1234]:",
                "connect from unknown[192.0.2.7]",
                "postfix-10.0.0.1/submission",
                "",
                None,
            ),
            (
                "postfix-203.0.113.45/submission/smtpd[1234]:",
                "connect from unknown[unknown]",
                "postfix-203.0.113.45/submission",
                "",
                None,
            ),
        ] {
            let (cut, whole) = forwarded(tag, body);
            let want = p(&whole);
            for line in [cut.clone(), cut["<22>".len()..].to_string()] {
                let l = parse_line(&line, &mut years()).unwrap_or_else(|| panic!("{line}"));
                assert_eq!(
                    (&*l.program, &*l.daemon, l.pid, &l.kind),
                    (program, daemon, pid, &Kind::Other),
                    "{line}"
                );
                same_but_the_tag(l, &want, &line);
            }
        }
        // not smtpd's connect line, or not smtpd's: not read behind a cut tag
        let tag = "postfix/submission/smtpd[1234567]:";
        for (tag, body) in [
            (tag, "connect from unknown"),
            (tag, "connect from [192.0.2.7]"),
            (tag, "connect from unknown[192.0.2.7] extra"),
            (tag, "connect from unknown[192.0.2.7]]"),
            (tag, "connect from unknown[192.0.2.7]:"),
            (tag, "connect from unknown[192.0.2.7]:x"),
            (tag, "connect from unknown[192.0.2]"),
            (tag, "connect from un known[192.0.2.7]"),
            (tag, "CONNECT from [192.0.2.7]:51234 to [192.0.2.1]:25"),
            (tag, "connect to unknown[192.0.2.7]"),
            (tag, "disconnect from unknown[192.0.2.7] ehlo=x"),
            (tag, "disconnect from unknown[192.0.2.7] EHLO=1"),
            (tag, "disconnect from unknown[192.0.2.7] ehlo=1  quit=1"),
            (tag, "disconnect from unknown[192.0.2.7] because"),
            (tag, "lost connection after from unknown[192.0.2.7]"),
            (tag, "lost connection after AUTH from somewhere"),
            (tag, "timeout after AUTH"),
            // another daemon's name, whole or as far as it goes
            (
                "postfix-203.0.113.45/postscreen[1234]:",
                "connect from unknown[192.0.2.7]",
            ),
            (
                "postfix-10.0.0.1/submissions/pos[1234]:",
                "connect from unknown[192.0.2.7]",
            ),
            // not Postfix
            (
                "systemd-networkd-wait-online[123456]:",
                "connect from unknown[192.0.2.7]",
            ),
        ] {
            let line = forwarded(tag, body).0;
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    /// smtpd's other lines that say nothing to the model, in shapes that are its own (its TLS
    /// handshake's summary, `too many errors after`, a client's improper pipelining, what its
    /// access rules log without refusing), are read behind a cut tag as with the tag whole, as
    /// are its TLS failures, warnings and rejects: counted as Postfix lines, and a failure told
    /// as with the tag whole.
    #[test]
    fn smtpd_s_tls_and_access_lines_behind_a_cut_tag_are_read() {
        let smtpd = "postfix/submission/smtpd[1234567]:";
        let no_bracket = "postfix-10.0.0.1/submission/smtpd[1234]:";
        let nothing_left = "postfix-203.0.113.45/submission/smtpd[1234]:";
        for body in [
            "Anonymous TLS connection established from mail.example.net[192.0.2.60]: TLSv1.3 \
             with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            "Untrusted TLS connection established from mail.example.net[192.0.2.60] to \
             mail.example.com: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) \
             key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
            "Trusted TLS connection reused from unknown[2001:db8::25]:51234: TLSv1.2 with cipher \
             ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
            "Verified TLS connection established from app.example.com[192.0.2.20]: TLSv1.3 with \
             cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature \
             ECDSA (P-256) server-digest SHA256 client-signature ECDSA (P-256) client-digest SHA256",
            "too many errors after RCPT from unknown[192.0.2.7]",
            "improper command pipelining after CONNECT from unknown[192.0.2.7]: EHLO x\\r\\nQUIT\\r\\n",
            "NOQUEUE: warn: RCPT from mail.example.net[192.0.2.60]: watched sender; \
             from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<mail.example.net>",
            "NOQUEUE: reject_warning: RCPT from unknown[192.0.2.7]: 450 4.7.1 Client host \
             rejected: cannot find your hostname, [192.0.2.7]; from=<a@b.example> \
             to=<c@d.example> proto=ESMTP helo=<x>",
            "NOQUEUE: info: CONNECT from unknown[192.0.2.7]: watched client; proto=SMTP",
            "NOQUEUE: filter: CONNECT from unknown[192.0.2.7]: scan:[127.0.0.1]:10025;",
        ] {
            for tag in [smtpd, no_bracket, nothing_left] {
                let (cut, whole) = forwarded(tag, body);
                let want = p(&whole);
                assert_eq!(want.kind, Kind::Other, "{whole}");
                for line in [cut.clone(), cut["<22>".len()..].to_string()] {
                    let l = parse_line(&line, &mut years()).unwrap_or_else(|| panic!("{line}"));
                    same_but_the_tag(l, &want, &line);
                }
            }
        }
        // what says something is read as with the tag whole: a TLS failure, a warning, a reject
        for (body, told) in [
            (
                "warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while \
                 reading:../ssl/record/rec_layer_s3.c:303:",
                "tls",
            ),
            (
                "SSL_accept error from unknown[192.0.2.7]: lost connection",
                "tls",
            ),
            (
                "lost connection after STARTTLS from unknown[192.0.2.7]",
                "tls",
            ),
            (
                "warning: hostname x.example does not resolve to address 192.0.2.1: Name or \
                 service not known",
                "warning",
            ),
            (
                "NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 <c@d.example>: Relay \
                 access denied; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>",
                "reject",
            ),
        ] {
            for tag in [smtpd, no_bracket, nothing_left] {
                let (cut, whole) = forwarded(tag, body);
                let want = p(&whole);
                let l = parse_line(&cut, &mut years()).unwrap_or_else(|| panic!("{cut}"));
                let read = match &l.kind {
                    Kind::TlsWarning(_) => "tls",
                    Kind::Warning(_) => "warning",
                    Kind::Reject { .. } => "reject",
                    _ => "",
                };
                assert_eq!(read, told, "{cut}");
                same_but_the_tag(l, &want, &cut);
            }
        }
        // not in smtpd's shape, or not smtpd's: not read behind a cut tag
        for (tag, body) in [
            // smtp's summary (to a server), or cut short, or more after the bits
            (
                smtpd,
                "Anonymous TLS connection established to mx.example.net[192.0.2.60]:25: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (
                smtpd,
                "Anonymous TLS connection established from mail.example.net[192.0.2.60]",
            ),
            (
                smtpd,
                "Anonymous TLS connection established from mail.example.net[192.0.2.60]: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384 (256 bits)",
            ),
            (
                smtpd,
                "Anonymous TLS connection established from mail.example.net[192.0.2.60]: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) and more",
            ),
            (
                smtpd,
                "Anonymous TLS connection established from mail.example.net[192.0.2.60] to : \
                 TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (
                smtpd,
                "Some TLS connection established from mail.example.net[192.0.2.60]: TLSv1.3 with \
                 cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (
                smtpd,
                "Anonymous TLS connection established from somewhere: TLSv1.3 with cipher \
                 TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (smtpd, "too many errors after RCPT"),
            (
                smtpd,
                "improper command pipelining after connect from unknown[192.0.2.7]: QUIT",
            ),
            (
                smtpd,
                "improper command pipelining after CONNECT from unknown: QUIT",
            ),
            (
                smtpd,
                "improper command pipelining after CONNECT from unknown[192.0.2.7]",
            ),
            (
                smtpd,
                "NOQUEUE: warn: RCPT from unknown[192.0.2.7]: no attributes after it",
            ),
            (
                smtpd,
                "NOQUEUE: warn: RCPT from unknown[192.0.2.7]: text; from=<a@b.example> and more",
            ),
            (
                smtpd,
                "NOQUEUE: Warn: RCPT from unknown[192.0.2.7]: text; proto=ESMTP",
            ),
            (
                smtpd,
                "NOQUEUE: warn: rcpt from unknown[192.0.2.7]: text; proto=ESMTP",
            ),
            (
                smtpd,
                "NOQUEUE: warn: RCPT from somewhere: text; proto=ESMTP",
            ),
            // tlsproxy's summary, postscreen's pipelining: another daemon's
            (
                "postfix-203.0.113.45/tlsproxy[1234]:",
                "Anonymous TLS connection established from mail.example.net[192.0.2.60]: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (
                "postfix-10.0.0.1/submissions/pos[1234]:",
                "improper command pipelining after CONNECT from unknown[192.0.2.7]: QUIT",
            ),
        ] {
            let line = forwarded(tag, body).0;
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    /// The lines in shapes of their own of daemons other than smtpd's that say nothing to the
    /// model (tlsproxy's, postscreen's, the summary of a TLS handshake to a server, the older
    /// summary with no word before `TLS`), with the daemons that log each.
    const OTHERS_OWN: &[(&[&str], &str)] = &[
        (
            &["smtpd"],
            "TLS connection established from mail.example.net[192.0.2.60]: TLSv1.2 with cipher \
             ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
        ),
        (
            &["smtp", "lmtp", "tlsproxy"],
            "Trusted TLS connection established to mx.example.net[192.0.2.60]:25: TLSv1.3 with \
             cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature \
             RSA-PSS (2048 bits) server-digest SHA256",
        ),
        (
            &["smtp", "lmtp", "tlsproxy"],
            "Untrusted TLS connection established to mx.example.net[192.0.2.60]:25: TLSv1.2 with \
             cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
        ),
        (
            &["smtp", "lmtp", "tlsproxy"],
            "Verified TLS connection reused to mx.example.net[2001:db8::25]:25: TLSv1.3 with \
             cipher TLS_AES_128_GCM_SHA256 (128/128 bits)",
        ),
        (
            &["smtp", "lmtp", "tlsproxy"],
            "Anonymous TLS connection established to lmtp.example.net[192.0.2.61]:24: TLSv1.3 \
             with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
        ),
        (
            &["smtp", "lmtp", "tlsproxy"],
            "TLS connection established to mx.example.net: TLSv1 with cipher DHE-RSA-AES256-SHA \
             (256/256 bits)",
        ),
        (
            &["tlsproxy"],
            "Anonymous TLS connection established from [192.0.2.7]:51234: TLSv1.3 with cipher \
             TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS \
             (2048 bits) server-digest SHA256",
        ),
        (&["tlsproxy"], "CONNECT to [192.0.2.60]:25"),
        (
            &["postscreen", "tlsproxy"],
            "CONNECT from [192.0.2.7]:51234",
        ),
        (&["postscreen", "tlsproxy"], "DISCONNECT [192.0.2.7]:51234"),
        (
            &["postscreen", "tlsproxy"],
            "DISCONNECT [2001:db8::7]:51234",
        ),
        (
            &["postscreen"],
            "CONNECT from [192.0.2.7]:51234 to [192.0.2.1]:25",
        ),
        (&["postscreen"], "PASS NEW [192.0.2.7]:51234"),
        (&["postscreen"], "PASS OLD [2001:db8::7]:51234"),
        (&["postscreen"], "ALLOWLISTED [192.0.2.7]:51234"),
        (&["postscreen"], "DENYLISTED [192.0.2.7]:51234"),
        (&["postscreen"], "WHITELISTED [192.0.2.7]:51234"),
        (&["postscreen"], "BLACKLISTED [192.0.2.7]:51234"),
        (&["postscreen"], "ALLOWLIST VETO [192.0.2.7]:51234"),
        (&["postscreen"], "WHITELIST VETO [192.0.2.7]:51234"),
        (&["postscreen"], "DNSBL rank 3 for [192.0.2.7]:51234"),
        (
            &["postscreen"],
            "PREGREET 11 after 0.14 from [192.0.2.7]:51234: EHLO x\\r\\n",
        ),
        (
            &["postscreen"],
            "HANGUP after 0.52 from [192.0.2.7]:51234 in tests before SMTP handshake",
        ),
        (
            &["postscreen"],
            "COMMAND PIPELINING from [192.0.2.7]:51234 after ehlo: MAIL FROM:<a@b.example>\\r\\n",
        ),
        (
            &["postscreen"],
            "NON-SMTP COMMAND from [192.0.2.7]:51234 after CONNECT: GET / HTTP/1.1",
        ),
        (
            &["postscreen"],
            "BARE NEWLINE from [192.0.2.7]:51234 after RCPT",
        ),
        (
            &["postscreen"],
            "COMMAND TIME LIMIT from [192.0.2.7]:51234 after DATA",
        ),
        (
            &["postscreen"],
            "COMMAND LENGTH LIMIT from [192.0.2.7]:51234 after MAIL",
        ),
        (
            &["postscreen"],
            "COMMAND COUNT LIMIT from [192.0.2.7]:51234 after RSET",
        ),
        (
            &["postscreen"],
            "DATA without valid RCPT from [192.0.2.7]:51234",
        ),
        (
            &["postscreen"],
            "BDAT without valid RCPT from [192.0.2.7]:51234",
        ),
        (
            &["postscreen"],
            "reject: connect from [192.0.2.7]:51234: all screening ports busy",
        ),
        (&["postscreen"], "entering STRESS mode with 120 connections"),
        (&["postscreen"], "leaving STRESS mode with 40 connections"),
        (
            &["postscreen", "verify"],
            "cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=12 dropped=3 \
             entries",
        ),
        (
            &["postscreen", "verify"],
            "cache lmdb:/var/lib/postfix/verify_cache partial cleanup: retained=0 dropped=0 \
             entries",
        ),
    ];

    /// Whether a line in one of [`OTHERS_OWN`]'s shapes, logged by one of `daemons`, is read
    /// behind `tag` cut to 32 bytes: always where the tag is not cut; where the cut left the
    /// daemon's name whole, where it is one of them; where it may have cut the name, where what
    /// is left of it may be one of theirs.
    fn read_behind_cut(tag: &str, daemons: &[&str]) -> bool {
        if tag.len() <= 32 {
            return true;
        }
        let kept = &tag[..32];
        match kept.split_once('[') {
            Some((program, _)) => daemons.contains(&program.rsplit('/').next().unwrap()),
            None => {
                let left = kept.rsplit('/').next().unwrap_or_default();
                daemons.iter().any(|d| d.starts_with(left))
            }
        }
    }

    /// tlsproxy's and postscreen's lines, smtp's summary of a TLS handshake and the older
    /// summaries with no word before `TLS`, that say nothing to the model, are read behind a tag
    /// cut anywhere in its program's name as with the tag whole, where what is left of the name
    /// may be that of a daemon that logs them (the cut at every byte of a syslog name, of the
    /// daemon's name, of its pid), and not where it cannot be; nor behind another daemon's tag.
    #[test]
    fn other_daemons_own_lines_behind_a_cut_tag_are_read() {
        let writers = [
            "postscreen",
            "tlsproxy",
            "smtp",
            "lmtp",
            "smtpd",
            "verify",
            "qmgr",
        ];
        for &(daemons, body) in OTHERS_OWN {
            for writer in writers {
                for pad in 0..=24 {
                    let tag = format!("postfix-mx{}/{writer}[4321]:", "0".repeat(pad));
                    let (cut, whole) = forwarded(&tag, body);
                    let want = p(&whole);
                    assert_eq!(want.kind, Kind::Other, "{whole}");
                    for line in [cut.clone(), cut["<22>".len()..].to_string()] {
                        let l = parse_line(&line, &mut years());
                        if read_behind_cut(&tag, daemons) {
                            let l = l.unwrap_or_else(|| panic!("not read: {line}"));
                            same_but_the_tag(l, &want, &line);
                        } else {
                            assert!(l.is_none(), "read: {line}");
                        }
                    }
                }
            }
        }
        // the tag's name kept whole, another daemon's pid cut: read as its daemon's line
        for (tag, body, daemon) in [
            (
                "postfix-10.0.0.1/postscreen[12345]:",
                "PASS NEW [192.0.2.7]:51234",
                "postscreen",
            ),
            (
                "postfix-10.0.0.1/tlsproxy[1234567]:",
                "CONNECT from [192.0.2.7]:51234",
                "tlsproxy",
            ),
            (
                "postfix-10.0.0.1/relay/smtp[1234567]:",
                "Verified TLS connection established to mx.example.net[192.0.2.60]:25: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                "smtp",
            ),
        ] {
            let (cut, whole) = forwarded(tag, body);
            let l = p(&cut);
            assert_eq!(
                (&*l.daemon, l.pid, l.name_cut),
                (daemon, None, false),
                "{cut}"
            );
            same_but_the_tag(l, &p(&whole), &cut);
        }
        // not in the daemon's shape: not read behind its cut tag
        let screen = "postfix-203.0.113.45/postscreen[1234]:";
        let proxy = "postfix-203.0.113.45/tlsproxy[1234]:";
        let smtp = "postfix-203.0.113.45/relay/smtp[1234]:";
        for (tag, body) in [
            (screen, "CONNECT from [192.0.2.7]"),
            (screen, "CONNECT from 192.0.2.7:51234"),
            (screen, "CONNECT from [192.0.2.7]:51234 to"),
            (screen, "CONNECT from [192.0.2.7]:51234 to [192.0.2.1]"),
            (screen, "CONNECT from [192.0.2.7]:x"),
            (screen, "CONNECT from [mail.example.net]:51234"),
            (screen, "CONNECT from unknown[192.0.2.7]:51234"),
            (screen, "connect from [192.0.2.7]:51234"),
            (screen, "DISCONNECT unknown[192.0.2.7]"),
            (screen, "PASS NEW [192.0.2.7]"),
            (screen, "PASS SOON [192.0.2.7]:51234"),
            (screen, "GREYLISTED [192.0.2.7]:51234"),
            (screen, "DENYLIST VETO [192.0.2.7]:51234"),
            (screen, "DNSBL rank x for [192.0.2.7]:51234"),
            (screen, "DNSBL rank 3 for unknown[192.0.2.7]"),
            (
                screen,
                "PREGREET x after 0.14 from [192.0.2.7]:51234: EHLO x",
            ),
            (screen, "PREGREET 11 after 0.14 from [192.0.2.7]:51234"),
            (screen, "HANGUP after 0.52 from [192.0.2.7]:51234"),
            (screen, "HANGUP after soon from [192.0.2.7]:51234 in tests"),
            (
                screen,
                "COMMAND PIPELINING from [192.0.2.7]:51234 after EHLO",
            ),
            (
                screen,
                "COMMAND SPEED LIMIT from [192.0.2.7]:51234 after DATA",
            ),
            (screen, "COMMAND TIME LIMIT from [192.0.2.7]:51234"),
            (
                screen,
                "NON-SMTP COMMAND from [192.0.2.7]:51234 after : GET /",
            ),
            (screen, "DATA without valid RCPT"),
            (screen, "reject: connect from [192.0.2.7]:51234: busy"),
            (screen, "entering STRESS mode with many connections"),
            (screen, "cache full cleanup: retained=1 dropped=2 entries"),
            (
                screen,
                "cache btree:/x full cleanup: retained=1 dropped=2 entries and more",
            ),
            // another daemon's shape behind postscreen's, tlsproxy's or smtp's tag
            (
                screen,
                "Trusted TLS connection established to mx.example.net[192.0.2.60]:25: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (screen, "CONNECT to [192.0.2.60]:25"),
            (proxy, "PASS NEW [192.0.2.7]:51234"),
            (proxy, "CONNECT from [192.0.2.7]:51234 to [192.0.2.1]:25"),
            (
                proxy,
                "TLS connection established from mail.example.net[192.0.2.60]: TLSv1.2 with \
                 cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
            ),
            (smtp, "DISCONNECT [192.0.2.7]:51234"),
            (
                smtp,
                "Anonymous TLS connection established from [192.0.2.7]:51234: TLSv1.3 with cipher \
                 TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            // a summary to a server, not in its shape
            (
                smtp,
                "Trusted TLS connection established to mx.example.net[192.0.2.60]:25 to \
                 mx.example.net: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (
                smtp,
                "Trusted TLS connection established to mx example: TLSv1.3 with cipher \
                 TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
            (
                smtp,
                "Trusted TLS connection established to mx.example.net[192.0.2.60]:25: TLSv1.3 \
                 with cipher TLS_AES_256_GCM_SHA384",
            ),
            (
                proxy,
                "Anonymous TLS connection established from [192.0.2.7]: TLSv1.3 with cipher \
                 TLS_AES_256_GCM_SHA384 (256/256 bits)",
            ),
        ] {
            let line = forwarded(tag, body).0;
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    /// A cut tag leaves less to tell a Postfix line by: only a Postfix program's, cut where rsyslog
    /// cuts, with a line that says what Postfix says, is read.
    #[test]
    fn what_is_not_a_cut_postfix_tag_is_not_read_as_one() {
        for line in [
            // a line the model learns nothing from, in none of smtpd's shapes read behind a cut
            forwarded(
                "postfix/submission/smtpd[123456]:",
                "setting up TLS connection from unknown[192.0.2.7]",
            )
            .0,
            // not Postfix
            forwarded("systemd-networkd-wait-online[123456]:", "warning: no link").0,
            // not cut where rsyslog cuts: 31 and 33 bytes
            "Nov 27 19:25:41 mx postfix/submission/smtpd[12345] 3F517C8902: removed".to_string(),
            "Nov 27 19:25:41 mx postfix/submission/smtpd[1234567] 3F517C8902: removed".to_string(),
            // not a pid after the `[`
            "Nov 27 19:25:41 mx postfix/submission/smtpd[12a456] 3F517C8902: removed".to_string(),
            "Nov 27 19:25:41 mx postfix/submission/smtp[1]23456] 3F517C8902: removed".to_string(),
        ] {
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    #[test]
    fn what_is_not_a_stamp_behind_a_pri_is_not_read_as_one() {
        let tail = "mx postfix/qmgr[1]: 3F2A1B2C3D: removed";
        for line in [
            // the PRI checked as for RFC 5424: one to three digits, at most 191
            format!("<192>Dec  7 04:52:35 {tail}"),
            format!("<0022>Dec  7 04:52:35 {tail}"),
            format!("<>Dec  7 04:52:35 {tail}"),
            format!("<2x>Dec  7 04:52:35 {tail}"),
            format!("<-1>Dec  7 04:52:35 {tail}"),
            format!("<22 Dec  7 04:52:35 {tail}"),
            format!("22>Dec  7 04:52:35 {tail}"),
            // hostile bytes where the PRI's digits are
            format!("<\u{1b}[2J>Dec  7 04:52:35 {tail}"),
            format!("<2\u{7}>Dec  7 04:52:35 {tail}"),
            format!("<\u{9b}>2026-12-07T04:52:35Z {tail}"),
            // a space between the PRI and the stamp; a PRI twice
            format!("<22> Dec  7 04:52:35 {tail}"),
            format!("<22><22>Dec  7 04:52:35 {tail}"),
            "<22><22>1 2026-12-07T04:52:35Z mx postfix/qmgr 1 - - 3F2A1B2C3D: removed".to_string(),
            // no forward format writes these behind a PRI: a spaced ISO stamp, RFC 3339 without
            // its offset
            format!("<22>2026-12-07 04:52:35 {tail}"),
            format!("<22>2026-12-07 04:52:35 +01:00 {tail}"),
            format!("<22>2026-12-07T04:52:35 {tail}"),
            // not a stamp, or cut short
            format!("<22>Dez  7 04:52:35 {tail}"),
            format!("<22>Dec  7 04:52:35{tail}"),
            "<22>Dec  7 04:52:35".to_string(),
            "<22>".to_string(),
            // a stamp behind a PRI, but not Postfix
            "<38>Dec  7 04:52:35 mx sshd[42]: Accepted publickey for root".to_string(),
        ] {
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    /// Hostile text in the host and the message behind a PRI or a spaced offset is escaped,
    /// once, as on any other line.
    #[test]
    fn hostile_text_behind_a_pri_or_a_spaced_offset_is_escaped() {
        let rest = "mx\u{1b}[2J postfix/smtp[1]: 3F2A1B2C3D: to=<a\u{1b}[31m@b>, relay=none, \
                    delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (evil \u{9b}2J \u{0} text)";
        for stamp in [
            "<22>Dec  7 04:52:35",
            "<22>2026-12-07T04:52:35Z",
            "2026-12-07 04:52:35 +01:00",
            "2026-12-07 04:52:35.5 -0500",
        ] {
            let line = format!("{stamp} {rest}");
            let l = p(&line);
            let Kind::Delivery(d) = &l.kind else {
                panic!("{:?}", l.kind)
            };
            for text in [&l.text, &l.host, &d.to, &d.reason] {
                assert!(
                    !text.chars().any(crate::sanitize::is_unsafe_char),
                    "{text:?}"
                );
            }
            assert_eq!(&*l.host, r"mx\e[2J", "escaped once: {line}");
            assert_eq!(l.queue_id.unwrap().as_str(), "3F2A1B2C3D");
        }
    }

    /// syslog-ng's `$TZ` after a space (`+01:00`), or a strftime `%z` (`+0100`): the offset is
    /// read, and a host that only looks like one stays the host of a stamp in the writer's zone.
    #[test]
    fn a_spaced_offset_is_read_and_a_host_like_one_stays_the_host() {
        let body = "postfix/qmgr[1]: 3F517C8902: removed";
        let read = |line: &str| {
            let mut y = years().in_zone(berlin_autumn_2026);
            let l = parse_line(line, &mut y).unwrap_or_else(|| panic!("no parse: {line}"));
            assert_eq!(l.kind, Kind::Removed, "{line}");
            (l.host.to_string(), l.time.to_rfc3339())
        };
        for (offset, time) in [
            ("+01:00", "2026-11-07T13:28:01+01:00"),
            ("+0100", "2026-11-07T13:28:01+01:00"),
            ("-05:00", "2026-11-07T13:28:01-05:00"),
            ("+05:30", "2026-11-07T13:28:01+05:30"),
            ("-0000", "2026-11-07T13:28:01+00:00"),
        ] {
            let host = |h: &str| (h.to_string(), time.to_string());
            assert_eq!(
                read(&format!("2026-11-07 13:28:01 {offset} mx {body}")),
                host("mx")
            );
            // no host: the offset is not taken for one
            assert_eq!(
                read(&format!("2026-11-07 13:28:01 {offset} {body}")),
                host("")
            );
            // a host of digits after the offset
            assert_eq!(
                read(&format!("2026-11-07 13:28:01 {offset} 0100 {body}")),
                host("0100")
            );
        }
        let spaced = read(&format!("2026-11-07 13:28:01.250 -05:00 mx {body}"));
        assert_eq!(spaced.1, "2026-11-07T13:28:01.250-05:00");
        // host names, addresses and nil hosts that are not offsets: the stamp is in the writer's
        // zone, as before
        for host in [
            "mx",
            "0100",
            "0530",
            "01:00",
            "Z",
            "z",
            "2001:db8::25",
            "::1",
            "-",
            "+",
            "-mx",
            "+x",
            "mail-01",
        ] {
            assert_eq!(
                read(&format!("2026-11-07 13:28:01 {host} {body}")),
                (host.to_string(), "2026-11-07T13:28:01+01:00".to_string()),
                "{host}"
            );
        }
        // a sign and a digit after the time start an offset: one that is not well formed is
        // refused, as it is right after the time
        for bad in [
            "+1",
            "+01:0",
            "+01:75",
            "+0175",
            "+24:00",
            "+01:00:00",
            "+01:00x",
            "-5",
            "+010",
            "+1:00",
            "+0100x",
        ] {
            // with a host after it, and without one: no host name starts with a sign, so it is
            // not taken for the host of a stamp in the writer's zone, which it says it is not in
            for line in [
                format!("2026-11-07 13:28:01 {bad} mx {body}"),
                format!("2026-11-07 13:28:01 {bad} {body}"),
            ] {
                assert!(parse_line(&line, &mut years()).is_none(), "{line}");
            }
        }
        // a second offset after the first one is the host, and the line is not a Postfix line
        let twice = format!("2026-11-07 13:28:01+01:00 +01:00 mx {body}");
        assert!(parse_line(&twice, &mut years()).is_none(), "{twice}");
    }

    #[test]
    fn spaced_iso_stamps() {
        let tail = "mx postfix/qmgr[1]: 3F517C8902: removed";
        for (spaced, rfc) in [
            ("2026-12-07 04:52:35+01:00", "2026-12-07T04:52:35+01:00"),
            ("2026-12-07 04:52:35+0100", "2026-12-07T04:52:35+01:00"),
            ("2026-12-07 04:52:35Z", "2026-12-07T04:52:35Z"),
            ("2026-12-07 04:52:35.5-05:30", "2026-12-07T04:52:35.5-05:30"),
            // the offset after a space (syslog-ng's `$TZ`, a strftime `%z`)
            ("2026-12-07 04:52:35 +01:00", "2026-12-07T04:52:35+01:00"),
            ("2026-12-07 04:52:35 +0100", "2026-12-07T04:52:35+01:00"),
            // the hours alone (`date +%:::z`), after a space or right after the time
            ("2026-12-07 04:52:35 +01", "2026-12-07T04:52:35+01:00"),
            ("2026-12-07 04:52:35-05", "2026-12-07T04:52:35-05:00"),
            ("2026-12-07 04:52:35.5 -00", "2026-12-07T04:52:35.5+00:00"),
            (
                "2026-12-07 04:52:35.123 -05:00",
                "2026-12-07T04:52:35.123-05:00",
            ),
            (
                "2026-12-07 04:52:35.123456789123Z",
                "2026-12-07T04:52:35.123456789Z",
            ),
            // a leap second, as the yearless stamps read it
            ("2026-12-31 23:59:60Z", "2026-12-31T23:59:59Z"),
        ] {
            let l = p(&format!("{spaced} {tail}"));
            let want = DateTime::parse_from_rfc3339(rfc).unwrap();
            assert_eq!(l.time, want, "{spaced}");
            assert_eq!(l.time.offset(), want.offset(), "{spaced}");
            assert_eq!((&*l.host, &l.kind), ("mx", &Kind::Removed), "{spaced}");
        }
        // without an offset: in the writer's zone, as the traditional stamps are read
        let mut y = years().in_zone(berlin_autumn_2026);
        let l = parse_line(&format!("2026-11-07 13:28:01.25 {tail}"), &mut y).unwrap();
        assert_eq!(l.time.to_rfc3339(), "2026-11-07T13:28:01.250+01:00");
        let sev = p("2026-11-07 13:28:01 mail.info mx postfix/qmgr[1]: 3F517C8902: removed");
        assert_eq!((&*sev.host, &sev.kind), ("mx", &Kind::Removed));
        for bad in [
            "2026-13-07 04:52:35",
            "2026-02-30 04:52:35",
            "2026-12-07 24:00:00",
            "2026-12-07 04:60:00",
            "2026-12-07 4:52:35",
            "2026-12-07 04:52",
            "2026-12-07 04:52:35.",
            "2026-12-07 04:52:35+1",
            "2026-12-07 04:52:35+01:75",
            "2026-12-07 04:52:35+24:00",
            "2026-12-07 04:52:35x",
            "2026-12-07 04:52:35Z0",
            "2026/12/07 04:52:35",
        ] {
            let line = format!("{bad} {tail}");
            assert!(parse_line(&line, &mut years()).is_none(), "{line}");
        }
    }

    /// Old syslog-ng versions write an offset west of UTC by a part of an hour with a sign
    /// before its minutes too, `-03:-30` for St. John's: it is read as `-03:30` wherever an
    /// offset is read, and only in that shape.
    #[test]
    fn an_offset_old_syslog_ng_signed_twice_is_read() {
        let sent = "3F517C8902: to=<a@b.example>, relay=mx.b.example[192.0.2.7]:25, delay=1.2, \
                    delays=0.1/0/0.5/0.6, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4B1)";
        let lines = |stamp: &str, offset: &str| {
            [
                // `$ISODATE`, also behind a PRI as a receiver stores what it is sent
                format!("{stamp}{offset} mx1 postfix/smtp[123]: {sent}"),
                format!("<22>{stamp}{offset} mx1 postfix/smtp[123]: {sent}"),
                // the RFC 5424 header (`flags(syslog-protocol)`)
                format!("<22>1 {stamp}{offset} mx1 postfix/smtp 123 - - {sent}"),
                // a template's spaced stamp, the offset right after the time or after a space
                format!(
                    "{} mx1 postfix/smtp[123]: {sent}",
                    stamp.replace('T', " ") + offset
                ),
                format!(
                    "{} {offset} mx1 postfix/smtp[123]: {sent}",
                    stamp.replace('T', " ")
                ),
            ]
        };
        for (stamp, offset, want) in [
            (
                "2026-12-06T15:04:25",
                "-03:-30",
                "2026-12-06T15:04:25-03:30",
            ),
            (
                "2026-12-06T15:04:25.123456",
                "-03:-30",
                "2026-12-06T15:04:25.123456-03:30",
            ),
            // the Marquesas; a zone half an hour west of UTC
            (
                "2026-12-06T15:04:25",
                "-09:-30",
                "2026-12-06T15:04:25-09:30",
            ),
            (
                "2026-12-06T15:04:25",
                "-00:-30",
                "2026-12-06T15:04:25-00:30",
            ),
        ] {
            let want = DateTime::parse_from_rfc3339(want).unwrap();
            for line in lines(stamp, offset) {
                let l = p(&line);
                assert_eq!(l.time, want, "{line}");
                assert_eq!(l.time.offset(), want.offset(), "{line}");
                assert_eq!(&*l.host, "mx1", "{line}");
                assert!(matches!(l.kind, Kind::Delivery(_)), "{line}");
            }
        }
        // nothing looser: a sign before the minutes east of UTC, before a whole hour's `00`, one
        // digit too few or too many, minutes past 59, other signs, text after it
        for bad in [
            "+03:-30", "-03:-00", "-03:-3", "-03:-030", "-3:-30", "-003:-30", "-03:-60",
            "-03:--30", "-03:+30", "-03-30", "-03:-30x", "-03:-3x", "-0330-", "-03: -30",
        ] {
            for line in lines("2026-12-06T15:04:25", bad) {
                assert!(parse_line(&line, &mut years()).is_none(), "{line}");
            }
        }
    }

    /// Europe/Berlin at the start of summer time in 2026: at 02:00 on 29 March the clocks go
    /// forward to 03:00, so no 02:xx happens that day.
    fn berlin_spring_2026(t: &NaiveDateTime) -> LocalResult<FixedOffset> {
        let forward = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap();
        if *t < forward {
            LocalResult::Single(FixedOffset::east_opt(3600).unwrap())
        } else if *t < forward + chrono::Duration::hours(1) {
            LocalResult::None
        } else {
            LocalResult::Single(FixedOffset::east_opt(2 * 3600).unwrap())
        }
    }

    #[test]
    fn spaced_iso_stamps_without_offset_go_through_the_clock_changes() {
        let read = |zone: fn(&NaiveDateTime) -> LocalResult<FixedOffset>, stamps: &[&str]| {
            let mut y = years().in_zone(zone);
            stamps
                .iter()
                .map(|t| {
                    let l = format!("{t} mx postfix/qmgr[1]: 3F517C8902: removed");
                    parse_line(&l, &mut y).unwrap().time.to_rfc3339()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read(
                berlin_autumn_2026,
                &[
                    "2026-10-25 02:10:00",
                    "2026-10-25 02:59:59",
                    "2026-10-25 02:05:00",
                    "2026-10-25 03:00:00"
                ]
            ),
            [
                "2026-10-25T02:10:00+02:00",
                "2026-10-25T02:59:59+02:00",
                "2026-10-25T02:05:00+01:00",
                "2026-10-25T03:00:00+01:00",
            ]
        );
        // an hour the clocks skipped: read with the offset before the change, not dropped
        assert_eq!(
            read(
                berlin_spring_2026,
                &[
                    "2026-03-29 01:59:59",
                    "2026-03-29 02:30:00",
                    "2026-03-29 03:00:00"
                ]
            ),
            [
                "2026-03-29T01:59:59+01:00",
                "2026-03-29T02:30:00+01:00",
                "2026-03-29T03:00:00+02:00",
            ]
        );
    }

    /// An SD-PARAM's value as RFC 5424 writes it: `"`, `\` and `]` escaped.
    fn sd_value(v: &str) -> String {
        v.replace('\\', r"\\")
            .replace('"', "\\\"")
            .replace(']', r"\]")
    }

    proptest! {
        #[test]
        fn never_panics_after_the_new_stamps(
            head in prop_oneof![
                Just("<22>1 2026-12-07T04:52:35Z "),
                Just("<22>1 2026-12-07T04:52:35Z mx postfix/smtp 1 - "),
                Just("<191>1 "),
                Just("<"),
                Just("2026-12-07 "),
                Just("2026-12-07 04:52:35"),
                Just("2026-12-07 04:52:35 "),
                Just("2026-12-07 04:52:35 +"),
                Just("2026-12-07 04:52:35 -05:00 "),
                Just("<22>"),
                Just("<22>Dec  7 04:52:35 "),
                Just("<22>2026-12-07T04:52:35Z "),
                Just("<0>2"),
            ],
            s in ".{0,300}"
        ) {
            let line = format!("{head}{s}");
            if let Some(l) = parse_line(&line, &mut years()) {
                prop_assert!(!l.text.chars().any(crate::sanitize::is_unsafe_char));
            }
        }

        /// Any PRI, host, pid, message id, structured data (escapes and all), byte order mark and
        /// spaces at the start of MSG: the line reads as the traditional line with that program
        /// and pid.
        #[test]
        fn rfc5424_framing_reads_as_the_traditional_line(
            pri in 0u8..=191,
            host in "[!-~]{1,24}",
            program in prop_oneof![
                Just("postfix/smtp"), Just("postfix/submission/smtpd"), Just("postfix-out/qmgr"),
                Just("postfix/cleanup"),
            ],
            procid in prop_oneof![Just("-".to_string()), "[1-9][0-9]{0,8}"],
            msgid in "[!-~]{1,32}",
            sd in prop_oneof![
                Just("-".to_string()),
                proptest::collection::vec(
                    ("[a-zA-Z0-9@._]{1,12}", proptest::collection::vec(("[a-z]{1,8}", ".{0,20}"), 0..4)),
                    1..4
                ).prop_map(|elements| elements.iter().map(|(id, params)| {
                    let params: String = params.iter().map(|(k, v)| format!(" {k}=\"{}\"", sd_value(v))).collect();
                    format!("[{id}{params}]")
                }).collect()),
            ],
            bom in any::<bool>(),
            spaces in 0usize..3,
            body in prop_oneof![
                Just("3F2A1B2C3D: removed"),
                Just("3F2A1B2C3D: to=<a@b.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to b.example[192.0.2.1]:25: Connection timed out)"),
                Just("warning: TLS library problem: error:0A000086:SSL routines::certificate verify failed"),
                Just("NOQUEUE: reject: RCPT from x[192.0.2.9]: 450 4.7.1 <c@d.example>: try later; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"),
                Just(""),
            ],
        ) {
            let t = "2026-12-07T04:52:35.123456+00:00";
            let bom = if bom { "\u{feff}" } else { "" };
            let line = format!("<{pri}>1 {t} {host} {program} {procid} {msgid} {sd} {bom}{}{body}", " ".repeat(spaces));
            let pid = if procid == "-" { String::new() } else { format!("[{procid}]") };
            let twin = p(&format!("{t} mx {program}{pid}: {body}"));
            let five = parse_line(&line, &mut years());
            prop_assert!(five.is_some(), "{}", line);
            let five = five.unwrap();
            prop_assert!(!five.text.chars().any(crate::sanitize::is_unsafe_char));
            let want_host = if host == "-" { String::new() } else { crate::sanitize::sanitize(&host) };
            prop_assert_eq!(five.host.as_str(), want_host);
            prop_assert_eq!(LogLine { text: twin.text.clone(), host: twin.host.clone(), ..five }, twin);
        }

        /// A space where RFC 3339 has its `T`: the same time, any fraction and offset.
        #[test]
        fn spaced_iso_stamps_read_as_rfc3339(
            date in (1970i32..2100, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            time in (0u32..24, 0u32..60, 0u32..60).prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}")),
            frac in proptest::option::of("[0-9]{1,9}"),
            offset in prop_oneof![
                Just("Z".to_string()),
                (any::<bool>(), 0u32..24, 0u32..60, any::<bool>()).prop_map(|(west, h, m, colon)| {
                    format!("{}{h:02}{}{m:02}", if west { '-' } else { '+' }, if colon { ":" } else { "" })
                }),
            ],
        ) {
            let frac = frac.map_or(String::new(), |f| format!(".{f}"));
            let spaced = parse_stamp(&format!("{date} {time}{frac}{offset} mx x")).map(|s| s.0);
            let rfc = parse_stamp(&format!("{date}T{time}{frac}{offset} mx x")).map(|s| s.0);
            prop_assert!(spaced.is_some());
            prop_assert_eq!(spaced, rfc);
            // the offset after a space (syslog-ng's `$TZ`, a strftime `%z`): the same time and
            // the same rest; `Z` is written right after the time only, and after a space is a host
            if offset != "Z" {
                let apart = format!("{date} {time}{frac} {offset} mx x");
                let joined = format!("{date}T{time}{frac}{offset} mx x");
                prop_assert_eq!(parse_stamp(&apart), parse_stamp(&joined));
            }
            // without an offset: the same date and time, its zone left to the reading
            let local = parse_stamp(&format!("{date} {time}{frac} mx x")).map(|s| s.0);
            let naive = NaiveDateTime::parse_from_str(&format!("{date}T{time}{frac}"), "%Y-%m-%dT%H:%M:%S%.f").unwrap();
            prop_assert_eq!(local, Some(Stamp::Local(naive)));
        }

        /// Any PRI in front of any traditional or RFC 3339 stamp: the line reads as it does
        /// without it, but for its text, whatever follows the stamp.
        #[test]
        fn a_pri_in_front_of_a_stamp_changes_nothing_but_the_text(
            pri in 0u8..=191,
            stamp in prop_oneof![
                (0usize..12, 1u32..=31, 0u32..24, 0u32..60, 0u32..61, any::<bool>()).prop_map(
                    |(m, d, h, mi, s, zero)| {
                        let month = [
                            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                            "Nov", "Dec",
                        ][m];
                        let day = if zero { format!("{d:02}") } else { format!("{d:>2}") };
                        format!("{month} {day} {h:02}:{mi:02}:{s:02}")
                    }
                ),
                (
                    (1970i32..2100, 1u32..=12, 1u32..=28),
                    (0u32..24, 0u32..60, 0u32..60),
                    proptest::option::of("[0-9]{1,9}"),
                    prop_oneof![Just("Z"), Just("+00:00"), Just("+01:00"), Just("-05:30"), Just("+0100")],
                ).prop_map(|((y, mo, d), (h, mi, s), frac, offset)| {
                    let frac = frac.map_or(String::new(), |f| format!(".{f}"));
                    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{offset}")
                }),
            ],
            rest in prop_oneof![
                Just("mx postfix/smtp[1]: 3F2A1B2C3D: to=<a@b.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to b.example[192.0.2.1]:25: Connection timed out)".to_string()),
                Just("postfix/qmgr[1]: 3F2A1B2C3D: removed".to_string()),
                Just("mx mail.warning postfix/smtp[1]: warning: TLS library problem: error:0A000086".to_string()),
                "[!-~]{1,24} postfix/[a-z]{1,8}\\[[0-9]{1,6}\\]: .{0,80}",
                ".{0,120}",
            ],
        ) {
            let twin = format!("{stamp} {rest}");
            let framed = format!("<{pri}>{twin}");
            let without_text = |l: LogLine| LogLine { text: Clean::new(""), ..l };
            let (framed_read, twin_read) = (
                parse_line(&framed, &mut years()).map(without_text),
                parse_line(&twin, &mut years()).map(without_text),
            );
            prop_assert!(twin_read.is_some() || !rest.contains("3F2A1B2C3D"), "{}", twin);
            prop_assert_eq!(framed_read, twin_read, "{}", framed);
        }

        /// A Postfix tag of any length, cut by rsyslog's forward templates: the line reads as
        /// with the tag whole, but for what the cut took from the program's end and the pid.
        #[test]
        fn a_cut_tag_reads_as_the_whole_one_but_for_what_was_cut(
            program in "(postfix|postfix-[a-z0-9.]{1,20}|[a-z]{1,12}\\.example)(/[a-z]{1,12}){1,2}",
            pid in 1u32..=4_194_304,
            body in prop_oneof![
                Just("3F2A1B2C3D: removed"),
                Just("3F2A1B2C3D: to=<a@b.example>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to b.example[192.0.2.1]:25: Connection timed out)"),
                Just("warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"),
                Just("NOQUEUE: reject: RCPT from x[192.0.2.9]: 450 4.7.1 <c@d.example>: try later; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<x>"),
            ],
        ) {
            let tag = format!("{program}[{pid}]:");
            let (cut, whole) = forwarded(&tag, body);
            let (cut_read, whole_read) = (parse_line(&cut, &mut years()), p(&whole));
            prop_assert!(cut_read.is_some(), "{}", cut);
            let cut_read = cut_read.unwrap();
            prop_assert!(whole_read.program.starts_with(cut_read.program.as_str()), "{}", cut);
            // the pid whole or not at all
            let pid_kept = tag.len() <= 32 || tag[..32].ends_with(']');
            prop_assert_eq!(cut_read.pid, pid_kept.then_some(pid), "{}", cut);
            // with no `[` left the name may be cut: the program is its whole `/` components, and
            // a `removed` is postsuper's only where what is left of the name can only be
            // postsuper's
            let kept = &tag[..tag.len().min(32)];
            let name_cut = !kept.contains('[');
            prop_assert_eq!(cut_read.name_cut, name_cut, "{}", cut);
            if name_cut {
                let whole_parts = kept.rsplit_once('/').map_or("", |(p, _)| p);
                prop_assert_eq!(cut_read.program.as_str(), whole_parts, "{}", cut);
            }
            let mut want = whole_read.clone();
            if name_cut && body.ends_with(": removed") {
                let left = kept.rsplit('/').next().unwrap_or_default();
                want.kind = if !left.is_empty() && "postsuper".starts_with(left) {
                    Kind::Super(SuperAction::Removed)
                } else {
                    Kind::Removed
                };
            }
            same_but_the_tag(cut_read, &want, &cut);
        }

        /// smtpd's own lines that say nothing to the model (its TLS handshake's summary,
        /// improper pipelining, `too many errors`, a `WARN` rule's note), from any client, behind
        /// smtpd's tag cut to 32 bytes whatever its syslog name: read as with the tag whole but
        /// for what the cut took, where what is left of the name may be smtpd's; not read where
        /// it cannot be (the cut left a `/` component of the syslog name last).
        #[test]
        fn smtpd_s_own_lines_read_behind_any_cut_smtpd_tag(
            name in "(postfix|postfix-[a-z0-9.]{1,20}|[a-z]{1,12}\\.example)(/[a-z]{1,12})?",
            pid in 1u32..=4_194_304,
            client in "[a-z][a-z0-9.-]{0,20}",
            addr in any::<std::net::Ipv4Addr>(),
            which in 0usize..4,
        ) {
            let tag = format!("{name}/smtpd[{pid}]:");
            let client = format!("{client}[{addr}]");
            let body = match which {
                0 => format!(
                    "Anonymous TLS connection established from {client}: TLSv1.3 with cipher \
                     TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519"
                ),
                1 => format!("improper command pipelining after EHLO from {client}: QUIT\\r\\n"),
                2 => format!("too many errors after RCPT from {client}"),
                _ => format!(
                    "NOQUEUE: warn: RCPT from {client}: watched; from=<a@b.example> \
                     to=<c@d.example> proto=ESMTP helo=<x>"
                ),
            };
            let (cut, whole) = forwarded(&tag, &body);
            let want = p(&whole);
            prop_assert_eq!(&want.kind, &Kind::Other, "{}", whole);
            let cut_read = parse_line(&cut, &mut years());
            let kept = &tag[..tag.len().min(32)];
            let left = kept.rsplit('/').next().unwrap_or_default();
            if kept.contains('[') || "smtpd".starts_with(left) {
                prop_assert!(cut_read.is_some(), "{}", cut);
                same_but_the_tag(cut_read.unwrap(), &want, &cut);
            } else {
                prop_assert!(cut_read.is_none(), "{}", cut);
            }
        }

        /// The other daemons' own lines that say nothing to the model (tlsproxy's, postscreen's,
        /// the summary of a TLS handshake to a server), from or to any peer, behind the tag of a
        /// daemon that logs them cut to 32 bytes whatever its syslog name: read as with the tag
        /// whole but for what the cut took, where what is left of the name may be that of a
        /// daemon that logs them; not read where it cannot be.
        #[test]
        fn other_daemons_own_lines_read_behind_any_cut_tag_of_theirs(
            name in "(postfix|postfix-[a-z0-9.]{1,20}|[a-z]{1,12}\\.example)(/[a-z]{1,12})?",
            pid in 1u32..=4_194_304,
            addr in any::<std::net::IpAddr>(),
            port in 1u16..,
            host in "[a-z][a-z0-9.-]{0,20}",
            which in 0usize..7,
            writer in 0usize..3,
        ) {
            let peer = format!("[{addr}]:{port}");
            let (daemons, body): (&[&str], String) = match which {
                0 => (&["postscreen"], format!("PASS NEW {peer}")),
                1 => (&["postscreen"], format!("DNSBL rank 2 for {peer}")),
                2 => (
                    &["postscreen"],
                    format!("PREGREET 24 after 0 from {peer}: HELO {host}\\r\\n"),
                ),
                3 => (&["postscreen", "tlsproxy"], format!("DISCONNECT {peer}")),
                4 => (&["tlsproxy"], format!("CONNECT to {peer}")),
                5 => (
                    &["smtp", "lmtp", "tlsproxy"],
                    format!(
                        "Untrusted TLS connection established to {host}{peer}: TLSv1.2 with \
                         cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)"
                    ),
                ),
                _ => (
                    &["smtpd"],
                    format!(
                        "TLS connection established from {host}[{addr}]: TLSv1 with cipher \
                         DHE-RSA-AES256-SHA (256/256 bits)"
                    ),
                ),
            };
            let tag = format!("{name}/{}[{pid}]:", daemons[writer % daemons.len()]);
            let (cut, whole) = forwarded(&tag, &body);
            let want = p(&whole);
            prop_assert_eq!(&want.kind, &Kind::Other, "{}", whole);
            let cut_read = parse_line(&cut, &mut years());
            if read_behind_cut(&tag, daemons) {
                prop_assert!(cut_read.is_some(), "{}", cut);
                same_but_the_tag(cut_read.unwrap(), &want, &cut);
            } else {
                prop_assert!(cut_read.is_none(), "{}", cut);
            }
        }

        /// A host after a spaced ISO stamp is never taken for an offset: host names (letters,
        /// digits, dots and hyphens, not starting with a hyphen) and IPv6 addresses keep the
        /// stamp in the writer's zone.
        #[test]
        fn a_host_after_a_spaced_stamp_is_the_host(
            host in "[a-zA-Z0-9][a-zA-Z0-9.-]{0,30}|[0-9a-f:]{0,38}[0-9a-f]"
        ) {
            prop_assume!(!is_severity(&host));
            let line = format!("2026-11-07 13:28:01 {host} postfix/qmgr[1]: 3F517C8902: removed");
            let l = parse_line(&line, &mut years().in_zone(berlin_autumn_2026));
            prop_assert!(l.is_some(), "{}", line);
            let l = l.unwrap();
            prop_assert_eq!(l.host.as_str(), host.as_str());
            prop_assert_eq!(l.time.to_rfc3339(), "2026-11-07T13:28:01+01:00");
        }
    }
}
