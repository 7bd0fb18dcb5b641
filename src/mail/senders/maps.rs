//! Postfix lookup tables as the pane sees them: which map a parameter names
//! (`hash:/etc/postfix/sender_relay`), and what its source file says.
//!
//! Parses the source text of indexed maps (`hash`, `btree`, `lmdb`, `cdb`,
//! `texthash`: `key whitespace value`, `#` comments, lines that start with
//! whitespace continue the previous one) and of `regexp`/`pcre` maps (shown
//! as rules, evaluated with the `regex` crate where the pattern allows).
//! Pure text in, values out: this module never reads a file and never keeps
//! a password (a password map's value is cut to its user name on parse).

use regex::Regex;

use crate::sanitize::Clean;

/// The kinds of table the pane can read from source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapKind {
    Hash,
    Btree,
    Lmdb,
    Cdb,
    Texthash,
    Regexp,
    Pcre,
    /// Anything else (mysql, ldap, inline, ...): shown as configured, not read.
    Other,
}

impl MapKind {
    fn from_type(t: &str) -> MapKind {
        match t {
            "hash" => MapKind::Hash,
            "btree" => MapKind::Btree,
            "lmdb" => MapKind::Lmdb,
            "cdb" => MapKind::Cdb,
            "texthash" => MapKind::Texthash,
            "regexp" => MapKind::Regexp,
            "pcre" => MapKind::Pcre,
            _ => MapKind::Other,
        }
    }

    /// Suffix of the compiled file `postmap` writes, if any.
    pub fn compiled_suffix(self) -> Option<&'static str> {
        match self {
            MapKind::Hash | MapKind::Btree => Some(".db"),
            MapKind::Lmdb => Some(".lmdb"),
            MapKind::Cdb => Some(".cdb"),
            _ => None,
        }
    }

    pub fn is_rules(self) -> bool {
        matches!(self, MapKind::Regexp | MapKind::Pcre)
    }
}

/// One map named in a parameter: `type:name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapSpec {
    pub kind: MapKind,
    /// The type as written (`hash`, `mysql`, ...), without `proxy:`.
    pub type_name: String,
    /// The file (or other name) after the colon.
    pub path: String,
    /// As written in main.cf, for messages.
    pub written: String,
}

impl MapSpec {
    /// The compiled file beside the source, if this kind has one.
    pub fn compiled_path(&self) -> Option<String> {
        self.kind
            .compiled_suffix()
            .map(|s| format!("{}{s}", self.path))
    }

    /// `type:path` suitable for `postmap` / `postmap -q`.
    pub fn postmap_arg(&self) -> String {
        format!("{}:{}", self.type_name, self.path)
    }
}

/// Split a parameter value (`hash:/a, pcre:/b`) into map specs.
pub fn parse_map_list(value: &str) -> Vec<MapSpec> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|written| {
            let mut rest = written;
            if let Some(r) = rest.strip_prefix("proxy:") {
                rest = r;
            }
            let (t, path) = rest.split_once(':').unwrap_or(("", rest));
            MapSpec {
                kind: MapKind::from_type(t),
                type_name: t.to_string(),
                path: path.to_string(),
                written: written.to_string(),
            }
        })
        .collect()
}

/// What kind of lookup key a table entry has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `user@example.com`
    Address,
    /// `@example.com`
    Domain,
    /// `user@` (any domain)
    LocalPart,
    /// Anything else: a relay host (`[email-smtp.x.amazonaws.com]:587`), a bare domain...
    Other,
}

impl KeyKind {
    pub fn of(key: &str) -> KeyKind {
        match key.find('@') {
            Some(0) => KeyKind::Domain,
            Some(i) if i + 1 == key.len() => KeyKind::LocalPart,
            Some(_) => KeyKind::Address,
            None => KeyKind::Other,
        }
    }
}

/// One logical line of an indexed map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableEntry {
    /// Lower-cased, as `postmap` stores it.
    pub key: Clean,
    pub kind: KeyKind,
    pub value: Clean,
    /// 1-based line where the entry starts.
    pub line: usize,
}

/// A line the parser could not use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub why: &'static str,
    pub text: Clean,
}

