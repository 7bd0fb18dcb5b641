//! The demo queue: a generated `postqueue -j` file and the configuration
//! that lists it with `cat` instead of `postqueue -j`.
//!
//! The generator is also what the benchmarks use for a 100,000-message
//! queue. It writes only under the sandbox it is given and never touches a
//! real Postfix; the effect runner takes the demo's actions to [`apply`], which
//! changes the file as postsuper would change a queue.

use std::fmt::Write as _;
use std::path::Path;

use crate::config::Config;
use crate::mail::log::demo::LogGenerator;
use crate::mail::queue::parse::{QueueEntry, parse_jsonl};
use crate::mail::queue::{Outcome, QueueError, QueueId, QueueName, QueueOp};
use crate::sanitize::Clean;

const DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "example.net",
    "corp.example",
    "mail.example.org",
];

// the senders and the SES relay of the demo's mail log and sender map, so the panes agree
const SENDERS: &[&str] = &[
    "shop@example.com",
    "newsletter@example.net",
    "noreply@example.com",
    "alerts@example.org",
    "",
];

/// What SES, the relay every sender goes through, says of mail to any domain.
const RELAY_REASONS: &[&str] = &[
    "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling failure: Maximum sending rate exceeded. (in reply to end of DATA command)",
    "host email-smtp.us-east-1.amazonaws.com[54.0.0.10] said: 454 Throttling failure: Daily message quota exceeded. (in reply to MAIL FROM command)",
    "connect to email-smtp.us-east-1.amazonaws.com[54.0.0.10]:587: Connection timed out",
];

/// The sender the demo's sender map routes through an old ISP's relay on port 465, and what
/// becomes of its mail there: Postfix waits for a greeting the relay never sends (it waits for
/// TLS first, and the demo's main.cf has no `smtp_tls_wrappermode = yes`: the Senders pane says
/// so). The demo's Postfix has a relay for every sender: no recipient's own server is reached.
const LEGACY: (&str, &str) = (
    "legacy@example.com",
    "conversation with smtp.old-isp.example[203.0.113.9] timed out while receiving the initial server greeting",
);

