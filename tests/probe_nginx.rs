//! The probe against real nginx as a TLS-terminating balancer in front of
//! the echo listener: a correct configuration, one that passes client
//! headers through, one whose upstream redirects to itself, and the stream
//! module sending PROXY protocol. Everything on 127.0.0.1, free ports; nginx
//! moves to new ones when a port it was given is taken.

#[path = "support/closed_port.rs"]
mod closed_port;
#[path = "probe_support/mod.rs"]
mod probe_support;

use closed_port::ClosedPort;
use opsdeck::probe::checks::{Check, Level, TargetReport, run_target};
use opsdeck::probe::config::{ProbeConfig, TargetConfig};
use opsdeck::probe::echo::EchoServer;
use probe_support::*;

fn target(tls: u16, http: Option<u16>, cert: &std::path::Path) -> TargetConfig {
    TargetConfig {
        name: "site".into(),
        url: format!("https://{HOST}:{tls}/"),
        resolve: Some("127.0.0.1".parse().unwrap()),
        expect_final: None,
        http_url: http.map(|p| format!("http://{HOST}:{p}/")),
        echo_url: Some(format!("https://{HOST}:{tls}/.opsdeck-echo")),
        backend_url: None,
        expect_client: Some("127.0.0.1".parse().unwrap()),
        ca_file: Some(cert.to_path_buf()),
        reads: Default::default(),
    }
}

fn level(r: &TargetReport, c: Check) -> Level {
    r.verdicts
        .iter()
        .find(|v| v.check == c)
        .unwrap_or_else(|| panic!("no {c:?} verdict in {r:#?}"))
        .level
}

fn text(r: &TargetReport, c: Check) -> String {
    let v = r.verdicts.iter().find(|v| v.check == c).unwrap();
    format!(
        "{} | {} | {}",
        v.summary,
        v.evidence
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(" / "),
        v.fix
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// nginx started as a correct balancer (TLS and plain HTTP, on the ports it returns) in front
/// of `backend`.
fn correct_nginx(
    dir: &std::path::Path,
    c: &Certs,
    backend: std::net::SocketAddr,
) -> (Nginx, [u16; 2]) {
    Nginx::start(dir, "", |[tls, http]| {
        correct_balancer(dir, c, http, tls, backend)
    })
}

/// nginx's `http` block for one server that terminates TLS on `listen` (an address and port,
/// with any further listen parameters) with `c`'s certificate and passes every request to
/// `echo` from [`PROXY_SOURCE`], with the forwarding directives under test, `headers`.
fn tls_balancer(
    dir: &std::path::Path,
    listen: &str,
    c: &Certs,
    echo: &EchoServer,
    headers: &str,
) -> String {
    format!(
        r#"http {{
  {temp}
  server {{
    listen {listen} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://{echo};
      proxy_bind {PROXY_SOURCE};
      {headers}
    }}
  }}
}}"#,
        temp = Nginx::http_temp_paths(dir),
        cert = c.cert.display(),
        key = c.key.display(),
        echo = echo.addr,
    )
}

