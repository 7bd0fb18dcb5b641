//! SES through the AWS SDK against the moto emulator (identities: list,
//! create, verification status) and against a fixture server replaying
//! recorded SES v2 responses for GetAccount, which moto does not implement,
//! and for paging.

/// A Postfix configuration directory routing senders by `map` (read with
/// postconf -c; nothing runs) and the config for it with SES at `endpoint`.
fn routed_config(map: &str, endpoint: String) -> (tempfile::TempDir, opsdeck::config::Config) {
    use opsdeck::config::{Config, PostfixInstance};
    use opsdeck::mail::senders::SendersConfig;
    let dir = tempfile::tempdir().unwrap();
    let map_path = dir.path().join("sender_relay");
    std::fs::write(&map_path, map).unwrap();
    std::fs::write(
        dir.path().join("main.cf"),
        format!(
            "sender_dependent_relayhost_maps = texthash:{}\nsmtp_tls_security_level = encrypt\n",
            map_path.display()
        ),
    )
    .unwrap();
    // written a minute ago: Postfix waits until a configuration file written in the last
    // second is older before it reads it, longer than a check given a 1 s deadline waits
    std::fs::File::options()
        .write(true)
        .open(dir.path().join("main.cf"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .unwrap();
    let config = Config {
        postfix: vec![PostfixInstance {
            name: "t".into(),
            config_dir: dir.path().into(),
            command_prefix: Vec::new(),
        }],
        senders: SendersConfig {
            ses_endpoint: Some(endpoint),
            mail_log: Some(dir.path().join("no-mail.log")),
            ..SendersConfig::default()
        },
        ..Config::default()
    };
    (dir, config)
}

#[path = "support/closed_port.rs"]
mod closed_port;
#[path = "support/moto.rs"]
mod moto;
#[path = "support/ses_replay.rs"]
mod ses_replay;

use opsdeck::access::{Mode, WriteAccess};
use opsdeck::mail::senders::ses::{self, SesTarget, Verification};

fn target(endpoint: String) -> SesTarget {
    SesTarget {
        region: "us-east-1".into(),
        endpoint: Some(endpoint),
        demo_keys: false,
    }
}

#[tokio::test]
async fn moto_create_then_list_shows_verification() {
    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let t = target(server.endpoint());
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();

    let client = ses::connect(&t).await;
    assert!(ses::list_identities(&client, &t).await.unwrap().is_empty());

    // moto verifies at once: SES itself would answer false (pending)
    ses::create_identity(&access, &t, "alice@example.com")
        .await
        .unwrap();
    ses::create_identity(&access, &t, "example.org")
        .await
        .unwrap();

    let ids = ses::list_identities(&client, &t).await.unwrap();
    let names: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, vec!["alice@example.com", "example.org"]);
    assert!(!ids[0].is_domain);
    assert!(ids[1].is_domain);
    for i in &ids {
        assert_eq!(i.status, Verification::Verified, "{i:?}");
    }

    // the whole snapshot: identities listed, GetAccount unsupported by moto
    // shows as an account error while the identities stay usable
    let snap = ses::snapshot(&t).await.unwrap();
    assert_eq!(snap.identities.len(), 2);
    let err = snap.account.as_ref().expect_err("moto has no GetAccount");
    // one line that says what failed, where, and what it means; not the SDK's nested dump
    assert_eq!(
        err.as_str(),
        format!(
            "SES GetAccount in us-east-1: {} does not offer GetAccount (HTTP 404): not the SES \
             v2 API, or an SES emulator without this call",
            server.endpoint()
        ),
    );
    assert_eq!(
        snap.verification_of("bob@example.org")
            .map(|i| i.name.as_str()),
        Some("example.org")
    );
    assert!(snap.verification_of("bob@example.com").is_none());
}

#[tokio::test]
async fn moto_duplicate_create_keeps_one_identity() {
    // SES answers AlreadyExistsException here; moto accepts the call. Either
    // way the account must hold the identity once.
    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let t = target(server.endpoint());
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    ses::create_identity(&access, &t, "dup@example.com")
        .await
        .unwrap();
    let _ = ses::create_identity(&access, &t, "dup@example.com").await;
    let c = ses::connect(&t).await;
    let ids = ses::list_identities(&c, &t).await.unwrap();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(ids[0].name.as_str(), "dup@example.com");
}

#[tokio::test]
async fn unreachable_endpoint_is_a_clear_error() {
    moto::dummy_aws_credentials();
    // a port that refuses, held for the whole test
    let closed = closed_port::ClosedPort::bind();
    let port = closed.port();
    let t = target(format!("http://127.0.0.1:{port}"));
    let err = ses::snapshot(&t).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "SES ListEmailIdentities in us-east-1: cannot reach http://127.0.0.1:{port}: \
             Connection refused (os error 111)"
        )
    );
}

