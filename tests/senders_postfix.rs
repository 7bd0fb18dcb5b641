//! The Senders pane against a real private Postfix that routes senders
//! through a sender-dependent relay map and a SASL password map to the
//! SES-like SMTP endpoint: a test mail submitted with the pane's own effect
//! runner is traced to sent for a verified sender and to bounced for an
//! unverified one, a wrong password ends in the deferral and its
//! explanation, the add-route action is checked with `postmap -q`, and
//! permission and staleness warnings follow real file modes and times.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use chrono::Local;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use opsdeck::access::{Mode, WriteAccess};
use opsdeck::app::effect::{Runner, SourceEvent};
use opsdeck::app::pane::{Cx, Pane, ViewCx};
use opsdeck::app::shared::Shared;
use opsdeck::config::{Config, PostfixInstance};
use opsdeck::mail::senders::logscan::TraceStatus;
use opsdeck::mail::senders::model::{Creds, Severity};
use opsdeck::mail::senders::{
    self, SendersConfig, SendersEffect, SendersEvent, SendersPane, actions, maps, source,
};
use opsdeck::ui::theme::Theme;

use support::closed_port::ClosedPort;
use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesAuth, SesOptions, SesSmtp};

const USER: &str = "AKIATESTSMTPUSER";
const SECRET: &str = "BAdSESsmtpPassw0rd-never-shown";

struct Setup {
    ses: SesSmtp,
    pf: PostfixHarness,
    /// where everyone else's mail is deferred
    _dead: ClosedPort,
}

/// SES-like endpoint requiring AUTH with (USER, SECRET); Postfix routes
/// ok@ and bad@ to it with `client_password`, everything else to a dead relay.
fn setup(client_password: &str) -> Setup {
    let ses = ses_with_login();
    let relay = ses.relayhost();
    let dead = ClosedPort::bind();
    let pf = PostfixHarness::start(
        PostfixOptions::default()
            .relayhost(dead.relay())
            .map(
                "sender_relay",
                format!("# routes\nok@example.com {relay}\nbad@example.com\n  {relay}\n"),
            )
            .main_cf_map("sender_dependent_relayhost_maps", "sender_relay")
            .sasl_client(&relay, USER, client_password),
    );
    Setup {
        ses,
        pf,
        _dead: dead,
    }
}

/// The SES stand-in, taking mail from ok@example.com, with a login of USER and SECRET.
fn ses_with_login() -> SesSmtp {
    SesSmtp::start(SesOptions {
        verified: vec!["ok@example.com".into()],
        auth: SesAuth::Required {
            user: USER.into(),
            password: SECRET.into(),
        },
        ..SesOptions::default()
    })
}

/// The harness's Postfix as a configured instance.
fn instance_of(pf: &PostfixHarness) -> PostfixInstance {
    PostfixInstance {
        name: "test".into(),
        config_dir: pf.config_dir(),
        command_prefix: Vec::new(),
    }
}

fn config_for(pf: &PostfixHarness) -> Config {
    Config {
        postfix: vec![instance_of(pf)],
        senders: SendersConfig {
            smtp_host: "127.0.0.1".into(),
            smtp_port: pf.smtpd_port(),
            mail_log: Some(pf.log_path()),
            trace_timeout_secs: 60,
            ses: false,
            ..SendersConfig::default()
        },
        ..Config::default()
    }
}

fn access() -> WriteAccess {
    WriteAccess::for_mode(Mode::Interactive).expect("interactive mode has write access")
}

/// A Senders pane, its shared models, and a runner whose events arrive on
/// the receiver: the pane as the app drives it.
fn rig(config: Config) -> (SendersPane, Shared, mpsc::Receiver<SourceEvent>, Runner) {
    let pane = SendersPane::new(&config);
    let (tx, rx) = mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config),
    };
    (pane, Shared::default(), rx, runner)
}

/// Read the relay setup again, as the pane does, until it has answered.
async fn refresh(
    runner: &Runner,
    rx: &mut mpsc::Receiver<SourceEvent>,
    pane: &mut SendersPane,
    shared: &mut Shared,
) {
    senders::run(SendersEffect::Refresh { activity: true }, runner);
    pump(rx, pane, shared, |e| matches!(e, SendersEvent::Activity(_))).await;
}

/// Start a test mail from `from` to rcpt@example.net through the pane's runner.
fn start_test(runner: &Runner, from: &str) {
    senders::run(
        SendersEffect::SendTest {
            access: access(),
            from: from.into(),
            to: "rcpt@example.net".into(),
        },
        runner,
    );
}

/// Send a test mail from `from` to rcpt@example.net through the pane's
/// runner and follow its trace until it is sent or bounced (or fails).
async fn send_test(
    runner: &Runner,
    rx: &mut mpsc::Receiver<SourceEvent>,
    pane: &mut SendersPane,
    shared: &mut Shared,
    from: &str,
) -> Vec<String> {
    start_test(runner, from);
    pump(rx, pane, shared, |e| {
        matches!(
            trace_event(e),
            Some(TraceStatus::Sent { .. } | TraceStatus::Bounced { .. })
        ) || matches!(
            e,
            SendersEvent::TestSubmitted(Err(_)) | SendersEvent::TraceTimeout(_)
        )
    })
    .await
}

/// Send a test mail from ok@example.com to rcpt@example.net to `t`.
async fn send_ok(t: actions::SmtpTarget) -> Result<actions::Submitted, String> {
    actions::send_test_mail(
        &access(),
        &t,
        "ok@example.com",
        "rcpt@example.net",
        Local::now(),
    )
    .await
    .map_err(|e| e.to_string())
}

/// Feed every event to the pane until `stop` says enough (or 90 s pass:
/// the test then fails with what it saw).
async fn pump(
    rx: &mut mpsc::Receiver<SourceEvent>,
    pane: &mut SendersPane,
    shared: &mut Shared,
    stop: impl Fn(&SendersEvent) -> bool,
) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no final event; saw: {seen:#?}"))
            .expect("channel open");
        let SourceEvent::Senders(ev) = ev else {
            continue;
        };
        let dump = format!("{ev:?}");
        assert!(
            !dump.contains(SECRET),
            "an event carries the secret: {dump}"
        );
        let done = stop(&ev);
        let mut cx = Cx {
            now: Local::now(),
            access: None,
            shared,
        };
        pane.on_event(ev, &mut cx);
        seen.push(dump);
        if done {
            return seen;
        }
    }
}

/// The senders cross-check of `snap` as the pane makes it, with SES not read and no log, queue
/// or local senders beyond `local`; `asked` are the senders named by hand.
fn cross_checked(
    snap: &opsdeck::mail::senders::source::RelaySnapshot,
    local: &[String],
    asked: &[String],
) -> opsdeck::mail::senders::model::CrossCheck {
    opsdeck::mail::senders::model::cross_check(&opsdeck::mail::senders::model::CheckInput {
        snapshot: snap,
        ses: opsdeck::mail::senders::model::SesView::new(),
        activity: &Default::default(),
        queue_senders: &[],
        local_senders: local,
        asked,
        ses_off: false,
    })
}

fn draw(pane: &SendersPane, shared: &Shared, w: u16, h: u16) -> String {
    draw_at(pane, shared, w, h, Local::now())
}

/// [`draw`] with the pane's clock at `now`.
fn draw_at(
    pane: &SendersPane,
    shared: &Shared,
    w: u16,
    h: u16,
    now: chrono::DateTime<Local>,
) -> String {
    let theme = Theme::fallback();
    let cx = ViewCx {
        theme: &theme,
        now,
        focused: true,
        zoomed: true,
        read_only: false,
        shared,
    };
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| pane.render(f, f.area(), &cx)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    assert!(
        !out.contains(SECRET),
        "the secret reached the screen:\n{out}"
    );
    out
}

fn trace_event(ev: &SendersEvent) -> Option<&TraceStatus> {
    match ev {
        SendersEvent::Trace(t) => Some(&t.status),
        _ => None,
    }
}

