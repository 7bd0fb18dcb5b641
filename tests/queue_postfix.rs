//! The Mail queue feature against a real private Postfix relaying to an
//! SES-like endpoint that throttles (454): the listing, every action (checked
//! with a second `postqueue -j`), postcat, the errors, and the pane driven
//! through its effects.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::access::{Mode, WriteAccess};
use opsdeck::app::effect::{Confirm, Effect, Runner, SourceEvent};
use opsdeck::app::pane::{Cx, Pane};
use opsdeck::app::shared::Shared;
use opsdeck::config::{Config, PostfixInstance};
use opsdeck::mail::log::classify::Category;
use opsdeck::mail::log::model::{MailLog, MessageState, RowStatus};
use opsdeck::mail::log::parse::{YearGuess, parse_line};
use opsdeck::mail::queue::commands::{self, Part, QueueOp};
use opsdeck::mail::queue::model::group_reasons;
use opsdeck::mail::queue::parse::parse_jsonl;
use opsdeck::mail::queue::{
    QueueAction, QueueEffect, QueueError, QueueEvent, QueueId, QueueName, QueuePane,
};
use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

/// A Postfix whose relay throttles everything, with retries far away so the
/// queue stays still while the test looks at it.
fn throttled() -> (SesSmtp, PostfixHarness) {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["example.com".into()],
        throttle: true,
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("queue_run_delay", "3600s")
            .main_cf("minimal_backoff_time", "3600s")
            .main_cf("maximal_backoff_time", "3600s"),
    );
    (ses, pf)
}

