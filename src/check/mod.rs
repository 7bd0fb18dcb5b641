//! `opsdeck check`: read every configured source once and print a health
//! report for a monitoring system.
//!
//! Always read-only: it runs no action, holds no write-access token, and
//! ignores `read_only`/`--write`. Each feature contributes findings and
//! metrics through its own `check` function (see `collect`); this module
//! only combines them and writes the formats:
//!
//! - `text`: one line per finding, for a person.
//! - `nagios`: the plugin convention: `OPSDECK WARNING - worst problem (+N more)`,
//!   a line per problem, the perfdata after a `|` on the last one (multi-line form);
//!   exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
//! - `prometheus`: the text exposition format for node_exporter's textfile
//!   collector; every metric is named `opsdeck_*` with its unit in the name.
//! - `json`: the stable shape documented on [`JsonReport`].

pub mod collect;

use std::fmt::Write as _;

use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};

/// Arguments of `opsdeck check`.
#[derive(Clone, Debug, clap::Args)]
pub struct CheckArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Nagios,
    Prometheus,
}

/// Health, ordered so that the worst is the greatest; the discriminant is
/// the Nagios exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok = 0,
    Warning = 1,
    Unknown = 3,
    Critical = 2,
}

impl Status {
    pub fn exit_code(self) -> i32 {
        self as i32
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Severity for combining: CRITICAL > UNKNOWN > WARNING > OK, so a
    /// source that could not be read is never hidden by a warning, but a
    /// critical finding is not hidden by an unreadable source either.
    fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Unknown => 2,
            Status::Critical => 3,
        }
    }

    pub fn worst(a: Status, b: Status) -> Status {
        if b.rank() > a.rank() { b } else { a }
    }
}

/// One statement about the host.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// queue, failures, senders, ses, deploy, probe; configuration (or check) when the check
    /// could not run at all.
    pub area: String,
    pub status: Status,
    /// Plain words, already sanitized, whole: a program reading the JSON gets every word
    /// (the pieces of outside text in it are capped where they were read). The text and
    /// Nagios lines shorten a long one in its middle, keeping what to do.
    pub summary: String,
    /// The words the status line gives it, when shorter than the summary: what the problem
    /// means, without the evidence the finding's own line carries. Already sanitized.
    #[serde(skip)]
    pub lead: Option<String>,
}