/// Why Postfix skips a first logical line that starts with whitespace.
const LEADING_WHITESPACE: &str = "logical line must not start with whitespace (Postfix skips it)";

/// A line and its 1-based number.
type Numbered = (usize, String);

/// Logical lines: comments and blank lines dropped, continuation lines joined.
/// A line that starts with whitespace before any logical line has nothing to
/// continue: Postfix skips it with a warning, and so does this (its line
/// number and text come back apart, for the caller to report).
fn logical_lines(text: &str) -> (Vec<Numbered>, Vec<Numbered>) {
    let mut out: Vec<Numbered> = Vec::new();
    let mut skipped = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            match out.last_mut() {
                Some(last) => {
                    last.1.push(' ');
                    last.1.push_str(trimmed.trim_end());
                }
                None => skipped.push((i + 1, trimmed.trim_end().to_string())),
            }
            continue;
        }
        out.push((i + 1, trimmed.trim_end().to_string()));
    }
    (out, skipped)
}

/// The lines [`logical_lines`] skipped, as bad lines (`shown` picks the text
/// to show: a password map shows only the key).
fn skipped_lines(skipped: Vec<Numbered>, shown: impl Fn(&str) -> Clean) -> Vec<BadLine> {
    skipped
        .into_iter()
        .map(|(line, l)| BadLine {
            line,
            why: LEADING_WHITESPACE,
            text: shown(&l),
        })
        .collect()
}

/// Parse the source of a `hash`/`btree`/`lmdb`/`cdb`/`texthash` map.
pub fn parse_table(text: &str) -> (Vec<TableEntry>, Vec<BadLine>) {
    let mut entries = Vec::new();
    let (lines, skipped) = logical_lines(text);
    let mut bad = skipped_lines(skipped, |l| Clean::capped(l, 80));
    for (line, l) in lines {
        match l.split_once(char::is_whitespace) {
            Some((k, v)) if !v.trim().is_empty() => {
                let key = k.to_lowercase();
                entries.push(TableEntry {
                    kind: KeyKind::of(&key),
                    key: Clean::new(&key),
                    value: Clean::new(v.trim()),
                    line,
                });
            }
            _ => bad.push(BadLine {
                line,
                why: "key without a value",
                text: Clean::capped(&l, 80),
            }),
        }
    }
    (entries, bad)
}

/// One entry of a SASL password map, with the secret already dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialEntry {
    pub key: Clean,
    pub kind: KeyKind,
    /// The SMTP user name (the part before the first `:`).
    pub user: Clean,
    /// Was there a non-empty password after the colon?
    pub has_password: bool,
    pub line: usize,
}

/// What a broken line of a password map may show: its first word, cut at
/// its first colon (`user:***`) unless that colon only ends a `[host]:port`
/// key. A line with no space between key and
/// value (`[relay]:587:user:password`), or a lone `user:password`, is one
/// word: the password must not come out with it.
fn password_line_key(l: &str) -> Clean {
    let word = l.split_whitespace().next().unwrap_or("");
    let safe = match word.split_once(':') {
        None => true,
        Some((_, port)) => {
            !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) && word.starts_with('[')
        }
    };
    if safe {
        return Clean::capped(word, 80);
    }
    let cut = word.find(':').unwrap_or(word.len());
    Clean::capped(&format!("{}:***", &word[..cut]), 80)
}

/// The user name of a password map's value (`user:password`), as shown: the
/// text before the first colon, up to its first whitespace. Postfix takes
/// all of it as the user name, but a space typed for the colon
/// (`user password`) would put the password there: what follows the first
/// word is shown as `***`.
fn shown_user(value: &Clean) -> Clean {
    let head = value.split(':').next().unwrap_or("");
    let start = head.len() - head.trim_start().len();
    let user = head.trim();
    let (word, more) = match user.split_once(char::is_whitespace) {
        Some((first, _)) => (first, true),
        None => (user, false),
    };
    let mut shown = value.part(start..start + word.len());
    if more {
        shown.push(" ***");
    }
    shown
}

