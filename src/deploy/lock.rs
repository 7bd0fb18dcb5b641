//! The deploy lock: a file in the git directory created with O_EXCL
//! (`opsdeck-deploy.lock`) holding user, host, pid and time as JSON.
//!
//! Anything that honours the file (another opsdeck, a script using
//! `set -o noclobber`) cannot deploy at the same time. A lock whose pid is
//! dead on this host is stale; taking it over needs the caller to name the
//! lock it saw (after the user confirmed), so a lock that changed meanwhile
//! is never removed. An empty lock file (its maker died between creating and
//! writing it) names no process: it is stale once it has stayed empty for
//! [`EMPTY_STALE_AFTER`].
//!
//! A takeover reads, removes and creates the lock under an exclusive `flock` on a guard file
//! beside it (`opsdeck-deploy.lock.guard`), and reads the lock again under it: two takeovers of
//! the same stale lock at once (two consoles confirming together) cannot both remove it, the
//! second finds the first one's lock and is refused. Taking a free lock needs no guard (the
//! O_EXCL create decides). The guard must be readable by every deployer: its owner makes it so
//! at each deploy (an older opsdeck left it 0600 under a umask of 077), and a takeover by a
//! user who may not open it is refused, naming the `chmod` that fixes it. The guard is never
//! opened through a symbolic link. This module never touches the work tree.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::access::WriteAccess;
use crate::deploy::error::DeployError;
use crate::sanitize::Clean;

pub const FILE_NAME: &str = "opsdeck-deploy.lock";

/// The file a takeover holds an exclusive `flock` on, beside the lock. It stays (removing a
/// file others may be waiting to lock would let two hold "it" at once) and holds nothing.
pub const GUARD_NAME: &str = "opsdeck-deploy.lock.guard";

/// How long a lock file may stay empty while its maker writes it. The writer fills it within
/// milliseconds of creating it; one still empty after this was left by a process that died in
/// between, and would otherwise block every deploy for good.
pub const EMPTY_STALE_AFTER: Duration = Duration::from_secs(60);

/// The mode of the lock file, whatever the umask (a guard of ours gets the same read bits):
/// other deployers must read the lock to see who holds it (or that its holder is gone) and
/// open the guard to take over a stale lock. Under a umask of 077, as hardened hosts set
/// root's, both would be made 0600 and a held lock would look free to everyone else.
const READABLE_BY_ALL: u32 = 0o644;

/// What a lock file says about its holder.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LockInfo {
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// RFC 3339.
    pub time: String,
    /// Set when the file is empty: no holder is named, only the file and its age.
    #[serde(skip)]
    pub empty: Option<EmptyLock>,
    /// Which file said it, when read from one: a takeover replaces only that very file, not
    /// another that says the same.
    #[serde(skip)]
    pub file: Option<FileId>,
    /// Set when the file may not be opened (another user's, made with a umask of 077), or is
    /// no plain file: `user` is then its owner and `time` when it was written; which process
    /// holds it, and so whether it is stale, is not known: held, by its owner's word.
    #[serde(skip)]
    pub unreadable: Option<Unreadable>,
}

/// Why a lock file's words were not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// This user may not open it: its mode.
    Mode(u32),
    /// A symbolic link or a special file (a FIFO) at the lock's name, not opened: a link could
    /// show another file's first words as the holder (root's `/etc/shadow`), a FIFO would hang
    /// the read.
    NotPlain,
}

/// One lock file on disk: its inode and modification time, read from the open file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub modified: Option<SystemTime>,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            modified: meta.modified().ok(),
        }
    }
}

/// A lock file with nothing in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmptyLock {
    pub path: PathBuf,
    /// The file's modification time: when it was created, as nothing wrote it since.
    pub modified: SystemTime,
}

impl LockInfo {
    /// This process, now.
    pub fn mine() -> LockInfo {
        LockInfo {
            user: current_user(),
            host: current_host(),
            pid: std::process::id(),
            time: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            empty: None,
            unreadable: None,
            file: None,
        }
    }

