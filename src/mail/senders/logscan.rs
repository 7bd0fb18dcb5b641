//! What the mail log says each sender did, and one message's path through
//! it (the test-mail trace).
//!
//! The trace of a test mail runs on the Failures pane's parser and model
//! ([`trace_from_model`]), both over the pane's own follow of the log file
//! and over `Shared.mail_log`. Per-sender outcomes come from
//! `Shared.mail_log` ([`from_shared`]) once the Failures pane has fed it;
//! before that (or without that pane), [`activity_from_lines`] counts them
//! from the few line shapes it needs (`from=<...>`, the `to=<...>,
//! relay=..., dsn=..., status=...` delivery lines, `removed`); the tests
//! check both give the same counts. Pure text in, values out; the only file
//! access is [`read_tail`], which only reads.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Local, NaiveDateTime, TimeZone};
use regex::Regex;

use crate::mail::log::classify::{Category, classify};
use crate::sanitize::Clean;

/// Delivery status words Postfix logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Sent,
    Deferred,
    Bounced,
    Expired,
}

/// One log line that matters here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFact {
    From {
        id: String,
        sender: String,
    },
    Delivery {
        id: String,
        to: String,
        relay: String,
        dsn: String,
        status: Status,
        reason: String,
    },
    Removed {
        id: String,
    },
    /// `ID: sender non-delivery notification: NEWID`
    Bounce {
        id: String,
        notice: String,
    },
}

static PREFIX: LocalLazy = LazyLock::new(|| {
    Regex::new(
        r"^(?P<ts>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:?\d\d)?) \S+ [\w./-]+\[\d+\]: (?P<id>[0-9A-Za-z]{5,20}): (?P<rest>.*)$",
    )
    .expect("static regex")
});
static DELIVERY: LocalLazy = LazyLock::new(|| {
    Regex::new(r"^to=<(?P<to>[^>]*)>,(?: orig_to=<[^>]*>,)? relay=(?P<relay>[^,]*),.*? dsn=(?P<dsn>[0-9.]+), status=(?P<st>sent|deferred|bounced|expired) \((?P<why>.*)\)$")
        .expect("static regex")
});
static FROM: LocalLazy =
    LazyLock::new(|| Regex::new(r"^(?:uid=\d+ )?from=<(?P<from>[^>]*)>").expect("static regex"));
static QUEUED_AS: LocalLazy =
    LazyLock::new(|| Regex::new(r"queued as ([0-9A-Za-z]{5,20})").expect("static regex"));

type LocalLazy = LazyLock<Regex>;

/// The queue id in an SMTP reply (`250 2.0.0 Ok: queued as 3FFCBC890E`).
pub fn queue_id_from_reply(reply: &str) -> Option<String> {
    QUEUED_AS.captures(reply).map(|c| c[1].to_string())
}

/// Parse one line into a fact and its timestamp (year guessed for syslog
/// stamps: the latest year that is not in the future of `now`).
pub fn parse_line(line: &str, now: DateTime<Local>) -> Option<(Option<DateTime<Local>>, LogFact)> {
    let c = PREFIX.captures(line)?;
    let id = c["id"].to_string();
    let rest = &c["rest"];
    let ts = parse_time(&c["ts"], now);
    let fact = if let Some(d) = DELIVERY.captures(rest) {
        LogFact::Delivery {
            id,
            to: d["to"].to_string(),
            relay: d["relay"].to_string(),
            dsn: d["dsn"].to_string(),
            status: match &d["st"] {
                "sent" => Status::Sent,
                "deferred" => Status::Deferred,
                "bounced" => Status::Bounced,
                _ => Status::Expired,
            },
            reason: d["why"].to_string(),
        }
    } else if let Some(f) = FROM.captures(rest) {
        LogFact::From {
            id,
            sender: f["from"].to_string(),
        }
    } else if rest == "removed" {
        LogFact::Removed { id }
    } else if let Some(n) = rest.strip_prefix("sender non-delivery notification: ") {
        LogFact::Bounce {
            id,
            notice: n.trim().to_string(),
        }
    } else {
        return None;
    };
    Some((ts, fact))
}

