//! Reads the mail log: follows files across every rotation style, backfills from rotated (and
//! gzipped) files, or follows journald through `journalctl`.
//!
//! Runs only in blocking threads or tokio tasks, never on the event loop, and never writes to any
//! file. It must never lose or repeat a line on rotation (rename + create, copytruncate, delete +
//! recreate, truncation, `postfix logrotate`), never hold more than one over-long line in memory,
//! and report a missing or unreadable log as a state, not an error that stops following.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, FixedOffset};

use super::LogError;
use super::compressed::{Compression, decoded, is_compressed, is_stream};
use super::journal_entry::JournalEntry;

/// How many bytes of the last read are remembered to recognise a copytruncate copy.
const TAIL_KEEP: usize = 256;

/// How long a rotated-away file is still read after it last grew: a syslog daemon writes to it
/// until it is told to reopen (logrotate's `create`, then the HUP in `postrotate`).
const RETIRED_QUIET: Duration = Duration::from_secs(60);

/// Where the follower stands, for the pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    /// Reading the file (or journal).
    Following,
    /// The log is missing or unreadable; the message says what to do. Retried on every poll.
    Unavailable(String),
}

impl SourceState {
    /// Where a follower stands after a [`Follower::poll`], in the words the user reads: the
    /// Failures pane and the Senders pane's test-mail trace say a log they cannot follow alike.
    pub fn of(poll: &Result<(), LogError>) -> SourceState {
        match poll {
            Ok(()) => SourceState::Following,
            Err(LogError::Io {
                source: err,
                message,
                ..
            }) if err.kind() == io::ErrorKind::NotFound => SourceState::Unavailable(format!(
                "{message}: waiting for it to appear (no rsyslog? use Postfix's maillog_file, or source = \"journal\" in [mail_log])"
            )),
            Err(e) => SourceState::Unavailable(e.to_string()),
        }
    }
}

/// Follows one log file. Call [`poll`](Follower::poll) whenever the file may have changed.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    id: (u64, u64),
    offset: u64,
    partial: Vec<u8>,
    discarding: bool,
    tail: Vec<u8>,
    max_line: usize,
    /// On the first open, start at the end (backfill reads what was before).
    start_at_end: bool,
    /// Byte offset in the current file where following started (end of backfill).
    pub started_at: u64,
    /// The file the last rename or delete replaced, read until its writer has moved on.
    retired: Option<Retired>,
}

/// The file a [`Follower`] follows, for the backfill ([`Follower::held`]).
#[derive(Debug)]
struct Held {
    id: (u64, u64),
    /// `/proc/self/fd/N`: where it opens again, under whatever name it has now, or none.
    reopen: Option<PathBuf>,
    /// The name it has now (`None` without a /proc).
    name: Option<PathBuf>,
}

impl Held {
    /// Is `p` this file: the same file under another name, or its compressed copy (`postfix
    /// logrotate` compresses a log at once once it has renamed it, and `mail.log.DATE.gz` is
    /// not the inode the follower holds)?
    fn is(&self, p: &Path) -> bool {
        if std::fs::metadata(p).is_ok_and(|m| file_id(&m) == self.id) {
            return true;
        }
        let Some(name) = &self.name else {
            return false;
        };
        Compression::of_name(p).is_some()
            && p.file_stem() == name.file_name()
            && p.parent()
                .and_then(|d| {
                    std::fs::canonicalize(if d.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        d
                    })
                    .ok()
                })
                .is_some_and(|d| Some(d.as_path()) == name.parent())
    }
}

/// A log file renamed or deleted away while its writer may still append to it.
#[derive(Debug)]
struct Retired {
    file: File,
    partial: Vec<u8>,
    discarding: bool,
    grew_at: Instant,
}

fn file_id(m: &Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}

impl Follower {
    /// Follow `path`; the first open starts at its end when `from_end`.
    pub fn new(path: impl Into<PathBuf>, from_end: bool, max_line: usize) -> Follower {
        Follower {
            path: path.into(),
            file: None,
            id: (0, 0),
            offset: 0,
            partial: Vec::new(),
            discarding: false,
            tail: Vec::new(),
            max_line: max_line.max(64),
            start_at_end: from_end,
            started_at: 0,
            retired: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file being followed as the backfill finds it, whatever a rotation has made of it since
    /// it was opened: renamed, compressed and removed.
    fn held(&self) -> Option<Held> {
        use std::os::fd::AsRawFd;
        let f = self.file.as_ref()?;
        // a handle of its own (its own offset: the follower's is not moved), even once the
        // file has no name
        let reopen = PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd()));
        let reopen = std::fs::metadata(&reopen)
            .is_ok_and(|m| file_id(&m) == self.id)
            .then_some(reopen);
        let name = reopen
            .as_ref()
            .and_then(|r| std::fs::read_link(r).ok())
            .map(|n| {
                let n = n.into_os_string().into_string().unwrap_or_default();
                PathBuf::from(n.strip_suffix(" (deleted)").unwrap_or(&n))
            });
        Some(Held {
            id: self.id,
            reopen,
            name,
        })
    }

    /// Read everything new, following rotation; complete lines are appended to `out`.
    pub fn poll(&mut self, out: &mut Vec<String>) -> Result<(), LogError> {
        self.drain_retired(out);
        if self.file.is_none()
            && let Err(e) = self.open(out)
        {
            // it did not exist when we started: when it appears, all of it is new. One that
            // could not be read holds history: when it can, reading starts at its end as it
            // would have (the backfill reads what was before)
            if matches!(&e, LogError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
            {
                self.start_at_end = false;
            }
            return Err(e);
        }
        // truncated since the last read, and maybe written past where that read ended: what is
        // there now is not the rest of what was read
        let shrunk = self
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .is_some_and(|m| m.len() < self.offset);
        if shrunk || !self.tail_matches() {
            self.read_again_from_start(out)?;
        }
        self.drain(out)?;
        match std::fs::metadata(&self.path) {
            Ok(m) if file_id(&m) != self.id => {
                // renamed or deleted and recreated (also `postfix logrotate`): the old file was
                // drained above, and is still read until its writer reopens the new one
                self.retire(out);
                self.start_at_end = false;
                self.open(out)?;
                self.drain(out)?;
            }
            Ok(m) if m.len() < self.offset || !self.tail_matches() => {
                self.read_again_from_start(out)?;
                self.drain(out)?;
            }
            Ok(_) => {}
            // renamed away, new one not created yet: keep the old handle
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(LogError::io(&self.path, e)),
        }
        Ok(())
    }

    /// After copytruncate or a truncation to zero: the lines written before it are read from
    /// the copy, and the file from its start.
    fn read_again_from_start(&mut self, out: &mut Vec<String>) -> Result<(), LogError> {
        self.recover_from_copy(out);
        self.flush_partial(out);
        self.offset = 0;
        self.tail.clear();
        if let Some(f) = self.file.as_mut() {
            f.seek(SeekFrom::Start(0))
                .map_err(|e| LogError::io(&self.path, e))?;
        }
        Ok(())
    }

    /// Keep reading the current file apart (with its partial line): logrotate creates the new
    /// file before rsyslog is told to reopen, and the lines in between go to the old one.
    fn retire(&mut self, out: &mut Vec<String>) {
        if let Some(old) = self.retired.take() {
            flush_retired(old, out);
        }
        if let Some(file) = self.file.take() {
            self.retired = Some(Retired {
                file,
                partial: std::mem::take(&mut self.partial),
                discarding: std::mem::take(&mut self.discarding),
                grew_at: Instant::now(),
            });
        }
        self.partial.clear();
        self.discarding = false;
    }

    /// Read what was appended to the retired file; let it go once it has been quiet a while
    /// (its last partial line is a whole line by then).
    fn drain_retired(&mut self, out: &mut Vec<String>) {
        let Some(r) = self.retired.as_mut() else {
            return;
        };
        let mut buf = vec![0u8; 64 * 1024];
        let failed = loop {
            match r.file.read(&mut buf) {
                Ok(0) => break false,
                Ok(n) => {
                    r.grew_at = Instant::now();
                    split_lines(
                        &buf[..n],
                        &mut r.partial,
                        &mut r.discarding,
                        self.max_line,
                        out,
                    );
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break true,
            }
        };
        if (failed || r.grew_at.elapsed() >= RETIRED_QUIET)
            && let Some(old) = self.retired.take()
        {
            flush_retired(old, out);
        }
    }

    fn open(&mut self, _out: &mut Vec<String>) -> Result<(), LogError> {
        // a plain file only: a directory opens but cannot be read (held, it would be read, and
        // fail, for ever, and a log file put in its place would never be looked at); opening a
        // FIFO waits for a writer, and a device such as /dev/zero is read without end
        let f = crate::plainfile::open(&self.path).map_err(|e| LogError::io(&self.path, e))?;
        let m = f.metadata().map_err(|e| LogError::io(&self.path, e))?;
        self.id = file_id(&m);
        self.offset = if self.start_at_end {
            // a line still being written is followed, not cut in two by the backfill
            after_last_newline(&f, m.len(), self.max_line)
        } else {
            0
        };
        self.started_at = self.offset;
        self.start_at_end = false;
        let mut f = f;
        f.seek(SeekFrom::Start(self.offset))
            .map_err(|e| LogError::io(&self.path, e))?;
        self.file = Some(f);
        self.tail.clear();
        Ok(())
    }

    fn drain(&mut self, out: &mut Vec<String>) -> Result<(), LogError> {
        let Some(f) = self.file.as_mut() else {
            return Ok(());
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf).map_err(|e| LogError::io(&self.path, e))?;
            if n == 0 {
                return Ok(());
            }
            self.offset += n as u64;
            remember_tail(&mut self.tail, &buf[..n]);
            split_lines(
                &buf[..n],
                &mut self.partial,
                &mut self.discarding,
                self.max_line,
                out,
            );
        }
    }

    /// Are the bytes just before our offset still the ones we read? (A truncation followed by
    /// fast writes can make the file as long as before.)
    fn tail_matches(&self) -> bool {
        use std::os::unix::fs::FileExt;
        let (Some(f), false) = (self.file.as_ref(), self.tail.is_empty()) else {
            return true;
        };
        let mut probe = vec![0u8; self.tail.len()];
        match f.read_exact_at(&mut probe, self.offset - self.tail.len() as u64) {
            Ok(()) => probe == self.tail,
            Err(_) => false,
        }
    }

    fn flush_partial(&mut self, out: &mut Vec<String>) {
        if !self.partial.is_empty() {
            out.push(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
        }
        self.discarding = false;
    }

    /// After copytruncate, the lines written between our last read and the truncation are in
    /// the copy (`mail.log.1` or a dated name): read them from there.
    fn recover_from_copy(&mut self, out: &mut Vec<String>) {
        if self.tail.is_empty() {
            return;
        }
        for cand in rotated_siblings(&self.path).into_iter().rev().take(3) {
            if is_compressed(&cand) {
                continue;
            }
            let Ok(mut f) = crate::plainfile::open(&cand) else {
                continue;
            };
            let Ok(m) = f.metadata() else { continue };
            if m.len() < self.offset {
                continue;
            }
            let start = self.offset - self.tail.len() as u64;
            let mut probe = vec![0u8; self.tail.len()];
            if f.seek(SeekFrom::Start(start)).is_err()
                || f.read_exact(&mut probe).is_err()
                || probe != self.tail
            {
                continue;
            }
            let mut rest = Vec::new();
            if f.read_to_end(&mut rest).is_ok() {
                split_lines(
                    &rest,
                    &mut self.partial,
                    &mut self.discarding,
                    self.max_line,
                    out,
                );
            }
            return;
        }
    }
}

/// The offset just after the last newline in the first `len` bytes of `f` (looked for in the last
/// `max_line` bytes), or `len` when there is none there: where a reader that starts at the end
/// finds the start of a line the writer has not finished.
fn after_last_newline(f: &File, len: u64, max_line: usize) -> u64 {
    use std::os::unix::fs::FileExt;
    let back = len.min(max_line as u64);
    let mut buf = vec![0u8; back as usize];
    match f.read_exact_at(&mut buf, len - back) {
        Ok(()) => match memchr::memrchr(b'\n', &buf) {
            Some(i) => len - back + i as u64 + 1,
            None if back == len => 0,
            None => len,
        },
        Err(_) => len,
    }
}

/// A retired file's unterminated last line, as a line of its own.
fn flush_retired(old: Retired, out: &mut Vec<String>) {
    if !old.partial.is_empty() && !old.discarding {
        out.push(String::from_utf8_lossy(&old.partial).into_owned());
    }
}

fn remember_tail(tail: &mut Vec<u8>, data: &[u8]) {
    if data.len() >= TAIL_KEEP {
        tail.clear();
        tail.extend_from_slice(&data[data.len() - TAIL_KEEP..]);
    } else {
        tail.extend_from_slice(data);
        if tail.len() > TAIL_KEEP {
            tail.drain(..tail.len() - TAIL_KEEP);
        }
    }
}

/// Split `data` into lines, carrying an unterminated end in `partial`. A line longer than
/// `max_line` bytes is cut there and marked; the rest of it is skipped.
pub fn split_lines(
    data: &[u8],
    partial: &mut Vec<u8>,
    discarding: &mut bool,
    max_line: usize,
    out: &mut Vec<String>,
) {
    let mut rest = data;
    while !rest.is_empty() {
        match memchr_nl(rest) {
            Some(i) => {
                let piece = &rest[..i];
                rest = &rest[i + 1..];
                if *discarding {
                    *discarding = false;
                    continue;
                }
                if partial.is_empty() {
                    if piece.len() <= max_line {
                        out.push(lossy_line(piece));
                    } else {
                        out.push(cut_line(&piece[..max_line], max_line));
                    }
                } else {
                    let room = max_line - partial.len().min(max_line);
                    if piece.len() <= room {
                        partial.extend_from_slice(piece);
                        out.push(lossy_line(partial));
                    } else {
                        partial.extend_from_slice(&piece[..room]);
                        out.push(cut_line(partial, max_line));
                    }
                    partial.clear();
                }
            }
            None => {
                if !*discarding {
                    let room = max_line - partial.len().min(max_line);
                    if rest.len() > room {
                        partial.extend_from_slice(&rest[..room]);
                        out.push(cut_line(partial, max_line));
                        partial.clear();
                        *discarding = true;
                    } else {
                        partial.extend_from_slice(rest);
                    }
                }
                rest = &[];
            }
        }
    }
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn lossy_line(b: &[u8]) -> String {
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

pub(super) fn cut_line(b: &[u8], max: usize) -> String {
    format!("{} …[line cut at {max} bytes]", String::from_utf8_lossy(b))
}

/// Rotated siblings of `path` that are plain files (or links to them), oldest first: `mail.log.1`, `mail.log.2.gz` (or `.xz`, `.zst`,
/// `.bz2`), `mail.log-20261127`, `mail.log.20261127-101500.gz` (Postfix's own
/// `postfix logrotate`), ordered by modification time. A path that is a symbolic link (a log
/// kept on another disk, linked into /var/log) has its rotated files beside the file it names,
/// where logrotate makes them: they are looked for there too.
pub fn rotated_siblings(path: &Path) -> Vec<PathBuf> {
    let mut found = siblings_beside(path);
    if path.is_symlink()
        && let Ok(target) = std::fs::canonicalize(path)
    {
        found.extend(siblings_beside(&target));
        // the same file through two names counts once
        let mut seen = std::collections::HashSet::new();
        found.retain(|(_, p)| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    }
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

/// The rotated files of `path` in its own directory, with their modification times.
fn siblings_beside(path: &Path) -> Vec<(SystemTime, PathBuf)> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let Ok(rd) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return Vec::new();
    };
    let found: Vec<(SystemTime, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_str()?.to_string();
            let suffix = n.strip_prefix(name)?;
            let suffix = suffix
                .strip_prefix('.')
                .or_else(|| suffix.strip_prefix('-'))?;
            let core = Compression::ALL
                .into_iter()
                .find_map(|c| suffix.strip_suffix(c.extension())?.strip_suffix('.'))
                .unwrap_or(suffix);
            if core.is_empty() || !core.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                return None;
            }
            // whoever may write the log's directory could put a FIFO there, which would hold a
            // read that opens it, or a link to /dev/zero, read without end
            let meta = std::fs::metadata(e.path()).ok().filter(|m| m.is_file())?;
            Some((meta.modified().ok()?, e.path()))
        })
        .collect();
    found
}

/// A log file to read whole: decompressed when it is compressed (gzip, xz, zstd or bzip2, told
/// by its first bytes; see [`compressed`](super::compressed)).
/// A pipe is read as standard input is (`<(zcat mail.log.2.gz)`, a FIFO that a writer is still
/// to open); a device or a socket is not a log, and is refused.
pub fn open_input(path: &Path) -> Result<Box<dyn Read + Send>, LogError> {
    let f = open_named(path).map_err(|e| LogError::io(path, e))?;
    input_at(f, path, 0)
}

/// [`open_input`] from byte `start` of a plain file (a line start, from [`start_offset`]); a
/// compressed file is read whole.
pub fn open_input_at(path: &Path, start: u64) -> Result<Box<dyn Read + Send>, LogError> {
    let f = open_named(path).map_err(|e| LogError::io(path, e))?;
    input_at(f, path, start)
}

/// Open a log the user named: a plain file or a pipe, not a device (`/dev/zero` would be read
/// without end, a disk read whole, and some devices act on being opened) nor a socket.
fn open_named(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::FileTypeExt;
    let m = std::fs::metadata(path)?;
    let t = m.file_type();
    if t.is_char_device() || t.is_block_device() || t.is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "is {}, not a log: name a log file, or give its lines on standard input (-)",
                crate::plainfile::kind(&m)
            ),
        ));
    }
    File::open(path)
}

