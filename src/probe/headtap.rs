//! Arrival order of header lines across names. hyper's `HeaderMap` keeps
//! the order of the lines of one name but not the order between names, and
//! the order a balancer adds `X-Forwarded-For`, `Forwarded` and friends in
//! is part of what the echo shows. This tap sits under hyper on one
//! connection, sees every byte hyper reads, and parses each request head a
//! second time with `httparse` (the parser hyper itself uses) to record the
//! forwarding header lines in the order they arrived, with their line
//! numbers. Bodies are skipped by their framing (`Content-Length`,
//! `chunked`) without being kept.
//!
//! It never changes, delays or withholds a byte: hyper stays the only judge
//! of what is a valid request. When the tap cannot follow (a head hyper will
//! refuse, `CONNECT`, framing it does not understand, a mismatch with what
//! hyper parsed) it stops for the rest of the connection and the echo falls
//! back to per-name order and says so. Its memory is bounded by the header
//! byte limit and a short queue of parsed heads.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::echo::is_forwarding;

/// Parsed heads waiting for hyper to hand the request to the service
/// (pipelining): more than this and the tap gives up on the connection.
const MAX_QUEUED: usize = 32;
/// A chunk-size line or a chunk extension longer than this: give up.
const MAX_CHUNK_LINE: usize = 4096;