    /// "user@host pid 123 since TIME", sanitized; for an empty lock file, the file and when it
    /// was made.
    pub fn holder(&self) -> Clean {
        let cap = if self.empty.is_some() && self.unreadable.is_none() {
            400
        } else {
            200
        };
        Clean::capped(&self.holder_text(), cap)
    }

    /// [`LockInfo::holder`] as the lock file wrote it, not yet escaped: for an error whose
    /// text is escaped once where it is shown, as its path is.
    pub fn holder_text(&self) -> String {
        match self.unreadable {
            Some(Unreadable::Mode(mode)) => {
                return format!(
                    "{} (its lock file is not readable to you: mode {mode:04o}), since {}",
                    self.user, self.time
                );
            }
            Some(Unreadable::NotPlain) => {
                return format!(
                    "{} (a symbolic link or a special file where the lock file goes, not \
                     opened: remove it by hand), since {}",
                    self.user, self.time
                );
            }
            None => {}
        }
        if let Some(e) = &self.empty {
            return format!(
                "an empty lock file {}, made {}",
                e.path.display(),
                self.time
            );
        }
        format!(
            "{}@{} pid {} since {}",
            self.user, self.host, self.pid, self.time
        )
    }

    /// Held by a process of this host that no longer exists: its pid is free, or taken by a
    /// process started after the lock was (after a crash and a reboot, the lock's pid soon
    /// belongs to something else, and the lock would stay held for good).
    ///
    /// An empty lock file is stale once it has stayed empty for [`EMPTY_STALE_AFTER`] (a
    /// modification time in the future, after the clock was set back, is not).
    pub fn is_stale(&self) -> bool {
        if self.unreadable.is_some() {
            return false;
        }
        if let Some(e) = &self.empty {
            return e
                .modified
                .elapsed()
                .is_ok_and(|age| age >= EMPTY_STALE_AFTER);
        }
        if self.host != current_host() {
            return false;
        }
        let Ok(pid) = i32::try_from(self.pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
            Err(nix::errno::Errno::ESRCH) => true,
            _ => {
                let taken = chrono::DateTime::parse_from_rfc3339(&self.time).map(|t| t.timestamp());
                // a minute's room for a clock set forward since the holder started
                matches!((process_started(pid), taken), (Some(started), Ok(taken)) if started > taken + 60)
            }
        }
    }

    /// Why a stale lock is stale, in a few words: "process gone", or "left empty".
    pub fn stale_why(&self) -> &'static str {
        if self.empty.is_some() {
            "left empty"
        } else {
            "process gone"
        }
    }

    /// Why a stale lock is stale, as a sentence for the takeover dialog.
    pub fn stale_sentence(&self) -> &'static str {
        if self.empty.is_some() {
            "Nothing has written it for over a minute: its maker died before it could."
        } else {
            "That process no longer exists on this host."
        }
    }
}

/// When process `pid` started, in seconds since the epoch (Linux `/proc`); None elsewhere.
fn process_started(pid: i32) -> Option<i64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name, in brackets, may hold spaces and brackets: count after the last one
    let after = stat.rsplit_once(')')?.1;
    // field 22, starttime, in clock ticks after boot; `after` starts at field 3
    let ticks: i64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let boot: i64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    (hz > 0).then(|| boot + ticks / hz)
}

/// Who is deploying, as the lock and the journal name them: the person, so under sudo the user
/// who ran sudo (a journal of "root" for everyone says nothing about who did it).
pub fn current_user() -> String {
    person(
        &effective_user(),
        std::env::var("SUDO_USER").ok().as_deref(),
    )
}

/// The effective user's name (`uid N` when it has none).
fn effective_user() -> String {
    crate::accounts::user_name(nix::unistd::geteuid().as_raw())
}