/// The first word on a test mail's fate: a delivery status (a deferral included), a refused
/// submission, or the trace's timeout.
fn first_word(e: &SendersEvent) -> bool {
    matches!(
        trace_event(e),
        Some(TraceStatus::Deferred { .. } | TraceStatus::Sent { .. } | TraceStatus::Bounced { .. })
    ) || matches!(
        e,
        SendersEvent::TestSubmitted(Err(_)) | SendersEvent::TraceTimeout(_)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_mail_traced_to_sent_and_to_bounced() {
    let s = setup(SECRET);
    let config = config_for(&s.pf);
    let (mut pane, mut shared, mut rx, runner) = rig(config);

    // the relay setup as the pane reads it
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;

    // a verified sender: sent, with SES's message id
    let seen = send_test(&runner, &mut rx, &mut pane, &mut shared, "ok@example.com").await;
    let last = seen.last().unwrap();
    assert!(last.contains("Sent"), "{seen:#?}");
    assert!(last.contains("250 Ok 0100018c"), "SES message id: {last}");
    let screen = draw(&pane, &shared, 100, 30);
    // the trace names the relay that took it (the SES stand-in), and SES's reply, wrapped
    let read: Vec<&str> = screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect();
    assert!(
        read.join(" ").contains(&format!(
            "sent via 127.0.0.1[127.0.0.1]:{} (250 Ok 0100018c",
            s.ses.port()
        )),
        "{screen}"
    );
    assert!(
        s.ses
            .accepted()
            .iter()
            .any(|m| m.sender == "ok@example.com" && m.auth_user.as_deref() == Some(USER))
    );

    // an unverified sender: bounced with SES's words and the plain explanation
    let seen = send_test(&runner, &mut rx, &mut pane, &mut shared, "bad@example.com").await;
    let last = seen.last().unwrap();
    assert!(last.contains("Bounced"), "{seen:#?}");
    assert!(last.contains("Email address is not verified"), "{last}");
    let screen = draw(&pane, &shared, 100, 30);
    assert!(screen.contains("bounced 5."), "{screen}");
    assert!(
        screen.contains("why: sender unverified: Amazon SES refused the message"),
        "{screen}"
    );

    // the cross-check read from the real instance: routes and credentials
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    let screen = draw(&pane, &shared, 180, 30);
    assert!(
        screen.contains(USER),
        "the SMTP user name is shown:\n{screen}"
    );
    assert!(screen.contains("bad@example.com"), "{screen}");
    assert!(
        !format!("{pane:?}").contains(SECRET),
        "the pane's state holds the secret"
    );
}

/// The screen as read: each row without the borders and padding, rows joined by a space (a
/// sentence wrapped over rows reads whole).
fn read(screen: &str) -> String {
    screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Feed events to the pane until the trace reaches a final status or stops; the last state of
/// the trace that was sent, if any.
async fn pump_to_the_end(
    rx: &mut mpsc::Receiver<SourceEvent>,
    pane: &mut SendersPane,
    shared: &mut Shared,
) -> Option<opsdeck::mail::senders::logscan::Trace> {
    let last = std::cell::RefCell::new(None);
    pump(rx, pane, shared, |e| {
        if let SendersEvent::Trace(t) = e {
            *last.borrow_mut() = Some((**t).clone());
        }
        matches!(
            trace_event(e),
            Some(TraceStatus::Sent { .. } | TraceStatus::Bounced { .. })
        ) || matches!(
            e,
            SendersEvent::TestSubmitted(Err(_)) | SendersEvent::TraceTimeout(_)
        )
    })
    .await;
    last.into_inner()
}

/// The log the trace follows is not there when the trace starts (not where the configuration
/// says yet): the trace says so with the path, in the Failures pane's words, while the mail is
/// in Postfix's hands; when the log appears (here: Postfix's own log linked in, holding the
/// mail's lines from before) the trace reads it from its start and reaches sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_whose_log_is_not_there_says_so_and_reads_it_once_it_is() {
    let s = setup(SECRET);
    let mut config = config_for(&s.pf);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mail.log");
    config.senders.mail_log = Some(missing.clone());
    let (mut pane, mut shared, mut rx, runner) = rig(config);
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    start_test(&runner, "ok@example.com");
    let seen = pump(&mut rx, &mut pane, &mut shared, |e| {
        matches!(e, SendersEvent::TraceLog { error: Some(_), .. })
            || matches!(
                e,
                SendersEvent::TestSubmitted(Err(_)) | SendersEvent::TraceTimeout(_)
            )
    })
    .await;
    assert!(seen.last().unwrap().contains("TraceLog"), "{seen:#?}");
    let screen = read(&draw(&pane, &shared, 100, 30));
    assert!(
        screen.contains(&format!(
            "queued, waiting for the log; the log cannot be read: {}: not found: waiting for it \
             to appear (no rsyslog? use Postfix's maillog_file, or source = \"journal\" in \
             [mail_log])",
            missing.display()
        )),
        "{screen}"
    );
    // the log appears, with what Postfix wrote of the mail meanwhile
    std::fs::hard_link(s.pf.log_path(), &missing).unwrap();
    let t = pump_to_the_end(&mut rx, &mut pane, &mut shared)
        .await
        .unwrap_or_else(|| panic!("no trace once the log appeared; the log:\n{}", s.pf.log()));
    assert!(matches!(t.status, TraceStatus::Sent { .. }), "{t:?}");
    let screen = read(&draw(&pane, &shared, 100, 30));
    assert!(!screen.contains("cannot be read"), "{screen}");
    assert!(
        screen.contains(&format!("{}: sent via", t.queue_id)),
        "{screen}"
    );
}

/// What the child run of [`a_trace_whose_log_may_not_be_read_says_why_and_reads_it_once_it_may`]
/// is given by its parent: the SMTP port, the log, and a directory to say the queue id in.
const CHILD_PORT: &str = "OPSDECK_TEST_TRACE_PORT";
const CHILD_LOG: &str = "OPSDECK_TEST_TRACE_LOG";
const CHILD_TALK: &str = "OPSDECK_TEST_TRACE_TALK";

/// The user may not read the log when the trace starts (mode 0640, root's group: as Debian's
/// root:adm mail.log to a user not in adm): the trace says why and what to do, in the Failures
/// pane's words, while the mail is delivered. Made readable afterwards (chmod, setfacl), the
/// trace reads back the mail's lines written meanwhile and reaches sent, rather than opening
/// the log at its end and waiting for lines that were already written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_whose_log_may_not_be_read_says_why_and_reads_it_once_it_may() {
    const NAME: &str = "a_trace_whose_log_may_not_be_read_says_why_and_reads_it_once_it_may";
    use std::os::unix::fs::PermissionsExt;
    if let (Ok(port), Ok(log), Ok(talk)) = (
        std::env::var(CHILD_PORT),
        std::env::var(CHILD_LOG),
        std::env::var(CHILD_TALK),
    ) {
        // the child: the trace, as a user who may not read the log
        assert!(!nix::unistd::Uid::effective().is_root());
        let log = std::path::PathBuf::from(log);
        let config = Config {
            senders: SendersConfig {
                smtp_host: "127.0.0.1".into(),
                smtp_port: port.parse().unwrap(),
                mail_log: Some(log.clone()),
                trace_timeout_secs: 60,
                ses: false,
                ..SendersConfig::default()
            },
            ..Config::default()
        };
        let (mut pane, mut shared, mut rx, runner) = rig(config);
        start_test(&runner, "ok@example.com");
        let id = std::cell::RefCell::new(None);
        pump(&mut rx, &mut pane, &mut shared, |e| {
            if let SendersEvent::TraceLog {
                id: i,
                error: Some(_),
            } = e
            {
                *id.borrow_mut() = Some(i.clone());
            }
            matches!(e, SendersEvent::TraceLog { error: Some(_), .. })
                || matches!(
                    e,
                    SendersEvent::TestSubmitted(Err(_)) | SendersEvent::TraceTimeout(_)
                )
        })
        .await;
        let id = id
            .into_inner()
            .expect("the trace said the log cannot be read");
        // no relay setup is read here: the trace is said in one line, wide enough to read whole
        let screen = read(&draw(&pane, &shared, 400, 30));
        assert!(
            screen.contains(&format!(
                "{id} from ok@example.com: queued, waiting for the log; the log cannot be read: \
                 {}: permission denied: add your user to group root",
                log.display()
            )),
            "{screen}"
        );
        // the parent makes it readable once the mail is through
        std::fs::write(std::path::Path::new(&talk).join("queued"), &id).unwrap();
        let t = pump_to_the_end(&mut rx, &mut pane, &mut shared)
            .await
            .expect("the trace read the log once it could");
        assert!(matches!(t.status, TraceStatus::Sent { .. }), "{t:?}");
        assert!(
            t.lines.iter().any(|l| l.contains("from=<ok@example.com>")),
            "the lines written before the log could be read: {t:?}"
        );
        let screen = read(&draw(&pane, &shared, 400, 30));
        assert!(!screen.contains("cannot be read"), "{screen}");
        assert!(
            screen.contains(&format!("{id} from ok@example.com: sent via")),
            "{screen}"
        );
        return;
    }
    // as root, who reads any file whatever its mode: Postfix here, the trace run again as nobody
    let s = setup(SECRET);
    let log = s.pf.log_path();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o640)).unwrap();
    let talk = tempfile::Builder::new()
        .prefix("opsdeck-trace-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(talk.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = talk.path().join("output");
    let out_file = std::fs::File::create(&output).unwrap();
    let mut child = support::nobody::test_as_nobody(NAME, None)
        .env(CHILD_PORT, s.pf.smtpd_port().to_string())
        .env(CHILD_LOG, &log)
        .env(CHILD_TALK, talk.path())
        .stdout(out_file.try_clone().unwrap())
        .stderr(out_file)
        .spawn()
        .expect("setpriv (util-linux)");
    let said = || std::fs::read_to_string(&output).unwrap_or_default();
    let queued = talk.path().join("queued");
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let id = loop {
        if let Ok(id) = std::fs::read_to_string(&queued) {
            break id;
        }
        if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not say the log cannot be read:\n{}", said());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // every line of the mail written while the log could not be read: readable only now
    s.pf.wait_for_log(
        |l| l.contains(&format!("{id}: removed")),
        Duration::from_secs(60),
    )
    .unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let said = said();
    assert!(status.success() && said.contains("1 passed"), "{said}");
}

/// The log is rotated as `postfix logrotate` does (renamed, Postfix told to reopen, the old
/// one compressed) while the trace waits for the test mail's final status: the deferral read
/// before is kept, and the delivery written to the new file ends the trace in sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_goes_on_across_a_rotation_to_the_final_status() {
    let ses = ses_with_login();
    let relay = ses.relayhost();
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .sasl_client(&relay, USER, SECRET)
            .retry_only_on_flush(),
    );
    ses.set_throttle(true);
    let (mut pane, mut shared, mut rx, runner) = rig(config_for(&pf));
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    start_test(&runner, "ok@example.com");
    let seen = pump(&mut rx, &mut pane, &mut shared, first_word).await;
    assert!(seen.last().unwrap().contains("Throttling"), "{seen:#?}");
    // a deferral is no final status: the trace waits on
    let screen = read(&draw(&pane, &shared, 100, 30));
    assert!(screen.contains(": deferred 4."), "{screen}");
    pf.wait_until_deferred(1, Duration::from_secs(60)).unwrap();
    let out = pf.command("postfix").arg("logrotate").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    ses.set_throttle(false);
    pf.flush();
    let t = pump_to_the_end(&mut rx, &mut pane, &mut shared)
        .await
        .unwrap_or_else(|| panic!("no trace after the rotation; the log:\n{}", pf.log()));
    assert!(matches!(t.status, TraceStatus::Sent { .. }), "{t:?}");
    // the deferral from the rotated file, the delivery from the new one
    assert!(t.lines.iter().any(|l| l.contains("Throttling")), "{t:?}");
    let now = pf.log();
    assert!(
        now.contains(&format!("{}: to=<rcpt@example.net>", t.queue_id))
            && now.contains("status=sent")
            && !now.contains("Throttling"),
        "the new log: {now}"
    );
    let rotated = std::fs::read_dir(pf.log_path().parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().starts_with("mail.log."));
    assert!(rotated, "postfix logrotate left no rotated file");
    let screen = read(&draw(&pane, &shared, 100, 30));
    assert!(
        screen.contains(&format!("{}: sent via", t.queue_id)),
        "{screen}"
    );
}

