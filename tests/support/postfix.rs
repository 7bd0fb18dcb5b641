//! A private, real Postfix instance for one test: its own config, queue, data and log under a temp dir.
//!
//! It must never read or change the host's `/etc/postfix`, `/var/spool/postfix` or `/var/lib/postfix`
//! (only Debian's read-only `meta_directory` and binaries are shared), and it stops its daemons on drop.
//!
//! # API
//!
//! ```ignore
//! let ses = SesSmtp::start(SesOptions { verified: vec!["ok@example.com".into()], ..Default::default() });
//! let pf = PostfixHarness::start(
//!     PostfixOptions::relaying_to(&ses)                  // relayhost = [127.0.0.1]:PORT
//!         .main_cf("smtp_sasl_auth_enable", "yes")       // any extra main.cf parameter
//!         .map("sasl_passwd", "[127.0.0.1]:2525 user:pw") // written to etc/sasl_passwd, postmapped (hash:)
//!         .main_cf_map("smtp_sasl_password_maps", "sasl_passwd") // = hash:<etc>/sasl_passwd
//! );
//! pf.submit("ok@example.com", "to@example.net", "Subject: hi\n\nbody\n"); // sendmail -C etc -f ... -- to
//! pf.submit_smtp("ok@example.com", &["to@example.net"], "Subject: hi\r\n\r\nbody\r\n") // to its smtpd
//! let log = pf.wait_for_log(|log| log.contains("status=sent"), Duration::from_secs(20)).unwrap();
//! pf.postqueue_json();        // Vec<serde_json::Value>, one per queued message (`postqueue -j`)
//! pf.postconf_set(&[("relayhost", "[127.0.0.1]:1")]); pf.reload();
//! pf.write_map("sender_relay", "a@b [127.0.0.1]:25\n"); // rewrite + postmap at runtime
//! pf.config_dir(); pf.log_path(); pf.queue_dir(); pf.smtpd_port(); pf.root();
//! pf.command("postqueue") // a std::process::Command with `-c <etc>` already set (postqueue/postsuper/postconf/postcat/postmap)
//! ```
//!
//! Layout under the temp root: `etc/` (main.cf, master.cf, maps), `spool/` (queue_directory),
//! `data/` (data_directory, holds `master.lock`: per instance, so instances run side by side),
//! `log/mail.log` (maillog_file, the root listed in `maillog_file_prefixes`).
//! chroot is off for every service, smtpd listens on a free 127.0.0.1 port, no DNS is used
//! (`smtp_host_lookup = native`, `disable_dns_lookups = yes`, `[host]:port` relayhost), retries are
//! quick (`queue_run_delay`/`minimal_backoff_time` 1s, `maximal_backoff_time` 2s unless overridden).
//!
//! Start-up fails with a message naming what is missing when not run as root or when Postfix is not
//! installed (`apt-get install postfix`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

use super::ports::{self, PortTaken};
use super::ses_smtp::SesSmtp;

/// How to build the instance. Later `main_cf` entries override earlier ones and the defaults.
#[derive(Clone, Debug, Default)]
pub struct PostfixOptions {
    pub relayhost: Option<String>,
    pub myhostname: Option<String>,
    /// Extra `main.cf` parameters, in order.
    pub main_cf: Vec<(String, String)>,
    /// Map files to write into `etc/` and `postmap` (hash:) before start: (file name, contents).
    pub maps: Vec<(String, String)>,
    /// Map files to write but not postmap (for `pcre:`/`regexp:`/`texthash:`): (file name, contents).
    pub plain_files: Vec<(String, String)>,
    /// Extra `master.cf` service lines (a `pipe` transport, say), appended after the defaults.
    pub master_cf: Vec<String>,
}

impl PostfixOptions {
    /// Relay everything to this SES-like endpoint.
    pub fn relaying_to(ses: &SesSmtp) -> PostfixOptions {
        PostfixOptions {
            relayhost: Some(ses.relayhost()),
            ..PostfixOptions::default()
        }
    }

    pub fn relayhost(mut self, relayhost: impl Into<String>) -> Self {
        self.relayhost = Some(relayhost.into());
        self
    }

    pub fn myhostname(mut self, name: impl Into<String>) -> Self {
        self.myhostname = Some(name.into());
        self
    }

    /// Add (or override) one `main.cf` parameter.
    pub fn main_cf(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.main_cf.push((key.into(), value.into()));
        self
    }

