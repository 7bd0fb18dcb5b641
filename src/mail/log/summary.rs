//! `opsdeck summary`: a failure report over whole log files (plain or `.gz`, `-` for stdin), in the
//! spirit of pflogsumm, as text or as JSON with a stable shape.
//!
//! It runs the same parser and model as the pane, streaming: the input is read in chunks parsed on
//! one thread per CPU ([`bulk`](super::bulk)), and the model takes the lines in order. Memory
//! stays bounded whatever the size of the input (chunks in flight, the model's limits, capped
//! tables). It never writes anything but stdout and stderr.
//!
//! # JSON shape (`--format json`, `"version": 1`; fields are only ever added)
//!
//! The shape is also printed by `opsdeck summary --help`:
//!
#![doc = concat!("```text\n", include_str!("summary_json.txt"), "```")]
//!
//! Every string from outside (file names, addresses, reasons, errors) is escaped as the screen
//! shows it ([`crate::sanitize`]): no control character, bidi override or invisible character
//! reaches a terminal through the JSON either.
//!
//! `--causes` lists every `category` a report can carry, with its label, meaning and remedy
//! ([`render_causes`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Local};
use serde::Serialize;

use super::LogError;
use super::classify::Category;
use super::model::{IdHasher, Limits, MailLog, Outcome, RowStatus};
use crate::sanitize::Clean;

/// Report tables hash with the model's cheap hasher (their size is capped).
type Map<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;
use super::bulk::for_each_line;
use super::compressed::decoded;
use super::deadline::Deadline;
use super::parse::{Kind, LogLine, MAX_LINE, YearGuess, parse_stamp};
use super::source::{
    JournalQuery, JournalWindow, START_MARGIN_SECS, open_input, open_input_at, start_offset,
};

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Arguments of `opsdeck summary`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SummaryArgs {
    /// Log files to read (compressed by gzip, xz, zstd or bzip2 too; `-` reads stdin).
    /// Default: the configuration's `[mail_log]` (its files, or the journal with
    /// source = "journal"); without one, /var/log/mail.log, or where that does not exist,
    /// Postfix's own log (maillog_file), or else the journal where journald runs. They are read
    /// oldest first, by the first timestamp in each, so `mail.log*` works as the shell expands it
    /// (with `-` or a pipe such as `<(zcat old.gz)` among them, in the order given).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Only lines from this time on: a duration ago (90m, 6h, 2d, 1w), today, yesterday, a time
    /// of day today (14:30), or a local date and time (2026-12-05 or 20261205,
    /// "2026-12-05 14:30", 2026-12-05T14:30:00+01:00). A bare number needs its unit.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only lines before this time, in the same forms (`--since yesterday --until today` is
    /// yesterday's report).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Rows in each top list (1 or more).
    #[arg(long, default_value_t = 10,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub top: usize,
    /// List every failure cause instead (its name in JSON, label, meaning and what to do), in
    /// the report's order, and exit.
    #[arg(long, conflicts_with_all = ["files", "since", "until"])]
    pub causes: bool,
}

/// Parse `90m`, `6h`, `2d`, `1w`, `30s`.
pub fn parse_duration(s: &str) -> Result<chrono::Duration, LogError> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().map_err(|_| LogError::Duration(s.into()))?;
    let secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        // a bare number has no unit (hours? minutes?): it is refused, not guessed
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(LogError::Duration(s.into())),
    };
    chrono::Duration::try_seconds(n.saturating_mul(secs))
        .ok_or_else(|| LogError::Duration(s.into()))
}

