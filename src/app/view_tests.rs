//! View snapshots: the whole screen drawn into ratatui's `TestBackend` at
//! 80x24 and 160x48, and what the status bar says at 60x20 and 120x40.

use chrono::{Local, TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

use super::*;
use crate::probe::ProbeEvent;
use crate::ui::theme::Theme;

/// An interactive app with a confirm of 41 lines open (a delete of 40 messages).
fn with_tall_confirm() -> App {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    let mut lines = vec!["delete 40 messages: this cannot be undone".to_string()];
    lines.extend((1..=40).map(|n| format!("message {n:02}: from sender{n}@example.com")));
    a.settle(
        vec![Effect::Confirm(crate::app::effect::Confirm {
            title: "Delete 40 messages".into(),
            lines: lines.into_iter().map(Clean::from).collect(),
            then: vec![],
        })],
        &mut out,
    );
    a
}

fn app(mode: Mode) -> App {
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let config = Config::default();
    App::new(&config, mode, now, "web1.example.com".into())
}

fn press(a: &mut App, c: KeyCode) {
    a.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

/// The screen as text, one line per row.
pub fn screen(a: &App, theme: &Theme, w: u16, h: u16) -> String {
    buffer_text(&draw(a, theme, w, h))
}

/// The status bar of a screen: its first line (the badge, a notice or the ages, then `right`,
/// the host and the clock), and the whole notice, its lines joined (a long one is wrapped under
/// the first).
fn status_bar(s: &str, right: &str) -> (String, String) {
    let lines: Vec<&str> = s.lines().collect();
    let first = lines
        .iter()
        .rposition(|l| l.starts_with(" RO ") || l.starts_with(" RW "))
        .expect("a status bar");
    let head = lines[first].strip_suffix(right).unwrap_or(lines[first]);
    let notice = std::iter::once(head)
        .chain(lines[first + 1..].iter().copied())
        .map(|l| l[5..].trim())
        .collect::<Vec<_>>()
        .join(" ");
    (lines[first].to_string(), notice)
}

fn draw(a: &App, theme: &Theme, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::render(a, theme, f)).unwrap();
    t.backend().buffer().clone()
}

pub fn buffer_text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let mut line = String::new();
        for x in 0..b.area.width {
            line.push_str(b[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn overview_80x24() {
    let a = app(Mode::Interactive);
    let s = screen(&a, &Theme::fallback(), 80, 24);
    for id in PaneId::ALL {
        assert!(
            s.contains(&format!("┌ {} ", id.title())),
            "{} tile missing",
            id.title()
        );
    }
    insta::assert_snapshot!(s);
}

#[test]
fn overview_160x48() {
    let a = app(Mode::ReadOnly);
    let s = screen(&a, &Theme::fallback(), 160, 48);
    assert!(s.lines().last().unwrap().starts_with(" RO "));
    insta::assert_snapshot!(s);
}

/// An ssh window of 20 rows still shows every tile's first line, the focused tile taller;
/// only below that is the focused pane shown alone.
#[test]
fn overview_60x20_keeps_a_line_of_every_tile() {
    let mut a = app(Mode::Interactive);
    press(&mut a, KeyCode::Char('2'));
    press(&mut a, KeyCode::Esc);
    let s = screen(&a, &Theme::fallback(), 60, 20);
    for id in PaneId::ALL {
        assert!(
            s.contains(&format!("┌ {} ", id.title())),
            "{} tile missing:\n{s}",
            id.title()
        );
    }
    let rows_of = |title: &str| {
        let lines: Vec<&str> = s.lines().collect();
        let top = lines
            .iter()
            .position(|l| l.starts_with(&format!("┌ {title} ")));
        let top = top.unwrap_or_else(|| panic!("{title} missing:\n{s}"));
        lines[top + 1..]
            .iter()
            .position(|l| l.starts_with('└'))
            .unwrap()
    };
    assert_eq!(rows_of("Queue"), 1, "{s}");
    assert!(
        rows_of("Failures") > 1,
        "the focused tile is the taller one:\n{s}"
    );
    insta::assert_snapshot!(s);
    let short = screen(&a, &Theme::fallback(), 60, 15);
    assert!(short.contains("┌ Failures "), "{short}");
    assert!(!short.contains("┌ Queue "), "{short}");
    // the others are said to be there, and where a terminal is tall enough to show them
    let hint = short.lines().nth(13).unwrap();
    assert_eq!(
        hint, "j/k: the other 4 tiles · 18 rows show all five",
        "{short}"
    );
    assert!(!s.contains("the other 4 tiles"), "{s}");
    assert!(screen(&a, &Theme::fallback(), 60, 18).contains("┌ Queue "));
}

#[test]
fn focused_pane_80x24() {
    let mut a = app(Mode::Interactive);
    press(&mut a, KeyCode::Char('2'));
    let s = screen(&a, &Theme::fallback(), 80, 24);
    assert!(s.contains("┌ Failures "));
    assert!(!s.contains("┌ Queue "));
    insta::assert_snapshot!(s);
}

#[test]
fn help_overlay_80x24() {
    let mut a = app(Mode::Interactive);
    press(&mut a, KeyCode::Char('?'));
    let s = screen(&a, &Theme::fallback(), 80, 24);
    assert!(s.contains("Keys"));
    insta::assert_snapshot!(s);
}

#[test]
fn help_overlay_read_only_160x48() {
    let mut a = app(Mode::ReadOnly);
    press(&mut a, KeyCode::Char('?'));
    let s = screen(&a, &Theme::fallback(), 160, 48);
    assert!(s.contains("Read-only: nothing that changes the host is available."));
    insta::assert_snapshot!(s);
}

#[test]
fn notice_error_state_80x24() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(
        vec![Effect::Jump(Jump::QueueEntry("3FFCBC890E".into()))],
        &mut out,
    );
    let s = screen(&a, &Theme::fallback(), 80, 24);
    assert!(s.contains("3FFCBC890E is no longer in the queue"));
    insta::assert_snapshot!(s);
}

#[test]
fn badge_survives_a_tiny_terminal() {
    for (w, h) in [(10, 3), (30, 6), (40, 8), (80, 10)] {
        let a = app(Mode::ReadOnly);
        let s = screen(&a, &Theme::fallback(), w, h);
        assert!(s.contains("RO"), "badge missing at {w}x{h}:\n{s}");
    }
    // too small for anything else: it says how big a terminal it needs
    let s = screen(&app(Mode::ReadOnly), &Theme::fallback(), 19, 4);
    assert_eq!(s, " RO  too small\n 20x5 at least\n\n\n", "{s}");
}

#[test]
fn every_tab_and_its_mark_stay_on_a_narrow_tab_line() {
    // over ssh from a small window: the Probe tab, with the '!' of its failure, was cut off
    // the right of the line, and with it the only sign of the failure outside that pane
    let mut a = app(Mode::ReadOnly);
    a.update(Msg::Source(SourceEvent::Probe(ProbeEvent::EchoFailed(
        "echo listener: 127.0.0.1:8099: address in use".into(),
    ))));
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('2'),
        KeyModifiers::NONE,
    )));
    let mut lines = Vec::new();
    for w in [80, 50, 30, 20] {
        let s = screen(&a, &Theme::fallback(), w, 6);
        let tabs = s.lines().next().unwrap().to_string();
        assert!(
            tabs.contains('5') && tabs.contains('!'),
            "{w} columns: {tabs:?}"
        );
        lines.push(format!("{w:>2}: {tabs}"));
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn zoomed_on_one_pane_the_status_bar_says_what_another_panes_mark_is_for() {
    // a monitor zoomed on the queue: the Probe tab has its '!', and the status bar says why,
    // without leaving the queue
    let mut a = app(Mode::ReadOnly);
    a.update(Msg::Source(SourceEvent::Probe(ProbeEvent::EchoFailed(
        "echo listener: 127.0.0.1:8099: address in use".into(),
    ))));
    press(&mut a, KeyCode::Char('1'));
    press(&mut a, KeyCode::Enter);
    assert!(a.zoomed);
    a.notice = None;
    let s = screen(&a, &Theme::fallback(), 120, 24);
    let status = s.lines().last().unwrap();
    assert!(
        status.contains(" RO  ! Probe: echo listener: 127.0.0.1:8099: address in use  Q:-"),
        "{status}"
    );
    // at 80 columns the alert gives way to the panes' ages, which stay whole
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let status = s.lines().last().unwrap();
    assert!(
        status.contains(" RO  ! Probe: echo listener: 127…  Q:-  F:-  S:-  D:-  P:<1m err 1 "),
        "{status}"
    );
    // on the overview each tile says its own: the status bar keeps the ages
    press(&mut a, KeyCode::Esc);
    assert!(!a.zoomed);
    a.notice = None;
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let status = s.lines().last().unwrap();
    assert!(!status.contains("address in"), "{status}");
    assert!(status.contains(" RO  Q:-  F:-"), "{status}");
    // a window too short for the tiles shows the focused pane alone: said there too
    let s = screen(&a, &Theme::fallback(), 80, 12);
    let status = s.lines().last().unwrap();
    assert!(status.contains(" RO  ! Probe: echo listener"), "{status}");
}

#[test]
fn a_clock_set_back_does_not_make_an_old_update_look_fresh() {
    // the last log line came at 10:30; the clock was then set back to 08:30: until the next
    // line the status bar called the mail log under a minute old
    let mut a = app(Mode::ReadOnly);
    a.failures.last_update = Some(a.now);
    a.update(Msg::Tick(a.now - chrono::Duration::hours(2)));
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let status = s.lines().last().unwrap();
    assert!(status.contains("F:?"), "{status}");
    a.update(Msg::Tick(a.now + chrono::Duration::hours(2)));
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let status = s.lines().last().unwrap();
    assert!(status.contains("F:<1m"), "{status}");
}

#[test]
fn selection_visible_in_mono() {
    // The focused tab is drawn with the selection role: under NO_COLOR
    // (mono theme) it must still be reversed.
    let a = app(Mode::Interactive);
    let b = draw(&a, &Theme::mono(), 80, 24);
    let text = buffer_text(&b);
    let first = text.lines().next().unwrap();
    let x = first.find("1 Queue").unwrap() as u16;
    assert!(b[(x, 0)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn hostile_notice_never_reaches_the_buffer_raw() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(
        vec![Effect::Notice("\u{1b}]0;pwned\u{7}\u{9b}2J".into())],
        &mut out,
    );
    let b = draw(&a, &Theme::fallback(), 80, 24);
    for cell in b.content() {
        assert!(!cell.symbol().chars().any(crate::sanitize::is_unsafe_char));
    }
    assert!(buffer_text(&b).contains("\\e]0;pwned\\x07\\u{9b}2J"));
}

#[test]
fn a_confirm_dialog_keeps_its_keys_inside_when_its_lines_wrap_at_words() {
    // Lines that wrap at a word boundary take more rows than their length
    // divided by the width: the box must still hold the y / n line.
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    let lines = vec![
        "release 3 messages from hold: 287D49A4043, 3FBCF9A404A, 992DD9A4011".to_string(),
        "left out: 3 messages are not on hold: 2AC689A4046, 438199A404B, B20549A40FD".to_string(),
        "They go back to the deferred queue and are retried.".to_string(),
        "3 of them were queued longer than maximal_queue_lifetime 2s: released, they are returned to the sender at the first failed attempt".to_string(),
        "from MAILER-DAEMON (1), alice@example.com (1), bob@example.com (1)".to_string(),
    ];
    a.settle(
        vec![Effect::Confirm(crate::app::effect::Confirm {
            title: "Release 3 messages".into(),
            lines: lines.into_iter().map(Clean::from).collect(),
            then: vec![],
        })],
        &mut out,
    );
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let rows: Vec<&str> = s.lines().collect();
    let keys = rows
        .iter()
        .position(|l| l.contains(" y  confirm    n  cancel"))
        .unwrap_or_else(|| panic!("the keys are not shown:\n{s}"));
    assert!(
        rows[keys + 1].contains('└'),
        "the keys are the box's last line:\n{s}"
    );
}

/// A confirm taller than the screen (many messages picked, a small ssh window) still shows its
/// keys and its first lines, and says how many lines it left out.
#[test]
fn a_confirm_taller_than_the_screen_keeps_its_keys_and_says_what_is_cut() {
    let a = with_tall_confirm();
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let rows: Vec<&str> = s.lines().collect();
    let keys = rows
        .iter()
        .position(|l| l.contains(" y  confirm    n  cancel"))
        .unwrap_or_else(|| panic!("the keys are not shown:\n{s}"));
    assert!(rows[keys + 1].contains('└'), "the keys end the box:\n{s}");
    assert!(
        s.contains("delete 40 messages: this cannot be undone"),
        "{s}"
    );
    assert!(s.contains("message 01: from sender1@example.com"), "{s}");
    let shown = (1..=40)
        .filter(|n| s.contains(&format!("message {n:02}:")))
        .count();
    assert!(
        s.contains(&format!(
            "… {} more lines not shown: a taller terminal shows them",
            40 - shown
        )),
        "{s}"
    );
    insta::assert_snapshot!(s);
}

#[test]
fn a_prefilled_prompt_says_how_to_clear_it() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    let prompt = super::tests::revspec_prompt;
    a.settle(vec![prompt("origin/main")], &mut out);
    let s = screen(&a, &Theme::fallback(), 80, 24);
    assert!(s.contains("> origin/main█"), "{s}");
    assert!(
        s.contains("Enter submit · Esc cancel · Ctrl-U clear · Ctrl-W word"),
        "{s}"
    );
    // an empty line has nothing to clear
    a.overlay = None;
    a.settle(vec![prompt("")], &mut out);
    let s = screen(&a, &Theme::fallback(), 80, 24);
    assert!(s.contains("Enter submit · Esc cancel"), "{s}");
    assert!(!s.contains("Ctrl-U"), "{s}");
}

#[test]
fn help_text_is_wrapped_not_cut_on_a_small_screen() {
    // every pane's keys, on an 80-column terminal tall enough to show them all at once
    for pane in ['1', '2', '3', '4', '5'] {
        let mut a = app(Mode::Interactive);
        press(&mut a, KeyCode::Char(pane));
        press(&mut a, KeyCode::Char('?'));
        let s = screen(&a, &Theme::fallback(), 80, 200);
        let help: Vec<&str> = s
            .lines()
            .skip_while(|l| !l.contains("┌ Keys"))
            .take_while(|l| !l.contains("any other key closes"))
            .collect();
        assert!(help.len() > 20, "{s}");
        assert!(
            help.iter().all(|l| !l.contains('…')),
            "help cut for pane {pane}:\n{}",
            help.join("\n")
        );
    }
    assert_eq!(
        crate::ui::widgets::wrap_words(
            "deploy the selected commit (preview first)",
            20,
            usize::MAX
        ),
        ["deploy the selected", "commit (preview", "first)"]
    );
}

#[test]
fn help_scrolls_to_its_end_and_no_further() {
    let mut a = app(Mode::Interactive);
    press(&mut a, KeyCode::Char('?'));
    let theme = Theme::fallback();
    let first = screen(&a, &theme, 80, 24);
    assert!(!first.contains("On the tabs"), "{first}");
    // G: the end of the list, its last line in view
    press(&mut a, KeyCode::Char('G'));
    let Some(Overlay::Help { scroll: end }) = a.overlay else {
        panic!("help closed: {:?}", a.overlay)
    };
    assert!(end > 0);
    let last = screen(&a, &theme, 80, 24);
    assert!(last.contains("On the tabs"), "{last}");
    // no further down; and one line up is one line up
    press(&mut a, KeyCode::Char('j'));
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll }) if scroll == end));
    press(&mut a, KeyCode::Char('k'));
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll }) if scroll == end - 1));
    // Ctrl-F pages, as everywhere else, instead of closing help
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('f'),
        KeyModifiers::CONTROL,
    )));
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll }) if scroll == end));
}

