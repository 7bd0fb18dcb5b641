//! Senders: for every sender, how its mail leaves the host (relay route,
//! credentials, encryption), whether SES will accept it (identity
//! verification, sandbox), what the log says it did, and a verdict in plain
//! words; plus a test mail traced to its end, a new SES identity and a new
//! sender route.
//!
//! This file wires the pieces to the app: configuration, events, effects,
//! the pane's update logic and the effect runner. Parsing lives in
//! `maps`/`postconf`/`logscan`, reading in `source`/`ses`, the cross-check
//! in `model`, drawing in `view`, changes in `actions`. The pane itself
//! never does I/O and never holds a password.

pub mod actions;
pub mod check;
mod demo;
mod demo_ses;
mod demo_smtp;
pub mod logscan;
pub mod maps;
pub mod model;
pub mod postconf;
pub mod secret;
pub mod ses;
pub mod source;
mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local};
use ratatui::Frame;
use ratatui::layout::Rect;
use serde::Deserialize;

use crate::access::WriteAccess;
use crate::app::effect::{Confirm, Effect, Jump, Prompt, Runner, SourceEvent};
use crate::app::pane::{
    Binding, Cx, Key, Nav, Pane, PaneId, Polled, SourceHealth, ViewCx, interval_due,
};
use crate::config::{Config, PostfixInstance};
use crate::sanitize::Clean;

use crate::ui::widgets::{Scroll, plural};
use actions::{RouteReport, SmtpTarget, Submitted};
use logscan::{SenderActivity, Trace};
use maps::MapSpec;
use model::{CheckInput, CrossCheck, RegionView, SesView};
use secret::Secret;
use ses::{SesSnapshot, SesTarget};
use source::RelaySnapshot;

/// The `[senders]` section of the configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SendersConfig {
    /// Which `[[postfix]]` instance (by name); the first one if unset.
    #[serde(default)]
    pub instance: Option<String>,
    /// Re-read postconf and the maps every this many seconds.
    #[serde(default = "default_refresh")]
    pub refresh_secs: u64,
    /// Read SES at all (identities and account through the AWS SDK).
    #[serde(default = "default_true")]
    pub ses: bool,
    /// SES region read in any case (besides those the relay hosts name).
    #[serde(default)]
    pub ses_region: Option<String>,
    /// More SES regions read in any case. Every region a relay host
    /// `email-smtp.<region>.amazonaws.com` names is read as well (and its FIPS and VPC
    /// endpoint forms, see `postconf::Relay::ses_region`).
    #[serde(default)]
    pub ses_regions: Vec<String>,
    /// SES API endpoint override (an emulator, a VPC endpoint).
    #[serde(default)]
    pub ses_endpoint: Option<String>,
    /// `ses_endpoint` is the demo's own SES, read with made-up keys; never from a file.
    #[serde(skip)]
    pub ses_demo_keys: bool,
    /// `smtp_host`:`smtp_port` is the demo's own SMTP listener, which the demo's test mail may
    /// reach (no other); never from a file.
    #[serde(skip)]
    pub demo_smtp: bool,
    /// Re-read SES every this many seconds.
    #[serde(default = "default_ses_refresh")]
    pub ses_refresh_secs: u64,
    /// The mail log read for per-sender outcomes and the test-mail trace;
    /// default: the first `[mail_log]` file.
    #[serde(default)]
    pub mail_log: Option<PathBuf>,
    /// Where the test mail is submitted (the local Postfix).
    #[serde(default = "default_smtp_host")]
    pub smtp_host: String,
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    /// TLS for the submission: `opportunistic` (STARTTLS when offered, the
    /// default), `required` (STARTTLS or fail), `wrapper` (TLS from the
    /// first byte, port 465), `none`.
    #[serde(default)]
    pub smtp_tls: actions::SmtpTls,
    /// Check the server's certificate (`required`/`wrapper` only; an
    /// opportunistic STARTTLS never checks it, as Postfix's `may`). Off for a
    /// local Postfix with a self-signed certificate.
    #[serde(default = "default_true")]
    pub smtp_tls_verify: bool,
    /// Optional SMTP AUTH for the submission.
    #[serde(default)]
    pub smtp_user: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    /// Default recipient offered for test mail.
    #[serde(default)]
    pub test_recipient: Option<String>,
    /// Stop tracing a test mail after this many seconds.
    #[serde(default = "default_trace_timeout")]
    pub trace_timeout_secs: u64,
    /// Backups of a map kept beside it when a route is added: each edit makes one, and after
    /// an edit that succeeded those older than the newest this many are removed (the one just
    /// made always stays, so at least 1).
    #[serde(default = "default_route_backups")]
    pub route_backups: usize,
}

fn default_refresh() -> u64 {
    30
}
fn default_true() -> bool {
    true
}
fn default_ses_refresh() -> u64 {
    300
}
fn default_smtp_host() -> String {
    "127.0.0.1".into()
}
fn default_smtp_port() -> u16 {
    25
}
fn default_trace_timeout() -> u64 {
    300
}
/// Enough to go back over the last few edits (or find the one that broke a route), few enough
/// that a map edited every day does not fill its directory.
fn default_route_backups() -> usize {
    10
}

impl Default for SendersConfig {
    fn default() -> SendersConfig {
        SendersConfig {
            instance: None,
            refresh_secs: default_refresh(),
            ses: true,
            ses_region: None,
            ses_regions: Vec::new(),
            ses_endpoint: None,
            ses_demo_keys: false,
            demo_smtp: false,
            ses_refresh_secs: default_ses_refresh(),
            mail_log: None,
            smtp_host: default_smtp_host(),
            smtp_port: default_smtp_port(),
            smtp_tls: actions::SmtpTls::default(),
            smtp_tls_verify: true,
            smtp_user: None,
            smtp_password: None,
            test_recipient: None,
            trace_timeout_secs: default_trace_timeout(),
            route_backups: default_route_backups(),
        }
    }
}

impl SendersConfig {
    /// The Postfix instance this pane looks at.
    pub fn instance<'a>(&self, config: &'a Config) -> Option<&'a PostfixInstance> {
        match &self.instance {
            Some(n) => config.postfix.iter().find(|i| &i.name == n),
            None => config.postfix.first(),
        }
    }

    /// The mail log file this feature reads.
    pub fn log_path(&self, config: &Config) -> PathBuf {
        self.mail_log
            .clone()
            .or_else(|| config.mail_log.files.first().cloned())
            .unwrap_or_else(|| PathBuf::from("/var/log/mail.log"))
    }

    /// Where this feature reads the log for per-sender outcomes: its own `mail_log` file, or
    /// else the `[mail_log]` source, the journal included.
    pub fn log_input(&self, config: &Config) -> logscan::LogInput {
        use crate::mail::log::LogSourceKind;
        match (&self.mail_log, config.mail_log.source) {
            (None, LogSourceKind::Journal) => logscan::LogInput::Journal(
                crate::mail::log::source::JournalQuery::of(&config.mail_log),
            ),
            _ => logscan::LogInput::File(self.log_path(config)),
        }
    }

    pub fn smtp_target(&self) -> SmtpTarget {
        SmtpTarget {
            host: self.smtp_host.clone(),
            port: self.smtp_port,
            tls: self.smtp_tls,
            tls_verify: self.smtp_tls_verify,
            user: self.smtp_user.clone(),
            password: self.smtp_password.clone(),
        }
    }
}

/// What went wrong, with the command, path or API call that failed.
#[derive(Debug, thiserror::Error)]
pub enum SendersError {
    #[error("{command}: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// The program is not on PATH: said first, as a long `postconf -x ...` line would push it
    /// out of a small pane.
    #[error(
        "{program}: not found - install Postfix, or fix PATH / command_prefix in [[postfix]] \
         ({command})"
    )]
    NotFound { program: String, command: String },
    /// Both made clean where the error is made ([`SendersError::clean`] keeps them so).
    #[error("{command}: {output}")]
    Command { command: String, output: String },
    #[error("{}", crate::mail::not_configured(path, command))]
    NotConfigured { command: String, path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("SES {operation} in {region}: {message}")]
    Ses {
        operation: &'static str,
        region: String,
        message: String,
    },
    #[error("SMTP {server}: {message}")]
    Smtp { server: String, message: String },
    #[error("{0}")]
    NoInstance(String),
}

impl SendersError {
    /// The error's words as the pane and `opsdeck check` show them. An SES error's message was
    /// made clean where it was written ([`ses::describe_sdk_error`]), as a failed command's
    /// output was ([`postconf::settings_from`]): it is kept as it is, as
    /// escaping it again would show the backslash of each escape doubled (an ESC in SES's
    /// message, or in an identity it quotes, as `\\e`). Any other error is sanitized here.
    pub fn clean(&self) -> Clean {
        match self {
            SendersError::Ses {
                operation,
                region,
                message,
            } => Clean::joined(format!(
                "SES {operation} in {}: {message}",
                Clean::new(region)
            )),
            SendersError::Command { command, output } => {
                Clean::joined(format!("{command}: {output}"))
            }
            other => Clean::new(&other.to_string()),
        }
    }
}

/// What this feature's sources report.
#[derive(Debug)]
pub enum SendersEvent {
    /// postconf and the maps, read again.
    Relay(Result<Box<RelaySnapshot>, Clean>),
    /// The read of postconf and the maps has not answered after `after`: the pane says so
    /// over the setup it has; `Relay` follows when the read ends.
    RelaySlow {
        after: Duration,
    },
    /// What the log says each sender did.
    Activity(Result<SenderActivity, Clean>),
    /// SES of one region read again.
    Ses {
        region: String,
        result: Result<Box<SesSnapshot>, Clean>,
    },
    /// A test mail is about to be submitted.
    TestStarted {
        from: String,
        to: String,
    },
    /// The test mail was accepted (or not) by the local Postfix.
    TestSubmitted(Result<Submitted, Clean>),
    /// The trace moved on.
    Trace(Box<Trace>),
    /// The trace stopped without a final status.
    TraceTimeout(String),
    /// The log the trace follows could not be read (`Some`: why, with its path), or can be
    /// read again (`None`), for the test mail of this queue id.
    TraceLog {
        id: String,
        error: Option<Clean>,
    },
    IdentityCreated {
        identity: Clean,
        result: Result<bool, Clean>,
    },
    Route(Box<RouteReport>),
}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum SendersEffect {
    /// Read postconf and the maps again, and the log's tail too when `activity` (only while the
    /// Failures pane's model, which already knows each sender's outcomes, has no line).
    Refresh { activity: bool },
    /// Read SES of one region again.
    RefreshSes(SesTarget),
    SendTest {
        access: WriteAccess,
        from: String,
        to: String,
    },
    CreateIdentity {
        access: WriteAccess,
        target: SesTarget,
        identity: String,
    },
    AddRoute {
        access: WriteAccess,
        map: MapSpec,
        sender: String,
        relay: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendersAction {
    Refresh,
    TestMail,
    VerifyIdentity,
    AddRoute,
    TraceHistory,
    ShowMaps,
    ShowFindings,
}

const BINDINGS: &[Binding<SendersAction>] = &[
    Binding {
        keys: &[Key::ch('r')],
        action: SendersAction::Refresh,
        help: "refresh maps, log, SES",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('t')],
        action: SendersAction::TestMail,
        help: "send a test mail",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: SendersAction::VerifyIdentity,
        help: "verify identity in SES",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('a')],
        action: SendersAction::AddRoute,
        help: "add a sender route",
        writes: true,
    },
    Binding {
        keys: &[Key::ch('m')],
        action: SendersAction::ShowMaps,
        help: "show the maps as read",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('s')],
        action: SendersAction::ShowFindings,
        help: "setup findings in full",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('h')],
        action: SendersAction::TraceHistory,
        help: "test mail in Failures",
        writes: false,
    },
];

const P_TEST_FROM: &str = "senders-test-from";
const P_TEST_TO: &str = "senders-test-to";
const P_VERIFY: &str = "senders-verify";
const P_ROUTE_SENDER: &str = "senders-route-sender";
const P_ROUTE_RELAY: &str = "senders-route-relay";

/// SES as the pane knows it.
#[derive(Clone, Debug)]
pub enum SesState {
    /// Why not (switched off, no region known).
    NotConfigured(String),
    /// One state per region in use; each region's error is its own.
    Regions(BTreeMap<String, RegionSes>),
}

/// SES in one region.
#[derive(Clone, Debug)]
pub enum RegionSes {
    Loading,
    Ready(SesSnapshot),
    Failed(Clean),
}

impl SesState {
    /// What the cross-check sees.
    pub fn view(&self) -> SesView<'_> {
        match self {
            SesState::NotConfigured(_) => SesView::new(),
            SesState::Regions(m) => m
                .iter()
                .map(|(r, s)| {
                    let v = match s {
                        RegionSes::Loading => RegionView::Loading,
                        RegionSes::Ready(s) => RegionView::Ready(s),
                        RegionSes::Failed(e) => RegionView::Failed(e.as_str()),
                    };
                    (r.clone(), v)
                })
                .collect(),
        }
    }

    fn regions(&self) -> BTreeSet<String> {
        match self {
            SesState::NotConfigured(_) => BTreeSet::new(),
            SesState::Regions(m) => m.keys().cloned().collect(),
        }
    }
}

/// Why the demo changes its sandbox only.
const DEMO_SANDBOX: &str = "demo: the sandbox has no Postfix of its own";

/// What the demo says of a test mail where its own SMTP listener is not what the configuration
/// names: it is not sent (the host's own MTA may listen on that port).
const DEMO_NOT_SENT: &str =
    "demo: not sent - the sandbox has no Postfix of its own, and the host's is never used";

/// The test mail being traced.
#[derive(Clone, Debug)]
pub struct TestMail {
    pub from: Clean,
    pub to: Clean,
    pub submitted: Option<Result<Submitted, Clean>>,
    pub trace: Option<Trace>,
    pub timed_out: bool,
    /// Why the log the trace follows cannot be read, while it cannot.
    pub log_error: Option<Clean>,
    pub started: DateTime<Local>,
    /// When the SMTP server accepted it (its reply came), which may be long after `started`
    /// (a greeting delay, a slow DNS lookup): smtpd and cleanup have logged it by then.
    pub accepted: Option<DateTime<Local>>,
}

/// How long after a test mail was accepted a log that has named nothing of it is said to be
/// silent: Postfix logs a message it takes within a second (smtpd, cleanup, qmgr), so silence
/// this long means it logs somewhere else than where the trace reads.
pub const LOG_SILENT: chrono::Duration = chrono::Duration::seconds(30);

impl TestMail {
    /// When the log the trace reads is silent about this test mail ([`LOG_SILENT`] after it was
    /// accepted), while it is: accepted, readable, and not named in any line yet.
    pub fn silent_from(&self) -> Option<DateTime<Local>> {
        let accepted = self.accepted?;
        let unnamed = self
            .trace
            .as_ref()
            .is_some_and(|tr| tr.status == logscan::TraceStatus::Queued && tr.lines.is_empty());
        (unnamed && self.log_error.is_none()).then(|| accepted + LOG_SILENT)
    }

    /// Is the log silent about this test mail at `now` ([`TestMail::silent_from`])?
    pub fn log_silent(&self, now: DateTime<Local>) -> bool {
        self.silent_from().is_some_and(|at| now >= at)
    }
}

