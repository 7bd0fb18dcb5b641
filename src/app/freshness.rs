//! How old a pane's data is, and when data read on an interval is overdue: the one rule the
//! status bar and the tabs' '!' go by. Pure: it is handed the clock, and reads none.
//!
//! A source that stops answering (a `postqueue -j` that hangs, a git status stuck on NFS, a
//! probe run that never ends) sends nothing at all, so nothing else would say that the data on
//! a wall's screen is no longer current.

use chrono::{DateTime, Local};

use crate::app::pane::Polled;

/// How many of its intervals data read on an interval may miss before it is overdue: one late
/// read is a slow disk or a busy host, three in a row a source that has stopped.
pub const MISSED_INTERVALS: u64 = 3;

/// How old data read every `every_secs` may grow before it is overdue: [`MISSED_INTERVALS`]
/// intervals, at least a minute, rounded up to whole minutes. Ages are shown in whole minutes,
/// so the mark comes with the age it marks ("1m!", not "<1m!"); the status bar is drawn at the
/// tick it comes, and after that changes at most once a minute, as the ages do.
pub fn overdue_after_secs(every_secs: u64) -> i64 {
    let secs = every_secs.max(1).saturating_mul(MISSED_INTERVALS).max(60);
    i64::try_from(secs.div_ceil(60).saturating_mul(60)).unwrap_or(i64::MAX)
}

/// Data read on an interval that is overdue (see [`overdue`]). Its `Display` is the pane's
/// problem in words: "not refreshed for 7m (every 5 s)".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overdue {
    polled: Polled,
    /// Seconds since the last read (or the start, never read); below -60, the clock was set
    /// back past it.
    elapsed: i64,
}

impl Overdue {
    /// The age the status bar shows of it: of the part read longest ago, when a pane reads
    /// several (its instances, its targets), and '-' when never read.
    pub fn age(&self) -> String {
        match self.polled.last {
            Some(_) => short_age(self.elapsed),
            None => "-".into(),
        }
    }
}

impl std::fmt::Display for Overdue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let every = self.polled.every_secs;
        let what = match self.polled.last {
            Some(_) => "not refreshed",
            None => "not read once",
        };
        if self.elapsed < -60 {
            write!(f, "{what} since the clock was set back (every {every} s)")
        } else {
            let age = short_age(self.elapsed);
            let time = if self.polled.last.is_some() {
                "for"
            } else {
                "in"
            };
            write!(f, "{what} {time} {age} (every {every} s)")
        }
    }
}

/// Is data read on an interval overdue at `now`? Data never read counts from `started`, the
/// start of the console: a `postqueue -j` that hangs from its first run is a stopped source
/// too. A last read stamped more than a minute ahead of the clock (which was set back since, as
/// [`short_age`] shows by '?') says nothing of how old the data is: it is overdue until a read
/// replaces it, which a working source does within an interval (see
/// [`crate::app::pane::interval_due`]).
pub fn overdue(polled: Polled, started: DateTime<Local>, now: DateTime<Local>) -> Option<Overdue> {
    let elapsed = (now - polled.last.unwrap_or(started)).num_seconds();
    (elapsed < -60 || elapsed >= overdue_after_secs(polled.every_secs))
        .then_some(Overdue { polled, elapsed })
}

/// A source's age in whole minutes, like the clock: the status bar changes at most once a
/// minute on its own, so an idle screen sends nothing. An update more than a minute ahead of the
/// clock (the clock was set back since) has no age to show: '?', not the '<1m' of a source that
/// just reported.
pub fn short_age(secs: i64) -> String {
    if secs < -60 {
        return "?".into();
    }
    let s = secs.max(0);
    if s < 60 {
        "<1m".into()
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86400)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn start() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap()
    }

    /// The words of the problem, when overdue at `now`.
    fn said(p: Polled, now: DateTime<Local>) -> Option<String> {
        overdue(p, start(), now).map(|o| o.to_string())
    }

    fn read_at(every_secs: u64, secs_after_start: i64) -> Polled {
        Polled {
            every_secs,
            last: Some(start() + Duration::seconds(secs_after_start)),
        }
    }

    /// Three intervals, never under a minute, in whole minutes.
    #[test]
    fn the_limit_is_three_intervals_in_whole_minutes_and_at_least_one() {
        assert_eq!(overdue_after_secs(5), 60);
        assert_eq!(overdue_after_secs(15), 60);
        assert_eq!(overdue_after_secs(20), 60);
        assert_eq!(overdue_after_secs(21), 120);
        assert_eq!(overdue_after_secs(30), 120);
        assert_eq!(overdue_after_secs(300), 900);
        // 0 is read as 1 s, as `interval_due` reads it; a century does not overflow
        assert_eq!(overdue_after_secs(0), 60);
        assert!(overdue_after_secs(u64::MAX) > 0);
    }

    /// Just under the limit the data is current; at it, overdue, in the words the status bar
    /// and the tab's '!' give.
    #[test]
    fn overdue_from_the_limit_on() {
        let p = read_at(5, 0);
        let at = |s: i64| start() + Duration::seconds(s);
        assert_eq!(said(p, at(0)), None);
        assert_eq!(said(p, at(59)), None);
        assert_eq!(
            said(p, at(60)).as_deref(),
            Some("not refreshed for 1m (every 5 s)")
        );
        assert_eq!(
            said(p, at(7 * 60 + 30)).as_deref(),
            Some("not refreshed for 7m (every 5 s)")
        );
        let p = read_at(30, 0);
        assert_eq!(said(p, at(119)), None);
        assert_eq!(
            said(p, at(120)).as_deref(),
            Some("not refreshed for 2m (every 30 s)")
        );
        // the status bar's age of it
        assert_eq!(
            overdue(p, start(), at(7 * 60 + 30))
                .map(|o| o.age())
                .as_deref(),
            Some("7m")
        );
        // a read that comes resets it
        let p = read_at(5, 7 * 60);
        assert_eq!(said(p, at(7 * 60 + 30)), None);
    }

    /// Data never read counts from the start of the console.
    #[test]
    fn data_never_read_counts_from_the_start() {
        let never = Polled {
            every_secs: 5,
            last: None,
        };
        let at = |s: i64| start() + Duration::seconds(s);
        assert_eq!(said(never, at(59)), None);
        assert_eq!(
            said(never, at(180)).as_deref(),
            Some("not read once in 3m (every 5 s)")
        );
        assert_eq!(
            overdue(never, start(), at(180)).map(|o| o.age()).as_deref(),
            Some("-")
        );
    }

    /// The clock set back: a last read up to a minute ahead (a small step of NTP) is taken as
    /// just read; further ahead, nothing says how old the data is, and it is overdue until a
    /// read replaces it.
    #[test]
    fn a_clock_set_back_past_a_minute_makes_the_data_overdue() {
        let p = read_at(5, 0);
        let before = |s: i64| start() - Duration::seconds(s);
        assert_eq!(said(p, before(1)), None);
        assert_eq!(said(p, before(60)), None);
        assert_eq!(
            said(p, before(61)).as_deref(),
            Some("not refreshed since the clock was set back (every 5 s)")
        );
        let never = Polled {
            every_secs: 5,
            last: None,
        };
        assert_eq!(
            said(never, before(3600)).as_deref(),
            Some("not read once since the clock was set back (every 5 s)")
        );
        // the read that comes after it, stamped by the clock as it is now
        let p = Polled {
            every_secs: 5,
            last: Some(before(3600)),
        };
        assert_eq!(said(p, before(3590)), None);
    }
}