/// On a monitor left for days, `err N` counts the last hour's errors: one from the morning no
/// longer stands beside a source that has read fine since, and the screen is drawn again when
/// it goes.
#[test]
fn the_status_bar_counts_the_last_hours_errors_only() {
    use crate::mail::queue::{QueueError, QueueEvent};
    let mut a = app(Mode::Interactive);
    let start = a.now;
    let fail = |a: &mut App, command: &str| {
        a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Listed {
            instance: 0,
            at: a.now,
            result: Err(QueueError::NotFound {
                command: command.into(),
            }),
        })));
    };
    let status = |a: &App| {
        let s = screen(a, &Theme::fallback(), 80, 24);
        s.lines().last().unwrap().to_string()
    };
    let at = |secs: i64| start + chrono::Duration::seconds(secs);
    assert!(!a.update(Msg::Tick(at(30))).redraw);
    fail(&mut a, "postqueue");
    assert!(status(&a).contains("Q:- err 1 "), "{}", status(&a));
    a.update(Msg::Tick(at(1800)));
    fail(&mut a, "postqueue -c /etc/postfix-out");
    // (never read in half an hour: overdue, '!')
    assert!(status(&a).contains("Q:-! err 2 "), "{}", status(&a));
    a.update(Msg::Tick(at(3600)));
    assert!(!a.update(Msg::Tick(at(3629))).redraw);
    assert!(status(&a).contains("Q:-! err 2 "), "{}", status(&a));
    // the first is an hour old: one left, and the screen is drawn again to say so
    assert!(a.update(Msg::Tick(at(3630))).redraw);
    assert!(status(&a).contains("Q:-! err 1 "), "{}", status(&a));
    a.update(Msg::Tick(at(5400)));
    assert!(!status(&a).contains("err"), "{}", status(&a));
    // the pane still counts them all
    assert_eq!(a.health(PaneId::Queue).errors, 2);
    // a source failing anew every few seconds for hours: the count is the last hour's, and
    // what is kept to know it does not grow with every failure
    for n in 0..3000 {
        a.update(Msg::Tick(at(5400 + 3 * n)));
        fail(&mut a, &format!("postqueue -c /etc/postfix-{}", n % 2));
    }
    assert!(a.error_times[0].len() <= 61, "{}", a.error_times[0].len());
    let last_hour = a.recent_errors(PaneId::Queue);
    assert!((1150..=1200).contains(&last_hour), "{last_hour}");
}

