//! Proxy probe: what the balancer really forwards, checked end to end.
//!
//! Two halves: an echo listener the balancer is pointed at ([`echo`]) and a
//! client probe that requests each configured target through the balancer
//! ([`client`]); [`checks`] draws the verdicts, [`view`] draws the pane.
//! The probe changes nothing on any host (it needs no write access) and
//! sends requests only to the configured targets.

pub mod check;
pub mod checks;
pub mod client;
pub mod config;
pub mod demo;
pub mod echo;
pub mod forwarded;
pub mod headtap;
pub mod proxyproto;
pub mod view;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Local};
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::effect::{Effect, Runner, SourceEvent};
use crate::app::pane::{Binding, Cx, Key, Nav, Pane, Polled, SourceHealth, ViewCx, interval_due};
use crate::config::Config;
use crate::sanitize::Clean;
use crate::ui::widgets::{ListWindow, Scroll};

pub use checks::{Level, TargetReport};
pub use config::{EchoConfig, ProbeConfig, TargetConfig};

/// Everything that can go wrong in this feature, with what failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(
        "echo listener: {addr} is not loopback; set [probe.echo] allow_public = true to bind it"
    )]
    PublicBind { addr: SocketAddr },
    #[error(
        "echo listener: proxy_protocol_listen {addr} is the same as listen: a port must never accept both"
    )]
    SamePort { addr: SocketAddr },
    #[error("echo listener: cannot bind {addr}: {source}{}", in_use(source))]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: {why}")]
    Url { url: String, why: String },
    #[error("ca_file {}: {why}", path.display())]
    CaFile { path: PathBuf, why: String },
    #[error("TLS setup: {0}")]
    Tls(String),
}

/// What a port already in use means here: most often a second opsdeck (the
/// wall monitor and an ssh session on one host), whose echo then answers
/// this one's forwarding checks and lists their requests instead.
fn in_use(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        " - another opsdeck (a wall monitor?) or another program listens there: the forwarding checks are answered by it and its list shows their requests; give this one another [probe.echo] listen to see them here"
    } else {
        ""
    }
}

/// One request the echo listener saw, as the pane keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoLine {
    pub at: i64,
    pub peer: Clean,
    pub client: Clean,
    /// The PROXY protocol header in one line (version, source, TLVs).
    pub proxy: Option<Clean>,
    /// Its version and addresses alone, and its v2 TLVs, one per entry, in
    /// the order received (for the detail).
    pub proxy_head: Option<Clean>,
    pub proxy_tlvs: Vec<Clean>,
    pub method: Clean,
    pub path: Clean,
    pub host: Clean,
    pub forwarding: Vec<(Clean, Clean)>,
    /// Header line numbers of `forwarding` when the order across names is
    /// known (arrival order); `None` when only the per-name order is.
    pub forwarding_lines: Option<Vec<usize>>,
}

impl EchoLine {
    pub fn from_reply(r: &echo::EchoReply) -> EchoLine {
        EchoLine {
            at: r.at,
            peer: Clean::new(&r.peer.to_string()),
            client: Clean::new(&r.client.addr.to_string()),
            proxy: r.proxy_protocol.as_ref().map(|p| Clean::new(&p.summary())),
            proxy_head: r.proxy_protocol.as_ref().map(|p| {
                Clean::new(&format!(
                    "PROXY v{} from {} to {}",
                    p.version,
                    p.source.map_or("unknown".into(), |s| s.to_string()),
                    p.destination.map_or("unknown".into(), |s| s.to_string())
                ))
            }),
            proxy_tlvs: r
                .proxy_protocol
                .as_ref()
                .map(|p| p.tlvs.iter().map(|t| Clean::new(&t.to_string())).collect())
                .unwrap_or_default(),
            method: Clean::new(&r.method),
            path: Clean::new(&r.path),
            host: Clean::new(r.host.as_deref().unwrap_or("")),
            forwarding: r
                .forwarding
                .iter()
                .map(|(n, v)| (Clean::new(n), Clean::new(v)))
                .collect(),
            forwarding_lines: match r.forwarding_order {
                echo::HeaderOrder::Arrival => Some(r.forwarding_lines.clone()),
                echo::HeaderOrder::PerName => None,
            },
        }
    }
}

