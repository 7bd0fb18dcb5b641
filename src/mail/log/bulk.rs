//! Whole-file reading for reports (`opsdeck summary`, `opsdeck check`) and the failures pane's
//! backfill: the input is cut into chunks at line ends, worker threads parse each chunk's lines
//! (everything but the year of a yearless timestamp, which needs the lines before it), and the
//! caller's thread receives the lines in file order, completes their times with its
//! [`YearGuess`] and hands them on.
//!
//! Lines are borrowed from the chunk (`LogLine<&str>`): nothing is copied or sanitized until the
//! model keeps it. Memory stays bounded: at most `IN_FLIGHT` chunks exist at once, and their
//! buffers are reused.
//!
//! The lines handed on are exactly those of [`read_lines_from`](super::source::read_lines_from)
//! followed by [`parse_line_ref`](super::parse::parse_line_ref), whatever the number of workers:
//! a line over the cap is cut and marked, invalid UTF-8 is decoded lossily, a last line without a
//! newline counts.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::{Condvar, Mutex, mpsc};

use chrono::{DateTime, FixedOffset};

use super::parse::{LogLine, Stamp, YearGuess, parse_after_stamp, parse_stamp};

/// Bytes read per chunk.
pub(super) const CHUNK: usize = 1 << 20;
/// Chunks read but not yet handed on, at most (bounds memory whatever the input size).
pub(super) const IN_FLIGHT: u64 = 6;

/// Where a text field lies in its chunk's text.
type Span = Range<u32>;

/// One line of a chunk, parsed but for the year.
enum Rec {
    /// No timestamp: not a syslog line.
    Unstamped,
    /// A timestamp; the rest parsed (`None`: not from Postfix). Its `time` is a placeholder.
    Stamped(Stamp, Option<LogLine<Span>>),
}

/// A chunk's text (valid UTF-8, lines ending in `\n` but perhaps the last) and its lines.
#[derive(Default)]
struct Parsed {
    text: String,
    recs: Vec<Rec>,
}

/// What a worker hands back.
enum Done {
    Chunk(u64, Parsed, Option<io::Error>),
    /// A worker panicked (a bug): the caller stops and resumes the panic.
    Panicked(Box<dyn std::any::Any + Send>),
}

/// Cuts the input into chunks that end at a line end, in order.
struct Chunker<'r> {
    input: &'r mut (dyn Read + Send),
    carry: Vec<u8>,
    next: u64,
    /// Chunks handed on by the caller (the next one it waits for).
    consumed: u64,
    /// Skipping the rest of a line longer than a chunk.
    discarding: bool,
    done: bool,
    /// Buffers given back by the caller.
    free: Vec<Parsed>,
    max_line: usize,
    /// Bytes read per chunk.
    size: usize,
}

impl Chunker<'_> {
    /// Fill `buf` with the next chunk: whole lines (the last line of the input may lack its
    /// newline). `None` at the end of the input.
    fn next_chunk(&mut self, buf: &mut Vec<u8>) -> Option<(u64, Option<io::Error>)> {
        if self.done {
            return None;
        }
        let size = self.size;
        buf.clear();
        buf.append(&mut self.carry);
        let mut error = None;
        let mut eof = false;
        while buf.len() < size && !eof && error.is_none() {
            let before = buf.len();
            let want = (size - before) as u64;
            match (&mut *self.input).take(want).read_to_end(buf) {
                Ok(n) => eof = (n as u64) < want,
                Err(e) => error = Some(e),
            }
            if self.discarding {
                // the rest of a line too long to keep
                match memchr::memchr(b'\n', &buf[before..]) {
                    Some(i) => {
                        buf.drain(before..=before + i);
                        self.discarding = false;
                    }
                    None => buf.truncate(before),
                }
            }
        }
        if error.is_some() {
            // the partial line before a read error is dropped, as a line reader would
            let whole = memchr::memrchr(b'\n', buf).map_or(0, |i| i + 1);
            buf.truncate(whole);
        } else if !eof {
            match memchr::memrchr(b'\n', buf) {
                Some(i) => {
                    self.carry.extend_from_slice(&buf[i + 1..]);
                    buf.truncate(i + 1);
                }
                None => {
                    // one line longer than a chunk: keep enough of it to be cut, skip the rest
                    buf.truncate(self.max_line + 1);
                    self.discarding = true;
                }
            }
        }
        if eof || error.is_some() {
            self.done = true;
        }
        if buf.is_empty() && error.is_none() {
            return None;
        }
        let seq = self.next;
        self.next += 1;
        Some((seq, error))
    }
}

