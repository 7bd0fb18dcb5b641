//! The command line's output to a reader that has gone: `opsdeck summary 2>&1 | head -1` ends with
//! its own exit status, never a panic's (101).

use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};

/// Run opsdeck with `args`, its standard output and standard error both the write end of a pipe
/// whose read end is already closed: every write fails with EPIPE. Its exit status.
fn exit_with_no_reader(args: &[&str]) -> Option<i32> {
    let (read, write): (OwnedFd, OwnedFd) = nix::unistd::pipe().unwrap();
    drop(read);
    let status = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::from(write.try_clone().unwrap()))
        .stderr(Stdio::from(write))
        .status()
        .unwrap();
    status.code()
}

#[test]
fn a_summary_whose_reader_left_exits_with_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.log");
    let log = dir.path().join("mail.log");
    std::fs::write(
        &log,
        "Dec  7 10:00:00 mx1 postfix/qmgr[2]: 1A2B3C4D5E: removed\n",
    )
    .unwrap();
    // a file that cannot be read is said on standard error, after the report: exit 2
    assert_eq!(
        exit_with_no_reader(&["summary", missing.to_str().unwrap()]),
        Some(2)
    );
    // a twice-named file is said on standard error before the report; the run still succeeds
    let log = log.to_str().unwrap();
    assert_eq!(exit_with_no_reader(&["summary", log, log]), Some(0));
}

#[test]
fn an_error_whose_reader_left_exits_with_its_status() {
    // the top-level error goes to standard error too
    assert_eq!(
        exit_with_no_reader(&["summary", "--since", "3x", "/dev/null"]),
        Some(2)
    );
}
