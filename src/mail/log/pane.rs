//! The Failures pane's state and update: which rows are shown (filters), which is selected, which
//! detail is open, and what the sources said. Feeds the shared [`MailLog`].
//!
//! No I/O and no drawing here: sources report through [`LogEvent`], the pane answers with
//! [`Effect`]s (a queue refresh, a jump, a prompt). Drawing is in [`super::view`].

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, Local};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::classify::Category;
use super::model::{MailLog, Outcome, RowStatus, WindowCounts};
use super::parse::QueueId;
use super::source::SourceState;
use super::{LogConfig, LogEvent};
use crate::app::effect::{Effect, Jump, Prompt};
use crate::app::pane::{Binding, Cx, Key, Nav, Pane, PaneId, SourceHealth, ViewCx};
use crate::config::Config;
use crate::find::Needle;
use crate::mail::queue::QueueEffect;
use crate::sanitize::Clean;
use crate::ui::widgets::Scroll;

/// How the Senders pane names the null sender (`<>`), whose row holds the bounce notices' route
/// and the senders whose notices failed.
pub(crate) const NULL_SENDER: &str = "MAILER-DAEMON";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailuresAction {
    CycleCategory,
    CycleStatus,
    FilterSender,
    FilterDomain,
    ClearFilters,
    OpenQueueEntry,
    OpenSender,
}

const BINDINGS: &[Binding<FailuresAction>] = &[
    Binding {
        keys: &[Key::ch('c')],
        action: FailuresAction::CycleCategory,
        help: "filter by category (cycle through those with rows)",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('t')],
        action: FailuresAction::CycleStatus,
        help: "filter by status (cycle; last: all incl. sent)",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('f')],
        action: FailuresAction::FilterSender,
        help: "filter by sender",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('d')],
        action: FailuresAction::FilterDomain,
        help: "filter by recipient domain",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('x')],
        action: FailuresAction::ClearFilters,
        help: "clear all filters",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('u')],
        action: FailuresAction::OpenQueueEntry,
        help: "show its queue entry (Queue pane)",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('s')],
        action: FailuresAction::OpenSender,
        help: "show its sender (Senders pane)",
        writes: false,
    },
];

const PROMPT_SENDER: &str = "failures.sender";
const PROMPT_DOMAIN: &str = "failures.domain";

/// Which statuses are listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every failure (not `sent`).
    #[default]
    Failures,
    Only(RowStatus),
    /// Everything, deliveries included.
    All,
}

impl StatusFilter {
    fn next(self) -> StatusFilter {
        const ORDER: [RowStatus; 8] = [
            RowStatus::Deferred,
            RowStatus::Held,
            RowStatus::Bounced,
            RowStatus::Expired,
            RowStatus::Lost,
            RowStatus::Deleted,
            RowStatus::Rejected,
            RowStatus::Sent,
        ];
        match self {
            StatusFilter::Failures => StatusFilter::Only(ORDER[0]),
            StatusFilter::Only(s) => match ORDER.iter().position(|x| *x == s) {
                Some(i) if i + 1 < ORDER.len() => StatusFilter::Only(ORDER[i + 1]),
                _ => StatusFilter::All,
            },
            StatusFilter::All => StatusFilter::Failures,
        }
    }

    pub fn label(self) -> String {
        match self {
            StatusFilter::Failures => "failures".into(),
            StatusFilter::Only(s) => s.as_str().into(),
            StatusFilter::All => "all".into(),
        }
    }

    pub(crate) fn accepts(self, s: RowStatus) -> bool {
        match self {
            StatusFilter::Failures => s.is_failure(),
            StatusFilter::Only(x) => x == s,
            StatusFilter::All => true,
        }
    }
}

/// What one source looks like to the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceView {
    pub label: String,
    pub state: Option<SourceState>,
    pub notify: bool,
    pub backfilling: bool,
}