/// A deterministic `postqueue -j` text of `n` messages, the newest arriving
/// at `now` (Unix seconds). As on a real host, mail in the incoming and
/// maildrop queues is seconds old (cleanup and pickup move it on at once),
/// and a deferred recipient's reason comes from its sender's relay.
pub fn generate(n: usize, now: i64) -> String {
    let mut out = String::with_capacity(n * 330);
    // A small linear congruential generator: the same file every time.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize
    };
    for i in 0..n {
        let roll = next() % 100;
        let queue = match roll {
            0..=77 => "deferred",
            78..=88 => "active",
            89..=96 => "hold",
            97..=98 => "incoming",
            _ => "maildrop",
        };
        let age = match queue {
            "incoming" | "maildrop" => (next() % 20) as i64,
            _ => (next() % (3 * 86400)) as i64,
        };
        let rcpts = 1 + if next() % 10 == 0 { next() % 6 } else { 0 };
        let sender = SENDERS[next() % SENDERS.len()];
        let relay = RELAY_REASONS[next() % 100 * RELAY_REASONS.len() / 100];
        let relay = if next() % 3 == 0 {
            RELAY_REASONS[0]
        } else {
            relay
        };
        // one message in eight is from the sender whose relay never greets
        let (sender, relay) = if next() % 8 == 0 {
            LEGACY
        } else {
            (sender, relay)
        };
        let _ = write!(
            out,
            r#"{{"queue_name": "{queue}", "queue_id": "{:05X}{:05X}", "arrival_time": {}, "message_size": {}, "forced_expire": false, "sender": "{sender}", "recipients": ["#,
            (i >> 20) & 0xFFFFF | 0x10000,
            i & 0xFFFFF,
            now - age,
            300 + next() % 40_000,
        );
        for r in 0..rcpts {
            if r > 0 {
                out.push_str(", ");
            }
            let dom = DOMAINS[next() % DOMAINS.len()];
            let address = format!("user{}@{dom}", next() % 100_000);
            let _ = write!(out, r#"{{"address": "{address}""#);
            if queue == "deferred" {
                let _ = write!(out, r#", "delay_reason": "{relay}""#);
            }
            out.push('}');
        }
        out.push_str("]}\n");
    }
    out
}

/// Write the demo queue and point the configuration at it; its messages.
pub fn install(sandbox: &Path, config: &mut Config) -> anyhow::Result<Vec<QueueEntry>> {
    let dir = sandbox.join("queue");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("postqueue.jsonl");
    let now = chrono::Utc::now().timestamp();
    let text = generate(240, now);
    std::fs::write(&file, &text)?;
    config.demo = true;
    config.queue.postqueue_command = Some(vec!["cat".into(), file.to_string_lossy().into_owned()]);
    Ok(parse_jsonl(text.as_bytes()).entries)
}

/// An action on the demo queue, as postsuper takes it on a real one: the file `cat` lists is
/// changed (held, released, requeued under a new id, deleted, marked expired), postsuper's
/// words are the outcome's lines, and its log lines go to the demo's mail log, where the
/// Failures pane reads them. A message no longer in the file is missed, as postsuper misses one
/// gone from the queue. Deliver now (`postqueue -i`) tries the deferred messages asked again,
/// as `retry` says.
pub fn apply(config: &Config, op: QueueOp, ids: &[QueueId]) -> Result<Outcome, QueueError> {
    let refused = || QueueError::Demo {
        action: op.verb().into(),
    };
    let file = queue_file(config).ok_or_else(refused)?;
    if op == QueueOp::DeliverNow {
        let tried = retry(config, file, Some(ids)).map_err(io_error(file))?;
        return Ok(outcome(op, ids, &tried, Vec::new()));
    }
    let (done_word, count_word) = match op {
        QueueOp::Hold => ("placed on hold", "Placed on hold"),
        QueueOp::Release => ("released from hold", "Released from hold"),
        QueueOp::Requeue => ("requeued", "Requeued"),
        QueueOp::Delete => ("removed", "Deleted"),
        QueueOp::Expire => ("expired", "Force-expired"),
        QueueOp::DeliverNow => return Err(refused()),
    };
    let io = io_error(file);
    let text = std::fs::read_to_string(file).map_err(&io)?;
    let asked: std::collections::HashSet<&str> = ids.iter().map(QueueId::as_str).collect();
    let now = chrono::Local::now();
    let mut named: Vec<String> = Vec::new();
    let mut log = Vec::new();
    // Postfix's lines, as the demo's log writes them
    let postfix = LogGenerator::new(1);
    let pid = 30_000 + now.timestamp_subsec_micros() % 9_000;
    let kept = edited(&text, |m| {
        let id = m["queue_id"].as_str().unwrap_or("").to_string();
        let queue = m["queue_name"].as_str().unwrap_or("");
        // postsuper acts on what it finds where the action applies: a release on held mail only,
        // a hold on mail not held yet
        let applies = asked.contains(id.as_str())
            && match op {
                QueueOp::Hold => queue != "hold",
                QueueOp::Release => queue == "hold",
                _ => true,
            };
        if !applies {
            return Edit::Keep;
        }
        log.push(postfix.line(now, "postsuper", pid, &format!("{id}: {done_word}")));
        named.push(id.clone());
        match op {
            QueueOp::Delete => return Edit::Drop,
            QueueOp::Hold => m["queue_name"] = "hold".into(),
            QueueOp::Release => m["queue_name"] = "deferred".into(),
            QueueOp::Expire => m["forced_expire"] = true.into(),
            QueueOp::Requeue => {
                // picked up again under a new id, and deferred again for the same reasons
                let new = format!(
                    "E{:09X}",
                    (now.timestamp_micros() as u64 + named.len() as u64) & 0xF_FFFF_FFFF
                );
                let from = m["sender"].as_str().unwrap_or("").to_string();
                log.push(postfix.line(
                    now,
                    "pickup",
                    1001,
                    &format!("{new}: uid=0 from=<{from}> orig_id={id}"),
                ));
                m["queue_id"] = new.into();
                m["queue_name"] = "deferred".into();
            }
            QueueOp::DeliverNow => unreachable!("refused above"),
        }
        Edit::Changed
    });
    let n = named.len();
    let count = format!("{count_word}: {n} message{}", if n == 1 { "" } else { "s" });
    log.push(postfix.line(now, "postsuper", pid, &count));
    replace(file, kept).map_err(&io)?;
    // the queue is changed: a log line that cannot be written loses no mail
    let _ = log_in_sandbox(config, file, &log);
    let mut lines: Vec<Clean> = named
        .iter()
        .map(|id| Clean::new(&format!("postsuper: {id}: {done_word}")))
        .collect();
    lines.push(Clean::new(&format!("postsuper: {count}")));
    Ok(outcome(op, ids, &named, lines))
}

/// The demo queue's file: what `cat` lists in place of `postqueue -j`.
fn queue_file(config: &Config) -> Option<&Path> {
    match config.queue.postqueue_command.as_deref() {
        Some([cat, file]) if cat == "cat" => Some(Path::new(file)),
        _ => None,
    }
}

/// What an action on `ids` did, `done` being the ids it acted on.
fn outcome(op: QueueOp, ids: &[QueueId], done: &[String], lines: Vec<Clean>) -> Outcome {
    Outcome {
        op,
        asked: ids.len(),
        done: Some(done.len() as u64),
        missed: Some(
            ids.iter()
                .filter(|id| !done.iter().any(|d| d == id.as_str()))
                .cloned()
                .collect(),
        ),
        lines,
        stopped: None,
        one: match ids {
            [one] => Some(one.clone()),
            _ => None,
        },
    }
}

/// Append `lines` to the demo's mail log: only one in the sandbox that holds the queue's `file`
/// (never the host's).
fn log_in_sandbox(config: &Config, file: &Path, lines: &[String]) -> std::io::Result<()> {
    use std::io::Write;
    let sandbox = file.parent().and_then(Path::parent);
    match config
        .mail_log
        .files
        .first()
        .filter(|f| sandbox.is_some_and(|s| f.starts_with(s)))
    {
        Some(mail_log) => std::fs::OpenOptions::new()
            .append(true)
            .open(mail_log)?
            .write_all(lines.concat().as_bytes()),
        None => Ok(()),
    }
}

/// A failure to read or write the demo queue's file, as the action's error.
fn io_error(file: &Path) -> impl Fn(std::io::Error) -> QueueError + '_ {
    move |e| QueueError::Spawn {
        command: "postsuper (demo)".into(),
        detail: format!("{}: {e}", file.display()),
    }
}

