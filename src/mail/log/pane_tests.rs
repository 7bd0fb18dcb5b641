//! Update and view tests of the Failures pane: state + event -> state + effects, and snapshots of
//! what is drawn (80x24 and wide) on the real corpus.

use chrono::{Local, NaiveDate, TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::model::{Limits, MailLog, RowStatus, WindowCounts};
use super::pane::{FailuresAction, FailuresPane, StatusFilter};
use super::parse::{YearGuess, parse_line};
use super::source::SourceState;
use super::{LogConfig, LogEvent};
use crate::app::effect::{Effect, Jump};
use crate::app::pane::{Cx, Nav, Pane, ViewCx};
use crate::app::shared::Shared;
use crate::mail::queue::QueueEffect;
use crate::ui::theme::Theme;

const CORPUS: &str = include_str!("../../../tests/fixtures/maillog/corpus-3.7.log");

fn now() -> chrono::DateTime<Local> {
    Local.with_ymd_and_hms(2026, 11, 27, 19, 40, 0).unwrap()
}

fn lines(text: &str) -> Vec<super::parse::LogLine> {
    let mut y = YearGuess::new(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    text.lines().filter_map(|l| parse_line(l, &mut y)).collect()
}

struct World {
    pane: FailuresPane,
    shared: Shared,
    /// The time updates and drawing see (`now()` unless a test moves it).
    now: chrono::DateTime<Local>,
}

impl World {
    fn new() -> World {
        let cfg = LogConfig {
            files: vec!["/var/log/mail.log".into()],
            ..LogConfig::default()
        };
        World {
            pane: FailuresPane::with_config(&cfg),
            shared: Shared::default(),
            now: now(),
        }
    }

    fn event(&mut self, ev: LogEvent) -> Vec<Effect> {
        let mut cx = Cx {
            now: self.now,
            access: None,
            shared: &mut self.shared,
        };
        self.pane.on_event(ev, &mut cx)
    }

    fn action(&mut self, a: FailuresAction) -> Vec<Effect> {
        let mut cx = Cx {
            now: self.now,
            access: None,
            shared: &mut self.shared,
        };
        self.pane.on_action(a, &mut cx)
    }

    fn with_cx<R>(&mut self, f: impl FnOnce(&mut FailuresPane, &mut Cx<'_>) -> R) -> R {
        let mut cx = Cx {
            now: self.now,
            access: None,
            shared: &mut self.shared,
        };
        f(&mut self.pane, &mut cx)
    }

    /// Select the first row `which` picks, from the top, and open its detail.
    fn open_row(&mut self, which: impl Fn(&super::model::Outcome) -> bool) {
        let idx = self
            .pane
            .rows(&self.shared.mail_log)
            .position(which)
            .expect("a row");
        self.with_cx(|p, cx| p.on_nav(Nav::Top, cx));
        for _ in 0..idx {
            self.with_cx(|p, cx| p.on_nav(Nav::Down, cx));
        }
        self.with_cx(|p, cx| p.on_enter(cx));
    }

    /// A pane whose one source is being followed.
    fn following() -> World {
        let mut w = World::new();
        w.event(LogEvent::State {
            source: 0,
            state: SourceState::Following,
            notify: true,
        });
        w
    }

    /// Lines of `text` as the source sends them.
    fn feed(&mut self, text: &str, backfill: bool) {
        self.event(LogEvent::Lines {
            source: 0,
            lines: lines(text),
            backfill,
            unparsed: 0,
        });
    }

    fn loaded() -> World {
        let mut w = World::following();
        w.event(LogEvent::Lines {
            source: 0,
            lines: lines(CORPUS),
            backfill: true,
            unparsed: 0,
        });
        w.event(LogEvent::BackfillDone {
            source: 0,
            lines: 148,
            files: 1,
        });
        w
    }

    fn draw(&self, w: u16, h: u16, zoomed: bool) -> Buffer {
        let theme = Theme::fallback();
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let cx = ViewCx {
            theme: &theme,
            now: self.now,
            focused: true,
            zoomed,
            read_only: true,
            shared: &self.shared,
        };
        t.draw(|f| self.pane.render(f, f.area(), &cx)).unwrap();
        t.backend().buffer().clone()
    }

    /// Let time pass to `at`, with no new line, as the app's tick does.
    fn tick_at(&mut self, at: chrono::DateTime<Local>) {
        self.now = at;
        self.with_cx(|pane, cx| pane.on_tick(cx));
    }

    /// The rows and counts the pane keeps between changes, checked against a walk over every
    /// outcome now: they must be kept (not left to be worked out again while drawing) and equal
    /// to it. Returns what the walk found.
    fn kept_is_fresh(&self, after: &str) -> (Vec<usize>, WindowCounts) {
        let log = &self.shared.mail_log;
        let rows: Vec<usize> = (0..log.outcomes().len())
            .rev()
            .filter(|i| self.pane.accepts(&log.outcomes()[*i]))
            .collect();
        assert_eq!(
            self.pane.cached_rows(log),
            Some(rows.as_slice()),
            "rows after {after}"
        );
        let (hour, day) = FailuresPane::windows(self.now);
        let counts = log.window_counts(hour, day, self.now.fixed_offset());
        assert_eq!(
            self.pane.cached_counts(log, self.now),
            Some(&counts),
            "counts after {after}"
        );
        (rows, counts)
    }

    fn screen(&self, w: u16, h: u16, zoomed: bool) -> String {
        let b = self.draw(w, h, zoomed);
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
}

#[test]
fn live_lines_ask_the_queue_to_refresh_backfill_does_not() {
    let mut w = World::new();
    let fx = w.event(LogEvent::Lines {
        source: 0,
        lines: lines(CORPUS),
        backfill: true,
        unparsed: 0,
    });
    assert!(fx.is_empty());
    let fx = w.event(LogEvent::Lines {
        source: 0,
        lines: lines("Nov 27 19:39:00 vm postfix/qmgr[1]: ABCDE12345: from=<x@example.com>, size=1, nrcpt=1 (queue active)"),
        backfill: false,
        unparsed: 0,
    });
    assert!(
        matches!(fx.as_slice(), [Effect::Queue(QueueEffect::Refresh)]),
        "{fx:?}"
    );
    let fx = w.event(LogEvent::Lines {
        source: 0,
        lines: lines("Nov 27 19:39:00 vm postfix/smtpd[1]: connect from unknown[127.0.0.1]"),
        backfill: false,
        unparsed: 0,
    });
    assert!(fx.is_empty());
}

#[test]
fn rows_are_failures_newest_first_and_filters_narrow_them() {
    let mut w = World::loaded();
    let rows: Vec<_> = w
        .pane
        .rows(&w.shared.mail_log)
        .map(|o| (o.status, o.to.to_string()))
        .collect();
    assert!(rows.iter().all(|(s, _)| *s != RowStatus::Sent));
    assert_eq!(rows[0].1, "b@example.com", "newest first");
    let all_failures = rows.len();
    w.action(FailuresAction::CycleStatus);
    assert_eq!(w.pane.status, StatusFilter::Only(RowStatus::Deferred));
    assert!(
        w.pane
            .rows(&w.shared.mail_log)
            .all(|o| o.status == RowStatus::Deferred)
    );
    w.action(FailuresAction::ClearFilters);
    w.action(FailuresAction::CycleCategory);
    assert!(
        w.pane
            .rows(&w.shared.mail_log)
            .all(|o| o.category == Some(super::classify::Category::SesSenderNotVerified))
    );
    assert_eq!(w.pane.rows(&w.shared.mail_log).count(), 4);
    w.action(FailuresAction::ClearFilters);
    let fx = w.action(FailuresAction::FilterSender);
    let Some(Effect::Prompt(p)) = fx.first() else {
        panic!("{fx:?}")
    };
    let purpose = p.purpose;
    w.with_cx(|pane, cx| pane.on_prompt(purpose, "ERIN@".into(), cx));
    assert!(
        w.pane
            .rows(&w.shared.mail_log)
            .all(|o| o.from.as_deref() == Some("erin@example.com"))
    );
    assert_eq!(w.pane.rows(&w.shared.mail_log).count(), 3);
    w.action(FailuresAction::ClearFilters);
    w.with_cx(|pane, cx| pane.set_filter("throttling", cx));
    assert_eq!(w.pane.rows(&w.shared.mail_log).count(), 3);
    w.with_cx(|pane, cx| pane.set_filter("", cx));
    assert_eq!(w.pane.rows(&w.shared.mail_log).count(), all_failures);
}

#[test]
fn detail_opens_closes_and_links() {
    let mut w = World::loaded();
    // select the bounce of root@localhost's message
    let idx = w
        .pane
        .rows(&w.shared.mail_log)
        .position(|o| o.queue_id.as_ref().map(|q| q.as_str()) == Some("40A53C8900"))
        .unwrap();
    for _ in 0..idx {
        w.with_cx(|p, cx| p.on_nav(Nav::Down, cx));
    }
    w.with_cx(|p, cx| p.on_enter(cx));
    assert!(w.pane.detail.is_some());
    let fx = w.action(FailuresAction::OpenSender);
    assert!(
        matches!(fx.as_slice(), [Effect::Jump(Jump::Sender(s))] if s == "root@localhost"),
        "{fx:?}"
    );
    // no longer queued: no jump, a notice instead
    let fx = w.action(FailuresAction::OpenQueueEntry);
    assert!(
        matches!(fx.as_slice(), [Effect::Notice(n)] if n.contains("no longer in the queue")),
        "{fx:?}"
    );
    assert!(w.pane.on_back());
    assert!(!w.pane.on_back());
    // a still-queued message jumps to the Queue pane
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("65140C890E".into()), cx)));
    let fx = w.action(FailuresAction::OpenQueueEntry);
    assert!(
        matches!(fx.as_slice(), [Effect::Jump(Jump::QueueEntry(id))] if id == "65140C890E"),
        "{fx:?}"
    );
    assert!(!w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("FFFFF00000".into()), cx)));
    assert!(!w.with_cx(|p, cx| p.on_jump(&Jump::Sender("x@y".into()), cx)));
}

