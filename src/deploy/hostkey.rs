//! The SSH host key check for fetches: the key the server shows is looked
//! up in a known_hosts file (the target's `known_hosts`, else
//! `$HOME/.ssh/known_hosts`), read by libssh2's own reader (plain and
//! hashed names, `[host]:port` entries), the same one libgit2 uses.
//!
//! A host that is not listed, or listed with another key, is refused with
//! a sentence saying which file, which host and the key's SHA256
//! fingerprint. There is no trust on first use: a new host must be added
//! by a person (`ssh-keyscan`). This module only reads files; it never
//! writes a known_hosts file.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use ssh2::{CheckResult, KnownHostFileKind, Session};

/// What the known_hosts file says of a host key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Known,
    /// Refused, with the reason to show.
    Refused(String),
}

/// The known_hosts file a target uses.
pub fn known_hosts_path(configured: Option<&Path>) -> Option<PathBuf> {
    configured.map(Path::to_path_buf).or_else(|| {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ssh").join("known_hosts"))
    })
}

/// The port of an ssh remote URL (`ssh://[user@]host[:port]/path`,
/// `git+ssh://`, `ssh+git://`, or scp-like `[user@]host:path`), 22 when
/// none is given; None for other transports.
pub fn ssh_port(url: &str) -> Option<u16> {
    let rest = ["ssh://", "git+ssh://", "ssh+git://"]
        .iter()
        .find_map(|p| url.strip_prefix(p));
    let Some(rest) = rest else {
        // scp-like: no scheme, a colon before any slash.
        let colon = url.find(':')?;
        if url.contains("://") || url[..colon].contains('/') {
            return None;
        }
        return Some(22);
    };
    let authority = rest.split('/').next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or("");
    let port = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split_once(']')
            .and_then(|(_, p)| p.strip_prefix(':'))
            .unwrap_or("")
    } else {
        hostport.rsplit_once(':').map(|(_, p)| p).unwrap_or("")
    };
    if port.is_empty() {
        Some(22)
    } else {
        port.parse().ok()
    }
}

/// `SHA256:<base64>` as `ssh-keygen -l` prints it.
pub fn fingerprint(sha256: &[u8]) -> String {
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha256)
    )
}

