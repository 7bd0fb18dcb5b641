//! The queue's source tasks and effect runs: a poller per Postfix instance
//! (`postqueue -j` every `interval_secs`, the version once; with `postqueue_command`, one
//! poller for all), one-shot refreshes, actions, and lazy `postcat` loads.
//!
//! All process work happens here, off the event loop, and every result goes
//! back as a [`QueueEvent`]. Nothing here touches pane state or the terminal;
//! mutations only run with the `WriteAccess` their effect carries, and never
//! on the demo queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Local;

use super::commands::{self, MailVersion, Part, StopSwitch};
use super::error::QueueError;
use super::id::QueueId;
use super::model::SearchText;
use super::parse::parse_jsonl;
use super::{ActionId, QueueEffect, QueueEvent};
use crate::app::effect::{Runner, SourceEvent};
use crate::config::PostfixInstance;
use crate::sanitize::Clean;

/// Refresh requests since the running refresh started (0: none running), one count per event
/// loop, named by its channel. One count for the whole process coalesced a loop's request into
/// another loop's listing (two consoles' tests in one process: one never heard back), and a
/// listing task dropped with its runtime left it above 0, so no refresh ever ran again.
type Counts = Vec<(tokio::sync::mpsc::WeakSender<SourceEvent>, Arc<AtomicUsize>)>;
static REFRESH: Mutex<Counts> = Mutex::new(Vec::new());

/// The refresh count of the loop `runner` reports to.
fn refresh_count(runner: &Runner) -> Arc<AtomicUsize> {
    let mut all = REFRESH.lock().unwrap_or_else(|e| e.into_inner());
    // loops that have ended
    all.retain(|(w, _)| w.strong_count() > 0);
    let known = all
        .iter()
        .find(|(w, _)| w.upgrade().is_some_and(|tx| tx.same_channel(&runner.tx)));
    if let Some((_, n)) = known {
        return n.clone();
    }
    let n = Arc::new(AtomicUsize::new(0));
    all.push((runner.tx.downgrade(), n.clone()));
    n
}

/// Sets a refresh count back to 0 when the listing task ends other than by its own choice
/// (its runtime shut down, a panic): the next request then starts a listing.
struct Unstick {
    count: Arc<AtomicUsize>,
    armed: bool,
}

impl Drop for Unstick {
    fn drop(&mut self) {
        if self.armed {
            self.count.store(0, Ordering::SeqCst);
        }
    }
}

/// A listing bigger than this is refused rather than exhausting memory.
const MAX_LISTING: usize = 1 << 30;
const MAX_HEADERS: usize = 64 * 1024;
const MAX_LINES: usize = 5000;

fn instance(runner: &Runner, i: usize) -> Option<PostfixInstance> {
    runner.config.postfix.get(i).cloned()
}

async fn send(runner: &Runner, ev: QueueEvent) {
    runner.send(SourceEvent::Queue(ev)).await;
}

/// How long one listing may take before it is stopped and reported as an error. `postqueue -j`
/// on a queue of 100,000 messages answers in seconds; a listing through ssh to a host that
/// dropped off the network can wait for hours, and the poller with it.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(120);

/// Read one instance's queue and report it.
pub async fn list_once(runner: &Runner, i: usize) {
    list_within(runner, i, LIST_TIMEOUT).await;
}

/// [`list_once`], giving up after `limit`.
async fn list_within(runner: &Runner, i: usize, limit: Duration) {
    let Some(inst) = instance(runner, i) else {
        return;
    };
    let at = Local::now();
    let spec = commands::list(&inst, runner.config.queue.listing_command());
    // the child is killed when its future is dropped (kill_on_drop)
    let ran = tokio::time::timeout(limit, commands::run(&spec, MAX_LISTING))
        .await
        .unwrap_or_else(|_| {
            Err(QueueError::TimedOut {
                command: spec.display(),
                after: limit,
            })
        });
    let result = match ran {
        Ok(c) if c.cut => Err(QueueError::Exit {
            command: spec.display(),
            status: "output over 1 GiB".into(),
            detail: "listing refused".into(),
        }),
        Ok(c) => {
            let down = QueueError::down_while_listing(&spec.display(), &c.stderr).map(Box::new);
            tokio::task::spawn_blocking(move || {
                let mut p = parse_jsonl(&c.stdout);
                p.search = SearchText::build(&p.entries);
                p.down = down;
                p
            })
            .await
            .map_err(|e| QueueError::Spawn {
                command: spec.display(),
                detail: e.to_string(),
            })
        }
        Err(e) => Err(e),
    };
    send(
        runner,
        QueueEvent::Listed {
            instance: i,
            at,
            result,
        },
    )
    .await;
}

