//! Proxy probe: what the balancer really forwards (filled by issue 7).
//!
//! Until then the pane says honestly that it is not configured.

use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::app::effect::{Effect, Runner};
use crate::app::pane::{Binding, Cx, Pane, SourceHealth, ViewCx};
use crate::config::Config;

/// The `[probe]` section of the configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {}

/// What this feature's sources report.
#[derive(Debug)]
pub enum ProbeEvent {}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum ProbeEffect {
    /// Probe every target again (also asked for after a deploy).
    RunAll,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeAction {}

/// The pane's state.
#[derive(Debug, Default)]
pub struct ProbePane {}

impl ProbePane {
    pub fn new(_config: &Config) -> ProbePane {
        ProbePane {}
    }
}

impl Pane for ProbePane {
    type Action = ProbeAction;
    type Event = ProbeEvent;

    fn bindings(&self) -> &'static [Binding<ProbeAction>] {
        &[]
    }

    fn on_action(&mut self, action: ProbeAction, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {}
    }

    fn on_event(&mut self, event: ProbeEvent, _cx: &mut Cx<'_>) -> Vec<Effect> {
        match event {}
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        crate::ui::widgets::not_configured(frame, area, "Probe", "No probe target yet.", cx);
    }

    fn health(&self) -> SourceHealth {
        SourceHealth::default()
    }
}

/// Start this feature's source tasks.
pub fn start(_runner: &Runner) {}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: ProbeEffect, _runner: &Runner) {
    match effect {
        ProbeEffect::RunAll => {}
    }
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start.
pub fn demo(_sandbox: &std::path::Path, _config: &mut Config) -> anyhow::Result<()> {
    Ok(())
}
