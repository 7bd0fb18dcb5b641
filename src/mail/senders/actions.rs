//! The pane's three changes to the world: a test mail over SMTP to the local
//! Postfix, a new sender route (atomic map edit, `postmap`, `postfix
//! reload`), and (in `ses.rs`) a new SES identity.
//!
//! Every function here takes a `&WriteAccess`: read-only sessions cannot
//! reach them. Blocking functions are called from `spawn_blocking`. A failed
//! step never leaves a half-written map: the previous source is restored and
//! compiled again, and the report says so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Local};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::access::WriteAccess;
use crate::config::PostfixInstance;
use crate::sanitize::Clean;

use super::SendersError;
use super::maps::{self, MapKind, MapSpec};
use super::postconf::{Relay, describe, postfix_command};
use super::secret::Secret;

/// TLS for the test mail's submission.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS when the server offers it.
    #[default]
    Opportunistic,
    /// STARTTLS, or no mail.
    Required,
    /// TLS from the first byte (port 465).
    Wrapper,
    None,
}

/// Where the test mail is submitted.
#[derive(Clone, Debug)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Check the certificate (`Required`/`Wrapper`).
    pub tls_verify: bool,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

/// The server's reply to the test mail: `250 2.0.0 Ok: queued as ID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub reply: Clean,
    pub queue_id: Option<String>,
}

/// Is this a plausible mail address (no spaces, one `@`, no control chars)?
pub fn valid_address(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((l, d)) => {
            !l.is_empty()
                && !d.is_empty()
                && !d.contains('@')
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;[]\\".contains(c))
        }
        None => false,
    }
}

/// Send one test mail and return the server's reply.
///
/// SMTP to the configured host and port (the local Postfix), with STARTTLS
/// when offered (or required, or TLS from the first byte, as configured)
/// and AUTH PLAIN/LOGIN when `smtp_user` and `smtp_password` are both set;
/// the login happens after STARTTLS when there is one.
pub async fn send_test_mail(
    _access: &WriteAccess,
    target: &SmtpTarget,
    from: &str,
    to: &str,
    now: DateTime<Local>,
) -> Result<Submitted, SendersError> {
    let server = format!("{}:{}", target.host, target.port);
    let smtp_err = |m: String| SendersError::Smtp {
        server: server.clone(),
        message: crate::sanitize::sanitize_capped(&m, 300),
    };
    let from_mb: Mailbox = from
        .parse()
        .map_err(|e| smtp_err(format!("sender {from}: {e}")))?;
    let to_mb: Mailbox = to
        .parse()
        .map_err(|e| smtp_err(format!("recipient {to}: {e}")))?;
    let msg = Message::builder()
        .from(from_mb)
        .to(to_mb)
        .subject(format!(
            "opsdeck test mail {}",
            now.format("%Y-%m-%d %H:%M:%S %z")
        ))
        .body(format!(
            "Test mail sent by opsdeck at {} to check the route of {from}.\n",
            now.to_rfc2822()
        ))
        .map_err(|e| smtp_err(e.to_string()))?;
    let tls = match target.tls {
        SmtpTls::None => Tls::None,
        mode => {
            // an opportunistic STARTTLS checks nothing, as Postfix's `may`
            let verify = target.tls_verify && mode != SmtpTls::Opportunistic;
            let params = TlsParameters::builder(target.host.clone())
                .dangerous_accept_invalid_certs(!verify)
                .dangerous_accept_invalid_hostnames(!verify)
                .build_rustls()
                .map_err(|e| smtp_err(format!("TLS setup: {e}")))?;
            match mode {
                SmtpTls::Required => Tls::Required(params),
                SmtpTls::Wrapper => Tls::Wrapper(params),
                _ => Tls::Opportunistic(params),
            }
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host.as_str())
        .port(target.port)
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(30)));
    match (&target.user, &target.password) {
        (Some(u), Some(p)) => {
            builder = builder.credentials(Credentials::new(u.clone(), p.expose().to_string()));
        }
        (None, None) => {}
        // half a login is a configuration mistake: said so, not sent without it
        (Some(_), None) => {
            return Err(smtp_err(
                "senders.smtp_user is set but senders.smtp_password is not".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(smtp_err(
                "senders.smtp_password is set but senders.smtp_user is not".into(),
            ));
        }
    }
    let transport = builder.build();
    let resp = transport.send(msg).await.map_err(|e| {
        let text = match (&target.user, &target.password) {
            (Some(u), Some(p)) => without_login(&e.to_string(), u, p),
            _ => e.to_string(),
        };
        let hint = if text.contains("No compatible authentication mechanism") {
            " (the server offers no AUTH PLAIN or LOGIN: is smtpd_sasl_auth_enable = yes there? With smtpd_tls_auth_only = yes it offers AUTH only after STARTTLS: is senders.smtp_tls = \"none\"?)"
        } else if text.contains("Connection refused") {
            " (nothing listens there: is Postfix running, with smtpd on that port? \
             senders.smtp_host and smtp_port say where the test mail is submitted)"
        } else {
            ""
        };
        smtp_err(format!("{text}{hint}"))
    })?;
    let text = format!(
        "{} {}",
        resp.code(),
        resp.message().collect::<Vec<_>>().join(" ")
    );
    // the success reply is shown too, and a server may quote the login there
    let text = match (&target.user, &target.password) {
        (Some(u), Some(p)) => without_login(&text, u, p),
        _ => text,
    };
    Ok(Submitted {
        queue_id: super::logscan::queue_id_from_reply(&text),
        reply: Clean::new(&text),
    })
}

/// An SMTP error with the login taken out: the error carries the server's
/// reply, and a server may quote the AUTH exchange back (PLAIN's base64 of
/// `\0user\0password`, LOGIN's base64 of the password) or the password.
fn without_login(text: &str, user: &str, password: &Secret) -> String {
    use base64::Engine;
    let pw = password.expose();
    if pw.is_empty() {
        return text.to_string();
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD_NO_PAD.encode(s);
    [b64(&format!("\0{user}\0{pw}")), b64(pw), pw.to_string()]
        .iter()
        .fold(text.to_string(), |t, secret| t.replace(secret, "***"))
}

/// One step of adding a route, with what it printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub what: Clean,
    pub ok: bool,
    pub output: Clean,
}

/// The whole story of one add-route action.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RouteReport {
    pub sender: Clean,
    pub relay: Clean,
    pub map: Clean,
    pub steps: Vec<Step>,
    /// Finished (successfully or not).
    pub done: bool,
    /// All steps succeeded.
    pub ok: bool,
    /// The final word: what is in force now.
    pub outcome: Clean,
}

impl RouteReport {
    fn step(&mut self, what: impl AsRef<str>, ok: bool, output: impl AsRef<str>) {
        self.steps.push(Step {
            what: Clean::new(what.as_ref()),
            ok,
            output: Clean::capped(output.as_ref().trim(), 600),
        });
    }

    fn finish(mut self, ok: bool, outcome: impl AsRef<str>) -> RouteReport {
        self.done = true;
        self.ok = ok;
        self.outcome = Clean::new(outcome.as_ref());
        self
    }
}

