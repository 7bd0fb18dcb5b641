//! The journal source: the history is read with `journalctl -o json` (no `-f`), then
//! `journalctl -f -o json -u UNIT...` follows after its last entry; its entries are parsed and
//! sent, it is run again after it exits, after the last entry read by its cursor (a failure that
//! repeats is one state, and a silent end says how it ended), and a missing `journalctl` is a
//! clear state.
//!
//! `journalctl` here is a stand-in script on PATH that records its arguments and prints entries
//! in journalctl's real `-o json` form, for what a real journal cannot show: journalctl missing,
//! reading its history slowly, exiting and being run again (from where it was), failing at every
//! start, or saying more on stderr than a pipe holds. Reading a real journal, its history and then what is appended, is
//! tested with the real journalctl in tests/journal_real.rs.
//! Environment changes are process-wide: this file holds one test.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use opsdeck::app::effect::{Runner, SourceEvent};
use opsdeck::config::Config;
use opsdeck::mail::log::parse::Kind;
use opsdeck::mail::log::source::{SourceState, run_journal_source};
use opsdeck::mail::log::{LogConfig, LogEvent, LogSourceKind};

/// The `i`th entry of the stand-in journal, at `time` (RFC 3339), as `journalctl -o json` prints
/// it: a string fit for a shell's single quotes.
fn entry(i: u32, time: &str, program: &str, pid: u32, message: &str) -> String {
    let micros = chrono::DateTime::parse_from_rfc3339(time)
        .unwrap()
        .timestamp_micros();
    let json = serde_json::json!({
        "__CURSOR": format!("s=0f3c;i={i}"),
        "__REALTIME_TIMESTAMP": micros.to_string(),
        "_HOSTNAME": "mx",
        "SYSLOG_IDENTIFIER": program,
        "_PID": pid.to_string(),
        "_SYSTEMD_UNIT": "postfix@-.service",
        "MESSAGE": message,
    })
    .to_string();
    assert!(!json.contains('\''), "{json}");
    json
}

/// A qmgr `removed` entry for queue id `id`.
fn removed(i: u32, time: &str, id: &str) -> String {
    entry(i, time, "postfix/qmgr", 10250, &format!("{id}: removed"))
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>) -> LogEvent {
    match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await {
        Ok(Some(SourceEvent::Log(e))) => e,
        other => panic!("no log event: {other:?}"),
    }
}

