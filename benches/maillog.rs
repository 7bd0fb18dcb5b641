//! Mail log benchmarks: parsing one line of each kind, feeding the model, and the whole
//! `summary` pipeline over an in-memory log; plus two helpers driven by environment variables
//! (they do not run under plain `cargo bench`):
//!
//! - `MAILLOG_GENERATE=PATH:MB` writes a realistic log of about MB megabytes (the demo's
//!   generator: ~80% sent, SES not-verified bounces with lost bounces, throttling, unknown
//!   recipients, bad credentials, timeouts, expiry, relay rejects, a local mailbox it cannot
//!   write, a newsletter dropped by a DISCARD rule, a duplicate header SES refuses, an LMTP
//!   socket that is gone, and about one message in 70 stuck on a timeout and deleted with
//!   `postsuper -d`) for the whole-process runs. The 1 GiB log of benches/RESULTS.md was
//!   written before the last four cases were added.
//! - `MAILLOG_FOLLOW=SECONDS:LINES_PER_SECOND` runs a writer appending at that rate while the
//!   real follower reads and the model ingests; prints lines written/read and CPU time used.
//! - `MAILLOG_FLOOR=PATH` times the least any reader that correlates lines by queue id must do,
//!   on one thread: read the file in 1 MiB chunks, split lines, check UTF-8, find the timestamp,
//!   host, program tag and queue id, and look the id up in a table. No classification, no year,
//!   no report: a floor for `opsdeck summary`, to read beside `rg -c` in benches/RESULTS.md.

use std::hash::BuildHasherDefault;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use chrono::{Local, NaiveDate};
use criterion::{Criterion, Throughput};
use opsdeck::mail::log::demo::LogGenerator;
use opsdeck::mail::log::model::{IdHasher, Limits, MailLog};
use opsdeck::mail::log::parse::{YearGuess, parse_line, parse_line_with};
use opsdeck::mail::log::source::Follower;
use opsdeck::mail::log::summary::build;

fn sample_log(messages: usize) -> String {
    let mut g = LogGenerator::new(42);
    let t = Local::now();
    (0..messages).flat_map(|_| g.message(t)).collect()
}

fn benches(c: &mut Criterion) {
    let lines = [
        (
            "delivery",
            "Nov 27 19:25:41 vm postfix/smtp[11642]: 40A53C8900: to=<someone@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays=0.01/0.01/0/0, dsn=5.0.0, status=bounced (host 127.0.0.1[127.0.0.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: root@localhost (in reply to end of DATA command))",
        ),
        (
            "qmgr",
            "Nov 27 19:25:41 vm postfix/qmgr[10250]: 3F517C8902: from=<alice@example.com>, size=282, nrcpt=1 (queue active)",
        ),
        (
            "rfc3339",
            "2026-11-27T19:25:41.123456+00:00 vm postfix/qmgr[10250]: 3F517C8902: removed",
        ),
        (
            "other",
            "Nov 27 19:25:41 vm postfix/smtpd[11657]: connect from unknown[127.0.0.1]",
        ),
    ];
    let mut g = c.benchmark_group("parse_line");
    for (name, line) in lines {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| {
            let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
            b.iter(|| black_box(parse_line(black_box(line), &mut y)))
        });
        g.bench_function(format!("{name}_no_text"), |b| {
            let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
            b.iter(|| black_box(parse_line_with(black_box(line), &mut y, false)))
        });
    }
    g.finish();

    let log = sample_log(5_000);
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(20);
    g.bench_function("model_ingest_5000_messages", |b| {
        b.iter(|| {
            let mut y = YearGuess::now();
            let mut m = MailLog::with_limits(Limits::default());
            for l in log.lines() {
                if let Some(p) = parse_line(l, &mut y) {
                    m.ingest(p);
                }
            }
            black_box(m.outcomes().len())
        })
    });
    g.bench_function("summary_5000_messages", |b| {
        b.iter(|| {
            let mut r = std::io::Cursor::new(log.as_bytes());
            black_box(build(&["-".into()], None, 10, &mut r).lines)
        })
    });
    g.finish();
}

fn generate(spec: &str) {
    let (path, mb) = spec.rsplit_once(':').expect("MAILLOG_GENERATE=PATH:MB");
    let target: u64 = mb.parse::<u64>().expect("MB") * 1024 * 1024;
    let mut f =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("create"));
    let mut g = LogGenerator::new(1);
    // spread over the last ~20 hours, one message every few ms of log time
    let start = Local::now() - chrono::Duration::hours(20);
    let mut written = 0u64;
    let mut i = 0i64;
    while written < target {
        let t = start + chrono::Duration::milliseconds(i * 7);
        for l in g.message(t) {
            written += l.len() as u64;
            f.write_all(l.as_bytes()).unwrap();
        }
        i += 1;
    }
    f.flush().unwrap();
    eprintln!("wrote {written} bytes, {i} messages to {path}");
}