    /// Write `etc/<name>` with `contents` and run `postmap hash:etc/<name>` before start.
    pub fn map(mut self, name: impl Into<String>, contents: impl Into<String>) -> Self {
        self.maps.push((name.into(), contents.into()));
        self
    }

    /// Append one service to `master.cf` (for example
    /// `fail unix - n n - - pipe flags=R user=nobody argv=/bin/false`).
    pub fn master_cf(mut self, line: impl Into<String>) -> Self {
        self.master_cf.push(line.into());
        self
    }

    /// Write `etc/<name>` as is (no postmap).
    pub fn file(mut self, name: impl Into<String>, contents: impl Into<String>) -> Self {
        self.plain_files.push((name.into(), contents.into()));
        self
    }

    /// Set `key = hash:<etc>/<map_name>` (the path is only known at start; resolved then).
    pub fn main_cf_map(self, key: impl Into<String>, map_name: &str) -> Self {
        self.main_cf(key, format!("hash:$config_directory/{map_name}"))
    }

    /// Deferred mail waits until [`PostfixHarness::flush`]: no retry on a timer. A test that
    /// reloads with deferred mail needs this, or a retry may be in flight during the reload, and
    /// the new queue manager then leaves that message in the active queue ("skipped, still being
    /// delivered") until the next restart.
    pub fn retry_only_on_flush(self) -> Self {
        self.main_cf("minimal_backoff_time", "3600s")
            .main_cf("maximal_backoff_time", "3600s")
    }

    /// SASL client auth to the relayhost with this user and password (no TLS: plaintext allowed).
    pub fn sasl_client(self, relayhost: &str, user: &str, password: &str) -> Self {
        self.sasl_password_map(format!("{relayhost} {user}:{password}\n"))
    }

    /// SASL client auth with this password map (`key user:password` lines; no TLS: plaintext
    /// allowed).
    pub fn sasl_password_map(self, entries: impl Into<String>) -> Self {
        self.map("sasl_passwd", entries)
            .main_cf("smtp_sasl_auth_enable", "yes")
            .main_cf_map("smtp_sasl_password_maps", "sasl_passwd")
            .main_cf("smtp_sasl_security_options", "noanonymous")
    }
}

/// A running private Postfix instance. Dropping it runs `postfix -c <etc> stop` and removes the dir.
pub struct PostfixHarness {
    root: tempfile::TempDir,
    smtpd_port: u16,
}

fn require_environment() {
    if !nix::unistd::geteuid().is_root() {
        panic!(
            "postfix harness: these tests need root (a private Postfix instance is started with `postfix -c DIR start`); run the test suite as root"
        );
    }
    for bin in [
        "/usr/sbin/postfix",
        "/usr/sbin/postconf",
        "/usr/sbin/sendmail",
        "/usr/sbin/postmap",
        "/usr/sbin/postqueue",
    ] {
        if !Path::new(bin).exists() {
            panic!(
                "postfix harness: {bin} is missing: install Postfix (`apt-get install postfix`)"
            );
        }
    }
    if Command::new("id")
        .arg("postfix")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        panic!("postfix harness: no `postfix` user: install Postfix (`apt-get install postfix`)");
    }
}

/// Run `cmd` to its end, or kill it after `limit`: a Postfix command that hangs (a deadlocked
/// instance) then fails the test with a message instead of stalling the whole suite.
fn output_within(cmd: &mut Command, limit: Duration) -> Result<std::process::Output, String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| format!("{cmd:?}: {e}")),
        Err(_) => {
            let _ = signal::kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            Err(format!("{cmd:?} still running after {limit:?}: killed"))
        }
    }
}

