//! The queue as the panes see it: snapshots per Postfix instance, the
//! summary strip, qshape's age table, deferred mail grouped by reason,
//! filtering and sorting.
//!
//! Pure functions of the data and a `now` passed in: no clock reads, no I/O,
//! no terminal. The [`QueueModel`] is shared: the Senders pane reads envelope
//! senders from it, the Failures pane looks entries up by queue id.

use std::collections::HashMap;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use super::parse::{QueueEntry, QueueName};
use crate::find::Needle;
use crate::mail::log::classify::{Category, classify};
use crate::mail::log::parse::Status;
use crate::sanitize::Clean;

/// One reading of one instance's queue.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Index of the instance in `config.postfix`.
    pub instance: usize,
    /// Its name, as configured.
    pub name: String,
    pub entries: Vec<QueueEntry>,
    pub bad_lines: usize,
    pub first_bad: Option<String>,
    /// What the `/` filter's plain words search: built with the listing off
    /// the event loop (see `source.rs`), or by [`QueueModel::put`] if not.
    pub search: SearchText,
}

/// The text a plain filter word is looked for in, laid out for a fast pass
/// over every message: each entry's id, queue, sender (`<>` for the null
/// sender, as the table shows it) and recipient addresses in one contiguous
/// buffer, and its delay reasons as indexes into the snapshot's distinct
/// reasons (a queue of 100,000 messages usually holds a few dozen different
/// reasons), each with the label of its cause as the Reason column shows it,
/// so a filter pass tests each distinct reason once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchText {
    /// Entry `i`'s fields are `text[starts[i]..starts[i + 1]]`, separated
    /// by newlines (never in a filter word, so no match spans two fields).
    text: String,
    starts: Vec<u32>,
    /// Each with the label of its cause ("SES throttling"), empty when it has none:
    /// classified once, where the listing is read.
    reasons: Vec<(Clean, &'static str)>,
    /// Entry `i`'s reasons are `reason_ids[reason_starts[i]..reason_starts[i + 1]]`.
    reason_ids: Vec<u32>,
    reason_starts: Vec<u32>,
}

impl SearchText {
    pub fn build(entries: &[QueueEntry]) -> SearchText {
        let mut st = SearchText {
            starts: Vec::with_capacity(entries.len() + 1),
            reason_starts: Vec::with_capacity(entries.len() + 1),
            ..SearchText::default()
        };
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for e in entries {
            st.starts.push(st.text.len() as u32);
            st.reason_starts.push(st.reason_ids.len() as u32);
            st.text.push_str(e.id.as_str());
            st.text.push('\n');
            st.text.push_str(e.queue.as_str());
            st.text.push('\n');
            st.text.push_str(e.sender_shown());
            for r in &e.recipients {
                st.text.push('\n');
                st.text.push_str(&r.address);
                if let Some((_, why)) = &r.reason {
                    let next = seen.len() as u32;
                    let id = *seen.entry(why.as_str()).or_insert_with(|| {
                        st.reasons.push((why.clone(), reason_label(why)));
                        next
                    });
                    if !st.reason_ids[*st.reason_starts.last().unwrap_or(&0) as usize..]
                        .contains(&id)
                    {
                        st.reason_ids.push(id);
                    }
                }
            }
        }
        st.starts.push(st.text.len() as u32);
        st.reason_starts.push(st.reason_ids.len() as u32);
        st
    }

    /// Built for exactly these entries (one span per entry).
    fn indexes(&self, entries: &[QueueEntry]) -> bool {
        self.starts.len() == entries.len() + 1
    }

    fn fields(&self, i: usize) -> &str {
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    fn reason_ids(&self, i: usize) -> &[u32] {
        &self.reason_ids[self.reason_starts[i] as usize..self.reason_starts[i + 1] as usize]
    }
}

/// The queue model shared with other panes: the latest snapshot of every
/// instance (cheap to clone: the snapshots are behind `Arc`).
#[derive(Clone, Debug, Default)]
pub struct QueueModel {
    pub snapshots: Vec<Arc<Snapshot>>,
}

/// A reference to one entry of a model: (snapshot index, entry index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryRef {
    pub snap: u32,
    pub idx: u32,
}

impl QueueModel {
    /// Replace (or add) one instance's snapshot.
    pub fn put(&mut self, mut snap: Snapshot) {
        if !snap.search.indexes(&snap.entries) {
            snap.search = SearchText::build(&snap.entries);
        }
        let snap = Arc::new(snap);
        match self
            .snapshots
            .iter_mut()
            .find(|s| s.instance == snap.instance)
        {
            Some(slot) => *slot = snap,
            None => {
                self.snapshots.push(snap);
                self.snapshots.sort_by_key(|s| s.instance);
            }
        }
    }

    pub fn get(&self, r: EntryRef) -> Option<(&Snapshot, &QueueEntry)> {
        let s = self.snapshots.get(r.snap as usize)?;
        Some((s, s.entries.get(r.idx as usize)?))
    }

