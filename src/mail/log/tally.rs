//! Outcomes per envelope sender ([`SenderTallies`]) and in all ([`Totals`]) over a rolling
//! window, counted as they happen.
//!
//! The model keeps its last [`Limits::outcomes`](super::model::Limits::outcomes) outcomes for
//! the table, and a busy day (or a queue whose deferrals are retried all day) has more than that:
//! counting a sender's day (or the Failures pane's) from the kept outcomes alone would leave out
//! its morning. The tallies keep counts by the minute instead and forget what is older than their
//! window. Memory stays bounded: the totals hold a day's minutes, the senders' tallies at most
//! [`MAX_BUCKETS`] minutes in all, the senders heard from least recently dropped first.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Duration, FixedOffset};

use super::classify::Category;
use super::model::{Outcome, RowStatus, SenderOutcomes};
use crate::sanitize::Clean;

/// Minutes kept over all senders, at most (a sender heard from every minute of a day takes
/// 1,440; each costs 32 bytes).
pub const MAX_BUCKETS: usize = 200_000;

/// What a sender's mail did since a time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SenderTally {
    pub counts: SenderOutcomes,
    /// The latest deferral or failure in the window: its status, cause and reply.
    pub last_problem: Option<(RowStatus, Category, Clean)>,
    /// When that was logged.
    pub last_problem_at: Option<DateTime<FixedOffset>>,
    /// Why the latest lost message in the window was lost.
    pub last_lost: Option<Clean>,
    /// Mail from the sender was delivered after its latest problem (in log order): whatever
    /// caused it no longer stops all of its mail.
    pub delivered_since_problem: bool,
}

/// Counts for one minute: sent, deferred, bounced (and undeliverable), expired, lost, deleted,
/// and the lost bounce notices of the sender's mail (also in lost).
type Counts = [u32; 7];

/// Counts by the minute (minutes since the epoch), oldest first.
#[derive(Debug)]
struct Minutes<C>(VecDeque<(i64, C)>);

impl<C> Default for Minutes<C> {
    fn default() -> Self {
        Minutes(VecDeque::new())
    }
}

impl<C: Default> Minutes<C> {
    /// Minute `m`'s counts, and whether they are new. Outcomes come in log order: almost always
    /// the newest minute, or a new one after it.
    fn slot(&mut self, m: i64) -> (&mut C, bool) {
        let i = self.0.partition_point(|(x, _)| *x < m);
        let new = self.0.get(i).is_none_or(|(x, _)| *x != m);
        if new {
            self.0.insert(i, (m, C::default()));
        }
        (&mut self.0[i].1, new)
    }

    fn newest(&self) -> Option<i64> {
        self.0.back().map(|(x, _)| *x)
    }

    /// Drop the minutes before `oldest`; how many went.
    fn forget_before(&mut self, oldest: i64) -> usize {
        let before = self.0.len();
        while self.0.front().is_some_and(|(x, _)| *x < oldest) {
            self.0.pop_front();
        }
        before - self.0.len()
    }