fn run_cmd(mut cmd: Command) -> (String, bool, String) {
    let what = describe(&cmd);
    match cmd.output() {
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            // postmap and postfix quote a broken main.cf line, which may hold a password
            (
                what,
                out.status.success(),
                crate::mail::hide_main_cf_values(&text),
            )
        }
        Err(e) => (what.clone(), false, format!("{what}: {e}")),
    }
}

/// The most backups of one map made in one second. Past it the edit is refused: a third
/// digit would sort `-100` before `-99`.
pub const BACKUPS_PER_SECOND: u32 = 99;

/// The name of the `seq`th backup (from 1) of a map made in the second of `now`, beside the
/// map: `sender_relay.20261127-211500-01.bak`. The sequence has a fixed width, so the names
/// sort as the backups were made.
pub fn backup_path(path: &Path, now: DateTime<Local>, seq: u32) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{}-{seq:02}.bak", now.format("%Y%m%d-%H%M%S")));
    path.with_file_name(name)
}

/// Write `content`, the map as read, with its `mode`, to the first backup name of `now`'s second
/// that no file has, created exclusively: an earlier backup made in the same second is never
/// overwritten, so the state before each edit stays on disk. The copy is on disk before the
/// edit.
/// Returns the backup's path, or why none was made.
fn make_backup(
    path: &Path,
    now: DateTime<Local>,
    content: &[u8],
    mode: u32,
) -> Result<PathBuf, String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    for seq in 1..=BACKUPS_PER_SECOND {
        let backup = backup_path(path, now, seq);
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&backup)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", backup.display())),
        };
        let copied = file
            .write_all(content)
            .and_then(|_| file.set_permissions(std::fs::Permissions::from_mode(mode)))
            .and_then(|_| file.sync_all());
        return match copied {
            Ok(()) => Ok(backup),
            Err(e) => {
                // no half backup left to be taken for a whole one
                let _ = std::fs::remove_file(&backup);
                Err(format!("{}: {e}", backup.display()))
            }
        };
    }
    Err(format!(
        "{} to {} are taken: {BACKUPS_PER_SECOND} backups of this map in one second; try \
         again in a second",
        backup_path(path, now, 1).display(),
        backup_path(path, now, BACKUPS_PER_SECOND).display(),
    ))
}

/// Is `name` a name [`backup_path`] gives a backup of the map named `map`:
/// `MAP.YYYYMMDD-HHMMSS-NN.bak`, of a date and time that exist and a sequence it makes? Nothing
/// else beside a map is taken for one of its backups: not a `sender_relay.bak` kept by hand,
/// not `sender_relay.db`, not a backup of `sender_relay.old`.
fn is_backup_of(name: &std::ffi::OsStr, map: &std::ffi::OsStr) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let stamp = name
        .as_bytes()
        .strip_prefix(map.as_bytes())
        .and_then(|rest| rest.strip_prefix(b"."))
        .and_then(|rest| rest.strip_suffix(b".bak"));
    let Some(stamp) = stamp.and_then(|s| std::str::from_utf8(s).ok()) else {
        return false;
    };
    // YYYYMMDD-HHMMSS-NN
    let shaped = stamp.len() == 18
        && stamp.bytes().enumerate().all(|(i, c)| match i {
            8 | 15 => c == b'-',
            _ => c.is_ascii_digit(),
        });
    shaped
        && chrono::NaiveDateTime::parse_from_str(&stamp[..15], "%Y%m%d-%H%M%S").is_ok()
        && stamp[16..]
            .parse::<u32>()
            .is_ok_and(|seq| (1..=BACKUPS_PER_SECOND).contains(&seq))
}

/// What [`prune_backups`] did.
#[derive(Debug, Default)]
struct Pruned {
    removed: usize,
    /// How many backups old enough could not be removed.
    not_removed: usize,
    /// Why not: the first of them, by name (the directory is the map's, which the report
    /// names), and the error; or the directory that could not be read.
    why: Option<String>,
}

/// Remove the backups of the map at `path` older than the newest `keep`, after an edit that
/// succeeded: each edit adds one, and a map edited every week would otherwise gather them for
/// years. The backup the edit made (`made`) counts among the `keep` and is never removed, even
/// when a clock set back gave it an older name than the others. Only regular files named as
/// [`backup_path`] names this map's backups are removed; a link of such a name is left alone
/// (and not followed), as is anything else in the directory.
fn prune_backups(path: &Path, made: &Path, keep: usize) -> Pruned {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (Some(map), Some(made)) = (path.file_name(), made.file_name()) else {
        return Pruned::default();
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            return Pruned {
                why: Some(format!("{}: {e}", dir.display())),
                ..Pruned::default()
            };
        }
    };
    let mut older: Vec<std::ffi::OsString> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name())
        .filter(|name| name != made && is_backup_of(name, map))
        .collect();
    // the names sort as the backups were made: newest first
    older.sort_unstable_by(|a, b| b.cmp(a));
    let mut pruned = Pruned::default();
    for name in older.iter().skip(keep.saturating_sub(1)) {
        let backup = dir.join(name);
        match std::fs::remove_file(&backup) {
            Ok(()) => pruned.removed += 1,
            Err(e) => {
                pruned.not_removed += 1;
                pruned.why.get_or_insert_with(|| {
                    format!(
                        "{}: {e}{}",
                        name.to_string_lossy(),
                        sticky_refusal(dir, &backup, &e)
                    )
                });
            }
        }
    }
    pruned
}

/// Why a removal was refused, where a sticky directory (mode 1777, as /tmp) refused it: there
/// only a file's owner (or the directory's, or root) may remove it, whatever the directory's
/// write bits say, and "Operation not permitted" alone does not tell a person that.
fn sticky_refusal(dir: &Path, file: &Path, e: &std::io::Error) -> String {
    use std::os::unix::fs::MetadataExt;
    let (Ok(d), Ok(f)) = (std::fs::metadata(dir), std::fs::symlink_metadata(file)) else {
        return String::new();
    };
    if e.raw_os_error() != Some(nix::libc::EPERM) || d.mode() & 0o1000 == 0 {
        return String::new();
    }
    format!(
        ": {} owns it in a sticky directory (mode {:04o}), where only its owner or root may \
         remove it",
        crate::accounts::user_name(f.uid()),
        d.mode() & 0o7777
    )
}

/// Says in the report what [`prune_backups`] did: nothing when no backup was old enough.
fn report_pruned(r: &mut RouteReport, keep: usize, pruned: Pruned) {
    let Pruned {
        removed,
        not_removed,
        why,
    } = pruned;
    let s = if removed == 1 { "" } else { "s" };
    match why {
        None if removed == 0 => {}
        None => r.step(
            format!("removed {removed} backup{s} older than the newest {keep}"),
            true,
            "",
        ),
        Some(why) => {
            // how many stay first, then why: the panel cuts a step at its width
            let mut said = if not_removed > 0 {
                format!("{not_removed} not removed: {why}")
            } else {
                why
            };
            if removed > 0 {
                said.push_str(&format!("; {removed} removed"));
            }
            r.step(
                format!("remove backups older than the newest {keep}"),
                false,
                said,
            )
        }
    }
}