/// One request head as the tap saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The request target exactly as sent.
    pub target: String,
    /// Forwarding header lines in arrival order: 1-based line number among
    /// the header lines, lower-case name, value.
    pub forwarding: Vec<(usize, String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading the hex size; `ext` once past it (extension, spaces).
    Size {
        value: u64,
        digits: u8,
        ext: bool,
        len: usize,
    },
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines until an empty one.
    Trailer {
        line: usize,
        total: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Body(u64),
    Chunked(Chunk),
    Lost(&'static str),
}

/// The tap's parser: bytes in, heads out. Pure (no I/O), so that it can be
/// tested and fuzzed on its own.
#[derive(Debug)]
pub struct HeadParser {
    state: State,
    head: Vec<u8>,
    /// Where to resume looking for the end of the head.
    scan_from: usize,
    max_head_bytes: usize,
    max_headers: usize,
    pub heads: VecDeque<Head>,
}

impl HeadParser {
    pub fn new(max_head_bytes: usize, max_headers: usize) -> HeadParser {
        HeadParser {
            state: State::Head,
            head: Vec::new(),
            scan_from: 0,
            max_head_bytes: max_head_bytes.max(64),
            max_headers: max_headers.max(1),
            heads: VecDeque::new(),
        }
    }

    /// Why the parser stopped following the connection, if it did.
    pub fn lost(&self) -> Option<&'static str> {
        match self.state {
            State::Lost(why) => Some(why),
            _ => None,
        }
    }

    fn lose(&mut self, why: &'static str) {
        self.state = State::Lost(why);
        self.head = Vec::new();
        self.scan_from = 0;
    }

    /// Feed the next bytes read from the connection.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Lost(_) => return,
                State::Head => {
                    if self.head.is_empty() {
                        // Empty lines before a request line are allowed.
                        let skip = bytes
                            .iter()
                            .take_while(|b| **b == b'\r' || **b == b'\n')
                            .count();
                        bytes = &bytes[skip..];
                        if bytes.is_empty() {
                            return;
                        }
                    }
                    let room = self.max_head_bytes + 1 - self.head.len();
                    let take = bytes.len().min(room);
                    self.head.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    match self.head_end() {
                        Some(end) => {
                            let rest = self.head.split_off(end);
                            let head = std::mem::take(&mut self.head);
                            self.scan_from = 0;
                            self.parse_head(&head);
                            // What followed the head belongs to the body or
                            // the next request: feed it again.
                            if !rest.is_empty() {
                                self.feed(&rest);
                            }
                        }
                        None if self.head.len() > self.max_head_bytes => {
                            self.lose("request head over the size limit");
                            return;
                        }
                        None => {}
                    }
                }
                State::Body(n) => {
                    let k = (n.min(bytes.len() as u64)) as usize;
                    bytes = &bytes[k..];
                    let left = n - k as u64;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::Body(left)
                    };
                }
                State::Chunked(Chunk::Data(n)) => {
                    let k = (n.min(bytes.len() as u64)) as usize;
                    bytes = &bytes[k..];
                    let left = n - k as u64;
                    self.state = State::Chunked(if left == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left)
                    });
                }
                State::Chunked(c) => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    self.chunk_byte(c, b);
                }
            }
        }
    }

    /// One byte of chunk framing (sizes, line ends, trailers).
    fn chunk_byte(&mut self, c: Chunk, b: u8) {
        self.state = match c {
            Chunk::Size {
                value,
                digits,
                ext,
                len,
            } => {
                if len > MAX_CHUNK_LINE {
                    return self.lose("chunk size line too long");
                }
                match b {
                    b'\n' if digits == 0 => return self.lose("chunk without a size"),
                    b'\n' if value == 0 => State::Chunked(Chunk::Trailer { line: 0, total: 0 }),
                    b'\n' => State::Chunked(Chunk::Data(value)),
                    _ if !ext && b.is_ascii_hexdigit() => {
                        if digits >= 15 {
                            return self.lose("chunk size too large");
                        }
                        let d = (b as char).to_digit(16).unwrap_or(0) as u64;
                        State::Chunked(Chunk::Size {
                            value: value * 16 + d,
                            digits: digits + 1,
                            ext,
                            len: len + 1,
                        })
                    }
                    _ => State::Chunked(Chunk::Size {
                        value,
                        digits,
                        ext: true,
                        len: len + 1,
                    }),
                }
            }
            Chunk::DataEnd => match b {
                b'\r' => State::Chunked(Chunk::DataEnd),
                b'\n' => State::Chunked(Chunk::Size {
                    value: 0,
                    digits: 0,
                    ext: false,
                    len: 0,
                }),
                _ => return self.lose("chunk data longer than its size"),
            },
            Chunk::Trailer { line, total } => {
                if total > self.max_head_bytes {
                    return self.lose("trailers over the size limit");
                }
                match b {
                    b'\n' if line == 0 => State::Head,
                    b'\n' => State::Chunked(Chunk::Trailer {
                        line: 0,
                        total: total + 1,
                    }),
                    b'\r' => State::Chunked(Chunk::Trailer {
                        line,
                        total: total + 1,
                    }),
                    _ => State::Chunked(Chunk::Trailer {
                        line: line + 1,
                        total: total + 1,
                    }),
                }
            }
            Chunk::Data(_) => unreachable_data(),
        };
    }

    /// The end of the head (after its empty line) if it is in the buffer.
    fn head_end(&mut self) -> Option<usize> {
        let from = self.scan_from.saturating_sub(2);
        let hay = &self.head[from..];
        let mut best: Option<usize> = None;
        for pat in [&b"\n\r\n"[..], &b"\n\n"[..]] {
            if let Some(p) = memchr::memmem::find(hay, pat) {
                let end = from + p + pat.len();
                best = Some(best.map_or(end, |b: usize| b.min(end)));
            }
        }
        if best.is_none() {
            self.scan_from = self.head.len();
        }
        best
    }

    fn parse_head(&mut self, bytes: &[u8]) {
        let mut headers = vec![httparse::EMPTY_HEADER; self.max_headers];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(bytes) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => return self.lose("request head incomplete"),
            Err(httparse::Error::TooManyHeaders) => {
                return self.lose("too many header lines");
            }
            Err(_) => return self.lose("request head hyper will refuse"),
        }
        let method = req.method.unwrap_or("").to_string();
        let target = req.path.unwrap_or("").to_string();
        let mut forwarding = Vec::new();
        let mut te: Option<&[u8]> = None;
        let mut cl: Option<u64> = None;
        let mut bad_cl = false;
        for (i, h) in req.headers.iter().enumerate() {
            let name = h.name.to_ascii_lowercase();
            if is_forwarding(&name) {
                forwarding.push((i + 1, name, String::from_utf8_lossy(h.value).into_owned()));
            } else if name == "transfer-encoding" {
                te = Some(h.value);
            } else if name == "content-length" {
                for part in h.value.split(|b| *b == b',') {
                    let n = std::str::from_utf8(part)
                        .ok()
                        .and_then(|s| s.trim().parse::<u64>().ok());
                    match (n, cl) {
                        (Some(n), None) => cl = Some(n),
                        (Some(n), Some(c)) if n == c => {}
                        _ => bad_cl = true,
                    }
                }
            }
        }
        let connect = method.eq_ignore_ascii_case("CONNECT");
        self.heads.push_back(Head {
            method,
            target,
            forwarding,
        });
        if self.heads.len() > MAX_QUEUED {
            return self.lose("too many pipelined requests");
        }
        if connect {
            return self.lose("CONNECT: the connection is no longer HTTP");
        }
        self.state = match (te, cl) {
            (Some(v), _) => {
                let last = v
                    .rsplit(|b| *b == b',')
                    .next()
                    .map(|s| String::from_utf8_lossy(s).trim().to_ascii_lowercase());
                if last.as_deref() == Some("chunked") {
                    State::Chunked(Chunk::Size {
                        value: 0,
                        digits: 0,
                        ext: false,
                        len: 0,
                    })
                } else {
                    return self.lose("transfer coding without chunked");
                }
            }
            _ if bad_cl => return self.lose("invalid Content-Length"),
            (None, Some(n)) if n > 0 => State::Body(n),
            _ => State::Head,
        };
    }
}