/// nginx started with [`tls_balancer`] on 127.0.0.1 (its TLS port returned) in front of
/// `echo`, with the forwarding directives under test, `headers`.
fn tls_nginx(dir: &std::path::Path, c: &Certs, echo: &EchoServer, headers: &str) -> (Nginx, u16) {
    let (nginx, [tls]) = Nginx::start(dir, "", |[tls]| {
        tls_balancer(dir, &format!("127.0.0.1:{tls}"), c, echo, headers)
    });
    (nginx, tls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correct_balancer_with_realip_trust() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (nginx, [tls, http]) = correct_nginx(dir.path(), &c, echo.addr);
    let cfg = ProbeConfig::default();
    let t = target(tls, Some(http), &c.ca);
    let r = run_target(&t, &cfg, now()).await;

    assert_eq!(
        level(&r, Check::Redirects),
        Level::Ok,
        "{}",
        text(&r, Check::Redirects)
    );
    assert_eq!(r.hops.len(), 2, "{:#?}", r.hops);
    assert_eq!(r.hops[0].status, Some(301));
    assert!(r.hops[1].hsts, "HSTS seen on the https hop");
    assert!(r.hops[1].tls_ms.is_some() && r.hops[0].tls_ms.is_none());
    assert_eq!(level(&r, Check::Tls), Level::Ok, "{}", text(&r, Check::Tls));
    let tls_view = r.tls.as_ref().unwrap();
    assert!(tls_view.name_matches);
    assert!((88..=90).contains(&tls_view.days_left.unwrap()));
    assert_eq!(
        level(&r, Check::Baseline),
        Level::Ok,
        "{}",
        text(&r, Check::Baseline)
    );
    assert!(text(&r, Check::Baseline).contains("x-forwarded-proto: https"));
    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Ok, "{forged}");
    assert!(forged.contains("X-Forwarded-For appending"), "{forged}");
    assert!(forged.contains("X-Forwarded-Proto replacing"), "{forged}");
    assert!(forged.contains("Forwarded removing"), "{forged}");
    assert!(forged.contains("X-Real-IP replacing"), "{forged}");
    assert!(forged.contains("rightmost"), "{forged}");
    // $proxy_add_x_forwarded_for merges the two lines into one.
    assert_eq!(
        level(&r, Check::TwoXff),
        Level::Ok,
        "{}",
        text(&r, Check::TwoXff)
    );
    assert_eq!(level(&r, Check::Backend), Level::Skip);
    assert_eq!(r.worst(), Level::Ok, "{r:#?}");
    // The echo saw the three echo requests (and the main/walk ones).
    let snap = echo.log.snapshot();
    assert!(snap.recent.iter().any(|e| e.path == "/.opsdeck-echo"));
    assert!(
        snap.recent
            .iter()
            .all(|e| e.peer.ip().to_string() == PROXY_SOURCE)
    );
    drop(nginx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_passing_client_headers_through() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 5);
    let echo = echo(false).await;
    // no forwarding header set: the client's pass through as they came
    let (_nginx, [tls]) = Nginx::start(dir.path(), "", |[tls]| {
        tls_balancer(dir.path(), &format!("127.0.0.1:{tls}"), &c, &echo, "")
    });
    let cfg = ProbeConfig::default();
    let mut t = target(tls, None, &c.ca);
    t.expect_client = None;
    t.backend_url = Some(format!("http://{}/", echo.addr));
    let r = run_target(&t, &cfg, now()).await;

    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(base.contains("thinks every request is http"), "{base}");
    // nginx sends the upstream's address as Host unless told otherwise
    assert!(
        base.contains(&format!(
            "Host arrives as \"{}\", the request was for {HOST}",
            echo.addr
        )),
        "{base}"
    );
    assert!(base.contains("proxy_set_header Host $host"), "{base}");
    assert!(
        base.contains(&format!("balancer ({PROXY_SOURCE})")),
        "{base}"
    );
    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Fail, "{forged}");
    assert!(forged.contains("forge its address"), "{forged}");
    assert!(forged.contains("and the scheme"), "{forged}");
    assert!(
        forged.contains("X-Forwarded-For passing through"),
        "{forged}"
    );
    assert!(forged.contains("proxy_set_header"), "{forged}");
    let two = text(&r, Check::TwoXff);
    assert_eq!(level(&r, Check::TwoXff), Level::Fail, "{two}");
    assert!(two.contains("separate lines"), "{two}");
    // the backend listens on loopback here: direct access from others is not judged from it
    // (a backend that answers on a routable address is a FAIL: unit tests in probe::checks)
    let direct = text(&r, Check::Backend);
    assert_eq!(level(&r, Check::Backend), Level::Skip, "{direct}");
    assert!(direct.contains("is on loopback"), "{direct}");
    let cert_v = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Warn, "{cert_v}");
    // 5 days from the moment openssl ran, counted in whole days.
    assert!(
        cert_v.contains("expires in 4 days") || cert_v.contains("expires in 5 days"),
        "{cert_v}"
    );
    // Side by side: the forged exchange shows what was sent and received.
    let ev = r.echoes.iter().find(|e| e.label == "forged").unwrap();
    assert!(
        ev.sent
            .iter()
            .any(|(n, v)| n.as_str() == "X-Forwarded-For" && v.as_str() == "203.0.113.66")
    );
    assert!(
        ev.received
            .iter()
            .any(|(n, v)| n.as_str() == "x-forwarded-for" && v.as_str() == "203.0.113.66")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_that_redirects_to_itself() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let (ca, cert, key) = (c.ca, c.cert, c.key);
    // The "app" redirects to https unless X-Forwarded-Proto says https;
    // the balancer in front does not set it.
    let (_nginx, [tls, http, _]) = Nginx::start(dir.path(), "", |[tls, http, app]| {
        format!(
            r#"http {{
  {temp}
  server {{
    listen 127.0.0.1:{http};
    return 301 https://$host:{tls}$request_uri;
  }}
  server {{
    listen 127.0.0.1:{tls} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{app};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
  server {{
    listen 127.0.0.1:{app};
    location / {{
      if ($http_x_forwarded_proto != "https") {{
        return 301 https://$host:{tls}$request_uri;
      }}
      return 200 "app\n";
    }}
  }}
}}"#,
            temp = Nginx::http_temp_paths(dir.path()),
            cert = cert.display(),
            key = key.display(),
        )
    });
    let cfg = ProbeConfig::default();
    let mut t = target(tls, Some(http), &ca);
    t.echo_url = None;
    let r = run_target(&t, &cfg, now()).await;
    let redir = text(&r, Check::Redirects);
    assert_eq!(level(&r, Check::Redirects), Level::Fail, "{redir}");
    assert!(redir.contains("redirects to itself"), "{redir}");
    assert!(redir.contains("SECURE_PROXY_SSL_HEADER"), "{redir}");
    assert!(redir.contains("assume_ssl"), "{redir}");
    assert_eq!(
        r.hops.iter().filter(|h| h.status == Some(301)).count(),
        2,
        "{:#?}",
        r.hops
    );
    assert_eq!(level(&r, Check::Baseline), Level::Skip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_module_sending_proxy_protocol() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let (ca, cert, key) = (c.ca, c.cert, c.key);
    let echo = echo(true).await;
    let pp = echo.proxy_addr.expect("PROXY protocol port");
    let top = format!("load_module {STREAM_MODULE};");
    assert!(
        std::path::Path::new(STREAM_MODULE).exists(),
        "nginx's stream module is needed: {STREAM_MODULE} missing (apt-get install libnginx-mod-stream)"
    );
    let (_nginx, [tls]) = Nginx::start(dir.path(), &top, |[tls]| {
        format!(
            r#"stream {{
  server {{
    listen 127.0.0.1:{tls} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    proxy_pass {pp};
    proxy_bind {PROXY_SOURCE};
    proxy_protocol on;
  }}
}}"#,
            cert = cert.display(),
            key = key.display(),
        )
    });
    let cfg = ProbeConfig::default();
    let t = target(tls, None, &ca);
    let r = run_target(&t, &cfg, now()).await;

    let base = text(&r, Check::Baseline);
    // The client comes from the PROXY header; the scheme is not carried.
    assert_eq!(level(&r, Check::Baseline), Level::Warn, "{base}");
    assert!(base.contains("PROXY v1 source 127.0.0.1:"), "{base}");
    assert!(base.contains("client 127.0.0.1"), "{base}");
    let forged = text(&r, Check::Forged);
    // Passed through byte for byte, but not believed: the PROXY source is
    // not a trusted proxy.
    assert_eq!(level(&r, Check::Forged), Level::Warn, "{forged}");
    assert!(
        forged.contains("X-Forwarded-For passing through"),
        "{forged}"
    );
    let snap = echo.log.snapshot();
    assert!(!snap.recent.is_empty());
    assert!(
        snap.recent
            .iter()
            .all(|e| e.proxy_protocol.as_ref().is_some_and(|p| p.version == 1))
    );
    assert!(
        snap.recent
            .iter()
            .all(|e| e.peer.ip().to_string() == PROXY_SOURCE)
    );
}

/// A balancer that sets the scheme and port but no X-Forwarded-For (nor
/// X-Real-IP): every visitor reaches the app with the balancer's address.
/// The verdict says that in those words, with the address the client really
/// has, and the nginx line that fixes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_forgetting_x_forwarded_for() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        "proxy_set_header Host $host;
         proxy_set_header X-Forwarded-Proto $scheme;
         proxy_set_header X-Forwarded-Port $server_port;",
    );
    let r = run_target(&target(tls, None, &c.ca), &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(
        base.starts_with(&format!(
            "the app would see the balancer ({PROXY_SOURCE}) as the client, not 127.0.0.1: trusted peer sent no forwarding header"
        )),
        "{base}"
    );
    assert!(
        base.contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"),
        "{base}"
    );
}

