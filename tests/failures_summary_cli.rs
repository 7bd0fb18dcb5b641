//! `opsdeck summary` as a user runs it: the built binary over a gzipped file and stdin, text and
//! JSON, and a clear error (non-zero exit) for a file that cannot be read.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::postfix::{PostfixHarness, PostfixOptions};

const CORPUS: &str = include_str!("fixtures/maillog/corpus-3.7.log");

fn opsdeck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_opsdeck"))
}

/// Run `cmd` with `input` on its stdin; its stdout and stderr are kept.
fn with_stdin(mut cmd: Command, input: impl AsRef<[u8]>) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_ref())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn json_over_gzip_and_stdin_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("mail.log.2.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(CORPUS.as_bytes()).unwrap();
    enc.finish().unwrap();
    let mut cmd = opsdeck();
    cmd.args(["summary", "--format", "json"]).arg(&gz).arg("-");
    let out = with_stdin(cmd, CORPUS);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["lines"], 2 * CORPUS.lines().count());
    // the same messages twice: every count doubles (same queue ids, reused, correlate again)
    assert_eq!(
        v["status"]["sent"],
        2 * CORPUS.matches("status=sent").count()
    );
    assert_eq!(
        v["status"]["bounced"],
        2 * CORPUS.matches("status=bounced").count()
    );
    assert_eq!(v["files"][1], "-");
}