// `Chunk::Data` is consumed in bulk in `feed` and never reaches
// `chunk_byte`; keep the parser total without a panic path.
fn unreachable_data() -> State {
    State::Lost("internal: chunk data in byte mode")
}

/// The parsed heads of one connection, shared by the tap (writer) and the
/// service (reader).
#[derive(Clone, Debug)]
pub struct Heads(Arc<Mutex<HeadParser>>);

impl Heads {
    pub fn new(max_head_bytes: usize, max_headers: usize) -> Heads {
        Heads(Arc::new(Mutex::new(HeadParser::new(
            max_head_bytes,
            max_headers,
        ))))
    }

    fn feed(&self, bytes: &[u8]) {
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        p.feed(bytes);
    }

    /// The head of the request hyper just handed over: the oldest one seen,
    /// if it is that request. Otherwise why not, and the tap stops.
    pub fn take(&self, method: &str, uri: &hyper::Uri) -> Result<Head, &'static str> {
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(h) = p.heads.pop_front() else {
            return Err(p.lost().unwrap_or("request head not seen"));
        };
        let same_target = h.target == uri.to_string()
            || uri
                .path_and_query()
                .is_some_and(|pq| h.target.ends_with(pq.as_str()));
        if h.method == method && same_target {
            Ok(h)
        } else {
            p.heads.clear();
            p.lose("request head does not match what hyper parsed");
            Err("request head does not match what hyper parsed")
        }
    }
}

/// A stream that shows every byte read to a [`Heads`] parser on the way up.
pub struct HeadTap<S> {
    inner: S,
    heads: Heads,
}

