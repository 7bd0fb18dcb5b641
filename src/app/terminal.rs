//! Owning the terminal: raw mode, the alternate screen, synchronized output
//! and a buffered writer; and giving it back on every way out (normal exit,
//! a panic on any thread, SIGTERM/SIGHUP/SIGINT via the loop, Ctrl-Z suspend).

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
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
        forget_continues();
        self.restore();
        stop_as_the_shell_expects();
        // Execution continues here after SIGCONT, or at once when the stop was dropped.
        enable_raw_mode()?;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            Hide,
            EnableBracketedPaste
        )?;
        self.active = true;
        self.terminal.clear()?;
        // The SIGCONT handler may run on another thread, a moment after this one went on: it
        // is waited for, not read once. The screen is back by now, so a stop that was dropped
        // costs only the notice's wait.
        Ok(continued_within(CONTINUE_WAIT))
    }
}

/// Stop with SIGTSTP's own default action: the event loop handles SIGTSTP (a `kill -TSTP`
/// from outside suspends as Ctrl-Z does), so the handler is set aside while the signal is
/// raised and put back once the process goes on. With the default action the kernel drops a
/// stop of an orphaned process group (no shell to go back to), which SIGSTOP would not.
fn stop_as_the_shell_expects() {
    use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, raise, sigaction};
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    // SAFETY: the default action, then the handler that was there, put back unchanged.
    let before = unsafe { sigaction(Signal::SIGTSTP, &default) };
    let _ = raise(Signal::SIGTSTP);
    if let Ok(before) = before {
        // SAFETY: as above.
        let _ = unsafe { sigaction(Signal::SIGTSTP, &before) };
    }
}

/// How long a Ctrl-Z waits for the SIGCONT of its stop to be noted before it says the stop
/// was dropped. A real `fg` is noted within microseconds; the wait is only ever used up when
/// there was no stop at all.
const CONTINUE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The pipe the SIGCONT handler writes a byte to: its read and write ends (-1 until made).
/// A pipe, for a handler can only make system calls that are async-signal-safe, and a
/// reader can wait on it with a limit.
static CONTINUE_READ: AtomicI32 = AtomicI32::new(-1);
static CONTINUE_WRITE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_continue(_: nix::libc::c_int) {
    let fd = CONTINUE_WRITE.load(Ordering::SeqCst);
    if fd >= 0 {
        // the interrupted code's errno is left as it was
        let errno = nix::errno::Errno::last_raw();
        // SAFETY: write(2) is async-signal-safe; the write end is non-blocking, so a full pipe
        // drops the byte, and one byte waiting is enough.
        let _ = unsafe { nix::libc::write(fd, [1u8].as_ptr().cast(), 1) };
        nix::errno::Errno::set_raw(errno);
    }
}

/// Note every SIGCONT in the continue pipe (made and installed once; the signal still
/// continues the process as it always does).
fn watch_continue() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        use std::os::fd::IntoRawFd;
        let Ok((read, write)) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_CLOEXEC)
        else {
            return;
        };
        // kept open for the life of the process
        CONTINUE_READ.store(read.into_raw_fd(), Ordering::SeqCst);
        CONTINUE_WRITE.store(write.into_raw_fd(), Ordering::SeqCst);
        let action = SigAction::new(
            SigHandler::Handler(on_continue),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        // SAFETY: the handler only makes async-signal-safe calls (write, and errno's location).
        let _ = unsafe { sigaction(Signal::SIGCONT, &action) };
    });
}

/// The continue pipe's read end, once made.
fn continue_pipe() -> Option<std::os::fd::BorrowedFd<'static>> {
    let fd = CONTINUE_READ.load(Ordering::SeqCst);
    // SAFETY: once made, the read end stays open for the life of the process.
    (fd >= 0).then(|| unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) })
}

/// Forget the SIGCONTs noted so far: read the pipe empty.
fn forget_continues() {
    let Some(fd) = continue_pipe() else {
        return;
    };
    let mut buf = [0u8; 64];
    while nix::unistd::read(fd, &mut buf).is_ok_and(|n| n > 0) {}
}

/// Whether a SIGCONT was noted since [`forget_continues`], waiting up to `limit` for one to
/// be.
fn continued_within(limit: std::time::Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let Some(fd) = continue_pipe() else {
        return false;
    };
    let end = std::time::Instant::now() + limit;
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        match poll(&mut [PollFd::new(fd, PollFlags::POLLIN)], timeout) {
            Ok(n) => return n > 0,
            // a signal (SIGCONT itself, SIGWINCH): wait on for what is left
            Err(nix::errno::Errno::EINTR) if !left.is_zero() => continue,
            Err(_) => return false,
        }
    }
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

    /// After a real stop, the SIGCONT handler may run on another thread a moment after the
    /// stopped one went on: the continue is waited for, not read once. Here the signal is sent
    /// only once this thread is seen asleep in /proc (waiting), so a look that does not wait
    /// misses it every time.
    #[test]
    fn a_continue_noted_after_the_stop_returned_is_still_seen() {
        watch_continue();
        forget_continues();
        let tid = nix::unistd::gettid();
        let done = Arc::new(AtomicBool::new(false));
        let sender = {
            let done = done.clone();
            std::thread::spawn(move || {
                let stat = format!("/proc/self/task/{tid}/stat");
                while !done.load(Ordering::SeqCst) {
                    let asleep = std::fs::read_to_string(&stat).is_ok_and(|s| {
                        s.rsplit_once(") ")
                            .is_some_and(|(_, rest)| rest.starts_with('S'))
                    });
                    if asleep {
                        break;
                    }
                    std::thread::yield_now();
                }
                nix::sys::signal::kill(nix::unistd::getpid(), nix::sys::signal::Signal::SIGCONT)
                    .unwrap();
            })
        };
        let seen = continued_within(std::time::Duration::from_secs(60));
        done.store(true, Ordering::SeqCst);
        sender.join().unwrap();
        assert!(seen, "the continue was not seen");
        // noted once, and forgotten before the next stop
        forget_continues();
        assert!(!continued_within(std::time::Duration::ZERO));
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
