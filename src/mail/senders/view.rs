//! Drawing the Senders pane: the overview tile (a summary and the worst
//! senders), the zoomed cross-check table, a sender's detail, the setup
//! warnings, and the test-mail trace and add-route panels.
//!
//! Pure: reads the pane's state and `ViewCx`, draws with theme roles only,
//! cuts text with an ellipsis. It never does I/O and has no way to reach a
//! password (the state holds none).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::pane::ViewCx;
use crate::ui::widgets::{self, Under, fit, pane_block, plural, truncate};

use super::actions::{RouteReport, Step};
use super::logscan::TraceStatus;
use super::model::{Route, SenderRow, Severity, Verdict};
use super::ses::AccountGrade;
use super::{RegionSes, SendersPane, SesState};
use crate::mail::log::classify::Category;
use crate::mail::log::classify::classify;
use crate::mail::log::parse::{Status, YearGuess, parse_line_ref};

fn sev_style(s: Severity, cx: &ViewCx<'_>) -> Style {
    match s {
        Severity::Error => cx.theme.error,
        Severity::Warn => cx.theme.warn,
        Severity::Info => cx.theme.accent,
        Severity::Ok => cx.theme.ok,
    }
}

fn marker(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✗",
        Severity::Warn => "!",
        Severity::Info => "i",
        Severity::Ok => "✓",
    }
}

fn line(text: impl Into<String>, width: usize, style: Style) -> Line<'static> {
    Line::from(Span::styled(truncate(&text.into(), width), style))
}

/// `1 identity`, `3 identities`.
fn identities(n: usize) -> String {
    if n == 1 {
        "1 identity".into()
    } else {
        format!("{n} identities")
    }
}

/// One line per SES region in use (or one saying why SES is not read).
fn ses_summary(p: &SendersPane) -> Vec<(String, Severity)> {
    let regions = match &p.ses {
        SesState::NotConfigured(why) => {
            // the reason says whether SES is used at all: "not configured" beside routes to SES
            // that are not read (switched off, or not yet) would be wrong
            return vec![(format!("SES: {why}"), Severity::Info)];
        }
        SesState::Regions(m) => m,
    };
    regions
        .iter()
        .map(|(region, state)| match state {
            RegionSes::Loading => (format!("SES {region}: reading..."), Severity::Info),
            RegionSes::Failed(e) => (
                format!(
                    "SES {region} not read: {}",
                    super::ses::error_words(region, e)
                ),
                Severity::Warn,
            ),
            RegionSes::Ready(s) => match &s.account {
                Ok(a) => {
                    let mode = if a.production {
                        "production"
                    } else {
                        "SANDBOX"
                    };
                    let sending = if a.sending_enabled {
                        ""
                    } else {
                        " · SENDING PAUSED"
                    };
                    let enforcement = if a.enforcement.eq_ignore_ascii_case("HEALTHY") {
                        String::new()
                    } else {
                        format!(" · enforcement {}", a.enforcement)
                    };
                    // past the quota SES refuses the mail: where it nears it, said first (a
                    // narrow line keeps it)
                    let (lead, sent) = match a.quota_used() {
                        Some(u) if u >= super::ses::QUOTA_WARN => (
                            format!(
                                "{:.0}% of the 24 h quota used ({:.0}/{:.0}) · ",
                                (u * 100.0).floor(),
                                a.sent_24h,
                                a.max_24h
                            ),
                            String::new(),
                        ),
                        _ => (
                            String::new(),
                            format!(" · {:.0}/{:.0} sent in 24 h", a.sent_24h, a.max_24h),
                        ),
                    };
                    (
                        format!(
                            "SES {region}: {lead}{mode}{sending}{enforcement} · {}{sent} · {:.0}/s",
                            identities(s.identities.len()),
                            a.max_rate
                        ),
                        match a.grade() {
                            AccountGrade::Ok => Severity::Ok,
                            AccountGrade::Warning => Severity::Warn,
                            AccountGrade::Critical => Severity::Error,
                        },
                    )
                }
                Err(_) => (
                    format!(
                        "SES {region}: {} · account not read",
                        identities(s.identities.len())
                    ),
                    Severity::Warn,
                ),
            },
        })
        .collect()
}

/// At most `max` SES lines, the worst regions first; when regions are left
/// out, the last line says how many.
fn ses_lines(p: &SendersPane, max: usize, w: usize, cx: &ViewCx<'_>) -> Vec<Line<'static>> {
    let max = max.max(1);
    let mut all = ses_summary(p);
    all.sort_by_key(|(_, sev)| std::cmp::Reverse(*sev));
    let n = all.len();
    let shown = if n > max { max - 1 } else { n };
    let mut out: Vec<Line<'static>> = all
        .into_iter()
        .take(shown)
        // what is wrong is marked as the senders' rows mark it
        .map(|(text, sev)| match sev {
            Severity::Error | Severity::Warn => {
                line(format!("{} {text}", marker(sev)), w, sev_style(sev, cx))
            }
            _ => line(text, w, sev_style(sev, cx)),
        })
        .collect();
    if n > shown {
        out.push(line(
            format!("+{} more SES regions: zoom the pane", n - shown),
            w,
            cx.theme.muted,
        ));
    }
    out
}

fn counts(rows: &[SenderRow]) -> (usize, usize) {
    let e = rows.iter().filter(|r| r.worst() == Severity::Error).count();
    let w = rows.iter().filter(|r| r.worst() == Severity::Warn).count();
    (e, w)
}

/// The pane, either as a tile or zoomed.
pub(super) fn render(p: &SendersPane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let title = match (&p.instance, p.filter.is_empty()) {
        (Some(i), true) => format!("Senders · {}", i.name),
        (Some(i), false) => format!("Senders · {} · /{}", i.name, p.filter),
        (None, _) => "Senders".into(),
    };
    let block = pane_block(&title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 4 || inner.height == 0 {
        return;
    }
    let w = inner.width as usize;
    if p.relay.is_none() {
        let mut lines = Vec::new();
        match (&p.relay_error, &p.instance) {
            // zoomed, the heading on a line of its own; on the overview's tile (two lines) the
            // reason follows it at once, so that its cause is not cut off
            (Some(e), _) if cx.zoomed => {
                lines.push(line("cannot read the relay setup:", w, cx.theme.error));
                for chunk in wrap(e, w) {
                    lines.push(line(chunk, w, cx.theme.text));
                }
            }
            (Some(e), _) => {
                let text = format!("cannot read the relay setup: {e}");
                for (i, chunk) in wrap(&text, w).iter().enumerate() {
                    let style = if i == 0 {
                        cx.theme.error
                    } else {
                        cx.theme.text
                    };
                    lines.push(line(chunk, w, style));
                }
            }
            (None, None) => lines.push(line(
                "not configured: no such [[postfix]] instance",
                w,
                cx.theme.warn,
            )),
            (None, Some(_)) => match p.stale_setup() {
                Some(slow) => {
                    for chunk in wrap(&slow, w) {
                        lines.push(line(chunk, w, cx.theme.warn));
                    }
                }
                None => lines.push(line("reading postconf and the maps...", w, cx.theme.muted)),
            },
        }
        // a test mail or a route edit in flight is shown even so
        if let Some(t) = &p.test {
            lines.push(trace_summary(p, t, w, cx));
        }
        if let Some(r) = &p.route {
            lines.push(line(
                format!("add route {} -> {}: {}", r.sender, r.relay, r.outcome),
                w,
                cx.theme.text,
            ));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    if cx.zoomed {
        render_zoomed(p, frame, inner, cx);
    } else {
        render_tile(p, frame, inner, cx);
    }
}

/// `s` in rows of `width` columns, broken at spaces (a word longer than a row keeps its row).
fn wrap(s: &str, width: usize) -> Vec<String> {
    hanging(s, width, 0)
}

/// `s` in rows of `width`, every row after the first `indent` columns narrower (it is indented).
fn hanging(s: &str, width: usize, indent: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let room = if out.is_empty() {
            width
        } else {
            width.saturating_sub(indent)
        };
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > room {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn render_tile(p: &SendersPane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let w = area.width as usize;
    let rows = &p.check.rows;
    let (e, wn) = counts(rows);
    let gl_err = p
        .check
        .global
        .iter()
        .filter(|v| v.severity >= Severity::Warn)
        .count();
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} sender{}", rows.len(), plural(rows.len())),
            cx.theme.text,
        ),
        Span::styled(" · ", cx.theme.muted),
        Span::styled(
            format!("{e} failing"),
            if e > 0 { cx.theme.error } else { cx.theme.ok },
        ),
        Span::styled(" · ", cx.theme.muted),
        Span::styled(
            format!("{wn} warning{}", plural(wn)),
            if wn > 0 {
                cx.theme.warn
            } else {
                cx.theme.muted
            },
        ),
        Span::styled(" · ", cx.theme.muted),
        Span::styled(
            format!("{gl_err} setup problem{}", plural(gl_err)),
            if gl_err > 0 {
                cx.theme.warn
            } else {
                cx.theme.muted
            },
        ),
    ])];
    if let Some(stale) = p.stale_setup() {
        lines.push(line(stale, w, cx.theme.warn));
    }
    lines.extend(ses_lines(p, 2, w, cx));
    if let Some(t) = &p.test {
        lines.push(trace_summary(p, t, w, cx));
    }
    let room = (area.height as usize).saturating_sub(lines.len());
    let mut problems: Vec<(Severity, String)> = p
        .check
        .global
        .iter()
        .filter(|v| v.severity >= Severity::Warn)
        .map(|v| (v.severity, v.text.clone()))
        .collect();
    for r in rows.iter().filter(|r| r.worst() >= Severity::Warn) {
        if let Some(h) = r.headline() {
            problems.push((h.severity, r.about(&h.text)));
        }
    }
    problems.sort_by_key(|p| std::cmp::Reverse(p.0));
    if problems.is_empty() && room > 0 {
        lines.push(line(
            "every sender routed, credentialed and verified",
            w,
            cx.theme.ok,
        ));
    }
    for (s, text) in problems.into_iter().take(room) {
        lines.push(verdict_line(s, &text, w, cx));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn trace_summary(p: &SendersPane, t: &super::TestMail, w: usize, cx: &ViewCx<'_>) -> Line<'static> {
    let (text, style) = trace_summary_text(p, t, false, cx);
    line(text, w, style)
}

/// What the test mail's summary line says, and in which style; `in_panel`, under the panel's
/// title that names sender and recipient, without them.
fn trace_summary_text(
    p: &SendersPane,
    t: &super::TestMail,
    in_panel: bool,
    cx: &ViewCx<'_>,
) -> (String, Style) {
    match (&t.submitted, &t.trace) {
        (None, _) => (
            format!("test mail from {}: submitting...", t.from),
            cx.theme.muted,
        ),
        (Some(Err(e)), _) => (format!("test mail not accepted: {e}"), cx.theme.error),
        (Some(Ok(s)), None) => (
            format!("test mail: {} (no queue id in the reply)", s.reply),
            cx.theme.warn,
        ),
        (Some(Ok(_)), Some(tr)) => {
            let (mut word, mut st) = status_words(&tr.status, cx);
            // accepted, and the log, readable, names nothing of it: not a slow Postfix but a
            // log Postfix does not write to, said instead of waiting on
            if (t.timed_out && t.silent_from().is_some()) || t.log_silent(cx.now) {
                let since = if t.timed_out {
                    "never named it; trace stopped"
                } else {
                    "has named nothing of it since"
                };
                word = format!(
                    "accepted at {}, but {} {since}: {}",
                    t.accepted.unwrap_or(t.started).format("%H:%M:%S"),
                    crate::sanitize::Clean::new(&p.trace_in),
                    p.trace_hint
                );
                st = cx.theme.warn;
            }
            // a log that cannot be read is why nothing moves: said first, not left to read as
            // a slow Postfix until the timeout
            let tail = match (&t.log_error, t.timed_out) {
                _ if tr.done => String::new(),
                (Some(e), timed_out) => {
                    st = cx.theme.error;
                    let stopped = if timed_out { "; trace stopped" } else { "" };
                    format!("; the log cannot be read: {e}{stopped}")
                }
                // said above: the log never named it
                (None, true) if t.silent_from().is_some() => String::new(),
                // still in the queue, as far as the log said: where to follow it from here
                (None, true) if in_panel => {
                    "; trace stopped before a final status (h: its log history)".to_string()
                }
                (None, true) => "; trace stopped before a final status".to_string(),
                (None, false) => String::new(),
            };
            let id = match &tr.requeued_as {
                Some(now) => format!("{} (requeued as {now})", tr.queue_id),
                None => tr.queue_id.clone(),
            };
            let text = if in_panel {
                format!("{id}: {word}{tail}")
            } else {
                format!("test mail {id} from {}: {word}{tail}", t.from)
            };
            (text, st)
        }
    }
}

fn status_words(s: &TraceStatus, cx: &ViewCx<'_>) -> (String, Style) {
    match s {
        TraceStatus::Queued => ("queued, waiting for the log".into(), cx.theme.muted),
        TraceStatus::Active => ("in the active queue".into(), cx.theme.accent),
        // where it went is what a test mail is sent to learn
        TraceStatus::Sent { relay, reply } if !relay.is_empty() => {
            (format!("sent via {relay} ({reply})"), cx.theme.ok)
        }
        TraceStatus::Sent { reply, .. } => (format!("sent ({reply})"), cx.theme.ok),
        TraceStatus::Deferred { dsn, reason } => {
            (format!("deferred {dsn}: {reason}"), cx.theme.warn)
        }
        TraceStatus::Bounced { dsn, reason } => {
            (format!("bounced {dsn}: {reason}"), cx.theme.error)
        }
    }
}

const NARROW: usize = 110;

fn render_zoomed(p: &SendersPane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let w = area.width as usize;
    let side = p.test.is_some() || p.route.is_some();
    let globals: Vec<&Verdict> = p.check.global.iter().collect();
    let ses_h = ses_summary(p).len().clamp(1, 3);
    let stale = p.stale_setup();
    let head_h = 1 + stale.is_some() as usize + ses_h;
    // a few rows for the setup findings; more when the table needs less than the rest
    let mut budget = 4.min(area.height as usize / 5);
    let panel_h: u16 = if side {
        let least = 8.min(area.height / 3).max(4);
        // an edit's report whole where it fits beside the header, three rows of the table and
        // the row that counts the setup findings (s shows them); shortened where it does not
        let test_h = if p.test.is_some() { 3 } else { 0 };
        let most = area
            .height
            .saturating_sub(u16::try_from(head_h + 3 + 1).unwrap_or(u16::MAX));
        // as tall as the report drawn in the most rows, no taller
        let rows = usize::from(most).saturating_sub(1 + test_h);
        let report = p
            .route
            .as_ref()
            .map_or(0, |r| 1 + route_lines(r, w, rows, cx).len() + test_h);
        let panel_h = least.max(u16::try_from(report).unwrap_or(u16::MAX).min(most));
        if p.route.is_some() {
            // the findings give way to the report, down to the row that counts them
            let left = (area.height as usize).saturating_sub(head_h + 3 + panel_h as usize);
            budget = budget.min(left.max(1));
        }
        panel_h
    } else {
        0
    };
    let table_view = !p.maps_view && !p.detail && !p.findings_view;
    if table_view {
        let need = table_rows(p, w).max(3);
        let room = (area.height as usize).saturating_sub(head_h + panel_h as usize);
        let free = room.saturating_sub(need);
        budget = budget.max(free);
        // the table keeps a few senders, and the row that says what it cannot show, before
        // the findings take rows
        let floor = table_floor(p, w);
        budget = budget.min(room.saturating_sub(floor));
        // a table of two rows a sender, cut to the pane, leaves an odd row empty under the row
        // that says what it cannot show: the findings take it
        let body = room.saturating_sub(budget);
        let two_rows = table_widths(p, &p.visible(), w).is_none();
        if two_rows && body < need && body > 3 && (body - 2) % 2 == 1 {
            budget += 1;
        }
    }
    // the findings' own view shows them in the body
    let gl = if p.findings_view {
        Vec::new()
    } else {
        global_lines(&globals, w, budget, cx)
    };
    // findings with no row of their own are counted on the table's last row
    let note = (table_view && gl.is_empty() && !globals.is_empty())
        .then(|| (globals.len(), findings_untold(globals.len())));
    let global_h = gl.len() as u16;
    let [head, body, glob, panel] = Layout::vertical([
        Constraint::Length(head_h as u16),
        Constraint::Min(3),
        Constraint::Length(global_h),
        Constraint::Length(panel_h),
    ])
    .areas(area);

    // header: the default relay, where the routes come from, and SES
    let snap = p.relay.as_ref();
    let maps = snap
        .map(|s| {
            let m: Vec<&str> = s
                .relay_maps
                .iter()
                .map(|m| m.spec.written.as_str())
                .collect();
            let rh = if s.settings.relayhost.is_empty() {
                "none (straight to each recipient's MX)"
            } else {
                s.settings.relayhost.as_str()
            };
            // the relay first: at 80 columns a long map path is what gets cut
            format!(
                "default relay: {rh} · routes: {}",
                if m.is_empty() {
                    "no sender map".to_string()
                } else {
                    m.join(", ")
                }
            )
        })
        .unwrap_or_default();
    let mut head_lines = vec![line(maps, w, cx.theme.muted)];
    if let Some(stale) = stale {
        head_lines.push(line(stale, w, cx.theme.warn));
    }
    head_lines.extend(ses_lines(p, ses_h, w, cx));
    frame.render_widget(Paragraph::new(head_lines), head);

    // a scrolled view says what it cannot show on the border, when it reaches it
    let under = if glob.height + panel.height == 0 {
        Under::Border
    } else {
        Under::Content
    };
    if p.findings_view {
        render_findings(p, frame, body, under, cx);
    } else if p.maps_view {
        render_maps(p, frame, body, under, cx);
    } else if p.detail {
        render_detail(p, frame, body, under, cx);
    } else {
        render_table(p, frame, body, note, cx);
    }

    frame.render_widget(Paragraph::new(gl), glob);

    if side {
        render_panel(p, frame, panel, cx);
    }
}

/// "the relay setup changed after it: ...": when a file of the relay setup as Postfix reads it
/// (main.cf, a compiled map) was written after the sender's latest problem, and no mail of the
/// sender has gone since to show whether the change fixed it.
fn changed_since(p: &SendersPane, o: &super::logscan::Outcomes, cx: &ViewCx<'_>) -> Option<String> {
    let at = o
        .last_problem_at
        .filter(|_| !o.delivered_since_problem)?
        .with_timezone(&chrono::Local);
    let (changed, file) = p.relay.as_ref()?.changed_at().filter(|(c, _)| *c > at)?;
    let when = |t: chrono::DateTime<chrono::Local>| {
        if t.date_naive() == cx.now.date_naive() {
            t.format("%H:%M").to_string()
        } else {
            t.format("%Y-%m-%d %H:%M").to_string()
        }
    };
    Some(format!(
        "the relay setup changed after it: {file} written at {}, the problem at {}; the route \
         above is the new one{}",
        when(changed),
        when(at),
        if cx.read_only {
            ""
        } else {
            " (t sends a test mail through it)"
        }
    ))
}

/// What one sender's table row shows, computed once for both layouts.
struct Cells<'a> {
    sev: Severity,
    sender: &'a str,
    route: String,
    creds: String,
    ses: String,
    /// `sent/deferred/bounced/lost/deleted`
    counts: String,
    headline: &'a str,
}

impl<'a> Cells<'a> {
    fn of(r: &'a SenderRow, counts_unknown: bool) -> Cells<'a> {
        let o = &r.outcomes;
        let counts = if counts_unknown {
            "?/?/?/?/?".to_string()
        } else {
            format!(
                "{}/{}/{}/{}/{}",
                o.sent, o.deferred, o.bounced, o.lost, o.deleted
            )
        };
        Cells {
            sev: r.worst(),
            sender: r.sender.as_str(),
            route: r.route.short(),
            creds: r.creds.short(),
            ses: r.ses.short(),
            counts,
            headline: r.headline().map(|v| v.text.as_str()).unwrap_or(""),
        }
    }
}

/// The pane-wide findings in at most `budget` rows: a row each, and the rows left over go to the
/// first findings, wrapped, so that what to do is not cut off when there is room for it. When
/// they do not all fit whole, the last row says so and names the key that shows them whole.
fn global_lines(
    globals: &[&Verdict],
    w: usize,
    budget: usize,
    cx: &ViewCx<'_>,
) -> Vec<Line<'static>> {
    let whole: usize = globals
        .iter()
        .map(|v| hanging(&v.text, w.saturating_sub(2), 0).len())
        .sum();
    if whole <= budget {
        return finding_rows(globals, w, budget, cx);
    }
    if budget == 0 {
        return Vec::new();
    }
    let mut out = finding_rows(globals, w, budget - 1, cx);
    let hidden = globals.len().saturating_sub(budget - 1);
    let n = globals.len();
    let text = if hidden == n {
        findings_untold(n)
    } else if hidden > 0 {
        format!(
            "+{hidden} more setup finding{} · s: all {n} whole, with what to do",
            plural(hidden)
        )
    } else {
        match n {
            1 => "cut to fit · s: the setup finding whole, with what to do".to_string(),
            n => format!("cut to fit · s: the {n} setup findings whole, with what to do"),
        }
    };
    out.push(Line::from(vec![
        Span::styled("  ", cx.theme.muted),
        Span::styled(truncate(&text, w.saturating_sub(2)), cx.theme.accent),
    ]));
    out
}

/// What the pane says of `n` setup findings none of which it has the rows to show.
fn findings_untold(n: usize) -> String {
    format!(
        "{n} setup finding{} · s: each whole, with what to do",
        plural(n)
    )
}

/// `✗ text`: each finding from its marker, in at most `budget` rows.
fn finding_rows(
    globals: &[&Verdict],
    w: usize,
    budget: usize,
    cx: &ViewCx<'_>,
) -> Vec<Line<'static>> {
    let mut spare = budget.saturating_sub(globals.len());
    let mut out = Vec::new();
    for v in globals.iter().take(budget) {
        let mut rows = hanging(&v.text, w.saturating_sub(2), 0);
        let room = 1 + spare;
        if rows.len() > room {
            // the last row takes the rest, cut where the width ends
            let rest = rows.split_off(room - 1).join(" ");
            rows.push(truncate(&rest, w.saturating_sub(2)));
        }
        spare -= rows.len() - 1;
        for (i, row) in rows.into_iter().enumerate() {
            let lead = if i == 0 {
                format!("{} ", marker(v.severity))
            } else {
                "  ".into()
            };
            out.push(Line::from(vec![
                Span::styled(lead, sev_style(v.severity, cx)),
                Span::styled(truncate(&row, w.saturating_sub(2)), cx.theme.text),
            ]));
        }
    }
    out
}

/// Every setup finding whole, wrapped under its marker, in the body: the pane scrolls.
fn render_findings(
    p: &SendersPane,
    frame: &mut Frame<'_>,
    area: Rect,
    under: Under,
    cx: &ViewCx<'_>,
) {
    let w = area.width as usize;
    let n = p.check.global.len();
    let mut lines = vec![line(
        format!(
            "{n} setup finding{}  (j/k scroll · s or Esc back)",
            plural(n)
        ),
        w,
        cx.theme.title,
    )];
    for v in &p.check.global {
        for (i, chunk) in wrap(&v.text, w.saturating_sub(2)).into_iter().enumerate() {
            let m = if i == 0 { marker(v.severity) } else { " " };
            lines.push(Line::from(vec![
                Span::styled(format!("{m} "), sev_style(v.severity, cx)),
                Span::styled(chunk, cx.theme.text),
            ]));
        }
    }
    p.findings_scroll
        .render(frame, lines, area, under, cx.theme.muted);
}

/// `✗ text`: a finding on one line, its marker in its severity's colour.
fn verdict_line(sev: Severity, text: &str, w: usize, cx: &ViewCx<'_>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{} ", marker(sev)), sev_style(sev, cx)),
        Span::styled(truncate(text, w.saturating_sub(2)), cx.theme.text),
    ])
}