/// A refusal at reception with a 4xx code is temporary: the detail says the client may try
/// again; a 5xx one does not say so.
#[test]
fn a_temporary_refusal_at_reception_says_the_client_may_try_again() {
    for (reply, temporary) in [
        (
            "450 4.7.1 <bad>: Helo command rejected: Host not found",
            true,
        ),
        (
            "554 5.7.1 <bad>: Helo command rejected: Host not found",
            false,
        ),
    ] {
        let mut w = World::following();
        w.feed(
            &format!(
                "Nov 27 19:40:00 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from \
                 unknown[203.0.113.99]: {reply}; from=<a@b.example> to=<x@elsewhere.example> \
                 proto=ESMTP helo=<bad>\n"
            ),
            false,
        );
        w.with_cx(|p, cx| p.on_enter(cx));
        let s = w.screen(100, 30, true);
        let read = s
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            read.contains("What it means: The message was refused"),
            "{s}"
        );
        assert_eq!(
            read.contains(
                "Its code starts with 4: refused for now only, so the client keeps the mail and \
                 may try again later; it may still arrive."
            ),
            temporary,
            "{s}"
        );
    }
}

/// A bounce notice that failed has the null sender: its link goes to the Senders pane's
/// MAILER-DAEMON row (the notices' route, and whose notices failed), not to a notice that there
/// is no sender.
#[test]
fn a_bounce_notices_sender_link_goes_to_mailer_daemon() {
    let mut w = World::following();
    w.feed(
        "Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 10:00:01 mx postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:02 mx postfix/smtp[4]: BBBB000002: to=<app@example.com>, relay=email-smtp.us-east-1.amazonaws.com[1.1.1.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[1.1.1.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: MAILER-DAEMON@mx.example.com (in reply to end of DATA command))
Nov 27 10:00:02 mx postfix/qmgr[3]: BBBB000002: removed
",
        false,
    );
    w.with_cx(|p, cx| p.on_nav(Nav::Top, cx));
    let first = w.pane.rows(&w.shared.mail_log).next().unwrap().clone();
    assert_eq!(first.from.as_deref(), Some(""), "{first:?}");
    let fx = w.action(FailuresAction::OpenSender);
    assert!(
        matches!(fx.as_slice(), [Effect::Jump(Jump::Sender(s))] if s == "MAILER-DAEMON"),
        "{fx:?}"
    );
    w.with_cx(|p, cx| p.on_enter(cx));
    let s = w.screen(100, 30, true);
    assert!(
        s.contains("Links: not in the queue any more  s MAILER-DAEMON in Senders (bounce notices)"),
        "{s}"
    );
}

/// Expired mail whose deferrals are not among the lines kept says where to find them; with
/// them in its history, it does not.
#[test]
fn expired_mail_without_its_deferrals_says_where_they_are() {
    let expired = "Nov 27 10:00:05 mx postfix/qmgr[3]: CCCC000003: from=<app@example.com>, status=expired, returned to sender\n";
    let deferral = "Nov 27 10:00:00 mx postfix/smtp[4]: CCCC000003: to=<a@example.org>, relay=r[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.4.1, status=deferred (connect to r[192.0.2.1]:25: Connection timed out)\n";
    for (text, said) in [
        (expired.to_string(), true),
        (format!("{deferral}{expired}"), false),
    ] {
        let mut w = World::following();
        w.feed(&text, false);
        w.with_cx(|p, cx| p.on_nav(Nav::Top, cx));
        let first = w.pane.rows(&w.shared.mail_log).next().unwrap().clone();
        assert_eq!(first.status, RowStatus::Expired, "{first:?}");
        w.with_cx(|p, cx| p.on_enter(cx));
        let read = w
            .screen(100, 30, true)
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            read.contains(
                "Its deferrals are older than the lines kept here: search the whole log for \
                 them (zgrep CCCC000003 /var/log/mail.log*"
            ),
            said,
            "{read}"
        );
    }
}