    /// Every entry, with the name of its instance.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &QueueEntry)> {
        self.snapshots
            .iter()
            .flat_map(|s| s.entries.iter().map(move |e| (s.name.as_str(), e)))
    }

    pub fn refs(&self) -> impl Iterator<Item = EntryRef> + '_ {
        self.snapshots.iter().enumerate().flat_map(|(si, s)| {
            (0..s.entries.len()).map(move |i| EntryRef {
                snap: si as u32,
                idx: i as u32,
            })
        })
    }

    pub fn len(&self) -> usize {
        self.snapshots.iter().map(|s| s.entries.len()).sum()
    }

    /// Those of `refs` that pass `test`, in the order of `refs`. `test` is called once for each
    /// entry among them, in the order the entries are stored, so that what it reads (the
    /// search text, laid out in that order) is read straight through: in the order of a sort,
    /// 100,000 entries cost a cache miss each, several times the matching itself.
    pub fn retain_in_stored_order(
        &self,
        refs: &[EntryRef],
        mut test: impl FnMut(EntryRef) -> bool,
    ) -> Vec<EntryRef> {
        const AMONG: u8 = 1;
        const PASSES: u8 = 2;
        let mut marks: Vec<Vec<u8>> = self
            .snapshots
            .iter()
            .map(|s| vec![0; s.entries.len()])
            .collect();
        let mark = |marks: &[Vec<u8>], r: EntryRef| {
            marks
                .get(r.snap as usize)
                .and_then(|m| m.get(r.idx as usize))
                .copied()
        };
        for r in refs {
            if let Some(m) = marks
                .get_mut(r.snap as usize)
                .and_then(|m| m.get_mut(r.idx as usize))
            {
                *m = AMONG;
            }
        }
        for (snap, entries) in marks.iter_mut().enumerate() {
            for (idx, m) in entries.iter_mut().enumerate() {
                let r = EntryRef {
                    snap: snap as u32,
                    idx: idx as u32,
                };
                if *m == AMONG && test(r) {
                    *m = PASSES;
                }
            }
        }
        refs.iter()
            .copied()
            .filter(|r| mark(&marks, *r) == Some(PASSES))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Find a message by queue id (in any instance).
    pub fn find(&self, id: &str) -> Option<(&str, &QueueEntry)> {
        self.entries().find(|(_, e)| e.id.as_str() == id)
    }

    /// Envelope senders in the queue with their message counts, most first.
    pub fn senders(&self) -> Vec<(Clean, usize)> {
        let mut m: HashMap<&Clean, usize> = HashMap::new();
        for (_, e) in self.entries() {
            *m.entry(&e.sender).or_default() += 1;
        }
        let mut v: Vec<(Clean, usize)> = m.into_iter().map(|(k, n)| (k.clone(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// Counts per queue and the oldest arrival.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for (_, e) in self.entries() {
            s.add(e);
        }
        s
    }
}

/// The summary strip.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Indexed like [`QueueName::ALL`], `Other` last.
    pub counts: [usize; 7],
    pub total: usize,
    pub oldest: Option<i64>,
}

impl Summary {
    pub fn add(&mut self, e: &QueueEntry) {
        let i = QueueName::ALL
            .iter()
            .position(|q| *q == e.queue)
            .unwrap_or(6);
        self.counts[i] += 1;
        self.total += 1;
        self.oldest = Some(self.oldest.map_or(e.arrival, |o| o.min(e.arrival)));
    }

    pub fn count(&self, q: QueueName) -> usize {
        QueueName::ALL
            .iter()
            .position(|x| *x == q)
            .map_or(self.counts[6], |i| self.counts[i])
    }
}

/// Age in seconds (never negative). `arrival` is whatever `postqueue -j`
/// said, so the difference saturates rather than overflow.
pub fn age_secs(arrival: i64, now: i64) -> i64 {
    now.saturating_sub(arrival).max(0)
}

/// How far `arrival` lies ahead of `now`, when it does: a message that arrived "in the future"
/// (the clock was set back since, or the list came from another host through
/// `postqueue_command`, its clock ahead). Its age is not known: it is neither just arrived nor
/// old.
pub fn ahead_secs(arrival: i64, now: i64) -> Option<i64> {
    (arrival > now).then(|| arrival.saturating_sub(now))
}

/// A message's age as a cell shows it: `42s`, `3h05m`, or `-5m` for one that arrived 5 minutes
/// in the future (never `0s`, which reads as just arrived).
pub fn fmt_age_at(arrival: i64, now: i64) -> String {
    match ahead_secs(arrival, now) {
        Some(s) => format!("-{}", fmt_age(s)),
        None => fmt_age(age_secs(arrival, now)),
    }
}

/// `42s`, `7m`, `3h05m`, `2d04h`.
pub fn fmt_age(secs: i64) -> String {
    let s = secs.max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d{:02}h", s / 86400, (s % 86400) / 3600)
    }
}

/// `512`, `4.2K`, `1.3M`.
pub fn fmt_size(b: u64) -> String {
    if b < 1024 {
        format!("{b}")
    } else if b < 1024 * 1024 {
        format!("{:.1}K", b as f64 / 1024.0)
    } else {
        format!("{:.1}M", b as f64 / (1024.0 * 1024.0))
    }
}

// ---------------------------------------------------------------- qshape

/// qshape's age buckets in minutes: a message younger than 5 minutes goes
/// under `5`, ..., older than 1280 under `1280+`.
pub const SHAPE_BUCKETS: [i64; 9] = [5, 10, 20, 40, 80, 160, 320, 640, 1280];
/// Columns: total, the nine buckets, and `1280+`.
pub const SHAPE_COLS: usize = 11;

/// What qshape counts per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeBy {
    /// Recipients by recipient domain (qshape's default).
    Recipient,
    /// Messages by sender domain (`qshape -s`).
    Sender,
}

