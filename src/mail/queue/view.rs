//! Draws the Mail queue pane: the overview tile, the table with its summary
//! strip, the qshape view, the reasons view and a message's detail.
//!
//! Pure: reads the pane's state and `cx` (the clock is `cx.now`), draws with
//! the theme's roles only, and never does I/O. Only the visible rows of the
//! table are built, so a 100,000-message queue draws as fast as a small one.
//! Every cut is marked with an ellipsis.

use chrono::{DateTime, Local};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

#[cfg(test)]
use super::model::reason_label;
use super::model::{
    Column, SHAPE_BUCKETS, SHAPE_COLS, ShapeBy, age_secs, ahead_secs, fmt_age, fmt_age_at,
    fmt_size, reason_cause, reason_key, shape,
};
use super::pane::{InstanceState, Loadable, Mode, QueuePane};
use super::parse::{QueueName, ReasonKind};
use crate::app::pane::{ViewCx, elapsed_short};
use crate::ui::widgets::{Under, fit, hanging, pane_block, plural, truncate, wrap_words};

impl QueuePane {
    pub(super) fn draw(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        let block = pane_block(&self.title(cx), cx);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.width < 4 || inner.height < 1 {
            return;
        }
        let w = inner.width as usize;
        let mut lines: Vec<Line<'_>> = Vec::new();
        if self.instances.iter().any(|s| s.updated.is_some()) {
            lines.push(self.summary_line(cx, w));
        }
        let mut status = self.status_lines(cx, w, false);
        // Several actions running on an instance take a line each, and another each once they
        // take long: where that would leave the table (the tile, the detail) less than half
        // the pane, as on a 60x20 terminal, each instance's are said in one line.
        let several = self
            .instances
            .iter()
            .any(|st| st.running.len() + st.flushing.len() > 1);
        if several && (lines.len() + status.len()) * 2 > inner.height as usize {
            status = self.status_lines(cx, w, true);
        }
        lines.extend(status);
        let head = lines.len() as u16;
        let top = Rect {
            height: head.min(inner.height),
            ..inner
        };
        frame.render_widget(Paragraph::new(lines), top);
        let rest = Rect {
            y: inner.y + top.height,
            height: inner.height - top.height,
            ..inner
        };
        if rest.height == 0 {
            return;
        }
        if !cx.zoomed {
            self.draw_tile(frame, rest, cx);
            return;
        }
        if self.detail.is_some() {
            self.draw_detail(frame, rest, cx);
            return;
        }
        match self.mode {
            Mode::Table => self.draw_table(frame, rest, cx),
            Mode::Shape(by) => self.draw_shape(frame, rest, cx, by),
            Mode::Reasons => self.draw_reasons(frame, rest, cx, true),
        }
    }

    fn title(&self, cx: &ViewCx<'_>) -> String {
        let mut t = String::from("Queue");
        if self.demo {
            t.push_str(" · DEMO data");
        }
        if cx.zoomed {
            match self.mode {
                Mode::Table if self.detail.is_some() => t.push_str(" · message"),
                Mode::Table => {}
                Mode::Shape(ShapeBy::Recipient) => t.push_str(" · qshape by recipient domain"),
                Mode::Shape(ShapeBy::Sender) => t.push_str(" · qshape by sender domain"),
                Mode::Reasons => t.push_str(" · deferred by reason"),
            }
        }
        t
    }

    fn summary_line(&self, cx: &ViewCx<'_>, w: usize) -> Line<'static> {
        let s = &self.summary;
        let th = cx.theme;
        // The line's parts in the order shown, each with its rank: a pane too narrow for them
        // all leaves out the lowest first. The total always stays, then the oldest message's
        // age, then how much mail is stuck here, then the counts of what waits for someone.
        const OLDEST: u8 = 8;
        const STUCK: u8 = 7;
        const CORRUPT: u8 = 6;
        const DEFERRED: u8 = 5;
        const HOLD: u8 = 4;
        const CAUSE: u8 = 3;
        const TAGGED: u8 = 2;
        const ON_ITS_WAY: u8 = 1;
        let mut parts: Vec<(u8, Vec<Span<'static>>)> = vec![(
            u8::MAX,
            vec![
                Span::styled("total ", th.muted),
                Span::styled(format!("{}", s.total), th.text),
            ],
        )];
        if let Some(o) = s.oldest {
            parts.push((
                OLDEST,
                vec![
                    Span::styled("  oldest ", th.muted),
                    Span::styled(fmt_age_at(o, cx.now.timestamp()), th.text),
                ],
            ));
        }
        // Deferred mail whose cause is on this host's side (its credentials, its SES account,
        // its setup, its address refused): retrying alone does not deliver it. How many, then
        // the first cause named and how many more causes there are.
        let mut cause_label = None;
        if let Some(top) = self.held_here.first() {
            let stuck: usize = self.held_here.iter().map(|h| h.messages).sum();
            parts.push((
                STUCK,
                vec![
                    Span::raw("  "),
                    Span::styled(format!("{stuck}"), th.error),
                    Span::styled(" stuck here", th.muted),
                ],
            ));
            let label = top.cause.label().to_string();
            let mut named = vec![
                Span::styled(": ", th.muted),
                Span::styled(label.clone(), th.error),
            ];
            if self.held_here.len() > 1 {
                named.push(Span::styled(
                    format!(" +{} more", self.held_here.len() - 1),
                    th.muted,
                ));
            }
            cause_label = Some(label);
            parts.push((CAUSE, named));
        }
        // zoomed, the tags are counted on the line below, so that a narrow
        // pane keeps the counts of every queue
        if self.tagged() > 0 && !cx.zoomed {
            parts.push((
                TAGGED,
                vec![Span::styled(
                    format!("  {} tagged", self.tagged()),
                    th.accent,
                )],
            ));
        }
        // what waits for someone first: corrupt files, deferred mail, held mail (never sent
        // until released); then what is on its way
        for q in [
            QueueName::Corrupt,
            QueueName::Deferred,
            QueueName::Hold,
            QueueName::Active,
            QueueName::Incoming,
            QueueName::Maildrop,
        ] {
            let n = s.count(q);
            if n == 0 && !matches!(q, QueueName::Active | QueueName::Deferred | QueueName::Hold) {
                continue;
            }
            let (rank, style) = match q {
                QueueName::Corrupt => (CORRUPT, th.error),
                QueueName::Deferred if n > 0 => (DEFERRED, th.warn),
                QueueName::Deferred => (DEFERRED, th.text),
                QueueName::Hold if n > 0 => (HOLD, th.accent),
                QueueName::Hold => (HOLD, th.text),
                _ => (ON_ITS_WAY, th.text),
            };
            parts.push((
                rank,
                vec![
                    Span::styled(format!("  {q} ", q = q.as_str()), th.muted),
                    Span::styled(format!("{n}"), style),
                ],
            ));
        }
        let width = |parts: &[(u8, Vec<Span<'static>>)]| {
            parts
                .iter()
                .flat_map(|(_, p)| p)
                .map(|s| s.content.width())
                .sum::<usize>()
        };
        let spans = |parts: Vec<(u8, Vec<Span<'static>>)>| {
            parts.into_iter().flat_map(|(_, p)| p).collect::<Vec<_>>()
        };
        // Where all but the counts of mail on its way fit, those are cut at the end (where
        // nothing else is lost, "activ…" says there is more).
        if width(&parts) <= w || {
            let waiting: Vec<_> = parts.iter().filter(|p| p.0 > ON_ITS_WAY).cloned().collect();
            width(&waiting) <= w
        } {
            return fit_spans(spans(parts), w);
        }
        // Else the lowest part goes whole, one after the other; the cause's name is cut instead
        // while that leaves enough of it to be read.
        const NAME_MIN: usize = 8;
        parts.retain(|p| p.0 > ON_ITS_WAY);
        while width(&parts) > w {
            let Some(low) = parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.0 != u8::MAX)
                .min_by_key(|(_, p)| p.0)
                .map(|(i, _)| i)
            else {
                break;
            };
            if parts[low].0 == CAUSE
                && let Some(label) = &cause_label
            {
                let over = width(&parts) - w;
                let room = label.width().saturating_sub(over);
                if room >= NAME_MIN {
                    parts[low].1[1].content = truncate(label, room).into();
                    break;
                }
            }
            parts.remove(low);
        }
        fit_spans(spans(parts), w)
    }