/// With `[mail_log] journal_directory` set, the `journalctl` the expired mail's remedy names
/// reads that directory, escaped as the rest of the screen is.
#[test]
fn expired_mail_points_to_the_journal_directory_read() {
    let expired = "Nov 27 10:00:05 mx postfix/qmgr[3]: CCCC000003: from=<app@example.com>, status=expired, returned to sender\n";
    for (dir, said) in [
        (None, "(journalctl -u 'postfix*' --grep CCCC000003)."),
        (
            Some("/var/log/journal/remote"),
            "(journalctl --directory=/var/log/journal/remote -u 'postfix*' --grep CCCC000003).",
        ),
        (
            Some("/srv/j\u{1b}[2J"),
            r"(journalctl --directory='/srv/j\e[2J' -u 'postfix*' --grep CCCC000003).",
        ),
    ] {
        let cfg = LogConfig {
            source: super::LogSourceKind::Journal,
            journal_directory: dir.map(Into::into),
            ..LogConfig::default()
        };
        let mut w = World {
            pane: FailuresPane::with_config(&cfg),
            shared: Shared::default(),
            now: now(),
        };
        w.event(LogEvent::State {
            source: 0,
            state: SourceState::Following,
            notify: false,
        });
        w.feed(expired, false);
        w.with_cx(|p, cx| p.on_nav(Nav::Top, cx));
        w.with_cx(|p, cx| p.on_enter(cx));
        let read = w
            .screen(160, 30, true)
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(read.contains(said), "{read}");
        assert!(!read.contains('\u{1b}'), "{read}");
    }
}

/// A bounce notice to app@example.com that bounces too: lost, nobody told.
const LOST_NOTICE: &str = "Nov 27 10:00:01 mx postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 10:00:01 mx postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:02 mx postfix/smtp[4]: BBBB000002: to=<app@example.com>, relay=r[192.0.2.1]:587, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host r[192.0.2.1] said: 550 5.1.1 User unknown (in reply to RCPT TO command))
Nov 27 10:00:02 mx postfix/qmgr[3]: BBBB000002: removed
";

/// A lost bounce notice's detail names the sender to tell by hand: the one it was addressed to,
/// whose message failed, not the null sender its row shows.
#[test]
fn a_lost_notice_names_the_sender_to_tell() {
    let mut w = World::following();
    w.feed(LOST_NOTICE, false);
    w.open_row(|o| o.status == RowStatus::Lost);
    let read = w
        .screen(100, 30, true)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        read.contains(
            "Tell the sender by hand; fix the bounce path (a verified sender for notifications, \
             or a working postmaster alias). The sender not told is app@example.com, whose \
             message AAAA000001 failed."
        ),
        "{read}"
    );
}

/// Lost mail's rows say what lost it, not "lost  LOST": a bounce notification that failed too,
/// or a message removed from the queue with no delivery logged; the detail's heading as well.
#[test]
fn a_lost_row_says_what_lost_it() {
    let mut w = World::following();
    w.feed(
        &format!(
            "{LOST_NOTICE}\
Nov 27 10:01:00 mx postfix/qmgr[3]: CCCC000003: from=<web@example.com>, size=900, nrcpt=1 (queue active)
Nov 27 10:01:05 mx postfix/qmgr[3]: CCCC000003: removed
"
        ),
        false,
    );
    let s = w.screen(100, 30, true);
    let row = |id: &str| {
        s.lines()
            .find(|l| l.contains(" lost ") && l.contains(id))
            .unwrap_or_else(|| panic!("no lost row for {id}:\n{s}"))
            .to_string()
    };
    assert!(
        row("app@example.com").contains(" lost     bounce failed "),
        "{s}"
    );
    assert!(
        row("web@example.com").contains(" lost     removed unsent "),
        "{s}"
    );
    assert!(
        !s.lines()
            .any(|l| l.contains(" lost ") && l.contains("LOST")),
        "{s}"
    );
    w.open_row(|o| o.status == RowStatus::Lost && o.bounce_of.is_some());
    let s = w.screen(100, 30, true);
    assert!(
        s.contains("  lost  bounce failed\n") || s.contains("  lost  bounce failed "),
        "{s}"
    );
}

/// The detail's heading names the status and the cause, each once: a deleted message is not
/// "deleted  deleted", a bounce keeps its cause.
#[test]
fn the_detail_heading_says_a_status_once() {
    let mut w = World::loaded();
    for (status, heading) in [
        // a deletion's cause is what deleted it, not "deleted" again
        (RowStatus::Deleted, "  deleted  postsuper -d\n"),
        (RowStatus::Bounced, "  bounced  sender unverified\n"),
    ] {
        w.open_row(|o| o.status == status);
        let s = w.screen(100, 30, true);
        let first = s
            .lines()
            .find(|l| l.contains("Message "))
            .unwrap()
            .replace('│', "")
            .trim_end()
            .to_string()
            + "\n";
        assert!(first.ends_with(heading), "{first:?} in\n{s}");
        assert_eq!(first.matches(status.as_str()).count(), 1, "{first:?}");
        assert!(w.pane.on_back());
    }
}

/// A 4xx refusal at reception (greylisting) is coloured as a deferral, for now only; a 5xx one
/// as a failure.
#[test]
fn a_temporary_refusal_at_reception_is_coloured_as_a_deferral() {
    let theme = Theme::fallback();
    for (reply, style) in [
        (
            "450 4.2.0 <x@example.com>: Recipient address rejected: Greylisted",
            theme.warn,
        ),
        (
            "554 5.7.1 <x@example.com>: Relay access denied",
            theme.error,
        ),
    ] {
        let mut w = World::following();
        // the newer line is the selected row: the one looked at is drawn in its own colours
        w.feed(
            &format!(
                "Nov 27 19:40:00 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from \
                 unknown[203.0.113.99]: {reply}; from=<a@b.example> to=<x@example.com> \
                 proto=ESMTP helo=<bad>\n\
                 Nov 27 19:41:00 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from \
                 unknown[203.0.113.98]: 554 5.7.1 <y@example.com>: Relay access denied; \
                 from=<c@d.example> to=<y@example.com> proto=ESMTP helo=<bad>\n"
            ),
            false,
        );
        let b = w.draw(100, 24, true);
        let (x, y) = (0..b.area.height)
            .find_map(|y| {
                let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
                line.find("19:40:00 rejected")
                    .map(|i| (line[..i + 9].chars().count() as u16, y))
            })
            .expect("a rejected row");
        assert_eq!(
            b[(x, y)].fg,
            style.fg.unwrap(),
            "{reply} at {x},{y}\n{}",
            w.screen(100, 24, true)
        );
    }
}

#[test]
fn a_sender_refused_at_reception_is_not_taken_to_the_senders_pane() {
    let mut w = World::loaded();
    w.event(LogEvent::Lines {
        source: 0,
        lines: lines(
            "Nov 27 19:40:00 mx1 postfix/smtpd[3001]: NOQUEUE: reject: RCPT from \
             unknown[203.0.113.99]: 554 5.7.1 <x@elsewhere.example>: Relay access denied; \
             from=<spam@bad.example> to=<x@elsewhere.example> proto=ESMTP helo=<bad>\n",
        ),
        backfill: false,
        unparsed: 0,
    });
    // newest first: the refusal is the first row
    w.with_cx(|p, cx| p.on_nav(Nav::Top, cx));
    let first = w.pane.rows(&w.shared.mail_log).next().unwrap().clone();
    assert_eq!(first.status, RowStatus::Rejected, "{first:?}");
    let fx = w.action(FailuresAction::OpenSender);
    assert!(
        matches!(fx.as_slice(), [Effect::Notice(n)] if n == "spam@bad.example was refused at reception: not a sender of this host's mail"),
        "{fx:?}"
    );
    // the footer and the detail name where it was refused: the client, not a relay
    let s = w.screen(100, 24, true);
    assert!(
        s.contains("NOQUEUE  dsn=5.7.1  refused at RCPT from unknown[203.0.113.99]"),
        "{s}"
    );
    assert!(!s.contains("relay=RCPT"), "{s}");
    w.with_cx(|p, cx| p.on_enter(cx));
    let s = w.screen(120, 30, true);
    assert!(
        s.contains("refused   RCPT from unknown[203.0.113.99]"),
        "{s}"
    );
    // nor is its route looked up: it is no sender of this host's
    w.shared.relay = Some(std::sync::Arc::new(
        crate::mail::senders::model::tests::snapshot(false, false),
    ));
    let s = w.screen(120, 30, true);
    assert!(s.contains("refused   RCPT"), "{s}");
    assert!(!s.contains("route "), "{s}");
    // nor is a link offered that `s` refuses, or a queue it never entered
    assert!(
        s.contains("Links: none: refused at reception, never queued"),
        "{s}"
    );
    assert!(!s.contains("sender spam@bad.example in Senders"), "{s}");
    assert!(
        s.contains("none: refused before it had a queue id, its one line is the refusal"),
        "{s}"
    );
}