/// Parse a password map source: `key user:password`. The password is looked
/// at only to see that it is there; it is never copied out.
pub fn parse_password_table(text: &str) -> (Vec<CredentialEntry>, Vec<BadLine>) {
    let mut entries = Vec::new();
    let (lines, skipped) = logical_lines(text);
    let mut bad = skipped_lines(skipped, password_line_key);
    for (line, l) in lines {
        let Some((k, v)) = l.split_once(char::is_whitespace) else {
            bad.push(BadLine {
                line,
                why: "key without a value",
                text: password_line_key(&l),
            });
            continue;
        };
        let v = v.trim();
        let has_password = v.split_once(':').is_some_and(|(_, p)| !p.is_empty());
        let key = k.to_lowercase();
        entries.push(CredentialEntry {
            kind: KeyKind::of(&key),
            key: Clean::new(&key),
            user: shown_user(&Clean::new(v)),
            has_password,
            line,
        });
    }
    (entries, bad)
}

/// Look up a sender in indexed-table entries the way Postfix does for
/// sender-dependent maps (`mail_addr_find`): the full address, then, when
/// `recipient_delimiter` is set and the local part has one, the address
/// without its extension, then `@domain`. A `user@` key is never tried
/// (nor a bare local part, which Postfix tries only for its own domains).
pub fn lookup_sender<'a, T>(
    entries: &'a [T],
    key_of: impl Fn(&T) -> &str,
    sender: &str,
    recipient_delimiter: &str,
) -> Option<&'a T> {
    sender_keys(sender, recipient_delimiter)
        .iter()
        .find_map(|k| entries.iter().find(|e| key_of(e) == k.as_str()))
}

/// The keys [`lookup_sender`] tries, in its order, lower-cased: the full address first (the
/// only one a `regexp:` or `pcre:` map is asked), then the partial keys. With several maps
/// Postfix tries each key in every map before the next key.
pub fn sender_keys(sender: &str, recipient_delimiter: &str) -> Vec<String> {
    let sender = sender.to_lowercase();
    let (local, domain) = match sender.rsplit_once('@') {
        Some((l, d)) => (l.to_string(), d.to_string()),
        None => (sender.clone(), String::new()),
    };
    let mut keys = vec![sender.clone()];
    if let Some(base) = without_extension(&local, recipient_delimiter) {
        keys.push(format!("{base}@{domain}"));
    }
    if !domain.is_empty() {
        keys.push(format!("@{domain}"));
    }
    keys
}

/// The local part without its extension, as Postfix's `split_addr` cuts it:
/// at the first of the `recipient_delimiter` characters, not when it is the
/// first character, and never for `postmaster` or `MAILER-DAEMON`.
fn without_extension<'a>(local: &'a str, delimiters: &str) -> Option<&'a str> {
    if delimiters.is_empty()
        || local.eq_ignore_ascii_case("postmaster")
        || local.eq_ignore_ascii_case("mailer-daemon")
    {
        return None;
    }
    match local.find(|c| delimiters.contains(c)) {
        Some(0) | None => None,
        Some(i) => Some(&local[..i]),
    }
}

/// One rule of a `regexp:` or `pcre:` map.
#[derive(Clone, Debug)]
pub struct Rule {
    pub line: usize,
    /// The rule as written (sanitized), for display.
    pub text: Clean,
    pub kind: RuleKind,
    /// Compiled for evaluation; `None` when the pattern uses syntax the
    /// `regex` crate lacks (look-around, back-references): shown, not evaluated.
    pub compiled: Option<Regex>,
    pub negated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// `/pattern/ result`
    Match {
        result: Clean,
    },
    /// `if /pattern/`
    If,
    Endif,
}

