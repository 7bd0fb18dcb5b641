//! The Mail queue pane's state and its reactions: keys, source reports,
//! filters, tags, confirm dialogs for actions.
//!
//! Pure update code: it returns effects and never runs a process, reads a
//! file or the clock (time comes in `cx.now` and with each report). Actions
//! are only built with a `WriteAccess` from `cx.access`, so a read-only
//! session cannot even make the effect.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Local};

use super::commands::{MailVersion, Part, QueueOp, StopSwitch};
use super::error::QueueError;
use super::id::QueueId;
use super::model::{
    Column, EntryRef, Filter, QueueModel, ReasonGroup, ShapeBy, Snapshot, Summary, group_reasons,
    sort_refs,
};
use super::parse::{Parsed, QueueEntry, QueueName};
use super::{ActionId, QueueAction, QueueEffect, QueueEvent, StopTarget};
use crate::app::effect::{Confirm, Effect, Jump};
use crate::app::pane::{Cx, Nav, elapsed_words};
use crate::config::Config;
use crate::sanitize::Clean;
use crate::ui::widgets::{Scroll, plural};

/// What the zoomed pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Table,
    Shape(ShapeBy),
    Reasons,
}

/// A part of a message being loaded or shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Loadable {
    #[default]
    NotAsked,
    Loading,
    Loaded {
        lines: Vec<Clean>,
        cut: bool,
    },
    Failed(String),
}

/// The open detail of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub instance: usize,
    pub id: QueueId,
    pub headers: Loadable,
    pub body: Loadable,
    pub scroll: Scroll,
    /// What became of the message once it left the queue, when the pane
    /// knows more than that it left (a requeue it could not follow).
    pub gone: Option<String>,
}

/// A requeued message the cursor or the open detail was on, followed to the
/// new queue id pickup gives it (`postsuper -r` re-reads it from the
/// maildrop: pickup logs `NEWID: uid=0 from=<..> orig_id=OLDID`).
#[derive(Clone, Debug)]
pub(super) struct Follow {
    pub(super) instance: usize,
    pub(super) old: QueueId,
    /// What `postqueue -j` keeps across a requeue: the sender, the
    /// recipients and the arrival time (cleanup writes a new size).
    sender: Clean,
    recipients: Vec<Clean>,
    arrival: i64,
    /// Other messages that looked the same when it was requeued: never
    /// taken for it.
    lookalikes: HashSet<QueueId>,
    /// The cursor was on it (and has not been moved since).
    cursor: bool,
    /// Its detail was open.
    detail: bool,
    /// When postsuper reported it requeued; None while the dialog is open,
    /// or after it was cancelled.
    pub(super) since: Option<DateTime<Local>>,
}

/// A message asked to be delivered now (`postqueue -i`), watched until the mail log says how
/// the attempt went: `postqueue -i` itself says nothing, not even whether the message was
/// still queued.
#[derive(Clone, Debug)]
pub(super) struct Tried {
    pub(super) instance: usize,
    pub(super) id: QueueId,
    /// When postqueue -i returned.
    since: DateTime<Local>,
    /// When the message arrived: log lines older than that are of another message that had
    /// its queue id.
    arrival: i64,
}

/// How long a requeued message is looked for under a new id: pickup reads
/// the maildrop when woken, and at the latest within a minute.
const FOLLOW_SECS: i64 = 120;

/// At most this many requeues of one message are followed through the log.
const FOLLOW_HOPS: usize = 16;

impl Follow {
    fn of(instance: usize, e: &QueueEntry, entries: &[QueueEntry]) -> Follow {
        let mut f = Follow {
            instance,
            old: e.id.clone(),
            sender: e.sender.clone(),
            recipients: e.recipients.iter().map(|r| r.address.clone()).collect(),
            arrival: e.arrival,
            lookalikes: HashSet::new(),
            cursor: false,
            detail: false,
            since: None,
        };
        f.recipients.sort();
        f.lookalikes = entries
            .iter()
            .filter(|x| x.id != e.id && f.looks_like(x))
            .map(|x| x.id.clone())
            .collect();
        f
    }

    fn looks_like(&self, e: &QueueEntry) -> bool {
        if e.arrival != self.arrival
            || e.sender != self.sender
            || e.recipients.len() != self.recipients.len()
        {
            return false;
        }
        let mut r: Vec<&Clean> = e.recipients.iter().map(|r| &r.address).collect();
        r.sort();
        r.into_iter().eq(self.recipients.iter())
    }
}

/// What the pane knows of one configured Postfix instance.
#[derive(Clone, Debug, Default)]
pub struct InstanceState {
    pub name: String,
    pub version: Option<Result<MailVersion, QueueError>>,
    pub error: Option<QueueError>,
    /// When the latest good listing was started.
    pub updated: Option<DateTime<Local>>,
    pub bad_lines: usize,
    pub first_bad: Option<String>,
    /// The latest listing said the mail system is down (listed from the files).
    pub down: Option<Box<QueueError>>,
    /// The actions running on this instance, in the order they started: from their first
    /// report until their result. A second one may be confirmed while the first hangs; each
    /// result ends its own, and each carries a switch of its own, so a stop stops those its
    /// dialog named and no other.
    pub running: Vec<Running>,
    /// The flushes (`postqueue -f`) running on this instance, in the order they started.
    pub flushing: Vec<Flushing>,
    /// Its `command_prefix`, escaped, when it has one: stopping a command ends it here, and
    /// what it started on another host through it (`ssh mx1`) may go on there.
    pub prefix: Option<String>,
}

/// An action running on one instance, as its latest progress report said.
#[derive(Clone, Debug)]
pub struct Running {
    /// Which one it is: its reports and its result say.
    pub action: ActionId,
    pub op: QueueOp,
    /// How many messages are done, of how many.
    pub done: usize,
    pub of: usize,
    /// The message, when it acts on one.
    pub one: Option<QueueId>,
    /// The command line it runs, said once it takes long.
    pub command: Clean,
    /// When its first report came.
    pub since: DateTime<Local>,
    /// What stops it, and only it (see [`StopSwitch`]).
    pub stop: StopSwitch,
}

impl Running {
    /// What it does, as a stop dialog names it: "hold of A1B2C3D4E5", "hold of 12 messages".
    fn what(&self) -> String {
        match &self.one {
            Some(id) => format!("{} of {id}", self.op.verb()),
            None => format!("{} of {} messages", self.op.verb(), self.of),
        }
    }
}

/// A flush (`postqueue -f`) running on one instance.
#[derive(Clone, Debug)]
pub struct Flushing {
    /// Which one it is: its result says.
    pub action: ActionId,
    /// The command line it runs.
    pub command: Clean,
    /// When it started.
    pub since: DateTime<Local>,
    /// What stops it, and only it.
    pub stop: StopSwitch,
}

impl InstanceState {
    /// What runs on this instance, as said once it takes long: how long, and the command.
    pub fn long_running(&self, now: DateTime<Local>) -> Vec<String> {
        self.running
            .iter()
            .map(|r| (&r.command, r.since))
            .chain(self.flushing.iter().map(|f| (&f.command, f.since)))
            .filter_map(|(command, since)| {
                elapsed_words(since, now).map(|e| format!("running for {e}: {command}"))
            })
            .collect()
    }
}

/// How long the result of an action that went well stays on the pane (seconds); a failure stays
/// until the next action.
const NOTICE_KEPT_SECS: i64 = 600;

/// What the demo's dialogs of postsuper's actions add: they change its file.
const DEMO_ON_FILE: &str =
    "demo: done to the demo queue's file as postsuper does it to a queue (no Postfix is run)";
/// What the demo's dialogs of a delivery now add: how its relay and servers answer a retry.
const DEMO_RETRY: &str = "demo: tried against the demo's relay and servers (no Postfix is run): \
     SES takes what its sending rate allows of what it throttled, the rest is deferred again";
/// What the demo's flush did, in place of Postfix retrying the deferred mail: no Postfix runs
/// there, the demo's relay and servers answered the demo queue's deferred mail at once.
const DEMO_FLUSHED: &str = "demo: tried the demo queue's deferred mail against the demo's relay \
     and servers (no Postfix is run)";

/// The pane's state.
#[derive(Debug)]
pub struct QueuePane {
    pub(super) instances: Vec<InstanceState>,
    pub(super) model: QueueModel,
    /// All entries in sort order.
    sorted: Vec<EntryRef>,
    /// The filtered entries in sort order: what the table shows.
    pub(super) view: Vec<EntryRef>,
    pub(super) sort: Column,
    pub(super) descending: bool,
    pub(super) filter_text: String,
    filter: Filter,
    pub(super) filter_error: Option<String>,
    /// The views of the filter texts typed since the last change of
    /// anything else (listing, sort, queue or group filter), so that
    /// deleting characters shows them again without filtering 100,000
    /// messages per keystroke. Oldest first; each text extends the previous.
    typed: Vec<(String, Vec<EntryRef>)>,
    pub(super) queue_filter: Option<QueueName>,
    pub(super) selected: usize,
    /// First table row drawn (kept by the view so scrolling is smooth).
    pub(super) window: crate::ui::widgets::ListWindow,
    pub(super) tags: HashSet<(usize, QueueId)>,
    /// Tags whose message the latest listing did not have (a subset of
    /// `tags`): dropped if the next one does not have it either.
    tags_unlisted: HashSet<(usize, QueueId)>,
    pub(super) mode: Mode,
    pub(super) reasons: Vec<ReasonGroup>,
    /// Counts per queue and the oldest message, computed once per listing.
    pub(super) summary: Summary,
    /// Deferred mail waiting for a cause on this host's side, by cause, once per listing.
    pub(super) held_here: Vec<super::check::HeldHere>,
    pub(super) reason_sel: usize,
    pub(super) detail: Option<Detail>,
    /// A requeue of the message under the cursor or in the detail, being
    /// followed to its new queue id.
    pub(super) follow: Option<Follow>,
    /// A deliver now of one message, until the log says how it went.
    pub(super) tried: Option<Tried>,
    pub(super) demo: bool,
    /// `[queue] postqueue_command`, escaped, when it lists the queue instead of the
    /// instances' own `postqueue -j`: the actions still run the instances' own commands.
    listed_by: Option<String>,
    /// How many instances are listed, the first ones: with `postqueue_command`, the first
    /// alone (the others are never listed, and no reading of theirs is awaited).
    pub(super) listed: usize,
    /// `[queue] interval_secs`: how often each listed instance is read.
    pub(super) interval_secs: u64,
    pub(super) notice: Option<(bool, String)>,
    /// When the kept notice came (Unix seconds): an action that went well is not news for
    /// long ([`NOTICE_KEPT_SECS`]); one that failed stays until the next.
    notice_at: i64,
    /// The results of a flush as each instance's comes in, and when the latest came: kept
    /// together, so that one instance's success does not hide another's failure.
    flushed: Option<(DateTime<Local>, Vec<FlushResult>)>,
    pub(super) errors: u64,
    /// Unix seconds of the latest `now` seen (for age filters).
    now: i64,
    /// The number the next action's effect gets (see [`ActionId`]).
    next_action: ActionId,
}

/// One instance's flush: the instance, whether it went well, and the words.
type FlushResult = (usize, bool, Clean);

impl QueuePane {
    pub fn new(config: &Config) -> QueuePane {
        QueuePane {
            instances: config
                .postfix
                .iter()
                .map(|p| InstanceState {
                    name: p.name.clone(),
                    prefix: (!p.command_prefix.is_empty()).then(|| {
                        crate::sanitize::sanitize_capped(&p.command_prefix.join(" "), 200)
                    }),
                    ..InstanceState::default()
                })
                .collect(),
            model: QueueModel::default(),
            sorted: Vec::new(),
            view: Vec::new(),
            sort: Column::Age,
            descending: true,
            filter_text: String::new(),
            filter: Filter::default(),
            typed: Vec::new(),
            filter_error: None,
            queue_filter: None,
            selected: 0,
            window: Default::default(),
            tags: HashSet::new(),
            tags_unlisted: HashSet::new(),
            mode: Mode::Table,
            reasons: Vec::new(),
            summary: Summary::default(),
            held_here: Vec::new(),
            reason_sel: 0,
            detail: None,
            follow: None,
            tried: None,
            demo: config.demo,
            listed_by: config
                .queue
                .postqueue_command
                .as_ref()
                .filter(|c| !c.is_empty() && !config.demo)
                .map(|c| crate::sanitize::sanitize_capped(&c.join(" "), 200)),
            listed: config.queue.listed_instances(config.postfix.len()),
            interval_secs: config.queue.interval_secs,
            notice: None,
            notice_at: 0,
            flushed: None,
            errors: 0,
            now: 0,
            next_action: ActionId::default(),
        }
    }

    pub fn model(&self) -> &QueueModel {
        &self.model
    }

    pub fn view_len(&self) -> usize {
        self.view.len()
    }

    /// The selected entry with its instance index.
    pub fn selected_entry(&self) -> Option<(usize, &QueueEntry)> {
        let r = *self.view.get(self.selected)?;
        let (s, e) = self.model.get(r)?;
        Some((s.instance, e))
    }

    /// How many messages are tagged (of those the latest listing has).
    pub(super) fn tagged(&self) -> usize {
        self.tags.len() - self.tags_unlisted.len()
    }

