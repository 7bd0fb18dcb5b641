//! opsdeck's own diagnostic log: always a file, never the terminal (the UI
//! owns the terminal). Default `$XDG_STATE_HOME/opsdeck/opsdeck.log`
//! (`~/.local/state/...`); set `log_file` to move it, `OPSDECK_LOG` for the
//! level (default `info`). If the file cannot be opened, nothing is logged; when the
//! configuration named it, opsdeck says why on standard error as it starts.
//! A user name and password written into a URL never reach the file, nor does a character that
//! would act on a terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

fn default_path() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    state_path(
        std::env::var_os("XDG_STATE_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
        nix::unistd::geteuid().is_root(),
        |p| std::fs::metadata(p).ok().map(|m| m.uid()),
        || {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(0))
                .ok()?
                .map(|u| u.dir)
        },
    )
}

/// The default log file: `opsdeck/opsdeck.log` under `$XDG_STATE_HOME`, else `~/.local/state`.
///
/// Root with another user's home (`sudo` keeping `HOME`, or `sudo -E`) logs under root's own
/// home instead: a root-owned directory in the user's `~/.local/state` would stop the user's
/// own opsdeck from logging at all, without a word. A directory not made yet counts as its
/// nearest existing parent's owner's, the one it would be made in.
fn state_path(
    xdg_state_home: Option<PathBuf>,
    home: Option<PathBuf>,
    euid_is_root: bool,
    owner_of: impl Fn(&Path) -> Option<u32>,
    root_home: impl FnOnce() -> Option<PathBuf>,
) -> Option<PathBuf> {
    // the state directory, and the directory whose owner it would belong to
    let (state, made_in) = match (xdg_state_home.filter(|p| p.is_absolute()), home) {
        (Some(state), _) => (state.clone(), state),
        (None, Some(home)) => (home.join(".local/state"), home),
        (None, None) => return None,
    };
    // what does not exist yet is made in what does: its owner is the one that counts
    let root_in_another_users = euid_is_root
        && made_in
            .ancestors()
            .find_map(&owner_of)
            .is_some_and(|uid| uid != 0);
    let state = match root_in_another_users {
        true => root_home()?.join(".local/state"),
        false => state,
    };
    Some(state.join("opsdeck/opsdeck.log"))
}

/// The log file, once [`init`] has opened it.
static LOG_PATH: OnceLock<PathBuf> = OnceLock::new();

/// Start file logging; keep the guard alive for the life of the process. `Err`: why the log
/// file named could not be opened (its path and the error, escaped), and nothing is logged;
/// `Ok(None)`: there is no file to log to (no home) or logging was started already.
pub fn init(path: Option<&Path>) -> Result<Option<WorkerGuard>, String> {
    let Some(path) = path.map(Path::to_path_buf).or_else(default_path) else {
        return Ok(None);
    };
    let failed = |e: std::io::Error| crate::sanitize::sanitize(&format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            crate::sanitize::sanitize(&format!(
                "{}: cannot make its directory {}: {e}",
                path.display(),
                dir.display()
            ))
        })?;
    }
    let file = open_log(&path).map_err(|e| {
        if e.raw_os_error() == Some(nix::libc::ELOOP) {
            failed(std::io::Error::other(
                "a symbolic link, which the log is never written through: name the file itself",
            ))
        } else {
            failed(e)
        }
    })?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("OPSDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    if tracing_subscriber::fmt()
        .with_writer(move || LogWriter(writer.clone()))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .is_err()
    {
        return Ok(None);
    }
    let _ = LOG_PATH.set(path);
    Ok(Some(guard))
}

/// Open the log file at `path` to append to it, created when missing: a plain file, never
/// through a symbolic link (whoever may write its directory could point the name at a file of
/// root's, which opsdeck run as root would append its lines to), nor a FIFO, whose opening would
/// wait for a reader and hold the start with it (`O_NONBLOCK`, which a plain file's writes
/// ignore).
fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    crate::plainfile::open_no_link(path, std::fs::OpenOptions::new().create(true).append(true))
}

/// The log's writer. It takes the user name and password out of every URL in a record
/// ([`crate::sanitize::hide_url_userinfo`]): a configuration or an effect logged with `Debug`
/// holds URLs as they were written (an SES endpoint through a proxy with its password), and so
/// may a library's error. And it keeps each record one line, free of what acts on a terminal
/// (`less` or `tail -f` on the file): the formatter escapes ESC and the C1 controls of a message,
/// not a carriage return, a newline or a bidi override (a rotated log's file name in an error).
struct LogWriter<W>(W);

impl<W: Write> Write for LogWriter<W> {
    /// One record at a time: the formatter hands over each whole.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self
                .0
                .write_all(one_line(&crate::sanitize::hide_url_userinfo(text)).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A record with every character that would act on a terminal (a tab aside) written as its
/// escape (`\r`, `\n`, `\u{202e}`), but the newline that ends it.
fn one_line(record: &str) -> std::borrow::Cow<'_, str> {
    let (body, end) = match record.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (record, ""),
    };
    let unsafe_char = |c: char| c != '\t' && crate::sanitize::is_unsafe_char(c);
    if !body.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(record);
    }
    let mut out = String::with_capacity(record.len() + 16);
    for c in body.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push_str(end);
    std::borrow::Cow::Owned(out)
}

