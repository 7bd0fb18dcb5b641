//! The one gate outside text passes through before it enters state.
//!
//! Log lines, mail headers, addresses, commit messages, file names and HTTP
//! headers can carry terminal escape sequences, bidi overrides and other
//! characters that would let a stranger write to the operator's terminal or
//! disguise what is shown. [`sanitize`] turns every such character into a
//! visible escape (`\e`, `\r`, `\x07`, `\u{202e}`), expands tabs and caps
//! the length. [`Clean`] is a string that has been through it; state that
//! holds outside text should hold `Clean`.
//!
//! The escapes read one way only: a backslash that is in the text itself is
//! shown doubled where it would otherwise start something that reads as an
//! escape (before `e`, `r`, `n`, `0`, `x`, `u`, another backslash, or a
//! character shown escaped), so a log line holding the two characters `\e`
//! shows `\\e`, and `\e` always means an ESC byte was there. Any other
//! backslash (`C:\Temp`, a regexp's `\.`) is shown as it is. The same rule
//! is why text must be sanitized once only: a [`Clean`] is joined to more
//! text with [`Clean::push`] and [`Clean::push_clean`], never sanitized again.
//!
//! This module never touches a terminal and never drops information silently:
//! a cut string says how much was cut.

use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;

/// Default cap for one piece of outside text, in characters.
pub const DEFAULT_MAX_CHARS: usize = 4096;

const TAB_WIDTH: usize = 8;

/// Make outside text safe to draw, capped at [`DEFAULT_MAX_CHARS`].
pub fn sanitize(s: &str) -> String {
    sanitize_capped(s, DEFAULT_MAX_CHARS)
}

/// Bytes that may not be UTF-8 (log lines): decoded lossily, then sanitized.
pub fn sanitize_bytes(b: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(b))
}

/// Make outside text safe to draw, keeping at most `max_chars` visible
/// characters (escapes count by their visible length).
pub fn sanitize_capped(s: &str, max_chars: usize) -> String {
    if is_plain(s, max_chars) {
        return s.to_string();
    }
    escape_capped(s, max_chars)
}

/// Text already clean (joined from [`Clean`] pieces and text of opsdeck's own), cut at
/// `max_chars` characters the way [`sanitize_capped`] cuts: sanitizing it again would show the
/// backslash of each of its escapes doubled.
pub fn cut_clean(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        None => s.to_string(),
        Some((at, _)) => {
            let remaining = s[at..].chars().count();
            format!("{}…[+{remaining} chars]", &s[..at])
        }
    }
}

/// A command's several lines of output (stderr) as one line for a message: each line trimmed,
/// blank ones dropped, the rest joined with `; `, then [`sanitize_capped`]. A newline would
/// otherwise show as the escape `\n` in the middle of a sentence.
pub fn sanitize_lines(s: &str, max_chars: usize) -> String {
    let joined: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    sanitize_capped(&joined.join("; "), max_chars)
}

/// Text with the user name and password of every URL in it (`https://user:token@host/`)
/// replaced by `***` (`https://***@host/`). A git remote, an SES endpoint or a proxy may be
/// written with its credentials in the URL, and a library's message may quote the URL whole
/// (libgit2's `failed to resolve path 'file://user:token@/srv/site.git'`), as may a
/// configuration's `Debug`. Text without `://` is returned as it is.
pub fn hide_url_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("://") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // the authority ends where the path, query or fragment starts, or the URL itself ends
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(userinfo_end) => {
                out.push_str("***");
                rest = &tail[userinfo_end..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// [`sanitize_capped`] for text that is not plain: escape, expand tabs, cut.
fn escape_capped(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars.saturating_add(16)));
    let mut col = 0usize;
    let mut rest = s.chars().peekable();
    while let Some(c) = rest.next() {
        let before = out.len();
        if c == '\\' && rest.peek().is_some_and(|&n| reads_as_escape(n)) {
            out.push_str("\\\\");
        } else {
            push_visible(&mut out, c, col);
        }
        let added = out[before..].chars().count();
        if col + added > max_chars {
            out.truncate(before);
            let remaining = 1 + rest.count();
            out.push_str(&format!("…[+{remaining} chars]"));
            return out;
        }
        col += added;
    }
    out
}

/// Short printable ASCII (most log fields): [`sanitize_capped`] leaves it as it is. A backslash
/// is rare in a log line: only one before a character that would make it read as an escape
/// sends the text the slow way.
fn is_plain(s: &str, max_chars: usize) -> bool {
    let b = s.as_bytes();
    s.len() <= max_chars
        && b.iter().all(|b| (0x20..0x7f).contains(b))
        && memchr::memchr_iter(b'\\', b).all(|i| {
            b.get(i + 1)
                .is_none_or(|&n| !reads_as_escape(char::from(n)))
        })
}

