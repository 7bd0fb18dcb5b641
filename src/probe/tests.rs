//! Pane tests: update (keys, ticks, events -> state + effects) and view
//! snapshots at 80x24 and 160x48 built from real verdicts over hand-made
//! runs. No network, no terminal.

use chrono::{Local, TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use super::checks::{self, RawRun, WalkEnd};
use super::client::{CertInfo, Exchange, TlsInfo};
use super::echo::{HeaderOrder, ReplyParts, build_reply};
use super::*;
use crate::app::pane::{Cx, Nav, Pane, ViewCx};
use crate::app::shared::Shared;
use crate::ui::theme::Theme;

const NOW: i64 = 1_795_000_000;

fn now() -> DateTime<Local> {
    Local.timestamp_opt(NOW, 0).unwrap()
}

fn config() -> Config {
    let mut c = Config::default();
    c.probe.echo.enabled = true;
    c.probe.targets = vec![
        TargetConfig {
            name: "www".into(),
            url: "https://www.example.com/".into(),
            resolve: Some("10.0.1.12".parse().unwrap()),
            expect_final: None,
            http_url: None,
            echo_url: Some("https://www.example.com/.opsdeck-echo".into()),
            backend_url: Some("http://10.0.2.20:8080/".into()),
            expect_client: None,
            ca_file: None,
            reads: Default::default(),
        },
        TargetConfig {
            name: "shop".into(),
            url: "https://shop.example.com/".into(),
            resolve: None,
            expect_final: None,
            http_url: None,
            echo_url: None,
            backend_url: None,
            expect_client: None,
            ca_file: None,
            reads: Default::default(),
        },
    ];
    c
}

fn reply(path: &str, fwd: &[(&str, &str)], at: i64) -> super::echo::EchoReply {
    let cfg = EchoConfig {
        trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
        ..EchoConfig::default()
    };
    build_reply(
        ReplyParts {
            at,
            peer: "10.0.1.12:40112".parse().unwrap(),
            local: "10.0.2.20:8099".parse().unwrap(),
            pp: None,
            method: "GET".into(),
            path: path.into(),
            host: Some("www.example.com".into()),
            forwarding: fwd
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            forwarding_order: HeaderOrder::Arrival,
            // Host is line 1; the forwarding headers follow it.
            forwarding_lines: (2..2 + fwd.len()).collect(),
            header_count: 6,
        },
        &cfg,
    )
}

fn hop(url: &str, status: u16, location: Option<&str>) -> Exchange {
    Exchange {
        url: url.into(),
        status: Some(status),
        location: location.map(String::from),
        connect: Some(std::time::Duration::from_millis(12)),
        first_byte: Some(std::time::Duration::from_millis(48)),
        ..Default::default()
    }
}

/// A balancer that passes client headers through, with a cert expiring soon.
fn www_report() -> TargetReport {
    let c = config();
    let mut main = hop("https://www.example.com/", 200, None);
    main.tls_time = Some(std::time::Duration::from_millis(31));
    main.hsts = Some("max-age=63072000".into());
    main.tls = Some(TlsInfo {
        version: "TLS 1.3".into(),
        chain: vec![CertInfo {
            subject: "CN=www.example.com".into(),
            issuer: "CN=R11, O=Let's Encrypt".into(),
            not_after: NOW + 9 * 86_400 + 100,
            names: vec!["www.example.com".into(), "example.com".into()],
        }],
        verify_error: None,
        path: Some(vec![0]),
        name_matches: true,
    });
    let sent = |h: &[(&str, &str)]| {
        let mut e = hop("https://www.example.com/.opsdeck-echo", 200, None);
        e.sent = h
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        e
    };
    let forged = [
        ("X-Forwarded-For", "203.0.113.66"),
        ("X-Forwarded-Proto", "http"),
        ("Forwarded", "for=203.0.113.66;proto=http"),
        ("X-Real-IP", "203.0.113.66"),
    ];
    let run = RawRun {
        main: Some(main),
        walk: vec![
            hop(
                "http://www.example.com/",
                301,
                Some("https://www.example.com/"),
            ),
            hop("https://www.example.com/", 200, None),
        ],
        walk_end: Some(WalkEnd::Final),
        baseline: Some((
            sent(&[]),
            Ok(reply(
                "/.opsdeck-echo",
                &[
                    ("x-forwarded-for", "198.51.100.23"),
                    ("x-forwarded-proto", "https"),
                    ("x-forwarded-port", "443"),
                ],
                NOW - 5,
            )),
        )),
        forged: Some((
            sent(&forged),
            Ok(reply(
                "/.opsdeck-echo",
                &[
                    ("x-forwarded-for", "203.0.113.66"),
                    ("x-forwarded-proto", "http"),
                    ("forwarded", "for=203.0.113.66;proto=http"),
                    ("x-real-ip", "203.0.113.66"),
                ],
                NOW - 4,
            )),
        )),
        two_xff: Some((
            sent(&[
                ("X-Forwarded-For", "198.51.100.1"),
                ("X-Forwarded-For", "198.51.100.2"),
            ]),
            Ok(reply(
                "/.opsdeck-echo",
                &[
                    ("x-forwarded-for", "198.51.100.1"),
                    ("x-forwarded-for", "198.51.100.2"),
                ],
                NOW - 3,
            )),
        )),
        backend: Some(Exchange {
            url: "http://10.0.2.20:8080/".into(),
            error: Some("connect 10.0.2.20:8080: Connection refused (os error 111)".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    checks::report(&c.probe.targets[0], &c.probe, &run, NOW - 20)
}

fn shop_report() -> TargetReport {
    let c = config();
    let run = RawRun {
        main: Some(hop(
            "https://shop.example.com/",
            301,
            Some("https://shop.example.com/"),
        )),
        walk: vec![
            hop(
                "http://shop.example.com/",
                301,
                Some("https://shop.example.com/"),
            ),
            hop(
                "https://shop.example.com/",
                301,
                Some("https://shop.example.com/"),
            ),
        ],
        walk_end: Some(WalkEnd::SelfRedirect("https://shop.example.com/".into())),
        ..Default::default()
    };
    checks::report(&c.probe.targets[1], &c.probe, &run, NOW - 20)
}

fn pane() -> ProbePane {
    let mut p = ProbePane::new(&config());
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: now(),
        access: None,
        shared: &mut shared,
    };
    p.on_event(
        ProbeEvent::EchoStarted(Clean::new("10.0.2.20:8099")),
        &mut cx,
    );
    p.on_event(ProbeEvent::Report(0, Box::new(www_report())), &mut cx);
    p.on_event(ProbeEvent::Report(1, Box::new(shop_report())), &mut cx);
    let recent = vec![
        EchoLine::from_reply(&reply(
            "/.opsdeck-echo",
            &[
                ("x-forwarded-for", "198.51.100.1"),
                ("x-forwarded-for", "198.51.100.2"),
            ],
            NOW - 3,
        )),
        EchoLine::from_reply(&reply(
            "/login\u{1b}[2J",
            &[
                ("x-forwarded-for", "203.0.113.66"),
                ("forwarded", "for=203.0.113.66;proto=https"),
                ("x-forwarded-for", "10.0.1.12"),
                ("via", "1.1 lb\u{1b}]0;pwned\u{7}"),
            ],
            NOW - 4,
        )),
        EchoLine::from_reply(&reply("/", &[], NOW - 70)),
    ];
    p.on_event(
        ProbeEvent::Echo {
            recent,
            requests: 1234,
            refused: 2,
            rejected: 5,
            last_rejected: Some((
                NOW - 40,
                Clean::new(
                    "from 10.0.1.12:40999: PROXY v2: CRC32C mismatch: header says 1234abcd, computed 0badf00d",
                ),
            )),
        },
        &mut cx,
    );
    p
}

fn draw(p: &ProbePane, w: u16, h: u16, zoomed: bool) -> String {
    let theme = Theme::fallback();
    let shared = Shared::default();
    let cx = ViewCx {
        theme: &theme,
        now: now(),
        focused: true,
        zoomed,
        read_only: true,
        shared: &shared,
    };
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| p.render(f, Rect::new(0, 0, w, h), &cx)).unwrap();
    let b = t.backend().buffer().clone();
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

fn with_cx<R>(f: impl FnOnce(&mut Cx<'_>) -> R) -> R {
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: now(),
        access: None,
        shared: &mut shared,
    };
    f(&mut cx)
}

#[test]
fn verdicts_of_the_fixture_are_what_they_show() {
    let r = www_report();
    let lv = |c: checks::Check| r.verdicts.iter().find(|v| v.check == c).unwrap().level;
    assert_eq!(lv(checks::Check::Tls), Level::Warn);
    assert_eq!(lv(checks::Check::Forged), Level::Fail);
    assert_eq!(lv(checks::Check::TwoXff), Level::Fail);
    assert_eq!(lv(checks::Check::Backend), Level::Ok);
    assert_eq!(shop_report().worst(), Level::Fail);
}

#[test]
fn first_tick_runs_all_then_waits_for_the_interval() {
    let mut p = ProbePane::new(&config());
    let eff = with_cx(|cx| p.on_tick(cx));
    assert!(matches!(
        eff.as_slice(),
        [Effect::Probe(ProbeEffect::RunAll)]
    ));
    assert!(p.targets.iter().all(|t| t.running));
    assert!(with_cx(|cx| p.on_tick(cx)).is_empty(), "not again at once");
    // Reports arrive; an interval later it runs again.
    with_cx(|cx| p.on_event(ProbeEvent::Report(0, Box::new(www_report())), cx));
    with_cx(|cx| p.on_event(ProbeEvent::Report(1, Box::new(shop_report())), cx));
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: now() + chrono::Duration::seconds(p.interval_secs as i64),
        access: None,
        shared: &mut shared,
    };
    assert!(matches!(
        p.on_tick(&mut cx).as_slice(),
        [Effect::Probe(ProbeEffect::RunAll)]
    ));
}

#[test]
fn a_clock_set_back_does_not_stop_the_probe() {
    // the clock stepped back an hour after a run: waiting for it to pass the last run again
    // left the probe idle for that hour, its old verdicts shown as current
    let mut p = ProbePane::new(&config());
    with_cx(|cx| p.on_tick(cx));
    with_cx(|cx| p.on_event(ProbeEvent::Report(0, Box::new(www_report())), cx));
    with_cx(|cx| p.on_event(ProbeEvent::Report(1, Box::new(shop_report())), cx));
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: now() - chrono::Duration::hours(1),
        access: None,
        shared: &mut shared,
    };
    assert!(
        matches!(
            p.on_tick(&mut cx).as_slice(),
            [Effect::Probe(ProbeEffect::RunAll)]
        ),
        "the probe waits for the clock"
    );
    // and then keeps its interval from the new time
    assert!(p.on_tick(&mut cx).is_empty(), "not again at once");
}

#[test]
fn the_echo_selection_stays_on_its_request_as_new_ones_arrive() {
    let mut p = pane();
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    with_cx(|cx| p.on_nav(Nav::Down, cx));
    assert_eq!(p.echo_selected, 1);
    let chosen = p.echo.recent[1].path.clone();
    // two newer requests come in at the top
    let mut recent = vec![
        EchoLine::from_reply(&reply("/new-1", &[], NOW)),
        EchoLine::from_reply(&reply("/new-2", &[], NOW - 1)),
    ];
    recent.extend(p.echo.recent.iter().cloned());
    with_cx(|cx| {
        p.on_event(
            ProbeEvent::Echo {
                recent,
                requests: 1236,
                refused: 2,
                rejected: 5,
                last_rejected: None,
            },
            cx,
        )
    });
    assert_eq!(p.echo_selected, 3);
    assert_eq!(p.echo.recent[p.echo_selected].path, chosen);
}

/// While the targets are looked at, the echo list's selection waits on the newest request: e
/// opens the list on the newest, not on whichever request was newest when the first came in,
/// pushed down out of sight by the live traffic since.
#[test]
fn the_echo_list_opens_on_the_newest_request() {
    let mut p = pane();
    assert_eq!(p.focus, Focus::Targets);
    for k in 0..30 {
        let mut recent = vec![EchoLine::from_reply(&reply(
            &format!("/live{k:02}"),
            &[],
            NOW - 30 + k,
        ))];
        recent.extend(p.echo.recent.iter().cloned());
        with_cx(|cx| {
            p.on_event(
                ProbeEvent::Echo {
                    recent,
                    requests: 1234 + k as u64,
                    refused: 2,
                    rejected: 5,
                    last_rejected: None,
                },
                cx,
            )
        });
    }
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    assert_eq!(p.echo_selected, 0);
    let s = draw(&p, 80, 22, true);
    assert!(s.contains("GET /live29"), "the newest in sight:\n{s}");
    with_cx(|cx| p.on_enter(cx));
    assert_eq!(p.echo.recent[p.echo_selected].path.as_str(), "/live29");
}

/// The echo requests scroll like every other list: moving back up from the bottom moves the
/// selection within the rows shown, not the rows under a selection pinned to the last line.
#[test]
fn the_echo_list_window_moves_as_little_as_it_must() {
    let mut p = pane();
    let recent = (0..30)
        .map(|k| EchoLine::from_reply(&reply(&format!("/req{k:02}"), &[], NOW - k)))
        .collect();
    with_cx(|cx| {
        p.on_event(
            ProbeEvent::Echo {
                recent,
                requests: 30,
                refused: 0,
                rejected: 0,
                last_rejected: None,
            },
            cx,
        )
    });
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    with_cx(|cx| p.on_nav(Nav::Bottom, cx));
    let s = draw(&p, 80, 24, true);
    assert!(s.contains("GET /req29"), "{s}");
    let first_shown = |s: &str| {
        s.lines()
            .find_map(|l| l.split("GET /req").nth(1).map(|r| r[..2].to_string()))
            .unwrap()
    };
    let top = first_shown(&s);
    for _ in 0..3 {
        with_cx(|cx| p.on_nav(Nav::Up, cx));
    }
    let s = draw(&p, 80, 24, true);
    assert_eq!(first_shown(&s), top, "the rows shown stay put:\n{s}");
    assert!(s.contains("GET /req29"), "{s}");
}

/// With the echo requests shown no target is marked, so p (probe the selected target) does not
/// probe one out of sight: it says how to choose one, and r still probes them all.
#[test]
fn p_probes_no_hidden_target_from_the_echo_list() {
    let mut p = pane();
    with_cx(|cx| p.on_nav(Nav::Down, cx));
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    let eff = with_cx(|cx| p.on_action(ProbeAction::RunSelected, cx));
    match eff.as_slice() {
        [Effect::Notice(n)] => assert!(
            n.contains("choose a target first (e: back to the targets)"),
            "{n}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(p.targets.iter().all(|t| !t.running));
    let eff = with_cx(|cx| p.on_action(ProbeAction::RunAll, cx));
    assert!(matches!(
        eff.as_slice(),
        [Effect::Probe(ProbeEffect::RunAll)]
    ));
    // back on the targets, p is the marked one's
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    let eff = with_cx(|cx| p.on_action(ProbeAction::RunSelected, cx));
    assert!(matches!(
        eff.as_slice(),
        [Effect::Probe(ProbeEffect::RunOne(1))]
    ));
}

#[test]
fn keys_run_and_switch_lists() {
    let mut p = pane();
    let eff = with_cx(|cx| p.on_action(ProbeAction::RunAll, cx));
    assert!(matches!(
        eff.as_slice(),
        [Effect::Probe(ProbeEffect::RunAll)]
    ));
    with_cx(|cx| p.on_nav(Nav::Down, cx));
    let eff = with_cx(|cx| p.on_action(ProbeAction::RunSelected, cx));
    assert!(matches!(
        eff.as_slice(),
        [Effect::Probe(ProbeEffect::RunOne(1))]
    ));
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    assert_eq!(p.focus, Focus::Echo);
    with_cx(|cx| p.on_nav(Nav::Bottom, cx));
    assert_eq!(p.echo_selected, 2);
    with_cx(|cx| p.on_enter(cx));
    assert!(p.detail);
    assert!(p.on_back());
    assert!(!p.on_back());
    // No binding changes a host.
    assert!(p.bindings().iter().all(|b| !b.writes));
}

#[test]
fn filter_narrows_targets() {
    let mut p = pane();
    with_cx(|cx| p.set_filter("shop", cx));
    assert_eq!(p.visible(), vec![1]);
    assert_eq!(p.filter(), "shop");
}

/// A filter that matches no target says so, in the zoomed list and the tile, where the grid
/// stood empty as if no target were configured.
#[test]
fn a_filter_that_hides_every_target_says_so() {
    let mut p = pane();
    with_cx(|cx| p.set_filter("nosuch", cx));
    let s = draw(&p, 80, 24, true);
    assert!(
        s.contains("│no target matches /nosuch (2 configured)"),
        "{s}"
    );
    let s = draw(&p, 80, 4, false);
    assert!(
        s.contains("│no target matches /nosuch (2 configured)"),
        "{s}"
    );
}

#[test]
fn health_names_failing_targets() {
    let p = pane();
    let h = p.health();
    assert_eq!(h.problem.as_deref(), Some("probe failed: www, shop"));
}

/// An echo listener that could not start is what the tab's '!' stands for: it leads the tile,
/// whose first line is all an overview of 20 rows keeps of it, above the targets' results.
#[test]
fn an_echo_that_could_not_start_leads_the_tile() {
    let mut p = ProbePane::new(&config());
    let err = ProbeError::Bind {
        addr: "127.0.0.1:8099".parse().unwrap(),
        source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
    };
    with_cx(|cx| p.on_event(ProbeEvent::EchoFailed(Clean::new(&err.to_string())), cx));
    with_cx(|cx| p.on_event(ProbeEvent::Report(1, Box::new(shop_report())), cx));
    assert!(p.health().problem.is_some());
    let s = draw(&p, 60, 3, false);
    assert!(
        s.lines()
            .nth(1)
            .unwrap()
            .contains("│echo listener: cannot bind 127.0.0.1:8099"),
        "{s}"
    );
    // taller, the targets follow it, and it is not said twice
    let s = draw(&p, 80, 6, false);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[1].contains("echo listener: cannot bind"), "{s}");
    assert!(lines[2].contains("-    www"), "{s}");
    assert!(lines[3].contains("FAIL shop"), "{s}");
    assert_eq!(s.matches("cannot bind").count(), 1, "{s}");
}

/// In a tile 60 columns wide a request's row has no room for its forwarding headers: it ends
/// with the request whole instead of "x-forwarded-f…"; at 80 the first header is read whole.
#[test]
fn the_tile_gives_up_forwarding_headers_it_cannot_show_whole() {
    let mut p = pane();
    p.echo.recent[0] = EchoLine::from_reply(&reply(
        "/api/v1/orders?id=7&page=2",
        &[("x-forwarded-for", "198.51.100.1")],
        NOW - 3,
    ));
    let s = draw(&p, 60, 8, false);
    assert!(
        s.contains("│3s   198.51.100.1    GET /api/v1/orders?id=7&page=2"),
        "{s}"
    );
    assert!(!s.contains("x-forwarded-f…"), "{s}");
    let s = draw(&p, 80, 8, false);
    assert!(
        s.contains("GET /api/v1/orders?id… x-forwarded-for: 198.51.100.1"),
        "{s}"
    );
}

/// Zoomed in an ssh window of 60 columns, an echo listener that could not start is said whole,
/// down to what to change, in the room its list would have had; and not followed by an empty
/// list that says no request has reached it yet, as if it were listening.
#[test]
fn an_echo_that_could_not_start_is_said_whole_in_the_list() {
    let mut p = ProbePane::new(&config());
    let err = ProbeError::Bind {
        addr: "127.0.0.1:8099".parse().unwrap(),
        source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
    };
    with_cx(|cx| p.on_event(ProbeEvent::EchoFailed(Clean::new(&err.to_string())), cx));
    let s = draw(&p, 60, 18, true);
    let flat = s
        .lines()
        .map(|l| l.trim_start_matches('│').trim_end_matches('│').trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("give this one another [probe.echo] listen to see them here"),
        "{s}"
    );
    assert!(!s.contains('…'), "{s}");
    assert!(!s.contains("no request has reached"), "{s}");
    assert!(!s.contains("age  client"), "{s}");
}

#[test]
fn tile_80x8() {
    let s = draw(&pane(), 80, 8, false);
    assert!(s.contains("FAIL www"), "{s}");
    assert!(s.contains("1234 requests"), "{s}");
    assert!(!s.contains('\u{1b}'), "escape reached the screen");
    insta::assert_snapshot!(s);
}

/// At 80x24 the overview gives the tile two lines: the echo's, and one for
/// the targets, which then counts them by result instead of "… 2 more"
/// with none shown.
#[test]
fn tile_80x4_counts_the_targets_it_has_no_room_for() {
    let s = draw(&pane(), 80, 4, false);
    assert!(s.contains("2 targets: 2 FAIL"), "{s}");
    assert!(s.contains("1234 requests"), "{s}");
    let mut p = pane();
    p.targets[0].report = None;
    let s = draw(&p, 80, 5, false);
    assert!(s.contains("FAIL shop"), "{s}");
    // one row shown, the rest counted
    let mut p = pane();
    p.targets.push(p.targets[0].clone());
    p.targets[2].running = true;
    let s = draw(&p, 80, 5, false);
    assert!(s.contains("FAIL www"), "{s}");
    assert!(s.contains("… 2 more: 1 FAIL, 1 probing"), "{s}");
}

/// On a wall or at a glance over ssh the tile says what the worst failure
/// means before which checks said so; at 80x24 the overview gives it two
/// lines, the target's and the echo's, and both stay.
#[test]
fn tile_says_what_the_worst_failure_means_at_80x24_and_40_columns() {
    let mut p = pane();
    p.targets.truncate(1);
    let s = draw(&p, 80, 4, false);
    assert!(
        s.contains(
            "│FAIL www            the app trusts a forged X-Forwarded-For · forged headers,"
        ),
        "{s}"
    );
    assert!(s.contains("│echo 10.0.2.20:8099  1234 requests"), "{s}");
    let s = draw(&p, 40, 4, false);
    assert!(s.contains("│FAIL www            the app trusts a"), "{s}");
    assert!(s.contains("│echo 10.0.2.20:8099  1234 requests"), "{s}");
    // no room for a row of its own: the counts, then the worst one's meaning
    let s = draw(&pane(), 80, 4, false);
    assert!(
        s.contains("│2 targets: 2 FAIL · www: the app trusts a forged"),
        "{s}"
    );
}

/// The zoomed list keeps its grid of checks, and says under each target that
/// is not all right what that means, cut to the width.
#[test]
fn list_says_what_each_failing_target_means_at_80x24_and_40_columns() {
    let s = draw(&pane(), 80, 24, true);
    assert!(
        s.contains("│  the app trusts a forged X-Forwarded-For · forged headers"),
        "{s}"
    );
    assert!(
        s.contains("│  visitors get a redirect loop · redirects, certificate failed"),
        "{s}"
    );
    let s = draw(&pane(), 40, 24, true);
    assert!(
        s.contains("│  the app trusts a forged X-Forwarded…│"),
        "{s}"
    );
    assert!(s.contains("│  visitors get a redirect loop"), "{s}");
}

/// More failing targets than rows and meanings fit: every target keeps its row (the selection
/// stays in sight), the meanings give way.
#[test]
fn many_failing_targets_keep_their_rows_before_the_meanings() {
    let mut p = pane();
    for k in 0..8 {
        let mut t = p.targets[0].clone();
        t.name = Clean::new(&format!("site{k}"));
        p.targets.push(t);
    }
    let s = draw(&p, 80, 24, true);
    assert!(s.contains("│site7          FAIL"), "{s}");
    assert!(!s.contains("│  the app trusts"), "{s}");
}

/// The echo requests in an ssh window (60x20, 80x24): each request takes two rows or more, its
/// forwarding headers under it across the width, whole headers to a row, so the header names
/// and the addresses after them are read whole where a last column of 14 characters cut them
/// to "x-forwarded-f…"; an IPv6 client is shown whole; and once the echo requests are looked
/// at (e), the targets give them half the pane.
#[test]
fn the_echo_list_reads_whole_header_names_at_60x20_and_80x24() {
    let mut p = pane();
    p.echo.recent.insert(
        0,
        EchoLine::from_reply(&reply(
            "/.opsdeck-echo",
            &[
                ("x-forwarded-for", "2001:db8:85a3::8a2e:370:7334"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "443"),
            ],
            NOW - 1,
        )),
    );
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    with_cx(|cx| p.on_nav(Nav::Down, cx));
    for (w, h) in [(60, 20), (80, 24)] {
        // the pane's part of the screen: less the tab line and the status bar
        let s = draw(&p, w, h - 2, true);
        assert!(
            s.contains("│     x-forwarded-for: 2001:db8:85a3::8a2e:370:7334;"),
            "{w}x{h}:\n{s}"
        );
        assert!(
            s.contains("│1s   2001:db8:85a3::8a2e:370:7334 GET /.opsdeck-echo"),
            "{w}x{h}:\n{s}"
        );
        for whole in [
            "x-forwarded-proto: https",
            "x-forwarded-port: 443",
            "x-forwarded-for: 198.51.100.1;",
            "x-forwarded-for: 198.51.100.2",
        ] {
            assert!(s.contains(whole), "{w}x{h}: {whole}\n{s}");
        }
        insta::assert_snapshot!(format!("echo_list_{w}x{h}"), s);
    }
    // a row left at the bottom starts the next request rather than standing blank
    let s = draw(&p, 60, 18, true);
    let last = s.lines().rev().nth(1).unwrap();
    assert_eq!(
        last.trim_end_matches('│').trim_end(),
        "│4s   203.0.113.66    GET /login\\e[2J",
        "{s}"
    );
    // wide, one row each, the forwarding headers in their column
    let s = draw(&p, 160, 48, true);
    assert!(
        s.contains("│3s   198.51.100.2    GET /.opsdeck-echo     x-forwarded-for: 198.51.100.1; x-forwarded-for: 198.51.100.2"),
        "{s}"
    );
}

/// At 80 columns, a request with more forwarding headers than the second row holds (nginx
/// setting four) starts them on the first row after the request, whole and in their order, so
/// both rows read every header without "…".
#[test]
fn forwarding_headers_too_many_for_one_row_start_after_the_request_at_80x24() {
    let mut p = pane();
    p.echo.recent.insert(
        0,
        EchoLine::from_reply(&reply(
            "/wp-admin/",
            &[
                ("x-forwarded-for", "198.51.100.23"),
                ("x-forwarded-proto", "https"),
                ("x-real-ip", "198.51.100.23"),
                ("x-forwarded-port", "443"),
            ],
            NOW - 1,
        )),
    );
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    let s = draw(&p, 80, 22, true);
    assert!(
        s.contains(
            "│1s   198.51.100.23   GET /wp-admin/  x-forwarded-for: 198.51.100.23;          │"
        ),
        "{s}"
    );
    assert!(
        s.contains(
            "│     x-forwarded-proto: https; x-real-ip: 198.51.100.23; x-forwarded-port: 443│"
        ),
        "{s}"
    );
    // what fits on the second row stays there alone: the first row's column is the request's
    assert!(
        s.contains("│     x-forwarded-for: 198.51.100.1; x-forwarded-for: 198.51.100.2"),
        "{s}"
    );
}

/// At 80 columns, four forwarding headers one of which is a long `via` (a balancer naming
/// itself) fill the first row and the second: the rest take a row of their own, whole, rather
/// than end the second in "via: 1.1 lb-eu-…". Selected, such a request is in sight whole, and
/// the one at the bottom of a full list keeps its headers on the rows left to it.
#[test]
fn a_long_via_among_four_headers_is_read_whole_at_80x24() {
    let mut p = pane();
    let four = |k: u32| {
        EchoLine::from_reply(&reply(
            &format!("/wp-admin/{k}"),
            &[
                ("x-forwarded-for", "198.51.100.23"),
                ("x-forwarded-proto", "https"),
                ("x-real-ip", "198.51.100.23"),
                (
                    "via",
                    "1.1 lb-eu-west-1a.internal.example.net (nginx/1.22.1)",
                ),
            ],
            NOW - i64::from(k),
        ))
    };
    p.echo.recent.insert(0, four(1));
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    let s = draw(&p, 80, 22, true);
    let rows: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("│1s "))
        .take(4)
        .map(|l| l.trim_end_matches('│').trim_end())
        .collect();
    assert_eq!(
        rows,
        [
            "│1s   198.51.100.23   GET /wp-admin/1  x-forwarded-for: 198.51.100.23;",
            "│     x-forwarded-proto: https; x-real-ip: 198.51.100.23;",
            "│     via: 1.1 lb-eu-west-1a.internal.example.net (nginx/1.22.1)",
            "│3s   198.51.100.2    GET /.opsdeck-echo",
        ],
        "{s}"
    );

    // many such requests: the last one selected is in sight with all its rows (the list ends
    // there)
    p.echo.recent = (1..=12).map(four).collect();
    with_cx(|cx| p.on_nav(Nav::Bottom, cx));
    let s = draw(&p, 80, 22, true);
    let tail: Vec<&str> = s
        .lines()
        .rev()
        .map(|l| l.trim_end_matches('│').trim_end())
        .skip(1)
        .skip_while(|l| *l == "│")
        .take(3)
        .collect();
    assert_eq!(
        tail,
        [
            "│     via: 1.1 lb-eu-west-1a.internal.example.net (nginx/1.22.1)",
            "│     x-forwarded-proto: https; x-real-ip: 198.51.100.23;",
            "│12s  198.51.100.23   GET /wp-admin/12  x-forwarded-for: 198.51.100.23;",
        ],
        "{s}"
    );
    // from the top, the request the list ends on gets the rows left: its headers there, cut
    with_cx(|cx| p.on_nav(Nav::Top, cx));
    let s = draw(&p, 80, 22, true);
    let last = s.lines().rev().nth(1).unwrap();
    assert!(
        last.starts_with(
            "│     x-forwarded-proto: https; x-real-ip: 198.51.100.23; via: 1.1 lb-eu-"
        ),
        "{s}"
    );
}

/// More targets than rows (an ssh window, a long [[probe.targets]] list): the list scrolls with
/// the selection, the way the other panes' lists do, and the line under it says where the
/// selection is and what is out of sight.
#[test]
fn a_long_target_list_scrolls_with_the_selection_at_80x24_and_60x20() {
    let mut p = pane();
    p.targets.truncate(1);
    for k in 1..20 {
        let mut t = p.targets[0].clone();
        t.name = Clean::new(&format!("site{k:02}"));
        if k % 3 == 0 {
            t.report = None;
        }
        p.targets.push(t);
    }
    for _ in 0..17 {
        with_cx(|cx| p.on_nav(Nav::Down, cx));
    }
    assert_eq!(p.selected, 17);
    let s = draw(&p, 80, 24, true);
    assert!(
        s.contains("│site17         FAIL"),
        "the selection in sight:\n{s}"
    );
    assert!(
        s.contains("│18/20 · 3 above, 2 below: 4 FAIL, 1 not probed"),
        "{s}"
    );
    insta::assert_snapshot!("list_scrolled_80x24", s);
    let s = draw(&p, 60, 20, true);
    assert!(
        s.contains("│site17        FAIL"),
        "the selection in sight:\n{s}"
    );
    assert!(s.contains("│18/20 · 7 above, 2 below:"), "{s}");
    // the echo request under the list keeps its forwarding header's name whole
    assert!(
        s.contains("│     x-forwarded-for: 198.51.100.1; x-forwarded-for: 198.…│"),
        "{s}"
    );
    insta::assert_snapshot!("list_scrolled_60x20", s);
    // back up one: the window stays, the selection moves within it
    with_cx(|cx| p.on_nav(Nav::Up, cx));
    let again = draw(&p, 60, 20, true);
    assert!(again.contains("│17/20 · 7 above, 2 below:"), "{again}");
    // to the top: the first rows again
    with_cx(|cx| p.on_nav(Nav::Top, cx));
    let s = draw(&p, 60, 20, true);
    assert!(s.contains("│www           FAIL"), "{s}");
    assert!(s.contains("│1/20 · 0 above, 9 below:"), "{s}");
}

/// `opsdeck check` leads its probe line, and with it the Nagios status line, with the words the
/// tile leads with: what the worst problem means for the site, then which checks said so.
#[test]
fn check_leads_with_the_words_of_the_tile() {
    use crate::check::{Format, Report};
    let mut rep = Report::default();
    check::grade_target(&Config::default(), &www_report(), &mut rep);
    check::grade_target(&Config::default(), &shop_report(), &mut rep);
    let text = rep.render(Format::Text, now());
    let nagios = rep.render(Format::Nagios, now());
    let lead = |r: &TargetReport| r.headline().unwrap().plain().to_string();
    let (www, shop) = (lead(&www_report()), lead(&shop_report()));
    assert!(
        text.contains(&format!("CRITICAL probe     www: {www}; FAIL ")),
        "{text}"
    );
    assert!(
        text.contains(&format!("CRITICAL probe     shop: {shop}; FAIL ")),
        "{text}"
    );
    // the status line says what each target's problems mean alone: the second target is not
    // pushed out of sight by the first one's evidence, which the lines below it carry
    assert!(
        rep.summary().starts_with(&format!(
            "probe: www: {www}; the app trusts a forged X-Forwarded-For line; \
             certificate expires in 9 day(s) (warning at 21, critical at 7); \
             probe: shop: {shop}; visitors cannot connect over HTTPS"
        )),
        "{}",
        rep.summary()
    );
    // the Nagios first line, cut to a phone's notification, says the first of them
    let first = nagios.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "OPSDECK CRITICAL - probe: www: {www}; the app trusts a forged X-Forwarded-For line; "
        )),
        "{nagios}"
    );
    assert!(first.ends_with("... (+1 more below)"), "{nagios}");
    assert!(!first.contains("FAIL forged headers"), "{nagios}");
    assert!(
        nagios.contains(&format!(
            "\nCRITICAL probe: www: {www}; FAIL forged headers: "
        )),
        "{nagios}"
    );
    // the same words as the tile
    let tile = draw(&pane(), 120, 8, false);
    assert!(tile.contains(&format!("www            {www}")), "{tile}");
    assert!(tile.contains(&format!("shop           {shop}")), "{tile}");
}