/// Help taller than the screen says how much of it is out of sight, below and above, first on
/// its bottom line, where a 40-column box still shows it.
#[test]
fn help_cut_by_the_screen_says_how_much_is_out_of_sight() {
    let mut a = app(Mode::Interactive);
    press(&mut a, KeyCode::Char('?'));
    let theme = Theme::fallback();
    let bottom = |a: &App| {
        let s = screen(a, &theme, 40, 12);
        let rows: Vec<String> = s.lines().map(String::from).collect();
        rows[rows.len() - 2].clone()
    };
    let first = bottom(&a);
    assert!(first.contains("└↓ "), "{first}");
    assert!(first.contains(" more"), "{first}");
    assert!(!first.contains("above"), "{first}");
    press(&mut a, KeyCode::Char('j'));
    let second = bottom(&a);
    assert!(second.contains("more · ↑ 1 above"), "{second}");
    press(&mut a, KeyCode::Char('G'));
    let last = bottom(&a);
    assert!(last.contains("└↑ "), "{last}");
    assert!(!last.contains("more"), "{last}");
    // all of it in sight: nothing said cut
    let whole = screen(&a, &theme, 80, 200);
    let foot = whole
        .lines()
        .find(|l| l.contains("any other key closes"))
        .unwrap();
    assert!(foot.contains("└j/k PgUp/PgDn"), "{whole}");
}

/// At 60x20, scrolled into the middle, the help box's bottom line still says how to scroll and
/// that any other key closes it: with every scroll key named it was cut at "any other key clo".
#[test]
fn help_at_60x20_says_whole_how_to_scroll_and_close() {
    let mut a = app(Mode::Interactive);
    press(&mut a, KeyCode::Char('?'));
    press(&mut a, KeyCode::PageDown);
    let s = screen(&a, &Theme::fallback(), 60, 20);
    let foot = s.lines().find(|l| l.contains("└└")).unwrap();
    assert!(foot.contains(" more · ↑ 10 above · "), "{s}");
    assert!(foot.contains("j/k scroll · other keys close─"), "{s}");
}

