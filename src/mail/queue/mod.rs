//! Mail queue: the live Postfix queue, with safe actions (filled by issue 4).
//!
//! Until then the pane says honestly that it is not configured.

use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::app::effect::{Effect, Runner};
use crate::app::pane::{Binding, Cx, Pane, SourceHealth, ViewCx};
use crate::config::Config;

/// The `[queue]` section of the configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {}

/// What this feature's sources report.
#[derive(Debug)]
pub enum QueueEvent {}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum QueueEffect {
    /// Read the queue again now.
    Refresh,
}

/// The queue model shared with other panes.
#[derive(Debug, Default)]
pub struct QueueModel {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueAction {}

/// The pane's state.
#[derive(Debug, Default)]
pub struct QueuePane {}

impl QueuePane {
    pub fn new(_config: &Config) -> QueuePane {
        QueuePane {}
    }
}

impl Pane for QueuePane {
    type Action = QueueAction;
    type Event = QueueEvent;

    fn bindings(&self) -> &'static [Binding<QueueAction>] {
        &[]
    }

    fn on_action(&mut self, action: QueueAction, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {}
    }

    fn on_event(&mut self, event: QueueEvent, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match event {}
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        crate::ui::widgets::not_configured(
            frame,
            area,
            "Queue",
            "No Postfix queue source yet.",
            cx,
        );
    }

    fn health(&self) -> SourceHealth {
        SourceHealth::default()
    }
}

/// Start this feature's source tasks.
pub fn start(_runner: &Runner) {}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: QueueEffect, _runner: &Runner) {
    match effect {
        QueueEffect::Refresh => {}
    }
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start.
pub fn demo(_sandbox: &std::path::Path, _config: &mut Config) -> anyhow::Result<()> {
    Ok(())
}