/// An ssh window of 60 columns cut the grid's last check: backend direct was a column of "…".
/// Every check keeps its column; the age gives way.
#[test]
fn the_grid_keeps_every_check_at_60_columns() {
    let s = draw(&pane(), 60, 20, true);
    assert!(
        s.contains("│target        result redir cert  base  forge 2xff  direct │"),
        "{s}"
    );
    assert!(
        s.contains("│www           FAIL   ok    WARN  ok    FAIL  FAIL  ok     │"),
        "{s}"
    );
    assert!(
        s.contains("│shop          FAIL   FAIL  FAIL  skip  -     -     skip   │"),
        "{s}"
    );
}

#[test]
fn list_80x24() {
    let s = draw(&pane(), 80, 24, true);
    assert!(s.contains("target"), "{s}");
    assert!(s.contains("\\e[2J"), "escape shown as text: {s}");
    insta::assert_snapshot!(s);
}

#[test]
fn an_echo_that_could_not_start_says_why_whole_at_80x24() {
    // the port taken by a second opsdeck: the hint is the end of the line
    let err = ProbeError::Bind {
        addr: "127.0.0.1:8099".parse().unwrap(),
        source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
    };
    let mut p = pane();
    with_cx(|cx| p.on_event(ProbeEvent::EchoFailed(Clean::new(&err.to_string())), cx));
    let s = draw(&p, 80, 24, true);
    assert!(
        s.contains("│echo listener: cannot bind 127.0.0.1:8099: address in use"),
        "{s}"
    );
    assert!(s.contains("[probe.echo] listen to see them here"), "{s}");
}