/// One number, for perfdata and Prometheus.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metric {
    /// Without the `opsdeck_` prefix, unit in the name: `queue_messages`,
    /// `queue_oldest_age_seconds`.
    pub name: String,
    pub help: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Thresholds for Nagios perfdata (`;warn;crit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crit: Option<f64>,
}

impl Metric {
    pub fn new(name: &str, help: &str, value: f64) -> Metric {
        Metric {
            name: name.to_string(),
            help: help.to_string(),
            labels: Vec::new(),
            value,
            warn: None,
            crit: None,
        }
    }

    /// A label; its value passes the sanitize gate, as a finding's words do: it can be a name
    /// from the configuration or a reason a remote server gave, and the Prometheus file and
    /// the JSON end up on a terminal too (`cat`, `jq`).
    pub fn label(mut self, k: &str, v: &str) -> Metric {
        self.labels
            .push((k.to_string(), crate::sanitize::sanitize_capped(v, 200)));
        self
    }

    /// A label whose value is clean already (cut from a [`crate::sanitize::Clean`], as a pane
    /// shows it): cut, not escaped again, which would show the backslash of each escape doubled
    /// (a reason's ESC as `\\e`). Prometheus's own escaping of a backslash, quote and newline is
    /// added where the exposition is written, and read back off by its parser.
    pub fn label_clean(mut self, k: &str, v: impl Into<String>) -> Metric {
        self.labels.push((
            k.to_string(),
            crate::sanitize::Clean::joined(v.into())
                .cut(200)
                .into_string(),
        ));
        self
    }

    pub fn thresholds(mut self, warn: f64, crit: f64) -> Metric {
        self.warn = Some(warn);
        self.crit = Some(crit);
        self
    }
}

/// Everything one run found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub metrics: Vec<Metric>,
}

impl Report {
    /// A finding in words that hold outside text as it came (a name from the configuration, an
    /// error's text): sanitized here. Words joined from [`crate::sanitize::Clean`] pieces go
    /// through [`Report::finding_clean`].
    pub fn finding(&mut self, area: &str, status: Status, summary: impl Into<String>) {
        self.findings.push(Finding {
            area: area.to_string(),
            status,
            summary: crate::sanitize::sanitize_capped(&summary.into(), usize::MAX),
            lead: None,
        });
    }

    /// A finding whose words are clean already: joined from [`crate::sanitize::Clean`] pieces
    /// and opsdeck's own, as a pane shows them. It is not escaped again, which would show
    /// the backslash of each escape doubled (an ESC in a sender as `\\e`, read as a backslash
    /// that was in the address).
    pub fn finding_clean(&mut self, area: &str, status: Status, summary: impl Into<String>) {
        self.findings.push(Finding {
            area: area.to_string(),
            status,
            summary: summary.into(),
            lead: None,
        });
    }

    /// A finding whose first words (`lead`) are what the one-line summary says of it; its own
    /// line (text, the Nagios long output, JSON) says the whole `summary`.
    pub fn finding_led(
        &mut self,
        area: &str,
        status: Status,
        lead: impl Into<String>,
        summary: impl Into<String>,
    ) {
        self.finding(area, status, summary);
        if let Some(f) = self.findings.last_mut() {
            f.lead = Some(crate::sanitize::sanitize_capped(&lead.into(), usize::MAX));
        }
    }

    /// [`Report::finding_led`] for words that are clean already ([`Report::finding_clean`]).
    pub fn finding_led_clean(
        &mut self,
        area: &str,
        status: Status,
        lead: impl Into<String>,
        summary: impl Into<String>,
    ) {
        self.finding_clean(area, status, summary);
        if let Some(f) = self.findings.last_mut() {
            f.lead = Some(lead.into());
        }
    }

    pub fn metric(&mut self, m: Metric) {
        self.metrics.push(m);
    }

    /// The worst status of all findings (OK when there are none).
    pub fn status(&self) -> Status {
        self.findings
            .iter()
            .fold(Status::Ok, |acc, f| Status::worst(acc, f.status))
    }

    /// One line: the worst findings first.
    pub fn summary(&self) -> String {
        let worst = self.status();
        let bad: Vec<&Finding> = self.findings.iter().filter(|f| f.status == worst).collect();
        if worst == Status::Ok || bad.is_empty() {
            let areas: Vec<&str> = self.findings.iter().map(|f| f.area.as_str()).collect();
            let mut areas = areas;
            areas.dedup();
            return format!("all checks passed ({})", areas.join(", "));
        }
        let mut s: Vec<String> = bad
            .iter()
            .map(|f| format!("{}: {}", f.area, f.lead.as_ref().unwrap_or(&f.summary)))
            .collect();
        let others = self
            .findings
            .iter()
            .filter(|f| f.status != Status::Ok && f.status != worst)
            .count();
        if others > 0 {
            s.push(format!("{others} more problem(s)"));
        }
        s.join("; ")
    }

    /// Write the report in a format; returns the text.
    pub fn render(&self, format: Format, now: DateTime<Local>) -> String {
        match format {
            Format::Text => self.text(),
            Format::Nagios => self.nagios(),
            Format::Prometheus => self.prometheus(),
            Format::Json => {
                let j = JsonReport::new(self, now);
                let mut s = serde_json::to_string_pretty(&j)
                    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
                s.push('\n');
                s
            }
        }
    }

    fn text(&self) -> String {
        let mut out = format!("opsdeck check: {}\n", self.status().word());
        for f in &self.findings {
            let _ = writeln!(
                out,
                "{:<8} {:<9} {}",
                f.status.word(),
                f.area,
                shortened(&f.summary, LINE_CHARS)
            );
        }
        out
    }

    /// The plugin convention, for a person reading the alert on a phone: the first line is the
    /// status and the worst problem, cut to fit a notification, with how many more there are;
    /// then one line per problem, worst first; the perfdata after a `|` on the last of them
    /// (the plugins' multi-line form, which Nagios, Icinga and Naemon read), so that a long
    /// list of numbers neither pushes the problems off a small screen nor gets them cut by an
    /// output limit. When all is well, the one line carries the perfdata.
    fn nagios(&self) -> String {
        let bar = |s: &str| s.replace('|', "/");
        let status = self.status();
        let problems = self.problems();
        let mut out = format!("OPSDECK {} - {}", status.word(), bar(&self.headline()));
        let perf: Vec<String> = self.metrics.iter().map(perfdata).collect();
        let perf = (!perf.is_empty()).then(|| format!(" | {}", perf.join(" ")));
        if problems.is_empty() {
            out.push_str(perf.as_deref().unwrap_or_default());
            out.push('\n');
            return out;
        }
        for f in problems {
            let _ = write!(
                out,
                "\n{} {}: {}",
                f.status.word(),
                f.area,
                bar(&shortened(&f.summary, LINE_CHARS))
            );
        }
        out.push_str(perf.as_deref().unwrap_or_default());
        out.push('\n');
        out
    }

    /// The findings that are not OK, worst first (in area order among equals).
    fn problems(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.status != Status::Ok)
            .collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.status.rank()));
        v
    }

    /// The first line's words: the worst problem cut to fit a phone's notification, and how
    /// many more the lines below name; the summary when there is none.
    fn headline(&self) -> String {
        let problems = self.problems();
        let Some(first) = problems.first() else {
            return self.summary();
        };
        let more = match problems.len() - 1 {
            0 => String::new(),
            // "below": a probe target's own "(1 more problem)" may stand just before it
            n => format!(" (+{n} more below)"),
        };
        // a finding with a lead (a probe target: what its problems mean) says that alone here;
        // the line below it carries the evidence
        let said = first.lead.as_ref().unwrap_or(&first.summary);
        let area = format!("{}: ", first.area);
        let room = HEADLINE_WIDTH.saturating_sub(more.len() + area.chars().count());
        let words = area + &brief(said, room);
        words + &more
    }

    fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut metrics: Vec<&Metric> = self.metrics.iter().collect();
        metrics.sort_by(|a, b| a.name.cmp(&b.name));
        for m in metrics {
            let name = prom_name(&m.name);
            if !seen.contains(&m.name.as_str()) {
                seen.push(&m.name);
                let _ = writeln!(
                    out,
                    "# HELP opsdeck_{name} {}",
                    m.help.replace('\\', "\\\\").replace('\n', "\\n")
                );
                let _ = writeln!(out, "# TYPE opsdeck_{name} gauge");
            }
            let labels = if m.labels.is_empty() {
                String::new()
            } else {
                let l: Vec<String> = m
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{}=\"{}\"", prom_name(k), prom_escape(v)))
                    .collect();
                format!("{{{}}}", l.join(","))
            };
            let _ = writeln!(out, "opsdeck_{name}{labels} {}", prom_value(m.value));
        }
        // Each area's worst finding, so that an alert can say which part is failing.
        let mut areas: Vec<(&str, Status)> = Vec::new();
        for f in &self.findings {
            match areas.iter_mut().find(|(a, _)| *a == f.area) {
                Some((_, s)) => *s = Status::worst(*s, f.status),
                None => areas.push((&f.area, f.status)),
            }
        }
        areas.sort_by(|a, b| a.0.cmp(b.0));
        if !areas.is_empty() {
            let _ = writeln!(
                out,
                "# HELP opsdeck_check_area_status Worst finding of each area: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
            );
            let _ = writeln!(out, "# TYPE opsdeck_check_area_status gauge");
            for (area, status) in areas {
                let _ = writeln!(
                    out,
                    "opsdeck_check_area_status{{area=\"{}\"}} {}",
                    prom_escape(area),
                    status.exit_code()
                );
            }
        }
        // The overall status, as the Nagios code.
        let _ = writeln!(
            out,
            "# HELP opsdeck_check_status Overall status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."
        );
        let _ = writeln!(out, "# TYPE opsdeck_check_status gauge");
        let _ = writeln!(out, "opsdeck_check_status {}", self.status().exit_code());
        out
    }
}

/// `said` in at most `room` characters, for the first line: counts of nothing (`, 0 deferred`)
/// left out; when still too long, its `; `-parts kept whole while they fit, the ones after the
/// first without their window (`in the last day`: the line below says it), and of the first
/// that does not fit, the cause its opening words name in parentheses (`the latest bounce
/// (sender unverified): …` gives `(sender unverified)`), or else its first words; cut at a
/// space, with `...` (ASCII: a text message's alphabet has no ellipsis).
fn brief(said: &str, room: usize) -> String {
    let said = without_zero_counts(said);
    let len = |s: &str| s.chars().count();
    if len(&said) <= room {
        return said;
    }
    let room = room.saturating_sub(3);
    let mut out = String::new();
    for (i, part) in parts(&said).into_iter().enumerate() {
        if i == 0 {
            out = cut_at_space(part, room).to_string();
            if out.is_empty() {
                // one word longer than the line: cut in it
                out = part.chars().take(room).collect();
            }
            if out.len() < part.len() {
                break;
            }
            continue;
        }
        let part = part.find(" in the last ").map_or(part.to_string(), |at| {
            let rest = &part[at + " in the last ".len()..];
            let end = rest.find([' ', ',', ')', ':']).unwrap_or(rest.len());
            format!("{}{}", &part[..at], &rest[end..])
        });
        if len(&out) + 2 + len(&part) <= room {
            out = format!("{out}; {part}");
            continue;
        }
        // `the latest bounce (sender unverified): …`: its cause, when its opening words end
        // with one in parentheses
        let cause = part
            .split_once(": ")
            .and_then(|(opening, _)| opening.strip_suffix(')'))
            .and_then(|o| o.rfind(" (").map(|a| &o[a + 1..]))
            .map(|c| format!("{c})"));
        match cause {
            Some(cause) if len(&out) + 1 + len(&cause) <= room => {
                out = format!("{out} {cause}");
            }
            // else its first words that fit
            _ => {
                let words = cut_at_space(&part, room.saturating_sub(len(&out) + 2));
                if !words.is_empty() {
                    out = format!("{out}; {words}");
                }
            }
        }
        break;
    }
    out + "..."
}

/// `s` without the counts of nothing a list of counts holds after its first (`1 bounced, 0
/// deferred` says `1 bounced`).
fn without_zero_counts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(", 0 ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + ", 0 ".len()..];
        let word = after
            .find(|c: char| !c.is_alphanumeric() && c != '(' && c != ')')
            .unwrap_or(after.len());
        if word == 0 {
            out.push_str(", 0 ");
        }
        rest = &after[word..];
    }
    out.push_str(rest);
    out
}