/// Write `content` to `path` atomically: temp file in the same directory,
/// same mode and owner, fsync, rename, fsync the directory. A path that is a
/// link is written where the link points (the rename would put a file in the
/// link's place, and the file it pointed to would no longer be the map).
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    MapDir::open(path)?.write(content)
}

/// The directory a map lives in, where its links lead, resolved once and held open for the whole
/// edit: the map is read and written there by its name, never through a link again. Whoever may
/// write a directory on the way (a map linked to a file in a directory another user keeps) could
/// otherwise put a link at the map's name between the read and the write, and have root write
/// the map's text, which they wrote, over a file of their choosing (`/etc/cron.d/...`).
struct MapDir {
    dir: std::fs::File,
    /// The map's own path in it, as resolved, for messages.
    path: PathBuf,
    name: std::ffi::OsString,
}

impl MapDir {
    fn open(map: &Path) -> std::io::Result<MapDir> {
        let resolved = match std::fs::canonicalize(map) {
            Ok(p) => p,
            // a link that leads nowhere: said so, not read as a link (which it never is)
            Err(e) if std::fs::symlink_metadata(map).is_ok_and(|m| m.is_symlink()) => {
                let to = std::fs::read_link(map).unwrap_or_default();
                return Err(std::io::Error::new(
                    e.kind(),
                    format!(
                        "a symbolic link to {}, which leads to no file ({e})",
                        to.display()
                    ),
                ));
            }
            // no map yet: its directory resolved, where it will be
            Err(_) => match (map.parent(), map.file_name()) {
                (Some(d), Some(n)) if !d.as_os_str().is_empty() => std::fs::canonicalize(d)
                    .map(|d| d.join(n))
                    .unwrap_or_else(|_| map.to_path_buf()),
                _ => map.to_path_buf(),
            },
        };
        let name = resolved
            .file_name()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?
            .to_os_string();
        let dir = match resolved.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        #[cfg(test)]
        testing::after_the_resolve();
        Ok(MapDir {
            dir: Self::open_resolved(dir)?,
            path: resolved.clone(),
            name,
        })
    }

