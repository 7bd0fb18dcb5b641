//! The demo's Postfix, as far as the Senders pane's test mail sees it: an SMTP listener on
//! 127.0.0.1 that takes one message a session (EHLO, AUTH PLAIN or LOGIN, MAIL, RCPT, DATA),
//! answers `250 2.0.0 Ok: queued as ID`, and writes to the demo's mail log what Postfix would:
//! the submission at once, the delivery through SES two seconds later, sent where the demo's SES
//! has verified the sender and refused as not verified (its notification lost) where not. The
//! pane traces it in the log as it traces a real one. Part of the demo only: the host's own MTA
//! is never reached.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Local;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::mail::log::demo::LogGenerator;

/// The longest command or message line taken, and the largest message (as Postfix's own
/// `line_length_limit` and `message_size_limit` bound them).
const MAX_LINE: usize = 2048;
const MAX_MESSAGE: usize = 10 * 1024 * 1024;
/// A session idle this long is closed, as smtpd's timeout does.
const IDLE: Duration = Duration::from_secs(60);
/// How long after its submission the test mail's delivery is logged.
const DELIVERY_AFTER: Duration = Duration::from_secs(2);

/// Start the listener (inside the runtime), writing to `log`; its port. `verified` says whether
/// the demo's SES sends mail from a sender.
pub fn start(log: PathBuf, verified: fn(&str) -> bool) -> anyhow::Result<u16> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let port = std_listener.local_addr()?.port();
    let listener = TcpListener::from_std(std_listener)?;
    let g = Arc::new(Mutex::new(LogGenerator::for_submissions()));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let (log, g) = (log.clone(), g.clone());
            tokio::spawn(async move {
                let _ = tokio::time::timeout(
                    Duration::from_secs(600),
                    session(stream, &log, &g, verified),
                )
                .await;
            });
        }
    });
    Ok(port)
}

