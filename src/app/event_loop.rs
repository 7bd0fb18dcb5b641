//! The one event loop: terminal events, source events, a one-second tick and
//! signals, in one `select!`. Redraws only when state changed, at most about
//! 60 frames a second under a flood, none when idle.

use std::sync::Arc;
use std::time::Duration;

use chrono::Local;
use futures_util::StreamExt;
use ratatui::crossterm::event::{Event, EventStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};

use crate::access::Mode;
use crate::app::effect::Runner;
use crate::app::terminal::{self, Tui, install_panic_hook};
use crate::app::{App, Msg, runner, view};
use crate::config::Config;
use crate::ui::theme::Theme;

const FRAME: Duration = Duration::from_millis(16);

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Terminated,
    /// SIGINT from outside (in raw mode Ctrl-C is a key, not a signal).
    Interrupted,
    HangUp,
    InputClosed,
    /// A background thread panicked; the terminal was given back and the message printed.
    Panicked,
}

/// This host's name, for the status bar and local senders.
pub fn hostname() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into())
}

/// Has the terminal hung up? After an ssh link drops, the session leader
/// gets SIGHUP but a program started under a non-interactive shell may not;
/// the tty then reports POLLHUP. Checked once a second, cheaply.
fn terminal_gone() -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut fds = [
        PollFd::new(stdin.as_fd(), PollFlags::empty()),
        PollFd::new(stdout.as_fd(), PollFlags::empty()),
    ];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) => fds.iter().any(|f| {
            f.revents().is_some_and(|r| {
                r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL)
            })
        }),
        Err(_) => false,
    }
}

/// Run the dashboard until the user quits or a signal ends it.
pub async fn run(config: Arc<Config>, mode: Mode, theme: Theme) -> anyhow::Result<Exit> {
    let (tx, mut rx) = mpsc::channel(1024);
    let runner = Runner {
        tx,
        config: config.clone(),
    };
    // the demo stands for a host of its own (its local senders are that host's, not this one's)
    let host = if config.demo {
        crate::demo::HOSTNAME.to_string()
    } else {
        hostname()
    };
    let mut app = App::new(&config, mode, Local::now(), host);

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    // `kill -INT`, `timeout -s INT`, a supervisor: without this the process would die with the
    // terminal still raw and on the alternate screen (and the demo's sandbox left behind).
    let mut sigint = signal(SignalKind::interrupt())?;
    // `kill -TSTP` from outside (in raw mode Ctrl-Z is a key): stopped as it stood, the process
    // would leave the terminal raw and on the alternate screen until it is continued.
    let mut sigtstp = signal(SignalKind::from_raw(nix::libc::SIGTSTP))?;

    let mut tui = Tui::enter().map_err(|e| {
        anyhow::anyhow!(
            "opening the terminal: {e} (the dashboard needs one: ssh -t for a remote command)"
        )
    })?;
    install_panic_hook();
    runner::start_sources(&runner);

    let mut events = EventStream::new();
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // Diagnostic: proves the terminal is restored on a panic in the loop ("1"), or in a
    // background thread ("thread").
    let mut debug_panic = std::env::var("OPSDECK_DEBUG_PANIC").unwrap_or_default();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;

    let exit = loop {
        if app.quit {
            break Exit::Quit;
        }
        if terminal::panicked() {
            break Exit::Panicked;
        }
        let msg = tokio::select! {
            biased;
            _ = sleep_until(last_draw + FRAME), if dirty => {
                if terminal::panicked() {
                    continue; // never draw over the message; the loop ends above
                }
                tui.draw(|f| view::render(&app, &theme, f))?;
                dirty = false;
                last_draw = Instant::now();
                match std::mem::take(&mut debug_panic).as_str() {
                    "" => {}
                    "thread" => {
                        std::thread::spawn(|| {
                            panic!("OPSDECK_DEBUG_PANIC=thread: a background thread panics")
                        });
                    }
                    other => panic!(
                        "OPSDECK_DEBUG_PANIC is set: panicking after the first frame ({other})"
                    ),
                }
                continue;
            }
            _ = sigterm.recv() => break Exit::Terminated,
            _ = sighup.recv() => break Exit::HangUp,
            _ = sigint.recv() => break Exit::Interrupted,
            _ = sigtstp.recv() => {
                // The key reader's thread is waiting on the terminal, and holds it: taking the
                // terminal again asks where its cursor is, and that answer would never be read.
                // Dropping the reader wakes its thread and ends it (a new one made first would
                // wait for the terminal too).
                drop(events);
                // as Ctrl-Z does; a stop the kernel drops (no job control) needs no notice here,
                // as no key asked for it
                tui.suspend()?;
                events = EventStream::new();
                dirty = true;
                continue;
            }
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => Msg::Key(k),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Resize(w, h))) => {
                    tui.resize()?;
                    Msg::Resize(w, h)
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A hang-up is seen by `terminal_gone`; anything else is worth saying.
                Some(Err(e)) => {
                    return Err(anyhow::Error::new(e).context("reading keys from the terminal"));
                }
                None => break Exit::InputClosed,
            },
            Some(ev) = rx.recv() => Msg::Source(ev),
            _ = tick.tick() => {
                if terminal_gone() {
                    break Exit::HangUp;
                }
                Msg::Tick(Local::now())
            }
        };
        let out = app.update(msg);
        dirty |= out.redraw;
        if out.full_redraw {
            tui.clear()?;
            dirty = true;
        }
        if out.suspend {
            // Ctrl-Z is a key: the key reader handed it over and is not polled again until
            // the next turn, so its thread does not hold the terminal (as it does in the
            // SIGTSTP arm above, which drops the reader for that)
            if !tui.suspend()? {
                app.update(Msg::NotSuspended);
            }
            dirty = true;
        }
        for e in out.effects {
            runner::run(e, &runner);
        }
    };
    tui.restore();
    Ok(exit)
}
