//! Owning the terminal: raw mode, the alternate screen, synchronized output
//! and a buffered writer; and giving it back on every way out (normal exit,
//! a panic on any thread, SIGTERM/SIGHUP/SIGINT via the loop, Ctrl-Z suspend).

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};

type Backend = CrosstermBackend<FrameWriter>;

/// Collects one frame's bytes, so that a frame that changes nothing on
/// screen is never sent: an idle console over a slow link stays silent.
/// ratatui's own `flush` is a no-op here; [`Tui::draw`] decides what goes
/// out, through the shared buffer.
#[derive(Clone, Default)]
struct FrameWriter(Arc<Mutex<Vec<u8>>>);

/// What every frame carries even when no cell changed: the synchronized
/// update markers, the backend resetting colours and attributes after the
/// (empty) diff, and ratatui hiding the (already hidden) cursor.
const FRAME_NOISE: [&[u8]; 7] = [
    b"\x1b[?2026h",
    b"\x1b[?2026l",
    b"\x1b[39m",
    b"\x1b[49m",
    b"\x1b[59m",
    b"\x1b[0m",
    b"\x1b[?25l",
];

/// True when `bytes` are only frame noise.
fn is_empty_frame(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    'outer: while !rest.is_empty() {
        for n in FRAME_NOISE {
            if let Some(r) = rest.strip_prefix(n) {
                rest = r;
                continue 'outer;
            }
        }
        return false;
    }
    true
}

impl FrameWriter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take the buffered bytes, or None (and drop them) when they are only
    /// frame noise.
    fn take_frame(&self) -> Option<Vec<u8>> {
        let mut b = self.lock();
        if is_empty_frame(&b) {
            b.clear();
            None
        } else {
            Some(std::mem::take(&mut *b))
        }
    }
}

impl Write for FrameWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.lock().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The terminal while the console runs.
pub struct Tui {
    terminal: Terminal<Backend>,
    frame: FrameWriter,
    out: BufWriter<Stdout>,
    active: bool,
}

impl Tui {
    /// Take the terminal: raw mode, alternate screen, hidden cursor, and bracketed paste (a
    /// paste arrives as one text, not as keys: a paste into the wrong window must not be read
    /// as `D` for delete and the `y` that confirms it).
    pub fn enter() -> io::Result<Tui> {
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, Hide, EnableBracketedPaste) {
            let _ = disable_raw_mode();
            return Err(e);
        }
        let frame = FrameWriter::default();
        let terminal = Terminal::new(CrosstermBackend::new(frame.clone()))?;
        Ok(Tui {
            terminal,
            frame,
            out: BufWriter::with_capacity(1 << 16, io::stdout()),
            active: true,
        })
    }

    /// Draw one frame inside a synchronized update and send it in one
    /// write, unless no cell changed: then nothing at all is sent.
    pub fn draw(&mut self, f: impl FnOnce(&mut Frame<'_>)) -> io::Result<()> {
        ratatui::crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(f)?;
        ratatui::crossterm::queue!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        self.send()
    }

    /// Write out what the backend buffered, unless it changes nothing.
    fn send(&mut self) -> io::Result<()> {
        match self.frame.take_frame() {
            Some(bytes) => {
                self.out.write_all(&bytes)?;
                self.out.flush()
            }
            None => Ok(()),
        }
    }

    /// Forget what is on screen so that the next frame draws every cell.
    pub fn clear(&mut self) -> io::Result<()> {
        self.terminal.clear()?;
        self.send()
    }

    /// The terminal size changed.
    pub fn resize(&mut self) -> io::Result<()> {
        self.terminal.autoresize()
    }

    /// Give the terminal back. Errors are ignored: after a hang-up there may
    /// be no terminal left to write to.
    pub fn restore(&mut self) {
        if self.active {
            self.active = false;
            restore_terminal();
        }
    }

    /// Ctrl-Z: give the terminal back, stop, and take it again on `fg`. Returns false when
    /// the process was not stopped: started without job control (`ssh -t host opsdeck`,
    /// `exec opsdeck`), its process group is orphaned and the kernel drops the stop, as there
    /// is no shell to go back to.
    pub fn suspend(&mut self) -> io::Result<bool> {
        watch_continue();
        CONTINUED.store(false, Ordering::SeqCst);
        self.restore();
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP);
        // Execution continues here after SIGCONT (its handler has run by now), or at once when
        // the stop was dropped.
        let stopped = CONTINUED.load(Ordering::SeqCst);
        enable_raw_mode()?;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            Hide,
            EnableBracketedPaste
        )?;
        self.active = true;
        self.terminal.clear()?;
        Ok(stopped)
    }
}