/// A site that reads Forwarded alone (`reads = "forwarded"`): behind nginx that sets only
/// X-Forwarded-* (and clears Forwarded) it sees the balancer as every client and every request
/// as http, where a site that reads X-Forwarded-* is all right; behind nginx that sets Forwarded
/// too, replacing the client's, it is all right, forged headers included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_reads_forwarded_behind_nginx() {
    use opsdeck::probe::config::SiteReads;
    let x_only = "proxy_set_header Host $host;
         proxy_set_header X-Forwarded-For $remote_addr;
         proxy_set_header X-Forwarded-Proto $scheme;
         proxy_set_header X-Forwarded-Port $server_port;
         proxy_set_header X-Real-IP $remote_addr;
         proxy_set_header Forwarded \"\";";
    let with_forwarded = format!(
        "{x_only}\n         proxy_set_header Forwarded \"for=$remote_addr;proto=$scheme\";"
    )
    .replace("proxy_set_header Forwarded \"\";", "");
    for (headers, reads_forwarded_ok) in [(x_only.to_string(), false), (with_forwarded, true)] {
        let dir = tempdir();
        let c = make_certs(dir.path(), 90);
        let echo = echo(false).await;
        let (_nginx, [tls]) = Nginx::start(dir.path(), "", |[tls]| {
            tls_balancer(dir.path(), &format!("127.0.0.1:{tls}"), &c, &echo, &headers)
        });
        let mut t = target(tls, None, &c.ca);
        let r = run_target(&t, &ProbeConfig::default(), now()).await;
        for check in [Check::Baseline, Check::Forged] {
            assert_eq!(
                level(&r, check),
                Level::Ok,
                "{headers}: {}",
                text(&r, check)
            );
        }
        t.reads = SiteReads::Forwarded;
        let r = run_target(&t, &ProbeConfig::default(), now()).await;
        let base = text(&r, Check::Baseline);
        assert_eq!(level(&r, Check::TwoXff), Level::Skip);
        assert_eq!(
            level(&r, Check::Forged),
            Level::Ok,
            "{}",
            text(&r, Check::Forged)
        );
        if reads_forwarded_ok {
            assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");
            assert!(
                base.contains("forwarded: for=127.0.0.1;proto=https"),
                "{base}"
            );
        } else {
            assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
            assert!(
                base.contains(&format!(
                    "no Forwarded for= the site can read (reads = \"forwarded\"): it sees the balancer ({PROXY_SOURCE}) as every client"
                )),
                "{base}"
            );
            assert!(base.contains("no Forwarded proto"), "{base}");
            assert!(
                base.contains("proxy_set_header Forwarded \"$forwarded_for;proto=$scheme\""),
                "{base}"
            );
        }
    }
}

/// nginx that sends only `Forwarded` (no X-Forwarded-*, as nginx sends none unless told): a
/// site that reads X-Forwarded-* (the default `reads`) sees every request as http and nginx as
/// every client. The baseline fails and says that only Forwarded came and the two ways out, and
/// `opsdeck check` says the same; a site that reads Forwarded is all right behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_sending_only_forwarded() {
    use opsdeck::probe::config::SiteReads;
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        "proxy_set_header Host $host;
         proxy_set_header Forwarded \"for=$remote_addr;proto=$scheme\";",
    );
    let mut t = target(tls, None, &c.ca);
    let r = run_target(&t, &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(
        base.starts_with(
            "the balancer sends the scheme only in Forwarded (proto=https), no X-Forwarded-Proto: \
             the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it thinks every request is http; "
        ),
        "{base}"
    );
    assert!(
        base.contains(&format!(
            "the balancer sends the client only in Forwarded (for=127.0.0.1), no X-Forwarded-For: \
             the site reads X-Forwarded-* (reads = \"x-forwarded\"), so it sees the balancer \
             ({PROXY_SOURCE}) as every client"
        )),
        "{base}"
    );
    assert!(
        base.contains("forwarded: for=127.0.0.1;proto=https"),
        "{base}"
    );
    assert!(
        base.contains("if the site reads Forwarded, set reads = \"forwarded\" for this target"),
        "{base}"
    );
    assert!(
        base.contains("proxy_set_header X-Forwarded-Proto $scheme;"),
        "{base}"
    );
    // the baseline exchange shown beside the verdicts names the client the site computes
    let ev = r.echoes.iter().find(|e| e.label == "baseline").unwrap();
    assert_eq!(
        ev.client.as_ref().map(|c| c.as_str()),
        Some(
            format!("{PROXY_SOURCE} (trusted peer sent no X-Forwarded-For or X-Real-IP)").as_str()
        )
    );
    // `opsdeck check` grades the same report: critical, with the same words (after the forged
    // headers below, which lead)
    let mut rep = opsdeck::check::Report::default();
    opsdeck::probe::check::grade_target(&opsdeck::config::Config::default(), &r, &mut rep);
    let finding = &rep.findings[0];
    assert_eq!(
        finding.status,
        opsdeck::check::Status::Critical,
        "{}",
        finding.summary
    );
    assert!(
        finding.summary.contains(
            "; FAIL baseline: the balancer sends the scheme only in Forwarded (proto=https), no X-Forwarded-Proto"
        ),
        "{}",
        finding.summary
    );
    // the client's own X-Forwarded-* pass as it sent them, and the site reads them: its forged
    // address and scheme are believed, whatever the right Forwarded beside them says, and so is
    // one of its two X-Forwarded-For lines
    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Fail, "{forged}");
    assert!(
        forged.starts_with(
            "a client can forge its address (203.0.113.66 was believed) and the scheme (http was \
             believed): X-Forwarded-For passing through"
        ),
        "{forged}"
    );
    let two = text(&r, Check::TwoXff);
    assert_eq!(level(&r, Check::TwoXff), Level::Fail, "{two}");
    assert!(
        two.starts_with(
            "passed on as separate lines: an app that reads only one line sees a different chain \
             (client 198.51.100.2 was believed)"
        ),
        "{two}"
    );

    t.reads = SiteReads::Forwarded;
    let r = run_target(&t, &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");
    assert!(base.starts_with("client 127.0.0.1, proto https"), "{base}");
    // what the client sends in X-Forwarded-* passes, unread
    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Warn, "{forged}");
    assert_eq!(level(&r, Check::TwoXff), Level::Skip);
}

/// nginx that sets X-Forwarded-* right and a Forwarded header whose scheme is written in, as
/// copied from a plain-HTTP server block (`proto=http`): a site that reads X-Forwarded-* is
/// told https, but apps that read both headers differ (Rack 3 takes Forwarded first), so the
/// baseline warns and names both values. A site that reads Forwarded sees http: a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_sending_forwarded_that_disagrees_with_x_forwarded() {
    use opsdeck::probe::config::SiteReads;
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        "proxy_set_header Host $host;
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
         proxy_set_header X-Forwarded-Proto $scheme;
         proxy_set_header X-Forwarded-Port $server_port;
         proxy_set_header Forwarded \"for=$remote_addr;proto=http\";",
    );
    let mut t = target(tls, None, &c.ca);
    let r = run_target(&t, &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Warn, "{base}");
    assert!(
        base.starts_with(
            "Forwarded says proto=http, X-Forwarded-Proto says https: apps that read both differ \
             in which wins (Rack 3 takes Forwarded) |"
        ),
        "{base}"
    );
    assert!(
        base.contains("forwarded: for=127.0.0.1;proto=http"),
        "{base}"
    );
    assert!(base.contains("x-forwarded-proto: https"), "{base}");
    let v = r
        .verdicts
        .iter()
        .find(|v| v.check == Check::Baseline)
        .unwrap();
    assert_eq!(
        v.consequence.as_deref(),
        Some("apps that read Forwarded see another scheme")
    );

    t.reads = SiteReads::Forwarded;
    let r = run_target(&t, &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(
        base.starts_with("proto arrives as http, the request was https |"),
        "{base}"
    );
}

