//! Models that more than one pane reads.
//!
//! The mail log model is fed by the Failures pane and read by the Queue pane
//! (a message's log history), the Senders pane (what each sender did) and the
//! test-mail trace. The queue model is fed by the Queue pane and read by the
//! Senders pane (envelope senders in the queue) and by links from Failures. The relay setup
//! is fed by the Senders pane and read by the Failures detail (a sender's route).

/// Models shared between panes.
#[derive(Debug, Default)]
pub struct Shared {
    pub mail_log: crate::mail::log::MailLog,
    pub queue: crate::mail::queue::QueueModel,
    /// This host's name, for local senders such as `root@<hostname>`.
    pub hostname: String,
    /// The relay setup as the Senders pane last read it (its Postfix instance's maps and
    /// settings), for the Failures detail to name a sender's route without reading it again.
    /// `None` until the Senders pane has read it.
    pub relay: Option<std::sync::Arc<crate::mail::senders::source::RelaySnapshot>>,
    /// More than one `[[postfix]]` instance is configured: the log may hold mail that went
    /// through another instance than the one the Senders pane reads.
    pub several_instances: bool,
}
