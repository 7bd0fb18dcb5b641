//! opsdeck's own diagnostic log: always a file, never the terminal (the UI
//! owns the terminal). Default `$XDG_STATE_HOME/opsdeck/opsdeck.log`
//! (`~/.local/state/...`); set `log_file` to move it, `OPSDECK_LOG` for the
//! level (default `info`). If the file cannot be opened, nothing is logged.
//! A user name and password written into a URL never reach the file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

fn default_path() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("opsdeck/opsdeck.log"))
}

/// The log file, once [`init`] has opened it.
static LOG_PATH: OnceLock<PathBuf> = OnceLock::new();

/// Start file logging; keep the guard alive for the life of the process.
pub fn init(path: Option<&Path>) -> Option<WorkerGuard> {
    let path = path.map(Path::to_path_buf).or_else(default_path)?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("OPSDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(move || HidingUserinfo(writer.clone()))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    let _ = LOG_PATH.set(path);
    Some(guard)
}

/// The log's writer, which takes the user name and password out of every URL in a record
/// ([`crate::sanitize::hide_url_userinfo`]): a configuration or an effect logged with `Debug`
/// holds URLs as they were written (an SES endpoint through a proxy with its password), and so
/// may a library's error.
struct HidingUserinfo<W>(W);

impl<W: Write> Write for HidingUserinfo<W> {
    /// One record at a time: the formatter hands over each whole.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self
                .0
                .write_all(crate::sanitize::hide_url_userinfo(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Append a panic to the log file, written at once: the log's own writer works on another
/// thread, which may not get to write it before the process ends.
pub fn record_panic(text: &str) {
    let Some(path) = LOG_PATH.get() else { return };
    let line = format!(
        "{} ERROR opsdeck: {text}\n",
        chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
    );
    if let Ok(f) = std::fs::OpenOptions::new().append(true).open(path) {
        let _ = HidingUserinfo(f).write_all(line.as_bytes());
    }
}