fn instance(pf: &PostfixHarness) -> PostfixInstance {
    PostfixInstance {
        name: "test".into(),
        config_dir: pf.config_dir(),
        command_prefix: Vec::new(),
    }
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// (queue_name, queue_id, sender, forced_expire) of every message, by a
/// second, independent `postqueue -j`.
fn queue_state(pf: &PostfixHarness) -> Vec<(String, String, String, bool)> {
    pf.postqueue_json()
        .iter()
        .map(|v| {
            (
                v["queue_name"].as_str().unwrap_or("").to_string(),
                v["queue_id"].as_str().unwrap_or("").to_string(),
                v["sender"].as_str().unwrap_or("").to_string(),
                v["forced_expire"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn id_of(pf: &PostfixHarness, sender: &str) -> QueueId {
    let s = queue_state(pf);
    let row = s
        .iter()
        .find(|r| r.2 == sender)
        .unwrap_or_else(|| panic!("no message from {sender} in {s:?}"));
    QueueId::parse(&row.1).unwrap()
}

fn queue_of(pf: &PostfixHarness, id: &QueueId) -> Option<(String, bool)> {
    queue_state(pf)
        .into_iter()
        .find(|r| r.1 == id.as_str())
        .map(|r| (r.0, r.3))
}

/// Submit one message from each sender and wait until all are deferred.
fn fill(pf: &PostfixHarness, senders: &[&str]) {
    for s in senders {
        pf.submit(
            s,
            "rcpt@example.net",
            &format!("Subject: from {s}\n\nhello\n"),
        );
    }
    wait_until("all messages deferred", Duration::from_secs(30), || {
        let st = queue_state(pf);
        st.len() == senders.len() && st.iter().all(|r| r.0 == "deferred")
    });
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn listing_deferred_held_and_many_recipients() {
    let (_ses, pf) = throttled();
    fill(&pf, &["one@example.com", "two@example.com"]);
    let rcpts: Vec<String> = (0..60)
        .map(|i| format!("user{i}@list.example.net"))
        .collect();
    let refs: Vec<&str> = rcpts.iter().map(|s| s.as_str()).collect();
    pf.submit_smtp("many@example.com", &refs, "Subject: many\r\n\r\nhi\r\n")
        .expect("smtp submit");
    wait_until(
        "the 60-recipient message deferred",
        Duration::from_secs(30),
        || {
            queue_state(&pf)
                .iter()
                .any(|r| r.2 == "many@example.com" && r.0 == "deferred")
        },
    );
    let rt = rt();
    let inst = instance(&pf);
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let held = id_of(&pf, "two@example.com");
    rt.block_on(commands::apply(
        &access,
        &inst,
        QueueOp::Hold,
        std::slice::from_ref(&held),
    ))
    .unwrap();

    let out = rt
        .block_on(commands::run(&commands::list(&inst, None), usize::MAX))
        .unwrap();
    let parsed = parse_jsonl(&out.stdout);
    assert_eq!(parsed.bad_lines, 0, "{:?}", parsed.first_bad);
    assert_eq!(parsed.entries.len(), 3);
    let many = parsed
        .entries
        .iter()
        .find(|e| e.sender.as_str() == "many@example.com")
        .unwrap();
    assert_eq!(many.recipients.len(), 60);
    assert_eq!(many.queue, QueueName::Deferred);
    assert!(
        many.recipients.iter().all(|r| r
            .reason
            .as_ref()
            .is_some_and(|(_, t)| t.contains("454 Throttling failure"))),
        "{many:?}"
    );
    let h = parsed.entries.iter().find(|e| e.id == held).unwrap();
    assert_eq!(h.queue, QueueName::Hold);
    let groups = group_reasons(parsed.entries.iter());
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].label, "SES throttling");
    assert_eq!(
        groups[0].cause,
        Some(opsdeck::mail::log::classify::Category::SesThrottling)
    );
    assert_eq!(groups[0].messages, 2);
    assert_eq!(groups[0].recipients, 61);

    // headers through postcat; the body bounded
    let hdr = rt
        .block_on(commands::run(
            &commands::postcat(&inst, &held, Part::Headers),
            64 * 1024,
        ))
        .unwrap();
    let text = String::from_utf8_lossy(&hdr.stdout);
    assert!(text.contains("Subject: from two@example.com"), "{text}");
    let body = rt
        .block_on(commands::run(
            &commands::postcat(&inst, &held, Part::Body),
            3,
        ))
        .unwrap();
    assert_eq!(body.stdout.len(), 3, "the body is bounded");
    assert!(body.cut);
}

#[test]
fn every_action_changes_the_queue() {
    let (ses, pf) = throttled();
    fill(
        &pf,
        &[
            "hold@example.com",
            "expire@example.com",
            "requeue@example.com",
            "delete@example.com",
            "now@example.com",
        ],
    );
    let rt = rt();
    let inst = instance(&pf);
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let apply = |op, id: &QueueId| {
        rt.block_on(commands::apply(
            &access,
            &inst,
            op,
            std::slice::from_ref(id),
        ))
        .unwrap_or_else(|e| panic!("{op:?}: {e}"))
    };

    // hold, then release
    let id = id_of(&pf, "hold@example.com");
    let o = apply(QueueOp::Hold, &id);
    assert_eq!(o.done, Some(1), "{o:?}");
    assert_eq!(queue_of(&pf, &id).unwrap().0, "hold");
    let o = apply(QueueOp::Release, &id);
    assert_eq!(o.done, Some(1), "{o:?}");
    assert_eq!(queue_of(&pf, &id).unwrap().0, "deferred");

    // force-expire (this Postfix is 3.5 or later)
    let v = commands::MailVersion::parse(&pf.postconf_get("mail_version")).unwrap();
    assert!(v.has_force_expire(), "{v:?}");
    let id = id_of(&pf, "expire@example.com");
    let o = apply(QueueOp::Expire, &id);
    assert_eq!(o.done, Some(1), "{o:?}");
    assert!(queue_of(&pf, &id).unwrap().1, "forced_expire set");

    // requeue gives a new id; pickup logs orig_id=. It takes mail out of hold (the requeue
    // dialog says so): this one is held first.
    let old = id_of(&pf, "requeue@example.com");
    apply(QueueOp::Hold, &old);
    assert_eq!(queue_of(&pf, &old).unwrap().0, "hold");
    let o = apply(QueueOp::Requeue, &old);
    assert_eq!(o.done, Some(1), "{o:?}");
    pf.wait_for_log(
        |l| l.contains(&format!("orig_id={old}")),
        Duration::from_secs(30),
    )
    .unwrap();
    // the listing that finds it is the one looked at: another, taken while the new copy moves
    // between queues, could miss it
    let mut listed = None;
    wait_until(
        "the requeued message back in the queue",
        Duration::from_secs(30),
        || {
            listed = queue_state(&pf)
                .into_iter()
                .find(|r| r.2 == "requeue@example.com" && r.1 != old.as_str());
            listed.is_some()
        },
    );
    let (queue, new, ..) = listed.unwrap();
    let new = QueueId::parse(&new).unwrap();
    assert_ne!(new, old, "requeue yields a new id");
    assert_ne!(queue, "hold", "requeued mail is no longer held");
    assert!(queue_of(&pf, &old).is_none());
    let log = pf.log();
    assert!(
        log.lines()
            .any(|l| l.contains(&format!("{new}: ")) && l.contains(&format!("orig_id={old}"))),
        "pickup names the new id with orig_id=old:\n{log}"
    );

    // delete
    let id = id_of(&pf, "delete@example.com");
    let o = apply(QueueOp::Delete, &id);
    assert_eq!(o.done, Some(1), "{o:?}");
    assert!(queue_of(&pf, &id).is_none());
    // deleting it again: postsuper exits 0 and says 0; we report it
    let o = apply(QueueOp::Delete, &id);
    assert_eq!(o.done, Some(0), "{o:?}");
    assert!(o.summary().contains("0 of 1"), "{}", o.summary());
    // the Failures pane's model reads this Postfix's own log of it: deleted on purpose, the
    // sender not told, and not lost mail
    let log = pf
        .wait_for_log(
            |l| {
                l.lines()
                    .any(|l| l.contains("postsuper[") && l.contains(&format!("{id}: removed")))
            },
            Duration::from_secs(30),
        )
        .expect("postsuper logs the deletion");
    let mut model = MailLog::default();
    let mut years = YearGuess::now();
    for l in log.lines().filter_map(|l| parse_line(l, &mut years)) {
        model.ingest(l);
    }
    let gone = model
        .outcomes()
        .iter()
        .rfind(|o| {
            o.queue_id
                .as_ref()
                .is_some_and(|q| q.as_str() == id.as_str())
        })
        .unwrap_or_else(|| panic!("no outcome for {id} in\n{log}"));
    assert_eq!(
        (gone.status, gone.category),
        (RowStatus::Deleted, Some(Category::Deleted)),
        "{gone:?}"
    );
    assert_eq!(gone.from.as_deref(), Some("delete@example.com"));
    assert_eq!(
        model.final_status(id.as_str()).map(|f| f.state),
        Some(MessageState::Deleted)
    );
    assert_eq!(model.lost_total, 0, "{:?}", model.outcomes());

    // deliver now, once the relay accepts again
    ses.set_throttle(false);
    let id = id_of(&pf, "now@example.com");
    apply(QueueOp::DeliverNow, &id);
    // a listing taken while the message moves from deferred to active can miss it: wait for
    // the relay to have it, then for the queue to be without it
    wait_until("deliver-now message sent", Duration::from_secs(30), || {
        ses.accepted().iter().any(|r| r.sender == "now@example.com") && queue_of(&pf, &id).is_none()
    });

    // flush: what is left goes out (the expired one bounces)
    assert!(queue_state(&pf).len() >= 2);
    let lines = rt
        .block_on(commands::flush(&access, &inst, &Default::default()))
        .unwrap();
    assert!(lines.iter().all(|l| !l.contains("fatal")), "{lines:?}");
    wait_until(
        "the queue drained by flush",
        Duration::from_secs(60),
        || {
            !queue_state(&pf)
                .iter()
                .any(|r| r.2 == "hold@example.com" || r.2 == "requeue@example.com")
        },
    );
    assert!(
        ses.accepted()
            .iter()
            .any(|r| r.sender == "hold@example.com")
    );
}

#[test]
fn errors_name_the_fix() {
    let (_ses, pf) = throttled();
    let rt = rt();
    // a user that may not use a private instance (the host's main.cf does
    // not list it in alternate_config_directories, and we never edit it)
    let mut nobody = instance(&pf);
    nobody.command_prefix = vec![
        "setpriv".into(),
        "--reuid=65534".into(),
        "--regid=65534".into(),
        "--clear-groups".into(),
    ];
    let e = rt
        .block_on(commands::run(&commands::list(&nobody, None), usize::MAX))
        .unwrap_err();
    if Path::new("/etc/postfix/main.cf").exists() {
        assert!(matches!(e, QueueError::ConfigDirNotAllowed { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("add it to alternate_config_directories"),
            "{e}"
        );
    } else {
        // Postfix installed but not configured (as a fresh test machine has it)
        assert!(matches!(e, QueueError::DefaultConfigMissing { .. }), "{e}");
        assert!(e.to_string().contains("or run as root"), "{e}");
    }
    // postsuper as that user
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let id = QueueId::parse("ABCDEF1234").unwrap();
    let e = rt
        .block_on(commands::apply(&access, &nobody, QueueOp::Delete, &[id]))
        .unwrap_err();
    assert!(matches!(e, QueueError::NeedsRoot { .. }), "{e}");
    // a prefix that does not exist
    let mut missing = instance(&pf);
    missing.command_prefix = vec!["/nonexistent/sudo".into()];
    let e = rt
        .block_on(commands::run(&commands::list(&missing, None), usize::MAX))
        .unwrap_err();
    assert!(matches!(e, QueueError::NotFound { .. }), "{e}");
    // a stopped Postfix: root still lists the queue (postqueue runs showq
    // itself), but a flush says the mail system is down
    let out = pf.command("postfix").arg("stop").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let listed = rt
        .block_on(commands::run(
            &commands::list(&instance(&pf), None),
            usize::MAX,
        ))
        .unwrap();
    assert!(listed.stdout.is_empty());
    let e = rt
        .block_on(commands::flush(
            &access,
            &instance(&pf),
            &Default::default(),
        ))
        .unwrap_err();
    assert!(matches!(e, QueueError::MailSystemDown { .. }), "{e}");
    assert!(
        e.to_string().contains("start it with `postfix start`"),
        "{e}"
    );
}

/// One event loop's parts for a pane over `pf`, as the console wires them: the runner and its
/// receiver, write access, the pane and the shared state, the queue listed once.
struct Loop {
    runner: Runner,
    rx: tokio::sync::mpsc::Receiver<SourceEvent>,
    access: Option<WriteAccess>,
    pane: QueuePane,
    shared: Shared,
}

/// The pane's context at the current time, with the loop's access and shared state.
fn cx_now<'a>(access: &'a Option<WriteAccess>, shared: &'a mut Shared) -> Cx<'a> {
    Cx {
        now: chrono::Local::now(),
        access: access.as_ref(),
        shared,
    }
}

/// [`Loop`] over `pf`, its channel holding `capacity` events, once the first listing is in.
async fn listed_once(pf: &PostfixHarness, capacity: usize) -> Loop {
    listed_once_as(instance(pf), capacity).await
}

/// [`listed_once`], with the instance configured as `inst` says (a `command_prefix`).
async fn listed_once_as(inst: PostfixInstance, capacity: usize) -> Loop {
    let config = Config {
        postfix: vec![inst],
        ..Config::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(capacity);
    let runner = Runner {
        tx,
        config: Arc::new(config.clone()),
    };
    let access = WriteAccess::for_mode(Mode::Interactive);
    let mut pane = QueuePane::new(&config);
    let mut shared = Shared::default();
    opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
    pump(
        &mut pane,
        &mut shared,
        access.as_ref(),
        &mut rx,
        &runner,
        |e| matches!(e, QueueEvent::Listed { .. }),
    )
    .await;
    Loop {
        runner,
        rx,
        access,
        pane,
        shared,
    }
}

/// Run the queue commands among `effects` (a confirmed dialog's, an opened detail's); the others
/// are not the runner's.
fn run_queue(effects: Vec<Effect>, runner: &Runner) {
    for e in effects {
        let Effect::Queue(q) = e else { continue };
        opsdeck::mail::queue::run(q, runner);
    }
}

/// Ask the pane for `action`, which asks to be confirmed, and confirm it: its commands run. The
/// dialog is returned for what it said.
fn confirmed(
    pane: &mut QueuePane,
    action: QueueAction,
    cx: &mut Cx<'_>,
    runner: &Runner,
) -> Confirm {
    let Some(Effect::Confirm(mut c)) = pane.on_action(action, cx).pop() else {
        panic!("expected a confirm dialog for {action:?}");
    };
    run_queue(std::mem::take(&mut c.then), runner);
    c
}

/// Feed the pane every queue event until `done` says stop; run the queue
/// effects it returns and hand back the others.
async fn pump(
    pane: &mut QueuePane,
    shared: &mut Shared,
    access: Option<&WriteAccess>,
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    runner: &Runner,
    mut done: impl FnMut(&QueueEvent) -> bool,
) -> Vec<Effect> {
    let mut effects = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("an event within 30 s")
            .expect("channel open");
        let SourceEvent::Queue(ev) = ev else { continue };
        let stop = done(&ev);
        let mut cx = Cx {
            now: chrono::Local::now(),
            access,
            shared,
        };
        for e in pane.on_event(ev, &mut cx) {
            match e {
                Effect::Queue(q) => opsdeck::mail::queue::run(q, runner),
                other => effects.push(other),
            }
        }
        if stop {
            return effects;
        }
    }
}

#[test]
fn pane_confirms_and_deletes_a_tagged_set() {
    let (_ses, pf) = throttled();
    fill(&pf, &["a@example.com", "b@example.com", "c@example.com"]);
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        assert_eq!(shared.queue.len(), 3, "the shared model is fed");
        // tag a and c through the filter, then delete
        let mut cx = cx_now(&access, &mut shared);
        pane.set_filter("from:a@example.com", &mut cx);
        pane.on_action(QueueAction::TagAll, &mut cx);
        pane.set_filter("from:c@example.com", &mut cx);
        pane.on_action(QueueAction::TagAll, &mut cx);
        pane.set_filter("", &mut cx);
        let mut effects = pane.on_action(QueueAction::Delete, &mut cx);
        assert_eq!(effects.len(), 1, "{effects:?}");
        let Some(Effect::Confirm(confirm)) = effects.pop() else {
            panic!("expected a confirm dialog");
        };
        let a = id_of(&pf, "a@example.com");
        let c = id_of(&pf, "c@example.com");
        let (x, y) = if a < c { (a, c) } else { (c, a) };
        assert_eq!(
            confirm.lines[0],
            format!("delete 2 messages from deferred: {x}, {y}")
        );
        assert_eq!(confirm.title, "Delete 2 messages");
        // and whose they are: the dialog covers the table
        assert_eq!(
            confirm.lines.last().map(|l| l.as_str()),
            Some("from a@example.com (1), c@example.com (1)")
        );
        // the user presses y: run what the dialog holds
        for e in confirm.then {
            let Effect::Queue(q) = e else {
                panic!("unexpected {e:?}")
            };
            assert!(matches!(
                q,
                QueueEffect::Apply {
                    op: QueueOp::Delete,
                    ..
                }
            ));
            opsdeck::mail::queue::run(q, &runner);
        }
        let notices = pump(
            &mut pane,
            &mut shared,
            access.as_ref(),
            &mut rx,
            &runner,
            |e| matches!(e, QueueEvent::Applied { .. }),
        )
        .await;
        assert!(
            notices
                .iter()
                .any(|n| matches!(n, Effect::Notice(t) if t == "delete: done for 2 messages")),
            "{notices:?}"
        );
        // the refresh that follows the action shows one message left
        pump(
            &mut pane,
            &mut shared,
            access.as_ref(),
            &mut rx,
            &runner,
            |e| matches!(e, QueueEvent::Listed { .. }),
        )
        .await;
        assert_eq!(shared.queue.len(), 1);
        let st = queue_state(&pf);
        assert_eq!(st.len(), 1, "checked with a second postqueue -j");
        assert_eq!(st[0].2, "b@example.com");

        // flush says why the mail waits: a flush now only defers it again
        let mut cx = cx_now(&access, &mut shared);
        let effects = pane.on_action(QueueAction::Flush, &mut cx);
        let Some(Effect::Confirm(flush)) = effects.into_iter().next() else {
            panic!("expected a confirm dialog");
        };
        assert_eq!(
            flush.lines.last().map(|l| l.as_str()),
            Some("deferred for: SES throttling (1); a flush before the cause is gone defers them again")
        );

        // read-only: the same key makes no effect that could change the host
        let mut cx = Cx {
            now: chrono::Local::now(),
            access: None,
            shared: &mut shared,
        };
        let effects = pane.on_action(QueueAction::Delete, &mut cx);
        assert!(matches!(&effects[..], [Effect::Notice(_)]), "{effects:?}");
    });
}

#[test]
fn poller_reads_several_instances_on_an_interval() {
    let (_ses_a, a) = throttled();
    let (_ses_b, b) = throttled();
    fill(&a, &["from-a@example.com"]);
    fill(&b, &["from-b@example.com", "again-b@example.com"]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut first = instance(&a);
        first.name = "a".into();
        // a real prefix in front of every command
        first.command_prefix = vec!["env".into(), "LC_ALL=C".into()];
        let mut second = instance(&b);
        second.name = "b".into();
        let mut config = Config {
            postfix: vec![first, second],
            ..Config::default()
        };
        config.queue.interval_secs = 1;
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = Runner {
            tx,
            config: Arc::new(config.clone()),
        };
        opsdeck::mail::queue::start(&runner);
        let mut pane = QueuePane::new(&config);
        let mut shared = Shared::default();
        let mut listed = [0usize; 2];
        let mut versions = [false; 2];
        while listed.iter().any(|n| *n < 2) || versions.iter().any(|v| !v) {
            let ev = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("the poller reports within 30 s")
                .unwrap();
            let SourceEvent::Queue(ev) = ev else { continue };
            match &ev {
                QueueEvent::Listed {
                    instance, result, ..
                } => {
                    assert!(result.is_ok(), "{result:?}");
                    listed[*instance] += 1;
                }
                QueueEvent::Version { instance, result } => {
                    assert!(result.as_ref().unwrap().has_force_expire());
                    versions[*instance] = true;
                }
                other => panic!("unexpected {other:?}"),
            }
            let mut cx = Cx {
                now: chrono::Local::now(),
                access: None,
                shared: &mut shared,
            };
            pane.on_event(ev, &mut cx);
        }
        assert_eq!(shared.queue.len(), 3);
        let names: Vec<(&str, &str)> = shared
            .queue
            .entries()
            .map(|(inst, e)| (inst, e.sender.as_str()))
            .collect();
        assert!(names.contains(&("a", "from-a@example.com")), "{names:?}");
        assert!(names.contains(&("b", "again-b@example.com")), "{names:?}");
        assert!(pane.health().problem.is_none());
    });
}

/// A stopped Postfix: as root, `postqueue -j` still lists the queue from its
/// files and warns only on stderr. The pane keeps the list and says, on the
/// pane and in its health (the tab's mark), that no mail is delivered.
#[test]
fn a_stopped_postfix_is_said_over_the_list() {
    let (_ses, pf) = throttled();
    fill(&pf, &["waiting@example.com"]);
    let stop = pf.command("postfix").arg("stop").output().unwrap();
    assert!(stop.status.success(), "{stop:?}");
    let rt = rt();
    rt.block_on(async {
        let config = Config {
            postfix: vec![instance(&pf)],
            ..Config::default()
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = Runner {
            tx,
            config: Arc::new(config.clone()),
        };
        let mut pane = QueuePane::new(&config);
        let mut shared = Shared::default();
        opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
        pump(&mut pane, &mut shared, None, &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Listed { .. })
        })
        .await;
        assert_eq!(shared.queue.len(), 1, "the list is kept");
        let problem = pane.health().problem.expect("a problem for the tab");
        assert!(
            problem.contains("the mail system is down - start it with `postfix start`"),
            "{problem}"
        );
        let theme = opsdeck::ui::theme::Theme::fallback();
        let cx = opsdeck::app::pane::ViewCx {
            theme: &theme,
            now: chrono::Local::now(),
            focused: true,
            zoomed: true,
            read_only: false,
            shared: &shared,
        };
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        term.draw(|f| pane.render(f, f.area(), &cx)).unwrap();
        let buf = term.backend().buffer().clone();
        let screen: String = (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        assert!(
            screen.contains("no mail is delivered: postqueue") && screen.contains("waiting@examp"),
            "{screen}"
        );
    });
}

/// With no pickup service (taken out of master.cf), `postsuper -r` moves
/// a message to the maildrop and no one gives it a new id: the pane stops
/// following it on its own clock and says why, instead of "looking for it"
/// for ever.
#[test]
fn a_requeue_that_pickup_never_reads_is_given_up_in_words() {
    let (_ses, pf) = throttled();
    fill(&pf, &["waiting@example.com"]);
    let old = id_of(&pf, "waiting@example.com");
    let master_cf = pf.config_dir().join("master.cf");
    let without_pickup: String = std::fs::read_to_string(&master_cf)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("pickup "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&master_cf, without_pickup).unwrap();
    pf.reload();
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        let listed = |e: &QueueEvent| matches!(e, QueueEvent::Listed { .. });
        let mut cx = cx_now(&access, &mut shared);
        assert_eq!(pane.selected_entry().unwrap().1.id, old);
        confirmed(&mut pane, QueueAction::Requeue, &mut cx, &runner);
        let applied = pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
        assert!(
            matches!(applied.first(), Some(Effect::Notice(n)) if *n == format!("requeue: {old} is requeued, for a new queue id")),
            "{applied:?}"
        );
        // the result asks for a listing: the message is in the maildrop, under its old id
        pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, listed).await;
        assert_eq!(
            queue_of(&pf, &old).map(|q| q.0),
            Some("maildrop".to_string()),
            "{:?}",
            queue_state(&pf)
        );
        assert_eq!(pane.selected_entry().unwrap().1.id, old);
        // two minutes on, by the pane's own tick
        let mut cx = Cx {
            now: chrono::Local::now() + chrono::Duration::seconds(121),
            access: access.as_ref(),
            shared: &mut shared,
        };
        let out = pane.on_tick(&mut cx);
        let want = format!(
            "requeue: {old} was requeued; stopped looking for its new queue id after 2 minutes: it is still in the maildrop: pickup has not read it (is the pickup service in master.cf running?)"
        );
        assert!(
            matches!(out.as_slice(), [Effect::Notice(n)] if *n == want),
            "{out:?}"
        );
        assert!(pane.on_tick(&mut cx).is_empty(), "said once");
    });
}

/// `postqueue -j` lists in queue-file order, so new mail lands anywhere in
/// it, and newest first it is shown above: whichever row the cursor is on,
/// the next listing keeps it on the same message.
#[test]
fn the_cursor_stays_on_its_message_when_new_mail_arrives() {
    let (_ses, pf) = throttled();
    let first: Vec<String> = (0..6).map(|i| format!("old{i}@example.com")).collect();
    fill(&pf, &first.iter().map(String::as_str).collect::<Vec<_>>());
    let listing = || {
        let out = pf.command("postqueue").arg("-j").output().unwrap();
        assert!(out.status.success(), "{out:?}");
        parse_jsonl(&out.stdout)
    };
    let before = listing();
    // arrival times are in seconds: the new mail is newer than the old
    std::thread::sleep(Duration::from_millis(1100));
    for i in 0..6 {
        let s = format!("new{i}@example.com");
        pf.submit(&s, "rcpt@example.net", "Subject: new\n\nhello\n");
    }
    wait_until("the new mail deferred", Duration::from_secs(30), || {
        let st = queue_state(&pf);
        st.len() == 12 && st.iter().all(|r| r.0 == "deferred")
    });
    let after = listing();
    assert_eq!(after.entries.len(), 12);
    let config = Config {
        postfix: vec![instance(&pf)],
        ..Config::default()
    };
    let t0 = chrono::Local::now();
    for row in 0..6 {
        let mut pane = QueuePane::new(&config);
        let mut shared = Shared::default();
        let mut cx = Cx {
            now: t0,
            access: None,
            shared: &mut shared,
        };
        pane.on_event(
            QueueEvent::Listed {
                instance: 0,
                at: t0,
                result: Ok(before.clone()),
            },
            &mut cx,
        );
        // newest first, as during an incident: new mail is shown above
        pane.on_action(QueueAction::SortReverse, &mut cx);
        for _ in 0..row {
            pane.on_nav(opsdeck::app::pane::Nav::Down, &mut cx);
        }
        let picked = pane.selected_entry().unwrap().1.id.clone();
        pane.on_event(
            QueueEvent::Listed {
                instance: 0,
                at: t0 + chrono::Duration::seconds(5),
                result: Ok(after.clone()),
            },
            &mut cx,
        );
        assert_eq!(
            pane.selected_entry().unwrap().1.id,
            picked,
            "row {row}: the cursor left its message"
        );
    }
}

/// Between the listing a selection was picked from and the action, mail
/// moves: one message is deleted by someone else, one is put on hold. The
/// result names exactly those, each with why, checked against the queue.
#[test]
fn a_bulk_action_names_the_messages_it_could_not_act_on() {
    let (_ses, pf) = throttled();
    fill(
        &pf,
        &[
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "d@example.com",
        ],
    );
    let rt = rt();
    let inst = instance(&pf);
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let mut picked: Vec<QueueId> = ["a", "b", "c", "d"]
        .iter()
        .map(|s| id_of(&pf, &format!("{s}@example.com")))
        .collect();
    picked.sort();
    let gone = id_of(&pf, "b@example.com");
    let held = id_of(&pf, "c@example.com");
    // someone else, meanwhile
    let out = pf
        .command("postsuper")
        .args(["-d", gone.as_str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = pf
        .command("postsuper")
        .args(["-h", held.as_str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let o = rt
        .block_on(commands::apply(&access, &inst, QueueOp::Hold, &picked))
        .unwrap();
    assert_eq!(o.done, Some(2), "{o:?}");
    let want: Vec<&QueueId> = picked
        .iter()
        .filter(|i| **i == gone || **i == held)
        .collect();
    assert_eq!(o.missed.as_ref().unwrap().iter().collect::<Vec<_>>(), want);
    assert_eq!(
        o.summary(),
        format!(
            "hold: done for 2 of 4 messages; 2 no longer queued or already on hold: {}, {}",
            want[0], want[1]
        )
    );
    let on_hold = queue_state(&pf).iter().filter(|r| r.0 == "hold").count();
    assert_eq!(on_hold, 3, "checked with a second postqueue -j");

    let o = rt
        .block_on(commands::apply(&access, &inst, QueueOp::Delete, &picked))
        .unwrap();
    assert_eq!(
        o.summary(),
        format!("delete: done for 3 of 4 messages; 1 no longer queued: {gone}")
    );
    assert!(queue_state(&pf).is_empty());
}

/// A message whose detail is open leaves the queue (here someone else
/// deletes it): the cursor's row then holds another message, and a key
/// pressed in the detail must not act on that one.
#[test]
fn an_action_from_a_detail_never_reaches_another_message() {
    let (_ses, pf) = throttled();
    fill(&pf, &["a@example.com", "b@example.com", "c@example.com"]);
    let listing = || {
        let out = pf.command("postqueue").arg("-j").output().unwrap();
        assert!(out.status.success(), "{out:?}");
        parse_jsonl(&out.stdout)
    };
    let config = Config {
        postfix: vec![instance(&pf)],
        ..Config::default()
    };
    let access = WriteAccess::for_mode(Mode::Interactive);
    let mut pane = QueuePane::new(&config);
    let mut shared = Shared::default();
    let t0 = chrono::Local::now();
    let mut cx = Cx {
        now: t0,
        access: access.as_ref(),
        shared: &mut shared,
    };
    pane.on_event(
        QueueEvent::Listed {
            instance: 0,
            at: t0,
            result: Ok(listing()),
        },
        &mut cx,
    );
    pane.on_enter(&mut cx);
    let open = pane.selected_entry().unwrap().1.id.clone();
    let out = pf
        .command("postsuper")
        .args(["-d", open.as_str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    pane.on_event(
        QueueEvent::Listed {
            instance: 0,
            at: t0 + chrono::Duration::seconds(5),
            result: Ok(listing()),
        },
        &mut cx,
    );
    let under = pane.selected_entry().unwrap().1.id.clone();
    assert_ne!(under, open, "the row now holds another message");
    let effects = pane.on_action(QueueAction::Delete, &mut cx);
    assert!(
        matches!(&effects[..], [Effect::Notice(n)] if *n == format!("delete: {open} is no longer in the queue (delivered, deleted or requeued)")),
        "{effects:?}"
    );
    assert_eq!(queue_state(&pf).len(), 2, "nothing else was touched");
}

/// Held mail does not expire while held; released past the queue lifetime,
/// its first failed attempt returns it to its sender. The release dialog
/// says so beforehand, with the lifetime this Postfix reports, and Postfix
/// then does exactly that.
#[test]
fn release_warns_of_held_mail_past_the_queue_lifetime() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["example.com".into()],
        throttle: true,
        ..SesOptions::default()
    });
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("queue_run_delay", "3600s")
            .retry_only_on_flush()
            .main_cf("maximal_queue_lifetime", "2s")
            .main_cf("bounce_queue_lifetime", "3s"),
    );
    fill(&pf, &["held@example.com"]);
    let rt = rt();
    let inst = instance(&pf);
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let id = id_of(&pf, "held@example.com");
    rt.block_on(commands::apply(
        &access,
        &inst,
        QueueOp::Hold,
        std::slice::from_ref(&id),
    ))
    .unwrap();
    let arrival = pf.postqueue_json()[0]["arrival_time"].as_i64().unwrap();
    wait_until(
        "the held message past its lifetime",
        Duration::from_secs(30),
        || chrono::Utc::now().timestamp() > arrival + 2,
    );

    let config = Config {
        postfix: vec![inst.clone()],
        ..Config::default()
    };
    let mut pane = QueuePane::new(&config);
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: chrono::Local::now(),
        access: Some(&access),
        shared: &mut shared,
    };
    let out = rt
        .block_on(commands::run(&commands::version(&inst), 4096))
        .unwrap();
    let version =
        commands::MailVersion::parse_postconf(&String::from_utf8_lossy(&out.stdout)).unwrap();
    pane.on_event(
        QueueEvent::Version {
            instance: 0,
            result: Ok(version),
        },
        &mut cx,
    );
    let listed = pf.command("postqueue").arg("-j").output().unwrap();
    pane.on_event(
        QueueEvent::Listed {
            instance: 0,
            at: chrono::Local::now(),
            result: Ok(parse_jsonl(&listed.stdout)),
        },
        &mut cx,
    );
    let effects = pane.on_action(QueueAction::Release, &mut cx);
    let Some(Effect::Confirm(c)) = effects.into_iter().next() else {
        panic!("expected a confirm dialog");
    };
    assert!(
        c.lines.iter().any(|l| l
            == "It was queued longer than maximal_queue_lifetime 2s: released, it is returned to the sender at the first failed attempt"),
        "{:?}",
        c.lines
    );

    // and so it is
    rt.block_on(commands::apply(
        &access,
        &inst,
        QueueOp::Release,
        std::slice::from_ref(&id),
    ))
    .unwrap();
    rt.block_on(commands::apply(
        &access,
        &inst,
        QueueOp::DeliverNow,
        std::slice::from_ref(&id),
    ))
    .unwrap();
    pf.wait_for_log(
        |l| {
            l.contains(&format!(
                "{id}: from=<held@example.com>, status=expired, returned to sender"
            ))
        },
        Duration::from_secs(30),
    )
    .unwrap();

    // the notification, from the null sender, deferred by the same relay:
    // held past bounce_queue_lifetime, the dialog names that lifetime
    wait_until("the notification deferred", Duration::from_secs(30), || {
        let st = queue_state(&pf);
        st.len() == 1 && st[0].0 == "deferred"
    });
    let notice = QueueId::parse(&queue_state(&pf)[0].1).unwrap();
    rt.block_on(commands::apply(
        &access,
        &inst,
        QueueOp::Hold,
        std::slice::from_ref(&notice),
    ))
    .unwrap();
    let arrival = pf.postqueue_json()[0]["arrival_time"].as_i64().unwrap();
    wait_until(
        "the notification past its lifetime",
        Duration::from_secs(30),
        || chrono::Utc::now().timestamp() > arrival + 3,
    );
    let listed = pf.command("postqueue").arg("-j").output().unwrap();
    let mut cx = Cx {
        now: chrono::Local::now(),
        access: Some(&access),
        shared: &mut shared,
    };
    pane.on_event(
        QueueEvent::Listed {
            instance: 0,
            at: chrono::Local::now(),
            result: Ok(parse_jsonl(&listed.stdout)),
        },
        &mut cx,
    );
    let effects = pane.on_action(QueueAction::Release, &mut cx);
    let Some(Effect::Confirm(c)) = effects.into_iter().next() else {
        panic!("expected a confirm dialog");
    };
    assert!(
        c.lines.iter().any(|l| l
            == "It was queued longer than bounce_queue_lifetime 3s: released, it is returned to the sender at the first failed attempt"),
        "{:?}",
        c.lines
    );
}

/// A Subject and a From name written as RFC 2047 encoded-words, one of them hiding an escape
/// sequence: the detail's headers, read with postcat from a real queue file, show them decoded,
/// and the escape sequence escaped. The Subject is folded as mailers fold one, over two
/// words on lines of their own with a character cut between them: it reads as one text,
/// and so do the Keywords, one base64 text cut inside its four-letter quanta.
#[test]
fn the_detail_decodes_encoded_words_and_escapes_what_they_hide() {
    let (_ses, pf) = throttled();
    pf.submit(
        "app@example.com",
        "r@example.net",
        "From: =?ISO-8859-1?Q?Andr=E9_M=FCller?= <app@example.com>\n\
         Subject: =?UTF-8?B?Qm9uam91ciwgww==?=\n =?UTF-8?B?qXTDqSAh?=\n\
         X-Note: =?UTF-8?B?WW91ciBvcmRlciAbXTA7b3duZWQH?=\n\
         Keywords: =?UTF-8?B?Q2Fmw?=\n =?UTF-8?B?6kgY3LDqG?=\n\t=?utf-8?B?1lIGJyw7tsw6ll?=\n\nbody\n",
    );
    wait_until("the message deferred", Duration::from_secs(30), || {
        queue_state(&pf).iter().any(|r| r.0 == "deferred")
    });
    let id = id_of(&pf, "app@example.com");
    let rt = rt();
    let lines = rt.block_on(async {
        let config = Config {
            postfix: vec![instance(&pf)],
            ..Config::default()
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let runner = Runner {
            tx,
            config: Arc::new(config),
        };
        opsdeck::mail::queue::run(
            QueueEffect::Load {
                instance: 0,
                id: id.clone(),
                part: Part::Headers,
            },
            &runner,
        );
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(30), rx.recv())
                .await
                .expect("an event within 30 s")
                .expect("channel open");
            if let SourceEvent::Queue(QueueEvent::Loaded { result, .. }) = ev {
                break result.expect("postcat").0;
            }
        }
    });
    let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    assert!(
        lines.iter().any(|l| l == "Subject: Bonjour, été !"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "From: André Müller <app@example.com>"),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l == "X-Note: Your order \\e]0;owned\\x07"),
        "{lines:#?}"
    );
    // one base64 text cut inside its quanta, over three folded lines
    assert!(
        lines.iter().any(|l| l == "Keywords: Café crème brûlée"),
        "{lines:#?}"
    );
    assert!(lines.iter().all(|l| !l.contains('\u{1b}')), "{lines:#?}");
}