/// The qshape table: a totals row and one row per domain, busiest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    pub total: [u32; SHAPE_COLS],
    pub rows: Vec<(Clean, [u32; SHAPE_COLS])>,
    /// Domains beyond `top` folded away.
    pub more: usize,
}

fn shape_col(age_secs: i64) -> usize {
    let m = age_secs / 60;
    SHAPE_BUCKETS
        .iter()
        .position(|b| m < *b)
        .map_or(SHAPE_COLS - 1, |i| i + 1)
}

fn domain_of(addr: &str) -> &str {
    match addr.rfind('@') {
        Some(i) => &addr[i + 1..],
        None if addr.is_empty() => "<>",
        None => addr,
    }
}

/// Build the qshape table of `entries` (only the given queues when `queue` is set).
pub fn shape<'a>(
    entries: impl Iterator<Item = &'a QueueEntry>,
    now: i64,
    by: ShapeBy,
    top: usize,
) -> Shape {
    let mut rows: HashMap<String, [u32; SHAPE_COLS]> = HashMap::new();
    let mut total = [0u32; SHAPE_COLS];
    for e in entries {
        let col = shape_col(age_secs(e.arrival, now));
        let mut bump = |dom: &str| {
            let r = rows
                .entry(dom.to_ascii_lowercase())
                .or_insert([0; SHAPE_COLS]);
            r[0] += 1;
            r[col] += 1;
            total[0] += 1;
            total[col] += 1;
        };
        match by {
            ShapeBy::Recipient => {
                for r in &e.recipients {
                    bump(domain_of(&r.address));
                }
            }
            ShapeBy::Sender => bump(domain_of(&e.sender)),
        }
    }
    let mut rows: Vec<(Clean, [u32; SHAPE_COLS])> =
        rows.into_iter().map(|(d, c)| (Clean::new(&d), c)).collect();
    rows.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then_with(|| a.0.cmp(&b.0)));
    let more = rows.len().saturating_sub(top);
    rows.truncate(top);
    Shape { total, rows, more }
}

// ---------------------------------------------------------------- reasons

/// Deferred mail that failed the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReasonGroup {
    /// The cause, as the Failures pane names it; `None` when it has no name.
    pub cause: Option<Category>,
    /// The cause's short label ("SES throttling"), or empty.
    pub label: String,
    /// What the filter matches: the label, or the reason without its details.
    pub key: String,
    /// The reason with host and address details taken out.
    pub detail: String,
    /// One full reason as Postfix wrote it.
    pub sample: Clean,
    pub messages: usize,
    pub recipients: usize,
    pub oldest: i64,
}

/// A reason without its varying parts: `host X[ip] said:`, `<address>`,
/// `(in reply to ...)`, numbers inside brackets.
pub fn reason_key(reason: &str) -> String {
    let mut r = reason.trim();
    if let Some((_, reply)) = crate::mail::log::classify::quoted_reply(r) {
        r = reply;
    }
    if let Some(i) = r.find(" (in reply to ") {
        r = &r[..i];
    }
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                for c in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                }
                out.push_str("<…>");
            }
            '[' => {
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
                out.push_str("[…]");
            }
            c => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The cause of a deferral reason, as the Failures pane names it (one classifier for the
/// console); `None` when it has no name, or only the generic one of a remote server's temporary
/// refusal: such reasons are grouped by their own words, which say more.
pub fn reason_cause(reason: &str) -> Option<Category> {
    match classify(Status::Deferred, "", reason, "", "") {
        Category::Other | Category::RemoteTemporary => None,
        c => Some(c),
    }
}

/// The label of a reason's cause, as the table's Reason column starts with it; empty when it
/// has none.
pub fn reason_label(reason: &str) -> &'static str {
    reason_cause(reason).map_or("", Category::label)
}

/// The group of a reason: its key (the cause's label, or the reason without its details) and its
/// cause.
fn reason_group(reason: &str) -> (String, Option<Category>) {
    let cause = reason_cause(reason);
    let key = match cause {
        Some(c) => c.label().to_string(),
        None => reason_key(reason),
    };
    (key, cause)
}

/// The group key of a reason.
fn reason_group_key(reason: &str) -> String {
    reason_group(reason).0
}

/// The group key of a message: its first reason's.
pub fn group_key(e: &QueueEntry) -> Option<String> {
    e.first_reason().map(|r| reason_group_key(r))
}

/// Deferred messages grouped by their first reason, largest group first. Each distinct reason is
/// classified once.
pub fn group_reasons<'a>(entries: impl Iterator<Item = &'a QueueEntry>) -> Vec<ReasonGroup> {
    let mut groups: HashMap<String, ReasonGroup> = HashMap::new();
    let mut known: HashMap<&str, (String, Option<Category>)> = HashMap::new();
    for e in entries.filter(|e| e.queue == QueueName::Deferred) {
        let Some(reason) = e.first_reason() else {
            continue;
        };
        let (key, cause) = known
            .entry(reason.as_str())
            .or_insert_with(|| reason_group(reason))
            .clone();
        let g = groups.entry(key.clone()).or_insert_with(|| ReasonGroup {
            cause,
            label: cause.map(|c| c.label().to_string()).unwrap_or_default(),
            key,
            detail: reason_key(reason),
            sample: reason.clone(),
            messages: 0,
            recipients: 0,
            oldest: e.arrival,
        });
        g.messages += 1;
        g.recipients += e.recipients.iter().filter(|r| r.reason.is_some()).count();
        g.oldest = g.oldest.min(e.arrival);
    }
    let mut v: Vec<ReasonGroup> = groups.into_values().collect();
    v.sort_by(|a, b| b.messages.cmp(&a.messages).then_with(|| a.key.cmp(&b.key)));
    v
}