/// Postfix takes the test mail but logs somewhere else than the log the trace reads (here: its
/// own log, while the trace reads another file, readable and quiet): once the pane's clock is
/// [`LOG_SILENT`] past the sending, the trace says the log named nothing of it and where to
/// look, and when the trace stops it says the log never named it, not a history to look up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_that_never_names_the_test_mail_is_said() {
    use opsdeck::mail::senders::LOG_SILENT;
    let s = setup(SECRET);
    let mut config = config_for(&s.pf);
    let dir = tempfile::tempdir().unwrap();
    let quiet = dir.path().join("mail.log");
    std::fs::write(&quiet, "").unwrap();
    config.senders.mail_log = Some(quiet.clone());
    config.senders.trace_timeout_secs = 2;
    let (mut pane, mut shared, mut rx, runner) = rig(config);
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    start_test(&runner, "ok@example.com");
    let seen = pump(&mut rx, &mut pane, &mut shared, |e| {
        matches!(e, SendersEvent::TestSubmitted(_))
    })
    .await;
    assert!(seen.last().unwrap().contains("Ok"), "{seen:#?}");
    // Postfix did log it: elsewhere
    s.pf.wait_for_log(|l| l.contains("status=sent"), Duration::from_secs(60))
        .unwrap();
    let silent = format!(
        "but {} has named nothing of it since: does Postfix log there? (postconf maillog_file; \
         syslog's mail.* rule)",
        quiet.display()
    );
    // the pane's clock moved on past the silence it waits out
    let later = Local::now() + LOG_SILENT;
    let screen = read(&draw_at(&pane, &shared, 100, 30, later));
    assert!(screen.contains(&silent), "{screen}");
    // the trace gives up: the log never named it
    pump(&mut rx, &mut pane, &mut shared, |e| {
        matches!(e, SendersEvent::TraceTimeout(_))
    })
    .await;
    let screen = read(&draw_at(&pane, &shared, 100, 30, later));
    assert!(
        screen.contains(&format!(
            "but {} never named it; trace stopped: does Postfix log there?",
            quiet.display()
        )),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_deferred_and_explained() {
    let s = setup("not-the-password");
    let config = config_for(&s.pf);
    let (mut pane, mut shared, mut rx, runner) = rig(config);
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    start_test(&runner, "ok@example.com");
    let seen = pump(&mut rx, &mut pane, &mut shared, first_word).await;
    let last = seen.last().unwrap();
    assert!(last.contains("Deferred"), "{seen:#?}");
    assert!(last.contains("535"), "{last}");
    let screen = draw(&pane, &shared, 100, 30);
    assert!(
        screen.contains("why: SES credentials: SES rejected the SMTP user name or password"),
        "{screen}"
    );
    assert!(s.ses.accepted().is_empty(), "nothing got through");
}

#[test]
fn add_route_then_postmap_q_finds_it() {
    let s = setup(SECRET);
    let pf = &s.pf;
    let inst = instance_of(pf);
    let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).expect("postconf reads");
    let spec = snap.relay_maps[0].spec.clone();
    assert_eq!(spec.kind, maps::MapKind::Hash);
    let relay = s.ses.relayhost();
    // backups of the map from earlier edits, and files beside them that only look like them
    let map = std::path::PathBuf::from(&spec.path);
    let long_ago = chrono::TimeZone::with_ymd_and_hms(&Local, 2000, 1, 1, 12, 0, 0).unwrap();
    let older: Vec<_> = (0..10)
        .map(|day| actions::backup_path(&map, long_ago + chrono::Duration::days(day), 1))
        .collect();
    for b in &older {
        std::fs::write(b, "old@example.com [old.example]:587\n").unwrap();
    }
    let look_alikes = [
        map.with_file_name("sender_relay.bak"),
        map.with_file_name("sender_relay.20000101-120000-01.bak.orig"),
    ];
    for f in &look_alikes {
        std::fs::write(f, "kept by hand\n").unwrap();
    }
    let mut steps = Vec::new();
    let report = actions::add_route(
        &access(),
        &inst,
        &spec,
        "new@example.com",
        &relay,
        actions::RunPostfix::Yes,
        SendersConfig::default().route_backups,
        Local::now(),
        &mut |r| steps.push(r.steps.len()),
    );
    assert!(report.ok, "{report:#?}");
    assert!(
        report.steps.iter().any(|s| s.what.contains("postmap")),
        "{report:#?}"
    );
    assert!(
        report.steps.iter().any(|s| s.what.contains("reload")),
        "{report:#?}"
    );
    assert!(!steps.is_empty(), "progress was reported");
    let q = pf
        .command("postmap")
        .args(["-q", "new@example.com", &spec.postmap_arg()])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), relay);
    // the old entries are still there, and a dated backup was kept
    let q = pf
        .command("postmap")
        .args(["-q", "ok@example.com", &spec.postmap_arg()])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), relay);
    let made = report
        .steps
        .iter()
        .find_map(|s| s.what.as_str().strip_prefix("backup to "))
        .map(std::path::PathBuf::from)
        .expect("a backup step");
    assert!(
        !std::fs::read_to_string(&made)
            .unwrap()
            .contains("new@example.com")
    );
    // with it, ten backups of the map are left: the oldest of before went, and the report
    // says so; the files that only look like backups stay
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.ok && s.what.as_str() == "removed 1 backup older than the newest 10"),
        "{report:#?}"
    );
    assert!(!older[0].exists());
    assert!(older[1..].iter().all(|b| b.exists()));
    for f in &look_alikes {
        assert_eq!(std::fs::read_to_string(f).unwrap(), "kept by hand\n");
    }
    let backups = std::fs::read_dir(pf.config_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("sender_relay.")
                && name.ends_with(".bak")
                && name != "sender_relay.bak"
        })
        .count();
    assert_eq!(backups, 10);
}

