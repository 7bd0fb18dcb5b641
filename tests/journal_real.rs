//! The journal read with the real `journalctl` from a journal directory
//! (`[mail_log] journal_directory`): real journal files, written without journald by
//! `systemd-journal-remote` (tests/support/journal.rs). The Failures pane's source reads the
//! history of its backfill window and then follows what is appended; `opsdeck summary`,
//! `opsdeck check` and the Senders pane's scan read a window of it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local, Utc};
use opsdeck::app::effect::{Runner, SourceEvent};
use opsdeck::config::Config;
use opsdeck::mail::log::parse::{Kind, LogLine, Status};
use opsdeck::mail::log::source::{JournalQuery, SourceState, run_journal_source};
use opsdeck::mail::log::{LogConfig, LogEvent, LogSourceKind};
use opsdeck::mail::senders::logscan::{LogInput, activity};
use support::journal::{Entry, Journal};

const UNIT: &str = "postfix@-.service";

fn postfix<'a>(program: &'a str, time: DateTime<Utc>, message: &'a str) -> Entry<'a> {
    Entry {
        program,
        pid: 4242,
        unit: UNIT,
        time,
        message,
    }
}

/// A message's life in four entries, with their seconds from its start: picked up, queued,
/// delivered with `status` (`sent` or `bounced`), removed.
fn message_entries(id: &str, status: &str) -> Vec<(String, String, i64)> {
    let (dsn, says) = match status {
        "sent" => ("2.0.0", "250 2.0.0 Ok: queued"),
        _ => ("5.1.1", "550 5.1.1 <nobody@example.net>: user unknown"),
    };
    vec![
        (
            "postfix/pickup".into(),
            format!("{id}: uid=0 from=<root>"),
            0,
        ),
        (
            "postfix/qmgr".into(),
            format!("{id}: from=<app@example.com>, size=300, nrcpt=1 (queue active)"),
            1,
        ),
        (
            "postfix/smtp".into(),
            format!(
                "{id}: to=<nobody@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, \
                 delays=0.1/0.1/0.4/0.4, dsn={dsn}, status={status} ({says})"
            ),
            2,
        ),
        ("postfix/qmgr".into(), format!("{id}: removed"), 3),
    ]
}

/// Append the entries of [`message_entries`] for each `(id, at, status)`.
fn append_messages(journal: &mut Journal, messages: &[(&str, DateTime<Utc>, &str)]) {
    let texts: Vec<(String, String, DateTime<Utc>)> = messages
        .iter()
        .flat_map(|(id, at, status)| {
            message_entries(id, status)
                .into_iter()
                .map(move |(p, m, s)| (p, m, *at + chrono::Duration::seconds(s)))
        })
        .collect();
    let entries: Vec<Entry> = texts.iter().map(|(p, m, t)| postfix(p, *t, m)).collect();
    journal.append(&entries);
}

/// What a person reads off a parsed line: its queue id and what it says.
fn summary(line: &LogLine) -> String {
    let id = line.queue_id.as_ref().map_or("-", |q| q.as_str());
    let what = match &line.kind {
        Kind::Delivery(d) => match d.status {
            Status::Sent => "sent",
            Status::Bounced => "bounced",
            _ => "other delivery",
        },
        Kind::QueueActive { .. } => "queue active",
        Kind::Removed => "removed",
        Kind::Pickup { .. } => "picked up",
        _ => "other",
    };
    format!("{id} {what}")
}

/// The Failures pane's journal source over `journal`'s directory, the postfix units, with a
/// backfill of one hour: its task and the events it sends.
fn follow(
    journal: &Journal,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::mpsc::Receiver<SourceEvent>,
) {
    let cfg = LogConfig {
        source: LogSourceKind::Journal,
        journal_units: vec!["postfix*".into()],
        journal_directory: Some(journal.dir().to_path_buf()),
        backfill_hours: 1,
        ..LogConfig::default()
    };
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let runner = Runner {
        tx,
        config: Arc::new(Config::default()),
    };
    let task = tokio::spawn(async move { run_journal_source(0, &cfg, &runner).await });
    (task, rx)
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>) -> LogEvent {
    match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        Ok(Some(SourceEvent::Log(e))) => e,
        other => panic!("no log event: {other:?}"),
    }
}

