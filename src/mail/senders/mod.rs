//! Senders: relay routes, SES identities, test mail (filled by issue 5).
//!
//! Until then the pane says honestly that it is not configured.

use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::app::effect::{Effect, Runner};
use crate::app::pane::{Binding, Cx, Pane, SourceHealth, ViewCx};
use crate::config::Config;

/// The `[senders]` section of the configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SendersConfig {}

/// What this feature's sources report.
#[derive(Debug)]
pub enum SendersEvent {}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum SendersEffect {
    /// Nothing yet.
    Noop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendersAction {}

/// The pane's state.
#[derive(Debug, Default)]
pub struct SendersPane {}

impl SendersPane {
    pub fn new(_config: &Config) -> SendersPane {
        SendersPane {}
    }
}

impl Pane for SendersPane {
    type Action = SendersAction;
    type Event = SendersEvent;

    fn bindings(&self) -> &'static [Binding<SendersAction>] {
        &[]
    }

    fn on_action(&mut self, action: SendersAction, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {}
    }

    fn on_event(&mut self, event: SendersEvent, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match event {}
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        crate::ui::widgets::not_configured(
            frame,
            area,
            "Senders",
            "No relay map or SES account yet.",
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
pub fn run(effect: SendersEffect, _runner: &Runner) {
    match effect {
        SendersEffect::Noop => {}
    }
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start.
pub fn demo(_sandbox: &std::path::Path, _config: &mut Config) -> anyhow::Result<()> {
    Ok(())
}
