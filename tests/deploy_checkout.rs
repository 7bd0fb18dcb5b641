//! Checkout, refusal, stash-and-deploy, revspecs, hooks, journal and
//! rollback on real repositories.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::os::unix::fs::PermissionsExt;

use deploy_support::{Fixture, access, git, tree_bytes};
use opsdeck::deploy::checkout::{self, DeployRequest, Kind};
use opsdeck::deploy::hooks::HookEnd;
use opsdeck::deploy::{CheckoutStyle, DeployError, journal, status};

/// The journal's entries, which must all be readable.
fn journal_of(f: &Fixture) -> Vec<journal::JournalEntry> {
    let (entries, problem) = journal::read(&f.git_dir());
    assert!(problem.is_none(), "{problem:?}");
    entries
}

fn request(f: &Fixture, spec: &str, kind: Kind) -> DeployRequest {
    let p = checkout::preview(&f.config(), spec, kind).expect("preview");
    DeployRequest {
        kind,
        to: p.to.id,
        expected_from: p.from.map(|c| c.id),
        stash: false,
        take_over: None,
        // as the pane pins a rollback to the journal its dialog showed
        journal_seen: (kind == Kind::Rollback).then(|| Box::new(p.journal_seen)),
    }
}

#[test]
fn status_reads_head_upstream_and_log() {
    let f = Fixture::new();
    let s = status::read_status(&f.config()).unwrap();
    assert_eq!(s.head.as_ref().unwrap().id.to_string(), f.commits[2]);
    assert_eq!(s.head.as_ref().unwrap().subject.as_str(), "About page");
    assert_eq!(s.branch, None, "detached");
    assert!(
        s.describe.as_ref().unwrap().starts_with("v1.0-1-g"),
        "{:?}",
        s.describe
    );
    let up = s.upstream.as_ref().unwrap();
    assert_eq!(up.name.as_str(), "origin/main");
    assert_eq!((up.ahead, up.behind), (0, 1));
    assert_eq!(s.state, None);
    assert_eq!((s.modified, s.untracked), (0, 0));
    // The new commit first, then HEAD and the default 3 deployed ones.
    let subjects: Vec<_> = s
        .log
        .iter()
        .map(|e| (e.commit.subject.as_str(), e.deployed, e.is_head))
        .collect();
    assert_eq!(
        subjects,
        vec![
            ("Fourth: new page", false, false),
            ("About page", true, true),
            ("Style and logo", true, false),
            ("First page", true, false),
        ]
    );
}

/// A commit written in Latin-1 (`i18n.commitEncoding = ISO-8859-1`, as older repositories
/// have): its subject and author read as written, not as replacement characters.
#[test]
fn a_commit_written_in_latin1_reads_as_written() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new();
    let msg = f.dir.path().join("msg");
    std::fs::write(&msg, b"Caf\xe9 menu: cr\xe8me br\xfbl\xe9e\n").unwrap();
    let out = std::process::Command::new("git")
        .current_dir(&f.dev)
        .args([
            "-c",
            "i18n.commitEncoding=ISO-8859-1",
            "commit",
            "-q",
            "--allow-empty",
            "-F",
        ])
        .arg(&msg)
        .env("GIT_AUTHOR_NAME", std::ffi::OsStr::from_bytes(b"Ren\xe9e"))
        .env("GIT_AUTHOR_EMAIL", "renee@example.com")
        .env("GIT_COMMITTER_NAME", "Deployer")
        .env("GIT_COMMITTER_EMAIL", "d@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    let s = status::read_status(&f.config()).unwrap();
    let newest = &s.log[0].commit;
    assert_eq!(newest.subject.as_str(), "Café menu: crème brûlée");
    assert_eq!(newest.author.as_str(), "Renée");
}

/// `n` empty commits on HEAD of the repository at `dir`, through libgit2 (the CLI would take
/// minutes), a minute apart from `start` (epoch seconds).
fn empty_commits(dir: &std::path::Path, n: usize, start: i64, subject: &str) {
    let repo = git2::Repository::open(dir).unwrap();
    for i in 0..n {
        let parent = repo.head().unwrap().peel_to_commit().unwrap();
        let sig = git2::Signature::new(
            "Dev",
            "dev@example.org",
            &git2::Time::new(start + 60 * i as i64, 0),
        )
        .unwrap();
        let msg = format!("{subject} {}", i + 1);
        repo.commit(
            Some("HEAD"),
            &sig,
            &sig,
            &msg,
            &parent.tree().unwrap(),
            &[&parent],
        )
        .unwrap();
    }
}

#[test]
fn a_checkout_thousands_of_commits_behind_and_diverged_is_read() {
    let f = Fixture::new();
    // Two hot fixes committed on the server, then upstream moves on by thousands.
    empty_commits(&f.site, 2, 1_790_000_000, "Hot fix");
    empty_commits(&f.dev, 3000, 1_800_000_000, "Upstream");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);

    let s = status::read_status(&f.config()).unwrap();
    let up = s.upstream.as_ref().unwrap();
    assert_eq!((up.ahead, up.behind), (2, 3001));
    let new: Vec<_> = s.log.iter().filter(|e| !e.deployed).collect();
    assert_eq!(
        new.len(),
        status::MAX_NEW_COMMITS,
        "the newest of the undeployed"
    );
    assert_eq!(new[0].commit.subject.as_str(), "Upstream 3000");
    let deployed: Vec<_> = s
        .log
        .iter()
        .filter(|e| e.deployed)
        .map(|e| (e.commit.subject.as_str(), e.is_head))
        .collect();
    assert_eq!(
        deployed,
        vec![
            ("Hot fix 2", true),
            ("Hot fix 1", false),
            ("About page", false)
        ],
        "what is deployed: the hot fixes and what they were made on"
    );
}

#[test]
fn a_submodule_left_behind_by_a_deploy_is_named() {
    let mut f = Fixture::new();
    // A library the site carries as a submodule, at its first version.
    let lib = f.dir.path().join("lib.git");
    let libdev = f.dir.path().join("libdev");
    git(
        f.dir.path(),
        &["init", "-q", "--bare", lib.to_str().unwrap()],
    );
    git(f.dir.path(), &["init", "-q", libdev.to_str().unwrap()]);
    std::fs::write(libdev.join("lib.php"), "v1\n").unwrap();
    git(&libdev, &["add", "-A"]);
    git(&libdev, &["commit", "-q", "-m", "lib v1"]);
    git(
        &libdev,
        &["push", "-q", lib.to_str().unwrap(), "HEAD:refs/heads/main"],
    );
    git(
        &f.dev,
        &["submodule", "add", "-q", lib.to_str().unwrap(), "lib"],
    );
    f.commit(&[], "Add the library");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    git(&f.site, &["checkout", "-q", "origin/main"]);
    git(&f.site, &["submodule", "update", "-q", "--init"]);
    let s = status::read_status(&f.config()).unwrap();
    assert!(s.submodules_off.is_empty(), "{:?}", s.submodules_off);

    // The library moves on and the site records its new version.
    std::fs::write(libdev.join("lib.php"), "v2\n").unwrap();
    git(&libdev, &["commit", "-q", "-am", "lib v2"]);
    git(
        &libdev,
        &["push", "-q", lib.to_str().unwrap(), "HEAD:refs/heads/main"],
    );
    git(&f.dev.join("lib"), &["pull", "-q", "origin", "main"]);
    f.commit(&[], "Library v2");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    let moved: Vec<_> = p.submodules.iter().map(|c| c.to_string()).collect();
    assert_eq!(moved, vec!["lib"], "the preview says the submodule moves");
    let req = request(&f, "origin/main", Kind::Deploy);
    checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert_eq!(f.head(), *f.commits.last().unwrap());

    // The deploy moved the recorded commit, not the library's files: say so.
    assert_eq!(
        std::fs::read_to_string(f.site.join("lib/lib.php")).unwrap(),
        "v1\n"
    );
    let s = status::read_status(&f.config()).unwrap();
    let off: Vec<_> = s.submodules_off.iter().map(|c| c.to_string()).collect();
    assert_eq!(off, vec!["lib"]);
    git(&f.site, &["submodule", "update", "-q"]);
    assert!(
        status::read_status(&f.config())
            .unwrap()
            .submodules_off
            .is_empty()
    );
}

#[test]
fn a_short_id_that_matches_several_commits_is_called_ambiguous() {
    let f = Fixture::new();
    empty_commits(&f.dev, 1000, 1_800_000_000, "Upstream");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    // Among a thousand commits, two share their first four hex digits.
    let ids = git(&f.site, &["rev-list", "origin/main"]);
    let mut seen = std::collections::HashSet::new();
    let prefix = ids
        .lines()
        .map(|id| &id[..4])
        .find(|p| !seen.insert(*p))
        .expect("a shared 4-digit prefix")
        .to_string();
    match checkout::preview(&f.config(), &prefix, Kind::Deploy) {
        Err(e @ DeployError::AmbiguousRevision { .. }) => assert!(
            e.to_string().ends_with(&format!(
                "{prefix:?} is ambiguous: more than one object id starts with it; type more of the id"
            )),
            "{e}"
        ),
        other => panic!("expected ambiguous, got {other:?}"),
    }
    match checkout::preview(&f.config(), "no-such-tag", Kind::Deploy) {
        Err(DeployError::NoSuchRevision { .. }) => {}
        other => panic!("expected no such revision, got {other:?}"),
    }
}

