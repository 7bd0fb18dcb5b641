//! The application: state, the pure `update`, the key map, the loop and the
//! terminal. Panes live in their feature folders and plug in through
//! [`pane::Pane`].
//!
//! `App::update` is pure: it changes state and returns the effects that need
//! I/O; it never touches a terminal, a file or a process. Effects the app can
//! settle itself (focus, jumps, dialogs, notices) are settled here.

pub mod effect;
pub mod event_loop;
pub mod freshness;
pub mod keymap;
pub mod pane;
pub mod runner;
pub mod shared;
pub mod terminal;
pub mod view;

use chrono::{DateTime, Local, Timelike};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::access::{Mode, WriteAccess};
use crate::app::effect::{Confirm, Effect, Jump, Prompt, SourceEvent};
use crate::app::keymap::{GLOBAL, GlobalAction};
use crate::app::pane::{Cx, Nav, Pane, PaneId, SourceHealth};
use crate::app::shared::Shared;
use crate::config::Config;
use crate::deploy::DeployPane;
use crate::mail::log::FailuresPane;
use crate::mail::queue::QueuePane;
use crate::mail::senders::SendersPane;
use crate::probe::ProbePane;
use crate::sanitize::{Clean, sanitize_capped};

/// How many seconds (ticks) a notice stays in the status bar. It takes the place of the
/// sources' ages there, and the next key clears it; on a monitor no key comes.
pub const NOTICE_TICKS: u32 = 30;

/// How many seconds (ticks) without a key a help box stays open on a read-only monitor. Help
/// covers the panes; on a wall, whoever opened it may have walked away, and no key comes.
pub const HELP_IDLE_TICKS: u32 = 120;

/// How long an error a source reported is counted in the status bar's `err N`: a monitor left
/// on a wall for a week should not go on showing last Tuesday's failed listing beside a source
/// that has read fine since. The pane itself says what is wrong now.
pub const RECENT_ERRORS_SECS: i64 = 3600;

/// Something the loop hands to `update`.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): never read as keys.
    Paste(String),
    Resize(u16, u16),
    /// Once a second, with the current time.
    Tick(DateTime<Local>),
    Source(SourceEvent),
    /// Ctrl-Z did not stop the process: nothing with job control started it.
    NotSuspended,
}

/// A modal layer over the panes; it takes every key while open.
#[derive(Debug)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    Confirm(Confirm),
    Prompt {
        prompt: Prompt,
        text: String,
    },
    /// `opened`: the filter opened the pane from the overview (its tile shows no list), and
    /// Esc, which clears it, goes back there.
    Filter {
        pane: PaneId,
        text: String,
        opened: bool,
    },
}

/// What the loop must do after an update.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Effects for the runner (I/O).
    pub effects: Vec<Effect>,
    /// The screen must be drawn again.
    pub redraw: bool,
    /// Clear and draw everything (Ctrl-L, after suspend).
    pub full_redraw: bool,
    /// Suspend the process (Ctrl-Z).
    pub suspend: bool,
}

/// Esc and the key after it, read together, come from the terminal as that key with Alt: a
/// slow link delivers both in one packet, a fast hand types them within the parser's wait.
/// Nothing is bound to Alt, so such a key is the two keys it was typed as.
fn split_meta(key: KeyEvent) -> Vec<KeyEvent> {
    if !key.modifiers.contains(KeyModifiers::ALT) {
        return vec![key];
    }
    let mut esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    esc.kind = key.kind;
    let mut rest = key;
    rest.modifiers.remove(KeyModifiers::ALT);
    vec![esc, rest]
}