/// `postqueue -f` on the demo queue: every deferred message is tried again, as [`apply`]'s
/// deliver now tries those asked. postqueue prints nothing.
pub fn flush(config: &Config) -> Result<Vec<Clean>, QueueError> {
    let file = queue_file(config).ok_or_else(|| QueueError::Demo {
        action: "flush".into(),
    })?;
    retry(config, file, None).map_err(io_error(file))?;
    Ok(Vec::new())
}

/// A delivery attempt now for the deferred messages among `ids` (every one with `None`), answered
/// as the demo's relay and the recipients' servers answer ([`LogGenerator::retried`]) and logged
/// as Postfix logs it into the demo's log. The recipients delivered leave the file, and a message
/// with none left, or one marked to expire (returned to its sender), leaves the queue. The ids
/// tried.
fn retry(config: &Config, file: &Path, ids: Option<&[QueueId]>) -> std::io::Result<Vec<String>> {
    let text = std::fs::read(file)?;
    let listed = parse_jsonl(&text).entries;
    let now = chrono::Local::now();
    let mut postfix = LogGenerator::new(now.timestamp_micros() as u64);
    let pid = 20_000 + now.timestamp_subsec_micros() % 9_000;
    let tried: Vec<&QueueEntry> = listed
        .iter()
        .filter(|e| e.queue == QueueName::Deferred && ids.is_none_or(|ids| ids.contains(&e.id)))
        .collect();
    let done = postfix.retried(&tried, now, pid);
    if !done.delivered.is_empty() || !done.returned.is_empty() {
        let gone = |id: &str, address: &str| {
            done.delivered
                .iter()
                .any(|(i, a)| i.as_str() == id && a.as_str() == address)
        };
        let kept = edited(&String::from_utf8_lossy(&text), |m| {
            let id = m["queue_id"].as_str().unwrap_or("").to_string();
            if done.returned.contains(&id) {
                return Edit::Drop;
            }
            let Some(rcpts) = m["recipients"].as_array_mut() else {
                return Edit::Keep;
            };
            let before = rcpts.len();
            rcpts.retain(|r| !gone(&id, r["address"].as_str().unwrap_or("")));
            match rcpts.len() {
                0 => Edit::Drop,
                n if n == before => Edit::Keep,
                _ => Edit::Changed,
            }
        });
        replace(file, kept)?;
    }
    log_in_sandbox(config, file, &done.lines)?;
    Ok(tried.iter().map(|e| e.id.to_string()).collect())
}