/// A short id that a commit and a blob both start with names the commit, as `git checkout`
/// reads it; two commits sharing one stay ambiguous (above).
#[test]
fn a_short_id_shared_with_a_blob_names_the_commit() {
    let f = Fixture::new();
    let target = f.commits[3].clone();
    let prefix = &target[..4];
    // about one body in 65536 hashes to the prefix: found in memory, then written by git
    let body = (0u64..)
        .map(|n| format!("filler {n}\n"))
        .find(|b| {
            git2::Oid::hash_object(git2::ObjectType::Blob, b.as_bytes())
                .unwrap()
                .to_string()
                .starts_with(prefix)
        })
        .unwrap();
    let file = f.dir.path().join("filler.txt");
    std::fs::write(&file, &body).unwrap();
    let blob = git(&f.site, &["hash-object", "-w", file.to_str().unwrap()]);
    assert!(blob.starts_with(prefix) && blob != target);
    assert_eq!(git(&f.site, &["cat-file", "-t", &blob]), "blob");
    // git reads it as the commit where a commit is wanted
    assert_eq!(
        git(&f.site, &["rev-parse", &format!("{prefix}^{{commit}}")]),
        target
    );

    let p = checkout::preview(&f.config(), prefix, Kind::Deploy).unwrap();
    assert_eq!(p.to.id.to_string(), target);
    let p = checkout::preview(&f.config(), &format!("{prefix}~1"), Kind::Deploy).unwrap();
    assert_eq!(p.to.id.to_string(), f.commits[2]);
    let req = request(&f, prefix, Kind::Deploy);
    checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert_eq!(f.head(), target);
}

#[test]
fn preview_shows_files_and_commits_and_changes_nothing() {
    let f = Fixture::new();
    let before = tree_bytes(&f.site);
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert_eq!(p.to.id.to_string(), f.commits[3]);
    assert_eq!(p.new_total, 1);
    assert_eq!(p.dropped_total, 0);
    let files: Vec<_> = p
        .files
        .iter()
        .map(|c| format!("{} {}", c.kind, c.path))
        .collect();
    assert_eq!(files, vec!["M index.html", "A new.html"]);
    assert!(p.conflicts.is_empty());
    assert_eq!(tree_bytes(&f.site), before);
    assert_eq!(f.head(), f.commits[2]);
}

/// The preview's dry run plans the checkout in libgit2, which writes the index back at the end
/// unless told not to: a preview the person then declines had replaced `.git/index`, and one
/// made while another git command held `index.lock` failed.
#[test]
fn the_preview_leaves_the_index_file_alone() {
    use std::os::unix::fs::MetadataExt;
    let f = Fixture::new();
    let index = f.git_dir().join("index");
    let before = std::fs::metadata(&index).unwrap();
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert!(p.conflicts.is_empty());
    let after = std::fs::metadata(&index).unwrap();
    assert_eq!(
        (after.ino(), after.mtime(), after.mtime_nsec()),
        (before.ino(), before.mtime(), before.mtime_nsec()),
        "the preview replaced .git/index"
    );
    // A git command at work holds the lock: the preview still reads, and leaves the lock.
    let lock = f.git_dir().join("index.lock");
    std::fs::write(&lock, b"").unwrap();
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy);
    assert!(p.is_ok(), "{:?}", p.err());
    assert!(lock.exists());
}

/// `main` typed where `origin/main` was meant: the local branch, which a fetch never moves,
/// lacks what was pushed, and the preview says so.
#[test]
fn a_local_branch_behind_its_upstream_is_named_in_the_preview() {
    let f = Fixture::new();
    let p = checkout::preview(&f.config(), "main", Kind::Deploy).unwrap();
    assert_eq!(p.to.id.to_string(), f.commits[2]);
    let (upstream, behind) = p.stale_branch.expect("main lags origin/main");
    assert_eq!((upstream.as_str(), behind), ("origin/main", 1));
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert_eq!(p.stale_branch, None);
    // once the branch has what was pushed, nothing is said
    git(&f.site, &["branch", "-f", "main", "origin/main"]);
    let p = checkout::preview(&f.config(), "main", Kind::Deploy).unwrap();
    assert_eq!(p.stale_branch, None);
}

#[test]
fn any_revspec_resolves() {
    let f = Fixture::new();
    let cfg = f.config();
    for (spec, want) in [
        (&f.commits[1][..7], 1),
        ("v1.0", 1),
        ("HEAD~2", 0),
        ("origin/main", 3),
        ("main", 2),
        (f.commits[3].as_str(), 3),
    ] {
        let p =
            checkout::preview(&cfg, spec, Kind::Deploy).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(p.to.id.to_string(), f.commits[want], "{spec}");
    }
    match checkout::preview(&cfg, "no-such-thing", Kind::Deploy) {
        Err(DeployError::NoSuchRevision { spec, .. }) => assert_eq!(spec, "no-such-thing"),
        other => panic!("expected NoSuchRevision, got {other:?}"),
    }
}

#[test]
fn deploy_detached_checks_out_tree_then_head_and_journals() {
    let f = Fixture::new();
    let req = request(&f, "origin/main", Kind::Deploy);
    let out = checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert_eq!(f.head(), f.commits[3]);
    assert_eq!(
        std::fs::read_to_string(f.site.join("new.html")).unwrap(),
        "new\n"
    );
    assert_eq!(
        git(&f.site, &["status", "--porcelain"]),
        "",
        "the index matches the tree"
    );
    assert_eq!(
        git(&f.site, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "HEAD",
        "detached"
    );
    assert!(out.hooks.is_empty());
    let j = journal_of(&f);
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].from, f.commits[2]);
    assert_eq!(j[0].to, f.commits[3]);
    assert_eq!(j[0].result.as_str(), "ok");
    assert!(
        !f.git_dir().join("opsdeck-deploy.lock").exists(),
        "lock released"
    );
}