/// The whole state of the console.
pub struct App {
    pub mode: Mode,
    access: Option<WriteAccess>,
    pub focus: PaneId,
    pub zoomed: bool,
    /// The pane a link (a failure's queue entry, its sender, a message's log history) was
    /// followed from: Esc goes back there, as it does in a browser, until focus moves by hand.
    came_from: Option<PaneId>,
    pub overlay: Option<Overlay>,
    pub notice: Option<String>,
    /// Ticks (seconds) the notice has been shown: it goes after [`NOTICE_TICKS`], so that a
    /// monitor left alone shows the sources' freshness again.
    notice_ticks: u32,
    /// Ticks (seconds) since the last key: a help box left open on a read-only monitor closes
    /// after [`HELP_IDLE_TICKS`].
    idle_ticks: u32,
    pub now: DateTime<Local>,
    /// When the console started: data read on an interval and never read yet is as old as it.
    started: DateTime<Local>,
    pub shared: Shared,
    pub queue: QueuePane,
    pub failures: FailuresPane,
    pub senders: SendersPane,
    pub deploy: DeployPane,
    pub probe: ProbePane,
    pub demo: bool,
    pub config_origin: String,
    pub quit: bool,
    /// How far help can scroll on the screen it was last drawn on (the view sets it: only it
    /// knows the size); keys stop there.
    pub help_max: std::cell::Cell<u16>,
    /// Each pane's error count as last seen, and when each rise of it was seen (with how much
    /// it rose), for [`App::recent_errors`].
    errors_seen: [u64; 5],
    error_times: [std::collections::VecDeque<(DateTime<Local>, u64)>; 5],
}

/// Run `$body` with `$p` bound to the pane `$id` and `$cx` to its context.
macro_rules! with_pane {
    ($app:expr, $id:expr, |$p:ident, $cx:ident| $body:expr) => {{
        let app = &mut *$app;
        #[allow(unused_mut)]
        let mut $cx = Cx {
            now: app.now,
            access: app.access.as_ref(),
            shared: &mut app.shared,
        };
        match $id {
            PaneId::Queue => {
                let $p = &mut app.queue;
                $body
            }
            PaneId::Failures => {
                let $p = &mut app.failures;
                $body
            }
            PaneId::Senders => {
                let $p = &mut app.senders;
                $body
            }
            PaneId::Deploy => {
                let $p = &mut app.deploy;
                $body
            }
            PaneId::Probe => {
                let $p = &mut app.probe;
                $body
            }
        }
    }};
}

/// Look a key up in a pane's table and run the action.
/// In read-only mode a key that would change the host is not dispatched; it leaves a notice that
/// says so, rather than doing nothing without a word.
fn pane_key<P: Pane>(
    p: &mut P,
    key: &KeyEvent,
    zoomed: bool,
    cx: &mut Cx<'_>,
) -> Option<Vec<Effect>> {
    let may_write = cx.access.is_some();
    // an action that changes the host acts on the pane's selection, which the overview's tile
    // does not show: the pane is opened first
    if may_write
        && !zoomed
        && let Some(b) = keymap::write_binding(p.bindings(), key.code, key.modifiers)
    {
        return Some(vec![Effect::notice(format!(
            "open the pane first (Enter): {} ({}) acts on what the tile does not show",
            keymap::keys_label(b),
            b.help
        ))]);
    }
    match keymap::lookup(p.bindings(), key.code, key.modifiers, may_write) {
        Some(action) if !zoomed && p.acts_on_selection(action) => {
            let b = p
                .bindings()
                .iter()
                .find(|b| b.keys.iter().any(|k| k.matches(key.code, key.modifiers)))?;
            Some(vec![Effect::notice(format!(
                "open the pane first (Enter): {} ({}) acts on what the tile does not show",
                keymap::keys_label(b),
                b.help
            ))])
        }
        Some(action) => Some(p.on_action(action, cx)),
        None if !may_write => {
            let b = keymap::write_binding(p.bindings(), key.code, key.modifiers)?;
            // what the key would do last: on a 60-column status bar it is the part cut
            Some(vec![Effect::notice(format!(
                "read-only: {} would change the host ({})",
                keymap::keys_label(b),
                b.help
            ))])
        }
        None => None,
    }
}

impl App {
    /// A fresh console for a configuration and mode.
    pub fn new(config: &Config, mode: Mode, now: DateTime<Local>, hostname: String) -> App {
        App {
            mode,
            access: WriteAccess::for_mode(mode),
            focus: PaneId::Queue,
            zoomed: false,
            came_from: None,
            overlay: None,
            notice: None,
            notice_ticks: 0,
            idle_ticks: 0,
            now,
            started: now,
            shared: Shared {
                hostname,
                several_instances: config.postfix.len() > 1,
                ..Shared::default()
            },
            queue: QueuePane::new(config),
            failures: FailuresPane::new(config),
            senders: SendersPane::new(config),
            deploy: DeployPane::new(config),
            probe: ProbePane::new(config),
            demo: config.demo,
            config_origin: config.origin.to_string(),
            quit: false,
            help_max: std::cell::Cell::new(u16::MAX),
            errors_seen: [0; 5],
            error_times: Default::default(),
        }
    }

