//! Reads a deploy checkout's state through git2: HEAD, branch, upstream and
//! ahead/behind, repository state, local changes, recent commits (and which of
//! them a rollback took back, as the journal tells it), whether any remote
//! branch holds HEAD, the stash, owner.
//!
//! Blocking: call it from `spawn_blocking`, never on the event loop. It only
//! reads (libgit2 status may refresh nothing on disk: no index write is
//! asked for). Every string taken from the repository is sanitized here.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use git2::{BranchType, ErrorCode, Oid, Repository, RepositoryOpenFlags, StatusOptions};

use crate::deploy::DeployConfig;
use crate::deploy::error::DeployError;
use crate::deploy::journal::{self, JournalEntry};
use crate::deploy::lock::{self, LockInfo};
use crate::sanitize::Clean;

/// How many changed paths a status keeps for the list (the counts are exact).
pub const MAX_LISTED_CHANGES: usize = 200;
/// How many commits of the upstream not yet deployed are listed at most.
pub const MAX_NEW_COMMITS: usize = 50;

/// One commit as the pane shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: Oid,
    pub short: String,
    pub subject: Clean,
    pub author: Clean,
    /// Seconds since the epoch.
    pub time: i64,
}

impl CommitInfo {
    pub fn from_commit(c: &git2::Commit<'_>) -> CommitInfo {
        let id = c.id();
        let subject = c.summary_bytes().unwrap_or(b"");
        let encoding = c.message_encoding().ok().flatten();
        CommitInfo {
            id,
            short: short_id(id),
            subject: Clean::capped(&commit_text(subject, encoding), 200),
            author: Clean::capped(&commit_text(c.author().name_bytes(), encoding), 80),
            time: c.time().seconds(),
        }
    }
}

/// A commit's text as a person wrote it. Git stores the bytes as given and names their encoding
/// in the commit's `encoding` header (`i18n.commitEncoding`); older repositories often hold
/// Latin-1 with no header at all. Text that is not UTF-8 is read as Latin-1 when the header
/// names it or names nothing (every byte is a Latin-1 character); with another encoding named,
/// as UTF-8 with replacement characters.
pub fn commit_text(bytes: &[u8], encoding: Option<&str>) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let latin1 = encoding.is_none_or(|e| {
        matches!(
            e.to_ascii_lowercase().replace('_', "-").as_str(),
            "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "l1" | "iso-8859-15" | "latin9"
        )
    });
    if latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// The first 7 hex digits of an object id.
pub fn short_id(id: Oid) -> String {
    let s = id.to_string();
    s[..7.min(s.len())].to_string()
}

/// One line of the log list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub commit: CommitInfo,
    /// This commit is HEAD.
    pub is_head: bool,
    /// Reachable from HEAD (deployed or older); false: only on the upstream (new).
    pub deployed: bool,
    /// Not reachable from HEAD, but live once: what took it back, as the journal tells it.
    /// None for a commit never deployed here (new) and for every deployed one.
    pub taken_back: Option<TakenBack>,
}

/// What took a once-deployed commit out of HEAD's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TakenBack {
    /// A journal entry: a rollback, or a deploy of an older revision (`kind` says which).
    Journal {
        kind: Clean,
        user: Clean,
        host: Clean,
        time: Clean,
    },
    /// The journal's last word left it deployed: HEAD moved outside opsdeck since.
    Outside,
    /// The journal's last word left it deployed, and a deploy or rollback holding the lock has
    /// moved HEAD since: that one is taking it back, and writes its journal entry last.
    UnderWay,
    /// Not known: no entry of the journal's reach said it, and the commit is older than the
    /// oldest entry looked at, so an older one may have deployed it (a rollback 31 deploys ago).
    NotKnown,
}

impl TakenBack {
    /// The commit list's mark: "rolled back" after a rollback, "taken back" otherwise.
    pub fn mark(&self) -> &'static str {
        match self {
            TakenBack::Journal { kind, .. } if kind.as_str() == "rollback" => "rolled back",
            TakenBack::NotKnown => "not known",
            _ => "taken back",
        }
    }

    /// The detail's words: which journal entry took it back, who and when.
    pub fn describe(&self) -> String {
        match self {
            TakenBack::Journal {
                kind,
                user,
                host,
                time,
            } => {
                let when = crate::deploy::journal::local_time(time);
                if kind.as_str() == "rollback" {
                    format!("rolled back by {user}@{host}, {when}")
                } else {
                    format!(
                        "taken back by a {kind} of a revision without it, {user}@{host}, {when}"
                    )
                }
            }
            TakenBack::Outside => "deployed once, taken back outside opsdeck".into(),
            TakenBack::UnderWay => "deployed once, taken back by the deploy under way".into(),
            TakenBack::NotKnown => format!(
                "not known: older than the last {TAKEN_BACK_ENTRIES} deploys in the journal, \
                 which do not name it"
            ),
        }
    }
}

/// A changed path in the work tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// `M` modified, `A` added to the index, `D` deleted, `R` renamed, `T` type
    /// changed, `?` untracked, `!` conflicted.
    pub kind: char,
    pub path: Clean,
}

/// The tracked upstream and how far HEAD is from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub name: Clean,
    pub id: Oid,
    pub ahead: usize,
    pub behind: usize,
}