#[test]
fn lost_mail_in_the_last_hour_marks_the_tab() {
    let mut w = World::new();
    assert_eq!(w.pane.health().problem, None);
    w.event(LogEvent::Lines {
        source: 0,
        lines: lines(CORPUS),
        backfill: true,
        unparsed: 0,
    });
    // the corpus holds one message deleted with postsuper -d before any delivery, in the hour
    // before now(): someone's choice, not lost mail
    assert_eq!(w.pane.health().problem, None);
    // one that leaves the queue with no final status and no postsuper is
    w.event(LogEvent::Lines {
        source: 0,
        lines: lines(
            "Nov 27 19:30:00 vm postfix/qmgr[10250]: 5A0B1C8910: from=<app@example.com>, size=300, nrcpt=1 (queue active)\n\
             Nov 27 19:30:01 vm postfix/qmgr[10250]: 5A0B1C8910: removed\n",
        ),
        backfill: false,
        unparsed: 0,
    });
    assert_eq!(
        w.pane.health().problem.as_deref(),
        Some("1 lost in the last hour")
    );
    // an hour on, with no new line, the mark goes
    let mut cx = Cx {
        now: now() + chrono::Duration::hours(2),
        access: None,
        shared: &mut w.shared,
    };
    w.pane.on_tick(&mut cx);
    assert_eq!(w.pane.health().problem, None);
}

#[test]
fn a_long_unavailable_message_is_shown_whole_when_zoomed() {
    let mut w = World::new();
    let message = "/var/log/mail.log: not found: waiting for it to appear (no rsyslog? use \
                   Postfix's maillog_file, or source = \"journal\" in [mail_log])";
    w.event(LogEvent::State {
        source: 0,
        state: SourceState::Unavailable(message.into()),
        notify: false,
    });
    let s = w.screen(80, 24, true);
    let shown: Vec<&str> = s
        .lines()
        .skip(1)
        .take(2)
        .map(|l| l.trim_matches('│').trim_end())
        .collect();
    assert_eq!(shown.join(" "), message, "{s}");
    // the tile keeps one line for it, above the counts
    let tile = w.screen(80, 4, false);
    assert!(
        tile.lines()
            .nth(2)
            .unwrap()
            .contains("no log line read yet: no counts"),
        "{tile}"
    );
}

#[test]
fn unavailable_source_is_shown_and_reported() {
    let mut w = World::new();
    w.event(LogEvent::State {
        source: 0,
        state: SourceState::Unavailable(
            "/var/log/mail.log: permission denied: add your user to group adm".into(),
        ),
        notify: false,
    });
    assert_eq!(
        w.pane.health().problem.as_deref(),
        Some("/var/log/mail.log: permission denied: add your user to group adm")
    );
    let s = w.screen(80, 24, true);
    assert!(
        s.contains("permission denied: add your user to group adm"),
        "{s}"
    );
    insta::assert_snapshot!("failures_unavailable_80x24", s);
    // the overview tile shows two lines: the problem is one of them, above counts that say
    // nothing was read (not "no failures, 0 sent", which reads as a quiet host)
    let tile = w.screen(80, 4, false);
    let shown: Vec<&str> = tile.lines().skip(1).take(2).collect();
    assert!(shown[0].contains("permission denied"), "{tile}");
    assert!(
        shown[1].contains("no log line read yet: no counts"),
        "{tile}"
    );
    insta::assert_snapshot!("failures_unavailable_tile_80x4", tile);
    w.event(LogEvent::State {
        source: 0,
        state: SourceState::Following,
        notify: true,
    });
    assert_eq!(w.pane.health().problem, None);
}

#[test]
fn zoomed_table_80x24() {
    let w = World::loaded();
    let s = w.screen(80, 24, true);
    assert!(s.contains("sender unverified"));
    // a deletion's category says what deleted it, not the status again
    assert!(
        s.contains("│19:25:56 deleted  postsuper -d      carol@example.com"),
        "{s}"
    );
    assert!(!s.contains("deleted  deleted"), "{s}");
    insta::assert_snapshot!("failures_table_80x24", s);
}

/// An ssh session on a phone, a split pane: the recipient is shown (cut) instead of the sender,
/// the time without its seconds.
#[test]
fn zoomed_table_narrow() {
    let w = World::loaded();
    let s = w.screen(40, 24, true);
    assert!(s.contains("RECIPIENT") && !s.contains("SENDER"), "{s}");
    assert!(
        s.contains("│19:32  deferred local ser… cust3@exam…│"),
        "{s}"
    );
    insta::assert_snapshot!("failures_table_40x24", s);
}

#[test]
fn zoomed_table_wide() {
    let w = World::loaded();
    let s = w.screen(180, 30, true);
    assert!(s.contains("REASON") && s.contains("RELAY"));
    insta::assert_snapshot!("failures_table_180x30", s);
}

#[test]
fn detail_80x24() {
    let mut w = World::loaded();
    // the relay setup as the Senders pane read it: the detail names the sender's route
    w.shared.relay = Some(std::sync::Arc::new(
        crate::mail::senders::model::tests::snapshot(false, false),
    ));
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("40A53C8900".into()), cx)));
    let s = w.screen(80, 24, true);
    assert!(s.contains("What to do"));
    // the region as AWS writes it, not in the capitals of SES's reply
    assert!(
        s.contains("SES: region us-east-1, identities that failed: root@localhost"),
        "{s}"
    );
    insta::assert_snapshot!("failures_detail_80x24", s);
}

#[test]
fn overview_tile_80x8() {
    let w = World::loaded();
    let s = w.screen(80, 8, false);
    insta::assert_snapshot!("failures_tile_80x8", s);
}

/// The corpus, with a message lost in the hour and a bounce earlier in the day: the hour's and
/// the day's counts differ, and are longer together than 80 columns.
fn loaded_with_lost_mail() -> World {
    let mut w = World::loaded();
    w.feed(
        "Nov 27 10:00:00 vm postfix/smtp[7]: CDEF012345: to=<c@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <c@example.net>: Recipient address rejected: User unknown)
Nov 27 19:36:00 vm postfix/qmgr[3]: AAAA000001: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:36:01 vm postfix/qmgr[3]: AAAA000001: removed",
        false,
    );
    w
}

