//! The deploy lock between two processes: contention, release, and
//! takeover of a stale lock left by a killed process.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use deploy_support::{Fixture, access};
use opsdeck::deploy::checkout::{self, DeployRequest, Kind};
use opsdeck::deploy::{DeployError, lock};

const HOLDER_ENV: &str = "OPSDECK_TEST_HOLD_LOCK_IN";

/// Helper process: with `OPSDECK_TEST_HOLD_LOCK_IN=DIR` it takes the lock in
/// DIR, says LOCKED and holds it until its stdin closes. Run alone, it
/// checks that a lock is released when its holder ends.
#[test]
fn lock_holder_process() {
    let dir = match std::env::var_os(HOLDER_ENV) {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            let d = tempfile::tempdir().unwrap();
            drop(lock::acquire(d.path(), None, &access()).unwrap());
            assert!(lock::read(d.path()).is_none(), "released on drop");
            return;
        }
    };
    let held = lock::acquire(&dir, None, &access()).expect("child could not take the lock");
    println!("LOCKED {}", held.info().pid);
    let mut s = String::new();
    while std::io::stdin().read_line(&mut s).is_ok_and(|n| n > 0) {}
    drop(held);
}

/// Start the helper process holding the lock in `git_dir`; its stdout is
/// returned too and must stay open until it ends (it still reports).
fn spawn_holder(git_dir: &std::path::Path) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLDER_ENV, git_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the helper ended without taking the lock"
        );
        // libtest prints "test lock_holder_process ... " on the same line.
        if let Some(at) = line.find("LOCKED ") {
            assert_eq!(
                line[at + "LOCKED ".len()..].trim().parse::<u32>().unwrap(),
                child.id()
            );
            break;
        }
    }
    (child, out)
}

fn request(f: &Fixture) -> DeployRequest {
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    DeployRequest {
        kind: Kind::Deploy,
        to: p.to.id,
        expected_from: p.from.map(|c| c.id),
        stash: false,
        take_over: None,
        journal_seen: None,
    }
}

#[test]
fn lock_contention_between_two_processes() {
    let f = Fixture::new();
    let (mut child, mut out) = spawn_holder(&f.git_dir());
    let pid = child.id();

    let held = lock::read(&f.git_dir()).expect("the lock file exists");
    assert_eq!(held.pid, pid);
    assert!(!held.is_stale());
    // The preview shows the holder; the deploy is refused and changes nothing.
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert_eq!(p.lock.as_ref().map(|l| l.pid), Some(pid));
    assert!(!p.lock_stale);
    match checkout::deploy(&f.config(), &request(&f), &access()) {
        Err(DeployError::Locked { holder, stale, .. }) => {
            assert!(holder.contains(&format!("pid {pid}")), "{holder}");
            assert!(!stale);
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    assert_eq!(f.head(), f.commits[2]);

    // The holder ends: the lock is free again.
    drop(child.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "the helper failed: {rest}");
    assert!(lock::read(&f.git_dir()).is_none());
    checkout::deploy(&f.config(), &request(&f), &access()).unwrap();
    assert_eq!(f.head(), f.commits[3]);
}

#[test]
fn stale_lock_of_a_killed_process_is_taken_over_only_when_named() {
    let f = Fixture::new();
    let (mut child, _out) = spawn_holder(&f.git_dir());
    child.kill().unwrap();
    child.wait().unwrap();
    let stale = lock::read(&f.git_dir()).expect("a killed holder leaves its lock");
    assert!(stale.is_stale(), "the holder's pid is gone");

    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert!(p.lock_stale);
    // Without the user's confirmation (no takeover named) it is refused.
    match checkout::deploy(&f.config(), &request(&f), &access()) {
        Err(DeployError::Locked {
            stale: true, lock, ..
        }) => assert_eq!(*lock, stale),
        other => panic!("expected a stale Locked, got {other:?}"),
    }
    assert_eq!(f.head(), f.commits[2]);
    let mut req = request(&f);
    req.take_over = Some(stale);
    checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert_eq!(f.head(), f.commits[3]);
    assert!(
        lock::read(&f.git_dir()).is_none(),
        "our lock was released after the deploy"
    );
}

/// A lock file left empty (its maker died between creating and writing it) names no process:
/// once it has stayed empty past the margin it is stale, named by its path, and taken over only
/// when the user confirmed that very file. A fresh empty file is a lock being written: held.
#[test]
fn an_empty_lock_file_left_by_a_crash_is_stale_and_named() {
    let f = Fixture::new();
    let path = lock::path_in(&f.git_dir());
    std::fs::write(&path, b"").unwrap();
    let fresh = lock::read(&f.git_dir()).expect("an empty lock file is a lock");
    assert!(!fresh.is_stale(), "just made: its writer may be at work");
    match checkout::deploy(&f.config(), &request(&f), &access()) {
        Err(DeployError::Locked { stale: false, .. }) => {}
        other => panic!("expected a held lock, got {other:?}"),
    }

    let made = std::time::SystemTime::now() - lock::EMPTY_STALE_AFTER * 2;
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(made)
        .unwrap();
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert!(p.lock_stale, "{:?}", p.lock);
    let stale = match checkout::deploy(&f.config(), &request(&f), &access()) {
        Err(e @ DeployError::Locked { stale: true, .. }) => {
            let said = e.to_string();
            assert!(
                said.contains(&format!("an empty lock file {}, made ", path.display())),
                "{said}"
            );
            let DeployError::Locked { lock, .. } = e else {
                unreachable!()
            };
            *lock
        }
        other => panic!("expected a stale lock, got {other:?}"),
    };
    assert_eq!(f.head(), f.commits[2]);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"",
        "a refusal leaves the file"
    );

    // Another empty file made since is not the one confirmed: it stays.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(made - std::time::Duration::from_secs(5))
        .unwrap();
    let mut req = request(&f);
    req.take_over = Some(stale);
    assert!(matches!(
        checkout::deploy(&f.config(), &req, &access()),
        Err(DeployError::Locked { stale: true, .. })
    ));
    assert_eq!(f.head(), f.commits[2]);

    req.take_over = lock::read(&f.git_dir());
    checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert_eq!(f.head(), f.commits[3]);
    assert!(lock::read(&f.git_dir()).is_none(), "our lock was released");
}
