//! The checks: what to send to a target, and the verdicts drawn from what
//! came back, each with its evidence and a concrete fix.
//!
//! [`run_target`] does the requests (only to the configured URLs of one
//! target; a redirect to another host is reported, never followed) and
//! returns a [`TargetReport`] whose outside text has been sanitized. The
//! judging functions are pure and tested on hand-built inputs; they must
//! never do I/O.

use std::time::Duration;

use crate::sanitize::Clean;

use super::client::{ClientSetup, Exchange, Target, TlsInfo, fetch};
use super::config::{ProbeConfig, SiteReads, TargetConfig};
use super::echo::EchoReply;
use super::forwarded::{
    ClientAddr, ClientSource, ForwardedElement, Node, parse_forwarded_as_meant,
};

/// The address sent in forged headers (TEST-NET-3, never a real client).
pub const FORGED_IP: &str = "203.0.113.66";
/// The two addresses of the two-line X-Forwarded-For check (TEST-NET-2).
pub const TWO_LINES: [&str; 2] = ["198.51.100.1", "198.51.100.2"];

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not run (not configured or not reachable for this check).
    Skip,
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Skip => "skip",
            Level::Ok => "ok",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        }
    }
}

/// Which check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    Redirects,
    Tls,
    Baseline,
    Forged,
    TwoXff,
    Backend,
}

impl Check {
    pub fn label(self) -> &'static str {
        match self {
            Check::Redirects => "redirects",
            Check::Tls => "certificate",
            Check::Baseline => "baseline",
            Check::Forged => "forged headers",
            Check::TwoXff => "two XFF lines",
            Check::Backend => "backend direct",
        }
    }
}

/// One verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub check: Check,
    pub level: Level,
    pub summary: Clean,
    /// What a failure means for the site and its visitors, in plain words
    /// short enough for a tile ("the app trusts a forged X-Forwarded-For");
    /// `None` where the summary already says it.
    pub consequence: Option<Clean>,
    pub evidence: Vec<Clean>,
    pub fix: Vec<Clean>,
}

/// The summary of a check whose request was stopped at the run's deadline.
const CUT_SHORT: &str = "no answer before the time given to the probe ran out: not judged";

/// The verdict on a check whose request was stopped at the run's deadline:
/// slow, but nothing is known of what it checks.
pub(crate) fn cut_short(check: Check) -> Verdict {
    verdict(check, Level::Skip, CUT_SHORT)
}

fn verdict(check: Check, level: Level, summary: impl AsRef<str>) -> Verdict {
    Verdict {
        check,
        level,
        summary: Clean::new(summary.as_ref()),
        consequence: None,
        evidence: Vec::new(),
        fix: Vec::new(),
    }
}

impl Verdict {
    /// Not judged: its request was stopped at the run's deadline.
    pub fn is_cut_short(&self) -> bool {
        self.level == Level::Skip && self.summary.as_str() == CUT_SHORT
    }
    /// What this verdict means, in plain words: its consequence, or its
    /// summary where none was said.
    pub fn plain(&self) -> &str {
        self.consequence.as_ref().unwrap_or(&self.summary).as_str()
    }
    fn says(mut self, s: impl AsRef<str>) -> Verdict {
        self.consequence = Some(Clean::new(s.as_ref()));
        self
    }
    fn ev(mut self, s: impl AsRef<str>) -> Verdict {
        self.evidence.push(Clean::new(s.as_ref()));
        self
    }
    fn fix(mut self, s: impl AsRef<str>) -> Verdict {
        self.fix.push(Clean::new(s.as_ref()));
        self
    }
}

/// How the redirect walk ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkEnd {
    /// A non-redirect answer.
    Final,
    /// A URL came back that was already visited.
    Loop(String),
    /// A URL redirected to itself.
    SelfRedirect(String),
    /// The walk went to another host (not followed).
    HostChange(String),
    TooMany,
    Error(String),
}

/// Everything a run of one target produced (raw, before judging).
#[derive(Clone, Debug, Default)]
pub struct RawRun {
    pub main: Option<Exchange>,
    pub walk: Vec<Exchange>,
    pub walk_end: Option<WalkEnd>,
    pub downgrade: bool,
    pub baseline: Option<(Exchange, Result<EchoReply, String>)>,
    pub forged: Option<(Exchange, Result<EchoReply, String>)>,
    pub two_xff: Option<(Exchange, Result<EchoReply, String>)>,
    pub backend: Option<Exchange>,
    pub setup_error: Option<String>,
}

/// One request as shown: the headers it sent and what the echo received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoView {
    pub label: &'static str,
    pub sent: Vec<(Clean, Clean)>,
    pub received: Vec<(Clean, Clean)>,
    pub client: Option<Clean>,
    pub error: Option<Clean>,
}

/// One hop of the redirect walk as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopView {
    pub url: Clean,
    pub status: Option<u16>,
    pub location: Option<Clean>,
    pub hsts: bool,
    pub connect_ms: Option<u64>,
    pub tls_ms: Option<u64>,
    pub first_byte_ms: Option<u64>,
    pub error: Option<Clean>,
}

/// The TLS facts as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsView {
    pub version: Clean,
    pub subject: Clean,
    pub issuer: Clean,
    pub names: Vec<Clean>,
    pub chain_len: usize,
    /// Days until the first certificate a client checks expires: the leaf's, unless an
    /// intermediate on the path the chain verified by expires sooner, which clients refuse
    /// just the same. A certificate sent along off that path (a root, an old cross-sign) and
    /// the trust anchor (the client's own) are left out; when the chain does not verify,
    /// every certificate sent counts.
    pub days_left: Option<i64>,
    /// The certificate `days_left` counts to when it is not the leaf: "intermediate
    /// certificate CN=R11, O=Let's Encrypt".
    pub expires_first: Option<Clean>,
    pub verify_error: Option<Clean>,
    pub name_matches: bool,
}

impl TlsView {
    /// The certificate that expires first, for a sentence: "certificate" (the leaf), or the
    /// one sent with it that expires sooner, named.
    pub fn expiring(&self) -> &str {
        self.expires_first
            .as_ref()
            .map_or("certificate", |c| c.as_str())
    }
}

/// A finished probe of one target, safe to keep in state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetReport {
    pub name: Clean,
    pub url: Clean,
    /// Unix time the run finished.
    pub at: i64,
    pub hops: Vec<HopView>,
    pub tls: Option<TlsView>,
    pub echoes: Vec<EchoView>,
    pub verdicts: Vec<Verdict>,
}

impl TargetReport {
    /// The worst level of all verdicts.
    pub fn worst(&self) -> Level {
        self.verdicts
            .iter()
            .map(|v| v.level)
            .max()
            .unwrap_or(Level::Skip)
    }

    /// The verdict to lead with: the worst one that is not ok, and among
    /// equals the one that hurts most (a site visitors cannot use, then one
    /// anyone can fool, then one the app misreads).
    pub fn headline(&self) -> Option<&Verdict> {
        self.worst_first()
            .into_iter()
            .next()
            .filter(|v| v.level >= Level::Warn)
    }

    /// The verdicts in the order a reader needs them: the worst level first and, among problems
    /// of one level, the one that hurts most, as [`TargetReport::headline`] picks; the passing
    /// checks after them in their usual order.
    pub fn worst_first(&self) -> Vec<&Verdict> {
        let rank = |c: Check| match c {
            Check::Redirects => 0,
            Check::Tls => 1,
            Check::Forged => 2,
            Check::Backend => 3,
            Check::Baseline => 4,
            Check::TwoXff => 5,
        };
        let mut v: Vec<(usize, &Verdict)> = self.verdicts.iter().enumerate().collect();
        v.sort_by_key(|(k, v)| {
            let among = if v.level >= Level::Warn {
                rank(v.check)
            } else {
                *k
            };
            (std::cmp::Reverse(v.level), among)
        });
        v.into_iter().map(|(_, v)| v).collect()
    }
}

fn ms(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_millis() as u64)
}

fn hop_view(e: &Exchange) -> HopView {
    HopView {
        url: Clean::new(&e.url),
        status: e.status,
        location: e.location.as_deref().map(Clean::new),
        hsts: e.hsts.is_some(),
        connect_ms: ms(e.connect),
        tls_ms: ms(e.tls_time),
        first_byte_ms: ms(e.first_byte),
        error: e.error.as_deref().map(Clean::new),
    }
}

fn tls_view(t: &TlsInfo, now: i64) -> TlsView {
    let leaf = t.chain.first();
    // a client checks the certificates on the path it builds: the first of them to expire
    // counts (the leaf, when it ties). A certificate sent along off that path (a root, which
    // the client's own store stands for; a cross-sign such as DST Root CA X3's over ISRG Root
    // X1) is one it never checks, expiring soon or expired. The trust anchor is the client's
    // own, its expiry its store's business, and is not counted. A leaf of the wrong name
    // still has its path (the name is checked apart). When the chain does not verify there is
    // no such path: every certificate sent counts, as any may be why. With the path not
    // known, one sent along that has expired while the chain verifies is left out
    let first = t
        .chain
        .iter()
        .enumerate()
        .filter(|(i, c)| match &t.path {
            Some(path) => path.contains(i),
            None => *i == 0 || t.verify_error.is_some() || c.not_after >= now,
        })
        .min_by_key(|(_, c)| c.not_after);
    TlsView {
        version: Clean::new(&t.version),
        subject: Clean::new(leaf.map_or("", |c| c.subject.as_str())),
        issuer: Clean::new(leaf.map_or("", |c| c.issuer.as_str())),
        names: leaf
            .map(|c| c.names.iter().map(|n| Clean::new(n)).collect())
            .unwrap_or_default(),
        chain_len: t.chain.len(),
        days_left: first.map(|(_, c)| (c.not_after - now).div_euclid(86_400)),
        expires_first: first.filter(|(i, _)| *i > 0).map(|(_, c)| {
            let kind = if c.subject == c.issuer {
                "root"
            } else {
                "intermediate"
            };
            Clean::new(&format!("{kind} certificate {}", c.subject))
        }),
        verify_error: t.verify_error.as_deref().map(Clean::new),
        name_matches: t.name_matches,
    }
}

fn echo_view(
    label: &'static str,
    pair: &(Exchange, Result<EchoReply, String>),
    reads: SiteReads,
) -> EchoView {
    let (ex, echo) = pair;
    EchoView {
        label,
        sent: ex
            .sent
            .iter()
            .map(|(n, v)| (Clean::new(n), Clean::new(v)))
            .collect(),
        received: echo
            .as_ref()
            .map(|r| {
                r.forwarding
                    .iter()
                    .map(|(n, v)| (Clean::new(n), Clean::new(v)))
                    .collect()
            })
            .unwrap_or_default(),
        client: echo
            .as_ref()
            .ok()
            .map(|r| site_client(r, reads))
            .map(|c| Clean::new(&format!("{} ({})", c.addr, c.reason))),
        error: echo.as_ref().err().map(|e| Clean::new(e)),
    }
}

/// The URL the redirect walk starts from.
pub fn walk_start(t: &TargetConfig) -> Result<Target, super::ProbeError> {
    if let Some(u) = &t.http_url {
        return Target::parse(u);
    }
    let mut target = Target::parse(&t.url)?;
    if target.https && target.default_port() {
        target.https = false;
        target.port = 80;
    }
    Ok(target)
}

async fn walk(start: Target, setup: &ClientSetup, max: usize, run: &mut RawRun) {
    let mut cur = start;
    let mut seen = vec![cur.place()];
    for _ in 0..=max {
        let ex = fetch(&cur, &[], setup).await;
        let status = ex.status;
        let location = ex.location.clone();
        let err = ex.error.clone();
        run.walk.push(ex);
        if let Some(e) = err {
            run.walk_end = Some(WalkEnd::Error(e));
            return;
        }
        let redirect = status.is_some_and(|s| (300..400).contains(&s));
        let Some(loc) = location.filter(|_| redirect) else {
            run.walk_end = Some(WalkEnd::Final);
            return;
        };
        let next = match cur.join(&loc) {
            Ok(n) => n,
            Err(e) => {
                run.walk_end = Some(WalkEnd::Error(e.to_string()));
                return;
            }
        };
        if cur.https && !next.https {
            run.downgrade = true;
        }
        let place = next.place();
        if place == cur.place() {
            run.walk_end = Some(WalkEnd::SelfRedirect(next.url()));
            return;
        }
        if seen.contains(&place) {
            run.walk_end = Some(WalkEnd::Loop(next.url()));
            return;
        }
        if !next.host.eq_ignore_ascii_case(&cur.host) {
            run.walk_end = Some(WalkEnd::HostChange(next.url()));
            return;
        }
        seen.push(place);
        cur = next;
    }
    run.walk_end = Some(WalkEnd::TooMany);
}

async fn echo_request(
    t: &Target,
    headers: &[(&str, &str)],
    setup: &ClientSetup,
) -> (Exchange, Result<EchoReply, String>) {
    let ex = fetch(t, headers, setup).await;
    let echo = match (&ex.error, ex.status) {
        (Some(e), _) => Err(e.clone()),
        (None, Some(200)) => serde_json::from_slice::<EchoReply>(&ex.body).map_err(|e| {
            format!("the answer is not the echo listener's JSON ({e}): does echo_url reach it?")
        }),
        // the echo listener's own refusal says why
        (None, Some(s)) if ex.body.starts_with(ECHO_REFUSAL) => {
            let why = String::from_utf8_lossy(&ex.body[ECHO_REFUSAL.len()..]);
            let why: String = why.lines().next().unwrap_or("").chars().take(400).collect();
            Err(format!("HTTP {s} from the echo listener: {why}"))
        }
        (None, s) => Err(format!(
            "HTTP {} instead of the echo: does echo_url reach the echo listener?",
            s.map_or("?".into(), |s| s.to_string())
        )),
    };
    (ex, echo)
}

/// How the echo listener's plain-text refusals begin.
const ECHO_REFUSAL: &[u8] = b"opsdeck echo: ";

/// The forged headers for a URL of this scheme.
pub fn forged_headers(https: bool) -> Vec<(&'static str, String)> {
    let proto = if https { "http" } else { "https" };
    vec![
        ("X-Forwarded-For", FORGED_IP.to_string()),
        ("X-Forwarded-Proto", proto.to_string()),
        ("Forwarded", format!("for={FORGED_IP};proto={proto}")),
        ("X-Real-IP", FORGED_IP.to_string()),
    ]
}

/// Probe one target: all requests, then the verdicts.
pub async fn run_target(t: &TargetConfig, cfg: &ProbeConfig, now: i64) -> TargetReport {
    report(t, cfg, &run_requests(t, cfg, None).await, now)
}

/// Every request of one target, all at once: each is its own connection and
/// none needs another's answer (only the redirect walk goes hop by hop), so a
/// slow site costs one `timeout_secs`, not one per request. With a
/// `deadline`, whatever is still waiting then is stopped and marked cut.
pub async fn run_requests(
    t: &TargetConfig,
    cfg: &ProbeConfig,
    deadline: Option<tokio::time::Instant>,
) -> RawRun {
    let mut run = RawRun::default();
    let timeout = Duration::from_secs(cfg.timeout_secs.max(1));
    let setup = match ClientSetup::new(timeout, t.resolve, t.ca_file.as_deref()) {
        Ok(setup) => ClientSetup { deadline, ..setup },
        Err(e) => {
            run.setup_error = Some(e.to_string());
            return run;
        }
    };
    let main = async {
        match Target::parse(&t.url) {
            Ok(target) => Ok(fetch(&target, &[], &setup).await),
            Err(e) => Err(e.to_string()),
        }
    };
    let walked = async {
        let mut w = RawRun::default();
        match walk_start(t) {
            Ok(start) => walk(start, &setup, cfg.max_redirects, &mut w).await,
            Err(e) => w.walk_end = Some(WalkEnd::Error(e.to_string())),
        }
        w
    };
    let echoes = async {
        let Some(u) = &t.echo_url else {
            return Ok(None);
        };
        let et = Target::parse(u).map_err(|e| e.to_string())?;
        let forged = forged_headers(et.https);
        let forged: Vec<(&str, &str)> = forged.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let two = [
            ("X-Forwarded-For", TWO_LINES[0]),
            ("X-Forwarded-For", TWO_LINES[1]),
        ];
        Ok(Some(tokio::join!(
            echo_request(&et, &[], &setup),
            echo_request(&et, &forged, &setup),
            echo_request(&et, &two, &setup),
        )))
    };
    let backend = async {
        let Some(u) = &t.backend_url else {
            return Ok(None);
        };
        let bt = Target::parse(u).map_err(|e| e.to_string())?;
        // The backend is reached at its own address: no `resolve`.
        let direct = ClientSetup {
            resolve: None,
            ..setup.clone()
        };
        Ok(Some(fetch(&bt, &[], &direct).await))
    };
    let (main, walked, echoes, backend) = tokio::join!(main, walked, echoes, backend);
    match main {
        Ok(m) => run.main = Some(m),
        Err(e) => run.setup_error = Some(e),
    }
    run.walk = walked.walk;
    run.walk_end = walked.walk_end;
    run.downgrade = walked.downgrade;
    match echoes {
        Ok(Some((baseline, forged, two_xff))) => {
            run.baseline = Some(baseline);
            run.forged = Some(forged);
            run.two_xff = Some(two_xff);
        }
        Ok(None) => {}
        Err(e) => run.setup_error = Some(e),
    }
    match backend {
        Ok(b) => run.backend = b,
        Err(e) => run.setup_error = Some(e),
    }
    run
}

