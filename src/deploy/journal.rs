//! The deploy journal: one JSON object per line in the repository's git
//! directory (`opsdeck-deploy.jsonl`), appended after every deploy or rollback
//! that changed the work tree (one that stopped part-way too, as failed).
//!
//! It is the memory that rollback uses. Appending is one `write` of one
//! line on a file opened with O_APPEND, so concurrent writers do not
//! interleave; a line left unfinished (a full disk, a crash) is ended first,
//! so it cannot swallow the next record. Reading never fails on one bad
//! line: the good lines are kept and the bad ones counted and reported.
//! Nothing here touches the work tree.

use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Local};
use serde::{Deserialize, Serialize};

use crate::deploy::error::DeployError;
use crate::sanitize::Clean;

/// The journal's file name inside the git directory.
pub const FILE_NAME: &str = "opsdeck-deploy.jsonl";
/// How many entries the pane keeps (the newest).
pub const MAX_ENTRIES: usize = 200;
/// The kind of an entry that put back what a checkout stopped part-way left, HEAD unmoved:
/// neither a deploy a rollback undoes nor a rollback.
pub const RESTORE: &str = "restore";

/// One line as written.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct JournalRecord {
    /// RFC 3339.
    pub time: String,
    pub user: String,
    pub host: String,
    /// "deploy" or "rollback".
    pub kind: String,
    /// Full object ids; `from` is empty on an unborn HEAD.
    pub from: String,
    pub to: String,
    /// "ok" or what failed.
    pub result: String,
    /// "none", "exit 0", "exit 3", "timeout after 10s", ... (post-checkout; post-deploy).
    pub hook: String,
}

/// One line as shown: every field sanitized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    pub time: Clean,
    pub user: Clean,
    pub host: Clean,
    pub kind: Clean,
    pub from: String,
    pub to: String,
    pub result: Clean,
    pub hook: Clean,
}

impl JournalEntry {
    pub fn ok(&self) -> bool {
        self.result.as_str() == "ok"
    }

    /// When, as the journal wrote it: RFC 3339 in the zone of whoever deployed.
    pub fn at(&self) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(self.time.as_str()).ok()
    }

    /// When, in local time to the minute: see [`local_time`].
    pub fn local_time(&self) -> String {
        local_time(&self.time)
    }

    /// The time as written, to the minute.
    pub fn time_as_written(&self) -> String {
        as_written(&self.time)
    }
}

/// A journal time in local time to the minute ("2026-11-27 11:30"), as the pane dates a
/// commit: the journal writes RFC 3339 in the zone of whoever deployed, and a deploy from a
/// machine in another zone read hours off beside the rest. A time that is not RFC 3339 (a line
/// written by hand) is shown as written, to the minute.
pub fn local_time(time: &str) -> String {
    match DateTime::parse_from_rfc3339(time) {
        Ok(t) => t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => as_written(time),
    }
}

fn as_written(time: &str) -> String {
    time.get(..16).unwrap_or(time).replace('T', " ")
}

fn hex_or_empty(s: &str) -> String {
    if s.len() <= 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        s.to_string()
    } else {
        String::new()
    }
}

impl From<JournalRecord> for JournalEntry {
    fn from(r: JournalRecord) -> JournalEntry {
        JournalEntry {
            time: Clean::capped(&r.time, 40),
            user: Clean::capped(&r.user, 40),
            host: Clean::capped(&r.host, 80),
            kind: Clean::capped(&r.kind, 20),
            from: hex_or_empty(&r.from),
            to: hex_or_empty(&r.to),
            result: Clean::capped(&r.result, 300),
            hook: Clean::capped(&r.hook, 120),
        }
    }
}

pub fn path_in(git_dir: &Path) -> PathBuf {
    git_dir.join(FILE_NAME)
}

