//! The demo's mail log: a few hours of history (and a rotated file) written at start, then a tokio
//! task that keeps appending Postfix-format lines with a realistic mix of outcomes.
//! [`LogGenerator`] is also what the benchmarks use to make large logs.
//!
//! Writes only inside the demo sandbox (or where a benchmark asks), never anywhere else.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Local};

use crate::config::Config;
use crate::mail::queue::parse::{QueueEntry, QueueName};

/// Makes message flows in Postfix 3.7's log format (traditional syslog timestamps).
#[derive(Debug, Clone)]
pub struct LogGenerator {
    state: u64,
    next_id: u64,
    pid: u32,
    pub host: String,
}

const SENDERS: &[&str] = &[
    "web@example.com",
    "shop@example.com",
    "noreply@example.com",
    "alerts@example.org",
    "root@mx1.example.com",
    "newsletter@example.net",
];
const RCPTS: &[&str] = &[
    "alice@gmail.com",
    "bob@outlook.com",
    "carol@example.de",
    "dan@yahoo.com",
    "erin@example.fr",
    "frank@proton.me",
    "grace@example.co.uk",
];
const RELAY: &str = "email-smtp.us-east-1.amazonaws.com[54.0.0.10]:587";
/// The old ISP's relay the demo's sender map routes `legacy@example.com` through.
const OLD_ISP: &str = "smtp.old-isp.example[203.0.113.9]:465";

/// The relay as Postfix names it in a reply: `host[address]`, without the port.
fn relay_host() -> &'static str {
    &RELAY[..RELAY.len() - 4]
}

/// What the relay said, as Postfix logs it.
fn relay_said(reply: &str) -> String {
    format!("host {} said: {reply}", relay_host())
}

impl LogGenerator {
    pub fn new(seed: u64) -> LogGenerator {
        LogGenerator {
            state: seed.max(1),
            next_id: 0x1A2B3C0000 + (seed & 0xffff),
            pid: 2000,
            host: "mx1".into(),
        }
    }