/// `postsuper -r` gives a message a new queue id (pickup logs `NEW: uid=N
/// from=<..> orig_id=OLD`). Requeued from under the cursor with its detail
/// open, the message stays under the cursor and in the detail with its new
/// id: first with no mail log to ask (told by its sender, recipients and
/// arrival time), then again with the log read as the Failures pane reads it.
#[test]
fn a_requeued_message_stays_under_the_cursor_and_in_its_detail() {
    let (_ses, pf) = throttled();
    fill(&pf, &["a@example.com", "b@example.com", "c@example.com"]);
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        let listed = |e: &QueueEvent| matches!(e, QueueEvent::Listed { .. });
        // the cursor on b's message (neither first nor last), its detail open
        let mut cx = cx_now(&access, &mut shared);
        pane.on_nav(opsdeck::app::pane::Nav::Top, &mut cx);
        while pane.selected_entry().unwrap().1.sender.as_str() != "b@example.com" {
            pane.on_nav(opsdeck::app::pane::Nav::Down, &mut cx);
        }
        let mut log_read = 0;
        for with_log in [false, true] {
            // a message just requeued is tried again at once: wait until it is back in the
            // deferred queue, as the pane lists it, before requeueing it again
            let deadline = Instant::now() + Duration::from_secs(60);
            while pane.selected_entry().unwrap().1.queue != QueueName::Deferred {
                assert!(
                    Instant::now() < deadline,
                    "not deferred again: queue {:?}",
                    queue_state(&pf)
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
                opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
                pump(
                    &mut pane,
                    &mut shared,
                    access.as_ref(),
                    &mut rx,
                    &runner,
                    listed,
                )
                .await;
            }
            let old = id_of(&pf, "b@example.com");
            let mut cx = cx_now(&access, &mut shared);
            assert_eq!(pane.selected_entry().unwrap().1.id, old);
            if pane.detail().is_none() {
                run_queue(pane.on_enter(&mut cx), &runner);
            }
            let c = confirmed(&mut pane, QueueAction::Requeue, &mut cx, &runner);
            assert_eq!(
                c.lines[0],
                format!("requeue 1 message from deferred: {old}")
            );
            let mut progress: Vec<(usize, usize, Option<QueueId>)> = Vec::new();
            pump(
                &mut pane,
                &mut shared,
                access.as_ref(),
                &mut rx,
                &runner,
                |e| {
                    if let QueueEvent::Progress { done, of, one, .. } = e {
                        progress.push((*done, *of, one.clone()));
                    }
                    matches!(e, QueueEvent::Applied { .. })
                },
            )
            .await;
            // the status line names the one message acted on, it does not count it
            assert_eq!(
                progress.first(),
                Some(&(0, 1, Some(old.clone()))),
                "{progress:?}"
            );
            // pickup gives it its new id; read the queue (and the log) until the
            // pane has followed it, or say where it stands
            let deadline = Instant::now() + Duration::from_secs(60);
            while pane.detail().map(|d| &d.id) == Some(&old) {
                assert!(
                    Instant::now() < deadline,
                    "not followed: queue {:?}, log:\n{}",
                    queue_state(&pf),
                    pf.log()
                );
                if with_log {
                    let log = pf.log();
                    let mut year = YearGuess::now();
                    for line in log.lines().skip(log_read) {
                        if let Some(l) = parse_line(line, &mut year) {
                            shared.mail_log.ingest(l);
                        }
                    }
                    log_read = log.lines().count();
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
                pump(
                    &mut pane,
                    &mut shared,
                    access.as_ref(),
                    &mut rx,
                    &runner,
                    listed,
                )
                .await;
            }
            let new = id_of(&pf, "b@example.com");
            assert_ne!(new, old, "postsuper -r gave it a new id");
            let log = pf.log();
            assert!(
                log.lines().any(|l| l.contains(&format!("{new}: uid="))
                    && l.ends_with(&format!("from=<b@example.com> orig_id={old}"))),
                "{log}"
            );
            assert_eq!(
                pane.selected_entry().unwrap().1.id,
                new,
                "the cursor followed it"
            );
            assert_eq!(pane.detail().unwrap().id, new, "so did the detail");
            // and the detail reads it again under its new id
            pump(
                &mut pane,
                &mut shared,
                access.as_ref(),
                &mut rx,
                &runner,
                |e| matches!(e, QueueEvent::Loaded { id, .. } if *id == new),
            )
            .await;
            let d = pane.detail().unwrap();
            let opsdeck::mail::queue::pane::Loadable::Loaded { lines, .. } = &d.headers else {
                panic!("headers: {:?}", d.headers);
            };
            assert!(
                lines
                    .iter()
                    .any(|l| l.as_str() == "Subject: from b@example.com"),
                "{lines:?}"
            );
            assert_eq!(queue_state(&pf).len(), 3);
        }
    });
}