/// Of the commits behind the upstream, those live once and taken back: counted over the newest
/// [`MAX_ASKED`](crate::deploy::checkout::MAX_ASKED) of them, as the deploy confirm counts them,
/// though the list shows only the newest [`MAX_NEW_COMMITS`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BehindBack {
    /// Commits behind asked of the journal (all of them, up to `MAX_ASKED`).
    pub asked: usize,
    /// Of those, taken back by a rollback.
    pub rolled_back: usize,
    /// Of those, taken back otherwise (a deploy of an older revision, a move outside opsdeck).
    pub taken_back: usize,
}

/// HEAD moved outside opsdeck, and what git's reflog says of the move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedOutside {
    /// Where the journal's last successful deploy or rollback left HEAD (short id).
    pub left: String,
    /// The newest HEAD reflog entry, when it is the move to the current HEAD: who (the git
    /// identity of whoever ran it), when (epoch seconds), and git's words for it.
    pub by: Option<Clean>,
    pub time: Option<i64>,
    pub what: Option<Clean>,
}

/// Compare HEAD with where the journal's last successful entry left it; when they differ, say
/// what the reflog knows of the move.
fn moved_outside(
    repo: &Repository,
    head: Option<Oid>,
    journal: &[JournalEntry],
) -> Option<MovedOutside> {
    let last = journal.iter().rev().find(|e| e.ok() && !e.to.is_empty())?;
    let head = head?;
    if head.to_string() == last.to {
        return None;
    }
    let newest = head_mover(repo, head);
    Some(MovedOutside {
        left: last.to.get(..7).unwrap_or(&last.to).to_string(),
        by: newest.as_ref().map(|n| n.by.clone()),
        time: newest.as_ref().map(|n| n.time),
        what: newest.and_then(|n| n.what),
    })
}

/// What a deploy holding the lock has done to HEAD, as HEAD's reflog tells it.
enum MoveUnderLock {
    /// No deploy holds the lock.
    NoDeploy,
    /// It moved HEAD from this commit (HEAD's newest reflog entry is the move to HEAD, made
    /// since the lock was taken).
    From(Oid),
    /// It has not moved HEAD yet (fetching, say): HEAD's newest move is older than the lock.
    NotYet,
    /// No way to tell (no reflog, a lock that names no time, a move the reflog does not show):
    /// HEAD may be where the deploy is taking it.
    NotKnown,
}

/// What the deploy holding `lock` has done to HEAD (`head`). The lock is taken before HEAD
/// moves, and HEAD's reflog dates each move: a move as old as the lock or newer is the
/// deploy's, an older one is not.
fn move_under_lock(repo: &Repository, head: Option<Oid>, lock: &LockInfo) -> MoveUnderLock {
    let Some(taken) = chrono::DateTime::parse_from_rfc3339(&lock.time)
        .ok()
        .map(|t| t.timestamp())
    else {
        return MoveUnderLock::NotKnown;
    };
    let Some(log) = reflog_if_any(repo, "HEAD") else {
        return MoveUnderLock::NotKnown;
    };
    let Some(newest) = log.get(0).filter(|e| Some(e.id_new()) == head) else {
        return MoveUnderLock::NotKnown;
    };
    if newest.committer().when().seconds() < taken {
        MoveUnderLock::NotYet
    } else if newest.id_old().is_zero() {
        MoveUnderLock::NotKnown
    } else {
        MoveUnderLock::From(newest.id_old())
    }
}

/// The commits reachable from `include` and not from `exclude`, the first TAKEN_BACK_WALK.
fn walk_from(repo: &Repository, include: Oid, exclude: Option<Oid>) -> Vec<Oid> {
    let Ok(mut w) = repo.revwalk() else {
        return Vec::new();
    };
    if w.push(include).is_err() || exclude.is_some_and(|x| w.hide(x).is_err()) {
        return Vec::new();
    }
    w.take(TAKEN_BACK_WALK).filter_map(Result::ok).collect()
}

/// The newest move of HEAD in its reflog, when it is the one that put HEAD at `head`.
pub(crate) struct HeadMove {
    /// The committer's name (who ran the checkout).
    pub by: Clean,
    /// Seconds since the epoch.
    pub time: i64,
    /// The reflog message (`checkout: moving from a to b`).
    pub what: Option<Clean>,
}

/// The reflog of `name` ("HEAD", "refs/stash"), None when it has none. Asked only when its file
/// is there: libgit2 reading a reflog that does not exist creates it (refdb_fs.c), and reading a
/// checkout writes nothing in it.
pub(crate) fn reflog_if_any(repo: &Repository, name: &str) -> Option<git2::Reflog> {
    // HEAD's reflog is the work tree's own; a branch's or the stash's is shared by all of them
    let dir = if name == "HEAD" {
        repo.path()
    } else {
        repo.commondir()
    };
    if !dir.join("logs").join(name).is_file() {
        return None;
    }
    repo.reflog(name).ok()
}

/// Who last moved HEAD, if that move left it at `head` (read from HEAD's reflog).
pub(crate) fn head_mover(repo: &Repository, head: Oid) -> Option<HeadMove> {
    let log = reflog_if_any(repo, "HEAD")?;
    let e = log.get(0).filter(|e| e.id_new() == head)?;
    let who = e.committer();
    Some(HeadMove {
        by: Clean::capped(&String::from_utf8_lossy(who.name_bytes()), 60),
        time: who.when().seconds(),
        what: e
            .message_bytes()
            .map(|m| Clean::capped(&String::from_utf8_lossy(m), 120)),
    })
}