fn shown_host(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Look `key` (the raw key blob the server sent) up for `host`:`port` in
/// `file`. `describe` is the key type and fingerprint for messages.
pub fn check(file: Option<&Path>, host: &str, port: u16, key: &[u8], describe: &str) -> Verdict {
    let shown = shown_host(host, port);
    let Some(file) = file else {
        return Verdict::Refused(format!(
            "host key of {shown} ({describe}) cannot be checked: no known_hosts file (HOME is not set; set known_hosts in the [[deploy]] target)"
        ));
    };
    let add = format!(
        "if it is the right key, add it with: ssh-keyscan{} {host} >> {}",
        if port == 22 {
            String::new()
        } else {
            format!(" -p {port}")
        },
        file.display()
    );
    // libssh2 opens the file by its name and reads it to its end: a FIFO there would hold the
    // fetch until a writer came, a device would never end. Only a plain file (a link to one)
    // is handed to it.
    if let Ok(m) = std::fs::metadata(file)
        && !m.is_file()
    {
        return Verdict::Refused(format!(
            "host key of {shown} ({describe}) cannot be checked: {} is {}, not a plain file",
            file.display(),
            crate::plainfile::kind(&m)
        ));
    }
    let result = Session::new().and_then(|s| {
        let mut kh = s.known_hosts()?;
        match kh.read_file(file, KnownHostFileKind::OpenSSH) {
            Ok(_) => Ok(Some(kh.check_port(host, port, key))),
            // A missing file is an empty one.
            Err(_) if !file.exists() => Ok(None),
            Err(e) => Err(e),
        }
    });
    match result {
        Ok(Some(CheckResult::Match)) => Verdict::Known,
        Ok(Some(CheckResult::Mismatch)) => Verdict::Refused(format!(
            "host key of {shown} ({describe}) does NOT match the one in {}: refusing to fetch (the key changed, or someone is in between); check the server's key before replacing the entry",
            file.display()
        )),
        Ok(Some(CheckResult::NotFound)) => Verdict::Refused(format!(
            "host key of {shown} ({describe}) is not in {}; {add}",
            file.display()
        )),
        Ok(None) => Verdict::Refused(format!(
            "host key of {shown} ({describe}) cannot be checked: {} does not exist; {add}",
            file.display()
        )),
        Ok(Some(CheckResult::Failure)) => Verdict::Refused(format!(
            "host key of {shown} ({describe}): libssh2 could not check it against {}",
            file.display()
        )),
        Err(e) => Verdict::Refused(format!(
            "host key of {shown} ({describe}): {} cannot be read: {}",
            file.display(),
            e.message()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_of_ssh_urls() {
        for (url, port) in [
            ("ssh://git@example.org/site.git", Some(22)),
            ("ssh://git@example.org:2222/site.git", Some(2222)),
            ("ssh://example.org:2222/site.git", Some(2222)),
            ("git+ssh://u@h:7/x", Some(7)),
            ("ssh+git://h/x", Some(22)),
            ("ssh://u@[::1]:2200/x", Some(2200)),
            ("ssh://u@[::1]/x", Some(22)),
            ("git@example.org:site.git", Some(22)),
            ("example.org:/srv/git/site.git", Some(22)),
            ("https://example.org/site.git", None),
            ("file:///srv/git/site.git", None),
            ("/srv/git/site.git", None),
            ("ssh://h:notaport/x", None),
        ] {
            assert_eq!(ssh_port(url), port, "{url}");
        }
    }

    #[test]
    fn fingerprint_matches_ssh_keygen_form() {
        // SHA256 of nothing (`printf "" | sha256sum`), unpadded base64.
        let sha = [
            0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
            0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
            0x78, 0x52, 0xb8, 0x55,
        ];
        assert_eq!(
            fingerprint(&sha),
            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIBhbNZVriqirWUW1CtOHaIKyZNL3/mrZRLa4AXNR8DFj";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILT+GP32XEBsE7Fy20/010JHpu0qjUTyXVF5Uj/sd0pC";

    fn blob(b64: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    /// A known_hosts that is a FIFO is refused at once, saying so, never handed to libssh2
    /// (which would wait for a writer).
    #[test]
    fn a_known_hosts_that_is_a_fifo_is_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        nix::unistd::mkfifo(&file, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert_eq!(
            check(Some(&file), "example.org", 22, &blob(KEY_A), "k"),
            Verdict::Refused(format!(
                "host key of example.org (k) cannot be checked: {} is a FIFO (named pipe), not a plain file",
                file.display()
            ))
        );
    }

    #[test]
    fn known_mismatched_and_unknown_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("known_hosts");
        std::fs::write(
            &file,
            format!("[127.0.0.1]:2222 ssh-ed25519 {KEY_A}\nexample.org ssh-ed25519 {KEY_B}\n"),
        )
        .unwrap();
        let f = Some(file.as_path());
        assert_eq!(
            check(f, "127.0.0.1", 2222, &blob(KEY_A), "k"),
            Verdict::Known
        );
        assert_eq!(
            check(f, "example.org", 22, &blob(KEY_B), "k"),
            Verdict::Known
        );
        let Verdict::Refused(m) = check(f, "127.0.0.1", 2222, &blob(KEY_B), "ED25519 SHA256:x")
        else {
            panic!("a different key must be refused")
        };
        assert!(m.contains("does NOT match"), "{m}");
        assert!(m.contains("[127.0.0.1]:2222"), "{m}");
        // The same address on another port is another host.
        let Verdict::Refused(m) = check(f, "127.0.0.1", 22, &blob(KEY_A), "k") else {
            panic!("an unlisted host must be refused")
        };
        assert!(m.contains("is not in"), "{m}");
        assert!(m.contains("ssh-keyscan 127.0.0.1 >>"), "{m}");
        let Verdict::Refused(m) = check(
            Some(&dir.path().join("missing")),
            "example.org",
            22,
            &blob(KEY_B),
            "k",
        ) else {
            panic!("no file, no trust")
        };
        assert!(m.contains("does not exist"), "{m}");
    }
}
