//! The built binary in tmux: the demo's deploy target deployed with the
//! keys a person would press, and the same pane in read-only mode offering
//! no action that changes the host.

#[path = "deploy_support/mod.rs"]
mod deploy_support;
#[path = "support/tmux.rs"]
mod tmux;

use tmux::Tmux;

#[test]
fn demo_deploy_with_keys_in_tmux() {
    let t = Tmux::opsdeck("deploy", 80, 24, "demo", &[]);
    t.wait_for_text("Deploy · www");
    t.keys(&["4"]);
    t.wait_for_text("Commits (");
    let s = t.wait_for_text("↓1 to deploy");
    assert!(s.contains("new  Pricing page"), "{s}");
    t.keys(&["c"]);
    let s = t.wait_for_text("1 new commit(s)");
    assert!(
        s.contains("A pricing.html"),
        "the confirm lists the files: {s}"
    );
    t.keys(&["y"]);
    let s = t.wait_for_text("Deploy done");
    assert!(s.contains("post-deploy: exit 0"), "{s}");
    t.wait_for_text("up to date");
    // Rollback: one key and a confirm.
    t.keys(&["b"]);
    t.wait_for_text("Rollback ");
    t.keys(&["y"]);
    t.wait_for_text("Rollback done");
    // the commit rolled back from is not new: it was live, and the list says so
    let s = t.wait_for_text("↓1 to deploy (1 rolled back)");
    assert!(s.contains("rolled back Pricing page"), "{s}");
    assert!(!s.contains("new  Pricing page"), "{s}");
}

#[test]
fn read_only_demo_offers_no_deploy_action() {
    let t = Tmux::opsdeck("deploy-ro", 80, 24, "demo --read-only", &[]);
    t.wait_for_text("Deploy · www");
    t.keys(&["4"]);
    t.wait_for_text("Commits (");
    t.keys(&["?"]);
    let s = t.wait_for_text("read the checkout again");
    for action in [
        "fetch the remote",
        "deploy the selected commit",
        "roll back",
        "post-deploy",
    ] {
        assert!(
            !s.contains(action),
            "read-only help offers {action:?}:\n{s}"
        );
    }
}

/// A post-deploy command that asks on the terminal (a `sudo` whose rule wants a password) must
/// not print its prompt over the dashboard and then wait there until its timeout: hooks run
/// without the terminal, so it finds none and says so, and the deploy ends at once.
#[test]
fn a_hook_that_asks_on_the_terminal_finds_none() {
    let f = deploy_support::Fixture::new();
    let config = f.dir.path().join("config.toml");
    // the words it prints are put together when it runs: the confirm dialog, which shows the
    // command, does not hold them
    let hook = "if (: <>/dev/tty) 2>/dev/null; then printf 'PASS%sPROMPT: ' WORD- >/dev/tty; \
                read pw </dev/tty; else echo 'no terminal' 'to ask on'; fi";
    std::fs::write(
        &config,
        format!(
            "[[deploy]]\nname = \"www\"\npath = \"{}\"\nhook_timeout_secs = 60\n\
             post_deploy = \"{hook}\"\n",
            f.site.display()
        ),
    )
    .unwrap();
    let t = Tmux::opsdeck(
        "deploy-tty",
        100,
        30,
        &format!("--config {}", config.display()),
        &[],
    );
    t.wait_for_text("Deploy · www");
    t.keys(&["4"]);
    t.wait_for_text("↓1 to deploy");
    t.keys(&["c"]);
    t.wait_for_text("1 new commit(s)");
    t.keys(&["y"]);
    let s = t.wait_for("the deploy to end, or the hook's prompt", |s| {
        s.contains("Deploy done") || s.contains("PASSWORD-PROMPT")
    });
    assert!(
        !s.contains("PASSWORD-PROMPT"),
        "prompted over the screen:\n{s}"
    );
    assert!(s.contains("post-deploy: exit 0"), "{s}");
    assert!(s.contains("no terminal to ask on"), "{s}");
    assert_eq!(f.head(), f.commits[3]);
}