/// The SDK's errors read as one line each: what was refused and what to do, never the SDK's
/// nested debug dump, and a user name and password written into the endpoint stay hidden.
#[tokio::test]
async fn sdk_errors_are_one_plain_line() {
    moto::dummy_aws_credentials();
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "GET /v2/email/account".into(),
        (403, ses_replay::fixture("access_denied.json")),
    );
    routes.insert(
        r#"POST /v2/email/list-identities {"PageSize":100}"#.into(),
        (
            403,
            r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#.into(),
        ),
    );
    routes.insert(
        r#"POST /v2/email/identities {"EmailIdentity":"dup@example.com"}"#.into(),
        (
            400,
            r#"{"__type":"AlreadyExistsException","message":"Email identity dup@example.com already exist."}"#.into(),
        ),
    );
    // a signature mismatch goes on with the canonical request, whose signed headers may hold
    // the session token: only the code is said
    routes.insert(
        r#"POST /v2/email/identities {"EmailIdentity":"sig@example.com"}"#.into(),
        (
            403,
            r#"{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'POST\n/v2/email/identities\nx-amz-security-token:FwoGZXIvYXdzEXAMPLESESSIONTOKEN\n'"}"#.into(),
        ),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let t = target(server.endpoint());
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let err = ses::create_identity(&access, &t, "dup@example.com")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "SES CreateEmailIdentity in us-east-1: already in SES (r reads SES again): Email \
         identity dup@example.com already exist."
    );
    let err = ses::create_identity(&access, &t, "sig@example.com")
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "SES CreateEmailIdentity in us-east-1: the AWS credentials were refused \
         (InvalidSignatureException) - check the access key, its secret and this host's clock"
    );
    assert!(!err.contains("EXAMPLESESSIONTOKEN"), "{err}");
    let c = ses::connect(&t).await;
    let err = ses::get_account(&c, &t).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "SES GetAccount in us-east-1: access denied (HTTP 403): User: \
         arn:aws:iam::123456789012:user/opsdeck is not authorized to perform: ses:GetAccount - \
         the IAM policy of the credentials in use must allow ses:GetAccount"
    );
    let err = ses::list_identities(&c, &t).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "SES ListEmailIdentities in us-east-1: the AWS credentials were refused \
         (UnrecognizedClientException) - check the access key, its secret and this host's \
         clock"
    );

    // a proxy's error page instead of SES, at an endpoint written with a password in it
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "GET /v2/email/account".into(),
        (502, "<html><body>Bad Gateway</body></html>".into()),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let with_password = format!("http://proxyuser:hunter2@{}", server.addr);
    let t = target(with_password);
    let c = ses::connect(&t).await;
    let err = ses::get_account(&c, &t).await.unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "SES GetAccount in us-east-1: http://***@{} answered HTTP 502, not an SES reply \
             (not the SES v2 API, or a proxy in the way?)",
            server.addr
        )
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test]
async fn replayed_get_account_sandbox_and_paged_identities() {
    moto::dummy_aws_credentials();
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "GET /v2/email/account".into(),
        (200, ses_replay::fixture("get_account_sandbox.json")),
    );
    routes.insert(
        r#"POST /v2/email/list-identities {"PageSize":100}"#.into(),
        (200, ses_replay::fixture("list_identities_page1.json")),
    );
    routes.insert(
        r#"POST /v2/email/list-identities {"NextToken":"page-2","PageSize":100}"#.into(),
        (200, ses_replay::fixture("list_identities_page2.json")),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let t = target(server.endpoint());
    let snap = ses::snapshot(&t).await.unwrap();
    let requests = server.requests.lock().unwrap().clone();
    assert_eq!(snap.identities.len(), 3, "both pages read: {requests:?}");
    let pending = snap.verification_of("new@example.com").unwrap();
    assert_eq!(pending.status, Verification::Pending);
    assert!(!pending.sending_enabled);
    let a = snap.account.as_ref().expect("GetAccount replayed");
    assert!(!a.production, "sandbox");
    assert!(a.sending_enabled);
    assert_eq!(a.enforcement.as_str(), "HEALTHY");
    assert_eq!((a.max_24h, a.sent_24h, a.max_rate), (200.0, 17.0, 1.0));
}

