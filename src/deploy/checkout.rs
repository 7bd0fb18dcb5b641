//! Checking out a revision safely: resolve and preview (files changed,
//! commits between, a dry run that lists local files in the way), then the
//! deploy itself under the deploy lock: optional stash, tree first, then
//! HEAD, then the hooks, then the journal.
//!
//! Blocking: call from `spawn_blocking`. This module must never force a
//! checkout, never discard local work, and never move HEAD before the tree
//! is in place. The one forced write is the putting back of files a checkout
//! stopped part-way left, each checked to hold, byte for byte, the revision
//! it was going to (so nothing is lost). Previewing changes nothing;
//! deploying needs a `WriteAccess`.

use std::path::Path;
use std::time::Duration;

use git2::build::CheckoutBuilder;
use git2::{CheckoutNotificationType, Delta, DiffOptions, ErrorCode, Oid, Repository};

use crate::access::WriteAccess;
use crate::deploy::error::{DeployError, StashLeft};
use crate::deploy::hooks::{self, HookRun};
use crate::deploy::intree;
use crate::deploy::journal::{self, JournalRecord};
use crate::deploy::lock::{self, LockInfo};
use crate::deploy::status::{self, Change, CommitInfo, Owner};
use crate::deploy::{CheckoutStyle, DeployConfig};
use crate::sanitize::Clean;

/// Most files and commits listed in a preview (totals are exact).
pub const MAX_LISTED: usize = 50;

/// Most of the new commits (the newest) a preview asks the journal about, listed or not: a
/// commit rolled back once may come back far below the list, and each journal entry replayed
/// walks at most as many again.
pub const MAX_ASKED: usize = 2_000;

/// A deploy or a rollback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deploy,
    Rollback,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Deploy => "deploy",
            Kind::Rollback => "rollback",
        }
    }
}

/// What a checkout would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub kind: Kind,
    pub spec: Clean,
    pub from: Option<CommitInfo>,
    pub to: CommitInfo,
    pub files: Vec<Change>,
    pub files_total: usize,
    /// Submodules whose recorded commit the checkout moves (their files stay:
    /// `git submodule update` brings them).
    pub submodules: Vec<Clean>,
    /// The revision asked for is a local branch behind its upstream (as last fetched): its
    /// upstream's name and how many commits it lacks. A deploy checks out the local branch,
    /// which a fetch never moves, not what was pushed.
    pub stale_branch: Option<(Clean, usize)>,
    /// Commits the target has that HEAD lacks.
    pub new_commits: Vec<CommitInfo>,
    pub new_total: usize,
    /// Of the new commits asked about (the newest `new_asked`, listed or not), those live once
    /// and taken back, as the journal tells it (a commit on neither HEAD nor the upstream too:
    /// it is in no commit list).
    pub deployed_before: std::collections::HashMap<Oid, status::TakenBack>,
    /// How many of the new commits, newest first, the journal was asked about: fewer than
    /// `new_total` when [`MAX_ASKED`] was reached.
    pub new_asked: usize,
    /// The newest new commit that was live once and taken back (not "not known").
    pub newest_taken_back: Option<CommitInfo>,
    /// Commits HEAD has that the target lacks (going back).
    pub dropped_commits: Vec<CommitInfo>,
    pub dropped_total: usize,
    /// Local files the checkout would overwrite (the dry run); a stash can keep them.
    pub conflicts: Vec<Clean>,
    /// Ignored files the target tracks (the dry run): no stash keeps them, the deploy is
    /// refused until they are moved away.
    pub ignored_conflicts: Vec<Clean>,
    /// Local changes that the checkout leaves alone.
    pub local_changes: usize,
    /// What a stash-and-deploy would move out of the work tree.
    pub stash: StashPlan,
    /// The files it would move, by name (the first [`MAX_LISTED`]): every modified file, not
    /// only those in the way, and the untracked ones when the stash takes them.
    pub stash_files: Vec<Clean>,
    /// Of those, the ones this checkout changes too: a `git stash pop` after it merges them
    /// and may conflict.
    pub stash_may_conflict: Vec<Clean>,
    pub state: Option<&'static str>,
    pub lock: Option<LockInfo>,
    pub lock_stale: bool,
    pub owner: Owner,
    /// The revision asked for is HEAD, and a checkout from it to another revision stopped
    /// part-way (the journal's last entry): that revision (short), the files it left that a
    /// checkout of HEAD puts back (the first [`MAX_LISTED`]) and how many in all.
    pub left_part_way: Option<(String, Vec<Clean>, usize)>,
    /// The journal as read for this preview: what a rollback undoes and its newest entry. A
    /// rollback's request carries it, and is refused if the journal says otherwise by then.
    pub journal_seen: journal::Seen,
}

/// What a checkout stopped part-way left in the work tree: files that hold, byte for byte,
/// the revision it was going to, where HEAD's differ. Putting HEAD's back loses nothing (the
/// other bytes are in that revision); a file changed since by hand is not counted, and stays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeftPartWay {
    /// The revision the stopped checkout was going to.
    pub attempt: Oid,
    /// Files to write again from HEAD (changed, or deleted, by the stopped checkout).
    pub put_back: Vec<std::path::PathBuf>,
    /// Files the stopped checkout added, which HEAD does not have.
    pub remove: Vec<std::path::PathBuf>,
}

impl LeftPartWay {
    pub fn files(&self) -> impl Iterator<Item = &std::path::PathBuf> {
        self.remove.iter().chain(&self.put_back)
    }
}