/// [`open_input_at`] of a file opsdeck found itself, beside the log (a rotated file) or as the
/// log it follows: a plain file only, never waited on (see [`crate::plainfile::open`]). A pipe
/// or a device is for the user to name.
pub fn open_plain_input_at(path: &Path, start: u64) -> Result<Box<dyn Read + Send>, LogError> {
    let f = crate::plainfile::open(path).map_err(|e| LogError::io(path, e))?;
    input_at(f, path, start)
}

/// `f`, opened at `path`, from byte `start` as [`open_input_at`] reads it.
fn input_at(mut f: File, path: &Path, start: u64) -> Result<Box<dyn Read + Send>, LogError> {
    if start == 0 || is_compressed(path) {
        return decoded(f, Compression::of_name(path)).map_err(|e| LogError::io(path, e));
    }
    f.seek(SeekFrom::Start(start))
        .map_err(|e| LogError::io(path, e))?;
    Ok(Box::new(f))
}

/// How far before the wanted time a bisected start goes: lines written a little out of order
/// (several writers, a relayed syslog) and a message's earlier lines (its sender, logged again
/// each time it is retried) are still read.
pub const START_MARGIN_SECS: i64 = 3600;

/// Plain files smaller than this are read whole: bisecting them would save little.
const BISECT_MIN: u64 = 4 << 20;

/// Bytes read at each probe of [`start_offset`].
const PROBE: usize = 64 << 10;

/// Where to start reading the first `end` bytes of the log file `path` to see every line stamped
/// `since` or later: the start of a line [`START_MARGIN_SECS`] or more before `since`, found by
/// bisecting the file on its lines' stamps (a log is written in time order), so that a question
/// about the last hour does not read the week a Debian `mail.log` holds.
///
/// 0, the whole file, for a compressed or small file, or when no stamp can be read where it
/// looks (not a syslog file). A line stamped before its predecessors by more than the margin may
/// be skipped; the time order is the one assumption. A probe stamped before the bisection's
/// lower end (a clock that ran ahead, whose yearless stamps read as a date past) ends it there:
/// more is read, nothing skipped.
pub fn start_offset(path: &Path, since: DateTime<FixedOffset>, end: u64) -> u64 {
    if is_stream(path) || is_compressed(path) {
        return 0;
    }
    // (a FIFO put there since the look above does not hold it)
    let Ok(mut f) = crate::plainfile::open(path) else {
        return 0;
    };
    let len = f.metadata().map_or(0, |m| m.len()).min(end);
    if len < BISECT_MIN {
        return 0;
    }
    let margin = chrono::Duration::seconds(START_MARGIN_SECS);
    let target = since - margin;
    let mut buf = vec![0u8; PROBE];
    // every line that starts before `lo` is stamped before `target`; `lo_t` is the stamp there
    let (mut lo, mut hi) = (0u64, len);
    let Some(mut lo_t) = first_stamp_after(&mut f, 0, &mut buf) else {
        return 0;
    };
    while hi - lo > 4 * PROBE as u64 {
        let mid = lo + (hi - lo) / 2;
        match first_stamp_after(&mut f, mid, &mut buf) {
            // stamped well before the lines at `lo`: out of time order, so which side of it the
            // wanted lines are cannot be told. A clock that ran months ahead writes a yearless
            // stamp that reads as a date past (`Feb  4` in December), and one more than a day
            // ahead one that reads as last year: such lines are not where to start. Read on
            // from `lo`, which is before them.
            Some(t) if t + margin < lo_t => break,
            Some(t) if t < target => (lo, lo_t) = (mid, t),
            Some(_) => hi = mid,
            None => break,
        }
    }
    if lo == 0 {
        return 0;
    }
    line_start_after(&mut f, lo, len, &mut buf).unwrap_or(0)
}

/// The latest time of the first few stamped lines that start after byte `at` (within one probe's
/// read): one line with a forged or wrong old stamp cannot make the bisection skip lines of the
/// wanted time (a wrong late one only makes it read more).
fn first_stamp_after(f: &mut File, at: u64, buf: &mut [u8]) -> Option<DateTime<FixedOffset>> {
    f.seek(SeekFrom::Start(at)).ok()?;
    let n = read_full(f, buf).ok()?;
    latest_stamp_of_whole_lines(&buf[..n])
}

/// [`first_stamp_after`] over the bytes read: the lines between the first newline and the last.
fn latest_stamp_of_whole_lines(text: &[u8]) -> Option<DateTime<FixedOffset>> {
    let first = memchr::memchr(b'\n', text)? + 1;
    // whole lines only: the last one may be cut by the read
    let whole = memchr::memrchr(b'\n', text)?;
    // one newline only (a line longer than the read): no whole line to look at
    text.get(first..whole)?
        .split(|&b| b == b'\n')
        .take(64)
        .filter_map(|line| {
            // a stamp is ASCII and short: the valid head of the line is enough
            let head = &line[..line.len().min(96)];
            let head = match std::str::from_utf8(head) {
                Ok(h) => h,
                Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
            };
            let (stamp, _) = super::parse::parse_stamp(head)?;
            super::parse::YearGuess::now().resolve(stamp)
        })
        .take(8)
        .max()
}

/// The offset just after the first newline at or after `at` (before `end`).
fn line_start_after(f: &mut File, mut at: u64, end: u64, buf: &mut [u8]) -> Option<u64> {
    f.seek(SeekFrom::Start(at)).ok()?;
    while at < end {
        let n = read_full(f, buf).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Some(at + i as u64 + 1).filter(|&s| s <= end);
        }
        at += n as u64;
    }
    None
}

