//! The cross-check: every sender that matters, from every source, with its
//! route, credentials, SES verification, recent outcomes and a verdict in
//! plain words; plus the warnings that concern the whole setup.
//!
//! Pure: built from a [`RelaySnapshot`], an optional [`SesSnapshot`], what
//! the log says and the queue's envelope senders. It never does I/O and
//! never sees a password (the snapshot holds user names only).

use std::collections::{BTreeMap, BTreeSet};

use crate::sanitize::Clean;

use super::logscan::{Outcomes, SenderActivity};
use super::maps::{self, RuleMatch};
use super::postconf::{Relay, TlsCheck, TlsPolicy, encryption, tls_policy_keys};
use super::ses::{SesSnapshot, Verification};
use super::source::{MapContent, MapFile, RelaySnapshot};
use crate::mail::log::classify::Category;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Ok,
    Info,
    Warn,
    Error,
}

/// One finding in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub severity: Severity,
    pub text: String,
    /// The region whose SES account (or SES as a whole) this is about, not the senders: the
    /// `ses` area of `opsdeck check` says it, and the `senders` area leaves it out.
    pub ses_region: Option<String>,
    /// What to do, when the verdict is about a cause the Failures pane explains: its remedy,
    /// whose first sentence `opsdeck check` names after the verdict.
    pub remedy: Option<&'static str>,
}

impl Verdict {
    fn new(severity: Severity, text: impl Into<String>) -> Verdict {
        Verdict {
            severity,
            text: text.into(),
            ses_region: None,
            remedy: None,
        }
    }

    /// A verdict about the SES account of `region`.
    fn about_ses(region: &str, severity: Severity, text: impl Into<String>) -> Verdict {
        Verdict {
            ses_region: Some(region.to_string()),
            ..Verdict::new(severity, text)
        }
    }
}

/// Where a sender was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seen {
    Map,
    Log,
    Queue,
    Local,
    /// Typed by the user (test mail, new route).
    Asked,
}

/// How a sender's mail leaves the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// A sender-dependent map entry or rule.
    Map {
        relay: Clean,
        map: Clean,
        line: usize,
    },
    /// The instance's `relayhost`; `dunno` names the map entry whose `DUNNO`
    /// stopped the search (`hash:/etc/postfix/sender_relay line 3`), if one did.
    Default { relay: Clean, dunno: Option<Clean> },
    /// `default_transport` names its own next hop (`smtp:[relay]:587`): Postfix uses it for
    /// mail to other domains whatever relayhost and the sender-dependent maps say.
    Transport { relay: Clean, setting: Clean },
    /// No relay at all: straight to the recipient's MX.
    Direct,
    /// A rule could not be evaluated or a map could not be read.
    Unknown { why: Clean },
}

impl Route {
    pub fn relay_text(&self) -> Option<&str> {
        match self {
            Route::Map { relay, .. }
            | Route::Default { relay, .. }
            | Route::Transport { relay, .. } => Some(relay.as_str()),
            _ => None,
        }
    }

    pub fn short(&self) -> String {
        match self {
            Route::Map { relay, .. } => relay.to_string(),
            Route::Default { relay, .. } => format!("default {relay}"),
            Route::Transport { relay, .. } => format!("transport {relay}"),
            Route::Direct => "direct (MX)".into(),
            Route::Unknown { .. } => "unknown".into(),
        }
    }
}

/// Credentials for the relay a sender uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Creds {
    Found {
        user: Clean,
        has_password: bool,
    },
    Missing,
    /// The password map could not be read.
    Unknown,
    /// No relay, or SASL off.
    NotUsed,
}

impl Creds {
    pub fn short(&self) -> String {
        match self {
            Creds::Found {
                user,
                has_password: true,
            } => user.to_string(),
            Creds::Found {
                user,
                has_password: false,
            } => format!("{user} (no password)"),
            Creds::Missing => "none".into(),
            Creds::Unknown => "?".into(),
            Creds::NotUsed => "-".into(),
        }
    }
}

/// SES verification for a sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SesCheck {
    /// Not routed to SES.
    NotSes,
    /// Depends on the sender (a `user@` key matches any domain).
    Unknown,
    /// The region's SES state is not known (not read yet, or the read failed).
    NotRead {
        region: String,
        failed: bool,
    },
    NotFound {
        region: String,
    },
    /// SES is not read at all (`senders.ses = false`).
    Off {
        region: String,
    },
    Status {
        status: Verification,
        identity: Clean,
        region: String,
    },
}

impl SesCheck {
    pub fn short(&self) -> String {
        match self {
            SesCheck::NotSes => "-".into(),
            SesCheck::Unknown => "?".into(),
            SesCheck::NotRead { region, .. } => format!("? ({region})"),
            SesCheck::Off { .. } => "not checked".into(),
            SesCheck::NotFound { .. } => "not verified".into(),
            SesCheck::Status {
                status, identity, ..
            } => {
                if identity.starts_with('@') || !identity.contains('@') {
                    format!("{} (domain)", status.words())
                } else {
                    status.words().to_string()
                }
            }
        }
    }
}

/// One row of the cross-check table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderRow {
    /// Lower-cased; the null sender is shown as `MAILER-DAEMON`.
    pub sender: Clean,
    pub seen: BTreeSet<Seen>,
    pub route: Route,
    pub creds: Creds,
    pub ses: SesCheck,
    /// Will the connection to the relay be encrypted (no relay: not checked).
    pub tls: Option<TlsCheck>,
    pub outcomes: Outcomes,
    pub verdicts: Vec<Verdict>,
}

impl SenderRow {
    pub fn worst(&self) -> Severity {
        self.verdicts
            .iter()
            .map(|v| v.severity)
            .max()
            .unwrap_or(Severity::Ok)
    }

    /// The first, most severe verdict.
    pub fn headline(&self) -> Option<&Verdict> {
        let w = self.worst();
        self.verdicts.iter().find(|v| v.severity == w)
    }

    /// A verdict's words said apart from the row (a tile, a check's summary): `sender: words`,
    /// or the words alone where they name the sender first.
    pub fn about(&self, text: &str) -> String {
        let named = text
            .strip_prefix(self.sender.as_str())
            .is_some_and(|rest| rest.starts_with(' '));
        if named {
            text.to_string()
        } else {
            format!("{}: {text}", self.sender)
        }
    }
}

/// SES in one region, as far as the cross-check is concerned.
#[derive(Clone, Debug)]
pub enum RegionView<'a> {
    Loading,
    Failed(&'a str),
    Ready(&'a SesSnapshot),
}

/// SES per region (identities verified in one region count for that region
/// only); empty when SES is not configured.
pub type SesView<'a> = BTreeMap<String, RegionView<'a>>;

/// A view of snapshots that were all read (tests, one-shot check).
pub fn ready_view<'a>(snaps: impl IntoIterator<Item = &'a SesSnapshot>) -> SesView<'a> {
    snaps
        .into_iter()
        .map(|s| (s.region.clone(), RegionView::Ready(s)))
        .collect()
}

/// Inputs besides the snapshot.
pub struct CheckInput<'a> {
    pub snapshot: &'a RelaySnapshot,
    pub ses: SesView<'a>,
    pub activity: &'a SenderActivity,
    pub queue_senders: &'a [String],
    /// `root@<hostname>` and friends.
    pub local_senders: &'a [String],
    /// Senders typed by the user (a test mail's sender).
    pub asked: &'a [String],
    /// SES is not read (`senders.ses = false`): said so, rather than "not read yet".
    pub ses_off: bool,
}

/// The whole result.
#[derive(Clone, Debug, Default)]
pub struct CrossCheck {
    pub rows: Vec<SenderRow>,
    /// Findings that concern the setup, not one sender.
    pub global: Vec<Verdict>,
    /// The mail log was not read: every row's counts are unknown, not zero.
    pub counts_unknown: bool,
}

pub fn route_for(snap: &RelaySnapshot, sender: &str) -> Route {
    // trivial-rewrite takes the next hop written after the transport over the one the maps or
    // relayhost gave
    // (a sender's own transport from sender_dependent_default_transport_maps, not read here,
    // would come before it: with such maps the transport is left out of the route)
    if let Some(relay) = transport_nexthop(&snap.settings.default_transport)
        .filter(|_| snap.settings.sender_transport_maps.trim().is_empty())
    {
        return Route::Transport {
            relay: Clean::new(relay),
            setting: Clean::new(&format!(
                "default_transport = {}",
                snap.settings.default_transport.trim()
            )),
        };
    }
    // the null sender is looked up as empty_address_relayhost_maps_lookup_key (`<>`)
    let sender = if sender.is_empty() {
        snap.settings.null_sender_lookup_key()
    } else {
        sender
    };
    // `mail_addr_find` over the map list: each key in every map before the next key; a pattern
    // map is asked the full address only, and a map that cannot be read leaves the answer unknown
    // wherever it is asked
    let keys = maps::sender_keys(sender, &snap.settings.recipient_delimiter);
    for (i, key) in keys.iter().enumerate() {
        let full = i == 0;
        for m in &snap.relay_maps {
            let (relay, line) = match &m.content {
                MapContent::Table(entries) => {
                    match entries.iter().find(|e| e.key.as_str() == key.as_str()) {
                        Some(e) => (e.value.clone(), e.line),
                        None => continue,
                    }
                }
                MapContent::Rules(rules) if full => match maps::eval_rules(rules, sender) {
                    RuleMatch::Matched { result, line } => (result, line),
                    RuleMatch::NoMatch => continue,
                    RuleMatch::Unknown { line } => {
                        return Route::Unknown {
                            why: Clean::new(&format!(
                                "{} line {line}: pattern not evaluated here",
                                m.spec.written
                            )),
                        };
                    }
                },
                MapContent::Rules(_) | MapContent::Credentials(_) => continue,
                MapContent::NotRead => {
                    return Route::Unknown {
                        why: Clean::new(&match &m.error {
                            Some(e) => e.to_string(),
                            None => format!("{}: map type not read by opsdeck", m.spec.written),
                        }),
                    };
                }
            };
            if is_dunno(&relay) {
                return default_route(snap, Some(format!("{} line {line}", m.spec.written)));
            }
            return Route::Map {
                relay,
                map: Clean::new(&m.spec.written),
                line,
            };
        }
    }
    default_route(snap, None)
}

/// The next hop a transport setting names after its first colon (`smtp:[relay]:587`), if any.
/// The `error` and `discard` transports' text after the colon is a reason, not a host.
fn transport_nexthop(setting: &str) -> Option<&str> {
    let (transport, nexthop) = setting.trim().split_once(':')?;
    let nexthop = nexthop.trim();
    (!nexthop.is_empty() && !matches!(transport.trim(), "error" | "discard" | "retry"))
        .then_some(nexthop)
}

/// A sender's route in one line, for a view outside the Senders pane (the Failures detail): the
/// relay and what chose it, and whether SASL credentials exist for that relay. The password is
/// never part of it, nor the user name: "found" or "none" is what the line is for.
pub fn route_summary(snap: &RelaySnapshot, sender: &str) -> String {
    let sender = sender.to_ascii_lowercase();
    let route = route_for(snap, &sender);
    let mut text = match &route {
        Route::Map { relay, map, line } => format!("{relay} ({map} line {line})"),
        Route::Default { relay, dunno: None } => format!("{relay} (relayhost: no map entry)"),
        Route::Default {
            relay,
            dunno: Some(d),
        } => format!("{relay} (relayhost: DUNNO at {d})"),
        Route::Transport { relay, setting } => format!("{relay} ({setting})"),
        Route::Direct => "straight to the recipient's MX (no map entry, no relayhost)".into(),
        Route::Unknown { why } => return format!("not known: {why}"),
    };
    if let Some(relay) = route.relay_text().and_then(Relay::first_of) {
        text.push_str(match creds_for(snap, &sender, &relay) {
            Creds::Found {
                has_password: true, ..
            } => "; SASL credentials found",
            Creds::Found {
                has_password: false,
                ..
            } => "; SASL credentials found, with no password",
            Creds::Missing => "; no SASL credentials for this relay",
            Creds::Unknown => "; SASL credentials not known (password map not read)",
            Creds::NotUsed => "; no SASL (smtp_sasl_auth_enable off or no password map)",
        });
    }
    text
}

/// A map answer of `DUNNO` ends the search without a relay of its own (Postfix 2.6 and
/// later): the sender goes through `relayhost`.
fn is_dunno(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("DUNNO")
}