#[tokio::test]
async fn journal_source_runs_journalctl_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let script = dir.path().join("journalctl");
    let active = entry(
        1,
        "2026-11-27T19:25:41Z",
        "postfix/qmgr",
        10250,
        "3F517C8902: from=<alice@example.com>, size=282, nrcpt=1 (queue active)",
    );
    let sent = entry(
        2,
        "2026-11-27T19:25:42Z",
        "postfix/smtp",
        11642,
        "3F517C8902: to=<ok@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, \
         delays=0.01/0.01/0.01/0, dsn=2.0.0, status=sent (250 Ok \
         0100018f196c0543-7b825b0b-1733-40ec-a3cc-935429fc5463-000000)",
    );
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\n\
             case \" $* \" in *\" -f \"*) exec sleep 30 ;; esac\n\
             echo '{active}'\n\
             echo '{sent}'\n",
            args_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let old_path = std::env::var("PATH").unwrap_or_default();
    // SAFETY: the only test in this binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("PATH", format!("{}:{old_path}", dir.path().display())) };

    let cfg = LogConfig {
        source: LogSourceKind::Journal,
        backfill_hours: 6,
        ..LogConfig::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(Config::default()),
    };
    let before = chrono::Utc::now().timestamp();
    let task = {
        let (cfg, runner) = (cfg.clone(), runner.clone());
        tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await })
    };
    assert!(matches!(
        next(&mut rx).await,
        LogEvent::State {
            state: SourceState::Following,
            ..
        }
    ));
    let mut got = Vec::new();
    while got.len() < 2 {
        match next(&mut rx).await {
            LogEvent::Lines {
                lines, backfill, ..
            } => {
                // what journalctl prints without -f is the history of `--since`
                assert!(backfill);
                got.extend(lines)
            }
            other => panic!("{other:?}"),
        }
    }
    // then it ends: the history is read, and the pane stops saying it is still reading it
    assert!(
        matches!(
            next(&mut rx).await,
            LogEvent::BackfillDone { source: 0, .. }
        ),
        "no end of the history"
    );
    assert!(matches!(got[0].kind, Kind::QueueActive { .. }));
    assert!(matches!(got[1].kind, Kind::Delivery(_)));
    assert_eq!(
        got[1].time,
        chrono::DateTime::parse_from_rfc3339("2026-11-27T19:25:42Z").unwrap()
    );
    let after = chrono::Utc::now().timestamp();
    // and journalctl -f takes up after its last entry, by that entry's cursor
    let runs = || std::fs::read_to_string(&args_file).unwrap_or_default();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while runs().lines().count() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let runs = runs();
    let runs: Vec<&str> = runs.lines().collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    // the history from 6 hours before it started: every field whole (--all)
    let since: i64 = runs[0]
        .strip_prefix("-o json --all --no-pager -q -u postfix* --since=@")
        .unwrap_or_else(|| panic!("{runs:?}"))
        .parse()
        .unwrap();
    assert!(
        (before - 6 * 3600..=after - 6 * 3600).contains(&since),
        "{runs:?}"
    );
    assert_eq!(
        runs[1],
        "-o json --all --no-pager -q -u postfix* -f --lines=all --after-cursor=s=0f3c;i=2"
    );
    task.abort();

    // journalctl exits (the journal was vacuumed, it was killed) and is run again: it takes up
    // after the last entry read, by its cursor, whatever the time of the entries written since
    // (`c`, earlier than `b`: another host's clock behind, on a central log host)
    let a = removed(10, "2026-11-27T19:30:00.100000Z", "4A517C8902");
    let b = removed(11, "2026-11-27T19:30:00.200000Z", "4B517C8902");
    let c = removed(12, "2026-11-27T19:29:00.000000Z", "4C517C8902");
    let d = removed(13, "2026-11-27T19:30:01.000000Z", "4D517C8902");
    let runs = dir.path().join("runs");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             case \" $* \" in *\" -f \"*) ;; *) exit 0 ;; esac\n\
             if [ -e {runs} ]; then\n\
               echo \"$@\" > {args}\n\
               printf '%s\\n' '{c}' '{d}'\n\
               exec sleep 30\n\
             fi\n\
             touch {runs}\n\
             printf '%s\\n' '{a}' '{b}'\n",
            runs = runs.display(),
            args = args_file.display(),
        ),
    )
    .unwrap();
    let task = {
        let (cfg, runner) = (cfg.clone(), runner.clone());
        tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await })
    };
    let mut ids = Vec::new();
    while !ids.contains(&"4D517C8902".to_string()) {
        match next(&mut rx).await {
            LogEvent::Lines { lines, .. } => ids.extend(
                lines
                    .iter()
                    .filter_map(|l| Some(l.queue_id.as_ref()?.as_str().to_string())),
            ),
            LogEvent::State { .. } | LogEvent::BackfillDone { .. } => {}
        }
    }
    assert_eq!(
        ids,
        ["4A517C8902", "4B517C8902", "4C517C8902", "4D517C8902"]
    );
    let args = std::fs::read_to_string(&args_file).unwrap();
    assert_eq!(
        args.trim(),
        "-o json --all --no-pager -q -u postfix* -f --lines=all --after-cursor=s=0f3c;i=11"
    );
    task.abort();

    // a history read slowly (a busy disk, a large journal): journalctl pausing mid-way is
    // still the history, which ends where journalctl does
    let x = removed(20, "2026-11-27T19:35:00.100000Z", "6A517C8902");
    let y = removed(21, "2026-11-27T19:35:00.200000Z", "6B517C8902");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             case \" $* \" in *\" -f \"*) exec sleep 30 ;; esac\n\
             echo '{x}'\nsleep 1\necho '{y}'\n"
        ),
    )
    .unwrap();
    let task = {
        let (cfg, runner) = (cfg.clone(), runner.clone());
        tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await })
    };
    let mut ids = Vec::new();
    let counted = loop {
        match next(&mut rx).await {
            LogEvent::Lines {
                lines, backfill, ..
            } => {
                assert!(backfill, "history taken for live lines: {lines:?}");
                ids.extend(
                    lines
                        .iter()
                        .filter_map(|l| Some(l.queue_id.as_ref()?.as_str().to_string())),
                )
            }
            LogEvent::BackfillDone { lines, .. } => break lines,
            LogEvent::State { .. } => {}
        }
    };
    assert_eq!(ids, ["6A517C8902", "6B517C8902"]);
    assert_eq!(counted, 2);
    task.abort();

    // journalctl killed without a word: the pane says how it ended and that it runs it again
    std::fs::write(&script, "#!/bin/sh\nkill -9 $$\n").unwrap();
    let task = {
        let (cfg, runner) = (cfg.clone(), runner.clone());
        tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await })
    };
    match next(&mut rx).await {
        LogEvent::State {
            state: SourceState::Unavailable(m),
            ..
        } => assert!(m.contains("SIGKILL") && m.contains("again"), "{m}"),
        other => panic!("{other:?}"),
    }
    task.abort();

    // journalctl refused at every start: one error, not one per start, and the journal is
    // never said to be followed meanwhile
    let starts = dir.path().join("starts");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> {}\n\
             echo 'No journal files were opened due to insufficient permissions.' >&2\nexit 1\n",
            starts.display()
        ),
    )
    .unwrap();
    let task = {
        let (cfg, runner) = (cfg.clone(), runner.clone());
        tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await })
    };
    let started = |n: usize| std::fs::read_to_string(&starts).is_ok_and(|t| t.lines().count() >= n);
    for _ in 0..300 {
        if started(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started(3), "journalctl was not run again");
    task.abort();
    let mut states = Vec::new();
    while let Ok(SourceEvent::Log(e)) = rx.try_recv() {
        states.push(e);
    }
    match &states[..] {
        [
            LogEvent::State {
                state: SourceState::Unavailable(m),
                ..
            },
        ] => assert!(m.contains("insufficient permissions"), "{m}"),
        other => panic!("{other:?}"),
    }

    // a journalctl with more to say on stderr than a pipe holds (a warning for each damaged
    // journal file) before its lines: they come all the same, and why it ended is kept
    let (e, f) = (
        removed(30, "2026-11-27T19:40:00.100000Z", "5A517C8902"),
        removed(31, "2026-11-27T19:40:00.200000Z", "5B517C8902"),
    );
    std::fs::write(
        &script,
        format!(
        "#!/bin/sh\n\
         i=0\n\
         while [ $i -lt 2000 ]; do\n\
           echo \"Journal file /var/log/journal/0f3c/system@0005f1-$i.journal~ is truncated, ignoring file.\" >&2\n\
           i=$((i+1))\n\
         done\n\
         echo '{e}'\n\
         echo '{f}'\n\
         echo 'No journal files were opened due to insufficient permissions.' >&2\n\
         exit 1\n"),
    )
    .unwrap();
    let task = {
        let (cfg, runner) = (cfg.clone(), runner.clone());
        tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await })
    };
    let mut ids = Vec::new();
    let ended = loop {
        match next(&mut rx).await {
            LogEvent::Lines { lines, .. } => ids.extend(
                lines
                    .iter()
                    .filter_map(|l| Some(l.queue_id.as_ref()?.as_str().to_string())),
            ),
            LogEvent::State {
                state: SourceState::Unavailable(m),
                ..
            } => break m,
            LogEvent::State { .. } | LogEvent::BackfillDone { .. } => {}
        }
    };
    task.abort();
    assert_eq!(ids, ["5A517C8902", "5B517C8902"]);
    // its last word, past 200 kB of warnings, is said, with what to do; the message stays short
    assert!(
        ended.contains("No journal files were opened due to insufficient permissions.")
            && ended.contains("systemd-journal group")
            && ended.len() < 1500,
        "{ended}"
    );

    // without journalctl on PATH: a state that says so
    unsafe { std::env::set_var("PATH", "/nonexistent") };
    let task = tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await });
    match next(&mut rx).await {
        LogEvent::State {
            state: SourceState::Unavailable(m),
            ..
        } => assert!(m.starts_with("journalctl: not found"), "{m}"),
        other => panic!("{other:?}"),
    }
    task.abort();
    unsafe { std::env::set_var("PATH", old_path) };
}