/// Set by the SIGCONT handler: the process was stopped and has been continued.
static CONTINUED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_continue(_: nix::libc::c_int) {
    CONTINUED.store(true, Ordering::SeqCst);
}

/// Note every SIGCONT in [`CONTINUED`] (installed once; the signal still continues the process
/// as it always does).
fn watch_continue() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        let action = SigAction::new(
            SigHandler::Handler(on_continue),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        let _ = unsafe { sigaction(Signal::SIGCONT, &action) };
    });
}

impl Drop for Tui {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Leave raw mode and the alternate screen, show the cursor.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        Show
    );
    let _ = out.flush();
}

/// Set by the panic hook: the terminal has been given back because a thread panicked.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Has a thread panicked since the hook was installed? The loop then stops drawing and ends:
/// a panic in a background source (a follower, a blocking task) does not unwind the loop, which
/// would otherwise carry on drawing into a terminal in cooked mode, echoing every key, with a
/// source that no longer reports.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Restore the terminal before the panic message is printed, and record the
/// panic in opsdeck's own log. Installed after the terminal is taken, so it
/// runs first and the message lands on a usable screen. The loop ends by
/// itself: a panic on its thread unwinds it, one on any other thread is seen
/// through [`panicked`].
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        restore_terminal();
        let text = panic_text(info);
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{text}");
        let backtrace = std::backtrace::Backtrace::capture();
        let _ = match backtrace.status() {
            std::backtrace::BacktraceStatus::Captured => {
                writeln!(err, "stack backtrace:\n{backtrace}")
            }
            _ => writeln!(
                err,
                "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
            ),
        };
        drop(err);
        crate::logging::record_panic(&text);
    }));
}

/// A panic worded as Rust's own hook words it, each line of its message escaped: a panic can
/// quote outside text (a slice of a log line, a path), which must not reach the terminal raw.
fn panic_text(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("Box<dyn Any>");
    let thread = std::thread::current();
    let at = info
        .location()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    let lines: Vec<String> = message.lines().map(crate::sanitize::sanitize).collect();
    format!(
        "thread '{}' panicked{at}:\n{}",
        crate::sanitize::sanitize(thread.name().unwrap_or("<unnamed>")),
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::widgets::Paragraph;
    use ratatui::{TerminalOptions, Viewport};

    /// Draw `text` as the event loop does; true when the frame was sent.
    fn sent(t: &mut Terminal<Backend>, w: &FrameWriter, text: &str) -> bool {
        ratatui::crossterm::queue!(t.backend_mut(), BeginSynchronizedUpdate).unwrap();
        t.draw(|f| f.render_widget(Paragraph::new(text.to_string()), f.area()))
            .unwrap();
        ratatui::crossterm::queue!(t.backend_mut(), EndSynchronizedUpdate).unwrap();
        w.take_frame().is_some()
    }

    #[test]
    fn a_frame_that_changes_no_cell_is_not_sent() {
        let w = FrameWriter::default();
        let mut t = Terminal::with_options(
            CrosstermBackend::new(w.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, 20, 2)),
            },
        )
        .unwrap();
        assert!(
            sent(&mut t, &w, "queue 3  12:04"),
            "the first frame is sent"
        );
        assert!(
            !sent(&mut t, &w, "queue 3  12:04"),
            "the same frame again is not"
        );
        assert!(
            sent(&mut t, &w, "queue 3  12:05"),
            "a changed clock is sent"
        );
    }

    #[test]
    fn noise_is_only_the_frame_markers() {
        assert!(is_empty_frame(b""));
        assert!(is_empty_frame(
            b"\x1b[?2026h\x1b[39m\x1b[49m\x1b[59m\x1b[0m\x1b[?25l\x1b[?2026l"
        ));
        assert!(!is_empty_frame(b"\x1b[?2026h\x1b[1;1Hx\x1b[?2026l"));
        assert!(!is_empty_frame(b"\x1b[?2026"));
    }
}