/// The pane's state.
#[derive(Debug)]
pub struct SendersPane {
    config: SendersConfig,
    /// The demo sandbox: its actions never reach the host's Postfix.
    demo: bool,
    /// Where the test mail is traced, as the dialog says it.
    trace_in: String,
    /// Where to look when that log names nothing of the test mail: where Postfix logs instead.
    trace_hint: &'static str,
    instance: Option<PostfixInstance>,
    relay: Option<RelaySnapshot>,
    relay_error: Option<Clean>,
    /// The read running now has not answered after this long.
    relay_slow: Option<Duration>,
    ses: SesState,
    /// Regions whose read is in flight.
    ses_pending: BTreeSet<String>,
    ses_last: Option<DateTime<Local>>,
    activity: SenderActivity,
    activity_error: Option<Clean>,
    check: CrossCheck,
    selected: usize,
    /// The rows of the table on screen.
    window: crate::ui::widgets::ListWindow,
    detail: bool,
    /// The detail is taller than the pane at 80x24 (its verdicts come last): the keys that move
    /// scroll it, as in the Failures pane's detail.
    detail_scroll: Scroll,
    /// The maps view (entries and rules as read) instead of the table.
    maps_view: bool,
    maps_scroll: Scroll,
    /// The setup findings, each whole with what to do, instead of the table: below the table
    /// there are rows for a few of them, and at 80x24 a long one is cut.
    findings_view: bool,
    findings_scroll: Scroll,
    filter: String,
    test: Option<TestMail>,
    route: Option<RouteReport>,
    /// Identities created this session and their last known state.
    created: Vec<(Clean, Result<bool, Clean>)>,
    /// Senders typed by the user, kept in the table.
    asked: Vec<String>,
    pending_from: Option<String>,
    pending_route_sender: Option<String>,
    /// A read of postconf and the maps is out (or hangs, see `relay_slow`): the timer asks for
    /// no second one behind it.
    relay_pending: bool,
    /// A refresh asked for the pane's own read of the log, and it has not come back: later
    /// refreshes read the relay setup alone until it does (a busy day's log, or a big journal,
    /// takes a while to read, and the setup is not left unread meanwhile).
    activity_pending: bool,
    last_refresh: Option<DateTime<Local>>,
    health: SourceHealth,
}

impl SendersPane {
    pub fn new(config: &Config) -> SendersPane {
        let c = config.senders.clone();
        let ses = if c.ses {
            SesState::NotConfigured(
                "not read yet: waiting for the relay setup to find the SES region".into(),
            )
        } else {
            SesState::NotConfigured("not read: switched off (senders.ses = false)".into())
        };
        SendersPane {
            instance: c.instance(config).cloned(),
            demo: config.demo,
            trace_in: match c.log_input(config) {
                logscan::LogInput::File(p) => p.display().to_string(),
                logscan::LogInput::Journal(_) => "the journal".into(),
            },
            trace_hint: match c.log_input(config) {
                logscan::LogInput::File(_) => {
                    "does Postfix log there? (postconf maillog_file; syslog's mail.* rule)"
                }
                logscan::LogInput::Journal(_) => {
                    "does Postfix log there? ([mail_log] journal_units; postconf maillog_file)"
                }
            },
            config: c,
            relay: None,
            relay_error: None,
            relay_slow: None,
            ses,
            ses_pending: BTreeSet::new(),
            ses_last: None,
            activity: SenderActivity::new(),
            activity_error: None,
            check: CrossCheck::default(),
            selected: 0,
            window: Default::default(),
            detail: false,
            detail_scroll: Scroll::default(),
            maps_view: false,
            maps_scroll: Scroll::default(),
            findings_view: false,
            findings_scroll: Scroll::default(),
            filter: String::new(),
            test: None,
            route: None,
            created: Vec::new(),
            asked: Vec::new(),
            pending_from: None,
            pending_route_sender: None,
            // `start` fires the first read; ticks wait for its answer
            relay_pending: true,
            // `start` reads the log too
            activity_pending: true,
            last_refresh: None,
            health: SourceHealth::default(),
        }
    }

    /// What the pane says when the relay setup on screen is not the current one: a read
    /// that has not answered, or one that failed over an older setup. The time of the setup
    /// shown comes first, so that a narrow line still says the screen is old.
    pub fn stale_setup(&self) -> Option<String> {
        let why = match (self.relay_slow, &self.relay_error) {
            (Some(after), _) => format!(
                "postconf and the maps have not answered in {} s (a stuck postconf, or a map on a hung file system?)",
                after.as_secs()
            ),
            (None, Some(e)) if self.relay.is_some() => format!("cannot read the relay setup: {e}"),
            _ => return None,
        };
        Some(match &self.relay {
            Some(r) => format!(
                "showing the setup read at {}: {why}",
                r.read_at.format("%H:%M:%S")
            ),
            None => why,
        })
    }

    /// The current cross-check (rows and setup findings).
    pub fn cross_check(&self) -> &CrossCheck {
        &self.check
    }

    /// The SES regions in use: configured, and named by the relay hosts.
    /// Also the regions of routes only a rule's `$n` names (known once the
    /// cross-check has expanded them).
    pub fn ses_regions(&self) -> Vec<String> {
        let mut out = ses_regions_for(&self.config, self.relay.as_ref());
        for r in &self.check.rows {
            if let model::SesCheck::NotRead { region, .. } = &r.ses
                && !out.contains(region)
            {
                out.push(region.clone());
            }
        }
        out
    }

    /// A region came into use or went out of it since SES was last asked.
    fn regions_changed(&self) -> bool {
        if !self.config.ses || self.relay.is_none() {
            return false;
        }
        let in_use: BTreeSet<String> = self.ses_regions().into_iter().collect();
        in_use != self.ses.regions()
    }

    fn ses_target(&self, region: String) -> SesTarget {
        SesTarget {
            region,
            endpoint: self.config.ses_endpoint.clone(),
            demo_keys: self.config.ses_demo_keys,
        }
    }

    /// Where a new identity is created: the region the selected sender is
    /// routed to, else the first region in use.
    fn verify_target(&self) -> Option<SesTarget> {
        if !self.config.ses {
            return None;
        }
        let routed = self.visible().get(self.selected).and_then(|r| {
            r.route
                .relay_text()
                .and_then(postconf::Relay::first_of)
                .and_then(|r| r.ses_region())
        });
        let region = routed.or_else(|| self.ses_regions().into_iter().next())?;
        Some(self.ses_target(region))
    }

    /// What `v` says of `identity` (an address or a domain) where SES, read in `region`,
    /// already lists it verified (itself or by a domain that covers it), or pending (with what
    /// finishes its verification): creating it again is refused by SES. `None` where SES of the
    /// region has not been read, or its read failed, or it lists the identity otherwise.
    fn already_in_ses(&self, identity: &str, region: &str) -> Option<Clean> {
        let view = self.ses.view();
        let Some(RegionView::Ready(s)) = view.get(region) else {
            return None;
        };
        let found = if identity.contains('@') {
            s.verification_of(identity)
        } else {
            s.verification_of_domain(identity)
        }?;
        let who = Clean::capped(identity, 80);
        let itself = found.name.eq_ignore_ascii_case(identity);
        let said = match found.status {
            ses::Verification::Verified if itself => {
                format!("{who} is already verified in SES {region}")
            }
            ses::Verification::Verified => format!(
                "{who} is already verified in SES {region} (by the domain {})",
                found.name
            ),
            ses::Verification::Pending if itself => format!(
                "{who} is already pending in SES {region}: {}; r reads SES again",
                if found.is_domain {
                    "publish in DNS the DKIM records SES lists for it"
                } else {
                    "click the link SES mailed to it"
                }
            ),
            _ => return None,
        };
        Some(Clean::joined(said))
    }

    /// Rows matching the filter.
    fn visible(&self) -> Vec<&model::SenderRow> {
        let f = self.filter.to_lowercase();
        self.check
            .rows
            .iter()
            .filter(|r| {
                f.is_empty()
                    || r.sender.to_lowercase().contains(&f)
                    || r.verdicts
                        .iter()
                        .any(|v| v.text.to_lowercase().contains(&f))
            })
            .collect()
    }

    fn selected_sender(&self) -> Option<String> {
        self.visible()
            .get(self.selected)
            .map(|r| r.sender.to_string())
            .filter(|s| s != "MAILER-DAEMON" && !s.starts_with('@') && !s.ends_with('@'))
    }

    fn recompute(&mut self, cx: &Cx<'_>) {
        // the rows are sorted by what is wrong with them, which a new read may change: the
        // selection (and the detail open on it, and the action `v`, `t` or `a` would take)
        // stays on its sender, not on its place in the list
        let kept = self.visible().get(self.selected).map(|r| r.sender.clone());
        let Some(snap) = &self.relay else {
            self.check = CrossCheck::default();
            return;
        };
        let shared = logscan::from_shared(&cx.shared.mail_log, cx.now - chrono::Duration::days(1));
        // the pane's own read of the log counts only while the shared model has no line
        let unread = shared
            .is_none()
            .then_some(self.activity_error.as_ref())
            .flatten();
        let activity = shared.as_ref().unwrap_or(&self.activity);
        let queue = model::queue_senders(&cx.shared.queue);
        let local = model::local_senders(&snap.settings.myorigin, &cx.shared.hostname);
        self.check = model::cross_check(&CheckInput {
            snapshot: snap,
            ses: self.ses.view(),
            activity,
            queue_senders: &queue,
            local_senders: &local,
            asked: &self.asked,
            ses_off: !self.config.ses,
        });
        if let Some(e) = unread {
            self.check.global.push(model::unread_log(e));
            self.check.counts_unknown = true;
        }
        let rows = self.visible();
        self.selected = kept
            .and_then(|k| rows.iter().position(|r| r.sender == k))
            .unwrap_or(self.selected.min(rows.len().saturating_sub(1)));
    }

    /// What `r` says while a read of the relay setup is out and has not been slow yet: for how
    /// long, once the pane asked for it (`start`'s first read was asked before the pane's
    /// clock ran).
    fn reading_notice(&self, now: DateTime<Local>) -> String {
        match self.last_refresh {
            Some(asked) => format!(
                "relay setup: already being read ({} s)",
                (now - asked).num_seconds().max(0)
            ),
            None => "relay setup: already being read (the first read)".into(),
        }
    }

    /// `r`: reads again whatever is not being read already, the relay setup and each SES region
    /// on its own (a second read beside the one out would only race it to the screen), and says
    /// what it left alone because it is still being read. A region that does not answer holds
    /// back the timer's next read of every region, not `r`'s of the others.
    fn refresh_asked(&mut self, cx: &Cx<'_>) -> Vec<Effect> {
        let mut out = Vec::new();
        let mut reading = Vec::new();
        let mut started: Vec<String> = Vec::new();
        if self.relay_slow.is_some() {
            reading
                .push("postconf and the maps have not answered yet: still waiting for them".into());
        } else if self.relay_pending {
            reading.push(self.reading_notice(cx.now));
        } else {
            out.extend(self.refresh_effects(cx));
            started.push("relay setup".into());
        }
        let out_already = self.ses_pending.clone();
        if !out_already.is_empty() {
            let regions: Vec<&str> = out_already.iter().map(String::as_str).collect();
            reading.push(format!("SES {}: already being read", regions.join(", ")));
        }
        // (before the first setup has answered, SES has no region yet: that answer reads it)
        if self.relay.is_some() || !self.relay_pending {
            let ses = self.ses_effects_but(cx.now, &out_already);
            // named by region beside one left alone, so that "SES" is not read as all of it
            let regions: Vec<&str> = ses
                .iter()
                .filter_map(|e| match e {
                    Effect::Senders(SendersEffect::RefreshSes(t)) => Some(t.region.as_str()),
                    _ => None,
                })
                .collect();
            if !regions.is_empty() {
                started.push(if out_already.is_empty() {
                    "SES".to_string()
                } else {
                    format!("SES {}", regions.join(", "))
                });
            }
            out.extend(ses);
        }
        // a plain `r` with nothing out says nothing: what it reads shows on screen
        if !reading.is_empty() {
            if !started.is_empty() {
                reading.push(format!("{}: reading again", started.join(" and ")));
            }
            out.push(Effect::notice(reading.join("; ")));
        }
        out
    }

    fn refresh_effects(&mut self, cx: &Cx<'_>) -> Vec<Effect> {
        self.relay_pending = true;
        self.last_refresh = Some(cx.now);
        // one read of the log at a time, whatever `r` asks
        let activity = cx.shared.mail_log.lines == 0 && !self.activity_pending;
        self.activity_pending |= activity;
        vec![Effect::Senders(SendersEffect::Refresh { activity })]
    }

    /// Read every SES region in use.
    fn ses_effects(&mut self, now: DateTime<Local>) -> Vec<Effect> {
        self.ses_effects_but(now, &BTreeSet::new())
    }

    /// Read the SES regions in use but those in `out_already`, whose reads are out: each keeps
    /// what it shows until its answer comes.
    fn ses_effects_but(
        &mut self,
        now: DateTime<Local>,
        out_already: &BTreeSet<String>,
    ) -> Vec<Effect> {
        if !self.config.ses {
            return Vec::new();
        }
        let regions = self.ses_regions();
        if regions.is_empty() {
            self.ses = SesState::NotConfigured(
                "not used: no SES relay in the maps or relayhost, and no senders.ses_region".into(),
            );
            self.ses_pending.clear();
            return Vec::new();
        }
        let mut old = match std::mem::replace(&mut self.ses, SesState::Regions(BTreeMap::new())) {
            SesState::Regions(m) => m,
            SesState::NotConfigured(_) => BTreeMap::new(),
        };
        let mut next = BTreeMap::new();
        let mut out = Vec::new();
        for region in regions {
            if out_already.contains(&region) {
                let state = old.remove(&region).unwrap_or(RegionSes::Loading);
                next.insert(region, state);
                continue;
            }
            // a region already read keeps showing while it is read again
            let state = match old.remove(&region) {
                Some(s @ RegionSes::Ready(_)) => s,
                _ => RegionSes::Loading,
            };
            next.insert(region.clone(), state);
            self.ses_pending.insert(region.clone());
            out.push(Effect::Senders(SendersEffect::RefreshSes(
                self.ses_target(region),
            )));
        }
        self.ses = SesState::Regions(next);
        if !out.is_empty() {
            self.ses_last = Some(now);
        }
        out
    }

    fn default_relay(&self) -> String {
        match self.ses_regions().into_iter().next() {
            Some(r) => format!("[email-smtp.{r}.amazonaws.com]:587"),
            None => "[email-smtp.us-east-1.amazonaws.com]:587".into(),
        }
    }

    /// The map a route is appended to: never one that is the password map too, whose lines
    /// the edit would quote (an entry already there, a line `postmap` complains of) with their
    /// passwords.
    fn first_editable_map(&self) -> Option<MapSpec> {
        self.relay.as_ref()?.relay_maps.iter().find_map(|m| {
            (!m.holds_passwords
                && matches!(
                    m.spec.kind,
                    maps::MapKind::Hash
                        | maps::MapKind::Btree
                        | maps::MapKind::Lmdb
                        | maps::MapKind::Cdb
                        | maps::MapKind::Texthash
                ))
            .then(|| m.spec.clone())
        })
    }

    fn prompt(purpose: &'static str, label: &str, initial: String) -> Effect {
        Effect::Prompt(Prompt {
            pane: PaneId::Senders,
            purpose,
            label: label.into(),
            initial,
        })
    }
}

/// The SES regions to read: `senders.ses_region` and `senders.ses_regions`,
/// then every region a relay host `email-smtp.<region>.amazonaws.com` names
/// (the relayhost, the map entries, the rules' results), in that order,
/// each once.
pub fn ses_regions_for(config: &SendersConfig, snap: Option<&RelaySnapshot>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |r: String| {
        let r = r.trim().to_ascii_lowercase();
        if postconf::valid_region(&r) && !out.contains(&r) {
            out.push(r);
        }
    };
    config.ses_region.iter().cloned().for_each(&mut add);
    config.ses_regions.iter().cloned().for_each(&mut add);
    let Some(snap) = snap else { return out };
    // every destination of a relay list (`[a]:587, [b]:587`)
    let region = |s: &str| {
        postconf::Relay::all_of(s)
            .into_iter()
            .filter_map(|r| r.ses_region())
            .collect::<Vec<_>>()
    };
    region(&snap.settings.relayhost)
        .into_iter()
        .for_each(&mut add);
    // a next hop after default_transport is every sender's relay
    if let Some(text) = model::route_for(snap, "").relay_text() {
        region(text).into_iter().for_each(&mut add);
    }
    for m in &snap.relay_maps {
        match &m.content {
            source::MapContent::Table(t) => {
                t.iter().flat_map(|e| region(&e.value)).for_each(&mut add)
            }
            source::MapContent::Rules(rules) => rules
                .iter()
                .flat_map(|r| match &r.kind {
                    maps::RuleKind::Match { result } => region(result),
                    _ => Vec::new(),
                })
                .for_each(&mut add),
            _ => {}
        }
    }
    out
}