// ---------------------------------------------------------------- filter

/// One term of a filter.
#[derive(Clone, Debug)]
enum Term {
    /// Any of id, queue, sender, recipients, reasons and their causes' labels contains it
    /// (any case): what the table's rows show.
    Text(Needle),
    Regex(Regex),
    Queue(QueueName),
    From(Needle),
    /// Recipient address or domain contains it.
    To(Needle),
    /// A reason or its cause's label contains it.
    Reason(Needle),
    /// Older than, in seconds.
    OlderThan(i64),
    YoungerThan(i64),
}

/// A parsed `/` filter: whitespace-separated terms, all must match.
///
/// `text` (anywhere in what a row shows: queue id, queue, sender, recipients,
/// reasons and their causes, any case), `re:PATTERN`, `queue:deferred`, `from:TEXT`,
/// `to:DOMAIN`, `reason:TEXT`, `age>1h`, `age<30m` (s, m, h, d).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    terms: Vec<Term>,
    /// A group key from the reasons view.
    pub group: Option<String>,
}

fn duration(s: &str) -> Option<i64> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    n.checked_mul(mult)
}

impl Filter {
    /// Parse filter text; the error says which term is wrong.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for t in text.split_whitespace() {
            let term = if let Some(p) = t.strip_prefix("re:") {
                Term::Regex(
                    RegexBuilder::new(p)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| {
                            format!("re:{p}: {}", e.to_string().lines().last().unwrap_or(""))
                        })?,
                )
            } else if let Some(q) = t.strip_prefix("queue:").or_else(|| t.strip_prefix("q:")) {
                let name = QueueName::parse(&q.to_ascii_lowercase());
                if name == QueueName::Other {
                    return Err(format!(
                        "{t}: queues are active, deferred, hold, incoming, maildrop, corrupt"
                    ));
                }
                Term::Queue(name)
            } else if let Some(s) = t.strip_prefix("from:") {
                Term::From(Needle::new(s))
            } else if let Some(s) = t.strip_prefix("to:") {
                Term::To(Needle::new(s))
            } else if let Some(s) = t.strip_prefix("reason:") {
                Term::Reason(Needle::new(s))
            } else if let Some(d) = t.strip_prefix("age>") {
                Term::OlderThan(duration(d).ok_or_else(|| format!("{t}: age like 30m, 2h, 1d"))?)
            } else if let Some(d) = t.strip_prefix("age<") {
                Term::YoungerThan(duration(d).ok_or_else(|| format!("{t}: age like 30m, 2h, 1d"))?)
            } else {
                Term::Text(Needle::new(t))
            };
            terms.push(term);
        }
        Ok(Filter { terms, group: None })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.group.is_none()
    }

    /// Ready the filter for one pass over `model`: each plain word, pattern
    /// and `reason:` term is tested once against every distinct reason and
    /// its cause's label.
    pub fn prepare<'a>(&'a self, model: &QueueModel) -> PreparedFilter<'a> {
        let reason_hits = self
            .terms
            .iter()
            .map(|t| match t {
                Term::Text(n) | Term::Reason(n) => reason_hits(model, |h| n.is_match(h)),
                Term::Regex(re) => reason_hits(model, |h| re.is_match(h)),
                _ => Vec::new(),
            })
            .collect();
        // the group's cause, decided once per distinct reason
        let group_hits = match &self.group {
            Some(g) => model
                .snapshots
                .iter()
                .map(|s| {
                    s.search
                        .reasons
                        .iter()
                        .map(|(r, _)| reason_group_key(r) == *g)
                        .collect()
                })
                .collect(),
            None => Vec::new(),
        };
        PreparedFilter {
            filter: self,
            reason_hits,
            group_hits,
        }
    }

    fn group_matches(&self, e: &QueueEntry) -> bool {
        match &self.group {
            Some(g) => {
                e.queue == QueueName::Deferred && group_key(e).as_deref() == Some(g.as_str())
            }
            None => true,
        }
    }

    pub fn matches(&self, e: &QueueEntry, now: i64) -> bool {
        self.group_matches(e) && self.terms.iter().all(|t| term_matches(t, e, now))
    }
}

fn term_matches(t: &Term, e: &QueueEntry, now: i64) -> bool {
    fn anywhere(e: &QueueEntry, is_match: impl Fn(&str) -> bool) -> bool {
        is_match(e.id.as_str())
            || is_match(e.queue.as_str())
            || is_match(e.sender_shown())
            || e.recipients.iter().any(|r| {
                is_match(&r.address) || r.reason.as_ref().is_some_and(|(_, t)| reason(t, &is_match))
            })
    }
    /// A reason, or its cause's label.
    fn reason(t: &str, is_match: impl Fn(&str) -> bool) -> bool {
        is_match(t) || {
            let l = reason_label(t);
            !l.is_empty() && is_match(l)
        }
    }
    match t {
        Term::Text(n) => anywhere(e, |h| n.is_match(h)),
        Term::Regex(re) => anywhere(e, |h| re.is_match(h)),
        Term::Queue(q) => e.queue == *q,
        Term::From(n) => n.is_match(&e.sender),
        Term::To(n) => e.recipients.iter().any(|r| n.is_match(&r.address)),
        Term::Reason(n) => e.recipients.iter().any(|r| {
            r.reason
                .as_ref()
                .is_some_and(|(_, t)| reason(t, |h| n.is_match(h)))
        }),
        Term::OlderThan(s) => age_secs(e.arrival, now) > *s,
        Term::YoungerThan(s) => age_secs(e.arrival, now) < *s,
    }
}