/// Who owns the work tree and who opsdeck runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub tree_uid: u32,
    pub tree_user: Clean,
    pub run_uid: u32,
    pub run_user: Clean,
}

impl Owner {
    /// Files written by a checkout would belong to the wrong user.
    pub fn mismatch(&self) -> bool {
        self.tree_uid != self.run_uid
    }
}

/// Everything the pane shows about one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoStatus {
    pub workdir: PathBuf,
    pub git_dir: PathBuf,
    /// None: no commit yet (unborn HEAD).
    pub head: Option<CommitInfo>,
    /// The checked-out branch; None when detached.
    pub branch: Option<Clean>,
    pub describe: Option<Clean>,
    pub upstream: Option<Upstream>,
    /// Some("merge", "rebase", ...) when an operation is in progress.
    pub state: Option<&'static str>,
    pub modified: usize,
    pub untracked: usize,
    pub changes: Vec<Change>,
    pub log: Vec<LogEntry>,
    /// Of the commits behind, those live once (the list marks only the ones it shows).
    pub behind_back: BehindBack,
    pub owner: Owner,
    pub journal: Vec<JournalEntry>,
    pub journal_problem: Option<Clean>,
    /// The journal was read, but for lines that are no record (named in `journal_problem`):
    /// what it says of the checkout is known.
    pub journal_lines_bad: bool,
    pub lock: Option<LockInfo>,
    pub lock_stale: bool,
    /// Submodules not checked out at the commit HEAD records (a deploy moves the recorded
    /// commit, libgit2 leaves the submodule where it was); "(not checked out)" when empty.
    pub submodules_off: Vec<Clean>,
    /// HEAD is not where the journal's last deploy or rollback left it: moved by hand (a `git
    /// checkout`, `git pull`, `git reset` in the docroot) or by a tool that keeps no journal.
    pub moved_outside: Option<MovedOutside>,
    /// HEAD is on no remote-tracking branch (as of the last fetch): a local commit never pushed,
    /// or a branch force-pushed away from under it. What runs here is in no shared repository.
    /// False when unknown (no remote-tracking branch at all, or too many to look through).
    pub on_no_remote: bool,
    /// Entries in `git stash list`: local work parked by a stash-and-deploy (or by hand), not
    /// in the work tree until someone pops it.
    pub stashes: usize,
    /// When the remote was last fetched (`FETCH_HEAD` written, else the clone that starts
    /// HEAD's reflog; epoch seconds): how old "up to date" is.
    /// None: never fetched here.
    pub last_fetch: Option<i64>,
}

impl RepoStatus {
    /// Of the commits behind, how many were live once, said after the count behind: "2 rolled
    /// back" ("taken back" unless a rollback took back every one), counted over all of them up
    /// to [`MAX_ASKED`](crate::deploy::checkout::MAX_ASKED), as the deploy confirm counts them;
    /// beyond that, "12 of the newest 2000".
    pub fn taken_back(&self) -> Option<String> {
        self.taken_back_said(false)
    }

    /// [`taken_back`](Self::taken_back) in fewer words for a narrow line: "12+ rolled back"
    /// for "12 of the newest 2000 rolled back".
    pub fn taken_back_short(&self) -> Option<String> {
        self.taken_back_said(true)
    }

    fn taken_back_said(&self, short: bool) -> Option<String> {
        let b = &self.behind_back;
        let n = b.rolled_back + b.taken_back;
        if n == 0 {
            return None;
        }
        let word = if b.taken_back == 0 {
            "rolled back"
        } else {
            "taken back"
        };
        let behind = self.upstream.as_ref().map_or(0, |u| u.behind);
        Some(if behind > b.asked && short {
            format!("{n}+ {word}")
        } else if behind > b.asked {
            format!("{n} of the newest {} {word}", b.asked)
        } else {
            format!("{n} {word}")
        })
    }
}

/// Open the work tree at `path` (no search upwards), turning libgit2's owner
/// check into a message that says what to do.
pub fn open(path: &Path) -> Result<Repository, DeployError> {
    Repository::open_ext(
        path,
        RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&str>(),
    )
    .map_err(|e| match e.code() {
        ErrorCode::Owner => {
            let me = nix::unistd::geteuid().as_raw();
            // the work tree's owner, or its .git's when that is the one another user owns
            let uid = |p: &Path| std::fs::metadata(p).map(|m| m.uid()).ok();
            let owner = [path.to_path_buf(), path.join(".git")]
                .iter()
                .filter_map(|p| uid(p))
                .find(|u| *u != me)
                .or_else(|| uid(path))
                .unwrap_or(u32::MAX);
            DeployError::Owner {
                path: path.to_path_buf(),
                trust: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
                owner,
                me,
                owner_name: crate::accounts::user_name(owner),
                me_name: crate::accounts::user_name(me),
            }
        }
        _ => DeployError::NotARepo {
            path: path.to_path_buf(),
            message: not_a_repo_why(path, &e),
        },
    })
}