fn parse_time(ts: &str, now: DateTime<Local>) -> Option<DateTime<Local>> {
    if ts.as_bytes().get(4) == Some(&b'-') {
        return DateTime::parse_from_rfc3339(ts)
            .ok()
            .map(|t| t.with_timezone(&Local))
            .or_else(|| {
                NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .and_then(|n| Local.from_local_datetime(&n).earliest())
            });
    }
    for year in [now.year(), now.year() - 1] {
        let n = NaiveDateTime::parse_from_str(&format!("{year} {ts}"), "%Y %b %e %H:%M:%S").ok()?;
        let t = Local.from_local_datetime(&n).earliest()?;
        // a stamp a little ahead of our clock is clock skew, not last year
        if t <= now + chrono::Duration::hours(1) {
            return Some(t);
        }
    }
    None
}

/// A sender's latest deferral or bounce: the relay's words and their cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub status: Status,
    /// As the Failures pane names it.
    pub cause: Category,
    pub reason: Clean,
}

/// What one sender's mail did recently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub sent: u32,
    pub deferred: u32,
    pub bounced: u32,
    /// Mail that nobody was told about: removed with no final status, dropped by a DISCARD
    /// rule, a bounce that itself failed (only the Failures pane's model sees these).
    pub lost: u32,
    /// The latest deferral or bounce.
    pub last_problem: Option<Problem>,
    /// Why the latest lost message was lost.
    pub last_lost: Option<Clean>,
}

/// Per-sender outcomes (lower-cased sender; `""` is the null sender).
pub type SenderActivity = BTreeMap<String, Outcomes>;

/// Per-sender outcomes from `Shared.mail_log` (the Failures pane's model);
/// `None` while that model has seen no line, and the pane then counts from
/// its own read of the log ([`activity_from_lines`]).
pub fn from_shared(
    log: &crate::mail::log::MailLog,
    since: DateTime<Local>,
) -> Option<SenderActivity> {
    from_model(log, since)
}

/// Per-sender outcomes from the Failures pane's model, counted over its
/// recent outcomes since `since`. `None` when it has seen no line.
pub fn from_model(
    log: &crate::mail::log::model::MailLog,
    since: DateTime<Local>,
) -> Option<SenderActivity> {
    use crate::mail::log::model::RowStatus;
    if log.lines == 0 {
        return None;
    }
    let mut out = SenderActivity::new();
    for o in log.outcomes() {
        if o.time < since {
            continue;
        }
        let from = o
            .from
            .as_ref()
            .map(|f| f.to_ascii_lowercase())
            .unwrap_or_default();
        let e = out.entry(from).or_default();
        let status = match o.status {
            RowStatus::Sent => {
                e.sent += 1;
                continue;
            }
            RowStatus::Deferred => {
                e.deferred += 1;
                Status::Deferred
            }
            RowStatus::Bounced | RowStatus::Expired | RowStatus::Undeliverable => {
                e.bounced += 1;
                Status::Bounced
            }
            RowStatus::Lost => {
                // not a bounce: the sender was never told
                e.lost += 1;
                e.last_lost = Some(o.reason.clone());
                continue;
            }
            RowStatus::Rejected => continue,
        };
        e.last_problem = Some(Problem {
            status,
            cause: o.category.unwrap_or(Category::Other),
            reason: o.reason.clone(),
        });
    }
    Some(out)
}

