//! Mail queue: the live Postfix queue, with safe actions.
//!
//! `postqueue -j` is read per configured Postfix instance on an interval and
//! at once after an action; the pane shows a table, qshape's age table,
//! deferred mail grouped by reason and a message's detail. Hold, release,
//! requeue, delete, force-expire, deliver now and flush go through a confirm
//! dialog, carry a `WriteAccess`, and pass queue ids on standard input; one that
//! hangs can be stopped (`x`), after a dialog too.
//!
//! Files: `id` (the queue id type), `parse` (`postqueue -j`), `model`
//! (shared model, qshape, reasons, filter, sort), `commands` (building and
//! running Postfix commands), `source` (the polling task and effect runs),
//! `pane` (state and update), `view` (drawing), `demo` (the demo queue),
//! `check` (the queue's part of `opsdeck check`), `error` (what goes wrong,
//! with the fix), `encoded_words` (RFC 2047 words in the headers shown).

pub mod check;
pub mod commands;
pub mod demo;
pub mod encoded_words;
pub mod error;
pub mod id;
pub mod model;
pub mod pane;
pub mod parse;
pub mod source;
#[cfg(test)]
pub(crate) mod testkit;
mod view;

use chrono::{DateTime, Local};
use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::access::WriteAccess;
use crate::app::effect::{Effect, Jump, Runner};
use crate::app::pane::{Binding, Cx, Key, Nav, Pane, Polled, SourceHealth, ViewCx};
use crate::config::Config;
use crate::sanitize::Clean;

pub use commands::{MailVersion, Outcome, Part, QueueOp, StopSwitch};
pub use error::QueueError;
pub use id::QueueId;
pub use model::QueueModel;
pub use pane::QueuePane;
pub use parse::{Parsed, QueueEntry, QueueName};

/// The `[queue]` section of the configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Seconds between two readings of the queue.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    /// Run this instead of `postqueue -j` to list the queue (its output must
    /// be `postqueue -j` JSON Lines), e.g. `["ssh", "mx1", "postqueue", "-j"]`.
    /// Run once, however many instances there are: see [`QueueConfig::listed_instances`].
    #[serde(default)]
    pub postqueue_command: Option<Vec<String>>,
    /// At most this many bytes of a message body are shown.
    #[serde(default = "default_body_max")]
    pub body_max_bytes: usize,
}

fn default_interval() -> u64 {
    5
}

fn default_body_max() -> usize {
    64 * 1024
}

impl QueueConfig {
    /// The command that lists the queue instead of the instances' own `postqueue -j`, if set.
    pub fn listing_command(&self) -> Option<&[String]> {
        self.postqueue_command.as_deref().filter(|c| !c.is_empty())
    }

    /// How many of the `instances` configured Postfix instances are listed, the first ones:
    /// every one, each with its own `postqueue -j`; or, with `postqueue_command`, the first
    /// alone. That command lists one queue whatever the instances (`ssh mx1 postqueue -j`),
    /// and run once per instance it showed every message once per instance. Its messages are
    /// the first instance's: an action on them runs that instance's commands, as its dialog
    /// says.
    pub fn listed_instances(&self, instances: usize) -> usize {
        if self.listing_command().is_some() {
            instances.min(1)
        } else {
            instances
        }
    }
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig {
            interval_secs: default_interval(),
            postqueue_command: None,
            body_max_bytes: default_body_max(),
        }
    }
}

/// Which action or flush a progress report or a result is of: numbered by the pane as it makes
/// the effect, one number for each instance an action or a flush runs on. Two actions may run on
/// one instance at once (the second confirmed while the first hangs): a result ends the record
/// of its own action, never the other's, and a stop stops the ones its dialog named.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ActionId(u64);

impl ActionId {
    /// The number after this one.
    pub fn next(self) -> ActionId {
        ActionId(self.0 + 1)
    }
}

