//! Mail queue benchmarks on a generated 100,000-message `postqueue -j` file:
//! parse and build the model, draw one frame of the table, apply a filter
//! keystroke (criterion), then the whole-process comparison with
//! `jq -c . >/dev/null` on the same file and the peak RSS of a process that
//! parses, draws and filters it.
//!
//! Modes (the bench re-runs itself for the whole-process figures):
//! `queue --parse-file FILE` parses FILE and builds the pane's model, then exits;
//! `queue --rss FILE` does that, draws a frame, filters, and prints VmHWM;
//! `queue --generate FILE` writes the 100,000-message file (for hyperfine).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Local, TimeZone};
use criterion::Criterion;
use opsdeck::app::pane::{Cx, Pane, ViewCx};
use opsdeck::app::shared::Shared;
use opsdeck::config::Config;
use opsdeck::mail::queue::demo::generate;
use opsdeck::mail::queue::parse::parse_jsonl;
use opsdeck::mail::queue::{QueueEvent, QueuePane};
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const N: usize = 100_000;
const NOW: i64 = 1_800_000_000;

/// What an update of the pane sees, at `NOW`.
fn cx(shared: &mut Shared) -> Cx<'_> {
    Cx {
        now: Local.timestamp_opt(NOW, 0).unwrap(),
        access: None,
        shared,
    }
}

fn build(bytes: &[u8], shared: &mut Shared) -> QueuePane {
    let mut pane = QueuePane::new(&Config::default());
    let mut cx = cx(shared);
    pane.on_event(
        QueueEvent::Listed {
            instance: 0,
            at: cx.now,
            result: Ok(parse_jsonl(bytes)),
        },
        &mut cx,
    );
    pane
}

fn draw(term: &mut Terminal<TestBackend>, pane: &QueuePane, shared: &Shared, theme: &Theme) {
    term.draw(|f| {
        let cx = ViewCx {
            theme,
            now: Local.timestamp_opt(NOW, 0).unwrap(),
            focused: true,
            zoomed: true,
            read_only: false,
            shared,
        };
        pane.render(f, f.area(), &cx);
    })
    .unwrap();
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_process(cmd: &mut Command, runs: usize) -> Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let st = cmd
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        assert!(st.success(), "{cmd:?} failed");
        times.push(t.elapsed());
    }
    median(times)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    if let Some(file) = arg("--generate") {
        std::fs::write(&file, generate(N, NOW)).unwrap();
        return;
    }
    if let Some(file) = arg("--parse-file") {
        let bytes = std::fs::read(&file).unwrap();
        let mut shared = Shared::default();
        let pane = build(&bytes, &mut shared);
        assert_eq!(pane.view_len(), N);
        return;
    }
    if let Some(file) = arg("--rss") {
        let bytes = std::fs::read(&file).unwrap();
        let mut shared = Shared::default();
        let mut pane = build(&bytes, &mut shared);
        drop(bytes);
        let theme = Theme::fallback();
        let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
        draw(&mut term, &pane, &shared, &theme);
        pane.set_filter("gmail", &mut cx(&mut shared));
        draw(&mut term, &pane, &shared, &theme);
        println!("{}", peak_rss_kib());
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("postqueue-100k.jsonl");
    let text = generate(N, NOW);
    std::fs::write(&file, &text).unwrap();
    let bytes = text.into_bytes();

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    c.bench_function("queue: parse + build model, 100k messages", |b| {
        b.iter(|| {
            let mut shared = Shared::default();
            build(std::hint::black_box(&bytes), &mut shared)
        })
    });
    let mut shared = Shared::default();
    let mut pane = build(&bytes, &mut shared);
    let theme = Theme::fallback();
    for (w, h) in [(80u16, 24u16), (200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(
            &format!("queue: draw table frame {w}x{h}, 100k messages"),
            |b| b.iter(|| draw(&mut term, &pane, &shared, &theme)),
        );
    }
    // Typing one more character narrows the shown rows; deleting one
    // filters all 100,000 again. Each is timed alone (the other untimed).
    let mut keystroke = |c: &mut Criterion, name: &str, before: &str, after: &str| {
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut cx = cx(&mut shared);
                    pane.set_filter(before, &mut cx);
                    let t = Instant::now();
                    pane.set_filter(std::hint::black_box(after), &mut cx);
                    total += t.elapsed();
                }
                total
            })
        });
    };
    keystroke(
        &mut c,
        "queue: filter keystroke, typing (gmai -> gmail), 100k messages",
        "gmai",
        "gmail",
    );
    keystroke(
        &mut c,
        "queue: filter keystroke, deleting (gmail -> gmai), 100k messages",
        "gmail",
        "gmai",
    );
    keystroke(
        &mut c,
        "queue: filter keystroke, first character (\"\" -> g), 100k messages",
        "",
        "g",
    );
    c.final_summary();

    whole_process(&file);
}

fn whole_process(file: &Path) {
    let me = std::env::current_exe().unwrap();
    let runs = 5;
    let jq = time_process(Command::new("jq").arg("-c").arg(".").arg(file), runs);
    let ours = time_process(Command::new(&me).arg("--parse-file").arg(file), runs);
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!(
        "whole process, {N} messages ({:.1} MiB), median of {runs}: jq -c . {:.0} ms, opsdeck parse+model {:.0} ms, ratio jq/opsdeck {:.2}",
        size as f64 / 1048576.0,
        jq.as_secs_f64() * 1000.0,
        ours.as_secs_f64() * 1000.0,
        jq.as_secs_f64() / ours.as_secs_f64()
    );
    let out = Command::new(&me).arg("--rss").arg(file).output().unwrap();
    let kib: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    println!(
        "peak RSS (parse, model, draw 200x60, filter): {:.1} MiB",
        kib as f64 / 1024.0
    );
}
