//! RFC 2047 encoded-words in header lines (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`), decoded
//! for the message detail: a Subject or a From name in any language other than English arrives
//! so, and shown raw it says nothing.
//!
//! The words are read here and the charsets by `encoding_rs` (every label of the WHATWG
//! Encoding Standard: KOI8-R, ISO-2022-JP, Shift_JIS, GBK, ... as well as UTF-8 and Latin-1).
//! `rfc2047-decoder` was tried and not kept: it decodes each word alone, so a character that a
//! mailer split across two words (as some do, against the RFC) came out as two U+FFFD, and it
//! brings a parser-combinator crate for what is a few lines here. A word in a charset no label
//! names, or one that does not decode, is left as it was written. The result is outside text
//! like any other: the caller sanitizes it ([`crate::sanitize::Clean`]), for a decoded word can
//! hold control characters.

use base64::Engine as _;

/// `line` with every encoded-word decoded. Whitespace between two adjacent encoded-words is
/// dropped (RFC 2047 section 6.2), and adjacent words in one charset are decoded as one, for
/// many mailers cut a UTF-8 character between two words, and some cut the base64 text itself
/// inside a four-letter quantum (as Thunderbird reads it: the quantum is completed by the next
/// word); everything else is kept as it is.
pub fn decode(line: &str) -> String {
    if !line.contains("=?") {
        return line.to_string();
    }
    let words = words(line);
    let mut out = String::with_capacity(line.len());
    let mut at = 0;
    // the latest word was decoded (whitespace after it, before another, goes)
    let mut decoded = false;
    let mut i = 0;
    while i < words.len() {
        // the words after it, adjacent and in its charset (by any of its names)
        let mut n = 1;
        while let Some(next) = words.get(i + n)
            && next.charset == words[i].charset
            && blank(&line[words[i + n - 1].end..next.start])
        {
            n += 1;
        }
        let run = &words[i..i + n];
        decoded = match joined(run) {
            Some(bytes) => {
                // between adjacent words in two charsets, the whitespace goes too
                let gap = &line[at..run[0].start];
                if !(decoded && blank(gap)) {
                    out.push_str(gap);
                }
                out.push_str(&run[0].charset.decode_without_bom_handling(&bytes).0);
                true
            }
            None => word_by_word(line, at, decoded, run, &mut out),
        };
        at = run[n - 1].end;
        i += n;
    }
    out.push_str(&line[at..]);
    out
}

fn blank(s: &str) -> bool {
    s.chars().all(|c| c == ' ' || c == '\t')
}

/// How a word's text is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    B,
    Q,
}

/// An encoded-word in a charset it knows, where it is in the line, its text not yet decoded:
/// base64 is decoded across the words of a run, for a quantum may be cut between two.
#[derive(Clone, Copy, Debug)]
struct Word<'a> {
    charset: &'static encoding_rs::Encoding,
    enc: Enc,
    text: &'a str,
    start: usize,
    end: usize,
}

/// Every encoded-word of `line`, in order: a word whose charset no label names, whose
/// encoding is neither B nor Q, or whose text is not made of its encoding's letters, is text.
fn words(line: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = line[from..].find("=?") {
        let start = from + at;
        match word(&line[start..]) {
            Some((charset, enc, text, len)) => {
                out.push(Word {
                    charset,
                    enc,
                    text,
                    start,
                    end: start + len,
                });
                from = start + len;
            }
            None => from = start + 2,
        }
    }
    out
}