/// Would a backslash in the text, followed by `next`, read as one of [`push_visible`]'s escapes?
fn reads_as_escape(next: char) -> bool {
    matches!(next, 'e' | 'r' | 'n' | '0' | 'x' | 'u' | '\\') || is_unsafe_char(next)
}

/// `word` as a shell reads it back, for a command opsdeck tells the user to run: as it is when no character in it means anything to a shell,
/// or else in single quotes.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A path as a word of a command opsdeck tells the user to run ([`shell_word`]).
pub fn shell_path(path: &std::path::Path) -> String {
    shell_word(&path.to_string_lossy())
}

/// Is this character drawn as an escape rather than as itself?
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{80}'..='\u{9f}'
        // bidi embedding, override, isolate and marks
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        // zero-width and invisible formatting
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}'
        // the rest of Unicode's default-ignorable characters, which draw as nothing or as a
        // blank: combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian
        // variation selectors and vowel separator, reserved formats and interlinear
        // annotation, variation selectors, musical formats, tags ("pay\u{3164}pal" must not read as a plain name)
        | '\u{034f}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{2065}' | '\u{206a}'..='\u{206f}' | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}' | '\u{ffa0}' | '\u{fff0}'..='\u{fffb}'
        | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}'
        // line and paragraph separators
        | '\u{2028}' | '\u{2029}')
}