    fn rand(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn pick<'a>(&mut self, list: &'a [&'a str]) -> &'a str {
        list[(self.rand() % list.len() as u64) as usize]
    }

    fn id(&mut self) -> String {
        self.next_id += 1 + self.rand() % 7;
        format!("{:010X}", self.next_id & 0xFF_FFFF_FFFF)
    }

    /// A line of Postfix's `daemon` (`pid`) at `t`, as this host logs it.
    pub fn line(&self, t: DateTime<Local>, daemon: &str, pid: u32, body: &str) -> String {
        format!(
            "{} {} postfix/{daemon}[{pid}]: {body}\n",
            t.format("%b %e %H:%M:%S"),
            self.host
        )
    }

    fn ses_id(&mut self) -> String {
        let a = self.rand();
        let b = self.rand();
        format!(
            "0100018c{:08x}-{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}-000000",
            a as u32,
            (a >> 32) as u32,
            b as u16,
            (b >> 16) as u16 & 0xfff,
            (b >> 28) as u16 & 0xfff,
            b >> 16 & 0xffff_ffff_ffff
        )
    }

    /// Postfix's notice of a bounce (`nid`, of `size` bytes) to the sender of `id`: queued, and
    /// `id` removed.
    fn notice_queued(
        &self,
        out: &mut Vec<String>,
        t: DateTime<Local>,
        p: u32,
        id: &str,
        nid: &str,
        size: u32,
    ) {
        out.push(self.line(
            t,
            "bounce",
            p + 2,
            &format!("{id}: sender non-delivery notification: {nid}"),
        ));
        out.push(self.line(
            t,
            "qmgr",
            1002,
            &format!("{nid}: from=<>, size={size}, nrcpt=1 (queue active)"),
        ));
        out.push(self.line(t, "qmgr", 1002, &format!("{id}: removed")));
    }

    /// A message `id` bounced for good (`delivery`, its smtp line's body), then the notification
    /// (of `size` bytes) to its sender, which the relay accepts.
    #[allow(clippy::too_many_arguments)]
    fn bounce_notified(
        &mut self,
        out: &mut Vec<String>,
        t: DateTime<Local>,
        p: u32,
        id: &str,
        from: &str,
        delivery: &str,
        size: u32,
    ) {
        out.push(self.line(t, "smtp", p + 1, delivery));
        let nid = self.id();
        self.notice_queued(out, t, p, id, &nid, size);
        let sid = self.ses_id();
        out.push(self.line(t, "smtp", p + 1, &format!("{nid}: to=<{from}>, relay={RELAY}, delay=0.2, delays=0/0/0.1/0.1, dsn=2.0.0, status=sent (250 Ok {sid})")));
        out.push(self.line(t, "qmgr", 1002, &format!("{nid}: removed")));
    }

    /// SES refuses message `id` from `from`, an identity it has not verified, for good; the
    /// notification to the sender (From: MAILER-DAEMON) goes through SES too, bounces, and is
    /// lost. `delay` is the delivery's `delay=` and `delays=` values.
    #[allow(clippy::too_many_arguments)]
    fn refused_unverified(
        &mut self,
        out: &mut Vec<String>,
        t: DateTime<Local>,
        p: u32,
        id: &str,
        from: &str,
        to: &str,
        delay: &str,
    ) {
        let reason = relay_said(&format!(
            "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: {from} (in reply to end of DATA command)"
        ));
        out.push(self.line(t, "smtp", p + 1, &format!("{id}: to=<{to}>, relay={RELAY}, delay={delay}, dsn=5.0.0, status=bounced ({reason})")));
        let nid = self.id();
        out.push(self.line(
            t,
            "cleanup",
            p,
            &format!(
                "{nid}: message-id=<{}.{nid}@mx1.example.com>",
                t.format("%Y%m%d%H%M%S")
            ),
        ));
        self.notice_queued(out, t, p, id, &nid, 2950);
        let r2 = relay_said(
            "554 Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: MAILER-DAEMON@mx1.example.com (in reply to end of DATA command)",
        );
        out.push(self.line(t, "smtp", p + 1, &format!("{nid}: to=<{from}>, relay={RELAY}, delay=0.3, delays=0/0/0.2/0.1, dsn=5.0.0, status=bounced ({r2})")));
        out.push(self.line(t, "qmgr", 1002, &format!("{nid}: removed")));
    }

    /// A generator for mail submitted over SMTP in the demo (the Senders pane's test mail): its
    /// queue ids are of a range of their own, apart from the live writer's.
    pub fn for_submissions() -> LogGenerator {
        let mut g = LogGenerator::new(0x7E57);
        g.next_id = 0x7E57_000000;
        g
    }

    /// A new queue id.
    pub fn queue_id(&mut self) -> String {
        self.id()
    }

    /// What Postfix logs of message `id` (`size` bytes) submitted over SMTP from 127.0.0.1 with
    /// SASL login `login`: the session, cleanup and the queue manager taking it.
    pub fn received(
        &mut self,
        t: DateTime<Local>,
        id: &str,
        from: &str,
        size: usize,
        login: &str,
    ) -> Vec<String> {
        let p = self.pid + 60 + (self.rand() % 20) as u32;
        let client = "localhost[127.0.0.1]";
        vec![
            self.line(t, "smtpd", p, &format!("connect from {client}")),
            self.line(
                t,
                "smtpd",
                p,
                &format!("{id}: client={client}, sasl_method=PLAIN, sasl_username={login}"),
            ),
            self.line(
                t,
                "cleanup",
                p + 1,
                &format!(
                    "{id}: message-id=<{}.{id}@mx1.example.com>",
                    t.format("%Y%m%d%H%M%S")
                ),
            ),
            self.line(
                t,
                "qmgr",
                1002,
                &format!("{id}: from=<{from}>, size={size}, nrcpt=1 (queue active)"),
            ),
            self.line(
                t,
                "smtpd",
                p,
                &format!(
                    "disconnect from {client} ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6"
                ),
            ),
        ]
    }

    /// The delivery of message `id` through SES: sent where SES has verified `from`, else
    /// refused as not verified, with its notification lost.
    pub fn delivered(
        &mut self,
        t: DateTime<Local>,
        id: &str,
        from: &str,
        to: &str,
        verified: bool,
    ) -> Vec<String> {
        let p = self.pid + 80 + (self.rand() % 20) as u32;
        let delay = "1.9, delays=0.02/0.01/0.9/0.97";
        let mut out = Vec::new();
        if verified {
            let sid = self.ses_id();
            out.push(self.line(t, "smtp", p + 1, &format!("{id}: to=<{to}>, relay={RELAY}, delay={delay}, dsn=2.0.0, status=sent (250 Ok {sid})")));
            out.push(self.line(t, "qmgr", 1002, &format!("{id}: removed")));
        } else {
            self.refused_unverified(&mut out, t, p, id, from, to, delay);
        }
        out
    }

    /// One message's lines at about time `t`, with a realistic mix of outcomes.
    pub fn message(&mut self, t: DateTime<Local>) -> Vec<String> {
        let id = self.id();
        let from = self.pick(SENDERS).to_string();
        let to = self.pick(RCPTS).to_string();
        let p = self.pid + (self.rand() % 50) as u32;
        let roll = self.rand() % 100;
        let mut out = Vec::new();
        if roll == 99 {
            out.push(self.line(t, "smtpd", p, &format!("NOQUEUE: reject: RCPT from unknown[203.0.113.{}]: 554 5.7.1 <{to}>: Relay access denied; from=<spam@bad.example> to=<{to}> proto=ESMTP helo=<bad.example>", roll % 200)));
            return out;
        }
        out.push(self.line(t, "pickup", 1001, &format!("{id}: uid=33 from=<{from}>")));
        out.push(self.line(
            t,
            "cleanup",
            p,
            &format!(
                "{id}: message-id=<{}.{id}@mx1.example.com>",
                t.format("%Y%m%d%H%M%S")
            ),
        ));
        let size = 800 + self.rand() % 40_000;
        out.push(self.line(
            t,
            "qmgr",
            1002,
            &format!("{id}: from=<{from}>, size={size}, nrcpt=1 (queue active)"),
        ));
        let st = |status: &str, dsn: &str, reason: &str| {
            format!(
                "{id}: to=<{to}>, relay={RELAY}, delay=0.4, delays=0.01/0.01/0.2/0.18, dsn={dsn}, status={status} ({reason})"
            )
        };
        let unverified = from.starts_with("root@") || from.ends_with("example.net");
        if unverified && roll < 60 {
            self.refused_unverified(
                &mut out,
                t,
                p,
                &id,
                &from,
                &to,
                "0.4, delays=0.01/0.01/0.2/0.18",
            );
            return out;
        }
        match roll {
            74..=76 if from.starts_with("newsletter@") => {
                // a header_checks rule written against spam drops the site's own newsletter:
                // one line, no bounce, and the message is gone (the qmgr line above never comes)
                out.pop();
                out.push(self.line(t, "cleanup", p, &format!("{id}: discard: header Subject: Weekly deals - 50% off from local; from=<{from}> to=<{to}>: spam subject rule")));
            }
            70..=72 if from.starts_with("shop@") => {
                // the shop's mail library and its template both add MIME-Version: SES refuses
                // the message for good (the notification to the shop gets through)
                let reply = relay_said(
                    "554 Transaction failed: Duplicate header 'MIME-Version'. (in reply to end of DATA command)",
                );
                self.bounce_notified(
                    &mut out,
                    t,
                    p,
                    &id,
                    &from,
                    &st("bounced", "5.0.0", &reply),
                    3400,
                );
            }
            62..=71 if from.starts_with("alerts@") => {
                // alerts for the ops mailbox go to Dovecot over LMTP, and Dovecot is not running:
                // its socket is gone, the mail waits in the queue
                out.push(self.line(t, "lmtp", p + 4, &format!("{id}: to=<ops@mx1.example.com>, relay=none, delay=0.01, delays=0.01/0/0/0, dsn=4.4.1, status=deferred (connect to mx1.example.com[private/dovecot-lmtp]: No such file or directory)")));
            }
            77..=79 if from.starts_with("root@") => {
                // cron's mail for root stays on this host (local(8)), and /var/mail/root has
                // lost its permissions
                out.push(self.line(t, "local", p + 3, &format!("{id}: to=<root@mx1.example.com>, orig_to=<root>, relay=local, delay=0.02, delays=0.01/0/0/0.01, dsn=4.2.0, status=deferred (cannot update mailbox /var/mail/root for user root. cannot open file: Permission denied)")));
            }
            0..=79 => {
                let sid = self.ses_id();
                out.push(self.line(
                    t,
                    "smtp",
                    p + 1,
                    &st("sent", "2.0.0", &format!("250 Ok {sid}")),
                ));
                out.push(self.line(t, "qmgr", 1002, &format!("{id}: removed")));
            }
            80..=86 => {
                out.push(self.line(t, "smtp", p + 1, &st("deferred", "4.0.0", &relay_said("454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)"))));
                let sid = self.ses_id();
                out.push(self.line(
                    t,
                    "qmgr",
                    1002,
                    &format!("{id}: from=<{from}>, size={size}, nrcpt=1 (queue active)"),
                ));
                out.push(self.line(
                    t,
                    "smtp",
                    p + 1,
                    &st("sent", "2.0.0", &format!("250 Ok {sid}")),
                ));
                out.push(self.line(t, "qmgr", 1002, &format!("{id}: removed")));
            }
            87..=90 => {
                let reply = relay_said(&format!(
                    "550 5.1.1 <{to}>: Recipient address rejected: User unknown (in reply to RCPT TO command)"
                ));
                self.bounce_notified(
                    &mut out,
                    t,
                    p,
                    &id,
                    &from,
                    &st("bounced", "5.1.1", &reply),
                    3100,
                );
            }
            91..=93 => {
                out.push(self.line(t, "smtp", p + 1, &format!("{id}: to=<{to}>, relay={RELAY}, delay=0.3, delays=0.01/0.01/0.28/0, dsn=4.7.8, status=deferred (SASL authentication failed; server {} said: 535 Authentication Credentials Invalid)", relay_host())));
            }
            94..=96 => {
                out.push(self.line(
                    t,
                    "smtp",
                    p + 1,
                    &format!("connect to {RELAY}: Connection timed out"),
                ));
                out.push(self.line(t, "smtp", p + 1, &format!("{id}: to=<{to}>, relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to {RELAY}: Connection timed out)")));
                // now and then the admin clears such stuck mail out of the queue with
                // postsuper -d (one in two of these, about 1 message in 70; chosen by the pid
                // already drawn, so the rest of the mix and its sequence stay as they were)
                if (p - self.pid).is_multiple_of(2) {
                    out.push(self.line(t, "postsuper", p + 9000, &format!("{id}: removed")));
                    out.push(self.line(t, "postsuper", p + 9000, "Deleted: 1 message"));
                }
            }
            _ => self.returned(&mut out, t, p, &id, &from, "expired"),
        }
        out
    }

    /// Message `id` from `from` returned to its sender by the queue manager at `t`, `how`
    /// being `expired` (too long in the queue) or `force-expired` (`postsuper -e`): the notice
    /// queued, and `id` removed.
    fn returned(
        &mut self,
        out: &mut Vec<String>,
        t: DateTime<Local>,
        p: u32,
        id: &str,
        from: &str,
        how: &str,
    ) {
        out.push(self.line(
            t,
            "qmgr",
            1002,
            &format!("{id}: from=<{from}>, status={how}, returned to sender"),
        ));
        let nid = self.id();
        out.push(self.line(
            t,
            "bounce",
            p + 2,
            &format!("{id}: sender non-delivery notification: {nid}"),
        ));
        out.push(self.line(t, "qmgr", 1002, &format!("{id}: removed")));
    }
}

impl LogGenerator {
    /// The lines Postfix wrote for a message still in the queue (`e`, from the demo queue):
    /// its arrival, and for deferred mail the first attempt and the retries up to `now`, each
    /// with the reason the queue shows. Held, incoming and maildrop mail has only arrived (or
    /// not even that). Lines are paired with their time, to be merged into the history; only
    /// those from `start` on are kept (the log holds no more), and mail being delivered that
    /// arrived before has its qmgr line of now.
    fn queued(
        &mut self,
        e: &QueueEntry,
        start: DateTime<Local>,
        now: DateTime<Local>,
    ) -> Vec<(DateTime<Local>, String)> {
        let mut out = self.queued_all(e, now);
        out.retain(|(t, _)| *t >= start);
        if out.is_empty() && e.queue == QueueName::Active {
            let t = now - chrono::Duration::seconds(1 + (self.rand() % 30) as i64);
            out.push((
                t,
                self.line(
                    t,
                    "qmgr",
                    1002,
                    &format!(
                        "{}: from=<{}>, size={}, nrcpt={} (queue active)",
                        e.id.as_str(),
                        e.sender.as_str(),
                        e.size,
                        e.recipients.len()
                    ),
                ),
            ));
        }
        out
    }

    fn queued_all(
        &mut self,
        e: &QueueEntry,
        now: DateTime<Local>,
    ) -> Vec<(DateTime<Local>, String)> {
        let Some(a) = DateTime::from_timestamp(e.arrival, 0).map(|t| t.with_timezone(&Local))
        else {
            return Vec::new();
        };
        if matches!(e.queue, QueueName::Maildrop | QueueName::Incoming) {
            return Vec::new();
        }
        let id = e.id.as_str();
        let from = e.sender.as_str();
        let p = self.pid + (self.rand() % 50) as u32;
        let mut out = vec![
            (
                a,
                self.line(a, "pickup", 1001, &format!("{id}: uid=33 from=<{from}>")),
            ),
            (
                a,
                self.line(
                    a,
                    "cleanup",
                    p,
                    &format!(
                        "{id}: message-id=<{}.{id}@mx1.example.com>",
                        a.format("%Y%m%d%H%M%S")
                    ),
                ),
            ),
        ];
        if e.queue == QueueName::Hold {
            out.push((
                a,
                self.line(
                    a,
                    "cleanup",
                    p,
                    &format!(
                        "{id}: hold: header Subject: Invoice from local; from=<{from}> to=<{}>: \
                         held for review",
                        e.recipients.first().map_or("", |r| r.address.as_str())
                    ),
                ),
            ));
            return out;
        }
        out.push((a, self.active(e, a)));
        if e.queue != QueueName::Deferred {
            return out;
        }
        // the first attempt, then Postfix's backoff (5 minutes, doubling up to 4000 s)
        let (mut at, mut backoff) = (a + chrono::Duration::seconds(2), 300);
        let mut first = true;
        while at <= now {
            if !first {
                out.push((at, self.active(e, at)));
            }
            first = false;
            out.extend(self.deferred(e, at, p + 1).into_iter().map(|l| (at, l)));
            at += chrono::Duration::seconds(backoff);
            backoff = (backoff * 2).min(4000);
        }
        out
    }

    /// The queue manager taking queued message `e` into the active queue at `t`.
    fn active(&self, e: &QueueEntry, t: DateTime<Local>) -> String {
        self.line(
            t,
            "qmgr",
            1002,
            &format!(
                "{}: from=<{}>, size={}, nrcpt={} (queue active)",
                e.id,
                e.sender,
                e.size,
                e.recipients.len()
            ),
        )
    }

    /// A delivery attempt at `at` (smtp's `pid`) of queued message `e`, each recipient deferred
    /// again for the reason the queue gives it.
    fn deferred(&self, e: &QueueEntry, at: DateTime<Local>, pid: u32) -> Vec<String> {
        e.recipients
            .iter()
            .filter_map(|r| Some((r, r.reason.as_ref()?.1.as_str())))
            .map(|(r, reason)| self.deferral(e, r.address.as_str(), reason, at, pid))
            .collect()
    }

    /// smtp's line of recipient `to` of queued message `e` deferred at `at` for `reason`: the
    /// relay the reason quotes (none reached for a failed connection), and the reply's DSN.
    fn deferral(
        &self,
        e: &QueueEntry,
        to: &str,
        reason: &str,
        at: DateTime<Local>,
        pid: u32,
    ) -> String {
        let delay = at.timestamp() - e.arrival;
        let relay = relay_of(reason);
        let dsn = if reason.contains(" timed out while ") {
            "4.4.2"
        } else if relay == "none" {
            "4.4.1"
        } else {
            "4.0.0"
        };
        self.line(
            at,
            "smtp",
            pid,
            &format!(
                "{}: to=<{to}>, relay={relay}, delay={delay}, delays={delay}/0/0.4/0.2, \
                 dsn={dsn}, status=deferred ({reason})",
                e.id
            ),
        )
    }

    /// A delivery tried now (`postqueue -i`, `postqueue -f`) of the queued messages `tried`, as
    /// the demo's relays answer it: SES takes up to its sending rate of the mail it throttled
    /// ([`crate::demo::SES_MAX_SEND_RATE`]), and every other recipient is deferred again for
    /// its reason. A message left with no recipient to try is removed from the queue. A message
    /// marked to expire (`postsuper -e`) is returned to its sender instead of tried.
    pub fn retried(&mut self, tried: &[&QueueEntry], at: DateTime<Local>, pid: u32) -> Retried {
        let mut out = Retried::default();
        let mut rate = crate::demo::SES_MAX_SEND_RATE;
        for e in tried {
            if e.forced_expire == Some(true) {
                let (id, from) = (e.id.as_str(), e.sender.as_str());
                self.returned(&mut out.lines, at, pid, id, from, "force-expired");
                out.returned.push(id.to_string());
                continue;
            }
            out.lines.push(self.active(e, at));
            let mut left = 0;
            for r in &e.recipients {
                // a recipient with no reason listed is left for the queue manager's next run
                let Some((_, reason)) = &r.reason else {
                    left += 1;
                    continue;
                };
                let reason = reason.as_str();
                let throttled = reason.contains("Maximum sending rate exceeded");
                if !throttled || rate == 0 {
                    out.lines
                        .push(self.deferral(e, r.address.as_str(), reason, at, pid));
                    left += 1;
                    continue;
                }
                rate -= 1;
                let relay = relay_of(reason);
                let reply = format!("250 Ok {}", self.ses_id());
                let delay = at.timestamp() - e.arrival;
                out.lines.push(self.line(
                    at,
                    "smtp",
                    pid,
                    &format!(
                        "{}: to=<{}>, relay={relay}, delay={delay}, delays={delay}/0/0.3/0.2, \
                         dsn=2.0.0, status=sent ({reply})",
                        e.id, r.address
                    ),
                ));
                out.delivered
                    .push((e.id.to_string(), r.address.to_string()));
            }
            if left == 0 {
                out.lines
                    .push(self.line(at, "qmgr", 1002, &format!("{}: removed", e.id)));
            }
        }
        out
    }
}

/// What a retry of queued mail did ([`LogGenerator::retried`]): the lines Postfix logged, the
/// recipients delivered (queue id, address) and the messages returned to their senders.
#[derive(Debug, Default)]
pub struct Retried {
    pub lines: Vec<String>,
    pub delivered: Vec<(String, String)>,
    pub returned: Vec<String>,
}

/// The relay a deferral's reason names as Postfix logs it in `relay=`: the demo's SES, the old
/// ISP's relay that never greets (its port the sender map's), or `none` for a connection that
/// failed.
fn relay_of(reason: &str) -> String {
    let old_isp = &OLD_ISP[..OLD_ISP.len() - 4];
    match super::classify::quoted_reply(reason) {
        Some((host, _)) if host == relay_host() => RELAY.to_string(),
        _ if reason.starts_with(&format!("conversation with {old_isp} ")) => OLD_ISP.to_string(),
        _ => "none".into(),
    }
}

/// The demo's generator seed: its history is the same at every start.
const DEMO_SEED: u64 = 0x5EED;

/// Three hours of history before `now`, a message a minute, with the lines the demo queue's
/// messages got in those hours (so that the Queue and Failures panes link them): their arrival,
/// or for older mail its retries since; the older half (rotated away) and the recent half.
fn history(g: &mut LogGenerator, now: DateTime<Local>, queued: &[QueueEntry]) -> (String, String) {
    let start = now - chrono::Duration::hours(3);
    let mut lines: Vec<(DateTime<Local>, String)> = Vec::new();
    for i in (1..=180u32).rev() {
        let t = now - chrono::Duration::seconds(i as i64 * 60);
        lines.extend(g.message(t).into_iter().map(|l| (t, l)));
    }
    for e in queued {
        lines.extend(g.queued(e, start, now));
    }
    // a log is written in time order; the sort keeps each message's lines in their order
    lines.sort_by_key(|(t, _)| *t);
    let half = now - chrono::Duration::minutes(90);
    let mut old = String::new();
    let mut recent = String::new();
    for (t, l) in lines {
        if t < half { &mut old } else { &mut recent }.push_str(&l);
    }
    (old, recent)
}

/// Write the history and start the live writer (needs a tokio runtime).
pub fn install(sandbox: &Path, config: &mut Config, queued: &[QueueEntry]) -> anyhow::Result<()> {
    let dir = sandbox.join("log");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("mail.log");
    let mut g = LogGenerator::new(DEMO_SEED);
    let (old, recent) = history(&mut g, Local::now(), queued);
    std::fs::write(dir.join("mail.log.1"), old)?;
    std::fs::write(&path, recent)?;
    config.mail_log.files = vec![path.clone()];
    config.mail_log.source = super::LogSourceKind::File;
    config.mail_log.backfill_hours = 24;
    tokio::spawn(async move {
        let mut g = g;
        loop {
            let pause = 700 + g.rand() % 2500;
            tokio::time::sleep(Duration::from_millis(pause)).await;
            let lines = g.message(Local::now());
            let path = path.clone();
            let res = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)?;
                f.write_all(lines.concat().as_bytes())
            })
            .await;
            if !matches!(res, Ok(Ok(()))) {
                return;
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::log::classify::Category;
    use crate::mail::log::model::{MailLog, RowStatus};
    use crate::mail::log::parse::{YearGuess, parse_line};

    #[test]
    fn the_demos_history_shows_the_causes_it_was_written_for() {
        let mut g = LogGenerator::new(DEMO_SEED);
        let (old, recent) = history(&mut g, Local::now(), &[]);
        let mut log = MailLog::default();
        let mut y = YearGuess::now();
        for l in old.lines().chain(recent.lines()) {
            log.ingest(parse_line(l, &mut y).unwrap_or_else(|| panic!("{l}")));
        }
        let causes: std::collections::BTreeSet<Category> =
            log.outcomes().iter().filter_map(|o| o.category).collect();
        // what a user opening the demo should find without waiting for the live writer
        for c in [
            Category::SesSenderNotVerified,
            Category::SesThrottling,
            Category::SesCredentials,
            Category::RecipientUnknown,
            Category::Connection,
            Category::Lost,
            Category::LocalMailbox,
            Category::LocalService,
            Category::MalformedMessage,
            Category::Discarded,
            Category::Deleted,
        ] {
            assert!(causes.contains(&c), "{c:?} missing from {causes:?}");
        }
    }

    #[test]
    fn the_demo_queues_messages_are_in_the_log_with_their_reasons() {
        let now = Local::now();
        let text = crate::mail::queue::demo::generate(240, now.timestamp());
        let queued = crate::mail::queue::parse::parse_jsonl(text.as_bytes()).entries;
        let mut g = LogGenerator::new(DEMO_SEED);
        let (old, recent) = history(&mut g, now, &queued);
        let mut log = MailLog::default();
        let mut y = YearGuess::now();
        let mut last = None;
        for l in old.lines().chain(recent.lines()) {
            let p = parse_line(l, &mut y).unwrap_or_else(|| panic!("{l}"));
            // still written in time order
            assert!(last <= Some(p.time), "{l} after {last:?}");
            last = Some(p.time);
            log.ingest(p);
        }
        let start = (now - chrono::Duration::hours(3)).timestamp();
        let recent: Vec<_> = queued.iter().filter(|e| e.arrival >= start).collect();
        let deferred: Vec<_> = recent
            .iter()
            .filter(|e| e.queue == QueueName::Deferred)
            .collect();
        assert!(
            deferred.len() >= 3,
            "{} deferred in the hours of history",
            deferred.len()
        );
        for e in &deferred {
            let id = e.id.as_str();
            // the Queue pane's detail shows these lines, the Failures pane links back by id
            assert!(log.history(id).len() >= 4, "{id}: {:?}", log.history(id));
            let o = log
                .outcomes()
                .iter()
                .rev()
                .find(|o| o.queue_id.as_ref().is_some_and(|q| q.as_str() == id))
                .unwrap_or_else(|| panic!("{id} has no outcome"));
            assert_eq!(o.status, RowStatus::Deferred);
            assert_eq!(o.from.as_deref(), Some(e.sender.as_str()));
            let reason = e.recipients[0].reason.as_ref().unwrap().1.as_str();
            let expect = if reason.contains("Maximum sending rate") {
                Category::SesThrottling
            } else if reason.contains("Daily message quota") {
                Category::SesDailyQuota
            } else if reason.contains("Connection timed out") {
                Category::Connection
            } else {
                continue;
            };
            assert_eq!(o.category, Some(expect), "{id}: {reason}");
        }
        // older mail has its retries of those hours, and mail being delivered its qmgr line:
        // the Queue pane's detail does not say the log has no line for it
        for e in queued
            .iter()
            .filter(|e| matches!(e.queue, QueueName::Deferred | QueueName::Active))
        {
            assert!(
                !log.history(e.id.as_str()).is_empty(),
                "{} ({:?}, {}s old) has no line",
                e.id.as_str(),
                e.queue,
                now.timestamp() - e.arrival
            );
        }
        // held mail arrived and was held; mail in maildrop never reached the log
        for e in recent.iter().filter(|e| e.queue == QueueName::Maildrop) {
            assert!(log.history(e.id.as_str()).is_empty());
        }
    }

    #[test]
    fn generated_log_parses_fully_with_a_mix_of_outcomes() {
        let mut g = LogGenerator::new(7);
        let mut log = MailLog::default();
        let mut y = YearGuess::now();
        let t = Local::now();
        let mut n = 0;
        for _ in 0..2000 {
            for l in g.message(t) {
                n += 1;
                let p = parse_line(&l, &mut y).unwrap_or_else(|| panic!("{l}"));
                log.ingest(p);
            }
        }
        assert!(n > 8000);
        let statuses: std::collections::BTreeSet<RowStatus> =
            log.outcomes().iter().map(|o| o.status).collect();
        for s in [
            RowStatus::Sent,
            RowStatus::Deferred,
            RowStatus::Bounced,
            RowStatus::Expired,
            RowStatus::Lost,
            RowStatus::Rejected,
            RowStatus::Deleted,
        ] {
            assert!(statuses.contains(&s), "{s:?} missing");
        }
        // the causes a user of the demo should meet, relayed and local
        let causes: std::collections::BTreeSet<Category> =
            log.outcomes().iter().filter_map(|o| o.category).collect();
        for c in [
            Category::SesSenderNotVerified,
            Category::SesThrottling,
            Category::SesCredentials,
            Category::RecipientUnknown,
            Category::Connection,
            Category::Expired,
            Category::Lost,
            Category::RelayDenied,
            Category::LocalMailbox,
            Category::LocalService,
            Category::MalformedMessage,
            Category::Discarded,
            Category::Deleted,
        ] {
            assert!(causes.contains(&c), "{c:?} missing from {causes:?}");
        }
        // an admin's deletion now and then, not a share of the mix, each of a sender's mail
        // (what the Senders pane counts)
        let deleted: Vec<_> = log
            .outcomes()
            .iter()
            .filter(|o| o.status == RowStatus::Deleted)
            .collect();
        let total = log.outcomes().len();
        assert!(
            deleted.len() * 40 < total,
            "{} deleted of {total}",
            deleted.len()
        );
        assert!(deleted.iter().all(|o| o.from.is_some()), "{deleted:?}");
    }
}
