//! The deploy lock between two processes: contention, release, and
//! takeover of a stale lock left by a killed process.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use deploy_support::nobody::{AS_NOBODY_IN, assert_passes, pass_as_nobody, test_as_nobody};
use deploy_support::{Fixture, access, git};
use opsdeck::deploy::checkout::{self, DeployRequest, Kind};
use opsdeck::deploy::journal::{self, JournalRecord};
use opsdeck::deploy::{DeployError, lock, status};

const HOLDER_ENV: &str = "OPSDECK_TEST_HOLD_LOCK_IN";

/// Set for a helper that first leaves a stale lock and takes it over (making the takeover
/// guard), as a deployer whose earlier deploy died does.
const HOLDER_TAKES_OVER: &str = "OPSDECK_TEST_HOLDER_TAKES_OVER";

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
    let stale = std::env::var_os(HOLDER_TAKES_OVER).map(|_| {
        let dead = serde_json::json!({
            "user": "root", "host": lock::current_host(), "pid": 4_194_304 + 17,
            "time": "2026-01-01T00:00:00+00:00",
        });
        std::fs::write(lock::path_in(&dir), dead.to_string()).unwrap();
        lock::read(&dir).unwrap()
    });
    let held =
        lock::acquire(&dir, stale.as_ref(), &access()).expect("child could not take the lock");
    println!("LOCKED {}", held.info().pid);
    let mut s = String::new();
    while std::io::stdin().read_line(&mut s).is_ok_and(|n| n > 0) {}
    drop(held);
}

/// Start the helper process holding the lock in `git_dir`; its stdout is
/// returned too and must stay open until it ends (it still reports).
fn spawn_holder(git_dir: &std::path::Path) -> (Child, BufReader<std::process::ChildStdout>) {
    spawn_holder_with(git_dir, Command::new(std::env::current_exe().unwrap()))
}

/// [`spawn_holder`], the helper run from `command` (its environment, its umask).
fn spawn_holder_with(
    git_dir: &std::path::Path,
    mut command: Command,
) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = command
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

/// The deploy lock as a second deployer who may not write what the first one made sees it.
/// Root reads and writes any file whatever its mode, so these tests need root: the fixture's
/// checkout is given to nobody (whose own it then is to deploy), root's deploy makes the lock
/// and the takeover guard (root's files), and the test runs again as nobody for the deploying
/// part. `None` (after saying why) when not root; the fixture and
/// the checkout's git directory otherwise.
fn checkout_of_nobody(name: &str) -> Option<(Fixture, std::path::PathBuf)> {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("{name}: skipped: needs root, to make the lock root's and deploy as nobody");
        return None;
    }
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    std::fs::set_permissions(f.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let chown = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&f.site)
        .status()
        .unwrap();
    assert!(chown.success());
    let git_dir = f.git_dir();
    Some((f, git_dir))
}

/// Root's deploy, with root's umask 077 (a common hardening), holding the lock it took over
/// from a deploy that died, so that its takeover made the guard too.
fn root_deploying_with_umask_077(
    git_dir: &std::path::Path,
) -> (Child, BufReader<std::process::ChildStdout>) {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env(HOLDER_TAKES_OVER, "1");
    // SAFETY: umask is async-signal-safe, and nothing else runs in the child before exec
    unsafe {
        command.pre_exec(|| {
            nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
            Ok(())
        });
    }
    let held = spawn_holder_with(git_dir, command);
    assert!(
        git_dir.join(lock::GUARD_NAME).exists(),
        "its takeover made the guard"
    );
    held
}

/// In the inner run: the fixture's deploy target, as nobody sees it.
fn inner_config() -> Option<opsdeck::deploy::DeployConfig> {
    let dir = std::path::PathBuf::from(std::env::var_os(AS_NOBODY_IN)?);
    deploy_support::without_host_git_config();
    Some(opsdeck::deploy::DeployConfig {
        name: "site".into(),
        path: dir.join("site"),
        hook_timeout_secs: 10,
        ..Default::default()
    })
}

fn preview_deploy(cfg: &opsdeck::deploy::DeployConfig) -> (checkout::Preview, DeployRequest) {
    let p = checkout::preview(cfg, "origin/main", Kind::Deploy).unwrap();
    let req = DeployRequest {
        kind: Kind::Deploy,
        to: p.to.id,
        expected_from: p.from.as_ref().map(|c| c.id),
        stash: false,
        take_over: None,
        journal_seen: None,
    };
    (p, req)
}