/// The detail view: a message by queue id, focused on one outcome when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub queue_id: Option<QueueId>,
    pub seq: Option<u64>,
    pub scroll: Scroll,
}

/// The filters' values: what the rows shown depend on besides the model.
#[derive(Debug, PartialEq, Eq)]
struct FilterKey {
    text: String,
    category: Option<Category>,
    status: StatusFilter,
    sender: Option<String>,
    domain: Option<String>,
}

/// The rows the filters pass, picked at one revision of the model with one set of filters.
#[derive(Debug)]
struct ShownRows {
    revision: u64,
    filters: FilterKey,
    /// Indices into [`MailLog::outcomes`], newest first.
    indices: Vec<usize>,
}

/// The hour's and the day's counts, taken at one revision of the model in one minute
/// ([`MailLog::window_counts_key`]).
#[derive(Debug)]
struct Counted {
    revision: u64,
    key: [i64; 3],
    counts: WindowCounts,
}

/// The pane's state.
#[derive(Debug, Default)]
pub struct FailuresPane {
    pub(crate) sources: Vec<SourceView>,
    pub(crate) text: String,
    pub(crate) category: Option<Category>,
    pub(crate) status: StatusFilter,
    pub(crate) sender: Option<String>,
    pub(crate) domain: Option<String>,
    /// `text` and `sender` as prepared searches (kept in step with them).
    text_needle: Option<Needle>,
    sender_needle: Option<Needle>,
    /// Selected row, by outcome seq (stable while rows arrive), and its index.
    pub(crate) selected_seq: Option<u64>,
    pub(crate) selected: usize,
    /// The rows of the table on screen.
    pub(crate) window: crate::ui::widgets::ListWindow,
    pub(crate) detail: Option<Detail>,
    pub(crate) unparsed: u64,
    pub(crate) errors: u64,
    pub(crate) last_update: Option<DateTime<Local>>,
    /// Mail lost in the last hour, as last counted: the tab's mark.
    lost_last_hour: usize,
    /// The rows shown and the counts, as of the last change of what they depend on: with
    /// 100,000 outcomes, walking them all on every frame (every j/k) cost milliseconds. Kept
    /// up to date by the update methods ([`refresh_rows`](Self::refresh_rows),
    /// [`refresh_counts`](Self::refresh_counts)), never by drawing, which only reads them
    /// while their key holds ([`shown`](Self::shown), [`counts`](Self::counts)).
    shown: Option<ShownRows>,
    counted: Option<Counted>,
    /// What the log source reads, for the searches by hand a remedy names
    /// ([`LogConfig::search_hint`]).
    pub(crate) log_config: LogConfig,
}

impl FailuresPane {
    pub fn new(config: &Config) -> FailuresPane {
        FailuresPane::with_config(&config.mail_log)
    }

    pub fn with_config(cfg: &LogConfig) -> FailuresPane {
        FailuresPane {
            sources: cfg
                .source_labels()
                .into_iter()
                .map(|label| SourceView {
                    label,
                    state: None,
                    notify: false,
                    backfilling: cfg.backfill_hours > 0,
                })
                .collect(),
            log_config: cfg.clone(),
            ..FailuresPane::default()
        }
    }

    /// Does this outcome pass every filter?
    pub fn accepts(&self, o: &Outcome) -> bool {
        (self.category.is_none() || o.category == self.category) && self.accepts_any_category(o)
    }