/// The person at the console, by user name: under sudo the user who ran it.
pub fn person_name() -> String {
    std::env::var("SUDO_USER")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(effective_user)
}

/// May `person` act on a target whose `deployers` are these (names and `%group`s)? `None` when
/// they may; otherwise the refusal to show.
pub fn refusal(deployers: &[String], person: &str, target: &str) -> Option<String> {
    if deployers.is_empty() {
        return None;
    }
    let in_group = |g: &str| {
        let Ok(Some(group)) = nix::unistd::Group::from_name(g) else {
            return false;
        };
        group.mem.iter().any(|m| m == person)
            || nix::unistd::User::from_name(person)
                .ok()
                .flatten()
                .is_some_and(|u| u.gid == group.gid)
    };
    let allowed = deployers.iter().any(|d| match d.strip_prefix('%') {
        Some(g) => in_group(g),
        None => d == person,
    });
    (!allowed).then(|| {
        format!(
            "{target}: you are {person}; only {} may change this checkout (deployers in [[deploy]])",
            deployers.join(", ")
        )
    })
}

/// `name` (the effective user), or the user sudo names (`SUDO_USER`, set by sudo itself) when
/// running through it, marked as such.
fn person(name: &str, sudo_user: Option<&str>) -> String {
    match sudo_user {
        Some(s) if !s.is_empty() && s != name => format!("{s} (sudo)"),
        _ => name.to_string(),
    }
}

pub fn current_host() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

pub fn path_in(git_dir: &Path) -> PathBuf {
    git_dir.join(FILE_NAME)
}

/// Read the current lock, if any. A lock file that cannot be read still counts as held, so it
/// is never ignored: by its owner when it may not be opened ([`LockInfo::unreadable`]), by
/// "unknown" when its words are not a lock's; an empty one is read with its modification time
/// ([`LockInfo::empty`]).
pub fn read(git_dir: &Path) -> Option<LockInfo> {
    let p = path_in(git_dir);
    let mut f = match crate::plainfile::open_no_link(&p, std::fs::OpenOptions::new().read(true)) {
        Ok(f) => f,
        Err(e)
            if crate::plainfile::is_not_plain(&e) || e.raw_os_error() == Some(nix::libc::ELOOP) =>
        {
            return unreadable(&p, true);
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return unreadable(&p, false);
        }
        Err(_) => return None,
    };
    let mut b = Vec::new();
    let read = f.read_to_end(&mut b);
    // the time from the same open file: a lock replaced meanwhile cannot lend its own
    let meta = f.metadata();
    let file = meta.as_ref().ok().map(FileId::of);
    let modified = meta.and_then(|m| m.modified());
    let unknown = |time: String| LockInfo {
        user: "unknown".into(),
        host: "unknown".into(),
        pid: 0,
        time,
        empty: None,
        unreadable: None,
        file,
    };
    match (read, modified) {
        (Ok(0), Ok(modified)) => Some(LockInfo {
            user: String::new(),
            host: String::new(),
            pid: 0,
            time: chrono::DateTime::<chrono::Local>::from(modified)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            empty: Some(EmptyLock { path: p, modified }),
            file,
            unreadable: None,
        }),
        (Ok(_), _) => Some(
            serde_json::from_slice(&b)
                .map(|info| LockInfo { file, ..info })
                .unwrap_or_else(|_| {
                    unknown(Clean::capped(&String::from_utf8_lossy(&b), 40).into_string())
                }),
        ),
        (Err(_), _) => None,
    }
}