/// What an edit of the demo queue does to one message's line.
enum Edit {
    /// The line stays as it was.
    Keep,
    /// The line is written again from the message as edited.
    Changed,
    /// The message leaves the queue.
    Drop,
}

/// The demo queue's text with `edit` applied to each message (a line of `postqueue -j`'s JSON);
/// a line that is not one is kept as it was.
fn edited(text: &str, mut edit: impl FnMut(&mut serde_json::Value) -> Edit) -> String {
    let mut kept = String::with_capacity(text.len());
    for line in text.lines() {
        let Ok(mut m) = serde_json::from_str::<serde_json::Value>(line) else {
            kept.push_str(line);
            kept.push('\n');
            continue;
        };
        match edit(&mut m) {
            Edit::Keep => kept.push_str(line),
            Edit::Changed => kept.push_str(&m.to_string()),
            Edit::Drop => continue,
        }
        kept.push('\n');
    }
    kept
}

/// Write the demo queue's `file` anew: the listing never sees it half written.
fn replace(file: &Path, text: String) -> std::io::Result<()> {
    let tmp = file.with_extension("jsonl.new");
    std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_queue_parses_completely() {
        let text = generate(2000, 1_800_000_000);
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.bad_lines, 0, "{:?}", p.first_bad);
        assert_eq!(p.entries.len(), 2000);
        let ids: std::collections::HashSet<_> = p.entries.iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids.len(), 2000, "ids are unique");
        assert!(
            p.entries
                .iter()
                .any(|e| e.queue == crate::mail::queue::QueueName::Hold)
        );
        assert!(p.entries.iter().any(|e| e.recipients.len() > 1));
    }

    /// What a Postfix admin would call impossible is not shown: mail days old in incoming or
    /// the maildrop, or a recipient deferred by another server than its sender's relay (the
    /// demo's Postfix relays all mail: SES, or the old ISP for the sender routed there).
    #[test]
    fn generated_queue_looks_like_a_real_one() {
        use crate::mail::queue::QueueName;
        let now = 1_800_000_000;
        let p = parse_jsonl(generate(2000, now).as_bytes());
        let young = |q: QueueName| {
            p.entries
                .iter()
                .filter(|e| e.queue == q)
                .all(|e| now - e.arrival < 60)
        };
        assert!(young(QueueName::Incoming) && young(QueueName::Maildrop));
        let mut legacy = 0;
        for e in &p.entries {
            for r in &e.recipients {
                let Some(reason) = r.reason.as_ref().map(|(_, c)| c.as_str()) else {
                    continue;
                };
                let old_isp = reason.contains("smtp.old-isp.example[");
                assert_eq!(
                    old_isp,
                    e.sender.as_str() == "legacy@example.com",
                    "{} deferred by: {reason}",
                    e.sender
                );
                assert!(old_isp || reason.contains("email-smtp.us-east-1.amazonaws.com["));
                legacy += usize::from(old_isp);
            }
        }
        assert!(legacy > 50, "{legacy} deferred by the old ISP's relay");
    }

    /// The demo's actions change its file as postsuper changes a queue, say what postsuper says,
    /// and log what postsuper logs into the demo's mail log (every line a Postfix line): a hold
    /// of held mail and a release of mail not held are missed, as postsuper misses them. A
    /// delivery now is a retry that fails again as it did.
    #[test]
    fn actions_change_the_demo_queue_as_postsuper_would() {
        use crate::mail::queue::QueueName;
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::default();
        let entries = install(dir.path(), &mut c).unwrap();
        let log = dir.path().join("log/mail.log");
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, "").unwrap();
        c.mail_log.files = vec![log.clone()];
        let listed = || {
            let cmd = c.queue.postqueue_command.clone().unwrap();
            parse_jsonl(&std::fs::read(&cmd[1]).unwrap()).entries
        };
        let queue_of = |id: &QueueId| listed().into_iter().find(|e| &e.id == id).map(|e| e.queue);
        let deferred = entries
            .iter()
            .find(|e| e.queue == QueueName::Deferred)
            .unwrap()
            .id
            .clone();
        let held = entries
            .iter()
            .find(|e| e.queue == QueueName::Hold)
            .unwrap()
            .id
            .clone();

        let o = apply(&c, QueueOp::Hold, &[deferred.clone(), held.clone()]).unwrap();
        assert_eq!(
            (o.done, o.missed.as_deref()),
            (Some(1), Some(&[held.clone()][..]))
        );
        assert_eq!(
            o.lines.iter().map(Clean::as_str).collect::<Vec<_>>(),
            [
                format!("postsuper: {deferred}: placed on hold"),
                "postsuper: Placed on hold: 1 message".to_string()
            ]
        );
        assert_eq!(queue_of(&deferred), Some(QueueName::Hold));
        let o = apply(&c, QueueOp::Release, std::slice::from_ref(&deferred)).unwrap();
        assert_eq!(o.done, Some(1));
        assert_eq!(queue_of(&deferred), Some(QueueName::Deferred));

        let o = apply(&c, QueueOp::Requeue, std::slice::from_ref(&deferred)).unwrap();
        assert_eq!(o.done, Some(1));
        assert_eq!(queue_of(&deferred), None, "requeued under a new id");
        let text = std::fs::read_to_string(&log).unwrap();
        let new = text
            .lines()
            .find_map(|l| l.split_once(&format!(" orig_id={deferred}")))
            .and_then(|(head, _)| head.split(": ").nth(1))
            .map(|id| QueueId::parse(id).unwrap())
            .expect("pickup names the new id and the old");
        assert_eq!(queue_of(&new), Some(QueueName::Deferred));

        let o = apply(&c, QueueOp::Delete, &[new.clone(), held.clone()]).unwrap();
        assert_eq!((o.done, o.missed.as_deref()), (Some(2), Some(&[][..])));
        assert_eq!(
            o.lines.last().unwrap().as_str(),
            "postsuper: Deleted: 2 messages"
        );
        assert_eq!(listed().len(), entries.len() - 2);
        // deliver now and a flush try the deferred mail again; a relay that does not answer and a
        // used-up quota defer it again for the same reasons; held mail is not tried
        let stays = |e: &QueueEntry| {
            e.recipients.iter().all(|r| {
                r.reason.as_ref().is_some_and(|(_, why)| {
                    why.contains("Connection timed out") || why.contains("Daily message quota")
                })
            })
        };
        let deferred = listed()
            .into_iter()
            .find(|e| e.queue == QueueName::Deferred && e.recipients.len() == 1 && stays(e))
            .unwrap();
        let before = std::fs::read_to_string(&log).unwrap().len();
        let o = apply(
            &c,
            QueueOp::DeliverNow,
            &[deferred.id.clone(), held.clone()],
        )
        .unwrap();
        assert_eq!(
            (o.done, o.missed.as_deref()),
            (Some(1), Some(&[held.clone()][..]))
        );
        let tried = std::fs::read_to_string(&log).unwrap()[before..].to_string();
        let reason = deferred.recipients[0].reason.as_ref().unwrap().1.as_str();
        assert!(
            tried.contains(&format!(
                "{}: to=<{}>, relay=",
                deferred.id, deferred.recipients[0].address
            )) && tried.contains(&format!(", status=deferred ({reason})\n")),
            "{tried}"
        );
        assert_eq!(queue_of(&deferred.id), Some(QueueName::Deferred));

        // force-expire marks the message; the next attempt returns it to its sender
        let o = apply(&c, QueueOp::Expire, std::slice::from_ref(&deferred.id)).unwrap();
        assert_eq!(o.done, Some(1));
        let marked = listed().into_iter().find(|e| e.id == deferred.id).unwrap();
        assert_eq!(
            (marked.queue, marked.forced_expire),
            (QueueName::Deferred, Some(true))
        );
        let before = std::fs::read_to_string(&log).unwrap().len();
        apply(&c, QueueOp::DeliverNow, std::slice::from_ref(&deferred.id)).unwrap();
        let tried = std::fs::read_to_string(&log).unwrap()[before..].to_string();
        let id = &deferred.id;
        for said in [
            format!(
                "{id}: from=<{}>, status=force-expired, returned to sender\n",
                deferred.sender
            ),
            format!("{id}: sender non-delivery notification: "),
            format!("{id}: removed\n"),
        ] {
            assert!(tried.contains(&said), "{said:?} in:\n{tried}");
        }
        assert!(!tried.contains("status=deferred"), "{tried}");
        assert_eq!(queue_of(id), None, "returned to its sender");

        // a flush: SES takes as many as its sending rate allows of those it throttled; the rest
        // are deferred again
        let queued = listed();
        let recipients = |why: &str| -> Vec<(String, String)> {
            queued
                .iter()
                .filter(|e| e.queue == QueueName::Deferred)
                .flat_map(|e| e.recipients.iter().map(move |r| (e, r)))
                .filter(|(_, r)| r.reason.as_ref().is_some_and(|(_, w)| w.contains(why)))
                .map(|(e, r)| (e.id.to_string(), r.address.to_string()))
                .collect()
        };
        let throttled = recipients("Maximum sending rate exceeded");
        assert!(throttled.len() > crate::demo::SES_MAX_SEND_RATE);
        let before = std::fs::read_to_string(&log).unwrap().len();
        assert_eq!(flush(&c).unwrap(), Vec::<Clean>::new());
        let flushed = std::fs::read_to_string(&log).unwrap()[before..].to_string();
        let still = listed();
        let sent = |(id, to): &(String, String)| {
            flushed.contains(&format!("{id}: to=<{to}>, relay="))
                && flushed.lines().any(|l| {
                    l.contains(&format!("{id}: to=<{to}>, ")) && l.contains(", status=sent (250 ")
                })
        };
        let listed_with = |(id, to): &(String, String)| {
            still.iter().any(|e| {
                e.id.as_str() == id && e.recipients.iter().any(|r| r.address.as_str() == to)
            })
        };
        let (went, left): (Vec<_>, Vec<_>) = throttled.iter().partition(|r| sent(r));
        assert_eq!(went.len(), crate::demo::SES_MAX_SEND_RATE, "{flushed}");
        assert!(went.iter().all(|r| !listed_with(r)) && left.iter().all(|r| listed_with(r)));
        // a message that went to every recipient left the queue (qmgr's "removed"); one with a
        // recipient deferred stays, the recipients that went gone from it
        for e in queued.iter().filter(|e| e.queue == QueueName::Deferred) {
            let removed = flushed.contains(&format!(" {}: removed\n", e.id));
            let listed = still.iter().any(|s| s.id == e.id);
            assert_ne!(removed, listed, "{}:\n{flushed}", e.id);
        }
        assert!(still.len() < queued.len(), "some mail delivered");
        let tried = queued.iter().filter(|e| e.queue == QueueName::Deferred);
        assert_eq!(flushed.matches("(queue active)").count(), tried.count());
        // each retry names the relay the reason names (or none reached) and the reply's DSN
        for (reason, relay, dsn) in [
            ("Connection timed out", "none", "4.4.1"),
            (
                "initial server greeting",
                "smtp.old-isp.example[203.0.113.9]:465",
                "4.4.2",
            ),
            (
                "Maximum sending rate exceeded",
                "email-smtp.us-east-1.amazonaws.com[54.0.0.10]:587",
                "4.0.0",
            ),
        ] {
            let l = flushed
                .lines()
                .find(|l| l.contains(reason))
                .unwrap_or_else(|| panic!("no retry for {reason}: {flushed}"));
            assert!(
                l.contains(&format!(", relay={relay}, ")) && l.contains(&format!(", dsn={dsn}, ")),
                "{l}"
            );
        }

        // every line logged is a Postfix line, the deletions among them
        let mut y = crate::mail::log::parse::YearGuess::now();
        let text = std::fs::read_to_string(&log).unwrap();
        for l in text.lines() {
            crate::mail::log::parse::parse_line(l, &mut y).unwrap_or_else(|| panic!("{l}"));
        }
        assert!(text.contains("postfix/postsuper["));
        assert!(text.contains(&format!(": {held}: removed\n")), "{text}");
        assert!(text.contains(": Deleted: 2 messages\n"), "{text}");
    }

    #[test]
    fn install_points_the_config_at_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::default();
        install(dir.path(), &mut c).unwrap();
        assert!(c.demo);
        let cmd = c.queue.postqueue_command.unwrap();
        assert_eq!(cmd[0], "cat");
        assert!(std::path::Path::new(&cmd[1]).is_file());
    }
}