#[test]
fn deploy_branch_style_moves_the_branch() {
    let f = Fixture::new();
    git(&f.site, &["checkout", "-q", "main"]);
    let mut cfg = f.config();
    cfg.checkout = CheckoutStyle::Branch;
    let p = checkout::preview(&cfg, "origin/main", Kind::Deploy).unwrap();
    let req = DeployRequest {
        kind: Kind::Deploy,
        to: p.to.id,
        expected_from: p.from.map(|c| c.id),
        stash: false,
        take_over: None,
        journal_seen: None,
    };
    checkout::deploy(&cfg, &req, &access()).unwrap();
    assert_eq!(git(&f.site, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(&f.site, &["rev-parse", "main"]), f.commits[3]);
    assert_eq!(git(&f.site, &["status", "--porcelain"]), "");
}

#[test]
fn refused_checkout_leaves_every_file_byte_identical() {
    let f = Fixture::new();
    // A local edit of a file the target changes, an untracked file where the
    // target adds one, and an unrelated untracked file.
    std::fs::write(
        f.site.join("index.html"),
        "<h1>hot fix on the server</h1>\n",
    )
    .unwrap();
    std::fs::write(f.site.join("new.html"), "someone's upload\n").unwrap();
    std::fs::write(f.site.join("notes.txt"), "keep me\n").unwrap();
    let before = tree_bytes(&f.site);
    let index_before = std::fs::read(f.git_dir().join("index")).unwrap();

    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    let mut conflicts: Vec<_> = p.conflicts.iter().map(|c| c.to_string()).collect();
    conflicts.sort();
    assert_eq!(
        conflicts,
        vec!["index.html", "new.html"],
        "the dry run lists what is in the way"
    );

    let req = request(&f, "origin/main", Kind::Deploy);
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::WouldOverwrite { mut files, .. }) => {
            files.sort();
            assert_eq!(files, vec!["index.html", "new.html"]);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(tree_bytes(&f.site), before, "the work tree changed");
    assert_eq!(
        std::fs::read(f.git_dir().join("index")).unwrap(),
        index_before,
        "the index changed"
    );
    assert_eq!(f.head(), f.commits[2]);
    assert!(journal_of(&f).is_empty(), "a refusal deploys nothing");
}

#[test]
fn an_ignored_file_the_target_tracks_is_never_overwritten() {
    let mut f = Fixture::new();
    // The site's own configuration lives in the docroot, ignored by git ...
    std::fs::write(f.git_dir().join("info/exclude"), "config.php\n").unwrap();
    std::fs::write(
        f.site.join("config.php"),
        "<?php $db_pass = 'production';\n",
    )
    .unwrap();
    // ... and upstream starts tracking a sample under the same name.
    f.commit(
        &[("config.php", "<?php $db_pass = 'changeme';\n")],
        "Sample config",
    );
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    let before = tree_bytes(&f.site);

    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    let ignored: Vec<_> = p.ignored_conflicts.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        ignored,
        vec!["config.php"],
        "the dry run names the ignored file"
    );
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);

    // Not even with a stash: a stash does not keep ignored files.
    let mut req = request(&f, "origin/main", Kind::Deploy);
    req.stash = true;
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::WouldOverwrite { files, .. }) => assert_eq!(files, vec!["config.php"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(tree_bytes(&f.site), before, "the work tree changed");
    assert_eq!(
        std::fs::read_to_string(f.site.join("config.php")).unwrap(),
        "<?php $db_pass = 'production';\n"
    );
    assert_eq!(f.head(), f.commits[2]);
    assert!(
        git2::Repository::open(&f.site)
            .unwrap()
            .find_reference("refs/stash")
            .is_err(),
        "nothing was stashed"
    );
}

#[test]
fn stash_and_deploy_keeps_local_work_in_the_stash_and_restores_nothing() {
    let f = Fixture::new();
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    std::fs::write(f.site.join("new.html"), "upload\n").unwrap();
    let mut req = request(&f, "origin/main", Kind::Deploy);
    req.stash = true;
    assert_eq!(status::read_status(&f.config()).unwrap().stashes, 0);
    let out = checkout::deploy(&f.config(), &req, &access()).unwrap();
    let (stash_id, msg) = out.stash.clone().expect("a stash was made");
    // the status keeps saying that local work is parked in the stash
    assert_eq!(status::read_status(&f.config()).unwrap().stashes, 1);
    assert!(msg.contains("before deploy"), "{msg}");
    assert_eq!(f.head(), f.commits[3]);
    // The deployed content is in the tree, not the local edits.
    assert_eq!(
        std::fs::read_to_string(f.site.join("index.html")).unwrap(),
        "<h1>four</h1>\n"
    );
    assert_eq!(
        std::fs::read_to_string(f.site.join("new.html")).unwrap(),
        "new\n"
    );
    assert_eq!(
        git(&f.site, &["status", "--porcelain"]),
        "",
        "nothing was put back silently"
    );
    // The local work is in the stash, untracked file included.
    assert_eq!(
        git(&f.site, &["rev-parse", "stash@{0}"]),
        stash_id.to_string()
    );
    assert_eq!(
        git(&f.site, &["show", "stash@{0}:index.html"]),
        "<h1>hot fix</h1>"
    );
    assert_eq!(git(&f.site, &["show", "stash@{0}^3:new.html"]), "upload");
}

/// A hot fix in two files, one of them in the deploy's way: the preview and the outcome name
/// both files the stash takes, not only the one in the way; an untracked note stays.
#[test]
fn the_stash_names_every_file_it_takes() {
    let f = Fixture::new();
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    std::fs::write(f.site.join("about.html"), "patched\n").unwrap();
    std::fs::write(f.site.join("notes.txt"), "keep me\n").unwrap();

    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    let names = |v: &[opsdeck::sanitize::Clean]| {
        v.iter().map(|c| c.as_str().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(
        names(&p.conflicts),
        ["index.html"],
        "only one is in the way"
    );
    assert_eq!(names(&p.stash_files), ["about.html", "index.html"]);
    // the deploy changes index.html too: popping the stash after it merges there
    assert_eq!(names(&p.stash_may_conflict), ["index.html"]);
    let mut req = request(&f, "origin/main", Kind::Deploy);
    req.stash = true;
    let out = checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert_eq!(names(&out.stashed), ["about.html", "index.html"]);
    assert_eq!(names(&out.stash_may_conflict), ["index.html"]);
    assert_eq!(git(&f.site, &["show", "stash@{0}:about.html"]), "patched");
    assert_eq!(
        std::fs::read_to_string(f.site.join("notes.txt")).unwrap(),
        "keep me\n",
        "the untracked note stays"
    );
    // and it does: git stash pop stops on index.html, about.html comes back
    let pop = std::process::Command::new("git")
        .args(["stash", "pop"])
        .current_dir(&f.site)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(!pop.status.success(), "the pop conflicts");
    let said = String::from_utf8_lossy(&pop.stdout);
    assert!(
        said.contains("CONFLICT") && said.contains("index.html"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(f.site.join("about.html")).unwrap(),
        "patched\n"
    );
}

#[test]
fn a_stash_for_a_modified_file_leaves_untracked_uploads_in_place() {
    let f = Fixture::new();
    // A hot fix in the way, and the site's uploads and notes that are not.
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    std::fs::create_dir(f.site.join("uploads")).unwrap();
    std::fs::write(f.site.join("uploads/photo.jpg"), "jpeg\n").unwrap();
    std::fs::write(f.site.join("notes.txt"), "keep me\n").unwrap();

    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert_eq!(
        p.stash,
        checkout::StashPlan {
            takes: 1,
            untracked: false,
            leaves: 2
        },
        "the preview says what a stash takes and what stays"
    );
    let mut req = request(&f, "origin/main", Kind::Deploy);
    req.stash = true;
    let out = checkout::deploy(&f.config(), &req, &access()).unwrap();
    assert!(out.stash.is_some());
    assert_eq!(f.head(), f.commits[3]);
    assert_eq!(
        std::fs::read_to_string(f.site.join("uploads/photo.jpg")).unwrap(),
        "jpeg\n",
        "the uploads are still served"
    );
    assert_eq!(
        std::fs::read_to_string(f.site.join("notes.txt")).unwrap(),
        "keep me\n"
    );
    assert_eq!(
        git(&f.site, &["show", "stash@{0}:index.html"]),
        "<h1>hot fix</h1>"
    );
}

/// Push a revision with a file no file system can hold (a name of 300 bytes): a checkout of it
/// writes the files before that one in path order, then fails.
fn push_unwritable_revision(f: &mut Fixture) {
    let z = "z".repeat(300);
    push_revision(
        f,
        &[
            ("index.html", b"<h1>five</h1>\n", 0o100644),
            (&z, b"<h1>five</h1>\n", 0o100644),
        ],
    );
}

/// Push a revision that is the last one with `entries` (name, blob bytes, file mode) put in.
fn push_revision(f: &mut Fixture, entries: &[(&str, &[u8], i32)]) {
    {
        let dev = git2::Repository::open(&f.dev).unwrap();
        let head = dev.head().unwrap().peel_to_commit().unwrap();
        let mut tb = dev.treebuilder(Some(&head.tree().unwrap())).unwrap();
        for (name, bytes, mode) in entries {
            tb.insert(name, dev.blob(bytes).unwrap(), *mode).unwrap();
        }
        let tree = dev.find_tree(tb.write().unwrap()).unwrap();
        let sig = git2::Signature::now("Dev", "dev@example.org").unwrap();
        let id = dev
            .commit(Some("HEAD"), &sig, &sig, "Five", &tree, &[&head])
            .unwrap();
        f.commits.push(id.to_string());
    }
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
}

#[test]
fn a_checkout_that_stops_part_way_says_so_and_is_journaled() {
    let mut f = Fixture::new();
    push_unwritable_revision(&mut f);

    let req = request(&f, "origin/main", Kind::Deploy);
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::PartialCheckout {
            mut written,
            written_total,
            stash: None,
            ..
        }) => {
            written.sort();
            assert_eq!(written, vec!["index.html", "new.html"]);
            assert_eq!(written_total, 2);
        }
        other => panic!("expected a checkout stopped part-way, got {other:?}"),
    }
    assert_eq!(f.head(), f.commits[2], "HEAD did not move");
    assert_eq!(
        std::fs::read_to_string(f.site.join("index.html")).unwrap(),
        "<h1>five</h1>\n",
        "the work tree is partly the new revision, as the error says"
    );
    let j = journal_of(&f);
    let last = j.last().expect("the failed attempt is journaled");
    assert!(!last.ok());
    assert!(
        last.result
            .starts_with("checkout stopped part-way (2 file(s) written): "),
        "{}",
        last.result
    );
    assert!(
        journal::rollback_target(&j).is_none(),
        "a failed attempt is nothing to roll back to"
    );
}

/// Stashed first, then stopped part-way: the error says the local changes are in the stash.
#[test]
fn a_checkout_stopped_part_way_after_the_stash_says_where_the_changes_are() {
    let mut f = Fixture::new();
    push_unwritable_revision(&mut f);
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    let mut req = request(&f, "origin/main", Kind::Deploy);
    req.stash = true;
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(e @ DeployError::PartialCheckout { stash: Some(_), .. }) => {
            assert!(
                e.to_string()
                    .contains("the local changes are in the stash ("),
                "{e}"
            );
            let DeployError::PartialCheckout {
                stash: Some(stash), ..
            } = e
            else {
                unreachable!()
            };
            // the revision changes the stashed index.html too: a pop may conflict there
            assert_eq!(stash.may_conflict, ["index.html"]);
        }
        other => panic!("expected a checkout stopped part-way after a stash, got {other:?}"),
    }
    assert_eq!(
        git(&f.site, &["show", "stash@{0}:index.html"]),
        "<h1>hot fix</h1>"
    );
}

#[test]
fn unclean_repository_state_is_refused() {
    let f = Fixture::new();
    git(&f.site, &["checkout", "-q", "-b", "local", &f.commits[1]]);
    std::fs::write(f.site.join("index.html"), "<h1>conflicting</h1>\n").unwrap();
    git(&f.site, &["commit", "-qam", "local change"]);
    // A merge that stops on a conflict.
    let st = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e",
            "merge",
            "-q",
            "origin/main",
        ])
        .current_dir(&f.site)
        // the host's own git configuration (merge.ff = only, say) is not this test's
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(!st.status.success(), "the merge should conflict");
    let s = status::read_status(&f.config()).unwrap();
    assert_eq!(s.state, Some("merge"));
    let before = tree_bytes(&f.site);
    let p = checkout::preview(&f.config(), &f.commits[0], Kind::Deploy).unwrap();
    assert_eq!(p.state, Some("merge"));
    let req = DeployRequest {
        kind: Kind::Deploy,
        to: p.to.id,
        expected_from: p.from.map(|c| c.id),
        stash: true,
        take_over: None,
        journal_seen: None,
    };
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::UncleanState { state, .. }) => assert_eq!(state, "merge"),
        other => panic!("expected UncleanState, got {other:?}"),
    }
    assert_eq!(tree_bytes(&f.site), before);
}