/// How many delivery attempts the log shows for `id`.
fn attempts(log: &str, id: &QueueId) -> usize {
    let at = format!(" {id}: to=<");
    log.lines()
        .filter(|l| l.contains(&at) && l.contains("status=deferred"))
        .count()
}

/// Deliver now on a couple of hundred picked messages: one `postqueue -i`
/// each, a few at a time, the pane told how far it got as they go, and every
/// message given a new delivery attempt (the log says so). Then the same
/// with two for which `postqueue -i` fails: those two are named, and every
/// other message is still tried.
#[test]
fn deliver_now_on_hundreds_of_picked_messages() {
    const N: usize = 200;
    let (_ses, pf) = throttled();
    for i in 0..N {
        pf.submit(
            &format!("s{i}@example.com"),
            "rcpt@example.net",
            "Subject: hello\n\nhello\n",
        );
    }
    pf.wait_until_deferred(N, Duration::from_secs(180))
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<QueueId> = queue_state(&pf)
        .iter()
        .map(|r| QueueId::parse(&r.1).unwrap())
        .collect();
    let log = pf.log();
    assert!(ids.iter().all(|id| attempts(&log, id) == 1), "{log}");
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 256).await;
        let mut cx = cx_now(&access, &mut shared);
        pane.on_action(QueueAction::TagAll, &mut cx);
        let c = confirmed(&mut pane, QueueAction::DeliverNow, &mut cx, &runner);
        assert_eq!(c.title, format!("Deliver now {N} messages"));
        let mut progress: Vec<(usize, usize)> = Vec::new();
        let notices = pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            if let QueueEvent::Progress { done, of, .. } = e {
                progress.push((*done, *of));
            }
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
        assert!(
            notices.iter().any(
                |n| matches!(n, Effect::Notice(t) if *t == format!("deliver now: asked Postfix to try {N} messages"))
            ),
            "{notices:?}"
        );
        assert_eq!(progress.first(), Some(&(0, N)), "said as it starts");
        assert!(
            progress.windows(2).all(|w| w[0].0 < w[1].0) && progress.len() > 2,
            "and as it goes: {progress:?}"
        );
    });
    wait_until(
        "a new attempt for every message",
        Duration::from_secs(120),
        || {
            let log = pf.log();
            ids.iter().all(|id| attempts(&log, id) == 2)
        },
    );

    // postqueue -i fails for two of them (a stand-in in front of the real one)
    let failing = [ids[17].clone(), ids[150].clone()];
    let dir = tempfile::tempdir().unwrap();
    let wrapper = dir.path().join("postqueue-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "for a; do id=$a; done\ncase \" {} {} \" in *\" $id \"*) echo 'postqueue: warning: flush service busy' >&2; exit 75;; esac\nexec \"$@\"\n",
            failing[0], failing[1]
        ),
    )
    .unwrap();
    let mut inst = instance(&pf);
    inst.command_prefix = vec!["sh".into(), wrapper.display().to_string()];
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let o = rt
        .block_on(commands::apply(&access, &inst, QueueOp::DeliverNow, &ids))
        .unwrap();
    let missed: Vec<&QueueId> = o.missed.iter().flatten().collect();
    assert_eq!(missed, failing.iter().collect::<Vec<_>>());
    assert_eq!(o.done, Some(N as u64 - 2));
    assert!(
        o.summary().starts_with(&format!(
            "deliver now: asked Postfix to try {} of {N} messages; not for 2: {}, {} - ",
            N - 2,
            failing[0],
            failing[1]
        )),
        "{}",
        o.summary()
    );
    wait_until(
        "a third attempt for all but the two",
        Duration::from_secs(120),
        || {
            let log = pf.log();
            ids.iter()
                .filter(|id| !failing.contains(id))
                .all(|id| attempts(&log, id) == 3)
        },
    );
    let log = pf.log();
    for id in &failing {
        assert_eq!(attempts(&log, id), 2, "{id} was not tried again");
    }
}

