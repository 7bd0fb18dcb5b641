//! The read-only proof: the full dashboard in read-only mode over a real
//! Postfix instance, a real git repository with a remote, the SES API
//! emulator and the probe's echo listener. Every key is pressed in every
//! pane, then long random key sequences, with recording shims in front of
//! `postsuper`, `postqueue`, `postmap`, `postfix`, `postcat`, `postconf`,
//! `postkick`, `git` and `sendmail` on the PATH. Afterwards: no mutating call
//! was recorded, the queue is unchanged, the repository's files and refs are
//! byte-identical and none was written back, the Postfix configuration is
//! untouched, no SMTP connection was made, no SES identity was created.

#[path = "support/moto.rs"]
mod moto;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::tmux::Tmux;

use support::postfix::{PostfixHarness, PostfixOptions};
use support::ses_smtp::{SesOptions, SesSmtp};

/// Programs that get a recording shim, and where the real one lives.
const SHIMMED: &[(&str, &str)] = &[
    ("postsuper", "/usr/sbin/postsuper"),
    ("postqueue", "/usr/sbin/postqueue"),
    ("postmap", "/usr/sbin/postmap"),
    ("postfix", "/usr/sbin/postfix"),
    ("postcat", "/usr/sbin/postcat"),
    ("postconf", "/usr/sbin/postconf"),
    ("postkick", "/usr/sbin/postkick"),
    ("sendmail", "/usr/sbin/sendmail"),
    ("git", "/usr/bin/git"),
];

fn write_shims(dir: &Path, log: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, real) in SHIMMED {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"{name} $*\" >> '{}'\nexec {real} \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        Command::new("chmod").arg("755").arg(&p).status().unwrap();
    }
}

/// Is this recorded call one that only reads?
fn is_read_only_call(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (prog, args) = (words[0], &words[1..]);
    let has = |f: &str| args.contains(&f);
    match prog {
        "postqueue" => (has("-j") || has("-p")) && !has("-f") && !has("-i") && !has("-s"),
        "postcat" => true,
        "postconf" => !args.iter().any(|a| {
            a.starts_with("-e") || a.starts_with("-X") || a.starts_with("-#") || a.contains('=')
        }),
        "postmap" => has("-q") || has("-s"),
        "postfix" => has("status") || has("check"),
        "git" => matches!(
            args.first().copied(),
            Some(
                "status"
                    | "log"
                    | "rev-parse"
                    | "show"
                    | "diff"
                    | "describe"
                    | "cat-file"
                    | "ls-files"
                    | "for-each-ref"
            )
        ),
        _ => false, // postsuper, postkick, sendmail: always a change
    }
}

/// The git CLI in `dir`, with none of the host's own git configuration (a `commit.gpgsign`
/// or `init.defaultBranch` in ~/.gitconfig is not this test's); panics with its output on
/// failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("/usr/bin/git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A deploy checkout with history, a bare remote, and a newer commit on the
/// remote that a fetch and a checkout would bring in.
fn make_repos(root: &Path) -> PathBuf {
    let remote = root.join("remote.git");
    let site = root.join("site");
    let other = root.join("other");
    git(
        root,
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ],
    );
    git(root, &["init", "-q", "-b", "main", site.to_str().unwrap()]);
    for (i, msg) in ["first page", "add style", "fix \u{1b}[31mlink"]
        .iter()
        .enumerate()
    {
        std::fs::write(site.join("index.html"), format!("<p>v{i}</p>\n")).unwrap();
        git(&site, &["add", "-A"]);
        git(&site, &["commit", "-q", "-m", msg]);
    }
    git(&site, &["tag", "v1"]);
    git(
        &site,
        &[
            "remote",
            "add",
            "origin",
            &format!("file://{}", remote.display()),
        ],
    );
    git(&site, &["push", "-q", "-u", "origin", "main", "--tags"]);
    git(&site, &["checkout", "-q", "--detach", "HEAD~1"]);
    std::fs::write(site.join("local-note.txt"), "not committed\n").unwrap();
    git(
        root,
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    std::fs::write(other.join("new.html"), "<p>new</p>\n").unwrap();
    git(&other, &["add", "-A"]);
    git(&other, &["commit", "-q", "-m", "newer on the remote"]);
    git(&other, &["push", "-q", "origin", "main"]);
    site
}

/// Every file under `dir` (including `.git`) with its bytes.
fn tree_bytes(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                out.insert(
                    e.path().strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(e.path()).unwrap(),
                );
            }
        }
    }
    out
}

/// Every file under `dir` with its inode and modification time: a file written back with the
/// same bytes (an index rewritten by a libgit2 checkout, a map rewritten in place) is a change
/// that the bytes alone do not show.
fn tree_stamps(dir: &Path) -> BTreeMap<PathBuf, (u64, i64, i64)> {
    use std::os::unix::fs::MetadataExt;
    tree_bytes(dir)
        .into_keys()
        .map(|p| {
            let m = std::fs::metadata(dir.join(&p)).unwrap();
            (p, (m.ino(), m.mtime(), m.mtime_nsec()))
        })
        .collect()
}