/// Read until `buf` is full or the file ends.
fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Lines of any reader (stdin for `summary -`), without a copy per line when they are valid
/// UTF-8. A line over `max_line` bytes is cut and marked; a last line without newline counts.
pub fn read_lines_from(
    r: &mut dyn Read,
    max_line: usize,
    each: &mut dyn FnMut(&str),
) -> io::Result<()> {
    let cap = (256 * 1024).max(max_line + 1);
    let mut buf = vec![0u8; cap];
    let (mut start, mut end) = (0usize, 0usize);
    let mut discarding = false;
    let emit = |line: &[u8], each: &mut dyn FnMut(&str)| {
        if line.len() > max_line {
            each(&cut_line(&line[..max_line], max_line));
        } else {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            match std::str::from_utf8(line) {
                Ok(l) => each(l),
                Err(_) => each(&String::from_utf8_lossy(line)),
            }
        }
    };
    loop {
        while let Some(i) = memchr::memchr(b'\n', &buf[start..end]) {
            let line = &buf[start..start + i];
            start += i + 1;
            if discarding {
                discarding = false;
            } else {
                emit(line, each);
            }
        }
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if end == buf.len() {
            // a line longer than the buffer: keep its start, skip the rest
            if !discarding {
                emit(&buf[..end], each);
                discarding = true;
            }
            end = 0;
        }
        let n = match r.read(&mut buf[end..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        end += n;
    }
    if end > start && !discarding {
        emit(&buf[start..end], each);
    }
    Ok(())
}

/// Wakes a follower: inotify on the log's directory when available, else a plain interval.
///
/// A watch is on a directory as it was when the watch was set: a directory removed and made again,
/// or moved away and replaced (an admin moving logs, `/var/log/mail/` recreated), is a new one that
/// the old watch never hears of; and a removed directory's own removal is not even reported while
/// the follower still holds its log open. So the directory above the log's is watched too (for
/// the log's directory only), and each wake sets the watches again on what is there now. While the
/// log's directory is missing, the nearest one above it is watched, so that its coming back wakes
/// the follower at once too.
pub struct Wakeup {
    rx: std::sync::mpsc::Receiver<()>,
    /// Kept so that `rx` never reports every sender gone (which would end each wait at once).
    tx: std::sync::mpsc::Sender<()>,
    /// The log's directory.
    dir: PathBuf,
    /// On the log's directory, while there is one.
    watch: Option<DirWatch>,
    /// On the nearest directory above the log's that exists, for the entry on the way to it.
    above: Option<DirWatch>,
    /// Set when the entry watched above was created, removed or renamed: the log's directory may
    /// be another one with the same inode number.
    replaced: Arc<AtomicBool>,
    /// The watch on the log's directory before it was replaced: moved away, the directory may
    /// still hold the file the follower reads until its writer reopens the log.
    moved: Option<DirWatch>,
    interval: Duration,
    /// Never watch (`poll_only`: a log on a network filesystem).
    poll_only: bool,
    /// A watch was refused and that was logged: said once until one is set again.
    refused_said: bool,
    /// Refusals in a row, and the wakes still to pass before the next try: the kernel's limit
    /// is rarely freed from one wake to the next, and every try is a new inotify instance.
    refusals: u32,
    retry_in: u32,
}

/// At most this many wakes between two tries at a refused watch (half a minute at the default
/// 500 ms interval): counted in wakes, not by the clock, as the app's own ticks.
const MAX_RETRY_WAKES: u32 = 64;

/// A watch on one directory.
struct DirWatch {
    _watcher: notify::RecommendedWatcher,
    on: PathBuf,
    id: (u64, u64),
}

/// The identity of the directory at `p`, if there is one.
fn dir_id(p: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(p)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| file_id(&m))
}

impl Wakeup {
    pub fn new(path: &Path, interval: Duration, poll_only: bool) -> Wakeup {
        let (tx, rx) = std::sync::mpsc::channel();
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let mut wake = Wakeup {
            rx,
            tx,
            dir,
            watch: None,
            above: None,
            replaced: Arc::new(AtomicBool::new(false)),
            moved: None,
            interval,
            poll_only,
            refused_said: false,
            refusals: 0,
            retry_in: 0,
        };
        if !poll_only {
            wake.rearm();
        }
        wake
    }

    /// Whether a change in the log's directory wakes the follower at once now (inotify or the
    /// platform's equivalent), rather than the interval: not while the directory is missing,
    /// nor while the kernel refuses a watch (`fs.inotify.max_user_instances` or
    /// `max_user_watches` reached), and again once a watch is set.
    pub fn notify(&self) -> bool {
        self.watch.is_some()
    }

    /// The nearest existing directory above the log's, and the name of the entry in it on the
    /// way to the log's directory.
    fn above_target(&self) -> Option<(PathBuf, (u64, u64), std::ffi::OsString)> {
        let abs = std::path::absolute(&self.dir).ok()?;
        let mut under = abs.as_path();
        for d in abs.ancestors().skip(1) {
            if let Some(id) = dir_id(d) {
                return Some((d.to_path_buf(), id, under.file_name()?.to_os_string()));
            }
            under = d;
        }
        None
    }

    /// Set the watches again where the directories there now are not the ones watched. A new
    /// watcher each time: nothing of a replaced directory's watch is carried over.
    fn rearm(&mut self) {
        // after a refusal, watches are tried again less and less often (doubling, up to
        // MAX_RETRY_WAKES); a replaced directory still drops its old watch at once
        let may_try = self.retry_in == 0;
        self.retry_in = self.retry_in.saturating_sub(1);
        let mut tried = false;
        let replaced = self.replaced.swap(false, Ordering::Relaxed);
        let here = dir_id(&self.dir);
        let current = match (&self.watch, here) {
            (Some(w), Some(id)) => w.id == id && !replaced,
            (None, None) => true,
            _ => false,
        };
        if !current {
            if let Some(old) = self.watch.take() {
                self.moved = Some(old);
            }
            if let Some(id) = here
                && may_try
            {
                tried = true;
                self.watch = self.watch_dir(self.dir.clone(), id, None);
            }
        }
        let target = self.above_target();
        let above_wanted = target.is_some();
        let current = match (&self.above, &target) {
            (Some(w), Some((on, id, _))) => w.on == *on && w.id == *id,
            (None, None) => true,
            _ => false,
        };
        if !current {
            self.above = None;
            if let Some((on, id, name)) = target
                && may_try
            {
                tried = true;
                self.above = self.watch_dir(on, id, Some(name));
            }
        }
        // every watch there is a directory for is set: a refusal after this is news again
        if self.watch.is_some() == here.is_some() && self.above.is_some() == above_wanted {
            self.refused_said = false;
            self.refusals = 0;
            self.retry_in = 0;
        } else if tried {
            self.refusals = self.refusals.saturating_add(1);
            // the next try on the 2nd wake from now, then the 4th, the 8th...
            let gap = 1u32
                .checked_shl(self.refusals)
                .unwrap_or(u32::MAX)
                .min(MAX_RETRY_WAKES);
            self.retry_in = gap - 1;
        }
    }

    /// A watch on `on`: every change in it, or with `only`, the changes of that entry.
    fn watch_dir(
        &mut self,
        on: PathBuf,
        id: (u64, u64),
        only: Option<std::ffi::OsString>,
    ) -> Option<DirWatch> {
        use notify::{EventKind, Watcher, event::ModifyKind};
        let tx = self.tx.clone();
        let replaced = Arc::clone(&self.replaced);
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let (Some(name), Ok(ev)) = (&only, &res) {
                if !ev.paths.iter().any(|p| p.file_name() == Some(name)) {
                    return;
                }
                if matches!(
                    ev.kind,
                    EventKind::Create(_)
                        | EventKind::Remove(_)
                        | EventKind::Modify(ModifyKind::Name(_))
                ) {
                    replaced.store(true, Ordering::Relaxed);
                }
            }
            let _ = tx.send(());
        });
        // the tests stand in for the kernel's refusal
        #[cfg(test)]
        let watcher = watcher.and_then(|w| {
            if tests::refused(&on) {
                Err(notify::Error::generic("refused"))
            } else {
                Ok(w)
            }
        });
        match watcher.and_then(|mut w| {
            w.watch(&on, notify::RecursiveMode::NonRecursive)?;
            Ok(w)
        }) {
            Ok(w) => Some(DirWatch {
                _watcher: w,
                on,
                id,
            }),
            Err(e) => {
                // tried again later (rearm's backoff): said once until a watch is set again
                if !self.refused_said {
                    self.refused_said = true;
                    tracing::warn!("mail log: cannot watch {}: {e}; polling", on.display());
                }
                None
            }
        }
    }

    /// Wait for a change or the interval, whichever comes first; then make sure the watches are
    /// on the directories there are now (the caller reads the log next, so nothing written in
    /// between is missed).
    pub fn wait(&mut self) {
        let _ = self.rx.recv_timeout(self.interval);
        while self.rx.try_recv().is_ok() {}
        // a watch lost or refused is tried again (a refused one after a backoff): a limit
        // reached at start may be free now
        if !self.poll_only {
            self.rearm();
        }
    }
}

/// The message for a log that cannot be read, with what to do about it.
pub fn unavailable_message(path: &Path, err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => {
            format!("{}: not found", path.display())
        }
        io::ErrorKind::IsADirectory => format!(
            "{}: is a directory, not a log: name the log file in it ([mail_log] files = \
             [\"{}\"])",
            path.display(),
            path.join("mail.log").display()
        ),
        io::ErrorKind::PermissionDenied => {
            format!(
                "{}: permission denied: {}",
                path.display(),
                denied_hint(path)
            )
        }
        _ => format!("{}: {err}", path.display()),
    }
}

/// What to do about a log the user may not read: join the group that may read it, if one may;
/// otherwise say who may. A directory on the way that is closed is named instead.
fn denied_hint(path: &Path) -> String {
    use crate::accounts::{group_name, user_name};
    match std::fs::metadata(path) {
        // readable by a group: the usual case (rsyslog writes mail.log as root:adm 0640)
        Ok(m) if m.mode() & 0o040 != 0 => {
            format!("add your user to group {}", group_name(m.gid()))
        }
        Ok(m) => format!(
            "only {} may read it (mode {:04o}) - run as {0}, or have it written readable by a \
             group (rsyslog's $FileGroup and $FileCreateMode, logrotate's create) and add your \
             user to that group",
            // an owner without the read bit cannot read it either: only root can
            if m.mode() & 0o400 != 0 {
                user_name(m.uid())
            } else {
                user_name(0)
            },
            m.mode() & 0o7777
        ),
        // the file cannot even be looked at: a directory on the way is closed
        Err(_) => {
            // the first step down the path that cannot be looked at: its parent is closed
            let steps: Vec<&Path> = path
                .ancestors()
                .filter(|p| !p.as_os_str().is_empty())
                .collect();
            let closed = steps
                .into_iter()
                .rev()
                .find(|p| std::fs::metadata(p).is_err())
                .and_then(Path::parent);
            match closed.and_then(|d| std::fs::metadata(d).ok().map(|m| (d, m))) {
                Some((d, m)) if m.mode() & 0o050 == 0o050 => format!(
                    "its directory {} is open to group {} only - add your user to it",
                    d.display(),
                    group_name(m.gid())
                ),
                Some((d, m)) => format!(
                    "its directory {} is open to {} only (mode {:04o}) - run as {1}",
                    d.display(),
                    user_name(m.uid()),
                    m.mode() & 0o7777
                ),
                None => "run as root, or as a user that may read it".into(),
            }
        }
    }
}

use super::parse::{LogLine, YearGuess, parse_line};
use super::{LogConfig, LogEvent};

/// Lines sent to the loop per event.
const BATCH: usize = 2000;

fn parse_batch(
    raw: &mut Vec<String>,
    years: &mut YearGuess,
    cutoff: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> (Vec<LogLine>, u64) {
    let mut parsed = Vec::with_capacity(raw.len());
    let mut unparsed = 0;
    for l in raw.drain(..) {
        match parse_line(&l, years) {
            Some(p) if cutoff.is_none_or(|c| p.time >= c) => parsed.push(p),
            Some(_) => {}
            None => unparsed += 1,
        }
    }
    (parsed, unparsed)
}

/// Send the backfill's lines gathered so far (counted in `total`); false once the receiver has
/// gone.
fn flush_backfill(
    source: usize,
    batch: &mut Vec<LogLine>,
    unparsed: &mut u64,
    total: &mut u64,
    sink: &mut dyn FnMut(LogEvent) -> bool,
) -> bool {
    *total += batch.len() as u64;
    send_lines(
        source,
        std::mem::take(batch),
        std::mem::take(unparsed),
        true,
        sink,
    )
}

fn send_lines(
    source: usize,
    lines: Vec<LogLine>,
    unparsed: u64,
    backfill: bool,
    sink: &mut dyn FnMut(LogEvent) -> bool,
) -> bool {
    if lines.is_empty() && unparsed == 0 {
        return true;
    }
    let mut lines = lines;
    while lines.len() > BATCH {
        let rest = lines.split_off(BATCH);
        if !sink(LogEvent::Lines {
            source,
            lines,
            backfill,
            unparsed: 0,
        }) {
            return false;
        }
        lines = rest;
    }
    sink(LogEvent::Lines {
        source,
        lines,
        backfill,
        unparsed,
    })
}

/// Ends early, as if at the end of the file, once `stop` is set.
struct StopReader<R> {
    inner: R,
    stop: Arc<AtomicBool>,
}

impl<R: Read> Read for StopReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

/// Hand the lines of a history file to `each` (on one parsing thread: the screen keeps the rest
/// of a small machine) until it returns false. Reading stops then too: at most the chunks
/// already in flight are parsed after that, however long the file.
fn history_lines(
    input: Box<dyn Read + Send>,
    years: &mut YearGuess,
    max_line: usize,
    each: &mut dyn FnMut(Option<LogLine<&str>>) -> bool,
) -> io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut input = StopReader {
        inner: input,
        stop: Arc::clone(&stop),
    };
    super::bulk::for_each_line(&mut input, years, 1, true, max_line, &mut |p| {
        if !stop.load(Ordering::Relaxed) && !each(p) {
            stop.store(true, Ordering::Relaxed);
        }
    })
}

