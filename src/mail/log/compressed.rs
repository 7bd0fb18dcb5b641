//! Compressed mail logs: which compressor wrote a file, told by its first bytes, and its text.
//!
//! logrotate compresses with gzip unless `compresscmd` names another program, and
//! `postfix logrotate` runs `maillog_file_compressor` (gzip by default): a rotated mail log may
//! be gzip, xz, zstd or bzip2. The first bytes decide, not the name, so a file is read right
//! whatever it is called (and `summary -` reads a compressed stdin); a name that promises a
//! compressor the bytes do not show is an error, not a page of garbage lines.
//!
//! The decoders are written in Rust, so a damaged or hostile file is read by memory-safe code.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

/// A compressor a rotated log may have been written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}

/// The longest magic number below.
const MAGIC_LEN: usize = 6;

/// The largest window (dictionary) a decoder may allocate: `xz -9` and `zstd -19` use 64 and
/// 8 MiB. A file that asks for more is refused before the memory is taken.
const WINDOW_LIMIT: u64 = 128 << 20;

impl Compression {
    pub const ALL: [Compression; 4] = [Self::Gzip, Self::Xz, Self::Zstd, Self::Bzip2];

    /// The compressor whose magic number `head` (a file's first bytes) starts with.
    pub fn of_bytes(head: &[u8]) -> Option<Self> {
        match head {
            [0x1f, 0x8b, ..] => Some(Self::Gzip),
            [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some(Self::Xz),
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Self::Zstd),
            [b'B', b'Z', b'h', b'1'..=b'9', ..] => Some(Self::Bzip2),
            _ => None,
        }
    }

    /// The compressor a file's name ends in (`mail.log.2.gz`, `maillog.20261127-101500.zst`).
    pub fn of_name(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?;
        Self::ALL.into_iter().find(|c| c.extension() == ext)
    }

    /// The file name extension its tool gives.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Gzip => "gz",
            Self::Xz => "xz",
            Self::Zstd => "zst",
            Self::Bzip2 => "bz2",
        }
    }

    /// The tool's name, as an error says it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Xz => "xz",
            Self::Zstd => "zstd",
            Self::Bzip2 => "bzip2",
        }
    }
}

/// Is the file at `path` compressed, by its name or its first bytes? Such a file cannot be
/// entered in the middle: it is read whole, through [`decoded`]. A pipe or a device is not looked
/// into (what is read from it would be gone): [`decoded`] tells it by the bytes it reads anyway.
pub fn is_compressed(path: &Path) -> bool {
    if Compression::of_name(path).is_some() {
        return true;
    }
    if is_stream(path) {
        return false;
    }
    let mut head = [0u8; MAGIC_LEN];
    // (a FIFO put there since the look above does not hold it)
    crate::plainfile::open(path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .is_ok_and(|n| Compression::of_bytes(&head[..n]).is_some())
}

/// The text of `input`: decompressed when its first bytes are a compressor's magic number,
/// as it is otherwise. `named` is what the file's name says (`None` for stdin): a compressed
/// name over bytes that are not is an error that says so.
pub fn decoded<'a, R: Read + Send + 'a>(
    mut input: R,
    named: Option<Compression>,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    let mut head = [0u8; MAGIC_LEN];
    let n = read_up_to(&mut input, &mut head)?;
    let found = Compression::of_bytes(&head[..n]);
    // the bytes looked at are read again, in front of the rest
    let whole = Cursor::new(head[..n].to_vec()).chain(input);
    let Some(found) = found else {
        return match named {
            // an empty file: one that logrotate has just made, say
            Some(c) if n > 0 => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not {}: its first bytes are not {0}'s", c.name()),
            )),
            _ => Ok(Box::new(whole)),
        };
    };
    let buffered = BufReader::new(whole);
    let text: Box<dyn Read + Send + 'a> = match found {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            buffered,
            true,
            (WINDOW_LIMIT >> 10) as u32,
        )),
        Compression::Zstd => Box::new(ZstdFrames::new(buffered)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
    };
    Ok(Box::new(Decompressing {
        what: found,
        inner: text,
    }))
}