#[tokio::test]
async fn replayed_get_account_paused_and_denied() {
    moto::dummy_aws_credentials();
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "GET /v2/email/account".into(),
        (
            200,
            ses_replay::fixture("get_account_production_paused.json"),
        ),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let t = target(server.endpoint());
    let c = ses::connect(&t).await;
    let a = ses::get_account(&c, &t).await.unwrap();
    assert!(a.production && !a.sending_enabled);
    assert_eq!(a.enforcement.as_str(), "PROBATION");

    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "GET /v2/email/account".into(),
        (403, ses_replay::fixture("access_denied.json")),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let t = target(server.endpoint());
    let c = ses::connect(&t).await;
    let err = ses::get_account(&c, &t).await.unwrap_err().to_string();
    assert!(err.starts_with("SES GetAccount in us-east-1:"), "{err}");
    assert!(err.contains("not authorized"), "{err}");
}

/// The verify-identity action end to end through the pane: prompt, confirm,
/// CreateEmailIdentity against moto, then SES read again and the sender's
/// row turns from "will bounce" to verified (moto verifies at once; SES
/// would show it pending until the link is followed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_identity_through_the_pane() {
    use opsdeck::app::effect::{Effect, Runner, SourceEvent};
    use opsdeck::app::pane::{Cx, Pane};
    use opsdeck::app::shared::Shared;
    use opsdeck::mail::senders::model::SesCheck;
    use opsdeck::mail::senders::{self, SendersAction, SendersPane};
    use std::sync::Arc;
    use std::time::Duration;

    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    // a Postfix configuration directory (read with postconf -c; nothing runs)
    let (_dir, config) = routed_config(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config.clone()),
    };
    let mut pane = SendersPane::new(&config);
    let mut shared = Shared::default();
    let access = WriteAccess::for_mode(Mode::Interactive);

    fn dispatch(effects: Vec<Effect>, runner: &Runner) {
        for e in effects {
            match e {
                Effect::Senders(e) => senders::run(e, runner),
                Effect::Confirm(c) => dispatch(c.then, runner),
                _ => {}
            }
        }
    }
    let alice_ses = |pane: &SendersPane| {
        pane.cross_check()
            .rows
            .iter()
            .find(|r| r.sender.as_str() == "alice@example.com")
            .map(|r| r.ses.clone())
    };

    senders::run(senders::SendersEffect::Refresh { activity: true }, &runner);
    let mut created = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the flow finished")
            .unwrap();
        let SourceEvent::Senders(ev) = ev else {
            continue;
        };
        let is_ses = matches!(ev, senders::SendersEvent::Ses { .. });
        let mut cx = Cx {
            now: chrono::Local::now(),
            access: access.as_ref(),
            shared: &mut shared,
        };
        let effects = pane.on_event(ev, &mut cx);
        dispatch(effects, &runner);
        if is_ses && !created {
            // SES read, identity missing: every mail will bounce
            assert!(
                matches!(alice_ses(&pane), Some(SesCheck::NotFound { .. })),
                "{:?}",
                alice_ses(&pane)
            );
            let e = pane.on_action(SendersAction::VerifyIdentity, &mut cx);
            let [Effect::Prompt(p)] = &e[..] else {
                panic!("{e:?}")
            };
            assert_eq!(
                p.initial, "alice@example.com",
                "the selected sender is offered"
            );
            let e = pane.on_prompt(p.purpose, p.initial.clone(), &mut cx);
            assert!(
                matches!(&e[..], [Effect::Confirm(c)] if c.lines[0].contains("CreateEmailIdentity alice@example.com in us-east-1")),
                "{e:?}"
            );
            dispatch(e, &runner);
            created = true;
        } else if is_ses && created {
            assert!(
                matches!(
                    alice_ses(&pane),
                    Some(SesCheck::Status {
                        status: Verification::Verified,
                        ..
                    })
                ),
                "{:?}",
                alice_ses(&pane)
            );
            break;
        }
    }
}

/// Identities are per region: one created in us-east-1 is not there in
/// eu-west-1 (moto keeps a backend per region, as SES does).
#[tokio::test]
async fn moto_identities_belong_to_their_region() {
    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let east = target(server.endpoint());
    let west = SesTarget {
        region: "eu-west-1".into(),
        endpoint: Some(server.endpoint()),
        demo_keys: false,
    };
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    ses::create_identity(&access, &east, "alice@example.com")
        .await
        .unwrap();
    ses::create_identity(&access, &west, "carol@example.net")
        .await
        .unwrap();
    let e = ses::snapshot(&east).await.unwrap();
    let w = ses::snapshot(&west).await.unwrap();
    assert_eq!(e.region, "us-east-1");
    assert_eq!(w.region, "eu-west-1");
    assert!(e.verification_of("alice@example.com").is_some());
    assert!(w.verification_of("alice@example.com").is_none(), "{w:?}");
    assert!(w.verification_of("carol@example.net").is_some());
    assert!(e.verification_of("carol@example.net").is_none(), "{e:?}");
}

