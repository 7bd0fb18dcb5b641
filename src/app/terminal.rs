//! Owning the terminal: raw mode, the alternate screen, synchronized output
//! and a buffered writer; and giving it back on every way out (normal exit,
//! panic, SIGTERM/SIGHUP via the loop, Ctrl-Z suspend).

use std::io::{self, BufWriter, Stdout, Write};

use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};

type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// The terminal while the console runs.
pub struct Tui {
    terminal: Terminal<Backend>,
    active: bool,
}

impl Tui {
    /// Take the terminal: raw mode, alternate screen, hidden cursor.
    pub fn enter() -> io::Result<Tui> {
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, Hide) {
            let _ = disable_raw_mode();
            return Err(e);
        }
        let backend = CrosstermBackend::new(BufWriter::with_capacity(1 << 16, io::stdout()));
        let terminal = Terminal::new(backend)?;
        Ok(Tui {
            terminal,
            active: true,
        })
    }

    /// Draw one frame inside a synchronized update, then flush once.
    pub fn draw(&mut self, f: impl FnOnce(&mut Frame<'_>)) -> io::Result<()> {
        ratatui::crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(f)?;
        ratatui::crossterm::queue!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        self.terminal.backend_mut().flush()
    }

    /// Forget what is on screen so that the next frame draws every cell.
    pub fn clear(&mut self) -> io::Result<()> {
        self.terminal.clear()
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

    /// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
    pub fn suspend(&mut self) -> io::Result<()> {
        self.restore();
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP);
        // Execution continues here after SIGCONT.
        enable_raw_mode()?;
        execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        self.active = true;
        self.terminal.clear()
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
    let _ = execute!(out, EndSynchronizedUpdate, LeaveAlternateScreen, Show);
    let _ = out.flush();
}

/// Restore the terminal before the panic message is printed. Installed
/// after the terminal is taken, so it runs first and the message lands on
/// a usable screen.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}
