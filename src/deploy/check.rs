//! The deploy checkouts' part of `opsdeck check`: drift of every `[[deploy]]`
//! target (behind or ahead of its upstream as of the last fetch, local
//! modifications, submodules not at the recorded commit, an operation in
//! progress, the deploy lock, the last journal entry, a HEAD moved outside
//! opsdeck, a deployed commit on no remote branch), graded against the `[check]`
//! thresholds.
//!
//! Reads the repository with git2 off the async threads and never fetches:
//! a fetch writes refs, and `check` changes nothing. So "behind" is as of the
//! last fetch, and the finding says so.

use crate::check::{Metric, Report, Status};
use crate::config::Config;
use crate::sanitize::Clean;

use super::DeployConfig;
use super::status::{RepoStatus, read_status};

/// Add the findings and metrics of every deploy target, read side by side, each until the
/// check's limit for a local read from now. A read git2 is blocked in (a hung disk or network
/// file system) cannot be stopped: it is left behind, named, and the check does not wait for it.
pub async fn collect(config: &Config, report: &mut Report) {
    let limit = config.check.local_limit();
    let until = tokio::time::Instant::from_std(config.check.after_start(limit.0));
    let reads = config.deploy.iter().map(|target| {
        let cfg = target.clone();
        let read = tokio::task::spawn_blocking(move || read_status(&cfg));
        async move { (target, tokio::time::timeout_at(until, read).await) }
    });
    for (target, read) in futures_util::future::join_all(reads).await {
        let Ok(read) = read else {
            report.finding(
                "deploy",
                Status::Unknown,
                format!(
                    "{}: {}: a hung disk or network file system?",
                    target.name,
                    crate::check::no_answer("reading the work tree", limit)
                ),
            );
            continue;
        };
        match read {
            Ok(Ok(st)) => grade_target(config, target, &st, report),
            // named as the target's other findings are: its name first
            Ok(Err(e)) => {
                report.finding("deploy", Status::Unknown, format!("{}: {e}", target.name))
            }
            Err(e) => report.finding(
                "deploy",
                Status::Unknown,
                format!("{}: reading the repository: {e}", target.name),
            ),
        }
    }
}

