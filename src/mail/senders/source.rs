//! Reads an instance's relay setup from disk: `postconf`, the sender relay
//! maps, the SASL password maps, and the owner, mode and age of each file.
//!
//! Blocking (runs in `spawn_blocking`); produces a [`RelaySnapshot`] of
//! clean values. It never writes anything and never keeps a password: the
//! password map is parsed down to user names as it is read.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::SystemTime;

use chrono::{DateTime, Local};

use crate::config::PostfixInstance;
use crate::sanitize::Clean;

use super::SendersError;
use super::maps::{self, BadLine, CredentialEntry, MapKind, MapSpec, Rule, TableEntry};
use super::postconf::{self, RelaySettings};

/// Owner, mode and time of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFacts {
    pub path: Clean,
    pub uid: u32,
    pub mode: u32,
    pub modified: Option<DateTime<Local>>,
}

impl FileFacts {
    pub fn stat(path: &Path) -> Option<FileFacts> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileFacts {
            path: Clean::new(&path.display().to_string()),
            uid: m.uid(),
            mode: m.mode() & 0o7777,
            modified: m.modified().ok().map(DateTime::<Local>::from),
        })
    }

    /// Readable or writable by group or others.
    pub fn open_to_others(&self) -> bool {
        self.mode & 0o077 != 0
    }
}

/// What a map's source file holds.
#[derive(Clone, Debug)]
pub enum MapContent {
    Table(Vec<TableEntry>),
    Credentials(Vec<CredentialEntry>),
    Rules(Vec<Rule>),
    /// A map type the pane does not read (mysql, ldap...).
    NotRead,
}

/// One map file named by a parameter.
#[derive(Clone, Debug)]
pub struct MapFile {
    pub spec: MapSpec,
    pub content: MapContent,
    /// Why the source could not be read (permission, missing...).
    pub error: Option<Clean>,
    pub bad_lines: Vec<BadLine>,
    pub source: Option<FileFacts>,
    pub compiled: Option<FileFacts>,
    /// Read as a password map (with its passwords left out): it is one, or it is also named in
    /// `smtp_sasl_password_maps`, so that its values are passwords whatever else it is used as.
    pub holds_passwords: bool,
}

impl MapFile {
    /// The compiled map is older than its source: `postmap` was forgotten.
    pub fn stale(&self) -> bool {
        match (&self.source, &self.compiled) {
            (Some(s), Some(c)) => {
                matches!((s.modified, c.modified), (Some(sm), Some(cm)) if sm > cm)
            }
            _ => false,
        }
    }

    /// An indexed map whose compiled file does not exist.
    pub fn never_compiled(&self) -> bool {
        self.spec.kind.compiled_suffix().is_some()
            && self.source.is_some()
            && self.compiled.is_none()
    }
}

/// Everything read from one instance.
#[derive(Clone, Debug)]
pub struct RelaySnapshot {
    pub instance: String,
    pub settings: RelaySettings,
    pub relay_maps: Vec<MapFile>,
    pub password_maps: Vec<MapFile>,
    /// `smtp_tls_policy_maps`: per-destination TLS levels.
    pub tls_policy_maps: Vec<MapFile>,
    /// The instance's `main.cf`, where `settings` come from.
    pub main_cf: Option<FileFacts>,
    pub read_at: DateTime<Local>,
}

impl RelaySnapshot {
    /// When the relay setup Postfix uses last changed, as far as its files say, and which file:
    /// the newest of `main.cf` and the maps as Postfix reads them (a compiled map, not a source
    /// that `postmap` has not compiled yet).
    pub fn changed_at(&self) -> Option<(DateTime<Local>, &Clean)> {
        self.relay_maps
            .iter()
            .chain(&self.password_maps)
            .chain(&self.tls_policy_maps)
            .filter_map(|m| m.compiled.as_ref().or(m.source.as_ref()))
            .chain(self.main_cf.as_ref())
            .filter_map(|f| f.modified.map(|t| (t, &f.path)))
            .max_by_key(|(t, _)| *t)
    }
}