    /// The counts of minute `from` and after, newest first.
    fn since(&self, from: i64) -> impl Iterator<Item = &C> {
        self.0
            .iter()
            .rev()
            .take_while(move |(m, _)| *m >= from)
            .map(|(_, c)| c)
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

#[derive(Debug, Default)]
struct Tally {
    minutes: Minutes<Counts>,
    last_problem: Option<(DateTime<FixedOffset>, RowStatus, Category, Clean)>,
    last_lost: Option<(DateTime<FixedOffset>, Clean)>,
    /// A delivery was logged after `last_problem`.
    sent_since_problem: bool,
    /// When it was last counted (for dropping the least recent sender).
    seen: u64,
}

/// Every sender's tally (keys lower case; `""` is the null sender).
#[derive(Debug)]
pub struct SenderTallies {
    window: Duration,
    senders: HashMap<String, Tally>,
    buckets: usize,
    /// Outcomes counted so far.
    counted: u64,
    /// Minutes kept at most ([`MAX_BUCKETS`]).
    cap: usize,
}

/// The minute `t` falls in (minutes since the epoch): the tallies' unit of time.
pub(super) fn minute(t: DateTime<FixedOffset>) -> i64 {
    t.timestamp().div_euclid(60)
}

impl SenderTallies {
    /// Tallies that keep `window` of history (counted back from the newest outcome).
    pub fn new(window: Duration) -> SenderTallies {
        SenderTallies::with_cap(window, MAX_BUCKETS)
    }

    fn with_cap(window: Duration, cap: usize) -> SenderTallies {
        SenderTallies {
            window,
            senders: HashMap::new(),
            buckets: 0,
            counted: 0,
            cap,
        }
    }

    /// Count one outcome. Outcomes with no known sender (the message entered the queue before
    /// the text read begins) and rejections at reception are nobody's.
    pub fn record(&mut self, o: &Outcome) {
        self.record_for(o, None)
    }

    /// Count one outcome; a lost bounce notice with `owner`, the sender of the mail it was the
    /// notice of, is that sender's lost mail (and one of its `lost_notices`), not the null
    /// sender's: that sender was never told, and its row is where that is read. The notice's
    /// failed delivery itself stays the null sender's, whose route failed.
    pub fn record_for(&mut self, o: &Outcome, owner: Option<&str>) {
        let owner = owner.filter(|s| !s.is_empty() && o.status == RowStatus::Lost);
        let Some(from) = owner.or(o.from.as_deref()) else {
            return;
        };
        let slot = match o.status {
            RowStatus::Sent => 0,
            RowStatus::Deferred => 1,
            RowStatus::Bounced | RowStatus::Undeliverable => 2,
            RowStatus::Expired => 3,
            RowStatus::Lost => 4,
            RowStatus::Deleted => 5,
            RowStatus::Rejected | RowStatus::Held => return,
        };
        let key = from.to_ascii_lowercase();
        let t = self.senders.entry(key).or_default();
        let m = minute(o.time);
        let oldest = oldest_kept(self.window, m, t.minutes.newest());
        let (counts, new) = t.minutes.slot(m);
        counts[slot] += 1;
        if owner.is_some() {
            counts[6] += 1;
        }
        if new {
            self.buckets += 1;
        }
        self.counted += 1;
        t.seen = self.counted;
        match o.status {
            RowStatus::Lost => t.last_lost = Some((o.time, o.reason.clone())),
            RowStatus::Sent => t.sent_since_problem = true,
            // someone's choice, not a problem with the sender's mail
            RowStatus::Deleted => {}
            s => {
                t.sent_since_problem = false;
                t.last_problem = Some((
                    o.time,
                    s,
                    o.category.unwrap_or(Category::Other),
                    o.reason.clone(),
                ))
            }
        }
        // forget what fell out of the window, for this sender now and for all now and then
        self.buckets -= t.minutes.forget_before(oldest);
        if self.buckets > self.cap {
            self.shrink(oldest);
        }
    }

    /// Drop minutes older than `oldest` everywhere, then the senders heard from least recently
    /// until a tenth of the room is free again.
    fn shrink(&mut self, oldest: i64) {
        for t in self.senders.values_mut() {
            t.minutes.forget_before(oldest);
        }
        self.senders.retain(|_, t| t.minutes.len() > 0);
        self.buckets = self.senders.values().map(|t| t.minutes.len()).sum();
        let room = self.cap - self.cap / 10;
        if self.buckets > room {
            let mut by_age: Vec<(u64, String)> = self
                .senders
                .iter()
                .map(|(k, t)| (t.seen, k.clone()))
                .collect();
            by_age.sort();
            for (_, k) in by_age {
                if self.buckets <= room {
                    break;
                }
                if let Some(t) = self.senders.remove(&k) {
                    self.buckets -= t.minutes.len();
                }
            }
        }
    }

    /// One sender's tally since `since` (counted by the minute: the minute `since` falls in
    /// counts whole).
    pub fn get(&self, sender: &str, since: DateTime<FixedOffset>) -> SenderTally {
        self.senders
            .get(&sender.to_ascii_lowercase())
            .map(|t| tally_since(t, since))
            .unwrap_or_default()
    }

    /// Every sender with an outcome since `since`.
    pub fn all(&self, since: DateTime<FixedOffset>) -> BTreeMap<String, SenderTally> {
        self.senders
            .iter()
            .map(|(k, t)| (k.clone(), tally_since(t, since)))
            .filter(|(_, t)| t.counts != SenderOutcomes::default())
            .collect()
    }
}

/// The oldest minute a tally keeps after counting minute `m`, `newest` the newest minute counted
/// before: the window and the minute it starts in, back from `m`. But a jump ahead of more than
/// the window is not trusted yet: a line stamped far in the future (a wrong clock, a forged line)
/// must not make every real minute look old, so the window then ends at `newest`.
fn oldest_kept(window: Duration, m: i64, newest: Option<i64>) -> i64 {
    let w = window.num_minutes();
    let end = match newest {
        Some(n) if m > n.saturating_add(w) => n,
        _ => m,
    };
    end - w - 1
}

fn tally_since(t: &Tally, since: DateTime<FixedOffset>) -> SenderTally {
    let from = minute(since);
    let mut sum = Counts::default();
    for c in t.minutes.since(from) {
        for (s, n) in sum.iter_mut().zip(c) {
            *s += n;
        }
    }
    let [
        sent,
        deferred,
        bounced,
        expired,
        lost,
        deleted,
        lost_notices,
    ] = sum.map(|n| n as usize);
    let kept = t
        .last_problem
        .as_ref()
        .filter(|(at, ..)| minute(*at) >= from);
    let last_problem = kept.map(|(_, s, c, r)| (*s, *c, r.clone()));
    SenderTally {
        last_problem_at: kept.map(|(at, ..)| *at),
        delivered_since_problem: last_problem.is_some() && t.sent_since_problem,
        counts: SenderOutcomes {
            sent,
            deferred,
            bounced,
            expired,
            lost,
            deleted,
            lost_notices,
        },
        last_problem,
        last_lost: t
            .last_lost
            .as_ref()
            .filter(|(at, _)| minute(*at) >= from)
            .map(|(_, r)| r.clone()),
    }
}

/// Outcomes in all, by the minute: counts by status ([`RowStatus::ALL`] order), by cause
/// ([`Category::ALL`] order) and of the 4xx refusals among the rejected, for the Failures pane's
/// last hour and last day. A day takes 1,441 minutes of 216 bytes at most.
#[derive(Debug)]
pub struct Totals {
    window: Duration,
    minutes: Minutes<MinuteTotals>,
}

#[derive(Clone, Copy, Debug)]
struct MinuteTotals {
    status: [u32; RowStatus::ALL.len()],
    category: [u32; Category::ALL.len()],
    /// Of the rejected, those refused with a 4xx code ([`Outcome::refused_for_now`]).
    rejected_temporary: u32,
}

impl Default for MinuteTotals {
    fn default() -> Self {
        MinuteTotals {
            status: [0; RowStatus::ALL.len()],
            category: [0; Category::ALL.len()],
            rejected_temporary: 0,
        }
    }
}

/// Sums over a window: by status and by cause, in the orders of their `ALL` lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSums {
    pub status: [usize; RowStatus::ALL.len()],
    pub category: [usize; Category::ALL.len()],
    /// Of the rejected, those refused with a 4xx code, for now only: counted apart as
    /// `opsdeck summary` counts them ([`Outcome::refused_for_now`]).
    pub rejected_temporary: usize,
}

impl Default for WindowSums {
    fn default() -> Self {
        WindowSums {
            status: [0; RowStatus::ALL.len()],
            category: [0; Category::ALL.len()],
            rejected_temporary: 0,
        }
    }
}

impl Totals {
    /// Totals that keep `window` of history (counted back from the newest outcome).
    pub fn new(window: Duration) -> Totals {
        Totals {
            window,
            minutes: Minutes::default(),
        }
    }