/// Is any line of `bytes` longer than `max`?
fn has_long_line(bytes: &[u8], max: usize) -> bool {
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', bytes) {
        if i - start > max {
            return true;
        }
        start = i + 1;
    }
    bytes.len() - start > max
}

/// Turn a chunk's bytes into text and parse its lines into `out` (cleared first).
fn parse_chunk(bytes: Vec<u8>, max_line: usize, keep_text: bool, out: &mut Parsed) {
    let long = has_long_line(&bytes, max_line);
    out.text.clear();
    out.recs.clear();
    if long {
        // rare: build the text line by line, cutting the long ones as the line reader does
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        if bytes.last() == Some(&b'\n') {
            lines.pop();
        }
        for l in lines {
            if l.len() > max_line {
                out.text
                    .push_str(&super::source::cut_line(&l[..max_line], max_line));
            } else {
                out.text.push_str(&String::from_utf8_lossy(l));
            }
            out.text.push('\n');
        }
    } else {
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            // lossy decoding of the whole chunk equals that of each line: a newline always ends
            // an invalid sequence
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        out.text = text;
    }
    let text = out.text.as_str();
    let base = text.as_ptr() as usize;
    let span = |s: &str| -> Span {
        if s.is_empty() {
            return 0..0;
        }
        // every field the parser returns is empty or a slice of its line
        let start = (s.as_ptr() as usize).wrapping_sub(base);
        if start.saturating_add(s.len()) > text.len() {
            debug_assert!(false, "a field that is not part of its line: {s:?}");
            return 0..0;
        }
        start as u32..(start + s.len()) as u32
    };
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return;
    }
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', body.as_bytes()).chain(std::iter::once(body.len()));
    for end in ends {
        // a newline is one byte: both ends are character boundaries
        let line = super::parse::trim_line(&body[start..end]);
        start = end + 1;
        out.recs.push(match parse_stamp(line) {
            None => Rec::Unstamped,
            Some((stamp, rest)) => Rec::Stamped(
                stamp,
                parse_after_stamp(line, rest, keep_text, placeholder()).map(|l| l.map(span)),
            ),
        });
    }
}

fn placeholder() -> DateTime<FixedOffset> {
    DateTime::<FixedOffset>::default()
}

/// Hand a parsed chunk's lines on, in order, with their times completed (its lines are taken;
/// the buffers stay for reuse).
fn hand_on(
    parsed: &mut Parsed,
    years: &mut YearGuess,
    each: &mut dyn FnMut(Option<LogLine<&str>>),
) {
    let text = parsed.text.as_str();
    for rec in parsed.recs.drain(..) {
        let line = match rec {
            Rec::Unstamped => None,
            Rec::Stamped(stamp, line) => match years.resolve(stamp) {
                None => None,
                Some(time) => line.map(|l| {
                    let mut l = l.map(|s| {
                        // most fields of a report's line are left empty
                        if s.is_empty() {
                            ""
                        } else {
                            text.get(s.start as usize..s.end as usize).unwrap_or("")
                        }
                    });
                    l.time = time;
                    l
                }),
            },
        };
        each(line);
    }
}

/// Read all of `input` and call `each` for every line in order: `Some` for a Postfix line (its
/// text fields borrowed and raw; `keep_text` as for
/// [`parse_line_with`](super::parse::parse_line_with)), `None` for any other line.
///
/// `workers` threads parse; with 0 everything runs on the calling thread. Returns the first read
/// error (the lines before it have been handed on).
pub fn for_each_line(
    input: &mut (dyn Read + Send),
    years: &mut YearGuess,
    workers: usize,
    keep_text: bool,
    max_line: usize,
    each: &mut dyn FnMut(Option<LogLine<&str>>),
) -> io::Result<()> {
    let chunk = CHUNK.max(max_line + 1);
    for_each_line_in(input, years, workers, keep_text, max_line, chunk, each)
}

