//! An SMTP endpoint on 127.0.0.1 that answers the way Amazon SES's SMTP interface does.
//!
//! It exists so that a real Postfix can relay to something that replies with SES's exact texts; it
//! never relays or stores mail anywhere, it only records what it was given.
//!
//! # API
//!
//! ```ignore
//! let ses = SesSmtp::start(SesOptions {
//!     verified: vec!["ok@example.com".into(), "example.org".into()], // addresses or whole domains
//!     auth: SesAuth::Required { user: "AKIA...".into(), password: "secret".into() },
//!     ..SesOptions::default()
//! });
//! ses.port();                 // bound port (127.0.0.1)
//! ses.relayhost();            // "[127.0.0.1]:PORT", for Postfix's relayhost
//! ses.verify("new@example.com"); ses.unverify("ok@example.com");
//! ses.set_throttle(true);     // every message gets 454 Throttling failure
//! ses.set_daily_quota_exceeded(true); // every message gets 454 Daily message quota exceeded
//! ses.set_sandbox(true);      // recipients must be verified identities too
//! ses.set_paused(true);       // every message gets 554 Sending paused for this account
//! ses.suppress("gone@example.org"); // on the account's suppression list: 554 Address blacklisted.
//! ses.received();             // Vec<Received>: every completed DATA, accepted or not
//! ses.accepted();             // only the ones answered 250
//! ses.auth_attempts();        // Vec<AuthAttempt>: user, mechanism, success
//! ```
//!
//! Replies (all as SES sends them):
//! - greeting `220 email-smtp.amazonaws.com ESMTP SimpleEmailService-d-<id>`
//! - EHLO: `250-AUTH PLAIN LOGIN` when AUTH is offered ([`SesAuth::Off`] offers none)
//! - wrong credentials: `535 Authentication Credentials Invalid`
//! - MAIL FROM without AUTH when required: `530 Authentication required`
//! - after DATA: `250 Ok <0100018c...-000000>` for a verified sender (for a bounce, with
//!   `MAIL FROM:<>`, the address in its `From:` header is checked, as SES does),
//!   `554 Message rejected: Email address is not verified. The following identities failed the
//!   check in region US-EAST-1: <sender>` otherwise, `454 Throttling failure: Maximum sending
//!   rate exceeded.` in throttle mode, `554 Sending paused for this account. ...` while sending
//!   is paused, `554 Address blacklisted.` for a recipient on the suppression list, and
//!   `554 Transaction failed: Duplicate header 'Subject'.` for a message that has a header SES
//!   allows once twice.
//!
//! The server thread stops when the value is dropped.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The region named in SES's rejection texts.
pub const REGION: &str = "US-EAST-1";

/// How the endpoint handles SMTP AUTH.
#[derive(Clone, Debug, Default)]
pub enum SesAuth {
    /// AUTH is not offered in EHLO; mail is accepted unauthenticated.
    #[default]
    Off,
    /// AUTH PLAIN LOGIN is offered but not required (any mail is accepted without it).
    Optional { user: String, password: String },
    /// AUTH PLAIN LOGIN is offered and MAIL FROM without it gets `530 Authentication required`.
    Required { user: String, password: String },
}

/// Start-up options.
#[derive(Clone, Debug)]
pub struct SesOptions {
    /// Verified identities: full addresses or domains (case-insensitive).
    pub verified: Vec<String>,
    pub auth: SesAuth,
    pub throttle: bool,
    /// In the SES sandbox, recipients must be verified identities too.
    pub sandbox: bool,
}

impl Default for SesOptions {
    fn default() -> Self {
        SesOptions {
            verified: Vec::new(),
            auth: SesAuth::Off,
            throttle: false,
            sandbox: false,
        }
    }
}

/// One message the endpoint received (a completed DATA), with the reply it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Envelope sender; empty for a bounce (`MAIL FROM:<>`).
    pub sender: String,
    pub rcpts: Vec<String>,
    /// The user that authenticated on this connection, if any.
    pub auth_user: Option<String>,
    pub data: Vec<u8>,
    /// The full reply line sent after DATA (without CRLF).
    pub reply: String,
}

impl Received {
    pub fn accepted(&self) -> bool {
        self.reply.starts_with("250")
    }
}

/// One AUTH attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthAttempt {
    pub mechanism: String,
    pub user: String,
    pub ok: bool,
}