/// `s`'s `; `-separated parts, outside parentheses.
fn parts(s: &str) -> Vec<&str> {
    let mut v = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth <= 0 && s[i..].starts_with("; ") => {
                v.push(&s[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    v.push(&s[start..]);
    v
}

/// `s` cut to at most `room` characters at its last space that fits (empty without one).
fn cut_at_space(s: &str, room: usize) -> &str {
    let Some((end, _)) = s.char_indices().nth(room) else {
        return s;
    };
    match s[..end].rfind(' ') {
        Some(sp) => s[..sp].trim_end_matches([',', ';', ':']),
        None => "",
    }
}

/// How long a finding's line may be in the text and the Nagios long output, in characters:
/// a person reads it, and a monitoring system keeps a limited output per check.
const LINE_CHARS: usize = 500;

/// `s` in at most about `max` characters: whole when it fits; else its end kept whole (the
/// part from `; what to do`, or its last `; ` part: the remedy a person acts on) and its middle
/// cut at a space, said with `…[+N chars]`. The text is clean already: it is cut at spaces
/// only, never inside an escape.
fn shortened(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let tail_at = s
        .rfind("; what to do")
        .or_else(|| s.rfind("; "))
        .unwrap_or(s.len());
    let mut tail = &s[tail_at..];
    if tail.chars().count() > max / 2 {
        // an end too long to keep whole: its last words
        let from = tail
            .char_indices()
            .rev()
            .nth(max / 2 - 1)
            .map_or(0, |(i, _)| i);
        tail = tail[from..]
            .find(' ')
            .map_or(&tail[from..], |sp| &tail[from + sp..]);
    }
    let tail_n = tail.chars().count();
    // room for the marker: " …[+NNNNNNN chars]"
    let room = max.saturating_sub(tail_n + 18);
    let head_end = s.char_indices().nth(room).map_or(s.len(), |(i, _)| i);
    let head = &s[..head_end.min(tail_at)];
    let head = match head.rfind(' ') {
        Some(sp) if sp > 0 => head[..sp].trim_end_matches([',', ';', ':']),
        _ => head,
    };
    let cut = n - head.chars().count() - tail_n;
    format!("{head} …[+{cut} chars]{tail}")
}

/// How wide the first line's words may be: with `OPSDECK CRITICAL - ` in front, the line fits
/// the 160 characters a text message or a lock-screen notification shows.
const HEADLINE_WIDTH: usize = 140;

fn prom_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn prom_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn prom_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn perfdata(m: &Metric) -> String {
    // label: name plus label values; quoted because it may hold dots.
    let mut label = m.name.clone();
    for (_, v) in &m.labels {
        label.push('_');
        label.push_str(&prom_name(v));
    }
    let uom = if m.name.ends_with("_seconds") {
        "s"
    } else if m.name.ends_with("_bytes") {
        "B"
    } else {
        ""
    };
    let t = |x: Option<f64>| x.map(nagios_range).unwrap_or_default();
    format!(
        "'{label}'={}{uom};{};{};0;",
        prom_value(m.value),
        t(m.warn),
        t(m.crit)
    )
}

/// A threshold as perfdata writes it. opsdeck's thresholds are reached at their value (50
/// messages with `queue_warn = 50` is a WARNING); a plugin's perfdata threshold is a range, and
/// a plain `N` alerts only above it (the plugin guidelines: outside 0..N). A whole threshold on
/// these whole counts and seconds is written one less, so that a grapher or a rule reading the
/// perfdata alerts where the check does (one failing sender with `;1;1` would read as fine).
fn nagios_range(t: f64) -> String {
    if t.fract() == 0.0 && t >= 1.0 {
        prom_value(t - 1.0)
    } else {
        prom_value(t)
    }
}

/// The `--format json` document. Stable: fields are only ever added.
///
/// Also printed by `opsdeck check --help`:
///
#[doc = concat!("```text\n", include_str!("check_json.txt"), "```")]
#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub version: u32,
    pub status: Status,
    pub exit_code: i32,
    pub summary: String,
    pub checked_at: String,
    pub findings: Vec<Finding>,
    pub metrics: Vec<JsonMetric>,
}

#[derive(Debug, Serialize)]
pub struct JsonMetric {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crit: Option<f64>,
}

impl JsonReport {
    pub fn new(r: &Report, now: DateTime<Local>) -> JsonReport {
        JsonReport {
            version: 1,
            status: r.status(),
            exit_code: r.status().exit_code(),
            summary: r.summary(),
            checked_at: now.to_rfc3339(),
            findings: r.findings.clone(),
            metrics: r
                .metrics
                .iter()
                .map(|m| JsonMetric {
                    name: format!("opsdeck_{}", prom_name(&m.name)),
                    labels: m.labels.iter().cloned().collect(),
                    value: m.value,
                    warn: m.warn,
                    crit: m.crit,
                })
                .collect(),
        }
    }
}

/// Thresholds for `opsdeck check`, the `[check]` section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// Messages in the queue (all queues) for WARNING / CRITICAL.
    pub queue_warn: u64,
    pub queue_crit: u64,
    /// Age of the oldest queued message, in seconds.
    pub oldest_warn_secs: u64,
    pub oldest_crit_secs: u64,
    /// The window failures are counted in, in seconds.
    pub failure_window_secs: u64,
    /// Failed deliveries (bounced, deferred, expired) in the window.
    pub failures_warn: u64,
    pub failures_crit: u64,
    /// Days before certificate expiry.
    pub cert_warn_days: i64,
    pub cert_crit_days: i64,
    /// Commits the deploy checkout may lag behind its upstream before WARNING.
    pub behind_warn: u64,
    /// Seconds without a new line in the mail log before WARNING (Postfix or the syslog
    /// daemon stopped writing it); 0: not graded (a host may well send nothing for hours).
    pub log_quiet_warn_secs: u64,
    /// Seconds the probe's part may take: a target still waiting then is CRITICAL as too slow,
    /// and the other areas still report, within the monitoring system's own timeout
    /// (check_nrpe's default is 10 s).
    pub probe_deadline_secs: u64,
    /// Seconds one read of a local source may take (a `postqueue -j`, a checkout, the relay
    /// setup), when shorter than `deadline_secs`: past it the source is UNKNOWN, named, its
    /// command stopped, and the check still ends (a read on a hung file system would otherwise
    /// hold it for ever).
    pub read_timeout_secs: u64,
    /// Seconds every read may take from the start of the check: the mail log's failure window,
    /// the senders' day of log, SES, the local sources. A log read still going then stops, its
    /// counts cover what it read and an UNKNOWN finding names the file and how far it got; an
    /// SES region or a local source that has not answered is UNKNOWN. With
    /// `probe_deadline_secs`, what keeps the check inside the monitoring system's own timeout.
    pub deadline_secs: u64,
    /// When this run of the check started, set by `opsdeck check` before it reads anything;
    /// every limit counts from it. Not a setting: None in a parsed configuration, and then each
    /// read counts from its own start.
    #[serde(skip)]
    pub started: Option<std::time::Instant>,
}

impl Default for CheckConfig {
    fn default() -> CheckConfig {
        CheckConfig {
            queue_warn: 50,
            queue_crit: 500,
            oldest_warn_secs: 3600,
            oldest_crit_secs: 6 * 3600,
            failure_window_secs: 3600,
            failures_warn: 1,
            failures_crit: 50,
            cert_warn_days: 21,
            cert_crit_days: 7,
            behind_warn: 1,
            log_quiet_warn_secs: 0,
            probe_deadline_secs: 8,
            read_timeout_secs: 30,
            deadline_secs: 8,
            started: None,
        }
    }
}

impl CheckConfig {
    /// [`CheckConfig::read_timeout_secs`] as a duration.
    pub fn read_limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.read_timeout_secs.max(1))
    }

    /// `limit` after the check started ([`CheckConfig::started`]), or after now.
    pub fn after_start(&self, limit: std::time::Duration) -> std::time::Instant {
        self.started.unwrap_or_else(std::time::Instant::now) + limit
    }

    /// [`CheckConfig::deadline_secs`] as a duration.
    pub fn deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.deadline_secs.max(1))
    }

    /// How long the check waits for a local source (a `postqueue -j`, a checkout, postconf and
    /// the maps), and the setting that says so: the shorter of `read_timeout_secs` and
    /// `deadline_secs`, so that a hung one is named before the monitoring system's own timeout.
    pub fn local_limit(&self) -> (std::time::Duration, &'static str) {
        if self.read_limit() < self.deadline() {
            (self.read_limit(), "read_timeout_secs")
        } else {
            (self.deadline(), "deadline_secs")
        }
    }
}