/// A pane key pressed on the overview that acts on what the tile does not show says what to do
/// first, where an 80-column status bar beside the host name still shows it.
#[test]
fn the_notice_for_a_key_the_overview_does_not_act_on_leads_with_what_to_do() {
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let config = Config::parse(
        "[[probe.targets]]\nname = \"www\"\nurl = \"https://www.example.com/\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    let mut a = App::new(&config, Mode::Interactive, now, "web1.example.com".into());
    press(&mut a, KeyCode::Char('G'));
    press(&mut a, KeyCode::Char('p'));
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let (status, notice) = status_bar(&s, "web1 10:30");
    assert!(
        status.contains("open the pane first (Enter): p (probe the"),
        "{status}"
    );
    // under 100 columns the host without its domain, as `hostname -s` names it; in full on a
    // wider screen
    assert!(status.ends_with(" web1 10:30"), "{status}");
    let wide = screen(&a, &Theme::fallback(), 120, 40);
    let (status, _) = status_bar(&wide, "web1.example.com 10:30");
    assert!(status.ends_with(" web1.example.com 10:30"), "{status}");
    // the rest of it on the lines under it, whole
    assert_eq!(
        notice,
        "open the pane first (Enter): p (probe the selected target) acts on what the tile does \
         not show",
        "{s}"
    );
}

/// A notice longer than the status bar (an action's outcome often comes last) is wrapped under
/// it on up to three lines, the panes giving those lines back when it goes; on a screen of
/// fewer than 16 rows it stays on one line, cut.
#[test]
fn a_long_notice_is_wrapped_under_the_status_bar_while_it_lasts() {
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let mut a = App::new(&Config::default(), Mode::Interactive, now, "mx1".into());
    let said = "newsletter@example.net: SES CreateEmailIdentity in us-east-1: already in SES \
                (r reads SES again): Email identity newsletter@example.net already exist.";
    a.settle_effects(vec![Effect::notice(said)]);
    let s = screen(&a, &Theme::fallback(), 80, 24);
    let (first, notice) = status_bar(&s, "mx1 10:30");
    assert_eq!(notice, said, "{s}");
    assert!(first.ends_with(" mx1 10:30"), "{first}");
    let bar_rows = |s: &str| {
        let badge = |l: &&str| l.starts_with(" RW ");
        s.lines().count() - s.lines().position(|l| badge(&l)).unwrap()
    };
    assert_eq!(bar_rows(&s), 3, "{s}");
    let small = screen(&a, &Theme::fallback(), 80, 14);
    let (first, _) = status_bar(&small, "mx1 10:30");
    assert_eq!(bar_rows(&small), 1, "{small}");
    assert!(first.ends_with(" in us-east-1: a… mx1 10:30"), "{first}");
    // the next key clears it: the bar is one line again
    press(&mut a, KeyCode::Char('j'));
    assert!(a.notice.is_none());
    assert_eq!(bar_rows(&screen(&a, &Theme::fallback(), 80, 24)), 1);
}

/// The `/` filter's line says what the Queue pane's filter understands beyond plain words where
/// it has room (in short at 80 columns); the keys that close it come first and stay on a narrow
/// screen.
#[test]
fn the_queue_filter_line_names_its_terms() {
    let mut a = app(Mode::ReadOnly);
    press(&mut a, KeyCode::Char('1'));
    press(&mut a, KeyCode::Char('/'));
    press(&mut a, KeyCode::Char('x'));
    let line = |a: &App, w: u16| {
        let s = screen(a, &Theme::fallback(), w, 24);
        s.lines().rev().nth(1).unwrap().trim_end().to_string()
    };
    assert_eq!(
        line(&a, 120),
        "/x█  Enter keep · Esc clear  from:TEXT to:DOMAIN queue:NAME reason:TEXT re:REGEX age>1h age<30m"
    );
    assert_eq!(
        line(&a, 80),
        "/x█  Enter keep · Esc clear  from: to: queue: reason: re: age>1h"
    );
    assert_eq!(line(&a, 60), "/x█  Enter keep · Esc clear");
    // a pane whose filter takes words only says nothing more
    press(&mut a, KeyCode::Esc);
    press(&mut a, KeyCode::Char('2'));
    press(&mut a, KeyCode::Char('/'));
    assert_eq!(line(&a, 120), "/█  Enter keep · Esc clear");
}

/// A dialog on a small terminal (an ssh window of 50x15, a tmux pane resized while it is open)
/// keeps what answers it: a confirm its keys, a prompt the line typed into; the note of what
/// is cut takes one row where a wrapped one pushed the keys out of the box.
#[test]
fn a_dialog_on_a_small_screen_keeps_its_keys_and_its_input() {
    let mut a = with_tall_confirm();
    let theme = Theme::fallback();
    for (w, h) in [(50, 15), (40, 12), (30, 8), (25, 7)] {
        let s = screen(&a, &theme, w, h);
        assert!(s.contains(" y  confirm"), "{w}x{h}:\n{s}");
        assert!(s.contains("cancel"), "{w}x{h}:\n{s}");
    }
    let s = screen(&a, &theme, 50, 15);
    assert!(s.contains("│… 33 more lines not shown "), "{s}");
    assert!(s.contains("message 07:"), "{s}");
    // answered with the same keys whatever was cut
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('n'),
        KeyModifiers::NONE,
    )));
    assert!(a.overlay.is_none());
    a.settle(
        vec![crate::app::tests::revspec_prompt("HEAD~1")],
        &mut Outcome::default(),
    );
    for (w, h) in [(80, 24), (40, 12), (20, 6), (20, 5)] {
        let s = screen(&a, &theme, w, h);
        assert!(s.contains("> HEAD~1█"), "{w}x{h}:\n{s}");
        assert!(s.contains("Enter submit"), "{w}x{h}:\n{s}");
    }
}

/// The first report of a hold of 4889DC8909 on the first instance: the action runs, and
/// its command does not answer.
fn hold_starts(a: &mut App, config: &Config) {
    use crate::mail::queue::{QueueEvent, QueueId, QueueOp, commands};
    let id = QueueId::parse("4889DC8909").unwrap();
    let command =
        commands::action_line(&config.postfix[0], QueueOp::Hold, std::slice::from_ref(&id));
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Progress {
        instance: 0,
        action: crate::mail::queue::ActionId::default(),
        op: QueueOp::Hold,
        done: 0,
        of: 1,
        one: Some(id),
        command,
        stop: crate::mail::queue::StopSwitch::default(),
    })));
}

/// A queue action whose command does not end (a `command_prefix` of `ssh mx1` to a host that
/// does not answer) says, after 10 s, how long it has run and what it runs, so that it can be
/// ended by hand. The words change in steps of 10 s, then of a minute: the tick redraws the
/// screen only then, and not at all once it ended.
#[test]
fn a_queue_action_or_flush_that_hangs_says_for_how_long_and_what_it_runs() {
    use crate::mail::queue::{QueueEvent, commands};
    let mut config = Config::default();
    config.postfix[0].command_prefix = vec!["ssh".into(), "mx1".into()];
    let t0 = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let mut a = App::new(&config, Mode::Interactive, t0, "web1.example.com".into());
    press(&mut a, KeyCode::Char('1'));
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    // it starts half way through a minute, so that its steps are not the clock's minutes
    a.update(Msg::Tick(at(30)));
    hold_starts(&mut a, &config);
    let hung = |a: &App| {
        let s = screen(a, &Theme::fallback(), 60, 20);
        assert!(
            s.contains("putting 4889DC8909 on hold (postsuper -h)…"),
            "{s}"
        );
        s.lines()
            .find(|l| l.contains("running for"))
            .map(|l| l.trim_matches('│').trim_end().to_string())
    };
    for s in 31..40 {
        let out = a.update(Msg::Tick(at(s)));
        assert!(
            !out.redraw,
            "a second like any other redraws nothing ({s} s)"
        );
    }
    assert_eq!(hung(&a), None, "the first seconds say nothing more");
    let out = a.update(Msg::Tick(at(40)));
    assert!(out.redraw, "10 s on, it is said");
    assert_eq!(
        hung(&a).as_deref(),
        Some("running for 10 s: ssh mx1 postsuper -h - (x: stop)")
    );
    for s in 41..50 {
        assert!(!a.update(Msg::Tick(at(s))).redraw, "{s} s");
    }
    assert!(a.update(Msg::Tick(at(50))).redraw);
    assert_eq!(
        hung(&a).as_deref(),
        Some("running for 20 s: ssh mx1 postsuper -h - (x: stop)")
    );
    // every 10 s up to a minute, then once a minute; 10:31:00 and 10:32:00 are the status
    // bar's minutes
    for s in 51..150 {
        let out = a.update(Msg::Tick(at(s)));
        let due = [60, 70, 80, 90, 120].contains(&s);
        assert_eq!(out.redraw, due, "{s} s");
    }
    assert_eq!(
        hung(&a).as_deref(),
        Some("running for 1 min: ssh mx1 postsuper -h - (x: stop)")
    );
    assert!(a.update(Msg::Tick(at(150))).redraw);
    assert_eq!(
        hung(&a).as_deref(),
        Some("running for 2 min: ssh mx1 postsuper -h - (x: stop)")
    );
    // once it ends, the seconds are idle again
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Applied {
        instance: 0,
        action: crate::mail::queue::ActionId::default(),
        result: Err(crate::mail::queue::QueueError::Spawn {
            command: "ssh mx1 postsuper -h -".into(),
            detail: "killed by hand".into(),
        }),
    })));
    assert!(!screen(&a, &Theme::fallback(), 60, 20).contains("running for"));
    for s in 151..160 {
        assert!(!a.update(Msg::Tick(at(s))).redraw, "{s} s");
    }
    // a flush says the same
    a.update(Msg::Tick(at(160)));
    let command = Clean::joined(commands::flush_command(&config.postfix[0]).display());
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::FlushStarted {
        instance: 0,
        action: crate::mail::queue::ActionId::default(),
        command,
        stop: crate::mail::queue::StopSwitch::default(),
    })));
    let s = screen(&a, &Theme::fallback(), 60, 20);
    assert!(
        s.contains("flushing the deferred mail (postqueue -f)…"),
        "{s}"
    );
    assert!(!s.contains("running for"), "{s}");
    for s in 161..170 {
        assert!(!a.update(Msg::Tick(at(s))).redraw, "{s} s");
    }
    assert!(a.update(Msg::Tick(at(170))).redraw);
    let s = screen(&a, &Theme::fallback(), 60, 20);
    assert!(
        s.contains("│running for 10 s: ssh mx1 postqueue -f (x: stop)"),
        "{s}"
    );
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Flushed {
        instance: 0,
        action: crate::mail::queue::ActionId::default(),
        result: Ok(vec![]),
    })));
    let s = screen(&a, &Theme::fallback(), 60, 20);
    assert!(!s.contains("flushing the deferred mail"), "{s}");
    assert!(!s.contains("running for"), "{s}");
}

