//! The deploy feature's one error type.
//!
//! Every variant names the repository, file or command that failed, so the
//! pane can show a sentence a person can act on. This module never does I/O.

use std::path::PathBuf;

/// What went wrong while reading or changing a deploy checkout.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{}: no deploy path configured ([[deploy]] path = ...)", name)]
    NoPath { name: String },
    #[error(
        "{}: owned by {} (uid {owner}), opsdeck runs as {}; git refuses a checkout another user owns. Run as the owner (sudo -u {} opsdeck), or trust it with: git config --global --add safe.directory {}",
        path.display(),
        owner_name,
        me_name,
        owner_name,
        trust.display()
    )]
    Owner {
        path: PathBuf,
        /// The directory as git compares it with `safe.directory`: symbolic links resolved, no
        /// trailing slash (the path as configured matches neither way).
        trust: PathBuf,
        owner: u32,
        me: u32,
        /// The users' names, looked up where the error is made (off the event loop: a lookup
        /// may ask a directory server).
        owner_name: String,
        me_name: String,
    },
    #[error("{}: not a git work tree: {message}", path.display())]
    NotARepo { path: PathBuf, message: String },
    #[error("{}: {what}: {message}", path.display())]
    Git {
        path: PathBuf,
        what: &'static str,
        message: String,
    },
    #[error("{}: no revision matches {spec:?}", path.display())]
    NoSuchRevision { path: PathBuf, spec: String },
    #[error("{}: {spec:?} is ambiguous: more than one object id starts with it; type more of the id", path.display())]
    AmbiguousRevision { path: PathBuf, spec: String },
    #[error("{}: a {state} is in progress; finish or abort it first", path.display())]
    UncleanState { path: PathBuf, state: String },
    #[error("{}: HEAD moved since the preview (now {now}{}); look again", path.display(), by.as_deref().map(|b| format!(", {b}")).unwrap_or_default())]
    HeadMoved {
        path: PathBuf,
        now: String,
        /// Who moved it, when known: "deploy by alice@web1, 2026-12-06 05:19" from the journal,
        /// or "moved outside opsdeck by NAME" from git's reflog.
        by: Option<String>,
    },
    /// A rollback confirmed against a journal that has changed since (another console deployed
    /// or rolled back): what it says now, from [`crate::deploy::journal::Seen::changed`].
    #[error("{}: the deploy journal changed since the rollback was previewed ({newest}; {goes_to}); look again", path.display())]
    JournalMoved {
        path: PathBuf,
        /// "newest entry now: deploy by alice@web1, 2026-12-06 21:40, 1111111 -> 2222222"
        newest: String,
        /// "a rollback now goes to 1111111, undoing the deploy by alice@web1, ..."
        goes_to: String,
    },
    /// The checkout stopped part-way: HEAD did not move, but some files are
    /// already the new revision's.
    #[error(
        "{}: checkout of {to} stopped part-way: {message}{}", path.display(),
        stash.as_ref().map(|s| format!("; the local changes are in the stash ({}, stash@{{0}})", s.id)).unwrap_or_default()
    )]
    PartialCheckout {
        path: PathBuf,
        to: String,
        message: String,
        /// Files already written from `to` (at most [`crate::deploy::checkout::MAX_LISTED`]).
        written: Vec<String>,
        written_total: usize,
        /// The stash made before the checkout: the local changes are there, not in the work
        /// tree. (Boxed: the error stays small enough to return by value.)
        stash: Option<Box<StashLeft>>,
    },
    #[error("{}: {} local file(s) would be overwritten: {}", path.display(), files.len(), files.join(", "))]
    WouldOverwrite { path: PathBuf, files: Vec<String> },
    /// The local changes were stashed, and the checkout still found files in
    /// the way (a repository cloned by hand inside the docroot, which no
    /// stash takes): HEAD did not move, but the stashed changes are no
    /// longer in the work tree.
    #[error(
        "{}: {} file(s) still in the way after the stash: {}; the local changes are in the stash ({stash}, stash@{{0}}): git stash pop in {} puts them back",
        path.display(), files.len(), files.join(", "), path.display()
    )]
    StashedThenRefused {
        path: PathBuf,
        /// The stash commit, short.
        stash: String,
        files: Vec<String>,
    },
    #[error("{}: {head} is already deployed, and nothing a checkout stopped part-way left is there to put back; look again", path.display())]
    NothingLeft { path: PathBuf, head: String },
    #[error("{}: deploy lock held by {holder}", path.display())]
    Locked {
        path: PathBuf,
        /// Who holds it, as the lock file says ([`LockInfo::holder_text`]): escaped where it
        /// is shown, with the rest of the error.
        ///
        /// [`LockInfo::holder_text`]: crate::deploy::lock::LockInfo::holder_text
        holder: String,
        /// The lock as read, for a takeover after confirmation.
        lock: Box<crate::deploy::lock::LockInfo>,
        stale: bool,
    },
    /// The takeover guard beside the lock may not be opened by this user (another user's,
    /// made by an older opsdeck under a umask of 077): a takeover of a stale lock without it
    /// could race another one, so none is made. Its owner can make it readable.
    #[error(
        "{}: a stale lock cannot be taken over: this guard is {owner}'s, mode {mode:04o}, not readable to you; {owner} can fix it: chmod a+r {}",
        path.display(),
        path.display()
    )]
    GuardUnreadable {
        path: PathBuf,
        /// Its owner's name (looked up off the event loop, as the lock does).
        owner: String,
        mode: u32,
    },
    #[error("{}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    /// Lines of the deploy journal that are no record; the others were read.
    #[error(
        "{}: {bad} unreadable line(s) (first: line {first}); {read} entries read. A write cut short by a crash or a full disk leaves such a line: delete it to clear this",
        path.display()
    )]
    JournalLines {
        path: PathBuf,
        bad: usize,
        first: usize,
        read: usize,
    },
    #[error("fetch from {remote}: {message}")]
    Fetch { remote: String, message: String },
    #[error("fetch from {remote} cancelled")]
    FetchCancelled { remote: String },
    #[error("{command}: {message}")]
    Hook { command: String, message: String },
}

/// A stash a failed checkout left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StashLeft {
    /// The stash commit, short.
    pub id: String,
    /// Stashed files the checkout's two revisions differ in: a `git stash pop` merges them and
    /// may conflict.
    pub may_conflict: Vec<String>,
}

impl DeployError {
    pub(crate) fn git(path: &std::path::Path, what: &'static str, e: git2::Error) -> DeployError {
        DeployError::Git {
            path: path.to_path_buf(),
            what,
            message: e.message().to_string(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> DeployError {
        DeployError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