/// The finding and metrics of one target's status (pure).
pub fn grade_target(config: &Config, target: &DeployConfig, st: &RepoStatus, report: &mut Report) {
    let name = target.name.as_str();
    let mut status = Status::Ok;
    let mut problems: Vec<String> = Vec::new();
    let mut worse = |s: Status, text: String| {
        status = Status::worst(status, s);
        problems.push(text);
    };

    let at = match (&st.head, &st.branch) {
        (None, _) => "no commit checked out".to_string(),
        (Some(h), Some(b)) => format!("{} on {}", h.short, b.as_str()),
        (Some(h), None) => format!("{} (detached)", h.short),
    };
    if let Some(op) = st.state {
        worse(
            Status::Critical,
            format!("a {op} is in progress in the work tree: finish or abort it"),
        );
    }
    match &st.upstream {
        None => worse(
            Status::Warning,
            format!(
                "no upstream {}/{}: fetch once or fix remote/branch in [[deploy]]",
                Clean::new(&target.remote),
                Clean::new(&target.branch)
            ),
        ),
        Some(u) => {
            if u.behind as u64 >= config.check.behind_warn.max(1) {
                worse(
                    Status::Warning,
                    format!(
                        "{} commit(s) behind {} as of the last fetch{}",
                        u.behind,
                        u.name.as_str(),
                        st.taken_back()
                            .map(|said| format!(" ({said})"))
                            .unwrap_or_default()
                    ),
                );
            }
            if u.ahead > 0 {
                worse(
                    Status::Warning,
                    format!("{} deployed commit(s) not on {}", u.ahead, u.name.as_str()),
                );
            }
        }
    }
    if st.on_no_remote {
        worse(
            Status::Warning,
            "HEAD is on no remote branch as of the last fetch: a local commit never pushed, or \
             force-pushed away; what runs here is in no shared repository"
                .to_string(),
        );
    }
    if st.modified > 0 {
        worse(
            Status::Warning,
            format!(
                "{} local modification(s) in the work tree: a deploy that changes one of those files asks to stash them first",
                st.modified
            ),
        );
    }
    if !st.submodules_off.is_empty() {
        worse(
            Status::Warning,
            format!(
                "submodule(s) not at the commit the checkout records: {} (git submodule update)",
                st.submodules_off
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if let Some(lock) = &st.lock {
        let holder = lock.holder();
        if st.lock_stale {
            worse(
                Status::Warning,
                format!(
                    "stale deploy lock ({}): {}",
                    if lock.empty.is_some() {
                        "left empty"
                    } else {
                        "its process is gone"
                    },
                    holder.as_str()
                ),
            );
        } else {
            worse(
                Status::Warning,
                format!("deploy lock held by {}", holder.as_str()),
            );
        }
    }
    if let Some(m) = &st.moved_outside {
        worse(
            Status::Warning,
            format!(
                "HEAD moved outside opsdeck{}{}: the last deploy in the journal left {}",
                m.by.as_ref()
                    .map(|b| format!(" by {}", b.as_str()))
                    .unwrap_or_default(),
                m.time
                    .map(|t| format!(" {}", super::view::ago(chrono::Local::now(), t)))
                    .unwrap_or_default(),
                m.left
            ),
        );
    }
    if let Some(p) = &st.journal_problem {
        // lines that are no record leave the rest read: what it says is known
        let s = if st.journal_lines_bad {
            Status::Warning
        } else {
            Status::Unknown
        };
        worse(s, format!("deploy journal: {}", p.as_str()));
    }
    if let Some(last) = st.journal.last()
        && !last.ok()
    {
        worse(
            Status::Warning,
            format!(
                "last {} at {} failed: {}",
                last.kind.as_str(),
                last.time.as_str(),
                last.result.as_str()
            ),
        );
    }

    // the repository's words (branch, lock holder, journal) are clean already: escaped again,
    // each escape's backslash would show doubled
    let name = Clean::new(name);
    let summary = if problems.is_empty() {
        match &st.upstream {
            Some(u) => format!(
                "{name}: {at}, up to date with {} ({})",
                u.name.as_str(),
                match st.last_fetch {
                    Some(t) => format!("as fetched {}", super::view::ago(chrono::Local::now(), t)),
                    None => "never fetched".into(),
                }
            ),
            None => format!("{name}: {at}"),
        }
    } else {
        format!("{name}: {at}; {}", problems.join("; "))
    };
    report.finding_clean("deploy", status, summary);

    let m = |metric: &str, help: &str, v: f64| {
        Metric::new(metric, help, v).label("target", &target.name)
    };
    if let Some(u) = &st.upstream {
        let mut behind = m(
            "deploy_behind_commits",
            "Commits the deployed revision is behind its upstream (as of the last fetch).",
            u.behind as f64,
        );
        behind.warn = Some(config.check.behind_warn.max(1) as f64);
        report.metric(behind);
        report.metric(m(
            "deploy_ahead_commits",
            "Deployed commits that are not on the upstream.",
            u.ahead as f64,
        ));
    }
    report.metric(m(
        "deploy_local_changes",
        "Modified tracked files in the deploy work tree.",
        st.modified as f64,
    ));
    report.metric(m(
        "deploy_untracked_files",
        "Untracked files in the deploy work tree.",
        st.untracked as f64,
    ));
    report.metric(m(
        "deploy_lock_held",
        "1 when a deploy lock exists (stale or not).",
        if st.lock.is_some() { 1.0 } else { 0.0 },
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::testdata;

    fn graded(st: &RepoStatus) -> Report {
        let config = Config::default();
        let mut r = Report::default();
        grade_target(&config, &DeployConfig::default(), st, &mut r);
        r
    }

    /// The test status with nothing to say: no operation in progress, no modified file, at its
    /// upstream.
    fn quiet() -> RepoStatus {
        let mut st = testdata::status();
        st.state = None;
        st.modified = 0;
        if let Some(u) = st.upstream.as_mut() {
            u.ahead = 0;
            u.behind = 0;
        }
        st
    }

    /// A target whose checkout cannot be read is named first, as its other findings are, the
    /// path in the words after it.
    #[tokio::test]
    async fn a_checkout_that_cannot_be_read_is_named_by_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nothere");
        let config = Config::parse(
            &format!(
                "[[deploy]]\nname = \"missing\"\npath = \"{}\"\n",
                path.display()
            ),
            std::path::Path::new("c.toml"),
        )
        .unwrap();
        let mut report = Report::default();
        collect(&config, &mut report).await;
        let f = report.findings.iter().find(|f| f.area == "deploy").unwrap();
        assert_eq!(f.status, Status::Unknown);
        assert!(
            f.summary
                .starts_with(&format!("missing: {}: ", path.display())),
            "{}",
            f.summary
        );
    }

    #[test]
    fn a_clean_checkout_at_its_upstream_is_ok() {
        let mut st = quiet();
        st.lock = None;
        st.journal_problem = None;
        st.journal.clear();
        // as of the last fetch, which check does not make: how old that is is said
        st.last_fetch = Some(chrono::Local::now().timestamp() - 2 * 86_400);
        let r = graded(&st);
        assert_eq!(r.findings[0].status, Status::Ok, "{:?}", r.findings);
        assert!(
            r.findings[0]
                .summary
                .contains("up to date with origin/main (as fetched 2d ago)"),
            "{}",
            r.findings[0].summary
        );
        st.last_fetch = None;
        let r = graded(&st);
        assert!(
            r.findings[0]
                .summary
                .ends_with("up to date with origin/main (never fetched)"),
            "{}",
            r.findings[0].summary
        );
    }

    /// A branch name with a bidi override in it (git allows one) reads as in the pane: its
    /// escape once, not with its backslash doubled as if one had been in the name.
    #[test]
    fn a_branch_name_is_escaped_once() {
        let mut st = quiet();
        st.branch = Some(Clean::new("ma\u{202e}in"));
        st.lock = None;
        st.journal.clear();
        let r = graded(&st);
        assert!(
            r.findings[0]
                .summary
                .contains(" on ma\\u{202e}in, up to date"),
            "{}",
            r.findings[0].summary
        );
    }

    #[test]
    fn a_submodule_not_at_the_recorded_commit_is_a_warning() {
        let mut st = quiet();
        st.lock = None;
        st.journal.clear();
        st.submodules_off = vec![
            crate::sanitize::Clean::new("lib"),
            crate::sanitize::Clean::new("vendor/theme (not checked out)"),
        ];
        let r = graded(&st);
        assert_eq!(r.findings[0].status, Status::Warning);
        assert!(
            r.findings[0].summary.contains(
                "submodule(s) not at the commit the checkout records: lib, vendor/theme (not checked out) (git submodule update)"
            ),
            "{}",
            r.findings[0].summary
        );
    }

    #[test]
    fn a_head_moved_outside_opsdeck_is_a_warning_that_names_who() {
        let mut st = quiet();
        st.journal.truncate(1);
        assert_eq!(graded(&st).findings[0].status, Status::Ok);
        st.moved_outside = Some(crate::deploy::status::MovedOutside {
            left: "2222222".into(),
            by: Some(crate::sanitize::Clean::new("Hand Fixer")),
            time: Some(chrono::Local::now().timestamp() - 600),
            what: None,
        });
        let r = graded(&st);
        assert_eq!(r.findings[0].status, Status::Warning);
        assert!(
            r.findings[0].summary.contains(
                "HEAD moved outside opsdeck by Hand Fixer 10m ago: the last deploy in the journal left 2222222"
            ),
            "{}",
            r.findings[0].summary
        );
    }

    #[test]
    fn a_head_on_no_remote_branch_is_a_warning() {
        let mut st = quiet();
        st.lock = None;
        st.journal.clear();
        assert_eq!(graded(&st).findings[0].status, Status::Ok);
        st.on_no_remote = true;
        let r = graded(&st);
        assert_eq!(r.findings[0].status, Status::Warning);
        assert!(
            r.findings[0].summary.contains(
                "HEAD is on no remote branch as of the last fetch: a local commit never pushed, or force-pushed away; what runs here is in no shared repository"
            ),
            "{}",
            r.findings[0].summary
        );
    }

    #[test]
    fn drift_lock_and_an_operation_in_progress_are_named() {
        let mut st = testdata::status();
        st.state = Some("merge");
        st.modified = 2;
        st.lock = Some(testdata::lock(4242));
        st.lock_stale = false;
        if let Some(u) = st.upstream.as_mut() {
            u.behind = 3;
            u.ahead = 0;
        }
        let r = graded(&st);
        let f = &r.findings[0];
        assert_eq!(f.status, Status::Critical);
        for part in [
            "a merge is in progress",
            "3 commit(s) behind origin/main as of the last fetch",
            "2 local modification(s)",
            "deploy lock held by ",
            "pid 4242",
        ] {
            assert!(f.summary.contains(part), "{part:?} missing: {}", f.summary);
        }
        // commits rolled back are behind too: said, so that the warning is not read as news
        let rolled_back = Some(crate::deploy::status::TakenBack::Journal {
            kind: crate::sanitize::Clean::new("rollback"),
            user: crate::sanitize::Clean::new("dana"),
            host: crate::sanitize::Clean::new("web1"),
            time: crate::sanitize::Clean::new("2026-11-27T11:00:00+00:00"),
        });
        let mut back = st.clone();
        back.log[0].taken_back = rolled_back.clone();
        back.behind_back.rolled_back = 1;
        if let Some(u) = back.upstream.as_mut() {
            u.behind = 1;
        }
        let said = graded(&back).findings[0].summary.clone();
        assert!(
            said.contains("1 commit(s) behind origin/main as of the last fetch (1 rolled back)"),
            "{said}"
        );
        // counted over every commit behind, listed or not, as the deploy confirm counts them
        back.log = (0..50u8)
            .map(|i| crate::deploy::status::LogEntry {
                commit: testdata::commit(0x40 + i, "Rolled back", "Dev", 60),
                is_head: false,
                deployed: false,
                taken_back: rolled_back.clone(),
            })
            .collect();
        back.behind_back = crate::deploy::status::BehindBack {
            asked: 120,
            rolled_back: 70,
            taken_back: 0,
        };
        if let Some(u) = back.upstream.as_mut() {
            u.behind = 120;
        }
        let said = graded(&back).findings[0].summary.clone();
        assert!(
            said.contains("120 commit(s) behind origin/main as of the last fetch (70 rolled back)"),
            "{said}"
        );
        // past the commits asked about: said so
        back.behind_back.asked = 2000;
        if let Some(u) = back.upstream.as_mut() {
            u.behind = 2500;
        }
        let said = graded(&back).findings[0].summary.clone();
        assert!(
            said.contains(
                "2500 commit(s) behind origin/main as of the last fetch (70 of the newest 2000 \
                 rolled back)"
            ),
            "{said}"
        );
        let behind = r
            .metrics
            .iter()
            .find(|m| m.name == "deploy_behind_commits")
            .unwrap();
        assert_eq!(behind.value, 3.0);
        assert_eq!(behind.warn, Some(1.0));
    }
}
