//! Map parsing checked against Postfix itself: for every indexed map type
//! (hash, btree, lmdb, cdb) and texthash, every entry the parser finds is
//! what `postmap -q` answers for that key, and the compiled file is where
//! the staleness check looks for it; for regexp and pcre maps, the rules
//! evaluated here give the answer `postmap -q` gives, or say they cannot.

#[path = "support/nobody.rs"]
mod nobody;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use nobody::{AS_NOBODY_IN, pass_as_nobody};
use opsdeck::mail::senders::maps::{self, MapKind, RuleMatch};
use opsdeck::mail::senders::source::{self, MapContent};

const TABLE: &str = "\
# sender routes, every syntax
alice@example.com       [email-smtp.us-east-1.amazonaws.com]:587
@example.org            [email-smtp.eu-west-1.amazonaws.com]:587
root@                   [127.0.0.1]:2525
  # an indented comment between entries
bob@example.com
    [email-smtp.us-east-1.amazonaws.com]:587
Carol@Example.NET       [relay.example.net]:2587
";

/// A config directory of the tests' own: `postmap` reads a `main.cf` (and a host where Postfix
/// was installed unconfigured has none in /etc/postfix); the host's is never used.
fn config_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.cf"), "compatibility_level = 3.6\n")
            .expect("write main.cf");
        dir
    })
    .path()
}

fn postmap_command() -> Command {
    let mut c = Command::new("postmap");
    c.arg("-c").arg(config_dir());
    c
}