/// A balancer that sends a fixed X-Forwarded-Port (copied from a plain-HTTP
/// server block): the app builds its links and redirects with that port.
/// The verdict says so, and which nginx line sets it right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_sending_the_wrong_x_forwarded_port() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        "proxy_set_header Host $host;
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
         proxy_set_header X-Forwarded-Proto $scheme;
         proxy_set_header X-Forwarded-Port 80;",
    );
    let r = run_target(&target(tls, None, &c.ca), &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Warn, "{base}");
    assert!(
        base.starts_with(&format!(
            "X-Forwarded-Port is 80, the request went to {tls}: links and redirects the app builds point at port 80 |"
        )),
        "{base}"
    );
    assert!(
        base.contains("proxy_set_header X-Forwarded-Port $server_port;"),
        "{base}"
    );
}

/// Debian's `include proxy_params` already sets X-Forwarded-Proto; a site
/// that sets it again sends it twice, which an app joins into "https,
/// https": the WordPress-style `== 'https'` check then sees http.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_setting_x_forwarded_proto_twice() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    // as /etc/nginx/proxy_params on Debian
    let params = dir.path().join("proxy_params");
    std::fs::write(
        &params,
        "proxy_set_header Host $http_host;\nproxy_set_header X-Real-IP $remote_addr;\nproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\nproxy_set_header X-Forwarded-Proto $scheme;\n",
    )
    .unwrap();
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        &format!(
            "include {};
         proxy_set_header X-Forwarded-Proto $scheme;
         proxy_set_header X-Forwarded-Port $server_port;",
            params.display()
        ),
    );
    let r = run_target(&target(tls, None, &c.ca), &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Warn, "{base}");
    assert!(
        base.contains("X-Forwarded-Proto arrives as 2 values (https, https)"),
        "{base}"
    );
    assert!(base.contains("include proxy_params"), "{base}");
    // what arrived is the evidence: two lines
    assert_eq!(
        base.matches("x-forwarded-proto: https").count(),
        2,
        "{base}"
    );
}