/// Why `path` is not a work tree, in the terms a person would check (libgit2's own message
/// names neither a missing directory nor a missing `.git`).
fn not_a_repo_why(path: &Path, e: &git2::Error) -> String {
    match std::fs::metadata(path) {
        Err(m) if m.kind() == std::io::ErrorKind::NotFound => {
            "it does not exist: set path in [[deploy]] to the site's checkout".into()
        }
        Err(m) => format!("it cannot be read: {m}"),
        Ok(m) if !m.is_dir() => "not a directory: set path in [[deploy]] to the site's checkout".into(),
        Ok(_) if !path.join(".git").exists() => {
            "no .git in it: clone the site's repository there, or set path in [[deploy]] to the checkout"
                .into()
        }
        Ok(_) => e.message().to_string(),
    }
}

/// The name of a repository state in progress, None when clean.
pub fn state_name(s: git2::RepositoryState) -> Option<&'static str> {
    use git2::RepositoryState as S;
    match s {
        S::Clean => None,
        S::Merge => Some("merge"),
        S::Revert | S::RevertSequence => Some("revert"),
        S::CherryPick | S::CherryPickSequence => Some("cherry-pick"),
        S::Bisect => Some("bisect"),
        S::Rebase | S::RebaseInteractive | S::RebaseMerge => Some("rebase"),
        S::ApplyMailbox | S::ApplyMailboxOrRebase => Some("am"),
    }
}

fn user_name(uid: u32) -> Clean {
    Clean::new(&crate::accounts::user_name(uid))
}

/// Owner of the work tree against the effective user.
pub fn owner_of(workdir: &Path) -> Result<Owner, DeployError> {
    let meta = std::fs::metadata(workdir).map_err(|e| DeployError::io(workdir, e))?;
    let run_uid = nix::unistd::geteuid().as_raw();
    Ok(Owner {
        tree_uid: meta.uid(),
        tree_user: user_name(meta.uid()),
        run_uid,
        run_user: user_name(run_uid),
    })
}

/// The reference HEAD is compared with: the local branch's configured
/// upstream, else `refs/remotes/<remote>/<branch>`.
pub fn upstream_ref(repo: &Repository, cfg: &DeployConfig) -> Option<(String, Oid)> {
    if let Ok(head) = repo.head()
        && head.is_branch()
        && let Ok(name) = head.shorthand()
        && let Ok(b) = repo.find_branch(name, BranchType::Local)
        && let Ok(up) = b.upstream()
        && let (Ok(Some(n)), Some(id)) = (up.name(), up.get().target())
    {
        return Some((n.to_string(), id));
    }
    let name = format!("{}/{}", cfg.remote, cfg.branch);
    let r = repo.find_reference(&format!("refs/remotes/{name}")).ok()?;
    let id = r.resolve().ok()?.target()?;
    Some((name, id))
}