/// [`for_each_line`] with the chunk size chosen (more than `max_line`; tests use tiny ones).
fn for_each_line_in(
    input: &mut (dyn Read + Send),
    years: &mut YearGuess,
    workers: usize,
    keep_text: bool,
    max_line: usize,
    chunk: usize,
    each: &mut dyn FnMut(Option<LogLine<&str>>),
) -> io::Result<()> {
    let mut chunker = Chunker {
        size: chunk.max(max_line + 1),
        input,
        carry: Vec::new(),
        next: 0,
        consumed: 0,
        discarding: false,
        done: false,
        free: Vec::new(),
        max_line,
    };
    if workers == 0 {
        let mut parsed = Parsed::default();
        let mut buf = Vec::new();
        while let Some((_, error)) = chunker.next_chunk(&mut buf) {
            parse_chunk(std::mem::take(&mut buf), max_line, keep_text, &mut parsed);
            hand_on(&mut parsed, years, each);
            if let Some(e) = error {
                return Err(e);
            }
            buf = std::mem::take(&mut parsed.text).into_bytes();
        }
        return Ok(());
    }
    let shared = Mutex::new(chunker);
    let turn = Condvar::new();
    let (tx, rx) = mpsc::channel::<Done>();
    let mut result = Ok(());
    let mut panic = None;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (shared, turn) = (&shared, &turn);
            scope.spawn(move || {
                let work = std::panic::AssertUnwindSafe(|| work(shared, turn, &tx, keep_text));
                if let Err(p) = std::panic::catch_unwind(work) {
                    let _ = tx.send(Done::Panicked(p));
                }
            });
        }
        drop(tx);
        // whatever happens here (a panic in `each` too), the workers must not wait for ever
        struct Stop<'a, 'r>(&'a Mutex<Chunker<'r>>, &'a Condvar);
        impl Drop for Stop<'_, '_> {
            fn drop(&mut self) {
                if let Ok(mut c) = self.0.lock() {
                    c.done = true;
                }
                self.1.notify_all();
            }
        }
        let _stop = Stop(&shared, &turn);
        let mut waiting: BTreeMap<u64, (Parsed, Option<io::Error>)> = BTreeMap::new();
        let mut expect = 0u64;
        'recv: for done in rx.iter() {
            match done {
                Done::Panicked(p) => {
                    panic = Some(p);
                    break;
                }
                Done::Chunk(seq, parsed, error) => {
                    waiting.insert(seq, (parsed, error));
                }
            }
            while let Some((mut parsed, error)) = waiting.remove(&expect) {
                hand_on(&mut parsed, years, each);
                expect += 1;
                if let Ok(mut c) = shared.lock() {
                    c.consumed = expect;
                    c.free.push(parsed);
                }
                turn.notify_all();
                if let Some(e) = error {
                    result = Err(e);
                    break 'recv;
                }
            }
        }
    });
    if let Some(p) = panic {
        std::panic::resume_unwind(p);
    }
    result
}