#[test]
fn failed_postmap_leaves_the_previous_map() {
    let s = setup(SECRET);
    let pf = &s.pf;
    // every Postfix command fails: `false postmap ...`
    let inst = PostfixInstance {
        name: "test".into(),
        config_dir: pf.config_dir(),
        command_prefix: vec!["false".into()],
    };
    let path = pf.config_dir().join("sender_relay");
    let before = std::fs::read_to_string(&path).unwrap();
    let spec = maps::parse_map_list(&format!("hash:{}", path.display())).remove(0);
    let report = actions::add_route(
        &access(),
        &inst,
        &spec,
        "new@example.com",
        "[127.0.0.1]:2525",
        actions::RunPostfix::Yes,
        SendersConfig::default().route_backups,
        Local::now(),
        &mut |_| {},
    );
    assert!(!report.ok, "{report:#?}");
    assert_eq!(
        report.outcome.as_str(),
        "postmap failed: the previous map was put back and is in force"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    let q = pf
        .command("postmap")
        .args(["-q", "new@example.com", &spec.postmap_arg()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&q.stdout).trim().is_empty());
}

#[test]
fn an_unconfigured_postfix_is_named_with_its_fix() {
    // a config directory without main.cf: what a host with Postfix installed but never
    // configured looks like (root, no command prefix, so postconf reads it directly)
    let dir = tempfile::tempdir().unwrap();
    let inst = PostfixInstance {
        name: "bare".into(),
        config_dir: dir.path().to_path_buf(),
        command_prefix: Vec::new(),
    };
    let e = opsdeck::mail::senders::postconf::read(&inst).unwrap_err();
    let main_cf = dir.path().join("main.cf");
    assert_eq!(
        e.to_string(),
        format!(
            "{} does not exist: no Postfix configuration there - configure Postfix, or set config_dir in [[postfix]] to where its main.cf is (postconf -c {} -x {})",
            main_cf.display(),
            dir.path().display(),
            opsdeck::mail::senders::postconf::PARAMS.join(" ")
        )
    );
}

#[test]
fn permission_and_staleness_warnings_follow_the_files() {
    let s = setup(SECRET);
    let pf = &s.pf;
    let inst = instance_of(pf);
    let sasl = pf.config_dir().join("sasl_passwd");
    let sasl_db = pf.config_dir().join("sasl_passwd.db");
    let global = |inst: &PostfixInstance| {
        let snap = source::read_snapshot(inst, std::time::SystemTime::now()).unwrap();
        let local: Vec<String> = Vec::new();
        let check = cross_checked(&snap, &local, &[]);
        let ok_row = check
            .rows
            .iter()
            .find(|r| r.sender.as_str() == "ok@example.com")
            .cloned()
            .unwrap();
        assert_eq!(
            ok_row.creds,
            Creds::Found {
                user: USER.into(),
                has_password: true
            }
        );
        (check.global, format!("{snap:?}"))
    };

    std::fs::set_permissions(&sasl, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&sasl_db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (g, dump) = global(&inst);
    assert!(!dump.contains(SECRET), "the snapshot holds the secret");
    assert!(
        !g.iter()
            .any(|v| v.text.contains("readable by group/others")),
        "{g:#?}"
    );

    std::fs::set_permissions(&sasl, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (g, _) = global(&inst);
    let want = format!(
        "password map {} readable by group/others (mode 640): chmod 600",
        sasl.display()
    );
    assert!(
        g.iter()
            .any(|v| v.text == want && v.severity == Severity::Error),
        "{g:#?}"
    );

    // the source edited after the last postmap
    let f = std::fs::File::options().append(true).open(&sasl).unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    let (g, _) = global(&inst);
    let want = format!(
        "map source {} newer than its .db: run postmap",
        sasl.display()
    );
    assert!(g.iter().any(|v| v.text == want), "{g:#?}");

    // owned by someone else
    nix::unistd::chown(&sasl, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    let (g, _) = global(&inst);
    assert!(
        g.iter()
            .any(|v| v.text.contains("not owned by root (uid 65534)")),
        "{g:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_check_reports_without_the_secret() {
    use opsdeck::check::{Format, Report};
    let s = setup(SECRET);
    // a sender the log shows bouncing
    s.pf.submit("bad@example.com", "rcpt@example.net", "Subject: x\n\nx\n");
    s.pf.wait_for_log(|l| l.contains("status=bounced"), Duration::from_secs(30))
        .unwrap();
    let config = config_for(&s.pf);
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let text = report.render(Format::Json, Local::now());
    assert!(!text.contains(SECRET), "{text}");
    let f = report
        .findings
        .iter()
        .find(|f| f.area == "senders")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(f.summary.contains("senders"), "{text}");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.summary.contains("1 bounced, 0 deferred in the last day")),
        "the bounce from the log is reported: {text}"
    );
}

/// A sender whose mail bounced is failing until its mail goes through again: once its identity
/// is verified and the next message is delivered, `opsdeck check` no longer grades it CRITICAL for
/// the rest of the day, and the day's bounce is still said, as history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_delivering_again_is_no_longer_failing() {
    use opsdeck::check::{Format, Report, Status};
    let s = setup(SECRET);
    let config = config_for(&s.pf);
    // the password map as it should be: its mode is a finding of its own
    for f in ["sasl_passwd", "sasl_passwd.db"] {
        std::fs::set_permissions(
            s.pf.config_dir().join(f),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let graded = |r: &Report| {
        let text = r.render(Format::Text, Local::now());
        let status = r
            .findings
            .iter()
            .filter(|f| f.area == "senders")
            .map(|f| f.status)
            .reduce(Status::worst)
            .unwrap_or_else(|| panic!("{text}"));
        let failing = r
            .metrics
            .iter()
            .find(|m| m.name == "senders_failing")
            .unwrap_or_else(|| panic!("{text}"))
            .value;
        (status, failing, text)
    };
    s.pf.submit("bad@example.com", "rcpt@example.net", "Subject: x\n\nx\n");
    s.pf.wait_for_log(|l| l.contains("status=bounced"), Duration::from_secs(30))
        .unwrap();
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let (status, failing, text) = graded(&report);
    assert_eq!((status, failing), (Status::Critical, 1.0), "{text}");

    // the identity is verified; the next message from it goes through
    s.ses.verify("bad@example.com");
    s.pf.submit("bad@example.com", "rcpt@example.net", "Subject: y\n\ny\n");
    s.pf.wait_for_log(
        |l| l.contains("from=<bad@example.com>") && l.contains("status=sent"),
        Duration::from_secs(30),
    )
    .unwrap();
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let (status, failing, text) = graded(&report);
    assert_ne!(status, Status::Critical, "{text}");
    assert_eq!(failing, 0.0, "{text}");

    // the pane still says what happened today, as history
    let (mut pane, mut shared, mut rx, runner) = rig(config);
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    let mut cx = Cx {
        now: Local::now(),
        access: None,
        shared: &mut shared,
    };
    assert!(pane.on_jump(
        &opsdeck::app::effect::Jump::Sender("bad@example.com".into()),
        &mut cx
    ));
    let screen = draw(&pane, &shared, 200, 40);
    assert!(
        screen.contains("1 bounced, 0 deferred in the last day, mail delivered since"),
        "{screen}"
    );
}

/// Rule maps with `$n` substitutions, read by the pane from a running
/// private instance (postconf names the maps) and compared with `postmap -q`
/// on each: every sender's route is the relay Postfix answers, `$1`,
/// `${1}`, `$(1)`, `$$` and unmatched groups included; the rules Postfix
/// skips (its warnings name the lines) are the lines the pane reports as bad.
#[test]
fn rule_map_substitutions_agree_with_postmap() {
    const REGEXP: &str = "\
/^(news|billing)@(example)\\.org$/   [email-smtp.$2-$1.amazonaws.com]:587
/^([a-z]+)\\+([a-z]+)@example\\.com$/  [${1}.relay.example]:$(2)
/^bad@/                               $1
/^(c)@/                               $1x
!/^(keep)@/                           $1
/^(opt)(x)?@example\\.net$/           [r$2-$1.example]:25
";
    const PCRE: &str = "\
/^(?:root|postmaster)@(?<host>[^.]+)\\.example\\.com$/  [$1.outbound.example]:587
/^(d)@/                                              $0
/^price@(shop)\\.example$/                           [$1.example]:2525 # $$
/^(?i)(MiXeD)@case\\.example$/                       [$1.example]:587
";
    let pf = PostfixHarness::start(
        PostfixOptions::default()
            .file("sender_relay.regexp", REGEXP)
            .file("sender_relay.pcre", PCRE)
            .main_cf(
                "sender_dependent_relayhost_maps",
                "regexp:$config_directory/sender_relay.regexp, pcre:$config_directory/sender_relay.pcre",
            ),
    );
    let inst = instance_of(&pf);
    let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).expect("postconf reads");
    assert_eq!(snap.relay_maps.len(), 2, "{:?}", snap.settings);
    let senders = [
        "news@example.org",
        "billing@example.org",
        "other@example.org",
        "alice+eu@example.com",
        "bad@example.com",
        "c@example.com",
        "keep@example.com",
        "nokeep@example.com",
        "opt@example.net",
        "optx@example.net",
        "root@web1.example.com",
        "postmaster@db.example.com",
        "d@example.com",
        "price@shop.example",
        "mixed@case.example",
    ];
    let asked: Vec<String> = senders.iter().map(|s| s.to_string()).collect();
    let check = cross_checked(&snap, &[], &asked);
    let mut warned_lines: Vec<(String, usize)> = Vec::new();
    for sender in senders {
        // Postfix: the first map that answers wins
        let mut answer = None;
        for m in &snap.relay_maps {
            let out = pf
                .command("postmap")
                .args(["-q", sender, &m.spec.postmap_arg()])
                .output()
                .unwrap();
            for l in String::from_utf8_lossy(&out.stderr).lines() {
                // "postmap: warning: pcre map /x/sender_relay.pcre, line 2: ...: skipping this rule"
                if let Some(rest) = l.split(", line ").nth(1)
                    && l.contains("skipping this rule")
                {
                    let n: usize = rest.split(':').next().unwrap().parse().unwrap();
                    let k = (m.spec.type_name.clone(), n);
                    if !warned_lines.contains(&k) {
                        warned_lines.push(k);
                    }
                }
            }
            if out.status.code() == Some(0) {
                answer = Some(String::from_utf8_lossy(&out.stdout).trim().to_string());
                break;
            }
        }
        let row = check
            .rows
            .iter()
            .find(|r| r.sender.as_str() == sender)
            .unwrap_or_else(|| panic!("no row for {sender}"));
        let ours = match &row.route {
            opsdeck::mail::senders::model::Route::Map { relay, .. } => Some(relay.to_string()),
            opsdeck::mail::senders::model::Route::Direct => None,
            other => panic!("{sender}: {other:?}"),
        };
        assert_eq!(ours, answer, "{sender}");
    }
    // the substitutions were really exercised
    let route = |s: &str| {
        check
            .rows
            .iter()
            .find(|r| r.sender.as_str() == s)
            .unwrap()
            .route
            .short()
    };
    assert_eq!(
        route("billing@example.org"),
        "[email-smtp.example-billing.amazonaws.com]:587"
    );
    assert_eq!(route("alice+eu@example.com"), "[alice.relay.example]:eu");
    assert_eq!(route("opt@example.net"), "[r-opt.example]:25");
    assert_eq!(
        route("root@web1.example.com"),
        "[web1.outbound.example]:587"
    );
    let mut ours_bad: Vec<(String, usize)> = snap
        .relay_maps
        .iter()
        .flat_map(|m| {
            m.bad_lines
                .iter()
                .map(|b| (m.spec.type_name.clone(), b.line))
        })
        .collect();
    ours_bad.sort();
    warned_lines.sort();
    assert_eq!(ours_bad, warned_lines);
    assert!(!ours_bad.is_empty());
}

/// `smtp_tls_policy_maps` overrides `smtp_tls_security_level` for its next
/// hop, in Postfix and in the pane alike. The SES-like endpoint offers no
/// STARTTLS: with the level at `none` and a policy entry `encrypt` for the
/// relay, Postfix defers the mail ("TLS is required, but was not offered")
/// and the pane says TLS is required by the policy; with the level at
/// `encrypt` and the entry `none`, Postfix sends in plain text and the pane
/// says so, naming the entry (and, the relay being on this host, not as a
/// problem).
#[test]
fn tls_policy_entry_overrides_the_level() {
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["ok@example.com".into()],
        ..SesOptions::default()
    });
    let relay = ses.relayhost();
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("smtp_tls_security_level", "none")
            .map("tls_policy", format!("# per next hop\n{relay} encrypt\n"))
            .main_cf_map("smtp_tls_policy_maps", "tls_policy")
            .retry_only_on_flush(),
    );
    let inst = instance_of(&pf);
    let tls_of = |inst: &PostfixInstance| {
        let snap = source::read_snapshot(inst, std::time::SystemTime::now()).unwrap();
        assert_eq!(snap.tls_policy_maps.len(), 1, "{:?}", snap.settings);
        let asked = vec!["ok@example.com".to_string()];
        let check = cross_checked(&snap, &[], &asked);
        let row = check
            .rows
            .iter()
            .find(|r| r.sender.as_str() == "ok@example.com")
            .cloned()
            .unwrap();
        (row.tls.clone().expect("a relay: encryption checked"), row)
    };

    let (tls, row) = tls_of(&inst);
    assert!(!tls.is_problem(), "{tls:?}");
    assert_eq!(
        tls.words(),
        format!(
            "TLS required: smtp_tls_policy_maps says encrypt (hash:{} line 2)",
            pf.config_dir().join("tls_policy").display()
        )
    );
    assert!(
        !row.verdicts.iter().any(|v| v.text.contains("plain text")),
        "{row:?}"
    );
    // Postfix agrees: TLS is demanded of a relay that does not offer it
    pf.submit("ok@example.com", "rcpt@example.net", "Subject: tls\n\nx\n");
    pf.wait_for_log(
        |l| l.contains("TLS is required, but was not offered"),
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(ses.accepted().is_empty(), "nothing sent in plain text");

    // the other way round: level encrypt, entry none (reload only once no delivery is in flight)
    pf.wait_until_deferred(1, Duration::from_secs(30)).unwrap();
    pf.postconf_set(&[("smtp_tls_security_level", "encrypt")]);
    pf.write_map("tls_policy", &format!("{relay} none\n"));
    pf.reload();
    let (tls, row) = tls_of(&inst);
    // the stand-in listens on 127.0.0.1: plain text to a relay on this host crosses no network
    // (a content filter, a TLS tunnel), so it is said, naming the entry, but not as a problem
    assert!(!tls.is_problem(), "{tls:?}");
    assert_eq!(
        tls.words(),
        format!(
            "plain text: smtp_tls_policy_maps says none (hash:{} line 1); the relay is on this \
             host, nothing crosses the network",
            pf.config_dir().join("tls_policy").display(),
        )
    );
    assert!(
        !row.verdicts.iter().any(|v| v.text.contains("plain text")),
        "{:?}",
        row.verdicts
    );
    // Postfix agrees: the deferred mail now goes out in plain text
    pf.flush();
    pf.wait_for_log(|l| l.contains("status=sent"), Duration::from_secs(30))
        .unwrap();
    assert!(
        ses.accepted().iter().any(|m| m.sender == "ok@example.com"),
        "{:?}",
        ses.received()
    );
}

/// A password checker speaking Dovecot's authentication protocol (1.x), the
/// one Postfix's smtpd uses with `smtpd_sasl_type = dovecot` and
/// `smtpd_sasl_path = inet:127.0.0.1:PORT`. Postfix's SMTP server, its AUTH
/// command and its relay decisions are real; only the password lookup that
/// Dovecot would do is this small server (Dovecot is not installed, and
/// Cyrus' sasldb needs `saslpasswd2`, which is not either). It offers PLAIN,
/// accepts one user and password, and records each attempt's user.
struct DovecotAuth {
    port: u16,
    attempts: Arc<std::sync::Mutex<Vec<(String, bool)>>>,
}

/// Standard base64 (no crate for one test helper): invalid input gives
/// what decodes before it.
fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|c| *c != b'=') {
        let Some(v) = A.iter().position(|a| *a == c) else {
            break;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

impl DovecotAuth {
    fn start(user: &'static str, password: &'static str) -> DovecotAuth {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let rec = attempts.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut out) = conn else { return };
                let rec = rec.clone();
                std::thread::spawn(move || {
                    let greeting = "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t0123456789abcdef0123456789abcdef\nDONE\n";
                    if out.write_all(greeting.as_bytes()).is_err() {
                        return;
                    }
                    let reader = BufReader::new(out.try_clone().unwrap());
                    for line in reader.lines() {
                        let Ok(line) = line else { return };
                        let f: Vec<&str> = line.split('\t').collect();
                        if f.first() != Some(&"AUTH") || f.len() < 3 {
                            continue; // VERSION, CPID
                        }
                        let id = f[1];
                        let Some(resp) = f.iter().find_map(|x| x.strip_prefix("resp=")) else {
                            // no initial response: ask for it
                            let _ = out.write_all(format!("CONT\t{id}\t\n").as_bytes());
                            continue;
                        };
                        // PLAIN: authzid \0 authcid \0 password
                        let raw = base64_decode(resp);
                        let parts: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
                        let (u, p) = match parts.as_slice() {
                            [_, u, p] => (
                                String::from_utf8_lossy(u).into_owned(),
                                String::from_utf8_lossy(p).into_owned(),
                            ),
                            _ => (String::new(), String::new()),
                        };
                        let ok = u == user && p == password;
                        rec.lock().unwrap().push((u.clone(), ok));
                        let reply = if ok {
                            format!("OK\t{id}\tuser={u}\n")
                        } else {
                            format!("FAIL\t{id}\tuser={u}\n")
                        };
                        let _ = out.write_all(reply.as_bytes());
                    }
                });
            }
        });
        DovecotAuth { port, attempts }
    }
}