/// Read everything the pane shows about one target.
pub fn read_status(cfg: &DeployConfig) -> Result<RepoStatus, DeployError> {
    if cfg.path.as_os_str().is_empty() {
        return Err(DeployError::NoPath {
            name: cfg.name.clone(),
        });
    }
    let repo = open(&cfg.path)?;
    let path = cfg.path.as_path();
    let workdir = repo
        .workdir()
        .ok_or_else(|| DeployError::NotARepo {
            path: path.to_path_buf(),
            message: "bare repository: a deploy target needs a work tree".into(),
        })?
        .to_path_buf();
    let git_dir = repo.path().to_path_buf();

    let head_commit = match repo.head() {
        Ok(h) => Some(
            h.peel_to_commit()
                .map_err(|e| DeployError::git(path, "HEAD", e))?,
        ),
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => return Err(DeployError::git(path, "HEAD", e)),
    };
    let head = head_commit.as_ref().map(CommitInfo::from_commit);
    let branch = if repo.head_detached().unwrap_or(false) {
        None
    } else {
        repo.head()
            .ok()
            .and_then(|h| h.shorthand().ok().map(Clean::new))
            .or_else(|| Some(Clean::new("(unborn)")))
    };
    let describe = head_commit.as_ref().and_then(|c| {
        let mut o = git2::DescribeOptions::new();
        o.describe_tags();
        c.as_object()
            .describe(&o)
            .ok()
            .and_then(|d| d.format(None).ok())
            .map(|s| Clean::capped(&s, 120))
    });

    let upstream = match (upstream_ref(&repo, cfg), head.as_ref()) {
        (Some((name, id)), Some(h)) => {
            let (ahead, behind) = repo
                .graph_ahead_behind(h.id, id)
                .map_err(|e| DeployError::git(path, "ahead/behind", e))?;
            Some(Upstream {
                name: Clean::new(&name),
                id,
                ahead,
                behind,
            })
        }
        (Some((name, id)), None) => Some(Upstream {
            name: Clean::new(&name),
            id,
            ahead: 0,
            behind: 0,
        }),
        _ => None,
    };

    let (modified, untracked, changes) = local_changes(&repo, path)?;
    // The lock is read after HEAD and before the journal: a deploy holds it from before it
    // moves HEAD until after its journal entry is written, so a HEAD already moved with its
    // entry not yet read was read while the lock was held, and this read sees it. Read after
    // the journal, it could find the deploy done and its lock gone, and the entry it wrote
    // not read: HEAD would be called moved outside opsdeck.
    let lock = lock::read(&git_dir);
    let (journal, journal_problem) = journal::read(&git_dir);
    #[cfg(test)]
    testing::after_the_journal();
    let (mut log, behind) = read_log(
        &repo,
        path,
        head.as_ref().map(|h| h.id),
        upstream.as_ref(),
        cfg.log_entries,
    )?;
    let behind_back = mark_taken_back(&repo, &journal, &mut log, behind);
    let journal_lines_bad = matches!(journal_problem, Some(DeployError::JournalLines { .. }));
    let journal_problem = journal_problem.map(|e| Clean::new(&e.to_string()));
    let on_no_remote = on_no_remote(&repo, head.as_ref().map(|h| h.id), upstream.as_ref());
    let stashes = reflog_if_any(&repo, "refs/stash").map_or(0, |r| r.len());
    let lock_stale = lock.as_ref().is_some_and(|l| l.is_stale());
    // a deploy holding the lock has moved HEAD and writes its journal entry last: HEAD is where
    // that deploy is taking it, not moved outside opsdeck (the lock line says who deploys). A
    // link or a FIFO at the lock's name holds deploys off, but no deploy wrote it.
    let deploying = lock
        .as_ref()
        .is_some_and(|l| !lock_stale && l.unreadable != Some(lock::Unreadable::NotPlain));
    // what the deploy under way did to HEAD, as far as HEAD's reflog tells
    let under_way = match lock.as_ref().filter(|_| deploying) {
        Some(l) => move_under_lock(&repo, head.as_ref().map(|h| h.id), l),
        None => MoveUnderLock::NoDeploy,
    };
    let moved_outside = moved_outside(&repo, head.as_ref().map(|h| h.id), &journal)
        .filter(|_| matches!(under_way, MoveUnderLock::NoDeploy | MoveUnderLock::NotYet));
    let taken_back_now = match under_way {
        MoveUnderLock::From(old) => {
            let head = head.as_ref().map(|h| h.id);
            Some(
                walk_from(&repo, old, head)
                    .into_iter()
                    .collect::<std::collections::HashSet<_>>(),
            )
        }
        MoveUnderLock::NotKnown => None,
        MoveUnderLock::NoDeploy | MoveUnderLock::NotYet => Some(std::collections::HashSet::new()),
    };
    for e in &mut log {
        if e.taken_back == Some(TakenBack::Outside)
            && taken_back_now
                .as_ref()
                .is_none_or(|set| set.contains(&e.commit.id))
        {
            e.taken_back = Some(TakenBack::UnderWay);
        }
    }
    let submodules_off = submodules_off(&repo);
    let last_fetch = std::fs::metadata(git_dir.join("FETCH_HEAD"))
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        // a clone never fetched since writes no FETCH_HEAD: the clone read the remote as much
        // as a fetch does, and HEAD's reflog starts with it ("clone: from URL")
        .or_else(|| {
            upstream.as_ref()?;
            let log = reflog_if_any(&repo, "HEAD")?;
            let first = log.get(log.len().checked_sub(1)?)?;
            first
                .message_bytes()?
                .starts_with(b"clone: ")
                .then(|| first.committer().when().seconds())
        });
    Ok(RepoStatus {
        owner: owner_of(&workdir)?,
        workdir,
        git_dir,
        head,
        branch,
        describe,
        upstream,
        state: state_name(repo.state()),
        modified,
        untracked,
        changes,
        log,
        behind_back,
        journal,
        journal_problem,
        journal_lines_bad,
        lock,
        lock_stale,
        submodules_off,
        moved_outside,
        on_no_remote,
        stashes,
        last_fetch,
    })
}

/// How many remote-tracking branches are looked through for HEAD; with more, nothing is said.
const MAX_REMOTE_REFS: usize = 1_000;

/// HEAD is reachable from none of the remote-tracking branches. On its upstream (the usual
/// case) nothing more is read; else one walk from HEAD with every remote-tracking branch hidden
/// (up to [`MAX_REMOTE_REFS`] of them): it yields HEAD only when none of them holds it, and it
/// stops where HEAD's history meets theirs, where asking each branch in turn walked that far
/// once per branch.
fn on_no_remote(repo: &Repository, head: Option<Oid>, upstream: Option<&Upstream>) -> bool {
    let Some(head) = head else {
        return false;
    };
    if upstream.is_some_and(|u| u.ahead == 0) {
        return false;
    }
    let (Ok(refs), Ok(mut walk)) = (repo.references_glob("refs/remotes/*"), repo.revwalk()) else {
        return false;
    };
    if walk.push(head).is_err() {
        return false;
    }
    let mut seen = 0;
    for r in refs {
        let Ok(r) = r else {
            continue;
        };
        // `origin/HEAD` names another of them; a tag fetched under refs/remotes is no branch
        let Some(id) = r.target().filter(|id| repo.find_commit(*id).is_ok()) else {
            continue;
        };
        seen += 1;
        if seen > MAX_REMOTE_REFS || id == head || walk.hide(id).is_err() {
            return false;
        }
    }
    seen > 0 && matches!(walk.next(), Some(Ok(_)))
}

