//! The mail log model ([`MailLog`]): parsed lines correlated by queue id into messages, every
//! delivery outcome classified, lost mail flagged. Other panes read it through a small API:
//! [`MailLog::history`], [`MailLog::sender_tallies`], [`MailLog::sender_outcomes`],
//! [`MailLog::final_status`].
//!
//! Pure state: it never reads files or clocks (times come from the lines). Memory is bounded however
//! long the log: finished messages, outcomes, warnings and per-message history are capped, the
//! per-sender tally ([`super::tally`]) too, and messages not heard of for [`Limits::stale_after`]
//! are evicted.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;

use super::classify::{Category, ReplyCauses, SesNotVerified};
use super::parse::{DeliveryLine, Kind, LogLine, QueueId, Status, SuperAction, Text};
use super::tally::{SenderTallies, SenderTally, Totals, WindowSums};
use crate::sanitize::Clean;

/// A small multiplicative hasher for queue ids (three words each): much cheaper than SipHash, and
/// the keys are not chosen by an attacker who could exploit collisions beyond slowing one map.
#[derive(Clone, Copy, Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        // fold the well-mixed high bits into the low ones the table indexes by
        self.0 ^ (self.0 >> 29)
    }
}

type IdMap<V> = HashMap<QueueId, V, std::hash::BuildHasherDefault<IdHasher>>;

/// How much the model keeps.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Outcomes kept for the pane and the API (oldest dropped first).
    pub outcomes: usize,
    /// Lines kept per message for its history.
    pub lines_per_message: usize,
    /// Finished (removed) messages kept for history and final status.
    pub finished: usize,
    /// Messages still in the queue kept at most (oldest activity evicted first).
    pub live: usize,
    /// A message not heard of for this long is dropped (a lost `removed` line, a cut log).
    pub stale_after: Duration,
    /// SASL/TLS/other warnings kept.
    pub warnings: usize,
    /// Keep a full copy of each message's last delivery attempt (for [`MailLog::final_status`]).
    /// When false only its recipient is kept (what expiry and lost outcomes name), and outcomes
    /// of successful deliveries carry no relay, dsn or reply: a whole-file report that never asks
    /// for final statuses and only counts successes saves copies per delivery line.
    pub attempts: bool,
    /// Outcomes are also counted by the minute over this much time, per sender
    /// ([`MailLog::sender_tallies`]) and in all ([`MailLog::window_counts`]), however many there
    /// are; zero counts none (a whole-file report has its own tables).
    pub tally_window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            outcomes: 20_000,
            lines_per_message: 64,
            finished: 20_000,
            live: 50_000,
            stale_after: Duration::days(7),
            warnings: 200,
            attempts: true,
            tally_window: Duration::days(1),
        }
    }
}

/// The status of one row of the failures table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowStatus {
    Sent,
    Deferred,
    Bounced,
    Expired,
    Undeliverable,
    /// Left the queue without a final delivery, or its bounce failed too.
    Lost,
    /// Deleted with `postsuper -d` before a final delivery: never delivered and the sender not
    /// told, like lost mail, but on purpose (spam cleared out of the queue): counted apart.
    Deleted,
    /// Refused at reception (smtpd `NOQUEUE: reject`, cleanup reject).
    Rejected,
    /// Put in the hold queue by a HOLD rule: it waits there until someone releases or deletes it.
    Held,
}

impl RowStatus {
    pub const ALL: [RowStatus; 9] = [
        RowStatus::Sent,
        RowStatus::Deferred,
        RowStatus::Bounced,
        RowStatus::Expired,
        RowStatus::Undeliverable,
        RowStatus::Lost,
        RowStatus::Deleted,
        RowStatus::Rejected,
        RowStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Sent => "sent",
            RowStatus::Deferred => "deferred",
            RowStatus::Bounced => "bounced",
            RowStatus::Expired => "expired",
            RowStatus::Undeliverable => "undeliverable",
            RowStatus::Lost => "lost",
            RowStatus::Deleted => "deleted",
            RowStatus::Rejected => "rejected",
            RowStatus::Held => "held",
        }
    }

    pub fn is_failure(self) -> bool {
        self != RowStatus::Sent
    }

    fn from_status(s: Status) -> RowStatus {
        match s {
            Status::Sent | Status::Deliverable => RowStatus::Sent,
            Status::Deferred => RowStatus::Deferred,
            Status::Bounced => RowStatus::Bounced,
            Status::Expired => RowStatus::Expired,
            Status::Undeliverable => RowStatus::Undeliverable,
        }
    }
}

/// One outcome: a delivery attempt, an expiry, a reject or a lost message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Outcome {
    /// Increases with every outcome (stable row identity).
    pub seq: u64,
    pub time: DateTime<FixedOffset>,
    pub queue_id: Option<QueueId>,
    pub status: RowStatus,
    /// `None` for successful deliveries.
    pub category: Option<Category>,
    /// Envelope sender from qmgr (`""` for bounces, `None` when not seen).
    pub from: Option<Clean>,
    pub to: Clean,
    pub relay: Clean,
    pub dsn: Clean,
    pub reason: Clean,
    /// SES not-verified details (identities and region).
    pub ses: Option<SesNotVerified>,
    /// The queue id of the message this one is a bounce notification for.
    pub bounce_of: Option<QueueId>,
    /// On the lost row of a bounce notification: the sender it was for, who was never told
    /// (the original's sender, or the notification's recipient when it went to the sender),
    /// when the log says. `None` on every other row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_for: Option<Clean>,
}

impl Outcome {
    /// A refusal at reception with a 4xx code (greylisting here, a lookup that failed, a
    /// milter's tempfail): for now only, the client keeps the mail and may try again.
    pub fn refused_for_now(&self) -> bool {
        self.status == RowStatus::Rejected
            && (self.dsn.starts_with('4') || (self.dsn.is_empty() && self.reason.starts_with('4')))
    }

    /// The recipient's domain, lower case.
    pub fn rcpt_domain(&self) -> &str {
        self.to.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// Why the message left the queue, as far as the log says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Still in the queue (or its removal not logged yet).
    Queued,
    /// Every recipient has a final status and all were delivered.
    Delivered,
    /// Removed; at least one recipient bounced or expired (the sender was notified).
    Returned,
    /// Removed without a final status, or its bounce failed too.
    Lost,
    /// Deleted by `postsuper -d`.
    Deleted,
    /// Requeued by `postsuper -r`: continues under a new queue id.
    Requeued,
}

/// One message (one generation of a queue id).
#[derive(Clone, Debug)]
pub struct Message {
    pub id: QueueId,
    /// Unique across id reuse.
    pub generation: u64,
    pub first: DateTime<FixedOffset>,
    pub last: DateTime<FixedOffset>,
    pub from: Option<Clean>,
    pub size: Option<u64>,
    pub nrcpt: Option<u32>,
    pub message_id: Option<Clean>,
    pub client: Option<Clean>,
    pub lines: Vec<Clean>,
    pub lines_dropped: usize,
    /// Final status per recipient.
    pub finals: Vec<(Clean, Status)>,
    /// Recipients whose latest attempt was deferred (no final status yet).
    pub waiting: Vec<Clean>,
    pub last_attempt: Option<Outcome>,
    pub removed: bool,
    pub deleted: bool,
    pub requeued: bool,
    pub held: bool,
    pub expired: bool,
    pub lost: bool,
    /// Refused while it was received (a cleanup rule, a milter): the bounce it gets is that, of
    /// this cause.
    pub rejected: Option<Category>,
    /// This message is a bounce (or other notification) for that one.
    pub bounce_of: Option<QueueId>,
    /// A notification: the sender of the message it is for, as known when it was made (the
    /// original may be forgotten before the notification fails: it can wait days to expire).
    pub notice_for: Option<Clean>,
    /// A notification to the sender (`sender non-delivery notification`), not to the
    /// postmaster: its recipient is the sender it is for.
    pub to_sender: bool,
    /// A non-delivery notification: when it fails too, mail is lost and nobody told. A delay
    /// warning (`sender delay notification`) or a success notice (`sender delivery status
    /// notification`) that fails loses nothing: the mail it tells of is queued or delivered.
    pub non_delivery: bool,
    /// What this notification is, in words: "bounce notification", "delay warning",
    /// "delivery report" (empty for other mail).
    pub notice_name: &'static str,
    /// A bounce notification was made for this message: a later delay warning (for its
    /// recipients still deferred) is not the notification it is known by.
    pub notified_bounce: bool,
    /// The notification this message caused.
    pub notification: Option<QueueId>,
    /// `postsuper -r`: the id it had before / the id it got after.
    pub requeued_from: Option<QueueId>,
    pub requeued_to: Option<QueueId>,
}

impl Message {
    fn new(id: QueueId, generation: u64, time: DateTime<FixedOffset>) -> Message {
        Message {
            id,
            generation,
            first: time,
            last: time,
            from: None,
            size: None,
            nrcpt: None,
            message_id: None,
            client: None,
            lines: Vec::new(),
            lines_dropped: 0,
            finals: Vec::new(),
            waiting: Vec::new(),
            last_attempt: None,
            removed: false,
            deleted: false,
            requeued: false,
            held: false,
            expired: false,
            lost: false,
            rejected: None,
            bounce_of: None,
            notice_for: None,
            to_sender: false,
            non_delivery: false,
            notice_name: "",
            notified_bounce: false,
            notification: None,
            requeued_from: None,
            requeued_to: None,
        }
    }

    pub fn state(&self) -> MessageState {
        if self.requeued {
            MessageState::Requeued
        } else if self.lost {
            MessageState::Lost
        } else if self.deleted {
            MessageState::Deleted
        } else if !self.removed {
            MessageState::Queued
        } else if self.expired || self.finals.iter().any(|(_, s)| s.is_failure()) {
            MessageState::Returned
        } else {
            MessageState::Delivered
        }
    }
}

/// What [`MailLog::final_status`] says about a queue id (for the test-mail trace).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinalStatus {
    pub state: MessageState,
    /// The last delivery attempt (reply, dsn, category).
    pub last: Option<Outcome>,
    pub notification: Option<QueueId>,
    pub requeued_to: Option<QueueId>,
}

/// Counts of what a sender's mail did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SenderOutcomes {
    pub sent: usize,
    pub deferred: usize,
    pub bounced: usize,
    pub expired: usize,
    pub lost: usize,
    /// Deleted with `postsuper -d` before a final delivery (not in `lost`).
    pub deleted: usize,
    /// Of `lost`, the bounce notices of this sender's failed mail that failed too (each counted
    /// here, not with the null sender that sent it: this sender was never told).
    pub lost_notices: usize,
}