/// Per snapshot, per distinct reason: does it or its cause's label match?
fn reason_hits(model: &QueueModel, is_match: impl Fn(&str) -> bool) -> Vec<Vec<bool>> {
    model
        .snapshots
        .iter()
        .map(|s| {
            s.search
                .reasons
                .iter()
                .map(|(r, l)| is_match(r) || (!l.is_empty() && is_match(l)))
                .collect()
        })
        .collect()
}

/// A filter ready for one pass over a model (see [`Filter::prepare`]):
/// same answers as [`Filter::matches`], faster on plain words, patterns
/// and reasons.
pub struct PreparedFilter<'a> {
    filter: &'a Filter,
    /// Per term, per snapshot, per distinct reason: does this plain word,
    /// pattern or `reason:` term match it or its cause's label? (Empty for
    /// other terms.)
    reason_hits: Vec<Vec<Vec<bool>>>,
    /// Per snapshot, per distinct reason: is it of the filter's group? (Empty without a group.)
    group_hits: Vec<Vec<bool>>,
}

impl PreparedFilter<'_> {
    /// Does the entry `r` of `model` (the model the filter was prepared
    /// for) pass?
    pub fn matches(&self, model: &QueueModel, r: EntryRef, now: i64) -> bool {
        let Some((snap, e)) = model.get(r) else {
            return false;
        };
        let i = r.idx as usize;
        let indexed = snap.search.indexes(&snap.entries);
        let group = match (&self.filter.group, self.group_hits.get(r.snap as usize)) {
            (None, _) => true,
            // a message's group is its first reason's
            (Some(_), Some(hits)) if indexed => {
                e.queue == QueueName::Deferred
                    && snap
                        .search
                        .reason_ids(i)
                        .first()
                        .is_some_and(|&id| hits.get(id as usize).copied().unwrap_or(false))
            }
            (Some(_), _) => self.filter.group_matches(e),
        };
        if !group {
            return false;
        }
        self.filter
            .terms
            .iter()
            .zip(&self.reason_hits)
            .all(|(t, hits)| {
                let reasons = |hits: &[bool]| {
                    snap.search
                        .reason_ids(i)
                        .iter()
                        .any(|&id| hits.get(id as usize).copied().unwrap_or(false))
                };
                match (t, hits.get(r.snap as usize)) {
                    (Term::Text(n), Some(hits)) if indexed => {
                        n.is_match(snap.search.fields(i)) || reasons(hits)
                    }
                    // a pattern is matched field by field, as `^` and `$` expect
                    (Term::Regex(re), Some(hits)) if indexed => {
                        snap.search.fields(i).split('\n').any(|f| re.is_match(f)) || reasons(hits)
                    }
                    (Term::Reason(_), Some(hits)) if indexed => reasons(hits),
                    _ => term_matches(t, e, now),
                }
            })
    }
}

// ---------------------------------------------------------------- sort

/// Table columns, also the sort keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Queue,
    Id,
    Age,
    Size,
    Sender,
    Rcpts,
    Reason,
}

impl Column {
    pub const ALL: [Column; 7] = [
        Column::Queue,
        Column::Id,
        Column::Age,
        Column::Size,
        Column::Sender,
        Column::Rcpts,
        Column::Reason,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Queue => "Queue",
            Column::Id => "Queue ID",
            Column::Age => "Age",
            Column::Size => "Size",
            Column::Sender => "Sender",
            Column::Rcpts => "Rcpt",
            Column::Reason => "Reason",
        }
    }

    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }
}

