//! A private OpenSSH server on 127.0.0.1 for the ssh fetch tests: its own
//! config, host key, authorized_keys and log in a temp dir (no PAM,
//! StrictModes off, the current user allowed by key only), serving the
//! fixture's bare repository through `git-upload-pack`; and a private
//! `ssh-agent`. Both stop when their guard drops. Needs the Debian package
//! `openssh-server` (sshd) and `openssh-client` (ssh-keygen, ssh-agent,
//! ssh-add); a missing one fails the test with its name.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::ports::{self, PortTaken, Wait};

const SSHD: &str = "/usr/sbin/sshd";

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{what} is required for the ssh tests and could not be run: {e}")
    });
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new ed25519 key pair at `path` (and `path.pub`); the public line.
pub fn keygen(path: &Path) -> String {
    run(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "opsdeck-test", "-f"])
            .arg(path),
        "ssh-keygen (package openssh-client)",
    );
    std::fs::read_to_string(path.with_extension("pub"))
        .unwrap()
        .trim()
        .to_string()
}

/// `SHA256:...` of a public key file, as ssh-keygen prints it.
pub fn fingerprint(pub_file: &Path) -> String {
    let out = run(
        Command::new("ssh-keygen").arg("-lf").arg(pub_file),
        "ssh-keygen (package openssh-client)",
    );
    out.split_whitespace().nth(1).unwrap().to_string()
}

pub fn current_user() -> String {
    run(Command::new("id").arg("-un"), "id")
}

pub struct Sshd {
    pub dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    pub user: String,
    /// The server's host public key file.
    pub host_pub: PathBuf,
    /// A client key listed in authorized_keys.
    pub client_key: PathBuf,
    pub log: PathBuf,
}

impl Sshd {
    /// Start sshd on a fresh free port accepting `client_key` (made here) for the current user.
    /// A port taken by another test in the meantime makes it start again on a new one.
    pub fn start() -> Sshd {
        Sshd::start_trying(ports::fresh_ports())
    }

    /// [`Sshd::start`] on the ports in `candidates`, in turn.
    pub fn start_trying(candidates: impl IntoIterator<Item = [u16; 1]>) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} (package openssh-server) is required for the ssh fetch tests"
        );
        // sshd refuses to start without its privilege separation directory.
        std::fs::create_dir_all("/run/sshd").expect("cannot create /run/sshd for sshd");
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-sshd-")
            .tempdir()
            .unwrap();
        let host_key = dir.path().join("host_ed25519");
        keygen(&host_key);
        let client_key = dir.path().join("client_ed25519");
        let client_pub = keygen(&client_key);
        let auth = dir.path().join("authorized_keys");
        std::fs::write(&auth, format!("{client_pub}\n")).unwrap();
        let user = current_user();
        let log = dir.path().join("sshd.log");
        let conf = dir.path().join("sshd_config");
        let (child, [port]) = ports::start_on_ports("sshd", candidates, |[port]| {
            std::fs::write(
                &conf,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
                     AuthorizedKeysFile {}\nStrictModes no\nUsePAM no\n\
                     PermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                     AllowUsers {user}\nLogLevel VERBOSE\nMaxStartups 20\n",
                    host_key.display(),
                    dir.path().join("sshd.pid").display(),
                    auth.display(),
                ),
            )
            .unwrap();
            run(
                Command::new(SSHD).arg("-t").arg("-f").arg(&conf),
                "sshd -t (package openssh-server)",
            );
            // A failed attempt's log would make this attempt's failure look like a taken port.
            let _ = std::fs::remove_file(&log);
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-f")
                .arg(&conf)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("sshd (package openssh-server) could not be started");
            match ports::wait_listening(&mut child, "sshd", &[port], Duration::from_secs(20)) {
                Wait::Listening => Ok(child),
                Wait::Exited(status) => {
                    let text = std::fs::read_to_string(&log).unwrap_or_default();
                    if text.contains(ports::ADDRESS_IN_USE) {
                        Err(PortTaken(text))
                    } else {
                        panic!("sshd exited ({status}) at start:\n{text}")
                    }
                }
            }
        });
        Sshd {
            host_pub: host_key.with_extension("pub"),
            client_key,
            log,
            user,
            port,
            child,
            dir,
        }
    }

    /// The URL of a repository on this server.
    pub fn url(&self, repo: &Path) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            repo.display()
        )
    }

    /// The server's key as a known_hosts line for this port.
    pub fn known_hosts_line(&self) -> String {
        let pubkey = std::fs::read_to_string(&self.host_pub).unwrap();
        let mut f = pubkey.split_whitespace();
        let (kind, key) = (f.next().unwrap(), f.next().unwrap());
        format!("[127.0.0.1]:{} {kind} {key}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private ssh-agent listening on a socket in a temp dir.
pub struct Agent {
    pub dir: tempfile::TempDir,
    pub sock: PathBuf,
    child: Child,
}

impl Agent {
    pub fn start() -> Agent {
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-agent-")
            .tempdir()
            .unwrap();
        let sock = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (package openssh-client) is required for the agent test");
        let a = Agent { dir, sock, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !a.sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        a
    }

    /// `ssh-add` a private key to this agent.
    pub fn add(&self, key: &Path) {
        run(
            Command::new("ssh-add")
                .arg("-q")
                .arg(key)
                .env("SSH_AUTH_SOCK", &self.sock),
            "ssh-add (package openssh-client)",
        );
    }

    /// Forget every key.
    pub fn clear(&self) {
        run(
            Command::new("ssh-add")
                .arg("-D")
                .env("SSH_AUTH_SOCK", &self.sock),
            "ssh-add -D",
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