/// Append one record.
pub fn append(
    git_dir: &Path,
    rec: &JournalRecord,
    _access: &crate::access::WriteAccess,
) -> Result<(), DeployError> {
    let p = path_in(git_dir);
    let mut line = serde_json::to_string(rec).map_err(|e| DeployError::Io {
        path: p.clone(),
        message: e.to_string(),
    })?;
    line.push('\n');
    let mut f = open_plain(&p, true).map_err(|e| crate::deploy::lock::guard_error(&p, e))?;
    // Under a umask of 077 the journal would be made 0600, and every other deployer would lose
    // the rollback target and the check for HEAD moved outside opsdeck. A mode that cannot be
    // changed is left: the others' panes say they cannot read the journal.
    let _ = crate::deploy::lock::make_readable_if_ours(&f);
    // A last line without its newline (the write before was cut short)
    // would run into this record and take it down with it.
    let len = f.metadata().map_err(|e| DeployError::io(&p, e))?.len();
    let mut last = [b'\n'];
    if len > 0 {
        f.read_exact_at(&mut last, len - 1)
            .map_err(|e| DeployError::io(&p, e))?;
    }
    if last[0] != b'\n' {
        line.insert(0, '\n');
    }
    f.write_all(line.as_bytes())
        .map_err(|e| DeployError::io(&p, e))
}

/// Open the journal at `p` (created and appended to when `append`), never through a symbolic
/// link, and only when it is a plain file: whoever may write the git directory could put a link
/// there to a file of the deployer's (root's `/etc/crontab`), which a deploy would append a line
/// to, or a FIFO, which would hang the read (`O_NONBLOCK` opens it at once).
fn open_plain(p: &Path, append: bool) -> std::io::Result<std::fs::File> {
    crate::plainfile::open_no_link(
        p,
        std::fs::OpenOptions::new()
            .read(true)
            .create(append)
            .append(append),
    )
    .map_err(|e| {
        if crate::plainfile::is_not_plain(&e) {
            std::io::Error::other(
                "not a plain file: opsdeck keeps its journal in one, and left this alone",
            )
        } else {
            e
        }
    })
}

/// Parse a journal's text: entries oldest first, and the numbers of the
/// lines that could not be read.
pub fn parse(text: &str) -> (Vec<JournalEntry>, Vec<usize>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JournalRecord>(line) {
            Ok(r) => out.push(JournalEntry::from(r)),
            Err(_) => bad.push(i + 1),
        }
    }
    if out.len() > MAX_ENTRIES {
        out.drain(..out.len() - MAX_ENTRIES);
    }
    (out, bad)
}

/// Read the journal (missing file: empty): the entries that could be read,
/// and what was wrong, if anything (the file unreadable, or lines that are
/// not records, named). One bad line never hides the good ones: rollback
/// still finds its way back.
pub fn read(git_dir: &Path) -> (Vec<JournalEntry>, Option<DeployError>) {
    let (entries, problem, _) = read_sized(git_dir);
    (entries, problem)
}

/// [`read`], and the size of the file read (0 when there is none): what [`Seen`] pins.
pub fn read_sized(git_dir: &Path) -> (Vec<JournalEntry>, Option<DeployError>, u64) {
    let p = path_in(git_dir);
    let read = open_plain(&p, false).and_then(|mut f| {
        let mut b = Vec::new();
        f.read_to_end(&mut b).map(|_| b)
    });
    let (text, size) = match read {
        Ok(b) => (String::from_utf8_lossy(&b).into_owned(), b.len() as u64),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), None, 0),
        Err(e) => {
            let e = crate::deploy::lock::guard_error(&p, e);
            return (Vec::new(), Some(e), 0);
        }
    };
    let (entries, bad) = parse(&text);
    let problem = (!bad.is_empty()).then(|| DeployError::JournalLines {
        path: p,
        bad: bad.len(),
        first: bad[0],
        read: entries.len(),
    });
    (entries, problem, size)
}