/// The test mail logs in to a Postfix that relays only for authenticated
/// clients (loopback is not in its `mynetworks`): without credentials the
/// recipient is refused, a wrong password is refused with 535, a user
/// without a password is a configuration error said before connecting, and
/// the configured login gets the mail queued and traced to sent; Postfix
/// logs the SASL user. The password reaches no event and no screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_mail_logs_in_with_the_configured_credentials() {
    const SUBMIT_USER: &str = "submit";
    const SUBMIT_PW: &str = "Subm1t-secret-never-shown";
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["ok@example.com".into()],
        ..SesOptions::default()
    });
    let auth = DovecotAuth::start(SUBMIT_USER, SUBMIT_PW);
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("mynetworks", "192.0.2.0/24")
            .main_cf("smtpd_sasl_auth_enable", "yes")
            .main_cf("smtpd_sasl_type", "dovecot")
            .main_cf("smtpd_sasl_path", format!("inet:127.0.0.1:{}", auth.port))
            .main_cf(
                "smtpd_relay_restrictions",
                "permit_sasl_authenticated, reject_unauth_destination",
            ),
    );
    let target = |user: Option<&str>, pw: Option<&str>| actions::SmtpTarget {
        host: "127.0.0.1".into(),
        port: pf.smtpd_port(),
        tls: actions::SmtpTls::Opportunistic,
        tls_verify: false,
        user: user.map(str::to_string),
        password: pw.map(opsdeck::mail::senders::secret::Secret::new),
    };

    let err = send_ok(target(None, None)).await.unwrap_err();
    assert!(err.contains("Relay access denied"), "{err}");
    let err = send_ok(target(Some(SUBMIT_USER), Some("wrong")))
        .await
        .unwrap_err();
    assert!(err.contains("535"), "{err}");
    assert!(!err.contains("wrong"), "the password is not echoed: {err}");
    let err = send_ok(target(Some(SUBMIT_USER), None)).await.unwrap_err();
    assert!(
        err.contains("senders.smtp_user is set but senders.smtp_password is not"),
        "{err}"
    );
    assert_eq!(
        *auth.attempts.lock().unwrap(),
        vec![(SUBMIT_USER.to_string(), false)],
        "one login tried, refused"
    );

    // through the pane's runner, with the login from the configuration
    let mut config = config_for(&pf);
    config.senders.smtp_user = Some(SUBMIT_USER.into());
    config.senders.smtp_password = Some(opsdeck::mail::senders::secret::Secret::new(SUBMIT_PW));
    let (mut pane, mut shared, mut rx, runner) = rig(config);
    let seen = send_test(&runner, &mut rx, &mut pane, &mut shared, "ok@example.com").await;
    let last = seen.last().unwrap();
    assert!(last.contains("Sent"), "{seen:#?}");
    assert!(
        !seen.iter().any(|e| e.contains(SUBMIT_PW)),
        "an event carries the password"
    );
    assert!(!format!("{pane:?}").contains(SUBMIT_PW));
    let screen = draw(&pane, &shared, 100, 30);
    assert!(!screen.contains(SUBMIT_PW), "{screen}");
    assert!(
        screen.contains("sent via 127.0.0.1[127.0.0.1]:"),
        "{screen}"
    );
    assert_eq!(
        auth.attempts.lock().unwrap().last(),
        Some(&(SUBMIT_USER.to_string(), true))
    );
    let log = pf.log();
    assert!(
        log.contains(&format!("sasl_method=PLAIN, sasl_username={SUBMIT_USER}")),
        "{log}"
    );
    assert!(!log.contains(SUBMIT_PW));
}

