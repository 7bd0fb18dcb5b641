//! Delivery failures: the mail log followed live, every failure explained (filled by issue 3).
//!
//! Until then the pane says honestly that it is not configured.

pub mod classify;
pub mod model;
pub mod parse;
pub mod summary;

use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::app::effect::{Effect, Runner};
use crate::app::pane::{Binding, Cx, Pane, SourceHealth, ViewCx};
use crate::config::Config;

/// The `[mail_log]` section of the configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {}

/// What this feature's sources report.
#[derive(Debug)]
pub enum LogEvent {}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum LogEffect {
    /// Nothing yet.
    Noop,
}

/// The mail log model shared with other panes.
#[derive(Debug, Default)]
pub struct MailLog {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailuresAction {}

/// The pane's state.
#[derive(Debug, Default)]
pub struct FailuresPane {}

impl FailuresPane {
    pub fn new(_config: &Config) -> FailuresPane {
        FailuresPane {}
    }
}

impl Pane for FailuresPane {
    type Action = FailuresAction;
    type Event = LogEvent;

    fn bindings(&self) -> &'static [Binding<FailuresAction>] {
        &[]
    }

    fn on_action(&mut self, action: FailuresAction, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {}
    }

    fn on_event(&mut self, event: LogEvent, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match event {}
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        crate::ui::widgets::not_configured(frame, area, "Failures", "No mail log source yet.", cx);
    }

    fn health(&self) -> SourceHealth {
        SourceHealth::default()
    }
}

/// Start this feature's source tasks.
pub fn start(_runner: &Runner) {}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: LogEffect, _runner: &Runner) {
    match effect {
        LogEffect::Noop => {}
    }
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start.
pub fn demo(_sandbox: &std::path::Path, _config: &mut Config) -> anyhow::Result<()> {
    Ok(())
}