/// The counts cell at `width`: whole or, when it cannot fit, "…". A count
/// cut mid-number would read as a smaller, valid count.
fn fit_counts(counts: &str, width: usize) -> String {
    if counts.width() <= width {
        fit(counts, width)
    } else {
        fit("…", width)
    }
}

/// The narrow layout's facts as columns (`ses · creds · counts`), each as wide on every row:
/// a cell cut to its own row's room would show the same credentials as `AK…` on one row and
/// `AKI…` on the next, and the counts would not stand under each other.
#[derive(Debug, Clone, Copy)]
struct NarrowColumns {
    ses: usize,
    creds: usize,
    /// 0: no room for the counts whole, and none are shown (a count cut mid-number reads as a
    /// smaller, valid count).
    counts: usize,
}

/// `·` between the narrow facts, with its spaces.
const FACT_SEP: &str = " · ";

/// The counts' name in the narrow header, and so the least width of its column.
const COUNTS_SHORT: &str = "S/D/B/L/DEL";

impl NarrowColumns {
    /// The columns for `cells` (every sender's, so the columns stay put while a filter is
    /// typed) in `width`: the counts as wide as the widest row's, never cut; the SES and
    /// credentials columns as wide as their widest cells, or, when both do not fit, sharing
    /// what is left, the narrower keeping what it needs up to half of it.
    fn of(cells: &[Cells<'_>], width: usize) -> NarrowColumns {
        let sep = FACT_SEP.width();
        let widest = |cell: fn(&Cells<'_>) -> usize, least: usize| {
            cells.iter().map(cell).max().unwrap_or(0).max(least)
        };
        let ses = widest(|c| c.ses.width(), "SES".len());
        let creds = widest(|c| c.creds.width(), "CREDS".len());
        let counts = widest(|c| c.counts.width(), COUNTS_SHORT.len());
        // each word column keeps at least a character and the ellipsis, and the counts a
        // blank after them, off the pane's border
        let (counts, room) = match width.checked_sub(counts + 2 * sep + 1) {
            Some(room) if room >= 4 => (counts, room),
            _ => (0, width.saturating_sub(sep)),
        };
        let (ses, creds) = if ses + creds <= room {
            (ses, creds)
        } else if ses <= room / 2 {
            (ses, room - ses)
        } else if creds <= room - room / 2 {
            (room - creds, creds)
        } else {
            (room / 2, room - room / 2)
        };
        NarrowColumns { ses, creds, counts }
    }

    /// One row's facts in `width`.
    fn row(&self, c: &Cells<'_>, width: usize) -> String {
        let words = format!(
            "{}{FACT_SEP}{}",
            fit(&c.ses, self.ses),
            fit(&c.creds, self.creds)
        );
        if self.counts == 0 {
            return fit(&words, width);
        }
        fit(&format!("{words}{FACT_SEP}{}", c.counts), width)
    }

    /// The header over the facts in `width`: the counts named in words where they fit, in the
    /// wide table's letters where they do not, so that the deleted count is named at 60
    /// columns.
    fn header(&self, width: usize) -> String {
        let creds = if self.creds >= "CREDENTIALS".len() {
            "CREDENTIALS"
        } else {
            "CREDS"
        };
        let words = format!(
            "{}{FACT_SEP}{}",
            fit("SES", self.ses),
            fit(creds, self.creds)
        );
        if self.counts == 0 {
            return fit(&words, width);
        }
        let room = width.saturating_sub(words.width() + FACT_SEP.width());
        let counts = [
            "SENT/DEFERRED/BOUNCED/LOST/DELETED",
            "SENT/DEFER/BOUNCE/LOST/DEL",
        ]
        .into_iter()
        .find(|h| h.width() <= room)
        .unwrap_or(COUNTS_SHORT);
        fit(&format!("{words}{FACT_SEP}{counts}"), width)
    }
}

/// Widths of the wide table's route and counts columns: the counts get what
/// their longest cell needs, the route gives way (down to `ROUTE_MIN`) so
/// that the verdict keeps some room. `None` when even that does not fit.
fn wide_widths(w: usize, counts_needed: usize) -> Option<(usize, usize)> {
    const ROUTE_MIN: usize = 16;
    const ROUTE_MAX: usize = 42;
    const VERDICT_MIN: usize = 24;
    let counts_w = counts_needed.max(11);
    // marker, sender, credentials, SES, counts, each with its space
    let fixed = 2 + 31 + 19 + 17 + counts_w + 1;
    let room = w.checked_sub(fixed + 1)?;
    if room < ROUTE_MIN {
        return None;
    }
    let route_w = room.saturating_sub(VERDICT_MIN).clamp(ROUTE_MIN, ROUTE_MAX);
    Some((route_w, counts_w))
}

/// The wide table's column widths at `w`, or `None` for the two-line layout.
fn table_widths(p: &SendersPane, rows: &[&SenderRow], w: usize) -> Option<(usize, usize)> {
    let counts_needed = rows
        .iter()
        .map(|r| Cells::of(r, p.check.counts_unknown).counts.width())
        .max()
        .unwrap_or(0);
    if w < NARROW {
        None
    } else {
        wide_widths(w, counts_needed)
    }
}

/// Rows the whole table takes at `w`: its header and every sender.
fn table_rows(p: &SendersPane, w: usize) -> usize {
    let rows = p.visible();
    let per_row = if table_widths(p, &rows, w).is_none() {
        2
    } else {
        1
    };
    1 + (rows.len() * per_row).max(1)
}

/// Rows the table keeps before the setup findings take any: its header, a few senders and the
/// row that says how many it cannot show.
fn table_floor(p: &SendersPane, w: usize) -> usize {
    let n = p.visible().len();
    let (per_row, few) = if table_widths(p, &p.visible(), w).is_none() {
        (2, 2)
    } else {
        (1, 3)
    };
    1 + (n.min(few) * per_row).max(1) + usize::from(n > few)
}

/// The table of senders, scrolled so that the selected one shows. When not every sender fits,
/// its last row says how many are below and above, and which the selected one is; `note` (the
/// number of setup findings with no row of their own, and what to say of them) follows on that
/// row.
fn render_table(
    p: &SendersPane,
    frame: &mut Frame<'_>,
    area: Rect,
    note: Option<(usize, String)>,
    cx: &ViewCx<'_>,
) {
    let w = area.width as usize;
    let rows = p.visible();
    let wide = table_widths(p, &rows, w);
    let narrow = wide.is_none();
    let (route_w, counts_w) = wide.unwrap_or((0, 0));
    let mut lines = Vec::new();
    let verdict_w;
    // the sender column as wide as its longest sender (up to 28): the room left goes to the
    // facts, which otherwise lose the SES and credentials words beside blank space (every
    // sender's, not the filtered ones': the columns stay put while a filter is typed)
    let sender_w = p
        .check
        .rows
        .iter()
        .map(|r| r.sender.width())
        .max()
        .unwrap_or(0)
        .clamp("SENDER".len(), 28);
    let facts_w = w.saturating_sub(sender_w + 3);
    let facts = narrow.then(|| {
        let cells: Vec<Cells<'_>> = p
            .check
            .rows
            .iter()
            .map(|r| Cells::of(r, p.check.counts_unknown))
            .collect();
        NarrowColumns::of(&cells, facts_w)
    });
    if let Some(facts) = &facts {
        // two lines per sender: the facts, then the verdict in full width
        lines.push(line(
            format!("  {} {}", fit("SENDER", sender_w), facts.header(facts_w)),
            w,
            cx.theme.header,
        ));
        verdict_w = w.saturating_sub(4);
    } else {
        let header = format!(
            "  {} {} {} {} {} VERDICT",
            fit("SENDER", 30),
            fit("ROUTE", route_w),
            fit("CREDENTIALS", 18),
            fit("SES", 16),
            fit("S/D/B/L/DEL", counts_w)
        );
        verdict_w = w.saturating_sub(header.chars().count() - "VERDICT".len());
        lines.push(line(header, w, cx.theme.header));
    }
    if rows.is_empty() {
        let msg = if p.filter.is_empty() {
            "no senders: the maps are empty and the log shows none"
        } else {
            "no sender matches the filter"
        };
        lines.push(line(msg, w, cx.theme.muted));
    }
    let per_row = if narrow { 2 } else { 1 };
    let body = (area.height as usize).saturating_sub(1);
    let cut = rows.len() * per_row > body.saturating_sub(usize::from(note.is_some()));
    let height = body.saturating_sub(usize::from(cut || note.is_some())) / per_row;
    let first = p.window.start(p.selected, height, rows.len());
    for (i, r) in rows.iter().enumerate().skip(first).take(height) {
        let c = Cells::of(r, p.check.counts_unknown);
        let selected = i == p.selected && cx.focused;
        let base = if selected {
            cx.theme.selection
        } else {
            cx.theme.text
        };
        let mark = Span::styled(format!("{} ", marker(c.sev)), sev_style(c.sev, cx));
        if let Some(facts) = &facts {
            lines.push(Line::from(vec![
                mark,
                Span::styled(
                    format!("{} {}", fit(c.sender, sender_w), facts.row(&c, facts_w)),
                    base,
                ),
            ]));
            lines.push(Line::from(vec![
                Span::styled("    ", base),
                Span::styled(fit(c.headline, verdict_w), sev_style(c.sev, cx)),
            ]));
        } else {
            let text = format!(
                "{} {} {} {} {} ",
                fit(c.sender, 30),
                fit(&c.route, route_w),
                fit(&c.creds, 18),
                fit(&c.ses, 16),
                fit_counts(&c.counts, counts_w)
            );
            lines.push(Line::from(vec![
                mark,
                Span::styled(text, base),
                Span::styled(
                    fit(c.headline, verdict_w),
                    if selected { base } else { sev_style(c.sev, cx) },
                ),
            ]));
        }
    }
    let mut said = Vec::new();
    if cut {
        let below = rows.len().saturating_sub(first + height);
        if below > 0 {
            said.push(format!("↓ {below} more"));
        }
        if first > 0 {
            said.push(format!("↑ {first} above"));
        }
        said.push(format!(
            "row {} of {}",
            p.selected.min(rows.len().saturating_sub(1)) + 1,
            rows.len()
        ));
    }
    if !said.is_empty() || note.is_some() {
        let said = said.join(" · ");
        let mut spans = vec![Span::styled(truncate(&said, w), cx.theme.muted)];
        if let Some((n, note)) = note {
            let lead = if said.is_empty() { "  " } else { " · " };
            let room = w.saturating_sub(said.width() + lead.width());
            // shortened rather than cut before the key that shows them
            let note = if note.width() > room {
                format!("{n} setup finding{} (s)", plural(n))
            } else {
                note
            };
            spans.push(Span::styled(lead, cx.theme.muted));
            spans.push(Span::styled(truncate(&note, room), cx.theme.accent));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_detail(
    p: &SendersPane,
    frame: &mut Frame<'_>,
    area: Rect,
    under: Under,
    cx: &ViewCx<'_>,
) {
    let w = area.width as usize;
    let rows = p.visible();
    let Some(r) = rows.get(p.selected) else {
        return;
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    // every fact whole, on as many rows as it takes: the pane scrolls (j/k, PgUp/PgDn)
    // a word no row holds (a map's long path) is broken where each row ends, the rows after
    // indented all the same
    let push = |lines: &mut Vec<Line<'static>>, text: String, style: Style| {
        lines.extend(crate::ui::widgets::hanging(vec![(text, style)], w, 2));
    };
    push(
        &mut lines,
        format!("{}  (j/k scroll · Esc back)", r.sender),
        cx.theme.title,
    );
    let seen: Vec<&str> = r
        .seen
        .iter()
        .map(|s| match s {
            super::model::Seen::Map => "relay map",
            super::model::Seen::Log => "mail log",
            super::model::Seen::Queue => "queue",
            super::model::Seen::Local => "local sender",
            super::model::Seen::Asked => "typed here",
        })
        .collect();
    push(
        &mut lines,
        format!("seen in:     {}", seen.join(", ")),
        cx.theme.text,
    );
    let route = match &r.route {
        Route::Map { relay, map, line } => format!("{relay}  ({map}, line {line})"),
        Route::Default { relay, dunno: None } => format!("{relay}  (relayhost: no map entry)"),
        Route::Default {
            relay,
            dunno: Some(at),
        } => format!("{relay}  (relayhost: DUNNO in {at})"),
        Route::Transport { relay, setting } => {
            format!("{relay}  ({setting}: the maps and relayhost are not used)")
        }
        Route::Direct => "direct to the recipient's MX (no relay)".into(),
        Route::Unknown { why } => format!("unknown: {why}"),
    };
    push(&mut lines, format!("route:       {route}"), cx.theme.text);
    push(
        &mut lines,
        format!("credentials: {} (user name only)", r.creds.short()),
        cx.theme.text,
    );
    let ses = match &r.ses {
        super::model::SesCheck::Status {
            status,
            identity,
            region,
        } => {
            format!("{} as {identity} in {region}", status.words())
        }
        super::model::SesCheck::NotFound { region } => {
            format!("no identity in {region} for the address or its domain")
        }
        super::model::SesCheck::NotSes => "not routed to SES".into(),
        super::model::SesCheck::Unknown => "depends on the sender's domain".into(),
        super::model::SesCheck::NotRead {
            region,
            failed: true,
        } => format!("not known: SES in {region} could not be read"),
        super::model::SesCheck::NotRead { region, .. } => {
            format!("not known: SES in {region} not read yet")
        }
        super::model::SesCheck::Off { region } => {
            format!("not checked in {region}: reading SES is switched off (senders.ses = false)")
        }
    };
    push(&mut lines, format!("SES:         {ses}"), cx.theme.text);
    if let Some(tls) = &r.tls {
        push(
            &mut lines,
            format!("encryption:  {}", tls.words()),
            if tls.is_problem() {
                cx.theme.warn
            } else {
                cx.theme.text
            },
        );
    }
    let o = &r.outcomes;
    if p.check.counts_unknown {
        push(
            &mut lines,
            "last day:    unknown, the mail log was not read".into(),
            cx.theme.warn,
        );
    } else {
        push(
            &mut lines,
            format!(
                "last day:    {} sent, {} deferred, {} bounced{}{}",
                o.sent,
                o.deferred,
                o.bounced,
                match (o.lost, o.lost_notices) {
                    (0, _) => String::new(),
                    (n, 0) => format!(", {n} lost"),
                    // the same messages as some of the bounced: said, or they read as more mail
                    (n, 1) => format!(", {n} lost (1 bounce notice failed)"),
                    (n, k) => format!(", {n} lost ({k} bounce notices failed)"),
                },
                if o.deleted > 0 {
                    format!(", {} deleted (postsuper -d)", o.deleted)
                } else {
                    String::new()
                }
            ),
            cx.theme.text,
        );
        // the notices' own failures are here; the mail nobody was told about is counted on the
        // rows of the senders it was from: named, or this row's lost count reads as all of it
        if r.sender.as_str() == "MAILER-DAEMON" {
            let whose: Vec<String> = p
                .check
                .rows
                .iter()
                .filter(|s| s.outcomes.lost_notices > 0)
                .map(|s| format!("{} ({})", s.sender, s.outcomes.lost_notices))
                .collect();
            if !whose.is_empty() {
                let shown = whose.len().min(3);
                let more = match whose.len() - shown {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                push(
                    &mut lines,
                    format!(
                        "its failed notices are lost mail of the senders they were for: {}{more}",
                        whose[..shown].join(", ")
                    ),
                    cx.theme.muted,
                );
            }
        }
    }
    let pane = p;
    if let Some(p) = &o.last_problem {
        let said = format!(
            "last problem ({}{}): {}",
            p.status.as_str(),
            if o.delivered_since_problem {
                ", mail delivered since"
            } else {
                ""
            },
            p.reason
        );
        // a fix for what no longer stops the sender's mail is not asked for (as its verdict
        // and opsdeck check name none)
        let fix = (!o.delivered_since_problem).then(|| format!("what to do: {}", p.cause.remedy()));
        for text in std::iter::once(said).chain(fix) {
            push(&mut lines, text, cx.theme.muted);
        }
        // the route above is the setup as read now: when it changed after the problem, the
        // problem happened under another one, and may be fixed (no mail has gone since to say)
        if let Some(said) = changed_since(pane, o, cx) {
            push(&mut lines, said, cx.theme.accent);
        }
        // the remedy speaks of this pane from elsewhere: here, its keys
        let bracketed = r
            .route
            .relay_text()
            .and_then(super::postconf::Relay::first_of)
            .filter(|relay| relay.bracketed);
        let here = match p.cause {
            // the null sender is neither routed by a or sent from by t: SES checks its notices
            // by MAILER-DAEMON@$myhostname, whose domain v offers to verify
            Category::SesSenderNotVerified
                if !cx.read_only && r.sender.as_str() == "MAILER-DAEMON" =>
            {
                let host = pane
                    .relay
                    .as_ref()
                    .map(|s| s.settings.myhostname.trim().to_string())
                    .filter(|h| !h.is_empty());
                Some(match host {
                    Some(h) => format!(
                        "here: v verifies {h} in SES, the domain it checks notices by \
                         (MAILER-DAEMON@{h})"
                    ),
                    None => "here: v verifies it in SES".to_string(),
                })
            }
            Category::SesSenderNotVerified if !cx.read_only => Some(
                "here: v verifies it in SES, a routes the sender elsewhere, t sends a test mail"
                    .to_string(),
            ),
            Category::SesCredentials => {
                Some("here: m shows the password map as read (user names only)".to_string())
            }
            // "use [host]:port" is done already: the name itself does not resolve here
            Category::Dns => bracketed.map(|relay| {
                format!(
                    "here: its route {} already skips the MX lookup: the name does not \
                     resolve on this host (getent hosts {} asks the same resolver)",
                    relay.written, relay.host
                )
            }),
            _ => None,
        };
        if let Some(h) = here.filter(|_| !o.delivered_since_problem) {
            push(&mut lines, h, cx.theme.accent);
        }
    }
    lines.push(Line::from(""));
    for v in &r.verdicts {
        for (i, chunk) in wrap(&v.text, w.saturating_sub(2)).into_iter().enumerate() {
            let m = if i == 0 { marker(v.severity) } else { " " };
            lines.push(Line::from(vec![
                Span::styled(format!("{m} "), sev_style(v.severity, cx)),
                Span::styled(chunk, cx.theme.text),
            ]));
        }
        // lost mail's verdict says what happened: what to do is the Failures pane's remedy
        // (the latest problem's is said once, under it above)
        let said_above = |fix: &str| {
            o.last_problem
                .as_ref()
                .is_some_and(|p| p.cause.remedy() == fix)
        };
        if let Some(fix) = v.remedy.filter(|f| !said_above(f)) {
            for chunk in wrap(&format!("what to do: {fix}"), w.saturating_sub(2)) {
                lines.push(Line::from(vec![
                    Span::raw("  "),
                    Span::styled(chunk, cx.theme.muted),
                ]));
            }
        }
    }
    p.detail_scroll
        .render(frame, lines, area, under, cx.theme.muted);
}

fn file_facts(f: &Option<super::source::FileFacts>, what: &str) -> String {
    match f {
        None => format!("{what}: missing"),
        Some(f) => format!(
            "{what} {:o} uid {}{}",
            f.mode,
            f.uid,
            f.modified
                .map(|m| format!(" {}", m.format("%m-%d %H:%M")))
                .unwrap_or_default()
        ),
    }
}

/// `  12  key  →  value`, or the value on a line of its own when both do not fit.
fn entry_lines(
    out: &mut Vec<Line<'static>>,
    no: usize,
    key: &str,
    value: &str,
    w: usize,
    cx: &ViewCx<'_>,
) {
    let one = format!("  {no:>4}  {key}  →  {value}");
    if one.chars().count() <= w {
        out.push(line(one, w, cx.theme.text));
    } else {
        out.push(line(format!("  {no:>4}  {key}"), w, cx.theme.text));
        out.push(line(format!("          →  {value}"), w, cx.theme.text));
    }
}

/// The maps as read: entries of indexed maps, rules of regexp/pcre maps,
/// user names of password maps (never a password: none is held).
fn render_maps(p: &SendersPane, frame: &mut Frame<'_>, area: Rect, under: Under, cx: &ViewCx<'_>) {
    use super::source::MapContent;
    let w = area.width as usize;
    let Some(snap) = &p.relay else { return };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let groups = [
        ("sender_dependent_relayhost_maps", &snap.relay_maps),
        ("smtp_sasl_password_maps", &snap.password_maps),
        ("smtp_tls_policy_maps", &snap.tls_policy_maps),
    ];
    for (param, maps) in groups {
        if maps.is_empty() {
            lines.push(line(format!("{param}: none"), w, cx.theme.muted));
            lines.push(Line::from(""));
        }
        for m in maps.iter() {
            // the map's name on a row of its own when both do not fit: it is what the view
            // is opened to read
            let head = format!("{param} = {}", m.spec.written);
            if head.chars().count() <= w {
                lines.push(line(head, w, cx.theme.title));
            } else {
                lines.push(line(format!("{param} ="), w, cx.theme.title));
                lines.push(line(format!("  {}", m.spec.written), w, cx.theme.title));
            }
            let stale = m.stale() || m.never_compiled();
            let mut facts = Vec::new();
            if stale {
                facts.push("run postmap".to_string());
            }
            facts.push(file_facts(&m.source, "source"));
            if let Some(suffix) = m.spec.kind.compiled_suffix() {
                facts.push(file_facts(&m.compiled, suffix));
            }
            let style = if stale {
                cx.theme.error
            } else {
                cx.theme.muted
            };
            // which of source and compiled map is newer is read from both: a row each when
            // one row cuts them
            let one = format!("  {}", facts.join(" · "));
            if one.chars().count() <= w {
                lines.push(line(one, w, style));
            } else {
                for f in facts {
                    lines.push(line(format!("  {f}"), w, style));
                }
            }
            if let Some(e) = &m.error {
                lines.push(line(format!("  {e}"), w, cx.theme.error));
            }
            match &m.content {
                MapContent::Table(entries) => {
                    for e in entries {
                        entry_lines(&mut lines, e.line, &e.key, &e.value, w, cx);
                    }
                }
                MapContent::Credentials(entries) => {
                    for e in entries {
                        let pw = if e.has_password {
                            "password set"
                        } else {
                            "NO PASSWORD"
                        };
                        let value = format!("user {} ({pw})", e.user);
                        entry_lines(&mut lines, e.line, &e.key, &value, w, cx);
                    }
                }
                MapContent::Rules(rules) => {
                    for r in rules {
                        let note = if r.compiled.is_none() && r.kind != super::maps::RuleKind::Endif
                        {
                            "   (pattern not evaluated here)"
                        } else {
                            ""
                        };
                        lines.push(line(
                            format!("  {:>4}  {}{note}", r.line, r.text),
                            w,
                            cx.theme.text,
                        ));
                    }
                }
                MapContent::NotRead => lines.push(line(
                    format!("  {} maps are not read by opsdeck", m.spec.type_name),
                    w,
                    cx.theme.muted,
                )),
            }
            for b in &m.bad_lines {
                lines.push(line(
                    format!("  {:>4}  ! {}: {}", b.line, b.why, b.text),
                    w,
                    cx.theme.warn,
                ));
            }
            lines.push(Line::from(""));
        }
    }
    p.maps_scroll
        .render(frame, lines, area, under, cx.theme.muted);
}

/// A log line of the trace without what the panel already says: the date, the host and the
/// queue id go, the time and the daemon stay (`07:33:53 smtp: to=<ops@example.net>,
/// relay=...`), so that at 80 columns the line shows what happened rather than its prefix. A
/// line not understood (`-- its bounce notification ...`) is shown as it is.
fn compact_trace_line(l: &str, cx: &ViewCx<'_>) -> String {
    let mut years = YearGuess::new(cx.now.date_naive());
    let Some(p) = parse_line_ref(l, &mut years, true) else {
        return l.to_string();
    };
    let head = match p.pid {
        Some(pid) => format!("{}[{pid}]: ", p.program),
        None => format!("{}: ", p.program),
    };
    let Some(at) = l.find(&head) else {
        return l.to_string();
    };
    let mut body = &l[at + head.len()..];
    if let Some(id) = &p.queue_id {
        body = body
            .strip_prefix(id.as_str())
            .and_then(|b| b.strip_prefix(": "))
            .unwrap_or(body);
    }
    format!("{} {}: {body}", p.time.format("%H:%M:%S"), p.daemon)
}

/// How far the add-route panel shortens the steps that went well to fit its rows (see
/// [`route_lines`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum GoodSteps {
    /// Each wrapped whole.
    Whole,
    /// Each cut to a row.
    Row,
    /// Each run of them between failed steps in one row, by count and what each did, cut.
    RowPerRun,
}

/// The add-route panel's lines for `r` in `rows` rows of `w` columns: the title and where the
/// edit stands, each step under its mark, and the outcome once done. Steps and outcome wrap
/// whole under their mark rather than being cut at the width: why a step failed (a backup a
/// sticky directory kept, and why) comes last in its text. Where that is taller than `rows`,
/// the steps that went well give way first, to a row each, then to a row for each run of them
/// (they did what was asked, with the paths and commands the person chose); what is still too
/// tall is cut at the bottom, its last row saying how many rows are not shown.
fn route_lines(r: &RouteReport, w: usize, rows: usize, cx: &ViewCx<'_>) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for good in [GoodSteps::Whole, GoodSteps::Row, GoodSteps::RowPerRun] {
        lines = route_lines_with(r, w, good, cx);
        if lines.len() <= rows {
            return lines;
        }
    }
    let more = lines.len() + 1 - rows;
    lines.truncate(rows.saturating_sub(1));
    if rows > 0 {
        lines.push(line(
            format!("… {more} more row{} not shown", plural(more)),
            w,
            cx.theme.muted,
        ));
    }
    lines
}

/// [`route_lines`] with the steps that went well drawn as `good` says, however tall.
fn route_lines_with(
    r: &RouteReport,
    w: usize,
    good: GoodSteps,
    cx: &ViewCx<'_>,
) -> Vec<Line<'static>> {
    let state = if !r.done {
        ("running", cx.theme.accent)
    } else if r.ok {
        ("done", cx.theme.ok)
    } else {
        ("FAILED", cx.theme.error)
    };
    // the state whole, after the words cut to leave it room
    let mut lines = vec![Line::from(vec![
        Span::styled(
            truncate(
                &format!("add route {} -> {} in {}", r.sender, r.relay, r.map),
                w.saturating_sub(2 + state.0.len()),
            ),
            cx.theme.title,
        ),
        Span::styled(": ", cx.theme.title),
        Span::styled(state.0, state.1),
    ])];
    let text = |s: &Step| {
        if s.output.is_empty() {
            s.what.to_string()
        } else {
            format!("{}: {}", s.what, s.output)
        }
    };
    let row = |mark: &str, style: Style, text: &str| {
        Line::from(vec![
            Span::styled(mark.to_string(), style),
            Span::styled(truncate(text, w.saturating_sub(2)), cx.theme.text),
        ])
    };
    // each run of steps in the order they ran: those that went well, or those that failed
    for run in r.steps.chunk_by(|a, b| a.ok == b.ok) {
        match (run[0].ok, good) {
            (true, GoodSteps::Row) => {
                lines.extend(run.iter().map(|s| row("✓ ", cx.theme.ok, &text(s))));
            }
            (true, GoodSteps::RowPerRun) if run.len() > 1 => {
                let each: Vec<&str> = run.iter().map(|s| s.what.as_str()).collect();
                let all = format!("{} steps done: {}", run.len(), each.join("; "));
                lines.push(row("✓ ", cx.theme.ok, &all));
            }
            (true, GoodSteps::RowPerRun) => lines.push(row("✓ ", cx.theme.ok, &text(&run[0]))),
            (ok, _) => {
                let (mark, style) = if ok {
                    ("✓ ", cx.theme.ok)
                } else {
                    ("✗ ", cx.theme.error)
                };
                for s in run {
                    lines.extend(widgets::hanging(
                        vec![(mark.to_string(), style), (text(s), cx.theme.text)],
                        w,
                        2,
                    ));
                }
            }
        }
    }
    if r.done {
        lines.extend(widgets::hanging(
            vec![(r.outcome.to_string(), state.1)],
            w,
            2,
        ));
    }
    lines
}

fn render_panel(p: &SendersPane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let w = area.width as usize;
    let mut lines = Vec::new();
    if let Some(r) = &p.route {
        // under the separator
        let rows = (area.height as usize).saturating_sub(1);
        lines.extend(route_lines(r, w, rows, cx));
    }
    if let Some(t) = &p.test {
        lines.push(line(
            format!("test mail {} -> {}", t.from, t.to),
            w,
            cx.theme.title,
        ));
        // where it stands, and a failure's reason, over up to three rows: the log lines below
        // give way (h shows them all in Failures)
        let (text, style) = trace_summary_text(p, t, true, cx);
        let mut rows = hanging(&text, w, 2);
        let most = if t.trace.is_some() { 3 } else { 6 };
        if rows.len() > most {
            let rest = rows.split_off(most - 1).join(" ");
            rows.push(rest);
        }
        for (i, row) in rows.into_iter().enumerate() {
            let row = if i == 0 { row } else { format!("  {row}") };
            lines.push(line(row, w, style));
        }
        if let Some(tr) = &t.trace {
            let failed = match &tr.status {
                TraceStatus::Deferred { dsn, reason } => Some((Status::Deferred, dsn, reason)),
                TraceStatus::Bounced { dsn, reason } => Some((Status::Bounced, dsn, reason)),
                _ => None,
            };
            if let Some((status, dsn, reason)) = failed {
                let cause = classify(status, dsn, reason, &tr.to, "");
                lines.push(line(
                    format!("why: {}: {}", cause.label(), cause.meaning()),
                    w,
                    cx.theme.warn,
                ));
            }
            if let Some(n) = &tr.notice {
                lines.push(line(
                    format!("bounce notice to the sender: {n}"),
                    w,
                    cx.theme.muted,
                ));
            }
            // the latest lines, in the rows under the separator
            let room = (area.height as usize).saturating_sub(1 + lines.len());
            let skip = tr.lines.len().saturating_sub(room);
            for l in tr.lines.iter().skip(skip) {
                lines.push(line(compact_trace_line(l, cx), w, cx.theme.muted));
            }
        }
    }
    let [sep, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(line("─".repeat(w), w, cx.theme.border)), sep);
    frame.render_widget(Paragraph::new(lines), rest);
}

#[cfg(test)]
mod tests {
    use chrono::{Local, TimeZone};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use crate::access::{Mode, WriteAccess};
    use crate::app::effect::Effect;
    use crate::app::pane::{Cx, Nav, Pane, PaneId, ViewCx};
    use crate::app::shared::Shared;
    use crate::config::Config;
    use crate::mail::log::classify::Category;
    use crate::mail::senders::model::tests::{activity, ses, snapshot};
    use crate::mail::senders::secret::Secret;
    use crate::mail::senders::source::{self, MapContent};
    use crate::mail::senders::{SendersEvent, SendersPane, maps};
    use crate::ui::theme::Theme;

    const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYzEXAMPLEKEY";

    fn now() -> chrono::DateTime<Local> {
        Local.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap()
    }

    /// What an update sees in a read-only session.
    fn read_only(shared: &mut Shared) -> Cx<'_> {
        Cx {
            now: now(),
            access: None,
            shared,
        }
    }

    /// A test mail from `from` to `to` started, queued as `id`, and traced through `lines` of
    /// the mail log, as the runner feeds the pane.
    fn traced<S: AsRef<str>>(
        p: &mut SendersPane,
        cx: &mut Cx<'_>,
        (from, to, id): (&str, &str, &str),
        lines: &[S],
    ) {
        crate::mail::senders::tests::queued_test(p, cx, from, to, id);
        let mut log = crate::mail::log::MailLog::default();
        let mut years = crate::mail::log::parse::YearGuess::new(now().date_naive());
        for l in lines {
            log.ingest(crate::mail::log::parse::parse_line(l.as_ref(), &mut years).unwrap());
        }
        let t = crate::mail::senders::logscan::trace_from_model(&log, id, from, to).unwrap();
        p.on_event(SendersEvent::Trace(Box::new(t)), cx);
    }

    /// A pane fed the way the runner feeds it, with a real password file
    /// holding a secret and a configured SMTP password.
    /// Put the cursor on `sender`'s row and open its detail.
    fn open_detail(p: &mut SendersPane, cx: &mut Cx<'_>, sender: &str) {
        p.on_nav(Nav::Top, cx);
        let idx = p
            .visible()
            .iter()
            .position(|r| r.sender.as_str() == sender)
            .unwrap();
        for _ in 0..idx {
            p.on_nav(Nav::Down, cx);
        }
        p.on_enter(cx);
    }

    fn pane(shared: &mut Shared) -> SendersPane {
        pane_with(shared, Config::default())
    }

    /// [`pane`] made from `config` (its senders' credentials set here).
    fn pane_with(shared: &mut Shared, mut config: Config) -> SendersPane {
        config.senders.smtp_password = Some(Secret::new(SECRET));
        config.senders.smtp_user = Some("submit".into());
        let mut p = SendersPane::new(&config);
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("sasl_passwd");
        std::fs::write(
            &pw,
            format!("[email-smtp.us-east-1.amazonaws.com]:587 AKIAEXAMPLEUSER:{SECRET}\n"),
        )
        .unwrap();
        let mut snap = snapshot(true, true);
        let spec = maps::parse_map_list(&format!("hash:{}", pw.display())).remove(0);
        let read = source::read_map(&spec, true);
        assert!(matches!(read.content, MapContent::Credentials(_)));
        snap.password_maps[0].content = read.content;
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared,
        };
        p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        p.on_event(SendersEvent::Activity(Ok(activity())), &mut cx);
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(ses(false))),
            },
            &mut cx,
        );
        p
    }

    fn draw(p: &SendersPane, shared: &Shared, w: u16, h: u16, zoomed: bool) -> String {
        draw_at(p, shared, w, h, zoomed, now())
    }

    /// One setup finding too long for its rows: the row that says so names it in the singular.
    #[test]
    fn one_finding_cut_to_fit_is_named_in_the_singular() {
        let theme = Theme::fallback();
        let shared = Shared::default();
        let cx = ViewCx {
            theme: &theme,
            now: Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap(),
            focused: true,
            zoomed: true,
            read_only: false,
            shared: &shared,
        };
        let long = crate::mail::senders::model::Verdict {
            severity: crate::mail::senders::model::Severity::Warn,
            text: "password map readable by group/others (mode 644): chmod 600 ".repeat(4),
            ses_region: None,
            remedy: None,
        };
        let lines = super::global_lines(&[&long], 60, 2, &cx);
        let last: String = lines
            .last()
            .unwrap()
            .spans
            .iter()
            .map(|s| &*s.content)
            .collect();
        assert_eq!(
            last,
            "  cut to fit · s: the setup finding whole, with what to do"
        );
    }

    /// [`draw`] with the clock at `at`.
    fn draw_at(
        p: &SendersPane,
        shared: &Shared,
        w: u16,
        h: u16,
        zoomed: bool,
        at: chrono::DateTime<Local>,
    ) -> String {
        let theme = Theme::fallback();
        let cx = ViewCx {
            theme: &theme,
            now: at,
            focused: true,
            zoomed,
            read_only: false,
            shared,
        };
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| p.render(f, f.area(), &cx)).unwrap();
        let buf = term.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            for x in 0..w {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        assert!(
            !out.contains(SECRET),
            "the secret reached the screen:\n{out}"
        );
        assert!(
            !out.contains("wJalrXUtnFEMI"),
            "part of the secret reached the screen"
        );
        out
    }

    #[test]
    fn a_relay_read_that_hangs_is_said_over_the_kept_setup() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = Cx {
            now: now(),
            access: None,
            shared: &mut shared,
        };
        p.on_event(
            SendersEvent::RelaySlow {
                after: std::time::Duration::from_secs(30),
            },
            &mut cx,
        );
        let at = p.relay.as_ref().unwrap().read_at.format("%H:%M:%S");
        let said = format!(
            "showing the setup read at {at}: postconf and the maps have not answered in 30 s"
        );
        for (w, h, zoomed) in [(140, 30, true), (120, 12, false)] {
            let s = draw(&p, &shared, w, h, zoomed);
            assert!(s.contains(&said), "{s}");
            assert!(
                s.contains("root@web1.example.com"),
                "the setup is kept: {s}"
            );
        }
        // its answer ends it
        let mut cx = Cx {
            now: now(),
            access: None,
            shared: &mut shared,
        };
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(snapshot(true, true)))),
            &mut cx,
        );
        let s = draw(&p, &shared, 140, 30, true);
        assert!(!s.contains("have not answered"), "{s}");
    }

    #[test]
    fn secret_is_nowhere_in_state() {
        let mut shared = Shared::default();
        let p = pane(&mut shared);
        let dump = format!("{p:?}");
        assert!(!dump.contains(SECRET), "the pane's Debug holds the secret");
        assert!(
            dump.contains("***"),
            "the configured password prints as ***"
        );
    }

    /// The account line is graded as `opsdeck check` grades the account: the quota at 80% a
    /// warning, at 95% (past it SES refuses the mail) or sending paused an error that marks the
    /// tab, whatever the senders' own verdicts; an enforcement status other than HEALTHY is said.
    #[test]
    fn the_account_line_is_graded_as_the_check_grades_it() {
        use super::{Severity, ses_summary};
        use crate::sanitize::Clean;
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        type Change = fn(&mut crate::mail::senders::ses::Account);
        let cases: [(&str, Change, Severity, &str); 5] = [
            ("healthy", |_| {}, Severity::Ok, "12/200 sent in 24 h · 1/s"),
            (
                "85%",
                |a| a.sent_24h = 170.0,
                Severity::Warn,
                "SES us-east-1: 85% of the 24 h quota used (170/200) · production · 3 identities · 1/s",
            ),
            (
                "used up",
                |a| a.sent_24h = 200.0,
                Severity::Error,
                "SES us-east-1: 100% of the 24 h quota used (200/200) · production",
            ),
            (
                "probation",
                |a| a.enforcement = Clean::new("PROBATION"),
                Severity::Warn,
                "SES us-east-1: production · enforcement PROBATION · 3 identities",
            ),
            (
                "paused",
                |a| a.sending_enabled = false,
                Severity::Error,
                "SES us-east-1: production · SENDING PAUSED · 3 identities",
            ),
        ];
        for (name, change, want, words) in cases {
            let mut snap = ses(true);
            change(snap.account.as_mut().unwrap());
            p.on_event(
                SendersEvent::Ses {
                    region: "us-east-1".into(),
                    result: Ok(Box::new(snap)),
                },
                &mut read_only(&mut shared),
            );
            let lines = ses_summary(&p);
            assert_eq!(lines.len(), 1, "{name}: {lines:?}");
            assert_eq!(lines[0].1, want, "{name}: {lines:?}");
            assert!(lines[0].0.contains(words), "{name}: {lines:?}");
            let problem = p.health().problem.unwrap_or_default();
            let marked = problem.contains("SES us-east-1: ");
            assert_eq!(marked, want == Severity::Error, "{name}: {problem:?}");
        }
        assert!(
            p.health()
                .problem
                .unwrap()
                .ends_with("SES us-east-1: sending paused"),
        );
        let mut snap = ses(true);
        snap.account.as_mut().unwrap().sent_24h = 200.0;
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(snap)),
            },
            &mut read_only(&mut shared),
        );
        assert!(
            p.health()
                .problem
                .unwrap()
                .ends_with("SES us-east-1: 100% of the 24-hour quota used"),
        );
        // on screen it is marked as a failing sender is, the quota first: 60 columns keep it
        let out = draw(&p, &shared, 60, 20, true);
        assert!(
            out.contains("│✗ SES us-east-1: 100% of the 24 h quota used (200/200) · …│"),
            "{out}"
        );
    }

    #[test]
    fn zoomed_80x24() {
        let mut shared = Shared::default();
        let p = pane(&mut shared);
        let out = draw(&p, &shared, 80, 24, true);
        assert!(out.contains("root@web1.example.com"), "{out}");
        assert!(out.contains("SANDBOX"), "{out}");
        insta::assert_snapshot!("zoomed_80x24", out);
    }

    /// More setup findings than the rows under the table: each still shows (its what-to-do cut),
    /// and the last row says so and names `s`, which shows every finding whole in the pane's
    /// body, scrolled by the keys that move; Esc goes back to the table.
    #[test]
    fn setup_findings_beyond_their_rows_are_reachable_whole() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        p.on_event(
            SendersEvent::Activity(Err(
                "/var/log/mail.log: Permission denied - add your user to the adm group".into(),
            )),
            &mut cx,
        );
        let mut denied = ses(false);
        denied.account = Err(crate::sanitize::Clean::new(
            "SES GetAccount in us-east-1: access denied - the IAM policy of the credentials in \
             use must allow ses:GetAccount",
        ));
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(denied)),
            },
            &mut cx,
        );
        let findings: Vec<String> = p.check.global.iter().map(|v| v.text.clone()).collect();
        assert!(findings.len() >= 5, "{findings:?}");
        let out = draw(&p, cx.shared, 80, 24, true);
        let hint = out
            .lines()
            .find(|l| l.contains("s: all"))
            .unwrap_or_else(|| panic!("no row names the key:\n{out}"));
        assert!(
            hint.contains(&format!(
                " setup finding · s: all {} whole, with what to do",
                findings.len()
            )) || hint.contains(&format!(
                " setup findings · s: all {} whole, with what to do",
                findings.len()
            )),
            "{out}"
        );
        // a pane with no row for them: the table's last row names how many, and the key
        let small = draw(&p, cx.shared, 80, 10, true);
        assert!(
            small.contains(&format!(
                " · {} setup findings · s: each whole, with what to do",
                findings.len()
            )),
            "{small}"
        );
        // what to do of a cut finding is not on the table's screen...
        assert!(!read(&out).contains("(mode 644): chmod 600"), "{out}");
        // ...and is, whole, after s (from the tile too: the pane opens)
        let effects = p.on_action(crate::mail::senders::SendersAction::ShowFindings, &mut cx);
        assert!(
            matches!(effects.as_slice(), [Effect::Focus(PaneId::Senders)]),
            "{effects:?}"
        );
        let mut seen = String::new();
        for _ in 0..10 {
            let out = draw(&p, cx.shared, 80, 24, true);
            seen.push_str(&read(&out));
            seen.push(' ');
            p.on_nav(Nav::PageDown, &mut cx);
        }
        for f in &findings {
            assert!(seen.contains(f.as_str()), "{f}\nnot whole in:\n{seen}");
        }
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            !out.contains("SENDER"),
            "the findings cover the table:\n{out}"
        );
        assert!(p.on_back(), "Esc closes the findings");
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(out.contains("SENDER"), "{out}");
    }

    /// A short table leaves its rows to the setup findings: each is whole, with no key to press.
    #[test]
    fn a_short_table_leaves_its_rows_to_the_findings() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        p.set_filter("alice@", &mut read_only(&mut shared));
        let out = draw(&p, &shared, 80, 24, true);
        for v in &p.check.global {
            assert!(read(&out).contains(v.text.as_str()), "{}\n{out}", v.text);
        }
        assert!(!out.contains("whole, with what to do"), "{out}");
    }

    /// A table cut to the pane says what it hides: its last row counts the senders below and
    /// above and names the selected row, and the selected sender stays on screen as j/k/g/G
    /// move it. At 60x16, under a test mail's report, the table keeps more than one sender and
    /// the setup findings it leaves no row are counted on that last row.
    #[test]
    fn a_cut_table_says_what_it_hides_and_keeps_the_selection_on_screen() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        for i in 0..4 {
            a.insert(format!("extra{i}@example.com"), Default::default());
        }
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        traced(
            &mut p,
            &mut cx,
            ("bob@example.com", "ops@example.net", "7E1F2C8901"),
            &[
                "Nov 27 19:59:01 vm postfix/qmgr[10]: 7E1F2C8901: from=<bob@example.com>, size=400, nrcpt=1 (queue active)",
            ],
        );
        let senders: Vec<String> = p.visible().iter().map(|r| r.sender.to_string()).collect();
        let n = senders.len();
        assert!(n >= 10, "{senders:?}");
        let moves = [
            vec![Nav::Top],
            vec![Nav::Down; 3],
            vec![Nav::Bottom],
            vec![Nav::Up; 4],
            vec![Nav::Up; 3],
            vec![Nav::Top],
        ];
        for (w, h) in [(80, 24), (60, 16)] {
            for keys in &moves {
                for k in keys {
                    p.on_nav(*k, &mut cx);
                }
                let out = draw(&p, cx.shared, w, h, true);
                let shown: Vec<usize> = (0..n)
                    .filter(|i| {
                        out.lines().any(|l| {
                            l.contains(&format!(" {} ", senders[*i])) && l.contains(super::FACT_SEP)
                        })
                    })
                    .collect();
                let (first, last) = (shown[0], shown[shown.len() - 1]);
                assert_eq!(shown, (first..=last).collect::<Vec<_>>(), "{out}");
                assert!(
                    shown.contains(&p.selected),
                    "row {} not shown:\n{out}",
                    p.selected
                );
                assert!(shown.len() >= 2, "{out}");
                assert!(shown.len() < n, "{out}");
                assert!(
                    out.contains(&format!("row {} of {n}", p.selected + 1)),
                    "{out}"
                );
                for (hidden, cue) in [(n - 1 - last, "more"), (first, "above")] {
                    let arrow = if cue == "more" { '↓' } else { '↑' };
                    assert_eq!(
                        out.contains(&format!("{arrow} {hidden} {cue}")),
                        hidden > 0,
                        "{hidden} {cue}:\n{out}"
                    );
                }
                assert!(
                    out.contains("test mail bob@example.com -> ops@example.net"),
                    "{out}"
                );
                assert!(out.contains("setup finding"), "{out}");
                // the key that shows the findings is never cut off
                let told = out.lines().find(|l| l.contains("setup finding")).unwrap();
                assert!(
                    told.contains("setup finding (s)") || told.contains(" · s: "),
                    "{out}"
                );
            }
        }
    }

    #[test]
    fn zoomed_wide() {
        let mut shared = Shared::default();
        let p = pane(&mut shared);
        let out = draw(&p, &shared, 180, 30, true);
        assert!(
            out.contains("AKIAEXAMPLEUSER"),
            "the user name is shown:\n{out}"
        );
        assert!(out.contains("CREDENTIALS"), "{out}");
        insta::assert_snapshot!("zoomed_180x30", out);
    }

    /// bob routed to eu-west-1, verified in us-east-1 only; ap-south-1
    /// (configured) not read.
    #[test]
    fn two_regions_80x24() {
        let mut shared = Shared::default();
        let mut config = Config::default();
        config.senders.ses_regions = vec!["ap-south-1".into()];
        let mut p = SendersPane::new(&config);
        let mut cx = read_only(&mut shared);
        let mut snap = snapshot(false, false);
        let (entries, _) = maps::parse_table(
            "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
             bob@example.com [email-smtp.eu-west-1.amazonaws.com]:587\n",
        );
        snap.relay_maps[0].content = MapContent::Table(entries);
        let (creds, _) = maps::parse_password_table(
            "[email-smtp.us-east-1.amazonaws.com]:587 AKIAEAST:x\n\
             [email-smtp.eu-west-1.amazonaws.com]:587 AKIAWEST:y\n",
        );
        snap.password_maps[0].content = MapContent::Credentials(creds);
        p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        let mut east = ses(true);
        east.identities
            .retain(|i| i.name.as_str() != "bob@example.com");
        east.identities.push(crate::mail::senders::ses::Identity {
            name: "bob@example.com".into(),
            is_domain: false,
            status: crate::mail::senders::ses::Verification::Verified,
            sending_enabled: true,
        });
        let mut west = ses(true);
        west.region = "eu-west-1".into();
        west.identities.clear();
        for (region, result) in [
            ("us-east-1", Ok(Box::new(east))),
            ("eu-west-1", Ok(Box::new(west))),
            (
                "ap-south-1",
                Err("SES ListEmailIdentities in ap-south-1: dispatch failure".into()),
            ),
        ] {
            p.on_event(
                SendersEvent::Ses {
                    region: region.into(),
                    result,
                },
                &mut cx,
            );
        }
        let out = draw(&p, &shared, 80, 24, true);
        assert!(
            out.contains("SES eu-west-1: production · 0 identities"),
            "{out}"
        );
        assert!(
            out.contains("SES us-east-1: production · 3 identities"),
            "{out}"
        );
        assert!(
            out.contains("SES ap-south-1 not read: dispatch failure"),
            "{out}"
        );
        assert!(
            out.contains("routed to SES, not verified in eu-west-1: every mail will bounce"),
            "{out}"
        );
        // the pane-wide finding, without the operation and region its line already says
        assert!(
            out.contains("│! SES in ap-south-1 not read: dispatch failure "),
            "{out}"
        );
        insta::assert_snapshot!("two_regions_80x24", out);
        let tile = draw(&p, &shared, 80, 8, false);
        assert!(
            tile.contains("SES ap-south-1 not read: dispatch failure"),
            "{tile}"
        );
        assert!(
            tile.contains("+2 more SES regions: zoom the pane"),
            "{tile}"
        );
        insta::assert_snapshot!("two_regions_tile_80x8", tile);
    }

    /// One verified identity is said in the singular, in both forms of the SES line.
    #[test]
    fn one_identity_is_singular() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut one = ses(true);
        one.identities.truncate(1);
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(one.clone())),
            },
            &mut cx,
        );
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            out.contains("SES us-east-1: production · 1 identity ·"),
            "{out}"
        );
        one.account = Err("SES GetAccount in us-east-1: AccessDenied".into());
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(one)),
            },
            &mut cx,
        );
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            out.contains("SES us-east-1: 1 identity · account not read"),
            "{out}"
        );
    }

    #[test]
    fn tile_80x8() {
        let mut shared = Shared::default();
        let p = pane(&mut shared);
        let out = draw(&p, &shared, 80, 8, false);
        assert!(out.contains("failing"), "{out}");
        // a verdict that names its sender is not prefixed with the name again
        assert!(
            out.contains("│✗ root@web1.example.com sends through SES unverified in us-east-1: its"),
            "{out}"
        );
        insta::assert_snapshot!("tile_80x8", out);
    }

    #[test]
    fn detail_of_a_sender() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        // select root@web1 (errors sort first) and open it
        open_detail(&mut p, &mut cx, "root@web1.example.com");
        let out = draw(&p, &shared, 80, 24, true);
        assert!(out.contains("sends through SES unverified"), "{out}");
        // the remedy names this pane; here, its keys
        assert!(
            out.contains("here: v verifies it in SES, a routes the sender elsewhere, t sends a"),
            "{out}"
        );
        insta::assert_snapshot!("detail_80x24", out);
        assert!(p.on_back());
        assert!(!p.on_back());
    }

    /// MAILER-DAEMON's notices refused as unverified: the detail offers the key that helps (v,
    /// with the domain SES checks them by), not a route or a test mail from the null sender,
    /// which neither key can do.
    #[test]
    fn mailer_daemon_detail_offers_only_what_its_keys_can_do() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        a.insert(
            String::new(),
            crate::mail::senders::logscan::Outcomes {
                bounced: 2,
                last_problem: Some(crate::mail::senders::logscan::Problem {
                    status: crate::mail::log::model::RowStatus::Bounced,
                    cause: Category::SesSenderNotVerified,
                    reason: crate::sanitize::Clean::new(
                        "554 Message rejected: Email address is not verified.",
                    ),
                }),
                ..Default::default()
            },
        );
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "MAILER-DAEMON");
        let out = read(&draw(&p, cx.shared, 140, 40, true));
        assert!(!out.contains("a routes the sender elsewhere"), "{out}");
        assert!(out.contains("here: v verifies "), "{out}");
    }

    /// A relay name that does not resolve, on a route that already names `[host]:port`: the
    /// remedy's "use [host]:port" is done, and the detail says what is left.
    #[test]
    fn a_dns_failure_on_a_bracketed_route_says_the_name_does_not_resolve() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        let root = a.get_mut("root@web1.example.com").unwrap();
        root.last_problem = Some(crate::mail::senders::logscan::Problem {
            status: crate::mail::log::model::RowStatus::Bounced,
            cause: Category::Dns,
            reason: crate::sanitize::Clean::new(
                "unable to look up host email-smtp.us-east-1.amazonaws.com: Name or service not \
                 known",
            ),
        });
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "root@web1.example.com");
        let out = draw(&p, cx.shared, 120, 40, true);
        assert!(
            read(&out).contains(
                "here: its route [email-smtp.us-east-1.amazonaws.com]:587 already skips the MX \
                 lookup: the name does not resolve on this host (getent hosts \
                 email-smtp.us-east-1.amazonaws.com asks the same resolver)"
            ),
            "{out}"
        );
    }

    /// A map path longer than a row (a route's source) at 60 columns: broken where each row
    /// ends, the rows after the first indented like every wrapped fact, nothing of it lost.
    #[test]
    fn a_route_through_a_long_map_path_keeps_its_indent_at_60_columns() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let path =
            "hash:/srv/mail/postfix-instances/outbound-relay/maps/sender_dependent_relayhost";
        let mut snap = p.relay.clone().unwrap();
        snap.relay_maps[0].spec = maps::parse_map_list(path).remove(0);
        let mut cx = read_only(&mut shared);
        p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        open_detail(&mut p, &mut cx, "alice@example.com");
        let out = draw(&p, cx.shared, 60, 30, true);
        let rows: Vec<&str> = out.lines().collect();
        let at = rows
            .iter()
            .position(|l| l.starts_with("│route:"))
            .unwrap_or_else(|| panic!("{out}"));
        let end = rows[at..]
            .iter()
            .position(|l| l.starts_with("│credentials:"))
            .unwrap_or_else(|| panic!("{out}"))
            + at;
        for row in &rows[at + 1..end] {
            assert!(
                row.starts_with("│  "),
                "a row of the route not indented: {out}"
            );
        }
        let whole: String = rows[at..end]
            .iter()
            .map(|r| r.trim_matches('│').trim())
            .collect();
        assert!(whole.contains(path), "{out}");
    }

    /// At 80 columns the header keeps the default relay whole: a long map path is what is cut.
    #[test]
    fn the_default_relay_is_whole_at_80_columns() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let snap = p.relay.as_mut().unwrap();
        snap.settings.relayhost = "[email-smtp.us-east-1.amazonaws.com]:587".into();
        snap.relay_maps[0].spec.written = "hash:/etc/postfix/maps/sender_dependent_relay".into();
        let out = draw(&p, &shared, 80, 24, true);
        assert!(
            out.contains(
                "│default relay: [email-smtp.us-east-1.amazonaws.com]:587 · routes: hash:/etc/p…│"
            ),
            "{out}"
        );
        p.relay.as_mut().unwrap().settings.relayhost.clear();
        let out = draw(&p, &shared, 80, 24, true);
        assert!(
            out.contains("│default relay: none (straight to each recipient's MX) · routes: "),
            "{out}"
        );
    }

    /// An add-route edit that is done, its last step failed: an old backup a sticky directory
    /// kept (as `tests/senders_maps.rs` makes it fail for real), reported as the edit reports it.
    fn route_with_a_backup_left() -> crate::mail::senders::actions::RouteReport {
        let step = |what: &str, ok: bool, output: &str| crate::mail::senders::actions::Step {
            what: crate::sanitize::Clean::new(what),
            ok,
            output: crate::sanitize::Clean::new(output),
        };
        crate::mail::senders::actions::RouteReport {
            sender: crate::sanitize::Clean::new("bob@example.com"),
            relay: crate::sanitize::Clean::new("[relay.example]:587"),
            map: crate::sanitize::Clean::new("hash:/etc/postfix/sender_relay"),
            steps: vec![
                step(
                    "backup to /etc/postfix/sender_relay.20261127-195900-01.bak",
                    true,
                    "",
                ),
                step(
                    "write /etc/postfix/sender_relay (temp file, fsync, rename)",
                    true,
                    "bob@example.com [relay.example]:587",
                ),
                step(
                    "postmap -c /etc/postfix hash:/etc/postfix/sender_relay",
                    true,
                    "",
                ),
                step(
                    "postfix -c /etc/postfix reload",
                    true,
                    "postfix/postfix-script: refreshing the Postfix mail system",
                ),
                step(
                    "remove backups older than the newest 2",
                    false,
                    "2 not removed: sender_relay.20261101-080100-01.bak: Operation not permitted \
                     (os error 1): root owns it in a sticky directory (mode 1777), where only \
                     its owner or root may remove it",
                ),
            ],
            done: true,
            ok: true,
            outcome: crate::sanitize::Clean::new(
                "bob@example.com now relays through [relay.example]:587",
            ),
        }
    }

    /// The add-route panel at 80 columns (the pane at 80x24, under the tab and status bars):
    /// a backup the edit could not remove is said whole, its count, its name and why, wrapped
    /// under its mark, not cut at the width after the name; the outcome is there under it.
    /// At 60x20 the steps that went well give way to one row, and the reason is still whole.
    /// Shorter still, the panel is cut with a mark that says so; it stays inside the pane at
    /// every size.
    #[test]
    fn the_add_route_panel_wraps_a_step_s_reason_rather_than_cutting_it() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        p.on_event(
            SendersEvent::Route(Box::new(route_with_a_backup_left())),
            &mut cx,
        );
        let why = "✗ remove backups older than the newest 2: 2 not removed: \
                   sender_relay.20261101-080100-01.bak: Operation not permitted (os error 1): \
                   root owns it in a sticky directory (mode 1777), where only its owner or root \
                   may remove it";
        let out = draw(&p, cx.shared, 80, 22, true);
        let text = read(&out);
        assert!(text.contains(why), "{out}");
        assert!(
            text.contains(&format!(
                "{why} bob@example.com now relays through [relay.example]:587"
            )),
            "{out}"
        );
        assert!(out.lines().last().unwrap().starts_with('└'), "{out}");
        assert!(!text.contains("not shown"), "{out}");
        insta::assert_snapshot!("route_backup_left_80x22", out);
        let out = draw(&p, cx.shared, 60, 18, true);
        let text = read(&out);
        assert!(text.contains(why), "{out}");
        assert!(
            out.contains("│✓ 4 steps done: backup to /etc/postfix/sender_relay"),
            "{out}"
        );
        assert!(out.lines().last().unwrap().starts_with('└'), "{out}");
        insta::assert_snapshot!("route_backup_left_60x18", out);
        // shorter still, the last rows are cut, and the last row shown says so
        let out = draw(&p, cx.shared, 60, 14, true);
        assert!(out.contains("\n│… 4 more rows not shown     "), "{out}");
        assert!(out.lines().last().unwrap().starts_with('└'), "{out}");
    }

    /// The screen's text inside the border, rows joined by spaces: what a person reads.
    fn read(screen: &str) -> String {
        screen
            .lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// At 80x24 a sender's detail is taller than the pane: every fact is there whole (a long
    /// SES reply wrapped, not cut mid-word), and the keys that move scroll it down to the last
    /// verdict while the sender stays the same.
    #[test]
    fn detail_wraps_whole_and_scrolls_to_its_last_verdict() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let reply = "host email-smtp.us-east-1.amazonaws.com[10.0.0.1] said: 554 Message \
                     rejected: Email address is not verified. The following identities failed \
                     the check in region US-EAST-1: root@web1.example.com (in reply to end of \
                     DATA command)";
        let mut a = activity();
        a.get_mut("root@web1.example.com")
            .unwrap()
            .last_problem
            .as_mut()
            .unwrap()
            .reason = crate::sanitize::Clean::new(reply);
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "root@web1.example.com");
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            read(&out).contains(&format!("last problem (bounced): {reply}")),
            "{out}"
        );
        let last = "<root@web1.example.com>: 554 Message rejected: Email address is not verified.";
        assert!(!read(&out).contains(last), "fits already? {out}");
        p.on_nav(Nav::Bottom, &mut cx);
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(read(&out).contains(last), "{out}");
        assert_eq!(
            p.visible()[p.selected].sender.as_str(),
            "root@web1.example.com"
        );
        // a new detail starts at its top
        assert!(p.on_back());
        p.on_enter(&mut cx);
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(out.contains("root@web1.example.com  (j/k scroll"), "{out}");
    }

    /// With the log unread, the counts read "?", in the table and the detail: 0/0/0/0 would
    /// pass for a sender with no trouble.
    #[test]
    fn counts_of_an_unread_log_are_unknown_not_zero() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let known = draw(&p, cx.shared, 180, 30, true);
        assert!(!known.contains("?/?/?/?/?"), "{known}");
        p.on_event(
            SendersEvent::Activity(Err("/var/log/mail.log: Permission denied".into())),
            &mut cx,
        );
        for (w, h) in [(180, 30), (80, 24)] {
            let out = draw(&p, cx.shared, w, h, true);
            // every sender on screen (the 80-column layout has room for some of them)
            assert!(out.matches("?/?/?/?/?").count() >= 2, "{out}");
            assert!(!out.contains("0/0/0/0"), "{out}");
        }
        p.on_nav(Nav::Top, &mut cx);
        p.on_enter(&mut cx);
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            out.contains("last day:    unknown, the mail log was not read"),
            "{out}"
        );
        assert!(p.on_back());
        // a good read brings the numbers back
        p.on_event(SendersEvent::Activity(Ok(activity())), &mut cx);
        let out = draw(&p, cx.shared, 180, 30, true);
        assert!(!out.contains("?/?/?/?"), "{out}");
    }

    /// A sender's detail says what to do about its lost mail, under the verdict, in the
    /// Failures pane's words for it.
    #[test]
    fn lost_mail_in_the_detail_names_what_to_do() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        let carol = a.get_mut("carol@example.com").unwrap();
        carol.lost = 2;
        carol.last_lost = Some(crate::sanitize::Clean::new(
            "removed from the queue with no final delivery status logged",
        ));
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "carol@example.com");
        let out = draw(&p, cx.shared, 140, 40, true);
        let rows: Vec<&str> = out.lines().collect();
        let at = rows
            .iter()
            .position(|l| l.contains("✗ 2 lost in the last day, nobody was told"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(
            rows[at + 1].contains(
                "  what to do: Tell the sender by hand; fix the bounce path (a verified sender"
            ),
            "{out}"
        );
    }

    /// carol's bounce notice failed too: her detail counts it as her lost mail, said as the
    /// notice of one of her bounces (not more mail), and MAILER-DAEMON's detail names her as
    /// where its failed notices are counted.
    #[test]
    fn a_lost_bounce_notice_is_said_on_both_rows() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        let carol = a.get_mut("carol@example.com").unwrap();
        (carol.bounced, carol.lost, carol.lost_notices) = (1, 1, 1);
        carol.last_lost = Some(crate::sanitize::Clean::new(
            "the bounce notification for AAAA000001 could not be delivered to <carol@example.com>",
        ));
        a.insert(
            String::new(),
            crate::mail::senders::logscan::Outcomes {
                bounced: 1,
                ..Default::default()
            },
        );
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "carol@example.com");
        let out = draw(&p, cx.shared, 140, 40, true);
        assert!(
            out.contains(
                "last day:    4 sent, 0 deferred, 1 bounced, 1 lost (1 bounce notice failed)"
            ),
            "{out}"
        );
        assert!(p.on_back());
        open_detail(&mut p, &mut cx, "MAILER-DAEMON");
        let out = draw(&p, cx.shared, 140, 40, true);
        // and no lost mail of its own
        assert!(
            out.contains("last day:    0 sent, 0 deferred, 1 bounced   "),
            "{out}"
        );
        assert!(
            out.contains(
                "its failed notices are lost mail of the senders they were for: \
                 carol@example.com (1), root@web1.example.com (2)"
            ),
            "{out}"
        );
    }

    /// At 60 columns MAILER-DAEMON's line naming whose lost mail its failed notices are is
    /// wrapped, not cut: every name and count is there, the rows after the first indented.
    #[test]
    fn whose_lost_notices_are_read_whole_at_60_columns() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        let carol = a.get_mut("carol@example.com").unwrap();
        (carol.bounced, carol.lost, carol.lost_notices) = (1, 1, 1);
        a.insert(
            String::new(),
            crate::mail::senders::logscan::Outcomes {
                bounced: 1,
                ..Default::default()
            },
        );
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "MAILER-DAEMON");
        let out = draw(&p, cx.shared, 60, 24, true);
        let rows: Vec<&str> = out.lines().collect();
        let at = rows
            .iter()
            .position(|l| l.contains("│its failed notices are lost mail"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(!rows[at].contains('…'), "{out}");
        assert!(
            rows[at + 1].starts_with("│  for: carol@example.com (1), root@web1.example.com (2)"),
            "{out}"
        );
    }

    /// The route the detail shows is the setup as read now. When a file of it was written after
    /// the sender's latest problem (a map fixed and compiled since), and no mail has gone since,
    /// the detail says so: the problem happened under another setup.
    #[test]
    fn a_setup_changed_after_the_latest_problem_is_said() {
        let detail = |problem_at: (u32, u32), delivered_since: bool| {
            let mut shared = Shared::default();
            let mut p = pane(&mut shared);
            let mut cx = read_only(&mut shared);
            let mut a = activity();
            let carol = a.get_mut("carol@example.com").unwrap();
            carol.bounced = 3;
            carol.last_problem = Some(crate::mail::senders::logscan::Problem {
                status: crate::mail::log::model::RowStatus::Bounced,
                cause: Category::SesCredentials,
                reason: crate::sanitize::Clean::new("535 Authentication Credentials Invalid"),
            });
            carol.last_problem_at = Some(
                Local
                    .with_ymd_and_hms(2026, 11, 27, problem_at.0, problem_at.1, 0)
                    .unwrap()
                    .fixed_offset(),
            );
            carol.delivered_since_problem = delivered_since;
            p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
            open_detail(&mut p, &mut cx, "carol@example.com");
            draw(&p, cx.shared, 200, 40, true)
        };
        // the maps were compiled at 11:00, the mail failed at 10:30
        let out = detail((10, 30), false);
        assert!(
            out.contains(
                "the relay setup changed after it: /etc/postfix/sasl_passwd.db written at 11:00, \
                 the problem at 10:30; the route above is the new one (t sends a test mail \
                 through it)"
            ),
            "{out}"
        );
        // failed under the setup shown, or mail delivered since: nothing to say
        for out in [detail((11, 30), false), detail((10, 30), true)] {
            assert!(!out.contains("the relay setup changed"), "{out}");
        }
    }

    /// SES switched off while senders route to it: the header says it is not read, not that it
    /// is not configured (the routes right below name SES).
    #[test]
    fn ses_switched_off_is_not_read_not_unconfigured() {
        let mut shared = Shared::default();
        let mut config = Config::default();
        config.senders.ses = false;
        let mut p = SendersPane::new(&config);
        let mut cx = read_only(&mut shared);
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(snapshot(false, false)))),
            &mut cx,
        );
        p.on_event(SendersEvent::Activity(Ok(activity())), &mut cx);
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            out.contains("│SES: not read: switched off (senders.ses = false)"),
            "{out}"
        );
        assert!(!out.contains("not configured"), "{out}");
    }

    /// A bouncing sender's verdict carries its fix for `opsdeck check`; the detail says that
    /// fix once, under the latest problem, not again under the verdict.
    #[test]
    fn the_latest_problems_fix_is_said_once_in_the_detail() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        let carol = a.get_mut("carol@example.com").unwrap();
        carol.bounced = 3;
        carol.last_problem = Some(crate::mail::senders::logscan::Problem {
            status: crate::mail::log::model::RowStatus::Bounced,
            cause: Category::RecipientUnknown,
            reason: crate::sanitize::Clean::new("550 5.1.1 user unknown"),
        });
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "carol@example.com");
        let out = draw(&p, cx.shared, 140, 40, true);
        assert!(
            out.contains("3 bounced, 0 deferred in the last day"),
            "{out}"
        );
        assert_eq!(
            out.matches("what to do: Correct or remove the recipient address")
                .count(),
            1,
            "{out}"
        );
    }

    /// A problem the sender's mail has got past (mail delivered since) is said, with no fix:
    /// nothing is left to do about it, as its verdict and opsdeck check say.
    #[test]
    fn the_detail_names_no_fix_for_a_problem_mail_got_past() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        let carol = a.get_mut("carol@example.com").unwrap();
        carol.deferred = 3;
        carol.last_problem = Some(crate::mail::senders::logscan::Problem {
            status: crate::mail::log::model::RowStatus::Deferred,
            cause: Category::SesThrottling,
            reason: crate::sanitize::Clean::new(
                "454 Throttling failure: Maximum sending rate exceeded.",
            ),
        });
        carol.delivered_since_problem = true;
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        open_detail(&mut p, &mut cx, "carol@example.com");
        let out = draw(&p, cx.shared, 140, 40, true);
        assert!(
            out.contains("last problem (deferred, mail delivered since): 454 Throttling failure"),
            "{out}"
        );
        assert!(!out.contains("what to do"), "{out}");
    }

    /// Mail deleted with `postsuper -d` has its count in the table, as the other outcomes do:
    /// a sender whose 300 stuck messages were deleted does not read as one with no mail.
    #[test]
    fn deleted_mail_is_counted_in_the_table() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        a.get_mut("carol@example.com").unwrap().deleted = 300;
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        for (w, h, name) in [(80, 24, "deleted_80x24"), (60, 20, "deleted_60x20")] {
            let out = draw(&p, cx.shared, w, h, true);
            let row = out
                .lines()
                .find(|l| l.contains("carol@example.com"))
                .unwrap_or_else(|| panic!("{w}: no row for carol:\n{out}"));
            assert!(row.contains(" 4/0/0/0/300 "), "{w}: {row}");
            assert!(
                out.contains("/DEL"),
                "{w}: the header names the count:\n{out}"
            );
            insta::assert_snapshot!(name, out);
        }
        let out = draw(&p, cx.shared, 180, 30, true);
        assert!(out.contains("S/D/B/L/DEL"), "{out}");
        assert!(out.contains(" 4/0/0/0/300 "), "{out}");
    }

    /// At 60 columns (the two-line layout) the facts stand in columns: SES, credentials and
    /// counts start at the same column on every row and under their names, and the same
    /// credentials are cut the same on every row.
    #[test]
    fn narrow_facts_line_up_as_columns() {
        use super::FACT_SEP;
        use unicode_width::UnicodeWidthStr;
        let mut shared = Shared::default();
        let p = pane(&mut shared);
        let out = draw(&p, &shared, 60, 20, true);
        insta::assert_snapshot!("narrow_columns_60x20", out);
        // the screen columns where each row's facts are split, and the credentials between
        let facts = |line: &str| -> (Vec<usize>, String) {
            let line = line.trim_start_matches('│');
            let at: Vec<usize> = line
                .match_indices(FACT_SEP)
                .map(|(i, _)| line[..i].width())
                .collect();
            let creds = line.split(FACT_SEP).nth(1).unwrap_or("").trim_end();
            (at, creds.to_string())
        };
        let header = out.lines().find(|l| l.contains("SENDER")).expect(&out);
        let (columns, _) = facts(header);
        assert_eq!(columns.len(), 2, "{header}");
        // every sender on screen (the last ones are below it, 20 rows being few)
        let mut creds_of = Vec::new();
        for r in p.visible() {
            let Some(row) = out
                .lines()
                .find(|l| l.contains(r.sender.as_str()) && l.contains(FACT_SEP))
            else {
                continue;
            };
            let (at, creds) = facts(row);
            assert_eq!(at, columns, "{} is out of line:\n{out}", r.sender);
            creds_of.push((r.creds.short(), creds));
        }
        assert_eq!(creds_of.len(), 5, "{out}");
        let key: Vec<&String> = creds_of
            .iter()
            .filter(|(whole, _)| whole == "AKIAEXAMPLEUSER")
            .map(|(_, shown)| shown)
            .collect();
        assert!(key.len() >= 2, "{creds_of:?}");
        assert!(key.iter().all(|k| *k == key[0]), "{creds_of:?}");
    }

    /// A count cut mid-number reads as a smaller, valid count: at any width
    /// the table shows each sender's counts whole.
    #[test]
    fn counts_are_never_cut_mid_number() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let mut a = activity();
        for (sender, (sent, deferred, bounced, lost)) in [
            ("root@web1.example.com", (10, 0, 37, 2)),
            ("carol@example.com", (12345, 6789, 1011, 12)),
        ] {
            let o = a.get_mut(sender).unwrap();
            o.sent = sent;
            o.deferred = deferred;
            o.bounced = bounced;
            o.lost = lost;
        }
        p.on_event(SendersEvent::Activity(Ok(a)), &mut cx);
        for w in [80, 100, 111, 112, 120, 130, 140, 180] {
            let out = draw(&p, cx.shared, w, 40, true);
            for (sender, counts) in [
                ("root@web1.example.com", "10/0/37/2/0"),
                ("carol@example.com", "12345/6789/1011/12/0"),
            ] {
                let row = out
                    .lines()
                    .find(|l| l.contains(sender) && l.contains('/'))
                    .unwrap_or_else(|| panic!("{w}: no row for {sender}:\n{out}"));
                assert!(
                    row.contains(&format!(" {counts} ")),
                    "{w} columns cut the counts {counts}:\n{row}"
                );
            }
        }
    }

    #[test]
    fn maps_view_80x24() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        p.on_action(crate::mail::senders::SendersAction::ShowMaps, &mut cx);
        let out = draw(&p, &shared, 80, 24, true);
        assert!(
            out.contains("→  user AKIAEXAMPLEUSER (password set)"),
            "{out}"
        );
        assert!(out.contains("run postmap"), "{out}");
        insta::assert_snapshot!("maps_80x24", out);
        assert!(p.on_back(), "Esc closes the maps view");
    }

    /// At 60 columns the maps view still shows each map's name and each route's relay whole:
    /// a route too long for its row goes on two, as a credential does.
    #[test]
    fn maps_are_read_whole_at_60_columns() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        p.on_action(crate::mail::senders::SendersAction::ShowMaps, &mut cx);
        let out = draw(&p, &shared, 60, 40, true);
        let rows: Vec<&str> = out
            .lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
            .collect();
        // the maps, from the first down to the setup findings under them, are not cut
        let maps: Vec<&&str> = rows
            .iter()
            .skip_while(|r| !r.starts_with("sender_dependent_relayhost_maps"))
            .take_while(|r| !r.starts_with('✗'))
            .collect();
        assert!(maps.len() > 15, "{out}");
        assert!(!maps.iter().any(|r| r.contains('…')), "{out}");
        let at = rows
            .iter()
            .position(|r| *r == "run postmap")
            .unwrap_or_else(|| panic!("{out}"));
        assert_eq!(
            rows[at + 1..at + 3],
            ["source 644 uid 0 11-27 11:00", ".db 644 uid 0 11-27 10:00"]
        );
        let at = rows
            .iter()
            .position(|r| *r == "1  alice@example.com")
            .unwrap_or_else(|| panic!("{out}"));
        assert_eq!(rows[at + 1], "→  [email-smtp.us-east-1.amazonaws.com]:587");
        assert!(
            rows.contains(&"5  legacy@example.com  →  [old.relay.example]:465"),
            "a route that fits stays on one row:\n{out}"
        );
        let at = rows
            .iter()
            .position(|r| *r == "sender_dependent_relayhost_maps =")
            .unwrap_or_else(|| panic!("{out}"));
        assert_eq!(rows[at + 1], "hash:/etc/postfix/sender_relay");
        assert!(
            rows.contains(&"smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd"),
            "{out}"
        );
    }

    #[test]
    fn rule_maps_are_shown_as_rules() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut snap = snapshot(false, false);
        let (rules, _) = maps::parse_rules(
            "/^root@/ [127.0.0.1]:2525\nif /@example\\.com$/\n/(?<=x)y@/ local:\nendif\n",
        );
        snap.relay_maps[0].spec =
            maps::parse_map_list("pcre:/etc/postfix/sender_relay.pcre").remove(0);
        snap.relay_maps[0].content = MapContent::Rules(rules);
        let mut cx = read_only(&mut shared);
        p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        p.on_action(crate::mail::senders::SendersAction::ShowMaps, &mut cx);
        let out = draw(&p, &shared, 80, 24, true);
        assert!(
            out.contains("sender_dependent_relayhost_maps = pcre:/etc/postfix/sender_relay.pcre"),
            "{out}"
        );
        assert!(out.contains("   1  /^root@/ [127.0.0.1]:2525"), "{out}");
        assert!(out.contains("   2  if /@example\\.com$/"), "{out}");
        assert!(
            out.contains("/(?<=x)y@/ local:   (pattern not evaluated here)"),
            "{out}"
        );
        assert!(out.contains("   4  endif"), "{out}");
    }

    #[test]
    fn trace_panel_bounced() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        traced(
            &mut p,
            &mut cx,
            ("bob@example.com", "ops@example.net", "7E1F2C8901"),
            &[
                "Nov 27 19:59:01 vm postfix/qmgr[10]: 7E1F2C8901: from=<bob@example.com>, size=400, nrcpt=1 (queue active)",
                "Nov 27 19:59:01 vm postfix/smtp[11]: 7E1F2C8901: to=<ops@example.net>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.1, delays=0/0/0/0.1, dsn=5.0.0, status=bounced (host 127.0.0.1[127.0.0.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: bob@example.com (in reply to end of DATA command))",
            ],
        );
        let out = draw(&p, &shared, 80, 24, true);
        assert!(out.contains("│7E1F2C8901: bounced 5.0.0: "), "{out}");
        // the table, cut to the pane (as the console draws it at 80x24, under its tab and
        // status bars), leaves no empty row above the findings
        let app_sized = draw(&p, &shared, 80, 22, true);
        let rows: Vec<&str> = app_sized.lines().collect();
        let first = rows
            .iter()
            .position(|l| l.contains("✗ map source"))
            .unwrap();
        assert!(
            !rows[first - 1]
                .trim_matches(|c| c == '│' || c == ' ')
                .is_empty(),
            "{app_sized}"
        );
        // the log lines without the date, host and queue id the panel already says
        assert!(
            out.contains("│19:59:01 smtp: to=<ops@example.net>, relay=127.0.0.1[127.0.0.1]:2525,"),
            "{out}"
        );
        insta::assert_snapshot!("trace_bounced_80x24", out);
    }

    /// A trace whose log cannot be read says so (it is why nothing moves), not "queued" until
    /// a timeout that reads as a slow Postfix; a trace that stops with the mail still queued
    /// says where to follow it.
    #[test]
    fn a_trace_says_its_log_cannot_be_read_and_where_to_follow_after_it_stops() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        crate::mail::senders::tests::queued_test(
            &mut p,
            &mut cx,
            "bob@example.com",
            "ops@example.net",
            "7E1F2C8901",
        );
        let unreadable = || SendersEvent::TraceLog {
            id: "7E1F2C8901".into(),
            error: Some(crate::sanitize::Clean::new(
                "/var/log/mail.log: Permission denied (os error 13)",
            )),
        };
        p.on_event(unreadable(), &mut cx);
        let out = read(&draw(&p, cx.shared, 80, 24, true));
        assert!(
            out.contains(
                "7E1F2C8901: queued, waiting for the log; the log cannot be read: \
                 /var/log/mail.log: Permission denied (os error 13)"
            ),
            "{out}"
        );
        p.on_event(SendersEvent::TraceTimeout("7E1F2C8901".into()), &mut cx);
        let out = read(&draw(&p, cx.shared, 80, 24, true));
        assert!(out.contains("(os error 13); trace stopped"), "{out}");
        // readable again, the mail in the queue: the trace as it stands, and where to follow
        // the mail from here
        p.on_event(
            SendersEvent::TraceLog {
                id: "7E1F2C8901".into(),
                error: None,
            },
            &mut cx,
        );
        let mut active =
            crate::mail::senders::logscan::Trace::new("7E1F2C8901", "bob@example.com", "x@y");
        active.status = crate::mail::senders::logscan::TraceStatus::Active;
        active.lines = vec![crate::sanitize::Clean::new(
            "Nov 27 19:59:58 mx postfix/qmgr[10250]: 7E1F2C8901: from=<bob@example.com>, \
             size=282, nrcpt=1 (queue active)",
        )];
        p.on_event(SendersEvent::Trace(Box::new(active)), &mut cx);
        let out = read(&draw(&p, cx.shared, 80, 24, true));
        assert!(!out.contains("cannot be read"), "{out}");
        assert!(
            out.contains(
                "7E1F2C8901: in the active queue; trace stopped before a final status (h: its \
                 log history)"
            ),
            "{out}"
        );
        // an event for another test mail changes nothing
        p.on_event(
            SendersEvent::TraceLog {
                id: "0000000001".into(),
                error: Some(crate::sanitize::Clean::new("x: gone")),
            },
            &mut cx,
        );
        assert!(!read(&draw(&p, cx.shared, 80, 24, true)).contains("x: gone"));
    }

    /// A trace that reads the journal says so when it names nothing of the test mail, and points
    /// at the journal's own setting (which units it reads) before Postfix's `maillog_file`.
    #[test]
    fn a_journal_that_names_nothing_of_the_test_mail_points_at_its_units() {
        use crate::mail::senders::LOG_SILENT;
        let mut config = Config::default();
        config.mail_log.source = crate::mail::log::LogSourceKind::Journal;
        let mut shared = Shared::default();
        let mut p = pane_with(&mut shared, config);
        let mut cx = read_only(&mut shared);
        crate::mail::senders::tests::queued_test(
            &mut p,
            &mut cx,
            "bob@example.com",
            "ops@example.net",
            "7E1F2C8901",
        );
        let out = read(&draw_at(&p, cx.shared, 80, 24, true, now() + LOG_SILENT));
        assert!(
            out.contains(
                "7E1F2C8901: accepted at 20:00:00, but the journal has named nothing of it since: \
                 does Postfix log there? ([mail_log] journal_units; postconf maillog_file)"
            ),
            "{out}"
        );
        assert!(!out.contains("/var/log/mail.log"), "{out}");
    }

    /// A test mail Postfix accepted but the log, readable, names nothing of (Postfix logs
    /// elsewhere): once [`LOG_SILENT`](crate::mail::senders::LOG_SILENT) has passed on the pane's
    /// clock the trace says so and where to look, the screen is redrawn for it then, and a trace
    /// that stops says the log never named the mail rather than pointing at a history it does
    /// not have; a line of it ends the silence.
    #[test]
    fn a_log_that_names_nothing_of_the_test_mail_is_said_not_waited_on() {
        use crate::mail::senders::LOG_SILENT;
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        crate::mail::senders::tests::queued_test(
            &mut p,
            &mut cx,
            "bob@example.com",
            "ops@example.net",
            "7E1F2C8901",
        );
        let silent = "7E1F2C8901: accepted at 20:00:00, but /var/log/mail.log has named nothing \
                      of it since: does Postfix log there? (postconf maillog_file; syslog's \
                      mail.* rule)";
        let second = chrono::Duration::seconds(1);
        // the panel, drawn `d` after the test mail was sent
        let at = |p: &SendersPane, shared: &Shared, d| {
            read(&draw_at(p, shared, 80, 24, true, now() + d))
        };
        // just sent: waiting for the log, as Postfix logs within a second
        let out = at(&p, cx.shared, LOG_SILENT - second);
        assert!(
            out.contains("7E1F2C8901: queued, waiting for the log"),
            "{out}"
        );
        assert!(!out.contains("named nothing"), "{out}");
        // silent for long enough: said, in the overview's line too, and drawn at that tick
        let out = at(&p, cx.shared, LOG_SILENT);
        assert!(out.contains(silent), "{out}");
        let tile = read(&draw_at(&p, cx.shared, 80, 24, false, now() + LOG_SILENT));
        assert!(
            tile.contains("test mail 7E1F2C8901 from bob@example.com: accepted at 20:00:00, but"),
            "{tile}"
        );
        assert!(p.clock_changed(now() + LOG_SILENT - second, now() + LOG_SILENT));
        assert!(!p.clock_changed(now() + LOG_SILENT, now() + LOG_SILENT + second));
        // the trace stops with nothing seen: the log never named it
        p.on_event(SendersEvent::TraceTimeout("7E1F2C8901".into()), &mut cx);
        let out = at(&p, cx.shared, LOG_SILENT * 10);
        assert!(
            out.contains(
                "7E1F2C8901: accepted at 20:00:00, but /var/log/mail.log never named it; trace \
                 stopped: does Postfix log there?"
            ),
            "{out}"
        );
        assert!(!out.contains("h: its log history"), "{out}");
        // a log that cannot be read is the reason, said as such instead
        p.on_event(
            SendersEvent::TraceLog {
                id: "7E1F2C8901".into(),
                error: Some(crate::sanitize::Clean::new(
                    "/var/log/mail.log: permission denied: add your user to group adm",
                )),
            },
            &mut cx,
        );
        let out = at(&p, cx.shared, LOG_SILENT * 10);
        assert!(!out.contains("never named it"), "{out}");
        assert!(
            out.contains("the log cannot be read: /var/log/mail.log: permission denied: add your user to group adm; trace stopped"),
            "{out}"
        );
    }

    /// The SMTP server took its time to accept the test mail (a greeting delay, a slow DNS
    /// lookup): the log's silence counts from when it was accepted, and names that time, not the
    /// start of the submission.
    #[test]
    fn the_silence_of_the_log_counts_from_when_the_test_mail_was_accepted() {
        use crate::mail::senders::LOG_SILENT;
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        use crate::mail::senders::tests::{test_accepted, test_started};
        test_started(&mut p, &mut cx, "bob@example.com", "ops@example.net");
        let late = chrono::Duration::seconds(40);
        cx.now = now() + late;
        test_accepted(&mut p, &mut cx, "7E1F2C8901");
        let second = chrono::Duration::seconds(1);
        let at = |p: &SendersPane, shared: &Shared, d| {
            read(&draw_at(p, shared, 80, 24, true, now() + late + d))
        };
        // just accepted: the log is waited for
        let out = at(&p, cx.shared, second);
        assert!(
            out.contains("7E1F2C8901: queued, waiting for the log"),
            "{out}"
        );
        assert!(!p.clock_changed(now() + late, now() + late + second));
        // silent since it was accepted
        let out = at(&p, cx.shared, LOG_SILENT);
        assert!(
            out.contains(
                "7E1F2C8901: accepted at 20:00:40, but /var/log/mail.log has named nothing of it since"
            ),
            "{out}"
        );
        assert!(p.clock_changed(
            now() + late + LOG_SILENT - second,
            now() + late + LOG_SILENT
        ));
    }

    /// A test mail that bounced: the panel gives SES's reason whole, not cut at 80 columns.
    #[test]
    fn a_bounced_test_mail_gives_its_reason_whole() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        let reason = "host 127.0.0.1[127.0.0.1] said: 554 Message rejected: Email address is not \
                      verified. The following identities failed the check in region US-EAST-1: \
                      bob@example.com (in reply to end of DATA command)";
        traced(
            &mut p,
            &mut cx,
            ("bob@example.com", "ops@example.net", "7E1F2C8901"),
            &[
            "Nov 27 19:59:01 vm postfix/qmgr[10]: 7E1F2C8901: from=<bob@example.com>, size=400, nrcpt=1 (queue active)".to_string(),
            format!("Nov 27 19:59:01 vm postfix/smtp[11]: 7E1F2C8901: to=<ops@example.net>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.1, delays=0/0/0/0.1, dsn=5.0.0, status=bounced ({reason})"),
            ],
        );
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            read(&out).contains(&format!("7E1F2C8901: bounced 5.0.0: {reason}")),
            "{out}"
        );
    }

    /// A test mail the local Postfix did not accept: the panel says why whole, over its rows.
    #[test]
    fn a_test_mail_not_accepted_is_said_whole() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        crate::mail::senders::tests::test_started(
            &mut p,
            &mut cx,
            "alice@example.com",
            "ops@example.net",
        );
        let why = "SMTP 127.0.0.1:9: Connection error: Connection refused (os error 111) \
                   (nothing listens there: is Postfix running, with smtpd on that port? \
                   senders.smtp_host and smtp_port say where the test mail is submitted)";
        p.on_event(SendersEvent::TestSubmitted(Err(why.into())), &mut cx);
        let out = draw(&p, cx.shared, 80, 24, true);
        assert!(
            read(&out).contains(&format!("test mail not accepted: {why}")),
            "{out}"
        );
    }

    /// A test mail is sent to learn where the sender's mail goes: the trace names the relay
    /// that took it.
    #[test]
    fn a_sent_test_mail_names_the_relay_that_took_it() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        traced(
            &mut p,
            &mut cx,
            ("alice@example.com", "ops@example.net", "7E1F2C8902"),
            &[
                "Nov 27 19:59:01 vm postfix/qmgr[10]: 7E1F2C8902: from=<alice@example.com>, size=400, nrcpt=1 (queue active)",
                "Nov 27 19:59:02 vm postfix/smtp[11]: 7E1F2C8902: to=<ops@example.net>, relay=email-smtp.us-east-1.amazonaws.com[3.1.2.3]:587, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok 0100018c99d3047b-000000)",
            ],
        );
        let out = draw(&p, cx.shared, 160, 30, true);
        assert!(
            out.contains(
                "│7E1F2C8902: sent via email-smtp.us-east-1.amazonaws.com[3.1.2.3]:587 (250 Ok \
                 0100018c99d3047b-000000)"
            ),
            "{out}"
        );
    }

    /// A test mail requeued after its deferral (`postsuper -r`) goes on under a new queue id:
    /// the trace names both and ends with what became of it there.
    #[test]
    fn a_requeued_test_mail_is_named_by_both_its_ids() {
        let mut shared = Shared::default();
        let mut p = pane(&mut shared);
        let mut cx = read_only(&mut shared);
        traced(
            &mut p,
            &mut cx,
            ("alice@example.com", "ops@example.net", "7E1F2C8902"),
            &[
                "Nov 27 19:59:01 vm postfix/qmgr[10]: 7E1F2C8902: from=<alice@example.com>, size=400, nrcpt=1 (queue active)",
                "Nov 27 19:59:02 vm postfix/smtp[11]: 7E1F2C8902: to=<ops@example.net>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to email-smtp.us-east-1.amazonaws.com[3.1.2.3]:587: Connection timed out)",
                "Nov 27 19:59:30 vm postfix/postsuper[12]: 7E1F2C8902: requeued",
                "Nov 27 19:59:31 vm postfix/pickup[13]: 8A2B3C8903: uid=0 from=<alice@example.com> orig_id=7E1F2C8902",
                "Nov 27 19:59:31 vm postfix/qmgr[10]: 8A2B3C8903: from=<alice@example.com>, size=400, nrcpt=1 (queue active)",
                "Nov 27 19:59:32 vm postfix/smtp[11]: 8A2B3C8903: to=<ops@example.net>, relay=email-smtp.us-east-1.amazonaws.com[3.1.2.3]:587, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 Ok 0100018c99d3047b-000000)",
                "Nov 27 19:59:32 vm postfix/qmgr[10]: 8A2B3C8903: removed",
            ],
        );
        let out = draw(&p, cx.shared, 160, 30, true);
        assert!(
            out.contains(
                "│7E1F2C8902 (requeued as 8A2B3C8903): sent via \
                 email-smtp.us-east-1.amazonaws.com[3.1.2.3]:587"
            ),
            "{out}"
        );
    }

    #[test]
    fn not_read_yet_and_error_states() {
        let shared = Shared::default();
        let p = SendersPane::new(&Config::default());
        let out = draw(&p, &shared, 80, 8, false);
        assert!(out.contains("reading postconf and the maps"), "{out}");
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        p.on_event(
            SendersEvent::Relay(Err("postconf -c /etc/postfix-out -x ...: postconf: fatal: open /etc/postfix-out/main.cf: No such file or directory".into())),
            &mut cx,
        );
        let out = draw(&p, &shared, 80, 8, false);
        assert!(out.contains("cannot read the relay setup"), "{out}");
        assert!(out.contains("No such file"), "{out}");
        // the overview's tile at 80x24 has two lines: the cause is on them
        let out = draw(&p, &shared, 80, 4, false);
        assert!(
            out.contains("cannot read the relay setup: postconf"),
            "{out}"
        );
        assert!(out.contains("main.cf: No such file"), "{out}");
        assert_eq!(p.health().errors, 1);
    }
}