/// The pane reads every region its relay hosts name, each against moto:
/// alice is routed to us-east-1 and bob to eu-west-1, both verified in
/// us-east-1 only, so bob's mail will bounce and the verdict names
/// eu-west-1; the drawn pane shows both regions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pane_checks_each_sender_in_its_region() {
    use opsdeck::app::effect::{Effect, Runner, SourceEvent};
    use opsdeck::app::pane::{Cx, Pane, ViewCx};
    use opsdeck::app::shared::Shared;
    use opsdeck::mail::senders::model::{SesCheck, Severity};
    use opsdeck::mail::senders::{self, SendersPane};
    use std::sync::Arc;
    use std::time::Duration;

    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let east = target(server.endpoint());
    for id in ["alice@example.com", "bob@example.com"] {
        ses::create_identity(&access, &east, id).await.unwrap();
    }
    let (_dir, config) = routed_config(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         bob@example.com   [email-smtp.eu-west-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config.clone()),
    };
    let mut pane = SendersPane::new(&config);
    let mut shared = Shared::default();
    senders::run(senders::SendersEffect::Refresh { activity: true }, &runner);
    let mut regions_read = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while regions_read.len() < 2 {
        let ev = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("both regions answered")
            .unwrap();
        let SourceEvent::Senders(ev) = ev else {
            continue;
        };
        if let senders::SendersEvent::Ses { region, result } = &ev {
            assert!(result.is_ok(), "{region}: {result:?}");
            regions_read.push(region.clone());
        }
        let mut cx = Cx {
            now: chrono::Local::now(),
            access: None,
            shared: &mut shared,
        };
        for e in pane.on_event(ev, &mut cx) {
            if let Effect::Senders(e) = e {
                senders::run(e, &runner);
            }
        }
    }
    regions_read.sort();
    assert_eq!(regions_read, ["eu-west-1", "us-east-1"]);
    let row = |s: &str| {
        pane.cross_check()
            .rows
            .iter()
            .find(|r| r.sender.as_str() == s)
            .cloned()
            .unwrap_or_else(|| panic!("no row {s}"))
    };
    let alice = row("alice@example.com");
    assert!(
        matches!(&alice.ses, SesCheck::Status { status: Verification::Verified, region, .. } if region == "us-east-1"),
        "{alice:?}"
    );
    let bob = row("bob@example.com");
    assert_eq!(
        bob.ses,
        SesCheck::NotFound {
            region: "eu-west-1".into()
        }
    );
    assert_eq!(bob.worst(), Severity::Error);
    assert_eq!(
        bob.headline().unwrap().text,
        "routed to SES, not verified in eu-west-1: every mail will bounce"
    );

    let theme = opsdeck::ui::theme::Theme::fallback();
    let cx = ViewCx {
        theme: &theme,
        now: chrono::Local::now(),
        focused: true,
        zoomed: true,
        read_only: true,
        shared: &shared,
    };
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 24)).unwrap();
    term.draw(|f| pane.render(f, f.area(), &cx)).unwrap();
    let buf = term.backend().buffer().clone();
    let mut screen = String::new();
    for y in 0..24 {
        for x in 0..100 {
            screen.push_str(buf[(x, y)].symbol());
        }
        screen.push('\n');
    }
    // moto has no GetAccount: each region says its account was not read, and why, in words
    let account = pane
        .cross_check()
        .global
        .iter()
        .find(|v| v.text.starts_with("SES account in us-east-1"))
        .expect("a finding for the account");
    assert_eq!(
        account.text,
        format!(
            "SES account in us-east-1 not read (sandbox, quota, paused sending unknown): {} does \
             not offer GetAccount (HTTP 404): not the SES v2 API, or an SES emulator without this \
             call",
            server.endpoint()
        )
    );
    assert!(
        screen.contains("SES eu-west-1: 0 identities · account not read"),
        "{screen}"
    );
    assert!(
        screen.contains("SES us-east-1: 2 identities · account not read"),
        "{screen}"
    );
    assert!(
        screen.contains("routed to SES, not verified in eu-west-1: every mail will bounce"),
        "{screen}"
    );
}