    /// Errors a pane's sources reported in the last [`RECENT_ERRORS_SECS`].
    pub fn recent_errors(&self, id: PaneId) -> u64 {
        self.error_times[id.index()].iter().map(|(_, n)| n).sum()
    }

    /// Note the errors the panes counted since the last look, and forget those older than
    /// [`RECENT_ERRORS_SECS`] (and any stamped ahead of a clock set back since). True when
    /// what the status bar says of them changed.
    fn note_errors(&mut self, panes: &[PaneId]) -> bool {
        let mut changed = false;
        for &id in panes {
            let i = id.index();
            let now_count = self.health(id).errors;
            if now_count > self.errors_seen[i] {
                let rise = now_count - self.errors_seen[i];
                // one entry a minute at most: a source that fails anew every poll for days
                // keeps an hour's minutes, not every failure
                match self.error_times[i].back_mut() {
                    Some((at, n)) if (0..60).contains(&(self.now - *at).num_seconds()) => {
                        *n += rise
                    }
                    _ => self.error_times[i].push_back((self.now, rise)),
                }
                changed = true;
            }
            self.errors_seen[i] = now_count;
            let now = self.now;
            let before = self.error_times[i].len();
            self.error_times[i].retain(|(t, _)| {
                let age = (now - *t).num_seconds();
                (-60..RECENT_ERRORS_SECS).contains(&age)
            });
            changed |= self.error_times[i].len() != before;
        }
        changed
    }

    /// May this session change the host?
    pub fn may_write(&self) -> bool {
        self.access.is_some()
    }

    /// Health of a pane's sources, for the status bar: as the pane says it, and, when its data
    /// read on an interval is overdue and the pane says nothing wrong, that (its own words say
    /// more: why a read fails, which read hangs).
    pub fn health(&self, id: PaneId) -> SourceHealth {
        let mut health = match id {
            PaneId::Queue => self.queue.health(),
            PaneId::Failures => self.failures.health(),
            PaneId::Senders => self.senders.health(),
            PaneId::Deploy => self.deploy.health(),
            PaneId::Probe => self.probe.health(),
        };
        if health.problem.is_none() {
            health.problem = self.overdue(id).map(|o| o.to_string());
        }
        health
    }

    /// Why a pane's data read on an interval is overdue now, if it is (see
    /// [`freshness::overdue`]). Worked out from the clock each time it is drawn, never kept; the
    /// tick that makes it overdue draws the screen (see `App::overdue_at`).
    pub fn overdue(&self, id: PaneId) -> Option<freshness::Overdue> {
        self.overdue_at(id, self.now)
    }

    /// [`App::overdue`] at `at`. A read comes at any second, so data turns overdue at any
    /// second too, not with the minute: the tick it does asks for a redraw, or an idle wall
    /// would show the '!' only with the next minute's clock.
    fn overdue_at(&self, id: PaneId, at: DateTime<Local>) -> Option<freshness::Overdue> {
        let polled = match id {
            PaneId::Queue => self.queue.polled(),
            PaneId::Failures => self.failures.polled(),
            PaneId::Senders => self.senders.polled(),
            PaneId::Deploy => self.deploy.polled(),
            PaneId::Probe => self.probe.polled(),
        }?;
        freshness::overdue(polled, self.started, at)
    }

