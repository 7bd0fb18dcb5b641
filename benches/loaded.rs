//! Keystroke to redrawn frame with the panes full: the Failures pane holding
//! 100,000 outcomes and the Queue pane 100,000 messages. Each measured step
//! is what the event loop does for a key: `App::update`, then one draw of the
//! whole screen into a `TestBackend`. Run: `cargo bench --bench loaded`.

use chrono::{Duration, Local, TimeZone};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use opsdeck::access::Mode;
use opsdeck::app::effect::SourceEvent;
use opsdeck::app::{App, Msg, view};
use opsdeck::config::Config;
use opsdeck::mail::log::LogEvent;
use opsdeck::mail::log::demo::LogGenerator;
use opsdeck::mail::log::model::{Limits, MailLog};
use opsdeck::mail::log::parse::{YearGuess, parse_line};
use opsdeck::mail::queue::QueueEvent;
use opsdeck::mail::queue::parse::parse_jsonl;
use opsdeck::ui::theme::Theme;

const N: usize = 100_000;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// An app whose Failures pane holds `N` outcomes and whose Queue pane holds
/// `N` messages.
fn loaded_app() -> App {
    let now = Local::now();
    let mut app = App::new(&Config::default(), Mode::Interactive, now, "web1".into());
    app.shared.mail_log = MailLog::with_limits(Limits {
        outcomes: N,
        finished: N,
        ..Limits::default()
    });
    let mut g = LogGenerator::new(7);
    let mut years = YearGuess::now();
    let start = now - Duration::hours(20);
    let mut i = 0i64;
    while app.shared.mail_log.outcomes().len() < N {
        let mut batch = Vec::with_capacity(20_000);
        while batch.len() < 20_000 {
            let t = start + Duration::milliseconds(i * 300);
            i += 1;
            batch.extend(
                g.message(t)
                    .iter()
                    .filter_map(|l| parse_line(l, &mut years)),
            );
        }
        app.update(Msg::Source(SourceEvent::Log(LogEvent::Lines {
            source: 0,
            lines: batch,
            backfill: true,
            unparsed: 0,
        })));
    }
    let jsonl = opsdeck::mail::queue::demo::generate(N, now.timestamp());
    app.update(Msg::Source(SourceEvent::Queue(QueueEvent::Listed {
        instance: 0,
        at: Local.timestamp_opt(now.timestamp(), 0).unwrap(),
        result: Ok(parse_jsonl(jsonl.as_bytes())),
    })));
    eprintln!(
        "loaded: {} outcomes in the Failures model, {} messages in the Queue model",
        app.shared.mail_log.outcomes().len(),
        app.shared.queue.len()
    );
    app
}

fn bench(c: &mut Criterion) {
    let theme = Theme::fallback();
    let mut app = loaded_app();
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut g = c.benchmark_group(format!("keystroke+frame {w}x{h}"));

        app.update(key(KeyCode::Esc));
        app.update(key(KeyCode::Esc));
        g.bench_function("overview Tab", |b| {
            b.iter(|| {
                app.update(key(KeyCode::Tab));
                term.draw(|f| view::render(&app, &theme, f)).unwrap();
            })
        });

        for (pane, name) in [('1', "queue"), ('2', "failures")] {
            app.update(key(KeyCode::Char(pane)));
            let mut down = true;
            g.bench_function(format!("{name} zoomed j/k"), |b| {
                b.iter(|| {
                    // alternate so the selection stays near the top
                    let k = if down { 'j' } else { 'k' };
                    down = !down;
                    app.update(key(KeyCode::Char(k)));
                    term.draw(|f| view::render(&app, &theme, f)).unwrap();
                })
            });
            g.bench_function(format!("{name} zoomed PageDown"), |b| {
                b.iter(|| {
                    app.update(key(KeyCode::PageDown));
                    term.draw(|f| view::render(&app, &theme, f)).unwrap();
                })
            });
            app.update(key(KeyCode::Home));
            // The filter applies on every keystroke: type one character and
            // erase it again (two filter passes over all N rows, two frames).
            app.update(key(KeyCode::Char('/')));
            for ch in "ex".chars() {
                app.update(key(KeyCode::Char(ch)));
            }
            g.bench_function(format!("{name} filter keystroke pair"), |b| {
                b.iter(|| {
                    app.update(key(KeyCode::Char('a')));
                    term.draw(|f| view::render(&app, &theme, f)).unwrap();
                    app.update(key(KeyCode::Backspace));
                    term.draw(|f| view::render(&app, &theme, f)).unwrap();
                })
            });
            app.update(key(KeyCode::Esc));
            app.update(key(KeyCode::Esc));
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
