//! Small drawing helpers every pane uses: framed blocks, empty and error
//! states, width-aware truncation with an ellipsis.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use std::cell::Cell;

use crate::app::pane::{Nav, ViewCx};

/// The framed block of a pane or tile, with the focus colour when focused.
pub fn pane_block<'a>(title: &str, cx: &ViewCx<'_>) -> Block<'a> {
    let (border, title_style) = if cx.focused {
        (cx.theme.border_focus, cx.theme.title_focus)
    } else {
        (cx.theme.border, cx.theme.title)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), title_style))
}

/// The plural ending of a count's noun: `format!("{n} message{}", plural(n))`.
pub fn plural<N: PartialEq + From<u8>>(n: N) -> &'static str {
    if n == N::from(1) { "" } else { "s" }
}

/// Cut `s` to at most `width` columns, ending in `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Break `text` into lines of at most `w` columns at spaces (a word longer
/// than a line is cut with an ellipsis); at most `max` lines, the last one
/// ending in an ellipsis when there was more.
pub fn wrap_words(text: &str, w: usize, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let w = w.max(1);
    for word in text.split(' ').filter(|x| !x.is_empty()) {
        let extra = if cur.is_empty() { 0 } else { 1 };
        if cur.width() + extra + word.width() <= w {
            if extra == 1 {
                cur.push(' ');
            }
            cur.push_str(word);
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur = truncate(word, w);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.len() > max {
        out.truncate(max);
        if let Some(last) = out.last_mut() {
            let t = truncate(&format!("{last} …"), w);
            *last = if t.ends_with('…') {
                t
            } else {
                truncate(&format!("{last}…"), w)
            };
        }
    }
    out
}

/// Pad or cut `s` to exactly `width` columns.
pub fn fit(s: &str, width: usize) -> String {
    let t = truncate(s, width);
    let pad = width.saturating_sub(t.width());
    format!("{t}{}", " ".repeat(pad))
}

/// Cut a mail address to at most `width` columns, keeping its domain whole when it fits (where
/// mail goes is what a failure usually depends on): `john.smith@gmail.com` in 12 columns is
/// `j…@gmail.com`. Anything else, or a domain too long for that, is cut as [`truncate`] does.
pub fn truncate_address(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if let Some((local, domain)) = s.rsplit_once('@')
        && !local.is_empty()
        && !domain.is_empty()
    {
        let room = width.saturating_sub(domain.width() + 1);
        if room >= 1 {
            return format!("{}@{domain}", truncate(local, room));
        }
    }
    truncate(s, width)
}

/// Pad or cut a mail address to exactly `width` columns (see [`truncate_address`]).
pub fn fit_address(s: &str, width: usize) -> String {
    let t = truncate_address(s, width);
    let pad = width.saturating_sub(t.width());
    format!("{t}{}", " ".repeat(pad))
}

/// A pane with nothing to show yet: an honest sentence, never a blank box.
pub fn message(frame: &mut Frame<'_>, area: Rect, block: Block<'_>, lines: &[(&str, Style)]) {
    let text: Vec<Line<'_>> = lines
        .iter()
        .map(|(s, st)| Line::from(Span::styled(s.to_string(), *st)))
        .collect();
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

/// The usual "not configured" state of a pane.
pub fn not_configured(frame: &mut Frame<'_>, area: Rect, title: &str, what: &str, cx: &ViewCx<'_>) {
    message(
        frame,
        area,
        pane_block(title, cx),
        &[("not configured", cx.theme.warn), (what, cx.theme.muted)],
    );
}

/// Which rows of a list a view of some rows shows. The window moves as little as it must to keep
/// the selection in it, so that moving up from the bottom does not jump back to the top. Kept by
/// the pane, moved by its view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListWindow(Cell<usize>);

impl ListWindow {
    /// The first row to show of `total`, `rows` at a time, with `selected` among them.
    pub fn start(&self, selected: usize, rows: usize, total: usize) -> usize {
        let mut off = self.0.get();
        if selected < off {
            off = selected;
        } else if rows > 0 && selected >= off + rows {
            off = selected + 1 - rows;
        }
        off = off.min(total.saturating_sub(rows.max(1)));
        self.0.set(off);
        off
    }

    /// [`start`](Self::start) for rows of different heights (`heights`, in lines) in a view of
    /// `lines` lines: the selected row whole where it fits, else its first line at the top.
    pub fn start_by_height(&self, selected: usize, heights: &[usize], lines: usize) -> usize {
        let total = heights.len();
        let selected = selected.min(total.saturating_sub(1));
        let mut off = self.0.get().min(selected);
        while off < selected && heights[off..=selected].iter().sum::<usize>() > lines {
            off += 1;
        }
        // no lines left blank under the last row while rows above it are out of sight
        while off > 0 && heights[off - 1..].iter().sum::<usize>() <= lines {
            off -= 1;
        }
        self.0.set(off);
        off
    }
}

/// How far a scrolled text (a detail view) is scrolled, kept within the text. The view records
/// how far it can go on the area it last drew (the wrapped rows past the area's height) and a
/// page's height, and the keys stop there: scrolling past the end never leaves a blank area, and
/// the way back starts with the first key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scroll {
    offset: u16,
    /// The largest offset on the area last drawn (`u16::MAX` until drawn).
    max: Cell<u16>,
    /// Rows a page moves: the area last drawn, less one row kept for context.
    page: Cell<u16>,
}

impl Default for Scroll {
    fn default() -> Self {
        Scroll {
            offset: 0,
            max: Cell::new(u16::MAX),
            page: Cell::new(10),
        }
    }
}

impl Scroll {
    /// The first row shown.
    pub fn offset(&self) -> u16 {
        self.offset.min(self.max.get())
    }

    /// Back to the top (a new text).
    pub fn reset(&mut self) {
        self.offset = 0;
    }

    pub fn nav(&mut self, nav: Nav) {
        let (at, page) = (self.offset(), self.page.get());
        self.offset = match nav {
            Nav::Up => at.saturating_sub(1),
            Nav::Down => at.saturating_add(1),
            Nav::PageUp => at.saturating_sub(page),
            Nav::PageDown => at.saturating_add(page),
            Nav::Top => 0,
            Nav::Bottom => u16::MAX,
        }
        .min(self.max.get());
    }

    /// `lines` wrapped to `area`'s width and scrolled, to be drawn in `area`; records the limits
    /// the keys then keep to.
    pub fn paragraph<'a>(&self, lines: Vec<Line<'a>>, area: Rect) -> Paragraph<'a> {
        let p = Paragraph::new(lines).wrap(Wrap { trim: false });
        let rows = u16::try_from(p.line_count(area.width)).unwrap_or(u16::MAX);
        self.max.set(rows.saturating_sub(area.height));
        self.page.set(area.height.saturating_sub(1).max(1));
        p.scroll((self.offset(), 0))
    }

    /// Draw `lines` in `area`, scrolled, and say what the area cannot show as the key help does:
    /// "↓ N more" below the last row shown, "↑ N above" the first. A detail cut at the bottom of a
    /// small screen looked like the whole of it. With the box's bottom border under `area` the
    /// cue is written on the border and costs no row; with more text under it, the area's last
    /// row holds the cue, and only while something is hidden.
    pub fn render(
        &self,
        frame: &mut Frame<'_>,
        lines: Vec<Line<'_>>,
        area: Rect,
        under: Under,
        style: Style,
    ) {
        let mut text = area;
        if under == Under::Content && area.height > 1 {
            let rows = Paragraph::new(lines.clone())
                .wrap(Wrap { trim: false })
                .line_count(area.width);
            if rows > area.height as usize {
                text.height -= 1;
            }
        }
        frame.render_widget(self.paragraph(lines, text), text);
        let cue = self.cue();
        let y = match under {
            Under::Border => area.bottom(),
            Under::Content if text.height < area.height => text.bottom(),
            Under::Content => return,
        };
        if cue.is_empty() || y >= frame.area().bottom() {
            return;
        }
        let cue = truncate(&cue, area.width as usize);
        let row = Rect {
            y,
            height: 1,
            width: (cue.width() as u16).min(area.width),
            ..area
        };
        frame.render_widget(Paragraph::new(Span::styled(cue, style)), row);
    }

    /// "↓ N more · ↑ N above" for the area last drawn; empty when it shows the whole text.
    fn cue(&self) -> String {
        let (at, max) = (self.offset(), self.max.get());
        let mut cue = Vec::new();
        if max > at && max != u16::MAX {
            cue.push(format!("↓ {} more", max - at));
        }
        if at > 0 {
            cue.push(format!("↑ {at} above"));
        }
        cue.join(" · ")
    }
}

