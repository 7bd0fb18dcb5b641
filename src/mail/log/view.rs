//! Draws the Failures pane: the overview tile, the zoomed table and the detail view.
//!
//! Pure: reads the pane state, the shared [`MailLog`] and `cx.now`; never does I/O,
//! never reads a clock, draws only with theme roles, and never cuts text without an ellipsis.

use chrono::Local;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::classify::Category;
use super::model::{MailLog, MessageState, Outcome, RowStatus, WindowCounts};
use super::pane::{Detail, FailuresPane};
use super::source::SourceState;
use crate::app::pane::ViewCx;
use crate::mail::queue::model::fmt_age;
use crate::ui::widgets::{Under, fit, fit_address, hanging, pane_block, truncate, wrap_words};

pub fn render(p: &FailuresPane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let log = &cx.shared.mail_log;
    let filters = p.filter_summary();
    let title = if filters.is_empty() {
        "Failures".to_string()
    } else {
        format!("Failures [{}]", filters.join(" "))
    };
    let title = truncate(&title, area.width.saturating_sub(4) as usize);
    let block = pane_block(&title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if let (Some(d), true) = (&p.detail, cx.zoomed) {
        render_detail(p, d, log, frame, inner, cx);
        return;
    }
    let w = inner.width as usize;
    let mut lines: Vec<Line<'_>> = Vec::new();
    let counts = p.counts(log, cx.now);
    // a log that cannot be read leads, above counts that would otherwise read as "all quiet":
    // the overview tile has room for its first two lines only
    let sources = source_lines(p, cx, w);
    let unread = p.sources.is_empty()
        || p.sources
            .iter()
            .any(|s| matches!(s.state, Some(SourceState::Unavailable(_))));
    lines.extend(counts_lines(&counts, log, cx, w));
    lines.push(categories_line(&counts, cx, w));
    let at = if unread { 0 } else { lines.len() };
    lines.splice(at..at, sources);
    if cx.zoomed {
        if let Some(l) = warnings_line(log, cx, w) {
            lines.push(l);
        }
        if !filters.is_empty() {
            lines.push(Line::from(Span::styled(
                truncate(&format!("filters: {}   (x clears)", filters.join("  ")), w),
                cx.theme.accent,
            )));
        }
        render_table(p, log, lines, frame, inner, cx);
    } else {
        render_tile_rows(p, log, lines, frame, inner, cx);
    }
}

fn status_style(o: &Outcome, cx: &ViewCx<'_>) -> Style {
    match o.status {
        RowStatus::Sent => cx.theme.ok,
        // deleted on purpose, or held for someone to look at: worth seeing, not an alarm
        RowStatus::Deferred | RowStatus::Deleted | RowStatus::Held => cx.theme.warn,
        // refused for now only (greylisting): the client keeps the mail, as a deferral
        RowStatus::Rejected if o.refused_for_now() => cx.theme.warn,
        _ => cx.theme.error,
    }
}

/// The order a window's failures are said in, after the mail sent: mail that failed for good
/// first (lost, which nobody was told of, then bounced and expired), then mail still waiting
/// (deferred, held), then refusals at reception (mostly others' mail) and deletions (someone's
/// choice). A line cut at its end keeps what matters most.
const SAID_ORDER: [RowStatus; 8] = [
    RowStatus::Lost,
    RowStatus::Bounced,
    RowStatus::Expired,
    RowStatus::Undeliverable,
    RowStatus::Deferred,
    RowStatus::Held,
    RowStatus::Rejected,
    RowStatus::Deleted,
];

/// How many of `status` a window's counts hold.
fn count_of(counts: &[(RowStatus, usize)], status: RowStatus) -> usize {
    counts
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n)
}

/// A window's counts; `rejected_temporary` of the rejected were refused with a 4xx code, said
/// apart as `opsdeck summary` says them (the client keeps such mail and may try again).
fn counts_text(counts: &[(RowStatus, usize)], rejected_temporary: usize) -> String {
    let fails: Vec<String> = SAID_ORDER
        .iter()
        .map(|s| (*s, count_of(counts, *s)))
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| match s {
            RowStatus::Rejected if rejected_temporary > 0 => {
                format!("{n} rejected ({rejected_temporary} of them 4xx)")
            }
            _ => format!("{n} {}", s.as_str()),
        })
        .collect();
    // what the failures are read against, first: a line cut at its end keeps it
    let sent = count_of(counts, RowStatus::Sent);
    if fails.is_empty() {
        format!("no failures, {sent} sent")
    } else {
        format!("{sent} sent · {}", fails.join(" · "))
    }
}

