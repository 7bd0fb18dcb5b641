//! Update tests: state + message -> state + effects, no terminal.

use chrono::{Local, TimeZone};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::*;
use crate::app::effect::{Confirm, Prompt};

fn app(mode: Mode) -> App {
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    App::new(&Config::default(), mode, now, "web1".into())
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The Deploy pane's revision prompt, prefilled with `initial`.
pub(super) fn revspec_prompt(initial: &str) -> Effect {
    Effect::Prompt(Prompt {
        pane: PaneId::Deploy,
        purpose: "revspec",
        label: "check out which revision?".into(),
        initial: initial.into(),
    })
}

#[test]
fn starts_on_queue_overview() {
    let a = app(Mode::Interactive);
    assert_eq!(a.focus, PaneId::Queue);
    assert!(!a.zoomed);
    assert!(a.may_write());
    assert!(!app(Mode::ReadOnly).may_write());
}

#[test]
fn tab_cycles_and_wraps() {
    let mut a = app(Mode::Interactive);
    for expected in [
        PaneId::Failures,
        PaneId::Senders,
        PaneId::Deploy,
        PaneId::Probe,
        PaneId::Queue,
    ] {
        a.update(code(KeyCode::Tab));
        assert_eq!(a.focus, expected);
    }
    a.update(code(KeyCode::BackTab));
    assert_eq!(a.focus, PaneId::Probe);
    // what crossterm reports for Shift-Tab
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(a.focus, PaneId::Deploy);
    assert!(!a.zoomed, "Tab moves focus without zooming");
}

#[test]
fn digit_focuses_and_zooms() {
    let mut a = app(Mode::Interactive);
    let out = a.update(key('2'));
    assert_eq!(a.focus, PaneId::Failures);
    assert!(a.zoomed);
    assert!(out.redraw);
    assert!(out.effects.is_empty());
}

#[test]
fn enter_zooms_and_esc_returns() {
    let mut a = app(Mode::Interactive);
    a.update(code(KeyCode::Enter));
    assert!(a.zoomed);
    a.update(code(KeyCode::Esc));
    assert!(!a.zoomed);
    // Esc on the overview does nothing, in particular it does not quit.
    a.update(code(KeyCode::Esc));
    assert!(!a.quit);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut a = app(Mode::Interactive);
    a.update(key('q'));
    assert!(a.quit);
    let mut b = app(Mode::Interactive);
    b.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(b.quit);
}

#[test]
fn ctrl_c_quits_from_every_overlay() {
    let ctrl_c = || Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    let confirm = || {
        Effect::Confirm(Confirm {
            title: "delete 1 message".into(),
            lines: vec![],
            then: vec![Effect::Queue(crate::mail::queue::QueueEffect::Refresh)],
        })
    };
    let prompt = || revspec_prompt("");
    // help overlay, filter line
    for opener in ['?', '/'] {
        let mut a = app(Mode::Interactive);
        a.update(key(opener));
        assert!(a.overlay.is_some(), "{opener}");
        let out = a.update(ctrl_c());
        assert!(a.quit, "Ctrl-C in the overlay opened by {opener}");
        assert!(out.effects.is_empty());
    }
    // confirm dialog (not confirmed) and text prompt
    for open in [confirm, prompt] {
        let mut a = app(Mode::Interactive);
        let mut out = Outcome::default();
        a.settle(vec![open()], &mut out);
        assert!(a.overlay.is_some());
        let out = a.update(ctrl_c());
        assert!(a.quit, "{:?}", a.overlay);
        assert!(out.effects.is_empty(), "Ctrl-C runs nothing");
    }
}

#[test]
fn q_is_text_in_a_prompt() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(vec![revspec_prompt("")], &mut out);
    a.update(key('q'));
    assert!(!a.quit);
    match &a.overlay {
        Some(Overlay::Prompt { text, .. }) => assert_eq!(text, "q"),
        other => panic!("expected prompt, got {other:?}"),
    }
}