/// `proxy_set_header Forwarded "for=$remote_addr;proto=$scheme"` reads well
/// for IPv4 clients and writes `for=::1` for IPv6 ones, which RFC 7239
/// readers reject whole (an IPv6 node is quoted and bracketed): a site that
/// reads Forwarded loses both the client and the scheme. The map nginx's own
/// documentation gives for Forwarded is the fix, and the probe over IPv6
/// says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_with_a_bare_ipv6_client() {
    use opsdeck::probe::config::SiteReads;
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, [naive, mapped]) = Nginx::start(dir.path(), "", |[naive, mapped]| {
        format!(
            r#"http {{
  {temp}
  map $remote_addr $forwarded_for {{
    ~^[0-9.]+$ "for=$remote_addr";
    ~^[0-9A-Fa-f:.]+$ "for=\"[$remote_addr]\"";
    default "for=unknown";
  }}
  ssl_certificate {cert};
  ssl_certificate_key {key};
  server {{
    listen 127.0.0.1:{naive} ssl;
    listen [::1]:{naive} ssl;
    location / {{
      proxy_pass http://{echo};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header Forwarded "for=$remote_addr;proto=$scheme";
      proxy_set_header X-Forwarded-Port $server_port;
    }}
  }}
  server {{
    listen 127.0.0.1:{mapped} ssl;
    listen [::1]:{mapped} ssl;
    location / {{
      proxy_pass http://{echo};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header Forwarded "$forwarded_for;proto=$scheme";
      proxy_set_header X-Forwarded-Port $server_port;
    }}
  }}
}}"#,
            temp = Nginx::http_temp_paths(dir.path()),
            cert = c.cert.display(),
            key = c.key.display(),
            echo = echo.addr,
        )
    });
    // the site reads Forwarded: nginx sends nothing else
    let v4 = |port: u16| TargetConfig {
        reads: SiteReads::Forwarded,
        ..target(port, None, &c.ca)
    };
    let v6 = |port: u16| TargetConfig {
        resolve: Some("::1".parse().unwrap()),
        expect_client: Some("::1".parse().unwrap()),
        ..v4(port)
    };
    let cfg = ProbeConfig::default();

    // over IPv4 the plain form is fine
    let r = run_target(&v4(naive), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");

    // over IPv6 it is malformed, and the verdict says why and how to fix it
    let r = run_target(&v6(naive), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(base.contains("Forwarded is malformed"), "{base}");
    assert!(base.contains("\"::1\""), "{base}");
    assert!(
        base.contains("no Forwarded proto: the site reads Forwarded"),
        "{base}"
    );
    assert!(base.contains("forwarded: for=::1;proto=https"), "{base}");
    assert!(base.contains(r#"for=\"[$remote_addr]\""#), "{base}");

    // the advised map gives the IPv6 client and the scheme
    let r = run_target(&v6(mapped), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");
    assert!(base.contains("client ::1, proto https"), "{base}");
}

/// nginx appending its element to the client's Forwarded with `for=$remote_addr`: over IPv4
/// the header reads well and keeps the client's forged `proto=`, which apps that read Forwarded
/// take; over IPv6 it writes `for=::1` bare, which RFC 7239 readers reject whole. The forged
/// check reads it as nginx meant it and says the same of it as over IPv4, the bare IPv6 said
/// apart with its fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_ipv6_appended_to_a_forged_forwarded_is_judged_as_meant() {
    use opsdeck::probe::config::SiteReads;
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, [port]) = Nginx::start(dir.path(), "", |[port]| {
        format!(
            r#"http {{
  {temp}
  map $http_forwarded $forwarded_before {{
    "" "";
    default "$http_forwarded, ";
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    listen [::1]:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://{echo};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Forwarded "${{forwarded_before}}for=$remote_addr";
    }}
  }}
}}"#,
            temp = Nginx::http_temp_paths(dir.path()),
            cert = c.cert.display(),
            key = c.key.display(),
            echo = echo.addr,
        )
    });
    let v4 = |reads| TargetConfig {
        reads,
        ..target(port, None, &c.ca)
    };
    let v6 = |reads| TargetConfig {
        resolve: Some("::1".parse().unwrap()),
        expect_client: Some("::1".parse().unwrap()),
        ..v4(reads)
    };
    let forged_of = |r: &TargetReport| {
        r.verdicts
            .iter()
            .find(|v| v.check == Check::Forged)
            .unwrap()
            .clone()
    };
    let cfg = ProbeConfig::default();
    let fault = "; Forwarded is malformed (value is neither a token nor a quoted string: \"::1\"), \
                 an IPv6 address written bare (IPv6 goes quoted and in brackets: \
                 for=\"[2001:db8::1]\"): apps that read it reject it whole; judged here as the \
                 balancer meant it";

    // the site reads X-Forwarded-*: apps that read Forwarded first take the client's scheme
    let r = run_target(&v4(SiteReads::XForwarded), &cfg, now()).await;
    let want = forged_of(&r);
    let forged = text(&r, Check::Forged);
    assert_eq!(want.level, Level::Warn, "{forged}");
    assert_eq!(
        want.summary.as_str(),
        "a client's Forwarded header reaches the app: apps that read it before the X-Forwarded \
         headers take the forged scheme (http; X-Forwarded-Proto gives https): X-Forwarded-For \
         appending, Forwarded appending (right: X-Forwarded-Proto replacing, X-Real-IP \
         replacing)"
    );
    let r = run_target(&v6(SiteReads::XForwarded), &cfg, now()).await;
    let v = forged_of(&r);
    let forged = text(&r, Check::Forged);
    assert_eq!(v.level, Level::Warn, "{forged}");
    assert_eq!(v.summary.as_str(), format!("{}{fault}", want.summary));
    assert_eq!(v.consequence, want.consequence);
    assert!(
        forged.contains(r#"arrived "for=203.0.113.66;proto=http, for=::1""#),
        "{forged}"
    );
    assert!(forged.contains(r#"for=\"[$remote_addr]\""#), "{forged}");

    // the site reads Forwarded: it believes the client's scheme, over IPv4 and as meant
    let r = run_target(&v4(SiteReads::Forwarded), &cfg, now()).await;
    let want = forged_of(&r);
    assert_eq!(want.level, Level::Fail, "{}", text(&r, Check::Forged));
    let r = run_target(&v6(SiteReads::Forwarded), &cfg, now()).await;
    let v = forged_of(&r);
    assert_eq!(v.level, Level::Fail, "{}", text(&r, Check::Forged));
    assert_eq!(v.summary.as_str(), format!("{}{fault}", want.summary));
    assert_eq!(
        v.consequence.as_deref(),
        Some("the app trusts a forged Forwarded header")
    );
}

/// nginx setting X-Forwarded-Proto from a map of $scheme that gives "" on plain http: nginx
/// then sends none, the client's included. Over plain http nothing arrives, and the probe's
/// forged https did not arrive either: the site must take a request without the header for
/// http, which it is, and the verdict says so, not that an https request would be taken for
/// http. Over https the map gives https. Without the directive nginx passes the client's
/// header on: that is no removal, and plain http without a scheme fails as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_removing_a_clients_x_forwarded_proto_on_plain_http() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, [tls, http, passing]) = Nginx::start(dir.path(), "", |[tls, http, passing]| {
        format!(
            r#"http {{
  {temp}
  map $scheme $forwarded_proto {{
    https https;
    default "";
  }}
  ssl_certificate {cert};
  ssl_certificate_key {key};
  server {{
    listen 127.0.0.1:{tls} ssl;
    listen 127.0.0.1:{http};
    location / {{
      proxy_pass http://{echo};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $forwarded_proto;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Forwarded "";
    }}
  }}
  server {{
    listen 127.0.0.1:{passing};
    location / {{
      proxy_pass http://{echo};
      proxy_bind {PROXY_SOURCE};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header Forwarded "";
    }}
  }}
}}"#,
            temp = Nginx::http_temp_paths(dir.path()),
            cert = c.cert.display(),
            key = c.key.display(),
            echo = echo.addr,
        )
    });
    let plain = |port: u16| TargetConfig {
        echo_url: Some(format!("http://{HOST}:{port}/.opsdeck-echo")),
        ..target(tls, None, &c.ca)
    };
    let cfg = ProbeConfig::default();

    let r = run_target(&plain(http), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");
    assert!(
        base.starts_with(&format!(
            "client 127.0.0.1, port {http} arrive as expected; no X-Forwarded-Proto arrives on \
             plain http, and the balancer removes a client's (https, sent with the forged \
             headers, did not arrive): the site must take a request without X-Forwarded-Proto \
             for http |"
        )),
        "{base}"
    );
    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Ok, "{forged}");
    assert!(
        forged.contains(r#"X-Forwarded-Proto: sent "https", arrived nothing"#),
        "{forged}"
    );

    // over https the map gives the scheme
    let r = run_target(&target(tls, None, &c.ca), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");
    assert!(
        base.starts_with(&format!(
            "client 127.0.0.1, proto https, port {tls} arrive as expected"
        )),
        "{base}"
    );

    // the client's header passed on: nothing removed, the plain-http failure stands
    let r = run_target(&plain(passing), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(
        base.starts_with(
            "no X-Forwarded-Proto or Forwarded proto: the app is not told the scheme and would \
             take an https request forwarded the same way for http"
        ),
        "{base}"
    );
    let forged = text(&r, Check::Forged);
    assert!(
        forged.contains(r#"X-Forwarded-Proto: sent "https", arrived "https""#),
        "{forged}"
    );
}

/// An expired certificate, a self-signed one and one for another name are
/// said as such, with the fix for each, not as "not trusted" with advice
/// about the chain (the verifier rejects all three, and its words stay as
/// evidence); `check` says the expiry once, in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_self_signed_and_wrong_name_certificates() {
    let dir = tempdir();
    let (old_dir, other_dir) = (dir.path().join("old"), dir.path().join("other"));
    std::fs::create_dir_all(&old_dir).unwrap();
    std::fs::create_dir_all(&other_dir).unwrap();
    let old = make_certs_for(&old_dir, HOST, -1);
    let other = make_certs_for(&other_dir, "other.test", 90);
    let (self_cert, self_key) = make_self_signed(dir.path());
    let (_nginx, [p_old, p_other, p_self]) =
        Nginx::start(dir.path(), "", |[p_old, p_other, p_self]| {
            format!(
                r#"http {{
  {temp}
  server {{
    listen 127.0.0.1:{p_old} ssl;
    ssl_certificate {old_cert};
    ssl_certificate_key {old_key};
    return 200 "site\n";
  }}
  server {{
    listen 127.0.0.1:{p_other} ssl;
    ssl_certificate {other_cert};
    ssl_certificate_key {other_key};
    return 200 "site\n";
  }}
  server {{
    listen 127.0.0.1:{p_self} ssl;
    ssl_certificate {self_cert};
    ssl_certificate_key {self_key};
    return 200 "site\n";
  }}
}}"#,
                temp = Nginx::http_temp_paths(dir.path()),
                old_cert = old.cert.display(),
                old_key = old.key.display(),
                other_cert = other.cert.display(),
                other_key = other.key.display(),
                self_cert = self_cert.display(),
                self_key = self_key.display(),
            )
        });
    let cfg = ProbeConfig::default();
    let probe = |port: u16, ca: &std::path::Path| {
        let mut t = target(port, None, ca);
        t.echo_url = None;
        t
    };

    let r = run_target(&probe(p_old, &old.ca), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Fail, "{cert}");
    // a day ago to the second when openssl ran: the probe may see it in the same second
    assert!(
        cert.starts_with("certificate expired within the last day |")
            || cert.starts_with("certificate expired 1 day ago |"),
        "{cert}"
    );
    assert!(cert.contains("renew it"), "{cert}");
    assert!(cert.contains("verifier: expired (Expired)"), "{cert}");
    assert!(!cert.contains("full chain"), "{cert}");
    let mut rep = opsdeck::check::Report::default();
    opsdeck::probe::check::grade_target(&opsdeck::config::Config::default(), &r, &mut rep);
    let finding = &rep.findings[0];
    assert_eq!(finding.status, opsdeck::check::Status::Critical);
    // what it means first, then the verdict; the check adds no expiry of its own beside it
    let (lead, rest) = finding.summary.split_once("; ").unwrap();
    assert!(
        lead.starts_with("site: browsers turn visitors away: the certificate expired"),
        "{}",
        finding.summary
    );
    assert_eq!(rest.matches("expired").count(), 1, "{}", finding.summary);
    assert!(
        !finding.summary.contains("expires in -"),
        "{}",
        finding.summary
    );

    let r = run_target(&probe(p_self, &old.ca), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Fail, "{cert}");
    assert!(
        cert.starts_with(&format!(
            "certificate is self-signed (issued by itself, CN={HOST}) |"
        )),
        "{cert}"
    );
    // in words, not the verifier's "other error: CaUsedAsEndEntity"
    assert!(
        cert.contains("verifier: a CA certificate served as the site's own (CaUsedAsEndEntity)")
            || cert.contains("verifier: issued by a CA this host does not trust"),
        "{cert}"
    );
    assert!(!cert.contains("other error"), "{cert}");
    assert!(cert.contains("Let's Encrypt"), "{cert}");
    assert!(!cert.contains("full chain"), "{cert}");

    let r = run_target(&probe(p_other, &other.ca), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Fail, "{cert}");
    assert!(
        cert.starts_with(&format!("certificate does not name the host {HOST} |")),
        "{cert}"
    );
    assert!(cert.contains("names other.test"), "{cert}");
    assert!(
        cert.contains("verifier: does not name the host (NotValidForName)"),
        "{cert}"
    );
    assert!(cert.contains("subjectAltName includes the host"), "{cert}");
    assert!(!cert.contains("full chain"), "{cert}");
}

