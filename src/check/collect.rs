//! Gathers the findings of every configured feature for `opsdeck check`.
//! Each feature reads its sources once, read-only.

use crate::check::Report;
use crate::config::Config;

/// Read every configured source once. The areas are read side by side (their
/// blocking reads run on the blocking pool), so the check takes as long as
/// its slowest area rather than the sum of all; the findings keep the order
/// of the areas.
pub async fn collect(config: &Config) -> Report {
    let now = chrono::Local::now();
    let (mut queue, mut failures, mut senders, mut deploy, mut probe) = Default::default();
    tokio::join!(
        crate::mail::queue::check::collect(config, now.timestamp(), &mut queue),
        crate::mail::log::check::collect(config, now.fixed_offset(), &mut failures),
        crate::mail::senders::check::check(config, &mut senders),
        crate::deploy::check::collect(config, &mut deploy),
        crate::probe::check::collect(config, now.timestamp(), &mut probe),
    );
    let mut report = Report::default();
    for part in [queue, failures, senders, deploy, probe] {
        report.findings.extend(part.findings);
        report.metrics.extend(part.metrics);
    }
    report
}