#[test]
fn list_160x48() {
    insta::assert_snapshot!(draw(&pane(), 160, 48, true));
}

#[test]
fn target_detail_80x24_and_scrolled() {
    let mut p = pane();
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 80, 24, true);
    assert!(s.contains("Verdicts"), "{s}");
    insta::assert_snapshot!("target_detail_80x24", s);
    with_cx(|cx| p.on_nav(Nav::PageDown, cx));
    with_cx(|cx| p.on_nav(Nav::PageDown, cx));
    with_cx(|cx| p.on_nav(Nav::PageDown, cx));
    insta::assert_snapshot!("target_detail_80x24_scrolled", draw(&p, 80, 24, true));
}

/// A target URL written with a user name and password (which the probe never sends): the list
/// and the detail show it without them.
#[test]
fn a_password_in_a_target_url_is_not_shown() {
    let mut c = config();
    c.probe.targets[0].url = "https://deploy:hunter2-not-real@www.example.com/".into();
    let mut p = ProbePane::new(&c);
    let list = draw(&p, 80, 24, true);
    with_cx(|cx| p.on_enter(cx));
    let detail = draw(&p, 80, 24, true);
    assert!(
        detail.contains("www https://***@www.example.com/"),
        "{detail}"
    );
    for s in [list, detail] {
        assert!(!s.contains("hunter2"), "{s}");
    }
}