    /// The pure update.
    pub fn update(&mut self, msg: Msg) -> Outcome {
        let mut out = Outcome::default();
        match msg {
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    return out;
                }
                self.idle_ticks = 0;
                out.redraw = true;
                for key in split_meta(key) {
                    let effects = self.on_key(key, &mut out);
                    self.settle(effects, &mut out);
                }
            }
            Msg::Paste(text) => {
                out.redraw = true;
                self.on_paste(&text);
            }
            Msg::Resize(..) => out.redraw = true,
            Msg::Tick(now) => {
                let minute_changed =
                    now.minute() != self.now.minute() || now.hour() != self.now.hour();
                let was = self.now;
                self.now = now;
                // what a pane says of time passing ("running for 20 s")
                let clock_changed = PaneId::ALL
                    .iter()
                    .any(|id| with_pane!(self, *id, |p, _cx| p.clock_changed(was, now)));
                // data turning overdue (or, with the clock set back, current again)
                let overdue_changed = PaneId::ALL.into_iter().any(|id| {
                    self.overdue_at(id, was).is_some() != self.overdue_at(id, now).is_some()
                });
                // counted in ticks, not by the clock: a clock set back does not keep it for ever
                let mut notice_gone = false;
                if self.notice.is_some() {
                    self.notice_ticks += 1;
                    if self.notice_ticks >= NOTICE_TICKS {
                        self.notice = None;
                        notice_gone = true;
                    }
                }
                // a help box left open on a monitor gives the screen back to the panes
                self.idle_ticks = self.idle_ticks.saturating_add(1);
                let help_gone = self.mode == Mode::ReadOnly
                    && self.idle_ticks >= HELP_IDLE_TICKS
                    && matches!(self.overlay, Some(Overlay::Help { .. }));
                if help_gone {
                    self.overlay = None;
                }
                let mut effects = Vec::new();
                for id in PaneId::ALL {
                    effects.extend(with_pane!(self, id, |p, cx| p.on_tick(&mut cx)));
                }
                out.redraw = minute_changed
                    || clock_changed
                    || overdue_changed
                    || notice_gone
                    || help_gone
                    || !effects.is_empty();
                self.settle(effects, &mut out);
                out.redraw |= self.note_errors(&PaneId::ALL);
            }
            Msg::NotSuspended => {
                // how to leave before why: on a 60-column status bar the end is cut
                self.say(Clean::new(
                    "Ctrl-Z: no shell to go back to; q quits (started without job control, as \
                     by ssh host opsdeck or exec)",
                ));
                out.redraw = true;
            }
            Msg::Source(ev) => {
                let mut cx = Cx {
                    now: self.now,
                    access: self.access.as_ref(),
                    shared: &mut self.shared,
                };
                let (id, effects) = match ev {
                    SourceEvent::Queue(e) => (PaneId::Queue, self.queue.on_event(e, &mut cx)),
                    SourceEvent::Log(e) => (PaneId::Failures, self.failures.on_event(e, &mut cx)),
                    SourceEvent::Senders(e) => (PaneId::Senders, self.senders.on_event(e, &mut cx)),
                    SourceEvent::Deploy(e) => (PaneId::Deploy, self.deploy.on_event(e, &mut cx)),
                    SourceEvent::Probe(e) => (PaneId::Probe, self.probe.on_event(e, &mut cx)),
                };
                out.redraw = true;
                self.settle(effects, &mut out);
                // the pane the event was for (under a flood of log lines, one pane's look);
                // the tick looks at them all
                self.note_errors(&[id]);
            }
        }
        out
    }

    fn on_key(&mut self, key: KeyEvent, out: &mut Outcome) -> Vec<Effect> {
        // Ctrl-C always quits, whatever a pane binds and whatever overlay,
        // dialog or prompt is open (a confirm dialog is not confirmed).
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return Vec::new();
        }
        // Ctrl-L and Ctrl-Z too, leaving what is open as it is: a screen garbled over ssh while
        // a dialog asks for `y` is redrawn so that it can be read, and a prompt does not keep
        // the shell away.
        if key.modifiers == KeyModifiers::CONTROL && self.overlay.is_some() {
            match key.code {
                KeyCode::Char('l') => {
                    out.full_redraw = true;
                    return Vec::new();
                }
                KeyCode::Char('z') => {
                    out.suspend = true;
                    return Vec::new();
                }
                _ => {}
            }
        }
        if let Some(overlay) = self.overlay.take() {
            return self.on_overlay_key(overlay, key);
        }
        self.notice = None;
        if let Some(action) = keymap::lookup(GLOBAL, key.code, key.modifiers, self.may_write()) {
            return self.on_global(action, out);
        }
        let (focus, zoomed) = (self.focus, self.zoomed);
        with_pane!(self, focus, |p, cx| pane_key(p, &key, zoomed, &mut cx)).unwrap_or_default()
    }

    fn on_global(&mut self, action: GlobalAction, out: &mut Outcome) -> Vec<Effect> {
        match action {
            GlobalAction::Quit => {
                self.quit = true;
                Vec::new()
            }
            GlobalAction::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                Vec::new()
            }
            GlobalAction::NextPane => {
                self.focus = self.focus.next();
                self.came_from = None;
                Vec::new()
            }
            GlobalAction::PrevPane => {
                self.focus = self.focus.prev();
                self.came_from = None;
                Vec::new()
            }
            GlobalAction::Go(id) => {
                self.focus = id;
                self.came_from = None;
                self.zoomed = true;
                Vec::new()
            }
            GlobalAction::Enter => {
                if self.zoomed {
                    let focus = self.focus;
                    with_pane!(self, focus, |p, cx| p.on_enter(&mut cx))
                } else {
                    self.zoomed = true;
                    Vec::new()
                }
            }
            GlobalAction::Back => {
                let focus = self.focus;
                let handled = with_pane!(self, focus, |p, _cx| p.on_back());
                if let Some(origin) = self.came_from.take() {
                    // back where the link was followed, that pane as it was left
                    self.focus = origin;
                    self.zoomed = true;
                } else if !handled {
                    self.zoomed = false;
                }
                Vec::new()
            }
            // The overview's tiles show no pane's selection: there the list keys move between
            // the tiles (down the screen, as they are drawn), and a pane's list moves only
            // where it is in sight.
            GlobalAction::Nav(nav) if !self.zoomed => {
                let last = PaneId::ALL.len() - 1;
                let at = self.focus.index();
                let to = match nav {
                    Nav::Up => at.saturating_sub(1),
                    Nav::Down => (at + 1).min(last),
                    Nav::Top | Nav::PageUp => 0,
                    Nav::Bottom | Nav::PageDown => last,
                };
                if to != at {
                    self.focus = PaneId::ALL[to];
                    self.came_from = None;
                }
                Vec::new()
            }
            GlobalAction::Nav(nav) => {
                let focus = self.focus;
                with_pane!(self, focus, |p, cx| p.on_nav(nav, &mut cx))
            }
            GlobalAction::Filter => {
                let focus = self.focus;
                let text = with_pane!(self, focus, |p, _cx| p.filter().to_string());
                // the list filtered is the pane's, which the overview's tile does not show
                let opened = !self.zoomed;
                self.zoomed = true;
                self.overlay = Some(Overlay::Filter {
                    pane: focus,
                    text,
                    opened,
                });
                Vec::new()
            }
            GlobalAction::Redraw => {
                out.full_redraw = true;
                Vec::new()
            }
            GlobalAction::Suspend => {
                out.suspend = true;
                Vec::new()
            }
        }
    }

    fn on_overlay_key(&mut self, overlay: Overlay, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match overlay {
            Overlay::Help { scroll } => {
                let max = self.help_max.get();
                let scroll = match key.code {
                    KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
                    KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
                    KeyCode::PageDown => scroll.saturating_add(10),
                    KeyCode::Char('f') if ctrl => scroll.saturating_add(10),
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    KeyCode::Char('b') if ctrl => scroll.saturating_sub(10),
                    KeyCode::Char('g') | KeyCode::Home => 0,
                    KeyCode::Char('G') | KeyCode::End => max,
                    _ => return Vec::new(), // any other key closes help
                }
                .min(max);
                self.overlay = Some(Overlay::Help { scroll });
                Vec::new()
            }
            Overlay::Confirm(c) => match key.code {
                // Only a deliberate 'y' confirms: never Enter or Esc debris.
                KeyCode::Char('y') | KeyCode::Char('Y') if !ctrl => c.then,
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                    let mut said = Clean::new("cancelled: ");
                    said.push_clean(&c.title);
                    self.say(said);
                    Vec::new()
                }
                _ => {
                    self.overlay = Some(Overlay::Confirm(c));
                    Vec::new()
                }
            },
            Overlay::Prompt { prompt, mut text } => match key.code {
                KeyCode::Enter => {
                    let pane = prompt.pane;
                    let purpose = prompt.purpose;
                    with_pane!(self, pane, |p, cx| p.on_prompt(purpose, text, &mut cx))
                }
                KeyCode::Esc => Vec::new(),
                code => {
                    edit_line(&mut text, code, ctrl);
                    self.overlay = Some(Overlay::Prompt { prompt, text });
                    Vec::new()
                }
            },
            Overlay::Filter {
                pane,
                mut text,
                opened,
            } => match key.code {
                KeyCode::Enter => Vec::new(),
                KeyCode::Esc => {
                    with_pane!(self, pane, |p, cx| p.set_filter("", &mut cx));
                    if opened {
                        self.zoomed = false;
                    }
                    Vec::new()
                }
                code => {
                    edit_line(&mut text, code, ctrl);
                    let t = text.clone();
                    with_pane!(self, pane, |p, cx| p.set_filter(&t, &mut cx));
                    self.overlay = Some(Overlay::Filter { pane, text, opened });
                    Vec::new()
                }
            },
        }
    }

    /// Pasted text goes into the line being edited (a prompt, the filter), up to its first line
    /// break: the break is not Enter, so the text can be looked at before it is submitted.
    /// Anywhere else, and in a confirm dialog, it is not read at all: pasted into the wrong
    /// window, a text would otherwise act key by key.
    fn on_paste(&mut self, pasted: &str) {
        let line = pasted.split(['\r', '\n']).next().unwrap_or_default();
        let put = |text: &mut String| {
            for c in line.chars() {
                edit_line(text, KeyCode::Char(c), false);
            }
        };
        match &mut self.overlay {
            Some(Overlay::Prompt { text, .. }) => put(text),
            Some(Overlay::Filter { pane, text, .. }) => {
                put(text);
                let (pane, t) = (*pane, text.clone());
                with_pane!(self, pane, |p, cx| p.set_filter(&t, &mut cx));
            }
            Some(Overlay::Confirm(_)) => {}
            _ => self.say("paste ignored: a paste is never read as keys".into()),
        }
    }

    /// Settle the effects the app can handle itself; pass the rest on.
    fn settle(&mut self, effects: Vec<Effect>, out: &mut Outcome) {
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        let mut guard = 0;
        while let Some(e) = queue.pop_front() {
            guard += 1;
            if guard > 10_000 {
                break;
            }
            match e {
                Effect::Quit => self.quit = true,
                Effect::Focus(id) => {
                    self.focus = id;
                    self.zoomed = true;
                }
                Effect::Jump(jump) => self.jump(jump),
                Effect::Confirm(mut c) => {
                    // What the dialog says is clean already (escaped where it was put
                    // together): cut here, once for every pane, not escaped again.
                    c.title = c.title.cut(200);
                    c.lines = c.lines.into_iter().map(|l| l.cut(1000)).collect();
                    self.overlay = Some(Overlay::Confirm(c));
                }
                Effect::Prompt(mut p) => {
                    p.label = sanitize_capped(&p.label, 200);
                    let text = p.initial.clone();
                    self.overlay = Some(Overlay::Prompt { prompt: p, text });
                }
                Effect::Notice(s) => self.say(s),
                io => out.effects.push(io),
            }
        }
    }

    fn jump(&mut self, jump: Jump) {
        let target = jump.target();
        let found = with_pane!(self, target, |p, cx| p.on_jump(&jump, &mut cx));
        if found {
            if target != self.focus {
                self.came_from = Some(self.focus);
            }
            self.focus = target;
            self.zoomed = true;
        } else {
            let what = match &jump {
                Jump::QueueEntry(id) => format!("{id} is no longer in the queue"),
                Jump::LogHistory(id) => format!("no log history for {id}"),
                Jump::Sender(s) => format!("sender {s} not known"),
            };
            // the id and the address came from clean fields of the log and the queue
            self.say(Clean::joined(what));
        }
    }

    /// Effects as a pane's update returns them, settled as [`Self::update`] settles them (for a
    /// pane's tests that follow their notice to the status bar).
    #[cfg(test)]
    pub(crate) fn settle_effects(&mut self, effects: Vec<Effect>) -> Outcome {
        let mut out = Outcome::default();
        self.settle(effects, &mut out);
        out
    }

    /// Show a notice in the status bar (in place of the sources' ages) for a while.
    fn say(&mut self, text: Clean) {
        self.notice = Some(text.cut(200).into_string());
        self.notice_ticks = 0;
    }
}

/// Line editing for prompts and the filter: printable characters, Backspace,
/// Ctrl-U (clear), Ctrl-W (delete word).
fn edit_line(text: &mut String, code: KeyCode, ctrl: bool) {
    match code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
            let cut = text.rfind(' ').map_or(0, |i| i + 1);
            text.truncate(cut);
        }
        KeyCode::Char(c) if !ctrl && !c.is_control() && text.chars().count() < 512 => text.push(c),
        _ => {}
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod view_tests;