#[test]
fn esc_and_a_key_read_together_are_both_keys() {
    // what the terminal reports for Esc then 3 arriving in one read: Alt-3
    let alt = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT));
    let mut a = app(Mode::Interactive);
    a.update(key('2'));
    a.update(key('?'));
    assert!(a.overlay.is_some());
    let out = a.update(alt('3'));
    assert!(a.overlay.is_none(), "the Esc closed help");
    assert_eq!(a.focus, PaneId::Senders, "the 3 went to the dashboard");
    assert!(a.zoomed);
    assert!(out.redraw);
    // Esc then Ctrl-C still quits
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::ALT | KeyModifiers::CONTROL,
    )));
    assert!(a.quit);
}

#[test]
fn key_release_is_ignored() {
    let mut a = app(Mode::Interactive);
    let mut ev = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    let out = a.update(Msg::Key(ev));
    assert!(!a.quit);
    assert!(!out.redraw);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut a = app(Mode::Interactive);
    a.update(key('?'));
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll: 0 })));
    a.update(key('j'));
    assert!(matches!(a.overlay, Some(Overlay::Help { scroll: 1 })));
    // q closes help instead of quitting: a key meant for help never leaks.
    a.update(key('q'));
    assert!(a.overlay.is_none());
    assert!(!a.quit);
}

#[test]
fn help_lists_what_the_dispatcher_binds() {
    let a = app(Mode::Interactive);
    let sections = view::help_sections(&a);
    // the focused pane's keys come first
    assert_eq!(sections[0].title, "Queue pane");
    assert_eq!(sections[1].title, "Everywhere");
    let global = &sections[1].rows;
    for b in GLOBAL {
        let label = b
            .keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            global.iter().any(|(k, h)| *k == label && *h == b.help),
            "{label} missing from help"
        );
    }
}