/// What this feature's sources report.
#[derive(Debug)]
pub enum ProbeEvent {
    /// The echo listener is up on these addresses.
    EchoStarted(Clean),
    /// The echo listener could not start.
    EchoFailed(Clean),
    /// Recent echo requests and counters.
    Echo {
        recent: Vec<EchoLine>,
        requests: u64,
        refused: u64,
        rejected: u64,
        /// When and why the listener last hung up on a connection
        /// ("from PEER: reason").
        last_rejected: Option<(i64, Clean)>,
    },
    /// A target's run began.
    Running(usize),
    /// A target's run finished.
    Report(usize, Box<TargetReport>),
}

/// What this pane asks the effect runner to do.
#[derive(Debug)]
pub enum ProbeEffect {
    /// Probe every target again (also asked for after a deploy).
    RunAll,
    /// Probe one target.
    RunOne(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeAction {
    RunAll,
    RunSelected,
    ToggleEcho,
}

static BINDINGS: &[Binding<ProbeAction>] = &[
    Binding {
        keys: &[Key::ch('r')],
        action: ProbeAction::RunAll,
        help: "probe all targets now",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('p')],
        action: ProbeAction::RunSelected,
        help: "probe the selected target",
        writes: false,
    },
    Binding {
        keys: &[Key::ch('e')],
        action: ProbeAction::ToggleEcho,
        help: "targets / echo requests",
        writes: false,
    },
];

/// One configured target and its last result.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub name: Clean,
    pub url: Clean,
    pub running: bool,
    pub report: Option<TargetReport>,
}

/// What the zoomed pane shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Targets,
    Echo,
}

/// The echo listener as the pane knows it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EchoState {
    pub enabled: bool,
    pub addr: Option<Clean>,
    pub error: Option<Clean>,
    pub recent: Vec<EchoLine>,
    pub requests: u64,
    pub refused: u64,
    pub rejected: u64,
    pub last_rejected: Option<(i64, Clean)>,
}

/// The pane's state.
#[derive(Debug, Default)]
pub struct ProbePane {
    pub targets: Vec<TargetRow>,
    pub selected: usize,
    pub echo_selected: usize,
    pub detail: bool,
    pub scroll: Scroll,
    /// The rows of the target list and of the echo requests in sight, moved by the view to keep
    /// the selection in them.
    pub window: ListWindow,
    pub echo_window: ListWindow,
    pub focus: Focus,
    pub echo: EchoState,
    pub interval_secs: u64,
    pub last_run: Option<DateTime<Local>>,
    pub last_update: Option<DateTime<Local>>,
    /// When a target's run last finished. The echo listener's reports move `last_update` on
    /// their own, and a busy listener would keep a probe that stopped looking current.
    pub last_report: Option<DateTime<Local>>,
    pub filter: String,
    pub errors: u64,
}

impl ProbePane {
    pub fn new(config: &Config) -> ProbePane {
        let p = &config.probe;
        ProbePane {
            targets: p
                .targets
                .iter()
                .map(|t| TargetRow {
                    name: Clean::new(&t.name),
                    // a user name and password written into it are not sent, nor shown
                    url: Clean::new(&crate::sanitize::hide_url_userinfo(&t.url)),
                    running: false,
                    report: None,
                })
                .collect(),
            echo: EchoState {
                enabled: p.echo.enabled,
                ..Default::default()
            },
            interval_secs: p.interval_secs,
            ..Default::default()
        }
    }

    /// Targets that pass the filter, with their index.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        (0..self.targets.len())
            .filter(|&i| {
                f.is_empty()
                    || self.targets[i].name.to_lowercase().contains(&f)
                    || self.targets[i].url.to_lowercase().contains(&f)
            })
            .collect()
    }

    fn selected_index(&self) -> Option<usize> {
        self.visible().get(self.selected).copied()
    }

    fn mark_all_running(&mut self, now: DateTime<Local>) {
        self.last_run = Some(now);
        for t in &mut self.targets {
            t.running = true;
        }
    }
}

fn step(cur: usize, len: usize, nav: Nav) -> usize {
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    match nav {
        Nav::Up => cur.saturating_sub(1),
        Nav::Down => (cur + 1).min(last),
        Nav::PageUp => cur.saturating_sub(10),
        Nav::PageDown => (cur + 10).min(last),
        Nav::Top => 0,
        Nav::Bottom => last,
    }
}

impl Pane for ProbePane {
    type Action = ProbeAction;
    type Event = ProbeEvent;

