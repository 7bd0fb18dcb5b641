//! Drawing the whole screen: a pure function of [`App`] (no I/O, no clock).
//!
//! Layout: a tab line on top, the panes (an overview of all five, or the
//! focused one zoomed), an optional filter line, and a status bar at the
//! bottom whose mode badge (`RW`/`RO`) is drawn first and can never be
//! pushed off or hidden by a theme. Overlays (help, confirm, prompt) are
//! drawn last, centred.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::access::Mode;
use crate::app::freshness::short_age;
use crate::app::keymap::{self, GLOBAL};
use crate::app::pane::{Pane, PaneId, ViewCx};
use crate::app::{App, Overlay};
use crate::sanitize::sanitize_capped;
use crate::ui::theme::Theme;
use crate::ui::widgets::{truncate, wrap_words};

/// Below this size (columns, rows) nothing but the mode badge is drawn, and the size needed.
pub const MIN: (u16, u16) = (20, 5);

/// The rows the overview's body needs to stack the five tiles (the focused one of four, the
/// others of three: their first line).
const STACKED: u16 = 4 + 4 * 3;

/// The overview shows all five panes as tiles from this size up.
pub const WIDE: (u16, u16) = (120, 40);

/// From this width up the status bar names the host in full, domain and all.
const WIDE_STATUS: u16 = 100;

/// The fewest columns another pane's problem is cut to on the status bar so that the panes' ages
/// stay whole beside it.
const ALERT_KEPT: usize = 24;

/// Draw everything.
pub fn render(app: &App, theme: &Theme, frame: &mut Frame<'_>) {
    let area = frame.area();
    if area.width < MIN.0 || area.height < MIN.1 {
        let badge = Span::styled(
            format!(" {} ", app.mode.badge()),
            badge_style(app.mode, theme),
        );
        // how big it must be, on a line of its own where there is one: the badge first
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(vec![badge, Span::raw(" too small")]),
                Line::raw(format!(" {}x{} at least", MIN.0, MIN.1)),
            ]),
            area,
        );
        return;
    }
    let filter_line = matches!(app.overlay, Some(Overlay::Filter { .. })) as u16;
    // a notice too long for the bar takes a line or two more (the body gives them back when it
    // goes): the outcome of an action is often its last words
    let notice = notice_lines(app, area.width, area.height);
    let [tabs, body, filter, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(filter_line),
        Constraint::Length(notice.len().max(1) as u16),
    ])
    .areas(area);

    render_tabs(app, theme, frame, tabs);
    if app.zoomed {
        render_pane(app, theme, frame, app.focus, body, true);
    } else {
        render_overview(app, theme, frame, body);
    }
    if let Some(Overlay::Filter { pane, text, .. }) = &app.overlay {
        let text = sanitize_capped(text, 200);
        let keys = "  Enter keep · Esc clear";
        // the pane's terms beyond plain words, in full or short where the line has room
        let syntax = match pane {
            PaneId::Queue => app.queue.filter_syntax(),
            PaneId::Failures => app.failures.filter_syntax(),
            PaneId::Senders => app.senders.filter_syntax(),
            PaneId::Deploy => app.deploy.filter_syntax(),
            PaneId::Probe => app.probe.filter_syntax(),
        };
        let used = 2 + text.width() + keys.width();
        let syntax = syntax
            .into_iter()
            .find(|s| !s.is_empty() && used + 2 + s.width() <= filter.width as usize)
            .map(|s| format!("  {s}"))
            .unwrap_or_default();
        let line = Line::from(vec![
            Span::styled("/", theme.accent),
            Span::styled(text, theme.text),
            Span::styled("█", theme.accent),
            Span::styled(keys, theme.muted),
            Span::styled(syntax, theme.muted),
        ]);
        frame.render_widget(Paragraph::new(line), filter);
    }
    // only the focused pane on screen: the others' problems have no tile to be read in
    let alone = app.zoomed || body.height < STACKED;
    render_status(app, theme, frame, status, alone, &notice);

    match &app.overlay {
        Some(Overlay::Help { scroll }) => render_help(app, theme, frame, *scroll),
        Some(Overlay::Confirm(c)) => {
            let mut lines: Vec<Line<'_>> = c
                .lines
                .iter()
                .map(|l| Line::from(Span::styled(l.to_string(), theme.text)))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(" y ", theme.selection),
                Span::styled(" confirm   ", theme.text),
                Span::styled(" n ", theme.selection),
                Span::styled(" cancel", theme.text),
            ]));
            dialog(frame, theme, c.title.as_str(), lines, 2, None, 70);
        }
        Some(Overlay::Prompt { prompt, text }) => {
            let lines = vec![
                Line::from(Span::styled(prompt.label.clone(), theme.text)),
                Line::from(vec![
                    Span::styled("> ", theme.accent),
                    Span::styled(sanitize_capped(text, 400), theme.text),
                    Span::styled("█", theme.accent),
                ]),
            ];
            // a prefilled line is edited, not replaced, by typing: say how to clear it. On the
            // box's bottom line, as help's keys are: a short screen keeps the line typed into.
            let keys = Line::from(Span::styled(
                if text.is_empty() {
                    "Enter submit · Esc cancel"
                } else {
                    "Enter submit · Esc cancel · Ctrl-U clear · Ctrl-W word"
                },
                theme.muted,
            ));
            dialog(frame, theme, prompt.pane.title(), lines, 1, Some(keys), 70);
        }
        _ => {}
    }
}

