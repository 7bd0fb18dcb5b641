//! Small drawing helpers every pane uses: framed blocks, empty and error
//! states, width-aware truncation with an ellipsis.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::app::pane::ViewCx;

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

/// Pad or cut `s` to exactly `width` columns.
pub fn fit(s: &str, width: usize) -> String {
    let t = truncate(s, width);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_adds_ellipsis() {
        assert_eq!(truncate("deferred", 5), "defe…");
        assert_eq!(truncate("ok", 5), "ok");
        assert_eq!(truncate("日本語", 4), "日…");
    }

    #[test]
    fn fit_pads() {
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("abcdef", 4), "abc…");
    }
}