/// The detail opens on what needs fixing: the failures first, the worst (the tile's headline) at
/// the top, the passing checks and their evidence after them. In the checks' fixed order the
/// first failure of a site was below the fold at 60x20, under the evidence of what passed.
#[test]
fn target_detail_puts_the_failures_first_at_60x20() {
    let mut p = pane();
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 60, 20, true);
    let row = |what: &str| {
        s.lines()
            .position(|l| l.starts_with(&format!("│{what}")))
            .unwrap_or(usize::MAX)
    };
    assert_eq!(row("FAIL forged headers: "), 5, "{s}");
    assert!(!s.contains("│ok   "), "the passing checks come after:\n{s}");
}

/// A verdict, its evidence and its fixes wrap under their own text: the left column, which the
/// eye runs down for FAIL and WARN, holds the levels alone (wrapped lines of an nginx fix began
/// at the border, reading as items of their own).
#[test]
fn the_detail_wraps_under_its_own_text_at_80x24_and_60x20() {
    let mut p = pane();
    with_cx(|cx| p.on_enter(cx));
    for (w, h) in [(60, 20), (80, 24)] {
        let s = draw(&p, w, h, true);
        let rows: Vec<&str> = s
            .lines()
            .skip_while(|l| !l.starts_with("│Verdicts"))
            .skip(1)
            .filter(|l| l.starts_with('│'))
            .collect();
        assert!(rows.len() > 8, "{s}");
        for r in &rows {
            let r = r.trim_start_matches('│');
            assert!(
                ["FAIL ", "WARN ", "ok   ", "skip ", "     "]
                    .iter()
                    .any(|lead| r.starts_with(lead)),
                "{r:?} in\n{s}"
            );
        }
    }
    let s = draw(&p, 80, 24, true);
    assert!(
        s.contains("│         (first proxy) or $proxy_add_x_forwarded_for with realip trust;"),
        "{s}"
    );
}