fn queue_ids(pf: &PostfixHarness) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pf
        .postqueue_json()
        .iter()
        .map(|m| {
            (
                m["queue_id"].as_str().unwrap().to_string(),
                m["queue_name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Every key a person could press (minus q, Ctrl-C and Ctrl-Z, which end or
/// stop the session and are pressed deliberately at the end).
fn every_key() -> Vec<String> {
    let mut keys: Vec<String> = (0x21u8..0x7f)
        .map(|b| (b as char).to_string())
        .filter(|k| k != "q")
        .collect();
    for k in [
        "Space", "Enter", "Escape", "Tab", "BTab", "Up", "Down", "Left", "Right", "PageUp",
        "PageDown", "Home", "End", "BSpace", "DC", "IC", "F1", "F2", "F5", "F10",
    ] {
        keys.push(k.to_string());
    }
    for c in 'a'..='z' {
        if c != 'c' && c != 'z' {
            keys.push(format!("C-{c}"));
        }
    }
    keys.push("M-x".into());
    keys
}

#[test]
fn read_only_dashboard_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let ses = SesSmtp::start(SesOptions {
        verified: vec!["app@example.com".into()],
        ..SesOptions::default()
    });
    // Mail stays queued: the smtp transport is deferred, nothing is tried, and no retry on a
    // timer moves it through the active queue between the two looks at the queue.
    let pf = PostfixHarness::start(
        PostfixOptions::relaying_to(&ses)
            .main_cf("defer_transports", "smtp")
            .retry_only_on_flush(),
    );
    pf.submit("app@example.com", "a@example.net", "Subject: one\n\nbody\n");
    pf.submit("app@example.com", "b@example.net", "Subject: two\n\nbody\n");
    pf.submit(
        "news@example.com",
        "c@example.net",
        "Subject: three\n\nbody\n",
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut kicked = Instant::now();
    while queue_ids(&pf)
        .iter()
        .filter(|(_, q)| q == "deferred")
        .count()
        < 3
    {
        assert!(
            Instant::now() < deadline,
            "mail did not reach the deferred queue: {:?}",
            queue_ids(&pf)
        );
        // Under load qmgr can miss cleanup's wake-up and leave a message in
        // incoming until its next periodic scan: ask it to scan now.
        if kicked.elapsed() > Duration::from_secs(5)
            && queue_ids(&pf).iter().any(|(_, q)| q == "incoming")
        {
            let _ = pf
                .command("/usr/sbin/postkick")
                .args(["public", "qmgr", "I"])
                .status();
            kicked = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    // Hold one, so that release would be a possible (forbidden) action.
    let held = queue_ids(&pf)[0].0.clone();
    let mut c = pf.command("postsuper");
    c.args(["-h", &held]);
    assert!(c.status().unwrap().success());
    while !queue_ids(&pf)
        .iter()
        .any(|(id, q)| *id == held && q == "hold")
    {
        assert!(
            Instant::now() < deadline,
            "{held} did not reach the hold queue"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let queue_before = queue_ids(&pf);
    assert!(
        queue_before
            .iter()
            .any(|(id, q)| *id == held && q == "hold")
    );

    moto::dummy_aws_credentials();
    let moto = moto::MotoServer::start();
    let site = make_repos(root.path());
    let repo_before = tree_bytes(&site);
    let stamps_before = tree_stamps(&site);
    let postfix_before = tree_stamps(&pf.config_dir());

    let shim_dir = root.path().join("shims");
    let calls = root.path().join("calls.log");
    std::fs::write(&calls, "").unwrap();
    write_shims(&shim_dir, &calls);

    let [echo_port] = support::ports::free_ports();
    let log_before = pf.log();
    let config = root.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[postfix]]
name = "test"
config_dir = "{etc}"

[mail_log]
files = ["{log}"]
backfill_hours = 1

[senders]
ses = true
ses_region = "us-east-1"
ses_endpoint = "{moto}"
smtp_port = {smtpd}
test_recipient = "ops@example.com"

[[deploy]]
name = "site"
path = "{site}"
branch = "main"
post_deploy = "touch {root}/hook-ran"

[probe]
interval_secs = 5

[probe.echo]
listen = "127.0.0.1:{echo}"

[[probe.targets]]
name = "echo"
url = "http://127.0.0.1:{echo}/"
"#,
            etc = pf.config_dir().display(),
            log = pf.log_path().display(),
            moto = moto.endpoint(),
            smtpd = pf.smtpd_port(),
            site = site.display(),
            root = root.path().display(),
            echo = echo_port,
        ),
    )
    .unwrap();

    let path = format!("{}:/usr/local/bin:/usr/bin:/bin", shim_dir.display());
    let tmux = Tmux::opsdeck(
        "readonly",
        160,
        48,
        &format!("--read-only --config {}", config.display()),
        &[
            ("PATH", &path),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    );
    let s = tmux.wait_for("the dashboard", |s| {
        s.contains("┌ Queue") && s.contains("┌ Probe")
    });
    assert!(s.lines().any(|l| l.starts_with(" RO ")), "RO badge:\n{s}");
    // Let the sources do their first reads (queue, git status, SES, probe).
    tmux.wait_for("the queue listing", |s| s.contains("total 3"));

    let keys = every_key();
    for pane in ["1", "2", "3", "4", "5"] {
        tmux.key(pane);
        for k in &keys {
            tmux.key(pane); // back to this pane: digits and Tab move away
            tmux.key("Enter"); // open detail where there is one
            tmux.key(k);
            tmux.key("y"); // would confirm a dialog, if one had opened
            tmux.key("Escape");
        }
    }
    // Random sequences, from a fixed seed so a failure can be replayed.
    let mut seed: u64 = 0x5eed_0f0b_adca_fe00;
    for _ in 0..1500 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = &keys[(seed >> 33) as usize % keys.len()];
        tmux.key(k);
    }
    tmux.key("Escape");
    tmux.key("Escape");
    let s = tmux.capture();
    assert!(
        !tmux.history().contains("EXIT="),
        "the dashboard died during the key storm:\n{}",
        tmux.post_mortem()
    );
    assert!(
        s.lines().any(|l| l.starts_with(" RO ")),
        "RO badge still shown:\n{}",
        tmux.post_mortem()
    );
    tmux.key("q");
    // q may first close an overlay or the filter prompt; press until it exits.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = tmux.capture();
        if s.contains("EXIT=") {
            assert!(s.contains("EXIT=0"), "{s}");
            break;
        }
        assert!(Instant::now() < deadline, "did not exit:\n{s}");
        tmux.key("Escape");
        tmux.key("q");
        std::thread::sleep(Duration::from_millis(300));
    }

    // 1. No mutating call, and the shims did see the reads.
    let recorded = std::fs::read_to_string(&calls).unwrap();
    let mutating: Vec<&str> = recorded.lines().filter(|l| !is_read_only_call(l)).collect();
    assert!(
        mutating.is_empty(),
        "mutating calls in read-only mode: {mutating:#?}"
    );
    assert!(
        recorded
            .lines()
            .any(|l| l.starts_with("postqueue") && l.contains("-j")),
        "the shims were not used (no postqueue -j recorded):\n{recorded}"
    );
    // 2. The queue is unchanged.
    assert_eq!(queue_ids(&pf), queue_before, "the queue changed");
    // 3. The repository's files and refs are byte-identical; no hook ran.
    let repo_after = tree_bytes(&site);
    let changed: Vec<&PathBuf> = repo_before
        .keys()
        .chain(repo_after.keys())
        .filter(|k| repo_before.get(*k) != repo_after.get(*k))
        .collect();
    assert!(changed.is_empty(), "repository files changed: {changed:?}");
    let stamps_after = tree_stamps(&site);
    let rewritten: Vec<&PathBuf> = stamps_before
        .keys()
        .chain(stamps_after.keys())
        .filter(|k| stamps_before.get(*k) != stamps_after.get(*k))
        .collect();
    assert!(
        rewritten.is_empty(),
        "repository files rewritten: {rewritten:?}"
    );
    // Nor was the Postfix configuration (main.cf, master.cf, the maps and their .db) touched.
    assert_eq!(
        tree_stamps(&pf.config_dir()),
        postfix_before,
        "the Postfix configuration directory changed"
    );
    assert!(
        !root.path().join("hook-ran").exists(),
        "the post-deploy hook ran"
    );
    // 4. No SMTP connection to the local Postfix, nothing reached the relay.
    let log_after = pf.log();
    let new_lines = &log_after[log_before.len().min(log_after.len())..];
    assert!(
        !new_lines
            .lines()
            .any(|l| l.contains("smtpd[") && l.contains("connect from")),
        "an SMTP connection was made:\n{new_lines}"
    );
    assert!(ses.received().is_empty(), "mail reached the SES endpoint");
    // 5. No SES identity was created.
    assert!(
        ses_identities(&moto.endpoint()).is_empty(),
        "an SES identity was created"
    );
}

fn ses_identities(endpoint: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .load()
            .await;
        let client = aws_sdk_sesv2::Client::new(&conf);
        let out = client
            .list_email_identities()
            .send()
            .await
            .expect("ListEmailIdentities on moto");
        out.email_identities()
            .iter()
            .filter_map(|i| i.identity_name().map(str::to_string))
            .collect()
    })
}

#[test]
fn the_allowlist_itself_can_fail() {
    // The proof above is only as good as this classification.
    for ok in [
        "postqueue -c /x -j",
        "postcat -c /x -q ABC",
        "postconf -c /x -h mail_version",
        "postmap -q a hash:/x",
        "git status",
    ] {
        assert!(is_read_only_call(ok), "{ok}");
    }
    for bad in [
        "postsuper -c /x -d -",
        "postqueue -c /x -f",
        "postqueue -c /x -i ABCDEF",
        "postmap hash:/etc/postfix/sender_relay",
        "postfix -c /x reload",
        "postconf -e relayhost=x",
        "sendmail -t",
        "postkick public qmgr I",
        "git fetch origin",
        "git checkout v1",
        "git stash",
    ] {
        assert!(!is_read_only_call(bad), "{bad}");
    }
}