/// The submodules whose work tree is not at the commit HEAD's tree records, by path: the site
/// runs other code than the deployed revision says until `git submodule update`.
fn submodules_off(repo: &Repository) -> Vec<Clean> {
    let Ok(subs) = repo.submodules() else {
        return Vec::new();
    };
    subs.iter()
        .filter_map(|sm| {
            let recorded = sm.head_id()?;
            let name = sm.path().to_string_lossy().into_owned();
            match sm.workdir_id() {
                Some(id) if id == recorded => None,
                Some(_) => Some(Clean::capped(&name, 200)),
                None => Some(Clean::capped(&format!("{name} (not checked out)"), 200)),
            }
        })
        .collect()
}

/// Counts of modified and untracked paths and the first of them.
pub fn local_changes(
    repo: &Repository,
    path: &Path,
) -> Result<(usize, usize, Vec<Change>), DeployError> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_head_to_index(false);
    let st = repo
        .statuses(Some(&mut opts))
        .map_err(|e| DeployError::git(path, "status", e))?;
    let (mut modified, mut untracked) = (0, 0);
    let mut changes = Vec::new();
    for e in st.iter() {
        let s = e.status();
        let kind = if s.is_conflicted() {
            '!'
        } else if s.is_wt_new() {
            '?'
        } else if s.is_index_new() {
            'A'
        } else if s.is_wt_deleted() || s.is_index_deleted() {
            'D'
        } else if s.is_wt_renamed() || s.is_index_renamed() {
            'R'
        } else if s.is_wt_typechange() || s.is_index_typechange() {
            'T'
        } else if s.is_wt_modified() || s.is_index_modified() {
            'M'
        } else {
            continue;
        };
        if kind == '?' {
            untracked += 1;
        } else {
            modified += 1;
        }
        if changes.len() < MAX_LISTED_CHANGES {
            changes.push(Change {
                kind,
                path: Clean::capped(&String::from_utf8_lossy(e.path_bytes()), 300),
            });
        }
    }
    Ok((modified, untracked, changes))
}

/// The newest commits reachable from HEAD or the upstream: every upstream
/// commit not yet deployed (up to [`MAX_NEW_COMMITS`]) and `n` more; and the newest
/// [`MAX_ASKED`](crate::deploy::checkout::MAX_ASKED) commits HEAD lacks, listed or not.
fn read_log(
    repo: &Repository,
    path: &Path,
    head: Option<Oid>,
    upstream: Option<&Upstream>,
    n: usize,
) -> Result<(Vec<LogEntry>, Vec<Oid>), DeployError> {
    let g = |e| DeployError::git(path, "log", e);
    let mut walk = repo.revwalk().map_err(g)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
        .map_err(g)?;
    let mut any = false;
    if let Some(h) = head {
        walk.push(h).map_err(g)?;
        any = true;
    }
    if let Some(u) = upstream {
        walk.push(u.id).map_err(g)?;
        any = true;
    }
    if !any {
        return Ok((Vec::new(), Vec::new()));
    }
    // The commits HEAD lacks, in one walk: asking libgit2 per commit
    // whether HEAD descends from it walks HEAD's history every time, and a
    // checkout thousands of commits behind then took minutes to read.
    // Newest first, as the deploy confirm walks them: the newest are asked of the journal.
    let behind: Vec<Oid> = match (head, upstream) {
        (Some(h), Some(u)) => {
            let mut w = repo.revwalk().map_err(g)?;
            w.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
                .map_err(g)?;
            w.push(u.id).map_err(g)?;
            w.hide(h).map_err(g)?;
            w.collect::<Result<_, _>>().map_err(g)?
        }
        _ => Default::default(),
    };
    let new: std::collections::HashSet<Oid> = behind.iter().copied().collect();
    let mut out = Vec::new();
    let mut new_seen = 0usize;
    let mut old_seen = 0usize;
    for id in walk {
        let id = id.map_err(g)?;
        let deployed = head.is_some() && !new.contains(&id);
        if deployed {
            if old_seen >= n {
                break;
            }
            old_seen += 1;
        } else {
            if new_seen >= MAX_NEW_COMMITS {
                continue;
            }
            new_seen += 1;
        }
        let c = repo.find_commit(id).map_err(g)?;
        out.push(LogEntry {
            commit: CommitInfo::from_commit(&c),
            is_head: Some(id) == head,
            deployed,
            taken_back: None,
        });
    }
    let mut behind = behind;
    behind.truncate(crate::deploy::checkout::MAX_ASKED);
    Ok((out, behind))
}

/// How many successful journal entries, newest first, are replayed to tell a rolled-back commit
/// from a new one.
pub const TAKEN_BACK_ENTRIES: usize = 30;
/// How many commits one journal entry's walk looks at (a first deploy from an unborn HEAD
/// brings the whole history).
const TAKEN_BACK_WALK: usize = 2_000;

/// Mark the listed commits HEAD lacks that were live once, and count them among the newest
/// `behind` (the commits HEAD lacks, listed or not). The journal is replayed newest
/// first: the newest successful entry that moved a commit decides, a rollback (or a deploy of an
/// older revision) that took it away, or a deploy that brought it, after which HEAD must have
/// moved outside opsdeck. Stops when every such commit is decided; a status with nothing to
/// deploy walks nothing.
fn mark_taken_back(
    repo: &Repository,
    journal: &[JournalEntry],
    log: &mut [LogEntry],
    behind: Vec<Oid>,
) -> BehindBack {
    let asked = behind.len();
    let open = log
        .iter()
        .filter(|e| !e.deployed)
        .map(|e| e.commit.id)
        .chain(behind)
        .collect();
    let decided = taken_back_of(repo, journal, open);
    let mut counted = BehindBack {
        asked,
        ..BehindBack::default()
    };
    for b in decided.values() {
        match b.mark() {
            "not known" => {}
            "rolled back" => counted.rolled_back += 1,
            _ => counted.taken_back += 1,
        }
    }
    for e in log.iter_mut() {
        e.taken_back = decided.get(&e.commit.id).cloned();
    }
    counted
}