    pub fn record(&mut self, o: &Outcome) {
        let m = minute(o.time);
        let oldest = oldest_kept(self.window, m, self.minutes.newest());
        let (t, _) = self.minutes.slot(m);
        if let Some(s) = RowStatus::ALL.iter().position(|s| *s == o.status) {
            t.status[s] += 1;
        }
        if let Some(c) = o
            .category
            .and_then(|c| Category::ALL.iter().position(|x| *x == c))
        {
            t.category[c] += 1;
        }
        if o.refused_for_now() {
            t.rejected_temporary += 1;
        }
        self.minutes.forget_before(oldest);
    }

    /// Everything since `since`, by the minute (the minute `since` falls in counts whole; at most
    /// the window back from the newest outcome).
    pub fn since(&self, since: DateTime<FixedOffset>) -> WindowSums {
        self.between(since, None)
    }

    /// Everything from `since` to `until` (both minutes whole; `None`: no end).
    pub fn between(
        &self,
        since: DateTime<FixedOffset>,
        until: Option<DateTime<FixedOffset>>,
    ) -> WindowSums {
        let from = minute(since);
        let to = until.map_or(i64::MAX, minute);
        let mut sums = WindowSums::default();
        for (_, t) in self
            .minutes
            .0
            .iter()
            .rev()
            .skip_while(|(m, _)| *m > to)
            .take_while(|(m, _)| *m >= from)
        {
            for (s, n) in sums.status.iter_mut().zip(t.status) {
                *s += n as usize;
            }
            for (s, n) in sums.category.iter_mut().zip(t.category) {
                *s += n as usize;
            }
            sums.rejected_temporary += t.rejected_temporary as usize;
        }
        sums
    }