/// Turn a raw run into a report (pure).
pub fn report(t: &TargetConfig, cfg: &ProbeConfig, run: &RawRun, now: i64) -> TargetReport {
    let mut hops: Vec<HopView> = run.walk.iter().map(hop_view).collect();
    if let Some(m) = &run.main
        && !run.walk.iter().any(|w| w.url == m.url)
    {
        hops.insert(0, hop_view(m));
    }
    let tls = run
        .main
        .as_ref()
        .and_then(|m| m.tls.as_ref())
        .map(|t| tls_view(t, now));
    let mut echoes = Vec::new();
    for (label, pair) in [
        ("baseline", &run.baseline),
        ("forged", &run.forged),
        ("two XFF lines", &run.two_xff),
    ] {
        if let Some(p) = pair {
            echoes.push(echo_view(label, p, t.reads));
        }
    }
    TargetReport {
        name: Clean::new(&t.name),
        url: Clean::new(&crate::sanitize::hide_url_userinfo(&t.url)),
        at: now,
        hops,
        tls: tls.clone(),
        echoes,
        verdicts: judge(t, cfg, run, tls.as_ref()),
    }
}

/// All verdicts of one run (pure).
pub fn judge(
    t: &TargetConfig,
    cfg: &ProbeConfig,
    run: &RawRun,
    tls: Option<&TlsView>,
) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(e) = &run.setup_error {
        out.push(verdict(
            Check::Baseline,
            Level::Fail,
            format!("cannot probe: {e}"),
        ));
    }
    out.push(judge_redirects(t, run));
    out.push(judge_tls(t, cfg, run, tls));
    let https = t
        .echo_url
        .as_deref()
        .and_then(|u| Target::parse(u).ok())
        .map(|u| (u.https, u.port));
    match (&run.baseline, https) {
        (Some(b), Some((https, port))) => {
            let mut v = judge_baseline(t, b, run.forged.as_ref(), https, port);
            // The PROXY protocol port hangs up without a word on a
            // connection that does not start with the header.
            if let (Err(e), Some(pp)) = (&b.1, cfg.echo.proxy_protocol_listen)
                && cfg.echo.enabled
                && !b.0.cut
                && !e.contains("from the echo listener")
            {
                v = v.fix(format!(
                    "the echo's PROXY protocol port {pp} closes any connection that does not start with a PROXY header: if the balancer forwards there, turn it on (nginx stream: proxy_protocol on; HAProxy: send-proxy)"
                ));
            }
            out.push(v)
        }
        _ => out.push(
            verdict(
                Check::Baseline,
                Level::Skip,
                "no echo_url: forwarding not checked",
            )
            .fix("point a path of the balancer at the echo listener and set echo_url"),
        ),
    }
    if let (Some(f), Some((https, _))) = (&run.forged, https) {
        out.push(judge_forged(f, https, t.reads));
    }
    if let Some(x) = &run.two_xff {
        out.push(judge_two_xff(x, t.reads));
    }
    out.push(judge_backend(run));
    out
}

const FIX_PROTO: &str = "app: trust X-Forwarded-Proto from the balancer only: Django SECURE_PROXY_SSL_HEADER = (\"HTTP_X_FORWARDED_PROTO\", \"https\"); WordPress: set $_SERVER['HTTPS'] = 'on' when X-Forwarded-Proto is https; Rails config.assume_ssl = true";
const FIX_NGINX_HEADERS: &str = "nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Port $server_port;";
/// Both lines: on a frontend that serves http and https, `https if { ssl_fc }` alone sets nothing
/// on plain http, and a client's own X-Forwarded-Proto (`https`, say) passes.
const FIX_HAPROXY: &str = "HAProxy: option forwardfor; http-request set-header X-Forwarded-Proto https if { ssl_fc }; http-request set-header X-Forwarded-Proto http if !{ ssl_fc }";
const FIX_ALB: &str = "ALB: routing.http.xff_header_processing.mode = append (or remove), X-Forwarded-Proto is always set";
const FIX_FORWARDED_V6: &str = r#"nginx: quote and bracket IPv6 in Forwarded: map $remote_addr $forwarded_for { ~^[0-9.]+$ "for=$remote_addr"; ~^[0-9A-Fa-f:.]+$ "for=\"[$remote_addr]\""; default "for=unknown"; } and proxy_set_header Forwarded "$forwarded_for;proto=$scheme";"#;
const FIX_ONLY_FORWARDED: &str = "the balancer sends only Forwarded: if the site reads Forwarded, set reads = \"forwarded\" for this target; otherwise make the balancer send X-Forwarded-For and X-Forwarded-Proto too (nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;)";
const FIX_REALIP: &str = "nginx behind it: set_real_ip_from <balancer CIDR>; real_ip_header X-Forwarded-For; real_ip_recursive on;";

fn judge_redirects(t: &TargetConfig, run: &RawRun) -> Verdict {
    let chain: Vec<String> = run
        .walk
        .iter()
        .map(|e| {
            format!(
                "{} -> {}{}",
                e.url,
                e.status.map_or("no answer".into(), |s| s.to_string()),
                e.location
                    .as_deref()
                    .map_or(String::new(), |l| format!(" Location: {l}"))
            )
        })
        .collect();
    let with_chain = |mut v: Verdict| {
        for c in &chain {
            v = v.ev(c);
        }
        v
    };
    let expected = t.expect_final.clone().unwrap_or_else(|| t.url.clone());
    let expected = Target::parse(&expected)
        .map(|u| u.url())
        .unwrap_or(expected);
    let v = match &run.walk_end {
        _ if run.walk.last().is_some_and(|e| e.cut) => cut_short(Check::Redirects),
        None => verdict(Check::Redirects, Level::Skip, "not walked"),
        Some(WalkEnd::Error(e)) => {
            let v = verdict(Check::Redirects, Level::Fail, format!("walk stopped: {e}"));
            // what no answer means depends on where it was: the site itself (its URL has no
            // answer either), only the address without https the walk starts from, or where
            // a redirect sends visitors
            let site_down = run
                .main
                .as_ref()
                .is_some_and(|m| m.error.is_some() && !m.cut);
            match run.walk.as_slice() {
                [] => v,
                _ if site_down => v.says("visitors get no answer from the site"),
                [only] if only.url.starts_with("http://") && t.url.starts_with("https://") => v
                    .says("visitors who type the address without https get no answer")
                    .fix("answer plain http at the balancer and redirect it to https (nginx: listen 80; return 301 https://$host$request_uri;), or set http_url to where the walk should start"),
                [_] => v.says("visitors get no answer from the site"),
                _ => v.says("visitors are redirected to an address that does not answer"),
            }
        }
        Some(WalkEnd::SelfRedirect(u)) => verdict(
            Check::Redirects,
            Level::Fail,
            format!("{u} redirects to itself: the app does not see that the request was HTTPS"),
        )
        .says("visitors get a redirect loop")
        .fix(FIX_PROTO)
        .fix(FIX_NGINX_HEADERS),
        Some(WalkEnd::Loop(u)) => verdict(Check::Redirects, Level::Fail, format!("redirect loop back to {u}"))
            .says("visitors get a redirect loop")
            .fix(FIX_PROTO)
            .fix("check that only one layer (balancer or app) redirects http to https"),
        Some(WalkEnd::TooMany) => verdict(Check::Redirects, Level::Fail, "more redirects than max_redirects")
            .says("visitors go through more redirects than max_redirects"),
        Some(WalkEnd::HostChange(u)) => verdict(
            Check::Redirects,
            if u.starts_with(&expected) { Level::Ok } else { Level::Warn },
            format!("redirected to another host: {u} (not followed)"),
        )
        .fix("if unintended: the app builds URLs from its own Host; pass X-Forwarded-Host or set the site URL"),
        Some(WalkEnd::Final) => {
            let last = run.walk.last();
            let final_url = last.map(|e| e.url.clone()).unwrap_or_default();
            let status = last.and_then(|e| e.status).unwrap_or(0);
            if run.downgrade {
                verdict(Check::Redirects, Level::Fail, "an https URL redirects to http (downgrade)")
                    .says("visitors are sent from https to plain http")
                    .fix(FIX_PROTO)
            } else if status >= 500 {
                // The site is down for everyone who follows this walk.
                verdict(
                    Check::Redirects,
                    Level::Fail,
                    format!("ends at {final_url} with HTTP {status}: {}", server_error(status)),
                )
                .says(format!("the site is down for visitors (HTTP {status})"))
                .fix("look at the balancer's error log and the backend's service (systemctl status, its own log)")
            } else if final_url != expected {
                verdict(
                    Check::Redirects,
                    Level::Warn,
                    format!("ends at {final_url} (HTTP {status}), expected {expected}"),
                )
                .fix("redirect http to https at the balancer (ALB listener rule, nginx return 301 https://$host$request_uri)")
            } else if !(200..300).contains(&status) {
                verdict(Check::Redirects, Level::Warn, format!("ends at {final_url} with HTTP {status}"))
            } else {
                verdict(Check::Redirects, Level::Ok, format!("ends at {final_url} (HTTP {status})"))
            }
        }
    };
    with_chain(v)
}

/// What a 5xx from behind a balancer most often means.
fn server_error(status: u16) -> &'static str {
    match status {
        502 => "the balancer got no valid answer from the backend (down, refusing, or crashed)",
        503 => "no backend available (all marked down, overloaded, or in maintenance)",
        504 => "the backend did not answer within the balancer's timeout",
        _ => "the site answers with a server error",
    }
}