fn cpu_seconds() -> f64 {
    let mut u = std::mem::MaybeUninit::<nix::libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    unsafe { nix::libc::getrusage(nix::libc::RUSAGE_THREAD, u.as_mut_ptr()) };
    let u = unsafe { u.assume_init() };
    let tv = |t: nix::libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn follow(spec: &str) {
    let (secs, rate) = spec
        .split_once(':')
        .expect("MAILLOG_FOLLOW=SECONDS:LINES_PER_SECOND");
    let secs: u64 = secs.parse().unwrap();
    let rate: u64 = rate.parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, "").unwrap();
    let total = secs * rate;
    let wpath = path.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&wpath)
            .unwrap();
        let mut g = LogGenerator::new(9);
        let start = Instant::now();
        let mut n = 0u64;
        let mut buf = String::new();
        while n < total {
            // write in 10 ms slices at the asked rate
            let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
            while n < due.min(total) {
                for l in g.message(Local::now()) {
                    if n < total {
                        buf.push_str(&l);
                        n += 1;
                    }
                }
            }
            f.write_all(buf.as_bytes()).unwrap();
            buf.clear();
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let mut follower = Follower::new(&path, false, 64 * 1024);
    let mut wake =
        opsdeck::mail::log::source::Wakeup::new(&path, Duration::from_millis(500), false);
    let mut model = MailLog::default();
    let mut years = YearGuess::now();
    let mut raw = Vec::new();
    let mut read = 0u64;
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut max_lag = 0u64;
    while read < total {
        follower.poll(&mut raw).unwrap();
        read += raw.len() as u64;
        for l in raw.drain(..) {
            if let Some(p) = parse_line(&l, &mut years) {
                model.ingest(p);
            }
        }
        let expected = ((t0.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        max_lag = max_lag.max(expected.saturating_sub(read));
        if read < total {
            wake.wait();
        }
        if t0.elapsed() > Duration::from_secs(secs * 3 + 10) {
            break;
        }
    }
    writer.join().unwrap();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    println!(
        "follow: wrote {total} lines at {rate}/s for {secs}s; read {read} (lost {}), wall {wall:.1}s, follower thread CPU {cpu:.2}s = {:.0}% of one core, max lag {max_lag} lines, notify={}",
        total.saturating_sub(read),
        100.0 * cpu / wall,
        wake.notify()
    );
}

/// `MAILLOG_FLOOR`: see the module docs. Prints the lines, delivery lines and ids seen, and the
/// time taken.
fn floor(path: &str) {
    use std::io::Read;
    let started = Instant::now();
    let mut input = std::fs::File::open(path).expect("MAILLOG_FLOOR=PATH: a readable file");
    // whole lines are parsed where they were read; only a partial last line moves
    let mut buf = vec![0u8; 1 << 20];
    let mut filled = 0;
    let (mut lines, mut deliveries) = (0u64, 0u64);
    // the model's own hasher for queue ids (SipHash, the default, took a third of the time)
    let mut ids: std::collections::HashMap<u128, u32, BuildHasherDefault<IdHasher>> =
        std::collections::HashMap::default();
    let status = memchr::memmem::Finder::new(b" status=");
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = input.read(&mut buf[filled..]).expect("read");
        if n == 0 {
            break;
        }
        filled += n;
        let Some(end) = memchr::memrchr(b'\n', &buf[..filled]).map(|i| i + 1) else {
            continue;
        };
        let text = &buf[..end];
        // the check the real reader makes (it decodes invalid UTF-8 lossily)
        black_box(std::str::from_utf8(text).is_ok());
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', text) {
            let line = &text[start..nl];
            start = nl + 1;
            lines += 1;
            // `Nov  7 13:28:01 host prog[pid]: ID: body`
            if line.len() < 16 || line[3] != b' ' || line[15] != b' ' {
                continue;
            }
            let rest = &line[16..];
            let Some(rest) = memchr::memchr(b' ', rest).map(|i| &rest[i + 1..]) else {
                continue;
            };
            let Some(body) = memchr::memchr(b':', rest).and_then(|i| rest.get(i + 2..)) else {
                continue;
            };
            let Some(q) = memchr::memchr(b':', body) else {
                continue;
            };
            let mut key = [0u8; 16];
            let id = &body[..q.min(16)];
            key[..id.len()].copy_from_slice(id);
            let key = u128::from_le_bytes(key);
            if &body[q..] == b": removed" {
                // finished: the table stays as small as the model's
                ids.remove(&key);
                continue;
            }
            *ids.entry(key).or_default() += 1;
            if body[q..].starts_with(b": to=<") && status.find(&body[q..]).is_some() {
                deliveries += 1;
            }
        }
        buf.copy_within(end..filled, 0);
        filled -= end;
    }
    println!(
        "floor: {lines} lines, {deliveries} deliveries, {} ids open in {:.3} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
}

fn main() {
    if let Ok(path) = std::env::var("MAILLOG_FLOOR") {
        return floor(&path);
    }
    if let Ok(spec) = std::env::var("MAILLOG_GENERATE") {
        return generate(&spec);
    }
    if let Ok(spec) = std::env::var("MAILLOG_FOLLOW") {
        return follow(&spec);
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