/// STARTTLS for the test mail, against Postfix's smtpd offering it with a
/// self-signed certificate and AUTH only over TLS (`smtpd_tls_auth_only`):
/// the default (STARTTLS when offered) logs in and Postfix logs the TLS
/// session; `none` is refused AUTH and says why; `required` with
/// certificate checks on refuses the self-signed certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_mail_uses_starttls_when_offered() {
    const SUBMIT_USER: &str = "submit";
    const SUBMIT_PW: &str = "Subm1t-secret-never-shown";
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["ok@example.com".into()],
        ..SesOptions::default()
    });
    let auth = DovecotAuth::start(SUBMIT_USER, SUBMIT_PW);
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mx.opsdeck.test",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl not found: install openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("mynetworks", "192.0.2.0/24")
            .main_cf("smtpd_tls_security_level", "may")
            .main_cf("smtpd_tls_cert_file", cert.display().to_string())
            .main_cf("smtpd_tls_key_file", key.display().to_string())
            .main_cf("smtpd_tls_auth_only", "yes")
            .main_cf("smtpd_tls_loglevel", "1")
            .main_cf("smtpd_sasl_auth_enable", "yes")
            .main_cf("smtpd_sasl_type", "dovecot")
            .main_cf("smtpd_sasl_path", format!("inet:127.0.0.1:{}", auth.port))
            .main_cf(
                "smtpd_relay_restrictions",
                "permit_sasl_authenticated, reject_unauth_destination",
            ),
    );
    let target = |tls, verify| actions::SmtpTarget {
        host: "127.0.0.1".into(),
        port: pf.smtpd_port(),
        tls,
        tls_verify: verify,
        user: Some(SUBMIT_USER.into()),
        password: Some(opsdeck::mail::senders::secret::Secret::new(SUBMIT_PW)),
    };
    // no TLS: Postfix offers no AUTH before STARTTLS
    let err = send_ok(target(actions::SmtpTls::None, false))
        .await
        .unwrap_err();
    assert!(err.contains("offers no AUTH"), "{err}");
    // TLS demanded with certificate checks: the self-signed one is refused
    let err = send_ok(target(actions::SmtpTls::Required, true))
        .await
        .unwrap_err();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(
        auth.attempts.lock().unwrap().is_empty(),
        "no login was tried"
    );
    // the default: STARTTLS when offered, then the login
    let config = SendersConfig::default();
    assert_eq!(config.smtp_tls, actions::SmtpTls::Opportunistic);
    let ok = send_ok(target(config.smtp_tls, config.smtp_tls_verify))
        .await
        .unwrap();
    let id = ok.queue_id.clone().expect("queued");
    pf.wait_for_log(
        |l| l.contains(&format!("{id}: to=<rcpt@example.net>")) && l.contains("status=sent"),
        Duration::from_secs(30),
    )
    .unwrap();
    let log = pf.log();
    assert!(log.contains("TLS connection established from"), "{log}");
    assert!(
        log.contains(&format!("sasl_username={SUBMIT_USER}")),
        "{log}"
    );
    assert_eq!(
        *auth.attempts.lock().unwrap(),
        vec![(SUBMIT_USER.to_string(), true)]
    );
    // the configuration reads the modes by name
    let c: SendersConfig =
        toml::from_str("smtp_tls = \"wrapper\"\nsmtp_tls_verify = false\n").unwrap();
    assert_eq!(
        (c.smtp_tls, c.smtp_tls_verify),
        (actions::SmtpTls::Wrapper, false)
    );
    assert!(toml::from_str::<SendersConfig>("smtp_tls = \"sometimes\"\n").is_err());
}