/// What the journal's last entry, a checkout from HEAD that stopped part-way, left in the work
/// tree (None when it is not that, or left nothing).
pub fn left_part_way(repo: &Repository, head: Oid) -> Option<LeftPartWay> {
    let (entries, _) = journal::read(repo.path());
    let last = entries
        .last()
        .filter(|e| !e.ok() && e.from == head.to_string())?;
    let attempt = Oid::from_str(&last.to).ok().filter(|a| *a != head)?;
    let new = repo.find_commit(attempt).ok()?.tree().ok()?;
    let old = repo.find_commit(head).ok()?.tree().ok()?;
    let workdir = repo.workdir()?;
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), None).ok()?;
    let mut left = LeftPartWay {
        attempt,
        put_back: Vec::new(),
        remove: Vec::new(),
    };
    for d in diff.deltas() {
        let Some(rel) = d.new_file().path().or(d.old_file().path()) else {
            continue;
        };
        let written = || {
            new.get_path(rel)
                .is_ok_and(|entry| holds_already(workdir, rel, &entry))
        };
        match d.status() {
            Delta::Added if written() => left.remove.push(rel.to_path_buf()),
            Delta::Deleted if intree::absent(workdir, rel) => left.put_back.push(rel.to_path_buf()),
            Delta::Modified | Delta::Typechange if written() => {
                left.put_back.push(rel.to_path_buf())
            }
            _ => {}
        }
    }
    (!left.remove.is_empty() || !left.put_back.is_empty()).then_some(left)
}

/// Resolve a revspec (short id, tag, branch, `HEAD~2`, `origin/main`) to a commit.
///
/// A short id that several objects start with names the one commit among them, as
/// `git checkout` reads it (a commit-ish): a blob or tree sharing the prefix does not make it
/// ambiguous, two commits do.
pub fn resolve<'r>(
    repo: &'r Repository,
    path: &Path,
    spec: &str,
) -> Result<git2::Commit<'r>, DeployError> {
    let spec = spec.trim();
    let none = || DeployError::NoSuchRevision {
        path: path.to_path_buf(),
        spec: crate::sanitize::sanitize_capped(spec, 100),
    };
    let ambiguous = || DeployError::AmbiguousRevision {
        path: path.to_path_buf(),
        spec: crate::sanitize::sanitize_capped(spec, 100),
    };
    if spec.is_empty() {
        return Err(none());
    }
    let parse = |spec: &str| {
        repo.revparse_single(spec).map_err(|e| match e.code() {
            ErrorCode::Ambiguous => ambiguous(),
            ErrorCode::NotFound | ErrorCode::InvalidSpec => none(),
            _ => DeployError::git(path, "revparse", e),
        })
    };
    let obj = match parse(spec) {
        Err(DeployError::AmbiguousRevision { .. }) => {
            // `abc1234`, `abc1234~2`, `abc1234^`: the short id read as a commit, then the rest
            let hex = spec.len()
                - spec
                    .trim_start_matches(|c: char| c.is_ascii_hexdigit())
                    .len();
            let (short, rest) = spec.split_at(hex);
            if short.len() < 4 || !rest.is_empty() && !rest.starts_with(['~', '^']) {
                return Err(ambiguous());
            }
            let mut commits = commits_by_prefix(repo, short)
                .map_err(|e| DeployError::git(path, "object lookup", e))?;
            let Some(id) = commits.pop_first() else {
                return Err(none());
            };
            if !commits.is_empty() {
                return Err(ambiguous());
            }
            parse(&format!("{id}{rest}"))?
        }
        other => other?,
    };
    obj.peel_to_commit().map_err(|_| none())
}

/// The commits the objects whose id starts with `short` (hex) are or point to (an annotated
/// tag): blobs and trees are left out. Reads every object id, so only for a short id
/// revparse found ambiguous.
fn commits_by_prefix(
    repo: &Repository,
    short: &str,
) -> Result<std::collections::BTreeSet<Oid>, git2::Error> {
    let want: Vec<u8> = short
        .chars()
        .filter_map(|c| c.to_digit(16))
        .map(|d| d as u8)
        .collect();
    let starts = |id: &Oid| {
        let b = id.as_bytes();
        want.len() <= 2 * b.len()
            && want.iter().enumerate().all(|(i, d)| {
                let byte = b[i / 2];
                *d == if i % 2 == 0 { byte >> 4 } else { byte & 0xf }
            })
    };
    let mut found = std::collections::BTreeSet::new();
    // a packed object may also be loose: the set keeps each once
    repo.odb()?.foreach(|id| {
        if starts(id) {
            found.insert(*id);
        }
        true
    })?;
    Ok(found
        .into_iter()
        .filter_map(|id| repo.find_object(id, None).ok()?.peel_to_commit().ok())
        .map(|c| c.id())
        .collect())
}

/// `spec` names a local branch that lacks commits of its upstream: the upstream's name and how
/// many (`main` typed where `origin/main` was meant).
fn stale_local_branch(repo: &Repository, spec: &str) -> Option<(Clean, usize)> {
    let branch = repo.find_branch(spec, git2::BranchType::Local).ok()?;
    let upstream = branch.upstream().ok()?;
    let (local, up) = (branch.get().target()?, upstream.get().target()?);
    let (_, behind) = repo.graph_ahead_behind(local, up).ok()?;
    let name = upstream.name().ok().flatten()?;
    (behind > 0).then(|| (Clean::capped(name, 100), behind))
}