/// The checkout's HEAD as its file says (root's git refuses a repository nobody owns).
fn head_of(f: &Fixture) -> String {
    std::fs::read_to_string(f.git_dir().join("HEAD"))
        .unwrap()
        .trim()
        .to_string()
}

/// Root's deploy holds the lock (a live process) in a checkout nobody deploys from, and made
/// the takeover guard; nobody may write neither, whatever root's umask. Nobody's preview names the holder, a deploy is
/// refused with who holds it and what to do, a takeover of it is refused too; the lock stays
/// root's, the guard and HEAD as they were.
#[test]
fn a_lock_another_user_holds_stays_theirs_for_a_deployer_who_cannot_write_it() {
    const NAME: &str = "a_lock_another_user_holds_stays_theirs_for_a_deployer_who_cannot_write_it";
    if let Some(cfg) = inner_config() {
        let (p, mut req) = preview_deploy(&cfg);
        let seen = p.lock.clone().expect("the preview shows the lock");
        assert_eq!(seen.user, "root");
        assert!(!p.lock_stale, "{seen:?}");
        let said = match checkout::deploy(&cfg, &req, &access()) {
            Err(e @ DeployError::Locked { stale: false, .. }) => e.to_string(),
            other => panic!("expected a held lock, got {other:?}"),
        };
        println!("SAID {said}");
        assert!(
            said.contains(&format!(
                "deploy lock held by root@{} pid {}",
                lock::current_host(),
                seen.pid
            )),
            "{said}"
        );
        req.take_over = Some(seen);
        assert!(matches!(
            checkout::deploy(&cfg, &req, &access()),
            Err(DeployError::Locked { stale: false, .. })
        ));
        return;
    }
    let Some((f, git_dir)) = checkout_of_nobody(NAME) else {
        return;
    };
    let (mut child, mut out) = root_deploying_with_umask_077(&git_dir);
    let held = lock::read(&git_dir).unwrap();
    assert_eq!(held.pid, child.id());
    let guard = std::fs::read(git_dir.join(lock::GUARD_NAME)).unwrap();
    let head = head_of(&f);
    pass_as_nobody(NAME, Some(f.dir.path()));
    assert_eq!(lock::read(&git_dir), Some(held));
    assert_eq!(
        std::fs::read(git_dir.join(lock::GUARD_NAME)).unwrap(),
        guard
    );
    assert_eq!(head_of(&f), head);
    drop(child.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "the helper failed: {rest}");
    assert!(
        lock::read(&git_dir).is_none(),
        "root's lock is released by root"
    );
}

/// Root's deploy died and left its lock, and root's takeover guard (nobody may only read it)
/// beside it. Nobody is told it is stale, takes it over when confirmed, through
/// the guard opened read-only, deploys and releases the lock; the guard stays root's.
#[test]
fn a_stale_lock_of_another_user_is_taken_over_through_their_read_only_guard() {
    use std::os::unix::fs::MetadataExt;
    const NAME: &str = "a_stale_lock_of_another_user_is_taken_over_through_their_read_only_guard";
    if let Some(cfg) = inner_config() {
        let (p, mut req) = preview_deploy(&cfg);
        assert!(p.lock_stale, "{:?}", p.lock);
        assert!(matches!(
            checkout::deploy(&cfg, &req, &access()),
            Err(DeployError::Locked { stale: true, .. })
        ));
        req.take_over = p.lock;
        let done = checkout::deploy(&cfg, &req, &access()).expect("the takeover");
        assert_eq!(done.to, p.to.id);
        return;
    }
    let Some((f, git_dir)) = checkout_of_nobody(NAME) else {
        return;
    };
    let (mut child, _out) = root_deploying_with_umask_077(&git_dir);
    child.kill().unwrap();
    child.wait().unwrap();
    let stale = lock::read(&git_dir).expect("a killed holder leaves its lock");
    assert_eq!(stale.user, "root");
    let guard = std::fs::metadata(git_dir.join(lock::GUARD_NAME)).unwrap();
    pass_as_nobody(NAME, Some(f.dir.path()));
    assert_eq!(head_of(&f), f.commits[3]);
    assert!(lock::read(&git_dir).is_none(), "nobody's lock was released");
    let after = std::fs::metadata(git_dir.join(lock::GUARD_NAME)).unwrap();
    assert_eq!((after.ino(), after.uid()), (guard.ino(), 0));
}