/// Read history: rotated files (oldest first, `.gz` too) then the current file up to `until`,
/// keeping lines newer than `hours` ago. Returns lines sent, files read, and whether to go on.
/// `followed` is the follower, holding the current file: when a rotation has renamed it since
/// (and maybe compressed it), it is read up to `until` through the follower's own handle, not
/// again under its rotated names, and the new file at `path` is left to the follower, so that no
/// line at the seam is read twice.
pub fn backfill(
    source: usize,
    path: &Path,
    until: u64,
    followed: Option<&Follower>,
    cfg: &LogConfig,
    sink: &mut dyn FnMut(LogEvent) -> bool,
) -> (u64, usize, bool) {
    let cutoff =
        chrono::Local::now().fixed_offset() - chrono::Duration::hours(cfg.backfill_hours as i64);
    backfill_since(
        source,
        path,
        until,
        followed,
        cutoff,
        cfg.max_line_bytes,
        sink,
    )
}

/// [`backfill`] of the lines stamped `cutoff` or later, wherever they are now: what the
/// Senders pane's test-mail trace missed while its log could not be read.
pub fn backfill_since(
    source: usize,
    path: &Path,
    until: u64,
    followed: Option<&Follower>,
    cutoff: DateTime<FixedOffset>,
    max_line: usize,
    sink: &mut dyn FnMut(LogEvent) -> bool,
) -> (u64, usize, bool) {
    let held = followed.and_then(Follower::held);
    let followed = held.as_ref().map(|h| h.id);
    let cutoff_sys = SystemTime::from(cutoff);
    let mut years = YearGuess::now();
    let mut total = 0u64;
    let mut files = 0usize;
    let mut go_on = true;
    let id_of = |p: &Path| std::fs::metadata(p).ok().map(|m| file_id(&m));
    let mut candidates: Vec<(PathBuf, u64)> = rotated_siblings(path)
        .into_iter()
        // a rotated file last written before the cutoff holds nothing we want
        .filter(|p| {
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= cutoff_sys)
        })
        .filter_map(|p| match &held {
            // the file followed, renamed (and compressed) by a rotation since it was opened:
            // read through its handle below
            Some(
                h @ Held {
                    reopen: Some(_), ..
                },
            ) if h.is(&p) => None,
            // no handle to read it through: under its new name. The follower reads it on from
            // `until`
            Some(h) if id_of(&p) == Some(h.id) => Some((p, until)),
            _ => Some((p, u64::MAX)),
        })
        .collect();
    // the file followed up to where following started, whatever its name by now; a file
    // created at `path` since is the follower's to read, all of it
    if until > 0 {
        match held.and_then(|h| h.reopen) {
            Some(reopen) => candidates.push((reopen, until)),
            None if followed.is_none_or(|id| id_of(path) == Some(id)) => {
                candidates.push((path.to_path_buf(), until));
            }
            None => {}
        }
    }
    let mut batch: Vec<LogLine> = Vec::new();
    let mut unparsed = 0u64;
    for (file, limit) in candidates {
        files += 1;
        // a plain file from about an hour before the cutoff, not from its start
        let start = start_offset(&file, cutoff, limit);
        let res = open_plain_input_at(&file, start).and_then(|input| {
            // the limit counts bytes of the plain file
            let input: Box<dyn Read + Send> = if is_compressed(&file) {
                input
            } else {
                Box::new(input.take(limit.saturating_sub(start)))
            };
            history_lines(input, &mut years, max_line, &mut |p| {
                match p {
                    Some(p) if p.time >= cutoff => batch.push(p.sanitized()),
                    Some(_) => {}
                    None => unparsed += 1,
                }
                if batch.len() >= BATCH {
                    go_on = flush_backfill(source, &mut batch, &mut unparsed, &mut total, sink);
                }
                go_on
            })
            .map_err(|e| LogError::io(&file, e))
        });
        // what is left of this file (nothing is gathered once the receiver has gone)
        if go_on {
            go_on = flush_backfill(source, &mut batch, &mut unparsed, &mut total, sink);
        }
        if let Err(e) = res {
            // a rotated file that cannot be read does not stop following
            tracing::warn!("backfill: {e}");
        }
        if !go_on {
            break;
        }
    }
    (total, files, go_on)
}

/// Follow one file until the loop goes away: backfill first (in this background thread), then
/// every change. Reports state changes (missing, unreadable, back again).
pub fn run_file_source(
    source: usize,
    path: &Path,
    cfg: &LogConfig,
    sink: &mut dyn FnMut(LogEvent) -> bool,
) {
    let mut wake = Wakeup::new(path, super::poll_interval(cfg), cfg.poll_only);
    let mut follower = Follower::new(path, true, cfg.max_line_bytes);
    let mut raw = Vec::new();
    // the state last reported, and whether the watch was on then (the pane says which)
    let mut state: Option<(SourceState, bool)> = None;
    let report = |res: &Result<(), super::LogError>,
                  notify: bool,
                  state: &mut Option<(SourceState, bool)>,
                  sink: &mut dyn FnMut(LogEvent) -> bool| {
        let now = (SourceState::of(res), notify);
        if state.as_ref() != Some(&now) {
            *state = Some(now.clone());
            return sink(LogEvent::State {
                source,
                state: now.0,
                notify,
            });
        }
        true
    };
    // the lines followed are written from now on: backfill reads what came before
    let started = chrono::Local::now().fixed_offset();
    let first = follower.poll(&mut raw);
    if !report(&first, wake.notify(), &mut state, sink) {
        return;
    }
    // a log that is there but cannot be read yet is history when it can be: the backfill waits
    // for it (a missing one is new when it appears, and its rotated files are read now)
    let mut backfill_due = cfg.backfill_hours > 0;
    let waits = |res: &Result<(), LogError>| matches!(res, Err(LogError::Io { source, .. }) if source.kind() != io::ErrorKind::NotFound);
    if backfill_due && !waits(&first) {
        backfill_due = false;
        if !backfill_now(source, path, &follower, first.is_ok(), cfg, sink) {
            return;
        }
    }
    let mut years = YearGuess::following(chrono::Local::now().date_naive()).after(started);
    loop {
        let res = follower.poll(&mut raw);
        if !report(&res, wake.notify(), &mut state, sink) {
            return;
        }
        if backfill_due && res.is_ok() {
            backfill_due = false;
            if !backfill_now(source, path, &follower, true, cfg, sink) {
                return;
            }
        }
        let (p, u) = parse_batch(&mut raw, &mut years, None);
        if !send_lines(source, p, u, false, sink) {
            return;
        }
        wake.wait();
    }
}

/// The backfill of a followed file, and the event that says it is done; `false` when the
/// receiver has gone. `opened`: the follower has the file open (it is read up to where following
/// started, else only its rotated files are).
fn backfill_now(
    source: usize,
    path: &Path,
    follower: &Follower,
    opened: bool,
    cfg: &LogConfig,
    sink: &mut dyn FnMut(LogEvent) -> bool,
) -> bool {
    let until = if opened { follower.started_at } else { 0 };
    let (lines, files, go_on) = backfill(source, path, until, Some(follower), cfg, sink);
    go_on
        && sink(LogEvent::BackfillDone {
            source,
            lines,
            files,
        })
}

/// Which journal opsdeck reads, and for which units: what every `journalctl` it runs (the
/// Failures pane's follow, the reports' windows, the Senders pane's scan) is built from, so that
/// none of them reads another journal than the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalQuery {
    /// systemd units (globs allowed): `-u UNIT` each.
    pub units: Vec<String>,
    /// A directory of journal files read instead of the host's journal (`--directory`): one
    /// copied from another host, a container's, or what `systemd-journal-remote` receives.
    pub directory: Option<PathBuf>,
}

impl JournalQuery {
    /// The journal `[mail_log]` names: `journal_units`, in `journal_directory` when set.
    pub fn of(cfg: &LogConfig) -> JournalQuery {
        JournalQuery {
            units: cfg.journal_units.clone(),
            directory: cfg.journal_directory.clone(),
        }
    }

    /// `journalctl -o OUTPUT --all --no-pager -q [--directory DIR] -u UNIT...`: the base of
    /// every `journalctl` opsdeck runs; the caller adds what to read (`-f`, `--since`,
    /// `--until`). `--all`: every field whole. Without it, a message holding a control character
    /// (a remote's hostile reply) is printed as "[N blob data]", and a JSON field over 4096
    /// bytes as `null`: their lines would be lost to the pane and the reports.
    pub fn command(&self, output: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new("journalctl");
        cmd.args(["-o", output, "--all", "--no-pager", "-q"]);
        if let Some(dir) = &self.directory {
            cmd.arg("--directory").arg(dir);
        }
        for u in &self.units {
            cmd.arg("-u").arg(u);
        }
        cmd
    }
}

/// `journalctl` could not be started: what to do.
fn journalctl_spawn_error(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::NotFound {
        "journalctl: not found: use source = \"file\" in [mail_log], or install systemd".into()
    } else {
        format!("journalctl: {e}")
    }
}

/// How much of `journalctl`'s standard error is kept from each end. Its reason for failing is
/// at one end or the other, and a damaged journal can put any amount of warnings between them
/// ("Journal file ... is truncated, ignoring file", once per file at every start).
const STDERR_KEEP: usize = 4 * 1024;

/// The first and the last [`STDERR_KEEP`] bytes of a stream, with a line between them saying
/// how much was left out: what a failure's message needs, in bounded memory, however much is
/// written. The stream is read to its end all the same, so that its writer never waits on a full
/// pipe.
#[derive(Debug, Default)]
struct KeptStderr {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    left_out: u64,
}

impl KeptStderr {
    fn push(&mut self, data: &[u8]) {
        let now = data.len().min(STDERR_KEEP - self.head.len());
        self.head.extend_from_slice(&data[..now]);
        self.tail.extend(&data[now..]);
        let over = self.tail.len().saturating_sub(STDERR_KEEP);
        self.tail.drain(..over);
        self.left_out += over as u64;
    }

    fn into_bytes(self) -> Vec<u8> {
        let mut out = self.head;
        let mut tail: Vec<u8> = self.tail.into();
        if self.left_out > 0 {
            // the tail from its first whole line
            let cut = tail.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            tail.drain(..cut);
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            let left_out = self.left_out + cut as u64;
            out.extend_from_slice(format!("[{left_out} bytes left out]\n").as_bytes());
        }
        out.extend_from_slice(&tail);
        out
    }
}

/// Read a child's standard error to its end, keeping [`KeptStderr`]'s part of it.
fn read_stderr(mut r: impl Read) -> Vec<u8> {
    let mut kept = KeptStderr::default();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => kept.push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    kept.into_bytes()
}

/// [`read_stderr`] for a tokio child.
async fn read_stderr_async(mut r: impl tokio::io::AsyncRead + Unpin) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut kept = KeptStderr::default();
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.push(&buf[..n]);
    }
    kept.into_bytes()
}

/// A task that is stopped when its handle is dropped: the reader of a child's standard error
/// ends with the source that started it.
struct TaskGuard<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for TaskGuard<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The journal's lines for some units over a window (`journalctl -o short-iso`), read as it
/// writes them: what `opsdeck summary` and `opsdeck check` read with `source = "journal"`.
pub(crate) struct JournalWindow {
    child: std::process::Child,
    /// The deadline it is read under, told when journalctl ends (see [`JournalWindow::under`]).
    deadline: Option<super::deadline::Deadline>,
    pub stdout: std::process::ChildStdout,
    /// What it prints on stderr ([`KeptStderr`]), read on a thread of its own (a full pipe
    /// would stop it).
    stderr: std::thread::JoinHandle<Vec<u8>>,
    /// The command, as a report names its input.
    pub describe: String,
}

impl JournalWindow {
    pub fn start(
        journal: &JournalQuery,
        since: Option<DateTime<FixedOffset>>,
        until: Option<DateTime<FixedOffset>>,
    ) -> Result<JournalWindow, String> {
        JournalWindow::spawn(journal, since, until, false)
    }