/// Where rollback goes: replaying the journal, each successful deploy
/// remembers where it came from and each successful rollback forgets the
/// newest such memory; rollback goes to the one left on top. So two
/// rollbacks in a row go two deploys back instead of undoing each other.
pub fn rollback_target(entries: &[JournalEntry]) -> Option<&JournalEntry> {
    let mut stack: Vec<&JournalEntry> = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e.ok() && e.kind.as_str() != RESTORE)
    {
        if e.kind.as_str() == "rollback" {
            stack.pop();
        } else if !e.from.is_empty() {
            stack.push(e);
        }
    }
    stack.pop()
}

/// The journal as a rollback's dialog showed it: the deploy the rollback undoes, the newest
/// entry, and the file's size. The rollback goes ahead only if the journal, read again under
/// the deploy lock, is still that: a deploy or rollback by another console since would
/// otherwise be undone, or the rollback go somewhere its dialog did not say. (The size tells
/// apart a deploy made again within the second, which reads word for word as the one before.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub undoes: Option<JournalEntry>,
    pub newest: Option<JournalEntry>,
    pub size: u64,
}

impl Seen {
    /// The journal of `entries`, read from a file of `size` bytes.
    pub fn of(entries: &[JournalEntry], size: u64) -> Seen {
        Seen {
            undoes: rollback_target(entries).cloned(),
            newest: entries.last().cloned(),
            size,
        }
    }

    /// Where a rollback goes by this journal, in words: "a rollback now goes to 1111111,
    /// undoing the deploy by alice@web1, 2026-12-06 21:40", or that nothing is left.
    pub fn goes_to(&self) -> String {
        match &self.undoes {
            Some(e) => format!(
                "a rollback now goes to {}, undoing the {} by {}@{}, {}",
                e.from.get(..7).unwrap_or(&e.from),
                e.kind,
                e.user,
                e.host,
                e.local_time()
            ),
            None => "nothing is left to roll back".into(),
        }
    }

    /// What the journal says now, when it is not what it was when `self` was read, in words:
    /// its newest entry, and where a rollback goes by it. None when it is the same.
    pub fn changed(&self, now: &Seen) -> Option<(String, String)> {
        if now == self {
            return None;
        }
        let short = |x: &str| x.get(..7).unwrap_or(x).to_string();
        let newest = match &now.newest {
            Some(e) => format!(
                "newest entry now: {} by {}@{}, {}, {} -> {}{}",
                e.kind,
                e.user,
                e.host,
                e.local_time(),
                if e.from.is_empty() {
                    "(nothing)".to_string()
                } else {
                    short(&e.from)
                },
                short(&e.to),
                if e.ok() {
                    String::new()
                } else {
                    format!(" ({})", e.result)
                }
            ),
            None => "the journal is empty now".into(),
        };
        Some((newest, now.goes_to()))
    }
}