/// The words of a local read the check stopped: `postqueue -j gave no answer in 8 s ([check]
/// deadline_secs)`.
pub fn no_answer(what: &str, limit: (std::time::Duration, &str)) -> String {
    format!(
        "{what} gave no answer in {} s ([check] {})",
        limit.0.as_secs(),
        limit.1
    )
}

/// Grade a number against WARNING/CRITICAL thresholds (higher is worse).
pub fn grade(value: u64, warn: u64, crit: u64) -> Status {
    if value >= crit {
        Status::Critical
    } else if value >= warn {
        Status::Warning
    } else {
        Status::Ok
    }
}

/// Run `opsdeck check`: returns the exit status (Nagios convention).
pub fn run(args: CheckArgs, config: &crate::config::Config) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return unknown(
                args.format,
                "check",
                &format!("cannot start the runtime: {e}"),
            );
        }
    };
    // what this process had before the check started anything is not the check's to end
    let inherited = crate::child::Children::now();
    let mut config = config.clone();
    let started = std::time::Instant::now();
    config.check.started = Some(started);
    let report = rt.block_on(async {
        // before anything is started: from now on SIGTERM and SIGINT end the check, not the
        // process
        let stop = stopped_by();
        tokio::select! {
            report = collect::collect(&config) => report,
            signal = stop => {
                // The reads end here (dropped, they stop the commands they run); a command
                // run on a blocking thread, and whatever a command started, are ended next:
                // each runs in a session of its own, which the signal did not reach.
                crate::child::end_children(&inherited);
                stopped_report(signal, started.elapsed())
            }
        }
    });
    // a read given up on may still be blocked in the kernel: the report does not wait for it
    rt.shutdown_background();
    emit(
        &report.render(args.format, Local::now()),
        report.status().exit_code(),
    )
}