/// The route the pane shows for a sender is the relay Postfix really uses:
/// each sender's mail is deferred at a dead relay of its own, and the port in
/// the deferral names which one. Postfix looks up user@domain, user@domain
/// without its extension (only with `recipient_delimiter` set) and @domain;
/// a `root@` key is never looked up, and `DUNNO` sends the sender to the
/// default relay.
#[test]
fn routes_are_the_relays_postfix_uses() {
    let default_relay = ClosedPort::bind();
    let default = default_relay.relay();
    let root_any_relay = ClosedPort::bind();
    let root_any = root_any_relay.relay();
    let plus_relay = ClosedPort::bind();
    let plus = plus_relay.relay();
    let domain_relay = ClosedPort::bind();
    let domain = domain_relay.relay();
    let pf = PostfixHarness::start(
        PostfixOptions::default()
            .relayhost(default.clone())
            .map(
                "sender_relay",
                format!(
                    "root@ {root_any}\nplus@example.com {plus}\n@routed.example {domain}\n\
                     dunno@routed.example DUNNO\n"
                ),
            )
            .main_cf_map("sender_dependent_relayhost_maps", "sender_relay")
            .main_cf("queue_run_delay", "3600s")
            .retry_only_on_flush(),
    );
    let inst = instance_of(&pf);
    // (sender, the relay Postfix tried) for every deferred message
    let tried = |count: usize| -> Vec<(String, String)> {
        let queue = pf
            .wait_until_deferred(count, Duration::from_secs(60))
            .unwrap();
        queue
            .iter()
            .map(|m| {
                let reason = m["recipients"][0]["delay_reason"].as_str().unwrap_or("");
                // "connect to 127.0.0.1[127.0.0.1]:PORT: Connection refused"
                let port = reason
                    .split("]:")
                    .nth(1)
                    .and_then(|r| r.split(':').next())
                    .unwrap_or_else(|| panic!("no port in {reason:?}"));
                (
                    m["sender"].as_str().unwrap().to_string(),
                    format!("[127.0.0.1]:{port}"),
                )
            })
            .collect()
    };
    let ours = |senders: &[(String, String)]| -> Vec<(String, String)> {
        let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).unwrap();
        let asked: Vec<String> = senders.iter().map(|s| s.0.clone()).collect();
        let check = cross_checked(&snap, &[], &asked);
        asked
            .iter()
            .map(|s| {
                let row = check.rows.iter().find(|r| r.sender.as_str() == s).unwrap();
                (s.clone(), row.route.relay_text().unwrap_or("").to_string())
            })
            .collect()
    };
    let sorted = |mut v: Vec<(String, String)>| {
        v.sort();
        v
    };

    // recipient_delimiter is empty (the default): plus+news@ is not plus@
    for from in [
        "root@example.com",
        "plus+news@example.com",
        "plus@example.com",
        "x@routed.example",
        "dunno@routed.example",
    ] {
        pf.submit(from, "rcpt@example.net", "Subject: route\n\nhello\n");
    }
    let postfix = sorted(tried(5));
    assert_eq!(
        postfix,
        sorted(vec![
            ("dunno@routed.example".into(), default.clone()),
            ("plus+news@example.com".into(), default.clone()),
            ("plus@example.com".into(), plus.clone()),
            ("root@example.com".into(), default.clone()),
            ("x@routed.example".into(), domain.clone()),
        ])
    );
    assert_eq!(sorted(ours(&postfix)), postfix);

    // with recipient_delimiter = + the extension is cut
    pf.postconf_set(&[("recipient_delimiter", "+")]);
    pf.reload();
    pf.submit(
        "plus+two@example.com",
        "rcpt@example.net",
        "Subject: route\n\nhello\n",
    );
    let postfix = sorted(tried(6));
    assert!(
        postfix.contains(&("plus+two@example.com".into(), plus.clone())),
        "{postfix:?}"
    );
    let new: Vec<(String, String)> = postfix
        .iter()
        .filter(|s| s.0 == "plus+two@example.com" || s.0 == "root@example.com")
        .cloned()
        .collect();
    assert_eq!(sorted(ours(&new)), new);

    // the root@ entry itself is named as routing nothing
    let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).unwrap();
    let check = cross_checked(&snap, &[], &[]);
    let row = check
        .rows
        .iter()
        .find(|r| r.sender.as_str() == "root@")
        .unwrap();
    assert!(
        row.headline()
            .unwrap()
            .text
            .starts_with("Postfix never looks up a user@ key"),
        "{row:?}"
    );
    // the DUNNO entry is named as what sent its sender to the default relay
    let row = check
        .rows
        .iter()
        .find(|r| r.sender.as_str() == "dunno@routed.example")
        .unwrap();
    assert!(
        matches!(&row.route, opsdeck::mail::senders::model::Route::Default { relay, dunno: Some(at) }
            if relay.as_str() == default && at.ends_with("sender_relay line 4")),
        "{row:?}"
    );
}

/// Which password map keys Postfix really uses for a relay `[host]:port`:
/// the next hop as written and the host name, but not `[host]` without the
/// port. The pane's credentials agree with what the relay saw: found where
/// the mail went out authenticated, missing where the relay answered 530.
#[test]
fn credential_keys_are_the_ones_postfix_uses() {
    for (key, used) in [
        ("[127.0.0.1]:PORT", true),
        ("127.0.0.1", true),
        ("[127.0.0.1]", false),
    ] {
        let ses = ses_with_login();
        let relay = ses.relayhost();
        let key = key.replace("PORT", relay.rsplit(':').next().unwrap());
        let pf = PostfixHarness::start(
            PostfixOptions::relaying_to(&ses).sasl_client(&key, USER, SECRET),
        );
        pf.submit(
            "ok@example.com",
            "rcpt@example.net",
            "Subject: k\n\nhello\n",
        );
        let log = pf
            .wait_for_log(
                |l| l.contains("status=sent") || l.contains("status=bounced"),
                Duration::from_secs(30),
            )
            .unwrap();
        if used {
            assert!(log.contains("status=sent"), "{key}: {log}");
        } else {
            assert!(log.contains("530 Authentication required"), "{key}: {log}");
        }
        let inst = instance_of(&pf);
        let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).unwrap();
        let check = cross_checked(&snap, &[], &["ok@example.com".to_string()]);
        let row = check
            .rows
            .iter()
            .find(|r| r.sender.as_str() == "ok@example.com")
            .unwrap();
        if used {
            assert!(
                matches!(&row.creds, Creds::Found { user, has_password: true } if user.as_str() == USER),
                "{key}: {:?}",
                row.creds
            );
        } else {
            assert_eq!(row.creds, Creds::Missing, "{key}");
            assert!(
                row.verdicts
                    .iter()
                    .any(|v| v.text == format!("no credentials for {relay} in the password map")),
                "{key}: {:?}",
                row.verdicts
            );
        }
    }
}