    /// How many outcomes are stamped after the minute `now` falls in (a clock that jumped, a
    /// host whose clock runs ahead): no window of the past holds them.
    pub fn ahead_of(&self, now: DateTime<FixedOffset>) -> usize {
        let to = minute(now);
        self.minutes
            .0
            .iter()
            .rev()
            .take_while(|(m, _)| *m > to)
            .map(|(_, t)| t.status.iter().map(|n| *n as usize).sum::<usize>())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<FixedOffset> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0)
            .unwrap()
            .fixed_offset()
    }

    fn outcome(min: i64, from: &str, status: RowStatus) -> Outcome {
        Outcome {
            seq: 0,
            time: at(min),
            queue_id: None,
            status,
            category: status.is_failure().then_some(Category::Connection),
            from: Some(Clean::new(from)),
            to: Clean::new("x@example.net"),
            relay: Clean::default(),
            dsn: Clean::default(),
            reason: Clean::new(&format!("reply at minute {min}")),
            ses: None,
            bounce_of: None,
            notice_for: None,
        }
    }

    #[test]
    fn counts_a_window_by_the_minute_and_forgets_what_is_older() {
        let mut t = SenderTallies::new(Duration::minutes(60));
        for m in 0..120 {
            t.record(&outcome(m, "App@Example.com", RowStatus::Sent));
        }
        t.record(&outcome(110, "app@example.com", RowStatus::Deferred));
        t.record(&outcome(115, "app@example.com", RowStatus::Lost));
        t.record(&outcome(116, "", RowStatus::Bounced));
        let last_hour = t.get("APP@example.com", at(60));
        assert_eq!(
            last_hour.counts,
            SenderOutcomes {
                sent: 60,
                deferred: 1,
                lost: 1,
                ..SenderOutcomes::default()
            }
        );
        assert_eq!(
            last_hour.last_problem,
            Some((
                RowStatus::Deferred,
                Category::Connection,
                Clean::new("reply at minute 110")
            ))
        );
        assert_eq!(last_hour.last_lost, Some(Clean::new("reply at minute 115")));
        // the minute `since` falls in counts whole; problems before it are not the last one
        let since = at(112) + Duration::seconds(30);
        let recent = t.get("app@example.com", since);
        assert_eq!(recent.counts.sent, 8);
        assert_eq!(recent.last_problem, None);
        // older than the window (and the minute it starts in): forgotten
        assert_eq!(t.get("app@example.com", at(0)).counts.sent, 62);
        // the null sender is a sender; rejections and unknown senders are nobody's
        let mut r = outcome(117, "x@example.com", RowStatus::Rejected);
        t.record(&r);
        r.status = RowStatus::Sent;
        r.from = None;
        t.record(&r);
        let all = t.all(at(0));
        assert_eq!(all.keys().collect::<Vec<_>>(), ["", "app@example.com"]);
        assert_eq!(all[""].counts.bounced, 1);
    }