/// The bytes of a run of adjacent words in one charset, the base64 text of B words read as
/// one stream (a quantum cut between two words is completed by the next; a padded word ends
/// the stream), or None when some part of it does not decode.
fn joined(run: &[Word<'_>]) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    // base64 letters of a quantum not yet complete
    let mut carry = String::new();
    for w in run {
        match w.enc {
            Enc::Q => {
                finish(&mut carry, &mut bytes)?;
                bytes.extend(q_decode(w.text)?);
            }
            Enc::B => {
                carry.push_str(w.text);
                let whole = carry.len() / 4 * 4;
                // quantum by quantum: a padded one may end one word's text and
                // another text follow it
                for quantum in carry.as_bytes()[..whole].chunks(4) {
                    bytes.extend(
                        base64::engine::general_purpose::STANDARD
                            .decode(quantum)
                            .ok()?,
                    );
                }
                carry.drain(..whole);
            }
        }
    }
    finish(&mut carry, &mut bytes)?;
    Some(bytes)
}

/// The base64 letters left at the end of a stream: a last quantum written without its
/// padding, or with only part of it.
fn finish(carry: &mut String, bytes: &mut Vec<u8>) -> Option<()> {
    if !carry.is_empty() {
        bytes.extend(
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(carry.trim_end_matches('='))
                .ok()?,
        );
        carry.clear();
    }
    Some(())
}

/// A run that does not decode as one (a mailer that left out each word's padding, or a
/// word that is not base64): each word decoded alone, adjacent ones that do decoded
/// together, and one that does not left as written with the whitespace beside it. `at` is
/// where the text before the run starts, `decoded` whether a decoded word ends it; returns
/// whether the run's last word was decoded.
fn word_by_word(
    line: &str,
    mut at: usize,
    mut decoded: bool,
    run: &[Word<'_>],
    out: &mut String,
) -> bool {
    let charset = run[0].charset;
    let mut pending: Option<Vec<u8>> = None;
    for w in run {
        let gap = &line[at..w.start];
        match (joined(std::slice::from_ref(w)), pending.as_mut()) {
            (Some(b), Some(p)) => {
                p.extend(b);
                decoded = true;
            }
            (Some(b), None) => {
                if !(decoded && blank(gap)) {
                    out.push_str(gap);
                }
                pending = Some(b);
                decoded = true;
            }
            (None, _) => {
                if let Some(p) = pending.take() {
                    out.push_str(&charset.decode_without_bom_handling(&p).0);
                }
                out.push_str(gap);
                out.push_str(&line[w.start..w.end]);
                decoded = false;
            }
        }
        at = w.end;
    }
    if let Some(p) = pending {
        out.push_str(&charset.decode_without_bom_handling(&p).0);
    }
    decoded
}

/// The encoded-word at the start of `s` (`=?charset?enc?text?=`) in a charset it knows: the
/// charset, the encoding, the text and the word's length.
fn word(s: &str) -> Option<(&'static encoding_rs::Encoding, Enc, &str, usize)> {
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (enc, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let text = &body[..end];
    if text.contains([' ', '\t'])
        || charset.is_empty()
        || charset.len() > 40
        || !charset
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:*".contains(c))
    {
        return None;
    }
    let len = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
    // RFC 2231 adds a language: `UTF-8*en`
    let charset = charset.split('*').next().unwrap_or(charset);
    // a charset no label names: the word is left as written
    let charset = encoding(charset)?;
    let enc = match enc {
        "B" | "b"
            if text
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"+/=".contains(&c)) =>
        {
            Enc::B
        }
        "Q" | "q" if q_decode(text).is_some() => Enc::Q,
        _ => return None,
    };
    Some((charset, enc, text, len))
}

/// Q encoding: `_` is a space, `=XX` a byte, anything else itself.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// The charset a word names, by the labels the WHATWG Encoding Standard gives (`encoding_rs`):
/// every charset mail is written in today, ISO-8859-1 read as Windows-1252 as mail readers do.
fn encoding(charset: &str) -> Option<&'static encoding_rs::Encoding> {
    encoding_rs::Encoding::for_label_no_replacement(charset.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_b_and_q_words() {
        assert_eq!(
            decode("Subject: =?UTF-8?B?Qm9uam91ciwgw6l0w6kgIQ==?="),
            "Subject: Bonjour, été !"
        );
        assert_eq!(
            decode("From: =?ISO-8859-1?Q?Andr=E9_M=FCller?= <andre@example.com>"),
            "From: André Müller <andre@example.com>"
        );
        assert_eq!(
            decode("Subject: =?windows-1252?Q?=93quoted=94_=80?="),
            "Subject: “quoted” €"
        );
        // lower case encoding letter, RFC 2231 language
        assert_eq!(decode("Subject: =?utf-8*en?q?a=20b?="), "Subject: a b");
    }

    #[test]
    fn whitespace_between_words_goes_whitespace_beside_text_stays() {
        assert_eq!(
            decode("Subject: =?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_cr=C3=A8me?= done"),
            "Subject: Café crème done"
        );
        assert_eq!(
            decode("Subject: Re: =?UTF-8?Q?Caf=C3=A9?= order"),
            "Subject: Re: Café order"
        );
        // a character cut between two words (B and Q alike) comes out whole
        assert_eq!(
            decode("Subject: =?UTF-8?B?Q2Fmw6kgw6nD?= =?UTF-8?B?qQ==?="),
            "Subject: Café éé"
        );
        assert_eq!(
            decode("Subject: =?UTF-8?Q?caf=C3?= =?utf-8?Q?=A9?="),
            "Subject: café"
        );
        // one charset under two of its names, the second with a language
        assert_eq!(
            decode("Subject: =?UTF8?Q?caf=C3?= =?utf-8*fr?Q?=A9?="),
            "Subject: café"
        );
        // words in two charsets side by side
        assert_eq!(
            decode("Subject: =?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?="),
            "Subject: éé"
        );
    }

    #[test]
    fn charsets_beyond_latin_are_decoded() {
        assert_eq!(decode("Subject: =?KOI8-R?B?8NLJ18XU?="), "Subject: Привет");
        assert_eq!(
            decode("Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?="),
            "Subject: 日本語"
        );
        assert_eq!(
            decode("From: =?windows-1252?Q?=93quoted=94?= <a@example.com>"),
            "From: \u{201c}quoted\u{201d} <a@example.com>"
        );
    }

    #[test]
    fn a_stateful_charset_cut_between_words_comes_out_whole() {
        // 日本語 in ISO-2022-JP, cut inside the two bytes of 本: word by word it would read
        // the rest as ASCII
        assert_eq!(
            decode("Subject: =?ISO-2022-JP?B?GyRCRnxL?= =?ISO-2022-JP?B?XDhsGyhC?="),
            "Subject: 日本語"
        );
        // Shift_JIS (日本), cut after a lead byte, and Q beside B in the same charset
        assert_eq!(
            decode("Subject: =?Shift_JIS?Q?=93=FA=96?= =?shift_jis?B?ew==?="),
            "Subject: 日本"
        );
        // two charsets side by side are decoded each in its own, and plain text beside a
        // word keeps its space
        assert_eq!(
            decode("Subject: Re: =?KOI8-R?B?8NLJ18XU?= =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= ok"),
            "Subject: Re: Привет日本語 ok"
        );
    }

    #[test]
    fn base64_cut_inside_a_quantum_is_read_across_the_words() {
        // "Café crème brûlée" as one base64 text, cut after 5 and 14 letters (as some
        // mailers cut a long Subject by length): no word decodes alone
        assert_eq!(
            decode("Subject: =?UTF-8?B?Q2Fmw?= =?UTF-8?B?6kgY3LDqG?= =?utf-8?B?1lIGJyw7tsw6ll?="),
            "Subject: Café crème brûlée"
        );
        // ISO-2022-JP, cut after 10 letters, a tab between the words
        assert_eq!(
            decode("Subject: =?ISO-2022-JP?B?GyRCRnxLXD?=\t=?ISO-2022-JP?B?hsJEckORsoQg==?="),
            "Subject: 日本語です"
        );
        // cut before its padding, and a Q word after it in the same charset
        assert_eq!(
            decode("Subject: Re: =?KOI8-R?B?8NLJ18XUIM3J0g?= =?KOI8-R?B?==?= =?KOI8-R?Q?_!?= ok"),
            "Subject: Re: Привет мир ! ok"
        );
        // words each written without their padding ("é", "é") read alone, as before
        assert_eq!(
            decode("Subject: =?UTF-8?B?w6k?= =?UTF-8?B?w6k?="),
            "Subject: éé"
        );
        // the quantum is never completed from a word in another charset, or across text
        assert_eq!(
            decode("Subject: =?UTF-8?B?Q2Fmw?= =?ISO-8859-1?B?6kg?="),
            "Subject: =?UTF-8?B?Q2Fmw?= êH"
        );
        assert_eq!(
            decode("Subject: =?UTF-8?B?Q2Fmw?= and =?UTF-8?B?w6k=?="),
            "Subject: =?UTF-8?B?Q2Fmw?= and é"
        );
    }

    #[test]
    fn what_does_not_decode_is_left_as_written() {
        for raw in [
            "Subject: =?X-NONE?B?8NLJ18XU?=",    // a charset no label names
            "Subject: =?UTF-8?X?abc?=",          // no such encoding
            "Subject: =?UTF-8?B?!!!?=",          // not base64
            "Subject: =?UTF-8?Q?bad=ZZ?=",       // not hex
            "Subject: =?UTF-8?Q?has space?=",    // not a word
            "Subject: 2 + 2 =? and =?UTF-8?Q?x", // no end
            "Subject: plain",
        ] {
            assert_eq!(decode(raw), raw);
        }
        // a charset name with a space in it is no encoded-word
        assert_eq!(decode("Subject: a =? b ?Q?x?="), "Subject: a =? b ?Q?x?=");
        // one bad word does not stop the next
        assert_eq!(
            decode("Subject: =?UTF-8?B?!!!?= =?UTF-8?Q?ok?="),
            "Subject: =?UTF-8?B?!!!?= ok"
        );
    }

    mod props {
        use super::decode;
        use crate::sanitize::{Clean, is_unsafe_char};
        use base64::Engine as _;
        use proptest::prelude::*;

        /// Header text made of the pieces encoded-words are made of, so that half-words,
        /// bad hex, bad base64 and odd charsets come up often.
        fn header() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("=?".to_string()),
                Just("?=".to_string()),
                Just("?".to_string()),
                Just("UTF-8".to_string()),
                Just("ISO-2022-JP".to_string()),
                Just("utf-8*en".to_string()),
                Just("?B?".to_string()),
                Just("?q?".to_string()),
                Just("=C3".to_string()),
                Just("=1B".to_string()),
                Just("=E2=80=AE".to_string()),
                Just("G3sw".to_string()),
                Just("w6k=".to_string()),
                Just("_".to_string()),
                Just(" ".to_string()),
                Just("\t".to_string()),
                any::<char>().prop_map(String::from),
            ];
            proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
        }

        proptest! {
            #[test]
            fn decoding_never_panics_and_what_is_shown_is_safe(s in header()) {
                let shown = Clean::capped(&decode(&s), 1000);
                prop_assert!(!shown.chars().any(is_unsafe_char), "{:?}", shown);
                prop_assert!(!shown.contains('\t'));
            }

            #[test]
            fn decoding_never_panics_on_any_text(s in any::<String>()) {
                let _ = decode(&s);
            }

            /// Any text cut into encoded-words wherever a mailer likes (inside a character
            /// too), each word B or Q, with whitespace between them: decoded, the text again.
            #[test]
            fn text_cut_into_words_anywhere_reads_whole(
                text in "\\PC{1,24}",
                cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..5),
                b in proptest::collection::vec(any::<bool>(), 6),
            ) {
                let bytes = text.as_bytes();
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len())).collect();
                at.extend([0, bytes.len()]);
                at.sort_unstable();
                at.dedup();
                let words: Vec<String> = at
                    .windows(2)
                    .enumerate()
                    .map(|(i, w)| {
                        let part = &bytes[w[0]..w[1]];
                        if b[i] {
                            format!(
                                "=?UTF-8?B?{}?=",
                                base64::engine::general_purpose::STANDARD.encode(part)
                            )
                        } else {
                            let q: String = part.iter().map(|c| format!("={c:02X}")).collect();
                            format!("=?UTF-8?Q?{q}?=")
                        }
                    })
                    .collect();
                let line = format!("Subject: {}", words.join(" "));
                prop_assert_eq!(decode(&line), format!("Subject: {text}"));
            }

            /// The same, and each B word's base64 text cut again wherever a mailer likes
            /// (inside a four-letter quantum too, before or inside its padding), the words
            /// apart by a space or a tab: decoded, the text again.
            #[test]
            fn base64_cut_anywhere_reads_whole(
                text in "\\PC{1,24}",
                cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
                b in proptest::collection::vec(any::<bool>(), 5),
                b64_cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..4),
                tab in any::<bool>(),
            ) {
                let bytes = text.as_bytes();
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len())).collect();
                at.extend([0, bytes.len()]);
                at.sort_unstable();
                at.dedup();
                let mut words: Vec<String> = Vec::new();
                for (i, w) in at.windows(2).enumerate() {
                    let part = &bytes[w[0]..w[1]];
                    if b[i] {
                        let b64 = base64::engine::general_purpose::STANDARD.encode(part);
                        let mut cut: Vec<usize> =
                            b64_cuts.iter().map(|i| i.index(b64.len())).collect();
                        cut.extend([0, b64.len()]);
                        cut.sort_unstable();
                        cut.dedup();
                        for c in cut.windows(2) {
                            words.push(format!("=?UTF-8?B?{}?=", &b64[c[0]..c[1]]));
                        }
                    } else {
                        let q: String = part.iter().map(|c| format!("={c:02X}")).collect();
                        words.push(format!("=?UTF-8?Q?{q}?="));
                    }
                }
                let line = format!("Subject: {}", words.join(if tab { "\t" } else { " " }));
                prop_assert_eq!(decode(&line), format!("Subject: {text}"));
            }
        }
    }
}
