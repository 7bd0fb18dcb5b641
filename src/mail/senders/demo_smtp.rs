//! The demo's Postfix, as far as the Senders pane's test mail sees it: an SMTP listener on
//! 127.0.0.1 (`mailin`'s SMTP state machine: EHLO, AUTH PLAIN or LOGIN, MAIL, RCPT, DATA) that
//! answers a message with `250 2.0.0 Ok: queued as ID`, and writes to the demo's mail log what Postfix would:
//! the submission at once, the delivery through SES two seconds later, sent where the demo's SES
//! has verified the sender and refused as not verified (its notification lost) where not. The
//! pane traces it in the log as it traces a real one. Part of the demo only: the host's own MTA
//! is never reached.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Local;
use mailin::{Action, AuthMechanism, Response};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::mail::log::demo::LogGenerator;

/// The longest line taken, and the largest message (as Postfix's own `line_length_limit` and
/// `message_size_limit` bound them).
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

/// What the demo's Postfix does with a session's commands, as `mailin`'s SMTP state machine
/// hands them on: one recipient a message, any login taken, the message logged when its data
/// ends.
struct DemoPostfix {
    log: PathBuf,
    g: Arc<Mutex<LogGenerator>>,
    verified: fn(&str) -> bool,
    login: Option<String>,
    from: String,
    to: String,
    size: usize,
}

impl mailin::Handler for DemoPostfix {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_string();
        mailin::response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        match to {
            [one] => {
                self.to = one.clone();
                self.size = 0;
                mailin::response::OK
            }
            _ => Response::custom(
                452,
                "4.5.3 Error: the demo takes one recipient a message".into(),
            ),
        }
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.size += buf.len();
        if self.size > MAX_MESSAGE {
            return Err(std::io::Error::other("message too large"));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let login = self.login.as_deref().unwrap_or("-");
        let id = queued(
            &self.log,
            &self.g,
            &self.from,
            &self.to,
            self.size,
            login,
            self.verified,
        );
        Response::custom(250, format!("2.0.0 Ok: queued as {id}"))
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, _password: &str) -> Response {
        self.login = Some(user.to_string());
        mailin::response::AUTH_OK
    }

    fn auth_login(&mut self, user: &str, _password: &str) -> Response {
        self.login = Some(user.to_string());
        mailin::response::AUTH_OK
    }
}

async fn session(
    stream: TcpStream,
    log: &Path,
    g: &Arc<Mutex<LogGenerator>>,
    verified: fn(&str) -> bool,
) -> std::io::Result<()> {
    let peer = stream.peer_addr()?.ip();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let handler = DemoPostfix {
        log: log.to_path_buf(),
        g: g.clone(),
        verified,
        login: None,
        from: String::new(),
        to: String::new(),
        size: 0,
    };
    let mut smtp = mailin::SessionBuilder::new("mx1.example.com")
        .enable_auth(AuthMechanism::Plain)
        .enable_auth(AuthMechanism::Login)
        // on 127.0.0.1, with made-up logins: the demo offers no STARTTLS
        .insecure_enable_plaintext_auth()
        .build(peer, handler);
    let mut out = Vec::new();
    smtp.greeting().write_to(&mut out)?;
    write.write_all(&out).await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        // no more than a line's worth is read into memory, newline or not
        let mut capped = (&mut read).take(MAX_LINE as u64 + 1);
        let n = match tokio::time::timeout(IDLE, capped.read_until(b'\n', &mut line)).await {
            Ok(r) => r?,
            Err(_) => return Ok(()),
        };
        if n == 0 || line.len() > MAX_LINE {
            return Ok(());
        }
        let reply = smtp.process(&line);
        out.clear();
        match reply.action {
            Action::NoReply => continue,
            Action::Reply | Action::UpgradeTls => {
                reply.write_to(&mut out)?;
                write.write_all(&out).await?;
            }
            Action::Close => {
                reply.write_to(&mut out)?;
                write.write_all(&out).await?;
                return Ok(());
            }
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
        let _ = tokio::task::spawn_blocking(move || append(&log, &lines)).await;
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

    /// Anyone on the host may connect to the demo's port: a line that never ends is cut off at
    /// its cap (not read into memory whole) and the session closed; the listener goes on.
    #[tokio::test]
    async fn a_line_without_end_closes_the_session_and_the_listener_stays_up() {
        use tokio::io::AsyncReadExt as _;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        std::fs::write(&log, "").unwrap();
        let port = start(log, |_| true).unwrap();
        let mut c = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut greeting = [0u8; 64];
        let n = c.read(&mut greeting).await.unwrap();
        assert!(greeting[..n].starts_with(b"220 "), "{:?}", &greeting[..n]);
        // more than the cap, no newline; the write may fail once the session is closed
        let _ = c.write_all(&vec![b'A'; 4 * MAX_LINE]).await;
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the session is closed");
        let mut again = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let n = again.read(&mut greeting).await.unwrap();
        assert!(greeting[..n].starts_with(b"220 "), "{:?}", &greeting[..n]);
    }

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