/// What one ingested line changed.
#[derive(Debug, Default)]
pub struct Ingested {
    /// The line says something about a queue entry (Queue pane should refresh).
    pub queue_changed: bool,
    /// New outcomes (also kept in the model unless `Limits::outcomes` is 0).
    pub outcomes: Vec<Outcome>,
}

/// What [`MailLog::window_counts`] counted: statuses in [`RowStatus::ALL`] order, categories most
/// first; zero counts left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowCounts {
    pub recent_status: Vec<(RowStatus, usize)>,
    pub older_status: Vec<(RowStatus, usize)>,
    pub recent_categories: Vec<(Category, usize)>,
    pub older_categories: Vec<(Category, usize)>,
    /// Of the rejected in each window, those refused with a 4xx code (greylisting, a lookup
    /// that failed): for now only, counted apart as `opsdeck summary` counts them.
    pub recent_rejected_temporary: usize,
    pub older_rejected_temporary: usize,
    /// Outcomes stamped after the time counted to.
    pub ahead: usize,
}

/// A warning line worth showing (SASL, TLS, other).
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub time: DateTime<FixedOffset>,
    pub category: Category,
    pub text: Clean,
}

/// The shared mail log model. See the module docs.
#[derive(Debug)]
pub struct MailLog {
    limits: Limits,
    /// Boxed: the table stays small and dense, moving an entry never copies a whole message.
    messages: IdMap<Box<Message>>,
    finished: VecDeque<(QueueId, u64)>,
    /// Every message in creation order, for evicting the oldest when over the cap.
    created: VecDeque<(QueueId, u64)>,
    outcomes: VecDeque<Outcome>,
    warnings: VecDeque<Warning>,
    /// `None` when [`Limits::tally_window`] is zero.
    tallies: Option<(SenderTallies, Totals)>,
    next_seq: u64,
    next_generation: u64,
    /// Bumped by every [`ingest`](Self::ingest), the one way in that changes the model: what a
    /// reader's cache of something computed from it (the Failures pane's rows and counts) is
    /// keyed on.
    revision: u64,
    latest: Option<DateTime<FixedOffset>>,
    /// The last line jumped more than [`Limits::stale_after`] ahead of `latest`: if the next
    /// one does too, the jump is believed.
    jumped: bool,
    since_sweep: usize,
    /// The causes of the replies seen lately.
    causes: ReplyCauses,
    /// Lines given to [`ingest`](Self::ingest).
    pub lines: u64,
    /// Lost messages seen since start (not capped).
    pub lost_total: u64,
}

impl Default for MailLog {
    fn default() -> Self {
        MailLog::with_limits(Limits::default())
    }
}

fn is_start<S>(kind: &Kind<S>) -> bool {
    matches!(kind, Kind::Pickup { .. } | Kind::Client(_))
}

/// Models made so far: each starts its [`MailLog::revision`]s at a base of its own.
static MODELS: AtomicU64 = AtomicU64::new(0);

impl MailLog {
    pub fn with_limits(limits: Limits) -> MailLog {
        MailLog {
            limits,
            messages: IdMap::default(),
            finished: VecDeque::new(),
            created: VecDeque::new(),
            outcomes: VecDeque::new(),
            warnings: VecDeque::new(),
            tallies: (limits.tally_window > Duration::zero()).then(|| {
                (
                    SenderTallies::new(limits.tally_window),
                    Totals::new(limits.tally_window),
                )
            }),
            next_seq: 1,
            next_generation: 1,
            // a base of its own: what was computed from another model (one this replaced)
            // is never taken for this one's at the same count of lines
            revision: MODELS.fetch_add(1, Ordering::Relaxed) << 40,
            latest: None,
            jumped: false,
            since_sweep: 0,
            causes: ReplyCauses::default(),
            lines: 0,
            lost_total: 0,
        }
    }

    /// Allocate the message table for its full size up front (whole-file reports, which will fill
    /// it): no rehashing while reading.
    pub fn reserve_all(&mut self) {
        let cap = (self.limits.live + self.limits.finished).saturating_add(1);
        self.messages
            .reserve(cap.saturating_sub(self.messages.len()));
    }

    // ---- read API for other panes -------------------------------------------------------------

    /// Every line kept for this queue id, then its bounce notification's and its requeue
    /// successor's lines (each block headed by a `--` line naming the link). Empty if unknown.
    pub fn history(&self, queue_id: &str) -> Vec<Clean> {
        let mut out = Vec::new();
        let Some(id) = QueueId::parse(queue_id) else {
            return out;
        };
        let Some(m) = self.messages.get(&id) else {
            return out;
        };
        if let Some(prev) = m.requeued_from.as_ref().and_then(|p| self.messages.get(p)) {
            out.push(Clean::new(&format!("-- before requeue, as {}", prev.id)));
            out.extend(prev.lines.iter().cloned());
            out.push(Clean::new(&format!("-- after requeue, as {}", m.id)));
        }
        if m.lines_dropped > 0 {
            out.push(Clean::new(&format!(
                "-- {} earlier lines not kept",
                m.lines_dropped
            )));
        }
        out.extend(m.lines.iter().cloned());
        if let Some(n) = m.notification.as_ref().and_then(|n| self.messages.get(n)) {
            out.push(Clean::new(&format!("-- its {} {}", n.notice_name, n.id)));
            out.extend(n.lines.iter().cloned());
        }
        if let Some(orig) = m.bounce_of.as_ref().and_then(|o| self.messages.get(o)) {
            // the mail it was to tell of: its sender, recipients and why it failed, which the
            // notice's own lines do not say
            out.push(Clean::new(&format!(
                "-- {} for {}, whose lines are",
                m.notice_name, orig.id
            )));
            out.extend(orig.lines.iter().cloned());
        }
        if let Some(next) = m.requeued_to.as_ref().and_then(|n| self.messages.get(n)) {
            out.push(Clean::new(&format!("-- requeued as {}", next.id)));
            out.extend(next.lines.iter().cloned());
        }
        out
    }

    /// Counts of outcomes for envelope sender `addr` (case-insensitive) since `since`, by the
    /// minute, from the tally (zero when [`Limits::tally_window`] is). Deferrals count every
    /// attempt; lost counts messages.
    pub fn sender_outcomes(&self, addr: &str, since: DateTime<FixedOffset>) -> SenderOutcomes {
        self.tallies
            .as_ref()
            .map(|(t, _)| t.get(addr, since).counts)
            .unwrap_or_default()
    }

    /// Every sender's outcomes since `since` (lower-cased senders, `""` the null sender), counted
    /// by the minute over all outcomes, not only the ones kept; `None` when
    /// [`Limits::tally_window`] is zero.
    pub fn sender_tallies(
        &self,
        since: DateTime<FixedOffset>,
    ) -> Option<std::collections::BTreeMap<String, SenderTally>> {
        self.tallies.as_ref().map(|(t, _)| t.all(since))
    }

    /// Where a queue id's message stands, if the log mentioned it.
    pub fn final_status(&self, queue_id: &str) -> Option<FinalStatus> {
        let m = self.messages.get(&QueueId::parse(queue_id)?)?;
        Some(FinalStatus {
            state: m.state(),
            last: m.last_attempt.clone(),
            notification: m.notification.clone(),
            requeued_to: m.requeued_to.clone(),
        })
    }

    /// The message currently known under this id.
    pub fn message(&self, queue_id: &QueueId) -> Option<&Message> {
        self.messages.get(queue_id).map(|m| &**m)
    }

    /// All outcomes kept, oldest first (and so in increasing [`Outcome::seq`]).
    pub fn outcomes(&self) -> &VecDeque<Outcome> {
        &self.outcomes
    }

    /// Where the outcome numbered `seq` is in [`outcomes`](Self::outcomes), if it is still kept.
    pub fn outcome_index(&self, seq: u64) -> Option<usize> {
        self.outcomes.binary_search_by_key(&seq, |o| o.seq).ok()
    }