fn run_checked(cmd: &mut Command) -> String {
    let out = output_within(cmd, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("postfix harness: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        panic!("postfix harness: {cmd:?} failed ({}): {text}", out.status);
    }
    text
}

const MASTER_CF: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

impl PostfixHarness {
    /// Create, configure and start the instance, its smtpd on a fresh free port (a port taken
    /// by another test in the meantime makes it start again on a new one). Panics with a clear
    /// message on any failure.
    pub fn start(opts: PostfixOptions) -> PostfixHarness {
        PostfixHarness::start_trying(opts, ports::fresh_ports())
    }

    /// [`PostfixHarness::start`] with smtpd on the ports in `candidates`, in turn.
    pub fn start_trying(
        opts: PostfixOptions,
        candidates: impl IntoIterator<Item = [u16; 1]>,
    ) -> PostfixHarness {
        require_environment();
        let root = tempfile::Builder::new()
            .prefix("opsdeck-postfix-")
            .tempdir()
            .expect("create temp dir");
        let base = root.path().to_path_buf();
        set_mode(&base, 0o755);
        for d in ["etc", "spool", "data", "log"] {
            std::fs::create_dir_all(base.join(d)).expect("create instance dirs");
            set_mode(&base.join(d), 0o755);
        }
        // postfix's master.lock and postlogd/tlsmgr caches live here: owned by mail_owner.
        run_checked(Command::new("chown").arg("postfix").arg(base.join("data")));
        let etc = base.join("etc");
        let unique = base
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "");
        let myhostname = opts
            .myhostname
            .clone()
            .unwrap_or_else(|| format!("mx-{}.opsdeck.test", unique.to_lowercase()));
        let mut params: Vec<(String, String)> = vec![
            ("compatibility_level".into(), "3.6".into()),
            (
                "queue_directory".into(),
                base.join("spool").display().to_string(),
            ),
            (
                "data_directory".into(),
                base.join("data").display().to_string(),
            ),
            (
                "maillog_file".into(),
                base.join("log/mail.log").display().to_string(),
            ),
            ("maillog_file_prefixes".into(), base.display().to_string()),
            ("myhostname".into(), myhostname),
            ("mydomain".into(), "opsdeck.test".into()),
            ("myorigin".into(), "$myhostname".into()),
            ("mydestination".into(), String::new()),
            ("local_recipient_maps".into(), String::new()),
            ("alias_maps".into(), String::new()),
            ("alias_database".into(), String::new()),
            ("inet_interfaces".into(), "127.0.0.1".into()),
            ("inet_protocols".into(), "ipv4".into()),
            ("mynetworks".into(), "127.0.0.0/8".into()),
            (
                "smtpd_relay_restrictions".into(),
                "permit_mynetworks, reject_unauth_destination".into(),
            ),
            (
                "relayhost".into(),
                opts.relayhost.clone().unwrap_or_default(),
            ),
            ("default_transport".into(), "smtp".into()),
            ("relay_transport".into(), "smtp".into()),
            ("smtp_host_lookup".into(), "native".into()),
            ("disable_dns_lookups".into(), "yes".into()),
            ("smtp_tls_security_level".into(), "none".into()),
            ("smtpd_tls_security_level".into(), "none".into()),
            ("queue_run_delay".into(), "1s".into()),
            ("minimal_backoff_time".into(), "1s".into()),
            ("maximal_backoff_time".into(), "2s".into()),
            ("smtp_connect_timeout".into(), "5s".into()),
            ("biff".into(), "no".into()),
        ];
        // An override replaces the default in place: a key written twice makes every Postfix
        // process log "overriding earlier entry" through postlogd at start, and with the
        // kernel's default of 10 queued datagrams (net.unix.max_dgram_qlen) postlogd, which logs
        // the same warnings to its own socket, can block on it for good.
        for (key, value) in &opts.main_cf {
            match params.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value.clone(),
                None => params.push((key.clone(), value.clone())),
            }
        }
        let mut main_cf = String::new();
        for (k, v) in &params {
            main_cf.push_str(&format!("{k} = {v}\n"));
        }
        std::fs::write(etc.join("main.cf"), main_cf).expect("write main.cf");
        for (name, contents) in &opts.plain_files {
            std::fs::write(etc.join(name), contents).expect("write map file");
        }
        let mut h = PostfixHarness {
            root,
            smtpd_port: 0,
        };
        for (name, contents) in &opts.maps {
            h.write_map(name, contents);
        }
        let ((), [smtpd_port]) = ports::start_on_ports("postfix", candidates, |[port]| {
            h.start_once(port, &opts.master_cf)
        });
        h.smtpd_port = smtpd_port;
        h
    }

    /// One start of the instance with smtpd on `smtpd_port`, waiting until master listens on it;
    /// [`PortTaken`] when master could not bind it.
    fn start_once(&self, smtpd_port: u16, extra_services: &[String]) -> Result<(), PortTaken> {
        let etc = self.config_dir();
        let mut master = format!("127.0.0.1:{smtpd_port} inet n - n - - smtpd\n{MASTER_CF}");
        for line in extra_services {
            master.push_str(line);
            master.push('\n');
        }
        std::fs::write(etc.join("master.cf"), master).expect("write master.cf");
        // A failed attempt's log would make this attempt's failure look like a taken port, and
        // would be in the log the test reads.
        let _ = std::fs::remove_file(self.log_path());
        let out = output_within(
            Command::new("postfix").arg("-c").arg(&etc).arg("start"),
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("postfix harness: {e}\nlog:\n{}", self.log()));
        if !out.status.success() {
            let said = format!(
                "{}{}\nlog:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log()
            );
            if said.contains(ports::ADDRESS_IN_USE) {
                return Err(PortTaken(said));
            }
            let check = Command::new("script")
                .arg("-qc")
                .arg(format!("postfix -c {} check", etc.display()))
                .arg("/dev/null")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
                .unwrap_or_default();
            panic!(
                "postfix harness: `postfix -c {} start` failed ({}): {said}\npostfix check: {check}",
                etc.display(),
                out.status,
            );
        }
        self.wait_for_log(|l| l.contains("daemon started"), Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("postfix harness: master did not start: {e}"));
        // master binds smtpd's port at start
        let pid = self
            .master_pid()
            .unwrap_or_else(|| panic!("postfix harness: no master.pid after start"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ports::listens(pid as u32, smtpd_port) {
            if Instant::now() > deadline {
                panic!("postfix harness: master does not listen on 127.0.0.1:{smtpd_port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The instance's `config_directory` (pass to `-c`).
    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("etc")
    }

    pub fn queue_dir(&self) -> PathBuf {
        self.root.path().join("spool")
    }

    /// The instance's `maillog_file`.
    pub fn log_path(&self) -> PathBuf {
        self.root.path().join("log/mail.log")
    }

    pub fn smtpd_port(&self) -> u16 {
        self.smtpd_port
    }

    /// The current contents of the mail log (lossy UTF-8; empty if not yet written).
    pub fn log(&self) -> String {
        std::fs::read(self.log_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// A command (`postqueue`, `postsuper`, `postconf`, `postcat`, `postmap`, `postfix`) already
    /// pointed at this instance with `-c <etc>`.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.arg("-c").arg(self.config_dir());
        c
    }

    /// Submit one message with `sendmail -C <etc> -f FROM -- TO`. `body` is the message (headers,
    /// blank line, text); From/To headers are added when missing.
    pub fn submit(&self, from: &str, to: &str, body: &str) {
        let mut message = String::new();
        if !body
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("from:"))
        {
            message.push_str(&format!("From: {from}\n"));
        }
        if !body
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("to:"))
        {
            message.push_str(&format!("To: {to}\n"));
        }
        message.push_str(body);
        let mut child = Command::new("sendmail")
            .arg("-C")
            .arg(self.config_dir())
            .arg("-f")
            .arg(from)
            .arg("--")
            .arg(to)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("postfix harness: cannot run sendmail");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(message.as_bytes())
            .expect("write to sendmail");
        let out = child.wait_with_output().expect("wait for sendmail");
        if !out.status.success() {
            panic!(
                "postfix harness: sendmail failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Submit over SMTP to this instance's smtpd; returns the queue id from the `250 2.0.0 Ok:
    /// queued as ID` reply.
    pub fn submit_smtp(&self, from: &str, to: &[&str], message: &str) -> Result<String, String> {
        use std::io::{BufRead, BufReader};
        let stream = std::net::TcpStream::connect(("127.0.0.1", self.smtpd_port))
            .map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let mut w = stream.try_clone().map_err(|e| e.to_string())?;
        let mut r = BufReader::new(stream);
        let mut reply = || -> Result<String, String> {
            let mut all = String::new();
            loop {
                let mut line = String::new();
                r.read_line(&mut line).map_err(|e| e.to_string())?;
                if line.is_empty() {
                    return Err(format!("connection closed after {all:?}"));
                }
                all.push_str(&line);
                if line.as_bytes().get(3) != Some(&b'-') {
                    return Ok(all);
                }
            }
        };
        let expect = |got: String, code: &str| {
            if got.starts_with(code) {
                Ok(got)
            } else {
                Err(got)
            }
        };
        expect(reply()?, "220")?;
        let mut send = |cmd: &str| {
            w.write_all(format!("{cmd}\r\n").as_bytes())
                .map_err(|e| e.to_string())
        };
        send("EHLO client.opsdeck.test")?;
        expect(reply()?, "250")?;
        send(&format!("MAIL FROM:<{from}>"))?;
        expect(reply()?, "250")?;
        for rcpt in to {
            send(&format!("RCPT TO:<{rcpt}>"))?;
            expect(reply()?, "250")?;
        }
        send("DATA")?;
        expect(reply()?, "354")?;
        let mut data = String::new();
        for line in message.lines() {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
            data.push_str("\r\n");
        }
        data.push('.');
        send(&data)?;
        let got = expect(reply()?, "250")?;
        send("QUIT")?;
        let id = got
            .rsplit("queued as ")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        Ok(id)
    }

    /// `postqueue -c <etc> -j`: one JSON object per queued message (empty when the queue is empty).
    pub fn postqueue_json(&self) -> Vec<serde_json::Value> {
        let out = run_checked(self.command("postqueue").arg("-j"));
        out.lines()
            .filter(|l| l.trim_start().starts_with('{'))
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("postqueue -j: bad JSON {l:?}: {e}"))
            })
            .collect()
    }

    /// Poll the mail log until `predicate(whole log)` holds; returns the log then. On timeout, the
    /// error holds the log so far.
    pub fn wait_for_log(
        &self,
        predicate: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log();
            if predicate(&log) {
                return Ok(log);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out after {timeout:?} waiting for the mail log {}; log so far:\n{log}",
                    self.log_path().display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Poll `postqueue -j` until the queue holds `count` messages and all of them are in the
    /// deferred queue (no delivery in flight). With [`PostfixOptions::retry_only_on_flush`], they
    /// then stay there until the next flush, so a reload, a flush or a look at the queue after
    /// this cannot race a delivery.
    pub fn wait_until_deferred(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<serde_json::Value>, String> {
        let deadline = Instant::now() + timeout;
        let mut last_kick: Option<Instant> = None;
        loop {
            let queue = self.postqueue_json();
            if queue.len() == count && queue.iter().all(|m| m["queue_name"] == "deferred") {
                return Ok(queue);
            }
            // A retry that starts while the delivery agent still holds the queue file's lock
            // makes qmgr log "skipped, still being delivered" and move the message back to
            // `incoming`, stamped 60 s ahead; nothing scans it again until master's next qmgr
            // wakeup, 300 s later. Ask qmgr to scan `incoming` now, time stamps ignored (`IA`),
            // as Postfix's own tools do: this retries that message only.
            if queue.iter().any(|m| m["queue_name"] == "incoming")
                && last_kick.is_none_or(|t| t.elapsed() > Duration::from_secs(2))
                && self.log().contains(": skipped, still being delivered")
            {
                last_kick = Some(Instant::now());
                let _ = self
                    .command("postkick")
                    .args(["public", "qmgr", "IA"])
                    .status();
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out after {timeout:?} waiting for {count} deferred messages; queue: {queue:?}\nlog:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Set main.cf parameters with `postconf -c <etc> -e` (call [`reload`](Self::reload) after).
    pub fn postconf_set(&self, params: &[(&str, &str)]) {
        let mut c = self.command("postconf");
        c.arg("-e");
        for (k, v) in params {
            c.arg(format!("{k}={v}"));
        }
        run_checked(&mut c);
    }

    /// `postconf -c <etc> -h KEY`.
    pub fn postconf_get(&self, key: &str) -> String {
        run_checked(self.command("postconf").arg("-h").arg(key))
            .trim()
            .to_string()
    }

    /// Write `etc/<name>` and `postmap hash:` it. Returns the map reference `hash:<path>`.
    pub fn write_map(&self, name: &str, contents: &str) -> String {
        let path = self.config_dir().join(name);
        std::fs::write(&path, contents).expect("write map");
        let reference = format!("hash:{}", path.display());
        run_checked(self.command("postmap").arg(&reference));
        reference
    }

    /// `postfix -c <etc> reload`.
    pub fn reload(&self) {
        run_checked(self.command("postfix").arg("reload"));
    }

    /// `postqueue -c <etc> -f`: retry deferred mail now.
    pub fn flush(&self) {
        run_checked(self.command("postqueue").arg("-f"));
    }

    fn master_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.queue_dir().join("pid/master.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for PostfixHarness {
    fn drop(&mut self) {
        let pid = self.master_pid();
        let _ = output_within(self.command("postfix").arg("stop"), Duration::from_secs(30));
        if let Some(pid) = pid {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if Path::new(&format!("/proc/{pid}")).exists() {
                // a hung instance: master leads its own process group, which holds its daemons
                let pid = Pid::from_raw(pid);
                let _ = signal::killpg(pid, Signal::SIGKILL);
                let _ = signal::kill(pid, Signal::SIGKILL);
            }
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