    #[test]
    fn totals_count_every_outcome_of_the_window() {
        let mut t = Totals::new(Duration::minutes(60));
        for m in 0..200 {
            t.record(&outcome(m, "a@example.com", RowStatus::Sent));
            if m % 10 == 0 {
                t.record(&outcome(m, "", RowStatus::Bounced));
            }
        }
        let sums = t.since(at(150));
        let sent = RowStatus::ALL.iter().position(|s| *s == RowStatus::Sent);
        let bounced = RowStatus::ALL.iter().position(|s| *s == RowStatus::Bounced);
        let conn = Category::ALL
            .iter()
            .position(|c| *c == Category::Connection);
        assert_eq!(sums.status[sent.unwrap()], 50);
        assert_eq!(sums.status[bounced.unwrap()], 5);
        assert_eq!(sums.category[conn.unwrap()], 5);
        assert_eq!(sums.status.iter().sum::<usize>(), 55);
        // an hour and the minute it starts in are kept, no more
        assert_eq!(t.minutes.len(), 62);
        assert_eq!(t.since(at(0)).status[sent.unwrap()], 62);
    }

    #[test]
    fn a_line_stamped_in_the_future_does_not_wipe_the_day() {
        let mut senders = SenderTallies::new(Duration::days(1));
        let mut totals = Totals::new(Duration::days(1));
        let mut both = |o: Outcome| {
            senders.record(&o);
            totals.record(&o);
        };
        for m in 0..600 {
            both(outcome(m, "app@example.com", RowStatus::Sent));
        }
        // a forged or mis-stamped line, years ahead, then the real ones go on
        both(outcome(3_000_000, "app@example.com", RowStatus::Bounced));
        for m in 600..610 {
            both(outcome(m, "app@example.com", RowStatus::Sent));
        }
        let sent = RowStatus::ALL.iter().position(|s| *s == RowStatus::Sent);
        assert_eq!(totals.since(at(0)).status[sent.unwrap()], 610);
        let app = senders.get("app@example.com", at(0)).counts;
        assert_eq!((app.sent, app.bounced), (610, 1));
    }

    #[test]
    fn memory_stays_bounded_and_the_least_recent_senders_go_first() {
        const CAP: usize = 5_000;
        let mut t = SenderTallies::with_cap(Duration::days(1), CAP);
        // a sender heard from every minute of the day, then a flood of one-off senders
        for m in 0..1440 {
            t.record(&outcome(m, "steady@example.com", RowStatus::Sent));
        }
        for i in 0..(2 * CAP as i64) {
            t.record(&outcome(
                1440,
                &format!("u{i}@flood.example"),
                RowStatus::Sent,
            ));
            t.record(&outcome(1440, "steady@example.com", RowStatus::Sent));
        }
        assert!(t.buckets <= CAP, "{}", t.buckets);
        assert_eq!(
            t.buckets,
            t.senders.values().map(|s| s.minutes.len()).sum::<usize>()
        );
        // the steady sender, heard from last, is still counted whole
        assert_eq!(
            t.get("steady@example.com", at(0)).counts.sent,
            1440 + 2 * CAP
        );
        // most of the flood went, the newest of it stays
        assert_eq!(t.get("u9999@flood.example", at(0)).counts.sent, 1);
        assert_eq!(t.get("u0@flood.example", at(0)).counts.sent, 0);
    }
}