/// Ask one instance for its Postfix version.
pub async fn version_once(runner: &Runner, i: usize) {
    let Some(inst) = instance(runner, i) else {
        return;
    };
    let spec = commands::version(&inst);
    let result = commands::run(&spec, 4096).await.and_then(|c| {
        MailVersion::parse_postconf(&String::from_utf8_lossy(&c.stdout)).ok_or_else(|| {
            QueueError::Exit {
                command: spec.display(),
                status: "exit status: 0".into(),
                detail: "no version in the output".into(),
            }
        })
    });
    send(
        runner,
        QueueEvent::Version {
            instance: i,
            result,
        },
    )
    .await;
}

/// The instances that are listed (all, or the first alone with `postqueue_command`).
fn listed(runner: &Runner) -> std::ops::Range<usize> {
    0..runner
        .config
        .queue
        .listed_instances(runner.config.postfix.len())
}

/// Read the queue of every listed instance, one after the other.
async fn list_all(runner: &Runner) {
    for i in listed(runner) {
        list_once(runner, i).await;
    }
}

/// Ask every instance for its version, and start one poller per listed instance.
pub fn start(runner: &Runner) {
    let listed = listed(runner);
    for i in 0..runner.config.postfix.len() {
        let r = runner.clone();
        let polled = listed.contains(&i);
        tokio::spawn(async move {
            if !r.config.demo {
                version_once(&r, i).await;
            }
            if !polled {
                return;
            }
            let every = Duration::from_secs(r.config.queue.interval_secs.max(1));
            loop {
                list_once(&r, i).await;
                tokio::time::sleep(every).await;
                if r.tx.is_closed() {
                    break;
                }
            }
        });
    }
}

/// The lines of a part as shown: a header folded over several lines unfolded into one (the
/// view wraps a long one, indented) with its RFC 2047 encoded-words decoded
/// (`=?UTF-8?B?...?=` says nothing to a reader), and every line sanitized after that, for a
/// decoded word is outside text too.
fn lines_of(bytes: &[u8], part: Part) -> Vec<Clean> {
    let text = String::from_utf8_lossy(bytes);
    let lines = text.lines().take(MAX_LINES);
    match part {
        Part::Headers => unfold(lines)
            .into_iter()
            .map(|(h, n)| Clean::capped(&super::encoded_words::decode(&h), 1000 * n))
            .collect(),
        Part::Body => lines.map(|l| Clean::capped(l, 1000)).collect(),
    }
}

/// Header lines unfolded (RFC 5322 section 2.2.3): a line that starts with a space or a tab
/// goes on the header before it, each with the number of lines it was written on. Unfolded
/// first, the encoded-words a mailer put on lines of their own are adjacent, and decode as
/// one text (with the bytes of a character cut between them put together). The whitespace
/// that starts a continuation line is shown as one space: a tab in the middle of a line
/// would draw as up to eight. A line that starts with whitespace after a blank line or
/// after postcat's own `*** ... ***` lines is no continuation, and stays as it is.
fn unfold<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for l in lines {
        let rest = l.trim_start_matches([' ', '\t']);
        match out.last_mut() {
            Some((h, n))
                if rest.len() < l.len() && !h.trim().is_empty() && !h.starts_with("*** ") =>
            {
                h.push(' ');
                h.push_str(rest);
                *n += 1;
            }
            _ => out.push((l.to_string(), 1)),
        }
    }
    out
}