/// Parse a `regexp:`/`pcre:` map source into rules.
pub fn parse_rules(text: &str) -> (Vec<Rule>, Vec<BadLine>) {
    let mut rules = Vec::new();
    let (lines, skipped) = logical_lines(text);
    let mut bad = skipped_lines(skipped, |l| Clean::capped(l, 80));
    for (line, l) in lines {
        if l == "endif" {
            rules.push(Rule {
                line,
                text: Clean::new(&l),
                kind: RuleKind::Endif,
                compiled: None,
                negated: false,
            });
            continue;
        }
        let (is_if, body) = match l.strip_prefix("if") {
            Some(rest) if rest.starts_with(char::is_whitespace) => (true, rest.trim_start()),
            _ => (false, l.as_str()),
        };
        let (negated, body) = match body.strip_prefix('!') {
            Some(b) => (true, b),
            None => (false, body),
        };
        let Some((pattern, flags, rest)) = split_pattern(body) else {
            bad.push(BadLine {
                line,
                why: "not a /pattern/ rule",
                text: Clean::capped(&l, 80),
            });
            continue;
        };
        let result = rest.trim();
        if !is_if && result.is_empty() {
            bad.push(BadLine {
                line,
                why: "rule without a result",
                text: Clean::capped(&l, 80),
            });
            continue;
        }
        let compiled = compile(pattern, flags);
        if !is_if && let Err(why) = check_template(result, negated, compiled.as_ref()) {
            // Postfix skips such a rule (with a warning) and goes on
            bad.push(BadLine {
                line,
                why,
                text: Clean::capped(&l, 80),
            });
            continue;
        }
        rules.push(Rule {
            line,
            text: Clean::new(&l),
            kind: if is_if {
                RuleKind::If
            } else {
                RuleKind::Match {
                    result: Clean::new(result),
                }
            },
            compiled,
            negated,
        });
    }
    (rules, bad)
}

/// A piece of a rule's result: literal text or a capture group.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Lit(String),
    Group(usize),
}

/// Parse a result the way Postfix does for regexp/pcre tables: `$n`,
/// `${n}` and `$(n)` name capture group n (a `$name` runs over letters,
/// digits and `_`, and must be all digits, 1 or more); `$$` is a `$`.
fn parse_template(s: &str) -> Result<Vec<Piece>, &'static str> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' {
            lit.push(c);
            continue;
        }
        let name: String = match chars.peek().map(|(_, c)| *c) {
            Some('$') => {
                chars.next();
                lit.push('$');
                continue;
            }
            Some(open @ ('{' | '(')) => {
                let close = if open == '{' { '}' } else { ')' };
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some((_, c)) if c == close => break,
                        Some((_, c)) => name.push(c),
                        None => return Err("unbalanced {} or () in the result"),
                    }
                }
                name
            }
            _ => {
                let mut name = String::new();
                while let Some((_, c)) = chars.peek().copied() {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        name.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                name
            }
        };
        if name.is_empty() {
            return Err("empty $ name in the result");
        }
        if !name.chars().all(|c| c.is_ascii_digit()) {
            return Err("non-numeric replacement index in the result");
        }
        let n: usize = name.parse().map_err(|_| "replacement index out of range")?;
        if n == 0 {
            return Err("replacement index out of range ($0)");
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(Piece::Group(n));
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

/// Would Postfix accept this result? (It skips the rule otherwise.)
fn check_template(
    result: &str,
    negated: bool,
    compiled: Option<&Regex>,
) -> Result<(), &'static str> {
    let pieces = parse_template(result)?;
    let max = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Group(n) => Some(*n),
            Piece::Lit(_) => None,
        })
        .max();
    let Some(max) = max else { return Ok(()) };
    if negated {
        return Err("$number in the result of a negated rule");
    }
    match compiled {
        // group 0 is the whole match
        Some(re) if max >= re.captures_len() => Err("replacement index out of range"),
        _ => Ok(()),
    }
}

/// A matched rule's result with `$n` replaced by what group n matched (an
/// unmatched group gives nothing) and `$$` by `$`.
pub fn expand_result(result: &str, caps: &regex::Captures<'_>) -> String {
    match parse_template(result) {
        Ok(pieces) => pieces
            .iter()
            .map(|p| match p {
                Piece::Lit(s) => s.as_str(),
                Piece::Group(n) => caps.get(*n).map_or("", |m| m.as_str()),
            })
            .collect(),
        // not reached for parsed rules: they are checked on parse
        Err(_) => result.to_string(),
    }
}

/// `/pat/flags rest` with any delimiter: (pattern, flags, rest).
fn split_pattern(s: &str) -> Option<(&str, &str, &str)> {
    let delim = s.chars().next()?;
    if delim.is_alphanumeric() || delim.is_whitespace() {
        return None;
    }
    let body = &s[delim.len_utf8()..];
    let mut escaped = false;
    let mut end = None;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            end = Some(i);
            break;
        }
    }
    let end = end?;
    let pattern = &body[..end];
    let after = &body[end + delim.len_utf8()..];
    let flags_end = after
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(after.len());
    Some((pattern, &after[..flags_end], &after[flags_end..]))
}