    /// Does this outcome pass every filter but the category's?
    fn accepts_any_category(&self, o: &Outcome) -> bool {
        if !self.status.accepts(o.status) {
            return false;
        }
        if let Some(s) = &self.sender_needle
            && !o.from.as_deref().is_some_and(|f| s.is_match(f))
        {
            return false;
        }
        if let Some(d) = &self.domain {
            let dom = o.rcpt_domain();
            let sub = dom.len() > d.len()
                && dom.is_char_boundary(dom.len() - d.len())
                && dom[dom.len() - d.len()..].eq_ignore_ascii_case(d)
                && dom.as_bytes()[dom.len() - d.len() - 1] == b'.';
            if !(dom.eq_ignore_ascii_case(d) || sub) {
                return false;
            }
        }
        if let Some(t) = &self.text_needle {
            let hay = [
                o.from.as_deref().unwrap_or(""),
                &o.to,
                &o.reason,
                &o.relay,
                &o.dsn,
                o.queue_id.as_ref().map(|q| q.as_str()).unwrap_or(""),
                o.category.map(|c| c.label()).unwrap_or(""),
                o.status.as_str(),
            ];
            if !hay.iter().any(|h| t.is_match(h)) {
                return false;
            }
        }
        true
    }

    /// Rows shown, newest first.
    pub fn rows<'a>(&'a self, log: &'a MailLog) -> impl Iterator<Item = &'a Outcome> + 'a {
        let shown = self.shown(log);
        (0..shown.len()).map(move |k| &log.outcomes()[shown[k]])
    }

    /// The rows shown, as indices into [`MailLog::outcomes`], newest first: the rows picked at
    /// the last change, or (the model changed without this pane being told) picked again.
    pub(super) fn shown<'a>(&'a self, log: &MailLog) -> Cow<'a, [usize]> {
        match self.cached_rows(log) {
            Some(rows) => Cow::Borrowed(rows),
            None => Cow::Owned(self.pick_rows(log)),
        }
    }

    /// The hour's and the day's counts at `now`: those taken at the last change, or (the model
    /// changed without this pane being told, or a minute began since) taken again.
    pub(super) fn counts<'a>(
        &'a self,
        log: &MailLog,
        now: DateTime<Local>,
    ) -> Cow<'a, WindowCounts> {
        match self.cached_counts(log, now) {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(Self::count(log, now)),
        }
    }

    /// Every outcome the filters pass, newest first: one walk over all of them.
    fn pick_rows(&self, log: &MailLog) -> Vec<usize> {
        let outcomes = log.outcomes();
        (0..outcomes.len())
            .rev()
            .filter(|i| self.accepts(&outcomes[*i]))
            .collect()
    }

    /// The hour's and the day's counts at `now`, taken from the model.
    fn count(log: &MailLog, now: DateTime<Local>) -> WindowCounts {
        let (hour, day) = Self::windows(now);
        log.window_counts(hour, day, now.fixed_offset())
    }

    /// What [`count`](Self::count) reads of `now` ([`MailLog::window_counts_key`]).
    fn count_key(now: DateTime<Local>) -> [i64; 3] {
        let (hour, day) = Self::windows(now);
        MailLog::window_counts_key(hour, day, now.fixed_offset())
    }

    /// The cached rows, if they were picked from this revision of `log` with the filters set now.
    pub(super) fn cached_rows(&self, log: &MailLog) -> Option<&[usize]> {
        self.shown
            .as_ref()
            .filter(|s| s.revision == log.revision() && s.filters == self.filter_key())
            .map(|s| s.indices.as_slice())
    }

    /// The cached counts, if they were taken from this revision of `log` in the minute of `now`.
    pub(super) fn cached_counts(
        &self,
        log: &MailLog,
        now: DateTime<Local>,
    ) -> Option<&WindowCounts> {
        let key = Self::count_key(now);
        self.counted
            .as_ref()
            .filter(|c| c.revision == log.revision() && c.key == key)
            .map(|c| &c.counts)
    }

    fn filter_key(&self) -> FilterKey {
        FilterKey {
            text: self.text.clone(),
            category: self.category,
            status: self.status,
            sender: self.sender.clone(),
            domain: self.domain.clone(),
        }
    }

    /// Pick the rows again if the model or the filters changed since they were.
    fn refresh_rows(&mut self, log: &MailLog) {
        if self.cached_rows(log).is_none() {
            self.shown = Some(ShownRows {
                revision: log.revision(),
                filters: self.filter_key(),
                indices: self.pick_rows(log),
            });
        }
    }

    /// Count again if the model changed or a minute began since the last count, and mark the tab
    /// if mail was lost in the last hour: lost mail ages out of the hour as time passes, with no
    /// new line.
    fn refresh_counts(&mut self, log: &MailLog, now: DateTime<Local>) {
        if self.cached_counts(log, now).is_none() {
            self.counted = Some(Counted {
                revision: log.revision(),
                key: Self::count_key(now),
                counts: Self::count(log, now),
            });
        }
        let lost = self
            .counts(log, now)
            .recent_status
            .iter()
            .find(|(s, _)| *s == RowStatus::Lost)
            .map_or(0, |(_, n)| *n);
        self.lost_last_hour = lost;
    }

    /// The selected outcome, if any.
    pub fn selected_outcome<'a>(&self, log: &'a MailLog) -> Option<&'a Outcome> {
        let seq = self.selected_seq?;
        log.outcomes().iter().rev().find(|o| o.seq == seq)
    }

    /// The outcome the links act on: the detail's, else the selected row's.
    fn current<'a>(&self, log: &'a MailLog) -> Option<&'a Outcome> {
        if let Some(d) = &self.detail
            && let Some(seq) = d.seq
        {
            return log.outcomes().iter().rev().find(|o| o.seq == seq);
        }
        self.selected_outcome(log)
    }

    /// Active filters, for the title and the filter line.
    pub fn filter_summary(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.status != StatusFilter::Failures {
            v.push(format!("status={}", self.status.label()));
        }
        if let Some(c) = self.category {
            v.push(format!("category={}", c.label()));
        }
        if let Some(s) = &self.sender {
            v.push(format!("sender~{s}"));
        }
        if let Some(d) = &self.domain {
            v.push(format!("domain={d}"));
        }
        if !self.text.is_empty() {
            v.push(format!("/{}", self.text));
        }
        v
    }

    /// Re-find the selected row after rows or filters changed.
    fn resync(&mut self, log: &MailLog) {
        self.refresh_rows(log);
        // the rows are in decreasing index order: the selected one is found by its index
        let found = self
            .selected_seq
            .and_then(|seq| log.outcome_index(seq))
            .and_then(|i| self.shown(log).binary_search_by(|r| i.cmp(r)).ok());
        self.select_index(log, found.unwrap_or(self.selected));
    }

    /// Select the row at `index` of those shown (the last one, past the end).
    fn select_index(&mut self, log: &MailLog, index: usize) {
        self.refresh_rows(log);
        let pick = {
            let rows = self.shown(log);
            rows.len()
                .checked_sub(1)
                .map(|last| index.min(last))
                .map(|i| (i, log.outcomes()[rows[i]].seq))
        };
        (self.selected, self.selected_seq) = match pick {
            Some((i, seq)) => (i, Some(seq)),
            None => (0, None),
        };
    }

    fn apply_event(&mut self, event: LogEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        let mut effects = Vec::new();
        match event {
            LogEvent::Lines {
                lines,
                backfill,
                unparsed,
                ..
            } => {
                self.unparsed += unparsed;
                // at the top of the list, keep showing the newest row as rows arrive
                if self.selected == 0 && self.detail.is_none() {
                    self.selected_seq = None;
                }
                let mut queue_changed = false;
                for l in lines {
                    queue_changed |= cx.shared.mail_log.ingest(l).queue_changed;
                }
                if queue_changed && !backfill {
                    effects.push(Effect::Queue(QueueEffect::Refresh));
                }
                self.last_update = Some(cx.now);
                self.refresh_counts(&cx.shared.mail_log, cx.now);
            }
            LogEvent::State {
                source,
                state,
                notify,
            } => {
                if let SourceState::Unavailable(_) = state {
                    self.errors += 1;
                }
                if let Some(s) = self.sources.get_mut(source) {
                    s.state = Some(state);
                    s.notify = notify;
                }
            }
            LogEvent::BackfillDone { source, .. } => {
                if let Some(s) = self.sources.get_mut(source) {
                    s.backfilling = false;
                }
            }
        }
        let log = &cx.shared.mail_log;
        self.resync(log);
        effects
    }

    /// Cutoffs for "last hour" and "last day" at `now`.
    pub fn windows(now: DateTime<Local>) -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
        let n = now.fixed_offset();
        (
            n - chrono::Duration::hours(1),
            n - chrono::Duration::days(1),
        )
    }
}