/// How an action's progress reaches the pane: about a hundred reports over
/// the whole action, whatever its size, and never waiting for room in the
/// channel (a report dropped is followed by the next, and by the result).
fn progress_reporter(
    runner: &Runner,
    instance: usize,
    action: ActionId,
    op: super::QueueOp,
    ids: &[QueueId],
    command: Clean,
    stop: StopSwitch,
) -> impl FnMut(usize) + Send + use<> {
    let tx = runner.tx.clone();
    let of = ids.len();
    let step = (of / 100).max(1);
    let one = match ids {
        [id] => Some(id.clone()),
        _ => None,
    };
    move |done: usize| {
        if done.is_multiple_of(step) || done == of {
            let _ = tx.try_send(SourceEvent::Queue(QueueEvent::Progress {
                instance,
                action,
                op,
                done,
                of,
                one: one.clone(),
                command: command.clone(),
                stop: stop.clone(),
            }));
        }
    }
}

/// Carry out one effect in a task of its own.
pub fn run(effect: QueueEffect, runner: &Runner) {
    let r = runner.clone();
    match effect {
        QueueEffect::Refresh => {
            // Coalesce: a burst of refresh requests (log lines, actions)
            // runs at most one listing now and one after it.
            let count = refresh_count(&r);
            if count.fetch_add(1, Ordering::SeqCst) > 0 {
                return;
            }
            tokio::spawn(async move {
                let mut unstick = Unstick {
                    count: count.clone(),
                    armed: true,
                };
                loop {
                    list_all(&r).await;
                    // Asked again while listing? Then once more, else stop.
                    let asked = count.swap(0, Ordering::SeqCst);
                    if asked <= 1 || count.fetch_add(1, Ordering::SeqCst) > 0 {
                        break;
                    }
                }
                // ended by its own choice: the count is another listing's by now
                unstick.armed = false;
            });
        }
        QueueEffect::Apply {
            instance: i,
            action,
            op,
            ids,
            access,
            stop,
        } => {
            // let finish when opsdeck is left: the messages chosen are all acted on
            let running = crate::app::effect::ChangeRunning::start();
            // from now on, a stop confirmed has this to stop
            let carrying = stop.carry();
            tokio::spawn(async move {
                let _running = running;
                let result = if r.config.demo {
                    // the demo's queue is a file: changed as postsuper would change a queue (its
                    // reading and writing kept off the runtime's threads)
                    let (config, ids) = (r.config.clone(), ids.clone());
                    tokio::task::spawn_blocking(move || super::demo::apply(&config, op, &ids))
                        .await
                        .unwrap_or_else(|e| Err(demo_task_failed(op.verb(), &e)))
                } else {
                    match instance(&r, i) {
                        Some(inst) => {
                            let line = commands::action_line(&inst, op, &ids);
                            // the first report is waited for: a command that hangs sends no
                            // other, and without it the pane could neither say it runs nor
                            // stop it
                            send(
                                &r,
                                QueueEvent::Progress {
                                    instance: i,
                                    action,
                                    op,
                                    done: 0,
                                    of: ids.len(),
                                    one: match ids.as_slice() {
                                        [id] => Some(id.clone()),
                                        _ => None,
                                    },
                                    command: line.clone(),
                                    stop: stop.clone(),
                                },
                            )
                            .await;
                            let mut report =
                                progress_reporter(&r, i, action, op, &ids, line, stop.clone());
                            commands::apply_watching(&access, &inst, op, &ids, &mut report, &stop)
                                .await
                        }
                        None => Err(QueueError::Spawn {
                            command: "postsuper".into(),
                            detail: format!("no Postfix instance #{i}"),
                        }),
                    }
                };
                // its commands are done: a stop confirmed from now on has nothing to stop here
                drop(carrying);
                send(
                    &r,
                    QueueEvent::Applied {
                        instance: i,
                        action,
                        result,
                    },
                )
                .await;
            });
        }
        QueueEffect::Flush {
            instance: i,
            action,
            access,
            stop,
        } => {
            let running = crate::app::effect::ChangeRunning::start();
            let carrying = stop.carry();
            tokio::spawn(async move {
                let _running = running;
                let result = if r.config.demo {
                    let config = r.config.clone();
                    tokio::task::spawn_blocking(move || super::demo::flush(&config))
                        .await
                        .unwrap_or_else(|e| Err(demo_task_failed("flush", &e)))
                } else {
                    match instance(&r, i) {
                        Some(inst) => {
                            // said when it takes long (see `Progress`)
                            let command = Clean::joined(commands::flush_command(&inst).display());
                            send(
                                &r,
                                QueueEvent::FlushStarted {
                                    instance: i,
                                    action,
                                    command,
                                    stop: stop.clone(),
                                },
                            )
                            .await;
                            commands::flush(&access, &inst, &stop).await
                        }
                        None => Err(QueueError::Spawn {
                            command: "postqueue -f".into(),
                            detail: format!("no Postfix instance #{i}"),
                        }),
                    }
                };
                drop(carrying);
                send(
                    &r,
                    QueueEvent::Flushed {
                        instance: i,
                        action,
                        result,
                    },
                )
                .await;
            });
        }
        QueueEffect::Stop {
            instance,
            targets,
            access,
        } => {
            tokio::spawn(async move {
                // what the dialog named may have ended while it was open: nothing is thrown
                // for that
                let (stopped, ended): (Vec<_>, Vec<_>) =
                    targets.into_iter().partition(|t| t.stop.is_carried());
                let switches: Vec<StopSwitch> = stopped.iter().map(|t| t.stop.clone()).collect();
                // said before they are thrown, so before the results of what they stop
                send(
                    &r,
                    QueueEvent::StopRun {
                        instance,
                        stopped,
                        ended,
                    },
                )
                .await;
                for stop in switches {
                    stop.throw(&access);
                }
            });
        }
        QueueEffect::Load {
            instance: i,
            id,
            part,
        } => {
            tokio::spawn(async move {
                let result = if r.config.demo {
                    Err(QueueError::Demo {
                        action: "postcat".into(),
                    })
                } else {
                    match instance(&r, i) {
                        Some(inst) => {
                            let cap = match part {
                                Part::Headers => MAX_HEADERS,
                                Part::Body => r.config.queue.body_max_bytes,
                            };
                            commands::run(&commands::postcat(&inst, &id, part), cap)
                                .await
                                .map(|c| (lines_of(&c.stdout, part), c.cut))
                        }
                        None => Err(QueueError::Spawn {
                            command: "postcat".into(),
                            detail: format!("no Postfix instance #{i}"),
                        }),
                    }
                };
                send(
                    &r,
                    QueueEvent::Loaded {
                        instance: i,
                        id,
                        part,
                        result,
                    },
                )
                .await;
            });
        }
    }
}

