//! A deploy in progress is visible and exclusive: the pane is driven as
//! the app drives it (action, preview effect run for real, confirm's
//! effects run for real) against a real repository whose post-deploy
//! command blocks on a FIFO until the test lets it go. While it blocks,
//! the pane and the tile say "deploying <rev>…" and every key that would
//! start another action is turned away with a notice; after it ends, the
//! pane is idle again. No timing is assumed: the FIFO holds the deploy.

#[path = "deploy_support/mod.rs"]
mod deploy_support;

use std::sync::Arc;
use std::time::Duration;

use deploy_support::{Fixture, access, git};
use opsdeck::app::effect::{Effect, Runner, SourceEvent};
use opsdeck::app::pane::{Cx, Pane, ViewCx};
use opsdeck::app::shared::Shared;
use opsdeck::config::Config;
use opsdeck::deploy::pane::Busy;
use opsdeck::deploy::{self, DeployAction, DeployEffect, DeployEvent, DeployPane, status};
use opsdeck::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Run `f` with a writable context, as the event loop would.
fn with_cx(f: impl FnOnce(&mut Cx<'_>) -> Vec<Effect>) -> Vec<Effect> {
    let token = access();
    let mut shared = Shared::default();
    let mut cx = Cx {
        now: chrono::Local::now(),
        access: Some(&token),
        shared: &mut shared,
    };
    f(&mut cx)
}

fn act(p: &mut DeployPane, a: DeployAction) -> Vec<Effect> {
    with_cx(|cx| p.on_action(a, cx))
}

fn feed(p: &mut DeployPane, ev: DeployEvent) -> Vec<Effect> {
    with_cx(|cx| p.on_event(ev, cx))
}

fn screen(p: &DeployPane, w: u16, h: u16, zoomed: bool) -> String {
    let theme = Theme::fallback();
    let shared = Shared::default();
    let cx = ViewCx {
        theme: &theme,
        now: chrono::Local::now(),
        focused: true,
        zoomed,
        read_only: false,
        shared: &shared,
    };
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| p.render(f, f.area(), &cx)).unwrap();
    let b = t.backend().buffer().clone();
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lets a blocked hook go even when the test fails half-way (a
/// non-blocking write: no reader, nothing to do).
struct Release(std::path::PathBuf);

impl Drop for Release {
    fn drop(&mut self) {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(mut w) = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&self.0)
        {
            let _ = w.write_all(b"dropped\n");
        }
    }
}

/// The next deploy event from the runner (status reads are fed on).
async fn next(rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>) -> DeployEvent {
    match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
        Ok(Some(SourceEvent::Deploy(ev))) => ev,
        Ok(other) => panic!("unexpected {other:?}"),
        Err(_) => panic!("no event within 60 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_deploy_is_shown_and_turns_other_actions_away() {
    let f = Fixture::new();
    let fifo = f.dir.path().join("release.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils) is required");
    assert!(made.success());
    let _release = Release(fifo.clone());
    let mut cfg = f.config();
    cfg.post_deploy = Some(format!(
        "read line < '{}'; echo released: $line",
        fifo.display()
    ));
    cfg.hook_timeout_secs = 120;
    let mut config = Config::default();
    config.deploy.push(cfg.clone());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let runner = Runner {
        tx,
        config: Arc::new(config.clone()),
    };
    let mut p = DeployPane::new(&config);
    let st = status::read_status(&cfg).unwrap();
    feed(
        &mut p,
        DeployEvent::Status {
            target: 0,
            result: Ok(Box::new(st)),
        },
    );
    let new_short = &f.commits[3][..7];

    // c on the newest commit: a preview, run for real.
    let mut fx = act(&mut p, DeployAction::CheckoutSelected);
    assert!(
        matches!(&fx[..], [Effect::Deploy(DeployEffect::Preview { .. })]),
        "{fx:?}"
    );
    let Some(Effect::Deploy(preview)) = fx.pop() else {
        unreachable!()
    };
    deploy::run(preview, &runner);
    let ev = next(&mut rx).await;
    assert!(matches!(ev, DeployEvent::Preview { .. }), "{ev:?}");
    let fx = feed(&mut p, ev);
    let Some(Effect::Confirm(c)) = fx.into_iter().next() else {
        panic!("no confirm")
    };
    assert_eq!(c.title, format!("Deploy {new_short}?"));
    // The person says yes: the app runs the dialog's effects.
    for e in c.then {
        let Effect::Deploy(d) = e else {
            panic!("{e:?}")
        };
        deploy::run(d, &runner);
    }
    let ev = next(&mut rx).await;
    assert!(matches!(ev, DeployEvent::DeployStarted { .. }), "{ev:?}");
    feed(&mut p, ev);

    // While the post-deploy command waits on the FIFO:
    let busy = p.targets[0].busy.as_ref().map(Busy::describe);
    let want = format!("deploying {new_short} Fourth: new page…");
    assert_eq!(busy.as_deref(), Some(want.as_str()));
    let tile = screen(&p, 80, 8, false);
    assert!(tile.contains(&want), "{tile}");
    assert!(tile.contains("other actions wait"), "{tile}");
    let zoomed = screen(&p, 80, 24, true);
    assert!(zoomed.contains(&want), "{zoomed}");
    for a in [
        DeployAction::CheckoutSelected,
        DeployAction::CheckoutTyped,
        DeployAction::Rollback,
        DeployAction::Fetch,
        DeployAction::RunHook,
    ] {
        let fx = act(&mut p, a);
        match &fx[..] {
            [Effect::Notice(n)] => assert_eq!(n, &format!("{want} wait until it ends"), "{a:?}"),
            other => panic!("{a:?} while deploying gave {other:?}"),
        }
    }
    let fx = act(&mut p, DeployAction::CancelFetch);
    assert!(
        matches!(&fx[..], [Effect::Notice(n)] if n.contains("cannot be cancelled")),
        "{fx:?}"
    );
    // Reading the checkout is still allowed.
    assert!(matches!(
        &act(&mut p, DeployAction::Refresh)[..],
        [Effect::Deploy(DeployEffect::Refresh { .. })]
    ));

    // Let the hook finish.
    let fifo2 = fifo.clone();
    tokio::task::spawn_blocking(move || std::fs::write(fifo2, "go\n").unwrap())
        .await
        .unwrap();
    let ev = next(&mut rx).await;
    let DeployEvent::Deployed { result, .. } = &ev else {
        panic!("{ev:?}")
    };
    let out = result.as_ref().expect("the deploy succeeds");
    assert!(
        out.hooks
            .iter()
            .any(|h| h.output.iter().any(|l| l.as_str() == "released: go")),
        "{:?}",
        out.hooks
    );
    feed(&mut p, ev);
    assert!(p.targets[0].busy.is_none());
    assert!(!screen(&p, 80, 8, false).contains("deploying"));
    assert_eq!(git(&f.site, &["rev-parse", "HEAD"]), f.commits[3]);
    // Idle again: a fetch may start.
    assert!(matches!(
        &act(&mut p, DeployAction::Fetch)[..],
        [Effect::Deploy(DeployEffect::Fetch { .. })]
    ));
}
