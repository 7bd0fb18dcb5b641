//! The mail log model of a log's text, read by the same parser and model as the pane's.

use opsdeck::mail::log::model::{Limits, MailLog, Outcome};
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

/// The first outcome for recipient `to`; a missing one fails the test and shows the log.
pub fn outcome_for<'a>(model: &'a MailLog, to: &str, log: &str) -> &'a Outcome {
    model
        .outcomes()
        .iter()
        .find(|o| o.to.as_str() == to)
        .unwrap_or_else(|| panic!("no outcome for {to}:\n{log}"))
}