/// Two messages from one sender to one recipient that arrived in the same
/// second look the same in `postqueue -j`; both requeued, their new ids
/// cannot be told apart by the listing. The pane then waits for the mail log
/// (pickup's `orig_id`), and follows the message under the cursor and in its
/// detail to the id the log names, never to its twin.
#[test]
fn requeued_twins_are_told_apart_by_the_mail_log() {
    let (_ses, pf) = throttled();
    // twins: the same second of arrival (submitted back to back; tried again
    // in the rare case they straddle a second)
    let twins = (0..5)
        .find_map(|_| {
            for _ in 0..2 {
                pf.submit(
                    "twin@example.com",
                    "rcpt@example.net",
                    "Subject: twin\n\nhello\n",
                );
            }
            wait_until("the twins deferred", Duration::from_secs(30), || {
                let q = pf.postqueue_json();
                q.iter().filter(|v| v["queue_name"] == "deferred").count() == 2
            });
            let q = pf.postqueue_json();
            if q[0]["arrival_time"] == q[1]["arrival_time"] {
                return Some(
                    q.iter()
                        .map(|v| QueueId::parse(v["queue_id"].as_str().unwrap()).unwrap())
                        .collect::<Vec<_>>(),
                );
            }
            let out = pf
                .command("postsuper")
                .args(["-d", "ALL"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            None
        })
        .expect("two messages in the same second");
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        let listed = |e: &QueueEvent| matches!(e, QueueEvent::Listed { .. });
        let mut cx = cx_now(&access, &mut shared);
        pane.on_action(QueueAction::TagAll, &mut cx);
        pane.on_nav(opsdeck::app::pane::Nav::Top, &mut cx);
        let old = pane.selected_entry().unwrap().1.id.clone();
        assert!(twins.contains(&old));
        run_queue(pane.on_enter(&mut cx), &runner);
        let c = confirmed(&mut pane, QueueAction::Requeue, &mut cx, &runner);
        assert_eq!(c.title, "Requeue 2 messages");
        pump(
            &mut pane,
            &mut shared,
            access.as_ref(),
            &mut rx,
            &runner,
            |e| matches!(e, QueueEvent::Applied { .. }),
        )
        .await;
        // both under new ids, the log not read: no guess
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
            pump(
                &mut pane,
                &mut shared,
                access.as_ref(),
                &mut rx,
                &runner,
                listed,
            )
            .await;
            let ids: Vec<&QueueId> = pane.model().entries().map(|(_, e)| &e.id).collect();
            if ids.len() == 2 && ids.iter().all(|id| !twins.contains(id)) {
                break;
            }
            assert!(Instant::now() < deadline, "not requeued: {ids:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(pane.detail().unwrap().id, old, "no guess between twins");
        // the log, read as the Failures pane reads it, names it
        let log = pf.log();
        let mut year = YearGuess::now();
        for line in log.lines() {
            if let Some(l) = parse_line(line, &mut year) {
                shared.mail_log.ingest(l);
            }
        }
        let new = log
            .lines()
            .find(|l| l.ends_with(&format!("orig_id={old}")))
            .and_then(|l| l.split(": ").nth(1))
            .map(|id| QueueId::parse(id).unwrap())
            .unwrap_or_else(|| panic!("no pickup line for {old}:\n{log}"));
        opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
        pump(
            &mut pane,
            &mut shared,
            access.as_ref(),
            &mut rx,
            &runner,
            listed,
        )
        .await;
        assert_eq!(pane.detail().unwrap().id, new, "the detail follows it");
        assert_eq!(
            pane.selected_entry().unwrap().1.id,
            new,
            "so does the cursor"
        );
    });
}

/// Deliver now of one message against a relay that still throttles: `postqueue -i` says
/// nothing, and the pane says how the attempt went once the mail log (read as the Failures
/// pane reads it) has it: tried and deferred again, with the relay's reply.
#[test]
fn deliver_now_of_one_message_says_how_its_attempt_went() {
    let (_ses, pf) = throttled();
    fill(&pf, &["once@example.com"]);
    let id = id_of(&pf, "once@example.com");
    let attempts_before = attempts(&pf.log(), &id);
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        let mut cx = cx_now(&access, &mut shared);
        assert_eq!(pane.selected_entry().unwrap().1.id, id);
        confirmed(&mut pane, QueueAction::DeliverNow, &mut cx, &runner);
        let applied = pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
        assert!(
            matches!(applied.first(), Some(Effect::Notice(n)) if *n == format!("deliver now: asked Postfix to try {id}")),
            "{applied:?}"
        );
        wait_until("the attempt logged", Duration::from_secs(30), || {
            attempts(&pf.log(), &id) > attempts_before
        });
        let mut year = YearGuess::now();
        for line in pf.log().lines() {
            if let Some(l) = parse_line(line, &mut year) {
                shared.mail_log.ingest(l);
            }
        }
        opsdeck::mail::queue::run(QueueEffect::Refresh, &runner);
        let said = pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Listed { .. })
        })
        .await;
        let Some(Effect::Notice(n)) = said.first() else {
            panic!("nothing said: {said:?}");
        };
        assert!(
            n.starts_with(&format!("deliver now: {id} was tried at "))
                && n.ends_with(
                    "and deferred again: host 127.0.0.1[127.0.0.1] said: 454 Throttling failure: \
                     Maximum sending rate exceeded. (in reply to end of DATA command)"
                ),
            "{n}"
        );
    });
}