/// The header's counts: the hour's and the day's on a line each when they do not fit on one,
/// each cut at its end only, the mail sent first, then lost mail and deferrals after what failed
/// for good.
#[test]
fn the_days_counts_are_shown_when_the_hours_and_the_days_do_not_fit_on_one_line() {
    let mut w = loaded_with_lost_mail();
    let header = |s: &str| -> Vec<String> {
        s.lines()
            .skip(1)
            .take(2)
            .map(|l| l.trim_matches('│').trim_end().to_string())
            .collect()
    };
    let s = w.screen(80, 24, true);
    assert_eq!(
        header(&s),
        [
            "hour: 10 sent · 1 lost · 5 bounced · 11 deferred · 1 deleted",
            "day:  10 sent · 1 lost · 6 bounced · 11 deferred · 1 deleted",
        ],
        "{s}"
    );
    // narrower: each line cut at its end, the day's still there
    let s = w.screen(40, 24, true);
    assert_eq!(
        header(&s),
        [
            "hour: 10 sent · 1 lost · 5 bounced · …",
            "day:  10 sent · 1 lost · 6 bounced · …",
        ],
        "{s}"
    );
    // wide enough: one line, as before
    let s = w.screen(140, 24, true);
    assert!(
        header(&s)[0].starts_with(
            "hour: 10 sent · 1 lost · 5 bounced · 11 deferred · 1 deleted   day: 10 sent · 1 lost"
        ),
        "{s}"
    );
    // the overview tile has one line for them: the hour's and the day's side by side
    let s = w.screen(80, 8, false);
    assert_eq!(
        header(&s)[0],
        "hour/day: 10/10 sent · 1/1 lost · 5/6 bounced · 11/11 deferred · 1/1 deleted",
        "{s}"
    );
    let s = w.screen(50, 8, false);
    assert_eq!(
        header(&s)[0],
        "hour/day: 10/10 sent · 1/1 lost · 5/6 bounced ·…",
        "{s}"
    );
    // a quiet hour keeps its words in the tile, which the pairs could not say
    w.tick_at(now() + chrono::Duration::hours(2));
    let s = w.screen(80, 8, false);
    assert_eq!(
        header(&s)[0],
        "hour: no log line, newest 2h02m ago   day: 10 sent · 1 lost · 6 bounced · 11 …",
        "{s}"
    );
}

#[test]
fn hostile_lines_never_reach_the_terminal_raw() {
    let mut w = World::new();
    let evil = "Nov 27 19:39:00 vm postfix/smtp[1]: ABCDE12345: to=<\u{1b}]0;owned\u{7}@x.example>, relay=none, delay=1, delays=1/0/0/0, dsn=5.0.0, status=bounced (\u{1b}[2J\u{1b}[31mred \u{202e}evil\u{0} \u{9b}31m, not \\e[0m)";
    let long = format!(
        "Nov 27 19:39:01 vm postfix/smtp[1]: ABCDE12346: to=<a@b>, relay=none, delay=1, delays=1/0/0/0, dsn=4.0.0, status=deferred ({})",
        "A".repeat(1 << 20)
    );
    let bad_utf8 = String::from_utf8_lossy(b"Nov 27 19:39:02 vm postfix/smtp[1]: ABCDE12347: to=<\xff\xfe@x>, relay=none, delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (\xc3\x28)").into_owned();
    let mut ls = lines(evil);
    ls.extend(lines(&long));
    ls.extend(lines(&bad_utf8));
    ls.extend(lines("Nov 27 19:39:03 vm postfix/smtp[1]: ABCDE12348: to=<a@b>, relay=none, dsn=5.0.0, status=bou"));
    w.event(LogEvent::Lines {
        source: 0,
        lines: ls,
        backfill: false,
        unparsed: 0,
    });
    assert_eq!(w.pane.rows(&w.shared.mail_log).count(), 3);
    for (zoomed, h) in [(true, 24), (false, 8)] {
        let b = w.draw(80, h, zoomed);
        for c in b.content() {
            assert!(
                !c.symbol().chars().any(crate::sanitize::is_unsafe_char),
                "unsafe char drawn: {:?}",
                c.symbol()
            );
        }
    }
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("ABCDE12345".into()), cx)));
    let b = w.draw(80, 24, true);
    for c in b.content() {
        assert!(!c.symbol().chars().any(crate::sanitize::is_unsafe_char));
    }
    // an ESC byte shows as `\e`, the two characters `\e` that were in the line as `\\e`
    assert!(
        w.screen(80, 24, true)
            .contains(r"Evidence: \e[2J\e[31mred \u{202e}evil\0 \u{9b}31m, not \\e[0m"),
        "{}",
        w.screen(80, 24, true)
    );
    insta::assert_snapshot!("failures_hostile_detail_80x24", w.screen(80, 24, true));
}

#[test]
fn the_category_filter_cycles_through_the_causes_that_have_rows() {
    use super::classify::Category;
    use std::collections::BTreeSet;
    let mut w = World::loaded();
    // what the rows under the other filters hold, in the categories' order
    let present = |w: &World| -> Vec<Category> {
        let set: BTreeSet<Category> = w
            .shared
            .mail_log
            .outcomes()
            .iter()
            .filter(|o| w.pane.status.accepts(o.status))
            .filter_map(|o| o.category)
            .collect();
        set.into_iter().collect()
    };
    let cycle = |w: &mut World| -> Vec<Category> {
        let mut seen = Vec::new();
        loop {
            w.action(FailuresAction::CycleCategory);
            let Some(c) = w.pane.category else {
                return seen;
            };
            assert!(
                w.pane.rows(&w.shared.mail_log).count() > 0,
                "{c:?} has no rows"
            );
            seen.push(c);
            assert!(seen.len() <= Category::ALL.len(), "no end: {seen:?}");
        }
    };
    let all = present(&w);
    assert!(all.len() >= 5, "the corpus has several causes: {all:?}");
    assert!(all.len() < Category::ALL.len());
    assert_eq!(
        cycle(&mut w),
        all,
        "each cause with rows once, then all again"
    );
    // under a status filter, only the causes of those rows
    w.action(FailuresAction::CycleStatus);
    assert_eq!(w.pane.status, StatusFilter::Only(RowStatus::Deferred));
    let deferred = present(&w);
    assert!(
        !deferred.is_empty() && deferred.len() < all.len(),
        "{deferred:?}"
    );
    assert_eq!(cycle(&mut w), deferred);
}

#[test]
fn a_log_quiet_for_the_hour_says_how_old_its_newest_line_is() {
    let mut w = World::following();
    w.feed(
        "Nov 27 17:35:00 vm postfix/smtp[7]: ABCDE12345: to=<a@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)",
        true,
    );
    // the overview tile's first line: not "no failures, 0 sent", which reads as all quiet
    let tile = w.screen(80, 6, false);
    assert!(
        tile.contains("hour: no log line, newest 2h05m ago   day: no failures, 1 sent"),
        "{tile}"
    );
    // a line in the hour: the hour's counts again
    w.feed(
        "Nov 27 19:39:00 vm postfix/smtp[7]: BCDEF12345: to=<b@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)",
        false,
    );
    let tile = w.screen(80, 6, false);
    assert!(
        tile.contains("hour: no failures, 1 sent   day: no failures, 2 sent"),
        "{tile}"
    );
}