    /// Changes whenever the model does: anything computed from the model at one revision holds
    /// until the revision changes.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn warnings(&self) -> &VecDeque<Warning> {
        &self.warnings
    }

    /// Outcomes from each of two times to `now` (the pane's last hour and last day), counted by
    /// status and by failure category: every outcome, not only those kept for the table, by the
    /// minute (the minute a time falls in counts whole), at most [`Limits::tally_window`] back.
    /// Outcomes stamped after `now` are in neither window but counted apart
    /// ([`WindowCounts::ahead`]): a line from a clock that ran ahead would otherwise count in "the
    /// last hour" for hours. Empty when the window is zero.
    pub fn window_counts(
        &self,
        recent: DateTime<FixedOffset>,
        older: DateTime<FixedOffset>,
        now: DateTime<FixedOffset>,
    ) -> WindowCounts {
        let sums = |since| {
            self.tallies
                .as_ref()
                .map(|(_, totals)| totals.between(since, Some(now)))
                .unwrap_or_default()
        };
        let ahead = self
            .tallies
            .as_ref()
            .map_or(0, |(_, totals)| totals.ahead_of(now));
        let (recent, older): (WindowSums, WindowSums) = (sums(recent), sums(older));
        let status = [recent.status, older.status];
        let category = [recent.category, older.category];
        let statuses = |w: usize| -> Vec<(RowStatus, usize)> {
            RowStatus::ALL
                .iter()
                .copied()
                .zip(status[w])
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        let categories = |w: usize| -> Vec<(Category, usize)> {
            let mut v: Vec<(Category, usize)> = Category::ALL
                .iter()
                .copied()
                .zip(category[w])
                .filter(|(_, n)| *n > 0)
                .collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        WindowCounts {
            recent_status: statuses(0),
            older_status: statuses(1),
            recent_categories: categories(0),
            older_categories: categories(1),
            recent_rejected_temporary: recent.rejected_temporary,
            older_rejected_temporary: older.rejected_temporary,
            ahead,
        }
    }

    /// What [`window_counts`](Self::window_counts) reads of its three times: the minutes they
    /// fall in. Counts taken at one [`revision`](Self::revision) with equal keys are equal, so
    /// a copy of them holds until the key or the revision changes.
    pub fn window_counts_key(
        recent: DateTime<FixedOffset>,
        older: DateTime<FixedOffset>,
        now: DateTime<FixedOffset>,
    ) -> [i64; 3] {
        [recent, older, now].map(super::tally::minute)
    }

    /// Messages tracked now (live + finished kept for history).
    pub fn tracked(&self) -> usize {
        self.messages.len()
    }

    /// Time of the newest line seen. A single line stamped more than
    /// [`Limits::stale_after`] after every line before it (a wrong clock, a forged line) does not
    /// count until another line comes from as far ahead (a host back after a long silence):
    /// otherwise the stale sweep would drop every message in flight, for good.
    pub fn latest(&self) -> Option<DateTime<FixedOffset>> {
        self.latest
    }

    fn note_time(&mut self, t: DateTime<FixedOffset>) {
        match self.latest {
            Some(l) if t - l > self.limits.stale_after && !self.jumped => self.jumped = true,
            Some(l) if t <= l => self.jumped = false,
            _ => {
                self.latest = Some(t);
                self.jumped = false;
            }
        }
    }

    // ---- feeding ------------------------------------------------------------------------------

    /// Take one parsed line.
    ///
    /// Generic over the text type: the model sanitizes (with `into()`) only what it keeps, so a
    /// borrowed line ([`parse_line_ref`](super::parse::parse_line_ref)) costs no copy of the rest.
    pub fn ingest<S: Text>(&mut self, line: LogLine<S>) -> Ingested {
        self.lines += 1;
        self.revision += 1;
        let mut res = Ingested::default();
        self.note_time(line.time);
        let Some(id) = line.queue_id.clone() else {
            self.ingest_unqueued(line, &mut res);
            return res;
        };
        res.queue_changed = !matches!(
            line.kind,
            Kind::MessageId(_) | Kind::Other | Kind::Warning(_)
        );
        let time = line.time;
        let start_new = match self.messages.get(&id) {
            None => true,
            Some(m) => {
                is_start(&line.kind)
                    || m.removed
                        && !matches!(line.kind, Kind::Removed | Kind::Super(SuperAction::Removed))
                    || m.requeued && !matches!(line.kind, Kind::Super(_))
            }
        };
        if start_new {
            let generation = self.next_generation;
            self.next_generation += 1;
            self.created.push_back((id.clone(), generation));
            if let Some(old) = self.messages.insert(
                id.clone(),
                Box::new(Message::new(id.clone(), generation, time)),
            ) && !old.removed
            {
                // id reused without a `removed` line: the old one is gone from view
                self.finished
                    .retain(|(i, g)| !(i == &old.id && *g == old.generation));
            }
        }
        let cap = self.limits.lines_per_message;
        let mut finish = false;
        // this line is the `postsuper -d` that removed the message (its row is said once)
        let mut deleted_now = false;
        let mut new_outcomes: Vec<Outcome> = Vec::new();
        // a notification made: its id, the sender it is for, whether it goes to the sender
        let mut link_bounce: Option<(QueueId, Option<Clean>, bool, &'static str)> = None;
        let mut link_requeue: Option<QueueId> = None;
        {
            let m = self.messages.get_mut(&id).expect("inserted above");
            m.last = time;
            if m.lines.len() < cap {
                m.lines.push(line.text.into());
            } else {
                m.lines_dropped += 1;
                if cap > 0 {
                    m.lines.remove(0);
                    m.lines.push(line.text.into());
                }
            }
            match line.kind {
                Kind::QueueActive { from, size, nrcpt } => {
                    m.from = Some(from.into());
                    m.size = size.or(m.size);
                    m.nrcpt = nrcpt.or(m.nrcpt);
                }
                Kind::Pickup { from, orig_id, .. } => {
                    if m.from.is_none() {
                        m.from = Some(from.into());
                    }
                    if let Some(orig) = orig_id {
                        m.requeued_from = Some(orig.clone());
                        link_requeue = Some(orig);
                    }
                }
                Kind::Client(c) => m.client = Some(c.into()),
                Kind::MessageId(mid) => m.message_id = Some(mid.into()),
                Kind::Delivery(d) => {
                    let (category, ses) =
                        if let Some(c) = m.rejected.filter(|_| d.status.is_failure()) {
                            // the bounce that cleanup's reject (a header or body rule) sends back
                            (Some(c), None)
                        } else if d.status.is_failure() {
                            let (c, ses) = self.causes.classify_with_ses(
                                d.status,
                                d.dsn.as_ref(),
                                d.reason.as_ref(),
                                d.to.as_ref(),
                                d.relay.as_ref(),
                            );
                            (Some(c), ses)
                        } else {
                            (None, None)
                        };
                    let d = if self.limits.attempts || d.status.is_failure() {
                        d.map(Into::<Clean>::into)
                    } else {
                        // a whole-file report counts successful deliveries: their reply and
                        // relay are never read, so they are not copied
                        DeliveryLine {
                            to: d.to.into(),
                            orig_to: None,
                            relay: Clean::default(),
                            conn_use: d.conn_use,
                            delay: d.delay,
                            delays: None,
                            dsn: Clean::default(),
                            status: d.status,
                            reason: Clean::default(),
                        }
                    };
                    let o = Outcome {
                        seq: 0,
                        time,
                        queue_id: Some(id.clone()),
                        status: RowStatus::from_status(d.status),
                        category,
                        from: m.from.clone(),
                        to: d.to.clone(),
                        relay: d.relay,
                        dsn: d.dsn,
                        reason: d.reason,
                        ses,
                        bounce_of: m.bounce_of.clone(),
                        notice_for: None,
                    };
                    if d.status.is_final() {
                        m.finals.retain(|(r, _)| r != &d.to);
                        m.finals.push((d.to.clone(), d.status));
                        m.waiting.retain(|r| r != &d.to);
                    } else if !m.waiting.contains(&d.to) {
                        m.waiting.push(d.to.clone());
                    }
                    m.last_attempt = Some(if self.limits.attempts {
                        o.clone()
                    } else {
                        Outcome {
                            seq: 0,
                            time,
                            queue_id: None,
                            status: o.status,
                            category: None,
                            from: None,
                            to: o.to.clone(),
                            relay: Clean::default(),
                            dsn: Clean::default(),
                            reason: Clean::default(),
                            ses: None,
                            bounce_of: None,
                            notice_for: None,
                        }
                    });
                    // a non-delivery notification that itself failed for good: nobody will be told
                    if d.status.is_final()
                        && d.status.is_failure()
                        && m.bounce_of.is_some()
                        && m.non_delivery
                        && !m.lost
                    {
                        m.lost = true;
                        new_outcomes.push(lost_notice(
                            &o,
                            m,
                            "could not be delivered to",
                            &o.reason,
                        ));
                    }
                    new_outcomes.insert(0, o);
                }
                Kind::Expired { from, forced } => {
                    m.expired = true;
                    if m.from.is_none() {
                        m.from = Some(from.into());
                    }
                    // a bounce notification has no sender to return it to: Postfix drops it
                    let notice = m.bounce_of.is_some();
                    let expired = Outcome {
                        seq: 0,
                        time,
                        queue_id: Some(id.clone()),
                        status: RowStatus::Expired,
                        category: Some(Category::Expired),
                        from: m.from.clone(),
                        to: m
                            .last_attempt
                            .as_ref()
                            .map(|a| a.to.clone())
                            .unwrap_or_default(),
                        relay: Clean::default(),
                        dsn: Clean::default(),
                        reason: Clean::new(match (forced, notice) {
                            (true, false) => "force-expired (postsuper -e), returned to sender",
                            (false, false) => "expired in the queue, returned to sender",
                            (true, true) => {
                                "force-expired (postsuper -e); a bounce notification is returned to nobody"
                            }
                            (false, true) => {
                                "expired in the queue; a bounce notification is returned to nobody"
                            }
                        }),
                        ses: None,
                        bounce_of: m.bounce_of.clone(),
                        notice_for: None,
                    };
                    // the non-delivery notification that expired undelivered: nobody will be
                    // told, as when it fails for good
                    if notice && m.non_delivery && !m.lost {
                        m.lost = true;
                        let last = m.last_attempt.as_ref().map(|a| a.reason.clone());
                        new_outcomes.push(lost_notice(
                            &expired,
                            m,
                            "expired in the queue, never delivered to",
                            &last.unwrap_or_default(),
                        ));
                    }
                    new_outcomes.insert(0, expired);
                }
                Kind::Notification { new_id, what } => {
                    // a delay warning after a bounce of some recipients does not hide the bounce
                    let what = what.as_ref();
                    let bounce = what.ends_with("non-delivery");
                    if bounce || !m.notified_bounce {
                        m.notification = Some(new_id.clone());
                    }
                    m.notified_bounce |= bounce;
                    // the sender it is for, kept on the notification
                    let from = m.from.clone().filter(|f| !f.is_empty());
                    link_bounce =
                        Some((new_id, from, what.starts_with("sender "), notice_name(what)));
                }
                Kind::Removed => {
                    m.removed = true;
                    finish = true;
                }
                Kind::Super(a) => match a {
                    SuperAction::Held => m.held = true,
                    SuperAction::Released => m.held = false,
                    SuperAction::Requeued => m.requeued = true,
                    SuperAction::Expired => {}
                    SuperAction::Removed => {
                        deleted_now = !m.deleted;
                        m.removed = true;
                        m.deleted = true;
                        finish = true;
                    }
                },
                Kind::Reject {
                    stage,
                    reply,
                    from,
                    to,
                    milter,
                } => {
                    let o = reject_outcome(
                        time,
                        Some(id.clone()),
                        stage.into(),
                        reply.into(),
                        from.map(Into::into),
                        to.map(Into::into),
                        milter,
                    );
                    m.rejected = o.category;
                    new_outcomes.push(o);
                }
                Kind::Hold { what, from, to } => {
                    // waiting for a person, not failed: the row says where it is and why
                    m.held = true;
                    if m.from.is_none() {
                        m.from = from.map(Into::into);
                    }
                    new_outcomes.push(Outcome {
                        seq: 0,
                        time,
                        queue_id: Some(id.clone()),
                        status: RowStatus::Held,
                        category: Some(Category::Held),
                        from: m.from.clone(),
                        to: to.map(Into::into).unwrap_or_default(),
                        relay: Clean::default(),
                        dsn: Clean::default(),
                        // the rule's words are clean once made a Clean: joined, not escaped again
                        reason: {
                            let mut r = Clean::new("held by a HOLD rule until released: ");
                            r.push_clean(&what.into());
                            r
                        },
                        ses: None,
                        bounce_of: m.bounce_of.clone(),
                        notice_for: None,
                    });
                }
                Kind::Discard { what, from, to } => {
                    // dropped on purpose, and gone: no `removed` line follows (a `message-id`
                    // line may, so the message stays open to it until evicted as finished)
                    if m.from.is_none() {
                        m.from = from.map(Into::into);
                    }
                    m.lost = true;
                    finish = true;
                    new_outcomes.push(discard_outcome(
                        time,
                        Some(id.clone()),
                        what.into(),
                        m.from.clone(),
                        to.map(Into::into),
                    ));
                }
                Kind::SaslWarning(_) | Kind::TlsWarning(_) | Kind::Warning(_) | Kind::Other => {}
            }
            // deleted after some recipients had their final status: the others are the
            // deletion's (those deferred by name; qmgr's nrcpt counts those never tried too)
            let unfinished = m.waiting.len().max(
                m.nrcpt
                    .map_or(0, |n| (n as usize).saturating_sub(m.finals.len())),
            );
            let partly = deleted_now && !m.finals.is_empty() && unfinished > 0;
            if partly && !m.lost && !m.requeued && !m.expired {
                let mut reason = Clean::new(&format!(
                    "deleted with postsuper -d after {} of its recipients had a final status, \
                     before one for {unfinished} more",
                    m.finals.len()
                ));
                for (i, r) in m.waiting.iter().take(3).enumerate() {
                    reason.push(if i == 0 { ": " } else { ", " });
                    reason.push_clean(r);
                }
                if m.waiting.len() > 3 {
                    reason.push(&format!(" and {} more", m.waiting.len() - 3));
                }
                reason.push("; the sender was not told");
                new_outcomes.push(Outcome {
                    seq: 0,
                    time,
                    queue_id: Some(id.clone()),
                    status: RowStatus::Deleted,
                    category: Some(Category::Deleted),
                    from: m.from.clone(),
                    to: m.waiting.first().cloned().unwrap_or_default(),
                    relay: Clean::default(),
                    dsn: Clean::default(),
                    reason,
                    ses: None,
                    bounce_of: m.bounce_of.clone(),
                    notice_for: None,
                });
            }
            if finish
                && !m.lost
                && (deleted_now || !m.deleted)
                && !m.requeued
                && m.from.is_some()
                && m.finals.is_empty()
                && !m.expired
            {
                // A deletion is someone's choice (spam cleared out of the queue, the Queue
                // pane's delete): still never delivered and the sender not told, but its own
                // row, not lost mail. The message's state says Deleted, from `deleted`.
                let (status, category, why) = if m.deleted {
                    (
                        RowStatus::Deleted,
                        Category::Deleted,
                        "deleted with postsuper -d before any final delivery; the sender was not told",
                    )
                } else {
                    m.lost = true;
                    (
                        RowStatus::Lost,
                        Category::Lost,
                        "removed from the queue with no final delivery status logged",
                    )
                };
                new_outcomes.push(Outcome {
                    seq: 0,
                    time,
                    queue_id: Some(id.clone()),
                    status,
                    category: Some(category),
                    from: m.from.clone(),
                    to: m
                        .last_attempt
                        .as_ref()
                        .map(|a| a.to.clone())
                        .unwrap_or_default(),
                    relay: Clean::default(),
                    dsn: Clean::default(),
                    reason: Clean::new(why),
                    ses: None,
                    bounce_of: m.bounce_of.clone(),
                    notice_for: None,
                });
            }
        }
        if let Some((new_id, from, to_sender, name)) = link_bounce {
            let generation = self.next_generation;
            let n = self
                .messages
                .entry(new_id.clone())
                .or_insert_with(|| Box::new(Message::new(new_id.clone(), generation, time)));
            n.bounce_of = Some(id.clone());
            n.notice_for = from;
            n.to_sender = to_sender;
            n.non_delivery = name == BOUNCE_NOTICE;
            n.notice_name = name;
            if n.generation == generation {
                self.next_generation += 1;
                self.created.push_back((new_id, generation));
            }
        }
        if let Some(orig) = link_requeue
            && let Some(o) = self.messages.get_mut(&orig)
        {
            o.requeued = true;
            o.requeued_to = Some(id.clone());
        }
        if finish {
            let generation = self.messages.get(&id).map(|m| m.generation).unwrap_or(0);
            self.finished.push_back((id, generation));
            while self.finished.len() > self.limits.finished {
                if let Some((old, g)) = self.finished.pop_front()
                    && self.messages.get(&old).is_some_and(|m| m.generation == g)
                {
                    self.messages.remove(&old);
                }
            }
        }
        for o in &mut new_outcomes {
            self.record_outcome(o);
        }
        res.outcomes = new_outcomes;
        self.since_sweep += 1;
        if self.messages.len() > self.limits.live + self.limits.finished {
            self.evict_oldest();
        }
        if self.since_sweep >= 65_536 {
            self.sweep();
        }
        res
    }

    fn ingest_unqueued<S: Text>(&mut self, line: LogLine<S>, res: &mut Ingested) {
        let time = line.time;
        match line.kind {
            Kind::Reject {
                stage,
                reply,
                from,
                to,
                milter,
            } => {
                let o = reject_outcome(
                    time,
                    None,
                    stage.into(),
                    reply.into(),
                    from.map(Into::into),
                    to.map(Into::into),
                    milter,
                );
                self.push_outcome(o, res);
            }
            Kind::Discard { what, from, to } => {
                let o = discard_outcome(
                    time,
                    None,
                    what.into(),
                    from.map(Into::into),
                    to.map(Into::into),
                );
                self.push_outcome(o, res);
            }
            Kind::SaslWarning(t) => self.push_warning(time, Category::SesCredentials, t.into()),
            Kind::TlsWarning(t) => self.push_warning(time, Category::Tls, t.into()),
            Kind::Warning(t) => self.push_warning(time, Category::Other, t.into()),
            _ => {}
        }
    }

    fn push_warning(&mut self, time: DateTime<FixedOffset>, category: Category, text: Clean) {
        let category = if category == Category::SesCredentials
            && text.to_ascii_lowercase().contains("no mechanism")
        {
            Category::SaslNoMechanism
        } else {
            category
        };
        if self.limits.warnings == 0 {
            return;
        }
        self.warnings.push_back(Warning {
            time,
            category,
            text,
        });
        while self.warnings.len() > self.limits.warnings {
            self.warnings.pop_front();
        }
    }

    fn push_outcome(&mut self, mut o: Outcome, res: &mut Ingested) {
        self.record_outcome(&mut o);
        res.outcomes.push(o);
    }

    /// Number a new outcome, count it and keep a copy (within [`Limits::outcomes`]).
    fn record_outcome(&mut self, o: &mut Outcome) {
        o.seq = self.next_seq;
        self.next_seq += 1;
        if o.status == RowStatus::Lost {
            self.lost_total += 1;
        }
        if let Some((senders, totals)) = &mut self.tallies {
            // a lost notice is lost mail of the sender whose mail it was the notice of
            let owner = o.notice_for.as_deref();
            senders.record_for(o, owner);
            totals.record(o);
        }
        if self.limits.outcomes > 0 {
            self.outcomes.push_back(o.clone());
            while self.outcomes.len() > self.limits.outcomes {
                self.outcomes.pop_front();
            }
        }
    }

    /// Drop messages not heard of for `stale_after`, and the oldest live ones over the cap.
    fn sweep(&mut self) {
        self.since_sweep = 0;
        let Some(latest) = self.latest else { return };
        let cutoff = latest - self.limits.stale_after;
        self.messages.retain(|_, m| m.last >= cutoff);
        let messages = &self.messages;
        let alive = |(id, g): &(QueueId, u64)| messages.get(id).is_some_and(|m| m.generation == *g);
        self.finished.retain(alive);
        self.created.retain(alive);
    }

    /// Over the cap: drop the oldest messages by creation (a tenth of the cap at once).
    fn evict_oldest(&mut self) {
        let cap = self.limits.live + self.limits.finished;
        let target = cap - cap / 10;
        while self.messages.len() > target {
            let Some((id, g)) = self.created.pop_front() else {
                break;
            };
            if self.messages.get(&id).is_some_and(|m| m.generation == g) {
                self.messages.remove(&id);
            }
        }
        if self.created.len() > 2 * cap.max(1024) {
            let messages = &self.messages;
            self.created
                .retain(|(id, g)| messages.get(id).is_some_and(|m| m.generation == *g));
        }
    }
}

fn reject_outcome(
    time: DateTime<FixedOffset>,
    queue_id: Option<QueueId>,
    stage: Clean,
    reply: Clean,
    from: Option<Clean>,
    to: Option<Clean>,
    milter: bool,
) -> Outcome {
    // cleanup's content rules name what they matched first: `header Subject: ...`, `body ...`
    let content_rule = ["header ", "body ", "mime-header ", "nested-header "]
        .iter()
        .any(|p| stage.starts_with(p));
    let category = if milter {
        Category::MilterReject
    } else if content_rule {
        Category::ContentRule
    } else if reply.to_ascii_lowercase().contains("relay access denied") {
        Category::RelayDenied
    } else {
        Category::Rejected
    };
    // smtpd's reply starts with its code (`554 5.7.1 ...`), a cleanup rule's with the dsn
    let dsn = reply
        .split_whitespace()
        .take(2)
        .find(|d| d.len() >= 5 && d.as_bytes()[1] == b'.' && d.starts_with(['2', '4', '5']))
        .unwrap_or("");
    Outcome {
        seq: 0,
        time,
        queue_id,
        status: RowStatus::Rejected,
        category: Some(category),
        from,
        to: to.unwrap_or_default(),
        relay: stage,
        dsn: Clean::new(dsn),
        reason: reply,
        ses: None,
        bounce_of: None,
        notice_for: None,
    }
}

const BOUNCE_NOTICE: &str = "bounce notification";

/// What the bounce daemon's `... notification: NEWID` line made, in words, from what it says
/// before `notification`: `sender non-delivery` (or `postmaster non-delivery`), `sender delay`,
/// `sender delivery status` (a success notice, NOTIFY=SUCCESS).
fn notice_name(what: &str) -> &'static str {
    if what.ends_with("non-delivery") {
        BOUNCE_NOTICE
    } else if what.ends_with("delay") {
        "delay warning"
    } else if what.ends_with("delivery status") {
        "delivery report"
    } else {
        "notification"
    }
}

/// The lost row of bounce notification `m` that `failed` (`... to <rcpt>: reply`): `o`, the
/// notification's own final row, with the original's id in its words and the sender it was for.
/// The address and the reply are clean already: joined as they are.
fn lost_notice(o: &Outcome, m: &Message, failed: &str, reply: &Clean) -> Outcome {
    let mut reason = Clean::new(&format!(
        "the bounce notification for {} {failed} <",
        m.bounce_of.as_ref().map(|b| b.as_str()).unwrap_or("?"),
    ));
    // a notification to the sender goes to the sender it is for
    let notice_for = m
        .notice_for
        .clone()
        .or_else(|| (m.to_sender && !o.to.is_empty()).then(|| o.to.clone()));
    reason.push_clean(&o.to);
    reason.push(">");
    if !reply.is_empty() {
        reason.push(": ");
        reason.push_clean(reply);
    }
    Outcome {
        status: RowStatus::Lost,
        category: Some(Category::Lost),
        reason,
        notice_for,
        ..o.clone()
    }
}

/// A message a DISCARD rule dropped: lost to its recipients, and nobody is told.
fn discard_outcome(
    time: DateTime<FixedOffset>,
    queue_id: Option<QueueId>,
    what: Clean,
    from: Option<Clean>,
    to: Option<Clean>,
) -> Outcome {
    Outcome {
        seq: 0,
        time,
        queue_id,
        status: RowStatus::Lost,
        category: Some(Category::Discarded),
        from,
        to: to.unwrap_or_default(),
        relay: Clean::default(),
        dsn: Clean::default(),
        reason: {
            let mut r = Clean::new("discarded by a DISCARD rule, the sender not told: ");
            r.push_clean(&what);
            r
        },
        ses: None,
        bounce_of: None,
        notice_for: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::log::parse::{YearGuess, parse_line};
    use chrono::{NaiveDate, TimeZone};

    fn feed(log: &mut MailLog, text: &str) {
        let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        for l in text.lines() {
            if let Some(p) = parse_line(l, &mut y) {
                log.ingest(p);
            }
        }
    }

    #[test]
    fn one_line_from_the_future_does_not_sweep_the_messages_in_flight() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "2026-11-27T10:00:00+00:00 mx postfix/pickup[1]: AAAA000001: uid=0 from=<app@example.com>
2026-11-27T10:00:00+00:00 mx postfix/qmgr[3]: AAAA000001: from=<app@example.com>, size=1, nrcpt=1 (queue active)
2031-06-01T00:00:00+00:00 mx postfix/anvil[9]: statistics: max connection rate 1/60s for (smtp:192.0.2.1) at Jun  1 00:00:00
2026-11-27T10:00:01+00:00 mx postfix/cleanup[2]: BBBB000002: message-id=<1@mx>",
        );
        let at = |t: &str| Some(DateTime::parse_from_rfc3339(t).unwrap());
        assert_eq!(log.latest(), at("2026-11-27T10:00:01+00:00"));
        // enough lines for a stale sweep, which measures staleness from `latest`
        let filler =
            "2026-11-27T10:00:02+00:00 mx postfix/cleanup[2]: BBBB000002: message-id=<1@mx>\n"
                .repeat(65_536);
        feed(&mut log, &filler);
        feed(
            &mut log,
            "2026-11-27T10:00:03+00:00 mx postfix/smtp[4]: AAAA000001: to=<a@example.net>, relay=x[192.0.2.2]:25, delay=3, delays=1/0/1/1, dsn=2.0.0, status=sent (250 Ok)",
        );
        let o = log.outcomes().back().unwrap();
        assert_eq!(o.status, RowStatus::Sent);
        assert_eq!(
            o.from.as_deref(),
            Some("app@example.com"),
            "the message was swept as stale"
        );
    }

    #[test]
    fn a_host_back_after_a_long_silence_moves_on() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "2026-01-05T10:00:00+00:00 mx postfix/anvil[9]: statistics: a
2026-11-27T10:00:00+00:00 mx postfix/anvil[9]: statistics: b",
        );
        let at = |t: &str| Some(DateTime::parse_from_rfc3339(t).unwrap());
        assert_eq!(
            log.latest(),
            at("2026-01-05T10:00:00+00:00"),
            "one line is not believed"
        );
        feed(
            &mut log,
            "2026-11-27T10:00:05+00:00 mx postfix/anvil[9]: statistics: c",
        );
        assert_eq!(log.latest(), at("2026-11-27T10:00:05+00:00"), "two are");
    }

    #[test]
    fn window_counts_split_the_last_hour_from_the_day() {
        let mut log = MailLog::default();
        let line = |t: &str, id: &str, status: &str, reply: &str| {
            format!(
                "Nov 27 {t} mx postfix/smtp[2]: {id}: to=<r@example.org>, relay=email-smtp.us-east-1.amazonaws.com[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=5.0.0, status={status} ({reply})\n"
            )
        };
        let unverified = "host x said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: a@example.com (in reply to end of DATA command)";
        let text = [
            line("01:00:00", "1A2B3C0001", "bounced", unverified),
            line("10:00:00", "1A2B3C0002", "sent", "250 Ok"),
            line("10:30:00", "1A2B3C0003", "bounced", unverified),
            line("11:30:00", "1A2B3C0004", "bounced", unverified),
            line("11:40:00", "1A2B3C0005", "sent", "250 Ok"),
            line(
                "11:45:00",
                "1A2B3C0006",
                "bounced",
                "host x said: 550 5.1.1 <r@example.org>: Recipient address rejected: User unknown",
            ),
            // stamped after the time counted to (12:00): a clock that ran ahead
            line("13:30:00", "1A2B3C0007", "bounced", unverified),
        ]
        .concat();
        feed(&mut log, &text);
        let at = |h: u32| {
            chrono::Local
                .with_ymd_and_hms(2026, 11, 27, h, 0, 0)
                .unwrap()
                .fixed_offset()
        };
        // the hour from 11:00, the day from 02:00, at 12:00: the 01:00 bounce is in neither,
        // nor the one stamped 13:30, which is counted apart
        let c = log.window_counts(at(11), at(2), at(12));
        assert_eq!(c.ahead, 1);
        assert_eq!(
            c.recent_status,
            vec![(RowStatus::Sent, 1), (RowStatus::Bounced, 2)]
        );
        assert_eq!(
            c.older_status,
            vec![(RowStatus::Sent, 2), (RowStatus::Bounced, 3)]
        );
        assert_eq!(
            c.recent_categories,
            vec![
                (Category::SesSenderNotVerified, 1),
                (Category::RecipientUnknown, 1)
            ]
        );
        assert_eq!(
            c.older_categories,
            vec![
                (Category::SesSenderNotVerified, 2),
                (Category::RecipientUnknown, 1)
            ]
        );
    }

    #[test]
    fn window_counts_cover_more_than_the_table_keeps() {
        let mut log = MailLog::with_limits(Limits {
            outcomes: 5,
            ..Limits::default()
        });
        let text: String = (0..30)
            .map(|i| {
                format!(
                    "Nov 27 10:{i:02}:00 mx postfix/smtp[2]: 1A2B3C{i:04X}: to=<r@example.org>, relay=r[1.2.3.4]:25, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to r[1.2.3.4]:25: Connection timed out)\n"
                )
            })
            .collect();
        feed(&mut log, &text);
        assert_eq!(log.outcomes().len(), 5);
        let at = |h: u32, m: u32| {
            chrono::Local
                .with_ymd_and_hms(2026, 11, 27, h, m, 0)
                .unwrap()
                .fixed_offset()
        };
        let c = log.window_counts(at(10, 20), at(0, 0), at(10, 30));
        assert_eq!(c.ahead, 0);
        assert_eq!(c.recent_status, vec![(RowStatus::Deferred, 10)]);
        assert_eq!(c.older_status, vec![(RowStatus::Deferred, 30)]);
        assert_eq!(c.older_categories, vec![(Category::Connection, 30)]);
    }

    fn corpus() -> MailLog {
        let mut log = MailLog::default();
        feed(
            &mut log,
            include_str!("../../../tests/fixtures/maillog/corpus-3.7.log"),
        );
        log
    }

    #[test]
    fn corpus_outcomes_are_classified() {
        let log = corpus();
        let o = log.outcomes();
        let find = |to: &str, st: RowStatus| {
            o.iter()
                .find(|x| &*x.to == to && x.status == st)
                .unwrap_or_else(|| panic!("{to} {st:?}"))
        };
        let a = find("someone@example.com", RowStatus::Bounced);
        assert_eq!(a.category, Some(Category::SesSenderNotVerified));
        assert_eq!(a.from.as_deref(), Some("root@localhost"));
        assert_eq!(a.ses.as_ref().unwrap().identities, vec!["root@localhost"]);
        assert_eq!(
            find("bounce@example.com", RowStatus::Bounced).category,
            Some(Category::RecipientUnknown)
        );
        assert_eq!(
            find("x@example.com", RowStatus::Deferred).category,
            Some(Category::SesThrottling)
        );
        assert_eq!(find("ok@example.com", RowStatus::Sent).category, None);
        // the bounce notification 46106C8902 is linked to its original
        let n = find("root@localhost", RowStatus::Sent);
        assert_eq!(n.bounce_of.as_ref().map(|q| q.as_str()), Some("40A53C8900"));
        assert_eq!(n.from.as_deref(), Some(""));
    }

    #[test]
    fn history_includes_the_bounce() {
        let log = corpus();
        let h = log.history("40A53C8900");
        assert!(
            h.iter()
                .any(|l| l.contains("40A53C8900: to=<someone@example.com>"))
        );
        assert!(
            h.iter()
                .any(|l| l.contains("-- its bounce notification 46106C8902"))
        );
        assert!(
            h.iter()
                .any(|l| l.contains("46106C8902: to=<root@localhost>"))
        );
        assert!(log.history("FFFFFFFFFF").is_empty());
        assert!(log.history("not an id").is_empty());
    }

    #[test]
    fn final_status_and_sender_outcomes() {
        let log = corpus();
        assert_eq!(
            log.final_status("3F517C8902").unwrap().state,
            MessageState::Delivered
        );
        assert_eq!(
            log.final_status("40A53C8900").unwrap().state,
            MessageState::Returned
        );
        // deleted with postsuper -d while deferred (real Postfix 3.7 lines): deleted, not lost
        assert_eq!(
            log.final_status("45AF0C8907").unwrap().state,
            MessageState::Deleted
        );
        let gone: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| {
                o.queue_id
                    .as_ref()
                    .is_some_and(|q| q.as_str() == "45AF0C8907")
            })
            .map(|o| (o.status, o.category))
            .collect();
        assert_eq!(
            gone.last(),
            Some(&(RowStatus::Deleted, Some(Category::Deleted))),
            "{gone:?}"
        );
        assert!(!log.outcomes().iter().any(|o| o.status == RowStatus::Lost));
        assert_eq!(log.lost_total, 0);
        // The corpus is in syslog's format: times without a zone, read as
        // local time. Compare in local time, whatever the machine's zone.
        let local = |h, m| {
            chrono::Local
                .with_ymd_and_hms(2026, 11, 27, h, m, 0)
                .unwrap()
                .fixed_offset()
        };
        let since = local(0, 0);
        let c = log.sender_outcomes("ROOT@localhost", since);
        assert_eq!(c.bounced, 1);
        let c = log.sender_outcomes("alice@example.com", since);
        assert_eq!(c.sent, 2);
        let c = log.sender_outcomes("carol@example.com", since);
        assert_eq!((c.lost, c.deleted), (0, 1));
        let later = local(19, 27);
        assert_eq!(log.sender_outcomes("alice@example.com", later).sent, 1);
    }

    const BOUNCE_OF_BOUNCE: &str = "\
Nov 27 10:00:00 mx postfix/pickup[1]: AAAA000001: uid=0 from=<root@mx.example.com>
Nov 27 10:00:00 mx postfix/cleanup[2]: AAAA000001: message-id=<1@mx>
Nov 27 10:00:00 mx postfix/qmgr[3]: AAAA000001: from=<root@mx.example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: AAAA000001: to=<ops@example.com>, relay=email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@mx.example.com (in reply to end of DATA command))
Nov 27 10:00:01 mx postfix/cleanup[2]: BBBB000002: message-id=<2@mx>
Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 10:00:01 mx postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/qmgr[3]: AAAA000001: removed
Nov 27 10:00:02 mx postfix/smtp[4]: BBBB000002: to=<root@mx.example.com>, relay=email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@mx.example.com (in reply to end of DATA command))
Nov 27 10:00:02 mx postfix/qmgr[3]: BBBB000002: removed
";

    /// A delay warning (`delay_warning_time`) or a success notice (`NOTIFY=SUCCESS`) that fails
    /// loses no mail: the message it tells of is still queued or was delivered. Only a
    /// non-delivery notification that fails leaves a sender untold of mail that is gone.
    #[test]
    fn a_failed_delay_or_success_notice_is_no_lost_mail() {
        let deferred = "dsn=4.4.1, status=deferred (connect to email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587: Connection timed out)";
        for what in [
            "sender delay notification",
            "sender delivery status notification",
        ] {
            let mut log = MailLog::default();
            let text = BOUNCE_OF_BOUNCE
                .replace("sender non-delivery notification", what)
                .replacen(
                    "dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@mx.example.com (in reply to end of DATA command))",
                    deferred,
                    1,
                )
                .replace("Nov 27 10:00:01 mx postfix/qmgr[3]: AAAA000001: removed\n", "");
            feed(&mut log, &text);
            assert!(
                log.outcomes().iter().all(|o| o.status != RowStatus::Lost),
                "{what}: {:?}",
                log.outcomes()
            );
            assert_eq!(log.lost_total, 0, "{what}");
            assert_ne!(
                log.final_status("BBBB000002").unwrap().state,
                MessageState::Lost,
                "{what}"
            );
        }
        // the non-delivery notice that follows when the original gives up, and fails too, is
        let mut log = MailLog::default();
        let text = BOUNCE_OF_BOUNCE.replace(
            "Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002",
            "Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender delay notification: CCCC000003\n\
             Nov 27 10:00:01 mx postfix/qmgr[3]: CCCC000003: from=<>, size=2000, nrcpt=1 (queue active)\n\
             Nov 27 10:00:01 mx postfix/smtp[4]: CCCC000003: to=<root@mx.example.com>, relay=none, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx[1.1.1.2] said: 550 5.1.1 user unknown (in reply to RCPT TO command))\n\
             Nov 27 10:00:01 mx postfix/qmgr[3]: CCCC000003: removed\n\
             Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002",
        );
        feed(&mut log, &text);
        let lost: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| o.status == RowStatus::Lost)
            .filter_map(|o| o.queue_id.as_ref().map(|q| q.to_string()))
            .collect();
        assert_eq!(lost, ["BBBB000002"]);
    }

    /// A message with a recipient bounced and others deferred gets a bounce notification, then
    /// a delay warning: it is known by its bounce, and each notice is named for what it is.
    #[test]
    fn a_delay_warning_is_named_so_and_does_not_hide_the_bounce() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "\
Nov 27 10:00:00 mx postfix/qmgr[3]: AAAA000001: from=<app@example.com>, size=300, nrcpt=2 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: AAAA000001: to=<gone@example.org>, relay=mx.example.org[192.0.2.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.7] said: 550 5.1.1 user unknown (in reply to RCPT TO command))
Nov 27 10:00:01 mx postfix/smtp[4]: AAAA000001: to=<slow@example.net>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.8]:25: Connection timed out)
Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 14:00:01 mx postfix/smtp[4]: AAAA000001: to=<slow@example.net>, relay=none, delay=14401, delays=14400/0/1/0, dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.8]:25: Connection timed out)
Nov 27 14:00:01 mx postfix/bounce[5]: AAAA000001: sender delay notification: CCCC000003
Nov 27 14:00:01 mx postfix/qmgr[3]: CCCC000003: from=<>, size=2000, nrcpt=1 (queue active)
",
        );
        let orig = log.history("AAAA000001");
        assert!(
            orig.iter()
                .any(|l| l.as_str() == "-- its bounce notification BBBB000002"),
            "{orig:?}"
        );
        let warning = log.history("CCCC000003");
        assert!(
            warning
                .iter()
                .any(|l| l.as_str() == "-- delay warning for AAAA000001, whose lines are"),
            "{warning:?}"
        );
    }

    /// A notification deferred until it expires is dropped by Postfix (there is nobody to return
    /// it to): lost, as one that bounces is, and its expiry does not claim a return.
    #[test]
    fn a_bounce_that_expires_undelivered_is_lost() {
        let mut log = MailLog::default();
        let text = BOUNCE_OF_BOUNCE
            .replace(
                "dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@mx.example.com (in reply to end of DATA command))\nNov 27 10:00:02 mx postfix/qmgr[3]: BBBB000002: removed",
                "dsn=4.4.1, status=deferred (connect to email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587: Connection timed out)\nDec  2 10:00:02 mx postfix/qmgr[3]: BBBB000002: from=<>, status=expired, returned to sender\nDec  2 10:00:02 mx postfix/qmgr[3]: BBBB000002: removed",
            );
        assert_ne!(text, BOUNCE_OF_BOUNCE);
        feed(&mut log, &text);
        let of_notice: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| {
                o.queue_id
                    .as_ref()
                    .is_some_and(|q| q.as_str() == "BBBB000002")
            })
            .filter(|o| o.status != RowStatus::Deferred)
            .map(|o| (o.status, o.reason.as_str()))
            .collect();
        assert_eq!(
            of_notice,
            vec![
                (
                    RowStatus::Expired,
                    "expired in the queue; a bounce notification is returned to nobody"
                ),
                (
                    RowStatus::Lost,
                    "the bounce notification for AAAA000001 expired in the queue, never \
                     delivered to <root@mx.example.com>: connect to \
                     email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587: Connection timed out"
                ),
            ],
            "in the order they happened, as a notification that bounces"
        );
        assert_eq!(
            log.final_status("BBBB000002").unwrap().state,
            MessageState::Lost
        );
        assert_eq!(log.lost_total, 1);
    }

    #[test]
    fn a_bounce_that_bounces_is_lost() {
        let mut log = MailLog::default();
        feed(&mut log, BOUNCE_OF_BOUNCE);
        let lost: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| o.status == RowStatus::Lost)
            .collect();
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].queue_id.as_ref().unwrap().as_str(), "BBBB000002");
        assert_eq!(lost[0].bounce_of.as_ref().unwrap().as_str(), "AAAA000001");
        assert!(
            lost[0]
                .reason
                .contains("bounce notification for AAAA000001")
        );
        assert_eq!(
            log.final_status("BBBB000002").unwrap().state,
            MessageState::Lost
        );
        assert_eq!(log.lost_total, 1);
    }

    /// A bounce notice's history holds the lines of the mail it was the notice of: who sent it,
    /// to whom, and why it failed.
    #[test]
    fn a_bounce_notices_history_shows_the_mail_it_was_for() {
        let mut log = MailLog::default();
        feed(&mut log, BOUNCE_OF_BOUNCE);
        let h: Vec<String> = log
            .history("BBBB000002")
            .iter()
            .map(|l| l.to_string())
            .collect();
        let head = h
            .iter()
            .position(|l| l == "-- bounce notification for AAAA000001, whose lines are")
            .unwrap_or_else(|| panic!("{h:#?}"));
        assert!(
            h[head..]
                .iter()
                .any(|l| l.contains("AAAA000001: to=<ops@example.com>")
                    && l.contains("status=bounced")),
            "{h:#?}"
        );
    }

    #[test]
    fn queue_id_reuse_starts_a_new_message() {
        let mut log = MailLog::default();
        feed(&mut log, BOUNCE_OF_BOUNCE);
        feed(
            &mut log,
            "Nov 27 11:00:00 mx postfix/pickup[1]: AAAA000001: uid=0 from=<web@example.com>
Nov 27 11:00:00 mx postfix/qmgr[3]: AAAA000001: from=<web@example.com>, size=300, nrcpt=1 (queue active)",
        );
        let m = log.message(&QueueId::parse("AAAA000001").unwrap()).unwrap();
        assert_eq!(m.from.as_deref(), Some("web@example.com"));
        assert_eq!(m.state(), MessageState::Queued);
        assert_eq!(m.lines.len(), 2);
        assert!(m.notification.is_none());
    }

    #[test]
    fn requeue_links_old_and_new_ids() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "Nov 27 11:00:00 mx postfix/pickup[1]: CCCC000001: uid=0 from=<web@example.com>
