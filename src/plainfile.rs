//! Opening a file that opsdeck reads as a plain file (a rotated log, a theme, the mail log it
//! follows), whoever may have put something else at its name: a FIFO, whose opening waits for a
//! writer that may never come, or a device, read for ever (`/dev/zero`) or changed by being
//! opened at all. A symbolic link to a plain file is followed: logs and configurations are
//! linked into place.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What `m` is, in words: "a FIFO (named pipe)", "a character device", ...
pub fn kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_file() {
        "a plain file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

/// The error for a name that holds `m`, not a plain file: a directory has the kind
/// [`io::ErrorKind::IsADirectory`] (the callers' words for it are their own), anything else
/// [`io::ErrorKind::InvalidInput`], saying what it is.
pub fn not_plain(m: &Metadata) -> io::Error {
    if m.is_dir() {
        return io::Error::from(io::ErrorKind::IsADirectory);
    }
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {}, not a plain file", kind(m)),
    )
}

/// Open `path` for reading when it is a plain file (a symbolic link to one is followed), and
/// fail at once when it is not: what is there is looked at before it is opened, so a device is
/// not opened (one put there between that look and the open is opened once and refused), and a
/// FIFO put there meanwhile does not hold the open (`O_NONBLOCK`, taken off again once the file
/// is known to be plain: [`blocking`]).
pub fn open(path: &Path) -> io::Result<File> {
    let m = std::fs::metadata(path)?;
    if !m.is_file() {
        return Err(not_plain(&m));
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(not_plain(&m));
    }
    blocking(f)
}

/// Open `path` with `opts` (read, append, create: the caller's), never through a symbolic link
/// at its name (the open fails with `ELOOP`) nor waiting on a FIFO there, and only when it is a
/// plain file (else [`not_plain`]); returned [`blocking`]. For the files opsdeck keeps in a
/// directory that others may write (the deploy journal and lock, its own log), where a link
/// could point its writes, or root's, at another file.
pub fn open_no_link(path: &Path, opts: &mut std::fs::OpenOptions) -> io::Result<File> {
    let f = opts
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)?;
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(not_plain(&m));
    }
    blocking(f)
}

/// Is `e` the [`not_plain`] error of [`open`] or [`open_no_link`]: something other than a plain
/// file at the name?
pub fn is_not_plain(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::IsADirectory
    )
}

/// `f`, a plain file opened with `O_NONBLOCK` so that a FIFO at its name could not hold the
/// open, with the flag taken off again: a local file's reads ignore it, but on FUSE, CIFS or a
/// file under a lease a read may then fail with "resource temporarily unavailable" instead of
/// waiting its turn.
pub fn blocking(f: File) -> io::Result<File> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let flags = OFlag::from_bits_truncate(fcntl(&f, FcntlArg::F_GETFL)?);
    if flags.contains(OFlag::O_NONBLOCK) {
        fcntl(&f, FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK))?;
    }
    Ok(f)
}

/// Open the directory that `names` lead to below the open directory `base`, one name at a time,
/// never through a symbolic link: a link met on the way, or one put there meanwhile, fails with
/// `ELOOP` (a file: `ENOTDIR`), where a path handed whole to the kernel would be followed.
pub fn open_dir_below<'n>(
    base: std::os::fd::OwnedFd,
    names: impl IntoIterator<Item = &'n std::ffi::OsStr>,
) -> nix::Result<std::os::fd::OwnedFd> {
    use nix::fcntl::OFlag;
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mut dir = base;
    for name in names {
        dir = nix::fcntl::openat(&dir, name, flags, nix::sys::stat::Mode::empty())?;
    }
    Ok(dir)
}

#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    /// Make a FIFO at `p`.
    pub fn mkfifo(p: &Path) {
        nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_file_and_a_link_to_one_open() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        assert!(open(&f).is_ok());
        assert!(open(&l).is_ok());
    }

    /// The file returned reads as any other: `O_NONBLOCK`, which kept a FIFO from holding the
    /// open, is off again.
    #[test]
    fn the_file_opened_is_left_blocking() {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let opened = open(&f).unwrap();
        let flags = OFlag::from_bits_truncate(fcntl(&opened, FcntlArg::F_GETFL).unwrap());
        assert!(!flags.contains(OFlag::O_NONBLOCK), "{flags:?}");
    }

    #[test]
    fn a_fifo_a_device_and_a_directory_are_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        testing::mkfifo(&fifo);
        let e = open(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "is a FIFO (named pipe), not a plain file");
        let e = open(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a plain file");
        let e = open(d.path()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
    }
}