    /// Errors first (with their fix), then what runs, filter state and the last result.
    /// `compact`: several actions running on an instance are one line, not a line each.
    fn status_lines(&self, cx: &ViewCx<'_>, w: usize, compact: bool) -> Vec<Line<'static>> {
        let th = cx.theme;
        let mut out = Vec::new();
        let many = self.instances.len() > 1;
        for (i, st) in self.instances.iter().enumerate() {
            let pre = if many {
                format!("[{}] ", st.name)
            } else {
                String::new()
            };
            if let Some(e) = &st.error {
                // a list a day or more old (a postqueue that has failed since yesterday) says
                // its date: a time alone reads as today's
                let stale = match st.updated {
                    Some(u) if u.date_naive() == cx.now.date_naive() => {
                        format!(" (showing the list from {})", u.format("%H:%M:%S"))
                    }
                    Some(u) => {
                        format!(" (showing the list from {})", u.format("%Y-%m-%d %H:%M:%S"))
                    }
                    None => String::new(),
                };
                for l in wrap_words(&format!("{pre}{e}{stale}"), w, 3) {
                    out.push(Line::from(Span::styled(l, th.error)));
                }
            } else if let Some(down) = &st.down {
                for l in wrap_words(&format!("{pre}no mail is delivered: {down}"), w, 3) {
                    out.push(Line::from(Span::styled(l, th.error)));
                }
            } else if st.updated.is_none() && i < self.listed {
                out.push(Line::from(Span::styled(
                    truncate(&format!("{pre}reading the queue (postqueue -j)…"), w),
                    th.muted,
                )));
            }
            if compact && st.running.len() + st.flushing.len() > 1 {
                out.push(Line::from(Span::styled(
                    running_in_one_line(st, &pre, !cx.read_only, cx.now, w),
                    th.accent,
                )));
            } else {
                for r in &st.running {
                    let text = match &r.one {
                        Some(id) => format!("{pre}{}", r.op.running_on(id)),
                        None => format!(
                            "{pre}{}: {} of {} message{} done…",
                            r.op.verb(),
                            r.done,
                            r.of,
                            plural(r.of)
                        ),
                    };
                    out.push(Line::from(Span::styled(truncate(&text, w), th.accent)));
                }
                if !st.flushing.is_empty() {
                    out.push(Line::from(Span::styled(
                        truncate(
                            &format!("{pre}flushing the deferred mail (postqueue -f)…"),
                            w,
                        ),
                        th.accent,
                    )));
                }
                // one that does not end (a command_prefix of `ssh mx1` to a host that does not
                // answer) says how long it has run, and what, and the key that stops it
                let stop = if cx.read_only { "" } else { " (x: stop)" };
                for l in st.long_running(cx.now) {
                    for l in wrap_words(&format!("{pre}{l}{stop}"), w, 2) {
                        out.push(Line::from(Span::styled(l, th.muted)));
                    }
                }
            }
            if st.bad_lines > 0 {
                out.push(Line::from(Span::styled(
                    truncate(
                        &format!(
                            "{pre}{} unreadable line{} in postqueue -j output; first: {}",
                            st.bad_lines,
                            plural(st.bad_lines),
                            st.first_bad.as_deref().unwrap_or("")
                        ),
                        w,
                    ),
                    th.warn,
                )));
            }
        }
        if !cx.zoomed {
            return out;
        }
        let mut bits: Vec<String> = Vec::new();
        if self.mode == Mode::Table && self.detail.is_none() {
            // where the cursor is, paging through hundreds
            if self.view.len() > 1 {
                bits.push(format!("row {}", self.selected + 1));
            }
            bits.push(format!("{} of {} shown", self.view.len(), self.model.len()));
            bits.push(format!(
                "sort {}{}",
                self.sort.title(),
                if self.descending { "↓" } else { "↑" }
            ));
        }
        if let Some(q) = self.queue_filter {
            bits.push(format!("queue:{}", q.as_str()));
        }
        if !self.filter_text.is_empty() {
            bits.push(format!("filter: {}", self.filter_text));
        }
        if let Some(g) = self.group_filter() {
            bits.push(format!("reason: {g} (Esc clears)"));
        }
        // what an action acts on first: the tags
        let mut spans: Vec<Span<'static>> = Vec::new();
        if self.tagged() > 0 {
            spans.push(Span::styled(format!("{} tagged", self.tagged()), th.accent));
            if !bits.is_empty() {
                spans.push(Span::styled(" · ", th.muted));
            }
        }
        if !bits.is_empty() {
            let room = w.saturating_sub(spans.iter().map(|s| s.content.width()).sum());
            spans.push(Span::styled(truncate(&bits.join(" · "), room), th.muted));
        }
        if !spans.is_empty() {
            out.push(Line::from(spans));
        }
        if let Some(e) = &self.filter_error {
            out.push(Line::from(Span::styled(
                truncate(&format!("filter not applied: {e}"), w),
                th.warn,
            )));
        }
        if let Some((ok, n)) = &self.notice {
            // two lines: a result names the messages it could not act on
            for l in wrap_words(n, w, 2) {
                out.push(Line::from(Span::styled(
                    l,
                    if *ok { th.ok } else { th.warn },
                )));
            }
        }
        out
    }

    fn draw_tile(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        let th = cx.theme;
        if self.model.is_empty() {
            if self.instances.iter().any(|s| s.updated.is_some()) {
                frame.render_widget(
                    Paragraph::new(Line::from(Span::styled("queue empty", th.ok))),
                    area,
                );
            }
            return;
        }
        if self.reasons.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::from(Span::styled("no deferred mail", th.ok))),
                area,
            );
            return;
        }
        self.draw_reasons(frame, area, cx, false);
    }

    fn draw_table(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        let th = cx.theme;
        let w = area.width as usize;
        let h = area.height as usize;
        if self.view.is_empty() {
            let msg = if self.model.is_empty() {
                if self.instances.iter().any(|s| s.updated.is_some()) {
                    ("The queue is empty.", th.ok)
                } else {
                    ("", th.muted)
                }
            } else {
                ("No message matches the filter.", th.muted)
            };
            frame.render_widget(Paragraph::new(Line::from(Span::styled(msg.0, msg.1))), area);
            return;
        }
        let rows = h.saturating_sub(1);
        let off = self.window.start(self.selected, rows, self.view.len());
        let visible = &self.view[off..(off + rows).min(self.view.len())];
        let id_w = visible
            .iter()
            .filter_map(|r| self.model.get(*r))
            .map(|(_, e)| e.id.as_str().len())
            .max()
            .unwrap_or(10)
            .max(8);
        let many = self.instances.len() > 1;
        let inst_w = if many {
            self.instances
                .iter()
                .map(|s| s.name.width())
                .max()
                .unwrap_or(4)
                .min(10)
        } else {
            0
        };
        // Narrower than that, the size and the recipient count (both in the
        // detail) give their room to the sender and the reason, which say
        // whose mail waits and why; a column sorted by stays.
        const NARROW: usize = 72;
        let show_size = w >= NARROW || self.sort == Column::Size;
        let show_rcpts = w >= NARROW || self.sort == Column::Rcpts;
        // "Rcpt↓" whole when sorted by it
        let rcpt_w = if self.sort == Column::Rcpts { 5 } else { 4 };
        // tag, [instance], queue, id, age, [size], sender, [rcpt], reason,
        // each cell followed by one space but the last
        let fixed = (1 + 1)
            + if many { inst_w + 1 } else { 0 }
            + (8 + 1)
            + (id_w + 1)
            + (6 + 1)
            + if show_size { 6 + 1 } else { 0 }
            + 1
            + if show_rcpts { rcpt_w + 1 } else { 0 };
        let flex = w.saturating_sub(fixed);
        // an address seldom needs more than 48 columns; on a wide wall the
        // rest goes to the reason, which is what is read there
        let sender_w = (flex * 2 / 5).clamp(6, 48);
        let reason_w = flex.saturating_sub(sender_w).max(1);
        let cols: Vec<(String, usize, bool)> = {
            let mut c = vec![(" ".to_string(), 1, false)];
            if many {
                c.push(("Inst".into(), inst_w, false));
            }
            for (col, width, right) in [
                (Column::Queue, 8, false),
                (Column::Id, id_w, false),
                (Column::Age, 6, true),
                (Column::Size, 6, true),
                (Column::Sender, sender_w, false),
                (Column::Rcpts, rcpt_w, true),
                (Column::Reason, reason_w, false),
            ] {
                if (col == Column::Size && !show_size) || (col == Column::Rcpts && !show_rcpts) {
                    continue;
                }
                let mark = if col == self.sort {
                    if self.descending { "↓" } else { "↑" }
                } else {
                    ""
                };
                c.push((format!("{}{mark}", col.title()), width, right));
            }
            c
        };
        let mut lines: Vec<Line<'static>> = Vec::with_capacity(rows + 1);
        let header: Vec<String> = cols.iter().map(|(t, w, r)| cell(t, *w, *r)).collect();
        lines.push(Line::from(Span::styled(
            truncate(&header.join(" "), w),
            th.header,
        )));
        let now = cx.now.timestamp();
        for (i, r) in visible.iter().enumerate() {
            let Some((snap, e)) = self.model.get(*r) else {
                continue;
            };
            let tagged = self.tags.contains(&(snap.instance, e.id.clone()));
            let reason = match e.first_reason() {
                // the cause first, in the Failures pane's words: at 80 columns the column has
                // room for little more, and a reply's first words seldom name it
                Some(r) => match reason_cause(r) {
                    Some(c) => format!("{}: {}", c.label(), reason_key(r)),
                    None => reason_key(r),
                },
                None => match e.queue {
                    QueueName::Active => "(being delivered)",
                    QueueName::Hold => "(on hold)",
                    _ => "",
                }
                .to_string(),
            };
            let mut cells: Vec<String> = vec![if tagged { "*".into() } else { " ".into() }];
            if many {
                cells.push(cell(&snap.name, inst_w, false));
            }
            cells.push(cell(e.queue.as_str(), 8, false));
            cells.push(cell(e.id.as_str(), id_w, false));
            cells.push(cell(&fmt_age_at(e.arrival, now), 6, true));
            if show_size {
                cells.push(cell(&fmt_size(e.size), 6, true));
            }
            cells.push(cell(e.sender_shown(), sender_w, false));
            if show_rcpts {
                cells.push(cell(&e.recipients.len().to_string(), rcpt_w, true));
            }
            cells.push(cell(&reason, reason_w, false));
            let text = truncate(&cells.join(" "), w);
            let style = if off + i == self.selected {
                th.selection
            } else if tagged {
                th.accent
            } else {
                match e.queue {
                    QueueName::Deferred => th.text,
                    QueueName::Hold => th.muted,
                    QueueName::Corrupt => th.error,
                    _ => th.text,
                }
            };
            lines.push(Line::from(Span::styled(text, style)));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn draw_shape(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>, by: ShapeBy) {
        let th = cx.theme;
        let w = area.width as usize;
        let h = area.height as usize;
        let now = cx.now.timestamp();
        let entries = self
            .view
            .iter()
            .filter_map(|r| self.model.get(*r))
            .map(|(_, e)| e);
        // the key's two halves on lines of their own where one line is too narrow
        let (cols, key) = (
            "columns: age in minutes (under 5, 10, 20, ...)",
            "m: recipient/sender",
        );
        let both = format!("{cols}; {key}");
        let key_lines = if both.width() <= w {
            vec![both]
        } else {
            vec![truncate(cols, w), truncate(key, w)]
        };
        let sh = shape(
            entries,
            now,
            by,
            h.saturating_sub(2 + key_lines.len()).max(1),
        );
        let labels: Vec<String> = std::iter::once("T".to_string())
            .chain(SHAPE_BUCKETS.iter().map(|b| b.to_string()))
            .chain(std::iter::once(format!(
                "{}+",
                SHAPE_BUCKETS[SHAPE_BUCKETS.len() - 1]
            )))
            .collect();
        // Columns of one width, as qshape prints them; where that leaves the
        // domain too little room (60 columns), each column only as wide as
        // its label and its numbers, so that the domains and the oldest mail
        // stay on screen.
        const DOMAIN_MIN: usize = 12;
        let num_w = sh.total[0].to_string().len().max(5);
        let widths: Vec<usize> = if w.saturating_sub(SHAPE_COLS * (num_w + 1)) >= DOMAIN_MIN {
            vec![num_w; SHAPE_COLS]
        } else {
            labels
                .iter()
                .enumerate()
                .map(|(i, l)| l.len().max(sh.total[i].to_string().len()).max(3))
                .collect()
        };
        let dom_w = w
            .saturating_sub(widths.iter().map(|n| n + 1).sum::<usize>())
            .max(6);
        let mut head = vec![cell(
            match by {
                ShapeBy::Recipient => "rcpt domain",
                ShapeBy::Sender => "sender domain",
            },
            dom_w,
            false,
        )];
        for (l, n) in labels.iter().zip(&widths) {
            head.push(cell(l, *n, true));
        }
        let mut lines = vec![Line::from(Span::styled(
            truncate(&head.join(" "), w),
            th.header,
        ))];
        let row = |name: &str, counts: &[u32; SHAPE_COLS]| -> String {
            let mut c = vec![cell(name, dom_w, false)];
            c.extend(
                counts
                    .iter()
                    .zip(&widths)
                    .map(|(k, n)| cell(&k.to_string(), *n, true)),
            );
            truncate(&c.join(" "), w)
        };
        lines.push(Line::from(Span::styled(row("TOTAL", &sh.total), th.title)));
        for (d, counts) in &sh.rows {
            lines.push(Line::from(Span::styled(row(d, counts), th.text)));
        }
        if sh.more > 0 {
            lines.push(Line::from(Span::styled(
                truncate(&format!("… {} more domains", sh.more), w),
                th.muted,
            )));
        }
        if sh.rows.is_empty() {
            lines.push(Line::from(Span::styled("no messages to shape", th.muted)));
        }
        for l in key_lines {
            lines.push(Line::from(Span::styled(l, th.muted)));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn draw_reasons(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>, zoomed: bool) {
        let th = cx.theme;
        let w = area.width as usize;
        let h = area.height as usize;
        let now = cx.now.timestamp();
        if self.reasons.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::from(Span::styled("no deferred mail", th.ok))),
                area,
            );
            return;
        }
        let mut lines: Vec<Line<'static>> = Vec::new();
        if zoomed {
            lines.push(Line::from(Span::styled(
                truncate(
                    &format!(
                        "{} {} {}  reason (Enter: show these messages)",
                        cell("msgs", 6, true),
                        cell("rcpts", 6, true),
                        cell("oldest", 6, true)
                    ),
                    w,
                ),
                th.header,
            )));
        }
        // zoomed: what to do about the selected group's cause, at the bottom
        let footer: Vec<String> = match self.reasons.get(self.reason_sel).and_then(|g| g.cause) {
            Some(c) if zoomed && h >= 8 => {
                // whole where there is room (the last words are often the
                // step that matters: "then flush the queue"), leaving rows
                // for up to three groups; two lines at the least
                let groups = 2 * self.reasons.len().min(3);
                let most = h.saturating_sub(lines.len() + groups).clamp(2, 4);
                wrap_words(
                    &format!("{}, what to do: {}", c.label(), c.remedy()),
                    w,
                    most,
                )
            }
            _ => Vec::new(),
        };
        let per = if zoomed { 2 } else { 1 };
        let room = h.saturating_sub(lines.len() + footer.len()) / per;
        let start = if zoomed && self.reason_sel >= room {
            self.reason_sel + 1 - room
        } else {
            0
        };
        for (i, g) in self
            .reasons
            .iter()
            .enumerate()
            .skip(start)
            .take(room.max(1))
        {
            let what = if g.label.is_empty() {
                g.detail.clone()
            } else {
                format!("{} — {}", g.label, g.detail)
            };
            let text = if zoomed {
                format!(
                    "{} {} {}  {what}",
                    cell(&g.messages.to_string(), 6, true),
                    cell(&g.recipients.to_string(), 6, true),
                    cell(&fmt_age_at(g.oldest, now), 6, true)
                )
            } else {
                format!(
                    "{} message{}: {what}",
                    cell(&g.messages.to_string(), 6, true),
                    plural(g.messages)
                )
            };
            let style = if zoomed && i == self.reason_sel {
                th.selection
            } else {
                th.warn
            };
            lines.push(Line::from(Span::styled(truncate(&text, w), style)));
            if zoomed {
                lines.push(Line::from(Span::styled(
                    truncate(&format!("{}e.g. {}", " ".repeat(22), g.sample), w),
                    th.muted,
                )));
            }
        }
        if !zoomed
            && self.reasons.len() > room
            && let Some(last) = lines.last_mut()
        {
            *last = Line::from(Span::styled(
                truncate(
                    &format!(
                        "… {} more reasons (zoom, then v)",
                        self.reasons.len() + 1 - room
                    ),
                    w,
                ),
                th.muted,
            ));
        }
        if !footer.is_empty() {
            lines.resize(h - footer.len(), Line::from(""));
            lines.extend(
                footer
                    .into_iter()
                    .map(|l| Line::from(Span::styled(l, th.text))),
            );
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn draw_detail(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        let th = cx.theme;
        let Some(d) = &self.detail else {
            return;
        };
        let mut lines: Vec<Line<'static>> = Vec::new();
        let label = |s: &str| Span::styled(format!("{s:<11}"), th.muted);
        let Some(e) = self.lookup(d.instance, &d.id) else {
            let following = self
                .follow
                .as_ref()
                .is_some_and(|f| f.instance == d.instance && f.old == d.id && f.since.is_some());
            let text = match &d.gone {
                _ if following => format!(
                    "{} was requeued: looking for it under the new queue id Postfix gives it…",
                    d.id
                ),
                Some(why) => format!("{why}."),
                None => format!(
                    "{} is no longer in the queue (delivered, deleted or requeued).",
                    d.id
                ),
            };
            lines.push(Line::from(Span::styled(text, th.warn)));
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
            return;
        };
        let inst = self
            .instances
            .get(d.instance)
            .map(|s| s.name.as_str())
            .unwrap_or("");
        lines.push(Line::from(vec![
            label("Queue ID"),
            Span::styled(e.id.to_string(), th.title),
            Span::styled(
                format!("  {} queue, instance {inst}", e.queue.as_str()),
                th.text,
            ),
        ]));
        let arrived = chrono::DateTime::from_timestamp(e.arrival, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| e.arrival.to_string());
        lines.push(Line::from(vec![
            label("Arrived"),
            Span::styled(
                format!(
                    "{arrived} ({}), {} bytes{}",
                    match ahead_secs(e.arrival, cx.now.timestamp()) {
                        Some(s) => format!(
                            "{} in the future: this host's clock was set back since, or the \
                             list is another host's",
                            fmt_age(s)
                        ),
                        None => format!("{} ago", fmt_age(age_secs(e.arrival, cx.now.timestamp()))),
                    },
                    e.size,
                    match e.forced_expire {
                        Some(true) => ", forced to expire",
                        _ => "",
                    }
                ),
                th.text,
            ),
        ]));
        lines.push(Line::from(vec![
            label("Sender"),
            Span::styled(e.sender_shown().to_string(), th.text),
        ]));
        lines.push(Line::from(Span::styled(
            format!("Recipients ({})", e.recipients.len()),
            th.header,
        )));
        // recipients one after the other with the same reason (a list mailing, all through
        // the relay) are named each, and their reason said once after the last of them
        for (i, r) in e.recipients.iter().enumerate() {
            let mut spans = vec![Span::styled(format!("  {}", r.address), th.text)];
            if let Some(o) = &r.orig_address {
                spans.push(Span::styled(format!(" (was {o})"), th.muted));
            }
            lines.push(Line::from(spans));
            if e.recipients
                .get(i + 1)
                .is_some_and(|n| n.reason == r.reason)
            {
                continue;
            }
            let same = 1 + e.recipients[..i]
                .iter()
                .rev()
                .take_while(|p| p.reason == r.reason)
                .count();
            if let Some((kind, text)) = &r.reason {
                let (tag, st) = match kind {
                    ReasonKind::Delay => ("deferred", th.warn),
                    ReasonKind::Bounce => ("bounce", th.error),
                    ReasonKind::Other => ("", th.muted),
                };
                let tag = match (tag, same) {
                    ("", 1) => String::new(),
                    ("", n) => format!("the {n} above: "),
                    (t, 1) => format!("{t}: "),
                    (t, n) => format!("{t}, the {n} above: "),
                };
                for l in wrap_words(
                    &format!("{tag}{text}"),
                    (area.width as usize).saturating_sub(4),
                    6,
                ) {
                    lines.push(Line::from(Span::styled(format!("    {l}"), st)));
                }
            }
        }
        lines.push(Line::from(Span::styled(
            "Headers (postcat -q -h)",
            th.header,
        )));
        push_loadable(
            &mut lines,
            &d.headers,
            cx,
            "loaded when the message opens",
            Some(area.width as usize),
        );
        lines.push(Line::from(Span::styled("Body", th.header)));
        push_loadable(
            &mut lines,
            &d.body,
            cx,
            "press b to load the body (bounded)",
            None,
        );
        lines.push(Line::from(Span::styled(
            "Log history (l: open in the Failures pane)",
            th.header,
        )));
        let history = cx.shared.mail_log.history(d.id.as_str());
        if history.is_empty() {
            // Mail of minutes ago may not be logged yet; mail of hours ago arrived before the
            // log read begins (rotated away, or past the backfill), and held mail logs nothing
            // after it was held.
            let age = age_secs(e.arrival, cx.now.timestamp());
            let text = if age < 10 * 60 {
                "  the mail log has no line for this queue id (yet)".to_string()
            } else {
                format!(
                    "  the mail log read has no line for this queue id: it arrived {} ago, \
                     before the oldest line read?",
                    fmt_age(age)
                )
            };
            lines.extend(hanging(vec![(text, th.muted)], area.width as usize, 2));
        }
        // a log line longer than the pane continues under its indent, so that the next
        // line's stamp stands out at the left
        for l in history.iter().rev().take(200).rev() {
            lines.extend(hanging(
                vec![(format!("  {l}"), th.text)],
                area.width as usize,
                4,
            ));
        }
        d.scroll
            .render(frame, lines, area, Under::Border, cx.theme.muted);
    }
}

/// The actions and flushes running on one instance, in one line that fits `w`: how many, each
/// by its verb, how many messages it acts on and, once it has run 10 s, for how long (short,
/// in the steps the lines of each say it in), in the order they started, and the key that
/// stops them (`with_key`). Those that do not fit are left out for "…", never the key: the
/// first to start, the likeliest to hang, is the last left out.
fn running_in_one_line(
    st: &InstanceState,
    pre: &str,
    with_key: bool,
    now: DateTime<Local>,
    w: usize,
) -> String {
    let n = st.running.len() + st.flushing.len();
    let head = format!("{pre}{n} running: ");
    let tail = if with_key { " - x to stop" } else { "" };
    let long = |since| {
        elapsed_short(since, now)
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    };
    let mut started: Vec<(DateTime<Local>, String)> = st
        .running
        .iter()
        .map(|r| {
            (
                r.since,
                format!("{} {}{}", r.op.verb(), r.of, long(r.since)),
            )
        })
        .chain(
            st.flushing
                .iter()
                .map(|f| (f.since, format!("flush{}", long(f.since)))),
        )
        .collect();
    // a flush that started first is shown first, as any action is
    started.sort_by_key(|(since, _)| *since);
    let each: Vec<String> = started.into_iter().map(|(_, s)| s).collect();
    let room = w.saturating_sub(head.width() + tail.width());
    let mut named = each.join(", ");
    let mut kept = each.len();
    while named.width() > room && kept > 0 {
        kept -= 1;
        named = each[..kept]
            .iter()
            .map(String::as_str)
            .chain(std::iter::once("…"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    truncate(&format!("{head}{named}{tail}"), w)
}

/// A loaded part's lines; with `indent_to` (the width), a line too long for it continues on
/// indented lines, so that a long header value (a Message-Id, a References list) does not run
/// on at the left edge where the next header starts.
fn push_loadable(
    lines: &mut Vec<Line<'static>>,
    l: &Loadable,
    cx: &ViewCx<'_>,
    hint: &str,
    indent_to: Option<usize>,
) {
    let th = cx.theme;
    match l {
        Loadable::NotAsked => lines.push(Line::from(Span::styled(format!("  {hint}"), th.muted))),
        Loadable::Loading => lines.push(Line::from(Span::styled("  loading…", th.muted))),
        Loadable::Failed(e) => lines.push(Line::from(Span::styled(format!("  {e}"), th.error))),
        Loadable::Loaded { lines: ls, cut } => {
            if ls.is_empty() {
                lines.push(Line::from(Span::styled("  (empty)", th.muted)));
            }
            for l in ls {
                match indent_to {
                    Some(w) => lines.extend(hanging(vec![(format!("  {l}"), th.text)], w, 4)),
                    None => lines.push(Line::from(Span::styled(format!("  {l}"), th.text))),
                }
            }
            if *cut {
                lines.push(Line::from(Span::styled(
                    "  … cut at the size limit",
                    th.muted,
                )));
            }
        }
    }
}

fn cell(s: &str, w: usize, right: bool) -> String {
    if right {
        let t = truncate(s, w);
        format!("{}{t}", " ".repeat(w.saturating_sub(t.width())))
    } else {
        fit(s, w)
    }
}

/// Cut a line of spans to `w` columns, with an ellipsis where cut.
fn fit_spans(spans: Vec<Span<'static>>, w: usize) -> Line<'static> {
    let mut out = Vec::new();
    let mut used = 0;
    for s in spans {
        let sw = s.content.width();
        if used + sw <= w {
            used += sw;
            out.push(s);
        } else {
            let t = truncate(&s.content, w - used);
            out.push(Span::styled(t, s.style));
            break;
        }
    }
    Line::from(out)
}

#[cfg(test)]
mod tests {
    use crate::app::pane::{Nav, Pane};
    use crate::config::Config;
    use crate::mail::queue::demo::generate;
    use crate::mail::queue::parse::parse_jsonl;
    use crate::mail::queue::testkit::{Fx, NOW, fixture, now};
    use crate::mail::queue::{QueueAction, QueueError, QueueEvent, QueuePane};

    /// The one line of what runs says each in the order it started, a flush among the actions,
    /// and leaves out the latest first.
    #[test]
    fn what_runs_is_said_in_the_order_it_started() {
        use super::running_in_one_line;
        use crate::mail::queue::pane::{Flushing, InstanceState, Running};
        use crate::mail::queue::{ActionId, QueueOp, StopSwitch};
        use crate::sanitize::Clean;
        let at = |s: i64| now() + chrono::Duration::seconds(s);
        let running = |op, of, since| Running {
            action: ActionId::default(),
            op,
            done: 0,
            of,
            one: None,
            command: Clean::new("postsuper"),
            since,
            stop: StopSwitch::default(),
        };
        let st = InstanceState {
            running: vec![
                running(QueueOp::Hold, 12, at(20)),
                running(QueueOp::Requeue, 4, at(40)),
            ],
            flushing: vec![Flushing {
                action: ActionId::default(),
                command: Clean::new("postqueue -f"),
                since: at(0),
                stop: StopSwitch::default(),
            }],
            ..InstanceState::default()
        };
        assert_eq!(
            running_in_one_line(&st, "", true, at(60), 80),
            "3 running: flush (1m), hold 12 (40s), requeue 4 (20s) - x to stop"
        );
        assert_eq!(
            running_in_one_line(&st, "", true, at(60), 51),
            "3 running: flush (1m), hold 12 (40s), … - x to stop"
        );
    }

    #[test]
    fn table_80x24() {
        let fx = Fx::new(&fixture());
        let s = fx.draw(80, 24, true);
        // oldest first; the hostile sender is shown escaped
        assert!(s.contains("A1B2C3D4E5"), "{s}");
        assert!(s.contains("evil\\e[2J"), "{s}");
        // at 80 columns the reason column leads with its cause, as the Failures pane names it
        assert!(s.contains(" SES throttling: 454 T…│"), "{s}");
        assert!(s.contains(" greylisted: 451 4.7.1…│"), "{s}");
        insta::assert_snapshot!("table_80x24", s);
    }

    #[test]
    fn the_table_says_which_row_the_cursor_is_on() {
        // paging through hundreds of messages, nothing said where the cursor was
        let mut fx = Fx::new(&generate(300, NOW));
        for _ in 0..3 {
            fx.nav(Nav::PageDown);
        }
        let s = fx.draw(80, 24, true);
        assert!(s.contains("│row 31 · 300 of 300 shown · sort Age↓"), "{s}");
    }

    /// The demo queue filtered by the first word of the cause its rows name ("SES throttling:
    /// ...", whose reasons say "Throttling failure" and an amazonaws.com host, not "SES"): each
    /// row that names an SES cause is shown.
    #[test]
    fn the_filter_finds_the_cause_a_row_names() {
        let text = generate(240, NOW);
        let mut fx = Fx::new(&text);
        let naming_ses = parse_jsonl(text.as_bytes())
            .entries
            .iter()
            .filter(|e| {
                e.first_reason()
                    .is_some_and(|r| super::reason_label(r).starts_with("SES "))
            })
            .count();
        assert!(naming_ses > 0);
        fx.filter("SES");
        let s = fx.draw(200, 300, true);
        let rows: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("│  deferred "))
            .collect();
        assert_eq!(
            rows.iter().filter(|l| l.contains(" SES ")).count(),
            naming_ses,
            "{s}"
        );
        assert_eq!(fx.pane.view_len(), naming_ses, "{s}");
    }

    #[test]
    fn table_wide_with_tags_and_filter() {
        let mut fx = Fx::new(&fixture());
        fx.filter("to:gmail.com");
        fx.act(QueueAction::TagAll);
        let s = fx.draw(140, 20, true);
        assert!(s.contains("2 of 6 shown"), "{s}");
        assert!(s.contains("2 tagged"), "{s}");
        insta::assert_snapshot!("table_wide_filtered", s);
    }

    #[test]
    fn a_narrow_table_keeps_every_count_and_room_for_whose_mail_and_why() {
        // at 60x20 with everything tagged, the summary cut the hold count,
        // and the sender column held five characters ("order…")
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::TagAll);
        let s = fx.draw(60, 20, true);
        assert!(
            s.contains("│total 6  oldest 1d01h  deferred 4  hold 1  active 1"),
            "{s}"
        );
        assert!(
            s.contains("│6 tagged · row 1 · 6 of 6 shown · sort Age↓"),
            "{s}"
        );
        assert!(s.contains("Queue ID     Age↓ Sender      Reason"), "{s}");
        assert!(s.contains(" orders@sho… SES throttling: …│"), "{s}");
        insta::assert_snapshot!("table_60x20", s);
        // sorted by size or by recipients, that column is shown, its mark whole
        fx.act(QueueAction::SortNext);
        let s = fx.draw(60, 20, true);
        assert!(s.contains(" Size↓ Sender "), "{s}");
        fx.act(QueueAction::SortNext);
        fx.act(QueueAction::SortNext);
        let s = fx.draw(60, 20, true);
        assert!(s.contains(" Rcpt↓ Reason"), "{s}");
        assert!(s.contains("   40 SES"), "{s}");
    }

    #[test]
    fn a_narrow_qshape_keeps_the_domains_and_the_oldest_mail() {
        // at 60 columns the domains were cut to five characters and the
        // columns of the oldest mail (640, 1280, 1280+) off the screen
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::CycleView);
        let s = fx.draw(60, 20, true);
        assert!(
            s.contains("│rcpt domain   T   5  10  20  40  80 160 320 640 1280 1280+│"),
            "{s}"
        );
        assert!(
            s.contains("│example.net  40   0   0   0  40   0   0   0   0    0     0│"),
            "{s}"
        );
        assert!(
            s.contains("│corp.examp…   1   0   0   0   0   0   0   0   0    0     1│"),
            "{s}"
        );
        assert!(
            s.contains("│m: recipient/sender"),
            "the key, on a line of its own: {s}"
        );
        insta::assert_snapshot!("qshape_60x20", s);
    }

    #[test]
    fn tile_8_rows() {
        let fx = Fx::new(&fixture());
        let s = fx.draw(60, 8, false);
        assert!(s.contains("SES throttling"), "{s}");
        insta::assert_snapshot!("tile_60x8", s);
    }

    #[test]
    fn qshape_view() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::CycleView);
        let s = fx.draw(80, 24, true);
        assert!(s.contains("TOTAL"), "{s}");
        insta::assert_snapshot!("qshape_80x24", s);
        fx.act(QueueAction::ShapeBy);
        let s = fx.draw(120, 16, true);
        assert!(s.contains("shop.example"), "{s}");
        insta::assert_snapshot!("qshape_sender_120x16", s);
    }

    #[test]
    fn a_wall_wide_table_gives_its_width_to_the_reason() {
        let fx = Fx::new(&fixture());
        let s = fx.draw(200, 14, true);
        assert!(
            s.contains("SES throttling: 454 Throttling failure: Maximum sending rate exceeded."),
            "{s}"
        );
        let header = s.lines().find(|l| l.contains("Sender")).unwrap();
        let gap = header.find("Rcpt").unwrap() - header.find("Sender").unwrap();
        assert!(gap <= 50, "{header}");
    }

    #[test]
    fn reasons_view() {
        let mut fx = Fx::new(&fixture());
        fx.act(QueueAction::CycleView);
        fx.act(QueueAction::CycleView);
        let s = fx.draw(80, 24, true);
        // what to do is shown whole where there is room: its end is a step
        assert!(s.contains("│for a higher rate."), "{s}");
        insta::assert_snapshot!("reasons_80x24", s);
        // Enter shows the messages of the selected group
        fx.enter();
        assert_eq!(fx.pane.view_len(), 3);
    }

    #[test]
    fn detail_view() {
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down); // 4889DC8909, 2 h old
        let eff = fx.enter();
        assert_eq!(eff.len(), 1, "headers are asked for lazily");
        let id = crate::mail::queue::QueueId::parse("4889DC8909").unwrap();
        fx.event(QueueEvent::Loaded {
            instance: 0,
            id: id.clone(),
            part: crate::mail::queue::Part::Headers,
            result: Ok((
                vec![
                    "*** HEADER EXTRACTED deferred/4889DC8909 ***".into(),
                    "Subject: Your order \u{1b}]0;owned\u{7}".into(),
                    "From: Shop <orders@shop.example>".into(),
                ],
                false,
            )),
        });
        let s = fx.draw(80, 24, true);
        assert!(s.contains("Subject: Your order \\e]0;owned\\x07"), "{s}");
        // two hours old and not in the log read: not "(yet)", it will not come
        assert!(
            s.contains("│  the mail log read has no line for this queue id: it arrived 2h01m ago,"),
            "{s}"
        );
        insta::assert_snapshot!("detail_80x24", s);
        // seconds old: its lines may still come
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Bottom);
        while fx.pane.selected_entry().unwrap().1.id.as_str() != "C0FFEE1234" {
            fx.nav(Nav::Up);
        }
        fx.enter();
        let s = fx.draw(80, 24, true);
        assert!(
            s.contains("│  the mail log has no line for this queue id (yet)"),
            "{s}"
        );
    }

    /// A message whose arrival time lies ahead of the clock (set back since, or the list
    /// another host's through postqueue_command) is shown in the future, not as just arrived.
    #[test]
    fn a_message_from_the_future_is_not_shown_as_just_arrived() {
        let line = serde_json::json!({"queue_name":"deferred","queue_id":"F0F0F0F0F0",
            "arrival_time":NOW + 5400,"message_size":700,"sender":"late@shop.example",
            "recipients":[{"address":"ann@gmail.com","delay_reason":"connect to x: timed out"}]});
        let mut fx = Fx::new(&format!("{line}\n"));
        let s = fx.draw(100, 12, true);
        let row = s.lines().find(|l| l.contains("F0F0F0F0F0")).unwrap();
        assert!(row.contains(" -1h30m "), "{s}");
        assert!(!row.contains(" 0s "), "{s}");
        assert!(s.contains("oldest -1h30m"), "{s}");
        fx.enter();
        let s = fx.draw(200, 24, true);
        assert!(
            s.contains(
                "(1h30m in the future: this host's clock was set back since, or the list is \
                 another host's)"
            ),
            "{s}"
        );
        assert!(!s.contains(" ago)"), "{s}");
    }

    /// Deferred mail whose cause is on this host's side is said to be stuck here, in words
    /// that cannot be taken for the hold queue's count.
    #[test]
    fn the_summary_names_mail_stuck_on_this_hosts_side() {
        let line = |id: &str, reason: &str| {
            format!(
                "{}\n",
                serde_json::json!({"queue_name":"deferred","queue_id":id,"arrival_time":NOW-600,
                    "message_size":400,"sender":"app@shop.example",
                    "recipients":[{"address":"ann@example.net","delay_reason":reason}]})
            )
        };
        let creds = "SASL authentication failed; server 127.0.0.1[127.0.0.1] said: 535 \
                     Authentication Credentials Invalid";
        let grey = "host mx.corp.example[192.0.2.25] said: 451 4.7.1 Greylisted, please try \
                    again later (in reply to RCPT TO command)";
        let text =
            line("4889DC8901", creds) + &line("4889DC8902", creds) + &line("4889DC8903", grey);
        let fx = Fx::new(&text);
        let s = fx.draw(80, 24, true);
        let summary = s.lines().nth(1).unwrap();
        assert!(
            summary.contains("oldest 10m  2 stuck here: SES credentials  deferred 3  hold 0"),
            "{s}"
        );
        assert!(!summary.contains("held"), "{s}");
        // a second cause is counted, not named: the count is of every cause
        let nomech = "SASL authentication failed; cannot authenticate to server \
                      127.0.0.1[127.0.0.1]: no mechanism available";
        let fx = Fx::new(&(text + &line("4889DC8904", nomech)));
        let s = fx.draw(80, 24, true);
        assert!(
            s.lines()
                .nth(1)
                .unwrap()
                .contains("3 stuck here: SES credentials +1 more  deferred 4"),
            "{s}"
        );
        // passing causes only: nothing said
        let fx = Fx::new(&fixture());
        assert!(!fx.draw(80, 24, true).contains("stuck here"));
        // with a cause named, 80 columns still show how much is on hold
        let mut held = fixture() + &line("4889DC8901", creds);
        held.push_str(&line("4889DC8902", creds));
        let fx = Fx::new(&held);
        let s = fx.draw(80, 24, true);
        assert!(
            s.lines().nth(1).unwrap().contains(
                "│total 8  oldest 1d01h  2 stuck here: SES credentials  deferred 6  hold 1  act…│"
            ),
            "{s}"
        );
        // A little less room: the counts of mail on its way are left out whole (not cut to
        // "ac…"), then the cause's name is cut.
        let s = fx.draw(70, 20, true);
        assert_eq!(
            s.lines().nth(1).unwrap(),
            "│total 8  oldest 1d01h  2 stuck here: SES creden…  deferred 6  hold 1│",
            "{s}"
        );
        // At 60 columns (an ssh window) the total, the oldest's age, how much is stuck and the
        // deferred and held counts stay whole; the cause's name, too short to read, is left out.
        let s = fx.draw(60, 20, true);
        assert_eq!(
            s.lines().nth(1).unwrap(),
            "│total 8  oldest 1d01h  2 stuck here  deferred 6  hold 1   │",
            "{s}"
        );
        // the same in the overview's tile
        let s = fx.draw(60, 20, false);
        assert_eq!(
            s.lines().nth(1).unwrap(),
            "│total 8  oldest 1d01h  2 stuck here  deferred 6  hold 1   │",
            "{s}"
        );
    }

    /// The overview's tile at 120x40 (52 columns inside): the oldest message's age is the
    /// figure kept after the total; the counts after how much is stuck here go first.
    #[test]
    fn a_narrow_tile_keeps_the_oldest_age() {
        let line = |id: &str, queue: &str, age: i64, reason: &str| {
            format!(
                "{}\n",
                serde_json::json!({"queue_name":queue,"queue_id":id,"arrival_time":NOW-age,
                    "message_size":400,"sender":"app@shop.example",
                    "recipients":[{"address":"ann@example.net","delay_reason":reason}]})
            )
        };
        let quota = "host email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 454 Throttling \
                     failure: Daily message quota exceeded. (in reply to end of DATA command)";
        let grey = "host mx.corp.example[192.0.2.25] said: 451 4.7.1 Greylisted, please try \
                    again later (in reply to RCPT TO command)";
        let mut text = String::new();
        for i in 0..29 {
            text.push_str(&line(&format!("1000000{i:03}"), "deferred", 3600, quota));
        }
        for i in 0..151 {
            text.push_str(&line(&format!("2000000{i:03}"), "deferred", 7200, grey));
        }
        for i in 0..22 {
            text.push_str(&line(&format!("3000000{i:03}"), "hold", 600, grey));
        }
        text.push_str(&line("4000000000", "deferred", 258_000, grey));
        let fx = Fx::new(&text);
        let s = fx.draw(54, 12, false);
        assert_eq!(
            s.lines().nth(1).unwrap(),
            "│total 203  oldest 2d23h  29 stuck here  deferred 181│",
            "{s}"
        );
    }

    #[test]
    fn a_long_log_line_in_the_detail_continues_under_its_indent() {
        // an smtp status line is twice as wide as an ssh window: its continuation started at
        // the left edge, where the next line's stamp is looked for
        let mut fx = Fx::new(&fixture());
        let t = now() - chrono::Duration::seconds(60);
        let mut year = crate::mail::log::parse::YearGuess::new(t.date_naive());
        let l = "postfix/smtp[2017]: 4889DC8909: to=<ann@gmail.com>, \
                 relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:587, delay=7240, \
                 delays=7240/0/0.2/0.1, dsn=4.0.0, status=deferred (host \
                 email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 454 Throttling failure: \
                 Maximum sending rate exceeded. (in reply to end of DATA command))";
        let line = format!("{} mx1 {l}", t.format("%b %e %H:%M:%S"));
        let p = crate::mail::log::parse::parse_line(&line, &mut year).unwrap();
        fx.shared.mail_log.ingest(p);
        fx.nav(Nav::Down);
        fx.enter();
        let s = fx.draw(80, 40, true);
        let at = s
            .lines()
            .position(|l| l.contains("postfix/smtp[2017]: 4889DC8909"))
            .unwrap_or_else(|| panic!("{s}"));
        let rest: Vec<&str> = s.lines().skip(at + 1).take(3).collect();
        assert!(
            rest.iter()
                .all(|l| l.starts_with("│    ") && !l.starts_with("│     ")),
            "{s}"
        );
    }

    #[test]
    fn recipients_with_one_reason_have_it_said_once() {
        // a mailing to 40 recipients through the relay: 40 addresses, one reason, not 40
        let throttle = "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling \
                        failure: Maximum sending rate exceeded. (in reply to end of DATA command)";
        let grey = "host mx.example.net[198.51.100.7] said: 451 4.7.1 Greylisted, please try \
                    again later (in reply to RCPT TO command)";
        let mut rcpts: Vec<serde_json::Value> = (0..40)
            .map(|i| serde_json::json!({"address": format!("list{i}@example.org"), "delay_reason": throttle}))
            .collect();
        rcpts.push(serde_json::json!({"address": "ann@example.net", "delay_reason": grey}));
        rcpts.push(serde_json::json!({"address": "bob@example.org", "delay_reason": throttle}));
        let text = serde_json::json!({"queue_name":"deferred","queue_id":"D00D00D00D",
            "arrival_time":NOW-600,"message_size":400,"sender":"news@shop.example",
            "recipients":rcpts})
        .to_string()
            + "\n";
        let mut fx = Fx::new(&text);
        fx.enter();
        let s = fx.draw(80, 80, true);
        assert_eq!(s.matches("Throttling").count(), 2, "{s}");
        assert!(s.contains("│  list39@example.org"), "{s}");
        assert!(
            s.contains(
                "│    deferred, the 40 above: host email-smtp.us-east-1.amazonaws.com[54.0.0.10]"
            ),
            "{s}"
        );
        // each run of its own: the next recipients' reasons follow them
        assert!(s.contains("│  ann@example.net"), "{s}");
        assert!(
            s.contains("│    deferred: host mx.example.net[198.51.100.7] said: 451 4.7.1"),
            "{s}"
        );
        assert!(
            s.contains("│    deferred: host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said:"),
            "{s}"
        );
        assert!(
            s.find("list39@").unwrap() < s.find("the 40 above").unwrap()
                && s.find("the 40 above").unwrap() < s.find("ann@example.net").unwrap(),
            "{s}"
        );
    }

    #[test]
    fn a_long_header_value_continues_indented() {
        let mut fx = Fx::new(&fixture());
        fx.nav(Nav::Down);
        fx.enter();
        let id = crate::mail::queue::QueueId::parse("4889DC8909").unwrap();
        let msgid = format!("<{}@mailer.shop.example>", "a1b2c3d4".repeat(12));
        fx.event(QueueEvent::Loaded {
            instance: 0,
            id,
            part: crate::mail::queue::Part::Headers,
            result: Ok((
                vec![
                    format!("Message-Id: {msgid}").into(),
                    "Subject: Your order".into(),
                ],
                false,
            )),
        });
        let s = fx.draw(80, 40, true);
        let rows: Vec<&str> = s.lines().collect();
        let at = rows
            .iter()
            .position(|l| l.contains("│  Message-Id: <a1b2"))
            .unwrap_or_else(|| panic!("{s}"));
        // the value goes on over indented lines until the next header, and all of it is there
        let mut shown = rows[at].trim_matches('│').trim_end().to_string();
        let mut next = at + 1;
        while !rows[next].contains("Subject: Your order") {
            let inner = rows[next].trim_matches('│');
            assert!(inner.starts_with("    "), "not indented: {s}");
            shown.push_str(inner.trim());
            next += 1;
        }
        assert!(next > at + 1, "one line only? {s}");
        assert!(rows[next].contains("│  Subject: Your order"), "{s}");
        assert_eq!(
            shown.trim_start().replace("Message-Id: ", "Message-Id:"),
            format!("Message-Id:{msgid}")
        );
    }

    #[test]
    fn indented_wrapping_keeps_every_character_within_the_width() {
        use crate::ui::widgets::hanging;
        use unicode_width::UnicodeWidthStr;
        // a header line as the detail draws it: two columns in, continuation lines four
        let wrap = |text: &str, w: usize| -> Vec<String> {
            hanging(
                vec![(format!("  {text}"), ratatui::style::Style::default())],
                w,
                4,
            )
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
        };
        assert_eq!(wrap("To: a@x, b@y", 82), ["  To: a@x, b@y"]);
        assert_eq!(
            wrap("References: <aaaa> <bbbb> <cccc>", 20),
            ["  References: <aaaa>", "    <bbbb> <cccc>"]
        );
        let text = format!("Subject: {}", "été ".repeat(30));
        let parts = wrap(&text, 22);
        assert!(parts.iter().all(|p| p.width() <= 22), "{parts:?}");
        assert!(
            parts[1..].iter().all(|p| p.starts_with("    ")),
            "{parts:?}"
        );
        assert_eq!(
            parts.iter().map(|p| p.trim()).collect::<Vec<_>>().join(" "),
            text.trim_end()
        );
        // a Message-Id has no space: cut where each line ends, nothing left out
        let id = format!("Message-Id: <{}>", "x".repeat(50));
        let parts = wrap(&id, 22);
        assert_eq!(parts[0], "  Message-Id: <xxxxxxx");
        assert!(parts.iter().all(|p| p.width() <= 22), "{parts:?}");
        assert_eq!(parts.iter().map(|p| p.trim()).collect::<String>(), id);
    }

    /// A listing that keeps failing shows the last good list and when it was read: the time
    /// when that was today, the date too when it was not (a time alone reads as today's).
    #[test]
    fn a_stale_list_from_another_day_says_its_date() {
        let failed = || QueueEvent::Listed {
            instance: 0,
            at: now(),
            result: Err(QueueError::from_exit(
                "postqueue -j",
                "exit status: 69",
                b"postqueue: fatal: Queue report unavailable - mail system is down",
            )),
        };
        let mut fx = Fx::new(&fixture());
        // read at the screen's own time: today in every zone
        let read = now();
        fx.pane.instances[0].updated = Some(read);
        fx.event(failed());
        let s = fx.draw(100, 24, true).replace('\n', " ");
        let today = format!("(showing the list from {})", read.format("%H:%M:%S"));
        assert!(s.contains(&today), "{s}");
        let read = now() - chrono::Duration::hours(26);
        fx.pane.instances[0].updated = Some(read);
        fx.event(failed());
        let s = fx.draw(100, 24, true).replace('\n', " ");
        let dated = format!(
            "(showing the list from {})",
            read.format("%Y-%m-%d %H:%M:%S")
        );
        assert!(s.contains(&dated), "{s}");
    }

    #[test]
    fn errors_are_shown_with_the_fix() {
        let mut fx = Fx::new("");
        fx.pane = QueuePane::new(&Config::default());
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now(),
            result: Err(QueueError::from_exit(
                "postqueue -j",
                "exit status: 69",
                b"postqueue: fatal: User www-data(33) is not allowed to view the mail queue",
            )),
        });
        let s = fx.draw(80, 10, true);
        assert!(
            s.contains("permission denied - run as root or add your user"),
            "{s}"
        );
        insta::assert_snapshot!("error_80x10", s);
        assert!(fx.pane.health().problem.is_some());
        // and it recovers by itself on the next good reading
        fx.event(QueueEvent::Listed {
            instance: 0,
            at: now(),
            result: Ok(parse_jsonl(b"")),
        });
        assert!(fx.pane.health().problem.is_none());
        assert!(fx.draw(80, 10, true).contains("The queue is empty."));
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        use super::wrap_words;
        assert_eq!(
            wrap_words("postqueue: permission denied - run as root", 20, 5),
            ["postqueue:", "permission denied -", "run as root"]
        );
        let w = wrap_words("a b c d e f g h", 3, 2);
        assert_eq!(w.len(), 2);
        assert!(w[1].ends_with('…'), "{w:?}");
        assert_eq!(wrap_words("abcdefgh", 4, 3), ["abc…"]);
    }

    #[test]
    fn big_queue_draws_only_visible_rows() {
        let fx = Fx::new(&generate(20_000, NOW));
        let s = fx.draw(80, 24, true);
        assert!(s.contains("20000 of 20000 shown"), "{s}");
        // every drawn line fits: nothing wraps or overflows
        assert!(
            s.lines()
                .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80)
        );
    }
}