#[test]
fn a_message_a_rule_held_says_it_is_on_hold_and_how_to_release_it() {
    let mut w = World::following();
    w.feed(
        "Nov 27 19:30:00 vm postfix/pickup[5]: 05B5398C67A: uid=0 from=<app@example.com>
Nov 27 19:30:00 vm postfix/cleanup[6]: 05B5398C67A: hold: header Subject: hold-me from local; from=<app@example.com> to=<hold-me@example.org>: held for review",
        false,
    );
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("05B5398C67A".into()), cx)));
    let s = w.screen(80, 24, true);
    let flat = s
        .lines()
        .map(|l| l.trim_matches(['│', ' ']))
        .collect::<Vec<_>>()
        .join(" ");
    for said in [
        "Message 05B5398C67A  held time ",
        "state     on hold in the queue: not tried until released (postsuper -H 05B5398C67A)",
        "postcat -q 05B5398C67A, then postsuper -H 05B5398C67A",
        "Evidence: held by a HOLD rule until released: header Subject: hold-me from local;",
    ] {
        assert!(flat.contains(said), "{said}\n{s}");
    }
}

#[test]
fn a_line_stamped_after_now_is_in_no_window_and_said_apart() {
    let mut w = World::following();
    w.feed(
        "Nov 27 19:39:00 vm postfix/smtp[7]: BCDEF12345: to=<b@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)",
        true,
    );
    // a clock three hours ahead for one line: not a bounce of the last hour (or the next
    // four), but one that says to check the clock
    w.feed(
        "Nov 27 22:41:00 vm postfix/smtp[7]: CDEF012345: to=<c@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <c@example.net>: Recipient address rejected: User unknown)",
        false,
    );
    let tile = w.screen(80, 6, false);
    assert!(
        tile.contains(
            "1 stamped ahead (clock?)  hour: no failures, 1 sent   day: no failures, 1 sent"
        ),
        "{tile}"
    );
    // ahead into tomorrow: the row shows its date, not a time that reads as this morning's
    w.feed(
        "Nov 28 03:00:00 vm postfix/smtp[7]: DEF0123456: to=<d@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <d@example.net>: Recipient address rejected: User unknown)",
        false,
    );
    let tile = w.screen(80, 6, false);
    assert!(tile.contains("2 stamped ahead (clock?)"), "{tile}");
    assert!(
        tile.contains("Nov 28 bounced") && !tile.contains("03:00:00"),
        "{tile}"
    );
}

#[test]
fn lines_not_understood_are_counted_in_words_that_agree() {
    let mut w = World::following();
    w.event(LogEvent::BackfillDone {
        source: 0,
        lines: 0,
        files: 1,
    });
    let mut not_understood = |n: u64| {
        w.event(LogEvent::Lines {
            source: 0,
            lines: Vec::new(),
            backfill: false,
            unparsed: n,
        });
        w.screen(80, 8, true)
    };
    let s = not_understood(1);
    assert!(s.contains("(inotify) · 1 line not understood"), "{s}");
    let s = not_understood(2);
    assert!(s.contains("(inotify) · 3 lines not understood"), "{s}");
}

#[test]
fn the_status_says_how_the_log_is_watched_now() {
    let mut w = World::following();
    let s = w.screen(80, 8, true);
    assert!(s.contains("following /var/log/mail.log (inotify)"), "{s}");
    // the follower lost its watch (the directory replaced, the inotify limit reached)
    w.event(LogEvent::State {
        source: 0,
        state: SourceState::Following,
        notify: false,
    });
    let s = w.screen(80, 8, true);
    assert!(s.contains("following /var/log/mail.log (polling)"), "{s}");
    w.event(LogEvent::State {
        source: 0,
        state: SourceState::Following,
        notify: true,
    });
    let s = w.screen(80, 8, true);
    assert!(s.contains("following /var/log/mail.log (inotify)"), "{s}");
}

/// A bounce through SES whose notification SES refused too (MAILER-DAEMON is not verified), and
/// a throttled message requeued with `postsuper -r` that then went out: lines as a private
/// Postfix relaying through the SES stand-in wrote them.
const SES_INCIDENT: &str = "\
Nov 27 19:19:59 mx1 postfix/pickup[28629]: 770B79CE43E: uid=0 from=<billing@example.com>
Nov 27 19:19:59 mx1 postfix/cleanup[29027]: 770B79CE43E: message-id=<20261127191959.770B79CE43E@mx1.example.com>
Nov 27 19:19:59 mx1 postfix/qmgr[28630]: 770B79CE43E: from=<billing@example.com>, size=299, nrcpt=1 (queue active)
Nov 27 19:19:59 mx1 postfix/smtp[29054]: 770B79CE43E: to=<bob@example.net>, relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:44889, delay=0.14, delays=0.01/0.03/0.06/0.04, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: billing@example.com (in reply to end of DATA command))
Nov 27 19:19:59 mx1 postfix/cleanup[29027]: 9889A9CE445: message-id=<20261127191959.9889A9CE445@mx1.example.com>
Nov 27 19:19:59 mx1 postfix/qmgr[28630]: 9889A9CE445: from=<>, size=2543, nrcpt=1 (queue active)
Nov 27 19:19:59 mx1 postfix/bounce[29069]: 770B79CE43E: sender non-delivery notification: 9889A9CE445
Nov 27 19:19:59 mx1 postfix/qmgr[28630]: 770B79CE43E: removed
Nov 27 19:19:59 mx1 postfix/smtp[29037]: 9889A9CE445: to=<billing@example.com>, relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:44889, conn_use=2, delay=0.05, delays=0/0/0/0.04, dsn=5.0.0, status=bounced (host email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: MAILER-DAEMON@mx1.example.com (in reply to end of DATA command))
Nov 27 19:19:59 mx1 postfix/qmgr[28630]: 9889A9CE445: removed
Nov 27 19:20:11 mx1 postfix/pickup[28629]: 9F65A9CE4C7: uid=0 from=<noreply@example.com>
Nov 27 19:20:11 mx1 postfix/cleanup[29027]: 9F65A9CE4C7: message-id=<20261127192011.9F65A9CE4C7@mx1.example.com>
Nov 27 19:20:11 mx1 postfix/qmgr[28630]: 9F65A9CE4C7: from=<noreply@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:20:11 mx1 postfix/smtp[29033]: 9F65A9CE4C7: to=<customer7@example.net>, relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:44889, delay=0.1, delays=0.01/0/0.05/0.04, dsn=4.0.0, status=deferred (host email-smtp.us-east-1.amazonaws.com[127.0.0.1] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command))
Nov 27 19:22:35 mx1 postfix/postsuper[3518]: 9F65A9CE4C7: requeued
Nov 27 19:22:35 mx1 postfix/pickup[1341]: 67FC09CE023: uid=102 from=<noreply@example.com> orig_id=9F65A9CE4C7
Nov 27 19:22:35 mx1 postfix/cleanup[3025]: 67FC09CE023: message-id=<20261127192011.9F65A9CE4C7@mx1.example.com>
Nov 27 19:22:35 mx1 postfix/qmgr[1340]: 67FC09CE023: from=<noreply@example.com>, size=413, nrcpt=1 (queue active)
Nov 27 19:22:35 mx1 postfix/smtp[3524]: 67FC09CE023: to=<customer7@example.net>, relay=email-smtp.us-east-1.amazonaws.com[127.0.0.1]:44889, delay=144, delays=144/0.05/0.06/0.06, dsn=2.0.0, status=sent (250 Ok 0100018c92a8e9a3-0000001a-6e86-434b-801a-92a8e9a34bbd-000000)
Nov 27 19:22:35 mx1 postfix/qmgr[1340]: 67FC09CE023: removed
";