#[test]
fn text_report_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mail.log");
    std::fs::write(&f, CORPUS).unwrap();
    let out = opsdeck()
        .arg("summary")
        .arg(&f)
        .arg(dir.path().join("nope.log"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Failures by cause") && text.contains("sender unverified"),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nope.log: not found"), "{err}");
    // the header counts the file read, and says one more could not be (its error names it)
    assert!(
        text.starts_with(&format!(
            "Mail delivery failures: 1 file(s) (1 more could not be read), {} lines read",
            CORPUS.lines().count()
        )) && !text.contains("Files, in the order read"),
        "{text}"
    );
    let out = opsdeck()
        .args(["summary", "--format", "json"])
        .arg(&f)
        .arg(dir.path().join("nope.log"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let nope = dir.path().join("nope.log").display().to_string();
    assert_eq!(v["files"][1], nope.as_str(), "{v}");
    assert_eq!(v["unreadable"], serde_json::json!([nope]), "{v}");
}

#[test]
fn causes_are_listed_with_the_names_a_report_uses() {
    // the names a report's "categories" rows carry are all in the list
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mail.log");
    std::fs::write(&f, CORPUS).unwrap();
    let report = opsdeck()
        .args(["summary", "--format", "json"])
        .arg(&f)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let out = opsdeck()
        .args(["summary", "--causes", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let causes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed: Vec<&str> = causes["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    let used = report["categories"].as_array().unwrap();
    assert!(used.len() >= 3, "{report}");
    for row in used {
        let name = row["category"].as_str().unwrap();
        assert!(listed.contains(&name), "{name} not in {listed:?}");
    }
    // and a file with --causes is a usage error, not a silently ignored argument
    let out = opsdeck()
        .args(["summary", "--causes"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn rotated_files_given_newest_first_are_read_oldest_first() {
    // `opsdeck summary /var/log/mail.log*`: the shell gives the current file first
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<&str> = CORPUS.lines().collect();
    let (older, newer) = lines.split_at(lines.len() / 2);
    let current = dir.path().join("mail.log");
    let rotated = dir.path().join("mail.log.1");
    std::fs::write(&current, newer.join("\n") + "\n").unwrap();
    std::fs::write(&rotated, older.join("\n") + "\n").unwrap();
    let whole = dir.path().join("whole.log");
    std::fs::write(&whole, CORPUS).unwrap();
    let report = |files: &[&std::path::Path]| -> serde_json::Value {
        let out = opsdeck()
            .args(["summary", "--format", "json"])
            .args(files)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let mut split = report(&[&current, &rotated]);
    let mut one = report(&[&whole]);
    assert_eq!(
        split["files"],
        serde_json::json!([rotated.display().to_string(), current.display().to_string()])
    );
    // the same report as from one file: messages that span the rotation correlate, and the
    // span starts at the oldest line
    split.as_object_mut().unwrap().remove("files");
    one.as_object_mut().unwrap().remove("files");
    assert_eq!(split, one);
    assert!(
        CORPUS.starts_with(&format!(
            "Nov 27 {}",
            &one["first"].as_str().unwrap()[11..19]
        )),
        "{one}"
    );
}

/// `text` compressed by the tool logrotate's `compresscmd` (or Postfix's
/// `maillog_file_compressor`) would run: `gzip`, `xz`, `zstd` or `bzip2`.
fn compressed_by(tool: &str, text: &str) -> Vec<u8> {
    let mut cmd = Command::new(tool);
    cmd.arg("-c");
    if tool == "zstd" {
        cmd.arg("-q");
    }
    let out = with_stdin(cmd, text);
    assert!(
        out.status.success(),
        "{tool}: {out:?} (scripts/test installs it)"
    );
    out.stdout
}

#[test]
fn logs_compressed_by_any_tool_give_the_report_of_the_plain_log() {
    // a week of rotations where the compressor was changed along the way, and one compressed
    // file whose name does not say so: the bytes decide
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<&str> = CORPUS.lines().collect();
    let parts: Vec<String> = lines
        .chunks(lines.len().div_ceil(6))
        .map(|c| c.join("\n") + "\n")
        .collect();
    assert_eq!(parts.len(), 6);
    let files = [
        ("mail.log.5.bz2", Some("bzip2")),
        ("mail.log.4.xz", Some("xz")),
        ("mail.log.3.zst", Some("zstd")),
        ("mail.log.2.gz", Some("gzip")),
        ("mail.log.1", Some("xz")),
        ("mail.log", None),
    ];
    for ((name, tool), text) in files.iter().zip(&parts) {
        let bytes = match tool {
            Some(t) => compressed_by(t, text),
            None => text.clone().into_bytes(),
        };
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let whole = dir.path().join("whole.log");
    std::fs::write(&whole, CORPUS).unwrap();
    let report = |args: &[&std::path::Path], stdin: Option<&[u8]>| -> serde_json::Value {
        let mut cmd = opsdeck();
        cmd.args(["summary", "--format", "json"]).args(args);
        let out = match stdin {
            Some(b) => with_stdin(cmd, b),
            None => cmd.output().unwrap(),
        };
        assert!(out.status.success(), "{out:?}");
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("files");
        v
    };
    let one = report(&[&whole], None);
    assert!(one["status"]["bounced"].as_u64().unwrap() > 0, "{one}");
    let paths: Vec<std::path::PathBuf> = files.iter().map(|(n, _)| dir.path().join(n)).collect();
    let paths: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    assert_eq!(report(&paths, None), one);
    // `xz -dc mail.log.4.xz | opsdeck summary -` without the `xz -dc`
    let dash = std::path::Path::new("-");
    assert_eq!(
        report(&[dash], Some(&compressed_by("zstd", CORPUS))),
        report(&[dash], Some(CORPUS.as_bytes()))
    );
}

#[test]
fn pipes_are_read_once_from_their_first_byte() {
    // `opsdeck summary <(zcat mail.log.2.gz) <(cat mail.log.1)`: nothing may be read from a pipe
    // before its lines are (to order the files, to bisect for --since, to tell compression)
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<&str> = CORPUS.lines().collect();
    let (older, newer) = lines.split_at(lines.len() / 2);
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    std::fs::write(&a, older.join("\n") + "\n").unwrap();
    std::fs::write(&b, newer.join("\n") + "\n").unwrap();
    let report = |shell: String| -> serde_json::Value {
        let out = Command::new("bash")
            .arg("-c")
            .arg(shell)
            .env("OPSDECK", env!("CARGO_BIN_EXE_opsdeck"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("files");
        v
    };
    let (a, b) = (a.display(), b.display());
    let files = report(format!("\"$OPSDECK\" summary --format json {a} {b}"));
    assert_eq!(files["lines"], CORPUS.lines().count());
    assert_eq!(files["unparsed"], 0);
    assert_eq!(
        report(format!(
            "\"$OPSDECK\" summary --format json <(cat {a}) <(gzip -c {b} | zcat)"
        )),
        files
    );
    let mut since = report(format!(
        "\"$OPSDECK\" summary --format json --since 3650d <(cat {a}) <(cat {b})"
    ));
    assert!(since.as_object_mut().unwrap().remove("since").is_some());
    let mut whole = files.clone();
    whole.as_object_mut().unwrap().remove("since");
    assert_eq!(since, whole);
}

#[test]
fn a_named_fifo_is_read_and_a_device_or_a_directory_is_said_at_once() {
    // a FIFO is read as standard input is; /dev/zero was read without end
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("mail.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, CORPUS).unwrap())
    };
    let mut child = opsdeck()
        .args(["summary", "--format", "json", "/dev/zero"])
        .arg(&fifo)
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("summary still reading after 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], CORPUS.lines().count(), "{v}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "/dev/zero: is a character device, not a log: name a log file, or give its lines \
             on standard input (-)"
        ),
        "{err}"
    );
    assert!(err.contains(": is a directory, not a log"), "{err}");
}

#[test]
fn a_since_in_the_future_is_said() {
    let mut cmd = opsdeck();
    cmd.args(["summary", "--since", "2099-01-01", "--format", "json", "-"]);
    let out = with_stdin(cmd, CORPUS);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("opsdeck summary: --since 2099-01-01 00:00:00")
            && err.contains("is in the future: no line can count"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"]["sent"], 0);
    // a bare number is refused, with the forms that work
    let out = opsdeck()
        .args(["summary", "--since", "90", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since \"90\": expected a duration ago (90m"),
        "{err}"
    );
}

#[test]
fn a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mail.log");
    std::fs::write(&log, CORPUS).unwrap();
    let link = dir.path().join("current");
    std::os::unix::fs::symlink(&log, &link).unwrap();
    let out = opsdeck()
        .args(["summary", "--format", "json"])
        .arg(&log)
        .arg(&link)
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], CORPUS.lines().count());
    assert_eq!(v["files"], serde_json::json!([log.display().to_string()]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("is named twice (or linked): read once").count(),
        2,
        "{err}"
    );
}

#[test]
fn a_cut_short_gzip_file_says_so_and_keeps_what_it_read() {
    // a rotated log read while logrotate still compresses it
    let dir = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..50 {
        enc.write_all(CORPUS.as_bytes()).unwrap();
    }
    let gz = enc.finish().unwrap();
    let cut = dir.path().join("mail.log.2.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let out = opsdeck()
        .args(["summary", "--format", "json"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mail.log.2.gz: not gzip, or cut short (still being compressed?): "),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = v["lines"].as_u64().unwrap();
    assert!(
        lines > 0 && lines < 50 * CORPUS.lines().count() as u64,
        "the lines before the cut are reported: {v}"
    );
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    // read in part: not among the files that could not be read
    assert_eq!(v["unreadable"], serde_json::json!([]), "{v}");
}

/// `--since 3h` over `mail.log*` as the shell expands it: the rotated files that ended before
/// then are named and not read, and the report is the one over every line.
#[test]
fn since_leaves_out_the_rotated_files_that_ended_before_it() {
    use opsdeck::mail::log::demo::LogGenerator;
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Local::now();
    let mut g = LogGenerator::new(3);
    let mut all = String::new();
    // hours back at which each file starts and ends, oldest first
    let spans = [
        ("mail.log.2.gz", 72, 48),
        ("mail.log.1", 48, 24),
        ("mail.log", 24, 0),
    ];
    for (name, from, to) in spans {
        let mut text = String::new();
        let mut t = now - chrono::Duration::hours(from);
        while t < now - chrono::Duration::hours(to) - chrono::Duration::minutes(1) {
            for l in g.message(t) {
                text.push_str(&l);
                text.push('\n');
            }
            t += chrono::Duration::seconds(90);
        }
        all.push_str(&text);
        let path = dir.path().join(name);
        if name.ends_with(".gz") {
            let mut enc = flate2::write::GzEncoder::new(
                std::fs::File::create(&path).unwrap(),
                flate2::Compression::fast(),
            );
            enc.write_all(text.as_bytes()).unwrap();
            enc.finish().unwrap();
        } else {
            std::fs::write(&path, text).unwrap();
        }
        // last written when it was rotated, as logrotate leaves it (gzip keeps the time)
        let ended = now - chrono::Duration::hours(to);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(std::time::SystemTime::from(ended))
            .unwrap();
    }
    let json = |args: &[&str], stdin: &str| -> serde_json::Value {
        let mut cmd = opsdeck();
        cmd.args(["summary", "--since", "3h", "--format", "json"])
            .args(args)
            .current_dir(dir.path());
        let out = with_stdin(cmd, stdin);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // as the shell orders them
    let mut sought = json(&["mail.log", "mail.log.1", "mail.log.2.gz"], "");
    assert_eq!(sought["files"], serde_json::json!(["mail.log"]));
    assert_eq!(
        sought["older"],
        serde_json::json!(["mail.log.2.gz", "mail.log.1"])
    );
    let mut whole = json(&["-"], &all);
    assert!(sought["status"]["sent"].as_u64().unwrap() > 20, "{sought}");
    for v in [&mut sought, &mut whole] {
        for k in ["files", "older", "lines", "unparsed", "since"] {
            v.as_object_mut().unwrap().remove(k);
        }
    }
    assert_eq!(sought, whole);
}

#[test]
fn since_and_until_give_one_day() {
    use chrono::TimeZone;
    use opsdeck::mail::log::demo::LogGenerator;
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Local::now();
    let today = now.date_naive().and_hms_opt(0, 0, 0).unwrap();
    let today = chrono::Local
        .from_local_datetime(&today)
        .earliest()
        .unwrap();
    let yesterday = chrono::Local
        .from_local_datetime(&(now.date_naive().pred_opt().unwrap().and_hms_opt(0, 0, 0)).unwrap())
        .earliest()
        .unwrap();
    let mut g = LogGenerator::new(5);
    // mail.log.1 from 60 to 24 hours back, mail.log from then on: yesterday spans both
    let (mut old, mut cur) = (String::new(), String::new());
    let (mut messages, mut sent, mut deferred) = (0, 0, 0);
    let mut t = now - chrono::Duration::hours(60);
    while t < now - chrono::Duration::minutes(1) {
        let text = if t < now - chrono::Duration::hours(24) {
            &mut old
        } else {
            &mut cur
        };
        let lines = g.message(t);
        if t >= yesterday && t < today {
            messages += lines
                .iter()
                .filter(|l| l.contains("postfix/pickup["))
                .count();
            sent += lines.iter().filter(|l| l.contains(" status=sent ")).count();
            deferred += lines
                .iter()
                .filter(|l| l.contains(" status=deferred "))
                .count();
        }
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        t += chrono::Duration::seconds(97);
    }
    std::fs::write(dir.path().join("mail.log.1"), old).unwrap();
    std::fs::write(dir.path().join("mail.log"), cur).unwrap();
    let run = |args: &[&str]| {
        opsdeck()
            .arg("summary")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&[
        "--since",
        "yesterday",
        "--until",
        "today",
        "--format",
        "json",
        "mail.log",
        "mail.log.1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(messages > 500, "the day holds {messages} messages");
    assert_eq!(v["messages"], messages);
    assert_eq!(v["status"]["sent"], sent);
    assert_eq!(v["status"]["deferred"], deferred);
    let at = |k: &str| chrono::DateTime::parse_from_rfc3339(v[k].as_str().unwrap()).unwrap();
    assert_eq!(at("since"), yesterday);
    assert_eq!(at("until"), today);
    assert!(at("first") >= yesterday && at("last") < today, "{v}");
    // the same day written as dates, and as text
    let day = |d: chrono::DateTime<chrono::Local>| d.format("%Y-%m-%d").to_string();
    let out = run(&[
        "--since",
        &day(yesterday),
        "--until",
        &day(today),
        "mail.log",
        "mail.log.1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "Since {} 00:00, until {} 00:00 (not included)",
            day(yesterday),
            day(today)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{messages} messages entered the queue")),
        "{text}"
    );
    // a window that ends before the current file starts leaves it unread
    let out = run(&[
        "--until",
        "30h",
        "--format",
        "json",
        "mail.log",
        "mail.log.1",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["newer"], serde_json::json!(["mail.log"]));
    assert_eq!(v["files"], serde_json::json!(["mail.log.1"]));
    // a window that ends before it starts, or a time that is none, is refused
    let out = run(&["--since", "today", "--until", "yesterday", "mail.log"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not before --until"), "{err}");
    let out = run(&["--until", "noonish", "mail.log"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--until \"noonish\": expected a duration ago"),
        "{err}"
    );
}

#[test]
fn with_no_file_named_the_configured_log_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("maillog");
    std::fs::write(&log, CORPUS).unwrap();
    let config = dir.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!("[mail_log]\nfiles = {:?}\n", log.display().to_string()),
    )
    .unwrap();
    let out = opsdeck()
        .args(["summary", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["files"], serde_json::json!([log.display().to_string()]));
    assert_eq!(v["lines"], CORPUS.lines().count());
    // named files win over the configuration's
    let other = dir.path().join("other.log");
    std::fs::write(&other, "").unwrap();
    let out = opsdeck()
        .args(["summary", "--format", "json", "--config"])
        .arg(&config)
        .arg(&other)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lines"], 0);
    // a broken configuration says where
    std::fs::write(&config, "[mail_log]\nfiles = 3\n").unwrap();
    let out = opsdeck()
        .args(["summary", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:2:9: ", config.display())),
        "{err}"
    );
}

#[test]
fn a_journal_configuration_reads_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("opsdeck.toml");
    // a unit no journal has: journalctl refuses the filter, and the report says so
    std::fs::write(
        &config,
        "[mail_log]\nsource = \"journal\"\njournal_units = \"opsdeck-test-no-such-unit-*\"\n",
    )
    .unwrap();
    let out = opsdeck()
        .args(["summary", "--since", "1h", "--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    let has_journalctl = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("journalctl").exists());
    if has_journalctl {
        assert!(
            err.contains("no journal entries for the units opsdeck-test-no-such-unit-*"),
            "{err}"
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let files = v["files"][0].as_str().unwrap();
        assert!(
            files.starts_with(
                "journalctl -o short-iso --all --no-pager -q -u opsdeck-test-no-such-unit-* --since=@"
            ),
            "{files}"
        );
    } else {
        assert!(err.contains("journalctl: not found"), "{err}");
    }
}

/// The last Sunday of `month` (when Europe changes its clocks) of the year a yearless stamp of that
/// day is read in: this year, unless that Sunday is still ahead.
fn last_sunday_of(month: u32) -> chrono::NaiveDate {
    use chrono::{Datelike, Duration, NaiveDate, Weekday};
    let today = chrono::Local::now().date_naive();
    let last_sunday = |y: i32| {
        let mut d = NaiveDate::from_ymd_opt(y, month + 1, 1)
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(y + 1, 1, 1).unwrap())
            - Duration::days(1);
        while d.weekday() != Weekday::Sun {
            d -= Duration::days(1);
        }
        d
    };
    let day = last_sunday(today.year());
    if day > today + Duration::days(1) {
        last_sunday(today.year() - 1)
    } else {
        day
    }
}

/// Deferrals of `day` at the given times of day, one message each.
fn deferrals_at(day: chrono::NaiveDate, times: &[&str]) -> String {
    times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{} {t} mx postfix/smtp[1]: A0000{i}: to=<u{i}@example.com>, relay=none, \
                 delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to \
                 mx.example.com[192.0.2.1]:25: Connection timed out)\n",
                day.format("%b %e")
            )
        })
        .collect()
}

/// A log stamped in a zone without the reader's daylight saving time (a Postfix container in UTC,
/// read on a host in Europe/Berlin) has lines in the hour Berlin skips in spring: they are
/// counted, not dropped as not understood.
#[test]
fn lines_in_the_hour_skipped_in_spring_are_counted() {
    let log = deferrals_at(
        last_sunday_of(3),
        &["01:59:59", "02:15:00", "02:45:00", "03:00:01"],
    );
    let mut cmd = opsdeck();
    cmd.env("TZ", "Europe/Berlin")
        .args(["summary", "--format", "json", "-"]);
    let out = with_stdin(cmd, log);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["unparsed"], 0, "{v}");
    assert_eq!(v["status"]["deferred"], 4, "{v}");
}

/// In autumn Berlin lives 02:00 to 03:00 twice. Lines of the second pass are read at +01:00, after
/// those of the first, as they were written: the report ends with the last line, not an hour
/// before it.
#[test]
fn the_hour_lived_twice_in_autumn_is_read_in_order() {
    let day = last_sunday_of(10);
    // the first pass, then the clocks go back
    let log = deferrals_at(day, &["02:10:00", "02:50:00", "02:05:00", "02:40:00"]);
    let mut cmd = opsdeck();
    cmd.env("TZ", "Europe/Berlin")
        .args(["summary", "--format", "json", "-"]);
    let out = with_stdin(cmd, log);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"]["deferred"], 4, "{v}");
    let at = |t: &str| format!("{}T{t}", day.format("%Y-%m-%d"));
    assert_eq!(v["first"], at("02:10:00+02:00"), "{v}");
    assert_eq!(v["last"], at("02:40:00+01:00"), "{v}");
}

/// postmap, compiling a password map with a line that is not UTF-8 (a password with a Latin-1
/// letter), logs that line whole, password and all: the summary names the map and the line, not
/// what the line holds.
#[test]
fn a_password_map_line_postmap_logs_is_not_in_the_summary() {
    let pf = PostfixHarness::start(PostfixOptions::default());
    let map = pf.config_dir().join("sasl_passwd");
    std::fs::write(
        &map,
        b"[email-smtp.us-east-1.amazonaws.com]:587 AKIAEXAMPLE:caf\xe9-NOT-A-REAL-SECRET\n",
    )
    .unwrap();
    let st = pf
        .command("postmap")
        .arg(format!("hash:{}", map.display()))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "postmap skips the line and goes on");
    let log = pf
        .wait_for_log(|l| l.contains("non-UTF-8 input"), Duration::from_secs(20))
        .unwrap();
    assert!(
        log.contains("-NOT-A-REAL-SECRET\" -- ignoring this line"),
        "postmap logs the line whole:\n{log}"
    );
    for format in ["text", "json"] {
        let out = opsdeck()
            .args(["summary", "--config", "/dev/null", "--format", format])
            .arg(pf.log_path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!(
                "postfix/postmap: {}, line 1: non-UTF-8 input",
                map.display()
            )),
            "{format}:\n{text}"
        );
        assert!(!text.contains("NOT-A-REAL-SECRET"), "{format}:\n{text}");
    }
}

/// The same mail log as `CORPUS`, written by other syslog set-ups (Europe/Berlin, +01:00 in
/// November): rsyslog's and syslog-ng's RFC 5424 files, ISO stamps with a space before the
/// time, in local time and in UTC, rsyslog's forward formats (a PRI before a traditional or an
/// RFC 3339 stamp), syslog-ng's `$TZ` after a space, in New York's zone, and an old syslog-ng's
/// `$ISODATE` in St. John's zone, its offset written `-03:-30`.
const RESTAMPED: [(&str, &str); 8] = [
    (
        "rsyslog RSYSLOG_SyslogProtocol23Format",
        include_str!("fixtures/maillog/corpus-3.7.rsyslog-rfc5424.log"),
    ),
    (
        "syslog-ng flags(syslog-protocol)",
        include_str!("fixtures/maillog/corpus-3.7.syslog-ng-rfc5424.log"),
    ),
    (
        "ISO stamps in local time",
        include_str!("fixtures/maillog/corpus-3.7.iso-local.log"),
    ),
    (
        "ISO stamps in UTC",
        include_str!("fixtures/maillog/corpus-3.7.iso-utc.log"),
    ),
    (
        "rsyslog RSYSLOG_TraditionalForwardFormat",
        include_str!("fixtures/maillog/corpus-3.7.rsyslog-traditional-forward.log"),
    ),
    (
        "rsyslog RSYSLOG_ForwardFormat",
        include_str!("fixtures/maillog/corpus-3.7.rsyslog-forward.log"),
    ),
    (
        "syslog-ng $YEAR-$MONTH-$DAY $HOUR:$MIN:$SEC.$MSEC $TZ",
        include_str!("fixtures/maillog/corpus-3.7.syslog-ng-tz.log"),
    ),
    (
        "old syslog-ng $ISODATE, -03:-30",
        include_str!("fixtures/maillog/corpus-3.7.syslog-ng-minus-minutes.log"),
    ),
];

/// The year the corpus's yearless `Nov 27` stamps are read in today: this year's, unless that day
/// is still more than a day ahead.
fn corpus_year() -> i32 {
    use chrono::{Datelike, Duration, NaiveDate};
    let today = chrono::Local::now().date_naive();
    let this_year = NaiveDate::from_ymd_opt(today.year(), 11, 27).unwrap();
    if this_year > today + Duration::days(1) {
        today.year() - 1
    } else {
        today.year()
    }
}

/// Every time in a JSON report as the instant it names, to the second: a traditional stamp has no
/// fraction, and the same instant may be written with another offset.
fn as_instants(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                *s = t.with_timezone(&chrono::Utc).format("%FT%TZ").to_string();
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(as_instants),
        serde_json::Value::Object(o) => o.values_mut().for_each(as_instants),
        _ => {}
    }
}

#[test]
fn logs_stamped_by_other_syslog_set_ups_give_the_report_of_the_traditional_log() {
    let report = |log: &str| -> serde_json::Value {
        let mut cmd = opsdeck();
        cmd.env("TZ", "Europe/Berlin")
            .args(["summary", "--format", "json", "-"]);
        let out = with_stdin(cmd, log);
        assert!(out.status.success(), "{out:?}");
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        as_instants(&mut v);
        v
    };
    let traditional = report(CORPUS);
    assert_eq!(traditional["unparsed"], 0, "{traditional}");
    assert!(traditional["status"]["bounced"].as_u64().unwrap() > 0);
    // the fixtures are of 2026; the traditional stamps are read in the year they would be now
    let year = format!("{}-11-27", corpus_year());
    for (written_by, log) in RESTAMPED {
        assert_eq!(log.lines().count(), CORPUS.lines().count(), "{written_by}");
        let v = report(&log.replace("2026-11-27", &year));
        assert_eq!(v, traditional, "{written_by}");
    }
}