/// Two regions read from moto through the pane, and `r` pressed once the first has answered,
/// before the second's answer is taken: `r` reads the first region again (and the relay
/// setup), not the second, whose read is out, and says so. Both answers that follow are taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r_reads_the_region_that_answered_while_another_is_still_read() {
    use opsdeck::app::effect::{Effect, Runner, SourceEvent};
    use opsdeck::app::pane::{Cx, Pane};
    use opsdeck::app::shared::Shared;
    use opsdeck::mail::senders::{self, SendersAction, SendersEffect, SendersEvent, SendersPane};
    use std::sync::Arc;
    use std::time::Duration;

    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let (_dir, config) = routed_config(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         bob@example.com   [email-smtp.eu-west-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config.clone()),
    };
    let mut pane = SendersPane::new(&config);
    let mut shared = Shared::default();
    senders::run(SendersEffect::Refresh { activity: true }, &runner);
    let mut answered = Vec::new();
    let mut again = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    // the two first answers, and those `r` asks for
    let mut expected = 2;
    while answered.len() < expected {
        let SourceEvent::Senders(ev) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("every region read answered")
            .unwrap()
        else {
            continue;
        };
        let region = match &ev {
            SendersEvent::Ses { region, result } => {
                assert!(result.is_ok(), "{region}: {result:?}");
                Some(region.clone())
            }
            _ => None,
        };
        let mut cx = Cx {
            now: chrono::Local::now(),
            access: None,
            shared: &mut shared,
        };
        let mut effects = pane.on_event(ev, &mut cx);
        if let Some(region) = region {
            answered.push(region.clone());
            if again.is_none() {
                // `r`: what it reads again, and what it says
                let (mut read_again, mut said) = (Vec::new(), Vec::new());
                for e in pane.on_action(SendersAction::Refresh, &mut cx) {
                    match e {
                        Effect::Notice(n) => said.push(n.to_string()),
                        Effect::Senders(e) => {
                            if let SendersEffect::RefreshSes(t) = &e {
                                read_again.push(t.region.clone());
                            }
                            effects.push(Effect::Senders(e));
                        }
                        other => panic!("{other:?}"),
                    }
                }
                expected += read_again.len();
                again = Some((region, read_again, said));
            }
        }
        for e in effects {
            if let Effect::Senders(e) = e {
                senders::run(e, &runner);
            }
        }
    }
    let (first, read_again, said) = again.unwrap();
    let second = if first == "us-east-1" {
        "eu-west-1"
    } else {
        "us-east-1"
    };
    assert_eq!(read_again, std::slice::from_ref(&first));
    assert_eq!(
        said,
        [format!(
            "SES {second}: already being read; relay setup and SES {first}: reading again"
        )]
    );
    // the second region's answer to the first read, and the first region's to `r`, in the
    // order they come
    let mut after = answered[1..].to_vec();
    after.sort();
    let mut expected = vec![second.to_string(), first.clone()];
    expected.sort();
    assert_eq!(after, expected);
    let bob = pane
        .cross_check()
        .rows
        .iter()
        .find(|r| r.sender.as_str() == "bob@example.com")
        .cloned()
        .unwrap();
    assert_eq!(
        bob.headline().unwrap().text,
        "routed to SES, not verified in eu-west-1: every mail will bounce"
    );
}

/// An SES endpoint that takes connections and never answers, for two regions: each is
/// UNKNOWN at the check's deadline, read side by side, and the check goes on.
#[tokio::test]
async fn ses_that_never_answers_is_unknown_at_the_deadline_in_every_region() {
    use opsdeck::check::{Report, Status};
    use opsdeck::mail::senders;

    moto::dummy_aws_credentials();
    // the kernel completes the handshakes into the listen queue; nobody ever reads them
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (_dir, mut config) = routed_config(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         bob@example.com   [email-smtp.eu-west-1.amazonaws.com]:587\n",
        format!("http://{}", silent.local_addr().unwrap()),
    );
    config.check.deadline_secs = 1;
    let mut report = Report::default();
    // a guard far past the deadline, short of the 30 s each region once waited in turn
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        senders::check::check(&config, &mut report),
    )
    .await
    .expect("the check ends when SES does not answer");
    let mut ses: Vec<(Status, String)> = report
        .findings
        .iter()
        .filter(|f| f.area == "ses")
        .map(|f| (f.status, f.summary.clone()))
        .collect();
    ses.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        ses,
        [
            (
                Status::Unknown,
                format!(
                    "SES in eu-west-1: no answer from http://{} within 1 s ([check] deadline_secs)",
                    silent.local_addr().unwrap()
                )
            ),
            (
                Status::Unknown,
                format!(
                    "SES in us-east-1: no answer from http://{} within 1 s ([check] deadline_secs)",
                    silent.local_addr().unwrap()
                )
            ),
        ],
        "{:?}",
        report.findings
    );
    // the senders are still judged from the relay setup
    assert!(
        report.findings.iter().any(|f| f.area == "senders"),
        "{:?}",
        report.findings
    );
}