/// Each pane's help section is its binding table as the dispatcher sees it: every binding
/// listed (write bindings only where the session may write), and every key listed reaches the
/// pane: none is taken first by a key that works everywhere, none is bound twice.
#[test]
fn every_pane_lists_exactly_the_keys_that_reach_it() {
    use crate::app::keymap::keys_label;
    use crate::app::pane::{Key, Pane};
    /// Each binding's keys, help, whether it writes and whether the pane offers it.
    type Row = (String, &'static str, bool, bool, Vec<Key>);
    fn table<P: Pane>(p: &P) -> Vec<Row> {
        p.bindings()
            .iter()
            .map(|b| {
                let offered = p.offers(b.action);
                (keys_label(b), b.help, b.writes, offered, b.keys.to_vec())
            })
            .collect()
    }
    for mode in [Mode::Interactive, Mode::ReadOnly] {
        let mut a = app(mode);
        for pane in PaneId::ALL {
            a.focus = pane;
            let bindings = match pane {
                PaneId::Queue => table(&a.queue),
                PaneId::Failures => table(&a.failures),
                PaneId::Senders => table(&a.senders),
                PaneId::Deploy => table(&a.deploy),
                PaneId::Probe => table(&a.probe),
            };
            let sections = view::help_sections(&a);
            assert_eq!(sections[0].title, format!("{} pane", pane.title()));
            let listed: Vec<(String, &str)> = sections[0].rows.clone();
            let want: Vec<(String, &str)> = bindings
                .iter()
                .filter(|(_, _, writes, offered, _)| {
                    *offered && (mode == Mode::Interactive || !writes)
                })
                .map(|(k, h, _, _, _)| (k.clone(), *h))
                .collect();
            assert_eq!(listed, want, "{pane:?} in {mode:?}");
            let mut seen: Vec<Key> = Vec::new();
            for (label, _, _, _, keys) in &bindings {
                for k in keys {
                    assert!(
                        keymap::lookup(GLOBAL, k.code, k.mods, true).is_none(),
                        "{pane:?}: {label} is listed but taken by a key that works everywhere"
                    );
                    assert!(!seen.contains(k), "{pane:?}: {label} bound twice");
                    seen.push(*k);
                }
            }
        }
    }
}

/// With one deploy target, `t` (next target) is not in the Deploy pane's help, and pressing it
/// says why it does nothing; with two it is listed and moves on.
#[test]
fn the_next_deploy_target_key_is_offered_only_with_another_target() {
    use crate::deploy::DeployConfig;
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let with_targets = |names: &[&str]| {
        let mut cfg = Config::default();
        for name in names {
            cfg.deploy.push(DeployConfig {
                name: (*name).into(),
                path: format!("/var/www/{name}").into(),
                ..DeployConfig::default()
            });
        }
        let mut a = App::new(&cfg, Mode::Interactive, now, "web1".into());
        a.update(key('4'));
        a.update(code(KeyCode::Enter));
        assert_eq!(a.focus, PaneId::Deploy);
        a
    };
    let lists_t = |a: &App| {
        view::help_sections(a)[0]
            .rows
            .iter()
            .any(|(k, h)| k == "t" && *h == "next deploy target")
    };
    let mut one = with_targets(&["www"]);
    assert!(!lists_t(&one), "{:?}", view::help_sections(&one)[0]);
    one.update(key('t'));
    assert_eq!(
        one.notice.as_deref(),
        Some("only one deploy target is configured: www")
    );
    assert_eq!(one.deploy.current, 0);
    let mut two = with_targets(&["www", "shop"]);
    assert!(lists_t(&two), "{:?}", view::help_sections(&two)[0]);
    two.update(key('t'));
    assert_eq!(two.deploy.current, 1);
    // with none, no key is listed, and each still says why it does nothing
    let mut none = with_targets(&[]);
    assert_eq!(view::help_sections(&none)[0].rows, []);
    none.update(key('t'));
    assert_eq!(
        none.notice.as_deref(),
        Some("no deploy target configured ([[deploy]])")
    );
}

#[test]
fn filter_overlay_edits_and_clears() {
    let mut a = app(Mode::Interactive);
    a.update(key('/'));
    a.update(key('d'));
    a.update(key('e'));
    a.update(code(KeyCode::Backspace));
    match &a.overlay {
        Some(Overlay::Filter { pane, text, .. }) => {
            assert_eq!(*pane, PaneId::Queue);
            assert_eq!(text, "d");
        }
        other => panic!("expected filter overlay, got {other:?}"),
    }
    // While filtering, 'q' is text, not quit.
    a.update(key('q'));
    assert!(!a.quit);
    a.update(code(KeyCode::Esc));
    assert!(a.overlay.is_none());
}

/// `/` on the overview filters a list its tile does not show: it opens the pane, so that what
/// is typed is seen to narrow the list; Esc, which clears the filter, goes back to the
/// overview, and Enter keeps the filtered pane open.
#[test]
fn a_filter_typed_on_the_overview_opens_the_pane_it_filters() {
    let mut a = two_probe_targets(Mode::ReadOnly);
    a.update(key('5'));
    a.update(code(KeyCode::Esc));
    assert!(!a.zoomed);
    a.update(key('/'));
    assert!(a.zoomed, "the list filtered is in sight");
    for c in "shop".chars() {
        a.update(key(c));
    }
    let s = crate::app::view_tests::screen(&a, &crate::ui::theme::Theme::fallback(), 80, 24);
    assert!(s.contains("Probe /shop"), "{s}");
    assert!(!s.contains("www.example.com"), "{s}");
    a.update(code(KeyCode::Esc));
    assert!(
        !a.zoomed,
        "Esc clears the filter and goes back to the overview"
    );
    assert_eq!(a.probe.filter(), "");
    a.update(key('/'));
    a.update(key('w'));
    a.update(code(KeyCode::Enter));
    assert!(a.zoomed, "a filter kept keeps its pane open");
    assert_eq!(a.probe.filter(), "w");
    // from a pane already open, Esc clears the filter and stays in it
    a.update(key('/'));
    a.update(code(KeyCode::Esc));
    assert!(a.zoomed);
}

/// A paste (a text pasted into the wrong window over ssh) is never read as keys: not as `D`
/// and the `y` that would confirm it, nor as keys in a confirm dialog. Into a prompt or the
/// filter it goes as text, up to its first line break, which is not taken for Enter.
#[test]
fn a_paste_is_text_never_keys() {
    let mut a = app(Mode::Interactive);
    a.update(key('1'));
    let out = a.update(Msg::Paste("Daily report: yes\nq".into()));
    assert!(out.effects.is_empty(), "{:?}", out.effects);
    assert!(a.overlay.is_none(), "{:?}", a.overlay);
    assert!(!a.quit);
    assert_eq!(
        a.notice.as_deref(),
        Some("paste ignored: a paste is never read as keys")
    );
    // in a confirm dialog: neither a y nor a cancel
    let mut out = Outcome::default();
    a.settle(
        vec![Effect::Confirm(crate::app::effect::Confirm {
            title: "Delete 1 message".into(),
            lines: vec![],
            then: vec![Effect::Quit],
        })],
        &mut out,
    );
    let out = a.update(Msg::Paste("yy\ny".into()));
    assert!(out.effects.is_empty());
    assert!(!a.quit, "a pasted y confirmed");
    assert!(matches!(a.overlay, Some(Overlay::Confirm(_))));
    a.update(key('n'));
    // into a prompt: the first line, not submitted
    a.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    let mut out = Outcome::default();
    a.settle(vec![revspec_prompt("")], &mut out);
    a.update(Msg::Paste("v2.3.1\nrm -rf /".into()));
    match &a.overlay {
        Some(Overlay::Prompt { text, .. }) => assert_eq!(text, "v2.3.1"),
        other => panic!("the prompt closed: {other:?}"),
    }
    // into the filter: it filters
    a.update(code(KeyCode::Esc));
    a.update(key('/'));
    a.update(Msg::Paste("gmail\x1b[2J".into()));
    match &a.overlay {
        Some(Overlay::Filter { text, .. }) => assert_eq!(text, "gmail[2J"),
        other => panic!("the filter closed: {other:?}"),
    }
    assert_eq!(a.queue.filter(), "gmail[2J");
}

#[test]
fn confirm_needs_a_deliberate_y() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(
        vec![Effect::Confirm(Confirm {
            title: "delete 1 message".into(),
            lines: vec!["delete 1 message from deferred: A1B2C3".into()],
            then: vec![Effect::Queue(crate::mail::queue::QueueEffect::Refresh)],
        })],
        &mut out,
    );
    assert!(out.effects.is_empty(), "nothing runs before confirmation");
    // Escape-sequence debris and Enter do not confirm.
    for m in [code(KeyCode::Enter), key('['), key('O'), key('1')] {
        let out = a.update(m);
        assert!(out.effects.is_empty());
        assert!(matches!(a.overlay, Some(Overlay::Confirm(_))));
    }
    let out = a.update(key('y'));
    assert_eq!(out.effects.len(), 1);
    assert!(matches!(
        out.effects[0],
        Effect::Queue(crate::mail::queue::QueueEffect::Refresh)
    ));
    assert!(a.overlay.is_none());
}