/// libgit2's `GIT_CHECKOUT_DRY_RUN` (checkout.h): compute every action and
/// report conflicts, then stop before touching the work tree. git2 0.21 does
/// not expose it (its `dry_run()` is `GIT_CHECKOUT_NONE`, which reports no
/// conflicts at all).
const GIT_CHECKOUT_DRY_RUN: u32 = 1 << 24;

/// libgit2's `GIT_CHECKOUT_DONT_WRITE_INDEX`. A dry run still writes the
/// index back when it ends (libgit2 1.9 `checkout.c`: the write is skipped
/// only under this flag), taking `index.lock` and replacing `.git/index`;
/// a preview must not, so it says so.
const GIT_CHECKOUT_DONT_WRITE_INDEX: u32 = 1 << 23;

/// Local files a safe checkout of `target` would refuse to overwrite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conflicts {
    /// Modified or untracked files: a stash can keep them.
    pub local: Vec<Clean>,
    /// One of `local` is untracked: only a stash of untracked files too
    /// (all of them: uploads and notes as well) clears the way.
    pub untracked: bool,
    /// Ignored files (a site's own `config.php`, `.env`, uploads) that the
    /// target tracks: git would overwrite them silently and a stash does
    /// not keep them, so a deploy over them is refused.
    pub ignored: Vec<Clean>,
    /// Files libgit2 finds in the way that are byte for byte what the target
    /// puts there (a checkout that stopped part-way wrote them): replacing
    /// them loses nothing, so they are not in the way. The deploy removes
    /// them just before the checkout writes them again.
    pub already: Vec<std::path::PathBuf>,
}

impl Conflicts {
    pub fn is_empty(&self) -> bool {
        self.local.is_empty() && self.ignored.is_empty()
    }

    /// Every file in the way, ignored ones first.
    pub fn all(self) -> Vec<String> {
        self.ignored
            .into_iter()
            .chain(self.local)
            .map(Clean::into_string)
            .collect()
    }
}

/// The checkout options every checkout here uses: safe (never overwrite
/// local work), and ignored files count as local work.
fn safe_checkout<'cb>() -> CheckoutBuilder<'cb> {
    let mut cb = CheckoutBuilder::new();
    cb.safe().overwrite_ignored(false);
    cb
}

/// Local files a safe checkout of `target` would refuse to overwrite, as
/// libgit2 itself judges them. Changes nothing on disk.
pub fn dry_run(
    repo: &Repository,
    path: &Path,
    target: &git2::Commit<'_>,
) -> Result<Conflicts, DeployError> {
    use git2::Binding;
    let mut found: Vec<std::path::PathBuf> = Vec::new();
    let rc = {
        let mut cb = safe_checkout();
        cb.notify_on(CheckoutNotificationType::CONFLICT)
            .notify(|_, p, _, _, _| {
                if let Some(p) = p {
                    found.push(p.to_path_buf());
                }
                true
            });
        let tree = target.as_object();
        // SAFETY: `opts` is initialised by libgit2 for this version and then
        // filled by git2 from `cb`, which outlives the call (its callbacks
        // point into `cb`); `repo` and `tree` are live git2 handles.
        unsafe {
            let mut opts: libgit2_sys::git_checkout_options = std::mem::zeroed();
            let rc = libgit2_sys::git_checkout_init_options(
                &mut opts,
                libgit2_sys::GIT_CHECKOUT_OPTIONS_VERSION,
            );
            if rc < 0 {
                return Err(DeployError::git(
                    path,
                    "dry run",
                    git2::Error::last_error(rc),
                ));
            }
            cb.configure(&mut opts);
            opts.checkout_strategy |= GIT_CHECKOUT_DRY_RUN | GIT_CHECKOUT_DONT_WRITE_INDEX;
            libgit2_sys::git_checkout_tree(repo.raw(), tree.raw(), &opts)
        }
    };
    if rc == 0 || (rc == libgit2_sys::GIT_ECONFLICT && !found.is_empty()) {
        let index = repo
            .index()
            .map_err(|e| DeployError::git(path, "index", e))?;
        let mut conflicts = Conflicts::default();
        let workdir = repo.workdir().unwrap_or(path);
        let tree = target
            .tree()
            .map_err(|e| DeployError::git(path, "dry run", e))?;
        for p in found {
            if tree
                .get_path(&p)
                .is_ok_and(|entry| holds_already(workdir, &p, &entry))
            {
                conflicts.already.push(p);
                continue;
            }
            let tracked = index.get_path(&p, 0).is_some();
            let c = Clean::capped(&p.to_string_lossy(), 300);
            if !tracked && repo.is_path_ignored(&p).unwrap_or(false) {
                conflicts.ignored.push(c);
            } else {
                conflicts.untracked |= !tracked;
                conflicts.local.push(c);
            }
        }
        return Ok(conflicts);
    }
    Err(DeployError::git(
        path,
        "dry run",
        git2::Error::last_error(rc),
    ))
}

/// The work tree's `rel` is byte for byte the blob `entry` names (a symbolic link: its
/// target), as a checkout would write it. Content passed through a filter (`eol`, `ident`)
/// differs and is left as local work. A link is never read through, neither at `rel` (the
/// file it points to is no part of it) nor on the way to it (what is there is not the tree's).
fn holds_already(workdir: &Path, rel: &Path, entry: &git2::TreeEntry<'_>) -> bool {
    entry.kind() == Some(git2::ObjectType::Blob)
        && holds_blob(
            workdir,
            rel,
            entry.id(),
            entry.filemode() == i32::from(git2::FileMode::Link),
        )
}