/// A lock another deployer's own tool made (a script with `set -o noclobber`, run by root with
/// umask 077) that nobody may read: still held, by its owner, in the preview and in the
/// refusal, and never taken; the file stays as it was.
#[test]
fn a_lock_file_another_user_made_unreadable_is_held_by_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    const NAME: &str = "a_lock_file_another_user_made_unreadable_is_held_by_its_owner";
    if let Some(cfg) = inner_config() {
        let (p, mut req) = preview_deploy(&cfg);
        let seen = p.lock.clone().expect("the preview shows the lock");
        assert!(!p.lock_stale, "{seen:?}");
        let holder = seen.holder();
        assert!(
            holder.starts_with("root (its lock file is not readable to you: mode 0600), since "),
            "{holder}"
        );
        match checkout::deploy(&cfg, &req, &access()) {
            Err(DeployError::Locked {
                holder: said,
                stale: false,
                ..
            }) => assert_eq!(said, holder.as_str()),
            other => panic!("expected a held lock, got {other:?}"),
        }
        req.take_over = Some(seen);
        assert!(matches!(
            checkout::deploy(&cfg, &req, &access()),
            Err(DeployError::Locked { stale: false, .. })
        ));
        return;
    }
    let Some((f, git_dir)) = checkout_of_nobody(NAME) else {
        return;
    };
    let path = lock::path_in(&git_dir);
    std::fs::write(&path, "deploy.sh 4242\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let head = head_of(&f);
    pass_as_nobody(NAME, Some(f.dir.path()));
    assert_eq!(std::fs::read(&path).unwrap(), b"deploy.sh 4242\n");
    assert_eq!(head_of(&f), head);
}

/// Set in the inner run of a test that runs as nobody at several points: which one, and the
/// commits it expects (`STAGE LEFT HEAD`: where the journal's last deploy left HEAD, and HEAD).
const STAGE_ENV: &str = "OPSDECK_TEST_STAGE";

/// Append a successful deploy from `from` to `to` to the checkout's journal, as root's opsdeck
/// writes it, readable by nobody.
fn journal_deploy(git_dir: &std::path::Path, from: &str, to: &str) {
    use std::os::unix::fs::PermissionsExt;
    let entry = JournalRecord {
        time: "2026-11-01T10:00:00+00:00".into(),
        user: "root".into(),
        host: lock::current_host(),
        kind: "deploy".into(),
        from: from.into(),
        to: to.into(),
        result: "ok".into(),
        hook: "none".into(),
    };
    journal::append(git_dir, &entry, &access()).unwrap();
    let path = journal::path_in(git_dir);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// Another user's deploy (root's script honouring the lock with `set -o noclobber`, or an older
/// opsdeck, under umask 077) holds a lock file nobody may read, and has moved HEAD. Nobody
/// sees a deploy under way: the lock held by root, HEAD where that deploy took it, and no move
/// outside opsdeck. Once the lock is gone, a HEAD that no journal entry left there was moved
/// outside opsdeck (by a tool that keeps no journal), named by git's reflog; once the journal
/// names the move, it was not.
#[test]
fn a_head_moved_under_a_lock_nobody_may_read_is_a_deploy_under_way() {
    use std::os::unix::fs::PermissionsExt;
    const NAME: &str = "a_head_moved_under_a_lock_nobody_may_read_is_a_deploy_under_way";
    if let Some(cfg) = inner_config() {
        let stage = std::env::var(STAGE_ENV).unwrap();
        let [stage, left, head] = stage.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{STAGE_ENV}={stage}")
        };
        let s = status::read_status(&cfg).unwrap();
        assert_eq!(
            s.head.as_ref().map(|h| h.id.to_string()).as_deref(),
            Some(head)
        );
        assert_eq!(s.journal_problem, None);
        match stage {
            "held" => {
                assert_eq!(s.moved_outside, None, "HEAD moved by the deploy under way");
                let l = s.lock.as_ref().expect("the lock is seen");
                assert_eq!(
                    (l.user.as_str(), l.unreadable),
                    ("root", Some(lock::Unreadable::Mode(0o600)))
                );
                assert!(!s.lock_stale);
            }
            "released" => {
                assert_eq!(s.lock, None);
                let m = s.moved_outside.expect("a move no journal entry names");
                assert_eq!(m.left, left[..7]);
                assert_eq!(m.by.as_ref().map(|b| b.as_str()), Some("Test Dev"));
            }
            "journaled" => {
                assert_eq!(s.lock, None);
                assert_eq!(s.moved_outside, None, "the journal names the move");
            }
            other => panic!("stage {other}"),
        }
        return;
    }
    let Some((f, git_dir)) = checkout_of_nobody(NAME) else {
        return;
    };
    let (left, head) = (&f.commits[2], &f.commits[3]);
    journal_deploy(&git_dir, &f.commits[1], left);
    let path = lock::path_in(&git_dir);
    std::fs::write(&path, "deploy.sh 4242\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    // taken a minute before the move below (the test's git commands are dated
    // 2026-11-01T10:00:00Z): the move is the script's, made under its lock
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_793_527_140))
        .unwrap();
    // root's git refuses a checkout nobody owns unless told it is safe
    git(
        &f.site,
        &["-c", "safe.directory=*", "checkout", "-q", "--detach", head],
    );
    let as_nobody = |stage: &str| {
        assert_passes(
            test_as_nobody(NAME, Some(f.dir.path()))
                .env(STAGE_ENV, format!("{stage} {left} {head}")),
        )
    };
    as_nobody("held");
    std::fs::remove_file(&path).unwrap();
    as_nobody("released");
    journal_deploy(&git_dir, left, head);
    as_nobody("journaled");
}

