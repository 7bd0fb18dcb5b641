//! Drawing the Probe pane: the overview tile (targets at a glance and the
//! echo listener's pulse), the zoomed list (targets by check, the echo
//! listener's recent requests), and the details (a target's verdicts with
//! evidence and fixes, its hops, TLS, and headers as sent beside headers as
//! received; one echo request in full).
//!
//! Pure: reads the pane's state and `cx` only, never the clock or the world.
//! Every line is fitted to the width with an ellipsis, never cut mid-word
//! silently.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::checks::{Check, HopView, Level, TargetReport};
use super::{EchoLine, Focus, ProbePane};
use crate::app::pane::ViewCx;
use crate::ui::widgets::{Under, fit, hanging, pane_block, truncate, wrap_words};

const CHECKS: [Check; 6] = [
    Check::Redirects,
    Check::Tls,
    Check::Baseline,
    Check::Forged,
    Check::TwoXff,
    Check::Backend,
];

fn level_style(l: Level, cx: &ViewCx<'_>) -> Style {
    match l {
        Level::Ok => cx.theme.ok,
        Level::Warn => cx.theme.warn,
        Level::Fail => cx.theme.error,
        Level::Skip => cx.theme.muted,
    }
}

/// Fit styled pieces into `width` columns, the last piece that does not fit
/// ending in an ellipsis.
fn fitted(pieces: Vec<(String, Style)>, width: usize) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (text, style) in pieces {
        let left = width.saturating_sub(used);
        if left == 0 {
            break;
        }
        let t = truncate(&text, left);
        used += t.width();
        spans.push(Span::styled(t, style));
    }
    Line::from(spans)
}