    /// Open the map's directory as it was resolved: the resolved path holds no link, so one
    /// met on the way now (a directory swapped for a link since) is refused, not followed to
    /// another directory that holds a file of the map's name.
    fn open_resolved(dir: &Path) -> std::io::Result<std::fs::File> {
        use nix::fcntl::OFlag;
        let (start, rest) = if dir.is_absolute() {
            (Path::new("/"), dir.strip_prefix("/").unwrap_or(dir))
        } else {
            (Path::new("."), dir)
        };
        let base = nix::fcntl::open(
            start,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )?;
        let names = rest.components().map(|c| c.as_os_str());
        match crate::plainfile::open_dir_below(base, names) {
            Ok(fd) => Ok(std::fs::File::from(fd)),
            Err(nix::errno::Errno::ELOOP | nix::errno::Errno::ENOTDIR) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{}: a directory on the way became a symbolic link or a file while the map \
                     was opened: nothing written; look at who changes it, then try again",
                    dir.display()
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The map's bytes and mode: a plain file only, never through a link put at its name (nor
    /// waiting on a FIFO there).
    fn read(&self) -> std::io::Result<(Vec<u8>, u32)> {
        use nix::fcntl::OFlag;
        use std::io::Read;
        use std::os::unix::fs::PermissionsExt;
        let fd = nix::fcntl::openat(
            &self.dir,
            self.name.as_os_str(),
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .map_err(std::io::Error::from)?;
        let f = std::fs::File::from(fd);
        let m = f.metadata()?;
        if !m.is_file() {
            return Err(crate::plainfile::not_plain(&m));
        }
        let mut f = crate::plainfile::blocking(f)?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        Ok((bytes, m.permissions().mode() & 0o7777))
    }

    /// Replace the map with `content`: a temp file in the directory with the map's mode and
    /// owner, fsync, rename over the map's name (a link there is replaced, not followed), fsync
    /// the directory.
    fn write(&self, content: &[u8]) -> std::io::Result<()> {
        use nix::fcntl::AtFlags;
        use nix::sys::stat::Mode;
        let old = nix::sys::stat::fstatat(
            &self.dir,
            self.name.as_os_str(),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .ok()
        .filter(|st| st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFREG);
        let (tmp_name, fd) = self.temp_file()?;
        let written = (|| {
            let mut f = std::fs::File::from(fd);
            f.write_all(content)?;
            if let Some(st) = &old {
                nix::sys::stat::fchmod(&f, Mode::from_bits_truncate(st.st_mode & 0o7777))?;
                let _ = nix::unistd::fchown(
                    &f,
                    Some(nix::unistd::Uid::from_raw(st.st_uid)),
                    Some(nix::unistd::Gid::from_raw(st.st_gid)),
                );
            }
            f.sync_all()?;
            nix::fcntl::renameat(
                &self.dir,
                tmp_name.as_str(),
                &self.dir,
                self.name.as_os_str(),
            )?;
            std::io::Result::Ok(())
        })();
        if let Err(e) = written {
            let _ = nix::unistd::unlinkat(
                &self.dir,
                tmp_name.as_str(),
                nix::unistd::UnlinkatFlags::NoRemoveDir,
            );
            return Err(e);
        }
        self.dir.sync_all()
    }

    /// A new file of a name no file has in the directory, for [`MapDir::write`]; mode 0600.
    fn temp_file(&self) -> std::io::Result<(String, std::os::fd::OwnedFd)> {
        use nix::fcntl::OFlag;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut last = nix::errno::Errno::EEXIST;
        for i in 0..100u32 {
            let name = format!(".opsdeck-{}-{nanos:09}-{i}", std::process::id());
            match nix::fcntl::openat(
                &self.dir,
                name.as_str(),
                OFlag::O_WRONLY
                    | OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                nix::sys::stat::Mode::from_bits_truncate(0o600),
            ) {
                Ok(fd) => return Ok((name, fd)),
                Err(nix::errno::Errno::EEXIST) => {}
                Err(e) => {
                    last = e;
                    break;
                }
            }
        }
        Err(last.into())
    }

    /// An exclusive lock on the directory, held until dropped; refused at once, not waited for,
    /// when another edit holds it.
    fn lock(&self) -> Result<nix::fcntl::Flock<std::fs::File>, String> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let file = self
            .dir
            .try_clone()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(
            |(_, errno)| match errno {
                nix::errno::Errno::EWOULDBLOCK => format!(
                    "another edit of a map in {} is in progress (another opsdeck?): try again \
                     when it is done",
                    dir.display()
                ),
                e => format!("{}: {e}", dir.display()),
            },
        )
    }
}

/// Whether [`add_route`] runs `postmap` and `postfix reload` after the edit.
#[derive(Clone, Copy, Debug)]
pub enum RunPostfix {
    Yes,
    /// Not (the demo's sandbox has no Postfix of its own): why, as the report says it.
    No(&'static str),
}

/// Why a `user@` route is refused: it would be written and never used.
pub const USER_AT_NEVER_LOOKED_UP: &str = "Postfix never looks up a user@ key in sender_dependent_relayhost_maps (it tries user@domain, then @domain): give the full address or @domain";

/// Add `sender -> relay` to an indexed map, compile it and reload Postfix.
/// Each step is reported through `progress` as it happens. Once all of it has succeeded, the
/// map's backups older than the newest `keep_backups` are removed (the one just made stays);
/// a failed edit removes none, as its backup is what putting the map back needs.
#[allow(clippy::too_many_arguments)]
pub fn add_route(
    _access: &WriteAccess,
    inst: &PostfixInstance,
    spec: &MapSpec,
    sender: &str,
    relay: &str,
    postfix: RunPostfix,
    keep_backups: usize,
    now: DateTime<Local>,
    progress: &mut dyn FnMut(&RouteReport),
) -> RouteReport {
    let mut r = RouteReport {
        sender: Clean::new(sender),
        relay: Clean::new(relay),
        map: Clean::new(&spec.written),
        ..RouteReport::default()
    };
    let sender = sender.trim().to_ascii_lowercase();
    let key_ok = match maps::KeyKind::of(&sender) {
        maps::KeyKind::Address => valid_address(&sender),
        maps::KeyKind::Domain => valid_address(&format!("x{sender}")),
        maps::KeyKind::LocalPart => {
            r.step("check the sender", false, USER_AT_NEVER_LOOKED_UP);
            return r.finish(false, "nothing changed");
        }
        maps::KeyKind::Other => false,
    };
    if !key_ok {
        r.step(
            "check the sender",
            false,
            format!("{sender:?} is not an address or @domain"),
        );
        return r.finish(false, "nothing changed");
    }
    if Relay::parse(relay).is_none() || relay.chars().any(|c| c.is_whitespace() || c.is_control()) {
        r.step(
            "check the relay",
            false,
            format!("{relay:?} is not [host]:port"),
        );
        return r.finish(false, "nothing changed");
    }
    if !matches!(
        spec.kind,
        MapKind::Hash | MapKind::Btree | MapKind::Lmdb | MapKind::Cdb | MapKind::Texthash
    ) {
        r.step(
            "check the map type",
            false,
            format!(
                "{}: only hash, btree, lmdb, cdb and texthash maps are edited; add a rule by hand",
                spec.written
            ),
        );
        return r.finish(false, "nothing changed");
    }
    let path = PathBuf::from(&spec.path);
    // one edit in the map's directory at a time: a second one (another opsdeck) reading the map
    // before the first renames its new text in would write it back without the first's entry
    let map_dir = match MapDir::open(&path) {
        Ok(d) => d,
        Err(e) => {
            r.step(
                "lock the map's directory",
                false,
                format!("{}: {e}", path.display()),
            );
            return r.finish(false, "nothing changed");
        }
    };
    let _lock = match map_dir.lock() {
        Ok(lock) => lock,
        Err(why) => {
            r.step("lock the map's directory", false, why);
            return r.finish(false, "nothing changed");
        }
    };
    let (old, mode) = match map_dir.read() {
        Ok(b) => b,
        Err(e) => {
            r.step(format!("read {}", path.display()), false, e.to_string());
            return r.finish(false, "nothing changed");
        }
    };
    let old_text = String::from_utf8_lossy(&old);
    let (entries, _) = maps::parse_table(&old_text);
    if let Some(e) = entries.iter().find(|e| e.key.as_str() == sender) {
        r.step(
            "check for an existing entry",
            false,
            format!(
                "{sender} is already in {} line {} -> {}",
                spec.path, e.line, e.value
            ),
        );
        return r.finish(false, "nothing changed: edit the existing line by hand");
    }
    // backup
    let backup = match make_backup(&path, now, &old, mode) {
        Ok(backup) => {
            r.step(format!("backup to {}", backup.display()), true, "");
            backup
        }
        Err(why) => {
            r.step(format!("back up {}", path.display()), false, why);
            return r.finish(false, "nothing changed");
        }
    };
    progress(&r);
    // new content
    let mut new = old.clone();
    if !new.is_empty() && !new.ends_with(b"\n") {
        new.push(b'\n');
    }
    new.extend_from_slice(format!("{sender}\t{relay}\n").as_bytes());
    #[cfg(test)]
    testing::before_the_write();
    if let Err(e) = map_dir.write(&new) {
        r.step(
            format!("write {} (temp file, fsync, rename)", path.display()),
            false,
            e.to_string(),
        );
        return r.finish(
            false,
            "previous map still in force (the rename did not happen)",
        );
    }
    r.step(
        format!("write {} (temp file, fsync, rename)", path.display()),
        true,
        format!("{sender}\t{relay}"),
    );
    progress(&r);
    if let RunPostfix::No(why) = postfix {
        r.step(
            "postmap and postfix reload",
            true,
            format!("not run: {why}"),
        );
        report_pruned(
            &mut r,
            keep_backups,
            prune_backups(&path, &backup, keep_backups),
        );
        return r.finish(
            true,
            format!("{sender} now relays through {relay} in the map"),
        );
    }

    let restore = |r: &mut RouteReport| {
        match map_dir.write(&old) {
            Ok(()) => r.step(
                format!("restore {} from the backup", path.display()),
                true,
                "",
            ),
            Err(e) => r.step(
                format!("restore {} from {}", path.display(), backup.display()),
                false,
                e.to_string(),
            ),
        }
        if spec.kind != MapKind::Texthash {
            let mut c = postfix_command(inst, "postmap");
            c.arg(spec.postmap_arg());
            let (what, ok, out) = run_cmd(c);
            r.step(format!("{what} (previous map)"), ok, out);
        }
    };

    if spec.kind != MapKind::Texthash {
        let mut c = postfix_command(inst, "postmap");
        c.arg(spec.postmap_arg());
        let (what, ok, out) = run_cmd(c);
        r.step(what, ok, out);
        progress(&r);
        if !ok {
            restore(&mut r);
            return r.finish(
                false,
                "postmap failed: the previous map was put back and is in force",
            );
        }
    }
    let mut c = postfix_command(inst, "postfix");
    c.arg("reload");
    let (what, ok, out) = run_cmd(c);
    r.step(what, ok, out);
    if !ok {
        let map = if spec.kind == MapKind::Texthash {
            "the new map is written but Postfix was not reloaded: a texthash map is read again only at reload"
        } else {
            "the new map is compiled but Postfix was not reloaded: running daemons pick it up when they restart"
        };
        return r.finish(false, map);
    }
    report_pruned(
        &mut r,
        keep_backups,
        prune_backups(&path, &backup, keep_backups),
    );
    r.finish(true, format!("{sender} now relays through {relay}"))
}

/// A pause point in a map edit, for the tests that change the map's directory meanwhile: set
/// per thread.
#[cfg(test)]
pub(crate) mod testing {
    use std::cell::RefCell;

    thread_local! {
        static BEFORE_THE_WRITE: RefCell<Option<Box<dyn FnMut()>>> = RefCell::new(None);
    }

    /// Run `f` in this thread's next edits, after the map was read and backed up and before the
    /// new map is written.
    pub(crate) fn pause_before_the_write(f: impl FnMut() + 'static) {
        BEFORE_THE_WRITE.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    thread_local! {
        static AFTER_THE_RESOLVE: RefCell<Option<Box<dyn FnMut()>>> = RefCell::new(None);
    }

    /// Run `f` in this thread's next edits, after the map's path was resolved and before its
    /// directory is opened.
    pub(crate) fn pause_after_the_resolve(f: impl FnMut() + 'static) {
        AFTER_THE_RESOLVE.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    pub(super) fn after_the_resolve() {
        AFTER_THE_RESOLVE.with(|h| {
            if let Some(f) = h.borrow_mut().as_mut() {
                f()
            }
        });
    }

    pub(super) fn before_the_write() {
        BEFORE_THE_WRITE.with(|h| {
            if let Some(f) = h.borrow_mut().as_mut() {
                f()
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn addresses() {
        for ok in ["a@b.c", "root@localhost", "x+y@example.com"] {
            assert!(valid_address(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a b@c",
            "a@b@c",
            "a@b\u{1b}[2J",
            "a<b>@c",
        ] {
            assert!(!valid_address(bad), "{bad:?}");
        }
    }

    /// A server on loopback that quotes the AUTH exchange back, as base64
    /// and decoded: in its refusal (`accept` false) or, having accepted the
    /// login, in the reply to the message.
    fn echoing_server(accept: bool) -> u16 {
        use base64::Engine;
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            let mut out = conn.try_clone().unwrap();
            let _ = out.write_all(b"220 echo ESMTP\r\n");
            let (mut in_data, mut heard) = (false, String::new());
            for line in BufReader::new(conn).lines() {
                let Ok(line) = line else { return };
                let reply = if in_data {
                    if line != "." {
                        continue;
                    }
                    in_data = false;
                    format!("250 2.0.0 Ok: queued as 4ECDA1 ({heard})\r\n")
                } else if line.starts_with("EHLO") {
                    "250-echo\r\n250 AUTH PLAIN LOGIN\r\n".to_string()
                } else if let Some(b64) = line.strip_prefix("AUTH PLAIN ") {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .unwrap_or_default();
                    let plain = String::from_utf8_lossy(&raw).replace('\0', " ");
                    heard = format!("you sent {line}, that is {plain}");
                    if accept {
                        "235 2.7.0 Authentication successful\r\n".to_string()
                    } else {
                        format!("535-5.7.8 you sent {line}\r\n535 5.7.8 that is {plain}\r\n")
                    }
                } else if line.starts_with("MAIL") || line.starts_with("RCPT") {
                    "250 2.1.0 Ok\r\n".to_string()
                } else if line == "DATA" {
                    in_data = true;
                    "354 go ahead\r\n".to_string()
                } else {
                    "221 bye\r\n".to_string()
                };
                let _ = out.write_all(reply.as_bytes());
            }
        });
        port
    }

    const ECHOED_PW: &str = "echoed-SECRET-pw";

    async fn send_to_echo(accept: bool) -> Result<Submitted, SendersError> {
        let target = SmtpTarget {
            host: "127.0.0.1".into(),
            port: echoing_server(accept),
            tls: SmtpTls::None,
            tls_verify: false,
            user: Some("submit".into()),
            password: Some(Secret::new(ECHOED_PW)),
        };
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let now = Local.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap();
        send_test_mail(&access, &target, "a@example.com", "b@example.com", now).await
    }

    fn assert_no_login(text: &str) {
        use base64::Engine;
        let b64 =
            base64::engine::general_purpose::STANDARD.encode(format!("\0submit\0{ECHOED_PW}"));
        assert!(
            !text.contains(ECHOED_PW) && !text.contains(&b64[..20]),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_echoed_login_is_not_in_the_error() {
        let err = send_to_echo(false).await.unwrap_err().to_string();
        assert!(err.contains("535"), "{err}");
        assert!(err.contains("you sent AUTH PLAIN ***"), "{err}");
        assert!(err.contains("that is  submit ***"), "{err}");
        assert_no_login(&err);
    }

    /// Nothing listening where the test mail is submitted: the error says where it went and
    /// which settings say so.
    #[tokio::test]
    async fn a_refused_submission_names_the_settings() {
        // bound and never listening: refused, and no other test's server can take the port
        // meanwhile (a released port could be taken, and answer)
        let closed =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        closed.bind(&any.into()).unwrap();
        let port = closed.local_addr().unwrap().as_socket().unwrap().port();
        let target = SmtpTarget {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            tls_verify: false,
            user: None,
            password: None,
        };
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let now = Local.with_ymd_and_hms(2026, 12, 6, 3, 0, 0).unwrap();
        let err = send_test_mail(&access, &target, "a@example.com", "b@example.com", now)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("SMTP 127.0.0.1:{port}: ")),
            "{err}"
        );
        assert!(
            err.ends_with(
                "Connection refused (os error 111) (nothing listens there: is Postfix running, \
                 with smtpd on that port? senders.smtp_host and smtp_port say where the test \
                 mail is submitted)"
            ),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_echoed_login_is_not_in_the_success_reply() {
        let sent = send_to_echo(true).await.unwrap();
        let reply = sent.reply.as_str();
        assert!(
            reply.starts_with("250 2.0.0 Ok: queued as 4ECDA1"),
            "{reply}"
        );
        assert!(
            reply.contains("you sent AUTH PLAIN ***, that is  submit ***"),
            "{reply}"
        );
        assert_no_login(reply);
        assert_eq!(sent.queue_id.as_deref(), Some("4ECDA1"));
    }

    #[test]
    fn backup_names() {
        let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
        let map = Path::new("/etc/postfix/sender_relay");
        assert_eq!(
            backup_path(map, now, 1),
            PathBuf::from("/etc/postfix/sender_relay.20261127-211500-01.bak")
        );
        // in the order they were made, the names sort as they were made, in one second or
        // across seconds
        let later = now + chrono::Duration::seconds(1);
        let made = [
            backup_path(map, now, 1),
            backup_path(map, now, 2),
            backup_path(map, now, 9),
            backup_path(map, now, 10),
            backup_path(map, now, BACKUPS_PER_SECOND),
            backup_path(map, later, 1),
        ];
        let mut sorted = made.clone();
        sorted.sort();
        assert_eq!(sorted, made);
    }

    /// The backups an edit keeps unless the configuration says otherwise.
    fn default_keep() -> usize {
        super::super::SendersConfig::default().route_backups
    }

    /// Only the names `backup_path` gives this map's backups.
    #[test]
    fn what_is_a_backup_of_a_map() {
        let map = std::ffi::OsStr::new("sender_relay");
        let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
        for seq in [1, 2, 10, BACKUPS_PER_SECOND] {
            let made = backup_path(Path::new("/etc/postfix/sender_relay"), now, seq);
            assert!(is_backup_of(made.file_name().unwrap(), map), "{made:?}");
        }
        for other in [
            "sender_relay",
            "sender_relay.db",
            "sender_relay.bak",
            "sender_relay.20261127-211500-01.bak.orig",
            "sender_relay.20261127-211500-01.bak~",
            ".sender_relay.20261127-211500-01.bak",
            "old_sender_relay.20261127-211500-01.bak",
            // another map's backups: `sender_relay.old`'s, and `sender_rel`'s
            "sender_relay.old.20261127-211500-01.bak",
            "sender_rel.20261127-211500-01.bak",
            // not the shape, or no such time, or a sequence never made
            "sender_relay.20261127-211500-1.bak",
            "sender_relay.20261127-211500-001.bak",
            "sender_relay.2026112-2115000-01.bak",
            "sender_relay.20261127_211500_01.bak",
            "sender_relay.20261327-211500-01.bak",
            "sender_relay.20261127-251500-01.bak",
            "sender_relay.20261127-211500-00.bak",
            "sender_relay.2026-11-27-211500-01.bak",
            "sender_relay.+0261127-211500-01.bak",
        ] {
            assert!(!is_backup_of(std::ffi::OsStr::new(other), map), "{other}");
        }
    }

    /// A map with `old` backups made a minute apart on 1 November, and beside them what must
    /// never be taken for one: a backup kept by hand, another map's backup, a name a day that
    /// does not exist, and a link and a directory named as backups (the link to a file that
    /// stands for one a backup regime keeps elsewhere).
    fn map_with_backups(
        old: u32,
    ) -> (
        tempfile::TempDir,
        PathBuf,
        MapSpec,
        PostfixInstance,
        Vec<PathBuf>,
    ) {
        let (dir, p, spec, inst) = two_backups_setup();
        let first = Local.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
        for i in 0..old {
            let at = first + chrono::Duration::minutes(i.into());
            std::fs::write(backup_path(&p, at, 1), format!("backup {i}\n")).unwrap();
        }
        let d = dir.path();
        std::fs::create_dir(d.join("elsewhere")).unwrap();
        let elsewhere = d
            .join("elsewhere")
            .join("sender_relay.20190101-000000-01.bak");
        std::fs::write(&elsewhere, "kept elsewhere\n").unwrap();
        let link = d.join("sender_relay.20200101-000000-01.bak");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let look_alikes = vec![
            d.join("sender_relay.bak"),
            d.join("sender_relay.20200101-000000-01.bak.orig"),
            d.join("sender_relay.old.20200101-000000-01.bak"),
            d.join("sender_relay.20201301-000000-01.bak"),
        ];
        for f in &look_alikes {
            std::fs::write(f, "not a backup opsdeck made\n").unwrap();
        }
        std::fs::create_dir(d.join("sender_relay.20200101-000000-02.bak")).unwrap();
        let mut kept = look_alikes;
        kept.extend([
            link,
            elsewhere,
            d.join("sender_relay.20200101-000000-02.bak"),
        ]);
        (dir, p, spec, inst, kept)
    }

    /// Add a route for `sender` to the map with Postfix not run (as the demo does), keeping
    /// `keep` backups.
    fn edit(
        inst: &PostfixInstance,
        spec: &MapSpec,
        sender: &str,
        keep: usize,
        now: DateTime<Local>,
    ) -> RouteReport {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let test = RunPostfix::No("test");
        add_route(
            &access,
            inst,
            spec,
            sender,
            "[h]:587",
            test,
            keep,
            now,
            &mut |_| {},
        )
    }

    /// This map's backups, as regular files, oldest first.
    fn backups_of(p: &Path) -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_backup_of(std::ffi::OsStr::new(n), p.file_name().unwrap()))
            .collect();
        found.sort();
        found
    }

    /// An edit that succeeded leaves the newest backups of its map, its own among them, and
    /// says how many older ones went; nothing else in the directory is touched.
    #[test]
    fn a_successful_edit_keeps_the_newest_backups_of_its_map() {
        let (_dir, p, spec, inst, kept) = map_with_backups(12);
        let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
        let r = edit(&inst, &spec, "bob@example.com", 10, now);
        assert!(r.ok, "{r:?}");
        let step = r.steps.last().unwrap();
        assert_eq!(
            (step.what.as_str(), step.ok),
            ("removed 3 backups older than the newest 10", true),
            "{r:?}"
        );
        // the nine newest of before, then the edit's own
        let mut want: Vec<String> = (3..12)
            .map(|i| format!("sender_relay.20261101-08{i:02}00-01.bak"))
            .collect();
        want.push("sender_relay.20261127-211500-01.bak".into());
        assert_eq!(backups_of(&p), want);
        assert_eq!(
            std::fs::read_to_string(p.with_file_name(&want[9])).unwrap(),
            "alice@example.com [h]:587\n"
        );
        for f in &kept {
            assert!(std::fs::symlink_metadata(f).is_ok(), "{f:?} was removed");
        }
        assert_eq!(
            std::fs::read_to_string(&kept[kept.len() - 2]).unwrap(),
            "kept elsewhere\n"
        );
        // the next edit has as many to keep, and one to remove
        let r = edit(&inst, &spec, "carol@example.com", 10, now);
        assert_eq!(
            r.steps.last().unwrap().what.as_str(),
            "removed 1 backup older than the newest 10"
        );
        assert_eq!(backups_of(&p).len(), 10);
    }

    /// After the clock was set back, the edit's own backup has an older name than the others:
    /// it stays all the same, with the newest of the others.
    #[test]
    fn the_backup_just_made_stays_whatever_its_name() {
        let (_dir, p, spec, inst, _) = map_with_backups(4);
        let before = Local.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
        let r = edit(&inst, &spec, "bob@example.com", 3, before);
        assert!(r.ok, "{r:?}");
        assert_eq!(
            backups_of(&p),
            [
                "sender_relay.20261001-090000-01.bak",
                "sender_relay.20261101-080200-01.bak",
                "sender_relay.20261101-080300-01.bak",
            ]
        );
    }

    /// An edit that fails (postmap, or the reload) removes no backup: its own is what the map
    /// was put back from, and the older ones what a person goes back to.
    #[test]
    fn a_failed_edit_removes_no_backup() {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        // postmap fails; postmap passes and the reload fails
        for prefix in [
            vec!["false".to_string()],
            vec!["sh".into(), "-c".into(), "[ \"$0\" = postmap ]".into()],
        ] {
            let (_dir, p, spec, mut inst, kept) = map_with_backups(12);
            inst.command_prefix = prefix;
            let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
            let r = add_route(
                &access,
                &inst,
                &spec,
                "bob@example.com",
                "[h]:587",
                RunPostfix::Yes,
                10,
                now,
                &mut |_| {},
            );
            assert!(r.done && !r.ok, "{r:?}");
            assert!(
                !r.steps.iter().any(|s| s.what.contains("backups older")),
                "{r:?}"
            );
            assert_eq!(backups_of(&p).len(), 13, "{r:?}");
            for f in &kept {
                assert!(std::fs::symlink_metadata(f).is_ok(), "{f:?} was removed");
            }
        }
    }

    fn two_backups_setup() -> (tempfile::TempDir, PathBuf, MapSpec, PostfixInstance) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sender_relay");
        std::fs::write(&p, "alice@example.com [h]:587\n").unwrap();
        let spec = maps::parse_map_list(&format!("hash:{}", p.display())).remove(0);
        let inst = PostfixInstance {
            name: "demo".into(),
            config_dir: dir.path().into(),
            command_prefix: vec![],
        };
        (dir, p, spec, inst)
    }

    fn backups_in(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".bak"))
            .collect();
        found.sort();
        found
    }

    /// Two edits in one second (one clock reading for both): each keeps its own backup, and
    /// the one before the first edit still holds the map as it was before either.
    #[test]
    fn two_edits_in_one_second_keep_both_backups() {
        let (dir, p, spec, inst) = two_backups_setup();
        let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
        for sender in ["bob@example.com", "carol@example.com"] {
            let r = edit(&inst, &spec, sender, default_keep(), now);
            assert!(r.ok, "{r:?}");
        }
        let backups = backups_in(dir.path());
        assert_eq!(
            backups,
            [
                dir.path().join("sender_relay.20261127-211500-01.bak"),
                dir.path().join("sender_relay.20261127-211500-02.bak"),
            ]
        );
        // sorted by name, they are in the order of the edits
        assert_eq!(
            std::fs::read_to_string(&backups[0]).unwrap(),
            "alice@example.com [h]:587\n"
        );
        assert_eq!(
            std::fs::read_to_string(&backups[1]).unwrap(),
            "alice@example.com [h]:587\nbob@example.com\t[h]:587\n"
        );
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "alice@example.com [h]:587\nbob@example.com\t[h]:587\ncarol@example.com\t[h]:587\n"
        );
    }

    /// Every backup name of the second taken: the edit is refused, not made without a backup,
    /// and no backup is overwritten.
    #[test]
    fn no_free_backup_name_refuses_the_edit() {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let (dir, p, spec, inst) = two_backups_setup();
        let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
        for seq in 1..=BACKUPS_PER_SECOND {
            std::fs::write(backup_path(&p, now, seq), format!("kept {seq}\n")).unwrap();
        }
        let r = add_route(
            &access,
            &inst,
            &spec,
            "bob@example.com",
            "[h]:587",
            RunPostfix::No("test"),
            default_keep(),
            now,
            &mut |_| {},
        );
        assert!(r.done && !r.ok, "{r:?}");
        assert_eq!(r.outcome.as_str(), "nothing changed");
        let last = r.steps.last().unwrap();
        assert!(
            last.output
                .ends_with("99 backups of this map in one second; try again in a second"),
            "{r:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "alice@example.com [h]:587\n"
        );
        assert_eq!(
            std::fs::read_to_string(backup_path(&p, now, 1)).unwrap(),
            "kept 1\n"
        );
        assert_eq!(backups_in(dir.path()).len(), BACKUPS_PER_SECOND as usize);
    }

    #[test]
    fn atomic_write_keeps_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m");
        std::fs::write(&p, "a b\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&p, b"a b\nc d\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a b\nc d\n");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // no temp file left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Add `bob@example.com [h]:587` to the hash map at `map`, of an instance whose
    /// configuration is the map's directory, with no postmap or reload.
    fn add_bob_to(map: &Path) -> RouteReport {
        let spec = maps::parse_map_list(&format!("hash:{}", map.display())).remove(0);
        let inst = PostfixInstance {
            name: "demo".into(),
            config_dir: map.parent().unwrap().into(),
            command_prefix: vec![],
        };
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let now = Local.with_ymd_and_hms(2026, 11, 27, 21, 15, 0).unwrap();
        add_route(
            &access,
            &inst,
            &spec,
            "bob@example.com",
            "[h]:587",
            RunPostfix::No("a test"),
            10,
            now,
            &mut |_| {},
        )
    }

    /// A map that is a link leading nowhere is said to be one, and nothing is made beside it.
    #[test]
    fn a_map_linked_to_no_file_is_said_to_be_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sender_relay");
        std::os::unix::fs::symlink("/srv/maps/gone", &p).unwrap();
        let r = add_bob_to(&p);
        assert!(r.done && !r.ok, "{r:?}");
        let last = r.steps.last().unwrap();
        assert_eq!(
            last.output.as_str(),
            format!(
                "{}: a symbolic link to /srv/maps/gone, which leads to no file (No such file or \
                 directory (os error 2))",
                p.display()
            )
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A FIFO at the map's name is said at once: the edit does not wait for a writer, and
    /// leaves nothing beside it.
    #[test]
    fn a_fifo_named_as_the_map_holds_no_edit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sender_relay");
        crate::plainfile::testing::mkfifo(&p);
        let (tx, rx) = std::sync::mpsc::channel();
        let map = p.clone();
        std::thread::spawn(move || {
            let _ = tx.send(add_bob_to(&map));
        });
        let r = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the edit still waits on the FIFO after 5 s");
        assert!(r.done && !r.ok, "{r:?}");
        let last = r.steps.last().unwrap();
        assert_eq!(last.what.as_str(), format!("read {}", p.display()));
        assert_eq!(
            last.output.as_str(),
            "is a FIFO (named pipe), not a plain file"
        );
        // nothing beside it: no backup, no temp file
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// The map's directory is resolved once: a link put at the map's name between the read and
    /// the write is replaced by the new map, never written through.
    #[test]
    fn a_link_put_at_a_linked_maps_name_during_the_edit_is_not_written_through() {
        // /etc/postfix/sender_relay -> a file in a directory another user keeps: between the
        // read and the write, they put a link there to a file of root's
        let dir = tempfile::tempdir().unwrap();
        let [etc, theirs, roots] = ["etc", "theirs", "roots"].map(|n| {
            let d = dir.path().join(n);
            std::fs::create_dir(&d).unwrap();
            d
        });
        let target = theirs.join("sender_relay");
        std::fs::write(&target, "* * * * * root their-command\n").unwrap();
        let p = etc.join("sender_relay");
        std::os::unix::fs::symlink(&target, &p).unwrap();
        let crontab = roots.join("crontab");
        std::fs::write(&crontab, "kept\n").unwrap();
        let (planted, link_to) = (target.clone(), crontab.clone());
        testing::pause_before_the_write(move || {
            std::fs::remove_file(&planted).unwrap();
            std::os::unix::fs::symlink(&link_to, &planted).unwrap();
        });
        let r = add_bob_to(&p);
        testing::pause_before_the_write(|| {});
        assert_eq!(std::fs::read_to_string(&crontab).unwrap(), "kept\n");
        // the map is written where it was read, the link put there replaced
        assert!(r.ok, "{r:?}");
        assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "* * * * * root their-command\nbob@example.com\t[h]:587\n"
        );
    }

    /// The directory the map's link leads to is swapped for a link to root's own directory
    /// between the path's resolving and the directory's opening (by whoever may write the
    /// directory above it): the edit is refused, saying so, and root's file of the map's name
    /// is untouched, never written with the map's text.
    #[test]
    fn a_directory_swapped_for_a_link_before_it_is_opened_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let [etc, theirs, roots] = ["etc", "theirs", "roots"].map(|n| {
            let d = dir.path().join(n);
            std::fs::create_dir(&d).unwrap();
            d
        });
        std::fs::write(theirs.join("sender_relay"), "a b\n").unwrap();
        let p = etc.join("sender_relay");
        std::os::unix::fs::symlink(theirs.join("sender_relay"), &p).unwrap();
        std::fs::write(roots.join("sender_relay"), "kept\n").unwrap();
        let (swapped, aside, to) = (theirs.clone(), dir.path().join("aside"), roots.clone());
        testing::pause_after_the_resolve(move || {
            std::fs::rename(&swapped, &aside).unwrap();
            std::os::unix::fs::symlink(&to, &swapped).unwrap();
        });
        let r = add_bob_to(&p);
        testing::pause_after_the_resolve(|| {});
        assert_eq!(
            std::fs::read_to_string(roots.join("sender_relay")).unwrap(),
            "kept\n"
        );
        assert!(!r.ok, "{r:?}");
        let said = format!("{r:?}");
        assert!(
            said.contains(
                "a directory on the way became a symbolic link or a file while the map was opened"
            ),
            "{said}"
        );
    }

    /// A map that does not exist yet, in a directory reached through a link (`/etc/postfix`
    /// linked to where configuration management keeps it): its directory is resolved, and the
    /// map is written there.
    #[test]
    fn a_new_map_in_a_linked_directory_is_written_where_it_lives() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept");
        std::fs::create_dir(&kept).unwrap();
        let linked = dir.path().join("postfix");
        std::os::unix::fs::symlink(&kept, &linked).unwrap();
        write_atomic(&linked.join("sender_relay"), b"a b\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(kept.join("sender_relay")).unwrap(),
            "a b\n"
        );
    }

    /// A map kept elsewhere and linked into /etc/postfix (by configuration management, say):
    /// the edit goes into the file the link points to, and the link stays, so that the map
    /// and the file its owner edits remain one.
    #[test]
    fn a_linked_map_is_edited_where_it_lives() {
        let dir = tempfile::tempdir().unwrap();
        let kept = dir.path().join("kept");
        std::fs::create_dir(&kept).unwrap();
        let target = kept.join("sender_relay");
        std::fs::write(&target, "a b\n").unwrap();
        let link = dir.path().join("sender_relay");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"a b\nc d\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link was replaced by a file"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "a b\nc d\n");
        // no temp file left behind in either directory
        assert_eq!(std::fs::read_dir(&kept).unwrap().count(), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_demo_edits_its_map_and_runs_no_postfix() {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sender_relay");
        std::fs::write(&p, "alice@example.com [h]:587\n").unwrap();
        let spec = maps::parse_map_list(&format!("hash:{}", p.display())).remove(0);
        // no main.cf there: postmap or postfix run against it would fail the report
        let inst = PostfixInstance {
            name: "demo".into(),
            config_dir: dir.path().into(),
            command_prefix: vec![],
        };
        let r = add_route(
            &access,
            &inst,
            &spec,
            "bob@example.com",
            "[h]:587",
            RunPostfix::No("demo: the sandbox has no Postfix of its own"),
            default_keep(),
            Local::now(),
            &mut |_| {},
        );
        assert!(r.done && r.ok, "{r:?}");
        assert_eq!(
            r.outcome.as_str(),
            "bob@example.com now relays through [h]:587 in the map"
        );
        let last = r.steps.last().unwrap();
        assert_eq!(
            (last.what.as_str(), last.ok, last.output.as_str()),
            (
                "postmap and postfix reload",
                true,
                "not run: demo: the sandbox has no Postfix of its own"
            )
        );
        assert!(!r.steps.iter().any(|s| s.what.contains("postmap hash:")));
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "alice@example.com [h]:587\nbob@example.com\t[h]:587\n"
        );
    }

    /// A second edit of the map while one is under way (another opsdeck, here from inside the
    /// first's progress report, between its read of the map and its rename): it is refused
    /// and says why, and every entry a report says was added is in the map at the end.
    #[test]
    fn a_second_edit_while_one_is_under_way_is_refused() {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sender_relay");
        std::fs::write(&p, "alice@example.com [h]:587\n").unwrap();
        let spec = maps::parse_map_list(&format!("hash:{}", p.display())).remove(0);
        let inst = PostfixInstance {
            name: "demo".into(),
            config_dir: dir.path().into(),
            command_prefix: vec![],
        };
        let add = |sender: &str, progress: &mut dyn FnMut(&RouteReport)| {
            add_route(
                &access,
                &inst,
                &spec,
                sender,
                "[h]:587",
                RunPostfix::No("test"),
                default_keep(),
                Local::now(),
                progress,
            )
        };
        let mut second: Option<RouteReport> = None;
        let first = add("bob@example.com", &mut |_| {
            if second.is_none() {
                second = Some(add("carol@example.com", &mut |_| {}));
            }
        });
        let second = second.expect("the second edit ran");
        assert!(first.ok, "{first:?}");
        assert!(!second.ok, "{second:?}");
        assert_eq!(second.outcome.as_str(), "nothing changed");
        assert!(
            second
                .steps
                .iter()
                .any(|s| s.output.contains("another edit of a map in")),
            "{second:?}"
        );
        let text = std::fs::read_to_string(&p).unwrap();
        for r in [&first, &second].into_iter().filter(|r| r.ok) {
            assert!(
                text.contains(r.sender.as_str()),
                "{} lost: {text}",
                r.sender
            );
        }
        // once the first is done, the next edit goes through
        assert!(add("carol@example.com", &mut |_| {}).ok);
    }

    #[test]
    fn refuses_bad_input_without_touching_the_map() {
        let access = WriteAccess::for_mode(crate::access::Mode::Interactive).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sender_relay");
        std::fs::write(&p, "alice@example.com [h]:587\n").unwrap();
        let spec = maps::parse_map_list(&format!("texthash:{}", p.display())).remove(0);
        let inst = PostfixInstance {
            name: "t".into(),
            config_dir: dir.path().into(),
            command_prefix: vec![],
        };
        let now = Local::now();
        let mut none = |_: &RouteReport| {};
        for (sender, relay) in [
            ("not an address", "[h]:587"),
            ("bob@example.com", "[h]:587 extra"),
            ("alice@example.com", "[h]:587"),
            // a key Postfix never looks up
            ("root@", "[h]:587"),
        ] {
            let r = add_route(
                &access,
                &inst,
                &spec,
                sender,
                relay,
                RunPostfix::Yes,
                default_keep(),
                now,
                &mut none,
            );
            assert!(r.done && !r.ok, "{r:?}");
            assert!(r.outcome.starts_with("nothing changed"), "{r:?}");
            if sender == "root@" {
                assert!(
                    r.steps[0].output.contains("never looks up a user@ key"),
                    "{r:?}"
                );
            }
        }
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "alice@example.com [h]:587\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no backup for a refused edit"
        );
    }
}
