//! The effect runner: hands each I/O effect to its feature, which spawns the
//! work off the loop and reports back through the channel. Nothing here
//! blocks; nothing here decides anything.

use crate::app::effect::{Effect, Runner};

/// Start every feature's source tasks.
pub fn start_sources(runner: &Runner) {
    crate::mail::log::start(runner);
    crate::mail::queue::start(runner);
    crate::mail::senders::start(runner);
    crate::deploy::start(runner);
    crate::probe::start(runner);
}

/// Carry out one effect.
pub fn run(effect: Effect, runner: &Runner) {
    match effect {
        Effect::Queue(e) => crate::mail::queue::run(e, runner),
        Effect::Log(e) => crate::mail::log::run(e, runner),
        Effect::Senders(e) => crate::mail::senders::run(e, runner),
        Effect::Deploy(e) => crate::deploy::run(e, runner),
        Effect::Probe(e) => crate::probe::run(e, runner),
        other => tracing::warn!(?other, "effect reached the runner unsettled"),
    }
}