fn age(now: i64, at: i64) -> String {
    let s = (now - at).max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Draw the pane.
pub fn render(p: &ProbePane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let mut title = "Probe".to_string();
    if !p.filter.is_empty() {
        title = format!("Probe /{}", p.filter);
    }
    if p.targets.is_empty() && !p.echo.enabled {
        crate::ui::widgets::not_configured(
            frame,
            area,
            "Probe",
            "No probe target: add a [[probe.targets]] table with the site's public URL.",
            cx,
        );
        return;
    }
    let block = pane_block(&title, cx);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 4 || inner.height == 0 {
        return;
    }
    if !cx.zoomed {
        render_tile(p, frame, inner, cx);
    } else if p.detail {
        match p.focus {
            Focus::Targets => render_target_detail(p, frame, inner, cx),
            Focus::Echo => render_echo_detail(p, frame, inner, cx),
        }
    } else {
        render_list(p, frame, inner, cx);
    }
}

fn echo_pulse(p: &ProbePane, cx: &ViewCx<'_>) -> Vec<(String, Style)> {
    let e = &p.echo;
    if !e.enabled {
        return vec![("echo listener off".into(), cx.theme.muted)];
    }
    if let Some(err) = &e.error {
        return vec![(err.to_string(), cx.theme.error)];
    }
    let addr = e.addr.as_ref().map_or("starting…", |a| a.as_str());
    let mut v = vec![
        ("echo ".into(), cx.theme.muted),
        (addr.to_string(), cx.theme.accent),
        (format!("  {} requests", e.requests), cx.theme.text),
    ];
    if e.refused + e.rejected > 0 {
        v.push((
            format!(", {} refused, {} rejected", e.refused, e.rejected),
            cx.theme.warn,
        ));
    }
    if let Some(last) = e.recent.first() {
        v.push((
            format!("  last {} {} from {}", last.method, last.path, last.client),
            cx.theme.muted,
        ));
    }
    v
}

/// "the app trusts a forged X-Forwarded-For · forged headers, backend direct
/// failed · certificate to check": what the worst failure means for the site
/// first (a glance at a wall or over ssh needs the consequence, not the name
/// of a check), then which checks said so, for as far as the width goes.
fn tile_summary(r: &TargetReport, cx: &ViewCx<'_>) -> Vec<(String, Style)> {
    let named = |l: Level| {
        r.verdicts
            .iter()
            .filter(|v| v.level == l)
            .map(|v| v.check.label())
            .collect::<Vec<_>>()
    };
    let (fail, warn) = (named(Level::Fail), named(Level::Warn));
    let mut parts = Vec::new();
    if !fail.is_empty() {
        parts.push(format!("{} failed", fail.join(", ")));
    }
    if !warn.is_empty() {
        parts.push(format!("{} to check", warn.join(", ")));
    }
    if parts.is_empty() {
        let n = r.verdicts.iter().filter(|v| v.level == Level::Ok).count();
        parts.push(format!("{n} checks ok"));
    }
    let names = parts.join(" · ");
    match r.headline() {
        Some(v) => vec![
            (v.plain().to_string(), cx.theme.text),
            (format!(" · {names}"), cx.theme.muted),
        ],
        None => vec![(names, cx.theme.muted)],
    }
}

fn target_status(t: &super::TargetRow, cx: &ViewCx<'_>) -> (String, Style) {
    match (&t.report, t.running) {
        (_, true) => ("…".into(), cx.theme.accent),
        (None, false) => ("-".into(), cx.theme.muted),
        (Some(r), false) => (r.worst().label().into(), level_style(r.worst(), cx)),
    }
}

/// The targets out of sight counted by their result, the worst first (" 1 FAIL, 1 probing"): on
/// a small screen the only word of them there is room for.
fn counted(p: &ProbePane, hidden: &[usize], cx: &ViewCx<'_>) -> Vec<(String, Style)> {
    let mut counts: Vec<(String, usize, Style)> = Vec::new();
    for &i in hidden {
        let (st, style) = target_status(&p.targets[i], cx);
        match counts.iter_mut().find(|(s, _, _)| *s == st) {
            Some(c) => c.1 += 1,
            None => counts.push((st, 1, style)),
        }
    }
    counts.sort_by_key(|(s, _, _)| {
        ["FAIL", "WARN", "…", "-", "ok", "skip"]
            .iter()
            .position(|o| o == s)
    });
    counts
        .into_iter()
        .enumerate()
        .map(|(k, (st, n, style))| {
            let st = match st.as_str() {
                "…" => "probing",
                "-" => "not probed",
                s => s,
            };
            (format!("{} {n} {st}", if k == 0 { "" } else { "," }), style)
        })
        .collect()
}

fn render_tile(p: &ProbePane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let w = area.width as usize;
    let mut lines = Vec::new();
    // An echo listener that could not start leads, as the pane's '!' on the tab does: in an
    // overview of 20 rows a tile keeps its first line only, and the targets' results there
    // said nothing of it.
    let echo_failed = p.echo.enabled && p.echo.error.is_some();
    if echo_failed {
        lines.push(fitted(echo_pulse(p, cx), w));
    }
    let room = (area.height as usize).saturating_sub(1).max(1);
    let vis = p.visible();
    for &i in vis
        .iter()
        .take(if vis.len() > room { room - 1 } else { room })
    {
        let t = &p.targets[i];
        let (st, style) = target_status(t, cx);
        let summary = match &t.report {
            _ if t.running => vec![("probing…".to_string(), cx.theme.muted)],
            None => vec![("not probed yet".to_string(), cx.theme.muted)],
            Some(r) => tile_summary(r, cx),
        };
        let mut pieces = vec![
            (fit(&st, 5), style),
            (fit(&t.name, 14), cx.theme.text),
            (" ".into(), cx.theme.text),
        ];
        pieces.extend(summary);
        lines.push(fitted(pieces, w));
    }
    if vis.len() > room {
        // the rows left out, counted by their result: on a small screen
        // this may be the only line that shows the targets at all
        let shown = room - 1;
        let hidden = &vis[shown..];
        let mut spans = vec![(
            if shown == 0 {
                format!("{} targets:", hidden.len())
            } else {
                format!("… {} more:", hidden.len())
            },
            cx.theme.muted,
        )];
        spans.extend(counted(p, hidden, cx));
        // and what the worst of them means, as a shown row would say
        let worst = hidden
            .iter()
            .filter_map(|&i| {
                let t = &p.targets[i];
                let v = t.report.as_ref()?.headline()?;
                Some((t, v))
            })
            .min_by_key(|(_, v)| std::cmp::Reverse(v.level));
        if let Some((t, v)) = worst {
            spans.push((format!(" · {}: ", t.name), cx.theme.muted));
            spans.push((v.plain().to_string(), cx.theme.text));
        }
        lines.push(fitted(spans, w));
    }
    if p.targets.is_empty() {
        lines.push(fitted(
            vec![("no targets configured".into(), cx.theme.muted)],
            w,
        ));
    } else if vis.is_empty() {
        lines.push(fitted(vec![(no_match(p), cx.theme.muted)], w));
    }
    if !echo_failed {
        lines.push(fitted(echo_pulse(p, cx), w));
    }
    let left = (area.height as usize).saturating_sub(lines.len());
    let now = cx.now.timestamp();
    for e in p.echo.recent.iter().take(left) {
        lines.push(echo_row(e, now, w, cx));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// What a filter that hides every target says, instead of an empty grid that reads as a pane
/// with no targets.
fn no_match(p: &ProbePane) -> String {
    format!(
        "no target matches /{} ({} configured)",
        p.filter,
        p.targets.len()
    )
}

/// The forwarding headers of an echo request in one line, or what came instead.
fn forwarding_text(e: &EchoLine) -> String {
    forwarding_parts(e).join("; ")
}

/// What the balancer said of an echo request, in arrival order: the PROXY header, then each
/// forwarding header; or that none came.
fn forwarding_parts(e: &EchoLine) -> Vec<String> {
    let mut parts: Vec<String> = e.proxy.iter().map(ToString::to_string).collect();
    parts.extend(e.forwarding.iter().map(|(n, v)| format!("{n}: {v}")));
    if parts.is_empty() {
        parts.push("(no forwarding header)".into());
    }
    parts
}

/// Below this width the echo list's last column (what the age, client and request leave) is too
/// narrow for the headers a request arrives with: 14 columns at 60, "x-forwarded-f…". Each
/// request then takes two rows, its forwarding headers on the second across the width (those
/// too many for it start on the first, after the request), and more where they need them.
const ECHO_ONE_ROW: usize = 44 + 48;

/// Rows a request's forwarding headers may take under it: what is left past them is cut.
const ECHO_HEADER_ROWS: usize = 3;

/// Where the forwarding headers of a request go at width `w`, below `ECHO_ONE_ROW`: how many
/// of `parts` ride on the first row after the request (which ends at `request_end`), then the
/// end of each row under it, `header_rows` at most (the last takes what is left, cut).
fn echo_layout(
    parts: &[String],
    request_end: usize,
    w: usize,
    header_rows: usize,
) -> (usize, Vec<usize>) {
    let joined = |ps: &[String]| ps.join("; ");
    let row = w.saturating_sub(5);
    // Headers too many for the second row (an nginx that sets four, at 80 columns) start on
    // the first, after the request, in their order: whole headers only, and the second row
    // keeps at least one, so that it never stands blank.
    let mut on_first = 0;
    if joined(parts).width() > row {
        let room = w.saturating_sub(request_end + 2);
        while on_first + 1 < parts.len() && joined(&parts[..=on_first]).width() < room {
            on_first += 1;
        }
    }
    // The rest, whole headers to a row (a long `via` takes the next row rather than be cut at
    // the end of one), on as many rows as they take up to the limit.
    let mut ends = Vec::new();
    let mut start = on_first;
    while start < parts.len() {
        let mut end = start + 1;
        while end < parts.len() && joined(&parts[start..=end]).width() <= row {
            end += 1;
        }
        if ends.len() + 1 >= header_rows {
            end = parts.len();
        }
        ends.push(end);
        start = end;
    }
    (on_first, ends)
}

/// The client column of the echo list's first row below `ECHO_ONE_ROW`: the client whole (an
/// IPv6 address is longer than the column), up to half the row.
fn echo_client_width(e: &EchoLine, w: usize) -> usize {
    e.client.width().clamp(15, w / 2)
}

/// Where a request's first row ends below `ECHO_ONE_ROW`: its age, client and request.
fn echo_request_end(e: &EchoLine, w: usize) -> usize {
    4 + 1 + echo_client_width(e, w) + 1 + e.method.width() + 1 + e.path.width()
}

/// How many rows [`echo_rows`] takes for `e` with room for all of them.
fn echo_height(e: &EchoLine, w: usize) -> usize {
    if w >= ECHO_ONE_ROW {
        return 1;
    }
    let (_, ends) = echo_layout(
        &forwarding_parts(e),
        echo_request_end(e, w),
        w,
        ECHO_HEADER_ROWS,
    );
    1 + ends.len()
}

/// The rows of one request in the echo list: one at `ECHO_ONE_ROW` and wider, else the
/// request's, then its forwarding headers' under it, in `rows` rows at most (two at least: the
/// last one left at the bottom of the list takes its headers cut, rather than lose them).
fn echo_rows(e: &EchoLine, now: i64, w: usize, rows: usize, cx: &ViewCx<'_>) -> Vec<Line<'static>> {
    if w >= ECHO_ONE_ROW {
        return vec![echo_row(e, now, w, cx)];
    }
    let client_w = echo_client_width(e, w);
    let request = format!("{} {}", e.method, e.path);
    let parts = forwarding_parts(e);
    let joined = |ps: &[String]| ps.join("; ");
    let header_rows = rows.saturating_sub(1).clamp(1, ECHO_HEADER_ROWS);
    let (on_first, ends) = echo_layout(&parts, echo_request_end(e, w), w, header_rows);
    let mut first = vec![
        (fit(&age(now, e.at), 4), cx.theme.muted),
        (" ".into(), cx.theme.text),
        (fit(&e.client, client_w), cx.theme.accent),
        (" ".into(), cx.theme.text),
        (request, cx.theme.text),
    ];
    if on_first > 0 {
        first.push(("  ".into(), cx.theme.text));
        first.push((format!("{};", joined(&parts[..on_first])), cx.theme.muted));
    }
    let mut rows = vec![fitted(first, w)];
    let mut start = on_first;
    for (k, &end) in ends.iter().enumerate() {
        // a row that another follows ends with the separator, as the first does
        let sep = if k + 1 < ends.len() { ";" } else { "" };
        rows.push(fitted(
            vec![
                ("     ".into(), cx.theme.text),
                (
                    format!("{}{sep}", joined(&parts[start..end])),
                    cx.theme.muted,
                ),
            ],
            w,
        ));
        start = end;
    }
    rows
}

/// Below this width a request's one row (the tile's) has no room for a forwarding header's
/// name and an address after its age, client and request: the row gives it up, and the request
/// its room, rather than end in "x-forwarded-f…".
const ECHO_ROW_HEADERS: usize = 44 + 24;

fn echo_row(e: &EchoLine, now: i64, w: usize, cx: &ViewCx<'_>) -> Line<'static> {
    let request = format!("{} {}", e.method, e.path);
    let mut pieces = vec![
        (fit(&age(now, e.at), 4), cx.theme.muted),
        (" ".into(), cx.theme.text),
        (fit(&e.client, 15), cx.theme.accent),
        (" ".into(), cx.theme.text),
    ];
    if w >= ECHO_ROW_HEADERS {
        pieces.push((fit(&request, 22), cx.theme.text));
        pieces.push((" ".into(), cx.theme.text));
        pieces.push((forwarding_text(e), cx.theme.muted));
    } else {
        pieces.push((request, cx.theme.text));
    }
    fitted(pieces, w)
}

fn render_list(p: &ProbePane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    // a target that is not all right takes a second line, what it means, when every
    // target still has its row: a row pushed out of sight would hide the selection
    let vis = p.visible();
    let rows = vis.len() as u16;
    let said = vis
        .iter()
        .filter(|&&i| {
            p.targets[i]
                .report
                .as_ref()
                .is_some_and(|r| r.headline().is_some())
        })
        .count() as u16;
    // Under the targets, the echo's line, its last rejection, its header and one request keep
    // their rows; and once the echo requests are what is looked at (e), the targets give them
    // half the pane.
    let one_row = usize::from(area.width) >= ECHO_ONE_ROW;
    let reserve = (3 + u16::from(p.echo.last_rejected.is_some()) + u16::from(!one_row)).max(4);
    let mut room = area.height.saturating_sub(reserve).max(3);
    if p.focus == Focus::Echo {
        room = room.min((area.height / 2).max(3));
    }
    let meaning = rows + said + 2 <= room;
    let n = if meaning { rows + said } else { rows };
    let top = (n + 2).clamp(3, room);
    let [ta, ea] = Layout::vertical([Constraint::Length(top), Constraint::Min(1)]).areas(area);
    let w = area.width as usize;
    let now = cx.now.timestamp();
    // More targets than rows: the list scrolls with the selection, as the other panes' lists
    // do, and the line under it says where it is and what is out of sight.
    let shown = if rows + 2 > top {
        usize::from(top.saturating_sub(2)).max(1)
    } else {
        vis.len()
    };
    let first = p.window.start(p.selected, shown, vis.len());

    // Targets by check. Where the grid does not fit (an ssh window of 60 columns), the five
    // short-named checks take a column less and the name one, so the last check, backend
    // direct, stays in sight; the age gives way.
    let narrow = w < 14 + 1 + 6 + 1 + CHECKS.len() * 7;
    let name_w = if narrow { 13 } else { 14 };
    let check_w = |c: Check| if narrow && short(c).len() < 6 { 5 } else { 6 };
    let mut lines = Vec::new();
    let sp = || (" ".to_string(), cx.theme.text);
    let mut head = vec![
        (fit("target", name_w), cx.theme.header),
        sp(),
        (fit("result", 6), cx.theme.header),
        sp(),
    ];
    for c in CHECKS {
        head.push((fit(short(c), check_w(c)), cx.theme.header));
        head.push(sp());
    }
    head.push(("age".into(), cx.theme.header));
    lines.push(fitted(head, w));
    for (row, &i) in vis.iter().enumerate().skip(first).take(shown) {
        let t = &p.targets[i];
        let (st, style) = target_status(t, cx);
        let sel = p.focus == Focus::Targets && row == p.selected;
        let mut pieces = vec![
            (fit(&t.name, name_w), cx.theme.text),
            (" ".into(), cx.theme.text),
            (fit(&st, 6), style),
            sp(),
        ];
        for c in CHECKS {
            let (txt, st) = match t
                .report
                .as_ref()
                .and_then(|r| r.verdicts.iter().find(|v| v.check == c))
            {
                Some(v) => (v.level.label(), level_style(v.level, cx)),
                None => ("-", cx.theme.muted),
            };
            pieces.push((fit(txt, check_w(c)), st));
            pieces.push(sp());
        }
        if let Some(r) = &t.report {
            pieces.push((age(now, r.at), cx.theme.muted));
        }
        let mut line = fitted(pieces, w);
        if sel {
            line = line.patch_style(cx.theme.selection);
        }
        lines.push(line);
        if let Some(r) = t
            .report
            .as_ref()
            .filter(|r| meaning && r.headline().is_some())
        {
            let mut pieces = vec![("  ".to_string(), cx.theme.text)];
            pieces.extend(tile_summary(r, cx));
            let mut line = fitted(pieces, w);
            if sel {
                line = line.patch_style(cx.theme.selection);
            }
            lines.push(line);
        }
    }
    if shown < vis.len() {
        let hidden: Vec<usize> = vis[..first]
            .iter()
            .chain(&vis[(first + shown).min(vis.len())..])
            .copied()
            .collect();
        let mut pieces = vec![(
            format!(
                "{}/{} · {} above, {} below:",
                p.selected.min(vis.len() - 1) + 1,
                vis.len(),
                first,
                vis.len() - first - shown
            ),
            cx.theme.muted,
        )];
        pieces.extend(counted(p, &hidden, cx));
        lines.push(fitted(pieces, w));
    }
    if p.targets.is_empty() {
        lines.push(fitted(
            vec![("no [[probe.targets]] configured".into(), cx.theme.muted)],
            w,
        ));
    } else if vis.is_empty() {
        lines.push(fitted(vec![(no_match(p), cx.theme.muted)], w));
    }
    frame.render_widget(Paragraph::new(lines), ta);

    // Echo requests, newest first. An echo that could not start says why and what to change,
    // whole, in the room its list would have had: there is no list (and no request can reach
    // it) until it is started again.
    if let Some(err) = p.echo.error.as_ref().filter(|_| p.echo.enabled) {
        let lines: Vec<Line<'static>> = wrap_words(err, w, usize::from(ea.height).max(1))
            .into_iter()
            .map(|l| Line::from(Span::styled(l, cx.theme.error)))
            .collect();
        frame.render_widget(Paragraph::new(lines), ea);
        return;
    }
    let mut lines = vec![fitted(echo_pulse(p, cx), w)];
    if let Some((at, why)) = &p.echo.last_rejected {
        lines.push(fitted(
            vec![(
                format!("last rejected {} ago {why}", age(now, *at)),
                cx.theme.warn,
            )],
            w,
        ));
    }
    let mut head = vec![
        (fit("age", 4), cx.theme.header),
        (" ".into(), cx.theme.text),
        (fit("client", 15), cx.theme.header),
        (" ".into(), cx.theme.text),
    ];
    if one_row {
        head.push((fit("request", 22), cx.theme.header));
        head.push((" ".into(), cx.theme.text));
        head.push(("forwarding headers".into(), cx.theme.header));
    } else {
        head.push((
            "request, then its forwarding headers".into(),
            cx.theme.header,
        ));
    }
    lines.push(fitted(head, w));
    let room = (ea.height as usize).saturating_sub(lines.len());
    // at least the selected request's first row, on a screen with room for no more; a request
    // whose headers take more rows than two counts them
    let start = if p.focus == Focus::Echo {
        let heights: Vec<usize> = p.echo.recent.iter().map(|e| echo_height(e, w)).collect();
        p.echo_window
            .start_by_height(p.echo_selected, &heights, room)
    } else {
        0
    };
    // and the first rows of the next one where rows are left: a blank row would read as the
    // end of the list
    let end = lines.len() + room.max(1);
    for (row, e) in p.echo.recent.iter().enumerate().skip(start) {
        if lines.len() >= end {
            break;
        }
        for mut line in echo_rows(e, now, w, end - lines.len(), cx) {
            if p.focus == Focus::Echo && row == p.echo_selected {
                line = line.patch_style(cx.theme.selection);
            }
            lines.push(line);
        }
    }
    if p.echo.recent.is_empty() && p.echo.enabled {
        lines.push(fitted(
            vec![(
                "no request has reached the echo listener yet".into(),
                cx.theme.muted,
            )],
            w,
        ));
    }
    frame.render_widget(Paragraph::new(lines), ea);
}

fn short(c: Check) -> &'static str {
    match c {
        Check::Redirects => "redir",
        Check::Tls => "cert",
        Check::Baseline => "base",
        Check::Forged => "forge",
        Check::TwoXff => "2xff",
        Check::Backend => "direct",
    }
}

fn ms(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| format!("{v}ms"))
}

/// One hop of the walk: its status, timings and URL, and where it redirects (or why it
/// failed) after the URL, or on the rows under it when the row has no room for both: in a
/// redirect loop the Location is the finding, not a tail to cut.
fn hop_lines(h: &HopView, w: usize, cx: &ViewCx<'_>) -> Vec<Line<'static>> {
    let (status, st) = match (h.status, &h.error) {
        (Some(s), _) if (300..400).contains(&s) => (s.to_string(), cx.theme.accent),
        (Some(s), _) if s < 400 => (s.to_string(), cx.theme.ok),
        (Some(s), _) => (s.to_string(), cx.theme.warn),
        (None, _) => ("ERR".to_string(), cx.theme.error),
    };
    let tail = match (&h.location, &h.error) {
        (_, Some(e)) => e.to_string(),
        (Some(l), _) => format!("→ {l}"),
        _ => String::new(),
    };
    let head = vec![
        (fit(&status, 4), st),
        (
            format!(
                "{} {} {} {} ",
                fit(&ms(h.connect_ms), 7),
                fit(&ms(h.tls_ms), 7),
                fit(&ms(h.first_byte_ms), 8),
                if h.hsts { "HSTS" } else { "    " }
            ),
            cx.theme.muted,
        ),
        (h.url.to_string(), cx.theme.text),
    ];
    let used: usize = head.iter().map(|(t, _)| t.width()).sum();
    if tail.is_empty() {
        return vec![fitted(head, w)];
    }
    if used + 1 + tail.width() <= w {
        let mut one = head;
        one.push((format!(" {tail}"), cx.theme.muted));
        return vec![fitted(one, w)];
    }
    let mut lines = vec![fitted(head, w)];
    lines.extend(hanging(vec![(format!("    {tail}"), cx.theme.muted)], w, 6));
    lines
}

fn render_target_detail(p: &ProbePane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let w = area.width as usize;
    let Some(&i) = p.visible().get(p.selected) else {
        return;
    };
    let t = &p.targets[i];
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.push(fitted(
        vec![
            (format!("{} ", t.name), cx.theme.title),
            (t.url.to_string(), cx.theme.accent),
        ],
        w,
    ));
    let Some(r) = &t.report else {
        let s = if t.running {
            "probing…"
        } else {
            "not probed yet (r: probe all, p: this one)"
        };
        lines.push(Line::from(Span::styled(s, cx.theme.muted)));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    };
    lines.push(Line::from(Span::styled(
        format!(
            "probed {} ago{}",
            age(cx.now.timestamp(), r.at),
            if t.running { ", probing again…" } else { "" }
        ),
        cx.theme.muted,
    )));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("Verdicts", cx.theme.header)));
    // what needs fixing first: below the passing checks' evidence it was out of sight at 80x24
    for v in r.worst_first() {
        // wrapped under their own text, so the left column holds the levels alone
        lines.extend(hanging(
            vec![
                (fit(v.level.label(), 5), level_style(v.level, cx)),
                (format!("{}: ", v.check.label()), cx.theme.title),
                (v.summary.to_string(), cx.theme.text),
            ],
            w,
            5,
        ));
        for e in &v.evidence {
            lines.extend(hanging(vec![(format!("     · {e}"), cx.theme.muted)], w, 7));
        }
        for f in &v.fix {
            lines.extend(hanging(
                vec![
                    ("     fix ".into(), cx.theme.accent),
                    (f.to_string(), cx.theme.text),
                ],
                w,
                9,
            ));
        }
    }
    lines.push(Line::default());
    lines.push(fitted(
        vec![(
            format!(
                "{}{} {} {} {} url",
                fit("hop", 4),
                fit("connect", 7),
                fit("tls", 7),
                fit("1st byte", 8),
                fit("", 4)
            ),
            cx.theme.header,
        )],
        w,
    ));
    for h in &r.hops {
        lines.extend(hop_lines(h, w, cx));
    }
    if let Some(tls) = &r.tls {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("TLS", cx.theme.header)));
        let days = tls.days_left.map_or("?".into(), |d| d.to_string());
        lines.push(fitted(
            vec![(
                format!(
                    "{}, {} in chain, {} days left, name {}",
                    tls.version,
                    tls.chain_len,
                    days,
                    if tls.name_matches {
                        "matches"
                    } else {
                        "DOES NOT match"
                    }
                ),
                cx.theme.text,
            )],
            w,
        ));
        // wrapped, not cut: a subject's last part, or the verifier's reason, is what is read
        lines.extend(hanging(
            vec![(format!("subject {}", tls.subject), cx.theme.muted)],
            w,
            8,
        ));
        lines.extend(hanging(
            vec![(format!("issuer  {}", tls.issuer), cx.theme.muted)],
            w,
            8,
        ));
        // the days above count to it, not to the subject's own certificate
        if let Some(first) = &tls.expires_first {
            lines.extend(hanging(
                vec![(format!("first to expire: {first}"), cx.theme.warn)],
                w,
                17,
            ));
        }
        if let Some(e) = &tls.verify_error {
            lines.extend(hanging(
                vec![(format!("not trusted: {e}"), cx.theme.error)],
                w,
                13,
            ));
        }
    }
    let half = w.saturating_sub(3) / 2;
    // Side by side while a half holds a header and an address whole ("x-forwarded-for:
    // 203.0.113.255, 10.0.0.1"); narrower (an ssh window of 60 columns), what was sent and what
    // arrived one under the other: the values compared are what cutting would lose.
    let side_by_side = half >= 34;
    for ev in &r.echoes {
        let nothing_received = if ev.error.is_some() {
            // what the echo received is known from its reply only
            "(no answer from the echo)"
        } else {
            "(no forwarding header)"
        };
        lines.push(Line::default());
        if side_by_side {
            lines.push(fitted(
                vec![
                    (fit(&format!("{}: sent", ev.label), half), cx.theme.header),
                    (" │ ".into(), cx.theme.border),
                    ("received by the echo".into(), cx.theme.header),
                ],
                w,
            ));
            let n = ev.sent.len().max(ev.received.len()).max(1);
            for k in 0..n {
                let left = ev
                    .sent
                    .get(k)
                    .map(|(a, b)| format!("{a}: {b}"))
                    .unwrap_or_else(|| {
                        if k == 0 {
                            "(nothing extra)".into()
                        } else {
                            String::new()
                        }
                    });
                let right = ev
                    .received
                    .get(k)
                    .map(|(a, b)| format!("{a}: {b}"))
                    .unwrap_or_else(|| {
                        if k > 0 {
                            String::new()
                        } else {
                            nothing_received.into()
                        }
                    });
                lines.push(fitted(
                    vec![
                        (fit(&left, half), cx.theme.text),
                        (" │ ".into(), cx.theme.border),
                        (right, cx.theme.text),
                    ],
                    w,
                ));
            }
        } else {
            for (title, headers, none) in [
                (format!("{}: sent", ev.label), &ev.sent, "(nothing extra)"),
                (
                    "received by the echo".to_string(),
                    &ev.received,
                    nothing_received,
                ),
            ] {
                lines.push(fitted(vec![(title, cx.theme.header)], w));
                if headers.is_empty() {
                    lines.push(fitted(vec![(format!("  {none}"), cx.theme.muted)], w));
                }
                for (a, b) in headers {
                    lines.extend(hanging(vec![(format!("  {a}: {b}"), cx.theme.text)], w, 4));
                }
            }
        }
        if let Some(c) = &ev.client {
            lines.extend(hanging(
                vec![(format!("client → {c}"), cx.theme.accent)],
                w,
                9,
            ));
        }
        if let Some(e) = &ev.error {
            lines.extend(hanging(vec![(e.to_string(), cx.theme.error)], w, 2));
        }
    }
    p.scroll
        .render(frame, lines, area, Under::Border, cx.theme.muted);
}