/// With `maillog_file` set and Postfix stopped, postsuper writes that log itself, as the mail
/// owner it runs as by then, and may not: it acts on the first message, then dies (exit 1) on
/// the log line. The action says what was done and what was not, and why, not "failed".
#[test]
fn a_postsuper_that_dies_after_acting_says_what_it_did() {
    let (_ses, pf) = throttled();
    fill(&pf, &["a@example.com", "b@example.com", "c@example.com"]);
    let stop = pf.command("postfix").arg("stop").output().unwrap();
    assert!(stop.status.success(), "{stop:?}");
    let mut ids: Vec<QueueId> = queue_state(&pf)
        .iter()
        .map(|r| QueueId::parse(&r.1).unwrap())
        .collect();
    ids.sort();
    let rt = rt();
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let o = rt
        .block_on(commands::apply(
            &access,
            &instance(&pf),
            QueueOp::Requeue,
            &ids,
        ))
        .expect("a message was requeued: that is no error");
    // the one postsuper named is in the maildrop, the others were not touched
    let state = queue_state(&pf);
    let moved: Vec<&str> = state
        .iter()
        .filter(|r| r.0 == "maildrop")
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(moved.len(), 1, "{state:?}");
    assert_eq!(o.done, Some(1), "{o:?}");
    let missed: Vec<&str> = o.missed.iter().flatten().map(QueueId::as_str).collect();
    let mut left: Vec<&str> = ids
        .iter()
        .map(QueueId::as_str)
        .filter(|i| !moved.contains(i))
        .collect();
    left.sort();
    assert_eq!(missed, left);
    assert!(
        matches!(o.stopped, Some(QueueError::MaillogUnwritable { .. })),
        "{o:?}"
    );
    let s = o.summary();
    assert!(
        s.starts_with(&format!(
            "requeue: done for 1 of 3 messages; not for 2: {}, {} - postsuper -c ",
            left[0], left[1]
        )) && s.contains(
            "-r -: could not write maillog_file, which it writes itself while Postfix (its postlog service) is not running, and so stops at the first message it acts on - start Postfix (`postfix start`) before acting on several messages ("
        ) && s.contains("Permission denied"),
        "{s}"
    );
    // one message: done, and said so, with the failure after it
    let one = QueueId::parse(left[0]).unwrap();
    let o = rt
        .block_on(commands::apply(
            &access,
            &instance(&pf),
            QueueOp::Hold,
            std::slice::from_ref(&one),
        ))
        .expect("held");
    assert_eq!(queue_of(&pf, &one).map(|q| q.0), Some("hold".to_string()));
    let s = o.summary_of_one(&one);
    assert!(
        s.starts_with(&format!("hold: {one} is on hold, but postsuper -c ")),
        "{s}"
    );
}