fn judge_tls(t: &TargetConfig, cfg: &ProbeConfig, run: &RawRun, tls: Option<&TlsView>) -> Verdict {
    let https = Target::parse(&t.url).map(|u| u.https).unwrap_or(false);
    if !https {
        return verdict(Check::Tls, Level::Skip, "not an https URL");
    }
    let Some(tls) = tls else {
        if run.main.as_ref().is_some_and(|m| m.cut) {
            return cut_short(Check::Tls);
        }
        let why = run
            .main
            .as_ref()
            .and_then(|m| m.error.clone())
            .unwrap_or_else(|| "no TLS handshake".into());
        return verdict(
            Check::Tls,
            Level::Fail,
            format!("no certificate seen: {why}"),
        )
        .says("visitors cannot connect over HTTPS");
    };
    let days = tls.days_left.unwrap_or(0);
    let what = tls.expiring();
    // an intermediate is not renewed with the leaf's tools: the chain served is what to change
    let renew = if tls.expires_first.is_some() {
        "serve the CA's current intermediate with the leaf (the chain file that comes with a renewal: certbot's fullchain.pem), then reload the balancer"
    } else {
        "renew it (certbot renew / ACM), reload the balancer, and check the renewal timer"
    };
    // Expiry and the host name come first: the verifier rejects both too,
    // and "not trusted" with advice about the chain would send the reader
    // to the wrong fix.
    let mut v = if days < 0 {
        verdict(
            Check::Tls,
            Level::Fail,
            format!("{what} expired {}", expired_ago(days)),
        )
        .says(format!(
            "browsers turn visitors away: the {what} expired {}",
            expired_ago(days)
        ))
        .fix(renew)
    } else if !tls.name_matches {
        let host = Target::parse(&t.url).map(|u| u.host).unwrap_or_default();
        verdict(
            Check::Tls,
            Level::Fail,
            format!("certificate does not name the host {host}"),
        )
        .says(format!(
            "browsers turn visitors away: the certificate is not for {host}"
        ))
    } else if tls.verify_error.is_some() && tls.chain_len == 1 && tls.subject == tls.issuer {
        // the verifier's words for it vary (UnknownIssuer, CaUsedAsEndEntity)
        verdict(
            Check::Tls,
            Level::Fail,
            format!("certificate is self-signed (issued by itself, {})", tls.subject),
        )
        .says("browsers turn visitors away: the certificate is self-signed")
        .fix("use a certificate from a public CA (Let's Encrypt: certbot), or sign one with a private CA and set ca_file to that CA")
    } else if let Some(e) = &tls.verify_error {
        verdict(
            Check::Tls,
            Level::Fail,
            format!("certificate not trusted: {e}"),
        )
        .says("browsers turn visitors away: the certificate is not trusted")
        .fix("serve the full chain (leaf + intermediates); for a private CA set ca_file")
    } else if days < cfg.expiry_warn_days {
        let v = verdict(
            Check::Tls,
            Level::Warn,
            format!("{what} expires in {days} days"),
        );
        if tls.expires_first.is_some() {
            v.says("browsers will turn visitors away when it expires, before the certificate does")
                .fix(renew)
        } else {
            v.fix("renew now (certbot renew / ACM) and check the renewal timer")
        }
    } else {
        verdict(
            Check::Tls,
            Level::Ok,
            format!("{}, expires in {days} days", tls.version),
        )
    };
    if let Some(e) = &tls.verify_error
        && !v.summary.contains(e.as_str())
    {
        v = v.ev(format!("verifier: {e}"));
    }
    if !tls.name_matches {
        v = v.fix("issue a certificate whose subjectAltName includes the host");
    }
    v.ev(format!("subject {}", tls.subject))
        .ev(format!("issuer {}", tls.issuer))
        .ev(format!(
            "names {}",
            tls.names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .ev(format!(
            "{} certificate(s) in the chain, {}",
            tls.chain_len, tls.version
        ))
}

/// The name part of a Host value (`example.com:8443`, `[2001:db8::1]:443`).
fn host_name(h: &str) -> &str {
    let h = h.trim();
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match h.split_once(':') {
        Some((name, port)) if !port.contains(':') => name,
        _ => h,
    }
}

/// The port part of a Host value, if it has one (`example.com:8443`, `[2001:db8::1]:443`).
fn host_port(h: &str) -> Option<u16> {
    let h = h.trim();
    let tail = match h.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.1.strip_prefix(':')?,
        None => match h.split_once(':') {
            Some((_, port)) if !port.contains(':') => port,
            _ => return None,
        },
    };
    tail.parse().ok()
}

/// When a certificate whose `days_left` is negative expired, in words.
/// `days_left` is floored: -1 is within the last day, -(n + 1) is n days ago.
pub fn expired_ago(days_left: i64) -> String {
    match -days_left - 1 {
        n if n <= 0 => "within the last day".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// The client the site computes: for one that reads X-Forwarded-*, what X-Forwarded-For (else
/// X-Real-IP) gives by the trusted-proxy walk, whatever `Forwarded` says; for one that reads
/// `Forwarded`, what that gives.
fn site_client(r: &EchoReply, reads: SiteReads) -> &ClientAddr {
    match &r.client_without_forwarded {
        Some(c) if reads == SiteReads::XForwarded => c,
        _ => &r.client,
    }
}

/// The reply with `Forwarded` read as the balancer meant it, where its one fault is an IPv6
/// address written bare (`for=2001:db8::1`, as nginx's `for=$remote_addr` writes an IPv6
/// client): its elements, and the client the echo computed from them (when it did). Every
/// reader of RFC 7239 rejects such a header whole, which is said apart; but it still says what
/// the balancer sends, and does with a client's `Forwarded`. `None` where `Forwarded` has no
/// such fault.
fn read_as_meant(r: &EchoReply) -> Option<EchoReply> {
    r.forwarded_error.as_ref()?;
    let els = parse_forwarded_as_meant(r.values("forwarded"))?;
    let mut meant = r.clone();
    meant.forwarded = els;
    meant.forwarded_error = None;
    if let Some(c) = &r.client_as_meant {
        meant.client = c.clone();
    }
    Some(meant)
}

/// The scheme `Forwarded` gives (its last `proto=`), lower case.
fn forwarded_proto(r: &EchoReply) -> Option<String> {
    last_proto(&r.forwarded)
}

/// The last `proto=` of these `Forwarded` elements, lower case.
fn last_proto(els: &[ForwardedElement]) -> Option<String> {
    els.iter()
        .rev()
        .find_map(|e| e.proto.as_deref().map(str::to_ascii_lowercase))
}

/// The scheme X-Forwarded-Proto gives (its last value), lower case.
fn xfp_proto(r: &EchoReply) -> Option<String> {
    let v = r.values("x-forwarded-proto");
    v.last().map(|s| {
        s.rsplit(',')
            .next()
            .unwrap_or(s)
            .trim()
            .to_ascii_lowercase()
    })
}

/// Every X-Forwarded-Proto value, all lines split at commas: an app sees
/// repeated lines joined into one list.
fn xfp_values(r: &EchoReply) -> Vec<&str> {
    r.values("x-forwarded-proto")
        .into_iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// A scheme in X-Forwarded-Proto that apps read differently: several
/// values (repeated lines or a list) or the right word in another case.
/// `None` when it is one exact value. A `Forwarded` proto beside it does not
/// help an app that reads X-Forwarded-Proto alone.
fn proto_shape(r: &EchoReply, want: &str) -> Option<(Level, String)> {
    let values = xfp_values(r);
    match values.as_slice() {
        [] => None,
        [one] if *one == want || !one.eq_ignore_ascii_case(want) => None,
        [one] => Some((
            Level::Warn,
            format!(
                "X-Forwarded-Proto arrives as {one:?}: apps compare it with {want:?} as written (Django, WordPress) and see another scheme"
            ),
        )),
        [first, .., last] => {
            let list = values.join(", ");
            if values.iter().all(|v| v.eq_ignore_ascii_case(want)) {
                Some((
                    Level::Warn,
                    format!(
                        "X-Forwarded-Proto arrives as {} values ({list}): an app that compares the whole header with {want:?} (WordPress's usual check) sees another scheme",
                        values.len()
                    ),
                ))
            } else {
                Some((
                    Level::Fail,
                    format!(
                        "X-Forwarded-Proto arrives as {list:?}: apps disagree (Django, Express and Symfony take the first, {first}; Rack the last, {last})"
                    ),
                ))
            }
        }
    }
}

/// The baseline: what arrives of a request sent without forwarding headers. `forged` is the
/// request sent with forged ones, for what it shows of the balancer's handling.
fn judge_baseline(
    t: &TargetConfig,
    pair: &(Exchange, Result<EchoReply, String>),
    forged: Option<&(Exchange, Result<EchoReply, String>)>,
    https: bool,
    port: u16,
) -> Verdict {
    let r = match &pair.1 {
        Ok(r) => r,
        Err(_) if pair.0.cut => return cut_short(Check::Baseline),
        Err(e) => return verdict(Check::Baseline, Level::Fail, e),
    };
    let mut problems = Vec::new();
    let mut level = Level::Ok;
    // the plain consequence of the worst problem, the first of its level
    let mut says: Option<(Level, &str)> = None;
    let mut note = |l: Level, what: &'static str| {
        if says.is_none_or(|(was, _)| l > was) {
            says = Some((l, what));
        }
    };
    let want_proto = if https { "https" } else { "http" };
    let no_scheme = if https {
        "the app will not see HTTPS"
    } else {
        "the app sees the wrong scheme"
    };
    // A site told no scheme takes every request for http. For an https request that is the
    // wrong scheme; a plain-http one it takes rightly, but only by default: an https request
    // forwarded the same way would be taken for http too (redirect loops, cookies without
    // Secure, http links), and that is what a failure on plain http says.
    let untold = if https {
        "thinks every request is http"
    } else {
        "is not told the scheme and would take an https request forwarded the same way for http"
    };
    let untold_says = if https {
        "the app will not see HTTPS"
    } else {
        "the app is not told the scheme"
    };
    // A site that reads Forwarded alone (`reads = "forwarded"`) gets nothing from
    // X-Forwarded-*: neither the scheme nor the client, nor the port. One that reads
    // X-Forwarded-* (Django, Express, Laravel and Symfony as set up by default, Rack 2) gets
    // nothing from Forwarded: a scheme or client that arrives only there is lost to it.
    let reads_forwarded = t.reads == SiteReads::Forwarded;
    let fwd_proto = forwarded_proto(r);
    // What the balancer sends in Forwarded, as it meant it. One whose only fault is an IPv6
    // client written bare cannot be read (that is said below), but a site that reads
    // X-Forwarded-* reads none of it anyway: the scheme and client it carries are sent nowhere
    // it looks.
    let fwd_meant = read_as_meant(r).map_or_else(|| r.forwarded.clone(), |m| m.forwarded);
    let fwd_sent_proto = last_proto(&fwd_meant);
    let proto = if reads_forwarded {
        fwd_proto.clone()
    } else {
        xfp_proto(r)
    };
    let pp = r.proxy_protocol.as_ref();
    let shape = if reads_forwarded {
        None
    } else {
        proto_shape(r, want_proto)
    };
    // No scheme at all on plain http, to a site that reads X-Forwarded-*, where the forged
    // request's X-Forwarded-Proto (https) was removed: the balancer strips a client's (nginx: a
    // map of $scheme giving "" on http; HAProxy: del-header, and set-header https if
    // { ssl_fc }), and a site that takes a request without one for http takes this one rightly.
    // Where the forged request's answer is missing, nothing is known of it.
    let client_proto_removed = !https
        && !reads_forwarded
        && pp.is_none()
        && proto.is_none()
        && fwd_sent_proto.is_none()
        && forged.is_some_and(|(_, f)| {
            f.as_ref()
                .is_ok_and(|f| f.values("x-forwarded-proto").is_empty())
        });
    let mut forwarded_missing = false;
    // the balancer sends the scheme or the client only in Forwarded, to a site that reads
    // X-Forwarded-*
    let mut only_forwarded = false;
    if let Some((l, why)) = &shape {
        level = level.max(*l);
        problems.push(why.clone());
        note(*l, "apps may not see the request's scheme");
    }
    // A Forwarded header that cannot be read (most often an IPv6 client
    // written bare, as a plain "for=$remote_addr" does) is lost to the app.
    let bad_for = r.forwarded.iter().find_map(|e| match &e.r#for {
        Some(Node::Invalid(s)) => Some(s.clone()),
        _ => None,
    });
    let fwd_fault = match (&r.forwarded_error, &bad_for) {
        (Some(e), _) => Some(format!(
            "Forwarded is malformed ({e}): an app that reads it gets neither client nor scheme from it"
        )),
        (None, Some(s)) => Some(format!(
            "Forwarded names the client {s:?}, which is no address (IPv6 goes quoted and in brackets: for=\"[2001:db8::1]\")"
        )),
        (None, None) => None,
    };
    if let Some(why) = &fwd_fault {
        level = level.max(Level::Warn);
        problems.push(why.clone());
        note(
            Level::Warn,
            "apps that read Forwarded get no client from it",
        );
    }
    match (&proto, pp) {
        _ if shape.is_some() => {}
        (Some(p), _) if p == want_proto => {}
        (Some(p), _) => {
            level = Level::Fail;
            problems.push(format!(
                "proto arrives as {p}, the request was {want_proto}"
            ));
            note(Level::Fail, no_scheme);
        }
        (None, Some(h)) => match h.tls() {
            // The v2 SSL TLV says whether the client spoke TLS.
            Some(tls) if tls == https => {}
            Some(tls) => {
                level = Level::Fail;
                problems.push(format!(
                    "PROXY v2 SSL TLV says the client {} TLS, the request was {want_proto}",
                    if tls { "used" } else { "did not use" }
                ));
                note(Level::Fail, no_scheme);
            }
            None => {
                level = level.max(Level::Warn);
                problems.push(format!(
                    "PROXY protocol carries no scheme: the app must know this port is {}",
                    if https { "TLS" } else { "plain http" }
                ));
                note(Level::Warn, "the app is not told the scheme");
            }
        },
        (None, None) if reads_forwarded => {
            level = Level::Fail;
            forwarded_missing = true;
            problems.push(format!(
                "no Forwarded proto: the site reads Forwarded (reads = \"forwarded\"), so it {untold}"
            ));
            note(Level::Fail, untold_says);
        }
        (None, None) if fwd_sent_proto.is_some() => {
            level = Level::Fail;
            only_forwarded = true;
            problems.push(format!(
                "the balancer sends the scheme only in Forwarded (proto={}), no X-Forwarded-Proto: the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it {untold}",
                fwd_sent_proto.as_deref().unwrap_or_default()
            ));
            note(Level::Fail, untold_says);
        }
        (None, None) if client_proto_removed => {
            problems.push(
                "no X-Forwarded-Proto arrives on plain http, and the balancer removes a client's (https, sent with the forged headers, did not arrive): the site must take a request without X-Forwarded-Proto for http"
                    .into(),
            );
        }
        (None, None) if r.forwarded_error.is_some() => {
            level = Level::Fail;
            problems.push(format!(
                "no X-Forwarded-Proto, and no Forwarded proto that can be read: the app {untold}"
            ));
            note(Level::Fail, untold_says);
        }
        (None, None) => {
            level = Level::Fail;
            problems.push(format!(
                "no X-Forwarded-Proto or Forwarded proto: the app {untold}"
            ));
            note(Level::Fail, untold_says);
        }
    }
    // Both headers carry a scheme and disagree: apps that read both differ in which wins (Rack 3
    // takes Forwarded, most others X-Forwarded-Proto), so the same balancer gives them different
    // schemes.
    if !reads_forwarded
        && let (Some(f), Some(x)) = (&fwd_proto, xfp_proto(r))
        && *f != x
    {
        level = level.max(Level::Warn);
        problems.push(format!(
            "Forwarded says proto={f}, X-Forwarded-Proto says {x}: apps that read both differ in which wins (Rack 3 takes Forwarded)"
        ));
        note(Level::Warn, "apps that read Forwarded see another scheme");
    }
    let xfp_port = r
        .values("x-forwarded-port")
        .last()
        .map(|s| s.trim().to_string());
    // At the scheme's own port, an app told the scheme in X-Forwarded-Proto and given a Host
    // without another port builds its links without a port (Rack, Symfony and Tomcat take 443
    // for https, Django and WordPress the Host as it came): X-Forwarded-Port adds nothing there.
    // So on plain http at port 80 for one that takes a request without a scheme for http.
    let port_implied = port == if https { 443 } else { 80 }
        && shape.is_none()
        && (xfp_proto(r).as_deref() == Some(want_proto) || client_proto_removed)
        && r.host
            .as_deref()
            .is_none_or(|h| host_port(h).is_none_or(|p| p == port));
    match &xfp_port {
        _ if reads_forwarded => {}
        Some(p) if *p == port.to_string() => {}
        None if port_implied => {}
        Some(p) => {
            level = level.max(Level::Warn);
            problems.push(format!(
                "X-Forwarded-Port is {p}, the request went to {port}: links and redirects the app builds point at port {p}"
            ));
            note(Level::Warn, "links the app builds point at the wrong port");
        }
        None if pp.is_none() => {
            level = level.max(Level::Warn);
            problems.push("no X-Forwarded-Port: absolute URLs may carry the backend's port".into());
            note(
                Level::Warn,
                "links the app builds may carry the backend's port",
            );
        }
        None => {}
    }
    // The Host the app sees is the one it builds links and redirects with:
    // nginx sends the upstream's address unless told (proxy_set_header Host).
    let want_host = t
        .echo_url
        .as_deref()
        .and_then(|u| Target::parse(u).ok())
        .map(|u| u.host);
    let mut host_wrong = false;
    if let Some(want) = &want_host {
        let same = |h: &str| host_name(h).eq_ignore_ascii_case(want);
        let got = r.host.as_deref().unwrap_or("");
        if !same(got) && !r.values("x-forwarded-host").last().is_some_and(|h| same(h)) {
            host_wrong = true;
            level = level.max(Level::Warn);
            problems.push(format!(
                "Host arrives as {got:?}, the request was for {want}: the app builds links and redirects with {got:?}"
            ));
            note(Level::Warn, "links the app builds point at the wrong host");
        }
    }
    let site_client = site_client(r, t.reads);
    let client = site_client.addr;
    // An IPv4 client written as IPv6 (::ffff:a.b.c.d): the balancer listens
    // on one dual-stack socket, and the app's IPv4 allow-lists, rate limits
    // and logs see an address that matches none of them.
    let mapped = match client {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped(),
        std::net::IpAddr::V4(_) => None,
    };
    if let Some(v4) = mapped {
        level = level.max(Level::Warn);
        problems.push(format!(
            "the client arrives as {client}, the IPv4-mapped form of {v4}: apps and allow-lists that compare IPv4 addresses do not match it"
        ));
        note(Level::Warn, "IPv4 allow-lists do not match the clients");
    }
    let balancer_as_client = site_client.source == ClientSource::Peer && pp.is_none();
    // The client the balancer names in Forwarded: the one a reader of Forwarded computes, else
    // the nearest for= where it is no address a reader takes (an IPv6 client written bare, or
    // quoted without brackets): the balancer names it all the same, and in Forwarded alone.
    let fwd_client = if r.client.source == ClientSource::Forwarded {
        Some(r.client.addr.to_string())
    } else if r.peer_trusted {
        fwd_meant.iter().rev().find_map(|e| match &e.r#for {
            Some(Node::Ip(ip)) => Some(ip.to_string()),
            Some(Node::Invalid(s)) => Some(format!("{s:?}")),
            _ => None,
        })
    } else {
        None
    };
    // the client named in Forwarded alone: no X-Forwarded-For or X-Real-IP came with it
    let client_only_forwarded = !reads_forwarded
        && balancer_as_client
        && fwd_client.is_some()
        && r.values("x-forwarded-for").is_empty()
        && r.values("x-real-ip").is_empty();
    if reads_forwarded && r.client.source != ClientSource::Forwarded && pp.is_none() {
        // whatever X-Forwarded-For or X-Real-IP say, the site sees the balancer
        level = Level::Fail;
        forwarded_missing = true;
        problems.push(format!(
            "no Forwarded for= the site can read (reads = \"forwarded\"): it sees the balancer ({}) as every client",
            r.peer.ip()
        ));
        note(Level::Fail, "the app sees the balancer as every client");
    } else if client_only_forwarded {
        level = Level::Fail;
        only_forwarded = true;
        problems.push(format!(
            "the balancer sends the client only in Forwarded (for={}), no X-Forwarded-For: the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it sees the balancer ({client}) as every client",
            fwd_client.as_deref().unwrap_or_default()
        ));
        note(Level::Fail, "the app sees the balancer as every client");
    } else if let Some(want) = t.expect_client {
        if client.to_canonical() != want.to_canonical() {
            level = Level::Fail;
            problems.push(if balancer_as_client {
                // the plain consequence: every visitor has the balancer's address
                format!(
                    "the app would see the balancer ({client}) as the client, not {want}: {}",
                    site_client.reason
                )
            } else {
                format!("client computed as {client}, expected {want}")
            });
            note(
                Level::Fail,
                if balancer_as_client {
                    "the app sees the balancer as every client"
                } else {
                    "the app sees the wrong client address"
                },
            );
        }
    } else if balancer_as_client {
        level = Level::Fail;
        problems.push(format!(
            "the app would see the balancer ({client}) as the client: {}",
            site_client.reason
        ));
        note(Level::Fail, "the app sees the balancer as every client");
    }
    // Both headers name a client and disagree: apps that read both differ in which they take.
    if !reads_forwarded
        && r.client.source == ClientSource::Forwarded
        && site_client.source != ClientSource::Peer
        && site_client.addr != r.client.addr
    {
        let other = if site_client.source == ClientSource::XRealIp {
            "X-Real-IP"
        } else {
            "X-Forwarded-For"
        };
        level = level.max(Level::Warn);
        problems.push(format!(
            "Forwarded gives the client {}, {other} gives {client}: apps that read both differ in which wins (Rack 3 takes Forwarded)",
            r.client.addr
        ));
        note(Level::Warn, "apps that read Forwarded see another client");
    }
    let summary = if problems.is_empty() {
        format!("client {client}, proto {want_proto}, port {port} arrive as expected")
    } else if level == Level::Ok {
        // what was found is no fault: the absent scheme the site must take for http
        format!(
            "client {client}, port {port} arrive as expected; {}",
            problems.join("; ")
        )
    } else {
        problems.join("; ")
    };
    let mut v = verdict(Check::Baseline, level, summary);
    if let Some((_, what)) = says {
        v = v.says(what);
    }
    let mut v = v
        .ev(format!("peer {}", r.peer))
        .ev(format!("client {} ({})", client, site_client.reason));
    // the other client, where apps that read Forwarded first compute another one
    if !reads_forwarded && r.client_without_forwarded.is_some() && site_client.addr != r.client.addr
    {
        v = v.ev(format!(
            "client for apps that read Forwarded first: {} ({})",
            r.client.addr, r.client.reason
        ));
    }
    if let Some(h) = pp {
        v = v.ev(h.summary());
    }
    for (n, val) in &r.forwarding {
        v = v.ev(format!("{n}: {val}"));
    }
    if fwd_fault.is_some() || forwarded_missing {
        v = v.fix(FIX_FORWARDED_V6);
    }
    if host_wrong {
        v = v.fix(
            "nginx: proxy_set_header Host $host; (nginx sends the upstream's address by default)",
        );
    }
    if mapped.is_some() {
        v = v.fix("nginx: listen on IPv4 and IPv6 apart (listen 443 ssl; listen [::]:443 ssl;), not one socket with ipv6only=off");
    }
    if shape.is_some() {
        v = v.fix("set X-Forwarded-Proto once, to one lower-case value: nginx: one proxy_set_header X-Forwarded-Proto $scheme (not also through include proxy_params); HAProxy: set-header, not add-header");
    }
    if only_forwarded {
        v = v.fix(FIX_ONLY_FORWARDED);
    }
    if level != Level::Ok && !reads_forwarded {
        v = v.fix(FIX_NGINX_HEADERS).fix(FIX_HAPROXY).fix(FIX_ALB);
    }
    v
}

/// What the balancer did with a header the client sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Dropped and set its own value (good).
    Replacing,
    /// Kept the client's value and added its own after it.
    Appending,
    /// Passed the client's value untouched (forgeable).
    Passing,
    /// Dropped it and sent none.
    Removing,
}