    fn spawn(
        journal: &JournalQuery,
        since: Option<DateTime<FixedOffset>>,
        until: Option<DateTime<FixedOffset>>,
        own_group: bool,
    ) -> Result<JournalWindow, String> {
        let mut cmd = journal.command("short-iso");
        if own_group {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        // journalctl's own --until includes its second: a report's window ends before it
        if let Some(s) = since {
            cmd.arg(format!("--since=@{}", s.timestamp()));
        }
        if let Some(u) = until {
            cmd.arg(format!("--until=@{}", u.timestamp()));
        }
        let describe = crate::mail::senders::postconf::describe(&cmd);
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| journalctl_spawn_error(&e))?;
        let stdout = child.stdout.take().expect("piped");
        let err = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || read_stderr(err));
        Ok(JournalWindow {
            child,
            deadline: None,
            stdout,
            stderr,
            describe,
        })
    }

    /// [`JournalWindow::start`], read under `deadline`: journalctl runs in a process group of
    /// its own, which [`Deadline::give_up`](super::deadline::Deadline::give_up) kills when a read
    /// of it is given up on (a journalctl that writes nothing blocks the read in the kernel,
    /// where the deadline alone cannot stop it).
    pub fn under(
        journal: &JournalQuery,
        since: Option<DateTime<FixedOffset>>,
        deadline: &super::deadline::Deadline,
    ) -> Result<JournalWindow, String> {
        let mut w = JournalWindow::spawn(journal, since, None, true)?;
        deadline.feeding(w.child.id());
        w.deadline = Some(deadline.clone());
        Ok(w)
    }

    /// End journalctl before it has written everything (a read stopped at a deadline).
    pub fn stop(mut self) {
        drop(self.stdout);
        let _ = self.child.kill();
        if let Some(d) = &self.deadline {
            d.fed(self.child.id());
        }
        let _ = self.child.wait();
    }

    /// Wait for journalctl; what it said when it failed.
    pub fn finish(mut self, units: &[String]) -> Option<String> {
        drop(self.stdout);
        let status = self.child.wait();
        if let Some(d) = &self.deadline {
            d.fed(self.child.id());
        }
        let status = status.ok()?;
        let stderr = self.stderr.join().unwrap_or_default();
        (!status.success()).then(|| journal_error(&stderr, units))
    }
}

/// The last lines of `text` that fit in about `max` characters, made printable and joined as
/// [`sanitize_lines`](crate::sanitize::sanitize_lines) joins them, saying when there were more:
/// a command's reason for failing is its last word, after any number of warnings.
fn last_lines(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut from = lines.len();
    let mut len = 0;
    while from > 0 && len + lines[from - 1].len() <= max {
        len += lines[from - 1].len() + 2;
        from -= 1;
    }
    // a last line longer than all: its start
    let from = from.min(lines.len().saturating_sub(1));
    let said = crate::sanitize::sanitize_lines(&lines[from..].join("\n"), max);
    if from == 0 {
        said
    } else {
        format!("[earlier lines left out]; {said}")
    }
}

/// What a failed `journalctl` said, with what to do about it.
pub(super) fn journal_error(stderr: &[u8], units: &[String]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let said = last_lines(&text, 1000);
    let lower = text.to_ascii_lowercase();
    if lower.contains("filter for units") || lower.contains("no data available") {
        // `-u GLOB` that matches no unit the journal has seen
        let units = crate::sanitize::Clean::new(&units.join(" "));
        format!(
            "journalctl: no journal entries for the units {units}: is Postfix logging to the \
             journal here? Set journal_units, or use source = \"file\" in [mail_log] ({said})"
        )
    } else if lower.contains("permission") || lower.contains("no journal files") {
        format!("journalctl: {said} (run as root or add the user to the systemd-journal group)")
    } else if said.is_empty() {
        "journalctl: failed without saying why".into()
    } else {
        format!("journalctl: {said}")
    }
}

/// Where `journalctl` starts reading the followed journal: the start of the backfill window
/// until an entry has been read, then right after the last entry read, by its cursor. A cursor
/// is the entry's place in the journal, not its time: an entry written while `journalctl` was
/// not running is read however it is stamped, also earlier than the last one read (another
/// host's clock behind, on a central log host; a clock stepped back), and none is read twice.
#[derive(Clone, Debug, PartialEq, Eq)]
enum JournalFrom {
    /// `--since=@SECONDS`: nothing read yet. A time, not `-Nh`: run again, it reads the same
    /// window.
    Since(i64),
    /// `--after-cursor=CURSOR`: the last entry read.
    After(String),
}

impl JournalFrom {
    fn arg(&self) -> String {
        match self {
            JournalFrom::Since(t) => format!("--since=@{t}"),
            JournalFrom::After(cursor) => format!("--after-cursor={cursor}"),
        }
    }
}

/// `journalctl -o json` from `from`, following (`-f`) or not: each entry with its cursor, and
/// every field whole ([`JournalQuery::command`]). Following, `--lines=all`: after a cursor, `-f` alone prints the first 10 entries only and
/// holds back the rest until the journal is next written to.
fn journal_entries(
    journal: &JournalQuery,
    from: &JournalFrom,
    follow: bool,
) -> tokio::process::Command {
    let mut cmd = journal.command("json");
    if follow {
        cmd.args(["-f", "--lines=all"]);
    }
    cmd.arg(from.arg());
    let mut cmd = tokio::process::Command::from(cmd);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// One `journalctl` of [`journal_entries`], its stderr read all along on a task of its own: a
/// `journalctl` with more to say there than a pipe holds (a warning for each damaged journal
/// file) would wait on it and print no line more.
struct JournalRun {
    child: tokio::process::Child,
    stderr: Option<TaskGuard<Vec<u8>>>,
}

impl JournalRun {
    /// Start it: the run, and its entries to read; or what to do when it cannot be started.
    fn start(
        journal: &JournalQuery,
        from: &JournalFrom,
        follow: bool,
    ) -> Result<
        (
            JournalRun,
            tokio::io::BufReader<tokio::process::ChildStdout>,
        ),
        String,
    > {
        let mut child = journal_entries(journal, from, follow)
            .spawn()
            .map_err(|e| journalctl_spawn_error(&e))?;
        let stdout = child.stdout.take().expect("journal_entries pipes stdout");
        let stderr = child
            .stderr
            .take()
            .map(|e| TaskGuard(tokio::spawn(read_stderr_async(e))));
        Ok((
            JournalRun { child, stderr },
            tokio::io::BufReader::new(stdout),
        ))
    }

    /// Wait for it to end: how it ended, and what it said on stderr.
    async fn end(mut self) -> (io::Result<std::process::ExitStatus>, Vec<u8>) {
        let status = self.child.wait().await;
        let said = match self.stderr.take() {
            Some(mut task) => (&mut task.0).await.unwrap_or_default(),
            None => Vec::new(),
        };
        (status, said)
    }
}

/// How long `journalctl -f` may print nothing before it is taken as running: one that cannot
/// run says so at once.
const RUNNING_PAUSE: Duration = Duration::from_millis(500);

/// A source state to send, when it is not the one last sent (`reported`): a journalctl that
/// fails the same way at every start is one error, as a file that stays unreadable is.
fn state_event(
    source: usize,
    state: SourceState,
    reported: &mut Option<SourceState>,
) -> Option<crate::app::effect::SourceEvent> {
    let changed = reported.as_ref() != Some(&state);
    *reported = Some(state.clone());
    let notify = state == SourceState::Following;
    changed.then_some(crate::app::effect::SourceEvent::Log(LogEvent::State {
        source,
        state,
        notify,
    }))
}

/// One line of `journalctl -o json` as read (taken from `buf`): the line the parser reads for
/// its entry, with `from` moved past the entry. `None` for a line that is not an entry: the
/// part of one a `journalctl` killed while it wrote left (the entry is read whole when it is
/// run again, from the last entry before it).
fn journal_line(buf: &mut Vec<u8>, max: usize, from: &mut JournalFrom) -> Option<String> {
    let entry = JournalEntry::from_json(buf, max);
    buf.clear();
    let entry = entry?;
    if let Some(cursor) = entry.cursor {
        *from = JournalFrom::After(cursor);
    }
    Some(entry.line)
}

/// Why a `journalctl` run ended, from its exit status and what it said on stderr.
fn journal_end(
    status: io::Result<std::process::ExitStatus>,
    said: &[u8],
    units: &[String],
) -> String {
    match status {
        // killed (by the OOM killer, by hand) or ended without a word: how it ended
        Ok(status) if said.iter().all(u8::is_ascii_whitespace) => format!(
            "journalctl ended without saying why ({status}): running it again in {} s",
            JOURNAL_RESTART.as_secs()
        ),
        Ok(_) => journal_error(said, units),
        Err(e) => format!("journalctl: {e}"),
    }
}

/// Parse the journal lines in `raw` (taken) and send them, as history (`backfill`) or as they
/// come: how many were sent, or `None` when nobody listens any more.
async fn send_journal_batch(
    source: usize,
    raw: &mut Vec<String>,
    years: &mut YearGuess,
    backfill: bool,
    runner: &crate::app::effect::Runner,
) -> Option<u64> {
    let (lines, unparsed) = parse_batch(raw, years, None);
    if runner.tx.is_closed() {
        return None;
    }
    let n = lines.len() as u64;
    runner
        .send(crate::app::effect::SourceEvent::Log(LogEvent::Lines {
            source,
            lines,
            backfill,
            unparsed,
        }))
        .await;
    Some(n)
}

/// How reading the history ended.
enum HistoryEnd {
    /// Read to its end: `journalctl -f` takes up after it.
    Read,
    /// journalctl could not be started.
    NotStarted(String),
    /// journalctl failed: what it said.
    Failed(String),
    /// Nobody listens any more.
    Closed,
}

/// Read the history from `from` (no `-f`): journalctl prints the entries there are and ends, so
/// the history's end is known however slowly it is read. `from` is moved past each entry read:
/// following takes up right after the last one, and a failed read is taken up again there.
async fn read_history(
    source: usize,
    cfg: &LogConfig,
    journal: &JournalQuery,
    from: &mut JournalFrom,
    reported: &mut Option<SourceState>,
    runner: &crate::app::effect::Runner,
) -> HistoryEnd {
    use crate::app::effect::SourceEvent;
    use tokio::io::AsyncBufReadExt;
    let (run, mut reader) = match JournalRun::start(journal, from, false) {
        Ok(started) => started,
        Err(msg) => return HistoryEnd::NotStarted(msg),
    };
    let mut years = YearGuess::now();
    let (mut raw, mut buf) = (Vec::new(), Vec::new());
    let (mut printed, mut sent) = (0u64, 0u64);
    loop {
        let read = reader.read_until(b'\n', &mut buf).await;
        let end = matches!(read, Ok(0) | Err(_));
        if !end {
            printed += 1;
            if printed == 1
                && let Some(ev) = state_event(source, SourceState::Following, reported)
            {
                runner.send(ev).await;
            }
            raw.extend(journal_line(&mut buf, cfg.max_line_bytes, from));
        }
        if !raw.is_empty() && (end || raw.len() >= BATCH || reader.buffer().is_empty()) {
            match send_journal_batch(source, &mut raw, &mut years, true, runner).await {
                Some(n) => sent += n,
                None => return HistoryEnd::Closed,
            }
        }
        if end {
            break;
        }
    }
    let (status, said) = run.end().await;
    if !matches!(&status, Ok(s) if s.success()) {
        return HistoryEnd::Failed(journal_end(status, &said, &cfg.journal_units));
    }
    if let Some(ev) = state_event(source, SourceState::Following, reported) {
        runner.send(ev).await;
    }
    let done = LogEvent::BackfillDone {
        source,
        lines: sent,
        files: 0,
    };
    runner.send(SourceEvent::Log(done)).await;
    HistoryEnd::Read
}

/// Follow journald with `journalctl -o json` for the configured units: the history of
/// `backfill_hours` (`journalctl` without `-f`, which ends), then `journalctl -f` after its last
/// entry, run again when it exits, right after the last entry read (`--after-cursor`: by its
/// place in the journal, not its time), so that no entry is lost or read twice, however it is
/// stamped. Each entry is read as the line `-o short-iso-precise` prints for it.
pub async fn run_journal_source(
    source: usize,
    cfg: &LogConfig,
    runner: &crate::app::effect::Runner,
) {
    use tokio::io::AsyncBufReadExt;
    let journal = JournalQuery::of(cfg);
    let mut reported: Option<SourceState> = None;
    let window = 3600 * cfg.backfill_hours.max(1) as i64;
    let mut from = JournalFrom::Since(chrono::Utc::now().timestamp() - window);
    loop {
        let wait = match read_history(source, cfg, &journal, &mut from, &mut reported, runner).await
        {
            HistoryEnd::Read => break,
            HistoryEnd::Closed => return,
            HistoryEnd::NotStarted(msg) => (msg, JOURNAL_NOT_FOUND),
            HistoryEnd::Failed(msg) => (msg, JOURNAL_RESTART),
        };
        if let Some(ev) = state_event(source, SourceState::Unavailable(wait.0), &mut reported) {
            runner.send(ev).await;
        }
        tokio::time::sleep(wait.1).await;
    }
    loop {
        let (run, mut reader) = match JournalRun::start(&journal, &from, true) {
            Ok(started) => started,
            Err(msg) => {
                if let Some(ev) = state_event(source, SourceState::Unavailable(msg), &mut reported)
                {
                    runner.send(ev).await;
                }
                tokio::time::sleep(JOURNAL_NOT_FOUND).await;
                continue;
            }
        };
        let mut years = YearGuess::now();
        let mut raw = Vec::new();
        let mut buf = Vec::new();
        // journalctl is said to be followed once it shows it runs: a line, or a wait
        let mut running = false;
        loop {
            let read = if !running {
                // a read that waits a while. What a read stopped so has taken stays in `buf`,
                // and the next read goes on from it.
                match tokio::time::timeout(RUNNING_PAUSE, reader.read_until(b'\n', &mut buf)).await
                {
                    Ok(r) => r,
                    Err(_) => {
                        if runner.tx.is_closed() {
                            return;
                        }
                        running = true;
                        if let Some(ev) = state_event(source, SourceState::Following, &mut reported)
                        {
                            runner.send(ev).await;
                        }
                        continue;
                    }
                }
            } else {
                reader.read_until(b'\n', &mut buf).await
            };
            match read {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if !running {
                        running = true;
                        if let Some(ev) = state_event(source, SourceState::Following, &mut reported)
                        {
                            runner.send(ev).await;
                        }
                    }
                    raw.extend(journal_line(&mut buf, cfg.max_line_bytes, &mut from));
                }
            }
            if !raw.is_empty()
                && (raw.len() >= BATCH || reader.buffer().is_empty())
                && send_journal_batch(source, &mut raw, &mut years, false, runner)
                    .await
                    .is_none()
            {
                return;
            }
        }
        let (status, said) = run.end().await;
        let msg = journal_end(status, &said, &cfg.journal_units);
        if let Some(ev) = state_event(source, SourceState::Unavailable(msg), &mut reported) {
            runner.send(ev).await;
        }
        tokio::time::sleep(JOURNAL_RESTART).await;
    }
}