/// A relay in front of `to` that holds each connection silent until `open` is set, then joins
/// it to `to`: a delivery attempt that waits on the remote side, its message in the active
/// queue. Its port, and how many connections it has taken.
fn gated_relay(
    to: u16,
    open: Arc<std::sync::atomic::AtomicBool>,
) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let taken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = taken.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { return };
            count.fetch_add(1, Ordering::SeqCst);
            let open = open.clone();
            std::thread::spawn(move || {
                while !open.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                let Ok(up) = std::net::TcpStream::connect(("127.0.0.1", to)) else {
                    return;
                };
                let (mut a, mut b) = (c.try_clone().unwrap(), up.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut a, &mut b);
                });
                let (mut c, mut up) = (c, up);
                let _ = std::io::copy(&mut up, &mut c);
            });
        }
    });
    (port, taken)
}

#[test]
fn deleting_mail_being_delivered_says_the_attempt_goes_on() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["example.com".into()],
        ..SesOptions::default()
    });
    let open = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (port, taken) = gated_relay(ses.port(), open.clone());
    let pf =
        PostfixHarness::start(PostfixOptions::default().relayhost(format!("[127.0.0.1]:{port}")));
    pf.submit("busy@example.com", "r@example.net", "Subject: x\n\nhi\n");
    wait_until(
        "the message in the active queue",
        Duration::from_secs(30),
        || queue_state(&pf).iter().any(|r| r.0 == "active"),
    );
    // the delivery agent has it open, and waits on the relay, which says nothing yet
    wait_until(
        "the delivery agent at the relay",
        Duration::from_secs(30),
        || taken.load(std::sync::atomic::Ordering::SeqCst) > 0,
    );
    let id = id_of(&pf, "busy@example.com");
    let rt = rt();
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        let mut cx = cx_now(&access, &mut shared);
        assert_eq!(pane.selected_entry().unwrap().1.id, id);
        let c = confirmed(&mut pane, QueueAction::Delete, &mut cx, &runner);
        assert_eq!(
            c.lines[1..3],
            [
                "It is removed for good. No bounce is sent.",
                "It is in the active queue: a delivery attempt already under way is not stopped, and may still deliver it."
            ]
        );
        pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
    });
    assert!(queue_of(&pf, &id).is_none(), "{:?}", queue_state(&pf));
    // the relay answers now: the attempt under way delivers the deleted message
    open.store(true, std::sync::atomic::Ordering::SeqCst);
    pf.wait_for_log(
        |l| {
            l.lines().any(|l| {
                l.contains(&format!("{id}: to=<r@example.net>")) && l.contains("status=sent")
            })
        },
        Duration::from_secs(30),
    )
    .expect("the deleted message delivered by the attempt under way");
    assert_eq!(ses.received().len(), 1);
}