/// Why [`rollback_target`] found nothing, as the pane says it: no deploy recorded yet, or every
/// recorded deploy already rolled back (a rollback does not undo the one before it).
pub fn nothing_to_roll_back(entries: &[JournalEntry]) -> &'static str {
    let deployed = entries
        .iter()
        .any(|e| e.ok() && !["rollback", RESTORE].contains(&e.kind.as_str()) && !e.from.is_empty());
    if deployed {
        "nothing older to roll back to: every deploy here is rolled back"
    } else {
        "nothing to roll back to: the journal has no successful deploy"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    /// The rollback confirm, a refused deploy and the journal list say when in local time,
    /// whatever zone the deploy was written in.
    #[test]
    fn an_entry_says_its_time_in_local_time() {
        let mut e = JournalEntry::from(JournalRecord {
            time: "2026-11-27T16:15:00+05:45".into(),
            user: "dana".into(),
            host: "laptop".into(),
            kind: "deploy".into(),
            from: String::new(),
            to: String::new(),
            result: "ok".into(),
            hook: "none".into(),
        });
        let utc = chrono::Utc
            .with_ymd_and_hms(2026, 11, 27, 10, 30, 0)
            .unwrap();
        let local = utc
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        assert_eq!(e.local_time(), local);
        // the commit detail's "rolled back by ..." too
        let back = crate::deploy::status::TakenBack::Journal {
            kind: Clean::new("rollback"),
            user: e.user.clone(),
            host: e.host.clone(),
            time: e.time.clone(),
        };
        assert_eq!(
            back.describe(),
            format!("rolled back by dana@laptop, {local}")
        );
        e.time = Clean::new("2026-11-27T10:30 by hand");
        assert_eq!(e.local_time(), "2026-11-27 10:30");
    }

    fn rec(from: &str, to: &str, result: &str) -> String {
        rec_kind("deploy", from, to, result)
    }

    fn rec_kind(kind: &str, from: &str, to: &str, result: &str) -> String {
        serde_json::to_string(&JournalRecord {
            time: "2026-11-27T10:00:00+00:00".into(),
            user: "www".into(),
            host: "web1".into(),
            kind: kind.into(),
            from: from.into(),
            to: to.into(),
            result: result.into(),
            hook: "exit 0".into(),
        })
        .unwrap()
    }

    #[test]
    fn parse_keeps_good_lines_and_names_bad_ones() {
        let text = format!(
            "{}\nnot json\n\n{}\n",
            rec("aa", "bb", "ok"),
            rec("bb", "cc", "ok")
        );
        let (e, bad) = parse(&text);
        assert_eq!(e.len(), 2);
        assert_eq!(bad, vec![2]);
        assert_eq!(e[1].to, "cc");
    }

    #[test]
    fn rollback_skips_failed_deploys() {
        let text = [rec("a1", "b2", "ok"), rec("b2", "c3", "checkout refused")].join("\n");
        let (e, _) = parse(&text);
        assert_eq!(rollback_target(&e).map(|e| e.from.as_str()), Some("a1"));
    }

    #[test]
    fn successive_rollbacks_walk_back_instead_of_toggling() {
        let mut lines = vec![rec("a1", "b2", "ok"), rec("b2", "c3", "ok")];
        let (e, _) = parse(&lines.join("\n"));
        assert_eq!(rollback_target(&e).map(|e| e.from.as_str()), Some("b2"));
        lines.push(rec_kind("rollback", "c3", "b2", "ok"));
        let (e, _) = parse(&lines.join("\n"));
        assert_eq!(rollback_target(&e).map(|e| e.from.as_str()), Some("a1"));
        lines.push(rec_kind("rollback", "b2", "a1", "ok"));
        let (e, _) = parse(&lines.join("\n"));
        assert_eq!(rollback_target(&e), None, "nothing older was deployed");
        // and the refusal does not claim that nothing was ever deployed
        assert_eq!(
            nothing_to_roll_back(&e),
            "nothing older to roll back to: every deploy here is rolled back"
        );
        let (none, _) = parse(&rec("bb", "cc", "checkout refused"));
        assert_eq!(
            nothing_to_roll_back(&none),
            "nothing to roll back to: the journal has no successful deploy"
        );
    }

    #[test]
    fn hostile_fields_are_sanitized() {
        let line = r#"{"time":"t","user":"\u001b[2Jx","host":"h","kind":"deploy","from":"\u001b]0;","to":"ab","result":"ok\r","hook":"h"}"#;
        let (e, bad) = parse(line);
        assert!(bad.is_empty());
        assert_eq!(e[0].user.as_str(), "\\e[2Jx");
        assert_eq!(e[0].from, "", "a non-hex id is dropped, not shown");
        assert_eq!(e[0].result.as_str(), "ok\\r");
    }

    #[test]
    fn a_cut_short_line_hides_nothing_and_swallows_nothing() {
        let d = tempfile::tempdir().unwrap();
        let a = crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        // One deploy recorded, then a write cut short (a full disk, a crash).
        let first = format!("{}\n", rec(&"a".repeat(40), &"b".repeat(40), "ok"));
        std::fs::write(path_in(d.path()), format!("{first}{{\"time\":\"2026-11-")).unwrap();
        let (e, problem) = read(d.path());
        assert_eq!(e.len(), 1, "the good line is still read");
        assert_eq!(
            rollback_target(&e).map(|e| e.from.clone()),
            Some("a".repeat(40)),
            "rollback still knows where to go"
        );
        let problem = problem.expect("the bad line is reported").to_string();
        assert!(
            problem.contains("1 unreadable line(s) (first: line 2)"),
            "{problem}"
        );

        // The next deploy's record starts on a line of its own.
        let next: JournalRecord =
            serde_json::from_str(&rec(&"b".repeat(40), &"c".repeat(40), "ok")).unwrap();
        append(d.path(), &next, &a).unwrap();
        let (e, _) = read(d.path());
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[1].to, "c".repeat(40));
        // A journal that ends properly gets no blank line.
        append(d.path(), &next, &a).unwrap();
        let text = std::fs::read_to_string(path_in(d.path())).unwrap();
        assert!(!text.contains("\n\n"), "{text}");
        assert_eq!(read(d.path()).0.len(), 3);
    }

    fn mode_of(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    /// Whoever may write the git directory may put a symbolic link at the journal's name: a
    /// deploy run by root must not append its line to the file it points at (`/etc/crontab`),
    /// nor a status read take that file for the journal.
    #[test]
    fn a_symbolic_link_at_the_journals_name_is_neither_written_nor_read() {
        let d = tempfile::tempdir().unwrap();
        let a = crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let target = d.path().join("crontab");
        let line = format!("{}\n", rec(&"a".repeat(40), &"b".repeat(40), "ok"));
        std::fs::write(&target, &line).unwrap();
        std::os::unix::fs::symlink(&target, path_in(d.path())).unwrap();
        let next: JournalRecord =
            serde_json::from_str(&rec(&"b".repeat(40), &"c".repeat(40), "ok")).unwrap();
        let e = append(d.path(), &next, &a).unwrap_err().to_string();
        assert!(
            e.contains("a symbolic link where opsdeck keeps a plain file: not followed"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), line);
        let (entries, problem) = read(d.path());
        assert!(entries.is_empty(), "read through the link: {entries:?}");
        let problem = problem.expect("the link is reported").to_string();
        assert!(problem.contains("not followed"), "{problem}");
    }

    /// A FIFO at the journal's name neither hangs a status read nor takes a deploy's record.
    #[test]
    fn a_fifo_at_the_journals_name_is_left_alone() {
        let d = tempfile::tempdir().unwrap();
        let a = crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        nix::unistd::mkfifo(&path_in(d.path()), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let (entries, problem) = read(d.path());
        assert!(entries.is_empty());
        let problem = problem.expect("the FIFO is reported").to_string();
        assert!(problem.contains("not a plain file"), "{problem}");
        let next: JournalRecord =
            serde_json::from_str(&rec(&"b".repeat(40), &"c".repeat(40), "ok")).unwrap();
        let e = append(d.path(), &next, &a).unwrap_err().to_string();
        assert!(e.contains("not a plain file"), "{e}");
    }

    /// A journal its owner made 0600 (a umask of 077) is made readable by the other deployers
    /// at the owner's next deploy: without it they have no rollback target and no check for a
    /// HEAD moved outside opsdeck.
    #[test]
    fn the_owners_next_deploy_makes_the_journal_readable_by_all() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let a = crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let p = path_in(d.path());
        std::fs::write(&p, "").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let next: JournalRecord =
            serde_json::from_str(&rec(&"b".repeat(40), &"c".repeat(40), "ok")).unwrap();
        append(d.path(), &next, &a).unwrap();
        assert_eq!(mode_of(&p), 0o644);
        assert_eq!(read(d.path()).0.len(), 1);
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_output_is_clean(s in any::<String>()) {
            let (e, _) = parse(&s);
            for x in e {
                prop_assert!(!x.user.chars().any(crate::sanitize::is_unsafe_char));
            }
        }
    }
}