/// Read one map file. `passwords` selects the password parser.
pub fn read_map(spec: &MapSpec, passwords: bool) -> MapFile {
    let src_path = Path::new(&spec.path);
    let mut file = MapFile {
        spec: spec.clone(),
        content: MapContent::NotRead,
        error: None,
        bad_lines: Vec::new(),
        source: None,
        compiled: None,
        holds_passwords: passwords,
    };
    if spec.kind == MapKind::Other {
        return file;
    }
    file.source = FileFacts::stat(src_path);
    file.compiled = spec
        .compiled_path()
        .and_then(|p| FileFacts::stat(Path::new(&p)));
    // a plain file only (a link to one is followed, as Postfix does): opening a FIFO would wait
    // for a writer, holding this read and every refresh of the pane after it, and a device such
    // as /dev/zero would be read without end
    let read = crate::plainfile::open(src_path).and_then(|mut f| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).map(|_| bytes)
    });
    match read {
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                " - run as root or give opsdeck read access"
            } else {
                ""
            };
            file.error = Some(Clean::new(&format!("{}: {e}{hint}", spec.path)));
        }
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            if spec.kind.is_rules() {
                let (mut r, bad) = maps::parse_rules(&text);
                if passwords {
                    r.iter_mut().for_each(maps::hide_password);
                }
                file.content = MapContent::Rules(r);
                file.bad_lines = if passwords {
                    // a broken line of a password map may hold a password
                    bad.into_iter()
                        .map(|b| BadLine {
                            text: Clean::new("(hidden: password map)"),
                            ..b
                        })
                        .collect()
                } else {
                    bad
                };
            } else if passwords {
                let (c, bad) = maps::parse_password_table(&text);
                file.content = MapContent::Credentials(c);
                file.bad_lines = bad;
            } else {
                let (t, bad) = maps::parse_table(&text);
                file.content = MapContent::Table(t);
                file.bad_lines = bad;
            }
        }
    }
    file
}

/// The relay, password and TLS policy maps the settings name. A file named as a password map
/// is read as one wherever else it is named too: its values are passwords.
fn read_maps(settings: &RelaySettings) -> (Vec<MapFile>, Vec<MapFile>, Vec<MapFile>) {
    let password_specs = maps::parse_map_list(&settings.sasl_password_maps);
    let read = |list: &str| -> Vec<MapFile> {
        maps::parse_map_list(list)
            .iter()
            .map(|s| {
                let secret = password_specs.iter().any(|p| same_file(&p.path, &s.path));
                read_map(s, secret)
            })
            .collect()
    };
    (
        read(&settings.sender_relay_maps),
        password_specs.iter().map(|s| read_map(s, true)).collect(),
        read(&settings.tls_policy_maps),
    )
}

/// The same path, or two paths to one file (a link, `/etc/postfix/../postfix/x`).
fn same_file(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (std::fs::metadata(a), std::fs::metadata(b)),
            (Ok(x), Ok(y)) if x.dev() == y.dev() && x.ino() == y.ino()
        )
}

/// Read the whole relay setup of an instance (blocking).
pub fn read_snapshot(
    inst: &PostfixInstance,
    now: SystemTime,
) -> Result<RelaySnapshot, SendersError> {
    let settings = postconf::read(inst)?;
    Ok(snapshot_with(inst, settings, now))
}

