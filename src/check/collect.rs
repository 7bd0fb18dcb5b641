//! Gathers the findings of every configured feature for `opsdeck check`.
//! Each feature reads its sources once, read-only.

use crate::check::{Report, Status};
use crate::config::Config;

/// Read every configured source once. The areas are read side by side (their
/// blocking reads run on the blocking pool), so the check takes as long as
/// its slowest area rather than the sum of all; the findings keep the order
/// of the areas. The areas that read the mail log wait for Postfix's own log
/// file to be looked for when the configuration names none; the others do not.
pub async fn collect(config: &Config) -> Report {
    let now = chrono::Local::now();
    let (mut queue, mut failures, mut senders, mut deploy, mut probe): (
        Report,
        Report,
        Report,
        Report,
        Report,
    ) = Default::default();
    let mut logged = config.clone();
    let read_log = async {
        let cut = crate::mail::log::adopt_host_log_within(&mut logged).await;
        if let Some(cut) = cut {
            // the command's words are escaped already
            failures.finding_clean("failures", Status::Unknown, cut);
        }
        tokio::join!(
            crate::mail::log::check::collect(&logged, now.fixed_offset(), &mut failures),
            crate::mail::senders::check::check(&logged, &mut senders),
        );
    };
    tokio::join!(
        crate::mail::queue::check::collect(config, now.timestamp(), &mut queue),
        read_log,
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