/// Count outcomes per sender over log text, keeping facts newer than `since`.
pub fn activity_from_lines(
    text: &str,
    now: DateTime<Local>,
    since: DateTime<Local>,
) -> SenderActivity {
    let mut sender_of: HashMap<String, String> = HashMap::new();
    let mut out = SenderActivity::new();
    for line in text.lines() {
        let Some((ts, fact)) = parse_line(line, now) else {
            continue;
        };
        match fact {
            LogFact::From { id, sender } => {
                sender_of.insert(id, sender.to_ascii_lowercase());
            }
            LogFact::Delivery {
                id,
                to,
                relay,
                dsn,
                status,
                reason,
            } => {
                if ts.is_some_and(|t| t < since) {
                    continue;
                }
                let Some(sender) = sender_of.get(&id) else {
                    continue;
                };
                let o = out.entry(sender.clone()).or_default();
                match status {
                    Status::Sent => o.sent += 1,
                    Status::Deferred => o.deferred += 1,
                    Status::Bounced | Status::Expired => o.bounced += 1,
                }
                if status != Status::Sent {
                    o.last_problem = Some(Problem {
                        status,
                        cause: cause_of(status, &dsn, &reason, &to, &relay),
                        reason: Clean::capped(&reason, 300),
                    });
                }
            }
            LogFact::Removed { .. } | LogFact::Bounce { .. } => {}
        }
    }
    out
}

/// Read at most `max` bytes from the end of a file (from a line start).
pub fn read_tail(path: &Path, max: u64) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(max);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Ok(if start > 0 {
        text.split_once('\n')
            .map(|(_, r)| r.to_string())
            .unwrap_or_default()
    } else {
        text
    })
}

/// Where a traced message stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceStatus {
    /// Waiting for the first log line.
    Queued,
    /// In the active queue, no delivery attempt logged yet.
    Active,
    Sent {
        relay: Clean,
        reply: Clean,
    },
    /// Will be retried; the explanation says why it failed this time.
    Deferred {
        dsn: Clean,
        reason: Clean,
    },
    Bounced {
        dsn: Clean,
        reason: Clean,
    },
}

impl TraceStatus {
    pub fn is_final(&self) -> bool {
        matches!(self, TraceStatus::Sent { .. } | TraceStatus::Bounced { .. })
    }
}

/// The cause of a relay's answer, named by the Failures pane's classifier: one set of causes and
/// explanations for the whole console.
pub fn cause_of(status: Status, dsn: &str, reason: &str, to: &str, relay: &str) -> Category {
    use crate::mail::log::parse::Status as S;
    let status = match status {
        Status::Sent => S::Sent,
        Status::Deferred => S::Deferred,
        Status::Bounced => S::Bounced,
        Status::Expired => S::Expired,
    };
    classify(status, dsn, reason, to, relay)
}

/// One traced message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub queue_id: String,
    pub from: Clean,
    pub to: Clean,
    pub status: TraceStatus,
    /// Log lines seen for this id, sanitized and capped.
    pub lines: Vec<Clean>,
    /// The bounce notice's queue id, if Postfix sent one.
    pub notice: Option<String>,
    pub done: bool,
}

impl Trace {
    pub fn new(queue_id: &str, from: &str, to: &str) -> Trace {
        Trace {
            queue_id: queue_id.to_string(),
            from: Clean::new(from),
            to: Clean::new(to),
            status: TraceStatus::Queued,
            lines: Vec::new(),
            notice: None,
            done: false,
        }
    }

    /// Feed one raw log line; returns true if it concerned this message.
    pub fn feed(&mut self, line: &str, now: DateTime<Local>) -> bool {
        let Some((_, fact)) = parse_line(line, now) else {
            return false;
        };
        let mine = match &fact {
            LogFact::From { id, .. }
            | LogFact::Delivery { id, .. }
            | LogFact::Removed { id }
            | LogFact::Bounce { id, .. } => *id == self.queue_id,
        };
        if !mine {
            return false;
        }
        self.lines.push(Clean::capped(line, 400));
        match fact {
            LogFact::From { .. } => {
                if self.status == TraceStatus::Queued {
                    self.status = TraceStatus::Active;
                }
            }
            LogFact::Delivery {
                relay,
                dsn,
                status,
                reason,
                ..
            } => {
                self.status = match status {
                    Status::Sent => TraceStatus::Sent {
                        relay: Clean::new(&relay),
                        reply: Clean::capped(&reason, 300),
                    },
                    Status::Deferred => TraceStatus::Deferred {
                        dsn: Clean::new(&dsn),
                        reason: Clean::capped(&reason, 300),
                    },
                    Status::Bounced | Status::Expired => TraceStatus::Bounced {
                        dsn: Clean::new(&dsn),
                        reason: Clean::capped(&reason, 300),
                    },
                };
            }
            LogFact::Bounce { notice, .. } => self.notice = Some(notice),
            LogFact::Removed { .. } => self.done = true,
        }
        if self.status.is_final() {
            self.done = true;
        }
        true
    }
}