fn no_access() -> Vec<Effect> {
    vec![Effect::Notice(
        "read-only session: this action is not available".into(),
    )]
}

impl Pane for SendersPane {
    type Action = SendersAction;
    type Event = SendersEvent;

    fn bindings(&self) -> &'static [Binding<SendersAction>] {
        BINDINGS
    }

    fn on_action(&mut self, action: SendersAction, cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {
            SendersAction::Refresh => self.refresh_asked(cx),
            SendersAction::TestMail => {
                if cx.access.is_none() {
                    return no_access();
                }
                let from = self.selected_sender().unwrap_or_default();
                vec![Self::prompt(P_TEST_FROM, "Test mail from", from)]
            }
            SendersAction::VerifyIdentity => {
                if cx.access.is_none() {
                    return no_access();
                }
                if self.verify_target().is_none() {
                    return vec![Effect::Notice(if self.config.ses {
                        "SES region not known: set senders.ses_region".into()
                    } else {
                        "SES is switched off (senders.ses = false)".into()
                    })];
                }
                // the null sender's bounces are checked as MAILER-DAEMON@$myhostname: its domain;
                // a whole domain's route (`@example.net`): the domain
                let row = self.visible().get(self.selected).map(|r| r.sender.clone());
                let row = row.as_deref().unwrap_or("");
                let initial = match (&self.relay, row.strip_prefix('@')) {
                    (Some(snap), _) if row == "MAILER-DAEMON" => {
                        snap.settings.myhostname.trim().to_string()
                    }
                    (_, Some(domain)) if !domain.is_empty() => domain.to_string(),
                    _ => self.selected_sender().unwrap_or_default(),
                };
                // what SES already lists is not created again (SES refuses it): said instead
                if let Some(target) = self.verify_target()
                    && let Some(said) = self.already_in_ses(&initial, &target.region)
                {
                    return vec![Effect::Notice(said)];
                }
                vec![Self::prompt(
                    P_VERIFY,
                    "Verify in SES (address or domain)",
                    initial,
                )]
            }
            SendersAction::AddRoute => {
                if cx.access.is_none() {
                    return no_access();
                }
                if self.first_editable_map().is_none() {
                    // whether there is a map to add to is known only once the setup is read
                    return vec![Effect::Notice(match (&self.relay, &self.relay_error) {
                        (None, Some(_)) => {
                            "no route can be added: the relay setup could not be read (the \
                             pane says why)"
                                .into()
                        }
                        (None, None) => "the relay setup is being read: a moment".into(),
                        (Some(s), _) if s.relay_maps.iter().any(|m| m.holds_passwords) => {
                            "no sender_dependent_relayhost_maps to add to: a map that is in \
                             smtp_sasl_password_maps too is not edited: its lines hold \
                             passwords (s: setup findings)"
                                .into()
                        }
                        (Some(_), _) => "sender_dependent_relayhost_maps names no hash, btree, \
                                         lmdb, cdb or texthash map to add a route to: name one \
                                         in main.cf (hash:/etc/postfix/sender_relay, then \
                                         postmap it) or edit the map by hand"
                            .into(),
                    })];
                }
                let initial = self.selected_sender().unwrap_or_default();
                vec![Self::prompt(
                    P_ROUTE_SENDER,
                    "Route sender (address, @domain)",
                    initial,
                )]
            }
            SendersAction::ShowMaps => {
                // nothing to show: said, not an empty view left to open later by itself
                if !self.maps_view && self.relay.is_none() {
                    return vec![Effect::Notice(
                        if self.relay_error.is_some() {
                            "no maps to show: the relay setup could not be read"
                        } else {
                            "no maps to show yet: the relay setup is being read"
                        }
                        .into(),
                    )];
                }
                self.maps_view = !self.maps_view;
                self.findings_view = false;
                self.maps_scroll.reset();
                Vec::new()
            }
            SendersAction::ShowFindings => {
                if self.findings_view {
                    self.findings_view = false;
                    return Vec::new();
                }
                if self.check.global.is_empty() {
                    return vec![Effect::Notice(
                        match (&self.relay, &self.relay_error) {
                            (None, Some(_)) => {
                                "no setup findings: the relay setup could not be read"
                            }
                            (None, None) => "no setup findings: the relay setup is being read",
                            (Some(_), _) => "no setup findings",
                        }
                        .into(),
                    )];
                }
                self.findings_view = true;
                self.maps_view = false;
                self.findings_scroll.reset();
                // from the overview's tile, the pane opens to show them
                vec![Effect::Focus(PaneId::Senders)]
            }
            SendersAction::TraceHistory => {
                match self.test.as_ref().and_then(|t| t.trace.as_ref()) {
                    Some(t) => vec![Effect::Jump(Jump::LogHistory(t.queue_id.clone()))],
                    None => vec![Effect::Notice("no test mail traced yet".into())],
                }
            }
        }
    }

    fn on_prompt(&mut self, purpose: &'static str, text: String, cx: &mut Cx<'_>) -> Vec<Effect> {
        let text = text.trim().to_string();
        let Some(access) = cx.access.cloned() else {
            return no_access();
        };
        match purpose {
            P_TEST_FROM => {
                if text.is_empty() {
                    return vec![Effect::Notice(
                        "a test mail needs a sender: t starts again".into(),
                    )];
                }
                if !actions::valid_address(&text) {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "not an address: {}",
                        Clean::capped(&text, 60)
                    )))];
                }
                self.pending_from = Some(text);
                let to = self.config.test_recipient.clone().unwrap_or_default();
                vec![Self::prompt(P_TEST_TO, "Test mail to", to)]
            }
            P_TEST_TO => {
                let Some(from) = self.pending_from.take() else {
                    return Vec::new();
                };
                if text.is_empty() {
                    return vec![Effect::Notice(
                        "a test mail needs a recipient: t starts again ([senders] \
                         test_recipient is offered as one)"
                            .into(),
                    )];
                }
                if !actions::valid_address(&text) {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "not an address: {}",
                        Clean::capped(&text, 60)
                    )))];
                }
                let mut lines = vec![
                    format!("From: {}", Clean::new(&from)),
                    format!("To:   {}", Clean::new(&text)),
                    format!(
                        "Over SMTP to {}:{}, then traced in {}",
                        Clean::new(&self.config.smtp_host),
                        self.config.smtp_port,
                        Clean::new(&self.trace_in)
                    ),
                ];
                if let Some(snap) = &self.relay {
                    // where the sender's mail goes, and what it meets there
                    let route = model::route_for(snap, &from.to_ascii_lowercase());
                    lines.push(format!("Route: {}", route.short()));
                    if let Some(relay) = route.relay_text() {
                        lines.extend(
                            model::route_warnings(
                                snap,
                                &self.ses.view(),
                                &from,
                                relay,
                                !self.config.ses,
                            )
                            .into_iter()
                            .map(|w| format!("! {w}")),
                        );
                    }
                    if let Some(warning) =
                        model::sandbox_refusal(snap, &self.ses.view(), &from, &text)
                    {
                        lines.push(warning);
                    }
                }
                if self.demo && !self.config.demo_smtp {
                    lines.push(DEMO_NOT_SENT.into());
                }
                vec![Effect::Confirm(Confirm {
                    title: "Send a test mail".into(),
                    // each outside piece was escaped where it was joined to its line
                    lines: lines.into_iter().map(Clean::joined).collect(),
                    then: vec![Effect::Senders(SendersEffect::SendTest {
                        access,
                        from,
                        to: text,
                    })],
                })]
            }
            P_VERIFY => {
                let Some(target) = self.verify_target() else {
                    return Vec::new();
                };
                let is_domain = !text.contains('@');
                if text.is_empty()
                    || (!is_domain && !actions::valid_address(&text))
                    || text.contains(char::is_whitespace)
                {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "not an address or domain: {}",
                        Clean::capped(&text, 60)
                    )))];
                }
                if let Some(said) = self.already_in_ses(&text, &target.region) {
                    return vec![Effect::Notice(said)];
                }
                let what = if is_domain {
                    "SES will list DKIM records to publish in DNS; the domain is pending until they are seen"
                } else {
                    "SES mails the address a link; it stays pending until the link is followed"
                };
                vec![Effect::Confirm(Confirm {
                    title: "Verify an identity in SES".into(),
                    lines: vec![
                        Clean::new(&format!("CreateEmailIdentity {text} in {}", target.region)),
                        what.into(),
                    ],
                    then: vec![Effect::Senders(SendersEffect::CreateIdentity {
                        access,
                        target,
                        identity: text,
                    })],
                })]
            }
            P_ROUTE_SENDER => {
                if text.is_empty() || text.contains(char::is_whitespace) || !text.contains('@') {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "not an address or @domain: {}",
                        Clean::capped(&text, 60)
                    )))];
                }
                if text.ends_with('@') {
                    return vec![Effect::Notice(actions::USER_AT_NEVER_LOOKED_UP.into())];
                }
                if text.contains('\\') {
                    // The prompt starts from the sender as shown, where a hidden or control
                    // character is written as an escape (`\u{200b}`): as a map key it would be
                    // those letters, and never match the address Postfix looks up.
                    return vec![Effect::Notice(Clean::joined(format!(
                        "{}: a \\ here is an escape shown for a hidden or control character, \
                         not part of the address; add this route to the map by hand",
                        Clean::capped(&text, 60)
                    )))];
                }
                self.pending_route_sender = Some(text);
                vec![Self::prompt(
                    P_ROUTE_RELAY,
                    "Relay ([host]:port)",
                    self.default_relay(),
                )]
            }
            P_ROUTE_RELAY => {
                let Some(sender) = self.pending_route_sender.take() else {
                    return Vec::new();
                };
                let Some(map) = self.first_editable_map() else {
                    return Vec::new();
                };
                if postconf::Relay::parse(&text).is_none() {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "not [host]:port: {}",
                        Clean::capped(&text, 60)
                    )))];
                }
                let then = match (map.kind == maps::MapKind::Texthash, self.demo) {
                    (_, true) => format!(
                        "Then: nothing more ({DEMO_SANDBOX}: no postmap, no postfix reload)"
                    ),
                    (true, false) => {
                        "Then: postfix reload (a texthash map is read at reload: no postmap)".into()
                    }
                    (false, false) => format!(
                        "Then: postmap {}, postfix reload",
                        Clean::new(&map.postmap_arg())
                    ),
                };
                // already there: the edit would be refused, so nothing is offered to confirm
                if let Some(snap) = &self.relay
                    && let Some(e) = map_entry(snap, &map, &sender)
                {
                    return vec![Effect::Notice(Clean::joined(format!(
                        "{} is already in {} line {} ({}): nothing to add; edit that line by hand",
                        Clean::capped(&sender.to_ascii_lowercase(), 80),
                        Clean::new(&map.written),
                        e.line,
                        e.value
                    )))];
                }
                let mut lines = vec![
                    format!("Append to {}:", Clean::new(&map.path)),
                    format!("  {}  {}", Clean::new(&sender), Clean::new(&text)),
                ];
                // what the sender's mail would meet there, before the route is written
                if let Some(snap) = &self.relay {
                    // an earlier map that answers first leaves the new entry unused
                    lines.extend(
                        model::route_shadowed(snap, &map, &sender).map(|w| format!("! {w}")),
                    );
                    lines.extend(
                        model::route_warnings(
                            snap,
                            &self.ses.view(),
                            &sender,
                            &text,
                            !self.config.ses,
                        )
                        .into_iter()
                        .map(|w| format!("! {w}")),
                    );
                }
                lines.push(format!(
                    "A dated backup is kept (those older than the newest {} are removed); the \
                     edit is atomic.",
                    self.config.route_backups
                ));
                lines.push(then);
                vec![Effect::Confirm(Confirm {
                    title: "Add a sender route".into(),
                    // each outside piece was escaped where it was joined to its line
                    lines: lines.into_iter().map(Clean::joined).collect(),
                    then: vec![Effect::Senders(SendersEffect::AddRoute {
                        access,
                        map,
                        sender,
                        relay: text,
                    })],
                })]
            }
            _ => Vec::new(),
        }
    }

    fn on_event(&mut self, event: SendersEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        let mut out = Vec::new();
        match event {
            SendersEvent::RelaySlow { after } => {
                // no second read behind the one that hangs
                self.relay_pending = true;
                self.relay_slow = Some(after);
                self.health.errors += 1;
                self.health.problem = self.stale_setup();
            }
            SendersEvent::Relay(Ok(snap)) => {
                self.relay_slow = None;
                let first = self.relay.is_none();
                // the Failures detail names a failing sender's route from the same read
                cx.shared.relay = Some(std::sync::Arc::new((*snap).clone()));
                self.relay = Some(*snap);
                self.relay_error = None;
                self.relay_pending = false;
                self.health.last_update = Some(cx.now);
                self.health.problem = None;
                // the first read names the regions (or says there are none)
                if first {
                    out.extend(self.ses_effects(cx.now));
                }
            }
            SendersEvent::Relay(Err(e)) => {
                self.relay_slow = None;
                self.relay_pending = false;
                // a setup that fails the same way on every refresh is one error, not one per
                // refresh: the count (and the screen) stays still until something changes
                if self.relay_error.as_ref() != Some(&e) {
                    self.health.errors += 1;
                }
                self.health.problem = Some(e.to_string());
                self.relay_error = Some(e);
            }
            SendersEvent::Activity(a) => {
                self.activity_pending = false;
                match a {
                    Ok(a) => {
                        self.activity = a;
                        self.activity_error = None;
                    }
                    Err(e) => self.activity_error = Some(e),
                }
            }
            SendersEvent::Ses { region, result } => {
                self.ses_pending.remove(&region);
                // counted once while a region keeps failing the same way, as the relay setup
                let repeated = match (&self.ses, &result) {
                    (SesState::Regions(m), Err(e)) => {
                        matches!(m.get(&region), Some(RegionSes::Failed(was)) if was == e)
                    }
                    _ => false,
                };
                if result.is_err() && !repeated {
                    self.health.errors += 1;
                }
                // an answer for a region no longer in use is dropped
                if let SesState::Regions(m) = &mut self.ses
                    && let Some(slot) = m.get_mut(&region)
                {
                    *slot = match result {
                        Ok(s) => RegionSes::Ready(*s),
                        Err(e) => RegionSes::Failed(e),
                    };
                }
            }
            SendersEvent::TestStarted { from, to } => {
                self.start_test(&from, &to, cx.now);
                self.asked.retain(|a| a != &from.to_ascii_lowercase());
                self.asked.push(from.to_ascii_lowercase());
            }
            SendersEvent::TestSubmitted(r) => {
                if let Some(t) = &mut self.test {
                    if let Ok(s) = &r
                        && let Some(id) = &s.queue_id
                    {
                        t.trace = Some(Trace::new(id, &t.from, &t.to));
                    }
                    if r.is_ok() {
                        t.accepted = Some(cx.now);
                    }
                    t.submitted = Some(r);
                }
            }
            SendersEvent::Trace(tr) => out.extend(self.set_trace(*tr)),
            SendersEvent::TraceTimeout(id) => {
                if let Some(t) = &mut self.test
                    && t.trace.as_ref().is_some_and(|x| x.queue_id == id)
                {
                    t.timed_out = true;
                }
            }
            SendersEvent::TraceLog { id, error } => {
                if let Some(t) = &mut self.test
                    && t.trace.as_ref().is_some_and(|x| x.queue_id == id)
                {
                    t.log_error = error;
                }
            }
            SendersEvent::IdentityCreated { identity, result } => {
                let ok = result.is_ok();
                out.push(Effect::Notice(Clean::joined(match &result {
                    Ok(true) => format!("{identity}: created, already verified"),
                    Ok(false) => format!("{identity}: created, pending until verified"),
                    Err(e) => format!("{identity}: {e}"),
                })));
                // an address gets a row of its own, so its state can be watched
                if ok && identity.contains('@') {
                    let a = identity.to_ascii_lowercase();
                    self.asked.retain(|x| x != &a);
                    self.asked.push(a);
                }
                self.created.retain(|(i, _)| i != &identity);
                self.created.push((identity, result));
                if ok {
                    out.extend(self.ses_effects(cx.now));
                }
            }
            SendersEvent::Route(r) => {
                let done_ok = r.done && r.ok;
                let done = r.done;
                self.route = Some(*r);
                if done {
                    out.push(Effect::Notice(
                        self.route
                            .as_ref()
                            .map(|r| r.outcome.clone())
                            .unwrap_or_default(),
                    ));
                }
                if done_ok {
                    out.extend(self.refresh_effects(cx));
                }
            }
        }
        self.recompute(cx);
        // a new relay setup, a typed sender or a rule's `$n` brought a region
        if self.regions_changed() {
            out.extend(self.ses_effects(cx.now));
            self.recompute(cx);
        }
        out
    }

    fn on_nav(&mut self, nav: Nav, _cx: &mut Cx<'_>) -> Vec<Effect> {
        if self.findings_view {
            self.findings_scroll.nav(nav);
            return Vec::new();
        }
        if self.maps_view {
            self.maps_scroll.nav(nav);
            return Vec::new();
        }
        if self.detail {
            self.detail_scroll.nav(nav);
            return Vec::new();
        }
        let n = self.visible().len();
        if n == 0 {
            return Vec::new();
        }
        self.selected = match nav {
            Nav::Up => self.selected.saturating_sub(1),
            Nav::Down => (self.selected + 1).min(n - 1),
            Nav::PageUp => self.selected.saturating_sub(10),
            Nav::PageDown => (self.selected + 10).min(n - 1),
            Nav::Top => 0,
            Nav::Bottom => n - 1,
        };
        Vec::new()
    }

    fn on_enter(&mut self, _cx: &mut Cx<'_>) -> Vec<Effect> {
        // the findings cover the table: Enter there would open a sender not on screen
        if !self.findings_view && !self.visible().is_empty() {
            self.detail = true;
            self.detail_scroll.reset();
        }
        Vec::new()
    }

    fn on_back(&mut self) -> bool {
        if self.findings_view {
            self.findings_view = false;
            true
        } else if self.maps_view {
            self.maps_view = false;
            true
        } else if self.detail {
            self.detail = false;
            true
        } else if self.route.as_ref().is_some_and(|r| r.done) {
            self.route = None;
            true
        } else if self.test.as_ref().is_some_and(|t| {
            t.timed_out
                || t.trace.as_ref().is_some_and(|x| x.done)
                || matches!(t.submitted, Some(Err(_)))
        }) {
            self.test = None;
            true
        } else {
            false
        }
    }

    fn set_filter(&mut self, text: &str, _cx: &mut Cx<'_>) {
        self.filter = text.to_string();
        self.selected = 0;
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn on_jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        let Jump::Sender(s) = jump else {
            return false;
        };
        // rows are lower case, but for the null sender's, which is named as Postfix does
        let s = if s.eq_ignore_ascii_case("MAILER-DAEMON") {
            "MAILER-DAEMON".to_string()
        } else {
            s.to_ascii_lowercase()
        };
        self.filter.clear();
        if !self.check.rows.iter().any(|r| r.sender.as_str() == s) && actions::valid_address(&s) {
            self.asked.push(s.clone());
            self.recompute(cx);
        }
        match self.visible().iter().position(|r| r.sender.as_str() == s) {
            Some(i) => {
                self.selected = i;
                self.detail = true;
                self.detail_scroll.reset();
                // the sender's detail shows, not a view left open over it
                self.findings_view = false;
                self.maps_view = false;
                true
            }
            None => false,
        }
    }

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        let mut out = Vec::new();
        // the Failures pane's model may see the test mail first (journal
        // source, or its follower is ahead of ours)
        let from_shared = self.test.as_ref().and_then(|t| {
            let cur = t.trace.as_ref().filter(|x| !x.done)?;
            logscan::trace_from_model(&cx.shared.mail_log, &cur.queue_id, &t.from, &t.to)
                .filter(|m| m.done || m.lines.len() > cur.lines.len())
        });
        if let Some(m) = from_shared {
            out.extend(self.set_trace(m));
        }
        let due = |last: Option<DateTime<Local>>, secs: u64| interval_due(last, cx.now, secs);
        if !self.relay_pending && due(self.last_refresh, self.config.refresh_secs) {
            out.extend(self.refresh_effects(cx));
        }
        if self.relay.is_some()
            && self.ses_pending.is_empty()
            && (self.regions_changed()
                || self.ses_last.is_some() && due(self.ses_last, self.config.ses_refresh_secs))
        {
            out.extend(self.ses_effects(cx.now));
        }
        out
    }

    fn clock_changed(&self, was: DateTime<Local>, now: DateTime<Local>) -> bool {
        // the test mail's log falls silent: said at once, not at the next minute
        self.test
            .as_ref()
            .and_then(TestMail::silent_from)
            .is_some_and(|at| was < at && at <= now)
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        view::render(self, frame, area, cx);
    }

    fn health(&self) -> SourceHealth {
        let mut h = self.health.clone();
        if h.problem.is_none() {
            // senders whose mail fails (or is lost) mark the tab, as a failed probe does
            let failing = self
                .check
                .rows
                .iter()
                .filter(|r| r.worst() == model::Severity::Error)
                .count();
            let mut problems: Vec<String> = Vec::new();
            if failing > 0 {
                problems.push(format!("{failing} sender{} failing", plural(failing)));
            }
            // an account that refuses mail (or soon will) fails every sender routed to it
            if let SesState::Regions(regions) = &self.ses {
                for (region, state) in regions {
                    if let RegionSes::Ready(s) = state
                        && let Ok(a) = &s.account
                        && let Some(words) = a.critical_words()
                    {
                        problems.push(format!("SES {region}: {words}"));
                    }
                }
            }
            if !problems.is_empty() {
                h.problem = Some(problems.join("; "));
            }
        }
        h
    }

    /// The relay setup (postconf and the maps) is read again every `refresh_secs`, also while
    /// the pane's own read of the log goes on: its age is the setup's. SES is read
    /// on its own interval, and each read of it ends within [`ses::READ_TIMEOUT`], answered or
    /// failed, which the pane shows.
    fn polled(&self) -> Option<Polled> {
        Some(Polled {
            every_secs: self.config.refresh_secs,
            last: self.health.last_update,
        })
    }
}