    /// The open detail, if any.
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_ref()
    }

    fn selected_key(&self) -> Option<(usize, QueueId)> {
        self.selected_entry().map(|(i, e)| (i, e.id.clone()))
    }

    /// Find an entry by instance and id.
    pub(super) fn lookup(&self, instance: usize, id: &QueueId) -> Option<&QueueEntry> {
        self.model
            .snapshots
            .iter()
            .find(|s| s.instance == instance)?
            .entries
            .iter()
            .find(|e| &e.id == id)
    }

    fn resort(&mut self) {
        let mut refs: Vec<EntryRef> = self.model.refs().collect();
        sort_refs(&self.model, &mut refs, self.sort, self.descending);
        self.sorted = refs;
        self.typed.clear();
    }

    /// Rebuild the filtered view, keeping the selection on the same message.
    fn refilter(&mut self) {
        self.typed.clear();
        self.refilter_from(false);
    }

    /// Rebuild the view from all entries, or (`narrowing`) only from the
    /// entries shown now: a filter that only got stricter cannot show more.
    fn refilter_from(&mut self, narrowing: bool) {
        let keep = self.selected_key();
        let now = self.now;
        let model = &self.model;
        let filter = &self.filter;
        let queue = self.queue_filter;
        let from = if narrowing { &self.view } else { &self.sorted };
        let filter = filter.prepare(model);
        self.view = model.retain_in_stored_order(from, |r| {
            model
                .get(r)
                .is_some_and(|(_, e)| queue.is_none_or(|q| e.queue == q))
                && filter.matches(model, r, now)
        });
        self.reselect(keep);
    }

    fn reselect(&mut self, keep: Option<(usize, QueueId)>) {
        if let Some((inst, id)) = keep
            && let Some(pos) = self.view.iter().position(|r| {
                self.model
                    .get(*r)
                    .is_some_and(|(s, e)| s.instance == inst && e.id == id)
            })
        {
            self.selected = pos;
            return;
        }
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
    }

    fn set_now(&mut self, now: DateTime<Local>) {
        self.now = now.timestamp();
    }

    /// Keep an action's result on the pane, with the time it came: a failure stays until the
    /// next one, a success for [`NOTICE_KEPT_SECS`], and the queue under it moves on.
    fn keep_notice(&mut self, ok: bool, text: &Clean, now: DateTime<Local>) {
        self.notice = Some((ok, format!("{} {text}", now.format("%H:%M"))));
        self.notice_at = now.timestamp();
    }

    /// Keep one instance's flush result with the others' of the same flush (those that came
    /// within a minute), failures first: red while any failed. The words to show.
    fn keep_flushed(
        &mut self,
        instance: usize,
        ok: bool,
        text: Clean,
        now: DateTime<Local>,
    ) -> Clean {
        let mut results = self
            .flushed
            .take()
            .filter(|(at, _)| (now - *at).num_seconds().abs() < 60)
            .map(|(_, r)| r)
            .unwrap_or_default();
        results.retain(|(i, _, _)| *i != instance);
        results.push((instance, ok, text));
        let all_ok = results.iter().all(|(_, ok, _)| *ok);
        let words: Vec<&str> = results
            .iter()
            .filter(|(_, ok, _)| !ok)
            .chain(results.iter().filter(|(_, ok, _)| *ok))
            .map(|(_, _, t)| t.as_str())
            .collect();
        // each part is clean: joined, not escaped again
        let joined = Clean::joined(words.join("; "));
        self.keep_notice(all_ok, &joined, now);
        self.flushed = Some((now, results));
        joined
    }

    /// Apply a new listing of one instance.
    fn put_listing(&mut self, instance: usize, at: DateTime<Local>, parsed: Parsed) {
        let keep = self.selected_key();
        if let Some(st) = self.instances.get_mut(instance) {
            st.error = None;
            st.updated = Some(at);
            st.bad_lines = parsed.bad_lines;
            st.first_bad = parsed.first_bad.clone();
            st.down = parsed.down.clone();
        }
        let name = self
            .instances
            .get(instance)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        self.model.put(Snapshot {
            instance,
            name,
            entries: parsed.entries,
            bad_lines: parsed.bad_lines,
            first_bad: parsed.first_bad,
            search: parsed.search,
        });
        // Tags on messages that left the queue are dropped, once two
        // listings in a row lack them: `postqueue -j` misses a message that
        // moves between queue directories while it reads them (a flush of
        // hundreds moves hundreds), and the next listing has it again.
        if !self.tags.is_empty() {
            let present = present(&self.model);
            let unlisted = &mut self.tags_unlisted;
            self.tags.retain(|k| {
                // only this instance's listing says anything of its messages
                if k.0 != instance || present.contains_key(&(k.0, &k.1)) {
                    unlisted.remove(k);
                    true
                } else {
                    // kept the first time, dropped the second
                    unlisted.insert(k.clone())
                }
            });
            let tags = &self.tags;
            self.tags_unlisted.retain(|k| tags.contains(k));
        }
        // The groups are ordered by size, which changes: the cursor stays on
        // its group (Enter opens what it is on), or on its row if it went.
        let group = self.reasons.get(self.reason_sel).map(|g| g.key.clone());
        self.reasons = group_reasons(self.model.entries().map(|(_, e)| e));
        self.summary = self.model.summary();
        self.held_here = super::check::held_here(self.model.entries().map(|(_, e)| e));
        self.reason_sel = group
            .and_then(|k| self.reasons.iter().position(|g| g.key == k))
            .unwrap_or(self.reason_sel)
            .min(self.reasons.len().saturating_sub(1));
        self.resort();
        let selected_before = self.selected;
        // The shown rows point into the listing just replaced: in the new one
        // the same place holds another message (postqueue lists in queue-file
        // order, and new mail lands anywhere in it), so the selection is
        // found again by its id, not by what its old row points at now.
        self.view.clear();
        self.refilter();
        self.reselect(keep.clone());
        if keep.is_some() && self.selected_key() != keep {
            // The message left: stay at the same row position.
            self.selected = selected_before.min(self.view.len().saturating_sub(1));
        }
    }

    /// Every message now in the model, by (instance, id): one pass, so
    /// that tag bookkeeping stays linear on a large queue.
    fn present(&self) -> HashMap<(usize, &QueueId), QueueName> {
        present(&self.model)
    }

    /// The messages an action applies to: the tagged set, the message whose
    /// detail is open, or the selection.
    fn targets(&self) -> Vec<(usize, QueueId, QueueName)> {
        if self.tags.is_empty()
            && let Some(d) = &self.detail
        {
            // the message on screen, even once the cursor's row holds another
            // (it left the queue, and the row was given to the next one)
            return self
                .lookup(d.instance, &d.id)
                .map(|e| vec![(d.instance, e.id.clone(), e.queue)])
                .unwrap_or_default();
        }
        if self.tags.is_empty() {
            return self
                .selected_entry()
                .map(|(i, e)| vec![(i, e.id.clone(), e.queue)])
                .unwrap_or_default();
        }
        let present = self.present();
        let mut v: Vec<(usize, QueueId, QueueName)> = self
            .tags
            .iter()
            .filter_map(|(i, id)| present.get(&(*i, id)).map(|q| (*i, id.clone(), *q)))
            .collect();
        v.sort();
        v
    }

    fn confirm_op(&mut self, op: QueueOp, cx: &mut Cx<'_>) -> Vec<Effect> {
        let Some(access) = cx.access else {
            return vec![Effect::Notice(
                "read-only session: queue actions are off".into(),
            )];
        };
        if self.mode != Mode::Table {
            return vec![Effect::notice(format!(
                "{}: switch to the table (v) to pick messages",
                op.verb()
            ))];
        }
        let targets = self.targets();
        if targets.is_empty() {
            return vec![Effect::Notice(Clean::joined(match &self.detail {
                Some(d) if self.tags.is_empty() => format!(
                    "{}: {} is no longer in the queue (delivered, deleted or requeued)",
                    op.verb(),
                    d.id
                ),
                _ => format!("{}: no message selected", op.verb()),
            }))];
        }
        // Messages the operation cannot act on (release of mail not on
        // hold, hold of held mail, deliver now of held mail) are left out
        // and the dialog says so; when none is left, nothing is offered.
        let (targets, left_out): (Vec<_>, Vec<_>) =
            targets.into_iter().partition(|t| op.applies_to(t.2));
        if targets.is_empty() {
            return vec![Effect::Notice(Clean::joined(refusal(op, &left_out)))];
        }
        if op == QueueOp::Expire {
            for inst in targets.iter().map(|t| t.0).collect::<BTreeSet<_>>() {
                let st = &self.instances[inst.min(self.instances.len().saturating_sub(1))];
                match &st.version {
                    Some(Ok(v)) if v.has_force_expire() => {}
                    Some(Ok(v)) => {
                        return vec![Effect::Notice(Clean::joined(
                            QueueError::Unsupported {
                                action: "force-expire (postsuper -e)".into(),
                                version: v.text.to_string(),
                            }
                            .to_string(),
                        ))];
                    }
                    Some(Err(e)) => {
                        return vec![Effect::Notice(Clean::joined(format!(
                            "force-expire: Postfix version unknown, so not offered: {e}"
                        )))];
                    }
                    None if self.demo => {}
                    None => {
                        return vec![Effect::Notice(
                            "force-expire: still asking postconf for the Postfix version".into(),
                        )];
                    }
                }
            }
        }
        if op == QueueOp::Requeue {
            self.follow = self.follow_of(&targets);
        }
        let (mut lines, then) =
            confirm_text(op, &targets, &self.instances, access, &mut self.next_action);
        let mut at = 1;
        if !left_out.is_empty() {
            lines.insert(at, left_out_line(op, &left_out));
            at += 1;
        }
        // What the operation does to held mail: postsuper -e marks it, but Postfix never
        // tries to deliver held mail, so it is returned only once released; postsuper -r
        // takes it out of the hold queue, so it is delivered.
        let held = targets.iter().filter(|t| t.2 == QueueName::Hold).count();
        let it = if held == 1 { "it" } else { "them" };
        let to_held = match op {
            QueueOp::Expire => Some("returned only once released (H)".to_string()),
            QueueOp::Requeue => Some(format!("requeue releases {it} from hold, for delivery")),
            _ => None,
        };
        if let Some(what) = to_held
            && held > 0
        {
            // right after the consequence it qualifies
            let whose = match (targets.len(), held) {
                (1, _) => "It is".to_string(),
                (_, 1) => "1 of them is".to_string(),
                (_, n) => format!("{n} of them are"),
            };
            lines.insert(at + 1, format!("{whose} on hold: {what}"));
        }
        if op == QueueOp::Release
            && let Some(line) = self.past_lifetime_line(&targets)
        {
            // right after "They go back to the deferred queue and are retried." (or "It goes")
            lines.insert(at + 1, line);
        }
        if let Some(line) = self.hidden_line(&targets) {
            lines.insert(at, line);
        }
        if let Some(line) = self.held_here_line(op, &targets) {
            // right after the consequence, which it qualifies
            let after = lines
                .iter()
                .position(|l| l == op.consequence(targets.len()))
                .map_or(lines.len(), |i| i + 1);
            lines.insert(after, line);
        }
        if let Some(line) = active_line(op, &targets) {
            // right after the consequence, which it qualifies
            let after = lines
                .iter()
                .position(|l| l == op.consequence(targets.len()))
                .map_or(lines.len(), |i| i + 1);
            lines.insert(after, line);
        }
        if let Some(line) = self.down_line(op, &targets) {
            // right after the consequence, which it puts off
            let after = lines
                .iter()
                .position(|l| l == op.consequence(targets.len()))
                .map_or(lines.len(), |i| i + 1);
            lines.insert(after, line);
        }
        if let Some(line) = self.whose_line(&targets) {
            lines.push(line);
        }
        lines.extend(self.listed_by_line());
        if self.demo {
            lines.push(
                if op == QueueOp::DeliverNow {
                    DEMO_RETRY
                } else {
                    DEMO_ON_FILE
                }
                .into(),
            );
        }
        let n = targets.len();
        vec![Effect::Confirm(Confirm {
            title: Clean::new(&format!(
                "{} {n} message{}",
                capitalize(op.verb()),
                plural(n)
            )),
            // the lines join clean fields (ids, senders, reasons) and the instances' names,
            // escaped where they are joined
            lines: lines.into_iter().map(Clean::joined).collect(),
            then,
        })]
    }

    /// For deliver now, the picked messages deferred by a cause on this host's side (SES
    /// credentials, its daily quota, a content filter not answering): an attempt before it is
    /// fixed only defers them again, as a flush's dialog says of the whole queue.
    fn held_here_line(
        &self,
        op: QueueOp,
        targets: &[(usize, QueueId, QueueName)],
    ) -> Option<String> {
        if op != QueueOp::DeliverNow {
            return None;
        }
        let entries: Vec<&QueueEntry> = targets
            .iter()
            .filter_map(|t| self.lookup(t.0, &t.1))
            .collect();
        let held = super::check::held_here(entries);
        let top = held.first()?;
        let n: usize = held.iter().map(|h| h.messages).sum();
        let causes = match held.len() {
            1 => top.cause.label().to_string(),
            k => format!(
                "{} and {} more cause{}",
                top.cause.label(),
                k - 1,
                plural(k - 1)
            ),
        };
        Some(match (targets.len(), n) {
            (1, _) => format!(
                "It waits for {causes}, on this host's side: until that is fixed, the attempt \
                 defers it again."
            ),
            (_, 1) => format!(
                "1 of them waits for {causes}, on this host's side: until that is fixed, the \
                 attempt defers it again."
            ),
            (_, n) => format!(
                "{n} of them wait for {causes}, on this host's side: until that is fixed, the \
                 attempt defers them again."
            ),
        })
    }

    /// What an operation on `targets` waits for while the latest listing of their instance
    /// said the mail system is down: `postsuper` acts on the queue files at once, but no
    /// message is picked up, retried or delivered until Postfix runs, and `postqueue -i`
    /// fails. Hold and delete need nothing more from it.
    fn down_line(&self, op: QueueOp, targets: &[(usize, QueueId, QueueName)]) -> Option<String> {
        let what = match op {
            QueueOp::Hold | QueueOp::Delete => return None,
            QueueOp::Requeue => {
                "requeued mail waits in the maildrop, under its old id, until it starts"
            }
            QueueOp::Release | QueueOp::Expire => "nothing is retried until it starts",
            QueueOp::DeliverNow => "postqueue -i fails until it starts",
        };
        self.down_words(targets.iter().map(|t| t.0), what)
    }

    /// "Postfix is not running ...: `what` (`postfix start`)." when the latest listing of any
    /// of `instances` said the mail system is down.
    fn down_words(&self, instances: impl Iterator<Item = usize>, what: &str) -> Option<String> {
        let down: Vec<Clean> = instances
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter_map(|i| self.instances.get(i))
            .filter(|st| st.down.is_some())
            .map(|st| Clean::new(&st.name))
            .collect();
        if down.is_empty() {
            return None;
        }
        let whose = if self.instances.len() > 1 {
            let down: Vec<&str> = down.iter().map(|n| n.as_str()).collect();
            format!(" ({})", down.join(", "))
        } else {
            String::new()
        };
        Some(format!(
            "Postfix is not running{whose}, as the latest listing said: {what} (`postfix start`)."
        ))
    }

    /// What to follow through a requeue of `targets`: the message whose
    /// detail is open, or else the one under the cursor, if it is among them.
    fn follow_of(&self, targets: &[(usize, QueueId, QueueName)]) -> Option<Follow> {
        let cursor = self.selected_key();
        let (instance, id) = self
            .detail
            .as_ref()
            .map(|d| (d.instance, d.id.clone()))
            .or_else(|| cursor.clone())?;
        if !targets.iter().any(|t| t.0 == instance && t.1 == id) {
            return None;
        }
        let snapshot = self
            .model
            .snapshots
            .iter()
            .find(|s| s.instance == instance)?;
        let e = snapshot.entries.iter().find(|e| e.id == id)?;
        let mut f = Follow::of(instance, e, &snapshot.entries);
        f.cursor = cursor.as_ref() == Some(&(instance, id.clone()));
        f.detail = self
            .detail
            .as_ref()
            .is_some_and(|d| d.instance == instance && d.id == id);
        Some(f)
    }

    /// Look for the followed message under its new queue id: the mail log's
    /// `orig_id` link first (through every requeue since), else the one
    /// message in the queue with its sender, recipients and arrival time
    /// that was not there before. Found, the cursor and the open detail go
    /// to it; not found in [`FOLLOW_SECS`], the pane says why.
    fn follow_requeue(
        &mut self,
        log: &crate::mail::log::MailLog,
        now: DateTime<Local>,
    ) -> Vec<Effect> {
        let Some(f) = self.follow.as_ref() else {
            return Vec::new();
        };
        let Some(since) = f.since else {
            return Vec::new();
        };
        let Some(snapshot) = self
            .model
            .snapshots
            .iter()
            .find(|s| s.instance == f.instance)
        else {
            return Vec::new();
        };
        let expired = (now - since).num_seconds() >= FOLLOW_SECS;
        if let Some(e) = snapshot.entries.iter().find(|e| e.id == f.old) {
            let down = self.instances.get(f.instance).and_then(|s| s.down.as_ref());
            if e.queue == QueueName::Maildrop && down.is_some() {
                // no pickup runs to give it a new id: said now, not in two minutes
                let old = f.old.clone();
                return self.end_follow(
                    format!(
                        "{old} waits in the maildrop under that id: Postfix is not running, and \
                         pickup gives it a new queue id once it starts (`postfix start`)"
                    ),
                    now,
                );
            }
            // still in the maildrop, waiting for pickup
            if !expired {
                return Vec::new();
            }
            let why = match (e.queue, down) {
                (_, Some(down)) => {
                    format!("it is still queued under that id, and no mail is delivered: {down}")
                }
                (QueueName::Maildrop, None) => {
                    "it is still in the maildrop: pickup has not read it (is the pickup \
                     service in master.cf running?)"
                        .to_string()
                }
                (q, None) => format!("it is still in the {} queue under that id", q.as_str()),
            };
            return self.give_up_follow(why, now);
        }
        let listed = |id: &str| snapshot.entries.iter().find(|e| e.id.as_str() == id);
        // the log: old -> new (-> newer, requeued again)
        let mut by_log: Option<QueueId> = None;
        let mut left: Option<String> = None;
        let mut at = crate::mail::log::parse::QueueId::parse(f.old.as_str());
        for _ in 0..FOLLOW_HOPS {
            let Some(next) = at
                .as_ref()
                .and_then(|id| log.message(id))
                .and_then(|m| m.requeued_to.clone())
            else {
                break;
            };
            if let Some(e) = listed(next.as_str()) {
                by_log = Some(e.id.clone());
                break;
            }
            left = log
                .message(&next)
                .filter(|m| m.removed)
                .map(|_| next.as_str().to_string());
            at = Some(next);
        }
        let lookalikes: Vec<&QueueEntry> = snapshot
            .entries
            .iter()
            .filter(|e| !f.lookalikes.contains(&e.id) && f.looks_like(e))
            .collect();
        let found = by_log.or_else(|| match lookalikes.as_slice() {
            [one] => Some(one.id.clone()),
            _ => None,
        });
        let old = f.old.clone();
        if let Some(new) = found {
            return self.followed_to(new, now);
        }
        if let Some(new) = left {
            return self.end_follow(
                format!("{old} was requeued as {new}, which has left the queue since"),
                now,
            );
        }
        if !expired {
            return Vec::new();
        }
        let why = if lookalikes.len() > 1 {
            format!(
                "{} messages in the queue have its sender, recipients and arrival time, and the mail log does not say which it is",
                lookalikes.len()
            )
        } else {
            "no message in the queue has its sender, recipients and arrival time, and the mail log does not name its new queue id".to_string()
        };
        self.give_up_follow(why, now)
    }

    /// How the attempt of a message asked to be delivered now went, once the mail log says:
    /// delivered, returned, or tried and deferred again (with the reason); said in the status
    /// line. After [`FOLLOW_SECS`] without a word in the log, what the queue shows of it.
    fn watch_tried(
        &mut self,
        log: &crate::mail::log::MailLog,
        now: DateTime<Local>,
    ) -> Vec<Effect> {
        use crate::mail::log::model::{MessageState, RowStatus};
        let Some(t) = self.tried.as_ref() else {
            return Vec::new();
        };
        let id = t.id.clone();
        // the log's stamps are whole seconds
        let since = t.since.timestamp() - 1;
        let at = |time: DateTime<chrono::FixedOffset>| {
            time.with_timezone(&Local).format("%H:%M:%S").to_string()
        };
        // A message that left the queue is said whenever it left: a retry may have delivered
        // it between the listing and postqueue -i. A deferral must be of this attempt.
        let m = crate::mail::log::parse::QueueId::parse(id.as_str())
            .and_then(|l| log.message(&l))
            .filter(|m| m.last.timestamp() >= t.arrival);
        let last = m.and_then(|m| m.last_attempt.as_ref());
        let attempt = last.filter(|a| a.time.timestamp() >= since);
        let said = match (m, attempt) {
            (Some(m), _) if m.state() != MessageState::Queued => {
                let attempt = last;
                let when = at(attempt.map_or(m.last, |a| a.time));
                Some(match m.state() {
                    MessageState::Delivered => (
                        true,
                        match attempt {
                            Some(a) => format!("{id} was delivered at {when} (relay {})", a.relay),
                            None => format!("{id} was delivered at {when}"),
                        },
                    ),
                    MessageState::Returned => (
                        false,
                        match attempt {
                            Some(a) => format!(
                                "{id} was returned to its sender at {when}: {}",
                                crate::ui::widgets::truncate(&a.reason, 200)
                            ),
                            None => format!("{id} was returned to its sender at {when}"),
                        },
                    ),
                    MessageState::Deleted => (false, format!("{id} was deleted at {when}")),
                    MessageState::Requeued => (false, format!("{id} was requeued at {when}")),
                    _ => (
                        false,
                        format!("{id} left the queue at {when} without a delivery (lost)"),
                    ),
                })
            }
            (Some(_), Some(a)) if a.status == RowStatus::Deferred => Some((
                false,
                format!(
                    "{id} was tried at {} and deferred again: {}",
                    at(a.time),
                    crate::ui::widgets::truncate(&a.reason, 200)
                ),
            )),
            _ if (now - t.since).num_seconds() >= FOLLOW_SECS => {
                let queue = self
                    .model
                    .snapshots
                    .iter()
                    .filter(|s| s.instance == t.instance)
                    .flat_map(|s| s.entries.iter())
                    .find(|e| e.id == id)
                    .map(|e| e.queue);
                let mins = FOLLOW_SECS / 60;
                Some((
                    false,
                    match queue {
                        Some(q) => format!(
                            "the mail log read has no attempt of {id} in the {mins} minutes since; it is still in the {} queue",
                            q.as_str()
                        ),
                        None => {
                            format!("{id} has left the queue; the mail log read does not say how")
                        }
                    },
                ))
            }
            _ => None,
        };
        let Some((ok, what)) = said else {
            return Vec::new();
        };
        // the log says it left: its open detail says how, not "delivered, deleted or requeued"
        if let Some(d) = self.detail.as_mut()
            && m.is_some_and(|m| m.state() != MessageState::Queued)
            && d.instance == t.instance
            && d.id == id
        {
            d.gone = Some(what.clone());
        }
        self.tried = None;
        // the relay and the reason are the log's clean fields: escaped once, where they were read
        let text = Clean::joined(format!("deliver now: {what}"));
        self.keep_notice(ok, &text, now);
        vec![Effect::Notice(text)]
    }

    /// The pane's own clock for a requeued message being followed: past
    /// [`FOLLOW_SECS`] it gives up even when no listing comes (Postfix
    /// stopped, postqueue failing or slow), which is when
    /// [`Self::follow_requeue`] is otherwise asked.
    fn follow_deadline(
        &mut self,
        log: &crate::mail::log::MailLog,
        now: DateTime<Local>,
    ) -> Vec<Effect> {
        let Some(f) = self.follow.as_ref() else {
            return Vec::new();
        };
        let Some(since) = f.since else {
            return Vec::new();
        };
        if (now - since).num_seconds() < FOLLOW_SECS {
            return Vec::new();
        }
        let st = self.instances.get(f.instance);
        if st.and_then(|s| s.updated).is_some_and(|u| u > since) {
            // listed since: that listing says where it stands
            return self.follow_requeue(log, now);
        }
        let why = match st.and_then(|s| s.error.as_ref()) {
            Some(e) => format!("the queue could not be listed since it was requeued: {e}"),
            None => "the queue has not been listed since it was requeued".to_string(),
        };
        self.give_up_follow(why, now)
    }

    /// Stop following the requeued message after [`FOLLOW_SECS`], saying so
    /// and `why` in the status line and in its open detail.
    fn give_up_follow(&mut self, why: String, now: DateTime<Local>) -> Vec<Effect> {
        let Some(old) = self.follow.as_ref().map(|f| f.old.clone()) else {
            return Vec::new();
        };
        let mins = FOLLOW_SECS / 60;
        self.end_follow(
            format!(
                "{old} was requeued; stopped looking for its new queue id after {mins} minute{}: {why}",
                plural(mins)
            ),
            now,
        )
    }

    /// The followed message will not be found: say `why`, in the status
    /// line and in its open detail.
    fn end_follow(&mut self, why: String, now: DateTime<Local>) -> Vec<Effect> {
        let Some(f) = self.follow.take() else {
            return Vec::new();
        };
        if let Some(d) = self.detail.as_mut()
            && d.instance == f.instance
            && d.id == f.old
        {
            d.gone = Some(why.clone());
        }
        let text = Clean::joined(format!("requeue: {why}"));
        self.keep_notice(false, &text, now);
        vec![Effect::Notice(text)]
    }

    /// The followed message is `new` now: the cursor (unless moved since)
    /// and the open detail go to it.
    fn followed_to(&mut self, new: QueueId, now: DateTime<Local>) -> Vec<Effect> {
        let Some(f) = self.follow.take() else {
            return Vec::new();
        };
        let mut effects = Vec::new();
        let mut text = format!("requeue: {} is now {new}", f.old);
        if f.cursor {
            match self.view.iter().position(|r| {
                self.model
                    .get(*r)
                    .is_some_and(|(s, e)| s.instance == f.instance && e.id == new)
            }) {
                Some(pos) => self.selected = pos,
                None => text.push_str(" (not shown under the filter)"),
            }
        }
        if f.detail
            && let Some(d) = self.detail.as_mut()
            && d.instance == f.instance
            && d.id == f.old
        {
            d.id = new.clone();
            d.gone = None;
            d.headers = Loadable::Loading;
            effects.push(Effect::Queue(QueueEffect::Load {
                instance: f.instance,
                id: new.clone(),
                part: Part::Headers,
            }));
            if d.body != Loadable::NotAsked {
                d.body = Loadable::Loading;
                effects.push(Effect::Queue(QueueEffect::Load {
                    instance: f.instance,
                    id: new,
                    part: Part::Body,
                }));
            }
        }
        let text = Clean::joined(text);
        self.keep_notice(true, &text, now);
        effects.insert(0, Effect::Notice(text));
        effects
    }

    /// The entries of `targets` with their instance, found in one pass over
    /// the model (thousands may be tagged: no search per message).
    fn entries_of(&self, targets: &[(usize, QueueId, QueueName)]) -> Vec<(usize, &QueueEntry)> {
        let wanted: HashSet<(usize, &QueueId)> = targets.iter().map(|t| (t.0, &t.1)).collect();
        self.model
            .snapshots
            .iter()
            .flat_map(|s| s.entries.iter().map(move |e| (s.instance, e)))
            .filter(|(i, e)| wanted.contains(&(*i, &e.id)))
            .collect()
    }

    /// The release dialog's line for held mail older than the queue
    /// lifetime: it did not expire while held, but once released the first
    /// failed attempt returns it to its sender (postsuper(1), -h and -H).
    fn past_lifetime_line(&self, targets: &[(usize, QueueId, QueueName)]) -> Option<String> {
        let mut over = 0usize;
        let mut params: Vec<String> = Vec::new();
        for (inst, e) in self.entries_of(targets) {
            let Some(Ok(v)) = self.instances.get(inst).and_then(|s| s.version.as_ref()) else {
                continue;
            };
            let (name, life) = if e.from_null_sender() {
                ("bounce_queue_lifetime", v.bounce_lifetime.as_ref())
            } else {
                ("maximal_queue_lifetime", v.max_lifetime.as_ref())
            };
            let Some(life) = life else {
                continue;
            };
            if self.now - e.arrival >= life.secs {
                over += 1;
                let p = format!("{name} {}", life.text);
                if !params.contains(&p) {
                    params.push(p);
                }
            }
        }
        // maximal_queue_lifetime first, whatever order the queue lists them in
        params.sort_by_key(|p| p.starts_with("bounce"));
        let whose = match (targets.len(), over) {
            (1, _) => "It was".to_string(),
            (_, 1) => "1 of them was".to_string(),
            (_, n) => format!("{n} of them were"),
        };
        (over > 0).then(|| {
            format!(
                "{whose} queued longer than {}: released, {} returned to the sender at the first failed attempt",
                params.join(" / "),
                if over == 1 { "it is" } else { "they are" },
            )
        })
    }

    /// The confirm line saying whose mail the targets are: queue ids alone do
    /// not say which messages they are, and the dialog covers the table. One
    /// message: its sender and first recipient; more: the senders with the
    /// most of them.
    fn whose_line(&self, targets: &[(usize, QueueId, QueueName)]) -> Option<String> {
        const SENDERS: usize = 3;
        let entries: Vec<&QueueEntry> = self
            .entries_of(targets)
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        let line = match entries.as_slice() {
            [] => return None,
            [e] => {
                let mut l = format!("from {}", e.sender_shown());
                if let Some(r) = e.recipients.first() {
                    l.push_str(&format!(" to {}", r.address));
                }
                if e.recipients.len() > 1 {
                    let more = e.recipients.len() - 1;
                    l.push_str(&format!(" and {more} more recipient{}", plural(more)));
                }
                l
            }
            many => {
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for e in many {
                    *counts.entry(e.sender_shown()).or_default() += 1;
                }
                let mut by: Vec<(&str, usize)> = counts.into_iter().collect();
                by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                let mut parts: Vec<String> = by
                    .iter()
                    .take(SENDERS)
                    .map(|(s, n)| format!("{s} ({n})"))
                    .collect();
                if by.len() > SENDERS {
                    let more = by.len() - SENDERS;
                    parts.push(format!("and {more} more sender{}", plural(more)));
                }
                format!("from {}", parts.join(", "))
            }
        };
        // made of clean addresses and words of our own: cut, not escaped again
        Some(crate::sanitize::cut_clean(&line, 300))
    }

    /// The confirm line naming the tagged targets the table does not show
    /// under the current filters, if any: an action on tags reaches them too.
    fn hidden_line(&self, targets: &[(usize, QueueId, QueueName)]) -> Option<String> {
        const SHOWN: usize = 8;
        if self.tags.is_empty() {
            return None;
        }
        let shown: HashSet<(usize, &QueueId)> = self
            .view
            .iter()
            .filter_map(|r| self.model.get(*r))
            .map(|(s, e)| (s.instance, &e.id))
            .collect();
        let hidden: Vec<&QueueId> = targets
            .iter()
            .filter(|t| !shown.contains(&(t.0, &t.1)))
            .map(|t| &t.1)
            .collect();
        if hidden.is_empty() {
            return None;
        }
        let mut filters: Vec<String> = Vec::new();
        if !self.filter_text.is_empty() {
            filters.push(format!("/{}", self.filter_text));
        }
        if let Some(q) = self.queue_filter {
            filters.push(format!("queue:{}", q.as_str()));
        }
        if let Some(g) = self.group_filter() {
            filters.push(format!("reason: {g}"));
        }
        let mut ids: Vec<String> = hidden.iter().take(SHOWN).map(|id| id.to_string()).collect();
        if hidden.len() > SHOWN {
            ids.push(format!("… and {} more", hidden.len() - SHOWN));
        }
        let line = format!(
            "{} tagged, not shown under the filter{} {}: {}",
            hidden.len(),
            plural(filters.len()),
            filters.join(" and "),
            ids.join(", ")
        );
        Some(crate::sanitize::sanitize_capped(&line, 400))
    }

    fn confirm_flush(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        let Some(access) = cx.access else {
            return vec![Effect::Notice(
                "read-only session: queue actions are off".into(),
            )];
        };
        let deferred = self
            .model
            .entries()
            .filter(|(_, e)| e.queue == QueueName::Deferred)
            .count();
        let names: Vec<String> = self
            .instances
            .iter()
            .map(|s| Clean::new(&s.name).into_string())
            .collect();
        // Why they wait: a flush before the cause is fixed (a wrong SES
        // password, a sandboxed account) only defers them all again.
        const REASONS: usize = 3;
        let mut why: Vec<String> = self
            .reasons
            .iter()
            .take(REASONS)
            .map(|g| {
                let name = if g.label.is_empty() { &g.key } else { &g.label };
                format!("{name} ({})", g.messages)
            })
            .collect();
        if self.reasons.len() > REASONS {
            let more = self.reasons.len() - REASONS;
            why.push(format!("and {more} more reason{}", plural(more)));
        }
        // the reasons' keys are clean (made from the queue's reasons): cut, not escaped again
        let why = (!why.is_empty()).then(|| {
            crate::sanitize::cut_clean(
                &format!(
                    "deferred for: {}; a flush before the cause is gone defers them again",
                    why.join(", ")
                ),
                300,
            )
        });
        vec![Effect::Confirm(Confirm {
            title: "Flush the queue".into(),
            lines: vec![
                format!(
                    "flush: try all {deferred} deferred message{} now (postqueue -f)",
                    plural(deferred)
                ),
                format!(
                    "Postfix instance{}: {}",
                    plural(names.len()),
                    names.join(", ")
                ),
            ]
            .into_iter()
            .chain(std::iter::once(why.unwrap_or_else(|| {
                "A relay that is throttling will defer them again.".to_string()
            })))
            .chain(self.down_words(
                0..self.instances.len(),
                "postqueue -f fails until it starts",
            ))
            .chain(self.listed_by_line())
            .chain(self.demo.then(|| DEMO_RETRY.to_string()))
            .map(Clean::joined)
            .collect(),
            then: (0..self.instances.len())
                .map(|instance| {
                    let action = self.next_action;
                    self.next_action = action.next();
                    Effect::Queue(QueueEffect::Flush {
                        instance,
                        action,
                        access: access.clone(),
                        stop: StopSwitch::default(),
                    })
                })
                .collect(),
        })]
    }

    /// `x`: stop what runs on the current instance (the open message's or the selected
    /// one's; else the one instance where something runs), after a dialog that names the
    /// commands and says what stopping them part-way leaves. The dialog's effect holds the
    /// switches of what it names, and of nothing else: an action whose first report comes
    /// while it is open goes on.
    fn confirm_stop(&self, cx: &Cx<'_>) -> Vec<Effect> {
        let Some(access) = cx.access else {
            return vec![Effect::Notice(
                "read-only session: queue actions are off".into(),
            )];
        };
        let busy: Vec<usize> = (0..self.instances.len())
            .filter(|&i| {
                let st = &self.instances[i];
                !st.running.is_empty() || !st.flushing.is_empty()
            })
            .collect();
        let current = self
            .detail
            .as_ref()
            .map(|d| d.instance)
            .or_else(|| self.selected_entry().map(|(i, _)| i));
        let instance = match (current, busy.as_slice()) {
            (_, []) => {
                return vec![Effect::Notice(
                    "stop: no queue action or flush is running".into(),
                )];
            }
            (Some(i), _) if busy.contains(&i) => i,
            (_, [only]) => *only,
            (_, _) => {
                let names: Vec<String> = busy
                    .iter()
                    .map(|&i| Clean::new(&self.instances[i].name).into_string())
                    .collect();
                return vec![Effect::Notice(Clean::joined(format!(
                    "stop: nothing runs on the selected message's instance; select a message of {} to stop what runs there",
                    names.join(" or ")
                )))];
            }
        };
        let st = &self.instances[instance];
        let mut lines = Vec::new();
        // each action by itself, in the order they started, the first few named
        const NAMED: usize = 3;
        for r in st.running.iter().take(NAMED) {
            let on = match &r.one {
                Some(_) => r.what(),
                None => format!("{}, {} done", r.what(), r.done),
            };
            let long = elapsed_words(r.since, cx.now)
                .map(|e| format!(", running for {e}"))
                .unwrap_or_default();
            lines.push(format!("stop: {on}{long}: {}", r.command));
        }
        let more = st.running.len().saturating_sub(NAMED);
        if more > 0 {
            lines.push(format!(
                "and {more} more queue action{} running on this instance",
                plural(more)
            ));
        }
        let mut after = Vec::new();
        for r in &st.running {
            let leaves = match r.op {
                QueueOp::DeliverNow => {
                    "Messages already asked for are tried anyway; the others are not asked for."
                }
                _ => {
                    "postsuper stopped part-way may have changed some messages and not others: \
                     the queue is read again to show which."
                }
            };
            if !after.contains(&leaves) {
                after.push(leaves);
            }
        }
        for f in &st.flushing {
            let long = elapsed_words(f.since, cx.now)
                .map(|e| format!(", running for {e}"))
                .unwrap_or_default();
            lines.push(format!("stop: flush{long}: {}", f.command));
        }
        if !st.flushing.is_empty() {
            after.push(
                "If postqueue -f has asked Postfix already, the deferred mail is retried anyway.",
            );
        }
        let ended = st.running.len() + st.flushing.len();
        let (it, is) = if ended == 1 {
            ("it", "It is")
        } else {
            ("they", "They are")
        };
        lines.push(format!(
            "{is} ended with everything {it} started (SIGTERM, then SIGKILL to the process group)."
        ));
        lines.extend(after.into_iter().map(String::from));
        if let Some(prefix) = &st.prefix {
            lines.push(format!(
                "Ended here, through command_prefix ({prefix}): a command already started on another host may go on there."
            ));
        }
        if self.instances.len() > 1 {
            lines.push(format!(
                "Postfix instance: {}",
                Clean::new(&st.name).into_string()
            ));
        }
        let actions = match st.running.as_slice() {
            [] => None,
            [one] => Some(format!("running {}", one.op.verb())),
            several => Some(format!("{} running queue actions", several.len())),
        };
        let title = match (actions, st.flushing.is_empty()) {
            (Some(a), false) => format!("Stop the {a} and flush"),
            (Some(a), true) => format!("Stop the {a}"),
            (None, _) => "Stop the running flush".to_string(),
        };
        // exactly what the dialog names (the ones past the first few by their count): an
        // action that starts while it is open is not among them
        let targets = st
            .running
            .iter()
            .map(|r| (r.action, &r.command, &r.stop))
            .chain(st.flushing.iter().map(|f| (f.action, &f.command, &f.stop)))
            .map(|(action, command, stop)| StopTarget {
                action,
                command: command.clone(),
                stop: stop.clone(),
            })
            .collect();
        vec![Effect::Confirm(Confirm {
            title: Clean::new(&title),
            // the commands are clean (escaped where they were built), the name escaped here
            lines: lines.into_iter().map(Clean::joined).collect(),
            // said once it is known whether they still ran (`QueueEvent::StopRun`)
            then: vec![Effect::Queue(QueueEffect::Stop {
                instance,
                targets,
                access: access.clone(),
            })],
        })]
    }

    /// What a stop confirmed on `instance` says once run: that it is stopping the commands
    /// that still ran, that the others it named had already ended (nothing was stopped for
    /// them), and, when something it did not name runs there (started while its dialog was
    /// open), that that goes on, and how to stop it. What goes on is said first: it is what
    /// the person who pressed `y` does not expect, and a 60-column status bar beside a long
    /// host name keeps about 31 columns of a notice, far fewer than a command line takes.
    fn stop_run_words(
        &self,
        instance: usize,
        stopped: &[StopTarget],
        ended: &[StopTarget],
    ) -> Clean {
        // one command line each, said once
        let commands = |targets: &[StopTarget]| {
            let mut out: Vec<&str> = Vec::new();
            for t in targets {
                if !out.contains(&t.command.as_str()) {
                    out.push(t.command.as_str());
                }
            }
            out.join("; ")
        };
        let stop = match (stopped.is_empty(), ended.is_empty()) {
            (true, _) => format!(
                "stop: {} had already ended - nothing was stopped",
                commands(ended)
            ),
            (false, true) => format!("stopping: {}…", commands(stopped)),
            (false, false) => format!(
                "stopping: {}… ({} had already ended)",
                commands(stopped),
                commands(ended)
            ),
        };
        let named: HashSet<ActionId> = stopped.iter().chain(ended).map(|t| t.action).collect();
        let goes_on: Vec<String> = self
            .instances
            .get(instance)
            .map(|st| {
                st.running
                    .iter()
                    .filter(|r| !named.contains(&r.action))
                    .map(Running::what)
                    .chain(
                        st.flushing
                            .iter()
                            .filter(|f| !named.contains(&f.action))
                            .map(|_| "flush".to_string()),
                    )
                    .collect()
            })
            .unwrap_or_default();
        let said = if goes_on.is_empty() {
            stop
        } else {
            let (goes, them) = if goes_on.len() == 1 {
                ("goes", "it")
            } else {
                ("go", "them")
            };
            format!(
                "{} {goes} on (started while the stop dialog was open; x stops {them}); {stop}",
                goes_on.join(", ")
            )
        };
        // the command lines are clean, escaped where they were built; the rest is ids and words
        // of our own
        Clean::joined(said)
    }

    /// With `[queue] postqueue_command` set, the list may be another host's (`ssh mx1
    /// postqueue -j`) while an action runs this host's postsuper or postqueue, with the same
    /// ids: the dialog says so before `y`.
    fn listed_by_line(&self) -> Option<String> {
        self.listed_by.as_ref().map(|cmd| {
            format!(
                "The list comes from [queue] postqueue_command ({cmd}), but this runs here, on \
                 this host's Postfix: go on only if that is the same queue (to list and act on \
                 another host, set command_prefix in [[postfix]] instead)."
            )
        })
    }

    fn open_detail(&mut self) -> Vec<Effect> {
        let Some((instance, e)) = self.selected_entry() else {
            return Vec::new();
        };
        let id = e.id.clone();
        self.detail = Some(Detail {
            instance,
            id: id.clone(),
            headers: Loadable::Loading,
            body: Loadable::NotAsked,
            scroll: Scroll::default(),
            gone: None,
        });
        vec![Effect::Queue(QueueEffect::Load {
            instance,
            id,
            part: Part::Headers,
        })]
    }

    pub(super) fn group_filter(&self) -> Option<&str> {
        self.filter.group.as_deref()
    }

    pub(super) fn on_action_impl(&mut self, action: QueueAction, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.set_now(cx.now);
        match action {
            QueueAction::SortNext => {
                self.sort = self.sort.next();
                self.resort();
                self.refilter();
                Vec::new()
            }
            QueueAction::SortReverse => {
                self.descending = !self.descending;
                self.resort();
                self.refilter();
                Vec::new()
            }
            QueueAction::CycleView => {
                self.mode = match self.mode {
                    Mode::Table => Mode::Shape(ShapeBy::Recipient),
                    Mode::Shape(_) => Mode::Reasons,
                    Mode::Reasons => Mode::Table,
                };
                self.detail = None;
                Vec::new()
            }
            QueueAction::ShapeBy => {
                self.mode = match self.mode {
                    Mode::Shape(ShapeBy::Recipient) => Mode::Shape(ShapeBy::Sender),
                    _ => Mode::Shape(ShapeBy::Recipient),
                };
                self.detail = None;
                Vec::new()
            }
            QueueAction::QueueFilter => {
                self.queue_filter = match self.queue_filter {
                    None => Some(QueueName::ALL[0]),
                    Some(q) => {
                        let i = QueueName::ALL.iter().position(|x| *x == q).unwrap_or(0);
                        QueueName::ALL.get(i + 1).copied()
                    }
                };
                self.refilter();
                Vec::new()
            }
            QueueAction::Tag => {
                if let Some(key) = self.selected_key() {
                    if self.tags.remove(&key) {
                        self.tags_unlisted.remove(&key);
                    } else {
                        self.tags.insert(key);
                    }
                    self.selected = (self.selected + 1).min(self.view.len().saturating_sub(1));
                }
                Vec::new()
            }
            QueueAction::TagAll => {
                for r in &self.view {
                    if let Some((s, e)) = self.model.get(*r) {
                        self.tags.insert((s.instance, e.id.clone()));
                    }
                }
                vec![Effect::notice(format!("{} messages tagged", self.tagged()))]
            }
            QueueAction::ClearTags => {
                self.tags.clear();
                self.tags_unlisted.clear();
                Vec::new()
            }
            QueueAction::Refresh => vec![Effect::Queue(QueueEffect::Refresh)],
            QueueAction::Body => match &mut self.detail {
                Some(d)
                    if d.body == Loadable::NotAsked || matches!(d.body, Loadable::Failed(_)) =>
                {
                    d.body = Loadable::Loading;
                    vec![Effect::Queue(QueueEffect::Load {
                        instance: d.instance,
                        id: d.id.clone(),
                        part: Part::Body,
                    })]
                }
                Some(_) => Vec::new(),
                None => vec![Effect::Notice(
                    "open a message (Enter) to load its body".into(),
                )],
            },
            QueueAction::History => match self
                .detail
                .as_ref()
                .map(|d| d.id.clone())
                .or_else(|| self.selected_entry().map(|(_, e)| e.id.clone()))
            {
                Some(id) => vec![Effect::Jump(Jump::LogHistory(id.to_string()))],
                None => Vec::new(),
            },
            QueueAction::Hold => self.confirm_op(QueueOp::Hold, cx),
            QueueAction::Release => self.confirm_op(QueueOp::Release, cx),
            QueueAction::Requeue => self.confirm_op(QueueOp::Requeue, cx),
            QueueAction::Delete => self.confirm_op(QueueOp::Delete, cx),
            QueueAction::Expire => self.confirm_op(QueueOp::Expire, cx),
            QueueAction::DeliverNow => self.confirm_op(QueueOp::DeliverNow, cx),
            QueueAction::Flush => self.confirm_flush(cx),
            QueueAction::Stop => self.confirm_stop(cx),
        }
    }

    pub(super) fn on_event_impl(&mut self, event: QueueEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.set_now(cx.now);
        match event {
            QueueEvent::Listed {
                instance,
                at,
                result,
            } => {
                // A slower, older listing must not overwrite a newer one.
                if let Some(st) = self.instances.get(instance)
                    && st.updated.is_some_and(|u| u > at)
                {
                    return Vec::new();
                }
                match result {
                    Ok(parsed) => {
                        self.put_listing(instance, at, parsed);
                        cx.shared.queue = self.model.clone();
                        let mut effects = self.watch_tried(&cx.shared.mail_log, cx.now);
                        if self.follow.as_ref().is_some_and(|f| f.instance == instance) {
                            effects.extend(self.follow_requeue(&cx.shared.mail_log, cx.now));
                        }
                        return effects;
                    }
                    Err(e) => {
                        // A queue that keeps failing the same way on every
                        // poll is one error, not one per poll: the count
                        // (and the screen) stays still until something changes.
                        let repeated = self.instances.get(instance).is_some_and(|st| {
                            st.error.as_ref().map(ToString::to_string) == Some(e.to_string())
                        });
                        if !repeated {
                            self.errors += 1;
                        }
                        if let Some(st) = self.instances.get_mut(instance) {
                            st.error = Some(e);
                        }
                    }
                }
                Vec::new()
            }
            QueueEvent::Version { instance, result } => {
                if let Some(st) = self.instances.get_mut(instance) {
                    st.version = Some(result);
                }
                Vec::new()
            }
            QueueEvent::Progress {
                instance,
                action,
                op,
                done,
                of,
                one,
                command,
                stop,
            } => {
                if let Some(st) = self.instances.get_mut(instance) {
                    match st.running.iter_mut().find(|r| r.action == action) {
                        // a later report keeps the time it started
                        Some(r) => r.done = done,
                        // its first, sent before it runs
                        None => st.running.push(Running {
                            action,
                            op,
                            done,
                            of,
                            one,
                            command,
                            since: cx.now,
                            stop,
                        }),
                    }
                }
                Vec::new()
            }
            QueueEvent::Applied {
                instance,
                action,
                result,
            } => {
                // the message, when the action was on one: the result's own (the latest
                // progress may be another action's, started meanwhile)
                let one = match &result {
                    Ok(o) => o.one.clone(),
                    Err(_) => None,
                };
                // its own action ends, Ok or Err, not another still running beside it (one
                // refused before it ran sent no report, and has no record)
                if let Some(st) = self.instances.get_mut(instance) {
                    st.running.retain(|r| r.action != action);
                }
                // An action on several instances reports once per instance: each result names
                // its instance, and only its own tags are done with (a failed instance's stay).
                let pre = match self.instances.get(instance) {
                    Some(st) if self.instances.len() > 1 => format!("[{}] ", st.name),
                    _ => String::new(),
                };
                // A requeue of the followed message arms the follow; anything
                // else on its instance ends one whose dialog was cancelled.
                let requeued = match &result {
                    Ok(o) if o.op == QueueOp::Requeue => self.follow.as_ref().and_then(|f| {
                        let missed = o.missed.as_ref().is_some_and(|m| m.contains(&f.old));
                        (f.instance == instance && f.since.is_none() && !missed).then_some(true)
                    }),
                    _ => None,
                };
                if requeued.is_some() {
                    if let Some(f) = self.follow.as_mut() {
                        f.since = Some(cx.now);
                    }
                } else if self
                    .follow
                    .as_ref()
                    .is_some_and(|f| f.instance == instance && f.since.is_none())
                {
                    self.follow = None;
                }
                // a deliver now of one message is watched until the log says how it went
                if let (Ok(o), Some(id)) = (&result, &one)
                    && o.op == QueueOp::DeliverNow
                    && o.asked == 1
                    && o.missed.as_ref().is_none_or(|m| m.is_empty())
                {
                    self.tried = Some(Tried {
                        instance,
                        id: id.clone(),
                        since: cx.now,
                        arrival: self
                            .lookup(instance, id)
                            .map_or(cx.now.timestamp(), |e| e.arrival),
                    });
                }
                let text = match result {
                    Ok(o) => {
                        // the messages it never reached stay tagged, for the same action once
                        // its cause is fixed, or again after a stop (`x`): those a postsuper
                        // stopped or failed part-way did not name, and those a deliver now did
                        // not get Postfix to try (its `postqueue -i` failed or was stopped, or
                        // it was not asked for); a postsuper that ran through misses only
                        // messages no longer there to act on
                        let unreached: HashSet<&QueueId> = match (&o.stopped, o.op) {
                            (Some(_), _) | (None, QueueOp::DeliverNow) => {
                                o.missed.iter().flatten().collect()
                            }
                            (None, _) => HashSet::new(),
                        };
                        self.tags
                            .retain(|(i, id)| *i != instance || unreached.contains(id));
                        self.tags_unlisted
                            .retain(|(i, id)| *i != instance || unreached.contains(id));
                        // the instance's name is the configuration's, escaped here; the summary
                        // joins the command's clean lines
                        let mut s = Clean::new(&pre);
                        s.push_clean(&Clean::joined(match &one {
                            Some(id) => o.summary_of_one(id),
                            None => o.summary(),
                        }));
                        // green only when every message asked for was done
                        let all =
                            o.done.is_some_and(|n| n as usize == o.asked) && o.stopped.is_none();
                        self.keep_notice(all, &s, cx.now);
                        s
                    }
                    // the demo's refusal is what its dialog said: no error, nothing to keep
                    Err(e @ QueueError::Demo { .. }) => Clean::joined(e.to_string()),
                    Err(e) => {
                        // a stop the user asked for is no failure of the source
                        if !matches!(e, QueueError::StoppedByUser { .. }) {
                            self.errors += 1;
                        }
                        // an error's sentence is clean: its outside parts were escaped where
                        // the command's output was read
                        let mut s = Clean::new(&pre);
                        s.push_clean(&Clean::joined(e.to_string()));
                        self.keep_notice(false, &s, cx.now);
                        s
                    }
                };
                let mut effects = vec![Effect::Notice(text), Effect::Queue(QueueEffect::Refresh)];
                if requeued.is_some() {
                    // the listing may have come first
                    effects.extend(self.follow_requeue(&cx.shared.mail_log, cx.now));
                }
                // and the log, for a deliver now
                effects.extend(self.watch_tried(&cx.shared.mail_log, cx.now));
                effects
            }
            QueueEvent::StopRun {
                instance,
                stopped,
                ended,
            } => vec![Effect::Notice(
                self.stop_run_words(instance, &stopped, &ended),
            )],
            QueueEvent::FlushStarted {
                instance,
                action,
                command,
                stop,
            } => {
                if let Some(st) = self.instances.get_mut(instance) {
                    st.flushing.push(Flushing {
                        action,
                        command,
                        since: cx.now,
                        stop,
                    });
                }
                Vec::new()
            }
            QueueEvent::Flushed {
                instance,
                action,
                result,
            } => {
                if let Some(st) = self.instances.get_mut(instance) {
                    st.flushing.retain(|f| f.action != action);
                }
                let name = self
                    .instances
                    .get(instance)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                let text = match result {
                    Ok(_) => {
                        let s = Clean::new(&if self.demo {
                            format!("flush ({name}): {DEMO_FLUSHED}")
                        } else {
                            format!("flush ({name}): Postfix is retrying the deferred mail")
                        });
                        self.keep_flushed(instance, true, s, cx.now)
                    }
                    // the demo's refusal is what its dialog said: no error, nothing to keep
                    Err(e @ QueueError::Demo { .. }) => Clean::joined(e.to_string()),
                    Err(e) => {
                        // a stop the user asked for is no failure of the source
                        if !matches!(e, QueueError::StoppedByUser { .. }) {
                            self.errors += 1;
                        }
                        let s = Clean::joined(e.to_string());
                        self.keep_flushed(instance, false, s, cx.now)
                    }
                };
                vec![Effect::Notice(text), Effect::Queue(QueueEffect::Refresh)]
            }
            QueueEvent::Loaded {
                instance,
                id,
                part,
                result,
            } => {
                if let Some(d) = self.detail.as_mut()
                    && d.instance == instance
                    && d.id == id
                {
                    let slot = match part {
                        Part::Headers => &mut d.headers,
                        Part::Body => &mut d.body,
                    };
                    *slot = match result {
                        Ok((lines, cut)) => Loadable::Loaded { lines, cut },
                        Err(e) => Loadable::Failed(e.to_string()),
                    };
                }
                Vec::new()
            }
        }
    }

    pub(super) fn on_nav_impl(&mut self, nav: Nav) {
        if let Some(d) = self.detail.as_mut() {
            d.scroll.nav(nav);
            return;
        }
        if self.mode == Mode::Table
            && let Some(f) = self.follow.as_mut()
        {
            // moved by hand: the cursor is no longer taken to the requeued message
            f.cursor = false;
        }
        let (sel, len) = match self.mode {
            Mode::Reasons => (&mut self.reason_sel, self.reasons.len()),
            _ => (&mut self.selected, self.view.len()),
        };
        let last = len.saturating_sub(1);
        *sel = match nav {
            Nav::Up => sel.saturating_sub(1),
            Nav::Down => (*sel + 1).min(last),
            Nav::PageUp => sel.saturating_sub(10),
            Nav::PageDown => (*sel + 10).min(last),
            Nav::Top => 0,
            Nav::Bottom => last,
        };
    }

    pub(super) fn on_enter_impl(&mut self) -> Vec<Effect> {
        match self.mode {
            Mode::Reasons => {
                if let Some(g) = self.reasons.get(self.reason_sel) {
                    self.filter.group = Some(g.key.clone());
                    self.mode = Mode::Table;
                    self.selected = 0;
                    self.refilter();
                }
                Vec::new()
            }
            Mode::Shape(_) => Vec::new(),
            Mode::Table => self.open_detail(),
        }
    }

    pub(super) fn on_back_impl(&mut self) -> bool {
        if self.detail.take().is_some() {
            return true;
        }
        if self.filter.group.take().is_some() {
            self.refilter();
            return true;
        }
        if self.mode != Mode::Table {
            self.mode = Mode::Table;
            return true;
        }
        false
    }

    pub(super) fn set_filter_impl(&mut self, text: &str) {
        // Typing one more character of plain, from:, to:, reason: or queue
        // terms can only narrow the view (regexes and ages can widen it).
        // A new `:` turns a plain word into a key (`from` -> `from:`), which
        // can widen: then filter from scratch.
        let narrowing = !self.filter_text.is_empty()
            && text
                .strip_prefix(self.filter_text.as_str())
                .is_some_and(|added| !added.contains(':'))
            && self.filter_error.is_none()
            && !text.contains("re:")
            && !text.contains("age");
        self.filter_text = text.to_string();
        match Filter::parse(&self.filter_text) {
            Ok(mut f) => {
                f.group = self.filter.group.take();
                self.filter = f;
                self.filter_error = None;
                if let Some(pos) = self.typed.iter().rposition(|(t, _)| *t == self.filter_text) {
                    // Deleting back to a text typed a moment ago.
                    let keep = self.selected_key();
                    self.view = self.typed[pos].1.clone();
                    self.typed.truncate(pos + 1);
                    self.reselect(keep);
                    return;
                }
                self.refilter_from(narrowing);
                // Age terms depend on the clock: never reuse their views.
                if text.contains("age") {
                    self.typed.clear();
                } else {
                    let extends = self
                        .typed
                        .last()
                        .is_some_and(|(t, _)| self.filter_text.starts_with(t.as_str()));
                    if !extends || self.typed.len() >= 32 {
                        self.typed.clear();
                    }
                    self.typed
                        .push((self.filter_text.clone(), self.view.clone()));
                }
            }
            Err(e) => {
                // Keep the last good filter and say what is wrong.
                self.filter_error = Some(e);
            }
        }
    }

    pub(super) fn on_jump_impl(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        self.set_now(cx.now);
        let Jump::QueueEntry(id) = jump else {
            return false;
        };
        let Ok(id) = QueueId::parse(id) else {
            return false;
        };
        let find = |p: &QueuePane| {
            p.view
                .iter()
                .position(|r| p.model.get(*r).is_some_and(|(_, e)| e.id == id))
        };
        let mut pos = find(self);
        if pos.is_none() && self.model.find(id.as_str()).is_some() {
            // It is hidden by a filter: clear the filters to show it.
            self.filter_text.clear();
            self.filter = Filter::default();
            self.filter_error = None;
            self.queue_filter = None;
            self.refilter();
            pos = find(self);
        }
        match pos {
            Some(p) => {
                self.mode = Mode::Table;
                self.selected = p;
                let _ = self.open_detail();
                // The header load is asked for by the next Enter or on_tick;
                // a jump cannot return effects, so mark it to be asked.
                if let Some(d) = self.detail.as_mut() {
                    d.headers = Loadable::NotAsked;
                }
                true
            }
            None => false,
        }
    }

    /// Ask for anything the detail still needs (after a jump), and give up
    /// a requeued message not found in time, even when no listing comes.
    pub(super) fn on_tick_impl(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.set_now(cx.now);
        // the rows a success took go back to the queue once it is old news
        if matches!(self.notice, Some((true, _)))
            && cx.now.timestamp() - self.notice_at >= NOTICE_KEPT_SECS
        {
            self.notice = None;
        }
        let mut effects = self.follow_deadline(&cx.shared.mail_log, cx.now);
        effects.extend(self.watch_tried(&cx.shared.mail_log, cx.now));
        if let Some(d) = self.detail.as_mut()
            && d.headers == Loadable::NotAsked
        {
            d.headers = Loadable::Loading;
            effects.push(Effect::Queue(QueueEffect::Load {
                instance: d.instance,
                id: d.id.clone(),
                part: Part::Headers,
            }));
        }
        effects
    }

    pub(super) fn filter_impl(&self) -> &str {
        &self.filter_text
    }
}

