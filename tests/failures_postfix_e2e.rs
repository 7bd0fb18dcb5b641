//! End to end: a real private Postfix relays to the SES-like endpoint; the log it writes is followed
//! by the real file source and fed to the Failures pane; the shared model then holds exactly the
//! sent, bounced, deferred and lost messages, with the right categories.

mod support;

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::sync::{Arc, atomic::AtomicBool, atomic::Ordering};
use std::time::{Duration, Instant};

use opsdeck::app::effect::Effect;
use opsdeck::app::pane::{Cx, Pane};
use opsdeck::app::shared::Shared;
use opsdeck::mail::log::classify::Category;
use opsdeck::mail::log::model::{MessageState, RowStatus};
use opsdeck::mail::log::source::run_file_source;
use opsdeck::mail::log::{FailuresPane, LogConfig, LogEvent};
use opsdeck::mail::queue::QueueEffect;
use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

struct Source {
    rx: mpsc::Receiver<LogEvent>,
    stop: Arc<AtomicBool>,
}

impl Drop for Source {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn follow(cfg: LogConfig) -> Source {
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    std::thread::spawn(move || {
        let path = cfg.files[0].clone();
        run_file_source(0, &path, &cfg, &mut |ev| {
            !s2.load(Ordering::SeqCst) && tx.send(ev).is_ok()
        });
    });
    Source { rx, stop }
}

#[test]
fn model_holds_exactly_what_postfix_did() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["good@example.com".into()],
        ..SesOptions::default()
    });
    // retries are slow here: the deferred message must stay deferred while we look
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("minimal_backoff_time", "300s")
            .main_cf("maximal_backoff_time", "600s")
            .main_cf("queue_run_delay", "300s"),
    );
    let cfg = LogConfig {
        files: vec![pf.log_path()],
        backfill_hours: 1,
        poll_interval_ms: 100,
        ..LogConfig::default()
    };
    let source = follow(cfg.clone());
    let mut pane = FailuresPane::with_config(&cfg);
    let mut shared = Shared::default();
    let mut refreshes = 0;
    let pump = |pane: &mut FailuresPane, shared: &mut Shared, refreshes: &mut usize| {
        while let Ok(ev) = source.rx.recv_timeout(Duration::from_millis(50)) {
            let mut cx = Cx {
                now: chrono::Local::now(),
                access: None,
                shared,
            };
            for e in pane.on_event(ev, &mut cx) {
                if matches!(e, Effect::Queue(QueueEffect::Refresh)) {
                    *refreshes += 1;
                }
            }
        }
    };

    pf.submit(
        "good@example.com",
        "a@example.net",
        "Subject: one\n\nhello\n",
    );
    pf.submit(
        "good@example.com",
        "b@example.net",
        "Subject: two\n\nhello\n",
    );
    pf.submit(
        "bad@example.org",
        "c@example.net",
        "Subject: three\n\nhello\n",
    );
    // the bad sender's bounce goes back to it through SES, and bounces too
    pf.wait_for_log(
        |l| {
            l.matches("status=sent").count() >= 2
                && l.matches("status=bounced").count() >= 2
                && l.matches(": removed").count() >= 4
        },
        Duration::from_secs(40),
    )
    .unwrap();
    ses.set_throttle(true);
    pf.submit(
        "good@example.com",
        "d@example.net",
        "Subject: four\n\nhello\n",
    );
    pf.wait_for_log(|l| l.contains("status=deferred"), Duration::from_secs(40))
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        pump(&mut pane, &mut shared, &mut refreshes);
        let o = shared.mail_log.outcomes();
        let done = o.iter().filter(|x| x.status == RowStatus::Sent).count() == 2
            && o.iter().any(|x| x.status == RowStatus::Lost)
            && o.iter().any(|x| x.status == RowStatus::Deferred);
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "model incomplete: {o:#?}\nlog:\n{}",
            pf.log()
        );
    }
    // let any stragglers arrive, then check exactly
    std::thread::sleep(Duration::from_millis(300));
    pump(&mut pane, &mut shared, &mut refreshes);
    let log = &shared.mail_log;
    let o = log.outcomes();
    let pairs = |st: RowStatus| -> BTreeSet<(String, String)> {
        o.iter()
            .filter(|x| x.status == st)
            .map(|x| {
                (
                    x.from.as_deref().unwrap_or("?").to_string(),
                    x.to.to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs(RowStatus::Sent),
        BTreeSet::from([
            ("good@example.com".into(), "a@example.net".into()),
            ("good@example.com".into(), "b@example.net".into())
        ])
    );
    assert_eq!(
        pairs(RowStatus::Bounced),
        BTreeSet::from([
            ("bad@example.org".into(), "c@example.net".into()),
            ("".into(), "bad@example.org".into())
        ])
    );
    assert_eq!(
        pairs(RowStatus::Deferred),
        BTreeSet::from([("good@example.com".into(), "d@example.net".into())])
    );
    assert_eq!(
        pairs(RowStatus::Lost),
        BTreeSet::from([("".into(), "bad@example.org".into())])
    );
    assert!(pairs(RowStatus::Expired).is_empty() && pairs(RowStatus::Rejected).is_empty());

    let bounced = o
        .iter()
        .find(|x| x.status == RowStatus::Bounced && &*x.to == "c@example.net")
        .unwrap();
    assert_eq!(bounced.category, Some(Category::SesSenderNotVerified));
    let ses_detail = bounced.ses.as_ref().unwrap();
    assert_eq!(
        (ses_detail.region.as_str(), ses_detail.identities.clone()),
        ("US-EAST-1", vec!["bad@example.org".to_string()])
    );
    let bad_id = bounced.queue_id.clone().unwrap();
    // the bounce notification (From: MAILER-DAEMON@...) was refused by SES as well
    let ndr = o
        .iter()
        .find(|x| x.status == RowStatus::Bounced && &*x.to == "bad@example.org")
        .unwrap();
    assert_eq!(ndr.category, Some(Category::SesSenderNotVerified));
    assert!(
        ndr.ses.as_ref().unwrap().identities[0].starts_with("MAILER-DAEMON@"),
        "{ndr:?}"
    );
    let lost = o.iter().find(|x| x.status == RowStatus::Lost).unwrap();
    assert_eq!(lost.bounce_of.as_ref(), Some(&bad_id));
    assert_eq!(
        log.final_status(bad_id.as_str()).unwrap().state,
        MessageState::Returned
    );
    let history = log.history(bad_id.as_str());
    assert!(
        history
            .iter()
            .any(|l| l.contains("its bounce notification")),
        "{history:?}"
    );

    let deferred = o.iter().find(|x| x.status == RowStatus::Deferred).unwrap();
    assert_eq!(deferred.category, Some(Category::SesThrottling));
    let d_id = deferred.queue_id.clone().unwrap();
    assert_eq!(
        log.final_status(d_id.as_str()).unwrap().state,
        MessageState::Queued
    );
    // the deferred message is the one in the queue
    let queue = pf.postqueue_json();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0]["queue_id"].as_str(), Some(d_id.as_str()));

    let since = chrono::Local::now().fixed_offset() - chrono::Duration::hours(1);
    let good = log.sender_outcomes("good@example.com", since);
    assert_eq!((good.sent, good.deferred, good.bounced), (2, 1, 0));
    // live queue-changing lines asked the Queue pane to refresh (backfill did not)
    assert!(refreshes > 0);
    // the source is fine; the tab's mark is the bounce that could not be delivered either
    assert_eq!(
        pane.health().problem.as_deref(),
        Some("1 lost in the last hour")
    );
}

