//! Frame cost of the whole screen: one `update` for a key, one draw into a
//! `TestBackend`. Run: `cargo bench --bench frame`.

use chrono::Local;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use opsdeck::access::Mode;
use opsdeck::app::{App, Msg, view};
use opsdeck::config::Config;
use opsdeck::ui::theme::Theme;

fn bench(c: &mut Criterion) {
    let theme = Theme::fallback();
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let app = App::new(
            &Config::default(),
            Mode::Interactive,
            Local::now(),
            "web1".into(),
        );
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("draw overview {w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| view::render(&app, &theme, f)).unwrap();
            });
        });
    }
    let mut app = App::new(
        &Config::default(),
        Mode::Interactive,
        Local::now(),
        "web1".into(),
    );
    c.bench_function("update Tab", |b| {
        b.iter(|| app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE))));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