/// At 60 columns a half of the side-by-side headers held "x-forwarded-for: 198.51.100…": the
/// addresses to compare were cut. Narrow, what was sent and what the echo received are drawn
/// one under the other, whole.
#[test]
fn sent_and_received_are_stacked_whole_at_60_columns() {
    let mut p = pane();
    with_cx(|cx| p.on_enter(cx));
    // tall enough to hold the whole detail; the width is the ssh window's
    let s = draw(&p, 60, 120, true);
    let forged: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("│forged: sent"))
        .take(12)
        .map(|l| l.trim_end_matches('│').trim_end())
        .collect();
    assert_eq!(
        forged,
        [
            "│forged: sent",
            "│  X-Forwarded-For: 203.0.113.66",
            "│  X-Forwarded-Proto: http",
            "│  Forwarded: for=203.0.113.66;proto=http",
            "│  X-Real-IP: 203.0.113.66",
            "│received by the echo",
            "│  x-forwarded-for: 203.0.113.66",
            "│  x-forwarded-proto: http",
            "│  forwarded: for=203.0.113.66;proto=http",
            "│  x-real-ip: 203.0.113.66",
            // the site reads X-Forwarded-For: the client it computes from it
            "│client → 203.0.113.66 (first untrusted address in",
            "│         X-Forwarded-For, right to left)",
        ],
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.starts_with("│  x-forwarded-for: 198.51.100.23 ")),
        "{s}"
    );
    // 80 columns keep them side by side
    let s = draw(&p, 80, 120, true);
    assert!(
        s.contains("forged: sent                          │ received by the echo"),
        "{s}"
    );
}