/// Root's takeover guard left at 0600 by an older opsdeck (under umask 077), beside a stale lock
/// of root's: nobody may not open the guard, so nobody's takeover is refused, naming the guard,
/// its owner and mode, and the `chmod` that fixes it; the lock, the guard and HEAD stay as they
/// were. Root's next deploy, refused by that same stale lock, makes the guard readable, and
/// nobody's takeover then goes through it.
#[test]
fn a_guard_nobody_may_not_read_refuses_the_takeover_and_says_how_to_fix_it() {
    use std::os::unix::fs::PermissionsExt;
    const NAME: &str = "a_guard_nobody_may_not_read_refuses_the_takeover_and_says_how_to_fix_it";
    if let Some(cfg) = inner_config() {
        let (p, mut req) = preview_deploy(&cfg);
        assert!(p.lock_stale, "{:?}", p.lock);
        req.take_over = p.lock;
        let guard = status::open(&cfg.path)
            .unwrap()
            .path()
            .join(lock::GUARD_NAME);
        match std::env::var(STAGE_ENV).unwrap().as_str() {
            "unreadable" => match checkout::deploy(&cfg, &req, &access()) {
                Err(e @ DeployError::GuardUnreadable { .. }) => assert_eq!(
                    e.to_string(),
                    format!(
                        "{g}: a stale lock cannot be taken over: this guard is root's, mode 0600, \
                         not readable to you; root can fix it: chmod a+r {g}",
                        g = guard.display()
                    )
                ),
                other => panic!("expected the guard refused, got {other:?}"),
            },
            "repaired" => {
                let done = checkout::deploy(&cfg, &req, &access()).expect("the takeover");
                assert_eq!(done.to, p.to.id);
            }
            other => panic!("stage {other}"),
        }
        return;
    }
    let Some((f, git_dir)) = checkout_of_nobody(NAME) else {
        return;
    };
    let guard = git_dir.join(lock::GUARD_NAME);
    std::fs::write(&guard, b"").unwrap();
    std::fs::set_permissions(&guard, std::fs::Permissions::from_mode(0o600)).unwrap();
    let dead = serde_json::json!({
        "user": "root", "host": lock::current_host(), "pid": 4_194_304 + 17,
        "time": "2026-01-01T00:00:00+00:00",
    });
    let path = lock::path_in(&git_dir);
    std::fs::write(&path, dead.to_string()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stale = lock::read(&git_dir).unwrap();
    assert!(stale.is_stale());
    let head = head_of(&f);
    let as_nobody = |stage: &str| {
        assert_passes(test_as_nobody(NAME, Some(f.dir.path())).env(STAGE_ENV, stage));
    };
    as_nobody("unreadable");
    assert_eq!(lock::read(&git_dir), Some(stale));
    assert_eq!(
        std::fs::metadata(&guard).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(head_of(&f), head);

    // root deploys, which starts by taking the lock (taken alone here: root's libgit2 would ask
    // for safe.directory in a checkout nobody owns), refused by the stale lock root has not
    // confirmed to take over
    assert!(matches!(
        lock::acquire(&git_dir, None, &access()),
        Err(DeployError::Locked { stale: true, .. })
    ));
    assert_eq!(
        std::fs::metadata(&guard).unwrap().permissions().mode() & 0o777,
        0o644
    );
    as_nobody("repaired");
    assert_eq!(head_of(&f), f.commits[3]);
    assert!(lock::read(&git_dir).is_none(), "nobody's lock was released");
}