/// The route without a map's relay: `relayhost`, or straight to the MX.
fn default_route(snap: &RelaySnapshot, dunno: Option<String>) -> Route {
    let rh = snap.settings.relayhost.trim();
    if rh.is_empty() {
        Route::Direct
    } else {
        Route::Default {
            relay: Clean::new(rh),
            dunno: dunno.map(|d| Clean::new(&d)),
        }
    }
}

fn creds_for(snap: &RelaySnapshot, sender: &str, relay: &Relay) -> Creds {
    if !snap.settings.sasl_enabled || snap.password_maps.is_empty() {
        return Creds::NotUsed;
    }
    // The SMTP client's order (smtp_sasl_passwd_lookup): the sender, when
    // smtp_sender_dependent_authentication is on and the sender is not `<>`; then the server's
    // host name; then the next hop as written. Each key in every map before the next key.
    let mut keys = Vec::new();
    if snap.settings.sender_dependent_auth && !sender.is_empty() {
        keys.extend(maps::sender_keys(
            sender,
            &snap.settings.recipient_delimiter,
        ));
    }
    keys.extend(relay.credential_keys());
    let unreadable = snap
        .password_maps
        .iter()
        .any(|m| !matches!(m.content, MapContent::Credentials(_)));
    let found = keys.iter().find_map(|k| {
        snap.password_maps.iter().find_map(|m| match &m.content {
            MapContent::Credentials(entries) => entries.iter().find(|e| e.key.as_str() == k),
            _ => None,
        })
    });
    match found {
        Some(e) => Creds::Found {
            user: e.user.clone(),
            has_password: e.has_password,
        },
        None if unreadable => Creds::Unknown,
        None => Creds::Missing,
    }
}

/// The `smtp_tls_policy_maps` entry for a relay: the first map that has
/// one wins. `Err` when a map on the way could not be consulted.
pub fn tls_policy_for(snap: &RelaySnapshot, relay: &Relay) -> Result<Option<TlsPolicy>, String> {
    let keys = tls_policy_keys(relay);
    for m in &snap.tls_policy_maps {
        let found = match &m.content {
            MapContent::Table(entries) => keys.iter().find_map(|k| {
                entries
                    .iter()
                    .find(|e| e.key.as_str() == k)
                    .map(|e| (e.value.to_string(), e.line))
            }),
            MapContent::Rules(rules) => match maps::eval_rules(rules, &keys[0]) {
                RuleMatch::Matched { result, line } => Some((result.to_string(), line)),
                RuleMatch::NoMatch => None,
                RuleMatch::Unknown { line } => {
                    return Err(format!(
                        "{} line {line}: pattern not evaluated here",
                        m.spec.written
                    ));
                }
            },
            MapContent::Credentials(_) | MapContent::NotRead => {
                return Err(match &m.error {
                    Some(e) => e.to_string(),
                    None => format!("{}: map type not read by opsdeck", m.spec.written),
                });
            }
        };
        if let Some((value, line)) = found {
            return Ok(Some(TlsPolicy {
                level: value.split_whitespace().next().unwrap_or("").to_string(),
                found_in: format!("{} line {line}", m.spec.written),
            }));
        }
    }
    Ok(None)
}

fn display_sender(s: &str) -> String {
    if s.is_empty() {
        "MAILER-DAEMON".into()
    } else {
        s.to_ascii_lowercase()
    }
}

fn is_local(seen: &BTreeSet<Seen>) -> bool {
    seen.contains(&Seen::Local)
}

fn map_keys(snap: &RelaySnapshot) -> Vec<String> {
    let mut out = Vec::new();
    for m in &snap.relay_maps {
        if let MapContent::Table(entries) = &m.content {
            for e in entries {
                if e.key.as_str() == snap.settings.null_sender_lookup_key().to_lowercase() {
                    out.push("MAILER-DAEMON".to_string());
                } else if e.kind != maps::KeyKind::Other {
                    out.push(e.key.to_string());
                }
            }
        }
    }
    out
}

/// Build the cross-check.
pub fn cross_check(input: &CheckInput<'_>) -> CrossCheck {
    let snap = input.snapshot;
    let mut senders: BTreeMap<String, BTreeSet<Seen>> = BTreeMap::new();
    for k in map_keys(snap) {
        senders.entry(k).or_default().insert(Seen::Map);
    }
    let seen = input
        .activity
        .keys()
        .map(|s| (s, Seen::Log))
        .chain(input.queue_senders.iter().map(|s| (s, Seen::Queue)))
        .chain(input.local_senders.iter().map(|s| (s, Seen::Local)))
        .chain(input.asked.iter().map(|s| (s, Seen::Asked)));
    for (s, how) in seen {
        senders.entry(display_sender(s)).or_default().insert(how);
    }

    let mut rows: Vec<SenderRow> = senders
        .into_iter()
        .map(|(sender, seen)| check_one(input, sender, seen))
        .collect();
    rows.sort_by(|a, b| {
        b.worst()
            .cmp(&a.worst())
            .then_with(|| a.sender.cmp(&b.sender))
    });
    CrossCheck {
        rows,
        global: global_findings(input),
        counts_unknown: false,
    }
}

/// What a test mail from `from` to `to` will meet when `from` is routed to SES in a region
/// whose account is in the sandbox and `to` is not verified there: SES refuses it (554), which
/// says nothing about the sender's route. `None` when not known to be so.
pub fn sandbox_refusal(
    snap: &RelaySnapshot,
    ses: &SesView<'_>,
    from: &str,
    to: &str,
) -> Option<String> {
    let route = route_for(snap, from);
    let region = Relay::first_of(route.relay_text()?)?.ses_region()?;
    let Some(RegionView::Ready(s)) = ses.get(&region) else {
        return None;
    };
    if !matches!(&s.account, Ok(a) if !a.production) {
        return None;
    }
    // the mailbox simulator's addresses are allowed in the sandbox
    let to_lower = to.to_ascii_lowercase();
    if to_lower.ends_with("@simulator.amazonses.com") {
        return None;
    }
    match s.verification_of(&to_lower) {
        Some(i) if i.status == Verification::Verified => None,
        _ => Some(format!(
            "SES in {region} is in the sandbox and {} is not verified there: SES will refuse the test mail (554), whatever the route",
            Clean::capped(to, 80)
        )),
    }
}

/// What mail from `sender` would meet on a new route to `relay` (`[host]:port`), said before the
/// route is written: no credentials for the relay, plain text to SES, a sender SES has not
/// verified in the relay's region. Empty when nothing is known to be wrong. With `ses_off`
/// (`senders.ses = false`) SES is not read by choice, and that it was not is no warning.
pub fn route_warnings(
    snap: &RelaySnapshot,
    ses: &SesView<'_>,
    sender: &str,
    relay: &str,
    ses_off: bool,
) -> Vec<String> {
    let Some(r) = Relay::first_of(relay) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let who = match sender.strip_prefix('@') {
        Some(domain) => format!("the domain {}", Clean::capped(domain, 80)),
        None => Clean::capped(sender, 80).to_string(),
    };
    match creds_for(snap, sender, &r) {
        Creds::Missing => out.push(format!(
            "No credentials for {} in smtp_sasl_password_maps: {} refuses the mail until they \
             are added",
            Clean::capped(&r.written, 80),
            if r.is_ses() {
                "SES"
            } else {
                "a relay that requires AUTH"
            }
        )),
        Creds::Found {
            has_password: false,
            ..
        } => out.push(format!(
            "The credentials for {} have no password",
            Clean::capped(&r.written, 80)
        )),
        Creds::NotUsed if r.is_ses() => out.push(
            "SMTP AUTH is off (smtp_sasl_auth_enable = no or no password map): SES refuses the \
             mail"
                .into(),
        ),
        _ => {}
    }
    if r.is_ses()
        && let Ok(policy) = tls_policy_for(snap, &r)
    {
        let enc = encryption(&r, &snap.settings, policy.as_ref());
        if enc.is_problem() {
            out.push(enc.words());
        }
    }
    let Some(region) = r.ses_region() else {
        return out;
    };
    if sender.ends_with('@') {
        return out;
    }
    let identity = match ses.get(&region) {
        Some(RegionView::Ready(s)) => match sender.strip_prefix('@') {
            Some(domain) => s.verification_of_domain(domain),
            None => s.verification_of(sender),
        },
        None if ses_off => return out,
        _ => {
            out.push(format!(
                "SES in {region} has not been read: whether {who} is verified there is not known"
            ));
            return out;
        }
    };
    match identity {
        Some(i) if i.status == Verification::Verified => {}
        Some(i) => out.push(format!(
            "{who} is not verified in SES {region} ({} {}): its mail bounces until SES has \
             verified it",
            i.name,
            i.status.words()
        )),
        None => out.push(format!(
            "{who} is not verified in SES {region}: its mail bounces until SES has verified it \
             (v on its row asks SES to verify it)"
        )),
    }
    out
}

/// What answers before an entry `sender -> relay` appended to `map` would: the entry of an
/// earlier map that Postfix finds first (a rule, an entry of the same key), or why that is not
/// known. `None` when the new entry is what Postfix would use, or `map` is not in the snapshot.
pub fn route_shadowed(snap: &RelaySnapshot, map: &maps::MapSpec, sender: &str) -> Option<String> {
    let key = sender.trim().to_ascii_lowercase();
    let mut snap = snap.clone();
    let file = snap
        .relay_maps
        .iter_mut()
        .find(|m| m.spec.written == map.written)?;
    let MapContent::Table(entries) = &mut file.content else {
        return None;
    };
    entries.push(maps::TableEntry {
        kind: maps::KeyKind::of(&key),
        key: Clean::new(&key),
        value: Clean::new("(the new entry)"),
        line: usize::MAX,
    });
    let who = Clean::capped(&key, 80);
    match route_for(&snap, &key) {
        Route::Map { map: m, line, .. } if m.as_str() == map.written && line == usize::MAX => None,
        // the action refuses it: said before it is confirmed
        Route::Map {
            relay,
            map: m,
            line,
        } if m.as_str() == map.written => Some(format!(
            "{who} is already in {m} line {line} ({relay}): nothing would be changed; edit that \
             line by hand"
        )),
        Route::Map { relay, map, line } => Some(format!(
            "{map} line {line} answers first for {who} ({relay}): the new entry would not be used"
        )),
        Route::Default {
            dunno: Some(at), ..
        } => Some(format!(
            "DUNNO at {at} answers first for {who}: the new entry would not be used"
        )),
        Route::Unknown { why } => Some(format!(
            "whether Postfix would use the new entry for {who} is not known: {why}"
        )),
        Route::Transport { setting, .. } => Some(format!(
            "{setting} names its own next hop: Postfix uses it for mail to other domains, not \
             the new entry"
        )),
        Route::Default { dunno: None, .. } | Route::Direct => None,
    }
}

/// Is the SES account of this region in the sandbox (as far as known)?
fn in_sandbox(ses: &SesView<'_>, region: &str) -> bool {
    matches!(ses.get(region), Some(RegionView::Ready(s)) if matches!(&s.account, Ok(a) if !a.production))
}

