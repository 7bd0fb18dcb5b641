//! Draws the Deploy pane: a compact tile for the overview and the full
//! zoomed view (HEAD, upstream, state, owner, lock, the commit list, the
//! journal or the local changes, and what the last action said).
//!
//! Pure: draws only from the pane's state and `ViewCx` (time from
//! `cx.now`), with theme roles only. Every line is cut to the width with an
//! ellipsis, never mid-word without one. Text from repositories arrives
//! here already sanitized.

use chrono::{DateTime, Local, TimeZone};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::pane::ViewCx;
use crate::deploy::journal::JournalEntry;
use crate::deploy::pane::{Busy, DeployPane, Lower, Target, Tone, human_bytes};
use crate::deploy::status::{LogEntry, MovedOutside, RepoStatus, TakenBack};
use crate::ui::widgets::{message, pane_block, truncate};

fn tone(cx: &ViewCx<'_>, t: Tone) -> Style {
    match t {
        Tone::Text => cx.theme.text,
        Tone::Muted => cx.theme.muted,
        Tone::Ok => cx.theme.ok,
        Tone::Warn => cx.theme.warn,
        Tone::Error => cx.theme.error,
    }
}

/// A commit's time in local time to the minute, then how long ago: "2026-11-27 11:30 (30m
/// ago)"; [`ago`] alone for a time that is not a date (a header libgit2 could not read).
fn dated(now: DateTime<Local>, epoch: i64) -> String {
    let said = ago(now, epoch);
    match Local.timestamp_opt(epoch, 0).single() {
        Some(d) if !said.contains('-') => format!("{} ({said})", d.format("%Y-%m-%d %H:%M")),
        Some(d) => d.format("%Y-%m-%d %H:%M").to_string(),
        None => said,
    }
}

/// A journal entry's time as the rest of the pane says one ("1h ago", a date when older than
/// a month); a time the journal does not write as RFC 3339 (an entry written by hand) is
/// shown as written, to the minute.
fn journal_age(now: DateTime<Local>, j: &JournalEntry) -> String {
    match j.at() {
        Some(t) => ago(now, t.timestamp()),
        None => j.time_as_written(),
    }
}

/// How far ahead of the screen's clock a time may be and still read as now.
const JUST_NOW_SECS: i64 = 5;

/// "5m ago", "3h ago", "2d ago", or the date when older than a month.
pub fn ago(now: DateTime<Local>, epoch: i64) -> String {
    // a commit's time is whatever its header says: libgit2 reads
    // `author A <a@x> -9223372036854775808 +0000` as i64::MIN
    let secs = now.timestamp().saturating_sub(epoch);
    // the screen's clock is the last tick's: a fetch that ended since reads a second or two
    // ahead of it, which is now, not a clock that runs ahead
    if secs < -JUST_NOW_SECS {
        return "in future".into();
    }
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => format!("{}h ago", secs / 3600),
        86_400..2_592_000 => format!("{}d ago", secs / 86_400),
        _ => Local
            .timestamp_opt(epoch, 0)
            .single()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "?".into()),
    }
}

/// Cut a line of spans to `width` columns, the last kept span ending in `…`.
fn fit_line(spans: Vec<Span<'static>>, width: usize) -> Line<'static> {
    let mut out = Vec::new();
    let mut used = 0;
    for s in spans {
        let w = s.content.width();
        if used + w <= width {
            used += w;
            out.push(s);
        } else {
            let room = width.saturating_sub(used);
            if room > 0 {
                out.push(Span::styled(truncate(&s.content, room), s.style));
            }
            break;
        }
    }
    Line::from(out)
}

fn sp(s: impl Into<String>, st: Style) -> Span<'static> {
    Span::styled(s.into(), st)
}