#[test]
fn confirm_cancel_runs_nothing() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(
        vec![Effect::Confirm(Confirm {
            title: "flush".into(),
            lines: vec![],
            then: vec![Effect::Queue(crate::mail::queue::QueueEffect::Refresh)],
        })],
        &mut out,
    );
    let out = a.update(code(KeyCode::Esc));
    assert!(out.effects.is_empty());
    assert!(a.overlay.is_none());
    assert_eq!(a.notice.as_deref(), Some("cancelled: flush"));
}

#[test]
fn prompt_collects_text() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(vec![revspec_prompt("HEAD~")], &mut out);
    a.update(key('1'));
    match &a.overlay {
        Some(Overlay::Prompt { text, .. }) => assert_eq!(text, "HEAD~1"),
        other => panic!("expected prompt, got {other:?}"),
    }
    a.update(code(KeyCode::Enter));
    assert!(a.overlay.is_none());
}

#[test]
fn tick_redraws_only_when_the_minute_changes() {
    let mut a = app(Mode::Interactive);
    let t0 = a.now;
    let out = a.update(Msg::Tick(t0 + chrono::Duration::seconds(10)));
    assert!(!out.redraw, "an idle second must not redraw");
    let out = a.update(Msg::Tick(t0 + chrono::Duration::seconds(61)));
    assert!(out.redraw, "the clock shows minutes");
}