/// A client checks every certificate the server sends: an intermediate that has expired, or
/// expires before the leaf, is what the expiry is counted to, and is named. A chain whose leaf
/// expires first reads as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intermediate_that_expires_first_is_judged_and_named() {
    let dir = tempdir();
    let made = |name: &str, intermediate_days: i32| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        make_chain(&d, intermediate_days, 90)
    };
    let (expired, soon, fine) = (made("expired", -1), made("soon", 5), made("fine", 365));
    let (_nginx, ports) = Nginx::start(dir.path(), "", |ports: [u16; 3]| {
        let servers: String = [&expired, &soon, &fine]
            .iter()
            .zip(ports)
            .map(|(c, port)| {
                format!(
                    r#"
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {};
    ssl_certificate_key {};
    return 200 "site\n";
  }}"#,
                    c.cert.display(),
                    c.key.display()
                )
            })
            .collect();
        format!(
            "http {{\n  {}{servers}\n}}",
            Nginx::http_temp_paths(dir.path())
        )
    });
    let cfg = ProbeConfig::default();
    let probe = |port: u16, c: &Certs| {
        let mut t = target(port, None, &c.ca);
        t.echo_url = None;
        t
    };
    let grade = |r: &TargetReport| {
        let mut rep = opsdeck::check::Report::default();
        opsdeck::probe::check::grade_target(&opsdeck::config::Config::default(), r, &mut rep);
        rep.findings.remove(0)
    };
    let intermediate = "intermediate certificate CN=opsdeck test intermediate";

    let r = run_target(&probe(ports[0], &expired), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Fail, "{cert}");
    // a day ago to the second when openssl ran: the probe may see it in the same second
    assert!(
        cert.starts_with(&format!("{intermediate} expired within the last day |"))
            || cert.starts_with(&format!("{intermediate} expired 1 day ago |")),
        "{cert}"
    );
    assert!(cert.contains("fullchain.pem"), "{cert}");
    assert!(cert.contains("subject CN=opsdeck.test"), "{cert}");
    let tls = r.tls.as_ref().unwrap();
    assert!(tls.days_left.unwrap() < 0, "{tls:?}");
    assert_eq!(tls.expires_first.as_ref().unwrap().as_str(), intermediate);
    let finding = grade(&r);
    assert_eq!(finding.status, opsdeck::check::Status::Critical);
    assert!(
        finding
            .summary
            .contains(&format!("the {intermediate} expired")),
        "{}",
        finding.summary
    );

    let r = run_target(&probe(ports[1], &soon), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Warn, "{cert}");
    // 5 days from the moment openssl ran, counted in whole days
    assert!(
        cert.starts_with(&format!("{intermediate} expires in 4 days |"))
            || cert.starts_with(&format!("{intermediate} expires in 5 days |")),
        "{cert}"
    );
    assert!(cert.contains("fullchain.pem"), "{cert}");
    let finding = grade(&r);
    assert_eq!(finding.status, opsdeck::check::Status::Critical);
    assert!(
        finding
            .summary
            .contains(&format!("{intermediate} expires in")),
        "{}",
        finding.summary
    );

    let r = run_target(&probe(ports[2], &fine), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Ok, "{cert}");
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.chain_len, 2);
    assert!((88..=90).contains(&tls.days_left.unwrap()), "{tls:?}");
    assert_eq!(tls.expires_first, None);
}

/// A cross-sign sent along (Let's Encrypt's old chain: ISRG Root X1 cross-signed by DST Root
/// CA X3) that expires soon is judged only by a client whose path goes through it. The server
/// sends the leaf, its intermediate (signed by the test root, valid a year) and the test root
/// cross-signed by an old root, valid 3 days: the cross-sign has the test root's name and key.
/// A client that trusts the test root stops there: the intermediate's issuer is one of its
/// trust anchors, which webpki (as browsers) tries before the certificates sent, so the path is
/// leaf, intermediate, anchor, and the cross-sign is never checked: no alarm, where counting
/// every certificate sent gave a WARN (CRITICAL in check) that cleared once it had expired. A
/// client that trusts only the old root verifies through the cross-sign, and for it the
/// cross-sign expiring in 3 days is what counts. A leaf of the wrong name keeps its path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_sign_sent_along_counts_only_on_the_path_a_client_builds() {
    let dir = tempdir();
    let c = make_chain(dir.path(), 365, 90);
    let (old_root, cross) = make_cross_sign(dir.path(), 3);
    let sent = dir.path().join("sent.pem");
    let mut pem = std::fs::read_to_string(&c.cert).unwrap();
    pem.push_str(&std::fs::read_to_string(&cross).unwrap());
    std::fs::write(&sent, pem).unwrap();
    let (_nginx, [port]) = Nginx::start(dir.path(), "", |[port]| {
        format!(
            r#"http {{
  {}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {};
    ssl_certificate_key {};
    return 200 "site\n";
  }}
}}"#,
            Nginx::http_temp_paths(dir.path()),
            sent.display(),
            c.key.display()
        )
    });
    let cfg = ProbeConfig::default();
    let probe = |ca: &std::path::Path| {
        let mut t = target(port, None, ca);
        t.echo_url = None;
        t
    };
    let grade = |r: &TargetReport| {
        let mut rep = opsdeck::check::Report::default();
        opsdeck::probe::check::grade_target(&opsdeck::config::Config::default(), r, &mut rep);
        rep.findings.remove(0)
    };

    // trusting the test root: the path is leaf and intermediate, the leaf expires first
    let r = run_target(&probe(&c.ca), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Ok, "{cert}");
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(
        (tls.chain_len, tls.verify_error.as_ref()),
        (3, None),
        "{tls:?}"
    );
    assert!((88..=90).contains(&tls.days_left.unwrap()), "{tls:?}");
    assert_eq!(tls.expires_first, None);
    let finding = grade(&r);
    assert_eq!(
        finding.status,
        opsdeck::check::Status::Ok,
        "{}",
        finding.summary
    );

    // trusting only the old root: the path goes through the cross-sign, which counts
    let r = run_target(&probe(&old_root), &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Warn, "{cert}");
    let tls = r.tls.as_ref().unwrap();
    assert_eq!(tls.verify_error, None, "{tls:?}");
    // 3 days from the moment openssl ran, counted in whole days
    let cross_sign = "intermediate certificate CN=opsdeck test root CA";
    assert!(
        cert.starts_with(&format!("{cross_sign} expires in 2 days |"))
            || cert.starts_with(&format!("{cross_sign} expires in 3 days |")),
        "{cert}"
    );
    assert_eq!(grade(&r).status, opsdeck::check::Status::Critical);

    // asked for a name the leaf does not hold: the chain still verifies through the test root
    // (the name is checked apart), so the name is the failure and the expiry is the leaf's
    let mut t = probe(&c.ca);
    t.url = format!("https://other.test:{port}/");
    let r = run_target(&t, &cfg, now()).await;
    let cert = text(&r, Check::Tls);
    assert_eq!(level(&r, Check::Tls), Level::Fail, "{cert}");
    assert!(
        cert.starts_with("certificate does not name the host other.test |"),
        "{cert}"
    );
    let tls = r.tls.as_ref().unwrap();
    assert!((88..=90).contains(&tls.days_left.unwrap()), "{tls:?}");
    assert_eq!(tls.expires_first, None);
}