/// How long after `journalctl` could not be started it is tried again.
const JOURNAL_NOT_FOUND: Duration = Duration::from_secs(10);

/// How long after `journalctl -f` ended it is run again.
const JOURNAL_RESTART: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    /// Directories the kernel is made to refuse a watch on, as it does once
    /// `fs.inotify.max_user_instances` or `max_user_watches` is reached (the machine's own
    /// limit is shared with everything else running: a test does not exhaust it).
    static REFUSED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

    /// Watches tried, by directory.
    static TRIED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

    pub(super) fn refused(on: &Path) -> bool {
        TRIED.lock().unwrap().push(on.to_path_buf());
        REFUSED.lock().unwrap().iter().any(|p| p == on)
    }

    fn tries(on: &Path) -> usize {
        TRIED.lock().unwrap().iter().filter(|p| *p == on).count()
    }

    fn refuse(dir: &Path, refused: bool) {
        let mut r = REFUSED.lock().unwrap();
        r.retain(|p| p != dir);
        if refused {
            r.push(dir.to_path_buf());
        }
    }

    /// The word the Failures pane shows for a followed file says how the follower is woken
    /// now: a watch lost (the log's directory replaced, a new one the kernel will not watch) is
    /// polling from then on, and a watch set again is inotify again.
    #[test]
    fn the_follower_reports_the_watch_as_it_is_now() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("log");
        std::fs::create_dir(&dir).unwrap();
        let log = dir.join("mail.log");
        std::fs::write(&log, "").unwrap();
        let cfg = LogConfig {
            files: vec![log.clone()],
            backfill_hours: 0,
            poll_interval_ms: 50,
            ..LogConfig::default()
        };
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            // ends at its next event once the test is gone
            std::thread::spawn(move || {
                run_file_source(0, &log, &cfg, &mut |ev| tx.send(ev).is_ok());
            });
        }
        let following = |notify: bool| {
            let guard = Instant::now() + Duration::from_secs(30);
            let mut seen = Vec::new();
            loop {
                let left = guard.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(LogEvent::State {
                        state: SourceState::Following,
                        notify: n,
                        ..
                    }) if n == notify => return,
                    Ok(ev) => seen.push(format!("{ev:?}")),
                    Err(_) => panic!("no Following with notify = {notify}; saw {seen:?}"),
                }
            }
        };
        following(true);
        // the directory replaced by one the kernel refuses to watch
        refuse(&dir, true);
        std::fs::rename(&dir, root.path().join("log.old")).unwrap();
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(&log, "").unwrap();
        following(false);
        // the watch can be set again: it is, and the word says so
        refuse(&dir, false);
        following(true);
    }

    /// A follower started while the kernel refused every watch polls, and says so; once a
    /// watch can be set it is, not only after a restart.
    #[test]
    fn a_watch_refused_at_start_is_set_once_it_can_be() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("log");
        std::fs::create_dir(&dir).unwrap();
        let log = dir.join("mail.log");
        std::fs::write(&log, "").unwrap();
        refuse(&dir, true);
        refuse(root.path(), true);
        let mut wake = Wakeup::new(&log, Duration::from_millis(10), false);
        assert!(!wake.notify());
        wake.wait();
        assert!(!wake.notify());
        refuse(&dir, false);
        refuse(root.path(), false);
        // tried again within the backoff's longest gap
        for _ in 0..MAX_RETRY_WAKES {
            wake.wait();
        }
        assert!(wake.notify());
    }

    /// A refused watch is not tried on every wake (a new inotify instance each time, twice a
    /// second at the default interval, for as long as the limit lasts): the gaps between tries
    /// double up to MAX_RETRY_WAKES; once one is set, a later refusal starts from the short gap.
    #[test]
    fn a_refused_watch_is_tried_again_less_and_less_often() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("log");
        std::fs::create_dir(&dir).unwrap();
        let log = dir.join("mail.log");
        refuse(&dir, true);
        refuse(root.path(), true);
        let mut wake = Wakeup::new(&log, Duration::ZERO, false);
        assert_eq!(tries(&dir), 1);
        // the wakes on which the log's directory was tried
        let mut at = vec![0];
        for n in 1..=300 {
            let before = tries(&dir);
            wake.wait();
            if tries(&dir) > before {
                at.push(n);
            }
        }
        let gaps: Vec<usize> = at.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, [2, 4, 8, 16, 32, 64, 64, 64], "tried on wakes {at:?}");
        assert!(!wake.notify());
        // set once it may be; refused again later (the directory replaced), tried soon again
        refuse(&dir, false);
        refuse(root.path(), false);
        while !wake.notify() {
            wake.wait();
        }
        refuse(&dir, true);
        std::fs::rename(&dir, root.path().join("log.old")).unwrap();
        std::fs::create_dir(&dir).unwrap();
        let before = tries(&dir);
        for _ in 0..3 {
            wake.wait();
        }
        assert!(!wake.notify());
        assert_eq!(tries(&dir) - before, 2, "tried at once, then after 2 wakes");
        refuse(&dir, false);
        refuse(root.path(), false);
    }

    /// `poll_only` (a log on a network filesystem): the follower looks at the file once an
    /// interval, not over and over as fast as it can.
    #[test]
    fn a_poll_only_follower_waits_its_interval() {
        let dir = tempfile::tempdir().unwrap();
        let interval = Duration::from_millis(200);
        let mut wake = Wakeup::new(&dir.path().join("mail.log"), interval, true);
        assert!(!wake.notify());
        let started = Instant::now();
        wake.wait();
        let waited = started.elapsed();
        assert!(waited >= interval, "woke after {waited:?}");
    }

    /// journalctl's stderr is read to its end however long, and what is kept of it is its start
    /// and its end (where its reason for failing is), whole lines, with what was left out said.
    #[test]
    fn a_long_stderr_keeps_its_start_and_its_end() {
        let warning = "Journal file /var/log/journal/0f3c/system@0005f1.journal~ is truncated, \
                       ignoring file.\n";
        let text = format!(
            "{}No journal files were opened due to insufficient permissions.\n",
            warning.repeat(3000)
        );
        let kept = read_stderr(text.as_bytes());
        let kept = String::from_utf8(kept).unwrap();
        assert!(kept.len() < 3 * STDERR_KEEP, "{}", kept.len());
        assert!(kept.starts_with(warning), "{kept}");
        assert!(
            kept.ends_with(".\nNo journal files were opened due to insufficient permissions.\n"),
            "{kept}"
        );
        let left_out = kept
            .lines()
            .find(|l| l.ends_with(" bytes left out]"))
            .unwrap();
        let n: usize = left_out[1..left_out.find(' ').unwrap()].parse().unwrap();
        // all but the two ends kept, the tail from its first whole line
        assert!(
            n >= text.len() - 2 * STDERR_KEEP && n < text.len() - STDERR_KEEP,
            "{left_out}"
        );
        // the message is its last words, and what to do
        let said = journal_error(kept.as_bytes(), &[]);
        assert!(
            said.len() < 1200
                && said.contains(
                    "; No journal files were opened due to insufficient permissions. (run as \
                     root or add the user to the systemd-journal group)"
                )
                && said.starts_with("journalctl: [earlier lines left out]; Journal file "),
            "{said}"
        );
        // short: kept as it is
        assert_eq!(
            read_stderr(&b"Failed to open journal\n"[..]),
            b"Failed to open journal\n"
        );
    }

    #[test]
    fn journalctl_failures_say_what_to_do() {
        let units = vec!["postfix*".to_string()];
        let m = journal_error(
            b"Failed to add filter for units: No data available\n",
            &units,
        );
        assert_eq!(
            m,
            "journalctl: no journal entries for the units postfix*: is Postfix logging to the \
             journal here? Set journal_units, or use source = \"file\" in [mail_log] (Failed to \
             add filter for units: No data available)"
        );
        let m = journal_error(
            b"No journal files were opened due to insufficient permissions.\n",
            &units,
        );
        assert!(
            m.ends_with("(run as root or add the user to the systemd-journal group)"),
            "{m}"
        );
        assert_eq!(
            journal_error(b"", &units),
            "journalctl: failed without saying why"
        );
        // what it prints reaches the screen escaped
        let m = journal_error(b"\x1b[2Jboom\n", &units);
        assert!(!m.contains('\x1b'), "{m}");
    }

    fn lines(data: &[&[u8]], max: usize) -> Vec<String> {
        let mut partial = Vec::new();
        let mut disc = false;
        let mut out = Vec::new();
        for d in data {
            split_lines(d, &mut partial, &mut disc, max, &mut out);
        }
        out
    }

    /// Counts the bytes read from `data`.
    struct Counted {
        data: io::Cursor<Vec<u8>>,
        read: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Read for Counted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.read(buf)?;
            self.read.fetch_add(n, Ordering::Relaxed);
            Ok(n)
        }
    }

    /// A plain log of `span` up to a minute ago, a line every `step` seconds (traditional
    /// yearless stamps): its path and every line's start and time.
    fn timed_log(
        dir: &Path,
        span: chrono::Duration,
        step: i64,
    ) -> (PathBuf, Vec<(u64, DateTime<FixedOffset>)>) {
        let path = dir.join("mail.log");
        let end = chrono::Local::now() - chrono::Duration::minutes(1);
        let mut t = end - span;
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut years = YearGuess::now();
        let mut i = 0u64;
        while t < end {
            let line = format!(
                "{} mx1 postfix/qmgr[1002]: 1A2B{:06X}: from=<shop@example.com>, size=1234, nrcpt=1 (queue active)\n",
                t.format("%b %e %H:%M:%S"),
                i
            );
            let (stamp, _) = super::super::parse::parse_stamp(&line).unwrap();
            starts.push((text.len() as u64, years.resolve(stamp).unwrap()));
            text.push_str(&line);
            t += chrono::Duration::seconds(step);
            i += 1;
        }
        std::fs::write(&path, &text).unwrap();
        (path, starts)
    }

    #[test]
    fn bisecting_starts_at_a_line_before_the_wanted_time() {
        let dir = tempfile::tempdir().unwrap();
        // three days, ~8 MiB: over the size below which files are read whole
        let (path, starts) = timed_log(dir.path(), chrono::Duration::days(3), 3);
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len > BISECT_MIN, "{len}");
        let margin = chrono::Duration::seconds(START_MARGIN_SECS);
        let now = chrono::Local::now().fixed_offset();
        for back in [1, 2, 6, 30, 70] {
            let since = now - chrono::Duration::hours(back);
            let start = start_offset(&path, since, u64::MAX);
            // a line's start; every line before it is older than the margin allows
            let i = starts
                .iter()
                .position(|&(at, _)| at == start)
                .unwrap_or_else(|| panic!("{start} is not a line start"));
            if i > 0 {
                assert!(starts[i - 1].1 < since - margin, "{back}h back");
            }
            // and not much more than that: within the bisection's last step
            let first_wanted = starts
                .iter()
                .find(|&&(_, t)| t >= since - margin)
                .unwrap()
                .0;
            assert!(
                first_wanted - start <= 4 * PROBE as u64 + 256,
                "{back}h back"
            );
            if back < 60 {
                assert!(start > len / 10, "{back}h back: from {start} of {len}");
            }
        }
        // before the file began: all of it; after its end: nearly nothing
        assert_eq!(
            start_offset(&path, now - chrono::Duration::days(10), u64::MAX),
            0
        );
        let future = start_offset(&path, now + chrono::Duration::hours(2), u64::MAX);
        assert!(len - future <= 4 * PROBE as u64 + 256, "{future} of {len}");
        // only the first `end` bytes count
        let half = start_offset(&path, now + chrono::Duration::hours(2), len / 2);
        assert!(half <= len / 2 && len / 2 - half <= 4 * PROBE as u64 + 256);
    }

    #[test]
    fn old_stamped_lines_here_and_there_do_not_skip_wanted_lines() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = timed_log(dir.path(), chrono::Duration::days(3), 3);
        // a forged line from years ago after every line, as a hostile client could have logged
        let text = std::fs::read_to_string(&path).unwrap();
        let mut forged = String::new();
        for line in text.lines() {
            forged.push_str(line);
            forged.push('\n');
            forged.push_str("2019-01-01T00:00:00+00:00 mx1 postfix/smtpd[1]: forged\n");
        }
        std::fs::write(&path, &forged).unwrap();
        let now = chrono::Local::now().fixed_offset();
        for back in [1, 6, 30] {
            let since = now - chrono::Duration::hours(back);
            let start = start_offset(&path, since, u64::MAX) as usize;
            assert!(start > 0, "{back}h back");
            // nothing stamped since the wanted time comes before the start
            let skipped = &forged[..start];
            let mut years = YearGuess::now();
            let late = skipped.lines().filter_map(|l| {
                let (stamp, _) = super::super::parse::parse_stamp(l)?;
                years.resolve(stamp).filter(|&t| t >= since)
            });
            assert_eq!(late.count(), 0, "{back}h back");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever a probe reads (cut lines, one newline, hostile bytes), it never fails.
        #[test]
        fn a_probe_reads_any_bytes(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"\n".to_vec()),
                    Just(b"Dec  4 10:00:00 mx1 postfix/qmgr[1]: 1A2B3C4D5E: removed".to_vec()),
                    Just(b"2026-12-04T10:00:00.5+01:00 ".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..100),
                ],
                0..20,
            )
        ) {
            let text = parts.concat();
            let _ = latest_stamp_of_whole_lines(&text);
        }
    }

    /// Lines longer than a probe's read: a read holds one newline or none.
    #[test]
    fn bisecting_a_file_of_long_lines_reads_it_whole_without_failing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        let mut text = String::new();
        while text.len() < 2 * BISECT_MIN as usize {
            text.push_str("Dec  4 10:00:00 mx1 postfix/cleanup[1]: 1A2B3C4D5E: message-id=<");
            text.push_str(&"x".repeat(PROBE + 1000));
            text.push_str(">\n");
        }
        std::fs::write(&path, &text).unwrap();
        let since = chrono::Local::now().fixed_offset();
        assert_eq!(start_offset(&path, since, u64::MAX), 0);
        let mut f = File::open(&path).unwrap();
        let mut buf = vec![0u8; PROBE];
        for at in (0..text.len() as u64).step_by(9973) {
            assert_eq!(first_stamp_after(&mut f, at, &mut buf), None, "{at}");
        }
    }

    #[test]
    fn small_compressed_or_unstamped_files_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let since = chrono::Local::now().fixed_offset() - chrono::Duration::hours(1);
        // small
        let (small, _) = timed_log(dir.path(), chrono::Duration::hours(30), 60);
        assert!(std::fs::metadata(&small).unwrap().len() < BISECT_MIN);
        assert_eq!(start_offset(&small, since, u64::MAX), 0);
        // compressed, by name or by its bytes: cannot be sought
        let (big, _) = timed_log(dir.path(), chrono::Duration::days(3), 3);
        assert!(start_offset(&big, since, u64::MAX) > 0);
        let gz = dir.path().join("mail.log.2.gz");
        std::fs::copy(&big, &gz).unwrap();
        assert_eq!(start_offset(&gz, since, u64::MAX), 0);
        let unnamed = dir.path().join("mail.log.3");
        let mut enc = flate2::write::GzEncoder::new(
            File::create(&unnamed).unwrap(),
            flate2::Compression::fast(),
        );
        enc.write_all(&std::fs::read(&big).unwrap()).unwrap();
        enc.finish().unwrap();
        assert_eq!(start_offset(&unnamed, since, u64::MAX), 0);
        // no stamp where it looks
        let junk = dir.path().join("junk.log");
        std::fs::write(&junk, "no stamp here\n".repeat(600_000)).unwrap();
        assert_eq!(start_offset(&junk, since, u64::MAX), 0);
        // missing
        assert_eq!(start_offset(&dir.path().join("gone"), since, u64::MAX), 0);
    }

    #[test]
    fn backfill_of_a_long_file_gets_the_lines_of_a_whole_read() {
        let dir = tempfile::tempdir().unwrap();
        let (path, starts) = timed_log(dir.path(), chrono::Duration::days(3), 3);
        let len = std::fs::metadata(&path).unwrap().len();
        let cfg = LogConfig {
            backfill_hours: 5,
            ..LogConfig::default()
        };
        let mut got = Vec::new();
        backfill(0, &path, len, None, &cfg, &mut |ev| {
            if let LogEvent::Lines { lines, .. } = ev {
                got.extend(lines.into_iter().map(|l| l.time));
            }
            true
        });
        let cutoff = chrono::Local::now().fixed_offset() - chrono::Duration::hours(5);
        let want: Vec<_> = starts
            .iter()
            .map(|&(_, t)| t)
            .filter(|&t| t >= cutoff)
            .collect();
        // the lines of a whole read (allowing for the clock moving on between the two cutoffs)
        assert!(!want.is_empty());
        let skew = want.len().abs_diff(got.len());
        assert!(skew <= 2, "{} lines, {} wanted", got.len(), want.len());
        assert_eq!(got.last(), want.last());
    }

    /// logrotate renames the log and creates a new one after the follower has opened it and
    /// before the backfill reads it (the backfill of a day of rotated files takes a while): the
    /// lines on both sides of that moment are read once, by the backfill or by the follower.
    #[test]
    fn a_rotation_between_following_and_backfill_reads_each_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        let stamp = (chrono::Local::now() - chrono::Duration::minutes(1)).format("%b %e %H:%M:%S");
        let line = |n: u32| format!("{stamp} mx1 postfix/qmgr[1002]: 1A2B{n:06X}: removed\n");
        std::fs::write(&path, line(1) + &line(2)).unwrap();
        let mut follower = Follower::new(&path, true, 1024);
        let mut raw = Vec::new();
        follower.poll(&mut raw).unwrap();
        assert!(raw.is_empty());
        let until = follower.started_at;
        // one more line, then rename + create, and the new file's first line
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(line(3).as_bytes())
            .unwrap();
        std::fs::rename(&path, dir.path().join("mail.log.1")).unwrap();
        std::fs::write(&path, line(4)).unwrap();
        let ids = backfill_then_follow(&path, until, &mut follower, &mut raw);
        assert_eq!(
            ids,
            ["1A2B000001", "1A2B000002", "1A2B000003", "1A2B000004"]
        );
    }

    /// The queue ids of a 5-hour backfill of `path` up to `until`, then of what `follower` reads
    /// on (into `raw`), sorted: each line of the log once if neither missed nor repeated one.
    fn backfill_then_follow(
        path: &Path,
        until: u64,
        follower: &mut Follower,
        raw: &mut Vec<String>,
    ) -> Vec<String> {
        let cfg = LogConfig {
            backfill_hours: 5,
            ..LogConfig::default()
        };
        let mut ids = Vec::new();
        backfill(0, path, until, Some(follower), &cfg, &mut |ev| {
            if let LogEvent::Lines { lines, .. } = ev {
                ids.extend(lines.into_iter().filter_map(|l| l.queue_id));
            }
            true
        });
        follower.poll(raw).unwrap();
        let mut years = YearGuess::now();
        ids.extend(
            raw.iter()
                .filter_map(|l| parse_line(l, &mut years))
                .filter_map(|l| l.queue_id),
        );
        let mut ids: Vec<String> = ids.iter().map(|q| q.to_string()).collect();
        ids.sort();
        ids
    }

    /// `postfix logrotate` between the follower's start and the backfill: the log renamed with a
    /// time suffix and compressed at once, the plain file removed or not yet. The compressed
    /// copy is not the inode the follower holds: the backfill still reads each line of the file
    /// followed once, and the follower the rest.
    #[test]
    fn a_rotation_compressed_before_the_backfill_reads_each_line_once() {
        for plain_removed in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("mail.log");
            let stamp =
                (chrono::Local::now() - chrono::Duration::minutes(1)).format("%b %e %H:%M:%S");
            let line = |n: u32| format!("{stamp} mx1 postfix/qmgr[1002]: 1A2B{n:06X}: removed\n");
            std::fs::write(&path, line(1) + &line(2)).unwrap();
            let mut follower = Follower::new(&path, true, 1024);
            let mut raw = Vec::new();
            follower.poll(&mut raw).unwrap();
            assert!(raw.is_empty());
            let until = follower.started_at;
            // one more line; then postlogd's rotation: rename, reopen, compress
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap()
                .write_all(line(3).as_bytes())
                .unwrap();
            let rotated = dir.path().join("mail.log.20261127-100001");
            std::fs::rename(&path, &rotated).unwrap();
            std::fs::write(&path, line(4)).unwrap();
            let gz = File::create(dir.path().join("mail.log.20261127-100001.gz")).unwrap();
            let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
            enc.write_all(&std::fs::read(&rotated).unwrap()).unwrap();
            enc.finish().unwrap();
            if plain_removed {
                std::fs::remove_file(&rotated).unwrap();
            }
            let ids = backfill_then_follow(&path, until, &mut follower, &mut raw);
            assert_eq!(
                ids,
                ["1A2B000001", "1A2B000002", "1A2B000003", "1A2B000004"],
                "plain file removed: {plain_removed}"
            );
        }
    }

    /// copytruncate on a quiet host: the log held little, and after logrotate copied and
    /// truncated it the daemon wrote more than that before the follower looked again. What is
    /// at the follower's old offset is the middle of a new line, not the next line.
    #[test]
    fn a_truncated_log_that_grew_past_the_old_end_is_read_from_its_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let mut f = Follower::new(&path, false, 1024);
        let mut out = Vec::new();
        f.poll(&mut out).unwrap();
        assert_eq!(out, ["one", "two"]);
        out.clear();
        // logrotate: the copy, then the truncation; then the daemon's next lines
        std::fs::copy(&path, dir.path().join("mail.log.1")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b"three is long\nfour\n").unwrap();
        f.poll(&mut out).unwrap();
        assert_eq!(out, ["three is long", "four"]);
    }

    #[test]
    fn backfill_reads_rotated_files_whatever_compressed_them() {
        // logrotate with `compresscmd /usr/bin/xz` (or zstd, bzip2): the older lines are in
        // mail.log.1.xz, the current file holds the newest only
        for ext in ["xz", "zst", "bz2"] {
            let dir = tempfile::tempdir().unwrap();
            let (path, starts) = timed_log(dir.path(), chrono::Duration::hours(2), 60);
            let text = std::fs::read(&path).unwrap();
            let packed = match ext {
                "xz" => {
                    let mut w = lzma_rust2::XzWriter::new(Vec::new(), Default::default()).unwrap();
                    w.write_all(&text).unwrap();
                    w.finish().unwrap()
                }
                "zst" => ruzstd::encoding::compress_to_vec(
                    &text[..],
                    ruzstd::encoding::CompressionLevel::Fastest,
                ),
                _ => {
                    let mut w =
                        bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
                    w.write_all(&text).unwrap();
                    w.finish().unwrap()
                }
            };
            std::fs::write(dir.path().join(format!("mail.log.1.{ext}")), packed).unwrap();
            std::fs::write(&path, "").unwrap();
            let cfg = LogConfig {
                backfill_hours: 5,
                ..LogConfig::default()
            };
            let mut got = Vec::new();
            let (_, files, _) = backfill(0, &path, 0, None, &cfg, &mut |ev| {
                if let LogEvent::Lines { lines, .. } = ev {
                    got.extend(lines.into_iter().map(|l| l.time));
                }
                true
            });
            assert_eq!(files, 1, "{ext}");
            let want: Vec<_> = starts.iter().map(|&(_, t)| t).collect();
            assert_eq!(got, want, "{ext}");
        }
    }

    #[test]
    fn history_stops_reading_once_its_lines_are_refused() {
        let line = b"Dec  4 10:00:00 mx1 postfix/qmgr[1002]: 1A2B3C4D5E: removed\n";
        let data = line.repeat((24 << 20) / line.len());
        let lines = data.len() / line.len();
        let read_all = |refuse_after: usize| {
            let read = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let input = Box::new(Counted {
                data: io::Cursor::new(data.clone()),
                read: Arc::clone(&read),
            });
            let mut calls = 0;
            history_lines(input, &mut YearGuess::now(), 64 * 1024, &mut |p| {
                assert!(p.is_some(), "a Postfix line");
                calls += 1;
                calls < refuse_after
            })
            .expect("reads");
            (calls, read.load(Ordering::Relaxed))
        };
        // taken to the end: every line, every byte
        assert_eq!(read_all(usize::MAX), (lines, data.len()));
        // refused at the first line: no line after it, and reading stops with the chunks in flight
        let (calls, read) = read_all(1);
        assert_eq!(calls, 1);
        let bound = (super::super::bulk::IN_FLIGHT as usize + 2) * super::super::bulk::CHUNK;
        assert!(
            read <= bound,
            "read {read} of {} bytes after the first line was refused",
            data.len()
        );
    }

    #[test]
    fn partial_lines_wait_for_their_newline() {
        assert_eq!(lines(&[b"ab", b"c\nde", b"f\n"], 100), vec!["abc", "def"]);
        assert_eq!(lines(&[b"abc"], 100), Vec::<String>::new());
    }

    #[test]
    fn long_lines_are_cut_and_marked_once() {
        let long = vec![b'x'; 300];
        let out = lines(&[&long[..100], &long[100..], b"\nnext\n"], 128);
        assert_eq!(out.len(), 2);
        assert!(out[0].starts_with(&"x".repeat(128)));
        assert!(out[0].ends_with("…[line cut at 128 bytes]"));
        assert_eq!(out[1], "next");
        // one read holding the whole long line
        let mut one = long.clone();
        one.extend_from_slice(b"\nok\n");
        let out = lines(&[&one], 128);
        assert_eq!(out.len(), 2);
        assert!(out[0].contains("line cut"));
    }

    fn read_all(data: &[u8], max: usize) -> Vec<String> {
        let mut out = Vec::new();
        read_lines_from(&mut &data[..], max, &mut |l: &str| out.push(l.to_string())).unwrap();
        out
    }

    #[test]
    fn whole_reader_lines_match_the_splitter() {
        assert_eq!(read_all(b"a\r\nb\nc", 100), vec!["a", "b", "c"]);
        let mut big = vec![b'y'; 600 * 1024];
        big.extend_from_slice(b"\nafter\n");
        let out = read_all(&big, 1000);
        assert_eq!(out.len(), 2);
        assert!(out[0].ends_with("[line cut at 1000 bytes]") && out[0].starts_with("yyyy"));
        assert_eq!(out[1], "after");
        assert_eq!(read_all(b"x\xff\n", 100), vec!["x\u{fffd}"]);
    }

    #[test]
    fn invalid_utf8_is_lossy_and_crlf_trimmed() {
        assert_eq!(lines(&[b"a\xffb\r\n"], 100), vec!["a\u{fffd}b"]);
    }

    #[test]
    fn follower_handles_missing_then_appearing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        let mut f = Follower::new(&path, true, 1024);
        let mut out = Vec::new();
        let err = f.poll(&mut out).unwrap_err();
        assert!(err.to_string().contains("not found"), "{err}");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        f.poll(&mut out).unwrap();
        // it appeared after start: read from its beginning
        assert_eq!(out, vec!["one", "two"]);
    }

    #[test]
    fn follower_starts_at_end_and_survives_rename() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        std::fs::write(&path, "old\n").unwrap();
        let mut f = Follower::new(&path, true, 1024);
        let mut out = Vec::new();
        f.poll(&mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(f.started_at, 4);
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b"a\nb").unwrap();
        std::fs::rename(&path, dir.path().join("mail.log.1")).unwrap();
        w.write_all(b"\n").unwrap();
        std::fs::write(&path, "c\n").unwrap();
        f.poll(&mut out).unwrap();
        assert_eq!(out, vec!["a", "b", "c"]);
    }

    #[test]
    fn a_linked_logs_rotated_files_are_found_beside_the_file_it_names() {
        // /var/log/mail.log -> /srv/log/mail.log; logrotate rotates the file, in /srv/log
        let dir = tempfile::tempdir().unwrap();
        let (real, var) = (dir.path().join("srv"), dir.path().join("var"));
        std::fs::create_dir_all(&real).unwrap();
        std::fs::create_dir_all(&var).unwrap();
        std::fs::write(real.join("mail.log"), "x").unwrap();
        std::fs::write(real.join("mail.log.1"), "x").unwrap();
        std::fs::write(real.join("mail.log.2.gz"), "x").unwrap();
        std::os::unix::fs::symlink(real.join("mail.log"), var.join("mail.log")).unwrap();
        // an old file beside the link counts too, and a link to a rotated file only once
        std::fs::write(var.join("mail.log.9"), "x").unwrap();
        std::os::unix::fs::symlink(real.join("mail.log.1"), var.join("mail.log.1")).unwrap();
        let mut found: Vec<String> = rotated_siblings(&var.join("mail.log"))
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        found.sort();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found.contains(&"srv/mail.log.2.gz".to_string()),
            "{found:?}"
        );
        assert!(found.contains(&"var/mail.log.9".to_string()), "{found:?}");
        assert!(
            found.iter().filter(|f| f.ends_with("mail.log.1")).count() == 1,
            "{found:?}"
        );
    }

    /// What `f` returns, run on a thread of its own; a panic when it takes 5 s (it waits).
    fn at_once<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| panic!("{what}: still waiting after 5 s"))
    }

    #[test]
    fn a_fifo_or_a_device_as_the_log_is_said_at_once_and_a_link_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("mail.log");
        crate::plainfile::testing::mkfifo(&fifo);
        let zero = dir.path().join("zero.log");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for (p, what) in [
            (&fifo, "a FIFO (named pipe)"),
            (&zero, "a character device"),
        ] {
            let log = p.clone();
            let got = at_once(what, move || {
                let mut f = Follower::new(&log, true, 1024);
                let first = f.poll(&mut Vec::new()).map_err(|e| e.to_string());
                (first, f.poll(&mut Vec::new()).map_err(|e| e.to_string()))
            });
            let want = format!("{}: is {what}, not a plain file", p.display());
            assert_eq!(got, (Err(want.clone()), Err(want)));
        }
        // a log linked into place is followed
        let real = dir.path().join("real.log");
        std::fs::write(&real, "one\n").unwrap();
        let linked = dir.path().join("linked.log");
        std::os::unix::fs::symlink(&real, &linked).unwrap();
        let mut f = Follower::new(&linked, false, 1024);
        let mut out = Vec::new();
        f.poll(&mut out).unwrap();
        assert_eq!(out, ["one"]);
    }

    #[test]
    fn a_fifo_or_a_device_among_the_rotated_files_holds_no_backfill() {
        // whoever may write the log's directory puts a FIFO at mail.log.1, a link to /dev/zero
        // at mail.log.2: the backfill reads the rest, and the follower starts
        let dir = tempfile::tempdir().unwrap();
        let (path, starts) = timed_log(dir.path(), chrono::Duration::hours(2), 60);
        let len = std::fs::metadata(&path).unwrap().len();
        crate::plainfile::testing::mkfifo(&dir.path().join("mail.log.1"));
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("mail.log.2")).unwrap();
        std::fs::write(dir.path().join("mail.log.3"), "").unwrap();
        let names: Vec<_> = rotated_siblings(&path)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["mail.log.3"]);
        let (files, got) = at_once("the backfill", move || {
            let cfg = LogConfig {
                backfill_hours: 5,
                ..LogConfig::default()
            };
            let mut got = Vec::new();
            let (_, files, _) = backfill(0, &path, len, None, &cfg, &mut |ev| {
                if let LogEvent::Lines { lines, .. } = ev {
                    got.extend(lines.into_iter().map(|l| l.time));
                }
                true
            });
            (files, got)
        });
        assert_eq!(files, 2);
        assert_eq!(got, starts.iter().map(|&(_, t)| t).collect::<Vec<_>>());
    }

    #[test]
    fn rotated_siblings_are_found_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mail.log");
        for (i, n) in [
            "mail.log.4.bz2",
            "mail.log.3.xz",
            "mail.log.2.gz",
            "mail.log.1",
            "mail.log.20261127-101500.zst",
            "mail.log-20261126",
            "mail.logger",
            "mail.log.bak",
            "mail.log.1.xzz",
        ]
        .iter()
        .enumerate()
        {
            std::fs::write(dir.path().join(n), "x").unwrap();
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i as u64);
            File::options()
                .write(true)
                .open(dir.path().join(n))
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
        let names: Vec<String> = rotated_siblings(&p)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                "mail.log.4.bz2",
                "mail.log.3.xz",
                "mail.log.2.gz",
                "mail.log.1",
                "mail.log.20261127-101500.zst",
                "mail.log-20261126"
            ]
        );
    }

    proptest! {
        #[test]
        fn split_never_loses_short_lines(ls in proptest::collection::vec("[a-z ]{0,40}", 0..30), cuts in proptest::collection::vec(0usize..2000, 0..10)) {
            let text: String = ls.iter().map(|l| format!("{l}\n")).collect();
            let bytes = text.as_bytes();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            points.sort();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for p in points { chunks.push(&bytes[prev..p]); prev = p; }
            chunks.push(&bytes[prev..]);
            prop_assert_eq!(lines(&chunks, 64), ls);
        }

        #[test]
        fn split_bounded_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..4000)) {
            for l in lines(&[&b], 100) {
                prop_assert!(l.len() <= 100 * 3 + 40);
            }
        }
    }

    /// A directory where the log should be (a configuration naming `/var/log` or `/var/log/mail`)
    /// is said as such on every poll, and a log put in its place is followed (from its end, as
    /// any log that could not be read: what it held is the backfill's), rather than the
    /// directory held and read for ever.
    #[test]
    fn a_directory_in_place_of_the_log_is_said_and_a_log_put_there_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mail.log");
        std::fs::create_dir(&path).unwrap();
        let mut f = Follower::new(&path, true, 2048);
        let mut out = Vec::new();
        for _ in 0..2 {
            match SourceState::of(&f.poll(&mut out)) {
                SourceState::Unavailable(m) => {
                    assert!(m.contains("mail.log: is a directory, not a log"), "{m}")
                }
                other => panic!("{other:?}"),
            }
        }
        std::fs::remove_dir(&path).unwrap();
        std::fs::write(&path, "one\ntwo\n").unwrap();
        f.poll(&mut out).unwrap();
        assert!(out.is_empty(), "{out:?}");
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b"three\n").unwrap();
        f.poll(&mut out).unwrap();
        assert_eq!(out, ["three"]);
    }
}