/// `rel` in the work tree is the blob `id` as a checkout writes it: a symbolic link (`link`)
/// whose target is the blob's bytes, as git stores a link, or a regular file of those bytes.
fn holds_blob(workdir: &Path, rel: &Path, id: Oid, link: bool) -> bool {
    intree::blob_id(workdir, rel, link) == Some(id)
}

/// The commits reachable from `include` and not from `exclude`, newest first: the first
/// [`MAX_LISTED`], how many in all, and the ids of the first `ids` of them.
fn commits_between(
    repo: &Repository,
    path: &Path,
    include: Oid,
    exclude: Option<Oid>,
    ids: usize,
) -> Result<(Vec<CommitInfo>, usize, Vec<Oid>), DeployError> {
    let g = |e| DeployError::git(path, "log", e);
    let mut walk = repo.revwalk().map_err(g)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
        .map_err(g)?;
    walk.push(include).map_err(g)?;
    if let Some(x) = exclude {
        walk.hide(x).map_err(g)?;
    }
    let mut out = Vec::new();
    let mut kept = Vec::new();
    let mut total = 0;
    for id in walk {
        let id = id.map_err(g)?;
        total += 1;
        if out.len() < MAX_LISTED {
            out.push(CommitInfo::from_commit(&repo.find_commit(id).map_err(g)?));
        }
        if kept.len() < ids {
            kept.push(id);
        }
    }
    Ok((out, total, kept))
}

/// What checking out `spec` would do. Reads only.
pub fn preview(cfg: &DeployConfig, spec: &str, kind: Kind) -> Result<Preview, DeployError> {
    let path = cfg.path.as_path();
    let repo = status::open(path)?;
    let target = resolve(&repo, path, spec)?;
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let g = |e| DeployError::git(path, "diff", e);

    let old_tree = head.as_ref().map(|h| h.tree()).transpose().map_err(g)?;
    let new_tree = target.tree().map_err(g)?;
    let mut opts = DiffOptions::new();
    let diff = repo
        .diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(&mut opts))
        .map_err(g)?;
    let mut files = Vec::new();
    for d in diff.deltas().take(MAX_LISTED) {
        let kind = match d.status() {
            Delta::Added => 'A',
            Delta::Deleted => 'D',
            Delta::Renamed => 'R',
            Delta::Typechange => 'T',
            _ => 'M',
        };
        let p = d.new_file().path().or(d.old_file().path());
        files.push(Change {
            kind,
            path: Clean::capped(&p.map(|p| p.to_string_lossy()).unwrap_or_default(), 300),
        });
    }
    let files_total = diff.deltas().len();
    // A submodule's recorded commit moves with the checkout; its files do not.
    let submodules: Vec<Clean> = diff
        .deltas()
        .filter(|d| d.new_file().mode() == git2::FileMode::Commit)
        .filter_map(|d| {
            d.new_file()
                .path()
                .map(|p| Clean::capped(&p.to_string_lossy(), 200))
        })
        .collect();
    let stale_branch = stale_local_branch(&repo, spec.trim());
    let head_id = head.as_ref().map(|h| h.id());
    let (new_commits, new_total, asked) =
        commits_between(&repo, path, target.id(), head_id, MAX_ASKED)?;
    let (entries, _, journal_size) = journal::read_sized(repo.path());
    let deployed_before = status::taken_back_of(&repo, &entries, asked.iter().copied().collect());
    let newest_taken_back = asked
        .iter()
        .find(|id| {
            deployed_before
                .get(id)
                .is_some_and(|b| *b != status::TakenBack::NotKnown)
        })
        .and_then(|id| repo.find_commit(*id).ok())
        .map(|c| CommitInfo::from_commit(&c));
    let (dropped_commits, dropped_total) = match head_id {
        Some(h) => {
            let (c, n, _) = commits_between(&repo, path, h, Some(target.id()), 0)?;
            (c, n)
        }
        None => (Vec::new(), 0),
    };
    let state = status::state_name(repo.state());
    // With an operation in progress the deploy is refused anyway (and
    // libgit2 cannot plan a checkout over an unmerged index).
    let conflicts = match state {
        None => dry_run(&repo, path, &target)?,
        Some(_) => Conflicts::default(),
    };
    let (m, u, changes) = status::local_changes(&repo, path)?;
    let stash_files = stash_takes(&changes, conflicts.untracked);
    let stash_may_conflict = also_changed(&diff, &stash_files);
    let lock = lock::read(repo.path());
    let workdir = repo.workdir().unwrap_or(path).to_path_buf();
    let left_part_way = head_id
        .filter(|h| *h == target.id())
        .and_then(|h| left_part_way(&repo, h))
        .map(|l| {
            let files = l
                .files()
                .take(MAX_LISTED)
                .map(|p| Clean::capped(&p.to_string_lossy(), 300))
                .collect();
            (status::short_id(l.attempt), files, l.files().count())
        });
    Ok(Preview {
        kind,
        spec: Clean::capped(spec.trim(), 100),
        from: head.as_ref().map(CommitInfo::from_commit),
        to: CommitInfo::from_commit(&target),
        files,
        files_total,
        submodules,
        stale_branch,
        new_commits,
        new_total,
        deployed_before,
        new_asked: asked.len(),
        newest_taken_back,
        dropped_commits,
        dropped_total,
        local_changes: (m + u).saturating_sub(conflicts.local.len()),
        stash: StashPlan {
            takes: m + if conflicts.untracked { u } else { 0 },
            untracked: conflicts.untracked,
            leaves: if conflicts.untracked { 0 } else { u },
        },
        stash_files,
        stash_may_conflict,
        conflicts: conflicts.local,
        ignored_conflicts: conflicts.ignored,
        state,
        lock_stale: lock.as_ref().is_some_and(|l| l.is_stale()),
        lock,
        owner: status::owner_of(&workdir)?,
        left_part_way,
        journal_seen: journal::Seen::of(&entries, journal_size),
    })
}