#[tokio::test]
async fn the_journal_source_reads_a_journal_directory_then_follows_it() {
    let mut journal = Journal::new();
    let now = Utc::now();
    let hours = chrono::Duration::hours;
    let minutes = chrono::Duration::minutes;
    // older than the backfill window (1 h), and another unit's entry within it: neither is read
    append_messages(&mut journal, &[("1A0000000A", now - hours(3), "bounced")]);
    journal.append(&[Entry {
        program: "sshd",
        pid: 77,
        unit: "ssh.service",
        time: now - minutes(20),
        message: "2B0000000B: not postfix at all",
    }]);
    // the history within the window
    append_messages(
        &mut journal,
        &[
            ("3C0000000C", now - minutes(40), "sent"),
            ("4D0000000D", now - minutes(10), "bounced"),
        ],
    );

    let (task, mut rx) = follow(&journal);

    let mut history = Vec::new();
    let counted = loop {
        match next(&mut rx).await {
            LogEvent::Lines {
                lines, backfill, ..
            } => {
                assert!(backfill, "history not marked as backfill: {lines:?}");
                history.extend(lines.iter().map(summary));
            }
            LogEvent::State { state, .. } => assert_eq!(state, SourceState::Following),
            LogEvent::BackfillDone { lines, .. } => break lines,
        }
    };
    let pickup = |id: &str| format!("{id} picked up");
    assert_eq!(
        history,
        [
            pickup("3C0000000C"),
            "3C0000000C queue active".into(),
            "3C0000000C sent".into(),
            "3C0000000C removed".into(),
            pickup("4D0000000D"),
            "4D0000000D queue active".into(),
            "4D0000000D bounced".into(),
            "4D0000000D removed".into(),
        ]
    );
    assert_eq!(counted, 8);

    // appended while it follows, in three batches: every entry comes once, in order, and as
    // live lines (times that only go forward, as one host's clock writes them)
    let ids = ["5E0000000E", "6F0000000F", "7A0000000A"];
    let start = Utc::now();
    let mut live = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let status = if i == 1 { "bounced" } else { "sent" };
        let at = start + chrono::Duration::seconds(4 * i as i64);
        append_messages(&mut journal, &[(id, at, status)]);
    }
    // the last batch's last line ends the wait: what came before it came first
    while live.last().map(String::as_str) != Some("7A0000000A removed") {
        match next(&mut rx).await {
            LogEvent::Lines {
                lines, backfill, ..
            } => {
                assert!(!backfill, "a live line taken for history: {lines:?}");
                live.extend(lines.iter().map(summary));
            }
            other => panic!("{other:?}"),
        }
    }
    let mut want = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let status = if i == 1 { "bounced" } else { "sent" };
        want.extend([
            pickup(id),
            format!("{id} queue active"),
            format!("{id} {status}"),
            format!("{id} removed"),
        ]);
    }
    assert_eq!(live, want);

    // an entry written later with an earlier time (another host's clock behind, on a central
    // log host; a clock stepped back) is new all the same
    journal.append(&[postfix("postfix/qmgr", start, "8B0000000B: removed")]);
    let late = match next(&mut rx).await {
        LogEvent::Lines {
            lines, backfill, ..
        } => {
            assert!(!backfill, "a live line taken for history: {lines:?}");
            lines.iter().map(summary).collect::<Vec<_>>()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(late, ["8B0000000B removed"]);
    task.abort();
    assert!(rx.try_recv().is_err(), "lines after the last one appended");
}

#[test]
fn a_window_of_a_journal_directory_is_reported() {
    let mut journal = Journal::new();
    let now = Utc::now();
    let hours = chrono::Duration::hours;
    append_messages(
        &mut journal,
        &[
            ("1A0000000A", now - hours(5), "bounced"),
            ("3C0000000C", now - hours(2), "sent"),
            ("4D0000000D", now - hours(1), "bounced"),
            ("5E0000000E", now - chrono::Duration::minutes(30), "sent"),
        ],
    );
    journal.append(&[Entry {
        program: "postfix/smtp",
        pid: 9,
        unit: "ssh.service",
        time: now - hours(1),
        message: "2B0000000B: to=<x@example.net>, relay=none, delay=1, \
                  delays=0/0/0/0, dsn=5.0.0, status=bounced (another unit's)",
    }]);

    // the Senders pane's scan (and `check`'s senders area) over the last 3 hours
    let query = JournalQuery {
        units: vec!["postfix*".into()],
        directory: Some(journal.dir().to_path_buf()),
    };
    let local = Local::now();
    let got = activity(
        &LogInput::Journal(query),
        local,
        local - chrono::Duration::hours(3),
        65536,
        None,
    )
    .unwrap();
    let app = &got["app@example.com"];
    assert_eq!((app.sent, app.bounced), (2, 1), "{got:?}");

    // `opsdeck summary` over the configured journal, from 3 hours ago until 45 minutes ago
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "[mail_log]\nsource = \"journal\"\njournal_units = [\"postfix*\"]\n\
             journal_directory = \"{}\"\n",
            journal.dir().display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args([
            "summary", "--since", "3h", "--until", "45m", "--format", "json",
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // the two messages in the window, the unit's lines only
    assert_eq!(
        (v["messages"].as_u64(), v["lines"].as_u64()),
        (Some(2), Some(8))
    );
    assert_eq!(v["status"]["sent"], 1);
    assert_eq!(v["status"]["bounced"], 1);
    assert_eq!(v["senders"][0]["sender"], "app@example.com");
    let files = v["files"][0].as_str().unwrap();
    assert!(
        files.contains(&format!("--directory {}", journal.dir().display())),
        "{files}"
    );
}

/// `opsdeck check` over the configured journal directory: the failures of its window are graded,
/// and older ones are not counted.
#[test]
fn check_grades_the_failures_of_a_journal_directory() {
    let mut journal = Journal::new();
    let now = Utc::now();
    let minutes = chrono::Duration::minutes;
    append_messages(
        &mut journal,
        &[
            ("1A0000000A", now - minutes(90), "bounced"),
            ("3C0000000C", now - minutes(30), "bounced"),
            ("4D0000000D", now - minutes(20), "bounced"),
        ],
    );
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    std::fs::write(etc.join("main.cf"), "").unwrap();
    std::fs::write(etc.join("master.cf"), "").unwrap();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nname = \"default\"\nconfig_dir = \"{}\"\n\
             [queue]\npostqueue_command = [\"true\"]\n\
             [mail_log]\nsource = \"journal\"\njournal_directory = \"{}\"\n\
             [senders]\nses = false\n",
            etc.display(),
            journal.dir().display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["check", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let said = |area: &str, words: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["area"] == area && f["summary"].as_str().unwrap().contains(words))
    };
    // the last hour's two bounces, not the one 90 minutes ago
    assert!(
        said(
            "failures",
            "2 failed deliveries in the last 1h (2 bounced; 0 sent)"
        ),
        "{v:#}"
    );
    // the senders' day holds all three
    assert!(
        said(
            "senders",
            "app@example.com: 3 bounced, 0 deferred in the last day"
        ),
        "{v:#}"
    );
}

/// A backfill window with no entry: journalctl has no cursor to show for it (and ends with 1,
/// silently); the history is empty, and what is appended then is followed.
#[tokio::test]
async fn an_empty_history_is_followed_all_the_same() {
    let mut journal = Journal::new();
    let now = Utc::now();
    append_messages(
        &mut journal,
        &[("1A0000000A", now - chrono::Duration::hours(3), "bounced")],
    );
    let (task, mut rx) = follow(&journal);
    let mut events = Vec::new();
    loop {
        match next(&mut rx).await {
            LogEvent::BackfillDone { lines, .. } => {
                assert_eq!(lines, 0, "{events:?}");
                break;
            }
            other => events.push(other),
        }
    }
    assert!(
        matches!(
            &events[..],
            [LogEvent::State {
                state: SourceState::Following,
                ..
            }]
        ),
        "{events:?}"
    );
    append_messages(&mut journal, &[("5E0000000E", Utc::now(), "sent")]);
    let mut live = Vec::new();
    while live.len() < 4 {
        match next(&mut rx).await {
            LogEvent::Lines {
                lines, backfill, ..
            } => {
                assert!(!backfill);
                live.extend(lines.iter().map(summary));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        live,
        [
            "5E0000000E picked up",
            "5E0000000E queue active",
            "5E0000000E sent",
            "5E0000000E removed"
        ]
    );
    task.abort();
}

/// The `journalctl -f` the source runs over `dir`: a child of this process whose command line
/// names the directory.
fn following_journalctl(dir: &std::path::Path) -> Option<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|p| {
        let pid: u32 = p.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(p.path().join("cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let stat = std::fs::read_to_string(p.path().join("stat")).ok()?;
        // the parent is the second field after the command name in parentheses
        let parent: u32 = stat.rsplit_once(") ")?.1.split(' ').nth(1)?.parse().ok()?;
        (parent == me
            && args[0].ends_with(b"journalctl")
            && args.contains(&&b"-f"[..])
            && args.contains(&dir.as_os_str().as_encoded_bytes()))
        .then_some(pid)
    })
}

/// Live lines, as their summaries, added to `got` until it holds `n`: what came, when they do
/// not come.
async fn live_lines(
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    got: &mut Vec<String>,
    n: usize,
) {
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(SourceEvent::Log(LogEvent::Lines {
                lines, backfill, ..
            }))) => {
                assert!(!backfill, "a live line taken for history: {lines:?}");
                got.extend(lines.iter().map(summary));
            }
            Ok(Some(SourceEvent::Log(LogEvent::State {
                state: SourceState::Following,
                ..
            }))) => {}
            other => panic!("{other:?} after the lines {got:?}"),
        }
    }
}

/// `journalctl -f` exits (killed, crashed) and entries are written while it is down, stamped
/// earlier than the last one read (another host's clock behind, on a central log host; a clock
/// stepped back): once it runs again, each of them comes, once, and what was read before does
/// not come again.
#[tokio::test]
async fn entries_written_while_journalctl_is_down_come_once_whatever_their_time() {
    let mut journal = Journal::new();
    let now = Utc::now();
    let minutes = chrono::Duration::minutes;
    append_messages(&mut journal, &[("1A0000000A", now - minutes(30), "sent")]);
    let (task, mut rx) = follow(&journal);
    loop {
        if let LogEvent::BackfillDone { lines, .. } = next(&mut rx).await {
            assert_eq!(lines, 4);
            break;
        }
    }
    // a live message; its last entry is the latest read
    let last = Utc::now();
    append_messages(&mut journal, &[("2B0000000B", last, "bounced")]);
    let mut live = Vec::new();
    while live.last().map(String::as_str) != Some("2B0000000B removed") {
        match next(&mut rx).await {
            LogEvent::Lines { lines, .. } => live.extend(lines.iter().map(summary)),
            other => panic!("{other:?}"),
        }
    }

    // journalctl killed: the source says so, and runs it again a little later
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let pid = loop {
        if let Some(pid) = following_journalctl(journal.dir()) {
            break pid;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no journalctl -f over the journal"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    match next(&mut rx).await {
        LogEvent::State {
            state: SourceState::Unavailable(m),
            ..
        } => assert!(m.contains("SIGKILL"), "{m}"),
        other => panic!("{other:?}"),
    }
    // while it is down (the source runs it again 5 s after it ended; an append takes a small
    // part of that): a message stamped before the last entry read, one at its very time, and
    // one a minute before the history's message
    append_messages(
        &mut journal,
        &[
            ("3C0000000C", last - minutes(10), "bounced"),
            ("4D0000000D", last, "sent"),
            ("5E0000000E", now - minutes(31), "sent"),
        ],
    );
    let mut want = Vec::new();
    for (id, status) in [
        ("3C0000000C", "bounced"),
        ("4D0000000D", "sent"),
        ("5E0000000E", "sent"),
        ("6F0000000F", "sent"),
    ] {
        want.extend([
            format!("{id} picked up"),
            format!("{id} queue active"),
            format!("{id} {status}"),
            format!("{id} removed"),
        ]);
    }
    // running again: what was written while it was down, all of it (without waiting for the
    // journal to be written to again)
    let mut after = Vec::new();
    live_lines(&mut rx, &mut after, 12).await;
    assert_eq!(after, want[..12]);
    // and what is written then
    append_messages(&mut journal, &[("6F0000000F", Utc::now(), "sent")]);
    live_lines(&mut rx, &mut after, 16).await;
    task.abort();
    assert_eq!(after, want);
    assert!(rx.try_recv().is_err(), "lines after the last one appended");
}

/// A journal entry whose message holds a control character (a remote's hostile reply) is one
/// journalctl's short output calls "[N blob data]" unless asked for every field whole: the
/// window `summary`, `check` and the Senders scan read still gets its text, escaped.
#[test]
fn a_window_reads_a_message_with_a_control_character_whole() {
    let mut journal = Journal::new();
    let at = Utc::now() - chrono::Duration::minutes(30);
    let bounce = "6F0000000F: to=<nobody@example.net>, relay=mx.example.net[192.0.2.1]:25, \
                  delay=1, delays=0.1/0.1/0.4/0.4, dsn=5.1.1, status=bounced (host \
                  mx.example.net[192.0.2.1] said: 550 5.1.1 \u{1b}[2Juser unknown (in reply to \
                  RCPT TO command))";
    journal.append(&[
        postfix(
            "postfix/qmgr",
            at,
            "6F0000000F: from=<app@example.com>, size=300, nrcpt=1 (queue active)",
        ),
        postfix("postfix/smtp", at + chrono::Duration::seconds(1), bounce),
        postfix(
            "postfix/qmgr",
            at + chrono::Duration::seconds(2),
            "6F0000000F: removed",
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "[mail_log]\nsource = \"journal\"\njournal_directory = \"{}\"\n",
            journal.dir().display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["summary", "--since", "1h", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("blob data"), "{text}");
    assert!(text.contains(r"\e[2Juser unknown"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}