#[derive(Debug, Default)]
struct State {
    verified: BTreeSet<String>,
    throttle: bool,
    quota: bool,
    sandbox: bool,
    paused: bool,
    suppressed: BTreeSet<String>,
    received: Vec<Received>,
    auths: Vec<AuthAttempt>,
}

/// A running endpoint; stops on drop.
pub struct SesSmtp {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

static MESSAGE_COUNTER: AtomicU64 = AtomicU64::new(1);

impl SesSmtp {
    /// Bind 127.0.0.1:0 and serve in background threads.
    pub fn start(opts: SesOptions) -> SesSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("ses_smtp: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("ses_smtp: set_nonblocking");
        let addr = listener.local_addr().expect("ses_smtp: local_addr");
        let state = Arc::new(Mutex::new(State {
            verified: opts
                .verified
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            throttle: opts.throttle,
            sandbox: opts.sandbox,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let auth = Arc::new(opts.auth);
        let thread = {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let state = state.clone();
                            let auth = auth.clone();
                            let stop = stop.clone();
                            std::thread::spawn(move || {
                                let _ = serve(stream, &state, &auth, &stop);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        SesSmtp {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `[127.0.0.1]:PORT`: the form Postfix's `relayhost` takes (no MX lookup).
    pub fn relayhost(&self) -> String {
        format!("[127.0.0.1]:{}", self.addr.port())
    }

    /// Mark an address or domain as verified.
    pub fn verify(&self, identity: &str) {
        self.state
            .lock()
            .unwrap()
            .verified
            .insert(identity.to_ascii_lowercase());
    }

    /// Remove an identity from the verified set.
    pub fn unverify(&self, identity: &str) {
        self.state
            .lock()
            .unwrap()
            .verified
            .remove(&identity.to_ascii_lowercase());
    }

    pub fn set_throttle(&self, on: bool) {
        self.state.lock().unwrap().throttle = on;
    }

    pub fn set_daily_quota_exceeded(&self, on: bool) {
        self.state.lock().unwrap().quota = on;
    }

    /// Sending paused for the whole account (after a review of its bounce or complaint rate).
    pub fn set_paused(&self, on: bool) {
        self.state.lock().unwrap().paused = on;
    }

    /// Put an address on the account's suppression list.
    pub fn suppress(&self, addr: &str) {
        self.state
            .lock()
            .unwrap()
            .suppressed
            .insert(addr.to_ascii_lowercase());
    }

    pub fn set_sandbox(&self, on: bool) {
        self.state.lock().unwrap().sandbox = on;
    }

    /// Every completed DATA so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Only the messages answered with 250.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(Received::accepted)
            .collect()
    }

    pub fn auth_attempts(&self) -> Vec<AuthAttempt> {
        self.state.lock().unwrap().auths.clone()
    }
}

impl Drop for SesSmtp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn is_verified(verified: &BTreeSet<String>, addr: &str) -> bool {
    let addr = addr.to_ascii_lowercase();
    if addr.is_empty() {
        return false;
    }
    if verified.contains(&addr) {
        return true;
    }
    match addr.rsplit_once('@') {
        Some((_, domain)) => verified.contains(domain),
        None => false,
    }
}

/// An SES-style message id: `0100018c` + 8 hex, then a UUID, then `-000000`.
fn message_id() -> String {
    let n = MESSAGE_COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let pid = std::process::id() as u64;
    format!(
        "0100018c{:08x}-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}-000000",
        (t >> 16) as u32,
        n as u32,
        (pid & 0xffff) as u16,
        0x4000 | ((t >> 8) & 0x0fff) as u16,
        0x8000 | (n & 0x3fff) as u16,
        t & 0xffff_ffff_ffff
    )
}

fn decode_b64(s: &str) -> Option<Vec<u8>> {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.trim().bytes() {
        if c == b'=' {
            break;
        }
        let v = T.iter().position(|&x| x == c)? as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn encode_b64(s: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in s.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The address in the message's `From:` header (`MAILER-DAEMON@host (Mail Delivery System)`).
fn header_from(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let line = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .find(|l| l.to_ascii_lowercase().starts_with("from:"))?;
    let value = &line[5..];
    if let Some(a) = path_arg(value) {
        return Some(a);
    }
    value
        .split_whitespace()
        .find(|w| w.contains('@'))
        .map(|w| w.trim_matches(|c| c == '"' || c == ',').to_string())
}

/// The first header the message has twice, of those SES allows once (as written in the message).
fn duplicate_header(data: &[u8]) -> Option<String> {
    const ONCE: &[&str] = &[
        "subject",
        "from",
        "to",
        "date",
        "message-id",
        "reply-to",
        "mime-version",
        "content-type",
    ];
    let text = String::from_utf8_lossy(data);
    let mut seen = BTreeSet::new();
    for line in text.lines().take_while(|l| !l.trim().is_empty()) {
        let Some((name, _)) = line.split_once(':') else {
            continue;
        };
        if line.starts_with([' ', '\t']) || !ONCE.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if !seen.insert(name.to_ascii_lowercase()) {
            return Some(name.to_string());
        }
    }
    None
}

/// Extract the address from `FROM:<a@b> SIZE=..` / `TO:<a@b>`.
fn path_arg(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].to_string())
}

fn serve(
    stream: TcpStream,
    state: &Mutex<State>,
    auth: &SesAuth,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let (offer, required, creds) = match auth {
        SesAuth::Off => (false, false, None),
        SesAuth::Optional { user, password } => {
            (true, false, Some((user.clone(), password.clone())))
        }
        SesAuth::Required { user, password } => {
            (true, true, Some((user.clone(), password.clone())))
        }
    };
    let greeting_id = message_id();
    write!(
        out,
        "220 email-smtp.amazonaws.com ESMTP SimpleEmailService-d-{}\r\n",
        &greeting_id[8..18]
    )?;
    let mut authed: Option<String> = None;
    let mut sender: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = String::new();
    let read_line =
        |reader: &mut BufReader<TcpStream>, line: &mut String| -> std::io::Result<bool> {
            line.clear();
            let mut raw = Vec::new();
            let n = reader.read_until(b'\n', &mut raw)?;
            *line = String::from_utf8_lossy(&raw)
                .trim_end_matches(['\r', '\n'])
                .to_string();
            Ok(n > 0)
        };
    let check_creds = |user: &str, pass: &str, mech: &str| -> bool {
        let ok = creds.as_ref().is_some_and(|(u, p)| u == user && p == pass);
        state.lock().unwrap().auths.push(AuthAttempt {
            mechanism: mech.into(),
            user: user.into(),
            ok,
        });
        ok
    };
    while !stop.load(Ordering::SeqCst) {
        if !read_line(&mut reader, &mut line)? {
            return Ok(());
        }
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.to_string()),
            None => (line.to_ascii_uppercase(), String::new()),
        };
        match verb.as_str() {
            "EHLO" => {
                out.write_all(
                    b"250-email-smtp.amazonaws.com\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n",
                )?;
                if offer {
                    out.write_all(b"250-AUTH PLAIN LOGIN\r\n")?;
                }
                out.write_all(b"250 Ok\r\n")?;
            }
            "HELO" => out.write_all(b"250 email-smtp.amazonaws.com\r\n")?,
            "AUTH" if offer => {
                let mut parts = arg.split_whitespace();
                let mech = parts.next().unwrap_or("").to_ascii_uppercase();
                let initial = parts.next().map(str::to_string);
                let ok_user = match mech.as_str() {
                    "PLAIN" => {
                        let resp = match initial {
                            Some(r) => r,
                            None => {
                                out.write_all(b"334 \r\n")?;
                                if !read_line(&mut reader, &mut line)? {
                                    return Ok(());
                                }
                                line.clone()
                            }
                        };
                        let raw = decode_b64(&resp).unwrap_or_default();
                        let fields: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
                        if fields.len() == 3 {
                            let user = String::from_utf8_lossy(fields[1]).to_string();
                            let pass = String::from_utf8_lossy(fields[2]).to_string();
                            check_creds(&user, &pass, "PLAIN").then_some(user)
                        } else {
                            check_creds("", "", "PLAIN");
                            None
                        }
                    }
                    "LOGIN" => {
                        let user_b64 = match initial {
                            Some(r) => r,
                            None => {
                                write!(out, "334 {}\r\n", encode_b64(b"Username:"))?;
                                if !read_line(&mut reader, &mut line)? {
                                    return Ok(());
                                }
                                line.clone()
                            }
                        };
                        write!(out, "334 {}\r\n", encode_b64(b"Password:"))?;
                        if !read_line(&mut reader, &mut line)? {
                            return Ok(());
                        }
                        let user =
                            String::from_utf8_lossy(&decode_b64(&user_b64).unwrap_or_default())
                                .to_string();
                        let pass = String::from_utf8_lossy(&decode_b64(&line).unwrap_or_default())
                            .to_string();
                        check_creds(&user, &pass, "LOGIN").then_some(user)
                    }
                    _ => {
                        out.write_all(b"504 Unrecognized authentication type.\r\n")?;
                        continue;
                    }
                };
                match ok_user {
                    Some(u) => {
                        authed = Some(u);
                        out.write_all(b"235 Authentication successful.\r\n")?;
                    }
                    None => out.write_all(b"535 Authentication Credentials Invalid\r\n")?,
                }
            }
            "AUTH" => out.write_all(b"502 5.5.1 Unrecognized command.\r\n")?,
            "MAIL" => {
                if required && authed.is_none() {
                    out.write_all(b"530 Authentication required\r\n")?;
                    continue;
                }
                match path_arg(&arg) {
                    Some(a) => {
                        sender = Some(a);
                        rcpts.clear();
                        out.write_all(b"250 Ok\r\n")?;
                    }
                    None => out.write_all(b"501 Invalid MAIL FROM address provided\r\n")?,
                }
            }
            "RCPT" => {
                if sender.is_none() {
                    out.write_all(b"503 Error: need MAIL command\r\n")?;
                    continue;
                }
                match path_arg(&arg) {
                    Some(a) if !a.is_empty() => {
                        rcpts.push(a);
                        out.write_all(b"250 Ok\r\n")?;
                    }
                    _ => out.write_all(b"501 Invalid RCPT TO address provided\r\n")?,
                }
            }
            "DATA" => {
                if sender.is_none() || rcpts.is_empty() {
                    out.write_all(b"503 Error: need RCPT command\r\n")?;
                    continue;
                }
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut data = Vec::new();
                loop {
                    let mut raw = Vec::new();
                    if reader.read_until(b'\n', &mut raw)? == 0 {
                        return Ok(());
                    }
                    if raw == b".\r\n" || raw == b".\n" {
                        break;
                    }
                    if raw.starts_with(b"..") {
                        raw.remove(0);
                    }
                    data.extend_from_slice(&raw);
                }
                let from = sender.take().unwrap_or_default();
                // a bounce (MAIL FROM:<>) is checked by its From: header, as SES does
                let checked = if from.is_empty() {
                    header_from(&data).unwrap_or_default()
                } else {
                    from.clone()
                };
                let to = std::mem::take(&mut rcpts);
                let mut st = state.lock().unwrap();
                let reply = if st.paused {
                    "554 Sending paused for this account. For more information, please check the inbox of the email address associated with your AWS account.".to_string()
                } else if st.throttle {
                    "454 Throttling failure: Maximum sending rate exceeded.".to_string()
                } else if st.quota {
                    "454 Throttling failure: Daily message quota exceeded.".to_string()
                } else if let Some(name) = duplicate_header(&data) {
                    format!("554 Transaction failed: Duplicate header '{name}'.")
                } else if to
                    .iter()
                    .any(|r| st.suppressed.contains(&r.to_ascii_lowercase()))
                {
                    "554 Address blacklisted.".to_string()
                } else {
                    let mut failed: Vec<String> = Vec::new();
                    if !is_verified(&st.verified, &checked) {
                        failed.push(checked.clone());
                    }
                    if st.sandbox {
                        failed.extend(to.iter().filter(|r| !is_verified(&st.verified, r)).cloned());
                    }
                    if failed.is_empty() {
                        format!("250 Ok {}", message_id())
                    } else {
                        format!(
                            "554 Message rejected: Email address is not verified. The following identities failed the check in region {REGION}: {}",
                            failed.join(", ")
                        )
                    }
                };
                st.received.push(Received {
                    sender: from,
                    rcpts: to,
                    auth_user: authed.clone(),
                    data,
                    reply: reply.clone(),
                });
                drop(st);
                write!(out, "{reply}\r\n")?;
            }
            "RSET" => {
                sender = None;
                rcpts.clear();
                out.write_all(b"250 Ok\r\n")?;
            }
            "NOOP" => out.write_all(b"250 Ok\r\n")?,
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"502 5.5.1 Unrecognized command.\r\n")?,
        }
    }
    Ok(())
}