#[test]
fn a_notice_gives_the_status_bar_back_to_the_sources_after_a_while() {
    // a monitor on a wall: someone pressed a key once, and no key comes after it
    let mut a = app(Mode::ReadOnly);
    a.update(key('4'));
    a.update(key('f'));
    assert!(a.notice.is_some());
    let t0 = a.now;
    for s in 1..NOTICE_TICKS {
        let out = a.update(Msg::Tick(t0 + chrono::Duration::seconds(i64::from(s))));
        assert!(a.notice.is_some(), "still shown after {s} s");
        assert!(!out.redraw, "no redraw while it stays");
    }
    // the clock set back meanwhile (to the same minute): the notice still goes
    let out = a.update(Msg::Tick(t0));
    assert_eq!(a.notice, None, "the notice stayed for good");
    assert!(out.redraw, "the status bar shows the ages again");
    // a new notice is shown for the whole while again
    a.update(key('f'));
    a.update(Msg::Tick(t0));
    assert!(a.notice.is_some());
}

#[test]
fn a_help_box_left_open_on_a_monitor_closes_by_itself() {
    use crate::app::HELP_IDLE_TICKS;
    let t0 = chrono::Local::now();
    let tick =
        |a: &mut App, s: u32| a.update(Msg::Tick(t0 + chrono::Duration::seconds(i64::from(s))));
    // a monitor on a wall: someone opened help, scrolled it once and walked away
    let mut a = app(Mode::ReadOnly);
    a.update(key('?'));
    assert!(matches!(a.overlay, Some(Overlay::Help { .. })));
    for s in 1..60 {
        tick(&mut a, s);
    }
    a.update(key('j'));
    // a key keeps it open for the whole while again
    for s in 60..60 + HELP_IDLE_TICKS - 1 {
        tick(&mut a, s);
        assert!(
            matches!(a.overlay, Some(Overlay::Help { scroll: 1 })),
            "closed {} s after the last key",
            s - 59
        );
    }
    let out = tick(&mut a, 59 + HELP_IDLE_TICKS);
    assert!(a.overlay.is_none(), "the help box stayed on the wall");
    assert!(out.redraw, "the panes are drawn again");
    // a console someone works at keeps it until they close it
    let mut a = app(Mode::Interactive);
    a.update(key('?'));
    for s in 1..=HELP_IDLE_TICKS * 2 {
        tick(&mut a, s);
    }
    assert!(matches!(a.overlay, Some(Overlay::Help { .. })));
}

#[test]
fn unknown_jump_leaves_a_notice() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(
        vec![Effect::Jump(Jump::QueueEntry("ABCDEF123".into()))],
        &mut out,
    );
    assert_eq!(
        a.notice.as_deref(),
        Some("ABCDEF123 is no longer in the queue")
    );
    assert_eq!(a.focus, PaneId::Queue);
}

#[test]
fn notices_are_sanitized() {
    let mut a = app(Mode::Interactive);
    let mut out = Outcome::default();
    a.settle(vec![Effect::Notice("done \u{1b}[2J".into())], &mut out);
    assert_eq!(a.notice.as_deref(), Some("done \\e[2J"));
}