/// Of the commits `open` (HEAD lacks them), those that were live once and what took them back,
/// as [`mark_taken_back`] tells it for the listed ones. A checkout's preview asks it of the
/// commits it brings, listed or not: one left behind on no branch (a local commit a deploy
/// moved off, where a rollback left a local branch) is in no list, and still no new commit.
pub(crate) fn taken_back_of(
    repo: &Repository,
    journal: &[JournalEntry],
    mut open: std::collections::HashSet<Oid>,
) -> std::collections::HashMap<Oid, TakenBack> {
    let mut decided = std::collections::HashMap::new();
    if open.is_empty() {
        return decided;
    }
    let walk = |include: Oid, exclude: Option<Oid>| walk_from(repo, include, exclude);
    let mut looked = 0;
    let mut oldest: Option<&Clean> = None;
    for e in journal
        .iter()
        .rev()
        .filter(|e| e.ok())
        .take(TAKEN_BACK_ENTRIES)
    {
        if open.is_empty() {
            break;
        }
        looked += 1;
        oldest = Some(&e.time);
        let Ok(to) = Oid::from_str(&e.to) else {
            continue;
        };
        let from = Oid::from_str(&e.from).ok();
        if let Some(from) = from {
            for id in walk(from, Some(to)) {
                if open.remove(&id) {
                    decided.insert(
                        id,
                        TakenBack::Journal {
                            kind: e.kind.clone(),
                            user: e.user.clone(),
                            host: e.host.clone(),
                            time: e.time.clone(),
                        },
                    );
                }
            }
        }
        for id in walk(to, from) {
            if open.remove(&id) {
                decided.insert(id, TakenBack::Outside);
            }
        }
    }
    // Past the reach: an entry older than those looked at may have deployed an open commit,
    // unless the commit was made after the oldest of them (its committer's clock).
    if looked == TAKEN_BACK_ENTRIES && journal.iter().filter(|e| e.ok()).count() > looked {
        let since = oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.as_str()).ok())
            .map(|t| t.timestamp());
        for id in open {
            let made = repo.find_commit(id).map(|c| c.time().seconds()).ok();
            let after = matches!((made, since), (Some(m), Some(s)) if m > s);
            if !after {
                decided.insert(id, TakenBack::NotKnown);
            }
        }
    }
    decided
}