/// A `--since` or `--until` time, `now` being the reading time: a duration ago (see
/// [`parse_duration`]), `today` or `yesterday` (local midnight), `now`, a time of day (today's),
/// or a date with an optional time of day (local unless it carries an offset).
pub fn parse_time(
    flag: &'static str,
    s: &str,
    now: DateTime<Local>,
) -> Result<DateTime<FixedOffset>, LogError> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    let t = s.trim();
    let bad = || LogError::Time {
        flag,
        given: t.into(),
    };
    let local = |n: NaiveDateTime| {
        // a time skipped by a DST change is taken an hour later; a repeated one, first
        Local
            .from_local_datetime(&n)
            .earliest()
            .or_else(|| {
                Local
                    .from_local_datetime(&(n + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.fixed_offset())
    };
    let midnight = |d: NaiveDate| local(d.and_hms_opt(0, 0, 0)?);
    let today = now.date_naive();
    match t.to_ascii_lowercase().as_str() {
        "now" => return Ok(now.fixed_offset()),
        "today" => return midnight(today).ok_or_else(bad),
        "yesterday" => return today.pred_opt().and_then(midnight).ok_or_else(bad),
        _ => {}
    }
    // a time of day: today's
    for f in ["%H:%M", "%H:%M:%S"] {
        if let Ok(tod) = chrono::NaiveTime::parse_from_str(t, f) {
            return local(today.and_time(tod)).ok_or_else(bad);
        }
    }
    // a date written without dashes, as `date +%Y%m%d` prints it
    if t.len() == 8
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(d) = NaiveDate::parse_from_str(t, "%Y%m%d")
    {
        return midnight(d).ok_or_else(bad);
    }
    if t.starts_with(|c: char| c.is_ascii_digit()) && !t.contains('-') {
        // before 1970 no mail log was written: a mistyped number, not a time
        return parse_duration(t)
            .ok()
            .and_then(|d| now.fixed_offset().checked_sub_signed(d))
            .filter(|t| t.timestamp() >= 0)
            .ok_or_else(bad);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d);
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return local(n).ok_or_else(bad);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(midnight)
        .ok_or_else(bad)
}

const MAX_KEYS: usize = 20_000;
/// The senders a `<>` row remembers its failed notices were for.
const MAX_NOTICE_SENDERS: usize = 100;
const MAX_LOST: usize = 100;

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct StatusTotals {
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
    pub expired: u64,
    pub undeliverable: u64,
    pub lost: u64,
    /// Deleted with `postsuper -d` before a final delivery (not in `lost`).
    pub deleted: u64,
    pub rejected: u64,
    /// Put in the hold queue by a HOLD rule (cleanup `hold:`), waiting to be released.
    pub held: u64,
    /// Of `rejected`, refused with a 4xx code: for now only, the client may try again.
    pub rejected_temporary: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct SenderRow {
    pub sender: String,
    pub sent: u64,
    pub deferred: u64,
    pub bounced: u64,
    pub expired: u64,
    /// Mail nobody was told about; a bounce notice that failed too is counted with the sender of
    /// the mail it was the notice of (when the log names it), not with `<>`.
    pub lost: u64,
    /// Of `lost`, this sender's failed mail whose bounce notice failed too: the same messages are
    /// in `bounced` (or `deferred`, a notice of delay).
    pub lost_notices: u64,
    /// Deleted with `postsuper -d`: counted in `failures`, not in `lost`.
    pub deleted: u64,
    pub failures: u64,
    /// Refused at reception (`NOQUEUE: reject`): counted in `failures`.
    pub rejected: u64,
    /// When its latest failed delivery (deferred, bounced, expired) was logged.
    #[serde(skip)]
    pub last_failure: Option<DateTime<FixedOffset>>,
    /// Its first delivery after that failure: mail from it moves again (`None`: none since).
    #[serde(skip)]
    pub delivered_since: Option<DateTime<FixedOffset>>,
    /// For `<>`: its failed notices by the sender of the failed mail they were the bounces of,
    /// so that they count as fixed when that sender's mail moves again (at most
    /// `MAX_NOTICE_SENDERS` senders). A notice whose message, or its sender, is not known (the
    /// log starts after it, or too many senders) is in none: never counted as fixed.
    #[serde(skip)]
    pub notices_of: Vec<(String, u64)>,
}

impl SenderRow {
    /// Its failed deliveries as `opsdeck check` counts them (deferred, bounced, expired).
    pub fn failed(&self) -> u64 {
        self.deferred + self.bounced + self.expired
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    pub category: Category,
    pub label: &'static str,
    pub count: u64,
    pub meaning: &'static str,
    pub remedy: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainRow {
    pub domain: String,
    pub failures: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReasonRow {
    pub reason: String,
    pub category: Option<Category>,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityRow {
    pub identity: String,
    pub region: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LostRow {
    pub time: DateTime<FixedOffset>,
    pub queue_id: Option<String>,
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
}

/// The report (see the module docs for its JSON shape).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    /// Outside text, as every field: a file name may hold anything.
    pub files: Vec<Clean>,
    pub since: Option<DateTime<FixedOffset>>,
    pub first: Option<DateTime<FixedOffset>>,
    pub last: Option<DateTime<FixedOffset>>,
    pub lines: u64,
    pub unparsed: u64,
    pub messages: u64,
    pub status: StatusTotals,
    pub categories: Vec<CategoryRow>,
    pub senders: Vec<SenderRow>,
    pub recipient_domains: Vec<DomainRow>,
    pub reasons: Vec<ReasonRow>,
    pub ses_unverified: Vec<IdentityRow>,
    pub lost: Vec<LostRow>,
    pub lost_total: u64,
    pub errors: Vec<Clean>,
    /// Files named that could not be read at all (not opened, or not one line read from them):
    /// `errors` says why. A file read in part before it failed (a gzip cut short) is not one.
    pub unreadable: Vec<Clean>,
    /// With `since`: files left unread because the file after them starts before it.
    pub older: Vec<Clean>,
    /// Lines from this time on were skipped.
    pub until: Option<DateTime<FixedOffset>>,
    /// With `until`: files left unread because they start after it.
    pub newer: Vec<Clean>,
    /// Postfix's own warning and error lines, by kind, worst first.
    pub warnings: Vec<WarningRow>,
    /// Lines counted that are stamped more than a minute after the report was read (a clock
    /// that ran ahead, a year guessed wrong): `last` is then in the future too.
    pub ahead: u64,
    /// Read under a deadline ([`build_by`]) that came first: the file being read then (the
    /// files after it were not read). Only `opsdeck check` reads so; not in the JSON.
    #[serde(skip)]
    pub cut: Option<Clean>,
    /// Every sender with a failed delivery (deferred, bounced, expired), with whether its
    /// mail was delivered after the latest of them, the most failures first; not cut to
    /// `top`. Not in the JSON.
    #[serde(skip)]
    pub failing_senders: Vec<SenderRow>,
}

/// Postfix's warning and error lines of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningRow {
    /// `panic`, `fatal`, `error` (a daemon failing), `sasl`, `tls` (authentication and
    /// encryption with a peer), or `warning` (anything else).
    pub kind: &'static str,
    pub count: u64,
    pub last_time: DateTime<FixedOffset>,
    /// The latest one: the program and its text, escaped and cut at 300 characters. A program
    /// whose name a cut tag may have shortened is named as far as it is whole, and marked so
    /// ([`LogLine::program_shown`]).
    pub last: String,
}

/// The kinds of [`WarningRow`], worst first.
const WARNING_KINDS: [&str; 6] = ["panic", "fatal", "error", "sasl", "tls", "warning"];

/// Counts Postfix's warning and error lines while a report is read.
#[derive(Debug, Default)]
struct Warnings {
    rows: Vec<WarningRow>,
}

impl Warnings {
    /// A warning or error line (they are few: kept off the path every line takes).
    #[cold]
    fn note(&mut self, line: &LogLine<&str>) {
        let (kind, text) = match &line.kind {
            Kind::SaslWarning(t) => ("sasl", *t),
            Kind::TlsWarning(t) => ("tls", *t),
            Kind::Warning(t) => {
                let kind = ["panic", "fatal", "error"]
                    .into_iter()
                    .find(|k| t.strip_prefix(k).is_some_and(|r| r.starts_with(": ")))
                    .unwrap_or("warning");
                (kind, *t)
            }
            _ => return,
        };
        let last = Clean::capped(&format!("{}: {text}", line.program_shown()), 300).into_string();
        match self.rows.iter_mut().find(|r| r.kind == kind) {
            Some(r) => {
                r.count += 1;
                if line.time >= r.last_time {
                    r.last_time = line.time;
                    r.last = last;
                }
            }
            None => self.rows.push(WarningRow {
                kind,
                count: 1,
                last_time: line.time,
                last,
            }),
        }
    }

    fn finish(mut self) -> Vec<WarningRow> {
        self.rows
            .sort_by_key(|r| WARNING_KINDS.iter().position(|k| *k == r.kind));
        self.rows
    }
}

/// Accumulates outcomes into the report's tables, with bounded maps.
#[derive(Debug, Default)]
pub struct Accumulator {
    status: StatusTotals,
    categories: Map<Category, u64>,
    senders: Map<String, SenderRow>,
    domains: Map<String, u64>,
    reasons: Map<String, (Option<Category>, u64)>,
    identities: Map<(String, String), u64>,
    lost: Vec<LostRow>,
    lost_total: u64,
    messages: u64,
    /// The sender of each message that failed (queue id to sender), to tell whose mail a failed
    /// bounce notice was about.
    failed_sender: Map<String, String>,
}

/// Reason text with the per-message parts (addresses, SES message ids) blanked, for grouping:
/// every `<...>` becomes `<*>`, the text is cut at 200 bytes (marked `…`), and `250 Ok` followed
/// by an SES message id becomes `250 Ok*`.
pub fn reason_key(reason: &str) -> String {
    if !reason.is_ascii() {
        return reason_key_chars(reason);
    }
    // the same steps as `reason_key_chars`, a run of bytes at a time (every character is one
    // byte); a property test checks that both agree
    const CAP: usize = 200;
    let b = reason.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len().min(CAP + 4));
    let mut i = 0;
    let mut in_angle = false;
    while i < b.len() {
        if in_angle {
            // skip to the closing `>`; another `<` opens a new blank
            match memchr::memchr2(b'<', b'>', &b[i..]) {
                None => break,
                Some(j) if b[i + j] == b'>' => {
                    in_angle = false;
                    i += j + 1;
                    continue;
                }
                Some(j) => i += j,
            }
        } else {
            let run_end = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |j| i + j);
            let room = CAP - out.len();
            if run_end - i >= room {
                out.extend_from_slice(&b[i..i + room]);
                out.extend_from_slice("…".as_bytes());
                break;
            }
            out.extend_from_slice(&b[i..run_end]);
            i = run_end;
            if i == b.len() {
                break;
            }
        }
        // at a `<`
        in_angle = true;
        out.extend_from_slice(b"<*>");
        i += 1;
        if out.len() >= CAP {
            out.extend_from_slice("…".as_bytes());
            break;
        }
    }
    let mut out = String::from_utf8(out).unwrap_or_default();
    blank_ses_id(&mut out);
    out
}

/// [`reason_key`] a character at a time (any text).
fn reason_key_chars(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len().min(200));
    let mut in_angle = false;
    for c in reason.chars() {
        match c {
            '<' => {
                in_angle = true;
                out.push_str("<*>");
            }
            '>' if in_angle => in_angle = false,
            _ if in_angle => {}
            _ => out.push(c),
        }
        if out.len() >= 200 {
            out.push('…');
            break;
        }
    }
    blank_ses_id(&mut out);
    out
}

/// `250 Ok 0100018c...` -> `250 Ok*` (SES's message id differs for every message).
fn blank_ses_id(out: &mut String) {
    static OK_ID: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("250 Ok 0100"));
    if let Some(i) = OK_ID.find(out.as_bytes()) {
        out.truncate(i + 6);
        out.push('*');
    }
}

fn bump<K: std::hash::Hash + Eq>(map: &mut Map<K, u64>, key: K, overflow: K) {
    if map.len() < MAX_KEYS || map.contains_key(&key) {
        *map.entry(key).or_default() += 1;
    } else {
        *map.entry(overflow).or_default() += 1;
    }
}

/// [`bump`] for text keys, copying the key only when it is new.
fn bump_str(map: &mut Map<String, u64>, key: &str, overflow: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else if map.len() < MAX_KEYS {
        map.insert(key.to_string(), 1);
    } else {
        *map.entry(overflow.to_string()).or_default() += 1;
    }
}

impl Accumulator {
    pub fn add(&mut self, o: &Outcome) {
        let s = &mut self.status;
        match o.status {
            RowStatus::Sent => s.sent += 1,
            RowStatus::Deferred => s.deferred += 1,
            RowStatus::Bounced => s.bounced += 1,
            RowStatus::Expired => s.expired += 1,
            RowStatus::Undeliverable => s.undeliverable += 1,
            RowStatus::Lost => s.lost += 1,
            RowStatus::Deleted => s.deleted += 1,
            RowStatus::Rejected => {
                s.rejected += 1;
                if o.refused_for_now() {
                    s.rejected_temporary += 1;
                }
            }
            RowStatus::Held => s.held += 1,
        }
        let sender = o
            .from
            .as_deref()
            .map(|f| if f.is_empty() { "<>" } else { f })
            .unwrap_or("(unknown)");
        // a bounce notice that failed too is lost mail of the sender whose failed mail it was the
        // notice of, as the Senders pane counts it: that sender was never told. The notice's own
        // failed delivery stays `<>`'s, whose route failed.
        let owner = if o.status == RowStatus::Lost && sender == "<>" {
            o.notice_for.as_deref().map(str::to_string).or_else(|| {
                o.bounce_of
                    .as_ref()
                    .and_then(|id| self.failed_sender.get(id.as_str()))
                    .cloned()
            })
        } else {
            None
        };
        let sender = owner.as_deref().unwrap_or(sender);
        let key = if self.senders.contains_key(sender) {
            sender
        } else {
            let key = if self.senders.len() < MAX_KEYS {
                sender
            } else {
                "(other senders)"
            };
            self.senders
                .entry(key.to_string())
                .or_insert_with(|| SenderRow {
                    sender: key.to_string(),
                    ..SenderRow::default()
                });
            key
        };
        let Some(row) = self.senders.get_mut(key) else {
            return;
        };
        match o.status {
            RowStatus::Sent => row.sent += 1,
            RowStatus::Deferred => row.deferred += 1,
            RowStatus::Bounced | RowStatus::Undeliverable => row.bounced += 1,
            RowStatus::Expired => row.expired += 1,
            RowStatus::Lost => {
                row.lost += 1;
                if owner.is_some() {
                    row.lost_notices += 1;
                }
            }
            RowStatus::Deleted => row.deleted += 1,
            RowStatus::Rejected => row.rejected += 1,
            // not a failure of the sender's mail: waiting for someone here
            RowStatus::Held => {}
        }
        // whether its mail moved again after its latest failure (a password or an identity
        // fixed since); lost and deleted mail is no failure of its route, and is not undone.
        // Mail of senders not seen, or past the table's bound, is no one route: never said to
        // move again.
        let one_sender = !matches!(key, "(unknown)" | "(other senders)");
        match o.status {
            RowStatus::Sent if !one_sender => {}
            RowStatus::Sent => {
                if row.last_failure.is_some() && row.delivered_since.is_none() {
                    row.delivered_since = Some(o.time);
                }
            }
            RowStatus::Deferred
            | RowStatus::Bounced
            | RowStatus::Undeliverable
            | RowStatus::Expired => {
                row.last_failure = Some(row.last_failure.map_or(o.time, |t| t.max(o.time)));
                row.delivered_since = None;
            }
            RowStatus::Lost | RowStatus::Deleted | RowStatus::Rejected | RowStatus::Held => {}
        }
        if matches!(
            o.status,
            RowStatus::Deferred
                | RowStatus::Bounced
                | RowStatus::Undeliverable
                | RowStatus::Expired
        ) {
            if key == "<>" {
                // a notice that failed: whose mail was it the bounce of?
                let of = o
                    .bounce_of
                    .as_ref()
                    .and_then(|id| self.failed_sender.get(id.as_str()));
                if let Some(s) = of {
                    match row.notices_of.iter().position(|(n, _)| n == s) {
                        Some(i) => row.notices_of[i].1 += 1,
                        None if row.notices_of.len() < MAX_NOTICE_SENDERS => {
                            row.notices_of.push((s.clone(), 1))
                        }
                        None => {}
                    }
                }
            } else if let Some(id) = &o.queue_id
                && one_sender
            {
                // a message fails at each retry: its entry is mostly there already
                let room = self.failed_sender.len() < MAX_KEYS;
                match self.failed_sender.get_mut(id.as_str()) {
                    Some(s) if s == key => {}
                    Some(s) => *s = key.to_string(),
                    None if room => {
                        self.failed_sender
                            .insert(id.as_str().to_string(), key.to_string());
                    }
                    None => {}
                }
            }
        }
        if !o.status.is_failure() {
            return;
        }
        row.failures += 1;
        if let Some(c) = o.category {
            *self.categories.entry(c).or_default() += 1;
        }
        let domain = o.rcpt_domain();
        if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            bump_str(
                &mut self.domains,
                &domain.to_ascii_lowercase(),
                "(other domains)",
            );
        } else {
            bump_str(&mut self.domains, domain, "(other domains)");
        }
        let rk = reason_key(&o.reason);
        if self.reasons.len() < MAX_KEYS || self.reasons.contains_key(&rk) {
            self.reasons.entry(rk).or_insert((o.category, 0)).1 += 1;
        } else {
            self.reasons
                .entry("(other reasons)".into())
                .or_insert((None, 0))
                .1 += 1;
        }
        // a lost bounce notice carries the reply of its failed delivery, counted on that row:
        // SES refused the identity once
        if let Some(ses) = o.ses.as_ref().filter(|_| o.status != RowStatus::Lost) {
            for id in &ses.identities {
                bump(
                    &mut self.identities,
                    (id.clone(), ses.region.clone()),
                    ("(other)".into(), String::new()),
                );
            }
        }
        if o.status == RowStatus::Lost {
            self.lost_total += 1;
            if self.lost.len() < MAX_LOST {
                self.lost.push(LostRow {
                    time: o.time,
                    queue_id: o.queue_id.as_ref().map(|q| q.to_string()),
                    from: o.from.as_ref().map(|f| f.to_string()),
                    to: o.to.to_string(),
                    reason: o.reason.to_string(),
                });
            }
        }
    }

    fn finish(self, top: usize) -> Report {
        let mut categories: Vec<CategoryRow> = self
            .categories
            .into_iter()
            .map(|(c, n)| CategoryRow {
                category: c,
                label: c.label(),
                count: n,
                meaning: c.meaning(),
                remedy: c.remedy(),
            })
            .collect();
        categories.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
        let mut senders: Vec<SenderRow> = self
            .senders
            .into_values()
            .filter(|r| r.failures > 0)
            .collect();
        senders.sort_by(|a, b| {
            b.failures
                .cmp(&a.failures)
                .then_with(|| a.sender.cmp(&b.sender))
        });
        let failing_senders: Vec<SenderRow> =
            senders.iter().filter(|r| r.failed() > 0).cloned().collect();
        senders.truncate(top);
        let mut recipient_domains: Vec<DomainRow> = self
            .domains
            .into_iter()
            .map(|(domain, failures)| DomainRow { domain, failures })
            .collect();
        recipient_domains.sort_by(|a, b| {
            b.failures
                .cmp(&a.failures)
                .then_with(|| a.domain.cmp(&b.domain))
        });
        recipient_domains.truncate(top);
        let mut reasons: Vec<ReasonRow> = self
            .reasons
            .into_iter()
            .map(|(reason, (category, count))| ReasonRow {
                reason,
                category,
                count,
            })
            .collect();
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        reasons.truncate(top);
        let mut ses_unverified: Vec<IdentityRow> = self
            .identities
            .into_iter()
            .map(|((identity, region), count)| IdentityRow {
                identity,
                region,
                count,
            })
            .collect();
        ses_unverified.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.identity.cmp(&b.identity))
        });
        ses_unverified.truncate(top);
        Report {
            version: 1,
            files: Vec::new(),
            since: None,
            first: None,
            last: None,
            lines: 0,
            unparsed: 0,
            messages: self.messages,
            status: self.status,
            categories,
            senders,
            recipient_domains,
            reasons,
            ses_unverified,
            lost: self.lost,
            lost_total: self.lost_total,
            errors: Vec::new(),
            unreadable: Vec::new(),
            older: Vec::new(),
            until: None,
            newer: Vec::new(),
            warnings: Vec::new(),
            ahead: 0,
            cut: None,
            failing_senders,
        }
    }
}