/// In a redirect loop the Location of each hop is the finding; at 80 columns it was the tail of
/// the hop's row, cut with an ellipsis. A row with no room for it puts it on the row under.
#[test]
fn a_hop_keeps_its_location_whole_at_80_columns() {
    let mut p = pane();
    with_cx(|cx| p.on_nav(Nav::Down, cx));
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 80, 60, true);
    let hops: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("│hop "))
        .skip(1)
        .take(4)
        .collect();
    assert!(hops[0].starts_with("│301 "), "{s}");
    assert!(hops[0].contains("http://shop.example.com/ "), "{s}");
    assert!(
        hops[1].starts_with("│    → https://shop.example.com/ "),
        "{s}"
    );
    assert!(hops[2].contains("https://shop.example.com/ "), "{s}");
    assert!(
        hops[3].starts_with("│    → https://shop.example.com/ "),
        "{s}"
    );
    assert!(!hops.iter().any(|l| l.contains('…')), "{s}");
}

/// The TLS facts wrap instead of being cut: at 60 columns the verifier's reason ended in "…",
/// the part that says what to do about it.
#[test]
fn the_tls_facts_wrap_whole_at_60_columns() {
    let mut p = pane();
    let tls = p.targets[0].report.as_mut().unwrap().tls.as_mut().unwrap();
    tls.verify_error = Some(Clean::new(
        "issued by a CA this host does not trust (UnknownIssuer)",
    ));
    tls.issuer = Clean::new("CN=R11, O=Let's Encrypt, C=US, L=San Francisco, ST=California");
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 60, 120, true);
    let rows: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("│issuer  "))
        .take(4)
        .map(|l| l.trim_end_matches('│').trim_end())
        .collect();
    assert_eq!(
        rows,
        [
            "│issuer  CN=R11, O=Let's Encrypt, C=US, L=San Francisco,",
            "│        ST=California",
            "│not trusted: issued by a CA this host does not trust",
            "│             (UnknownIssuer)",
        ],
        "{s}"
    );
}