fn compile(pattern: &str, flags: &str) -> Option<Regex> {
    // Postfix tables match case-insensitively unless `i` toggles it off.
    let insensitive = flags.chars().filter(|c| *c == 'i').count() % 2 == 0;
    let mut prefix = String::new();
    if insensitive {
        prefix.push_str("(?i)");
    }
    if flags.contains('x') {
        prefix.push_str("(?x)");
    }
    if flags.contains('m') {
        prefix.push_str("(?m)");
    }
    Regex::new(&format!("{prefix}{pattern}")).ok()
}

/// For rules of a password map: keep the user name, drop the password from
/// both the result and the shown text.
pub fn hide_password(rule: &mut Rule) {
    let RuleKind::Match { result } = &mut rule.kind else {
        if rule.kind == RuleKind::If {
            // Postfix ignores text after an `if`'s pattern: it may be a `user:password`
            let body = rule.text.strip_prefix("if").unwrap_or("").trim_start();
            if let Some((_, _, rest)) = split_pattern(body.strip_prefix('!').unwrap_or(body))
                && !rest.trim().is_empty()
            {
                let mut kept = rule.text.part(0..rule.text.len() - rest.len());
                kept.push(" ***");
                rule.text = kept;
            }
        }
        return;
    };
    // the rule's text is clean already: the parts kept are joined, never escaped again
    let mut hidden = shown_user(result);
    hidden.push(":***");
    rule.text = match rule.text.rfind(result.as_str()) {
        Some(i) => {
            let mut text = rule.text.part(0..i);
            text.push_clean(&hidden);
            text
        }
        None => Clean::new(&format!("(rule on line {}: password hidden)", rule.line)),
    };
    *result = hidden;
}

/// Outcome of evaluating rules for one sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleMatch {
    Matched {
        result: Clean,
        line: usize,
    },
    NoMatch,
    /// A rule on the way could not be evaluated: the answer is unknown.
    Unknown {
        line: usize,
    },
}

/// Evaluate rules top to bottom, first match wins, honouring `if`/`endif`.
pub fn eval_rules(rules: &[Rule], sender: &str) -> RuleMatch {
    // depth of if-blocks whose condition is false
    let mut skipping = 0usize;
    for r in rules {
        let hit = |r: &Rule| {
            r.compiled
                .as_ref()
                .map(|re| re.is_match(sender) != r.negated)
        };
        match &r.kind {
            RuleKind::Endif => {
                skipping = skipping.saturating_sub(1);
            }
            RuleKind::If => {
                if skipping > 0 {
                    skipping += 1;
                } else {
                    match hit(r) {
                        Some(true) => {}
                        Some(false) => skipping = 1,
                        None => return RuleMatch::Unknown { line: r.line },
                    }
                }
            }
            RuleKind::Match { result } => {
                if skipping > 0 {
                    continue;
                }
                match hit(r) {
                    Some(true) => {
                        let caps = (!r.negated && result.contains('$'))
                            .then(|| r.compiled.as_ref().and_then(|re| re.captures(sender)))
                            .flatten();
                        let result = match caps {
                            Some(c) => Clean::new(&expand_result(result, &c)),
                            None => Clean::new(&result.replace("$$", "$")),
                        };
                        return RuleMatch::Matched {
                            result,
                            line: r.line,
                        };
                    }
                    Some(false) => {}
                    None => return RuleMatch::Unknown { line: r.line },
                }
            }
        }
    }
    RuleMatch::NoMatch
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn map_lists() {
        let m = parse_map_list(
            "hash:/etc/postfix/sender_relay, pcre:/etc/postfix/r.pcre proxy:lmdb:/x",
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].kind, MapKind::Hash);
        assert_eq!(
            m[0].compiled_path().as_deref(),
            Some("/etc/postfix/sender_relay.db")
        );
        assert_eq!(m[1].kind, MapKind::Pcre);
        assert_eq!(m[2].kind, MapKind::Lmdb);
        assert_eq!(m[2].postmap_arg(), "lmdb:/x");
        assert_eq!(parse_map_list("mysql:/etc/x.cf")[0].kind, MapKind::Other);
        assert!(parse_map_list("").is_empty());
        assert_eq!(MapKind::Cdb.compiled_suffix(), Some(".cdb"));
        assert_eq!(MapKind::Texthash.compiled_suffix(), None);
    }

    #[test]
    fn key_kinds() {
        let table = [
            ("alice@example.com", KeyKind::Address),
            ("@example.com", KeyKind::Domain),
            ("root@", KeyKind::LocalPart),
            ("[email-smtp.us-east-1.amazonaws.com]:587", KeyKind::Other),
            ("example.com", KeyKind::Other),
        ];
        for (k, want) in table {
            assert_eq!(KeyKind::of(k), want, "{k}");
        }
    }

    const RELAY_MAP: &str = "\
# sender routes
alice@Example.com   [email-smtp.us-east-1.amazonaws.com]:587
@example.org        [email-smtp.eu-west-1.amazonaws.com]:587