/// Mail in the maildrop (pickup not running: taken out of master.cf here, or Postfix stopped)
/// has no queue file postsuper holds, expires or requeues: it says "0 messages" and leaves it.
/// The pane does not offer those for it, and says why, instead of reporting after the fact that
/// the message is "no longer queued" while it sits there. Delete takes it.
#[test]
fn mail_in_the_maildrop_is_offered_only_what_postsuper_does_there() {
    let (_ses, pf) = throttled();
    let master_cf = pf.config_dir().join("master.cf");
    let without_pickup: String = std::fs::read_to_string(&master_cf)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("pickup "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&master_cf, without_pickup).unwrap();
    pf.reload();
    pf.submit(
        "waiting@example.com",
        "rcpt@example.net",
        "Subject: w\n\nhi\n",
    );
    wait_until(
        "the message in the maildrop",
        Duration::from_secs(30),
        || queue_state(&pf).iter().any(|r| r.0 == "maildrop"),
    );
    let id = id_of(&pf, "waiting@example.com");
    // its arrival_time is when it was submitted (what `opsdeck check` ages maildrop mail by)
    let arrival = pf
        .postqueue_json()
        .iter()
        .find(|v| v["queue_id"] == id.as_str())
        .and_then(|v| v["arrival_time"].as_i64())
        .unwrap();
    let age = chrono::Utc::now().timestamp() - arrival;
    assert!((0..60).contains(&age), "{age}");
    // what postsuper does with it
    let rt = rt();
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    for op in [QueueOp::Hold, QueueOp::Expire, QueueOp::Requeue] {
        let o = rt
            .block_on(commands::apply(
                &access,
                &instance(&pf),
                op,
                std::slice::from_ref(&id),
            ))
            .unwrap();
        assert_eq!(o.done, Some(0), "{op:?}: {o:?}");
        assert_eq!(
            queue_of(&pf, &id).map(|q| q.0),
            Some("maildrop".to_string())
        );
    }
    rt.block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once(&pf, 64).await;
        let mut cx = cx_now(&access, &mut shared);
        assert_eq!(pane.selected_entry().unwrap().1.id, id);
        for (action, verb, why) in [
            (QueueAction::Hold, "hold", "out of postsuper's reach"),
            (QueueAction::Expire, "force-expire", "out of postsuper's reach"),
            (QueueAction::Requeue, "requeue", "out of postsuper's reach"),
            // not "on its way already": pickup does not run
            (
                QueueAction::DeliverNow,
                "deliver now",
                "not yet in a queue postqueue -i takes",
            ),
        ] {
            let out = pane.on_action(action, &mut cx);
            assert!(
                matches!(out.as_slice(), [Effect::Notice(n)] if *n == format!("{verb}: {id} is in the maildrop, {why}; maildrop mail waits for Postfix's pickup service (is Postfix running?); delete (D) works there")),
                "{action:?}: {out:?}"
            );
        }
        let c = confirmed(&mut pane, QueueAction::Delete, &mut cx, &runner);
        assert_eq!(c.lines[0], format!("delete 1 message from maildrop: {id}"));
        pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
    });
    assert!(queue_of(&pf, &id).is_none(), "{:?}", queue_state(&pf));
}

/// Whether a process runs `argv`, by /proc.
fn runs(argv: &[&str]) -> bool {
    let want: Vec<u8> = argv
        .iter()
        .flat_map(|a| [a.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
            && std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == want)
    })
}

/// Put the pane's cursor on the message from `sender`.
fn select_sender(pane: &mut QueuePane, cx: &mut Cx<'_>, sender: &str) {
    pane.on_nav(opsdeck::app::pane::Nav::Top, cx);
    while pane.selected_entry().unwrap().1.sender.as_str() != sender {
        pane.on_nav(opsdeck::app::pane::Nav::Down, cx);
    }
}

/// The notices among `effects`.
fn notices(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notice(n) => Some(n.as_str()),
            _ => None,
        })
        .collect()
}

/// A postsuper that hangs (here after acting on the first of two messages, as one waiting on a
/// lock, or behind an `ssh mx1` prefix to a host that went away, would) is stopped from the
/// pane: `x`, a dialog that names its command, `y`. What it started is gone, the result says it
/// was stopped by the user and what it had done, and the queue read again shows just that.
/// A delete confirmed while the stop dialog is open, hanging too, is not named by it and goes
/// on after `y`, as the status says; a second `x` stops it.
#[test]
fn a_hanging_postsuper_is_stopped_from_the_pane_and_the_queue_read_again() {
    let (_ses, pf) = throttled();
    fill(&pf, &["a@example.com", "b@example.com", "c@example.com"]);
    // in front of every command: postsuper acts on the first id it is given, then hangs (a
    // hold in one sleep, any other change in another)
    let shim = "[ \"$1\" = postsuper ] || exec \"$@\"; read -r f; echo \"$f\" | \"$@\"; \
                [ \"$4\" = -h ] && sleep 86417; sleep 86427";
    let mut inst = instance(&pf);
    inst.command_prefix = ["sh", "-c", shim, "prefix"].map(String::from).to_vec();
    let hang = ["sleep", "86417"];
    let delete_hangs = ["sleep", "86427"];
    let (a, b, c) = (
        id_of(&pf, "a@example.com"),
        id_of(&pf, "b@example.com"),
        id_of(&pf, "c@example.com"),
    );
    // postsuper is given the ids in order
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let config_dir = pf.config_dir().display().to_string();
    let postsuper = format!("postsuper -c {config_dir} -h -");
    rt().block_on(async {
        let Loop {
            runner,
            mut rx,
            access,
            mut pane,
            mut shared,
        } = listed_once_as(inst, 64).await;
        let mut cx = cx_now(&access, &mut shared);
        // a and b tagged, c not
        pane.on_action(QueueAction::TagAll, &mut cx);
        select_sender(&mut pane, &mut cx, "c@example.com");
        pane.on_action(QueueAction::Tag, &mut cx);
        let confirm = confirmed(&mut pane, QueueAction::Hold, &mut cx, &runner);
        assert_eq!(confirm.title, "Hold 2 messages");
        pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Progress { done: 1, .. })
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !runs(&hang) {
            assert!(Instant::now() < deadline, "the postsuper never hung");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // x: the dialog names what runs, and what stopping it leaves
        let mut cx = cx_now(&access, &mut shared);
        let Some(Effect::Confirm(stop)) = pane.on_action(QueueAction::Stop, &mut cx).pop() else {
            panic!("expected a confirm dialog");
        };
        assert_eq!(stop.title, "Stop the running hold");
        let lines: Vec<&str> = stop.lines.iter().map(|l| l.as_str()).collect();
        assert!(
            lines[0].starts_with("stop: hold of 2 messages, 1 done: sh -c ")
                && lines[0].ends_with(&format!(" prefix {postsuper}")),
            "{lines:?}"
        );
        assert_eq!(
            lines[2],
            "postsuper stopped part-way may have changed some messages and not others: the queue is read again to show which."
        );
        // while the dialog is open, a delete of c starts (its first report comes after the
        // dialog was made, as that of one confirmed just before `x` can), acts on c and hangs
        pane.on_action(QueueAction::ClearTags, &mut cx);
        select_sender(&mut pane, &mut cx, "c@example.com");
        let confirm = confirmed(&mut pane, QueueAction::Delete, &mut cx, &runner);
        assert_eq!(confirm.title, "Delete 1 message");
        pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(
                e,
                QueueEvent::Progress {
                    op: QueueOp::Delete,
                    done: 1,
                    ..
                }
            )
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !runs(&delete_hangs) {
            assert!(Instant::now() < deadline, "the delete never hung");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // y
        run_queue(stop.then, &runner);
        let effects = pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while runs(&hang) {
            assert!(Instant::now() < deadline, "the hanging postsuper still runs");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let said = notices(&effects);
        // that the delete goes on, first, and that it stops the hold; then what the hold had
        // done
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(
            said[0].starts_with(&format!(
                "delete of {c} goes on (started while the stop dialog was open; x stops it); \
                 stopping: sh -c "
            )) && said[0].ends_with(&format!(" prefix {postsuper}…")),
            "{said:?}"
        );
        assert!(
            said[1].starts_with(&format!(
                "hold: done for 1 of 2 messages; not for 1: {second} - sh -c "
            )) && said[1].ends_with(&format!(
                " prefix {postsuper}: stopped by you before it finished - the queue is read again to show what it did"
            )),
            "{said:?}"
        );
        // the hold's stop is over, and the delete still runs
        assert!(runs(&delete_hangs), "the delete was stopped with the hold");
        // the queue read again shows what the hold did: the first on hold, the second not
        pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Listed { .. })
        })
        .await;
        let queue_of_listed = |shared: &Shared, id: &QueueId| {
            shared
                .queue
                .find(id.as_str())
                .map(|(_, e)| e.queue.as_str().to_string())
        };
        assert_eq!(queue_of_listed(&shared, &first).as_deref(), Some("hold"));
        assert_eq!(
            queue_of_listed(&shared, &second).as_deref(),
            Some("deferred")
        );
        // x again: the delete alone, stopped
        let mut cx = cx_now(&access, &mut shared);
        let Some(Effect::Confirm(stop)) = pane.on_action(QueueAction::Stop, &mut cx).pop() else {
            panic!("expected a confirm dialog");
        };
        assert_eq!(stop.title, "Stop the running delete");
        run_queue(stop.then, &runner);
        let effects = pump(&mut pane, &mut shared, access.as_ref(), &mut rx, &runner, |e| {
            matches!(e, QueueEvent::Applied { .. })
        })
        .await;
        let said = notices(&effects);
        assert!(
            said.len() == 2
                && said[0].starts_with("stopping: sh -c ")
                && said[0].ends_with(&format!(" prefix postsuper -c {config_dir} -d -…"))
                && said[1].starts_with(&format!("delete: {c} is deleted, but sh -c ")),
            "{said:?}"
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while runs(&delete_hangs) {
            assert!(Instant::now() < deadline, "the hanging delete still runs");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    assert_eq!(queue_of(&pf, &first).unwrap().0, "hold");
    assert_eq!(queue_of(&pf, &second).unwrap().0, "deferred");
    assert!(queue_of(&pf, &c).is_none(), "{:?}", queue_state(&pf));
}
