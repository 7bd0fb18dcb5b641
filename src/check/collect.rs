//! Gathers the findings of every configured feature for `opsdeck check`.
//! Each feature reads its sources once, read-only.

use crate::check::Report;
use crate::config::Config;

/// Read every configured source once.
pub async fn collect(config: &Config) -> Report {
    let now = chrono::Local::now();
    let mut report = Report::default();
    crate::mail::queue::check::collect(config, now.timestamp(), &mut report).await;
    crate::mail::log::check::collect(config, now.fixed_offset(), &mut report).await;
    crate::mail::senders::check::check(config, &mut report).await;
    crate::deploy::check::collect(config, &mut report).await;
    crate::probe::check::collect(config, now.timestamp(), &mut report).await;
    report
}
