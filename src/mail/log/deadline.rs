//! A time limit on reading a log: past it the next read fails as if the input had been cut,
//! and the limit remembers that it cut, so that what was read is reported as part of the
//! log and not as the whole (`opsdeck check` must end before the monitoring system's own
//! timeout, however slow the disk or long the day's log).
//!
//! Knows nothing of what is read. A read already blocked in the kernel (a hung file system) is
//! not interrupted: the caller bounds its wait for the whole read as well.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When reading must stop; cloned into every reader it limits.
#[derive(Clone, Debug)]
pub struct Deadline {
    at: Instant,
    limit: Duration,
    cut: Arc<AtomicBool>,
    /// The process groups of the commands feeding the reads (journalctl), while they run.
    feeders: Arc<Mutex<Vec<i32>>>,
}

impl Deadline {
    /// `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline::at(Instant::now() + limit, limit)
    }

    /// At `at`, said as `limit` (the setting it came from).
    pub fn at(at: Instant, limit: Duration) -> Deadline {
        Deadline {
            at,
            limit,
            cut: Arc::new(AtomicBool::new(false)),
            feeders: Arc::default(),
        }
    }

    /// The instant reading stops.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// The limit as given, for the words that name it.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// A reader that stops at this deadline.
    pub fn limit_read<'a>(&self, inner: Box<dyn Read + Send + 'a>) -> Box<dyn Read + Send + 'a> {
        Box::new(Limited {
            inner,
            deadline: self.clone(),
        })
    }

    /// Whether a reader it limits was stopped (this deadline or any clone of it).
    pub fn cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// A command whose output is read under this deadline runs in process group `pgid`: killed
    /// by [`Deadline::give_up`] until [`Deadline::fed`] says it ended.
    pub fn feeding(&self, pgid: u32) {
        if let (Ok(id), Ok(mut f)) = (i32::try_from(pgid), self.feeders.lock()) {
            f.push(id);
        }
    }

    /// The command of [`Deadline::feeding`] was stopped or waited for: never signalled again.
    pub fn fed(&self, pgid: u32) {
        if let Ok(mut f) = self.feeders.lock() {
            f.retain(|&id| i64::from(id) != i64::from(pgid));
        }
    }

    /// The read is given up on (blocked in the kernel past the deadline, on a command that
    /// writes nothing): kill the commands feeding it, with all they started, so that none is
    /// left running when the caller ends.
    pub fn give_up(&self) {
        if let Ok(f) = self.feeders.lock() {
            for &id in f.iter() {
                let pgid = nix::unistd::Pid::from_raw(id);
                let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
            }
        }
    }

    /// Whether `e` is this module's "stopped at the deadline".
    pub fn is_cut(e: &io::Error) -> bool {
        e.kind() == io::ErrorKind::TimedOut && e.get_ref().is_some_and(|r| r.is::<Cut>())
    }
}

/// The error a limited read returns past its deadline.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("read stopped at its deadline")
    }
}

impl std::error::Error for Cut {}

struct Limited<R> {
    inner: R,
    deadline: Deadline,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.deadline.at {
            self.deadline.cut.store(true, Ordering::Relaxed);
            return Err(io::Error::new(io::ErrorKind::TimedOut, Cut));
        }
        self.inner.read(buf)
    }
}

/// A log that never ends, for the tests of what reads under a deadline.
#[cfg(test)]
pub(crate) mod testing {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    /// A delivered message's line, stamped now (in the window of any check).
    pub fn sent_line(n: u64) -> String {
        let now = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%:z");
        format!(
            "{now} web postfix/smtp[{n}]: {:010X}: to=<r{n}@example.net>, \
             relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, \
             status=sent (250 Ok)\n",
            0x1_0000 + n
        )
    }

    /// A named pipe `name` in `dir` that a writer feeds `first`, then a delivered message's
    /// line every 20 ms, for as long as someone reads it (two minutes at most): a log whose
    /// read never ends by itself, as a slow disk or a very busy day looks to the reader.
    pub fn endless_log(dir: &Path, name: &str, first: &str) -> PathBuf {
        let path = dir.join(name);
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let (p, first) = (path.clone(), first.to_string());
        std::thread::spawn(move || {
            // waits for a reader; a write fails once every reader is gone
            let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&p) else {
                return;
            };
            let end = Instant::now() + Duration::from_secs(120);
            if w.write_all(first.as_bytes()).is_err() {
                return;
            }
            let mut n = 0;
            while Instant::now() < end {
                n += 1;
                if w.write_all(sent_line(n).as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_deadline_cuts_and_says_so() {
        let d = Deadline::at(Instant::now(), Duration::from_secs(8));
        let mut r = d.limit_read(Box::new(&b"line\n"[..]));
        let e = r.read(&mut [0u8; 16]).unwrap_err();
        assert!(Deadline::is_cut(&e), "{e}");
        assert!(d.cut());
        assert!(!Deadline::is_cut(&io::Error::from(io::ErrorKind::TimedOut)));
    }

    #[test]
    fn before_it_the_input_is_read_whole() {
        let d = Deadline::after(Duration::from_secs(3600));
        let mut s = String::new();
        d.limit_read(Box::new(&b"a\nb\n"[..]))
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "a\nb\n");
        assert!(!d.cut());
    }
}