fn check_one(input: &CheckInput<'_>, sender: String, seen: BTreeSet<Seen>) -> SenderRow {
    let snap = input.snapshot;
    let is_pattern = sender.starts_with('@') || sender.ends_with('@');
    let lookup = if sender == "MAILER-DAEMON" {
        String::new()
    } else {
        sender.clone()
    };
    // `@domain` and `user@` keys look themselves up: the first key tried is the key itself
    let route = route_for(snap, &lookup);
    let relay = route.relay_text().and_then(Relay::first_of);
    let outcomes = input.activity.get(&lookup).cloned().unwrap_or_default();
    let mut verdicts = Vec::new();

    let creds = match &relay {
        Some(r) => creds_for(snap, &lookup, r),
        None => Creds::NotUsed,
    };

    // SES checks a bounce (MAIL FROM:<>) by its From: header, which Postfix writes as
    // MAILER-DAEMON@$myhostname
    let md_host = snap.settings.myhostname.trim();
    let ses_subject = if sender == "MAILER-DAEMON" && !md_host.is_empty() {
        format!("MAILER-DAEMON@{md_host}")
    } else {
        lookup.clone()
    };
    let ses = match &relay {
        Some(r) => match r.ses_region() {
            None => SesCheck::NotSes,
            Some(region) => match input.ses.get(&region) {
                // `user@` matches any domain: verification depends on which
                _ if sender.ends_with('@') => SesCheck::Unknown,
                Some(RegionView::Ready(s)) => {
                    let subject = if sender.starts_with('@') {
                        sender.trim_start_matches('@').to_string()
                    } else {
                        ses_subject.clone()
                    };
                    let found = if sender.starts_with('@') {
                        s.verification_of_domain(&subject)
                    } else {
                        s.verification_of(&subject)
                    };
                    match found {
                        Some(i) => SesCheck::Status {
                            status: i.status,
                            identity: i.name.clone(),
                            region,
                        },
                        None => SesCheck::NotFound { region },
                    }
                }
                Some(RegionView::Failed(_)) => SesCheck::NotRead {
                    region,
                    failed: true,
                },
                None if input.ses_off => SesCheck::Off { region },
                Some(RegionView::Loading) | None => SesCheck::NotRead {
                    region,
                    failed: false,
                },
            },
        },
        None => SesCheck::NotSes,
    };

    let local = is_local(&seen);
    // the bounces are its proof only when SES's refusal is what the log last said: a bounce for
    // another cause (the relay's name not resolving) is said by its own verdict
    let proof = match &outcomes.last_problem {
        Some(p) if outcomes.bounced > 0 && p.cause == Category::SesSenderNotVerified => {
            format!(" ({} bounced in the last day)", outcomes.bounced)
        }
        _ => String::new(),
    };
    // SES's own verdict names the cause of the bounces it causes
    let mut ses_says_unverified = false;
    match &ses {
        SesCheck::NotFound { region } | SesCheck::Status { region, status: Verification::Failed | Verification::NotStarted | Verification::TemporaryFailure | Verification::Unknown, .. } => {
            ses_says_unverified = true;
            let text = if sender == "MAILER-DAEMON" && !md_host.is_empty() {
                format!("MAILER-DAEMON sends through SES unverified in {region}: bounce notifications are lost{proof}; SES checks {ses_subject}: verify the domain {md_host}")
            } else if local {
                format!("{sender} sends through SES unverified in {region}: its bounces are lost{proof}")
            } else {
                format!("routed to SES, not verified in {region}: every mail will bounce{proof}")
            };
            verdicts.push(Verdict::new(Severity::Error, text));
        }
        // a domain is verified by the DKIM records SES asked for, an address by a link
        SesCheck::Status { status: Verification::Pending, region, identity } if !identity.contains('@') => verdicts.push(Verdict::new(
            Severity::Warn,
            format!("verification of the domain {identity} pending in {region}: mail bounces until SES sees its DKIM records in DNS"),
        )),
        SesCheck::Status { status: Verification::Pending, region, .. } => verdicts.push(Verdict::new(
            Severity::Warn,
            format!("verification pending in {region}: mail bounces until the link in SES's mail is followed"),
        )),
        SesCheck::Status { status: Verification::Verified, region, .. } => {
            verdicts.push(Verdict::new(Severity::Ok, format!("routed to SES, verified in {region}")));
            if in_sandbox(&input.ses, region) {
                verdicts.push(Verdict::new(
                    Severity::Info,
                    format!("SES sandbox in {region}: recipients must be verified too"),
                ));
            }
        }
        SesCheck::Unknown => {
            verdicts.push(Verdict::new(
                Severity::Info,
                "routed to SES; verification depends on each sender's domain",
            ));
        }
        SesCheck::NotRead { region, failed } => {
            let why = if *failed {
                format!("SES in {region} could not be read")
            } else {
                format!("SES in {region} not read")
            };
            verdicts.push(Verdict::new(
                Severity::Info,
                format!("routed to SES in {region}; verification not known ({why})"),
            ));
        }
        SesCheck::Off { region } => {
            verdicts.push(Verdict::new(
                Severity::Info,
                format!(
                    "routed to SES in {region}; verification not checked (senders.ses = false)"
                ),
            ));
        }
        SesCheck::NotSes => {}
    }

    let mut tls = None;
    if let Some(r) = &relay {
        match &creds {
            Creds::Missing => verdicts.push(Verdict::new(
                if r.is_ses() { Severity::Error } else { Severity::Warn },
                format!("no credentials for {} in the password map", r.written),
            )),
            Creds::Found { has_password: false, .. } => {
                verdicts.push(Verdict::new(Severity::Error, "credentials have no password"))
            }
            Creds::NotUsed if r.is_ses() => verdicts.push(Verdict::new(
                Severity::Error,
                "SMTP AUTH is off (smtp_sasl_auth_enable = no or no password map): SES refuses the mail",
            )),
            Creds::Unknown => verdicts.push(Verdict::new(Severity::Warn, "password map not readable: credentials not checked")),
            _ => {}
        }
        let policy = match tls_policy_for(snap, r) {
            Ok(p) => p,
            Err(why) => {
                verdicts.push(Verdict::new(
                    Severity::Warn,
                    format!("TLS policy not known ({why}): the encryption verdict ignores smtp_tls_policy_maps"),
                ));
                None
            }
        };
        let enc = encryption(r, &snap.settings, policy.as_ref());
        if enc.is_problem() {
            verdicts.push(Verdict::new(
                if r.is_ses() {
                    Severity::Error
                } else {
                    Severity::Warn
                },
                enc.words(),
            ));
        }
        tls = Some(enc);
    }
    let rest: Vec<String> = route
        .relay_text()
        .map(Relay::all_of)
        .unwrap_or_default()
        .into_iter()
        .skip(1)
        .map(|r| r.written)
        .collect();
    if !rest.is_empty() {
        verdicts.push(Verdict::new(
            Severity::Info,
            format!(
                "relay list: only its first destination is checked here; Postfix falls back to {}",
                rest.join(", ")
            ),
        ));
    }
    if let Route::Unknown { why } = &route {
        verdicts.push(Verdict::new(
            Severity::Warn,
            format!("route not known: {why}"),
        ));
    }

    let in_map = seen.contains(&Seen::Map);
    let has_maps = !snap.relay_maps.is_empty();
    let dunno = matches!(route, Route::Default { dunno: Some(_), .. });
    let by_transport = matches!(route, Route::Transport { .. });
    if !in_map
        && has_maps
        && !matches!(route, Route::Map { .. })
        && !is_pattern
        && !dunno
        && !by_transport
    {
        let where_ = if seen.contains(&Seen::Log) {
            "seen in the log"
        } else if seen.contains(&Seen::Queue) {
            "in the queue"
        } else if local {
            "local sender"
        } else {
            "sender"
        };
        let via = match &route {
            Route::Default { relay, .. } => format!("goes through the default relay {relay}"),
            Route::Direct => "goes out directly to the recipient's MX".into(),
            _ => "route not known".into(),
        };
        // first: it explains the rows that follow
        verdicts.insert(
            0,
            Verdict::new(
                // a local sender the log has not seen is only worth knowing about
                if local && !seen.contains(&Seen::Log) {
                    Severity::Info
                } else {
                    Severity::Warn
                },
                format!("{where_} but not in the map: {via}"),
            ),
        );
    }
    if sender.ends_with('@') && in_map {
        // mail_addr_find tries user@domain, user@domain without its extension and @domain:
        // an entry that looks like it routes every domain routes none
        verdicts.insert(
            0,
            Verdict::new(
                Severity::Warn,
                format!(
                    "Postfix never looks up a user@ key in sender_dependent_relayhost_maps: {sender} routes no mail (write {sender}DOMAIN for each domain)"
                ),
            ),
        );
    }
    if outcomes.lost > 0 {
        // the worst news the log has about a sender (mail gone, nobody told): before bounces
        let why = outcomes
            .last_lost
            .as_ref()
            .map(|w| w.as_str())
            .unwrap_or("no final delivery status logged");
        // Lost only as the failed notices of its own failures, and its mail delivered since:
        // what failed is fixed and what is left is to tell the sender by hand (the failures
        // check grades these notices with the failures they were of, at most a WARNING)
        let severity = if outcomes.lost_notices >= outcomes.lost && outcomes.delivered_since_problem
        {
            Severity::Warn
        } else {
            Severity::Error
        };
        // The null sender's lost mail is its notices that no sender's row counts: the log as
        // read does not hold the mail they were for (it came before the log's start, or was
        // forgotten since), so whose it was is not known here; each names its addressee.
        let text = if sender == "MAILER-DAEMON" {
            format!(
                "{} bounce notice(s) lost in the last day, nobody was told; the log as read \
                 does not hold the mail they were for, so no sender's row counts them: {why}",
                outcomes.lost
            )
        } else {
            format!(
                "{} lost in the last day, nobody was told: {why}",
                outcomes.lost
            )
        };
        verdicts.push(Verdict {
            remedy: Some(Category::Lost.remedy()),
            ..Verdict::new(severity, text)
        });
    }
    if outcomes.deleted > 0 {
        // someone here chose to (spam cleared out of the queue): worth knowing, as the sender
        // was not told, but no fault of the sender's route, so no more than a note
        verdicts.push(Verdict::new(
            Severity::Info,
            format!(
                "{} deleted with postsuper -d in the last day, never delivered: the sender was not told",
                outcomes.deleted
            ),
        ));
    }
    if (outcomes.bounced > 0 || outcomes.deferred > 0)
        && let Some(p) = &outcomes.last_problem
        && !(ses_says_unverified && p.cause == Category::SesSenderNotVerified)
    {
        // mail delivered since the latest problem: its cause (a password, an identity since
        // verified) no longer stops the sender's mail, and a day of history is not a failure now
        // The null sender's mail is bounce notices, and its route is theirs: refused on this
        // host's side (its SES identity, credentials, TLS), every notice fails the same way
        // until that is fixed, whoever's mail it is the notice of; refused by the addressee's
        // side (the failed mail's sender takes no mail), the route works and the loss is on
        // that sender's row.
        let notices = sender == "MAILER-DAEMON";
        let addressee_side = notices
            && !crate::mail::queue::check::held_up_here(p.cause)
            && !matches!(p.cause, Category::Expired | Category::Other);
        let (severity, since) = if outcomes.delivered_since_problem {
            (
                Severity::Info,
                if notices {
                    ", a notice delivered since"
                } else {
                    ", mail delivered since"
                },
            )
        } else if outcomes.bounced > 0 && !addressee_side {
            (Severity::Error, "")
        } else {
            (Severity::Warn, "")
        };
        let tail = notices && !outcomes.delivered_since_problem && outcomes.bounced > 0;
        // the cause is the latest problem's, said as such: the day's counts mix causes
        let mut text = format!(
            "{} {}bounced, {} deferred in the last day{since}; the latest {} ({}): {}",
            outcomes.bounced,
            if notices { "bounce notice(s) " } else { "" },
            outcomes.deferred,
            if p.status == crate::mail::log::model::RowStatus::Deferred {
                "deferral"
            } else {
                "bounce"
            },
            p.cause.label(),
            // its full stop ends the verdict, not the middle of it
            if tail {
                p.cause.meaning().trim_end_matches('.')
            } else {
                p.cause.meaning()
            }
        );
        if tail {
            if addressee_side {
                text.push_str(
                    " (the addressee is the sender of the failed mail: its side refused the \
                     notice, not this route)",
                );
            } else {
                // The failed mail's own senders moving again (the Failures check then counts
                // their notices as fixed with them) fixes their mail, not this route.
                let moving: Vec<&str> = input
                    .activity
                    .iter()
                    .filter(|(_, o)| o.lost_notices > 0 && o.delivered_since_problem)
                    .map(|(s, _)| s.as_str())
                    .collect();
                text.push_str(
                    "; no notice delivered since: the sender of the next failed mail is not \
                     told either",
                );
                if !moving.is_empty() {
                    let more = match moving.len() {
                        n if n > 2 => format!(" and {} more", n - 2),
                        _ => String::new(),
                    };
                    text.push_str(&format!(
                        " (mail from {}{more}, whose notices failed, is delivered again: that \
                         fixed its mail, not this route)",
                        moving[..moving.len().min(2)].join(", ")
                    ));
                }
            }
        }
        verdicts.push(Verdict {
            // what to do about the latest problem, while it still stops the sender's mail
            remedy: (!outcomes.delivered_since_problem).then(|| p.cause.remedy()),
            ..Verdict::new(severity, text)
        });
    }
    if verdicts.is_empty() {
        let text = match &route {
            Route::Direct => "no relay: delivered straight to the recipient's MX".to_string(),
            _ => "routed, nothing wrong seen".to_string(),
        };
        verdicts.push(Verdict::new(Severity::Ok, text));
    }
    SenderRow {
        // clean already: a sender as the log model, the maps and the queue keep it
        sender: Clean::joined(sender),
        seen,
        route,
        creds,
        ses,
        tls,
        outcomes,
        verdicts,
    }
}

