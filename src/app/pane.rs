//! The contract between the app and a pane.
//!
//! A pane is a room: it owns its state, its key bindings, its reaction to its
//! sources' events and its drawing. It never does I/O: it returns
//! [`Effect`]s, and the effect runner does the work and reports back through
//! the pane's `Event` type. Drawing is a pure function of the pane's state.
//!
//! Keys reserved by the app (never bind them in a pane): Tab, BackTab, 1-5,
//! Enter, Esc, q, ?, /, :, j, k, g, G, arrows, PgUp, PgDn, Home, End, Ctrl-C,
//! Ctrl-Z, Ctrl-L. No pane binds a destructive action to a bare Esc, digit, `[`
//! or `O`: broken escape sequences over ssh arrive as those keys. A binding
//! with `writes: true` is dropped (not dispatched, not in the help, not in the
//! status bar) unless the session holds a [`WriteAccess`]; its key then only
//! leaves a notice that it would change the host.

use std::fmt::Debug;

use chrono::{DateTime, Local};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use ratatui::layout::Rect;

use crate::access::WriteAccess;
use crate::app::effect::{Effect, Jump};
use crate::app::shared::Shared;
use crate::ui::theme::Theme;

/// The five panes, in screen order (keys 1-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneId {
    Queue,
    Failures,
    Senders,
    Deploy,
    Probe,
}

impl PaneId {
    pub const ALL: [PaneId; 5] = [
        PaneId::Queue,
        PaneId::Failures,
        PaneId::Senders,
        PaneId::Deploy,
        PaneId::Probe,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Queue => "Queue",
            PaneId::Failures => "Failures",
            PaneId::Senders => "Senders",
            PaneId::Deploy => "Deploy",
            PaneId::Probe => "Probe",
        }
    }

    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> PaneId {
        PaneId::ALL[(self.index() + 1) % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        PaneId::ALL[(self.index() + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
    }
}

/// A key as written in a key map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn ch(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn code(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Does a pressed key match this binding? Shift is folded into the
    /// character for letters (crossterm reports `G` with SHIFT) and into
    /// BackTab (which is Shift-Tab, reported with or without SHIFT).
    pub fn matches(&self, code: KeyCode, mods: KeyModifiers) -> bool {
        let mods = if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods - KeyModifiers::SHIFT
        } else {
            mods
        };
        self.code == code && self.mods == mods
    }

    /// How the key is written in help.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            // as terminals, manuals and the README write them: Ctrl-L, not Ctrl-l
            format!("Ctrl-{}", base.to_uppercase())
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{base}")
        } else {
            base
        }
    }
}

/// One entry of a key map: the same table dispatches keys and writes help.
#[derive(Clone, Copy, Debug)]
pub struct Binding<A: 'static> {
    pub keys: &'static [Key],
    pub action: A,
    pub help: &'static str,
    /// Changes a host: only bound when the session holds a `WriteAccess`.
    pub writes: bool,
}

/// List navigation the app dispatches to the focused pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
}

/// What an update may see and touch besides the pane's own state.
pub struct Cx<'a> {
    pub now: DateTime<Local>,
    /// `Some` only in interactive mode. Effects that change a host carry a
    /// clone of it; read-only sessions cannot build them.
    pub access: Option<&'a WriteAccess>,
    pub shared: &'a mut Shared,
}

/// What drawing may see besides the pane's own state.
pub struct ViewCx<'a> {
    pub theme: &'a Theme,
    pub now: DateTime<Local>,
    pub focused: bool,
    /// Drawn full screen (focused view) rather than as an overview tile.
    pub zoomed: bool,
    pub read_only: bool,
    pub shared: &'a Shared,
}

/// Is a read repeated every `secs` due at `now`, when it last started at `last`? The first one
/// is. So is one whose `last` is ahead of `now`: the clock was set back (NTP stepping it, someone
/// correcting it), and waiting for it to catch up would stop the read for as long as the clock
/// went back, while the pane went on showing the old result as fresh.
pub fn interval_due(last: Option<DateTime<Local>>, now: DateTime<Local>, secs: u64) -> bool {
    last.is_none_or(|l| {
        let elapsed = (now - l).num_seconds();
        elapsed < 0 || elapsed >= secs.max(1) as i64
    })
}

/// How long work has run, in the steps [`elapsed_words`] and [`elapsed_short`] say it in.
enum Elapsed {
    Seconds(i64),
    Minutes(i64),
    /// Hours and the minutes past them.
    Hours(i64, i64),
}

impl Elapsed {
    fn between(since: DateTime<Local>, now: DateTime<Local>) -> Option<Elapsed> {
        let secs = (now - since).num_seconds();
        match secs {
            ..10 => None,
            10..60 => Some(Elapsed::Seconds(secs / 10 * 10)),
            60..3600 => Some(Elapsed::Minutes(secs / 60)),
            _ => Some(Elapsed::Hours(secs / 3600, secs % 3600 / 60)),
        }
    }
}

/// How long work started at `since` has run at `now`, as the panes say it ("running for 20 s"):
/// nothing for the first 10 s, then in steps of 10 s, then of a minute, so that the words change
/// (and the screen is redrawn, see [`Pane::clock_changed`]) at most every 10 s, and once a
/// minute after the first.
pub fn elapsed_words(since: DateTime<Local>, now: DateTime<Local>) -> Option<String> {
    Elapsed::between(since, now).map(|e| match e {
        Elapsed::Seconds(s) => format!("{s} s"),
        Elapsed::Minutes(m) => format!("{m} min"),
        Elapsed::Hours(h, m) => format!("{h} h {m:02} min"),
    })
}