/// The trace of a test mail as the Failures pane's model sees it (its
/// parser and its correlation of qmgr, smtp and bounce lines). `None` until
/// the model has a line for this queue id.
pub fn trace_from_model(
    log: &crate::mail::log::model::MailLog,
    queue_id: &str,
    from: &str,
    to: &str,
) -> Option<Trace> {
    use crate::mail::log::model::{MessageState, RowStatus};
    let fs = log.final_status(queue_id)?;
    let status = match &fs.last {
        None => TraceStatus::Active,
        Some(o) => match o.status {
            RowStatus::Sent => TraceStatus::Sent {
                relay: o.relay.clone(),
                reply: o.reason.clone(),
            },
            RowStatus::Deferred => TraceStatus::Deferred {
                dsn: o.dsn.clone(),
                reason: o.reason.clone(),
            },
            _ => TraceStatus::Bounced {
                dsn: o.dsn.clone(),
                reason: o.reason.clone(),
            },
        },
    };
    let done = status.is_final() || fs.state != MessageState::Queued;
    Some(Trace {
        queue_id: queue_id.to_string(),
        from: Clean::new(from),
        to: Clean::new(to),
        status,
        lines: log.history(queue_id),
        notice: fs.notification.map(|n| n.to_string()),
        done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = include_str!("../../../tests/fixtures/maillog/corpus-3.7.log");

    fn now() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap()
    }

    #[test]
    fn queue_id_in_reply() {
        assert_eq!(
            queue_id_from_reply("2.0.0 Ok: queued as 3FFCBC890E").as_deref(),
            Some("3FFCBC890E")
        );
        assert_eq!(
            queue_id_from_reply("250 2.0.0 Ok: queued as 4dWqzB0tXvzJrNn").as_deref(),
            Some("4dWqzB0tXvzJrNn")
        );
        assert_eq!(queue_id_from_reply("250 ok"), None);
    }

    #[test]
    fn real_lines() {
        let sent = "Nov 27 19:25:41 vm postfix/smtp[11638]: 3F517C8902: to=<ok@example.com>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays=0.01/0.01/0.01/0, dsn=2.0.0, status=sent (250 Ok 0100018f196c0543-7b825b0b-1733-40ec-a3cc-935429fc5463-000000)";
        let (ts, f) = parse_line(sent, now()).unwrap();
        assert_eq!(
            ts.unwrap().format("%Y-%m-%d %H:%M:%S").to_string(),
            "2026-11-27 19:25:41"
        );
        assert!(
            matches!(f, LogFact::Delivery { status: Status::Sent, ref id, .. } if id == "3F517C8902")
        );
        let from = "Nov 27 19:25:41 vm postfix/qmgr[10250]: 3F517C8902: from=<alice@example.com>, size=282, nrcpt=1 (queue active)";
        assert_eq!(
            parse_line(from, now()).unwrap().1,
            LogFact::From {
                id: "3F517C8902".into(),
                sender: "alice@example.com".into()
            }
        );
        let pickup =
            "Nov 27 19:25:41 vm postfix/pickup[10249]: 40A53C8900: uid=0 from=<root@localhost>";
        assert!(matches!(
            parse_line(pickup, now()).unwrap().1,
            LogFact::From { .. }
        ));
        let iso = "2026-11-27T19:25:41.123456+00:00 vm postfix/qmgr[1]: ABCDE12345: removed";
        assert!(matches!(
            parse_line(iso, now()).unwrap(),
            (Some(_), LogFact::Removed { .. })
        ));
        assert!(
            parse_line(
                "Nov 27 19:25:41 vm postfix/smtpd[1]: connect from x[1.2.3.4]",
                now()
            )
            .is_none()
        );
    }

    #[test]
    fn year_is_guessed_backwards() {
        let jan = Local.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).unwrap();
        let (ts, _) = parse_line(
            "Dec 31 23:59:00 vm postfix/qmgr[1]: ABCDE12345: removed",
            jan,
        )
        .unwrap();
        assert_eq!(ts.unwrap().year(), 2026);
    }

    #[test]
    fn corpus_activity() {
        let since = now() - chrono::Duration::days(1);
        let a = activity_from_lines(CORPUS, now(), since);
        let alice = &a["alice@example.com"];
        assert!(alice.sent >= 1, "{alice:?}");
        let root = &a["root@localhost"];
        assert!(root.bounced >= 1, "{root:?}");
        let p = root.last_problem.as_ref().unwrap();
        assert_eq!(p.status, Status::Bounced);
        assert_eq!(p.cause, Category::SesSenderNotVerified);
        assert!(p.reason.contains("not verified"), "{p:?}");
        assert!(a["tempfail@example.com"].deferred >= 1);
        // a day later nothing counts
        let later = now() + chrono::Duration::days(2);
        assert!(activity_from_lines(CORPUS, later, later - chrono::Duration::days(1)).is_empty());
    }

    #[test]
    fn trace_through_corpus() {
        let mut t = Trace::new("40A53C8900", "root@localhost", "someone@example.com");
        for l in CORPUS.lines() {
            t.feed(l, now());
        }
        assert!(t.done);
        let TraceStatus::Bounced { reason, .. } = &t.status else {
            panic!("{:?}", t.status)
        };
        assert!(reason.contains("not verified"));
        assert_eq!(
            cause_of(Status::Bounced, "5.0.0", reason, "someone@example.com", ""),
            Category::SesSenderNotVerified
        );
        assert_eq!(t.notice.as_deref(), Some("46106C8902"));

        let mut t = Trace::new("3F517C8902", "alice@example.com", "ok@example.com");
        for l in CORPUS.lines() {
            t.feed(l, now());
        }
        assert!(
            matches!(&t.status, TraceStatus::Sent { reply, .. } if reply.contains("0100018f196c0543"))
        );
    }

    #[test]
    fn failures_model_gives_the_same_counts() {
        use crate::mail::log::model::MailLog;
        use crate::mail::log::parse::{YearGuess, parse_line as failures_parse};
        let mut log = MailLog::default();
        assert!(
            from_model(&log, now()).is_none(),
            "an empty model is no answer"
        );
        let mut y = YearGuess::new(now().date_naive());
        for l in CORPUS.lines() {
            if let Some(p) = failures_parse(l, &mut y) {
                log.ingest(p);
            }
        }
        let since = now() - chrono::Duration::days(1);
        let from_model = from_model(&log, since).unwrap();
        let own = activity_from_lines(CORPUS, now(), since);
        for sender in [
            "alice@example.com",
            "root@localhost",
            "tempfail@example.com",
        ] {
            let (a, b) = (&from_model[sender], &own[sender]);
            assert_eq!(
                (a.sent, a.deferred, a.bounced),
                (b.sent, b.deferred, b.bounced),
                "{sender}"
            );
        }
    }

    #[test]
    fn lost_mail_is_counted_apart_from_bounces() {
        use crate::mail::log::model::MailLog;
        use crate::mail::log::parse::{YearGuess, parse_line as failures_parse};
        // one message removed with no status, one dropped by a DISCARD rule, one sent
        let text = "Nov 27 19:20:00 vm postfix/pickup[1]: 1A2B3C4D01: uid=0 from=<app@example.com>
Nov 27 19:20:00 vm postfix/qmgr[2]: 1A2B3C4D01: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:20:01 vm postfix/qmgr[2]: 1A2B3C4D01: removed
Nov 27 19:21:00 vm postfix/pickup[1]: 1A2B3C4D02: uid=0 from=<app@example.com>
Nov 27 19:21:00 vm postfix/cleanup[3]: 1A2B3C4D02: discard: header Subject: win a prize from local; from=<app@example.com> to=<ann@example.org>: spam rule
Nov 27 19:22:00 vm postfix/qmgr[2]: 1A2B3C4D03: from=<app@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 19:22:01 vm postfix/smtp[4]: 1A2B3C4D03: to=<bo@example.org>, relay=r[1.2.3.4]:587, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok)
Nov 27 19:22:01 vm postfix/qmgr[2]: 1A2B3C4D03: removed
";
        let mut log = MailLog::default();
        let mut y = YearGuess::new(now().date_naive());
        for l in text.lines() {
            log.ingest(failures_parse(l, &mut y).expect(l));
        }
        let a = from_model(&log, now() - chrono::Duration::days(1)).unwrap();
        let app = &a["app@example.com"];
        assert_eq!(
            (app.sent, app.deferred, app.bounced, app.lost),
            (1, 0, 0, 2)
        );
        assert!(app.last_problem.is_none(), "{app:?}");
        let why = app.last_lost.as_ref().unwrap();
        assert!(why.ends_with("to=<ann@example.org>: spam rule"), "{why}");
    }

    #[test]
    fn trace_through_the_failures_model() {
        use crate::mail::log::model::MailLog;
        use crate::mail::log::parse::{YearGuess, parse_line as failures_parse};
        let mut log = MailLog::default();
        let mut y = YearGuess::new(now().date_naive());
        assert!(trace_from_model(&log, "40A53C8900", "a", "b").is_none());
        for l in CORPUS.lines() {
            if let Some(p) = failures_parse(l, &mut y) {
                log.ingest(p);
            }
        }
        // the same answers as the line-by-line trace
        for id in ["40A53C8900", "3F517C8902", "4889DC8909"] {
            let mut own = Trace::new(id, "a", "b");
            for l in CORPUS.lines() {
                own.feed(l, now());
            }
            let model = trace_from_model(&log, id, "a", "b").unwrap();
            assert_eq!(model.status, own.status, "{id}");
            assert_eq!(model.notice, own.notice, "{id}");
            assert!(!model.lines.is_empty());
        }
    }

    #[test]
    fn causes_are_the_failures_panes() {
        // (status, dsn, reply, cause): the same names as in the Failures pane
        let table = [
            (
                Status::Deferred,
                "4.7.8",
                "SASL authentication failed; server x said: 535 Authentication Credentials Invalid",
                Category::SesCredentials,
            ),
            (
                Status::Deferred,
                "4.7.0",
                "SASL authentication failed; cannot authenticate to server x: no mechanism available",
                Category::SaslNoMechanism,
            ),
            (
                Status::Deferred,
                "4.0.0",
                "host x said: 454 Throttling failure: Maximum sending rate exceeded.",
                Category::SesThrottling,
            ),
            (
                Status::Deferred,
                "4.4.1",
                "connect to x[192.0.2.1]:587: Connection refused",
                Category::Connection,
            ),
            (
                Status::Bounced,
                "5.0.0",
                "host x said: 554 Sending paused for this account. For more information, please check the inbox of the email address associated with your AWS account.",
                Category::SesSendingPaused,
            ),
        ];
        for (status, dsn, reply, want) in table {
            assert_eq!(
                cause_of(status, dsn, reply, "a@b.example", ""),
                want,
                "{reply}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn hostile_lines(s in proptest::prelude::any::<String>()) {
            let _ = parse_line(&s, now());
            let mut t = Trace::new("ABCDE12345", "a", "b");
            t.feed(&format!("Nov 27 19:25:41 vm postfix/smtp[1]: ABCDE12345: {s}"), now());
            for l in &t.lines {
                proptest::prop_assert!(!l.chars().any(crate::sanitize::is_unsafe_char));
            }
        }
    }
}
