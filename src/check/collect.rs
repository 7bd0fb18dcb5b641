//! Gathers the findings of every configured feature for `opsdeck check`.
//! Each feature reads its sources once, read-only.

use crate::check::Report;
use crate::config::Config;

/// Read every configured source once.
pub async fn collect(config: &Config) -> Report {
    let mut report = Report::default();
    crate::mail::queue::check::collect(config, chrono::Local::now().timestamp(), &mut report).await;
    crate::mail::senders::check::check(config, &mut report).await;
    report
}