/// GetAccount is read in every region in use (replayed: moto lacks it): the
/// one-shot check reports us-east-1 in production and eu-west-1 in the
/// sandbox, each with its own quota metric, from answers chosen by the
/// region the request was signed for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_account_is_read_per_region() {
    use opsdeck::check::{Report, Status};
    use opsdeck::mail::senders;

    moto::dummy_aws_credentials();
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "us-east-1 GET /v2/email/account".into(),
        (
            200,
            ses_replay::fixture("get_account_production_paused.json"),
        ),
    );
    routes.insert(
        "eu-west-1 GET /v2/email/account".into(),
        (200, ses_replay::fixture("get_account_sandbox.json")),
    );
    routes.insert(
        "us-east-1 POST /v2/email/list-identities {\"PageSize\":100}".into(),
        (200, ses_replay::fixture("list_identities_page2.json")),
    );
    routes.insert(
        "eu-west-1 POST /v2/email/list-identities {\"PageSize\":100}".into(),
        (200, "{\"EmailIdentities\":[]}".into()),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let (_dir, config) = routed_config(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         bob@example.com   [email-smtp.eu-west-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let requests = server.requests.lock().unwrap().clone();
    let ses: Vec<(Status, String)> = report
        .findings
        .iter()
        .filter(|f| f.area == "ses")
        .map(|f| (f.status, f.summary.clone()))
        .collect();
    assert!(
        ses.contains(&(
            Status::Critical,
            "SES us-east-1: sending paused; enforcement status PROBATION; 1234 of 50000 sent \
             in 24 h"
                .into()
        )),
        "{ses:?} {requests:?}"
    );
    assert!(
        ses.contains(&(
            Status::Warning,
            "SES eu-west-1: in the sandbox: recipients must be verified too; 17 of 200 sent in 24 h"
                .into()
        )),
        "{ses:?}"
    );
    let quota: Vec<String> = report
        .metrics
        .iter()
        .filter(|m| m.name == "ses_max_24h")
        .map(|m| format!("{:?}={}", m.labels, m.value))
        .collect();
    assert_eq!(quota.len(), 2, "{quota:?}");
    // neither region lists alice or bob: both fail, each in its own region
    assert!(
        report.findings[0]
            .summary
            .starts_with("2 of 4 senders failing"),
        "{:?}",
        report.findings
    );
    // the account's state is said in the ses area alone
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.area != "ses" && f.summary.contains("PROBATION")),
        "{:?}",
        report.findings
    );
}