/// The model and the report tables: takes parsed lines in order.
struct Ingestor {
    log: MailLog,
    acc: Accumulator,
}

impl Ingestor {
    fn new() -> Ingestor {
        let limits = Limits {
            outcomes: 0,
            lines_per_message: 0,
            finished: 2_000,
            live: 10_000,
            warnings: 0,
            attempts: false,
            // the report counts senders in its own tables
            tally_window: chrono::Duration::zero(),
            ..Limits::default()
        };
        let mut log = MailLog::with_limits(limits);
        log.reserve_all();
        Ingestor {
            log,
            acc: Accumulator::default(),
        }
    }
}

/// Build the report over `files` (`-` is stdin). Errors reading a file are kept in the report.
///
/// Lines are parsed on one thread per CPU (up to four), and fed to the model in order on the
/// calling thread (the report is the same either way).
pub fn build(
    files: &[PathBuf],
    since: Option<DateTime<FixedOffset>>,
    top: usize,
    stdin: &mut (dyn std::io::Read + Send),
) -> Report {
    build_between(files, since, None, top, stdin)
}

/// [`build`] over the lines from `since` (if given) up to but not including `until`.
pub fn build_between(
    files: &[PathBuf],
    since: Option<DateTime<FixedOffset>>,
    until: Option<DateTime<FixedOffset>>,
    top: usize,
    stdin: &mut (dyn std::io::Read + Send),
) -> Report {
    build_with(files, since, until, top, stdin, parsers(), None)
}

/// Parsing threads for a report: the model's thread bounds the speed, and more than a few
/// parsers would only wait.
fn parsers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus >= 2 { cpus.min(4) } else { 0 }
}

/// [`build`] that stops reading at `deadline`: the report then holds what was read before it,
/// and names in `cut` the file it stopped in.
pub fn build_by(
    files: &[PathBuf],
    since: Option<DateTime<FixedOffset>>,
    top: usize,
    stdin: &mut (dyn std::io::Read + Send),
    deadline: &Deadline,
) -> Report {
    build_with(files, since, None, top, stdin, parsers(), Some(deadline))
}

/// [`build_between`] with the number of parsing threads chosen (0: all on the calling thread),
/// and, when given, a deadline to stop reading at.
pub fn build_with(
    files: &[PathBuf],
    since: Option<DateTime<FixedOffset>>,
    until: Option<DateTime<FixedOffset>>,
    top: usize,
    stdin: &mut (dyn std::io::Read + Send),
    workers: usize,
    deadline: Option<&Deadline>,
) -> Report {
    let mut years = YearGuess::now();
    // a cell: read between files too, to tell a file nothing was read from
    let lines = std::cell::Cell::new(0u64);
    let mut unparsed = 0u64;
    let mut messages = 0u64;
    let mut first: Option<DateTime<FixedOffset>> = None;
    // a line written while the report reads is not ahead; one stamped later than this is
    let read_at = Local::now().fixed_offset() + chrono::Duration::minutes(1);
    let mut ahead = 0u64;
    let mut errors = Vec::new();
    let mut unreadable = Vec::new();
    let mut ingestor = Ingestor::new();
    let mut warnings = Warnings::default();
    // the lines of the hour before `since` are read for context, not counted: a message queued
    // just before it and bounced just after is put down to its sender
    let context = since.map(|s| s - chrono::Duration::seconds(START_MARGIN_SECS));
    let mut each = |p: Option<LogLine<&str>>| {
        lines.set(lines.get() + 1);
        let Some(p) = p else {
            unparsed += 1;
            return;
        };
        if until.is_some_and(|u| p.time >= u) {
            return;
        }
        if since.is_some_and(|s| p.time < s) {
            if context.is_some_and(|c| p.time >= c) {
                // what it concludes about the time before `since` is not the report's
                let _ = ingestor.log.ingest(p);
            }
            return;
        }
        if first.is_none() {
            first = Some(p.time);
        }
        if p.time > read_at {
            ahead += 1;
        }
        if matches!(p.kind, Kind::Pickup { .. } | Kind::Client(_)) {
            messages += 1;
        }
        if matches!(
            p.kind,
            Kind::SaslWarning(_) | Kind::TlsWarning(_) | Kind::Warning(_)
        ) {
            warnings.note(&p);
        }
        for o in ingestor.log.ingest(p).outcomes {
            ingestor.acc.add(&o);
        }
    };
    fn limit<'a>(
        deadline: Option<&Deadline>,
        input: Box<dyn std::io::Read + Send + 'a>,
    ) -> Box<dyn std::io::Read + Send + 'a> {
        match deadline {
            Some(d) => d.limit_read(input),
            None => input,
        }
    }
    let mut cut = None;
    for f in files {
        let before = lines.get();
        let res = if f.as_os_str() == "-" {
            // `zcat`'s work done too: a compressed stdin is told by its bytes
            decoded(limit(deadline, Box::new(&mut *stdin)), None)
                .and_then(|mut input| {
                    for_each_line(&mut *input, &mut years, workers, false, MAX_LINE, &mut each)
                })
                .map_err(|e| LogError::io(std::path::Path::new("-"), e))
        } else {
            // with --since, a plain file is read from about an hour before it, not whole
            let start = since.map_or(0, |s| start_offset(f, s, u64::MAX));
            open_input_at(f, start).and_then(|input| {
                let mut input = limit(deadline, input);
                for_each_line(&mut *input, &mut years, workers, false, MAX_LINE, &mut each)
                    .map_err(|e| LogError::io(f, e))
            })
        };
        match res {
            Err(_) if deadline.is_some_and(Deadline::cut) => {
                // what was read stands; the files after it are not begun
                cut = Some(clean_path(f));
                break;
            }
            Err(e) => {
                if lines.get() == before {
                    unreadable.push(clean_path(f));
                }
                errors.push(Clean::new(&e.to_string()));
            }
            Ok(()) => {}
        }
    }
    let Ingestor { log, mut acc } = ingestor;
    acc.messages = messages;
    let last = log.latest();
    let mut r = acc.finish(top);
    r.files = files.iter().map(|f| clean_path(f)).collect();
    r.since = since;
    r.until = until;
    r.warnings = warnings.finish();
    r.first = first;
    r.last = last;
    r.lines = lines.get();
    r.unparsed = unparsed;
    r.ahead = ahead;
    r.errors = errors;
    r.unreadable = unreadable;
    r.cut = cut;
    r
}

/// A file name as the report holds it.
fn clean_path(f: &std::path::Path) -> Clean {
    Clean::new(&f.display().to_string())
}