/// The lock file at `p`, which may not be opened (or is no plain file: `not_plain`), as its owner
/// and its time tell it (None when it cannot even be looked at).
fn unreadable(p: &Path, not_plain: bool) -> Option<LockInfo> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(p).ok()?;
    let time = meta
        .modified()
        .map(|m| {
            chrono::DateTime::<chrono::Local>::from(m)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_default();
    Some(LockInfo {
        user: crate::accounts::user_name(meta.uid()),
        host: String::new(),
        pid: 0,
        time,
        empty: None,
        file: Some(FileId::of(&meta)),
        unreadable: Some(if not_plain {
            Unreadable::NotPlain
        } else {
            Unreadable::Mode(meta.mode() & 0o7777)
        }),
    })
}

/// A held lock; removed when dropped.
#[derive(Debug)]
pub struct DeployLock {
    path: PathBuf,
    info: LockInfo,
}

impl DeployLock {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for DeployLock {
    fn drop(&mut self) {
        // Only remove it if it is still ours: our words in our file (its time aside: a
        // `touch` of the lock must not leave it behind for good).
        let inode = |l: &LockInfo| l.file.map(|f| (f.dev, f.ino));
        let words = |l: &LockInfo| LockInfo {
            file: None,
            ..l.clone()
        };
        if read(self.path.parent().unwrap_or(Path::new(".")))
            .is_some_and(|cur| words(&cur) == words(&self.info) && inode(&cur) == inode(&self.info))
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Take the lock. `take_over`: the stale lock the user agreed to replace; it
/// is removed only if the file still is exactly that one (its words, inode and time) and is
/// still stale, judged under the guard (see the module's doc): a lock another takeover put in
/// its place meanwhile is named as the holder, not removed.
pub fn acquire(
    git_dir: &Path,
    take_over: Option<&LockInfo>,
    _access: &WriteAccess,
) -> Result<DeployLock, DeployError> {
    let p = path_in(git_dir);
    repair_guard(git_dir);
    // held until this lock is written, so that a takeover after this one reads it whole
    let _guard = match take_over {
        Some(old) => take_over_guarded(git_dir, old)?,
        None => None,
    };
    let info = LockInfo::mine();
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&p)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let cur = read(git_dir).unwrap_or_else(|| LockInfo {
                user: "unknown".into(),
                host: "unknown".into(),
                pid: 0,
                time: String::new(),
                empty: None,
                unreadable: None,
                file: None,
            });
            return Err(DeployError::Locked {
                path: p,
                holder: cur.holder_text(),
                stale: cur.is_stale(),
                lock: Box::new(cur),
            });
        }
        Err(e) => return Err(DeployError::io(&p, e)),
    };
    let body = serde_json::to_vec(&info).unwrap_or_default();
    let written = f
        .set_permissions(std::fs::Permissions::from_mode(READABLE_BY_ALL))
        .and_then(|_| f.write_all(&body))
        .and_then(|_| f.sync_all())
        .and_then(|_| f.metadata());
    match written {
        Ok(meta) => Ok(DeployLock {
            path: p,
            info: LockInfo {
                file: Some(FileId::of(&meta)),
                ..info
            },
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&p);
            Err(DeployError::io(&p, e))
        }
    }
}

/// Remove the stale lock `old` the user confirmed, if the file still is that one: checked
/// again under the guard, which is returned held (None when the file was not that one at the
/// first look: nothing is removed, and the create that follows names who holds it now).
fn take_over_guarded(
    git_dir: &Path,
    old: &LockInfo,
) -> Result<Option<nix::fcntl::Flock<std::fs::File>>, DeployError> {
    let p = path_in(git_dir);
    let confirmed = || read(git_dir).is_some_and(|cur| &cur == old && cur.is_stale());
    if !confirmed() {
        return Ok(None);
    }
    #[cfg(test)]
    testing::before_the_guard();
    let guard = lock_guard(git_dir)?;
    // another takeover may have replaced it between the first look and the guard
    if confirmed() {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(DeployError::io(&p, e)),
        }
    }
    Ok(Some(guard))
}