fn push_visible(out: &mut String, c: char, col: usize) {
    match c {
        '\t' => {
            let n = TAB_WIDTH - (col % TAB_WIDTH);
            out.extend(std::iter::repeat_n(' ', n));
        }
        '\u{1b}' => out.push_str("\\e"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\0' => out.push_str("\\0"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// A string that has been through [`sanitize`]: safe to draw as is.
///
/// Up to 24 bytes are stored inline (most addresses, status words, dsn codes, queue fields), so
/// making or copying a short one never allocates.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clean(CompactString);

impl Clean {
    /// Sanitize outside text.
    pub fn new(s: &str) -> Clean {
        Clean::capped(s, DEFAULT_MAX_CHARS)
    }

    /// Sanitize with a specific cap.
    pub fn capped(s: &str, max_chars: usize) -> Clean {
        if is_plain(s, max_chars) {
            // the common case: nothing to change, and no heap for a short string
            return Clean(CompactString::new(s));
        }
        Clean(escape_capped(s, max_chars).into())
    }

    /// Text put together from [`Clean`] pieces and opsdeck's own words (a `format!` of clean
    /// fields, an error's sentence whose outside parts were escaped where it was made), kept as
    /// it is: sanitizing it again would show each backslash of its escapes doubled. A character
    /// that would act on the terminal cannot be in clean text; should one be there (raw text
    /// joined by mistake), the whole is escaped, so it is never drawn as it came.
    pub fn joined(s: String) -> Clean {
        if s.chars().any(is_unsafe_char) {
            return Clean::new(&s);
        }
        Clean(s.into())
    }

    /// Sanitize bytes that may not be UTF-8.
    pub fn from_bytes(b: &[u8]) -> Clean {
        Clean(sanitize_bytes(b).into())
    }

    /// Text written by opsdeck itself: still sanitized, it costs little.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// Cut at `max_chars` characters, saying how much was cut ([`cut_clean`]).
    pub fn cut(self, max_chars: usize) -> Clean {
        if self.0.len() <= max_chars {
            return self;
        }
        Clean(cut_clean(&self.0, max_chars).into())
    }

    /// Append text of opsdeck's own (sanitized here, uncapped).
    pub fn push(&mut self, own: &str) {
        if is_plain(own, usize::MAX) {
            self.0.push_str(own);
        } else {
            self.0.push_str(&escape_capped(own, usize::MAX));
        }
    }

    /// Bytes `range` of this clean text, still clean (nothing is escaped again). Panics where
    /// slicing would: out of range, or not on a char boundary.
    pub fn part(&self, range: std::ops::Range<usize>) -> Clean {
        Clean(self.0[range].into())
    }

    /// Append text that is already clean, as it is: sanitizing it again would show each
    /// backslash of its escapes doubled, an ESC byte as a backslash and an `e`.
    pub fn push_clean(&mut self, clean: &Clean) {
        self.0.push_str(clean);
    }
}

impl Deref for Clean {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for Clean {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Clean {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Clean {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Clean {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl From<&str> for Clean {
    fn from(s: &str) -> Clean {
        Clean::new(s)
    }
}

impl From<String> for Clean {
    fn from(s: String) -> Clean {
        Clean::new(&s)
    }
}

impl serde::Serialize for Clean {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn several_lines_read_as_one() {
        assert_eq!(
            sanitize_lines("  first: a\r\n\n\tsecond: \x1b[2Jb  \n", 100),
            "first: a; second: \\e[2Jb"
        );
        assert_eq!(sanitize_lines("", 10), "");
        assert_eq!(sanitize_lines("one\ntwo", 4), "one;…[+4 chars]");
    }

    #[test]
    fn a_backslash_in_the_text_never_reads_as_an_escape() {
        // (text, shown): an ESC byte and the two characters `\e` differ
        for (text, shown) in [
            ("\u{1b}[31m", "\\e[31m"),
            ("\\e[31m", "\\\\e[31m"),
            ("\\\u{1b}", "\\\\\\e"),
            ("\\\\e", "\\\\\\\\e"),
            (
                "\\r\\n\\0\\x07\\u{202e}",
                "\\\\r\\\\n\\\\0\\\\x07\\\\u{202e}",
            ),
            ("\\\u{202e}", "\\\\\\u{202e}"),
            // other backslashes are kept as they are
            ("C:\\Temp\\mail.log", "C:\\Temp\\mail.log"),
            ("/^Subject: .*\\.exe/", "/^Subject: .*\\.exe/"),
            ("ends with \\", "ends with \\"),
        ] {
            assert_eq!(sanitize(text), shown, "{text:?}");
            assert_eq!(Clean::new(text).as_str(), shown, "{text:?}");
        }
        // own text joined to clean text: the clean part is not escaped again
        let mut c = Clean::new("reason: ");
        c.push_clean(&Clean::new("a\u{1b}b"));
        c.push(" (\\e)");
        assert_eq!(c.as_str(), "reason: a\\eb (\\\\e)");
        // and cut as it is
        assert_eq!(cut_clean(c.as_str(), 10), "reason: a\\…[+8 chars]");
        assert_eq!(c.clone().cut(100), c);
    }

    #[test]
    fn text_joined_from_clean_pieces_is_not_escaped_again() {
        let reason = Clean::new("454 \u{1b}[2J\\e[31m");
        let joined = Clean::joined(format!("deferred again: {reason}"));
        assert_eq!(joined.as_str(), "deferred again: 454 \\e[2J\\\\e[31m");
        // raw text joined by mistake still never reaches the terminal as it came
        let raw = Clean::joined("deferred again: \u{1b}[2J \\e".to_string());
        assert_eq!(raw.as_str(), "deferred again: \\e[2J \\\\e");
        assert_eq!(Clean::joined("a\tb".into()).as_str(), "a       b");
    }

    #[test]
    fn credentials_written_into_a_url_are_hidden() {
        for (text, shown) in [
            (
                "failed to resolve path 'file://deploy:ghp_SECRET@/srv/site.git': No such file",
                "failed to resolve path 'file://***@/srv/site.git': No such file",
            ),
            (
                "endpoint: Some(\"http://proxyuser:hunter2@127.0.0.1:5000\") }",
                "endpoint: Some(\"http://***@127.0.0.1:5000\") }",
            ),
            // a password holding an @, and a URL without a path
            ("https://u:p@ss@host", "https://***@host"),
            // two URLs; an @ in a path or a query is no user name
            (
                "ssh://git:pw@a.example/x and https://b.example/~u@x?to=a@b",
                "ssh://***@a.example/x and https://b.example/~u@x?to=a@b",
            ),
            ("no URL: user:pw@host", "no URL: user:pw@host"),
            ("https://host/ and ://", "https://host/ and ://"),
        ] {
            assert_eq!(hide_url_userinfo(text), shown, "{text}");
        }
    }

    #[test]
    fn osc_title_is_visible() {
        assert_eq!(sanitize("\u{1b}]0;x\u{7}"), "\\e]0;x\\x07");
    }

    #[test]
    fn clear_screen_is_visible() {
        assert_eq!(sanitize("a\u{1b}[2Jb"), "a\\e[2Jb");
    }

    #[test]
    fn dcs_is_visible() {
        assert_eq!(sanitize("\u{1b}Pq#0\u{1b}\\"), "\\ePq#0\\e\\");
    }

    #[test]
    fn c1_csi_is_visible() {
        assert_eq!(sanitize("x\u{9b}31m"), "x\\u{9b}31m");
    }

    #[test]
    fn carriage_return_and_del() {
        assert_eq!(sanitize("ok\rEVIL\u{7f}"), "ok\\rEVIL\\x7f");
    }

    #[test]
    fn bidi_and_zero_width() {
        assert_eq!(
            sanitize("user\u{202e}gpj.exe\u{200b}"),
            "user\\u{202e}gpj.exe\\u{200b}"
        );
        assert_eq!(sanitize("\u{2067}x\u{2069}"), "\\u{2067}x\\u{2069}");
    }

    #[test]
    fn characters_that_draw_as_nothing_or_a_blank_are_visible() {
        // A sender or an identity padded with a filler, a variation selector or a tag reads
        // as the plain name; each is shown as its escape.
        for (c, shown) in [
            ('\u{3164}', "\\u{3164}"), // Hangul filler, drawn as a blank
            ('\u{115f}', "\\u{115f}"),
            ('\u{ffa0}', "\\u{ffa0}"),
            ('\u{034f}', "\\u{34f}"),    // combining grapheme joiner
            ('\u{180e}', "\\u{180e}"),   // Mongolian vowel separator
            ('\u{fe0f}', "\\u{fe0f}"),   // variation selector
            ('\u{e0041}', "\\u{e0041}"), // tag letter A
            ('\u{206a}', "\\u{206a}"),
            ('\u{fff9}', "\\u{fff9}"), // interlinear annotation anchor
        ] {
            assert_eq!(
                sanitize(&format!("pay{c}pal@example.com")),
                format!("pay{shown}pal@example.com"),
                "{:x}",
                c as u32
            );
        }
        // Letters and marks around them are kept.
        assert_eq!(sanitize("José, Ελλάδα, 한국"), "José, Ελλάδα, 한국");
    }

    #[test]
    fn tabs_expand_to_stops() {
        assert_eq!(sanitize("ab\tc"), "ab      c");
        assert_eq!(sanitize("\tx"), "        x");
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let s = "x".repeat(100);
        let out = sanitize_capped(&s, 10);
        assert_eq!(out, "xxxxxxxxxx…[+90 chars]");
    }

    #[test]
    fn plain_unicode_kept() {
        assert_eq!(sanitize("Grüße, 日本"), "Grüße, 日本");
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        assert_eq!(sanitize_bytes(b"a\xffb"), "a\u{fffd}b");
    }

    /// Reads [`sanitize`]'s output back (the test's own inverse; tabs are already spaces).
    fn decode(shown: &str) -> String {
        let mut out = String::new();
        let mut rest = shown.chars().peekable();
        while let Some(c) = rest.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match rest.peek().copied() {
                Some('\\') => out.push(rest.next().unwrap()),
                Some('e') => {
                    rest.next();
                    out.push('\u{1b}');
                }
                Some('r') => {
                    rest.next();
                    out.push('\r');
                }
                Some('n') => {
                    rest.next();
                    out.push('\n');
                }
                Some('0') => {
                    rest.next();
                    out.push('\0');
                }
                Some('x') => {
                    rest.next();
                    let hex: String = rest.by_ref().take(2).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                Some('u') => {
                    rest.next();
                    let hex: String = rest.by_ref().skip(1).take_while(|c| *c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                _ => out.push('\\'),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn output_never_holds_unsafe_chars(s in any::<String>()) {
            let out = sanitize(&s);
            prop_assert!(!out.chars().any(is_unsafe_char));
            prop_assert!(!out.contains('\t'));
        }

        /// Every output reads back as exactly one text: the escapes decode unambiguously.
        #[test]
        fn output_decodes_to_the_text(s in "([\\\\ernx0u{}a\x00-\x08\x0a-\x1f\x7f\u{202e}\u{3164}]){0,24}") {
            // (no tab: it is spaces to the next stop)
            prop_assert_eq!(decode(&sanitize(&s)), s);
        }

        #[test]
        fn output_bounded(s in any::<String>(), cap in 1usize..64) {
            let out = sanitize_capped(&s, cap);
            // cap visible characters plus the cut marker
            prop_assert!(out.chars().count() <= cap + 24);
        }

        #[test]
        fn clean_holds_what_sanitize_returns(s in "(\\PC|[\\x00-\\x1f\\x7f\\u{202e}]){0,40}", cap in 1usize..48) {
            // short or long, plain or escaped, inline or on the heap: the same text
            prop_assert_eq!(Clean::new(&s).into_string(), sanitize(&s));
            prop_assert_eq!(Clean::capped(&s, cap).into_string(), sanitize_capped(&s, cap));
        }
    }
}