/// What this feature's sources report.
#[derive(Debug)]
pub enum QueueEvent {
    /// One reading of one instance's queue, started at `at`.
    Listed {
        instance: usize,
        at: DateTime<Local>,
        result: Result<Parsed, QueueError>,
    },
    /// `postconf -h mail_version` of one instance.
    Version {
        instance: usize,
        result: Result<MailVersion, QueueError>,
    },
    /// An action on `of` messages has done `done` of them so far (sent as
    /// it starts, then now and then; the `Applied` report ends it).
    Progress {
        instance: usize,
        action: ActionId,
        op: QueueOp,
        done: usize,
        of: usize,
        /// The message, when the action is on one: its progress is no
        /// count ("0 of 1 done"), it is that message being acted on.
        one: Option<QueueId>,
        /// The command line it runs (its `command_prefix` in front), said when it takes
        /// long: a prefix of `ssh mx1` to a host that does not answer waits for ever.
        command: Clean,
        /// The switch this action carries, and no other: what a stop dialog that names it
        /// throws.
        stop: StopSwitch,
    },
    /// An action finished.
    Applied {
        instance: usize,
        action: ActionId,
        result: Result<Outcome, QueueError>,
    },
    /// A stop confirmed in its dialog (`y`) was run on `instance`: of what the dialog named,
    /// the ones that still ran and were told to stop (`stopped`), and the ones that had ended
    /// while the dialog was open (`ended`: nothing was thrown for them).
    StopRun {
        instance: usize,
        stopped: Vec<StopTarget>,
        ended: Vec<StopTarget>,
    },
    /// `postqueue -f` started, running `command` (its `command_prefix` in front).
    FlushStarted {
        instance: usize,
        action: ActionId,
        command: Clean,
        /// The switch this flush carries, and no other.
        stop: StopSwitch,
    },
    /// `postqueue -f` finished.
    Flushed {
        instance: usize,
        action: ActionId,
        result: Result<Vec<Clean>, QueueError>,
    },
    /// Headers or body of a message, sanitized, and whether it was cut.
    Loaded {
        instance: usize,
        id: QueueId,
        part: Part,
        result: Result<(Vec<Clean>, bool), QueueError>,
    },
}