/// A verified domain covers its subdomains (SES: "you can send email from any
/// subdomain or email address of the verified domain"): a sender at
/// notify.example.com routed to SES with example.com verified is verified,
/// through the domain, and so is an `@notify.example.com` route; a sender
/// of another domain is still named as bouncing.
#[tokio::test]
async fn a_verified_parent_domain_covers_subdomain_senders() {
    use opsdeck::mail::senders::model::{self, SesCheck};
    use opsdeck::mail::senders::source;

    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let access = WriteAccess::for_mode(Mode::Interactive).unwrap();
    let east = target(server.endpoint());
    ses::create_identity(&access, &east, "example.com")
        .await
        .unwrap();
    let (_dir, config) = routed_config(
        "app@notify.example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         @notify.example.com    [email-smtp.us-east-1.amazonaws.com]:587\n\
         x@other.example        [email-smtp.us-east-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    let snap = source::read_snapshot(&config.postfix[0], std::time::SystemTime::now()).unwrap();
    let ses_snap = ses::snapshot(&east).await.unwrap();
    let check = model::cross_check(&model::CheckInput {
        snapshot: &snap,
        ses: model::ready_view([&ses_snap]),
        activity: &Default::default(),
        queue_senders: &[],
        local_senders: &[],
        asked: &[],
        ses_off: false,
    });
    let row = |s: &str| {
        check
            .rows
            .iter()
            .find(|r| r.sender.as_str() == s)
            .cloned()
            .unwrap_or_else(|| panic!("no row {s}"))
    };
    for sender in ["app@notify.example.com", "@notify.example.com"] {
        let r = row(sender);
        assert!(
            matches!(&r.ses, SesCheck::Status { status: Verification::Verified, identity, .. } if identity.as_str() == "example.com"),
            "{sender}: {r:?}"
        );
        assert!(
            !r.verdicts.iter().any(|v| v.text.contains("not verified")),
            "{sender}: {:?}",
            r.verdicts
        );
        assert!(
            r.verdicts
                .iter()
                .any(|v| v.text == "routed to SES, verified in us-east-1"),
            "{sender}: {:?}",
            r.verdicts
        );
    }
    let other = row("x@other.example");
    assert_eq!(
        other.headline().unwrap().text,
        "routed to SES, not verified in us-east-1: every mail will bounce"
    );
}

/// `opsdeck check` where postconf fails (here a configuration directory that is gone): the
/// senders are UNKNOWN with postconf's words, and SES is still read in the region the
/// configuration names (a paused account is news whatever Postfix says). Without a region
/// named, the ses area says why SES was not read rather than vanishing.
#[tokio::test]
async fn a_failing_postconf_still_reads_ses_in_the_configured_region() {
    use opsdeck::check::{Report, Status};
    use opsdeck::mail::senders;

    moto::dummy_aws_credentials();
    let server = moto::MotoServer::start();
    let (dir, mut config) = routed_config(
        "alice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    config.postfix[0].config_dir = dir.path().join("gone");
    config.senders.ses_region = Some("eu-west-1".into());
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let area = |report: &Report, area: &str| -> Vec<(Status, String)> {
        report
            .findings
            .iter()
            .filter(|f| f.area == area)
            .map(|f| (f.status, f.summary.clone()))
            .collect()
    };
    let s = area(&report, "senders");
    assert_eq!(s.len(), 1, "{:?}", report.findings);
    assert_eq!(s[0].0, Status::Unknown);
    assert!(
        s[0].1.starts_with("cannot read the relay setup: "),
        "{:?}",
        report.findings
    );
    let ses = area(&report, "ses");
    assert_eq!(ses.len(), 1, "{:?}", report.findings);
    assert!(ses[0].1.starts_with("SES eu-west-1: "), "{ses:?}");
    assert!(!ses[0].1.contains("not read: its regions"), "{ses:?}");

    // no region named: said, not left out
    config.senders.ses_region = None;
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    assert_eq!(
        area(&report, "ses"),
        [(
            Status::Unknown,
            "SES not read: its regions are those the relay setup names, and that is not known; \
             [senders] ses_region names one to read in any case"
                .to_string()
        )],
        "{:?}",
        report.findings
    );
    // and with SES turned off there is nothing to say of it
    config.senders.ses = false;
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    assert!(area(&report, "ses").is_empty(), "{:?}", report.findings);
}

/// `opsdeck check` where what SES says holds a control character (an error's message, the
/// account's enforcement status) and where an identity does: each is shown with its escape once,
/// as the Senders pane shows it, not with the backslash doubled as if SES had sent one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ses_words_with_a_control_character_are_escaped_once_in_check() {
    use opsdeck::check::{Report, Status};
    use opsdeck::mail::senders;

    moto::dummy_aws_credentials();
    let mut routes = ses_replay::Routes::new();
    // us-east-1: the account is refused with a message holding an ESC
    routes.insert(
        "us-east-1 GET /v2/email/account".into(),
        (
            403,
            r#"{"__type":"AccessDeniedException","message":"denied to \u001b[31mrole/app"}"#.into(),
        ),
    );
    routes.insert(
        "us-east-1 POST /v2/email/list-identities {\"PageSize\":100}".into(),
        (
            200,
            r#"{"EmailIdentities":[{"IdentityType":"EMAIL_ADDRESS","IdentityName":"al\u001b[2Jice@example.com","SendingEnabled":true,"VerificationStatus":"SUCCESS"}]}"#.into(),
        ),
    );
    // eu-west-1: the identities are refused, SES quoting what it was asked with an ESC in it
    routes.insert(
        "eu-west-1 POST /v2/email/list-identities {\"PageSize\":100}".into(),
        (
            400,
            r#"{"__type":"BadRequestException","message":"bad token \u001b]0;x"}"#.into(),
        ),
    );
    // ap-south-1: an enforcement status holding an ESC
    routes.insert(
        "ap-south-1 GET /v2/email/account".into(),
        (
            200,
            ses_replay::fixture("get_account_sandbox.json")
                .replace("\"HEALTHY\"", "\"PROBATION\\u001b[0m\""),
        ),
    );
    routes.insert(
        "ap-south-1 POST /v2/email/list-identities {\"PageSize\":100}".into(),
        (200, "{\"EmailIdentities\":[]}".into()),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let (_dir, config) = routed_config(
        "al\x1b[2Jice@example.com [email-smtp.us-east-1.amazonaws.com]:587\n\
         bob@example.com   [email-smtp.eu-west-1.amazonaws.com]:587\n\
         carol@example.com [email-smtp.ap-south-1.amazonaws.com]:587\n",
        server.endpoint(),
    );
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let ses: Vec<(Status, String)> = report
        .findings
        .iter()
        .filter(|f| f.area == "ses")
        .map(|f| (f.status, f.summary.clone()))
        .collect();
    for want in [
        (
            Status::Unknown,
            r"SES us-east-1: account not read (sandbox, quota, paused sending unknown): access denied: denied to \e[31mrole/app - the IAM policy of the credentials in use must allow ses:GetAccount",
        ),
        (
            Status::Unknown,
            r"SES ListEmailIdentities in eu-west-1: BadRequestException: bad token \e]0;x",
        ),
        (
            Status::Warning,
            r"SES ap-south-1: in the sandbox: recipients must be verified too; enforcement status PROBATION\e[0m; 17 of 200 sent in 24 h",
        ),
    ] {
        assert!(
            ses.contains(&(want.0, want.1.to_string())),
            "{want:?} in {ses:?}"
        );
    }
    // the sender (as the pane names it, lower case) and its identity: once, never doubled
    let all: Vec<&str> = report.findings.iter().map(|f| f.summary.as_str()).collect();
    assert!(
        all.iter().all(|s| !s.contains(r"\\e")),
        "an escape doubled: {all:?}"
    );
    assert!(
        all.iter().any(|s| s.contains(r"al\e[2jice@example.com")),
        "{all:?}"
    );
}

/// The Senders pane gets SES's errors in the same words as `opsdeck check` says them: an ESC in
/// SES's message escaped once, in a region's read and in a refused CreateEmailIdentity alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pane_gets_ses_errors_escaped_once() {
    use opsdeck::app::effect::{Runner, SourceEvent};
    use opsdeck::mail::senders::{self, SendersEffect, SendersEvent};
    use std::sync::Arc;

    moto::dummy_aws_credentials();
    let mut routes = ses_replay::Routes::new();
    routes.insert(
        "eu-west-1 POST /v2/email/list-identities {\"PageSize\":100}".into(),
        (
            400,
            r#"{"__type":"BadRequestException","message":"bad token \u001b]0;x"}"#.into(),
        ),
    );
    routes.insert(
        r#"eu-west-1 POST /v2/email/identities {"EmailIdentity":"dup@example.com"}"#.into(),
        (
            400,
            r#"{"__type":"AlreadyExistsException","message":"Email identity d\u001b[2Jup@example.com already exist."}"#.into(),
        ),
    );
    let server = ses_replay::ReplayServer::start(routes).await;
    let (_dir, config) = routed_config("", server.endpoint());
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let runner = Runner {
        tx,
        config: Arc::new(config),
    };
    let target = SesTarget {
        region: "eu-west-1".into(),
        endpoint: Some(server.endpoint()),
        demo_keys: false,
    };
    senders::run(SendersEffect::RefreshSes(target.clone()), &runner);
    let Some(SourceEvent::Senders(SendersEvent::Ses { result, .. })) = rx.recv().await else {
        panic!("no SES event")
    };
    assert_eq!(
        result.unwrap_err().as_str(),
        r"SES ListEmailIdentities in eu-west-1: BadRequestException: bad token \e]0;x"
    );
    senders::run(
        SendersEffect::CreateIdentity {
            access: WriteAccess::for_mode(Mode::Interactive).unwrap(),
            target,
            identity: "dup@example.com".into(),
        },
        &runner,
    );
    let Some(SourceEvent::Senders(SendersEvent::IdentityCreated { result, .. })) = rx.recv().await
    else {
        panic!("no CreateEmailIdentity event")
    };
    assert_eq!(
        result.unwrap_err().as_str(),
        r"SES CreateEmailIdentity in eu-west-1: already in SES (r reads SES again): Email identity d\e[2Jup@example.com already exist."
    );
}

/// `opsdeck check` where postconf fails saying something with a control character in it: the
/// senders finding quotes it escaped once, as the Senders pane does.
#[tokio::test]
async fn a_failing_postconf_is_quoted_with_its_escape_once() {
    use opsdeck::check::{Report, Status};
    use opsdeck::mail::senders;

    let (_dir, mut config) = routed_config("", "http://127.0.0.1:9".into());
    config.postfix[0].command_prefix = vec![
        "sh".into(),
        "-c".into(),
        r"printf 'postconf: fatal: bad \033[31m line\n' >&2; exit 1".into(),
        "sh".into(),
    ];
    config.senders.ses = false;
    let mut report = Report::default();
    senders::check::check(&config, &mut report).await;
    let f = report
        .findings
        .iter()
        .find(|f| f.area == "senders")
        .unwrap();
    assert_eq!(f.status, Status::Unknown);
    assert!(
        f.summary.starts_with("cannot read the relay setup: sh -c ")
            && f.summary.ends_with(r": postconf: fatal: bad \e[31m line"),
        "{}",
        f.summary
    );

    // and the pane, which reads the relay setup its own way, in the same words
    use opsdeck::app::effect::{Runner, SourceEvent};
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let runner = Runner {
        tx,
        config: std::sync::Arc::new(config),
    };
    senders::run(senders::SendersEffect::Refresh { activity: false }, &runner);
    let e = loop {
        match rx.recv().await {
            Some(SourceEvent::Senders(senders::SendersEvent::Relay(r))) => break r.unwrap_err(),
            Some(_) => continue,
            None => panic!("no relay setup read"),
        }
    };
    assert!(
        e.as_str().ends_with(r": postconf: fatal: bad \e[31m line"),
        "{e}"
    );
}