/// A pause point inside a status read, for tests that end a deploy while it reads: set per
/// thread.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::RefCell;

    thread_local! {
        static AFTER_THE_JOURNAL: RefCell<Option<Box<dyn FnMut()>>> = RefCell::new(None);
    }

    /// Run `f` in this thread's next status reads, right after the journal is read.
    pub(crate) fn pause_after_the_journal(f: impl FnMut() + 'static) {
        AFTER_THE_JOURNAL.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    pub(super) fn after_the_journal() {
        AFTER_THE_JOURNAL.with(|h| {
            if let Some(f) = h.borrow_mut().as_mut() {
                f()
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Mode, WriteAccess};
    use crate::deploy::journal::JournalRecord;

    /// A deploy ends while its checkout is being read: HEAD is read already moved, and the
    /// deploy then writes its journal entry and releases its lock before the read is done. What
    /// was read of HEAD, the journal and the lock must still say a deploy, never a move outside
    /// opsdeck (which the pane and `opsdeck check` would put over the deploy's own outcome).
    #[test]
    fn a_deploy_ending_during_a_read_is_no_move_outside_opsdeck() {
        let d = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        crate::deploy::demo::build(d.path(), &mut config).unwrap();
        let cfg = config.deploy[0].clone();
        let repo = open(&cfg.path).unwrap();
        let git_dir = repo.path().to_path_buf();
        let from = repo.head().unwrap().target().unwrap();
        let (_, to) = upstream_ref(&repo, &cfg).unwrap();
        assert_ne!(from, to, "the demo has a commit to deploy");
        // a deploy under way: its lock taken, HEAD moved, its journal entry not yet written
        let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
        let held = lock::acquire(&git_dir, None, &access).unwrap();
        repo.set_head_detached(to).unwrap();
        let mut under_way = Some((held, access, git_dir.clone()));
        testing::pause_after_the_journal(move || {
            if let Some((held, access, dir)) = under_way.take() {
                let entry = JournalRecord {
                    time: chrono::Local::now().to_rfc3339(),
                    user: lock::current_user(),
                    host: lock::current_host(),
                    kind: "deploy".into(),
                    from: from.to_string(),
                    to: to.to_string(),
                    result: "ok".into(),
                    hook: "none".into(),
                };
                journal::append(&dir, &entry, &access).unwrap();
                drop(held);
            }
        });
        let during = read_status(&cfg).unwrap();
        assert_eq!(during.head.as_ref().map(|h| h.id), Some(to));
        assert_eq!(
            during.moved_outside, None,
            "HEAD moved by the deploy under way"
        );
        let after = read_status(&cfg).unwrap();
        assert_eq!((after.lock, after.moved_outside), (None, None));
        assert_eq!(
            after.journal.last().map(|e| e.to.clone()),
            Some(to.to_string())
        );
    }

    /// The demo's checkout (kept while the directory lives), its repository, and the commit its
    /// journal's last deploy brought with the one it came from.
    fn demo_deployed() -> (tempfile::TempDir, DeployConfig, Repository, Oid, Oid) {
        let d = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        crate::deploy::demo::build(d.path(), &mut config).unwrap();
        let cfg = config.deploy[0].clone();
        let repo = open(&cfg.path).unwrap();
        let (journal, _) = journal::read(repo.path());
        let last = journal.last().expect("the demo's deploy");
        let (deployed, back) = (
            Oid::from_str(&last.to).unwrap(),
            Oid::from_str(&last.from).unwrap(),
        );
        (d, cfg, repo, deployed, back)
    }

    /// A rollback under way (its lock held, HEAD moved back, its journal entry not yet written:
    /// it runs the post-deploy command first) takes back the commit the journal's last deploy
    /// brought: the commit list says so, not that it was taken back outside opsdeck, which it
    /// says once HEAD stays there with no lock and no entry.
    #[test]
    fn a_commit_a_rollback_under_way_takes_back_is_not_taken_back_outside_opsdeck() {
        let (_d, cfg, repo, deployed, back) = demo_deployed();
        let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
        let held = lock::acquire(repo.path(), None, &access).unwrap();
        repo.set_head_detached(back).unwrap();
        let mark = |s: &RepoStatus| {
            s.log
                .iter()
                .find(|e| e.commit.id == deployed)
                .and_then(|e| e.taken_back.clone())
        };
        let during = read_status(&cfg).unwrap();
        assert_eq!(mark(&during), Some(TakenBack::UnderWay));
        assert_eq!(
            TakenBack::UnderWay.describe(),
            "deployed once, taken back by the deploy under way"
        );
        drop(held);
        assert_eq!(mark(&read_status(&cfg).unwrap()), Some(TakenBack::Outside));
    }

    /// A commit taken back outside opsdeck before a deploy began stays so while that deploy
    /// holds the lock: the move is older than the lock (HEAD's reflog dates it), so it is said
    /// as a move outside opsdeck while the deploy has not moved HEAD, and once the deploy moves
    /// HEAD only the commits that move takes back are the deploy's.
    #[test]
    fn a_commit_taken_back_before_a_deploy_began_is_not_that_deploys() {
        let (_d, cfg, repo, deployed, back) = demo_deployed();
        // moved back by hand an hour ago
        repo.set_head_detached(back).unwrap();
        let mut log = repo.reflog("HEAD").unwrap();
        let msg = log
            .get(0)
            .unwrap()
            .message()
            .ok()
            .flatten()
            .map(str::to_string);
        log.remove(0, true).unwrap();
        let hour_ago = chrono::Local::now().timestamp() - 3600;
        let by = git2::Signature::new("Hand", "hand@example.org", &git2::Time::new(hour_ago, 0))
            .unwrap();
        log.append(back, &by, msg.as_deref()).unwrap();
        log.write().unwrap();
        let mark = |s: &RepoStatus, id: Oid| {
            s.log
                .iter()
                .find(|e| e.commit.id == id)
                .and_then(|e| e.taken_back.clone())
        };
        // a deploy begins: its lock taken, HEAD not moved yet
        let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
        let held = lock::acquire(repo.path(), None, &access).unwrap();
        let fetching = read_status(&cfg).unwrap();
        assert!(fetching.lock.is_some() && !fetching.lock_stale);
        assert_eq!(mark(&fetching, deployed), Some(TakenBack::Outside));
        let m = fetching.moved_outside.expect("the move before the lock");
        assert_eq!(m.by.as_ref().map(|b| b.as_str()), Some("Hand"));
        // the deploy moves HEAD on, to the commit before: it takes back `back`, not `deployed`
        let before = repo.find_commit(back).unwrap().parent_id(0).unwrap();
        repo.set_head_detached(before).unwrap();
        let moving = read_status(&cfg).unwrap();
        assert_eq!(
            moving.moved_outside, None,
            "HEAD moved by the deploy under way"
        );
        assert_eq!(mark(&moving, deployed), Some(TakenBack::Outside));
        drop(held);
    }

    fn why(path: &Path) -> String {
        match open(path) {
            Err(DeployError::NotARepo { message, .. }) => message,
            Err(e) => panic!("{}: another error: {e}", path.display()),
            Ok(_) => panic!("{}: opened", path.display()),
        }
    }

    #[test]
    fn a_path_that_is_no_checkout_says_why() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            why(&dir.path().join("missing")),
            "it does not exist: set path in [[deploy]] to the site's checkout"
        );
        assert_eq!(
            why(dir.path()),
            "no .git in it: clone the site's repository there, or set path in [[deploy]] to the checkout"
        );
        let file = dir.path().join("index.html");
        std::fs::write(&file, "hi").unwrap();
        assert_eq!(
            why(&file),
            "not a directory: set path in [[deploy]] to the site's checkout"
        );
        // a checkout opens
        git2::Repository::init(dir.path().join("site")).unwrap();
        assert!(open(&dir.path().join("site")).is_ok());
    }
}