/// One action or flush a stop dialog names: which it is, its command line as the dialog said
/// it, and the switch it carries.
#[derive(Clone, Debug)]
pub struct StopTarget {
    pub action: ActionId,
    pub command: Clean,
    pub stop: StopSwitch,
}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum QueueEffect {
    /// Read the queue again now.
    Refresh,
    /// Change messages of one instance; throwing `stop` stops its commands.
    Apply {
        instance: usize,
        /// Its reports and its result carry this.
        action: ActionId,
        op: QueueOp,
        ids: Vec<QueueId>,
        access: WriteAccess,
        stop: StopSwitch,
    },
    /// `postqueue -f` on one instance; throwing `stop` stops it.
    Flush {
        instance: usize,
        /// Its reports and its result carry this.
        action: ActionId,
        access: WriteAccess,
        stop: StopSwitch,
    },
    /// Stop the actions and flushes of `instance` a stop dialog named, those of them that
    /// still run: their commands are ended with everything they started, and each reports that
    /// it was stopped. One that ended while the dialog was open is left alone (nothing is
    /// thrown for it), and so is everything the dialog did not name, even one that started
    /// while it was open. [`QueueEvent::StopRun`] says which were stopped and which had ended.
    Stop {
        instance: usize,
        targets: Vec<StopTarget>,
        access: WriteAccess,
    },
    /// Load the headers or the body of a message.
    Load {
        instance: usize,
        id: QueueId,
        part: Part,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueAction {
    SortNext,
    SortReverse,
    CycleView,
    ShapeBy,
    QueueFilter,
    Tag,
    TagAll,
    ClearTags,
    Refresh,
    Body,
    History,
    Hold,
    Release,
    Requeue,
    Delete,
    Expire,
    DeliverNow,
    Flush,
    Stop,
}

const fn read(
    keys: &'static [Key],
    action: QueueAction,
    help: &'static str,
) -> Binding<QueueAction> {
    Binding {
        keys,
        action,
        help,
        writes: false,
    }
}

const fn write(
    keys: &'static [Key],
    action: QueueAction,
    help: &'static str,
) -> Binding<QueueAction> {
    Binding {
        keys,
        action,
        help,
        writes: true,
    }
}

static BINDINGS: &[Binding<QueueAction>] = &[
    read(
        &[Key::ch('v')],
        QueueAction::CycleView,
        "view: table / qshape / reasons",
    ),
    read(
        &[Key::ch('m')],
        QueueAction::ShapeBy,
        "qshape by recipient / sender domain",
    ),
    read(
        &[Key::ch('s')],
        QueueAction::SortNext,
        "sort by next column",
    ),
    read(&[Key::ch('S')], QueueAction::SortReverse, "reverse sort"),
    read(
        &[Key::ch('f')],
        QueueAction::QueueFilter,
        "show one queue (cycle)",
    ),
    read(&[Key::ch(' ')], QueueAction::Tag, "tag / untag message"),
    read(&[Key::ch('a')], QueueAction::TagAll, "tag all shown"),
    read(&[Key::ch('c')], QueueAction::ClearTags, "clear tags"),
    read(&[Key::ch('u')], QueueAction::Refresh, "read the queue now"),
    read(&[Key::ch('b')], QueueAction::Body, "load message body"),
    read(
        &[Key::ch('l')],
        QueueAction::History,
        "log history (Failures)",
    ),
    write(&[Key::ch('h')], QueueAction::Hold, "hold"),
    write(&[Key::ch('H')], QueueAction::Release, "release from hold"),
    write(&[Key::ch('r')], QueueAction::Requeue, "requeue (new id)"),
    write(&[Key::ch('D')], QueueAction::Delete, "delete"),
    write(&[Key::ch('e')], QueueAction::Expire, "force-expire (3.5+)"),
    write(&[Key::ch('i')], QueueAction::DeliverNow, "deliver now"),
    write(
        &[Key::ch('F')],
        QueueAction::Flush,
        "flush all (postqueue -f)",
    ),
    write(
        &[Key::ch('x')],
        QueueAction::Stop,
        "stop the running action or flush",
    ),
];

impl Pane for QueuePane {
    type Action = QueueAction;
    type Event = QueueEvent;

    fn bindings(&self) -> &'static [Binding<QueueAction>] {
        BINDINGS
    }

    fn on_action(&mut self, action: QueueAction, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.on_action_impl(action, cx)
    }

    fn on_event(&mut self, event: QueueEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.on_event_impl(event, cx)
    }

    fn on_nav(&mut self, nav: Nav, _cx: &mut Cx<'_>) -> Vec<Effect> {
        self.on_nav_impl(nav);
        Vec::new()
    }

    fn on_enter(&mut self, _cx: &mut Cx<'_>) -> Vec<Effect> {
        self.on_enter_impl()
    }

    fn on_back(&mut self) -> bool {
        self.on_back_impl()
    }

    fn set_filter(&mut self, text: &str, _cx: &mut Cx<'_>) {
        self.set_filter_impl(text);
    }

    fn filter_syntax(&self) -> [&'static str; 2] {
        [
            "from:TEXT to:DOMAIN queue:NAME reason:TEXT re:REGEX age>1h age<30m",
            "from: to: queue: reason: re: age>1h",
        ]
    }

    fn filter(&self) -> &str {
        self.filter_impl()
    }

    fn on_jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        self.on_jump_impl(jump, cx)
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.on_tick_impl(cx)
    }

    fn clock_changed(&self, was: DateTime<Local>, now: DateTime<Local>) -> bool {
        self.instances
            .iter()
            .any(|st| st.long_running(was) != st.long_running(now))
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        self.draw(frame, area, cx);
    }

    fn health(&self) -> SourceHealth {
        SourceHealth {
            last_update: self.instances.iter().filter_map(|s| s.updated).max(),
            errors: self.errors,
            problem: self.instances.iter().find_map(|s| {
                s.error
                    .as_ref()
                    .or(s.down.as_deref())
                    .map(|e| e.to_string())
            }),
        }
    }

    /// Each listed instance is read every `interval_secs`: the queue is as current as the
    /// instance read longest ago (one that hangs, beside one that answers, is still stuck).
    fn polled(&self) -> Option<Polled> {
        let listed = self
            .instances
            .get(..self.listed)
            .filter(|l| !l.is_empty())?;
        Some(Polled {
            every_secs: self.interval_secs,
            // `None`, never read, comes first
            last: listed.iter().map(|s| s.updated).min().flatten(),
        })
    }
}

/// Start this feature's source tasks: one poller per Postfix instance.
pub fn start(runner: &Runner) {
    source::start(runner);
}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: QueueEffect, runner: &Runner) {
    source::run(effect, runner);
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start. Returns the demo
/// queue's messages (the demo's mail log writes their lines).
pub fn demo(
    sandbox: &std::path::Path,
    config: &mut Config,
) -> anyhow::Result<Vec<parse::QueueEntry>> {
    demo::install(sandbox, config)
}