/// Append a panic to the log file, written at once: the log's own writer works on another
/// thread, which may not get to write it before the process ends.
pub fn record_panic(text: &str) {
    let Some(path) = LOG_PATH.get() else { return };
    let line = format!(
        "{} ERROR opsdeck: {text}\n",
        chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
    );
    if let Ok(f) = open_log(path) {
        let _ = LogWriter(f).write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_a_plain_file_never_a_link_nor_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("opsdeck.log");
        std::fs::write(&log, "before\n").unwrap();
        open_log(&log).unwrap().write_all(b"after\n").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "before\nafter\n");
        assert!(open_log(&dir.path().join("new.log")).is_ok());
        // a link put at its name by whoever may write the directory: root's file is not written
        let theirs = dir.path().join("crontab");
        std::fs::write(&theirs, "kept\n").unwrap();
        let link = dir.path().join("linked.log");
        std::os::unix::fs::symlink(&theirs, &link).unwrap();
        assert!(open_log(&link).is_err());
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "kept\n");
        // and the start says why nothing is logged (before any logging is set up)
        assert_eq!(
            init(Some(&link)).err().as_deref(),
            Some(
                format!(
                    "{}: a symbolic link, which the log is never written through: name the file \
                     itself",
                    link.display()
                )
                .as_str()
            )
        );
        let under_a_file = theirs.join("opsdeck.log");
        assert_eq!(
            init(Some(&under_a_file)).err().as_deref(),
            Some(
                format!(
                    "{}: cannot make its directory {}: File exists (os error 17)",
                    under_a_file.display(),
                    theirs.display()
                )
                .as_str()
            )
        );
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "kept\n");
        // a FIFO: refused at once, not waited on for a reader
        let fifo = dir.path().join("fifo.log");
        crate::plainfile::testing::mkfifo(&fifo);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(open_log(&fifo).is_err()));
        let refused = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("opening a FIFO as the log waits for a reader");
        assert!(refused);
    }

    #[test]
    fn root_with_another_users_home_logs_under_its_own() {
        let owners = |p: &Path| match p.to_str() {
            Some("/home/ann") | Some("/home/ann/.state") => Some(1000),
            Some("/root") => Some(0),
            _ => None,
        };
        let path = |xdg: Option<&str>, home: &str, root: bool| {
            state_path(
                xdg.map(PathBuf::from),
                Some(PathBuf::from(home)),
                root,
                owners,
                || Some(PathBuf::from("/root")),
            )
            .unwrap()
        };
        let root_log = PathBuf::from("/root/.local/state/opsdeck/opsdeck.log");
        // sudo keeping HOME, or sudo -E keeping XDG_STATE_HOME too
        assert_eq!(path(None, "/home/ann", true), root_log);
        assert_eq!(path(Some("/home/ann/.state"), "/home/ann", true), root_log);
        // the user, and root in its own home, as before
        assert_eq!(
            path(None, "/home/ann", false),
            PathBuf::from("/home/ann/.local/state/opsdeck/opsdeck.log")
        );
        assert_eq!(
            path(Some("/home/ann/.state"), "/home/ann", false),
            PathBuf::from("/home/ann/.state/opsdeck/opsdeck.log")
        );
        assert_eq!(path(None, "/root", true), root_log);
        // an XDG_STATE_HOME the user has not made yet would be made by root, in the user's home
        assert_eq!(
            path(Some("/home/ann/.state/new"), "/home/ann", true),
            root_log
        );
        // a relative XDG_STATE_HOME is ignored, as the spec says
        assert_eq!(
            path(Some("state"), "/home/ann", false),
            PathBuf::from("/home/ann/.local/state/opsdeck/opsdeck.log")
        );
        // a home that does not exist (yet) is taken as it is
        assert_eq!(
            path(None, "/nonexistent", true),
            PathBuf::from("/nonexistent/.local/state/opsdeck/opsdeck.log")
        );
    }

    /// What reaches the file, record by record.
    fn written(records: &[&str]) -> String {
        let mut w = LogWriter(Vec::new());
        for r in records {
            w.write_all(r.as_bytes()).unwrap();
        }
        String::from_utf8(w.0).unwrap()
    }

    #[test]
    fn a_record_reaches_the_file_as_one_line_without_terminal_controls() {
        assert_eq!(
            written(&[
                "WARN backfill: /var/log/mail.log.1\r2026 INFO forged\u{202e}: not found\n",
                "INFO\tplain\n",
            ]),
            "WARN backfill: /var/log/mail.log.1\\r2026 INFO forged\\u{202e}: not found\n\
             INFO\tplain\n"
        );
        // a panic's message of several lines stays one record
        assert_eq!(
            written(&["ERROR opsdeck: thread 'main' panicked at x.rs:1:2:\nboom\n"]),
            "ERROR opsdeck: thread 'main' panicked at x.rs:1:2:\\nboom\n"
        );
    }

    #[test]
    fn a_password_in_a_url_never_reaches_the_file() {
        assert_eq!(
            written(&["INFO ses_endpoint: Some(\"http://proxy:hunter2@127.0.0.1:9\")\n"]),
            "INFO ses_endpoint: Some(\"http://***@127.0.0.1:9\")\n"
        );
    }
}
