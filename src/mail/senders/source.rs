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
    pub read_at: DateTime<Local>,
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
    };
    if spec.kind == MapKind::Other {
        return file;
    }
    file.source = FileFacts::stat(src_path);
    file.compiled = spec
        .compiled_path()
        .and_then(|p| FileFacts::stat(Path::new(&p)));
    match std::fs::read(src_path) {
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

/// Read the whole relay setup of an instance (blocking).
pub fn read_snapshot(
    inst: &PostfixInstance,
    now: SystemTime,
) -> Result<RelaySnapshot, SendersError> {
    let settings = postconf::read(inst)?;
    let relay_maps = maps::parse_map_list(&settings.sender_relay_maps)
        .iter()
        .map(|s| read_map(s, false))
        .collect();
    let password_maps = maps::parse_map_list(&settings.sasl_password_maps)
        .iter()
        .map(|s| read_map(s, true))
        .collect();
    let tls_policy_maps = maps::parse_map_list(&settings.tls_policy_maps)
        .iter()
        .map(|s| read_map(s, false))
        .collect();
    Ok(RelaySnapshot {
        instance: inst.name.clone(),
        settings,
        relay_maps,
        password_maps,
        tls_policy_maps,
        read_at: DateTime::<Local>::from(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

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
