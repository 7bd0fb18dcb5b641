//! Files of the deploy checkout's work tree, looked at and removed one directory at a time from
//! the work tree's top, never through a symbolic link on the way.
//!
//! A docroot often holds links to elsewhere (`uploads -> /srv/shared/uploads`). Git itself
//! never writes or removes beyond a link in the tree; a path joined to the work tree and handed
//! to the file system would: what a deploy judges (the target's bytes already there) and what it
//! removes would be a file outside the tree. Each directory on the way is opened with
//! `O_NOFOLLOW` relative to the one before, so a link found there, or put there meanwhile, is
//! refused rather than followed.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{FileStat, Mode, fstatat};

/// What is at a work-tree path, seen without following any link.
pub(super) enum Found {
    /// Nothing by that name (nor, perhaps, the directories above it).
    Absent,
    /// A directory above it is a symbolic link (or not a directory): nothing there belongs to
    /// the work tree.
    Beyond,
    /// The entry itself (a link is looked at, not followed) and the directory holding it.
    Entry { dir: OwnedFd, stat: Box<FileStat> },
}

/// The error for a path with a link on its way.
fn beyond(rel: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "a directory on the way to {} is a symbolic link (or not a directory): \
             nothing is done through it",
            crate::sanitize::Clean::capped(&rel.to_string_lossy(), 300)
        ),
    )
}

/// The directory holding `rel` in `workdir` (the work tree's top, which may itself be reached
/// through links), and `rel`'s last name. `Ok(None)`: a directory on the way does not exist.
fn parent<'p>(workdir: &Path, rel: &'p Path) -> io::Result<Option<(OwnedFd, &'p OsStr)>> {
    let mut names = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => names.push(n),
            // a tree path is relative and plain; anything else is not the tree's
            _ => return Err(beyond(rel)),
        }
    }
    let Some(last) = names.pop() else {
        return Err(beyond(rel));
    };
    let top = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let tree = nix::fcntl::open(workdir, top, Mode::empty()).map_err(io::Error::from)?;
    match crate::plainfile::open_dir_below(tree, names) {
        Ok(dir) => Ok(Some((dir, last))),
        Err(Errno::ENOENT) => Ok(None),
        Err(Errno::ELOOP | Errno::ENOTDIR) => Err(beyond(rel)),
        Err(e) => Err(e.into()),
    }
}

/// What is at `rel` in the work tree `workdir`.
pub(super) fn find(workdir: &Path, rel: &Path) -> io::Result<Found> {
    let (dir, name) = match parent(workdir, rel) {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(Found::Absent),
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Ok(Found::Beyond),
        Err(e) => return Err(e),
    };
    match fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Found::Entry {
            dir,
            stat: Box::new(stat),
        }),
        Err(Errno::ENOENT) => Ok(Found::Absent),
        Err(e) => Err(e.into()),
    }
}

/// `rel` holds nothing in the work tree (a path with a link on its way holds something: not
/// the tree's, and not to be written over).
pub(super) fn absent(workdir: &Path, rel: &Path) -> bool {
    matches!(find(workdir, rel), Ok(Found::Absent))
}

/// The bytes a blob of `rel` would hold: a symbolic link's target (`link`), or a plain file's
/// content. `None` when it is neither of that kind, absent, or beyond a link.
pub(super) fn blob_id(workdir: &Path, rel: &Path, link: bool) -> Option<git2::Oid> {
    use std::os::unix::ffi::OsStrExt;
    let Ok(Found::Entry { dir, stat }) = find(workdir, rel) else {
        return None;
    };
    let name = rel.file_name()?;
    let kind = stat.st_mode & nix::libc::S_IFMT;
    if link && kind == nix::libc::S_IFLNK {
        let target = nix::fcntl::readlinkat(&dir, name).ok()?;
        git2::Oid::hash_object(git2::ObjectType::Blob, target.as_bytes()).ok()
    } else if !link && kind == nix::libc::S_IFREG {
        let fd = openat(
            &dir,
            name,
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let f = std::fs::File::from(fd);
        if !f.metadata().ok()?.is_file() {
            return None;
        }
        hash_open_file(&f)
    } else {
        None
    }
}

/// The blob id of an open plain file's bytes, read as a stream (a docroot may hold large
/// files): libgit2 hashes a file by name, and `/proc/self/fd/N` names this one. Where `/proc` is
/// not mounted, the bytes are read whole.
fn hash_open_file(f: &std::fs::File) -> Option<git2::Oid> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let by_fd = format!("/proc/self/fd/{}", f.as_raw_fd());
    if let Ok(id) = git2::Oid::hash_file(git2::ObjectType::Blob, &by_fd) {
        return Some(id);
    }
    let mut bytes = Vec::new();
    (&*f).read_to_end(&mut bytes).ok()?;
    git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok()
}

/// Remove the file (or link) `rel` from the work tree, never through a link on its way.
pub(super) fn remove(workdir: &Path, rel: &Path) -> io::Result<()> {
    let (dir, name) =
        parent(workdir, rel)?.ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
    nix::unistd::unlinkat(&dir, name, nix::unistd::UnlinkatFlags::NoRemoveDir)
        .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file reached through a linked directory is not the tree's: not found, not hashed, not
    /// removed; the same file inside the tree is.
    #[test]
    fn nothing_is_seen_or_removed_through_a_linked_directory() {
        let tree = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let wd = tree.path();
        std::fs::write(outside.path().join("a.html"), "up\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), wd.join("uploads")).unwrap();
        std::fs::create_dir(wd.join("pages")).unwrap();
        std::fs::write(wd.join("pages/a.html"), "up\n").unwrap();
        let want = git2::Oid::hash_object(git2::ObjectType::Blob, b"up\n").unwrap();
        let rel = Path::new("uploads/a.html");

        assert!(matches!(find(wd, rel).unwrap(), Found::Beyond));
        assert!(
            !absent(wd, rel),
            "something is there: not to be written over"
        );
        assert_eq!(blob_id(wd, rel, false), None);
        let e = remove(wd, rel).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(outside.path().join("a.html").exists(), "not removed");

        let rel = Path::new("pages/a.html");
        assert_eq!(blob_id(wd, rel, false), Some(want));
        remove(wd, rel).unwrap();
        assert!(absent(wd, rel));
        assert!(absent(wd, Path::new("missing/dir/a.html")));
        // a path that climbs out is never the tree's
        assert!(matches!(
            find(wd, Path::new("../x")).unwrap(),
            Found::Beyond
        ));
    }

    /// The link itself, as the last name, is looked at and removed, never followed.
    #[test]
    fn a_link_in_the_tree_is_its_own_entry() {
        let tree = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let wd = tree.path();
        std::fs::write(outside.path().join("page.html"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("page.html"), wd.join("current")).unwrap();
        let target = outside.path().join("page.html");
        let as_link =
            git2::Oid::hash_object(git2::ObjectType::Blob, target.to_str().unwrap().as_bytes())
                .unwrap();
        assert_eq!(blob_id(wd, Path::new("current"), true), Some(as_link));
        assert_eq!(
            blob_id(wd, Path::new("current"), false),
            None,
            "not read through"
        );
        remove(wd, Path::new("current")).unwrap();
        assert!(target.exists());
        assert!(absent(wd, Path::new("current")));
    }
}