/// Every message in `model`, by (instance, id), with its queue.
fn present(model: &QueueModel) -> HashMap<(usize, &QueueId), QueueName> {
    model
        .snapshots
        .iter()
        .flat_map(|s| {
            s.entries
                .iter()
                .map(move |e| ((s.instance, &e.id), e.queue))
        })
        .collect()
}

/// The picked messages an operation leaves out, grouped by why (in the
/// order first met): the words, the hint, the messages.
type LeftOut<'a> = Vec<(&'static str, Option<&'static str>, Vec<&'a QueueId>)>;

fn left_out_groups(op: QueueOp, left_out: &[(usize, QueueId, QueueName)]) -> LeftOut<'_> {
    let mut groups: LeftOut<'_> = Vec::new();
    for (_, id, q) in left_out {
        let why = op.left_out_because(*q);
        match groups.iter_mut().find(|g| g.0 == why) {
            Some(g) => g.2.push(id),
            None => groups.push((why, op.left_out_hint(*q), vec![id])),
        }
    }
    groups
}

/// The notice when an operation applies to none of the picked messages.
fn refusal(op: QueueOp, left_out: &[(usize, QueueId, QueueName)]) -> String {
    let groups = left_out_groups(op, left_out);
    let (why, hint) = match (left_out, groups.as_slice()) {
        ([one], [(because, hint, _)]) => (format!("{} is {because}", one.1), *hint),
        (many, _) if op == QueueOp::Release => (
            format!("none of the {} tagged messages is on hold", many.len()),
            None,
        ),
        (many, [(because, hint, _)]) => (
            format!("all {} tagged messages are {because}", many.len()),
            *hint,
        ),
        (many, _) if op == QueueOp::DeliverNow => (
            format!("none of the {} tagged messages is deferred", many.len()),
            groups.iter().find_map(|g| g.1),
        ),
        (many, _) => (
            format!("none of the {} tagged messages can be", many.len()),
            None,
        ),
    };
    match hint {
        Some(hint) => format!("{}: {why}; {hint}", op.verb()),
        None => format!("{}: {why}", op.verb()),
    }
}