fn badge_style(mode: Mode, theme: &Theme) -> Style {
    // The badge stays readable whatever the theme: always bold and reversed
    // on top of the theme's own colours.
    let base = match mode {
        Mode::ReadOnly => theme.readonly_badge,
        Mode::Interactive => theme.readwrite_badge,
    };
    base.add_modifier(Modifier::BOLD)
}

fn render_tabs(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    let mut badge = Vec::new();
    if app.demo {
        badge.push(Span::styled(" DEMO ", theme.demo_badge));
        badge.push(Span::raw(" "));
    }
    // Every tab stays on the line, with its mark: on a narrow terminal the labels shrink
    // (" 1 Queue " to " 1 Q " to "1") rather than the tabs to the right being cut off, with a
    // failing probe's '!' among them.
    let room = area.width as usize;
    let mut spans = Vec::new();
    for short in [TabLabel::Full, TabLabel::Letter, TabLabel::Digit] {
        spans = badge.clone();
        spans.extend(tab_spans(app, theme, short));
        if spans.iter().map(|s| s.content.width()).sum::<usize>() <= room {
            break;
        }
    }
    let hint = if app.zoomed {
        "Esc overview · ? help"
    } else {
        "Enter zoom · ? help"
    };
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    if room > used + hint.len() + 1 {
        let pad = room - used - hint.len();
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(hint, theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// How much of a tab's name the tab line has room for.
#[derive(Clone, Copy)]
enum TabLabel {
    Full,
    Letter,
    Digit,
}

/// The five tabs, each followed by its mark ('!' or a space).
fn tab_spans(app: &App, theme: &Theme, label: TabLabel) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for id in PaneId::ALL {
        let n = id.index() + 1;
        let text = match label {
            TabLabel::Full => format!(" {n} {} ", id.title()),
            TabLabel::Letter => format!(" {n} {} ", &id.title()[..1]),
            TabLabel::Digit => n.to_string(),
        };
        let h = app.health(id);
        let style = if id == app.focus {
            theme.selection
        } else if h.problem.is_some() {
            theme.warn
        } else {
            theme.text
        };
        spans.push(Span::styled(text, style));
        if h.problem.is_some() {
            spans.push(Span::styled("!", theme.error));
        } else {
            spans.push(Span::raw(" "));
        }
    }
    spans
}

fn render_pane(
    app: &App,
    theme: &Theme,
    frame: &mut Frame<'_>,
    id: PaneId,
    area: Rect,
    zoomed: bool,
) {
    let cx = ViewCx {
        theme,
        now: app.now,
        focused: id == app.focus,
        zoomed,
        read_only: app.mode == Mode::ReadOnly,
        shared: &app.shared,
    };
    match id {
        PaneId::Queue => app.queue.render(frame, area, &cx),
        PaneId::Failures => app.failures.render(frame, area, &cx),
        PaneId::Senders => app.senders.render(frame, area, &cx),
        PaneId::Deploy => app.deploy.render(frame, area, &cx),
        PaneId::Probe => app.probe.render(frame, area, &cx),
    }
}

fn render_overview(app: &App, theme: &Theme, frame: &mut Frame<'_>, area: Rect) {
    if area.width >= WIDE.0 && area.height + 2 >= WIDE.1 {
        // Three rows: Queue | Failures, Senders | Deploy, Probe.
        let rows = Layout::vertical([
            Constraint::Ratio(2, 5),
            Constraint::Ratio(2, 5),
            Constraint::Ratio(1, 5),
        ])
        .split(area);
        let top = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
            .split(rows[0]);
        let mid = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .split(rows[1]);
        render_pane(app, theme, frame, PaneId::Queue, top[0], false);
        render_pane(app, theme, frame, PaneId::Failures, top[1], false);
        render_pane(app, theme, frame, PaneId::Senders, mid[0], false);
        render_pane(app, theme, frame, PaneId::Deploy, mid[1], false);
        render_pane(app, theme, frame, PaneId::Probe, rows[2], false);
    } else if area.height >= STACKED {
        // Stacked tiles, the focused one taller. Short of two lines each (an ssh window of
        // 20 rows), the others keep their first line, which says whether anything is wrong.
        let other = if area.height >= 5 * 4 { 4 } else { 3 };
        let constraints: Vec<Constraint> = PaneId::ALL
            .iter()
            .map(|id| {
                if *id == app.focus {
                    Constraint::Min(4)
                } else {
                    Constraint::Length(other)
                }
            })
            .collect();
        let rows = Layout::vertical(constraints).split(area);
        for (id, r) in PaneId::ALL.iter().zip(rows.iter()) {
            render_pane(app, theme, frame, *id, *r, false);
        }
    } else if area.height >= 5 {
        // Too short for five tiles: the focused one, and a line under it that says the others
        // are there, how to reach them, and how tall a terminal shows them all (the tab line
        // says which tile this is).
        let [tile, hint] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(1)]).areas(area);
        render_pane(app, theme, frame, app.focus, tile, false);
        let rows = STACKED + (frame.area().height - area.height);
        let text = format!("j/k: the other 4 tiles · {rows} rows show all five");
        frame.render_widget(
            Paragraph::new(Span::styled(
                truncate(&text, hint.width.into()),
                theme.muted,
            )),
            hint,
        );
    } else {
        render_pane(app, theme, frame, app.focus, area, false);
    }
}