/// With no sender column (60 columns and less), the rows of a bounce notice say they are one: a
/// notice that SES refused reads as mail to billing@ failing, not as billing@'s own mail.
#[test]
fn a_notice_says_so_where_the_sender_column_is_left_out() {
    let mut w = World::following();
    w.feed(SES_INCIDENT, false);
    let s = w.screen(60, 20, true);
    assert!(!s.contains("SENDER"), "{s}");
    let rows: Vec<&str> = s.lines().filter(|l| l.contains("19:19:59")).collect();
    assert_eq!(rows.len(), 3, "{s}");
    for (row, status, rcpt) in [
        (rows[0], "lost", "<> billing@example.com"),
        (rows[1], "bounced", "<> billing@example.com"),
        (rows[2], "bounced", "bob@example.net"),
    ] {
        assert!(row.contains(status) && row.contains(rcpt), "{row}\n{s}");
    }
    assert!(!rows[2].contains("<>"), "{s}");
}

/// The detail's state line follows the message to where it ended: a bounce whose notification
/// was lost does not read as "returned to sender", and a requeued message says what its new
/// copy did.
#[test]
fn detail_state_follows_the_notification_and_the_requeued_copy() {
    let mut w = World::following();
    w.event(LogEvent::Lines {
        source: 0,
        lines: lines(SES_INCIDENT),
        backfill: false,
        unparsed: 0,
    });
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("770B79CE43E".into()), cx)));
    let s = w.screen(80, 24, true);
    // what a person reads: the words inside the border, rows joined
    let read = |s: &str| {
        s.replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        read(&s).contains(
            "state bounced, but its bounce notification 9889A9CE445 was LOST too: the sender was never told"
        ),
        "{s}"
    );
    assert!(!s.contains("returned to sender"), "{s}");
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("9F65A9CE4C7".into()), cx)));
    let s = w.screen(80, 24, true);
    assert!(
        read(&s).contains("now 67FC09CE023: delivered and removed from the queue"),
        "{s}"
    );
}

/// Moving up from the bottom of the table moves the selection, not the rows: the window stays
/// where going down left it, as in the Queue pane.
#[test]
fn moving_up_from_the_bottom_keeps_the_rows_in_place() {
    let mut w = World::loaded();
    let table = |w: &World| -> Vec<String> {
        let s = w.screen(80, 24, true);
        let rows: Vec<String> = s
            .lines()
            .skip_while(|l| !l.contains("TIME"))
            .skip(1)
            .take(5)
            .map(str::to_string)
            .collect();
        assert_eq!(rows.len(), 5, "{s}");
        rows
    };
    // to the last of the 17 rows, more than the table shows
    for _ in 0..20 {
        w.with_cx(|p, cx| p.on_nav(Nav::Down, cx));
    }
    assert_eq!(w.pane.selected, 16);
    let at_bottom = table(&w);
    w.with_cx(|p, cx| p.on_nav(Nav::Up, cx));
    assert_eq!(w.pane.selected, 15);
    assert_eq!(table(&w), at_bottom, "the rows moved");
}

/// The corpus's message deleted with `postsuper -d` (real Postfix lines) reads as deleted in its
/// detail, with what that means and what to do, not as lost mail.
#[test]
fn detail_of_a_message_deleted_with_postsuper_says_deleted_not_lost() {
    let mut w = World::loaded();
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("45AF0C8907".into()), cx)));
    let s = w.screen(100, 40, true);
    let read = s
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(read.contains("state deleted by postsuper -d"), "{s}");
    assert!(
        read.contains(
            "What it means: Someone deleted the message from the queue with postsuper -d"
        ),
        "{s}"
    );
    assert!(
        read.contains("What to do: Nothing, if the deletion was meant"),
        "{s}"
    );
    assert!(!read.contains("LOST"), "{s}");
}

/// The detail of a sender's failure names the route the Senders pane read for it (the map entry
/// or relayhost, and whether there are SASL credentials for that relay, never the secret), and
/// says plainly when the relay setup has not been read or may be another instance's.
#[test]
fn the_detail_names_the_senders_route_from_the_senders_read() {
    use crate::mail::senders::maps::parse_table;
    use crate::mail::senders::source::MapContent;
    use std::sync::Arc;

    let mut w = World::loaded();
    assert!(w.with_cx(|p, cx| p.on_jump(&Jump::LogHistory("40A53C8900".into()), cx)));
    let s = w.screen(80, 30, true);
    assert!(
        s.contains("route     not known yet: the Senders pane has not read the relay setup"),
        "{s}"
    );

    // not in the sender map: the relayhost, which has no credentials in the password map
    let mut snap = crate::mail::senders::model::tests::snapshot(false, false);
    w.shared.relay = Some(Arc::new(snap.clone()));
    let s = w.screen(120, 30, true);
    assert!(
        s.contains(
            "route     [mail.isp.example]:587 (relayhost: no map entry); no SASL credentials for this relay"
        ),
        "{s}"
    );

    // in the sender map, to SES, whose credentials exist: said so, the secret never shown
    let (entries, _) = parse_table(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         root@localhost [email-smtp.us-east-1.amazonaws.com]:587\n",
    );
    snap.relay_maps[0].content = MapContent::Table(entries);
    w.shared.relay = Some(Arc::new(snap));
    let s = w.screen(160, 30, true);
    assert!(
        s.contains(
            "route     [email-smtp.us-east-1.amazonaws.com]:587 (hash:/etc/postfix/sender_relay line 2); SASL credentials found"
        ),
        "{s}"
    );
    assert!(
        !s.contains("SuperSecret") && !s.contains("AKIAEXAMPLEUSER"),
        "{s}"
    );

    // two instances: the route is the Senders pane's instance's, and said to be
    w.shared.several_instances = true;
    let s = w.screen(200, 30, true);
    assert!(
        s.contains(
            "route     if sent through instance default: [email-smtp.us-east-1.amazonaws.com]:587"
        ),
        "{s}"
    );
}

/// Refusals at reception with a 4xx code (greylisting, a lookup that failed) are for now only:
/// the hour's and the day's counts say how many of the rejected they are, as `opsdeck summary`
/// counts them, with the same numbers on the same lines.
#[test]
fn refusals_for_now_are_counted_apart_as_the_summary_counts_them() {
    let text = "\
Nov 27 19:30:08 vm postfix/smtpd[3001]: NOQUEUE: reject: RCPT from mail.example.net[203.0.113.9]: 450 4.2.0 <x@example.com>: Recipient address rejected: Greylisted, see http://postgrey.example/ ; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<mail.example.net>
Nov 27 19:30:09 vm postfix/smtpd[3001]: NOQUEUE: reject: RCPT from mail.example.net[203.0.113.9]: 450 4.1.8 <b@nowhere.example>: Sender address rejected: Domain not found; from=<b@nowhere.example> to=<y@example.com> proto=ESMTP helo=<mail.example.net>
Nov 27 19:30:10 vm postfix/smtpd[3001]: NOQUEUE: reject: RCPT from unknown[203.0.113.10]: 554 5.7.1 <z@elsewhere.example>: Relay access denied; from=<spam@bad.example> to=<z@elsewhere.example> proto=ESMTP helo=<bad>
Nov 27 19:31:00 vm postfix/smtp[7]: ABCDE12345: to=<a@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)
";
    let mut w = World::following();
    w.feed(text, false);
    let r = super::summary::build(
        &[std::path::PathBuf::from("-")],
        None,
        10,
        &mut text.as_bytes(),
    );
    assert_eq!((r.status.rejected, r.status.rejected_temporary), (3, 2));
    let said = format!(
        "{} sent · {} rejected ({} of them 4xx)",
        r.status.sent, r.status.rejected, r.status.rejected_temporary
    );
    let tile = w.screen(120, 6, false);
    assert!(
        tile.contains(&format!("hour: {said}   day: {said}")),
        "{said}\n{tile}"
    );
    // too long for one line of an 80-column tile: the hour's and the day's side by side
    let tile = w.screen(80, 6, false);
    assert!(
        tile.contains("│hour/day: 1/1 sent · 3/3 rejected (2/2 4xx) "),
        "{tile}"
    );
    // only 5xx refusals: nothing said apart
    let mut w = World::following();
    w.feed(text.lines().nth(2).unwrap(), false);
    let tile = w.screen(120, 6, false);
    assert!(
        tile.contains("hour: 0 sent · 1 rejected   day: 0 sent · 1 rejected"),
        "{tile}"
    );
}