root@               [127.0.0.1]:2525
   # indented comment
bob@example.com
    [email-smtp.us-east-1.amazonaws.com]:587
broken-line
";

    #[test]
    fn table_with_comments_and_continuations() {
        let (e, bad) = parse_table(RELAY_MAP);
        let got: Vec<(&str, KeyKind, &str, usize)> = e
            .iter()
            .map(|e| (e.key.as_str(), e.kind, e.value.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "alice@example.com",
                    KeyKind::Address,
                    "[email-smtp.us-east-1.amazonaws.com]:587",
                    2
                ),
                (
                    "@example.org",
                    KeyKind::Domain,
                    "[email-smtp.eu-west-1.amazonaws.com]:587",
                    3
                ),
                ("root@", KeyKind::LocalPart, "[127.0.0.1]:2525", 5),
                (
                    "bob@example.com",
                    KeyKind::Address,
                    "[email-smtp.us-east-1.amazonaws.com]:587",
                    7
                ),
            ]
        );
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line, 9);
    }

    #[test]
    fn password_map_keeps_only_the_user() {
        let text = "[email-smtp.us-east-1.amazonaws.com]:587 AKIAEXAMPLE:sEcReT/with:colon\n\
                    alice@example.com AKIAALICE:\n\
                    nopass\n";
        let (e, bad) = parse_password_table(text);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].user.as_str(), "AKIAEXAMPLE");
        assert!(e[0].has_password);
        assert_eq!(e[0].kind, KeyKind::Other);
        assert!(!e[1].has_password);
        assert_eq!(bad.len(), 1);
        let dump = format!("{e:?}{bad:?}");
        assert!(!dump.contains("sEcReT"), "{dump}");
    }

    #[test]
    fn password_map_bad_lines_show_no_password() {
        let text = "  AKIALEAD:lead-SECRET\n\
                    [email-smtp.eu-west-1.amazonaws.com]:587:AKIANOWS:nospace-SECRET\n\
                    AKIALONE:alone-SECRET\n\
                    [email-smtp.us-east-1.amazonaws.com]:587\n";
        let (e, bad) = parse_password_table(text);
        assert!(e.is_empty(), "{e:?}");
        let shown: Vec<(usize, &str)> = bad.iter().map(|b| (b.line, b.text.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                (1, "AKIALEAD:***"),
                (2, "[email-smtp.eu-west-1.amazonaws.com]:***"),
                (3, "AKIALONE:***"),
                (4, "[email-smtp.us-east-1.amazonaws.com]:587"),
            ]
        );
        let dump = format!("{bad:?}");
        assert!(!dump.contains("SECRET"), "{dump}");
    }

    #[test]
    fn password_typed_after_a_space_is_not_a_user_name() {
        let text = "alice@example.com AKIAALICE  space-SECRET\n\
                    bob@example.com AKIABOB\tpart-SECRET:more-SECRET\n\
                    carol@example.com AKIACAROL : colon-SECRET\n";
        let (e, _) = parse_password_table(text);
        let users: Vec<(&str, bool)> = e
            .iter()
            .map(|e| (e.user.as_str(), e.has_password))
            .collect();
        assert_eq!(
            users,
            vec![
                ("AKIAALICE ***", false),
                ("AKIABOB ***", true),
                ("AKIACAROL", true)
            ]
        );
        let dump = format!("{e:?}");
        assert!(!dump.contains("SECRET"), "{dump}");

        let (mut rules, _) = parse_rules("/^erin@/ AKIAERIN rule-SECRET\n");
        rules.iter_mut().for_each(hide_password);
        assert_eq!(rules[0].text.as_str(), "/^erin@/ AKIAERIN ***:***");
        let dump = format!("{rules:?}");
        assert!(!dump.contains("SECRET"), "{dump}");
    }

    #[test]
    fn text_after_an_if_of_a_password_map_is_hidden() {
        let (mut rules, _) =
            parse_rules("if /^frank@/ AKIAFRANK:if-SECRET\nif !/^x@/\nendif\nendif\n");
        rules.iter_mut().for_each(hide_password);
        let texts: Vec<&str> = rules.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["if /^frank@/ ***", "if !/^x@/", "endif", "endif"]
        );
        let dump = format!("{rules:?}");
        assert!(!dump.contains("SECRET"), "{dump}");
    }

    /// The shown rule is escaped once: an ESC byte in it reads `\e`, as everywhere else, not
    /// `\\e`, which means a backslash typed before an `e`.
    #[test]
    fn a_hidden_password_rule_keeps_its_text_escaped_once() {
        let (mut rules, _) =
            parse_rules("/^a\x1b@/ AKIA\x1bUSER:a-SECRET\nif /^b\x1b@/ AKIAB:if-SECRET\nendif\n");
        rules.iter_mut().for_each(hide_password);
        let texts: Vec<&str> = rules.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["/^a\\e@/ AKIA\\eUSER:***", "if /^b\\e@/ ***", "endif"]
        );
    }

    #[test]
    fn sender_lookup_order() {
        let (e, _) = parse_table(RELAY_MAP);
        fn key(e: &TableEntry) -> &str {
            e.key.as_str()
        }
        let find =
            |sender: &str, delim: &str| lookup_sender(&e, key, sender, delim).map(|e| e.line);
        assert_eq!(find("ALICE@example.com", ""), Some(2));
        assert_eq!(find("carol@example.org", ""), Some(3));
        // Postfix never looks up `user@`: root@ routes nothing
        assert_eq!(find("root@vm.example.net", ""), None);
        assert_eq!(find("root@", ""), Some(5), "the key itself");
        // the extension is cut only with recipient_delimiter set, at any of its characters
        assert_eq!(find("bob@example.com", ""), Some(7));
        assert_eq!(find("bob+news@example.com", ""), None);
        assert_eq!(find("bob+news@example.com", "+"), Some(7));
        assert_eq!(find("bob-news+x@example.com", "-+"), Some(7));
        assert_eq!(find("bob-news@example.com", "+"), None);
        // not at the first character, and the full address comes first
        assert_eq!(find("+bob@example.com", "+"), None);
        assert_eq!(find("alice+x@example.org", "+"), Some(3));
        assert_eq!(find("dave@example.com", "+"), None);
    }

    const RULES: &str = "\
# route by domain
/^root@/                 [127.0.0.1]:2525
if /@example\\.com$/
!/^noreply@/             [email-smtp.us-east-1.amazonaws.com]:587
endif
/(?<=x)y@/               local:
/@example\\.net$/i       [email-smtp.eu-west-1.amazonaws.com]:587
#/ignored/ x
garbage line
";

    #[test]
    fn rules_parse_and_evaluate() {
        let (rules, bad) = parse_rules(RULES);
        assert_eq!(rules.len(), 6);
        assert_eq!(bad.len(), 1);
        assert_eq!(rules[1].kind, RuleKind::If);
        assert!(rules[2].negated);
        assert!(
            rules[4].compiled.is_none(),
            "look-behind is not in the regex crate"
        );
        let m = |s| eval_rules(&rules, s);
        assert!(matches!(m("root@host"), RuleMatch::Matched { line: 2, .. }));
        assert!(matches!(
            m("alice@example.com"),
            RuleMatch::Matched { line: 4, .. }
        ));
        // noreply@example.com: negated rule fails inside the if, then the
        // look-behind rule cannot be evaluated
        assert_eq!(m("noreply@example.com"), RuleMatch::Unknown { line: 6 });
    }

    /// Postfix's rules for `$n` in results, as `postmap -q` showed them on
    /// Postfix 3.7 (regexp and pcre alike).
    const SUBST: &str = "\
/^(a)(x)?@(.*)$/ r1=$1 r2=[$2] r3=${3} r4=$(1) dollar=$$ end
/^b1@/ $1
/^(c)@/ $1x
/^(d)@/ $0
/^(e)@/ ${1}x$
/^(f)@(g)(h)(i)(j)(k)(l)(m)(n)(o)$/ ten=$10
!/^(zz)@/ $1
/^(y)@/ ${1?yes}
/^(?:relay)@(.+)$/ [email-smtp.$1.amazonaws.com]:587
/^(w)@/ w${1}w$$
";

    #[test]
    fn substitutions_follow_postfix() {
        let (rules, bad) = parse_rules(SUBST);
        let skipped: Vec<(usize, &str)> = bad.iter().map(|b| (b.line, b.why)).collect();
        assert_eq!(
            skipped,
            vec![
                (2, "replacement index out of range"),
                (3, "non-numeric replacement index in the result"),
                (4, "replacement index out of range ($0)"),
                (5, "empty $ name in the result"),
                (7, "$number in the result of a negated rule"),
                (8, "non-numeric replacement index in the result"),
            ]
        );
        let m = |s| match eval_rules(&rules, s) {
            RuleMatch::Matched { result, .. } => Some(result.to_string()),
            RuleMatch::NoMatch => None,
            RuleMatch::Unknown { line } => panic!("line {line}"),
        };
        assert_eq!(
            m("a@dom").as_deref(),
            Some("r1=a r2=[] r3=dom r4=a dollar=$ end")
        );
        assert_eq!(m("f@ghijklmno").as_deref(), Some("ten=o"));
        // skipped rules match nothing
        assert_eq!(m("b1@"), None);
        assert_eq!(m("c@"), None);
        assert_eq!(
            m("relay@eu-west-1").as_deref(),
            Some("[email-smtp.eu-west-1.amazonaws.com]:587")
        );
        assert_eq!(m("w@").as_deref(), Some("www$"));
    }

    #[test]
    fn rules_case_flag() {
        let (rules, _) = parse_rules("/^Alice@/ a\n/^bob@/i b\n");
        assert!(matches!(
            eval_rules(&rules, "alice@x"),
            RuleMatch::Matched { line: 1, .. }
        ));
        // `i` turns case-insensitivity off
        assert_eq!(eval_rules(&rules, "BOB@x"), RuleMatch::NoMatch);
        assert!(matches!(
            eval_rules(&rules, "bob@x"),
            RuleMatch::Matched { line: 2, .. }
        ));
    }

    #[test]
    fn other_delimiters() {
        let (rules, bad) = parse_rules("#comment\n|^a/b@| x\n");
        assert!(bad.is_empty());
        assert!(matches!(
            eval_rules(&rules, "a/b@c"),
            RuleMatch::Matched { .. }
        ));
    }

    proptest! {
        #[test]
        fn hostile_tables_never_panic(s in any::<String>()) {
            let (e, _) = parse_table(&s);
            for x in &e {
                prop_assert!(!x.key.chars().any(crate::sanitize::is_unsafe_char));
                prop_assert!(!x.value.chars().any(crate::sanitize::is_unsafe_char));
            }
            let _ = parse_password_table(&s);
            let (r, _) = parse_rules(&s);
            let _ = eval_rules(&r, "a@b");
            let _ = parse_map_list(&s);
        }

        #[test]
        fn password_never_survives(user in "[a-zA-Z0-9]{1,12}", pw in "[a-zA-Z0-9/+]{16,40}") {
            let text = format!("[relay]:587 {user}:{pw}\n");
            let (e, _) = parse_password_table(&text);
            let dump = format!("{e:?}");
            prop_assert!(!dump.contains(&pw));
            prop_assert_eq!(e[0].user.as_str(), user.as_str());
        }
    }
}