impl Pane for FailuresPane {
    type Action = FailuresAction;
    type Event = LogEvent;

    fn bindings(&self) -> &'static [Binding<FailuresAction>] {
        BINDINGS
    }

    fn acts_on_selection(&self, action: FailuresAction) -> bool {
        matches!(
            action,
            FailuresAction::OpenQueueEntry | FailuresAction::OpenSender
        )
    }

    fn on_action(&mut self, action: FailuresAction, cx: &mut Cx<'_>) -> Vec<Effect> {
        let mut effects = Vec::new();
        match action {
            FailuresAction::CycleCategory => {
                // only the causes that have rows under the other filters, in their usual order,
                // then all of them again: over a slow link, no key press lands on an empty list
                let present: std::collections::BTreeSet<Category> = cx
                    .shared
                    .mail_log
                    .outcomes()
                    .iter()
                    .filter(|o| self.accepts_any_category(o))
                    .filter_map(|o| o.category)
                    .collect();
                self.category = match self.category {
                    None => present.first().copied(),
                    Some(c) => present.range(c..).find(|x| **x != c).copied(),
                };
            }
            FailuresAction::CycleStatus => self.status = self.status.next(),
            FailuresAction::FilterSender => effects.push(Effect::Prompt(Prompt {
                pane: PaneId::Failures,
                purpose: PROMPT_SENDER,
                label: "Sender contains (empty clears)".into(),
                initial: self.sender.clone().unwrap_or_default(),
            })),
            FailuresAction::FilterDomain => effects.push(Effect::Prompt(Prompt {
                pane: PaneId::Failures,
                purpose: PROMPT_DOMAIN,
                label: "Recipient domain (empty clears)".into(),
                initial: self.domain.clone().unwrap_or_default(),
            })),
            FailuresAction::ClearFilters => {
                self.category = None;
                self.status = StatusFilter::Failures;
                self.sender = None;
                self.sender_needle = None;
                self.domain = None;
                self.text.clear();
                self.text_needle = None;
            }
            FailuresAction::OpenQueueEntry => {
                let log = &cx.shared.mail_log;
                let id = self
                    .detail
                    .as_ref()
                    .and_then(|d| d.queue_id.clone())
                    .or_else(|| self.current(log).and_then(|o| o.queue_id.clone()));
                match id {
                    Some(id) => {
                        let queued = log
                            .final_status(id.as_str())
                            .is_some_and(|s| s.state == super::model::MessageState::Queued);
                        if queued {
                            effects.push(Effect::Jump(Jump::QueueEntry(id.as_str().to_string())));
                        } else {
                            effects.push(Effect::Notice(Clean::joined(format!(
                                "{id} is no longer in the queue"
                            ))));
                        }
                    }
                    None => effects.push(Effect::Notice("no queue id for this row".into())),
                }
            }
            FailuresAction::OpenSender => {
                let log = &cx.shared.mail_log;
                let current = self.current(log);
                // a sender refused at reception is someone else's (a spammer trying to relay):
                // not one of this host's senders, so it is not added to that pane
                let refused = current.filter(|o| o.status == RowStatus::Rejected);
                let from = current.and_then(|o| o.from.clone()).or_else(|| {
                    let d = self.detail.as_ref()?;
                    log.message(d.queue_id.as_ref()?)?.from.clone()
                });
                match from {
                    Some(f) if refused.is_some() => effects.push(Effect::Notice(Clean::joined(
                        format!("{f} was refused at reception: not a sender of this host's mail"),
                    ))),
                    Some(f) if !f.is_empty() => {
                        effects.push(Effect::Jump(Jump::Sender(f.as_str().to_string())))
                    }
                    // a bounce notice's route, and the senders whose notices failed, are the
                    // Senders pane's MAILER-DAEMON row
                    Some(_) => effects.push(Effect::Jump(Jump::Sender(NULL_SENDER.into()))),
                    None => effects.push(Effect::Notice("no sender known for this row".into())),
                }
            }
        }
        self.resync(&cx.shared.mail_log);
        effects
    }

    fn on_event(&mut self, event: LogEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.apply_event(event, cx)
    }

    fn on_nav(&mut self, nav: Nav, cx: &mut Cx<'_>) -> Vec<Effect> {
        if let Some(d) = self.detail.as_mut() {
            d.scroll.nav(nav);
            return Vec::new();
        }
        let i = match nav {
            Nav::Up => self.selected.saturating_sub(1),
            Nav::Down => self.selected + 1,
            Nav::PageUp => self.selected.saturating_sub(10),
            Nav::PageDown => self.selected + 10,
            Nav::Top => 0,
            Nav::Bottom => usize::MAX,
        };
        self.select_index(&cx.shared.mail_log, i);
        Vec::new()
    }

    fn on_enter(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        if self.detail.is_none()
            && let Some(o) = self.selected_outcome(&cx.shared.mail_log)
        {
            self.detail = Some(Detail {
                queue_id: o.queue_id.clone(),
                seq: Some(o.seq),
                scroll: Scroll::default(),
            });
        }
        Vec::new()
    }

    fn on_back(&mut self) -> bool {
        self.detail.take().is_some()
    }

    fn set_filter(&mut self, text: &str, cx: &mut Cx<'_>) {
        self.text = text.trim().to_string();
        self.text_needle = (!self.text.is_empty()).then(|| Needle::new(&self.text));
        self.selected = 0;
        self.selected_seq = None;
        self.refresh_rows(&cx.shared.mail_log);
    }

    fn filter(&self) -> &str {
        &self.text
    }

    fn on_prompt(&mut self, purpose: &'static str, text: String, cx: &mut Cx<'_>) -> Vec<Effect> {
        let v = text.trim().to_ascii_lowercase();
        let v = (!v.is_empty()).then_some(v);
        match purpose {
            PROMPT_SENDER => {
                self.sender_needle = v.as_deref().map(Needle::new);
                self.sender = v;
            }
            PROMPT_DOMAIN => self.domain = v.map(|d| d.trim_start_matches('@').to_string()),
            _ => {}
        }
        self.resync(&cx.shared.mail_log);
        Vec::new()
    }

    fn on_jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        let Jump::LogHistory(id) = jump else {
            return false;
        };
        let Some(qid) = QueueId::parse(id) else {
            return false;
        };
        let log = &cx.shared.mail_log;
        let seq = log
            .outcomes()
            .iter()
            .rev()
            .find(|o| o.queue_id.as_ref() == Some(&qid))
            .map(|o| o.seq);
        if seq.is_none() && log.message(&qid).is_none() {
            return false;
        }
        self.detail = Some(Detail {
            queue_id: Some(qid),
            seq,
            scroll: Scroll::default(),
        });
        true
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        super::view::render(self, frame, area, cx);
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        // the counts move as time passes, with no new line
        self.refresh_counts(&cx.shared.mail_log, cx.now);
        Vec::new()
    }

    fn health(&self) -> SourceHealth {
        let problem = self
            .sources
            .iter()
            .find_map(|s| match &s.state {
                Some(SourceState::Unavailable(m)) => Some(m.clone()),
                _ => None,
            })
            .or_else(|| {
                (self.lost_last_hour > 0)
                    .then(|| format!("{} lost in the last hour", self.lost_last_hour))
            });
        SourceHealth {
            last_update: self.last_update,
            errors: self.errors,
            problem,
        }
    }
}