impl Handling {
    pub fn label(self) -> &'static str {
        match self {
            Handling::Replacing => "replacing",
            Handling::Appending => "appending",
            Handling::Passing => "passing through",
            Handling::Removing => "removing",
        }
    }
}

/// Classify one header: `sent` is what the client sent, `arrived` every
/// line of it that reached the echo.
pub fn classify(sent: &str, arrived: &[&str]) -> Handling {
    if arrived.is_empty() {
        return Handling::Removing;
    }
    let items: Vec<&str> = arrived
        .iter()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let want: Vec<&str> = sent
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items == want {
        Handling::Passing
    } else if !want.is_empty() && items.windows(want.len()).any(|w| w == want.as_slice()) {
        Handling::Appending
    } else {
        Handling::Replacing
    }
}

/// This host's own address, when the client walk went past it as a trusted hop: the app
/// trusts this host's address (the balancer runs here, or it is in `trusted_proxies` with it),
/// so it walked on to what the probe itself sent. If the balancer appended it, a visitor's
/// address would stand there and stop the walk; if a hop in front passed the client's header on
/// and the next one appended its own (same) address, a visitor's forged value would be believed
/// too. From this host the two look alike: the forged address is not judged from here.
/// `client` is the one computed from `r` that is looked at: the site's, or the one apps that
/// read `Forwarded` first compute.
fn probe_passed_as_trusted(
    ex: &Exchange,
    r: &EchoReply,
    client: &ClientAddr,
) -> Option<std::net::IpAddr> {
    let own = ex.local_addr?.ip().to_canonical();
    let chain: Vec<Option<std::net::IpAddr>> = match client.source {
        ClientSource::XForwardedFor => r.xff.iter().map(Node::ip).collect(),
        ClientSource::Forwarded => r
            .forwarded
            .iter()
            .map(|e| e.r#for.as_ref().and_then(Node::ip))
            .collect(),
        ClientSource::Peer | ClientSource::XRealIp => return None,
    };
    let canonical = |n: &Option<std::net::IpAddr>| n.map(|ip| ip.to_canonical());
    let own_at = chain.iter().rposition(|n| canonical(n) == Some(own))?;
    let client = client.addr.to_canonical();
    chain[..own_at]
        .iter()
        .any(|n| canonical(n) == Some(client))
        .then_some(own)
}

/// What [`probe_passed_as_trusted`] means, for the evidence.
fn probe_trusted_note(own: std::net::IpAddr) -> String {
    format!(
        "this host's own address ({own}) is among the trusted proxies: the app believes what this host sends, so a forged address from here says nothing of one from a visitor"
    )
}

/// How to judge forged addresses when this host is trusted.
const FIX_PROBE_TRUSTED: &str = "to judge forged addresses, probe from an address the app does not trust: resolve = the balancer's public address rather than loopback, or run the probe on another host";

fn judge_forged(
    pair: &(Exchange, Result<EchoReply, String>),
    https: bool,
    reads: SiteReads,
) -> Verdict {
    let r = match &pair.1 {
        Ok(r) => r,
        Err(_) if pair.0.cut => return cut_short(Check::Forged),
        Err(e) => return verdict(Check::Forged, Level::Fail, e),
    };
    // A Forwarded whose one fault is an IPv6 address written bare is judged as the balancer
    // meant it, as the baseline reads it: what it did with the client's Forwarded is there all
    // the same (and an IPv4 client's address needs no brackets). The fault is said apart.
    let meant = read_as_meant(r);
    let bare_ipv6 = meant.as_ref().and(r.forwarded_error.as_deref());
    let r = meant.as_ref().unwrap_or(r);
    let sent = forged_headers(https);
    let mut level = Level::Ok;
    let mut parts = Vec::new();
    // replacing or removing what the client sent is right: said after what is not
    let mut fine = Vec::new();
    let mut evidence = Vec::new();
    for (name, value) in &sent {
        let lname = name.to_ascii_lowercase();
        let arrived = r.values(&lname);
        let h = classify(value, &arrived);
        match h {
            Handling::Replacing | Handling::Removing => fine.push(format!("{name} {}", h.label())),
            Handling::Appending | Handling::Passing => parts.push(format!("{name} {}", h.label())),
        }
        evidence.push(format!(
            "{name}: sent {value:?}, arrived {}",
            if arrived.is_empty() {
                "nothing".to_string()
            } else {
                arrived
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            }
        ));
        if h == Handling::Passing {
            level = level.max(Level::Warn);
        }
    }
    // a site that reads Forwarded alone believes no address or scheme from X-Forwarded-*; one
    // that reads X-Forwarded-* none from Forwarded
    let reads_forwarded = reads == SiteReads::Forwarded;
    let site_client = site_client(r, reads);
    let is_forged = |c: &ClientAddr| c.addr.to_string() == FORGED_IP;
    // believed from this host, which the app trusts as a proxy: not judged for visitors
    let not_judged =
        probe_passed_as_trusted(&pair.0, r, site_client).filter(|_| is_forged(site_client));
    let forged_ip = is_forged(site_client) && not_judged.is_none();
    // The forged address came through `Forwarded` alone: an application that reads
    // X-Forwarded-For, as the site behind the balancer does, gets the right one. The header
    // passing is worth fixing (an application that reads RFC 7239 first believes it), not an
    // address the site trusts.
    let without_forwarded = r.client_without_forwarded.as_ref().filter(|c| {
        is_forged(&r.client)
            && probe_passed_as_trusted(&pair.0, r, &r.client).is_none()
            && !is_forged(c)
    });
    let believed_ip = forged_ip
        && without_forwarded.is_none()
        && (!reads_forwarded || r.client.source == ClientSource::Forwarded);
    let forged_proto = if https { "http" } else { "https" };
    let scheme_without_forwarded = xfp_proto(r);
    let forged_in_forwarded = r.peer_trusted && forwarded_proto(r).as_deref() == Some(forged_proto);
    let forged_in_xfp = r.peer_trusted && scheme_without_forwarded.as_deref() == Some(forged_proto);
    // as for the address: a forged scheme in `Forwarded` alone
    let scheme_only_forwarded = forged_in_forwarded && !forged_in_xfp;
    let believed_proto = if reads_forwarded {
        forged_in_forwarded && forged_in_xfp
    } else {
        forged_in_xfp
    };
    let mut believed = Vec::new();
    if believed_ip {
        believed.push(format!("its address ({FORGED_IP} was believed)"));
    }
    // Kept in front of the balancer's own value (HAProxy add-header, Apache
    // RequestHeader add): apps that take the first value believe it.
    let xfp = xfp_values(r);
    let believed_first = r.peer_trusted
        && !reads_forwarded
        && !believed_proto
        && xfp.len() > 1
        && xfp.first() == Some(&forged_proto);
    if believed_proto {
        believed.push(format!("the scheme ({forged_proto} was believed)"));
    }
    if believed_first {
        believed.push(format!(
            "the scheme for apps that take the first X-Forwarded-Proto value, as Django, Express and Symfony do ({forged_proto} arrives first)"
        ));
    }
    let mut summary = match (parts.is_empty(), fine.is_empty()) {
        (true, _) => fine.join(", "),
        (false, true) => parts.join(", "),
        (false, false) => format!("{} (right: {})", parts.join(", "), fine.join(", ")),
    };
    // the site reads Forwarded alone (`reads = "forwarded"`): what came through it is believed
    let forwarded_read = reads_forwarded && (without_forwarded.is_some() || scheme_only_forwarded);
    if forwarded_read {
        if without_forwarded.is_some() {
            believed.push(format!(
                "its address in Forwarded, which the site reads ({FORGED_IP} was believed)"
            ));
        }
        if scheme_only_forwarded {
            believed.push(format!(
                "the scheme in Forwarded, which the site reads ({forged_proto} was believed)"
            ));
        }
    }
    if !believed.is_empty() {
        level = Level::Fail;
        summary = format!("a client can forge {}: {summary}", believed.join(" and "));
    } else if without_forwarded.is_some() || scheme_only_forwarded {
        let mut taken = Vec::new();
        if let Some(c) = without_forwarded {
            taken.push(format!(
                "the forged address ({FORGED_IP}; X-Forwarded-For gives {})",
                c.addr
            ));
        }
        if scheme_only_forwarded {
            taken.push(format!(
                "the forged scheme ({forged_proto}; X-Forwarded-Proto gives {})",
                scheme_without_forwarded.as_deref().unwrap_or("none")
            ));
        }
        level = level.max(Level::Warn);
        summary = format!(
            "a client's Forwarded header reaches the app: apps that read it before the X-Forwarded headers take {}: {summary}",
            taken.join(" and ")
        );
    }
    // nothing else wrong: the one thing left to say is that the address was not judged
    let only_not_judged = not_judged.is_some() && level == Level::Ok;
    if let Some(own) = not_judged {
        level = level.max(Level::Warn);
        summary = format!(
            "the forged address was believed from this host, whose address ({own}) the app trusts as a proxy: not judged for visitors: {summary}"
        );
    }
    // what the balancer does with the headers a client sends, before its own Forwarded's fault
    let handled = level;
    if let Some(e) = bare_ipv6 {
        level = level.max(Level::Warn);
        summary = format!(
            "{summary}; Forwarded is malformed ({e}), an IPv6 address written bare (IPv6 goes quoted and in brackets: for=\"[2001:db8::1]\"): apps that read it reject it whole; judged here as the balancer meant it"
        );
    }
    // the header the app took the forged address from names the hole
    let via = match site_client.source {
        ClientSource::Forwarded => "Forwarded header",
        ClientSource::XRealIp => "X-Real-IP",
        ClientSource::XForwardedFor | ClientSource::Peer => "X-Forwarded-For",
    };
    let says = if forwarded_read {
        Some("the app trusts a forged Forwarded header".to_string())
    } else if believed_ip {
        Some(format!("the app trusts a forged {via}"))
    } else if believed_proto && reads_forwarded {
        Some("the app trusts a forged scheme (Forwarded)".into())
    } else if believed_proto {
        Some("the app trusts a forged scheme (X-Forwarded-Proto)".into())
    } else if believed_first {
        Some("apps that read the first X-Forwarded-Proto trust a forged one".into())
    } else if without_forwarded.is_some() || scheme_only_forwarded {
        Some("apps that read Forwarded trust a forged one".into())
    } else if only_not_judged {
        Some("forged addresses not judged: this host is a trusted proxy".into())
    } else if handled == Level::Ok && bare_ipv6.is_some() {
        Some("apps that read Forwarded get no client from it".into())
    } else if level == Level::Warn {
        Some("forwarding headers a client sends pass the balancer".into())
    } else {
        None
    };
    let mut v = verdict(Check::Forged, level, summary);
    if let Some(s) = says {
        v = v.says(s);
    }
    let mut v = v.ev(format!(
        "client computed as {} ({})",
        r.client.addr, r.client.reason
    ));
    if let Some(own) = not_judged {
        v = v.ev(probe_trusted_note(own)).fix(FIX_PROBE_TRUSTED);
    }
    if let Some(c) = &r.client_without_forwarded {
        v = v.ev(format!(
            "client without Forwarded: {} ({})",
            c.addr, c.reason
        ));
    }
    for e in evidence {
        v = v.ev(e);
    }
    let xff = classify(FORGED_IP, &r.values("x-forwarded-for"));
    if xff == Handling::Appending {
        v = v
            .fix(
                "appending: the app must take only the rightmost untrusted hop, never the leftmost",
            )
            .fix(FIX_REALIP);
    }
    if only_not_judged {
        // nothing found wrong from here: no change to the balancer to suggest
    } else if handled != Level::Ok && reads_forwarded {
        // the site reads Forwarded: the balancer sets it, in place of the client's
        v = v
            .fix("set Forwarded at the balancer, in place of the client's (HAProxy 2.7 and later: option forwarded)")
            .fix(FIX_FORWARDED_V6);
    } else if handled != Level::Ok {
        v = v
            .fix("set, do not pass: nginx proxy_set_header X-Forwarded-For $remote_addr (first proxy) or $proxy_add_x_forwarded_for with realip trust; proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header Forwarded \"\"; proxy_set_header X-Real-IP $remote_addr;")
            .fix(FIX_HAPROXY)
            .fix(FIX_ALB);
    }
    if bare_ipv6.is_some() && !v.fix.iter().any(|f| f.as_str() == FIX_FORWARDED_V6) {
        v = v.fix(FIX_FORWARDED_V6);
    }
    v
}

fn judge_two_xff(pair: &(Exchange, Result<EchoReply, String>), reads: SiteReads) -> Verdict {
    if reads == SiteReads::Forwarded {
        return verdict(
            Check::TwoXff,
            Level::Skip,
            "the site reads Forwarded (reads = \"forwarded\"), not X-Forwarded-For",
        );
    }
    let r = match &pair.1 {
        Ok(r) => r,
        Err(_) if pair.0.cut => return cut_short(Check::TwoXff),
        Err(e) => return verdict(Check::TwoXff, Level::Fail, e),
    };
    let lines = r.values("x-forwarded-for");
    let has = |ip: &str| {
        lines
            .iter()
            .position(|l| l.split(',').any(|p| p.trim() == ip))
    };
    let (a, b) = (has(TWO_LINES[0]), has(TWO_LINES[1]));
    let mut v = match (a, b) {
        (None, None) => verdict(
            Check::TwoXff,
            Level::Ok,
            "both lines dropped: the balancer sets its own value",
        ),
        (Some(i), Some(j)) if i == j => {
            verdict(Check::TwoXff, Level::Ok, "merged into one line, in order")
        }
        (Some(_), Some(_)) => verdict(
            Check::TwoXff,
            Level::Warn,
            "passed on as separate lines: an app that reads only one line sees a different chain",
        )
        .fix(
            "merge or replace at the balancer (nginx $proxy_add_x_forwarded_for merges the lines)",
        ),
        _ => verdict(
            Check::TwoXff,
            Level::Warn,
            "only one of the two lines arrived: the balancer keeps one line and drops the rest",
        ),
    };
    // the client the site computes from X-Forwarded-For, whatever a Forwarded beside it says
    let site_client = site_client(r, reads);
    let client = site_client.addr.to_string();
    let probe_trusted = probe_passed_as_trusted(&pair.0, r, site_client);
    if let Some(own) = probe_trusted.filter(|_| TWO_LINES.contains(&client.as_str())) {
        v.level = v.level.max(Level::Warn);
        v.summary.push(&format!(
            " (client {client} believed from this host, a trusted proxy: not judged for visitors)"
        ));
        v = v
            .says("forged addresses not judged: this host is a trusted proxy")
            .ev(probe_trusted_note(own))
            .fix(FIX_PROBE_TRUSTED);
    } else if TWO_LINES.contains(&client.as_str()) {
        v.level = Level::Fail;
        v.summary.push(&format!(" (client {client} was believed)"));
        v = v.says("the app trusts a forged X-Forwarded-For line");
    }
    for l in &lines {
        v = v.ev(format!("x-forwarded-for: {l}"));
    }
    v.ev(format!(
        "client computed as {} ({})",
        site_client.addr, site_client.reason
    ))
}

fn judge_backend(run: &RawRun) -> Verdict {
    match &run.backend {
        None => verdict(Check::Backend, Level::Skip, "no backend_url: direct access not checked"),
        Some(e) if e.cut => cut_short(Check::Backend),
        // reaching this host's own loopback says nothing about what others can reach
        Some(e) if is_loopback_url(&e.url) => verdict(
            Check::Backend,
            Level::Skip,
            format!(
                "{} is on loopback: only this host reaches it, so direct access from others is not checked",
                e.url
            ),
        )
        .fix("set backend_url to the address others would use (the host's private or public address)"),
        Some(e) => match (e.status, &e.error) {
            (Some(s), _) => verdict(
                Check::Backend,
                Level::Fail,
                format!("{} answers directly (HTTP {s}): anyone can bypass the balancer and forge every header", e.url),
            )
            .says("anyone can bypass the balancer and forge every header")
            .fix("bind the app to a private address or loopback, or allow only the balancer (security group, nginx allow <lb>; deny all;)"),
            (None, Some(err)) => verdict(Check::Backend, Level::Ok, format!("not reachable from here: {err}")),
            (None, None) => verdict(Check::Backend, Level::Ok, "no answer"),
        },
    }
}

/// Does `url` name a loopback host (`localhost`, 127.0.0.0/8, `[::1]`)?
fn is_loopback_url(url: &str) -> bool {
    let Some(host) = url
        .parse::<hyper::Uri>()
        .ok()
        .and_then(|u| u.host().map(str::to_owned))
    else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::forwarded::Node;

    fn reply(forwarding: &[(&str, &str)], client: &str, source: ClientSource) -> EchoReply {
        EchoReply {
            at: 0,
            peer: "127.0.0.3:5555".parse().unwrap(),
            local: "127.0.0.1:8099".parse().unwrap(),
            proxy_protocol: None,
            method: "GET".into(),
            path: "/".into(),
            host: Some("www.example.com".into()),
            forwarding: forwarding
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            forwarding_order: crate::probe::echo::HeaderOrder::Arrival,
            forwarding_lines: (1..=forwarding.len()).collect(),
            xff: vec![Node::Ip(client.parse().unwrap())],
            forwarded: vec![],
            forwarded_error: None,
            client: ClientAddr {
                addr: client.parse().unwrap(),
                source,
                reason: "test".into(),
            },
            client_without_forwarded: None,
            client_as_meant: None,
            peer_trusted: true,
            header_count: 3,
        }
    }

    fn target() -> TargetConfig {
        TargetConfig {
            name: "www".into(),
            url: "https://www.example.com/".into(),
            resolve: None,
            expect_final: None,
            http_url: None,
            echo_url: Some("https://www.example.com/echo".into()),
            backend_url: None,
            expect_client: None,
            ca_file: None,
            reads: Default::default(),
        }
    }

    #[test]
    fn classification_table() {
        let table: &[(&str, &[&str], Handling)] = &[
            ("203.0.113.66", &[], Handling::Removing),
            ("203.0.113.66", &["203.0.113.66"], Handling::Passing),
            (
                "203.0.113.66",
                &["203.0.113.66, 127.0.0.1"],
                Handling::Appending,
            ),
            (
                "203.0.113.66",
                &["203.0.113.66", "127.0.0.1"],
                Handling::Appending,
            ),
            ("203.0.113.66", &["127.0.0.1"], Handling::Replacing),
            ("http", &["https"], Handling::Replacing),
            ("http", &["http"], Handling::Passing),
        ];
        for (sent, arrived, want) in table {
            assert_eq!(classify(sent, arrived), *want, "{sent} {arrived:?}");
        }
    }

    #[test]
    fn forged_and_believed_is_fail() {
        let r = reply(
            &[
                ("x-forwarded-for", "203.0.113.66"),
                ("x-forwarded-proto", "http"),
            ],
            "203.0.113.66",
            ClientSource::XForwardedFor,
        );
        let v = judge_forged(&(Exchange::default(), Ok(r)), true, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Fail);
        assert!(v.summary.contains("forge its address"), "{}", v.summary);
        assert!(
            v.summary.contains("and the scheme (http was believed)"),
            "{}",
            v.summary
        );
        assert!(v.fix.iter().any(|f| f.contains("proxy_set_header")));
    }

    /// What arrives behind a balancer (127.0.0.3, trusted) that sets X-Forwarded-For and
    /// X-Forwarded-Proto itself, with what the client sent in `Forwarded` passed on or not,
    /// as the echo listener computes it.
    fn behind_balancer(forwarding: &[(&str, &str)]) -> EchoReply {
        let cfg = crate::probe::config::EchoConfig {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
            ..Default::default()
        };
        crate::probe::echo::build_reply(
            crate::probe::echo::ReplyParts {
                at: 0,
                peer: "127.0.0.3:5555".parse().unwrap(),
                local: "127.0.0.1:8099".parse().unwrap(),
                pp: None,
                method: "GET".into(),
                path: "/".into(),
                host: Some("www.example.com".into()),
                forwarding: forwarding
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                forwarding_order: crate::probe::echo::HeaderOrder::Arrival,
                forwarding_lines: (1..=forwarding.len()).collect(),
                header_count: 3,
            },
            &cfg,
        )
    }

    /// A site that reads Forwarded alone (`reads = "forwarded"`): a client's Forwarded header
    /// the balancer passes on is believed, so it is a failure with the fix that sets Forwarded
    /// at the balancer (not the one that clears it, which would leave the site without it); the
    /// two X-Forwarded-For lines do not reach what it reads.
    #[test]
    fn a_site_that_reads_forwarded_believes_a_forged_one() {
        let forwarded_passed = behind_balancer(&[
            ("forwarded", "for=203.0.113.66;proto=http"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
        ]);
        let pair = (Exchange::default(), Ok(forwarded_passed));
        let v = judge_forged(&pair, true, SiteReads::Forwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.consequence.as_deref(),
            Some("the app trusts a forged Forwarded header")
        );
        assert!(
            v.summary.starts_with(
                "a client can forge its address in Forwarded, which the site reads \
                 (203.0.113.66 was believed) and the scheme in Forwarded, which the site reads \
                 (http was believed)"
            ),
            "{}",
            v.summary
        );
        assert!(
            v.fix[0].starts_with("set Forwarded at the balancer, in place of the client's"),
            "{:?}",
            v.fix
        );
        assert!(
            v.fix
                .iter()
                .any(|f| f.contains("proxy_set_header Forwarded \"$forwarded_for")),
            "{:?}",
            v.fix
        );
        assert!(
            !v.fix
                .iter()
                .any(|f| f.contains("proxy_set_header Forwarded \"\"")),
            "{:?}",
            v.fix
        );
        let two = (Exchange::default(), Ok(behind_balancer(&[])));
        assert_eq!(judge_two_xff(&two, SiteReads::Forwarded).level, Level::Skip);
        // the other way round: a forged X-Forwarded-For and -Proto passed on, Forwarded not,
        // fail a site that reads them, and only warn (headers passing) for one that does not
        let x_passed = behind_balancer(&[
            ("x-forwarded-for", "203.0.113.66"),
            ("x-forwarded-proto", "http"),
        ]);
        let pair = (Exchange::default(), Ok(x_passed));
        let v = judge_forged(&pair, true, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        let v = judge_forged(&pair, true, SiteReads::Forwarded);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert_eq!(
            v.consequence.as_deref(),
            Some("forwarding headers a client sends pass the balancer")
        );
    }

    /// A site that reads Forwarded alone, behind a balancer that sets only X-Forwarded-*: it
    /// sees the balancer as every client and every request as http, where the same headers
    /// are all a site that reads X-Forwarded-* needs. With Forwarded set by the balancer, it is
    /// all right, and the missing X-Forwarded-Port is not its concern.
    #[test]
    fn a_site_that_reads_forwarded_needs_it_from_the_balancer() {
        let mut t = target();
        let x_only = behind_balancer(&[
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ]);
        let pair = (Exchange::default(), Ok(x_only));
        assert_eq!(judge_baseline(&t, &pair, None, true, 443).level, Level::Ok);
        t.reads = SiteReads::Forwarded;
        let v = judge_baseline(&t, &pair, None, true, 443);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary
                .contains("no Forwarded proto: the site reads Forwarded (reads = \"forwarded\")"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("it sees the balancer (127.0.0.3) as every client"),
            "{}",
            v.summary
        );
        assert!(
            v.fix
                .iter()
                .any(|f| f.contains("proxy_set_header Forwarded"))
        );
        assert!(
            !v.fix
                .iter()
                .any(|f| f.contains("X-Forwarded-Port $server_port")),
            "{:?}",
            v.fix
        );
        let set = behind_balancer(&[("forwarded", "for=198.51.100.20;proto=https")]);
        let v = judge_baseline(&t, &(Exchange::default(), Ok(set)), None, true, 443);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        assert!(v.summary.contains("client 198.51.100.20"), "{}", v.summary);
    }

    /// The site reads X-Forwarded-For: a `Forwarded` header the balancer passes on is a
    /// warning for applications that read it, not a forged address the site believes. Forged
    /// in X-Forwarded-For too, it is the failure it always was, named by both headers.
    #[test]
    fn a_forged_forwarded_header_alone_warns_for_apps_that_read_it() {
        let forwarded_passed = behind_balancer(&[
            ("forwarded", "for=203.0.113.66;proto=http"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(forwarded_passed.client.source, ClientSource::Forwarded);
        let v = judge_forged(
            &(Exchange::default(), Ok(forwarded_passed)),
            true,
            SiteReads::XForwarded,
        );
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(
            v.summary.starts_with(
                "a client's Forwarded header reaches the app: apps that read it before the \
                 X-Forwarded headers take the forged address (203.0.113.66; X-Forwarded-For \
                 gives 198.51.100.20) and the forged scheme (http; X-Forwarded-Proto gives \
                 https): Forwarded passing through"
            ),
            "{}",
            v.summary
        );
        assert_eq!(
            v.consequence.as_deref(),
            Some("apps that read Forwarded trust a forged one")
        );
        assert!(
            v.evidence
                .iter()
                .any(|e| e.starts_with("client without Forwarded: 198.51.100.20")),
            "{:?}",
            v.evidence
        );
        assert!(
            v.fix
                .iter()
                .any(|f| f.contains("proxy_set_header Forwarded \"\"")),
            "{:?}",
            v.fix
        );

        let both_passed = behind_balancer(&[
            ("forwarded", "for=203.0.113.66"),
            ("x-forwarded-for", "203.0.113.66"),
        ]);
        let v = judge_forged(
            &(Exchange::default(), Ok(both_passed)),
            true,
            SiteReads::XForwarded,
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.consequence.as_deref(),
            Some("the app trusts a forged X-Forwarded-For")
        );
    }

    /// A balancer that appends its element to the client's Forwarded, writing an IPv6 client
    /// bare (nginx: `"$http_forwarded, for=$remote_addr"`): the header cannot be read, but the
    /// client's forged element is kept all the same, and an IPv4 client's address needs no
    /// brackets. The forged check reads it as meant, as the baseline does, and judges it as the
    /// same header written right; the bare IPv6 is said apart, with its own fix. A balancer that
    /// replaces the client's Forwarded with such an element of its own has only that fault.
    #[test]
    fn a_bare_ipv6_appended_to_a_forged_forwarded_is_judged_as_meant() {
        let arrived = |forwarded: &'static str| {
            behind_balancer(&[
                ("x-forwarded-for", "203.0.113.66, 2001:db8::1"),
                ("x-forwarded-proto", "https"),
                ("forwarded", forwarded),
                ("x-real-ip", "2001:db8::1"),
            ])
        };
        let right = arrived(r#"for=203.0.113.66;proto=http, for="[2001:db8::1]""#);
        let bare = arrived("for=203.0.113.66;proto=http, for=2001:db8::1");
        assert!(bare.forwarded_error.is_some(), "{bare:?}");
        let judged =
            |r: &EchoReply, reads| judge_forged(&(Exchange::default(), Ok(r.clone())), true, reads);
        let fault = "; Forwarded is malformed (value is neither a token nor a quoted string: \
                     \"2001:db8::1\"), an IPv6 address written bare (IPv6 goes quoted and in \
                     brackets: for=\"[2001:db8::1]\"): apps that read it reject it whole; judged \
                     here as the balancer meant it";
        // the site reads X-Forwarded-*: apps that read Forwarded first take the forged scheme
        let want = judged(&right, SiteReads::XForwarded);
        assert_eq!(want.level, Level::Warn, "{want:?}");
        assert_eq!(
            want.summary.as_str(),
            "a client's Forwarded header reaches the app: apps that read it before the \
             X-Forwarded headers take the forged scheme (http; X-Forwarded-Proto gives https): \
             X-Forwarded-For appending, Forwarded appending (right: X-Forwarded-Proto replacing, \
             X-Real-IP replacing)"
        );
        let v = judged(&bare, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert_eq!(v.summary.as_str(), format!("{}{fault}", want.summary));
        assert_eq!(v.consequence, want.consequence);
        assert_eq!(&v.fix[..want.fix.len()], &want.fix[..]);
        assert_eq!(
            v.fix
                .iter()
                .filter(|f| f.as_str() == FIX_FORWARDED_V6)
                .count(),
            1,
            "{:?}",
            v.fix
        );
        assert!(
            v.evidence.iter().any(|e| e.as_str()
                == "client computed as 2001:db8::1 (first untrusted address in Forwarded (its \
                    bare IPv6 bracketed), right to left)"),
            "{:?}",
            v.evidence
        );
        // the site reads Forwarded: it believes the forged scheme, as from the header written right
        let want = judged(&right, SiteReads::Forwarded);
        assert_eq!(want.level, Level::Fail, "{want:?}");
        let v = judged(&bare, SiteReads::Forwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(v.summary.as_str(), format!("{}{fault}", want.summary));
        assert_eq!(v.consequence, want.consequence);
        assert_eq!(
            v.consequence.as_deref(),
            Some("the app trusts a forged Forwarded header")
        );
        assert_eq!(v.fix, want.fix);
        // the client's Forwarded replaced by the balancer's own, bare: only the fault
        let replaced = behind_balancer(&[
            ("x-forwarded-for", "2001:db8::1"),
            ("x-forwarded-proto", "https"),
            ("forwarded", "for=2001:db8::1;proto=https"),
            ("x-real-ip", "2001:db8::1"),
        ]);
        let v = judged(&replaced, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(
            v.summary.starts_with(
                "X-Forwarded-For replacing, X-Forwarded-Proto replacing, Forwarded replacing, \
                 X-Real-IP replacing; Forwarded is malformed"
            ),
            "{}",
            v.summary
        );
        assert_eq!(
            v.consequence.as_deref(),
            Some("apps that read Forwarded get no client from it")
        );
        assert_eq!(v.fix, vec![Clean::new(FIX_FORWARDED_V6)]);
    }

    /// A balancer that sets Forwarded itself, in place of the client's, but passes
    /// X-Forwarded-For, -Proto and X-Real-IP on as the client sent them: a site that reads
    /// X-Forwarded-* believes the forged address and scheme, whatever the right Forwarded beside
    /// them says, and so do its two X-Forwarded-For lines. A site that reads Forwarded is not
    /// fooled: the headers only pass.
    #[test]
    fn forged_x_forwarded_headers_beside_a_right_forwarded_fail_a_site_that_reads_them() {
        let x_passed = behind_balancer(&[
            ("forwarded", "for=198.51.100.20;proto=https"),
            ("x-forwarded-for", "203.0.113.66"),
            ("x-forwarded-proto", "http"),
            ("x-real-ip", "203.0.113.66"),
        ]);
        let pair = (Exchange::default(), Ok(x_passed));
        let v = judge_forged(&pair, true, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with(
                "a client can forge its address (203.0.113.66 was believed) and the scheme \
                 (http was believed): X-Forwarded-For passing through"
            ),
            "{}",
            v.summary
        );
        assert_eq!(
            v.consequence.as_deref(),
            Some("the app trusts a forged X-Forwarded-For")
        );
        let v = judge_forged(&pair, true, SiteReads::Forwarded);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert_eq!(
            v.consequence.as_deref(),
            Some("forwarding headers a client sends pass the balancer")
        );
        // the client's scheme kept in front of the balancer's: apps that take the first value
        // believe it, a Forwarded proto beside it or not
        let first = behind_balancer(&[
            ("forwarded", "for=198.51.100.20;proto=https"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-proto", "https"),
        ]);
        let v = judge_forged(
            &(Exchange::default(), Ok(first)),
            true,
            SiteReads::XForwarded,
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with(
                "a client can forge the scheme for apps that take the first X-Forwarded-Proto \
                 value"
            ),
            "{}",
            v.summary
        );
        // two X-Forwarded-For lines passed on: the site walks them, not Forwarded
        let two = behind_balancer(&[
            ("forwarded", "for=198.51.100.20;proto=https"),
            ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "198.51.100.2"),
        ]);
        let v = judge_two_xff(&(Exchange::default(), Ok(two)), SiteReads::XForwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "passed on as separate lines: an app that reads only one line sees a different \
             chain (client 198.51.100.2 was believed)"
        );
        assert_eq!(
            v.consequence.as_deref(),
            Some("the app trusts a forged X-Forwarded-For line")
        );
    }

    #[test]
    fn scheme_kept_in_front_of_the_balancers_is_believed_by_first_value_apps() {
        let r = reply(
            &[
                ("x-forwarded-for", "203.0.113.66, 127.0.0.1"),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-proto", "https"),
            ],
            "127.0.0.1",
            ClientSource::XForwardedFor,
        );
        let v = judge_forged(&(Exchange::default(), Ok(r)), true, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.contains(
                "a client can forge the scheme for apps that take the first X-Forwarded-Proto value"
            ),
            "{}",
            v.summary
        );
        assert!(
            v.summary.contains("X-Forwarded-Proto appending"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn appended_but_not_believed_is_ok_with_advice() {
        let r = reply(
            &[
                ("x-forwarded-for", "203.0.113.66, 127.0.0.1"),
                ("x-forwarded-proto", "https"),
                ("x-real-ip", "127.0.0.1"),
            ],
            "127.0.0.1",
            ClientSource::XForwardedFor,
        );
        let v = judge_forged(&(Exchange::default(), Ok(r)), true, SiteReads::XForwarded);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        assert!(
            v.summary.contains("X-Forwarded-For appending"),
            "{}",
            v.summary
        );
        assert!(
            v.summary.contains("X-Forwarded-Proto replacing"),
            "{}",
            v.summary
        );
        assert!(v.summary.contains("Forwarded removing"), "{}", v.summary);
        // what needs a look first, what is right after it
        assert!(
            v.summary.starts_with("X-Forwarded-For appending (right: "),
            "{}",
            v.summary
        );
        assert!(v.fix.iter().any(|f| f.contains("rightmost")));
    }

    /// The baseline of a site that reads `reads`, behind the balancer of [`behind_balancer`]
    /// that sends `forwarding`, for an https request to 443.
    fn baseline_for(reads: SiteReads, forwarding: &[(&str, &str)]) -> Verdict {
        let mut t = target();
        t.reads = reads;
        let pair = (Exchange::default(), Ok(behind_balancer(forwarding)));
        judge_baseline(&t, &pair, None, true, 443)
    }

    /// A balancer that sends only Forwarded: a site that reads X-Forwarded-* (Django, Express,
    /// Laravel, Rack 2) sees every request as http and the balancer as every client. The
    /// verdict says that only Forwarded came, and the two ways out; a site that reads
    /// Forwarded is all right behind it.
    #[test]
    fn a_balancer_that_sends_only_forwarded_fails_a_site_that_reads_x_forwarded() {
        let only = [
            ("forwarded", "for=198.51.100.20;proto=https"),
            ("x-forwarded-port", "443"),
        ];
        let v = baseline_for(SiteReads::XForwarded, &only);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "the balancer sends the scheme only in Forwarded (proto=https), no X-Forwarded-Proto: \
             the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it thinks every request \
             is http; the balancer sends the client only in Forwarded (for=198.51.100.20), no \
             X-Forwarded-For: the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it sees \
             the balancer (127.0.0.3) as every client"
        );
        assert_eq!(v.plain(), "the app will not see HTTPS");
        assert_eq!(
            v.fix[0].as_str(),
            "the balancer sends only Forwarded: if the site reads Forwarded, set reads = \
             \"forwarded\" for this target; otherwise make the balancer send X-Forwarded-For and \
             X-Forwarded-Proto too (nginx: proxy_set_header X-Forwarded-For \
             $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;)"
        );
        // the client the site computes is the evidence, and the one Forwarded gives beside it
        assert!(
            v.evidence
                .iter()
                .any(|e| e.starts_with("client 127.0.0.3 (")),
            "{v:?}"
        );
        assert!(
            v.evidence.iter().any(|e| e.as_str()
                == "client for apps that read Forwarded first: 198.51.100.20 (first untrusted address in Forwarded, right to left)"),
            "{v:?}"
        );
        // the exchange shown beside the verdicts names the same client
        let pair = (Exchange::default(), Ok(behind_balancer(&only)));
        assert_eq!(
            echo_view("baseline", &pair, SiteReads::XForwarded)
                .client
                .as_ref()
                .map(|c| c.as_str()),
            Some("127.0.0.3 (trusted peer sent no X-Forwarded-For or X-Real-IP)")
        );
        assert_eq!(
            echo_view("baseline", &pair, SiteReads::Forwarded)
                .client
                .as_ref()
                .map(|c| c.as_str()),
            Some("198.51.100.20 (first untrusted address in Forwarded, right to left)")
        );
        // an expected client changes nothing: the site still sees the balancer
        let mut t = target();
        t.expect_client = Some("198.51.100.20".parse().unwrap());
        let v = judge_baseline(
            &t,
            &(Exchange::default(), Ok(behind_balancer(&only))),
            None,
            true,
            443,
        );
        assert!(
            v.summary
                .contains("the balancer sends the client only in Forwarded (for=198.51.100.20)"),
            "{}",
            v.summary
        );
        // a site that reads Forwarded reads it all
        let v = baseline_for(SiteReads::Forwarded, &only);
        assert_eq!(v.level, Level::Ok, "{v:?}");
    }

    /// A Forwarded header whose one fault is an IPv6 client written bare (`for=2001:db8::1`, as
    /// nginx's `for=$remote_addr` writes one), with no X-Forwarded-* beside it: a site that reads
    /// X-Forwarded-* gets neither the scheme nor the client from it, as from a well-formed
    /// Forwarded alone, and is told so with the same fix; the bare IPv6 is said apart, with its
    /// own fix. A site that reads Forwarded loses both to the fault, as before; a header with
    /// another fault gives no scheme to name.
    #[test]
    fn a_bare_ipv6_in_forwarded_alone_is_the_only_forwarded_failure() {
        let only = [
            ("forwarded", "for=2001:db8::1;proto=https"),
            ("x-forwarded-port", "443"),
        ];
        let v = baseline_for(SiteReads::XForwarded, &only);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "Forwarded is malformed (value is neither a token nor a quoted string: \
             \"2001:db8::1\"): an app that reads it gets neither client nor scheme from it; the \
             balancer sends the scheme only in Forwarded (proto=https), no X-Forwarded-Proto: the \
             site reads X-Forwarded-* (reads = \"x-forwarded\"), so it thinks every request is \
             http; the balancer sends the client only in Forwarded (for=2001:db8::1), no \
             X-Forwarded-For: the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it sees \
             the balancer (127.0.0.3) as every client"
        );
        assert_eq!(v.plain(), "the app will not see HTTPS");
        assert!(
            v.fix.iter().any(|f| f.as_str() == FIX_ONLY_FORWARDED),
            "{v:?}"
        );
        assert!(
            v.fix.iter().any(|f| f.as_str() == FIX_FORWARDED_V6),
            "{v:?}"
        );
        // the site reads Forwarded: the fault loses it both, and only Forwarded is no fault
        let v = baseline_for(SiteReads::Forwarded, &only);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with("Forwarded is malformed"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("no Forwarded proto: the site reads Forwarded"),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("only in Forwarded"), "{}", v.summary);
        assert!(
            !v.fix.iter().any(|f| f.as_str() == FIX_ONLY_FORWARDED),
            "{v:?}"
        );
        // another fault beside it: no scheme can be named
        let v = baseline_for(
            SiteReads::XForwarded,
            &[
                ("forwarded", "for=2001:db8::1;proto=\"https"),
                ("x-forwarded-port", "443"),
            ],
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.contains(
                "no X-Forwarded-Proto, and no Forwarded proto that can be read: the app thinks \
                 every request is http"
            ),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("only in Forwarded"), "{}", v.summary);
    }

    /// One of the two missing from X-Forwarded-*, the other there: only the missing one is
    /// said, as coming in Forwarded alone.
    #[test]
    fn the_scheme_or_the_client_in_forwarded_alone_is_lost_to_a_site_that_reads_x_forwarded() {
        let v = baseline_for(
            SiteReads::XForwarded,
            &[
                ("forwarded", "proto=https"),
                ("x-forwarded-for", "198.51.100.20"),
                ("x-forwarded-port", "443"),
            ],
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with(
                "the balancer sends the scheme only in Forwarded (proto=https), no X-Forwarded-Proto"
            ),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("client"), "{}", v.summary);
        assert!(
            v.fix.iter().any(|f| f.contains("set reads = \"forwarded\"")
                && f.contains("proxy_set_header X-Forwarded-Proto $scheme;")),
            "{v:?}"
        );
        let v = baseline_for(
            SiteReads::XForwarded,
            &[
                ("forwarded", "for=198.51.100.20"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "443"),
            ],
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with(
                "the balancer sends the client only in Forwarded (for=198.51.100.20), no X-Forwarded-For"
            ),
            "{}",
            v.summary
        );
        assert_eq!(v.plain(), "the app sees the balancer as every client");
        assert!(
            v.fix
                .iter()
                .any(|f| f.contains("set reads = \"forwarded\"")),
            "{v:?}"
        );
    }

    /// A balancer that sends both, agreeing: the baseline holds, and the client is said once,
    /// with no second one for apps that read Forwarded first.
    #[test]
    fn forwarded_and_x_forwarded_that_agree_are_one_client() {
        let v = baseline_for(
            SiteReads::XForwarded,
            &[
                ("forwarded", "for=198.51.100.20;proto=https"),
                ("x-forwarded-for", "198.51.100.20"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "443"),
            ],
        );
        assert_eq!(v.level, Level::Ok, "{v:?}");
        let clients: Vec<&str> = v
            .evidence
            .iter()
            .map(|e| e.as_str())
            .filter(|e| e.starts_with("client "))
            .collect();
        assert_eq!(
            clients,
            ["client 198.51.100.20 (first untrusted address in X-Forwarded-For, right to left)"]
        );
    }

    /// Both headers carry the scheme or the client and disagree: the site that reads
    /// X-Forwarded-* goes by those, and apps that read both differ in which wins, so the
    /// verdict names both values. A site that reads Forwarded goes by Forwarded, as before.
    #[test]
    fn forwarded_and_x_forwarded_that_disagree_are_named_both() {
        let https_in_forwarded = [
            ("forwarded", "for=198.51.100.20;proto=https"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-port", "443"),
        ];
        let v = baseline_for(SiteReads::XForwarded, &https_in_forwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "proto arrives as http, the request was https; Forwarded says proto=https, \
             X-Forwarded-Proto says http: apps that read both differ in which wins (Rack 3 takes \
             Forwarded)"
        );
        assert_eq!(v.plain(), "the app will not see HTTPS");
        assert_eq!(
            baseline_for(SiteReads::Forwarded, &https_in_forwarded).level,
            Level::Ok
        );
        let http_in_forwarded = [
            ("forwarded", "for=198.51.100.20;proto=http"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ];
        let v = baseline_for(SiteReads::XForwarded, &http_in_forwarded);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "Forwarded says proto=http, X-Forwarded-Proto says https: apps that read both differ \
             in which wins (Rack 3 takes Forwarded)"
        );
        assert_eq!(v.plain(), "apps that read Forwarded see another scheme");
        let v = baseline_for(SiteReads::Forwarded, &http_in_forwarded);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with("proto arrives as http"),
            "{}",
            v.summary
        );
        // two clients: the one X-Forwarded-For gives is the site's, expected or not
        let two_clients = [
            ("forwarded", "for=198.51.100.30;proto=https"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ];
        let v = baseline_for(SiteReads::XForwarded, &two_clients);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "Forwarded gives the client 198.51.100.30, X-Forwarded-For gives 198.51.100.20: apps \
             that read both differ in which wins (Rack 3 takes Forwarded)"
        );
        assert_eq!(v.plain(), "apps that read Forwarded see another client");
        let mut t = target();
        t.expect_client = Some("198.51.100.20".parse().unwrap());
        let v = judge_baseline(
            &t,
            &(Exchange::default(), Ok(behind_balancer(&two_clients))),
            None,
            true,
            443,
        );
        assert_eq!(v.level, Level::Warn, "{v:?}");
        t.reads = SiteReads::Forwarded;
        let v = judge_baseline(
            &t,
            &(Exchange::default(), Ok(behind_balancer(&two_clients))),
            None,
            true,
            443,
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "client computed as 198.51.100.30, expected 198.51.100.20"
        );
    }

    /// X-Forwarded-Proto set twice, differently, with a right Forwarded proto beside it: a site
    /// that reads X-Forwarded-Proto still gets the two values, so they are said all the same.
    #[test]
    fn a_forwarded_proto_does_not_hide_two_x_forwarded_protos() {
        let both = [
            ("forwarded", "for=198.51.100.20;proto=https"),
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "http"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ];
        let v = baseline_for(SiteReads::XForwarded, &both);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "X-Forwarded-Proto arrives as \"http, https\": apps disagree (Django, Express and \
             Symfony take the first, http; Rack the last, https)"
        );
        assert_eq!(v.plain(), "apps may not see the request's scheme");
        // a site that reads Forwarded alone does not see them
        assert_eq!(baseline_for(SiteReads::Forwarded, &both).level, Level::Ok);
    }

    /// A Forwarded header that cannot be read (a bare IPv6 client) beside a right
    /// X-Forwarded-For: a site that reads X-Forwarded-For gets its client all the same; what
    /// is said is the Forwarded fault, not the balancer as every client.
    #[test]
    fn an_unreadable_forwarded_leaves_a_site_that_reads_x_forwarded_its_client() {
        let v = baseline_for(
            SiteReads::XForwarded,
            &[
                ("forwarded", "for=2001:db8::1;proto=https"),
                ("x-forwarded-for", "2001:db8::1"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "443"),
            ],
        );
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(
            v.summary.starts_with("Forwarded is malformed"),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("balancer"), "{}", v.summary);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.starts_with("client 2001:db8::1 (")),
            "{v:?}"
        );
    }

    /// Behind a balancer on 443 that tells the app the scheme and the Host (Debian's
    /// proxy_params sets no X-Forwarded-Port), links come out right: the app takes 443 for
    /// https. On another port, or with a Host that carries one, the port is missing.
    #[test]
    fn a_missing_x_forwarded_port_matters_only_off_the_schemes_port() {
        let headers = [
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
        ];
        let pair = (Exchange::default(), Ok(behind_balancer(&headers)));
        let v = judge_baseline(&target(), &pair, None, true, 443);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        let v = judge_baseline(&target(), &pair, None, true, 8443);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(v.summary.contains("no X-Forwarded-Port"), "{}", v.summary);
        let mut with_port = behind_balancer(&headers);
        with_port.host = Some("www.example.com:8080".into());
        let v = judge_baseline(
            &target(),
            &(Exchange::default(), Ok(with_port)),
            None,
            true,
            443,
        );
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(v.summary.contains("no X-Forwarded-Port"), "{}", v.summary);
        // the scheme wrong: nothing implies the port
        let http = behind_balancer(&[
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "http"),
        ]);
        let v = judge_baseline(&target(), &(Exchange::default(), Ok(http)), None, true, 443);
        assert!(v.summary.contains("no X-Forwarded-Port"), "{}", v.summary);
        // the scheme in Forwarded alone: an app that reads X-Forwarded-* is told nothing
        let fwd = behind_balancer(&[("forwarded", "for=198.51.100.20;proto=https")]);
        let v = judge_baseline(&target(), &(Exchange::default(), Ok(fwd)), None, true, 443);
        assert!(v.summary.contains("no X-Forwarded-Port"), "{}", v.summary);
        assert_eq!(host_port("[2001:db8::1]:443"), Some(443));
        assert_eq!(host_port("[2001:db8::1]"), None);
        assert_eq!(host_port("example.com"), None);
        assert_eq!(host_port("2001:db8::1"), None);
    }

    #[test]
    fn baseline_without_headers_fails() {
        let r = reply(&[], "127.0.0.3", ClientSource::Peer);
        let v = judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443);
        assert_eq!(v.level, Level::Fail);
        assert!(
            v.summary.contains("thinks every request is http"),
            "{}",
            v.summary
        );
        assert!(v.summary.contains("balancer (127.0.0.3)"), "{}", v.summary);
    }

    /// A plain-http request that arrives with no scheme the site reads: the site takes it for
    /// http, which it is, so the verdict does not say the site thinks every request is http
    /// (true of this one, and harmless); it says the site is not told the scheme, so an https
    /// request forwarded the same way would be taken for http. The HAProxy fix sets the scheme
    /// on plain http too, as `https if { ssl_fc }` alone sets none there.
    #[test]
    fn a_plain_http_request_without_a_scheme_says_an_https_one_would_be_taken_for_http() {
        let mut t = target();
        t.echo_url = Some("http://www.example.com/echo".into());
        let plain = |t: &TargetConfig, forwarding: &[(&str, &str)]| {
            let pair = (Exchange::default(), Ok(behind_balancer(forwarding)));
            judge_baseline(t, &pair, None, false, 80)
        };
        let untold = "is not told the scheme and would take an https request forwarded the \
                      same way for http";
        let haproxy = "HAProxy: option forwardfor; http-request set-header X-Forwarded-Proto \
                       https if { ssl_fc }; http-request set-header X-Forwarded-Proto http if \
                       !{ ssl_fc }";
        let v = plain(
            &t,
            &[
                ("x-forwarded-for", "198.51.100.20"),
                ("x-forwarded-port", "80"),
            ],
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            format!("no X-Forwarded-Proto or Forwarded proto: the app {untold}")
        );
        assert_eq!(v.plain(), "the app is not told the scheme");
        assert!(v.fix.iter().any(|f| f.as_str() == haproxy), "{v:?}");
        // the scheme in Forwarded alone
        let v = plain(
            &t,
            &[
                ("forwarded", "proto=http"),
                ("x-forwarded-for", "198.51.100.20"),
                ("x-forwarded-port", "80"),
            ],
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            format!(
                "the balancer sends the scheme only in Forwarded (proto=http), no \
                 X-Forwarded-Proto: the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it \
                 {untold}"
            )
        );
        assert_eq!(v.plain(), "the app is not told the scheme");
        // a Forwarded that cannot be read
        let v = plain(
            &t,
            &[
                ("forwarded", "proto=\"http"),
                ("x-forwarded-for", "198.51.100.20"),
                ("x-forwarded-port", "80"),
            ],
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.contains(&format!(
                "no X-Forwarded-Proto, and no Forwarded proto that can be read: the app {untold}"
            )),
            "{}",
            v.summary
        );
        assert_eq!(v.plain(), "the app is not told the scheme");
        // a site that reads Forwarded
        let mut t_fwd = t.clone();
        t_fwd.reads = SiteReads::Forwarded;
        let v = plain(&t_fwd, &[("forwarded", "for=198.51.100.20")]);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            format!(
                "no Forwarded proto: the site reads Forwarded (reads = \"forwarded\"), so it {untold}"
            )
        );
        assert_eq!(v.plain(), "the app is not told the scheme");
        // behind PROXY protocol without a scheme: the port must be known for plain http
        let mut r = behind_balancer(&[]);
        r.proxy_protocol = Some(crate::probe::proxyproto::ProxyHeader {
            version: 1,
            source: Some("198.51.100.7:5000".parse().unwrap()),
            destination: Some("10.0.2.20:80".parse().unwrap()),
            tlvs: vec![],
        });
        let v = judge_baseline(&t, &(Exchange::default(), Ok(r)), None, false, 80);
        assert_eq!(
            v.summary.as_str(),
            "PROXY protocol carries no scheme: the app must know this port is plain http"
        );
        // the same request over https: the site believes it is http
        let v = judge_baseline(
            &target(),
            &(
                Exchange::default(),
                Ok(behind_balancer(&[
                    ("x-forwarded-for", "198.51.100.20"),
                    ("x-forwarded-port", "443"),
                ])),
            ),
            None,
            true,
            443,
        );
        assert_eq!(
            v.summary.as_str(),
            "no X-Forwarded-Proto or Forwarded proto: the app thinks every request is http"
        );
        assert_eq!(v.plain(), "the app will not see HTTPS");
        assert!(v.fix.iter().any(|f| f.as_str() == FIX_HAPROXY), "{v:?}");
        // a client's X-Forwarded-Proto passing on plain http: the same HAProxy fix
        let passed = behind_balancer(&[
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
        ]);
        let v = judge_forged(
            &(Exchange::default(), Ok(passed)),
            false,
            SiteReads::XForwarded,
        );
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(v.fix.iter().any(|f| f.as_str() == haproxy), "{v:?}");
    }

    /// A balancer that deletes a client's X-Forwarded-Proto and sets it only on https (nginx: a
    /// map of $scheme giving "" on http; HAProxy: del-header, and set-header https if
    /// { ssl_fc }): on plain http no scheme arrives, and the forged request's https did not
    /// arrive either. The site rightly takes such a request for http if it takes a request
    /// without X-Forwarded-Proto for http: the verdict says what was seen and that, not the
    /// plain-http failure. Where the forged request shows nothing (no answer), its header
    /// passed, the site reads Forwarded, or the request was https, the verdict is as before.
    #[test]
    fn a_client_scheme_removed_on_plain_http_leaves_an_absent_one_to_mean_http() {
        let mut t = target();
        t.echo_url = Some("http://www.example.com/echo".into());
        let baseline = |port: &'static str| {
            behind_balancer(&[
                ("x-forwarded-for", "198.51.100.20"),
                ("x-forwarded-port", port),
            ])
        };
        let removed = behind_balancer(&[
            ("x-forwarded-for", "203.0.113.66, 198.51.100.20"),
            ("x-forwarded-port", "80"),
        ]);
        let forged_pair = (Exchange::default(), Ok(removed));
        let pair = (Exchange::default(), Ok(baseline("80")));
        let v = judge_baseline(&t, &pair, Some(&forged_pair), false, 80);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "client 198.51.100.20, port 80 arrive as expected; no X-Forwarded-Proto arrives on \
             plain http, and the balancer removes a client's (https, sent with the forged \
             headers, did not arrive): the site must take a request without X-Forwarded-Proto \
             for http"
        );
        assert_eq!(v.consequence, None);
        assert!(v.fix.is_empty(), "{v:?}");
        // the forged request saw the header removed, and judge passes it
        let run = RawRun {
            baseline: Some(pair.clone()),
            forged: Some(forged_pair.clone()),
            ..Default::default()
        };
        let all = judge(&t, &ProbeConfig::default(), &run, None);
        let v = all.iter().find(|v| v.check == Check::Baseline).unwrap();
        assert_eq!(v.level, Level::Ok, "{v:?}");
        let v = all.iter().find(|v| v.check == Check::Forged).unwrap();
        assert!(
            v.summary.contains("X-Forwarded-Proto removing"),
            "{}",
            v.summary
        );
        // port 80 is implied for a request taken for http: no X-Forwarded-Port is no warning
        let no_port = (
            Exchange::default(),
            Ok(behind_balancer(&[("x-forwarded-for", "198.51.100.20")])),
        );
        let v = judge_baseline(&t, &no_port, Some(&forged_pair), false, 80);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        // another fault beside it: said with it
        let v = judge_baseline(
            &t,
            &(Exchange::default(), Ok(baseline("8080"))),
            Some(&forged_pair),
            false,
            80,
        );
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert_eq!(
            v.summary.as_str(),
            "no X-Forwarded-Proto arrives on plain http, and the balancer removes a client's \
             (https, sent with the forged headers, did not arrive): the site must take a request \
             without X-Forwarded-Proto for http; X-Forwarded-Port is 8080, the request went to \
             80: links and redirects the app builds point at port 8080"
        );
        // what the probe cannot see keeps the plain-http failure
        let untold = "no X-Forwarded-Proto or Forwarded proto: the app is not told the scheme \
                      and would take an https request forwarded the same way for http";
        let passed = (
            Exchange::default(),
            Ok(behind_balancer(&[
                ("x-forwarded-for", "203.0.113.66, 198.51.100.20"),
                ("x-forwarded-proto", "https"),
            ])),
        );
        let failed = (Exchange::default(), Err("connection refused".to_string()));
        for forged in [None, Some(&passed), Some(&failed)] {
            let v = judge_baseline(&t, &pair, forged, false, 80);
            assert_eq!(v.level, Level::Fail, "{forged:?}");
            assert_eq!(v.summary.as_str(), untold, "{forged:?}");
        }
        // a site that reads Forwarded gets no scheme from X-Forwarded-Proto either way
        let mut t_fwd = t.clone();
        t_fwd.reads = SiteReads::Forwarded;
        let fwd = (
            Exchange::default(),
            Ok(behind_balancer(&[("forwarded", "for=198.51.100.20")])),
        );
        let v = judge_baseline(&t_fwd, &fwd, Some(&forged_pair), false, 80);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary
                .starts_with("no Forwarded proto: the site reads Forwarded"),
            "{}",
            v.summary
        );
        // over https no scheme is the wrong one, whatever became of the client's
        let v = judge_baseline(&target(), &pair, Some(&forged_pair), true, 443);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary.starts_with(
                "no X-Forwarded-Proto or Forwarded proto: the app thinks every request is http"
            ),
            "{}",
            v.summary
        );
    }

    /// A tile or list has room for one short phrase: the consequence of the
    /// worst problem, in words, not the name of a check.
    #[test]
    fn baseline_says_what_its_failure_means_in_plain_words() {
        // both fail: the first said leads, the other stays in the summary
        let r = reply(&[], "127.0.0.3", ClientSource::Peer);
        let v = judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443);
        assert_eq!(v.plain(), "the app will not see HTTPS");
        // the scheme right, every visitor with the balancer's address
        let r = reply(
            &[("x-forwarded-proto", "https"), ("x-forwarded-port", "443")],
            "127.0.0.3",
            ClientSource::Peer,
        );
        let v = judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443);
        assert_eq!(v.level, Level::Fail, "{}", v.summary);
        assert_eq!(v.plain(), "the app sees the balancer as every client");
        // a report leads with the failure that hurts most
        let report = TargetReport {
            name: Clean::new("www"),
            url: Clean::new("https://www.example.com/"),
            at: 0,
            hops: vec![],
            tls: None,
            echoes: vec![],
            verdicts: vec![
                v,
                verdict(Check::Tls, Level::Warn, "certificate expires in 4 days"),
                verdict(Check::Forged, Level::Fail, "a client can forge its address")
                    .says("the app trusts a forged X-Forwarded-For"),
            ],
        };
        assert_eq!(
            report.headline().map(Verdict::plain),
            Some("the app trusts a forged X-Forwarded-For")
        );
    }

    /// Behind PROXY protocol without forwarding headers: the v2 SSL TLV
    /// answers whether the client used TLS; v1 (or no SSL TLV) cannot.
    #[test]
    fn baseline_behind_proxy_protocol_reads_the_ssl_tlv() {
        use crate::probe::proxyproto::{ProxyHeader, ProxyTlv, SslInfo};
        let with = |tlvs: Vec<ProxyTlv>| {
            let mut r = reply(&[], "198.51.100.7", ClientSource::Peer);
            r.proxy_protocol = Some(ProxyHeader {
                version: 2,
                source: Some("198.51.100.7:5000".parse().unwrap()),
                destination: Some("10.0.2.20:443".parse().unwrap()),
                tlvs,
            });
            judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443)
        };
        let tls = |on: bool| {
            ProxyTlv::Ssl(SslInfo {
                tls: on,
                version: on.then(|| "TLSv1.3".to_string()),
                ..SslInfo::default()
            })
        };
        let v = with(vec![tls(true)]);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        assert!(
            v.evidence.iter().any(|e| e.contains("TLS TLSv1.3")),
            "{v:?}"
        );
        let v = with(vec![tls(false)]);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(v.summary.contains("did not use TLS"), "{}", v.summary);
        let v = with(vec![ProxyTlv::Alpn { value: "h2".into() }]);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(v.summary.contains("carries no scheme"), "{}", v.summary);
    }

    #[test]
    fn baseline_ok() {
        let r = reply(
            &[
                ("x-forwarded-for", "198.51.100.9"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "443"),
            ],
            "198.51.100.9",
            ClientSource::XForwardedFor,
        );
        let v = judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443);
        assert_eq!(v.level, Level::Ok, "{v:?}");
        assert!(
            v.evidence
                .iter()
                .any(|e| e.as_str() == "x-forwarded-proto: https")
        );
    }

    /// The scheme as apps read it: one exact value passes; the same word
    /// twice, or in capitals, is read as http by a plain comparison; a list
    /// that disagrees with itself is read differently by each framework.
    #[test]
    fn baseline_proto_must_be_one_exact_value() {
        let base = |proto: &[&str]| {
            let mut h = vec![
                ("x-forwarded-for", "198.51.100.9"),
                ("x-forwarded-port", "443"),
            ];
            h.extend(proto.iter().map(|p| ("x-forwarded-proto", *p)));
            let r = reply(&h, "198.51.100.9", ClientSource::XForwardedFor);
            judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443)
        };
        assert_eq!(base(&["https"]).level, Level::Ok);
        let v = base(&["https", "https"]);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(
            v.summary
                .contains("X-Forwarded-Proto arrives as 2 values (https, https)"),
            "{}",
            v.summary
        );
        assert!(v.fix.iter().any(|f| f.contains("include proxy_params")));
        let v = base(&["https,https"]);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        let v = base(&["HTTPS"]);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(v.summary.contains("arrives as \"HTTPS\""), "{}", v.summary);
        let v = base(&["https, http"]);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary
                .contains("take the first, https; Rack the last, http"),
            "{}",
            v.summary
        );
        // one wrong value is still the plain mismatch
        let v = base(&["http"]);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(v.summary.contains("proto arrives as http"), "{}", v.summary);
    }

    /// `for="::1"` parses (quoted) but is no node: for a site that reads
    /// Forwarded the scheme still reads, the client does not, and the verdict
    /// says how IPv6 is written. A site that reads X-Forwarded-* gets no
    /// scheme from it at all, and is told so.
    #[test]
    fn baseline_names_an_unbracketed_ipv6_in_forwarded() {
        let mut r = reply(
            &[
                ("forwarded", "for=\"::1\";proto=https"),
                ("x-forwarded-port", "443"),
            ],
            "127.0.0.3",
            ClientSource::Peer,
        );
        r.forwarded =
            crate::probe::forwarded::parse_forwarded(["for=\"::1\";proto=https"]).unwrap();
        let pair = (Exchange::default(), Ok(r));
        let mut t = target();
        t.reads = SiteReads::Forwarded;
        let v = judge_baseline(&t, &pair, None, true, 443);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary
                .contains("Forwarded names the client \"::1\", which is no address"),
            "{}",
            v.summary
        );
        assert!(!v.summary.contains("proto"), "{}", v.summary);
        assert!(v.fix.iter().any(|f| f.contains("[$remote_addr]")), "{v:?}");
        let v = judge_baseline(&target(), &pair, None, true, 443);
        assert_eq!(v.level, Level::Fail, "{v:?}");
        assert!(
            v.summary
                .contains("Forwarded names the client \"::1\", which is no address"),
            "{}",
            v.summary
        );
        assert!(
            v.summary
                .contains("the balancer sends the scheme only in Forwarded (proto=https)"),
            "{}",
            v.summary
        );
        // the client it names, though no address, is named in Forwarded alone
        assert!(
            v.summary.contains(
                "the balancer sends the client only in Forwarded (for=\"::1\"), no X-Forwarded-For"
            ),
            "{}",
            v.summary
        );
        assert!(v.fix.iter().any(|f| f.contains("[$remote_addr]")), "{v:?}");
    }

    /// The Host the app sees must be the site's (its port aside: that is
    /// X-Forwarded-Port's business), or X-Forwarded-Host must carry it.
    #[test]
    fn baseline_checks_the_host_the_app_sees() {
        let base = |host: &str, xfh: Option<&str>| {
            let mut h = vec![
                ("x-forwarded-for", "198.51.100.9"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-port", "443"),
            ];
            h.extend(xfh.map(|v| ("x-forwarded-host", v)));
            let mut r = reply(&h, "198.51.100.9", ClientSource::XForwardedFor);
            r.host = Some(host.into());
            judge_baseline(&target(), &(Exchange::default(), Ok(r)), None, true, 443)
        };
        for ok in [
            "www.example.com",
            "WWW.example.com:443",
            "www.example.com:8443",
        ] {
            assert_eq!(base(ok, None).level, Level::Ok, "{ok}");
        }
        let v = base("10.0.2.20:8080", None);
        assert_eq!(v.level, Level::Warn, "{v:?}");
        assert!(
            v.summary.contains(
                "Host arrives as \"10.0.2.20:8080\", the request was for www.example.com"
            ),
            "{}",
            v.summary
        );
        assert!(
            v.fix
                .iter()
                .any(|f| f.contains("proxy_set_header Host $host"))
        );
        assert_eq!(
            base("10.0.2.20:8080", Some("www.example.com")).level,
            Level::Ok
        );
        assert_eq!(host_name("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(host_name("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn two_lines_separate_is_warn_merged_ok() {
        let sep = reply(
            &[
                ("x-forwarded-for", "198.51.100.1"),
                ("x-forwarded-for", "198.51.100.2"),
            ],
            "127.0.0.1",
            ClientSource::XForwardedFor,
        );
        assert_eq!(
            judge_two_xff(&(Exchange::default(), Ok(sep)), SiteReads::XForwarded).level,
            Level::Warn
        );
        let merged = reply(
            &[("x-forwarded-for", "198.51.100.1, 198.51.100.2, 127.0.0.1")],
            "127.0.0.1",
            ClientSource::XForwardedFor,
        );
        assert_eq!(
            judge_two_xff(&(Exchange::default(), Ok(merged)), SiteReads::XForwarded).level,
            Level::Ok
        );
    }

    fn hop(url: &str, status: u16, location: Option<&str>) -> Exchange {
        Exchange {
            url: url.into(),
            status: Some(status),
            location: location.map(String::from),
            ..Default::default()
        }
    }

    #[test]
    fn redirect_verdicts() {
        let t = target();
        let mut run = RawRun {
            walk: vec![
                hop(
                    "http://www.example.com/",
                    301,
                    Some("https://www.example.com/"),
                ),
                hop("https://www.example.com/", 200, None),
            ],
            walk_end: Some(WalkEnd::Final),
            ..Default::default()
        };
        assert_eq!(judge_redirects(&t, &run).level, Level::Ok);
        run.walk_end = Some(WalkEnd::SelfRedirect("https://www.example.com/".into()));
        let v = judge_redirects(&t, &run);
        assert_eq!(v.level, Level::Fail);
        assert!(v.fix.iter().any(|f| f.contains("SECURE_PROXY_SSL_HEADER")));
        run.walk_end = Some(WalkEnd::Final);
        run.downgrade = true;
        assert!(judge_redirects(&t, &run).summary.contains("downgrade"));
        run.downgrade = false;
        run.walk = vec![hop("http://www.example.com/", 200, None)];
        assert_eq!(judge_redirects(&t, &run).level, Level::Warn);
        // a server error at the end is the site down, wherever the walk ended
        for (status, why) in [
            (502, "no valid answer from the backend"),
            (504, "timeout"),
            (500, "server error"),
        ] {
            run.walk = vec![hop("http://www.example.com/", status, None)];
            let v = judge_redirects(&t, &run);
            assert_eq!(v.level, Level::Fail, "{status}: {v:?}");
            assert!(
                v.summary.contains(&format!("HTTP {status}: ")),
                "{}",
                v.summary
            );
            assert!(v.summary.contains(why), "{}", v.summary);
        }
    }

    /// A walk that stops with no answer says what it means for visitors: the site down when its
    /// own URL has no answer either, and only the address without https when that URL answers.
    #[test]
    fn a_walk_with_no_answer_says_who_gets_none() {
        let t = target();
        let refused = |url: &str| Exchange {
            url: url.into(),
            error: Some(format!("connect {url}: Connection refused (os error 111)")),
            ..Default::default()
        };
        let mut run = RawRun {
            main: Some(hop("https://www.example.com/", 200, None)),
            walk: vec![refused("http://www.example.com/")],
            walk_end: Some(WalkEnd::Error(
                "connect 192.0.2.10:80: Connection refused (os error 111)".into(),
            )),
            ..Default::default()
        };
        let v = judge_redirects(&t, &run);
        assert_eq!(v.level, Level::Fail);
        assert_eq!(
            v.plain(),
            "visitors who type the address without https get no answer"
        );
        assert!(v.summary.contains("Connection refused"), "{}", v.summary);
        assert!(v.fix.iter().any(|f| f.contains("return 301 https://")));
        // the site's own URL has no answer either: the site is down
        run.main = Some(refused("https://www.example.com/"));
        assert_eq!(
            judge_redirects(&t, &run).plain(),
            "visitors get no answer from the site"
        );
        // a redirect that sends visitors where nothing answers
        run.main = Some(hop("https://www.example.com/", 200, None));
        run.walk = vec![
            hop(
                "http://www.example.com/",
                301,
                Some("https://www.example.com:8443/"),
            ),
            refused("https://www.example.com:8443/"),
        ];
        assert_eq!(
            judge_redirects(&t, &run).plain(),
            "visitors are redirected to an address that does not answer"
        );
    }

    /// A site whose every answer redirects to its own address with the host in capitals: one
    /// place, since host names are case-insensitive, so the walk stops at the first hop.
    #[tokio::test]
    async fn a_redirect_to_the_same_url_with_the_host_in_capitals_is_a_redirect_to_itself() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let requests = std::sync::Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let mut head = [0u8; 2048];
                let _ = s.read(&mut head).await;
                counted.fetch_add(1, Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 301 Moved Permanently\r\nLocation: http://SHOP.Example.com:{port}/\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        let setup =
            ClientSetup::new(Duration::from_secs(20), Some([127, 0, 0, 1].into()), None).unwrap();
        let start = Target::parse(&format!("http://shop.example.com:{port}/")).unwrap();
        let mut run = RawRun::default();
        walk(start, &setup, 10, &mut run).await;
        assert_eq!(
            run.walk_end,
            Some(WalkEnd::SelfRedirect(format!(
                "http://SHOP.Example.com:{port}/"
            )))
        );
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn loop_and_host_change_verdicts() {
        let t = target();
        let mut run = RawRun {
            walk: vec![
                hop(
                    "http://www.example.com/",
                    301,
                    Some("https://www.example.com/"),
                ),
                hop(
                    "https://www.example.com/",
                    302,
                    Some("http://www.example.com/"),
                ),
            ],
            walk_end: Some(WalkEnd::Loop("http://www.example.com/".into())),
            downgrade: true,
            ..Default::default()
        };
        let v = judge_redirects(&t, &run);
        assert_eq!(v.level, Level::Fail);
        assert!(
            v.summary.contains("loop back to http://www.example.com/"),
            "{}",
            v.summary
        );
        assert_eq!(v.evidence.len(), 2, "every hop is evidence");
        run.walk_end = Some(WalkEnd::HostChange("https://login.example.net/".into()));
        let v = judge_redirects(&t, &run);
        assert_eq!(v.level, Level::Warn);
        assert!(v.summary.contains("not followed"));
    }

    #[test]
    fn walk_starts_from_http() {
        let mut t = target();
        assert_eq!(walk_start(&t).unwrap().url(), "http://www.example.com/");
        t.url = "https://www.example.com:8443/x".into();
        // A non-default https port has no obvious http twin: start there.
        assert_eq!(
            walk_start(&t).unwrap().url(),
            "https://www.example.com:8443/x"
        );
        t.http_url = Some("http://www.example.com:8080/".into());
        assert_eq!(
            walk_start(&t).unwrap().url(),
            "http://www.example.com:8080/"
        );
    }

    #[test]
    fn expiry_levels() {
        let t = target();
        let cfg = ProbeConfig::default();
        let mut tls = TlsView {
            version: Clean::new("TLS 1.3"),
            subject: Clean::new("CN=www"),
            issuer: Clean::new("CN=ca"),
            names: vec![Clean::new("www.example.com")],
            chain_len: 2,
            days_left: Some(90),
            expires_first: None,
            verify_error: None,
            name_matches: true,
        };
        let run = RawRun::default();
        assert_eq!(judge_tls(&t, &cfg, &run, Some(&tls)).level, Level::Ok);
        tls.days_left = Some(5);
        assert_eq!(judge_tls(&t, &cfg, &run, Some(&tls)).level, Level::Warn);
        tls.days_left = Some(-1);
        assert_eq!(judge_tls(&t, &cfg, &run, Some(&tls)).level, Level::Fail);
        // the verifier rejects an expired certificate too: expiry is still what is said
        tls.days_left = Some(-4);
        tls.verify_error = Some(Clean::new("invalid peer certificate: Expired"));
        let v = judge_tls(&t, &cfg, &run, Some(&tls));
        assert_eq!(v.summary.as_str(), "certificate expired 3 days ago");
        assert!(v.fix.iter().all(|f| !f.contains("full chain")), "{v:?}");
        tls.verify_error = None;
        tls.days_left = Some(90);
        tls.name_matches = false;
        assert_eq!(judge_tls(&t, &cfg, &run, Some(&tls)).level, Level::Fail);
    }

    /// Every certificate the server sends counts: the days are to the first that expires, and
    /// one that is not the leaf is named (intermediate, or a root sent along).
    #[test]
    fn the_first_certificate_of_the_chain_to_expire_is_counted_and_named() {
        use crate::probe::client::CertInfo;
        let cert = |subject: &str, issuer: &str, days: i64| CertInfo {
            subject: subject.into(),
            issuer: issuer.into(),
            not_after: 1_000 * 86_400 + days * 86_400 + 100,
            names: Vec::new(),
        };
        let judged = |chain: Vec<CertInfo>, verify_error: Option<&str>, path: Option<&[usize]>| {
            tls_view(
                &TlsInfo {
                    version: "TLS 1.3".into(),
                    chain,
                    verify_error: verify_error.map(String::from),
                    path: path.map(<[usize]>::to_vec),
                    name_matches: true,
                },
                1_000 * 86_400,
            )
        };
        // the path the chain verified by not known
        let checked =
            |chain: Vec<CertInfo>, verify_error: Option<&str>| judged(chain, verify_error, None);
        let view = |chain: Vec<CertInfo>| checked(chain, None);
        let leaf = || cert("CN=www", "CN=R11", 60);
        let v = view(vec![leaf(), cert("CN=R11", "CN=Root", 3)]);
        assert_eq!(
            (v.days_left, v.expiring()),
            (Some(3), "intermediate certificate CN=R11")
        );
        let v = view(vec![
            leaf(),
            cert("CN=R11", "CN=Root", 400),
            cert("CN=Root", "CN=Root", 30),
        ]);
        assert_eq!(
            (v.days_left, v.expiring()),
            (Some(30), "root certificate CN=Root")
        );
        // sent along and expired, while the chain verifies (a root the client's store
        // replaces, Let's Encrypt's old cross-sign by DST Root CA X3): not on the path the
        // client takes, no false alarm; when the chain does not verify, it may be why
        for sent in [
            cert("CN=Root", "CN=Root", -2),
            cert("CN=ISRG Root X1", "CN=DST Root CA X3", -400),
        ] {
            let chain = vec![leaf(), cert("CN=R11", "CN=ISRG Root X1", 400), sent];
            let v = view(chain.clone());
            assert_eq!((v.days_left, v.expires_first), (Some(60), None));
            let v = checked(chain, Some("invalid peer certificate: Expired"));
            assert!(v.days_left.unwrap() < 0, "{v:?}");
            assert!(v.expires_first.is_some(), "{v:?}");
        }
        // with the path known: only the certificates on it count. A cross-sign sent along
        // that expires soon, while the chain verifies by the root it cross-signs (in the
        // client's store), is no alarm; through it (a client that trusts only the old root),
        // it is; when the chain does not verify, it counts as everything sent does
        let chain = vec![
            leaf(),
            cert("CN=R11", "CN=ISRG Root X1", 400),
            cert("CN=ISRG Root X1", "CN=DST Root CA X3", 3),
        ];
        let v = judged(chain.clone(), None, Some(&[0, 1]));
        assert_eq!((v.days_left, v.expires_first), (Some(60), None));
        let v = judged(chain.clone(), None, Some(&[0, 1, 2]));
        assert_eq!(
            (v.days_left, v.expiring()),
            (Some(3), "intermediate certificate CN=ISRG Root X1")
        );
        let v = judged(chain.clone(), Some("expired (Expired)"), None);
        assert_eq!(v.days_left, Some(3));
        // a leaf of the wrong name on a chain that verifies: still the path's
        let v = judged(
            chain,
            Some("does not name the host (NotValidForName)"),
            Some(&[0, 1]),
        );
        assert_eq!((v.days_left, v.expires_first), (Some(60), None));
        // a root sent along is the anchor's copy, not on the path: the client's own counts
        let chain = vec![
            leaf(),
            cert("CN=R11", "CN=Root", 400),
            cert("CN=Root", "CN=Root", 30),
        ];
        let v = judged(chain, None, Some(&[0, 1]));
        assert_eq!((v.days_left, v.expires_first), (Some(60), None));
        // an intermediate on the path that expires first is counted and named as before
        let v = judged(
            vec![leaf(), cert("CN=R11", "CN=Root", 3)],
            None,
            Some(&[0, 1]),
        );
        assert_eq!(
            (v.days_left, v.expiring()),
            (Some(3), "intermediate certificate CN=R11")
        );
        // the leaf itself counts however the chain verifies
        let v = view(vec![
            cert("CN=www", "CN=R11", -1),
            cert("CN=R11", "CN=Root", 400),
        ]);
        assert_eq!((v.days_left, v.expires_first), (Some(-1), None));
        // the leaf first, or tied: the leaf's, said as before
        let v = view(vec![leaf(), cert("CN=R11", "CN=Root", 400)]);
        assert_eq!((v.days_left, v.expiring()), (Some(60), "certificate"));
        let v = view(vec![leaf(), cert("CN=R11", "CN=Root", 60)]);
        assert_eq!((v.days_left, v.expires_first), (Some(60), None));
    }

    #[test]
    fn expired_ago_reads_the_floored_days() {
        assert_eq!(expired_ago(-1), "within the last day");
        assert_eq!(expired_ago(-2), "1 day ago");
        assert_eq!(expired_ago(-31), "30 days ago");
    }

    #[test]
    fn backend_reachable_is_fail() {
        let run = RawRun {
            backend: Some(hop("http://10.0.0.5:8080/", 200, None)),
            ..Default::default()
        };
        assert_eq!(judge_backend(&run).level, Level::Fail);
        let run = RawRun {
            backend: Some(Exchange {
                url: "http://10.0.0.5:8080/".into(),
                error: Some("connect: refused".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(judge_backend(&run).level, Level::Ok);
        // on this host's loopback: answering proves nothing about others, and is not a fault
        for url in [
            "http://127.0.0.1:39803/",
            "http://[::1]:8080/",
            "http://localhost/",
        ] {
            let run = RawRun {
                backend: Some(hop(url, 200, None)),
                ..Default::default()
            };
            let v = judge_backend(&run);
            assert_eq!(v.level, Level::Skip, "{url}");
            assert!(v.summary.contains("is on loopback"), "{url}: {v:?}");
        }
    }
}