/// The name of the first of SIGTERM (a monitoring system's own timeout) and SIGINT (Ctrl-C)
/// to come. Their handlers are installed when this is called; one that cannot be is never
/// waited for.
fn stopped_by() -> impl std::future::Future<Output = &'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok();
    let mut int = signal(SignalKind::interrupt()).ok();
    async move {
        let term = async {
            match term.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        let int = async {
            match int.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term => "SIGTERM",
            _ = int => "SIGINT",
        }
    }
}

/// The report of a check stopped by `signal` after `after`: UNKNOWN, for what it had read is
/// not all there is.
fn stopped_report(signal: &str, after: std::time::Duration) -> Report {
    unknown_report(
        "check",
        &format!(
            "stopped by {signal} after {:.1} s, before every source was read: the host's state \
             is not known (the commands it had started were ended)",
            after.as_secs_f64()
        ),
    )
}

/// When the check cannot run at all (a broken configuration): one UNKNOWN finding in `area`,
/// printed in the requested format like any report (so that a `.prom` file or a JSON reader
/// still gets a document it can read); returns the exit status, 3.
pub fn unknown(format: Format, area: &str, message: &str) -> i32 {
    emit(
        &unknown_report(area, message).render(format, Local::now()),
        Status::Unknown.exit_code(),
    )
}

fn unknown_report(area: &str, message: &str) -> Report {
    let mut r = Report::default();
    r.finding(area, Status::Unknown, message);
    r
}

/// Print a rendered report on standard output and return `code`, the exit status. A reader
/// that went away (`| head`, `| true`) is not an error: the status stands. Any other write
/// failure (a full disk under `> file.prom`) is said in one line on standard error and the
/// status is UNKNOWN, so that a monitoring system does not take an empty or cut report for a
/// result.
pub fn emit(out: &str, code: i32) -> i32 {
    emit_to(
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
        out,
        code,
    )
}

