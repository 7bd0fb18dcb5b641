//! What an update asks the world to do, and the channel back.
//!
//! `update` returns [`Effect`]s; the effect runner (`app::runner`) carries
//! them out off the event loop and reports results as [`SourceEvent`]s.
//! Effects that change a host carry a [`crate::access::WriteAccess`] inside
//! their feature's effect type.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::app::pane::PaneId;
use crate::config::Config;
use crate::sanitize::Clean;

/// A request from an update.
#[derive(Debug)]
pub enum Effect {
    /// Leave the console.
    Quit,
    /// Move focus to a pane (zoomed).
    Focus(PaneId),
    /// Show something in another pane.
    Jump(Jump),
    /// Ask the user to confirm before running `then`.
    Confirm(Confirm),
    /// Ask the user for a line of text; the answer goes to the pane's `on_prompt`.
    Prompt(Prompt),
    /// A short message in the status bar. It is [`Clean`]: outside text in it was escaped once,
    /// where the notice was put together, and the status bar draws it as it is (escaping it
    /// again would show each backslash of an escape doubled). [`Effect::notice`] makes one
    /// from text that is not clean yet.
    Notice(Clean),
    Queue(crate::mail::queue::QueueEffect),
    Log(crate::mail::log::LogEffect),
    Senders(crate::mail::senders::SendersEffect),
    Deploy(crate::deploy::DeployEffect),
    Probe(crate::probe::ProbeEffect),
}

impl Effect {
    /// A notice from opsdeck's own words and raw outside text (a command's stderr, a git
    /// message), escaped here, once. Text that holds a [`Clean`] is joined with
    /// [`Clean::push_clean`] (or, put together with `format!` from clean pieces and own words,
    /// made one with [`Clean::joined`]) and given to [`Effect::Notice`] as it is.
    pub fn notice(text: impl AsRef<str>) -> Effect {
        Effect::Notice(Clean::new(text.as_ref()))
    }
}

/// Cross-pane links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Jump {
    /// A queue entry by queue id (Queue pane).
    QueueEntry(String),
    /// A message's history by queue id (Failures pane).
    LogHistory(String),
    /// A sender address (Senders pane).
    Sender(String),
}

impl Jump {
    pub fn target(&self) -> PaneId {
        match self {
            Jump::QueueEntry(_) => PaneId::Queue,
            Jump::LogHistory(_) => PaneId::Failures,
            Jump::Sender(_) => PaneId::Senders,
        }
    }
}

/// A confirm dialog that says exactly what will happen.
#[derive(Debug)]
pub struct Confirm {
    /// Clean, as a notice is: outside text in the title and the lines was escaped once where
    /// they were put together, and the dialog draws them as they are (cut to its size).
    pub title: Clean,
    pub lines: Vec<Clean>,
    /// Run when the user presses `y`.
    pub then: Vec<Effect>,
}

/// A one-line text prompt.
#[derive(Debug)]
pub struct Prompt {
    pub pane: PaneId,
    /// Tells the pane which question was answered.
    pub purpose: &'static str,
    pub label: String,
    pub initial: String,
}

/// What sources and effect runs report to the loop.
#[derive(Debug)]
pub enum SourceEvent {
    Queue(crate::mail::queue::QueueEvent),
    Log(crate::mail::log::LogEvent),
    Senders(crate::mail::senders::SendersEvent),
    Deploy(crate::deploy::DeployEvent),
    Probe(crate::probe::ProbeEvent),
}

/// What a feature's source tasks and effect runs get: the way back to the
/// loop and the configuration.
#[derive(Clone)]
pub struct Runner {
    pub tx: mpsc::Sender<SourceEvent>,
    pub config: Arc<Config>,
}

impl Runner {
    /// Report to the loop; a closed loop (shutting down) is not an error.
    pub async fn send(&self, ev: SourceEvent) {
        let _ = self.tx.send(ev).await;
    }

    /// Report from blocking code (inside `spawn_blocking`).
    pub fn blocking_send(&self, ev: SourceEvent) {
        let _ = self.tx.blocking_send(ev);
    }
}

/// How many changes to a host are running that must not be cut half-way (a deploy or rollback:
/// the checkout, its hooks, the journal, the lock; the post-deploy command run alone).
static CHANGES_RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Held by a task carrying out such a change, from before it is spawned until it ends (on a
/// panic too): the process does not end under it (`q`, SIGTERM, a dropped ssh link), it waits.
#[derive(Debug)]
pub struct ChangeRunning(());

impl ChangeRunning {
    pub fn start() -> ChangeRunning {
        CHANGES_RUNNING.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ChangeRunning(())
    }
}

impl Drop for ChangeRunning {
    fn drop(&mut self) {
        CHANGES_RUNNING.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The changes running now (see [`ChangeRunning`]).
pub fn changes_running() -> usize {
    CHANGES_RUNNING.load(std::sync::atomic::Ordering::SeqCst)
}