impl SendersPane {
    /// A newer view of the traced test mail; a notice when it reaches its end.
    fn set_trace(&mut self, tr: Trace) -> Vec<Effect> {
        let Some(t) = &mut self.test else {
            return Vec::new();
        };
        if t.trace.as_ref().is_some_and(|x| x.queue_id != tr.queue_id) {
            return Vec::new();
        }
        // a final status is final: the trace's own follow of the log and the Failures pane's
        // model both report it, and the one that comes second is behind, not newer
        if t.trace.as_ref().is_some_and(|x| x.done) {
            return Vec::new();
        }
        let notice = tr.done.then(|| {
            let word = match &tr.status {
                logscan::TraceStatus::Sent { .. } => "sent",
                logscan::TraceStatus::Bounced { .. } => "bounced",
                logscan::TraceStatus::Deferred { .. } => "deferred",
                _ => "left the queue",
            };
            let id = match &tr.requeued_as {
                Some(now) => format!("{} (requeued as {now})", tr.queue_id),
                None => tr.queue_id.clone(),
            };
            Effect::Notice(Clean::joined(format!(
                "test mail {id} from {}: {word}",
                tr.from
            )))
        });
        t.trace = Some(tr);
        notice.into_iter().collect()
    }

    /// A test mail is on its way: open the trace panel.
    fn start_test(&mut self, from: &str, to: &str, now: DateTime<Local>) {
        self.test = Some(TestMail {
            from: Clean::new(from),
            to: Clean::new(to),
            submitted: None,
            trace: None,
            timed_out: false,
            log_error: None,
            started: now,
            accepted: None,
        });
    }
}

/// Start this feature's source tasks: the first read. Later reads are asked
/// for by the pane's `on_tick`.
pub fn start(runner: &Runner) {
    // the configuration's Debug prints any password as ***
    tracing::info!(config = ?runner.config.senders, "senders: starting");
    run(SendersEffect::Refresh { activity: true }, runner);
}

async fn send(runner: &Runner, ev: SendersEvent) {
    runner.send(SourceEvent::Senders(ev)).await;
}

/// How long postconf and the maps may take before the pane says so: they answer in well under
/// a second; a postconf stuck on a lock, or a map on a hung NFS mount, never does.
pub const RELAY_SLOW: Duration = Duration::from_secs(30);

/// The relay setup read once, then (with `activity`) what the log says each sender did.
/// The setup is reported as soon as it is read: the pane reads it again on its interval while
/// the log is still being read. After `slow_after` without the setup,
/// [`SendersEvent::RelaySlow`] says so; a read blocked in the kernel cannot be stopped, so it
/// is waited for and its answer still reported, and no second read starts behind it (the pane
/// asks for none until then).
pub async fn refresh(r: &Runner, activity: bool, slow_after: Duration) {
    let rr = r.clone();
    let mut read = tokio::task::spawn_blocking(move || {
        let cfg = &rr.config.senders;
        match cfg.instance(&rr.config) {
            Some(inst) => source::read_snapshot(inst, SystemTime::now())
                .map(Box::new)
                .map_err(|e| e.clean()),
            None => Err(Clean::new(&format!(
                "no [[postfix]] instance named {:?}",
                cfg.instance.as_deref().unwrap_or("")
            ))),
        }
    });
    let relay = match tokio::time::timeout(slow_after, &mut read).await {
        Ok(done) => done,
        Err(_) => {
            send(r, SendersEvent::RelaySlow { after: slow_after }).await;
            read.await
        }
    };
    let relay = relay.unwrap_or_else(|e| Err(Clean::new(&format!("reading the relay setup: {e}"))));
    send(r, SendersEvent::Relay(relay)).await;
    if !activity {
        return;
    }
    let rr = r.clone();
    let activity = tokio::task::spawn_blocking(move || {
        let cfg = &rr.config.senders;
        let now = Local::now();
        logscan::activity(
            &cfg.log_input(&rr.config),
            now,
            now - chrono::Duration::days(1),
            rr.config.mail_log.max_line_bytes,
            Some(logscan::PANE_TAIL),
        )
        .map_err(|e| Clean::new(&e))
    })
    .await
    .unwrap_or_else(|e| Err(Clean::new(&format!("reading the mail log: {e}"))));
    send(r, SendersEvent::Activity(activity)).await;
}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: SendersEffect, runner: &Runner) {
    if !matches!(effect, SendersEffect::Refresh { .. }) {
        tracing::info!(?effect, "senders: effect");
    }
    let r = runner.clone();
    match effect {
        SendersEffect::Refresh { activity } => {
            tokio::spawn(async move { refresh(&r, activity, RELAY_SLOW).await });
        }
        SendersEffect::RefreshSes(target) => {
            tokio::spawn(async move {
                let result = ses::snapshot_within(&target, ses::READ_TIMEOUT)
                    .await
                    .map(Box::new)
                    .map_err(|e| e.clean());
                send(
                    &r,
                    SendersEvent::Ses {
                        region: target.region,
                        result,
                    },
                )
                .await;
            });
        }
        SendersEffect::CreateIdentity {
            access,
            target,
            identity,
        } => {
            tokio::spawn(async move {
                let result = ses::create_identity(&access, &target, &identity)
                    .await
                    .map_err(|e| e.clean());
                send(
                    &r,
                    SendersEvent::IdentityCreated {
                        identity: Clean::new(&identity),
                        result,
                    },
                )
                .await;
            });
        }
        SendersEffect::AddRoute {
            access,
            map,
            sender,
            relay,
        } => {
            // let finish when opsdeck is left: a map written but not compiled, or compiled and
            // not reloaded, is a route that is not in force
            let running = crate::app::effect::ChangeRunning::start();
            tokio::task::spawn_blocking(move || {
                let _running = running;
                let Some(inst) = r.config.senders.instance(&r.config).cloned() else {
                    return;
                };
                let postfix = if r.config.demo {
                    actions::RunPostfix::No(DEMO_SANDBOX)
                } else {
                    actions::RunPostfix::Yes
                };
                let report = actions::add_route(
                    &access,
                    &inst,
                    &map,
                    &sender,
                    &relay,
                    postfix,
                    r.config.senders.route_backups,
                    Local::now(),
                    &mut |p| {
                        r.blocking_send(SourceEvent::Senders(SendersEvent::Route(Box::new(
                            p.clone(),
                        ))));
                    },
                );
                tracing::info!(?report, "senders: add route finished");
                r.blocking_send(SourceEvent::Senders(SendersEvent::Route(Box::new(report))));
            });
        }
        SendersEffect::SendTest { access, from, to } => {
            if r.config.demo && !r.config.senders.demo_smtp {
                // the host's own MTA may listen on the SMTP port: the demo reaches only its own
                // said where a test mail's outcome is: the panel the start opens
                tokio::spawn(async move {
                    send(&r, SendersEvent::TestStarted { from, to }).await;
                    let refused = Err(Clean::new(DEMO_NOT_SENT));
                    send(&r, SendersEvent::TestSubmitted(refused)).await;
                });
                return;
            }
            tokio::spawn(async move { test_mail_task(access, from, to, r).await });
        }
    }
}

/// The entry of `map` (as last read) whose key is `sender`: the one an added route would
/// repeat, which [`actions::add_route`] refuses.
fn map_entry<'a>(
    snap: &'a RelaySnapshot,
    map: &MapSpec,
    sender: &str,
) -> Option<&'a maps::TableEntry> {
    let key = sender.trim().to_ascii_lowercase();
    let file = snap
        .relay_maps
        .iter()
        .find(|m| m.spec.written == map.written)?;
    match &file.content {
        source::MapContent::Table(entries) => entries.iter().find(|e| e.key.as_str() == key),
        _ => None,
    }
}

/// Submit the test mail, then follow the log until its final status.
async fn test_mail_task(access: WriteAccess, from: String, to: String, r: Runner) {
    let cfg = r.config.senders.clone();
    let log_path = cfg.log_path(&r.config);
    // from the journal, the Failures pane's model is what sees the test mail (on_tick): a file
    // that cannot be read is then no news
    let from_file = matches!(cfg.log_input(&r.config), logscan::LogInput::File(_));
    // open the log at its end now: the trace reads only what comes after
    let reader = TraceReader::new(&log_path, r.config.mail_log.max_line_bytes);
    let Ok((mut reader, _)) = tokio::task::spawn_blocking(move || reader.poll()).await else {
        return;
    };
    send(
        &r,
        SendersEvent::TestStarted {
            from: from.clone(),
            to: to.clone(),
        },
    )
    .await;
    let res = actions::send_test_mail(&access, &cfg.smtp_target(), &from, &to, Local::now())
        .await
        .map_err(|e| Clean::new(&e.to_string()));
    match &res {
        Ok(s) => tracing::info!(reply = %s.reply, "senders: test mail submitted"),
        Err(e) => tracing::warn!(error = %e, "senders: test mail not submitted"),
    }
    let queue_id = res.as_ref().ok().and_then(|s| s.queue_id.clone());
    send(&r, SendersEvent::TestSubmitted(res)).await;
    let Some(id) = queue_id else { return };
    let mut last: Option<Trace> = None;
    let deadline =
        tokio::time::Instant::now() + std::time::Duration::from_secs(cfg.trace_timeout_secs);
    // what the trace last said of the log: a log it cannot read is said, not waited on in
    // silence until the timeout
    let mut log_error: Option<Clean> = None;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let Ok((back, read)) = tokio::task::spawn_blocking(move || reader.poll()).await else {
            break;
        };
        reader = back;
        // in the Failures pane's words, with what to do
        let error = match crate::mail::log::source::SourceState::of(&read) {
            crate::mail::log::source::SourceState::Unavailable(why) if from_file => {
                Some(Clean::new(&why))
            }
            _ => None,
        };
        if error != log_error {
            if let Some(e) = &error {
                tracing::warn!(error = %e, "senders: the trace cannot read the log");
            }
            log_error = error.clone();
            send(
                &r,
                SendersEvent::TraceLog {
                    id: id.clone(),
                    error,
                },
            )
            .await;
        }
        let now = logscan::trace_from_model(&reader.model, &id, &from, &to);
        if now.is_some() && now != last {
            let t = now.clone().unwrap_or_else(|| Trace::new(&id, &from, &to));
            let done = t.done;
            send(&r, SendersEvent::Trace(Box::new(t))).await;
            last = now;
            if done {
                return;
            }
        }
    }
    send(&r, SendersEvent::TraceTimeout(id)).await;
}