/// A deploy, the post-deploy command run alone or a fetch that takes long says, after 10 s,
/// for how long it has run (the hook, when it is stopped), on the Deploy tile at 60x20 and in
/// the pane at 80x24: a slow link is told from a hung one. The words change in steps of 10 s,
/// then of a minute: the tick redraws the screen only then, and not at all once it ended.
#[test]
fn a_long_deploy_hook_or_fetch_says_for_how_long_it_has_run() {
    use crate::deploy::fetch::FetchProgress;
    use crate::deploy::{CancelFetch, DeployConfig, DeployError, DeployEvent, Kind, testdata};
    let mut config = Config::default();
    config.deploy.push(DeployConfig {
        name: "www".into(),
        path: "/var/www/site".into(),
        post_deploy: Some("systemctl reload php-fpm".into()),
        hook_timeout_secs: 120,
        ..DeployConfig::default()
    });
    let t0 = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let mut a = App::new(&config, Mode::Interactive, t0, "web1.example.com".into());
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    let deploy = |a: &mut App, e: DeployEvent| {
        a.update(Msg::Source(SourceEvent::Deploy(e)));
    };
    // the first line of the Deploy tile in the overview at 60x20, or of the pane at 80x24
    let first = |a: &App, w: u16, h: u16| {
        let s = screen(a, &Theme::fallback(), w, h);
        let lines: Vec<&str> = s.lines().collect();
        let top = lines.iter().position(|l| l.starts_with("┌ Deploy "));
        let top = top.unwrap_or_else(|| panic!("no Deploy pane:\n{s}"));
        lines[top + 1].trim_matches('│').trim_end().to_string()
    };
    let tile = |a: &App| first(a, 60, 20);
    // it starts half way through a minute, so that its steps are not the clock's minutes
    a.update(Msg::Tick(at(30)));
    let status = || Ok(Box::new(testdata::status()));
    deploy(
        &mut a,
        DeployEvent::Status {
            target: 0,
            result: status(),
        },
    );
    deploy(
        &mut a,
        DeployEvent::DeployStarted {
            target: 0,
            kind: Kind::Deploy,
            to: testdata::oid(0x33),
        },
    );
    assert!(
        tile(&a).starts_with("busy  deploying 3333333 Pricing"),
        "{}",
        tile(&a)
    );
    for s in 31..40 {
        assert!(!a.update(Msg::Tick(at(s))).redraw, "{s} s");
    }
    assert!(!tile(&a).contains("running for"), "{}", tile(&a));
    assert!(a.update(Msg::Tick(at(40))).redraw, "10 s on, it is said");
    let said = tile(&a);
    assert!(
        said.starts_with("running for 10 s: deploying 3333333 Pricing"),
        "{said}"
    );
    // every 10 s up to a minute, then once a minute; 10:31:00 and 10:32:00 are the status
    // bar's minutes
    for s in 41..150 {
        let due = [50, 60, 70, 80, 90, 120].contains(&s);
        assert_eq!(a.update(Msg::Tick(at(s))).redraw, due, "{s} s");
        if s == 50 {
            assert!(
                tile(&a).starts_with("running for 20 s: deploying"),
                "{}",
                tile(&a)
            );
        }
        if s == 90 {
            assert!(
                tile(&a).starts_with("running for 1 min: deploying"),
                "{}",
                tile(&a)
            );
        }
    }
    assert!(a.update(Msg::Tick(at(150))).redraw);
    assert!(
        tile(&a).starts_with("running for 2 min: deploying"),
        "{}",
        tile(&a)
    );
    // once it ends, the seconds are idle again
    deploy(
        &mut a,
        DeployEvent::Deployed {
            target: 0,
            request: Box::new(crate::deploy::DeployRequest {
                kind: Kind::Deploy,
                to: testdata::oid(0x33),
                expected_from: Some(testdata::oid(0x22)),
                stash: false,
                take_over: None,
                journal_seen: None,
            }),
            result: Err(DeployError::HeadMoved {
                path: "/var/www/site".into(),
                now: "4444444".into(),
                by: None,
            }),
        },
    );
    assert!(!screen(&a, &Theme::fallback(), 60, 20).contains("running for"));
    for s in 151..=175 {
        assert!(!a.update(Msg::Tick(at(s))).redraw, "{s} s");
    }
    // the post-deploy command run alone says when it is stopped, in the pane at 80x24
    press(&mut a, KeyCode::Char('4'));
    deploy(&mut a, DeployEvent::HookStarted { target: 0 });
    assert_eq!(
        first(&a, 80, 24),
        "busy  running post-deploy: systemctl reload php-fpm…  other actions wait"
    );
    for s in 176..185 {
        // 10:33:00 is the status bar's minute
        assert_eq!(a.update(Msg::Tick(at(s))).redraw, s == 180, "{s} s");
    }
    assert!(a.update(Msg::Tick(at(185))).redraw);
    assert_eq!(
        first(&a, 80, 24),
        "post-deploy hook: systemctl reload php-fpm, running for 10 s (stops at 120 s)"
    );
    deploy(
        &mut a,
        DeployEvent::HookRan {
            target: 0,
            result: Err(DeployError::Hook {
                command: "systemctl reload php-fpm".into(),
                message: "timeout".into(),
            }),
        },
    );
    assert!(!screen(&a, &Theme::fallback(), 80, 24).contains("running for"));
    // a fetch counts from its key, and keeps its progress and its key to cancel it
    a.update(Msg::Tick(at(200)));
    press(&mut a, KeyCode::Char('f'));
    a.update(Msg::Tick(at(205)));
    deploy(
        &mut a,
        DeployEvent::FetchStarted {
            target: 0,
            cancel: CancelFetch(Default::default()),
        },
    );
    let progress = FetchProgress {
        received_objects: 45,
        indexed_objects: 40,
        total_objects: 90,
        received_bytes: 1_500_000,
    };
    deploy(
        &mut a,
        DeployEvent::FetchProgress {
            target: 0,
            progress,
        },
    );
    assert!(!a.update(Msg::Tick(at(209))).redraw);
    assert!(a.update(Msg::Tick(at(210))).redraw);
    assert_eq!(
        first(&a, 80, 24),
        "busy  fetching 50% 45/90 objects, 1.4 MiB, running for 10 s (x: cancel)"
    );
    // at 60 columns the label and the word "running" give way
    press(&mut a, KeyCode::Esc);
    assert_eq!(
        tile(&a),
        "fetching 50% 45/90 objects, 1.4 MiB, for 10 s (x: cancel)"
    );
    deploy(
        &mut a,
        DeployEvent::Fetched {
            target: 0,
            result: Err(DeployError::FetchCancelled {
                remote: "origin".into(),
            }),
        },
    );
    assert!(!screen(&a, &Theme::fallback(), 60, 20).contains("running for"));
    assert!(!screen(&a, &Theme::fallback(), 60, 20).contains("for 10 s"));
    for s in 211..230 {
        assert!(!a.update(Msg::Tick(at(s))).redraw, "{s} s");
    }
}