/// A password map with an entry for the relay's host name and another for the next hop as
/// written, with different users (an old entry left behind): Postfix logs in with the host
/// name's, and the pane names that user, not the other.
#[test]
fn the_host_name_entry_is_used_before_the_next_hop_entry() {
    let ses = ses_with_login();
    let relay = ses.relayhost();
    let pf = PostfixHarness::start(PostfixOptions::relaying_to(&ses).sasl_password_map(format!(
        "{relay} AKIAOTHERUSER:other-password\n127.0.0.1 {USER}:{SECRET}\n"
    )));
    pf.submit(
        "ok@example.com",
        "rcpt@example.net",
        "Subject: k\n\nhello\n",
    );
    let log = pf
        .wait_for_log(
            |l| l.contains("status=sent") || l.contains("status=deferred"),
            Duration::from_secs(30),
        )
        .unwrap();
    assert!(log.contains("status=sent"), "{log}");
    let users: Vec<String> = ses.auth_attempts().into_iter().map(|a| a.user).collect();
    assert_eq!(users, vec![USER.to_string()]);
    let inst = instance_of(&pf);
    let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).unwrap();
    let check = cross_checked(&snap, &[], &["ok@example.com".to_string()]);
    let row = check
        .rows
        .iter()
        .find(|r| r.sender.as_str() == "ok@example.com")
        .unwrap();
    assert!(
        matches!(&row.creds, Creds::Found { user, has_password: true } if user.as_str() == USER),
        "{:?}",
        row.creds
    );
}

/// Two maps in sender_dependent_relayhost_maps, `@domain` in the first and a full address in
/// the second: Postfix tries the full address in both maps before `@domain`, so that address
/// goes to its own relay. Each sender's mail is deferred at a dead relay of its own, and the pane
/// names the relay Postfix tried.
#[test]
fn a_full_address_in_a_later_map_wins_over_a_domain_in_an_earlier_one() {
    let domain_relay = ClosedPort::bind();
    let domain = domain_relay.relay();
    let person_relay = ClosedPort::bind();
    let person = person_relay.relay();
    let default = ClosedPort::bind();
    let pf = PostfixHarness::start(
        PostfixOptions::default()
            .relayhost(default.relay())
            .map("domains", format!("@example.com {domain}\n"))
            .map("people", format!("alice@example.com {person}\n"))
            .main_cf(
                "sender_dependent_relayhost_maps",
                "hash:$config_directory/domains, hash:$config_directory/people",
            )
            .main_cf("queue_run_delay", "3600s")
            .retry_only_on_flush(),
    );
    for from in ["alice@example.com", "dave@example.com"] {
        pf.submit(from, "rcpt@example.net", "Subject: route\n\nhello\n");
    }
    let queue = pf.wait_until_deferred(2, Duration::from_secs(60)).unwrap();
    let mut postfix: Vec<(String, String)> = queue
        .iter()
        .map(|m| {
            let reason = m["recipients"][0]["delay_reason"].as_str().unwrap_or("");
            let port = reason
                .split("]:")
                .nth(1)
                .and_then(|r| r.split(':').next())
                .unwrap_or_else(|| panic!("no port in {reason:?}"));
            (
                m["sender"].as_str().unwrap().to_string(),
                format!("[127.0.0.1]:{port}"),
            )
        })
        .collect();
    postfix.sort();
    assert_eq!(
        postfix,
        vec![
            ("alice@example.com".to_string(), person.clone()),
            ("dave@example.com".to_string(), domain.clone()),
        ]
    );
    let inst = instance_of(&pf);
    let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).unwrap();
    let asked: Vec<String> = postfix.iter().map(|p| p.0.clone()).collect();
    let check = cross_checked(&snap, &[], &asked);
    let ours: Vec<(String, String)> = asked
        .iter()
        .map(|s| {
            let row = check.rows.iter().find(|r| r.sender.as_str() == s).unwrap();
            (s.clone(), row.route.relay_text().unwrap_or("").to_string())
        })
        .collect();
    assert_eq!(ours, postfix);
}

/// `default_transport = smtp:[host]:port` names its own next hop: Postfix sends every sender's
/// mail to other domains there, whatever the sender map says. The mail is deferred at that
/// (dead) relay, and the pane names it as the sender's route.
#[test]
fn a_next_hop_in_default_transport_overrides_the_sender_map() {
    let mapped_relay = ClosedPort::bind();
    let mapped = mapped_relay.relay();
    let transport_relay = ClosedPort::bind();
    let transport = transport_relay.relay();
    let default = ClosedPort::bind();
    let pf = PostfixHarness::start(
        PostfixOptions::default()
            .relayhost(default.relay())
            .map("sender_relay", format!("alice@example.com {mapped}\n"))
            .main_cf_map("sender_dependent_relayhost_maps", "sender_relay")
            .main_cf("default_transport", format!("smtp:{transport}"))
            .main_cf("queue_run_delay", "3600s")
            .retry_only_on_flush(),
    );
    pf.submit(
        "alice@example.com",
        "rcpt@example.net",
        "Subject: route\n\nhello\n",
    );
    let queue = pf.wait_until_deferred(1, Duration::from_secs(60)).unwrap();
    let reason = queue[0]["recipients"][0]["delay_reason"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let port = transport.rsplit(':').next().unwrap();
    assert!(reason.contains(&format!("]:{port}:")), "{reason}");
    let inst = instance_of(&pf);
    let snap = source::read_snapshot(&inst, std::time::SystemTime::now()).unwrap();
    let check = cross_checked(&snap, &[], &["alice@example.com".to_string()]);
    let row = check
        .rows
        .iter()
        .find(|r| r.sender.as_str() == "alice@example.com")
        .unwrap();
    assert_eq!(row.route.relay_text(), Some(transport.as_str()), "{row:?}");
}

/// The test mail deferred (SES throttling), then requeued with `postsuper -r` once the relay
/// takes mail again: pickup gives it a new queue id, and the trace follows it there to its
/// delivery instead of ending on the first id's deferral.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requeued_test_mail_is_traced_to_its_delivery_under_its_new_id() {
    let s = setup(SECRET);
    s.ses.set_throttle(true);
    let config = config_for(&s.pf);
    let (mut pane, mut shared, mut rx, runner) = rig(config);
    refresh(&runner, &mut rx, &mut pane, &mut shared).await;
    start_test(&runner, "ok@example.com");
    let seen = pump(&mut rx, &mut pane, &mut shared, |e| {
        matches!(trace_event(e), Some(TraceStatus::Deferred { .. }))
            || matches!(
                e,
                SendersEvent::TestSubmitted(Err(_)) | SendersEvent::TraceTimeout(_)
            )
    })
    .await;
    assert!(seen.last().unwrap().contains("Throttling"), "{seen:#?}");

    s.ses.set_throttle(false);
    let out =
        s.pf.command("postsuper")
            .args(["-r", "ALL"])
            .output()
            .unwrap();
    assert!(out.status.success(), "{out:?}");
    // the mail waits in maildrop for pickup's next run (up to a minute): wake it now
    let out =
        s.pf.command("postkick")
            .args(["public", "pickup", "W"])
            .output()
            .unwrap();
    assert!(out.status.success(), "{out:?}");
    let last = std::cell::RefCell::new(None);
    pump(&mut rx, &mut pane, &mut shared, |e| {
        if let SendersEvent::Trace(t) = e {
            *last.borrow_mut() = Some((**t).clone());
        }
        matches!(
            trace_event(e),
            Some(TraceStatus::Sent { .. } | TraceStatus::Bounced { .. })
        ) || matches!(e, SendersEvent::TraceTimeout(_))
    })
    .await;
    let t = last
        .into_inner()
        .unwrap_or_else(|| panic!("no trace after the requeue; the log:\n{}", s.pf.log()));
    assert!(matches!(t.status, TraceStatus::Sent { .. }), "{t:?}");
    let new = t.requeued_as.clone().expect("the new queue id");
    assert_ne!(new, t.queue_id);
    assert!(
        s.ses
            .accepted()
            .iter()
            .any(|m| m.sender == "ok@example.com"),
        "the relay got it"
    );
    let screen = draw(&pane, &shared, 120, 30);
    assert!(
        screen.contains(&format!("{} (requeued as {new}): sent via", t.queue_id)),
        "{screen}"
    );
}
