//! Models that more than one pane reads.
//!
//! The mail log model is fed by the Failures pane and read by the Queue pane
//! (a message's log history), the Senders pane (what each sender did) and the
//! test-mail trace. The queue model is fed by the Queue pane and read by the
//! Senders pane (envelope senders in the queue) and by links from Failures.

/// Models shared between panes.
#[derive(Debug, Default)]
pub struct Shared {
    pub mail_log: crate::mail::log::MailLog,
    pub queue: crate::mail::queue::QueueModel,
    /// This host's name, for local senders such as `root@<hostname>`.
    pub hostname: String,
}