/// The backend behind the balancer is down: nginx answers 502 for the
/// site, which is the site down (a failure, CRITICAL in check), said with
/// what a 502 from a balancer means.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_down_behind_the_balancer() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let down = ClosedPort::bind();
    // nothing listens on `down`
    let backend = format!("127.0.0.1:{}", down.port()).parse().unwrap();
    let (nginx, [tls, http]) = correct_nginx(dir.path(), &c, backend);
    let mut t = target(tls, Some(http), &c.ca);
    t.echo_url = None;
    let r = run_target(&t, &ProbeConfig::default(), now()).await;
    let redir = text(&r, Check::Redirects);
    assert_eq!(level(&r, Check::Redirects), Level::Fail, "{redir}");
    assert!(
        redir.contains("with HTTP 502: the balancer got no valid answer from the backend"),
        "{redir}"
    );
    assert_eq!(
        r.hops.last().and_then(|h| h.status),
        Some(502),
        "{:#?}",
        r.hops
    );
    let mut rep = opsdeck::check::Report::default();
    opsdeck::probe::check::grade_target(&opsdeck::config::Config::default(), &r, &mut rep);
    assert_eq!(
        rep.findings[0].status,
        opsdeck::check::Status::Critical,
        "{:?}",
        rep.findings
    );
    assert!(
        nginx.error_log().contains("Connection refused"),
        "{}",
        nginx.error_log()
    );
}

/// The echo listener down behind a working balancer (nginx answers 502 for
/// it): the pane does not say the echo received a request without
/// forwarding headers, since it received nothing; it says it did not answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_down_behind_the_balancer_is_not_shown_as_headers_missing() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let down = ClosedPort::bind();
    // nothing listens on `down`, where the echo should be
    let backend = format!("127.0.0.1:{}", down.port()).parse().unwrap();
    let (nginx, [tls, http]) = correct_nginx(dir.path(), &c, backend);
    let t = target(tls, Some(http), &c.ca);
    let r = run_target(&t, &ProbeConfig::default(), now()).await;
    assert!(!r.echoes.is_empty(), "{r:#?}");
    assert!(
        r.echoes.iter().all(|e| e.error.is_some()),
        "{:#?}",
        r.echoes
    );

    let mut config = opsdeck::config::Config::default();
    config.probe.targets = vec![t];
    let mut pane = opsdeck::probe::ProbePane::new(&config);
    let mut shared = opsdeck::app::shared::Shared::default();
    let mut cx = opsdeck::app::pane::Cx {
        now: chrono::Local::now(),
        access: None,
        shared: &mut shared,
    };
    use opsdeck::app::pane::Pane;
    pane.on_event(opsdeck::probe::ProbeEvent::Report(0, Box::new(r)), &mut cx);
    pane.on_enter(&mut cx);
    let theme = opsdeck::ui::theme::Theme::fallback();
    let shared = opsdeck::app::shared::Shared::default();
    let vcx = opsdeck::app::pane::ViewCx {
        theme: &theme,
        now: chrono::Local::now(),
        focused: true,
        zoomed: true,
        read_only: true,
        shared: &shared,
    };
    // tall enough for the whole detail: the echo requests come last
    let (w, h) = (80u16, 120u16);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| pane.render(f, f.area(), &vcx)).unwrap();
    let buf = term.backend().buffer().clone();
    let screen: String = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    assert!(screen.contains("received by the echo"), "{screen}");
    assert!(
        !screen.contains("(no forwarding header)"),
        "nothing reached the echo:\n{screen}"
    );
    // each request shown (one "sent" heading each) says so
    let shown = screen.matches(": sent").count();
    assert!(shown >= 1, "{screen}");
    assert_eq!(
        screen.matches("(no answer from the echo)").count(),
        shown,
        "{screen}"
    );
    drop(nginx);
}

/// A balancer that adds its X-Forwarded-Proto after the client's instead of
/// replacing it (HAProxy's add-header, Apache's RequestHeader add; here two
/// nginx lines, the client's value first): Django, Express and Symfony read
/// the first value, so a client chooses the scheme the app sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_adding_x_forwarded_proto_after_the_clients() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        // the client's X-Forwarded-Proto first, then the balancer's own
        r#"proxy_set_header Host $host;
           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
           proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
           proxy_set_header X-Forwarded-Proto $scheme;
           proxy_set_header X-Forwarded-Port $server_port;
           proxy_set_header X-Real-IP $remote_addr;
           proxy_set_header Forwarded "";"#,
    );
    let r = run_target(&target(tls, None, &c.ca), &ProbeConfig::default(), now()).await;
    // without a client header only the balancer's arrives: the baseline is right
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Ok, "{base}");
    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Fail, "{forged}");
    assert!(
        forged.contains(
            "a client can forge the scheme for apps that take the first X-Forwarded-Proto value"
        ),
        "{forged}"
    );
    assert!(forged.contains("X-Forwarded-Proto appending"), "{forged}");
    assert!(
        forged.contains(r#"X-Forwarded-Proto: sent "http", arrived "http" + "https""#),
        "{forged}"
    );
}