/// The report as text.
pub fn render_text(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let span = match (r.first, r.last) {
        (Some(a), Some(b)) => format!(
            "{} to {}",
            a.with_timezone(&Local).format("%Y-%m-%d %H:%M"),
            b.with_timezone(&Local).format("%Y-%m-%d %H:%M")
        ),
        _ => "no Postfix lines".into(),
    };
    // the files read: one that could not be is named by its error line
    let read: Vec<&str> = r
        .files
        .iter()
        .filter(|f| !r.unreadable.contains(f))
        .map(Clean::as_str)
        .collect();
    let unreadable = match r.unreadable.len() {
        0 => String::new(),
        n => format!(" ({n} more could not be read)"),
    };
    let _ = writeln!(
        s,
        "Mail delivery failures: {} file(s){unreadable}, {} lines read ({} not from Postfix), \
         {span}",
        read.len(),
        r.lines,
        r.unparsed
    );
    if read.len() > 1 {
        let _ = writeln!(s, "Files, in the order read: {}", read.join(", "));
    }
    if !r.newer.is_empty() {
        let names: Vec<&str> = r.newer.iter().map(Clean::as_str).collect();
        let _ = writeln!(s, "Not read, started after --until: {}", names.join(", "));
    }
    if !r.older.is_empty() {
        let names: Vec<&str> = r.older.iter().map(Clean::as_str).collect();
        let _ = writeln!(s, "Not read, ended before --since: {}", names.join(", "));
    }
    // lines outside the window were not counted (and with a start, a long plain file was not
    // read from its beginning)
    let at = |t: DateTime<FixedOffset>| t.with_timezone(&Local).format("%Y-%m-%d %H:%M");
    if r.ahead > 0 {
        // counted by their stamps like any other, but no "since" of the past holds them
        let _ = writeln!(
            s,
            "{} line(s) stamped after this report was read (the newest {}): a clock that ran \
             ahead? They are counted as stamped.",
            r.ahead,
            r.last.map_or("?".to_string(), |l| at(l).to_string())
        );
    }
    match (r.since, r.until) {
        (Some(a), Some(b)) => {
            let _ = writeln!(s, "Since {}, until {} (not included)", at(a), at(b));
        }
        (Some(a), None) => {
            let _ = writeln!(s, "Since {}", at(a));
        }
        (None, Some(b)) => {
            let _ = writeln!(s, "Until {} (not included)", at(b));
        }
        (None, None) => {}
    }
    let _ = writeln!(
        s,
        "{} message{} entered the queue",
        r.messages,
        crate::ui::widgets::plural(r.messages)
    );
    let _ = writeln!(s, "\nOutcomes");
    let st = &r.status;
    let mut counts = vec![
        ("sent", st.sent),
        ("deferred (attempts)", st.deferred),
        ("bounced", st.bounced),
        ("expired", st.expired),
        ("undeliverable", st.undeliverable),
        ("lost", st.lost),
        ("deleted (postsuper -d)", st.deleted),
        ("rejected at reception", st.rejected),
        ("held by a rule", st.held),
    ];
    if st.rejected_temporary > 0 {
        // greylisting and other 4xx refusals: the client keeps the mail, it may still arrive
        let at = counts.len() - 1;
        counts.insert(at, ("  of them 4xx (may retry)", st.rejected_temporary));
    }
    columns(
        &mut s,
        &[Left, Right],
        counts
            .iter()
            .map(|(k, v)| vec![k.to_string(), v.to_string()]),
    );
    if !r.categories.is_empty() {
        let _ = writeln!(s, "\nFailures by cause");
        let rows = r.categories.iter().map(|c| {
            vec![
                c.label.to_string(),
                c.count.to_string(),
                c.meaning.to_string(),
            ]
        });
        columns(&mut s, &[Left, Right, Last], rows);
    }
    if !r.senders.is_empty() {
        let _ = writeln!(s, "\nFailures by sender");
        let head = [
            "sender", "sent", "deferred", "bounced", "expired", "lost", "deleted", "rejected",
        ];
        let rows = r.senders.iter().map(|x| {
            vec![
                crate::ui::widgets::truncate(&x.sender, 40),
                x.sent.to_string(),
                x.deferred.to_string(),
                x.bounced.to_string(),
                x.expired.to_string(),
                x.lost.to_string(),
                x.deleted.to_string(),
                x.rejected.to_string(),
            ]
        });
        let head = std::iter::once(head.iter().map(|h| h.to_string()).collect());
        columns(
            &mut s,
            &[Left, Right, Right, Right, Right, Right, Right, Right],
            head.chain(rows),
        );
        // the same messages as some of the bounced: said, or they read as more mail, and as
        // the null sender's
        let notices: u64 = r.senders.iter().map(|x| x.lost_notices).sum();
        if notices > 0 {
            let _ = writeln!(
                s,
                "  lost holds {notices} bounce notice(s) that failed too, with the sender who was \
                 not told (the notices' failed deliveries are <>'s)"
            );
        }
    }
    if !r.recipient_domains.is_empty() {
        let _ = writeln!(s, "\nFailures by recipient domain");
        let rows = r.recipient_domains.iter().map(|d| {
            let domain = if d.domain.is_empty() {
                "(none)"
            } else {
                &d.domain
            };
            vec![
                crate::ui::widgets::truncate(domain, 40),
                d.failures.to_string(),
            ]
        });
        columns(&mut s, &[Left, Right], rows);
    }
    if !r.ses_unverified.is_empty() {
        let _ = writeln!(s, "\nSES identities not verified");
        let rows = r.ses_unverified.iter().map(|i| {
            vec![
                crate::ui::widgets::truncate(&i.identity, 40),
                // written as AWS writes regions everywhere else (us-east-1); SES's reply has it
                // in capitals, as the JSON report keeps it
                i.region.to_ascii_lowercase(),
                i.count.to_string(),
            ]
        });
        columns(&mut s, &[Left, Left, Right], rows);
    }
    if !r.reasons.is_empty() {
        let _ = writeln!(s, "\nTop reasons");
        let rows = r
            .reasons
            .iter()
            .map(|x| vec![x.count.to_string(), x.reason.clone()]);
        columns(&mut s, &[Right, Last], rows);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(
            s,
            "\nWarnings and errors Postfix logged (the latest of each kind)"
        );
        let rows = r.warnings.iter().map(|w| {
            vec![
                w.kind.to_string(),
                w.count.to_string(),
                format!(
                    "{}  {}",
                    w.last_time
                        .with_timezone(&Local)
                        .format("%Y-%m-%d %H:%M:%S"),
                    w.last
                ),
            ]
        });
        columns(&mut s, &[Left, Right, Last], rows);
    }
    let _ = writeln!(s, "\nLost mail: {}", r.lost_total);
    for l in &r.lost {
        let _ = writeln!(
            s,
            "  {}  {}  {} -> {}  {}",
            l.time.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S"),
            l.queue_id.as_deref().unwrap_or("-"),
            l.from
                .as_deref()
                .map(|f| if f.is_empty() { "<>" } else { f })
                .unwrap_or("?"),
            l.to,
            l.reason
        );
    }
    if r.lost_total > r.lost.len() as u64 {
        let _ = writeln!(
            s,
            "  ... and {} more (the list keeps the first {})",
            r.lost_total - r.lost.len() as u64,
            r.lost.len()
        );
    }
    if st.deleted > 0 {
        // not lost (someone chose to), but never delivered and nobody told the sender either
        let _ = writeln!(
            s,
            "Deleted with postsuper -d: {} (never delivered; Postfix told no sender)",
            st.deleted
        );
    }
    for e in &r.errors {
        let _ = writeln!(s, "error: {e}");
    }
    s
}

/// How [`columns`] sets a cell in its column.
#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
    /// The last column, as it comes (free text, not padded).
    Last,
}
use Align::{Last, Left, Right};

/// Write `rows` as a table indented by two spaces, each column as wide as its widest cell and
/// two spaces between columns, so that no count runs into its neighbour however large.
fn columns(out: &mut String, align: &[Align], rows: impl Iterator<Item = Vec<String>>) {
    use unicode_width::UnicodeWidthStr;
    let rows: Vec<Vec<String>> = rows.collect();
    let mut widths = vec![0; align.len()];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    for row in rows {
        let mut line = String::from(" ");
        for ((cell, &a), &w) in row.iter().zip(align).zip(&widths) {
            line.push(' ');
            let pad = " ".repeat(w.saturating_sub(cell.width()));
            match a {
                Left => {
                    line.push_str(cell);
                    line.push_str(&pad);
                }
                Right => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
                Last => line.push_str(cell),
            }
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// One failure cause as `--causes` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct CauseRow {
    pub category: Category,
    pub label: &'static str,
    pub meaning: &'static str,
    pub remedy: &'static str,
}

/// `--causes`: every cause the report can name, as text or as JSON
/// (`{"version": 1, "causes": [{"category", "label", "meaning", "remedy"}]}`).
pub fn render_causes(format: Format) -> String {
    let rows: Vec<CauseRow> = Category::ALL
        .iter()
        .map(|&c| CauseRow {
            category: c,
            label: c.label(),
            meaning: c.meaning(),
            remedy: c.remedy(),
        })
        .collect();
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Causes {
                version: u32,
                causes: Vec<CauseRow>,
            }
            let doc = Causes {
                version: 1,
                causes: rows,
            };
            serde_json::to_string_pretty(&doc).expect("plain values serialize") + "\n"
        }
        Format::Text => {
            use std::fmt::Write as _;
            let mut s = String::new();
            for r in &rows {
                let _ = writeln!(s, "{} ({})", r.category.key(), r.label);
                let _ = writeln!(s, "  {}", r.meaning);
                let _ = writeln!(s, "  what to do: {}\n", r.remedy);
            }
            s
        }
    }
}

/// Run the report; returns the process exit status (0 ok, 2 when a file could not be read).
/// With no file named, the configuration's log is read (`config_path` as for the dashboard): its
/// `[mail_log]` files, or the journal with `source = "journal"`.
pub fn run(args: SummaryArgs, config_path: Option<&std::path::Path>) -> anyhow::Result<i32> {
    if args.causes {
        write_stdout(&render_causes(args.format))?;
        return Ok(0);
    }
    let now = Local::now();
    let since = match &args.since {
        Some(s) => Some(parse_time("--since", s, now)?),
        None => None,
    };
    let until = match &args.until {
        Some(s) => Some(parse_time("--until", s, now)?),
        None => None,
    };
    if let Some(s) = since
        && s > now
    {
        // an empty report, said why (14:30 typed just after midnight is today's, not yesterday's)
        crate::stderr_line!(
            "opsdeck summary: --since {} is in the future: no line can count",
            s.format("%Y-%m-%d %H:%M:%S %:z")
        );
    }
    if let (Some(a), Some(b)) = (since, until)
        && a >= b
    {
        anyhow::bail!(
            "--since {} is not before --until {}: no line could be counted",
            a.format("%Y-%m-%d %H:%M:%S %:z"),
            b.format("%Y-%m-%d %H:%M:%S %:z")
        );
    }
    // with no file named, the dashboard's: the configured files (by default /var/log/mail.log,
    // or Postfix's own log where there is no syslog daemon's), or the journal
    let mut config = crate::config::Config::default();
    let default = config.mail_log.files.clone();
    let mut journal = None;
    let files = if args.files.is_empty() {
        config = crate::config::Config::discover(config_path)?;
        if let Some(why) = super::adopt_host_log(&mut config) {
            crate::stderr_line!("opsdeck summary: {}", Clean::new(&why));
        }
        if config.mail_log.source == super::LogSourceKind::Journal {
            journal = Some(
                JournalWindow::start(&JournalQuery::of(&config.mail_log), since, until)
                    .map_err(anyhow::Error::msg)?,
            );
            vec![PathBuf::from("-")]
        } else {
            config.mail_log.files.clone()
        }
    } else {
        once_each(&args.files)
    };
    let ordered = ordered_by_start(&files);
    let (ordered, newer) = match until {
        Some(until) => split_newer(ordered, until),
        None => (ordered, Vec::new()),
    };
    let (files, older) = match since {
        Some(since) => split_older(ordered, since),
        None => (ordered.into_iter().map(|(f, _)| f).collect(), Vec::new()),
    };
    let mut report = match &mut journal {
        Some(j) => build_between(&files, since, until, args.top.max(1), &mut j.stdout),
        None => build_between(&files, since, until, args.top.max(1), &mut std::io::stdin()),
    };
    report.older = older.iter().map(|f| clean_path(f)).collect();
    report.newer = newer.iter().map(|f| clean_path(f)).collect();
    if let Some(j) = journal {
        report.files = vec![Clean::new(&j.describe)];
        if let Some(e) = j.finish(&config.mail_log.journal_units) {
            report.errors.push(Clean::new(&e));
        }
    }
    let out = match args.format {
        Format::Text => render_text(&report),
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    write_stdout(&out)?;
    for e in &report.errors {
        crate::stderr_line!("opsdeck summary: {e}");
    }
    if files == default
        && let Some(hint) = journal_hint(&default[0], &config.mail_log)
    {
        crate::stderr_line!("opsdeck summary: {hint}");
    }
    Ok(if report.errors.is_empty() { 0 } else { 2 })
}

/// When the default log does not exist: where the lines are instead. Debian 12 and later install
/// no syslog daemon, and Postfix then logs to the journal only: the one `[mail_log]` names, in
/// its `journal_directory` when it sets one, for the units it names.
fn journal_hint(default: &std::path::Path, cfg: &super::LogConfig) -> Option<Clean> {
    let missing =
        std::fs::symlink_metadata(default).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    missing.then(|| {
        let mut hint = Clean::new(&format!("no {}", default.display()));
        hint.push(": if Postfix logs to the journal only, read it from there: ");
        hint.push_clean(&cfg.journalctl_words());
        hint.push(" -o short-iso --all | opsdeck summary -");
        hint
    })
}

/// The order to read `files` in: oldest first by each file's first timestamp, so that
/// `mail.log*` (which the shell sorts newest first: `mail.log`, `mail.log.1`, `mail.log.2.gz`)
/// correlates messages across the rotation and reports the right span. Files whose start shows no
/// timestamp (unreadable, empty, not a log) come last, in the order given; with stdin (`-`) among
/// them, whose age cannot be read without consuming it, the order given is kept.
pub fn read_order(files: &[PathBuf]) -> Vec<PathBuf> {
    ordered_by_start(files)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// `files` with a file named twice (`mail.log mail.log`, or through a link) kept once, at its
/// first place, and said so on stderr: its lines would be counted twice.
fn once_each(files: &[PathBuf]) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for f in files {
        let id = std::fs::metadata(f)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| (m.dev(), m.ino()));
        if let Some(id) = id
            && !seen.insert(id)
        {
            crate::stderr_line!(
                "opsdeck summary: {} is named twice (or linked): read once",
                Clean::new(&f.display().to_string())
            );
            continue;
        }
        out.push(f.clone());
    }
    out
}