/// The status bar: the mode's badge, then a notice, or else (with only the focused pane on
/// screen) the first problem of another pane, the one its tab's '!' marks, and each pane's age
/// and error count; the host and the clock on the right. The age of data overdue (see
/// [`crate::app::freshness`]) is drawn in the theme's warning style and followed by a '!', which
/// says it without colour too (the mono theme, NO_COLOR).
/// With a notice, `notice` holds its lines ([`notice_lines`]): the first beside the badge, the
/// others under it, aligned with it.
fn render_status(
    app: &App,
    theme: &Theme,
    frame: &mut Frame<'_>,
    area: Rect,
    alone: bool,
    notice: &[String],
) {
    let mut left = vec![
        Span::styled(
            format!(" {} ", app.mode.badge()),
            badge_style(app.mode, theme),
        ),
        Span::styled(" ", theme.status_bar),
    ];
    let (badge_w, right) = status_ends(app, area.width);
    let room = (area.width as usize).saturating_sub(badge_w + right.width());
    let overdue_style = theme.status_bar.patch(theme.warn);
    // the middle in pieces of one style each
    let mut middle: Vec<(String, Style)> = Vec::new();
    if let Some(first) = notice.first() {
        middle.push((first.clone(), theme.status_bar));
    } else {
        let other = PaneId::ALL
            .into_iter()
            .filter(|id| alone && *id != app.focus)
            .find_map(|id| app.health(id).problem.map(|p| (id, p)));
        let alert = other
            .map(|(id, problem)| format!("! {}: {}", id.title(), sanitize_capped(&problem, 200)));
        let mut ages: Vec<(String, Style)> = Vec::new();
        for id in PaneId::ALL {
            let (age, style) = match app.overdue(id) {
                // the age that is overdue: of the part read longest ago (an instance, a target)
                Some(o) => (format!("{}!", o.age()), overdue_style),
                None => match app.health(id).last_update {
                    Some(t) => (short_age((app.now - t).num_seconds()), theme.status_bar),
                    None => ("-".into(), theme.status_bar),
                },
            };
            ages.push((format!("{}:", &id.title()[..1]), theme.status_bar));
            ages.push((age, style));
            // the last hour's: the pane says what is wrong now, and a count since start never
            // went down on a monitor left for days
            let recent = app.recent_errors(id);
            let err = if recent > 0 {
                format!(" err {recent}")
            } else {
                String::new()
            };
            ages.push((format!("{err}  "), theme.status_bar));
        }
        // the ages stay whole where the alert keeps a readable part beside them (its tab's '!'
        // marks it too): an overdue age is the only sign that a pane's data went stale; on a
        // narrower bar the alert is said first, whole as far as it goes
        if let Some(alert) = alert {
            let ages_w: usize = ages.iter().map(|(t, _)| t.width()).sum();
            let keep = room.saturating_sub(ages_w + 2);
            let alert = if keep >= ALERT_KEPT {
                truncate(&alert, keep)
            } else {
                alert
            };
            middle.push((format!("{alert}  "), theme.status_bar));
        }
        middle.extend(ages);
    }
    let width = area.width as usize;
    let middle = truncate_pieces(middle, room);
    let used: usize = middle.iter().map(|s| s.content.width()).sum();
    left.extend(middle);
    left.push(Span::styled(
        " ".repeat(room.saturating_sub(used)),
        theme.status_bar,
    ));
    left.push(Span::styled(right, theme.status_bar));
    let mut lines = vec![Line::from(left)];
    for more in notice.iter().skip(1) {
        let pad = width.saturating_sub(badge_w + more.width());
        lines.push(Line::from(Span::styled(
            format!("{}{more}{}", " ".repeat(badge_w), " ".repeat(pad)),
            theme.status_bar,
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The status bar's ends on a line of `width` columns: the width of the mode's badge and the
/// space after it, and the host and the clock on the right (the clock alone where both would
/// not fit beside the badge). Under [`WIDE_STATUS`] columns the host is named as `hostname -s`
/// names it, without its domain: the notice or the panes' ages have the room.
fn status_ends(app: &App, width: u16) -> (usize, String) {
    let badge_w = app.mode.badge().width() + 3;
    let clock = app.now.format("%H:%M").to_string();
    let name = app.shared.hostname.as_str();
    let name = match name.split_once('.') {
        Some((short, _)) if width < WIDE_STATUS && !short.is_empty() => short,
        _ => name,
    };
    let host = sanitize_capped(name, 40);
    let right = format!(" {host} {clock} ");
    if badge_w + right.width() > width as usize {
        return (badge_w, format!(" {clock} "));
    }
    (badge_w, right)
}

/// The notice's lines in a status bar `width` columns wide, on a screen `height` rows tall: its
/// words wrapped to the columns between the badge and the host and clock, on up to three lines
/// (one only on a screen of fewer than 16 rows, where every row of the panes counts), the last
/// cut with `…` if still too long. Empty without a notice.
fn notice_lines(app: &App, width: u16, height: u16) -> Vec<String> {
    let Some(n) = &app.notice else {
        return Vec::new();
    };
    let (badge_w, right) = status_ends(app, width);
    let room = (width as usize).saturating_sub(badge_w + right.width());
    let most = if height >= 16 { 3 } else { 1 };
    if n.width() <= room || most == 1 || room == 0 {
        return vec![n.clone()];
    }
    wrap_words(n, room, most)
}

/// Pieces of text, each in its own style, cut as [`truncate`] cuts their text put together:
/// to at most `width` columns, ending in `…` (in the style of the piece it ends) when cut.
fn truncate_pieces(pieces: Vec<(String, Style)>, width: usize) -> Vec<Span<'static>> {
    let whole: String = pieces.iter().map(|(t, _)| t.as_str()).collect();
    let mut cut = truncate(&whole, width)
        .chars()
        .collect::<Vec<_>>()
        .into_iter();
    let mut spans = Vec::new();
    for (text, style) in pieces {
        let part: String = cut.by_ref().take(text.chars().count()).collect();
        if part.is_empty() {
            break;
        }
        spans.push(Span::styled(part, style));
    }
    spans
}

/// One section of the help: a title over its keys.
#[derive(Debug)]
pub struct HelpSection {
    pub title: String,
    /// Keys, what they do.
    pub rows: Vec<(String, &'static str)>,
    /// Said in place of the rows when there are none.
    pub without_keys: &'static str,
    /// Why some of the pane's keys are not listed ([`Pane::help_note`]), escaped; only where
    /// actions may be taken at all.
    pub note: Option<String>,
}

/// The help rows shown for the current focus: global keys, then the
/// focused pane's, exactly as the dispatcher sees them.
pub fn help_sections(app: &App) -> Vec<HelpSection> {
    let w = app.may_write();
    let (rows, without_keys, note) = match app.focus {
        PaneId::Queue => pane_help_rows(&app.queue, w),
        PaneId::Failures => pane_help_rows(&app.failures, w),
        PaneId::Senders => pane_help_rows(&app.senders, w),
        PaneId::Deploy => pane_help_rows(&app.deploy, w),
        PaneId::Probe => pane_help_rows(&app.probe, w),
    };
    // the focused pane's own keys first: on a small screen the list scrolls
    vec![
        HelpSection {
            title: format!("{} pane", app.focus.title()),
            rows,
            without_keys,
            note,
        },
        HelpSection {
            title: "Everywhere".to_string(),
            rows: keymap::help_rows(GLOBAL, w, |_| true),
            without_keys: "",
            note: None,
        },
    ]
}

/// A pane's help rows (the keys it offers as configured), what it says when there are none,
/// and why some are not listed (escaped; none in a read-only session, whose note says it all).
fn pane_help_rows<P: Pane>(
    p: &P,
    may_write: bool,
) -> (Vec<(String, &'static str)>, &'static str, Option<String>) {
    (
        keymap::help_rows(p.bindings(), may_write, |a| p.offers(a)),
        p.help_without_keys(),
        p.help_note()
            .filter(|_| may_write)
            .map(|n| crate::sanitize::sanitize(&n)),
    )
}

enum HelpLine {
    Note(&'static str),
    Header(String),
    /// A section with no keys: what it says instead; or why some of its keys are not listed.
    Empty(String),
    Row(String, &'static str),
}

fn render_help(app: &App, theme: &Theme, frame: &mut Frame<'_>, scroll: u16) {
    let mut entries = Vec::new();
    if app.mode == Mode::ReadOnly {
        entries.push(HelpLine::Note(
            "Read-only: nothing that changes the host is available.",
        ));
    }
    for section in help_sections(app) {
        entries.push(HelpLine::Header(section.title));
        if let Some(note) = section.note {
            entries.push(HelpLine::Empty(note));
        }
        if section.rows.is_empty() {
            entries.push(HelpLine::Empty(section.without_keys.to_string()));
        }
        entries.extend(section.rows.into_iter().map(|(k, h)| HelpLine::Row(k, h)));
    }
    entries.push(HelpLine::Header("On the tabs".into()));
    entries.push(HelpLine::Row(
        "!".into(),
        "something to look at in that pane: a source it cannot read, data not refreshed, lost mail, failing senders, a failed probe",
    ));
    let screen = frame.area();
    // Two columns when one would not fit and the screen is wide enough for both to show their
    // help whole; otherwise one column (scrolled), long help wrapped rather than cut.
    let fits = entries.len() as u16 + 3 <= screen.height.saturating_sub(2);
    let two = !fits && screen.width >= 120;
    let one_w = screen.width.saturating_sub(2).clamp(20, 84);
    let wrap_w = usize::from(one_w.saturating_sub(2))
        .saturating_sub(14)
        .max(10);
    // what a section says in place of keys, one column in, wrapped as the rows' help is
    let empty_w = usize::from(one_w.saturating_sub(3)).max(10);
    let rows_of = |e: &HelpLine| match e {
        HelpLine::Row(_, h) if !two => wrap_words(h, wrap_w, usize::MAX).len() as u16,
        HelpLine::Empty(t) if !two => wrap_words(t, empty_w, usize::MAX).len() as u16,
        _ => 1,
    };
    let (width, body_h) = if two {
        (
            screen.width.min(130),
            (entries.len() as u16).div_ceil(2) + 1,
        )
    } else {
        (one_w, entries.iter().map(rows_of).sum::<u16>() + 1)
    };
    let area = centered(screen, width, body_h + 2);
    frame.render_widget(Clear, area);
    let inner = Block::default().borders(Borders::ALL).inner(area);
    let col_w = if two { inner.width / 2 } else { inner.width } as usize;
    let to_line = |e: &HelpLine| -> Line<'static> {
        match e {
            HelpLine::Note(n) => Line::from(Span::styled(truncate(n, col_w), theme.warn)),
            HelpLine::Header(t) => Line::from(Span::styled(truncate(t, col_w), theme.header)),
            HelpLine::Empty(t) => {
                Line::from(Span::styled(truncate(&format!(" {t}"), col_w), theme.muted))
            }
            HelpLine::Row(k, h) => Line::from(vec![
                Span::styled(format!(" {:<12}", truncate(k, 11)), theme.accent),
                Span::styled(truncate(h, col_w.saturating_sub(14)), theme.text),
            ]),
        }
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    for e in &entries {
        match e {
            HelpLine::Row(k, h) if !two => {
                for (i, part) in wrap_words(h, wrap_w, usize::MAX).into_iter().enumerate() {
                    let key = if i == 0 {
                        truncate(k, 11)
                    } else {
                        String::new()
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!(" {key:<12}"), theme.accent),
                        Span::styled(part, theme.text),
                    ]));
                }
            }
            HelpLine::Empty(t) if !two => {
                lines.extend(
                    wrap_words(t, empty_w, usize::MAX)
                        .into_iter()
                        .map(|part| Line::from(Span::styled(format!(" {part}"), theme.muted))),
                );
            }
            _ => lines.push(to_line(e)),
        }
    }
    // as far as the last line, no further: the keys stop where the view does
    let rows = if two {
        lines.len().div_ceil(2)
    } else {
        lines.len()
    };
    let max = u16::try_from(rows)
        .unwrap_or(u16::MAX)
        .saturating_sub(inner.height);
    app.help_max.set(max);
    let scroll = scroll.min(max);
    // What the box cannot show is said first, where a narrow box still has room for it: a
    // help cut at the bottom of the screen looked like the whole of it.
    let below = max - scroll;
    let mut footer = Vec::new();
    if below > 0 {
        footer.push(format!("↓ {below} more"));
    }
    if scroll > 0 {
        footer.push(format!("↑ {scroll} above"));
    }
    // Every scroll key where the bottom line has room; else the two a reader needs, how to
    // scroll and how to close, whole: cut, "any other key clo" said neither.
    let full = [
        footer.as_slice(),
        &["j/k PgUp/PgDn g/G scroll · any other key closes".into()],
    ]
    .concat()
    .join(" · ");
    let footer = if full.width() <= usize::from(area.width.saturating_sub(2)) {
        full
    } else {
        [footer.as_slice(), &["j/k scroll · other keys close".into()]]
            .concat()
            .join(" · ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(" Keys ", theme.title_focus))
        .title_bottom(Line::from(Span::styled(footer, theme.muted)));
    frame.render_widget(block, area);
    if two {
        let half = lines.len().div_ceil(2);
        let right = lines.split_off(half);
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(inner);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), l);
        frame.render_widget(Paragraph::new(right).scroll((scroll, 0)), r);
    } else {
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
    }
}

/// A box in the middle of the screen. Its last `keep_last` lines (the keys) are always drawn:
/// a text taller than the screen loses lines before them, and says how many. `footer` goes on
/// its bottom border.
fn dialog(
    frame: &mut Frame<'_>,
    theme: &Theme,
    title: &str,
    lines: Vec<Line<'_>>,
    keep_last: usize,
    footer: Option<Line<'_>>,
    width: u16,
) {
    let inner_w = width.min(frame.area().width.saturating_sub(4)).max(10) - 2;
    // the rows inside the box when it is as tall as `centered` lets it be
    let room = usize::from(frame.area().height.saturating_sub(4));
    let lines = fit_rows(lines, keep_last, inner_w, room, theme);
    // The rows the text takes wrapped at words, as it is drawn: counted by
    // characters, a line broken early took one row more than its box had,
    // and the last line (y confirm, n cancel) fell out of it.
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    let height = u16::try_from(text.line_count(inner_w))
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let area = centered(frame.area(), width, height);
    frame.render_widget(Clear, area);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(
            format!(" {} ", sanitize_capped(title, 60)),
            theme.title_focus,
        ));
    if let Some(footer) = footer {
        block = block.title_bottom(footer);
    }
    frame.render_widget(text.block(block), area);
}

/// The rows a line takes wrapped at words in `width` columns.
fn rows_of(line: &Line<'_>, width: u16) -> usize {
    Paragraph::new(line.clone())
        .wrap(Wrap { trim: false })
        .line_count(width)
}

/// `lines` cut to `room` rows wrapped in `width` columns: the last `keep_last` stay, the lines
/// before them that do not fit are replaced by one line saying how many are not shown (as
/// short as it must be to take one row). Shorter still, the kept lines lose their blank
/// spacing, then that line, then their first lines: the last one (the keys) is drawn whatever
/// the size.
fn fit_rows<'a>(
    mut lines: Vec<Line<'a>>,
    keep_last: usize,
    width: u16,
    room: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let rows = |ls: &[Line<'_>]| ls.iter().map(|l| rows_of(l, width)).sum::<usize>();
    if rows(&lines) <= room {
        return lines;
    }
    let mut tail = lines.split_off(lines.len().saturating_sub(keep_last));
    let note = |hidden: usize| {
        let s = crate::ui::widgets::plural(hidden);
        let forms = [
            format!("… {hidden} more line{s} not shown: a taller terminal shows them"),
            format!("… {hidden} more line{s} not shown"),
            format!("… {hidden} more"),
        ];
        let fits = forms
            .iter()
            .position(|f| rows_of(&Line::raw(f.as_str()), width) <= 1)
            .unwrap_or(forms.len() - 1);
        Line::from(Span::styled(forms[fits].clone(), theme.muted))
    };
    // the note's rows at their most (every line hidden): it does not grow past them
    let note_rows = rows_of(&note(lines.len()), width);
    if rows(&tail) + note_rows > room {
        tail.retain(|l| l.width() > 0);
    }
    if rows(&tail) + note_rows > room {
        while tail.len() > 1 && rows(&tail) > room {
            tail.remove(0);
        }
        return tail;
    }
    let mut budget = room - rows(&tail) - note_rows;
    let mut shown = 0;
    for l in &lines {
        let r = rows_of(l, width);
        if r > budget {
            break;
        }
        budget -= r;
        shown += 1;
    }
    let hidden = lines.len() - shown;
    lines.truncate(shown);
    lines.push(note(hidden));
    lines.extend(tail);
    lines
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2)).max(1);
    let h = height.min(area.height.saturating_sub(2)).max(1);
    Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    }
}