/// Postfix logs `relay=none` for mail it did not even try, the next hop having failed just
/// before ("delivery temporarily suspended"): the detail says that, and where the earlier
/// failures were, not "relay none", which reads as "no relay configured".
#[test]
fn a_suspended_next_hop_reads_as_not_tried() {
    use opsdeck::app::pane::{Nav, ViewCx};
    let closed_relay = support::closed_port::ClosedPort::bind();
    let closed = closed_relay.port();
    let pf = PostfixHarness::start(
        PostfixOptions::default()
            .relayhost(format!("[127.0.0.1]:{closed}"))
            // one delivery at a time: the first failure is a whole failed cohort, and the next
            // hop is suspended for the messages behind it
            .main_cf("initial_destination_concurrency", "1")
            .main_cf("minimal_backoff_time", "300s")
            .main_cf("maximal_backoff_time", "600s")
            .main_cf("queue_run_delay", "300s"),
    );
    let cfg = LogConfig {
        files: vec![pf.log_path()],
        backfill_hours: 1,
        poll_interval_ms: 100,
        ..LogConfig::default()
    };
    let source = follow(cfg.clone());
    for i in 0..4 {
        pf.submit(
            "app@example.com",
            &format!("r{i}@example.net"),
            "Subject: x\n\nhello\n",
        );
    }
    let log = pf
        .wait_for_log(
            |l| l.contains("delivery temporarily suspended"),
            Duration::from_secs(40),
        )
        .unwrap();
    let suspended_to = log
        .lines()
        .find(|l| l.contains("delivery temporarily suspended"))
        .and_then(|l| l.split("to=<").nth(1))
        .and_then(|t| t.split('>').next())
        .unwrap()
        .to_string();
    let mut pane = FailuresPane::with_config(&cfg);
    let mut shared = Shared::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !shared
        .mail_log
        .outcomes()
        .iter()
        .any(|o| o.reason.contains("temporarily suspended"))
    {
        assert!(Instant::now() < deadline, "not in the model:\n{log}");
        if let Ok(ev) = source.rx.recv_timeout(Duration::from_millis(50)) {
            let mut cx = Cx {
                now: chrono::Local::now(),
                access: None,
                shared: &mut shared,
            };
            pane.on_event(ev, &mut cx);
        }
    }
    let mut cx = Cx {
        now: chrono::Local::now(),
        access: None,
        shared: &mut shared,
    };
    pane.set_filter(&suspended_to, &mut cx);
    pane.on_nav(Nav::Top, &mut cx);
    pane.on_enter(&mut cx);
    let theme = opsdeck::ui::theme::Theme::fallback();
    let view = ViewCx {
        theme: &theme,
        now: chrono::Local::now(),
        focused: true,
        zoomed: true,
        read_only: true,
        shared: &shared,
    };
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 24)).unwrap();
    term.draw(|f| pane.render(f, f.area(), &view)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut screen = String::new();
    for y in 0..24 {
        for x in 0..120 {
            screen.push_str(buf[(x, y)].symbol());
        }
        screen.push('\n');
    }
    assert!(
        screen.contains(&format!("to        {suspended_to}")),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "relay     not tried (relay=none): next hop suspended after failures at \
             127.0.0.1[127.0.0.1]:{closed} "
        )),
        "{screen}"
    );
    assert!(!screen.contains("relay     none"), "{screen}");
}