/// A file and the time its first lines carry (`None`: not known).
type Started = (PathBuf, Option<DateTime<FixedOffset>>);

/// [`read_order`] with each file's first time (`None` when unknown or not looked at).
fn ordered_by_start(files: &[PathBuf]) -> Vec<Started> {
    // a pipe's first lines, once read, are gone: with stdin or a pipe, the order given stands
    let stream = |f: &PathBuf| f.as_os_str() == "-" || super::compressed::is_stream(f);
    if files.len() < 2 || files.iter().any(stream) {
        return files.iter().map(|f| (f.clone(), None)).collect();
    }
    let mut keyed: Vec<Started> = files.iter().map(|f| (f.clone(), first_time(f))).collect();
    // stable: equal starts keep the order given
    keyed.sort_by_key(|(_, t)| (t.is_none(), *t));
    keyed
}

/// Split files in reading order into those to read for lines since `since` and those left out:
/// a file whose successor starts [`START_MARGIN_SECS`] or more before `since`, and that was last
/// written before that too, ended before it (logs rotate in time order), so
/// `summary --since 1d /var/log/mail.log*` does not decompress the weeks of the rotated files.
/// Two logs written side by side (two hosts' logs, `mail.log` and `mail.err`) are both read: the
/// one that starts first was still written to. A file of unknown start is always read.
fn split_older(
    ordered: Vec<Started>,
    since: DateTime<FixedOffset>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let target = since - chrono::Duration::seconds(START_MARGIN_SECS);
    let target_sys = std::time::SystemTime::from(target);
    let mut read = Vec::new();
    let mut older = Vec::new();
    for (i, (file, _)) in ordered.iter().enumerate() {
        // (a file that cannot be looked at is not read either way)
        let written_since = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= target_sys);
        let ended = !written_since
            && ordered[i + 1..]
                .iter()
                .any(|(_, start)| start.is_some_and(|t| t < target));
        if ended {
            older.push(file.clone());
        } else {
            read.push(file.clone());
        }
    }
    (read, older)
}

/// Take out the files that start [`START_MARGIN_SECS`] or more after `until`: none of their lines
/// can count (a file of unknown start is kept).
fn split_newer(
    ordered: Vec<Started>,
    until: DateTime<FixedOffset>,
) -> (Vec<Started>, Vec<PathBuf>) {
    let after = until + chrono::Duration::seconds(START_MARGIN_SECS);
    let (newer, keep): (Vec<_>, Vec<_>) = ordered
        .into_iter()
        .partition(|(_, start)| start.is_some_and(|t| t >= after));
    (keep, newer.into_iter().map(|(f, _)| f).collect())
}

/// The time of the first timestamped line among the first few of `path` (`.gz` decompressed).
fn first_time(path: &std::path::Path) -> Option<DateTime<FixedOffset>> {
    use std::io::{BufRead, Read};
    let input = open_input(path).ok()?;
    let mut years = YearGuess::now();
    let mut lines = std::io::BufReader::new(input.take(64 * 1024)).split(b'\n');
    lines.by_ref().take(100).find_map(|l| {
        let l = l.ok()?;
        let (stamp, _) = parse_stamp(&String::from_utf8_lossy(&l))?;
        years.resolve(stamp)
    })
}