/// A good listing of the first Postfix instance's queue, read at the app's clock.
fn queue_read(a: &mut App) {
    use crate::mail::queue::{Parsed, QueueEvent};
    let at = a.now;
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Listed {
        instance: 0,
        at,
        result: Ok(Parsed::default()),
    })));
}

/// The tab line and the status bar of the screen.
fn tabs_and_status(a: &App, theme: &Theme, w: u16, h: u16) -> (String, String) {
    let s = screen(a, theme, w, h);
    let lines: Vec<&str> = s.lines().collect();
    (lines[0].to_string(), lines[lines.len() - 1].to_string())
}

/// The cell where `needle` starts in the bottom row.
fn status_cell(b: &Buffer, needle: &str) -> ratatui::buffer::Cell {
    let y = b.area.height - 1;
    let row: Vec<String> = (0..b.area.width)
        .map(|x| b[(x, y)].symbol().to_string())
        .collect();
    let chars: Vec<char> = needle.chars().collect();
    let x = (0..row.len())
        .find(|&x| {
            chars
                .iter()
                .enumerate()
                .all(|(i, c)| row.get(x + i).is_some_and(|s| s.starts_with(*c)))
        })
        .unwrap_or_else(|| panic!("{needle:?} not in the status bar:\n{}", buffer_text(b)));
    b[(x as u16, y)].clone()
}

/// On a wall: the queue is read every 5 s, and its reads stop (a `postqueue -j` that hangs).
/// Once a minute has gone without one, its age is drawn as a warning and marked '!', its tab
/// gets the '!' of a problem, and the status bar says it in words where the tile is not on
/// screen; the next read puts it right. The Senders pane, never read since the start, is
/// overdue the same way; the Failures pane, a log followed, is not, however quiet the log.
#[test]
fn data_not_refreshed_is_marked_overdue_until_it_is_read() {
    let mut a = app(Mode::ReadOnly);
    let theme = Theme::fallback();
    let t0 = a.now;
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    queue_read(&mut a);
    a.failures.last_update = Some(t0);
    a.update(Msg::Tick(at(59)));
    for (w, h) in [(60, 20), (120, 40)] {
        let (tabs, status) = tabs_and_status(&a, &theme, w, h);
        assert!(
            status.contains(" RO  Q:<1m  F:<1m  S:-  D:-  P:-"),
            "{w}x{h}: {status}"
        );
        assert!(!tabs.contains('!'), "{w}x{h}: {tabs}");
    }
    assert_eq!(a.health(PaneId::Queue).problem, None);

    a.update(Msg::Tick(at(7 * 60 + 30)));
    for (w, h) in [(60, 20), (120, 40)] {
        let (tabs, status) = tabs_and_status(&a, &theme, w, h);
        // a log that says nothing for 7 minutes is a quiet log, not a stopped one
        assert!(
            status.contains(" RO  Q:7m!  F:7m  S:-!  D:-  P:-"),
            "{w}x{h}: {status}"
        );
        assert!(tabs.contains(" Queue !"), "{w}x{h}: {tabs}");
        assert!(tabs.contains(" Senders !"), "{w}x{h}: {tabs}");
        assert!(!tabs.contains(" Failures !"), "{w}x{h}: {tabs}");
    }
    let (tabs, _) = tabs_and_status(&a, &theme, 120, 40);
    assert!(
        tabs.contains(" 1 Queue ! 2 Failures   3 Senders !"),
        "{tabs}"
    );
    assert_eq!(
        a.health(PaneId::Queue).problem.as_deref(),
        Some("not refreshed for 7m (every 5 s)")
    );
    assert_eq!(
        a.health(PaneId::Senders).problem.as_deref(),
        Some("not read once in 7m (every 30 s)")
    );
    assert_eq!(a.health(PaneId::Failures).problem, None);
    // the age is drawn in the theme's warning style, the others as the bar
    let b = draw(&a, &theme, 120, 40);
    let overdue = status_cell(&b, "7m!");
    assert_eq!(overdue.fg, theme.warn.fg.unwrap(), "{overdue:?}");
    assert_ne!(status_cell(&b, "7m  ").fg, overdue.fg);
    // with the Failures pane alone on screen, the status bar says what its '!' stands for
    press(&mut a, KeyCode::Char('2'));
    let (_, status) = tabs_and_status(&a, &theme, 120, 40);
    assert!(
        status.contains(" RO  ! Queue: not refreshed for 7m (every 5 s)  Q:7m!  F:7m  S:-!"),
        "{status}"
    );
    let (_, status) = tabs_and_status(&a, &theme, 60, 20);
    assert!(
        status.contains(" RO  ! Queue: not refreshed for 7m"),
        "{status}"
    );

    // a read comes: the queue is current again, the Senders pane still is not
    queue_read(&mut a);
    for (w, h) in [(60, 20), (120, 40)] {
        let (tabs, status) = tabs_and_status(&a, &theme, w, h);
        assert!(
            status.contains(" RO  ! Senders: not read once in 7m"),
            "{w}x{h}: {status}"
        );
        assert!(!tabs.contains(" Queue !"), "{w}x{h}: {tabs}");
    }
    let (_, status) = tabs_and_status(&a, &theme, 120, 40);
    assert!(status.contains("  Q:<1m  F:7m  S:-!  D:-  P:-"), "{status}");
    assert_eq!(a.health(PaneId::Queue).problem, None);
}

/// Without colour (the mono theme, chosen under NO_COLOR) an overdue age is still told apart:
/// by its '!' and by the bold of the theme's warning style.
#[test]
fn an_overdue_age_is_told_apart_in_mono() {
    let mut a = app(Mode::ReadOnly);
    let theme = Theme::mono();
    let t0 = a.now;
    queue_read(&mut a);
    a.update(Msg::Tick(t0 + chrono::Duration::seconds(30)));
    let b = draw(&a, &theme, 60, 20);
    let fresh = status_cell(&b, "<1m");
    assert!(!fresh.modifier.contains(Modifier::BOLD), "{fresh:?}");
    a.update(Msg::Tick(t0 + chrono::Duration::minutes(3)));
    let b = draw(&a, &theme, 60, 20);
    let status = buffer_text(&b).lines().last().unwrap().to_string();
    assert!(status.contains(" RO  Q:3m!  F:-  S:-!"), "{status}");
    let overdue = status_cell(&b, "3m!");
    assert!(overdue.modifier.contains(Modifier::BOLD), "{overdue:?}");
    assert!(overdue.modifier.contains(Modifier::REVERSED), "{overdue:?}");
    assert_eq!(overdue.fg, fresh.fg, "no colour in mono");
}

/// The overdue mark, once there, changes when the age it marks does: an idle screen with a
/// stopped source is still drawn once a minute at most.
#[test]
fn an_overdue_source_redraws_no_more_than_once_a_minute() {
    let mut a = app(Mode::ReadOnly);
    let t0 = a.now;
    queue_read(&mut a);
    let mut redraws = Vec::new();
    for s in 1..=600 {
        if a.update(Msg::Tick(t0 + chrono::Duration::seconds(s)))
            .redraw
        {
            redraws.push(s);
        }
    }
    assert_eq!(redraws, (1..=10).map(|m| m * 60).collect::<Vec<_>>());
    assert!(a.overdue(PaneId::Queue).is_some());
}

