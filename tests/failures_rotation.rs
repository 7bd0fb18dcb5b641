//! The follower under every rotation style, with a writer running concurrently: no line lost,
//! none repeated. Also backfill from rotated and gzipped files, and a missing log that appears.

#[path = "support/nobody.rs"]
mod nobody;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opsdeck::mail::log::source::{Follower, SourceState, run_file_source};
use opsdeck::mail::log::{LogConfig, LogEvent};

#[derive(Clone, Copy, Debug)]
enum Mode {
    RenameCreate,
    /// logrotate's `create` with the daemon told to reopen later (Debian's rsyslog: `create`,
    /// then `postrotate` sends HUP): lines go on to the renamed file after the new one exists.
    CreateThenReopen,
    CopyTruncate,
    DeleteRecreate,
    Truncate,
    PostfixLogrotate,
}

const LINES: usize = 3000;
const ROTATE_EVERY: usize = 700;
/// Lines CreateThenReopen's writer still writes to the renamed file.
const BEFORE_REOPEN: usize = 50;

fn open_append(p: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .unwrap()
}

/// Write LINES lines, rotating every ROTATE_EVERY lines the given way, while a follower reads.
fn run(mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, "before start, not to be read\n").unwrap();
    let mut follower = Follower::new(&path, true, 64 * 1024);
    let mut seen: Vec<String> = Vec::new();
    follower.poll(&mut seen).unwrap();
    assert!(seen.is_empty());

    let seen_count = Arc::new(AtomicUsize::new(0));
    let polls = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let lock = Arc::new(Mutex::new(()));
    let writer = {
        let path = path.clone();
        let dir = dir.path().to_path_buf();
        let seen_count = seen_count.clone();
        let polls = polls.clone();
        let done = done.clone();
        let lock = lock.clone();
        std::thread::spawn(move || {
            let mut f = open_append(&path);
            let mut rotation = 0;
            let mut reopen_at = None;
            for i in 0..LINES {
                if reopen_at == Some(i) {
                    // the daemon's HUP: from now on the new file
                    f = open_append(&path);
                }
                {
                    let _g = lock.lock().unwrap();
                    // write in two pieces: the follower may see a partial line
                    let line = format!("Nov 27 10:00:00 mx postfix/smtp[1]: line {i:05} payload\n");
                    let (a, b) = line.split_at(line.len() / 2);
                    f.write_all(a.as_bytes()).unwrap();
                    f.flush().unwrap();
                    f.write_all(b.as_bytes()).unwrap();
                }
                if i % 97 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if i > 0 && i % ROTATE_EVERY == 0 {
                    rotation += 1;
                    f = rotate(
                        mode,
                        &path,
                        &dir,
                        rotation,
                        f,
                        &lock,
                        &seen_count,
                        &polls,
                        i + 1,
                    );
                    if let Mode::CreateThenReopen = mode {
                        reopen_at = Some(i + 1 + BEFORE_REOPEN);
                    }
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        follower
            .poll(&mut seen)
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        seen_count.store(seen.len(), Ordering::SeqCst);
        polls.fetch_add(1, Ordering::SeqCst);
        if done.load(Ordering::SeqCst) && seen.len() >= LINES {
            // one more poll: nothing extra may appear
            follower.poll(&mut seen).unwrap();
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{mode:?}: timed out with {} lines",
            seen.len()
        );
        std::thread::sleep(Duration::from_micros(300));
    }
    writer.join().unwrap();
    let want: Vec<String> = (0..LINES)
        .map(|i| format!("Nov 27 10:00:00 mx postfix/smtp[1]: line {i:05} payload"))
        .collect();
    if seen != want {
        let missing: Vec<_> = want.iter().filter(|w| !seen.contains(w)).take(5).collect();
        let mut dups = seen.clone();
        dups.sort();
        dups.dedup();
        panic!(
            "{mode:?}: got {} lines ({} distinct), missing e.g. {missing:?}",
            seen.len(),
            dups.len()
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn rotate(
    mode: Mode,
    path: &Path,
    dir: &Path,
    n: usize,
    f: File,
    lock: &Mutex<()>,
    seen: &AtomicUsize,
    polls: &AtomicUsize,
    written: usize,
) -> File {
    match mode {
        Mode::RenameCreate => {
            std::fs::rename(path, dir.join(format!("mail.log.{n}"))).unwrap();
            // a moment with no mail.log at all before the daemon reopens
            std::thread::sleep(Duration::from_millis(2));
            drop(f);
            open_append(path)
        }
        Mode::CreateThenReopen => {
            std::fs::rename(path, dir.join(format!("mail.log.{n}"))).unwrap();
            drop(open_append(path));
            // the follower has seen the new (empty) file before the old one gets more lines
            let p = polls.load(Ordering::SeqCst);
            while polls.load(Ordering::SeqCst) < p + 2 {
                std::thread::sleep(Duration::from_micros(200));
            }
            f
        }
        Mode::CopyTruncate => {
            let _g = lock.lock().unwrap();
            std::fs::copy(path, dir.join(format!("mail.log.{n}"))).unwrap();
            OpenOptions::new()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(0)
                .unwrap();
            f
        }
        Mode::DeleteRecreate => {
            std::fs::remove_file(path).unwrap();
            std::thread::sleep(Duration::from_millis(2));
            open_append(path)
        }
        Mode::Truncate => {
            // truncation keeps no copy: lines not yet read would be gone for anyone; wait
            // until the follower has them, then truncate and write a burst at once.
            while seen.load(Ordering::SeqCst) < written {
                std::thread::sleep(Duration::from_micros(200));
            }
            let _g = lock.lock().unwrap();
            OpenOptions::new()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(0)
                .unwrap();
            f
        }
        Mode::PostfixLogrotate => {
            // postfix logrotate: rename with a time suffix, postlogd reopens, then gzip
            let rotated = dir.join(format!("mail.log.20261127-10000{n}"));
            std::fs::rename(path, &rotated).unwrap();
            std::thread::sleep(Duration::from_millis(2));
            let newf = open_append(path);
            drop(f);
            let data = std::fs::read(&rotated).unwrap();
            let gz = File::create(format!("{}.gz", rotated.display())).unwrap();
            let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
            enc.write_all(&data).unwrap();
            enc.finish().unwrap();
            std::fs::remove_file(&rotated).unwrap();
            newf
        }
    }
}

#[test]
fn rename_and_create() {
    run(Mode::RenameCreate);
}

#[test]
fn create_then_reopen() {
    run(Mode::CreateThenReopen);
}

#[test]
fn copytruncate() {
    run(Mode::CopyTruncate);
}

#[test]
fn delete_and_recreate() {
    run(Mode::DeleteRecreate);
}

#[test]
fn truncation_to_zero() {
    run(Mode::Truncate);
}

#[test]
fn postfix_logrotate() {
    run(Mode::PostfixLogrotate);
}

fn ts(t: chrono::DateTime<chrono::Local>) -> String {
    t.format("%b %e %H:%M:%S").to_string()
}

fn collect_until(
    path: PathBuf,
    cfg: LogConfig,
    stop_when: impl Fn(&[LogEvent]) -> bool + Send + 'static,
) -> Vec<LogEvent> {
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev2 = events.clone();
    let t = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        run_file_source(0, &path, &cfg, &mut |e| {
            let mut v = ev2.lock().unwrap();
            v.push(e);
            !stop_when(&v) && Instant::now() < deadline
        });
    });
    t.join().unwrap();
    Arc::try_unwrap(events).unwrap().into_inner().unwrap()
}

fn texts(events: &[LogEvent], backfill_only: bool) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Lines {
                lines, backfill, ..
            } if *backfill || !backfill_only => Some(lines.iter().map(|l| l.text.to_string())),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn backfill_reads_rotated_and_gzipped_files_in_order_then_follows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    let now = chrono::Local::now();
    let line = move |mins: i64, n: u32| {
        format!(
            "{} mx postfix/qmgr[1]: {:010X}: removed\n",
            ts(now - chrono::Duration::minutes(mins)),
            0xA00000 + n
        )
    };
    // older than the window: skipped
    let gz = File::create(dir.path().join("mail.log.2.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
    enc.write_all(format!("{}{}", line(60 * 30, 1), line(120, 2)).as_bytes())
        .unwrap();
    // rotated files are taken oldest first by their time of last change: each is given the time
    // of its last line (a file system may keep times too coarse for a pause to tell them apart)
    enc.finish()
        .unwrap()
        .set_modified((now - chrono::Duration::minutes(120)).into())
        .unwrap();
    let one = File::create(dir.path().join("mail.log.1")).unwrap();
    (&one).write_all(line(90, 3).as_bytes()).unwrap();
    one.set_modified((now - chrono::Duration::minutes(90)).into())
        .unwrap();
    std::fs::write(&path, line(30, 4)).unwrap();
    let cfg = LogConfig {
        files: vec![path.clone()],
        backfill_hours: 24,
        poll_interval_ms: 50,
        ..LogConfig::default()
    };
    let p2 = path.clone();
    let appended = Arc::new(AtomicBool::new(false));
    let a2 = appended.clone();
    let events = collect_until(path.clone(), cfg, move |evs| {
        if evs
            .iter()
            .any(|e| matches!(e, LogEvent::BackfillDone { .. }))
            && !a2.swap(true, Ordering::SeqCst)
        {
            let mut f = open_append(&p2);
            f.write_all(line(0, 5).as_bytes()).unwrap();
        }
        texts(evs, false).iter().any(|t| t.contains("A00005"))
    });
    let back = texts(&events, true);
    let ids: Vec<&str> = back
        .iter()
        .map(|t| &t[t.find(": ").unwrap() + 2..][..10])
        .collect();
    assert_eq!(
        ids,
        vec!["0000A00002", "0000A00003", "0000A00004"],
        "{back:?}"
    );
    assert!(matches!(
        events[0],
        LogEvent::State {
            state: SourceState::Following,
            ..
        }
    ));
    let done = events.iter().find_map(|e| match e {
        LogEvent::BackfillDone { lines, files, .. } => Some((*lines, *files)),
        _ => None,
    });
    assert_eq!(done, Some((3, 3)));
    let live = texts(&events, false);
    assert_eq!(live.iter().filter(|t| t.contains("A00005")).count(), 1);
}

#[test]
fn missing_log_is_a_state_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    let cfg = LogConfig {
        files: vec![path.clone()],
        backfill_hours: 1,
        poll_interval_ms: 50,
        ..LogConfig::default()
    };
    let p2 = path.clone();
    let events = collect_until(path.clone(), cfg, move |evs| {
        if evs.len() == 1 {
            std::fs::write(
                &p2,
                "Nov 27 10:00:00 mx postfix/qmgr[1]: ABCDE12345: removed\n",
            )
            .unwrap();
        }
        texts(evs, false).iter().any(|t| t.contains("ABCDE12345"))
    });
    match &events[0] {
        LogEvent::State {
            state: SourceState::Unavailable(m),
            ..
        } => {
            assert!(m.contains("mail.log: not found"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    assert!(events.iter().any(|e| matches!(
        e,
        LogEvent::State {
            state: SourceState::Following,
            ..
        }
    )));
}

#[test]
fn unreadable_log_says_which_group() {
    // root reads anything: drop to nobody for the check when running as root
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    std::fs::write(&path, "x\n").unwrap();
    let err = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
    let msg = opsdeck::mail::log::source::unavailable_message(&path, &err);
    assert!(
        msg.ends_with("permission denied: add your user to group root"),
        "{msg}"
    );
    // readable by its owner only: joining its group would not help
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let msg = opsdeck::mail::log::source::unavailable_message(&path, &err);
    assert!(
        msg.contains("permission denied: only root may read it (mode 0600) - run as root, or have it written readable by a group"),
        "{msg}"
    );
    // not readable by its owner either (a daemon's user, or ours): only root reads it
    if nix::unistd::Uid::effective().is_root() {
        nix::unistd::chown(&path, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o200)).unwrap();
    let msg = opsdeck::mail::log::source::unavailable_message(&path, &err);
    assert!(
        msg.contains("permission denied: only root may read it (mode 0200) - run as root,"),
        "{msg}"
    );
}

/// The log cannot be read when opsdeck starts (Debian's mail.log is root:adm 0640) and is made
/// readable while it runs (chmod, setfacl): what it held is history, read over the backfill
/// window as at a start where it was readable, not taken whole for lines just written.
#[test]
fn a_log_made_readable_later_is_read_like_one_readable_at_start() {
    use std::os::unix::fs::PermissionsExt;
    const NAME: &str = "a_log_made_readable_later_is_read_like_one_readable_at_start";
    if nix::unistd::Uid::effective().is_root() {
        // root reads any file whatever its mode: this test runs again as nobody
        nobody::pass_as_nobody(NAME, None);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    let now = chrono::Local::now();
    let line = move |mins: i64, n: u32| {
        format!(
            "{} mx postfix/qmgr[1]: {:010X}: removed\n",
            ts(now - chrono::Duration::minutes(mins)),
            0xB00000 + n
        )
    };
    // a line from before the backfill window, and one within it
    std::fs::write(&path, line(180, 1) + &line(30, 2)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let cfg = LogConfig {
        files: vec![path.clone()],
        backfill_hours: 1,
        poll_interval_ms: 50,
        ..LogConfig::default()
    };
    let p2 = path.clone();
    let (opened, appended) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (o2, a2) = (opened.clone(), appended.clone());
    let events = collect_until(path.clone(), cfg, move |evs| {
        let refused = evs.iter().any(|e| {
            matches!(
                e,
                LogEvent::State {
                    state: SourceState::Unavailable(_),
                    ..
                }
            )
        });
        if refused && !o2.swap(true, Ordering::SeqCst) {
            std::fs::set_permissions(&p2, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let following = evs.iter().any(|e| {
            matches!(
                e,
                LogEvent::State {
                    state: SourceState::Following,
                    ..
                }
            )
        });
        let done = evs
            .iter()
            .any(|e| matches!(e, LogEvent::BackfillDone { .. }));
        if following && done && !a2.swap(true, Ordering::SeqCst) {
            open_append(&p2).write_all(line(0, 3).as_bytes()).unwrap();
        }
        texts(evs, false).iter().any(|t| t.contains("B00003"))
    });
    let count = |id: &str, backfill_only: bool| {
        texts(&events, backfill_only)
            .iter()
            .filter(|t| t.contains(id))
            .count()
    };
    assert!(matches!(
        events[0],
        LogEvent::State {
            state: SourceState::Unavailable(_),
            ..
        }
    ));
    assert_eq!(count("B00001", false), 0, "{events:?}");
    assert_eq!((count("B00002", true), count("B00002", false)), (1, 1));
    assert_eq!((count("B00003", true), count("B00003", false)), (0, 1));
}

#[test]
fn a_log_behind_a_closed_directory_names_the_directory() {
    use std::os::unix::fs::PermissionsExt;
    // the check looks at the file as the user does: run as nobody (root sees through modes)
    let dir = tempfile::tempdir().unwrap();
    // the directory above may be passed through but not listed: not the one to name
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let logs = dir.path().join("postfix");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("mail.log"), "x\n").unwrap();
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o750)).unwrap();
    let exe = env!("CARGO_BIN_EXE_opsdeck");
    let as_nobody = |dir_mode: u32| {
        std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(dir_mode)).unwrap();
        let out = nobody::as_nobody(exe)
            .arg("summary")
            .arg(logs.join("mail.log"))
            .output()
            .expect("setpriv (util-linux)");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // as any other user the directory would be ours and open to us: without root nothing
    // here is checked, so the test fails rather than pass having checked nothing
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "this test needs root (it reads the log as another user, nobody)"
    );
    let err = as_nobody(0o750);
    assert!(
        err.contains(&format!(
            "permission denied: its directory {} is open to group root only - add your user to it",
            logs.display()
        )),
        "{err}"
    );
    let err = as_nobody(0o700);
    assert!(
        err.contains("is open to root only (mode 0700) - run as root"),
        "{err}"
    );
    // listed by anyone but passed by none: still the directory that stops the way
    let err = as_nobody(0o744);
    assert!(
        err.contains(&format!(
            "its directory {} is open to root only (mode 0744)",
            logs.display()
        )),
        "{err}"
    );
}

/// opsdeck starts while the daemon is half-way through a line (a busy rsyslog writes its buffer,
/// not whole lines): the line is read once, whole, when its end comes, not cut in two between
/// the backfill and the follower.
#[test]
fn a_line_half_written_at_start_is_read_whole_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mail.log");
    let now = ts(chrono::Local::now());
    let line = |n: u32| {
        format!(
            "{now} mx postfix/smtp[1]: A0000{n}: to=<u{n}@example.com>, relay=none, delay=1, \
             delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.1]:25: \
             Connection timed out)\n"
        )
    };
    let third = line(3);
    let (head, rest) = third.split_at(80);
    std::fs::write(&path, format!("{}{}{head}", line(1), line(2))).unwrap();
    let cfg = LogConfig {
        files: vec![path.clone()],
        backfill_hours: 24,
        poll_interval_ms: 50,
        ..LogConfig::default()
    };
    let p2 = path.clone();
    let rest = rest.to_string();
    let appended = Arc::new(AtomicBool::new(false));
    let a2 = appended.clone();
    let events = collect_until(path.clone(), cfg, move |evs| {
        if evs
            .iter()
            .any(|e| matches!(e, LogEvent::BackfillDone { .. }))
            && !a2.swap(true, Ordering::SeqCst)
        {
            open_append(&p2).write_all(rest.as_bytes()).unwrap();
        }
        texts(evs, false).iter().any(|t| t.contains("A00003"))
    });
    let want: Vec<String> = [line(1), line(2), line(3)]
        .iter()
        .map(|l| l.trim_end().to_string())
        .collect();
    assert_eq!(texts(&events, false), want);
    let unparsed: u64 = events
        .iter()
        .map(|e| match e {
            LogEvent::Lines { unparsed, .. } => *unparsed,
            _ => 0,
        })
        .sum();
    assert_eq!(unparsed, 0, "no piece of a line left over");
}

/// The log's directory removed or moved away and made again (an admin moving logs, a
/// `/var/log/mail/` recreated): the watch is set on the new directory, so its lines come at once,
/// not at the next poll. The poll interval is the longest there is (a minute) and the lines are
/// awaited for less than that: only a change notification can bring them in time.
#[test]
fn a_recreated_log_directory_is_watched_again() {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("mail");
    let path = dir.join("mail.log");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(&path, "").unwrap();
    let cfg = LogConfig {
        files: vec![path.clone()],
        backfill_hours: 0,
        poll_interval_ms: 60_000,
        ..LogConfig::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let p2 = path.clone();
    let follower = std::thread::spawn(move || {
        run_file_source(0, &p2, &cfg, &mut |e| tx.send(e).is_ok());
    });
    // well under the poll interval, far over what a notification takes
    let guard = Duration::from_secs(20);
    let next_text = |what: &str| -> String {
        let deadline = Instant::now() + guard;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(e) => {
                    if let Some(t) = texts(std::slice::from_ref(&e), false).pop() {
                        return t;
                    }
                }
                Err(_) => panic!("{what}: not read within {guard:?}, before the next poll"),
            }
        }
    };
    let now = ts(chrono::Local::now());
    let line = |id: &str| format!("{now} mx postfix/qmgr[1]: {id}: removed\n");
    match rx.recv_timeout(guard).unwrap() {
        LogEvent::State {
            state: SourceState::Following,
            notify,
            ..
        } => assert!(notify),
        other => panic!("{other:?}"),
    }
    open_append(&path)
        .write_all(line("AAAAA00001").as_bytes())
        .unwrap();
    assert!(next_text("the first line").contains("AAAAA00001"));

    // moved away while its writer still appends to the file it has open
    let mut writer = open_append(&path);
    std::fs::rename(&dir, top.path().join("mail.old")).unwrap();
    // what the follower is woken for (the move) is seen to before the line comes
    std::thread::sleep(Duration::from_millis(200));
    writer.write_all(line("AAAAA00002").as_bytes()).unwrap();
    assert!(next_text("a line of the moved file").contains("AAAAA00002"));
    std::thread::sleep(Duration::from_millis(200));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(&path, line("AAAAA00003")).unwrap();
    assert!(next_text("the first line of the new directory").contains("AAAAA00003"));

    // removed and made again, the follower holding the removed log open (so the directory's own
    // removal is not reported to a watch on it)
    std::fs::remove_dir_all(&dir).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(&path, line("AAAAA00004")).unwrap();
    assert!(next_text("the first line of the directory made again").contains("AAAAA00004"));

    // the follower stops at its next event once nobody listens
    drop(rx);
    open_append(&path)
        .write_all(line("AAAAA00005").as_bytes())
        .unwrap();
    follower.join().unwrap();
}