/// The test mail's own follow of the log file, from where it ended when the mail was about to
/// be sent: the Failures pane's follower (no line lost across a rotation, whatever its style)
/// feeding the Failures pane's parser and model. A line missed here could be the mail's
/// delivery: the `removed` after it would then read as mail lost.
struct TraceReader {
    follower: crate::mail::log::source::Follower,
    years: crate::mail::log::parse::YearGuess,
    model: crate::mail::log::model::MailLog,
    /// When the trace began, a little early (see [`TRACE_BACK`]): lines stamped since may be
    /// the test mail's.
    since: DateTime<chrono::FixedOffset>,
    /// The log has not been opened yet. When the first poll could not open it (not there yet,
    /// not readable), the lines it took before it could be read are read back when it can be:
    /// the mail's delivery may be among them.
    unopened: bool,
    /// Polled before: a first poll opens the log at its end, and there is nothing to read back.
    polled: bool,
    max_line: usize,
}

/// How far before the start of a trace its read-back goes: a syslog stamp counts whole seconds,
/// and a relayed one may be a little behind this host's clock.
const TRACE_BACK: chrono::Duration = chrono::Duration::seconds(60);

impl TraceReader {
    fn new(path: &std::path::Path, max_line: usize) -> TraceReader {
        TraceReader {
            follower: crate::mail::log::source::Follower::new(path, true, max_line),
            years: crate::mail::log::parse::YearGuess::new(Local::now().date_naive()),
            model: crate::mail::log::model::MailLog::default(),
            since: Local::now().fixed_offset() - TRACE_BACK,
            unopened: true,
            polled: false,
            max_line,
        }
    }

    /// Read what is new (blocking) into the model; the reader comes back with the result, to
    /// be moved into the next blocking read.
    fn poll(mut self) -> (TraceReader, Result<(), crate::mail::log::LogError>) {
        use crate::mail::log::{LogEvent, source};
        let mut lines = Vec::new();
        let res = self.follower.poll(&mut lines);
        if res.is_ok() && self.unopened {
            self.unopened = false;
            // opened at last: what was written since the trace began comes first (its rotated
            // files too, when it was rotated meanwhile), then what this poll read after it
            if self.polled {
                let path = self.follower.path().to_path_buf();
                let until = self.follower.started_at;
                let model = &mut self.model;
                source::backfill_since(
                    0,
                    &path,
                    until,
                    Some(&self.follower),
                    self.since,
                    self.max_line,
                    &mut |ev| {
                        if let LogEvent::Lines { lines, .. } = ev {
                            for line in lines {
                                model.ingest(line);
                            }
                        }
                        true
                    },
                );
            }
        }
        self.polled = true;
        for line in &lines {
            if let Some(parsed) =
                crate::mail::log::parse::parse_line(line.trim_end(), &mut self.years)
            {
                self.model.ingest(parsed);
            }
        }
        (self, res)
    }
}