/// An exclusive `flock` on the guard file beside the lock, waited for: a takeover holds it for
/// the time of a read, a remove and a small write. Read-only when the file was made by another
/// deployer and is not writable here (`flock` needs no write access); a guard of ours is made
/// readable by all (see [`READABLE_BY_ALL`]), so that another deployer can open it at all. One
/// this user may not even read is [`DeployError::GuardUnreadable`]: without it, a takeover
/// could race another, so none is made.
fn lock_guard(git_dir: &Path) -> Result<nix::fcntl::Flock<std::fs::File>, DeployError> {
    let g = git_dir.join(GUARD_NAME);
    let file = match open_guard(&g, true) {
        Ok(f) => {
            make_readable_if_ours(&f).map_err(|e| guard_error(&g, e))?;
            f
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => match open_guard(&g, false) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(guard_unreadable(&g, e));
            }
            Err(e) => return Err(guard_error(&g, e)),
        },
        Err(e) => return Err(guard_error(&g, e)),
    };
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).map_err(|(_, errno)| {
        DeployError::Io {
            path: g,
            message: format!("flock: {errno}"),
        }
    })
}

/// Open the guard at `g`, created when `write`. Never through a symbolic link: whoever may
/// write the git directory could point the name at another file (`/etc/shadow`), which a
/// takeover by root would then open and make readable by all. Nor does it wait on a FIFO put
/// there (`O_NONBLOCK`, which `flock` ignores).
fn open_guard(g: &Path, write: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .create(write)
        .truncate(false)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(g)
}

/// Give `f`, a file opsdeck keeps in the git directory (the guard, the deploy journal), the read
/// bits of [`READABLE_BY_ALL`] when it is this user's plain file and lacks them (only its owner
/// may change its mode).
pub(super) fn make_readable_if_ours(f: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = f.metadata()?;
    if meta.is_file()
        && meta.uid() == nix::unistd::geteuid().as_raw()
        && meta.mode() & 0o444 != 0o444
    {
        f.set_permissions(std::fs::Permissions::from_mode(meta.mode() | 0o444))?;
    }
    Ok(())
}

/// Make a guard of ours that others may not read readable, at the start of every deploy,
/// rollback and post-deploy command of its owner, not only at a takeover (the only time the
/// guard is opened otherwise): an older opsdeck made it 0600 under a umask of 077, and every
/// other deployer is refused a takeover until its owner changes its mode. Nothing is created
/// here. A mode that cannot be changed is left as it is: the other deployer's takeover says so.
fn repair_guard(git_dir: &Path) {
    if let Ok(f) = open_guard(&git_dir.join(GUARD_NAME), false) {
        let _ = make_readable_if_ours(&f);
    }
}

/// The guard at `g` may not be opened here: named with its owner and mode (looked at without
/// following a link), or as `e` when it cannot even be looked at.
fn guard_unreadable(g: &Path, e: std::io::Error) -> DeployError {
    use std::os::unix::fs::MetadataExt;
    match std::fs::symlink_metadata(g) {
        Ok(meta) => DeployError::GuardUnreadable {
            path: g.to_path_buf(),
            owner: crate::accounts::user_name(meta.uid()),
            mode: meta.mode() & 0o7777,
        },
        Err(_) => guard_error(g, e),
    }
}

/// An error opening `g`, a file opsdeck keeps in the git directory (the guard, the deploy
/// journal), opened without following a link: a symbolic link put in its place is named as such.
pub(super) fn guard_error(g: &Path, e: std::io::Error) -> DeployError {
    if e.raw_os_error() == Some(nix::libc::ELOOP) {
        return DeployError::Io {
            path: g.to_path_buf(),
            message: "a symbolic link where opsdeck keeps a plain file: not followed".into(),
        };
    }
    DeployError::io(g, e)
}