/// One message's envelope, as the session takes it.
#[derive(Default)]
struct Envelope {
    login: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// `MAIL FROM:<a@b> SIZE=1` -> `a@b` (after the command's `prefix`, any case).
fn address_after<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = line[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?.split('>').next()?;
    Some(inner)
}

/// The user a SASL PLAIN response names: `authzid NUL authcid NUL password`, base64.
fn plain_user(b64: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let user = raw.split(|b| *b == 0).nth(1)?;
    Some(String::from_utf8_lossy(user).into_owned())
}

fn b64_text(b64: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    Some(String::from_utf8_lossy(&raw).into_owned())
}

async fn session(
    stream: TcpStream,
    log: &Path,
    g: &Arc<Mutex<LogGenerator>>,
    verified: fn(&str) -> bool,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(b"220 mx1.example.com ESMTP Postfix (demo)\r\n")
        .await?;
    let mut env = Envelope::default();
    let mut line = Vec::new();
    // the AUTH LOGIN exchange under way: 1 waits for the user, 2 for the password
    let mut login_step = 0u8;
    loop {
        let Some(text) = next_line(&mut read, &mut line).await? else {
            return Ok(());
        };
        let reply: String =
            if login_step == 1 {
                env.login = b64_text(&text);
                login_step = 2;
                "334 UGFzc3dvcmQ6".into()
            } else if login_step == 2 {
                login_step = 0;
                "235 2.7.0 Authentication successful".into()
            } else {
                let verb = text
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase();
                match verb.as_str() {
                    "EHLO" => "250-mx1.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n\
                           250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"
                        .into(),
                    "HELO" => "250 mx1.example.com".into(),
                    "AUTH" => {
                        let mut words = text.split_whitespace().skip(1);
                        match (words.next().map(str::to_ascii_uppercase).as_deref(), words.next()) {
                        (Some("PLAIN"), Some(response)) => {
                            env.login = plain_user(response);
                            "235 2.7.0 Authentication successful".into()
                        }
                        (Some("LOGIN"), None) => {
                            login_step = 1;
                            "334 VXNlcm5hbWU6".into()
                        }
                        _ => "535 5.7.8 Error: authentication failed: the demo takes PLAIN or LOGIN"
                            .into(),
                    }
                    }
                    "MAIL" => match address_after(&text, "MAIL FROM:") {
                        Some(a) => {
                            env.from = Some(a.to_string());
                            env.to = None;
                            "250 2.1.0 Ok".into()
                        }
                        None => "501 5.5.4 Syntax: MAIL FROM:<address>".into(),
                    },
                    "RCPT" => match (&env.from, address_after(&text, "RCPT TO:")) {
                        (None, _) => "503 5.5.1 Error: need MAIL command".into(),
                        (Some(_), Some(a)) if env.to.is_none() => {
                            env.to = Some(a.to_string());
                            "250 2.1.5 Ok".into()
                        }
                        (Some(_), Some(_)) => {
                            "452 4.5.3 Error: the demo takes one recipient a message".into()
                        }
                        (Some(_), None) => "501 5.5.4 Syntax: RCPT TO:<address>".into(),
                    },
                    "DATA" => match (&env.from, &env.to) {
                        (Some(from), Some(to)) => {
                            write
                                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                                .await?;
                            let Some(size) = message(&mut read, &mut line).await? else {
                                return Ok(());
                            };
                            let login = env.login.clone().unwrap_or_else(|| "-".into());
                            let id = queued(log, g, from, to, size, &login, verified);
                            env.from = None;
                            env.to = None;
                            format!("250 2.0.0 Ok: queued as {id}")
                        }
                        _ => "503 5.5.1 Error: need RCPT command".into(),
                    },
                    "RSET" => {
                        env.from = None;
                        env.to = None;
                        "250 2.0.0 Ok".into()
                    }
                    "NOOP" => "250 2.0.0 Ok".into(),
                    "QUIT" => {
                        write.write_all(b"221 2.0.0 Bye\r\n").await?;
                        return Ok(());
                    }
                    _ => "502 5.5.2 Error: command not recognized".into(),
                }
            };
        write.write_all(reply.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
    }
}

/// The next line, without its CRLF; `None` at the end of the session (or a line past
/// [`MAX_LINE`], or a session idle for [`IDLE`]).
async fn next_line(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<String>> {
    buf.clear();
    let n = match tokio::time::timeout(IDLE, read.read_until(b'\n', buf)).await {
        Ok(r) => r?,
        Err(_) => return Ok(None),
    };
    if n == 0 || buf.len() > MAX_LINE {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(buf);
    Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
}

/// The message after DATA, up to its lone `.`: its size; `None` where the session ends first or
/// it passes [`MAX_MESSAGE`].
async fn message(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<usize>> {
    let mut size = 0usize;
    loop {
        buf.clear();
        let n = match tokio::time::timeout(IDLE, read.read_until(b'\n', buf)).await {
            Ok(r) => r?,
            Err(_) => return Ok(None),
        };
        if n == 0 {
            return Ok(None);
        }
        if buf == b".\r\n" || buf == b".\n" {
            return Ok(Some(size));
        }
        size += buf.len();
        if size > MAX_MESSAGE {
            return Ok(None);
        }
    }
}

/// Log the message's submission now and its delivery soon after; its queue id.
fn queued(
    log: &Path,
    g: &Arc<Mutex<LogGenerator>>,
    from: &str,
    to: &str,
    size: usize,
    login: &str,
    verified: fn(&str) -> bool,
) -> String {
    let (id, received) = {
        let mut g = g.lock().unwrap_or_else(|p| p.into_inner());
        let id = g.queue_id();
        let lines = g.received(Local::now(), &id, from, size, login);
        (id, lines)
    };
    append(log, &received);
    let (log, from, to, id2) = (
        log.to_path_buf(),
        from.to_string(),
        to.to_string(),
        id.clone(),
    );
    // the notice of a refused message takes a queue id of the same range
    let g = g.clone();
    tokio::spawn(async move {
        tokio::time::sleep(DELIVERY_AFTER).await;
        let lines = g.lock().unwrap_or_else(|p| p.into_inner()).delivered(
            Local::now(),
            &id2,
            &from,
            &to,
            verified(&from),
        );
        append(&log, &lines);
    });
    id
}

fn append(log: &Path, lines: &[String]) {
    let written = std::fs::OpenOptions::new()
        .append(true)
        .open(log)
        .and_then(|mut f| f.write_all(lines.concat().as_bytes()));
    if let Err(e) = written {
        tracing::warn!(path = %log.display(), error = %e, "demo: the test mail's lines not written");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Mode, WriteAccess};
    use crate::mail::log::model::MailLog;
    use crate::mail::log::parse::{YearGuess, parse_line};
    use crate::mail::senders::actions::{SmtpTarget, SmtpTls, send_test_mail};
    use crate::mail::senders::logscan::{TraceStatus, trace_from_model};
    use crate::mail::senders::secret::Secret;

    /// The pane's own submission (lettre, AUTH PLAIN) reaches the demo's listener, which
    /// answers with a queue id and logs the message as Postfix would: the trace the pane makes
    /// of the log finds it sent from a sender the demo's SES verified, and refused as not
    /// verified (its notice lost) from one it did not.
    #[tokio::test]
    async fn a_test_mail_is_logged_as_postfix_would_and_delivered_as_the_demo_ses_would() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        std::fs::write(&log, "").unwrap();
        let port = start(log.clone(), crate::mail::senders::demo_ses::sends_from).unwrap();
        let target = SmtpTarget {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            tls_verify: true,
            user: Some("demo-submit".into()),
            password: Some(Secret::new("not-a-real-password")),
        };
        let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
        let send = |from: &'static str, to: &'static str| {
            let (target, access) = (&target, &access);
            async move {
                let s = send_test_mail(access, target, from, to, Local::now())
                    .await
                    .unwrap();
                assert!(s.reply.starts_with("250 2.0.0 Ok: queued as "), "{s:?}");
                s.queue_id.unwrap()
            }
        };
        let good = send("shop@example.com", "alice@example.net").await;
        let bad = send("someone@elsewhere.example", "bob@example.net").await;
        assert_ne!(good, bad);

        // every line parses; the two deliveries come after DELIVERY_AFTER
        let model = |text: &str| {
            let mut m = MailLog::default();
            let mut y = YearGuess::now();
            for l in text.lines() {
                m.ingest(parse_line(l, &mut y).unwrap_or_else(|| panic!("{l}")));
            }
            m
        };
        let trace = |m: &MailLog, id: &str, from: &str, to: &str| {
            trace_from_model(m, id, from, to).unwrap_or_else(|| panic!("{id} not logged"))
        };
        let submitted = std::fs::read_to_string(&log).unwrap();
        assert!(
            submitted.contains(&format!(
                "{good}: client=localhost[127.0.0.1], sasl_method=PLAIN, sasl_username=demo-submit"
            )),
            "{submitted}"
        );
        let m = model(&submitted);
        assert_eq!(
            trace(&m, &good, "shop@example.com", "alice@example.net").status,
            TraceStatus::Active
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let text = loop {
            let text = std::fs::read_to_string(&log).unwrap();
            if text.matches(": removed").count() >= 3 {
                break text;
            }
            assert!(std::time::Instant::now() < deadline, "{text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let m = model(&text);
        let t = trace(&m, &good, "shop@example.com", "alice@example.net");
        assert!(t.done, "{t:?}");
        assert!(matches!(t.status, TraceStatus::Sent { .. }), "{t:?}");
        let t = trace(&m, &bad, "someone@elsewhere.example", "bob@example.net");
        assert!(t.done, "{t:?}");
        let TraceStatus::Bounced { reason, .. } = &t.status else {
            panic!("{t:?}")
        };
        assert!(
            reason.contains("Email address is not verified.")
                && reason.contains("someone@elsewhere.example"),
            "{reason}"
        );
        let notice = t.notice.expect("a notice to the sender");
        assert!(
            m.outcomes()
                .iter()
                .any(|o| o.status == crate::mail::log::model::RowStatus::Lost
                    && o.queue_id.as_ref().is_some_and(|q| q.as_str() == notice)),
            "the notice is lost: {:#?}",
            m.outcomes()
        );
        // the ids are the submissions' own, apart from the live writer's
        for id in [&good, &bad, &notice] {
            assert!(id.starts_with("7E57"), "{id}");
        }
    }
}