fn file_findings(m: &MapFile, password: bool, out: &mut Vec<Verdict>) {
    let name = &m.spec.path;
    if let Some(e) = &m.error {
        match (&m.source, &m.compiled) {
            // there but not readable by this user (a monitoring user, say): not checked, which
            // is not the same as broken
            (Some(_), _) => out.push(Verdict::new(
                Severity::Warn,
                format!("cannot read {e} (not checked)"),
            )),
            // the text removed after postmap, as some hardening guides say: Postfix reads the
            // compiled map
            (None, Some(c)) => out.push(Verdict::new(
                Severity::Info,
                format!(
                    "{name} is not there: Postfix reads the compiled {}; its entries are not listed",
                    c.path
                ),
            )),
            (None, None) => out.push(Verdict::new(Severity::Error, format!("cannot read {e}"))),
        }
    }
    if password {
        for f in [&m.source, &m.compiled].into_iter().flatten() {
            if f.open_to_others() {
                out.push(Verdict::new(
                    Severity::Error,
                    format!(
                        "password map {} readable by group/others (mode {:o}): chmod 600",
                        f.path, f.mode
                    ),
                ));
            }
            if f.uid != 0 {
                out.push(Verdict::new(
                    Severity::Warn,
                    format!("password map {} not owned by root (uid {})", f.path, f.uid),
                ));
            }
        }
    }
    if m.stale() {
        out.push(Verdict::new(
            Severity::Error,
            format!(
                "map source {name} newer than its {}: run postmap",
                m.spec.kind.compiled_suffix().unwrap_or("")
            ),
        ));
    }
    if m.never_compiled() {
        out.push(Verdict::new(
            Severity::Error,
            format!(
                "{name} has never been compiled: run postmap {}",
                m.spec.postmap_arg()
            ),
        ));
    }
    for b in &m.bad_lines {
        out.push(Verdict::new(
            Severity::Warn,
            format!("{name} line {}: {} ({})", b.line, b.why, b.text),
        ));
    }
    if m.spec.kind == maps::MapKind::Other {
        out.push(Verdict::new(
            Severity::Info,
            format!("{}: map type not read by opsdeck", m.spec.written),
        ));
    }
}

/// The finding when the mail log could not be read for the per-sender counts: without it every
/// sender shows 0/0/0 and no bounce or deferral verdict, which must not pass for "no trouble".
pub fn unread_log(error: &str) -> Verdict {
    Verdict::new(
        Severity::Warn,
        format!("per-sender delivery counts unknown, the mail log was not read: {error}"),
    )
}

/// The day's log read only in part: it stopped at the check's deadline (`secs`).
pub fn cut_log(cut: &super::logscan::LogCut, secs: u64) -> Verdict {
    let counts = cut
        .last
        .map_or("per-sender delivery counts unknown".to_string(), |l| {
            format!(
                "per-sender delivery counts cover the day's log only up to {}",
                l.format("%H:%M:%S")
            )
        });
    Verdict::new(
        Severity::Warn,
        format!(
            "{counts}: {}: read stopped at \
             the check's deadline ({secs} s, [check] deadline_secs). A slow disk, or a very \
             busy day? Raise deadline_secs, and the monitoring system's timeout with it",
            cut.file
        ),
    )
}

fn global_findings(input: &CheckInput<'_>) -> Vec<Verdict> {
    let snap = input.snapshot;
    let mut out = Vec::new();
    if snap.relay_maps.is_empty() {
        out.push(Verdict::new(
            Severity::Info,
            "no sender_dependent_relayhost_maps: every sender uses the default relay",
        ));
    }
    for m in &snap.relay_maps {
        file_findings(m, m.holds_passwords, &mut out);
    }
    for m in &snap.password_maps {
        file_findings(m, true, &mut out);
    }
    for m in &snap.tls_policy_maps {
        file_findings(m, m.holds_passwords, &mut out);
    }
    // one file as the password map and as another map: its values are passwords, which Postfix
    // would take as relays or TLS policies; none is shown
    for (m, named) in snap
        .relay_maps
        .iter()
        .map(|m| (m, "sender_dependent_relayhost_maps"))
        .chain(
            snap.tls_policy_maps
                .iter()
                .map(|m| (m, "smtp_tls_policy_maps")),
        )
        .filter(|(m, _)| m.holds_passwords)
    {
        out.push(Verdict::new(
            Severity::Error,
            format!(
                "{} is in smtp_sasl_password_maps and in {named}: Postfix would read its \
                 user:password values as {}; give each its own file (its values are not shown)",
                m.spec.path,
                if named.starts_with("sender") {
                    "relay hosts"
                } else {
                    "TLS policies"
                }
            ),
        ));
    }
    if !snap.settings.transport_maps.trim().is_empty() {
        out.push(Verdict::new(
            Severity::Info,
            format!(
                "transport_maps = {} is not read here: its entry for a recipient, its domain or \
                 * decides the transport and next hop of mail to that recipient, over the routes \
                 shown",
                snap.settings.transport_maps.trim()
            ),
        ));
    }
    if !snap.settings.sender_transport_maps.trim().is_empty() {
        out.push(Verdict::new(
            Severity::Info,
            format!(
                "sender_dependent_default_transport_maps = {} is not read here: a transport it \
                 gives a sender, with its own next hop, overrides the route shown for that sender",
                snap.settings.sender_transport_maps.trim()
            ),
        ));
    }
    let transport = snap.settings.default_transport.trim();
    let transport_name = transport.split(':').next().unwrap_or("").trim();
    if transport_nexthop(transport).is_some()
        && snap.settings.sender_transport_maps.trim().is_empty()
        && (!snap.relay_maps.is_empty() || !snap.settings.relayhost.trim().is_empty())
    {
        out.push(Verdict::new(
            Severity::Warn,
            format!(
                "default_transport = {transport} names its own next hop: Postfix sends mail to \
                 other domains there, and sender_dependent_relayhost_maps and relayhost are not \
                 used"
            ),
        ));
    } else if matches!(transport_name, "error" | "discard") {
        // Debian's \"local only\" choice sets default_transport = error
        out.push(Verdict::new(
            Severity::Error,
            format!(
                "default_transport = {transport}: Postfix sends no mail to other domains (it is \
                 {}), whatever the routes say",
                if transport_name == "error" {
                    "bounced"
                } else {
                    "discarded"
                }
            ),
        ));
    }
    if !snap.settings.sasl_enabled {
        out.push(Verdict::new(
            Severity::Warn,
            "smtp_sasl_auth_enable = no: no relay gets credentials (a relay that asks for a login, \
             as SES does, refuses every message: set it to yes, with smtp_sasl_password_maps)",
        ));
    }
    for (region, view) in &input.ses {
        match view {
            RegionView::Ready(s) => match &s.account {
                Ok(a) => {
                    if !a.production {
                        out.push(Verdict::about_ses(
                            region,
                            Severity::Warn,
                            format!("SES account in {region} is in the sandbox: recipients must be verified too"),
                        ));
                    }
                    if !a.sending_enabled {
                        out.push(Verdict::about_ses(
                            region,
                            Severity::Error,
                            format!("SES sending is paused in {region}"),
                        ));
                    }
                    if !a.enforcement.eq_ignore_ascii_case("HEALTHY") {
                        out.push(Verdict::about_ses(
                            region,
                            Severity::Warn,
                            format!("SES enforcement status in {region}: {}", a.enforcement),
                        ));
                    }
                }
                Err(e) => out.push(Verdict::about_ses(
                    region,
                    Severity::Warn,
                    format!(
                        "SES account in {region} not read (sandbox, quota, paused sending \
                         unknown): {}",
                        super::ses::error_words(region, e)
                    ),
                )),
            },
            RegionView::Failed(e) => out.push(Verdict::about_ses(
                region,
                Severity::Warn,
                format!(
                    "SES in {region} not read: {}",
                    super::ses::error_words(region, e)
                ),
            )),
            RegionView::Loading => {}
        }
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.severity));
    out
}

/// Local senders for this host: `root@<myorigin>`, `root@<hostname>`, the null sender.
pub fn local_senders(myorigin: &str, hostname: &str) -> Vec<String> {
    let mut v = Vec::new();
    for h in [myorigin, hostname] {
        let h = h.trim();
        if !h.is_empty() {
            v.push(format!("root@{}", h.to_ascii_lowercase()));
        }
    }
    v.push(String::new());
    v.dedup();
    v
}