/// Sort refs by a column; `Age` ascending means youngest first. Ties keep
/// queue id order so the table does not shuffle between refreshes.
pub fn sort_refs(model: &QueueModel, refs: &mut [EntryRef], col: Column, descending: bool) {
    let get = |r: &EntryRef| model.get(*r).map(|(_, e)| e);
    refs.sort_by(|a, b| {
        let (Some(x), Some(y)) = (get(a), get(b)) else {
            return std::cmp::Ordering::Equal;
        };
        let o = match col {
            Column::Queue => x.queue.cmp(&y.queue),
            Column::Id => x.id.cmp(&y.id),
            // older first when ascending by age means larger age: compare arrivals reversed
            Column::Age => y.arrival.cmp(&x.arrival),
            Column::Size => x.size.cmp(&y.size),
            Column::Sender => x.sender.cmp(&y.sender),
            Column::Rcpts => x.recipients.len().cmp(&y.recipients.len()),
            Column::Reason => x.first_reason().cmp(&y.first_reason()),
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| x.id.cmp(&y.id))
            .then_with(|| a.snap.cmp(&b.snap))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::queue::parse::parse_jsonl;

    pub(crate) fn model_of(text: &str) -> QueueModel {
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.bad_lines, 0, "{:?}", p.first_bad);
        let mut m = QueueModel::default();
        m.put(Snapshot {
            instance: 0,
            name: "default".into(),
            entries: p.entries,
            ..Snapshot::default()
        });
        m
    }

    fn line(q: &str, id: &str, t: i64, sender: &str, rcpts: &[(&str, Option<&str>)]) -> String {
        serde_json::json!({
            "queue_name": q, "queue_id": id, "arrival_time": t, "message_size": 100,
            "sender": sender,
            "recipients": rcpts.iter().map(|(a, r)| match r {
                Some(r) => serde_json::json!({"address": a, "delay_reason": r}),
                None => serde_json::json!({"address": a}),
            }).collect::<Vec<_>>(),
        })
        .to_string()
    }

    /// The entries kept are those of the list that pass, in the list's order (a sort's, here
    /// newest first, over two instances), with a stale reference dropped; the test sees each
    /// listed entry once, in the order the entries are stored.
    #[test]
    fn entries_are_tested_in_stored_order_and_kept_in_the_lists() {
        let mut m = QueueModel::default();
        for (instance, name) in [(0, "default"), (1, "postfix-out")] {
            let text: Vec<String> = (0..5)
                .map(|i| {
                    line(
                        "deferred",
                        &format!("ABCDE{instance}{i:04}"),
                        i,
                        "a@x.example",
                        &[],
                    )
                })
                .collect();
            m.put(Snapshot {
                instance,
                name: name.into(),
                entries: parse_jsonl(text.join("\n").as_bytes()).entries,
                ..Snapshot::default()
            });
        }
        let at = |snap, idx| EntryRef { snap, idx };
        let mut sorted: Vec<EntryRef> = m.refs().collect();
        sort_refs(&m, &mut sorted, Column::Age, false);
        assert_ne!(
            sorted,
            m.refs().collect::<Vec<_>>(),
            "the sort changes the order"
        );
        // the entry 3 of each instance is not listed; a reference past the end is stale
        let listed: Vec<EntryRef> = sorted
            .iter()
            .copied()
            .filter(|r| r.idx != 3)
            .chain([at(1, 9), at(5, 0)])
            .collect();
        let mut seen = Vec::new();
        let kept = m.retain_in_stored_order(&listed, |r| {
            seen.push(r);
            r.idx % 2 == 0
        });
        assert_eq!(
            seen,
            [
                at(0, 0),
                at(0, 1),
                at(0, 2),
                at(0, 4),
                at(1, 0),
                at(1, 1),
                at(1, 2),
                at(1, 4)
            ]
        );
        let plain: Vec<EntryRef> = listed
            .iter()
            .copied()
            .filter(|r| m.get(*r).is_some() && r.idx % 2 == 0)
            .collect();
        assert_eq!(kept, plain);
        assert_eq!(kept.len(), 6);
    }

    const THROTTLE: &str = "host email-smtp.eu-west-1.amazonaws.com[52.0.0.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)";

    fn sample() -> QueueModel {
        let now = 1_000_000;
        let lines = [
            line(
                "deferred",
                "AAAAAA0001",
                now - 120,
                "a@shop.example",
                &[("x@gmail.com", Some(THROTTLE))],
            ),
            line(
                "deferred",
                "AAAAAA0002",
                now - 3600,
                "a@shop.example",
                &[
                    ("y@gmail.com", Some(THROTTLE)),
                    ("z@yahoo.com", Some(THROTTLE)),
                ],
            ),
            line(
                "deferred",
                "AAAAAA0003",
                now - 90000,
                "b@news.example",
                &[(
                    "p@corp.example",
                    Some(
                        "host mx.corp.example[192.0.2.7] said: 451 4.3.0 <p@corp.example>: Temporary lookup failure (in reply to RCPT TO command)",
                    ),
                )],
            ),
            line(
                "deferred",
                "AAAAAA0004",
                now - 700,
                "b@news.example",
                &[(
                    "q@corp.example",
                    Some(
                        "host mx.corp.example[192.0.2.7] said: 452 4.2.2 <q@corp.example>: Quota exceeded for user (in reply to RCPT TO command)",
                    ),
                )],
            ),
            line(
                "deferred",
                "AAAAAA0005",
                now - 800,
                "b@news.example",
                &[(
                    "r@corp.example",
                    Some(
                        "host mx.corp.example[192.0.2.8] said: 452 4.2.2 <r@corp.example>: Quota exceeded for user (in reply to RCPT TO command)",
                    ),
                )],
            ),
            line("hold", "AAAAAA0006", now - 30, "", &[("s@gmail.com", None)]),
            line(
                "active",
                "AAAAAA0007",
                now - 1,
                "c@shop.example",
                &[("t@GMAIL.com", None)],
            ),
        ];
        model_of(&lines.join("\n"))
    }

    #[test]
    fn summary_counts_queues_and_oldest() {
        let s = sample().summary();
        assert_eq!(s.total, 7);
        assert_eq!(s.count(QueueName::Deferred), 5);
        assert_eq!(s.count(QueueName::Hold), 1);
        assert_eq!(s.count(QueueName::Active), 1);
        assert_eq!(s.oldest, Some(1_000_000 - 90000));
    }

    #[test]
    fn qshape_buckets_like_qshape() {
        let m = sample();
        let sh = shape(
            m.entries().map(|(_, e)| e),
            1_000_000,
            ShapeBy::Recipient,
            10,
        );
        // 8 recipients in all; gmail.com has 4 (t@GMAIL.com folded in)
        assert_eq!(sh.total[0], 8);
        let gmail = sh
            .rows
            .iter()
            .find(|r| r.0.as_str() == "gmail.com")
            .unwrap();
        assert_eq!(gmail.1[0], 4);
        // ages 120s (5), 3600s (80), 30s (5), 1s (5)
        assert_eq!(gmail.1[1], 3);
        assert_eq!(gmail.1[5], 1);
        // 90000 s = 1500 min: 1280+
        let corp = sh
            .rows
            .iter()
            .find(|r| r.0.as_str() == "corp.example")
            .unwrap();
        assert_eq!(corp.1[SHAPE_COLS - 1], 1);
        assert_eq!(sh.rows[0].0.as_str(), "gmail.com");
        assert_eq!(sh.more, 0);
        let top1 = shape(m.entries().map(|(_, e)| e), 1_000_000, ShapeBy::Sender, 1);
        assert_eq!(top1.rows.len(), 1);
        assert_eq!(top1.rows[0].0.as_str(), "news.example");
        assert_eq!(top1.more, 2);
    }

    #[test]
    fn shape_column_edges() {
        assert_eq!(shape_col(0), 1);
        assert_eq!(shape_col(299), 1);
        assert_eq!(shape_col(300), 2);
        assert_eq!(shape_col(1279 * 60), 9);
        assert_eq!(shape_col(1280 * 60), 10);
    }

    #[test]
    fn reasons_group_by_meaning() {
        let m = sample();
        let g = group_reasons(m.entries().map(|(_, e)| e));
        assert_eq!(g.len(), 3, "{g:#?}");
        let ses = g.iter().find(|x| x.label == "SES throttling").unwrap();
        assert_eq!(ses.cause, Some(Category::SesThrottling));
        assert_eq!(ses.messages, 2);
        assert_eq!(ses.recipients, 3);
        assert_eq!(
            ses.detail,
            "454 Throttling failure: Maximum sending rate exceeded."
        );
        assert_eq!(g[2].messages, 1, "largest groups first");
        // two quota messages from different hosts and addresses share a cause
        let quota = g.iter().find(|x| x.key == "mailbox full").unwrap();
        assert_eq!(quota.cause, Some(Category::MailboxFull));
        assert_eq!(quota.messages, 2);
        assert_eq!(quota.detail, "452 4.2.2 <…>: Quota exceeded for user");
        // a reason without a known cause is its own group, keyed by its text
        assert_eq!(
            reason_group_key(
                "host x[192.0.2.1] said: 451 4.3.0 <a@b.example>: try later (in reply to RCPT TO command)"
            ),
            "451 4.3.0 <…>: try later"
        );
    }

    #[test]
    fn reason_keys() {
        let table = [
            (
                THROTTLE,
                "454 Throttling failure: Maximum sending rate exceeded.",
            ),
            (
                "connect to mx.example.net[192.0.2.1]:25: Connection timed out",
                "connect to mx.example.net[…]:25: Connection timed out",
            ),
            ("  lots   of   space ", "lots of space"),
        ];
        for (r, want) in table {
            assert_eq!(reason_key(r), want);
        }
    }

    #[test]
    fn filters() {
        let m = sample();
        let now = 1_000_000;
        let ids = |f: &str| -> Vec<String> {
            let f = Filter::parse(f).unwrap();
            m.entries()
                .filter(|(_, e)| f.matches(e, now))
                .map(|(_, e)| e.id.to_string()[8..].to_string())
                .collect()
        };
        assert_eq!(ids(""), ["01", "02", "03", "04", "05", "06", "07"]);
        assert_eq!(ids("queue:hold"), ["06"]);
        assert_eq!(ids("to:gmail.com"), ["01", "02", "06", "07"]);
        assert_eq!(ids("to:yahoo"), ["02"]);
        assert_eq!(ids("from:news"), ["03", "04", "05"]);
        assert_eq!(ids("reason:quota"), ["04", "05"]);
        assert_eq!(ids("age>1h"), ["03"]);
        assert_eq!(ids("age<1m"), ["06", "07"]);
        assert_eq!(ids("THROTTLING q:deferred"), ["01", "02"]);
        assert_eq!(ids("re:^AAAAAA000[12]$"), ["01", "02"]);
        // what a row shows is found: the cause the Reason column names (its reasons do not say
        // "SES"), the queue, the null sender as shown
        assert_eq!(ids("SES"), ["01", "02"]);
        assert_eq!(ids("ses throttling"), ["01", "02"]);
        assert_eq!(ids("reason:SES"), ["01", "02"]);
        assert_eq!(ids("mailbox"), ["04", "05"]);
        assert_eq!(ids("hold"), ["06"]);
        assert_eq!(ids("ACTIVE"), ["07"]);
        assert_eq!(ids("<>"), ["06"]);
        assert_eq!(ids("re:^hold$"), ["06"]);
        assert_eq!(ids("re:^SES"), ["01", "02"]);
        assert!(Filter::parse("re:(").is_err());
        assert!(Filter::parse("age>soon").is_err());
        assert!(Filter::parse("queue:nope").is_err());
        let g = Filter {
            group: Some("SES throttling".into()),
            ..Filter::default()
        };
        assert_eq!(m.entries().filter(|(_, e)| g.matches(e, now)).count(), 2);
    }

    #[test]
    fn a_prepared_filter_agrees_with_the_plain_one() {
        let m = model_of(&crate::mail::queue::demo::generate(2000, 1_800_000_000));
        let sample = sample();
        let now = 1_800_000_000;
        // both give the same rows; how many
        let agreed = |f: &Filter, model: &QueueModel, what: &str| -> usize {
            let p = f.prepare(model);
            let plain: Vec<EntryRef> = model
                .refs()
                .filter(|r| f.matches(model.get(*r).unwrap().1, now))
                .collect();
            let prepared: Vec<EntryRef> =
                model.refs().filter(|r| p.matches(model, *r, now)).collect();
            assert_eq!(plain, prepared, "{what}");
            prepared.len()
        };
        for text in [
            "",
            "g",
            "GMAIL",
            "throttl",
            "quota q:deferred",
            "from:shop to:yahoo",
            "reason:greylist",
            "re:^[0-9A-F]{10}$",
            "454 age>1h",
            "über",
            "SES",
            "mailbox full",
            "reason:ses",
            "reason:quota",
            "deferred",
            "hold",
            "<>",
            "re:^SES",
            "re:^hold$",
            "nothing-matches-this",
        ] {
            let f = Filter::parse(text).unwrap();
            for model in [&m, &sample] {
                agreed(&f, model, text);
            }
        }
        // and within each group of the reasons view (the group of a message is its first
        // reason's, decided once per distinct reason when prepared)
        for model in [&m, &sample] {
            let groups = group_reasons(model.entries().map(|(_, e)| e));
            assert!(groups.len() >= 3, "{groups:#?}");
            for g in groups {
                for text in ["", "gmail"] {
                    let f = Filter {
                        group: Some(g.key.clone()),
                        ..Filter::parse(text).unwrap()
                    };
                    let shown = agreed(&f, model, &format!("{} {text:?}", g.key));
                    if text.is_empty() {
                        assert_eq!(shown, g.messages, "{}", g.key);
                    }
                }
            }
        }
        // the pass tests each distinct reason once, not each recipient's (a mailbox-full
        // reply names its recipient, the relay's replies are the same for all)
        let s = &m.snapshots[0].search;
        let with_reason = m
            .entries()
            .flat_map(|(_, e)| e.recipients.iter())
            .filter(|r| r.reason.is_some())
            .count();
        assert!(
            s.reasons.len() * 5 < with_reason,
            "{} distinct reasons of {with_reason}",
            s.reasons.len()
        );
        assert!(
            Filter::parse("throttl").unwrap().prepare(&m).matches(
                &m,
                m.refs()
                    .find(|r| m
                        .get(*r)
                        .unwrap()
                        .1
                        .first_reason()
                        .is_some_and(|t| t.contains("Throttling")))
                    .unwrap(),
                now
            )
        );
    }

    #[test]
    fn sorting() {
        let m = sample();
        let mut refs: Vec<EntryRef> = m.refs().collect();
        sort_refs(&m, &mut refs, Column::Age, true);
        let first = m.get(refs[0]).unwrap().1;
        assert_eq!(
            first.id.as_str(),
            "AAAAAA0003",
            "descending age: oldest first"
        );
        sort_refs(&m, &mut refs, Column::Rcpts, true);
        assert_eq!(m.get(refs[0]).unwrap().1.id.as_str(), "AAAAAA0002");
        sort_refs(&m, &mut refs, Column::Id, true);
        assert_eq!(m.get(refs[0]).unwrap().1.id.as_str(), "AAAAAA0007");
        sort_refs(&m, &mut refs, Column::Sender, false);
        assert_eq!(m.get(refs[0]).unwrap().1.sender_shown(), "<>");
    }

    #[test]
    fn shared_lookups() {
        let m = sample();
        assert_eq!(m.find("AAAAAA0004").unwrap().0, "default");
        assert!(m.find("FFFFFF0000").is_none());
        let s = m.senders();
        assert_eq!(s[0], (Clean::new("b@news.example"), 3));
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_age(5), "5s");
        assert_eq!(fmt_age(125), "2m");
        assert_eq!(fmt_age(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(fmt_age(2 * 86400 + 4 * 3600), "2d04h");
        // an arrival in the future is said so, not taken for one just now
        assert_eq!(fmt_age_at(1_000 - 125, 1_000), "2m");
        assert_eq!(fmt_age_at(1_000, 1_000), "0s");
        assert_eq!(fmt_age_at(1_000 + 125, 1_000), "-2m");
        assert_eq!(fmt_age_at(1_000 + 5, 1_000), "-5s");
        assert_eq!(ahead_secs(1_000, 1_000), None);
        assert_eq!(ahead_secs(i64::MAX, i64::MIN), Some(i64::MAX));
        assert_eq!(fmt_size(512), "512");
        assert_eq!(fmt_size(4300), "4.2K");
    }

    #[test]
    fn absurd_arrival_times_do_not_overflow_the_age() {
        // `"arrival_time": -9223372036854775808` in a postqueue -j line
        let now = 1_800_000_000;
        assert_eq!(age_secs(i64::MIN, now), i64::MAX);
        assert_eq!(age_secs(i64::MAX, now), 0);
        assert_eq!(age_secs(i64::MIN, i64::MIN), 0);
        assert_eq!(fmt_age(age_secs(i64::MIN, now)), "106751991167300d15h");
    }
}
