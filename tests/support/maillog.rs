//! The mail log model of a log's text, read by the same parser and model as the pane's.

use opsdeck::mail::log::model::{Limits, MailLog};
use opsdeck::mail::log::parse::{YearGuess, parse_line};

/// Every Postfix line of `log` ingested, in order, with the pane's default limits.
pub fn model_of(log: &str) -> MailLog {
    let mut year = YearGuess::now();
    let mut model = MailLog::with_limits(Limits::default());
    for p in log.lines().filter_map(|line| parse_line(line, &mut year)) {
        model.ingest(p);
    }
    model
}