    fn bindings(&self) -> &'static [Binding<ProbeAction>] {
        BINDINGS
    }

    fn on_action(&mut self, action: ProbeAction, cx: &mut Cx<'_>) -> Vec<Effect> {
        match action {
            ProbeAction::RunAll if !self.targets.is_empty() => {
                self.mark_all_running(cx.now);
                vec![Effect::Probe(ProbeEffect::RunAll)]
            }
            ProbeAction::RunAll => vec![Effect::Notice("probe: no target configured".into())],
            // the echo requests shown, no target is marked: which one p would probe is not in
            // sight
            ProbeAction::RunSelected if self.focus == Focus::Echo => vec![Effect::Notice(
                "p: choose a target first (e: back to the targets)".into(),
            )],
            ProbeAction::RunSelected => match self.selected_index() {
                Some(i) => {
                    self.targets[i].running = true;
                    vec![Effect::Probe(ProbeEffect::RunOne(i))]
                }
                None => vec![Effect::Notice("probe: no target selected".into())],
            },
            ProbeAction::ToggleEcho => {
                self.focus = match self.focus {
                    Focus::Targets => Focus::Echo,
                    Focus::Echo => Focus::Targets,
                };
                self.detail = false;
                self.scroll.reset();
                Vec::new()
            }
        }
    }

    fn acts_on_selection(&self, action: ProbeAction) -> bool {
        action == ProbeAction::RunSelected
    }

    fn on_event(&mut self, event: ProbeEvent, cx: &mut Cx<'_>) -> Vec<Effect> {
        self.last_update = Some(cx.now);
        match event {
            ProbeEvent::EchoStarted(addr) => {
                self.echo.addr = Some(addr);
                self.echo.error = None;
            }
            ProbeEvent::EchoFailed(e) => {
                self.errors += 1;
                self.echo.error = Some(e);
            }
            ProbeEvent::Echo {
                recent,
                requests,
                refused,
                rejected,
                last_rejected,
            } => {
                // The selection stays on the request it was on as newer ones arrive, while the
                // echo list is what is looked at; otherwise it waits on the newest, where the
                // list opens (e) rather than on a request pushed down out of sight since.
                let key = |e: &EchoLine| (e.at, e.peer.clone(), e.method.clone(), e.path.clone());
                let was = match self.focus {
                    Focus::Echo => self.echo.recent.get(self.echo_selected).map(key),
                    Focus::Targets => {
                        self.echo_selected = 0;
                        None
                    }
                };
                self.echo.recent = recent;
                self.echo.requests = requests;
                self.echo.refused = refused;
                self.echo.rejected = rejected;
                self.echo.last_rejected = last_rejected;
                self.echo_selected = was
                    .and_then(|k| self.echo.recent.iter().position(|e| key(e) == k))
                    .unwrap_or(self.echo_selected)
                    .min(self.echo.recent.len().saturating_sub(1));
            }
            ProbeEvent::Running(i) => {
                if let Some(t) = self.targets.get_mut(i) {
                    t.running = true;
                }
            }
            ProbeEvent::Report(i, report) => {
                self.last_report = Some(cx.now);
                if let Some(t) = self.targets.get_mut(i) {
                    t.running = false;
                    t.report = Some(*report);
                }
            }
        }
        Vec::new()
    }

    fn on_nav(&mut self, nav: Nav, _cx: &mut Cx<'_>) -> Vec<Effect> {
        if self.detail {
            self.scroll.nav(nav);
            return Vec::new();
        }
        match self.focus {
            Focus::Targets => self.selected = step(self.selected, self.visible().len(), nav),
            Focus::Echo => {
                self.echo_selected = step(self.echo_selected, self.echo.recent.len(), nav)
            }
        }
        Vec::new()
    }

    fn on_enter(&mut self, _cx: &mut Cx<'_>) -> Vec<Effect> {
        let has = match self.focus {
            Focus::Targets => self.selected_index().is_some(),
            Focus::Echo => !self.echo.recent.is_empty(),
        };
        if has {
            self.detail = true;
            self.scroll.reset();
        }
        Vec::new()
    }

    fn on_back(&mut self) -> bool {
        if self.detail {
            self.detail = false;
            self.scroll.reset();
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

    fn on_tick(&mut self, cx: &mut Cx<'_>) -> Vec<Effect> {
        if self.targets.is_empty() {
            return Vec::new();
        }
        let due = match self.last_run {
            None => true,
            Some(_) => {
                self.interval_secs > 0
                    && interval_due(self.last_run, cx.now, self.interval_secs)
                    && !self.targets.iter().any(|t| t.running)
            }
        };
        if due {
            self.mark_all_running(cx.now);
            vec![Effect::Probe(ProbeEffect::RunAll)]
        } else {
            Vec::new()
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, cx: &ViewCx<'_>) {
        view::render(self, frame, area, cx);
    }

    fn health(&self) -> SourceHealth {
        let problem = if let Some(e) = &self.echo.error {
            Some(e.to_string())
        } else {
            let fails: Vec<&str> = self
                .targets
                .iter()
                .filter(|t| t.report.as_ref().is_some_and(|r| r.worst() == Level::Fail))
                .map(|t| t.name.as_str())
                .collect();
            (!fails.is_empty()).then(|| format!("probe failed: {}", fails.join(", ")))
        };
        SourceHealth {
            last_update: self.last_update,
            errors: self.errors,
            problem,
        }
    }

    /// The targets are probed again every `interval_secs`; with 0, only when asked, and then
    /// nothing is overdue.
    fn polled(&self) -> Option<Polled> {
        (self.interval_secs > 0 && !self.targets.is_empty()).then_some(Polled {
            every_secs: self.interval_secs,
            last: self.last_report,
        })
    }
}

/// Start this feature's source tasks: the echo listener (when enabled) and
/// the task that reports its recent requests twice a second when they change.
pub fn start(runner: &Runner) {
    let cfg = runner.config.probe.echo.clone();
    if !cfg.enabled {
        return;
    }
    let runner = runner.clone();
    tokio::spawn(async move {
        let server = match echo::start(&cfg).await {
            Ok(s) => s,
            Err(e) => {
                runner
                    .send(SourceEvent::Probe(ProbeEvent::EchoFailed(Clean::new(
                        &e.to_string(),
                    ))))
                    .await;
                return;
            }
        };
        let addr = match server.proxy_addr {
            Some(pp) => format!("{} (PROXY protocol: {pp})", server.addr),
            None => server.addr.to_string(),
        };
        runner
            .send(SourceEvent::Probe(ProbeEvent::EchoStarted(Clean::new(
                &addr,
            ))))
            .await;
        report_echo(server, runner).await;
    });
}

/// Send snapshots of the echo log while the loop listens; owns the server.
async fn report_echo(server: echo::EchoServer, runner: Runner) {
    let mut seen = (u64::MAX, 0, 0);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        let s = server.log.snapshot();
        let now = (s.requests, s.refused, s.rejected);
        if now == seen {
            if runner.tx.is_closed() {
                return;
            }
            continue;
        }
        seen = now;
        let ev = ProbeEvent::Echo {
            recent: s.recent.iter().rev().map(EchoLine::from_reply).collect(),
            requests: s.requests,
            refused: s.refused,
            rejected: s.rejected,
            last_rejected: s
                .last_rejected
                .map(|r| (r.at, Clean::new(&format!("from {}: {}", r.peer, r.why)))),
        };
        // Never wait on a busy loop: a dropped snapshot is replaced by the next.
        match runner.tx.try_send(SourceEvent::Probe(ev)) {
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return,
            Err(_) => seen = (u64::MAX, 0, 0),
            Ok(()) => {}
        }
    }
}

/// Carry out one effect (spawning as needed; never blocking the loop).
pub fn run(effect: ProbeEffect, runner: &Runner) {
    let indices: Vec<usize> = match effect {
        ProbeEffect::RunAll => (0..runner.config.probe.targets.len()).collect(),
        ProbeEffect::RunOne(i) if i < runner.config.probe.targets.len() => vec![i],
        ProbeEffect::RunOne(_) => return,
    };
    let runner = runner.clone();
    tokio::spawn(async move {
        for i in indices {
            runner
                .send(SourceEvent::Probe(ProbeEvent::Running(i)))
                .await;
            let cfg = &runner.config.probe;
            let report =
                checks::run_target(&cfg.targets[i], cfg, chrono::Utc::now().timestamp()).await;
            runner
                .send(SourceEvent::Probe(ProbeEvent::Report(i, Box::new(report))))
                .await;
        }
    });
}

/// Add this feature's part to the demo sandbox: an echo listener behind a
/// small forwarding hop of its own, and a target that goes through the hop,
/// plus a little traffic so that the echo list is not empty.
pub fn demo(sandbox: &std::path::Path, config: &mut Config) -> anyhow::Result<()> {
    demo::setup(sandbox, config)
}

#[cfg(test)]
mod tests;