/// [`elapsed_words`] written short ("40s", "3m", "1h05m"), for a line that says it of several
/// things at once. It changes when those words do, so a view that shows it is redrawn when the
/// views that show them are.
pub fn elapsed_short(since: DateTime<Local>, now: DateTime<Local>) -> Option<String> {
    Elapsed::between(since, now).map(|e| match e {
        Elapsed::Seconds(s) => format!("{s}s"),
        Elapsed::Minutes(m) => format!("{m}m"),
        Elapsed::Hours(h, m) => format!("{h}h{m:02}m"),
    })
}

/// Data a pane reads again on an interval: how often, and when it was last read (`None`: not
/// yet). The app marks it overdue when it is not refreshed (see [`crate::app::freshness`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polled {
    pub every_secs: u64,
    pub last: Option<DateTime<Local>>,
}

/// What the status bar and the overview tile say of a pane's sources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceHealth {
    /// When the pane's data was last refreshed.
    pub last_update: Option<DateTime<Local>>,
    /// Errors seen since start.
    pub errors: u64,
    /// The current problem, if any: it puts the '!' on the pane's tab. Each pane says what is
    /// wrong in its own words, at the top of its tile (an overview of 20 rows keeps one line of
    /// it) and its view; with only another pane on screen (zoomed, or a window too short for the
    /// tiles), this text is what the status bar says of it, so the '!' is not a riddle.
    pub problem: Option<String>,
}

/// A pane of the console. See the module docs for the rules.
pub trait Pane {
    /// What the pane's keys do.
    type Action: Copy + PartialEq + Debug + 'static;
    /// What the pane's sources and effects report.
    type Event: Debug + Send + 'static;

    /// The key map of this pane (besides the app's global keys).
    fn bindings(&self) -> &'static [Binding<Self::Action>];

    /// A bound key was pressed. Write actions only arrive when `cx.access` is `Some`.
    fn on_action(&mut self, action: Self::Action, cx: &mut Cx<'_>) -> Vec<Effect>;

    /// A source or an effect reported something.
    fn on_event(&mut self, event: Self::Event, cx: &mut Cx<'_>) -> Vec<Effect>;

    /// Can this action do anything in the pane as it is configured? One that cannot (the next
    /// deploy target, where only one is configured) is left out of the help, as a write action
    /// is in a read-only session; its key still reaches [`on_action`](Self::on_action), which
    /// says why it does nothing.
    fn offers(&self, _action: Self::Action) -> bool {
        true
    }

    /// What the help says in place of the pane's keys when it offers none of them: what
    /// would give them something to do (the Deploy pane with no target configured).
    fn help_without_keys(&self) -> &'static str {
        "(no keys of its own yet)"
    }

    /// Why the help lists fewer of the pane's keys than it has, when that is not said
    /// elsewhere in the help (read-only is): the Deploy pane, for a person not among the
    /// target's deployers. Shown under the pane's title, escaped there.
    fn help_note(&self) -> Option<String> {
        None
    }

    /// Does this action act on the pane's selection? The overview's tile does not show it, so
    /// there the app asks for the pane to be opened first, as it does for a change.
    fn acts_on_selection(&self, _action: Self::Action) -> bool {
        false
    }

    /// Move the selection.
    fn on_nav(&mut self, _nav: Nav, _cx: &mut Cx<'_>) -> Vec<Effect> {
        Vec::new()
    }

    /// Enter on the focused pane: open the selected item's detail.
    fn on_enter(&mut self, _cx: &mut Cx<'_>) -> Vec<Effect> {
        Vec::new()
    }

    /// Esc: close the innermost detail. Returns false when there was none
    /// (the app then leaves the focused view).
    fn on_back(&mut self) -> bool {
        false
    }

    /// `/` filter text changed (empty clears it). With the context, as every change of what a
    /// pane shows: a pane whose rows come from a shared model picks them here, not while drawing.
    fn set_filter(&mut self, _text: &str, _cx: &mut Cx<'_>) {}

    /// The current filter, shown in the pane title.
    fn filter(&self) -> &str {
        ""
    }

    /// What the `/` filter understands beyond plain words, said on the filter line while it is
    /// typed: in full, and in the short words an 80-column line has room for beside what is
    /// typed. Empty for a pane whose filter takes words only.
    fn filter_syntax(&self) -> [&'static str; 2] {
        ["", ""]
    }

    /// A text prompt this pane asked for (see `Effect::Prompt`) was answered.
    fn on_prompt(
        &mut self,
        _purpose: &'static str,
        _text: String,
        _cx: &mut Cx<'_>,
    ) -> Vec<Effect> {
        Vec::new()
    }

    /// Another pane asked to show something here. Returns true if found.
    fn on_jump(&mut self, _jump: &Jump, _cx: &mut Cx<'_>) -> bool {
        false
    }

    /// Once a second.
    fn on_tick(&mut self, _cx: &mut Cx<'_>) -> Vec<Effect> {
        Vec::new()
    }

    /// Does what the pane draws from the clock alone differ at `now` from what it drew at
    /// `was`, a tick before? The tick redraws the screen only then (besides the minute the
    /// status bar shows): an idle screen over ssh sends nothing. A pane whose words change
    /// with time says so only while they do, and in steps of seconds at the finest.
    fn clock_changed(&self, _was: DateTime<Local>, _now: DateTime<Local>) -> bool {
        false
    }

    /// Draw the pane into `area` (its border included).
    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>);

    /// For the status bar.
    fn health(&self) -> SourceHealth;

    /// The data this pane reads again on an interval, if any. The app, not the pane, says when
    /// it is overdue: the age in the status bar is marked, and the pane's health gets a problem,
    /// until a read comes. Data that comes when it comes (a followed log: no new line is the
    /// normal state of a quiet log) has none.
    fn polled(&self) -> Option<Polled> {
        None
    }
}