/// The confirm line naming the picked messages an operation leaves out,
/// with why.
fn left_out_line(op: QueueOp, left_out: &[(usize, QueueId, QueueName)]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = Vec::new();
    for (i, (because, hint, ids)) in left_out_groups(op, left_out).into_iter().enumerate() {
        let k = ids.len();
        let mut named: Vec<String> = ids.iter().take(SHOWN).map(|id| id.to_string()).collect();
        if k > SHOWN {
            named.push(format!("… and {} more", k - SHOWN));
        }
        let mut part = format!(
            "{k}{} {} {because}: {}",
            if i == 0 {
                format!(" message{}", plural(k))
            } else {
                String::new()
            },
            if k == 1 { "is" } else { "are" },
            named.join(", ")
        );
        if let Some(hint) = hint {
            part.push_str(&format!(" ({hint})"));
        }
        parts.push(part);
    }
    format!("left out: {}", parts.join("; "))
}

/// For a change to messages in the active queue: postsuper moves or removes the queue file at
/// once, but a delivery agent that has it open goes on with its attempt, and a message held,
/// deleted, requeued or expired so may still be delivered by it (the log then says `sent` for
/// it, and the queue manager warns that the file is gone).
fn active_line(op: QueueOp, targets: &[(usize, QueueId, QueueName)]) -> Option<String> {
    if !matches!(
        op,
        QueueOp::Hold | QueueOp::Delete | QueueOp::Requeue | QueueOp::Expire
    ) {
        return None;
    }
    let active = targets.iter().filter(|t| t.2 == QueueName::Active).count();
    let (whose, it) = match (targets.len(), active) {
        (_, 0) => return None,
        (1, _) => ("It is".to_string(), "it"),
        (_, 1) => ("1 of them is".to_string(), "it"),
        (_, n) => (format!("{n} of them are"), "them"),
    };
    Some(format!(
        "{whose} in the active queue: a delivery attempt already under way is not stopped, and may still deliver {it}."
    ))
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The confirm dialog's lines and the effects it runs: one effect per
/// instance, each carrying the write access and the next number of `next_action`.
pub fn confirm_text(
    op: QueueOp,
    targets: &[(usize, QueueId, QueueName)],
    instances: &[InstanceState],
    access: &crate::access::WriteAccess,
    next_action: &mut ActionId,
) -> (Vec<String>, Vec<Effect>) {
    const SHOWN: usize = 8;
    let n = targets.len();
    let mut queues: Vec<&str> = Vec::new();
    for (_, _, q) in targets {
        if !queues.contains(&q.as_str()) {
            queues.push(q.as_str());
        }
    }
    let mut ids: Vec<String> = targets
        .iter()
        .take(SHOWN)
        .map(|t| t.1.to_string())
        .collect();
    if n > SHOWN {
        ids.push(format!("… and {} more", n - SHOWN));
    }
    let mut lines = vec![format!(
        "{} {n} message{} from {}: {}",
        op.verb(),
        plural(n),
        queues.join(" and "),
        ids.join(", ")
    )];
    lines.push(op.consequence(n).to_string());
    let by_instance: BTreeSet<usize> = targets.iter().map(|t| t.0).collect();
    if instances.len() > 1 || by_instance.len() > 1 {
        let names: Vec<String> = by_instance
            .iter()
            .map(|i| {
                instances
                    .get(*i)
                    // the configuration's name, escaped where it is joined to the dialog's line
                    .map_or_else(|| format!("#{i}"), |s| Clean::new(&s.name).into_string())
            })
            .collect();
        lines.push(format!("Postfix instance: {}", names.join(", ")));
    }
    let then = by_instance
        .into_iter()
        .map(|instance| {
            let action = *next_action;
            *next_action = action.next();
            Effect::Queue(QueueEffect::Apply {
                instance,
                action,
                op,
                ids: targets
                    .iter()
                    .filter(|t| t.0 == instance)
                    .map(|t| t.1.clone())
                    .collect(),
                access: access.clone(),
                stop: StopSwitch::default(),
            })
        })
        .collect();
    (lines, then)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::Effect;
    use crate::app::pane::Pane;
    use crate::config::PostfixInstance;
    use crate::mail::queue::commands::Outcome;
    use crate::mail::queue::parse::parse_jsonl;
    use crate::mail::queue::testkit::{Fx, NOW, fixture, now};

    fn confirm(effects: Vec<Effect>) -> Confirm {
        match effects.into_iter().next() {
            Some(Effect::Confirm(c)) => c,
            other => panic!("expected a confirm, got {other:?}"),
        }
    }

    fn selected_id(fx: &Fx) -> String {
        fx.pane.selected_entry().unwrap().1.id.to_string()
    }

    #[test]
    fn a_tag_outlives_one_listing_that_misses_its_message() {
        // postqueue -j misses a message moving between queue directories as
        // it reads them (deferred to incoming, on a flush): one listing
        // without it untagged it, and the next listing had it back untagged
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::TagAll);
        assert_eq!(fx.pane.tagged(), 6);
        let without: String = fixture()
            .lines()
            .filter(|l| !l.contains("4889DC8909"))
            .map(|l| format!("{l}\n"))
            .collect();
        listed_at(&mut fx, &without, 5);
        assert_eq!(fx.pane.tagged(), 5, "counted as the listing has them");
        let s = fx.draw(80, 24, true);
        assert!(s.contains("│5 tagged · "), "{s}");
        let c = confirm(fx.act(QueueAction::Hold));
        assert_eq!(c.title, "Hold 4 messages", "acts only on listed messages");
        listed_at(&mut fx, &fixture(), 10);
        assert_eq!(fx.pane.tagged(), 6, "back, and still tagged");
        let c = confirm(fx.act(QueueAction::Hold));
        assert_eq!(c.title, "Hold 5 messages");
        // two listings in a row without it: it left, and its tag goes
        listed_at(&mut fx, &without, 15);
        listed_at(&mut fx, &without, 20);
        listed_at(&mut fx, &fixture(), 25);
        assert_eq!(fx.pane.tagged(), 5);
    }

    /// Two instances read every 5 s, one of which stops answering: the queue is as current as
    /// the one read longest ago, not as the one that still answers. An instance never read
    /// makes it never read.
    #[test]
    fn the_queue_is_as_current_as_its_instance_read_longest_ago() {
        use crate::app::pane::Polled;
        let mut config = Config::default();
        config.postfix.push(PostfixInstance {
            name: "out".into(),
            config_dir: "/etc/postfix-out".into(),
            command_prefix: vec![],
        });
        let mut fx = Fx::with_config(&config, &fixture());
        let at = |secs: i64| now() + chrono::Duration::seconds(secs);
        let listed = |fx: &mut Fx, instance: usize, secs: i64| {
            fx.event(QueueEvent::Listed {
                instance,
                at: at(secs),
                result: Ok(parse_jsonl(b"")),
            });
        };
        listed(&mut fx, 0, 5);
        let never = Polled {
            every_secs: 5,
            last: None,
        };
        assert_eq!(fx.pane.polled(), Some(never));
        listed(&mut fx, 1, 6);
        listed(&mut fx, 0, 600);
        assert_eq!(
            fx.pane.polled(),
            Some(Polled {
                every_secs: 5,
                last: Some(at(6)),
            })
        );
        // the status bar's age is the newest read's
        assert_eq!(fx.pane.health().last_update, Some(at(600)));
        // with `postqueue_command`, the first instance alone is listed, and awaited
        config.queue.postqueue_command = Some(vec!["ssh".into(), "mx1".into()]);
        config.queue.interval_secs = 20;
        let mut fx = Fx::with_config(&config, &fixture());
        listed(&mut fx, 0, 5);
        assert_eq!(
            fx.pane.polled(),
            Some(Polled {
                every_secs: 20,
                last: Some(at(5)),
            })
        );
    }

    #[test]
    fn another_instance_listing_says_nothing_of_this_ones_tags() {
        let mut config = Config::default();
        config.postfix.push(PostfixInstance {
            name: "out".into(),
            config_dir: "/etc/postfix-out".into(),
            command_prefix: vec![],
        });
        let mut fx = Fx::with_config(&config, &fixture());
        fx.act(QueueAction::TagAll);
        let without: String = fixture()
            .lines()
            .filter(|l| !l.contains("4889DC8909"))
            .map(|l| format!("{l}\n"))
            .collect();
        listed_at(&mut fx, &without, 5);
        for secs in [6, 7] {
            fx.event(QueueEvent::Listed {
                instance: 1,
                at: now() + chrono::Duration::seconds(secs),
                result: Ok(parse_jsonl(b"")),
            });
        }
        listed_at(&mut fx, &fixture(), 10);
        assert_eq!(fx.pane.tagged(), 6);
    }

    #[test]
    fn selection_follows_the_message_across_refreshes() {
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "D00D00D00D");
        // a new, older message arrives on top and one above leaves
        let text: String = fixture()
            .lines()
            .filter(|l| !l.contains("4889DC8909"))
            .map(|l| format!("{l}\n"))
            .chain(std::iter::once(format!(
                "{}\n",
                serde_json::json!({"queue_name":"deferred","queue_id":"0123456789","arrival_time":1,"sender":"x@y","recipients":[]})
            )))
            .collect();
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now(),
            result: Ok(parse_jsonl(text.as_bytes())),
        });
        assert_eq!(selected_id(&fx), "D00D00D00D");
        // an older listing that arrives late is ignored
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now() - chrono::Duration::seconds(10),
            result: Ok(parse_jsonl(b"")),
        });
        assert_eq!(fx.pane.view_len(), 6);
    }

    #[test]
    fn selection_stays_on_its_message_when_new_mail_is_listed_before_it() {
        // postqueue -j lists in queue-file order: new mail can come first.
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "D00D00D00D");
        let newer: Vec<String> = (0..3)
            .map(|i| {
                serde_json::json!({"queue_name":"deferred","queue_id":format!("0000AAAA0{i}"),"arrival_time":NOW-10,"sender":"new@shop.example","recipients":[{"address":"z@example.net","delay_reason":"x"}]})
                    .to_string()
                    + "\n"
            })
            .collect();
        let text = newer.concat() + &fixture();
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(5),
            result: Ok(parse_jsonl(text.as_bytes())),
        });
        assert_eq!(selected_id(&fx), "D00D00D00D");
        // and the same when sorted the other way, where the new mail is shown first
        fx.act(QueueAction::SortReverse);
        assert_eq!(selected_id(&fx), "D00D00D00D");
        let more = newer.concat().replace("0000AAAA0", "0000BBBB0") + &text;
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(10),
            result: Ok(parse_jsonl(more.as_bytes())),
        });
        assert_eq!(selected_id(&fx), "D00D00D00D");
    }

    #[test]
    fn reasons_cursor_stays_on_its_group_when_the_groups_reorder() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::CycleView); // qshape
        fx.act(QueueAction::CycleView); // reasons
        assert_eq!(fx.pane.mode, Mode::Reasons);
        let keys: Vec<String> = fx.pane.reasons.iter().map(|g| g.key.clone()).collect();
        assert!(keys.len() >= 2, "{keys:?}");
        fx.nav(Nav::Down);
        let picked = keys[1].clone();
        // the smaller group grows past the larger one
        let greylist = "host mx.corp.example[192.0.2.25] said: 451 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)";
        let grown: String = (0..5)
            .map(|i| {
                serde_json::json!({"queue_name":"deferred","queue_id":format!("0000CCCC0{i}"),"arrival_time":NOW-10,"sender":"a@ops.example","recipients":[{"address":format!("p{i}@corp.example"),"delay_reason":greylist}]})
                    .to_string()
                    + "\n"
            })
            .collect::<String>()
            + &fixture();
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(5),
            result: Ok(parse_jsonl(grown.as_bytes())),
        });
        assert_ne!(fx.pane.reasons[1].key, picked, "the order changed");
        assert_eq!(fx.pane.reasons[fx.pane.reason_sel].key, picked);
        // Enter shows the messages of the group the cursor is on
        fx.enter();
        assert_eq!(fx.pane.group_filter(), Some(picked.as_str()));
    }

    #[test]
    fn confirm_says_exactly_what_happens() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::Tag); // A1B2C3D4E5, the oldest; moves down
        fx.act(QueueAction::Tag); // 4889DC8909
        fx.nav(Nav::Bottom);
        fx.act(QueueAction::Tag); // C0FFEE1234, active
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.title, "Delete 3 messages");
        assert_eq!(
            c.lines[0],
            "delete 3 messages from deferred and active: 4889DC8909, A1B2C3D4E5, C0FFEE1234"
        );
        assert_eq!(c.lines[1], "They are removed for good. No bounce is sent.");
        assert_eq!(
            c.lines[2],
            "1 of them is in the active queue: a delivery attempt already under way is not stopped, and may still deliver it."
        );
        assert_eq!(c.then.len(), 1);
        match &c.then[0] {
            Effect::Queue(QueueEffect::Apply {
                op, ids, instance, ..
            }) => {
                assert_eq!(*op, QueueOp::Delete);
                assert_eq!(*instance, 0);
                assert_eq!(ids.len(), 3);
            }
            other => panic!("{other:?}"),
        }
        // without tags, the selected message only
        fx.act(QueueAction::ClearTags);
        fx.nav(Nav::Top);
        let c = confirm(fx.act(QueueAction::Hold));
        assert_eq!(c.lines[0], "hold 1 message from deferred: A1B2C3D4E5");
    }

    #[test]
    fn actions_leave_out_messages_in_the_wrong_state() {
        // The fixture in table order (oldest first): A1B2C3D4E5, 4889DC8909,
        // D00D00D00D, 59F14C8904 (deferred), B0B0B0B0B0 (hold), C0FFEE1234 (active).
        let mut fx = Fx::new(&fixture());
        // release of a deferred message: refused, it is not on hold
        let out = fx.act(QueueAction::Release);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "release: A1B2C3D4E5 is not on hold"),
            "{out:?}"
        );
        // hold and deliver now of the held message: refused
        fx.nav(Nav::Bottom);
        fx.nav(Nav::Up);
        assert_eq!(selected_id(&fx), "B0B0B0B0B0");
        let out = fx.act(QueueAction::Hold);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "hold: B0B0B0B0B0 is already on hold"),
            "{out:?}"
        );
        let out = fx.act(QueueAction::DeliverNow);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "deliver now: B0B0B0B0B0 is on hold; held mail is not delivered - release it first (H)"),
            "{out:?}"
        );
        // release of the held message is offered
        let c = confirm(fx.act(QueueAction::Release));
        assert_eq!(c.lines[0], "release 1 message from hold: B0B0B0B0B0");

        // a mixed tag set: the action takes only the messages it applies to
        fx.act(QueueAction::Tag); // B0B0B0B0B0, moves down
        fx.act(QueueAction::Tag); // C0FFEE1234
        let c = confirm(fx.act(QueueAction::Release));
        assert_eq!(c.title, "Release 1 message");
        assert_eq!(c.lines[0], "release 1 message from hold: B0B0B0B0B0");
        assert_eq!(c.lines[1], "left out: 1 message is not on hold: C0FFEE1234");
        match &c.then[..] {
            [Effect::Queue(QueueEffect::Apply { ids, .. })] => {
                assert_eq!(
                    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
                    ["B0B0B0B0B0"]
                );
            }
            other => panic!("{other:?}"),
        }
        let c = confirm(fx.act(QueueAction::Hold));
        assert_eq!(c.lines[0], "hold 1 message from active: C0FFEE1234");
        assert_eq!(
            c.lines[1],
            "left out: 1 message is already on hold: B0B0B0B0B0"
        );
        // deliver now takes deferred mail only: held mail is not delivered,
        // active mail is on its way already (postqueue -i leaves it)
        let out = fx.act(QueueAction::DeliverNow);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "deliver now: none of the 2 tagged messages is deferred; held mail is not delivered - release it first (H)"),
            "{out:?}"
        );
        fx.nav(Nav::Top);
        fx.act(QueueAction::Tag); // A1B2C3D4E5, deferred
        let c = confirm(fx.act(QueueAction::DeliverNow));
        assert_eq!(
            c.lines[0],
            "deliver now 1 message from deferred: A1B2C3D4E5"
        );
        assert_eq!(
            c.lines[1],
            "left out: 1 message is on hold: B0B0B0B0B0 (held mail is not delivered - release it first (H)); 1 is not deferred (on its way already): C0FFEE1234"
        );
        fx.act(QueueAction::ClearTags);
        fx.nav(Nav::Bottom);
        assert_eq!(selected_id(&fx), "C0FFEE1234");
        let out = fx.act(QueueAction::DeliverNow);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "deliver now: C0FFEE1234 is not deferred (on its way already)"),
            "{out:?}"
        );
        fx.nav(Nav::Bottom);
        fx.nav(Nav::Up);
        fx.act(QueueAction::Tag);
        fx.act(QueueAction::Tag);
        // operations that take any queue leave nothing out
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.title, "Delete 2 messages");
        assert_eq!(c.lines[1], "They are removed for good. No bounce is sent.");

        // tagged messages none of which is on hold
        fx.act(QueueAction::ClearTags);
        fx.nav(Nav::Top);
        fx.act(QueueAction::Tag);
        fx.act(QueueAction::Tag);
        let out = fx.act(QueueAction::Release);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "release: none of the 2 tagged messages is on hold"),
            "{out:?}"
        );
    }

    #[test]
    fn confirm_says_whose_mail_it_is() {
        // the dialog covers the table: the ids alone do not say which messages
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "D00D00D00D");
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(
            c.lines.last().map(Clean::as_str),
            Some("from news@shop.example to list0@example.net and 39 more recipients")
        );
        // a hostile sender is shown escaped, once
        fx.nav(Nav::Bottom);
        assert_eq!(selected_id(&fx), "C0FFEE1234");
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(
            c.lines.last().map(Clean::as_str),
            Some(r"from evil\e[2J@x.example to eve@outlook.com")
        );
        // many: the senders with the most of them first
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(
            c.lines.last().map(Clean::as_str),
            Some(r"from news@shop.example (2), <> (1), alerts@ops.example (1), and 2 more senders")
        );
    }

    #[test]
    fn flush_says_why_the_mail_waits() {
        // flushing before the cause is fixed only defers them all again
        let mut fx = Fx::new(&fixture());
        let c = confirm(fx.act(QueueAction::Flush));
        assert_eq!(
            c.lines,
            [
                "flush: try all 4 deferred messages now (postqueue -f)",
                "Postfix instance: default",
                "deferred for: SES throttling (3), greylisted (1); a flush before the cause is gone defers them again",
            ]
        );
    }

    #[test]
    fn an_action_from_a_detail_acts_on_that_message_only() {
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "4889DC8909");
        fx.enter();
        // it is delivered: the next listing no longer has it, and the
        // cursor's row now holds the next message
        let text: String = fixture()
            .lines()
            .filter(|l| !l.contains("4889DC8909"))
            .map(|l| format!("{l}\n"))
            .collect();
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(5),
            result: Ok(parse_jsonl(text.as_bytes())),
        });
        assert_eq!(selected_id(&fx), "D00D00D00D");
        let out = fx.act(QueueAction::Delete);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "delete: 4889DC8909 is no longer in the queue (delivered, deleted or requeued)"),
            "{out:?}"
        );
        // back in the table, the cursor's message is the one acted on
        assert!(fx.pane.on_back_impl());
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.lines[0], "delete 1 message from deferred: D00D00D00D");
    }

    /// The fixture with 4889DC8909 requeued: gone, and in its place `new`
    /// (same sender, recipient and arrival time, a new size), with `twins`
    /// more like it, also new.
    fn requeued_listing(new: &str, twins: &[&str]) -> String {
        let mut text: String = fixture()
            .lines()
            .filter(|l| !l.contains("4889DC8909"))
            .map(|l| format!("{l}\n"))
            .collect();
        for id in std::iter::once(&new).chain(twins) {
            text.push_str(&format!(
                "{}\n",
                serde_json::json!({"queue_name":"active","queue_id":id,"arrival_time":NOW-7300,"message_size":2990,"forced_expire":false,"sender":"orders@shop.example","recipients":[{"address":"ann@gmail.com"}]})
            ));
        }
        text
    }

    /// The result of a hold of one message that went well (`one`: the message it names).
    fn held(one: Option<QueueId>) -> Outcome {
        Outcome {
            op: QueueOp::Hold,
            asked: 1,
            done: Some(1),
            missed: Some(vec![]),
            lines: vec![],
            stopped: None,
            one,
        }
    }

    fn requeued(fx: &mut Fx) -> Vec<Effect> {
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::Requeue,
                asked: 1,
                done: Some(1),
                missed: Some(vec![]),
                lines: vec![],
                stopped: None,
                one: None,
            }),
        })
    }

    fn listed_at(fx: &mut Fx, text: &str, secs: i64) -> Vec<Effect> {
        let at = now() + chrono::Duration::seconds(secs);
        let ev = QueueEvent::Listed {
            instance: 0,
            at,
            result: Ok(parse_jsonl(text.as_bytes())),
        };
        fx.at(at, |p, cx| p.on_event(ev, cx))
    }

    fn loads(out: &[Effect]) -> Vec<(String, Part)> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Queue(QueueEffect::Load { id, part, .. }) => Some((id.to_string(), *part)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_requeued_message_is_followed_to_its_new_id_by_what_the_queue_lists() {
        // no mail log: the one new message with its sender, recipients and
        // arrival time is it
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "4889DC8909");
        fx.enter();
        fx.act(QueueAction::Body);
        let c = confirm(fx.act(QueueAction::Requeue));
        assert_eq!(c.lines[0], "requeue 1 message from deferred: 4889DC8909");
        requeued(&mut fx);
        let out = listed_at(&mut fx, &requeued_listing("5C0E1C8904", &[]), 3);
        assert_eq!(selected_id(&fx), "5C0E1C8904", "the cursor follows it");
        let d = fx.pane.detail.as_ref().expect("the detail stays open");
        assert_eq!(d.id.as_str(), "5C0E1C8904");
        assert_eq!(
            loads(&out),
            [
                ("5C0E1C8904".to_string(), Part::Headers),
                ("5C0E1C8904".to_string(), Part::Body)
            ],
            "its headers and body are read again under the new id"
        );
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "requeue: 4889DC8909 is now 5C0E1C8904"),
            "{out:?}"
        );
        assert!(fx.pane.follow.is_none());
    }

    /// A listing of `text` taken while Postfix is stopped: `postqueue -j` reads the files and
    /// warns on stderr, as Postfix 3.7 does.
    fn listed_down_at(fx: &mut Fx, text: &str, secs: i64) -> Vec<Effect> {
        let at = now() + chrono::Duration::seconds(secs);
        let mut parsed = parse_jsonl(text.as_bytes());
        parsed.down = QueueError::down_while_listing(
            "postqueue -j",
            b"postqueue: warning: Mail system is down -- accessing queue directly (Connect to the Postfix showq service: Connection refused)\n",
        )
        .map(Box::new);
        assert!(parsed.down.is_some());
        let ev = QueueEvent::Listed {
            instance: 0,
            at,
            result: Ok(parsed),
        };
        fx.at(at, |p, cx| p.on_event(ev, cx))
    }

    #[test]
    fn a_requeue_while_postfix_is_stopped_says_the_message_waits_for_it() {
        // postsuper -r works on the files with Postfix stopped, but no pickup runs: the
        // message sits in the maildrop under its old id until `postfix start`
        let mut fx = Fx::new(&fixture());
        listed_down_at(&mut fx, &fixture(), 1);
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "4889DC8909");
        let c = confirm(fx.act(QueueAction::Requeue));
        assert_eq!(
            c.lines[1..3],
            [
                "It is re-read from the maildrop with a NEW queue id.",
                "Postfix is not running, as the latest listing said: requeued mail waits in the \
                 maildrop, under its old id, until it starts (`postfix start`)."
            ]
        );
        // hold and delete need nothing more than the files
        let c = confirm(fx.act(QueueAction::Hold));
        assert!(!c.lines.iter().any(|l| l.contains("not running")), "{c:?}");
        // a flush needs the flush service
        let c = confirm(fx.act(QueueAction::Flush));
        assert_eq!(
            c.lines.last().map(Clean::as_str),
            Some(
                "Postfix is not running, as the latest listing said: postqueue -f fails until it \
                 starts (`postfix start`)."
            )
        );
        // the requeue done, the listing has it in the maildrop: said at once, no "looking for
        // it under the new id" for two minutes
        fx.act(QueueAction::Requeue);
        requeued(&mut fx);
        let in_maildrop: String = fixture()
            .lines()
            .map(|l| match l.contains("4889DC8909") {
                true => l.replace(r#""deferred""#, r#""maildrop""#) + "\n",
                false => format!("{l}\n"),
            })
            .collect();
        assert!(in_maildrop.contains(r#""maildrop""#));
        let out = listed_down_at(&mut fx, &in_maildrop, 3);
        assert!(
            matches!(&out[..], [Effect::Notice(n), ..] if n == "requeue: 4889DC8909 waits in the maildrop under that id: Postfix is not running, and pickup gives it a new queue id once it starts (`postfix start`)"),
            "{out:?}"
        );
        assert!(fx.pane.follow.is_none());
    }

    /// Deliver now of 4889DC8909, done: its progress named it, postqueue -i returned.
    fn delivered_now(fx: &mut Fx) -> Vec<Effect> {
        fx.nav(Nav::Down);
        assert_eq!(selected_id(fx), "4889DC8909");
        confirm(fx.act(QueueAction::DeliverNow));
        let id = QueueId::parse("4889DC8909").unwrap();
        fx.event(QueueEvent::Progress {
            instance: 0,
            action: ActionId(0),
            op: QueueOp::DeliverNow,
            done: 0,
            of: 1,
            one: Some(id.clone()),
            command: Clean::default(),
            stop: StopSwitch::default(),
        });
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::DeliverNow,
                asked: 1,
                done: None,
                missed: Some(vec![]),
                lines: vec![],
                stopped: None,
                one: Some(id),
            }),
        })
    }

    /// Mail log lines stamped `secs` after the fixture's now.
    fn logged(fx: &mut Fx, secs: i64, lines: &[&str]) {
        let t = now() + chrono::Duration::seconds(secs);
        let mut year = crate::mail::log::parse::YearGuess::new(t.date_naive());
        for line in lines {
            let line = format!("{} mx1 {line}", t.format("%b %e %H:%M:%S"));
            let l = crate::mail::log::parse::parse_line(&line, &mut year).unwrap();
            fx.shared.mail_log.ingest(l);
        }
    }

    #[test]
    fn deliver_now_says_how_the_attempt_went_by_the_mail_log() {
        // postqueue -i says nothing: "asked Postfix to try" is all it knows, then the log says
        let mut fx = Fx::new(&fixture());
        let out = delivered_now(&mut fx);
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "deliver now: asked Postfix to try 4889DC8909"),
            "{out:?}"
        );
        logged(
            &mut fx,
            2,
            &["postfix/smtp[2001]: 4889DC8909: to=<ann@gmail.com>, \
               relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:587, delay=7302, \
               delays=7301/0/0.2/0.1, dsn=4.0.0, status=deferred (host \
               email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 454 Throttling failure: \
               Maximum sending rate exceeded. (in reply to end of DATA command))"],
        );
        let out = listed_at(&mut fx, &fixture(), 3);
        let t = (now() + chrono::Duration::seconds(2)).format("%H:%M:%S");
        let want = format!(
            "deliver now: 4889DC8909 was tried at {t} and deferred again: host \
             email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 454 Throttling failure: Maximum \
             sending rate exceeded. (in reply to end of DATA command)"
        );
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if *n == want),
            "{out:?}"
        );
        assert!(fx.pane.tried.is_none(), "said once");

        // delivered: the log's status=sent and removed; its open detail says so
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.enter();
        fx.nav(Nav::Up);
        delivered_now(&mut fx);
        logged(
            &mut fx,
            1,
            &[
                "postfix/smtp[2001]: 4889DC8909: to=<ann@gmail.com>, \
                 relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:587, delay=7301, \
                 delays=7300/0/0.2/0.1, dsn=2.0.0, status=sent (250 Ok 0100abc)",
                "postfix/qmgr[1002]: 4889DC8909: removed",
            ],
        );
        let gone: String = fixture()
            .lines()
            .filter(|l| !l.contains("4889DC8909"))
            .map(|l| format!("{l}\n"))
            .collect();
        let out = listed_at(&mut fx, &gone, 2);
        let t = (now() + chrono::Duration::seconds(1)).format("%H:%M:%S");
        let want = format!(
            "deliver now: 4889DC8909 was delivered at {t} (relay \
             email-smtp.us-east-1.amazonaws.com[127.0.0.1]:587)"
        );
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if *n == want),
            "{out:?}"
        );
        let s = fx.draw(80, 24, true);
        assert!(
            s.contains(&format!("│4889DC8909 was delivered at {t} (relay")),
            "{s}"
        );

        // delivered by a retry just before postqueue -i (which then says nothing): said by
        // the log, at once
        let mut fx = Fx::new(&fixture());
        delivered_now(&mut fx);
        logged(
            &mut fx,
            -2,
            &[
                "postfix/smtp[2001]: 4889DC8909: to=<ann@gmail.com>, \
                 relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:587, delay=7298, \
                 delays=7297/0/0.2/0.1, dsn=2.0.0, status=sent (250 Ok 0100abc)",
                "postfix/qmgr[1002]: 4889DC8909: removed",
            ],
        );
        let out = listed_at(&mut fx, &gone, 1);
        let t = (now() - chrono::Duration::seconds(2)).format("%H:%M:%S");
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n.starts_with(&format!("deliver now: 4889DC8909 was delivered at {t} (relay"))),
            "{out:?}"
        );

        // nothing in the log (the journal not read, say): after two minutes, what the queue shows
        let mut fx = Fx::new(&fixture());
        delivered_now(&mut fx);
        assert!(listed_at(&mut fx, &fixture(), 60).is_empty(), "not yet");
        let out = listed_at(&mut fx, &fixture(), 121);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "deliver now: the mail log read has no attempt of 4889DC8909 in the 2 minutes since; it is still in the deferred queue"),
            "{out:?}"
        );
    }

    /// A relay's reply holding an ESC byte and the two characters `\e` is escaped once, where
    /// the log was read: the deliver-now notice the pane keeps and the one in the status bar
    /// read the same, `\e` for the byte and `\\e` for the characters.
    #[test]
    fn a_reply_with_an_escape_reads_the_same_in_the_pane_and_the_status_bar() {
        let mut fx = Fx::new(&fixture());
        delivered_now(&mut fx);
        logged(
            &mut fx,
            2,
            &["postfix/smtp[2001]: 4889DC8909: to=<ann@gmail.com>, \
               relay=127.0.0.1[127.0.0.1]:25, delay=7302, delays=7301/0/0.2/0.1, dsn=4.0.0, \
               status=deferred (host 127.0.0.1[127.0.0.1] said: 454 \u{1b}[2J\\e[31m)"],
        );
        let out = listed_at(&mut fx, &fixture(), 3);
        let t = (now() + chrono::Duration::seconds(2)).format("%H:%M:%S");
        let want = format!(
            "deliver now: 4889DC8909 was tried at {t} and deferred again: host \
             127.0.0.1[127.0.0.1] said: 454 \\e[2J\\\\e[31m"
        );
        let [Effect::Notice(n)] = &out[..] else {
            panic!("{out:?}")
        };
        assert_eq!(*n, want);
        // the pane keeps it after the time of day
        let kept = fx.pane.notice.clone().map(|(_, k)| k);
        assert_eq!(kept, Some(format!("{} {want}", now().format("%H:%M"))));
        let s = fx.draw(80, 24, true);
        assert!(s.contains(r"454 \e[2J\\e[31m"), "{s}");
        // and the status bar shows it as it came, not escaped again
        let mut app = crate::app::App::new(
            &Config::default(),
            crate::access::Mode::Interactive,
            now(),
            "web1".into(),
        );
        app.settle_effects(out);
        assert_eq!(app.notice.as_deref(), Some(want.as_str()));
    }

    #[test]
    fn deliver_now_of_mail_held_up_here_says_it_is_deferred_again() {
        // a wrong SES password: trying now only gets the same 535 back
        let creds = "SASL authentication failed; server email-smtp.us-east-1.amazonaws.com\
                     [54.0.0.10] said: 535 Authentication Credentials Invalid";
        let text = fixture()
            + &format!(
                "{}\n",
                serde_json::json!({"queue_name":"deferred","queue_id":"E0E0E0E0E0","arrival_time":NOW-100000,
                    "message_size":400,"sender":"app@shop.example",
                    "recipients":[{"address":"ann@example.net","delay_reason":creds}]})
            );
        let mut fx = Fx::new(&text);
        assert_eq!(selected_id(&fx), "E0E0E0E0E0");
        let c = confirm(fx.act(QueueAction::DeliverNow));
        assert_eq!(
            c.lines[1..3],
            [
                "A delivery attempt is made at once.",
                "It waits for SES credentials, on this host's side: until that is fixed, the \
                 attempt defers it again."
            ]
        );
        // a passing cause (SES throttling) says nothing more
        fx.nav(Nav::Down);
        fx.nav(Nav::Down);
        assert_eq!(selected_id(&fx), "4889DC8909");
        let c = confirm(fx.act(QueueAction::DeliverNow));
        assert!(
            !c.lines.iter().any(|l| l.contains("this host's side")),
            "{c:?}"
        );
        // tagged: counted
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::DeliverNow));
        assert!(
            c.lines.contains(&Clean::from(
                "1 of them waits for SES credentials, on this host's side: until that is \
                  fixed, the attempt defers it again."
            )),
            "{c:?}"
        );
    }

    #[test]
    fn lookalikes_are_told_apart_by_the_mail_log() {
        // two new messages look the same in the listing; pickup's orig_id
        // says which one it is
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        let c = confirm(fx.act(QueueAction::Requeue));
        assert_eq!(c.lines[0], "requeue 1 message from deferred: 4889DC8909");
        requeued(&mut fx);
        let text = requeued_listing("5C0E1C8904", &["6D1F2D9A15"]);
        listed_at(&mut fx, &text, 3);
        assert!(fx.pane.follow.is_some(), "not yet: still looking");
        let mut year = crate::mail::log::parse::YearGuess::now();
        for line in [
            "Nov 27 19:25:54 vm postfix/postsuper[11764]: 4889DC8909: requeued",
            "Nov 27 19:26:01 vm postfix/pickup[10249]: 6D1F2D9A15: uid=0 from=<orders@shop.example> orig_id=4889DC8909",
        ] {
            let l = crate::mail::log::parse::parse_line(line, &mut year).unwrap();
            fx.shared.mail_log.ingest(l);
        }
        listed_at(&mut fx, &text, 4);
        assert_eq!(selected_id(&fx), "6D1F2D9A15", "the one the log names");
    }

    #[test]
    fn a_requeued_message_that_cannot_be_told_apart_is_said_in_words() {
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.enter();
        confirm(fx.act(QueueAction::Requeue));
        requeued(&mut fx);
        let text = requeued_listing("5C0E1C8904", &["6D1F2D9A15"]);
        listed_at(&mut fx, &text, 3);
        let s = fx.draw(80, 24, true);
        assert!(
            s.contains("4889DC8909 was requeued: looking for it under the new"),
            "{s}"
        );
        let out = listed_at(&mut fx, &text, 3 + FOLLOW_SECS);
        let want = "requeue: 4889DC8909 was requeued; stopped looking for its new queue id after 2 minutes: 2 messages in the queue have its sender, recipients and arrival time, and the mail log does not say which it is";
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == want),
            "{out:?}"
        );
        assert_eq!(fx.pane.detail.as_ref().unwrap().id.as_str(), "4889DC8909");
        let s = fx.draw(120, 24, true);
        assert!(
            s.contains("4889DC8909 was requeued; stopped looking for its new queue id after 2"),
            "{s}"
        );
        assert!(fx.pane.follow.is_none());
    }

    fn tick_at(fx: &mut Fx, secs: i64) -> Vec<Effect> {
        let at = now() + chrono::Duration::seconds(secs);
        fx.at(at, |p, cx| p.on_tick(cx))
    }

    /// An action that went well is kept on the pane for ten minutes, then gives its rows back
    /// to the queue; one that failed stays until the next action.
    #[test]
    fn a_success_kept_on_the_pane_goes_after_ten_minutes_a_failure_stays() {
        let mut fx = Fx::new(&fixture());
        fx.pane
            .keep_notice(true, &Clean::new("flush (default): done"), now());
        tick_at(&mut fx, NOTICE_KEPT_SECS - 1);
        assert!(fx.pane.notice.is_some());
        assert!(fx.draw(100, 24, true).contains("flush (default): done"));
        tick_at(&mut fx, NOTICE_KEPT_SECS);
        assert!(fx.pane.notice.is_none());
        assert!(!fx.draw(100, 24, true).contains("flush (default): done"));
        fx.pane
            .keep_notice(false, &Clean::new("flush (default): failed"), now());
        tick_at(&mut fx, 10 * NOTICE_KEPT_SECS);
        assert!(fx.draw(100, 24, true).contains("flush (default): failed"));
    }

    #[test]
    fn following_a_requeue_gives_up_in_time_when_no_listing_comes() {
        // Postfix stopped, or postqueue hanging: no listing after the requeue
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.enter();
        confirm(fx.act(QueueAction::Requeue));
        requeued(&mut fx);
        assert!(
            tick_at(&mut fx, FOLLOW_SECS - 1).is_empty(),
            "still looking"
        );
        assert!(fx.pane.follow.is_some());
        let out = tick_at(&mut fx, FOLLOW_SECS);
        let want = "requeue: 4889DC8909 was requeued; stopped looking for its new queue id after 2 minutes: the queue has not been listed since it was requeued";
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == want),
            "{out:?}"
        );
        assert!(fx.pane.follow.is_none());
        let s = fx.draw(120, 24, true);
        assert!(!s.contains("looking for it under the new"), "{s}");
        assert!(
            s.contains("requeue: 4889DC8909 was requeued; stopped looking"),
            "{s}"
        );
        assert!(tick_at(&mut fx, FOLLOW_SECS + 1).is_empty(), "said once");

        // a listing that fails says why in the same words
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        confirm(fx.act(QueueAction::Requeue));
        requeued(&mut fx);
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(2),
            result: Err(QueueError::Spawn {
                command: "postqueue".into(),
                detail: "timed out".into(),
            }),
        });
        let out = tick_at(&mut fx, FOLLOW_SECS);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n.starts_with("requeue: 4889DC8909 was requeued; stopped looking for its new queue id after 2 minutes: the queue could not be listed since it was requeued: ") && n.contains("timed out")),
            "{out:?}"
        );
    }

    #[test]
    fn a_requeued_message_left_in_the_maildrop_is_given_up_in_words() {
        // postsuper -r put it in the maildrop, and pickup never reads it
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        confirm(fx.act(QueueAction::Requeue));
        requeued(&mut fx);
        let text: String = fixture()
            .lines()
            .map(|l| match l.contains("4889DC8909") {
                true => l.replace(r#""queue_name":"deferred""#, r#""queue_name":"maildrop""#),
                false => l.to_string(),
            } + "\n")
            .collect();
        assert!(text.contains("maildrop"));
        assert!(listed_at(&mut fx, &text, 3).is_empty());
        assert!(tick_at(&mut fx, 60).is_empty(), "still looking");
        let out = listed_at(&mut fx, &text, FOLLOW_SECS + 3);
        let want = "requeue: 4889DC8909 was requeued; stopped looking for its new queue id after 2 minutes: it is still in the maildrop: pickup has not read it (is the pickup service in master.cf running?)";
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == want),
            "{out:?}"
        );
        assert!(fx.pane.follow.is_none());
    }

    #[test]
    fn a_cursor_moved_by_hand_is_not_taken_back() {
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        confirm(fx.act(QueueAction::Requeue));
        requeued(&mut fx);
        fx.nav(Nav::Top);
        assert_eq!(selected_id(&fx), "A1B2C3D4E5");
        listed_at(&mut fx, &requeued_listing("5C0E1C8904", &[]), 3);
        assert_eq!(selected_id(&fx), "A1B2C3D4E5");
        // and a requeue whose dialog was cancelled follows nothing
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        confirm(fx.act(QueueAction::Requeue));
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(held(None)),
        });
        assert!(fx.pane.follow.is_none());
    }

    #[test]
    fn release_says_which_held_mail_is_past_the_queue_lifetime() {
        // B0B0B0B0B0 (null sender) was held 45 s ago; one more, from a sender,
        // held for six days
        let old = serde_json::json!({"queue_name":"hold","queue_id":"0DD0DD0DD0","arrival_time":NOW-6*86_400,"sender":"old@shop.example","recipients":[{"address":"z@example.net"}]});
        let mut fx = Fx::new(&(fixture() + &old.to_string() + "\n"));
        fx.act(QueueAction::QueueFilter); // active
        fx.act(QueueAction::QueueFilter); // deferred
        fx.act(QueueAction::QueueFilter); // hold
        fx.act(QueueAction::TagAll);
        // without the lifetimes nothing is claimed
        let c = confirm(fx.act(QueueAction::Release));
        assert!(
            !c.lines.iter().any(|l| l.contains("lifetime")),
            "{:?}",
            c.lines
        );
        fx.event(QueueEvent::Version {
            instance: 0,
            result: Ok(MailVersion::parse_postconf("3.7.11\n5d\n5d\n").unwrap()),
        });
        let c = confirm(fx.act(QueueAction::Release));
        assert_eq!(
            c.lines[1],
            "They go back to the deferred queue and are retried."
        );
        assert_eq!(
            c.lines[2],
            "1 of them was queued longer than maximal_queue_lifetime 5d: released, it is returned to the sender at the first failed attempt"
        );
        // a bounce is kept by its own lifetime
        fx.event(QueueEvent::Version {
            instance: 0,
            result: Ok(MailVersion::parse_postconf("3.7.11\n5d\n30s\n").unwrap()),
        });
        let c = confirm(fx.act(QueueAction::Release));
        assert_eq!(
            c.lines[2],
            "2 of them were queued longer than maximal_queue_lifetime 5d / bounce_queue_lifetime 30s: released, they are returned to the sender at the first failed attempt"
        );
    }

    #[test]
    fn whose_mail_is_counted_over_a_queue_of_thousands() {
        let text = crate::mail::queue::demo::generate(20_000, 1_800_000_000);
        let mut fx = Fx::new(&text);
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::Delete));
        let line = c.lines.last().unwrap();
        // the counts named add up to no more than the messages picked
        let named: usize = line
            .split(['(', ')'])
            .skip(1)
            .step_by(2)
            .filter_map(|n| n.parse::<usize>().ok())
            .sum();
        assert!(line.starts_with("from "), "{line}");
        assert!(named > 0 && named <= 20_000, "{line}");
    }

    #[test]
    fn confirm_says_which_tagged_messages_the_filter_hides() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::TagAll);
        fx.filter("yahoo");
        assert_eq!(fx.pane.view_len(), 1, "59F14C8904 only");
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.title, "Delete 6 messages");
        assert_eq!(
            c.lines[0],
            "delete 6 messages from deferred and hold and active: 4889DC8909, 59F14C8904, A1B2C3D4E5, B0B0B0B0B0, C0FFEE1234, D00D00D00D"
        );
        assert_eq!(
            c.lines[1],
            "5 tagged, not shown under the filter /yahoo: 4889DC8909, A1B2C3D4E5, B0B0B0B0B0, C0FFEE1234, D00D00D00D"
        );
        assert_eq!(c.lines[2], "They are removed for good. No bounce is sent.");
        // two filters at once are both named
        fx.act(QueueAction::QueueFilter); // active
        fx.act(QueueAction::QueueFilter); // deferred
        let c = confirm(fx.act(QueueAction::Delete));
        assert!(
            c.lines[1]
                .starts_with("5 tagged, not shown under the filters /yahoo and queue:deferred: "),
            "{}",
            c.lines[1]
        );
        // with every tagged message shown, nothing is added
        fx.filter("");
        while fx.pane.queue_filter.is_some() {
            fx.act(QueueAction::QueueFilter);
        }
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.lines[1], "They are removed for good. No bounce is sent.");
    }

    #[test]
    fn a_list_from_postqueue_command_is_said_in_every_dialog_that_acts() {
        // the list is mx1's, read through ssh; postsuper and postqueue run on this host
        let mut config = crate::config::Config::default();
        config.queue.postqueue_command =
            Some(["ssh", "mx1", "postqueue", "-j"].map(String::from).to_vec());
        let mut fx = Fx::new(&fixture());
        fx.pane = QueuePane::new(&config);
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now(),
            result: Ok(parse_jsonl(fixture().as_bytes())),
        });
        let want = "The list comes from [queue] postqueue_command (ssh mx1 postqueue -j), but \
                    this runs here, on this host's Postfix: go on only if that is the same queue \
                    (to list and act on another host, set command_prefix in [[postfix]] instead).";
        for action in [QueueAction::Delete, QueueAction::Hold, QueueAction::Flush] {
            let c = confirm(fx.act(action));
            assert_eq!(
                c.lines.last().map(Clean::as_str),
                Some(want),
                "{action:?}: {c:?}"
            );
        }
        // without it, the dialogs say nothing of it
        let mut fx = Fx::new(&fixture());
        let c = confirm(fx.act(QueueAction::Delete));
        assert!(
            !c.lines.iter().any(|l| l.contains("postqueue_command")),
            "{c:?}"
        );
    }

    #[test]
    fn long_tag_sets_are_summarised() {
        // thirty messages of the demo's queue, and one in the maildrop
        let mut text = crate::mail::queue::demo::generate(30, 1_800_000_000);
        text.push_str(
            r#"{"queue_name": "maildrop", "queue_id": "1FFFF00001", "arrival_time": 1799999990, "message_size": 900, "forced_expire": false, "sender": "root@mx1.example.com", "recipients": [{"address": "ops@example.com"}]}"#,
        );
        text.push('\n');
        let mut fx = Fx::new(&text);
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::Requeue));
        // the demo's maildrop mail is left out: postsuper does not requeue it
        let maildrop = fx
            .pane
            .model()
            .entries()
            .filter(|(_, e)| e.queue == QueueName::Maildrop)
            .count();
        assert!(maildrop > 0 && maildrop < 22, "{maildrop}");
        let n = 31 - maildrop;
        assert!(
            c.lines[0].starts_with(&format!("requeue {n} messages from ")),
            "{}",
            c.lines[0]
        );
        assert!(
            c.lines[0].ends_with(&format!(", … and {} more", n - 8)),
            "{}",
            c.lines[0]
        );
        assert!(
            c.lines[1].starts_with(&format!(
                "left out: {maildrop} message{} {} in the maildrop, out of postsuper's reach: ",
                plural(maildrop),
                if maildrop == 1 { "is" } else { "are" }
            )),
            "{}",
            c.lines[1]
        );
        assert!(c.lines[2].contains("NEW queue ids"));
    }

    #[test]
    fn read_only_builds_no_action() {
        let mut fx = Fx::new(&fixture());
        fx.access = None;
        for a in [
            QueueAction::Hold,
            QueueAction::Release,
            QueueAction::Requeue,
            QueueAction::Delete,
            QueueAction::Expire,
            QueueAction::DeliverNow,
            QueueAction::Flush,
            QueueAction::Stop,
        ] {
            let out = fx.act(a);
            assert!(
                out.iter().all(|e| matches!(e, Effect::Notice(_))),
                "{a:?}: {out:?}"
            );
        }
        // and every such binding is marked as writing, so the app drops it
        let writes: Vec<_> = crate::app::pane::Pane::bindings(&fx.pane)
            .iter()
            .filter(|b| b.writes)
            .map(|b| b.action)
            .collect();
        assert_eq!(writes.len(), 8);
    }

    /// The switch an action or a flush carries, from its confirm dialog.
    fn switch_of(c: &Confirm) -> StopSwitch {
        match c.then.first() {
            Some(Effect::Queue(
                QueueEffect::Apply { stop, .. } | QueueEffect::Flush { stop, .. },
            )) => stop.clone(),
            other => panic!("{other:?}"),
        }
    }

    /// `y` in a stop dialog: its effect run as the effect runner runs it, and what that reports
    /// back given to the pane.
    async fn stop_confirmed(fx: &mut Fx, c: Confirm) -> Vec<Effect> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let runner = crate::app::effect::Runner {
            tx,
            config: std::sync::Arc::new(Config::default()),
        };
        for e in c.then {
            match e {
                Effect::Queue(q) => super::super::run(q, &runner),
                other => panic!("{other:?}"),
            }
        }
        match rx.recv().await {
            Some(crate::app::effect::SourceEvent::Queue(ev)) => fx.event(ev),
            other => panic!("{other:?}"),
        }
    }

    /// `x` stops what runs on the instance, after a dialog that names the command and says
    /// what stopping it part-way leaves; the result says it was stopped by the user, is no
    /// error of the source, and the queue is read again. With nothing running, it says so.
    #[tokio::test]
    async fn a_running_action_is_stopped_after_a_dialog_that_names_it() {
        let mut config = Config::default();
        config.postfix[0].command_prefix = vec!["ssh".into(), "mx1".into()];
        let mut fx = Fx::with_config(&config, &fixture());
        let out = fx.act(QueueAction::Stop);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "stop: no queue action or flush is running"),
            "{out:?}"
        );
        // the hold is confirmed (its dialog holds the instance's switch), and hangs: it carries
        // the switch, as its run does
        let hold = switch_of(&confirm(fx.act(QueueAction::Hold)));
        let _carrying = hold.carry();
        let id = QueueId::parse("A1B2C3D4E5").unwrap();
        let command = super::super::commands::action_line(
            &config.postfix[0],
            QueueOp::Hold,
            std::slice::from_ref(&id),
        );
        fx.event(QueueEvent::Progress {
            instance: 0,
            action: ActionId(0),
            op: QueueOp::Hold,
            done: 0,
            of: 1,
            one: Some(id.clone()),
            command,
            stop: hold.clone(),
        });
        let later = now() + chrono::Duration::seconds(25);
        let c = confirm(fx.at(later, |p, cx| p.on_action(QueueAction::Stop, cx)));
        assert_eq!(c.title, "Stop the running hold");
        assert_eq!(
            c.lines,
            [
                "stop: hold of A1B2C3D4E5, running for 20 s: ssh mx1 postsuper -h -",
                "It is ended with everything it started (SIGTERM, then SIGKILL to the process group).",
                "postsuper stopped part-way may have changed some messages and not others: the queue is read again to show which.",
                "Ended here, through command_prefix (ssh mx1): a command already started on another host may go on there.",
            ]
        );
        // y: the runner throws the switch the hold carries, and says so
        let out = stop_confirmed(&mut fx, c).await;
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "stopping: ssh mx1 postsuper -h -…"),
            "{out:?}"
        );
        // thrown once said
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !hold.is_thrown() {
            assert!(std::time::Instant::now() < deadline, "never thrown");
            tokio::task::yield_now().await;
        }
        // what is started after the stop is not stopped with it
        let next = switch_of(&confirm(fx.act(QueueAction::Delete)));
        assert!(!next.is_thrown());
        assert!(!switch_of(&confirm(fx.act(QueueAction::Flush))).is_thrown());
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Err(QueueError::StoppedByUser {
                command: "ssh mx1 postsuper -h -".into(),
            }),
        });
        assert!(
            matches!(&out[..], [Effect::Notice(n), Effect::Queue(QueueEffect::Refresh), ..]
                if n == "ssh mx1 postsuper -h -: stopped by you before it finished - the queue is read again to show what it did"),
            "{out:?}"
        );
        assert_eq!(fx.pane.health().errors, 0, "no error of the source");
        assert!(fx.pane.instances[0].running.is_empty());
        let out = fx.act(QueueAction::Stop);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "stop: no queue action or flush is running"),
            "{out:?}"
        );
    }

    /// The first report of an action that hangs, numbered `action`, on one message `id` of the
    /// first instance, running `postsuper VERB` and carrying `stop`.
    fn started(fx: &mut Fx, action: ActionId, op: QueueOp, id: &QueueId, stop: &StopSwitch) {
        fx.event(QueueEvent::Progress {
            instance: 0,
            action,
            op,
            done: 0,
            of: 1,
            one: Some(id.clone()),
            command: Clean::new(&format!("postsuper {}", op.verb())),
            stop: stop.clone(),
        });
    }

    /// Two actions running on instance 0, each on one message: a hold of A1B2C3D4E5 (action 0),
    /// then a delete of B1B2C3D4E5 (action 1). Their two ids.
    fn hold_and_delete_running(fx: &mut Fx) -> (QueueId, QueueId) {
        let a = QueueId::parse("A1B2C3D4E5").unwrap();
        let b = QueueId::parse("B1B2C3D4E5").unwrap();
        started(fx, ActionId(0), QueueOp::Hold, &a, &StopSwitch::default());
        started(fx, ActionId(1), QueueOp::Delete, &b, &StopSwitch::default());
        (a, b)
    }

    /// The actions a stop dialog's effect would stop, by number.
    fn named(c: &Confirm) -> Vec<ActionId> {
        match &c.then[..] {
            [Effect::Queue(QueueEffect::Stop { targets, .. })] => {
                targets.iter().map(|t| t.action).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    /// A hold hangs and `x` is pressed; while its dialog is open, the first report of a delete
    /// confirmed before it comes in. `y` stops the hold the dialog named, not the delete: each
    /// carries a switch of its own, and the dialog's effect holds the hold's alone. The status
    /// says the delete goes on, and how to stop it; `x` then names the delete alone.
    #[tokio::test]
    async fn a_stop_stops_what_its_dialog_named_and_nothing_that_started_since() {
        let mut fx = Fx::new(&fixture());
        let a = QueueId::parse("A1B2C3D4E5").unwrap();
        let b = QueueId::parse("4889DC8909").unwrap();
        // both confirmed, each run carrying the switch its dialog's effect holds
        let hold = switch_of(&confirm(fx.act(QueueAction::Hold)));
        fx.nav(Nav::Down);
        let delete = switch_of(&confirm(fx.act(QueueAction::Delete)));
        let (_hold_runs, _delete_runs) = (hold.carry(), delete.carry());
        started(&mut fx, ActionId(0), QueueOp::Hold, &a, &hold);
        let c = confirm(fx.act(QueueAction::Stop));
        assert_eq!(c.title, "Stop the running hold");
        // the delete's first report, while the dialog is open
        started(&mut fx, ActionId(1), QueueOp::Delete, &b, &delete);
        assert_eq!(named(&c), [ActionId(0)]);
        let out = stop_confirmed(&mut fx, c).await;
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "delete of 4889DC8909 goes on (started while the stop dialog was open; x stops it); stopping: postsuper hold…"),
            "{out:?}"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !hold.is_thrown() {
            assert!(std::time::Instant::now() < deadline, "never thrown");
            tokio::task::yield_now().await;
        }
        assert!(!delete.is_thrown(), "the delete was stopped with the hold");
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Err(QueueError::StoppedByUser {
                command: "postsuper -h -".into(),
            }),
        });
        let c = confirm(fx.act(QueueAction::Stop));
        assert_eq!(c.title, "Stop the running delete");
        assert_eq!(named(&c), [ActionId(1)]);
    }

    /// Two actions run on one instance (the second confirmed while the first hangs): `x` stops
    /// both, and its dialog names both, not only the one whose report came last. Once one has
    /// ended, the dialog names the other alone again.
    #[test]
    fn a_stop_says_it_stops_every_action_running_on_the_instance() {
        let mut fx = Fx::new(&fixture());
        let (a, _) = hold_and_delete_running(&mut fx);
        let c = confirm(fx.act(QueueAction::Stop));
        assert_eq!(c.title, "Stop the 2 running queue actions");
        assert_eq!(
            c.lines,
            [
                "stop: hold of A1B2C3D4E5: postsuper hold",
                "stop: delete of B1B2C3D4E5: postsuper delete",
                "They are ended with everything they started (SIGTERM, then SIGKILL to the process group).",
                "postsuper stopped part-way may have changed some messages and not others: the queue is read again to show which.",
            ]
        );
        assert_eq!(named(&c), [ActionId(0), ActionId(1)]);
        // the hold ends on its own: the delete alone is left, and named alone
        let hold = held(Some(a.clone()));
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(hold),
        });
        let c = confirm(fx.act(QueueAction::Stop));
        assert_eq!(c.title, "Stop the running delete");
        assert_eq!(
            c.lines[..2],
            [
                "stop: delete of B1B2C3D4E5: postsuper delete",
                "It is ended with everything it started (SIGTERM, then SIGKILL to the process group).",
            ]
        );
    }

    /// What a stop dialog names ends while it is open: `y` then says it had already ended,
    /// not that it is stopping, and throws nothing (the switch is left as it was).
    #[tokio::test]
    async fn a_stop_confirmed_after_the_action_ended_says_so_and_stops_nothing() {
        let mut fx = Fx::new(&fixture());
        let hold = switch_of(&confirm(fx.act(QueueAction::Hold)));
        let carrying = hold.carry();
        let a = QueueId::parse("A1B2C3D4E5").unwrap();
        started(&mut fx, ActionId(0), QueueOp::Hold, &a, &hold);
        let c = confirm(fx.act(QueueAction::Stop));
        assert_eq!(c.title, "Stop the running hold");
        // the hold ends before y: its run lets go of the switch, then reports
        drop(carrying);
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(held(Some(a.clone()))),
        });
        let out = stop_confirmed(&mut fx, c).await;
        assert!(
            matches!(&out[..], [Effect::Notice(n)]
                if n == "stop: postsuper hold had already ended - nothing was stopped"),
            "{out:?}"
        );
        assert!(!hold.is_thrown());
    }

    /// An action that fails ends itself, not another running beside it on the instance: after
    /// the first of two fails, the second still shows as running, says how long it has run,
    /// and `x` names it. Its own result ends it.
    #[test]
    fn an_action_that_fails_ends_only_itself() {
        let mut fx = Fx::new(&fixture());
        hold_and_delete_running(&mut fx);
        // the delete, confirmed second, reported last: the hold fails after it
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Err(QueueError::from_exit(
                "sudo -n postsuper -h -",
                "exit status: 1",
                b"sudo: a password is required\n",
            )),
        });
        let s = fx.draw(80, 24, true);
        assert!(s.contains("deleting B1B2C3D4E5 (postsuper -d)…"), "{s}");
        assert!(!s.contains("putting A1B2C3D4E5 on hold"), "{s}");
        let later = now() + chrono::Duration::seconds(30);
        assert_eq!(
            fx.pane.instances[0].long_running(later),
            ["running for 30 s: postsuper delete"]
        );
        let c = confirm(fx.at(later, |p, cx| p.on_action(QueueAction::Stop, cx)));
        assert_eq!(c.title, "Stop the running delete");
        assert_eq!(
            c.lines[0],
            "stop: delete of B1B2C3D4E5, running for 30 s: postsuper delete"
        );
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(1),
            result: Err(QueueError::StoppedByUser {
                command: "postsuper -d -".into(),
            }),
        });
        assert!(fx.pane.instances[0].running.is_empty());
        let out = fx.act(QueueAction::Stop);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n == "stop: no queue action or flush is running"),
            "{out:?}"
        );
    }

    /// A flush that hangs is stopped the same way; its dialog says what a stop leaves of it.
    #[test]
    fn a_running_flush_is_stopped_after_a_dialog_that_says_what_it_leaves() {
        let mut fx = Fx::new(&fixture());
        fx.event(QueueEvent::FlushStarted {
            instance: 0,
            action: ActionId(9),
            command: Clean::new("postqueue -f"),
            stop: StopSwitch::default(),
        });
        let c = confirm(fx.act(QueueAction::Stop));
        assert_eq!(c.title, "Stop the running flush");
        assert_eq!(
            c.lines,
            [
                "stop: flush: postqueue -f",
                "It is ended with everything it started (SIGTERM, then SIGKILL to the process group).",
                "If postqueue -f has asked Postfix already, the deferred mail is retried anyway.",
            ]
        );
        let out = fx.event(QueueEvent::Flushed {
            instance: 0,
            action: ActionId(9),
            result: Err(QueueError::StoppedByUser {
                command: "postqueue -f".into(),
            }),
        });
        assert!(
            matches!(&out[..], [Effect::Notice(n), Effect::Queue(QueueEffect::Refresh)]
                if n.starts_with("postqueue -f: stopped by you before it finished")),
            "{out:?}"
        );
        assert_eq!(fx.pane.health().errors, 0);
    }

    #[test]
    fn force_expire_needs_3_5() {
        let mut fx = Fx::new(&fixture());
        let out = fx.act(QueueAction::Expire);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n.contains("still asking postconf")),
            "{out:?}"
        );
        fx.event(QueueEvent::Version {
            instance: 0,
            result: Ok(MailVersion::parse("3.4.14").unwrap()),
        });
        let out = fx.act(QueueAction::Expire);
        assert!(
            matches!(&out[..], [Effect::Notice(n)] if n.contains("needs Postfix 3.5 or later (this instance runs 3.4.14)")),
            "{out:?}"
        );
        fx.event(QueueEvent::Version {
            instance: 0,
            result: Ok(MailVersion::parse("3.7.11").unwrap()),
        });
        let c = confirm(fx.act(QueueAction::Expire));
        assert!(c.lines[0].starts_with("force-expire 1 message from deferred"));
        assert!(
            !c.lines.iter().any(|l| l.contains("on hold")),
            "{:?}",
            c.lines
        );
        // held mail is marked too, but Postfix never delivers it: the dialog says so
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::Expire));
        assert!(
            c.lines
                .iter()
                .any(|l| l == "1 of them is on hold: returned only once released (H)"),
            "{:?}",
            c.lines
        );
        // requeue takes held mail out of the hold queue: it is delivered
        let c = confirm(fx.act(QueueAction::Requeue));
        assert!(
            c.lines
                .iter()
                .any(|l| l == "1 of them is on hold: requeue releases it from hold, for delivery"),
            "{:?}",
            c.lines
        );
        // several held: them
        let text: String = fixture()
            .lines()
            .map(|l| match l.contains("A1B2C3D4E5") {
                true => l.replace(r#""queue_name":"deferred""#, r#""queue_name":"hold""#) + "\n",
                false => format!("{l}\n"),
            })
            .collect();
        let mut fx = Fx::new(&text);
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::Requeue));
        assert!(
            c.lines.iter().any(
                |l| l == "2 of them are on hold: requeue releases them from hold, for delivery"
            ),
            "{:?}",
            c.lines
        );
    }

    #[test]
    fn the_demo_says_what_it_runs_and_its_refusal_is_no_error() {
        let mut fx = Fx::new(&fixture());
        fx.pane.demo = true;
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.lines.last().map(Clean::as_str), Some(DEMO_ON_FILE));
        let c = confirm(fx.act(QueueAction::Flush));
        assert_eq!(c.lines.last().map(Clean::as_str), Some(DEMO_RETRY));
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Err(QueueError::Demo {
                action: "delete".into(),
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "demo data: delete is not run on the demo queue"),
            "{out:?}"
        );
        assert_eq!(fx.pane.health().errors, 0);
        assert!(fx.pane.notice.is_none(), "nothing is kept on the pane");
    }

    /// The demo's flush says what the demo did (its relay and servers answered the demo
    /// queue's deferred mail), not that Postfix is retrying it: no Postfix is run there.
    #[test]
    fn the_demo_flush_says_what_the_demo_did() {
        let mut fx = Fx::new(&fixture());
        fx.pane.demo = true;
        let said = fx.event(QueueEvent::Flushed {
            instance: 0,
            action: ActionId(9),
            result: Ok(vec![]),
        });
        let want = "flush (default): demo: tried the demo queue's deferred mail against the \
                    demo's relay and servers (no Postfix is run)";
        assert!(
            matches!(said.first(), Some(Effect::Notice(n)) if n == want),
            "{said:?}"
        );
        let (ok, kept) = fx.pane.notice.clone().unwrap();
        assert!(ok, "{kept}");
        assert!(!kept.contains("Postfix is retrying"), "{kept}");
    }

    #[test]
    fn results_are_reported_and_refresh() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::TagAll);
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(1),
            result: Ok(Outcome {
                op: QueueOp::Delete,
                asked: 6,
                done: Some(4),
                missed: None,
                lines: vec![],
                stopped: None,
                one: None,
            }),
        });
        assert!(matches!(&out[0], Effect::Notice(n) if n.starts_with("delete: 4 of 6 messages")));
        assert!(matches!(&out[1], Effect::Queue(QueueEffect::Refresh)));
        assert!(fx.pane.tags.is_empty());
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Err(QueueError::from_exit(
                "postsuper -d -",
                "exit status: 1",
                b"postsuper: fatal: use of this command is reserved for the superuser",
            )),
        });
        assert!(matches!(&out[0], Effect::Notice(n) if n.contains("needs root")));
        assert_eq!(
            fx.pane.health().errors,
            1,
            "counted among the pane's errors"
        );
        assert!(
            fx.pane.health().problem.is_none(),
            "but the source itself is fine"
        );
        // A listing that fails the same way on every poll counts once; a
        // different failure counts again.
        let fail = |why: &str| QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(60),
            result: Err(QueueError::from_exit(
                "postqueue -j",
                "exit status: 1",
                why.as_bytes(),
            )),
        };
        fx.event(fail(
            "postqueue: fatal: Queue report unavailable - mail system is down",
        ));
        fx.event(fail(
            "postqueue: fatal: Queue report unavailable - mail system is down",
        ));
        assert_eq!(fx.pane.health().errors, 2);
        fx.event(fail(
            "postqueue: fatal: open /etc/postfix/main.cf: No such file or directory",
        ));
        assert_eq!(fx.pane.health().errors, 3);
    }

    #[test]
    fn two_actions_at_once_each_name_their_own_message() {
        // deliver now of 4889DC8909 and, before it returns, a delete of A1B2C3D4E5: the
        // deliver now's result comes first
        let mut fx = Fx::new(&fixture());
        let id = |s: &str| QueueId::parse(s).unwrap();
        for (n, op, one) in [
            (0, QueueOp::DeliverNow, "4889DC8909"),
            (1, QueueOp::Delete, "A1B2C3D4E5"),
        ] {
            fx.event(QueueEvent::Progress {
                instance: 0,
                action: ActionId(n),
                op,
                done: 0,
                of: 1,
                one: Some(id(one)),
                command: Clean::default(),
                stop: StopSwitch::default(),
            });
        }
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::DeliverNow,
                asked: 1,
                done: Some(1),
                missed: Some(vec![]),
                lines: vec![],
                stopped: None,
                one: Some(id("4889DC8909")),
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "deliver now: asked Postfix to try 4889DC8909"),
            "{out:?}"
        );
        // the delete still runs, and says so
        let s = fx.draw(80, 24, true);
        assert!(s.contains("deleting A1B2C3D4E5 (postsuper -d)…"), "{s}");
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(1),
            result: Ok(Outcome {
                op: QueueOp::Delete,
                asked: 1,
                done: Some(1),
                missed: Some(vec![]),
                lines: vec![],
                stopped: None,
                one: Some(id("A1B2C3D4E5")),
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "delete: A1B2C3D4E5 is deleted"),
            "{out:?}"
        );
        let s = fx.draw(80, 24, true);
        assert!(!s.contains("(postsuper -d)…"), "{s}");
    }

    #[test]
    fn a_postsuper_that_died_midway_keeps_the_unreached_messages_tagged() {
        // postsuper requeued one of six, then died writing maillog_file (Postfix stopped)
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::TagAll);
        assert_eq!(fx.pane.tagged(), 6);
        let id = |s: &str| QueueId::parse(s).unwrap();
        let unreached = [
            "59F14C8904",
            "A1B2C3D4E5",
            "B0B0B0B0B0",
            "C0FFEE1234",
            "D00D00D00D",
        ];
        let why = QueueError::from_exit(
            "postsuper -r -",
            "exit status: 1",
            b"postsuper: 4889DC8909: requeued\npostsuper: fatal: open logfile '/var/log/postfix.log': cannot open file: Permission denied\n",
        );
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::Requeue,
                asked: 6,
                done: Some(1),
                missed: Some(unreached.iter().map(|s| id(s)).collect()),
                lines: vec![],
                stopped: Some(why),
                one: None,
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n.starts_with("requeue: done for 1 of 6 messages; not for 5: 59F14C8904, A1B2C3D4E5, B0B0B0B0B0, and 2 more - postsuper -r -: could not write maillog_file, which it writes itself")),
            "{out:?}"
        );
        assert!(matches!(fx.pane.notice, Some((false, _))), "not green");
        let mut tagged: Vec<&str> = fx.pane.tags.iter().map(|t| t.1.as_str()).collect();
        tagged.sort();
        assert_eq!(tagged, unreached, "the ones not reached stay tagged");
    }

    /// A deliver now of the four deferred messages, stopped (`x`) after Postfix was asked for
    /// one: the two in flight were stopped and the last was never asked for. Those three stay
    /// tagged, as a postsuper stopped part-way leaves the ones it did not reach, so that `i`
    /// runs it again on exactly them; the one asked for is untagged.
    #[test]
    fn a_stopped_deliver_now_keeps_the_messages_it_did_not_reach_tagged() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::DeliverNow));
        assert!(
            c.lines[0].starts_with("deliver now 4 messages from deferred: "),
            "{:?}",
            c.lines
        );
        let id = |s: &str| QueueId::parse(s).unwrap();
        let unreached = ["59F14C8904", "A1B2C3D4E5", "D00D00D00D"];
        // as `commands::apply_watching` reports a deliver now stopped so
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::DeliverNow,
                asked: 4,
                done: Some(1),
                missed: Some(unreached.iter().map(|s| id(s)).collect()),
                lines: vec![
                    Clean::new(
                        "postqueue -i: stopped by you before it finished, for 2 messages - the queue is read again to show what it did",
                    ),
                    Clean::new("1 message not asked for after that"),
                ],
                stopped: None,
                one: None,
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "deliver now: asked Postfix to try 1 of 4 messages; not for 3: 59F14C8904, A1B2C3D4E5, D00D00D00D - postqueue -i: stopped by you before it finished, for 2 messages - the queue is read again to show what it did"),
            "{out:?}"
        );
        let mut tagged: Vec<&str> = fx.pane.tags.iter().map(|t| t.1.as_str()).collect();
        tagged.sort();
        assert_eq!(tagged, unreached, "the ones not reached stay tagged");
        let s = fx.draw(80, 24, true);
        assert!(s.contains("│3 tagged · "), "{s}");
        // i again: on exactly those
        let c = confirm(fx.act(QueueAction::DeliverNow));
        assert_eq!(
            c.lines[0],
            "deliver now 3 messages from deferred: 59F14C8904, A1B2C3D4E5, D00D00D00D"
        );
    }

    #[test]
    fn a_partial_result_is_shown_whole_at_80_columns_as_a_warning() {
        let mut fx = Fx::new(&fixture());
        let id = |s: &str| QueueId::parse(s).unwrap();
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::Delete,
                asked: 2000,
                done: Some(1997),
                missed: Some(vec![
                    id("F2D479A4186"),
                    id("05DF19A4189"),
                    id("3428E9A542D"),
                ]),
                lines: vec![],
                stopped: None,
                one: None,
            }),
        });
        assert!(matches!(fx.pane.notice, Some((false, _))), "not green");
        let at = now().format("%H:%M").to_string();
        let s = fx.draw(80, 24, true);
        assert!(
            s.contains(&format!(
                "│{at} delete: done for 1997 of 2000 messages; 3 no longer queued:"
            )) && s.contains("F2D479A4186")
                && s.contains("05DF19A4189, 3428E9A542D "),
            "{s}"
        );
    }

    #[test]
    fn a_dialog_for_one_message_speaks_of_it() {
        // the held bounce under the cursor, 45 s old, bounce_queue_lifetime 30s
        let mut fx = Fx::new(&fixture());
        fx.event(QueueEvent::Version {
            instance: 0,
            result: Ok(MailVersion::parse_postconf("3.7.11\n5d\n30s\n").unwrap()),
        });
        fx.act(QueueAction::QueueFilter); // active
        fx.act(QueueAction::QueueFilter); // deferred
        fx.act(QueueAction::QueueFilter); // hold
        assert_eq!(selected_id(&fx), "B0B0B0B0B0");
        let c = confirm(fx.act(QueueAction::Release));
        assert_eq!(c.title, "Release 1 message");
        assert_eq!(
            c.lines[1..3],
            [
                "It goes back to the deferred queue and is retried.",
                "It was queued longer than bounce_queue_lifetime 30s: released, it is returned to the sender at the first failed attempt"
            ]
        );
        let c = confirm(fx.act(QueueAction::Requeue));
        assert_eq!(
            c.lines[1..3],
            [
                "It is re-read from the maildrop with a NEW queue id.",
                "It is on hold: requeue releases it from hold, for delivery"
            ]
        );
        let c = confirm(fx.act(QueueAction::Delete));
        assert_eq!(c.lines[1], "It is removed for good. No bounce is sent.");
    }

    #[test]
    fn an_action_on_one_message_names_it_instead_of_counting() {
        let mut fx = Fx::new(&fixture());
        let id = QueueId::parse("4889DC8909").unwrap();
        for (n, op, want) in [
            (
                0,
                QueueOp::Hold,
                "putting 4889DC8909 on hold (postsuper -h)…",
            ),
            (1, QueueOp::Delete, "deleting 4889DC8909 (postsuper -d)…"),
            (
                2,
                QueueOp::DeliverNow,
                "asking Postfix to deliver 4889DC8909 now (postqueue -i)…",
            ),
        ] {
            // as it starts: nothing is done yet, which is no news for one message
            fx.event(QueueEvent::Progress {
                instance: 0,
                action: ActionId(n),
                op,
                done: 0,
                of: 1,
                one: Some(id.clone()),
                command: Clean::default(),
                stop: StopSwitch::default(),
            });
            let s = fx.draw(80, 24, true);
            assert!(s.contains(want), "{s}");
            assert!(!s.contains("0 of 1"), "{s}");
        }
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(2),
            result: Ok(Outcome {
                op: QueueOp::DeliverNow,
                asked: 1,
                done: Some(1),
                missed: Some(vec![]),
                lines: vec![],
                stopped: None,
                one: Some(id.clone()),
            }),
        });
        let s = fx.draw(80, 24, true);
        assert!(!s.contains("4889DC8909 now (postqueue -i)…"), "{s}");
        assert!(
            s.contains("deliver now: asked Postfix to try 4889DC8909"),
            "{s}"
        );
        // the result names it too
        fx.event(QueueEvent::Progress {
            instance: 0,
            action: ActionId(3),
            op: QueueOp::Hold,
            done: 0,
            of: 1,
            one: Some(id.clone()),
            command: Clean::default(),
            stop: StopSwitch::default(),
        });
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(3),
            result: Ok(held(Some(id.clone()))),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "hold: 4889DC8909 is on hold"),
            "{out:?}"
        );
        // and when it was not done, says why as before
        fx.event(QueueEvent::Progress {
            instance: 0,
            action: ActionId(4),
            op: QueueOp::Hold,
            done: 0,
            of: 1,
            one: Some(id.clone()),
            command: Clean::default(),
            stop: StopSwitch::default(),
        });
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(4),
            result: Ok(Outcome {
                op: QueueOp::Hold,
                asked: 1,
                done: Some(0),
                missed: Some(vec![id.clone()]),
                lines: vec![],
                stopped: None,
                one: Some(id.clone()),
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "hold: not done: 4889DC8909 is no longer queued or already on hold"),
            "{out:?}"
        );
    }

    #[test]
    fn a_long_action_shows_how_far_it_got() {
        let mut fx = Fx::new(&fixture());
        fx.event(QueueEvent::Progress {
            instance: 0,
            action: ActionId(0),
            op: QueueOp::DeliverNow,
            done: 120,
            of: 500,
            one: None,
            command: Clean::default(),
            stop: StopSwitch::default(),
        });
        let s = fx.draw(80, 24, true);
        assert!(s.contains("deliver now: 120 of 500 messages done…"), "{s}");
        fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::DeliverNow,
                asked: 500,
                done: Some(500),
                missed: Some(vec![]),
                lines: vec![],
                stopped: None,
                one: None,
            }),
        });
        let s = fx.draw(80, 24, true);
        assert!(!s.contains("120 of 500"), "{s}");
        assert!(
            s.contains("deliver now: asked Postfix to try 500 messages"),
            "{s}"
        );
        assert!(
            matches!(fx.pane.notice, Some((true, _))),
            "all asked for: green"
        );
    }

    /// One flush runs on every instance: one instance's success, coming after another's
    /// failure, must not leave the pane saying all went well.
    #[test]
    fn a_flush_that_failed_on_one_instance_stays_said_after_anothers_success() {
        let mut config = Config::default();
        config.postfix = ["mx1", "mx2"]
            .map(|name| crate::config::PostfixInstance {
                name: name.into(),
                config_dir: format!("/etc/postfix-{name}").into(),
                command_prefix: Vec::new(),
            })
            .into();
        let mut fx = Fx::new(&fixture());
        fx.pane = QueuePane::new(&config);
        fx.event(QueueEvent::Flushed {
            instance: 0,
            action: ActionId(9),
            result: Err(QueueError::NotAuthorized {
                command: "postqueue -c /etc/postfix-mx1 -f".into(),
                detail: "postqueue: fatal: User ops(1000) is not allowed to flush the mail queue"
                    .into(),
            }),
        });
        let said = fx.event(QueueEvent::Flushed {
            instance: 1,
            action: ActionId(9),
            result: Ok(vec![]),
        });
        let (ok, kept) = fx.pane.notice.clone().unwrap();
        assert!(!ok, "one instance failed: not green: {kept}");
        assert!(kept.contains("not allowed to flush"), "{kept}");
        assert!(
            kept.contains("flush (mx2): Postfix is retrying the deferred mail"),
            "{kept}"
        );
        assert!(
            matches!(said.first(), Some(Effect::Notice(n)) if n.contains("not allowed to flush")),
            "{said:?}"
        );
        // the next flush, a while later, is said on its own
        fx.at(now() + chrono::Duration::minutes(5), |p, cx| {
            p.on_event(
                QueueEvent::Flushed {
                    instance: 0,
                    action: ActionId(9),
                    result: Ok(vec![]),
                },
                cx,
            )
        });
        let (ok, kept) = fx.pane.notice.clone().unwrap();
        assert!(ok, "{kept}");
        assert!(!kept.contains("not allowed"), "{kept}");
    }

    #[test]
    fn a_kept_result_says_when_it_came() {
        // a flush an hour ago must not read as one going on now
        let mut fx = Fx::new(&fixture());
        fx.event(QueueEvent::Flushed {
            instance: 0,
            action: ActionId(9),
            result: Ok(vec![]),
        });
        let at = now().format("%H:%M").to_string();
        let s = fx.draw(80, 24, true);
        assert!(
            s.contains(&format!(
                "│{at} flush (default): Postfix is retrying the deferred mail"
            )),
            "{s}"
        );
    }

    #[test]
    fn typing_a_filter_narrows_to_the_same_view_as_setting_it() {
        let text = crate::mail::queue::demo::generate(3000, 1_800_000_000);
        let mut typed = Fx::new(&text);
        let target = "from:shop gmail";
        for n in 1..=target.len() {
            typed.filter(&target[..n]);
        }
        let mut direct = Fx::new(&text);
        direct.filter(target);
        assert!(direct.pane.view_len() > 0);
        assert_eq!(typed.pane.view, direct.pane.view);
        // deleting a character widens again
        typed.filter("from:shop gmai");
        direct.filter("");
        direct.filter("from:shop gmai");
        assert_eq!(typed.pane.view, direct.pane.view);
        // a regex or an age can widen while typing: never narrowed
        typed.filter("re:a");
        let n = typed.pane.view_len();
        typed.filter("re:a|b");
        assert!(typed.pane.view_len() >= n);
        typed.filter("age<1");
        typed.filter("age<10d");
        assert_eq!(typed.pane.view_len(), 3000);

        // Views remembered while typing are forgotten when a new listing
        // arrives: deleting then shows the new queue, not the old one.
        typed.filter("gmai");
        typed.filter("gmail");
        let other = crate::mail::queue::demo::generate(500, 1_800_000_100);
        typed.event(QueueEvent::Listed {
            instance: 0,
            at: now() + chrono::Duration::seconds(100),
            result: Ok(crate::mail::queue::parse::parse_jsonl(other.as_bytes())),
        });
        typed.filter("gmai");
        let mut fresh = Fx::new(&other);
        fresh.filter("gmai");
        assert!(fresh.pane.view_len() > 0);
        assert_eq!(typed.pane.view_len(), fresh.pane.view_len());
    }

    #[test]
    fn filters_queue_cycle_and_bad_regex() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::QueueFilter); // active
        assert_eq!(fx.pane.view_len(), 1);
        fx.act(QueueAction::QueueFilter); // deferred
        assert_eq!(fx.pane.view_len(), 4);
        for _ in 0..5 {
            fx.act(QueueAction::QueueFilter);
        }
        assert_eq!(fx.pane.queue_filter, None);
        assert_eq!(fx.pane.view_len(), 6);
        fx.filter("re:(");
        assert!(fx.pane.filter_error.is_some());
        assert_eq!(fx.pane.view_len(), 6, "the last good filter stays");
        fx.filter("re:^D00D");
        assert_eq!(fx.pane.view_len(), 1);
        assert!(fx.pane.filter_error.is_none());
    }

    #[test]
    fn jump_finds_an_entry_hidden_by_a_filter() {
        let mut fx = Fx::new(&fixture());
        fx.filter("from:nobody");
        assert_eq!(fx.pane.view_len(), 0);
        let found = fx.at(now(), |p, cx| {
            p.on_jump_impl(&Jump::QueueEntry("B0B0B0B0B0".into()), cx)
        });
        assert!(found);
        assert_eq!(selected_id(&fx), "B0B0B0B0B0");
        assert!(fx.pane.detail.is_some());
        // the header load is asked for on the next tick
        let out = fx.at(now(), |p, cx| p.on_tick_impl(cx));
        assert!(matches!(
            &out[..],
            [Effect::Queue(QueueEffect::Load {
                part: Part::Headers,
                ..
            })]
        ));
        fx.at(now(), |p, cx| {
            assert!(!p.on_jump_impl(&Jump::QueueEntry("ALL".into()), cx));
            assert!(!p.on_jump_impl(&Jump::QueueEntry("FFFFFF0000".into()), cx));
        });
    }

    #[test]
    fn several_instances_each_get_their_own_effect() {
        let mut config = Config::default();
        config.postfix.push(PostfixInstance {
            name: "out".into(),
            config_dir: "/etc/postfix-out".into(),
            command_prefix: vec![],
        });
        let mut fx = Fx::with_config(&config, &fixture());
        fx.event(QueueEvent::Listed {
            instance: 1,
            at: now(),
            result: Ok(parse_jsonl(
                br#"{"queue_name":"deferred","queue_id":"ABCABC0001","arrival_time":1799999000,"sender":"z@out.example","recipients":[{"address":"q@r","delay_reason":"x"}]}"#,
            )),
        });
        assert_eq!(fx.pane.view_len(), 7);
        fx.act(QueueAction::TagAll);
        let c = confirm(fx.act(QueueAction::Hold));
        assert_eq!(c.then.len(), 2, "one postsuper per instance");
        assert!(
            c.lines
                .iter()
                .any(|l| l == "Postfix instance: default, out"),
            "{:?}",
            c.lines
        );
        let s = fx.draw(100, 14, true);
        assert!(s.contains("* out     deferred ABCABC0001"), "{s}");
        assert!(s.contains("* default deferred A1B2C3D4E5"), "{s}");
        // each instance's result names it; a failed instance's messages stay tagged
        let out = fx.event(QueueEvent::Applied {
            instance: 1,
            action: ActionId(1),
            result: Err(QueueError::from_exit(
                "sudo -n postsuper -c /etc/postfix-out -h -",
                "exit status: 1",
                b"sudo: a password is required\n",
            )),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n.starts_with("[out] sudo -n postsuper -c /etc/postfix-out -h -: sudo wants a password")),
            "{out:?}"
        );
        let out = fx.event(QueueEvent::Applied {
            instance: 0,
            action: ActionId(0),
            result: Ok(Outcome {
                op: QueueOp::Hold,
                asked: 5,
                done: Some(5),
                missed: None,
                lines: vec![],
                stopped: None,
                one: None,
            }),
        });
        assert!(
            matches!(&out[0], Effect::Notice(n) if n == "[default] hold: done for 5 messages"),
            "{out:?}"
        );
        let left: Vec<String> = fx
            .pane
            .tags
            .iter()
            .map(|t| format!("{}:{}", t.0, t.1))
            .collect();
        assert_eq!(
            left,
            ["1:ABCABC0001"],
            "the failed instance's message is still tagged"
        );
        // flush asks every instance
        let c = confirm(fx.act(QueueAction::Flush));
        assert_eq!(c.then.len(), 2);
        assert_eq!(
            c.lines[0],
            "flush: try all 5 deferred messages now (postqueue -f)"
        );
    }
}