#[test]
fn head_moved_since_the_preview_is_refused() {
    let f = Fixture::new();
    let req = request(&f, "origin/main", Kind::Deploy);
    git(&f.site, &["checkout", "-q", "--detach", &f.commits[1]]);
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::HeadMoved { now, by, .. }) => {
            assert_eq!(now, &f.commits[1][..7]);
            assert_eq!(by.as_deref(), Some("moved outside opsdeck by Test Dev"));
        }
        other => panic!("expected HeadMoved, got {other:?}"),
    }
    assert_eq!(f.head(), f.commits[1]);

    // two consoles: the second one's confirm comes after the first one's deploy
    let (cfg, a) = (f.config(), access());
    let first = request(&f, &f.commits[2], Kind::Deploy);
    let second = request(&f, "origin/main", Kind::Deploy);
    checkout::deploy(&cfg, &first, &a).unwrap();
    let me = journal_of(&f).last().unwrap().user.to_string();
    match checkout::deploy(&cfg, &second, &a) {
        Err(DeployError::HeadMoved { now, by, .. }) => {
            assert_eq!(now, &f.commits[2][..7]);
            let by = by.expect("the deploy that moved it is named");
            assert!(by.starts_with(&format!("deploy by {me}@")), "{by}");
        }
        other => panic!("expected HeadMoved, got {other:?}"),
    }
    assert_eq!(f.head(), f.commits[2]);
}

/// A `git checkout` by hand in the docroot after a deploy: the status says HEAD is not where the
/// last deploy left it, who moved it and when (git's reflog); the next deploy clears it.
#[test]
fn head_moved_by_hand_after_a_deploy_is_noticed_with_who_and_when() {
    let f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    assert_eq!(status::read_status(&cfg).unwrap().moved_outside, None);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    assert_eq!(
        status::read_status(&cfg).unwrap().moved_outside,
        None,
        "HEAD is where the deploy left it"
    );

    git(&f.site, &["checkout", "-q", "--detach", &f.commits[1]]);
    let m = status::read_status(&cfg)
        .unwrap()
        .moved_outside
        .expect("the move by hand is noticed");
    assert_eq!(m.left, f.commits[3][..7]);
    assert_eq!(m.by.as_ref().map(|c| c.as_str()), Some("Test Dev"));
    // the test's git commands are dated 2026-11-01T10:00:00Z
    assert_eq!(m.time, Some(1_793_527_200));
    let what = m.what.expect("git's words for the move");
    assert!(what.starts_with("checkout: moving from"), "{what}");

    // a rollback through opsdeck puts HEAD back under the journal
    checkout::deploy(&cfg, &request(&f, &f.commits[2], Kind::Rollback), &a).unwrap();
    assert_eq!(status::read_status(&cfg).unwrap().moved_outside, None);
}

/// A deploy under way has moved HEAD and writes its journal entry last: while it holds the
/// deploy lock, the status read meanwhile (the pane's watch, another console, opsdeck check)
/// does not call HEAD moved outside opsdeck. A stale lock is no deploy under way.
#[test]
fn head_moved_by_a_deploy_under_way_is_not_moved_outside() {
    let f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    // the checkout done, the journal not written yet: HEAD moved under the lock, as opsdeck's
    // checkout moves it (its reflog entry dated now, after the lock was taken)
    let held = opsdeck::deploy::lock::acquire(&f.git_dir(), None, &a).unwrap();
    let site = git2::Repository::open(&f.site).unwrap();
    site.set_head_detached(git2::Oid::from_str(&f.commits[1]).unwrap())
        .unwrap();
    let s = status::read_status(&cfg).unwrap();
    assert!(s.lock.is_some() && !s.lock_stale);
    assert_eq!(s.moved_outside, None);
    drop(held);
    assert!(status::read_status(&cfg).unwrap().moved_outside.is_some());
    // a lock left by a process that is gone
    let stale = opsdeck::deploy::lock::LockInfo {
        pid: 999_999_999,
        ..opsdeck::deploy::lock::LockInfo::mine()
    };
    std::fs::write(
        opsdeck::deploy::lock::path_in(&f.git_dir()),
        serde_json::to_string(&stale).unwrap(),
    )
    .unwrap();
    let s = status::read_status(&cfg).unwrap();
    assert!(s.lock_stale, "{:?}", s.lock);
    assert!(s.moved_outside.is_some());
    // a symbolic link at the lock's name: it holds deploys off, but no deploy is under way, and
    // the move outside opsdeck is still said
    let lock = opsdeck::deploy::lock::path_in(&f.git_dir());
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", &lock).unwrap();
    let s = status::read_status(&cfg).unwrap();
    assert!(s.lock.is_some() && !s.lock_stale, "{:?}", s.lock);
    assert!(s.moved_outside.is_some());
}

/// Each listed commit as the pane marks it: HEAD, deployed (older), new, or what took it back.
fn marks(f: &Fixture) -> Vec<(String, &'static str)> {
    status::read_status(&f.config())
        .unwrap()
        .log
        .iter()
        .map(|e| {
            let mark = match &e.taken_back {
                _ if e.is_head => "HEAD",
                _ if e.deployed => "deployed",
                Some(b) => b.mark(),
                None => "new",
            };
            (e.commit.subject.to_string(), mark)
        })
        .collect()
}