#[test]
fn ctrl_l_and_ctrl_z_reach_the_loop() {
    let mut a = app(Mode::Interactive);
    let out = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('l'),
        KeyModifiers::CONTROL,
    )));
    assert!(out.full_redraw);
    let out = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('z'),
        KeyModifiers::CONTROL,
    )));
    assert!(out.suspend);
}

#[test]
fn a_write_key_in_read_only_mode_says_why_nothing_happens() {
    let mut a = app(Mode::ReadOnly);
    a.update(key('4'));
    let out = a.update(key('f'));
    assert!(out.effects.is_empty(), "{:?}", out.effects);
    assert_eq!(
        a.notice.as_deref(),
        Some("read-only: f would change the host (fetch the remote)")
    );
    // a key bound to nothing says nothing, and the next key clears the notice
    a.update(key('Z'));
    assert_eq!(a.notice, None);
    // with write access the same key is the action itself, not a notice
    let mut w = app(Mode::Interactive);
    w.update(key('4'));
    w.update(key('f'));
    assert!(
        !w.notice
            .as_deref()
            .is_some_and(|n| n.starts_with("read-only")),
        "{:?}",
        w.notice
    );
}

#[test]
fn nav_goes_to_the_focused_pane_without_effects_on_empty_panes() {
    let mut a = app(Mode::ReadOnly);
    let out = a.update(key('j'));
    assert!(out.effects.is_empty());
    assert!(out.redraw);
}

#[test]
fn a_change_is_not_made_from_the_overview() {
    // the Queue tile does not show the table its delete acts on
    let mut a = app(Mode::Interactive);
    assert!(!a.zoomed);
    let out = a.update(key('D'));
    assert!(a.overlay.is_none(), "{:?}", a.overlay);
    assert!(out.effects.is_empty(), "{:?}", out.effects);
    assert_eq!(
        a.notice.as_deref(),
        Some("open the pane first (Enter): D (delete) acts on what the tile does not show")
    );
    // once the pane is open, the key is the pane's again
    a.update(code(KeyCode::Enter));
    assert!(a.zoomed);
    a.update(key('D'));
    assert_ne!(
        a.notice.as_deref(),
        Some("open the pane first (Enter): D (delete) acts on what the tile does not show")
    );
}