/// Envelope senders of the mail in the queue (the shared queue model), most
/// frequent first; the null sender is the empty string.
pub fn queue_senders(queue: &crate::mail::queue::QueueModel) -> Vec<String> {
    queue
        .senders()
        .into_iter()
        .map(|(s, _)| s.as_str().to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// [`cross_check`] of a snapshot, SES and the log alone (no queue, local or typed senders).
    fn checked(
        snapshot: &RelaySnapshot,
        ses: SesView<'_>,
        activity: &SenderActivity,
    ) -> CrossCheck {
        cross_check(&CheckInput {
            snapshot,
            ses,
            activity,
            queue_senders: &[],
            local_senders: &[],
            asked: &[],
            ses_off: false,
        })
    }

    #[test]
    fn queue_senders_come_from_the_shared_queue_model() {
        let fx = crate::mail::queue::testkit::Fx::new(&crate::mail::queue::testkit::fixture());
        let senders = queue_senders(&fx.shared.queue);
        let expected: Vec<String> = fx
            .shared
            .queue
            .senders()
            .into_iter()
            .map(|(s, _)| s.as_str().to_ascii_lowercase())
            .collect();
        assert!(!senders.is_empty(), "the fixture queue has senders");
        assert_eq!(senders, expected);
    }
    use crate::mail::log::model::RowStatus;
    use crate::mail::senders::logscan::Problem;
    use crate::mail::senders::postconf::parse_output;
    use crate::mail::senders::ses::{Account, Identity};
    use crate::mail::senders::source::{FileFacts, MapFile};
    use chrono::{Local, TimeZone};

    pub(crate) fn snapshot(open_passwords: bool, stale: bool) -> RelaySnapshot {
        let settings = parse_output(
            "sender_dependent_relayhost_maps = hash:/etc/postfix/sender_relay\n\
             relayhost = [mail.isp.example]:587\n\
             smtp_sasl_auth_enable = yes\n\
             smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n\
             smtp_tls_security_level = encrypt\n\
             smtp_sender_dependent_authentication = no\n\
             myorigin = web1.example.com\n",
        );
        let t0 = Local.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        let t1 = Local.with_ymd_and_hms(2026, 11, 27, 11, 0, 0).unwrap();
        let facts = |p: &str, mode, t| FileFacts {
            path: Clean::new(p),
            uid: 0,
            mode,
            modified: Some(t),
        };
        let relay_spec = maps::parse_map_list("hash:/etc/postfix/sender_relay").remove(0);
        let pw_spec = maps::parse_map_list("hash:/etc/postfix/sasl_passwd").remove(0);
        let (entries, _) = maps::parse_table(
            "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
             bob@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
             @example.org [email-smtp.us-east-1.amazonaws.com]:587\n\
             root@web1.example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
             legacy@example.com [old.relay.example]:465\n",
        );
        let (creds, _) = maps::parse_password_table(
            "[email-smtp.us-east-1.amazonaws.com]:587 AKIAEXAMPLEUSER:SuperSecretSesPassword\n",
        );
        let mode = if open_passwords { 0o644 } else { 0o600 };
        RelaySnapshot {
            instance: "default".into(),
            settings,
            relay_maps: vec![MapFile {
                spec: relay_spec,
                content: MapContent::Table(entries),
                error: None,
                bad_lines: vec![],
                source: Some(facts(
                    "/etc/postfix/sender_relay",
                    0o644,
                    if stale { t1 } else { t0 },
                )),
                compiled: Some(facts(
                    "/etc/postfix/sender_relay.db",
                    0o644,
                    if stale { t0 } else { t1 },
                )),
                holds_passwords: false,
            }],
            password_maps: vec![MapFile {
                spec: pw_spec,
                content: MapContent::Credentials(creds),
                error: None,
                bad_lines: vec![],
                source: Some(facts("/etc/postfix/sasl_passwd", mode, t0)),
                compiled: Some(facts("/etc/postfix/sasl_passwd.db", mode, t1)),
                holds_passwords: true,
            }],
            tls_policy_maps: Vec::new(),
            main_cf: Some(facts("/etc/postfix/main.cf", 0o644, t0)),
            read_at: t1,
        }
    }

    pub(crate) fn ses(production: bool) -> SesSnapshot {
        let id = |n: &str, d, s| Identity {
            name: Clean::new(n),
            is_domain: d,
            status: s,
            sending_enabled: true,
        };
        SesSnapshot {
            region: "us-east-1".into(),
            identities: vec![
                id("alice@example.com", false, Verification::Verified),
                id("example.org", true, Verification::Verified),
                id("bob@example.com", false, Verification::Pending),
            ],
            account: Ok(Account {
                production,
                sending_enabled: true,
                enforcement: Clean::new("HEALTHY"),
                max_24h: 200.0,
                sent_24h: 12.0,
                max_rate: 1.0,
            }),
        }
    }

    pub(crate) fn activity() -> SenderActivity {
        let mut a = SenderActivity::new();
        a.insert(
            "root@web1.example.com".into(),
            Outcomes {
                sent: 0,
                deferred: 0,
                bounced: 3,
                lost: 2,
                lost_notices: 2,
                deleted: 0,
                last_problem: Some(Problem {
                    status: RowStatus::Bounced,
                    cause: Category::SesSenderNotVerified,
                    reason: Clean::new("554 Message rejected: Email address is not verified."),
                }),
                last_lost: Some(Clean::new(
                    "the bounce notification for 4F2A81C3D9 could not be delivered to \
                     <root@web1.example.com>: 554 Message rejected: Email address is not verified.",
                )),
                last_problem_at: None,
                delivered_since_problem: false,
            },
        );
        a.insert(
            "carol@example.com".into(),
            Outcomes {
                sent: 4,
                ..Outcomes::default()
            },
        );
        a
    }

    fn row<'a>(c: &'a CrossCheck, s: &str) -> &'a SenderRow {
        c.rows
            .iter()
            .find(|r| r.sender.as_str() == s)
            .unwrap_or_else(|| panic!("no row {s}: {c:#?}"))
    }

    /// A map of `snapshot`'s kind with these contents (a relay table, a password table or rules).
    fn map_of(written: &str, text: &str, passwords: bool) -> MapFile {
        let spec = maps::parse_map_list(written).remove(0);
        let content = if spec.kind.is_rules() {
            MapContent::Rules(maps::parse_rules(text).0)
        } else if passwords {
            MapContent::Credentials(maps::parse_password_table(text).0)
        } else {
            MapContent::Table(maps::parse_table(text).0)
        };
        MapFile {
            spec,
            content,
            error: None,
            bad_lines: vec![],
            source: None,
            compiled: None,
            holds_passwords: passwords,
        }
    }

    /// With several maps in sender_dependent_relayhost_maps, Postfix tries each key in every
    /// map before the next key (`mail_addr_find` over the list): the full address in a later map
    /// wins over `@domain` in an earlier one, and a pattern map is asked the full address only.
    #[test]
    fn each_lookup_key_is_tried_in_every_map_before_the_next_key() {
        let mut snap = snapshot(false, false);
        snap.settings.recipient_delimiter = "+".into();
        snap.relay_maps = vec![
            map_of(
                "hash:/etc/postfix/domains",
                "@example.com [domain.relay.example]:587\n",
                false,
            ),
            map_of(
                "hash:/etc/postfix/people",
                "alice@example.com [alice.relay.example]:587\n",
                false,
            ),
            map_of(
                "pcre:/etc/postfix/rules.pcre",
                "/^bob@example\\.com$/ [bob.relay.example]:587\n/^carol@/ [carol.relay.example]:587\n",
                false,
            ),
        ];
        let relay = |sender: &str| match route_for(&snap, sender) {
            Route::Map { relay, map, .. } => format!("{relay} ({map})"),
            other => format!("{other:?}"),
        };
        assert_eq!(
            relay("alice@example.com"),
            "[alice.relay.example]:587 (hash:/etc/postfix/people)"
        );
        // alice+news@: the full address is in no map, then alice@ (without the extension) is
        assert_eq!(
            relay("alice+news@example.com"),
            "[alice.relay.example]:587 (hash:/etc/postfix/people)"
        );
        assert_eq!(
            relay("bob@example.com"),
            "[bob.relay.example]:587 (pcre:/etc/postfix/rules.pcre)"
        );
        // bob+x@: the rules see only the full address, which they do not match
        assert_eq!(
            relay("bob+x@example.com"),
            "[domain.relay.example]:587 (hash:/etc/postfix/domains)"
        );
        assert_eq!(
            relay("dave@example.com"),
            "[domain.relay.example]:587 (hash:/etc/postfix/domains)"
        );
    }

    /// The SASL password map as the SMTP client searches it: by sender (with
    /// smtp_sender_dependent_authentication) in every map, then by the server's host name,
    /// then by the next hop as written (`[host]:port`), each key in every map before the next.
    #[test]
    fn credentials_are_found_in_postfix_order() {
        let mut snap = snapshot(false, false);
        let relay = Relay::parse("[email-smtp.us-east-1.amazonaws.com]:587").unwrap();
        let user = |snap: &RelaySnapshot, sender: &str| match creds_for(snap, sender, &relay) {
            Creds::Found { user, .. } => user.to_string(),
            other => format!("{other:?}"),
        };
        // both keys of the relay: the host name is tried first
        snap.password_maps = vec![map_of(
            "hash:/etc/postfix/sasl_passwd",
            "[email-smtp.us-east-1.amazonaws.com]:587 AKIANEXTHOP:pw-SECRET\n\
             email-smtp.us-east-1.amazonaws.com AKIAHOSTNAME:pw-SECRET\n",
            true,
        )];
        assert_eq!(user(&snap, "alice@example.com"), "AKIAHOSTNAME");
        // the sender's entry in a later map comes before the relay's in an earlier one
        snap.settings.sender_dependent_auth = true;
        snap.password_maps.push(map_of(
            "hash:/etc/postfix/sasl_senders",
            "@example.com AKIASENDER:pw-SECRET\n",
            true,
        ));
        assert_eq!(user(&snap, "alice@example.com"), "AKIASENDER");
        assert_eq!(user(&snap, "alice@example.net"), "AKIAHOSTNAME");
        // the null sender is not looked up by sender
        snap.password_maps[1] = map_of(
            "hash:/etc/postfix/sasl_senders",
            "<> AKIANULL:pw-SECRET\n",
            true,
        );
        assert_eq!(user(&snap, ""), "AKIAHOSTNAME");
        assert!(!format!("{snap:?}").contains("SECRET"));
    }

    /// A next hop written after default_transport overrides relayhost and the sender maps for
    /// mail to other domains (trivial-rewrite): every sender's route is that relay, and the
    /// setup says why the map is not used. `error` there sends no mail out at all.
    #[test]
    fn a_next_hop_in_default_transport_is_every_senders_route() {
        let mut snap = snapshot(false, false);
        snap.settings.default_transport = "smtp:[email-smtp.eu-west-1.amazonaws.com]:587".into();
        match route_for(&snap, "alice@example.com") {
            Route::Transport { relay, setting } => {
                assert_eq!(relay.as_str(), "[email-smtp.eu-west-1.amazonaws.com]:587");
                assert_eq!(
                    setting.as_str(),
                    "default_transport = smtp:[email-smtp.eu-west-1.amazonaws.com]:587"
                );
            }
            other => panic!("{other:?}"),
        }
        let activity = SenderActivity::new();
        let input = CheckInput {
            snapshot: &snap,
            ses: SesView::new(),
            activity: &activity,
            queue_senders: &[],
            local_senders: &[],
            asked: &[],
            ses_off: false,
        };
        let c = cross_check(&input);
        assert!(
            c.global.iter().any(|v| v.severity == Severity::Warn
                && v.text.starts_with(
                    "default_transport = smtp:[email-smtp.eu-west-1.amazonaws.com]:587 names its \
                     own next hop"
                )),
            "{:#?}",
            c.global
        );
        // the relay's region is the one checked, and read
        assert!(
            crate::mail::senders::ses_regions_for(&Default::default(), Some(&snap))
                .contains(&"eu-west-1".to_string())
        );
        assert!(
            matches!(&row(&c, "alice@example.com").ses, SesCheck::NotRead { region, .. } if region == "eu-west-1"),
            "{:?}",
            row(&c, "alice@example.com").ses
        );
        // per-sender transports (not read) come first: the route is left as the maps say,
        // and the setup says what is not read
        snap.settings.sender_transport_maps = "hash:/etc/postfix/sender_transport".into();
        assert!(matches!(
            route_for(&snap, "alice@example.com"),
            Route::Map { .. }
        ));
        let c = checked(&snap, SesView::new(), &activity);
        assert!(
            c.global.iter().any(|v| v
                .text
                .starts_with("sender_dependent_default_transport_maps = hash:")),
            "{:#?}",
            c.global
        );
        snap.settings.sender_transport_maps.clear();
        // per-recipient transports are named as what the routes do not show
        snap.settings.transport_maps = "hash:/etc/postfix/transport".into();
        let c = checked(&snap, SesView::new(), &activity);
        assert!(
            c.global.iter().any(|v| v.severity == Severity::Info
                && v.text
                    .starts_with("transport_maps = hash:/etc/postfix/transport is not read")),
            "{:#?}",
            c.global
        );
        snap.settings.transport_maps.clear();
        // a transport without a next hop leaves the maps in force
        snap.settings.default_transport = "smtp".into();
        assert!(matches!(
            route_for(&snap, "alice@example.com"),
            Route::Map { .. }
        ));
        snap.settings.default_transport = "error".into();
        let c = checked(&snap, SesView::new(), &activity);
        assert!(
            c.global.iter().any(|v| v.severity == Severity::Error
                && v.text
                    == "default_transport = error: Postfix sends no mail to other domains \
                              (it is bounced), whatever the routes say"),
            "{:#?}",
            c.global
        );
    }

    /// A relay written as a list (Postfix 3.5 and later: tried in order): the first is checked
    /// for credentials, SES and TLS as a relay of its own, the rest named as not checked, and
    /// every region in it is read.
    #[test]
    fn a_relay_list_is_checked_by_its_first_destination() {
        let mut snap = snapshot(false, false);
        snap.settings.relayhost = "[email-smtp.us-east-1.amazonaws.com]:587, \
                                   [email-smtp.us-west-2.amazonaws.com]:587"
            .into();
        let activity = SenderActivity::new();
        let asked = ["carol@example.com".to_string()];
        let c = cross_check(&CheckInput {
            snapshot: &snap,
            ses: SesView::new(),
            activity: &activity,
            queue_senders: &[],
            local_senders: &[],
            asked: &asked,
            ses_off: false,
        });
        let r = row(&c, "carol@example.com");
        assert!(
            matches!(&r.creds, Creds::Found { user, .. } if user.as_str() == "AKIAEXAMPLEUSER"),
            "{:?}",
            r.creds
        );
        assert!(
            matches!(&r.ses, SesCheck::NotRead { region, .. } if region == "us-east-1"),
            "{:?}",
            r.ses
        );
        assert!(
            r.verdicts.iter().any(|v| v.text
                == "relay list: only its first destination is checked here; Postfix falls back \
                    to [email-smtp.us-west-2.amazonaws.com]:587"),
            "{:#?}",
            r.verdicts
        );
        let regions = crate::mail::senders::ses_regions_for(&Default::default(), Some(&snap));
        assert!(
            regions.contains(&"us-east-1".to_string())
                && regions.contains(&"us-west-2".to_string()),
            "{regions:?}"
        );
    }

    /// A domain is verified by the DKIM records SES asks to publish, not by a link in a mail:
    /// a pending domain says what it waits for.
    #[test]
    fn a_pending_domain_waits_for_its_dkim_records() {
        let snap = snapshot(false, false);
        let mut ses = ses(true);
        for i in &mut ses.identities {
            if i.name.as_str() == "example.org" {
                i.status = Verification::Pending;
            }
        }
        let activity = SenderActivity::new();
        let asked = ["dave@example.org".to_string()];
        let c = cross_check(&CheckInput {
            snapshot: &snap,
            ses: ready_view([&ses]),
            activity: &activity,
            queue_senders: &[],
            local_senders: &[],
            asked: &asked,
            ses_off: false,
        });
        for sender in ["@example.org", "dave@example.org"] {
            assert_eq!(
                row(&c, sender).headline().unwrap().text,
                "verification of the domain example.org pending in us-east-1: mail bounces until \
                 SES sees its DKIM records in DNS",
                "{sender}"
            );
        }
        // an address waits for its link
        assert_eq!(
            row(&c, "bob@example.com").headline().unwrap().text,
            "verification pending in us-east-1: mail bounces until the link in SES's mail is \
             followed"
        );
    }

    /// The null sender (bounce notices) is looked up by empty_address_relayhost_maps_lookup_key:
    /// `<>` unless main.cf says otherwise, and then by that key only.
    #[test]
    fn the_null_sender_is_looked_up_by_its_configured_key() {
        let mut snap = snapshot(false, false);
        snap.relay_maps = vec![map_of(
            "hash:/etc/postfix/sender_relay",
            "<> [bounces.relay.example]:587\n<null> [null.relay.example]:587\n",
            false,
        )];
        snap.settings.null_sender_key = "<>".into();
        assert_eq!(
            route_for(&snap, "").relay_text(),
            Some("[bounces.relay.example]:587")
        );
        snap.settings.null_sender_key = "<null>".into();
        assert_eq!(
            route_for(&snap, "").relay_text(),
            Some("[null.relay.example]:587")
        );
        // the map's entry for it is the MAILER-DAEMON row
        let activity = SenderActivity::new();
        let c = checked(&snap, SesView::new(), &activity);
        assert_eq!(
            row(&c, "MAILER-DAEMON").route.relay_text(),
            Some("[null.relay.example]:587")
        );
        // not set at all (an older postconf's answer): `<>`
        snap.settings.null_sender_key.clear();
        assert_eq!(
            route_for(&snap, "").relay_text(),
            Some("[bounces.relay.example]:587")
        );
    }

    /// The setup changed when a file Postfix reads was written: a map's source edited but not
    /// compiled with postmap is not in effect yet.
    #[test]
    fn the_setup_changed_when_postfix_would_read_the_change() {
        let t0 = Local.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
        let t1 = Local.with_ymd_and_hms(2026, 11, 27, 11, 0, 0).unwrap();
        let mut snap = snapshot(false, true);
        snap.password_maps.clear();
        // sender_relay edited at 11:00, its .db compiled at 10:00, main.cf written at 10:00
        let (at, file) = snap.changed_at().unwrap();
        assert_eq!(at, t0);
        assert_ne!(file.as_str(), "/etc/postfix/sender_relay");
        // postmap run: the .db is the change
        let fresh = snapshot(false, false);
        let (at, file) = fresh.changed_at().unwrap();
        assert_eq!(at, t1);
        assert!(file.ends_with(".db"), "{file}");
    }

    #[test]
    fn mail_deleted_with_postsuper_is_a_note_not_lost_mail() {
        let snap = snapshot(false, false);
        let ses = ses(false);
        let local = local_senders("web1.example.com", "web1");
        let check = |activity: &SenderActivity| {
            cross_check(&CheckInput {
                snapshot: &snap,
                ses: ready_view([&ses]),
                activity,
                queue_senders: &[],
                local_senders: &local,
                asked: &[],
                ses_off: false,
            })
        };
        let before = row(&check(&activity()), "carol@example.com").worst();
        let mut act = activity();
        // an admin cleared 500 of carol's deferred messages out of the queue
        act.get_mut("carol@example.com").unwrap().deleted = 500;
        let c = check(&act);
        let carol = row(&c, "carol@example.com");
        // no worse than carol was before (her route's own warnings), and no error
        assert_eq!(carol.worst(), before, "{carol:#?}");
        assert!(carol.worst() < Severity::Error, "{carol:#?}");
        let v = carol
            .verdicts
            .iter()
            .find(|v| v.text.contains("postsuper -d"))
            .unwrap_or_else(|| panic!("{carol:#?}"));
        assert_eq!(v.severity, Severity::Info);
        assert_eq!(
            v.text,
            "500 deleted with postsuper -d in the last day, never delivered: the sender was not told"
        );
        assert!(!carol.verdicts.iter().any(|v| v.text.contains("lost")));
    }

    /// Lost mail that is only the failed notices of a sender's own failures, its mail delivered
    /// since: a warning (tell the sender by hand), as the failures check grades those notices.
    /// Mail lost otherwise, or while the sender's mail still fails, stays an error.
    #[test]
    fn lost_notices_of_a_sender_delivered_since_are_a_warning() {
        let snap = snapshot(false, false);
        let ses = ses(false);
        let local = local_senders("web1.example.com", "web1");
        let lost_verdict = |lost: u32, notices: u32, delivered_since: bool| {
            let mut act = activity();
            let carol = act.get_mut("carol@example.com").unwrap();
            (carol.bounced, carol.lost, carol.lost_notices) = (2, lost, notices);
            carol.last_lost = Some(Clean::new(
                "the bounce notification for AAAA000001 could not be delivered to \
                 <carol@example.com>: 550 5.7.1 Message rejected",
            ));
            carol.last_problem = Some(Problem {
                status: RowStatus::Bounced,
                cause: Category::RecipientUnknown,
                reason: Clean::new("550 5.1.1 user unknown"),
            });
            carol.delivered_since_problem = delivered_since;
            let c = cross_check(&CheckInput {
                snapshot: &snap,
                ses: ready_view([&ses]),
                activity: &act,
                queue_senders: &[],
                local_senders: &local,
                asked: &[],
                ses_off: false,
            });
            let carol = row(&c, "carol@example.com");
            let v = carol
                .verdicts
                .iter()
                .find(|v| v.text.starts_with(&format!("{lost} lost in the last day")))
                .unwrap_or_else(|| panic!("{carol:#?}"))
                .clone();
            (v.severity, carol.worst(), v.remedy.is_some())
        };
        assert_eq!(
            lost_verdict(2, 2, true),
            (Severity::Warn, Severity::Warn, true)
        );
        assert_eq!(lost_verdict(2, 2, false).0, Severity::Error);
        assert_eq!(lost_verdict(2, 1, true).0, Severity::Error);
        assert_eq!(lost_verdict(2, 0, true).0, Severity::Error);
    }

    #[test]
    fn lost_mail_is_an_error_with_its_reason() {
        let snap = snapshot(false, false);
        let ses = ses(false);
        let local = local_senders("web1.example.com", "web1");
        let check = |activity: &SenderActivity| {
            cross_check(&CheckInput {
                snapshot: &snap,
                ses: ready_view([&ses]),
                activity,
                queue_senders: &[],
                local_senders: &local,
                asked: &[],
                ses_off: false,
            })
        };
        let mut act = activity();
        let carol = act.get_mut("carol@example.com").unwrap();
        carol.lost = 2;
        carol.last_lost = Some(Clean::new(
            "removed from the queue with no final delivery status logged",
        ));
        carol.bounced = 1;
        carol.last_problem = Some(Problem {
            status: RowStatus::Bounced,
            cause: Category::RecipientUnknown,
            reason: Clean::new("550 5.1.1 user unknown"),
        });
        let c = check(&act);
        let carol = row(&c, "carol@example.com");
        assert_eq!(carol.worst(), Severity::Error);
        assert_eq!(
            carol.headline().unwrap().text,
            "2 lost in the last day, nobody was told: removed from the queue with no final delivery status logged"
        );
        // the bounces are still told apart, after the lost mail
        assert_eq!(
            carol.verdicts.last().unwrap().text,
            "1 bounced, 0 deferred in the last day; the latest bounce (rcpt unknown): The receiving side says the recipient address does not exist."
        );
        // with nothing lost, the same sender is no error
        let c = check(&activity());
        assert!(row(&c, "carol@example.com").worst() < Severity::Error);
        // the day's bounces are not put down to the latest deferral's cause
        let mut act = activity();
        let carol = act.get_mut("carol@example.com").unwrap();
        (carol.bounced, carol.deferred) = (31, 12);
        carol.last_problem = Some(Problem {
            status: RowStatus::Deferred,
            cause: Category::SesThrottling,
            reason: Clean::new("454 Throttling failure: Maximum sending rate exceeded."),
        });
        let c = check(&act);
        let carol = row(&c, "carol@example.com");
        assert_eq!(carol.worst(), Severity::Error);
        assert!(
            carol.verdicts.iter().any(|v| v.text.starts_with(
                "31 bounced, 12 deferred in the last day; the latest deferral (SES throttling): "
            )),
            "{carol:?}"
        );
    }

    /// The cross-check of the log `text` (read at 20:00, over the day) with the local senders of
    /// web1.example.com, whose default relay is not SES.
    fn from_log(text: &str) -> CrossCheck {
        let snap = snapshot(false, false);
        let ses = ses(false);
        let now = Local.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap();
        let act = crate::mail::senders::logscan::activity_from_lines(
            text,
            now,
            now - chrono::Duration::days(1),
        );
        cross_check(&CheckInput {
            snapshot: &snap,
            ses: ready_view([&ses]),
            activity: &act,
            queue_senders: &[],
            local_senders: &local_senders("web1.example.com", "web1"),
            asked: &[],
            ses_off: false,
        })
    }

    /// A sender with a control character in it is escaped once, as the Failures pane shows it:
    /// escaped again, its ESC would read as a backslash and an `e` that were in the address.
    #[test]
    fn a_sender_from_the_log_is_escaped_once() {
        let c = from_log(
            "Nov 27 10:00:00 web1 postfix/qmgr[3]: AAAA000001: from=<s\u{1b}[31mx@example.com>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:01 web1 postfix/smtp[4]: AAAA000001: to=<a@example.net>, relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))
",
        );
        let senders: Vec<&str> = c.rows.iter().map(|r| r.sender.as_str()).collect();
        assert!(senders.contains(&"s\\e[31mx@example.com"), "{senders:?}");
    }

    /// A bounce notice of mail the log as read does not hold (it came before the log's start:
    /// mail that expired after days in the queue) fails too: nobody can count it on the row of
    /// the sender it was for, and MAILER-DAEMON's row says that, not that it lost mail of its
    /// own.
    #[test]
    fn a_lost_notice_of_mail_the_log_does_not_hold_says_whose_is_not_known() {
        // a notice to the postmaster: its recipient is not the sender it was for
        let c = from_log(
            "Nov 27 10:00:01 web1 postfix/bounce[5]: AAAA000001: postmaster non-delivery notification: BBBB000002
Nov 27 10:00:01 web1 postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:02 web1 postfix/smtp[4]: BBBB000002: to=<postmaster@example.com>, relay=mail.example.com[192.0.2.2]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mail.example.com[192.0.2.2] said: 550 5.7.1 Message rejected (in reply to end of DATA command))
Nov 27 10:00:02 web1 postfix/qmgr[3]: BBBB000002: removed
",
        );
        let md = row(&c, "MAILER-DAEMON");
        assert_eq!(md.outcomes.lost, 1, "{md:#?}");
        let v = md
            .verdicts
            .iter()
            .find(|v| v.text.contains("lost in the last day"))
            .unwrap_or_else(|| panic!("{md:#?}"));
        assert_eq!(v.severity, Severity::Error);
        assert_eq!(
            v.text,
            "1 bounce notice(s) lost in the last day, nobody was told; the log as read does not \
             hold the mail they were for, so no sender's row counts them: the bounce \
             notification for AAAA000001 could not be delivered to <postmaster@example.com>: host \
             mail.example.com[192.0.2.2] said: 550 5.7.1 Message rejected (in reply to end of \
             DATA command)"
        );
    }

    /// A notice to the sender, of mail from before the log's start: it went to the sender it was
    /// for, so its loss is that sender's lost mail, not MAILER-DAEMON's.
    #[test]
    fn a_lost_notice_to_the_sender_counts_with_its_recipient_when_the_log_holds_no_original() {
        let c = from_log(
            "Nov 27 10:00:01 web1 postfix/bounce[5]: AAAA000001: sender non-delivery notification: BBBB000002
Nov 27 10:00:01 web1 postfix/qmgr[3]: BBBB000002: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:02 web1 postfix/smtp[4]: BBBB000002: to=<carol@example.com>, relay=mail.example.com[192.0.2.2]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mail.example.com[192.0.2.2] said: 550 5.7.1 Message rejected (in reply to end of DATA command))
Nov 27 10:00:02 web1 postfix/qmgr[3]: BBBB000002: removed
",
        );
        let carol = row(&c, "carol@example.com");
        assert_eq!(
            (carol.outcomes.lost, carol.outcomes.lost_notices),
            (1, 1),
            "{carol:#?}"
        );
        let md = row(&c, "MAILER-DAEMON");
        assert_eq!((md.outcomes.bounced, md.outcomes.lost), (1, 0), "{md:#?}");
    }

    /// The three of carol's messages bounced at 10:00, each bounce notice refused as the
    /// `notice` reply says; then, at 10:30 when `fixed`, carol's next mail delivered.
    fn notices_refused(notice: &str, fixed: bool) -> String {
        let mut text = String::new();
        for k in 1..=3 {
            text += &format!(
                "Nov 27 10:00:0{k} web1 postfix/qmgr[3]: AAAA00000{k}: from=<carol@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:00:0{k} web1 postfix/smtp[4]: AAAA00000{k}: to=<ann@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 user unknown (in reply to RCPT TO command))
Nov 27 10:00:0{k} web1 postfix/bounce[5]: AAAA00000{k}: sender non-delivery notification: BBBB00000{k}
Nov 27 10:00:0{k} web1 postfix/qmgr[3]: BBBB00000{k}: from=<>, size=2000, nrcpt=1 (queue active)
Nov 27 10:00:0{k} web1 postfix/qmgr[3]: AAAA00000{k}: removed
Nov 27 10:00:0{k} web1 postfix/smtp[4]: BBBB00000{k}: to=<carol@example.com>, relay=mail.isp.example[192.0.2.2]:587, delay=1, delays=0/0/0.5/0.5, {notice}
Nov 27 10:00:0{k} web1 postfix/qmgr[3]: BBBB00000{k}: removed
"
            );
        }
        if fixed {
            text += "Nov 27 10:30:00 web1 postfix/qmgr[3]: CCCC000003: from=<carol@example.com>, size=300, nrcpt=1 (queue active)
Nov 27 10:30:01 web1 postfix/smtp[4]: CCCC000003: to=<bo@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)
";
        }
        text
    }

    /// MAILER-DAEMON's notices refused by its relay for a cause on this host's side: its row
    /// stays failing after carol's mail goes again (the Failures check then counts her failed
    /// notices as fixed with her mail), and says why: no notice has gone since, and the next
    /// sender whose mail fails is not told either. Refused by the addressee's side instead, the
    /// route works: a warning that says so.
    #[test]
    fn mailer_daemon_says_its_route_still_refuses_notices_after_their_senders_recover() {
        let refused = "dsn=5.7.0, status=bounced (host mail.isp.example[192.0.2.2] said: 530 5.7.0 Authentication required (in reply to MAIL FROM command))";
        let c = from_log(&notices_refused(refused, true));
        let carol = row(&c, "carol@example.com");
        assert_eq!(carol.worst(), Severity::Warn, "{carol:#?}");
        let md = row(&c, "MAILER-DAEMON");
        assert_eq!(md.worst(), Severity::Error, "{md:#?}");
        let v = md
            .verdicts
            .iter()
            .find(|v| v.text.contains("in the last day"))
            .unwrap_or_else(|| panic!("{md:#?}"));
        assert!(
            v.text.starts_with(
                "3 bounce notice(s) bounced, 0 deferred in the last day; the latest bounce ("
            ),
            "{}",
            v.text
        );
        assert!(!v.text.contains(".;"), "{}", v.text);
        assert!(
            v.text.ends_with(
                "; no notice delivered since: the sender of the next failed mail is not told \
                 either (mail from carol@example.com, whose notices failed, is delivered again: \
                 that fixed its mail, not this route)"
            ),
            "{}",
            v.text
        );
        assert!(v.remedy.is_some());

        // carol's own address takes no mail: the notices' route is not at fault
        let unknown = "dsn=5.1.1, status=bounced (host mail.isp.example[192.0.2.2] said: 550 5.1.1 <carol@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command))";
        let c = from_log(&notices_refused(unknown, false));
        let md = row(&c, "MAILER-DAEMON");
        assert_eq!(md.worst(), Severity::Warn, "{md:#?}");
        assert!(
            md.verdicts.iter().any(|v| v.text.ends_with(
                "(the addressee is the sender of the failed mail: its side refused the notice, \
                 not this route)"
            )),
            "{md:#?}"
        );
        // and carol, who was never told, is where the lost mail is
        assert_eq!(row(&c, "carol@example.com").worst(), Severity::Error);
    }

    #[test]
    fn verdicts_in_plain_words() {
        let snap = snapshot(false, false);
        let ses = ses(false);
        let act = activity();
        let local = local_senders("web1.example.com", "web1");
        let c = cross_check(&CheckInput {
            snapshot: &snap,
            ses: ready_view([&ses]),
            activity: &act,
            queue_senders: &["dave@example.com".to_string()],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        let alice = row(&c, "alice@example.com");
        assert_eq!(alice.worst(), Severity::Info);
        assert_eq!(alice.creds.short(), "AKIAEXAMPLEUSER");
        assert!(
            alice
                .verdicts
                .iter()
                .any(|v| v.text == "SES sandbox in us-east-1: recipients must be verified too")
        );

        let bob = row(&c, "bob@example.com");
        assert_eq!(bob.worst(), Severity::Warn);
        assert!(
            bob.headline()
                .unwrap()
                .text
                .starts_with("verification pending in us-east-1")
        );

        let root = row(&c, "root@web1.example.com");
        assert_eq!(
            root.headline().unwrap().text,
            "root@web1.example.com sends through SES unverified in us-east-1: its bounces are lost (3 bounced in the last day)"
        );
        // bounces for another cause (the relay's name did not resolve) are not SES's proof
        let mut dns = act.clone();
        let root_out = dns.get_mut("root@web1.example.com").unwrap();
        root_out.last_problem = Some(Problem {
            status: RowStatus::Bounced,
            cause: Category::Dns,
            reason: Clean::new(
                "unable to look up host email-smtp.us-east-1.amazonaws.com: Name or service not known",
            ),
        });
        let c2 = cross_check(&CheckInput {
            snapshot: &snap,
            ses: ready_view([&ses]),
            activity: &dns,
            queue_senders: &[],
            local_senders: &local,
            asked: &[],
            ses_off: false,
        });
        assert_eq!(
            row(&c2, "root@web1.example.com").headline().unwrap().text,
            "root@web1.example.com sends through SES unverified in us-east-1: its bounces are lost"
        );

        let carol = row(&c, "carol@example.com");
        assert!(carol.seen.contains(&Seen::Log));
        assert_eq!(
            carol.headline().unwrap().text,
            "seen in the log but not in the map: goes through the default relay [mail.isp.example]:587"
        );
        assert_eq!(carol.creds, Creds::Missing);

        let dave = row(&c, "dave@example.com");
        assert!(
            dave.verdicts
                .iter()
                .any(|v| v.text.starts_with("in the queue but not in the map"))
        );

        let domain = row(&c, "@example.org");
        assert!(
            matches!(
                domain.ses,
                SesCheck::Status {
                    status: Verification::Verified,
                    ..
                }
            ),
            "{domain:?}"
        );

        let legacy = row(&c, "legacy@example.com");
        assert!(
            legacy
                .verdicts
                .iter()
                .any(|v| v.text == "port 465 needs smtp_tls_wrappermode = yes")
        );

        assert!(c.rows.iter().any(|r| r.sender.as_str() == "MAILER-DAEMON"));
        // errors sort first
        assert_eq!(c.rows[0].worst(), Severity::Error);
        assert!(c.global.iter().any(|v| v.text.contains("sandbox")));
    }

    /// alice routed to us-east-1, bob to eu-west-1; both verified in
    /// us-east-1 only.
    fn two_regions() -> RelaySnapshot {
        let mut snap = snapshot(false, false);
        let (entries, _) = maps::parse_table(
            "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
             bob@example.com [email-smtp.eu-west-1.amazonaws.com]:587\n",
        );
        snap.relay_maps[0].content = MapContent::Table(entries);
        let (creds, _) = maps::parse_password_table(
            "[email-smtp.us-east-1.amazonaws.com]:587 AKIAEAST:x\n\
             [email-smtp.eu-west-1.amazonaws.com]:587 AKIAWEST:y\n",
        );
        snap.password_maps[0].content = MapContent::Credentials(creds);
        snap
    }

    #[test]
    fn each_sender_is_checked_in_its_own_region() {
        let snap = two_regions();
        let mut east = ses(true);
        east.identities = vec![
            Identity {
                name: Clean::new("alice@example.com"),
                is_domain: false,
                status: Verification::Verified,
                sending_enabled: true,
            },
            Identity {
                name: Clean::new("bob@example.com"),
                is_domain: false,
                status: Verification::Verified,
                sending_enabled: true,
            },
        ];
        let mut west = ses(false);
        west.region = "eu-west-1".into();
        west.identities.clear();
        let check = |view: SesView<'_>| checked(&snap, view, &SenderActivity::new());
        let c = check(ready_view([&east, &west]));
        let alice = row(&c, "alice@example.com");
        assert_eq!(alice.worst(), Severity::Ok, "{alice:?}");
        assert_eq!(
            alice.headline().unwrap().text,
            "routed to SES, verified in us-east-1"
        );
        assert_eq!(alice.creds.short(), "AKIAEAST");
        // verified in us-east-1 is not verified in eu-west-1
        let bob = row(&c, "bob@example.com");
        assert_eq!(
            bob.ses,
            SesCheck::NotFound {
                region: "eu-west-1".into()
            }
        );
        assert_eq!(
            bob.headline().unwrap().text,
            "routed to SES, not verified in eu-west-1: every mail will bounce"
        );
        assert_eq!(bob.creds.short(), "AKIAWEST");
        // the sandbox is per region too: only eu-west-1's account is in it
        let g: Vec<&str> = c.global.iter().map(|v| v.text.as_str()).collect();
        assert!(
            g.contains(
                &"SES account in eu-west-1 is in the sandbox: recipients must be verified too"
            ),
            "{g:?}"
        );
        assert!(!g.iter().any(|t| t.contains("us-east-1")), "{g:?}");

        // eu-west-1 unreachable: bob not known, alice unaffected
        let mut view = ready_view([&east]);
        view.insert(
            "eu-west-1".into(),
            RegionView::Failed("SES ListEmailIdentities in eu-west-1: timeout"),
        );
        let c = check(view);
        assert_eq!(
            row(&c, "bob@example.com").headline().unwrap().text,
            "routed to SES in eu-west-1; verification not known (SES in eu-west-1 could not be read)"
        );
        assert_eq!(row(&c, "alice@example.com").worst(), Severity::Ok);
        assert!(
            c.global
                .iter()
                .any(|v| v.text == "SES in eu-west-1 not read: timeout"),
            "{:?}",
            c.global
        );
        // a region never read (only us-east-1 loaded)
        let c = check(ready_view([&east]));
        assert_eq!(
            row(&c, "bob@example.com").ses,
            SesCheck::NotRead {
                region: "eu-west-1".into(),
                failed: false
            }
        );
    }

    #[test]
    fn unverified_address_will_bounce() {
        let snap = snapshot(false, false);
        let mut s = ses(true);
        s.identities
            .retain(|i| i.name.as_str() != "bob@example.com");
        let c = checked(&snap, ready_view([&s]), &SenderActivity::new());
        assert_eq!(
            row(&c, "bob@example.com").headline().unwrap().text,
            "routed to SES, not verified in us-east-1: every mail will bounce"
        );
        assert!(!c.global.iter().any(|v| v.text.contains("sandbox")));
    }

    #[test]
    fn null_sender_key_and_local_part_keys() {
        let mut snap = snapshot(false, false);
        let (entries, _) = maps::parse_table(
            "<> [email-smtp.us-east-1.amazonaws.com]:587\nroot@ [email-smtp.us-east-1.amazonaws.com]:587\n",
        );
        snap.relay_maps[0].content = MapContent::Table(entries);
        let s = ses(true);
        let c = cross_check(&CheckInput {
            snapshot: &snap,
            ses: ready_view([&s]),
            activity: &SenderActivity::new(),
            queue_senders: &[],
            local_senders: &local_senders("web1.example.com", ""),
            asked: &[],
            ses_off: false,
        });
        let md = row(&c, "MAILER-DAEMON");
        assert!(matches!(md.route, Route::Map { line: 1, .. }), "{md:?}");
        assert!(md.seen.contains(&Seen::Map));
        // Postfix never looks up `root@` (mail_addr_find): the entry is dead, and said so
        let root_any = row(&c, "root@");
        assert_eq!(root_any.ses, SesCheck::Unknown);
        assert_eq!(
            root_any.headline().unwrap().text,
            "Postfix never looks up a user@ key in sender_dependent_relayhost_maps: root@ routes no mail (write root@DOMAIN for each domain)"
        );
        // root@web1 goes through the default relay, not the `root@` entry
        let root = row(&c, "root@web1.example.com");
        assert!(matches!(root.route, Route::Default { .. }), "{root:?}");
    }

    /// SES checks a bounce by its From: header, MAILER-DAEMON@$myhostname: the null sender is
    /// verified when that address or its domain is, and the verdict says what to verify.
    #[test]
    fn mailer_daemon_is_checked_as_postfix_writes_it() {
        let mut snap = snapshot(false, false);
        snap.settings.relayhost = "[email-smtp.us-east-1.amazonaws.com]:587".into();
        snap.settings.myhostname = "mx1.example.net".into();
        let check = |s: &SesSnapshot| {
            cross_check(&CheckInput {
                snapshot: &snap,
                ses: ready_view([s]),
                activity: &SenderActivity::new(),
                queue_senders: &[],
                local_senders: &local_senders("web1.example.com", ""),
                asked: &[],
                ses_off: false,
            })
        };
        let mut s = ses(true);
        let c = check(&s);
        let md = row(&c, "MAILER-DAEMON");
        assert_eq!(
            md.ses,
            SesCheck::NotFound {
                region: "us-east-1".into()
            }
        );
        assert_eq!(
            md.headline().unwrap().text,
            "MAILER-DAEMON sends through SES unverified in us-east-1: bounce notifications are lost; SES checks MAILER-DAEMON@mx1.example.net: verify the domain mx1.example.net"
        );
        s.identities.push(Identity {
            name: Clean::new("example.net"),
            is_domain: true,
            status: Verification::Verified,
            sending_enabled: true,
        });
        let c = check(&s);
        let md = row(&c, "MAILER-DAEMON");
        assert!(
            matches!(&md.ses, SesCheck::Status { status: Verification::Verified, identity, .. } if identity.as_str() == "example.net"),
            "{md:?}"
        );
        assert!(md.worst() < Severity::Warn, "{md:?}");
    }

    /// The cross-check of `snap` with SES not read (`ses_off`: switched off) and no log read.
    fn unread_ses(snap: &RelaySnapshot, ses_off: bool) -> CrossCheck {
        cross_check(&CheckInput {
            snapshot: snap,
            ses: SesView::new(),
            activity: &SenderActivity::new(),
            queue_senders: &[],
            local_senders: &[],
            asked: &[],
            ses_off,
        })
    }

    #[test]
    fn file_problems() {
        let snap = snapshot(true, true);
        let c = unread_ses(&snap, false);
        let texts: Vec<&str> = c.global.iter().map(|v| v.text.as_str()).collect();
        assert!(texts.contains(&"password map /etc/postfix/sasl_passwd readable by group/others (mode 644): chmod 600"), "{texts:?}");
        assert!(
            texts.contains(&"map source /etc/postfix/sender_relay newer than its .db: run postmap"),
            "{texts:?}"
        );
        // SES unknown: said so, not guessed
        assert_eq!(
            row(&c, "alice@example.com").ses,
            SesCheck::NotRead {
                region: "us-east-1".into(),
                failed: false
            }
        );
    }

    #[test]
    fn ses_switched_off_is_said_not_taken_for_not_read_yet() {
        let snap = snapshot(true, true);
        let c = unread_ses(&snap, true);
        let alice = row(&c, "alice@example.com");
        assert_eq!(
            alice.ses,
            SesCheck::Off {
                region: "us-east-1".into()
            }
        );
        assert_eq!(alice.ses.short(), "not checked");
        assert!(
            alice.verdicts.iter().any(|v| v.text
                == "routed to SES in us-east-1; verification not checked (senders.ses = false)"),
            "{alice:?}"
        );
    }

    fn with_policy(mut snap: RelaySnapshot, text: &str) -> RelaySnapshot {
        let (entries, _) = maps::parse_table(text);
        snap.tls_policy_maps = vec![MapFile {
            spec: maps::parse_map_list("hash:/etc/postfix/tls_policy").remove(0),
            content: MapContent::Table(entries),
            error: None,
            bad_lines: vec![],
            source: None,
            compiled: None,
            holds_passwords: false,
        }];
        snap
    }

    #[test]
    fn tls_policy_entries_override_the_level() {
        let check = |snap: &RelaySnapshot| {
            cross_check(&CheckInput {
                snapshot: snap,
                ses: SesView::new(),
                activity: &SenderActivity::new(),
                queue_senders: &[],
                local_senders: &[],
                asked: &["zed@example.com".to_string()],
                ses_off: false,
            })
        };
        // level encrypt, but the SES relay's policy says none
        let snap = with_policy(
            snapshot(false, false),
            "# per destination\n[email-smtp.us-east-1.amazonaws.com]:587 none\n[old.relay.example]:465 encrypt\n",
        );
        let c = check(&snap);
        let alice = row(&c, "alice@example.com");
        assert_eq!(alice.worst(), Severity::Error);
        assert!(
            alice.verdicts.iter().any(|v| v.text
                == "plain text: smtp_tls_policy_maps says none (hash:/etc/postfix/tls_policy line 2); SES refuses it (fix its entry in hash:/etc/postfix/tls_policy line 2)"),
            "{:?}",
            alice.verdicts
        );
        // a relay without an entry keeps the level
        let carol_tls = row(&c, "@example.org").tls.clone().unwrap();
        assert!(carol_tls.policy.is_some(), "same relay, same entry");
        let mut snap2 = snap.clone();
        snap2.settings.relayhost = "[other.example]:587".into();
        let c2 = check(&snap2);
        let md = row(&c2, "zed@example.com").tls.clone().unwrap();
        assert_eq!(md.policy, None);
        assert!(!md.is_problem());

        // level none, the policy says encrypt: nothing to complain about
        let mut weak = with_policy(
            snapshot(false, false),
            "[email-smtp.us-east-1.amazonaws.com]:587 encrypt protocols=>=TLSv1.2\n",
        );
        weak.settings.tls_level = "none".into();
        let c = check(&weak);
        let alice = row(&c, "alice@example.com");
        assert!(
            !alice.verdicts.iter().any(|v| v.text.contains("plain text")),
            "{:?}",
            alice.verdicts
        );
        assert_eq!(alice.tls.as_ref().unwrap().level, "encrypt");
        // ... while the default relay, without an entry, is plain text
        let md = row(&c, "zed@example.com");
        assert!(
            md.verdicts.iter().any(|v| v
                .text
                .starts_with("plain text: smtp_tls_security_level = none")),
            "{:?}",
            md.verdicts
        );

        // a pcre policy map is evaluated with the next hop as the key
        let mut rules_snap = snapshot(false, false);
        let (rules, _) =
            maps::parse_rules("/^\\[email-smtp\\.[a-z0-9-]+\\.amazonaws\\.com\\]:587$/ may\n");
        rules_snap.tls_policy_maps = vec![MapFile {
            spec: maps::parse_map_list("pcre:/etc/postfix/tls_policy.pcre").remove(0),
            content: MapContent::Rules(rules),
            error: None,
            bad_lines: vec![],
            source: None,
            compiled: None,
            holds_passwords: false,
        }];
        let c = check(&rules_snap);
        let tls = row(&c, "alice@example.com").tls.clone().unwrap();
        assert_eq!(
            tls.encryption,
            crate::mail::senders::postconf::Encryption::Opportunistic
        );
        assert_eq!(
            tls.policy.unwrap().found_in,
            "pcre:/etc/postfix/tls_policy.pcre line 1"
        );
        // the default relay does not match the rule: the level (encrypt) holds
        assert!(!row(&c, "zed@example.com").tls.clone().unwrap().is_problem());

        // a policy map that cannot be read: said so, level used
        let mut broken = snapshot(false, false);
        broken.tls_policy_maps = vec![MapFile {
            spec: maps::parse_map_list("hash:/etc/postfix/tls_policy").remove(0),
            content: MapContent::NotRead,
            error: Some(Clean::new("/etc/postfix/tls_policy: Permission denied")),
            bad_lines: vec![],
            source: None,
            compiled: None,
            holds_passwords: false,
        }];
        let c = check(&broken);
        assert!(
            row(&c, "alice@example.com").verdicts.iter().any(|v| v.text
                == "TLS policy not known (/etc/postfix/tls_policy: Permission denied): the encryption verdict ignores smtp_tls_policy_maps"),
        );
        assert!(
            c.global
                .iter()
                .any(|v| v.text.contains("cannot read /etc/postfix/tls_policy"))
        );
    }

    #[test]
    fn a_password_map_named_as_the_relay_map_too_is_an_error() {
        let mut snap = snapshot(false, false);
        snap.relay_maps[0].holds_passwords = true;
        let c = checked(&snap, SesView::new(), &SenderActivity::new());
        let said: Vec<(Severity, &str)> = c
            .global
            .iter()
            .map(|v| (v.severity, v.text.as_str()))
            .collect();
        assert!(
            said.contains(&(
                Severity::Error,
                "/etc/postfix/sender_relay is in smtp_sasl_password_maps and in \
                 sender_dependent_relayhost_maps: Postfix would read its user:password values as \
                 relay hosts; give each its own file (its values are not shown)"
            )),
            "{said:?}"
        );
    }

    #[test]
    fn a_map_that_cannot_be_read_is_graded_by_why() {
        let facts = |p: &str| FileFacts {
            path: Clean::new(p),
            uid: 0,
            mode: 0o600,
            modified: None,
        };
        let map = |source, compiled| MapFile {
            spec: maps::parse_map_list("hash:/etc/postfix/sasl_passwd").remove(0),
            content: MapContent::NotRead,
            error: Some(Clean::new("/etc/postfix/sasl_passwd: Permission denied")),
            bad_lines: vec![],
            source,
            compiled,
            holds_passwords: true,
        };
        let graded = |m: &MapFile| {
            let mut out = Vec::new();
            file_findings(m, true, &mut out);
            out.into_iter()
                .map(|v| (v.severity, v.text.to_string()))
                .collect::<Vec<_>>()
        };
        // there, root-only, and opsdeck runs as a monitoring user: not checked, no CRITICAL
        let v = graded(&map(
            Some(facts("/etc/postfix/sasl_passwd")),
            Some(facts("/etc/postfix/sasl_passwd.db")),
        ));
        assert_eq!(
            v,
            [(
                Severity::Warn,
                "cannot read /etc/postfix/sasl_passwd: Permission denied (not checked)".into()
            )]
        );
        // the text removed after postmap: Postfix reads the .db
        let v = graded(&map(None, Some(facts("/etc/postfix/sasl_passwd.db"))));
        assert_eq!(
            v,
            [(
                Severity::Info,
                "/etc/postfix/sasl_passwd is not there: Postfix reads the compiled \
                 /etc/postfix/sasl_passwd.db; its entries are not listed"
                    .into()
            )]
        );
        // neither: Postfix cannot read it either
        let v = graded(&map(None, None));
        assert_eq!(v[0].0, Severity::Error, "{v:?}");
    }

    #[test]
    fn sasl_off_and_plain_text() {
        let mut snap = snapshot(false, false);
        snap.settings.sasl_enabled = false;
        snap.settings.tls_level = "none".into();
        let c = unread_ses(&snap, false);
        let alice = row(&c, "alice@example.com");
        let texts: Vec<&str> = alice.verdicts.iter().map(|v| v.text.as_str()).collect();
        assert!(
            texts.iter().any(|t| t.starts_with("SMTP AUTH is off")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(
                |t| t.starts_with("plain text: smtp_tls_security_level = none; SES refuses it")
            ),
            "{texts:?}"
        );
        // the setup's own line says what to set, as the check's finding is read alone
        assert!(
            c.global.iter().any(|v| v.severity == Severity::Warn
                && v.text
                    == "smtp_sasl_auth_enable = no: no relay gets credentials (a relay that \
                        asks for a login, as SES does, refuses every message: set it to yes, \
                        with smtp_sasl_password_maps)"),
            "{:?}",
            c.global
        );
    }
}