/// Is `path` something other than a regular file: a pipe (`<(zcat mail.log.2.gz)`), a device,
/// a directory? What is read from a pipe cannot be read again, and opening a named pipe waits for
/// a writer: such paths are read once, from their start, and never probed before.
pub fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// Fill `buf` as far as `r` goes (a pipe may hand over fewer bytes per read); how many.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A decoder whose errors say that decompressing failed: the decoders' own words ("unexpected
/// end of file", "invalid gzip header") do not.
struct Decompressing<'a> {
    what: Compression,
    inner: Box<dyn Read + Send + 'a>,
}

impl Read for Decompressing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let name = self.what.name();
            let why = if e.kind() == io::ErrorKind::OutOfMemory {
                format!(
                    "{name} data that needs more than {} MiB to decompress, more than a log's \
                     compressor asks for",
                    WINDOW_LIMIT >> 20
                )
            } else {
                format!("not {name}, or cut short (still being compressed?)")
            };
            io::Error::new(e.kind(), format!("{why}: {e}"))
        })
    }
}

/// Every frame of a zstd stream in turn (`zstd` writes one per file, `pzstd` several, and files
/// may be concatenated), skippable frames skipped. A stream that ends inside a frame is an error.
struct ZstdFrames<R> {
    source: R,
    frame: FrameDecoder,
    /// A frame is being decoded (else the next one's header is read first).
    in_frame: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(source: R) -> Self {
        let mut frame = FrameDecoder::new();
        frame.set_max_window_size(WINDOW_LIMIT);
        Self {
            source,
            frame,
            in_frame: false,
        }
    }

    /// Read the next frame's header: false at the end of the stream.
    fn next_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.frame.init(&mut self.source) {
                Ok(()) => return Ok(true),
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped =
                        io::copy(&mut (&mut self.source).take(length.into()), &mut io::sink())?;
                    if skipped < u64::from(length) {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e @ FrameDecoderError::WindowSizeTooBig { .. }) => {
                    return Err(io::Error::new(io::ErrorKind::OutOfMemory, e));
                }
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if !self.next_frame()? {
                    return Ok(0);
                }
                self.in_frame = true;
            }
            while self.frame.can_collect() == 0 && !self.frame.is_finished() {
                self.frame
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(zstd_error)?;
            }
            let n = self.frame.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // this frame is done and drained
            self.in_frame = false;
        }
    }
}

