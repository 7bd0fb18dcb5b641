//! Postfix: the mail log (delivery failures), the queue and the senders.
//! Parsers and models here are pure; each pane's source task does the I/O.

pub mod log;
pub mod queue;
pub mod senders;