const BOUNCE_19_00: &str = "Nov 27 19:00:00 vm postfix/smtp[7]: CDEF012345: to=<c@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <c@example.net>: Recipient address rejected: User unknown)";
const SENT_19_39: &str = "Nov 27 19:39:00 vm postfix/smtp[7]: BCDEF12345: to=<b@example.net>, relay=127.0.0.1[127.0.0.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)";

/// The rows and counts kept between changes are what a walk over every outcome finds, after
/// each kind of change: new lines, lines that push the oldest outcomes out, each filter, and
/// time passing with no new line. Each step changes what the walk finds, so a kept copy that
/// was not renewed would be seen.
#[test]
fn the_kept_rows_and_counts_follow_every_change() {
    let mut w = World::following();
    // fewer outcomes kept than the corpus has: each new one pushes the oldest out
    w.shared.mail_log = MailLog::with_limits(Limits {
        outcomes: 20,
        ..Limits::default()
    });
    w.feed(CORPUS, true);
    assert_eq!(w.shared.mail_log.outcomes().len(), 20);
    let mut last = w.kept_is_fresh("the corpus");
    let mut check = |w: &World, after: &str| {
        let now = w.kept_is_fresh(after);
        assert_ne!(now, last, "{after} changes the rows or the counts");
        last = now;
    };

    w.feed(BOUNCE_19_00, false);
    check(&w, "a new failure");
    let first = w.pane.rows(&w.shared.mail_log).next().unwrap().to.clone();
    assert_eq!(first.as_str(), "c@example.net", "newest first");
    // a delivery is no row of the failures, but the outcome it pushes out moves every row
    w.feed(SENT_19_39, false);
    check(&w, "a delivery pushing the oldest outcome out");

    w.action(FailuresAction::CycleStatus);
    check(&w, "the status filter");
    w.action(FailuresAction::ClearFilters);
    check(&w, "clearing the filters");
    w.action(FailuresAction::CycleCategory);
    check(&w, "the category filter");
    w.action(FailuresAction::ClearFilters);
    let sender = w
        .pane
        .rows(&w.shared.mail_log)
        .find_map(|o| o.from.as_ref().filter(|f| !f.is_empty()))
        .expect("a row with a sender")
        .as_str()
        .to_string();
    w.with_cx(|pane, cx| pane.on_prompt("failures.sender", sender, cx));
    check(&w, "the sender filter");
    w.action(FailuresAction::ClearFilters);
    w.with_cx(|pane, cx| pane.on_prompt("failures.domain", "example.com".into(), cx));
    check(&w, "the domain filter");
    w.action(FailuresAction::ClearFilters);
    w.with_cx(|pane, cx| pane.set_filter("user unknown", cx));
    check(&w, "the text filter");

    // an hour on, the bounce has left the hour's counts, with no new line
    w.tick_at(now() + chrono::Duration::minutes(61));
    check(&w, "time passing");
}

/// Rows kept from one model are never taken for another's, even at the same count of lines:
/// a model replaced by a fresh one that has read as many lines has rows of its own.
#[test]
fn the_kept_rows_of_one_model_are_not_taken_for_anothers() {
    let mut w = World::following();
    w.feed(BOUNCE_19_00, false);
    assert_eq!(w.pane.rows(&w.shared.mail_log).count(), 1);
    let mut other = MailLog::default();
    for line in lines(SENT_19_39) {
        other.ingest(line);
    }
    assert_eq!(other.lines, w.shared.mail_log.lines);
    assert_eq!(w.pane.cached_rows(&other), None);
    assert_eq!(w.pane.rows(&other).count(), 0, "a sent mail is no failure");
}

/// The hour's counts move as mail leaves the hour with no new line: the tile is drawn from
/// counts taken again when a minute begins, not kept from when the last line came.
#[test]
fn the_hours_counts_move_as_time_passes_with_no_new_line() {
    let mut w = World::following();
    w.feed(&format!("{BOUNCE_19_00}\n{SENT_19_39}"), false);
    let tile = w.screen(80, 6, false);
    assert!(
        tile.contains("hour: 1 sent · 1 bounced   day: 1 sent · 1 bounced"),
        "{tile}"
    );
    w.tick_at(Local.with_ymd_and_hms(2026, 11, 27, 20, 5, 0).unwrap());
    let tile = w.screen(80, 6, false);
    assert!(
        tile.contains("hour: no failures, 1 sent   day: 1 sent · 1 bounced"),
        "{tile}"
    );
    w.kept_is_fresh("time passing");
}

/// A row's reason is the server's reply: the relay column already names the server Postfix
/// quotes (`host NAME[ADDR] said: `), and the SMTP stage is in the detail. A reply quoted from
/// another server than the row's relay keeps its name.
#[test]
fn rows_show_the_reply_beside_its_relay() {
    let mut w = World::new();
    w.event(LogEvent::Lines {
        source: 0,
        lines: lines(
            "Nov 27 19:40:00 vm postfix/smtp[1]: ABCDE12345: to=<a@b.example>, relay=mx.b.example[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.1] said: 550 5.1.1 <a@b.example>: no such user (in reply to RCPT TO command))\n\
             Nov 27 19:40:01 vm postfix/smtp[1]: ABCDE12346: to=<c@d.example>, relay=mx.d.example[192.0.2.3]:25, delay=1, delays=1/0/0/0, dsn=4.0.0, status=deferred (host mx2.d.example[192.0.2.4] said: 451 try later (in reply to MAIL FROM command))",
        ),
        backfill: false,
        unparsed: 0,
    });
    let wide = w.screen(180, 12, true);
    assert!(
        wide.contains("mx.b.example[192.0.2.1]:25 550 5.1.1 <a@b.example>: no such user  "),
        "{wide}"
    );
    assert!(
        wide.contains(
            "mx.d.example[192.0.2.3]:25 host mx2.d.example[192.0.2.4] said: 451 try later  "
        ),
        "{wide}"
    );
    // at 80 columns the selected row's reply is under the table, the newest first
    let narrow = w.screen(80, 12, true);
    assert!(
        narrow.contains("│host mx2.d.example[192.0.2.4] said: 451 try later "),
        "{narrow}"
    );
    w.with_cx(|p, cx| p.on_nav(Nav::Down, cx));
    let narrow = w.screen(80, 12, true);
    assert!(
        narrow.contains("│550 5.1.1 <a@b.example>: no such user "),
        "{narrow}"
    );
}