fn emit_to(
    out: &mut impl std::io::Write,
    err: &mut impl std::io::Write,
    text: &str,
    code: i32,
) -> i32 {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            // Standard error may be gone too: nothing more can be said then.
            let _ = writeln!(
                err,
                "opsdeck check: cannot write the report to standard output: {e}"
            );
            Status::Unknown.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> Report {
        let mut r = Report::default();
        r.finding(
            "queue",
            Status::Warning,
            "57 messages queued (warning at 50)",
        );
        r.finding("deploy", Status::Ok, "site: at origin/main");
        r.metric(
            Metric::new("queue_messages", "Messages in the queue.", 57.0)
                .label("queue", "deferred")
                .thresholds(50.0, 500.0),
        );
        r.metric(Metric::new(
            "queue_oldest_age_seconds",
            "Age of the oldest message.",
            7200.0,
        ));
        r
    }

    fn now() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap()
    }

    #[test]
    fn worst_status_wins_and_maps_to_exit_codes() {
        let mut r = sample();
        assert_eq!(r.status(), Status::Warning);
        assert_eq!(r.status().exit_code(), 1);
        r.finding("senders", Status::Unknown, "SES: no credentials");
        assert_eq!(r.status(), Status::Unknown);
        assert_eq!(r.status().exit_code(), 3);
        r.finding("probe", Status::Critical, "certificate expires in 2 days");
        assert_eq!(r.status().exit_code(), 2);
        assert_eq!(Report::default().status(), Status::Ok);
    }

    /// A plugin's output as Nagios reads it: the first line's text, the long output's lines,
    /// and the perfdata items, from the first line after its `|` and from the long output after
    /// its first `|`, to the end.
    pub(crate) fn nagios_parts(out: &str) -> (String, Vec<String>, Vec<String>) {
        let mut lines = out.lines();
        let first = lines.next().unwrap_or_default();
        let (text, perf) = first.split_once('|').unwrap_or((first, ""));
        let mut perf: Vec<String> = perf.split_whitespace().map(String::from).collect();
        let mut long = Vec::new();
        let mut in_perf = false;
        for line in lines {
            if in_perf {
                perf.extend(line.split_whitespace().map(String::from));
            } else if let Some((t, p)) = line.split_once('|') {
                long.push(t.trim_end().to_string());
                perf.extend(p.split_whitespace().map(String::from));
                in_perf = true;
            } else {
                long.push(line.to_string());
            }
        }
        (text.trim_end().to_string(), long, perf)
    }

    /// Does a plugin's plain range threshold `N` (or `N` with a fraction) alert for `v`? Above
    /// it, or below 0 (the plugin guidelines).
    fn range_alerts(range: &str, v: f64) -> bool {
        let n: f64 = range.parse().unwrap();
        v > n || v < 0.0
    }

    #[test]
    fn perfdata_thresholds_alert_where_the_check_does() {
        // a threshold is reached at its value: the perfdata's ranges must say the same to a
        // grapher or a rule that reads them, at the threshold and on each side of it
        for (warn, crit) in [(1u64, 1u64), (50, 500), (1, 50), (3600, 21600)] {
            for v in [0, warn - 1, warn, warn + 1, crit - 1, crit, crit + 1] {
                let m = Metric::new("senders_failing", "h", v as f64)
                    .thresholds(warn as f64, crit as f64);
                let p = perfdata(&m);
                let fields: Vec<&str> = p.split_once('=').unwrap().1.split(';').collect();
                assert_eq!(
                    range_alerts(fields[1], v as f64),
                    grade(v, warn, crit) != Status::Ok,
                    "warn at {warn}, value {v}: {p}"
                );
                assert_eq!(
                    range_alerts(fields[2], v as f64),
                    grade(v, warn, crit) == Status::Critical,
                    "crit at {crit}, value {v}: {p}"
                );
            }
        }
        // one failing sender is CRITICAL, and its perfdata says so
        let m = Metric::new("senders_failing", "h", 1.0).thresholds(1.0, 1.0);
        assert_eq!(perfdata(&m), "'senders_failing'=1;0;0;0;");
        // a share keeps its fraction
        let m = Metric::new("ses_quota_used_ratio", "h", 0.5).thresholds(0.8, 0.95);
        assert_eq!(perfdata(&m), "'ses_quota_used_ratio'=0.5;0.8;0.95;0;");
    }

    #[test]
    fn nagios_line_has_summary_and_perfdata() {
        let out = sample().render(Format::Nagios, now());
        let (first, long, perf) = nagios_parts(&out);
        assert_eq!(
            first,
            "OPSDECK WARNING - queue: 57 messages queued (warning at 50)"
        );
        assert_eq!(long, ["WARNING queue: 57 messages queued (warning at 50)"]);
        assert_eq!(
            perf,
            [
                "'queue_messages_deferred'=57;49;499;0;",
                "'queue_oldest_age_seconds'=7200s;;;0;"
            ]
        );
        // all well: one line, with its perfdata
        let mut r = sample();
        r.findings.retain(|f| f.status == Status::Ok);
        let out = r.render(Format::Nagios, now());
        assert_eq!(
            out,
            "OPSDECK OK - all checks passed (deploy) | 'queue_messages_deferred'=57;49;499;0; \
             'queue_oldest_age_seconds'=7200s;;;0;\n"
        );
    }

    #[test]
    fn nagios_first_line_names_the_worst_problem_briefly_and_perfdata_comes_last() {
        let mut r = sample();
        r.finding(
            "deploy",
            Status::Unknown,
            "site: reading the work tree gave no answer in 8 s",
        );
        let long_words = format!("www: certificate expires in 2 days; {}", "x".repeat(300));
        r.finding("probe", Status::Critical, long_words.clone());
        for n in 0..40 {
            r.metric(Metric::new(&format!("extra_{n}"), "h", n as f64));
        }
        let out = r.render(Format::Nagios, now());
        let first = out.lines().next().unwrap();
        // the worst first, cut to fit a notification, with how many more there are
        assert!(
            first.starts_with("OPSDECK CRITICAL - probe: www: certificate expires in 2 days"),
            "{first}"
        );
        // cut at a word: the word of x's too long for the line is left out whole
        assert!(first.ends_with("in 2 days... (+2 more below)"), "{first}");
        assert!(first.chars().count() <= 160, "{first}");
        assert!(
            !first.contains('|'),
            "no perfdata on a line a phone shows: {first}"
        );
        let (_, long, perf) = nagios_parts(&out);
        // every problem in full, worst first
        assert_eq!(
            long,
            [
                format!("CRITICAL probe: {long_words}"),
                "UNKNOWN deploy: site: reading the work tree gave no answer in 8 s".to_string(),
                "WARNING queue: 57 messages queued (warning at 50)".to_string(),
            ]
        );
        // and every number, after the problems
        assert_eq!(perf.len(), r.metrics.len(), "{out}");
        assert_eq!(perf[2], "'extra_0'=0;;;0;");
    }

    #[test]
    fn nagios_first_line_keeps_the_cause_drops_counts_of_nothing_and_cuts_at_a_word() {
        let mut r = Report::default();
        r.finding(
            "senders",
            Status::Critical,
            "3 of 5 senders failing, 1 with warnings; worst: MAILER-DAEMON: 1 bounce notice(s) \
             bounced, 0 deferred in the last day; the latest bounce (sender unverified): Amazon \
             SES refused the message because the sender address (or its domain) is not a \
             verified identity in that region; no notice delivered since: the sender of the \
             next failed mail is not told either; what to do: Verify the sender address or its \
             domain in SES in the region named, or route this sender elsewhere (Senders pane).",
        );
        for n in 0..2 {
            r.finding("deploy", Status::Warning, format!("site{n}: behind"));
        }
        let out = r.render(Format::Nagios, now());
        let first = out.lines().next().unwrap();
        assert_eq!(
            first,
            "OPSDECK CRITICAL - senders: 3 of 5 senders failing, 1 with warnings; worst: \
             MAILER-DAEMON: 1 bounce notice(s) bounced (sender unverified)... (+2 more below)"
        );
        // a short one keeps its words, less its counts of nothing
        let mut r = Report::default();
        r.finding(
            "failures",
            Status::Warning,
            "2 bounced, 0 deferred, 1 expired; 0 sent",
        );
        let first = r.render(Format::Nagios, now());
        assert_eq!(
            first.lines().next().unwrap(),
            "OPSDECK WARNING - failures: 2 bounced, 1 expired; 0 sent"
        );
        // one long clause: cut at a space, not in a word
        let mut r = Report::default();
        let words = "the checkout holds an unfinished operation ".repeat(8);
        r.finding("deploy", Status::Critical, words.trim_end());
        let out = r.render(Format::Nagios, now());
        let first = out.lines().next().unwrap();
        assert!(first.ends_with(" operation..."), "{first}");
        assert!(first.chars().count() <= 160, "{first}");
        // a part that does not fit and names no cause: its first words, not a "(s)" of it
        let mut r = Report::default();
        let ws = "w ".repeat(55);
        r.finding(
            "probe",
            Status::Critical,
            format!(
                "{}; certificate expires in 9 day(s) (warning at 21)",
                ws.trim_end()
            ),
        );
        let out = r.render(Format::Nagios, now());
        let first = out.lines().next().unwrap();
        assert!(first.ends_with(" w; certificate..."), "{first}");
    }

    #[test]
    fn nagios_summary_cannot_inject_perfdata() {
        let mut r = Report::default();
        r.finding("failures", Status::Critical, "reason a|b=1");
        let out = r.render(Format::Nagios, now());
        assert_eq!(out.lines().next().unwrap().matches('|').count(), 0);
    }

    #[test]
    fn prometheus_exposition() {
        let out = sample().render(Format::Prometheus, now());
        assert!(out.contains("# TYPE opsdeck_queue_messages gauge\nopsdeck_queue_messages{queue=\"deferred\"} 57\n"), "{out}");
        assert!(out.contains("opsdeck_queue_oldest_age_seconds 7200\n"));
        assert!(out.ends_with("opsdeck_check_status 1\n"));
        // which area is failing, worst finding first
        assert!(
            out.contains(
                "opsdeck_check_area_status{area=\"deploy\"} 0\nopsdeck_check_area_status{area=\"queue\"} 1\n"
            ),
            "{out}"
        );
        let mut r = sample();
        r.finding("queue", Status::Unknown, "postqueue: not found");
        let out = r.render(Format::Prometheus, now());
        assert!(
            out.contains("opsdeck_check_area_status{area=\"queue\"} 3\n"),
            "{out}"
        );
        // HELP/TYPE once per metric name
        assert_eq!(out.matches("# TYPE opsdeck_queue_messages ").count(), 1);
    }

    #[test]
    fn prometheus_escapes_label_values() {
        let mut r = Report::default();
        r.metric(Metric::new("x", "h", 1.0).label("reason", "a\"b\\c d"));
        let out = r.render(Format::Prometheus, now());
        assert!(out.contains(r#"opsdeck_x{reason="a\"b\\c d"} 1"#), "{out}");
    }

    #[test]
    fn label_values_reach_every_format_without_control_characters() {
        // A deploy target named with an escape sequence, a reason holding a C1 CSI and a
        // bidi override.
        let mut r = Report::default();
        r.finding("deploy", Status::Warning, "behind");
        r.metric(
            Metric::new("deploy_behind_commits", "h", 1.0)
                .label("target", "si\u{1b}]0;owned\u{7}te")
                .label("reason", "550 \u{9b}2J ex\u{202e}ample\nnext"),
        );
        for format in [
            Format::Prometheus,
            Format::Json,
            Format::Nagios,
            Format::Text,
        ] {
            let out = r.render(format, now());
            assert!(
                !out.chars()
                    .any(|c| c != '\n' && crate::sanitize::is_unsafe_char(c)),
                "{format:?}: {out:?}"
            );
        }
        let prom = r.render(Format::Prometheus, now());
        assert!(prom.contains(r#"target="si\\e]0;owned\\x07te""#), "{prom}");
        assert!(
            prom.contains(r#"reason="550 \\u{9b}2J ex\\u{202e}ample\\nnext""#),
            "{prom}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.render(Format::Json, now())).unwrap();
        assert_eq!(
            json["metrics"][0]["labels"]["target"],
            "si\\e]0;owned\\x07te"
        );
    }

    #[test]
    fn json_has_the_documented_shape() {
        let out = sample().render(Format::Json, now());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        // what --help documents is what is written, no key more or less
        let written: std::collections::BTreeSet<String> =
            v.as_object().unwrap().keys().cloned().collect();
        let documented = crate::cli::shape_keys(include_str!("check_json.txt"));
        assert!(documented.contains("exit_code") && documented.contains("metrics"));
        assert_eq!(written, documented, "check_json.txt against the document");
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "warning");
        assert_eq!(v["exit_code"], 1);
        assert_eq!(v["findings"][0]["area"], "queue");
        assert_eq!(v["metrics"][0]["name"], "opsdeck_queue_messages");
        assert_eq!(v["metrics"][0]["labels"]["queue"], "deferred");
        assert_eq!(v["metrics"][0]["warn"], 50.0);
        assert!(
            v["checked_at"]
                .as_str()
                .unwrap()
                .starts_with("2026-11-27T10:30:00")
        );
    }

    #[test]
    fn text_lists_every_finding() {
        let out = sample().render(Format::Text, now());
        assert_eq!(out.lines().next().unwrap(), "opsdeck check: WARNING");
        assert!(out.contains("WARNING  queue     57 messages"));
        assert!(out.contains("OK       deploy    site: at origin/main"));
    }

    #[test]
    fn a_long_finding_keeps_what_to_do_and_json_keeps_every_word() {
        let senders: Vec<String> = (0..60).map(|n| format!("app{n}@example.com")).collect();
        let remedy = "what to do (SES throttling): Wait for the retry, lower the sending rate \
                      of the application, or ask AWS for a higher sending quota (Senders pane).";
        let summary = format!(
            "{} senders throttled: {}; {remedy}",
            senders.len(),
            senders.join(", ")
        );
        assert!(summary.chars().count() > 1000);
        let mut r = Report::default();
        r.finding_clean("senders", Status::Warning, summary.clone());
        r.finding("failures", Status::Warning, summary.clone());
        for format in [Format::Text, Format::Nagios] {
            let out = r.render(format, now());
            for line in out.lines().skip(1) {
                // the remedy whole at the end, the list cut in its middle, at a word
                assert!(line.ends_with(remedy), "{format:?}: {line}");
                assert!(
                    line.chars().count() <= LINE_CHARS + 30,
                    "{format:?}: {line}"
                );
                assert!(
                    line.contains("60 senders throttled: app0@example.com, app1@example.com"),
                    "{line}"
                );
                assert!(
                    line.contains(".com …[+") && line.contains(" chars]; what to do"),
                    "{line}"
                );
            }
        }
        // a program reads every word, and no marker
        let v: serde_json::Value = serde_json::from_str(&r.render(Format::Json, now())).unwrap();
        assert_eq!(v["findings"][0]["summary"], summary.as_str());
        assert_eq!(v["findings"][1]["summary"], summary.as_str());
        assert!(!v["summary"].as_str().unwrap().contains("[+"), "{v}");
        // a short one stays as it is
        assert_eq!(shortened("a; what to do: x", 500), "a; what to do: x");
    }

    #[test]
    fn findings_are_sanitized() {
        let mut r = Report::default();
        r.finding("failures", Status::Warning, "from \u{1b}[31mevil");
        assert_eq!(r.findings[0].summary, "from \\e[31mevil");
    }

    #[test]
    fn a_check_that_cannot_run_is_unknown_in_every_format() {
        let r = unknown_report("configuration", "/etc/opsdeck/config.toml:2:1: unknown key");
        let out = r.render(Format::Nagios, now());
        assert_eq!(
            out.lines().next().unwrap(),
            "OPSDECK UNKNOWN - configuration: /etc/opsdeck/config.toml:2:1: unknown key"
        );
        let out = r.render(Format::Prometheus, now());
        assert_eq!(
            out,
            "# HELP opsdeck_check_area_status Worst finding of each area: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n\
             # TYPE opsdeck_check_area_status gauge\n\
             opsdeck_check_area_status{area=\"configuration\"} 3\n\
             # HELP opsdeck_check_status Overall status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n\
             # TYPE opsdeck_check_status gauge\n\
             opsdeck_check_status 3\n"
        );
        let v: serde_json::Value = serde_json::from_str(&r.render(Format::Json, now())).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "unknown");
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["findings"][0]["area"], "configuration");
        assert_eq!(v["findings"][0]["status"], "unknown");
        assert_eq!(
            v["findings"][0]["summary"],
            "/etc/opsdeck/config.toml:2:1: unknown key"
        );
        assert_eq!(v["metrics"], serde_json::json!([]));
        let out = r.render(Format::Text, now());
        assert!(out.starts_with("opsdeck check: UNKNOWN\n"), "{out}");
    }

    /// A writer that fails every write with `kind`.
    struct Failing(std::io::ErrorKind);

    impl std::io::Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(self.0))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from(self.0))
        }
    }

    #[test]
    fn a_closed_pipe_keeps_the_status_and_a_failed_write_is_unknown() {
        let mut err = Vec::new();
        let code = emit_to(
            &mut Failing(std::io::ErrorKind::BrokenPipe),
            &mut err,
            "x\n",
            1,
        );
        assert_eq!(code, 1);
        assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));

        let code = emit_to(
            &mut Failing(std::io::ErrorKind::StorageFull),
            &mut err,
            "x\n",
            0,
        );
        assert_eq!(code, 3);
        let err = String::from_utf8(err).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("opsdeck check: cannot write the report"),
            "{err}"
        );

        let mut out = Vec::new();
        assert_eq!(emit_to(&mut out, &mut Vec::new(), "report\n", 2), 2);
        assert_eq!(out, b"report\n");
    }

    #[test]
    fn grading() {
        assert_eq!(grade(0, 1, 50), Status::Ok);
        assert_eq!(grade(1, 1, 50), Status::Warning);
        assert_eq!(grade(50, 1, 50), Status::Critical);
    }
}