/// Write to stdout; a reader that went away (`| head`) is no error.
fn write_stdout(out: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus_report() -> Report {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/maillog/corpus-3.7.log"
        ));
        build(&[path], None, 10, &mut std::io::empty())
    }

    #[test]
    fn corpus_totals() {
        let r = corpus_report();
        assert_eq!(r.lines, 148);
        assert_eq!(r.unparsed, 0);
        assert!(r.errors.is_empty());
        // grep -c "status=sent" / "status=bounced" on the file
        assert_eq!(r.status.sent, 10);
        assert_eq!(r.status.bounced, 5);
        // the one message that left without a delivery was deleted with postsuper -d by hand
        assert_eq!((r.status.lost, r.status.deleted), (0, 1));
        assert!(r.lost.is_empty() && r.lost_total == 0, "{:?}", r.lost);
        assert!(
            r.categories
                .iter()
                .any(|c| c.category == Category::Deleted && c.count == 1)
        );
        let carol = r.senders.iter().find(|x| x.sender == "carol@example.com");
        assert_eq!(carol.map(|x| (x.lost, x.deleted)), Some((0, 1)));
        assert!(
            r.categories
                .iter()
                .any(|c| c.category == Category::SesSenderNotVerified && c.count == 4)
        );
        assert!(
            r.ses_unverified
                .iter()
                .any(|i| i.identity == "root@localhost" && i.region == "US-EAST-1")
        );
    }

    /// 500 spam messages cleared out of the deferred queue with `postsuper -d`, next to one
    /// message that vanished with no final status: one is lost mail, the others are not.
    #[test]
    fn deletions_with_postsuper_are_counted_apart_from_lost_mail() {
        let mut text = String::from(
            "2026-11-27T10:00:00+00:00 mx postfix/qmgr[3]: EEEE000002: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n\
             2026-11-27T10:00:03+00:00 mx postfix/qmgr[3]: EEEE000002: removed\n",
        );
        for i in 0..500u32 {
            let id = format!("D{i:09X}");
            text.push_str(&format!(
                "2026-11-27T10:01:00+00:00 mx postfix/qmgr[3]: {id}: from=<spam@example.com>, size=300, nrcpt=1 (queue active)\n\
                 2026-11-27T10:01:01+00:00 mx postfix/smtp[4]: {id}: to=<x@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.7.1 try again later (in reply to RCPT TO command))\n\
                 2026-11-27T11:00:00+00:00 mx postfix/postsuper[9]: {id}: removed\n"
            ));
        }
        text.push_str("2026-11-27T11:00:00+00:00 mx postfix/postsuper[9]: Deleted: 500 messages\n");
        let r = build(
            &[PathBuf::from("-")],
            None,
            10,
            &mut std::io::Cursor::new(text),
        );
        assert_eq!(
            (r.status.deferred, r.status.lost, r.status.deleted),
            (500, 1, 500),
            "{r:?}"
        );
        assert_eq!(r.lost_total, 1);
        assert_eq!(r.lost.len(), 1);
        assert_eq!(r.lost[0].queue_id.as_deref(), Some("EEEE000002"));
        let spam = r.senders.iter().find(|x| x.sender == "spam@example.com");
        assert_eq!(spam.map(|x| (x.lost, x.deleted)), Some((0, 500)));
        let deleted = r
            .categories
            .iter()
            .find(|c| c.category == Category::Deleted)
            .unwrap();
        // shown as what deleted it, not as "deleted" again beside the status
        assert_eq!((deleted.label, deleted.count), ("postsuper -d", 500));
        assert!(deleted.meaning.contains("the sender was not told"));
        assert!(
            deleted
                .remedy
                .starts_with("Nothing, if the deletion was meant")
        );
        let lost = r
            .categories
            .iter()
            .find(|c| c.category == Category::Lost)
            .unwrap();
        assert_eq!(lost.count, 1);
        // JSON: its own key beside lost, and its own category
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"]["deleted"], 500);
        assert_eq!(v["status"]["lost"], 1);
        assert_eq!(v["lost_total"], 1);
        assert!(
            v["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["category"] == "deleted"
                    && c["label"] == "postsuper -d"
                    && c["count"] == 500),
            "{v}"
        );
        // text: an outcome line of its own, and the lost mail list holds the lost message only
        let t = render_text(&r);
        let outcome = |name: &str| {
            t.lines()
                .find(|l| l.trim_start().starts_with(name))
                .map(|l| l.split_whitespace().last().unwrap_or_default().to_string())
        };
        assert_eq!(outcome("lost ").as_deref(), Some("1"), "{t}");
        assert_eq!(
            outcome("deleted (postsuper -d)").as_deref(),
            Some("500"),
            "{t}"
        );
        let by_cause = t
            .split("\nFailures by cause\n")
            .nth(1)
            .and_then(|s| s.split("\n\n").next())
            .unwrap_or_default();
        assert!(
            by_cause.lines().any(|l| {
                l.split_whitespace().take(4).collect::<Vec<_>>()
                    == ["postsuper", "-d", "500", "Someone"]
            }),
            "{t}"
        );
        assert!(t.contains("\nLost mail: 1\n"), "{t}");
        assert!(
            t.contains(
                "\nDeleted with postsuper -d: 500 (never delivered; Postfix told no sender)\n"
            ),
            "{t}"
        );
    }

    #[test]
    fn json_shape_is_stable() {
        let r = corpus_report();
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        // what --help documents is what is written, no key more or less
        let written: std::collections::BTreeSet<String> =
            v.as_object().unwrap().keys().cloned().collect();
        let documented = crate::cli::shape_keys(include_str!("summary_json.txt"));
        assert!(documented.contains("lost_total") && documented.contains("warnings"));
        assert_eq!(written, documented, "summary_json.txt against the report");
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"]["bounced"], 5);
        assert_eq!(
            (&v["status"]["lost"], &v["status"]["deleted"]),
            (&0.into(), &1.into())
        );
        assert_eq!(
            v["categories"][0]["category"]
                .as_str()
                .map(|s| s.contains('_') || s.chars().all(|c| c.is_ascii_lowercase())),
            Some(true)
        );
    }

    /// SES's reply names the region in capitals (`US-EAST-1`): the text report writes it as
    /// AWS writes regions (`us-east-1`), the JSON report as SES gave it, as its shape documents.
    #[test]
    fn the_text_writes_an_ses_region_as_aws_does_the_json_as_ses_gave_it() {
        let r = corpus_report();
        let t = render_text(&r);
        let section = t
            .split("\nSES identities not verified\n")
            .nth(1)
            .and_then(|s| s.split("\n\n").next())
            .unwrap_or_default();
        let row = section
            .lines()
            .find(|l| l.trim_start().starts_with("root@localhost "))
            .unwrap_or_default();
        assert_eq!(
            row.split_whitespace().collect::<Vec<_>>(),
            ["root@localhost", "us-east-1", "1"],
            "{t}"
        );
        assert!(!section.contains("US-EAST-1"), "{t}");
        let v = serde_json::to_value(&r).unwrap();
        assert!(
            v["ses_unverified"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["identity"] == "root@localhost" && i["region"] == "US-EAST-1"),
            "{v}"
        );
        assert!(include_str!("summary_json.txt").contains(r#""region": "US-EAST-1""#));
    }

    #[test]
    fn text_names_sections() {
        let t = render_text(&corpus_report());
        for s in [
            "Outcomes",
            "Failures by cause",
            "Failures by sender",
            "Failures by recipient domain",
            "Top reasons",
            "Lost mail: 0\n",
            "Deleted with postsuper -d: 1 (never delivered; Postfix told no sender)\n",
            "SES identities not verified",
        ] {
            assert!(t.contains(s), "{s} in\n{t}");
        }
        // one file needs no list; several are named in the order read
        assert!(!t.contains("Files, in the order read"), "{t}");
        let mut r = corpus_report();
        r.files = vec!["mail.log.1".into(), "mail.log".into()];
        let t = render_text(&r);
        let second = t.lines().nth(1).unwrap_or_default();
        assert_eq!(
            second, "Files, in the order read: mail.log.1, mail.log",
            "{t}"
        );
        // a name that would drive the terminal is shown escaped, in the list and in errors
        r.files.push("mail.log.\u{1b}]0;owned\u{7}".into());
        r.errors.push("mail.log.\u{1b}[2J: not found".into());
        let t = render_text(&r);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t:?}");
    }

    #[test]
    fn senders_refused_at_reception_have_their_column_and_the_lost_list_says_what_it_leaves_out() {
        let text = "Dec  5 01:29:08 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from \
                    unknown[203.0.113.9]: 554 5.7.1 <x@elsewhere.example>: Relay access denied; \
                    from=<spam@bad.example> to=<x@elsewhere.example> proto=ESMTP helo=<bad>\n";
        let stdin = &mut std::io::Cursor::new(text.repeat(3));
        let mut r = build(&[PathBuf::from("-")], None, 10, stdin);
        assert_eq!(r.status.rejected, 3);
        let row = r.senders.iter().find(|x| x.sender == "spam@bad.example");
        assert_eq!(row.map(|x| (x.rejected, x.failures)), Some((3, 3)), "{r:?}");
        let t = render_text(&r);
        let line = t
            .lines()
            .find(|l| l.trim_start().starts_with("spam@bad.example"))
            .unwrap();
        assert_eq!(line.split_whitespace().last(), Some("3"), "{t}");
        // a lost list cut at its cap says how many it leaves out
        assert!(!t.contains("more (the list keeps"), "{t}");
        r.lost_total = 130;
        let row = LostRow {
            time: DateTime::parse_from_rfc3339("2026-11-27T19:25:56+00:00").unwrap(),
            queue_id: Some("45AF0C8907".into()),
            from: Some("carol@example.com".into()),
            to: "defer@example.com".into(),
            reason: "removed from the queue with no final delivery status logged".into(),
        };
        r.lost = std::iter::repeat_n(row, 100).collect();
        let t = render_text(&r);
        assert!(
            t.contains("Lost mail: 130\n")
                && t.contains("\n  ... and 30 more (the list keeps the first 100)\n"),
            "{t}"
        );
    }

    /// Greylisting at reception (450) is refused for now only: counted with the rejected, and
    /// apart as such; a 5xx is not.
    #[test]
    fn refusals_at_reception_with_a_4xx_are_counted_apart() {
        let text = "\
Dec  5 01:29:08 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from mail.example.net[203.0.113.9]: 450 4.2.0 <x@example.com>: Recipient address rejected: Greylisted, see http://postgrey.example/ ; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<mail.example.net>
Dec  5 01:29:09 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from mail.example.net[203.0.113.9]: 450 4.2.0 <y@example.com>: Recipient address rejected: Greylisted, see http://postgrey.example/ ; from=<a@example.net> to=<y@example.com> proto=ESMTP helo=<mail.example.net>
Dec  5 01:29:10 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from unknown[203.0.113.10]: 554 5.7.1 <z@elsewhere.example>: Relay access denied; from=<spam@bad.example> to=<z@elsewhere.example> proto=ESMTP helo=<bad>
";
        let r = build(&[PathBuf::from("-")], None, 10, &mut text.as_bytes());
        assert_eq!((r.status.rejected, r.status.rejected_temporary), (3, 2));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"]["rejected_temporary"], 2);
        let t = render_text(&r);
        let line = |k: &str| {
            t.lines()
                .find(|l| l.trim_start().starts_with(k))
                .map(|l| l.split_whitespace().last().unwrap_or_default().to_string())
        };
        assert_eq!(line("rejected at reception").as_deref(), Some("3"), "{t}");
        assert_eq!(line("of them 4xx (may retry)").as_deref(), Some("2"), "{t}");
        // none: not said
        let t = render_text(&corpus_report());
        assert!(!t.contains("of them 4xx"), "{t}");
    }

    #[test]
    fn a_message_queued_before_since_is_put_down_to_its_sender() {
        let text = "\
2026-12-05T10:14:59+00:00 mx1 postfix/qmgr[1002]: 1A2B3C0008: from=<shop@example.com>, size=1, nrcpt=1 (queue active)
2026-12-05T10:14:59+00:00 mx1 postfix/smtp[2046]: 1A2B3C0008: to=<a@example.org>, relay=r[1.2.3.4]:587, delay=0.4, delays=0/0/0.2/0.2, dsn=5.1.1, status=bounced (host r[1.2.3.4] said: 550 5.1.1 <a@example.org>: user unknown (in reply to RCPT TO command))
2026-12-05T10:15:01+00:00 mx1 postfix/smtp[2046]: 1A2B3C0008: to=<b@example.org>, relay=r[1.2.3.4]:587, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host r[1.2.3.4] said: 550 5.1.1 <b@example.org>: user unknown (in reply to RCPT TO command))
";
        let since = DateTime::parse_from_rfc3339("2026-12-05T10:15:00+00:00").unwrap();
        let stdin = &mut std::io::Cursor::new(text);
        let r = build(&[PathBuf::from("-")], Some(since), 10, stdin);
        // the bounce before `since` is not counted, the one after is, with its sender
        assert_eq!(r.status.bounced, 1, "{r:?}");
        let senders: Vec<(&str, u64)> = r
            .senders
            .iter()
            .map(|x| (x.sender.as_str(), x.bounced))
            .collect();
        assert_eq!(senders, [("shop@example.com", 1)]);
        assert_eq!(
            r.first,
            Some(DateTime::parse_from_rfc3339("2026-12-05T10:15:01+00:00").unwrap())
        );
    }

    /// One message is one message in the text: "1 message entered the queue".
    #[test]
    fn one_message_is_said_in_the_singular() {
        let text = "\
Dec  5 10:14:58 mx1 postfix/pickup[1001]: 1A2B3C0008: uid=33 from=<shop@example.com>
Dec  5 10:14:58 mx1 postfix/cleanup[1003]: 1A2B3C0008: message-id=<a@example.com>
Dec  5 10:14:59 mx1 postfix/qmgr[1002]: 1A2B3C0008: from=<shop@example.com>, size=1, nrcpt=1 (queue active)
";
        let r = build(
            &[PathBuf::from("-")],
            None,
            10,
            &mut std::io::Cursor::new(text),
        );
        assert_eq!(r.messages, 1, "{r:?}");
        let t = render_text(&r);
        assert!(t.contains("\n1 message entered the queue\n"), "{t}");
    }

    /// app's mail bounced at SES, and so did the bounce notice (from `<>`) that should have told
    /// app: the lost notice is app's lost mail, as the Senders pane counts it, while the notice's
    /// failed delivery stays `<>`'s. A notice whose original is not in the log stays `<>`'s.
    #[test]
    fn a_lost_bounce_notice_counts_with_the_sender_it_was_for() {
        let text = [
            crate::mail::log::testdata::LOST_NOTICE,
            "Nov 27 10:01:00 mx postfix/bounce[5]: CCCC000003: sender non-delivery notification: DDDD000004
Nov 27 10:01:00 mx postfix/qmgr[3]: DDDD000004: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:01:01 mx postfix/smtp[4]: DDDD000004: to=<gone@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))
Nov 27 10:02:00 mx postfix/bounce[5]: EEEE000005: postmaster non-delivery notification: FFFF000006
Nov 27 10:02:00 mx postfix/qmgr[3]: FFFF000006: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:02:01 mx postfix/smtp[4]: FFFF000006: to=<postmaster@mx.example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.3] said: 550 5.1.1 User unknown (in reply to RCPT TO command))
",
        ]
        .concat();
        let r = build(&[PathBuf::from("-")], None, 10, &mut text.as_bytes());
        assert_eq!((r.status.bounced, r.status.lost), (4, 3), "{r:?}");
        let row = |s: &str| {
            let x = r.senders.iter().find(|x| x.sender == s).unwrap();
            (x.bounced, x.lost, x.lost_notices, x.failures)
        };
        assert_eq!(row("App@example.com"), (1, 1, 1, 2), "{:?}", r.senders);
        // a notice to the sender of mail the log does not hold goes to that sender: it is
        // their lost mail
        assert_eq!(row("gone@example.net"), (0, 1, 1, 1), "{:?}", r.senders);
        // three notices bounced; only the postmaster's, of mail the log does not hold, is lost
        // mail whose sender is not known
        assert_eq!(row("<>"), (3, 1, 0, 4), "{:?}", r.senders);
        let failures: u64 = r.senders.iter().map(|x| x.failures).sum();
        assert_eq!(failures, 7);
        // SES refused each identity once: the lost notice repeats the reply, not the refusal
        let ids: Vec<(&str, u64)> = r
            .ses_unverified
            .iter()
            .map(|i| (i.identity.as_str(), i.count))
            .collect();
        assert_eq!(
            ids,
            [("MAILER-DAEMON@mx.example.com", 1), ("app@example.com", 1)]
        );
        let v = serde_json::to_value(&r).unwrap();
        let app = v["senders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["sender"] == "App@example.com")
            .unwrap();
        assert_eq!((&app["lost"], &app["lost_notices"]), (&1.into(), &1.into()));
        let t = render_text(&r);
        assert!(
            t.contains("\n  lost holds 2 bounce notice(s) that failed too, with the sender who was not told"),
            "{t}"
        );
    }

    #[test]
    fn large_counts_keep_their_columns_apart() {
        let mut r = corpus_report();
        let row = &mut r.senders[0];
        row.sender = "<>".into();
        (
            row.sent,
            row.deferred,
            row.bounced,
            row.expired,
            row.lost,
            row.deleted,
            row.rejected,
        ) = (48_740, 0, 1_244_707, 0, 244_707, 512, 31);
        r.status.sent = 12_345_678_901;
        let t = render_text(&r);
        let lines: Vec<&str> = t.lines().collect();
        let head = lines
            .iter()
            .position(|l| {
                l.split_whitespace().eq([
                    "sender", "sent", "deferred", "bounced", "expired", "lost", "deleted",
                    "rejected",
                ])
            })
            .unwrap();
        let (head, row) = (lines[head], lines[head + 1]);
        // every count is its own word, and right-aligned under its heading
        let words: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            words,
            ["<>", "48740", "0", "1244707", "0", "244707", "512", "31"],
            "{t}"
        );
        for (name, value) in [
            ("deferred", "0"),
            ("bounced", "1244707"),
            ("lost", "244707"),
            ("deleted", "512"),
            ("rejected", "31"),
        ] {
            let end = head.find(name).unwrap() + name.len();
            assert_eq!(
                &row[end - value.len()..end],
                value,
                "{name} in\n{head}\n{row}"
            );
        }
        let sent = lines
            .iter()
            .find(|l| l.trim_start().starts_with("sent "))
            .unwrap();
        assert!(sent.ends_with(" 12345678901"), "{t}");
    }

    /// `--since` over a long plain file reads it from near `since` (bisected), and reports
    /// exactly what a read of the whole file reports.
    #[test]
    fn since_reads_a_long_file_from_near_it_with_the_same_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        let mut g = super::super::demo::LogGenerator::new(7);
        let end = Local::now() - chrono::Duration::minutes(1);
        let mut t = end - chrono::Duration::days(3);
        let mut text = String::new();
        while t < end {
            for l in g.message(t) {
                text.push_str(&l);
                text.push('\n');
            }
            t += chrono::Duration::seconds(20);
        }
        std::fs::write(&path, &text).unwrap();
        assert!(text.len() > 6 << 20, "{}", text.len());
        let since = (Local::now() - chrono::Duration::hours(3)).fixed_offset();
        let sought = build(
            std::slice::from_ref(&path),
            Some(since),
            10,
            &mut std::io::empty(),
        );
        let whole = build(&[PathBuf::from("-")], Some(since), 10, &mut text.as_bytes());
        // a fraction of the lines was read
        assert!(
            sought.lines * 5 < whole.lines,
            "{} of {}",
            sought.lines,
            whole.lines
        );
        assert!(sought.status.sent > 100, "{:?}", sought.status);
        let shape = |r: &Report| {
            let mut v = serde_json::to_value(r).unwrap();
            let o = v.as_object_mut().unwrap();
            for k in ["lines", "unparsed", "files"] {
                o.remove(k);
            }
            v
        };
        assert_eq!(shape(&sought), shape(&whole));
        // the text says from when it counts, under the lines it read
        let text = render_text(&sought);
        let since_line = format!(
            "Since {}",
            since.with_timezone(&Local).format("%Y-%m-%d %H:%M")
        );
        assert_eq!(text.lines().nth(1), Some(since_line.as_str()), "{text}");
    }

    /// A clock that ran two months ahead for most of the last day, until set right two hours
    /// ago: its yearless stamps (`Feb  4` in December) read as a date past when a probe of the
    /// bisection lands among them. The report from the bisected start is the one the whole file
    /// gives, the lines stamped ahead counted as such, not an empty one read as last year's.
    #[test]
    fn since_over_a_block_stamped_months_ahead_gives_the_whole_files_report() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        let mut g = super::super::demo::LogGenerator::new(7);
        let end = Local::now() - chrono::Duration::minutes(1);
        let mut t = end - chrono::Duration::days(3);
        let (from, to) = (
            end - chrono::Duration::hours(20),
            end - chrono::Duration::hours(2),
        );
        let mut text = String::new();
        while t < end {
            let stamp = if t > from && t < to {
                t + chrono::Duration::days(60)
            } else {
                t
            };
            for l in g.message(stamp) {
                text.push_str(&l);
                text.push('\n');
            }
            t += chrono::Duration::seconds(20);
        }
        std::fs::write(&path, &text).unwrap();
        let since = (Local::now() - chrono::Duration::hours(12)).fixed_offset();
        let sought = build(
            std::slice::from_ref(&path),
            Some(since),
            10,
            &mut std::io::empty(),
        );
        let whole = build(&[PathBuf::from("-")], Some(since), 10, &mut text.as_bytes());
        assert!(whole.status.sent > 100 && whole.ahead > 100, "{whole:?}");
        assert_eq!(
            (sought.status.sent, sought.status.bounced, sought.ahead),
            (whole.status.sent, whole.status.bounced, whole.ahead)
        );
        // still a part of the file
        assert!(
            sought.lines < whole.lines,
            "{} {}",
            sought.lines,
            whole.lines
        );
    }

    #[test]
    fn files_that_ended_before_since_are_left_out() {
        let at = |h: i64| Some(Local::now().fixed_offset() - chrono::Duration::hours(h));
        let since = at(3).unwrap();
        let names =
            |v: &[PathBuf]| -> Vec<String> { v.iter().map(|p| p.display().to_string()).collect() };
        let ordered = vec![
            (PathBuf::from("mail.log.3.gz"), at(100)),
            (PathBuf::from("mail.log.2.gz"), at(50)),
            (PathBuf::from("mail.log.1"), at(30)),
            // starts 3.5 h back, within the margin: the file before it may hold lines since
            (
                PathBuf::from("mail.log"),
                Some(since - chrono::Duration::minutes(30)),
            ),
            // no time seen at its start: read, and it says nothing of the others
            (PathBuf::from("odd.log"), None),
        ];
        let (read, older) = split_older(ordered.clone(), since);
        assert_eq!(names(&read), ["mail.log.1", "mail.log", "odd.log"]);
        assert_eq!(names(&older), ["mail.log.3.gz", "mail.log.2.gz"]);
        // until 40 h back: the files that start after it (by more than the margin) are left out
        let (keep, newer) = split_newer(ordered.clone(), at(40).unwrap());
        let kept: Vec<PathBuf> = keep.into_iter().map(|(f, _)| f).collect();
        assert_eq!(names(&kept), ["mail.log.3.gz", "mail.log.2.gz", "odd.log"]);
        assert_eq!(names(&newer), ["mail.log.1", "mail.log"]);
        // a file starting within the margin after it may hold lines from before it
        let (keep, newer) = split_newer(ordered, at(30).unwrap() + chrono::Duration::minutes(30));
        assert_eq!(keep.len(), 4);
        assert_eq!(names(&newer), ["mail.log"]);
    }

    #[test]
    fn logs_written_side_by_side_are_all_read_since() {
        // two hosts' logs over the same days: the one that starts first is still written to
        let dir = tempfile::tempdir().unwrap();
        let now = Local::now().fixed_offset();
        let (mx1, mx2) = (dir.path().join("mx1.log"), dir.path().join("mx2.log"));
        std::fs::write(&mx1, "x\n").unwrap();
        std::fs::write(&mx2, "x\n").unwrap();
        let ordered = vec![
            (mx1.clone(), Some(now - chrono::Duration::days(2))),
            (mx2.clone(), Some(now - chrono::Duration::days(1))),
        ];
        let since = now - chrono::Duration::hours(12);
        let (read, older) = split_older(ordered.clone(), since);
        assert_eq!((read, older.len()), (vec![mx1.clone(), mx2.clone()], 0));
        // a rotated file last written before then did end before it
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 3600);
        std::fs::File::options()
            .write(true)
            .open(&mx1)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let (read, older) = split_older(ordered, since);
        assert_eq!((read, older), (vec![mx2], vec![mx1]));
    }

    #[test]
    fn warnings_and_errors_are_counted_by_kind_worst_first() {
        let text = "\
Nov 27 10:00:00 mx postfix/smtp[1]: warning: TLS library problem: handshake failed
Nov 27 10:00:05 mx postfix/smtpd[2]: warning: hostname x.example does not resolve to address 192.0.2.1
Nov 27 10:00:09 mx postfix/smtp[1]: warning: TLS library problem: \x1b[2Jcertificate verify failed
Nov 27 10:01:00 mx postfix/master[3]: panic: myfree: corrupt or unallocated memory pointer
Nov 27 10:02:00 mx postfix/smtpd[4]: fatal: open /etc/postfix/main.cf: No such file or directory
Nov 27 10:03:00 mx postfix/qmgr[5]: error: open database /etc/postfix/transport.db: No such file or directory
Nov 27 10:04:00 mx postfix/smtp[6]: ABCDE12345: to=<a@b.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to b.example[192.0.2.2]:25: Connection refused)
";
        let r = build(&[PathBuf::from("-")], None, 10, &mut text.as_bytes());
        let kinds: Vec<(&str, u64)> = r.warnings.iter().map(|w| (w.kind, w.count)).collect();
        assert_eq!(
            kinds,
            [
                ("panic", 1),
                ("fatal", 1),
                ("error", 1),
                ("tls", 2),
                ("warning", 1)
            ]
        );
        let tls = &r.warnings[3];
        // the latest of its kind, its program named, escaped
        assert_eq!(
            tls.last,
            "postfix/smtp: TLS library problem: \\e[2Jcertificate verify failed"
        );
        assert_eq!(tls.last_time.format("%H:%M:%S").to_string(), "10:00:09");
        assert_eq!(r.status.deferred, 1, "a delivery line is not a warning");
        let t = render_text(&r);
        assert!(t.contains("Warnings and errors Postfix logged"), "{t}");
        assert!(
            t.contains("postfix/master: panic: myfree: corrupt or unallocated memory pointer"),
            "{t}"
        );
        assert!(!t.contains('\x1b'), "{t}");
    }

    /// A log host's file of lines rsyslog forwarded, tags cut to 32 bytes: every line counts as
    /// Postfix's, smtpd's TLS handshakes and pipelining among them, postscreen's and tlsproxy's
    /// lines, and smtp's TLS handshakes, and smtpd's rejects and TLS failures are told as with
    /// the tags whole.
    #[test]
    fn a_log_host_s_file_of_cut_tags_is_all_postfix_s() {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/maillog/rsyslog-cut-tags.log"
        ));
        let r = build(&[path], None, 10, &mut std::io::empty());
        assert_eq!((r.lines, r.unparsed), (42, 0));
        assert_eq!((r.status.rejected, r.status.rejected_temporary), (2, 1));
        let rows: Vec<(&str, u64, &str)> = r
            .warnings
            .iter()
            .map(|w| (w.kind, w.count, w.last.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "sasl",
                    1,
                    "postfix/submission/smtpd: unknown[192.0.2.7]: SASL LOGIN authentication \
                     failed: UGFzc3dvcmQ6"
                ),
                (
                    "tls",
                    3,
                    "postfix-10.0.0.2/submission/… (syslog tag cut): lost connection after \
                     STARTTLS from unknown[192.0.2.70]"
                ),
            ]
        );
        let t = render_text(&r);
        assert!(t.contains(", 42 lines read (0 not from Postfix)"), "{t}");
    }

    /// A warning behind a tag the syslog daemon cut to 32 bytes, no `[` left: its row names the
    /// program as far as it is sure (its whole `/` components) and says the tag was cut, in the
    /// text and in the JSON, rather than a fragment of a name (`.../submi`).
    #[test]
    fn a_warning_behind_a_cut_tag_names_what_is_sure_of_its_program() {
        let text = "\
Nov 27 10:00:00 mx postfix-1.2.3.4/submission/smtpd[1234]: warning: TLS library problem: handshake failed
Nov 27 10:00:09 mx postfix-10.0.0.1/submission/smtp warning: TLS library problem: certificate verify failed
Nov 27 10:01:00 mx postfix-mail01.example.org/submi warning: hostname x.example does not resolve to address 192.0.2.1
";
        let r = build(&[PathBuf::from("-")], None, 10, &mut text.as_bytes());
        assert_eq!((r.lines, r.unparsed), (3, 0));
        let rows: Vec<(&str, u64, &str)> = r
            .warnings
            .iter()
            .map(|w| (w.kind, w.count, w.last.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "tls",
                    2,
                    "postfix-10.0.0.1/submission/… (syslog tag cut): TLS library problem: \
                     certificate verify failed"
                ),
                (
                    "warning",
                    1,
                    "postfix-mail01.example.org/… (syslog tag cut): hostname x.example does not \
                     resolve to address 192.0.2.1"
                ),
            ]
        );
        let t = render_text(&r);
        assert!(
            t.contains(
                "postfix-10.0.0.1/submission/… (syslog tag cut): TLS library problem: \
                 certificate verify failed\n"
            ),
            "{t}"
        );
        assert!(!t.contains("/submi:") && !t.contains("/smtp:"), "{t}");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["warnings"][1]["last"],
            "postfix-mail01.example.org/… (syslog tag cut): hostname x.example does not resolve to \
             address 192.0.2.1"
        );
    }

    #[test]
    fn missing_file_is_an_error_in_the_report() {
        let r = build(
            &[PathBuf::from("/nonexistent/mail.log")],
            None,
            10,
            &mut std::io::empty(),
        );
        assert_eq!(
            r.errors,
            vec![Clean::new("/nonexistent/mail.log: not found")]
        );
    }

    #[test]
    fn lines_stamped_after_the_report_was_read_are_said() {
        // a clock three hours ahead for one line: counted as stamped, and said
        let stamp = |d: chrono::Duration| (Local::now() + d).format("%b %e %H:%M:%S").to_string();
        let text = format!(
            "{} mx postfix/smtp[4]: AAAA000001: to=<a@example.org>, relay=r[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok)\n\
             {} mx postfix/smtp[4]: AAAA000002: to=<b@example.org>, relay=r[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host r said: 550 5.1.1 User unknown)\n",
            stamp(-chrono::Duration::minutes(30)),
            stamp(chrono::Duration::hours(3)),
        );
        let since = (Local::now() - chrono::Duration::hours(1)).fixed_offset();
        let r = build(&[PathBuf::from("-")], Some(since), 10, &mut text.as_bytes());
        assert_eq!(
            (r.status.sent, r.status.bounced, r.ahead),
            (1, 1, 1),
            "{r:?}"
        );
        assert!(
            render_text(&r).contains("1 line(s) stamped after this report was read (the newest "),
            "{}",
            render_text(&r)
        );
        assert_eq!(serde_json::to_value(&r).unwrap()["ahead"], 1);
        // none ahead: nothing said
        let r = build(
            &[PathBuf::from("-")],
            Some(since),
            10,
            &mut text.lines().next().unwrap().as_bytes(),
        );
        assert_eq!(r.ahead, 0);
        assert!(!render_text(&r).contains("stamped after"));
    }

    #[test]
    fn file_names_reach_the_json_escaped() {
        // serde_json escapes ESC and BEL but leaves C1 controls and bidi overrides as they
        // are: a file name holding them went into "files" and "errors" raw.
        let dir = tempfile::tempdir().unwrap();
        let name = "mail\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}.log";
        let log = dir.path().join(name);
        std::fs::write(&log, "").unwrap();
        let gone = dir.path().join(format!("gone-{name}"));
        let r = build(&[log, gone], None, 10, &mut std::io::empty());
        let json = serde_json::to_string_pretty(&r).unwrap();
        assert!(
            !json
                .chars()
                .any(|c| c != '\n' && crate::sanitize::is_unsafe_char(c)),
            "{json}"
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let shown = "mail\\e]0;owned\\x07\\u{9b}2J\\u{202e}.log";
        assert!(
            v["files"][0].as_str().unwrap().ends_with(shown),
            "{}",
            v["files"]
        );
        assert!(
            v["errors"][0]
                .as_str()
                .unwrap()
                .contains(&format!("gone-{shown}: not found")),
            "{}",
            v["errors"]
        );
    }

    #[test]
    fn a_missing_default_log_points_to_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        let host = super::super::LogConfig::default();
        let hint = journal_hint(&log, &host).unwrap();
        assert!(
            hint.starts_with(&format!("no {}: ", log.display()))
                && hint.ends_with(
                    "read it from there: journalctl -u 'postfix*' -o short-iso --all | opsdeck summary -"
                ),
            "{hint}"
        );
        // a configured journal directory is the journal named, escaped as the rest is
        let remote = super::super::LogConfig {
            journal_directory: Some("/var/log/journal/remote\u{1b}]0;x\u{7}".into()),
            ..host.clone()
        };
        let hint = journal_hint(&log, &remote).unwrap();
        assert!(
            hint.ends_with(
                "journalctl --directory='/var/log/journal/remote\\e]0;x\\x07' -u 'postfix*' \
                 -o short-iso --all | opsdeck summary -"
            ),
            "{hint}"
        );
        // a log that exists but cannot be read has its own message, not this one
        std::fs::write(&log, "").unwrap();
        assert_eq!(journal_hint(&log, &remote), None);
    }

    #[test]
    fn files_are_read_oldest_first_by_their_first_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            if name.ends_with(".gz") {
                let mut enc = flate2::write::GzEncoder::new(
                    std::fs::File::create(&p).unwrap(),
                    flate2::Compression::fast(),
                );
                std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
                enc.finish().unwrap();
            } else {
                std::fs::write(&p, text).unwrap();
            }
            p
        };
        let line = |stamp: &str| format!("{stamp} mx postfix/qmgr[1]: ABCDE12345: removed\n");
        // not a log line first: the first stamped line counts; a yearless stamp is the newest
        // whenever this runs (it is at most a year old, the others are from 2026)
        let current = write("mail.log", &format!("garbage\n{}", line("Nov 27 09:00:00")));
        let one = write("mail.log.1", &line("2026-11-26T09:00:00+00:00"));
        // compared as times: 2026-11-25T00:00:00Z
        let two = write("mail.log.2.gz", &line("2026-11-24T22:00:00-02:00"));
        let empty = write("empty.log", "");
        let missing = dir.path().join("missing.log");
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        // as the shell expands `mail.log*`, with files that show no time among them
        let given = vec![
            missing.clone(),
            current.clone(),
            one.clone(),
            empty.clone(),
            two.clone(),
        ];
        assert_eq!(
            names(read_order(&given)),
            [
                "mail.log.2.gz",
                "mail.log.1",
                "mail.log",
                "missing.log",
                "empty.log"
            ]
        );
        // stdin's age is unknown: the order given stands
        let with_stdin = vec![current.clone(), PathBuf::from("-"), one.clone()];
        assert_eq!(read_order(&with_stdin), with_stdin);
    }

    #[test]
    fn any_number_of_parsing_threads_gives_the_same_report() {
        let path = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/maillog/corpus-3.7.log"
        ));
        // the corpus, then a generated log far longer than one batch and than the model's caps
        let dir = tempfile::tempdir().unwrap();
        let gen_path = dir.path().join("mail.log");
        let mut g = super::super::demo::LogGenerator::new(7);
        let t = Local::now();
        let text: String = (0..20_000).flat_map(|_| g.message(t)).collect();
        std::fs::write(&gen_path, text).unwrap();
        let files = [path, gen_path];
        let one = build_with(&files, None, None, 10, &mut std::io::empty(), 0, None);
        assert!(one.lines > 100_000, "{}", one.lines);
        assert!(one.status.bounced > 0 && one.status.lost > 0);
        for workers in [1, 2, 3] {
            let more = build_with(&files, None, None, 10, &mut std::io::empty(), workers, None);
            assert_eq!(
                serde_json::to_string(&one).unwrap(),
                serde_json::to_string(&more).unwrap(),
                "{workers} workers"
            );
        }
    }

    #[test]
    fn every_cause_is_listed_under_its_json_name() {
        let v: serde_json::Value = serde_json::from_str(&render_causes(Format::Json)).unwrap();
        assert_eq!(v["version"], 1);
        let listed: Vec<&str> = v["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["category"].as_str().unwrap())
            .collect();
        let keys: Vec<&str> = Category::ALL.iter().map(|c| c.key()).collect();
        // the name a report's "categories" rows carry, for every cause, once
        assert_eq!(listed, keys);
        let text = render_causes(Format::Text);
        for c in Category::ALL {
            assert!(
                text.contains(&format!(
                    "{} ({})\n  {}\n  what to do: {}",
                    c.key(),
                    c.label(),
                    c.meaning(),
                    c.remedy()
                )),
                "{c:?}"
            );
        }
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("90m").unwrap(),
            chrono::Duration::minutes(90)
        );
        assert_eq!(parse_duration("2d").unwrap(), chrono::Duration::days(2));
        assert!(parse_duration("soon").is_err());
        // no unit, no guess
        assert!(parse_duration("90").is_err());
    }

    #[test]
    fn times_for_since_and_until() {
        use chrono::TimeZone;
        let now = Local.with_ymd_and_hms(2026, 12, 5, 14, 30, 0).unwrap();
        let local = |y, mo, d, h, mi| Local.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap();
        let t = |s: &str| parse_time("--since", s, now).unwrap();
        assert_eq!(t("90m"), local(2026, 12, 5, 13, 0));
        assert_eq!(t("2d"), local(2026, 12, 3, 14, 30));
        assert_eq!(t("now"), now);
        assert_eq!(t("today"), local(2026, 12, 5, 0, 0));
        assert_eq!(t("Yesterday"), local(2026, 12, 4, 0, 0));
        assert_eq!(t("2026-11-30"), local(2026, 11, 30, 0, 0));
        assert_eq!(t("20261130"), local(2026, 11, 30, 0, 0));
        assert_eq!(t("08:15"), local(2026, 12, 5, 8, 15));
        assert_eq!(t("23:59:00"), local(2026, 12, 5, 23, 59));
        assert_eq!(t("2026-11-30 08:15"), local(2026, 11, 30, 8, 15));
        assert_eq!(t("2026-11-30T08:15:00"), local(2026, 11, 30, 8, 15));
        assert_eq!(
            t("2026-11-30T08:15:00+01:00"),
            DateTime::parse_from_rfc3339("2026-11-30T07:15:00Z").unwrap()
        );
        for bad in [
            "soon",
            "2026-13-01",
            "2026-11-30 25:00",
            "-3h",
            "",
            "25:00",
            // a bare number (hours? minutes? a mistyped date?), or a time before any mail log
            "90",
            "20261305",
            "999999w",
        ] {
            let e = parse_time("--until", bad, now).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("--until {bad:?}: expected a duration ago")),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn reason_keys_group_by_text() {
        assert_eq!(
            reason_key("host h said: 550 5.1.1 <a@b>: Recipient address rejected"),
            reason_key("host h said: 550 5.1.1 <c@d>: Recipient address rejected")
        );
        assert_eq!(
            reason_key("host h said: 550 5.1.1 <a@b>: Recipient address rejected"),
            "host h said: 550 5.1.1 <*>: Recipient address rejected"
        );
        assert_eq!(
            reason_key("250 Ok 0100018c090243a3-90e459e5-000000 <x> y"),
            "250 Ok*"
        );
        let long = "x".repeat(300);
        assert_eq!(reason_key(&long), format!("{}…", "x".repeat(200)));
    }

    proptest::proptest! {
        /// The run-at-a-time path for ASCII gives what the character loop gives: blanks, nested
        /// and unclosed `<`, stray `>`, the cut at 200 bytes landing anywhere, SES ids.
        #[test]
        fn reason_key_ascii_path_matches_the_character_loop(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-z .:;]{0,60}",
                    proptest::strategy::Just("<".to_string()),
                    proptest::strategy::Just(">".to_string()),
                    "<[a-z@.]{0,20}>",
                    proptest::strategy::Just("250 Ok 0100018c0902-43a3".to_string()),
                ],
                0..24,
            )
        ) {
            let reason: String = parts.concat();
            proptest::prop_assert_eq!(reason_key(&reason), reason_key_chars(&reason));
        }
    }
}