/// The hour's and the day's counts side by side, each pair as the by-cause line gives them
/// (`15/30 lost`): the overview tile's one line when "hour: ...   day: ..." does not fit.
fn counts_hour_day_text(counts: &WindowCounts) -> String {
    let (hour, day) = (&counts.recent_status, &counts.older_status);
    // the day's window holds the hour's: what the day has none of, the hour has none of
    let fails: Vec<String> = SAID_ORDER
        .iter()
        .filter(|s| count_of(day, **s) > 0)
        .map(|s| {
            let pair = format!("{}/{}", count_of(hour, *s), count_of(day, *s));
            match s {
                RowStatus::Rejected if counts.older_rejected_temporary > 0 => format!(
                    "{pair} rejected ({}/{} 4xx)",
                    counts.recent_rejected_temporary, counts.older_rejected_temporary
                ),
                _ => format!("{pair} {}", s.as_str()),
            }
        })
        .collect();
    let sent = format!(
        "{}/{} sent",
        count_of(hour, RowStatus::Sent),
        count_of(day, RowStatus::Sent)
    );
    if fails.is_empty() {
        format!("hour/day: no failures, {sent}")
    } else {
        format!("hour/day: {sent} · {}", fails.join(" · "))
    }
}

/// The hour's and the day's counts: on one line when they fit, else the hour's and the day's
/// on a line each when zoomed, each cut at its end only, or (the overview tile, whose room is
/// one line) the two side by side as `hour/day: 15/30 lost · ...`. A log with no line in the
/// last hour says so, and how old its newest line is: "no failures, 0 sent" would read as all
/// quiet when Postfix or the syslog daemon has stopped writing.
fn counts_lines<'a>(
    counts: &WindowCounts,
    log: &MailLog,
    cx: &ViewCx<'_>,
    w: usize,
) -> Vec<Line<'a>> {
    use unicode_width::UnicodeWidthStr;
    let (hour, _) = FailuresPane::windows(cx.now);
    let Some(newest) = log.latest() else {
        // nothing read at all (a log not found, not readable, still opening): the counts would
        // read as a quiet host
        return vec![Line::from(Span::styled(
            truncate("no log line read yet: no counts", w),
            cx.theme.header,
        ))];
    };
    let quiet_hour = newest < hour;
    let recent = if quiet_hour {
        format!(
            "no log line, newest {} ago",
            fmt_age(cx.now.signed_duration_since(newest).num_seconds())
        )
    } else {
        counts_text(&counts.recent_status, counts.recent_rejected_temporary)
    };
    let day = counts_text(&counts.older_status, counts.older_rejected_temporary);
    // in no window of the past: said first, as a clock to check, before the counts
    let ahead = (counts.ahead > 0).then(|| format!("{} stamped ahead (clock?)  ", counts.ahead));
    let ahead_w = ahead.as_deref().map_or(0, |a| a.width());
    let first = |text: &str| -> Line<'a> {
        let mut spans = Vec::new();
        if let Some(a) = &ahead {
            spans.push(Span::styled(truncate(a, w), cx.theme.warn));
        }
        spans.push(Span::styled(
            truncate(text, w.saturating_sub(ahead_w)),
            cx.theme.header,
        ));
        Line::from(spans)
    };
    let one = format!("hour: {recent}   day: {day}");
    if ahead_w + one.width() <= w {
        return vec![first(&one)];
    }
    if cx.zoomed {
        // "day:" padded under "hour:", the counts aligned
        return vec![
            first(&format!("hour: {recent}")),
            Line::from(Span::styled(
                truncate(&format!("day:  {day}"), w),
                cx.theme.header,
            )),
        ];
    }
    if quiet_hour {
        // the hour's words say the log went quiet, which the pairs cannot
        return vec![first(&one)];
    }
    vec![first(&counts_hour_day_text(counts))]
}