/// The local changes a stash takes, by name: the modified files, and the untracked ones too
/// when `untracked`.
fn stash_takes(changes: &[Change], untracked: bool) -> Vec<Clean> {
    changes
        .iter()
        .filter(|c| untracked || c.kind != '?')
        .take(MAX_LISTED)
        .map(|c| c.path.clone())
        .collect()
}

/// The files among `stashed` that `diff` changes too (added, modified, deleted or renamed,
/// compared as shown): a `git stash pop` after the checkout merges them, and may conflict.
fn also_changed(diff: &git2::Diff<'_>, stashed: &[Clean]) -> Vec<Clean> {
    if stashed.is_empty() {
        return Vec::new();
    }
    let changed: std::collections::HashSet<Clean> = diff
        .deltas()
        .flat_map(|d| [d.old_file().path(), d.new_file().path()])
        .flatten()
        .map(|p| Clean::capped(&p.to_string_lossy(), 300))
        .collect();
    stashed
        .iter()
        .filter(|f| changed.contains(*f))
        .cloned()
        .collect()
}

/// The files among `stashed` that differ between the revisions `from` and `to`.
fn stash_may_conflict(
    repo: &Repository,
    from: Option<Oid>,
    to: Oid,
    stashed: &[Clean],
) -> Vec<Clean> {
    let tree = |id: Oid| repo.find_commit(id).and_then(|c| c.tree()).ok();
    let old = from.and_then(tree);
    let Some(new) = tree(to) else {
        return Vec::new();
    };
    repo.diff_tree_to_tree(old.as_ref(), Some(&new), None)
        .map(|d| also_changed(&d, stashed))
        .unwrap_or_default()
}

/// What a stash before the checkout takes: git stash moves every modified
/// file, and untracked files only when one of them is in the way (then all
/// of them, a site's uploads too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StashPlan {
    /// Local changes moved into the stash.
    pub takes: usize,
    /// Untracked files are stashed too.
    pub untracked: bool,
    /// Untracked files left where they are.
    pub leaves: usize,
}

/// A confirmed checkout, pinned to what the preview showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployRequest {
    pub kind: Kind,
    pub to: Oid,
    /// HEAD as previewed (None: unborn); the deploy refuses if it moved.
    pub expected_from: Option<Oid>,
    /// Stash local work (untracked included) before checking out.
    pub stash: bool,
    /// The stale lock the user agreed to take over.
    pub take_over: Option<LockInfo>,
    /// A rollback: the journal as its dialog showed it ([`Preview::journal_seen`]). Read again
    /// under the lock; if another deploy or rollback was journaled since, it is refused.
    /// (Boxed: a request travels in every deploy effect and event.)
    pub journal_seen: Option<Box<journal::Seen>>,
}

/// What a deploy did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployOutcome {
    pub kind: Kind,
    pub from: Option<Oid>,
    pub to: Oid,
    /// The stash made before the checkout ("stash@{0}" message and id).
    pub stash: Option<(Oid, Clean)>,
    /// The files that went into it (the first [`MAX_LISTED`]).
    pub stashed: Vec<Clean>,
    /// Of those, the ones the checkout changed too: `git stash pop` may conflict there.
    pub stash_may_conflict: Vec<Clean>,
    pub hooks: Vec<HookRun>,
    /// Journal write problem (the deploy itself succeeded).
    pub journal_problem: Option<Clean>,
}

impl DeployOutcome {
    pub fn hooks_ok(&self) -> bool {
        self.hooks.iter().all(|h| h.end.ok())
    }
}

