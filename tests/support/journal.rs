//! A real systemd journal in a temporary directory, without journald: entries are written in
//! journald's export format and appended to the directory's journal file by
//! `systemd-journal-remote` (Debian package `systemd-journal-remote`), which writes the same
//! file format journald does. The real `journalctl --directory DIR` reads it, `-f` included:
//! entries appended while it follows are printed as journald's would be.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};

/// Where Debian installs it (it is not on PATH).
const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";

/// Any fixed 128-bit ids: every entry needs a boot and a machine id.
const BOOT_ID: &str = "0123456789abcdef0123456789abcdef";
const MACHINE_ID: &str = "fedcba9876543210fedcba9876543210";

/// One journal entry, as a service's syslog line is stored.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    /// `SYSLOG_IDENTIFIER`, such as `postfix/qmgr`.
    pub program: &'a str,
    pub pid: u32,
    /// `_SYSTEMD_UNIT`, such as `postfix@-.service`.
    pub unit: &'a str,
    /// The entry's time (`__REALTIME_TIMESTAMP`).
    pub time: DateTime<Utc>,
    /// `MESSAGE`: one line (the export format's text form holds no newline).
    pub message: &'a str,
}

/// A journal directory of its own, removed with it.
pub struct Journal {
    dir: tempfile::TempDir,
    batches: u32,
}

impl Journal {
    /// An empty journal directory (`systemd-journal-remote` creates the file at the first
    /// append).
    pub fn new() -> Journal {
        assert!(
            Path::new(JOURNAL_REMOTE).exists(),
            "{JOURNAL_REMOTE} is missing: apt-get install systemd-journal-remote"
        );
        Journal {
            dir: tempfile::tempdir().expect("temp dir"),
            batches: 0,
        }
    }

    /// The directory to give `journalctl --directory`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The journal file `systemd-journal-remote` appends to (its name must end in `.journal`).
    fn file(&self) -> PathBuf {
        self.dir.path().join("remote.journal")
    }

    /// Append `entries`, in order, to the journal; once it returns, `journalctl` reads them.
    pub fn append(&mut self, entries: &[Entry]) {
        let mut export = Vec::new();
        for e in entries {
            assert!(!e.message.contains('\n'), "one line only: {:?}", e.message);
            write!(
                export,
                "__REALTIME_TIMESTAMP={}\n_HOSTNAME=mx\nSYSLOG_IDENTIFIER={}\n_PID={}\n\
                 _SYSTEMD_UNIT={}\nMESSAGE={}\n_BOOT_ID={BOOT_ID}\n_MACHINE_ID={MACHINE_ID}\n\n",
                e.time.timestamp_micros(),
                e.program,
                e.pid,
                e.unit,
                e.message,
            )
            .unwrap();
        }
        // the export file lives outside the journal directory: journalctl reads only journals,
        // but nothing else belongs there
        self.batches += 1;
        let input = tempfile::Builder::new()
            .prefix(&format!("batch{}-", self.batches))
            .suffix(".export")
            .tempfile()
            .expect("export file");
        std::fs::write(input.path(), &export).unwrap();
        let out = Command::new(JOURNAL_REMOTE)
            .arg("-o")
            .arg(self.file())
            .arg(input.path())
            .output()
            .expect("systemd-journal-remote runs");
        assert!(
            out.status.success(),
            "systemd-journal-remote failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