fn categories_line<'a>(counts: &WindowCounts, cx: &ViewCx<'_>, w: usize) -> Line<'a> {
    let day_counts = &counts.older_categories;
    if day_counts.is_empty() {
        return Line::from(Span::styled(
            truncate("no failure categories in the last day", w),
            cx.theme.muted,
        ));
    }
    let hour_counts = &counts.recent_categories;
    let parts: Vec<String> = day_counts
        .iter()
        .map(|(c, n)| {
            let h = hour_counts
                .iter()
                .find(|(x, _)| x == c)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            format!("{} {h}/{n}", c.label())
        })
        .collect();
    Line::from(vec![
        Span::styled("by cause (hour/day): ", cx.theme.muted),
        Span::styled(
            truncate(&parts.join(" · "), w.saturating_sub(21)),
            cx.theme.text,
        ),
    ])
}

fn source_lines<'a>(p: &FailuresPane, cx: &ViewCx<'_>, w: usize) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for s in &p.sources {
        let (text, style) = match &s.state {
            Some(SourceState::Unavailable(m)) => (m.clone(), cx.theme.error),
            None => (format!("opening {}…", s.label), cx.theme.muted),
            Some(SourceState::Following) => {
                let how = if s.notify { "inotify" } else { "polling" };
                let back = if s.backfilling {
                    " · reading history…"
                } else {
                    ""
                };
                let unparsed = if p.unparsed > 0 {
                    let lines = if p.unparsed == 1 { "line" } else { "lines" };
                    format!(" · {} {lines} not understood", p.unparsed)
                } else {
                    String::new()
                };
                (
                    format!("following {} ({how}){back}{unparsed}", s.label),
                    cx.theme.muted,
                )
            }
        };
        // what is wrong and what to do, whole when the pane has the room (the overview tile
        // keeps its one line)
        if matches!(s.state, Some(SourceState::Unavailable(_))) && cx.zoomed {
            for row in wrap_words(&text, w, 4) {
                out.push(Line::from(Span::styled(row, style)));
            }
        } else {
            out.push(Line::from(Span::styled(truncate(&text, w), style)));
        }
    }
    if out.is_empty() {
        out.push(Line::from(Span::styled(
            truncate("no mail log source configured ([mail_log] files)", w),
            cx.theme.warn,
        )));
    }
    out
}

/// SASL/TLS warnings of the last hour: how many, and the latest one.
fn warnings_line<'a>(log: &MailLog, cx: &ViewCx<'_>, w: usize) -> Option<Line<'a>> {
    let (hour, _) = FailuresPane::windows(cx.now);
    let recent: Vec<_> = log
        .warnings()
        .iter()
        .rev()
        .take_while(|x| x.time >= hour)
        .filter(|x| x.category != super::classify::Category::Other)
        .collect();
    let latest = recent.first()?;
    let text = format!(
        "{} SASL/TLS warning(s) this hour; latest: {}",
        recent.len(),
        latest.text
    );
    Some(Line::from(Span::styled(truncate(&text, w), cx.theme.warn)))
}

fn short_time(o: &Outcome, cx: &ViewCx<'_>) -> String {
    time_of_day(o, cx, "%H:%M:%S")
}

/// The time of day for the last 20 hours (in `fmt`), else the date.
fn time_of_day(o: &Outcome, cx: &ViewCx<'_>, fmt: &str) -> String {
    let t = o.time.with_timezone(&Local);
    let age = cx.now.signed_duration_since(t);
    // a row stamped ahead (a clock that jumped) on another day: its date, or tomorrow's 03:00
    // would read as this morning's
    let ahead_another_day = age < chrono::Duration::zero() && t.date_naive() != cx.now.date_naive();
    if age < chrono::Duration::hours(20) && !ahead_another_day {
        t.format(fmt).to_string()
    } else {
        t.format("%b %d").to_string()
    }
}

fn sender_text(o: &Outcome) -> String {
    match o.from.as_deref() {
        Some("") => "<> (bounce)".to_string(),
        Some(f) => f.to_string(),
        None => "?".to_string(),
    }
}