fn hook_summary(hooks: &[HookRun]) -> String {
    if hooks.is_empty() {
        return "none".into();
    }
    hooks
        .iter()
        .map(|h| format!("{}: {}", h.name, h.end.describe()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Deploy: lock, check (HEAD, and for a rollback the journal, as previewed), (stash), tree,
/// HEAD, hooks, journal.
pub fn deploy(
    cfg: &DeployConfig,
    req: &DeployRequest,
    access: &WriteAccess,
) -> Result<DeployOutcome, DeployError> {
    let path = cfg.path.as_path();
    let mut repo = status::open(path)?;
    if let Some(state) = status::state_name(repo.state()) {
        return Err(DeployError::UncleanState {
            path: path.to_path_buf(),
            state: state.into(),
        });
    }
    let git_dir = repo.path().to_path_buf();
    let _lock = lock::acquire(&git_dir, req.take_over.as_ref(), access)?;

    let head_id = repo.head().ok().and_then(|h| h.target());
    if head_id != req.expected_from {
        return Err(DeployError::HeadMoved {
            path: path.to_path_buf(),
            now: head_id
                .map(status::short_id)
                .unwrap_or_else(|| "unborn".into()),
            by: head_id.and_then(|h| moved_by(&repo, &git_dir, h)),
        });
    }
    if let Some(seen) = &req.journal_seen
        && let Some((newest, goes_to)) = seen.changed(&{
            let (entries, _, size) = journal::read_sized(&git_dir);
            journal::Seen::of(&entries, size)
        })
    {
        return Err(DeployError::JournalMoved {
            path: path.to_path_buf(),
            newest,
            goes_to,
        });
    }
    let g = |what, e| DeployError::git(path, what, e);
    if let Some(head) = head_id.filter(|h| *h == req.to) {
        return put_back(&repo, cfg, req, head, access);
    }
    let conflicts = {
        let target = repo.find_commit(req.to).map_err(|e| g("find commit", e))?;
        dry_run(&repo, path, &target)?
    };
    let mut stash = None;
    let mut stashed = Vec::new();
    let mut already = conflicts.already.clone();
    if !conflicts.is_empty() {
        // A stash does not keep ignored files: refuse before stashing anything.
        if !req.stash || !conflicts.ignored.is_empty() {
            return Err(DeployError::WouldOverwrite {
                path: path.to_path_buf(),
                files: conflicts.all(),
            });
        }
        let sig = repo
            .signature()
            .or_else(|_| git2::Signature::now("opsdeck", "opsdeck@localhost"))
            .map_err(|e| g("signature", e))?;
        let msg = format!(
            "opsdeck: local work before {} to {}",
            req.kind.word(),
            status::short_id(req.to)
        );
        // Untracked files (a site's uploads) stay unless one is in the way.
        let flags = if conflicts.untracked {
            git2::StashFlags::INCLUDE_UNTRACKED
        } else {
            git2::StashFlags::DEFAULT
        };
        stashed = stash_takes(&status::local_changes(&repo, path)?.2, conflicts.untracked);
        let id = repo
            .stash_save2(&sig, Some(&msg), Some(flags))
            .map_err(|e| g("stash", e))?;
        stash = Some((id, Clean::new(&msg)));
        let target = repo.find_commit(req.to).map_err(|e| g("find commit", e))?;
        let still = dry_run(&repo, path, &target)?;
        if !still.is_empty() {
            // Not "as they were": the changes left the work tree for the stash.
            return Err(DeployError::StashedThenRefused {
                path: path.to_path_buf(),
                stash: status::short_id(id),
                files: still.all(),
            });
        }
        already = still.already;
    }
    // What a checkout stopped part-way left: the target's own bytes, written again next.
    let workdir = repo.workdir().unwrap_or(path).to_path_buf();
    for rel in &already {
        intree::remove(&workdir, rel).map_err(|e| DeployError::io(&workdir.join(rel), e))?;
    }

    let target = repo.find_commit(req.to).map_err(|e| g("find commit", e))?;
    // The tree first: a failure here leaves HEAD where it was, but maybe
    // not every file (libgit2 stops at the first file it cannot write).
    let mut cb = safe_checkout();
    // Then HEAD. A HEAD that cannot be moved (a `HEAD.lock` left by a git command killed, or
    // one running in the docroot at that moment) leaves the tree the new revision's: said and
    // journaled as a checkout stopped part-way, whose files are all written.
    let moved = repo
        .checkout_tree(target.as_object(), Some(&mut cb))
        .map_err(|e| e.message().to_string())
        .and_then(|()| {
            move_head(&repo, cfg, req).map_err(|e| format!("HEAD not moved: {}", e.message()))
        });
    if let Err(message) = moved {
        let workdir = repo.workdir().unwrap_or(path).to_path_buf();
        let old_tree = head_id
            .and_then(|h| repo.find_commit(h).ok())
            .and_then(|c| c.tree().ok());
        let written = target
            .tree()
            .map(|new| written_from(&repo, &workdir, old_tree.as_ref(), &new))
            .unwrap_or_default();
        let rec = JournalRecord {
            time: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            user: lock::current_user(),
            host: lock::current_host(),
            kind: req.kind.word().into(),
            from: head_id.map(|o| o.to_string()).unwrap_or_default(),
            to: req.to.to_string(),
            result: format!(
                "checkout stopped part-way ({} file(s) written): {message}",
                written.len()
            ),
            hook: "none".into(),
        };
        // The error says what happened; a journal problem adds nothing to act on.
        let _ = journal::append(&git_dir, &rec, access);
        return Err(DeployError::PartialCheckout {
            path: path.to_path_buf(),
            to: status::short_id(req.to),
            message,
            written_total: written.len(),
            written: written.into_iter().take(MAX_LISTED).collect(),
            stash: stash.as_ref().map(|(id, _)| {
                Box::new(StashLeft {
                    id: status::short_id(*id),
                    may_conflict: stash_may_conflict(&repo, head_id, req.to, &stashed)
                        .into_iter()
                        .map(Clean::into_string)
                        .collect(),
                })
            }),
        });
    }
    let workdir = repo.workdir().unwrap_or(path).to_path_buf();
    let from_s = head_id
        .map(|o| o.to_string())
        .unwrap_or_else(|| Oid::ZERO_SHA1.to_string());
    let to_s = req.to.to_string();
    let timeout = Duration::from_secs(cfg.hook_timeout_secs.max(1));
    let env = [
        ("OPSDECK_DEPLOY_TARGET", cfg.name.clone()),
        ("OPSDECK_DEPLOY_FROM", from_s.clone()),
        ("OPSDECK_DEPLOY_TO", to_s.clone()),
        ("OPSDECK_DEPLOY_KIND", req.kind.word().to_string()),
    ];
    let mut runs = Vec::new();
    if let Some(h) = hooks::post_checkout_hook(&repo) {
        let mut cmd = std::process::Command::new(&h);
        cmd.args([from_s.as_str(), to_s.as_str(), "1"]);
        runs.push(hooks::run(
            "post-checkout",
            cmd,
            &workdir,
            &env,
            timeout,
            access,
        ));
    }
    if let Some(line) = cfg.post_deploy.as_deref().filter(|l| !l.trim().is_empty()) {
        runs.push(hooks::run(
            "post-deploy",
            hooks::shell(line),
            &workdir,
            &env,
            timeout,
            access,
        ));
    }

    let rec = JournalRecord {
        time: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        user: lock::current_user(),
        host: lock::current_host(),
        kind: req.kind.word().into(),
        from: head_id.map(|o| o.to_string()).unwrap_or_default(),
        to: to_s,
        result: "ok".into(),
        hook: hook_summary(&runs),
    };
    let journal_problem = journal::append(&git_dir, &rec, access)
        .err()
        .map(|e| Clean::new(&e.to_string()));
    let stash_may_conflict = match stash {
        Some(_) => stash_may_conflict(&repo, head_id, req.to, &stashed),
        None => Vec::new(),
    };
    Ok(DeployOutcome {
        kind: req.kind,
        from: head_id,
        to: req.to,
        stash,
        stashed,
        stash_may_conflict,
        hooks: runs,
        journal_problem,
    })
}

/// A deploy of HEAD itself, under the lock: put back what a checkout from HEAD that stopped
/// part-way left (see [`left_part_way`]), and only that. The files are HEAD's again, HEAD does
/// not move, no hook runs; the journal says "restore".
fn put_back(
    repo: &Repository,
    cfg: &DeployConfig,
    req: &DeployRequest,
    head: Oid,
    access: &WriteAccess,
) -> Result<DeployOutcome, DeployError> {
    let path = cfg.path.as_path();
    let g = |what, e| DeployError::git(path, what, e);
    let Some(left) = left_part_way(repo, head) else {
        return Err(DeployError::NothingLeft {
            path: path.to_path_buf(),
            head: status::short_id(head),
        });
    };
    let workdir = repo.workdir().unwrap_or(path).to_path_buf();
    for rel in &left.remove {
        intree::remove(&workdir, rel).map_err(|e| DeployError::io(&workdir.join(rel), e))?;
    }
    if !left.put_back.is_empty() {
        let tree = repo
            .find_commit(head)
            .and_then(|c| c.tree())
            .map_err(|e| g("find commit", e))?;
        // forced, but only over the files named: each holds the other revision's bytes
        let mut cb = CheckoutBuilder::new();
        // names, not patterns: a file called `*.html` must not reach every page
        cb.force().disable_pathspec_match(true);
        for rel in &left.put_back {
            cb.path(rel);
        }
        repo.checkout_tree(tree.as_object(), Some(&mut cb))
            .map_err(|e| g("put back", e))?;
    }
    let rec = JournalRecord {
        time: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        user: lock::current_user(),
        host: lock::current_host(),
        kind: journal::RESTORE.into(),
        from: head.to_string(),
        to: head.to_string(),
        result: "ok".into(),
        hook: "none".into(),
    };
    let journal_problem = journal::append(repo.path(), &rec, access)
        .err()
        .map(|e| Clean::new(&e.to_string()));
    Ok(DeployOutcome {
        kind: req.kind,
        from: Some(head),
        to: head,
        stash: None,
        stashed: Vec::new(),
        stash_may_conflict: Vec::new(),
        hooks: Vec::new(),
        journal_problem,
    })
}

/// Put HEAD at the deployed commit: detached there, or on the configured branch moved there.
fn move_head(
    repo: &Repository,
    cfg: &DeployConfig,
    req: &DeployRequest,
) -> Result<(), git2::Error> {
    match cfg.checkout {
        CheckoutStyle::Detached => repo.set_head_detached(req.to),
        CheckoutStyle::Branch => {
            let refname = format!("refs/heads/{}", cfg.branch);
            repo.reference(
                &refname,
                req.to,
                true,
                &format!("opsdeck: {} to {}", req.kind.word(), req.to),
            )?;
            repo.set_head(&refname)
        }
    }
}

/// Who put HEAD at `head`, for a deploy refused because HEAD moved since its preview: another
/// deploy or rollback (the journal's newest entry, when it went there), else the reflog's mover.
fn moved_by(repo: &Repository, git_dir: &Path, head: Oid) -> Option<String> {
    let (entries, _) = journal::read(git_dir);
    if let Some(e) = entries
        .last()
        .filter(|e| e.ok() && e.to == head.to_string())
    {
        return Some(format!(
            "{} by {}@{}, {}",
            e.kind,
            e.user,
            e.host,
            e.local_time()
        ));
    }
    let mover = status::head_mover(repo, head)?;
    Some(format!("moved outside opsdeck by {}", mover.by))
}

/// After a checkout from `old` to `new` failed part-way: the files that
/// change between them whose work-tree state is already `new`'s.
fn written_from(
    repo: &Repository,
    workdir: &Path,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
) -> Vec<String> {
    let Ok(diff) = repo.diff_tree_to_tree(old, Some(new), None) else {
        return Vec::new();
    };
    diff.deltas()
        .filter_map(|d| {
            let f = d.new_file();
            let rel = f.path().or(d.old_file().path())?;
            let done = match d.status() {
                Delta::Deleted => intree::absent(workdir, rel),
                _ => holds_blob(workdir, rel, f.id(), f.mode() == git2::FileMode::Link),
            };
            done.then(|| Clean::capped(&rel.to_string_lossy(), 300).into_string())
        })
        .collect()
}

/// Run the configured post-deploy command alone (no checkout), under the lock.
pub fn run_post_deploy(cfg: &DeployConfig, access: &WriteAccess) -> Result<HookRun, DeployError> {
    let path = cfg.path.as_path();
    let repo = status::open(path)?;
    let Some(line) = cfg.post_deploy.as_deref().filter(|l| !l.trim().is_empty()) else {
        return Err(DeployError::Hook {
            command: "post-deploy".into(),
            message: "no post_deploy command configured".into(),
        });
    };
    let _lock = lock::acquire(repo.path(), None, access)?;
    let head = repo.head().ok().and_then(|h| h.target());
    let h = head.map(|o| o.to_string()).unwrap_or_default();
    let env = [
        ("OPSDECK_DEPLOY_TARGET", cfg.name.clone()),
        ("OPSDECK_DEPLOY_FROM", h.clone()),
        ("OPSDECK_DEPLOY_TO", h),
        ("OPSDECK_DEPLOY_KIND", "hook".to_string()),
    ];
    let workdir = repo.workdir().unwrap_or(path).to_path_buf();
    Ok(hooks::run(
        "post-deploy",
        hooks::shell(line),
        &workdir,
        &env,
        Duration::from_secs(cfg.hook_timeout_secs.max(1)),
        access,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file or a symbolic link in the way holds the target's entry only when its bytes (a
    /// link: its target) are the blob's, and it is of the entry's kind.
    #[test]
    fn only_the_targets_own_bytes_are_already_there() {
        let d = tempfile::tempdir().unwrap();
        let repo = Repository::init(d.path()).unwrap();
        let page = repo.blob(b"<h1>five</h1>\n").unwrap();
        let link = repo.blob(b"index.html").unwrap();
        let mut tb = repo.treebuilder(None).unwrap();
        tb.insert("page.html", page, 0o100755).unwrap();
        tb.insert("current", link, 0o120000).unwrap();
        let tree = repo.find_tree(tb.write().unwrap()).unwrap();
        let entry = |name: &str| tree.get_path(Path::new(name)).unwrap();
        let wd = d.path();
        let holds = |name: &str| holds_already(wd, Path::new(name), &entry(name));

        assert!(!holds("page.html"), "not there at all");
        std::fs::write(wd.join("page.html"), "<h1>five</h1>\n").unwrap();
        assert!(holds("page.html"), "the same bytes, whatever the mode");
        std::fs::write(wd.join("page.html"), "<h1>mine</h1>\n").unwrap();
        assert!(!holds("page.html"));

        std::os::unix::fs::symlink("index.html", wd.join("current")).unwrap();
        assert!(holds("current"));
        std::fs::remove_file(wd.join("current")).unwrap();
        std::os::unix::fs::symlink("other.html", wd.join("current")).unwrap();
        assert!(!holds("current"));
        // a file holding the link's text is not the link
        std::fs::remove_file(wd.join("current")).unwrap();
        std::fs::write(wd.join("current"), "index.html").unwrap();
        assert!(!holds("current"));
    }

    /// A file the target adds under a directory that is a link in the work tree (`uploads` to
    /// shared storage) is not the target's own bytes already there, even when the file it
    /// reaches holds them: it is in the way, and the deploy never removes it through the link.
    #[test]
    fn a_file_beyond_a_linked_directory_is_in_the_way_not_already_there() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let wd = d.path();
        let repo = Repository::init(wd).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let page = repo.blob(b"<h1>one</h1>\n").unwrap();
        let mut tb = repo.treebuilder(None).unwrap();
        tb.insert("index.html", page, 0o100644).unwrap();
        let one = repo.find_tree(tb.write().unwrap()).unwrap();
        let a = repo
            .commit(Some("HEAD"), &sig, &sig, "one", &one, &[])
            .unwrap();
        repo.checkout_head(Some(CheckoutBuilder::new().force()))
            .unwrap();
        let up = repo.blob(b"up\n").unwrap();
        let mut sub = repo.treebuilder(None).unwrap();
        sub.insert("a.html", up, 0o100644).unwrap();
        let sub = sub.write().unwrap();
        let mut tb = repo.treebuilder(Some(&one)).unwrap();
        tb.insert("uploads", sub, 0o040000).unwrap();
        let two = repo.find_tree(tb.write().unwrap()).unwrap();
        let parent = repo.find_commit(a).unwrap();
        let b = repo
            .commit(None, &sig, &sig, "two", &two, &[&parent])
            .unwrap();
        std::fs::write(outside.path().join("a.html"), "up\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), wd.join("uploads")).unwrap();

        let c = dry_run(&repo, wd, &repo.find_commit(b).unwrap()).unwrap();
        assert!(c.already.is_empty(), "{:?}", c.already);
        assert!(!c.is_empty(), "the link is in the way");
        assert!(c.untracked);
    }
}