impl<S> HeadTap<S> {
    pub fn new(inner: S, heads: Heads) -> HeadTap<S> {
        HeadTap { inner, heads }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadTap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                self.heads.feed(new);
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadTap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(h: &Head) -> Vec<(usize, &str, &str)> {
        h.forwarding
            .iter()
            .map(|(i, n, v)| (*i, n.as_str(), v.as_str()))
            .collect()
    }

    const INTERLEAVED: &[u8] = b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 198.51.100.7\r\nForwarded: for=198.51.100.7\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.1 lb\r\nForwarded: for=10.0.0.1\r\n\r\n";

    #[test]
    fn interleaved_names_keep_their_order() {
        let mut p = HeadParser::new(16384, 64);
        p.feed(INTERLEAVED);
        let h = p.heads.pop_front().unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/a?x=1");
        assert_eq!(
            names(&h),
            vec![
                (2, "x-forwarded-for", "198.51.100.7"),
                (3, "forwarded", "for=198.51.100.7"),
                (4, "x-forwarded-for", "10.0.0.1"),
                (5, "via", "1.1 lb"),
                (6, "forwarded", "for=10.0.0.1"),
            ]
        );
        assert_eq!(p.lost(), None);
    }

    #[test]
    fn byte_by_byte_is_the_same_as_at_once() {
        let mut p = HeadParser::new(16384, 64);
        for b in INTERLEAVED {
            p.feed(std::slice::from_ref(b));
        }
        let mut q = HeadParser::new(16384, 64);
        q.feed(INTERLEAVED);
        assert_eq!(p.heads, q.heads);
        assert_eq!(p.heads.len(), 1);
    }

    #[test]
    fn bodies_are_skipped_by_their_framing() {
        let mut p = HeadParser::new(16384, 64);
        let mut s =
            b"\r\nPOST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 27\r\nX-Real-IP: 1.2.3.4\r\n\r\n"
                .to_vec();
        // A body that looks like a request must not be taken for one.
        s.extend_from_slice(b"GET /no HTTP/1.1\r\nA: b\r\n\r\n");
        s.extend_from_slice(
            b"POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        );
        s.extend_from_slice(
            b"1a;ext=1\r\nGET /no HTTP/1.1\r\nA: b\r\n\r\n\r\n0\r\nX-Trailer: t\r\n\r\n",
        );
        s.extend_from_slice(b"GET /3 HTTP/1.1\nHost: h\nVia: 1.0 x\n\n");
        p.feed(&s);
        let t: Vec<_> = p.heads.iter().map(|h| h.target.as_str()).collect();
        assert_eq!(t, vec!["/1", "/2", "/3"]);
        assert_eq!(names(&p.heads[0]), vec![(3, "x-real-ip", "1.2.3.4")]);
        assert_eq!(names(&p.heads[2]), vec![(2, "via", "1.0 x")]);
        assert_eq!(p.lost(), None);
    }

    #[test]
    fn gives_up_where_hyper_refuses() {
        let cases: &[(&[u8], &str)] = &[
            (b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "refuse"),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                "Content-Length",
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                "chunked",
            ),
            (b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", "CONNECT"),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefg",
                "longer",
            ),
        ];
        for (input, why) in cases {
            let mut p = HeadParser::new(16384, 64);
            p.feed(input);
            let lost = p.lost().unwrap_or_else(|| panic!("{input:?} followed"));
            assert!(lost.contains(why), "{input:?}: {lost}");
        }
        let mut p = HeadParser::new(1024, 64);
        p.feed(b"GET / HTTP/1.1\r\nX: ");
        p.feed(&[b'a'; 2000]);
        assert!(p.lost().unwrap().contains("size"));
        let mut p = HeadParser::new(16384, 4);
        p.feed(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n");
        assert!(p.lost().unwrap().contains("too many"));
    }

    #[test]
    fn take_matches_hyper_or_gives_up() {
        let h = Heads::new(16384, 64);
        h.feed(INTERLEAVED);
        h.feed(b"GET http://h/abs HTTP/1.1\r\nVia: 1.1 x\r\n\r\nGET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n");
        let uri = |s: &str| s.parse::<hyper::Uri>().unwrap();
        let a = h.take("GET", &uri("/a?x=1")).unwrap();
        assert_eq!(a.forwarding.len(), 5);
        // Absolute-form targets match too.
        let b = h.take("GET", &uri("http://h/abs")).unwrap();
        assert_eq!(
            b.forwarding,
            vec![(1, "via".to_string(), "1.1 x".to_string())]
        );
        // hyper handed over something else: no order, and none from now on.
        assert!(h.take("GET", &uri("/other")).is_err());
        assert!(h.take("GET", &uri("/d")).is_err());
        // Nothing seen at all.
        let h = Heads::new(16384, 64);
        assert_eq!(h.take("GET", &uri("/")), Err("request head not seen"));
    }

    proptest! {
        // Arbitrary bytes in arbitrary pieces: never a panic, the buffer
        // never grows past the limit, the queue never past its bound.
        #[test]
        fn hostile_bytes_stay_bounded(
            pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20)
        ) {
            let mut p = HeadParser::new(512, 16);
            for piece in &pieces {
                p.feed(piece);
                prop_assert!(p.head.len() <= 513);
                prop_assert!(p.heads.len() <= MAX_QUEUED);
            }
        }

        // Any split of a valid pipelined stream gives the same heads.
        #[test]
        fn splits_do_not_change_the_heads(cuts in proptest::collection::vec(0usize..400, 0..8)) {
            let mut s = INTERLEAVED.to_vec();
            s.extend_from_slice(b"POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
            s.extend_from_slice(b"PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Forwarded-Proto: https\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (s.len() + 1)).collect();
            cuts.sort_unstable();
            let mut p = HeadParser::new(16384, 64);
            let mut at = 0;
            for c in cuts.into_iter().chain([s.len()]) {
                p.feed(&s[at..c]);
                at = c;
            }
            let t: Vec<_> = p.heads.iter().map(|h| h.target.clone()).collect();
            prop_assert_eq!(t, vec!["/a?x=1".to_string(), "/b".into(), "/c".into()]);
            prop_assert_eq!(p.heads[2].forwarding.clone(), vec![(2, "x-forwarded-proto".to_string(), "https".to_string())]);
            prop_assert_eq!(p.lost(), None);
        }
    }
}