/// Draw the pane.
pub fn render(p: &DeployPane, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
    let Some(t) = p.target() else {
        crate::ui::widgets::not_configured(
            frame,
            area,
            "Deploy",
            "No deploy target: add a [[deploy]] table with the path of the site's checkout.",
            cx,
        );
        return;
    };
    let mut title = format!("Deploy · {}", t.cfg.name);
    if p.targets.len() > 1 {
        title.push_str(&format!(
            " ({}/{}, t: next)",
            p.current + 1,
            p.targets.len()
        ));
    }
    if !p.filter.is_empty() {
        title.push_str(&format!(" /{}", p.filter));
    }
    let block = pane_block(&truncate(&title, area.width.saturating_sub(4) as usize), cx);
    let s = match &t.status {
        None => {
            let slow = t.slow_line(cx.now);
            let line = match &slow {
                Some(l) => (l.as_str(), cx.theme.warn),
                None => ("reading the checkout…", cx.theme.muted),
            };
            message(frame, area, block, &[line]);
            return;
        }
        Some(Err(e)) => {
            let path = t.cfg.path.display().to_string();
            let slow = t.slow_line(cx.now);
            let mut lines = vec![(e.as_str(), cx.theme.error)];
            if let Some(l) = &slow {
                lines.push((l.as_str(), cx.theme.warn));
            }
            if !e.contains(&path) {
                lines.push((&path, cx.theme.muted));
            }
            message(frame, area, block, &lines);
            return;
        }
        Some(Ok(s)) => s,
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    if cx.zoomed {
        zoomed(p, t, s, frame, inner, cx);
    } else {
        let h = inner.height as usize;
        let others: Vec<Line<'static>> = p
            .targets
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != p.current)
            .map(|(_, o)| fit_line(other_target_line(o, cx, w), w))
            .collect();
        // The other targets keep up to half the tile: a busy line on top
        // must not push them out.
        let mut lines = summary_lines(t, s, cx, w);
        lines.truncate(h.saturating_sub(others.len().min(h / 2)));
        lines.extend(others);
        lines.truncate(h);
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn other_target_line(t: &Target, cx: &ViewCx<'_>, w: usize) -> Vec<Span<'static>> {
    let name = sp(format!("{} ", t.cfg.name), cx.theme.accent);
    let mut state = Vec::new();
    match &t.status {
        None => state.push(sp("reading…", cx.theme.muted)),
        Some(Err(e)) => state.push(sp(e.to_string(), cx.theme.error)),
        Some(Ok(s)) => {
            state.push(sp(
                s.head
                    .as_ref()
                    .map(|h| h.short.clone())
                    .unwrap_or_else(|| "unborn".into()),
                cx.theme.text,
            ));
            if let Some(u) = &s.upstream
                && u.behind > 0
            {
                state.push(sp(format!(" ↓{} to deploy", u.behind), cx.theme.warn));
            }
        }
    }
    let mut v = vec![name];
    if let Some(hook) = running_hook(t, cx.now) {
        let used = v[0].content.width();
        let after_state = w.saturating_sub(used + spans_width(&state) + 2);
        // which hook runs says more than the target's HEAD: the HEAD gives way where the
        // command would keep fewer than a few words
        if hook.command_room(false, after_state) >= hook.command.width().min(HOOK_WORDS) {
            v.extend(state);
            v.push(sp("  ", cx.theme.text));
            v.extend(hook.spans(false, cx, after_state));
        } else {
            v.extend(hook.spans(false, cx, w.saturating_sub(used)));
        }
    } else {
        v.extend(state);
        if let Some(d) = t.doing(cx.now) {
            v.push(sp(format!("  {d}"), cx.theme.accent));
        }
    }
    v
}

fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| s.content.width()).sum()
}

/// The HEAD line: the deployed commit, its tag description, author and age. When the subject
/// would keep less than 20 columns, the description gives way, then the author: the id, the
/// subject (cut if need be) and the commit's age stay.
fn head_line(s: &RepoStatus, cx: &ViewCx<'_>, w: usize) -> Line<'static> {
    let Some(h) = &s.head else {
        return fit_line(
            vec![
                sp("HEAD  ", cx.theme.muted),
                sp("no commit yet", cx.theme.warn),
            ],
            w,
        );
    };
    let mut line = Vec::new();
    for (describe, author) in [(true, true), (false, true), (false, false)] {
        let age = ago(cx.now, h.time);
        let after = match (&s.describe, describe) {
            (Some(d), true) => format!(" ({d})"),
            _ => String::new(),
        };
        let tail = if author {
            format!("  {}, {age}", h.author)
        } else {
            format!("  {age}")
        };
        // the subject takes what the rest leaves: all of it, or 20 columns of it
        let fixed = 6 + h.short.width() + 1 + after.width() + tail.width();
        let room = w.saturating_sub(fixed);
        line = vec![
            sp("HEAD  ", cx.theme.muted),
            sp(h.short.clone(), cx.theme.accent),
            sp(" ", cx.theme.text),
            sp(truncate(h.subject.as_str(), room), cx.theme.text),
            sp(after, cx.theme.muted),
            sp(tail, cx.theme.muted),
        ];
        if room >= h.subject.width().min(20) {
            break;
        }
    }
    fit_line(line, w)
}

/// The branch line: the branch, how far from its upstream, how old that knowledge is (the last
/// fetch), an operation in progress. Said in the longest form that fits `w`: the upstream's
/// name goes first, then the note of commits taken back is shortened, "not upstream" becomes
/// "local", the note is left to the commit list's marks, the arrows stand alone, and last a long
/// branch name is cut; the counts, the age of the fetch and an operation in progress stay at 80
/// and 60 columns.
fn branch_line(s: &RepoStatus, cx: &ViewCx<'_>, w: usize) -> Line<'static> {
    let forms = [
        (true, Note::Full, 0),
        (false, Note::Full, 0),
        (false, Note::Short, 0),
        (false, Note::Short, 1),
        (false, Note::None, 1),
        (false, Note::None, 2),
    ];
    let width = |l: &[Span<'static>]| l.iter().map(|s| s.content.width()).sum::<usize>();
    let mut line = Vec::new();
    for (name, note, short) in forms {
        line = branch_spans(s, cx, name, note, short);
        if width(&line) <= w {
            break;
        }
    }
    // still too wide: a long branch name is cut with an ellipsis before the fetch's age or an
    // operation in progress would be (the branch span follows the label)
    let over = width(&line).saturating_sub(w);
    if over > 0
        && let Some(b) = line.get_mut(1)
    {
        let room = b.content.width().saturating_sub(over);
        if room >= 4 {
            b.content = truncate(&b.content, room).into();
        }
    }
    fit_line(line, w)
}

/// How the branch line says the commits behind that were live once.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Note {
    Full,
    Short,
    None,
}

fn branch_spans(
    s: &RepoStatus,
    cx: &ViewCx<'_>,
    name: bool,
    note: Note,
    short: u8,
) -> Vec<Span<'static>> {
    let mut v = vec![sp("on    ", cx.theme.muted)];
    match &s.branch {
        Some(b) => v.push(sp(b.to_string(), cx.theme.text)),
        None => v.push(sp("detached", cx.theme.text)),
    }
    match &s.upstream {
        Some(u) => {
            if name {
                v.push(sp(format!(" vs {}: ", u.name), cx.theme.muted));
            } else {
                v.push(sp(": ", cx.theme.muted));
            }
            if u.behind == 0 && u.ahead == 0 {
                v.push(sp("up to date", cx.theme.ok));
            } else {
                if u.behind > 0 {
                    let what = if short < 2 { " to deploy" } else { "" };
                    v.push(sp(format!("↓{}{what}", u.behind), cx.theme.warn));
                    let said = match note {
                        Note::Full => s.taken_back(),
                        Note::Short => s.taken_back_short(),
                        Note::None => None,
                    };
                    if let Some(said) = said {
                        v.push(sp(format!(" ({said})"), cx.theme.warn));
                    }
                }
                if u.ahead > 0 {
                    let what = ["not upstream", "local", ""][usize::from(short.min(2))];
                    v.push(sp(
                        format!(" ↑{} {what}", u.ahead).trim_end().to_string(),
                        cx.theme.warn,
                    ));
                }
            }
        }
        None => v.push(sp(" (no upstream: fetch?)", cx.theme.muted)),
    }
    if s.upstream.is_some() {
        // what the remote had when it was last fetched, not what it has now
        v.push(sp(
            match s.last_fetch {
                Some(t) => format!(" · fetched {}", ago(cx.now, t)),
                None => " · never fetched".into(),
            },
            cx.theme.muted,
        ));
    }
    if let Some(st) = s.state {
        v.push(sp(format!("  {st} in progress"), cx.theme.error));
    }
    v
}

fn tree_line(s: &RepoStatus, cx: &ViewCx<'_>) -> Vec<Span<'static>> {
    let mut v = vec![sp("tree  ", cx.theme.muted)];
    if s.modified == 0 && s.untracked == 0 {
        v.push(sp("clean", cx.theme.ok));
    } else {
        v.push(sp(
            format!("{} modified, {} untracked", s.modified, s.untracked),
            cx.theme.warn,
        ));
    }
    if s.stashes > 0 {
        // local work parked by a stash-and-deploy is easily forgotten there
        v.push(sp(format!("  {} in git stash", s.stashes), cx.theme.warn));
    }
    if !s.submodules_off.is_empty() {
        v.push(sp(
            format!(
                "  submodule {} not at the deployed commit",
                s.submodules_off
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            cx.theme.warn,
        ));
    }
    if s.owner.mismatch() {
        v.push(sp(
            format!(
                "  owner {}, you are {}",
                s.owner.tree_user, s.owner.run_user
            ),
            cx.theme.warn,
        ));
    } else {
        v.push(sp(format!("  owner {}", s.owner.tree_user), cx.theme.muted));
    }
    v
}

fn lock_line(s: &RepoStatus, cx: &ViewCx<'_>) -> Vec<Span<'static>> {
    let mut v = vec![sp("lock  ", cx.theme.muted)];
    match &s.lock {
        None => v.push(sp("free", cx.theme.muted)),
        Some(l) if s.lock_stale => v.push(sp(
            format!("STALE: {} ({})", l.holder(), l.stale_why()),
            cx.theme.warn,
        )),
        Some(l) => v.push(sp(format!("held by {}", l.holder()), cx.theme.warn)),
    }
    v
}

/// The first line while something runs on the target: what, for how long once it has run
/// 10 s, and that other actions wait (a fetch can be cancelled). Where a time said makes it too
/// wide, the label and the hint give way, then the word "running" before a fetch's time: what
/// runs and for how long tell a slow action from a hung one. A post-deploy command says its
/// times whole and gives way itself (see [`RunningHook::form`]).
fn busy_line(t: &Target, b: &Busy, cx: &ViewCx<'_>, w: usize) -> Line<'static> {
    if let Some(hook) = running_hook(t, cx.now) {
        return fit_line(hook.spans(true, cx, w), w);
    }
    let hint = match b {
        Busy::Fetching { .. } | Busy::Previewing(_) => "",
        Busy::Deploying { .. } | Busy::RunningHook(_) => "  other actions wait",
    };
    let full = busy_text(t, b, cx.now, "running for");
    let labelled = vec![
        sp("busy  ", cx.theme.muted),
        sp(full.clone(), cx.theme.accent),
        sp(hint, cx.theme.muted),
    ];
    if t.running_for(cx.now).is_none()
        || labelled.iter().map(|s| s.content.width()).sum::<usize>() <= w
    {
        return fit_line(labelled, w);
    }
    let short = busy_text(t, b, cx.now, "for");
    let text = if full.width() <= w { full } else { short };
    fit_line(vec![sp(text, cx.theme.accent)], w)
}

/// The post-deploy command run alone, once it has run long enough for its time to be said.
struct RunningHook<'a> {
    command: &'a str,
    /// How long it has run ("20 s", in the steps of the pane's clock).
    elapsed: String,
    /// When `hook_timeout_secs` stops it.
    limit_secs: u64,
}

fn running_hook(t: &Target, now: DateTime<Local>) -> Option<RunningHook<'_>> {
    let Some(Busy::RunningHook(command)) = &t.busy else {
        return None;
    };
    Some(RunningHook {
        command: command.as_str(),
        elapsed: t.running_for(now)?,
        limit_secs: t.cfg.hook_timeout_secs.max(1),
    })
}

/// The columns of a post-deploy command that still say which one runs
/// (`sudo systemctl reload…`).
const HOOK_WORDS: usize = 24;

/// How [`RunningHook`] is said: the busy line's label, what runs, the command's times and the
/// busy line's hint; the command goes between what runs and its times.
struct HookForm {
    label: &'static str,
    what: &'static str,
    times: String,
    hint: &'static str,
}

impl HookForm {
    /// The columns it takes besides the command.
    fn width(&self) -> usize {
        self.label.width() + self.what.width() + self.times.width() + self.hint.width()
    }
}

impl RunningHook<'_> {
    /// The longest form that keeps the whole command within `w` (with `labelled`, first as
    /// the busy line, with its label and hint), else the shortest: the command is what gives
    /// way, since how long it has run and when it is stopped tell a slow hook from a hung one.
    fn form(&self, labelled: bool, w: usize) -> HookForm {
        let (e, limit) = (&self.elapsed, self.limit_secs);
        let long = format!(", running for {e} (stops at {limit} s)");
        let short = format!(", {e} (stops at {limit} s)");
        let forms = [
            (
                "busy  ",
                "post-deploy hook: ",
                &long,
                "  other actions wait",
            ),
            ("", "post-deploy hook: ", &long, ""),
            ("", "post-deploy: ", &short, ""),
            ("", "hook: ", &short, ""),
        ];
        let forms = if labelled { &forms[..] } else { &forms[1..] };
        let mut forms = forms.iter().map(|(label, what, times, hint)| HookForm {
            label,
            what,
            times: times.to_string(),
            hint,
        });
        let shortest = forms.next_back().expect("a form");
        forms
            .find(|form| form.width() + self.command.width() <= w)
            .unwrap_or(shortest)
    }

    /// The columns the command keeps within `w`.
    fn command_room(&self, labelled: bool, w: usize) -> usize {
        w.saturating_sub(self.form(labelled, w).width())
            .min(self.command.width())
    }

    /// Said within `w` columns, the command cut with an ellipsis where it must be.
    fn spans(&self, labelled: bool, cx: &ViewCx<'_>, w: usize) -> Vec<Span<'static>> {
        let form = self.form(labelled, w);
        let room = w.saturating_sub(form.width());
        vec![
            sp(form.label, cx.theme.muted),
            sp(form.what, cx.theme.accent),
            sp(truncate(self.command, room), cx.theme.accent),
            sp(form.times, cx.theme.accent),
            sp(form.hint, cx.theme.muted),
        ]
    }
}

/// What runs on the target at `now`; a fetch's time, once said, follows `running` ("running
/// for", or "for" where room is short).
fn busy_text(t: &Target, b: &Busy, now: DateTime<Local>, running: &str) -> String {
    match b {
        Busy::Previewing(_) | Busy::Deploying { .. } | Busy::RunningHook(_) => {
            t.doing(now).unwrap_or_else(|| b.describe())
        }
        Busy::Fetching {
            progress: p,
            cancelling,
            ..
        } => {
            let pct = (p.received_objects * 100)
                .checked_div(p.total_objects)
                .map(|x| format!(" {x}%"))
                .unwrap_or_default();
            let long = t
                .running_for(now)
                .map(|e| format!(", {running} {e}"))
                .unwrap_or_default();
            format!(
                "{}fetching{pct} {}/{} objects, {}{long} (x: cancel)",
                if *cancelling { "cancelling: " } else { "" },
                p.received_objects,
                p.total_objects,
                human_bytes(p.received_bytes)
            )
        }
    }
}

/// The lines at the top of both the tile and the zoomed view, in parts: what runs on the target
/// (if anything) with HEAD and branch, the tree and lock lines, and what is off with HEAD (moved
/// outside opsdeck, pushed nowhere).
struct StateLines {
    top: Vec<Line<'static>>,
    tree: Line<'static>,
    lock: Line<'static>,
    alerts: Vec<Line<'static>>,
}

fn state_parts(t: &Target, s: &RepoStatus, cx: &ViewCx<'_>, w: usize) -> StateLines {
    let mut top: Vec<Line<'static>> = t.busy.iter().map(|b| busy_line(t, b, cx, w)).collect();
    if let Some(l) = t.slow_line(cx.now) {
        top.push(fit_line(vec![sp(l, cx.theme.warn)], w));
    }
    top.extend([head_line(s, cx, w), branch_line(s, cx, w)]);
    let mut alerts = Vec::new();
    if let Some(m) = &s.moved_outside {
        alerts.push(fit_line(moved_line(m, cx), w));
    }
    if s.on_no_remote {
        alerts.push(fit_line(
            vec![
                sp("pushed ", cx.theme.muted),
                sp("nowhere: on no remote branch", cx.theme.warn),
                sp(" (a local commit, or force-pushed away)", cx.theme.muted),
            ],
            w,
        ));
    }
    StateLines {
        top,
        tree: fit_line(tree_line(s, cx), w),
        lock: fit_line(lock_line(s, cx), w),
        alerts,
    }
}

/// What runs on the target (if anything), then HEAD, branch, tree and lock, then what is off
/// with HEAD: the top of the zoomed view.
fn state_lines(t: &Target, s: &RepoStatus, cx: &ViewCx<'_>, w: usize) -> Vec<Line<'static>> {
    let StateLines {
        mut top,
        tree,
        lock,
        alerts,
    } = state_parts(t, s, cx, w);
    top.extend([tree, lock]);
    top.extend(alerts);
    top
}

/// HEAD is not where the last deploy left it: who moved it and when (git's reflog) first, so
/// that a narrow line still says it.
fn moved_line(m: &MovedOutside, cx: &ViewCx<'_>) -> Vec<Span<'static>> {
    let mut said = "outside opsdeck".to_string();
    if let Some(by) = &m.by {
        said.push_str(&format!(" by {by}"));
    }
    if let Some(t) = m.time {
        said.push_str(&format!(", {}", ago(cx.now, t)));
    }
    let mut v = vec![sp("moved ", cx.theme.muted), sp(said, cx.theme.warn)];
    v.push(sp(
        format!("; the last deploy left {}", m.left),
        cx.theme.muted,
    ));
    if let Some(what) = &m.what {
        v.push(sp(format!(" (git: {what})"), cx.theme.muted));
    }
    v
}

/// The tile: what runs and what is deployed first, then what is off (a HEAD moved by hand or
/// pushed nowhere, local changes, a lock), the last deploy and action, and last what is as it
/// should be ("tree clean", "lock free"): at 80x24 the tile has two or three rows.
fn summary_lines(t: &Target, s: &RepoStatus, cx: &ViewCx<'_>, w: usize) -> Vec<Line<'static>> {
    let StateLines {
        top: mut lines,
        tree,
        lock,
        alerts,
    } = state_parts(t, s, cx, w);
    lines.extend(alerts);
    let tree_quiet = s.modified == 0
        && s.untracked == 0
        && s.stashes == 0
        && s.submodules_off.is_empty()
        && !s.owner.mismatch();
    let mut quiet = Vec::new();
    for (line, is_quiet) in [(tree, tree_quiet), (lock, s.lock.is_none())] {
        if is_quiet {
            quiet.push(line);
        } else {
            lines.push(line);
        }
    }
    if let Some(j) = s.journal.last() {
        let st = if j.ok() { cx.theme.ok } else { cx.theme.error };
        lines.push(fit_line(
            vec![
                sp("last  ", cx.theme.muted),
                sp(format!("{} ", j.kind), cx.theme.text),
                sp(j.result.to_string(), st),
                sp(
                    format!(" by {}@{}, {}", j.user, j.host, journal_age(cx.now, j)),
                    cx.theme.muted,
                ),
            ],
            w,
        ));
    }
    if let Some((tn, l)) = t.last.first() {
        lines.push(fit_line(vec![sp(l.to_string(), tone(cx, *tn))], w));
    }
    lines.extend(quiet);
    lines
}

/// The commit list's mark for a commit, and whether it is one to heed: "HEAD", nothing for an
/// older deployed one, what took it back (live once), "new". `narrow`: the short forms.
fn log_mark(e: &LogEntry, narrow: bool) -> (&'static str, bool) {
    if e.is_head {
        ("HEAD", false)
    } else if e.deployed {
        ("", false)
    } else if let Some(b) = &e.taken_back {
        // live once and taken back: deploying the newest brings it back; or past the
        // journal's reach, so perhaps
        match (narrow, b) {
            (true, TakenBack::NotKnown) => ("new?", true),
            (true, _) => ("back", true),
            (false, _) => (b.mark(), true),
        }
    } else {
        ("new", true)
    }
}

fn zoomed(
    p: &DeployPane,
    t: &Target,
    s: &RepoStatus,
    frame: &mut Frame<'_>,
    area: Rect,
    cx: &ViewCx<'_>,
) {
    let w = area.width as usize;
    let mut head = state_lines(t, s, cx, w);
    if let Some(wp) = t.watch_problem.as_ref().or(s.journal_problem.as_ref()) {
        head.push(fit_line(vec![sp(wp.to_string(), cx.theme.warn)], w));
    }
    let deploy_running = matches!(t.busy, Some(Busy::Deploying { .. } | Busy::RunningHook(_)));
    let last_lines = last_action_lines(t, cx, w);
    let last_h = if last_lines.is_empty() {
        0
    } else {
        (last_lines.len() as u16 + 1).min(8)
    };
    // The commit list takes what it needs (at least 3 rows), the journal
    // or the changes the rest.
    let log_rows = if t.detail {
        6
    } else {
        p.visible_log(t).len().max(1) + 1
    };
    // the detail was asked for: on a short screen the last action's output gives way to it,
    // so that the commit's subject and state are not cut off (its first lines stay)
    let last_h = if t.detail {
        let room = (area.height as usize).saturating_sub(head.len() + log_rows + 3);
        last_h.min(u16::try_from(room).unwrap_or(u16::MAX))
    } else {
        last_h
    };
    let [top, list, lower, last] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Length((log_rows as u16).max(3)),
        Constraint::Min(3),
        Constraint::Length(last_h),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), top);

    // The commit list (or the selected commit's detail).
    let log = p.visible_log(t);
    // Only the keys that work now: none that change the host in read-only
    // mode, none that start another action while a deploy runs.
    // (in full, and in the short words an ssh window of 60 columns has room for)
    let (hint, short) = if cx.read_only {
        ("Enter: detail", "Enter: detail")
    } else if t.refusal.is_some() {
        // its keys would only be refused: say so before they are pressed
        (
            "Enter: detail (not in deployers: no changes here)",
            "Enter: detail (not in deployers)",
        )
    } else if deploy_running {
        (
            "Enter: detail (actions wait for the deploy)",
            "Enter: detail (deploy running)",
        )
    } else {
        (
            "c: deploy selected, v: type a revision, Enter: detail",
            "c: deploy, v: revision, Enter: detail",
        )
    };
    // the rows the list has, the first shown (the selection kept in view), and what is out of
    // view above and below, said in the header: a short screen shows a few of them
    let rows = (list.height as usize).saturating_sub(1).max(1);
    let start = t.selected.saturating_sub(rows - 1);
    let (above, below) = (start, log.len().saturating_sub(start + rows));
    let count = match (t.detail, above, below) {
        (true, ..) | (false, 0, 0) => log.len().to_string(),
        (false, 0, b) => format!("{} · ↓{b}", log.len()),
        (false, a, 0) => format!("{} · ↑{a}", log.len()),
        (false, a, b) => format!("{} · ↑{a} ↓{b}", log.len()),
    };
    let mut header = format!("Commits ({count}) ─ {hint}");
    if header.width() > w {
        header = format!("Commits ({count}) ─ {short}");
    }
    let mut lines = vec![fit_line(vec![sp(header, cx.theme.header)], w)];
    if t.detail
        && let Some(e) = log.get(t.selected)
    {
        let c = &e.commit;
        for (k, v) in [
            ("commit ", c.id.to_string()),
            ("author ", c.author.to_string()),
            // when, to the minute (what a log or a report elsewhere is searched for), and how
            // long ago
            ("date   ", dated(cx.now, c.time)),
            ("subject", c.subject.to_string()),
            (
                "state  ",
                if e.is_head {
                    "deployed (HEAD)".into()
                } else if e.deployed {
                    "older than HEAD".into()
                } else if let Some(b) = &e.taken_back {
                    b.describe()
                } else {
                    "not deployed yet".to_string()
                },
            ),
        ] {
            lines.push(fit_line(
                vec![sp(format!("{k} "), cx.theme.muted), sp(v, cx.theme.text)],
                w,
            ));
        }
    } else if log.is_empty() {
        lines.push(fit_line(vec![sp("no commits", cx.theme.muted)], w));
    } else {
        // one column for the marks, as wide as the widest in the whole list (scrolling moves
        // nothing sideways); under 72 columns a commit taken back reads "back" (Enter says who
        // took it back and how)
        let narrow = w < 72;
        let mark_w = log
            .iter()
            .map(|e| log_mark(e, narrow).0.width())
            .max()
            .unwrap_or(0)
            .max(4);
        // the ages' column, as wide as the widest in the whole list (as the marks')
        let age_w = log
            .iter()
            .map(|e| ago(cx.now, e.commit.time).width())
            .max()
            .unwrap_or(0);
        for (i, e) in log.iter().enumerate().skip(start).take(rows) {
            let (mark, is_warn) = log_mark(e, narrow);
            let mst = match (e.is_head, is_warn) {
                (true, _) => cx.theme.ok,
                (false, true) => cx.theme.warn,
                (false, false) => cx.theme.muted,
            };
            let mark = format!("{mark}{} ", " ".repeat(mark_w - mark.width()));
            let c = &e.commit;
            // the author gives way before the age, which says how long it waited; the ages
            // are right-aligned in one column, so every author is cut at the same width
            let age = ago(cx.now, c.time);
            let age = format!("{}{age}", " ".repeat(age_w.saturating_sub(age.width())));
            let author_room = (w / 3).max(10).saturating_sub(age_w + 3);
            let right = if author_room < 2 {
                format!("  {age}")
            } else {
                format!("  {} {age}", truncate(c.author.as_str(), author_room))
            };
            let left_w = w.saturating_sub(right.width());
            let left = fit_line(
                vec![
                    sp(if i == t.selected { "▶ " } else { "  " }, cx.theme.accent),
                    sp(format!("{} ", c.short), cx.theme.accent),
                    sp(mark, mst),
                    sp(c.subject.to_string(), cx.theme.text),
                ],
                left_w,
            );
            let pad = left_w.saturating_sub(left.width());
            let mut spans = left.spans;
            spans.push(sp(" ".repeat(pad), cx.theme.text));
            spans.push(sp(right, cx.theme.muted));
            let mut line = Line::from(spans);
            if i == t.selected && cx.focused {
                line = line.patch_style(cx.theme.selection);
            }
            lines.push(line);
        }
    }
    frame.render_widget(Paragraph::new(lines), list);

    // Journal or local changes.
    let mut lines = Vec::new();
    match p.lower {
        Lower::Journal => {
            lines.push(fit_line(
                vec![sp(
                    format!(
                        "Journal ({}) ─ {}l: local changes",
                        s.journal.len(),
                        // b only waits while a deploy runs: the keys that work now, as the
                        // commit list's header says them
                        if cx.read_only || t.refusal.is_some() || deploy_running {
                            ""
                        } else {
                            "b: roll back, "
                        }
                    ),
                    cx.theme.header,
                )],
                w,
            ));
            if s.journal.is_empty() {
                lines.push(fit_line(
                    vec![sp("no deploys recorded yet", cx.theme.muted)],
                    w,
                ));
            }
            for j in s
                .journal
                .iter()
                .rev()
                .take(lower.height.saturating_sub(1) as usize)
            {
                let st = if j.ok() { cx.theme.ok } else { cx.theme.error };
                let short = |x: &str| x.get(..7).unwrap_or(x).to_string();
                lines.push(fit_line(
                    vec![
                        sp(format!("{} ", j.local_time()), cx.theme.muted),
                        sp(format!("{}@{} ", j.user, j.host), cx.theme.text),
                        sp(
                            format!("{} {}→{} ", j.kind, short(&j.from), short(&j.to)),
                            cx.theme.text,
                        ),
                        sp(format!("{} ", j.result), st),
                        sp(format!("hooks: {}", j.hook), cx.theme.muted),
                    ],
                    w,
                ));
            }
        }
        Lower::Changes => {
            lines.push(fit_line(
                vec![sp(
                    format!(
                        "Local changes ({} modified, {} untracked) ─ l: journal",
                        s.modified, s.untracked
                    ),
                    cx.theme.header,
                )],
                w,
            ));
            if s.changes.is_empty() {
                lines.push(fit_line(vec![sp("none", cx.theme.ok)], w));
            }
            for c in s
                .changes
                .iter()
                .take(lower.height.saturating_sub(1) as usize)
            {
                lines.push(fit_line(
                    vec![
                        sp(format!("{} ", c.kind), cx.theme.warn),
                        sp(c.path.to_string(), cx.theme.text),
                    ],
                    w,
                ));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), lower);

    if last_h > 0 {
        let mut lines = vec![fit_line(vec![sp("Last action", cx.theme.header)], w)];
        let room = last_h as usize - 1;
        let cut = last_lines.len() > room;
        lines.extend(last_lines.into_iter().take(room));
        // more than the section holds: its last row says so
        if cut && let Some(l) = lines.last_mut() {
            let style = l.spans.last().map(|s| s.style).unwrap_or_default();
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            *l = Line::from(sp(truncate(&format!("{} …", text.trim_end()), w), style));
        }
        frame.render_widget(Paragraph::new(lines), last);
    }
}

/// The last action's lines wrapped at the width, not cut: their advice is at their end. A
/// line's continuation is indented under its text, two columns more.
fn last_action_lines(t: &Target, cx: &ViewCx<'_>, w: usize) -> Vec<Line<'static>> {
    t.last
        .iter()
        .flat_map(|(tn, l)| {
            let text = l.to_string();
            let indent = text.len() - text.trim_start_matches(' ').len() + 2;
            crate::ui::widgets::hanging(vec![(text, tone(cx, *tn))], w, indent)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::pane::Pane;
    use crate::app::shared::Shared;
    use crate::config::Config;
    use crate::deploy::DeployConfig;
    use crate::deploy::fetch::FetchProgress;
    use crate::deploy::testdata;
    use crate::sanitize::Clean;
    use crate::ui::theme::Theme;

    fn pane() -> DeployPane {
        let mut cfg = Config::default();
        cfg.deploy.push(DeployConfig {
            name: "www".into(),
            path: "/var/www/site".into(),
            ..DeployConfig::default()
        });
        cfg.deploy.push(DeployConfig {
            name: "blog".into(),
            path: "/var/www/blog".into(),
            ..DeployConfig::default()
        });
        let mut p = DeployPane::new(&cfg);
        p.targets[0].status = Some(Ok(Box::new(testdata::status())));
        p
    }

    fn draw(p: &DeployPane, w: u16, h: u16, zoomed: bool) -> Terminal<TestBackend> {
        draw_as(p, w, h, zoomed, false)
    }

    fn draw_as(
        p: &DeployPane,
        w: u16,
        h: u16,
        zoomed: bool,
        read_only: bool,
    ) -> Terminal<TestBackend> {
        let theme = Theme::fallback();
        let shared = Shared::default();
        let cx = ViewCx {
            theme: &theme,
            now: testdata::now(),
            focused: true,
            zoomed,
            read_only,
            shared: &shared,
        };
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| p.render(f, f.area(), &cx)).unwrap();
        t
    }

    fn text(t: &Terminal<TestBackend>) -> String {
        let b = t.backend().buffer();
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn zoomed_80x24_shows_head_new_commit_and_journal_sanitized() {
        let t = draw(&pane(), 80, 24, true);
        let s = text(&t);
        assert!(!s.contains('\u{1b}'), "an escape reached the screen");
        assert!(s.contains("↓1 to deploy"), "{s}");
        insta::assert_snapshot!(s);
    }

    #[test]
    fn a_status_read_that_hangs_is_said_over_the_kept_status() {
        let mut p = pane();
        p.targets[0].updated = Some(testdata::now() - chrono::Duration::minutes(2));
        p.targets[0].slow = Some(std::time::Duration::from_secs(60));
        let s = text(&draw(&p, 120, 30, true));
        assert!(
            s.contains("showing the status from 11:58:00: reading the work tree has not answered in 60 s (a hung disk or network file system?)"),
            "{s}"
        );
        assert!(s.contains("↓1 to deploy"), "the status is kept: {s}");
        // before any status: said instead of "reading the checkout"
        p.targets[0].status = None;
        let s = text(&draw(&p, 120, 30, true));
        assert!(
            s.contains("reading the work tree has not answered in 60 s"),
            "{s}"
        );
        assert!(!s.contains("showing the status from"), "{s}");
    }

    /// A read hung since last night: the status kept is yesterday's, and says so; "from
    /// 23:58:00" read as a time of today.
    #[test]
    fn a_status_kept_from_another_day_says_its_date() {
        let mut p = pane();
        p.targets[0].updated =
            Some(testdata::now() - chrono::Duration::hours(12) - chrono::Duration::minutes(2));
        p.targets[0].slow = Some(std::time::Duration::from_secs(60));
        let s = text(&draw(&p, 120, 30, true));
        assert!(
            s.contains("showing the status from 2026-11-26 23:58:00: reading the work tree"),
            "{s}"
        );
        // the status bar says why, beside the pane's age, with no time to misread
        let h = p.health();
        assert_eq!(
            h.problem.as_deref(),
            Some(
                "www: reading the work tree has not answered in 60 s (a hung disk or network \
                 file system?)"
            )
        );
    }

    #[test]
    fn a_head_moved_by_hand_is_said_at_80_columns_with_who_and_when() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.moved_outside = Some(crate::deploy::status::MovedOutside {
                left: "1111111".into(),
                by: Some(Clean::new("Dana Deployer")),
                time: Some(testdata::now().timestamp() - 300),
                what: Some(Clean::new("checkout: moving from 1111111 to 2222222")),
            });
        }
        let s = text(&draw(&p, 80, 24, true));
        assert!(
            s.contains(
                "│moved outside opsdeck by Dana Deployer, 5m ago; the last deploy left 1111111"
            ),
            "{s}"
        );
    }

    #[test]
    fn a_rolled_back_commit_is_marked_so_not_new_at_80_columns() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.log[0].taken_back = Some(crate::deploy::status::TakenBack::Journal {
                kind: Clean::new("rollback"),
                user: Clean::new("dana"),
                host: Clean::new("web1"),
                time: Clean::new("2026-11-27T11:00:00+00:00"),
            });
            s.behind_back.rolled_back = 1;
        }
        let s = text(&draw(&p, 80, 24, true));
        assert!(s.contains("▶ 3333333 rolled back Pricing"), "{s}");
        assert!(!s.contains("3333333 new"), "{s}");
        assert!(s.contains("↓1 to deploy (1 rolled back)"), "{s}");
        p.targets[0].detail = true;
        let s = text(&draw(&p, 80, 24, true));
        // in local time, whatever the zone the tests run in
        let when = crate::deploy::journal::local_time("2026-11-27T11:00:00+00:00");
        assert!(
            s.contains(&format!("state   rolled back by dana@web1, {when}")),
            "{s}"
        );
    }

    /// The branch line behind, ahead and with rolled-back commits keeps how old the fetch is
    /// (what it says may be stale) and the counts at 80 and 60 columns; what gives way is the
    /// upstream's name and the note the commit list says again.
    #[test]
    fn the_branch_line_keeps_the_fetch_age_at_80_and_60_columns() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.branch = Some(Clean::new("production"));
            let u = s.upstream.as_mut().unwrap();
            (u.behind, u.ahead) = (2012, 1);
            s.log[0].taken_back = Some(crate::deploy::status::TakenBack::Journal {
                kind: Clean::new("rollback"),
                user: Clean::new("dana"),
                host: Clean::new("web1"),
                time: Clean::new("2026-11-27T11:00:00+00:00"),
            });
            // more behind than the confirm asks the journal of: the count is of the newest
            s.behind_back = crate::deploy::status::BehindBack {
                asked: 2000,
                rolled_back: 1,
                taken_back: 0,
            };
        }
        fn line(p: &DeployPane, w: u16) -> String {
            let s = text(&draw(p, w, 24, true));
            s.lines()
                .find(|l| l.contains("│on    "))
                .unwrap_or_else(|| panic!("{s}"))
                .to_string()
        }
        assert_eq!(
            line(&p, 80),
            "│on    production: ↓2012 to deploy (1+ rolled back) ↑1 local · fetched 3h ago  │"
        );
        let narrow = line(&p, 60);
        assert!(narrow.contains("↓2012 "), "{narrow}");
        assert!(narrow.contains("↑1"), "{narrow}");
        assert!(narrow.contains("· fetched 3h ago"), "{narrow}");
        // room to spare: every part, the upstream's name too
        let wide = line(&p, 120);
        assert!(
            wide.contains(
                "on    production vs origin/main: ↓2012 to deploy (1 of the newest 2000 rolled back) ↑1 not upstream · fetched 3h ago"
            ),
            "{wide}"
        );
        // an operation in progress is not cut away either
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.branch = Some(Clean::new("main"));
            s.state = Some("merge");
        }
        let narrow = line(&p, 60);
        assert!(narrow.contains("merge in progress"), "{narrow}");
        assert!(narrow.contains("· fetched 3h ago"), "{narrow}");
    }

    /// A long branch name with a merge in progress at 60x20: the branch name is cut with an
    /// ellipsis, the counts, the age of the fetch and the merge stay.
    #[test]
    fn a_long_branch_in_a_merge_keeps_the_fetch_age_at_60x20() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.branch = Some(Clean::new("feature/checkout-redesign-for-winter-sale"));
            s.state = Some("merge");
            let u = s.upstream.as_mut().unwrap();
            (u.behind, u.ahead) = (12, 1);
        }
        let s = text(&draw(&p, 60, 20, true));
        let line = s.lines().find(|l| l.contains("│on    ")).unwrap();
        assert!(line.contains("· fetched 3h ago"), "{s}");
        assert!(line.contains("merge in progress"), "{s}");
        assert!(line.contains("on    feature…: ↓12 ↑1"), "{s}");
        insta::assert_snapshot!(s);
    }

    /// Whatever marks the commits carry ("rolled back", "taken back", "new", "HEAD", none), the
    /// subjects start in one column, at 80 columns and, with short marks, at 60; a narrow row
    /// cuts the author, not the commit's age.
    #[test]
    fn the_commit_subjects_line_up_whatever_their_marks() {
        use crate::deploy::status::{LogEntry, TakenBack};
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.log[0].taken_back = Some(TakenBack::Journal {
                kind: Clean::new("rollback"),
                user: Clean::new("dana"),
                host: Clean::new("web1"),
                time: Clean::new("2026-11-27T11:00:00+00:00"),
            });
            let mut taken = s.log[0].clone();
            taken.commit = testdata::commit(0x44, "Contact form", "Dana Deployer", 3_600);
            taken.taken_back = Some(TakenBack::Outside);
            let mut new = s.log[0].clone();
            new.commit = testdata::commit(0x55, "Sitemap", "Dana Deployer", 600);
            new.taken_back = None;
            let rest: Vec<LogEntry> = s.log.drain(..).collect();
            s.log = vec![new, taken];
            s.log.extend(rest);
            s.upstream.as_mut().unwrap().behind = 3;
        }
        let subjects = [
            "Sitemap",
            "Contact form",
            "Pricing",
            "Friendlier",
            "About page",
        ];
        for (w, words) in [
            (80, ["new", "taken back", "rolled back", "HEAD", ""]),
            (60, ["new", "back", "back", "HEAD", ""]),
        ] {
            let s = text(&draw(&p, w, 24, true));
            // a narrow row keeps the commit's age, the author gives way
            assert!(s.contains("Sitemap"), "{s}");
            assert!(
                s.lines()
                    .any(|l| l.contains("Sitemap") && l.ends_with(" 10m ago│")),
                "{s}"
            );
            let cols: Vec<usize> = subjects
                .iter()
                .zip(words)
                .map(|(subject, word)| {
                    let row = s
                        .lines()
                        .find(|l| {
                            (l.starts_with("│▶ ") || l.starts_with("│  ")) && l.contains(subject)
                        })
                        .unwrap_or_else(|| panic!("{subject} at {w}:\n{s}"));
                    let at = row.find(subject).unwrap();
                    // the mark between the short id and the subject
                    let mark: String = row[..at].chars().skip(11).collect();
                    assert_eq!(mark.trim(), word, "{row}");
                    row[..at].width()
                })
                .collect();
            assert!(cols.iter().all(|c| *c == cols[0]), "{cols:?} at {w}:\n{s}");
        }
    }

    /// An ssh window of 60 columns: the commit list's header says its keys whole, in short
    /// words, whatever the target's state; 80 columns keep the long ones.
    #[test]
    fn the_commits_header_fits_60_columns() {
        use crate::deploy::checkout::Kind;
        let header = |p: &DeployPane, w: u16| {
            let s = text(&draw_as(p, w, 20, true, false));
            s.lines()
                .find(|l| l.contains("Commits ("))
                .unwrap_or_else(|| panic!("no commits header:\n{s}"))
                .to_string()
        };
        let mut p = pane();
        assert_eq!(
            header(&p, 60),
            "│Commits (3) ─ c: deploy, v: revision, Enter: detail       │"
        );
        assert!(
            header(&p, 80)
                .contains("Commits (3) ─ c: deploy selected, v: type a revision, Enter: detail"),
            "{}",
            header(&p, 80)
        );
        p.targets[0].busy = Some(Busy::Deploying {
            kind: Kind::Deploy,
            to: Clean::new("3333333 Pricing"),
        });
        assert_eq!(
            header(&p, 60),
            "│Commits (3) ─ Enter: detail (actions wait for the deploy) │"
        );
        p.targets[0].busy = None;
        p.targets[0].refusal = Some("www: you may not".into());
        assert_eq!(
            header(&p, 60),
            "│Commits (3) ─ Enter: detail (not in deployers)            │"
        );
    }

    /// A screen too short for the whole commit list: its header says how many are out of view
    /// above and below, and the selection stays in view.
    #[test]
    fn a_commit_list_cut_short_says_what_is_out_of_view() {
        let mut p = pane();
        let s = text(&draw_as(&p, 60, 12, true, false));
        assert!(s.contains("│Commits (3 · ↓1) ─ c: deploy"), "{s}");
        p.targets[0].selected = 2;
        let s = text(&draw_as(&p, 60, 12, true, false));
        assert!(s.contains("│Commits (3 · ↑1) ─ c: deploy"), "{s}");
        assert!(s.contains("│▶ "), "{s}");
        // tall enough: no marks
        let s = text(&draw_as(&p, 60, 20, true, false));
        assert!(s.contains("│Commits (3) ─ c: deploy"), "{s}");
    }

    /// At 60 columns the same author is cut to the same width on every row, whatever the
    /// length of its commit's age ("30m ago", "2h ago"): the ages are right-aligned.
    #[test]
    fn a_narrow_commit_list_cuts_every_author_alike() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.log[0].commit = testdata::commit(0x33, "Pricing page", "Dana Deployer", 1_800);
        }
        let s = text(&draw(&p, 60, 24, true));
        let rows: Vec<&str> = ["Pricing page", "Friendlier", "About page"]
            .iter()
            .map(|subject| {
                s.lines()
                    .find(|l| (l.starts_with("│▶ ") || l.starts_with("│  ")) && l.contains(subject))
                    .unwrap_or_else(|| panic!("{subject}:\n{s}"))
            })
            .collect();
        assert!(rows[0].ends_with(" Dana Dep… 30m ago│"), "{s}");
        assert!(rows[1].ends_with(" Dana Dep…  2h ago│"), "{s}");
        assert!(rows[2].ends_with(" Dana Dep…  2d ago│"), "{s}");
    }

    /// A commit older than the journal's reach reads "not known" (at 60 columns "new?"), not
    /// "new", and is not counted as rolled back on the branch line.
    #[test]
    fn a_commit_past_the_journal_reach_reads_not_known() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.log[0].taken_back = Some(crate::deploy::status::TakenBack::NotKnown);
        }
        let s = text(&draw(&p, 80, 24, true));
        assert!(s.contains("▶ 3333333 not known Pricing"), "{s}");
        assert!(s.contains("  2222222 HEAD      Friendlier"), "{s}");
        assert!(s.contains("↓1 to deploy · fetched 3h ago"), "{s}");
        let s = text(&draw(&p, 60, 24, true));
        assert!(s.contains("▶ 3333333 new? Pricing"), "{s}");
        p.targets[0].detail = true;
        let s = text(&draw(&p, 100, 24, true));
        assert!(
            s.contains(
                "state   not known: older than the last 30 deploys in the journal, which do not name it"
            ),
            "{s}"
        );
    }

    /// The HEAD line at 60 columns keeps the subject and the commit's age: the tag description
    /// and then the author give way.
    #[test]
    fn the_head_line_keeps_subject_and_age_at_60_columns() {
        let p = pane();
        let head = |w: u16| -> String {
            let s = text(&draw(&p, w, 24, true));
            s.lines().nth(1).unwrap().to_string()
        };
        assert_eq!(
            head(80),
            "│HEAD  2222222 Friendlier greeting (v1.4-2-g2222222)  Dana Deployer, 2h ago    │"
        );
        assert_eq!(
            head(60),
            "│HEAD  2222222 Friendlier greeting  Dana Deployer, 2h ago  │"
        );
        assert_eq!(head(40), "│HEAD  2222222 Friendlier gree…  2h ago│");
    }

    #[test]
    fn a_head_on_no_remote_branch_is_said_at_80_columns() {
        let mut p = pane();
        let s = text(&draw(&p, 80, 24, true));
        assert!(!s.contains("pushed nowhere"), "{s}");
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.on_no_remote = true;
        }
        let s = text(&draw(&p, 80, 24, true));
        assert!(
            s.contains(
                "│pushed nowhere: on no remote branch (a local commit, or force-pushed away)"
            ),
            "{s}"
        );
    }

    /// A tile of a few rows shows what is off before what is as it should be.
    #[test]
    fn a_small_tile_shows_a_head_pushed_nowhere_before_tree_and_lock() {
        let mut p = pane();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.on_no_remote = true;
            s.modified = 0;
            s.untracked = 0;
            s.owner.run_uid = s.owner.tree_uid;
        }
        let s = text(&draw(&p, 80, 6, false));
        let rows: Vec<&str> = s.lines().collect();
        assert!(rows[1].starts_with("│HEAD  2222222"), "{s}");
        assert!(rows[2].starts_with("│on    detached"), "{s}");
        assert!(
            rows[3].starts_with("│pushed nowhere: on no remote branch"),
            "{s}"
        );
        assert!(rows[4].starts_with("│blog"), "{s}");
    }

    #[test]
    fn local_work_left_in_the_stash_is_said_on_the_tree_line() {
        let mut p = pane();
        let s = text(&draw(&p, 80, 24, true));
        assert!(!s.contains("in git stash"), "{s}");
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.stashes = 2;
        }
        let s = text(&draw(&p, 80, 24, true));
        assert!(
            s.contains("│tree  1 modified, 1 untracked  2 in git stash  owner www-data"),
            "{s}"
        );
    }

    #[test]
    fn a_person_not_in_deployers_is_offered_no_deploy_key() {
        let mut p = pane();
        p.targets[0].refusal =
            Some("www: you are carol; only alice may change this checkout".into());
        let s = text(&draw(&p, 80, 24, true));
        assert!(
            s.contains("Commits (3) ─ Enter: detail (not in deployers: no changes here)"),
            "{s}"
        );
        for offer in ["c: deploy", "v: type a revision", "b: roll back"] {
            assert!(!s.contains(offer), "offers {offer:?} it would refuse:\n{s}");
        }
    }

    /// While a deploy runs, neither header offers a key that would only be told to wait.
    #[test]
    fn a_running_deploy_offers_only_the_keys_that_work() {
        let mut p = pane();
        p.targets[0].busy = Some(Busy::Deploying {
            kind: crate::deploy::checkout::Kind::Deploy,
            to: Clean::new("3333333 Pricing page"),
        });
        let s = text(&draw(&p, 80, 24, true));
        assert!(
            s.contains("Commits (3) ─ Enter: detail (actions wait for the deploy)"),
            "{s}"
        );
        assert!(s.contains("│Journal (2) ─ l: local changes "), "{s}");
        assert!(!s.contains("b: roll back"), "{s}");
    }

    #[test]
    fn read_only_offers_no_deploy_key() {
        let writable = text(&draw(&pane(), 80, 24, true));
        assert!(writable.contains("c: deploy selected"), "{writable}");
        let s = text(&draw_as(&pane(), 80, 24, true, true));
        assert!(s.contains("Commits (3) ─ Enter: detail"), "{s}");
        assert!(s.contains("─ l: local changes"), "{s}");
        for offer in ["c: deploy", "v: type a revision", "b: roll back"] {
            assert!(!s.contains(offer), "read-only view offers {offer:?}:\n{s}");
        }
    }

    #[test]
    fn zoomed_wide_shows_local_changes_and_last_action() {
        let mut p = pane();
        p.lower = Lower::Changes;
        p.targets[0].last = vec![
            (Tone::Ok, Clean::new("Deploy done: 2222222 -> 3333333")),
            (
                Tone::Error,
                Clean::new("post-deploy: timeout after 60s (killed)"),
            ),
            (Tone::Text, Clean::new("  reloading \u{1b}[31mphp-fpm")),
        ];
        let t = draw(&p, 120, 40, true);
        insta::assert_snapshot!(text(&t));
    }

    #[test]
    fn overview_tile_is_compact_and_lists_other_targets() {
        let mut p = pane();
        p.targets[0].busy = Some(Busy::Fetching {
            progress: FetchProgress {
                received_objects: 45,
                indexed_objects: 40,
                total_objects: 90,
                received_bytes: 1_500_000,
            },
            cancel: None,
            cancelling: false,
        });
        p.targets[1].status = Some(Err(Clean::new(
            "/var/www/blog: owned by uid 33, opsdeck runs as uid 0; libgit2 refuses it.",
        )));
        let t = draw(&p, 80, 8, false);
        insta::assert_snapshot!(text(&t));
    }

    /// The tile's last deploy says when as the rest of the pane does ("1h ago"), not as the
    /// journal writes it (RFC 3339 in the writer's zone), at 80 and 60 columns; a time that is
    /// not RFC 3339 is shown as written, to the minute.
    #[test]
    fn the_tiles_last_deploy_says_how_long_ago_at_80_and_60_columns() {
        let mut p = pane();
        p.targets.truncate(1);
        fn last(p: &DeployPane, w: u16) -> String {
            let s = text(&draw(p, w, 8, false));
            s.lines()
                .find(|l| l.contains("│last  "))
                .unwrap_or_else(|| panic!("{s}"))
                .to_string()
        }
        for w in [80, 60] {
            let l = last(&p, w);
            assert!(
                l.contains("│last  deploy checkout: 2 conflicts by root@web1, 1h ago"),
                "{w} columns: {l}"
            );
            assert!(!l.contains("2026-11-27T"), "{w} columns: {l}");
        }
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.journal.last_mut().unwrap().time = Clean::new("2026-11-27T10:30 by hand");
        }
        assert!(
            last(&p, 80).contains("by root@web1, 2026-11-27 10:30 "),
            "{}",
            last(&p, 80)
        );
    }

    /// The zoomed journal dates each deploy in local time, as the pane dates a commit: the
    /// journal writes the zone of whoever deployed (here a machine at +05:45), and its own
    /// clock read hours off beside the rest.
    #[test]
    fn the_journal_list_says_local_time() {
        let mut p = pane();
        let at = testdata::now() - chrono::Duration::minutes(90);
        let elsewhere = chrono::FixedOffset::east_opt(5 * 3600 + 45 * 60).unwrap();
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.journal.last_mut().unwrap().time =
                Clean::new(&at.with_timezone(&elsewhere).to_rfc3339());
        }
        let s = text(&draw(&p, 80, 24, true));
        let local = format!("│{} root@web1 deploy", at.format("%Y-%m-%d %H:%M"));
        assert!(s.contains(&local), "{local} in\n{s}");
        // an entry written by hand is shown as written
        if let Some(Ok(s)) = &mut p.targets[0].status {
            s.journal.last_mut().unwrap().time = Clean::new("yesterday noon");
        }
        let s = text(&draw(&p, 80, 24, true));
        assert!(s.contains("│yesterday noon root@web1 deploy"), "{s}");
    }

    #[test]
    fn a_running_deploy_leads_the_tile_and_the_zoomed_view() {
        let mut p = pane();
        p.targets[0].busy = Some(Busy::Deploying {
            kind: crate::deploy::Kind::Deploy,
            to: Clean::new("3333333 Fourth: new page"),
        });
        p.targets[1].busy = Some(Busy::RunningHook(Clean::new("systemctl reload php-fpm")));
        p.targets[1].status = Some(Ok(Box::new(testdata::status())));
        let tile = text(&draw(&p, 80, 8, false));
        let first = tile.lines().nth(1).unwrap();
        assert!(
            first.contains("busy  deploying 3333333 Fourth: new page…  other actions wait"),
            "{tile}"
        );
        assert!(tile.contains("blog"), "{tile}");
        insta::assert_snapshot!("busy_tile_80x8", tile);
        let zoomed = text(&draw(&p, 80, 24, true));
        assert!(
            zoomed.lines().nth(1).unwrap().contains("deploying 3333333"),
            "{zoomed}"
        );
        insta::assert_snapshot!("busy_zoomed_80x24", zoomed);
    }

    /// A post-deploy command that has run 20 s says which command runs, how long it has run and
    /// when `hook_timeout_secs` stops it, at 60 and at 80 columns: the command is what gives way
    /// (cut with an ellipsis), never the times. So does another target's line in the tile.
    #[test]
    fn a_running_hook_keeps_its_command_and_its_times_at_60_and_80_columns() {
        let mut p = pane();
        let hook = "sudo systemctl reload php8.2-fpm nginx";
        for t in &mut p.targets {
            t.cfg.hook_timeout_secs = 120;
            t.busy = Some(Busy::RunningHook(Clean::new(hook)));
            t.busy_since = Some(testdata::now() - chrono::Duration::seconds(25));
            t.status = Some(Ok(Box::new(testdata::status())));
        }
        let wide = text(&draw(&p, 80, 24, true));
        assert_eq!(
            wide.lines().nth(1).unwrap(),
            "│post-deploy: sudo systemctl reload php8.2-fpm nginx, 20 s (stops at 120 s)    │",
        );
        insta::assert_snapshot!("running_hook_zoomed_80x24", wide);
        let narrow = text(&draw(&p, 60, 20, true));
        assert_eq!(
            narrow.lines().nth(1).unwrap(),
            "│hook: sudo systemctl reload php8.2…, 20 s (stops at 120 s)│",
        );
        insta::assert_snapshot!("running_hook_zoomed_60x20", narrow);
        // the tile names the other target's command too, before its times
        let tile = text(&draw(&p, 60, 20, false));
        let blog = tile.lines().find(|l| l.contains("│blog ")).unwrap();
        assert!(blog.contains("(stops at 120 s)│"), "{tile}");
        assert!(blog.contains("sudo systemctl"), "{tile}");
        insta::assert_snapshot!("running_hook_tile_60x20", tile);
    }

    #[test]
    fn detail_of_the_selected_commit() {
        let mut p = pane();
        p.targets[0].detail = true;
        let t = draw(&p, 80, 24, true);
        let s = text(&t);
        assert!(s.contains(&testdata::oid(0x33).to_string()), "{s}");
        // the time to the minute, as a report elsewhere would give it, and how long ago
        let made = testdata::now() - chrono::Duration::seconds(1_800);
        assert!(
            s.contains(&format!(
                "│date    {} (30m ago) ",
                made.format("%Y-%m-%d %H:%M")
            )),
            "{s}"
        );
        // the same in every time zone
        let s = s.replace(
            &made.format("%Y-%m-%d %H:%M").to_string(),
            "YYYY-MM-DD hh:mm",
        );
        insta::assert_snapshot!(s);
    }

    /// After a deploy with a few lines of hook output, the detail of a commit at 60x20 keeps
    /// its subject and state: the last action's output gives way, its first line stays.
    #[test]
    fn the_detail_keeps_subject_and_state_over_the_last_action_at_60x20() {
        let mut p = pane();
        p.targets[0].detail = true;
        p.targets[0].last = vec![
            (Tone::Ok, Clean::new("Deploy done: 2222222 -> 3333333")),
            (Tone::Text, Clean::new("post-deploy: exit 0")),
            (Tone::Text, Clean::new("  reloading the site")),
            (Tone::Text, Clean::new("  done")),
        ];
        let s = text(&draw(&p, 60, 18, true));
        for said in [
            "│subject Pricing",
            "│state   not deployed yet",
            "│Deploy done: 2222222 -> 3333333",
        ] {
            assert!(s.contains(said), "{said:?} missing:\n{s}");
        }
    }

    /// A last action longer than the pane is wide is wrapped, its advice at the end kept; more
    /// lines than its section holds end in an ellipsis.
    #[test]
    fn the_last_action_is_wrapped_not_cut() {
        let mut p = pane();
        p.targets[0].last = vec![(
            Tone::Error,
            Clean::new(
                "fetch from origin: no repository at /tmp/opsdeck-demo-Ab12Cd/deploy/gone.git \
                 (the remote's URL): check `git remote -v` in /tmp/opsdeck-demo-Ab12Cd/deploy/www",
            ),
        )];
        let s = text(&draw(&p, 80, 24, true));
        for row in [
            "│Last action ",
            "│fetch from origin: no repository at /tmp/opsdeck-demo-Ab12Cd/deploy/gone.git ",
            "│  (the remote's URL): check `git remote -v` in ",
            "│  /tmp/opsdeck-demo-Ab12Cd/deploy/www ",
        ] {
            assert!(s.contains(row), "{row:?} missing:\n{s}");
        }

        p.targets[0].last = (1..=10)
            .map(|i| (Tone::Text, Clean::new(&format!("  output line {i}"))))
            .collect();
        let s = text(&draw(&p, 80, 30, true));
        assert!(s.contains("│  output line 7 …"), "{s}");
        assert!(!s.contains("output line 8"), "{s}");
    }

    #[test]
    fn an_unreadable_target_says_why() {
        let mut p = pane();
        p.targets[0].status = Some(Err(Clean::new(
            "/var/www/site: owned by uid 33, opsdeck runs as uid 0; libgit2 refuses it. Run as the owner, or trust it with: git config --global --add safe.directory /var/www/site",
        )));
        let t = draw(&p, 80, 10, true);
        insta::assert_snapshot!(text(&t));
    }

    #[test]
    fn no_target_configured() {
        let p = DeployPane::new(&Config::default());
        let s = text(&draw(&p, 80, 6, false));
        assert!(s.contains("not configured"), "{s}");
        assert!(s.contains("[[deploy]]"), "{s}");
    }

    #[test]
    fn ago_reads_like_a_person() {
        let now = testdata::now();
        let t = now.timestamp();
        assert_eq!(ago(now, t - 5), "5s ago");
        assert_eq!(ago(now, t - 600), "10m ago");
        assert_eq!(ago(now, t - 7_200), "2h ago");
        assert_eq!(ago(now, t - 3 * 86_400), "3d ago");
        assert_eq!(ago(now, t + 60), "in future");
        // a fetch that ended after the tick the screen is drawn at: now, not the future
        assert_eq!(ago(now, t + 2), "0s ago");
    }

    #[test]
    fn ago_of_an_absurd_commit_time_is_not_a_crash() {
        // times libgit2 reads from `author A <a@x> -9223372036854775808 +0000`
        // and `... 9223372036854775807 +0000` in a commit pushed upstream
        let now = testdata::now();
        assert_eq!(ago(now, i64::MIN), "?");
        assert_eq!(ago(now, i64::MIN + 1), "?");
        assert_eq!(ago(now, i64::MAX), "in future");
    }
}