fn postmap_q(key: &str, map: &str) -> Option<String> {
    let out = postmap_command()
        .args(["-q", key, map])
        .output()
        .expect("postmap not found: install postfix (apt-get install postfix postfix-lmdb postfix-cdb postfix-pcre)");
    // exit 1: not found; anything else is a failure of the test setup
    match out.status.code() {
        Some(0) => Some(String::from_utf8_lossy(&out.stdout).trim().to_string()),
        // postmap exits 1 on a fatal error too: only a silent 1 means "not found"
        Some(1) if out.stderr.is_empty() => None,
        _ => panic!(
            "postmap -q {key} {map}: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn postmap(map: &str) {
    let out = postmap_command()
        .arg(map)
        .output()
        .expect("postmap not found: install postfix");
    assert!(
        out.status.success(),
        "postmap {map}: {} (lmdb needs postfix-lmdb, cdb needs postfix-cdb)",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn indexed_maps_agree_with_postmap() {
    for kind in ["hash", "btree", "lmdb", "cdb", "texthash"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sender_relay");
        std::fs::write(&path, TABLE).unwrap();
        let spec = maps::parse_map_list(&format!("{kind}:{}", path.display())).remove(0);
        if spec.kind != MapKind::Texthash {
            postmap(&spec.postmap_arg());
            let compiled = spec
                .compiled_path()
                .expect("indexed maps have a compiled file");
            assert!(
                Path::new(&compiled).is_file(),
                "{kind}: postmap wrote no {compiled}"
            );
        }
        let file = source::read_map(&spec, false);
        assert!(file.error.is_none(), "{kind}: {:?}", file.error);
        assert!(!file.stale(), "{kind}: freshly compiled");
        assert!(!file.never_compiled(), "{kind}");
        let MapContent::Table(entries) = &file.content else {
            panic!("{kind}: {:?}", file.content)
        };
        assert_eq!(entries.len(), 5, "{kind}: {entries:?}");
        for e in entries {
            assert_eq!(
                postmap_q(&e.key, &spec.postmap_arg()).as_deref(),
                Some(e.value.as_str()),
                "{kind}: key {}",
                e.key
            );
        }
        // keys are folded to lower case, as postmap does
        assert!(
            entries
                .iter()
                .any(|e| e.key.as_str() == "carol@example.net")
        );
        assert_eq!(postmap_q("nobody@example.com", &spec.postmap_arg()), None);
    }
}

#[test]
fn password_map_user_names_agree_with_postmap_and_no_secret_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sasl_passwd");
    std::fs::write(
        &path,
        "[email-smtp.us-east-1.amazonaws.com]:587 AKIAUSERONE:Secret/One+Two==\n\
         # per-sender credentials\n\
         shop@example.com AKIAUSERTWO:another-secret\n",
    )
    .unwrap();
    let spec = maps::parse_map_list(&format!("hash:{}", path.display())).remove(0);
    postmap(&spec.postmap_arg());
    let file = source::read_map(&spec, true);
    let MapContent::Credentials(c) = &file.content else {
        panic!("{:?}", file.content)
    };
    for e in c {
        let value = postmap_q(&e.key, &spec.postmap_arg()).unwrap();
        assert_eq!(value.split(':').next(), Some(e.user.as_str()));
        assert!(e.has_password);
    }
    let dump = format!("{file:?}");
    assert!(
        !dump.contains("Secret/One") && !dump.contains("another-secret"),
        "{dump}"
    );
}

const RULES: &str = "\
# routes by pattern
/^root@/                        [127.0.0.1]:2525
if /@example\\.com$/
!/^noreply@/                    [email-smtp.us-east-1.amazonaws.com]:587
endif
/^(news|billing)@example\\.org$/ [email-smtp.eu-west-1.amazonaws.com]:587
/@Example\\.net$/i               [relay.example.net]:2587
";

#[test]
fn rule_maps_agree_with_postmap() {
    for kind in ["regexp", "pcre"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("sender_relay.{kind}"));
        std::fs::write(&path, RULES).unwrap();
        let spec = maps::parse_map_list(&format!("{kind}:{}", path.display())).remove(0);
        let file = source::read_map(&spec, false);
        let MapContent::Rules(rules) = &file.content else {
            panic!("{kind}: {:?}", file.content)
        };
        assert!(file.bad_lines.is_empty(), "{kind}: {:?}", file.bad_lines);
        for sender in [
            "root@web1.example.com",
            "alice@example.com",
            "noreply@example.com",
            "news@example.org",
            "other@example.org",
            "x@example.net",
            "x@EXAMPLE.NET",
        ] {
            let ours = match maps::eval_rules(rules, sender) {
                RuleMatch::Matched { result, .. } => Some(result.to_string()),
                RuleMatch::NoMatch => None,
                RuleMatch::Unknown { line } => panic!("{kind}: line {line} not evaluated"),
            };
            assert_eq!(
                ours,
                postmap_q(sender, &spec.postmap_arg()),
                "{kind}: {sender}"
            );
        }
    }
}

/// A first logical line that starts with whitespace continues nothing:
/// Postfix skips it ("logical line must not start with whitespace"), for
/// every map type. It is no entry here either, and is named as a bad line.
#[test]
fn a_leading_indented_line_is_skipped_as_postfix_does() {
    const LEADING: &str = "\
# routes
  lead@example.com   [127.0.0.1]:2525
ok@example.com       [127.0.0.1]:2526
";
    for kind in ["hash", "lmdb", "texthash"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sender_relay");
        std::fs::write(&path, LEADING).unwrap();
        let spec = maps::parse_map_list(&format!("{kind}:{}", path.display())).remove(0);
        if spec.kind != MapKind::Texthash {
            postmap(&spec.postmap_arg());
        }
        // not found (texthash warns at the lookup itself, so its stderr is not empty)
        let out = postmap_command()
            .args(["-q", "lead@example.com", &spec.postmap_arg()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{kind}: {out:?}");
        assert!(out.stdout.is_empty(), "{kind}: {out:?}");
        let file = source::read_map(&spec, false);
        let MapContent::Table(entries) = &file.content else {
            panic!("{kind}: {:?}", file.content)
        };
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["ok@example.com"], "{kind}");
        let out = postmap_command()
            .args(["-q", "ok@example.com", &spec.postmap_arg()])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "[127.0.0.1]:2526",
            "{kind}"
        );
        let bad: Vec<(usize, &str)> = file.bad_lines.iter().map(|b| (b.line, b.why)).collect();
        assert_eq!(
            bad,
            [(
                2,
                "logical line must not start with whitespace (Postfix skips it)"
            )],
            "{kind}"
        );
    }
}

/// A main.cf line written without its `=` makes every Postfix command stop with a message that
/// quotes the line whole, and an unused parameter is warned about with its value: such a line
/// may hold a password (`smtp_sasl_password_maps static:user:password`). What the pane shows of
/// postconf's failure, and of postmap's in the add-route report, names the line and the
/// parameter but not the rest.
#[test]
fn a_broken_main_cf_line_is_named_without_its_value() {
    use opsdeck::access::{Mode, WriteAccess};
    use opsdeck::config::PostfixInstance;
    use opsdeck::mail::senders::actions;
    const PW: &str = "typo-SECRET-pw";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.cf"),
        format!(
            "compatibility_level = 3.6\nsmtp_sasl_passwd_maps = static:AKIAUNUSED:{PW}\n\
             smtp_sasl_password_maps static:AKIATYPO:{PW}\n"
        ),
    )
    .unwrap();
    let inst = PostfixInstance {
        name: "typo".into(),
        config_dir: dir.path().into(),
        command_prefix: Vec::new(),
    };
    let err = source::read_snapshot(&inst, std::time::SystemTime::now())
        .expect_err("postconf stops at the broken line")
        .to_string();
    assert!(!err.contains(PW), "{err}");
    assert!(
        err.contains("line 3: missing '=' after attribute name: \"smtp_sasl_password_maps ***\""),
        "{err}"
    );

    // postmap stops there too: its words in the add-route report keep the secret out
    let map = dir.path().join("sender_relay");
    std::fs::write(&map, "alice@example.com [relay.example]:587\n").unwrap();
    let spec = maps::parse_map_list(&format!("hash:{}", map.display())).remove(0);
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let report = actions::add_route(
        &access,
        &inst,
        &spec,
        "bob@example.com",
        "[relay.example]:587",
        actions::RunPostfix::Yes,
        opsdeck::mail::senders::SendersConfig::default().route_backups,
        chrono::Local::now(),
        &mut |_| {},
    );
    assert!(report.done && !report.ok, "{report:?}");
    let shown = format!("{report:?}");
    assert!(!shown.contains(PW), "{shown}");
    assert!(
        shown.contains("missing '=' after attribute name"),
        "{shown}"
    );
}

/// After an edit that succeeded, an old backup that cannot be removed is a failed step that
/// names the file and why, and the edit stays done. Made to fail for real: the map's directory
/// is sticky (mode 1777, as /tmp), the map is nobody's and the edit runs as nobody, who may
/// replace the map and add a backup there but not remove the older backups, which are root's.
#[test]
fn a_backup_that_cannot_be_removed_is_a_failed_step_of_an_edit_that_is_done() {
    use opsdeck::access::{Mode, WriteAccess};
    use opsdeck::config::PostfixInstance;
    use opsdeck::mail::senders::actions;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    const NAME: &str = "a_backup_that_cannot_be_removed_is_a_failed_step_of_an_edit_that_is_done";
    let old = |dir: &Path, i: u32| {
        let at = chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 11, 1, 8, i, 0).unwrap();
        actions::backup_path(&dir.join("sender_relay"), at, 1)
    };
    if let Some(dir) = std::env::var_os(AS_NOBODY_IN) {
        // the inner run, as nobody
        let dir = Path::new(&dir);
        let map = dir.join("sender_relay");
        let spec = maps::parse_map_list(&format!("hash:{}", map.display())).remove(0);
        let inst = PostfixInstance {
            name: "sticky".into(),
            config_dir: dir.into(),
            command_prefix: Vec::new(),
        };
        let report = actions::add_route(
            &WriteAccess::for_mode(Mode::Interactive).unwrap(),
            &inst,
            &spec,
            "bob@example.com",
            "[relay.example]:587",
            actions::RunPostfix::No("test"),
            2,
            chrono::Local::now(),
            &mut |_| {},
        );
        println!("{report:#?}");
        assert!(report.done && report.ok, "the edit is done: {report:?}");
        assert_eq!(
            report.outcome.as_str(),
            "bob@example.com now relays through [relay.example]:587 in the map"
        );
        let last = report.steps.last().unwrap();
        assert_eq!(
            (last.what.as_str(), last.ok),
            ("remove backups older than the newest 2", false),
            "{report:?}"
        );
        // of the two old enough (8:00 and 8:01; 8:02 is kept), the newer is named: the
        // directory is the map's, named above the steps
        assert_eq!(
            last.output.as_str(),
            format!(
                "2 not removed: {}: Operation not permitted (os error 1): root owns it in a \
                 sticky directory (mode 1777), where only its owner or root may remove it",
                old(dir, 1).file_name().unwrap().to_string_lossy()
            )
        );
        return;
    }
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: needs root, to make files root's and nobody's and edit as nobody");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let map = dir.path().join("sender_relay");
    std::fs::write(&map, "alice@example.com [relay.example]:587\n").unwrap();
    let nobody = nix::unistd::Uid::from_raw(65534);
    nix::unistd::chown(&map, Some(nobody), None).unwrap();
    for i in 0..3 {
        std::fs::write(old(dir.path(), i), format!("backup {i}\n")).unwrap();
    }
    pass_as_nobody(NAME, Some(dir.path()));
    assert_eq!(
        std::fs::read_to_string(&map).unwrap(),
        "alice@example.com [relay.example]:587\nbob@example.com\t[relay.example]:587\n"
    );
    for i in 0..3 {
        assert_eq!(
            std::fs::read_to_string(old(dir.path(), i)).unwrap(),
            format!("backup {i}\n"),
            "root's backups stay as they were"
        );
    }
    let made: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bak"))
        .filter(|p| std::fs::metadata(p).unwrap().uid() == 65534)
        .collect();
    assert_eq!(made.len(), 1, "the edit's own backup, nobody's: {made:?}");
    assert_eq!(
        std::fs::read_to_string(&made[0]).unwrap(),
        "alice@example.com [relay.example]:587\n"
    );
}