/// What lies under a scrolled view's area, where [`Scroll::render`] says what is not shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Under {
    /// The bottom border of the pane's box.
    Border,
    /// More of the pane (its rows are not the scrolled view's to write on).
    Content,
}

/// Where a word too long for its line is best broken, before `end`: after a `/`, `)`, `,`, `;`,
/// `&` or `?`, or before a `[` (a relay `host[address]:port` breaks before its address, which
/// keeps its port; a path after a directory), provided that leaves at least half the line used.
fn soft_break(chars: &[(char, Style)], start: usize, end: usize) -> Option<usize> {
    let least = start + (end - start).div_ceil(2);
    (least..end).rev().find_map(|i| match chars[i].0 {
        '/' | ')' | ',' | ';' | '&' | '?' => Some(i + 1),
        '[' if i > start => Some(i),
        _ => None,
    })
}

/// Styled pieces wrapped at spaces into lines of at most `width` columns, the lines after the
/// first indented by `indent` columns. A word longer than any line starts where it stands and
/// is broken where each line ends, or a little before at a punctuation mark that reads as a
/// break (after a `/`, before a `[`); nothing is dropped.
pub fn hanging(pieces: Vec<(String, Style)>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let chars: Vec<(char, Style)> = pieces
        .iter()
        .flat_map(|(t, s)| t.chars().map(move |c| (c, *s)))
        .collect();
    let indent = if width > indent + 8 { indent } else { 0 };
    // a word no continuation line could hold (a Message-Id) starts where it stands and is cut
    // where each line ends, rather than leaving the rest of its line empty
    let too_long_for_a_line = |from: usize| {
        chars[from..]
            .iter()
            .take_while(|(c, _)| *c != ' ')
            .map(|(c, _)| c.width().unwrap_or(0))
            .sum::<usize>()
            > width.saturating_sub(indent).max(1)
    };
    let mut lines = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let first = lines.is_empty();
        let room = if first { width } else { width - indent }.max(1);
        let (mut used, mut end, mut space) = (0, start, None);
        while end < chars.len() {
            let cw = chars[end].0.width().unwrap_or(0);
            if used + cw > room {
                break;
            }
            // a break inside the first line's own indent would leave it empty
            if chars[end].0 == ' ' && (!first || end >= indent) {
                space = Some(end);
            }
            used += cw;
            end += 1;
        }
        let (cut, next) = if end == chars.len() {
            (end, end)
        } else if chars[end].0 == ' ' {
            (end, end + 1)
        } else if let Some(sp) = space.filter(|&sp| sp > start && !too_long_for_a_line(sp + 1)) {
            (sp, sp + 1)
        } else {
            let e = soft_break(&chars, start, end).unwrap_or(end.max(start + 1));
            (e, e)
        };
        let mut spans: Vec<Span<'static>> = Vec::new();
        if !first && indent > 0 {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        let mut run = String::new();
        let mut style = chars[start].1;
        for &(c, st) in &chars[start..cut] {
            if st != style && !run.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut run), style));
            }
            style = st;
            run.push(c);
        }
        if !run.is_empty() {
            spans.push(Span::styled(run, style));
        }
        lines.push(Line::from(spans));
        start = next;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_window_moves_as_little_as_it_must() {
        let w = ListWindow::default();
        // down past the bottom of 5 rows: the window follows
        assert_eq!(w.start(4, 5, 20), 0);
        assert_eq!(w.start(7, 5, 20), 3);
        // back up inside it: it stays, the selection moves within it
        assert_eq!(w.start(6, 5, 20), 3);
        assert_eq!(w.start(3, 5, 20), 3);
        // above it: the window follows up
        assert_eq!(w.start(1, 5, 20), 1);
        // the list shrank under it: no blank rows at the bottom
        assert_eq!(w.start(19, 5, 20), 15);
        assert_eq!(w.start(5, 5, 8), 3);
    }

    #[test]
    fn addresses_keep_their_domain_when_cut() {
        assert_eq!(truncate_address("john.smith@gmail.com", 12), "j…@gmail.com");
        assert_eq!(truncate_address("john.smith@gmail.com", 11), "…@gmail.com");
        assert_eq!(
            truncate_address("john.smith@gmail.com", 20),
            "john.smith@gmail.com"
        );
        // a domain that leaves no room is cut like any text
        assert_eq!(truncate_address("b@example.com", 11), "b@example.…");
        assert_eq!(truncate_address("<> (bounce)", 6), "<> (b…");
        assert_eq!(fit_address("ab@x.org", 10), "ab@x.org  ");
        assert_eq!(fit_address("abcdef@x.org", 10), "abc…@x.org");
    }

    #[test]
    fn truncate_adds_ellipsis() {
        assert_eq!(truncate("deferred", 5), "defe…");
        assert_eq!(truncate("ok", 5), "ok");
        assert_eq!(truncate("日本語", 4), "日…");
    }

    /// Draw `rows` numbered lines through `scroll` in a 20x5 area; the rows shown.
    fn shown(scroll: &Scroll, rows: usize) -> Vec<String> {
        use ratatui::{Terminal, backend::TestBackend};
        let lines: Vec<Line<'static>> = (1..=rows)
            .map(|i| Line::from(format!("line {i}")))
            .collect();
        let mut t = Terminal::new(TestBackend::new(20, 5)).unwrap();
        t.draw(|f| f.render_widget(scroll.paragraph(lines, f.area()), f.area()))
            .unwrap();
        let buf = t.backend().buffer();
        (0..5)
            .map(|y| {
                let row: String = (0..20).map(|x| buf[(x, y)].symbol()).collect();
                row.trim_end().to_string()
            })
            .collect()
    }

    #[test]
    fn scroll_stops_at_the_last_line_and_comes_back_at_once() {
        let mut s = Scroll::default();
        assert_eq!(shown(&s, 12)[0], "line 1");
        for _ in 0..50 {
            s.nav(Nav::Down);
        }
        // the last line at the bottom of the area, not a blank area
        assert_eq!(
            shown(&s, 12),
            ["line 8", "line 9", "line 10", "line 11", "line 12"]
        );
        // one key back moves back one line, not the 42 keys pressed past the end
        s.nav(Nav::Up);
        assert_eq!(shown(&s, 12)[0], "line 7");
        // a page is the area less one line of context
        s.nav(Nav::Top);
        s.nav(Nav::PageDown);
        assert_eq!(shown(&s, 12)[0], "line 5");
        s.nav(Nav::Bottom);
        assert_eq!(shown(&s, 12)[4], "line 12");
        // wrapped lines count as the rows they take
        let mut w = Scroll::default();
        let long: Vec<Line<'static>> = vec![Line::from("word ".repeat(20)), Line::from("end")];
        let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(20, 5)).unwrap();
        t.draw(|f| f.render_widget(w.paragraph(long, f.area()), f.area()))
            .unwrap();
        w.nav(Nav::Bottom);
        assert_eq!(w.offset(), 1, "six rows (five of words, one 'end') in five");
        // a text shorter than the area does not scroll
        let mut short = Scroll::default();
        shown(&short, 3);
        short.nav(Nav::PageDown);
        assert_eq!(short.offset(), 0);
    }

    /// Draw `rows` numbered lines through `scroll` in a 20x6 box (its inner area 18x4, with
    /// `under` it), the box's border included; the screen's rows.
    fn boxed(scroll: &Scroll, rows: usize, under: Under) -> Vec<String> {
        use ratatui::{Terminal, backend::TestBackend};
        let lines: Vec<Line<'static>> = (1..=rows)
            .map(|i| Line::from(format!("line {i}")))
            .collect();
        let mut t = Terminal::new(TestBackend::new(20, 6)).unwrap();
        t.draw(|f| {
            let block = Block::default().borders(Borders::ALL);
            let inner = block.inner(f.area());
            f.render_widget(block, f.area());
            scroll.render(f, lines, inner, under, Style::default());
        })
        .unwrap();
        let buf = t.backend().buffer();
        (0..6)
            .map(|y| (0..20).map(|x| buf[(x, y)].symbol()).collect())
            .collect()
    }

    #[test]
    fn a_scrolled_view_says_what_it_cannot_show() {
        let mut s = Scroll::default();
        // at the top of 10 lines in 4 rows: 6 more, on the border, and every row is text
        let b = boxed(&s, 10, Under::Border);
        assert_eq!(b[1], "│line 1            │");
        assert_eq!(b[4], "│line 4            │");
        assert_eq!(b[5], "└↓ 6 more──────────┘");
        s.nav(Nav::Down);
        s.nav(Nav::Down);
        assert_eq!(boxed(&s, 10, Under::Border)[5], "└↓ 4 more · ↑ 2 ab…┘");
        s.nav(Nav::Bottom);
        let b = boxed(&s, 10, Under::Border);
        assert_eq!(b[4], "│line 10           │");
        assert_eq!(b[5], "└↑ 6 above─────────┘");
        // a text that fits says nothing
        let b = boxed(&Scroll::default(), 4, Under::Border);
        assert_eq!(b[5], "└──────────────────┘");
        // with more of the pane under it the view's last row holds the cue, and its text
        // scrolls in the rows above
        let mut s = Scroll::default();
        let b = boxed(&s, 10, Under::Content);
        assert_eq!(b[3], "│line 3            │");
        assert_eq!(b[4], "│↓ 7 more          │");
        s.nav(Nav::Bottom);
        let b = boxed(&s, 10, Under::Content);
        assert_eq!(b[3], "│line 10           │");
        assert_eq!(b[4], "│↑ 7 above         │");
        // ... and only while something is hidden
        let b = boxed(&Scroll::default(), 4, Under::Content);
        assert_eq!(b[4], "│line 4            │");
    }

    #[test]
    fn fit_pads() {
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("abcdef", 4), "abc…");
    }

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn hanging_lines_keep_every_character() {
        let st = Style::default();
        let l = hanging(
            vec![("FAIL ".into(), st), ("a bb ccc dddd".into(), st)],
            14,
            5,
        );
        assert_eq!(text(&l), ["FAIL a bb ccc", "     dddd"]);
        // a word longer than a line is broken, not cut with an ellipsis
        let l = hanging(
            vec![("     fix https://example.com/a/long/path".into(), st)],
            20,
            9,
        );
        let t = text(&l);
        assert!(t.iter().all(|r| r.width() <= 20), "{t:?}");
        assert_eq!(
            t.concat().replace(' ', ""),
            "fixhttps://example.com/a/long/path"
        );
        // too narrow to indent: wrapped at the border
        let l = hanging(vec![("ok   one two three".into(), st)], 10, 5);
        assert_eq!(text(&l), ["ok   one", "two three"]);
    }

    #[test]
    fn a_word_too_long_for_its_line_breaks_where_it_reads_as_a_break() {
        let st = Style::default();
        // a relay breaks before its address, not inside its port
        let l = hanging(
            vec![(
                "relay     email-smtp.us-east-1.amazonaws.com[54.0.0.10]:587".into(),
                st,
            )],
            58,
            10,
        );
        assert_eq!(
            text(&l),
            [
                "relay     email-smtp.us-east-1.amazonaws.com",
                "          [54.0.0.10]:587"
            ]
        );
        // a path after a directory
        let l = hanging(
            vec![("file /var/spool/postfix-out/deferred/A/B1C2D3".into(), st)],
            30,
            5,
        );
        assert_eq!(
            text(&l),
            ["file /var/spool/postfix-out/", "     deferred/A/B1C2D3"]
        );
        // nothing to break at in the line's second half: broken where the line ends
        let l = hanging(vec![("id [0123456789abcdefghij".into(), st)], 12, 3);
        assert_eq!(text(&l), ["id [01234567", "   89abcdefg", "   hij"]);
    }
}