/// The days left count to an intermediate that expires before the leaf: the detail says which.
#[test]
fn an_intermediate_that_expires_first_is_named_in_the_detail_at_80_columns() {
    let mut p = pane();
    let tls = p.targets[0].report.as_mut().unwrap().tls.as_mut().unwrap();
    tls.days_left = Some(3);
    tls.chain_len = 2;
    tls.expires_first = Some(Clean::new(
        "intermediate certificate CN=R11, O=Let's Encrypt, C=US",
    ));
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 80, 120, true);
    let rows: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("│TLS 1.3"))
        .take(4)
        .map(|l| l.trim_end_matches('│').trim_end())
        .collect();
    assert_eq!(
        rows,
        [
            "│TLS 1.3, 2 in chain, 3 days left, name matches",
            "│subject CN=www.example.com",
            "│issuer  CN=R11, O=Let's Encrypt",
            "│first to expire: intermediate certificate CN=R11, O=Let's Encrypt, C=US",
        ],
        "{s}"
    );
}

#[test]
fn target_detail_160x48() {
    let mut p = pane();
    with_cx(|cx| p.on_enter(cx));
    insta::assert_snapshot!(draw(&p, 160, 48, true));
}

#[test]
fn echo_detail_80x24() {
    let mut p = pane();
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    with_cx(|cx| p.on_nav(Nav::Down, cx));
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 80, 24, true);
    assert!(s.contains("\\e]0;pwned\\x07"), "{s}");
    insta::assert_snapshot!(s);
}