/// A zstd decoding error in plain words: a stream cut short is "unexpected end of file" (the
/// decoder's own words nest its reader's error in debug notation).
fn zstd_error(e: FrameDecoderError) -> io::Error {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::UnexpectedEof)
        {
            return io::ErrorKind::UnexpectedEof.into();
        }
        cause = c.source();
    }
    io::Error::new(io::ErrorKind::InvalidData, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A mail log of 300 kB: more than one block of `bzip2 -1`.
    fn text() -> Vec<u8> {
        let mut t = Vec::new();
        for i in 0..5_000 {
            writeln!(
                t,
                "Dec  5 01:29:{:02} mx1 postfix/qmgr[1002]: 1A2B3C{i:04X}: removed",
                i % 60
            )
            .unwrap();
        }
        t
    }

    fn gzip(t: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(t).unwrap();
        e.finish().unwrap()
    }

    fn bzip2(t: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(t).unwrap();
        e.finish().unwrap()
    }

    fn xz(t: &[u8]) -> Vec<u8> {
        let mut e =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
        e.write_all(t).unwrap();
        e.finish().unwrap()
    }

    fn zstd(t: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(t, ruzstd::encoding::CompressionLevel::Fastest)
    }

    fn read_all(bytes: Vec<u8>, named: Option<Compression>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoded(Cursor::new(bytes), named)?.read_to_end(&mut out)?;
        Ok(out)
    }

    fn packed(c: Compression, t: &[u8]) -> Vec<u8> {
        match c {
            Compression::Gzip => gzip(t),
            Compression::Xz => xz(t),
            Compression::Zstd => zstd(t),
            Compression::Bzip2 => bzip2(t),
        }
    }

    #[test]
    fn every_compressor_is_told_by_its_bytes_and_read_whatever_the_name() {
        let t = text();
        for c in Compression::ALL {
            let bytes = packed(c, &t);
            assert_eq!(Compression::of_bytes(&bytes), Some(c));
            assert_eq!(read_all(bytes.clone(), Some(c)).unwrap(), t, "{c:?}");
            // named as nothing, or as another compressor: the bytes decide
            assert_eq!(read_all(bytes.clone(), None).unwrap(), t, "{c:?}");
            let other = Compression::ALL.into_iter().find(|o| *o != c);
            assert_eq!(read_all(bytes, other).unwrap(), t, "{c:?}");
        }
        assert_eq!(
            Compression::of_bytes(&t),
            None,
            "a log line is no magic number"
        );
        assert_eq!(read_all(t.clone(), None).unwrap(), t);
    }

    #[test]
    fn concatenated_streams_are_read_to_the_end() {
        // `cat mail.log.3.gz mail.log.2.gz`, pzstd's several frames, bzip2 of a split file
        let (a, b) = (b"first line\n".repeat(500), b"second line\n".repeat(700));
        for c in Compression::ALL {
            let mut bytes = packed(c, &a);
            bytes.extend(packed(c, &b));
            assert_eq!(
                read_all(bytes, Some(c)).unwrap(),
                [a.clone(), b.clone()].concat(),
                "{c:?}"
            );
        }
        // a zstd skippable frame between two frames (pzstd writes them) is passed over
        let mut bytes = zstd(&a);
        bytes.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        bytes.extend(zstd(&b));
        assert_eq!(read_all(bytes, None).unwrap(), [a, b].concat());
    }

    #[test]
    fn a_cut_or_mislabelled_file_says_which_compressor_failed() {
        let t = text();
        for c in Compression::ALL {
            let bytes = packed(c, &t);
            let cut = bytes[..bytes.len() / 2].to_vec();
            let e = read_all(cut, Some(c)).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!(
                    "not {}, or cut short (still being compressed?): ",
                    c.name()
                )),
                "{c:?}: {e}"
            );
            // the decoders' words, not their debug notation
            assert!(!e.contains("Error {") && !e.contains("kind:"), "{c:?}: {e}");
        }
        // plain text under a compressed name
        let e = read_all(t.clone(), Some(Compression::Xz))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "not xz: its first bytes are not xz's");
        // but an empty file (just created by logrotate) is no error: it has no lines
        assert_eq!(read_all(Vec::new(), Some(Compression::Gzip)).unwrap(), b"");
    }

    #[test]
    fn a_file_asking_for_a_huge_dictionary_is_refused_before_it_is_allocated() {
        // an xz block header that asks for a 4 GiB dictionary (its CRC made right)
        let mut bytes = xz(b"Dec  5 01:29:08 mx1 postfix/qmgr[1002]: 1A2B3C0008: removed\n");
        let size = (usize::from(bytes[12]) + 1) * 4;
        let header = &mut bytes[12..12 + size];
        // the LZMA2 filter: its id, one byte of properties, the dictionary size
        let at = header.windows(2).position(|w| w == [0x21, 0x01]).unwrap() + 2;
        header[at] = 40;
        let mut crc = flate2::Crc::new();
        crc.update(&header[..size - 4]);
        header[size - 4..].copy_from_slice(&crc.sum().to_le_bytes());
        let e = read_all(bytes, Some(Compression::Xz)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::OutOfMemory);
        assert!(
            e.to_string()
                .starts_with("xz data that needs more than 128 MiB to decompress"),
            "{e}"
        );
        // a zstd frame header with a 1 GiB window (window log 30: exponent 20, mantissa 0)
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0, 0, 0];
        let e = read_all(frame.to_vec(), None).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::OutOfMemory);
        assert!(
            e.to_string()
                .starts_with("zstd data that needs more than 128 MiB to decompress"),
            "{e}"
        );
    }

    #[test]
    fn names_and_files_on_disk() {
        assert_eq!(
            Compression::of_name(Path::new("mail.log.2.zst")),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::of_name(Path::new("/var/log/mail.log.1")), None);
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("mail.log.1");
        std::fs::write(&plain, text()).unwrap();
        // compressed bytes under a plain name are compressed
        let odd = dir.path().join("mail.log.2");
        std::fs::write(&odd, bzip2(&text())).unwrap();
        assert!(!is_compressed(&plain));
        assert!(is_compressed(&odd));
        // a compressed name is enough (reading it says whether it is what it claims)
        assert!(is_compressed(&dir.path().join("gone.log.3.xz")));
        assert!(!is_compressed(&dir.path().join("gone.log")));
    }
}