/// `q` (or a dropped ssh link) while a deploy runs: the deploy is finished, not cut half-way
/// (a checkout half-written, its hook killed, no journal entry, the lock left behind).
#[test]
fn quitting_during_a_deploy_lets_it_finish() {
    let f = deploy_support::Fixture::new();
    let done = f.dir.path().join("hook-done");
    // the hook waits for the test's word: no timing assumed
    let go = f.dir.path().join("go");
    let config = f.dir.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "[mail_log]\nfiles = [\"{log}\"]\n\n[[deploy]]\nname = \"site\"\npath = \"{site}\"\n\
             post_deploy = \"while [ ! -e {go} ]; do sleep 0.1; done; echo finished > {done}\"\n\
             hook_timeout_secs = 60\n",
            log = f.dir.path().join("mail.log").display(),
            site = f.site.display(),
            done = done.display(),
            go = go.display(),
        ),
    )
    .unwrap();
    let t = Tmux::opsdeck(
        "quit-deploy",
        80,
        24,
        &format!("--config {}", config.display()),
        &[],
    );
    t.keys(&["4"]);
    t.wait_for_text("↓1 to deploy");
    t.keys(&["c"]);
    t.wait_for_text("1 new commit(s)");
    t.keys(&["y"]);
    t.wait_for_text("deploying");
    t.keys(&["q"]);
    // the terminal is given back, and the wait said
    let s = t.wait_for("the wait said", |s| {
        s.contains("waiting for the change still running") || s.contains("EXIT=")
    });
    assert!(
        !s.contains("EXIT="),
        "opsdeck left with the deploy running:\n{s}"
    );
    assert!(!t.alternate_on(), "{s}");
    assert!(!done.exists(), "the hook is still waiting");
    std::fs::write(&go, "").unwrap();
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "{s}");
    assert_eq!(
        std::fs::read_to_string(&done).ok().as_deref(),
        Some("finished\n"),
        "the post-deploy hook ran to its end"
    );
    assert_eq!(
        f.head(),
        f.commits[3],
        "the checkout is at the deployed commit"
    );
    let journal =
        std::fs::read_to_string(f.git_dir().join("opsdeck-deploy.jsonl")).unwrap_or_default();
    assert!(journal.contains(&f.commits[3]), "journal: {journal}");
    assert!(
        !f.git_dir().join("opsdeck-deploy.lock").exists(),
        "the deploy lock is released"
    );
}

/// What a repository holds that a deploy, fetch or rollback would change: HEAD, every ref, the
/// files in the git directory (a lock or journal left), and the work tree.
fn repository_state(f: &deploy_support::Fixture) -> String {
    let refs = deploy_support::git(
        &f.site,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    );
    let mut git_files: Vec<String> = std::fs::read_dir(f.git_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    git_files.sort();
    format!(
        "HEAD {}\n{refs}\n{git_files:?}\n{:?}",
        f.head(),
        deploy_support::tree_bytes(&f.site)
    )
}

/// A colleague with an account of their own, who is not among the target's `deployers` (nobody,
/// where only root deploys), runs opsdeck on the site's checkout: root's, readable by all,
/// trusted in their git configuration as git's owner check asks. The pane shows the checkout;
/// the help offers no key that would change it; `c` (deploy) says why it is refused, asking
/// nothing; and the repository is as it was.
#[test]
fn a_person_not_among_the_deployers_sees_the_checkout_and_is_told_why_not() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: needs root, to run opsdeck as nobody");
        return;
    }
    let f = deploy_support::Fixture::new();
    // the fixture's directory is private to root: open it to all for reading, as a docroot is
    let opened = std::process::Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(f.dir.path())
        .status()
        .unwrap();
    assert!(opened.success());
    let log = f.dir.path().join("mail.log");
    std::fs::write(&log, "").unwrap();
    let config = f.dir.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "[mail_log]\nfiles = [\"{}\"]\n\n[[deploy]]\nname = \"www\"\npath = \"{}\"\n\
             deployers = [\"root\"]\n",
            log.display(),
            f.site.display()
        ),
    )
    .unwrap();
    let trusted = format!(
        "[safe]\n\tdirectory = {}\n",
        std::fs::canonicalize(&f.site).unwrap().display()
    );
    let before = repository_state(&f);
    let t = Tmux::opsdeck_as_nobody(
        "deploy-nobody",
        80,
        24,
        &format!("--config {}", config.display()),
        &[(".gitconfig", trusted.as_str())],
    );
    t.wait_for_text("Deploy · www");
    t.keys(&["4"]);
    // the pane opened, with the checkout read
    let s = t.wait_for("the Deploy pane with the checkout", |s| {
        s.contains("Commits (") && s.contains("↓1 to deploy")
    });
    let head = &f.commits[2][..7];
    assert!(s.contains(head), "HEAD {head} shown:\n{s}");
    assert!(s.contains("owner root, you are nobody"), "{s}");
    assert!(
        s.contains("Enter: detail (not in deployers: no changes here)"),
        "{s}"
    );

    t.keys(&["?"]);
    let s = t.wait_for_text("read the checkout again");
    for action in [
        "fetch the remote",
        "deploy the selected commit",
        "deploy a revision you type",
        "roll back",
        "post-deploy",
    ] {
        assert!(!s.contains(action), "the help offers {action:?}:\n{s}");
    }
    t.keys(&["Escape"]);
    t.wait_for("the help closed", |s| {
        !s.contains("read the checkout again")
    });

    t.keys(&["c"]);
    let s = t.wait_for_text("www: you are nobody; only root may change this checkout");
    assert!(!s.contains("new commit(s)"), "a confirm was opened:\n{s}");
    assert_eq!(repository_state(&f), before, "{}", t.post_mortem());
}