/// A long X-Forwarded-For chain (a CDN in front of the balancer) wraps under the header's name:
/// the column of header line numbers stays clear, so each header is still told apart.
#[test]
fn a_long_forwarding_chain_wraps_under_its_name_at_60x20() {
    let mut p = pane();
    let chain = (1..=12)
        .map(|k| format!("198.51.100.{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let r = reply(
        "/",
        &[("x-forwarded-for", &chain), ("x-forwarded-proto", "https")],
        NOW,
    );
    with_cx(|cx| {
        p.on_event(
            ProbeEvent::Echo {
                recent: vec![EchoLine::from_reply(&r)],
                requests: 1,
                refused: 0,
                rejected: 0,
                last_rejected: None,
            },
            cx,
        )
    });
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 60, 20, true);
    let rows: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("Forwarding headers"))
        .skip(1)
        .take_while(|l| !l.trim_matches(|c| c == '│' || c == ' ').is_empty())
        .collect();
    assert!(rows.len() >= 3, "{s}");
    assert!(
        rows[0].starts_with("│  2 x-forwarded-for: 198.51.100.1,"),
        "{s}"
    );
    assert!(rows[1].starts_with("│    198.51.100."), "{s}");
    assert!(
        rows.last()
            .unwrap()
            .starts_with("│  3 x-forwarded-proto: https"),
        "{s}"
    );
    assert_eq!(s.matches("198.51.100.").count(), 12 + 1, "{s}");
}

#[test]
fn not_configured_says_so() {
    let p = ProbePane::new(&Config::default());
    let s = draw(&p, 80, 6, false);
    assert!(
        s.contains("No probe target: add a [[probe.targets]] table with the site's public URL."),
        "{s}"
    );
}

/// An echo request that came over the PROXY port with v2 TLVs: the detail
/// lists them in the order received, the list row sums them up.
#[test]
fn echo_detail_proxy_v2_tlvs_80x24() {
    use super::proxyproto::{ProxyHeader, ProxyTlv, SslInfo};
    let mut p = pane();
    let pp = ProxyHeader {
        version: 2,
        source: Some("198.51.100.7:51234".parse().unwrap()),
        destination: Some("10.0.2.20:443".parse().unwrap()),
        tlvs: vec![
            ProxyTlv::Alpn { value: "h2".into() },
            ProxyTlv::Authority {
                value: "www.example.com".into(),
            },
            ProxyTlv::Ssl(SslInfo {
                tls: true,
                cert_conn: true,
                version: Some("TLSv1.3".into()),
                cn: Some("alice\u{1b}[31m".into()),
                cipher: Some("TLS_AES_128_GCM_SHA256".into()),
                ..SslInfo::default()
            }),
            ProxyTlv::UniqueId {
                hex: "9f86d081884c7d65".into(),
            },
            ProxyTlv::Netns {
                value: "blue".into(),
            },
            ProxyTlv::Crc32c { value: 0x1234abcd },
        ],
    };
    let r = build_reply(
        ReplyParts {
            at: NOW - 2,
            peer: "10.0.1.12:40112".parse().unwrap(),
            local: "10.0.2.20:8098".parse().unwrap(),
            pp: Some(pp),
            method: "GET".into(),
            path: "/tls".into(),
            host: Some("www.example.com".into()),
            forwarding: vec![("x-forwarded-for".into(), "203.0.113.66".into())],
            forwarding_order: HeaderOrder::Arrival,
            forwarding_lines: vec![2],
            header_count: 2,
        },
        &EchoConfig::default(),
    );
    // The PROXY source is not a trusted proxy: it is the client, and the
    // X-Forwarded-For it sent is not believed.
    assert_eq!(r.client.addr.to_string(), "198.51.100.7");
    with_cx(|cx| {
        p.on_event(
            ProbeEvent::Echo {
                recent: vec![EchoLine::from_reply(&r)],
                requests: 1,
                refused: 0,
                rejected: 0,
                last_rejected: None,
            },
            cx,
        )
    });
    with_cx(|cx| p.on_action(ProbeAction::ToggleEcho, cx));
    let list = draw(&p, 160, 48, true);
    assert!(
        list.contains("PROXY v2 source 198.51.100.7:51234; ALPN h2; authority www.example.com"),
        "{list}"
    );
    with_cx(|cx| p.on_enter(cx));
    let s = draw(&p, 80, 24, true);
    assert!(s.contains("client CN=alice\\e[31m"), "{s}");
    insta::assert_snapshot!(s);
}

/// The probe's data is its targets' reports, read every `interval_secs`: the echo listener's
/// requests, which come when the balancer sends them, do not keep a probe that stopped looking
/// current. With `interval_secs = 0` (only when asked) nothing is awaited.
#[test]
fn the_probe_is_as_current_as_its_last_report() {
    use crate::app::pane::Polled;
    let mut p = pane();
    let later = now() + chrono::Duration::minutes(20);
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: later,
        access: None,
        shared: &mut shared,
    };
    p.on_event(
        ProbeEvent::Echo {
            recent: Vec::new(),
            requests: 1300,
            refused: 2,
            rejected: 5,
            last_rejected: None,
        },
        &mut cx,
    );
    assert_eq!(p.health().last_update, Some(later));
    assert_eq!(
        p.polled(),
        Some(Polled {
            every_secs: 300,
            last: Some(now()),
        })
    );
    p.interval_secs = 0;
    assert_eq!(p.polled(), None);
}
