//! Keys, resizes, ticks and new data in random order against the whole app, in process, each
//! step drawn: no panic and no quit, whatever a pane is showing when its data changes under it
//! (a detail open on a message that has left the queue, a filter that now matches nothing, a
//! selection past the new end, a screen a few cells wide). The tmux key storm in
//! `readonly_proof.rs` proves read-only; this one runs thousands of states in a second or two
//! and names the seed and step that broke.

use chrono::{DateTime, Duration, Local};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use opsdeck::access::Mode;
use opsdeck::app::effect::SourceEvent;
use opsdeck::app::{App, Msg, view};
use opsdeck::config::Config;
use opsdeck::mail::log::LogEvent;
use opsdeck::mail::log::demo::LogGenerator;
use opsdeck::mail::log::parse::{YearGuess, parse_line};
use opsdeck::mail::queue::QueueEvent;
use opsdeck::mail::queue::parse::parse_jsonl;
use opsdeck::ui::theme::Theme;

/// A small generator with a fixed seed, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize % n.max(1)
    }
}

/// Every key a person could press, as crossterm reports them, except `q` and Ctrl-C (which
/// quit) and Ctrl-Z (which the loop, not the app, carries out).
fn every_key() -> Vec<KeyEvent> {
    let mut keys: Vec<KeyEvent> = (0x21u8..0x7f)
        .map(|b| b as char)
        .filter(|&c| c != 'q')
        .map(|c| {
            let shift = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            KeyEvent::new(KeyCode::Char(c), shift)
        })
        .collect();
    for code in [
        KeyCode::Char(' '),
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Insert,
        KeyCode::F(1),
        KeyCode::F(2),
        KeyCode::F(5),
        KeyCode::F(10),
    ] {
        keys.push(KeyEvent::new(code, KeyModifiers::NONE));
    }
    for c in ('a'..='z').filter(|c| !matches!(c, 'c' | 'z')) {
        keys.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    }
    keys.push(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT));
    keys
}

const SIZES: [(u16, u16); 7] = [
    (80, 24),
    (160, 48),
    (100, 30),
    (60, 20),
    (40, 12),
    (20, 6),
    (1, 1),
];

fn storm(mode: Mode, seed: u64, steps: usize) {
    let start = Local::now();
    let mut now = start;
    // the host's name is in the status bar and in local senders: a long one must fit too
    let host = if seed.is_multiple_of(2) {
        "web1.example.com".to_string()
    } else {
        format!("{}.{}.internal", "ci-runner-".repeat(6), "b".repeat(63))
    };
    let mut app = App::new(&Config::default(), mode, now, host);
    let theme = Theme::fallback();
    let queue = opsdeck::mail::queue::demo::generate(300, now.timestamp());
    let queue: Vec<&str> = queue.lines().collect();
    let mut log = LogGenerator::new(seed);
    let mut years = YearGuess::now();
    let mut logged: DateTime<Local> = now - Duration::hours(3);
    let keys = every_key();
    let mut rng = Rng(seed);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut trail: Vec<String> = Vec::new();
    for step in 0..steps {
        let msg = match rng.below(100) {
            0..=77 => Msg::Key(keys[rng.below(keys.len())]),
            78..=86 => {
                // new log lines: a few messages, sometimes an hour's worth at once
                let mut lines = Vec::new();
                let n = if rng.below(20) == 0 {
                    150
                } else {
                    rng.below(8)
                };
                for _ in 0..n {
                    logged += Duration::seconds(rng.below(20) as i64);
                    lines.extend(
                        log.message(logged.min(now))
                            .iter()
                            .filter_map(|l| parse_line(l, &mut years)),
                    );
                }
                Msg::Source(SourceEvent::Log(LogEvent::Lines {
                    source: 0,
                    lines,
                    backfill: step < 50,
                    unparsed: 0,
                }))
            }
            87..=93 => {
                // the queue read again: any part of it, often all or nothing
                let keep = match rng.below(4) {
                    0 => 0,
                    1 => queue.len(),
                    _ => rng.below(queue.len()),
                };
                let mut text = String::new();
                for l in &queue {
                    if rng.below(queue.len()) < keep {
                        text.push_str(l);
                        text.push('\n');
                    }
                }
                Msg::Source(SourceEvent::Queue(QueueEvent::Listed {
                    instance: 0,
                    at: now,
                    result: Ok(parse_jsonl(text.as_bytes())),
                }))
            }
            94..=96 => {
                let (w, h) = SIZES[rng.below(SIZES.len())];
                term.backend_mut().resize(w, h);
                Msg::Resize(w, h)
            }
            _ => {
                now += Duration::seconds(1 + rng.below(600) as i64);
                Msg::Tick(now)
            }
        };
        trail.push(format!("{msg:?}").chars().take(120).collect());
        if trail.len() > 12 {
            trail.remove(0);
        }
        let out = app.update(msg);
        assert!(
            !app.quit,
            "{mode:?} seed {seed} step {step}: the app quit without q or Ctrl-C; last steps:\n{}",
            trail.join("\n")
        );
        // what the event loop would run is not run here: the point is the app's own state
        drop(out);
        term.draw(|f| view::render(&app, &theme, f)).unwrap();
    }
    // the storm reached the data: the Failures model read lines, the queue was listed
    assert!(app.shared.mail_log.lines > 0, "seed {seed}: no log line");
    assert!(
        !app.queue.model().snapshots.is_empty(),
        "seed {seed}: no queue listing taken"
    );
}

/// Each seed's first step that panics is reported with the seed, so it can be replayed alone.
fn run(mode: Mode) {
    for seed in 1..=3u64 {
        let r = std::panic::catch_unwind(|| storm(mode, seed, 1_500));
        if let Err(p) = r {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{mode:?}, seed {seed}: {msg}");
        }
    }
}

#[test]
fn read_only_app_survives_a_storm() {
    run(Mode::ReadOnly);
}

#[test]
fn interactive_app_survives_a_storm() {
    run(Mode::Interactive);
}
