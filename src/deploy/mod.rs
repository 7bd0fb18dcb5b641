//! Deploy: the deploy checkout, journal and rollback (filled by issue 6).
//!
//! Until then the pane says honestly that it is not configured.

use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::app::effect::{Effect, Runner};
use crate::app::pane::{Binding, Cx, Pane, SourceHealth, ViewCx};
use crate::config::Config;

/// The `[[deploy]]` section of the configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {}

/// What this feature's sources report.
#[derive(Debug)]
pub enum DeployEvent {}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum DeployEffect {
    /// Nothing yet.
    Noop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeployAction {}

/// The pane's state.
#[derive(Debug, Default)]
pub struct DeployPane {}

impl DeployPane {
    pub fn new(_config: &Config) -> DeployPane {
        DeployPane {}
    }
}

impl Pane for DeployPane {
    type Action = DeployAction;
    type Event = DeployEvent;

    fn bindings(&self) -> &'static [Binding<DeployAction>] {
        &[]
    }

    fn on_action(&mut self, action: DeployAction, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {}
    }

    fn on_event(&mut self, event: DeployEvent, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match event {}
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        crate::ui::widgets::not_configured(frame, area, "Deploy", "No deploy target yet.", cx);
    }

    fn health(&self) -> SourceHealth {
        SourceHealth::default()
    }
}

/// Start this feature's source tasks.
pub fn start(_runner: &Runner) {}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: DeployEffect, _runner: &Runner) {
    match effect {
        DeployEffect::Noop => {}
    }
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start.
pub fn demo(_sandbox: &std::path::Path, _config: &mut Config) -> anyhow::Result<()> {
    Ok(())
}
