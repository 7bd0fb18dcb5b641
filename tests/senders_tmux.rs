//! The Senders pane in the built binary (`opsdeck demo`, driven in tmux on a
//! private socket): the demo's relay and password maps are shown, the demo
//! password appears neither on the screen nor in opsdeck's log file, and in
//! read-only mode the write actions are not offered.

/// The password written into the demo's password map.
const DEMO_SECRET: &str = "demo-not-a-real-secret";
/// The demo's SMTP submission password (in its configuration).
const DEMO_SMTP_SECRET: &str = "demo-smtp-password-not-real";

#[path = "support/tmux.rs"]
mod tmux;

/// opsdeck in tmux at 80x24 that fails the test the moment a demo password
/// is on the screen, and whose log file can be read.
struct Console(tmux::Tmux);

impl Console {
    fn start(name: &str, args: &str) -> Console {
        Console(tmux::Tmux::opsdeck(
            &format!("senders-{name}"),
            80,
            24,
            args,
            &[("OPSDECK_LOG", "trace")],
        ))
    }

    fn keys(&self, keys: &[&str]) {
        self.0.keys(keys);
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.0.wait_for(what, |s| {
            assert!(
                !s.contains(DEMO_SECRET) && !s.contains(DEMO_SMTP_SECRET),
                "a demo password is on the screen:\n{s}"
            );
            pred(s)
        })
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.0.home().join(".state/opsdeck/opsdeck.log"))
            .unwrap_or_default()
    }
}

#[test]
fn demo_senders_pane_shows_maps_but_never_the_password() {
    let t = Console::start("rw", "demo");
    t.wait_for("the overview", |s| s.contains("┌ Senders · mx1"));
    t.keys(&["3"]);
    let s = t.wait_for("the senders table", |s| {
        s.contains("SENDER") && s.contains("MAILER-DAEMON")
    });
    assert!(
        s.contains("AKIADEMOEXAMPLE"),
        "the SMTP user name is shown:\n{s}"
    );
    assert!(
        s.contains("readable"),
        "the open password map is flagged:\n{s}"
    );
    // the demo stands for its own host: this machine's root is not one of its senders
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert!(
        s.contains("root@mx1.example.com") && !s.contains(&format!("root@{}", machine.trim())),
        "the demo's local senders are its host's:\n{s}"
    );
    // (at 80 columns without its domain)
    assert!(
        s.lines()
            .any(|l| l.starts_with(" RW ") && l.contains(" mx1 ")),
        "the status bar names the demo's host:\n{s}"
    );
    t.keys(&["m"]);
    // the demo's maps live under a long temporary path: each is named on the row under its
    // parameter, whole
    let s = t.wait_for("the maps view", |s| {
        s.contains("smtp_sasl_password_maps =") && s.contains("postfix-senders/sasl_passwd  ")
    });
    assert!(s.contains("user AKIADEMOEXAMPLE (password set)"), "{s}");
    // the write actions exist in interactive mode: `a` asks for a sender
    t.keys(&["Escape"]);
    t.wait_for("the table again", |s| s.contains("SENDER"));
    t.keys(&["a"]);
    t.wait_for("the add-route prompt", |s| s.contains("Route sender"));
    // Esc and q apart: together they read as Alt-q
    t.keys(&["Escape"]);
    t.wait_for("the prompt to close", |s| !s.contains("Route sender"));
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
    let log = t.log_text();
    assert!(
        log.contains("senders: starting") && log.contains("smtp_password: Some(***)"),
        "the senders configuration is logged, password hidden:\n{log}"
    );
    assert!(
        !log.contains(DEMO_SMTP_SECRET),
        "the SMTP password is in the log file:\n{log}"
    );
    assert!(
        !log.contains(DEMO_SECRET),
        "the demo password is in the log file:\n{log}"
    );
}

#[test]
fn read_only_demo_offers_no_write_actions() {
    let t = Console::start("ro", "--read-only demo");
    t.wait_for("the overview", |s| s.contains("┌ Senders · mx1"));
    t.keys(&["3"]);
    t.wait_for("the senders table", |s| s.contains("SENDER"));
    t.keys(&["?"]);
    let s = t.wait_for("the help", |s| s.contains("refresh maps, log, SES"));
    for write in ["send a test mail", "verify identity", "add a sender route"] {
        assert!(
            !s.contains(write),
            "{write:?} offered in read-only mode:\n{s}"
        );
    }
    t.keys(&["Escape"]);
    t.wait_for("the help to close", |s| {
        !s.contains("refresh maps, log, SES")
    });
    t.keys(&["a"]);
    // the key is not dispatched, and the status bar says why
    t.wait_for("the read-only notice", |s| {
        // a notice longer than the bar beside the demo's host name goes on under it
        tmux::status_notice(s, "mx1")
            .contains("read-only: a would change the host (add a sender route)")
    });
    t.keys(&["m"]);
    // `m` is handled after `a`: had `a` opened a prompt, `m` would be typed into it
    let s = t.wait_for("the maps view", |s| s.contains("smtp_sasl_password_maps"));
    assert!(!s.contains("Route sender"), "{s}");
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}

/// An SES endpoint written with a proxy's user name and password in it: the configuration
/// logged at start names the endpoint without them.
#[test]
fn a_password_in_the_ses_endpoint_is_not_in_the_log_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\nconfig_dir = \"{d}/no-postfix\"\n\n[mail_log]\nfiles = [\"{d}/mail.log\"]\n\n\
             [senders]\nses_region = \"us-east-1\"\n\
             ses_endpoint = \"http://proxyuser:hunter2-not-real@127.0.0.1:9\"\n",
            d = dir.path().display()
        ),
    )
    .unwrap();
    let t = Console::start("ses-endpoint", &format!("--config {}", config.display()));
    t.wait_for("the overview", |s| s.contains("┌ Senders"));
    t.0.wait_for("the configuration and the mail log to be logged", |_| {
        let log = t.log_text();
        log.contains("senders: starting") && log.contains("mail log: following")
    });
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
    let log = t.log_text();
    // which mail log the Failures pane follows is in the log file too
    assert!(
        log.contains(&format!(
            "mail log: following {}/mail.log",
            dir.path().display()
        )),
        "{log}"
    );
    assert!(
        log.contains("ses_endpoint: Some(\"http://***@127.0.0.1:9\")"),
        "the configuration is logged, the endpoint without its password:\n{log}"
    );
    assert!(
        !log.contains("hunter2-not-real"),
        "the proxy password is in the log file:\n{log}"
    );
}