/// After a rollback the commits it took back are not listed as new (never deployed): they read
/// "rolled back", as the journal says, with who did it; deployed again they are deployed, rolled
/// back again they read so again; moved away by hand, "taken back". A commit never deployed stays
/// new.
#[test]
fn rolled_back_commits_read_as_rolled_back_not_new() {
    let mut f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    let refetch = |f: &Fixture| git(&f.site, &["fetch", "-q", "origin"]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    f.commit(&[("index.html", "<h1>five</h1>\n")], "Fifth");
    f.push();
    refetch(&f);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    checkout::deploy(&cfg, &request(&f, &f.commits[3], Kind::Rollback), &a).unwrap();
    let s = |v: &[(&str, &'static str)]| {
        v.iter()
            .map(|(a, b)| (a.to_string(), *b))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        marks(&f),
        s(&[
            ("Fifth", "rolled back"),
            ("Fourth: new page", "HEAD"),
            ("About page", "deployed"),
            ("Style and logo", "deployed"),
        ])
    );
    let st = status::read_status(&cfg).unwrap();
    let said = st.log[0].taken_back.as_ref().unwrap().describe();
    let me = opsdeck::deploy::lock::current_user();
    assert!(said.starts_with(&format!("rolled back by {me}@")), "{said}");

    // a newer commit pushed meanwhile is new; deploying it brings the rolled-back one back
    f.commit(&[("six.html", "six\n")], "Sixth");
    f.push();
    refetch(&f);
    assert_eq!(
        marks(&f)[..2],
        s(&[("Sixth", "new"), ("Fifth", "rolled back")])
    );
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    assert_eq!(
        marks(&f)[..2],
        s(&[("Sixth", "HEAD"), ("Fifth", "deployed")])
    );

    // moved back by hand: live after the journal's last deploy, taken back outside it
    git(&f.site, &["checkout", "-q", "--detach", &f.commits[3]]);
    assert_eq!(
        marks(&f)[..3],
        s(&[
            ("Sixth", "taken back"),
            ("Fifth", "taken back"),
            ("Fourth: new page", "HEAD")
        ])
    );

    // and rolled back again through opsdeck: both read rolled back
    git(&f.site, &["checkout", "-q", "--detach", &f.commits[5]]);
    let back = journal::rollback_target(&journal_of(&f))
        .unwrap()
        .from
        .clone();
    assert_eq!(back, f.commits[3]);
    checkout::deploy(&cfg, &request(&f, &back, Kind::Rollback), &a).unwrap();
    assert_eq!(
        marks(&f)[..3],
        s(&[
            ("Sixth", "rolled back"),
            ("Fifth", "rolled back"),
            ("Fourth: new page", "HEAD")
        ])
    );
}

/// A deployed commit that no remote branch holds is said: a commit made in the docroot and
/// never pushed, or a branch force-pushed away from under the deployed commit. One on another
/// remote branch (a hot-fix branch) is not.
#[test]
fn a_head_on_no_remote_branch_is_noticed() {
    let f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    let on_no_remote = || status::read_status(&cfg).unwrap().on_no_remote;
    assert!(!on_no_remote(), "HEAD is on origin/main");

    // a commit made in the docroot, never pushed
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    git(&f.site, &["commit", "-q", "-am", "Hot fix on the server"]);
    assert!(on_no_remote(), "a local commit is on no remote branch");
    // pushed to a branch of its own: it is on a remote branch, though not on origin/main
    git(&f.site, &["push", "-q", "origin", "HEAD:refs/heads/hotfix"]);
    git(&f.site, &["fetch", "-q", "origin"]);
    let s = status::read_status(&cfg).unwrap();
    assert_eq!(s.upstream.as_ref().map(|u| u.ahead), Some(1));
    assert!(!s.on_no_remote, "origin/hotfix holds it");
    git(&f.site, &["push", "-q", "origin", ":refs/heads/hotfix"]);
    git(&f.site, &["fetch", "-q", "--prune", "origin"]);
    assert!(on_no_remote(), "the hot-fix branch was deleted");

    // deployed from origin/main, then main force-pushed to another history
    git(&f.site, &["checkout", "-q", "--detach", &f.commits[2]]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    assert!(!on_no_remote());
    git(&f.dev, &["reset", "-q", "--hard", &f.commits[2]]);
    git(
        &f.dev,
        &["commit", "-q", "--allow-empty", "-m", "Rewritten"],
    );
    git(
        &f.dev,
        &["push", "-q", "--force", "origin", "HEAD:refs/heads/main"],
    );
    git(&f.site, &["fetch", "-q", "origin"]);
    assert_eq!(f.head(), f.commits[3]);
    assert!(on_no_remote(), "the deployed commit was force-pushed away");
}

/// Reading a checkout writes nothing in it, even where git keeps no reflog (libgit2 creates a
/// reflog it is asked to read): no stash yet, and HEAD's reflog gone (logAllRefUpdates off).
#[test]
fn reading_the_status_creates_no_reflog() {
    let f = Fixture::new();
    let logs = f.git_dir().join("logs");
    std::fs::remove_file(logs.join("HEAD")).unwrap();
    // never fetched since the clone: the clone's date is looked for in HEAD's reflog
    std::fs::remove_file(f.git_dir().join("FETCH_HEAD")).unwrap();
    let s = status::read_status(&f.config()).unwrap();
    assert_eq!(s.last_fetch, None);
    assert_eq!(s.stashes, 0);
    assert!(
        !logs.join("HEAD").exists(),
        "the status read created .git/logs/HEAD"
    );
    assert!(
        !logs.join("refs/stash").exists(),
        "the status read created .git/logs/refs/stash"
    );
}

fn write_hook(f: &Fixture, body: &str) {
    let p = f.git_dir().join("hooks/post-checkout");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn post_checkout_hook_gets_old_new_1_and_post_deploy_runs_after_it() {
    let f = Fixture::new();
    write_hook(
        &f,
        "echo \"post-checkout $1 $2 $3\"; echo \"head now $(git rev-parse HEAD)\"",
    );
    let mut cfg = f.config();
    cfg.post_deploy = Some("echo \"deployed $OPSDECK_DEPLOY_TO\"; ls new.html".into());
    let req = request(&f, "origin/main", Kind::Deploy);
    let out = checkout::deploy(&cfg, &req, &access()).unwrap();
    assert_eq!(out.hooks.len(), 2);
    let pc = &out.hooks[0];
    assert_eq!(pc.name.as_str(), "post-checkout");
    assert_eq!(pc.end, HookEnd::Exit(0));
    assert_eq!(
        pc.output[0].as_str(),
        format!("post-checkout {} {} 1", f.commits[2], f.commits[3])
    );
    assert_eq!(
        pc.output[1].as_str(),
        format!("head now {}", f.commits[3]),
        "HEAD moved before the hook"
    );
    let pd = &out.hooks[1];
    assert_eq!(pd.end, HookEnd::Exit(0));
    assert_eq!(pd.output[0].as_str(), format!("deployed {}", f.commits[3]));
    assert_eq!(pd.output[1].as_str(), "new.html");
    let j = journal_of(&f);
    assert_eq!(
        j[0].hook.as_str(),
        "post-checkout: exit 0; post-deploy: exit 0"
    );
}

#[test]
fn hook_failure_and_timeout_are_reported_and_journaled() {
    let f = Fixture::new();
    write_hook(&f, "echo failing >&2; exit 3");
    let mut cfg = f.config();
    cfg.post_deploy = Some("echo started; sleep 30".into());
    cfg.hook_timeout_secs = 1;
    let req = request(&f, "origin/main", Kind::Deploy);
    let out = checkout::deploy(&cfg, &req, &access()).unwrap();
    assert_eq!(out.hooks[0].end, HookEnd::Exit(3));
    assert_eq!(out.hooks[0].output[0].as_str(), "failing");
    assert!(
        matches!(out.hooks[1].end, HookEnd::TimedOut(_)),
        "{:?}",
        out.hooks[1].end
    );
    assert_eq!(out.hooks[1].output[0].as_str(), "started");
    assert!(!out.hooks_ok());
    assert_eq!(f.head(), f.commits[3], "the checkout itself stands");
    let j = journal_of(&f);
    assert_eq!(
        j[0].hook.as_str(),
        "post-checkout: exit 3; post-deploy: timeout after 1s (killed)"
    );
}

#[test]
fn journal_and_rollback_walk_back_through_deploys() {
    let mut f = Fixture::new();
    let cfg = f.config();
    let a = access();
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    f.commit(&[("index.html", "<h1>five</h1>\n")], "Fifth");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    assert_eq!(f.head(), f.commits[4]);

    let j = journal_of(&f);
    let back = journal::rollback_target(&j).unwrap().from.clone();
    assert_eq!(back, f.commits[3]);
    let p = checkout::preview(&cfg, &back, Kind::Rollback).unwrap();
    assert_eq!(p.dropped_total, 1);
    checkout::deploy(&cfg, &request(&f, &back, Kind::Rollback), &a).unwrap();
    assert_eq!(f.head(), f.commits[3]);
    assert_eq!(
        std::fs::read_to_string(f.site.join("index.html")).unwrap(),
        "<h1>four</h1>\n"
    );

    let j = journal_of(&f);
    assert_eq!(j.len(), 3);
    assert_eq!(j[2].kind.as_str(), "rollback");
    // A second rollback goes one deploy further back, not forward again.
    let back = journal::rollback_target(&j).unwrap().from.clone();
    assert_eq!(back, f.commits[2]);
    checkout::deploy(&cfg, &request(&f, &back, Kind::Rollback), &a).unwrap();
    assert_eq!(f.head(), f.commits[2]);
    assert!(journal::rollback_target(&journal_of(&f)).is_none());
}

#[test]
fn libgit2_owner_check_gives_an_actionable_message() {
    if !nix::unistd::geteuid().is_root() {
        panic!("this test needs root (it chowns a repository to another user)");
    }
    let f = Fixture::new();
    let nobody = nix::unistd::Uid::from_raw(65534);
    for p in [f.site.clone(), f.git_dir()] {
        nix::unistd::chown(&p, Some(nobody), None).unwrap();
    }
    match status::read_status(&f.config()) {
        Err(e @ DeployError::Owner { .. }) => {
            let m = e.to_string();
            // the users by name, as a person would look them up, and the command to run
            assert!(
                m.contains("owned by nobody (uid 65534), opsdeck runs as root;"),
                "{m}"
            );
            assert!(m.contains("sudo -u nobody opsdeck"), "{m}");
            assert!(m.contains("safe.directory"), "{m}");
        }
        other => panic!("expected the owner error, got {other:?}"),
    }
}

#[test]
fn owner_mismatch_is_reported_in_status() {
    if !nix::unistd::geteuid().is_root() {
        panic!("this test needs root (it chowns a work tree to another user)");
    }
    let f = Fixture::new();
    // The work tree belongs to the web server user; .git stays ours (so
    // libgit2 opens it).
    nix::unistd::chown(&f.site, Some(nix::unistd::Uid::from_raw(33)), None).unwrap();
    let s = match status::read_status(&f.config()) {
        Ok(s) => s,
        // libgit2 checks the work tree's owner too on some versions.
        Err(DeployError::Owner { owner, .. }) => {
            assert_eq!(owner, 33);
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(s.owner.mismatch());
    assert_eq!(s.owner.tree_uid, 33);
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert!(p.owner.mismatch());
}

#[test]
fn hostile_commit_messages_and_file_names_are_sanitized() {
    let mut f = Fixture::new();
    f.commit(
        &[("evil\u{1b}[2Jname.html", "x\n")],
        "Innocent \u{1b}]0;pwned\u{7} subject\u{202e}txt.exe",
    );
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    std::fs::write(f.site.join("up\u{1b}[31mload.txt"), "x").unwrap();
    let s = status::read_status(&f.config()).unwrap();
    let subj = s.log[0].commit.subject.as_str();
    assert_eq!(subj, "Innocent \\e]0;pwned\\x07 subject\\u{202e}txt.exe");
    assert!(
        s.changes
            .iter()
            .any(|c| c.path.as_str() == "up\\e[31mload.txt"),
        "{:?}",
        s.changes
    );
    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert!(
        p.files
            .iter()
            .any(|c| c.path.as_str() == "evil\\e[2Jname.html"),
        "{:?}",
        p.files
    );
    for c in &p.new_commits {
        assert!(!c.subject.contains('\u{1b}'));
    }
}

#[test]
fn a_checkout_still_refused_after_the_stash_says_where_the_changes_are() {
    let mut f = Fixture::new();
    // Upstream starts tracking a library where someone cloned it by hand: a
    // repository of its own inside the docroot, which no stash takes.
    f.commit(&[("lib/lib.js", "// upstream\n")], "Vendor the library");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    std::fs::create_dir_all(f.site.join("lib")).unwrap();
    git(&f.site.join("lib"), &["init", "-q"]);
    std::fs::write(f.site.join("lib/lib.js"), "// cloned by hand\n").unwrap();
    // and a hot fix, which the stash does take
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    let head = f.head();

    let mut req = request(&f, "origin/main", Kind::Deploy);
    req.stash = true;
    let e = checkout::deploy(&f.config(), &req, &access()).unwrap_err();
    let DeployError::StashedThenRefused { stash, files, .. } = &e else {
        panic!("expected a refusal after the stash, got {e:?}");
    };
    assert_eq!(files, &["lib/lib.js"]);
    // The message names the stash and how to get the changes back ...
    let stash_id = git(&f.site, &["rev-parse", "--short=7", "stash@{0}"]);
    assert_eq!(stash, &stash_id);
    assert_eq!(
        e.to_string(),
        format!(
            "{site}: 1 file(s) still in the way after the stash: lib/lib.js; the local changes are \
             in the stash ({stash_id}, stash@{{0}}): git stash pop in {site} puts them back",
            site = f.site.display()
        )
    );
    // ... which is where they are: not in the work tree, HEAD unmoved,
    assert_eq!(f.head(), head);
    assert_eq!(
        std::fs::read_to_string(f.site.join("index.html")).unwrap(),
        "<h1>three</h1>\n"
    );
    assert!(journal_of(&f).is_empty(), "nothing was deployed");
    // and what the message says brings them back.
    git(&f.site, &["stash", "pop", "-q"]);
    assert_eq!(
        std::fs::read_to_string(f.site.join("index.html")).unwrap(),
        "<h1>hot fix</h1>\n"
    );
}

/// The confirm dialog of deploying `spec` on the site as it is now: its title and lines, from
/// the pane fed the real status and the real preview, as the app feeds it.
fn confirm_of(f: &Fixture, spec: &str) -> Vec<String> {
    confirm_of_kind(f, spec, Kind::Deploy)
}

/// The confirm dialog of a deploy or rollback of `spec` (see [`confirm_of`]).
fn confirm_of_kind(f: &Fixture, spec: &str, kind: Kind) -> Vec<String> {
    use opsdeck::app::effect::Effect;
    use opsdeck::app::pane::{Cx, Pane};
    use opsdeck::deploy::{DeployEvent, DeployPane};
    let cfg = f.config();
    let mut config = opsdeck::config::Config::default();
    config.deploy.push(cfg.clone());
    let mut p = DeployPane::new(&config);
    let token = access();
    let mut shared = opsdeck::app::shared::Shared::default();
    let mut cx = Cx {
        now: chrono::Local::now(),
        access: Some(&token),
        shared: &mut shared,
    };
    let st = status::read_status(&cfg).unwrap();
    p.on_event(
        DeployEvent::Status {
            target: 0,
            result: Ok(Box::new(st)),
        },
        &mut cx,
    );
    let pr = checkout::preview(&cfg, spec, kind).unwrap();
    let fx = p.on_event(
        DeployEvent::Preview {
            target: 0,
            result: Ok(Box::new(pr)),
        },
        &mut cx,
    );
    match fx.into_iter().next() {
        Some(Effect::Confirm(c)) => c.lines.into_iter().map(|l| l.into_string()).collect(),
        other => panic!("no confirm: {other:?}"),
    }
}

/// Deploying an older revision says so, and lists every commit it takes back, HEAD too, under
/// a count that matches the list.
#[test]
fn deploying_an_older_revision_lists_all_it_takes_back() {
    let f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    let subject = |id: &str| git(&f.site, &["log", "-1", "--format=%s", id]);
    let short = |n: usize| f.commits[n][..7].to_string();
    let lines = confirm_of(&f, "HEAD~2");
    assert_eq!(
        lines[..5],
        [
            format!(
                "deploy {} -> {} {}",
                short(3),
                short(1),
                subject(&f.commits[1])
            ),
            "This takes the site back to an older revision.".into(),
            "2 commit(s) taken back".into(),
            format!("  - {} {}", short(3), subject(&f.commits[3])),
            format!("  - {} {}", short(2), subject(&f.commits[2])),
        ],
        "{lines:#?}"
    );
}

/// A commit on neither HEAD nor the upstream is in no commit list: a hot fix committed in the
/// docroot that a deploy moved off, or a local branch a rollback left. Deploying it again
/// brings back what was live before, and the confirm says so from the journal, not "new".
#[test]
fn a_commit_in_no_list_deployed_before_is_not_new_in_the_confirm() {
    let f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    // a hot fix made in the docroot, then the pushed revision deployed over it
    std::fs::write(f.site.join("index.html"), "<h1>hot fix</h1>\n").unwrap();
    git(&f.site, &["commit", "-q", "-am", "Hot fix on the server"]);
    let fix = f.head();
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    assert!(
        !status::read_status(&cfg)
            .unwrap()
            .log
            .iter()
            .any(|e| e.commit.id.to_string() == fix),
        "the hot fix is on neither HEAD nor the upstream"
    );
    let lines = confirm_of(&f, &fix);
    assert!(
        lines.contains(
            &"1 commit(s) to deploy, 1 of them taken back before, 1 commit(s) taken back"
                .to_string()
        ),
        "{lines:#?}"
    );
    // the one commit it brings is the target, and the one it takes back is HEAD: each named
    // once, by the first line
    assert_eq!(
        lines,
        [
            format!(
                "deploy {} Fourth: new page -> {} Hot fix on the server",
                &f.head()[..7],
                &fix[..7]
            ),
            "1 commit(s) to deploy, 1 of them taken back before, 1 commit(s) taken back".into(),
            "2 file(s) change:".into(),
            "  M index.html".into(),
            "  D new.html".into(),
        ],
    );

    // a local branch deployed, then rolled back from: the branch's commit is in no list
    git(&f.site, &["branch", "-q", "hotfix", &fix]);
    checkout::deploy(&cfg, &request(&f, "hotfix", Kind::Deploy), &a).unwrap();
    let back = journal::rollback_target(&journal_of(&f))
        .unwrap()
        .from
        .clone();
    checkout::deploy(&cfg, &request(&f, &back, Kind::Rollback), &a).unwrap();
    assert_eq!(f.head(), f.commits[3]);
    let lines = confirm_of(&f, "hotfix");
    assert!(
        lines.contains(
            &"1 commit(s) to deploy, 1 of them rolled back before, 1 commit(s) taken back"
                .to_string()
        ),
        "{lines:#?}"
    );
    // a commit never deployed is still new
    let mut f = f;
    f.commit(&[("six.html", "six\n")], "Sixth");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    let lines = confirm_of(&f, "origin/main");
    assert!(lines.contains(&"1 new commit(s)".to_string()), "{lines:#?}");
}

/// A rollback further back than the journal entries the commit list reads: the commit it took
/// back reads "not known", not "new" (an older entry may have deployed it); a commit made after
/// the oldest entry read is new all the same, as no older entry can have deployed it.
#[test]
fn a_rollback_past_the_journal_reach_reads_not_known_not_new() {
    let mut f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    f.commit(&[("index.html", "<h1>five</h1>\n")], "Fifth");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    checkout::deploy(&cfg, &request(&f, &f.commits[3], Kind::Rollback), &a).unwrap();
    assert_eq!(marks(&f)[0], ("Fifth".to_string(), "rolled back"));
    // as many deploys as the list reads, back and forth between older revisions
    let reach = status::TAKEN_BACK_ENTRIES;
    for i in 0..reach {
        let to = &f.commits[2 + i % 2];
        checkout::deploy(&cfg, &request(&f, to, Kind::Deploy), &a).unwrap();
    }
    assert_eq!(f.head(), f.commits[3]);
    assert_eq!(marks(&f)[0], ("Fifth".to_string(), "not known"));
    let said = status::read_status(&cfg).unwrap().log[0]
        .taken_back
        .as_ref()
        .unwrap()
        .describe();
    assert!(
        said.starts_with("not known: older than the last 30"),
        "{said}"
    );

    // a commit made after the oldest entry read (its committer's clock, a minute on) is new
    let later = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    std::fs::write(f.dev.join("six.html"), "six\n").unwrap();
    git(&f.dev, &["add", "-A"]);
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test Dev",
            "-c",
            "user.email=dev@example.org",
        ])
        .args(["commit", "-q", "-m", "Sixth"])
        .current_dir(&f.dev)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_COMMITTER_DATE", &later)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    assert_eq!(
        marks(&f)[..2],
        [
            ("Sixth".to_string(), "new"),
            ("Fifth".to_string(), "not known")
        ]
    );
    let lines = confirm_of(&f, "origin/main");
    assert!(
        lines.contains(
            &"2 commit(s) to deploy (it and 1 older), 1 not known (older than the journal's last 30 deploys)"
                .to_string()
        ),
        "{lines:#?}"
    );
    let fifth = f.commits.last().unwrap();
    assert!(
        lines.contains(&format!("  + {} (not known) Fifth", &fifth[..7])),
        "{lines:#?}"
    );
}

/// A commit rolled back once and brought back far below the commits the confirm lists (the
/// reason it was rolled back may still hold): the confirm counts it among all the new commits
/// and names it, and past the commits it asks the journal about it says so.
#[test]
fn a_rolled_back_commit_below_the_listed_ones_is_counted_and_named() {
    let mut f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    f.commit(&[("index.html", "<h1>five</h1>\n")], "Fifth");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    checkout::deploy(&cfg, &request(&f, &f.commits[3], Kind::Rollback), &a).unwrap();
    let fifth = f.commits.last().unwrap().clone();
    // upstream moves on by more than the preview lists
    let now = chrono::Utc::now().timestamp();
    empty_commits(&f.dev, checkout::MAX_LISTED + 10, now, "Upstream");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    let pr = checkout::preview(&cfg, "origin/main", Kind::Deploy).unwrap();
    assert_eq!(pr.new_total, checkout::MAX_LISTED + 11);
    assert!(!pr.new_commits.iter().any(|c| c.id.to_string() == fifth));
    let lines = confirm_of(&f, "origin/main");
    assert!(
        lines.contains(
            &"61 commit(s) to deploy (it and 60 older), 1 of them rolled back before".to_string()
        ),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&format!("  the newest rolled back: {} Fifth", &fifth[..7])),
        "{lines:#?}"
    );
    // the status line counts it too, though its list shows only the newest 50
    let st = status::read_status(&cfg).unwrap();
    assert_eq!(st.upstream.as_ref().map(|u| u.behind), Some(61));
    assert!(!st.log.iter().any(|e| e.commit.id.to_string() == fifth));
    assert_eq!(st.taken_back().as_deref(), Some("1 rolled back"));

    // past the commits asked about: said, not called new
    empty_commits(&f.dev, checkout::MAX_ASKED, now + 3_600, "Later");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    let lines = confirm_of(&f, "origin/main");
    assert!(
        lines.contains(
            &"2061 commit(s) to deploy (it and 2060 older), none of the newest 2000 taken back \
              before, \
              the older not asked"
                .to_string()
        ),
        "{lines:#?}"
    );
    // nor does the status line count past them
    let st = status::read_status(&cfg).unwrap();
    assert_eq!(st.upstream.as_ref().map(|u| u.behind), Some(2061));
    assert_eq!(st.behind_back.asked, checkout::MAX_ASKED);
    assert_eq!(st.taken_back(), None);
}

/// The rollback's confirm on a real repository says each fact once: the revisions on its first
/// line, who made the deploy it undoes and when, the commit it takes back.
#[test]
fn the_rollback_confirm_says_each_fact_once() {
    let mut f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    f.commit(&[("index.html", "<h1>five</h1>\n")], "Fifth");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    let back = journal::rollback_target(&journal_of(&f)).unwrap().clone();
    let lines = confirm_of_kind(&f, &back.from, Kind::Rollback);
    let (four, five) = (&f.commits[3][..7], &f.commits[4][..7]);
    let when = back.local_time();
    assert_eq!(
        lines,
        [
            format!("rollback {five} Fifth -> {four} Fourth: new page"),
            format!("Undoes the deploy by {}@{}, {when}", back.user, back.host),
            "b again after it goes one deploy further back".into(),
            "1 commit(s) taken back".into(),
            "1 file(s) change:".into(),
            "  M index.html".into(),
        ]
    );
}

/// A checkout stopped part-way, then the cause fixed (here: a revision without the file no
/// file system can hold) and the deploy made again, as the pane says to: the files the first
/// attempt wrote are byte for byte the new revision's, so they are not in the way, and no
/// stash (which would take every untracked file, a site's uploads too) is asked for.
#[test]
fn after_a_checkout_stopped_part_way_deploying_again_is_not_refused() {
    let mut f = Fixture::new();
    push_unwritable_revision(&mut f);
    std::fs::write(f.site.join("upload.jpg"), "a visitor's photo").unwrap();
    let req = request(&f, "origin/main", Kind::Deploy);
    assert!(matches!(
        checkout::deploy(&f.config(), &req, &access()),
        Err(DeployError::PartialCheckout { .. })
    ));
    // the fix: the next revision drops the file that cannot be written
    {
        let dev = git2::Repository::open(&f.dev).unwrap();
        let head = dev.head().unwrap().peel_to_commit().unwrap();
        let mut tb = dev.treebuilder(Some(&head.tree().unwrap())).unwrap();
        tb.remove("z".repeat(300)).unwrap();
        let tree = dev.find_tree(tb.write().unwrap()).unwrap();
        let sig = git2::Signature::now("Dev", "dev@example.org").unwrap();
        let id = dev
            .commit(Some("HEAD"), &sig, &sig, "Six", &tree, &[&head])
            .unwrap();
        f.commits.push(id.to_string());
    }
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);

    let p = checkout::preview(&f.config(), "origin/main", Kind::Deploy).unwrap();
    assert!(p.conflicts.is_empty(), "{:?}", p.conflicts);
    let req = request(&f, "origin/main", Kind::Deploy);
    let out = checkout::deploy(&f.config(), &req, &access()).expect("deployed");
    assert!(out.stash.is_none(), "nothing was stashed");
    assert_eq!(f.head(), f.commits[5]);
    assert_eq!(
        git(&f.site, &["status", "--porcelain"]),
        "?? upload.jpg",
        "the work tree is the new revision, the upload where it was"
    );
    assert_eq!(
        std::fs::read_to_string(f.site.join("upload.jpg")).unwrap(),
        "a visitor's photo"
    );
}

/// An untracked file in the way that is not the new revision's is local work: still refused.
#[test]
fn an_untracked_file_in_the_way_that_differs_is_still_refused() {
    let f = Fixture::new();
    std::fs::write(f.site.join("new.html"), "mine, not the commit's").unwrap();
    let req = request(&f, "origin/main", Kind::Deploy);
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::WouldOverwrite { files, .. }) => assert_eq!(files, ["new.html"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_to_string(f.site.join("new.html")).unwrap(),
        "mine, not the commit's"
    );
}

/// HEAD cannot be moved after the tree is written (a `HEAD.lock` left by a git command that was
/// killed, or one running by hand in the docroot at that moment): the work tree is the new
/// revision's while HEAD is not. The error says so as for a checkout stopped part-way, the
/// journal keeps the attempt, and once the lock is gone the deploy made again goes through.
#[test]
fn head_that_cannot_be_moved_after_the_tree_says_the_files_are_already_written() {
    for style in [CheckoutStyle::Detached, CheckoutStyle::Branch] {
        let f = Fixture::new();
        let mut cfg = f.config();
        cfg.checkout = style;
        let before = f.head();
        let req = request(&f, "origin/main", Kind::Deploy);
        let lock = match style {
            CheckoutStyle::Detached => f.git_dir().join("HEAD.lock"),
            CheckoutStyle::Branch => f.git_dir().join("refs/heads/main.lock"),
        };
        std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
        std::fs::write(&lock, "").unwrap();
        match checkout::deploy(&cfg, &req, &access()) {
            Err(e @ DeployError::PartialCheckout { .. }) => {
                let said = e.to_string();
                assert!(said.contains(".lock"), "{style:?}: {said}");
                let DeployError::PartialCheckout {
                    mut written,
                    written_total,
                    ..
                } = e
                else {
                    unreachable!()
                };
                written.sort();
                assert_eq!(written, ["index.html", "new.html"], "{style:?}");
                assert_eq!(written_total, 2);
            }
            Err(e) => panic!("{style:?}: expected the part-way error, got {e}"),
            Ok(_) => panic!("{style:?}: deployed past a lock on HEAD"),
        }
        assert_eq!(f.head(), before, "{style:?}: HEAD did not move");
        let last = journal_of(&f).pop().expect("the attempt is journaled");
        assert!(!last.ok(), "{style:?}: {last:?}");
        assert_eq!(last.to, req.to.to_string());

        std::fs::remove_file(&lock).unwrap();
        let req = request(&f, "origin/main", Kind::Deploy);
        checkout::deploy(&cfg, &req, &access()).expect("deployed once the lock is gone");
        assert_eq!(f.head(), f.commits[3], "{style:?}");
        assert_eq!(git(&f.site, &["status", "--porcelain"]), "", "{style:?}");
    }
}

/// A symbolic link the checkout wrote is listed with the files written when it stops part-way:
/// git stores a link as its target's path, which is what is compared, not the file it points to
/// (here a page with other bytes).
#[test]
fn a_symbolic_link_the_checkout_wrote_is_listed_as_written() {
    let mut f = Fixture::new();
    push_revision(
        &mut f,
        &[
            ("index.html", b"<h1>five</h1>\n", 0o100644),
            ("home.html", b"index.html", 0o120000),
        ],
    );
    let lock = f.git_dir().join("HEAD.lock");
    std::fs::write(&lock, "").unwrap();
    let req = request(&f, "origin/main", Kind::Deploy);
    match checkout::deploy(&f.config(), &req, &access()) {
        Err(DeployError::PartialCheckout {
            mut written,
            written_total,
            ..
        }) => {
            written.sort();
            assert_eq!(written, ["home.html", "index.html", "new.html"]);
            assert_eq!(written_total, 3);
        }
        other => panic!("expected a checkout stopped part-way, got {other:?}"),
    }
    assert_eq!(
        std::fs::read_link(f.site.join("home.html")).unwrap(),
        std::path::Path::new("index.html"),
        "the link is in the work tree, as the error says"
    );
}

/// A journal line cut short (a crash or a full disk while it was written) stays in the file: the
/// rest is read, and `opsdeck check` says which line and how to clear it, as a warning. It knows
/// the checkout's state: an UNKNOWN from a crash long past would stay for good.
#[test]
fn a_cut_short_journal_line_is_a_warning_that_says_how_to_clear_it() {
    let f = Fixture::new();
    let req = request(&f, "origin/main", Kind::Deploy);
    checkout::deploy(&f.config(), &req, &access()).unwrap();
    let p = journal::path_in(&f.git_dir());
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("{\"time\":\"2026-11-");
    std::fs::write(&p, text).unwrap();

    let st = status::read_status(&f.config()).unwrap();
    assert_eq!(st.journal.len(), 1, "the good line is read");
    let mut report = opsdeck::check::Report::default();
    opsdeck::deploy::check::grade_target(
        &opsdeck::config::Config::default(),
        &f.config(),
        &st,
        &mut report,
    );
    let finding = &report.findings[0];
    assert_eq!(
        finding.status,
        opsdeck::check::Status::Warning,
        "{}",
        finding.summary
    );
    assert!(
        finding
            .summary
            .contains("1 unreadable line(s) (first: line 2)"),
        "{}",
        finding.summary
    );
    assert!(finding.summary.contains("delete it"), "{}", finding.summary);

    // a journal that cannot be read at all is not known: UNKNOWN
    std::fs::remove_file(&p).unwrap();
    std::fs::create_dir(&p).unwrap();
    let st = status::read_status(&f.config()).unwrap();
    let mut report = opsdeck::check::Report::default();
    opsdeck::deploy::check::grade_target(
        &opsdeck::config::Config::default(),
        &f.config(),
        &st,
        &mut report,
    );
    assert_eq!(report.findings[0].status, opsdeck::check::Status::Unknown);
}

/// After a checkout stopped part-way, going back to HEAD's revision instead of on: a deploy of
/// HEAD puts back the files the stopped checkout left (written, added or deleted), and nothing
/// else: an upload and a file changed by hand since stay. The journal says "restore", which a
/// rollback passes over.
#[test]
fn after_a_checkout_stopped_part_way_deploying_head_puts_its_files_back() {
    let mut f = Fixture::new();
    let before = tree_bytes(&f.site);
    let head = f.head();
    // the revision deploying also drops a page (a checkout removes before it writes)
    git(&f.dev, &["rm", "-q", "about.html"]);
    f.commit(&[], "Drop the about page");
    push_unwritable_revision(&mut f);
    std::fs::write(f.site.join("upload.jpg"), "a visitor's photo").unwrap();
    let req = request(&f, "origin/main", Kind::Deploy);
    assert!(matches!(
        checkout::deploy(&f.config(), &req, &access()),
        Err(DeployError::PartialCheckout { .. })
    ));
    assert_ne!(
        git(&f.site, &["status", "--porcelain"]),
        "?? upload.jpg",
        "the stopped checkout left files"
    );
    // someone fixes the front page by hand meanwhile: that is local work, it stays
    std::fs::write(f.site.join("index.html"), "<h1>by hand</h1>\n").unwrap();

    let p = checkout::preview(&f.config(), &head, Kind::Deploy).unwrap();
    let (attempt, mut files, total) = p.left_part_way.clone().expect("what was left is named");
    files.sort();
    assert_eq!(attempt, f.commits[5][..7]);
    assert_eq!(
        files.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        ["about.html", "new.html"]
    );
    assert_eq!(total, 2);
    let req = request(&f, &head, Kind::Deploy);
    let out = checkout::deploy(&f.config(), &req, &access()).expect("put back");
    assert_eq!((out.from, out.to), (Some(req.to), req.to));
    assert_eq!(f.head(), head, "HEAD did not move");
    assert_eq!(
        git(&f.site, &["status", "--porcelain"]),
        "M index.html\n?? upload.jpg"
    );
    assert_eq!(
        std::fs::read_to_string(f.site.join("index.html")).unwrap(),
        "<h1>by hand</h1>\n"
    );
    let mut after = tree_bytes(&f.site);
    after.remove(std::path::Path::new("upload.jpg"));
    let mut before = before;
    for t in [&mut after, &mut before] {
        t.remove(std::path::Path::new("index.html"));
    }
    assert_eq!(after, before, "every other file is HEAD's again");
    let j = journal_of(&f);
    assert_eq!(j.last().unwrap().kind.as_str(), "restore");
    assert!(j.last().unwrap().ok());
    assert!(
        journal::rollback_target(&j).is_none(),
        "a restore is nothing to roll back to"
    );
    // nothing left now: HEAD is simply deployed
    let p = checkout::preview(&f.config(), &head, Kind::Deploy).unwrap();
    assert_eq!(p.left_part_way, None);
}

/// Two consoles: one previews the rollback (back to where the last deploy came from), the
/// other rolls that deploy back and deploys it again meanwhile. HEAD is where the preview saw
/// it, but the journal is not: the first console's confirm would undo the other's deploy. It
/// is refused under the lock, says what the journal says now, and changes nothing; a rollback
/// previewed again goes ahead.
#[test]
fn a_rollback_is_refused_when_the_journal_changed_since_its_preview() {
    let f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    let back = journal::rollback_target(&journal_of(&f))
        .unwrap()
        .from
        .clone();
    assert_eq!(back, f.commits[2]);
    let first = request(&f, &back, Kind::Rollback);

    // the other console
    checkout::deploy(&cfg, &request(&f, &back, Kind::Rollback), &a).unwrap();
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    assert_eq!(f.head(), f.commits[3], "HEAD is where the preview saw it");
    let before = tree_bytes(&f.site);
    let me = journal_of(&f).last().unwrap().user.to_string();

    match checkout::deploy(&cfg, &first, &a) {
        Err(e @ DeployError::JournalMoved { .. }) => {
            let said = e.to_string();
            let (two, three) = (&f.commits[2][..7], &f.commits[3][..7]);
            assert!(
                said.contains("the deploy journal changed since the rollback was previewed"),
                "{said}"
            );
            assert!(
                said.contains(&format!("newest entry now: deploy by {me}@")),
                "{said}"
            );
            assert!(said.contains(&format!(", {two} -> {three}")), "{said}");
            assert!(
                said.contains(&format!("a rollback now goes to {two}")),
                "{said}"
            );
        }
        other => panic!("expected JournalMoved, got {other:?}"),
    }
    assert_eq!(f.head(), f.commits[3]);
    assert_eq!(tree_bytes(&f.site), before);
    assert_eq!(journal_of(&f).len(), 3, "a refusal is not journaled");

    // looked at again: the rollback undoes the deploy the journal names now
    checkout::deploy(&cfg, &request(&f, &back, Kind::Rollback), &a).unwrap();
    assert_eq!(f.head(), f.commits[2]);
}

/// The pane chose where `b` rolls back to from the status it had; another console deployed
/// before the preview was read. The preview's journal undoes that newer deploy, not the one the
/// status named: no dialog that would roll back two deploys at once (and call the other
/// console's deploy a move outside opsdeck), but a refusal that says where a rollback goes now.
#[test]
fn a_rollback_chosen_from_a_status_read_before_another_deploy_is_refused_at_its_preview() {
    use opsdeck::app::effect::Effect;
    use opsdeck::app::pane::{Cx, Pane};
    use opsdeck::deploy::{DeployAction, DeployEffect, DeployEvent, DeployPane};
    let mut f = Fixture::new();
    let (cfg, a) = (f.config(), access());
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    let mut config = opsdeck::config::Config::default();
    config.deploy.push(cfg.clone());
    let mut p = DeployPane::new(&config);
    let mut shared = opsdeck::app::shared::Shared::default();
    let mut cx = Cx {
        now: chrono::Local::now(),
        access: Some(&a),
        shared: &mut shared,
    };
    let st = status::read_status(&cfg).unwrap();
    p.on_event(
        DeployEvent::Status {
            target: 0,
            result: Ok(Box::new(st)),
        },
        &mut cx,
    );
    let spec = match &p.on_action(DeployAction::Rollback, &mut cx)[..] {
        [Effect::Deploy(DeployEffect::Preview { spec, .. })] => spec.clone(),
        other => panic!("expected a preview, got {other:?}"),
    };
    assert_eq!(spec, f.commits[2]);

    // the other console deploys a newer revision before the preview is read
    f.commit(&[("index.html", "<h1>five</h1>\n")], "Fifth");
    f.push();
    git(&f.site, &["fetch", "-q", "origin"]);
    checkout::deploy(&cfg, &request(&f, "origin/main", Kind::Deploy), &a).unwrap();
    let me = journal_of(&f).last().unwrap().user.to_string();

    let fx = p.on_event(
        DeployEvent::Preview {
            target: 0,
            result: Ok(Box::new(
                checkout::preview(&cfg, &spec, Kind::Rollback).unwrap(),
            )),
        },
        &mut cx,
    );
    assert!(fx.is_empty(), "no dialog: {fx:?}");
    let said: Vec<String> = p.targets[0]
        .last
        .iter()
        .map(|(_, l)| l.to_string())
        .collect();
    let three = &f.commits[3][..7];
    assert_eq!(
        said[0], "Refused: the deploy journal changed since the status was read:",
        "{said:#?}"
    );
    assert!(
        said[1].starts_with(&format!(
            "  a rollback now goes to {three}, undoing the deploy by {me}@"
        )),
        "{said:#?}"
    );
    assert_eq!(f.head(), f.commits[4]);
}