/// Add this feature's part to the demo sandbox: write its files under
/// `sandbox`, point `config` at them, and spawn (with `tokio::spawn`) any
/// live writer it needs. Called inside the runtime before the panes start.
pub fn demo(sandbox: &std::path::Path, config: &mut Config) -> anyhow::Result<()> {
    demo::demo_files(sandbox, config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Mode;

    /// A route being added (map written, postmap, postfix reload) is let finish when opsdeck is
    /// left (`q`, a dropped link): it counts as a change running until its report is out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_route_being_added_counts_as_running_until_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let go = dir.path().join("go");
        let map = dir.path().join("sender_relay");
        std::fs::write(&map, "old@example.com [smtp.example.net]:587\n").unwrap();
        let mut config = Config::default();
        // postmap and postfix reload through a prefix that waits for the test's word
        config.postfix = vec![crate::config::PostfixInstance {
            name: "mx".into(),
            config_dir: dir.path().to_path_buf(),
            command_prefix: vec![
                "sh".into(),
                "-c".into(),
                format!("while [ ! -e {} ]; do sleep 0.05; done", go.display()),
                "prefix".into(),
            ],
        }];
        config.senders.instance = Some("mx".into());
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let runner = Runner {
            tx,
            config: std::sync::Arc::new(config),
        };
        run(
            SendersEffect::AddRoute {
                access: WriteAccess::for_mode(Mode::Interactive).unwrap(),
                map: maps::parse_map_list(&format!("texthash:{}", map.display())).remove(0),
                sender: "new@example.com".into(),
                relay: "[email-smtp.us-east-1.amazonaws.com]:587".into(),
            },
            &runner,
        );
        let running = crate::app::effect::changes_running();
        // let it go on before any assertion, so that a failing one leaves nothing waiting
        std::fs::write(&go, "").unwrap();
        assert!(running >= 1, "counted from the start");
        let report = loop {
            if let SourceEvent::Senders(SendersEvent::Route(r)) = rx.recv().await.unwrap()
                && r.done
            {
                break r;
            }
        };
        assert!(
            std::fs::read_to_string(&map)
                .unwrap()
                .contains("new@example.com"),
            "{report:?}"
        );
    }
    use crate::app::shared::Shared;
    use chrono::TimeZone;

    /// The test mail is delivered and its `status=sent` written just before the log is
    /// rotated (renamed, a new one created), its `removed` after: the trace reads the rest of
    /// the old file before the new one, and ends in sent, not in mail removed without a
    /// delivery (read from the new file alone, it said "bounced").
    #[test]
    fn the_trace_reads_the_lines_written_just_before_a_rotation() {
        use std::io::Write;
        const CORPUS: &str = include_str!("../../../tests/fixtures/maillog/corpus-3.7.log");
        let line = |n: usize| format!("{}\n", CORPUS.lines().nth(n - 1).unwrap());
        let append = |path: &std::path::Path, text: &str| {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .unwrap();
            f.write_all(text.as_bytes()).unwrap();
        };
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        // what was there before the test mail is not read
        append(&log, &line(14));
        let (reader, read) = TraceReader::new(&log, 2048).poll();
        read.unwrap();
        let trace = |r: &TraceReader| {
            logscan::trace_from_model(
                &r.model,
                "3F517C8902",
                "alice@example.com",
                "ok@example.com",
            )
        };
        assert_eq!(trace(&reader), None);
        // picked up and in the active queue: the trace reads it
        append(&log, &(line(4) + &line(5) + &line(6)));
        let (reader, read) = reader.poll();
        read.unwrap();
        let t = trace(&reader).unwrap();
        assert_eq!((&t.status, t.done), (&logscan::TraceStatus::Active, false));
        // delivered; the log rotated before the next read; removed, in the new file
        append(&log, &line(13));
        std::fs::rename(&log, dir.path().join("mail.log.1")).unwrap();
        append(&log, &line(14));
        let (reader, read) = reader.poll();
        read.unwrap();
        let t = trace(&reader).unwrap();
        assert!(t.done, "{t:?}");
        assert!(
            matches!(&t.status, logscan::TraceStatus::Sent { relay, .. }
                if relay.as_str() == "127.0.0.1[127.0.0.1]:2525"),
            "{t:?}"
        );
    }

    /// The log cannot be read when the trace starts (here a directory stands in its place; as
    /// with a log the user may not read, what it holds once it can be read is history) and the
    /// test mail is delivered meanwhile: once it can be read, the trace reads back what was
    /// written since it began and reaches sent, and a line of an older message under the same
    /// queue id, stamped before the trace began, is not taken for the test mail's.
    #[test]
    fn the_trace_reads_back_what_was_written_while_the_log_could_not_be_read() {
        const CORPUS: &str = include_str!("../../../tests/fixtures/maillog/corpus-3.7.log");
        // a corpus line stamped `ago` before now
        let line = |n: usize, ago: chrono::Duration| {
            let l = CORPUS.lines().nth(n - 1).unwrap();
            let stamp = (Local::now() - ago).format("%b %e %H:%M:%S");
            format!("{stamp}{}\n", &l["Nov 27 19:25:41".len()..])
        };
        let now = chrono::Duration::zero();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("mail.log");
        std::fs::create_dir(&log).unwrap();
        let (reader, read) = TraceReader::new(&log, 2048).poll();
        let Err(e) = read else {
            panic!("a directory read as a log")
        };
        assert!(e.to_string().contains("is a directory"), "{e}");
        let trace = |r: &TraceReader| {
            logscan::trace_from_model(
                &r.model,
                "3F517C8902",
                "alice@example.com",
                "ok@example.com",
            )
        };
        // still not readable
        let (reader, read) = reader.poll();
        assert!(read.is_err());
        // the log as it is by the time it can be read: an old message of the same id bounced
        // hours ago, then the test mail picked up, sent and removed
        std::fs::remove_dir(&log).unwrap();
        let bounced_long_ago = line(13, chrono::Duration::hours(3))
            .replace("status=sent (250 Ok", "status=bounced (550 No");
        let written = [
            bounced_long_ago,
            line(4, now),
            line(5, now),
            line(6, now),
            line(13, now),
            line(14, now),
        ];
        std::fs::write(&log, written.concat()).unwrap();
        let (reader, read) = reader.poll();
        read.unwrap();
        let t = trace(&reader).expect("the test mail's lines read back");
        assert!(t.done, "{t:?}");
        assert!(
            matches!(&t.status, logscan::TraceStatus::Sent { relay, .. }
                if relay.as_str() == "127.0.0.1[127.0.0.1]:2525"),
            "{t:?}"
        );
        assert!(t.lines.iter().all(|l| !l.contains("550 No")), "{t:?}");
        // read back once: a later poll adds nothing
        let (reader, read) = reader.poll();
        read.unwrap();
        assert_eq!(trace(&reader), Some(t));
    }

    /// The Failures pane's model says the test mail was sent; the trace's own follow of the
    /// log reports later, from behind or having missed a line: the final status stays, and
    /// is told once.
    #[test]
    fn a_finished_trace_is_not_replaced_by_a_later_report() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        queued_test(
            &mut p,
            &mut cx,
            "alice@example.com",
            "ok@example.com",
            "3F517C8902",
        );
        let mut sent = Trace::new("3F517C8902", "alice@example.com", "ok@example.com");
        sent.status = logscan::TraceStatus::Sent {
            relay: Clean::new("127.0.0.1[127.0.0.1]:2525"),
            reply: Clean::new("250 Ok"),
        };
        sent.done = true;
        let e = p.on_event(SendersEvent::Trace(Box::new(sent.clone())), &mut cx);
        assert!(
            e.iter().any(|e| matches!(e, Effect::Notice(n)
                if n == "test mail 3F517C8902 from alice@example.com: sent")),
            "{e:?}"
        );
        // a reader still behind, and one that missed the delivery line and saw `removed`
        let mut behind = Trace::new("3F517C8902", "alice@example.com", "ok@example.com");
        behind.status = logscan::TraceStatus::Active;
        let mut missed = behind.clone();
        missed.status = logscan::TraceStatus::Bounced {
            dsn: Clean::default(),
            reason: Clean::new("removed from the queue with no final delivery status logged"),
        };
        missed.done = true;
        for later in [behind, missed] {
            let e = p.on_event(SendersEvent::Trace(Box::new(later)), &mut cx);
            assert!(e.is_empty(), "{e:?}");
            assert_eq!(p.test.as_ref().unwrap().trace.as_ref(), Some(&sent));
            assert!(
                !p.on_tick(&mut cx)
                    .iter()
                    .any(|e| matches!(e, Effect::Notice(_)))
            );
        }
    }

    fn now() -> DateTime<Local> {
        Local.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap()
    }

    /// A test mail from `from` to `to` started and queued by Postfix as `id` (the view's tests
    /// too).
    pub(super) fn queued_test(
        p: &mut SendersPane,
        cx: &mut Cx<'_>,
        from: &str,
        to: &str,
        id: &str,
    ) {
        test_started(p, cx, from, to);
        test_accepted(p, cx, id);
    }

    /// A test mail from `from` to `to` being submitted, as the runner says before it submits.
    pub(super) fn test_started(p: &mut SendersPane, cx: &mut Cx<'_>, from: &str, to: &str) {
        p.on_event(
            SendersEvent::TestStarted {
                from: from.into(),
                to: to.into(),
            },
            cx,
        );
    }

    /// The submitted test mail accepted by the SMTP server, queued as `id`.
    pub(super) fn test_accepted(p: &mut SendersPane, cx: &mut Cx<'_>, id: &str) {
        p.on_event(
            SendersEvent::TestSubmitted(Ok(Submitted {
                reply: Clean::new(&format!("250 2.0.0 Ok: queued as {id}")),
                queue_id: Some(id.into()),
            })),
            cx,
        );
    }

    /// A read-only session's context at [`now`].
    fn read_only(shared: &mut Shared) -> Cx<'_> {
        Cx {
            now: now(),
            access: None,
            shared,
        }
    }

    fn fed(shared: &mut Shared) -> SendersPane {
        let mut p = SendersPane::new(&Config::default());
        let mut cx = Cx {
            now: now(),
            access: None,
            shared,
        };
        let effects = p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        // the first snapshot names the SES region: SES is read next
        assert!(
            matches!(&effects[..], [Effect::Senders(SendersEffect::RefreshSes(t))] if t.region == "us-east-1"),
            "{effects:?}"
        );
        // the Failures detail reads the same setup for a sender's route
        assert_eq!(
            cx.shared
                .relay
                .as_ref()
                .map(|r| r.settings.relayhost.as_str()),
            Some("[mail.isp.example]:587")
        );
        p
    }

    #[test]
    fn failing_senders_mark_the_tab() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        assert!(
            p.check
                .rows
                .iter()
                .all(|r| r.worst() < model::Severity::Error),
            "nothing fails yet"
        );
        assert_eq!(p.health().problem, None);
        for row in p.check.rows.iter_mut().take(2) {
            row.verdicts.push(model::Verdict {
                severity: model::Severity::Error,
                text: "3 bounced in the last day".into(),
                ses_region: None,
                remedy: None,
            });
        }
        assert_eq!(p.health().problem.as_deref(), Some("2 senders failing"));
        // a setup that cannot be read says so first
        p.health.problem = Some("postconf: not found".into());
        assert_eq!(p.health().problem.as_deref(), Some("postconf: not found"));
    }

    #[test]
    fn a_failure_repeated_on_every_refresh_is_one_error() {
        // a monitor left for days on a host whose relay setup cannot be read: the count in the
        // status bar stays still (and the screen with it) until something changes
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        let denied =
            || -> Clean { "postconf: fatal: open /etc/postfix/main.cf: Permission denied".into() };
        for _ in 0..5 {
            p.on_event(SendersEvent::Relay(Err(denied())), &mut cx);
        }
        assert_eq!(p.health().errors, 1);
        p.on_event(
            SendersEvent::Relay(Err("postconf: not found".into())),
            &mut cx,
        );
        assert_eq!(p.health().errors, 2, "a different failure counts");
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        p.on_event(SendersEvent::Relay(Err(denied())), &mut cx);
        assert_eq!(p.health().errors, 3, "failing again after a success counts");
        // SES: the same, per region
        for _ in 0..5 {
            p.on_event(
                SendersEvent::Ses {
                    region: "us-east-1".into(),
                    result: Err("SES GetAccount in us-east-1: access denied".into()),
                },
                &mut cx,
            );
        }
        assert_eq!(p.health().errors, 4);
    }

    /// `s` with no setup findings says why there are none, rather than opening an empty view.
    #[test]
    fn no_setup_findings_says_why() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        let e = p.on_action(SendersAction::ShowFindings, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Notice(n)] if n == "no setup findings: the relay setup is being read"),
            "{e:?}"
        );
        p.on_event(
            SendersEvent::Relay(Err("postconf: not found".into())),
            &mut cx,
        );
        let e = p.on_action(SendersAction::ShowFindings, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Notice(n)] if n == "no setup findings: the relay setup could not be read"),
            "{e:?}"
        );
        assert!(!p.findings_view);
    }

    #[test]
    fn read_only_offers_no_writes() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        for a in [
            SendersAction::TestMail,
            SendersAction::VerifyIdentity,
            SendersAction::AddRoute,
        ] {
            let e = p.on_action(a, &mut cx);
            assert!(
                matches!(&e[..], [Effect::Notice(n)] if n.starts_with("read-only")),
                "{a:?}: {e:?}"
            );
        }
        let e = p.on_prompt(P_ROUTE_RELAY, "[h]:587".into(), &mut cx);
        assert!(matches!(&e[..], [Effect::Notice(_)]), "{e:?}");
        // every write binding is marked as such
        for b in BINDINGS {
            let writes = matches!(
                b.action,
                SendersAction::TestMail | SendersAction::VerifyIdentity | SendersAction::AddRoute
            );
            assert_eq!(b.writes, writes, "{:?}", b.action);
        }
    }

    /// Verifying for MAILER-DAEMON offers the domain SES checks its bounces by
    /// (MAILER-DAEMON@$myhostname), not an empty prompt.
    #[test]
    fn verify_for_mailer_daemon_offers_the_host_domain() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        p.relay.as_mut().unwrap().settings.myhostname = "mx1.example.net".into();
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        p.selected = p
            .visible()
            .iter()
            .position(|r| r.sender.as_str() == "MAILER-DAEMON")
            .expect("a MAILER-DAEMON row");
        let e = p.on_action(SendersAction::VerifyIdentity, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Prompt(pr)] if pr.purpose == P_VERIFY && pr.initial == "mx1.example.net"),
            "{e:?}"
        );
        // a domain's route: the domain is what SES verifies for it
        p.selected = p
            .visible()
            .iter()
            .position(|r| r.sender.as_str() == "@example.org")
            .expect("an @example.org row");
        let e = p.on_action(SendersAction::VerifyIdentity, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Prompt(pr)] if pr.purpose == P_VERIFY && pr.initial == "example.org"),
            "{e:?}"
        );
    }

    /// `v` on a sender SES already lists, verified or pending, asks nothing and calls nothing:
    /// it says so, and for a pending one what finishes it; so does an identity typed at the
    /// prompt. Before SES is read, or when its read failed, `v` asks as it always did.
    #[test]
    fn verify_an_identity_ses_already_lists_says_so_instead_of_asking() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        let v_on = |p: &mut SendersPane, cx: &mut Cx<'_>, sender: &str| -> Vec<Effect> {
            p.selected = p
                .visible()
                .iter()
                .position(|r| r.sender.as_str() == sender)
                .unwrap_or_else(|| panic!("a row for {sender}"));
            p.on_action(SendersAction::VerifyIdentity, cx)
        };
        let asked = |e: &[Effect], initial: &str| matches!(e, [Effect::Prompt(pr)] if pr.purpose == P_VERIFY && pr.initial == initial);
        let notice = |e: &[Effect]| match e {
            [Effect::Notice(n)] => n.to_string(),
            _ => panic!("{e:?}"),
        };
        // SES not read yet, then its read failed: asked as before
        let e = v_on(&mut p, &mut cx, "alice@example.com");
        assert!(asked(&e, "alice@example.com"), "{e:?}");
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Err("SES ListEmailIdentities in us-east-1: access denied".into()),
            },
            &mut cx,
        );
        let e = v_on(&mut p, &mut cx, "alice@example.com");
        assert!(asked(&e, "alice@example.com"), "{e:?}");
        let mut read = model::tests::ses(false);
        read.identities.push(ses::Identity {
            name: "example.net".into(),
            is_domain: true,
            status: ses::Verification::Pending,
            sending_enabled: true,
        });
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(read)),
            },
            &mut cx,
        );
        let e = v_on(&mut p, &mut cx, "alice@example.com");
        assert_eq!(
            notice(&e),
            "alice@example.com is already verified in SES us-east-1"
        );
        let e = v_on(&mut p, &mut cx, "bob@example.com");
        assert_eq!(
            notice(&e),
            "bob@example.com is already pending in SES us-east-1: click the link SES mailed to \
             it; r reads SES again"
        );
        // a domain's route: the domain
        let e = v_on(&mut p, &mut cx, "@example.org");
        assert_eq!(
            notice(&e),
            "example.org is already verified in SES us-east-1"
        );
        // typed at the prompt
        let e = p.on_prompt(P_VERIFY, "example.net".into(), &mut cx);
        assert_eq!(
            notice(&e),
            "example.net is already pending in SES us-east-1: publish in DNS the DKIM records \
             SES lists for it; r reads SES again"
        );
        let e = p.on_prompt(P_VERIFY, "ops@mail.example.org".into(), &mut cx);
        assert_eq!(
            notice(&e),
            "ops@mail.example.org is already verified in SES us-east-1 (by the domain \
             example.org)"
        );
        // what SES does not list is asked for, as before
        let e = p.on_prompt(P_VERIFY, "new@example.com".into(), &mut cx);
        assert!(
            matches!(&e[..], [Effect::Confirm(c)] if matches!(&c.then[..], [Effect::Senders(SendersEffect::CreateIdentity { identity, .. })] if identity == "new@example.com")),
            "{e:?}"
        );
    }

    #[test]
    fn a_route_an_earlier_map_would_answer_for_is_said_before_it_is_written() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        // a rules map before the map the entry is appended to
        let spec = maps::parse_map_list("pcre:/etc/postfix/first.pcre").remove(0);
        let (rules, _) = maps::parse_rules("/^new@example\\.com$/ [other.relay.example]:587\n");
        let snap = p.relay.as_mut().unwrap();
        snap.relay_maps.insert(
            0,
            source::MapFile {
                spec,
                content: source::MapContent::Rules(rules),
                error: None,
                bad_lines: vec![],
                source: None,
                compiled: None,
                holds_passwords: false,
            },
        );
        let confirm = |p: &mut SendersPane, cx: &mut Cx<'_>, sender: &str| {
            p.on_action(SendersAction::AddRoute, cx);
            p.on_prompt(P_ROUTE_SENDER, sender.into(), cx);
            let e = p.on_prompt(
                P_ROUTE_RELAY,
                "[email-smtp.us-east-1.amazonaws.com]:587".into(),
                cx,
            );
            let [Effect::Confirm(c)] = &e[..] else {
                panic!("{e:?}")
            };
            c.lines.iter().map(|l| l.to_string()).collect::<Vec<_>>()
        };
        let lines = confirm(&mut p, &mut cx, "new@example.com");
        assert!(
            lines.iter().any(|l| l
                == "! pcre:/etc/postfix/first.pcre line 1 answers first for new@example.com \
                    ([other.relay.example]:587): the new entry would not be used"),
            "{lines:?}"
        );
        // a sender the rules do not match: nothing of the kind to say
        let lines = confirm(&mut p, &mut cx, "other@example.com");
        assert!(
            !lines.iter().any(|l| l.contains("answers first")),
            "{lines:?}"
        );
        // a sender already in the map: the action would refuse it, so no dialog asks for a
        // y that changes nothing (and says a backup is kept, a reload follows)
        p.on_action(SendersAction::AddRoute, &mut cx);
        p.on_prompt(P_ROUTE_SENDER, "Alice@example.com".into(), &mut cx);
        let e = p.on_prompt(
            P_ROUTE_RELAY,
            "[email-smtp.us-east-1.amazonaws.com]:587".into(),
            &mut cx,
        );
        assert!(
            matches!(&e[..], [Effect::Notice(n)] if n.as_str()
                == "alice@example.com is already in hash:/etc/postfix/sender_relay line 1 \
                    ([email-smtp.us-east-1.amazonaws.com]:587): nothing to add; edit that \
                    line by hand"),
            "{e:?}"
        );
    }

    /// `m` before the relay setup is read, or when it cannot be: a notice says why there are
    /// no maps to show, and no view is left open to appear by itself later.
    #[test]
    fn maps_view_without_a_setup_says_why() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        let e = p.on_action(SendersAction::ShowMaps, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Notice(n)]
                if n == "no maps to show yet: the relay setup is being read"),
            "{e:?}"
        );
        p.on_event(
            SendersEvent::Relay(Err("postconf: not found".into())),
            &mut cx,
        );
        let e = p.on_action(SendersAction::ShowMaps, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Notice(n)]
                if n == "no maps to show: the relay setup could not be read"),
            "{e:?}"
        );
        assert!(!p.maps_view);
        // read: the view opens
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        assert!(p.on_action(SendersAction::ShowMaps, &mut cx).is_empty());
        assert!(p.maps_view);
    }

    /// `a` with no map to add a route to: the notice says why there is none (the setup not
    /// read yet, unreadable, or naming no map that can be edited) and what to do.
    #[test]
    fn add_route_without_a_map_says_why() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        let notice = |p: &mut SendersPane, cx: &mut Cx<'_>| {
            let e = p.on_action(SendersAction::AddRoute, cx);
            match &e[..] {
                [Effect::Notice(n)] => n.to_string(),
                _ => panic!("{e:?}"),
            }
        };
        assert_eq!(
            notice(&mut p, &mut cx),
            "the relay setup is being read: a moment"
        );
        p.on_event(
            SendersEvent::Relay(Err("postconf: not found".into())),
            &mut cx,
        );
        assert_eq!(
            notice(&mut p, &mut cx),
            "no route can be added: the relay setup could not be read (the pane says why)"
        );
        let mut snap = model::tests::snapshot(false, false);
        snap.relay_maps.clear();
        p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        assert_eq!(
            notice(&mut p, &mut cx),
            "sender_dependent_relayhost_maps names no hash, btree, lmdb, cdb or texthash map to \
             add a route to: name one in main.cf (hash:/etc/postfix/sender_relay, then postmap \
             it) or edit the map by hand"
        );
    }

    /// A relay map that is the password map too (one file named in both) is never edited: the
    /// edit quotes the map's lines (an entry already there, a line postmap complains of), and
    /// there they hold passwords.
    #[test]
    fn a_relay_map_that_holds_passwords_is_not_offered_for_a_route() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        p.relay.as_mut().unwrap().relay_maps[0].holds_passwords = true;
        let e = p.on_action(SendersAction::AddRoute, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Notice(n)] if n.as_str()
                == "no sender_dependent_relayhost_maps to add to: a map that is in \
                    smtp_sasl_password_maps too is not edited: its lines hold passwords (s: \
                    setup findings)"),
            "{e:?}"
        );
        // nor by a relay prompt still open from before the map was read again
        p.pending_route_sender = Some("new@example.com".into());
        let e = p.on_prompt(P_ROUTE_RELAY, "[h]:587".into(), &mut cx);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn add_route_goes_through_prompts_and_confirm() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(model::tests::ses(true))),
            },
            &mut cx,
        );
        let e = p.on_action(SendersAction::AddRoute, &mut cx);
        assert!(
            matches!(&e[..], [Effect::Prompt(pr)] if pr.purpose == P_ROUTE_SENDER),
            "{e:?}"
        );
        // a user@ key would be written and never looked up: refused before the relay is asked
        let e = p.on_prompt(P_ROUTE_SENDER, "root@".into(), &mut cx);
        assert!(
            matches!(&e[..], [Effect::Notice(n)] if n.starts_with("Postfix never looks up a user@ key")),
            "{e:?}"
        );
        // a sender shown with an escape (a zero-width space in it) is not written as those
        // letters: that key would never match what Postfix looks up
        let e = p.on_prompt(
            P_ROUTE_SENDER,
            "pay\\u{200b}pal@example.com".into(),
            &mut cx,
        );
        assert!(
            matches!(&e[..], [Effect::Notice(n)] if n.contains("escape shown for a hidden")),
            "{e:?}"
        );
        let e = p.on_prompt(P_ROUTE_SENDER, "new@example.com".into(), &mut cx);
        let [Effect::Prompt(pr)] = &e[..] else {
            panic!("{e:?}")
        };
        assert_eq!(pr.initial, "[email-smtp.us-east-1.amazonaws.com]:587");
        let e = p.on_prompt(P_ROUTE_RELAY, pr.initial.clone(), &mut cx);
        let [Effect::Confirm(c)] = &e[..] else {
            panic!("{e:?}")
        };
        assert!(
            c.lines.iter().any(|l| l.contains("new@example.com")),
            "{:?}",
            c.lines
        );
        // what its mail would meet there is said before the route is written
        assert!(
            c.lines.iter().any(|l| l
                == "! new@example.com is not verified in SES us-east-1: its mail bounces until \
                    SES has verified it (v on its row asks SES to verify it)"),
            "{:?}",
            c.lines
        );
        // and that older backups of the map go, before the y that removes them
        assert!(
            c.lines.iter().any(|l| l
                == "A dated backup is kept (those older than the newest 10 are removed); the \
                    edit is atomic."),
            "{:?}",
            c.lines
        );
        // a domain route names the domain SES must have verified
        p.on_prompt(P_ROUTE_SENDER, "@example.net".into(), &mut cx);
        let e = p.on_prompt(P_ROUTE_RELAY, pr.initial.clone(), &mut cx);
        let [Effect::Confirm(domain)] = &e[..] else {
            panic!("{e:?}")
        };
        assert!(
            domain.lines.iter().any(|l| l
                == "! the domain example.net is not verified in SES us-east-1: its mail bounces \
                    until SES has verified it (v on its row asks SES to verify it)"),
            "{:?}",
            domain.lines
        );
        // a verified sender over a relay with credentials: nothing to say
        p.on_prompt(P_ROUTE_SENDER, "dave@example.org".into(), &mut cx);
        let e = p.on_prompt(P_ROUTE_RELAY, pr.initial.clone(), &mut cx);
        let [Effect::Confirm(ok)] = &e[..] else {
            panic!("{e:?}")
        };
        assert!(
            !ok.lines.iter().any(|l| l.starts_with('!')),
            "{:?}",
            ok.lines
        );
        // a relay with no entry in the password map
        p.on_prompt(P_ROUTE_SENDER, "dave@example.org".into(), &mut cx);
        let e = p.on_prompt(
            P_ROUTE_RELAY,
            "[email-smtp.eu-west-1.amazonaws.com]:587".into(),
            &mut cx,
        );
        let [Effect::Confirm(nocreds)] = &e[..] else {
            panic!("{e:?}")
        };
        assert_eq!(
            nocreds
                .lines
                .iter()
                .filter(|l| l.starts_with('!'))
                .collect::<Vec<_>>(),
            [
                "! No credentials for [email-smtp.eu-west-1.amazonaws.com]:587 in \
                 smtp_sasl_password_maps: SES refuses the mail until they are added",
                "! SES in eu-west-1 has not been read: whether dave@example.org is verified \
                 there is not known"
            ],
        );
        assert!(matches!(
            &c.then[..],
            [Effect::Senders(SendersEffect::AddRoute { sender, map, .. })] if sender == "new@example.com" && map.path == "/etc/postfix/sender_relay"
        ));
        // the steps that follow, as they will run: a hash map is compiled, then Postfix reloads
        assert_eq!(
            c.lines.last().map(Clean::as_str),
            Some("Then: postmap hash:/etc/postfix/sender_relay, postfix reload")
        );
        // in the demo, neither runs
        p.demo = true;
        p.on_prompt(P_ROUTE_SENDER, "new@example.com".into(), &mut cx);
        let e = p.on_prompt(P_ROUTE_RELAY, "[h]:587".into(), &mut cx);
        let [Effect::Confirm(c)] = &e[..] else {
            panic!("{e:?}")
        };
        assert_eq!(
            c.lines.last().map(Clean::as_str),
            Some(
                "Then: nothing more (demo: the sandbox has no Postfix of its own: no postmap, no \
                 postfix reload)"
            )
        );
    }

    /// With SES switched off (`senders.ses = false`), a test mail to a sender routed to SES is
    /// not warned that SES has not been read: it is not read by choice. The rest is still said.
    #[test]
    fn ses_switched_off_is_no_warning_in_the_test_mail_dialog() {
        let lines = |ses: bool| -> Vec<String> {
            let mut shared = Shared::default();
            let mut config = Config::default();
            config.senders.ses = ses;
            let mut p = SendersPane::new(&config);
            let access = WriteAccess::for_mode(Mode::Interactive);
            let mut cx = Cx {
                now: now(),
                access: access.as_ref(),
                shared: &mut shared,
            };
            p.on_event(
                SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
                &mut cx,
            );
            p.on_prompt(P_TEST_FROM, "alice@example.com".into(), &mut cx);
            let e = p.on_prompt(P_TEST_TO, "ops@example.net".into(), &mut cx);
            let [Effect::Confirm(c)] = &e[..] else {
                panic!("{e:?}")
            };
            c.lines
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<String>>()
        };
        let unread = |l: &String| l.contains("has not been read");
        assert!(!lines(false).iter().any(unread), "{:?}", lines(false));
        // switched on and not read yet: said
        assert!(lines(true).iter().any(unread), "{:?}", lines(true));
    }

    /// A prompt left empty (Enter on an empty line, or one cleared): the notice says what is
    /// missing and how to start again, not "not an address: " and nothing after it.
    #[test]
    fn an_empty_test_mail_prompt_says_what_is_missing() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        let notice = |e: Vec<Effect>| match &e[..] {
            [Effect::Notice(n)] => n.to_string(),
            _ => panic!("{e:?}"),
        };
        assert_eq!(
            notice(p.on_prompt(P_TEST_FROM, " ".into(), &mut cx)),
            "a test mail needs a sender: t starts again"
        );
        p.on_prompt(P_TEST_FROM, "alice@example.com".into(), &mut cx);
        assert_eq!(
            notice(p.on_prompt(P_TEST_TO, String::new(), &mut cx)),
            "a test mail needs a recipient: t starts again ([senders] test_recipient is \
             offered as one)"
        );
    }

    #[test]
    fn test_mail_prompts_validate() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let access = WriteAccess::for_mode(Mode::Interactive);
        let mut cx = Cx {
            now: now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        let e = p.on_prompt(P_TEST_FROM, "not an address".into(), &mut cx);
        assert!(matches!(&e[..], [Effect::Notice(_)]), "{e:?}");
        let e = p.on_prompt(P_TEST_FROM, "alice@example.com".into(), &mut cx);
        assert!(
            matches!(&e[..], [Effect::Prompt(pr)] if pr.purpose == P_TEST_TO),
            "{e:?}"
        );
        let e = p.on_prompt(P_TEST_TO, "ops@example.net".into(), &mut cx);
        let [Effect::Confirm(c)] = &e[..] else {
            panic!("{e:?}")
        };
        assert!(matches!(
            &c.then[..],
            [Effect::Senders(SendersEffect::SendTest { from, to, .. })] if from == "alice@example.com" && to == "ops@example.net"
        ));
        assert!(
            !c.lines.iter().any(|l| l.contains("sandbox")),
            "{:?}",
            c.lines
        );

        // SES in the sandbox: a recipient that is not verified there is refused, and the
        // dialog says so before anything is sent; a verified one (or the simulator) is not
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(model::tests::ses(false))),
            },
            &mut cx,
        );
        let sandbox_lines = |p: &mut SendersPane, cx: &mut Cx<'_>, to: &str| -> Vec<String> {
            p.on_prompt(P_TEST_FROM, "alice@example.com".into(), cx);
            let e = p.on_prompt(P_TEST_TO, to.into(), cx);
            let [Effect::Confirm(c)] = &e[..] else {
                panic!("{e:?}")
            };
            c.lines
                .iter()
                .filter(|l| l.contains("sandbox"))
                .map(|l| l.to_string())
                .collect()
        };
        assert_eq!(
            sandbox_lines(&mut p, &mut cx, "ops@example.net"),
            [
                "SES in us-east-1 is in the sandbox and ops@example.net is not verified there: SES will refuse the test mail (554), whatever the route"
            ]
        );
        assert!(sandbox_lines(&mut p, &mut cx, "someone@example.org").is_empty());
        assert!(sandbox_lines(&mut p, &mut cx, "success@simulator.amazonses.com").is_empty());

        // the dialog names the sender's route and what its mail meets there
        let route_lines = |p: &mut SendersPane, cx: &mut Cx<'_>, from: &str| -> Vec<String> {
            p.on_prompt(P_TEST_FROM, from.into(), cx);
            let e = p.on_prompt(P_TEST_TO, "success@simulator.amazonses.com".into(), cx);
            let [Effect::Confirm(c)] = &e[..] else {
                panic!("{e:?}")
            };
            c.lines
                .iter()
                .filter(|l| l.starts_with("Route: ") || l.starts_with("! "))
                .map(|l| l.to_string())
                .collect()
        };
        assert_eq!(
            route_lines(&mut p, &mut cx, "root@web1.example.com"),
            [
                "Route: [email-smtp.us-east-1.amazonaws.com]:587",
                "! root@web1.example.com is not verified in SES us-east-1: its mail bounces \
                 until SES has verified it (v on its row asks SES to verify it)"
            ]
        );
        // a pending identity: the sentence ends whole
        assert_eq!(
            route_lines(&mut p, &mut cx, "bob@example.com"),
            [
                "Route: [email-smtp.us-east-1.amazonaws.com]:587",
                "! bob@example.com is not verified in SES us-east-1 (bob@example.com pending): \
                 its mail bounces until SES has verified it"
            ]
        );
        assert_eq!(
            route_lines(&mut p, &mut cx, "alice@example.com"),
            ["Route: [email-smtp.us-east-1.amazonaws.com]:587"]
        );
    }

    /// The Failures pane's model has read a line: it counts now, not the pane's own read.
    fn give_the_failures_model_a_line(shared: &mut Shared) {
        let mut years = crate::mail::log::parse::YearGuess::new(now().date_naive());
        let line = "Nov 27 19:25:41 vm postfix/qmgr[1]: ABCDE12345: removed";
        let parsed = crate::mail::log::parse::parse_line(line, &mut years).unwrap();
        shared.mail_log.ingest(parsed);
    }

    /// Whether a refresh's effects ask for the pane's own read of the log.
    fn asks(e: &[Effect]) -> bool {
        e.iter()
            .find_map(|e| match e {
                Effect::Senders(SendersEffect::Refresh { activity }) => Some(*activity),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no refresh: {e:?}"))
    }

    #[test]
    fn the_log_tail_is_read_only_while_the_failures_model_is_empty() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        // `start` reads the log; once that has answered, `r` reads it again
        p.on_event(SendersEvent::Relay(Err("postconf: x".into())), &mut cx);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        assert!(asks(&p.on_action(SendersAction::Refresh, &mut cx)));
        p.on_event(SendersEvent::Relay(Err("postconf: x".into())), &mut cx);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        give_the_failures_model_a_line(cx.shared);
        assert!(!asks(&p.on_action(SendersAction::Refresh, &mut cx)));
    }

    #[test]
    fn a_relay_read_that_hangs_is_waited_for_not_asked_again() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        assert!(asks(&p.on_action(SendersAction::Refresh, &mut cx)));
        p.on_event(
            SendersEvent::RelaySlow {
                after: Duration::from_secs(30),
            },
            &mut cx,
        );
        let h = p.health();
        assert_eq!(h.errors, 1);
        assert!(
            h.problem
                .as_deref()
                .is_some_and(|m| m.contains("postconf and the maps have not answered in 30 s")),
            "{h:?}"
        );
        // neither r nor the clock starts a second read behind the one that hangs
        let fx = p.on_action(SendersAction::Refresh, &mut cx);
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n.contains("still waiting")),
            "{fx:?}"
        );
        cx.now = now() + chrono::Duration::hours(1);
        assert!(
            !p.on_tick(&mut cx)
                .iter()
                .any(|e| matches!(e, Effect::Senders(SendersEffect::Refresh { .. }))),
        );
        // its answer ends it
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        assert_eq!(p.stale_setup(), None);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        assert!(
            p.on_tick(&mut cx)
                .iter()
                .any(|e| matches!(e, Effect::Senders(SendersEffect::Refresh { .. }))),
        );
    }

    #[tokio::test]
    async fn a_stuck_postconf_is_said_then_its_answer_reported() {
        // a postconf that takes its time (a stand-in: a few seconds, then a failure)
        let mut config = Config::default();
        config.postfix[0].command_prefix = vec![
            "sh".into(),
            "-c".into(),
            "sleep 2; echo 'postconf: fatal: stand-in' >&2; exit 1".into(),
            "sh".into(),
        ];
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let r = Runner {
            tx,
            config: std::sync::Arc::new(config),
        };
        tokio::time::timeout(
            Duration::from_secs(60),
            refresh(&r, false, Duration::from_millis(200)),
        )
        .await
        .expect("the stand-in ends after 2 s");
        match rx.recv().await {
            Some(SourceEvent::Senders(SendersEvent::RelaySlow { after })) => {
                assert_eq!(after, Duration::from_millis(200))
            }
            other => panic!("{other:?}"),
        }
        match rx.recv().await {
            Some(SourceEvent::Senders(SendersEvent::Relay(Err(e)))) => {
                assert!(e.contains("stand-in"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn one_read_of_the_log_at_a_time() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        let setup = || SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false))));
        // `start`'s read of the log is still going: `r` reads the relay setup again, not the log
        p.on_event(setup(), &mut cx);
        assert!(!asks(&p.on_action(SendersAction::Refresh, &mut cx)));
        p.on_event(setup(), &mut cx);
        // nor does the timer's next refresh
        cx.now = now() + chrono::Duration::seconds(120);
        assert!(!asks(&p.on_tick(&mut cx)));
        p.on_event(setup(), &mut cx);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        assert!(asks(&p.on_action(SendersAction::Refresh, &mut cx)));
        p.on_event(setup(), &mut cx);
        assert!(!asks(&p.on_action(SendersAction::Refresh, &mut cx)));
    }

    /// `r` while a read of the relay setup is out, and has not yet been slow, starts nothing
    /// beside it and says for how long it has been read; once that read has answered, `r`
    /// starts the next one. (A read that hangs holds back the next one too, see
    /// `a_relay_read_that_hangs_is_waited_for_not_asked_again`.)
    #[test]
    fn r_while_the_relay_setup_is_read_starts_nothing_beside_it() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        let setup = || SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false))));
        let starts_a_read = |e: &[Effect]| {
            e.iter()
                .any(|e| matches!(e, Effect::Senders(SendersEffect::Refresh { .. })))
        };
        // `start`'s first read is out: the pane did not ask for it, and says so
        let fx = p.on_action(SendersAction::Refresh, &mut cx);
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n == "relay setup: already being read (the first read)"),
            "{fx:?}"
        );
        p.on_event(setup(), &mut cx);
        // its answer lets `r` read again; a second `r` 12 s later, that read still out, does not
        // (nor SES, whose first read that answer started)
        assert!(starts_a_read(&p.on_action(SendersAction::Refresh, &mut cx)));
        cx.now = now() + chrono::Duration::seconds(12);
        let fx = p.on_action(SendersAction::Refresh, &mut cx);
        assert!(
            matches!(&fx[..], [Effect::Notice(n)] if n == "relay setup: already being read (12 s); SES us-east-1: already being read"),
            "{fx:?}"
        );
        // nor does the clock, before the read answers
        cx.now = now() + chrono::Duration::hours(1);
        assert!(!starts_a_read(&p.on_tick(&mut cx)));
        // a read that failed has ended too: `r` starts the next
        p.on_event(SendersEvent::Relay(Err("postconf: x".into())), &mut cx);
        assert!(starts_a_read(&p.on_action(SendersAction::Refresh, &mut cx)));
    }

    /// What `r`'s effects read: the relay setup or not, the SES regions, and the notices.
    fn reads(fx: &[Effect]) -> (bool, Vec<String>, Vec<String>) {
        let mut relay = false;
        let (mut ses, mut notices) = (Vec::new(), Vec::new());
        for e in fx {
            match e {
                Effect::Senders(SendersEffect::Refresh { .. }) => relay = true,
                Effect::Senders(SendersEffect::RefreshSes(t)) => ses.push(t.region.clone()),
                Effect::Notice(n) => notices.push(n.to_string()),
                other => panic!("{other:?}"),
            }
        }
        (relay, ses, notices)
    }

    /// `r` reads again whatever is not being read: SES while the relay setup is still out, the
    /// relay setup while SES is, and it says which it left alone.
    #[test]
    fn r_reads_ses_while_the_relay_setup_is_read_and_the_other_way_round() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        let ses_answer = || SendersEvent::Ses {
            region: "us-east-1".into(),
            result: Ok(Box::new(model::tests::ses(true))),
        };
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        p.on_event(ses_answer(), &mut cx);
        // nothing out: `r` reads both and has nothing to say
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (true, vec!["us-east-1".into()], vec![])
        );
        // SES answers, the relay setup is still out 5 s on: `r` reads SES again
        p.on_event(ses_answer(), &mut cx);
        cx.now = now() + chrono::Duration::seconds(5);
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (
                false,
                vec!["us-east-1".into()],
                vec!["relay setup: already being read (5 s); SES: reading again".into()]
            )
        );
        // both out: nothing starts, and both are named
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (
                false,
                vec![],
                vec![
                    "relay setup: already being read (5 s); SES us-east-1: already being read"
                        .into()
                ]
            )
        );
        // the relay setup answers, SES is still out: `r` reads the setup alone
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (
                true,
                vec![],
                vec!["SES us-east-1: already being read; relay setup: reading again".into()]
            )
        );
    }

    /// Two SES regions in use, one of which has not answered: `r` reads the other (and the relay
    /// setup), and says which region it left alone, rather than reading none as the timer does
    /// while any region is out. The region left alone keeps showing that it is being read, and
    /// its answer, when it comes, is taken.
    #[test]
    fn r_reads_the_ses_regions_not_being_read_and_names_the_one_that_is() {
        let mut shared = Shared::default();
        let config = Config {
            senders: SendersConfig {
                ses_regions: vec!["eu-west-1".into()],
                ..SendersConfig::default()
            },
            ..Config::default()
        };
        let mut p = SendersPane::new(&config);
        let mut cx = read_only(&mut shared);
        let answer = |region: &str| SendersEvent::Ses {
            region: region.into(),
            result: Ok(Box::new(model::tests::ses(true))),
        };
        let setup = || SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false))));
        let fx = p.on_event(setup(), &mut cx);
        assert_eq!(
            reads(&fx),
            (false, vec!["eu-west-1".into(), "us-east-1".into()], vec![])
        );
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        // us-east-1 answers; eu-west-1 does not
        p.on_event(answer("us-east-1"), &mut cx);
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (
                true,
                vec!["us-east-1".into()],
                vec![
                    "SES eu-west-1: already being read; relay setup and SES us-east-1: reading \
                     again"
                        .into()
                ]
            )
        );
        let SesState::Regions(m) = &p.ses else {
            panic!("{:?}", p.ses)
        };
        assert!(matches!(m["eu-west-1"], RegionSes::Loading), "{m:?}");
        assert!(matches!(m["us-east-1"], RegionSes::Ready(_)), "{m:?}");
        // both out now: `r` reads no region again, and names both
        p.on_event(setup(), &mut cx);
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (
                true,
                vec![],
                vec![
                    "SES eu-west-1, us-east-1: already being read; relay setup: reading again"
                        .into()
                ]
            )
        );
        // the late answer is taken; us-east-1 is still out and left alone
        p.on_event(answer("eu-west-1"), &mut cx);
        let SesState::Regions(m) = &p.ses else {
            panic!("{:?}", p.ses)
        };
        assert!(matches!(m["eu-west-1"], RegionSes::Ready(_)), "{m:?}");
        p.on_event(setup(), &mut cx);
        assert_eq!(
            reads(&p.on_action(SendersAction::Refresh, &mut cx)),
            (
                true,
                vec!["eu-west-1".into()],
                vec![
                    "SES us-east-1: already being read; relay setup and SES eu-west-1: reading \
                     again"
                        .into()
                ]
            )
        );
    }

    /// `start`'s read of the log is a long one (a big journal): meanwhile the relay setup is read
    /// on its interval, one read at a time, a read that hangs still holds back the next, and
    /// the pane is not marked overdue while its setup is read. The log is read again once that
    /// read has answered.
    #[test]
    fn the_relay_setup_is_read_on_its_interval_while_the_log_is_read() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        let setup = || SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false))));
        let refreshes = |e: &[Effect]| {
            e.iter()
                .filter(|e| matches!(e, Effect::Senders(SendersEffect::Refresh { .. })))
                .count()
        };
        let every = Config::default().senders.refresh_secs as i64;
        let at = |secs: i64| now() + chrono::Duration::seconds(secs);
        p.on_event(setup(), &mut cx);
        // ten minutes of reading the log
        for i in 1..=600 / every {
            cx.now = at(i * every);
            // the setup again, not the log
            assert!(!asks(&p.on_tick(&mut cx)), "at {} s", i * every);
            // one read of the setup at a time
            assert_eq!(refreshes(&p.on_tick(&mut cx)), 0);
            p.on_event(setup(), &mut cx);
            assert_eq!(p.polled().and_then(|d| d.last), Some(cx.now));
            let overdue = crate::app::freshness::overdue(p.polled().unwrap(), now(), cx.now);
            assert_eq!(overdue, None, "at {} s", i * every);
        }
        // a read of the setup that hangs holds back the next one, log or not
        cx.now = at(630);
        assert!(!asks(&p.on_tick(&mut cx)));
        p.on_event(
            SendersEvent::RelaySlow {
                after: Duration::from_secs(30),
            },
            &mut cx,
        );
        cx.now = at(3600);
        assert_eq!(refreshes(&p.on_tick(&mut cx)), 0);
        p.on_event(setup(), &mut cx);
        // the log is read again once its read has answered
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        cx.now = at(3600 + every);
        assert!(asks(&p.on_tick(&mut cx)));
    }

    #[test]
    fn an_unreadable_log_is_a_finding_until_the_failures_model_counts() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        let unread = |p: &SendersPane| {
            p.check
                .global
                .iter()
                .filter(|v| v.text.contains("counts unknown"))
                .map(|v| (v.severity, v.text.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(unread(&p), []);
        p.on_event(
            SendersEvent::Activity(Err("/var/log/mail.log: Permission denied".into())),
            &mut cx,
        );
        assert_eq!(
            unread(&p),
            [(
                model::Severity::Warn,
                "per-sender delivery counts unknown, the mail log was not read: \
                 /var/log/mail.log: Permission denied"
                    .to_string()
            )]
        );
        // the Failures pane's model now counts: the pane's own read no longer matters
        give_the_failures_model_a_line(cx.shared);
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        assert_eq!(unread(&p), []);
        // a later good read clears it too
        cx.shared.mail_log = Default::default();
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        assert_eq!(unread(&p), []);
    }

    #[test]
    fn tick_refreshes_on_interval() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        // the first read is `start`'s: no tick effect (and no redraw) before its relay setup
        // answers
        assert!(p.on_tick(&mut cx).is_empty());
        p.on_event(SendersEvent::Relay(Err("postconf: x".into())), &mut cx);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        let e = p.on_tick(&mut cx);
        assert!(
            matches!(&e[..], [Effect::Senders(SendersEffect::Refresh { .. })]),
            "{e:?}"
        );
        // in flight: no second read
        assert!(p.on_tick(&mut cx).is_empty());
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        cx.now = now() + chrono::Duration::seconds(31);
        let e = p.on_tick(&mut cx);
        assert!(
            e.iter()
                .any(|e| matches!(e, Effect::Senders(SendersEffect::Refresh { .. }))),
            "{e:?}"
        );
    }

    #[test]
    fn a_clock_set_back_does_not_stop_the_refreshes() {
        // the clock stepped back an hour after a read: waiting for it to pass the last read
        // again left the relay setup unread for that hour, shown as it was
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        p.on_tick(&mut cx);
        p.on_event(
            SendersEvent::Relay(Ok(Box::new(model::tests::snapshot(false, false)))),
            &mut cx,
        );
        p.on_event(SendersEvent::Activity(Ok(SenderActivity::new())), &mut cx);
        cx.now = now() - chrono::Duration::hours(1);
        let e = p.on_tick(&mut cx);
        assert!(
            e.iter()
                .any(|e| matches!(e, Effect::Senders(SendersEffect::Refresh { .. }))),
            "the refresh waits for the clock: {e:?}"
        );
    }

    #[test]
    fn trace_follows_the_shared_mail_log_model() {
        use crate::mail::log::parse::{YearGuess, parse_line};
        let mut shared = Shared::default();
        let mut y = YearGuess::new(now().date_naive());
        for l in include_str!("../../../tests/fixtures/maillog/corpus-3.7.log").lines() {
            if let Some(p) = parse_line(l, &mut y) {
                shared.mail_log.ingest(p);
            }
        }
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        queued_test(
            &mut p,
            &mut cx,
            "root@localhost",
            "someone@example.com",
            "40A53C8900",
        );
        cx.now = now() + chrono::Duration::seconds(1);
        let e = p.on_tick(&mut cx);
        assert!(
            e.iter().any(|e| matches!(e, Effect::Notice(n) if n == "test mail 40A53C8900 from root@localhost: bounced")),
            "{e:?}"
        );
        let t = p.test.as_ref().unwrap().trace.as_ref().unwrap();
        assert!(t.done);
        assert!(
            matches!(&t.status, logscan::TraceStatus::Bounced { reason, .. } if reason.contains("not verified"))
        );
        // the per-sender counts now come from the shared model
        let root = p
            .cross_check()
            .rows
            .iter()
            .find(|r| r.sender.as_str() == "root@localhost");
        assert!(root.is_some_and(|r| r.outcomes.bounced >= 1), "{root:?}");
        // done: the next tick changes nothing
        assert!(
            !p.on_tick(&mut cx)
                .iter()
                .any(|e| matches!(e, Effect::Notice(_)))
        );
    }

    #[test]
    fn every_region_in_use_is_read_and_fails_on_its_own() {
        let mut shared = Shared::default();
        let config = Config {
            senders: SendersConfig {
                ses_regions: vec![
                    "ap-south-1".into(),
                    "US-EAST-1".into(),
                    "bad region!".into(),
                ],
                ..SendersConfig::default()
            },
            ..Config::default()
        };
        let mut p = SendersPane::new(&config);
        let mut cx = read_only(&mut shared);
        let mut snap = model::tests::snapshot(false, false);
        let (entries, _) = maps::parse_table(
            "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
             bob@example.com [email-smtp.eu-west-1.amazonaws.com]:587\n",
        );
        snap.relay_maps[0].content = source::MapContent::Table(entries);
        let effects = p.on_event(SendersEvent::Relay(Ok(Box::new(snap.clone()))), &mut cx);
        let regions: Vec<&str> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Senders(SendersEffect::RefreshSes(t)) => Some(t.region.as_str()),
                _ => None,
            })
            .collect();
        // configured first, then the relay hosts'; each once; nonsense dropped
        assert_eq!(regions, ["ap-south-1", "us-east-1", "eu-west-1"]);
        // in flight: the tick asks for nothing more
        cx.now = now() + chrono::Duration::seconds(1000);
        assert!(
            !p.on_tick(&mut cx)
                .iter()
                .any(|e| matches!(e, Effect::Senders(SendersEffect::RefreshSes(_))))
        );
        let mut east = model::tests::ses(true);
        east.identities
            .retain(|i| i.name.as_str() == "alice@example.com");
        let mut west = east.clone();
        west.region = "eu-west-1".into();
        west.identities.clear();
        p.on_event(
            SendersEvent::Ses {
                region: "us-east-1".into(),
                result: Ok(Box::new(east)),
            },
            &mut cx,
        );
        p.on_event(
            SendersEvent::Ses {
                region: "eu-west-1".into(),
                result: Ok(Box::new(west)),
            },
            &mut cx,
        );
        p.on_event(
            SendersEvent::Ses {
                region: "ap-south-1".into(),
                result: Err("SES ListEmailIdentities in ap-south-1: access denied".into()),
            },
            &mut cx,
        );
        let row = |p: &SendersPane, s: &str| {
            p.cross_check()
                .rows
                .iter()
                .find(|r| r.sender.as_str() == s)
                .cloned()
                .unwrap()
        };
        assert_eq!(
            row(&p, "bob@example.com").headline().unwrap().text,
            "routed to SES, not verified in eu-west-1: every mail will bounce"
        );
        assert_eq!(row(&p, "alice@example.com").worst(), model::Severity::Ok);
        let SesState::Regions(m) = &p.ses else {
            panic!("{:?}", p.ses)
        };
        assert!(matches!(m["ap-south-1"], RegionSes::Failed(_)));
        assert!(matches!(m["us-east-1"], RegionSes::Ready(_)));
        assert_eq!(p.health().errors, 1);
        // bob selected: a new identity is created in bob's region
        let i = p
            .visible()
            .iter()
            .position(|r| r.sender.as_str() == "bob@example.com")
            .unwrap();
        p.selected = i;
        assert_eq!(p.verify_target().unwrap().region, "eu-west-1");
        // all answered: the next interval reads every region again
        let e = p.on_tick(&mut cx);
        assert_eq!(
            e.iter()
                .filter(|e| matches!(e, Effect::Senders(SendersEffect::RefreshSes(_))))
                .count(),
            3,
            "{e:?}"
        );
        // the same relay setup again: no extra SES read
        p.ses_pending.clear();
        let e = p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn a_region_only_a_rule_names_is_read_too() {
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&Config::default());
        let mut cx = read_only(&mut shared);
        let mut snap = model::tests::snapshot(false, false);
        let (rules, bad) = maps::parse_rules(
            "/^[^@]+@(eu-west-1|ap-south-1)\\.example$/ [email-smtp.$1.amazonaws.com]:587\n",
        );
        assert!(bad.is_empty(), "{bad:?}");
        snap.relay_maps[0].spec = maps::parse_map_list("pcre:/etc/postfix/r.pcre").remove(0);
        snap.relay_maps[0].content = source::MapContent::Rules(rules);
        snap.settings.relayhost = String::new();
        let e = p.on_event(SendersEvent::Relay(Ok(Box::new(snap))), &mut cx);
        // no region written anywhere: SES not configured
        assert!(e.is_empty(), "{e:?}");
        assert!(matches!(p.ses, SesState::NotConfigured(_)));
        // a sender the rule routes to ap-south-1: that region is read
        assert!(p.on_jump(&Jump::Sender("shop@ap-south-1.example".into()), &mut cx));
        let e = p.on_tick(&mut cx);
        let regions: Vec<&str> = e
            .iter()
            .filter_map(|e| match e {
                Effect::Senders(SendersEffect::RefreshSes(t)) => Some(t.region.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(regions, ["ap-south-1"]);
        let row = p.visible()[p.selected].clone();
        assert_eq!(
            row.route.short(),
            "[email-smtp.ap-south-1.amazonaws.com]:587"
        );
        assert_eq!(
            row.ses,
            model::SesCheck::NotRead {
                region: "ap-south-1".into(),
                failed: false
            }
        );
    }

    #[tokio::test]
    async fn the_demo_sends_no_test_mail() {
        // a listener on the SMTP port the configuration names: the demo must not connect
        let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = Config {
            demo: true,
            senders: SendersConfig {
                smtp_host: "127.0.0.1".into(),
                smtp_port: smtp.local_addr().unwrap().port(),
                ..Config::default().senders
            },
            ..Config::default()
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let r = crate::app::effect::Runner {
            tx,
            config: std::sync::Arc::new(config),
        };
        run(
            SendersEffect::SendTest {
                access: crate::access::WriteAccess::for_mode(Mode::Interactive).unwrap(),
                from: "shop@example.com".into(),
                to: "alice@example.net".into(),
            },
            &r,
        );
        // what the pane shows of it, once the demo's task has said all it says (the channel
        // closes with it): the panel of a test mail not accepted, and why
        let mut shared = Shared::default();
        let mut p = SendersPane::new(&r.config);
        drop(r);
        let mut cx = read_only(&mut shared);
        while let Some(event) = rx.recv().await {
            let SourceEvent::Senders(e) = event else {
                panic!("{event:?}");
            };
            p.on_event(e, &mut cx);
        }
        let t = p.test.as_ref().expect("the test mail's panel is open");
        assert_eq!(
            (t.from.as_str(), t.to.as_str()),
            ("shop@example.com", "alice@example.net")
        );
        assert!(
            matches!(&t.submitted, Some(Err(e)) if e.as_str() == DEMO_NOT_SENT),
            "{t:?}"
        );
        let accepted =
            tokio::time::timeout(std::time::Duration::from_millis(300), smtp.accept()).await;
        assert!(accepted.is_err(), "the demo connected to the SMTP port");
    }

    #[test]
    fn config_section_parses_and_hides_the_password() {
        let c: SendersConfig = toml::from_str(
            "ses_region = \"eu-west-1\"\nsmtp_port = 2525\nsmtp_user = \"u\"\nsmtp_password = \"pw-secret\"\n",
        )
        .unwrap();
        assert_eq!(c.smtp_port, 2525);
        assert_eq!(c.refresh_secs, 30);
        assert!(!format!("{c:?}").contains("pw-secret"));
        assert!(toml::from_str::<SendersConfig>("sess = true\n").is_err());
        assert_eq!(
            toml::from_str::<SendersConfig>("").unwrap(),
            SendersConfig::default()
        );
    }

    /// SES's answer sorts the senders it refuses first: a selected sender (and its open detail)
    /// stays selected wherever its row goes, rather than the row now at its old place.
    #[test]
    fn the_selection_follows_its_sender_when_the_rows_are_sorted_again() {
        let ses_answers = |p: &mut SendersPane, shared: &mut Shared| {
            let mut cx = read_only(shared);
            p.on_event(
                SendersEvent::Ses {
                    region: "us-east-1".into(),
                    result: Ok(Box::new(model::tests::ses(false))),
                },
                &mut cx,
            );
        };
        let order = |p: &SendersPane| -> Vec<String> {
            p.visible().iter().map(|r| r.sender.to_string()).collect()
        };
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let before = order(&p);
        ses_answers(&mut p, &mut shared);
        let after = order(&p);
        let (old_place, moved) = before
            .iter()
            .enumerate()
            .find(|(i, s)| after.get(*i) != Some(s))
            .expect("SES's answer sorts the rows again");

        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        p.selected = old_place;
        p.detail = true;
        ses_answers(&mut p, &mut shared);
        assert_eq!(&p.visible()[p.selected].sender.to_string(), moved);
        assert!(p.detail);
    }

    #[test]
    fn jump_to_a_sender() {
        let mut shared = Shared::default();
        let mut p = fed(&mut shared);
        let mut cx = read_only(&mut shared);
        assert!(p.on_jump(&Jump::Sender("Bob@Example.com".into()), &mut cx));
        assert!(p.detail);
        assert_eq!(p.visible()[p.selected].sender.as_str(), "bob@example.com");
        // the null sender, as the Failures pane names a bounce notice's
        assert!(p.on_jump(&Jump::Sender("MAILER-DAEMON".into()), &mut cx));
        assert_eq!(p.visible()[p.selected].sender.as_str(), "MAILER-DAEMON");
        // a sender nobody knows yet gets a row of its own
        assert!(p.on_jump(&Jump::Sender("zed@example.com".into()), &mut cx));
        assert!(!p.on_jump(&Jump::QueueEntry("X".into()), &mut cx));
    }
}