Nov 27 11:00:00 mx postfix/qmgr[3]: CCCC000001: from=<web@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 11:00:01 mx postfix/smtp[4]: CCCC000001: to=<a@example.net>, relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:25: Connection refused)
Nov 27 11:00:05 mx postfix/postsuper[9]: CCCC000001: requeued
Nov 27 11:00:06 mx postfix/pickup[1]: DDDD000002: uid=0 from=<web@example.com> orig_id=CCCC000001
Nov 27 11:00:06 mx postfix/qmgr[3]: DDDD000002: from=<web@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 11:00:07 mx postfix/smtp[4]: DDDD000002: to=<a@example.net>, relay=x[1.1.1.1]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 Ok)
Nov 27 11:00:07 mx postfix/qmgr[3]: DDDD000002: removed",
        );
        assert_eq!(
            log.final_status("CCCC000001").unwrap().state,
            MessageState::Requeued
        );
        assert_eq!(
            log.final_status("CCCC000001")
                .unwrap()
                .requeued_to
                .unwrap()
                .as_str(),
            "DDDD000002"
        );
        let h = log.history("CCCC000001");
        assert!(h.iter().any(|l| l.contains("-- requeued as DDDD000002")));
        assert!(
            h.iter()
                .any(|l| l.contains("DDDD000002: to=<a@example.net>") && l.contains("status=sent"))
        );
        assert_eq!(
            log.final_status("DDDD000002").unwrap().state,
            MessageState::Delivered
        );
        assert!(!log.outcomes().iter().any(|o| o.status == RowStatus::Lost));
    }

    /// A notice to the postmaster that fails long after the mail it was for left the queue, and
    /// after the model forgot that mail (a notice can wait days to expire): it still says whose
    /// mail it was, from what the model knew when the notice was made.
    #[test]
    fn a_lost_notice_keeps_its_sender_after_the_mail_it_was_for_is_forgotten() {
        let limits = Limits {
            finished: 50,
            live: 50,
            ..Limits::default()
        };
        let mut log = MailLog::with_limits(limits);
        feed(
            &mut log,
            "Nov 27 10:00:00 mx postfix/qmgr[3]: AAAA000001: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: AAAA000001: to=<ops@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))
Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: postmaster non-delivery notification: BBBB000002
Nov 27 10:00:01 mx postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/qmgr[3]: AAAA000001: removed",
        );
        let mut busy = String::new();
        for i in 0..100u32 {
            let id = format!("{:010X}", i + 0x100000);
            busy += &format!(
                "Nov 27 10:01:00 mx postfix/qmgr[3]: {id}: from=<web@example.com>, size=1, nrcpt=1 (queue active)
Nov 27 10:01:00 mx postfix/smtp[4]: {id}: to=<b@example.net>, relay=r, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 Ok)
Nov 27 10:01:00 mx postfix/qmgr[3]: {id}: removed
"
            );
        }
        feed(&mut log, busy.trim_end());
        let original = QueueId::parse("AAAA000001").unwrap();
        assert!(log.message(&original).is_none(), "still held");
        feed(
            &mut log,
            "Nov 27 10:02:00 mx postfix/smtp[4]: BBBB000002: to=<postmaster@mx.example.com>, relay=mx.example.com[192.0.2.3]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.3] said: 550 5.1.1 User unknown (in reply to RCPT TO command))",
        );
        let lost: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| o.status == RowStatus::Lost)
            .collect();
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert_eq!(lost[0].notice_for.as_deref(), Some("app@example.com"));
        // and the tally counts it as app's lost mail
        let since = chrono::Local
            .with_ymd_and_hms(2026, 11, 26, 0, 0, 0)
            .unwrap()
            .fixed_offset();
        let app = log.sender_outcomes("app@example.com", since);
        assert_eq!((app.lost, app.lost_notices), (1, 1), "{app:?}");
        assert_eq!(log.sender_outcomes("", since).lost, 0);
    }

    #[test]
    fn memory_stays_bounded() {
        let limits = Limits {
            outcomes: 100,
            finished: 50,
            live: 50,
            lines_per_message: 4,
            ..Limits::default()
        };
        let mut log = MailLog::with_limits(limits);
        let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        for i in 0..5000u32 {
            let id = format!("{:010X}", i + 0x100000);
            for l in [
                format!(
                    "Nov 27 10:00:00 mx postfix/qmgr[3]: {id}: from=<a{i}@example.com>, size=1, nrcpt=1 (queue active)"
                ),
                format!(
                    "Nov 27 10:00:00 mx postfix/smtp[4]: {id}: to=<b@example.net>, relay=r, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 Ok)"
                ),
                format!("Nov 27 10:00:00 mx postfix/qmgr[3]: {id}: removed"),
            ] {
                log.ingest(parse_line(&l, &mut y).unwrap());
            }
            // half never get removed: stale/live cap must hold them
            let live = format!("{:010X}", i + 0x900000);
            log.ingest(parse_line(&format!("Nov 27 10:00:00 mx postfix/qmgr[3]: {live}: from=<x@example.com>, size=1, nrcpt=1 (queue active)"), &mut y).unwrap());
        }
        assert!(log.tracked() <= 100, "{}", log.tracked());
        assert!(log.outcomes().len() <= 100);
        assert!(log.finished.len() <= 50);
    }

    /// Spam cleared out of the deferred queue with `postsuper -d`, next to a message that left
    /// the queue with no final status and none of postsuper's doing.
    const DELETED_AND_LOST: &str = "\
Nov 27 10:00:00 mx postfix/qmgr[3]: DDDD000001: from=<spam@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: DDDD000001: to=<x@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.7.1 try again later (in reply to RCPT TO command))
Nov 27 10:00:02 mx postfix/qmgr[3]: EEEE000002: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:03 mx postfix/qmgr[3]: EEEE000002: removed
Nov 27 10:05:00 mx postfix/postsuper[9]: DDDD000001: removed
Nov 27 10:05:00 mx postfix/postsuper[9]: Deleted: 1 message
";

    #[test]
    fn a_message_deleted_after_some_recipients_were_delivered_names_the_others() {
        // three recipients: one delivered, two deferred, then the message deleted
        let mut log = MailLog::default();
        feed(
            &mut log,
            "\
Nov 27 10:00:00 mx postfix/qmgr[3]: FFFF000003: from=<app@example.com>, size=300, nrcpt=3 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: FFFF000003: to=<ann@example.org>, relay=mx.example.org[192.0.2.2]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)
Nov 27 10:00:01 mx postfix/smtp[5]: FFFF000003: to=<bob@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.7.1 try again later (in reply to RCPT TO command))
Nov 27 10:00:01 mx postfix/smtp[5]: FFFF000003: to=<cy@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.7.1 try again later (in reply to RCPT TO command))
Nov 27 10:05:00 mx postfix/postsuper[9]: FFFF000003: removed
Nov 27 10:05:00 mx postfix/postsuper[9]: Deleted: 1 message
",
        );
        let deleted: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| o.status == RowStatus::Deleted)
            .collect();
        assert_eq!(deleted.len(), 1, "one row for the message: {deleted:?}");
        let d = deleted[0];
        assert_eq!(d.category, Some(Category::Deleted));
        assert_eq!(d.from.as_deref(), Some("app@example.com"));
        assert_eq!(d.to.as_str(), "bob@example.net");
        assert_eq!(
            d.reason.as_str(),
            "deleted with postsuper -d after 1 of its recipients had a final status, before one \
             for 2 more: bob@example.net, cy@example.net; the sender was not told"
        );
        assert_eq!(
            log.final_status("FFFF000003").unwrap().state,
            MessageState::Deleted
        );
        // every recipient delivered, then deleted (nothing left): no row
        let mut log = MailLog::default();
        feed(
            &mut log,
            "\
Nov 27 10:00:00 mx postfix/qmgr[3]: FFFF000004: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:01 mx postfix/smtp[4]: FFFF000004: to=<ann@example.org>, relay=mx.example.org[192.0.2.2]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)
Nov 27 10:05:00 mx postfix/postsuper[9]: FFFF000004: removed
",
        );
        assert!(
            log.outcomes().iter().all(|o| o.status == RowStatus::Sent),
            "{:?}",
            log.outcomes()
        );
    }

    #[test]
    fn a_message_deleted_with_postsuper_is_deleted_not_lost() {
        let mut log = MailLog::default();
        feed(&mut log, DELETED_AND_LOST);
        let gone: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| o.status != RowStatus::Deferred)
            .map(|o| {
                (
                    o.queue_id.as_ref().unwrap().to_string(),
                    o.status,
                    o.category,
                )
            })
            .collect();
        assert_eq!(
            gone,
            [
                (
                    "EEEE000002".to_string(),
                    RowStatus::Lost,
                    Some(Category::Lost)
                ),
                (
                    "DDDD000001".to_string(),
                    RowStatus::Deleted,
                    Some(Category::Deleted)
                ),
            ]
        );
        let d = log.outcomes().back().unwrap();
        assert_eq!(d.from.as_deref(), Some("spam@example.com"));
        assert_eq!(d.to.as_str(), "x@example.net");
        assert!(d.reason.contains("postsuper -d"), "{}", d.reason);
        assert!(d.reason.contains("the sender was not told"), "{}", d.reason);
        assert_eq!(
            log.final_status("DDDD000001").unwrap().state,
            MessageState::Deleted
        );
        assert_eq!(
            log.final_status("EEEE000002").unwrap().state,
            MessageState::Lost
        );
        // only the mail that vanished is lost mail
        assert_eq!(log.lost_total, 1);
        let since = DateTime::parse_from_rfc3339("2026-01-01T00:00:00+00:00").unwrap();
        let spam = log.sender_outcomes("spam@example.com", since);
        assert_eq!((spam.deferred, spam.lost, spam.deleted), (1, 0, 1));
        let app = log.sender_outcomes("app@example.com", since);
        assert_eq!((app.lost, app.deleted), (1, 0));
        // the deletion is no problem of the sender's: the latest problem stays the deferral
        let t = &log.sender_tallies(since).unwrap()["spam@example.com"];
        assert_eq!(
            t.last_problem.as_ref().map(|p| p.0),
            Some(RowStatus::Deferred)
        );
        // the pane's day counts tell the two apart
        let c = log.window_counts(since, since, since + Duration::days(3650));
        assert!(c.recent_status.contains(&(RowStatus::Lost, 1)), "{c:?}");
        assert!(c.recent_status.contains(&(RowStatus::Deleted, 1)), "{c:?}");
        assert!(
            c.recent_categories.contains(&(Category::Deleted, 1)),
            "{c:?}"
        );
    }

    #[test]
    fn a_discarded_message_is_lost_and_says_which_rule() {
        let mut log = MailLog::default();
        // cleanup may still name the message after the rule matched (the last line)
        feed(
            &mut log,
            "Dec  4 22:50:41 mx postfix/pickup[1]: 4F46C98E0E3: uid=0 from=<app@example.com>
Dec  4 22:50:41 mx postfix/cleanup[2]: 4F46C98E0E3: discard: header Subject: win a prize from local; from=<app@example.com> to=<ann@example.org>: spam rule
Dec  4 22:50:41 mx postfix/cleanup[2]: 4F46C98E0E3: message-id=<1@mx>",
        );
        assert_eq!(log.outcomes().len(), 1, "{:?}", log.outcomes());
        let o = &log.outcomes()[0];
        assert_eq!(o.status, RowStatus::Lost);
        assert_eq!(o.category, Some(Category::Discarded));
        assert_eq!(o.from.as_deref(), Some("app@example.com"));
        assert_eq!(o.to.as_str(), "ann@example.org");
        assert!(o.reason.ends_with("header Subject: win a prize from local; from=<app@example.com> to=<ann@example.org>: spam rule"), "{}", o.reason);
        let m = log
            .message(&QueueId::parse("4F46C98E0E3").unwrap())
            .unwrap();
        assert_eq!(m.state(), MessageState::Lost);
        assert_eq!(
            m.lines.len(),
            3,
            "the message-id line joins the same message"
        );
        // without a queue id (smtpd, before the first recipient was accepted)
        feed(
            &mut log,
            "Dec  4 22:51:00 mx postfix/smtpd[3]: NOQUEUE: discard: RCPT from unknown[192.0.2.9]: <bulk@spam.example>: Sender address triggers DISCARD action; from=<bulk@spam.example> to=<ann@example.org> proto=ESMTP helo=<x>",
        );
        let o = log.outcomes().back().unwrap();
        assert_eq!(
            (o.status, o.category),
            (RowStatus::Lost, Some(Category::Discarded))
        );
        assert_eq!(o.from.as_deref(), Some("bulk@spam.example"));
        assert_eq!(o.queue_id, None);
        // no earlier line named the sender: the attribute list does, not the header that matched
        feed(
            &mut log,
            "Dec  4 22:52:00 mx postfix/cleanup[2]: 5A0B198E0E4: discard: header Subject: to=<x@evil.example> from=<x@evil.example> from local; from=<app@example.com> to=<bob@example.org>: spam rule",
        );
        let o = log.outcomes().back().unwrap();
        assert_eq!(o.from.as_deref(), Some("app@example.com"));
        assert_eq!(o.to.as_str(), "bob@example.org");
    }

    #[test]
    fn a_milter_reject_is_a_rejection_and_a_hold_rule_holds() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "Dec  4 22:50:41 mx postfix/smtpd[1]: NOQUEUE: milter-reject: CONNECT from localhost[127.0.0.1]: 550 5.5.0 Service unavailable; proto=SMTP",
        );
        let o = &log.outcomes()[0];
        assert_eq!(
            (o.status, o.category),
            (RowStatus::Rejected, Some(Category::MilterReject))
        );
        assert_eq!(o.reason.as_str(), "550 5.5.0 Service unavailable");
        assert_eq!(o.relay.as_str(), "CONNECT from localhost[127.0.0.1]");
        assert_eq!(o.dsn.as_str(), "5.5.0");
        feed(
            &mut log,
            "Dec  4 22:50:42 mx postfix/pickup[1]: 538E198E0E3: uid=0 from=<app@example.com>
Dec  4 22:50:42 mx postfix/cleanup[2]: 538E198E0E3: hold: header Subject: review me from local; from=<app@example.com> to=<ann@example.org>: held for review",
        );
        let m = log
            .message(&QueueId::parse("538E198E0E3").unwrap())
            .unwrap();
        assert!(m.held);
        assert_eq!(m.state(), MessageState::Queued);
        // held: a row that says so, of its own status, naming the rule
        let o = &log.outcomes()[1];
        assert_eq!(
            (o.status, o.category),
            (RowStatus::Held, Some(Category::Held))
        );
        assert_eq!(o.queue_id.as_ref().map(|q| q.as_str()), Some("538E198E0E3"));
        assert_eq!(o.from.as_deref(), Some("app@example.com"));
        assert_eq!(o.to.as_str(), "ann@example.org");
        assert!(
            o.reason
                .starts_with("held by a HOLD rule until released: header Subject: review me"),
            "{o:?}"
        );
        assert!(o.reason.ends_with(": held for review"), "{o:?}");
        assert!(Category::Held.remedy().contains("postsuper -H"));
    }

    #[test]
    fn a_discarded_or_lost_rows_reason_is_escaped_once() {
        // an ESC byte and the two characters `\e`, joined into opsdeck's own sentence: each
        // shown as it is in the line's own escapes, not escaped a second time
        let mut log = MailLog::default();
        feed(
            &mut log,
            "Dec  4 22:52:00 mx postfix/cleanup[2]: 5A0B198E0E4: discard: header Subject: \u{1b}[31mred and \\e[0m from local; from=<app@example.com> to=<bob@example.org>: spam rule
Dec  4 22:52:01 mx postfix/bounce[5]: 5A0B198E0E3: sender non-delivery notification: 5A0B198E0E5
Dec  4 22:52:01 mx postfix/qmgr[3]: 5A0B198E0E5: from=<>, size=10, nrcpt=1 (queue active)
Dec  4 22:52:02 mx postfix/smtp[4]: 5A0B198E0E5: to=<app@example.com>, relay=none, delay=1, delays=1/0/0/0, dsn=5.0.0, status=bounced (no \u{1b}[2J but \\e[2J)",
        );
        let discarded = &log.outcomes()[0];
        assert!(
            discarded
                .reason
                .contains(r"header Subject: \e[31mred and \\e[0m from local"),
            "{discarded:?}"
        );
        let lost = log.outcomes().back().unwrap();
        assert_eq!(lost.status, RowStatus::Lost);
        // a HOLD rule's words are said the same way
        feed(
            &mut log,
            "Dec  4 22:53:00 mx postfix/cleanup[2]: 5A0B198E0E6: hold: header Subject: \u{1b}[31mred and \\e[0m from local; from=<app@example.com> to=<bob@example.org>: held for review",
        );
        let held = log.outcomes().back().unwrap();
        assert_eq!(held.status, RowStatus::Held);
        assert_eq!(
            held.reason.as_str(),
            r"held by a HOLD rule until released: header Subject: \e[31mred and \\e[0m from local; from=<app@example.com> to=<bob@example.org>: held for review"
        );
        let lost = log
            .outcomes()
            .iter()
            .rev()
            .find(|o| o.status == RowStatus::Lost)
            .unwrap();
        assert_eq!(
            lost.reason.as_str(),
            r"the bounce notification for 5A0B198E0E3 could not be delivered to <app@example.com>: no \e[2J but \\e[2J"
        );
    }

    #[test]
    fn cleanup_rules_and_milters_are_named_as_this_hosts_own() {
        let mut log = MailLog::default();
        // a header rule on mail submitted here, and the bounce cleanup sends for it
        feed(
            &mut log,
            "Dec  6 12:56:37 mx postfix/pickup[5]: EEF7298C67D: uid=0 from=<app@example.com>
Dec  6 12:56:37 mx postfix/cleanup[6]: EEF7298C67D: reject: header Subject: reject-me from local; from=<app@example.com> to=<reject-me@example.org>: 5.7.1 content not wanted
Dec  6 12:56:37 mx postfix/cleanup[6]: EEF7298C67D: to=<reject-me@example.org>, relay=none, delay=0.03, delays=0.03/0/0/0, dsn=5.7.1, status=bounced (content not wanted)",
        );
        let rows: Vec<_> = log.outcomes().iter().collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            (rows[0].status, rows[0].category, rows[0].dsn.as_str()),
            (RowStatus::Rejected, Some(Category::ContentRule), "5.7.1")
        );
        assert_eq!(
            rows[0].relay.as_str(),
            "header Subject: reject-me from local"
        );
        assert_eq!(
            (rows[1].status, rows[1].category),
            (RowStatus::Bounced, Some(Category::ContentRule))
        );
        // a body rule on mail received over SMTP, and a milter at the end of the message
        feed(
            &mut log,
            "Dec  6 13:00:01 mx postfix/cleanup[6]: 4A1B298C67D: reject: body click http://x.example/ from mail.example.net[192.0.2.7]; from=<a@example.net> to=<b@example.com> proto=ESMTP helo=<mail.example.net>: 5.7.1 no links
Dec  6 13:00:02 mx postfix/cleanup[6]: 4B2C398C67D: milter-reject: END-OF-MESSAGE from mail.example.net[192.0.2.7]: 5.7.1 Rejected by DMARC policy; from=<a@example.net> to=<b@example.com> proto=ESMTP helo=<mail.example.net>",
        );
        let body = &log.outcomes()[2];
        assert_eq!(
            (body.status, body.category, body.dsn.as_str()),
            (RowStatus::Rejected, Some(Category::ContentRule), "5.7.1")
        );
        assert_eq!(body.reason.as_str(), "5.7.1 no links");
        let milter = &log.outcomes()[3];
        assert_eq!(
            (milter.status, milter.category, milter.dsn.as_str()),
            (RowStatus::Rejected, Some(Category::MilterReject), "5.7.1")
        );
        assert_eq!(
            milter.relay.as_str(),
            "END-OF-MESSAGE from mail.example.net[192.0.2.7]"
        );
        assert_eq!(milter.reason.as_str(), "5.7.1 Rejected by DMARC policy");
        assert_eq!(milter.to.as_str(), "b@example.com");
        for c in [Category::ContentRule, Category::MilterReject] {
            assert!(c.meaning().contains("this host"), "{c:?}");
        }
        assert!(Category::ContentRule.remedy().contains("header_checks"));
        assert!(Category::MilterReject.remedy().contains("smtpd_milters"));
    }

    #[test]
    fn warn_and_redirect_rules_are_no_failure() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "Dec  6 12:56:38 mx postfix/pickup[5]: 072FE98C782: uid=0 from=<app@example.com>
Dec  6 12:56:38 mx postfix/cleanup[6]: 072FE98C782: warning: header Subject: warn-me from local; from=<app@example.com> to=<warn-me@example.org>: looks odd
Dec  6 12:56:38 mx postfix/qmgr[7]: 072FE98C782: from=<app@example.com>, size=327, nrcpt=1 (queue active)
Dec  6 12:56:38 mx postfix/pickup[5]: 0C9AC98C755: uid=0 from=<app@example.com>
Dec  6 12:56:38 mx postfix/cleanup[6]: 0C9AC98C755: redirect: header Subject: redirect-me from local; from=<app@example.com> to=<redirect-me@example.org>: other@example.org
Dec  6 12:56:38 mx postfix/qmgr[7]: 0C9AC98C755: from=<app@example.com>, size=335, nrcpt=1 (queue active)
Dec  6 12:56:38 mx postfix/smtp[8]: 0C9AC98C755: to=<other@example.org>, orig_to=<redirect-me@example.org>, relay=127.0.0.1[127.0.0.1]:43469, delay=0.11, delays=0/0.01/0.04/0.04, dsn=2.0.0, status=sent (250 Ok)
Dec  6 12:56:38 mx postfix/qmgr[7]: 0C9AC98C755: removed",
        );
        assert!(
            log.outcomes().iter().all(|o| !o.status.is_failure()),
            "{:?}",
            log.outcomes()
        );
        let warned = log
            .message(&QueueId::parse("072FE98C782").unwrap())
            .unwrap();
        assert!(!warned.held && warned.state() == MessageState::Queued);
    }

    #[test]
    fn noqueue_reject_is_an_outcome() {
        let mut log = MailLog::default();
        feed(
            &mut log,
            "Nov 27 19:30:00 vm postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[10.0.0.9]: 554 5.7.1 <x@elsewhere.net>: Relay access denied; from=<spam@bad.example> to=<x@elsewhere.net> proto=ESMTP helo=<bad>",
        );
        let o = &log.outcomes()[0];
        assert_eq!(o.status, RowStatus::Rejected);
        assert_eq!(o.category, Some(Category::RelayDenied));
        assert_eq!(&*o.dsn, "5.7.1");
    }
}