/// The demo's action whose task ended without a result (it panicked).
fn demo_task_failed(action: &str, e: &tokio::task::JoinError) -> QueueError {
    QueueError::Spawn {
        command: format!("{action} (demo)"),
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A postsuper on the messages someone chose is let finish when opsdeck is left (`q`, a
    /// dropped link): it counts as a change running from before it starts until it ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_queue_change_counts_as_running_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let go = dir.path().join("go");
        let mut config = crate::config::Config::default();
        // postsuper through a prefix that waits for the test's word
        config.postfix[0].command_prefix = vec![
            "sh".into(),
            "-c".into(),
            format!("while [ ! -e {} ]; do sleep 0.05; done", go.display()),
            "prefix".into(),
        ];
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = Runner {
            tx,
            config: Arc::new(config),
        };
        let access = crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive);
        for effect in [
            QueueEffect::Apply {
                instance: 0,
                action: ActionId::default(),
                op: commands::QueueOp::Delete,
                ids: vec![QueueId::parse("4889DC8909").unwrap()],
                access: access.clone().unwrap(),
                stop: commands::StopSwitch::default(),
            },
            QueueEffect::Flush {
                instance: 0,
                action: ActionId::default(),
                access: access.clone().unwrap(),
                stop: commands::StopSwitch::default(),
            },
        ] {
            run(effect, &runner);
            assert!(
                crate::app::effect::changes_running() >= 1,
                "counted from the start"
            );
            std::fs::write(&go, "").unwrap();
            loop {
                if let SourceEvent::Queue(QueueEvent::Applied { .. } | QueueEvent::Flushed { .. }) =
                    rx.recv().await.unwrap()
                {
                    break;
                }
            }
            std::fs::remove_file(&go).unwrap();
        }
    }

    /// A change whose command does not end (a `command_prefix` to a host that does not answer)
    /// is said, while it hangs, with the whole command line it runs: the pane shows it, to be
    /// ended by hand.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hanging_change_names_its_command_line_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let go = dir.path().join("go");
        let mut config = crate::config::Config::default();
        let wait = format!("while [ ! -e {} ]; do sleep 0.05; done", go.display());
        config.postfix[0].command_prefix =
            vec!["sh".into(), "-c".into(), wait.clone(), "prefix".into()];
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = Runner {
            tx,
            config: Arc::new(config),
        };
        let access = crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive);
        let effects = [
            QueueEffect::Apply {
                instance: 0,
                action: ActionId::default(),
                op: commands::QueueOp::Hold,
                ids: vec![QueueId::parse("4889DC8909").unwrap()],
                access: access.clone().unwrap(),
                stop: commands::StopSwitch::default(),
            },
            QueueEffect::Flush {
                instance: 0,
                action: ActionId::default(),
                access: access.clone().unwrap(),
                stop: commands::StopSwitch::default(),
            },
        ];
        let said = [
            format!("sh -c {wait} prefix postsuper -h -"),
            format!("sh -c {wait} prefix postqueue -f"),
        ];
        for (effect, want) in effects.into_iter().zip(said) {
            run(effect, &runner);
            // the first report, while the command still waits
            let command = match rx.recv().await.unwrap() {
                SourceEvent::Queue(
                    QueueEvent::Progress { command, .. } | QueueEvent::FlushStarted { command, .. },
                ) => command,
                other => panic!("{other:?}"),
            };
            assert_eq!(command, want);
            assert!(!go.exists());
            std::fs::write(&go, "").unwrap();
            loop {
                if let SourceEvent::Queue(QueueEvent::Applied { .. } | QueueEvent::Flushed { .. }) =
                    rx.recv().await.unwrap()
                {
                    break;
                }
            }
            std::fs::remove_file(&go).unwrap();
        }
    }

    /// A flush through a `command_prefix` that never answers is stopped by the effect the
    /// pane's stop dialog runs: the prefix and what it started are gone, and the flush reports
    /// that it was stopped by the user.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stop_ends_a_hanging_flush_and_says_it_was_stopped() {
        let mut config = crate::config::Config::default();
        config.postfix[0].command_prefix = ["sh", "-c", "sleep 86416; true", "prefix"]
            .map(String::from)
            .to_vec();
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = Runner {
            tx,
            config: Arc::new(config),
        };
        let access =
            crate::access::WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let stop = commands::StopSwitch::default();
        run(
            QueueEffect::Flush {
                instance: 0,
                action: ActionId::default(),
                access: access.clone(),
                stop: stop.clone(),
            },
            &runner,
        );
        assert!(matches!(
            rx.recv().await,
            Some(SourceEvent::Queue(QueueEvent::FlushStarted { .. }))
        ));
        let sleeping = |pid: &str| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == b"sleep\086416\0")
        };
        let pids = || -> Vec<String> {
            std::fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|p| sleeping(p))
                .collect()
        };
        let end = std::time::Instant::now() + Duration::from_secs(60);
        while pids().is_empty() {
            assert!(std::time::Instant::now() < end, "the prefix never ran");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        run(
            QueueEffect::Stop {
                instance: 0,
                targets: vec![super::super::StopTarget {
                    action: ActionId::default(),
                    command: Clean::new("postqueue -f"),
                    stop,
                }],
                access,
            },
            &runner,
        );
        let said = rx.recv().await;
        assert!(
            matches!(
                &said,
                Some(SourceEvent::Queue(QueueEvent::StopRun { stopped, ended, .. }))
                    if stopped.len() == 1 && ended.is_empty()
            ),
            "{said:?}"
        );
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(SourceEvent::Queue(QueueEvent::Flushed { result: Err(e), .. }))) => assert_eq!(
                e.to_string(),
                "sh -c sleep 86416; true prefix postqueue -f: stopped by you before it finished - the queue is read again to show what it did"
            ),
            other => panic!("{other:?}"),
        }
        let end = std::time::Instant::now() + Duration::from_secs(60);
        while !pids().is_empty() {
            assert!(std::time::Instant::now() < end, "still runs: {:?}", pids());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[test]
    fn header_words_are_decoded_then_sanitized() {
        let out = b"*** HEADER EXTRACTED deferred/4889DC8909 ***\n\
                    Subject: =?UTF-8?B?Qm9uam91ciwgw6l0w6kgIQ==?=\n\
                    From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>\n\
                    Subject: =?UTF-8?B?WW91ciBvcmRlciAbXTA7b3duZWQH?=\n";
        let lines: Vec<String> = lines_of(out, Part::Headers)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(lines[1], "Subject: Bonjour, été !");
        assert_eq!(lines[2], "From: André <andre@example.com>");
        // an escape sequence hidden in an encoded word reaches the screen escaped
        assert_eq!(lines[3], "Subject: Your order \\e]0;owned\\x07");
        // a body is shown as it is
        let body = lines_of(b"=?UTF-8?Q?caf=C3=A9?=\n", Part::Body);
        assert_eq!(body[0].to_string(), "=?UTF-8?Q?caf=C3=A9?=");
    }

    #[test]
    fn folded_headers_are_unfolded_then_decoded_as_one() {
        // as mailers write them: a Subject cut into words on lines of their own, the cut
        // falling inside a character (B and Q), a From name likewise, a Received line folded
        // with a tab, and a long References list over many lines
        let refs: Vec<String> = (0..40)
            .map(|i| format!("\t<{i:02}.reference@example.com>"))
            .collect();
        let out = format!(
            "*** HEADER EXTRACTED deferred/4889DC8909 ***\n\
             Subject: =?UTF-8?B?w4lsw6k=?=\n =?UTF-8?B?bWVudCDD?=\n\t=?UTF-8?B?qXTDqQ==?=\n\
             From: =?UTF-8?Q?Andr=C3?=\n =?UTF-8?Q?=A9_M=C3=BCller?= <andre@example.com>\n\
             Received: from mx.example.com (mx.example.com [192.0.2.1])\n\
             \tby relay.example.net (Postfix) with ESMTPS id 4889DC8909\n\
             X-Note: =?UTF-8?Q?caf=C3=A9?=\n and more\n\
             References: <first@example.com>\n{}\n",
            refs.join("\n")
        );
        let lines: Vec<String> = lines_of(out.as_bytes(), Part::Headers)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(lines[0], "*** HEADER EXTRACTED deferred/4889DC8909 ***");
        assert_eq!(lines[1], "Subject: Élément été");
        assert_eq!(lines[2], "From: André Müller <andre@example.com>");
        assert_eq!(
            lines[3],
            "Received: from mx.example.com (mx.example.com [192.0.2.1]) \
             by relay.example.net (Postfix) with ESMTPS id 4889DC8909"
        );
        // whitespace between an encoded-word and plain text stays
        assert_eq!(lines[4], "X-Note: café and more");
        // a header over many lines is capped by its lines, not cut at one line's cap
        assert!(
            lines[5].ends_with("<39.reference@example.com>"),
            "{}",
            lines[5]
        );
        assert_eq!(lines.len(), 6, "{lines:#?}");
        // whitespace at the start of the first line, or after a blank one, continues nothing
        let lines: Vec<String> = lines_of(b" odd\nA: b\n\n c\n", Part::Headers)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert_eq!(lines, [" odd", "A: b", "", " c"]);
        // a body is not unfolded
        let body = lines_of(b"a\n b\n", Part::Body);
        assert_eq!(body.len(), 2);
    }

    use crate::access::{Mode, WriteAccess};
    use crate::config::Config;
    use crate::mail::queue::{QueueAction, QueueId, QueueOp};

    fn runner(config: Config) -> (Runner, tokio::sync::mpsc::Receiver<SourceEvent>) {
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        (
            Runner {
                tx,
                config: Arc::new(config),
            },
            rx,
        )
    }

    #[tokio::test]
    async fn demo_actions_change_its_file_and_demo_lists_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        let entries = crate::mail::queue::demo::install(dir.path(), &mut config).unwrap();
        // a log outside the demo's sandbox (the host's, by default) is never written
        let outside = tempfile::tempdir().unwrap();
        let host_log = outside.path().join("mail.log");
        std::fs::write(&host_log, "").unwrap();
        config.mail_log.files = vec![host_log.clone()];
        let (r, mut rx) = runner(config);
        let apply = |op, ids: Vec<QueueId>| QueueEffect::Apply {
            instance: 0,
            action: ActionId::default(),
            op,
            ids,
            access: WriteAccess::for_mode(Mode::Interactive).unwrap(),
            stop: commands::StopSwitch::default(),
        };
        run(apply(QueueOp::Delete, vec![entries[0].id.clone()]), &r);
        match rx.recv().await {
            Some(SourceEvent::Queue(QueueEvent::Applied { result: Ok(o), .. })) => {
                assert_eq!(o.done, Some(1), "{o:?}")
            }
            other => panic!("{other:?}"),
        }
        // one that a retry defers again (SES takes some of the mail it throttled)
        let deferred = entries
            .iter()
            .find(|e| {
                e.queue == crate::mail::queue::QueueName::Deferred
                    && e.recipients.iter().all(|r| {
                        r.reason
                            .as_ref()
                            .is_some_and(|(_, why)| !why.contains("Maximum sending rate"))
                    })
            })
            .unwrap();
        run(apply(QueueOp::DeliverNow, vec![deferred.id.clone()]), &r);
        match rx.recv().await {
            Some(SourceEvent::Queue(QueueEvent::Applied { result: Ok(o), .. })) => {
                assert_eq!(o.done, Some(1), "{o:?}")
            }
            other => panic!("{other:?}"),
        }
        list_once(&r, 0).await;
        match rx.recv().await {
            Some(SourceEvent::Queue(QueueEvent::Listed { result: Ok(p), .. })) => {
                assert_eq!(p.entries.len(), 239);
                assert_eq!(p.bad_lines, 0);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&host_log).unwrap(), "");
    }

    #[tokio::test]
    async fn a_listing_that_never_answers_is_stopped_and_said() {
        // postqueue_command through ssh to a host that dropped off the network: the poller
        // waited for ever, and the pane showed the last list as if it were current
        let mut config = Config::default();
        config.queue.postqueue_command = Some(vec!["sleep".into(), "3600".into()]);
        let (r, mut rx) = runner(config);
        tokio::time::timeout(
            Duration::from_secs(60),
            list_within(&r, 0, Duration::from_millis(200)),
        )
        .await
        .expect("the listing still waits on a command that never answers");
        match rx.recv().await {
            Some(SourceEvent::Queue(QueueEvent::Listed { result: Err(e), .. })) => {
                assert_eq!(
                    e.to_string(),
                    "sleep 3600: no answer after 0.2 s - stopped; the next reading tries again"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    /// Two event loops in one process (tests run side by side) each hear back from their own
    /// refresh: one loop's request is never folded into the other's listing, and a listing
    /// dropped with its runtime does not stop every later refresh.
    #[test]
    fn each_loop_hears_back_from_its_own_refresh() {
        let slow = |secs: &str| {
            let mut config = Config::default();
            config.queue.postqueue_command = Some(vec!["sleep".into(), secs.into()]);
            config
        };
        // heard back within 20 s (each listing takes 1 s)
        let listed = |rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>| {
            let end = std::time::Instant::now() + Duration::from_secs(20);
            while std::time::Instant::now() < end {
                match rx.try_recv() {
                    Ok(SourceEvent::Queue(QueueEvent::Listed { .. })) => return true,
                    Ok(_) => {}
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
            false
        };
        // a listing left running when its runtime shuts down
        let (stuck, _stuck_rx) = runner(slow("3600"));
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async { run(QueueEffect::Refresh, &stuck) });
        rt.shutdown_background();
        // two loops asking at once, each with its own runtime as two tests have
        let (a, mut a_rx) = runner(slow("1"));
        let (b, mut b_rx) = runner(slow("1"));
        let (rt_a, rt_b) = (
            tokio::runtime::Runtime::new().unwrap(),
            tokio::runtime::Runtime::new().unwrap(),
        );
        rt_a.block_on(async { run(QueueEffect::Refresh, &a) });
        rt_b.block_on(async { run(QueueEffect::Refresh, &b) });
        let (a_heard, b_heard) = std::thread::scope(|s| {
            let a = s.spawn(|| listed(&mut a_rx));
            let b = s.spawn(|| listed(&mut b_rx));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a_heard && b_heard, "a: {a_heard}, b: {b_heard}");
        drop(stuck);
    }

    /// `postqueue_command` lists one queue (`ssh mx1 postqueue -j`), whatever the instances:
    /// run once per instance, it showed every message once per instance. It is run once, its
    /// messages are the first instance's, and an action on one goes there, as its dialog says.
    #[tokio::test]
    async fn a_postqueue_command_is_run_once_however_many_instances() {
        use crate::app::effect::Effect;
        use crate::config::PostfixInstance;
        use crate::mail::queue::testkit::{Fx, fixture};
        let dir = tempfile::tempdir().unwrap();
        let listing = dir.path().join("q.jsonl");
        std::fs::write(&listing, fixture()).unwrap();
        let runs = dir.path().join("runs");
        let mut config = Config::default();
        config.postfix[0].name = "out".into();
        config.postfix.push(PostfixInstance {
            name: "in".into(),
            config_dir: "/etc/postfix-in".into(),
            command_prefix: Vec::new(),
        });
        config.queue.postqueue_command = Some(
            [
                "sh",
                "-c",
                &format!(
                    "echo run >> '{}'; cat '{}'",
                    runs.display(),
                    listing.display()
                ),
            ]
            .map(String::from)
            .to_vec(),
        );
        let (r, mut rx) = runner(config.clone());
        list_all(&r).await;
        assert_eq!(std::fs::read_to_string(&runs).unwrap(), "run\n", "run once");
        let mut fx = Fx::with_config(&config, "");
        let mut listed = Vec::new();
        while let Ok(SourceEvent::Queue(ev)) = rx.try_recv() {
            if let QueueEvent::Listed { instance, .. } = &ev {
                listed.push(*instance);
            }
            fx.event(ev);
        }
        assert_eq!(listed, [0], "one listing, the first instance's");
        // every message once, and no reading of the other instance is waited for
        assert_eq!(fx.pane.view_len(), 6);
        let screen = fx.draw(100, 20, true);
        assert!(!screen.contains("reading the queue"), "{screen}");
        // an action goes to the instance its dialog names
        let effects = fx.act(QueueAction::Delete);
        let Some(Effect::Confirm(c)) = effects.first() else {
            panic!("{effects:?}")
        };
        assert!(
            c.lines
                .iter()
                .any(|l| l.as_str() == "Postfix instance: out"),
            "{c:?}"
        );
        assert!(
            matches!(
                c.then.as_slice(),
                [Effect::Queue(QueueEffect::Apply { instance: 0, .. })]
            ),
            "{:?}",
            c.then
        );
    }

    #[tokio::test]
    async fn a_missing_postqueue_is_an_error_event_not_an_empty_list() {
        let mut config = Config::default();
        config.postfix[0].command_prefix = vec!["/nonexistent/bin/sudo".into()];
        let (r, mut rx) = runner(config);
        list_once(&r, 0).await;
        match rx.recv().await {
            Some(SourceEvent::Queue(QueueEvent::Listed { result: Err(e), .. })) => {
                assert!(e.to_string().contains("not found"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