#[test]
fn a_confirm_dialog_shows_names_from_the_configuration_escaped() {
    // An instance named with a bidi override and a C1 control in the configuration: the flush
    // dialog names it, and must show what is really there.
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let config = Config::parse(
        "[[postfix]]\nname = \"out\\u202ebound\\u009b2J\"\nconfig_dir = \"/etc/postfix\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    let mut a = App::new(&config, Mode::Interactive, now, "web1".into());
    a.update(code(KeyCode::Enter));
    a.update(key('F'));
    let Some(Overlay::Confirm(c)) = &a.overlay else {
        panic!("no flush dialog: {:?}", a.notice);
    };
    let lines: Vec<&str> = c.lines.iter().map(|l| l.as_str()).collect();
    let text = format!("{}\n{}", c.title, lines.join("\n"));
    assert!(
        !text
            .chars()
            .any(|ch| ch != '\n' && crate::sanitize::is_unsafe_char(ch)),
        "{text:?}"
    );
    assert!(text.contains("out\\u{202e}bound\\u{9b}2J"), "{text}");
}

/// One deferred message (9F65A9CE4C7, from noreply@example.com) in the mail log, as the
/// follower sends it.
fn log_one_deferral(a: &mut App) {
    use crate::mail::log::LogEvent;
    use crate::mail::log::parse::{YearGuess, parse_line};
    let mut years = YearGuess::new(a.now.date_naive());
    let lines = [
        "Nov 27 10:20:11 mx1 postfix/qmgr[28630]: 9F65A9CE4C7: from=<noreply@example.com>, size=300, nrcpt=1 (queue active)",
        "Nov 27 10:20:11 mx1 postfix/smtp[29033]: 9F65A9CE4C7: to=<customer7@example.net>, relay=email-smtp.us-east-1.amazonaws.com[10.0.0.1]:587, delay=0.1, delays=0.01/0/0.05/0.04, dsn=4.0.0, status=deferred (host email-smtp.us-east-1.amazonaws.com[10.0.0.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))",
    ]
    .iter()
    .filter_map(|l| parse_line(l, &mut years))
    .collect();
    a.update(Msg::Source(SourceEvent::Log(LogEvent::Lines {
        source: 0,
        lines,
        backfill: false,
        unparsed: 0,
    })));
}

/// A link followed (a failure's queue entry, a message's log history, a sender) is a step Esc
/// takes back, to the pane it was followed from as it was left; moving by hand forgets it.
#[test]
fn esc_after_a_link_goes_back_where_it_was_followed() {
    let mut a = app(Mode::Interactive);
    log_one_deferral(&mut a);
    let follow = |a: &mut App| {
        let mut out = Outcome::default();
        a.settle(
            vec![Effect::Jump(Jump::LogHistory("9F65A9CE4C7".into()))],
            &mut out,
        );
        assert_eq!(a.focus, PaneId::Failures, "{:?}", a.notice);
    };
    a.update(key('1'));
    follow(&mut a);
    a.update(code(KeyCode::Esc));
    assert_eq!((a.focus, a.zoomed), (PaneId::Queue, true));
    // the next Esc is the Queue pane's own
    a.update(code(KeyCode::Esc));
    assert_eq!((a.focus, a.zoomed), (PaneId::Queue, false));
    // a pane chosen by hand after the link: Esc stays in it
    a.update(key('1'));
    follow(&mut a);
    a.update(key('3'));
    a.update(code(KeyCode::Esc));
    assert_eq!(a.focus, PaneId::Senders);
}

/// The Failures tile shows counts, not the selected failure: from the overview, u and s (its
/// queue entry, its sender) ask for the pane instead of jumping for a row nobody saw chosen.
#[test]
fn the_failures_links_ask_for_the_pane_from_the_overview() {
    let mut a = app(Mode::Interactive);
    log_one_deferral(&mut a);
    a.update(key('2'));
    a.update(code(KeyCode::Esc));
    assert_eq!((a.focus, a.zoomed), (PaneId::Failures, false));
    for (k, what) in [
        ('s', "show its sender (Senders pane)"),
        ('u', "show its queue entry (Queue pane)"),
    ] {
        let out = a.update(key(k));
        assert!(out.effects.is_empty(), "{k}: {:?}", out.effects);
        assert_eq!((a.focus, a.zoomed), (PaneId::Failures, false), "{k}");
        assert_eq!(
            a.notice.as_deref(),
            Some(
                format!(
                    "open the pane first (Enter): {k} ({what}) acts on what the tile does not show"
                )
                .as_str()
            )
        );
    }
    // opened, s acts on the row in sight (a sender the Senders pane has not read, here)
    a.update(code(KeyCode::Enter));
    a.update(key('s'));
    assert_eq!(
        a.notice.as_deref(),
        Some("sender noreply@example.com not known")
    );
}

/// An app whose Probe pane has two targets (www, shop), so that its selection can move.
fn two_probe_targets(mode: Mode) -> App {
    let now = Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap();
    let config = Config::parse(
        "[[probe.targets]]\nname = \"www\"\nurl = \"https://www.example.com/\"\n\
         [[probe.targets]]\nname = \"shop\"\nurl = \"https://shop.example.com/\"\n",
        std::path::Path::new("c.toml"),
    )
    .unwrap();
    App::new(&config, mode, now, "web1".into())
}

/// The overview's tiles show no selection: there j/k (and g/G, PgUp/PgDn) move between the
/// tiles, and a pane's list is left where it was, to be moved where it is in sight.
#[test]
fn list_keys_in_the_overview_move_between_tiles_not_a_hidden_selection() {
    let mut a = two_probe_targets(Mode::Interactive);
    assert!(!a.zoomed);
    a.update(key('j'));
    assert_eq!(a.focus, PaneId::Failures, "j: the tile below");
    a.update(key('G'));
    assert_eq!(a.focus, PaneId::Probe, "G: the last tile");
    // on the last tile, j stays there (it does not wrap as Tab does)
    a.update(key('j'));
    a.update(code(KeyCode::Down));
    assert_eq!(a.focus, PaneId::Probe);
    assert_eq!(
        a.probe.selected, 0,
        "the Probe tile shows no selection to move"
    );
    a.update(key('k'));
    assert_eq!(a.focus, PaneId::Deploy);
    a.update(key('g'));
    assert_eq!(a.focus, PaneId::Queue);
    assert!(!a.zoomed, "moving between tiles does not open one");
    // opened, the pane's list is the list keys' again
    a.update(key('5'));
    a.update(key('j'));
    assert_eq!((a.focus, a.probe.selected), (PaneId::Probe, 1));
}

/// A key that acts on the selected item (the Probe pane's p, probe the selected target) does not
/// act from the overview, whose tile does not show which one it is: it says to open the pane,
/// as a change does. A key that acts on the whole pane (r, probe all) still does.
#[test]
fn a_key_on_the_selected_item_asks_for_the_pane_from_the_overview() {
    let mut a = two_probe_targets(Mode::ReadOnly);
    a.update(key('5'));
    a.update(key('j'));
    a.update(code(KeyCode::Esc));
    assert_eq!((a.focus, a.zoomed), (PaneId::Probe, false));
    let out = a.update(key('p'));
    assert!(out.effects.is_empty(), "{:?}", out.effects);
    assert!(a.probe.targets.iter().all(|t| !t.running));
    assert_eq!(
        a.notice.as_deref(),
        Some(
            "open the pane first (Enter): p (probe the selected target) acts on what the tile does not show"
        )
    );
    let out = a.update(key('r'));
    assert_eq!(
        out.effects.len(),
        1,
        "r probes every target from the overview"
    );
    a.update(code(KeyCode::Enter));
    let out = a.update(key('p'));
    assert!(
        matches!(
            out.effects.as_slice(),
            [Effect::Probe(crate::probe::ProbeEffect::RunOne(1))]
        ),
        "{:?}",
        out.effects
    );
}

#[test]
fn ctrl_l_and_ctrl_z_work_under_every_overlay_and_keep_it() {
    // a screen garbled over ssh while a confirm dialog asks for `y` is redrawn with Ctrl-L,
    // and Ctrl-Z suspends from a prompt as from anywhere; the overlay is still there after
    let ctrl = |c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
    let openers: [fn(&mut App); 4] = [
        |a| {
            a.update(key('?'));
        },
        |a| {
            a.update(key('/'));
            a.update(key('x'));
        },
        |a| {
            let confirm = Effect::Confirm(Confirm {
                title: "delete 1 message".into(),
                lines: vec![],
                then: vec![Effect::Queue(crate::mail::queue::QueueEffect::Refresh)],
            });
            a.settle(vec![confirm], &mut Outcome::default());
        },
        |a| {
            a.settle(vec![revspec_prompt("v1")], &mut Outcome::default());
        },
    ];
    for (i, open) in openers.iter().enumerate() {
        let mut a = app(Mode::Interactive);
        open(&mut a);
        let before = format!("{:?}", a.overlay);
        assert!(a.overlay.is_some(), "overlay {i}");
        let out = a.update(ctrl('l'));
        assert!(out.full_redraw, "Ctrl-L under overlay {i}");
        assert!(out.effects.is_empty());
        assert_eq!(
            format!("{:?}", a.overlay),
            before,
            "Ctrl-L keeps overlay {i}"
        );
        let out = a.update(ctrl('z'));
        assert!(out.suspend, "Ctrl-Z under overlay {i}");
        assert!(out.effects.is_empty());
        assert_eq!(
            format!("{:?}", a.overlay),
            before,
            "Ctrl-Z keeps overlay {i}"
        );
        assert!(!a.quit);
    }
}