fn render_echo_detail(p: &ProbePane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let w = area.width as usize;
    let Some(e): Option<&EchoLine> = p.echo.recent.get(p.echo_selected) else {
        return;
    };
    let mut lines = vec![
        fitted(
            vec![(format!("{} {}", e.method, e.path), cx.theme.title)],
            w,
        ),
        fitted(
            vec![(
                format!("{} ago, Host {}", age(cx.now.timestamp(), e.at), e.host),
                cx.theme.muted,
            )],
            w,
        ),
        fitted(
            vec![
                ("client ".into(), cx.theme.muted),
                (e.client.to_string(), cx.theme.accent),
                (format!("   peer {}", e.peer), cx.theme.text),
            ],
            w,
        ),
    ];
    if let Some(pp) = &e.proxy_head {
        lines.push(fitted(vec![(pp.to_string(), cx.theme.text)], w));
    }
    if !e.proxy_tlvs.is_empty() {
        lines.push(Line::from(Span::styled(
            "PROXY protocol v2 TLVs, in the order received",
            cx.theme.header,
        )));
        for t in &e.proxy_tlvs {
            lines.push(Line::from(Span::styled(t.to_string(), cx.theme.text)));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        match e.forwarding_lines {
            Some(_) => "Forwarding headers, in arrival order (header line number)",
            None => "Forwarding headers, grouped by name (order across names unknown)",
        },
        cx.theme.header,
    )));
    if e.forwarding.is_empty() {
        lines.push(Line::from(Span::styled("(none)", cx.theme.muted)));
    }
    for (k, (n, v)) in e.forwarding.iter().enumerate() {
        let at = match e.forwarding_lines.as_ref().and_then(|l| l.get(k)) {
            Some(line) => format!("{line:>3} "),
            None => "    ".into(),
        };
        // a long chain wraps under the header's name, the line numbers' column kept clear
        lines.extend(hanging(
            vec![
                (at, cx.theme.muted),
                (format!("{n}: "), cx.theme.accent),
                (v.to_string(), cx.theme.text),
            ],
            w,
            4,
        ));
    }
    p.scroll
        .render(frame, lines, area, Under::Border, cx.theme.muted);
}