fn render_tile_rows<'a>(
    p: &FailuresPane,
    log: &MailLog,
    mut lines: Vec<Line<'a>>,
    frame: &mut Frame<'_>,
    area: Rect,
    cx: &ViewCx<'_>,
) {
    let w = area.width as usize;
    let room = (area.height as usize).saturating_sub(lines.len());
    let mut any = false;
    for o in p.rows(log).take(room) {
        any = true;
        let cat = row_cause(o).unwrap_or("");
        let head = format!("{} {} ", short_time(o, cx), fit(o.status.as_str(), 8));
        let rest = format!("{}  {} → {}", cat, sender_text(o), o.to);
        let rest_w = w.saturating_sub(head.chars().count());
        lines.push(Line::from(vec![
            Span::styled(head, status_style(o, cx)),
            Span::styled(truncate(&rest, rest_w), cx.theme.text),
        ]));
    }
    if !any && room > 0 {
        lines.push(Line::from(Span::styled(
            truncate("no failures logged", w),
            cx.theme.ok,
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

struct Cols {
    /// 8 (`19:34:21`), or 6 (`19:34`) in a narrow table.
    time: usize,
    category: usize,
    /// 0: not shown (a narrow table keeps the recipient rather than the sender).
    sender: usize,
    rcpt: usize,
    dsn: usize,
    relay: usize,
    reason: usize,
}

impl Cols {
    /// The width of the time and status columns, with their separators.
    fn head(&self) -> usize {
        self.time + 1 + 8 + 1
    }
}

/// The narrowest sender and recipient columns shown side by side; below that, a narrow table
/// (an ssh session on a phone, a split pane) shows the recipient alone.
const MIN_ADDRESS: usize = 14;

fn columns(w: usize) -> Cols {
    // time 8, status 8, category 17, separators
    let fixed = 8 + 1 + 8 + 1 + 17 + 1;
    let rest = w.saturating_sub(fixed);
    let wide = |sender, rcpt, dsn, relay, reason| Cols {
        time: 8,
        category: 17,
        sender,
        rcpt,
        dsn,
        relay,
        reason,
    };
    if w >= 140 {
        let dsn = 6;
        let relay = 26;
        let flex = rest.saturating_sub(dsn + 1 + relay + 1);
        let sender = (flex / 4).clamp(12, 30);
        let rcpt = (flex / 4).clamp(12, 30);
        let reason = flex.saturating_sub(sender + rcpt + 2);
        wide(sender, rcpt, dsn, relay, reason)
    } else if w >= 100 {
        let dsn = 6;
        let flex = rest.saturating_sub(dsn + 1);
        let sender = (flex / 3).clamp(10, 26);
        let rcpt = (flex / 3).clamp(10, 26);
        let reason = flex.saturating_sub(sender + rcpt + 2);
        wide(sender, rcpt, dsn, 0, reason)
    } else if rest > 2 * MIN_ADDRESS {
        let sender = rest.saturating_sub(1) / 2;
        let rcpt = rest.saturating_sub(1 + sender);
        wide(sender, rcpt, 0, 0, 0)
    } else {
        // no sender; the seconds go below 50 columns; the category gives the recipient up to
        // half of what is left (its label is cut, the row's reason is shown under the table)
        let time = if w >= 50 { 8 } else { 6 };
        let rest = w.saturating_sub(time + 1 + 8 + 1);
        let category = (rest.saturating_sub(1) / 2).clamp(10, 17).min(rest);
        let rcpt = rest.saturating_sub(category + 1);
        Cols {
            time,
            category,
            sender: 0,
            rcpt,
            dsn: 0,
            relay: 0,
            reason: 0,
        }
    }
}

/// A row's cause as its category column says it: the category's label, but for lost mail what
/// lost it, where "LOST" would only say its status again: a bounce notification that failed
/// too (or left the queue undelivered), or a message removed with no delivery logged.
fn row_cause(o: &Outcome) -> Option<&'static str> {
    Some(match o.category? {
        Category::Lost if o.bounce_of.is_some() => "bounce failed",
        Category::Lost => "removed unsent",
        c => c.label(),
    })
}

fn row_text(o: &Outcome, c: &Cols, cx: &ViewCx<'_>) -> (String, String) {
    let time = if c.time < 8 {
        time_of_day(o, cx, "%H:%M")
    } else {
        short_time(o, cx)
    };
    let head = format!("{} {} ", fit(&time, c.time), fit(o.status.as_str(), 8));
    let mut rest = fit(row_cause(o).unwrap_or("-"), c.category);
    if c.sender > 0 {
        rest.push(' ');
        rest.push_str(&fit_address(&sender_text(o), c.sender));
    }
    rest.push(' ');
    if c.sender == 0 && o.from.as_deref() == Some("") {
        // no sender column: a bounce notice says it is one (from <>), or its failure reads as
        // one of mail to that recipient
        rest.push_str(&fit_address(&format!("<> {}", o.to), c.rcpt));
    } else {
        rest.push_str(&fit_address(&o.to, c.rcpt));
    }
    if c.dsn > 0 {
        rest.push(' ');
        rest.push_str(&fit(&o.dsn, c.dsn));
    }
    if c.relay > 0 {
        rest.push(' ');
        match relay_words(o) {
            Some((short, _)) => rest.push_str(&fit(&short, c.relay)),
            None => rest.push_str(&fit(&o.relay, c.relay)),
        }
    }
    if c.reason > 0 {
        rest.push(' ');
        rest.push_str(&fit(short_reason(o), c.reason));
    }
    (head, rest)
}

fn render_table<'a>(
    p: &FailuresPane,
    log: &MailLog,
    mut lines: Vec<Line<'a>>,
    frame: &mut Frame<'_>,
    area: Rect,
    cx: &ViewCx<'_>,
) {
    let w = area.width as usize;
    let c = columns(w);
    let mut header = format!(
        "{} {} {}",
        fit("TIME", c.time),
        fit("STATUS", 8),
        fit("CATEGORY", c.category),
    );
    if c.sender > 0 {
        header.push(' ');
        header.push_str(&fit("SENDER", c.sender));
    }
    header.push(' ');
    header.push_str(&fit("RECIPIENT", c.rcpt));
    if c.dsn > 0 {
        header.push(' ');
        header.push_str(&fit("DSN", c.dsn));
    }
    if c.relay > 0 {
        header.push(' ');
        header.push_str(&fit("RELAY", c.relay));
    }
    if c.reason > 0 {
        header.push(' ');
        header.push_str(&fit("REASON", c.reason));
    }
    lines.push(Line::from(Span::styled(
        truncate(&header, w),
        cx.theme.header,
    )));
    let rows = p.shown(log);
    let total = rows.len();
    // the selected row's reason is shown under the table when the table has no reason column
    let footer = if c.reason == 0 { 2 } else { 0 };
    let room = (area.height as usize).saturating_sub(lines.len() + footer);
    if total == 0 {
        let msg = if p.sources.iter().any(|s| s.backfilling) {
            "no failures yet (still reading history)"
        } else if p.filter_summary().is_empty() {
            "no failures logged"
        } else {
            "no rows match the filters"
        };
        lines.push(Line::from(Span::styled(truncate(msg, w), cx.theme.muted)));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let sel = p.selected.min(total - 1);
    let start = p.window.start(sel, room, total);
    let mut selected: Option<&Outcome> = None;
    for (i, k) in rows.iter().enumerate().skip(start).take(room) {
        let o = &log.outcomes()[*k];
        let (head, rest) = row_text(o, &c, cx);
        if i == sel {
            selected = Some(o);
            let text = truncate(&format!("{head}{rest}"), w);
            lines.push(Line::from(Span::styled(fit(&text, w), cx.theme.selection)));
        } else {
            lines.push(Line::from(vec![
                Span::styled(head, status_style(o, cx)),
                Span::styled(truncate(&rest, w.saturating_sub(c.head())), cx.theme.text),
            ]));
        }
    }
    if footer > 0 {
        let filler = (area.height as usize).saturating_sub(lines.len() + footer);
        lines.extend(std::iter::repeat_n(Line::from(""), filler));
        if let Some(o) = selected {
            let pos = format!("{}/{}", sel + 1, total);
            lines.push(Line::from(Span::styled(
                truncate(&footer_text(&pos, o), w),
                cx.theme.muted,
            )));
            lines.push(Line::from(Span::styled(
                truncate(short_reason(o), w),
                cx.theme.text,
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn state_words(s: MessageState) -> &'static str {
    match s {
        MessageState::Queued => "still in the queue",
        MessageState::Delivered => "delivered and removed from the queue",
        MessageState::Returned => "returned to sender (bounce notification)",
        MessageState::Lost => "LOST: left the queue and nobody was told",
        MessageState::Deleted => "deleted by postsuper -d",
        MessageState::Requeued => "requeued with a new queue id",
    }
}

fn render_detail(
    p: &FailuresPane,
    d: &Detail,
    log: &MailLog,
    frame: &mut Frame<'_>,
    area: Rect,
    cx: &ViewCx<'_>,
) {
    let o = d
        .seq
        .and_then(|seq| log.outcomes().iter().rev().find(|o| o.seq == seq));
    let id = d
        .queue_id
        .as_ref()
        .map(|q| q.as_str().to_string())
        .unwrap_or_else(|| "NOQUEUE".into());
    let mut lines: Vec<Line<'_>> = Vec::new();
    let label = |k: &str| Span::styled(format!("{k:<10}"), cx.theme.muted);
    // a labelled field too long for the line wraps under its value, not under the labels
    let field = |k: &str, v: String, style: Style| {
        hanging(
            vec![(format!("{k:<10}"), cx.theme.muted), (v, style)],
            usize::from(area.width),
            10,
        )
    };
    let mut head = vec![Span::styled(format!("Message {id}"), cx.theme.title)];
    if let Some(o) = o {
        head.push(Span::styled(
            format!("  {}", o.status.as_str()),
            status_style(o, cx),
        ));
        // a cause that only says the status again (expired) is said once
        if let Some(c) = row_cause(o).filter(|c| !c.eq_ignore_ascii_case(o.status.as_str())) {
            head.push(Span::styled(format!("  {c}"), cx.theme.accent));
        }
    }
    lines.push(Line::from(head));
    let message = d.queue_id.as_ref().and_then(|q| log.message(q));
    if let Some(o) = o {
        lines.push(Line::from(vec![
            label("time"),
            Span::styled(
                o.time
                    .with_timezone(&Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                cx.theme.text,
            ),
        ]));
        lines.extend(field("from", sender_text(o), cx.theme.text));
        lines.extend(field("to", o.to.to_string(), cx.theme.text));
        if !o.relay.is_empty() {
            let what = if refused_at_reception(o) {
                "refused"
            } else {
                "relay"
            };
            let relay = match relay_words(o) {
                Some((_, long)) => long,
                None => o.relay.to_string(),
            };
            lines.extend(field(what, relay, cx.theme.text));
        }
        if !o.dsn.is_empty() {
            lines.push(Line::from(vec![
                label("dsn"),
                Span::styled(o.dsn.to_string(), cx.theme.text),
            ]));
        }
    }
    // the sender's route as the Senders pane read it: which relay this sender's mail goes
    // through, without leaving the pane (not for a refusal at reception: not this host's sender)
    let sender = if o.is_some_and(refused_at_reception) {
        None
    } else {
        o.and_then(|o| o.from.clone())
            .or_else(|| message.and_then(|m| m.from.clone()))
    };
    if let Some(f) = sender {
        lines.extend(field("route", route_text(f.as_str(), cx), cx.theme.text));
    }
    if let Some(m) = message {
        let mut state = if m.held && m.state() == MessageState::Queued {
            // held by a rule or by postsuper -h: no retry until someone releases it
            format!(
                "on hold in the queue: not tried until released (postsuper -H {})",
                m.id
            )
        } else {
            state_words(m.state()).to_string()
        };
        // the notification's own fate: a bounce refused in turn (SES and MAILER-DAEMON) told
        // nobody, whatever "returned" says
        let notice_lost = m
            .notification
            .as_ref()
            .and_then(|n| log.message(n))
            .is_some_and(|n| n.state() == MessageState::Lost);
        match &m.notification {
            Some(n) if notice_lost => {
                state = format!(
                    "bounced, but its bounce notification {n} was LOST too: the sender was never told"
                );
            }
            // "returned to sender (bounce notification); bounce notification X" said it twice
            Some(n) if m.state() == MessageState::Returned => {
                state = format!("returned to sender in bounce notification {n}");
            }
            Some(n) => {
                let name = log.message(n).map_or("notification", |x| x.notice_name);
                state.push_str(&format!("; {name} {n}"));
            }
            None => {}
        }
        if let Some(b) = &m.bounce_of {
            if m.non_delivery {
                state.push_str(&format!("; this is the bounce for {b}"));
            } else {
                state.push_str(&format!("; this is the {} for {b}", m.notice_name));
            }
        }
        if let Some(n) = &m.requeued_to {
            state.push_str(&format!("; now {n}"));
            // where the requeued copy got to (requeued again: the last id)
            let mut next = log.message(n);
            for _ in 0..8 {
                match next.and_then(|x| x.requeued_to.as_ref()) {
                    Some(id) => {
                        state.push_str(&format!(", then {id}"));
                        next = log.message(id);
                    }
                    None => break,
                }
            }
            if let Some(x) = next {
                state.push_str(&format!(": {}", state_words(x.state())));
            }
        }
        let style = if m.state() == MessageState::Lost || notice_lost {
            cx.theme.error
        } else {
            cx.theme.text
        };
        lines.extend(field("state", state, style));
    }
    if let Some(c) = o.and_then(|o| o.category) {
        lines.push(Line::from(""));
        let mut means = vec![
            Span::styled("What it means: ", cx.theme.header),
            Span::styled(c.meaning(), cx.theme.text),
        ];
        // a 4xx refusal at reception (greylisting here, a DNS lookup that failed, a milter's
        // tempfail) is for now only: the client keeps the mail and tries again
        if o.is_some_and(Outcome::refused_for_now) {
            means.push(Span::styled(
                " Its code starts with 4: refused for now only, so the client keeps the mail and \
                 may try again later; it may still arrive.",
                cx.theme.text,
            ));
        }
        lines.push(Line::from(means));
        // the commands a remedy gives for one message name this one
        let remedy = match o.and_then(|o| o.queue_id.as_ref()) {
            Some(id) if c.remedy().contains("QUEUE_ID") => {
                c.remedy().replace("QUEUE_ID", id.as_str()).into()
            }
            _ => std::borrow::Cow::Borrowed(c.remedy()),
        };
        let mut todo = vec![
            Span::styled("What to do: ", cx.theme.header),
            Span::styled(remedy, cx.theme.text),
        ];
        // expired mail whose deferrals are older than the lines kept: the history the remedy
        // points to holds none, so say where they are
        if let Some(id) = o
            .filter(|_| c == super::classify::Category::Expired)
            .and_then(|o| o.queue_id.as_ref())
            && !log
                .history(id.as_str())
                .iter()
                .any(|l| l.contains("status=deferred") || l.contains("status=SOFTBOUNCE"))
        {
            // in what opsdeck reads: the configured files and their rotations, or the journal
            let search = p.log_config.search_hint(id.as_str());
            todo.push(Span::styled(
                format!(
                    " Its deferrals are older than the lines kept here: search the whole log for \
                     them ({}).",
                    search.as_str()
                ),
                cx.theme.text,
            ));
        }
        // a lost bounce notice: the sender to tell is the one it was for (the original's sender,
        // or the notice's recipient when it went to the sender), not the null sender the row
        // shows; unsaid for a notice to the postmaster of mail the log does not hold
        if let Some(o) = o.filter(|_| c == super::classify::Category::Lost)
            && let Some(who) = &o.notice_for
        {
            let of = o.bounce_of.as_ref().map(|b| b.as_str()).unwrap_or_default();
            todo.push(Span::styled(
                format!(" The sender not told is {who}, whose message {of} failed."),
                cx.theme.text,
            ));
        }
        lines.push(Line::from(todo));
    }
    if let Some(ses) = o.and_then(|o| o.ses.as_ref()) {
        lines.push(Line::from(vec![
            Span::styled("SES: ", cx.theme.header),
            Span::styled(
                format!(
                    "region {}, identities that failed: {}",
                    // as AWS writes regions (us-east-1); the evidence below keeps SES's capitals
                    ses.region.to_ascii_lowercase(),
                    ses.identities.join(", ")
                ),
                cx.theme.accent,
            ),
        ]));
    }
    if let Some(o) = o
        && !o.reason.is_empty()
    {
        lines.push(Line::from(vec![
            Span::styled("Evidence: ", cx.theme.header),
            Span::styled(o.reason.to_string(), cx.theme.text),
        ]));
    }
    let queued = message.is_some_and(|m| m.state() == MessageState::Queued);
    let from = o
        .and_then(|o| o.from.clone())
        .or_else(|| message.and_then(|m| m.from.clone()));
    // refused at reception: the client's sender is not one of this host's, and `s` says so
    // rather than going there; without a queue id it never was in the queue
    let refused = o.is_some_and(refused_at_reception);
    let mut links = vec![Span::styled("Links: ", cx.theme.header)];
    if queued {
        links.push(Span::styled("u", cx.theme.accent));
        links.push(Span::styled(" queue entry (still queued)  ", cx.theme.text));
    } else if refused && d.queue_id.is_none() {
        links.push(Span::styled(
            "none: refused at reception, never queued",
            cx.theme.muted,
        ));
    } else {
        links.push(Span::styled("not in the queue any more  ", cx.theme.muted));
    }
    if let Some(f) = from.filter(|_| !refused) {
        links.push(Span::styled("s", cx.theme.accent));
        let to = if f.is_empty() {
            // the null sender: the bounce notices' own row
            format!(" {} in Senders (bounce notices)", super::pane::NULL_SENDER)
        } else {
            format!(" sender {f} in Senders")
        };
        links.push(Span::styled(to, cx.theme.text));
    }
    lines.push(Line::from(links));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("History", cx.theme.header)));
    let history = d
        .queue_id
        .as_ref()
        .map(|q| log.history(q.as_str()))
        .unwrap_or_default();
    if history.is_empty() {
        let none = if refused && d.queue_id.is_none() {
            "none: refused before it had a queue id, its one line is the refusal"
        } else {
            "no lines kept for this message"
        };
        lines.push(Line::from(Span::styled(none, cx.theme.muted)));
    }
    for h in history {
        let style = if h.starts_with("--") {
            cx.theme.accent
        } else {
            cx.theme.muted
        };
        lines.push(Line::from(Span::styled(h.to_string(), style)));
    }
    d.scroll
        .render(frame, lines, area, Under::Border, cx.theme.muted);
}

/// A sender's route in words, from the relay setup the Senders pane read, or why it is not
/// known. With several Postfix instances, the one it is for is named: this mail may have gone
/// through another.
fn route_text(sender: &str, cx: &ViewCx<'_>) -> String {
    let Some(snap) = &cx.shared.relay else {
        return "not known yet: the Senders pane has not read the relay setup".into();
    };
    let route = crate::mail::senders::model::route_summary(snap, sender);
    if cx.shared.several_instances {
        format!(
            "if sent through instance {}: {route}",
            crate::sanitize::Clean::new(&snap.instance)
        )
    } else {
        route
    }
}

/// The list's footer for the selected row: its position, queue id, and the dsn and relay it has
/// (a refusal at reception names where it was refused; a DISCARD has neither).
fn footer_text(pos: &str, o: &Outcome) -> String {
    let mut t = format!(
        "{pos}  {}",
        o.queue_id.as_ref().map(|q| q.as_str()).unwrap_or("NOQUEUE")
    );
    if !o.dsn.is_empty() {
        t.push_str(&format!("  dsn={}", o.dsn));
    }
    if !o.relay.is_empty() {
        if refused_at_reception(o) {
            t.push_str(&format!("  refused at {}", o.relay));
        } else if let Some((short, _)) = relay_words(o) {
            t.push_str(&format!("  relay: {short}"));
        } else {
            t.push_str(&format!("  relay={}", o.relay));
        }
    }
    t
}

/// The reply as a row shows it, beside its relay: without Postfix's `host NAME[ADDR] said: `
/// when NAME[ADDR] is the relay the row names, and without the SMTP stage Postfix adds at the end
/// (` (in reply to RCPT TO command)`). The detail view shows the reply whole.
fn short_reason(o: &Outcome) -> &str {
    let mut r: &str = &o.reason;
    if let Some((server, reply)) = super::classify::quoted_reply(r)
        && !server.contains(' ')
        && relay_server(&o.relay).eq_ignore_ascii_case(server)
    {
        r = reply;
    }
    if r.ends_with(" command)")
        && let Some(i) = r.rfind(" (in reply to ")
    {
        r = &r[..i];
    }
    r
}

/// `relay=` without its port: `smtp.example.com[192.0.2.1]:587` -> `smtp.example.com[192.0.2.1]`.
fn relay_server(relay: &str) -> &str {
    match relay.rfind(']') {
        Some(close) => &relay[..=close],
        None => relay,
    }
}

/// An outcome's `relay` field in words that cannot be misread, short (the list, its footer) and
/// long (the detail). Postfix logs `relay=none` when no server took the mail, and for a deferral
/// it did not even try (`delivery temporarily suspended`: the next hop had just failed); "none"
/// alone reads as "no relay configured". `None` for a field shown as it is.
fn relay_words(o: &Outcome) -> Option<(String, String)> {
    if !o.relay.eq_ignore_ascii_case("none") {
        return None;
    }
    if let Some(earlier) = super::classify::suspended_after(&o.reason) {
        let long = match super::classify::server_named(earlier) {
            Some(server) => {
                format!("not tried (relay=none): next hop suspended after failures at {server}")
            }
            None => "not tried (relay=none): next hop suspended after earlier failures".into(),
        };
        return Some(("not tried (suspended)".into(), long));
    }
    Some((
        "none reached".into(),
        "none reached (relay=none): no server took the mail".into(),
    ))
}

/// A refusal at reception: its `relay` field holds the SMTP stage and the client, not a relay.
fn refused_at_reception(o: &Outcome) -> bool {
    o.status == RowStatus::Rejected
}