/// The relay setup of an instance whose settings were read already: the maps they name
/// (blocking).
pub fn snapshot_with(
    inst: &PostfixInstance,
    settings: RelaySettings,
    now: SystemTime,
) -> RelaySnapshot {
    let (relay_maps, password_maps, tls_policy_maps) = read_maps(&settings);
    RelaySnapshot {
        instance: inst.name.clone(),
        settings,
        relay_maps,
        password_maps,
        tls_policy_maps,
        main_cf: FileFacts::stat(&inst.config_dir.join("main.cf")),
        read_at: DateTime::<Local>::from(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// One file named as the password map and as the relay and TLS policy maps, once by the
    /// same path and once through a link: read as a password map everywhere, no password kept.
    #[test]
    fn a_password_map_named_as_another_map_keeps_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sasl_passwd");
        std::fs::write(
            &file,
            "billing@example.com AKIABILLING:TOPSECRET\n[relay]:587 AKIARELAY:ALSOSECRET\n",
        )
        .unwrap();
        let link = dir.path().join("relay_map");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let settings = RelaySettings {
            sasl_password_maps: format!("texthash:{}", file.display()),
            sender_relay_maps: format!("texthash:{}", file.display()),
            tls_policy_maps: format!("texthash:{}", link.display()),
            ..RelaySettings::default()
        };
        let (relay, passwords, tls) = read_maps(&settings);
        for m in relay.iter().chain(&passwords).chain(&tls) {
            assert!(m.holds_passwords, "{}", m.spec.path);
            let kept = format!("{m:?}");
            assert!(
                !kept.contains("TOPSECRET") && !kept.contains("ALSOSECRET"),
                "{kept}"
            );
        }
        // a map of its own is read as what it is named
        let own = dir.path().join("sender_relay");
        std::fs::write(&own, "billing@example.com [relay]:587\n").unwrap();
        let settings = RelaySettings {
            sender_relay_maps: format!("texthash:{}", own.display()),
            ..settings
        };
        let (relay, _, _) = read_maps(&settings);
        assert!(!relay[0].holds_passwords);
        assert!(matches!(&relay[0].content, MapContent::Table(t) if t.len() == 1));
    }

    #[test]
    fn stale_and_open_files() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("sasl_passwd");
        std::fs::write(&src, "[relay]:587 user:TOPSECRET\n").unwrap();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o644)).unwrap();
        let spec = &maps::parse_map_list(&format!("hash:{}", src.display()))[0];
        let f = read_map(spec, true);
        assert!(f.source.as_ref().unwrap().open_to_others());
        assert!(f.never_compiled());
        assert!(!f.stale());
        let MapContent::Credentials(c) = &f.content else {
            panic!("{:?}", f.content)
        };
        assert_eq!(c[0].user.as_str(), "user");
        assert!(!format!("{f:?}").contains("TOPSECRET"));

        // a compiled file older than the source
        let db = dir.path().join("sasl_passwd.db");
        std::fs::write(&db, "x").unwrap();
        let old = std::fs::File::options().write(true).open(&db).unwrap();
        old.set_modified(SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
        let f = read_map(spec, true);
        assert!(f.stale());
        assert!(!f.never_compiled());
    }

    #[test]
    fn a_fifo_or_a_device_named_as_a_map_is_said_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("sasl_passwd");
        crate::plainfile::testing::mkfifo(&fifo);
        let zero = dir.path().join("relay");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for (p, what) in [(fifo, "a FIFO (named pipe)"), (zero, "a character device")] {
            let spec = maps::parse_map_list(&format!("hash:{}", p.display())).remove(0);
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || tx.send(read_map(&spec, true).error));
            let error = rx
                .recv_timeout(std::time::Duration::from_secs(5))
                .unwrap_or_else(|_| panic!("{what}: still read after 5 s"));
            assert_eq!(
                error.unwrap().as_str(),
                format!("{}: is {what}, not a plain file", p.display())
            );
        }
    }

    #[test]
    fn rule_password_maps_keep_no_password() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("sasl.pcre");
        std::fs::write(
            &src,
            "/@example\\.com$/ AKIAUSER:P4ss-SECRET\n/x/\tother:tab-SECRET\nbroken-SECRET\n",
        )
        .unwrap();
        let spec = &maps::parse_map_list(&format!("pcre:{}", src.display()))[0];
        let f = read_map(spec, true);
        let dump = format!("{f:?}");
        assert!(!dump.contains("SECRET"), "{dump}");
        let MapContent::Rules(r) = &f.content else {
            panic!("{:?}", f.content)
        };
        assert_eq!(r[0].text.as_str(), "/@example\\.com$/ AKIAUSER:***");
        assert!(
            matches!(&r[0].kind, maps::RuleKind::Match { result } if result.as_str() == "AKIAUSER:***")
        );
    }

    #[test]
    fn missing_file_is_an_error_not_an_empty_map() {
        let spec = &maps::parse_map_list("hash:/nonexistent/opsdeck/sender_relay")[0];
        let f = read_map(spec, false);
        let err = f.error.expect("an error");
        assert!(err.contains("/nonexistent/opsdeck/sender_relay"), "{err}");
    }
}
