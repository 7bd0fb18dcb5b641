//! The demo's part of the probe, for real: the echo listener behind the
//! demo's own forwarding hop on loopback, probed like any target. The hop
//! appends X-Forwarded-For and sets X-Forwarded-Proto, but passes a client's
//! `Forwarded` and `X-Real-IP` through, and the echo (the "backend") answers
//! directly: the pane must show exactly those findings.

use opsdeck::config::Config;
use opsdeck::probe::checks::{Check, Level, run_target};
use opsdeck::probe::echo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_hop_and_echo_give_real_findings() {
    let sandbox = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    opsdeck::probe::demo(sandbox.path(), &mut config).expect("demo setup");
    let p = &config.probe;
    assert!(p.echo.enabled);
    assert!(p.echo.listen.ip().is_loopback());
    let server = echo::start(&p.echo).await.expect("demo echo listener");
    let t = &p.targets[0];
    let r = run_target(t, p, chrono::Utc::now().timestamp()).await;
    let level = |c: Check| r.verdicts.iter().find(|v| v.check == c).unwrap().level;
    let text = |c: Check| {
        r.verdicts
            .iter()
            .find(|v| v.check == c)
            .unwrap()
            .summary
            .to_string()
    };
    assert_eq!(
        level(Check::Redirects),
        Level::Ok,
        "{}",
        text(Check::Redirects)
    );
    assert_eq!(
        level(Check::Baseline),
        Level::Ok,
        "{}",
        text(Check::Baseline)
    );
    assert!(
        text(Check::Forged).contains("Forwarded passing through"),
        "{}",
        text(Check::Forged)
    );
    assert!(
        text(Check::Forged).contains("X-Forwarded-For appending"),
        "{}",
        text(Check::Forged)
    );
    // the site reads X-Forwarded-For, which gives the right client: the Forwarded header
    // passed through misleads only applications that read it
    assert!(
        text(Check::Forged).starts_with(
            "a client's Forwarded header reaches the app: apps that read it before the \
             X-Forwarded headers take the forged address (203.0.113.66; X-Forwarded-For gives"
        ),
        "{}",
        text(Check::Forged)
    );
    assert_eq!(level(Check::Forged), Level::Warn);
    assert_eq!(level(Check::TwoXff), Level::Ok, "{}", text(Check::TwoXff));
    // the demo's backend is on loopback: reaching it from this host proves nothing about others
    assert_eq!(
        level(Check::Backend),
        Level::Skip,
        "{}",
        text(Check::Backend)
    );
    assert!(
        text(Check::Backend).contains("is on loopback"),
        "{}",
        text(Check::Backend)
    );
    // The echo saw the hop (127.0.0.2) and the direct request (127.0.0.1).
    let snap = server.log.snapshot();
    assert!(
        snap.recent
            .iter()
            .any(|e| e.peer.ip().to_string() == "127.0.0.2")
    );
    assert!(
        snap.recent
            .iter()
            .any(|e| e.peer.ip().to_string() == "127.0.0.1")
    );
    assert!(
        snap.recent
            .iter()
            .any(|e| e.values("via") == vec!["1.1 opsdeck-demo-hop"])
    );
}