/// A pause point inside a takeover, for tests that race two of them: set per thread.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::RefCell;

    thread_local! {
        static BEFORE_THE_GUARD: RefCell<Option<Box<dyn FnMut()>>> = RefCell::new(None);
    }

    /// Run `f` in this thread's next takeovers, after the first look found the confirmed lock
    /// and before the guard is taken.
    pub(crate) fn pause_before_the_guard(f: impl FnMut() + 'static) {
        BEFORE_THE_GUARD.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    pub(super) fn before_the_guard() {
        BEFORE_THE_GUARD.with(|h| {
            if let Some(f) = h.borrow_mut().as_mut() {
                f()
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_sudo_the_person_is_named() {
        assert_eq!(person("root", Some("alice")), "alice (sudo)");
        assert_eq!(person("root", None), "root");
        assert_eq!(person("root", Some("")), "root");
        // sudo to oneself, or a leftover variable naming the same user, changes nothing
        assert_eq!(person("deploy", Some("deploy")), "deploy");
    }

    #[test]
    fn deployers_are_names_and_groups() {
        assert_eq!(refusal(&[], "carol", "www"), None);
        let list = vec!["alice".to_string(), "%root".to_string()];
        assert_eq!(refusal(&list, "alice", "www"), None);
        // root's primary group is root
        assert_eq!(refusal(&list, "root", "www"), None);
        assert_eq!(
            refusal(&list, "nobody", "www").as_deref(),
            Some(
                "www: you are nobody; only alice, %root may change this checkout (deployers in [[deploy]])"
            )
        );
        // the status bar at 80 columns shows about 66 characters of a notice: who you are and
        // who may come first, the name of the setting last
        let said = refusal(&["alice".into(), "%webteam".into()], "root", "www").unwrap();
        assert_eq!(
            said.chars().take(66).collect::<String>(),
            "www: you are root; only alice, %webteam may change this checkout ("
        );
        // a group that does not exist admits no one
        let list = vec!["%no-such-group-here".to_string()];
        assert!(refusal(&list, "root", "www").is_some());
    }
    use crate::access::{Mode, WriteAccess};

    fn access() -> WriteAccess {
        WriteAccess::for_mode(Mode::Interactive).unwrap()
    }

    #[test]
    fn second_acquire_is_refused_and_names_the_holder() {
        let d = tempfile::tempdir().unwrap();
        let a = access();
        let held = acquire(d.path(), None, &a).unwrap();
        let err = acquire(d.path(), None, &a).unwrap_err();
        match err {
            DeployError::Locked { holder, stale, .. } => {
                assert!(
                    holder.contains(&format!("pid {}", std::process::id())),
                    "{holder}"
                );
                assert!(!stale, "our own pid is alive");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        // a `touch` of the lock meanwhile does not make it another's
        std::fs::File::options()
            .write(true)
            .open(path_in(d.path()))
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        drop(held);
        assert!(
            read(d.path()).is_none(),
            "dropping the lock removes the file"
        );
        acquire(d.path(), None, &a).unwrap();
    }

    /// A lock of a pid that cannot exist (above pid_max) on this host, written in `dir`: stale.
    fn write_dead_lock(dir: &Path) -> LockInfo {
        let dead = LockInfo {
            user: "deployer".into(),
            host: current_host(),
            pid: 4_194_304 + 17,
            time: "2026-01-01T00:00:00+00:00".into(),
            empty: None,
            unreadable: None,
            file: None,
        };
        std::fs::write(path_in(dir), serde_json::to_vec(&dead).unwrap()).unwrap();
        let read = read(dir).unwrap();
        assert!(read.is_stale());
        read
    }

    #[test]
    fn takeover_only_of_the_lock_that_was_confirmed() {
        let d = tempfile::tempdir().unwrap();
        let a = access();
        let dead = write_dead_lock(d.path());
        let other = LockInfo {
            pid: 1,
            ..dead.clone()
        };
        assert!(matches!(
            acquire(d.path(), Some(&other), &a),
            Err(DeployError::Locked { stale: true, .. })
        ));
        // the same words in another file (removed and written again since) are not the lock
        // confirmed either
        std::fs::remove_file(path_in(d.path())).unwrap();
        let again = write_dead_lock(d.path());
        assert_ne!(again.file, dead.file);
        match acquire(d.path(), Some(&dead), &a) {
            Err(DeployError::Locked {
                stale: true, lock, ..
            }) => assert_eq!(*lock, again),
            other => panic!("expected the lock written again, got {other:?}"),
        }
        let held = acquire(d.path(), Some(&again), &a).unwrap();
        assert_eq!(held.info().pid, std::process::id());
        assert_eq!(read(d.path()).as_ref(), Some(held.info()));
    }

    /// Two consoles confirm the takeover of the same stale lock (a dead pid, or a file left
    /// empty) at the same moment: one takes it, the other is refused and told who holds it
    /// now. The second takeover is held where it has found the confirmed lock still there,
    /// until the first is done: without the guard it would remove the first one's fresh lock
    /// and write its own, and both would deploy.
    #[test]
    fn two_takeovers_of_one_stale_lock_at_once_make_one_holder() {
        use std::sync::{Arc, Barrier};
        fn empty(dir: &Path) -> LockInfo {
            let p = path_in(dir);
            std::fs::write(&p, b"").unwrap();
            let made = SystemTime::now() - EMPTY_STALE_AFTER * 2;
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(made)
                .unwrap();
            let l = read(dir).unwrap();
            assert!(l.is_stale() && l.empty.is_some(), "{l:?}");
            l
        }
        type MakeStale = fn(&Path) -> LockInfo;
        for (kind, make) in [
            ("dead pid", write_dead_lock as MakeStale),
            ("left empty", empty),
        ] {
            let d = tempfile::tempdir().unwrap();
            let dir = d.path().to_path_buf();
            let stale = make(&dir);
            let both = Arc::new(Barrier::new(2));
            let second = {
                let (dir, stale, both) = (dir.clone(), stale.clone(), both.clone());
                std::thread::spawn(move || {
                    let at = both.clone();
                    testing::pause_before_the_guard(move || {
                        at.wait(); // here: the first one may start
                        at.wait(); // the first one holds the lock
                    });
                    acquire(&dir, Some(&stale), &access())
                })
            };
            both.wait();
            let first = acquire(&dir, Some(&stale), &access());
            both.wait();
            let second = second.join().unwrap();
            let first = first.unwrap_or_else(|e| panic!("{kind}: the first takeover: {e}"));
            match second {
                Err(DeployError::Locked {
                    stale: false,
                    lock,
                    holder,
                    ..
                }) => {
                    assert_eq!(&*lock, first.info(), "{kind}");
                    assert!(
                        holder.contains(&format!("pid {}", std::process::id())),
                        "{kind}: {holder}"
                    );
                }
                Ok(_) => panic!("{kind}: both takeovers hold the lock"),
                Err(e) => panic!("{kind}: expected the first one named as holder, got {e:?}"),
            }
            assert_eq!(read(&dir).as_ref(), Some(first.info()), "{kind}");
        }
    }

    fn mode_of(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    /// A guard an older opsdeck left at 0600 (under a umask of 077) keeps every other deployer
    /// from taking over a stale lock, and only its owner may change that: the owner's next
    /// deploy makes it readable by all, not only the owner's next takeover (which may never
    /// come).
    #[test]
    fn any_deploy_of_its_owner_makes_a_guard_readable_by_all() {
        let d = tempfile::tempdir().unwrap();
        let g = d.path().join(GUARD_NAME);
        std::fs::write(&g, b"").unwrap();
        std::fs::set_permissions(&g, std::fs::Permissions::from_mode(0o600)).unwrap();
        drop(acquire(d.path(), None, &access()).unwrap());
        assert_eq!(mode_of(&g), 0o644);
    }

    /// Whoever may write the git directory may put a symbolic link at the guard's name, pointing
    /// at a file of the deployer's that others may not read (root's `/etc/shadow`): neither a
    /// deploy nor a takeover opens it through the link, and the file keeps its mode.
    #[test]
    fn a_symbolic_link_at_the_guards_name_is_never_followed() {
        let d = tempfile::tempdir().unwrap();
        let secret = d.path().join("shadow");
        std::fs::write(&secret, b"secret").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&secret, d.path().join(GUARD_NAME)).unwrap();
        drop(acquire(d.path(), None, &access()).unwrap());
        assert_eq!(mode_of(&secret), 0o600, "a deploy followed the link");
        let dead = write_dead_lock(d.path());
        match acquire(d.path(), Some(&dead), &access()) {
            Err(DeployError::Io { message, .. }) => assert_eq!(
                message,
                "a symbolic link where opsdeck keeps a plain file: not followed"
            ),
            other => panic!("expected the link refused, got {other:?}"),
        }
        assert_eq!(mode_of(&secret), 0o600, "a takeover followed the link");
        assert_eq!(read(d.path()), Some(dead), "the stale lock is left");
    }

    /// Whoever may write the git directory may put a symbolic link at the lock's name: its
    /// target's first words (root's `/etc/shadow`) are never shown as the holder, and a FIFO
    /// there does not hang the read. Either is held, by its owner, and never taken over.
    #[test]
    fn a_symbolic_link_or_a_fifo_at_the_locks_name_is_held_and_never_opened() {
        let d = tempfile::tempdir().unwrap();
        let secret = d.path().join("shadow");
        std::fs::write(&secret, "root:$y$j9T$secret").unwrap();
        std::os::unix::fs::symlink(&secret, path_in(d.path())).unwrap();
        let l = read(d.path()).expect("a link at the lock's name counts as held");
        assert_eq!(l.unreadable, Some(Unreadable::NotPlain));
        assert!(!l.is_stale());
        let holder = l.holder().to_string();
        assert!(!holder.contains("secret"), "{holder}");
        assert!(
            holder.contains("a symbolic link or a special file"),
            "{holder}"
        );
        match acquire(d.path(), None, &access()) {
            Err(DeployError::Locked { .. }) => {}
            other => panic!("expected the lock held, got {other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(&secret).unwrap(),
            "root:$y$j9T$secret"
        );

        std::fs::remove_file(path_in(d.path())).unwrap();
        nix::unistd::mkfifo(&path_in(d.path()), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let l = read(d.path()).expect("a FIFO at the lock's name counts as held");
        assert_eq!(l.unreadable, Some(Unreadable::NotPlain));
    }

    /// After a crash and a reboot the lock's pid may belong to another process: one started
    /// after the lock was taken cannot be its holder.
    #[test]
    fn a_pid_taken_by_a_process_started_since_the_lock_is_stale() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let at = |t: chrono::DateTime<chrono::Local>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        };
        let lock = LockInfo {
            user: "deployer".into(),
            host: current_host(),
            pid: child.id(),
            time: at(chrono::Local::now() - chrono::Duration::hours(1)),
            empty: None,
            unreadable: None,
            file: None,
        };
        let from_before = lock.is_stale();
        // taken by this very process: held
        let held = LockInfo {
            time: at(chrono::Local::now() + chrono::Duration::hours(1)),
            ..lock.clone()
        };
        let held_by_it = held.is_stale();
        let _ = child.kill();
        let _ = child.wait();
        assert!(from_before, "the pid belongs to a process started since");
        assert!(
            !held_by_it,
            "a live process that started before the lock holds it"
        );
        assert!(
            !LockInfo::mine().is_stale(),
            "this process holds a lock it takes now"
        );
    }

    #[test]
    fn foreign_host_is_never_stale() {
        let l = LockInfo {
            user: "u".into(),
            host: "some-other-host.invalid".into(),
            pid: 4_194_304 + 17,
            time: String::new(),
            empty: None,
            unreadable: None,
            file: None,
        };
        assert!(!l.is_stale());
    }
}