/// PROXY protocol sent to the wrong echo port, both ways round, through
/// nginx's stream module: the verdict says which port got what, where a
/// bare "HTTP 400" or "connection closed" said nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_protocol_sent_to_the_wrong_echo_port() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(true).await;
    let pp = echo.proxy_addr.expect("PROXY protocol port");
    let top = format!("load_module {STREAM_MODULE};");
    let (_nginx, [to_plain, to_pp]) = Nginx::start(dir.path(), &top, |[to_plain, to_pp]| {
        format!(
            r#"stream {{
  ssl_certificate {cert};
  ssl_certificate_key {key};
  server {{
    listen 127.0.0.1:{to_plain} ssl;
    proxy_pass {plain};
    proxy_bind {PROXY_SOURCE};
    proxy_protocol on;
  }}
  server {{
    listen 127.0.0.1:{to_pp} ssl;
    proxy_pass {pp};
    proxy_bind {PROXY_SOURCE};
  }}
}}"#,
            cert = c.cert.display(),
            key = c.key.display(),
            plain = echo.addr,
        )
    });
    let mut cfg = ProbeConfig::default();
    cfg.echo.enabled = true;
    cfg.echo.proxy_protocol_listen = Some(pp);

    let r = run_target(&target(to_plain, None, &c.ca), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(
        base.contains(&format!(
            "HTTP 400 from the echo listener: a PROXY protocol header arrived on the plain HTTP port {}",
            echo.addr
        )),
        "{base}"
    );
    assert!(
        base.contains(&format!(
            "point the balancer at {pp} (proxy_protocol_listen)"
        )),
        "{base}"
    );
    assert_eq!(
        echo.log.snapshot().last_rejected.map(|r| r.why).as_deref(),
        Some("PROXY protocol header on the plain HTTP port")
    );

    let r = run_target(&target(to_pp, None, &c.ca), &cfg, now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Fail, "{base}");
    assert!(
        base.contains(&format!(
            "the echo's PROXY protocol port {pp} closes any connection that does not start with a PROXY header"
        )),
        "{base}"
    );
    assert!(base.contains("proxy_protocol on"), "{base}");
}

/// nginx on one dual-stack socket (`listen [::]:PORT ipv6only=off`) writes
/// an IPv4 client as ::ffff:127.0.0.1 in every header: the same client, so
/// expect_client = 127.0.0.1 holds, but the form is named, as IPv4
/// allow-lists and rate limits in the app do not match it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dual_stack_balancer_writes_ipv4_clients_mapped() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let echo = echo(false).await;
    let (_nginx, [tls]) = Nginx::start(dir.path(), "", |[tls]| {
        tls_balancer(
            dir.path(),
            &format!("[::]:{tls} ipv6only=off"),
            &c,
            &echo,
            r#"proxy_set_header Host $host;
           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
           proxy_set_header X-Forwarded-Proto $scheme;
           proxy_set_header X-Forwarded-Port $server_port;
           proxy_set_header X-Real-IP $remote_addr;
           proxy_set_header Forwarded "";"#,
        )
    });
    let r = run_target(&target(tls, None, &c.ca), &ProbeConfig::default(), now()).await;
    let base = text(&r, Check::Baseline);
    assert_eq!(level(&r, Check::Baseline), Level::Warn, "{base}");
    assert!(
        base.starts_with(
            "the client arrives as ::ffff:127.0.0.1, the IPv4-mapped form of 127.0.0.1"
        ),
        "{base}"
    );
    assert!(!base.contains("expected 127.0.0.1"), "{base}");
    assert!(base.contains("x-forwarded-for: ::ffff:127.0.0.1"), "{base}");
    assert!(base.contains("not one socket with ipv6only=off"), "{base}");
}

/// The probe on the balancer's own host, reaching it over loopback, with the echo trusting
/// loopback as a whole (the default `trusted_proxies`): nginx appends the probe's address,
/// 127.0.0.1, which the app trusts like the balancer, so the walk goes on to the forged
/// address. A visitor's address, appended in the same place, would stop it: the verdict must
/// not say the site can be lied to, but that the forged address cannot be judged from here
/// (a hop in front that passed the header on would look the same), and how to judge it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_from_a_trusted_address_is_not_taken_for_a_forging_visitor() {
    let dir = tempdir();
    let c = make_certs(dir.path(), 90);
    let cfg = opsdeck::probe::config::EchoConfig {
        enabled: true,
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let echo = opsdeck::probe::echo::start(&cfg).await.unwrap();
    let (_nginx, tls) = tls_nginx(
        dir.path(),
        &c,
        &echo,
        r#"proxy_set_header Host $host;
           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
           proxy_set_header X-Forwarded-Proto $scheme;
           proxy_set_header X-Forwarded-Port $server_port;
           proxy_set_header X-Real-IP $remote_addr;
           proxy_set_header Forwarded "";"#,
    );
    let mut t = target(tls, None, &c.ca);
    t.expect_client = None;
    let r = run_target(&t, &ProbeConfig::default(), now()).await;

    let forged = text(&r, Check::Forged);
    assert_eq!(level(&r, Check::Forged), Level::Warn, "{forged}");
    assert!(
        forged.starts_with(
            "the forged address was believed from this host, whose address (127.0.0.1) the app trusts as a proxy: not judged for visitors: X-Forwarded-For appending"
        ),
        "{forged}"
    );
    assert!(!forged.contains("a client can forge"), "{forged}");
    assert!(
        forged.contains("resolve = the balancer's public address"),
        "{forged}"
    );
    assert!(!forged.contains("set, do not pass"), "{forged}");
    let v = r
        .verdicts
        .iter()
        .find(|v| v.check == Check::Forged)
        .unwrap();
    assert_eq!(
        v.plain(),
        "forged addresses not judged: this host is a trusted proxy"
    );
    let two = text(&r, Check::TwoXff);
    assert_eq!(level(&r, Check::TwoXff), Level::Warn, "{two}");
    assert!(two.contains("not judged for visitors"), "{two}");
    assert!(!two.contains("was believed"), "{two}");
    assert_eq!(r.worst(), Level::Warn, "{r:#?}");
}

/// A port taken between its pick and nginx's start (by another test's listener, as every
/// in-process server binds port 0) neither fails the test nor leaves it talking to that
/// listener, which answers connections too: nginx starts again on another port, and the port
/// it reports is served by nginx.
#[test]
fn nginx_starts_on_another_port_when_its_port_is_taken() {
    use std::io::{Read, Write};
    let dir = tempdir();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let candidates = std::iter::once([taken]).chain(ports::fresh_ports());
    let (_nginx, [port]) = Nginx::start_trying(dir.path(), "", candidates, |[port]| {
        format!(
            "http {{\n  {}\n  server {{\n    listen 127.0.0.1:{port};\n    return 200 \"nginx here\\n\";\n  }}\n}}",
            Nginx::http_temp_paths(dir.path())
        )
    });
    assert_ne!(port, taken, "nginx was reported on the port the test holds");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.write_all(b"GET / HTTP/1.0\r\nHost: opsdeck.test\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("nginx here"), "{answer}");
}