/// The queue is read at a second that is no minute's (10:30:17) and its reads stop: the screen is
/// drawn again at the tick its data turns overdue (10:31:17), so the '!' shows on an idle wall
/// then, not up to a minute later with the next minute's clock.
#[test]
fn data_turning_overdue_is_drawn_at_once() {
    let mut a = app(Mode::ReadOnly);
    let t0 = a.now;
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    a.update(Msg::Tick(at(17)));
    queue_read(&mut a);
    let mut marked_at = None;
    for s in 18..=100 {
        let out = a.update(Msg::Tick(at(s)));
        if marked_at.is_none() && a.overdue(PaneId::Queue).is_some() {
            marked_at = Some(s);
            assert!(out.redraw, "turned overdue at {s} s and not drawn");
        }
    }
    assert_eq!(marked_at, Some(77));
    let (tabs, status) = tabs_and_status(&a, &Theme::fallback(), 120, 40);
    assert!(tabs.contains(" Queue !"), "{tabs}");
    assert!(status.contains(" Q:1m! "), "{status}");
}

/// Two Postfix instances, one of which stops answering: the queue's age in the status bar is the
/// stuck one's, marked, not the `<1m` of the one that still answers.
#[test]
fn an_instance_that_stops_answering_marks_the_queue_beside_one_that_answers() {
    use crate::mail::queue::{Parsed, QueueEvent};
    let mut config = Config::default();
    config.postfix.push(crate::config::PostfixInstance {
        name: "out".into(),
        config_dir: "/etc/postfix-out".into(),
        command_prefix: Vec::new(),
    });
    let t0 = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let mut a = App::new(&config, Mode::ReadOnly, t0, "web1.example.com".into());
    let listed = |a: &mut App, instance: usize| {
        let at = a.now;
        a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Listed {
            instance,
            at,
            result: Ok(Parsed::default()),
        })));
    };
    listed(&mut a, 0);
    listed(&mut a, 1);
    a.update(Msg::Tick(t0 + chrono::Duration::minutes(7)));
    listed(&mut a, 0);
    let (tabs, status) = tabs_and_status(&a, &Theme::fallback(), 120, 40);
    assert!(status.contains(" RO  Q:7m!  F:-"), "{status}");
    assert!(tabs.contains(" Queue !"), "{tabs}");
}

/// On a 60x20 terminal: the Queue pane's help lists the key that stops a running action or
/// flush, and its dialog names the command and says what stopping it leaves, with its keys in
/// sight. A read-only console neither lists nor binds it.
#[test]
fn the_key_that_stops_a_hanging_queue_command_is_listed_and_asks_first_at_60x20() {
    let theme = Theme::fallback();
    let row = " x           stop the running action or flush";
    // help, scrolled until the row shows or it ends
    let help_row = |a: &mut App| -> Option<String> {
        press(a, KeyCode::Char('?'));
        let mut last = String::new();
        loop {
            let s = screen(a, &theme, 60, 20);
            if let Some(l) = s.lines().find(|l| l.contains(" x  ")) {
                return Some(l.trim_matches('│').trim_end().to_string());
            }
            if s == last {
                return None;
            }
            last = s;
            press(a, KeyCode::Char('j'));
        }
    };
    let mut config = Config::default();
    config.postfix[0].command_prefix = vec!["ssh".into(), "mx1".into()];
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let mut a = App::new(&config, Mode::Interactive, now, "web1.example.com".into());
    press(&mut a, KeyCode::Char('1'));
    assert_eq!(help_row(&mut a).as_deref(), Some(row));
    press(&mut a, KeyCode::Char('q')); // closes help
    assert!(a.overlay.is_none());
    // nothing runs: said, no dialog
    press(&mut a, KeyCode::Char('x'));
    assert!(a.overlay.is_none());
    assert_eq!(
        a.notice.as_deref(),
        Some("stop: no queue action or flush is running")
    );
    hold_starts(&mut a, &config);
    a.update(Msg::Tick(now + chrono::Duration::seconds(40)));
    let s = screen(&a, &theme, 60, 20);
    assert!(
        s.contains("running for 40 s: ssh mx1 postsuper -h - (x: stop)"),
        "{s}"
    );
    press(&mut a, KeyCode::Char('x'));
    let s = screen(&a, &theme, 60, 20);
    for words in [
        "Stop the running hold",
        "stop: hold of 4889DC8909, running for 40 s: ssh mx1",
        "postsuper -h -",
        "It is ended with everything it started (SIGTERM, then",
        "SIGKILL to the process group).",
        "postsuper stopped part-way may have changed some",
        "messages and not others: the queue is read again to show",
        "which.",
        " y  confirm    n  cancel",
    ] {
        assert!(s.contains(words), "{words:?} not in:\n{s}");
    }
    insta::assert_snapshot!(s);
    // read-only: not listed, and the key only says why it does nothing
    let mut a = App::new(&config, Mode::ReadOnly, now, "web1.example.com".into());
    press(&mut a, KeyCode::Char('1'));
    assert_eq!(help_row(&mut a), None);
    press(&mut a, KeyCode::Char('q'));
    press(&mut a, KeyCode::Char('x'));
    assert!(a.overlay.is_none());
    assert_eq!(
        a.notice.as_deref(),
        Some("read-only: x would change the host (stop the running action or flush)")
    );
}

/// Three queue actions hang on a 60x20 terminal, started 50 s, 30 s and 10 s ago: a line
/// each, and another each with how long it has run and what, left the table six of its twelve
/// rows. They are said in one line there, each with how long it has run (short: the dialog of
/// `x` has the commands), the first as many as fit, and the key that stops them; on a terminal
/// with room for them, each has its lines as before.
#[test]
fn several_running_queue_actions_are_one_line_on_a_small_screen() {
    use crate::mail::queue::{ActionId, QueueEvent, QueueId, QueueOp, StopSwitch};
    let mut config = Config::default();
    config.postfix[0].command_prefix = vec!["ssh".into(), "mx1".into()];
    // a time of day in the local zone: the status bar's clock is the same in any zone
    let now = || Local.with_ymd_and_hms(2027, 1, 15, 8, 0, 0).unwrap();
    let mut a = App::new(&config, Mode::Interactive, now(), "web1.example.com".into());
    press(&mut a, KeyCode::Char('1'));
    // twenty deferred messages, a minute apart
    let queue: String = (0..20)
        .map(|i| {
            serde_json::json!({"queue_name": "deferred", "queue_id": format!("A0000000{i:02}"),
                "arrival_time": now().timestamp() - 60 * (i + 1), "message_size": 900,
                "forced_expire": false,
                "sender": "orders@shop.example", "recipients": [{"address": "ann@gmail.com",
                "delay_reason": "host mx.gmail.com[192.0.2.7] said: 451 4.7.1 try later"}]})
            .to_string()
                + "\n"
        })
        .collect();
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Listed {
        instance: 0,
        at: now(),
        result: Ok(crate::mail::queue::parse::parse_jsonl(queue.as_bytes())),
    })));
    let one = QueueId::parse("A000000000").unwrap();
    let mut action = ActionId::default();
    for (started, op, of, one, command) in [
        (0, QueueOp::Hold, 12, None, "ssh mx1 postsuper -h -"),
        (20, QueueOp::Requeue, 4, None, "ssh mx1 postsuper -r -"),
        (
            40,
            QueueOp::DeliverNow,
            1,
            Some(one),
            "ssh mx1 postqueue -i A000000000",
        ),
    ] {
        a.update(Msg::Tick(now() + chrono::Duration::seconds(started)));
        action = action.next();
        a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Progress {
            instance: 0,
            action,
            op,
            done: 0,
            of,
            one,
            command: crate::sanitize::Clean::new(command),
            stop: StopSwitch::default(),
        })));
    }
    a.update(Msg::Tick(now() + chrono::Duration::seconds(50)));
    let theme = Theme::fallback();
    let rows = |s: &str| s.lines().filter(|l| l.contains("  deferred A0")).count();
    let s = screen(&a, &theme, 60, 20);
    assert!(
        s.contains("│3 running: hold 12 (50s), requeue 4 (30s), … - x to stop"),
        "{s}"
    );
    assert!(!s.contains("running for"), "{s}");
    assert_eq!(rows(&s), 12, "{s}");
    insta::assert_snapshot!(s);
    // with room, each is said with how long it has run and what it runs
    let s = screen(&a, &theme, 100, 40);
    for words in [
        "hold: 0 of 12 messages done…",
        "requeue: 0 of 4 messages done…",
        "asking Postfix to deliver A000000000 now (postqueue -i)…",
        "running for 50 s: ssh mx1 postsuper -h - (x: stop)",
        "running for 30 s: ssh mx1 postsuper -r - (x: stop)",
        "running for 10 s: ssh mx1 postqueue -i A000000000 (x: stop)",
    ] {
        assert!(s.contains(words), "{words:?} not in:\n{s}");
    }
    assert!(!s.contains("3 running"), "{s}");
    assert_eq!(rows(&s), 20, "{s}");
}

