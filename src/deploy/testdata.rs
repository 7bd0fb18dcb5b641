//! Hand-made states for the pane and view tests: a checkout behind its
//! upstream, with hostile text where outside text enters, sanitized the
//! way the status reader does it. Test-only; touches nothing.

use chrono::{DateTime, Local, TimeZone};
use git2::Oid;

use crate::deploy::checkout::{Kind, Preview};
use crate::deploy::journal::{JournalEntry, JournalRecord};
use crate::deploy::lock::LockInfo;
use crate::deploy::status::{
    BehindBack, Change, CommitInfo, LogEntry, Owner, RepoStatus, Upstream,
};
use crate::sanitize::Clean;

pub fn now() -> DateTime<Local> {
    Local
        .with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
        .single()
        .unwrap()
}

pub fn oid(n: u8) -> Oid {
    Oid::from_bytes(&[n; 20]).unwrap()
}

pub fn commit(n: u8, subject: &str, author: &str, age_secs: i64) -> CommitInfo {
    let id = oid(n);
    CommitInfo {
        id,
        short: crate::deploy::status::short_id(id),
        subject: Clean::new(subject),
        author: Clean::new(author),
        time: now().timestamp() - age_secs,
    }
}

/// A journal entry's time as the writer's clock put it, `minutes` before [`now`]: in the
/// zone the tests run in, so what the pane makes of it does not depend on that zone.
fn journal_time(minutes: i64) -> String {
    (now() - chrono::Duration::minutes(minutes)).to_rfc3339()
}

fn journal(from: u8, to: u8, user: &str, result: &str, hook: &str, time: &str) -> JournalEntry {
    JournalEntry::from(JournalRecord {
        time: time.into(),
        user: user.into(),
        host: "web1".into(),
        kind: "deploy".into(),
        from: oid(from).to_string(),
        to: oid(to).to_string(),
        result: result.into(),
        hook: hook.into(),
    })
}

/// HEAD at 0x22, one new commit 0x33 upstream with a hostile subject.
pub fn status() -> RepoStatus {
    let head = commit(0x22, "Friendlier greeting", "Dana Deployer", 7_200);
    RepoStatus {
        workdir: "/var/www/site".into(),
        git_dir: "/var/www/site/.git".into(),
        head: Some(head.clone()),
        branch: None,
        describe: Some(Clean::new("v1.4-2-g2222222")),
        upstream: Some(Upstream {
            name: Clean::new("origin/main"),
            id: oid(0x33),
            ahead: 0,
            behind: 1,
        }),
        state: None,
        modified: 1,
        untracked: 1,
        changes: vec![
            Change {
                kind: 'M',
                path: Clean::new("index.html"),
            },
            Change {
                kind: '?',
                path: Clean::new("up\u{1b}[31mload\u{202e}gpj.php"),
            },
        ],
        log: vec![
            LogEntry {
                commit: commit(
                    0x33,
                    "Pricing \u{1b}]0;pwned\u{7} page\u{1b}[2J",
                    "Eve\u{1b}[5m",
                    1_800,
                ),
                is_head: false,
                deployed: false,
                taken_back: None,
            },
            LogEntry {
                commit: head,
                is_head: true,
                deployed: true,
                taken_back: None,
            },
            LogEntry {
                commit: commit(0x11, "About page", "Dana Deployer", 2 * 86_400),
                is_head: false,
                deployed: true,
                taken_back: None,
            },
        ],
        behind_back: BehindBack {
            asked: 1,
            ..BehindBack::default()
        },
        owner: Owner {
            tree_uid: 33,
            tree_user: Clean::new("www-data"),
            run_uid: 0,
            run_user: Clean::new("root"),
        },
        journal: vec![
            journal(
                0x11,
                0x22,
                "dana",
                "ok",
                "post-checkout: exit 0",
                &journal_time(120),
            ),
            journal(
                0x22,
                0x11,
                "root",
                "checkout: 2 conflicts",
                "none",
                &journal_time(90),
            ),
        ],
        journal_problem: None,
        journal_lines_bad: false,
        submodules_off: Vec::new(),
        lock: None,
        lock_stale: false,
        moved_outside: None,
        on_no_remote: false,
        stashes: 0,
        last_fetch: Some(now().timestamp() - 3 * 3600),
    }
}

pub fn lock(pid: u32) -> LockInfo {
    LockInfo {
        user: "alice".into(),
        host: "web1".into(),
        pid,
        time: "2026-11-27T11:58:00+00:00".into(),
        empty: None,
        unreadable: None,
        file: None,
    }
}

/// Deploying 0x33 over 0x22.
pub fn preview() -> Preview {
    let s = status();
    Preview {
        kind: Kind::Deploy,
        spec: Clean::new("origin/main"),
        from: s.head.clone(),
        to: s.log[0].commit.clone(),
        files: vec![
            Change {
                kind: 'A',
                path: Clean::new("pricing.html"),
            },
            Change {
                kind: 'M',
                path: Clean::new("evil\u{1b}[2Jname.css"),
            },
        ],
        files_total: 2,
        submodules: Vec::new(),
        stale_branch: None,
        new_commits: vec![s.log[0].commit.clone()],
        new_total: 1,
        deployed_before: Default::default(),
        new_asked: 1,
        newest_taken_back: None,
        dropped_commits: Vec::new(),
        dropped_total: 0,
        conflicts: Vec::new(),
        ignored_conflicts: Vec::new(),
        local_changes: 0,
        stash: Default::default(),
        stash_files: Vec::new(),
        stash_may_conflict: Vec::new(),
        state: None,
        lock: None,
        lock_stale: false,
        owner: s.owner.clone(),
        left_part_way: None,
        journal_seen: crate::deploy::journal::Seen::of(&s.journal, 1_000),
    }
}