/// A worker: take the next chunk (waiting while too many are in flight), parse it, send it.
fn work(shared: &Mutex<Chunker<'_>>, turn: &Condvar, tx: &mpsc::Sender<Done>, keep_text: bool) {
    let mut buf = Vec::new();
    loop {
        let (seq, error, mut parsed, max_line) = {
            let Ok(mut c) = shared.lock() else { return };
            while !c.done && c.next >= c.consumed + IN_FLIGHT {
                c = match turn.wait(c) {
                    Ok(c) => c,
                    Err(_) => return,
                };
            }
            let Some((seq, error)) = c.next_chunk(&mut buf) else {
                return;
            };
            let parsed = c.free.pop().unwrap_or_default();
            (seq, error, parsed, c.max_line)
        };
        let mut next_buf = std::mem::take(&mut parsed.text).into_bytes();
        next_buf.clear();
        parse_chunk(
            std::mem::replace(&mut buf, next_buf),
            max_line,
            keep_text,
            &mut parsed,
        );
        if tx.send(Done::Chunk(seq, parsed, error)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::log::parse::{Kind, parse_line_with};
    use crate::mail::log::source::read_lines_from;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn years() -> YearGuess {
        YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
    }

    /// What a plain line reader and the one-line parser make of `input`.
    fn reference(input: &[u8], max_line: usize) -> Vec<Option<LogLine>> {
        let mut y = years();
        let mut out = Vec::new();
        read_lines_from(&mut &input[..], max_line, &mut |l: &str| {
            out.push(parse_line_with(l, &mut y, true));
        })
        .unwrap();
        out
    }

    fn chunked(
        input: &[u8],
        workers: usize,
        max_line: usize,
        chunk: usize,
    ) -> Vec<Option<LogLine>> {
        let mut y = years();
        let mut out = Vec::new();
        let mut r = input;
        for_each_line_in(&mut r, &mut y, workers, true, max_line, chunk, &mut |l| {
            out.push(l.map(LogLine::sanitized));
        })
        .unwrap();
        out
    }

    /// Real lines in every timestamp style, across New Year, with hostile ones among them.
    fn mixed_log() -> Vec<u8> {
        let mut v: Vec<u8> = Vec::new();
        v.extend_from_slice(include_bytes!(
            "../../../tests/fixtures/maillog/corpus-3.7.log"
        ));
        v.extend_from_slice(b"Dec 31 23:59:59 mx postfix/qmgr[3]: 3F517C8902: from=<a@example.com>, size=1, nrcpt=1 (queue active)\r\n");
        v.extend_from_slice(b"Jan  1 00:00:01 mx postfix/smtp[4]: 3F517C8902: to=<b@example.org>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to x[1.2.3.4]:25: Connection timed out)\n");
        v.extend_from_slice(
            b"2026-01-01T00:00:02.123456+01:00 mx postfix/qmgr[3]: 3F517C8902: removed\n",
        );
        v.extend_from_slice(b"Jan 01 00:00:03 mx postfix/smtp[4]: 3F517C8903: to=<\xff\xfe@bad>, relay=none, dsn=5.0.0, status=bounced (\x1b[31mred\x00)\n");
        v.extend_from_slice(b"not a log line at all\n\n");
        v.extend_from_slice(b"Jan  1 00:00:04 mx postfix/cleanup[5]: 3F517C8904: message-id=<");
        v.extend(std::iter::repeat_n(b'x', 100_000));
        v.extend_from_slice(b">\n");
        v.extend_from_slice(
            b"Jan  1 00:00:05 mx postfix/pickup[6]: 3F517C8905: uid=0 from=<root>\n",
        );
        v.extend_from_slice(b"Jan  1 00:00:06 mx kernel: ");
        v.extend(std::iter::repeat_n(b'y', 3 << 20));
        v.extend_from_slice(b"\nJan  1 00:00:07 mx postfix/qmgr[3]: 3F517C8905: removed");
        v
    }

    #[test]
    fn chunks_and_threads_give_the_lines_of_a_line_reader() {
        let input = mixed_log();
        let want = reference(&input, 64 * 1024);
        assert!(want.len() > 100, "{}", want.len());
        // the long line, the lossy line and the unterminated last line are all there
        assert!(
            want.iter()
                .flatten()
                .any(|l| matches!(&l.kind, Kind::MessageId(m) if m.starts_with("xxxx")))
        );
        assert!(want.iter().flatten().any(|l| l.text.contains('\u{fffd}')));
        assert!(
            want.last()
                .unwrap()
                .as_ref()
                .is_some_and(|l| l.kind == Kind::Removed)
        );
        for workers in [0, 1, 2, 3] {
            for chunk in [4096, 1 << 20] {
                assert_eq!(
                    chunked(&input, workers, 64 * 1024, chunk),
                    want,
                    "{workers} workers, chunks of {chunk}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_bytes_any_chunking(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just(b"Nov 27 19:25:41 vm postfix/qmgr[1]: 3F517C8902: removed".to_vec()),
                    Just(b"Dec 31 23:59:59 vm postfix/smtp[2]: 3F517C8902: to=<a@b>, dsn=5.0.0, status=bounced (no)".to_vec()),
                    Just(b"Jan  1 00:00:00 vm postfix/pickup[3]: 3F517C8903: uid=1 from=<x>".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..120),
                ],
                0..40,
            ),
            seps in proptest::collection::vec(prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..]), Just(&b""[..])], 40),
            workers in 0usize..3,
            chunk in 1usize..200,
        ) {
            let mut input = Vec::new();
            for (l, sep) in lines.iter().zip(&seps) {
                input.extend_from_slice(l);
                input.extend_from_slice(if sep.is_empty() { b"\n" } else { sep });
            }
            if let Some(last) = seps.last().filter(|s| s.is_empty()) {
                // sometimes no newline at the very end
                let _ = last;
                input.pop();
            }
            prop_assert_eq!(chunked(&input, workers, 60, chunk), reference(&input, 60));
        }
    }
}