/// `y` in the stop dialog at 60x20: what started while the dialog was open is not stopped, and
/// the status bar, which keeps about 31 columns of a notice beside a host name of 16, says so
/// first. It once began with the command stopped, which the dialog had shown, and the cut left
/// nothing of what goes on.
#[test]
fn what_a_stop_leaves_running_is_said_first_on_a_60_column_status_bar() {
    use crate::mail::queue::{ActionId, QueueEffect, QueueEvent, QueueId, QueueOp, commands};
    let mut config = Config::default();
    config.postfix[0].command_prefix = vec!["ssh".into(), "mx1".into()];
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let mut a = App::new(&config, Mode::Interactive, now, "web1.example.com".into());
    press(&mut a, KeyCode::Char('1'));
    hold_starts(&mut a, &config);
    press(&mut a, KeyCode::Char('x'));
    assert!(a.overlay.is_some());
    // a delete confirmed before `x` reports its start while the dialog is open
    let id = QueueId::parse("A1B2C3D4E5").unwrap();
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::Progress {
        instance: 0,
        action: ActionId::default().next(),
        op: QueueOp::Delete,
        done: 0,
        of: 1,
        one: Some(id.clone()),
        command: commands::action_line(&config.postfix[0], QueueOp::Delete, &[id]),
        stop: crate::mail::queue::StopSwitch::default(),
    })));
    let out = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('y'),
        KeyModifiers::NONE,
    )));
    let [
        Effect::Queue(QueueEffect::Stop {
            instance, targets, ..
        }),
    ] = &out.effects[..]
    else {
        panic!("{:?}", out.effects);
    };
    // the runner's report while what the dialog named still runs
    a.update(Msg::Source(SourceEvent::Queue(QueueEvent::StopRun {
        instance: *instance,
        stopped: targets.clone(),
        ended: Vec::new(),
    })));
    let s = screen(&a, &Theme::fallback(), 60, 20);
    let (bar, _) = status_bar(&s, "web1 10:30");
    assert!(bar.contains(" delete of A1B2C3D4E5 goes on "), "{bar}");
    assert!(bar.ends_with(" web1 10:30"), "{bar}");
}

/// A notice on a 60-column status bar, beside a short host name, keeps what the reader acts on:
/// that a key would change the host in read-only mode, and that `q` quits where Ctrl-Z cannot
/// suspend. Both were once said last and cut.
#[test]
fn notices_at_60x20_keep_what_to_know_before_the_details() {
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let status = |a: &App| status_bar(&screen(a, &Theme::fallback(), 60, 20), "mx1 10:30").0;
    let mut ro = App::new(&Config::default(), Mode::ReadOnly, now, "mx1".into());
    press(&mut ro, KeyCode::Char('4'));
    press(&mut ro, KeyCode::Char('c'));
    let bar = status(&ro);
    assert!(
        bar.contains("read-only: c would change the host ("),
        "{bar}"
    );
    let mut rw = App::new(&Config::default(), Mode::Interactive, now, "mx1".into());
    rw.update(Msg::NotSuspended);
    let bar = status(&rw);
    assert!(
        bar.contains("Ctrl-Z: no shell to go back to; q quits"),
        "{bar}"
    );
}

/// With no deploy target configured, no Deploy key does anything: the Deploy pane's help lists
/// none of them and says instead how to configure a target, whole on a 60x20 terminal.
#[test]
fn with_no_deploy_target_the_help_says_how_to_add_one_instead_of_its_keys() {
    for mode in [Mode::Interactive, Mode::ReadOnly] {
        let mut a = app(mode);
        assert!(a.deploy.targets.is_empty());
        press(&mut a, KeyCode::Char('4'));
        press(&mut a, KeyCode::Enter);
        assert_eq!(a.focus, PaneId::Deploy);
        let sections = crate::app::view::help_sections(&a);
        assert_eq!(sections[0].title, "Deploy pane");
        assert_eq!(sections[0].rows, [], "{mode:?}");
        press(&mut a, KeyCode::Char('?'));
        let s = screen(&a, &Theme::fallback(), 60, 20);
        let help: Vec<&str> = s
            .lines()
            .skip_while(|l| !l.contains("Deploy pane"))
            .take_while(|l| !l.contains("Everywhere"))
            .map(|l| l.trim_matches(|c: char| c == '│' || c == ' '))
            .collect();
        assert_eq!(
            help,
            [
                "Deploy pane",
                "no deploy target is configured: add one as a [[deploy]]",
                "table in the config file",
            ],
            "{mode:?}:\n{s}"
        );
    }
}

/// A person not among a target's deployers is told, at the top of the Deploy pane's help, why
/// its changing keys are not there (a hostile target name escaped); a read-only session's help
/// says so once already, at its top, and adds nothing here.
#[test]
fn a_person_who_may_not_deploy_is_told_in_the_help_why_keys_are_missing() {
    let mut cfg = Config::default();
    cfg.deploy.push(crate::deploy::DeployConfig {
        name: "www\x1b[2J".into(),
        path: "/var/www/site".into(),
        deployers: vec!["alice".into()],
        ..Default::default()
    });
    for mode in [Mode::Interactive, Mode::ReadOnly] {
        let mut a = app(mode);
        a.deploy = crate::deploy::pane::DeployPane::for_person(&cfg, "carol");
        press(&mut a, KeyCode::Char('4'));
        press(&mut a, KeyCode::Enter);
        press(&mut a, KeyCode::Char('?'));
        let s = screen(&a, &Theme::fallback(), 80, 24);
        assert!(!s.contains('\x1b'), "{s}");
        let help: Vec<&str> = s
            .lines()
            .skip_while(|l| !l.contains("Deploy pane"))
            .take(3)
            .map(|l| l.trim_matches(|c: char| c == '│' || c == ' '))
            .collect();
        match mode {
            Mode::Interactive => assert_eq!(
                help[..3],
                [
                    "Deploy pane",
                    "www\\e[2J: you are carol; only alice may change this checkout (deployers in",
                    "[[deploy]])",
                ],
                "{s}"
            ),
            _ => {
                assert_eq!(help[0], "Deploy pane", "{s}");
                assert!(!s.contains("you are carol"), "{s}");
            }
        }
    }
}
